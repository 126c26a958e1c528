//! The add-on duties of the cluster part ([`ensure_cluster_with_addons`]): before the
//! cluster converges, a Kubernetes upgrade that moves the add-ons between its steps
//! ([`super::upgrade::upgrade_with_addons`]); after it, the add-ons Mosia created that are no
//! longer configured are deleted, with their Pod Identity roles.
//!
//! Why in the cluster part: it runs on every apply of an environment with EKS, also when
//! `addons` is empty (no add-on part then exists), and before any add-on part or node group.
//! Add-ons without this environment's ownership tags are never deleted.

use super::super::iam::{delete_pod_identity_role, IamState};
use super::super::network::NetworkState;
use super::super::part::{PartEnv, PartId};
use super::addons::{find_addon, list_addons, AddonHealth, AddonTarget};
use super::addons_change::{delete_addon, wait_addon_deleted};
use super::{cluster_name, ensure_cluster, tag_map, EksClusterState, EksSpec, PART};
use crate::engine::PartError;

/// The cluster part: upgrade (add-ons moved between steps), converge, then remove the add-ons
/// that left the configuration.
pub async fn ensure_cluster_with_addons(
    env: &PartEnv,
    spec: &EksSpec,
    net: &NetworkState,
    iam: &IamState,
    secrets_key: Option<&str>,
) -> Result<EksClusterState, PartError> {
    super::upgrade::upgrade_with_addons(env, spec).await?;
    let state = ensure_cluster(env, spec, net, iam, secrets_key).await?;
    remove_unconfigured_addons(env, spec).await?;
    Ok(state)
}

/// Deletes the add-ons of the cluster that carry this environment's ownership tags and are
/// not in `spec.addons`, then the Pod Identity roles of every add-on not configured.
pub async fn remove_unconfigured_addons(env: &PartEnv, spec: &EksSpec) -> Result<(), PartError> {
    let part = PartId::EksCluster.to_string();
    let cluster = cluster_name(env);
    let listed = list_addons(env, &part, &cluster).await?.unwrap_or_default();
    let mut removed = Vec::new();
    for name in listed.iter().filter(|n| !spec.addons.contains_key(*n)) {
        let Some(a) = find_addon(env, &part, &cluster, name).await? else {
            continue;
        };
        if !env.owns(PART, &tag_map(a.tags())) {
            tracing::info!(part = %part, addon = %name, "add-on not created by Mosia: left alone");
            continue;
        }
        let t = AddonTarget::new(env, &cluster, name, AddonHealth::NodesPresent);
        delete_addon(&t).await?;
        removed.push(name.clone());
    }
    for name in &removed {
        let t = AddonTarget::new(env, &cluster, name, AddonHealth::NodesPresent);
        wait_addon_deleted(&t).await?;
        tracing::info!(part = %part, addon = %name, "add-on no longer configured: deleted");
    }
    for role in super::super::iam::pod_identity_roles::POD_IDENTITY_ROLES {
        if !spec.addons.contains_key(role.addon) {
            delete_pod_identity_role(env, role.addon).await?;
        }
    }
    Ok(())
}
