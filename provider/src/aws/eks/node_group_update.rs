//! In-place changes of an ACTIVE node group: tags, Kubernetes version (following the
//! cluster), and through UpdateNodegroupConfig its scaling, labels, taints and update config.
//!
//! Scaling: with [`Scaling::Managed`] Mosia enforces min, max and desired size. With
//! [`Scaling::External`] an autoscaler owns the desired size after create: Mosia sends
//! min and max only when they change, and no desired size, except when the autoscaler's
//! current one lies outside the new bounds. EKS refuses a scaling config whose desired size
//! is outside [min, max] ("Minimum capacity 3 can't be greater than desired size 2"), so
//! Mosia then sends the current desired size clamped into the bounds, the smallest move
//! the autoscaler would make itself.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_eks::types::{
    Nodegroup, NodegroupScalingConfig, NodegroupUpdateConfig, Update, UpdateLabelsPayload,
    UpdateTaintsPayload,
};

use super::super::version;
use super::cluster_update::wait_update;
use super::node_group::{node_group_state, wait_node_group_active, NodeGroupState, Target};
use super::node_group_find::node_group_tags;
use super::{sync_tags, tag_map, MaxUnavailable, NodeGroupSpec, Scaling, Taint, SERVICE};
use crate::engine::PartError;

/// Tags, version, then one UpdateNodegroupConfig with everything else that differs.
pub(super) async fn converge_node_group(
    t: &Target<'_>,
    spec: &NodeGroupSpec,
    mut ng: Nodegroup,
) -> Result<NodeGroupState, PartError> {
    let (part, name) = (t.part.as_str(), t.name.as_str());
    let eks = t.env.aws.eks();
    let what = format!("EKS node group `{name}`");
    let want_tags = node_group_tags(t.env, t.config_name, spec.scaling);
    let arn = ng.nodegroup_arn().unwrap_or_default().to_string();
    sync_tags(t.env, part, &what, &arn, &tag_map(ng.tags()), &want_tags).await?;

    // The nodes follow the control plane: after a cluster upgrade (the `eks` part runs
    // first), each node group is upgraded to the cluster's Kubernetes version.
    if let Some(target) = node_group_upgrade(ng.version().unwrap_or_default(), &t.cluster.version) {
        let what = format!("upgrading EKS node group `{name}` to Kubernetes {target}");
        tracing::info!(part, object = %name, from = ng.version().unwrap_or_default(), to = %target, "upgrading node group version");
        let out = eks
            .update_nodegroup_version()
            .cluster_name(&t.cluster.name)
            .nodegroup_name(name)
            .version(&target)
            .send()
            .await
            .map_err(|e| SERVICE.error(part, what.as_str(), "UpdateNodegroupVersion", &e))?;
        ng = finish_node_group_update(t, out.update(), &what).await?;
    }

    if let Some(change) = config_change(spec, &node_group_state(&ng)) {
        let what = format!("updating EKS node group `{name}`");
        tracing::info!(part, object = %name, change = ?change, "updating node group config");
        let out = eks
            .update_nodegroup_config()
            .cluster_name(&t.cluster.name)
            .nodegroup_name(name)
            .set_scaling_config(change.scaling_config())
            .set_labels(change.labels_payload())
            .set_taints(change.taints_payload())
            .set_update_config(change.update_config.map(update_config))
            .send()
            .await
            .map_err(|e| SERVICE.error(part, what.as_str(), "UpdateNodegroupConfig", &e))?;
        ng = finish_node_group_update(t, out.update(), &what).await?;
    }
    let mut state = node_group_state(&ng);
    state.tags = want_tags;
    tracing::info!(part, object = %name, status = %state.status, "EKS node group ready");
    Ok(state)
}

/// Waits for a node group update EKS started (when it reported one), then until the node
/// group is active again; returns it as it is then.
async fn finish_node_group_update(
    t: &Target<'_>,
    update: Option<&Update>,
    what: &str,
) -> Result<Nodegroup, PartError> {
    if let Some(u) = update {
        wait_update(t.env, &t.update_of(), u, what).await?;
    }
    wait_node_group_active(t.env, &t.part, &t.cluster.name, &t.name).await
}

/// `updateConfig` of `m`.
pub(super) fn update_config(m: MaxUnavailable) -> NodegroupUpdateConfig {
    match m {
        MaxUnavailable::Count(n) => NodegroupUpdateConfig::builder().max_unavailable(n as i32),
        MaxUnavailable::Percentage(p) => {
            NodegroupUpdateConfig::builder().max_unavailable_percentage(p as i32)
        }
    }
    .build()
}

/// A taint as EKS takes it.
pub(super) fn sdk_taint(t: &Taint) -> aws_sdk_eks::types::Taint {
    aws_sdk_eks::types::Taint::builder()
        .key(&t.key)
        .set_value(t.value.clone())
        .effect(aws_sdk_eks::types::TaintEffect::from(t.effect.as_str()))
        .build()
}

/// The scaling config of a new node group (the desired size is sent at create whatever
/// [`Scaling`] says: the autoscaler takes over from there).
pub(super) fn scaling(spec: &NodeGroupSpec) -> NodegroupScalingConfig {
    NodegroupScalingConfig::builder()
        .min_size(spec.min_size as i32)
        .max_size(spec.max_size as i32)
        .desired_size(spec.desired_size as i32)
        .build()
}

/// What UpdateNodegroupConfig must change.
#[derive(Debug, PartialEq, Default)]
pub(super) struct ConfigChange {
    /// (min, max, desired): desired None leaves the current one (external scaling).
    pub scaling: Option<(u32, u32, Option<u32>)>,
    pub add_labels: HashMap<String, String>,
    pub remove_labels: Vec<String>,
    /// New taints and taints whose value changes (EKS knows a taint by key and effect).
    pub add_taints: Vec<Taint>,
    /// Taints whose key and effect are no longer configured.
    pub remove_taints: Vec<Taint>,
    pub update_config: Option<MaxUnavailable>,
}

impl ConfigChange {
    fn scaling_config(&self) -> Option<NodegroupScalingConfig> {
        self.scaling.map(|(min, max, desired)| {
            NodegroupScalingConfig::builder()
                .min_size(min as i32)
                .max_size(max as i32)
                .set_desired_size(desired.map(|d| d as i32))
                .build()
        })
    }

    fn labels_payload(&self) -> Option<UpdateLabelsPayload> {
        (!self.add_labels.is_empty() || !self.remove_labels.is_empty()).then(|| {
            UpdateLabelsPayload::builder()
                .set_add_or_update_labels(
                    (!self.add_labels.is_empty()).then(|| self.add_labels.clone()),
                )
                .set_remove_labels(
                    (!self.remove_labels.is_empty()).then(|| self.remove_labels.clone()),
                )
                .build()
        })
    }

    fn taints_payload(&self) -> Option<UpdateTaintsPayload> {
        let list = |v: &[Taint]| (!v.is_empty()).then(|| v.iter().map(sdk_taint).collect());
        (!self.add_taints.is_empty() || !self.remove_taints.is_empty()).then(|| {
            UpdateTaintsPayload::builder()
                .set_add_or_update_taints(list(&self.add_taints))
                .set_remove_taints(list(&self.remove_taints))
                .build()
        })
    }
}

/// The in-place change from `have` to `spec`; None when nothing differs.
pub(super) fn config_change(spec: &NodeGroupSpec, have: &NodeGroupState) -> Option<ConfigChange> {
    let add_labels: HashMap<String, String> = spec
        .labels
        .iter()
        .filter(|(k, v)| have.labels.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut remove_labels: Vec<String> = have
        .labels
        .keys()
        .filter(|k| !spec.labels.contains_key(*k))
        .cloned()
        .collect();
    remove_labels.sort();
    let (add_taints, remove_taints) = taint_change(&spec.taints, &have.taints);
    // A node group that reports no update config runs EKS's default.
    let have_unavailable = have.max_unavailable.unwrap_or_default();
    let change = ConfigChange {
        scaling: scaling_change(spec, have),
        add_labels,
        remove_labels,
        add_taints,
        remove_taints,
        update_config: (have_unavailable != spec.max_unavailable).then_some(spec.max_unavailable),
    };
    (change != ConfigChange::default()).then_some(change)
}

/// The scaling to send, if any. Managed: min, max and desired as configured. External: min
/// and max when they change, with the current desired size clamped into them only when it
/// falls outside (see the module's documentation).
fn scaling_change(spec: &NodeGroupSpec, have: &NodeGroupState) -> Option<(u32, u32, Option<u32>)> {
    let bounds = (spec.min_size, spec.max_size);
    match spec.scaling {
        Scaling::Managed => ((have.min_size, have.max_size, have.desired_size)
            != (spec.min_size, spec.max_size, spec.desired_size))
            .then_some((spec.min_size, spec.max_size, Some(spec.desired_size))),
        Scaling::External => {
            if (have.min_size, have.max_size) == bounds {
                return None;
            }
            let clamped = have.desired_size.clamp(spec.min_size, spec.max_size);
            Some((
                spec.min_size,
                spec.max_size,
                (clamped != have.desired_size).then_some(clamped),
            ))
        }
    }
}

/// Taints to add or update, and taints to remove, to go from `have` to `want`.
fn taint_change(want: &[Taint], have: &[Taint]) -> (Vec<Taint>, Vec<Taint>) {
    let have_set: BTreeSet<&Taint> = have.iter().collect();
    let want_keys: BTreeSet<(&str, &str)> = want
        .iter()
        .map(|t| (t.key.as_str(), t.effect.as_str()))
        .collect();
    let add: Vec<Taint> = want
        .iter()
        .filter(|t| !have_set.contains(t))
        .cloned()
        .collect();
    let remove: Vec<Taint> = have
        .iter()
        .filter(|t| !want_keys.contains(&(t.key.as_str(), t.effect.as_str())))
        .cloned()
        .collect();
    (add, remove)
}

/// The Kubernetes version to upgrade a node group at `have` to, when the cluster (at
/// `cluster`) is newer: the cluster's version (UpdateNodegroupVersion takes no other).
pub(super) fn node_group_upgrade(have: &str, cluster: &str) -> Option<String> {
    let (h, c) = (version::major_minor(have)?, version::major_minor(cluster)?);
    (h.0 == c.0 && h.1 < c.1).then(|| format!("{}.{}", c.0, c.1))
}

#[cfg(test)]
mod tests {
    use aws_sdk_eks::types::NodegroupStatus;

    use super::super::node_group::node_group_state;
    use super::super::test_support::{node_group, node_group_spec};
    use super::super::TaintEffect;
    use super::*;

    fn taint(key: &str, value: Option<&str>, effect: TaintEffect) -> Taint {
        Taint {
            key: key.into(),
            value: value.map(str::to_string),
            effect,
        }
    }

    fn have() -> NodeGroupState {
        node_group_state(&node_group(NodegroupStatus::Active))
    }

    #[test]
    fn config_change_covers_scaling_and_labels() {
        assert_eq!(config_change(&node_group_spec(), &have()), None);
        let mut spec = node_group_spec();
        spec.labels.insert("tier".into(), "web".into());
        let mut labelled = have();
        labelled.labels.insert("old".into(), "x".into());
        let change = config_change(&spec, &labelled).unwrap();
        assert_eq!(change.scaling, None);
        assert_eq!(
            change.add_labels,
            HashMap::from([("tier".to_string(), "web".to_string())])
        );
        assert_eq!(change.remove_labels, ["old"]);
    }

    #[test]
    fn taints_are_added_updated_and_removed_by_key_and_effect() {
        let have = [
            taint("a", Some("1"), TaintEffect::NoSchedule),
            taint("b", None, TaintEffect::NoExecute),
            taint("c", None, TaintEffect::NoSchedule),
        ];
        let want = [
            taint("a", Some("2"), TaintEffect::NoSchedule),
            taint("c", None, TaintEffect::NoSchedule),
            taint("d", None, TaintEffect::PreferNoSchedule),
        ];
        let (add, remove) = taint_change(&want, &have);
        assert_eq!(add, [want[0].clone(), want[2].clone()]);
        assert_eq!(
            remove,
            [have[1].clone()],
            "a's new value is an update, not a removal"
        );
        assert_eq!(taint_change(&want, &want), (vec![], vec![]));
    }

    #[test]
    fn the_update_config_changes_when_it_differs_from_the_reported_one() {
        let mut spec = node_group_spec();
        spec.max_unavailable = MaxUnavailable::Percentage(25);
        let change = config_change(&spec, &have()).unwrap();
        assert_eq!(change.update_config, Some(MaxUnavailable::Percentage(25)));
        // None reported: EKS's default, one node.
        let mut silent = have();
        silent.max_unavailable = None;
        assert_eq!(config_change(&node_group_spec(), &silent), None);
    }

    #[test]
    fn external_scaling_leaves_the_desired_size_unless_it_falls_outside_the_new_bounds() {
        let mut spec = node_group_spec(); // 1..3, desired 2
        spec.scaling = Scaling::External;
        let mut have = have();
        have.desired_size = 3; // the autoscaler's
        spec.desired_size = 1;
        assert_eq!(
            scaling_change(&spec, &have),
            None,
            "desired alone is not drift"
        );
        spec.max_size = 5;
        assert_eq!(scaling_change(&spec, &have), Some((1, 5, None)));
        // Bounds that exclude the autoscaler's 3: the nearest bound is sent with them.
        spec.max_size = 2;
        assert_eq!(scaling_change(&spec, &have), Some((1, 2, Some(2))));
        spec.min_size = 4;
        spec.max_size = 6;
        assert_eq!(scaling_change(&spec, &have), Some((4, 6, Some(4))));
        // Managed: the configured desired size wins.
        spec.scaling = Scaling::Managed;
        spec.desired_size = 5;
        assert_eq!(scaling_change(&spec, &have), Some((4, 6, Some(5))));
    }

    #[test]
    fn node_groups_follow_the_cluster_version() {
        assert_eq!(node_group_upgrade("1.30", "1.31").as_deref(), Some("1.31"));
        assert_eq!(node_group_upgrade("1.29", "1.31").as_deref(), Some("1.31"));
        assert_eq!(node_group_upgrade("1.31", "1.31"), None);
        assert_eq!(node_group_upgrade("", "1.31"), None);
        assert_eq!(node_group_upgrade("1.31", "1.30"), None);
    }
}
