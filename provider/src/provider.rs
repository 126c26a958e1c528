//! The `mosia` provider block: schema, validation, and configuration of the AWS context
//! every resource shares.

use std::sync::Arc;

use async_trait::async_trait;
use mosia_tfplugin::{
    validators, AttrPath, Attribute, Block, Context, DataSource, Diagnostics, Nesting, Provider,
    Resource, Schema, Type, Value,
};

use crate::aws::config::{AssumeRole, ProviderSettings, SERVICES};
use crate::aws::AwsContext;
pub use crate::resources::configured::Configured;
use crate::resources::environment::data_source::EnvironmentDataSource;
use crate::resources::environment::resource::EnvironmentResource;
use crate::resources::state_backend::StateBackend;

/// Default number of attempts for one AWS call (the SDK's standard retry mode: exponential
/// backoff with jitter, throttling-aware): terraform-provider-aws's default, which rides out
/// minutes of throttling (see `aws::config::retry_config`).
pub const DEFAULT_MAX_RETRIES: i64 = crate::aws::config::DEFAULT_MAX_ATTEMPTS as i64;

pub struct MosiaProvider {
    schema: Schema,
    configured: Arc<Configured>,
}

impl Default for MosiaProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl MosiaProvider {
    pub fn new() -> Self {
        MosiaProvider {
            schema: provider_schema(),
            configured: Arc::new(Configured::default()),
        }
    }
}

fn is_url(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://")) && s.len() > "https://".len()
}

pub fn provider_schema() -> Schema {
    let mut endpoints =
        Block::new("Per-service endpoint URLs; each overrides `endpoint` for that service only.");
    for svc in SERVICES {
        endpoints = endpoints.attr(
            Attribute::string(svc)
                .optional()
                .description(&format!("Endpoint URL for {svc}."))
                .validate(validators::string_matches(
                    "an http:// or https:// URL",
                    is_url,
                )),
        );
    }
    Schema::new(
        0,
        Block::new(
            "Mosia builds whole AWS application environments. Credentials come from the standard AWS chain \
             (environment, shared config and credentials files, SSO, web identity, container and instance roles).",
        )
        .attr(
            Attribute::string("region")
                .optional()
                .description("AWS region, e.g. `eu-central-1`. Falls back to `AWS_REGION` and the profile's region."),
        )
        .attr(Attribute::string("profile").optional().description("Named profile from the shared AWS config files."))
        .attr(
            Attribute::string("endpoint")
                .optional()
                .description(
                    "One endpoint URL for every service, as LocalStack serves them (e.g. `http://127.0.0.1:4566`). \
                     `AWS_ENDPOINT_URL` is honoured when this is unset.",
                )
                .validate(validators::string_matches("an http:// or https:// URL", is_url)),
        )
        .attr(
            Attribute::number("max_retries")
                .default(DEFAULT_MAX_RETRIES)
                .description(
                    "Maximum attempts per AWS call in the SDK's standard retry mode: throttling, 5xx answers, timeouts and \
                     dropped connections are retried with exponential backoff and jitter (1 s doubling up to 20 s); \
                     other errors fail at once. The default, like terraform-provider-aws's, rides out minutes of throttling.",
                )
                .validate(validators::int_between(1, 100)),
        )
        .attr(
            Attribute::bool("s3_use_path_style")
                .optional()
                .description("Path-style S3 addressing. Defaults to true when a custom endpoint is set, false otherwise."),
        )
        .block("endpoints", Nesting::Single, endpoints)
        .block(
            "assume_role",
            Nesting::Single,
            Block::new("Assume this IAM role (via STS) with the base credentials.")
                .attr(
                    Attribute::string("role_arn")
                        .required()
                        .description("ARN of the role to assume.")
                        .validate(validators::string_matches("an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)", |s| {
                            s.starts_with("arn:") && s.contains(":role/")
                        })),
                )
                .attr(Attribute::string("session_name").optional().description("Session name; default `terraform-provider-mosia`."))
                .attr(Attribute::string("external_id").optional().description("External ID required by the role's trust policy.")),
        )
        .block(
            "default_tags",
            Nesting::Single,
            Block::new("Tags applied to every taggable AWS object the provider creates.").attr(
                Attribute::of_type("tags", Type::map(Type::String))
                    .optional()
                    .description("Key/value tags; a resource's own `tags` win on conflicts."),
            ),
        ),
    )
}

/// Reads the provider block into settings. Unknown values cannot reach here: Terraform
/// defers configuration until they are known.
pub fn settings_from(config: &Value) -> ProviderSettings {
    let s = |name: &str| config.get(name).as_str().map(str::to_string);
    let endpoints = config
        .get("endpoints")
        .entries()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|u| (k.clone(), u.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let role = config.get("assume_role");
    let assume_role = role.get("role_arn").as_str().map(|arn| AssumeRole {
        role_arn: arn.to_string(),
        session_name: role.get("session_name").as_str().map(str::to_string),
        external_id: role.get("external_id").as_str().map(str::to_string),
    });
    ProviderSettings {
        region: s("region"),
        profile: s("profile"),
        endpoint: s("endpoint"),
        endpoints,
        assume_role,
        default_tags: config.get("default_tags").get("tags").string_map(),
        max_retries: config
            .get("max_retries")
            .as_i64()
            .unwrap_or(DEFAULT_MAX_RETRIES)
            .clamp(1, 100) as u32,
        s3_use_path_style: config.get("s3_use_path_style").as_bool(),
    }
}

#[async_trait]
impl Provider for MosiaProvider {
    fn address(&self) -> &'static str {
        "registry.terraform.io/mosia/mosia"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for (k, v) in config.get("default_tags").get("tags").string_map() {
            if k.starts_with(crate::aws::tags::OWNERSHIP_PREFIX) {
                diags.error_at(
                    AttrPath::attr("default_tags").then("tags").key(&k),
                    "Reserved tag key",
                    format!("tag keys starting with {:?} are reserved for Mosia's ownership tags (got {k:?} = {v:?})", crate::aws::tags::OWNERSHIP_PREFIX),
                );
            }
        }
    }

    async fn configure(
        &self,
        _ctx: &Context,
        config: &Value,
        terraform_version: &str,
    ) -> Diagnostics {
        let mut diags = Diagnostics::new();
        tracing::debug!(terraform_version, "configuring provider");
        let settings = settings_from(config);
        match AwsContext::load(settings).await {
            Ok(aws) => {
                let _ = self.configured.0.set(Arc::new(aws));
            }
            Err(msg) => diags.error("Cannot configure AWS", msg),
        }
        diags
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![
            Arc::new(StateBackend::new(self.configured.clone())),
            Arc::new(EnvironmentResource::new(self.configured.clone())),
        ]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(EnvironmentDataSource::new(
            self.configured.clone(),
        ))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_attribute_is_documented() {
        assert_eq!(
            provider_schema().block.undocumented(&AttrPath::root()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn settings_read_from_config() {
        let config = Value::object([
            ("region", Value::from("eu-west-1")),
            ("endpoint", Value::from("http://127.0.0.1:4566")),
            ("max_retries", Value::int(7)),
            (
                "endpoints",
                Value::object([("s3", Value::from("http://localhost:9000"))]),
            ),
            (
                "default_tags",
                Value::object([(
                    "tags",
                    Value::Map([("team".to_string(), Value::from("platform"))].into()),
                )]),
            ),
        ]);
        let s = settings_from(&config);
        assert_eq!(s.region.as_deref(), Some("eu-west-1"));
        assert_eq!(s.max_retries, 7);
        assert_eq!(
            s.endpoints.get("s3").map(String::as_str),
            Some("http://localhost:9000")
        );
        assert_eq!(
            s.default_tags.get("team").map(String::as_str),
            Some("platform")
        );
        assert!(s.assume_role.is_none());
    }

    #[test]
    fn bad_endpoint_is_diagnosed_with_its_path() {
        let config = Value::object([("endpoint", Value::from("localhost:4566"))]);
        let mut d = Diagnostics::new();
        provider_schema()
            .block
            .validate_value(&config, &AttrPath::root(), &mut d);
        assert!(d.has_errors());
        assert_eq!(d.0[0].path, Some(AttrPath::attr("endpoint")));
        assert!(d.0[0].detail.contains("http://"), "{}", d.0[0].detail);
    }
}
