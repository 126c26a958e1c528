//! Workload identities ([`PartId::Workload`], `workload.NAME`): for each `workload` block, an
//! IAM role `ENV-wl-NAME` trusted by EKS Pod Identity (with a pod identity association for
//! its namespace and service account) or by the cluster's OIDC provider (IRSA), and an
//! inline policy generated from the environment's own ARNs, granting what the block asks
//! and nothing else. [`PartId::Workloads`] removes the objects of workloads no longer
//! configured.
//!
//! [`PartId::Workload`]: crate::aws::part::PartId::Workload
//! [`PartId::Workloads`]: crate::aws::part::PartId::Workloads

pub mod association;
pub mod discover;
pub mod input;
pub mod policy;
pub mod role;

pub use input::{CacheAccess, Identity, KafkaAccess, MskAccessSpec, RdsAccess, WorkloadSpec};
pub use policy::{CacheTarget, MskTarget, RdsTarget, Targets};

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::types::Role;

use super::part::{PartEnv, PartId};
use crate::engine::PartError;

/// Tag naming the workload a role belongs to.
pub const WORKLOAD_TAG: &str = "mosia:workload";
/// Tags recording the service account a role is for (cleanup and import read them).
pub const NAMESPACE_TAG: &str = "mosia:namespace";
pub const SERVICE_ACCOUNT_TAG: &str = "mosia:service-account";
/// IAM role names are at most 64 characters.
pub const MAX_ROLE_NAME: usize = 64;

/// The part of workload `name`.
pub fn part_of(name: &str) -> PartId {
    PartId::Workload(name.to_string())
}

/// `ENV-wl-NAME`.
pub fn role_name(env: &PartEnv, name: &str) -> String {
    env.aws_name(&format!("wl-{name}"))
}

/// A workload's objects as they are in AWS.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkloadState {
    pub role_name: String,
    pub role_arn: String,
    pub namespace: String,
    pub service_account: String,
    /// `pod_identity` or `irsa`.
    pub identity: String,
    /// The pod identity association (`pod_identity` only).
    pub association_id: Option<String>,
    /// The environment variables of the application (no secret values).
    pub connection: BTreeMap<String, String>,
    /// True when the role's trust, policies or association differ from what the block
    /// asks (refresh only; `ensure` converges them).
    pub drifted: bool,
}

fn role_tags(env: &PartEnv, name: &str, w: &WorkloadSpec) -> BTreeMap<String, String> {
    let mut tags = env.tags_for(part_of(name).tag());
    tags.insert(WORKLOAD_TAG.into(), name.into());
    tags.insert(NAMESPACE_TAG.into(), w.namespace.clone());
    tags.insert(SERVICE_ACCOUNT_TAG.into(), w.service_account.clone());
    tags.insert(discover::RDS_TAG.into(), w.rds.as_str().into());
    tags.insert(discover::CACHE_TAG.into(), w.elasticache.as_str().into());
    if let Some(m) = &w.msk {
        tags.insert(discover::KAFKA_TAG.into(), m.access.as_str().into());
    }
    tags
}

fn missing_oidc(name: &str) -> PartError {
    PartError::new(
        &part_of(name),
        "building the IRSA trust policy",
        "the cluster has no OIDC issuer yet: IRSA needs the cluster's IAM OIDC provider",
    )
}

/// Creates or converges workload `name`: its role (trust, generated policy, managed
/// policies) and, for Pod Identity, its association; an association left from IRSA's
/// opposite is removed.
pub async fn ensure(
    env: &PartEnv,
    name: &str,
    w: &WorkloadSpec,
    t: &Targets,
) -> Result<WorkloadState, PartError> {
    let role_name = role_name(env, name);
    let trust = policy::trust_policy(w, t).ok_or_else(|| missing_oidc(name))?;
    let doc = policy::policy_document(name, w, t);
    let want = role::RoleWant {
        workload: name,
        role_name: &role_name,
        trust: &trust,
        policy: doc.as_ref(),
        managed: &w.policy_arns,
        tags: role_tags(env, name, w),
    };
    let role_arn = role::ensure_role(env, &want).await?;
    let sa = (w.namespace.as_str(), w.service_account.as_str());
    let association_id = match w.identity {
        Identity::PodIdentity => {
            Some(association::ensure_association(env, name, &t.cluster_name, sa, &role_arn).await?)
        }
        Identity::Irsa => {
            association::delete_association(env, name, &t.cluster_name, sa, &role_arn).await?;
            None
        }
    };
    Ok(WorkloadState {
        role_name,
        role_arn,
        namespace: w.namespace.clone(),
        service_account: w.service_account.clone(),
        identity: w.identity.as_str().to_string(),
        association_id,
        connection: policy::connection(name, w, t),
        drifted: false,
    })
}

/// Workload `name` as it is (refresh): None when its role is gone; `drifted` when its
/// documents or association differ from what `w` asks.
pub async fn read(
    env: &PartEnv,
    name: &str,
    w: &WorkloadSpec,
    t: &Targets,
) -> Result<Option<WorkloadState>, PartError> {
    let role_name = role_name(env, name);
    let Some(have) = role::read_role(env, name, &role_name).await? else {
        return Ok(None);
    };
    let association = match w.identity {
        Identity::PodIdentity => {
            association::find_association(
                env,
                name,
                &t.cluster_name,
                &w.namespace,
                &w.service_account,
            )
            .await?
        }
        Identity::Irsa => None,
    };
    let mut managed = w.policy_arns.clone();
    managed.sort();
    let drifted = have.trust != policy::trust_policy(w, t)
        || have.policy != policy::policy_document(name, w, t)
        || have.managed != managed
        || (w.identity == Identity::PodIdentity
            && association.as_ref().map(|(_, r)| r) != Some(&have.arn));
    Ok(Some(WorkloadState {
        role_name,
        role_arn: have.arn,
        namespace: w.namespace.clone(),
        service_account: w.service_account.clone(),
        identity: w.identity.as_str().to_string(),
        association_id: association.map(|(id, _)| id),
        connection: policy::connection(name, w, t),
        drifted,
    }))
}

/// The environment's workload roles (ownership checked), by workload name.
pub async fn find_workload_roles(env: &PartEnv) -> Result<BTreeMap<String, Role>, PartError> {
    let prefix = role_name(env, "");
    let mut names = vec![];
    let mut marker = None;
    loop {
        let out = env
            .aws
            .iam()
            .list_roles()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| {
                crate::aws::iam::SERVICE.error(
                    &PartId::Workloads,
                    "listing IAM roles",
                    "ListRoles",
                    &e,
                )
            })?;
        names.extend(
            out.roles()
                .iter()
                .map(|r| r.role_name().to_string())
                .filter(|n| n.starts_with(&prefix)),
        );
        if !out.is_truncated() {
            break;
        }
        marker = out.marker;
    }
    let mut found = BTreeMap::new();
    for role in names {
        let Some(r) = crate::aws::iam::roles::find_role(env, &role).await? else {
            continue;
        };
        let tags = crate::aws::iam::tag_map(r.tags());
        if let Some(w) = tags.get(WORKLOAD_TAG).cloned() {
            if role::owned(env, &w, &tags) {
                found.insert(w, r);
            }
        }
    }
    Ok(found)
}

/// Deletes the objects of the environment's workloads not in `keep` (all of them for an
/// empty `keep`): association first, then the role.
pub async fn delete_unconfigured(
    env: &PartEnv,
    keep: &BTreeSet<String>,
    cluster: &str,
) -> Result<(), PartError> {
    for (workload, role) in find_workload_roles(env).await? {
        if keep.contains(&workload) {
            continue;
        }
        let tags = crate::aws::iam::tag_map(role.tags());
        let ns = tags
            .get(NAMESPACE_TAG)
            .map(String::as_str)
            .unwrap_or_default();
        let sa = tags
            .get(SERVICE_ACCOUNT_TAG)
            .map(String::as_str)
            .unwrap_or_default();
        association::delete_association(env, &workload, cluster, (ns, sa), role.arn()).await?;
        role::delete_role(env, &workload, role.role_name()).await?;
    }
    Ok(())
}

/// Deletes every workload object of the environment (destroy).
pub async fn delete_all(env: &PartEnv) -> Result<(), PartError> {
    delete_unconfigured(env, &BTreeSet::new(), &crate::aws::eks::cluster_name(env)).await
}
