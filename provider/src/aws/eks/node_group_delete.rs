//! Deleting EKS node groups: one removed from the configuration ([`delete_node_group`]:
//! every EKS group of it, a replacement's too), the old groups of a replaced one (after the
//! new one is ACTIVE: [`super::ensure_node_group`]), and all of the environment's before its
//! cluster is deleted.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_eks::operation::delete_nodegroup::DeleteNodegroupError;
use aws_sdk_eks::types::NodegroupStatus;

use super::super::part::{PartEnv, PartId};
use super::super::wait::AwsKind;
use super::node_group::{find_node_group, health_issues, list_node_groups, status_of};
use super::node_group_find::find_node_groups;
use super::{cluster_name, node_group_name, tag_map, PART, SERVICE};
use crate::engine::{PartError, Poll};

const DELETE_WAIT: Duration = Duration::from_secs(45 * 60);

/// Deletes node group `name` (each of its EKS groups: `{env}-NAME` and any replacement)
/// and waits until they are gone. NotFound (of a group or of the cluster) counts as
/// deleted; a group that is not ours is left alone.
pub async fn delete_node_group(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let id = PartId::NodeGroup(name.to_string());
    let part = id.to_string();
    let cl = cluster_name(env);
    let found = find_node_groups(env, &id, &cl, name).await?;
    if found.foreign_base.is_some() {
        tracing::warn!(part = %part, object = %node_group_name(env, name), "not deleting an EKS node group that is not this environment's");
    }
    if found.ours.is_empty() {
        tracing::info!(part = %part, object = %node_group_name(env, name), "EKS node group already gone");
        return Ok(());
    }
    let part = part.as_str();
    futures::future::try_join_all(
        found
            .ours
            .iter()
            .filter_map(|ng| ng.nodegroup_name())
            .map(|n| delete_node_group_named(env, part, &cl, n)),
    )
    .await?;
    Ok(())
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

    use super::super::test_support::{env, listing, node_group};
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
        let list = listing(&["mosia-test-general"]);
        let env = env(&[&list, &describe, &delete]);
        delete_node_group(&env, "general").await.unwrap();
        assert_eq!(delete.num_calls(), 0);
    }

    #[tokio::test]
    async fn every_group_of_the_node_group_is_deleted_and_awaited_until_not_found() {
        use std::sync::{Arc, Mutex};
        let deleted = Arc::new(Mutex::new(Vec::<String>::new()));
        let gone = deleted.clone();
        let describe =
            mock!(aws_sdk_eks::Client::describe_nodegroup).then_compute_response(move |req| {
                let name = req.nodegroup_name().unwrap().to_string();
                if gone.lock().unwrap().contains(&name) {
                    return aws_smithy_mocks::MockResponse::Error(not_found());
                }
                let mut ng = node_group(NodegroupStatus::Active);
                ng.nodegroup_name = Some(name);
                aws_smithy_mocks::MockResponse::Output(
                    DescribeNodegroupOutput::builder().nodegroup(ng).build(),
                )
            });
        let record = deleted.clone();
        let delete = mock!(aws_sdk_eks::Client::delete_nodegroup).then_compute_output(move |r| {
            record
                .lock()
                .unwrap()
                .push(r.nodegroup_name().unwrap().to_string());
            DeleteNodegroupOutput::builder().build()
        });
        // Another node group's name on the replacement prefix is not touched.
        let list = listing(&[
            "mosia-test-general",
            "mosia-test-general-0a1b2",
            "mosia-test-general-batch",
        ]);
        let env = env(&[&list, &describe, &delete]);
        tokio::time::pause();
        delete_node_group(&env, "general").await.unwrap();
        let mut names = deleted.lock().unwrap().clone();
        names.sort();
        assert_eq!(names, ["mosia-test-general", "mosia-test-general-0a1b2"]);
    }
}
