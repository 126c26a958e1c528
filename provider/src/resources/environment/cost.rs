//! `estimated_monthly_cost_usd`: what an environment costs per month at on-demand list
//! prices, known at plan time, so a reviewer sees the bill a change brings before applying it.
//!
//! Prices are us-east-1 on-demand list prices (Linux, USD) as published on the AWS pricing
//! pages, compiled by hand on [`PRICES_AS_OF`] as best known then; they are approximations and
//! were not fetched live. Other regions cost more or less. Left out: data transfer, NAT data
//! processing, backups beyond the free allowance, CloudWatch logs, Savings Plans and
//! reserved pricing. The EKS control plane costs more for a Kubernetes version past the end
//! of its standard support (extended support, [`EKS_STANDARD_SUPPORT_END`]), judged on the
//! day of the plan. Spot node groups are priced at on-demand rates: an
//! upper bound, since spot prices move.
//!
//! The same catalog of instance families tells the guardrails which instance types exist:
//! an unknown one is diagnosed at validate time, and [`estimate`] returns None for it rather
//! than a wrong number.

use std::collections::BTreeMap;

mod backups;
pub use backups::{BACKUP_STORAGE_GB_MONTH, CACHE_SNAPSHOT_GB_MONTH, CROSS_REGION_TRANSFER_GB};

use mosia_tfplugin::value::Number;
use mosia_tfplugin::Value;

use super::spec::{
    self, CacheAuthentication, CacheEngine, EnvironmentSpec, NetworkSpec, NodeGroupSpec,
    SupportType,
};

/// When the price table was compiled.
pub const PRICES_AS_OF: &str = "2026-11-24";
/// The region the prices are for.
pub const PRICE_REGION: &str = "us-east-1";
/// AWS's convention for monthly estimates: 365 × 24 ÷ 12.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// EKS cluster control plane, standard support.
pub const EKS_CLUSTER_HOURLY: f64 = 0.10;
/// EKS cluster control plane of a Kubernetes version in extended support (the 12 months
/// after its standard support ends).
pub const EKS_EXTENDED_SUPPORT_HOURLY: f64 = 0.60;
/// The last day of standard support of each Kubernetes minor version on EKS (`1.MINOR`,
/// UTC; extended support is billed from the next day), from the "Amazon EKS Kubernetes
/// release calendar" of the EKS User Guide (Kubernetes version lifecycle), as known on
/// [`PRICES_AS_OF`]. Newer versions are in standard support; older ones are past it.
pub const EKS_STANDARD_SUPPORT_END: &[(u32, &str)] = &[
    (28, "2024-11-26"),
    (29, "2025-03-23"),
    (30, "2025-07-23"),
    (31, "2025-11-26"),
    (32, "2026-03-23"),
    (33, "2026-07-29"),
    (34, "2026-12-02"),
    (35, "2027-03-27"),
];
/// A customer-managed KMS key (the environment's own key); requests
/// are usage and left out.
pub const KMS_KEY_MONTHLY: f64 = 1.0;
/// A standard-resolution CloudWatch alarm, per metric it reads (a metric math alarm over one
/// metric costs the same).
pub const CLOUDWATCH_ALARM_MONTHLY: f64 = 0.10;
/// CloudWatch Logs ingestion, per GB (storage after it is a fraction of this, left out).
pub const LOG_INGESTION_GB: f64 = 0.50;
/// The assumed log volume of each log group the log exports write to, in GB a day.
pub const LOG_GB_PER_GROUP_DAY: f64 = 0.1;

/// The log groups the log exports write to: the database's two, the brokers', the cache's
/// two and the flow logs'.
fn export_log_groups(spec: &EnvironmentSpec) -> usize {
    if spec.monitoring.log_retention_days.is_none() {
        return 0;
    }
    [
        (spec.rds.is_some(), 2),
        (spec.msk.is_some(), 1),
        (spec.elasticache.is_some(), 2),
        (super::graph::has_flow_logs(spec), 1),
    ]
    .iter()
    .filter(|(present, _)| *present)
    .map(|(_, n)| n)
    .sum()
}

/// A Secrets Manager secret (the cache's AUTH token); API calls are usage and left out.
pub const SECRET_MONTHLY: f64 = 0.40;
/// Interface VPC endpoint hour, per AZ (AWS PrivateLink pricing, us-east-1; data processed,
/// $0.01/GB, is usage and left out). Gateway endpoints (S3, DynamoDB) are free.
pub const INTERFACE_ENDPOINT_AZ_HOURLY: f64 = 0.01;
/// NAT gateway hour (data processing, $0.045/GB, is usage and left out).
pub const NAT_GATEWAY_HOURLY: f64 = 0.045;
/// Public IPv4 address hour: each NAT gateway holds an Elastic IP.
pub const PUBLIC_IPV4_HOURLY: f64 = 0.005;
/// EBS gp3 for node group root volumes.
pub const EBS_GP3_GB_MONTH: f64 = 0.08;
/// RDS gp3 storage (Single-AZ; Multi-AZ stores and bills it twice).
pub const RDS_GP3_GB_MONTH: f64 = 0.115;
/// MSK broker storage.
pub const MSK_STORAGE_GB_MONTH: f64 = 0.10;
/// Valkey nodes are listed 20% below Redis OSS nodes of the same type.
pub const VALKEY_NODE_FACTOR: f64 = 0.8;

/// Which AWS service an instance type is for; each names types its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// EKS node groups: `m6i.large`.
    Ec2,
    /// `db.t4g.micro`.
    Rds,
    /// `cache.t4g.micro`.
    ElastiCache,
    /// `kafka.m7g.large`.
    Msk,
}

impl Service {
    pub fn prefix(self) -> &'static str {
        match self {
            Service::Ec2 => "",
            Service::Rds => "db.",
            Service::ElastiCache => "cache.",
            Service::Msk => "kafka.",
        }
    }

    fn example(self) -> &'static str {
        match self {
            Service::Ec2 => "m6i.large",
            Service::Rds => "db.t4g.micro",
            Service::ElastiCache => "cache.t4g.micro",
            Service::Msk => "kafka.m7g.large",
        }
    }

    pub fn families(self) -> &'static [Family] {
        match self {
            Service::Ec2 => EC2,
            Service::Rds => RDS,
            Service::ElastiCache => ELASTICACHE,
            Service::Msk => MSK,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }
}

/// How a family's sizes are priced.
#[derive(Debug)]
pub enum Pricing {
    /// Each size priced from the `large` price: AWS prices sizes of these families linearly
    /// (xlarge twice large, medium half), to within a cent an hour.
    Linear {
        large_hourly: f64,
        sizes: &'static [&'static str],
    },
    /// Sizes whose prices are not linear (burstable database classes), listed one by one.
    Listed(&'static [(&'static str, f64)]),
}

/// An instance family of one service, e.g. `m6i` for EC2 or `t4g` for RDS (`db.t4g`).
#[derive(Debug)]
pub struct Family {
    pub name: &'static str,
    pub arch: Arch,
    pub pricing: Pricing,
}

impl Family {
    pub fn sizes(&self) -> Vec<&'static str> {
        match &self.pricing {
            Pricing::Linear { sizes, .. } => sizes.to_vec(),
            Pricing::Listed(list) => list.iter().map(|(s, _)| *s).collect(),
        }
    }

    /// On-demand price per hour of one size; None when the family has no such size.
    pub fn hourly(&self, size: &str) -> Option<f64> {
        match &self.pricing {
            Pricing::Linear {
                large_hourly,
                sizes,
            } => sizes
                .contains(&size)
                .then(|| size_factor(size).map(|f| large_hourly * f))
                .flatten(),
            Pricing::Listed(list) => list.iter().find(|(s, _)| *s == size).map(|(_, p)| *p),
        }
    }
}

/// Size relative to `large`: medium ½, xlarge 2, 4xlarge 8.
fn size_factor(size: &str) -> Option<f64> {
    Some(match size {
        "nano" => 1.0 / 16.0,
        "micro" => 1.0 / 8.0,
        "small" => 0.25,
        "medium" => 0.5,
        "large" => 1.0,
        "xlarge" => 2.0,
        _ => 2.0 * size.strip_suffix("xlarge")?.parse::<u32>().ok()? as f64,
    })
}

const fn linear(
    name: &'static str,
    arch: Arch,
    large_hourly: f64,
    sizes: &'static [&'static str],
) -> Family {
    Family {
        name,
        arch,
        pricing: Pricing::Linear {
            large_hourly,
            sizes,
        },
    }
}

const fn listed(name: &'static str, arch: Arch, list: &'static [(&'static str, f64)]) -> Family {
    Family {
        name,
        arch,
        pricing: Pricing::Listed(list),
    }
}

use Arch::{Arm64 as ARM, X86_64 as X86};

// Sizes each family comes in (bare metal is left out: not for managed node groups).
const BURSTABLE: &[&str] = &[
    "nano", "micro", "small", "medium", "large", "xlarge", "2xlarge",
];
const GRAVITON: &[&str] = &[
    "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
];
const GRAVITON_FROM_LARGE: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
];
const GEN5: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
];
const C5: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "9xlarge", "12xlarge", "18xlarge", "24xlarge",
];
const GEN6: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
    "32xlarge",
];
const GEN6A: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
    "32xlarge", "48xlarge",
];
const GEN7: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
    "48xlarge",
];
const CACHE_GEN5: &[&str] = &[
    "large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge",
];

/// EC2 families for EKS node groups (us-east-1, Linux, per hour for `large`).
const EC2: &[Family] = &[
    linear("t3", X86, 0.0832, BURSTABLE),
    linear("t3a", X86, 0.0752, BURSTABLE),
    linear("t4g", ARM, 0.0672, BURSTABLE),
    linear("m5", X86, 0.096, GEN5),
    linear("m5a", X86, 0.086, GEN5),
    linear("m6i", X86, 0.096, GEN6),
    linear("m6a", X86, 0.0864, GEN6A),
    linear("m6g", ARM, 0.077, GRAVITON),
    linear("m7i", X86, 0.1008, GEN7),
    linear("m7a", X86, 0.11592, GEN6A),
    linear("m7g", ARM, 0.0816, GRAVITON),
    linear("c5", X86, 0.085, C5),
    linear("c6i", X86, 0.085, GEN6),
    linear("c6a", X86, 0.0765, GEN6A),
    linear("c6g", ARM, 0.068, GRAVITON),
    linear("c7i", X86, 0.08925, GEN7),
    linear("c7g", ARM, 0.0725, GRAVITON),
    linear("r5", X86, 0.126, GEN5),
    linear("r6i", X86, 0.126, GEN6),
    linear("r6a", X86, 0.1134, GEN6A),
    linear("r6g", ARM, 0.1008, GRAVITON),
    linear("r7i", X86, 0.1323, GEN7),
    linear("r7g", ARM, 0.1071, GRAVITON),
];

/// RDS for PostgreSQL classes, Single-AZ (`db.` prefix left out of the family name).
const RDS: &[Family] = &[
    listed(
        "t3",
        X86,
        &[
            ("micro", 0.018),
            ("small", 0.036),
            ("medium", 0.072),
            ("large", 0.145),
            ("xlarge", 0.29),
            ("2xlarge", 0.579),
        ],
    ),
    listed(
        "t4g",
        ARM,
        &[
            ("micro", 0.016),
            ("small", 0.032),
            ("medium", 0.065),
            ("large", 0.129),
            ("xlarge", 0.258),
            ("2xlarge", 0.517),
        ],
    ),
    linear("m5", X86, 0.178, GEN5),
    linear("m6i", X86, 0.178, GEN6),
    linear("m6g", ARM, 0.159, GRAVITON_FROM_LARGE),
    linear("m7g", ARM, 0.168, GRAVITON_FROM_LARGE),
    linear("r5", X86, 0.25, GEN5),
    linear("r6i", X86, 0.25, GEN6),
    linear("r6g", ARM, 0.225, GRAVITON_FROM_LARGE),
    linear("r7g", ARM, 0.239, GRAVITON_FROM_LARGE),
];

/// ElastiCache node types, Redis OSS prices (Valkey: × [`VALKEY_NODE_FACTOR`]).
const ELASTICACHE: &[Family] = &[
    listed(
        "t3",
        X86,
        &[("micro", 0.017), ("small", 0.034), ("medium", 0.068)],
    ),
    listed(
        "t4g",
        ARM,
        &[("micro", 0.016), ("small", 0.032), ("medium", 0.065)],
    ),
    linear("m5", X86, 0.156, CACHE_GEN5),
    linear("m6g", ARM, 0.149, GRAVITON_FROM_LARGE),
    linear("m7g", ARM, 0.158, GRAVITON_FROM_LARGE),
    linear("r5", X86, 0.216, CACHE_GEN5),
    linear("r6g", ARM, 0.206, GRAVITON_FROM_LARGE),
    linear("r7g", ARM, 0.219, GRAVITON_FROM_LARGE),
];

/// MSK standard broker types.
const MSK: &[Family] = &[
    listed("t3", X86, &[("small", 0.0456)]),
    linear("m5", X86, 0.21, GEN5),
    linear("m7g", ARM, 0.204, GRAVITON_FROM_LARGE),
];

/// Why an instance type name is not one of the catalog's; the message says what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeError {
    Malformed(String),
    UnknownFamily(String),
    UnknownSize(String),
}

impl TypeError {
    pub fn message(&self) -> &str {
        match self {
            TypeError::Malformed(m) | TypeError::UnknownFamily(m) | TypeError::UnknownSize(m) => m,
        }
    }
}

/// A known instance type: its family and on-demand hourly price.
#[derive(Debug)]
pub struct InstanceType {
    pub family: &'static Family,
    pub hourly: f64,
}

/// Looks an instance type up in the catalog of `service`.
pub fn lookup(service: Service, name: &str) -> Result<InstanceType, TypeError> {
    let prefix = service.prefix();
    let malformed = || {
        TypeError::Malformed(format!(
            "{name:?} is not an instance type name: expected {prefix}FAMILY.SIZE, such as {:?}",
            service.example()
        ))
    };
    let rest = name.strip_prefix(prefix).ok_or_else(malformed)?;
    let (family_name, size) = rest.split_once('.').ok_or_else(malformed)?;
    let families = service.families();
    let Some(family) = families.iter().find(|f| f.name == family_name) else {
        let known: Vec<String> = families
            .iter()
            .map(|f| format!("{prefix}{}", f.name))
            .collect();
        return Err(TypeError::UnknownFamily(format!(
            "{name:?} is not in a family Mosia knows; known families: {}",
            known.join(", ")
        )));
    };
    match family.hourly(size) {
        Some(hourly) => Ok(InstanceType { family, hourly }),
        None => Err(TypeError::UnknownSize(format!(
            "{name:?} does not exist; {prefix}{} comes in sizes {}",
            family.name,
            family.sizes().join(", ")
        ))),
    }
}

/// On-demand price per hour; None for a type the catalog does not know.
pub fn hourly_price(service: Service, name: &str) -> Option<f64> {
    lookup(service, name).ok().map(|t| t.hourly)
}

// ---------------------------------------------------------------------------------------------
// The estimate

/// Monthly cost per part and in total, in USD.
#[derive(Debug, Clone, PartialEq)]
pub struct CostEstimate {
    /// Keys: `network`, `eks`, `eks.node_group.NAME`, `rds`, `elasticache`, `msk`.
    pub parts: BTreeMap<String, f64>,
    pub total: f64,
}

/// Today in UTC, `YYYY-MM-DD`.
pub fn today() -> String {
    let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now());
    let text = now
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default();
    text.chars().take(10).collect()
}

/// True when Kubernetes `version` (`1.MINOR`) is past its standard support on EKS on `day`
/// (`YYYY-MM-DD`): in extended support. Unknown or newer versions are not.
pub fn eks_extended_support(version: &str, day: &str) -> bool {
    let Some((1, minor)) = crate::aws::version::major_minor(version) else {
        return false;
    };
    match EKS_STANDARD_SUPPORT_END.iter().find(|(m, _)| *m == minor) {
        Some((_, end)) => day > *end,
        None => minor < EKS_STANDARD_SUPPORT_END[0].0,
    }
}

/// The EKS control plane's hourly price for `version` on `day` (None: the version EKS picks,
/// its newest, in standard support). A cluster whose upgrade policy is `STANDARD` never
/// enters extended support: EKS upgrades it instead.
pub fn eks_cluster_hourly(version: Option<&str>, support: SupportType, day: &str) -> f64 {
    match version {
        Some(v) if support == SupportType::Extended && eks_extended_support(v, day) => {
            EKS_EXTENDED_SUPPORT_HOURLY
        }
        _ => EKS_CLUSTER_HOURLY,
    }
}

/// The environment's monthly cost today; None when a priced input (an instance type) is
/// unknown to the catalog, or MSK has no network to count AZs from.
pub fn estimate(spec: &EnvironmentSpec) -> Option<CostEstimate> {
    estimate_on(spec, &today())
}

/// The environment's monthly cost on `day` (`YYYY-MM-DD`: EKS extended support depends on it).
pub fn estimate_on(spec: &EnvironmentSpec, day: &str) -> Option<CostEstimate> {
    let mut parts = BTreeMap::new();
    if let Some(network) = &spec.network {
        parts.insert("network".to_string(), network_monthly(network));
        let endpoints = endpoints_monthly(network, &spec.network_access.vpc_endpoints);
        if endpoints > 0.0 {
            parts.insert("network.endpoints".to_string(), endpoints);
        }
    }
    if let Some(eks) = &spec.eks {
        let hourly = eks_cluster_hourly(eks.version.as_deref(), eks.support_type, day);
        parts.insert("eks".to_string(), hourly * HOURS_PER_MONTH);
        for (name, group) in &eks.node_groups {
            parts.insert(format!("eks.node_group.{name}"), node_group_monthly(group)?);
        }
    }
    if spec.has_own_key() {
        parts.insert("kms".to_string(), KMS_KEY_MONTHLY);
    }
    if let Some(rds) = &spec.rds {
        parts.insert("rds".to_string(), rds_monthly(rds)?);
    }
    if let Some(cache) = &spec.elasticache {
        parts.insert("elasticache".to_string(), elasticache_monthly(cache)?);
    }
    if let Some(msk) = &spec.msk {
        let brokers = spec.msk_broker_count()?;
        parts.insert("msk".to_string(), msk_monthly(msk, brokers)?);
    }
    backups::add_backup_parts(spec, &mut parts);
    let groups = export_log_groups(spec);
    if groups > 0 {
        let gb = groups as f64 * LOG_GB_PER_GROUP_DAY * HOURS_PER_MONTH / 24.0;
        parts.insert("monitoring.logs".to_string(), gb * LOG_INGESTION_GB);
    }
    let alarms = super::graph::planned_alarm_names(spec).len();
    if alarms > 0 {
        parts.insert(
            "monitoring.alarms".to_string(),
            alarms as f64 * CLOUDWATCH_ALARM_MONTHLY,
        );
    }
    let total = parts.values().sum();
    Some(CostEstimate { parts, total })
}

/// The budget limit that follows the estimate: the total × 1.25, rounded up to whole
/// dollars; None when the estimate is not known.
pub fn default_budget_limit(spec: &EnvironmentSpec) -> Option<f64> {
    estimate_monthly_usd(spec).map(|total| (total * BUDGET_HEADROOM).ceil())
}

/// The budget's headroom over the estimate.
pub const BUDGET_HEADROOM: f64 = 1.25;

/// The total alone.
pub fn estimate_monthly_usd(spec: &EnvironmentSpec) -> Option<f64> {
    estimate(spec).map(|e| e.total)
}

/// The planned `estimated_monthly_cost_usd`: the total rounded to cents, or unknown when the
/// planned inputs are not all known (or not all priced).
pub fn planned_cost_value(planned: &Value) -> Value {
    spec::from_value(planned)
        .ok()
        .and_then(|s| estimate_monthly_usd(&s))
        .map(usd_value)
        .unwrap_or_else(Value::unknown)
}

/// Dollars rounded to cents as an exact decimal ("235.70", not 235.69999999999998863).
pub fn usd_value(usd: f64) -> Value {
    let cents = format!("{usd:.2}");
    Value::Number(Number::parse(&cents).expect("a formatted float is a number"))
}

fn network_monthly(network: &NetworkSpec) -> f64 {
    let per_gateway = NAT_GATEWAY_HOURLY + PUBLIC_IPV4_HOURLY;
    network.nat_gateway_count() as f64 * per_gateway * HOURS_PER_MONTH
}

/// Interface endpoints: one network interface per AZ each, billed hourly.
fn endpoints_monthly(network: &NetworkSpec, services: &[String]) -> f64 {
    let interface = services
        .iter()
        .filter(|s| !spec::GATEWAY_ENDPOINT_SERVICES.contains(&s.as_str()))
        .count();
    interface as f64 * network.az_count() as f64 * INTERFACE_ENDPOINT_AZ_HOURLY * HOURS_PER_MONTH
}

/// Nodes at `desired_size`, priced by the first instance type (EKS launches on-demand
/// capacity in the order given), each with its gp3 root volume.
fn node_group_monthly(group: &NodeGroupSpec) -> Option<f64> {
    let hourly = hourly_price(Service::Ec2, group.instance_types.first()?)?;
    let per_node = hourly * HOURS_PER_MONTH + group.disk_size_gb as f64 * EBS_GP3_GB_MONTH;
    Some(group.desired_size as f64 * per_node)
}

/// The primary (doubled for Multi-AZ: a standby instance and a second copy of the storage)
/// plus each Single-AZ read replica with its own storage.
fn rds_monthly(rds: &spec::RdsSpec) -> Option<f64> {
    let hourly = hourly_price(Service::Rds, &rds.instance_class)?;
    let one = hourly * HOURS_PER_MONTH + rds.allocated_storage_gb as f64 * RDS_GP3_GB_MONTH;
    let primary = if rds.multi_az { 2.0 * one } else { one };
    Some(primary + rds.read_replicas as f64 * one)
}

/// One node per member: the primary and its replicas; with token authentication, the
/// token's secret.
fn elasticache_monthly(cache: &spec::ElastiCacheSpec) -> Option<f64> {
    let mut hourly = hourly_price(Service::ElastiCache, &cache.node_type)?;
    if cache.engine == CacheEngine::Valkey {
        hourly *= VALKEY_NODE_FACTOR;
    }
    let secret = if cache.authentication == CacheAuthentication::Token {
        SECRET_MONTHLY
    } else {
        0.0
    };
    Some((1 + cache.replicas) as f64 * hourly * HOURS_PER_MONTH + secret)
}

fn msk_monthly(msk: &spec::MskSpec, brokers: u32) -> Option<f64> {
    let hourly = hourly_price(Service::Msk, &msk.broker_instance_type)?;
    let per_broker = hourly * HOURS_PER_MONTH + msk.storage_gb as f64 * MSK_STORAGE_GB_MONTH;
    Some(brokers as f64 * per_broker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::environment::spec::tests::config;
    use crate::resources::environment::spec::{from_value, Tier};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    fn dev_env() -> Value {
        config(serde_json::json!({
            "name": "mosia-dev",
            "tier": "dev",
            "network": {},
            "eks": { "node_group": { "general": {} } },
            "rds": {},
            "elasticache": {},
            "msk": { "kafka_version": "3.6.0" },
        }))
    }

    #[test]
    fn small_dev_environment_costs_what_the_table_says() {
        let spec = from_value(&dev_env()).unwrap();
        let e = estimate(&spec).unwrap();
        // By hand, 730 h/month:
        let network = 1.0 * (0.045 + 0.005) * 730.0; // one NAT gateway + its IPv4: 36.50
        let eks = 0.10 * 730.0; // 73.00
        let nodes = 1.0 * (0.0416 * 730.0 + 20.0 * 0.08); // 1 × t3.medium + 20 GB: 31.968
        let rds = 0.016 * 730.0 + 20.0 * 0.115; // db.t4g.micro + 20 GB: 13.98
        let cache = 0.016 * 730.0; // cache.t4g.micro, no replica: 11.68
        let msk = 2.0 * (0.0456 * 730.0 + 10.0 * 0.10); // 2 × kafka.t3.small + 10 GB: 68.576
        assert!(close(e.parts["network"], network));
        assert!(close(e.parts["eks"], eks));
        assert!(close(e.parts["eks.node_group.general"], nodes));
        assert!(close(e.parts["rds"], rds));
        assert!(close(e.parts["elasticache"], cache));
        assert!(close(e.parts["msk"], msk));
        assert!(close(e.total, 235.704), "{}", e.total);
        assert_eq!(usd_value(e.total), usd_value(235.70));
        assert_eq!(usd_value(e.total).as_number().unwrap().to_string(), "235.7");
    }

    /// The monitoring additions per tier for an environment with every part: the estimate
    /// with the tier's monitoring and backup defaults, against the same one without them.
    /// `cargo test -p terraform-provider-mosia --lib monitoring_additions -- --nocapture`
    /// prints the figures the #13 note quotes.
    #[test]
    fn monitoring_additions_are_the_alarms_and_the_backup_storage() {
        for tier in ["dev", "staging", "production"] {
            let with = crate::resources::environment::testing::everything(tier);
            let mut without = with.clone();
            without["monitoring"] = serde_json::json!({ "alarms": false, "log_exports": false });
            without["backup"] =
                serde_json::json!({ "plan": false, "cache_snapshot_retention_days": 0 });
            let after = estimate_on(&from_value(&config(with)).unwrap(), "2026-12-04").unwrap();
            let before = estimate_on(&from_value(&config(without)).unwrap(), "2026-12-04").unwrap();
            let alarms = after.parts.get("monitoring.alarms").copied().unwrap_or(0.0);
            let backup = after.parts.get("backup").copied().unwrap_or(0.0);
            let logs = after.parts.get("monitoring.logs").copied().unwrap_or(0.0);
            let snapshots = after
                .parts
                .get("elasticache.snapshots")
                .copied()
                .unwrap_or(0.0);
            println!(
                "{tier}: before {:.2}, after {:.2} (alarms {alarms:.2}, log ingestion {logs:.2}, backup storage {backup:.2}, cache snapshots {snapshots:.2})",
                before.total, after.total
            );
            assert!(
                close(
                    after.total - before.total,
                    alarms + backup + logs + snapshots
                ),
                "{tier}"
            );
            if tier == "dev" {
                let all = (alarms, backup, logs, snapshots);
                assert_eq!(all, (0.0, 0.0, 0.0, 0.0), "dev: none of them");
            } else {
                // 6 log groups × 0.1 GB a day × 30.4 days × $0.50.
                assert!(
                    close(logs, 6.0 * 0.1 * 730.0 / 24.0 * 0.5),
                    "{tier}: {logs}"
                );
                assert!(alarms > 0.0 && backup > 0.0 && snapshots > 0.0, "{tier}");
            }
        }
    }

    /// A copy in another Region adds the copy's storage and its transfer; the cache's
    /// snapshots cost per day kept beyond the first.
    #[test]
    fn copies_and_cache_snapshots_are_priced_from_the_stated_sizes() {
        let mut with = crate::resources::environment::testing::everything("staging");
        with["backup"] = serde_json::json!({ "copy_to_region": "us-west-2",
                                             "cache_snapshot_retention_days": 3 });
        let e = estimate_on(&from_value(&config(with.clone())).unwrap(), "2026-12-04").unwrap();
        let gb = f64::from(
            from_value(&config(with))
                .unwrap()
                .rds
                .unwrap()
                .allocated_storage_gb,
        );
        assert!(close(e.parts["backup.copy"], gb * (0.095 + 0.02)));
        let node_gib = backups::cache_node_memory_gib("cache.t4g.small");
        assert!(close(
            e.parts["elasticache.snapshots"],
            2.0 * node_gib * 0.085
        ));
    }

    #[test]
    fn production_options_multiply_as_aws_bills_them() {
        let cfg = config(serde_json::json!({
            "name": "mosia-prod",
            "tier": "production",
            "network": { "cidr_block": "10.20.0.0/16" },
            "rds": { "instance_class": "db.m7g.large", "allocated_storage_gb": 100,
                     "multi_az": true, "read_replicas": 1 },
            "elasticache": { "engine": "valkey", "node_type": "cache.m7g.large", "replicas": 2 },
        }));
        let e = estimate(&from_value(&cfg).unwrap()).unwrap();
        let one_rds = 0.168 * 730.0 + 100.0 * 0.115;
        assert!(
            close(e.parts["rds"], 2.0 * one_rds + one_rds),
            "standby + replica"
        );
        assert!(close(e.parts["elasticache"], 3.0 * 0.158 * 0.8 * 730.0));
        let mut token = from_value(&cfg).unwrap();
        token.elasticache.as_mut().unwrap().authentication = CacheAuthentication::Token;
        let with_secret = estimate_on(&token, "2026-01-01").unwrap();
        assert!(close(
            with_secret.parts["elasticache"],
            3.0 * 0.158 * 0.8 * 730.0 + SECRET_MONTHLY
        ));
        assert!(close(e.parts["network"], 3.0 * 0.05 * 730.0), "NAT per AZ");
        // Production's endpoints: 5 interface endpoints in 3 AZs; the S3 gateway is free.
        assert!(close(
            e.parts["network.endpoints"],
            5.0 * 3.0 * 0.01 * 730.0
        ));
    }

    #[test]
    fn unknown_instance_types_give_no_estimate() {
        let mut spec = from_value(&dev_env()).unwrap();
        spec.rds.as_mut().unwrap().instance_class = "db.x9.large".into();
        assert_eq!(estimate(&spec), None);
        let mut spec = from_value(&dev_env()).unwrap();
        let groups = &mut spec.eks.as_mut().unwrap().node_groups;
        groups.get_mut("general").unwrap().instance_types = vec!["m6i.medium".into()];
        assert_eq!(estimate_monthly_usd(&spec), None, "m6i has no medium size");
    }

    #[test]
    fn a_version_past_standard_support_costs_extended_support() {
        let mut spec = from_value(&dev_env()).unwrap();
        let eks_on =
            |spec: &EnvironmentSpec, day: &str| estimate_on(spec, day).unwrap().parts["eks"];
        assert!(
            close(eks_on(&spec, "2026-11-24"), 0.10 * 730.0),
            "EKS's default version"
        );
        spec.eks.as_mut().unwrap().version = Some("1.31".into());
        assert!(
            close(eks_on(&spec, "2025-11-26"), 73.0),
            "last day of standard support"
        );
        assert!(
            close(eks_on(&spec, "2025-11-27"), 0.60 * 730.0),
            "extended support: 438"
        );
        spec.eks.as_mut().unwrap().version = Some("1.34".into());
        assert!(close(eks_on(&spec, "2026-11-24"), 73.0));
        assert!(close(eks_on(&spec, "2026-12-03"), 438.0));
        spec.eks.as_mut().unwrap().version = Some("1.40".into());
        assert!(
            close(eks_on(&spec, "2026-11-24"), 73.0),
            "newer than the table"
        );
        assert!(
            eks_extended_support("1.27", "2026-11-24"),
            "older than the table"
        );
        assert!(!eks_extended_support("x", "2026-11-24"));
        assert_eq!(today().len(), 10);
        assert!(EKS_STANDARD_SUPPORT_END
            .windows(2)
            .all(|w| w[0].0 + 1 == w[1].0 && w[0].1 < w[1].1));
    }

    #[test]
    fn bring_your_own_network_has_no_nat_cost() {
        let cfg = config(serde_json::json!({
            "name": "mosia-dev", "tier": "dev",
            "network": { "vpc_id": "vpc-0123456789abcdef0",
                         "subnet_ids": ["subnet-aaaaaaaa", "subnet-bbbbbbbb"] },
        }));
        let e = estimate(&from_value(&cfg).unwrap()).unwrap();
        assert_eq!(e.parts["network"], 0.0);
        assert_eq!(e.total, 0.0);
    }

    #[test]
    fn planned_value_is_rounded_or_unknown() {
        assert_eq!(
            planned_cost_value(&dev_env()),
            Value::Number(Number::parse("235.70").unwrap())
        );
        let mut cfg = dev_env();
        cfg.set_attr("tier", Value::unknown());
        assert!(planned_cost_value(&cfg).is_unknown());
    }

    #[test]
    fn catalog_lookups_explain_what_exists() {
        assert!(close(
            hourly_price(Service::Ec2, "m6i.2xlarge").unwrap(),
            0.384
        ));
        assert!(close(
            hourly_price(Service::Ec2, "t4g.nano").unwrap(),
            0.0042
        ));
        assert!(close(
            hourly_price(Service::Ec2, "c5.9xlarge").unwrap(),
            1.53
        ));
        assert!(close(
            hourly_price(Service::Msk, "kafka.m5.xlarge").unwrap(),
            0.42
        ));
        let err = lookup(Service::Ec2, "x1e.large").unwrap_err();
        assert!(matches!(err, TypeError::UnknownFamily(_)));
        assert!(err.message().contains("m6i, m6a"), "{}", err.message());
        let err = lookup(Service::Rds, "db.t4g.nano").unwrap_err();
        assert!(err.message().contains("micro, small"), "{}", err.message());
        let err = lookup(Service::ElastiCache, "t4g.micro").unwrap_err();
        assert!(
            err.message().contains("cache.FAMILY.SIZE"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn the_catalog_architecture_is_the_one_node_groups_pick_their_ami_by() {
        for f in Service::Ec2.families() {
            let t = format!("{}.large", f.name);
            assert_eq!(
                f.arch == Arch::Arm64,
                crate::aws::eks::is_graviton(&t),
                "{t}"
            );
        }
    }

    #[test]
    fn every_tier_default_type_is_priced() {
        for t in Tier::ALL {
            let d = t.defaults();
            assert!(hourly_price(Service::Ec2, d.node_instance_type).is_some());
            assert!(hourly_price(Service::Rds, d.rds_instance_class).is_some());
            assert!(hourly_price(Service::ElastiCache, d.cache_node_type).is_some());
            assert!(hourly_price(Service::Msk, d.msk_broker_instance_type).is_some());
        }
    }
}
