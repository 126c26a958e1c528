//! Creating an EKS managed node group: the request (the configured AMI type or that of the
//! instance types' architecture, taints, update config, the desired size: with external
//! scaling the only time Mosia sends it) and its retries while the node role propagates
//! through IAM.

use aws_sdk_eks::operation::create_nodegroup::CreateNodegroupError;
use aws_sdk_eks::types::{AmiTypes, CapacityTypes};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::super::iam::IamState;
use super::super::network::NetworkState;
use super::super::wait::AwsKind;
use super::node_group::{find_node_group, spec_ami_type, Target};
use super::node_group_find::node_group_tags;
use super::node_group_update::{scaling, sdk_taint, update_config};
use super::{iam_propagating, NodeGroupSpec, IAM_PROPAGATION_WAIT, SERVICE};
use crate::engine::{PartError, Poll};

type CreateNodegroup =
    aws_sdk_eks::operation::create_nodegroup::builders::CreateNodegroupFluentBuilder;

/// The CreateNodegroup request for `spec`, with its AMI type (configured, or that of its
/// instance types' architecture: EKS refuses Graviton types on its default x86_64 AMI).
fn create_request(
    t: &Target<'_>,
    spec: &NodeGroupSpec,
    net: &NetworkState,
    iam: &IamState,
) -> Result<CreateNodegroup, PartError> {
    let ami = spec_ami_type(spec).map_err(|detail| {
        PartError::new(
            &t.part,
            format!("checking EKS node group `{}`", t.name),
            detail,
        )
    })?;
    let mut req = t
        .env
        .aws
        .eks()
        .create_nodegroup()
        .cluster_name(&t.cluster.name)
        .nodegroup_name(&t.name)
        .node_role(&iam.node_role_arn)
        .set_subnets(Some(net.private_subnet_ids.clone()))
        .scaling_config(scaling(spec))
        .set_instance_types(Some(spec.instance_types.clone()))
        .ami_type(AmiTypes::from(ami.as_str()))
        .capacity_type(CapacityTypes::from(spec.capacity_type.as_str()))
        .disk_size(spec.disk_size_gb as i32)
        .update_config(update_config(spec.max_unavailable))
        .set_tags(Some(
            node_group_tags(t.env, t.config_name, spec.scaling)
                .into_iter()
                .collect(),
        ));
    if !spec.taints.is_empty() {
        req = req.set_taints(Some(spec.taints.iter().map(sdk_taint).collect()));
    }
    if !spec.labels.is_empty() {
        req = req.set_labels(Some(spec.labels.clone().into_iter().collect()));
    }
    Ok(req)
}

/// Creates the node group. A node role created (or given its policies) moments ago may not
/// be visible to EKS yet: those answers are retried for [`IAM_PROPAGATION_WAIT`]; any
/// other error fails at once.
pub(super) async fn create_node_group(
    t: &Target<'_>,
    spec: &NodeGroupSpec,
    net: &NetworkState,
    iam: &IamState,
) -> Result<(), PartError> {
    let (part, name) = (t.part.as_str(), t.name.as_str());
    tracing::info!(part, object = %name, instance_types = ?spec.instance_types, "creating EKS node group");
    let req = create_request(t, spec, net, iam)?;
    let req = &req;
    let summary = format!("creating EKS node group `{name}`");
    let summary = summary.as_str();
    t.env
        .waiter(part, AwsKind::Iam, format!("EKS to accept the node role for `{name}`"))
        .timeout(IAM_PROPAGATION_WAIT)
        .until(|| async move {
            match req.clone().send().await {
                Ok(_) => Poll::Ready(()),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(CreateNodegroupError::is_resource_in_use_exception) =>
                {
                    // Either it exists already (an earlier run) or the cluster is busy; the
                    // describe tells which.
                    match find_node_group(t.env, part, &t.cluster.name, name).await {
                        Ok(Some(_)) => {
                            tracing::info!(part, object = %name, "node group already exists (an earlier run created it); adopting it");
                            Poll::Ready(())
                        }
                        Ok(None) => Poll::Failed(
                            SERVICE.error(part, summary, "CreateNodegroup", &e).retryable(true),
                        ),
                        Err(err) => Poll::Failed(err),
                    }
                }
                Err(e)
                    if iam_propagating(match e.as_service_error() {
                        Some(CreateNodegroupError::InvalidParameterException(x)) => {
                            x.message().or(e.message())
                        }
                        _ => None,
                    }) =>
                {
                    Poll::Pending("node role not propagated yet".into())
                }
                Err(e) => Poll::Failed(SERVICE.error(part, summary, "CreateNodegroup", &e)),
            }
        })
        .await
        .map_err(PartError::from)
}
