//! The add-ons during a Kubernetes upgrade ([`super::upgrade`]): pins checked against the
//! target version before the first step, and every configured add-on Mosia manages moved to
//! a version offered for the new Kubernetes version after each control-plane step, before
//! the node groups follow (EKS keeps add-on versions as they are when the control plane
//! moves; kube-proxy's must match the minor).

use std::collections::BTreeMap;

use futures::future::try_join_all;

use super::super::part::{PartEnv, PartId};
use super::addon_versions::{offered_versions, pick_version};
use super::addons::{find_addon, status_of, AddonHealth, AddonTarget};
use super::addons_change::{update_addon, AddonChange, Want};
use super::upgrade::UpgradeAddons;
use super::{addon_before_nodes, tag_map, AddonSpec, PART};
use crate::engine::PartError;

/// Refuses an upgrade to Kubernetes `target` while an add-on is pinned to a version EKS
/// does not offer for it, naming the add-on and what is offered.
pub(super) async fn check_pins(
    env: &PartEnv,
    addons: &BTreeMap<String, AddonSpec>,
    target: &str,
) -> Result<(), PartError> {
    let part = PartId::EksCluster.to_string();
    for (name, spec) in addons {
        let Some(pin) = spec.version.as_deref() else {
            continue;
        };
        let offered = offered_versions(env, &part, name, target).await?;
        pick_version(name, Some(pin), target, &offered).map_err(|detail| {
            PartError::new(
                &part,
                format!("upgrading the EKS cluster to Kubernetes {target}"),
                format!("{detail}; nothing was changed"),
            )
        })?;
    }
    Ok(())
}

/// Moves the configured add-ons of cluster `cluster`, which now runs Kubernetes
/// `kubernetes`: those that run without nodes first, then the others, each group side by
/// side. An add-on that is missing, not ours, or busy is left to its part.
pub(super) async fn move_addons(
    env: &PartEnv,
    cluster: &str,
    up: &UpgradeAddons<'_>,
    kubernetes: &str,
) -> Result<(), PartError> {
    let (early, late): (Vec<_>, Vec<_>) = up
        .addons
        .iter()
        .partition(|(name, _)| addon_before_nodes(name));
    for batch in [early, late] {
        let moves = batch.into_iter().map(|(name, spec)| {
            let health = AddonHealth::of(name, up.has_node_groups);
            let t = AddonTarget::new(env, cluster, name, health);
            async move { move_addon(&t, spec, kubernetes).await }
        });
        try_join_all(moves).await?;
    }
    Ok(())
}

async fn move_addon(
    t: &AddonTarget<'_>,
    spec: &AddonSpec,
    kubernetes: &str,
) -> Result<(), PartError> {
    let Some(a) = find_addon(t.env, &t.part, t.cluster, t.name).await? else {
        return Ok(());
    };
    let ready = matches!(status_of(&a).as_deref(), Some("ACTIVE" | "DEGRADED"));
    if !ready || !t.env.owns(PART, &tag_map(a.tags())) {
        return Ok(());
    }
    let offered = offered_versions(t.env, &t.part, t.name, kubernetes).await?;
    // A pin not offered for this intermediate version waits for the add-on part.
    let Ok(version) = pick_version(t.name, spec.version.as_deref(), kubernetes, &offered) else {
        return Ok(());
    };
    if a.addon_version() == Some(version.as_str()) {
        return Ok(());
    }
    tracing::info!(part = %t.part, from = a.addon_version().unwrap_or_default(), to = %version, kubernetes, "moving add-on with the control plane");
    let change = AddonChange {
        version: Some(version.clone()),
        configuration: None,
        associations: false,
    };
    let tags = BTreeMap::new();
    let want = Want {
        version: &version,
        configuration: None,
        associations: &[],
        tags: &tags,
    };
    update_addon(t, &change, &want).await.map(|_| ())
}
