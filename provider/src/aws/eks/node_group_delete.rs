//! Deleting EKS node groups: one removed from the configuration ([`delete_node_group`]),
//! one that must be replaced ([`replace_node_group`]: delete, wait until gone, create),
//! and all of the environment's before its cluster is deleted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_eks::operation::delete_nodegroup::DeleteNodegroupError;
use aws_sdk_eks::types::NodegroupStatus;

use super::super::iam::IamState;
use super::super::network::NetworkState;
use super::super::part::{PartEnv, PartId};
use super::super::wait::{AwsKind, Statuses};
use super::cluster::EksClusterState;
use super::node_group::{
    ensure_node_group, find_node_group, health_issues, list_node_groups, status_of,
    NodeGroupOutcome, NodeGroupState,
};
use super::{cluster_name, node_group_name, tag_map, NodeGroupSpec, PART, SERVICE};
use crate::engine::{PartError, Poll};

const DELETE_WAIT: Duration = Duration::from_secs(45 * 60);

/// Waiting for a node group to disappear (ready when DescribeNodegroup answers NotFound);
/// DELETE_FAILED or any other status fails at once.
const NODE_GROUP_DELETED: Statuses = Statuses {
    pending: &["DELETING"],
    target: &[],
};

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
    let part = PartId::NodeGroup(name.to_string());
    tracing::info!(part = %part, object = %node_group_name(env, name), "replacing node group");
    delete_node_group(env, name).await?;
    match ensure_node_group(env, name, spec, cluster, net, iam).await? {
        NodeGroupOutcome::Ready(s) => Ok(s),
        NodeGroupOutcome::MustReplace { reasons, .. } => Err(PartError::new(
            &part,
            format!("replacing EKS node group `{}`", node_group_name(env, name)),
            format!(
                "the new node group still differs from the configuration: {}",
                reasons.join("; ")
            ),
        )),
    }
}

/// Deletes node group `{env}-{name}` and waits until it is gone. NotFound (of the node
/// group or of the cluster) counts as deleted; a node group that is not ours is left alone.
pub async fn delete_node_group(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let part = PartId::NodeGroup(name.to_string()).to_string();
    let ng_name = node_group_name(env, name);
    let cl = cluster_name(env);
    match find_node_group(env, &part, &cl, &ng_name).await? {
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

/// Deletes the node groups of `cluster` that are ours, in parallel, before the cluster is
/// deleted; refuses when it has node groups Mosia does not manage. False when the cluster
/// is gone.
pub(super) async fn delete_cluster_node_groups(
    env: &PartEnv,
    cluster: &str,
) -> Result<bool, PartError> {
    let part = PartId::EksCluster.to_string();
    let Some(groups) = list_node_groups(env, cluster).await? else {
        return Ok(false);
    };
    let mut foreign = Vec::new();
    let mut ours = Vec::new();
    for g in groups {
        match find_node_group(env, &part, cluster, &g).await? {
            Some(ng) if env.owns(PART, &tag_map(ng.tags())) => ours.push(g),
            Some(_) => foreign.push(g),
            None => {}
        }
    }
    if !foreign.is_empty() {
        return Err(PartError::new(
            &part,
            format!("deleting EKS cluster `{cluster}`"),
            format!(
                "the cluster has node groups Mosia does not manage ({}); delete them first",
                foreign.join(", ")
            ),
        ));
    }
    let part = part.as_str();
    futures::future::try_join_all(
        ours.iter()
            .map(|g| delete_node_group_named(env, part, cluster, g)),
    )
    .await?;
    Ok(true)
}

/// Waits until the node group no longer exists (a delete requested earlier).
pub(super) async fn wait_node_group_deleted(
    env: &PartEnv,
    part: &str,
    cluster: &str,
    name: &str,
) -> Result<(), PartError> {
    env.waiter(
        part,
        AwsKind::EksNodeGroup,
        format!("EKS node group `{name}` to be deleted"),
    )
    .timeout(DELETE_WAIT)
    .until(|| async move {
        match find_node_group(env, part, cluster, name).await {
            Ok(None) => Poll::Ready(()),
            Ok(Some(ng)) => {
                let summary = format!("EKS node group `{name}` to be deleted");
                match NODE_GROUP_DELETED.poll(part, &summary, status_of(&ng).as_deref(), || ()) {
                    Poll::Failed(mut e) => {
                        e.detail.push_str(&format!(": {}", health_issues(&ng)));
                        Poll::Failed(e)
                    }
                    other => other,
                }
            }
            Err(e) => Poll::Failed(e),
        }
    })
    .await
    .map_err(PartError::from)
}

/// Requests the delete (once the node group is not busy) and waits until it is gone.
pub(super) async fn delete_node_group_named(
    env: &PartEnv,
    part: &str,
    cluster: &str,
    name: &str,
) -> Result<(), PartError> {
    let eks = env.aws.eks();
    let requested = AtomicBool::new(false);
    let requested = &requested;
    env.waiter(
        part,
        AwsKind::EksNodeGroup,
        format!("EKS node group `{name}` to be deleted"),
    )
    .timeout(DELETE_WAIT)
    .until(|| async move {
        let ng = match find_node_group(env, part, cluster, name).await {
            Ok(None) => return Poll::Ready(()),
            Ok(Some(ng)) => ng,
            Err(e) => return Poll::Failed(e),
        };
        let status = status_of(&ng).unwrap_or_default();
        match ng.status() {
            // Busy: EKS refuses a delete until the create or update ends.
            Some(
                NodegroupStatus::Deleting | NodegroupStatus::Creating | NodegroupStatus::Updating,
            ) => return Poll::Pending(status),
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
            Err(e)
                if e.as_service_error()
                    .is_some_and(DeleteNodegroupError::is_resource_not_found_exception) =>
            {
                Poll::Ready(())
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(DeleteNodegroupError::is_resource_in_use_exception) =>
            {
                Poll::Pending(status)
            }
            Err(e) => Poll::Failed(SERVICE.error(
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
    use aws_sdk_eks::operation::delete_nodegroup::DeleteNodegroupOutput;
    use aws_sdk_eks::operation::describe_nodegroup::{
        DescribeNodegroupError, DescribeNodegroupOutput,
    };
    use aws_sdk_eks::types::error::ResourceNotFoundException;
    use aws_smithy_mocks::mock;

    use super::super::test_support::{env, node_group};
    use super::*;

    fn not_found() -> DescribeNodegroupError {
        DescribeNodegroupError::ResourceNotFoundException(
            ResourceNotFoundException::builder().build(),
        )
    }

    #[tokio::test]
    async fn deleting_a_missing_node_group_is_done() {
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup).then_error(not_found);
        let delete = mock!(aws_sdk_eks::Client::delete_nodegroup)
            .then_output(|| DeleteNodegroupOutput::builder().build());
        let env = env(&[&describe, &delete]);
        delete_node_group(&env, "general").await.unwrap();
        assert_eq!(delete.num_calls(), 0);
    }

    #[tokio::test]
    async fn delete_is_requested_then_awaited_until_not_found() {
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup)
            .sequence()
            .output(|| {
                DescribeNodegroupOutput::builder()
                    .nodegroup(node_group(NodegroupStatus::Active))
                    .build()
            })
            .times(2)
            .error(not_found)
            .repeatedly()
            .build();
        let delete = mock!(aws_sdk_eks::Client::delete_nodegroup)
            .match_requests(|r| r.nodegroup_name() == Some("mosia-test-general"))
            .then_output(|| DeleteNodegroupOutput::builder().build());
        let env = env(&[&describe, &delete]);
        tokio::time::pause();
        delete_node_group(&env, "general").await.unwrap();
        assert_eq!(delete.num_calls(), 1);
    }

    #[tokio::test]
    async fn delete_failed_while_waiting_for_a_delete_fails_naming_it() {
        let describe = mock!(aws_sdk_eks::Client::describe_nodegroup).then_output(|| {
            DescribeNodegroupOutput::builder()
                .nodegroup(node_group(NodegroupStatus::DeleteFailed))
                .build()
        });
        let env = env(&[&describe]);
        let err = wait_node_group_deleted(
            &env,
            "eks.node_group.general",
            "mosia-test-eks",
            "mosia-test-general",
        )
        .await
        .unwrap_err();
        assert!(
            err.detail.contains("unexpected status `DELETE_FAILED`"),
            "{}",
            err.detail
        );
        assert_eq!(describe.num_calls(), 1);
    }
}
