//! A workload's EKS Pod Identity association: the namespace and service account of its
//! pods mapped to its role, in the environment's cluster.

use aws_sdk_eks::operation::delete_pod_identity_association::DeletePodIdentityAssociationError;

use super::part_of;
use crate::aws::eks::SERVICE;
use crate::aws::errors;
use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// The association of `namespace`/`service_account` in `cluster`: (ID, role ARN).
pub async fn find_association(
    env: &PartEnv,
    workload: &str,
    cluster: &str,
    namespace: &str,
    service_account: &str,
) -> Result<Option<(String, String)>, PartError> {
    let eks = env.aws.eks();
    let list = eks
        .list_pod_identity_associations()
        .cluster_name(cluster)
        .namespace(namespace)
        .service_account(service_account)
        .send()
        .await
        .map_err(|e| {
            let what =
                format!("listing the pod identity associations of `{namespace}/{service_account}`");
            SERVICE.error(&part_of(workload), what, "ListPodIdentityAssociations", &e)
        })?;
    let Some(id) = list.associations().first().and_then(|a| a.association_id()) else {
        return Ok(None);
    };
    let out = eks
        .describe_pod_identity_association()
        .cluster_name(cluster)
        .association_id(id)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &part_of(workload),
                format!("reading pod identity association `{id}`"),
                "DescribePodIdentityAssociation",
                &e,
            )
        })?;
    let role = out
        .association()
        .and_then(|a| a.role_arn())
        .unwrap_or_default();
    Ok(Some((id.to_string(), role.to_string())))
}

/// The association for the workload's service account, pointing at `role_arn`.
pub async fn ensure_association(
    env: &PartEnv,
    workload: &str,
    cluster: &str,
    (namespace, service_account): (&str, &str),
    role_arn: &str,
) -> Result<String, PartError> {
    let eks = env.aws.eks();
    let part = part_of(workload);
    match find_association(env, workload, cluster, namespace, service_account).await? {
        Some((id, role)) if role == role_arn => Ok(id),
        Some((id, _)) => {
            eks.update_pod_identity_association()
                .cluster_name(cluster)
                .association_id(&id)
                .role_arn(role_arn)
                .send()
                .await
                .map_err(|e| {
                    SERVICE.error(
                        &part,
                        format!("updating pod identity association `{id}`"),
                        "UpdatePodIdentityAssociation",
                        &e,
                    )
                })?;
            tracing::info!(part = %part, object = "pod-identity-association", id = %id, "role updated");
            Ok(id)
        }
        None => {
            let out = eks
                .create_pod_identity_association()
                .cluster_name(cluster)
                .namespace(namespace)
                .service_account(service_account)
                .role_arn(role_arn)
                .set_tags(Some(env.tags_for(part.tag()).into_iter().collect()))
                .send()
                .await
                .map_err(|e| {
                    let what = format!("associating `{namespace}/{service_account}` with its role");
                    SERVICE.error(&part, what, "CreatePodIdentityAssociation", &e)
                })?;
            let id = out
                .association()
                .and_then(|a| a.association_id())
                .unwrap_or_default()
                .to_string();
            tracing::info!(part = %part, object = "pod-identity-association", id = %id, "created");
            Ok(id)
        }
    }
}

/// Deletes the association of `namespace`/`service_account` when it points at `role_arn`
/// (an association of someone else's role is left alone); NotFound counts as deleted.
pub async fn delete_association(
    env: &PartEnv,
    workload: &str,
    cluster: &str,
    (namespace, service_account): (&str, &str),
    role_arn: &str,
) -> Result<(), PartError> {
    let found = find_association(env, workload, cluster, namespace, service_account).await;
    // No cluster: nothing to delete (EKS deletes associations with their cluster).
    let Some((id, role)) = found.unwrap_or(None) else {
        return Ok(());
    };
    if role != role_arn {
        return Ok(());
    }
    let res = env
        .aws
        .eks()
        .delete_pod_identity_association()
        .cluster_name(cluster)
        .association_id(&id)
        .send()
        .await;
    errors::found(
        res,
        DeletePodIdentityAssociationError::is_resource_not_found_exception,
    )
    .map_err(|e| {
        SERVICE.error(
            &part_of(workload),
            format!("deleting pod identity association `{id}`"),
            "DeletePodIdentityAssociation",
            &e,
        )
    })?;
    tracing::info!(part = %part_of(workload), object = "pod-identity-association", id = %id, "deleted");
    Ok(())
}
