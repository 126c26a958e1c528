//! The EKS part of an environment: the cluster `{env}-eks` and its managed node groups
//! `{env}-{name}`.
//!
//! - [`ensure_cluster`] creates the cluster in the network's private subnets with the `eks`
//!   security group, or adopts the cluster of that name when its ownership tags say it
//!   belongs to this environment (a re-run after a crash); a cluster of that name that is
//!   not ours is a clear error. On an existing cluster it converges in place: tags, the
//!   Kubernetes version (UpdateClusterVersion, one minor version at a time, each awaited
//!   through DescribeUpdate), subnets and security groups, endpoint access and log types
//!   (UpdateClusterConfig; EKS runs one update at a time, so they run one after the other).
//!   A change EKS cannot make at all (a version downgrade, a different major version) is
//!   refused with a [`PartError`] *before* anything is changed.
//! - [`ensure_node_group`] does the same for a node group. Scaling and labels change in
//!   place (UpdateNodegroupConfig); a node group older than its cluster (after a cluster
//!   upgrade, which runs first) is upgraded to the cluster's version (UpdateNodegroupVersion). Instance types, capacity type and disk size cannot be
//!   changed on a managed node group: `ensure_node_group` then answers
//!   [`NodeGroupOutcome::MustReplace`] without touching anything, with the reasons, so that
//!   the resource replaces just that node group ([`replace_node_group`] deletes it, waits
//!   until it is gone and creates it again). A node group left in `CREATE_FAILED` by an
//!   earlier run is reported the same way.
//! - [`read_cluster`] / [`read_node_group`]: one describe each; None when gone (or not ours).
//! - [`delete_node_group`], [`delete_cluster`]: wait until gone; NotFound counts as deleted.
//!   `delete_cluster` first deletes the node groups of the cluster that are ours (for
//!   example one removed from the configuration before a crash), and refuses when the
//!   cluster still has node groups Mosia does not manage.
//!
//! The IRSA OIDC provider is created by [`super::iam::ensure_oidc_provider`] from
//! [`EksClusterState::oidc_issuer`].
//!
//! Every wait uses [`Waiter`] with the `EksCluster` / `EksNodeGroup` schedules, honours
//! `env.ctx` and `env.deadline`, and has its own upper bound besides.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_eks::types::{
    CapacityTypes, Cluster, ClusterStatus, LogSetup, LogType, Logging, Nodegroup,
    NodegroupScalingConfig, NodegroupStatus, Update, UpdateLabelsPayload, UpdateStatus,
    VpcConfigRequest,
};
use aws_sdk_eks::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::errors;
use super::iam::IamState;
use super::network::NetworkState;
use super::part::PartEnv;
use crate::engine::{NotFoundGrace, PartError, Poll, Waiter};
use crate::aws::wait::AwsKind;
pub mod input;

pub use input::{CapacityType, EksSpec, NodeGroupSpec};

/// The part name in ownership tags and in errors of the cluster.
pub const PART: &str = "eks";
/// The key of the cluster's security group in [`NetworkState::security_group_ids`].
pub const SECURITY_GROUP_KEY: &str = "eks";
/// Every control plane log type EKS knows.
pub const LOG_TYPES: &[&str] = &[
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];
/// What EKS allows when `public_access_cidrs` is left empty.
pub const ANY_IPV4: &str = "0.0.0.0/0";

/// Upper bounds of the waits, whatever `env.deadline` says (EKS: cluster create 8-15
/// minutes, version update up to ~40 minutes, node group 3-6 minutes).
const CLUSTER_WAIT: Duration = Duration::from_secs(60 * 60);
const NODE_GROUP_WAIT: Duration = Duration::from_secs(45 * 60);
const DELETE_WAIT: Duration = Duration::from_secs(45 * 60);
/// How long a create keeps retrying while a fresh IAM role is not yet assumable.
const ROLE_PROPAGATION_WAIT: Duration = Duration::from_secs(3 * 60);

// ---------------------------------------------------------------------------------------------
// State

#[derive(Debug, Clone, PartialEq)]
pub struct EksClusterState {
    pub name: String,
    pub arn: String,
    pub endpoint: String,
    pub certificate_authority: String,
    pub oidc_issuer: String,
    pub version: String,
    pub status: String,
    pub endpoint_public_access: bool,
    pub endpoint_private_access: bool,
    /// As EKS reports them (`0.0.0.0/0` when public access is open to all).
    pub public_access_cidrs: Vec<String>,
    pub enabled_log_types: BTreeSet<String>,
    pub subnet_ids: Vec<String>,
    /// The additional security groups (the network's `eks` group).
    pub security_group_ids: Vec<String>,
    /// The security group EKS creates for the control plane and managed nodes.
    pub cluster_security_group_id: Option<String>,
    pub platform_version: String,
    /// All tags, ownership tags included.
    pub tags: BTreeMap<String, String>,
}

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
    /// ([`replace_node_group`]); `reasons` say why, worded for the user.
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

/// `{env}-eks`.
pub fn cluster_name(env: &PartEnv) -> String {
    env.aws_name("eks")
}

/// `{env}-{name}`.
pub fn node_group_name(env: &PartEnv, name: &str) -> String {
    env.aws_name(name)
}

/// The part name used in errors and progress logs of node group `name`.
pub fn node_group_part(name: &str) -> String {
    format!("eks-node-group-{name}")
}

// ---------------------------------------------------------------------------------------------
// Errors and helpers

fn aws_err<E, R>(
    part: &str,
    summary: impl Into<String>,
    op: &str,
    err: &SdkError<E, R>,
) -> PartError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let d = errors::diagnostic(&format!("EKS {op}"), err);
    PartError::new(part, summary, format!("EKS {op}: {}", d.detail)).retryable(is_transient(err))
}

/// Service error codes that may pass by themselves (throttling, internal errors, capacity).
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "TooManyRequestsException",
    "ServerException",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalServerError",
    "InsufficientCapacityException",
];

/// Throttling, 5xx and transport failures may pass by themselves.
fn is_transient<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    errors::is_transient(err, TRANSIENT_CODES)
}

fn is_not_found<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    matches!(
        errors::code(err),
        Some("ResourceNotFoundException" | "NotFoundException")
    )
}

fn is_in_use<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    matches!(errors::code(err), Some("ResourceInUseException"))
}

fn tag_map(tags: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

fn to_u32(v: Option<i32>) -> u32 {
    v.unwrap_or(0).max(0) as u32
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

/// The CIDRs EKS applies for `public_access_cidrs` (empty means open to all).
fn effective_cidrs(cidrs: &[String]) -> Vec<String> {
    if cidrs.is_empty() {
        vec![ANY_IPV4.to_string()]
    } else {
        sorted(cidrs)
    }
}

/// `1.29` → (1, 29).
fn parse_version(v: &str) -> Option<(u32, u32)> {
    let mut it = v.trim().split('.');
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

fn not_ours(part: &str, what: &str, name: &str, tags: &BTreeMap<String, String>) -> PartError {
    let owner = match (
        tags.get(super::part::ENVIRONMENT_TAG),
        tags.get(super::part::PART_TAG),
    ) {
        (Some(e), _) => format!("its tags say it belongs to environment `{e}`"),
        (None, _) => "it has no Mosia ownership tags".to_string(),
    };
    PartError::new(
        part,
        format!("creating {what} `{name}`"),
        format!(
            "an {what} named `{name}` already exists and is not managed by this environment \
             ({owner}); rename the environment, or delete or rename that {what}"
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Desired cluster

struct DesiredCluster {
    subnet_ids: Vec<String>,
    security_group_ids: Vec<String>,
    public: bool,
    private: bool,
    cidrs: Vec<String>,
    log_types: BTreeSet<String>,
    version: Option<String>,
}

fn desired_cluster(spec: &EksSpec, net: &NetworkState) -> Result<DesiredCluster, PartError> {
    let summary = "checking the EKS cluster settings";
    if net.private_subnet_ids.len() < 2 {
        return Err(PartError::new(
            PART,
            summary,
            format!(
                "EKS needs subnets in at least 2 availability zones; the network has {} private subnet(s)",
                net.private_subnet_ids.len()
            ),
        ));
    }
    if !spec.endpoint_public_access && !spec.endpoint_private_access {
        return Err(PartError::new(
            PART,
            summary,
            "at least one of endpoint_public_access and endpoint_private_access must be true \
             (otherwise nothing can reach the Kubernetes API)",
        ));
    }
    if let Some(bad) = spec
        .enabled_log_types
        .iter()
        .find(|t| !LOG_TYPES.contains(&t.as_str()))
    {
        return Err(PartError::new(
            PART,
            summary,
            format!(
                "unknown log type `{bad}`: expected one of {}",
                LOG_TYPES.join(", ")
            ),
        ));
    }
    if let Some(v) = &spec.version {
        if parse_version(v).is_none() {
            return Err(PartError::new(
                PART,
                summary,
                format!("version `{v}` is not a Kubernetes version like \"1.30\""),
            ));
        }
    }
    Ok(DesiredCluster {
        subnet_ids: net.private_subnet_ids.clone(),
        security_group_ids: net
            .security_group_ids
            .get(SECURITY_GROUP_KEY)
            .cloned()
            .into_iter()
            .collect(),
        public: spec.endpoint_public_access,
        private: spec.endpoint_private_access,
        cidrs: spec.public_access_cidrs.clone(),
        log_types: spec.enabled_log_types.clone(),
        version: spec.version.clone(),
    })
}

fn logging(enabled: &BTreeSet<String>) -> Logging {
    let on: Vec<LogType> = enabled.iter().map(|t| LogType::from(t.as_str())).collect();
    let off: Vec<LogType> = LOG_TYPES
        .iter()
        .filter(|t| !enabled.contains(**t))
        .map(|t| LogType::from(*t))
        .collect();
    let mut b = Logging::builder();
    if !on.is_empty() {
        b = b.cluster_logging(
            LogSetup::builder()
                .set_types(Some(on))
                .enabled(true)
                .build(),
        );
    }
    if !off.is_empty() {
        b = b.cluster_logging(
            LogSetup::builder()
                .set_types(Some(off))
                .enabled(false)
                .build(),
        );
    }
    b.build()
}

fn enabled_log_types(c: &Cluster) -> BTreeSet<String> {
    c.logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|s| s.enabled() == Some(true))
        .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
        .collect()
}

fn cluster_state(c: &Cluster) -> EksClusterState {
    let vpc = c.resources_vpc_config();
    EksClusterState {
        name: c.name().unwrap_or_default().to_string(),
        arn: c.arn().unwrap_or_default().to_string(),
        endpoint: c.endpoint().unwrap_or_default().to_string(),
        certificate_authority: c
            .certificate_authority()
            .and_then(|ca| ca.data())
            .unwrap_or_default()
            .to_string(),
        oidc_issuer: c
            .identity()
            .and_then(|i| i.oidc())
            .and_then(|o| o.issuer())
            .unwrap_or_default()
            .to_string(),
        version: c.version().unwrap_or_default().to_string(),
        status: c
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        endpoint_public_access: vpc.map(|v| v.endpoint_public_access()).unwrap_or(false),
        endpoint_private_access: vpc.map(|v| v.endpoint_private_access()).unwrap_or(false),
        public_access_cidrs: vpc
            .map(|v| v.public_access_cidrs().to_vec())
            .unwrap_or_default(),
        enabled_log_types: enabled_log_types(c),
        subnet_ids: vpc.map(|v| v.subnet_ids().to_vec()).unwrap_or_default(),
        security_group_ids: vpc
            .map(|v| v.security_group_ids().to_vec())
            .unwrap_or_default(),
        cluster_security_group_id: vpc
            .and_then(|v| v.cluster_security_group_id())
            .map(str::to_string),
        platform_version: c.platform_version().unwrap_or_default().to_string(),
        tags: tag_map(c.tags()),
    }
}

fn node_group_state(ng: &Nodegroup) -> NodeGroupState {
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
        status: ng
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        subnet_ids: ng.subnets().to_vec(),
        version: ng.version().unwrap_or_default().to_string(),
        release_version: ng.release_version().unwrap_or_default().to_string(),
        tags: tag_map(ng.tags()),
    }
}

fn health_issues(ng: &Nodegroup) -> String {
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

// ---------------------------------------------------------------------------------------------
// Describe and wait

async fn describe_cluster(eks: &Client, name: &str) -> Result<Option<Cluster>, PartError> {
    match eks.describe_cluster().name(name).send().await {
        Ok(out) => Ok(out.cluster().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(aws_err(
            PART,
            format!("reading EKS cluster `{name}`"),
            "DescribeCluster",
            &e,
        )),
    }
}

async fn describe_node_group(
    eks: &Client,
    part: &str,
    cluster: &str,
    name: &str,
) -> Result<Option<Nodegroup>, PartError> {
    match eks
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
    {
        Ok(out) => Ok(out.nodegroup().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(aws_err(
            part,
            format!("reading EKS node group `{name}`"),
            "DescribeNodegroup",
            &e,
        )),
    }
}

/// Waits until the cluster is ACTIVE and returns it.
async fn wait_cluster_active(env: &PartEnv, name: &str) -> Result<Cluster, PartError> {
    let eks = env.aws.eks();
    let grace = NotFoundGrace::default();
    let grace = &grace;
    Waiter::new(PART, AwsKind::EksCluster.poll_schedule())
        .what(format!("EKS cluster `{name}` to become ACTIVE"))
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(CLUSTER_WAIT)
        .until(|| async move {
            match describe_cluster(eks, name).await {
                Ok(Some(c)) => match c.status() {
                    Some(ClusterStatus::Active) => Poll::Ready(c),
                    Some(ClusterStatus::Failed) => Poll::Failed(PartError::new(
                        PART,
                        format!("waiting for EKS cluster `{name}`"),
                        "the cluster is FAILED; delete it (`terraform destroy`) and apply again",
                    )),
                    Some(ClusterStatus::Deleting) => Poll::Failed(PartError::new(
                        PART,
                        format!("waiting for EKS cluster `{name}`"),
                        "the cluster is being deleted (by someone else?)",
                    )),
                    Some(s) => Poll::Pending(s.as_str().to_string()),
                    None => Poll::Pending("unknown".into()),
                },
                Ok(None) => {
                    grace.missed(PART, format!("waiting for EKS cluster `{name}`"), "cluster")
                }
                Err(e) => Poll::Failed(e),
            }
        })
        .await
        .map_err(PartError::from)
}

/// Waits until the cluster no longer exists.
async fn wait_cluster_gone(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let eks = env.aws.eks();
    Waiter::new(PART, AwsKind::EksCluster.poll_schedule())
        .what(format!("EKS cluster `{name}` to be deleted"))
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(DELETE_WAIT)
        .until(|| async move {
            match describe_cluster(eks, name).await {
                Ok(None) => Poll::Ready(()),
                Ok(Some(c)) => match c.status() {
                    Some(ClusterStatus::Deleting) => Poll::Pending("DELETING".into()),
                    Some(s) => Poll::Failed(PartError::new(
                        PART,
                        format!("deleting EKS cluster `{name}`"),
                        format!("the cluster is {} instead of being deleted", s.as_str()),
                    )),
                    None => Poll::Pending("unknown".into()),
                },
                Err(e) => Poll::Failed(e),
            }
        })
        .await
        .map_err(PartError::from)
}

/// Waits until the node group is ACTIVE (or DEGRADED: it runs, with health issues).
async fn wait_node_group_active(
    env: &PartEnv,
    part: &str,
    cluster: &str,
    name: &str,
) -> Result<Nodegroup, PartError> {
    let eks = env.aws.eks();
    let grace = NotFoundGrace::default();
    let grace = &grace;
    Waiter::new(part, AwsKind::EksNodeGroup.poll_schedule())
        .what(format!("EKS node group `{name}` to become ACTIVE"))
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(NODE_GROUP_WAIT)
        .until(|| async move {
            match describe_node_group(eks, part, cluster, name).await {
                Ok(Some(ng)) => match ng.status() {
                    Some(NodegroupStatus::Active) => Poll::Ready(ng),
                    Some(NodegroupStatus::Degraded) => {
                        tracing::warn!(part, node_group = name, issues = %health_issues(&ng), "node group is DEGRADED");
                        Poll::Ready(ng)
                    }
                    Some(s @ (NodegroupStatus::CreateFailed | NodegroupStatus::DeleteFailed)) => {
                        Poll::Failed(PartError::new(
                            part,
                            format!("waiting for EKS node group `{name}`"),
                            format!("status {}: {}", s.as_str(), health_issues(&ng)),
                        ))
                    }
                    Some(NodegroupStatus::Deleting) => Poll::Failed(PartError::new(
                        part,
                        format!("waiting for EKS node group `{name}`"),
                        "the node group is being deleted (by someone else?)",
                    )),
                    Some(s) => Poll::Pending(s.as_str().to_string()),
                    None => Poll::Pending("unknown".into()),
                },
                Ok(None) => grace.missed(part, format!("waiting for EKS node group `{name}`"), "node group"),
                Err(e) => Poll::Failed(e),
            }
        })
        .await
        .map_err(PartError::from)
}

/// Waits for a cluster or node group update (DescribeUpdate) to succeed.
async fn wait_update(
    env: &PartEnv,
    part: &str,
    kind: AwsKind,
    cluster: &str,
    nodegroup: Option<&str>,
    update: &Update,
    what: &str,
) -> Result<(), PartError> {
    let Some(id) = update.id() else {
        return Err(PartError::new(
            part,
            what,
            "EKS answered without an update id",
        ));
    };
    if update.status() == Some(&UpdateStatus::Successful) {
        return Ok(());
    }
    let eks = env.aws.eks();
    let timeout = if kind == AwsKind::EksCluster {
        CLUSTER_WAIT
    } else {
        NODE_GROUP_WAIT
    };
    Waiter::new(part, kind.poll_schedule())
        .what(format!("{what} (update {id})"))
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(timeout)
        .until(|| async move {
            let mut req = eks.describe_update().name(cluster).update_id(id);
            if let Some(ng) = nodegroup {
                req = req.nodegroup_name(ng);
            }
            match req.send().await {
                Ok(out) => {
                    let Some(u) = out.update() else {
                        return Poll::Pending("unknown".into());
                    };
                    match u.status() {
                        Some(UpdateStatus::Successful) => Poll::Ready(()),
                        Some(s @ (UpdateStatus::Failed | UpdateStatus::Cancelled)) => {
                            let errs: Vec<String> = u
                                .errors()
                                .iter()
                                .map(|e| {
                                    format!(
                                        "{}: {}",
                                        e.error_code().map(|c| c.as_str()).unwrap_or("Unknown"),
                                        e.error_message().unwrap_or("no message")
                                    )
                                })
                                .collect();
                            Poll::Failed(PartError::new(
                                part,
                                what,
                                format!(
                                    "EKS update {id} {}: {}",
                                    s.as_str(),
                                    if errs.is_empty() {
                                        "no details".into()
                                    } else {
                                        errs.join("; ")
                                    }
                                ),
                            ))
                        }
                        Some(s) => Poll::Pending(s.as_str().to_string()),
                        None => Poll::Pending("unknown".into()),
                    }
                }
                Err(e) => Poll::Failed(aws_err(part, what, "DescribeUpdate", &e)),
            }
        })
        .await
        .map_err(PartError::from)
}

// ---------------------------------------------------------------------------------------------
// Tags

/// Makes `arn`'s tags equal to `want` (keys under `aws:` are AWS's own and left alone).
async fn sync_tags(
    env: &PartEnv,
    part: &str,
    what: &str,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let eks = env.aws.eks();
    let (set, unset) = super::tags::diff(have, want);
    let set: HashMap<String, String> = set.into_iter().collect();
    if !set.is_empty() {
        tracing::info!(part, object = what, keys = set.len(), "tagging");
        eks.tag_resource()
            .resource_arn(arn)
            .set_tags(Some(set))
            .send()
            .await
            .map_err(|e| aws_err(part, format!("tagging {what}"), "TagResource", &e))?;
    }
    if !unset.is_empty() {
        tracing::info!(part, object = what, keys = unset.len(), "removing tags");
        eks.untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(unset))
            .send()
            .await
            .map_err(|e| aws_err(part, format!("untagging {what}"), "UntagResource", &e))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Cluster

/// Converges the EKS cluster `{env}-eks` to `spec` and waits until it is ACTIVE.
pub async fn ensure_cluster(
    env: &PartEnv,
    spec: &EksSpec,
    net: &NetworkState,
    iam: &IamState,
) -> Result<EksClusterState, PartError> {
    let name = cluster_name(env);
    let want = desired_cluster(spec, net)?;
    let eks = env.aws.eks();

    let mut existing = describe_cluster(eks, &name).await?;
    if let Some(c) = &existing {
        let tags = tag_map(c.tags());
        if !env.owns(PART, &tags) {
            return Err(not_ours(PART, "EKS cluster", &name, &tags));
        }
        match c.status() {
            Some(ClusterStatus::Deleting) => {
                tracing::info!(part = PART, object = %name, "cluster is being deleted; waiting before creating it again");
                wait_cluster_gone(env, &name).await?;
                existing = None;
            }
            Some(ClusterStatus::Failed) => {
                return Err(PartError::new(
                    PART,
                    format!("adopting EKS cluster `{name}`"),
                    "the cluster is FAILED; delete it (`terraform destroy`) and apply again",
                ));
            }
            _ => {
                tracing::info!(part = PART, object = %name, status = c.status().map(|s| s.as_str()).unwrap_or(""), "adopting existing cluster");
            }
        }
    }
    if existing.is_none() {
        create_cluster(env, &name, &want, iam).await?;
    }
    let cluster = wait_cluster_active(env, &name).await?;
    let tags = tag_map(cluster.tags());
    if !env.owns(PART, &tags) {
        // Created by someone else between our describe and our create.
        return Err(not_ours(PART, "EKS cluster", &name, &tags));
    }
    converge_cluster(env, &name, &want, cluster).await
}

async fn create_cluster(
    env: &PartEnv,
    name: &str,
    want: &DesiredCluster,
    iam: &IamState,
) -> Result<(), PartError> {
    let eks = env.aws.eks();
    let mut vpc = VpcConfigRequest::builder()
        .set_subnet_ids(Some(want.subnet_ids.clone()))
        .endpoint_public_access(want.public)
        .endpoint_private_access(want.private);
    if !want.security_group_ids.is_empty() {
        vpc = vpc.set_security_group_ids(Some(want.security_group_ids.clone()));
    }
    if want.public && !want.cidrs.is_empty() {
        vpc = vpc.set_public_access_cidrs(Some(want.cidrs.clone()));
    }
    let vpc = vpc.build();
    let tags: HashMap<String, String> = env.tags_for(PART).into_iter().collect();
    let summary = format!("creating EKS cluster `{name}`");
    let summary = summary.as_str();
    let (vpc, tags) = (&vpc, &tags);
    tracing::info!(part = PART, object = %name, version = want.version.as_deref().unwrap_or("default"), "creating EKS cluster");
    // A role created moments ago may not be assumable by EKS yet (IAM is eventually
    // consistent): EKS answers InvalidParameterException; retry for a while.
    Waiter::new(PART, AwsKind::Iam.poll_schedule())
        .what(format!("EKS to accept the cluster role for `{name}`"))
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(ROLE_PROPAGATION_WAIT)
        .until(|| async move {
            let mut req = eks
                .create_cluster()
                .name(name)
                .role_arn(&iam.cluster_role_arn)
                .resources_vpc_config(vpc.clone())
                .set_tags(Some(tags.clone()));
            if !want.log_types.is_empty() {
                req = req.logging(logging(&want.log_types));
            }
            if let Some(v) = &want.version {
                req = req.version(v);
            }
            match req.send().await {
                Ok(_) => Poll::Ready(()),
                Err(e) if is_in_use(&e) => {
                    tracing::info!(part = PART, object = %name, "cluster already exists (an earlier run created it); adopting it");
                    Poll::Ready(())
                }
                Err(e)
                    if errors::code(&e) == Some("InvalidParameterException")
                        && e.message().is_some_and(|m| m.to_lowercase().contains("assume")) =>
                {
                    Poll::Pending("cluster role not assumable yet".into())
                }
                Err(e) => Poll::Failed(aws_err(PART, summary, "CreateCluster", &e)),
            }
        })
        .await
        .map_err(PartError::from)
}

/// In-place changes of an ACTIVE cluster; refuses what EKS cannot do before changing anything.
async fn converge_cluster(
    env: &PartEnv,
    name: &str,
    want: &DesiredCluster,
    mut cluster: Cluster,
) -> Result<EksClusterState, PartError> {
    let eks = env.aws.eks();
    let have_version = cluster.version().unwrap_or_default().to_string();

    // What cannot be done at all: say so before touching anything.
    let upgrade_to = match (&want.version, parse_version(&have_version)) {
        (Some(w), Some(h)) if w.trim() != have_version => {
            let w = parse_version(w).expect("validated");
            if w.0 != h.0 {
                return Err(PartError::new(
                    PART,
                    format!("updating EKS cluster `{name}`"),
                    format!(
                        "cannot change the Kubernetes major version from {have_version} to {}.{}",
                        w.0, w.1
                    ),
                ));
            }
            if w.1 < h.1 {
                return Err(PartError::new(
                    PART,
                    format!("updating EKS cluster `{name}`"),
                    format!(
                        "EKS cannot downgrade Kubernetes from {have_version} to {}.{}: set `version` to \
                         {have_version} (or leave it out), or replace the cluster",
                        w.0, w.1
                    ),
                ));
            }
            (w.1 > h.1).then_some(w)
        }
        _ => None,
    };

    let arn = cluster.arn().unwrap_or_default().to_string();
    sync_tags(
        env,
        PART,
        &format!("EKS cluster `{name}`"),
        &arn,
        &tag_map(cluster.tags()),
        &env.tags_for(PART),
    )
    .await?;

    // Version: one minor at a time, as EKS requires.
    if let Some((major, target_minor)) = upgrade_to {
        loop {
            let current = parse_version(cluster.version().unwrap_or_default())
                .unwrap_or((major, target_minor));
            if current.1 >= target_minor {
                break;
            }
            let next = format!("{major}.{}", current.1 + 1);
            let what = format!("upgrading EKS cluster `{name}` to Kubernetes {next}");
            tracing::info!(part = PART, object = %name, from = %format!("{}.{}", current.0, current.1), to = %next, "upgrading cluster version");
            let out = eks
                .update_cluster_version()
                .name(name)
                .version(&next)
                .send()
                .await
                .map_err(|e| aws_err(PART, what.as_str(), "UpdateClusterVersion", &e))?;
            if let Some(u) = out.update() {
                wait_update(env, PART, AwsKind::EksCluster, name, None, u, &what).await?;
            }
            cluster = wait_cluster_active(env, name).await?;
        }
    }

    let vpc = cluster.resources_vpc_config();
    let have_subnets = sorted(vpc.map(|v| v.subnet_ids()).unwrap_or_default());
    let have_sgs = sorted(vpc.map(|v| v.security_group_ids()).unwrap_or_default());
    if have_subnets != sorted(&want.subnet_ids) || have_sgs != sorted(&want.security_group_ids) {
        let what = format!("updating subnets and security groups of EKS cluster `{name}`");
        tracing::info!(part = PART, object = %name, "updating cluster subnets / security groups");
        let out = eks
            .update_cluster_config()
            .name(name)
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_subnet_ids(Some(want.subnet_ids.clone()))
                    .set_security_group_ids(Some(want.security_group_ids.clone()))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| aws_err(PART, what.as_str(), "UpdateClusterConfig", &e))?;
        if let Some(u) = out.update() {
            wait_update(env, PART, AwsKind::EksCluster, name, None, u, &what).await?;
        }
        cluster = wait_cluster_active(env, name).await?;
    }

    let vpc = cluster.resources_vpc_config();
    let have_public = vpc.map(|v| v.endpoint_public_access()).unwrap_or(false);
    let have_private = vpc.map(|v| v.endpoint_private_access()).unwrap_or(false);
    let have_cidrs = effective_cidrs(vpc.map(|v| v.public_access_cidrs()).unwrap_or_default());
    let cidrs_differ = want.public && have_cidrs != effective_cidrs(&want.cidrs);
    if have_public != want.public || have_private != want.private || cidrs_differ {
        let what = format!("updating endpoint access of EKS cluster `{name}`");
        tracing::info!(part = PART, object = %name, public = want.public, private = want.private, "updating endpoint access");
        let mut req = VpcConfigRequest::builder()
            .endpoint_public_access(want.public)
            .endpoint_private_access(want.private);
        if want.public {
            req = req.set_public_access_cidrs(Some(effective_cidrs(&want.cidrs)));
        }
        let out = eks
            .update_cluster_config()
            .name(name)
            .resources_vpc_config(req.build())
            .send()
            .await
            .map_err(|e| aws_err(PART, what.as_str(), "UpdateClusterConfig", &e))?;
        if let Some(u) = out.update() {
            wait_update(env, PART, AwsKind::EksCluster, name, None, u, &what).await?;
        }
        cluster = wait_cluster_active(env, name).await?;
    }

    if enabled_log_types(&cluster) != want.log_types {
        let what = format!("updating control plane logging of EKS cluster `{name}`");
        tracing::info!(part = PART, object = %name, types = ?want.log_types, "updating control plane logging");
        let out = eks
            .update_cluster_config()
            .name(name)
            .logging(logging(&want.log_types))
            .send()
            .await
            .map_err(|e| aws_err(PART, what.as_str(), "UpdateClusterConfig", &e))?;
        if let Some(u) = out.update() {
            wait_update(env, PART, AwsKind::EksCluster, name, None, u, &what).await?;
        }
        cluster = wait_cluster_active(env, name).await?;
    }

    let mut state = cluster_state(&cluster);
    // The describe may predate the tag sync above; the tags are now what was asked.
    state.tags = env.tags_for(PART);
    tracing::info!(part = PART, object = %name, status = %state.status, version = %state.version, "EKS cluster ready");
    Ok(state)
}

/// The cluster as it is now (one DescribeCluster); None when it does not exist or is not
/// this environment's.
pub async fn read_cluster(env: &PartEnv) -> Result<Option<EksClusterState>, PartError> {
    let name = cluster_name(env);
    let Some(c) = describe_cluster(env.aws.eks(), &name).await? else {
        return Ok(None);
    };
    let tags = tag_map(c.tags());
    if !env.owns(PART, &tags) {
        tracing::warn!(part = PART, object = %name, "an EKS cluster of this name exists but is not this environment's");
        return Ok(None);
    }
    Ok(Some(cluster_state(&c)))
}

/// Every node group of cluster `name` (EKS names, all pages); None when the cluster is gone.
async fn list_node_groups(eks: &Client, name: &str) -> Result<Option<Vec<String>>, PartError> {
    let mut groups = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = match eks
            .list_nodegroups()
            .cluster_name(name)
            .set_next_token(token.clone())
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => {
                return Err(aws_err(
                    PART,
                    format!("listing node groups of EKS cluster `{name}`"),
                    "ListNodegroups",
                    &e,
                ))
            }
        };
        groups.extend(out.nodegroups().iter().cloned());
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(Some(groups));
        }
    }
}

/// The node groups of the environment's cluster, by their names in the configuration
/// (`{env}-{name}` in EKS), with their state. Used by import; only groups carrying this
/// environment's ownership tags are returned.
pub async fn discover_node_groups(
    env: &PartEnv,
) -> Result<BTreeMap<String, NodeGroupState>, PartError> {
    let prefix = format!("{}-", env.name);
    let names = list_node_groups(env.aws.eks(), &cluster_name(env))
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

/// Deletes the cluster: first the node groups of it that are ours, then the cluster; waits
/// until it is gone. NotFound counts as deleted.
pub async fn delete_cluster(env: &PartEnv) -> Result<(), PartError> {
    let name = cluster_name(env);
    let eks = env.aws.eks();
    let Some(c) = describe_cluster(eks, &name).await? else {
        tracing::info!(part = PART, object = %name, "EKS cluster already gone");
        return Ok(());
    };
    let tags = tag_map(c.tags());
    if !env.owns(PART, &tags) {
        tracing::warn!(part = PART, object = %name, "not deleting an EKS cluster that is not this environment's");
        return Ok(());
    }

    // Node groups first: EKS refuses to delete a cluster that has any.
    let Some(groups) = list_node_groups(eks, &name).await? else {
        return Ok(());
    };
    let mut foreign = Vec::new();
    let mut ours = Vec::new();
    for g in groups {
        match describe_node_group(eks, PART, &name, &g).await? {
            Some(ng) if env.owns(PART, &tag_map(ng.tags())) => ours.push(g),
            Some(_) => foreign.push(g),
            None => {}
        }
    }
    if !foreign.is_empty() {
        return Err(PartError::new(
            PART,
            format!("deleting EKS cluster `{name}`"),
            format!(
                "the cluster has node groups Mosia does not manage ({}); delete them first",
                foreign.join(", ")
            ),
        ));
    }
    futures::future::try_join_all(ours.iter().map(|g| {
        let part = format!("{PART}-node-group");
        let name = name.clone();
        async move { delete_node_group_named(env, &part, &name, g).await }
    }))
    .await?;

    let requested = AtomicBool::new(false);
    let requested = &requested;
    let name_ref = name.as_str();
    Waiter::new(PART, AwsKind::EksCluster.poll_schedule())
        .what(format!("EKS cluster `{name}` to be deleted"))
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(DELETE_WAIT)
        .until(|| async move {
            let name = name_ref;
            let c = match describe_cluster(eks, name).await {
                Ok(None) => return Poll::Ready(()),
                Ok(Some(c)) => c,
                Err(e) => return Poll::Failed(e),
            };
            let status = c
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            match c.status() {
                Some(ClusterStatus::Deleting) => return Poll::Pending(status),
                Some(
                    ClusterStatus::Creating | ClusterStatus::Updating | ClusterStatus::Pending,
                ) => return Poll::Pending(status),
                Some(ClusterStatus::Failed) if requested.load(Ordering::Relaxed) => {
                    return Poll::Failed(PartError::new(
                        PART,
                        format!("deleting EKS cluster `{name}`"),
                        "the delete failed: the cluster is FAILED",
                    ))
                }
                _ => {}
            }
            tracing::info!(part = PART, object = %name, "deleting EKS cluster");
            match eks.delete_cluster().name(name).send().await {
                Ok(_) => {
                    requested.store(true, Ordering::Relaxed);
                    Poll::Pending("DELETING".into())
                }
                Err(e) if is_not_found(&e) => Poll::Ready(()),
                Err(e) if is_in_use(&e) => Poll::Pending(status),
                Err(e) => Poll::Failed(aws_err(
                    PART,
                    format!("deleting EKS cluster `{name}`"),
                    "DeleteCluster",
                    &e,
                )),
            }
        })
        .await
        .map_err(PartError::from)
}

// ---------------------------------------------------------------------------------------------
// Node groups

fn validate_node_group(part: &str, name: &str, spec: &NodeGroupSpec) -> Result<(), PartError> {
    let summary = format!("checking EKS node group `{name}`");
    if spec.instance_types.is_empty() {
        return Err(PartError::new(
            part,
            summary,
            "instance_types must name at least one instance type",
        ));
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

fn capacity(c: CapacityType) -> CapacityTypes {
    CapacityTypes::from(c.as_str())
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

/// Waits for a node group update EKS started (when it reported one), then until the node
/// group is active again; returns it as it is then.
async fn finish_node_group_update(
    env: &PartEnv,
    part: &str,
    cluster: &str,
    ng_name: &str,
    update: Option<&Update>,
    what: &str,
) -> Result<Nodegroup, PartError> {
    if let Some(u) = update {
        wait_update(
            env,
            part,
            AwsKind::EksNodeGroup,
            cluster,
            Some(ng_name),
            u,
            what,
        )
        .await?;
    }
    wait_node_group_active(env, part, cluster, ng_name).await
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
    let part = node_group_part(name);
    let part = part.as_str();
    let ng_name = node_group_name(env, name);
    validate_node_group(part, &ng_name, spec)?;
    if net.private_subnet_ids.is_empty() {
        return Err(PartError::new(
            part,
            format!("creating EKS node group `{ng_name}`"),
            "the network has no private subnets",
        ));
    }
    let eks = env.aws.eks();
    let cl = cluster.name.as_str();

    let mut existing = describe_node_group(eks, part, cl, &ng_name).await?;
    if let Some(ng) = &existing {
        let tags = tag_map(ng.tags());
        if !env.owns(PART, &tags) {
            return Err(not_ours(part, "EKS node group", &ng_name, &tags));
        }
        match ng.status() {
            Some(NodegroupStatus::Deleting) => {
                tracing::info!(part, object = %ng_name, "node group is being deleted; waiting before creating it again");
                wait_node_group_gone(env, part, cl, &ng_name).await?;
                existing = None;
            }
            Some(NodegroupStatus::CreateFailed) => {
                let current = node_group_state(ng);
                return Ok(NodeGroupOutcome::MustReplace {
                    reasons: vec![format!(
                        "an earlier create left the node group in CREATE_FAILED ({})",
                        health_issues(ng)
                    )],
                    current,
                });
            }
            Some(NodegroupStatus::DeleteFailed) => {
                return Err(PartError::new(
                    part,
                    format!("adopting EKS node group `{ng_name}`"),
                    format!("the node group is DELETE_FAILED: {}", health_issues(ng)),
                ));
            }
            _ => {
                tracing::info!(part, object = %ng_name, status = ng.status().map(|s| s.as_str()).unwrap_or(""), "adopting existing node group");
            }
        }
    }
    if existing.is_none() {
        tracing::info!(part, object = %ng_name, instance_types = ?spec.instance_types, "creating EKS node group");
        let mut req = eks
            .create_nodegroup()
            .cluster_name(cl)
            .nodegroup_name(&ng_name)
            .node_role(&iam.node_role_arn)
            .set_subnets(Some(net.private_subnet_ids.clone()))
            .scaling_config(
                NodegroupScalingConfig::builder()
                    .min_size(spec.min_size as i32)
                    .max_size(spec.max_size as i32)
                    .desired_size(spec.desired_size as i32)
                    .build(),
            )
            .set_instance_types(Some(spec.instance_types.clone()))
            .capacity_type(capacity(spec.capacity_type))
            .disk_size(spec.disk_size_gb as i32)
            .set_tags(Some(env.tags_for(PART).into_iter().collect()));
        if !spec.labels.is_empty() {
            req = req.set_labels(Some(spec.labels.clone().into_iter().collect()));
        }
        match req.send().await {
            Ok(_) => {}
            Err(e) if is_in_use(&e) => {
                // Either it exists already (an earlier run) or the cluster is busy; the
                // describe below tells which.
                if describe_node_group(eks, part, cl, &ng_name)
                    .await?
                    .is_none()
                {
                    return Err(aws_err(
                        part,
                        format!("creating EKS node group `{ng_name}`"),
                        "CreateNodegroup",
                        &e,
                    )
                    .retryable(true));
                }
                tracing::info!(part, object = %ng_name, "node group already exists (an earlier run created it); adopting it");
            }
            Err(e) => {
                return Err(aws_err(
                    part,
                    format!("creating EKS node group `{ng_name}`"),
                    "CreateNodegroup",
                    &e,
                ))
            }
        }
    }
    let mut ng = wait_node_group_active(env, part, cl, &ng_name).await?;
    let tags = tag_map(ng.tags());
    if !env.owns(PART, &tags) {
        return Err(not_ours(part, "EKS node group", &ng_name, &tags));
    }

    let reasons = replace_reasons(spec, &ng);
    if !reasons.is_empty() {
        tracing::info!(part, object = %ng_name, reasons = ?reasons, "node group must be replaced");
        return Ok(NodeGroupOutcome::MustReplace {
            current: node_group_state(&ng),
            reasons,
        });
    }

    let arn = ng.nodegroup_arn().unwrap_or_default().to_string();
    sync_tags(
        env,
        part,
        &format!("EKS node group `{ng_name}`"),
        &arn,
        &tags,
        &env.tags_for(PART),
    )
    .await?;

    // The nodes follow the control plane: after a cluster upgrade (the `eks` part runs
    // first), each node group is upgraded to the cluster's Kubernetes version.
    if let Some(target) = node_group_upgrade(ng.version().unwrap_or_default(), &cluster.version) {
        let what = format!("upgrading EKS node group `{ng_name}` to Kubernetes {target}");
        tracing::info!(part, object = %ng_name, from = ng.version().unwrap_or_default(), to = %target, "upgrading node group version");
        let out = eks
            .update_nodegroup_version()
            .cluster_name(cl)
            .nodegroup_name(&ng_name)
            .version(&target)
            .send()
            .await
            .map_err(|e| aws_err(part, what.as_str(), "UpdateNodegroupVersion", &e))?;
        ng = finish_node_group_update(env, part, cl, &ng_name, out.update(), &what).await?;
    }

    let have = node_group_state(&ng);
    let scaling_differs = have.min_size != spec.min_size
        || have.max_size != spec.max_size
        || have.desired_size != spec.desired_size;
    let add: HashMap<String, String> = spec
        .labels
        .iter()
        .filter(|(k, v)| have.labels.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove: Vec<String> = have
        .labels
        .keys()
        .filter(|k| !spec.labels.contains_key(*k))
        .cloned()
        .collect();
    if scaling_differs || !add.is_empty() || !remove.is_empty() {
        let what = format!("updating EKS node group `{ng_name}`");
        tracing::info!(
            part,
            object = %ng_name,
            min = spec.min_size,
            max = spec.max_size,
            desired = spec.desired_size,
            labels_set = add.len(),
            labels_removed = remove.len(),
            "updating node group scaling / labels"
        );
        let mut req = eks
            .update_nodegroup_config()
            .cluster_name(cl)
            .nodegroup_name(&ng_name);
        if scaling_differs {
            req = req.scaling_config(
                NodegroupScalingConfig::builder()
                    .min_size(spec.min_size as i32)
                    .max_size(spec.max_size as i32)
                    .desired_size(spec.desired_size as i32)
                    .build(),
            );
        }
        if !add.is_empty() || !remove.is_empty() {
            let mut labels = UpdateLabelsPayload::builder();
            if !add.is_empty() {
                labels = labels.set_add_or_update_labels(Some(add));
            }
            if !remove.is_empty() {
                labels = labels.set_remove_labels(Some(remove));
            }
            req = req.labels(labels.build());
        }
        let out = req
            .send()
            .await
            .map_err(|e| aws_err(part, what.as_str(), "UpdateNodegroupConfig", &e))?;
        ng = finish_node_group_update(env, part, cl, &ng_name, out.update(), &what).await?;
    }
    let mut state = node_group_state(&ng);
    state.tags = env.tags_for(PART);
    tracing::info!(part, object = %ng_name, status = %state.status, "EKS node group ready");
    Ok(NodeGroupOutcome::Ready(state))
}

/// The Kubernetes version to upgrade a node group at `have` to, when the cluster (at
/// `cluster`) is newer: the cluster's version (UpdateNodegroupVersion takes no other).
fn node_group_upgrade(have: &str, cluster: &str) -> Option<String> {
    let (h, c) = (parse_version(have)?, parse_version(cluster)?);
    (h.0 == c.0 && h.1 < c.1).then(|| format!("{}.{}", c.0, c.1))
}

/// Replaces node group `{env}-{name}`: deletes it, waits until it is gone, creates it from
/// `spec`. For [`NodeGroupOutcome::MustReplace`].
pub async fn replace_node_group(
    env: &PartEnv,
    name: &str,
    spec: &NodeGroupSpec,
    cluster: &EksClusterState,
    net: &NetworkState,
    iam: &IamState,
) -> Result<NodeGroupState, PartError> {
    tracing::info!(part = %node_group_part(name), object = %node_group_name(env, name), "replacing node group");
    delete_node_group(env, name).await?;
    match ensure_node_group(env, name, spec, cluster, net, iam).await? {
        NodeGroupOutcome::Ready(s) => Ok(s),
        NodeGroupOutcome::MustReplace { reasons, .. } => Err(PartError::new(
            node_group_part(name),
            format!("replacing EKS node group `{}`", node_group_name(env, name)),
            format!(
                "the new node group still differs from the configuration: {}",
                reasons.join("; ")
            ),
        )),
    }
}

/// The node group as it is now (one DescribeNodegroup); None when it (or its cluster) does
/// not exist, or it is not this environment's.
pub async fn read_node_group(
    env: &PartEnv,
    name: &str,
) -> Result<Option<NodeGroupState>, PartError> {
    let part = node_group_part(name);
    let ng_name = node_group_name(env, name);
    let Some(ng) = describe_node_group(env.aws.eks(), &part, &cluster_name(env), &ng_name).await?
    else {
        return Ok(None);
    };
    if !env.owns(PART, &tag_map(ng.tags())) {
        tracing::warn!(part = %part, object = %ng_name, "an EKS node group of this name exists but is not this environment's");
        return Ok(None);
    }
    Ok(Some(node_group_state(&ng)))
}

/// Deletes node group `{env}-{name}` and waits until it is gone. NotFound (of the node
/// group or of the cluster) counts as deleted; a node group that is not ours is left alone.
pub async fn delete_node_group(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let part = node_group_part(name);
    let ng_name = node_group_name(env, name);
    let cl = cluster_name(env);
    match describe_node_group(env.aws.eks(), &part, &cl, &ng_name).await? {
        None => {
            tracing::info!(part = %part, object = %ng_name, "EKS node group already gone");
            return Ok(());
        }
        Some(ng) if !env.owns(PART, &tag_map(ng.tags())) => {
            tracing::warn!(part = %part, object = %ng_name, "not deleting an EKS node group that is not this environment's");
            return Ok(());
        }
        Some(_) => {}
    }
    delete_node_group_named(env, &part, &cl, &ng_name).await
}

async fn wait_node_group_gone(
    env: &PartEnv,
    part: &str,
    cluster: &str,
    name: &str,
) -> Result<(), PartError> {
    let eks = env.aws.eks();
    Waiter::new(part, AwsKind::EksNodeGroup.poll_schedule())
        .what(format!("EKS node group `{name}` to be deleted"))
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(DELETE_WAIT)
        .until(|| async move {
            match describe_node_group(eks, part, cluster, name).await {
                Ok(None) => Poll::Ready(()),
                Ok(Some(ng)) => match ng.status() {
                    Some(NodegroupStatus::Deleting) => Poll::Pending("DELETING".into()),
                    Some(s) => Poll::Failed(PartError::new(
                        part,
                        format!("deleting EKS node group `{name}`"),
                        format!(
                            "status {} instead of being deleted: {}",
                            s.as_str(),
                            health_issues(&ng)
                        ),
                    )),
                    None => Poll::Pending("unknown".into()),
                },
                Err(e) => Poll::Failed(e),
            }
        })
        .await
        .map_err(PartError::from)
}

/// Requests the delete (once the node group is not busy) and waits until it is gone.
async fn delete_node_group_named(
    env: &PartEnv,
    part: &str,
    cluster: &str,
    name: &str,
) -> Result<(), PartError> {
    let eks = env.aws.eks();
    let requested = AtomicBool::new(false);
    let requested = &requested;
    Waiter::new(part, AwsKind::EksNodeGroup.poll_schedule())
        .what(format!("EKS node group `{name}` to be deleted"))
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(DELETE_WAIT)
        .until(|| async move {
            let ng = match describe_node_group(eks, part, cluster, name).await {
                Ok(None) => return Poll::Ready(()),
                Ok(Some(ng)) => ng,
                Err(e) => return Poll::Failed(e),
            };
            let status = ng
                .status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            match ng.status() {
                Some(NodegroupStatus::Deleting) => return Poll::Pending(status),
                Some(NodegroupStatus::Creating | NodegroupStatus::Updating) => {
                    return Poll::Pending(status)
                }
                Some(NodegroupStatus::DeleteFailed) if requested.load(Ordering::Relaxed) => {
                    return Poll::Failed(PartError::new(
                        part,
                        format!("deleting EKS node group `{name}`"),
                        format!("DELETE_FAILED: {}", health_issues(&ng)),
                    ))
                }
                _ => {}
            }
            tracing::info!(part, object = %name, "deleting EKS node group");
            match eks
                .delete_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .send()
                .await
            {
                Ok(_) => {
                    requested.store(true, Ordering::Relaxed);
                    Poll::Pending("DELETING".into())
                }
                Err(e) if is_not_found(&e) => Poll::Ready(()),
                Err(e) if is_in_use(&e) => Poll::Pending(status),
                Err(e) => Poll::Failed(aws_err(
                    part,
                    format!("deleting EKS node group `{name}`"),
                    "DeleteNodegroup",
                    &e,
                )),
            }
        })
        .await
        .map_err(PartError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_groups_follow_the_cluster_version() {
        assert_eq!(node_group_upgrade("1.30", "1.31").as_deref(), Some("1.31"));
        assert_eq!(node_group_upgrade("1.29", "1.31").as_deref(), Some("1.31"));
        assert_eq!(node_group_upgrade("1.31", "1.31"), None);
        assert_eq!(node_group_upgrade("", "1.31"), None);
        assert_eq!(node_group_upgrade("1.31", "1.30"), None);
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("1.29"), Some((1, 29)));
        assert_eq!(parse_version(" 1.30 "), Some((1, 30)));
        assert_eq!(parse_version("1"), None);
        assert_eq!(parse_version("latest"), None);
    }

    #[test]
    fn empty_cidrs_mean_everyone() {
        assert_eq!(effective_cidrs(&[]), vec![ANY_IPV4.to_string()]);
        assert_eq!(
            effective_cidrs(&[
                "10.0.0.0/8".into(),
                "1.2.3.4/32".into(),
                "10.0.0.0/8".into()
            ]),
            vec!["1.2.3.4/32".to_string(), "10.0.0.0/8".to_string()]
        );
    }

    #[test]
    fn logging_enables_and_disables() {
        let l = logging(
            &["api".to_string(), "audit".to_string()]
                .into_iter()
                .collect(),
        );
        let setups = l.cluster_logging();
        assert_eq!(setups.len(), 2);
        assert_eq!(setups[0].enabled(), Some(true));
        assert_eq!(setups[0].types().len(), 2);
        assert_eq!(setups[1].enabled(), Some(false));
        assert_eq!(setups[1].types().len(), 3);
        let all: BTreeSet<String> = LOG_TYPES.iter().map(|s| s.to_string()).collect();
        assert_eq!(logging(&all).cluster_logging().len(), 1);
        assert_eq!(logging(&BTreeSet::new()).cluster_logging().len(), 1);
    }
}
