//! Checks that relate attributes, or depend on the tier, run at validate and plan time so a
//! bad environment is diagnosed before anything is created. (Single-attribute formats and
//! ranges are schema validators.)
//!
//! The configuration may hold unknown values (from other resources): a check that needs one
//! is skipped, and runs again when Terraform validates the known configuration at apply.
//! Values the configuration leaves out are checked at their tier defaults, which pass every
//! guardrail of their tier; so production guardrails fire only on values the user wrote.
//!
//! Rules (each diagnostic points at the attribute to change and says what is allowed):
//! - `tags`: no keys starting with `mosia:` (ownership tags).
//! - `network`: required when a service block is present; either a network Mosia creates
//!   (`cidr_block`, `az_count`, `nat_gateway`) or your own (`vpc_id` and `subnet_ids`
//!   together), never a mix; `cidr_block` a canonical IPv4 CIDR from /16 to /24 with room
//!   for a public and a private subnet per AZ of at least /27; at least 2 AZs (or 2 subnets)
//!   for EKS, RDS and MSK; subnet IDs well formed and distinct; no `nat_gateway = "none"`
//!   with EKS (nodes pull images through it).
//! - `eks`: `version` 1.28 to 1.39; at least one endpoint on; `public_access_cidrs` only with
//!   a public endpoint, each a CIDR; node group names 1-32 letters, digits, `-`, `_`;
//!   `instance_types` non-empty, known EC2 types, one architecture; `min_size <=
//!   desired_size <= max_size`; `ami_type` of the instance types' architecture; at most 50
//!   taints, keys 1-63 and values up to 63 characters; `max_unavailable` or
//!   `max_unavailable_percentage`, not both. Access entries: one per principal,
//!   `cluster-admin` cluster-wide, namespaces valid names; `kms_key_arn` only with
//!   `secrets_encryption`. Add-ons: no duplicates, `addon` settings only for listed add-ons,
//!   `configuration` JSON, `aws-ebs-csi-driver` with `eks-pod-identity-agent`.
//! - `rds`: `engine_version` major 13 to 18; known `db.` class; `max_allocated_storage_gb` at
//!   least 10% above `allocated_storage_gb`; no read replicas (RDS refuses them of an
//!   instance whose master password Secrets Manager manages, as Mosia's always is).
//! - `elasticache`: `engine_version` Redis OSS 6-7 or Valkey 7-8; known `cache.` type;
//!   automatic failover needs a replica; Multi-AZ needs automatic failover; `authentication =
//!   "iam"` needs `transit_encryption` and Redis OSS 7+ (or Valkey), `"token"` needs
//!   `transit_encryption`.
//! - `msk`: `kafka_version` 2.8+, 3.x or 4.x; known `kafka.` type; `tls` authentication needs
//!   CA ARNs (and only it takes them); IAM and TLS authentication need TLS (only) in transit;
//!   `configuration` only properties MSK allows, with values, `default.replication.factor` at
//!   most the broker count and `min.insync.replicas` at most the replication factor (production:
//!   replication at least 3, `min.insync.replicas` at least 2, no unclean leader election). The
//!   broker count is `brokers_per_az` × AZs, a multiple of the AZ count by construction.
//! - `workload`: a name of lowercase letters, digits and single hyphens; needs `eks`, and the
//!   services it asks access to (`msk` access needs IAM client authentication); its role
//!   `NAME-wl-WORKLOAD` fits IAM's 64 characters.
//! - data services (`rds`, `elasticache`, `msk`) without `eks` need
//!   `network.allowed_cidrs` or `network.allowed_security_group_ids` (they admit nothing
//!   else).
//! - production only: a customer-managed key (`customer_managed_key` not false, or
//!   `kms_key_arn`); a workload's `rds = "read_write"` needs IAM database authentication;
//!   no `/0` in `network.allowed_cidrs`; RDS `multi_az` not false, `backup_retention_days` >= 7,
//!   `deletion_protection` not false; ElastiCache `automatic_failover` not false,
//!   `replicas` >= 1 and `authentication` not `none`; MSK at least 3 brokers; EKS `endpoint_public_access` not true unless
//!   `public_endpoint_acknowledged = true`; EKS `creator_admin = true` only with a
//!   `cluster-admin` access entry unless `creator_admin_acknowledged = true`.
//!
//! This file holds what the checks share (the lenient reading, the tier context, tags); each
//! service's checks live in `guardrails/<service>.rs`.

use mosia_tfplugin::{AttrPath, Diagnostic, Diagnostics, Known, Reader, Value};

use super::cost::{lookup, Service};
use super::spec::{Tier, TierDefaults};
use crate::aws::tags::OWNERSHIP_PREFIX;

mod cache;
mod eks;
mod eks_access;
mod monitoring;
mod msk;
mod msk_configuration;
mod network;
mod rds;
mod windows;
mod workloads;

/// Kubernetes minor versions accepted for EKS (1.MINOR): from the oldest EKS still runs
/// (extended support) to a few releases ahead, so new versions work without a provider
/// release while typos like "1.3" are caught.
pub const EKS_MINOR_VERSIONS: std::ops::RangeInclusive<u32> = 28..=39;
/// PostgreSQL major versions RDS offers.
pub const POSTGRES_MAJOR_VERSIONS: std::ops::RangeInclusive<u32> = 13..=18;
/// Production's shortest backup retention.
pub const PRODUCTION_MIN_BACKUP_DAYS: i64 = 7;
/// Production's smallest MSK cluster: 3 brokers keep a replication factor of 3.
pub const PRODUCTION_MIN_BROKERS: i64 = 3;

const SERVICES: [&str; 4] = ["eks", "rds", "elasticache", "msk"];
/// Services whose AWS resources must span at least two AZs (EKS clusters, RDS subnet
/// groups, MSK clusters).
const MULTI_AZ_SERVICES: [&str; 3] = ["eks", "rds", "msk"];

/// Runs every guardrail over a configuration, adding errors with attribute paths.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    if !matches!(config, Value::Object(_)) {
        return;
    }
    let ctx = Ctx::new(config);
    check_tags(&ctx.config, diags);
    network::check_network(&ctx, diags);
    if let Some(eks) = block(&ctx.config, "eks") {
        eks::check_eks(&ctx, &eks, diags);
    }
    if let Some(rds) = block(&ctx.config, "rds") {
        rds::check_rds(&ctx, &rds, diags);
    }
    if let Some(cache) = block(&ctx.config, "elasticache") {
        cache::check_elasticache(&ctx, &cache, diags);
    }
    if let Some(msk) = block(&ctx.config, "msk") {
        msk::check_msk(&ctx, &msk, diags);
    }
    workloads::check_workloads(&ctx, diags);
    workloads::check_data_sources(&ctx, diags);
    check_encryption(&ctx, diags);
    monitoring::check_monitoring(&ctx.config, diags);
}

/// Production encrypts with a customer-managed key: its own, or the user's.
fn check_encryption(ctx: &Ctx, d: &mut Diagnostics) {
    let off = boolean(&ctx.config, "customer_managed_key").value() == Some(false);
    if ctx.production() && off && ctx.config.is_null("kms_key_arn") {
        production_error(
            d,
            AttrPath::attr("customer_managed_key"),
            "production encrypts its data, secrets and logs with a customer-managed KMS key: \
             leave `customer_managed_key` at `true`, or give your key in `kms_key_arn`"
                .into(),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the configuration

/// Guardrails read leniently: a value of the wrong type cannot pass Terraform's conversion
/// (and the schema reports what it can), so it counts as not known and its checks are
/// skipped, like an unknown value (e.g. a module variable during `validate`): they run again
/// once it is known.
fn lenient<T>(got: Result<Known<T>, Diagnostic>) -> Known<T> {
    got.unwrap_or(Known::Unknown)
}

fn int(b: &Reader, name: &str) -> Known<i64> {
    lenient(b.opt_i64(name))
}

fn boolean(b: &Reader, name: &str) -> Known<bool> {
    lenient(b.opt_bool(name))
}

fn string<'v>(b: &Reader<'v>, name: &str) -> Known<&'v str> {
    lenient(b.opt_str(name))
}

/// A present, known block.
fn block<'v>(r: &Reader<'v>, name: &str) -> Option<Reader<'v>> {
    lenient(r.block(name)).value()
}

/// Inputs several checks share.
struct Ctx<'v> {
    config: Reader<'v>,
    /// None while the tier is unknown (or invalid, which the schema reports).
    tier: Option<Tier>,
    defaults: Option<&'static TierDefaults>,
    /// AZs of the network, defaults included; None while unknown or without a network.
    network_azs: Option<usize>,
}

impl<'v> Ctx<'v> {
    fn new(config: &'v Value) -> Self {
        let config = Reader::new(config);
        let tier = string(&config, "tier").value().and_then(Tier::parse);
        let defaults = tier.map(Tier::defaults);
        Ctx {
            network_azs: network::network_azs(&config, defaults),
            config,
            tier,
            defaults,
        }
    }

    fn production(&self) -> bool {
        self.tier == Some(Tier::Production)
    }
}

fn production_error(d: &mut Diagnostics, at: AttrPath, detail: String) {
    d.error_at(
        at,
        "Production guardrail",
        format!("{detail} (tier = \"production\")"),
    );
}

fn check_instance_type(d: &mut Diagnostics, at: AttrPath, service: Service, name: &str) {
    if let Err(e) = lookup(service, name) {
        d.error_at(at, "Unknown instance type", e.message().to_string());
    }
}

fn check_tags(config: &Reader, d: &mut Diagnostics) {
    let Known::Value(tags) = lenient(config.entries("tags")) else {
        return;
    };
    for (_, tag) in tags.iter().filter(|(k, _)| k.starts_with(OWNERSHIP_PREFIX)) {
        d.error_at(
            tag.path().clone(),
            "Reserved tag key",
            format!(
                "tag keys starting with {OWNERSHIP_PREFIX:?} are reserved for Mosia's ownership tags"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::environment::schema::schema;
    use crate::resources::environment::spec::tests::{config, node_group_mut};
    use mosia_tfplugin::diagnostics::Severity;
    use serde_json::json;

    /// What Terraform's validate shows: the schema validators, then the guardrails.
    fn diagnose(cfg: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        schema()
            .block
            .validate_value(cfg, &AttrPath::root(), &mut d);
        validate(cfg, &mut d);
        d
    }

    /// Exactly one error, at `path`, whose detail contains `fragment`.
    #[track_caller]
    fn assert_one_error(cfg: &Value, want_path: &str, fragment: &str) {
        let d = diagnose(cfg);
        assert_eq!(d.0.len(), 1, "expected one diagnostic, got:\n{d}");
        let diag = &d.0[0];
        assert_eq!(diag.severity, Severity::Error);
        assert_eq!(
            diag.path.as_ref().map(|p| p.to_string()).as_deref(),
            Some(want_path),
            "{d}"
        );
        assert!(
            diag.detail.contains(fragment),
            "{:?} lacks {fragment:?}",
            diag.detail
        );
    }

    #[track_caller]
    fn assert_clean(cfg: &Value) {
        let d = diagnose(cfg);
        assert!(d.is_empty(), "expected no diagnostics, got:\n{d}");
    }

    /// A complete production environment that respects every guardrail.
    fn production() -> serde_json::Value {
        json!({
            "name": "mosia-prod",
            "tier": "production",
            "tags": { "cost-center": "42" },
            "network": { "cidr_block": "10.20.0.0/16", "az_count": 3 },
            "eks": {
                "version": "1.31",
                "endpoint_public_access": false,
                "access_entry": { "platform": {
                    "principal_arn": "arn:aws:iam::123456789012:role/PlatformAdmins",
                    "policy": "cluster-admin"
                } },
                "node_group": { "general": {
                    "instance_types": ["m6i.large", "m6a.large"],
                    "min_size": 2, "max_size": 6, "desired_size": 3
                } }
            },
            "rds": {
                "engine": "postgres", "engine_version": "16.4", "instance_class": "db.r7g.large",
                "allocated_storage_gb": 100, "max_allocated_storage_gb": 500, "multi_az": true,
                "backup_retention_days": 14, "deletion_protection": true, "read_replicas": 0,
                "parameters": { "log_min_duration_statement": "500" }
            },
            "elasticache": { "engine": "redis", "engine_version": "7.1",
                             "node_type": "cache.r7g.large", "replicas": 2,
                             "automatic_failover": true, "multi_az": true },
            "msk": { "kafka_version": "3.6.0", "broker_instance_type": "kafka.m7g.large",
                     "brokers_per_az": 1, "storage_gb": 1000 },
            "timeouts": { "create": "90m", "update": "1h30m", "delete": "60m" },
        })
    }

    fn with(base: serde_json::Value, block: &str, attr: &str, v: serde_json::Value) -> Value {
        let mut j = base;
        if block.is_empty() {
            j[attr] = v;
        } else {
            j[block][attr] = v;
        }
        config(j)
    }

    fn prod_with(block: &str, attr: &str, v: serde_json::Value) -> Value {
        with(production(), block, attr, v)
    }

    fn dev_with(block: &str, attr: &str, v: serde_json::Value) -> Value {
        let mut j = production();
        j["tier"] = json!("dev");
        with(j, block, attr, v)
    }

    #[test]
    fn good_production_config_has_no_diagnostics() {
        assert_clean(&config(production()));
    }

    #[test]
    fn production_defaults_pass_production_guardrails() {
        // The one thing production needs written down: who administers the cluster.
        let admins = json!({ "ops": {
            "principal_arn": "arn:aws:iam::123456789012:role/Ops", "policy": "cluster-admin"
        } });
        assert_clean(&config(json!({
            "name": "mosia-prod", "tier": "production",
            "network": {}, "eks": { "access_entry": admins, "node_group": { "general": {} } },
            "rds": {}, "elasticache": {}, "msk": { "kafka_version": "3.6.0" },
        })));
        // 2 AZs: the default brokers_per_az rises to 2.
        assert_clean(&config(json!({
            "name": "mosia-prod", "tier": "production",
            "network": { "az_count": 2, "allowed_cidrs": ["10.99.0.0/24"] }, "msk": { "kafka_version": "3.6.0" },
        })));
    }

    #[test]
    fn production_needs_a_cluster_admin_besides_the_creator() {
        let mut j = production();
        j["eks"]["access_entry"]["platform"]["policy"] = json!("view");
        assert_one_error(
            &config(j.clone()),
            "eks.creator_admin",
            "add an access_entry",
        );
        j["eks"]["creator_admin_acknowledged"] = json!(true);
        assert_clean(&config(j.clone()));
        j["tier"] = json!("dev");
        j["eks"]["creator_admin_acknowledged"] = json!(false);
        assert_clean(&config(j));
    }

    #[test]
    fn access_entries_are_checked() {
        let entry = |policy: &str, ns: serde_json::Value| {
            json!({ "principal_arn": "arn:aws:iam::123456789012:role/Dev",
                    "policy": policy, "namespaces": ns })
        };
        let mut j = production();
        j["eks"]["access_entry"]["dev"] = entry("cluster-admin", json!(["apps"]));
        assert_one_error(
            &config(j.clone()),
            "eks.access_entry[\"dev\"].namespaces",
            "whole cluster",
        );
        j["eks"]["access_entry"]["dev"] = entry("edit", json!(["Apps_1"]));
        assert_one_error(
            &config(j.clone()),
            "eks.access_entry[\"dev\"].namespaces",
            "namespace name",
        );
        j["eks"]["access_entry"]["dev"] = entry("edit", json!(["apps"]));
        assert_clean(&config(j.clone()));
        j["eks"]["access_entry"]["again"] = entry("view", json!([]));
        assert_one_error(
            &config(j),
            "eks.access_entry[\"dev\"].principal_arn",
            "one access entry per principal",
        );
    }

    #[test]
    fn addons_and_their_settings_are_checked() {
        let mut j = production();
        j["eks"]["addons"] = json!(["vpc-cni", "vpc-cni"]);
        assert_one_error(&config(j.clone()), "eks.addons", "listed twice");
        j["eks"]["addons"] = json!(["aws-ebs-csi-driver"]);
        assert_one_error(&config(j.clone()), "eks.addons", "eks-pod-identity-agent");
        j["eks"]["addons"] = json!(["vpc-cni"]);
        j["eks"]["addon"] = json!({ "coredns": { "version": "latest" } });
        assert_one_error(
            &config(j.clone()),
            "eks.addon[\"coredns\"]",
            "not in addons",
        );
        j["eks"].as_object_mut().unwrap().remove("addons");
        j["eks"]["addon"] = json!({ "coredns": { "configuration": "{replicaCount: 3}" } });
        assert_one_error(
            &config(j.clone()),
            "eks.addon[\"coredns\"].configuration",
            "must be JSON",
        );
        j["eks"]["addon"] = json!({ "coredns": { "configuration": "{\"replicaCount\": 3}" } });
        assert_clean(&config(j));
    }

    #[test]
    fn node_group_update_settings_are_checked() {
        let mut j = production();
        let g = &mut j["eks"]["node_group"]["general"];
        g["max_unavailable"] = json!(1);
        g["max_unavailable_percentage"] = json!(20);
        let at = |a: &str| format!("eks.node_group[\"general\"].{a}");
        assert_one_error(
            &config(j.clone()),
            &at("max_unavailable_percentage"),
            "not both",
        );
        let g = &mut j["eks"]["node_group"]["general"];
        g.as_object_mut()
            .unwrap()
            .remove("max_unavailable_percentage");
        g["ami_type"] = json!("AL2023_ARM_64_STANDARD");
        assert_one_error(&config(j.clone()), &at("ami_type"), "is x86_64");
        let g = &mut j["eks"]["node_group"]["general"];
        g["ami_type"] = json!("BOTTLEROCKET_x86_64");
        g["taints"] = json!([{ "key": "", "value": null, "effect": "NO_SCHEDULE" }]);
        assert_one_error(&config(j.clone()), &at("taints[0].key"), "1 to 63");
        j["eks"]["node_group"]["general"]["taints"] =
            json!([{ "key": "dedicated", "value": null, "effect": "NO_SCHEDULE" }]);
        assert_clean(&config(j));
    }

    #[test]
    fn a_kms_key_needs_secrets_encryption() {
        let mut j = production();
        j["eks"]["secrets_encryption"] = json!(false);
        j["eks"]["kms_key_arn"] = json!("arn:aws:kms:us-east-1:123456789012:key/abc");
        assert_one_error(&config(j), "eks.kms_key_arn", "secrets_encryption = true");
    }

    #[test]
    fn dev_gets_no_production_guardrails() {
        let mut j = production();
        j["tier"] = json!("dev");
        j["rds"]["multi_az"] = json!(false);
        j["rds"]["backup_retention_days"] = json!(1);
        j["rds"]["deletion_protection"] = json!(false);
        j["elasticache"]["replicas"] = json!(0);
        j["elasticache"]["automatic_failover"] = json!(false);
        j["elasticache"]["multi_az"] = json!(false);
        j["eks"]["endpoint_public_access"] = json!(true);
        j["network"]["az_count"] = json!(2);
        assert_clean(&config(j.clone()));
        j["tier"] = json!("staging");
        assert_clean(&config(j));
    }

    // --- production guardrails

    #[test]
    fn production_encrypts_with_a_customer_managed_key() {
        let mut j = production();
        j["customer_managed_key"] = serde_json::json!(false);
        assert_one_error(&config(j.clone()), "customer_managed_key", "kms_key_arn");
        j["kms_key_arn"] = serde_json::json!("arn:aws:kms:us-east-1:123456789012:key/k");
        let mut d = Diagnostics::new();
        validate(&config(j), &mut d);
        assert!(!d.has_errors(), "{d:?}");
    }

    #[test]
    fn production_rds_must_be_multi_az() {
        assert_one_error(
            &prod_with("rds", "multi_az", json!(false)),
            "rds.multi_az",
            "multi_az = true",
        );
    }

    #[test]
    fn production_rds_keeps_a_week_of_backups() {
        let cfg = prod_with("rds", "backup_retention_days", json!(3));
        assert_one_error(
            &cfg,
            "rds.backup_retention_days",
            "at least 7 days of backups; got 3",
        );
    }

    #[test]
    fn production_rds_keeps_deletion_protection() {
        let cfg = prod_with("rds", "deletion_protection", json!(false));
        assert_one_error(
            &cfg,
            "rds.deletion_protection",
            "deletion_protection = true",
        );
    }

    #[test]
    fn iam_cache_authentication_needs_tls_and_redis_7() {
        assert_one_error(
            &dev_with("elasticache", "transit_encryption", json!(false)),
            "elasticache.authentication",
            "only with in-transit encryption",
        );
        assert_one_error(
            &dev_with("elasticache", "engine_version", json!("6.2")),
            "elasticache.engine_version",
            "from Redis OSS 7.0 on",
        );
        let mut j = production();
        j["tier"] = json!("dev");
        j["elasticache"]["engine_version"] = json!("6.2");
        j["elasticache"]["transit_encryption"] = json!(false);
        j["elasticache"]["authentication"] = json!("none");
        assert_clean(&config(j));
    }

    #[test]
    fn a_cache_auth_token_needs_tls() {
        let mut j = production();
        j["tier"] = json!("dev");
        j["elasticache"]["authentication"] = json!("token");
        j["elasticache"]["engine_version"] = json!("6.2");
        assert_clean(&config(j.clone()));
        j["elasticache"]["transit_encryption"] = json!(false);
        assert_one_error(
            &config(j),
            "elasticache.authentication",
            "an AUTH token only with in-transit encryption",
        );
        assert_clean(&prod_with("elasticache", "authentication", json!("token")));
    }

    #[test]
    fn production_cache_authenticates_its_clients() {
        assert_one_error(
            &prod_with("elasticache", "authentication", json!("none")),
            "elasticache.authentication",
            "authentication = \"iam\" or \"token\"",
        );
        assert_clean(&dev_with("elasticache", "authentication", json!("none")));
    }

    #[test]
    fn workload_names_fit_role_names_and_cache_user_ids() {
        for bad in ["Orders", "orders_1", "1orders", "orders-", "a--b"] {
            let mut j = production();
            j["workload"] = json!({ bad: { "namespace": "shop" } });
            assert_one_error(
                &config(j),
                &format!("workload[\"{bad}\"]"),
                "lowercase letters",
            );
        }
        let mut j = production();
        j["workload"] = json!({ "orders-2": { "namespace": "shop" } });
        assert_clean(&config(j));
    }

    #[test]
    fn production_cache_fails_over() {
        let mut j = production();
        j["elasticache"]["automatic_failover"] = json!(false);
        j["elasticache"]["multi_az"] = json!(null);
        assert_one_error(
            &config(j),
            "elasticache.automatic_failover",
            "automatic_failover = true",
        );
    }

    #[test]
    fn production_cache_keeps_a_replica() {
        let mut j = production();
        j["elasticache"]["replicas"] = json!(0);
        j["elasticache"]["automatic_failover"] = json!(null);
        j["elasticache"]["multi_az"] = json!(null);
        assert_one_error(&config(j), "elasticache.replicas", "at least 1 replica");
    }

    #[test]
    fn production_msk_runs_three_brokers() {
        let mut j = production();
        j["network"]["az_count"] = json!(2);
        assert_one_error(
            &config(j),
            "msk.brokers_per_az",
            "1 per AZ × 2 AZs is 2: set brokers_per_az = 2",
        );
    }

    #[test]
    fn production_eks_endpoint_is_private_unless_acknowledged() {
        let cfg = prod_with("eks", "endpoint_public_access", json!(true));
        assert_one_error(
            &cfg,
            "eks.endpoint_public_access",
            "public_endpoint_acknowledged = true",
        );
        let mut j = production();
        j["eks"]["endpoint_public_access"] = json!(true);
        j["eks"]["public_endpoint_acknowledged"] = json!(true);
        j["eks"]["public_access_cidrs"] = json!(["203.0.113.0/24"]);
        assert_clean(&config(j));
    }

    #[test]
    fn unknown_tier_skips_tier_guardrails() {
        let mut cfg = prod_with("rds", "multi_az", json!(false));
        cfg.set_attr("tier", Value::unknown());
        assert_clean(&cfg);
    }

    // --- network

    #[test]
    fn services_need_a_network() {
        let mut j = production();
        j["network"] = json!(null);
        assert_one_error(
            &config(j),
            "network",
            "eks, rds, elasticache, msk run in the environment's VPC",
        );
        assert_clean(&config(json!({ "name": "mosia-dev", "tier": "dev" })));
    }

    #[test]
    fn cidr_must_be_a_canonical_block() {
        let cfg = prod_with("network", "cidr_block", json!("10.20.0.0/33"));
        assert_one_error(&cfg, "network.cidr_block", "invalid prefix length");
        let cfg = prod_with("network", "cidr_block", json!("10.20.1.0/16"));
        assert_one_error(&cfg, "network.cidr_block", "block starts at 10.20.0.0/16");
        let cfg = prod_with("network", "cidr_block", json!("ten.0.0.0/16"));
        assert_one_error(&cfg, "network.cidr_block", "expected an IPv4 CIDR block");
    }

    #[test]
    fn vpc_cidr_is_16_to_24() {
        let cfg = prod_with("network", "cidr_block", json!("10.0.0.0/8"));
        assert_one_error(&cfg, "network.cidr_block", "from /16 to /24; got /8");
        let cfg = prod_with("network", "cidr_block", json!("10.0.0.0/26"));
        assert_one_error(&cfg, "network.cidr_block", "from /16 to /24; got /26");
    }

    #[test]
    fn cidr_must_leave_room_for_subnets() {
        let mut j = production();
        j["network"] = json!({ "cidr_block": "10.0.0.0/24", "az_count": 5 });
        assert_one_error(
            &config(j.clone()),
            "network.cidr_block",
            "gives /28 subnets",
        );
        assert!(diagnose(&config(j.clone())).0[0]
            .detail
            .contains("use a /23 or larger block"));
        j["network"]["az_count"] = json!(4);
        assert_clean(&config(j));
    }

    #[test]
    fn multi_az_services_need_two_azs() {
        let cfg = dev_with("network", "az_count", json!(1));
        assert_one_error(
            &cfg,
            "network.az_count",
            "eks, rds, msk need at least 2 Availability Zones",
        );
        // A cache alone may live in one AZ.
        assert_clean(&config(json!({
            "name": "mosia-dev", "tier": "dev", "network": { "az_count": 1, "allowed_cidrs": ["10.99.0.0/24"] }, "elasticache": {},
        })));
    }

    #[test]
    fn eks_needs_a_nat_gateway() {
        let cfg = dev_with("network", "nat_gateway", json!("none"));
        assert_one_error(
            &cfg,
            "network.nat_gateway",
            "use nat_gateway = \"single\" or \"per_az\"",
        );
    }

    fn own_network(net: serde_json::Value) -> Value {
        let mut j = production();
        j["network"] = net;
        config(j)
    }

    #[test]
    fn own_network_is_valid_with_vpc_and_subnets() {
        assert_clean(&own_network(json!({
            "vpc_id": "vpc-0123456789abcdef0",
            "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1", "subnet-0123abcd"],
        })));
    }

    #[test]
    fn own_network_cannot_mix_with_created_network() {
        let cfg = own_network(json!({
            "cidr_block": "10.0.0.0/16", "vpc_id": "vpc-0123abcd",
            "subnet_ids": ["subnet-0123abcd", "subnet-0123abce", "subnet-0123abcf"],
        }));
        assert_one_error(&cfg, "network.cidr_block", "leave it out");
    }

    #[test]
    fn own_network_needs_vpc_id_and_subnet_ids_together() {
        let cfg = own_network(
            json!({ "subnet_ids": ["subnet-0123abcd", "subnet-0123abce", "subnet-0123abcf"] }),
        );
        assert_one_error(&cfg, "network.vpc_id", "also set vpc_id");
        let cfg = own_network(json!({ "vpc_id": "vpc-0123abcd" }));
        assert_one_error(
            &cfg,
            "network.subnet_ids",
            "at least 2 of its private subnets",
        );
    }

    #[test]
    fn own_network_needs_two_good_distinct_subnets() {
        let cfg =
            own_network(json!({ "vpc_id": "vpc-0123abcd", "subnet_ids": ["subnet-0123abcd"] }));
        assert_one_error(&cfg, "network.subnet_ids", "at least 2 subnets in different Availability Zones are needed (EKS, RDS and MSK span two AZs); got 1");
        let cfg = own_network(
            json!({ "vpc_id": "vpc-0123abcd", "subnet_ids": ["subnet-0123abcd", "sg-0123abcd", "subnet-0123abce"] }),
        );
        assert_one_error(
            &cfg,
            "network.subnet_ids[1]",
            "expected subnet- and 8 or 17 hexadecimal digits",
        );
        let cfg = own_network(
            json!({ "vpc_id": "vpc-0123abcd", "subnet_ids": ["subnet-0123abcd", "subnet-0123abce", "subnet-0123abcd"] }),
        );
        assert_one_error(&cfg, "network.subnet_ids[2]", "listed twice");
    }

    #[test]
    fn own_network_vpc_id_format_is_checked() {
        let cfg = own_network(
            json!({ "vpc_id": "vpc-xyz", "subnet_ids": ["subnet-0123abcd", "subnet-0123abce", "subnet-0123abcf"] }),
        );
        assert_one_error(
            &cfg,
            "network.vpc_id",
            "vpc- and 8 or 17 hexadecimal digits",
        );
    }

    // --- EKS

    #[test]
    fn eks_version_must_be_plausible() {
        let cfg = prod_with("eks", "version", json!("1.3"));
        assert_one_error(&cfg, "eks.version", "expected 1.28 to 1.39");
        let cfg = prod_with("eks", "version", json!("2.0"));
        assert_one_error(&cfg, "eks.version", "such as \"1.31\"");
    }

    #[test]
    fn eks_needs_an_endpoint() {
        let cfg = prod_with("eks", "endpoint_private_access", json!(false));
        assert_one_error(
            &cfg,
            "eks.endpoint_private_access",
            "set endpoint_private_access = true",
        );
    }

    #[test]
    fn public_access_cidrs_need_a_public_endpoint_and_valid_blocks() {
        let cfg = prod_with("eks", "public_access_cidrs", json!(["203.0.113.0/24"]));
        assert_one_error(&cfg, "eks.public_access_cidrs", "which is off");
        let mut j = production();
        j["tier"] = json!("dev");
        j["eks"]["endpoint_public_access"] = json!(true);
        j["eks"]["public_access_cidrs"] = json!(["203.0.113.0/24", "203.0.113.7/24"]);
        assert_one_error(&config(j), "eks.public_access_cidrs[1]", "host bits set");
    }

    fn node_group(attrs: serde_json::Value) -> Value {
        let mut j = production();
        j["eks"]["node_group"]["general"] = attrs;
        config(j)
    }

    #[test]
    fn node_group_sizes_are_ordered() {
        let cfg = node_group(json!({ "min_size": 4, "max_size": 2, "desired_size": 3 }));
        assert_one_error(
            &cfg,
            "eks.node_group[\"general\"].max_size",
            "max_size (2) must be at least min_size (4)",
        );
        let cfg = node_group(json!({ "min_size": 2, "max_size": 4, "desired_size": 5 }));
        assert_one_error(
            &cfg,
            "eks.node_group[\"general\"].desired_size",
            "between min_size (2) and max_size (4)",
        );
        // Production's default min_size is 3.
        let cfg = node_group(json!({ "desired_size": 2 }));
        assert_one_error(
            &cfg,
            "eks.node_group[\"general\"].desired_size",
            "desired_size (2) must be between min_size (3) and max_size (6)",
        );
        // A configured min above the tier's max raises the default max.
        assert_clean(&node_group(json!({ "min_size": 8 })));
    }

    #[test]
    fn node_group_sizes_with_unknowns_are_skipped() {
        let mut cfg = node_group(json!({ "min_size": 4, "max_size": 2 }));
        node_group_mut(&mut cfg, "general").set_attr("max_size", Value::unknown());
        assert_clean(&cfg);
    }

    #[test]
    fn node_group_instance_types_must_be_known() {
        let cfg = node_group(json!({ "instance_types": ["m6i.large", "x2gd.large"] }));
        assert_one_error(
            &cfg,
            "eks.node_group[\"general\"].instance_types[1]",
            "known families: t3, t3a, t4g",
        );
        let cfg = node_group(json!({ "instance_types": ["m6i.medium"] }));
        assert_one_error(
            &cfg,
            "eks.node_group[\"general\"].instance_types[0]",
            "m6i comes in sizes large, xlarge",
        );
        let cfg = node_group(json!({ "instance_types": ["large"] }));
        assert_one_error(
            &cfg,
            "eks.node_group[\"general\"].instance_types[0]",
            "expected FAMILY.SIZE",
        );
        let cfg = node_group(json!({ "instance_types": [] }));
        assert_one_error(
            &cfg,
            "eks.node_group[\"general\"].instance_types",
            "at least one",
        );
    }

    #[test]
    fn node_group_instance_types_share_an_architecture() {
        let cfg = node_group(json!({ "instance_types": ["m6i.large", "m7g.large"] }));
        assert_one_error(
            &cfg,
            "eks.node_group[\"general\"].instance_types[1]",
            "\"m7g.large\" is arm64 but \"m6i.large\" is x86_64",
        );
    }

    #[test]
    fn node_group_names_are_checked() {
        let mut j = production();
        j["eks"]["node_group"] = json!({ "bad name!": {} });
        assert_one_error(
            &config(j),
            "eks.node_group[\"bad name!\"]",
            "1-32 letters, digits",
        );
    }

    // --- RDS

    #[test]
    fn rds_engine_version_must_be_plausible() {
        for bad in ["9.6", "19", "16.4.1", "sixteen"] {
            let cfg = prod_with("rds", "engine_version", json!(bad));
            assert_one_error(&cfg, "rds.engine_version", "major version from 13 to 18");
        }
        assert_clean(&prod_with("rds", "engine_version", json!("17")));
    }

    #[test]
    fn rds_instance_class_must_be_known() {
        let cfg = prod_with("rds", "instance_class", json!("db.x2g.large"));
        assert_one_error(&cfg, "rds.instance_class", "known families: db.t3, db.t4g");
        let cfg = prod_with("rds", "instance_class", json!("m6i.large"));
        assert_one_error(&cfg, "rds.instance_class", "expected db.FAMILY.SIZE");
    }

    #[test]
    fn rds_storage_bounds() {
        let cfg = prod_with("rds", "allocated_storage_gb", json!(10));
        assert_one_error(&cfg, "rds.allocated_storage_gb", "from 20 to 65536");
        let cfg = prod_with("rds", "allocated_storage_gb", json!(70000));
        assert_one_error(&cfg, "rds.allocated_storage_gb", "from 20 to 65536");
        let cfg = prod_with("rds", "max_allocated_storage_gb", json!(105));
        assert_one_error(
            &cfg,
            "rds.max_allocated_storage_gb",
            "allocated_storage_gb (100): 110 or more",
        );
    }

    #[test]
    fn rds_parameters_the_major_removed_are_refused() {
        let mut j = production();
        j["rds"]["parameters"] = json!({ "vacuum_defer_cleanup_age": "0" });
        assert_one_error(
            &config(j.clone()),
            "rds.parameters",
            "`vacuum_defer_cleanup_age` does not exist in PostgreSQL 16 and later",
        );
        j["rds"]["engine_version"] = json!("15.7");
        assert_clean(&config(j));
    }

    #[test]
    fn rds_read_replicas_are_refused_while_rds_manages_the_master_password() {
        let cfg = dev_with("rds", "read_replicas", json!(1));
        assert_one_error(
            &cfg,
            "rds.read_replicas",
            "where ManageMasterUserPassword is enabled is not supported",
        );
        let cfg = dev_with("rds", "read_replicas", json!(6));
        assert_one_error(&cfg, "rds.read_replicas", "from 0 to 5");
    }

    // --- ElastiCache

    #[test]
    fn cache_engine_version_matches_the_engine() {
        let cfg = prod_with("elasticache", "engine_version", json!("8.0"));
        assert_one_error(
            &cfg,
            "elasticache.engine_version",
            "not a redis version ElastiCache offers: expected 6.x or 7.x",
        );
        let mut j = production();
        j["elasticache"]["engine"] = json!("valkey");
        j["elasticache"]["engine_version"] = json!("6.2");
        assert_one_error(
            &config(j.clone()),
            "elasticache.engine_version",
            "expected 7.x or 8.x",
        );
        j["elasticache"]["engine_version"] = json!("8.0");
        assert_clean(&config(j));
    }

    #[test]
    fn cache_node_type_must_be_known() {
        let cfg = prod_with("elasticache", "node_type", json!("cache.m4.large"));
        assert_one_error(
            &cfg,
            "elasticache.node_type",
            "known families: cache.t3, cache.t4g",
        );
    }

    #[test]
    fn cache_failover_needs_a_replica_and_multi_az_needs_failover() {
        let mut j = production();
        j["tier"] = json!("dev");
        j["elasticache"]["replicas"] = json!(0);
        j["elasticache"]["multi_az"] = json!(null);
        assert_one_error(
            &config(j.clone()),
            "elasticache.automatic_failover",
            "set replicas to 1 or more",
        );
        j["elasticache"]["automatic_failover"] = json!(null);
        j["elasticache"]["multi_az"] = json!(true);
        assert_one_error(
            &config(j),
            "elasticache.multi_az",
            "needs automatic_failover = true",
        );
        let cfg = prod_with("elasticache", "replicas", json!(6));
        assert_one_error(&cfg, "elasticache.replicas", "from 0 to 5");
    }

    // --- MSK

    #[test]
    fn kafka_version_must_be_plausible() {
        for bad in ["2.6.0", "5.0.0", "3.6", "three"] {
            let cfg = prod_with("msk", "kafka_version", json!(bad));
            assert_one_error(&cfg, "msk.kafka_version", "expected 2.8.x, 3.x or 4.x");
        }
        for ok in ["2.8.1", "3.7.x.kraft", "2.8.2.tiered", "4.0.x"] {
            assert_clean(&prod_with("msk", "kafka_version", json!(ok)));
        }
    }

    #[test]
    fn msk_broker_type_and_storage_are_checked() {
        let cfg = prod_with("msk", "broker_instance_type", json!("kafka.t3.medium"));
        assert_one_error(
            &cfg,
            "msk.broker_instance_type",
            "kafka.t3 comes in sizes small",
        );
        let cfg = prod_with("msk", "storage_gb", json!(0));
        assert_one_error(&cfg, "msk.storage_gb", "from 1 to 16384");
        let cfg = prod_with("msk", "storage_gb", json!(16385));
        assert_one_error(&cfg, "msk.storage_gb", "from 1 to 16384");
    }

    #[test]
    fn msk_storage_autoscaling_maximum_is_above_the_storage() {
        let cfg = prod_with("msk", "storage_autoscaling_max_gb", json!(1000));
        assert_one_error(
            &cfg,
            "msk.storage_autoscaling_max_gb",
            "the brokers already have 1000 GB",
        );
        let cfg = prod_with("msk", "storage_autoscaling_max_gb", json!(16385));
        assert_one_error(&cfg, "msk.storage_autoscaling_max_gb", "16384");
        assert_clean(&prod_with("msk", "storage_autoscaling_max_gb", json!(2000)));
        // Without storage_gb, the tier's default is the floor.
        let mut j = production();
        j["msk"].as_object_mut().unwrap().remove("storage_gb");
        j["msk"]["storage_autoscaling_max_gb"] = json!(100);
        assert_one_error(&config(j), "msk.storage_autoscaling_max_gb", "(storage_gb)");
    }

    #[test]
    fn msk_scram_needs_tls_and_a_customer_managed_key() {
        assert_clean(&prod_with("msk", "scram", json!(true)));
        let mut j = production();
        j["msk"]["scram"] = json!(true);
        j["msk"]["encryption_in_transit"] = json!("TLS_PLAINTEXT");
        j["msk"]["client_authentication"] = json!("unauthenticated");
        let d = diagnose(&config(j));
        assert!(d.0.iter().any(|e| e.detail.contains("SASL/SCRAM")), "{d}");
        // Dev uses AWS-managed keys unless told otherwise.
        let mut j = serde_json::json!({
            "name": "mosia-test", "tier": "dev",
            "network": { "allowed_cidrs": ["10.9.0.0/16"] },
            "msk": { "kafka_version": "3.6.0", "scram": true },
        });
        assert_one_error(
            &config(j.clone()),
            "msk.scram",
            "customer_managed_key = true",
        );
        j["customer_managed_key"] = json!(true);
        assert_clean(&config(j));
    }

    #[test]
    fn msk_tls_authentication_needs_certificate_authorities() {
        let cfg = prod_with("msk", "client_authentication", json!("tls"));
        assert_one_error(
            &cfg,
            "msk.tls_certificate_authority_arns",
            "needs the ARNs of the ACM Private CAs",
        );
        let arn = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/abc";
        let cfg = prod_with("msk", "tls_certificate_authority_arns", json!([arn]));
        assert_one_error(
            &cfg,
            "msk.tls_certificate_authority_arns",
            "only used with client_authentication = \"tls\"",
        );
        let mut j = production();
        j["msk"]["client_authentication"] = json!("tls");
        j["msk"]["tls_certificate_authority_arns"] = json!([arn, "arn:aws:iam::1:role/x"]);
        assert_one_error(
            &config(j),
            "msk.tls_certificate_authority_arns[1]",
            "not an ACM Private CA ARN",
        );
    }

    #[test]
    fn msk_authentication_needs_tls_in_transit() {
        for transit in ["PLAINTEXT", "TLS_PLAINTEXT"] {
            let cfg = prod_with("msk", "encryption_in_transit", json!(transit));
            assert_one_error(
                &cfg,
                "msk.encryption_in_transit",
                "iam client authentication runs over TLS only",
            );
        }
        let mut j = production();
        j["msk"]["client_authentication"] = json!("unauthenticated");
        j["msk"]["encryption_in_transit"] = json!("PLAINTEXT");
        assert_clean(&config(j));
    }

    #[test]
    fn msk_with_two_subnets_of_your_own_has_two_azs() {
        let mut j = production();
        j["network"] = json!({ "vpc_id": "vpc-0123abcd", "subnet_ids": ["subnet-0123abcd", "subnet-0123abce"] });
        assert_one_error(&config(j), "msk.brokers_per_az", "1 per AZ × 2 AZs is 2");
    }

    // --- tags and unknowns

    #[test]
    fn ownership_tag_keys_are_reserved() {
        let cfg = prod_with("", "tags", json!({ "mosia:part": "x" }));
        assert_one_error(
            &cfg,
            "tags[\"mosia:part\"]",
            "reserved for Mosia's ownership tags",
        );
    }

    #[test]
    fn unknown_values_skip_their_checks() {
        let mut cfg = prod_with("rds", "multi_az", json!(false));
        cfg.get_mut("rds")
            .unwrap()
            .set_attr("multi_az", Value::unknown());
        cfg.get_mut("network")
            .unwrap()
            .set_attr("cidr_block", Value::unknown());
        cfg.get_mut("network")
            .unwrap()
            .set_attr("az_count", Value::unknown());
        cfg.get_mut("msk")
            .unwrap()
            .set_attr("kafka_version", Value::unknown());
        cfg.get_mut("eks")
            .unwrap()
            .set_attr("node_group", Value::unknown());
        assert_clean(&cfg);
        let mut cfg = config(production());
        cfg.set_attr("eks", Value::unknown());
        assert_clean(&cfg);
    }

    #[test]
    fn mistyped_values_are_left_to_the_schema() {
        // Terraform's conversion rejects these before validate; a hand-built value must
        // neither panic nor add guardrail errors on top.
        let mut cfg = config(production());
        cfg.get_mut("rds")
            .unwrap()
            .set_attr("multi_az", Value::from("no"));
        cfg.get_mut("network")
            .unwrap()
            .set_attr("az_count", Value::from("three"));
        node_group_mut(&mut cfg, "general").set_attr("min_size", Value::from("x"));
        let mut d = Diagnostics::new();
        validate(&cfg, &mut d);
        assert!(d.is_empty(), "{d}");
    }
}
