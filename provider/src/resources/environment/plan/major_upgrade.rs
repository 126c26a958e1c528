//! PostgreSQL major version upgrades at plan time: which path the upgrade takes and what it
//! costs in downtime (a warning), what RDS would refuse for a blue/green deployment (errors
//! at `rds.major_upgrade`, before anything is created), the outputs the upgrade changes, and
//! the old instances whose retention is over (the apply that deletes them is planned).

use std::time::SystemTime;

use mosia_tfplugin::{AttrPath, Diagnostics, PlanRequest, Value};

use super::super::spec::{EnvironmentSpec, MajorUpgrade, RdsSpec};
use crate::aws::rds::major_version;
use crate::aws::rds::retired::parse_rfc3339;

/// The parameter RDS needs for the logical replication of a blue/green major upgrade.
const LOGICAL_REPLICATION: &str = "rds.logical_replication";

/// The first minor of each PostgreSQL major from which RDS upgrades the major by blue/green
/// deployment (RDS User Guide, "PostgreSQL replication methods for blue/green
/// deployments"): older sources must take a minor upgrade first.
const BLUE_GREEN_MINIMUM_SOURCE: &[(&str, u32)] =
    &[("11", 21), ("12", 16), ("13", 12), ("14", 9), ("15", 4)];

/// The old and new RDS specs when the configuration raises the major version.
fn major_change<'s>(
    old: &'s EnvironmentSpec,
    new: &'s EnvironmentSpec,
) -> Option<(&'s RdsSpec, &'s RdsSpec, String, String)> {
    let (o, n) = (old.rds.as_ref()?, new.rds.as_ref()?);
    let from = o.engine_version.as_deref()?;
    let to = n.engine_version.as_deref()?;
    let (a, b) = (major_version(&o.engine, from), major_version(&n.engine, to));
    (a != b).then(|| (o, n, from.to_string(), to.to_string()))
}

/// Warnings, refusals and unknown outputs of a major version upgrade.
pub(in super::super) fn plan_major_upgrade(
    req: &mut PlanRequest<'_>,
    old: &EnvironmentSpec,
    new: &EnvironmentSpec,
) {
    let Some((_, n, from, to)) = major_change(old, new) else {
        return;
    };
    let path = AttrPath::attr("rds").then("major_upgrade");
    match n.major_upgrade {
        MajorUpgrade::InPlace => req.diags.warning_at(
            path,
            "PostgreSQL major upgrade in place",
            format!(
                "PostgreSQL {from} → {to} in place: the database is unavailable while RDS \
                 upgrades it (often 10-30 minutes, longer for large databases), and the only \
                 way back is restoring a snapshot. rds.major_upgrade = \"blue_green\" keeps it \
                 serving until a switchover of about a minute."
            ),
        ),
        MajorUpgrade::BlueGreen => {
            if refuse_blue_green(req.prior, n, &from, req.diags) {
                return;
            }
            warn_blue_green(n, &from, &to, req.diags);
            // A new secret after the switchover, and an old instance to keep.
            if let Some(rds) = req.planned.get_mut("rds") {
                rds.set_attr("master_user_secret_arn", Value::unknown());
                rds.set_attr("retired_instances", Value::unknown());
            }
        }
    }
}

fn warn_blue_green(n: &RdsSpec, from: &str, to: &str, diags: &mut Diagnostics) {
    let kept = match n.old_instance_retention_hours {
        0 => "deleted by this apply".to_string(),
        h => format!("kept {h} hours as NAME-db-old1 (rds.retired_instances), then deleted"),
    };
    let snapshot = if n.skip_final_snapshot {
        ""
    } else {
        " with a final snapshot"
    };
    diags.warning_at(
        AttrPath::attr("rds").then("major_upgrade"),
        "PostgreSQL major upgrade by blue/green deployment",
        format!(
            "PostgreSQL {from} → {to} by blue/green deployment: RDS copies the database to a \
             new instance on {to}, keeps it in sync by logical replication (schema changes are \
             not replicated: make none until the switchover), then switches over: writes stop \
             for about a minute and connections drop; the endpoint stays. The master password \
             leaves Secrets Manager for the deployment (same value) and comes back as a new \
             secret with a new password at a new master_user_secret_arn: applications must \
             read it again. The old instance is {kept}{snapshot}."
        ),
    );
}

/// Errors for what RDS would refuse; true when there is one.
fn refuse_blue_green(prior: &Value, n: &RdsSpec, from: &str, diags: &mut Diagnostics) -> bool {
    let path = AttrPath::attr("rds").then("major_upgrade");
    let mut refused = false;
    if let Some(least) = minimum_source(from) {
        diags.error_at(
            path.clone(),
            "Blue/green upgrade needs a newer source version",
            format!(
                "RDS upgrades the major version by blue/green deployment from PostgreSQL \
                 {least} or later; the database runs {from}. Raise engine_version to the \
                 latest {} minor first (a minor upgrade), or set rds.major_upgrade = \
                 \"in_place\".",
                major_version("postgres", from)
            ),
        );
        refused = true;
    }
    let configured = n.parameters.get(LOGICAL_REPLICATION).map(String::as_str) == Some("1");
    let in_effect = prior
        .get("rds")
        .get("parameters")
        .entries()
        .and_then(|m| m.get(LOGICAL_REPLICATION))
        .and_then(Value::as_str)
        == Some("1")
        && !prior
            .get("pending_changes")
            .entries()
            .and_then(|parts| parts.get("rds"))
            .and_then(Value::entries)
            .is_some_and(|m| m.contains_key("parameters"));
    if !configured || !in_effect {
        diags.error_at(
            path,
            "Blue/green upgrade needs logical replication in effect",
            format!(
                "A blue/green major upgrade replicates the database logically: RDS needs \
                 rds.parameters[\"{LOGICAL_REPLICATION}\"] = \"1\" in effect on the running \
                 instance. {} It is a static parameter: it takes effect when the instance \
                 reboots (reboot it in a quiet moment: `aws rds reboot-db-instance`), then \
                 raise engine_version. Or set rds.major_upgrade = \"in_place\".",
                if configured {
                    "It is set but not in effect yet (pending_changes[\"rds\"] lists it)."
                } else {
                    "Add it to rds.parameters with the current engine_version and apply first."
                }
            ),
        );
        refused = true;
    }
    refused
}

/// The least version RDS upgrades from by blue/green, when `from` is below it.
fn minimum_source(from: &str) -> Option<String> {
    let mut parts = from.split('.');
    let major = parts.next()?;
    let minor: u32 = parts.next()?.parse().ok()?;
    BLUE_GREEN_MINIMUM_SOURCE
        .iter()
        .find(|(m, _)| *m == major)
        .filter(|(_, least)| minor < *least)
        .map(|(m, least)| format!("{m}.{least}"))
}

/// Old instances whose retention is over are deleted by the next apply: plan the list as
/// changing so that there is one. A new retention re-dates them.
pub(in super::super) fn plan_retired_expiry(prior: &Value, planned: &mut Value, now: SystemTime) {
    let list = prior.get("rds").get("retired_instances").elements();
    let expired = list.iter().any(|o| {
        o.get("delete_after")
            .as_str()
            .and_then(parse_rfc3339)
            .is_some_and(|t| t <= now)
    });
    let hours = |v: &Value| v.get("rds").get("old_instance_retention_hours").clone();
    let redated = !list.is_empty() && hours(prior) != hours(planned);
    if expired || redated {
        if let Some(rds) = planned.get_mut("rds") {
            rds.set_attr("retired_instances", Value::unknown());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::resources::environment::testing::{config, created, plan};

    fn env(version: &str, extra: serde_json::Value) -> Value {
        let mut rds = json!({ "engine_version": version });
        if let (Some(r), Some(e)) = (rds.as_object_mut(), extra.as_object()) {
            r.extend(e.clone());
        }
        config(json!({
            "name": "mosia-test", "tier": "production",
            "network": { "allowed_cidrs": ["10.9.0.0/16"] }, "rds": rds,
        }))
    }

    fn logical() -> serde_json::Value {
        json!({ "parameters": { "rds.logical_replication": "1" } })
    }

    #[test]
    fn blue_green_is_announced_with_its_costs_and_changes_the_secret() {
        let prior = created(&env("15.7", logical()), &[]);
        let p = plan(&prior, &env("16.4", logical()));
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
        let w = p.diags_titled("PostgreSQL major upgrade by blue/green deployment");
        assert_eq!(w.len(), 1, "{:?}", p.diags);
        assert!(
            w[0].detail.contains("15.7 → 16.4")
                && w[0].detail.contains("kept 24 hours")
                && w[0].detail.contains("new master_user_secret_arn"),
            "{}",
            w[0].detail
        );
        assert!(p
            .value
            .get("rds")
            .get("master_user_secret_arn")
            .is_unknown());
        assert!(p.value.get("rds").get("retired_instances").is_unknown());
    }

    #[test]
    fn the_workloads_entries_follow_the_new_secret() {
        let with_workload = |version: &str| {
            let mut j = crate::resources::environment::testing::everything("production");
            j["rds"] = json!({
                "engine_version": version,
                "parameters": { "rds.logical_replication": "1" },
            });
            j["workload"] = json!({ "orders": { "namespace": "shop", "rds": "read_secret" } });
            config(j)
        };
        let prior = created(&with_workload("15.7"), &[]);
        let p = plan(&prior, &with_workload("16.4"));
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
        assert!(
            p.value.get("workloads").is_unknown(),
            "{:?}",
            p.value.get("workloads")
        );
    }

    #[test]
    fn blue_green_needs_logical_replication_in_effect_and_a_recent_source() {
        let prior = created(&env("15.7", json!({})), &[]);
        let p = plan(&prior, &env("16.4", logical()));
        let e = p.diags_titled("Blue/green upgrade needs logical replication in effect");
        assert_eq!(e.len(), 1, "{:?}", p.diags);
        assert!(
            e[0].detail.contains("not in effect yet") || e[0].detail.contains("reboot"),
            "{}",
            e[0].detail
        );

        // Set, but waiting for a reboot.
        let mut waiting = created(&env("15.7", logical()), &[]);
        let change = Value::object([
            (
                "value",
                Value::from("static parameters of `mosia-test-pg15`"),
            ),
            ("applies", Value::from("at the next reboot")),
        ]);
        let rds = Value::Map([("parameters".to_string(), change)].into());
        waiting.set_attr(
            "pending_changes",
            Value::Map([("rds".to_string(), rds)].into()),
        );
        let p = plan(&waiting, &env("16.4", logical()));
        let e = p.diags_titled("Blue/green upgrade needs logical replication in effect");
        assert_eq!(e.len(), 1, "{:?}", p.diags);
        assert!(e[0].detail.contains("not in effect yet"), "{}", e[0].detail);

        let old = created(&env("15.3", logical()), &[]);
        let p = plan(&old, &env("16.4", logical()));
        let e = p.diags_titled("Blue/green upgrade needs a newer source version");
        assert_eq!(e.len(), 1, "{:?}", p.diags);
        assert!(e[0].detail.contains("15.4 or later"), "{}", e[0].detail);

        // In place needs neither, and says what it costs.
        let p = plan(&prior, &env("16.4", json!({ "major_upgrade": "in_place" })));
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
        assert_eq!(p.diags_titled("PostgreSQL major upgrade in place").len(), 1);
    }

    #[test]
    fn an_expired_old_instance_plans_its_deletion() {
        let cfg = env("16.4", logical());
        let mut prior = created(&cfg, &[]);
        let old = Value::List(vec![Value::object([
            ("identifier", Value::from("mosia-test-db-old1")),
            ("engine_version", Value::from("15.7")),
            ("delete_after", Value::from("2026-12-05T10:00:00Z")),
        ])]);
        if let Some(rds) = prior.get_mut("rds") {
            rds.set_attr("retired_instances", old);
        }
        let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        let p = plan(&prior, &cfg);
        // Before the time: nothing to do.
        let mut before = p.value.clone();
        plan_retired_expiry(&prior, &mut before, at(1_796_000_000));
        assert!(!before.get("rds").get("retired_instances").is_unknown());
        // After it: the list changes, so the apply runs and deletes it.
        let mut after = p.value.clone();
        plan_retired_expiry(&prior, &mut after, at(1_797_000_000));
        assert!(after.get("rds").get("retired_instances").is_unknown());
        // A new retention re-dates it.
        let mut redated = p.value.clone();
        if let Some(rds) = redated.get_mut("rds") {
            rds.set_attr("old_instance_retention_hours", Value::int(48));
        }
        plan_retired_expiry(&prior, &mut redated, at(1_796_000_000));
        assert!(redated.get("rds").get("retired_instances").is_unknown());
    }
}
