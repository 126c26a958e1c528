//! The AWS SDK configuration built from the provider block, following AWS provider
//! conventions: region/profile/credentials from the standard chain, one `endpoint` for
//! every service (LocalStack style, `AWS_ENDPOINT_URL` honoured by the SDK itself),
//! per-service overrides, an optional assumed role, and the SDK's standard retry mode
//! ([`retry_config`], [`retry_partition`]).

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sts::config::retry::{RetryPartition, TokenBucket};
use aws_sdk_sts::error::SdkError;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
use aws_smithy_runtime_api::http::Response as HttpResponse;

/// Attempts per AWS call when the provider block sets no `max_retries`: terraform-provider-aws's
/// default (see [`retry_config`]).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 25;

/// The SDK's backoff before the first retry of a call (its standard value), scaled by
/// `MOSIA_POLL_SCALE` like every poll schedule, so that a short burst of errors against an
/// emulator at 1/100 of real time costs 1/100 of the time.
const INITIAL_BACKOFF: Duration = Duration::from_secs(1);
/// The cap of the backoff (the SDK's standard value), never scaled: how long a throttling
/// episode or an outage lasts does not shrink with an emulator's clock, and a call's retry
/// window (`max_retries` attempts, minutes at the default) must still outlast one.
const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// How every AWS call is retried: the SDK's standard retry mode (exponential backoff with
/// full jitter from [`INITIAL_BACKOFF`] up to [`MAX_BACKOFF`]) with `max_retries` attempts
/// ([`DEFAULT_MAX_ATTEMPTS`] unless configured), on what the SDK classifies as
/// transient: throttling codes, HTTP 500/502/503/504, timeouts and dropped connections.
/// Permanent errors (validation, access denied, not found, ...) are never retried.
///
/// With 25 attempts a call rides out minutes of throttling (the backoff reaches its 20 s
/// cap at the sixth retry); the SDK's 3 attempts, or the 5 this provider used before,
/// gave up within seconds and failed the whole part when a burst of throttling met one
/// describe call (`ListOpenIDConnectProviders`, `DescribeClusterV2`). A transient error must
/// cost time, never the apply.
///
/// Standard rather than adaptive mode: the SDK marks adaptive mode experimental, and after
/// one throttling answer it rate-limits every later call to that service from the process,
/// successful polls of other parts included. Standard mode only slows the call that was
/// throttled.
///
/// Waits add one rule of their own (`aws/wait.rs`): a poll whose describe call still fails
/// transiently after these attempts keeps the wait polling until its deadline.
pub fn retry_config(settings: &ProviderSettings, scale: f64) -> RetryConfig {
    let scaled = |d: Duration| {
        if scale.is_finite() && scale > 0.0 {
            d.mul_f64(scale).max(Duration::from_millis(1))
        } else {
            d
        }
    };
    RetryConfig::standard()
        .with_max_attempts(settings.max_retries.max(1))
        .with_initial_backoff(scaled(INITIAL_BACKOFF))
        .with_max_backoff(MAX_BACKOFF)
}

/// The retry partition of one service's client: its own, without a retry quota (an
/// unlimited token bucket); each call stays bounded by `max_retries` attempts.
///
/// Why not the SDK's default partition: its token bucket (500 tokens, 5 taken per retry,
/// shared by every client of the service in the process) is a circuit breaker. Once a burst
/// of throttling has drained it, every later call fails at its first throttled attempt
/// without any retry ("not enough retry quota"), so more attempts per call would drain it
/// sooner and fail applies that should only have been slowed (terraform-provider-aws users
/// met it as "failed to get rate limit token, retry quota exceeded",
/// hashicorp/terraform-provider-aws#36094). A provider makes a few hundred calls per apply;
/// their backoff, not a quota, is what protects AWS here.
pub fn retry_partition(service: &'static str) -> RetryPartition {
    RetryPartition::custom(service)
        .token_bucket(TokenBucket::unlimited())
        .build()
}

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
    "applicationautoscaling",
    "kms",
    "sns",
    "cloudwatch",
    "budgets",
    "backup",
    "costexplorer",
    "autoscaling",
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
    kms: OnceLock<aws_sdk_kms::Client>,
    application_autoscaling: OnceLock<aws_sdk_applicationautoscaling::Client>,
    sns: OnceLock<aws_sdk_sns::Client>,
    cloudwatch: OnceLock<aws_sdk_cloudwatch::Client>,
    budgets: OnceLock<aws_sdk_budgets::Client>,
    backup: OnceLock<aws_sdk_backup::Client>,
    costexplorer: OnceLock<aws_sdk_costexplorer::Client>,
    autoscaling: OnceLock<aws_sdk_autoscaling::Client>,
    sts: OnceLock<aws_sdk_sts::Client>,
    /// The caller's account, asked of STS once.
    account_id: tokio::sync::OnceCell<String>,
}

/// A lazily built client for one service, honouring its `endpoints` override.
macro_rules! service_client {
    ($name:ident, $krate:ident, $key:literal) => {
        pub fn $name(&self) -> &$krate::Client {
            self.$name.get_or_init(|| {
                let mut b =
                    $krate::config::Builder::from(&self.sdk).retry_partition(retry_partition($key));
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
            .retry_config(retry_config(&settings, crate::engine::env_scale()));
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
        Ok(AwsContext::with_clients_unbuilt(sdk, settings))
    }

    /// A context over `sdk` whose clients are built on first use.
    fn with_clients_unbuilt(sdk: SdkConfig, settings: ProviderSettings) -> AwsContext {
        AwsContext {
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
            kms: OnceLock::new(),
            application_autoscaling: OnceLock::new(),
            sns: OnceLock::new(),
            cloudwatch: OnceLock::new(),
            budgets: OnceLock::new(),
            backup: OnceLock::new(),
            costexplorer: OnceLock::new(),
            autoscaling: OnceLock::new(),
            sts: OnceLock::new(),
            account_id: tokio::sync::OnceCell::new(),
        }
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
            let mut b = aws_sdk_s3::config::Builder::from(&self.sdk)
                .force_path_style(self.s3_path_style())
                .retry_partition(retry_partition("s3"));
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
    service_client!(kms, aws_sdk_kms, "kms");
    service_client!(
        application_autoscaling,
        aws_sdk_applicationautoscaling,
        "applicationautoscaling"
    );
    service_client!(sns, aws_sdk_sns, "sns");
    service_client!(cloudwatch, aws_sdk_cloudwatch, "cloudwatch");
    service_client!(sts, aws_sdk_sts, "sts");
    service_client!(budgets, aws_sdk_budgets, "budgets");
    service_client!(backup, aws_sdk_backup, "backup");
    service_client!(costexplorer, aws_sdk_costexplorer, "costexplorer");
    service_client!(autoscaling, aws_sdk_autoscaling, "autoscaling");

    /// An AWS Backup client in another Region (cross-Region copies), built for each use:
    /// the same credentials, retries and endpoint override.
    pub fn backup_in_region(&self, region: &str) -> aws_sdk_backup::Client {
        let mut b = aws_sdk_backup::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_string()))
            .retry_partition(retry_partition("backup"));
        if let Some(url) = self.endpoint_override("backup") {
            b = b.endpoint_url(url);
        }
        aws_sdk_backup::Client::from_conf(b.build())
    }

    /// The account the provider acts in (STS GetCallerIdentity, once per provider process):
    /// what ARNs Mosia builds itself need.
    pub async fn account_id(&self) -> Result<&str, SdkError<GetCallerIdentityError, HttpResponse>> {
        self.account_id
            .get_or_try_init(|| async {
                let out = self.sts().get_caller_identity().send().await?;
                Ok(out.account.unwrap_or_default())
            })
            .await
            .map(String::as_str)
    }

    /// The partition of the region (`aws`, `aws-cn`, `aws-us-gov`), for ARNs.
    pub fn partition(&self) -> &'static str {
        super::partition(&self.region())
    }
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
        with_kms => kms: aws_sdk_kms,
        with_application_autoscaling => application_autoscaling: aws_sdk_applicationautoscaling,
        with_sns => sns: aws_sdk_sns,
        with_cloudwatch => cloudwatch: aws_sdk_cloudwatch,
        with_sts => sts: aws_sdk_sts,
        with_budgets => budgets: aws_sdk_budgets,
        with_backup => backup: aws_sdk_backup,
        with_costexplorer => costexplorer: aws_sdk_costexplorer,
        with_autoscaling => autoscaling: aws_sdk_autoscaling,
    );

    use aws_config::{BehaviorVersion, Region, SdkConfig};

    use super::ProviderSettings;

    impl AwsContext {
        /// A context for unit tests: region us-east-1 and no clients until the test sets them
        /// (`AwsContext::offline().with_eks(client)`); an unset client has no endpoint to reach.
        pub(crate) fn offline() -> AwsContext {
            let sdk = SdkConfig::builder()
                .region(Region::new("us-east-1"))
                .behavior_version(BehaviorVersion::latest())
                .build();
            AwsContext::with_clients_unbuilt(sdk, ProviderSettings::default())
        }
    }
}

#[cfg(test)]
mod tests {
    //! How the provider's retry configuration treats a read (through `eks::read_cluster`,
    //! one DescribeCluster): throttling costs attempts, not the read; permanent errors fail
    //! at once; no retry quota stops the retries. Under a paused clock, so the SDK's real
    //! backoff (1 s doubling to 20 s) costs no time.

    use aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput;
    use aws_sdk_eks::types::{Cluster, ClusterStatus};
    use aws_smithy_mocks::{mock, Rule};

    use super::*;
    use crate::aws::{eks, part::PartEnv, testing};

    const THROTTLED: &str = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;

    fn settings(max_retries: u32) -> ProviderSettings {
        ProviderSettings {
            max_retries,
            ..ProviderSettings::default()
        }
    }

    /// The test environment's cluster, ACTIVE and tagged as ours.
    fn cluster() -> DescribeClusterOutput {
        let env = testing::env(AwsContext::offline());
        DescribeClusterOutput::builder()
            .cluster(
                Cluster::builder()
                    .name(eks::cluster_name(&env))
                    .status(ClusterStatus::Active)
                    .set_tags(Some(env.tags_for("eks").into_iter().collect()))
                    .build(),
            )
            .build()
    }

    /// DescribeCluster answering `throttles` ThrottlingExceptions, then the cluster.
    fn throttled_then_found(throttles: usize) -> Rule {
        mock!(aws_sdk_eks::Client::describe_cluster)
            .sequence()
            .http_status(400, Some(THROTTLED.into()))
            .times(throttles)
            .output(cluster)
            .build()
    }

    fn env(settings: &ProviderSettings, rules: &[&Rule]) -> PartEnv {
        let client = match rules {
            [one] => crate::mock_client!(aws_sdk_eks, retrying: settings, [*one]),
            [a, b] => crate::mock_client!(aws_sdk_eks, retrying: settings, [*a, *b]),
            _ => unreachable!("one or two rules"),
        };
        testing::env(AwsContext::offline().with_eks(client))
    }

    #[test]
    fn standard_mode_with_terraform_provider_aws_attempts_and_scaled_backoff() {
        let c = retry_config(&settings(DEFAULT_MAX_ATTEMPTS), 1.0);
        assert_eq!(c.mode(), aws_config::retry::RetryMode::Standard);
        assert_eq!(c.max_attempts(), 25);
        assert_eq!(
            (c.initial_backoff(), c.max_backoff()),
            (INITIAL_BACKOFF, MAX_BACKOFF)
        );
        let fast = retry_config(&settings(3), 0.01);
        assert_eq!(fast.max_attempts(), 3);
        assert_eq!(
            (fast.initial_backoff(), fast.max_backoff()),
            (Duration::from_millis(10), MAX_BACKOFF)
        );
        assert_eq!(retry_config(&settings(0), f64::NAN).max_attempts(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_that_meets_throttling_retries_then_succeeds() {
        // 12 throttled answers in a row: more than the 5 attempts this provider used to make.
        let describe = throttled_then_found(12);
        let env = env(&settings(DEFAULT_MAX_ATTEMPTS), &[&describe]);
        let state = eks::read_cluster(&env).await.unwrap().expect("the cluster");
        assert_eq!(state.status, "ACTIVE");
        assert_eq!(describe.num_calls(), 13);
    }

    #[tokio::test(start_paused = true)]
    async fn attempts_are_bounded_and_the_last_error_is_transient() {
        // With 5 attempts (the old default) the same burst fails the read: transient, with
        // the AWS code and message.
        let describe = throttled_then_found(12);
        let env = env(&settings(5), &[&describe]);
        let e = eks::read_cluster(&env).await.unwrap_err();
        assert_eq!(describe.num_calls(), 5);
        assert!(e.transient && e.retryable, "{e:?}");
        assert!(
            e.detail
                .contains("EKS DescribeCluster: ThrottlingException: Rate exceeded"),
            "{}",
            e.detail
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_error_fails_at_once_with_its_code_and_message() {
        let denied = mock!(aws_sdk_eks::Client::describe_cluster)
            .sequence()
            .http_status(
                403,
                Some(
                    r#"{"__type":"AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: eks:DescribeCluster"}"#
                        .into(),
                ),
            )
            .repeatedly()
            .build();
        let env = env(&settings(DEFAULT_MAX_ATTEMPTS), &[&denied]);
        let started = tokio::time::Instant::now();
        let e = eks::read_cluster(&env).await.unwrap_err();
        assert_eq!(denied.num_calls(), 1, "not retried");
        assert_eq!(started.elapsed(), Duration::ZERO, "no backoff");
        assert!(!e.transient && !e.retryable, "{e:?}");
        assert!(
            e.detail.contains(
                "EKS DescribeCluster: AccessDeniedException: User: \
                 arn:aws:iam::123456789012:user/ci is not authorized"
            ),
            "{}",
            e.detail
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_retry_quota_stops_the_retries_of_a_long_throttled_run() {
        // 40 reads meeting 4 throttles each: 160 retries, 800 tokens of the SDK's default
        // retry quota (500, 5 per retry), which would have failed the later reads at their
        // first throttled attempt.
        let mut answers = mock!(aws_sdk_eks::Client::describe_cluster).sequence();
        for _ in 0..40 {
            answers = answers
                .http_status(400, Some(THROTTLED.into()))
                .times(4)
                .output(cluster);
        }
        let describe = answers.build();
        let env = env(&settings(DEFAULT_MAX_ATTEMPTS), &[&describe]);
        for read in 0..40 {
            let r = eks::read_cluster(&env).await;
            assert!(r.is_ok(), "read {read}: {r:?}");
        }
        assert_eq!(describe.num_calls(), 200);
    }
}
