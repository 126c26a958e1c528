//! The typed view of a `mosia_environment`: what the configuration (or the plan) asks for,
//! with the tier's defaults filled in where the user left a value out.
//!
//! Two entry points share one set of default rules, so the plan and the apply can never
//! disagree about an effective value:
//! - [`apply_tier_defaults`] writes the defaults into a planned [`Value`], so `terraform plan`
//!   shows what will be built;
//! - [`from_value`] reads a configuration or planned value into an [`EnvironmentSpec`].

use std::collections::BTreeMap;
use std::time::Duration;

use mosia_tfplugin::{Diagnostics, Reader, Value};

pub use crate::aws::eks::input::{
    AccessEntrySpec, AccessPolicy, AddonSpec, AmiType, AuthenticationMode, CapacityType, EksSpec,
    MaxUnavailable, NodeGroupSpec, Scaling, SupportType, Taint, TaintEffect, DEFAULT_ADDONS,
};
pub use crate::aws::elasticache::input::{
    CacheAuthentication, CacheEngine, CacheUserAccess, ElastiCacheSpec,
};
pub use crate::aws::msk::input::{msk_az_count, MskAuth, MskSpec, MskTransit, MSK_MAX_AZS};
pub use crate::aws::network::input::{
    subnet_layout, subnet_prefix, Ipv4Cidr, NatGateway, NetworkAccessSpec, NetworkSpec,
    SubnetLayout, GATEWAY_ENDPOINT_SERVICES, MAX_SUBNET_PREFIX, VPC_ENDPOINT_SERVICES,
};
pub use crate::aws::rds::input::{MajorUpgrade, RdsSpec};
pub use crate::aws::workload::{
    CacheAccess, Identity, KafkaAccess, MskAccessSpec, RdsAccess, WorkloadSpec,
};

mod monitoring;
mod tier;
mod tier_table;
mod workloads;
pub use crate::aws::monitoring::{AlertTopic, MonitoringSpec};
pub use monitoring::{threshold_names, BackupConfig, THRESHOLDS};
pub use tier::*;
pub use tier_table::*;

/// CIDR of a network Mosia creates when the configuration names neither `cidr_block` nor
/// `vpc_id` (tier-independent).
pub const DEFAULT_CIDR: &str = "10.0.0.0/16";
/// VPC prefix lengths Mosia accepts: /16 is AWS's largest VPC, /24 the smallest that still
/// splits into usable subnets.
pub const VPC_PREFIX_RANGE: std::ops::RangeInclusive<u8> = 16..=24;

pub const DEFAULT_CREATE_TIMEOUT: Duration = Duration::from_secs(90 * 60);
pub const DEFAULT_UPDATE_TIMEOUT: Duration = Duration::from_secs(90 * 60);
pub const DEFAULT_DELETE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

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
    /// Who reaches the data services, and the VPC endpoints (from the `network` block).
    pub network_access: NetworkAccessSpec,
    pub eks: Option<EksSpec>,
    pub rds: Option<RdsSpec>,
    pub elasticache: Option<ElastiCacheSpec>,
    pub msk: Option<MskSpec>,
    /// The `workload` blocks, by name.
    pub workloads: BTreeMap<String, WorkloadSpec>,
    pub encryption: EncryptionSpec,
    /// Alert topic and alarms (the `monitoring` block, or the tier's defaults without it).
    pub monitoring: MonitoringSpec,
    /// AWS Backup of the database (the `backup` block, or the tier's defaults without it).
    pub backup: BackupConfig,
    pub timeouts: Timeouts,
}

/// Which KMS key encrypts the environment (`customer_managed_key`, `kms_key_arn`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncryptionSpec {
    /// The environment's own key, when no key of the user's is given.
    pub customer_managed: bool,
    /// The user's key (`kms_key_arn`).
    pub given: Option<String>,
    /// The cluster encrypts Kubernetes secrets with the environment's own key, which EKS
    /// cannot change: the key stays for it when the environment moves to `given`.
    pub eks_keeps_own_key: bool,
}

impl EncryptionSpec {
    /// True when the data is encrypted with a customer-managed key (the user's or Mosia's).
    pub fn customer_managed_data(&self) -> bool {
        self.given.is_some() || self.customer_managed
    }
}

impl EnvironmentSpec {
    /// True when Mosia creates the environment's own key ([`crate::aws::part::PartId::Kms`]):
    /// for the data, or for Kubernetes secrets when no other key is given for them.
    pub fn has_own_key(&self) -> bool {
        let data = self.encryption.given.is_none() && self.encryption.customer_managed;
        data || self.eks_uses_own_key()
    }

    /// True when the cluster encrypts Kubernetes secrets with the environment's own key:
    /// no key of its own, and none of the user's for the environment (or the cluster had
    /// the own key before the user's was given).
    pub fn eks_uses_own_key(&self) -> bool {
        self.eks.as_ref().is_some_and(|e| {
            e.secrets_encryption
                && e.kms_key_arn.is_none()
                && (self.encryption.given.is_none() || self.encryption.eks_keeps_own_key)
        })
    }
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

/// For values AWS chooses when left out: unknown (planned, not chosen yet) reads as None.
fn aws_chosen(b: &Reader, name: &str) -> Option<String> {
    b.clone().allow_unknown().opt_string(name).ok()?.value()
}

/// Reads a configuration or planned value, applying tier defaults to what is left out.
///
/// Values AWS chooses when omitted (versions) may be unknown; any other unknown input is an
/// error, so callers that only want a best effort at plan time (the cost estimate) treat an
/// error as "not known yet".
pub fn from_value(v: &Value) -> Result<EnvironmentSpec, Diagnostics> {
    let mut d = Diagnostics::new();
    let root = Reader::new(v).require_known();
    let name = d.take(root.string("name")).unwrap_or_default();
    // A placeholder tier lets the rest be read (and diagnosed) in one pass.
    let tier = d
        .take(root.choice("tier", Tier::parse, Tier::NAMES))
        .unwrap_or(Tier::Dev);
    let t = tier.defaults();
    let network_block = d.take(root.block("network"));
    let network_access = workloads::network_access(network_block.as_ref(), t, &mut d);
    let network = network_block.map(|b| network(&b, t, &mut d));
    let network_azs = network.as_ref().map(NetworkSpec::az_count);
    let mut spec = EnvironmentSpec {
        tags: d.take(root.string_map("tags")).unwrap_or_default(),
        eks: d.take(root.block("eks")).map(|b| eks(&b, t, &mut d)),
        rds: d.take(root.block("rds")).map(|b| rds(&b, t, &mut d)),
        elasticache: d
            .take(root.block("elasticache"))
            .map(|b| elasticache(&b, t, &mut d)),
        msk: d
            .take(root.block("msk"))
            .map(|b| msk(&b, t, network_azs, &mut d)),
        workloads: workloads::workloads(&root, &mut d),
        encryption: EncryptionSpec {
            customer_managed: d
                .take(root.opt_bool("customer_managed_key"))
                .unwrap_or(t.customer_managed_key),
            given: d.take(root.opt_string("kms_key_arn")),
            eks_keeps_own_key: false,
        },
        monitoring: monitoring::monitoring(&root, tier, t, &mut d),
        backup: monitoring::backup(&root, t, &mut d),
        timeouts: d
            .take(root.block("timeouts"))
            .map(|b| timeouts(&b, &mut d))
            .unwrap_or_default(),
        name,
        tier,
        network,
        network_access,
    };
    monitoring::apply_to_parts(&mut spec);
    cache_users(&mut spec);
    scram_users(&mut spec);
    if let Some(e) = spec.eks.as_mut() {
        if eks_key_is_own(v) {
            e.kms_key_arn = None;
            spec.encryption.eks_keeps_own_key = true;
        }
    }
    if d.has_errors() {
        Err(d)
    } else {
        Ok(spec)
    }
}

/// True when `v` (a state, or a plan made from one) records the environment's own KMS key
/// among its parts, under its key or the one it had when it served EKS only (`eks.kms`).
pub(super) fn has_own_key_part(v: &Value) -> bool {
    v.get("part_status").entries().is_some_and(|m| {
        m.keys()
            .any(|k| crate::aws::part::PartId::parse(k) == Some(crate::aws::part::PartId::Kms))
    })
}

/// True when `eks.kms_key_arn` of `v` shows the environment's own key (like a key of the
/// user's): the key part says it is Mosia's, to converge and to schedule for deletion at
/// destroy. The own key is the environment's (`encryption_key_arn`), or EKS's alone when the
/// data uses AWS-managed keys.
fn eks_key_is_own(v: &Value) -> bool {
    let environment_key = v.get("encryption_key_arn");
    let eks_key = v.get("eks").get("kms_key_arn");
    // Moving to the user's key: the cluster's key is still the own one (EKS cannot change it).
    let moving_to_users = !v.get("kms_key_arn").is_null() && eks_key != v.get("kms_key_arn");
    has_own_key_part(v)
        && !eks_key.is_null()
        && (environment_key.is_null() || environment_key == eks_key || moving_to_users)
}

fn network(b: &Reader, t: &TierDefaults, d: &mut Diagnostics) -> NetworkSpec {
    // `subnet_ids` is input only, so it tells the modes apart in a plan too (`vpc_id` is
    // also computed for a network Mosia creates).
    if let Some(subnet_ids) = d.take(b.string_list("subnet_ids")) {
        return NetworkSpec::Existing {
            vpc_id: d.take(b.string("vpc_id")).unwrap_or_default(),
            subnet_ids,
        };
    }
    let cidr_text = d.take(b.opt_string("cidr_block"));
    let cidr = match cidr_text.as_deref().unwrap_or(DEFAULT_CIDR).parse() {
        Ok(c) => c,
        Err(msg) => {
            d.error_at(b.path_of("cidr_block"), "Invalid CIDR block", msg);
            DEFAULT_CIDR.parse().expect("the default CIDR is valid")
        }
    };
    let availability_zones = d
        .take(b.string_list("availability_zones"))
        .unwrap_or_default();
    let listed = (!availability_zones.is_empty()).then_some(availability_zones.len() as u32);
    NetworkSpec::Managed {
        cidr,
        az_count: d
            .take(b.opt_u32("az_count"))
            .or(listed)
            .unwrap_or(t.az_count),
        availability_zones,
        nat_gateway: d
            .take(b.opt_choice("nat_gateway", NatGateway::parse, NatGateway::NAMES))
            .unwrap_or(t.nat_gateway),
    }
}

fn eks(b: &Reader, t: &TierDefaults, d: &mut Diagnostics) -> EksSpec {
    let default_logs = || {
        t.eks_enabled_log_types
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let node_groups = d
        .take(b.each_map_block("node_group"))
        .unwrap_or_default()
        .into_iter()
        .map(|(key, group)| (key.to_string(), node_group(&group, t, d)))
        .collect();
    EksSpec {
        version: aws_chosen(b, "version"),
        endpoint_public_access: d
            .take(b.opt_bool("endpoint_public_access"))
            .unwrap_or(t.eks_endpoint_public_access),
        endpoint_private_access: d
            .take(b.opt_bool("endpoint_private_access"))
            .unwrap_or(true),
        public_endpoint_acknowledged: d
            .take(b.opt_bool("public_endpoint_acknowledged"))
            .unwrap_or(false),
        public_access_cidrs: d
            .take(b.string_list("public_access_cidrs"))
            .unwrap_or_default(),
        enabled_log_types: d
            .take(b.set_of_strings("enabled_log_types"))
            .unwrap_or_else(default_logs),
        authentication_mode: d
            .take(b.opt_choice(
                "authentication_mode",
                AuthenticationMode::parse,
                AuthenticationMode::CONFIGURABLE,
            ))
            .unwrap_or(t.eks_authentication_mode),
        creator_admin: d.take(b.opt_bool("creator_admin")).unwrap_or(true),
        creator_admin_acknowledged: d
            .take(b.opt_bool("creator_admin_acknowledged"))
            .unwrap_or(false),
        support_type: d
            .take(b.opt_choice("support_type", SupportType::parse, SupportType::NAMES))
            .unwrap_or(SupportType::Extended),
        secrets_encryption: d
            .take(b.opt_bool("secrets_encryption"))
            .unwrap_or(t.eks_secrets_encryption),
        kms_key_arn: aws_chosen(b, "kms_key_arn"),
        log_retention_days: d
            .take(b.opt_u32("log_retention_days"))
            .unwrap_or(t.eks_log_retention_days),
        access_entries: access_entries(b, d),
        addons: addons(b, d),
        node_groups,
    }
}

fn access_entries(b: &Reader, d: &mut Diagnostics) -> BTreeMap<String, AccessEntrySpec> {
    let entries = d.take(b.each_map_block("access_entry")).unwrap_or_default();
    let mut out = BTreeMap::new();
    for (name, e) in entries {
        let principal_arn = d.take(e.string("principal_arn"));
        let policy = d.take(e.choice("policy", AccessPolicy::parse, AccessPolicy::NAMES));
        let namespaces = d.take(e.set_of_strings("namespaces")).unwrap_or_default();
        if let (Some(principal_arn), Some(policy)) = (principal_arn, policy) {
            let entry = AccessEntrySpec {
                principal_arn,
                policy,
                namespaces,
            };
            out.insert(name.to_string(), entry);
        }
    }
    out
}

/// The `addons` list (default: [`DEFAULT_ADDONS`]) with each `addon` block's settings.
fn addons(b: &Reader, d: &mut Diagnostics) -> BTreeMap<String, AddonSpec> {
    let names = d
        .take(b.string_list("addons"))
        .unwrap_or_else(|| DEFAULT_ADDONS.iter().map(|a| a.to_string()).collect());
    let blocks = d.take(b.each_map_block("addon")).unwrap_or_default();
    names
        .into_iter()
        .map(|name| {
            let block = blocks.iter().find(|(k, _)| *k == name).map(|(_, r)| r);
            let settings = block.map(|r| AddonSpec {
                version: d.take(r.opt_string("version")).filter(|v| v != "latest"),
                configuration: d.take(r.opt_string("configuration")),
            });
            (name, settings.unwrap_or_default())
        })
        .collect()
}

fn node_group(b: &Reader, t: &TierDefaults, d: &mut Diagnostics) -> NodeGroupSpec {
    let min_size = d.take(b.opt_u32("min_size")).unwrap_or(t.node_min_size);
    let instance_types = d
        .take(b.string_list("instance_types"))
        .unwrap_or_else(|| vec![t.node_instance_type.to_string()]);
    NodeGroupSpec {
        max_size: d
            .take(b.opt_u32("max_size"))
            .unwrap_or_else(|| t.node_max_size_for(min_size)),
        desired_size: d
            .take(b.opt_u32("desired_size"))
            .unwrap_or_else(|| node_desired_size_for(min_size)),
        min_size,
        capacity_type: d
            .take(b.opt_choice("capacity_type", CapacityType::parse, CapacityType::NAMES))
            .unwrap_or(CapacityType::OnDemand),
        disk_size_gb: d.take(b.opt_u32("disk_size_gb")).unwrap_or(20),
        labels: d.take(b.string_map("labels")).unwrap_or_default(),
        ami_type: d
            .take(b.opt_choice("ami_type", AmiType::parse, AmiType::NAMES))
            .or_else(|| crate::aws::eks::ami_type(&instance_types).ok()),
        instance_types,
        taints: taints(b, d),
        max_unavailable: max_unavailable(b, d),
        scaling: d
            .take(b.opt_choice("scaling", Scaling::parse, Scaling::NAMES))
            .unwrap_or(Scaling::Managed),
    }
}

fn taints(b: &Reader, d: &mut Diagnostics) -> Vec<Taint> {
    let items = d.take(b.list("taints")).unwrap_or_default();
    items
        .iter()
        .filter_map(|t| {
            let key = d.take(t.string("key"));
            let value = d.take(t.opt_string("value"));
            let effect = d.take(t.choice("effect", TaintEffect::parse, TaintEffect::NAMES));
            Some(Taint {
                key: key?,
                value,
                effect: effect?,
            })
        })
        .collect()
}

/// `max_unavailable` or `max_unavailable_percentage` (the guardrails refuse both); EKS's
/// default of one node when neither is set.
fn max_unavailable(b: &Reader, d: &mut Diagnostics) -> MaxUnavailable {
    let count = d.take(b.opt_u32("max_unavailable"));
    let percentage = d.take(b.opt_u32("max_unavailable_percentage"));
    match (count, percentage) {
        (Some(n), _) => MaxUnavailable::Count(n),
        (None, Some(p)) => MaxUnavailable::Percentage(p),
        (None, None) => MaxUnavailable::default(),
    }
}

fn rds(b: &Reader, t: &TierDefaults, d: &mut Diagnostics) -> RdsSpec {
    RdsSpec {
        kms_key: Default::default(),
        engine: d
            .take(b.opt_string("engine"))
            .unwrap_or_else(|| "postgres".to_string()),
        engine_version: aws_chosen(b, "engine_version"),
        instance_class: d
            .take(b.opt_string("instance_class"))
            .unwrap_or_else(|| t.rds_instance_class.to_string()),
        allocated_storage_gb: d
            .take(b.opt_u32("allocated_storage_gb"))
            .unwrap_or(t.rds_allocated_storage_gb),
        max_allocated_storage_gb: d.take(b.opt_u32("max_allocated_storage_gb")),
        multi_az: d.take(b.opt_bool("multi_az")).unwrap_or(t.rds_multi_az),
        backup_retention_days: d
            .take(b.opt_u32("backup_retention_days"))
            .unwrap_or(t.rds_backup_retention_days),
        deletion_protection: d
            .take(b.opt_bool("deletion_protection"))
            .unwrap_or(t.rds_deletion_protection),
        read_replicas: d.take(b.opt_u32("read_replicas")).unwrap_or(0),
        parameters: d.take(b.string_map("parameters")).unwrap_or_default(),
        skip_final_snapshot: d
            .take(b.opt_bool("skip_final_snapshot"))
            .unwrap_or(t.rds_skip_final_snapshot),
        final_snapshot_identifier: d.take(b.opt_string("final_snapshot_identifier")),
        snapshot_identifier: d.take(b.opt_string("snapshot_identifier")),
        master_username: d
            .take(b.opt_string("master_username"))
            .unwrap_or_else(|| "mosia".to_string()),
        database_name: d.take(b.opt_string("database_name")),
        iam_database_authentication: d
            .take(b.opt_bool("iam_database_authentication"))
            .unwrap_or(true),
        maintenance_window: aws_chosen(b, "maintenance_window")
            .or(t.rds_maintenance_window.map(String::from)),
        backup_window: aws_chosen(b, "backup_window").or(t.rds_backup_window.map(String::from)),
        apply_immediately: d
            .take(b.opt_bool("apply_immediately"))
            .unwrap_or(t.apply_immediately),
        auto_minor_version_upgrade: d
            .take(b.opt_bool("auto_minor_version_upgrade"))
            .unwrap_or(true),
        major_upgrade: d
            .take(b.opt_choice("major_upgrade", MajorUpgrade::parse, MajorUpgrade::NAMES))
            .unwrap_or(t.rds_major_upgrade),
        old_instance_retention_hours: d
            .take(b.opt_u32("old_instance_retention_hours"))
            .unwrap_or(t.rds_old_instance_retention_hours),
        // From the `monitoring` block: see `monitoring::apply_to_parts`.
        insights: false,
        enhanced_monitoring: false,
        log_exports_retention_days: None,
    }
}

fn elasticache(b: &Reader, t: &TierDefaults, d: &mut Diagnostics) -> ElastiCacheSpec {
    let replicas = d.take(b.opt_u32("replicas")).unwrap_or(t.cache_replicas);
    let automatic_failover = d
        .take(b.opt_bool("automatic_failover"))
        .unwrap_or_else(|| cache_automatic_failover_for(replicas));
    ElastiCacheSpec {
        kms_key: Default::default(),
        engine: d
            .take(b.opt_choice("engine", CacheEngine::parse, CacheEngine::NAMES))
            .unwrap_or(CacheEngine::Redis),
        engine_version: aws_chosen(b, "engine_version"),
        node_type: d
            .take(b.opt_string("node_type"))
            .unwrap_or_else(|| t.cache_node_type.to_string()),
        replicas,
        multi_az: d
            .take(b.opt_bool("multi_az"))
            .unwrap_or_else(|| cache_multi_az_for(automatic_failover)),
        automatic_failover,
        at_rest_encryption: d.take(b.opt_bool("at_rest_encryption")).unwrap_or(true),
        transit_encryption: d.take(b.opt_bool("transit_encryption")).unwrap_or(true),
        authentication: d
            .take(b.opt_choice(
                "authentication",
                CacheAuthentication::parse,
                CacheAuthentication::NAMES,
            ))
            .unwrap_or(CacheAuthentication::Iam),
        users: BTreeMap::new(),
        maintenance_window: aws_chosen(b, "maintenance_window")
            .or(t.cache_maintenance_window.map(String::from)),
        parameters: d.take(b.string_map("parameters")).unwrap_or_default(),
        apply_immediately: d
            .take(b.opt_bool("apply_immediately"))
            .unwrap_or(t.apply_immediately),
        skip_final_snapshot: d
            .take(b.opt_bool("skip_final_snapshot"))
            .unwrap_or(t.rds_skip_final_snapshot),
        // From the `monitoring` and `backup` blocks: see `monitoring::apply_to_parts`.
        log_retention_days: None,
        snapshot_retention_days: 0,
    }
}

/// The cache's IAM users: one per workload with `elasticache` access (authentication `iam`).
fn cache_users(spec: &mut EnvironmentSpec) {
    let Some(cache) = spec
        .elasticache
        .as_mut()
        .filter(|c| c.authentication == CacheAuthentication::Iam)
    else {
        return;
    };
    cache.users = spec
        .workloads
        .iter()
        .filter_map(|(name, w)| {
            let access = match w.elasticache {
                CacheAccess::None => return None,
                CacheAccess::ReadOnly => CacheUserAccess::ReadOnly,
                CacheAccess::ReadWrite => CacheUserAccess::ReadWrite,
            };
            Some((name.clone(), access))
        })
        .collect();
}

/// One SCRAM user per workload with Kafka access, when SCRAM is on.
fn scram_users(spec: &mut EnvironmentSpec) {
    let Some(msk) = spec.msk.as_mut().filter(|m| m.scram) else {
        return;
    };
    msk.scram_users = spec
        .workloads
        .iter()
        .filter(|(_, w)| w.msk.is_some())
        .map(|(name, _)| name.clone())
        .collect();
}

fn msk(b: &Reader, t: &TierDefaults, network_azs: Option<usize>, d: &mut Diagnostics) -> MskSpec {
    let brokers_per_az = match (d.take(b.opt_u32("brokers_per_az")), network_azs) {
        (Some(n), _) => n,
        (None, Some(azs)) => t.msk_brokers_per_az_for(msk_az_count(azs) as u32),
        (None, None) => {
            d.error_at(
                b.path_of("brokers_per_az"),
                "No network for MSK",
                "MSK brokers are spread over the network's AZs; add a network block",
            );
            0
        }
    };
    MskSpec {
        kms_key: Default::default(),
        kafka_version: d.take(b.string("kafka_version")).unwrap_or_default(),
        broker_instance_type: d
            .take(b.opt_string("broker_instance_type"))
            .unwrap_or_else(|| t.msk_broker_instance_type.to_string()),
        brokers_per_az,
        storage_gb: d.take(b.opt_u32("storage_gb")).unwrap_or(t.msk_storage_gb),
        client_authentication: d
            .take(b.opt_choice("client_authentication", MskAuth::parse, MskAuth::NAMES))
            .unwrap_or(MskAuth::Iam),
        encryption_in_transit: d
            .take(b.opt_choice(
                "encryption_in_transit",
                MskTransit::parse,
                MskTransit::NAMES,
            ))
            .unwrap_or(MskTransit::Tls),
        tls_certificate_authority_arns: d
            .take(b.string_list("tls_certificate_authority_arns"))
            .unwrap_or_default(),
        server_properties: merged_server_properties(
            t,
            &d.take(b.string_map("configuration")).unwrap_or_default(),
        ),
        storage_autoscaling_max_gb: d.take(b.opt_u32("storage_autoscaling_max_gb")),
        scram: d.take(b.opt_bool("scram")).unwrap_or(false),
        scram_users: Default::default(),
        // From the `monitoring` block: see `monitoring::apply_to_parts`.
        broker_logs_retention_days: None,
        per_topic_metrics: false,
        open_monitoring: false,
    }
}

fn timeouts(b: &Reader, d: &mut Diagnostics) -> Timeouts {
    let mut read = |name: &str, default: Duration| match d.take(b.opt_string(name)) {
        None => default,
        Some(s) => parse_duration(&s).unwrap_or_else(|msg| {
            d.error_at(b.path_of(name), "Invalid timeout", msg);
            default
        }),
    };
    Timeouts {
        create: read("create", DEFAULT_CREATE_TIMEOUT),
        update: read("update", DEFAULT_UPDATE_TIMEOUT),
        delete: read("delete", DEFAULT_DELETE_TIMEOUT),
    }
}

#[cfg(test)]
pub(crate) mod tests;
