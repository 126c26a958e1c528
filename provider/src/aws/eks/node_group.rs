//! EKS managed node groups `{env}-{name}` ([`PartId::NodeGroup`]): find, statuses and
//! waits, `ensure` (adopt | create | converge, or [`NodeGroupOutcome::MustReplace`] when
//! the change cannot be made in place), `read` and import discovery. Deletes and
//! replacement are in [`super::node_group_delete`].

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_eks::operation::describe_nodegroup::DescribeNodegroupError;
use aws_sdk_eks::operation::list_nodegroups::ListNodegroupsError;
use aws_sdk_eks::types::{
    Nodegroup, NodegroupScalingConfig, NodegroupStatus, Update, UpdateLabelsPayload,
};

use super::super::iam::IamState;
use super::super::network::NetworkState;
use super::super::part::{not_ours, PartEnv, PartId};
use super::super::version;
use super::super::wait::{AwsKind, Statuses};
use super::cluster::EksClusterState;
use super::cluster_update::{wait_update, UpdateOf};
use super::node_group_create::create_node_group;
use super::node_group_delete::wait_node_group_deleted;
use super::{
    ami_type, cluster_name, node_group_name, sync_tags, tag_map, NodeGroupSpec, PART, SERVICE,
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
}

/// The result of [`ensure_node_group`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeGroupOutcome {
    /// The node group matches the spec and is ACTIVE (or DEGRADED: running, with issues).
    Ready(NodeGroupState),
    /// The node group exists but differs in what a managed node group cannot change in place
    /// (instance types, capacity type, disk size), or an earlier create left it in
    /// CREATE_FAILED. Nothing was changed. The resource replaces the node group
    /// ([`super::replace_node_group`]); `reasons` say why, worded for the user.
    MustReplace {
        current: NodeGroupState,
        reasons: Vec<String>,
    },
}

impl NodeGroupOutcome {
    /// The state, whatever the outcome.
    pub fn state(&self) -> &NodeGroupState {
        match self {
            NodeGroupOutcome::Ready(s) => s,
            NodeGroupOutcome::MustReplace { current, .. } => current,
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
    }
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

/// Node group `name` of one environment, as the steps of [`ensure_node_group`] see it.
pub(super) struct Target<'a> {
    pub env: &'a PartEnv,
    pub id: PartId,
    /// `id` as a string, for errors and waits.
    pub part: String,
    /// The EKS name `{env}-{name}`.
    pub name: String,
    pub cluster: &'a EksClusterState,
}

impl Target<'_> {
    fn update_of(&self) -> UpdateOf<'_> {
        UpdateOf {
            part: &self.part,
            kind: AwsKind::EksNodeGroup,
            cluster: &self.cluster.name,
            nodegroup: Some(&self.name),
        }
    }
}

/// What to do with a node group found under the name.
enum Found {
    Adopt,
    /// It was being deleted and is gone now: create it again.
    Create,
    Replace(Box<NodeGroupOutcome>),
}

/// Converges node group `{env}-{name}` of `cluster` to `spec`. See [`NodeGroupOutcome`]:
/// changes that need a new node group are reported, not made.
pub async fn ensure_node_group(
    env: &PartEnv,
    name: &str,
    spec: &NodeGroupSpec,
    cluster: &EksClusterState,
    net: &NetworkState,
    iam: &IamState,
) -> Result<NodeGroupOutcome, PartError> {
    let id = PartId::NodeGroup(name.to_string());
    let t = Target {
        env,
        part: id.to_string(),
        id,
        name: node_group_name(env, name),
        cluster,
    };
    validate_node_group(&t.part, &t.name, spec)?;
    if net.private_subnet_ids.is_empty() {
        return Err(PartError::new(
            &t.part,
            format!("creating EKS node group `{}`", t.name),
            "the network has no private subnets",
        ));
    }
    let found = match find_node_group(env, &t.part, &cluster.name, &t.name).await? {
        Some(ng) => adopt_node_group(&t, &ng).await?,
        None => Found::Create,
    };
    match found {
        Found::Replace(outcome) => return Ok(*outcome),
        Found::Create => create_node_group(&t, spec, net, iam).await?,
        Found::Adopt => {}
    }
    let ng = wait_node_group_active(env, &t.part, &cluster.name, &t.name).await?;
    let tags = tag_map(ng.tags());
    if !env.owns(PART, &tags) {
        return Err(not_ours(env, &t.id, "EKS node group", &t.name, &tags));
    }
    let reasons = replace_reasons(spec, &ng);
    if !reasons.is_empty() {
        tracing::info!(part = %t.part, object = %t.name, reasons = ?reasons, "node group must be replaced");
        return Ok(NodeGroupOutcome::MustReplace {
            current: node_group_state(&ng),
            reasons,
        });
    }
    converge_node_group(&t, spec, ng)
        .await
        .map(NodeGroupOutcome::Ready)
}

/// Decides about a node group found under the name: refuses one that is not ours or
/// DELETE_FAILED, reports CREATE_FAILED as a replacement, waits out a delete.
async fn adopt_node_group(t: &Target<'_>, ng: &Nodegroup) -> Result<Found, PartError> {
    let (part, name) = (t.part.as_str(), t.name.as_str());
    let tags = tag_map(ng.tags());
    if !t.env.owns(PART, &tags) {
        return Err(not_ours(t.env, &t.id, "EKS node group", name, &tags));
    }
    match ng.status() {
        Some(NodegroupStatus::Deleting) => {
            tracing::info!(part, object = %name, "node group is being deleted; waiting before creating it again");
            wait_node_group_deleted(t.env, part, &t.cluster.name, name).await?;
            Ok(Found::Create)
        }
        Some(NodegroupStatus::CreateFailed) => {
            Ok(Found::Replace(Box::new(NodeGroupOutcome::MustReplace {
                reasons: vec![format!(
                    "an earlier create left the node group in CREATE_FAILED ({})",
                    health_issues(ng)
                )],
                current: node_group_state(ng),
            })))
        }
        Some(NodegroupStatus::DeleteFailed) => Err(PartError::new(
            part,
            format!("adopting EKS node group `{name}`"),
            format!("the node group is DELETE_FAILED: {}", health_issues(ng)),
        )),
        _ => {
            tracing::info!(part, object = %name, status = status_of(ng).unwrap_or_default(), "adopting existing node group");
            Ok(Found::Adopt)
        }
    }
}

pub(super) fn scaling(spec: &NodeGroupSpec) -> NodegroupScalingConfig {
    NodegroupScalingConfig::builder()
        .min_size(spec.min_size as i32)
        .max_size(spec.max_size as i32)
        .desired_size(spec.desired_size as i32)
        .build()
}

/// In-place changes of an ACTIVE node group: tags, version (following the cluster),
/// scaling and labels.
async fn converge_node_group(
    t: &Target<'_>,
    spec: &NodeGroupSpec,
    mut ng: Nodegroup,
) -> Result<NodeGroupState, PartError> {
    let (part, name) = (t.part.as_str(), t.name.as_str());
    let eks = t.env.aws.eks();
    let what = format!("EKS node group `{name}`");
    let tags = tag_map(ng.tags());
    sync_tags(
        t.env,
        part,
        &what,
        ng.nodegroup_arn().unwrap_or_default(),
        &tags,
        &t.env.tags_for(PART),
    )
    .await?;

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
        tracing::info!(part, object = %name, min = spec.min_size, max = spec.max_size, desired = spec.desired_size, change = ?change, "updating node group scaling / labels");
        let mut req = eks
            .update_nodegroup_config()
            .cluster_name(&t.cluster.name)
            .nodegroup_name(name);
        if change.scaling {
            req = req.scaling_config(scaling(spec));
        }
        if !change.add_labels.is_empty() || !change.remove_labels.is_empty() {
            req = req.labels(
                UpdateLabelsPayload::builder()
                    .set_add_or_update_labels(
                        (!change.add_labels.is_empty()).then_some(change.add_labels),
                    )
                    .set_remove_labels(
                        (!change.remove_labels.is_empty()).then_some(change.remove_labels),
                    )
                    .build(),
            );
        }
        let out = req
            .send()
            .await
            .map_err(|e| SERVICE.error(part, what.as_str(), "UpdateNodegroupConfig", &e))?;
        ng = finish_node_group_update(t, out.update(), &what).await?;
    }
    let mut state = node_group_state(&ng);
    state.tags = t.env.tags_for(PART);
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

/// What UpdateNodegroupConfig must change: the scaling, labels to set, labels to remove.
#[derive(Debug, PartialEq)]
struct ConfigChange {
    scaling: bool,
    add_labels: HashMap<String, String>,
    remove_labels: Vec<String>,
}

/// The in-place change from `have` to `spec`; None when scaling and labels match.
fn config_change(spec: &NodeGroupSpec, have: &NodeGroupState) -> Option<ConfigChange> {
    let scaling = have.min_size != spec.min_size
        || have.max_size != spec.max_size
        || have.desired_size != spec.desired_size;
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
    (scaling || !add_labels.is_empty() || !remove_labels.is_empty()).then_some(ConfigChange {
        scaling,
        add_labels,
        remove_labels,
    })
}

/// The Kubernetes version to upgrade a node group at `have` to, when the cluster (at
/// `cluster`) is newer: the cluster's version (UpdateNodegroupVersion takes no other).
pub(super) fn node_group_upgrade(have: &str, cluster: &str) -> Option<String> {
    let (h, c) = (version::major_minor(have)?, version::major_minor(cluster)?);
    (h.0 == c.0 && h.1 < c.1).then(|| format!("{}.{}", c.0, c.1))
}

/// What differs in ways a managed node group cannot change in place.
fn replace_reasons(spec: &NodeGroupSpec, ng: &Nodegroup) -> Vec<String> {
    let capacity = ng
        .capacity_type()
        .map(|c| c.as_str())
        .unwrap_or("ON_DEMAND");
    let disk = ng.disk_size().map(|d| d as u32);
    node_group_replace_reasons(ng.instance_types(), capacity, disk, spec)
}

/// Why a node group with these instance types, capacity type and disk size must be
/// replaced to become `spec` (empty when the change can be made in place). Also used at
/// plan time, to warn before the apply.
pub fn node_group_replace_reasons(
    have_types: &[String],
    have_capacity: &str,
    have_disk_gb: Option<u32>,
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
    reasons
}

// ---------------------------------------------------------------------------------------------
// Read

/// The node group as it is now (one DescribeNodegroup); None when it (or its cluster) does
/// not exist, or it is not this environment's.
pub async fn read_node_group(
    env: &PartEnv,
    name: &str,
) -> Result<Option<NodeGroupState>, PartError> {
    let part = PartId::NodeGroup(name.to_string()).to_string();
    let ng_name = node_group_name(env, name);
    let Some(ng) = find_node_group(env, &part, &cluster_name(env), &ng_name).await? else {
        return Ok(None);
    };
    if !env.owns(PART, &tag_map(ng.tags())) {
        tracing::warn!(part = %part, object = %ng_name, "an EKS node group of this name exists but is not this environment's");
        return Ok(None);
    }
    Ok(Some(node_group_state(&ng)))
}

/// The node groups of the environment's cluster, by their names in the configuration
/// (`{env}-{name}` in EKS), with their state. Used by import; only groups carrying this
/// environment's ownership tags are returned.
pub async fn discover_node_groups(
    env: &PartEnv,
) -> Result<BTreeMap<String, NodeGroupState>, PartError> {
    let prefix = format!("{}-", env.name);
    let names = list_node_groups(env, &cluster_name(env))
        .await?
        .unwrap_or_default();
    let mut found = BTreeMap::new();
    for eks_name in names {
        let Some(name) = eks_name.strip_prefix(&prefix) else {
            continue;
        };
        if let Some(g) = read_node_group(env, name).await? {
            found.insert(name.to_string(), g);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_eks::operation::create_nodegroup::{
        CreateNodegroupError, CreateNodegroupInput, CreateNodegroupOutput,
    };
    use aws_sdk_eks::types::{AmiTypes, CapacityTypes};

    use super::super::IAM_PROPAGATION_WAIT;
    use aws_sdk_eks::operation::describe_nodegroup::DescribeNodegroupOutput;
    use aws_sdk_eks::operation::update_nodegroup_config::UpdateNodegroupConfigOutput;
    use aws_sdk_eks::types::error::{InvalidParameterException, ResourceNotFoundException};
    use aws_sdk_eks::types::{Cluster, ClusterStatus, UpdateStatus};
    use aws_smithy_mocks::{mock, MockResponse};

    use super::super::cluster::cluster_state;
    use super::super::test_support::{
        cluster, env, iam, net, node_group, node_group_spec, owned_tags,
    };
    use super::*;

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

    #[tokio::test]
    async fn a_missing_node_group_is_created_from_the_spec() {
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup)
            .match_requests(|r| {
                r.cluster_name() == Some("mosia-test-eks")
                    && r.nodegroup_name() == Some("mosia-test-general")
            })
            .sequence()
            .error(not_found)
            .output(|| found(node_group(NodegroupStatus::Active)))
            .repeatedly()
            .build();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let seen = sent.clone();
        let create = mock!(aws_sdk_eks::Client::create_nodegroup).then_compute_output(move |req| {
            seen.lock().unwrap().push(req.clone());
            CreateNodegroupOutput::builder().build()
        });
        let env = env(&[&describe, &create]);
        let outcome = ensure(&env, &node_group_spec()).await.unwrap();
        let NodeGroupOutcome::Ready(state) = outcome else {
            panic!("created, not replaced: {outcome:?}")
        };
        assert_eq!(state.status, "ACTIVE");
        let reqs = sent.lock().unwrap().clone();
        assert_eq!(reqs.len(), 1);
        let req = &reqs[0];
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
        assert_eq!(
            req.tags().unwrap().get("mosia:part").map(String::as_str),
            Some("eks")
        );
    }

    /// A CreateNodegroup mock recording each request, answering `answers` in turn (then
    /// success).
    fn create_answering(
        answers: Vec<Option<CreateNodegroupError>>,
    ) -> (
        aws_smithy_mocks::Rule,
        Arc<Mutex<Vec<CreateNodegroupInput>>>,
    ) {
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

    fn invalid_parameter(message: &str) -> Option<CreateNodegroupError> {
        Some(CreateNodegroupError::InvalidParameterException(
            InvalidParameterException::builder()
                .message(message)
                .build(),
        ))
    }

    fn describe_missing_then_active() -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_eks::Client::describe_nodegroup)
            .sequence()
            .error(not_found)
            .output(|| found(node_group(NodegroupStatus::Active)))
            .repeatedly()
            .build()
    }

    #[tokio::test]
    async fn a_graviton_node_group_runs_the_arm64_ami() {
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup)
            .sequence()
            .error(not_found)
            .output(|| {
                let mut ng = node_group(NodegroupStatus::Active);
                ng.instance_types = Some(vec!["t4g.medium".into(), "m7g.large".into()]);
                found(ng)
            })
            .repeatedly()
            .build();
        let (create, sent) = create_answering(vec![]);
        let env = env(&[&describe, &create]);
        let mut spec = node_group_spec();
        spec.instance_types = vec!["t4g.medium".into(), "m7g.large".into()];
        ensure(&env, &spec).await.unwrap();
        let reqs = sent.lock().unwrap().clone();
        assert_eq!(reqs[0].ami_type(), Some(&AmiTypes::Al2023Arm64Standard));
    }

    #[tokio::test]
    async fn mixed_architectures_are_refused_before_anything_is_sent() {
        let describe = describe_missing_then_active();
        let (create, _) = create_answering(vec![]);
        let env = env(&[&describe, &create]);
        let mut spec = node_group_spec();
        spec.instance_types = vec!["m6i.large".into(), "m7g.large".into()];
        let err = ensure(&env, &spec).await.unwrap_err();
        assert!(err.detail.contains("two architectures"), "{}", err.detail);
        assert_eq!((describe.num_calls(), create.num_calls()), (0, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_node_role_still_propagating_is_retried_then_created() {
        let describe = describe_missing_then_active();
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
        let env = env(&[&describe, &create]);
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
        let describe = describe_missing_then_active();
        let (create, _) = create_answering(vec![invalid_parameter(
            "Requested Nodegroup diskSize 0 is invalid",
        )]);
        let env = env(&[&describe, &create]);
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
        let describe = describe_missing_then_active();
        let (create, _) = create_answering(
            (0..1000)
                .map(|_| invalid_parameter("Error in role params"))
                .collect(),
        );
        let env = env(&[&describe, &create]);
        let started = tokio::time::Instant::now();
        let err = ensure(&env, &node_group_spec()).await.unwrap_err();
        let waited = started.elapsed();
        assert!(
            waited >= IAM_PROPAGATION_WAIT && waited < IAM_PROPAGATION_WAIT * 2,
            "{waited:?}: {err:?}"
        );
    }

    #[tokio::test]
    async fn another_instance_type_means_replacement_and_nothing_is_sent() {
        let mut m5 = node_group(NodegroupStatus::Active);
        m5.instance_types = Some(vec!["m5.large".into()]);
        let describe =
            mock!(aws_sdk_eks::Client::describe_nodegroup).then_output(move || found(m5.clone()));
        let update = mock!(aws_sdk_eks::Client::update_nodegroup_config)
            .then_output(|| UpdateNodegroupConfigOutput::builder().build());
        let create = mock!(aws_sdk_eks::Client::create_nodegroup)
            .then_output(|| CreateNodegroupOutput::builder().build());
        let env = env(&[&describe, &update, &create]);
        let mut spec = node_group_spec();
        spec.desired_size = 3; // would be an in-place update, but the group is replaced anyway
        let outcome = ensure(&env, &spec).await.unwrap();
        let NodeGroupOutcome::MustReplace { reasons, current } = outcome else {
            panic!("must be replaced: {outcome:?}")
        };
        assert_eq!(current.instance_types, ["m5.large"]);
        assert_eq!(reasons.len(), 1, "{reasons:?}");
        assert!(
            reasons[0].contains("instance types change from [m5.large] to [m6i.large]"),
            "{reasons:?}"
        );
        assert_eq!((update.num_calls(), create.num_calls()), (0, 0));
    }

    #[tokio::test]
    async fn a_new_desired_size_is_an_in_place_scaling_update() {
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup)
            .then_output(|| found(node_group(NodegroupStatus::Active)));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let seen = sent.clone();
        let update =
            mock!(aws_sdk_eks::Client::update_nodegroup_config).then_compute_output(move |req| {
                seen.lock().unwrap().push(req.clone());
                let done = Update::builder()
                    .id("u-1")
                    .status(UpdateStatus::Successful)
                    .build();
                UpdateNodegroupConfigOutput::builder().update(done).build()
            });
        let env = env(&[&describe, &update]);
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
    }

    #[tokio::test]
    async fn create_failed_while_waiting_fails_at_once_naming_it() {
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup)
            .sequence()
            .error(not_found)
            .output(|| found(node_group(NodegroupStatus::CreateFailed)))
            .repeatedly()
            .build();
        let create = mock!(aws_sdk_eks::Client::create_nodegroup)
            .then_output(|| CreateNodegroupOutput::builder().build());
        let env = env(&[&describe, &create]);
        let err = ensure(&env, &node_group_spec()).await.unwrap_err();
        assert_eq!(err.part, "eks.node_group.general");
        assert!(
            err.detail.contains("unexpected status `CREATE_FAILED`"),
            "{}",
            err.detail
        );
        assert_eq!(describe.num_calls(), 2);
    }

    #[tokio::test]
    async fn a_node_group_of_another_environment_is_refused() {
        let mut foreign = node_group(NodegroupStatus::Active);
        foreign.tags = Some([("mosia:environment".to_string(), "other".to_string())].into());
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup)
            .then_output(move || found(foreign.clone()));
        let env = env(&[&describe]);
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
        let reasons = replace_reasons(&spec, &spot);
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons[0].contains("capacity type changes from SPOT to ON_DEMAND"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].contains("disk size changes from 50 GB to 20 GB"),
            "{reasons:?}"
        );
    }

    #[test]
    fn config_change_covers_scaling_and_labels() {
        let have = node_group_state(&node_group(NodegroupStatus::Active));
        assert_eq!(config_change(&node_group_spec(), &have), None);
        let mut spec = node_group_spec();
        spec.labels.insert("tier".into(), "web".into());
        let mut labelled = have.clone();
        labelled.labels.insert("old".into(), "x".into());
        let change = config_change(&spec, &labelled).unwrap();
        assert!(!change.scaling);
        assert_eq!(
            change.add_labels,
            HashMap::from([("tier".to_string(), "web".to_string())])
        );
        assert_eq!(change.remove_labels, ["old"]);
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
