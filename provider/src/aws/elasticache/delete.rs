//! Deleting the ElastiCache part: the replication group (once it accepts it, with a final
//! snapshot unless `skip_final_snapshot`, then waited out), then the subnet group. NotFound counts as deleted; objects with the environment's
//! names that it does not own are left alone. Errors carry `Resume::Destroy`.

use aws_sdk_elasticache::operation::delete_replication_group::DeleteReplicationGroupError;
use aws_sdk_elasticache::types::ReplicationGroup;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::replication_group::{find_replication_group, wait_replication_group};
use super::subnet_group::delete_subnet_group;
use super::{
    list_tags, replication_group_id, users, ElastiCacheSpec, DELETE_TIMEOUT, MODIFY_TIMEOUT, PART,
    SERVICE,
};
use crate::aws::part::PartEnv;
use crate::aws::wait::Statuses;
use crate::engine::{PartError, Poll, Resume};

/// The statuses in which DeleteReplicationGroup is sent (target) or waited for (pending:
/// deletes need `available`, or a failed create). `deleting` is already on its way.
const REPLICATION_GROUP_DELETABLE: Statuses = Statuses {
    pending: &["creating", "modifying", "snapshotting"],
    target: &["available", "create-failed", "deleting"],
};

/// On the way out after DeleteReplicationGroup (as terraform-provider-aws: the group may
/// still show `available` or `creating` for a moment); gone ends the wait.
const REPLICATION_GROUP_DELETED: Statuses = Statuses {
    pending: &[
        "deleting",
        "available",
        "creating",
        "create-failed",
        // Taking the final snapshot.
        "snapshotting",
    ],
    target: &[],
};

fn destroy(e: PartError) -> PartError {
    e.with_resume(Resume::Destroy)
}

/// One poll of a wait on the way out: gone is Ready, statuses follow `statuses`.
fn poll_gone(statuses: &Statuses, id: &str, rg: Option<&ReplicationGroup>) -> Poll<(), PartError> {
    match rg {
        None => Poll::Ready(()),
        Some(rg) => statuses.poll(
            &PART.to_string(),
            &format!("replication group `{id}`"),
            rg.status(),
            || (),
        ),
    }
}

/// The final snapshot of the group: None when skipped, else
/// `{group id}-final-{unix seconds}` (a snapshot outlives its group; the time keeps names
/// unique across environments of the same name).
pub fn final_snapshot(env: &PartEnv, spec: &ElastiCacheSpec, now_secs: u64) -> Option<String> {
    (!spec.skip_final_snapshot).then(|| format!("{}-final-{now_secs}", replication_group_id(env)))
}

/// Deletes the replication group if it is ours (with the final snapshot when named) and
/// waits until it is gone (the subnet group stays).
pub(super) async fn delete_replication_group(
    env: &PartEnv,
    final_snapshot: Option<String>,
) -> Result<(), PartError> {
    let id = replication_group_id(env);
    let Some(rg) = find_replication_group(env).await.map_err(destroy)? else {
        return Ok(());
    };
    let tags = list_tags(env, rg.arn().unwrap_or_default())
        .await
        .map_err(destroy)?;
    if !env.owns(PART.tag(), &tags) {
        tracing::warn!(part = %PART, object = %id, "replication group not owned by this environment: left alone");
        return Ok(());
    }
    if rg.status() != Some("deleting") {
        if !matches!(rg.status(), Some("available" | "create-failed")) {
            // Deletes need `available`: let the current change finish.
            wait_replication_group(
                env,
                format!("replication group `{id}` to become available before deleting it"),
                MODIFY_TIMEOUT,
                |rg| poll_gone(&REPLICATION_GROUP_DELETABLE, &id, rg),
            )
            .await
            .map_err(destroy)?;
        }
        send_delete(env, &id, final_snapshot)
            .await
            .map_err(destroy)?;
    }
    wait_replication_group(
        env,
        format!("replication group `{id}` to be deleted"),
        DELETE_TIMEOUT,
        |rg| poll_gone(&REPLICATION_GROUP_DELETED, &id, rg),
    )
    .await
    .map_err(destroy)
}

/// DeleteReplicationGroup; NotFound, or a group already being deleted, is fine.
async fn send_delete(env: &PartEnv, id: &str, snapshot: Option<String>) -> Result<(), PartError> {
    tracing::info!(part = %PART, object = %id, final_snapshot = ?snapshot, "deleting replication group");
    let result = env
        .aws
        .elasticache()
        .delete_replication_group()
        .replication_group_id(id)
        .retain_primary_cluster(false)
        .set_final_snapshot_identifier(snapshot)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(DeleteReplicationGroupError::is_replication_group_not_found_fault) =>
        {
            Ok(())
        }
        Err(e)
            if e.as_service_error().is_some_and(|s| {
                s.is_invalid_replication_group_state_fault()
                    && s.message()
                        .is_some_and(|m| m.contains("already being deleted"))
            }) =>
        {
            Ok(())
        }
        Err(e) => Err(SERVICE.error(
            &PART,
            format!("deleting replication group `{id}`"),
            "DeleteReplicationGroup",
            &e,
        )),
    }
}

/// Deletes the replication group (with its final snapshot when `spec` wants one, and waits
/// until it is gone), then its parameter groups, the subnet group, the user group and the
/// users, and the AUTH token's secret.
pub async fn delete(env: &PartEnv, spec: Option<&ElastiCacheSpec>) -> Result<(), PartError> {
    let snapshot = spec.and_then(|s| final_snapshot(env, s, crate::aws::now_secs()));
    delete_replication_group(env, snapshot).await?;
    super::parameter_group::delete_parameter_groups(env)
        .await
        .map_err(destroy)?;
    delete_subnet_group(env).await.map_err(destroy)?;
    users::delete(env).await.map_err(destroy)?;
    super::auth_token::delete_secret(env).await.map_err(destroy)
}

#[cfg(test)]
mod tests {
    use aws_sdk_elasticache::operation::delete_cache_subnet_group::{
        DeleteCacheSubnetGroupError, DeleteCacheSubnetGroupOutput,
    };
    use aws_sdk_elasticache::operation::delete_replication_group::DeleteReplicationGroupOutput;
    use aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsOutput;
    use aws_sdk_elasticache::types::error::{
        CacheSubnetGroupNotFoundFault, ReplicationGroupNotFoundFault,
    };
    use aws_smithy_mocks::{mock, Rule};

    use super::*;
    use crate::aws::elasticache::tests::{
        group, group_found, group_missing, subnet_group_found, subnet_group_missing, tagged,
        GROUP_ARN, SUBNETS_ARN,
    };
    use crate::aws::{testing, AwsContext};

    fn delete_group_rule() -> Rule {
        mock!(aws_sdk_elasticache::Client::delete_replication_group)
            .match_requests(|r| {
                r.replication_group_id() == Some("mosia-test-cache")
                    && r.retain_primary_cluster() == Some(false)
            })
            .then_output(|| DeleteReplicationGroupOutput::builder().build())
    }

    fn delete_subnets_rule() -> Rule {
        mock!(aws_sdk_elasticache::Client::delete_cache_subnet_group)
            .then_output(|| DeleteCacheSubnetGroupOutput::builder().build())
    }

    #[tokio::test(start_paused = true)]
    async fn an_owned_group_is_deleted_with_its_final_snapshot_and_waited_out_then_the_subnet_group(
    ) {
        let describe = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .sequence()
            .output(|| {
                DescribeReplicationGroupsOutput::builder()
                    .replication_groups(group("available", 1, true, true))
                    .build()
            })
            .output(|| {
                DescribeReplicationGroupsOutput::builder()
                    .replication_groups(group("snapshotting", 1, true, true))
                    .build()
            })
            .output(|| {
                DescribeReplicationGroupsOutput::builder()
                    .replication_groups(group("deleting", 1, true, true))
                    .build()
            })
            .error(group_missing)
            .repeatedly()
            .build();
        let (group_tags, subnets, subnet_tags) = (
            tagged(GROUP_ARN, "mosia-test"),
            subnet_group_found(),
            tagged(SUBNETS_ARN, "mosia-test"),
        );
        let del_group = mock!(aws_sdk_elasticache::Client::delete_replication_group)
            .match_requests(|r| {
                r.final_snapshot_identifier()
                    .is_some_and(|s| s.starts_with("mosia-test-cache-final-"))
            })
            .then_output(|| DeleteReplicationGroupOutput::builder().build());
        let del_subnets = delete_subnets_rule();
        let ec = crate::mock_client!(
            aws_sdk_elasticache,
            [
                &crate::aws::elasticache::tests::user_group_missing(),
                &crate::aws::elasticache::tests::no_users(),
                &crate::aws::elasticache::tests::no_parameter_groups(),
                &describe,
                &group_tags,
                &subnets,
                &subnet_tags,
                &del_group,
                &del_subnets
            ]
        );
        let env = testing::env(
            AwsContext::offline()
                .with_elasticache(ec)
                .with_secretsmanager(crate::aws::elasticache::tests::no_auth_secret()),
        );

        let spec = ElastiCacheSpec {
            skip_final_snapshot: false,
            ..crate::aws::elasticache::tests::spec()
        };
        delete(&env, Some(&spec)).await.unwrap();

        assert_eq!((del_group.num_calls(), del_subnets.num_calls()), (1, 1));
        assert_eq!(
            describe.num_calls(),
            4,
            "find, snapshotting, deleting, gone"
        );
    }

    #[tokio::test]
    async fn not_found_everywhere_is_deleted() {
        let describe = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .then_error(group_missing);
        let subnets = subnet_group_missing();
        let (del_group, del_subnets) = (delete_group_rule(), delete_subnets_rule());
        let ec = crate::mock_client!(
            aws_sdk_elasticache,
            [
                &crate::aws::elasticache::tests::user_group_missing(),
                &crate::aws::elasticache::tests::no_users(),
                &crate::aws::elasticache::tests::no_parameter_groups(),
                &describe,
                &subnets,
                &del_group,
                &del_subnets
            ]
        );
        let env = testing::env(
            AwsContext::offline()
                .with_elasticache(ec)
                .with_secretsmanager(crate::aws::elasticache::tests::no_auth_secret()),
        );
        delete(&env, None).await.unwrap();
        assert_eq!((del_group.num_calls(), del_subnets.num_calls()), (0, 0));
    }

    #[tokio::test]
    async fn delete_calls_answered_not_found_count_as_deleted() {
        let describe = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .sequence()
            .output(|| {
                DescribeReplicationGroupsOutput::builder()
                    .replication_groups(group("available", 1, true, true))
                    .build()
            })
            .error(group_missing)
            .repeatedly()
            .build();
        let del_group =
            mock!(aws_sdk_elasticache::Client::delete_replication_group).then_error(|| {
                DeleteReplicationGroupError::ReplicationGroupNotFoundFault(
                    ReplicationGroupNotFoundFault::builder().build(),
                )
            });
        let del_subnets =
            mock!(aws_sdk_elasticache::Client::delete_cache_subnet_group).then_error(|| {
                DeleteCacheSubnetGroupError::CacheSubnetGroupNotFoundFault(
                    CacheSubnetGroupNotFoundFault::builder().build(),
                )
            });
        let (group_tags, subnets, subnet_tags) = (
            tagged(GROUP_ARN, "mosia-test"),
            subnet_group_found(),
            tagged(SUBNETS_ARN, "mosia-test"),
        );
        let ec = crate::mock_client!(
            aws_sdk_elasticache,
            [
                &crate::aws::elasticache::tests::user_group_missing(),
                &crate::aws::elasticache::tests::no_users(),
                &crate::aws::elasticache::tests::no_parameter_groups(),
                &describe,
                &group_tags,
                &subnets,
                &subnet_tags,
                &del_group,
                &del_subnets
            ]
        );
        let env = testing::env(
            AwsContext::offline()
                .with_elasticache(ec)
                .with_secretsmanager(crate::aws::elasticache::tests::no_auth_secret()),
        );
        delete(&env, None).await.unwrap();
        assert_eq!((del_group.num_calls(), del_subnets.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn objects_of_another_environment_are_left_alone() {
        let found = group_found(group("available", 1, true, true));
        let (group_tags, subnets, subnet_tags) = (
            tagged(GROUP_ARN, "someone-else"),
            subnet_group_found(),
            tagged(SUBNETS_ARN, "someone-else"),
        );
        let (del_group, del_subnets) = (delete_group_rule(), delete_subnets_rule());
        let ec = crate::mock_client!(
            aws_sdk_elasticache,
            [
                &crate::aws::elasticache::tests::user_group_missing(),
                &crate::aws::elasticache::tests::no_users(),
                &crate::aws::elasticache::tests::no_parameter_groups(),
                &found,
                &group_tags,
                &subnets,
                &subnet_tags,
                &del_group,
                &del_subnets
            ]
        );
        let env = testing::env(
            AwsContext::offline()
                .with_elasticache(ec)
                .with_secretsmanager(crate::aws::elasticache::tests::no_auth_secret()),
        );
        delete(&env, None).await.unwrap();
        assert_eq!((del_group.num_calls(), del_subnets.num_calls()), (0, 0));
    }

    #[test]
    fn an_unexpected_status_fails_the_delete_wait_naming_it() {
        let Poll::Failed(e) = poll_gone(
            &REPLICATION_GROUP_DELETED,
            "mosia-test-cache",
            Some(&group("incompatible-network", 1, true, true)),
        ) else {
            panic!("must fail")
        };
        assert!(
            e.detail
                .contains("unexpected status `incompatible-network`"),
            "{}",
            e.detail
        );
        assert_eq!(
            poll_gone(&REPLICATION_GROUP_DELETED, "x", None),
            Poll::Ready(())
        );
    }

    #[test]
    fn the_final_snapshot_is_named_after_the_group_and_the_time_unless_skipped() {
        let env = testing::env(AwsContext::offline());
        let mut spec = crate::aws::elasticache::tests::spec();
        assert_eq!(final_snapshot(&env, &spec, 7), None);
        spec.skip_final_snapshot = false;
        assert_eq!(
            final_snapshot(&env, &spec, 7).as_deref(),
            Some("mosia-test-cache-final-7")
        );
    }
}
