//! The EKS cluster `{env}-eks`: find, statuses and waits, `ensure` (adopt | create |
//! converge, the converge steps in [`super::cluster_update`]), `read` and `delete`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use aws_sdk_eks::operation::create_cluster::CreateClusterError;
use aws_sdk_eks::operation::delete_cluster::DeleteClusterError;
use aws_sdk_eks::operation::describe_cluster::DescribeClusterError;
use aws_sdk_eks::types::{
    Cluster, ClusterStatus, CreateAccessConfigRequest, EncryptionConfig, Provider,
    UpgradePolicyRequest, VpcConfigRequest,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::super::iam::IamState;
use super::super::network::NetworkState;
use super::super::part::{not_ours, PartEnv, PartId};
use super::super::version;
use super::super::wait::{AwsKind, Statuses};
use super::cluster_update::{self, enabled_log_types, logging};
use super::leftovers;
use super::log_group;
use super::{
    cluster_name, iam_propagating, node_group_delete, tag_map, AuthenticationMode, EksSpec,
    SupportType, IAM_PROPAGATION_WAIT, LOG_TYPES, PART, SECURITY_GROUP_KEY, SERVICE,
};
use crate::aws::errors;
use crate::engine::{NotFoundGrace, PartError, Poll};

/// Upper bounds of the waits, whatever `env.deadline` says (EKS: cluster create 8-15
/// minutes, version update up to ~40 minutes).
pub(super) const CLUSTER_WAIT: Duration = Duration::from_secs(60 * 60);
pub(super) const DELETE_WAIT: Duration = Duration::from_secs(45 * 60);

/// Waiting for a created or updated cluster: FAILED, DELETING (someone else deletes it) or
/// any other status fails at once.
pub(super) const CLUSTER_CREATED: Statuses = Statuses {
    pending: &["CREATING", "UPDATING", "PENDING"],
    target: &["ACTIVE"],
};
/// Waiting for a cluster to disappear (ready when DescribeCluster answers NotFound).
pub(super) const CLUSTER_DELETED: Statuses = Statuses {
    pending: &["DELETING"],
    target: &[],
};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EksClusterState {
    pub name: String,
    pub arn: String,
    pub endpoint: String,
    pub certificate_authority: String,
    pub oidc_issuer: String,
    pub version: String,
    pub status: String,
    pub endpoint_public_access: bool,
    pub endpoint_private_access: bool,
    /// As EKS reports them (`0.0.0.0/0` when public access is open to all).
    pub public_access_cidrs: Vec<String>,
    pub enabled_log_types: BTreeSet<String>,
    pub subnet_ids: Vec<String>,
    /// The additional security groups (the network's `eks` group).
    pub security_group_ids: Vec<String>,
    /// The security group EKS creates for the control plane and managed nodes.
    pub cluster_security_group_id: Option<String>,
    pub platform_version: String,
    /// All tags, ownership tags included.
    pub tags: BTreeMap<String, String>,
    /// `accessConfig.authenticationMode` (`CONFIG_MAP` when EKS reports none).
    pub authentication_mode: String,
    /// `accessConfig.bootstrapClusterCreatorAdminPermissions`, when EKS reports it.
    pub creator_admin: Option<bool>,
    /// `upgradePolicy.supportType` (`EXTENDED`, EKS's default, when EKS reports none).
    pub support_type: String,
    /// The KMS key encrypting Kubernetes secrets; None without secrets encryption.
    pub encryption_key_arn: Option<String>,
    /// Retention of the control plane log group: None when the group is missing or its
    /// logs never expire (set by `ensure_cluster` and `read_cluster`, not DescribeCluster).
    pub log_retention_days: Option<u32>,
}

pub(super) fn cluster_state(c: &Cluster) -> EksClusterState {
    let vpc = c.resources_vpc_config();
    EksClusterState {
        name: c.name().unwrap_or_default().to_string(),
        arn: c.arn().unwrap_or_default().to_string(),
        endpoint: c.endpoint().unwrap_or_default().to_string(),
        certificate_authority: c
            .certificate_authority()
            .and_then(|ca| ca.data())
            .unwrap_or_default()
            .to_string(),
        oidc_issuer: c
            .identity()
            .and_then(|i| i.oidc())
            .and_then(|o| o.issuer())
            .unwrap_or_default()
            .to_string(),
        version: c.version().unwrap_or_default().to_string(),
        status: status_of(c).unwrap_or_default(),
        endpoint_public_access: vpc.map(|v| v.endpoint_public_access()).unwrap_or(false),
        endpoint_private_access: vpc.map(|v| v.endpoint_private_access()).unwrap_or(false),
        public_access_cidrs: vpc
            .map(|v| v.public_access_cidrs().to_vec())
            .unwrap_or_default(),
        enabled_log_types: enabled_log_types(c),
        subnet_ids: vpc.map(|v| v.subnet_ids().to_vec()).unwrap_or_default(),
        security_group_ids: vpc
            .map(|v| v.security_group_ids().to_vec())
            .unwrap_or_default(),
        cluster_security_group_id: vpc
            .and_then(|v| v.cluster_security_group_id())
            .map(str::to_string),
        platform_version: c.platform_version().unwrap_or_default().to_string(),
        tags: tag_map(c.tags()),
        authentication_mode: authentication_mode_of(c).as_str().to_string(),
        creator_admin: c
            .access_config()
            .and_then(|a| a.bootstrap_cluster_creator_admin_permissions()),
        support_type: support_type_of(c).as_str().to_string(),
        encryption_key_arn: encryption_key_of(c),
        log_retention_days: None,
    }
}

/// The cluster's authentication mode; `CONFIG_MAP` when EKS reports none (a cluster
/// created before access entries existed).
pub(super) fn authentication_mode_of(c: &Cluster) -> AuthenticationMode {
    c.access_config()
        .and_then(|a| a.authentication_mode())
        .and_then(|m| AuthenticationMode::parse(m.as_str()))
        .unwrap_or(AuthenticationMode::ConfigMap)
}

/// The cluster's support type; `EXTENDED` (EKS's default) when EKS reports none.
pub(super) fn support_type_of(c: &Cluster) -> SupportType {
    c.upgrade_policy()
        .and_then(|u| u.support_type())
        .and_then(|t| SupportType::parse(t.as_str()))
        .unwrap_or(SupportType::Extended)
}

/// The key encrypting the cluster's Kubernetes secrets, if any (EKS lists one encryption
/// configuration, for `secrets`).
pub(super) fn encryption_key_of(c: &Cluster) -> Option<String> {
    c.encryption_config()
        .iter()
        .find_map(|e| e.provider())
        .and_then(|p| p.key_arn())
        .map(str::to_string)
}

fn status_of(c: &Cluster) -> Option<String> {
    c.status().map(|s| s.as_str().to_string())
}

/// The cluster `name` (one DescribeCluster); None when it does not exist.
pub(super) async fn find_cluster(env: &PartEnv, name: &str) -> Result<Option<Cluster>, PartError> {
    let out = errors::found(
        env.aws.eks().describe_cluster().name(name).send().await,
        DescribeClusterError::is_resource_not_found_exception,
    )
    .map_err(|e| {
        SERVICE.error(
            &PartId::EksCluster,
            format!("reading EKS cluster `{name}`"),
            "DescribeCluster",
            &e,
        )
    })?;
    Ok(out.and_then(|o| o.cluster))
}

/// Waits until the cluster is ACTIVE and returns it. NotFound right after a create is
/// eventual consistency for a few polls ([`NotFoundGrace`]).
pub(super) async fn wait_cluster_active(env: &PartEnv, name: &str) -> Result<Cluster, PartError> {
    let part = PartId::EksCluster.to_string();
    let part = part.as_str();
    let grace = NotFoundGrace::default();
    let grace = &grace;
    let what = format!("EKS cluster `{name}` to become ACTIVE");
    env.waiter(part, AwsKind::EksCluster, what.as_str())
        .timeout(CLUSTER_WAIT)
        .until(|| async move {
            match find_cluster(env, name).await {
                Ok(Some(c)) => {
                    let status = status_of(&c);
                    let summary = format!("EKS cluster `{name}`");
                    match CLUSTER_CREATED.poll(part, &summary, status.as_deref(), || c) {
                        Poll::Failed(mut e) if status.as_deref() == Some("FAILED") => {
                            e.detail.push_str(
                                "; the cluster is FAILED: delete it (`terraform destroy`) and apply again",
                            );
                            Poll::Failed(e)
                        }
                        other => other,
                    }
                }
                Ok(None) => grace.missed(part, format!("waiting for EKS cluster `{name}`"), "cluster"),
                Err(e) => Poll::Failed(e),
            }
        })
        .await
        .map_err(PartError::from)
}

/// Waits until the cluster no longer exists.
pub(super) async fn wait_cluster_deleted(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let part = PartId::EksCluster.to_string();
    let part = part.as_str();
    env.waiter(
        part,
        AwsKind::EksCluster,
        format!("EKS cluster `{name}` to be deleted"),
    )
    .timeout(DELETE_WAIT)
    .until(|| async move {
        match find_cluster(env, name).await {
            Ok(None) => Poll::Ready(()),
            Ok(Some(c)) => {
                let summary = format!("EKS cluster `{name}` to be deleted");
                CLUSTER_DELETED.poll(part, &summary, status_of(&c).as_deref(), || ())
            }
            Err(e) => Poll::Failed(e),
        }
    })
    .await
    .map_err(PartError::from)
}

// ---------------------------------------------------------------------------------------------
// Ensure

/// What the cluster must converge to, checked before anything is sent.
pub(super) struct DesiredCluster {
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub public: bool,
    pub private: bool,
    pub cidrs: Vec<String>,
    pub log_types: BTreeSet<String>,
    pub version: Option<String>,
    pub authentication_mode: AuthenticationMode,
    /// `bootstrapClusterCreatorAdminPermissions`, sent at create only.
    pub creator_admin: bool,
    pub support_type: SupportType,
    /// The key encrypting Kubernetes secrets; None without secrets encryption.
    pub encryption_key_arn: Option<String>,
    pub log_retention_days: u32,
}

pub(super) fn desired_cluster(
    spec: &EksSpec,
    net: &NetworkState,
    environment_key_arn: Option<&str>,
) -> Result<DesiredCluster, PartError> {
    let invalid = |detail: String| {
        PartError::new(
            &PartId::EksCluster,
            "checking the EKS cluster settings",
            detail,
        )
    };
    let zones = net.one_subnet_per_az().len();
    if zones < 2 {
        return Err(invalid(format!(
            "EKS needs subnets in at least 2 availability zones; the network's {} private \
             subnet(s) are in {zones}",
            net.private_subnet_ids.len()
        )));
    }
    if !spec.endpoint_public_access && !spec.endpoint_private_access {
        return Err(invalid(
            "at least one of endpoint_public_access and endpoint_private_access must be true \
             (otherwise nothing can reach the Kubernetes API)"
                .into(),
        ));
    }
    if let Some(bad) = spec
        .enabled_log_types
        .iter()
        .find(|t| !LOG_TYPES.contains(&t.as_str()))
    {
        return Err(invalid(format!(
            "unknown log type `{bad}`: expected one of {}",
            LOG_TYPES.join(", ")
        )));
    }
    if let Some(v) = &spec.version {
        if version::major_minor(v).is_none() {
            return Err(invalid(format!(
                "version `{v}` is not a Kubernetes version like \"1.30\""
            )));
        }
    }
    let encryption_key_arn = match (spec.secrets_encryption, &spec.kms_key_arn) {
        (false, _) => None,
        (true, Some(k)) => Some(k.clone()),
        (true, None) => Some(environment_key_arn.map(str::to_string).ok_or_else(|| {
            invalid(
                "secrets_encryption is on without kms_key_arn, and the environment's key \
                 (part kms) gave no ARN"
                    .into(),
            )
        })?),
    };
    Ok(DesiredCluster {
        subnet_ids: net.private_subnet_ids.clone(),
        security_group_ids: net
            .security_group_ids
            .get(SECURITY_GROUP_KEY)
            .cloned()
            .into_iter()
            .collect(),
        public: spec.endpoint_public_access,
        private: spec.endpoint_private_access,
        cidrs: spec.public_access_cidrs.clone(),
        log_types: spec.enabled_log_types.clone(),
        version: spec.version.clone(),
        authentication_mode: spec.authentication_mode,
        creator_admin: spec.creator_admin,
        support_type: spec.support_type,
        encryption_key_arn,
        log_retention_days: spec.log_retention_days,
    })
}

/// Converges the EKS cluster `{env}-eks` to `spec` and waits until it is ACTIVE. Its log
/// group comes first (with its retention, before EKS can create it without one).
/// `environment_key_arn` is the environment's KMS key (the user's `kms_key_arn` or part
/// `kms`), used for secrets encryption when `spec` names no key of its own, and for the log
/// group.
pub async fn ensure_cluster(
    env: &PartEnv,
    spec: &EksSpec,
    net: &NetworkState,
    iam: &IamState,
    environment_key_arn: Option<&str>,
) -> Result<EksClusterState, PartError> {
    let name = cluster_name(env);
    let want = desired_cluster(spec, net, environment_key_arn)?;
    let retention =
        log_group::ensure_log_group(env, &name, want.log_retention_days, environment_key_arn)
            .await?;
    let adopted = match find_cluster(env, &name).await? {
        Some(c) => adopt_cluster(env, &name, &c).await?,
        None => false,
    };
    if !adopted {
        create_cluster(env, &name, &want, iam).await?;
    }
    let cluster = wait_cluster_active(env, &name).await?;
    let tags = tag_map(cluster.tags());
    if !env.owns(PART, &tags) {
        // Created by someone else between our describe and our create.
        return Err(not_ours(
            env,
            &PartId::EksCluster,
            "EKS cluster",
            &name,
            &tags,
        ));
    }
    let mut state = cluster_update::converge_cluster(env, &name, &want, cluster).await?;
    state.log_retention_days = Some(retention);
    Ok(state)
}

/// Decides about an existing cluster: true to adopt it; false when it was being deleted
/// and is gone now (create it again). Refuses one that is not ours, or FAILED.
async fn adopt_cluster(env: &PartEnv, name: &str, c: &Cluster) -> Result<bool, PartError> {
    let part = PartId::EksCluster;
    let tags = tag_map(c.tags());
    if !env.owns(PART, &tags) {
        return Err(not_ours(env, &part, "EKS cluster", name, &tags));
    }
    match c.status() {
        Some(ClusterStatus::Deleting) => {
            tracing::info!(part = %part, object = %name, "cluster is being deleted; waiting before creating it again");
            wait_cluster_deleted(env, name).await?;
            Ok(false)
        }
        Some(ClusterStatus::Failed) => Err(PartError::new(
            &part,
            format!("adopting EKS cluster `{name}`"),
            "the cluster is FAILED; delete it (`terraform destroy`) and apply again",
        )),
        _ => {
            tracing::info!(part = %part, object = %name, status = status_of(c).unwrap_or_default(), "adopting existing cluster");
            Ok(true)
        }
    }
}

/// Envelope encryption of Kubernetes secrets with `key`. The SDK marks `resources`
/// deprecated (EKS now encrypts all API data with its own key anyway), but the API still
/// takes `["secrets"]` as the resource a key of the user's protects, and requires it in
/// AssociateEncryptionConfig.
#[allow(deprecated)]
pub(super) fn secrets_encryption(key: &str) -> EncryptionConfig {
    EncryptionConfig::builder()
        .resources("secrets")
        .provider(Provider::builder().key_arn(key).build())
        .build()
}

/// The CreateCluster request for `want`.
fn create_request(
    env: &PartEnv,
    name: &str,
    want: &DesiredCluster,
    iam: &IamState,
) -> aws_sdk_eks::operation::create_cluster::builders::CreateClusterFluentBuilder {
    let mut vpc = VpcConfigRequest::builder()
        .set_subnet_ids(Some(want.subnet_ids.clone()))
        .endpoint_public_access(want.public)
        .endpoint_private_access(want.private);
    if !want.security_group_ids.is_empty() {
        vpc = vpc.set_security_group_ids(Some(want.security_group_ids.clone()));
    }
    if want.public && !want.cidrs.is_empty() {
        vpc = vpc.set_public_access_cidrs(Some(want.cidrs.clone()));
    }
    let mut req = env
        .aws
        .eks()
        .create_cluster()
        .name(name)
        .role_arn(&iam.cluster_role_arn)
        .resources_vpc_config(vpc.build())
        .set_tags(Some(env.tags_for(PART).into_iter().collect()));
    if !want.log_types.is_empty() {
        req = req.logging(logging(&want.log_types));
    }
    if let Some(v) = &want.version {
        req = req.version(v);
    }
    if let Some(key) = &want.encryption_key_arn {
        req = req.encryption_config(secrets_encryption(key));
    }
    // The add-ons are EKS-managed parts of their own: no self-managed vpc-cni, kube-proxy
    // and coredns to take over.
    req.bootstrap_self_managed_addons(false)
        .access_config(
            CreateAccessConfigRequest::builder()
                .authentication_mode(want.authentication_mode.as_str().into())
                .bootstrap_cluster_creator_admin_permissions(want.creator_admin)
                .build(),
        )
        .upgrade_policy(
            UpgradePolicyRequest::builder()
                .support_type(want.support_type.as_str().into())
                .build(),
        )
}

async fn create_cluster(
    env: &PartEnv,
    name: &str,
    want: &DesiredCluster,
    iam: &IamState,
) -> Result<(), PartError> {
    let part = PartId::EksCluster.to_string();
    let part = part.as_str();
    let summary = format!("creating EKS cluster `{name}`");
    let summary = summary.as_str();
    tracing::info!(part, object = %name, version = want.version.as_deref().unwrap_or("default"), "creating EKS cluster");
    // A role created moments ago may not be visible to EKS yet (IAM is eventually
    // consistent): EKS answers InvalidParameterException; retry for a while.
    env.waiter(part, AwsKind::Iam, format!("EKS to accept the cluster role for `{name}`"))
        .timeout(IAM_PROPAGATION_WAIT)
        .until(|| async move {
            match create_request(env, name, want, iam).send().await {
                Ok(_) => Poll::Ready(()),
                Err(e) if e.as_service_error().is_some_and(CreateClusterError::is_resource_in_use_exception) => {
                    tracing::info!(part, object = %name, "cluster already exists (an earlier run created it); adopting it");
                    Poll::Ready(())
                }
                Err(e)
                    if iam_propagating(match e.as_service_error() {
                        Some(CreateClusterError::InvalidParameterException(x)) => x.message().or(e.message()),
                        _ => None,
                    }) =>
                {
                    Poll::Pending("cluster role not propagated yet".into())
                }
                Err(e) => Poll::Failed(SERVICE.error(part, summary, "CreateCluster", &e)),
            }
        })
        .await
        .map_err(PartError::from)
}

// ---------------------------------------------------------------------------------------------
// Read and delete

/// The cluster as it is now (one DescribeCluster; its log group's retention is read by
/// [`log_group::read_log_retention`]); None when it does not exist or is not this
/// environment's.
pub async fn read_cluster(env: &PartEnv) -> Result<Option<EksClusterState>, PartError> {
    let name = cluster_name(env);
    let Some(c) = find_cluster(env, &name).await? else {
        return Ok(None);
    };
    if !env.owns(PART, &tag_map(c.tags())) {
        tracing::warn!(part = %PartId::EksCluster, object = %name, "an EKS cluster of this name exists but is not this environment's");
        return Ok(None);
    }
    Ok(Some(cluster_state(&c)))
}

/// Deletes the cluster: first the node groups of it that are ours, then the cluster (waits
/// until it is gone), then what it created by itself ([`leftovers`]: load balancers,
/// their security groups, network interfaces, its log group). NotFound counts as deleted;
/// a cluster that is not ours is left alone.
pub async fn delete_cluster(env: &PartEnv) -> Result<(), PartError> {
    let part = PartId::EksCluster;
    let name = cluster_name(env);
    let Some(c) = find_cluster(env, &name).await? else {
        tracing::info!(part = %part, object = %name, "EKS cluster already gone");
        // An earlier destroy may have stopped after the cluster and before its leftovers.
        return leftovers::delete_leftovers(env, &name).await;
    };
    if !env.owns(PART, &tag_map(c.tags())) {
        tracing::warn!(part = %part, object = %name, "not deleting an EKS cluster that is not this environment's");
        return Ok(());
    }
    // Node groups first: EKS refuses to delete a cluster that has any.
    if node_group_delete::delete_cluster_node_groups(env, &name).await? {
        request_cluster_delete(env, &name).await?;
    }
    // Then what the cluster created by itself, which would keep the VPC from being deleted.
    leftovers::delete_leftovers(env, &name).await
}

/// Requests the delete (once the cluster is not busy) and waits until it is gone.
async fn request_cluster_delete(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let part = PartId::EksCluster.to_string();
    let part = part.as_str();
    let eks = env.aws.eks();
    let requested = AtomicBool::new(false);
    let requested = &requested;
    env.waiter(
        part,
        AwsKind::EksCluster,
        format!("EKS cluster `{name}` to be deleted"),
    )
    .timeout(DELETE_WAIT)
    .until(|| async move {
        let c = match find_cluster(env, name).await {
            Ok(None) => return Poll::Ready(()),
            Ok(Some(c)) => c,
            Err(e) => return Poll::Failed(e),
        };
        let status = status_of(&c).unwrap_or_default();
        match c.status() {
            // Busy: EKS refuses a delete until the create or update ends.
            Some(
                ClusterStatus::Deleting
                | ClusterStatus::Creating
                | ClusterStatus::Updating
                | ClusterStatus::Pending,
            ) => return Poll::Pending(status),
            Some(ClusterStatus::Failed) if requested.load(Ordering::Relaxed) => {
                return Poll::Failed(PartError::new(
                    part,
                    format!("deleting EKS cluster `{name}`"),
                    "the delete failed: the cluster is FAILED",
                ))
            }
            _ => {}
        }
        tracing::info!(part, object = %name, "deleting EKS cluster");
        match eks.delete_cluster().name(name).send().await {
            Ok(_) => {
                requested.store(true, Ordering::Relaxed);
                Poll::Pending("DELETING".into())
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(DeleteClusterError::is_resource_not_found_exception) =>
            {
                Poll::Ready(())
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(DeleteClusterError::is_resource_in_use_exception) =>
            {
                Poll::Pending(status)
            }
            Err(e) => Poll::Failed(SERVICE.error(
                part,
                format!("deleting EKS cluster `{name}`"),
                "DeleteCluster",
                &e,
            )),
        }
    })
    .await
    .map_err(PartError::from)
}

#[cfg(test)]
mod settings_tests;

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_eks::operation::create_cluster::CreateClusterOutput;
    use aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput;
    use aws_sdk_eks::operation::update_cluster_config::UpdateClusterConfigOutput;
    use aws_sdk_eks::types::error::{InvalidParameterException, ResourceNotFoundException};
    use aws_sdk_eks::types::{LogType, Update, UpdateStatus};
    use aws_smithy_mocks::{mock, MockResponse};

    use super::super::test_support::{cluster, env, iam, net, owned_tags, spec};
    use super::*;

    fn found(c: Cluster) -> DescribeClusterOutput {
        DescribeClusterOutput::builder().cluster(c).build()
    }

    fn not_found() -> DescribeClusterError {
        DescribeClusterError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("No cluster found for name: mosia-test-eks.")
                .build(),
        )
    }

    #[tokio::test]
    async fn an_owned_cluster_is_adopted_and_left_alone_when_it_matches() {
        let describe = mock!(aws_sdk_eks::Client::describe_cluster)
            .match_requests(|r| r.name() == Some("mosia-test-eks"))
            .then_output(|| found(cluster(ClusterStatus::Active, owned_tags())));
        let create = mock!(aws_sdk_eks::Client::create_cluster)
            .then_output(|| CreateClusterOutput::builder().build());
        let update = mock!(aws_sdk_eks::Client::update_cluster_config)
            .then_output(|| UpdateClusterConfigOutput::builder().build());
        let env = env(&[&describe, &create, &update]);
        let state = ensure_cluster(&env, &spec(), &net(), &iam(), None)
            .await
            .unwrap();
        assert_eq!(state.name, "mosia-test-eks");
        assert_eq!(state.status, "ACTIVE");
        assert_eq!(
            (create.num_calls(), update.num_calls()),
            (0, 0),
            "adopted, nothing changed"
        );
    }

    #[tokio::test]
    async fn a_cluster_of_another_environment_is_refused() {
        let foreign = || {
            let tags = [("mosia:environment".to_string(), "someone-else".to_string())];
            found(cluster(ClusterStatus::Active, tags.into()))
        };
        let describe = mock!(aws_sdk_eks::Client::describe_cluster).then_output(foreign);
        let create = mock!(aws_sdk_eks::Client::create_cluster)
            .then_output(|| CreateClusterOutput::builder().build());
        let env = env(&[&describe, &create]);
        let err = ensure_cluster(&env, &spec(), &net(), &iam(), None)
            .await
            .unwrap_err();
        assert_eq!(err.part, "eks");
        assert!(
            err.detail.contains("not managed by this environment"),
            "{}",
            err.detail
        );
        assert!(
            err.detail.contains("does not carry the ownership tags"),
            "{}",
            err.detail
        );
        assert!(
            err.detail.contains("belongs to environment `someone-else`"),
            "{}",
            err.detail
        );
        assert_eq!(create.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_missing_cluster_is_created_with_the_role_subnets_endpoint_access_and_logging() {
        let describe = mock!(aws_sdk_eks::Client::describe_cluster)
            .sequence()
            .error(not_found)
            .output(|| found(cluster(ClusterStatus::Active, owned_tags())))
            .repeatedly()
            .build();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let seen = sent.clone();
        let create = mock!(aws_sdk_eks::Client::create_cluster).then_compute_output(move |req| {
            seen.lock().unwrap().push(req.clone());
            CreateClusterOutput::builder().build()
        });
        let env = env(&[&describe, &create]);
        let state = ensure_cluster(&env, &spec(), &net(), &iam(), None)
            .await
            .unwrap();
        assert_eq!(state.status, "ACTIVE");
        let reqs = sent.lock().unwrap().clone();
        assert_eq!(reqs.len(), 1, "one CreateCluster");
        let req = &reqs[0];
        assert_eq!(req.name(), Some("mosia-test-eks"));
        assert_eq!(req.role_arn(), Some(iam().cluster_role_arn.as_str()));
        assert_eq!(req.version(), Some("1.31"));
        let vpc = req.resources_vpc_config().unwrap();
        assert_eq!(vpc.subnet_ids(), ["subnet-a", "subnet-b"]);
        assert_eq!(vpc.security_group_ids(), ["sg-eks"]);
        assert_eq!(vpc.endpoint_public_access(), Some(true));
        assert_eq!(vpc.endpoint_private_access(), Some(true));
        assert!(
            vpc.public_access_cidrs().is_empty(),
            "none given: EKS opens to all"
        );
        let logging = req.logging().unwrap().cluster_logging();
        assert_eq!(logging[0].enabled(), Some(true));
        assert_eq!(logging[0].types(), [LogType::Api, LogType::Audit]);
        let tags = req.tags().unwrap();
        assert_eq!(
            tags.get("mosia:environment").map(String::as_str),
            Some("mosia-test")
        );
        assert_eq!(tags.get("mosia:part").map(String::as_str), Some("eks"));
        assert_eq!(tags.get("team").map(String::as_str), Some("platform"));
    }

    fn create_answering(answers: Vec<&'static str>) -> aws_smithy_mocks::Rule {
        let answers = Mutex::new(answers.into_iter());
        mock!(aws_sdk_eks::Client::create_cluster).then_compute_response(move |_| {
            match answers.lock().unwrap().next() {
                Some(m) => MockResponse::Error(CreateClusterError::InvalidParameterException(
                    InvalidParameterException::builder().message(m).build(),
                )),
                None => MockResponse::Output(CreateClusterOutput::builder().build()),
            }
        })
    }

    fn missing_then_active() -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_eks::Client::describe_cluster)
            .sequence()
            .error(not_found)
            .output(|| found(cluster(ClusterStatus::Active, owned_tags())))
            .repeatedly()
            .build()
    }

    #[tokio::test(start_paused = true)]
    async fn a_cluster_role_still_propagating_is_retried_with_terraform_provider_aws_messages() {
        let describe = missing_then_active();
        let create = create_answering(vec![
            "roleArn, arn:aws:iam::123456789012:role/mosia-test-eks-cluster, does not exist",
            "Error in role params",
            "The provided role doesn't have the Amazon EKS Managed Policies associated with it. \
             Please ensure the following policy is attached: arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
            "IAM role's policy must include the `ec2:DescribeSubnets` action",
            "Role could not be assumed because the trusted entity is not correct",
        ]);
        let env = env(&[&describe, &create]);
        let state = ensure_cluster(&env, &spec(), &net(), &iam(), None)
            .await
            .unwrap();
        assert_eq!(state.status, "ACTIVE");
        assert_eq!(create.num_calls(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn a_permanent_create_cluster_error_fails_at_once() {
        let describe = missing_then_active();
        let create = create_answering(vec!["Unsupported Kubernetes minor version 1.19"]);
        let env = env(&[&describe, &create]);
        let err = ensure_cluster(&env, &spec(), &net(), &iam(), None)
            .await
            .unwrap_err();
        assert!(
            err.detail.contains("Unsupported Kubernetes"),
            "{}",
            err.detail
        );
        assert_eq!(create.num_calls(), 1);
    }

    #[tokio::test]
    async fn converge_sends_update_cluster_config_only_for_the_changed_setting() {
        let mut only_api = cluster(ClusterStatus::Active, owned_tags());
        only_api.logging = Some(cluster_update::logging(&["api".to_string()].into()));
        let describe = mock!(aws_sdk_eks::Client::describe_cluster)
            .then_output(move || found(only_api.clone()));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let seen = sent.clone();
        let update =
            mock!(aws_sdk_eks::Client::update_cluster_config).then_compute_output(move |req| {
                seen.lock().unwrap().push(req.clone());
                let done = Update::builder()
                    .id("u-1")
                    .status(UpdateStatus::Successful)
                    .build();
                UpdateClusterConfigOutput::builder().update(done).build()
            });
        let version = mock!(aws_sdk_eks::Client::update_cluster_version).then_output(|| {
            aws_sdk_eks::operation::update_cluster_version::UpdateClusterVersionOutput::builder()
                .build()
        });
        let env = env(&[&describe, &update, &version]);
        ensure_cluster(&env, &spec(), &net(), &iam(), None)
            .await
            .unwrap();
        let reqs = sent.lock().unwrap().clone();
        assert_eq!(reqs.len(), 1, "only the logging differs");
        assert!(
            reqs[0].resources_vpc_config().is_none(),
            "endpoint and subnets unchanged"
        );
        let on = &reqs[0].logging().unwrap().cluster_logging()[0];
        assert_eq!(
            (on.enabled(), on.types()),
            (Some(true), &[LogType::Api, LogType::Audit][..])
        );
        assert_eq!(version.num_calls(), 0);
    }

    #[tokio::test]
    async fn a_cluster_newer_than_configured_is_kept_and_the_rest_converges() {
        // EKS upgrades a cluster on its own at the end of extended support (1.29 configured,
        // 1.31 running): not a forbidden downgrade, nothing is sent for the version.
        let describe = mock!(aws_sdk_eks::Client::describe_cluster)
            .then_output(|| found(cluster(ClusterStatus::Active, owned_tags())));
        let update = mock!(aws_sdk_eks::Client::update_cluster_config).then_output(|| {
            let done = Update::builder()
                .id("u-1")
                .status(UpdateStatus::Successful)
                .build();
            UpdateClusterConfigOutput::builder().update(done).build()
        });
        let version = mock!(aws_sdk_eks::Client::update_cluster_version).then_output(|| {
            aws_sdk_eks::operation::update_cluster_version::UpdateClusterVersionOutput::builder()
                .build()
        });
        let env = env(&[&describe, &update, &version]);
        let mut want = spec();
        want.version = Some("1.29".into());
        want.enabled_log_types = ["scheduler".to_string()].into(); // needs an update
        let state = ensure_cluster(&env, &want, &net(), &iam(), None)
            .await
            .unwrap();
        assert_eq!(state.version, "1.31", "as EKS runs it");
        assert_eq!((update.num_calls(), version.num_calls()), (1, 0));
    }

    #[tokio::test]
    async fn an_upgrade_goes_one_minor_version_at_a_time() {
        let at = |v: &'static str| {
            move || {
                let mut c = cluster(ClusterStatus::Active, owned_tags());
                c.version = Some(v.into());
                found(c)
            }
        };
        let describe = mock!(aws_sdk_eks::Client::describe_cluster)
            .sequence()
            .output(at("1.29"))
            .times(2)
            .output(at("1.30"))
            .output(at("1.31"))
            .repeatedly()
            .build();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let seen = sent.clone();
        let upgrade =
            mock!(aws_sdk_eks::Client::update_cluster_version).then_compute_output(move |req| {
                seen.lock()
                    .unwrap()
                    .push(req.version().unwrap_or_default().to_string());
                let done = Update::builder()
                    .id("u-1")
                    .status(UpdateStatus::Successful)
                    .build();
                aws_sdk_eks::operation::update_cluster_version::UpdateClusterVersionOutput::builder(
                )
                .update(done)
                .build()
            });
        let no_groups = mock!(aws_sdk_eks::Client::list_nodegroups).then_output(|| {
            aws_sdk_eks::operation::list_nodegroups::ListNodegroupsOutput::builder().build()
        });
        let env = env(&[&describe, &upgrade, &no_groups]);
        let state = ensure_cluster(&env, &spec(), &net(), &iam(), None)
            .await
            .unwrap();
        assert_eq!(state.version, "1.31");
        assert_eq!(*sent.lock().unwrap(), ["1.30", "1.31"]);
    }

    #[tokio::test]
    async fn a_wait_that_sees_failed_fails_at_once_naming_it() {
        let describe = mock!(aws_sdk_eks::Client::describe_cluster)
            .sequence()
            .error(not_found)
            .output(|| found(cluster(ClusterStatus::Failed, owned_tags())))
            .repeatedly()
            .build();
        let create = mock!(aws_sdk_eks::Client::create_cluster)
            .then_output(|| CreateClusterOutput::builder().build());
        let env = env(&[&describe, &create]);
        let err = ensure_cluster(&env, &spec(), &net(), &iam(), None)
            .await
            .unwrap_err();
        assert_eq!(err.part, "eks");
        assert!(
            err.detail.contains("unexpected status `FAILED`"),
            "{}",
            err.detail
        );
        assert!(
            err.detail.contains("delete it (`terraform destroy`)"),
            "{}",
            err.detail
        );
        assert_eq!(describe.num_calls(), 2, "the first FAILED ends the wait");
    }

    #[tokio::test]
    async fn a_wait_for_active_fails_at_once_when_the_cluster_is_being_deleted() {
        let describe = mock!(aws_sdk_eks::Client::describe_cluster)
            .then_output(|| found(cluster(ClusterStatus::Deleting, owned_tags())));
        let env = env(&[&describe]);
        let err = wait_cluster_active(&env, "mosia-test-eks")
            .await
            .unwrap_err();
        assert!(
            err.detail.contains("unexpected status `DELETING`"),
            "{}",
            err.detail
        );
        assert!(err.detail.contains("waiting for ACTIVE"), "{}", err.detail);
        assert_eq!(describe.num_calls(), 1);
    }

    #[test]
    fn subnets_brought_in_one_az_are_refused_before_create() {
        let mut one_az = net();
        one_az.availability_zones = vec!["us-east-1a".into(), "us-east-1a".into()];
        let err = desired_cluster(&spec(), &one_az, None)
            .err()
            .expect("one AZ");
        assert!(
            err.detail.contains("2 private subnet(s) are in 1"),
            "{}",
            err.detail
        );
        assert!(desired_cluster(&spec(), &net(), None).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn deleting_a_missing_cluster_removes_what_it_left_behind() {
        use super::super::leftovers::tests::{with_leftovers, Deleted};
        let describe = mock!(aws_sdk_eks::Client::describe_cluster).then_error(not_found);
        let delete = mock!(aws_sdk_eks::Client::delete_cluster).then_output(|| {
            aws_sdk_eks::operation::delete_cluster::DeleteClusterOutput::builder().build()
        });
        let deleted = Deleted::default();
        let eks = crate::mock_client!(aws_sdk_eks, [&describe, &delete]);
        let env = crate::aws::testing::env(with_leftovers(
            crate::aws::AwsContext::offline().with_eks(eks),
            &deleted,
        ));
        delete_cluster(&env).await.unwrap();
        assert_eq!(read_cluster(&env).await.unwrap(), None);
        assert_eq!(delete.num_calls(), 0);
        let deleted = deleted.lock().unwrap().clone();
        assert_eq!(deleted.len(), 6, "{deleted:?}");
        assert_eq!(deleted[5], "log /aws/eks/mosia-test-eks/cluster");
    }
}
