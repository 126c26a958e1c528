//! Deleting the MSK cluster(s) of this environment: each is deleted once it accepts it (not
//! while an operation runs), then waited out, then the environment's MSK configuration.
//! NotFound counts as deleted; clusters and configurations that are not ours are left alone.

use aws_sdk_kafka::operation::delete_cluster::DeleteClusterError;

use super::cluster::{clusters_named, find_cluster, wait_cluster_deleted};
use super::configuration::delete_configuration;
use super::{cluster_name, PART, SERVICE};
use crate::aws::part::PartEnv;
use crate::aws::wait::{AwsKind, Statuses};
use crate::engine::{PartError, Poll};

/// The statuses in which DeleteCluster is sent (target) or waited for (pending: MSK refuses
/// deletes while an operation runs). DELETING is already on its way.
const CLUSTER_DELETABLE: Statuses = Statuses {
    pending: &["UPDATING", "REBOOTING_BROKER", "MAINTENANCE", "HEALING"],
    target: &["ACTIVE", "CREATING", "FAILED", "DELETING"],
};

/// Deletes this environment's MSK cluster(s) and waits until they are gone. Clusters of the
/// same name that are not ours are left alone.
pub async fn delete(env: &PartEnv) -> Result<(), PartError> {
    let name = cluster_name(env);
    let named = clusters_named(env).await?;
    if !named.foreign.is_empty() {
        tracing::warn!(part = %PART, object = %name, count = named.foreign.len(), "leaving MSK clusters of this name that are not this environment's");
    }
    if named.ours.is_empty() {
        tracing::info!(part = %PART, object = %name, "MSK cluster already gone");
    }
    let arns: Vec<String> = named
        .ours
        .iter()
        .filter_map(|c| c.cluster_arn())
        .map(str::to_string)
        .collect();
    // Their SCRAM secrets (no use without the cluster), while the association says whose.
    for c in named.ours.iter().filter(|c| super::state::uses_scram(c)) {
        super::scram::remove_all(env, c.cluster_arn().unwrap_or_default()).await?;
    }
    futures::future::try_join_all(arns.iter().map(|arn| delete_cluster(env, &name, arn))).await?;
    // The configuration goes once no cluster uses it.
    delete_configuration(env).await
}

/// Sends DeleteCluster as soon as the cluster accepts it, then waits until it is gone.
/// Storage autoscaling is turned off first: its target would outlive the cluster.
pub(super) async fn delete_cluster(env: &PartEnv, name: &str, arn: &str) -> Result<(), PartError> {
    super::storage_autoscaling::delete(env, name, arn).await?;
    let kafka = env.aws.kafka();
    let part = PART.to_string();
    let part = part.as_str();
    let what = format!("MSK cluster `{name}` to accept its deletion");
    let what = what.as_str();
    env.waiter(part, AwsKind::Msk, what)
        .timeout(super::DELETE_WAIT)
        .until(|| async move {
            let c = match find_cluster(kafka, arn).await {
                Ok(Some(c)) => c,
                Ok(None) => return Poll::Ready(()),
                Err(e) => return Poll::Failed(e),
            };
            let status = c
                .state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default();
            match CLUSTER_DELETABLE.poll(part, what, Some(&status), || ()) {
                Poll::Ready(()) if status == "DELETING" => return Poll::Ready(()),
                Poll::Ready(()) => {}
                other => return other,
            }
            tracing::info!(part, object = %name, arn, "deleting MSK cluster");
            match kafka.delete_cluster().cluster_arn(arn).send().await {
                Ok(_) => Poll::Ready(()),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(DeleteClusterError::is_not_found_exception) =>
                {
                    Poll::Ready(())
                }
                // Not deletable in this state after all (an operation started): try again.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(DeleteClusterError::is_bad_request_exception) =>
                {
                    Poll::Pending(status)
                }
                Err(e) => Poll::Failed(SERVICE.error(
                    part,
                    format!("deleting MSK cluster `{name}`"),
                    "DeleteCluster",
                    &e,
                )),
            }
        })
        .await
        .map_err(PartError::from)?;
    wait_cluster_deleted(env, name, arn).await
}

#[cfg(test)]
mod tests {
    use aws_sdk_kafka::operation::delete_cluster::DeleteClusterOutput;
    use aws_sdk_kafka::operation::describe_cluster_v2::{
        DescribeClusterV2Error, DescribeClusterV2Output,
    };
    use aws_sdk_kafka::types::error::NotFoundException;
    use aws_sdk_kafka::types::ClusterState;
    use aws_smithy_mocks::mock;

    use aws_sdk_kafka::operation::delete_configuration::DeleteConfigurationOutput;
    use aws_sdk_kafka::operation::list_configurations::ListConfigurationsOutput;

    use super::*;
    use crate::aws::msk::tests::{cluster, configuration_rules, listed, tags_of, ARN, CONFIG_ARN};

    fn no_configurations() -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_kafka::Client::list_configurations)
            .then_output(|| ListConfigurationsOutput::builder().build())
    }
    use crate::aws::testing;

    fn not_found() -> DescribeClusterV2Error {
        DescribeClusterV2Error::NotFoundException(
            NotFoundException::builder().message("not found").build(),
        )
    }

    #[tokio::test]
    async fn an_owned_cluster_is_deleted_and_not_found_counts_as_gone() {
        let list = listed(vec![cluster(ClusterState::Active, tags_of("mosia-test"))]);
        let describe = mock!(aws_sdk_kafka::Client::describe_cluster_v2)
            .sequence()
            .output(|| {
                DescribeClusterV2Output::builder()
                    .cluster_info(cluster(ClusterState::Active, tags_of("mosia-test")))
                    .build()
            })
            .error(not_found)
            .repeatedly()
            .build();
        let del = mock!(aws_sdk_kafka::Client::delete_cluster)
            .match_requests(|r| r.cluster_arn() == Some(ARN))
            .then_output(|| {
                DeleteClusterOutput::builder()
                    .state(ClusterState::Deleting)
                    .build()
            });
        let [listed_configurations, _] = <[_; 2]>::try_from(configuration_rules(1)).unwrap();
        let del_configuration = mock!(aws_sdk_kafka::Client::delete_configuration)
            .match_requests(|r| r.arn() == Some(CONFIG_ARN))
            .then_output(|| DeleteConfigurationOutput::builder().build());
        let env = testing::env(crate::aws::msk::tests::aws_with(crate::mock_client!(
            aws_sdk_kafka,
            [
                &list,
                &describe,
                &del,
                &listed_configurations,
                &del_configuration
            ]
        )));
        delete(&env).await.unwrap();
        assert_eq!(del.num_calls(), 1);
        assert_eq!(
            describe.num_calls(),
            2,
            "one describe before the delete, one to see it gone"
        );
        assert_eq!(del_configuration.num_calls(), 1, "then the configuration");
    }

    #[tokio::test]
    async fn a_delete_answered_not_found_is_done() {
        let list = listed(vec![cluster(ClusterState::Active, tags_of("mosia-test"))]);
        let describe = mock!(aws_sdk_kafka::Client::describe_cluster_v2)
            .sequence()
            .output(|| {
                DescribeClusterV2Output::builder()
                    .cluster_info(cluster(ClusterState::Active, tags_of("mosia-test")))
                    .build()
            })
            .error(not_found)
            .repeatedly()
            .build();
        let del = mock!(aws_sdk_kafka::Client::delete_cluster).then_error(|| {
            DeleteClusterError::NotFoundException(NotFoundException::builder().build())
        });
        let none = no_configurations();
        let env = testing::env(crate::aws::msk::tests::aws_with(crate::mock_client!(
            aws_sdk_kafka,
            [&list, &describe, &del, &none]
        )));
        delete(&env).await.unwrap();
        assert_eq!(del.num_calls(), 1);
    }

    #[tokio::test]
    async fn foreign_clusters_and_no_cluster_are_left_alone() {
        let list = listed(vec![cluster(ClusterState::Active, tags_of("someone-else"))]);
        let del = mock!(aws_sdk_kafka::Client::delete_cluster)
            .then_output(|| DeleteClusterOutput::builder().build());
        let none = no_configurations();
        let env = testing::env(crate::aws::msk::tests::aws_with(crate::mock_client!(
            aws_sdk_kafka,
            [&list, &del, &none]
        )));
        delete(&env).await.unwrap();
        assert_eq!(del.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_cluster_in_an_unexpected_state_fails_the_delete_naming_it() {
        let list = listed(vec![cluster(ClusterState::Active, tags_of("mosia-test"))]);
        let describe = mock!(aws_sdk_kafka::Client::describe_cluster_v2).then_output(|| {
            DescribeClusterV2Output::builder()
                .cluster_info(cluster(
                    ClusterState::from("SUSPENDED"),
                    tags_of("mosia-test"),
                ))
                .build()
        });
        let del = mock!(aws_sdk_kafka::Client::delete_cluster)
            .then_output(|| DeleteClusterOutput::builder().build());
        let env = testing::env(crate::aws::msk::tests::aws_with(crate::mock_client!(
            aws_sdk_kafka,
            [&list, &describe, &del]
        )));
        let err = delete(&env).await.unwrap_err();
        assert!(
            err.detail.contains("unexpected status `SUSPENDED`"),
            "{}",
            err.detail
        );
        assert_eq!(del.num_calls(), 0);
    }
}
