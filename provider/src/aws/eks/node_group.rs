//! EKS managed node groups ([`PartId::NodeGroup`]): find, statuses and waits, `ensure`
//! (adopt | create | converge in place | replace, create before destroy), `read` and import
//! discovery. Which EKS groups belong to a node group and what a replacement is called:
//! [`super::node_group_find`]; in-place changes: [`super::node_group_update`]; deletes:
//! [`super::node_group_delete`].

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_eks::operation::describe_nodegroup::DescribeNodegroupError;
use aws_sdk_eks::operation::list_nodegroups::ListNodegroupsError;
use aws_sdk_eks::types::{Nodegroup, NodegroupStatus};

use super::super::iam::IamState;
use super::super::network::NetworkState;
use super::super::part::{not_ours, PartEnv, PartId};
use super::super::wait::{AwsKind, Statuses};
use super::cluster::EksClusterState;
use super::cluster_update::UpdateOf;
use super::node_group_create::create_node_group;
use super::node_group_delete::delete_node_group_named;
use super::node_group_find::{config_name_of, find_node_groups, new_group_name};
use super::node_group_update::converge_node_group;
// The cluster's upgrade walks node groups through the same rule.
pub(super) use super::node_group_update::node_group_upgrade;
use super::{
    ami_type, cluster_name, node_group_name, tag_map, AmiType, MaxUnavailable, NodeGroupSpec,
    Taint, TaintEffect, SERVICE,
};
use crate::aws::errors;
use crate::engine::{NotFoundGrace, PartError, Poll};

const NODE_GROUP_WAIT: Duration = Duration::from_secs(45 * 60);

/// Waiting for a created or updated node group. DEGRADED runs (with health issues) and
/// ends the wait, with a warning; CREATE_FAILED, DELETE_FAILED, DELETING or any other
/// status fails at once.
pub(super) const NODE_GROUP_CREATED: Statuses = Statuses {
    pending: &["CREATING", "UPDATING"],
    target: &["ACTIVE", "DEGRADED"],
};

#[derive(Debug, Clone, PartialEq)]
pub struct NodeGroupState {
    /// The EKS name: `{env}-NAME`, or `{env}-NAME-xxxxx` after a replacement.
    pub name: String,
    pub arn: String,
    pub instance_types: Vec<String>,
    pub min_size: u32,
    pub max_size: u32,
    pub desired_size: u32,
    pub capacity_type: String,
    pub disk_size_gb: u32,
    pub labels: BTreeMap<String, String>,
    pub status: String,
    pub subnet_ids: Vec<String>,
    /// Kubernetes version of the nodes.
    pub version: String,
    pub release_version: String,
    /// All tags, ownership tags included.
    pub tags: BTreeMap<String, String>,
    /// `amiType` as EKS reports it.
    pub ami_type: String,
    pub taints: Vec<Taint>,
    /// `updateConfig`; None when EKS reports none.
    pub max_unavailable: Option<MaxUnavailable>,
    /// Other EKS groups of the same node group, not being deleted: a replacement under way
    /// or interrupted (the next apply keeps the one matching the configuration).
    pub others: Vec<String>,
    /// The Auto Scaling groups EKS runs the nodes in (`resources.autoScalingGroups`).
    pub auto_scaling_groups: Vec<String>,
}

/// The result of [`ensure_node_group`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeGroupOutcome {
    /// The node group matches the spec and is ACTIVE (or DEGRADED: running, with issues).
    Ready(NodeGroupState),
    /// The node group differed in what a managed node group cannot change in place
    /// (instance types, capacity type, disk size, AMI type), or an earlier create left it in
    /// CREATE_FAILED: a new group was created, and the old one deleted once the new one was
    /// ACTIVE. `reasons` say why, worded for the user.
    Replaced {
        state: NodeGroupState,
        reasons: Vec<String>,
    },
}

impl NodeGroupOutcome {
    /// The state, whatever the outcome.
    pub fn state(&self) -> &NodeGroupState {
        match self {
            NodeGroupOutcome::Ready(s) | NodeGroupOutcome::Replaced { state: s, .. } => s,
        }
    }
}

fn to_u32(v: Option<i32>) -> u32 {
    v.unwrap_or(0).max(0) as u32
}

pub(super) fn status_of(ng: &Nodegroup) -> Option<String> {
    ng.status().map(|s| s.as_str().to_string())
}

pub(super) fn node_group_state(ng: &Nodegroup) -> NodeGroupState {
    let scaling = ng.scaling_config();
    NodeGroupState {
        name: ng.nodegroup_name().unwrap_or_default().to_string(),
        arn: ng.nodegroup_arn().unwrap_or_default().to_string(),
        instance_types: ng.instance_types().to_vec(),
        min_size: to_u32(scaling.and_then(|s| s.min_size())),
        max_size: to_u32(scaling.and_then(|s| s.max_size())),
        desired_size: to_u32(scaling.and_then(|s| s.desired_size())),
        capacity_type: ng
            .capacity_type()
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        disk_size_gb: to_u32(ng.disk_size()),
        labels: tag_map(ng.labels()),
        status: status_of(ng).unwrap_or_default(),
        subnet_ids: ng.subnets().to_vec(),
        version: ng.version().unwrap_or_default().to_string(),
        release_version: ng.release_version().unwrap_or_default().to_string(),
        tags: tag_map(ng.tags()),
        ami_type: ng
            .ami_type()
            .map(|a| a.as_str().to_string())
            .unwrap_or_default(),
        taints: ng.taints().iter().filter_map(taint_of).collect(),
        max_unavailable: ng.update_config().and_then(|u| {
            u.max_unavailable()
                .map(|n| MaxUnavailable::Count(n.max(0) as u32))
                .or_else(|| {
                    u.max_unavailable_percentage()
                        .map(|p| MaxUnavailable::Percentage(p.max(0) as u32))
                })
        }),
        others: vec![],
        auto_scaling_groups: ng
            .resources()
            .map(|r| {
                r.auto_scaling_groups()
                    .iter()
                    .filter_map(|g| g.name().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// A taint as EKS reports it (an empty value is no value); None for one Mosia cannot read.
fn taint_of(t: &aws_sdk_eks::types::Taint) -> Option<Taint> {
    Some(Taint {
        key: t.key()?.to_string(),
        value: t.value().filter(|v| !v.is_empty()).map(str::to_string),
        effect: TaintEffect::parse(t.effect()?.as_str())?,
    })
}

/// "Code: message; ..." of the node group's health issues.
pub(super) fn health_issues(ng: &Nodegroup) -> String {
    let issues: Vec<String> = ng
        .health()
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
        .collect();
    if issues.is_empty() {
        "no health issues reported".into()
    } else {
        issues.join("; ")
    }
}

/// Node group `name` of `cluster` (one DescribeNodegroup); None when it (or its cluster)
/// does not exist.
pub(super) async fn find_node_group(
    env: &PartEnv,
    part: &str,
    cluster: &str,
    name: &str,
) -> Result<Option<Nodegroup>, PartError> {
    let req = env
        .aws
        .eks()
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name);
    let out = errors::found(
        req.send().await,
        DescribeNodegroupError::is_resource_not_found_exception,
    )
    .map_err(|e| {
        SERVICE.error(
            part,
            format!("reading EKS node group `{name}`"),
            "DescribeNodegroup",
            &e,
        )
    })?;
    Ok(out.and_then(|o| o.nodegroup))
}

/// Waits until the node group is ACTIVE (or DEGRADED: it runs, with health issues).
pub(super) async fn wait_node_group_active(
    env: &PartEnv,
    part: &str,
    cluster: &str,
    name: &str,
) -> Result<Nodegroup, PartError> {
    let grace = NotFoundGrace::default();
    let grace = &grace;
    env.waiter(part, AwsKind::EksNodeGroup, format!("EKS node group `{name}` to become ACTIVE"))
        .timeout(NODE_GROUP_WAIT)
        .until(|| async move {
            let ng = match find_node_group(env, part, cluster, name).await {
                Ok(Some(ng)) => ng,
                Ok(None) => {
                    return grace.missed(part, format!("waiting for EKS node group `{name}`"), "node group")
                }
                Err(e) => return Poll::Failed(e),
            };
            let status = status_of(&ng);
            if status.as_deref() == Some("DEGRADED") {
                tracing::warn!(part, node_group = name, issues = %health_issues(&ng), "node group is DEGRADED");
            }
            let issues = health_issues(&ng);
            let summary = format!("EKS node group `{name}`");
            match NODE_GROUP_CREATED.poll(part, &summary, status.as_deref(), || ng) {
                Poll::Failed(mut e) => {
                    e.detail.push_str(&format!(": {issues}"));
                    Poll::Failed(e)
                }
                other => other,
            }
        })
        .await
        .map_err(PartError::from)
}

/// Every node group of cluster `name` (EKS names, all pages); None when the cluster is gone.
pub(super) async fn list_node_groups(
    env: &PartEnv,
    name: &str,
) -> Result<Option<Vec<String>>, PartError> {
    let mut groups = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = env
            .aws
            .eks()
            .list_nodegroups()
            .cluster_name(name)
            .set_next_token(token);
        let Some(out) = errors::found(
            req.send().await,
            ListNodegroupsError::is_resource_not_found_exception,
        )
        .map_err(|e| {
            SERVICE.error(
                &PartId::EksCluster,
                format!("listing node groups of EKS cluster `{name}`"),
                "ListNodegroups",
                &e,
            )
        })?
        else {
            return Ok(None);
        };
        groups.extend(out.nodegroups().iter().cloned());
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(Some(groups));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ensure

fn validate_node_group(part: &str, name: &str, spec: &NodeGroupSpec) -> Result<(), PartError> {
    let summary = format!("checking EKS node group `{name}`");
    if spec.instance_types.is_empty() {
        return Err(PartError::new(
            part,
            summary,
            "instance_types must name at least one instance type",
        ));
    }
    if let Err(detail) = ami_type(&spec.instance_types) {
        return Err(PartError::new(part, summary, detail));
    }
    if spec.max_size < 1
        || spec.min_size > spec.max_size
        || spec.desired_size < spec.min_size
        || spec.desired_size > spec.max_size
    {
        return Err(PartError::new(
            part,
            summary,
            format!(
                "sizes must satisfy min_size <= desired_size <= max_size and max_size >= 1 \
                 (min {}, desired {}, max {})",
                spec.min_size, spec.desired_size, spec.max_size
            ),
        ));
    }
    Ok(())
}

/// The AMI type a node group of `spec` runs: configured, or that of its instance types'
/// architecture.
pub(super) fn spec_ami_type(spec: &NodeGroupSpec) -> Result<AmiType, String> {
    match spec.ami_type {
        Some(a) => Ok(a),
        None => ami_type(&spec.instance_types),
    }
}

/// One EKS group of a node group, as the steps of [`ensure_node_group`] see it.
pub(super) struct Target<'a> {
    pub env: &'a PartEnv,
    /// The part's key, for errors and waits.
    pub part: String,
    /// The node group's name in the configuration.
    pub config_name: &'a str,
    /// The EKS name of this group (`{env}-NAME` or a replacement name).
    pub name: String,
    pub cluster: &'a EksClusterState,
}

impl Target<'_> {
    pub(super) fn update_of(&self) -> UpdateOf<'_> {
        UpdateOf {
            part: &self.part,
            kind: AwsKind::EksNodeGroup,
            cluster: &self.cluster.name,
            nodegroup: Some(&self.name),
        }
    }
}

/// The EKS groups found for a node group, sorted out against its spec.
#[derive(Debug, Default)]
struct Sorted<'a> {
    /// The group to keep: one matching the spec that runs or is being created or updated
    /// (the newest when several do). None: a new group is created.
    keep: Option<&'a Nodegroup>,
    /// Groups to delete once the kept or new group is ACTIVE: those that differ from the
    /// spec in what cannot change in place, extra matching ones, CREATE_FAILED ones.
    retire: Vec<&'a Nodegroup>,
    /// Why groups are retired (for the warning); empty when none differs from the spec.
    reasons: Vec<String>,
}

/// The creation time of a node group, for "newest".
fn created(ng: &Nodegroup) -> (i64, u32) {
    ng.created_at()
        .map(|t| (t.secs(), t.subsec_nanos()))
        .unwrap_or_default()
}

/// Decides what happens to each group of a node group: keep one, retire the others (groups
/// being deleted are left to finish). A DELETE_FAILED group is refused.
fn sort_out<'a>(
    part: &str,
    groups: &'a [Nodegroup],
    spec: &NodeGroupSpec,
) -> Result<Sorted<'a>, PartError> {
    let mut sorted = Sorted::default();
    let mut matching: Vec<&Nodegroup> = Vec::new();
    for ng in groups {
        let name = ng.nodegroup_name().unwrap_or_default();
        match ng.status() {
            Some(NodegroupStatus::Deleting) => {}
            Some(NodegroupStatus::DeleteFailed) => {
                return Err(PartError::new(
                    part,
                    format!("adopting EKS node group `{name}`"),
                    format!("the node group is DELETE_FAILED: {}", health_issues(ng)),
                ))
            }
            Some(NodegroupStatus::CreateFailed) => {
                sorted.reasons.push(format!(
                    "an earlier create left node group `{name}` in CREATE_FAILED ({})",
                    health_issues(ng)
                ));
                sorted.retire.push(ng);
            }
            _ => {
                let reasons = replace_reasons(spec, ng);
                if reasons.is_empty() {
                    matching.push(ng);
                } else {
                    sorted.reasons.extend(reasons);
                    sorted.retire.push(ng);
                }
            }
        }
    }
    matching.sort_by_key(|ng| std::cmp::Reverse(created(ng)));
    let mut matching = matching.into_iter();
    sorted.keep = matching.next();
    sorted.retire.extend(matching);
    Ok(sorted)
}

/// Converges node group `name` of `cluster` to `spec`: adopts the EKS group that matches
/// it and changes in place what differs; when none matches (instance types, capacity type,
/// disk size or AMI type differ), creates a new group under a free name, waits until it is
/// ACTIVE, and only then deletes the old one (create before destroy: the cluster never has
/// fewer running groups). A run interrupted between the two finds both and finishes.
pub async fn ensure_node_group(
    env: &PartEnv,
    name: &str,
    spec: &NodeGroupSpec,
    cluster: &EksClusterState,
    net: &NetworkState,
    iam: &IamState,
) -> Result<NodeGroupOutcome, PartError> {
    let id = PartId::NodeGroup(name.to_string());
    let part = id.to_string();
    let base = node_group_name(env, name);
    validate_node_group(&part, &base, spec)?;
    if net.private_subnet_ids.is_empty() {
        return Err(PartError::new(
            &part,
            format!("creating EKS node group `{base}`"),
            "the network has no private subnets",
        ));
    }
    let found = find_node_groups(env, &id, &cluster.name, name).await?;
    if let Some(tags) = &found.foreign_base {
        return Err(not_ours(env, &id, "EKS node group", &base, tags));
    }
    let groups = &found.ours;
    let sorted = sort_out(&part, groups, spec)?;
    let eks_name = match sorted.keep {
        Some(ng) => {
            tracing::info!(
                part,
                object = ng.nodegroup_name().unwrap_or_default(),
                status = status_of(ng).unwrap_or_default(),
                "adopting existing node group"
            );
            ng.nodegroup_name().unwrap_or_default().to_string()
        }
        None => {
            let taken: Vec<String> = groups
                .iter()
                .filter_map(|g| g.nodegroup_name().map(str::to_string))
                .collect();
            new_group_name(&base, spec, &taken)
        }
    };
    let t = Target {
        env,
        part,
        config_name: name,
        name: eks_name,
        cluster,
    };
    if sorted.keep.is_none() {
        if !sorted.retire.is_empty() {
            tracing::info!(part = %t.part, object = %t.name, reasons = ?sorted.reasons, "replacing node group: creating the new group before deleting the old one");
        }
        create_node_group(&t, spec, net, iam).await?;
    }
    let ng = wait_node_group_active(env, &t.part, &cluster.name, &t.name).await?;
    let still = replace_reasons(spec, &ng);
    if !still.is_empty() {
        return Err(PartError::new(
            &t.part,
            format!("creating EKS node group `{}`", t.name),
            format!(
                "the node group differs from the configuration: {}",
                still.join("; ")
            ),
        ));
    }
    let state = converge_node_group(&t, spec, ng).await?;
    retire_node_groups(&t, &state, &sorted.retire).await?;
    Ok(if sorted.reasons.is_empty() {
        NodeGroupOutcome::Ready(state)
    } else {
        NodeGroupOutcome::Replaced {
            state,
            reasons: sorted.reasons,
        }
    })
}

/// Deletes the groups a node group no longer needs, side by side, once its group is ACTIVE:
/// a DEGRADED new group keeps the old ones running (the next apply retries).
async fn retire_node_groups(
    t: &Target<'_>,
    kept: &NodeGroupState,
    retire: &[&Nodegroup],
) -> Result<(), PartError> {
    let names: Vec<&str> = retire.iter().filter_map(|ng| ng.nodegroup_name()).collect();
    if names.is_empty() {
        return Ok(());
    }
    if kept.status != NodegroupStatus::Active.as_str() {
        return Err(PartError::new(
            &t.part,
            format!("replacing EKS node group `{}`", t.name),
            format!(
                "the new node group `{}` is {}, so the old one ({}) is kept running; \
                 fix the new group's health issues and apply again",
                t.name,
                kept.status,
                names.join(", ")
            ),
        ));
    }
    tracing::info!(part = %t.part, kept = %t.name, deleting = ?names, "deleting the node group's old groups");
    futures::future::try_join_all(
        names
            .iter()
            .map(|n| delete_node_group_named(t.env, &t.part, &t.cluster.name, n)),
    )
    .await?;
    Ok(())
}

/// What differs in ways a managed node group cannot change in place.
fn replace_reasons(spec: &NodeGroupSpec, ng: &Nodegroup) -> Vec<String> {
    let capacity = ng
        .capacity_type()
        .map(|c| c.as_str())
        .unwrap_or("ON_DEMAND");
    let disk = ng.disk_size().map(|d| d as u32);
    let ami = ng.ami_type().map(|a| a.as_str());
    node_group_replace_reasons(ng.instance_types(), capacity, disk, ami, spec)
}

/// Why a node group with these instance types, capacity type, disk size and AMI type must
/// be replaced to become `spec` (empty when the change can be made in place). Also used at
/// plan time, to warn before the apply.
pub fn node_group_replace_reasons(
    have_types: &[String],
    have_capacity: &str,
    have_disk_gb: Option<u32>,
    have_ami: Option<&str>,
    spec: &NodeGroupSpec,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if !have_types.is_empty() && have_types != spec.instance_types.as_slice() {
        reasons.push(format!(
            "instance types change from [{}] to [{}]: a managed node group's instance types cannot be changed in place",
            have_types.join(", "),
            spec.instance_types.join(", ")
        ));
    }
    if have_capacity != spec.capacity_type.as_str() {
        reasons.push(format!(
            "capacity type changes from {have_capacity} to {}: a managed node group's capacity type cannot be changed in place",
            spec.capacity_type.as_str()
        ));
    }
    if let Some(d) = have_disk_gb {
        if d != spec.disk_size_gb {
            reasons.push(format!(
                "disk size changes from {d} GB to {} GB: a managed node group's disk size cannot be changed in place",
                spec.disk_size_gb
            ));
        }
    }
    if let (Some(have), Ok(want)) = (have_ami, spec_ami_type(spec)) {
        if have != want.as_str() {
            reasons.push(format!(
                "AMI type changes from {have} to {}: a managed node group's AMI type cannot be changed in place",
                want.as_str()
            ));
        }
    }
    reasons
}

// ---------------------------------------------------------------------------------------------
// Read

/// The group of a node group the state describes: one not being deleted, the newest; with
/// the names of the other live groups in [`NodeGroupState::others`].
fn primary_state(groups: &[Nodegroup]) -> Option<NodeGroupState> {
    let live = |ng: &&Nodegroup| ng.status() != Some(&NodegroupStatus::Deleting);
    let primary = groups
        .iter()
        .filter(live)
        .max_by_key(|ng| created(ng))
        .or_else(|| groups.iter().max_by_key(|ng| created(ng)))?;
    let mut state = node_group_state(primary);
    state.others = groups
        .iter()
        .filter(live)
        .filter(|ng| ng.nodegroup_name() != primary.nodegroup_name())
        .filter_map(|ng| ng.nodegroup_name().map(str::to_string))
        .collect();
    Some(state)
}

/// The node group as it is now (one ListNodegroups, a DescribeNodegroup per group); None
/// when it (or its cluster) does not exist, or it is not this environment's.
pub async fn read_node_group(
    env: &PartEnv,
    name: &str,
) -> Result<Option<NodeGroupState>, PartError> {
    let id = PartId::NodeGroup(name.to_string());
    let found = find_node_groups(env, &id, &cluster_name(env), name).await?;
    if found.foreign_base.is_some() {
        tracing::warn!(part = %id, object = %node_group_name(env, name), "an EKS node group of this name exists but is not this environment's");
    }
    Ok(primary_state(&found.ours))
}

/// The node groups of the environment's cluster, by their names in the configuration
/// (their `mosia:node-group` tag, or `{env}-NAME` for groups created before it), with
/// their state. Used by import; only groups carrying this environment's ownership tags are
/// returned.
pub async fn discover_node_groups(
    env: &PartEnv,
) -> Result<BTreeMap<String, NodeGroupState>, PartError> {
    let cluster = cluster_name(env);
    let part = PartId::EksCluster.to_string();
    let prefix = format!("{}-", env.name);
    let names = list_node_groups(env, &cluster).await?.unwrap_or_default();
    let mut by_name: BTreeMap<String, Vec<Nodegroup>> = BTreeMap::new();
    for eks_name in names.iter().filter(|n| n.starts_with(&prefix)) {
        let Some(ng) = find_node_group(env, &part, &cluster, eks_name).await? else {
            continue;
        };
        if let Some(name) = config_name_of(env, &ng) {
            by_name.entry(name).or_default().push(ng);
        }
    }
    Ok(by_name
        .into_iter()
        .filter_map(|(name, groups)| Some((name, primary_state(&groups)?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_eks::operation::create_nodegroup::{
        CreateNodegroupError, CreateNodegroupInput, CreateNodegroupOutput,
    };
    use aws_sdk_eks::operation::delete_nodegroup::DeleteNodegroupOutput;
    use aws_sdk_eks::operation::describe_nodegroup::DescribeNodegroupOutput;
    use aws_sdk_eks::operation::update_nodegroup_config::{
        UpdateNodegroupConfigInput, UpdateNodegroupConfigOutput,
    };
    use aws_sdk_eks::types::error::{InvalidParameterException, ResourceNotFoundException};
    use aws_sdk_eks::types::{
        AmiTypes, CapacityTypes, Cluster, ClusterStatus, Update, UpdateStatus,
    };
    use aws_smithy_mocks::{mock, MockResponse, Rule};
    use aws_smithy_types::DateTime;

    use super::super::cluster::cluster_state;
    use super::super::test_support::{
        cluster, env, iam, listing, net, node_group, node_group_spec, owned_tags,
    };
    use super::super::{Scaling, IAM_PROPAGATION_WAIT, NODE_GROUP_TAG};
    use super::*;

    const BASE: &str = "mosia-test-general";

    fn found(ng: Nodegroup) -> DescribeNodegroupOutput {
        DescribeNodegroupOutput::builder().nodegroup(ng).build()
    }

    fn not_found() -> DescribeNodegroupError {
        DescribeNodegroupError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("No node group found")
                .build(),
        )
    }

    fn active_cluster() -> EksClusterState {
        let c: Cluster = cluster(ClusterStatus::Active, owned_tags());
        cluster_state(&c)
    }

    async fn ensure(env: &PartEnv, spec: &NodeGroupSpec) -> Result<NodeGroupOutcome, PartError> {
        ensure_node_group(env, "general", spec, &active_cluster(), &net(), &iam()).await
    }

    /// DescribeNodegroup answering [`node_group`] (ACTIVE) for any name.
    fn describe_active() -> Rule {
        mock!(aws_sdk_eks::Client::describe_nodegroup)
            .then_output(|| found(node_group(NodegroupStatus::Active)))
    }

    /// A CreateNodegroup mock recording each request, answering `answers` in turn (then
    /// success).
    fn create_answering(
        answers: Vec<Option<CreateNodegroupError>>,
    ) -> (Rule, Arc<Mutex<Vec<CreateNodegroupInput>>>) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let seen = sent.clone();
        let answers = Mutex::new(answers.into_iter());
        let rule = mock!(aws_sdk_eks::Client::create_nodegroup).then_compute_response(move |req| {
            seen.lock().unwrap().push(req.clone());
            match answers.lock().unwrap().next().flatten() {
                Some(e) => MockResponse::Error(e),
                None => MockResponse::Output(CreateNodegroupOutput::builder().build()),
            }
        });
        (rule, sent)
    }

    /// An UpdateNodegroupConfig mock recording each request (the update succeeds at once).
    fn update_recording() -> (Rule, Arc<Mutex<Vec<UpdateNodegroupConfigInput>>>) {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let seen = sent.clone();
        let rule =
            mock!(aws_sdk_eks::Client::update_nodegroup_config).then_compute_output(move |req| {
                seen.lock().unwrap().push(req.clone());
                let done = Update::builder()
                    .id("u-1")
                    .status(UpdateStatus::Successful)
                    .build();
                UpdateNodegroupConfigOutput::builder().update(done).build()
            });
        (rule, sent)
    }

    fn invalid_parameter(message: &str) -> Option<CreateNodegroupError> {
        Some(CreateNodegroupError::InvalidParameterException(
            InvalidParameterException::builder()
                .message(message)
                .build(),
        ))
    }

    #[tokio::test]
    async fn a_missing_node_group_is_created_from_the_spec() {
        let list = listing(&[]);
        // As EKS reports it once created.
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup).then_output(|| {
            let mut ng = node_group(NodegroupStatus::Active);
            ng.taints = Some(vec![aws_sdk_eks::types::Taint::builder()
                .key("dedicated")
                .value("batch")
                .effect(aws_sdk_eks::types::TaintEffect::NoSchedule)
                .build()]);
            ng.update_config = Some(
                aws_sdk_eks::types::NodegroupUpdateConfig::builder()
                    .max_unavailable_percentage(25)
                    .build(),
            );
            found(ng)
        });
        let (create, sent) = create_answering(vec![]);
        let env = env(&[&list, &describe, &create]);
        let mut spec = node_group_spec();
        spec.taints = vec![Taint {
            key: "dedicated".into(),
            value: Some("batch".into()),
            effect: TaintEffect::NoSchedule,
        }];
        spec.max_unavailable = MaxUnavailable::Percentage(25);
        let outcome = ensure(&env, &spec).await.unwrap();
        let NodeGroupOutcome::Ready(state) = outcome else {
            panic!("created, not replaced: {outcome:?}")
        };
        assert_eq!(state.status, "ACTIVE");
        let reqs = sent.lock().unwrap().clone();
        assert_eq!(reqs.len(), 1);
        let req = &reqs[0];
        assert_eq!(req.nodegroup_name(), Some(BASE));
        assert_eq!(req.node_role(), Some(iam().node_role_arn.as_str()));
        assert_eq!(req.subnets(), ["subnet-a", "subnet-b"]);
        assert_eq!(req.instance_types(), ["m6i.large"]);
        assert_eq!(req.ami_type(), Some(&AmiTypes::Al2023X8664Standard));
        assert_eq!(req.capacity_type(), Some(&CapacityTypes::OnDemand));
        assert_eq!(req.disk_size(), Some(20));
        let s = req.scaling_config().unwrap();
        assert_eq!(
            (s.min_size(), s.desired_size(), s.max_size()),
            (Some(1), Some(2), Some(3))
        );
        let tags = req.tags().unwrap();
        assert_eq!(tags.get("mosia:part").map(String::as_str), Some("eks"));
        assert_eq!(
            tags.get(NODE_GROUP_TAG).map(String::as_str),
            Some("general")
        );
        let taint = &req.taints()[0];
        assert_eq!(
            (
                taint.key(),
                taint.value(),
                taint.effect().map(|e| e.as_str())
            ),
            (Some("dedicated"), Some("batch"), Some("NO_SCHEDULE"))
        );
        let u = req.update_config().unwrap();
        assert_eq!(
            (u.max_unavailable(), u.max_unavailable_percentage()),
            (None, Some(25))
        );
    }

    #[tokio::test]
    async fn a_graviton_node_group_runs_the_arm64_ami_unless_told_otherwise() {
        let list = listing(&[]);
        let graviton = |ami: AmiTypes| {
            let mut ng = node_group(NodegroupStatus::Active);
            ng.instance_types = Some(vec!["t4g.medium".into(), "m7g.large".into()]);
            ng.ami_type = Some(ami);
            found(ng)
        };
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup)
            .then_output(move || graviton(AmiTypes::Al2023Arm64Standard));
        let (create, sent) = create_answering(vec![]);
        let env_default = env(&[&list, &describe, &create]);
        let mut spec = node_group_spec();
        spec.instance_types = vec!["t4g.medium".into(), "m7g.large".into()];
        ensure(&env_default, &spec).await.unwrap();
        assert_eq!(
            sent.lock().unwrap()[0].ami_type(),
            Some(&AmiTypes::Al2023Arm64Standard)
        );

        // Configured: Bottlerocket on the same instance types.
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup)
            .then_output(move || graviton(AmiTypes::BottlerocketArm64));
        let (create, sent) = create_answering(vec![]);
        let env_bottlerocket = super::super::test_support::env(&[&list, &describe, &create]);
        spec.ami_type = Some(AmiType::BottlerocketArm);
        ensure(&env_bottlerocket, &spec).await.unwrap();
        assert_eq!(
            sent.lock().unwrap()[0].ami_type(),
            Some(&AmiTypes::BottlerocketArm64)
        );
    }

    #[tokio::test]
    async fn mixed_architectures_are_refused_before_anything_is_sent() {
        let list = listing(&[]);
        let describe = describe_active();
        let (create, _) = create_answering(vec![]);
        let env = env(&[&list, &describe, &create]);
        let mut spec = node_group_spec();
        spec.instance_types = vec!["m6i.large".into(), "m7g.large".into()];
        let err = ensure(&env, &spec).await.unwrap_err();
        assert!(err.detail.contains("two architectures"), "{}", err.detail);
        assert_eq!(
            (list.num_calls(), describe.num_calls(), create.num_calls()),
            (0, 0, 0)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_node_role_still_propagating_is_retried_then_created() {
        let list = listing(&[]);
        let describe = describe_active();
        let (create, _) = create_answering(vec![
            invalid_parameter(
                "Following required service principals [ec2.amazonaws.com] were not found in \
                 the trust relationships of nodeRole arn:aws:iam::123456789012:role/mosia-test-eks-node",
            ),
            invalid_parameter(
                "The provided role doesn't have the Amazon EKS Managed Policies associated with it. \
                 Please ensure the following policies [arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy] are attached",
            ),
        ]);
        let env = env(&[&list, &describe, &create]);
        let outcome = ensure(&env, &node_group_spec()).await.unwrap();
        assert!(matches!(outcome, NodeGroupOutcome::Ready(_)));
        assert_eq!(
            create.num_calls(),
            3,
            "two propagation answers, then created"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_create_error_fails_at_once() {
        let list = listing(&[]);
        let describe = describe_active();
        let (create, _) = create_answering(vec![invalid_parameter(
            "Requested Nodegroup diskSize 0 is invalid",
        )]);
        let env = env(&[&list, &describe, &create]);
        let err = ensure(&env, &node_group_spec()).await.unwrap_err();
        assert!(
            err.detail.contains("diskSize 0 is invalid"),
            "{}",
            err.detail
        );
        assert_eq!(create.num_calls(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_role_that_never_propagates_fails_after_about_two_minutes() {
        let list = listing(&[]);
        let describe = describe_active();
        let (create, _) = create_answering(
            (0..1000)
                .map(|_| invalid_parameter("Error in role params"))
                .collect(),
        );
        let env = env(&[&list, &describe, &create]);
        let started = tokio::time::Instant::now();
        let err = ensure(&env, &node_group_spec()).await.unwrap_err();
        let waited = started.elapsed();
        assert!(
            waited >= IAM_PROPAGATION_WAIT && waited < IAM_PROPAGATION_WAIT * 2,
            "{waited:?}: {err:?}"
        );
    }

    /// The calls of a replacement, in order, as the mocks saw them.
    type CallLog = Arc<Mutex<Vec<String>>>;

    /// Mocks of a cluster holding `groups` (EKS name → group): DescribeNodegroup answers
    /// each until DeleteNodegroup was called for it, then NotFound; CreateNodegroup adds
    /// `created` under the requested name. Every create and delete is logged.
    fn cluster_of(groups: Vec<Nodegroup>, created: Nodegroup) -> (Vec<Rule>, CallLog) {
        let log: CallLog = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(Mutex::new(groups));
        let names: Vec<String> = state
            .lock()
            .unwrap()
            .iter()
            .filter_map(|g| g.nodegroup_name().map(str::to_string))
            .collect();
        let list = listing(&names.iter().map(String::as_str).collect::<Vec<_>>());
        let (s, l) = (state.clone(), log.clone());
        let describe =
            mock!(aws_sdk_eks::Client::describe_nodegroup).then_compute_response(move |req| {
                let groups = s.lock().unwrap();
                match groups
                    .iter()
                    .find(|g| g.nodegroup_name() == req.nodegroup_name())
                {
                    Some(g) => {
                        l.lock().unwrap().push(format!(
                            "describe {} {}",
                            req.nodegroup_name().unwrap(),
                            g.status().unwrap().as_str()
                        ));
                        MockResponse::Output(found(g.clone()))
                    }
                    None => MockResponse::Error(not_found()),
                }
            });
        let (s, l) = (state.clone(), log.clone());
        let create = mock!(aws_sdk_eks::Client::create_nodegroup).then_compute_output(move |req| {
            let name = req.nodegroup_name().unwrap().to_string();
            l.lock().unwrap().push(format!("create {name}"));
            let mut g = created.clone();
            g.nodegroup_name = Some(name);
            g.created_at = Some(DateTime::from_secs(2_000));
            s.lock().unwrap().push(g);
            CreateNodegroupOutput::builder().build()
        });
        let (s, l) = (state, log.clone());
        let delete = mock!(aws_sdk_eks::Client::delete_nodegroup).then_compute_output(move |req| {
            let name = req.nodegroup_name().unwrap();
            l.lock().unwrap().push(format!("delete {name}"));
            s.lock()
                .unwrap()
                .retain(|g| g.nodegroup_name() != Some(name));
            DeleteNodegroupOutput::builder().build()
        });
        (vec![list, describe, create, delete], log)
    }

    /// The base-named group on m5.large, created at t=1000.
    fn old_m5() -> Nodegroup {
        let mut m5 = node_group(NodegroupStatus::Active);
        m5.instance_types = Some(vec!["m5.large".into()]);
        m5.created_at = Some(DateTime::from_secs(1_000));
        m5
    }

    #[tokio::test(start_paused = true)]
    async fn a_replacement_creates_the_new_group_and_waits_for_it_before_deleting_the_old() {
        let (rules, log) = cluster_of(vec![old_m5()], node_group(NodegroupStatus::Active));
        let (update, _) = update_recording();
        let mut all: Vec<&Rule> = rules.iter().collect();
        all.push(&update);
        let env = env(&all);
        let mut spec = node_group_spec();
        spec.desired_size = 3; // would be an in-place update, but the group is replaced anyway
        let outcome = ensure(&env, &spec).await.unwrap();
        let NodeGroupOutcome::Replaced { state, reasons } = outcome else {
            panic!("replaced: {outcome:?}")
        };
        assert!(
            reasons[0].contains("instance types change from [m5.large] to [m6i.large]"),
            "{reasons:?}"
        );
        let new = state.name.clone();
        assert!(new.starts_with("mosia-test-general-"), "{new}");
        let log = log.lock().unwrap().clone();
        let at = |entry: &str| log.iter().position(|l| l == entry);
        let created = at(&format!("create {new}")).expect("created");
        let active = at(&format!("describe {new} ACTIVE")).expect("waited for");
        let deleted = at(&format!("delete {BASE}")).expect("old one deleted");
        assert!(created < active && active < deleted, "{log:?}");
        assert!(
            !log.iter().any(|l| l == &format!("delete {new}")),
            "{log:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupted_replacement_keeps_the_group_matching_the_spec_and_deletes_the_other() {
        let mut new = node_group(NodegroupStatus::Active);
        new.nodegroup_name = Some("mosia-test-general-0a1b2".into());
        new.created_at = Some(DateTime::from_secs(2_000));
        let (rules, log) = cluster_of(vec![old_m5(), new], node_group(NodegroupStatus::Active));
        let all: Vec<&Rule> = rules.iter().collect();
        let env = env(&all);
        let outcome = ensure(&env, &node_group_spec()).await.unwrap();
        let NodeGroupOutcome::Replaced { state, .. } = outcome else {
            panic!("replaced: {outcome:?}")
        };
        assert_eq!(state.name, "mosia-test-general-0a1b2");
        let log = log.lock().unwrap().clone();
        assert!(!log.iter().any(|l| l.starts_with("create")), "{log:?}");
        assert!(log.contains(&format!("delete {BASE}")), "{log:?}");

        // Configured back to m5.large: the old group is the one kept.
        let mut new = node_group(NodegroupStatus::Active);
        new.nodegroup_name = Some("mosia-test-general-0a1b2".into());
        let (rules, log) = cluster_of(vec![old_m5(), new], node_group(NodegroupStatus::Active));
        let all: Vec<&Rule> = rules.iter().collect();
        let env = super::super::test_support::env(&all);
        let mut spec = node_group_spec();
        spec.instance_types = vec!["m5.large".into()];
        let state = ensure(&env, &spec).await.unwrap().state().clone();
        assert_eq!(state.name, BASE);
        assert!(log
            .lock()
            .unwrap()
            .contains(&"delete mosia-test-general-0a1b2".to_string()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_degraded_new_group_keeps_the_old_one_running() {
        let (rules, log) = cluster_of(vec![old_m5()], node_group(NodegroupStatus::Degraded));
        let all: Vec<&Rule> = rules.iter().collect();
        let env = env(&all);
        let err = ensure(&env, &node_group_spec()).await.unwrap_err();
        assert!(err.detail.contains("is DEGRADED"), "{}", err.detail);
        assert!(
            !log.lock().unwrap().iter().any(|l| l.starts_with("delete")),
            "nothing deleted"
        );
    }

    #[tokio::test]
    async fn a_new_desired_size_is_an_in_place_scaling_update() {
        let list = listing(&[BASE]);
        let describe = describe_active();
        let (update, sent) = update_recording();
        let env = env(&[&list, &describe, &update]);
        let mut spec = node_group_spec();
        spec.desired_size = 3;
        assert!(matches!(
            ensure(&env, &spec).await.unwrap(),
            NodeGroupOutcome::Ready(_)
        ));
        let reqs = sent.lock().unwrap().clone();
        assert_eq!(reqs.len(), 1);
        let s = reqs[0].scaling_config().unwrap();
        assert_eq!(
            (s.min_size(), s.desired_size(), s.max_size()),
            (Some(1), Some(3), Some(3))
        );
        assert!(reqs[0].labels().is_none(), "labels unchanged");
        assert!(reqs[0].taints().is_none(), "taints unchanged");
        assert!(reqs[0].update_config().is_none(), "update config unchanged");
    }

    #[tokio::test]
    async fn external_scaling_never_sends_the_desired_size_after_create() {
        // An autoscaler moved the group to 3 nodes; the configuration still says 2. The
        // group carries the tag that records who owns its desired size.
        let list = listing(&[BASE]);
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup).then_output(|| {
            let mut ng = node_group(NodegroupStatus::Active);
            let tags = ng.tags.get_or_insert_with(Default::default);
            tags.insert(super::super::SCALING_TAG.into(), "external".into());
            found(ng)
        });
        let (update, sent) = update_recording();
        let env = env(&[&list, &describe, &update]);
        let mut spec = node_group_spec();
        spec.scaling = Scaling::External;
        spec.desired_size = 1;
        ensure(&env, &spec).await.unwrap();
        assert_eq!(update.num_calls(), 0, "a desired size alone is not sent");

        spec.max_size = 5;
        ensure(&env, &spec).await.unwrap();
        let reqs = sent.lock().unwrap().clone();
        assert_eq!(reqs.len(), 1);
        let s = reqs[0].scaling_config().unwrap();
        assert_eq!(
            (s.min_size(), s.desired_size(), s.max_size()),
            (Some(1), None, Some(5))
        );
    }

    #[tokio::test]
    async fn taints_and_the_update_config_change_in_place() {
        let list = listing(&[BASE]);
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup).then_output(|| {
            let mut ng = node_group(NodegroupStatus::Active);
            ng.taints = Some(vec![aws_sdk_eks::types::Taint::builder()
                .key("old")
                .effect(aws_sdk_eks::types::TaintEffect::NoExecute)
                .build()]);
            found(ng)
        });
        let (update, sent) = update_recording();
        let env = env(&[&list, &describe, &update]);
        let mut spec = node_group_spec();
        spec.taints = vec![Taint {
            key: "dedicated".into(),
            value: Some("batch".into()),
            effect: TaintEffect::NoSchedule,
        }];
        spec.max_unavailable = MaxUnavailable::Count(2);
        ensure(&env, &spec).await.unwrap();
        let reqs = sent.lock().unwrap().clone();
        assert_eq!(reqs.len(), 1, "one UpdateNodegroupConfig");
        let taints = reqs[0].taints().unwrap();
        let keys = |v: &[aws_sdk_eks::types::Taint]| {
            v.iter()
                .map(|t| t.key().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(taints.add_or_update_taints()), ["dedicated"]);
        assert_eq!(keys(taints.remove_taints()), ["old"]);
        assert_eq!(reqs[0].update_config().unwrap().max_unavailable(), Some(2));
        assert!(reqs[0].scaling_config().is_none(), "scaling unchanged");
    }

    #[tokio::test]
    async fn create_failed_while_waiting_fails_at_once_naming_it() {
        let list = listing(&[]);
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup)
            .then_output(|| found(node_group(NodegroupStatus::CreateFailed)));
        let create = mock!(aws_sdk_eks::Client::create_nodegroup)
            .then_output(|| CreateNodegroupOutput::builder().build());
        let env = env(&[&list, &describe, &create]);
        let err = ensure(&env, &node_group_spec()).await.unwrap_err();
        assert_eq!(err.part, "eks.node_group.general");
        assert!(
            err.detail.contains("unexpected status `CREATE_FAILED`"),
            "{}",
            err.detail
        );
        assert_eq!(describe.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_node_group_of_another_environment_is_refused() {
        let mut foreign = node_group(NodegroupStatus::Active);
        foreign.tags = Some([("mosia:environment".to_string(), "other".to_string())].into());
        let list = listing(&[BASE]);
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup)
            .then_output(move || found(foreign.clone()));
        let env = env(&[&list, &describe]);
        let err = ensure(&env, &node_group_spec()).await.unwrap_err();
        assert_eq!(err.part, "eks.node_group.general");
        assert!(
            err.detail.contains("not managed by this environment"),
            "{}",
            err.detail
        );
    }

    #[test]
    fn replace_reasons_name_each_change_that_cannot_be_made_in_place() {
        let spec = node_group_spec();
        assert!(replace_reasons(&spec, &node_group(NodegroupStatus::Active)).is_empty());
        let mut spot = node_group(NodegroupStatus::Active);
        spot.capacity_type = Some(CapacityTypes::Spot);
        spot.disk_size = Some(50);
        spot.ami_type = Some(AmiTypes::BottlerocketX8664);
        let reasons = replace_reasons(&spec, &spot);
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(
            reasons[0].contains("capacity type changes from SPOT to ON_DEMAND"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].contains("disk size changes from 50 GB to 20 GB"),
            "{reasons:?}"
        );
        assert!(
            reasons[2]
                .contains("AMI type changes from BOTTLEROCKET_x86_64 to AL2023_x86_64_STANDARD"),
            "{reasons:?}"
        );
    }

    #[test]
    fn the_state_shows_the_newest_live_group_and_names_the_others() {
        let mut new = node_group(NodegroupStatus::Active);
        new.nodegroup_name = Some("mosia-test-general-0a1b2".into());
        new.created_at = Some(DateTime::from_secs(2_000));
        let state = primary_state(&[old_m5(), new.clone()]).unwrap();
        assert_eq!(state.name, "mosia-test-general-0a1b2");
        assert_eq!(state.others, [BASE]);
        let mut deleting = old_m5();
        deleting.status = Some(NodegroupStatus::Deleting);
        let state = primary_state(&[deleting, new]).unwrap();
        assert!(
            state.others.is_empty(),
            "a group being deleted is not a leftover"
        );
    }

    #[test]
    fn a_group_created_before_the_node_group_tag_is_known_by_its_name() {
        let env = super::super::test_support::env(&[]);
        let mut legacy = node_group(NodegroupStatus::Active);
        legacy.tags = Some(owned_tags());
        assert_eq!(config_name_of(&env, &legacy).as_deref(), Some("general"));
        let mut tagged = node_group(NodegroupStatus::Active);
        tagged.nodegroup_name = Some("mosia-test-general-0a1b2".into());
        assert_eq!(config_name_of(&env, &tagged).as_deref(), Some("general"));
    }
}
