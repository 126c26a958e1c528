//! The AWS SDK configuration built from the provider block, following AWS provider
//! conventions: region/profile/credentials from the standard chain, one `endpoint` for
//! every service (LocalStack style, `AWS_ENDPOINT_URL` honoured by the SDK itself),
//! per-service overrides, an optional assumed role, and the SDK's standard retry mode.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Services whose endpoint can be overridden one by one in `endpoints { ... }`.
pub const SERVICES: &[&str] = &[
    "s3",
    "dynamodb",
    "sts",
    "iam",
    "ec2",
    "eks",
    "rds",
    "elasticache",
    "kafka",
    "secretsmanager",
    "elbv2",
    "logs",
];

/// The provider block, as plain Rust values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint: Option<String>,
    pub endpoints: BTreeMap<String, String>,
    pub assume_role: Option<AssumeRole>,
    pub default_tags: BTreeMap<String, String>,
    pub max_retries: u32,
    pub s3_use_path_style: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
}

/// Everything a resource needs to talk to AWS. Clients are built on first use, so a
/// process that only serves the schema or validates never pays for them.
pub struct AwsContext {
    pub sdk: SdkConfig,
    pub settings: ProviderSettings,
    s3: OnceLock<aws_sdk_s3::Client>,
    dynamodb: OnceLock<aws_sdk_dynamodb::Client>,
    ec2: OnceLock<aws_sdk_ec2::Client>,
    iam: OnceLock<aws_sdk_iam::Client>,
    eks: OnceLock<aws_sdk_eks::Client>,
    rds: OnceLock<aws_sdk_rds::Client>,
    elasticache: OnceLock<aws_sdk_elasticache::Client>,
    kafka: OnceLock<aws_sdk_kafka::Client>,
    secretsmanager: OnceLock<aws_sdk_secretsmanager::Client>,
    elbv2: OnceLock<aws_sdk_elasticloadbalancingv2::Client>,
    logs: OnceLock<aws_sdk_cloudwatchlogs::Client>,
}

/// A lazily built client for one service, honouring its `endpoints` override.
macro_rules! service_client {
    ($name:ident, $krate:ident, $key:literal) => {
        pub fn $name(&self) -> &$krate::Client {
            self.$name.get_or_init(|| {
                let mut b = $krate::config::Builder::from(&self.sdk);
                if let Some(url) = self.endpoint_override($key) {
                    b = b.endpoint_url(url);
                }
                $krate::Client::from_conf(b.build())
            })
        }
    };
}

impl AwsContext {
    pub async fn load(settings: ProviderSettings) -> Result<AwsContext, String> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(settings.max_retries.max(1)));
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = &settings.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let mut sdk = loader.load().await;
        // An empty AWS_REGION reads as a region named "": treat it as none.
        if sdk.region().is_none_or(|r| r.as_ref().trim().is_empty()) {
            return Err("no AWS region: set `region` in the provider block, or AWS_REGION, or a region in the AWS profile".into());
        }
        if let Some(role) = &settings.assume_role {
            let mut builder = aws_config::sts::AssumeRoleProvider::builder(&role.role_arn)
                .session_name(
                    role.session_name
                        .clone()
                        .unwrap_or_else(|| "terraform-provider-mosia".into()),
                );
            if let Some(id) = &role.external_id {
                builder = builder.external_id(id);
            }
            // STS honours its own `endpoints.sts` override, like every other service.
            // Marked as set in code: otherwise AWS_ENDPOINT_URL would win over it.
            let sts_config = match settings.endpoints.get("sts") {
                Some(url) => {
                    let mut b = sdk.to_builder().endpoint_url(url);
                    b.insert_origin("endpoint_url", aws_types::origin::Origin::shared_config());
                    b.build()
                }
                None => sdk.clone(),
            };
            let provider = builder.configure(&sts_config).build().await;
            sdk = sdk
                .into_builder()
                .credentials_provider(aws_types::sdk_config::SharedCredentialsProvider::new(
                    provider,
                ))
                .build();
        }
        Ok(AwsContext {
            sdk,
            settings,
            s3: OnceLock::new(),
            dynamodb: OnceLock::new(),
            ec2: OnceLock::new(),
            iam: OnceLock::new(),
            eks: OnceLock::new(),
            rds: OnceLock::new(),
            elasticache: OnceLock::new(),
            kafka: OnceLock::new(),
            secretsmanager: OnceLock::new(),
            elbv2: OnceLock::new(),
            logs: OnceLock::new(),
        })
    }

    pub fn region(&self) -> String {
        self.sdk.region().map(|r| r.to_string()).unwrap_or_default()
    }

    fn endpoint_override(&self, service: &str) -> Option<&String> {
        self.settings.endpoints.get(service)
    }

    /// Path-style addressing: needed by emulators, which do not resolve bucket subdomains.
    fn s3_path_style(&self) -> bool {
        self.settings.s3_use_path_style.unwrap_or_else(|| {
            self.sdk.endpoint_url().is_some() || self.endpoint_override("s3").is_some()
        })
    }

    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3.get_or_init(|| {
            let mut b =
                aws_sdk_s3::config::Builder::from(&self.sdk).force_path_style(self.s3_path_style());
            if let Some(url) = self.endpoint_override("s3") {
                b = b.endpoint_url(url);
            }
            aws_sdk_s3::Client::from_conf(b.build())
        })
    }

    service_client!(dynamodb, aws_sdk_dynamodb, "dynamodb");
    service_client!(ec2, aws_sdk_ec2, "ec2");
    service_client!(iam, aws_sdk_iam, "iam");
    service_client!(eks, aws_sdk_eks, "eks");
    service_client!(rds, aws_sdk_rds, "rds");
    service_client!(elasticache, aws_sdk_elasticache, "elasticache");
    service_client!(kafka, aws_sdk_kafka, "kafka");
    service_client!(secretsmanager, aws_sdk_secretsmanager, "secretsmanager");
    service_client!(elbv2, aws_sdk_elasticloadbalancingv2, "elbv2");
    service_client!(logs, aws_sdk_cloudwatchlogs, "logs");
}

#[cfg(test)]
macro_rules! set_client {
    ($($with:ident => $name:ident: $krate:ident),+ $(,)?) => {
        impl AwsContext {
            $(
                /// Unit tests: answer this service with the given (mocked) client.
                pub(crate) fn $with(self, client: $krate::Client) -> Self {
                    let _ = self.$name.set(client);
                    self
                }
            )+
        }
    };
}

#[cfg(test)]
#[allow(dead_code)] // each part's unit tests use the clients of their service
mod set_clients {
    use super::AwsContext;
    set_client!(
        with_ec2 => ec2: aws_sdk_ec2,
        with_iam => iam: aws_sdk_iam,
        with_eks => eks: aws_sdk_eks,
        with_rds => rds: aws_sdk_rds,
        with_elasticache => elasticache: aws_sdk_elasticache,
        with_kafka => kafka: aws_sdk_kafka,
        with_secretsmanager => secretsmanager: aws_sdk_secretsmanager,
        with_elbv2 => elbv2: aws_sdk_elasticloadbalancingv2,
        with_logs => logs: aws_sdk_cloudwatchlogs,
    );

    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use std::sync::OnceLock;

    use super::ProviderSettings;

    impl AwsContext {
        /// A context for unit tests: region us-east-1 and no clients until the test sets them
        /// (`AwsContext::offline().with_eks(client)`); an unset client has no endpoint to reach.
        pub(crate) fn offline() -> AwsContext {
            let sdk = SdkConfig::builder()
                .region(Region::new("us-east-1"))
                .behavior_version(BehaviorVersion::latest())
                .build();
            AwsContext {
                sdk,
                settings: ProviderSettings::default(),
                s3: OnceLock::new(),
                dynamodb: OnceLock::new(),
                ec2: OnceLock::new(),
                iam: OnceLock::new(),
                eks: OnceLock::new(),
                rds: OnceLock::new(),
                elasticache: OnceLock::new(),
                kafka: OnceLock::new(),
                secretsmanager: OnceLock::new(),
                elbv2: OnceLock::new(),
                logs: OnceLock::new(),
            }
        }
    }
}
