//! EKS-managed add-ons, one part each ([`PartId::EksAddon`]): `eks.addon.vpc-cni`, ...
//!
//! - [`find_addon`] (DescribeAddon), [`ADDON_CREATED`] / [`ADDON_UPDATED`], [`wait_addon_active`].
//! - [`ensure_addon`]: the version is resolved for the cluster's Kubernetes version
//!   ([`super::addon_versions`]): the pinned one, or for `latest` the newest offered at
//!   create; an add-on already installed at a version EKS still offers for that Kubernetes
//!   version keeps it (a newer release is picked up at the next Kubernetes upgrade,
//!   [`super::upgrade`], so an apply never changes `addon_versions` behind a plan that said
//!   nothing would change; an add-on whose pin is lifted, tagged [`PINNED_TAG`], moves to
//!   the newest). Created with Mosia's ownership tags, `resolveConflicts =
//!   OVERWRITE` (the cluster is created without self-managed add-ons, so nothing is
//!   overwritten but EKS's own defaults), the configuration values and, for the EBS CSI
//!   driver, its Pod Identity association ([`super::super::iam::pod_identity_roles`]).
//!   Version, configuration and a missing association change in place (UpdateAddon,
//!   [`super::addons_change`]). An add-on of that name without our tags is refused.
//! - Health: DEGRADED fails the part with the add-on's health issues, except for an add-on
//!   that needs nodes in a configuration without node groups ([`AddonHealth::NodesAbsent`]):
//!   EKS leaves it DEGRADED until nodes join, which is not an error of the apply.
//! - Add-ons Mosia created that left the configuration are deleted by the cluster part
//!   ([`super::addons_cleanup`]), which runs on every apply even with no add-on configured.
//! - [`read_addon`] for refresh, [`discover_addons`] for import.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_eks::operation::describe_addon::DescribeAddonError;
use aws_sdk_eks::types::Addon;

use super::super::errors;
use super::super::iam::pod_identity_roles::pod_identity_role;
use super::super::iam::IamState;
use super::super::part::{not_ours, PartEnv, PartId};
use super::super::wait::{AwsKind, Statuses};
use super::addon_versions::{offered_versions, pick_version};
use super::addons_change::{converge_addon, create_addon, wait_addon_deleted, Want};
use super::{addon_before_nodes, cluster_name, sync_tags, tag_map, AddonSpec, EksClusterState};
use super::{PART, SERVICE};
use crate::engine::{PartError, Poll};

/// An add-on being created: EKS installs it in a minute or two.
pub const ADDON_CREATED: Statuses = Statuses {
    pending: &["CREATING", "UPDATING"],
    target: &["ACTIVE"],
};
/// An add-on being updated (UpdateAddon).
pub const ADDON_UPDATED: Statuses = Statuses {
    pending: &["UPDATING"],
    target: &["ACTIVE"],
};
/// terraform-provider-aws's default create/update timeout of `aws_eks_addon`.
pub(super) const ADDON_WAIT: Duration = Duration::from_secs(20 * 60);
/// Add-on waits poll like node groups (a few seconds, up to 20 s): an add-on takes about as
/// long to install as a node to join.
pub(super) const ADDON_POLL: AwsKind = AwsKind::EksNodeGroup;

/// What an add-on looks like after its part ran.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AddonState {
    pub name: String,
    pub arn: String,
    pub version: String,
    /// As EKS reports it: `ACTIVE`, `DEGRADED`, ...
    pub status: String,
    /// "code: message" of each health issue EKS reports.
    pub health_issues: Vec<String>,
    pub configuration: Option<String>,
    /// ARNs of the add-on's Pod Identity associations.
    pub pod_identity_associations: Vec<String>,
    pub tags: BTreeMap<String, String>,
    /// Shown after the apply: an add-on left DEGRADED for want of nodes.
    pub warnings: Vec<String>,
}

impl AddonState {
    /// The add-on's `part_status` word: `ready` when ACTIVE, else EKS's status in lower case
    /// (`degraded`).
    pub fn part_status(&self) -> String {
        match self.status.as_str() {
            "ACTIVE" => "ready".to_string(),
            s => s.to_ascii_lowercase(),
        }
    }
}

/// Tag on an add-on whose version is pinned: when the pin is lifted (`latest`), the next
/// apply moves it to the newest version instead of keeping the pinned one.
pub const PINNED_TAG: &str = "mosia:addon-pinned";

/// The tags of an add-on: the ownership tags, and [`PINNED_TAG`] when pinned.
pub(super) fn addon_tags(env: &PartEnv, spec: &AddonSpec) -> BTreeMap<String, String> {
    let mut tags = env.tags_for(PART);
    if spec.version.is_some() {
        tags.insert(PINNED_TAG.to_string(), "true".to_string());
    }
    tags
}

/// Whether a DEGRADED add-on fails its part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddonHealth {
    /// Nodes are configured (or the add-on needs none): DEGRADED is a failure.
    NodesPresent,
    /// The add-on needs nodes and the configuration has no node group: DEGRADED is expected.
    NodesAbsent,
}

impl AddonHealth {
    /// The health to expect of `addon` in a configuration with or without node groups.
    pub fn of(addon: &str, has_node_groups: bool) -> AddonHealth {
        if has_node_groups || addon_before_nodes(addon) {
            AddonHealth::NodesPresent
        } else {
            AddonHealth::NodesAbsent
        }
    }
}

/// One add-on of one cluster, as the part's functions address it.
pub(super) struct AddonTarget<'a> {
    pub env: &'a PartEnv,
    /// `eks.addon.NAME`.
    pub part: String,
    pub cluster: &'a str,
    pub name: &'a str,
    pub health: AddonHealth,
}

impl<'a> AddonTarget<'a> {
    pub fn new(env: &'a PartEnv, cluster: &'a str, name: &'a str, health: AddonHealth) -> Self {
        AddonTarget {
            env,
            part: PartId::EksAddon(name.to_string()).to_string(),
            cluster,
            name,
            health,
        }
    }
}

pub(super) fn addon_state(a: &Addon) -> AddonState {
    AddonState {
        name: a.addon_name().unwrap_or_default().to_string(),
        arn: a.addon_arn().unwrap_or_default().to_string(),
        version: a.addon_version().unwrap_or_default().to_string(),
        status: status_of(a).unwrap_or_default(),
        health_issues: issues_of(a),
        configuration: a.configuration_values().map(str::to_string),
        pod_identity_associations: a.pod_identity_associations().to_vec(),
        tags: tag_map(a.tags()),
        warnings: vec![],
    }
}

pub(super) fn status_of(a: &Addon) -> Option<String> {
    a.status().map(|s| s.as_str().to_string())
}

fn issues_of(a: &Addon) -> Vec<String> {
    a.health()
        .map(|h| h.issues())
        .unwrap_or_default()
        .iter()
        .map(|i| {
            format!(
                "{}: {}",
                i.code().map(|c| c.as_str()).unwrap_or("Unknown"),
                i.message().unwrap_or("no message")
            )
        })
        .collect()
}

/// "code: message; ..." of the add-on's health issues ("no health issues reported").
pub(super) fn health_issues(a: &Addon) -> String {
    let issues = issues_of(a);
    if issues.is_empty() {
        "no health issues reported".into()
    } else {
        issues.join("; ")
    }
}

/// Add-on `addon` of cluster `cluster` (one DescribeAddon); None when it (or the cluster)
/// does not exist.
pub async fn find_addon(
    env: &PartEnv,
    part: &str,
    cluster: &str,
    addon: &str,
) -> Result<Option<Addon>, PartError> {
    let req = env
        .aws
        .eks()
        .describe_addon()
        .cluster_name(cluster)
        .addon_name(addon);
    let out = errors::found(
        req.send().await,
        DescribeAddonError::is_resource_not_found_exception,
    )
    .map_err(|e| {
        SERVICE.error(
            part,
            format!("reading EKS add-on `{addon}`"),
            "DescribeAddon",
            &e,
        )
    })?;
    Ok(out.and_then(|o| o.addon))
}

/// One poll of an add-on against `statuses`: DEGRADED is ready when the target expects it
/// ([`AddonHealth::NodesAbsent`]) and fails with the health issues otherwise; any failure
/// names the issues.
pub(super) fn poll_addon(
    t: &AddonTarget<'_>,
    statuses: &Statuses,
    a: Addon,
) -> Poll<Addon, PartError> {
    let status = status_of(&a);
    let what = format!("EKS add-on `{}`", t.name);
    if status.as_deref() == Some("DEGRADED") {
        if t.health == AddonHealth::NodesAbsent {
            return Poll::Ready(a);
        }
        return Poll::Failed(PartError::new(
            &t.part,
            format!("waiting for {what}"),
            format!("the add-on is DEGRADED: {}", health_issues(&a)),
        ));
    }
    let issues = health_issues(&a);
    match statuses.poll(&t.part, &what, status.as_deref(), || a) {
        Poll::Failed(mut e) => {
            e.detail.push_str(&format!(": {issues}"));
            Poll::Failed(e)
        }
        other => other,
    }
}

/// Waits until the add-on is ACTIVE (DEGRADED when nodes are absent, see [`AddonHealth`]).
pub(super) async fn wait_addon_active(
    t: &AddonTarget<'_>,
    statuses: &Statuses,
) -> Result<Addon, PartError> {
    let part = t.part.as_str();
    t.env
        .waiter(
            part,
            ADDON_POLL,
            format!("EKS add-on `{}` to become ACTIVE", t.name),
        )
        .timeout(ADDON_WAIT)
        .until(|| async move {
            match find_addon(t.env, part, t.cluster, t.name).await {
                Ok(Some(a)) => poll_addon(t, statuses, a),
                Ok(None) => Poll::Failed(PartError::new(
                    part,
                    format!("waiting for EKS add-on `{}`", t.name),
                    "the add-on disappeared (deleted outside Terraform?)",
                )),
                Err(e) => Poll::Failed(e),
            }
        })
        .await
        .map_err(PartError::from)
}

/// The version `t`'s add-on should run: the pin; else the installed version while EKS still
/// offers it for the cluster's Kubernetes version; else the newest offered.
async fn wanted_version(
    t: &AddonTarget<'_>,
    spec: &AddonSpec,
    kubernetes: &str,
    installed: Option<&str>,
) -> Result<String, PartError> {
    let offered = offered_versions(t.env, &t.part, t.name, kubernetes).await?;
    let keep = installed.filter(|v| spec.version.is_none() && offered.iter().any(|o| o == v));
    pick_version(
        t.name,
        spec.version.as_deref().or(keep),
        kubernetes,
        &offered,
    )
    .map_err(|detail| {
        PartError::new(
            &t.part,
            format!("choosing the version of EKS add-on `{}`", t.name),
            detail,
        )
    })
}

/// The Pod Identity associations `addon` needs (its role from the IAM part).
fn wanted_associations(
    part: &str,
    addon: &str,
    iam: &IamState,
) -> Result<Vec<(String, String)>, PartError> {
    let Some(role) = pod_identity_role(addon) else {
        return Ok(vec![]);
    };
    let arn = iam.pod_identity_roles.get(addon).ok_or_else(|| {
        PartError::new(
            part,
            format!("creating EKS add-on `{addon}`"),
            "the IAM part returned no Pod Identity role for this add-on",
        )
    })?;
    Ok(vec![(role.service_account.to_string(), arn.clone())])
}

/// Converges add-on `name` of the cluster to `spec` and waits until it is ACTIVE (or
/// DEGRADED, when `health` expects it).
pub async fn ensure_addon(
    env: &PartEnv,
    name: &str,
    spec: &AddonSpec,
    cluster: &EksClusterState,
    iam: &IamState,
    health: AddonHealth,
) -> Result<AddonState, PartError> {
    let t = AddonTarget::new(env, &cluster.name, name, health);
    let associations = wanted_associations(&t.part, name, iam)?;
    let mut existing = find_addon(env, &t.part, &cluster.name, name).await?;
    if let Some(a) = &existing {
        let tags = tag_map(a.tags());
        if !env.owns(PART, &tags) {
            let part = PartId::EksAddon(name.to_string());
            return Err(not_ours(env, &part, "EKS add-on", name, &tags));
        }
        if status_of(a).as_deref() == Some("DELETING") {
            tracing::info!(part = %t.part, "add-on is being deleted; waiting before creating it again");
            wait_addon_deleted(&t).await?;
            existing = None;
        }
    }
    // An add-on that was pinned until now moves to the newest version.
    let installed = existing
        .as_ref()
        .filter(|a| !tag_map(a.tags()).contains_key(PINNED_TAG))
        .and_then(|a| a.addon_version());
    let version = wanted_version(&t, spec, &cluster.version, installed).await?;
    let tags = addon_tags(env, spec);
    let want = Want {
        tags: &tags,
        version: &version,
        configuration: spec.configuration.as_deref(),
        associations: &associations,
    };
    let addon = match existing {
        None => {
            create_addon(&t, &want).await?;
            wait_addon_active(&t, &ADDON_CREATED).await?
        }
        Some(a) => adopt_addon(&t, a, spec, &want).await?,
    };
    let mut state = addon_state(&addon);
    state.tags = addon_tags(env, spec);
    if state.status == "DEGRADED" {
        state.warnings.push(format!(
            "EKS add-on {name:?} is DEGRADED ({}): its pods need nodes and eks has no \
             node_group. Add a node group (or nodes of your own, e.g. Karpenter's); EKS marks \
             the add-on ACTIVE once its pods run.",
            state.health_issues.join("; ")
        ));
    }
    tracing::info!(part = %t.part, version = %state.version, status = %state.status, "EKS add-on ready");
    Ok(state)
}

/// An existing add-on of ours: waits out a change in progress, converges tags, version,
/// configuration and associations, then checks its health (DEGRADED fails with the issues
/// unless nodes are absent).
async fn adopt_addon(
    t: &AddonTarget<'_>,
    a: Addon,
    spec: &AddonSpec,
    want: &Want<'_>,
) -> Result<Addon, PartError> {
    let a = if matches!(status_of(&a).as_deref(), Some("ACTIVE" | "DEGRADED")) {
        a
    } else {
        wait_addon_active(t, &ADDON_CREATED).await?
    };
    let what = format!("EKS add-on `{}`", t.name);
    let arn = a.addon_arn().unwrap_or_default();
    let have = tag_map(a.tags());
    sync_tags(t.env, &t.part, &what, arn, &have, &addon_tags(t.env, spec)).await?;
    let a = converge_addon(t, a, want).await?;
    match poll_addon(t, &ADDON_CREATED, a) {
        Poll::Ready(a) => Ok(a),
        Poll::Failed(e) => Err(e),
        Poll::Pending(_) => wait_addon_active(t, &ADDON_CREATED).await,
    }
}

/// Add-on `name` of the environment's cluster as it is now; None when it, or the cluster,
/// is gone, or it is not ours.
pub async fn read_addon(env: &PartEnv, name: &str) -> Result<Option<AddonState>, PartError> {
    let part = PartId::EksAddon(name.to_string()).to_string();
    let found = find_addon(env, &part, &cluster_name(env), name).await?;
    Ok(found
        .filter(|a| env.owns(PART, &tag_map(a.tags())))
        .map(|a| addon_state(&a)))
}

/// Every add-on of cluster `cluster` (ListAddons, all pages); None when the cluster is gone.
pub(super) async fn list_addons(
    env: &PartEnv,
    part: &str,
    cluster: &str,
) -> Result<Option<Vec<String>>, PartError> {
    use aws_sdk_eks::operation::list_addons::ListAddonsError;
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = env
            .aws
            .eks()
            .list_addons()
            .cluster_name(cluster)
            .set_next_token(token);
        let Some(out) = errors::found(
            req.send().await,
            ListAddonsError::is_resource_not_found_exception,
        )
        .map_err(|e| {
            SERVICE.error(
                part,
                format!("listing the add-ons of EKS cluster `{cluster}`"),
                "ListAddons",
                &e,
            )
        })?
        else {
            return Ok(None);
        };
        names.extend(out.addons().iter().cloned());
        token = out.next_token;
        if token.is_none() {
            return Ok(Some(names));
        }
    }
}

/// The add-ons of the environment's cluster that carry its ownership tags (import).
pub async fn discover_addons(env: &PartEnv) -> Result<BTreeMap<String, AddonState>, PartError> {
    let part = PartId::EksCluster.to_string();
    let cluster = cluster_name(env);
    let mut found = BTreeMap::new();
    for name in list_addons(env, &part, &cluster).await?.unwrap_or_default() {
        if let Some(a) = find_addon(env, &part, &cluster, &name).await? {
            if env.owns(PART, &tag_map(a.tags())) {
                found.insert(name, addon_state(&a));
            }
        }
    }
    Ok(found)
}
