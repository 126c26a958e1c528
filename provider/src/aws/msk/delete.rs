//! Deleting the MSK cluster(s) of this environment: each is deleted once it accepts it (not
//! while an operation runs), then waited out. NotFound counts as deleted; clusters of that
//! name that are not ours are left alone.

use aws_sdk_kafka::operation::delete_cluster::DeleteClusterError;

use super::cluster::{clusters_named, find_cluster, wait_cluster_deleted};
use super::{cluster_name, PART, SERVICE};
use crate::aws::errors;
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
        return Ok(());
    }
    let arns: Vec<String> = named
        .ours
        .iter()
        .filter_map(|c| c.cluster_arn())
        .map(str::to_string)
        .collect();
    futures::future::try_join_all(arns.iter().map(|arn| delete_cluster(env, &name, arn))).await?;
    Ok(())
}

/// Sends DeleteCluster as soon as the cluster accepts it, then waits until it is gone.
async fn delete_cluster(env: &PartEnv, name: &str, arn: &str) -> Result<(), PartError> {
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
                    if errors::service_error(&e)
                        .is_some_and(DeleteClusterError::is_not_found_exception) =>
                {
                    Poll::Ready(())
                }
                // Not deletable in this state after all (an operation started): try again.
                Err(e)
                    if errors::service_error(&e)
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
