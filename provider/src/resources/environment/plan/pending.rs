//! Changes that wait for a maintenance window, at plan time: which path a change takes
//! (now, restarting the instance, or pending until the window), what is still pending from
//! an earlier apply, the planned `part_status` and `pending_changes` that stay consistent
//! with what the apply will report, and production's refusal of an instance class change
//! applied at once without an explicit acknowledgement.

use mosia_tfplugin::{AttrPath, Diagnostics, PlanRequest, Value};

use super::super::flatten::{window_phrase, PENDING_MAINTENANCE};
use super::super::spec::{EnvironmentSpec, Tier};
use crate::aws::part::PartId;
use crate::aws::rds::{major_version, RdsSpec};

/// Plans `part_status["rds"]`, `part_status["elasticache"]` and `pending_changes`: what was
/// pending stays so while nothing else changes (the next plan is empty); a change that may
/// leave something pending, or end what was, is known after the apply.
pub(in super::super) fn plan_pending_changes(
    req: &mut PlanRequest<'_>,
    old: &EnvironmentSpec,
    new: &EnvironmentSpec,
) {
    let unchanged = old == new;
    // RDS: applied now, and no parameter change that may wait for a reboot (static ones).
    let parameters = |s: &EnvironmentSpec| s.rds.as_ref().map(|r| r.parameters.clone());
    let rds_now =
        new.rds.as_ref().is_some_and(|r| r.apply_immediately) && parameters(old) == parameters(new);
    let cache_now = new
        .elasticache
        .as_ref()
        .is_some_and(|c| c.apply_immediately);
    let parts = [
        (PartId::RdsPrimary, old.rds == new.rds, rds_now),
        (
            PartId::ElastiCache,
            old.elasticache == new.elasticache,
            cache_now,
        ),
    ];
    let mut settled = true;
    for (part, part_unchanged, immediate) in parts {
        let key = part.to_string();
        let was_pending = req
            .prior
            .get("part_status")
            .entries()
            .and_then(|m| m.get(&key))
            .and_then(Value::as_str)
            == Some(PENDING_MAINTENANCE);
        let status = match (was_pending, unchanged, part_unchanged) {
            (true, true, _) => Some(Value::from(PENDING_MAINTENANCE)),
            // Nothing asked of the part and nothing pending: the apply finds it as it is.
            (false, _, true) => None,
            (false, _, false) if immediate => None,
            _ => Some(Value::unknown()),
        };
        settled &= status.as_ref().is_none_or(|s| !s.is_unknown());
        if let (Some(status), Some(Value::Map(m))) = (status, req.planned.get_mut("part_status")) {
            if m.contains_key(&key) {
                m.insert(key, status);
            }
        }
    }
    // A state from before `pending_changes` existed has none: the apply fills it in.
    let prior_pending = req.prior.get("pending_changes");
    let pending = if unchanged || (settled && !prior_pending.is_null()) {
        prior_pending.clone()
    } else {
        Value::unknown()
    };
    req.planned.set_attr("pending_changes", pending);
}

/// The settings of an RDS change that RDS applies in the maintenance window unless applied
/// at once, in words ("instance class a → b"). A major upgrade always goes at once.
fn deferrable_changes(old: &RdsSpec, new: &RdsSpec) -> Vec<String> {
    let mut changes = Vec::new();
    if old.instance_class != new.instance_class {
        changes.push(format!(
            "instance class {} → {}",
            old.instance_class, new.instance_class
        ));
    }
    if old.allocated_storage_gb != new.allocated_storage_gb {
        changes.push(format!(
            "storage {} → {} GB",
            old.allocated_storage_gb, new.allocated_storage_gb
        ));
    }
    if old.multi_az != new.multi_az {
        changes.push(format!("Multi-AZ → {}", new.multi_az));
    }
    if let (Some(a), Some(b)) = (&old.engine_version, &new.engine_version) {
        if a != b && major_version(&old.engine, a) == major_version(&new.engine, b) {
            changes.push(format!("engine version {a} → {b}"));
        }
    }
    if old.iam_database_authentication != new.iam_database_authentication {
        changes.push(format!(
            "IAM database authentication → {}",
            new.iam_database_authentication
        ));
    }
    if (old.backup_retention_days == 0) != (new.backup_retention_days == 0) {
        changes.push(format!(
            "backup retention → {} days",
            new.backup_retention_days
        ));
    }
    changes
}

/// Plan warnings: which path an RDS or ElastiCache change takes, and what an earlier apply
/// left pending.
pub(in super::super) fn warn_pending_changes(
    prior: &Value,
    old: &EnvironmentSpec,
    new: &EnvironmentSpec,
    diags: &mut Diagnostics,
) {
    warn_rds_path(old, new, diags);
    warn_cache_path(old, new, diags);
    warn_still_pending(prior, PartId::RdsPrimary, "RDS", diags);
    warn_still_pending(prior, PartId::ElastiCache, "ElastiCache", diags);
}

/// Which path an RDS change takes: the window, or now with a restart.
fn warn_rds_path(old: &EnvironmentSpec, new: &EnvironmentSpec, diags: &mut Diagnostics) {
    let (Some(old_rds), Some(new_rds)) = (&old.rds, &new.rds) else {
        return;
    };
    let window = window_phrase(new_rds.maintenance_window.as_deref().unwrap_or(""));
    let changes = deferrable_changes(old_rds, new_rds);
    let path = AttrPath::attr("rds").then("apply_immediately");
    if !changes.is_empty() && !new_rds.apply_immediately {
        diags.warning_at(
            path,
            "RDS changes wait for the maintenance window",
            format!(
                "{}: RDS applies {} {window}, not this apply (rds.apply_immediately = false). \
                 Until then part_status[\"rds\"] is \"pending-maintenance\" and \
                 pending_changes[\"rds\"] lists them; plans stay empty.",
                changes.join(", "),
                if changes.len() == 1 { "it" } else { "them" },
            ),
        );
    } else if !changes.is_empty() && restarts(old_rds, new_rds) {
        diags.warning_at(
            path,
            "RDS changes apply now",
            format!(
                "{}: applied by this apply (rds.apply_immediately = true). The instance \
                 restarts{}: expect a few minutes without the database. Set \
                 rds.apply_immediately = false to leave them for the maintenance window.",
                changes.join(", "),
                if new_rds.multi_az {
                    " through a Multi-AZ failover (about a minute of connection errors)"
                } else {
                    ""
                },
            ),
        );
    }
}

/// An ElastiCache node type change or an upgrade within the family, left for the window.
fn warn_cache_path(old: &EnvironmentSpec, new: &EnvironmentSpec, diags: &mut Diagnostics) {
    let (Some(old_cache), Some(new_cache)) = (&old.elasticache, &new.elasticache) else {
        return;
    };
    if new_cache.apply_immediately {
        return;
    }
    let mut changes = Vec::new();
    if old_cache.node_type != new_cache.node_type {
        changes.push(format!(
            "node type {} → {}",
            old_cache.node_type, new_cache.node_type
        ));
    }
    if let (Some(a), Some(b)) = (&old_cache.engine_version, &new_cache.engine_version) {
        let major = |v: &str| v.split('.').next().map(str::to_string);
        if a != b && major(a) == major(b) && old_cache.engine == new_cache.engine {
            changes.push(format!("engine version {a} → {b}"));
        }
    }
    if changes.is_empty() {
        return;
    }
    let window = window_phrase(new_cache.maintenance_window.as_deref().unwrap_or(""));
    diags.warning_at(
        AttrPath::attr("elasticache").then("apply_immediately"),
        "ElastiCache changes wait for the maintenance window",
        format!(
            "{}: ElastiCache applies {} {window}, not this apply \
             (elasticache.apply_immediately = false). Until then \
             part_status[\"elasticache\"] is \"pending-maintenance\" and \
             pending_changes[\"elasticache\"] lists them; plans stay empty.",
            changes.join(", "),
            if changes.len() == 1 { "it" } else { "them" },
        ),
    );
}

/// An instance class or Multi-AZ change restarts (or fails over) the instance.
fn restarts(old: &RdsSpec, new: &RdsSpec) -> bool {
    old.instance_class != new.instance_class || old.multi_az != new.multi_az
}

/// What the last apply left pending for `part`, as the state records it.
fn warn_still_pending(prior: &Value, part: PartId, service: &str, diags: &mut Diagnostics) {
    let key = part.to_string();
    let Some(changes) = prior
        .get("pending_changes")
        .entries()
        .and_then(|m| m.get(&key))
    else {
        return;
    };
    let Some(changes) = changes.entries().filter(|c| !c.is_empty()) else {
        return;
    };
    let words: Vec<String> = changes
        .iter()
        .map(|(attr, c)| {
            format!(
                "{attr} → {} {}",
                c.get("value").as_str().unwrap_or("?"),
                c.get("applies").as_str().unwrap_or("later")
            )
        })
        .collect();
    diags.warning_at(
        AttrPath::attr("pending_changes"),
        format!("{service} changes are still pending"),
        format!(
            "{}. {service} accepted them; the environment counts them as applied.",
            words.join("; ")
        ),
    );
}

/// Production: an instance class change applied at once restarts the database outside its
/// window; it needs `maintenance_acknowledged = true` and an explicit `timeouts.update`.
pub(in super::super) fn refuse_unacknowledged_restart(
    planned: &Value,
    old: &EnvironmentSpec,
    new: &EnvironmentSpec,
    diags: &mut Diagnostics,
) {
    let (Some(old_rds), Some(new_rds)) = (&old.rds, &new.rds) else {
        return;
    };
    if new.tier != Tier::Production
        || !new_rds.apply_immediately
        || old_rds.instance_class == new_rds.instance_class
    {
        return;
    }
    let acknowledged = planned.get("rds").get("maintenance_acknowledged").as_bool() == Some(true);
    let update_timeout = !planned.get("timeouts").get("update").is_null();
    if acknowledged && update_timeout {
        return;
    }
    diags.error_at(
        AttrPath::attr("rds").then("apply_immediately"),
        "Production refuses an unplanned database restart",
        format!(
            "Changing rds.instance_class from {} to {} with apply_immediately = true restarts \
             the production database now, outside its maintenance window. Set \
             apply_immediately = false to apply it in the window, or set both \
             rds.maintenance_acknowledged = true and timeouts.update (how long the apply may \
             wait for the restart) to apply it now.",
            old_rds.instance_class, new_rds.instance_class
        ),
    );
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::resources::environment::testing::{config, created, plan};

    fn env(tier: &str, rds: serde_json::Value) -> Value {
        config(json!({
            "name": "mosia-test", "tier": tier, "network": { "allowed_cidrs": ["10.9.0.0/16"] },
            "rds": rds,
        }))
    }

    fn rds_status(v: &Value) -> &Value {
        &v.get("part_status").entries().unwrap()["rds"]
    }

    /// The state after an apply that left the class pending for the window.
    fn pending_prior() -> Value {
        let cfg = env("production", json!({ "instance_class": "db.m7g.xlarge" }));
        let mut prior = created(&cfg, &[]);
        if let Some(Value::Map(m)) = prior.get_mut("part_status") {
            m.insert("rds".into(), Value::from(PENDING_MAINTENANCE));
        }
        let change = Value::object([
            ("value", Value::from("db.m7g.xlarge")),
            (
                "applies",
                Value::from("in the maintenance window sun:03:00-sun:04:00 (UTC)"),
            ),
        ]);
        let rds = Value::Map([("instance_class".to_string(), change)].into());
        prior.set_attr(
            "pending_changes",
            Value::Map([("rds".to_string(), rds)].into()),
        );
        prior
    }

    #[test]
    fn a_production_class_change_is_planned_for_the_window() {
        let prior = created(&env("production", json!({})), &[]);
        let p = plan(
            &prior,
            &env("production", json!({ "instance_class": "db.m7g.xlarge" })),
        );
        let w = p.diags_titled("RDS changes wait for the maintenance window");
        assert_eq!(w.len(), 1, "{:?}", p.diags);
        assert!(
            w[0].detail
                .contains("instance class db.m7g.large → db.m7g.xlarge")
                && w[0]
                    .detail
                    .contains("in the maintenance window sun:03:00-sun:04:00 (UTC)"),
            "{}",
            w[0].detail
        );
        assert!(
            rds_status(&p.value).is_unknown(),
            "pending or ready: known after the apply"
        );
        assert!(p.value.get("pending_changes").is_unknown());
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
    }

    #[test]
    fn a_pending_change_plans_nothing_and_says_it_is_pending() {
        let prior = pending_prior();
        let p = plan(
            &prior,
            &env("production", json!({ "instance_class": "db.m7g.xlarge" })),
        );
        assert_eq!(rds_status(&p.value), &Value::from(PENDING_MAINTENANCE));
        assert_eq!(p.value.get("pending_changes"), prior.get("pending_changes"));
        assert_eq!(p.value, prior, "no change at all");
        let w = p.diags_titled("RDS changes are still pending");
        assert_eq!(w.len(), 1, "{:?}", p.diags);
        assert!(
            w[0].detail.starts_with(
                "instance_class → db.m7g.xlarge in the maintenance window sun:03:00-sun:04:00"
            ),
            "{}",
            w[0].detail
        );
        // Another change while something is pending: the status is known after the apply.
        let other = plan(
            &prior,
            &env(
                "production",
                json!({ "instance_class": "db.m7g.xlarge", "backup_retention_days": 21 }),
            ),
        );
        assert!(rds_status(&other.value).is_unknown());
    }

    #[test]
    fn production_refuses_a_class_change_at_once_unless_acknowledged() {
        let prior = created(&env("production", json!({})), &[]);
        let now = json!({ "instance_class": "db.m7g.xlarge", "apply_immediately": true });
        let p = plan(&prior, &env("production", now.clone()));
        let e = p.diags_titled("Production refuses an unplanned database restart");
        assert_eq!(e.len(), 1, "{:?}", p.diags);
        assert_eq!(
            e[0].path,
            Some(AttrPath::attr("rds").then("apply_immediately"))
        );
        // Acknowledged without an update timeout: still refused.
        let mut ack = now.clone();
        ack["maintenance_acknowledged"] = json!(true);
        let p = plan(&prior, &env("production", ack.clone()));
        assert!(p.diags.has_errors());
        let mut with_timeout = json!({
            "name": "mosia-test", "tier": "production",
            "network": { "allowed_cidrs": ["10.9.0.0/16"] }, "rds": ack,
            "timeouts": { "update": "2h" },
        });
        let p = plan(&prior, &config(with_timeout.take()));
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
        let w = p.diags_titled("RDS changes apply now");
        assert_eq!(w.len(), 1, "{:?}", p.diags);
        assert!(w[0].detail.contains("Multi-AZ failover"), "{}", w[0].detail);
        assert_eq!(rds_status(&p.value), &Value::from("ready"));
    }

    #[test]
    fn a_parameter_change_may_wait_for_a_reboot() {
        let prior = created(&env("dev", json!({})), &[]);
        let p = plan(
            &prior,
            &env(
                "dev",
                json!({ "parameters": { "shared_preload_libraries": "pg_stat_statements" } }),
            ),
        );
        assert!(
            rds_status(&p.value).is_unknown(),
            "ready or pending-maintenance"
        );
        assert!(p.value.get("pending_changes").is_unknown());
    }

    fn cache_env(tier: &str, cache: serde_json::Value) -> Value {
        config(json!({
            "name": "mosia-test", "tier": tier, "network": { "allowed_cidrs": ["10.9.0.0/16"] },
            "elasticache": cache,
        }))
    }

    #[test]
    fn a_production_cache_node_type_change_waits_and_then_stays_pending_quietly() {
        let prior = created(&cache_env("production", json!({})), &[]);
        let bigger = cache_env("production", json!({ "node_type": "cache.r7g.xlarge" }));
        let p = plan(&prior, &bigger);
        let w = p.diags_titled("ElastiCache changes wait for the maintenance window");
        assert_eq!(w.len(), 1, "{:?}", p.diags);
        assert!(
            w[0].detail
                .contains("node type cache.m7g.large → cache.r7g.xlarge")
                && w[0].detail.contains("sun:04:00-sun:05:00"),
            "{}",
            w[0].detail
        );
        assert!(p.value.get("part_status").entries().unwrap()["elasticache"].is_unknown());

        // Applied as pending: the next plan is empty and says so.
        let mut pending = created(&bigger, &[]);
        if let Some(Value::Map(m)) = pending.get_mut("part_status") {
            m.insert("elasticache".into(), Value::from(PENDING_MAINTENANCE));
        }
        let change = Value::object([
            ("value", Value::from("cache.r7g.xlarge")),
            (
                "applies",
                Value::from("in the maintenance window sun:04:00-sun:05:00 (UTC)"),
            ),
        ]);
        let cache = Value::Map([("node_type".to_string(), change)].into());
        pending.set_attr(
            "pending_changes",
            Value::Map([("elasticache".to_string(), cache)].into()),
        );
        let p = plan(&pending, &bigger);
        assert_eq!(p.value, pending, "no change at all");
        let w = p.diags_titled("ElastiCache changes are still pending");
        assert_eq!(w.len(), 1, "{:?}", p.diags);
        assert!(
            w[0].detail.starts_with("node_type → cache.r7g.xlarge"),
            "{}",
            w[0].detail
        );

        // Dev: applied now, no warning, the status stays known.
        let prior = created(&cache_env("dev", json!({})), &[]);
        let p = plan(
            &prior,
            &cache_env("dev", json!({ "node_type": "cache.t4g.small" })),
        );
        assert!(p
            .diags_titled("ElastiCache changes wait for the maintenance window")
            .is_empty());
        assert_eq!(
            p.value.get("part_status").entries().unwrap()["elasticache"],
            Value::from("ready")
        );
    }

    #[test]
    fn dev_applies_a_class_change_at_once() {
        let prior = created(&env("dev", json!({})), &[]);
        let p = plan(
            &prior,
            &env("dev", json!({ "instance_class": "db.t4g.small" })),
        );
        assert_eq!(
            p.diags_titled("RDS changes apply now").len(),
            1,
            "{:?}",
            p.diags
        );
        assert!(p
            .diags_titled("RDS changes wait for the maintenance window")
            .is_empty());
        assert_eq!(rds_status(&p.value), &Value::from("ready"));
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
    }
}
