//! The `mosia_environment` data source: reads an existing environment by name, for the
//! stacks of other teams (an application that needs the cluster endpoint, the database
//! endpoint and its secret ARN, the Kafka brokers). Parts are found the way import finds
//! them ([`super::discover`]); the outputs are flat attributes, named `<part>_<output>`.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use mosia_tfplugin::{
    validators, AttrPath, Attribute, Block, Context, DataSource, Diagnostic, Diagnostics, Schema,
    Type, Value,
};
use tokio::time::Instant;

use super::resource::part_env;
use super::schema::valid_environment_name;
use super::{discover, spec};
use crate::resources::configured::Configured;

pub const TYPE_NAME: &str = "mosia_environment";

/// Each output: its name here, where it lives in the resource's state (block, attribute;
/// block "" for the top level), its type and description.
const OUTPUTS: &[(&str, &str, &str, Kind, &str)] = &[
    ("tier", "", "tier", Kind::String, "The tier the environment's settings match best (`dev`, `staging` or `production`): AWS does not record the tier, so it is inferred."),
    ("tags_all", "", "tags_all", Kind::Map, "Tags on the environment's AWS objects, without Mosia's ownership tags."),
    ("part_status", "", "part_status", Kind::Map, "Status of each part found (`ready`, or the AWS status, e.g. `modifying`)."),
    ("estimated_monthly_cost_usd", "", "estimated_monthly_cost_usd", Kind::Number, "Estimated monthly cost in USD at on-demand list prices, as for the resource."),
    ("vpc_id", "network", "vpc_id", Kind::String, "ID of the VPC the environment runs in."),
    ("private_subnet_ids", "network", "private_subnet_ids", Kind::List, "IDs of the private subnets the parts run in, one per AZ."),
    ("public_subnet_ids", "network", "public_subnet_ids", Kind::List, "IDs of the public subnets (load balancers), one per AZ; empty for a VPC the user brought."),
    ("security_group_ids", "network", "security_group_ids", Kind::Map, "Security group of each service, by service (`eks`, `rds`, `elasticache`, `msk`)."),
    ("eks_cluster_name", "eks", "cluster_name", Kind::String, "Name of the EKS cluster; null without EKS."),
    ("eks_cluster_arn", "eks", "arn", Kind::String, "ARN of the EKS cluster; null without EKS."),
    ("eks_version", "eks", "version", Kind::String, "Kubernetes version of the cluster."),
    ("eks_endpoint", "eks", "endpoint", Kind::String, "URL of the Kubernetes API server."),
    ("eks_certificate_authority", "eks", "certificate_authority", Kind::String, "Base64 PEM of the cluster's certificate authority (for kubeconfig)."),
    ("eks_oidc_issuer", "eks", "oidc_issuer", Kind::String, "OIDC issuer URL of the cluster."),
    ("eks_oidc_provider_arn", "eks", "oidc_provider_arn", Kind::String, "ARN of the IAM OIDC provider for IAM roles for service accounts (IRSA)."),
    ("rds_arn", "rds", "arn", Kind::String, "ARN of the RDS primary instance; null without RDS."),
    ("rds_endpoint", "rds", "endpoint", Kind::String, "Host name of the RDS primary instance."),
    ("rds_port", "rds", "port", Kind::Number, "Port of the RDS instances."),
    ("rds_reader_endpoints", "rds", "reader_endpoints", Kind::List, "Host names of the RDS read replicas."),
    ("rds_master_user_secret_arn", "rds", "master_user_secret_arn", Kind::String, "ARN of the Secrets Manager secret holding the master password (the password itself is never read)."),
    ("elasticache_primary_endpoint", "elasticache", "primary_endpoint", Kind::String, "Host name of the ElastiCache primary; null without ElastiCache."),
    ("elasticache_reader_endpoint", "elasticache", "reader_endpoint", Kind::String, "Host name of the ElastiCache reader endpoint (replicas)."),
    ("elasticache_port", "elasticache", "port", Kind::Number, "Port of the ElastiCache endpoints."),
    ("msk_arn", "msk", "arn", Kind::String, "ARN of the MSK cluster; null without MSK."),
    ("msk_bootstrap_brokers_tls", "msk", "bootstrap_brokers_tls", Kind::String, "TLS bootstrap brokers (`host:9094,...`), when TLS is on."),
    ("msk_bootstrap_brokers_iam", "msk", "bootstrap_brokers_iam", Kind::String, "IAM-authenticated bootstrap brokers (`host:9098,...`), when IAM authentication is on."),
    ("msk_bootstrap_brokers", "msk", "bootstrap_brokers", Kind::String, "Plaintext bootstrap brokers, when plaintext is allowed."),
];

#[derive(Clone, Copy)]
enum Kind {
    String,
    Number,
    List,
    Map,
}

pub fn schema() -> Schema {
    let mut block = Block::new(
        "Reads an existing Mosia environment by name: its network, endpoints, secret ARN and \
         brokers, for the stacks of other teams. The environment's parts are found by their \
         ownership tags in the provider's region; reading fails when none exists.",
    )
    .attr(
        Attribute::string("name")
            .required()
            .description("Name of the environment (the `name` of its `mosia_environment`).")
            .validate(validators::string_matches(
                "3-28 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen",
                valid_environment_name,
            )),
    )
    .attr(
        Attribute::string("id")
            .computed()
            .description("The environment name."),
    );
    for (name, _, _, kind, description) in OUTPUTS {
        let ty = match kind {
            Kind::String => Type::String,
            Kind::Number => Type::Number,
            Kind::List => Type::list(Type::String),
            Kind::Map => Type::map(Type::String),
        };
        block = block.attr(
            Attribute::of_type(name, ty)
                .computed()
                .description(description),
        );
    }
    Schema::new(0, block)
}

pub struct EnvironmentDataSource {
    schema: Schema,
    /// The resource's schema: the shape discovery fills.
    resource_schema: &'static Schema,
    configured: Arc<Configured>,
}

impl EnvironmentDataSource {
    pub fn new(configured: Arc<Configured>) -> Self {
        EnvironmentDataSource {
            schema: schema(),
            resource_schema: super::schema::shared(),
            configured,
        }
    }
}

/// The data source's value from an environment state shaped like the resource's.
fn flatten(name: &str, state: &Value) -> Value {
    let mut out = BTreeMap::new();
    out.insert("name".to_string(), Value::from(name));
    out.insert("id".to_string(), Value::from(name));
    for (attr, block, source, kind, _) in OUTPUTS {
        let v = if block.is_empty() {
            state.get(source)
        } else {
            state.get(block).get(source)
        };
        let v = match (v, kind) {
            (Value::Null, Kind::List) if !block.is_empty() && !state.get(block).is_null() => {
                Value::List(vec![])
            }
            (v, _) => v.clone(),
        };
        out.insert(attr.to_string(), v);
    }
    Value::Object(out)
}

#[async_trait]
impl DataSource for EnvironmentDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    async fn read(
        &self,
        ctx: &Context,
        config: &Value,
    ) -> Result<(Value, Diagnostics), Diagnostics> {
        let Some(name) = config.get("name").as_str().map(str::to_string) else {
            return Err(
                Diagnostic::error("Missing environment name", "`name` must be set")
                    .at(AttrPath::attr("name"))
                    .into(),
            );
        };
        let env = part_env(
            &self.configured,
            &name,
            &BTreeMap::new(),
            ctx,
            Instant::now() + spec::DEFAULT_UPDATE_TIMEOUT,
        )?;
        let found = discover::discover(&env, self.resource_schema, &self.configured.default_tags())
            .await
            .map_err(|e| Diagnostics::from(Diagnostic::error(e.headline(), e.to_string())))?;
        match found {
            Some(state) => Ok((flatten(&name, &state), Diagnostics::new())),
            None => Err(Diagnostic::error(
                "Environment not found",
                format!(
                    "no AWS object in region {} carries the tag mosia:environment={name}: check the name and the provider's region",
                    env.aws.region()
                ),
            )
            .at(AttrPath::attr("name"))
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_output_reads_an_attribute_the_resource_has() {
        let resource = super::super::schema::schema();
        for (name, block, source, _, _) in OUTPUTS {
            let b = if block.is_empty() {
                &resource.block
            } else {
                &resource.block.nested(block).expect("block").block
            };
            assert!(
                b.attribute(source).is_some(),
                "{name}: the resource has no {block}.{source}"
            );
        }
    }

    #[test]
    fn flatten_takes_outputs_from_their_blocks_and_nulls_missing_parts() {
        let state = Value::object([
            ("tier", Value::from("staging")),
            (
                "network",
                Value::object([("vpc_id", Value::from("vpc-12345678"))]),
            ),
            (
                "rds",
                Value::object([
                    ("endpoint", Value::from("db.example")),
                    ("reader_endpoints", Value::Null),
                ]),
            ),
            ("msk", Value::Null),
        ]);
        let v = flatten("mosia-stg", &state);
        assert_eq!(v.get("tier").as_str(), Some("staging"));
        assert_eq!(v.get("vpc_id").as_str(), Some("vpc-12345678"));
        assert_eq!(v.get("rds_endpoint").as_str(), Some("db.example"));
        assert_eq!(v.get("rds_reader_endpoints"), &Value::List(vec![]));
        assert!(v.get("msk_arn").is_null());
        assert_eq!(v.get("id").as_str(), Some("mosia-stg"));
        // Every attribute of the schema is present in the value.
        let Value::Object(m) = &v else { panic!() };
        for a in &schema().block.attributes {
            assert!(m.contains_key(&a.name), "{} missing", a.name);
        }
    }
}
