//! The EKS add-ons in the resource's state: `eks.addon_versions` (add-on → installed
//! version), the `part_status` of `eks.addon.NAME` (planned, applied, observed), and the
//! `addons` list and `addon` blocks rebuilt by import.
//!
//! `part_status`: `ready` when the add-on is ACTIVE; `degraded` for an add-on that needs nodes
//! (coredns, the EBS CSI driver, ...) in a configuration without node groups, which EKS
//! leaves DEGRADED. The plan says the same, so such an environment plans empty. A refresh
//! that finds an add-on deleted outside Terraform marks it `missing` (the plan re-creates
//! it); a version moved outside Terraform shows in `addon_versions`, and for a pinned add-on
//! as `part_status` `drifted` (the apply puts the pin back).
//!
//! Import lists the add-ons that carry the environment's ownership tags in `addons` (in the
//! default order, others after it), with an `addon` block only for configuration values:
//! versions are imported as `latest` (the installed version is kept while EKS offers it for
//! the cluster's Kubernetes version, so nothing moves).

use std::collections::BTreeMap;

use mosia_tfplugin::Value;

use super::flatten::set_in;
use super::spec::EnvironmentSpec;
use crate::aws::eks::{self, AddonState, DEFAULT_ADDONS};
use crate::aws::part::PartId;

/// The `part_status` word of an add-on that needs nodes in a configuration without any.
pub(super) const DEGRADED: &str = "degraded";
/// The `part_status` word of a pinned add-on found at another version.
pub(super) const DRIFTED: &str = "drifted";
/// The `part_status` word of the add-ons of a cluster EKS upgraded on its own.
pub(super) const OUTDATED: &str = super::observe::OUTDATED;

/// `eks.addon_versions` is not known in a plan where an add-on will change: one not
/// `ready` (nor `degraded` for want of nodes) before.
pub(super) fn unknown_versions_of_changing_addons(prior: &Value, planned: &mut Value) {
    let Some(statuses) = prior.get("part_status").entries() else {
        return;
    };
    let changing = statuses.iter().any(|(part, status)| {
        matches!(PartId::parse(part), Some(PartId::EksAddon(_)))
            && !matches!(status.as_str(), Some("ready" | DEGRADED))
    });
    if changing {
        set_in(planned, "eks", "addon_versions", Value::unknown());
    }
}

/// The planned `part_status` word of `part`: `degraded` for an add-on EKS cannot run
/// without nodes when there is no node group, else `ready`.
pub(super) fn planned_status(spec: &EnvironmentSpec, part: &PartId) -> &'static str {
    match (part, &spec.eks) {
        (PartId::EksAddon(name), Some(e))
            if eks::AddonHealth::of(name, !e.node_groups.is_empty())
                == eks::AddonHealth::NodesAbsent =>
        {
            DEGRADED
        }
        _ => "ready",
    }
}

/// True when a prior `part_status` word of `part` means nothing is rebuilt: an add-on
/// waiting for nodes is as it should be.
pub(super) fn settled(part: &str, status: &str) -> bool {
    status == DEGRADED && matches!(PartId::parse(part), Some(PartId::EksAddon(_)))
}

/// Sets `eks.addon_versions[name]` from what an add-on part returned (over the planned map
/// when it is known, so the add-ons whose parts did not run keep theirs).
pub(super) fn fill_addon_version(state: &mut Value, a: &AddonState) {
    let current = state.get("eks").get("addon_versions");
    let mut versions = if current.is_known() {
        current.string_map()
    } else {
        BTreeMap::new()
    };
    versions.insert(a.name.clone(), a.version.clone());
    set_in(
        state,
        "eks",
        "addon_versions",
        Value::string_map_of(&versions),
    );
}

/// What a refresh found of the configured add-ons: `(part, part_status word)` for each (None:
/// missing) and `eks.addon_versions` set to the versions found.
pub(super) fn observe_addons(
    state: &mut Value,
    spec: &EnvironmentSpec,
    found: &BTreeMap<String, Option<AddonState>>,
    cluster_version: Option<&str>,
) -> Vec<(PartId, Option<String>)> {
    let Some(e) = &spec.eks else {
        return vec![];
    };
    // The control plane moved since the last apply (EKS upgraded it on its own): the next
    // apply moves the add-ons to versions offered for it.
    let prior_version = state.get("eks").get("version").as_str().map(str::to_string);
    let moved = matches!((cluster_version, &prior_version), (Some(now), Some(was)) if now != was);
    let mut versions = BTreeMap::new();
    let mut marks = Vec::new();
    for (name, want) in &e.addons {
        let a = found.get(name).and_then(Option::as_ref);
        if let Some(a) = a {
            versions.insert(name.clone(), a.version.clone());
        }
        let pinned_elsewhere =
            |a: &AddonState| want.version.as_deref().is_some_and(|pin| pin != a.version);
        let word = a.map(|a| {
            if moved {
                OUTDATED.to_string()
            } else if pinned_elsewhere(a) {
                DRIFTED.to_string()
            } else {
                a.part_status()
            }
        });
        marks.push((PartId::EksAddon(name.clone()), word));
    }
    set_in(
        state,
        "eks",
        "addon_versions",
        Value::string_map_of(&versions),
    );
    marks
}

/// The `addons` list of an import: the default add-ons found, in their order, then the
/// others by name.
pub(super) fn imported_addons_list(found: &BTreeMap<String, AddonState>) -> Value {
    let mut names: Vec<String> = DEFAULT_ADDONS
        .iter()
        .filter(|a| found.contains_key(**a))
        .map(|a| a.to_string())
        .collect();
    names.extend(
        found
            .keys()
            .filter(|n| !DEFAULT_ADDONS.contains(&n.as_str()))
            .cloned(),
    );
    Value::string_list(names)
}

/// The `addon` blocks of an import: one per add-on with configuration values, from the
/// empty block value `empty` of the schema.
pub(super) fn imported_addon_blocks(found: &BTreeMap<String, AddonState>, empty: &Value) -> Value {
    let blocks = found
        .iter()
        .filter_map(|(name, a)| {
            let config = a
                .configuration
                .as_deref()
                .filter(|c| !c.trim().is_empty())?;
            let mut b = empty.clone();
            b.set_attr("version", Value::from("latest"));
            b.set_attr("configuration", Value::from(config));
            Some((name.clone(), b))
        })
        .collect();
    Value::Map(blocks)
}

/// Sets `eks.addons` and the `addon` blocks of an import from the add-ons found (`empty`:
/// an `addon` block with every attribute null).
pub(super) fn set_imported(state: &mut Value, empty: &Value, found: &BTreeMap<String, AddonState>) {
    set_in(state, "eks", "addons", imported_addons_list(found));
    set_in(state, "eks", "addon", imported_addon_blocks(found, empty));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::environment::spec;
    use crate::resources::environment::testing::{config, everything};

    fn addon(name: &str, version: &str, status: &str) -> AddonState {
        AddonState {
            name: name.into(),
            version: version.into(),
            status: status.into(),
            ..Default::default()
        }
    }

    #[test]
    fn addons_that_need_nodes_are_planned_degraded_without_node_groups() {
        let mut j = everything("dev");
        let with_nodes = spec::from_value(&config(j.clone())).unwrap();
        let coredns = PartId::EksAddon("coredns".into());
        let cni = PartId::EksAddon("vpc-cni".into());
        assert_eq!(planned_status(&with_nodes, &coredns), "ready");
        j["eks"].as_object_mut().unwrap().remove("node_group");
        let without = spec::from_value(&config(j)).unwrap();
        assert!(without.eks.as_ref().unwrap().node_groups.is_empty());
        assert_eq!(planned_status(&without, &coredns), DEGRADED);
        assert_eq!(planned_status(&without, &cni), "ready");
        assert!(settled("eks.addon.coredns", DEGRADED));
        assert!(!settled("eks.node_group.general", DEGRADED));
    }

    #[test]
    fn a_refresh_shows_missing_add_ons_and_versions_moved_by_hand() {
        let mut j = everything("dev");
        j["eks"]["addons"] = serde_json::json!(["vpc-cni", "coredns", "kube-proxy"]);
        j["eks"]["addon"] = serde_json::json!({ "coredns": { "version": "v1.11.4-eksbuild.2" } });
        let s = spec::from_value(&config(j.clone())).unwrap();
        let mut state = config(j);
        let found = BTreeMap::from([
            (
                "vpc-cni".to_string(),
                Some(addon("vpc-cni", "v1.19.2-eksbuild.1", "ACTIVE")),
            ),
            (
                "coredns".to_string(),
                Some(addon("coredns", "v1.11.4-eksbuild.14", "ACTIVE")),
            ),
            ("kube-proxy".to_string(), None),
        ]);
        let marks: BTreeMap<String, Option<String>> = observe_addons(&mut state, &s, &found, None)
            .into_iter()
            .map(|(p, w)| (p.to_string(), w))
            .collect();
        assert_eq!(marks["eks.addon.vpc-cni"].as_deref(), Some("ready"));
        assert_eq!(marks["eks.addon.coredns"].as_deref(), Some(DRIFTED));
        assert_eq!(marks["eks.addon.kube-proxy"], None);
        let versions = state.get("eks").get("addon_versions").string_map();
        assert_eq!(versions["coredns"], "v1.11.4-eksbuild.14");
        assert!(!versions.contains_key("kube-proxy"));

        // EKS moved the control plane on its own: every add-on found follows at the next apply.
        state
            .get_mut("eks")
            .unwrap()
            .set_attr("version", Value::from("1.32"));
        let marks = observe_addons(&mut state, &s, &found, Some("1.33"));
        assert_eq!(marks[0].1.as_deref(), Some(OUTDATED), "{marks:?}");
        let mut planned = state.clone();
        let mut prior = state.clone();
        let statuses = marks
            .into_iter()
            .map(|(p, w)| (p.to_string(), Value::from(w.unwrap_or_default().as_str())))
            .collect();
        prior.set_attr("part_status", Value::Map(statuses));
        unknown_versions_of_changing_addons(&prior, &mut planned);
        assert!(!planned.get("eks").get("addon_versions").is_known());
    }

    #[test]
    fn an_apply_fills_the_version_of_each_add_on() {
        let mut state = config(everything("dev"));
        state
            .get_mut("eks")
            .unwrap()
            .set_attr("addon_versions", Value::unknown());
        fill_addon_version(&mut state, &addon("vpc-cni", "v1", "ACTIVE"));
        fill_addon_version(&mut state, &addon("coredns", "v2", "DEGRADED"));
        let versions = state.get("eks").get("addon_versions").string_map();
        assert_eq!(versions.len(), 2);
        assert_eq!(addon("coredns", "v2", "DEGRADED").part_status(), DEGRADED);
    }

    #[test]
    fn import_lists_found_add_ons_in_the_default_order_with_configuration_blocks() {
        let mut coredns = addon("coredns", "v2", "ACTIVE");
        coredns.configuration = Some(r#"{"replicaCount":3}"#.into());
        let found = BTreeMap::from([
            ("coredns".to_string(), coredns),
            ("vpc-cni".to_string(), addon("vpc-cni", "v1", "ACTIVE")),
            (
                "amazon-cloudwatch-observability".to_string(),
                addon("x", "v3", "ACTIVE"),
            ),
        ]);
        let list: Vec<String> = imported_addons_list(&found)
            .elements()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        assert_eq!(
            list,
            ["vpc-cni", "coredns", "amazon-cloudwatch-observability"]
        );
        let blocks = imported_addon_blocks(&found, &Value::Object(BTreeMap::new()));
        let blocks = blocks.entries().unwrap();
        assert_eq!(blocks.len(), 1);
        assert_eq!(
            blocks["coredns"].get("configuration").as_str(),
            Some(r#"{"replicaCount":3}"#)
        );
    }
}
