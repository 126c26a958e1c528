//! The IAM part of an environment ([`PartId::Iam`](super::part::PartId::Iam)): the EKS
//! cluster role (`{env}-eks-cluster`, trusted by eks.amazonaws.com, AmazonEKSClusterPolicy)
//! and the node role (`{env}-eks-node`, trusted by ec2.amazonaws.com,
//! AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy, AmazonEC2ContainerRegistryReadOnly)
//! in [`roles`]; the cluster's IAM OIDC provider for IRSA
//! ([`PartId::EksOidc`](super::part::PartId::EksOidc)) in [`oidc`]; deletes in [`delete`].
//!
//! Roles are found by name. A role with our name is adopted only when it carries this
//! environment's ownership tags; a role of that name without them belongs to someone else,
//! and `ensure` fails instead of taking it over. `ensure` on an adopted role converges its
//! trust policy, tags and attached managed policies (policies attached by others are left
//! alone; `delete` detaches everything, as IAM requires before DeleteRole).

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;

use super::errors::Service;
use super::part::{PartEnv, PartId};
use crate::engine::PartError;

pub mod delete;
pub mod oidc;
pub mod pod_identity_roles;
pub mod propagation;
pub mod roles;

pub use delete::delete;
pub use oidc::{ensure_oidc_provider, read_oidc_provider};
pub use pod_identity_roles::{delete_pod_identity_role, ensure_with_pod_identity};

/// A role `service` assumes to deliver for another part (RDS enhanced monitoring, VPC flow
/// logs), with AWS managed `policies`: created or adopted like the IAM part's roles (its
/// ownership tags), its ARN returned.
pub async fn ensure_service_role(
    env: &PartEnv,
    name: &str,
    service: &str,
    policies: &[&str],
) -> Result<String, PartError> {
    roles::ensure_role(env, name, service, policies)
        .await
        .map(|(arn, _)| arn)
}

/// Sets the inline policy `policy_name` of role `name` (the role of [`ensure_service_role`]
/// that needs a policy scoped to one resource, which no AWS managed policy is).
pub async fn put_inline_policy(
    env: &PartEnv,
    name: &str,
    policy_name: &str,
    document: &serde_json::Value,
) -> Result<(), PartError> {
    env.aws
        .iam()
        .put_role_policy()
        .role_name(name)
        .policy_name(policy_name)
        .policy_document(document.to_string())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            SERVICE.error(
                &PartId::Iam,
                format!("setting the policy of IAM role `{name}`"),
                "PutRolePolicy",
                &e,
            )
        })
}

/// Deletes a role of [`ensure_service_role`] (left alone without Mosia's tags; NotFound
/// counts as deleted).
pub async fn delete_service_role(env: &PartEnv, name: &str) -> Result<(), PartError> {
    delete::delete_role(env, name).await
}

/// IAM as the parts see its errors; the codes that may pass by themselves.
pub(crate) const SERVICE: Service = Service {
    label: "IAM",
    transient_codes: &[
        "Throttling",
        "ThrottlingException",
        "ServiceFailure",
        "ConcurrentModification",
    ],
};

/// The `mosia:part` tag value of the roles and the OIDC provider.
pub(crate) const PART: &str = PartId::Iam.tag();
/// The audience of IRSA web identity tokens.
pub const STS_CLIENT_ID: &str = "sts.amazonaws.com";
/// Thumbprint of the root CA that signs the EKS OIDC issuers' TLS certificates (the value
/// the IAM console and eksctl compute for `oidc.eks.<region>.amazonaws.com`).
///
/// Why a constant: computing a thumbprint needs a TLS connection to the issuer, which this
/// provider avoids (it must also work offline, against emulators). Since mid-2023 IAM no
/// longer uses the thumbprint for OIDC providers hosted by AWS (EKS issuers among them): it
/// verifies them against its own library of trusted root CAs, so the value is not what
/// secures IRSA. The API still accepts (and older partitions/SDKs expect) a list, so we pass
/// the well-known root CA thumbprint, as AWS's console does, rather than a placeholder.
pub const EKS_OIDC_ROOT_CA_THUMBPRINT: &str = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";

pub const CLUSTER_POLICIES: &[&str] = &["AmazonEKSClusterPolicy"];
pub const NODE_POLICIES: &[&str] = &[
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
];

#[derive(Debug, Clone, PartialEq, Default)]
pub struct IamState {
    pub cluster_role_arn: String,
    pub node_role_arn: String,
    /// ARNs of the managed policies attached to the cluster role (sorted), as observed.
    pub cluster_role_policies: Vec<String>,
    /// ARNs of the managed policies attached to the node role (sorted), as observed.
    pub node_role_policies: Vec<String>,
    /// ARN of the EKS Pod Identity role of each configured add-on that has one, by add-on
    /// name ([`pod_identity_roles`]).
    pub pod_identity_roles: BTreeMap<String, String>,
}

/// `{env}-eks-cluster`.
pub fn cluster_role_name(env: &PartEnv) -> String {
    env.aws_name("eks-cluster")
}

/// `{env}-eks-node`.
pub fn node_role_name(env: &PartEnv) -> String {
    env.aws_name("eks-node")
}

fn policy_arn(env: &PartEnv, name: &str) -> String {
    format!(
        "arn:{}:iam::aws:policy/{name}",
        super::partition(&env.aws.region())
    )
}

/// The trust policy letting `service` assume the role.
pub fn trust_policy(service: &str) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": service },
            "Action": "sts:AssumeRole"
        }]
    })
}

pub(crate) fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

pub(crate) fn to_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// Creates or adopts the EKS cluster and node roles, with their managed policies attached.
///
/// New roles take a few seconds to propagate inside IAM; the services that use them (EKS
/// CreateCluster / CreateNodegroup) may answer "role cannot be assumed" meanwhile, which
/// the EKS part treats as retryable.
pub async fn ensure(env: &PartEnv) -> Result<IamState, PartError> {
    let cluster = cluster_role_name(env);
    let node = node_role_name(env);
    let (c, n) = futures::join!(
        roles::ensure_role(env, &cluster, "eks.amazonaws.com", CLUSTER_POLICIES),
        roles::ensure_role(env, &node, "ec2.amazonaws.com", NODE_POLICIES),
    );
    let (cluster_role_arn, cluster_role_policies) = c?;
    let (node_role_arn, node_role_policies) = n?;
    Ok(IamState {
        cluster_role_arn,
        node_role_arn,
        cluster_role_policies,
        node_role_policies,
        ..Default::default()
    })
}

/// The roles as they are now (one GetRole and one ListAttachedRolePolicies per role). None
/// when neither role exists; a role that is missing, or exists without our ownership tags,
/// reads as an empty ARN (drift the next apply repairs, or reports).
pub async fn read(env: &PartEnv) -> Result<Option<IamState>, PartError> {
    let mut out = vec![];
    for name in [cluster_role_name(env), node_role_name(env)] {
        match roles::find_role(env, &name).await? {
            Some(r) if env.owns(PART, &tag_map(r.tags())) => {
                let policies = roles::attached_policies(env, &name).await?;
                out.push(Some((r.arn().to_string(), policies)));
            }
            _ => out.push(None),
        }
    }
    if out.iter().all(Option::is_none) {
        return Ok(None);
    }
    let mut it = out.into_iter().map(Option::unwrap_or_default);
    let (cluster_role_arn, cluster_role_policies) = it.next().unwrap_or_default();
    let (node_role_arn, node_role_policies) = it.next().unwrap_or_default();
    Ok(Some(IamState {
        cluster_role_arn,
        node_role_arn,
        cluster_role_policies,
        node_role_policies,
        ..Default::default()
    }))
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Mocked IAM answers shared by the role, OIDC and delete tests.

    use aws_sdk_iam::types::Role;

    use crate::aws::part::PartEnv;
    use crate::aws::{testing, AwsContext};

    use super::*;

    /// The test environment over an IAM client answering from `rules`.
    pub fn env(rules: &[&aws_smithy_mocks::Rule]) -> PartEnv {
        testing::env(AwsContext::offline().with_iam(crate::mock_client!(aws_sdk_iam, rules: rules)))
    }

    /// The ownership tags of the test environment's IAM objects.
    pub fn owned_tags() -> Vec<Tag> {
        to_tags(&testing::env(AwsContext::offline()).tags_for(PART))
    }

    /// Role `name` trusted by `service`, with `tags`.
    pub fn role(name: &str, service: &str, tags: Vec<Tag>) -> Role {
        Role::builder()
            .role_name(name)
            .role_id("AROAEXAMPLE")
            .path("/")
            .arn(format!("arn:aws:iam::123456789012:role/{name}"))
            .create_date(aws_smithy_types::DateTime::from_secs(0))
            .assume_role_policy_document(trust_policy(service).to_string())
            .set_tags(Some(tags))
            .build()
            .expect("role")
    }
}
