//! The replication group `{env}-cache`: finding it and its primary member, its statuses and
//! waits, creating or adopting it ([`ensure`]) and reading it ([`read`]).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_elasticache::operation::create_replication_group::CreateReplicationGroupError;
use aws_sdk_elasticache::operation::describe_cache_clusters::DescribeCacheClustersError;
use aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsError;
use aws_sdk_elasticache::types::{
    AutomaticFailoverStatus, CacheCluster, MultiAzStatus, ReplicationGroup,
};
use aws_smithy_runtime_api::client::result::SdkError;

use super::input::CacheAuthentication;
use super::parameter_group;
use super::subnet_group::ensure_subnet_group;
use super::{
    auth_token, delete, list_tags, replication_group_id, sdk_tags, sync_tags, update, users,
};
use super::{ElastiCacheSpec, ElastiCacheState, CREATE_TIMEOUT, MAX_ID_LEN, MAX_REPLICAS};
use super::{PART, SECURITY_GROUP_KEY, SERVICE};
use crate::aws::errors;
use crate::aws::network::NetworkState;
use crate::aws::part::{not_ours, PartEnv};
use crate::aws::wait::{AwsKind, Statuses};
use crate::engine::{NotFoundGrace, PartError, Poll};

/// On the way to `available` (after a create or a modification). `create-failed` fails with
/// its own message; any other status fails the wait at once.
pub(super) const REPLICATION_GROUP_AVAILABLE: Statuses = Statuses {
    pending: &["creating", "modifying", "snapshotting"],
    target: &["available"],
};

// ---------------------------------------------------------------------------------------------
// Find

type DescribeGroupError =
    SdkError<DescribeReplicationGroupsError, aws_smithy_runtime_api::http::Response>;

async fn describe_replication_group(
    env: &PartEnv,
    id: &str,
) -> Result<Option<ReplicationGroup>, DescribeGroupError> {
    errors::found(
        env.aws
            .elasticache()
            .describe_replication_groups()
            .replication_group_id(id)
            .send()
            .await,
        DescribeReplicationGroupsError::is_replication_group_not_found_fault,
    )
    .map(|out| out.and_then(|o| o.replication_groups().first().cloned()))
}

fn describe_error(summary: impl Into<String>, e: &DescribeGroupError) -> PartError {
    SERVICE.error(&PART, summary, "DescribeReplicationGroups", e)
}

/// The replication group `{env}-cache`; None when ElastiCache answers
/// ReplicationGroupNotFoundFault.
pub(super) async fn find_replication_group(
    env: &PartEnv,
) -> Result<Option<ReplicationGroup>, PartError> {
    let id = replication_group_id(env);
    describe_replication_group(env, &id)
        .await
        .map_err(|e| describe_error(format!("describing replication group `{id}`"), &e))
}

/// The cache cluster ID of the group's primary (its first member when none says so).
pub(super) fn primary_member_id(rg: &ReplicationGroup) -> Option<&str> {
    rg.node_groups()
        .first()
        .and_then(|ng| {
            ng.node_group_members()
                .iter()
                .find(|m| m.current_role() == Some("primary"))
                .or_else(|| ng.node_group_members().first())
        })
        .and_then(|m| m.cache_cluster_id())
        .or_else(|| rg.member_clusters().first().map(String::as_str))
}

/// The member cluster that carries the engine version and security groups: the primary.
pub(super) async fn find_primary_member(
    env: &PartEnv,
    rg: &ReplicationGroup,
) -> Result<Option<CacheCluster>, PartError> {
    let Some(member) = primary_member_id(rg) else {
        return Ok(None);
    };
    errors::found(
        env.aws
            .elasticache()
            .describe_cache_clusters()
            .cache_cluster_id(member)
            .send()
            .await,
        DescribeCacheClustersError::is_cache_cluster_not_found_fault,
    )
    .map(|out| out.and_then(|o| o.cache_clusters().first().cloned()))
    .map_err(|e| {
        SERVICE.error(
            &PART,
            format!("describing cache cluster `{member}`"),
            "DescribeCacheClusters",
            &e,
        )
    })
}

// ---------------------------------------------------------------------------------------------
// What AWS says, as state

pub(super) fn replica_count(rg: &ReplicationGroup) -> u32 {
    match rg.node_groups().first() {
        Some(ng) if !ng.node_group_members().is_empty() => ng.node_group_members().len() as u32 - 1,
        _ => (rg.member_clusters().len() as u32).saturating_sub(1),
    }
}

pub(super) fn failover_on(rg: &ReplicationGroup) -> bool {
    matches!(
        rg.automatic_failover(),
        Some(AutomaticFailoverStatus::Enabled | AutomaticFailoverStatus::Enabling)
    )
}

pub(super) fn multi_az_on(rg: &ReplicationGroup) -> bool {
    matches!(rg.multi_az(), Some(MultiAzStatus::Enabled))
}

pub(super) fn state_of(rg: &ReplicationGroup, member: Option<&CacheCluster>) -> ElastiCacheState {
    let ng = rg.node_groups().first();
    let primary = ng.and_then(|n| n.primary_endpoint());
    let pending = pending_of(member);
    let mut state = ElastiCacheState {
        replication_group_id: rg.replication_group_id().unwrap_or_default().to_string(),
        arn: rg.arn().unwrap_or_default().to_string(),
        primary_endpoint: primary
            .and_then(|e| e.address())
            .or_else(|| rg.configuration_endpoint().and_then(|e| e.address()))
            .unwrap_or_default()
            .to_string(),
        reader_endpoint: ng
            .and_then(|n| n.reader_endpoint())
            .and_then(|e| e.address())
            .map(str::to_string),
        port: primary
            .and_then(|e| e.port())
            .or_else(|| rg.configuration_endpoint().and_then(|e| e.port()))
            .unwrap_or(0),
        engine_version: member
            .and_then(|m| m.engine_version())
            .unwrap_or_default()
            .to_string(),
        node_type: rg.cache_node_type().unwrap_or_default().to_string(),
        running_node_type: rg.cache_node_type().unwrap_or_default().to_string(),
        replicas: replica_count(rg),
        automatic_failover: failover_on(rg),
        multi_az: multi_az_on(rg),
        status: rg.status().unwrap_or_default().to_string(),
        engine: rg
            .engine()
            .or_else(|| member.and_then(|m| m.engine()))
            .unwrap_or_default()
            .to_string(),
        at_rest_encryption: rg.at_rest_encryption_enabled().unwrap_or(false),
        kms_key_arn: rg.kms_key_id().map(str::to_string),
        transit_encryption: rg.transit_encryption_enabled().unwrap_or(false),
        security_group_ids: member
            .map(|m| {
                m.security_groups()
                    .iter()
                    .filter_map(|g| g.security_group_id().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        user_group_ids: rg.user_group_ids().to_vec(),
        users: Default::default(),
        auth_token_enabled: rg.auth_token_enabled().unwrap_or(false),
        auth_secret_arn: None,
        maintenance_window: member
            .and_then(|m| m.preferred_maintenance_window())
            .unwrap_or_default()
            .to_string(),
        parameter_group: member
            .and_then(|m| m.cache_parameter_group())
            .and_then(|g| g.cache_parameter_group_name())
            .unwrap_or_default()
            .to_string(),
        parameters: None,
        snapshot_retention_days: rg.snapshot_retention_limit().map_or(0, |d| d.max(0) as u32),
        warnings: Vec::new(),
        pending: BTreeMap::new(),
    };
    // What waits for the window counts as the value (a plan is empty, `changes` sends
    // nothing more); `pending` says it is not running yet.
    if let Some(t) = pending.get("node_type") {
        state.node_type.clone_from(t);
    }
    if let Some(v) = pending.get("engine_version") {
        state.engine_version.clone_from(v);
    }
    state.pending = pending;
    state
}

/// The node type and engine version a member holds for the maintenance window (the API
/// keeps them on each cache cluster, not on the replication group).
fn pending_of(member: Option<&CacheCluster>) -> BTreeMap<String, String> {
    let Some(p) = member.and_then(CacheCluster::pending_modified_values) else {
        return BTreeMap::new();
    };
    [
        ("node_type", p.cache_node_type()),
        ("engine_version", p.engine_version()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.to_string())))
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Waits

/// Polls the replication group until `check` says it is done. A transient describe error is
/// one more pending poll.
pub(super) async fn wait_replication_group<T>(
    env: &PartEnv,
    what: String,
    timeout: Duration,
    check: impl Fn(Option<&ReplicationGroup>) -> Poll<T, PartError>,
) -> Result<T, PartError> {
    let check = &check;
    let id = replication_group_id(env);
    let id = id.as_str();
    let part = PART.to_string();
    env.waiter(&part, AwsKind::ElastiCache, what)
        .timeout(timeout)
        .until(move || async move {
            match describe_replication_group(env, id).await {
                Ok(rg) => check(rg.as_ref()),
                Err(e) if SERVICE.is_transient(&e) => Poll::Pending(format!(
                    "describe failed, retrying: {}",
                    errors::diagnostic("ElastiCache DescribeReplicationGroups", &e).detail
                )),
                Err(e) => Poll::Failed(describe_error("waiting for the replication group", &e)),
            }
        })
        .await
        .map_err(PartError::from)
}

/// One poll of a wait for `available`: ready when the group is available and `settled`
/// holds (the change is visible). `create-failed` fails with its own message, other statuses
/// follow [`REPLICATION_GROUP_AVAILABLE`]; a group not found yet is pending for a few polls.
pub(super) fn available_poll(
    action: &str,
    grace: &NotFoundGrace,
    rg: Option<&ReplicationGroup>,
    settled: impl Fn(&ReplicationGroup) -> bool,
) -> Poll<ReplicationGroup, PartError> {
    let part = PART.to_string();
    let Some(rg) = rg else {
        return grace.missed(
            &part,
            format!("{action} the replication group"),
            "replication group",
        );
    };
    let id = rg.replication_group_id().unwrap_or_default();
    match rg.status() {
        Some(status @ "create-failed") => Poll::Failed(PartError::new(
            &PART,
            format!("{action} replication group `{id}`"),
            format!("the replication group went to status `{status}`"),
        )),
        status => match REPLICATION_GROUP_AVAILABLE.poll(
            &part,
            &format!("replication group `{id}`"),
            status,
            || (),
        ) {
            Poll::Ready(()) if !settled(rg) => {
                Poll::Pending("available, changes not visible yet".into())
            }
            Poll::Ready(()) => Poll::Ready(rg.clone()),
            Poll::Pending(s) => Poll::Pending(s),
            Poll::Failed(e) => Poll::Failed(e),
        },
    }
}

/// Waits for `what` (`action` names the change in errors): until the group is available
/// and `settled` holds; returns it.
pub(super) async fn wait_replication_group_available(
    env: &PartEnv,
    what: String,
    action: &str,
    timeout: Duration,
    settled: impl Fn(&ReplicationGroup) -> bool,
) -> Result<ReplicationGroup, PartError> {
    let grace = NotFoundGrace::default();
    wait_replication_group(env, what, timeout, |rg| {
        available_poll(action, &grace, rg, &settled)
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Ensure

fn validate(env: &PartEnv, spec: &ElastiCacheSpec) -> Result<(), PartError> {
    let id = replication_group_id(env);
    let fail = |detail: String| {
        Err(PartError::new(
            &PART,
            format!("configuring replication group `{id}`"),
            detail,
        ))
    };
    if id.len() > MAX_ID_LEN {
        return fail(format!(
            "`{id}` is longer than the {MAX_ID_LEN} characters ElastiCache allows for a \
             replication group id: use a shorter environment name"
        ));
    }
    if spec.replicas > MAX_REPLICAS {
        return fail(format!(
            "replicas = {} is more than the {MAX_REPLICAS} ElastiCache allows",
            spec.replicas
        ));
    }
    if spec.automatic_failover && spec.replicas == 0 {
        return fail("automatic_failover needs at least one replica".into());
    }
    if spec.multi_az && !spec.automatic_failover {
        return fail("multi_az needs automatic_failover".into());
    }
    Ok(())
}

/// Why a replication group with these encryption settings must be replaced to become
/// `spec`: ElastiCache sets encryption at rest only at creation, and Mosia does not run the
/// two-step in-transit migration that interrupts clients. Empty when nothing forces it.
/// Also used at plan time, to warn before the apply.
pub fn replacement_reasons(
    have_at_rest: bool,
    have_transit: bool,
    have_auth_token: bool,
    spec: &ElastiCacheSpec,
) -> Vec<String> {
    let word = |on: bool| if on { "on" } else { "off" };
    let mut reasons = Vec::new();
    if have_at_rest != spec.at_rest_encryption {
        reasons.push(format!(
            "encryption at rest {} → {}: ElastiCache sets it only when a cache is created",
            word(have_at_rest),
            word(spec.at_rest_encryption)
        ));
    }
    if have_transit != spec.transit_encryption {
        reasons.push(format!(
            "encryption in transit {} → {}: changing it in place needs a migration that interrupts clients",
            word(have_transit),
            word(spec.transit_encryption)
        ));
    }
    if have_auth_token && spec.authentication == CacheAuthentication::None {
        reasons.push(
            "authentication token → none: ElastiCache removes an AUTH token in place only when \
             the cache moves to IAM authentication"
                .into(),
        );
    }
    reasons
}

/// Why a replication group encrypted with `have` must be replaced: its key is one the
/// environment left (decided by the plan, see `DataKey::replaces`).
fn key_replacement_reason(have: Option<&str>, spec: &ElastiCacheSpec) -> Option<String> {
    spec.kms_key.replaces(have).then(|| {
        let to = spec.kms_key.arn.as_deref();
        format!(
            "KMS key `{}` → {}: ElastiCache sets the key only when a cache is created",
            have.unwrap_or_default(),
            to.map_or("the AWS-managed key".to_string(), |k| format!("`{k}`"))
        )
    })
}

/// What a replication group is created in and with, besides `spec`: decided by `ensure`
/// before the group is touched.
struct Placement<'a> {
    subnet_group: &'a str,
    security_group: &'a str,
    secret: Option<&'a auth_token::AuthSecret>,
    parameter_group: Option<&'a str>,
}

/// Converges the subnet group and the replication group to `spec`; waits until available.
pub async fn ensure(
    env: &PartEnv,
    spec: &ElastiCacheSpec,
    net: &NetworkState,
) -> Result<ElastiCacheState, PartError> {
    validate(env, spec)?;
    let id = replication_group_id(env);
    let sg = net
        .security_group_ids
        .get(SECURITY_GROUP_KEY)
        .cloned()
        .ok_or_else(|| {
            PartError::new(
                &PART,
                format!("creating replication group `{id}`"),
                "the network has no `elasticache` security group",
            )
        })?;
    let subnet_group = ensure_subnet_group(env, net).await?;
    // The users and their group exist before the cache starts using them.
    let cache_users = match spec.authentication {
        CacheAuthentication::Iam => users::ensure(env, spec).await?,
        CacheAuthentication::Token | CacheAuthentication::None => Default::default(),
    };
    let secret = match spec.authentication {
        CacheAuthentication::Token => {
            Some(auth_token::ensure_secret(env, spec.kms_key.arn.as_deref()).await?)
        }
        _ => None,
    };
    let parameter_group = parameter_group::ensure_parameter_group(env, spec).await?;
    super::log_delivery::ensure_log_groups(env, spec).await?;
    let placement = Placement {
        subnet_group: &subnet_group,
        security_group: &sg,
        secret: secret.as_ref(),
        parameter_group: parameter_group.as_deref(),
    };
    let mut warnings = Vec::new();
    // `member` is the primary's cache cluster when `update` changed nothing (still current).
    let (rg, member) = match find_replication_group(env).await? {
        None => (create(env, spec, &placement).await?, None),
        Some(rg) => {
            let arn = rg.arn().unwrap_or_default().to_string();
            let tags = list_tags(env, &arn).await?;
            if !env.owns(PART.tag(), &tags) {
                return Err(not_ours(env, &PART, "replication group", &id, &tags));
            }
            let mut reasons = replacement_reasons(
                rg.at_rest_encryption_enabled().unwrap_or(false),
                rg.transit_encryption_enabled().unwrap_or(false),
                rg.auth_token_enabled().unwrap_or(false),
                spec,
            );
            reasons.extend(key_replacement_reason(rg.kms_key_id(), spec));
            if reasons.is_empty() {
                sync_tags(env, &arn, &tags).await?;
                let (rg, member) =
                    update::update(env, spec, rg, &sg, placement.parameter_group).await?;
                let rotated = match &secret {
                    Some(s) => auth_token::converge(env, &rg, s).await?,
                    None => None,
                };
                match rotated {
                    Some(rg) => (rg, None),
                    None => (rg, member),
                }
            } else {
                // Set at creation only: this cache is replaced (its data is lost), nothing else.
                tracing::info!(part = %PART, object = %id, reasons = ?reasons, "replacing replication group");
                warnings.push(format!(
                    "replication group `{id}` replaced: {}",
                    reasons.join("; ")
                ));
                let snapshot = delete::final_snapshot(env, spec, crate::aws::now_secs());
                delete::delete_replication_group(env, snapshot).await?;
                (create(env, spec, &placement).await?, None)
            }
        }
    };
    let (rg, member) = match super::log_delivery::converge(env, spec, &rg).await? {
        Some(changed) => (changed, None),
        None => (rg, member),
    };
    let member = match member {
        Some(m) => Some(m),
        None => find_primary_member(env, &rg).await?,
    };
    let mut state = state_of(&rg, member.as_ref());
    drop_unused_authentication(env, spec).await?;
    state.users = cache_users;
    state.auth_secret_arn = secret.map(|s| s.arn);
    state.parameters = parameter_group.map(|_| spec.parameters.clone());
    for w in &warnings {
        tracing::warn!(part = %PART, object = %id, "{w}");
    }
    state.warnings = warnings;
    tracing::info!(part = %PART, object = %id, status = %state.status, node_type = %state.node_type, replicas = state.replicas, "replication group ready");
    Ok(state)
}

/// The users and user group, or the token's secret, the authentication no longer uses:
/// deleted only once the cache has stopped using them.
async fn drop_unused_authentication(
    env: &PartEnv,
    spec: &ElastiCacheSpec,
) -> Result<(), PartError> {
    if spec.authentication != CacheAuthentication::Iam
        && users::find_user_group(env).await?.is_some()
    {
        users::delete(env).await?;
    }
    if spec.authentication != CacheAuthentication::Token {
        auth_token::delete_secret(env).await?;
    }
    Ok(())
}

/// Creates the replication group and waits until it is available. A group created
/// meanwhile (ReplicationGroupAlreadyExistsFault) is adopted when it is ours.
async fn create(
    env: &PartEnv,
    spec: &ElastiCacheSpec,
    at: &Placement<'_>,
) -> Result<ReplicationGroup, PartError> {
    let token = match at.secret {
        Some(s) => Some(auth_token::token(env, s).await?),
        None => None,
    };
    let id = replication_group_id(env);
    tracing::info!(part = %PART, object = %id, engine = %spec.engine, node_type = %spec.node_type, replicas = spec.replicas, "creating replication group");
    let result = env
        .aws
        .elasticache()
        .create_replication_group()
        .replication_group_id(&id)
        .replication_group_description(format!("Mosia environment {}", env.name))
        .engine(spec.engine.as_str())
        .cache_node_type(&spec.node_type)
        .num_cache_clusters(1 + spec.replicas as i32)
        .automatic_failover_enabled(spec.automatic_failover)
        .multi_az_enabled(spec.multi_az)
        .at_rest_encryption_enabled(spec.at_rest_encryption)
        .set_kms_key_id(spec.kms_key.arn.clone().filter(|_| spec.at_rest_encryption))
        .transit_encryption_enabled(spec.transit_encryption)
        .cache_subnet_group_name(at.subnet_group)
        .security_group_ids(at.security_group)
        .set_tags(Some(sdk_tags(&env.tags_for(PART.tag()))))
        .set_engine_version(spec.engine_version.clone())
        .set_user_group_ids(wanted_user_groups(env, spec))
        .set_auth_token(token)
        .set_preferred_maintenance_window(spec.maintenance_window.clone())
        .set_cache_parameter_group_name(at.parameter_group.map(str::to_string))
        .set_log_delivery_configurations(super::log_delivery::on_create(env, spec))
        // Only when on: nodes without backups (cache.t1.micro) refuse even 0.
        .set_snapshot_retention_limit(
            (spec.snapshot_retention_days > 0).then_some(spec.snapshot_retention_days as i32),
        )
        .send()
        .await;
    match result {
        Ok(_) => {}
        Err(e)
            if e.as_service_error().is_some_and(
                CreateReplicationGroupError::is_replication_group_already_exists_fault,
            ) =>
        {
            // Created between our describe and this call: adopt after checking ownership.
            let rg = find_replication_group(env).await?.ok_or_else(|| {
                PartError::new(
                    &PART,
                    format!("creating replication group `{id}`"),
                    "it exists, then not",
                )
                .retryable(true)
            })?;
            let tags = list_tags(env, rg.arn().unwrap_or_default()).await?;
            if !env.owns(PART.tag(), &tags) {
                return Err(not_ours(env, &PART, "replication group", &id, &tags));
            }
        }
        Err(e) => {
            return Err(SERVICE.error(
                &PART,
                format!("creating replication group `{id}`"),
                "CreateReplicationGroup",
                &e,
            ))
        }
    }
    let rg = wait_replication_group_available(
        env,
        format!("replication group `{id}` to become available"),
        "creating",
        CREATE_TIMEOUT,
        |_| true,
    )
    .await?;
    if let Some(s) = at.secret {
        auth_token::created_with(env, s).await?;
    }
    Ok(rg)
}

// ---------------------------------------------------------------------------------------------
// Read

/// The replication group as AWS reports it now (no ownership check: that would cost a
/// ListTagsForResource per refresh; `ensure` and `delete` check it); None when it does not
/// exist.
pub async fn read(env: &PartEnv) -> Result<Option<ElastiCacheState>, PartError> {
    let Some(rg) = find_replication_group(env).await? else {
        return Ok(None);
    };
    let member = find_primary_member(env, &rg).await?;
    let mut state = state_of(&rg, member.as_ref());
    if !state.user_group_ids.is_empty() {
        state.users = users::read(env).await?.unwrap_or_default();
    }
    if state.auth_token_enabled {
        state.auth_secret_arn = auth_token::find_secret(env).await?.map(|s| s.arn);
    }
    // Its own group's parameters, for drift (ElastiCache's default group has none set).
    if state.parameter_group.starts_with(&env.aws_name("cache-")) {
        let name = state.parameter_group.clone();
        state.parameters = Some(parameter_group::user_parameters(env, &name).await?);
    }
    Ok(Some(state))
}

/// The user groups the cache should use: its own with IAM authentication, none without.
pub(super) fn wanted_user_groups(env: &PartEnv, spec: &ElastiCacheSpec) -> Option<Vec<String>> {
    (spec.authentication == CacheAuthentication::Iam).then(|| vec![users::user_group_id(env)])
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_elasticache::operation::create_cache_subnet_group::CreateCacheSubnetGroupOutput;
    use aws_sdk_elasticache::operation::create_replication_group::{
        CreateReplicationGroupInput, CreateReplicationGroupOutput,
    };
    use aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsOutput;
    use aws_sdk_elasticache::operation::modify_replication_group::ModifyReplicationGroupOutput;
    use aws_smithy_mocks::{mock, Rule};

    use super::*;
    use crate::aws::elasticache::tests::{
        group, group_found, group_missing, net, primary_member, spec, subnet_group_found,
        subnet_group_missing, tagged, GROUP_ARN, SUBNETS_ARN,
    };
    use crate::aws::{testing, AwsContext};

    fn create_rule(seen: Arc<Mutex<Vec<CreateReplicationGroupInput>>>) -> Rule {
        mock!(aws_sdk_elasticache::Client::create_replication_group)
            .match_requests(move |r| {
                seen.lock().unwrap().push(r.clone());
                true
            })
            .then_output(|| CreateReplicationGroupOutput::builder().build())
    }

    fn modify_rule() -> Rule {
        mock!(aws_sdk_elasticache::Client::modify_replication_group)
            .then_output(|| ModifyReplicationGroupOutput::builder().build())
    }

    /// DescribeReplicationGroups: not found, then `after` for every later call.
    fn missing_then(after: ReplicationGroup) -> Rule {
        mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .sequence()
            .error(group_missing)
            .output(move || {
                DescribeReplicationGroupsOutput::builder()
                    .replication_groups(after.clone())
                    .build()
            })
            .repeatedly()
            .build()
    }

    #[test]
    fn values_pending_on_the_primary_member_count_as_the_groups() {
        use aws_sdk_elasticache::types::PendingModifiedValues;
        let member = CacheCluster::builder()
            .cache_cluster_id("mosia-test-cache-001")
            .engine_version("7.1.0")
            .pending_modified_values(
                PendingModifiedValues::builder()
                    .cache_node_type("cache.r7g.large")
                    .engine_version("7.1.1")
                    .build(),
            )
            .build();
        let s = state_of(
            &crate::aws::elasticache::tests::group("available", 1, true, true),
            Some(&member),
        );
        assert_eq!(s.node_type, "cache.r7g.large");
        assert_eq!(s.running_node_type, "cache.t4g.small");
        assert_eq!(s.engine_version, "7.1.1");
        assert!(s.has_pending_changes());
        assert_eq!(s.pending["node_type"], "cache.r7g.large");
        let plain = state_of(
            &crate::aws::elasticache::tests::group("available", 1, true, true),
            None,
        );
        assert!(!plain.has_pending_changes());
        assert_eq!(plain.node_type, "cache.t4g.small");
    }

    #[tokio::test]
    async fn an_owned_group_is_adopted_without_a_create_or_modification() {
        let rules = [
            subnet_group_found(),
            tagged(SUBNETS_ARN, "mosia-test"),
            group_found(group("available", 1, true, true)),
            tagged(GROUP_ARN, "mosia-test"),
            primary_member(),
        ];
        let create = create_rule(Arc::default());
        let modify = modify_rule();
        let [a, b, c, d, e] = &rules;
        let ec = crate::mock_client!(
            aws_sdk_elasticache,
            [
                &crate::aws::elasticache::tests::user_group_missing(),
                &crate::aws::elasticache::tests::no_users(),
                &crate::aws::elasticache::tests::no_parameter_groups(),
                a,
                b,
                c,
                d,
                e,
                &create,
                &modify
            ]
        );
        let env = testing::env(
            AwsContext::offline()
                .with_elasticache(ec)
                .with_secretsmanager(crate::aws::elasticache::tests::no_auth_secret()),
        );

        let state = ensure(&env, &spec(), &net()).await.unwrap();

        assert_eq!(
            (create.num_calls(), modify.num_calls()),
            (0, 0),
            "adopted as it is"
        );
        assert_eq!(state.primary_endpoint, "primary.cache");
        assert_eq!(state.engine_version, "7.1.0");
        assert_eq!(state.security_group_ids, ["sg-cache"]);
        assert_eq!(state.replicas, 1);
        assert!(state.warnings.is_empty());
    }

    #[tokio::test]
    async fn a_group_of_that_name_tagged_for_another_environment_is_refused() {
        let subnets = subnet_group_found();
        let subnet_tags = tagged(SUBNETS_ARN, "mosia-test");
        let found = group_found(group("available", 1, true, true));
        let foreign = tagged(GROUP_ARN, "someone-else");
        let create = create_rule(Arc::default());
        let ec = crate::mock_client!(
            aws_sdk_elasticache,
            [
                &crate::aws::elasticache::tests::user_group_missing(),
                &crate::aws::elasticache::tests::no_users(),
                &crate::aws::elasticache::tests::no_parameter_groups(),
                &subnets,
                &subnet_tags,
                &found,
                &foreign,
                &create
            ]
        );
        let env = testing::env(
            AwsContext::offline()
                .with_elasticache(ec)
                .with_secretsmanager(crate::aws::elasticache::tests::no_auth_secret()),
        );

        let err = ensure(&env, &spec(), &net()).await.unwrap_err();

        assert_eq!(create.num_calls(), 0);
        assert_eq!(err.part, "elasticache");
        assert_eq!(err.summary, "adopting replication group `mosia-test-cache`");
        assert!(
            err.detail.contains("is not managed by this environment"),
            "{}",
            err.detail
        );
        assert!(
            err.detail.contains("environment `someone-else`"),
            "{}",
            err.detail
        );
    }

    #[tokio::test]
    async fn a_missing_group_is_created_with_encryption_failover_and_the_network() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let subnets_seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = subnets_seen.clone();
        let subnets = subnet_group_missing();
        let create_subnets = mock!(aws_sdk_elasticache::Client::create_cache_subnet_group)
            .match_requests(move |r| {
                s2.lock().unwrap().push((
                    r.cache_subnet_group_name().map(str::to_string),
                    r.subnet_ids().to_vec(),
                ));
                true
            })
            .then_output(|| CreateCacheSubnetGroupOutput::builder().build());
        let describe = missing_then(group("available", 1, true, true));
        let create = create_rule(seen.clone());
        let member = primary_member();
        let ec = crate::mock_client!(
            aws_sdk_elasticache,
            [
                &crate::aws::elasticache::tests::user_group_missing(),
                &crate::aws::elasticache::tests::no_users(),
                &crate::aws::elasticache::tests::no_parameter_groups(),
                &subnets,
                &create_subnets,
                &describe,
                &create,
                &member
            ]
        );
        let env = testing::env(
            AwsContext::offline()
                .with_elasticache(ec)
                .with_secretsmanager(crate::aws::elasticache::tests::no_auth_secret()),
        );

        let state = ensure(&env, &spec(), &net()).await.unwrap();

        assert_eq!(state.status, "available");
        assert_eq!(
            *subnets_seen.lock().unwrap(),
            [(
                Some("mosia-test-cache".to_string()),
                vec!["subnet-a".to_string(), "subnet-b".to_string()]
            )]
        );
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let r = &seen[0];
        assert_eq!(r.replication_group_id(), Some("mosia-test-cache"));
        assert_eq!(r.engine(), Some("redis"));
        assert_eq!(r.engine_version(), Some("7.1"));
        assert_eq!(r.cache_node_type(), Some("cache.t4g.small"));
        assert_eq!(r.num_cache_clusters(), Some(2), "primary + 1 replica");
        assert_eq!(r.automatic_failover_enabled(), Some(true));
        assert_eq!(r.multi_az_enabled(), Some(true));
        assert_eq!(r.at_rest_encryption_enabled(), Some(true));
        assert_eq!(r.transit_encryption_enabled(), Some(true));
        assert_eq!(r.cache_subnet_group_name(), Some("mosia-test-cache"));
        assert_eq!(r.security_group_ids(), ["sg-cache"]);
        let tags = crate::aws::tags::from_pairs(r.tags().iter().map(|t| (t.key(), t.value())));
        assert_eq!(
            tags.get("mosia:part").map(String::as_str),
            Some("elasticache")
        );
        assert_eq!(
            tags.get("mosia:environment").map(String::as_str),
            Some("mosia-test")
        );
    }

    #[tokio::test]
    async fn a_create_that_fails_fails_the_wait_at_once_naming_the_status() {
        let subnets = subnet_group_found();
        let subnet_tags = tagged(SUBNETS_ARN, "mosia-test");
        let describe = missing_then(group("create-failed", 1, true, true));
        let create = create_rule(Arc::default());
        let ec = crate::mock_client!(
            aws_sdk_elasticache,
            [
                &crate::aws::elasticache::tests::user_group_missing(),
                &crate::aws::elasticache::tests::no_users(),
                &crate::aws::elasticache::tests::no_parameter_groups(),
                &subnets,
                &subnet_tags,
                &describe,
                &create
            ]
        );
        let env = testing::env(
            AwsContext::offline()
                .with_elasticache(ec)
                .with_secretsmanager(crate::aws::elasticache::tests::no_auth_secret()),
        );

        let err = ensure(&env, &spec(), &net()).await.unwrap_err();

        assert_eq!(describe.num_calls(), 2, "the find, then one poll");
        assert_eq!(err.summary, "creating replication group `mosia-test-cache`");
        assert!(
            err.detail.contains("status `create-failed`"),
            "{}",
            err.detail
        );
    }

    #[test]
    fn the_available_wait_fails_on_an_unexpected_status_and_waits_on_known_ones() {
        let grace = NotFoundGrace::default();
        let rg = |s: &str| group(s, 1, true, true);
        let Poll::Failed(e) = available_poll(
            "modifying",
            &grace,
            Some(&rg("incompatible-network")),
            |_| true,
        ) else {
            panic!("an unexpected status must fail")
        };
        assert!(
            e.detail
                .contains("unexpected status `incompatible-network`"),
            "{}",
            e.detail
        );
        assert_eq!(e.part, "elasticache");
        for s in ["creating", "modifying", "snapshotting"] {
            assert_eq!(
                available_poll("x", &grace, Some(&rg(s)), |_| true),
                Poll::Pending(s.into())
            );
        }
        assert_eq!(
            available_poll("x", &grace, Some(&rg("available")), |_| false),
            Poll::Pending("available, changes not visible yet".into())
        );
        assert!(matches!(
            available_poll("x", &grace, Some(&rg("available")), |_| true),
            Poll::Ready(_)
        ));
        assert_eq!(
            available_poll("x", &grace, None, |_| true),
            Poll::Pending("not visible yet".into())
        );
    }

    #[test]
    fn encryption_changes_force_a_replacement_and_say_why() {
        let s = ElastiCacheSpec {
            at_rest_encryption: true,
            transit_encryption: false,
            ..spec()
        };
        let reasons = replacement_reasons(false, false, false, &s);
        assert_eq!(reasons.len(), 1);
        assert!(
            reasons[0].starts_with("encryption at rest off → on"),
            "{}",
            reasons[0]
        );
        assert!(replacement_reasons(true, false, false, &s).is_empty());
        assert_eq!(replacement_reasons(false, true, false, &s).len(), 2);
        // An AUTH token goes in place only towards IAM authentication.
        let none = ElastiCacheSpec {
            authentication: CacheAuthentication::None,
            ..spec()
        };
        let token_to_none = replacement_reasons(true, true, true, &none);
        assert_eq!(token_to_none.len(), 1, "{token_to_none:?}");
        assert!(token_to_none[0].starts_with("authentication token → none"));
        let iam = ElastiCacheSpec {
            authentication: CacheAuthentication::Iam,
            ..spec()
        };
        assert!(replacement_reasons(true, true, true, &iam).is_empty());
    }

    #[test]
    fn settings_that_elasticache_rejects_are_refused_before_any_call() {
        let env = testing::env(AwsContext::offline());
        let err = validate(
            &env,
            &ElastiCacheSpec {
                replicas: 6,
                ..spec()
            },
        )
        .unwrap_err();
        assert!(err.detail.contains("more than the 5"), "{}", err.detail);
        let err = validate(
            &env,
            &ElastiCacheSpec {
                replicas: 0,
                multi_az: false,
                ..spec()
            },
        )
        .unwrap_err();
        assert_eq!(err.detail, "automatic_failover needs at least one replica");
    }
}
