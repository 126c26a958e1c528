//! Network guardrails: a network whenever a service block is present; either your own
//! (`vpc_id` and `subnet_ids` together, well-formed and distinct subnets) or one Mosia creates
//! (`cidr_block`, `az_count`, `nat_gateway`), never a mix; a VPC CIDR with room for the
//! subnets; two AZs for EKS, RDS and MSK; a NAT gateway for EKS nodes.

use std::collections::BTreeSet;

use mosia_tfplugin::{AttrPath, Diagnostics, Known, Reader};

use super::{block, int, lenient, string, Ctx, MULTI_AZ_SERVICES, SERVICES};
use crate::resources::environment::schema::valid_subnet_id;
use crate::resources::environment::spec::{
    subnet_prefix, Ipv4Cidr, TierDefaults, DEFAULT_CIDR, MAX_SUBNET_PREFIX, VPC_PREFIX_RANGE,
};

/// Your own network: `vpc_id` or `subnet_ids` set (and known).
fn bring_your_own(net: &Reader) -> bool {
    net.get("vpc_id").is_value() || net.get("subnet_ids").is_value()
}

/// AZs of the network, defaults included; None while unknown or without a network.
pub(super) fn network_azs(config: &Reader, defaults: Option<&TierDefaults>) -> Option<usize> {
    let net = block(config, "network")?;
    if bring_your_own(&net) {
        // A list's length is known even when its elements are not.
        return lenient(net.list("subnet_ids")).value().map(|ids| ids.len());
    }
    let listed = lenient(net.list("availability_zones"))
        .value()
        .filter(|zones| !zones.is_empty())
        .map(|zones| zones.len() as i64);
    let azs = int(&net, "az_count")
        .or(listed)
        .or(defaults.map(|t| t.az_count as i64))?;
    usize::try_from(azs).ok()
}

pub(super) fn check_network(ctx: &Ctx, d: &mut Diagnostics) {
    let services: Vec<&str> = SERVICES
        .into_iter()
        .filter(|s| !ctx.config.is_null(s))
        .collect();
    if ctx.config.is_null("network") {
        if !services.is_empty() {
            d.error_at(
                ctx.config.path_of("network"),
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
    let Some(net) = block(&ctx.config, "network") else {
        return;
    };
    if net.is_unknown("vpc_id") || net.is_unknown("subnet_ids") {
        return;
    }
    if bring_your_own(&net) {
        check_existing_network(&net, d);
    } else {
        check_managed_network(ctx, &net, &services, d);
    }
}

fn check_existing_network(net: &Reader, d: &mut Diagnostics) {
    for attr in [
        "cidr_block",
        "az_count",
        "nat_gateway",
        "availability_zones",
    ] {
        if net.get(attr).is_value() {
            d.error_at(
                net.path_of(attr),
                "Conflicting network settings",
                format!(
                    "{attr} describes a network Mosia creates; with vpc_id and subnet_ids (your \
                     own network) leave it out"
                ),
            );
        }
    }
    match (net.is_null("vpc_id"), net.is_null("subnet_ids")) {
        (true, false) => d.error_at(
            net.path_of("vpc_id"),
            "Incomplete network",
            "subnet_ids brings your own network: also set vpc_id to the VPC the subnets are in",
        ),
        (false, true) => d.error_at(
            net.path_of("subnet_ids"),
            "Incomplete network",
            "vpc_id brings your own network: also list at least 2 of its private subnets, in \
             different Availability Zones, in subnet_ids",
        ),
        _ => {}
    }
    if let Known::Value(ids) = lenient(net.list("subnet_ids")) {
        check_subnet_ids(&net.path_of("subnet_ids"), &ids, d);
    }
}

fn check_subnet_ids(at: &AttrPath, ids: &[Reader], d: &mut Diagnostics) {
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
    for id_reader in ids {
        let Known::Value(id) = lenient(id_reader.read::<&str>()) else {
            continue;
        };
        let at = id_reader.path().clone();
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

/// `availability_zones`: 1 to 6 distinct names that look like AZ names, as many as
/// `az_count` when both are set.
fn check_availability_zones(net: &Reader, d: &mut Diagnostics) {
    let Known::Value(zones) = lenient(net.list("availability_zones")) else {
        return;
    };
    let at = net.path_of("availability_zones");
    if !(1..=6).contains(&zones.len()) {
        d.error_at(
            at.clone(),
            "Invalid Availability Zones",
            format!("list 1 to 6 Availability Zones (got {})", zones.len()),
        );
    }
    if let Known::Value(n) = int(net, "az_count") {
        if n != zones.len() as i64 {
            d.error_at(
                at.clone(),
                "Conflicting network settings",
                format!(
                    "availability_zones lists {} zones but az_count = {n}: leave az_count out \
                     (it follows the list) or make them agree",
                    zones.len()
                ),
            );
        }
    }
    let mut seen = BTreeSet::new();
    for z in &zones {
        let Known::Value(name) = lenient(z.read::<&str>()) else {
            continue;
        };
        if !looks_like_az(name) {
            d.error_at(
                z.path().clone(),
                "Invalid Availability Zone",
                format!("{name:?} is not an Availability Zone name, such as \"us-east-1a\""),
            );
        } else if !seen.insert(name) {
            d.error_at(
                z.path().clone(),
                "Duplicate Availability Zone",
                format!("{name:?} is listed twice"),
            );
        }
    }
}

/// `us-east-1a`, `ap-southeast-2c`, `us-gov-west-1b`: region, then one letter.
fn looks_like_az(name: &str) -> bool {
    let Some(region) = name.strip_suffix(|c: char| c.is_ascii_lowercase()) else {
        return false;
    };
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
}

fn check_managed_network(ctx: &Ctx, net: &Reader, services: &[&str], d: &mut Diagnostics) {
    check_availability_zones(net, d);
    let at_cidr = net.path_of("cidr_block");
    let cidr = match string(net, "cidr_block") {
        Known::Value(s) => vpc_cidr(&at_cidr, s, d),
        Known::Null => DEFAULT_CIDR.parse().ok(),
        Known::Unknown => None,
    };
    if let (Some(cidr), Some(azs)) = (cidr, ctx.network_azs) {
        check_subnet_room(&at_cidr, cidr, azs, d);
    }
    let needs_two: Vec<&str> = services
        .iter()
        .copied()
        .filter(|s| MULTI_AZ_SERVICES.contains(s))
        .collect();
    if ctx.network_azs == Some(1) && !needs_two.is_empty() {
        d.error_at(
            net.path_of("az_count"),
            "Too few Availability Zones",
            format!(
                "{} need at least 2 Availability Zones (EKS clusters, RDS subnet groups and MSK \
                 clusters span two or more): set az_count = 2 or more",
                needs_two.join(", ")
            ),
        );
    }
    let nat = string(net, "nat_gateway");
    if nat == Known::Value("none") && services.contains(&"eks") {
        d.error_at(
            net.path_of("nat_gateway"),
            "No egress for EKS nodes",
            "EKS nodes in the private subnets pull images and join the cluster through a NAT \
             gateway: use nat_gateway = \"single\" or \"per_az\"",
        );
    }
}

/// The VPC CIDR when it is valid for a VPC; otherwise diagnosed.
fn vpc_cidr(at: &AttrPath, s: &str, d: &mut Diagnostics) -> Option<Ipv4Cidr> {
    match s.parse::<Ipv4Cidr>() {
        Err(msg) => {
            d.error_at(at.clone(), "Invalid CIDR block", msg);
            None
        }
        Ok(c) if !VPC_PREFIX_RANGE.contains(&c.prefix) => {
            d.error_at(
                at.clone(),
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

fn check_subnet_room(at: &AttrPath, cidr: Ipv4Cidr, azs: usize, d: &mut Diagnostics) {
    if azs == 0 || azs > 6 {
        return; // out of range: the schema validator reports it
    }
    let sub = subnet_prefix(cidr.prefix, azs as u32);
    if sub <= MAX_SUBNET_PREFIX {
        return;
    }
    let largest_prefix = MAX_SUBNET_PREFIX - (sub - cidr.prefix);
    d.error_at(
        at.clone(),
        "CIDR block too small",
        format!(
            "{cidr} split into a public and a private subnet for each of {azs} AZs gives /{sub} \
             subnets, and Mosia needs subnets of /{MAX_SUBNET_PREFIX} or larger: use a \
             /{largest_prefix} or larger block, or fewer AZs"
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::super::validate;
    use super::*;
    use mosia_tfplugin::Value;

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

    /// The errors of a dev environment with EKS and this `network` block: (path, detail).
    fn errors(network: serde_json::Value) -> Vec<(String, String)> {
        let cfg = crate::resources::environment::spec::tests::config(serde_json::json!({
            "name": "mosia-dev", "tier": "dev", "network": network,
            "eks": { "node_group": { "general": {} } },
        }));
        let mut d = Diagnostics::new();
        validate(&cfg, &mut d);
        d.0.iter()
            .map(|x| {
                let at = x.path.as_ref().map(|p| p.to_string()).unwrap_or_default();
                (at, x.detail.clone())
            })
            .collect()
    }

    #[test]
    fn availability_zones_are_checked_and_set_the_az_count() {
        use serde_json::json;
        assert_eq!(
            errors(json!({ "availability_zones": ["us-east-1a", "us-east-1b"] })),
            []
        );
        // Listed zones count: one zone is too few for EKS, as with az_count = 1.
        let one = errors(json!({ "availability_zones": ["us-east-1a"] }));
        assert!(
            one.iter().any(|(_, m)| m.contains("need at least 2")),
            "{one:?}"
        );
        let e = errors(json!({ "availability_zones": ["us-east-1a", "us-east-1a", "east"] }));
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(e[0].0, "network.availability_zones[1]");
        assert!(e[0].1.contains("listed twice"));
        assert_eq!(e[1].0, "network.availability_zones[2]");
        let e =
            errors(json!({ "az_count": 3, "availability_zones": ["us-east-1a", "us-east-1b"] }));
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].1.contains("lists 2 zones but az_count = 3"), "{e:?}");
        let e = errors(
            json!({ "vpc_id": "vpc-0123abcd", "subnet_ids": ["subnet-0123abcd", "subnet-0123abce"],
                               "availability_zones": ["us-east-1a", "us-east-1b"] }),
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].0, "network.availability_zones");
        for good in [
            "us-east-1a",
            "ap-southeast-2c",
            "us-gov-west-1b",
            "eu-central-2a",
        ] {
            assert!(looks_like_az(good), "{good}");
        }
        for bad in ["us-east-1", "use1-az3", "us-east-1A", "a", "us--1a"] {
            assert!(!looks_like_az(bad), "{bad}");
        }
    }
}
