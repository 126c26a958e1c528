//! Tiers and what each fills in: the defaults table (also rendered into the resource
//! documentation), and [`apply_tier_defaults`], which writes the defaults into a planned
//! value so `terraform plan` shows what will be built. [`super::from_value`] applies the same
//! defaults when it reads a value, so the plan and the apply never disagree.

use std::fmt;

use mosia_tfplugin::{Diagnostic, Known, Reader, Value};

use super::MajorUpgrade;
use crate::aws::eks::ami_type;

use super::{msk_az_count, AuthenticationMode, NatGateway, DEFAULT_ADDONS, DEFAULT_CIDR};

str_enum!(
    /// How much the environment matters: picks defaults and guardrails.
    Tier { Dev = "dev", Staging = "staging", Production = "production" }
);

/// The tier defaults table, also rendered into the resource documentation. The test
/// `tier_defaults_table_matches_the_code` keeps it equal to [`tier_defaults_table`].
macro_rules! tier_defaults_table {
    () => {
        "| setting | dev | staging | production |
|---|---|---|---|
| `customer_managed_key` | `false` | `true` | `true` |
| `monitoring.alarms` | `false` | `true` | `true` |
| `monitoring.database_insights` | `false` | `true` | `true` |
| `monitoring.log_exports` | `false` | `true` | `true` |
| `monitoring.log_retention_days` | 7 | 30 | 90 |
| `backup.plan` | `false` | `true` | `true` |
| `backup.cache_snapshot_retention_days` | 0 | 7 | 14 |
| `network.az_count` | 2 | 2 | 3 |
| `network.nat_gateway` | `single` | `single` | `per_az` |
| `network.vpc_endpoints` | `s3` | `s3` | `s3`, `ecr.api`, `ecr.dkr`, `sts`, `secretsmanager`, `logs` |
| `eks.endpoint_public_access` | `true` | `true` | `false` |
| `eks.enabled_log_types` | none | `api`, `audit` | `api`, `audit`, `authenticator` |
| `eks.authentication_mode` | `API_AND_CONFIG_MAP` | `API_AND_CONFIG_MAP` | `API` |
| `eks.secrets_encryption` | `false` | `true` | `true` |
| `eks.log_retention_days` | 7 | 30 | 90 |
| `eks.node_group.instance_types` | `t3.medium` | `m6i.large` | `m6i.large` |
| `eks.node_group.min_size` | 1 | 2 | 3 |
| `eks.node_group.max_size` | 2 (at least `min_size`) | 4 (at least `min_size`) | 6 (at least `min_size`) |
| `eks.node_group.desired_size` | `min_size` | `min_size` | `min_size` |
| `rds.instance_class` | `db.t4g.micro` | `db.t4g.medium` | `db.m7g.large` |
| `rds.allocated_storage_gb` | 20 | 50 | 100 |
| `rds.multi_az` | `false` | `false` | `true` |
| `rds.backup_retention_days` | 1 | 7 | 14 |
| `rds.deletion_protection` | `false` | `false` | `true` |
| `rds.skip_final_snapshot` | `true` | `false` | `false` |
| `rds.maintenance_window` | chosen by RDS | `sun:04:00-sun:05:00` | `sun:03:00-sun:04:00` |
| `rds.backup_window` | chosen by RDS | `02:00-03:00` | `01:00-02:00` |
| `rds.apply_immediately` | `true` | `true` | `false` |
| `rds.major_upgrade` | `in_place` | `in_place` | `blue_green` |
| `rds.old_instance_retention_hours` | 0 | 0 | 24 |
| `elasticache.node_type` | `cache.t4g.micro` | `cache.t4g.small` | `cache.m7g.large` |
| `elasticache.replicas` | 0 | 1 | 1 |
| `elasticache.automatic_failover` | `replicas >= 1` | `replicas >= 1` | `replicas >= 1` |
| `elasticache.multi_az` | `automatic_failover` | `automatic_failover` | `automatic_failover` |
| `elasticache.maintenance_window` | chosen by ElastiCache | `sun:05:00-sun:06:00` | `sun:04:00-sun:05:00` |
| `elasticache.apply_immediately` | `true` | `true` | `false` |
| `elasticache.skip_final_snapshot` | `true` | `false` | `false` |
| `msk.broker_instance_type` | `kafka.t3.small` | `kafka.m7g.large` | `kafka.m7g.large` |
| `msk.brokers_per_az` | 1 | 1 | enough for 3 brokers: ⌈3 ÷ MSK AZs⌉ |
| `msk.storage_gb` | 10 | 100 | 500 |
| `msk.configuration` | `auto.create.topics.enable=true`, `default.replication.factor=1`, `min.insync.replicas=1` | `auto.create.topics.enable=false`, `default.replication.factor=2`, `min.insync.replicas=1` | `auto.create.topics.enable=false`, `default.replication.factor=3`, `min.insync.replicas=2` |
"
    };
}

/// Markdown table of the tier defaults (see [`TierDefaults`]).
pub const TIER_DEFAULTS_TABLE: &str = tier_defaults_table!();

/// What each tier fills in for a value the configuration leaves out. Dev is cheap; production
/// is highly available and protected (its defaults pass every production guardrail).
/// Tier-independent defaults live in the schema instead.
///
#[doc = tier_defaults_table!()]
///
/// MSK AZs are `min(AZs of the network, 3)`. A default never overrides a configured value;
/// changing `tier` re-plans every value the configuration leaves out.
#[derive(Debug, Clone, PartialEq)]
pub struct TierDefaults {
    /// The environment's own KMS key encrypts its data (else AWS-managed keys do).
    pub customer_managed_key: bool,
    /// The per-part alarm set (`monitoring.alarms`).
    pub monitoring_alarms: bool,
    /// RDS Performance Insights (and enhanced monitoring in production).
    pub monitoring_database_insights: bool,
    /// Database, broker, cache and flow logs to CloudWatch Logs.
    pub monitoring_log_exports: bool,
    /// Retention of the log groups the log exports go to.
    pub monitoring_log_retention_days: u32,
    /// An AWS Backup plan for the database (`backup.plan`).
    pub backup_plan: bool,
    /// Days ElastiCache keeps automatic snapshots (`backup.cache_snapshot_retention_days`).
    pub cache_snapshot_retention_days: u32,
    pub az_count: u32,
    pub nat_gateway: NatGateway,
    /// VPC endpoints of a network Mosia creates.
    pub vpc_endpoints: &'static [&'static str],
    pub eks_endpoint_public_access: bool,
    pub eks_enabled_log_types: &'static [&'static str],
    pub eks_authentication_mode: AuthenticationMode,
    pub eks_secrets_encryption: bool,
    pub eks_log_retention_days: u32,
    pub node_instance_type: &'static str,
    pub node_min_size: u32,
    pub node_max_size: u32,
    pub rds_instance_class: &'static str,
    pub rds_allocated_storage_gb: u32,
    pub rds_multi_az: bool,
    pub rds_backup_retention_days: u32,
    pub rds_deletion_protection: bool,
    pub rds_skip_final_snapshot: bool,
    /// `ddd:hh24:mi-ddd:hh24:mi` (UTC); None: RDS picks one at create.
    pub rds_maintenance_window: Option<&'static str>,
    /// `hh24:mi-hh24:mi` (UTC); None: RDS picks one at create.
    pub rds_backup_window: Option<&'static str>,
    /// False: RDS and ElastiCache changes that can wait are left for the maintenance window.
    pub apply_immediately: bool,
    /// How a PostgreSQL major version upgrade is made.
    pub rds_major_upgrade: MajorUpgrade,
    /// Hours the old instance of a blue/green upgrade is kept.
    pub rds_old_instance_retention_hours: u32,
    pub cache_node_type: &'static str,
    pub cache_replicas: u32,
    /// `ddd:hh24:mi-ddd:hh24:mi` (UTC); None: ElastiCache picks one at create.
    pub cache_maintenance_window: Option<&'static str>,
    pub msk_broker_instance_type: &'static str,
    /// The default `brokers_per_az` gives at least this many brokers in total.
    pub msk_min_brokers: u32,
    pub msk_storage_gb: u32,
    /// Broker properties under the configured `msk.configuration`.
    pub msk_server_properties: &'static [(&'static str, &'static str)],
}

const DEV: TierDefaults = TierDefaults {
    customer_managed_key: false,
    monitoring_alarms: false,
    monitoring_database_insights: false,
    monitoring_log_exports: false,
    monitoring_log_retention_days: 7,
    backup_plan: false,
    cache_snapshot_retention_days: 0,
    az_count: 2,
    nat_gateway: NatGateway::Single,
    vpc_endpoints: &["s3"],
    eks_endpoint_public_access: true,
    eks_enabled_log_types: &[],
    eks_authentication_mode: AuthenticationMode::ApiAndConfigMap,
    eks_secrets_encryption: false,
    eks_log_retention_days: 7,
    node_instance_type: "t3.medium",
    node_min_size: 1,
    node_max_size: 2,
    rds_instance_class: "db.t4g.micro",
    rds_allocated_storage_gb: 20,
    rds_multi_az: false,
    rds_backup_retention_days: 1,
    rds_deletion_protection: false,
    rds_skip_final_snapshot: true,
    rds_maintenance_window: None,
    rds_backup_window: None,
    apply_immediately: true,
    rds_major_upgrade: MajorUpgrade::InPlace,
    rds_old_instance_retention_hours: 0,
    cache_node_type: "cache.t4g.micro",
    cache_replicas: 0,
    cache_maintenance_window: None,
    msk_broker_instance_type: "kafka.t3.small",
    msk_min_brokers: 1,
    msk_storage_gb: 10,
    msk_server_properties: &[
        ("auto.create.topics.enable", "true"),
        ("default.replication.factor", "1"),
        ("min.insync.replicas", "1"),
    ],
};

const STAGING: TierDefaults = TierDefaults {
    customer_managed_key: true,
    monitoring_alarms: true,
    monitoring_database_insights: true,
    monitoring_log_exports: true,
    monitoring_log_retention_days: 30,
    backup_plan: true,
    cache_snapshot_retention_days: 7,
    az_count: 2,
    nat_gateway: NatGateway::Single,
    vpc_endpoints: &["s3"],
    eks_endpoint_public_access: true,
    eks_enabled_log_types: &["api", "audit"],
    eks_authentication_mode: AuthenticationMode::ApiAndConfigMap,
    eks_secrets_encryption: true,
    eks_log_retention_days: 30,
    node_instance_type: "m6i.large",
    node_min_size: 2,
    node_max_size: 4,
    rds_instance_class: "db.t4g.medium",
    rds_allocated_storage_gb: 50,
    rds_multi_az: false,
    rds_backup_retention_days: 7,
    rds_deletion_protection: false,
    rds_skip_final_snapshot: false,
    rds_maintenance_window: Some("sun:04:00-sun:05:00"),
    rds_backup_window: Some("02:00-03:00"),
    apply_immediately: true,
    rds_major_upgrade: MajorUpgrade::InPlace,
    rds_old_instance_retention_hours: 0,
    cache_node_type: "cache.t4g.small",
    cache_replicas: 1,
    cache_maintenance_window: Some("sun:05:00-sun:06:00"),
    msk_broker_instance_type: "kafka.m7g.large",
    msk_min_brokers: 1,
    msk_storage_gb: 100,
    msk_server_properties: &[
        ("auto.create.topics.enable", "false"),
        ("default.replication.factor", "2"),
        ("min.insync.replicas", "1"),
    ],
};

const PRODUCTION: TierDefaults = TierDefaults {
    customer_managed_key: true,
    monitoring_alarms: true,
    monitoring_database_insights: true,
    monitoring_log_exports: true,
    monitoring_log_retention_days: 90,
    backup_plan: true,
    cache_snapshot_retention_days: 14,
    az_count: 3,
    nat_gateway: NatGateway::PerAz,
    vpc_endpoints: &["s3", "ecr.api", "ecr.dkr", "sts", "secretsmanager", "logs"],
    eks_endpoint_public_access: false,
    eks_enabled_log_types: &["api", "audit", "authenticator"],
    eks_authentication_mode: AuthenticationMode::Api,
    eks_secrets_encryption: true,
    eks_log_retention_days: 90,
    node_instance_type: "m6i.large",
    node_min_size: 3,
    node_max_size: 6,
    rds_instance_class: "db.m7g.large",
    rds_allocated_storage_gb: 100,
    rds_multi_az: true,
    rds_backup_retention_days: 14,
    rds_deletion_protection: true,
    rds_skip_final_snapshot: false,
    rds_maintenance_window: Some("sun:03:00-sun:04:00"),
    rds_backup_window: Some("01:00-02:00"),
    apply_immediately: false,
    rds_major_upgrade: MajorUpgrade::BlueGreen,
    rds_old_instance_retention_hours: 24,
    cache_node_type: "cache.m7g.large",
    cache_replicas: 1,
    cache_maintenance_window: Some("sun:04:00-sun:05:00"),
    msk_broker_instance_type: "kafka.m7g.large",
    msk_min_brokers: 3,
    msk_storage_gb: 500,
    msk_server_properties: &[
        ("auto.create.topics.enable", "false"),
        ("default.replication.factor", "3"),
        ("min.insync.replicas", "2"),
    ],
};

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Dev, Tier::Staging, Tier::Production];

    pub fn defaults(self) -> &'static TierDefaults {
        match self {
            Tier::Dev => &DEV,
            Tier::Staging => &STAGING,
            Tier::Production => &PRODUCTION,
        }
    }
}

impl TierDefaults {
    /// At least the tier's maximum, and never below the configured minimum.
    pub fn node_max_size_for(&self, min_size: u32) -> u32 {
        self.node_max_size.max(min_size)
    }

    /// Enough brokers per AZ to reach the tier's minimum broker count.
    pub fn msk_brokers_per_az_for(&self, msk_azs: u32) -> u32 {
        self.msk_min_brokers.div_ceil(msk_azs.max(1)).max(1)
    }
}

/// Node groups start at their minimum size; autoscalers move them from there.
pub fn node_desired_size_for(min_size: u32) -> u32 {
    min_size
}

/// Failover needs a replica to fail over to; with one, it is on (tier-independent).
pub fn cache_automatic_failover_for(replicas: u32) -> bool {
    replicas >= 1
}

/// ElastiCache Multi-AZ requires automatic failover, and is worth having whenever it is on.
pub fn cache_multi_az_for(automatic_failover: bool) -> bool {
    automatic_failover
}

// ---------------------------------------------------------------------------------------------
// Filling a plan

/// Writes the tier defaults into a planned value for every defaulted attribute the
/// configuration leaves null, so the plan shows the effective values. A default that depends
/// on something not known yet (the tier, a size) is planned unknown.
///
/// Defaults replace whatever the generic planner kept from prior state: when `tier` changes,
/// the values it governs change with it.
pub fn apply_tier_defaults(config: &Value, planned: &mut Value) {
    let config = Reader::new(config);
    let tier = Reader::new(planned).opt_choice("tier", Tier::parse, Tier::NAMES);
    let t = known(tier).map(Tier::defaults);
    fill(
        &config,
        planned,
        "customer_managed_key",
        t.map(|t| t.customer_managed_key.into()),
    );
    if let Some(p) = planned.get_mut("network") {
        fill_network(&config.attr("network"), p, t);
    }
    if let Some(p) = planned
        .get_mut("monitoring")
        .filter(|p| matches!(p, Value::Object(_)))
    {
        let c = config.attr("monitoring");
        fill(&c, p, "alarms", t.map(|t| t.monitoring_alarms.into()));
        let insights = t.map(|t| t.monitoring_database_insights.into());
        fill(&c, p, "database_insights", insights);
        fill(
            &c,
            p,
            "log_exports",
            t.map(|t| t.monitoring_log_exports.into()),
        );
        let days = t.map(|t| int(t.monitoring_log_retention_days));
        fill(&c, p, "log_retention_days", days);
    }
    if let Some(p) = planned
        .get_mut("backup")
        .filter(|p| matches!(p, Value::Object(_)))
    {
        let c = config.attr("backup");
        fill(&c, p, "plan", t.map(|t| t.backup_plan.into()));
        let days = t.map(|t| int(t.cache_snapshot_retention_days));
        fill(&c, p, "cache_snapshot_retention_days", days);
    }
    // MSK's default broker count depends on the network's AZs, defaults included.
    let planned_network = known(Reader::new(planned).block("network"));
    let network_azs =
        planned_network.and_then(|p| planned_network_azs(&config.attr("network"), &p));
    if let Some(p) = planned.get_mut("eks") {
        fill_eks(&config.attr("eks"), p, t);
    }
    if let Some(p) = planned.get_mut("rds") {
        fill_rds(&config.attr("rds"), p, t);
    }
    if let Some(p) = planned.get_mut("elasticache") {
        fill_elasticache(&config.attr("elasticache"), p, t);
    }
    if let Some(p) = planned.get_mut("msk") {
        fill_msk(&config.attr("msk"), p, t, network_azs);
    }
}

/// A value read from a plan, when known and of the right type.
fn known<T>(got: Result<Known<T>, Diagnostic>) -> Option<T> {
    got.ok()?.value()
}

/// Sets `attr` to `default` when the configuration leaves it null; None plans it unknown.
fn fill(config: &Reader, planned: &mut Value, attr: &str, default: Option<Value>) {
    if config.is_null(attr) {
        planned.set_attr(attr, default.unwrap_or_else(Value::unknown));
    }
}

fn int(n: u32) -> Value {
    Value::int(n as i64)
}

/// A planned whole number, when known.
fn planned_u32(planned: &Value, attr: &str) -> Option<u32> {
    known(Reader::new(planned).opt_u32(attr))
}

fn is_bring_your_own(config: &Reader) -> bool {
    !config.is_null("vpc_id") || !config.is_null("subnet_ids")
}

/// AZs of the planned network (after its defaults are filled), when known.
fn planned_network_azs(config: &Reader, planned: &Reader) -> Option<usize> {
    if is_bring_your_own(config) {
        let ids = config.string_list("subnet_ids").ok()?;
        return ids.or(Some(Vec::new())).map(|ids| ids.len());
    }
    known(planned.opt_u32("az_count")).map(|n| n as usize)
}

fn fill_network(config: &Reader, planned: &mut Value, t: Option<&TierDefaults>) {
    if !matches!(planned, Value::Object(_)) {
        return;
    }
    // A network the user brings takes its shape from the VPC: nothing to default, and no
    // endpoints unless asked (its route tables and DNS are the user's).
    if is_bring_your_own(config) {
        fill(config, planned, "vpc_endpoints", Some(Value::set_of([])));
        return;
    }
    fill(config, planned, "cidr_block", Some(DEFAULT_CIDR.into()));
    // Listed zones decide the count; else the tier does.
    let listed = known(config.string_list("availability_zones"))
        .filter(|zones| !zones.is_empty())
        .map(|zones| int(zones.len() as u32));
    fill(
        config,
        planned,
        "az_count",
        listed.or(t.map(|t| int(t.az_count))),
    );
    fill(
        config,
        planned,
        "nat_gateway",
        t.map(|t| t.nat_gateway.as_str().into()),
    );
    let endpoints = t.map(|t| Value::set_of(t.vpc_endpoints.iter().map(|&e| e.into())));
    fill(config, planned, "vpc_endpoints", endpoints);
}

fn fill_eks(config: &Reader, planned: &mut Value, t: Option<&TierDefaults>) {
    if !matches!(planned, Value::Object(_)) {
        return;
    }
    fill(
        config,
        planned,
        "endpoint_public_access",
        t.map(|t| t.eks_endpoint_public_access.into()),
    );
    let logs = t.map(|t| Value::set_of(t.eks_enabled_log_types.iter().map(|&l| l.into())));
    fill(config, planned, "enabled_log_types", logs);
    let values: [(&str, TierValue); 3] = [
        ("authentication_mode", |t| {
            t.eks_authentication_mode.as_str().into()
        }),
        ("secrets_encryption", |t| t.eks_secrets_encryption.into()),
        ("log_retention_days", |t| int(t.eks_log_retention_days)),
    ];
    for (attr, default) in values {
        fill(config, planned, attr, t.map(default));
    }
    let default_addons = Value::List(DEFAULT_ADDONS.iter().map(|&a| a.into()).collect());
    fill(config, planned, "addons", Some(default_addons));
    let config_groups = known(config.each_map_block("node_group")).unwrap_or_default();
    if let Some(Value::Map(groups)) = planned.get_mut("node_group") {
        for (key, group) in groups.iter_mut() {
            let c = config_groups.iter().find(|(k, _)| k == key);
            match c {
                Some((_, c)) => fill_node_group(c, group, t),
                None => fill_node_group(&Reader::new(&Value::Null), group, t),
            }
        }
    }
}

fn fill_node_group(config: &Reader, planned: &mut Value, t: Option<&TierDefaults>) {
    if !matches!(planned, Value::Object(_)) {
        return;
    }
    let types = t.map(|t| Value::List(vec![t.node_instance_type.into()]));
    fill(config, planned, "instance_types", types);
    fill(config, planned, "min_size", t.map(|t| int(t.node_min_size)));
    let min = planned_u32(planned, "min_size");
    let max = t.zip(min).map(|(t, min)| int(t.node_max_size_for(min)));
    fill(config, planned, "max_size", max);
    let desired = min.map(|m| int(node_desired_size_for(m)));
    fill(config, planned, "desired_size", desired);
    // The AMI follows the instance types' architecture (unknown while they are; a mix is
    // refused by the guardrails).
    let types = known(Reader::new(planned).string_list("instance_types"));
    let ami = types
        .and_then(|t| ami_type(&t).ok())
        .map(|a| a.as_str().into());
    fill(config, planned, "ami_type", ami);
}

/// One tier default as a planned value.
type TierValue = fn(&TierDefaults) -> Value;
/// A window a tier may leave to AWS.
type TierWindow = fn(&TierDefaults) -> Option<&'static str>;

fn fill_rds(config: &Reader, planned: &mut Value, t: Option<&TierDefaults>) {
    if !matches!(planned, Value::Object(_)) {
        return;
    }
    let values: [(&str, TierValue); 9] = [
        ("instance_class", |t| t.rds_instance_class.into()),
        ("apply_immediately", |t| t.apply_immediately.into()),
        ("major_upgrade", |t| t.rds_major_upgrade.as_str().into()),
        ("old_instance_retention_hours", |t| {
            int(t.rds_old_instance_retention_hours)
        }),
        ("allocated_storage_gb", |t| int(t.rds_allocated_storage_gb)),
        ("multi_az", |t| t.rds_multi_az.into()),
        (
            "backup_retention_days",
            |t| int(t.rds_backup_retention_days),
        ),
        ("deletion_protection", |t| t.rds_deletion_protection.into()),
        ("skip_final_snapshot", |t| t.rds_skip_final_snapshot.into()),
    ];
    for (attr, default) in values {
        fill(config, planned, attr, t.map(default));
    }
    // Windows the tier leaves to RDS keep what RDS chose (the prior state's, or known after
    // the create).
    let windows: [(&str, TierWindow); 2] = [
        ("maintenance_window", |t| t.rds_maintenance_window),
        ("backup_window", |t| t.rds_backup_window),
    ];
    for (attr, default) in windows {
        if let Some(w) = t.and_then(default) {
            fill(config, planned, attr, Some(w.into()));
        }
    }
}

/// The broker properties of an MSK cluster: the tier's, with `configured` over them.
pub fn merged_server_properties(
    t: &TierDefaults,
    configured: &std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeMap<String, String> {
    let mut props: std::collections::BTreeMap<String, String> = t
        .msk_server_properties
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    props.extend(configured.iter().map(|(k, v)| (k.clone(), v.clone())));
    props
}

fn fill_elasticache(config: &Reader, planned: &mut Value, t: Option<&TierDefaults>) {
    if !matches!(planned, Value::Object(_)) {
        return;
    }
    fill(
        config,
        planned,
        "node_type",
        t.map(|t| t.cache_node_type.into()),
    );
    fill(
        config,
        planned,
        "replicas",
        t.map(|t| int(t.cache_replicas)),
    );
    let failover = planned_u32(planned, "replicas").map(cache_automatic_failover_for);
    fill(
        config,
        planned,
        "automatic_failover",
        failover.map(Value::from),
    );
    let failover = known(Reader::new(planned).opt_bool("automatic_failover"));
    let multi_az = failover.map(cache_multi_az_for);
    fill(config, planned, "multi_az", multi_az.map(Value::from));
    if let Some(w) = t.and_then(|t| t.cache_maintenance_window) {
        fill(config, planned, "maintenance_window", Some(w.into()));
    }
    let immediately = t.map(|t| t.apply_immediately.into());
    fill(config, planned, "apply_immediately", immediately);
    let skip = t.map(|t| t.rds_skip_final_snapshot.into());
    fill(config, planned, "skip_final_snapshot", skip);
}

fn fill_msk(
    config: &Reader,
    planned: &mut Value,
    t: Option<&TierDefaults>,
    network_azs: Option<usize>,
) {
    if !matches!(planned, Value::Object(_)) {
        return;
    }
    let broker = t.map(|t| t.msk_broker_instance_type.into());
    fill(config, planned, "broker_instance_type", broker);
    fill(
        config,
        planned,
        "storage_gb",
        t.map(|t| int(t.msk_storage_gb)),
    );
    let per_az = t
        .zip(network_azs)
        .map(|(t, azs)| int(t.msk_brokers_per_az_for(msk_az_count(azs) as u32)));
    fill(config, planned, "brokers_per_az", per_az);
    // Computed from the tier and `configuration` (unknown while either is).
    let configured = match config.string_map("configuration") {
        Ok(Known::Value(m)) => Some(m),
        Ok(Known::Null) => Some(Default::default()),
        _ => None,
    };
    let props = t
        .zip(configured)
        .map(|(t, c)| Value::string_map_of(&merged_server_properties(t, &c)));
    planned.set_attr("server_properties", props.unwrap_or_else(Value::unknown));
}
