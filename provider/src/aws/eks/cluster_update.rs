//! In-place changes of an ACTIVE EKS cluster, one EKS update at a time (EKS runs one per
//! cluster): tags, the Kubernetes version ([`super::upgrade`]), subnets and security
//! groups, endpoint access, control plane logging, the authentication mode (one step
//! towards `API` per update), the upgrade policy, and secrets encryption turned on
//! (AssociateEncryptionConfig). What EKS cannot do (move the mode back, remove or change
//! the encryption key) is refused before anything changes. Each update is
//! awaited through DescribeUpdate, then the cluster until it is ACTIVE again. Also the
//! DescribeUpdate wait of node group updates.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_eks::types::{
    Cluster, LogSetup, LogType, Logging, Update, UpdateAccessConfigRequest, UpdateStatus,
    UpgradePolicyRequest, VpcConfigRequest,
};

use super::super::part::{PartEnv, PartId};
use super::super::wait::{AwsKind, Statuses};
use super::cluster::{
    authentication_mode_of, cluster_state, encryption_key_of, secrets_encryption, support_type_of,
    wait_cluster_active, DesiredCluster, EksClusterState, CLUSTER_WAIT,
};
use super::upgrade::{upgrade_version, version_change, VersionChange};
use super::{sync_tags, tag_map, AuthenticationMode, ANY_IPV4, LOG_TYPES, PART, SERVICE};
use crate::engine::{PartError, Poll};

/// An EKS update (DescribeUpdate): `Failed` and `Cancelled` fail with the errors EKS lists.
const UPDATE_DONE: Statuses = Statuses {
    pending: &["InProgress"],
    target: &["Successful"],
};
const NODE_GROUP_UPDATE_WAIT: Duration = Duration::from_secs(45 * 60);

/// The logging configuration enabling `enabled` and disabling every other type.
pub(super) fn logging(enabled: &BTreeSet<String>) -> Logging {
    let on: Vec<LogType> = enabled.iter().map(|t| LogType::from(t.as_str())).collect();
    let off: Vec<LogType> = LOG_TYPES
        .iter()
        .filter(|t| !enabled.contains(**t))
        .map(|t| LogType::from(*t))
        .collect();
    let mut b = Logging::builder();
    for (types, on) in [(on, true), (off, false)] {
        if !types.is_empty() {
            b = b.cluster_logging(
                LogSetup::builder()
                    .set_types(Some(types))
                    .enabled(on)
                    .build(),
            );
        }
    }
    b.build()
}

pub(super) fn enabled_log_types(c: &Cluster) -> BTreeSet<String> {
    c.logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|s| s.enabled() == Some(true))
        .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
        .collect()
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

/// The CIDRs EKS applies for `public_access_cidrs` (empty means open to all).
pub(super) fn effective_cidrs(cidrs: &[String]) -> Vec<String> {
    if cidrs.is_empty() {
        vec![ANY_IPV4.to_string()]
    } else {
        sorted(cidrs)
    }
}

/// In-place changes of an ACTIVE cluster; refuses what EKS cannot do before changing anything.
pub(super) async fn converge_cluster(
    env: &PartEnv,
    name: &str,
    want: &DesiredCluster,
    mut cluster: Cluster,
) -> Result<EksClusterState, PartError> {
    let part = PartId::EksCluster.to_string();
    let change = version_change(
        want.version.as_deref(),
        cluster.version().unwrap_or_default(),
    )
    .map_err(|detail| PartError::new(&part, format!("updating EKS cluster `{name}`"), detail))?;
    one_way_refusal(want, &cluster).map_err(|detail| {
        PartError::new(&part, format!("updating EKS cluster `{name}`"), detail)
    })?;
    sync_tags(
        env,
        &part,
        &format!("EKS cluster `{name}`"),
        cluster.arn().unwrap_or_default(),
        &tag_map(cluster.tags()),
        &env.tags_for(PART),
    )
    .await?;
    match change {
        VersionChange::Upgrade(major, minor) => {
            cluster = upgrade_version(env, name, cluster, (major, minor)).await?;
        }
        VersionChange::Newer => {
            tracing::warn!(part = %part, object = %name, have = cluster.version().unwrap_or_default(), want = want.version.as_deref().unwrap_or_default(), "the cluster runs a newer Kubernetes version than configured (EKS cannot downgrade); leaving it");
        }
        VersionChange::Same => {}
    }
    cluster = update_network(env, name, want, cluster).await?;
    cluster = update_endpoint_access(env, name, want, cluster).await?;
    cluster = update_logging(env, name, want, cluster).await?;
    cluster = update_authentication_mode(env, name, want, cluster).await?;
    cluster = update_upgrade_policy(env, name, want, cluster).await?;
    cluster = associate_encryption(env, name, want, cluster).await?;
    let mut state = cluster_state(&cluster);
    // The describe may predate the tag sync above; the tags are now what was asked.
    state.tags = env.tags_for(PART);
    tracing::info!(part = %part, object = %name, status = %state.status, version = %state.version, "EKS cluster ready");
    Ok(state)
}

/// Waits for the update EKS started (when it reported one), then for the cluster to be
/// ACTIVE again; returns it as it is then.
pub(super) async fn finish_cluster_update(
    env: &PartEnv,
    name: &str,
    update: Option<&Update>,
    what: &str,
) -> Result<Cluster, PartError> {
    if let Some(u) = update {
        let part = PartId::EksCluster.to_string();
        let of = UpdateOf {
            part: &part,
            kind: AwsKind::EksCluster,
            cluster: name,
            nodegroup: None,
        };
        wait_update(env, &of, u, what).await?;
    }
    wait_cluster_active(env, name).await
}

/// Subnets and security groups.
async fn update_network(
    env: &PartEnv,
    name: &str,
    want: &DesiredCluster,
    cluster: Cluster,
) -> Result<Cluster, PartError> {
    let vpc = cluster.resources_vpc_config();
    let have_subnets = sorted(vpc.map(|v| v.subnet_ids()).unwrap_or_default());
    let have_sgs = sorted(vpc.map(|v| v.security_group_ids()).unwrap_or_default());
    if have_subnets == sorted(&want.subnet_ids) && have_sgs == sorted(&want.security_group_ids) {
        return Ok(cluster);
    }
    let what = format!("updating subnets and security groups of EKS cluster `{name}`");
    tracing::info!(part = PART, object = %name, "updating cluster subnets / security groups");
    let vpc = VpcConfigRequest::builder()
        .set_subnet_ids(Some(want.subnet_ids.clone()))
        .set_security_group_ids(Some(want.security_group_ids.clone()))
        .build();
    update_config(env, name, &what, |r| r.resources_vpc_config(vpc)).await
}

/// Public / private endpoint and the public CIDRs.
async fn update_endpoint_access(
    env: &PartEnv,
    name: &str,
    want: &DesiredCluster,
    cluster: Cluster,
) -> Result<Cluster, PartError> {
    let vpc = cluster.resources_vpc_config();
    let have_public = vpc.map(|v| v.endpoint_public_access()).unwrap_or(false);
    let have_private = vpc.map(|v| v.endpoint_private_access()).unwrap_or(false);
    let have_cidrs = effective_cidrs(vpc.map(|v| v.public_access_cidrs()).unwrap_or_default());
    let cidrs_differ = want.public && have_cidrs != effective_cidrs(&want.cidrs);
    if have_public == want.public && have_private == want.private && !cidrs_differ {
        return Ok(cluster);
    }
    let what = format!("updating endpoint access of EKS cluster `{name}`");
    tracing::info!(part = PART, object = %name, public = want.public, private = want.private, "updating endpoint access");
    let mut req = VpcConfigRequest::builder()
        .endpoint_public_access(want.public)
        .endpoint_private_access(want.private);
    if want.public {
        req = req.set_public_access_cidrs(Some(effective_cidrs(&want.cidrs)));
    }
    let vpc = req.build();
    update_config(env, name, &what, |r| r.resources_vpc_config(vpc)).await
}

/// Control plane log types.
async fn update_logging(
    env: &PartEnv,
    name: &str,
    want: &DesiredCluster,
    cluster: Cluster,
) -> Result<Cluster, PartError> {
    if enabled_log_types(&cluster) == want.log_types {
        return Ok(cluster);
    }
    let what = format!("updating control plane logging of EKS cluster `{name}`");
    tracing::info!(part = PART, object = %name, types = ?want.log_types, "updating control plane logging");
    let logging = logging(&want.log_types);
    update_config(env, name, &what, |r| r.logging(logging)).await
}

/// Why `want` cannot be reached from what the cluster runs: a mode EKS cannot go back
/// from, encryption that cannot be removed or whose key cannot change. The plan refuses
/// these; this catches a cluster changed behind the state's back.
pub(super) fn one_way_refusal(want: &DesiredCluster, c: &Cluster) -> Result<(), String> {
    let mode = authentication_mode_of(c);
    if !mode.can_move_to(want.authentication_mode) {
        return Err(format!(
            "the cluster's authentication mode is {mode}; EKS moves it only towards API, never \
             back to {}: set authentication_mode = \"{mode}\", or replace the cluster",
            want.authentication_mode
        ));
    }
    match (encryption_key_of(c), &want.encryption_key_arn) {
        (Some(have), None) => Err(format!(
            "the cluster encrypts its secrets with {have}; EKS cannot turn secrets encryption \
             off: set secrets_encryption = true, or replace the cluster"
        )),
        (Some(have), Some(key)) if have != *key => Err(format!(
            "the cluster encrypts its secrets with {have}; EKS cannot change the key to {key}: \
             set kms_key_arn = \"{have}\", or replace the cluster"
        )),
        _ => Ok(()),
    }
}

/// The next authentication mode on the way from `have` to `want` (EKS takes one step per
/// update: CONFIG_MAP → API_AND_CONFIG_MAP → API); None when there.
pub(super) fn next_mode(
    have: AuthenticationMode,
    want: AuthenticationMode,
) -> Option<AuthenticationMode> {
    if have >= want {
        return None;
    }
    Some(match have {
        AuthenticationMode::ConfigMap => AuthenticationMode::ApiAndConfigMap,
        _ => AuthenticationMode::Api,
    })
}

/// The authentication mode, towards `API` one step per update.
async fn update_authentication_mode(
    env: &PartEnv,
    name: &str,
    want: &DesiredCluster,
    mut cluster: Cluster,
) -> Result<Cluster, PartError> {
    while let Some(next) = next_mode(authentication_mode_of(&cluster), want.authentication_mode) {
        let what = format!("moving EKS cluster `{name}` to authentication mode {next}");
        tracing::info!(part = PART, object = %name, mode = %next, "updating the authentication mode");
        let access = UpdateAccessConfigRequest::builder()
            .authentication_mode(next.as_str().into())
            .build();
        cluster = update_config(env, name, &what, |r| r.access_config(access)).await?;
    }
    Ok(cluster)
}

/// The support type at the end of standard support.
async fn update_upgrade_policy(
    env: &PartEnv,
    name: &str,
    want: &DesiredCluster,
    cluster: Cluster,
) -> Result<Cluster, PartError> {
    if support_type_of(&cluster) == want.support_type {
        return Ok(cluster);
    }
    let what = format!(
        "setting the upgrade policy of EKS cluster `{name}` to {}",
        want.support_type
    );
    tracing::info!(part = PART, object = %name, support_type = %want.support_type, "updating the upgrade policy");
    let policy = UpgradePolicyRequest::builder()
        .support_type(want.support_type.as_str().into())
        .build();
    update_config(env, name, &what, |r| r.upgrade_policy(policy)).await
}

/// Secrets encryption turned on for a cluster created without it (AssociateEncryptionConfig).
async fn associate_encryption(
    env: &PartEnv,
    name: &str,
    want: &DesiredCluster,
    cluster: Cluster,
) -> Result<Cluster, PartError> {
    let (None, Some(key)) = (encryption_key_of(&cluster), &want.encryption_key_arn) else {
        return Ok(cluster);
    };
    let what = format!("turning on secrets encryption of EKS cluster `{name}` with {key}");
    tracing::info!(part = PART, object = %name, key = %key, "associating the secrets encryption key");
    let config = secrets_encryption(key);
    let out = env
        .aws
        .eks()
        .associate_encryption_config()
        .cluster_name(name)
        .encryption_config(config)
        .send()
        .await
        .map_err(|e| SERVICE.error(&PartId::EksCluster, &what, "AssociateEncryptionConfig", &e))?;
    finish_cluster_update(env, name, out.update(), &what).await
}

type UpdateClusterConfig =
    aws_sdk_eks::operation::update_cluster_config::builders::UpdateClusterConfigFluentBuilder;

/// Sends one UpdateClusterConfig (`set` adds the setting) and waits until it is applied.
async fn update_config(
    env: &PartEnv,
    name: &str,
    what: &str,
    set: impl FnOnce(UpdateClusterConfig) -> UpdateClusterConfig,
) -> Result<Cluster, PartError> {
    let out = set(env.aws.eks().update_cluster_config().name(name))
        .send()
        .await
        .map_err(|e| SERVICE.error(&PartId::EksCluster, what, "UpdateClusterConfig", &e))?;
    finish_cluster_update(env, name, out.update(), what).await
}

/// What an EKS update belongs to: the part waiting, the cluster and, for a node group
/// update, the node group.
pub(super) struct UpdateOf<'a> {
    pub part: &'a str,
    pub kind: AwsKind,
    pub cluster: &'a str,
    pub nodegroup: Option<&'a str>,
}

/// "Code: message; ..." of a failed update.
fn update_errors(u: &Update) -> String {
    let errs: Vec<String> = u
        .errors()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e.error_code().map(|c| c.as_str()).unwrap_or("Unknown"),
                e.error_message().unwrap_or("no message")
            )
        })
        .collect();
    if errs.is_empty() {
        "no details".into()
    } else {
        errs.join("; ")
    }
}

/// Waits for a cluster or node group update (DescribeUpdate) to succeed.
pub(super) async fn wait_update(
    env: &PartEnv,
    of: &UpdateOf<'_>,
    update: &Update,
    what: &str,
) -> Result<(), PartError> {
    let part = of.part;
    let Some(id) = update.id() else {
        return Err(PartError::new(
            part,
            what,
            "EKS answered without an update id",
        ));
    };
    if update.status() == Some(&UpdateStatus::Successful) {
        return Ok(());
    }
    let eks = env.aws.eks();
    let timeout = if of.kind == AwsKind::EksCluster {
        CLUSTER_WAIT
    } else {
        NODE_GROUP_UPDATE_WAIT
    };
    env.waiter(part, of.kind, format!("{what} (update {id})"))
        .timeout(timeout)
        .until(|| async move {
            let req = eks
                .describe_update()
                .name(of.cluster)
                .update_id(id)
                .set_nodegroup_name(of.nodegroup.map(str::to_string));
            let out = match req.send().await {
                Ok(out) => out,
                Err(e) => return Poll::Failed(SERVICE.error(part, what, "DescribeUpdate", &e)),
            };
            let Some(u) = out.update() else {
                return Poll::Pending("unknown".into());
            };
            match u.status() {
                Some(s @ (UpdateStatus::Failed | UpdateStatus::Cancelled)) => {
                    Poll::Failed(PartError::new(
                        part,
                        what,
                        format!("EKS update {id} {}: {}", s.as_str(), update_errors(u)),
                    ))
                }
                s => UPDATE_DONE.poll(part, what, s.map(UpdateStatus::as_str), || ()),
            }
        })
        .await
        .map_err(PartError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_cidrs_mean_everyone() {
        assert_eq!(effective_cidrs(&[]), vec![ANY_IPV4.to_string()]);
        assert_eq!(
            effective_cidrs(&[
                "10.0.0.0/8".into(),
                "1.2.3.4/32".into(),
                "10.0.0.0/8".into()
            ]),
            vec!["1.2.3.4/32".to_string(), "10.0.0.0/8".to_string()]
        );
    }

    #[test]
    fn logging_enables_and_disables() {
        let l = logging(
            &["api".to_string(), "audit".to_string()]
                .into_iter()
                .collect(),
        );
        let setups = l.cluster_logging();
        assert_eq!(setups.len(), 2);
        assert_eq!(setups[0].enabled(), Some(true));
        assert_eq!(setups[0].types().len(), 2);
        assert_eq!(setups[1].enabled(), Some(false));
        assert_eq!(setups[1].types().len(), 3);
        let all: BTreeSet<String> = LOG_TYPES.iter().map(|s| s.to_string()).collect();
        assert_eq!(logging(&all).cluster_logging().len(), 1);
        assert_eq!(logging(&BTreeSet::new()).cluster_logging().len(), 1);
    }
}
