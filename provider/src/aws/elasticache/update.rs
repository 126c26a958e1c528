//! In-place changes of an adopted replication group. [`changes`] decides (a pure function
//! of the spec and the group as read); [`update`] applies it in three steps, each waiting
//! until the group is available with the change visible: (1) turn off what needs replicas
//! that will go (Multi-AZ before failover), (2) the replica count, (3) everything else in
//! one ModifyReplicationGroup (node type, engine / version, security group, failover and
//! Multi-AZ on).

use std::collections::BTreeSet;

use aws_sdk_elasticache::types::{AutomaticFailoverStatus, CacheCluster, ReplicationGroup};

use super::replication_group::{
    find_primary_member, multi_az_on, replica_count, state_of, wait_replication_group_available,
};
use super::{replication_group_id, CacheEngine, ElastiCacheSpec, ElastiCacheState};
use super::{CREATE_TIMEOUT, MODIFY_TIMEOUT, PART, SERVICE};
use crate::aws::part::PartEnv;
use crate::aws::version;
use crate::engine::PartError;

/// One ModifyReplicationGroup (ApplyImmediately): the settings to send, and the changes in
/// words for logs and errors.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Modify {
    pub node_type: Option<String>,
    pub failover: Option<bool>,
    pub multi_az: Option<bool>,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub security_group: Option<String>,
    pub changes: Vec<String>,
}

/// Everything to change, in the order it is applied.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Changes {
    /// Multi-AZ / failover off, before replicas go.
    pub off: Modify,
    /// The replica count (from, to).
    pub replicas: Option<(u32, u32)>,
    /// The rest, including failover / Multi-AZ on (which need the replicas).
    pub main: Modify,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.off.changes.is_empty() && self.replicas.is_none() && self.main.changes.is_empty()
    }
}

/// The engine or version change, or why there can be none (ElastiCache only upgrades;
/// Redis OSS → Valkey is an upgrade and needs a Valkey version).
fn engine_change(
    id: &str,
    spec: &ElastiCacheSpec,
    have: &ElastiCacheState,
    main: &mut Modify,
) -> Result<(), PartError> {
    let want_engine = spec.engine.as_str();
    if !have.engine.is_empty() && have.engine != want_engine {
        if spec.engine != CacheEngine::Valkey || have.engine != "redis" {
            return Err(PartError::new(
                &PART,
                format!("updating replication group `{id}`"),
                format!(
                    "the engine cannot change from {} to {want_engine} in place: ElastiCache \
                     only upgrades Redis OSS to Valkey",
                    have.engine
                ),
            ));
        }
        let Some(v) = &spec.engine_version else {
            return Err(PartError::new(
                &PART,
                format!("upgrading replication group `{id}` from Redis OSS to Valkey"),
                "set elasticache.engine_version: the move to Valkey needs a Valkey version",
            ));
        };
        main.engine = Some(want_engine.to_string());
        main.engine_version = Some(v.clone());
        main.changes.push(format!("engine redis → valkey {v}"));
        return Ok(());
    }
    let Some(want) = &spec.engine_version else {
        return Ok(());
    };
    if have.engine_version.is_empty() || version::matches(want, &have.engine_version) {
        return Ok(());
    }
    if version::compare(want, &have.engine_version).is_lt() {
        return Err(PartError::new(
            &PART,
            format!("updating replication group `{id}`"),
            format!(
                "engine_version cannot go down from {} to {want}: ElastiCache only upgrades",
                have.engine_version
            ),
        ));
    }
    main.engine_version = Some(want.clone());
    main.changes
        .push(format!("engine version {} → {want}", have.engine_version));
    Ok(())
}

/// What must change for the group `have` (read with its primary member when
/// `member_known`) to become `spec` with the security group `sg`; refuses an engine change
/// or downgrade ElastiCache cannot make.
pub(super) fn changes(
    id: &str,
    spec: &ElastiCacheSpec,
    have: &ElastiCacheState,
    member_known: bool,
    sg: &str,
) -> Result<Changes, PartError> {
    let mut c = Changes::default();
    engine_change(id, spec, have, &mut c.main)?;
    if have.node_type != spec.node_type {
        c.main.node_type = Some(spec.node_type.clone());
        c.main
            .changes
            .push(format!("node type {} → {}", have.node_type, spec.node_type));
    }
    let have_sgs: BTreeSet<&str> = have.security_group_ids.iter().map(String::as_str).collect();
    if member_known && have_sgs != BTreeSet::from([sg]) {
        c.main.security_group = Some(sg.to_string());
        c.main.changes.push(format!("security group → {sg}"));
    }
    // Multi-AZ before failover, both before removing the last replica.
    if have.multi_az && !spec.multi_az {
        c.off.multi_az = Some(false);
        c.off.changes.push("Multi-AZ off".into());
    }
    if have.automatic_failover && !spec.automatic_failover {
        c.off.failover = Some(false);
        c.off.multi_az = Some(false);
        c.off.changes.push("automatic failover off".into());
    }
    if have.replicas != spec.replicas {
        c.replicas = Some((have.replicas, spec.replicas));
    }
    // Turned on last: they need the replicas. (`off` only turns off what the spec does not
    // want, so the group's current settings decide.)
    if spec.automatic_failover && !have.automatic_failover {
        c.main.failover = Some(true);
        c.main.changes.push("automatic failover on".into());
    }
    if spec.multi_az && !have.multi_az {
        c.main.multi_az = Some(true);
        c.main.changes.push("Multi-AZ on".into());
    }
    Ok(c)
}

impl Modify {
    /// Sends the modification and waits until the group is available with it visible.
    async fn apply(self, env: &PartEnv) -> Result<ReplicationGroup, PartError> {
        let id = replication_group_id(env);
        tracing::info!(part = %PART, object = %id, changes = ?self.changes, "modifying replication group");
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
            SERVICE.error(
                &PART,
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
        wait_replication_group_available(
            env,
            format!("replication group `{id}` to apply its modifications"),
            "modifying",
            MODIFY_TIMEOUT,
            move |rg| {
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
            },
        )
        .await
    }
}

/// IncreaseReplicaCount / DecreaseReplicaCount and the wait until the group has `to`.
async fn change_replicas(env: &PartEnv, from: u32, to: u32) -> Result<ReplicationGroup, PartError> {
    let id = replication_group_id(env);
    let ec = env.aws.elasticache();
    let want = to as i32;
    tracing::info!(part = %PART, object = %id, from, to, "changing the replica count");
    if to > from {
        ec.increase_replica_count()
            .replication_group_id(&id)
            .new_replica_count(want)
            .apply_immediately(true)
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PART,
                    format!("adding replicas to `{id}` ({from} → {want})"),
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
                SERVICE.error(
                    &PART,
                    format!("removing replicas from `{id}` ({from} → {want})"),
                    "DecreaseReplicaCount",
                    &e,
                )
            })?;
    }
    wait_replication_group_available(
        env,
        format!("replication group `{id}` to have {to} replica(s)"),
        "changing the replicas of",
        MODIFY_TIMEOUT,
        move |rg| replica_count(rg) == to,
    )
    .await
}

/// The group once ready for changes: `create-failed` and `deleting` are refused, another
/// status is waited out until `available`.
async fn settled(env: &PartEnv, rg: ReplicationGroup) -> Result<ReplicationGroup, PartError> {
    let id = replication_group_id(env);
    match rg.status().unwrap_or_default() {
        "available" => Ok(rg),
        "create-failed" => Err(PartError::new(
            &PART,
            format!("adopting replication group `{id}`"),
            "the replication group is in status `create-failed`: delete it (terraform \
             destroy, or the console) and apply again",
        )),
        "deleting" => Err(PartError::new(
            &PART,
            format!("adopting replication group `{id}`"),
            "the replication group is being deleted; wait until it is gone",
        )
        .retryable(true)),
        // A create or modification in progress finishes first (changes need `available`).
        _ => {
            wait_replication_group_available(
                env,
                format!("replication group `{id}` to become available"),
                "adopting",
                CREATE_TIMEOUT,
                |_| true,
            )
            .await
        }
    }
}

/// Converges an adopted group to `spec`. Returns the group after the changes, with its
/// primary member when nothing changed (still current).
pub(super) async fn update(
    env: &PartEnv,
    spec: &ElastiCacheSpec,
    rg: ReplicationGroup,
    sg: &str,
) -> Result<(ReplicationGroup, Option<CacheCluster>), PartError> {
    let id = replication_group_id(env);
    let was_available = rg.status() == Some("available");
    let mut rg = settled(env, rg).await?;
    let member = find_primary_member(env, &rg).await?;
    let have = state_of(&rg, member.as_ref());
    let todo = changes(&id, spec, &have, member.is_some(), sg)?;
    let changed = !was_available || !todo.is_empty();
    let Changes {
        off,
        replicas,
        main,
    } = todo;
    if !off.changes.is_empty() {
        rg = off.apply(env).await?;
    }
    if let Some((from, to)) = replicas {
        rg = change_replicas(env, from, to).await?;
    }
    if !main.changes.is_empty() {
        rg = main.apply(env).await?;
    }
    if changed {
        Ok((rg, None))
    } else {
        tracing::info!(part = %PART, object = %id, "replication group settings up to date");
        Ok((rg, member))
    }
}
