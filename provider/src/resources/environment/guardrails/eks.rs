//! EKS guardrails: a plausible Kubernetes version, at least one endpoint, public access
//! CIDRs only with a public endpoint, and per node group a valid name, known instance types of
//! one architecture, and ordered sizes. Production keeps the API private unless acknowledged.

use mosia_tfplugin::{AttrPath, Diagnostics, Known, Reader};

use super::{boolean, int, lenient, production_error, string, Ctx, EKS_MINOR_VERSIONS};
use crate::aws::eks::is_graviton;
use crate::resources::environment::cost::{lookup, Arch, Service};
use crate::resources::environment::spec::{node_desired_size_for, AmiType, Ipv4Cidr, TaintEffect};

pub(super) fn check_eks(ctx: &Ctx, eks: &Reader, d: &mut Diagnostics) {
    if let Known::Value(v) = string(eks, "version") {
        if !plausible_eks_version(v) {
            d.error_at(
                eks.path_of("version"),
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
            eks.path_of("endpoint_private_access"),
            "No cluster endpoint",
            "with endpoint_public_access = false the Kubernetes API is reachable only through \
             the private endpoint: set endpoint_private_access = true",
        );
    }
    let acknowledged = boolean(eks, "public_endpoint_acknowledged").or(Some(false));
    if ctx.production() && public_field == Known::Value(true) && acknowledged == Some(false) {
        production_error(
            d,
            eks.path_of("endpoint_public_access"),
            "production clusters keep the Kubernetes API private: set endpoint_public_access = \
             false, or confirm the exposure with public_endpoint_acknowledged = true (and \
             restrict public_access_cidrs)"
                .to_string(),
        );
    }
    check_public_access_cidrs(eks, public, d);
    super::eks_access::check_access(ctx, eks, d);
    super::eks_access::check_addons(eks, d);
    if let Known::Value(groups) = lenient(eks.each_map_block("node_group")) {
        for (name, group) in groups {
            if group.value().is_known() {
                check_node_group(ctx, name, &group, d);
            }
        }
    }
}

fn plausible_eks_version(v: &str) -> bool {
    v.strip_prefix("1.")
        .and_then(|minor| minor.parse::<u32>().ok())
        .is_some_and(|minor| EKS_MINOR_VERSIONS.contains(&minor))
}

fn check_public_access_cidrs(eks: &Reader, public: Option<bool>, d: &mut Diagnostics) {
    let Known::Value(cidrs) = lenient(eks.list("public_access_cidrs")) else {
        return;
    };
    let at = eks.path_of("public_access_cidrs");
    if public == Some(false) && !cidrs.is_empty() {
        d.error_at(
            at.clone(),
            "Public endpoint is off",
            "public_access_cidrs restricts the public endpoint, which is off: set \
             endpoint_public_access = true or leave public_access_cidrs out",
        );
    }
    for c in &cidrs {
        if let Known::Value(Err(msg)) = lenient(c.read::<&str>()).map(str::parse::<Ipv4Cidr>) {
            d.error_at(c.path().clone(), "Invalid CIDR block", msg);
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

fn check_node_group(ctx: &Ctx, name: &str, group: &Reader, d: &mut Diagnostics) {
    let at = group.path().clone();
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
    if let Known::Value(types) = lenient(group.list("instance_types")) {
        check_instance_types(&group.path_of("instance_types"), &types, d);
    }
    check_node_group_sizes(ctx, &at, group, d);
    check_update_settings(group, d);
}

/// Taints within EKS's limits, one way to say `max_unavailable`, an AMI of the instance
/// types' architecture.
fn check_update_settings(group: &Reader, d: &mut Diagnostics) {
    if let Known::Value(taints) = lenient(group.list("taints")) {
        if taints.len() > 50 {
            d.error_at(
                group.path_of("taints"),
                "Too many taints",
                format!(
                    "{} taints; EKS allows at most 50 per node group",
                    taints.len()
                ),
            );
        }
        for t in &taints {
            check_taint(t, d);
        }
    }
    if let (Known::Value(_), Known::Value(_)) = (
        int(group, "max_unavailable"),
        int(group, "max_unavailable_percentage"),
    ) {
        d.error_at(
            group.path_of("max_unavailable_percentage"),
            "Conflicting update settings",
            "set max_unavailable (nodes) or max_unavailable_percentage, not both",
        );
    }
    let ami = string(group, "ami_type").value().and_then(AmiType::parse);
    let types = lenient(group.string_list("instance_types")).value();
    if let (Some(ami), Some(types)) = (ami, types) {
        if let Some(t) = types.iter().find(|t| is_graviton(t) != ami.is_arm()) {
            let arch = |arm: bool| if arm { "arm64" } else { "x86_64" };
            d.error_at(
                group.path_of("ami_type"),
                "AMI of another architecture",
                format!(
                    "{ami} is an {} AMI but {t:?} is {}: pick an AMI type of the instance \
                     types' architecture, or leave ami_type out to derive it",
                    arch(ami.is_arm()),
                    arch(is_graviton(t)),
                ),
            );
        }
    }
}

fn check_taint(t: &Reader, d: &mut Diagnostics) {
    if let Known::Value(key) = string(t, "key") {
        if !(1..=63).contains(&key.len()) {
            d.error_at(
                t.path_of("key"),
                "Invalid taint",
                format!("taint key {key:?} must be 1 to 63 characters"),
            );
        }
    }
    if let Known::Value(value) = string(t, "value") {
        if value.len() > 63 {
            d.error_at(
                t.path_of("value"),
                "Invalid taint",
                format!("taint value {value:?} must be at most 63 characters"),
            );
        }
    }
    if let Known::Value(effect) = string(t, "effect") {
        if TaintEffect::parse(effect).is_none() {
            d.error_at(
                t.path_of("effect"),
                "Invalid taint",
                format!(
                    "effect {effect:?} is not allowed; expected one of {}",
                    TaintEffect::NAMES.join(", ")
                ),
            );
        }
    }
}

fn check_instance_types(at: &AttrPath, types: &[Reader], d: &mut Diagnostics) {
    if types.is_empty() {
        d.error_at(
            at.clone(),
            "No instance types",
            "list at least one EC2 instance type, such as \"m6i.large\"",
        );
    }
    let mut first: Option<(&str, Arch)> = None;
    for t in types {
        let Known::Value(name) = lenient(t.read::<&str>()) else {
            continue;
        };
        let at = t.path().clone();
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

fn check_node_group_sizes(ctx: &Ctx, at: &AttrPath, group: &Reader, d: &mut Diagnostics) {
    let min = int(group, "min_size").or(ctx.defaults.map(|t| t.node_min_size as i64));
    let max = match int(group, "max_size") {
        Known::Value(v) => Some(v),
        Known::Null => ctx
            .defaults
            .zip(min)
            .map(|(t, min)| t.node_max_size_for(min.max(0) as u32) as i64),
        Known::Unknown => None,
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
