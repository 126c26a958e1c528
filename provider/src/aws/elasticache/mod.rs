//! The ElastiCache part of an environment: a cache subnet group `{env}-cache` over the
//! private subnets and a replication group `{env}-cache` (Redis OSS or Valkey, cluster mode
//! disabled: one shard, a primary and `replicas` read replicas).
//!
//! - Every object carries the environment's ownership tags (part `elasticache`); an object
//!   found by its deterministic name is adopted only when its tags say it is ours.
//! - In place: node type, automatic failover, Multi-AZ, engine version (upgrades; Redis OSS
//!   to Valkey), security group with `ModifyReplicationGroup` (ApplyImmediately), the replica
//!   count with `IncreaseReplicaCount` / `DecreaseReplicaCount`, tags. Encryption settings
//!   cannot change in place: `ensure` says so in the state's `warnings`.
//! - `read` costs one `DescribeReplicationGroups` plus one `DescribeCacheClusters` for the
//!   primary member (the engine version and security groups live there).
//! - Waits use [`PollSchedule::for_kind`]`(`[`AwsKind::ElastiCache`]`)`, honouring the
//!   environment's cancellation and deadline, each also bounded by its own timeout.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_elasticache::types::{
    AutomaticFailoverStatus, CacheCluster, MultiAzStatus, ReplicationGroup, Tag,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::errors;
use super::network::NetworkState;
use super::part::PartEnv;
use crate::engine::{PartError, Poll, Resume, Waiter};
use crate::aws::wait::AwsKind;
pub mod input;

pub use input::{CacheEngine, ElastiCacheSpec};

/// The `mosia:part` tag value, and the part name in errors and logs.
pub const PART: &str = "elasticache";
/// The security group of the network that the cache nodes join.
pub const SECURITY_GROUP_KEY: &str = "elasticache";
/// ElastiCache allows at most 5 replicas per shard.
pub const MAX_REPLICAS: u32 = 5;
/// Replication group identifiers are at most 40 characters.
const MAX_ID_LEN: usize = 40;

const CREATE_TIMEOUT: Duration = Duration::from_secs(90 * 60);
const MODIFY_TIMEOUT: Duration = Duration::from_secs(90 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The replication group as AWS reports it (plus what `ensure` could not do in place).
#[derive(Debug, Clone, PartialEq)]
pub struct ElastiCacheState {
    pub replication_group_id: String,
    pub arn: String,
    pub primary_endpoint: String,
    pub reader_endpoint: Option<String>,
    pub port: i32,
    pub engine_version: String,
    pub node_type: String,
    pub replicas: u32,
    pub automatic_failover: bool,
    pub multi_az: bool,
    pub status: String,
    pub engine: String,
    pub at_rest_encryption: bool,
    pub transit_encryption: bool,
    pub security_group_ids: Vec<String>,
    /// What `ensure` could not change in place, and why (always empty from `read`).
    pub warnings: Vec<String>,
}

/// `{env}-cache` (replication group and subnet group).
pub fn replication_group_id(env: &PartEnv) -> String {
    env.aws_name("cache")
}

/// `{env}-cache`.
pub fn subnet_group_name(env: &PartEnv) -> String {
    env.aws_name("cache")
}

fn version_key(v: &str) -> Vec<u64> {
    v.split('.')
        .map(|p| {
            p.chars()
                .take_while(|c| c.is_ascii_digit())
                .collect::<String>()
                .parse()
                .unwrap_or(0)
        })
        .collect()
}

/// `7.1` is satisfied by `7.1` and `7.1.0`.
pub fn version_matches(want: &str, have: &str) -> bool {
    have == want || have.starts_with(&format!("{want}."))
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Service error codes that may pass by themselves (throttling, internal errors, capacity).
const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalFailure",
    "ServiceUnavailable",
    "InsufficientCacheClusterCapacity",
    "InvalidReplicationGroupState",
];

/// Throttling, 5xx and transport failures may pass by themselves.
fn is_transient<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    errors::is_transient(err, TRANSIENT_CODES)
}

fn aws_err<E, R>(summary: impl Into<String>, op: &str, err: &SdkError<E, R>) -> PartError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let d = errors::diagnostic(&format!("ElastiCache {op}"), err);
    PartError::new(PART, summary, format!("ElastiCache {op}: {}", d.detail))
        .retryable(is_transient(err))
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    super::tags::from_pairs(tags.iter().map(|t| (t.key(), t.value())))
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn not_ours(what: &str, name: &str, tags: &BTreeMap<String, String>) -> PartError {
    PartError::new(
        PART,
        format!("adopting {what} `{name}`"),
        format!(
            "{what} `{name}` exists but is not owned by this environment (its tags {} do not \
             name this environment's `{PART}` part): rename the environment, or delete or \
             retag that object",
            if tags.is_empty() {
                "are empty".to_string()
            } else {
                format!("{tags:?}")
            }
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Describe

async fn describe_group(env: &PartEnv) -> Result<Option<ReplicationGroup>, PartError> {
    let id = replication_group_id(env);
    describe_group_raw(env, &id).await.map_err(|e| {
        aws_err(
            format!("describing replication group `{id}`"),
            "DescribeReplicationGroups",
            &e,
        )
    })
}

type DescribeGroupError = SdkError<
    aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsError,
    aws_smithy_runtime_api::http::Response,
>;

async fn describe_group_raw(
    env: &PartEnv,
    id: &str,
) -> Result<Option<ReplicationGroup>, DescribeGroupError> {
    match env
        .aws
        .elasticache()
        .describe_replication_groups()
        .replication_group_id(id)
        .send()
        .await
    {
        Ok(out) => Ok(out.replication_groups().first().cloned()),
        Err(e) if errors::code(&e) == Some("ReplicationGroupNotFoundFault") => Ok(None),
        Err(e) => Err(e),
    }
}

/// The member cluster that carries the engine version and security groups: the primary.
async fn describe_member(
    env: &PartEnv,
    rg: &ReplicationGroup,
) -> Result<Option<CacheCluster>, PartError> {
    let primary = rg
        .node_groups()
        .first()
        .and_then(|ng| {
            ng.node_group_members()
                .iter()
                .find(|m| m.current_role() == Some("primary"))
                .or_else(|| ng.node_group_members().first())
        })
        .and_then(|m| m.cache_cluster_id())
        .or_else(|| rg.member_clusters().first().map(String::as_str));
    let Some(member) = primary else {
        return Ok(None);
    };
    match env
        .aws
        .elasticache()
        .describe_cache_clusters()
        .cache_cluster_id(member)
        .send()
        .await
    {
        Ok(out) => Ok(out.cache_clusters().first().cloned()),
        Err(e) if errors::code(&e) == Some("CacheClusterNotFound") => Ok(None),
        Err(e) => Err(aws_err(
            format!("describing cache cluster `{member}`"),
            "DescribeCacheClusters",
            &e,
        )),
    }
}

fn replica_count(rg: &ReplicationGroup) -> u32 {
    match rg.node_groups().first() {
        Some(ng) if !ng.node_group_members().is_empty() => ng.node_group_members().len() as u32 - 1,
        _ => (rg.member_clusters().len() as u32).saturating_sub(1),
    }
}

fn failover_on(rg: &ReplicationGroup) -> bool {
    matches!(
        rg.automatic_failover(),
        Some(AutomaticFailoverStatus::Enabled | AutomaticFailoverStatus::Enabling)
    )
}

fn multi_az_on(rg: &ReplicationGroup) -> bool {
    matches!(rg.multi_az(), Some(MultiAzStatus::Enabled))
}

fn state_of(rg: &ReplicationGroup, member: Option<&CacheCluster>) -> ElastiCacheState {
    let ng = rg.node_groups().first();
    let primary = ng.and_then(|n| n.primary_endpoint());
    ElastiCacheState {
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
        transit_encryption: rg.transit_encryption_enabled().unwrap_or(false),
        security_group_ids: member
            .map(|m| {
                m.security_groups()
                    .iter()
                    .filter_map(|g| g.security_group_id().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        warnings: Vec::new(),
    }
}

async fn list_tags(env: &PartEnv, arn: &str) -> Result<BTreeMap<String, String>, PartError> {
    let out = env
        .aws
        .elasticache()
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| {
            aws_err(
                format!("reading the tags of `{arn}`"),
                "ListTagsForResource",
                &e,
            )
        })?;
    Ok(tag_map(out.tag_list()))
}

async fn sync_tags(
    env: &PartEnv,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let (add, remove) = super::tags::diff(have, want);
    let ec = env.aws.elasticache();
    if !add.is_empty() {
        tracing::info!(part = PART, object = arn, keys = ?add.keys().collect::<Vec<_>>(), "updating tags");
        ec.add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(sdk_tags(&add)))
            .send()
            .await
            .map_err(|e| aws_err(format!("tagging `{arn}`"), "AddTagsToResource", &e))?;
    }
    if !remove.is_empty() {
        tracing::info!(part = PART, object = arn, keys = ?remove, "removing tags");
        ec.remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| aws_err(format!("untagging `{arn}`"), "RemoveTagsFromResource", &e))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Waits

/// Polls the replication group until `ready` says so.
async fn wait_group<T>(
    env: &PartEnv,
    what: String,
    timeout: Duration,
    ready: impl Fn(Option<&ReplicationGroup>) -> Poll<T, PartError>,
) -> Result<T, PartError> {
    let ready = &ready;
    let id = replication_group_id(env);
    let id = id.as_str();
    Waiter::new(PART, AwsKind::ElastiCache.poll_schedule())
        .what(what)
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(timeout)
        .until(move || async move {
            match describe_group_raw(env, id).await {
                Ok(rg) => ready(rg.as_ref()),
                Err(e) if is_transient(&e) => Poll::Pending(format!(
                    "describe failed, retrying: {}",
                    errors::diagnostic("ElastiCache DescribeReplicationGroups", &e).detail
                )),
                Err(e) => Poll::Failed(aws_err(
                    "waiting for the replication group",
                    "DescribeReplicationGroups",
                    &e,
                )),
            }
        })
        .await
        .map_err(PartError::from)
}

/// Ready when available and `settled` holds (the change is visible).
fn available_check<'a>(
    action: &'a str,
    settled: impl Fn(&ReplicationGroup) -> bool + 'a,
) -> impl Fn(Option<&ReplicationGroup>) -> Poll<ReplicationGroup, PartError> + 'a {
    move |rg| match rg {
        None => Poll::Pending("not found yet".into()),
        Some(rg) => {
            let status = rg.status().unwrap_or("unknown");
            if status == "create-failed" {
                Poll::Failed(PartError::new(
                    PART,
                    format!(
                        "{action} replication group `{}`",
                        rg.replication_group_id().unwrap_or_default()
                    ),
                    format!("the replication group went to status `{status}`"),
                ))
            } else if status != "available" {
                Poll::Pending(status.to_string())
            } else if !settled(rg) {
                Poll::Pending("available, changes not visible yet".into())
            } else {
                Poll::Ready(rg.clone())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ensure

fn validate(env: &PartEnv, spec: &ElastiCacheSpec) -> Result<(), PartError> {
    let id = replication_group_id(env);
    let fail = |detail: String| {
        Err(PartError::new(
            PART,
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

async fn ensure_subnet_group(env: &PartEnv, net: &NetworkState) -> Result<String, PartError> {
    let name = subnet_group_name(env);
    let ec = env.aws.elasticache();
    let found = match ec
        .describe_cache_subnet_groups()
        .cache_subnet_group_name(&name)
        .send()
        .await
    {
        Ok(out) => out.cache_subnet_groups().first().cloned(),
        Err(e) if errors::code(&e) == Some("CacheSubnetGroupNotFoundFault") => None,
        Err(e) => {
            return Err(aws_err(
                format!("describing cache subnet group `{name}`"),
                "DescribeCacheSubnetGroups",
                &e,
            ))
        }
    };
    match found {
        None => {
            tracing::info!(part = PART, object = %name, "creating cache subnet group");
            match ec
                .create_cache_subnet_group()
                .cache_subnet_group_name(&name)
                .cache_subnet_group_description(format!(
                    "Private subnets of the Mosia environment {}",
                    env.name
                ))
                .set_subnet_ids(Some(net.private_subnet_ids.clone()))
                .set_tags(Some(sdk_tags(&env.tags_for(PART))))
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if errors::code(&e) == Some("CacheSubnetGroupAlreadyExists") => {
                    return Box::pin(ensure_subnet_group(env, net)).await;
                }
                Err(e) => {
                    return Err(aws_err(
                        format!("creating cache subnet group `{name}`"),
                        "CreateCacheSubnetGroup",
                        &e,
                    ))
                }
            }
        }
        Some(group) => {
            let arn = group.arn().unwrap_or_default().to_string();
            let tags = list_tags(env, &arn).await?;
            if !env.owns(PART, &tags) {
                return Err(not_ours("cache subnet group", &name, &tags));
            }
            sync_tags(env, &arn, &tags, &env.tags_for(PART)).await?;
            let have: BTreeSet<&str> = group
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier())
                .collect();
            let want: BTreeSet<&str> = net.private_subnet_ids.iter().map(String::as_str).collect();
            if have != want {
                tracing::info!(part = PART, object = %name, "updating cache subnet group subnets");
                ec.modify_cache_subnet_group()
                    .cache_subnet_group_name(&name)
                    .set_subnet_ids(Some(net.private_subnet_ids.clone()))
                    .send()
                    .await
                    .map_err(|e| {
                        aws_err(
                            format!("updating the subnets of cache subnet group `{name}`"),
                            "ModifyCacheSubnetGroup",
                            &e,
                        )
                    })?;
            }
        }
    }
    Ok(name)
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
                PART,
                format!("creating replication group `{id}`"),
                "the network has no `elasticache` security group",
            )
        })?;
    let subnet_group = ensure_subnet_group(env, net).await?;
    let mut warnings = Vec::new();
    // `member` is the primary's cache cluster when `update` changed nothing (still current).
    let (rg, member) = match describe_group(env).await? {
        None => (create(env, spec, &subnet_group, &sg).await?, None),
        Some(rg) => {
            let arn = rg.arn().unwrap_or_default().to_string();
            let tags = list_tags(env, &arn).await?;
            if !env.owns(PART, &tags) {
                return Err(not_ours("replication group", &id, &tags));
            }
            let reasons = replacement_reasons(
                rg.at_rest_encryption_enabled().unwrap_or(false),
                rg.transit_encryption_enabled().unwrap_or(false),
                spec,
            );
            if reasons.is_empty() {
                sync_tags(env, &arn, &tags, &env.tags_for(PART)).await?;
                update(env, spec, rg, &sg).await?
            } else {
                // Set at creation only: this cache is replaced (its data is lost), nothing else.
                tracing::info!(part = PART, object = %id, reasons = ?reasons, "replacing replication group");
                warnings.push(format!(
                    "replication group `{id}` replaced: {}",
                    reasons.join("; ")
                ));
                delete_group(env).await?;
                (create(env, spec, &subnet_group, &sg).await?, None)
            }
        }
    };
    let member = match member {
        Some(m) => Some(m),
        None => describe_member(env, &rg).await?,
    };
    let mut state = state_of(&rg, member.as_ref());
    for w in &warnings {
        tracing::warn!(part = PART, object = %id, "{w}");
    }
    state.warnings = warnings;
    tracing::info!(part = PART, object = %id, status = %state.status, node_type = %state.node_type, replicas = state.replicas, "replication group ready");
    Ok(state)
}

/// Why a replication group with these encryption settings must be replaced to become
/// `spec`: ElastiCache sets encryption at rest only at creation, and Mosia does not run the
/// two-step in-transit migration that interrupts clients. Empty when nothing forces it.
/// Also used at plan time, to warn before the apply.
pub fn replacement_reasons(
    have_at_rest: bool,
    have_transit: bool,
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
    reasons
}

async fn create(
    env: &PartEnv,
    spec: &ElastiCacheSpec,
    subnet_group: &str,
    sg: &str,
) -> Result<ReplicationGroup, PartError> {
    let id = replication_group_id(env);
    tracing::info!(part = PART, object = %id, engine = %spec.engine, node_type = %spec.node_type, replicas = spec.replicas, "creating replication group");
    let mut req = env
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
        .transit_encryption_enabled(spec.transit_encryption)
        .cache_subnet_group_name(subnet_group)
        .security_group_ids(sg)
        .set_tags(Some(sdk_tags(&env.tags_for(PART))));
    if let Some(v) = &spec.engine_version {
        req = req.engine_version(v);
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if errors::code(&e) == Some("ReplicationGroupAlreadyExists") => {
            // Created between our describe and this call: adopt after checking ownership.
            let rg = describe_group(env).await?.ok_or_else(|| {
                PartError::new(
                    PART,
                    format!("creating replication group `{id}`"),
                    "it exists, then not",
                )
                .retryable(true)
            })?;
            let tags = list_tags(env, rg.arn().unwrap_or_default()).await?;
            if !env.owns(PART, &tags) {
                return Err(not_ours("replication group", &id, &tags));
            }
        }
        Err(e) => {
            return Err(aws_err(
                format!("creating replication group `{id}`"),
                "CreateReplicationGroup",
                &e,
            ))
        }
    }
    wait_group(
        env,
        format!("replication group `{id}` to become available"),
        CREATE_TIMEOUT,
        available_check("creating", |_| true),
    )
    .await
}

/// One ModifyReplicationGroup (ApplyImmediately) and the wait for it.
#[derive(Default)]
struct Modify {
    node_type: Option<String>,
    failover: Option<bool>,
    multi_az: Option<bool>,
    engine: Option<String>,
    engine_version: Option<String>,
    security_group: Option<String>,
    changes: Vec<String>,
}

impl Modify {
    fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    async fn apply(self, env: &PartEnv) -> Result<ReplicationGroup, PartError> {
        let id = replication_group_id(env);
        tracing::info!(part = PART, object = %id, changes = ?self.changes, "modifying replication group");
        let mut req = env
            .aws
            .elasticache()
            .modify_replication_group()
            .replication_group_id(&id)
            .apply_immediately(true)
            .set_cache_node_type(self.node_type.clone())
            .set_automatic_failover_enabled(self.failover)
            .set_multi_az_enabled(self.multi_az)
            .set_engine(self.engine.clone())
            .set_engine_version(self.engine_version.clone());
        if let Some(sg) = &self.security_group {
            req = req.security_group_ids(sg);
        }
        req.send().await.map_err(|e| {
            aws_err(
                format!(
                    "modifying replication group `{id}` ({})",
                    self.changes.join(", ")
                ),
                "ModifyReplicationGroup",
                &e,
            )
        })?;
        let Modify {
            node_type,
            failover,
            multi_az,
            ..
        } = self;
        wait_group(
            env,
            format!("replication group `{id}` to apply its modifications"),
            MODIFY_TIMEOUT,
            available_check("modifying", move |rg| {
                node_type
                    .as_deref()
                    .is_none_or(|t| rg.cache_node_type() == Some(t))
                    && failover.is_none_or(|f| {
                        matches!(
                            (f, rg.automatic_failover()),
                            (true, Some(AutomaticFailoverStatus::Enabled))
                                | (false, Some(AutomaticFailoverStatus::Disabled) | None)
                        )
                    })
                    && multi_az.is_none_or(|m| multi_az_on(rg) == m)
            }),
        )
        .await
    }
}

/// Returns the group after the changes, with its primary member when nothing changed.
async fn update(
    env: &PartEnv,
    spec: &ElastiCacheSpec,
    rg: ReplicationGroup,
    sg: &str,
) -> Result<(ReplicationGroup, Option<CacheCluster>), PartError> {
    let id = replication_group_id(env);
    let status = rg.status().unwrap_or_default().to_string();
    match status.as_str() {
        "create-failed" => {
            return Err(PartError::new(
                PART,
                format!("adopting replication group `{id}`"),
                "the replication group is in status `create-failed`: delete it (terraform \
                 destroy, or the console) and apply again",
            ))
        }
        "deleting" => {
            return Err(PartError::new(
                PART,
                format!("adopting replication group `{id}`"),
                "the replication group is being deleted; wait until it is gone",
            )
            .retryable(true))
        }
        _ => {}
    }
    // A create or modification in progress finishes first (changes need `available`).
    let mut changed = status != "available";
    let mut rg = if changed {
        wait_group(
            env,
            format!("replication group `{id}` to become available"),
            CREATE_TIMEOUT,
            available_check("adopting", |_| true),
        )
        .await?
    } else {
        rg
    };
    let member = describe_member(env, &rg).await?;
    let observed = state_of(&rg, member.as_ref());

    // Engine and version (upgrades only; Redis OSS → Valkey is an upgrade).
    let mut main = Modify::default();
    let want_engine = spec.engine.as_str();
    if !observed.engine.is_empty() && observed.engine != want_engine {
        if spec.engine == CacheEngine::Valkey && observed.engine == "redis" {
            let Some(v) = &spec.engine_version else {
                return Err(PartError::new(
                    PART,
                    format!("upgrading replication group `{id}` from Redis OSS to Valkey"),
                    "set elasticache.engine_version: the move to Valkey needs a Valkey version",
                ));
            };
            main.engine = Some(want_engine.to_string());
            main.engine_version = Some(v.clone());
            main.changes.push(format!("engine redis → valkey {v}"));
        } else {
            return Err(PartError::new(
                PART,
                format!("updating replication group `{id}`"),
                format!(
                    "the engine cannot change from {} to {want_engine} in place: ElastiCache \
                     only upgrades Redis OSS to Valkey",
                    observed.engine
                ),
            ));
        }
    } else if let Some(want) = &spec.engine_version {
        if !observed.engine_version.is_empty() && !version_matches(want, &observed.engine_version) {
            if version_key(want) < version_key(&observed.engine_version) {
                return Err(PartError::new(
                    PART,
                    format!("updating replication group `{id}`"),
                    format!(
                        "engine_version cannot go down from {} to {want}: ElastiCache only \
                         upgrades",
                        observed.engine_version
                    ),
                ));
            }
            main.engine_version = Some(want.clone());
            main.changes.push(format!(
                "engine version {} → {want}",
                observed.engine_version
            ));
        }
    }
    if observed.node_type != spec.node_type {
        main.node_type = Some(spec.node_type.clone());
        main.changes.push(format!(
            "node type {} → {}",
            observed.node_type, spec.node_type
        ));
    }
    let have_sgs: BTreeSet<&str> = observed
        .security_group_ids
        .iter()
        .map(String::as_str)
        .collect();
    if member.is_some() && have_sgs != BTreeSet::from([sg]) {
        main.security_group = Some(sg.to_string());
        main.changes.push(format!("security group → {sg}"));
    }

    // 1. Turn off what needs more replicas than we will have (or is no longer wanted):
    //    Multi-AZ before failover, both before removing the last replica.
    let mut off = Modify::default();
    if observed.multi_az && !spec.multi_az {
        off.multi_az = Some(false);
        off.changes.push("Multi-AZ off".into());
    }
    if observed.automatic_failover && !spec.automatic_failover {
        off.failover = Some(false);
        off.multi_az = Some(false);
        off.changes.push("automatic failover off".into());
    }
    if !off.is_empty() {
        rg = off.apply(env).await?;
        changed = true;
    }

    // 2. The replica count.
    let have = replica_count(&rg);
    if have != spec.replicas {
        let ec = env.aws.elasticache();
        let want = spec.replicas as i32;
        tracing::info!(part = PART, object = %id, from = have, to = spec.replicas, "changing the replica count");
        if spec.replicas > have {
            ec.increase_replica_count()
                .replication_group_id(&id)
                .new_replica_count(want)
                .apply_immediately(true)
                .send()
                .await
                .map_err(|e| {
                    aws_err(
                        format!("adding replicas to `{id}` ({have} → {want})"),
                        "IncreaseReplicaCount",
                        &e,
                    )
                })?;
        } else {
            ec.decrease_replica_count()
                .replication_group_id(&id)
                .new_replica_count(want)
                .apply_immediately(true)
                .send()
                .await
                .map_err(|e| {
                    aws_err(
                        format!("removing replicas from `{id}` ({have} → {want})"),
                        "DecreaseReplicaCount",
                        &e,
                    )
                })?;
        }
        let target = spec.replicas;
        rg = wait_group(
            env,
            format!("replication group `{id}` to have {target} replica(s)"),
            MODIFY_TIMEOUT,
            available_check("changing the replicas of", move |rg| {
                replica_count(rg) == target
            }),
        )
        .await?;
        changed = true;
    }

    // 3. Everything else, including turning failover / Multi-AZ on (needs the replicas).
    if spec.automatic_failover && !failover_on(&rg) {
        main.failover = Some(true);
        main.changes.push("automatic failover on".into());
    }
    if spec.multi_az && !multi_az_on(&rg) {
        main.multi_az = Some(true);
        main.changes.push("Multi-AZ on".into());
    }
    if !main.is_empty() {
        rg = main.apply(env).await?;
        changed = true;
    }
    if changed {
        Ok((rg, None))
    } else {
        tracing::info!(part = PART, object = %id, "replication group settings up to date");
        Ok((rg, member))
    }
}

// ---------------------------------------------------------------------------------------------
// Read and delete

/// The replication group as AWS reports it now (no ownership check: that would cost a
/// ListTagsForResource per refresh; `ensure` and `delete` check it); None when it does not
/// exist.
pub async fn read(env: &PartEnv) -> Result<Option<ElastiCacheState>, PartError> {
    let Some(rg) = describe_group(env).await? else {
        return Ok(None);
    };
    let member = describe_member(env, &rg).await?;
    Ok(Some(state_of(&rg, member.as_ref())))
}

/// Deletes the replication group if it is ours and waits until it is gone (the subnet group
/// stays). Errors carry `Resume::Destroy`.
async fn delete_group(env: &PartEnv) -> Result<(), PartError> {
    let destroy = |e: PartError| e.with_resume(Resume::Destroy);
    let id = replication_group_id(env);
    let ec = env.aws.elasticache();
    if let Some(rg) = describe_group(env).await.map_err(destroy)? {
        let tags = list_tags(env, rg.arn().unwrap_or_default())
            .await
            .map_err(destroy)?;
        if !env.owns(PART, &tags) {
            tracing::warn!(part = PART, object = %id, "replication group not owned by this environment: left alone");
            return Ok(());
        }
        let status = rg.status().unwrap_or_default().to_string();
        if status != "deleting" {
            if status != "available" && status != "create-failed" {
                // Deletes need `available`: let the current change finish.
                wait_group(
                    env,
                    format!("replication group `{id}` to become available before deleting it"),
                    MODIFY_TIMEOUT,
                    |rg: Option<&ReplicationGroup>| match rg {
                        None => Poll::Ready(()),
                        Some(rg) => match rg.status().unwrap_or("unknown") {
                            "available" | "create-failed" | "deleting" => Poll::Ready(()),
                            s => Poll::Pending(s.to_string()),
                        },
                    },
                )
                .await
                .map_err(destroy)?;
            }
            tracing::info!(part = PART, object = %id, "deleting replication group");
            match ec
                .delete_replication_group()
                .replication_group_id(&id)
                .retain_primary_cluster(false)
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if errors::code(&e) == Some("ReplicationGroupNotFoundFault") => {}
                Err(e)
                    if errors::code(&e) == Some("InvalidReplicationGroupState")
                        && e.as_service_error()
                            .and_then(|s| s.message())
                            .is_some_and(|m| m.contains("already being deleted")) => {}
                Err(e) => {
                    return Err(destroy(aws_err(
                        format!("deleting replication group `{id}`"),
                        "DeleteReplicationGroup",
                        &e,
                    )))
                }
            }
        }
        wait_group(
            env,
            format!("replication group `{id}` to be deleted"),
            DELETE_TIMEOUT,
            |rg: Option<&ReplicationGroup>| match rg {
                None => Poll::Ready(()),
                Some(rg) => Poll::Pending(rg.status().unwrap_or("unknown").to_string()),
            },
        )
        .await
        .map_err(destroy)?;
    }
    Ok(())
}

/// Deletes the replication group (waits until it is gone), then the subnet group. Objects
/// with the environment's names that it does not own are left alone.
pub async fn delete(env: &PartEnv) -> Result<(), PartError> {
    let destroy = |e: PartError| e.with_resume(Resume::Destroy);
    let ec = env.aws.elasticache();
    delete_group(env).await?;

    let name = subnet_group_name(env);
    let group = match ec
        .describe_cache_subnet_groups()
        .cache_subnet_group_name(&name)
        .send()
        .await
    {
        Ok(out) => out.cache_subnet_groups().first().cloned(),
        Err(e) if errors::code(&e) == Some("CacheSubnetGroupNotFoundFault") => None,
        Err(e) => {
            return Err(destroy(aws_err(
                format!("describing cache subnet group `{name}`"),
                "DescribeCacheSubnetGroups",
                &e,
            )))
        }
    };
    let Some(group) = group else { return Ok(()) };
    let tags = list_tags(env, group.arn().unwrap_or_default())
        .await
        .map_err(destroy)?;
    if !env.owns(PART, &tags) {
        tracing::warn!(part = PART, object = %name, "cache subnet group not owned by this environment: left alone");
        return Ok(());
    }
    tracing::info!(part = PART, object = %name, "deleting cache subnet group");
    match ec
        .delete_cache_subnet_group()
        .cache_subnet_group_name(&name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if errors::code(&e) == Some("CacheSubnetGroupNotFoundFault") => Ok(()),
        Err(e) => Err(destroy(aws_err(
            format!("deleting cache subnet group `{name}`"),
            "DeleteCacheSubnetGroup",
            &e,
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(version_matches("7.1", "7.1.0"));
        assert!(version_matches("7.1", "7.1"));
        assert!(!version_matches("7.1", "7.10.0"));
        assert!(version_key("6.2") < version_key("7.0"));
    }
}
