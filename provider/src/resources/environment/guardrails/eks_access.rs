//! EKS access and add-on guardrails: access entries (one per principal, `cluster-admin`
//! cluster-wide, valid namespaces), production's way in once the creator's session is gone,
//! the KMS key only with secrets encryption, and the add-on list (no duplicates, settings
//! only for listed add-ons, JSON configuration, the EBS CSI driver's pod identity agent).

use std::collections::BTreeMap;

use mosia_tfplugin::{Diagnostics, Known, Reader};

use super::{boolean, lenient, production_error, string, Ctx};
use crate::resources::environment::spec::AccessPolicy;

pub(super) fn check_access(ctx: &Ctx, eks: &Reader, d: &mut Diagnostics) {
    let entries = lenient(eks.each_map_block("access_entry")).value();
    let mut admins = 0;
    let mut principals: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, entry) in entries.iter().flatten() {
        if !entry.value().is_known() {
            admins += 1; // may well be an admin: decided once known
            continue;
        }
        let policy = string(entry, "policy")
            .value()
            .and_then(AccessPolicy::parse);
        if policy == Some(AccessPolicy::ClusterAdmin) {
            admins += 1;
            check_cluster_wide(entry, d);
        }
        check_namespaces(entry, d);
        if let Known::Value(p) = string(entry, "principal_arn") {
            if let Some(other) = principals.insert(p, name) {
                d.error_at(
                    entry.path_of("principal_arn"),
                    "Duplicate access entry",
                    format!(
                        "{p:?} already has access entry {other:?}: EKS keeps one access entry \
                         per principal; give it one policy in one entry"
                    ),
                );
            }
        }
    }
    check_creator_admin(ctx, eks, admins, d);
    if boolean(eks, "secrets_encryption") == Known::Value(false)
        && matches!(string(eks, "kms_key_arn"), Known::Value(_))
    {
        d.error_at(
            eks.path_of("kms_key_arn"),
            "KMS key without secrets encryption",
            "kms_key_arn is the key for secrets encryption, which is off: set \
             secrets_encryption = true or leave kms_key_arn out",
        );
    }
}

/// Production needs a way into the cluster that does not depend on the session that
/// created it.
fn check_creator_admin(ctx: &Ctx, eks: &Reader, admins: usize, d: &mut Diagnostics) {
    let creator_admin = boolean(eks, "creator_admin").or(Some(true));
    let acknowledged = boolean(eks, "creator_admin_acknowledged").or(Some(false));
    if ctx.production() && creator_admin == Some(true) && admins == 0 && acknowledged == Some(false)
    {
        production_error(
            d,
            eks.path_of("creator_admin"),
            "only the identity that runs terraform apply would be cluster-admin: add an \
             access_entry with policy = \"cluster-admin\" for a role the team can assume \
             (someone must get in once the creator's session is gone), or set \
             creator_admin_acknowledged = true"
                .to_string(),
        );
    }
}

fn check_cluster_wide(entry: &Reader, d: &mut Diagnostics) {
    if let Known::Value(ns) = lenient(entry.set_of_strings("namespaces")) {
        if !ns.is_empty() {
            d.error_at(
                entry.path_of("namespaces"),
                "Namespaced cluster-admin",
                "cluster-admin (AmazonEKSClusterAdminPolicy) applies to the whole cluster: \
                 leave namespaces out, or use policy = \"admin\" to scope administration to \
                 namespaces",
            );
        }
    }
}

/// Kubernetes namespace names: DNS labels (RFC 1123), at most 63 characters.
fn valid_namespace(ns: &str) -> bool {
    (1..=63).contains(&ns.len())
        && ns
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !ns.starts_with('-')
        && !ns.ends_with('-')
}

fn check_namespaces(entry: &Reader, d: &mut Diagnostics) {
    let Known::Value(ns) = lenient(entry.set_of_strings("namespaces")) else {
        return;
    };
    for n in ns.iter().filter(|n| !valid_namespace(n)) {
        d.error_at(
            entry.path_of("namespaces"),
            "Invalid namespace",
            format!(
                "{n:?} is not a Kubernetes namespace name: 1-63 lowercase letters, digits or \
                 '-', starting and ending with a letter or digit"
            ),
        );
    }
}

pub(super) fn check_addons(eks: &Reader, d: &mut Diagnostics) {
    let listed = lenient(eks.string_list("addons")).value();
    if let Some(names) = &listed {
        let mut seen = std::collections::BTreeSet::new();
        for n in names {
            if !seen.insert(n) {
                d.error_at(
                    eks.path_of("addons"),
                    "Duplicate add-on",
                    format!("{n:?} is listed twice in addons"),
                );
            }
        }
        let has = |a: &str| names.iter().any(|n| n == a);
        if has("aws-ebs-csi-driver") && !has("eks-pod-identity-agent") {
            d.error_at(
                eks.path_of("addons"),
                "EBS CSI driver without pod identity",
                "aws-ebs-csi-driver gets its IAM role through EKS Pod Identity: add \
                 \"eks-pod-identity-agent\" to addons",
            );
        }
    }
    let Known::Value(blocks) = lenient(eks.each_map_block("addon")) else {
        return;
    };
    for (name, block) in blocks {
        // A null list means the default set.
        let listed_here = listed.as_ref().map_or_else(
            || crate::resources::environment::spec::DEFAULT_ADDONS.contains(&name),
            |names| names.iter().any(|n| n == name),
        );
        if !listed_here && !eks.is_unknown("addons") {
            d.error_at(
                block.path().clone(),
                "Settings for an add-on not installed",
                format!("addon {name:?} has settings but is not in addons: add it to addons"),
            );
        }
        if let Known::Value(json) = string(&block, "configuration") {
            if let Err(e) = serde_json::from_str::<serde_json::Value>(json) {
                d.error_at(
                    block.path_of("configuration"),
                    "Invalid add-on configuration",
                    format!("configuration must be JSON (use jsonencode): {e}"),
                );
            }
        }
    }
}
