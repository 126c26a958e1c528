//! Kubernetes version upgrades of the cluster: one minor version per UpdateClusterVersion
//! (EKS takes no other), and before each step the node groups brought up to the version the
//! control plane runs. EKS refuses a cluster update while a node group lags behind it
//! ("Nodegroups ... must be updated to match cluster version ... before updating cluster
//! version"), so an upgrade over several minors moves the nodes in between:
//! 1.29 → 1.30 (cluster), node groups → 1.30, 1.30 → 1.31 (cluster). After the last step
//! the node group parts (which run after the cluster) follow it to the final version.
//!
//! A cluster newer than asked (EKS upgrades clusters on its own at the end of extended
//! support, and cannot downgrade) is left as it is.
//!
//! Add-ons: the cluster part runs [`upgrade_with_addons`] before converging the cluster.
//! It refuses, before anything changes, an add-on pinned to a version EKS does not offer for
//! the target Kubernetes version; then after each control-plane step, before the node
//! groups, it moves every add-on of the configuration that Mosia manages to the newest
//! version offered for the new Kubernetes version (a pinned one to its pin once offered).
//! After the last step the add-on parts converge them anyway.

use std::collections::BTreeMap;

use aws_sdk_eks::types::Cluster;

use super::super::part::{PartEnv, PartId};
use super::super::version;
use super::super::wait::AwsKind;
use super::addon_upgrade::{check_pins, move_addons};
use super::cluster::{find_cluster, wait_cluster_active};
use super::cluster_update::{finish_cluster_update, wait_update, UpdateOf};
use super::node_group::{
    find_node_group, list_node_groups, node_group_upgrade, wait_node_group_active,
};
use super::{cluster_name, AddonSpec, EksSpec};
use super::{tag_map, PART, SERVICE};
use crate::engine::PartError;

/// What to do with a cluster at `have` for a wanted `want`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum VersionChange {
    /// Nothing: the same version, or none asked.
    Same,
    /// Upgrade to (major, minor), one minor version at a time.
    Upgrade(u32, u32),
    /// The cluster runs a newer minor than asked (EKS upgraded it on its own, or someone did
    /// outside Terraform): EKS cannot downgrade, so it stays as it is.
    Newer,
}

/// The change from `have` to `want`; an error (the detail) for another major version.
pub(super) fn version_change(want: Option<&str>, have: &str) -> Result<VersionChange, String> {
    let (Some(w), Some(h)) = (want, version::major_minor(have)) else {
        return Ok(VersionChange::Same);
    };
    if w.trim() == have {
        return Ok(VersionChange::Same);
    }
    let Some(w) = version::major_minor(w) else {
        return Ok(VersionChange::Same); // validated before: cannot happen
    };
    if w.0 != h.0 {
        return Err(format!(
            "cannot change the Kubernetes major version from {have} to {}.{}",
            w.0, w.1
        ));
    }
    Ok(match w.1.cmp(&h.1) {
        std::cmp::Ordering::Greater => VersionChange::Upgrade(w.0, w.1),
        std::cmp::Ordering::Less => VersionChange::Newer,
        std::cmp::Ordering::Equal => VersionChange::Same,
    })
}

/// The add-ons of an upgrade: those configured, and whether the configuration has node
/// groups (for the health to expect of add-ons that need nodes).
pub(super) struct UpgradeAddons<'a> {
    pub addons: &'a BTreeMap<String, AddonSpec>,
    pub has_node_groups: bool,
}

/// Upgrades the environment's cluster to `spec.version` when it is older, moving the add-ons
/// after each step (see the module). Nothing to do when the cluster does not exist, is not
/// ours, or needs no upgrade: [`super::ensure_cluster`] then creates, refuses or converges it.
pub(super) async fn upgrade_with_addons(env: &PartEnv, spec: &EksSpec) -> Result<(), PartError> {
    let name = cluster_name(env);
    let Some(c) = find_cluster(env, &name).await? else {
        return Ok(());
    };
    if !env.owns(PART, &tag_map(c.tags())) {
        return Ok(());
    }
    let have = c.version().unwrap_or_default().to_string();
    let Ok(VersionChange::Upgrade(major, minor)) = version_change(spec.version.as_deref(), &have)
    else {
        return Ok(());
    };
    check_pins(env, &spec.addons, &format!("{major}.{minor}")).await?;
    let c = wait_cluster_active(env, &name).await?;
    let addons = UpgradeAddons {
        addons: &spec.addons,
        has_node_groups: !spec.node_groups.is_empty(),
    };
    upgrade_steps(env, &name, c, (major, minor), Some(&addons)).await?;
    Ok(())
}

/// Upgrades the cluster to `major.target_minor` one minor version at a time, bringing the
/// node groups to the control plane's version before each step.
pub(super) async fn upgrade_version(
    env: &PartEnv,
    name: &str,
    cluster: Cluster,
    target: (u32, u32),
) -> Result<Cluster, PartError> {
    upgrade_steps(env, name, cluster, target, None).await
}

/// [`upgrade_version`], moving `addons` (when given) after each control-plane step.
async fn upgrade_steps(
    env: &PartEnv,
    name: &str,
    mut cluster: Cluster,
    (major, target_minor): (u32, u32),
    addons: Option<&UpgradeAddons<'_>>,
) -> Result<Cluster, PartError> {
    loop {
        let have = cluster.version().unwrap_or_default().to_string();
        let current = version::major_minor(&have).unwrap_or((major, target_minor));
        if current.1 >= target_minor {
            return Ok(cluster);
        }
        catch_up_node_groups(env, name, &have).await?;
        let next = format!("{major}.{}", current.1 + 1);
        let what = format!("upgrading EKS cluster `{name}` to Kubernetes {next}");
        tracing::info!(part = PART, object = %name, from = %have, to = %next, "upgrading cluster version");
        let out = env
            .aws
            .eks()
            .update_cluster_version()
            .name(name)
            .version(&next)
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PartId::EksCluster,
                    what.as_str(),
                    "UpdateClusterVersion",
                    &e,
                )
            })?;
        cluster = finish_cluster_update(env, name, out.update(), &what).await?;
        if let Some(a) = addons {
            move_addons(env, name, a, &next).await?;
        }
    }
}

/// Brings every node group of cluster `name` that is older than the control plane (at
/// `cluster_version`) to its version, one after the other. A lagging node group Mosia does
/// not manage is refused with its name before anything is sent.
async fn catch_up_node_groups(
    env: &PartEnv,
    name: &str,
    cluster_version: &str,
) -> Result<(), PartError> {
    let part = PartId::EksCluster.to_string();
    let part = part.as_str();
    let summary = format!("upgrading EKS cluster `{name}`");
    let mut behind = Vec::new();
    for g in list_node_groups(env, name).await?.unwrap_or_default() {
        let Some(ng) = find_node_group(env, part, name, &g).await? else {
            continue;
        };
        let Some(target) = node_group_upgrade(ng.version().unwrap_or_default(), cluster_version)
        else {
            continue;
        };
        if !env.owns(PART, &tag_map(ng.tags())) {
            return Err(PartError::new(
                part,
                summary,
                format!(
                    "node group `{g}` (not managed by this environment) runs Kubernetes {}, \
                     behind the control plane's {cluster_version}: EKS updates the cluster only \
                     once every node group matches it; upgrade that node group first",
                    ng.version().unwrap_or_default()
                ),
            ));
        }
        behind.push((g, target));
    }
    for (g, target) in behind {
        upgrade_node_group(env, part, name, &g, &target).await?;
    }
    Ok(())
}

/// UpdateNodegroupVersion of node group `ng` to `target`, once it is ACTIVE, and waits
/// until the update succeeded and the node group is ACTIVE again.
async fn upgrade_node_group(
    env: &PartEnv,
    part: &str,
    cluster: &str,
    ng: &str,
    target: &str,
) -> Result<(), PartError> {
    wait_node_group_active(env, part, cluster, ng).await?;
    let what = format!(
        "upgrading EKS node group `{ng}` to Kubernetes {target} before the cluster's next version"
    );
    tracing::info!(part, object = %ng, to = %target, "upgrading node group before the next cluster version");
    let out = env
        .aws
        .eks()
        .update_nodegroup_version()
        .cluster_name(cluster)
        .nodegroup_name(ng)
        .version(target)
        .send()
        .await
        .map_err(|e| SERVICE.error(part, what.as_str(), "UpdateNodegroupVersion", &e))?;
    if let Some(u) = out.update() {
        let of = UpdateOf {
            part,
            kind: AwsKind::EksNodeGroup,
            cluster,
            nodegroup: Some(ng),
        };
        wait_update(env, &of, u, &what).await?;
    }
    wait_node_group_active(env, part, cluster, ng).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput;
    use aws_sdk_eks::operation::describe_nodegroup::DescribeNodegroupOutput;
    use aws_sdk_eks::operation::list_nodegroups::ListNodegroupsOutput;
    use aws_sdk_eks::operation::update_cluster_version::{
        UpdateClusterVersionError, UpdateClusterVersionOutput,
    };
    use aws_sdk_eks::operation::update_nodegroup_version::UpdateNodegroupVersionOutput;
    use aws_sdk_eks::types::error::InvalidRequestException;
    use aws_sdk_eks::types::{ClusterStatus, NodegroupStatus, Update, UpdateStatus};
    use aws_smithy_mocks::{mock, MockResponse};

    use super::super::test_support::{cluster, env, iam, net, node_group, owned_tags, spec};
    use super::*;

    /// An EKS that keeps the cluster's and the node group's versions and refuses a
    /// cluster update while the node group lags behind, as AWS does; `log` records the
    /// version updates in order.
    #[derive(Default)]
    struct Fake {
        cluster: String,
        node_group: String,
        log: Vec<String>,
    }

    fn done() -> Update {
        Update::builder()
            .id("u-1")
            .status(UpdateStatus::Successful)
            .build()
    }

    #[tokio::test]
    async fn an_upgrade_over_two_minors_moves_the_node_groups_between_the_steps() {
        let fake = Arc::new(Mutex::new(Fake {
            cluster: "1.29".into(),
            node_group: "1.29".into(),
            log: vec![],
        }));
        let f = fake.clone();
        let describe =
            mock!(aws_sdk_eks::Client::describe_cluster).then_compute_output(move |_| {
                let mut c = cluster(ClusterStatus::Active, owned_tags());
                c.version = Some(f.lock().unwrap().cluster.clone());
                DescribeClusterOutput::builder().cluster(c).build()
            });
        let list = mock!(aws_sdk_eks::Client::list_nodegroups).then_output(|| {
            ListNodegroupsOutput::builder()
                .nodegroups("mosia-test-general")
                .build()
        });
        let f = fake.clone();
        let describe_ng =
            mock!(aws_sdk_eks::Client::describe_nodegroup).then_compute_output(move |_| {
                let mut ng = node_group(NodegroupStatus::Active);
                ng.version = Some(f.lock().unwrap().node_group.clone());
                DescribeNodegroupOutput::builder().nodegroup(ng).build()
            });
        let f = fake.clone();
        let upgrade = mock!(aws_sdk_eks::Client::update_cluster_version).then_compute_response(
            move |req| {
                let mut f = f.lock().unwrap();
                if f.node_group != f.cluster {
                    return MockResponse::Error(UpdateClusterVersionError::InvalidRequestException(
                        InvalidRequestException::builder()
                            .message("Nodegroups mosia-test-general must be updated to match cluster version 1.30 before updating cluster version")
                            .build(),
                    ));
                }
                let v = req.version().unwrap_or_default().to_string();
                f.log.push(format!("cluster {v}"));
                f.cluster = v;
                MockResponse::Output(UpdateClusterVersionOutput::builder().update(done()).build())
            },
        );
        let f = fake.clone();
        let upgrade_ng =
            mock!(aws_sdk_eks::Client::update_nodegroup_version).then_compute_output(move |req| {
                let mut f = f.lock().unwrap();
                let v = req.version().unwrap_or_default().to_string();
                f.log
                    .push(format!("{} {v}", req.nodegroup_name().unwrap_or_default()));
                f.node_group = v;
                UpdateNodegroupVersionOutput::builder()
                    .update(done())
                    .build()
            });
        let env = env(&[&describe, &list, &describe_ng, &upgrade, &upgrade_ng]);
        let state = super::super::ensure_cluster(&env, &spec(), &net(), &iam(), None)
            .await
            .unwrap();
        assert_eq!(state.version, "1.31");
        assert_eq!(
            fake.lock().unwrap().log,
            ["cluster 1.30", "mosia-test-general 1.30", "cluster 1.31"],
            "the node group follows the control plane before its next step"
        );
    }

    #[tokio::test]
    async fn a_lagging_node_group_of_someone_else_is_named_before_anything_is_sent() {
        let describe = mock!(aws_sdk_eks::Client::describe_cluster).then_output(|| {
            let mut c = cluster(ClusterStatus::Active, owned_tags());
            c.version = Some("1.30".into());
            DescribeClusterOutput::builder().cluster(c).build()
        });
        let list = mock!(aws_sdk_eks::Client::list_nodegroups)
            .then_output(|| ListNodegroupsOutput::builder().nodegroups("theirs").build());
        let describe_ng = mock!(aws_sdk_eks::Client::describe_nodegroup).then_output(|| {
            let mut ng = node_group(NodegroupStatus::Active);
            ng.nodegroup_name = Some("theirs".into());
            ng.version = Some("1.29".into());
            ng.tags = Some([("team".to_string(), "data".to_string())].into());
            DescribeNodegroupOutput::builder().nodegroup(ng).build()
        });
        let upgrade = mock!(aws_sdk_eks::Client::update_cluster_version)
            .then_output(|| UpdateClusterVersionOutput::builder().update(done()).build());
        let env = env(&[&describe, &list, &describe_ng, &upgrade]);
        let err = super::super::ensure_cluster(&env, &spec(), &net(), &iam(), None)
            .await
            .unwrap_err();
        assert!(
            err.detail.contains(
                "node group `theirs` (not managed by this environment) runs Kubernetes 1.29"
            ),
            "{}",
            err.detail
        );
        assert_eq!(upgrade.num_calls(), 0);
    }

    const KUBE_PROXY: &[(&str, &[&str])] = &[
        ("v1.30.6-eksbuild.3", &["1.30"]),
        ("v1.31.3-eksbuild.2", &["1.31"]),
        ("v1.32.0-eksbuild.2", &["1.32"]),
    ];

    /// A cluster at 1.30 with node group and kube-proxy at 1.30, upgraded to `want`;
    /// `pin`: kube-proxy's pinned version. Returns the log of version changes.
    async fn upgrade_with_kube_proxy(
        want: &str,
        pin: Option<&str>,
    ) -> (Result<(), PartError>, Vec<String>) {
        use aws_sdk_eks::operation::describe_addon::DescribeAddonOutput;
        use aws_sdk_eks::operation::update_addon::UpdateAddonOutput;
        use aws_sdk_eks::types::{Addon, AddonStatus};
        let fake = Arc::new(Mutex::new(Fake {
            cluster: "1.30".into(),
            node_group: "1.30".into(),
            log: vec![],
        }));
        let addon_version = Arc::new(Mutex::new("v1.30.6-eksbuild.3".to_string()));
        let f = fake.clone();
        let describe =
            mock!(aws_sdk_eks::Client::describe_cluster).then_compute_output(move |_| {
                let mut c = cluster(ClusterStatus::Active, owned_tags());
                c.version = Some(f.lock().unwrap().cluster.clone());
                DescribeClusterOutput::builder().cluster(c).build()
            });
        let list = mock!(aws_sdk_eks::Client::list_nodegroups).then_output(|| {
            ListNodegroupsOutput::builder()
                .nodegroups("mosia-test-general")
                .build()
        });
        let f = fake.clone();
        let describe_ng =
            mock!(aws_sdk_eks::Client::describe_nodegroup).then_compute_output(move |_| {
                let mut ng = node_group(NodegroupStatus::Active);
                ng.version = Some(f.lock().unwrap().node_group.clone());
                DescribeNodegroupOutput::builder().nodegroup(ng).build()
            });
        let f = fake.clone();
        let upgrade =
            mock!(aws_sdk_eks::Client::update_cluster_version).then_compute_output(move |req| {
                let mut f = f.lock().unwrap();
                let v = req.version().unwrap_or_default().to_string();
                f.log.push(format!("cluster {v}"));
                f.cluster = v;
                UpdateClusterVersionOutput::builder().update(done()).build()
            });
        let f = fake.clone();
        let upgrade_ng =
            mock!(aws_sdk_eks::Client::update_nodegroup_version).then_compute_output(move |req| {
                let mut f = f.lock().unwrap();
                let v = req.version().unwrap_or_default().to_string();
                f.log.push(format!("node group {v}"));
                f.node_group = v;
                UpdateNodegroupVersionOutput::builder()
                    .update(done())
                    .build()
            });
        let v = addon_version.clone();
        let describe_addon =
            mock!(aws_sdk_eks::Client::describe_addon).then_compute_output(move |_| {
                let a = Addon::builder()
                    .addon_name("kube-proxy")
                    .addon_version(v.lock().unwrap().clone())
                    .status(AddonStatus::Active)
                    .set_tags(Some(owned_tags()))
                    .build();
                DescribeAddonOutput::builder().addon(a).build()
            });
        let (f, v) = (fake.clone(), addon_version.clone());
        let update_addon =
            mock!(aws_sdk_eks::Client::update_addon).then_compute_output(move |req| {
                let to = req.addon_version().unwrap_or_default().to_string();
                f.lock().unwrap().log.push(format!("kube-proxy {to}"));
                *v.lock().unwrap() = to;
                UpdateAddonOutput::builder().update(done()).build()
            });
        let versions = crate::aws::eks::addon_versions::tests::versions_rule(KUBE_PROXY);
        let env = env(&[
            &describe,
            &list,
            &describe_ng,
            &upgrade,
            &upgrade_ng,
            &describe_addon,
            &update_addon,
            &versions,
        ]);
        let spec = EksSpec {
            version: Some(want.into()),
            addons: [(
                "kube-proxy".to_string(),
                AddonSpec {
                    version: pin.map(str::to_string),
                    configuration: None,
                },
            )]
            .into(),
            ..spec()
        };
        let res = upgrade_with_addons(&env, &spec).await;
        let log = fake.lock().unwrap().log.clone();
        (res, log)
    }

    #[tokio::test]
    async fn add_ons_move_after_each_control_plane_step_before_the_node_groups() {
        let (res, log) = upgrade_with_kube_proxy("1.32", None).await;
        res.unwrap();
        assert_eq!(
            log,
            [
                "cluster 1.31",
                "kube-proxy v1.31.3-eksbuild.2",
                "node group 1.31",
                "cluster 1.32",
                "kube-proxy v1.32.0-eksbuild.2",
            ]
        );
    }

    #[tokio::test]
    async fn a_pin_not_offered_for_the_target_version_refuses_the_upgrade_before_it_starts() {
        let (res, log) = upgrade_with_kube_proxy("1.32", Some("v1.30.6-eksbuild.3")).await;
        let err = res.unwrap_err();
        assert!(
            err.detail.contains("add-on `kube-proxy` is pinned to v1.30.6-eksbuild.3, which EKS does not offer for Kubernetes 1.32"),
            "{}",
            err.detail
        );
        assert!(log.is_empty(), "nothing was changed: {log:?}");
    }

    #[test]
    fn version_changes_go_forward_within_a_major_and_accept_a_newer_cluster() {
        use VersionChange::*;
        assert_eq!(version_change(Some("1.31"), "1.29"), Ok(Upgrade(1, 31)));
        assert_eq!(version_change(Some("1.31"), "1.31"), Ok(Same));
        assert_eq!(version_change(None, "1.31"), Ok(Same));
        // EKS upgraded the cluster on its own: not a downgrade to refuse.
        assert_eq!(version_change(Some("1.29"), "1.31"), Ok(Newer));
        let major = version_change(Some("2.0"), "1.31").unwrap_err();
        assert!(major.contains("major version from 1.31 to 2.0"), "{major}");
    }
}
