//! The typed view of a `mosia_environment`: what the configuration (or the plan) asks for,
//! with the tier's defaults filled in where the user left a value out.
//!
//! Two entry points share one set of default rules, so the plan and the apply can never
//! disagree about an effective value:
//! - [`apply_tier_defaults`] writes the defaults into a planned [`Value`], so `terraform plan`
//!   shows what will be built;
//! - [`from_value`] reads a configuration or planned value into an [`EnvironmentSpec`].

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use mosia_tfplugin::{AttrPath, Diagnostics, Value};

pub use crate::aws::eks::input::{CapacityType, EksSpec, NodeGroupSpec};
pub use crate::aws::elasticache::input::{CacheEngine, ElastiCacheSpec};
pub use crate::aws::msk::input::{msk_az_count, MskAuth, MskSpec, MskTransit, MSK_MAX_AZS};
pub use crate::aws::network::input::{
    subnet_layout, subnet_prefix, Ipv4Cidr, NatGateway, NetworkSpec, SubnetLayout, MAX_SUBNET_PREFIX,
};
pub use crate::aws::rds::input::RdsSpec;


str_enum!(
    /// How much the environment matters: picks defaults and guardrails.
    Tier { Dev = "dev", Staging = "staging", Production = "production" }
);

/// CIDR of a network Mosia creates when the configuration names neither `cidr_block` nor
/// `vpc_id` (tier-independent).
pub const DEFAULT_CIDR: &str = "10.0.0.0/16";
/// VPC prefix lengths Mosia accepts: /16 is AWS's largest VPC, /24 the smallest that still
/// splits into usable subnets.
pub const VPC_PREFIX_RANGE: std::ops::RangeInclusive<u8> = 16..=24;

pub const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(90 * 60);
pub const DEFAULT_UPDATE_TIMEOUT: Duration = Duration::from_secs(90 * 60);
pub const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The tier defaults table, also rendered into the resource documentation. The test
/// `tier_defaults_table_matches_the_code` keeps it equal to [`tier_defaults_table`].
macro_rules! tier_defaults_table {
    () => {
        "| setting | dev | staging | production |
|---|---|---|---|
| `network.az_count` | 2 | 2 | 3 |
| `network.nat_gateway` | `single` | `single` | `per_az` |
| `eks.endpoint_public_access` | `true` | `true` | `false` |
| `eks.enabled_log_types` | none | `api`, `audit` | `api`, `audit`, `authenticator` |
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
| `elasticache.node_type` | `cache.t4g.micro` | `cache.t4g.small` | `cache.m7g.large` |
| `elasticache.replicas` | 0 | 1 | 1 |
| `elasticache.automatic_failover` | `replicas >= 1` | `replicas >= 1` | `replicas >= 1` |
| `elasticache.multi_az` | `automatic_failover` | `automatic_failover` | `automatic_failover` |
| `msk.broker_instance_type` | `kafka.t3.small` | `kafka.m7g.large` | `kafka.m7g.large` |
| `msk.brokers_per_az` | 1 | 1 | enough for 3 brokers: ⌈3 ÷ MSK AZs⌉ |
| `msk.storage_gb` | 10 | 100 | 500 |
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
    pub az_count: u32,
    pub nat_gateway: NatGateway,
    pub eks_endpoint_public_access: bool,
    pub eks_enabled_log_types: &'static [&'static str],
    pub node_instance_type: &'static str,
    pub node_min_size: u32,
    pub node_max_size: u32,
    pub rds_instance_class: &'static str,
    pub rds_allocated_storage_gb: u32,
    pub rds_multi_az: bool,
    pub rds_backup_retention_days: u32,
    pub rds_deletion_protection: bool,
    pub rds_skip_final_snapshot: bool,
    pub cache_node_type: &'static str,
    pub cache_replicas: u32,
    pub msk_broker_instance_type: &'static str,
    /// The default `brokers_per_az` gives at least this many brokers in total.
    pub msk_min_brokers: u32,
    pub msk_storage_gb: u32,
}

const DEV: TierDefaults = TierDefaults {
    az_count: 2,
    nat_gateway: NatGateway::Single,
    eks_endpoint_public_access: true,
    eks_enabled_log_types: &[],
    node_instance_type: "t3.medium",
    node_min_size: 1,
    node_max_size: 2,
    rds_instance_class: "db.t4g.micro",
    rds_allocated_storage_gb: 20,
    rds_multi_az: false,
    rds_backup_retention_days: 1,
    rds_deletion_protection: false,
    rds_skip_final_snapshot: true,
    cache_node_type: "cache.t4g.micro",
    cache_replicas: 0,
    msk_broker_instance_type: "kafka.t3.small",
    msk_min_brokers: 1,
    msk_storage_gb: 10,
};

const STAGING: TierDefaults = TierDefaults {
    az_count: 2,
    nat_gateway: NatGateway::Single,
    eks_endpoint_public_access: true,
    eks_enabled_log_types: &["api", "audit"],
    node_instance_type: "m6i.large",
    node_min_size: 2,
    node_max_size: 4,
    rds_instance_class: "db.t4g.medium",
    rds_allocated_storage_gb: 50,
    rds_multi_az: false,
    rds_backup_retention_days: 7,
    rds_deletion_protection: false,
    rds_skip_final_snapshot: false,
    cache_node_type: "cache.t4g.small",
    cache_replicas: 1,
    msk_broker_instance_type: "kafka.m7g.large",
    msk_min_brokers: 1,
    msk_storage_gb: 100,
};

const PRODUCTION: TierDefaults = TierDefaults {
    az_count: 3,
    nat_gateway: NatGateway::PerAz,
    eks_endpoint_public_access: false,
    eks_enabled_log_types: &["api", "audit", "authenticator"],
    node_instance_type: "m6i.large",
    node_min_size: 3,
    node_max_size: 6,
    rds_instance_class: "db.m7g.large",
    rds_allocated_storage_gb: 100,
    rds_multi_az: true,
    rds_backup_retention_days: 14,
    rds_deletion_protection: true,
    rds_skip_final_snapshot: false,
    cache_node_type: "cache.m7g.large",
    cache_replicas: 1,
    msk_broker_instance_type: "kafka.m7g.large",
    msk_min_brokers: 3,
    msk_storage_gb: 500,
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


/// The tier defaults table rendered from the code (see [`TIER_DEFAULTS_TABLE`]).
pub fn tier_defaults_table() -> String {
    type Cell = fn(&TierDefaults) -> String;
    let code = |s: &str| format!("`{s}`");
    let rows: [(&str, Cell); 21] = [
        ("network.az_count", |t| t.az_count.to_string()),
        ("network.nat_gateway", |t| format!("`{}`", t.nat_gateway)),
        ("eks.endpoint_public_access", |t| {
            format!("`{}`", t.eks_endpoint_public_access)
        }),
        ("eks.enabled_log_types", |t| match t.eks_enabled_log_types {
            [] => "none".to_string(),
            types => types
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", "),
        }),
        ("eks.node_group.instance_types", |t| {
            format!("`{}`", t.node_instance_type)
        }),
        ("eks.node_group.min_size", |t| t.node_min_size.to_string()),
        ("eks.node_group.max_size", |t| {
            format!("{} (at least `min_size`)", t.node_max_size)
        }),
        ("eks.node_group.desired_size", |_| "`min_size`".to_string()),
        ("rds.instance_class", |t| {
            format!("`{}`", t.rds_instance_class)
        }),
        ("rds.allocated_storage_gb", |t| {
            t.rds_allocated_storage_gb.to_string()
        }),
        ("rds.multi_az", |t| format!("`{}`", t.rds_multi_az)),
        ("rds.backup_retention_days", |t| {
            t.rds_backup_retention_days.to_string()
        }),
        ("rds.deletion_protection", |t| {
            format!("`{}`", t.rds_deletion_protection)
        }),
        ("rds.skip_final_snapshot", |t| {
            format!("`{}`", t.rds_skip_final_snapshot)
        }),
        ("elasticache.node_type", |t| {
            format!("`{}`", t.cache_node_type)
        }),
        ("elasticache.replicas", |t| t.cache_replicas.to_string()),
        ("elasticache.automatic_failover", |_| {
            "`replicas >= 1`".to_string()
        }),
        ("elasticache.multi_az", |_| {
            "`automatic_failover`".to_string()
        }),
        ("msk.broker_instance_type", |t| {
            format!("`{}`", t.msk_broker_instance_type)
        }),
        ("msk.brokers_per_az", |t| {
            // MSK always spans at least 2 AZs, so 1 per AZ already gives 2 brokers.
            if t.msk_min_brokers <= 2 {
                "1".to_string()
            } else {
                let n = t.msk_min_brokers;
                format!("enough for {n} brokers: ⌈{n} ÷ MSK AZs⌉")
            }
        }),
        ("msk.storage_gb", |t| t.msk_storage_gb.to_string()),
    ];
    let mut out = String::from("| setting | dev | staging | production |\n|---|---|---|---|\n");
    for (setting, cell) in rows {
        let cells: Vec<String> = Tier::ALL.iter().map(|t| cell(t.defaults())).collect();
        out.push_str(&format!("| {} | {} |\n", code(setting), cells.join(" | ")));
    }
    out
}

/// "Default by tier: dev `a`, staging `b`, production `c`." for attribute descriptions.
pub fn tier_default_note(cell: impl Fn(&TierDefaults) -> String) -> String {
    let parts: Vec<String> = Tier::ALL
        .iter()
        .map(|t| format!("{t} {}", cell(t.defaults())))
        .collect();
    format!("Default by tier: {}.", parts.join(", "))
}

// ---------------------------------------------------------------------------------------------
// Networks

// ---------------------------------------------------------------------------------------------
// Durations

/// Parses a Terraform-style duration: one or more `<whole number><unit>` with units `h`, `m`,
/// `s` (`"90m"`, `"1h30m"`, `"45s"`). Zero is rejected: a zero timeout can only fail.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("{s:?} is not a duration: expected e.g. \"90m\", \"1h30m\" or \"45s\"");
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() || s.is_empty() {
        return Err(bad());
    }
    if total == 0 {
        return Err(format!("{s:?} is zero: a timeout must be longer than that"));
    }
    Ok(Duration::from_secs(total))
}

// ---------------------------------------------------------------------------------------------
// The spec

/// Everything an environment is made of, with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentSpec {
    pub name: String,
    pub tier: Tier,
    /// The resource's own tags (provider `default_tags` are merged in by the resource).
    pub tags: BTreeMap<String, String>,
    pub network: Option<NetworkSpec>,
    pub eks: Option<EksSpec>,
    pub rds: Option<RdsSpec>,
    pub elasticache: Option<ElastiCacheSpec>,
    pub msk: Option<MskSpec>,
    pub timeouts: Timeouts,
}








#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            create: DEFAULT_CREATE_TIMEOUT,
            update: DEFAULT_UPDATE_TIMEOUT,
            delete: DEFAULT_DELETE_TIMEOUT,
        }
    }
}

impl EnvironmentSpec {
    /// AZs MSK uses; None without a network.
    pub fn msk_az_count(&self) -> Option<usize> {
        self.network.as_ref().map(|n| msk_az_count(n.az_count()))
    }

    /// Brokers of the MSK cluster: `brokers_per_az` in each MSK AZ, so always a multiple of
    /// the AZ count, as MSK requires.
    pub fn msk_broker_count(&self) -> Option<u32> {
        let msk = self.msk.as_ref()?;
        Some(msk.brokers_per_az * self.msk_az_count()? as u32)
    }
}

// ---------------------------------------------------------------------------------------------
// Reading a value

/// One object (the resource or a block) being read, with its path for diagnostics.
struct Obj<'v> {
    v: &'v Value,
    path: AttrPath,
}

impl<'v> Obj<'v> {
    /// A known, non-null attribute; an unknown one is an error here (the caller asked for a
    /// value that Terraform does not know yet).
    fn field(&self, name: &str, d: &mut Diagnostics) -> Option<&'v Value> {
        match self.v.get(name) {
            Value::Null => None,
            Value::Unknown(_) => {
                d.error_at(
                    self.path.then(name),
                    "Value not known yet",
                    format!("{} is only known after apply", self.path.then(name)),
                );
                None
            }
            v => Some(v),
        }
    }

    /// For values AWS chooses when left out: unknown (planned, not chosen yet) reads as None.
    fn aws_chosen_str(&self, name: &str) -> Option<String> {
        self.v.get(name).as_str().map(str::to_string)
    }

    fn wrong_type(&self, name: &str, expected: &str, d: &mut Diagnostics) {
        d.error_at(
            self.path.then(name),
            "Invalid value",
            format!("{} must be {expected}", self.path.then(name)),
        );
    }

    fn str(&self, name: &str, d: &mut Diagnostics) -> Option<String> {
        let v = self.field(name, d)?;
        match v.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.wrong_type(name, "a string", d);
                None
            }
        }
    }

    fn required_str(&self, name: &str, d: &mut Diagnostics) -> String {
        if self.v.get(name).is_null() {
            d.error_at(
                self.path.then(name),
                "Missing required argument",
                format!("{} is required", self.path.then(name)),
            );
        }
        self.str(name, d).unwrap_or_default()
    }

    fn u32(&self, name: &str, d: &mut Diagnostics) -> Option<u32> {
        let v = self.field(name, d)?;
        match v.as_i64().and_then(|i| u32::try_from(i).ok()) {
            Some(n) => Some(n),
            None => {
                self.wrong_type(name, "a whole number, 0 or more", d);
                None
            }
        }
    }

    fn bool(&self, name: &str, d: &mut Diagnostics) -> Option<bool> {
        let v = self.field(name, d)?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong_type(name, "true or false", d);
                None
            }
        }
    }

    /// A list or set of strings; unknown elements are errors.
    fn strings(&self, name: &str, d: &mut Diagnostics) -> Option<Vec<String>> {
        let v = self.field(name, d)?;
        let mut out = Vec::new();
        for (i, e) in v.elements().iter().enumerate() {
            match e {
                Value::String(s) => out.push(s.clone()),
                Value::Unknown(_) => d.error_at(
                    self.path.then(name).index(i as i64),
                    "Value not known yet",
                    "the element is only known after apply",
                ),
                _ => self.wrong_type(name, "a list of strings", d),
            }
        }
        Some(out)
    }

    fn string_map(&self, name: &str, d: &mut Diagnostics) -> BTreeMap<String, String> {
        match self.field(name, d) {
            Some(v) if v.is_wholly_known() => v.string_map(),
            Some(_) => {
                d.error_at(
                    self.path.then(name),
                    "Value not known yet",
                    "some entries are only known after apply",
                );
                BTreeMap::new()
            }
            None => BTreeMap::new(),
        }
    }

    fn choice<E>(
        &self,
        name: &str,
        parse: fn(&str) -> Option<E>,
        names: &[&str],
        d: &mut Diagnostics,
    ) -> Option<E> {
        let s = self.str(name, d)?;
        let parsed = parse(&s);
        if parsed.is_none() {
            let allowed = names.join(", ");
            self.wrong_type(name, &format!("one of {allowed} (got {s:?})"), d);
        }
        parsed
    }

    /// A nested single block; None when absent.
    fn block(&self, name: &str, d: &mut Diagnostics) -> Option<Obj<'v>> {
        self.field(name, d).map(|v| Obj {
            v,
            path: self.path.then(name),
        })
    }
}

/// Reads a configuration or planned value, applying tier defaults to what is left out.
///
/// Values AWS chooses when omitted (versions) may be unknown; any other unknown input is an
/// error, so callers that only want a best effort at plan time (the cost estimate) treat an
/// error as "not known yet".
pub fn from_value(v: &Value) -> Result<EnvironmentSpec, Diagnostics> {
    let mut d = Diagnostics::new();
    let root = Obj {
        v,
        path: AttrPath::root(),
    };
    let name = root.required_str("name", &mut d);
    if v.get("tier").is_null() {
        root.required_str("tier", &mut d);
    }
    // A placeholder tier lets the rest be read (and diagnosed) in one pass.
    let tier = root
        .choice("tier", Tier::parse, Tier::NAMES, &mut d)
        .unwrap_or(Tier::Dev);
    let t = tier.defaults();
    let network = root
        .block("network", &mut d)
        .map(|b| network(&b, t, &mut d));
    let network_azs = network.as_ref().map(NetworkSpec::az_count);
    let spec = EnvironmentSpec {
        tags: root.string_map("tags", &mut d),
        eks: root.block("eks", &mut d).map(|b| eks(&b, t, &mut d)),
        rds: root.block("rds", &mut d).map(|b| rds(&b, t, &mut d)),
        elasticache: root
            .block("elasticache", &mut d)
            .map(|b| elasticache(&b, t, &mut d)),
        msk: root
            .block("msk", &mut d)
            .map(|b| msk(&b, t, network_azs, &mut d)),
        timeouts: root
            .block("timeouts", &mut d)
            .map(|b| timeouts(&b, &mut d))
            .unwrap_or_default(),
        name,
        tier,
        network,
    };
    if d.has_errors() {
        Err(d)
    } else {
        Ok(spec)
    }
}

fn network(b: &Obj, t: &TierDefaults, d: &mut Diagnostics) -> NetworkSpec {
    // `subnet_ids` is input only, so it tells the modes apart in a plan too (`vpc_id` is
    // also computed for a network Mosia creates).
    if let Some(subnet_ids) = b.strings("subnet_ids", d) {
        return NetworkSpec::Existing {
            vpc_id: b.required_str("vpc_id", d),
            subnet_ids,
        };
    }
    let cidr_text = b.str("cidr_block", d);
    let cidr = match cidr_text.as_deref().unwrap_or(DEFAULT_CIDR).parse() {
        Ok(c) => c,
        Err(msg) => {
            d.error_at(b.path.then("cidr_block"), "Invalid CIDR block", msg);
            DEFAULT_CIDR.parse().expect("the default CIDR is valid")
        }
    };
    NetworkSpec::Managed {
        cidr,
        az_count: b.u32("az_count", d).unwrap_or(t.az_count),
        nat_gateway: b
            .choice("nat_gateway", NatGateway::parse, NatGateway::NAMES, d)
            .unwrap_or(t.nat_gateway),
    }
}

fn eks(b: &Obj, t: &TierDefaults, d: &mut Diagnostics) -> EksSpec {
    let default_logs = t.eks_enabled_log_types.iter().map(|s| s.to_string());
    let mut node_groups = BTreeMap::new();
    if let Some(groups) = b.field("node_group", d).and_then(Value::entries) {
        for (key, v) in groups {
            let path = b.path.then("node_group").key(key);
            node_groups.insert(key.clone(), node_group(&Obj { v, path }, t, d));
        }
    }
    EksSpec {
        version: b.aws_chosen_str("version"),
        endpoint_public_access: b
            .bool("endpoint_public_access", d)
            .unwrap_or(t.eks_endpoint_public_access),
        endpoint_private_access: b.bool("endpoint_private_access", d).unwrap_or(true),
        public_endpoint_acknowledged: b.bool("public_endpoint_acknowledged", d).unwrap_or(false),
        public_access_cidrs: b.strings("public_access_cidrs", d).unwrap_or_default(),
        enabled_log_types: match b.strings("enabled_log_types", d) {
            Some(v) => v.into_iter().collect(),
            None => default_logs.collect(),
        },
        node_groups,
    }
}

fn node_group(b: &Obj, t: &TierDefaults, d: &mut Diagnostics) -> NodeGroupSpec {
    let min_size = b.u32("min_size", d).unwrap_or(t.node_min_size);
    NodeGroupSpec {
        instance_types: b
            .strings("instance_types", d)
            .unwrap_or_else(|| vec![t.node_instance_type.to_string()]),
        max_size: b
            .u32("max_size", d)
            .unwrap_or_else(|| t.node_max_size_for(min_size)),
        desired_size: b
            .u32("desired_size", d)
            .unwrap_or_else(|| node_desired_size_for(min_size)),
        min_size,
        capacity_type: b
            .choice("capacity_type", CapacityType::parse, CapacityType::NAMES, d)
            .unwrap_or(CapacityType::OnDemand),
        disk_size_gb: b.u32("disk_size_gb", d).unwrap_or(20),
        labels: b.string_map("labels", d),
    }
}

fn rds(b: &Obj, t: &TierDefaults, d: &mut Diagnostics) -> RdsSpec {
    RdsSpec {
        engine: b.str("engine", d).unwrap_or_else(|| "postgres".to_string()),
        engine_version: b.aws_chosen_str("engine_version"),
        instance_class: b
            .str("instance_class", d)
            .unwrap_or_else(|| t.rds_instance_class.to_string()),
        allocated_storage_gb: b
            .u32("allocated_storage_gb", d)
            .unwrap_or(t.rds_allocated_storage_gb),
        max_allocated_storage_gb: b.u32("max_allocated_storage_gb", d),
        multi_az: b.bool("multi_az", d).unwrap_or(t.rds_multi_az),
        backup_retention_days: b
            .u32("backup_retention_days", d)
            .unwrap_or(t.rds_backup_retention_days),
        deletion_protection: b
            .bool("deletion_protection", d)
            .unwrap_or(t.rds_deletion_protection),
        read_replicas: b.u32("read_replicas", d).unwrap_or(0),
        parameters: b.string_map("parameters", d),
        skip_final_snapshot: b
            .bool("skip_final_snapshot", d)
            .unwrap_or(t.rds_skip_final_snapshot),
        final_snapshot_identifier: b.str("final_snapshot_identifier", d),
        snapshot_identifier: b.str("snapshot_identifier", d),
        master_username: b
            .str("master_username", d)
            .unwrap_or_else(|| "mosia".to_string()),
        database_name: b.str("database_name", d),
    }
}

fn elasticache(b: &Obj, t: &TierDefaults, d: &mut Diagnostics) -> ElastiCacheSpec {
    let replicas = b.u32("replicas", d).unwrap_or(t.cache_replicas);
    let automatic_failover = b
        .bool("automatic_failover", d)
        .unwrap_or_else(|| cache_automatic_failover_for(replicas));
    ElastiCacheSpec {
        engine: b
            .choice("engine", CacheEngine::parse, CacheEngine::NAMES, d)
            .unwrap_or(CacheEngine::Redis),
        engine_version: b.aws_chosen_str("engine_version"),
        node_type: b
            .str("node_type", d)
            .unwrap_or_else(|| t.cache_node_type.to_string()),
        replicas,
        multi_az: b
            .bool("multi_az", d)
            .unwrap_or_else(|| cache_multi_az_for(automatic_failover)),
        automatic_failover,
        at_rest_encryption: b.bool("at_rest_encryption", d).unwrap_or(true),
        transit_encryption: b.bool("transit_encryption", d).unwrap_or(true),
    }
}

fn msk(b: &Obj, t: &TierDefaults, network_azs: Option<usize>, d: &mut Diagnostics) -> MskSpec {
    let brokers_per_az = match (b.u32("brokers_per_az", d), network_azs) {
        (Some(n), _) => n,
        (None, Some(azs)) => t.msk_brokers_per_az_for(msk_az_count(azs) as u32),
        (None, None) => {
            d.error_at(
                b.path.then("brokers_per_az"),
                "No network for MSK",
                "MSK brokers are spread over the network's AZs; add a network block",
            );
            0
        }
    };
    MskSpec {
        kafka_version: b.required_str("kafka_version", d),
        broker_instance_type: b
            .str("broker_instance_type", d)
            .unwrap_or_else(|| t.msk_broker_instance_type.to_string()),
        brokers_per_az,
        storage_gb: b.u32("storage_gb", d).unwrap_or(t.msk_storage_gb),
        client_authentication: b
            .choice("client_authentication", MskAuth::parse, MskAuth::NAMES, d)
            .unwrap_or(MskAuth::Iam),
        encryption_in_transit: b
            .choice(
                "encryption_in_transit",
                MskTransit::parse,
                MskTransit::NAMES,
                d,
            )
            .unwrap_or(MskTransit::Tls),
        tls_certificate_authority_arns: b
            .strings("tls_certificate_authority_arns", d)
            .unwrap_or_default(),
    }
}

fn timeouts(b: &Obj, d: &mut Diagnostics) -> Timeouts {
    let mut read = |name: &str, default: Duration| match b.str(name, d) {
        None => default,
        Some(s) => parse_duration(&s).unwrap_or_else(|msg| {
            d.error_at(b.path.then(name), "Invalid timeout", msg);
            default
        }),
    };
    Timeouts {
        create: read("create", DEFAULT_CREATE_TIMEOUT),
        update: read("update", DEFAULT_UPDATE_TIMEOUT),
        delete: read("delete", DEFAULT_DELETE_TIMEOUT),
    }
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
    let t = planned
        .get("tier")
        .as_str()
        .and_then(Tier::parse)
        .map(Tier::defaults);
    if let Some(p) = planned.get_mut("network") {
        fill_network(config.get("network"), p, t);
    }
    // MSK's default broker count depends on the network's AZs, defaults included.
    let network_azs = planned_network_azs(config.get("network"), planned.get("network"));
    if let Some(p) = planned.get_mut("eks") {
        fill_eks(config.get("eks"), p, t);
    }
    if let Some(p) = planned.get_mut("rds") {
        fill_rds(config.get("rds"), p, t);
    }
    if let Some(p) = planned.get_mut("elasticache") {
        fill_elasticache(config.get("elasticache"), p, t);
    }
    if let Some(p) = planned.get_mut("msk") {
        fill_msk(config.get("msk"), p, t, network_azs);
    }
}

/// Sets `attr` to `default` when the configuration leaves it null; None plans it unknown.
fn fill(config: &Value, planned: &mut Value, attr: &str, default: Option<Value>) {
    if config.get(attr).is_null() {
        planned.set_attr(attr, default.unwrap_or_else(Value::unknown));
    }
}

fn int(n: u32) -> Value {
    Value::int(n as i64)
}

/// A planned whole number, when known.
fn planned_u32(planned: &Value, attr: &str) -> Option<u32> {
    planned
        .get(attr)
        .as_i64()
        .and_then(|i| u32::try_from(i).ok())
}

fn is_bring_your_own(config: &Value) -> bool {
    !config.get("vpc_id").is_null() || !config.get("subnet_ids").is_null()
}

/// AZs of the planned network (after its defaults are filled), when known.
fn planned_network_azs(config: &Value, planned: &Value) -> Option<usize> {
    if !matches!(planned, Value::Object(_)) {
        return None;
    }
    if is_bring_your_own(config) {
        let ids = config.get("subnet_ids");
        return ids.is_wholly_known().then(|| ids.elements().len());
    }
    planned_u32(planned, "az_count").map(|n| n as usize)
}

fn fill_network(config: &Value, planned: &mut Value, t: Option<&TierDefaults>) {
    // A network the user brings takes its shape from the VPC: nothing to default.
    if is_bring_your_own(config) || !matches!(planned, Value::Object(_)) {
        return;
    }
    fill(config, planned, "cidr_block", Some(DEFAULT_CIDR.into()));
    fill(config, planned, "az_count", t.map(|t| int(t.az_count)));
    fill(
        config,
        planned,
        "nat_gateway",
        t.map(|t| t.nat_gateway.as_str().into()),
    );
}

fn fill_eks(config: &Value, planned: &mut Value, t: Option<&TierDefaults>) {
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
    let config_groups = config.get("node_group");
    if let Some(Value::Map(groups)) = planned.get_mut("node_group") {
        for (key, group) in groups.iter_mut() {
            let c = config_groups
                .entries()
                .and_then(|m| m.get(key))
                .unwrap_or(&Value::Null);
            fill_node_group(c, group, t);
        }
    }
}

fn fill_node_group(config: &Value, planned: &mut Value, t: Option<&TierDefaults>) {
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
}

/// One tier default as a planned value.
type TierValue = fn(&TierDefaults) -> Value;

fn fill_rds(config: &Value, planned: &mut Value, t: Option<&TierDefaults>) {
    if !matches!(planned, Value::Object(_)) {
        return;
    }
    let values: [(&str, TierValue); 6] = [
        ("instance_class", |t| t.rds_instance_class.into()),
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
}

fn fill_elasticache(config: &Value, planned: &mut Value, t: Option<&TierDefaults>) {
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
    let multi_az = planned
        .get("automatic_failover")
        .as_bool()
        .map(cache_multi_az_for);
    fill(config, planned, "multi_az", multi_az.map(Value::from));
}

fn fill_msk(
    config: &Value,
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
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::resources::environment::schema::schema;
    use mosia_tfplugin::value::json;

    /// A configuration value from JSON, typed by the resource schema (absent attributes null).
    pub(crate) fn config(j: serde_json::Value) -> Value {
        let ty = schema().implied_type();
        json::decode(j.to_string().as_bytes(), &ty).expect("test config matches the schema")
    }

    /// What the generic planner hands the resource on create: the config with computed
    /// attributes the config leaves null unknown (defaults filled by the schema).
    fn planned_on_create(cfg: &Value) -> Value {
        let block = schema().block;
        mosia_tfplugin::plan::apply_schema_rules(&block, &Value::Null, cfg, cfg)
    }

    pub(crate) fn node_group_mut<'a>(cfg: &'a mut Value, key: &str) -> &'a mut Value {
        match cfg.get_mut("eks").and_then(|e| e.get_mut("node_group")) {
            Some(Value::Map(groups)) => groups.get_mut(key).expect("node group in test config"),
            _ => panic!("test config has no node groups"),
        }
    }

    fn plan(cfg: &Value) -> Value {
        let mut planned = planned_on_create(cfg);
        apply_tier_defaults(cfg, &mut planned);
        planned
    }

    #[test]
    fn tier_defaults_table_matches_the_code() {
        assert_eq!(tier_defaults_table(), TIER_DEFAULTS_TABLE);
    }

    #[test]
    fn tier_names_round_trip() {
        for t in Tier::ALL {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
        }
        assert_eq!(Tier::parse("prod"), None);
        assert_eq!(Tier::NAMES, &["dev", "staging", "production"]);
    }

    #[test]
    fn durations_parse_in_terraform_style() {
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h1m1s"), Ok(Duration::from_secs(3661)));
        for bad in ["", "90", "m", "1.5h", "1d", "-5m", "1h 30m", "10M"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should not parse");
        }
        assert!(parse_duration("0s").unwrap_err().contains("zero"));
        assert!(parse_duration("99999999999999999999h").is_err());
    }

    #[test]
    fn cidr_blocks_parse_canonically() {
        let c: Ipv4Cidr = "10.20.0.0/16".parse().unwrap();
        assert_eq!(c.prefix, 16);
        assert_eq!(c.size(), 65536);
        assert_eq!(c.to_string(), "10.20.0.0/16");
        let err = "10.20.1.0/16".parse::<Ipv4Cidr>().unwrap_err();
        assert!(err.contains("10.20.0.0/16"), "{err}");
        for bad in ["10.0.0.0", "10.0.0/16", "10.0.0.0/33", "10.0.0.0/x", "a/16"] {
            assert!(bad.parse::<Ipv4Cidr>().is_err(), "{bad}");
        }
        assert!("0.0.0.0/0".parse::<Ipv4Cidr>().is_ok());
    }

    #[test]
    fn subnets_are_laid_out_per_az() {
        let vpc: Ipv4Cidr = "10.0.0.0/16".parse().unwrap();
        assert_eq!(subnet_prefix(16, 3), 19, "6 subnets round up to 8");
        let layout = subnet_layout(vpc, 3).unwrap();
        let shown = |v: &[Ipv4Cidr]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert_eq!(
            shown(&layout.private),
            ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
        );
        assert_eq!(
            shown(&layout.public),
            ["10.0.96.0/19", "10.0.128.0/19", "10.0.160.0/19"]
        );
        let small: Ipv4Cidr = "10.0.0.0/24".parse().unwrap();
        assert!(subnet_layout(small, 4).is_some(), "8 × /27");
        assert!(subnet_layout(small, 5).is_none(), "16 × /28 is too small");
    }

    #[test]
    fn msk_brokers_per_az_default_reaches_the_tier_minimum() {
        let p = Tier::Production.defaults();
        assert_eq!(p.msk_brokers_per_az_for(3), 1);
        assert_eq!(p.msk_brokers_per_az_for(2), 2);
        assert_eq!(Tier::Dev.defaults().msk_brokers_per_az_for(2), 1);
    }

    fn dev_everything() -> Value {
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
    fn dev_defaults_are_cheap() {
        let spec = from_value(&dev_everything()).unwrap();
        assert_eq!(spec.tier, Tier::Dev);
        assert_eq!(
            spec.network,
            Some(NetworkSpec::Managed {
                cidr: DEFAULT_CIDR.parse().unwrap(),
                az_count: 2,
                nat_gateway: NatGateway::Single,
            })
        );
        let eks = spec.eks.as_ref().unwrap();
        assert!(eks.endpoint_public_access && eks.endpoint_private_access);
        assert!(eks.enabled_log_types.is_empty());
        let ng = &eks.node_groups["general"];
        assert_eq!(ng.instance_types, ["t3.medium"]);
        assert_eq!((ng.min_size, ng.desired_size, ng.max_size), (1, 1, 2));
        assert_eq!(ng.capacity_type, CapacityType::OnDemand);
        let rds = spec.rds.as_ref().unwrap();
        assert_eq!(rds.instance_class, "db.t4g.micro");
        assert_eq!(rds.allocated_storage_gb, 20);
        assert!(!rds.multi_az && !rds.deletion_protection && rds.skip_final_snapshot);
        assert_eq!(rds.backup_retention_days, 1);
        let cache = spec.elasticache.as_ref().unwrap();
        assert_eq!(cache.node_type, "cache.t4g.micro");
        assert_eq!(cache.replicas, 0);
        assert!(!cache.automatic_failover && !cache.multi_az);
        assert!(cache.at_rest_encryption && cache.transit_encryption);
        assert_eq!(
            spec.msk.as_ref().unwrap().broker_instance_type,
            "kafka.t3.small"
        );
        assert_eq!(spec.msk_broker_count(), Some(2), "1 per AZ × 2 AZs");
        assert_eq!(spec.timeouts, Timeouts::default());
    }

    #[test]
    fn production_defaults_are_highly_available() {
        let mut cfg = dev_everything();
        cfg.set_attr("tier", "production".into());
        let spec = from_value(&cfg).unwrap();
        assert_eq!(spec.network.as_ref().unwrap().az_count(), 3);
        assert_eq!(spec.network.as_ref().unwrap().nat_gateway_count(), 3);
        let eks = spec.eks.as_ref().unwrap();
        assert!(!eks.endpoint_public_access);
        assert_eq!(eks.node_groups["general"].min_size, 3);
        let rds = spec.rds.as_ref().unwrap();
        assert!(rds.multi_az && rds.deletion_protection && !rds.skip_final_snapshot);
        assert!(rds.backup_retention_days >= 7);
        let cache = spec.elasticache.as_ref().unwrap();
        assert!(cache.automatic_failover && cache.multi_az && cache.replicas >= 1);
        assert!(spec.msk_broker_count().unwrap() >= 3);
    }

    #[test]
    fn configured_values_win_over_defaults() {
        let cfg = config(serde_json::json!({
            "name": "mosia-prod",
            "tier": "production",
            "network": { "cidr_block": "10.20.0.0/16", "az_count": 2, "nat_gateway": "single" },
            "eks": {
                "version": "1.31",
                "endpoint_public_access": true,
                "public_endpoint_acknowledged": true,
                "node_group": { "general": {
                    "instance_types": ["m7g.large"], "min_size": 4, "labels": { "role": "web" }
                } }
            },
            "rds": { "instance_class": "db.r7g.large", "multi_az": true, "read_replicas": 2,
                     "parameters": { "log_min_duration_statement": "500" } },
            "elasticache": { "engine": "valkey", "replicas": 2, "engine_version": "8.0" },
            "msk": { "kafka_version": "3.6.0", "storage_gb": 1000 },
            "timeouts": { "create": "2h", "delete": "30m" },
        }));
        let spec = from_value(&cfg).unwrap();
        let eks = spec.eks.as_ref().unwrap();
        assert_eq!(eks.version.as_deref(), Some("1.31"));
        let ng = &eks.node_groups["general"];
        assert_eq!((ng.min_size, ng.desired_size, ng.max_size), (4, 4, 6));
        assert_eq!(ng.labels["role"], "web");
        let rds = spec.rds.as_ref().unwrap();
        assert_eq!(rds.read_replicas, 2);
        assert_eq!(rds.parameters["log_min_duration_statement"], "500");
        let cache = spec.elasticache.as_ref().unwrap();
        assert_eq!(cache.engine, CacheEngine::Valkey);
        assert_eq!(cache.engine_version.as_deref(), Some("8.0"));
        assert_eq!(
            spec.msk.as_ref().unwrap().brokers_per_az,
            2,
            "3 brokers over 2 AZs"
        );
        assert_eq!(spec.msk_broker_count(), Some(4));
        assert_eq!(spec.timeouts.create, Duration::from_secs(7200));
        assert_eq!(spec.timeouts.update, DEFAULT_UPDATE_TIMEOUT);
        assert_eq!(spec.timeouts.delete, Duration::from_secs(1800));
    }

    #[test]
    fn node_group_max_default_never_falls_below_min() {
        let cfg = config(serde_json::json!({
            "name": "mosia-dev", "tier": "dev", "network": {},
            "eks": { "node_group": { "big": { "min_size": 5 } } },
        }));
        let ng = &from_value(&cfg).unwrap().eks.unwrap().node_groups["big"];
        assert_eq!((ng.min_size, ng.desired_size, ng.max_size), (5, 5, 5));
    }

    #[test]
    fn bring_your_own_network_is_read_from_subnet_ids() {
        let cfg = config(serde_json::json!({
            "name": "mosia-dev", "tier": "dev",
            "network": { "vpc_id": "vpc-0123456789abcdef0",
                         "subnet_ids": ["subnet-aaaaaaaa", "subnet-bbbbbbbb", "subnet-cccccccc"] },
            "msk": { "kafka_version": "3.6.0" },
        }));
        let spec = from_value(&cfg).unwrap();
        let net = spec.network.as_ref().unwrap();
        assert!(
            matches!(net, NetworkSpec::Existing { vpc_id, .. } if vpc_id == "vpc-0123456789abcdef0")
        );
        assert_eq!(net.az_count(), 3);
        assert_eq!(net.nat_gateway_count(), 0);
        assert_eq!(spec.msk_broker_count(), Some(3));
    }

    #[test]
    fn missing_and_unknown_inputs_are_errors() {
        let cfg = config(serde_json::json!({ "tier": "gold" }));
        let err = from_value(&cfg).unwrap_err();
        let paths: Vec<String> = err
            .iter()
            .map(|d| d.path.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["name", "tier"], "{err}");

        let mut cfg = dev_everything();
        cfg.get_mut("rds")
            .unwrap()
            .set_attr("instance_class", Value::unknown());
        let err = from_value(&cfg).unwrap_err();
        assert_eq!(
            err.0[0].path.as_ref().unwrap().to_string(),
            "rds.instance_class"
        );
    }

    #[test]
    fn versions_aws_chooses_may_be_unknown_in_a_plan() {
        let planned = plan(&dev_everything());
        assert!(planned.get("eks").get("version").is_unknown());
        assert!(planned.get("rds").get("engine_version").is_unknown());
        let spec = from_value(&planned).unwrap();
        assert_eq!(spec.eks.unwrap().version, None);
    }

    #[test]
    fn plan_shows_tier_defaults() {
        let planned = plan(&dev_everything());
        let net = planned.get("network");
        assert_eq!(net.get("cidr_block"), &Value::from(DEFAULT_CIDR));
        assert_eq!(net.get("az_count"), &Value::int(2));
        assert_eq!(net.get("nat_gateway"), &Value::from("single"));
        assert!(net.get("vpc_id").is_unknown(), "computed on create");
        let eks = planned.get("eks");
        assert_eq!(eks.get("endpoint_public_access"), &Value::Bool(true));
        assert_eq!(eks.get("endpoint_private_access"), &Value::Bool(true));
        assert_eq!(eks.get("enabled_log_types"), &Value::set_of([]));
        let ng = eks.get("node_group").entries().unwrap()["general"].clone();
        assert_eq!(
            ng.get("instance_types"),
            &Value::List(vec!["t3.medium".into()])
        );
        assert_eq!(ng.get("min_size"), &Value::int(1));
        assert_eq!(ng.get("max_size"), &Value::int(2));
        assert_eq!(ng.get("desired_size"), &Value::int(1));
        assert_eq!(ng.get("capacity_type"), &Value::from("ON_DEMAND"));
        let rds = planned.get("rds");
        assert_eq!(rds.get("instance_class"), &Value::from("db.t4g.micro"));
        assert_eq!(rds.get("multi_az"), &Value::Bool(false));
        assert_eq!(rds.get("skip_final_snapshot"), &Value::Bool(true));
        let cache = planned.get("elasticache");
        assert_eq!(cache.get("automatic_failover"), &Value::Bool(false));
        assert_eq!(cache.get("multi_az"), &Value::Bool(false));
        let msk = planned.get("msk");
        assert_eq!(msk.get("brokers_per_az"), &Value::int(1));
        assert_eq!(
            msk.get("broker_instance_type"),
            &Value::from("kafka.t3.small")
        );
        // The filled plan reads back to the same spec as the configuration.
        assert_eq!(from_value(&planned), from_value(&dev_everything()));
    }

    #[test]
    fn plan_defaults_follow_a_tier_change() {
        // On update the generic planner keeps prior values for omitted computed attributes;
        // the tier defaults must replace them.
        let mut cfg = dev_everything();
        cfg.set_attr("tier", "production".into());
        let mut planned = plan(&dev_everything());
        planned.set_attr("tier", "production".into());
        apply_tier_defaults(&cfg, &mut planned);
        assert_eq!(planned.get("rds").get("multi_az"), &Value::Bool(true));
        assert_eq!(planned.get("network").get("az_count"), &Value::int(3));
        assert_eq!(planned.get("msk").get("brokers_per_az"), &Value::int(1));
        assert_eq!(from_value(&planned), from_value(&cfg));
    }

    #[test]
    fn plan_defaults_depending_on_unknowns_are_unknown() {
        let mut cfg = dev_everything();
        cfg.set_attr("tier", Value::unknown());
        let planned = plan(&cfg);
        assert!(planned.get("rds").get("instance_class").is_unknown());
        assert!(planned.get("network").get("az_count").is_unknown());
        assert_eq!(
            planned.get("network").get("cidr_block"),
            &Value::from(DEFAULT_CIDR),
            "tier-independent"
        );

        let mut cfg = dev_everything();
        node_group_mut(&mut cfg, "general").set_attr("min_size", Value::unknown());
        let planned = plan(&cfg);
        let ng = planned.get("eks").get("node_group").entries().unwrap()["general"].clone();
        assert!(ng.get("max_size").is_unknown() && ng.get("desired_size").is_unknown());
        assert!(from_value(&planned).is_err(), "min_size is not known");
    }

    #[test]
    fn bring_your_own_plan_keeps_network_shape_open() {
        let cfg = config(serde_json::json!({
            "name": "mosia-dev", "tier": "dev",
            "network": { "vpc_id": "vpc-0123456789abcdef0",
                         "subnet_ids": ["subnet-aaaaaaaa", "subnet-bbbbbbbb"] },
            "msk": { "kafka_version": "3.6.0" },
        }));
        let planned = plan(&cfg);
        assert!(planned.get("network").get("cidr_block").is_unknown());
        assert!(planned.get("network").get("az_count").is_unknown());
        assert_eq!(planned.get("msk").get("brokers_per_az"), &Value::int(1));
    }
}
