//! The schema of workload identities (the `workload` map and the computed `workloads`
//! map) and of who reaches the data services (the network's `allowed_cidrs`,
//! `allowed_security_group_ids` and `vpc_endpoints`).

use mosia_tfplugin::{Attribute, Block, Type, Validator, Value};

use super::*;
use crate::resources::environment::spec::{
    CacheAccess, Identity, KafkaAccess, RdsAccess, GATEWAY_ENDPOINT_SERVICES, VPC_ENDPOINT_SERVICES,
};

/// The `network` block's access attributes.
pub(super) fn network_access(b: Block) -> Block {
    b.attr(
        Attribute::of_type("allowed_cidrs", string_list())
            .optional()
            .description(
                "Extra IPv4 CIDR blocks admitted to the data services (RDS, ElastiCache, MSK) \
                 on their ports, e.g. a VPN. The data services admit the EKS cluster's \
                 security group (nodes and pods) and these sources only, never the whole VPC.",
            ),
    )
    .attr(
        Attribute::of_type("allowed_security_group_ids", string_list())
            .optional()
            .description(
                "Extra security groups (`sg-...`) admitted to the data services on their ports, \
                 e.g. a bastion's. An environment with data services and no EKS cluster needs \
                 at least one source here or in `allowed_cidrs`.",
            ),
    )
    .attr(
        Attribute::of_type("vpc_endpoints", Type::set(Type::String))
            .optional_computed()
            .description(&with_tier_default(
                &format!(
                    "VPC endpoints of the network, by service: {}. {} are gateway endpoints \
                     on the private route tables (free); the others are interface endpoints in \
                     the private subnets with private DNS, behind a security group admitting \
                     the VPC on 443. Traffic to these services then stays in the VPC. For \
                     your own VPC the default is none.",
                    choices(VPC_ENDPOINT_SERVICES),
                    choices(GATEWAY_ENDPOINT_SERVICES)
                ),
                |t| {
                    let names: Vec<String> = t.vpc_endpoints.iter().map(code).collect();
                    names.join(", ")
                },
            ))
            .validate(each_one_of(VPC_ENDPOINT_SERVICES)),
    )
    .attr(
        Attribute::of_type("vpc_endpoint_ids", string_map())
            .computed()
            .description("ID of each VPC endpoint (`vpce-...`), by service."),
    )
}

/// `rds.iam_database_authentication`.
pub(super) fn rds_iam_auth() -> Attribute {
    Attribute::bool("iam_database_authentication")
        .default(true)
        .description(
            "Whether the database accepts IAM authentication tokens (`rds-db:connect`), which \
             workloads with `rds = \"read_write\"` use. Production refuses such a workload \
             when it is off.",
        )
}

/// The `workload` attribute: a map of workload objects, by name.
///
/// A map attribute, not labeled blocks: a module passes `workload = var.workloads` as it is,
/// whereas a labeled block's label must be known when a configuration is validated, which
/// module variables never are.
pub(super) fn workload() -> Attribute {
    let msk = Type::object([
        ("topics", string_list()),
        ("groups", string_list()),
        ("access", Type::String),
    ]);
    let entry = Type::object([
        ("namespace", Type::String),
        ("service_account", Type::String),
        ("identity", Type::String),
        ("rds", Type::String),
        ("elasticache", Type::String),
        ("msk", msk),
        ("secrets_manager_arns", string_list()),
        ("s3_buckets", string_list()),
        ("policy_arns", string_list()),
    ]);
    Attribute::of_type("workload", Type::map(entry))
        .optional()
        .object_attributes_optional()
        .description(&workload_description())
        .validate(valid_workloads())
}

fn workload_description() -> String {
    format!(
        "Application identities, by workload name: `workload = {{ orders = {{ namespace = \
         \"shop\", rds = \"read_write\" }} }}`. Each gets an IAM role `ENV-wl-NAME` that the pods \
         of `namespace`/`service_account` assume, with an inline policy generated from the \
         environment's own ARNs that grants what the entry asks and nothing else (no \
         statement on `*`). Adding, changing or removing a workload touches only its own \
         objects. Needs the `eks` block; see `workloads` for the role ARN and connection \
         settings. Attributes of an entry (all optional but `namespace`):\n\n\
         | attribute | meaning |\n|---|---|\n\
         | `namespace` | Kubernetes namespace of the pods: a DNS label (lowercase letters, digits, hyphens; at most 63). Required. |\n\
         | `service_account` | Kubernetes service account (a DNS subdomain, at most 253). Default: the workload's name. |\n\
         | `identity` | {identity}. `pod_identity` (default): an EKS Pod Identity association (the `eks-pod-identity-agent` add-on). `irsa`: trust of the cluster's OIDC provider for `system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT` with audience `sts.amazonaws.com`; the service account needs the annotation `eks.amazonaws.com/role-arn` (the module's manifest output has it). |\n\
         | `rds` | {rds} (default `none`). `read_secret`: `secretsmanager:GetSecretValue`, `DescribeSecret` on the master user's secret. `read_write`: that, plus `rds-db:connect` on `dbuser:RESOURCE_ID/NAME` (database user NAME, the workload's name: create it once with `CREATE USER \"NAME\"; GRANT rds_iam TO \"NAME\";`); needs `rds.iam_database_authentication`. |\n\
         | `elasticache` | {cache} (default `none`). With the cache's `authentication = \"iam\"` (the default): a cache user `NAME-wl-WORKLOAD` (IAM authentication; `read_only`: `on ~* -@all +@read +@connection`, `read_write`: `on ~* +@all -@dangerous`) and `elasticache:Connect` on the replication group and that user only. `connection` has `REDIS_URL` (`rediss://` with TLS) and `REDIS_USER`; the client signs an IAM token as the user. With `authentication = \"token\"`: `secretsmanager:GetSecretValue` and `DescribeSecret` on the token's secret only, and `REDIS_AUTH_SECRET_ARN` in `connection` (both access levels: an AUTH token gives full access). With `authentication = \"none\"`: `REDIS_URL` only, no IAM action. |\n\
         | `msk` | Kafka access through MSK IAM authentication: `{{ topics = [\"orders.*\"], groups = [\"orders-*\"], access = \"read_write\" }}`. `kafka-cluster:Connect`, `DescribeCluster` on the cluster; on `topic/CLUSTER/UUID/PATTERN`: `DescribeTopic` plus `ReadData` ({kafka}: `read`, `read_write`) and `WriteData` (`write`, `read_write`); on `group/CLUSTER/UUID/PATTERN`: `DescribeGroup`, `AlterGroup` (`read`, `read_write`). Patterns: letters, digits, `.`, `_`, `-` and `*` (any run of characters). `access` defaults to `read_write`. With `msk.scram = true`: also a SCRAM user NAME whose password is in the secret `AmazonMSK_ENV-wl-NAME`, and `secretsmanager:GetSecretValue`, `DescribeSecret` on that secret only (`KAFKA_SCRAM_SECRET_ARN`, `KAFKA_SCRAM_BOOTSTRAP_SERVERS` in `connection`; `KAFKA_SASL_MECHANISM = SCRAM-SHA-512` when IAM authentication is off). Any secret above that Mosia encrypted with the environment's customer-managed key adds `kms:Decrypt` on that key, with `kms:ViaService = secretsmanager.REGION.amazonaws.com`. |\n\
         | `secrets_manager_arns` | Extra secrets it may read (`GetSecretValue`, `DescribeSecret`). |\n\
         | `s3_buckets` | Bucket names whose objects it may read and write (`GetObject`, `PutObject`, `DeleteObject` on `BUCKET/*`, `ListBucket` on the bucket); never the bucket's configuration. |\n\
         | `policy_arns` | Managed policies attached as they are: the escape hatch for what the generated policy does not cover. |",
        identity = choices(Identity::NAMES),
        rds = choices(RdsAccess::NAMES),
        cache = choices(CacheAccess::NAMES),
        kafka = choices(KafkaAccess::NAMES),
    )
}

/// Each entry's fields: names, choices and patterns (a missing `namespace` included).
fn valid_workloads() -> Validator {
    Validator::new("valid workload entries", |v| {
        let Value::Map(entries) = v else {
            return Ok(());
        };
        for (name, w) in entries {
            check_workload(w).map_err(|e| format!("workload[{name:?}].{e}"))?;
        }
        Ok(())
    })
}

fn check_workload(w: &Value) -> Result<(), String> {
    let text = |attr: &str| w.get(attr).as_str().map(str::to_string);
    match text("namespace") {
        Some(ns) if valid_dns_label(&ns) => {}
        Some(ns) => return Err(format!("namespace: {ns:?} is not a DNS label (1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit)")),
        None if w.get("namespace").is_unknown() => {}
        None => return Err("namespace: required (the Kubernetes namespace of the pods)".into()),
    }
    if let Some(sa) = text("service_account").filter(|s| !valid_dns_subdomain(s)) {
        return Err(format!("service_account: {sa:?} is not a DNS subdomain (lowercase letters, digits, hyphens and dots, at most 253)"));
    }
    let choices_of: [(&str, &[&str]); 3] = [
        ("identity", Identity::NAMES),
        ("rds", RdsAccess::NAMES),
        ("elasticache", CacheAccess::NAMES),
    ];
    for (attr, allowed) in choices_of {
        if let Some(s) = text(attr).filter(|s| !allowed.contains(&s.as_str())) {
            return Err(format!(
                "{attr}: {s:?} is not allowed; expected one of {}",
                allowed.join(", ")
            ));
        }
    }
    let msk = w.get("msk");
    if let Some(s) = msk
        .get("access")
        .as_str()
        .filter(|s| KafkaAccess::parse(s).is_none())
    {
        return Err(format!(
            "msk.access: {s:?} is not allowed; expected one of {}",
            KafkaAccess::NAMES.join(", ")
        ));
    }
    for list in ["topics", "groups"] {
        for p in msk.get(list).elements() {
            if let Some(p) = p.as_str().filter(|p| !valid_kafka_pattern(p)) {
                return Err(format!("msk.{list}: {p:?} is not a valid pattern: letters, digits, `.`, `_`, `-` and `*`, 1 to 249 characters"));
            }
        }
    }
    Ok(())
}

/// The computed `workloads` map.
pub(super) fn workloads_output() -> Attribute {
    let entry = Type::object([
        ("role_arn", Type::String),
        ("role_name", Type::String),
        ("namespace", Type::String),
        ("service_account", Type::String),
        ("identity", Type::String),
        ("connection", string_map()),
    ]);
    Attribute::of_type("workloads", Type::map(entry))
        .computed()
        .description(
            "Each workload, by name: `role_arn`, `role_name`, `namespace`, `service_account`, \
             `identity`, and `connection`, the environment variables the application needs \
             (`AWS_REGION`; with database access `PGHOST`, `PGPORT`, `PGDATABASE`, \
             `PGUSER`, `DB_SECRET_ARN`; with cache access `REDIS_URL` (`rediss://` with TLS) \
             and `REDIS_USER` or `REDIS_AUTH_SECRET_ARN`; with Kafka access \
             `KAFKA_BOOTSTRAP_SERVERS`, `KAFKA_SASL_MECHANISM`). Never a secret value.",
        )
}

/// A Kubernetes DNS label (namespaces).
pub fn valid_dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A Kubernetes DNS subdomain (service accounts): dot-separated DNS labels, at most 253.
pub fn valid_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(valid_dns_label)
}

/// A Kafka topic or group name pattern: Kafka's name characters plus `*`.
pub fn valid_kafka_pattern(s: &str) -> bool {
    (1..=249).contains(&s.len())
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_service_accounts_and_topic_patterns_follow_their_rules() {
        assert!(valid_dns_label("shop"));
        assert!(!valid_dns_label("Shop"));
        assert!(!valid_dns_label("-shop"));
        assert!(valid_dns_subdomain("orders.v1"));
        assert!(!valid_dns_subdomain("orders..v1"));
        assert!(valid_kafka_pattern("orders.*"));
        assert!(!valid_kafka_pattern("orders/*"));
        assert!(!valid_kafka_pattern(""));
    }
}
