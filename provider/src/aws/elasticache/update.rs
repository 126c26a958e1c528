//! In-place changes of an adopted replication group. [`changes`] decides (a pure function
//! of the spec and the group as read); [`update`] applies it in three steps, each waiting
//! until the group is available with the change visible: (1) turn off what needs replicas
//! that will go (Multi-AZ before failover), (2) the replica count, (3) everything else in
//! one ModifyReplicationGroup (node type, engine / version, security group, failover and
//! Multi-AZ on).

use std::collections::BTreeSet;

use aws_sdk_elasticache::types::{
    AuthTokenUpdateStrategyType, AutomaticFailoverStatus, CacheCluster, ReplicationGroup,
};

use super::replication_group::{
    find_primary_member, multi_az_on, primary_member_id, replica_count, state_of,
    wait_replication_group_available, wanted_user_groups,
};
use super::{
    replication_group_id, CacheAuthentication, CacheEngine, ElastiCacheSpec, ElastiCacheState,
};
use super::{CREATE_TIMEOUT, MODIFY_TIMEOUT, PART, SERVICE};
use crate::aws::part::PartEnv;
use crate::aws::version;
use crate::engine::PartError;

/// One ModifyReplicationGroup: the settings to send, and the changes in words for logs and
/// errors.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct Modify {
    pub node_type: Option<String>,
    pub failover: Option<bool>,
    pub multi_az: Option<bool>,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub security_group: Option<String>,
    /// User groups to start and stop using (RBAC).
    pub user_groups_add: Vec<String>,
    pub user_groups_remove: Vec<String>,
    /// Drop the AUTH token (`AuthTokenUpdateStrategy=DELETE`), with user groups to add:
    /// ElastiCache's one way from token to IAM authentication in place.
    pub delete_auth_token: bool,
    /// `PreferredMaintenanceWindow` (ElastiCache applies it at once).
    pub maintenance_window: Option<String>,
    /// `CacheParameterGroupName`: the environment's group (of the new family with an
    /// engine upgrade, in the same request).
    pub parameter_group: Option<String>,
    /// `SnapshotRetentionLimit` (ElastiCache applies it at once).
    pub snapshot_retention_days: Option<u32>,
    /// `SnapshottingClusterId`: the member that takes the snapshots, which ElastiCache
    /// requires when they are turned on in a group that had none.
    pub snapshotting_cluster_id: Option<String>,
    /// False: ElastiCache keeps the node type and an engine version within the family for
    /// the maintenance window (the other settings apply at once either way).
    pub apply_immediately: bool,
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

/// What the group must use besides `spec`: derived from the network and the other objects
/// of the part.
pub(super) struct Wanted<'a> {
    pub security_group: &'a str,
    pub user_groups: &'a [String],
    /// None: whatever group the cache uses (ElastiCache's default).
    pub parameter_group: Option<&'a str>,
}

/// What must change for the group `have` (read with its primary member when
/// `member_known`) to become `spec` with `want`; refuses an engine change or downgrade
/// ElastiCache cannot make.
pub(super) fn changes(
    id: &str,
    spec: &ElastiCacheSpec,
    have: &ElastiCacheState,
    member_known: bool,
    want: &Wanted<'_>,
) -> Result<Changes, PartError> {
    let mut c = Changes::default();
    c.off.apply_immediately = true;
    let sg = want.security_group;
    engine_change(id, spec, have, &mut c.main)?;
    user_group_change(have, want.user_groups, &mut c.main);
    if let Some(g) = want
        .parameter_group
        .filter(|g| member_known && *g != have.parameter_group)
    {
        c.main.parameter_group = Some(g.to_string());
        c.main
            .changes
            .push(format!("parameter group {} → {g}", have.parameter_group));
    }
    if have.node_type != spec.node_type {
        c.main.node_type = Some(spec.node_type.clone());
        c.main
            .changes
            .push(format!("node type {} → {}", have.node_type, spec.node_type));
    }
    let have_sgs: BTreeSet<&str> = have.security_group_ids.iter().map(String::as_str).collect();
    if let Some(want) = spec
        .maintenance_window
        .as_ref()
        .filter(|w| member_known && !w.eq_ignore_ascii_case(&have.maintenance_window))
    {
        c.main.maintenance_window = Some(want.to_lowercase());
        c.main.changes.push(format!(
            "maintenance window {} → {want}",
            have.maintenance_window
        ));
    }
    if have.snapshot_retention_days != spec.snapshot_retention_days {
        c.main.snapshot_retention_days = Some(spec.snapshot_retention_days);
        c.main.changes.push(format!(
            "snapshot retention {} → {} days",
            have.snapshot_retention_days, spec.snapshot_retention_days
        ));
    }
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
    c.main.apply_immediately = spec.apply_immediately || must_apply_now(spec, have, &c.main);
    Ok(c)
}

/// Changes sent at once whatever `apply_immediately` says: going back to the running node
/// type over a pending one (only an immediate modification replaces what waits), and an
/// engine move whose new parameter group family applies at once (the version must go with
/// it).
fn must_apply_now(spec: &ElastiCacheSpec, have: &ElastiCacheState, main: &Modify) -> bool {
    let reverts =
        have.pending.contains_key("node_type") && spec.node_type == have.running_node_type;
    let new_family = main.engine_version.is_some() && main.parameter_group.is_some();
    reverts || new_family || main.engine.is_some()
}

/// Starts using the wanted user groups and stops using the others.
fn user_group_change(have: &ElastiCacheState, want: &[String], main: &mut Modify) {
    main.user_groups_add = want
        .iter()
        .filter(|g| !have.user_group_ids.contains(g))
        .cloned()
        .collect();
    main.user_groups_remove = have
        .user_group_ids
        .iter()
        .filter(|g| !want.contains(g))
        .cloned()
        .collect();
    if !main.user_groups_add.is_empty() || !main.user_groups_remove.is_empty() {
        main.changes.push(format!(
            "user groups [{}] → [{}]",
            have.user_group_ids.join(", "),
            want.join(", ")
        ));
    }
    if have.auth_token_enabled && !main.user_groups_add.is_empty() {
        main.delete_auth_token = true;
        main.changes.push("AUTH token → IAM authentication".into());
    }
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
            .apply_immediately(self.apply_immediately)
            .set_cache_node_type(self.node_type.clone())
            .set_automatic_failover_enabled(self.failover)
            .set_multi_az_enabled(self.multi_az)
            .set_engine(self.engine.clone())
            .set_engine_version(self.engine_version.clone());
        if let Some(sg) = &self.security_group {
            req = req.security_group_ids(sg);
        }
        if !self.user_groups_add.is_empty() {
            req = req.set_user_group_ids_to_add(Some(self.user_groups_add.clone()));
        }
        if !self.user_groups_remove.is_empty() {
            req = req.set_user_group_ids_to_remove(Some(self.user_groups_remove.clone()));
        }
        if let Some(w) = &self.maintenance_window {
            req = req.preferred_maintenance_window(w);
        }
        if let Some(g) = &self.parameter_group {
            req = req.cache_parameter_group_name(g);
        }
        if let Some(days) = self.snapshot_retention_days {
            req = req.snapshot_retention_limit(days as i32);
        }
        if let Some(member) = &self.snapshotting_cluster_id {
            req = req.snapshotting_cluster_id(member);
        }
        if self.delete_auth_token {
            req = req.auth_token_update_strategy(AuthTokenUpdateStrategyType::Delete);
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
        // A deferred node type shows on the members' pending values, not on the group.
        let node_type = self.node_type.clone().filter(|_| self.apply_immediately);
        let Modify {
            failover,
            multi_az,
            user_groups_add,
            user_groups_remove,
            delete_auth_token,
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
                    && user_groups_add
                        .iter()
                        .all(|g| rg.user_group_ids().contains(g))
                    && !user_groups_remove
                        .iter()
                        .any(|g| rg.user_group_ids().contains(g))
                    && !(delete_auth_token && rg.auth_token_enabled() == Some(true))
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
    parameter_group: Option<&str>,
) -> Result<(ReplicationGroup, Option<CacheCluster>), PartError> {
    let id = replication_group_id(env);
    let was_available = rg.status() == Some("available");
    let mut rg = settled(env, rg).await?;
    let member = find_primary_member(env, &rg).await?;
    let have = state_of(&rg, member.as_ref());
    // With token authentication the user groups leave in the token's ROTATE request
    // (`auth_token::converge`): a cache is never left without authentication.
    let user_groups = match spec.authentication {
        CacheAuthentication::Token => have.user_group_ids.clone(),
        _ => wanted_user_groups(env, spec).unwrap_or_default(),
    };
    let want = Wanted {
        security_group: sg,
        user_groups: &user_groups,
        parameter_group,
    };
    let todo = changes(&id, spec, &have, member.is_some(), &want)?;
    let changed = !was_available || !todo.is_empty();
    let Changes {
        off,
        replicas,
        mut main,
    } = todo;
    if !off.changes.is_empty() {
        rg = off.apply(env).await?;
    }
    if let Some((from, to)) = replicas {
        rg = change_replicas(env, from, to).await?;
    }
    if !main.changes.is_empty() {
        // Snapshots turned on: ElastiCache wants the member that takes them (the primary,
        // as terraform-provider-aws sends it).
        if have.snapshot_retention_days == 0 && main.snapshot_retention_days.is_some() {
            main.snapshotting_cluster_id = primary_member_id(&rg).map(str::to_string);
        }
        rg = main.apply(env).await?;
    }
    if changed {
        Ok((rg, None))
    } else {
        tracing::info!(part = %PART, object = %id, "replication group settings up to date");
        Ok((rg, member))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_elasticache::operation::decrease_replica_count::DecreaseReplicaCountOutput;
    use aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsOutput;
    use aws_sdk_elasticache::operation::increase_replica_count::IncreaseReplicaCountOutput;
    use aws_sdk_elasticache::operation::modify_replication_group::ModifyReplicationGroupOutput;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::elasticache::tests::{group, primary_member, spec};
    use crate::aws::{testing, AwsContext};

    /// The group as read: `replicas` replicas, failover / Multi-AZ, engine redis 7.1.0 in
    /// `sg-cache`.
    fn have(replicas: usize, failover: bool, multi_az: bool) -> ElastiCacheState {
        let mut s = state_of(&group("available", replicas, failover, multi_az), None);
        s.engine_version = "7.1.0".into();
        s.security_group_ids = vec!["sg-cache".into()];
        s
    }

    #[test]
    fn snapshot_retention_changes_in_place() {
        let s = ElastiCacheSpec {
            snapshot_retention_days: 7,
            ..spec()
        };
        let want = wanted(None);
        let c = changes("mosia-test-cache", &s, &have(1, true, true), true, &want).unwrap();
        assert_eq!(c.main.snapshot_retention_days, Some(7));
        assert_eq!(c.main.changes, ["snapshot retention 0 → 7 days"]);
        let mut kept = have(1, true, true);
        kept.snapshot_retention_days = 7;
        assert!(changes("mosia-test-cache", &s, &kept, true, &want)
            .unwrap()
            .is_empty());
    }

    fn plan(spec: &ElastiCacheSpec, have: &ElastiCacheState) -> Result<Changes, PartError> {
        changes("mosia-test-cache", spec, have, true, &wanted(None))
    }

    #[test]
    fn a_group_that_matches_needs_nothing() {
        assert!(plan(&spec(), &have(1, true, true)).unwrap().is_empty());
        // `7.1` is satisfied by `7.1.0`.
        let s = ElastiCacheSpec {
            engine_version: Some("7.1".into()),
            ..spec()
        };
        assert!(plan(&s, &have(1, true, true)).unwrap().is_empty());
    }

    #[test]
    fn scaling_down_turns_multi_az_and_failover_off_before_the_replicas_go() {
        let s = ElastiCacheSpec {
            replicas: 0,
            automatic_failover: false,
            multi_az: false,
            ..spec()
        };
        let c = plan(&s, &have(2, true, true)).unwrap();
        assert_eq!(c.off.failover, Some(false));
        assert_eq!(c.off.multi_az, Some(false));
        assert_eq!(c.off.changes, ["Multi-AZ off", "automatic failover off"]);
        assert_eq!(c.replicas, Some((2, 0)));
        assert!(c.main.changes.is_empty());
    }

    #[test]
    fn scaling_up_adds_replicas_before_turning_failover_on() {
        let s = ElastiCacheSpec {
            replicas: 2,
            node_type: "cache.r7g.large".into(),
            ..spec()
        };
        let c = plan(&s, &have(0, false, false)).unwrap();
        assert!(c.off.changes.is_empty());
        assert_eq!(c.replicas, Some((0, 2)));
        assert_eq!(c.main.failover, Some(true));
        assert_eq!(c.main.multi_az, Some(true));
        assert_eq!(c.main.node_type.as_deref(), Some("cache.r7g.large"));
        assert_eq!(
            c.main.changes,
            [
                "node type cache.t4g.small → cache.r7g.large",
                "automatic failover on",
                "Multi-AZ on"
            ]
        );
    }

    #[test]
    fn a_node_type_change_waits_for_the_window_unless_it_goes_back_to_the_running_one() {
        let bigger = ElastiCacheSpec {
            node_type: "cache.r7g.large".into(),
            apply_immediately: false,
            ..spec()
        };
        let c = plan(&bigger, &have(1, true, true)).unwrap();
        assert_eq!(c.main.node_type.as_deref(), Some("cache.r7g.large"));
        assert!(!c.main.apply_immediately, "left for the window");
        assert!(c.off.apply_immediately);

        // Pending: the pending value counts as reached.
        let mut pending = have(1, true, true);
        pending.node_type = "cache.r7g.large".into();
        pending.pending = [("node_type".to_string(), "cache.r7g.large".to_string())].into();
        assert!(plan(&bigger, &pending).unwrap().is_empty());

        // Back to the running type over the pending one: only an immediate modification
        // replaces what waits.
        let back = ElastiCacheSpec {
            apply_immediately: false,
            ..spec()
        };
        let c = plan(&back, &pending).unwrap();
        assert_eq!(c.main.node_type.as_deref(), Some("cache.t4g.small"));
        assert!(c.main.apply_immediately);
    }

    #[test]
    fn an_engine_move_to_another_family_goes_at_once() {
        let up = ElastiCacheSpec {
            engine_version: Some("7.2".into()),
            apply_immediately: false,
            ..spec()
        };
        let within = changes(
            "mosia-test-cache",
            &up,
            &have(1, true, true),
            true,
            &wanted(None),
        )
        .unwrap();
        assert!(!within.main.apply_immediately, "same family: the window");
        let valkey = ElastiCacheSpec {
            engine: CacheEngine::Valkey,
            engine_version: Some("8.0".into()),
            apply_immediately: false,
            ..spec()
        };
        let c = plan(&valkey, &have(1, true, true)).unwrap();
        assert!(
            c.main.apply_immediately,
            "the engine goes with its new group"
        );
    }

    #[test]
    fn engine_upgrades_pass_and_downgrades_or_other_engines_are_refused() {
        let up = plan(
            &ElastiCacheSpec {
                engine_version: Some("7.2".into()),
                ..spec()
            },
            &have(1, true, true),
        )
        .unwrap();
        assert_eq!(up.main.engine_version.as_deref(), Some("7.2"));
        let err = plan(
            &ElastiCacheSpec {
                engine_version: Some("6.2".into()),
                ..spec()
            },
            &have(1, true, true),
        )
        .unwrap_err();
        assert!(
            err.detail.contains("cannot go down from 7.1.0 to 6.2"),
            "{}",
            err.detail
        );

        let valkey = ElastiCacheSpec {
            engine: CacheEngine::Valkey,
            engine_version: Some("8.0".into()),
            ..spec()
        };
        let c = plan(&valkey, &have(1, true, true)).unwrap();
        assert_eq!(
            (c.main.engine.as_deref(), c.main.engine_version.as_deref()),
            (Some("valkey"), Some("8.0"))
        );
        let err = plan(
            &ElastiCacheSpec {
                engine_version: None,
                ..valkey
            },
            &have(1, true, true),
        )
        .unwrap_err();
        assert!(
            err.detail.contains("needs a Valkey version"),
            "{}",
            err.detail
        );

        let mut on_valkey = have(1, true, true);
        on_valkey.engine = "valkey".into();
        let err = plan(&spec(), &on_valkey).unwrap_err();
        assert!(
            err.detail.contains("cannot change from valkey to redis"),
            "{}",
            err.detail
        );
    }

    #[test]
    fn another_security_group_is_replaced_only_when_the_member_was_read() {
        let mut elsewhere = have(1, true, true);
        elsewhere.security_group_ids = vec!["sg-old".into()];
        let c = plan(&spec(), &elsewhere).unwrap();
        assert_eq!(c.main.security_group.as_deref(), Some("sg-cache"));
        let unknown = changes(
            "mosia-test-cache",
            &spec(),
            &elsewhere,
            false,
            &wanted(None),
        )
        .unwrap();
        assert!(unknown.is_empty());
    }

    fn wanted(parameter_group: Option<&str>) -> Wanted<'_> {
        Wanted {
            security_group: "sg-cache",
            user_groups: &[],
            parameter_group,
        }
    }

    #[test]
    fn the_environments_parameter_group_goes_with_the_engine_upgrade() {
        let mut s = spec();
        s.engine_version = Some("8.0".into());
        s.engine = CacheEngine::Valkey;
        let mut have = have(1, true, true);
        have.parameter_group = "mosia-test-cache-redis7".into();
        let c = changes(
            "mosia-test-cache",
            &s,
            &have,
            true,
            &wanted(Some("mosia-test-cache-valkey8")),
        )
        .unwrap();
        assert_eq!(c.main.engine_version.as_deref(), Some("8.0"));
        assert_eq!(
            c.main.parameter_group.as_deref(),
            Some("mosia-test-cache-valkey8"),
            "one request: the new family's group with the new version"
        );
        // The default group stays while no parameters are configured.
        assert!(
            changes("mosia-test-cache", &spec(), &have, true, &wanted(None))
                .unwrap()
                .main
                .parameter_group
                .is_none()
        );
    }

    #[tokio::test]
    async fn update_applies_the_changes_in_order_each_waited_for() {
        let calls = Arc::new(Mutex::new(Vec::<String>::new()));
        let (c1, c2, c3) = (calls.clone(), calls.clone(), calls.clone());
        let modify = mock!(aws_sdk_elasticache::Client::modify_replication_group)
            .match_requests(move |r| {
                c1.lock().unwrap().push(format!(
                    "modify failover={:?} multi_az={:?} immediately={:?}",
                    r.automatic_failover_enabled(),
                    r.multi_az_enabled(),
                    r.apply_immediately()
                ));
                true
            })
            .then_output(|| ModifyReplicationGroupOutput::builder().build());
        let decrease = mock!(aws_sdk_elasticache::Client::decrease_replica_count)
            .match_requests(move |r| {
                c2.lock()
                    .unwrap()
                    .push(format!("decrease to {:?}", r.new_replica_count()));
                true
            })
            .then_output(|| DecreaseReplicaCountOutput::builder().build());
        let increase = mock!(aws_sdk_elasticache::Client::increase_replica_count)
            .match_requests(move |_| {
                c3.lock().unwrap().push("increase".into());
                true
            })
            .then_output(|| IncreaseReplicaCountOutput::builder().build());
        let out = |rg: ReplicationGroup| {
            move || {
                DescribeReplicationGroupsOutput::builder()
                    .replication_groups(rg.clone())
                    .build()
            }
        };
        let describe = mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .sequence()
            .output(out(group("available", 2, false, false)))
            .output(out(group("available", 0, false, false)))
            .repeatedly()
            .build();
        let member = primary_member();
        let ec = crate::mock_client!(
            aws_sdk_elasticache,
            [
                &crate::aws::elasticache::tests::user_group_missing(),
                &crate::aws::elasticache::tests::no_users(),
                &modify,
                &decrease,
                &increase,
                &describe,
                &member
            ]
        );
        let env = testing::env(AwsContext::offline().with_elasticache(ec));
        let s = ElastiCacheSpec {
            replicas: 0,
            automatic_failover: false,
            multi_az: false,
            ..spec()
        };

        let (rg, member) = update(
            &env,
            &s,
            group("available", 2, true, true),
            "sg-cache",
            None,
        )
        .await
        .unwrap();

        assert_eq!(
            *calls.lock().unwrap(),
            [
                "modify failover=Some(false) multi_az=Some(false) immediately=Some(true)",
                "decrease to Some(0)"
            ]
        );
        assert_eq!(replica_count(&rg), 0);
        assert!(member.is_none(), "changed: the member is read again");
    }

    /// Turning snapshots on names the member that takes them (ElastiCache refuses it
    /// otherwise).
    #[tokio::test]
    async fn snapshots_turned_on_name_the_primary_as_the_snapshotting_member() {
        let modify = mock!(aws_sdk_elasticache::Client::modify_replication_group)
            .match_requests(|r| {
                r.snapshot_retention_limit() == Some(7)
                    && r.snapshotting_cluster_id() == Some("mosia-test-cache-001")
            })
            .then_output(|| ModifyReplicationGroupOutput::builder().build());
        let describe =
            mock!(aws_sdk_elasticache::Client::describe_replication_groups).then_output(|| {
                DescribeReplicationGroupsOutput::builder()
                    .replication_groups(group("available", 1, true, true))
                    .build()
            });
        let member = primary_member();
        let ec = crate::mock_client!(
            aws_sdk_elasticache,
            [
                &crate::aws::elasticache::tests::user_group_missing(),
                &crate::aws::elasticache::tests::no_users(),
                &modify,
                &describe,
                &member
            ]
        );
        let env = testing::env(AwsContext::offline().with_elasticache(ec));
        let s = ElastiCacheSpec {
            snapshot_retention_days: 7,
            ..spec()
        };
        update(
            &env,
            &s,
            group("available", 1, true, true),
            "sg-cache",
            None,
        )
        .await
        .unwrap();
        assert_eq!(modify.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_create_failed_group_is_not_adopted() {
        let env = testing::env(AwsContext::offline());
        let err = update(
            &env,
            &spec(),
            group("create-failed", 1, true, true),
            "sg-cache",
            None,
        )
        .await
        .unwrap_err();
        assert!(
            err.detail.contains("status `create-failed`"),
            "{}",
            err.detail
        );
        assert_eq!(err.summary, "adopting replication group `mosia-test-cache`");
    }
}
