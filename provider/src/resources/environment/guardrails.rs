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
//!   desired_size <= max_size`.
//! - `rds`: `engine_version` major 13 to 18; known `db.` class; `max_allocated_storage_gb` at
//!   least 10% above `allocated_storage_gb`; read replicas need backups.
//! - `elasticache`: `engine_version` Redis OSS 6-7 or Valkey 7-8; known `cache.` type;
//!   automatic failover needs a replica; Multi-AZ needs automatic failover.
//! - `msk`: `kafka_version` 2.8+, 3.x or 4.x; known `kafka.` type; `tls` authentication needs
//!   CA ARNs (and only it takes them); IAM and TLS authentication need TLS in transit. The
//!   broker count is `brokers_per_az` × AZs, a multiple of the AZ count by construction.
//! - production only: RDS `multi_az` not false, `backup_retention_days` >= 7,
//!   `deletion_protection` not false; ElastiCache `automatic_failover` not false and
//!   `replicas` >= 1; MSK at least 3 brokers; EKS `endpoint_public_access` not true unless
//!   `public_endpoint_acknowledged = true`.

use std::collections::BTreeSet;

use mosia_tfplugin::{AttrPath, Diagnostics, Value};

use super::cost::{lookup, Arch, Service};
use super::schema::{valid_subnet_id, RDS_STORAGE_GB};
use super::spec::{
    cache_automatic_failover_for, msk_az_count, node_desired_size_for, subnet_prefix, Ipv4Cidr,
    Tier, TierDefaults, DEFAULT_CIDR, MAX_SUBNET_PREFIX, VPC_PREFIX_RANGE,
};
use crate::aws::tags::OWNERSHIP_PREFIX;

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
    check_tags(config, diags);
    check_network(&ctx, diags);
    if let Some(eks) = block(config, "eks") {
        check_eks(&ctx, eks, diags);
    }
    if let Some(rds) = block(config, "rds") {
        check_rds(&ctx, rds, diags);
    }
    if let Some(cache) = block(config, "elasticache") {
        check_elasticache(&ctx, cache, diags);
    }
    if let Some(msk) = block(config, "msk") {
        check_msk(&ctx, msk, diags);
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the configuration

/// What the configuration says about one attribute.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field<T> {
    Unset,
    Unknown,
    Set(T),
}

impl<T> Field<T> {
    /// The configured value, else `default`; None while not known.
    fn or(self, default: Option<T>) -> Option<T> {
        match self {
            Field::Set(v) => Some(v),
            Field::Unset => default,
            Field::Unknown => None,
        }
    }
}

fn field<'v, T>(b: &'v Value, name: &str, read: impl Fn(&'v Value) -> Option<T>) -> Field<T> {
    match b.get(name) {
        Value::Null => Field::Unset,
        Value::Unknown(_) => Field::Unknown,
        // A value of the wrong type cannot pass Terraform's conversion; treat it as unknown.
        v => read(v).map_or(Field::Unknown, Field::Set),
    }
}

fn int(b: &Value, name: &str) -> Field<i64> {
    field(b, name, Value::as_i64)
}

fn boolean(b: &Value, name: &str) -> Field<bool> {
    field(b, name, Value::as_bool)
}

fn string<'v>(b: &'v Value, name: &str) -> Field<&'v str> {
    field(b, name, Value::as_str)
}

/// A present, known block.
fn block<'v>(config: &'v Value, name: &str) -> Option<&'v Value> {
    match config.get(name) {
        v @ Value::Object(_) => Some(v),
        _ => None,
    }
}

fn path(block: &str, attr: &str) -> AttrPath {
    AttrPath::attr(block).then(attr)
}

/// Inputs several checks share.
struct Ctx<'v> {
    config: &'v Value,
    /// None while the tier is unknown (or invalid, which the schema reports).
    tier: Option<Tier>,
    defaults: Option<&'static TierDefaults>,
    /// AZs of the network, defaults included; None while unknown or without a network.
    network_azs: Option<usize>,
}

impl<'v> Ctx<'v> {
    fn new(config: &'v Value) -> Self {
        let tier = config.get("tier").as_str().and_then(Tier::parse);
        let defaults = tier.map(Tier::defaults);
        Ctx {
            config,
            tier,
            defaults,
            network_azs: network_azs(config, defaults),
        }
    }

    fn production(&self) -> bool {
        self.tier == Some(Tier::Production)
    }
}

/// Known and not null: an unknown value (e.g. a module variable during `validate`) tells
/// nothing yet; it is checked again once known.
fn is_set(v: &Value) -> bool {
    !v.is_null() && v.is_known()
}

fn bring_your_own(net: &Value) -> bool {
    is_set(net.get("vpc_id")) || is_set(net.get("subnet_ids"))
}

fn network_azs(config: &Value, defaults: Option<&TierDefaults>) -> Option<usize> {
    let net = block(config, "network")?;
    if bring_your_own(net) {
        // A list's length is known even when its elements are not.
        return match net.get("subnet_ids") {
            Value::List(ids) => Some(ids.len()),
            _ => None,
        };
    }
    let azs = int(net, "az_count").or(defaults.map(|t| t.az_count as i64))?;
    usize::try_from(azs).ok()
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

// ---------------------------------------------------------------------------------------------
// Tags and network

fn check_tags(config: &Value, d: &mut Diagnostics) {
    let Some(tags) = config.get("tags").entries() else {
        return;
    };
    for key in tags.keys().filter(|k| k.starts_with(OWNERSHIP_PREFIX)) {
        d.error_at(
            AttrPath::attr("tags").key(key),
            "Reserved tag key",
            format!(
                "tag keys starting with {OWNERSHIP_PREFIX:?} are reserved for Mosia's ownership tags"
            ),
        );
    }
}

fn check_network(ctx: &Ctx, d: &mut Diagnostics) {
    let services: Vec<&str> = SERVICES
        .into_iter()
        .filter(|s| !ctx.config.get(s).is_null())
        .collect();
    let net = ctx.config.get("network");
    if net.is_null() {
        if !services.is_empty() {
            d.error_at(
                AttrPath::attr("network"),
                "Missing network",
                format!(
                    "{} run in the environment's VPC: add `network {{}}` for a VPC Mosia creates \
                     (default CIDR {DEFAULT_CIDR}), or `network {{ vpc_id = ..., subnet_ids = [...] }}` \
                     to bring your own",
                    services.join(", ")
                ),
            );
        }
        return;
    }
    let Some(net) = block(ctx.config, "network") else {
        return;
    };
    if net.get("vpc_id").is_unknown() || net.get("subnet_ids").is_unknown() {
        return;
    }
    if bring_your_own(net) {
        check_existing_network(net, d);
    } else {
        check_managed_network(ctx, net, &services, d);
    }
}

fn check_existing_network(net: &Value, d: &mut Diagnostics) {
    for attr in ["cidr_block", "az_count", "nat_gateway"] {
        if is_set(net.get(attr)) {
            d.error_at(
                path("network", attr),
                "Conflicting network settings",
                format!(
                    "{attr} describes a network Mosia creates; with vpc_id and subnet_ids (your \
                     own network) leave it out"
                ),
            );
        }
    }
    match (net.get("vpc_id").is_null(), net.get("subnet_ids").is_null()) {
        (true, false) => d.error_at(
            path("network", "vpc_id"),
            "Incomplete network",
            "subnet_ids brings your own network: also set vpc_id to the VPC the subnets are in",
        ),
        (false, true) => d.error_at(
            path("network", "subnet_ids"),
            "Incomplete network",
            "vpc_id brings your own network: also list at least 2 of its private subnets, in \
             different Availability Zones, in subnet_ids",
        ),
        _ => {}
    }
    if let Value::List(ids) = net.get("subnet_ids") {
        check_subnet_ids(ids, d);
    }
}

fn check_subnet_ids(ids: &[Value], d: &mut Diagnostics) {
    let at = path("network", "subnet_ids");
    if ids.len() < 2 {
        d.error_at(
            at.clone(),
            "Too few subnets",
            format!(
                "at least 2 subnets in different Availability Zones are needed (EKS, RDS and \
                 MSK span two AZs); got {}",
                ids.len()
            ),
        );
    }
    let mut seen = BTreeSet::new();
    for (i, id) in ids.iter().enumerate() {
        let Some(id) = id.as_str() else { continue };
        let at = at.index(i as i64);
        if !valid_subnet_id(id) {
            d.error_at(
                at,
                "Invalid subnet ID",
                format!(
                    "{id:?} is not a subnet ID: expected subnet- and 8 or 17 hexadecimal digits"
                ),
            );
        } else if !seen.insert(id) {
            d.error_at(at, "Duplicate subnet", format!("{id:?} is listed twice"));
        }
    }
}

fn check_managed_network(ctx: &Ctx, net: &Value, services: &[&str], d: &mut Diagnostics) {
    let cidr = match string(net, "cidr_block") {
        Field::Set(s) => vpc_cidr(s, d),
        Field::Unset => DEFAULT_CIDR.parse().ok(),
        Field::Unknown => None,
    };
    if let (Some(cidr), Some(azs)) = (cidr, ctx.network_azs) {
        check_subnet_room(cidr, azs, d);
    }
    let needs_two: Vec<&str> = services
        .iter()
        .copied()
        .filter(|s| MULTI_AZ_SERVICES.contains(s))
        .collect();
    if ctx.network_azs == Some(1) && !needs_two.is_empty() {
        d.error_at(
            path("network", "az_count"),
            "Too few Availability Zones",
            format!(
                "{} need at least 2 Availability Zones (EKS clusters, RDS subnet groups and MSK \
                 clusters span two or more): set az_count = 2 or more",
                needs_two.join(", ")
            ),
        );
    }
    let nat = string(net, "nat_gateway");
    if nat == Field::Set("none") && services.contains(&"eks") {
        d.error_at(
            path("network", "nat_gateway"),
            "No egress for EKS nodes",
            "EKS nodes in the private subnets pull images and join the cluster through a NAT \
             gateway: use nat_gateway = \"single\" or \"per_az\"",
        );
    }
}

/// The VPC CIDR when it is valid for a VPC; otherwise diagnosed.
fn vpc_cidr(s: &str, d: &mut Diagnostics) -> Option<Ipv4Cidr> {
    let at = path("network", "cidr_block");
    match s.parse::<Ipv4Cidr>() {
        Err(msg) => {
            d.error_at(at, "Invalid CIDR block", msg);
            None
        }
        Ok(c) if !VPC_PREFIX_RANGE.contains(&c.prefix) => {
            d.error_at(
                at,
                "Invalid CIDR block",
                format!(
                    "a VPC CIDR block must be from /{} to /{}; got /{}",
                    VPC_PREFIX_RANGE.start(),
                    VPC_PREFIX_RANGE.end(),
                    c.prefix
                ),
            );
            None
        }
        Ok(c) => Some(c),
    }
}

fn check_subnet_room(cidr: Ipv4Cidr, azs: usize, d: &mut Diagnostics) {
    if azs == 0 || azs > 6 {
        return; // out of range: the schema validator reports it
    }
    let sub = subnet_prefix(cidr.prefix, azs as u32);
    if sub <= MAX_SUBNET_PREFIX {
        return;
    }
    let largest_prefix = MAX_SUBNET_PREFIX - (sub - cidr.prefix);
    d.error_at(
        path("network", "cidr_block"),
        "CIDR block too small",
        format!(
            "{cidr} split into a public and a private subnet for each of {azs} AZs gives /{sub} \
             subnets, and Mosia needs subnets of /{MAX_SUBNET_PREFIX} or larger: use a \
             /{largest_prefix} or larger block, or fewer AZs"
        ),
    );
}

// ---------------------------------------------------------------------------------------------
// EKS

fn check_eks(ctx: &Ctx, eks: &Value, d: &mut Diagnostics) {
    if let Field::Set(v) = string(eks, "version") {
        if !plausible_eks_version(v) {
            d.error_at(
                path("eks", "version"),
                "Unsupported Kubernetes version",
                format!(
                    "{v:?} is not a Kubernetes version EKS offers: expected 1.{} to 1.{}, such as \"1.31\"",
                    EKS_MINOR_VERSIONS.start(),
                    EKS_MINOR_VERSIONS.end()
                ),
            );
        }
    }
    let public_field = boolean(eks, "endpoint_public_access");
    let public = public_field.or(ctx.defaults.map(|t| t.eks_endpoint_public_access));
    let private = boolean(eks, "endpoint_private_access").or(Some(true));
    if public == Some(false) && private == Some(false) {
        d.error_at(
            path("eks", "endpoint_private_access"),
            "No cluster endpoint",
            "with endpoint_public_access = false the Kubernetes API is reachable only through \
             the private endpoint: set endpoint_private_access = true",
        );
    }
    let acknowledged = boolean(eks, "public_endpoint_acknowledged").or(Some(false));
    if ctx.production() && public_field == Field::Set(true) && acknowledged == Some(false) {
        production_error(
            d,
            path("eks", "endpoint_public_access"),
            "production clusters keep the Kubernetes API private: set endpoint_public_access = \
             false, or confirm the exposure with public_endpoint_acknowledged = true (and \
             restrict public_access_cidrs)"
                .to_string(),
        );
    }
    check_public_access_cidrs(eks, public, d);
    if let Some(groups) = eks.get("node_group").entries() {
        for (name, group) in groups {
            if matches!(group, Value::Object(_)) {
                check_node_group(ctx, name, group, d);
            }
        }
    }
}

fn plausible_eks_version(v: &str) -> bool {
    v.strip_prefix("1.")
        .and_then(|minor| minor.parse::<u32>().ok())
        .is_some_and(|minor| EKS_MINOR_VERSIONS.contains(&minor))
}

fn check_public_access_cidrs(eks: &Value, public: Option<bool>, d: &mut Diagnostics) {
    let Value::List(cidrs) = eks.get("public_access_cidrs") else {
        return;
    };
    let at = path("eks", "public_access_cidrs");
    if public == Some(false) && !cidrs.is_empty() {
        d.error_at(
            at.clone(),
            "Public endpoint is off",
            "public_access_cidrs restricts the public endpoint, which is off: set \
             endpoint_public_access = true or leave public_access_cidrs out",
        );
    }
    for (i, c) in cidrs.iter().enumerate() {
        if let Some(Err(msg)) = c.as_str().map(str::parse::<Ipv4Cidr>) {
            d.error_at(at.index(i as i64), "Invalid CIDR block", msg);
        }
    }
}

/// EKS node group names (the AWS name is `ENV-NAME`, at most 63 characters).
fn valid_node_group_name(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_node_group(ctx: &Ctx, name: &str, group: &Value, d: &mut Diagnostics) {
    let at = AttrPath::attr("eks").then("node_group").key(name);
    if !valid_node_group_name(name) {
        d.error_at(
            at.clone(),
            "Invalid node group name",
            format!(
                "{name:?} is not a valid node group name: 1-32 letters, digits, '-' or '_', \
                 starting with a letter or digit"
            ),
        );
    }
    if let Value::List(types) = group.get("instance_types") {
        check_instance_types(&at.then("instance_types"), types, d);
    }
    check_node_group_sizes(ctx, &at, group, d);
}

fn check_instance_types(at: &AttrPath, types: &[Value], d: &mut Diagnostics) {
    if types.is_empty() {
        d.error_at(
            at.clone(),
            "No instance types",
            "list at least one EC2 instance type, such as \"m6i.large\"",
        );
    }
    let mut first: Option<(&str, Arch)> = None;
    for (i, t) in types.iter().enumerate() {
        let Some(name) = t.as_str() else { continue };
        let at = at.index(i as i64);
        let arch = match lookup(Service::Ec2, name) {
            Ok(found) => found.family.arch,
            Err(e) => {
                d.error_at(at, "Unknown instance type", e.message().to_string());
                continue;
            }
        };
        match first {
            None => first = Some((name, arch)),
            Some((first_name, first_arch)) if first_arch != arch => d.error_at(
                at,
                "Mixed architectures",
                format!(
                    "{name:?} is {} but {first_name:?} is {}: a node group runs one AMI \
                     architecture; put them in separate node groups",
                    arch.as_str(),
                    first_arch.as_str()
                ),
            ),
            Some(_) => {}
        }
    }
}

fn check_node_group_sizes(ctx: &Ctx, at: &AttrPath, group: &Value, d: &mut Diagnostics) {
    let min = int(group, "min_size").or(ctx.defaults.map(|t| t.node_min_size as i64));
    let max = match int(group, "max_size") {
        Field::Set(v) => Some(v),
        Field::Unset => ctx
            .defaults
            .zip(min)
            .map(|(t, min)| t.node_max_size_for(min.max(0) as u32) as i64),
        Field::Unknown => None,
    };
    let desired =
        int(group, "desired_size").or(min.map(|m| node_desired_size_for(m.max(0) as u32) as i64));
    let (Some(min), Some(max)) = (min, max) else {
        return;
    };
    if min > max {
        d.error_at(
            at.then("max_size"),
            "Invalid node group sizes",
            format!("max_size ({max}) must be at least min_size ({min})"),
        );
    } else if let Some(desired) = desired.filter(|n| !(min..=max).contains(n)) {
        d.error_at(
            at.then("desired_size"),
            "Invalid node group sizes",
            format!(
                "desired_size ({desired}) must be between min_size ({min}) and max_size ({max})"
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// RDS

fn check_rds(ctx: &Ctx, rds: &Value, d: &mut Diagnostics) {
    if let Field::Set(v) = string(rds, "engine_version") {
        if !plausible_postgres_version(v) {
            d.error_at(
                path("rds", "engine_version"),
                "Unsupported engine version",
                format!(
                    "{v:?} is not a PostgreSQL version RDS offers: expected a major version from \
                     {} to {}, optionally with a minor one, such as \"16\" or \"16.4\"",
                    POSTGRES_MAJOR_VERSIONS.start(),
                    POSTGRES_MAJOR_VERSIONS.end()
                ),
            );
        }
    }
    if let Field::Set(class) = string(rds, "instance_class") {
        check_instance_type(d, path("rds", "instance_class"), Service::Rds, class);
    }
    // An out-of-range size is the schema validator's to report; comparing with it would
    // only add a second error for the same mistake.
    let allocated = int(rds, "allocated_storage_gb")
        .or(ctx.defaults.map(|t| t.rds_allocated_storage_gb as i64))
        .filter(|a| RDS_STORAGE_GB.contains(a));
    if let (Field::Set(max), Some(allocated)) = (int(rds, "max_allocated_storage_gb"), allocated) {
        let least = (allocated.max(0) as u64 * 11).div_ceil(10);
        if (max.max(0) as u64) < least {
            d.error_at(
                path("rds", "max_allocated_storage_gb"),
                "Invalid storage autoscaling",
                format!(
                    "storage autoscaling needs a ceiling at least 10% above allocated_storage_gb \
                     ({allocated}): {least} or more, or leave max_allocated_storage_gb out to \
                     turn autoscaling off"
                ),
            );
        }
    }
    let backups = int(rds, "backup_retention_days");
    let backup_days = backups.or(ctx.defaults.map(|t| t.rds_backup_retention_days as i64));
    let replicas = int(rds, "read_replicas").or(Some(0));
    if replicas.is_some_and(|r| r > 0) && backup_days == Some(0) {
        d.error_at(
            path("rds", "backup_retention_days"),
            "Read replicas need backups",
            "read replicas are built from the primary's automated backups: set \
             backup_retention_days to 1 or more",
        );
    }
    if ctx.production() {
        check_rds_production(rds, backups, d);
    }
}

fn check_rds_production(rds: &Value, backups: Field<i64>, d: &mut Diagnostics) {
    if boolean(rds, "multi_az") == Field::Set(false) {
        production_error(
            d,
            path("rds", "multi_az"),
            "production databases run Multi-AZ, with a standby in a second AZ that takes over on \
             failure: set multi_az = true or leave it out"
                .to_string(),
        );
    }
    if let Field::Set(days) = backups {
        if days < PRODUCTION_MIN_BACKUP_DAYS {
            production_error(
                d,
                path("rds", "backup_retention_days"),
                format!(
                    "production keeps at least {PRODUCTION_MIN_BACKUP_DAYS} days of backups; \
                     got {days}"
                ),
            );
        }
    }
    if boolean(rds, "deletion_protection") == Field::Set(false) {
        production_error(
            d,
            path("rds", "deletion_protection"),
            "production databases keep deletion protection on: set deletion_protection = true \
             or leave it out. To retire a production environment, change its tier in one apply, \
             then destroy"
                .to_string(),
        );
    }
}

fn plausible_postgres_version(v: &str) -> bool {
    let mut parts = v.split('.');
    let major = parts.next().and_then(|m| m.parse::<u32>().ok());
    let minor_ok = match parts.next() {
        None => true,
        Some(minor) => minor.parse::<u32>().is_ok(),
    };
    major.is_some_and(|m| POSTGRES_MAJOR_VERSIONS.contains(&m))
        && minor_ok
        && parts.next().is_none()
}

// ---------------------------------------------------------------------------------------------
// ElastiCache

fn check_elasticache(ctx: &Ctx, cache: &Value, d: &mut Diagnostics) {
    let engine = string(cache, "engine").or(Some("redis"));
    if let (Field::Set(v), Some(engine)) = (string(cache, "engine_version"), engine) {
        if let Err(allowed) = plausible_cache_version(engine, v) {
            d.error_at(
                path("elasticache", "engine_version"),
                "Unsupported engine version",
                format!("{v:?} is not a {engine} version ElastiCache offers: expected {allowed}"),
            );
        }
    }
    if let Field::Set(t) = string(cache, "node_type") {
        check_instance_type(d, path("elasticache", "node_type"), Service::ElastiCache, t);
    }
    let replicas_field = int(cache, "replicas");
    let replicas = replicas_field.or(ctx.defaults.map(|t| t.cache_replicas as i64));
    let failover_field = boolean(cache, "automatic_failover");
    if failover_field == Field::Set(true) && replicas == Some(0) {
        d.error_at(
            path("elasticache", "automatic_failover"),
            "Failover needs a replica",
            "automatic failover promotes a replica when the primary fails: set replicas to 1 or more",
        );
    }
    let failover =
        failover_field.or(replicas.map(|r| cache_automatic_failover_for(r.max(0) as u32)));
    if boolean(cache, "multi_az") == Field::Set(true) && failover == Some(false) {
        d.error_at(
            path("elasticache", "multi_az"),
            "Multi-AZ needs failover",
            "ElastiCache Multi-AZ needs automatic_failover = true (and so at least 1 replica)",
        );
    }
    if ctx.production() {
        if failover_field == Field::Set(false) {
            production_error(
                d,
                path("elasticache", "automatic_failover"),
                "production caches fail over to a replica automatically: set automatic_failover \
                 = true or leave it out"
                    .to_string(),
            );
        }
        if replicas_field == Field::Set(0) {
            production_error(
                d,
                path("elasticache", "replicas"),
                "production caches keep at least 1 replica to fail over to; got 0".to_string(),
            );
        }
    }
}

/// Ok when `version` is MAJOR.MINOR of a major the engine has; Err lists what is allowed.
fn plausible_cache_version(engine: &str, version: &str) -> Result<(), &'static str> {
    let (majors, allowed): (&[u32], &str) = match engine {
        "redis" => (&[6, 7], "6.x or 7.x as MAJOR.MINOR, such as \"7.1\""),
        "valkey" => (&[7, 8], "7.x or 8.x as MAJOR.MINOR, such as \"8.0\""),
        _ => return Ok(()), // an invalid engine is the schema validator's to report
    };
    let parsed = version
        .split_once('.')
        .and_then(|(major, minor)| Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?)));
    match parsed {
        Some((major, _)) if majors.contains(&major) => Ok(()),
        _ => Err(allowed),
    }
}

// ---------------------------------------------------------------------------------------------
// MSK

fn check_msk(ctx: &Ctx, msk: &Value, d: &mut Diagnostics) {
    if let Field::Set(v) = string(msk, "kafka_version") {
        if !plausible_kafka_version(v) {
            d.error_at(
                path("msk", "kafka_version"),
                "Unsupported Kafka version",
                format!(
                    "{v:?} is not an Apache Kafka version MSK offers: expected 2.8.x, 3.x or \
                     4.x as MSK names them, such as \"3.6.0\" or \"3.7.x.kraft\""
                ),
            );
        }
    }
    if let Field::Set(t) = string(msk, "broker_instance_type") {
        check_instance_type(d, path("msk", "broker_instance_type"), Service::Msk, t);
    }
    if ctx.production() {
        check_msk_production(ctx, msk, d);
    }
    check_msk_authentication(msk, d);
}

fn check_msk_production(ctx: &Ctx, msk: &Value, d: &mut Diagnostics) {
    let (Field::Set(per_az), Some(azs)) = (int(msk, "brokers_per_az"), ctx.network_azs) else {
        return;
    };
    let msk_azs = msk_az_count(azs) as i64;
    let total = per_az * msk_azs;
    // Fewer than 2 AZs is already diagnosed on the network.
    if msk_azs >= 2 && total < PRODUCTION_MIN_BROKERS {
        let needed = (PRODUCTION_MIN_BROKERS as u64).div_ceil(msk_azs as u64);
        production_error(
            d,
            path("msk", "brokers_per_az"),
            format!(
                "production runs at least {PRODUCTION_MIN_BROKERS} brokers; {per_az} per AZ × \
                 {msk_azs} AZs is {total}: set brokers_per_az = {needed} or more, or leave it out"
            ),
        );
    }
}

fn check_msk_authentication(msk: &Value, d: &mut Diagnostics) {
    let auth = string(msk, "client_authentication").or(Some("iam"));
    let arns = msk.get("tls_certificate_authority_arns");
    let has_arns = !arns.elements().is_empty() || arns.is_unknown();
    let at_arns = path("msk", "tls_certificate_authority_arns");
    if auth == Some("tls") && !has_arns {
        d.error_at(
            at_arns.clone(),
            "Missing certificate authorities",
            "client_authentication = \"tls\" needs the ARNs of the ACM Private CAs that issue \
             the client certificates",
        );
    }
    if auth.is_some_and(|a| a != "tls") && !arns.elements().is_empty() {
        d.error_at(
            at_arns.clone(),
            "Certificate authorities not used",
            "tls_certificate_authority_arns is only used with client_authentication = \"tls\"",
        );
    }
    for (i, arn) in arns.elements().iter().enumerate() {
        if let Some(a) = arn
            .as_str()
            .filter(|a| !(a.starts_with("arn:") && a.contains(":acm-pca:")))
        {
            d.error_at(
                at_arns.index(i as i64),
                "Invalid certificate authority",
                format!("{a:?} is not an ACM Private CA ARN (arn:aws:acm-pca:REGION:ACCOUNT:certificate-authority/ID)"),
            );
        }
    }
    let transit = string(msk, "encryption_in_transit").or(Some("TLS"));
    if let (Some(auth @ ("iam" | "tls")), Some("PLAINTEXT")) = (auth, transit) {
        d.error_at(
            path("msk", "encryption_in_transit"),
            "Authentication needs TLS",
            format!(
                "{auth} client authentication runs over TLS: set encryption_in_transit to \"TLS\" \
                 or \"TLS_PLAINTEXT\""
            ),
        );
    }
}

/// MSK version names: MAJOR.MINOR.PATCH with optional suffixes (`3.7.x.kraft`, `2.8.2.tiered`).
fn plausible_kafka_version(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    let (Some(major), Some(minor)) = (
        parts.first().and_then(|p| p.parse::<u32>().ok()),
        parts.get(1).and_then(|p| p.parse::<u32>().ok()),
    ) else {
        return false;
    };
    let patch_ok = parts
        .get(2)
        .is_some_and(|p| *p == "x" || p.parse::<u32>().is_ok());
    let series_ok = match major {
        2 => minor >= 8,
        3 | 4 => true,
        _ => false,
    };
    patch_ok && series_ok
}

#[cfg(test)]
mod unknown_network_tests {
    use super::*;

    #[test]
    fn unknown_network_inputs_are_not_judged_yet() {
        // What a module's variables look like during `terraform validate`.
        let net = Value::object([
            ("vpc_id", Value::unknown()),
            ("subnet_ids", Value::unknown()),
            ("cidr_block", Value::unknown()),
            ("az_count", Value::unknown()),
            ("nat_gateway", Value::unknown()),
        ]);
        let config = Value::object([
            ("name", Value::from("mosia-dev")),
            ("tier", Value::from("dev")),
            ("network", net),
        ]);
        let mut d = Diagnostics::new();
        validate(&config, &mut d);
        assert!(!d.0.iter().any(|x| x.summary.contains("network")), "{d}");
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
                "node_group": { "general": {
                    "instance_types": ["m6i.large", "m6a.large"],
                    "min_size": 2, "max_size": 6, "desired_size": 3
                } }
            },
            "rds": {
                "engine": "postgres", "engine_version": "16.4", "instance_class": "db.r7g.large",
                "allocated_storage_gb": 100, "max_allocated_storage_gb": 500, "multi_az": true,
                "backup_retention_days": 14, "deletion_protection": true, "read_replicas": 1,
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
        assert_clean(&config(json!({
            "name": "mosia-prod", "tier": "production",
            "network": {}, "eks": { "node_group": { "general": {} } },
            "rds": {}, "elasticache": {}, "msk": { "kafka_version": "3.6.0" },
        })));
        // 2 AZs: the default brokers_per_az rises to 2.
        assert_clean(&config(json!({
            "name": "mosia-prod", "tier": "production",
            "network": { "az_count": 2 }, "msk": { "kafka_version": "3.6.0" },
        })));
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
            "name": "mosia-dev", "tier": "dev", "network": { "az_count": 1 }, "elasticache": {},
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
    fn rds_read_replicas_need_backups() {
        let cfg = dev_with("rds", "backup_retention_days", json!(0));
        assert_one_error(
            &cfg,
            "rds.backup_retention_days",
            "set backup_retention_days to 1 or more",
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
        let cfg = prod_with("msk", "encryption_in_transit", json!("PLAINTEXT"));
        assert_one_error(
            &cfg,
            "msk.encryption_in_transit",
            "iam client authentication runs over TLS",
        );
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
}
