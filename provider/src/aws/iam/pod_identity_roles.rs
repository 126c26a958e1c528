//! IAM roles that EKS add-ons assume through EKS Pod Identity: `{env}-ebs-csi` for the EBS
//! CSI driver (AWS's AmazonEBSCSIDriverPolicy). A role exists only while its add-on is in
//! the configuration: [`ensure_with_pod_identity`] (the IAM part) creates it next to the
//! cluster and node roles; the cluster part deletes it after the add-on when the add-on
//! leaves the configuration ([`delete_pod_identity_role`]); [`super::delete`] deletes it with
//! the other roles.
//!
//! The trust policy is the one EKS documents for Pod Identity (`pods.eks.amazonaws.com` may
//! call sts:AssumeRole and sts:TagSession), limited with the session tags Pod Identity sets
//! to the environment's cluster, `kube-system` and the add-on's service account. Why not
//! `aws:SourceAccount`/`aws:SourceArn`: the IAM part runs before the cluster exists and knows
//! no account ID, while the cluster's name is known (`{env}-eks`), and the session-tag
//! conditions scope the role more narrowly (one service account of one cluster).

use std::collections::BTreeMap;

use super::super::part::PartEnv;
use super::roles::{ensure_role_trusting, Trust};
use super::IamState;
use crate::engine::PartError;

/// The principal EKS Pod Identity assumes roles as.
pub const PODS_PRINCIPAL: &str = "pods.eks.amazonaws.com";
/// The namespace of the add-ons' service accounts.
pub const ADDON_NAMESPACE: &str = "kube-system";

/// An add-on that gets its own role through EKS Pod Identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodIdentityRole {
    pub addon: &'static str,
    /// The role is `{env}-{suffix}`.
    pub suffix: &'static str,
    /// The Kubernetes service account (in `kube-system`) the add-on's pods run as.
    pub service_account: &'static str,
    /// AWS managed policies attached, by their name under `arn:aws:iam::aws:policy/`.
    pub policies: &'static [&'static str],
}

/// Every add-on Mosia gives a Pod Identity role.
pub const POD_IDENTITY_ROLES: &[PodIdentityRole] = &[PodIdentityRole {
    addon: "aws-ebs-csi-driver",
    suffix: "ebs-csi",
    service_account: "ebs-csi-controller-sa",
    policies: &["service-role/AmazonEBSCSIDriverPolicy"],
}];

/// The Pod Identity role of `addon`, if it has one.
pub fn pod_identity_role(addon: &str) -> Option<&'static PodIdentityRole> {
    POD_IDENTITY_ROLES.iter().find(|r| r.addon == addon)
}

/// `{env}-{suffix}`, e.g. `mosia-dev-ebs-csi`.
pub fn pod_identity_role_name(env: &PartEnv, role: &PodIdentityRole) -> String {
    env.aws_name(role.suffix)
}

/// The trust policy of `role`: EKS Pod Identity, for the add-on's service account in the
/// environment's cluster only.
pub fn pod_identity_trust_policy(env: &PartEnv, role: &PodIdentityRole) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowEksAuthToAssumeRoleForPodIdentity",
            "Effect": "Allow",
            "Principal": { "Service": PODS_PRINCIPAL },
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {
                "StringEquals": {
                    // The cluster part's name (`eks::cluster_name`), known before it exists.
                    "aws:RequestTag/eks-cluster-name": env.aws_name("eks"),
                    "aws:RequestTag/kubernetes-namespace": ADDON_NAMESPACE,
                    "aws:RequestTag/kubernetes-service-account": role.service_account,
                }
            }
        }]
    })
}

/// The IAM part: the cluster and node roles ([`super::ensure`]) and, side by side, the Pod
/// Identity role of every configured add-on that has one (in
/// [`IamState::pod_identity_roles`]).
pub async fn ensure_with_pod_identity<'a>(
    env: &PartEnv,
    addons: impl IntoIterator<Item = &'a str>,
) -> Result<IamState, PartError> {
    let wanted: Vec<&PodIdentityRole> = addons.into_iter().filter_map(pod_identity_role).collect();
    let pod_roles = async {
        let mut arns = BTreeMap::new();
        for role in wanted {
            let name = pod_identity_role_name(env, role);
            let trust = Trust {
                service: PODS_PRINCIPAL.to_string(),
                policy: pod_identity_trust_policy(env, role),
            };
            let (arn, _) = ensure_role_trusting(env, &name, &trust, role.policies).await?;
            arns.insert(role.addon.to_string(), arn);
        }
        Ok::<_, PartError>(arns)
    };
    let (state, pod_roles) = futures::join!(super::ensure(env), pod_roles);
    let mut state = state?;
    state.pod_identity_roles = pod_roles?;
    Ok(state)
}

/// Deletes the Pod Identity role of `addon` (none: nothing to do). A role without our
/// ownership tags is left alone; NotFound counts as deleted.
pub async fn delete_pod_identity_role(env: &PartEnv, addon: &str) -> Result<(), PartError> {
    match pod_identity_role(addon) {
        Some(role) => super::delete::delete_role(env, &pod_identity_role_name(env, role)).await,
        None => Ok(()),
    }
}

/// Deletes every Pod Identity role of the environment (the IAM part's delete).
pub(super) async fn delete_all(env: &PartEnv) -> Result<(), PartError> {
    for role in POD_IDENTITY_ROLES {
        delete_pod_identity_role(env, role.addon).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_iam::operation::attach_role_policy::AttachRolePolicyOutput;
    use aws_sdk_iam::operation::create_role::CreateRoleOutput;
    use aws_sdk_iam::operation::get_role::GetRoleError;
    use aws_sdk_iam::types::error::NoSuchEntityException;
    use aws_smithy_mocks::mock;

    use super::super::test_support::{env, owned_tags, role};
    use super::*;

    #[tokio::test]
    async fn the_ebs_csi_role_is_created_only_when_its_addon_is_configured() {
        let get = mock!(aws_sdk_iam::Client::get_role).then_error(|| {
            GetRoleError::NoSuchEntityException(NoSuchEntityException::builder().build())
        });
        let created = Arc::new(Mutex::new(Vec::new()));
        let seen = created.clone();
        let create = mock!(aws_sdk_iam::Client::create_role).then_compute_output(move |r| {
            seen.lock().unwrap().push(r.clone());
            let name = r.role_name().unwrap_or_default();
            CreateRoleOutput::builder()
                .role(role(name, "x", owned_tags()))
                .build()
        });
        let attached = Arc::new(Mutex::new(Vec::new()));
        let seen = attached.clone();
        let attach = mock!(aws_sdk_iam::Client::attach_role_policy).then_compute_output(move |r| {
            seen.lock().unwrap().push((
                r.role_name().unwrap_or_default().to_string(),
                r.policy_arn().unwrap_or_default().to_string(),
            ));
            AttachRolePolicyOutput::builder().build()
        });
        let env = env(&[&get, &create, &attach]);

        let state = ensure_with_pod_identity(&env, ["vpc-cni", "coredns"])
            .await
            .unwrap();
        assert!(state.pod_identity_roles.is_empty());
        assert_eq!(create.num_calls(), 2, "the cluster and node roles only");

        let state = ensure_with_pod_identity(&env, ["vpc-cni", "aws-ebs-csi-driver"])
            .await
            .unwrap();
        assert_eq!(
            state.pod_identity_roles["aws-ebs-csi-driver"],
            "arn:aws:iam::123456789012:role/mosia-test-ebs-csi"
        );
        let created = created.lock().unwrap().clone();
        let ebs = created
            .iter()
            .find(|r| r.role_name() == Some("mosia-test-ebs-csi"))
            .expect("the EBS CSI role");
        let trust: serde_json::Value =
            serde_json::from_str(ebs.assume_role_policy_document().unwrap()).unwrap();
        let statement = &trust["Statement"][0];
        assert_eq!(statement["Principal"]["Service"], "pods.eks.amazonaws.com");
        assert_eq!(
            statement["Action"],
            serde_json::json!(["sts:AssumeRole", "sts:TagSession"])
        );
        let cond = &statement["Condition"]["StringEquals"];
        assert_eq!(cond["aws:RequestTag/eks-cluster-name"], "mosia-test-eks");
        assert_eq!(
            cond["aws:RequestTag/kubernetes-service-account"],
            "ebs-csi-controller-sa"
        );
        assert!(attached.lock().unwrap().contains(&(
            "mosia-test-ebs-csi".to_string(),
            "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy".to_string()
        )));
    }
}
