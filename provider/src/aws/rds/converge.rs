//! Converging an existing primary to its configuration: `primary_changes` is the pure
//! decision (which fields of one ModifyDBInstance differ, or why RDS cannot get there, and
//! whether it goes now or in the maintenance window), and `send_modification` the one call
//! that sends it; the wait follows. Values pending for the window count as reached
//! ([`super::pending`]).

use std::collections::BTreeSet;

use aws_sdk_rds::types::DbInstance;

use super::blue_green;
use super::input::MajorUpgrade;
use super::instance::{
    can_become_available, is_available, wait_instance_accepted, wait_instance_available, Family,
};
use super::pending::{
    effective_backup_retention_days, effective_class, effective_engine_version,
    effective_iam_database_authentication, effective_multi_az, effective_storage_gb,
    effective_storage_type,
};
use super::primary::Placement;
use super::tagging::{sync_tags, tag_map};
use super::{major_version, RdsSpec, CREATE_TIMEOUT, MODIFY_TIMEOUT, SERVICE};
use crate::aws::part::{PartEnv, PartId};
use crate::aws::version;
use crate::engine::PartError;

const PART: PartId = PartId::RdsPrimary;

/// Brings an existing primary to `spec`: waits for a change in progress, syncs its tags,
/// sends what differs and waits until RDS has applied it, or (without ApplyImmediately)
/// accepted it for the maintenance window.
pub(crate) async fn converge_primary(
    env: &PartEnv,
    spec: &RdsSpec,
    db: &DbInstance,
    family: Family,
    placement: &Placement,
    warnings: &mut Vec<String>,
) -> Result<Family, PartError> {
    let id = db.db_instance_identifier().unwrap_or_default().to_string();
    let (db, family) = settle(env, &id, db, family).await?;
    // Tags are not part of ModifyDBInstance.
    sync_tags(
        env,
        &PART,
        db.db_instance_arn().unwrap_or_default(),
        &tag_map(db.tag_list()),
    )
    .await?;
    let modification = primary_changes(spec, placement, &db)
        .map_err(|detail| PartError::new(&PART, format!("updating DB instance `{id}`"), detail))?;
    if modification.allow_major_version_upgrade && spec.major_upgrade == MajorUpgrade::BlueGreen {
        let version = modification.engine_version.clone().unwrap_or_default();
        let family =
            blue_green::upgrade(env, spec, &db, &version, &placement.parameter_group).await?;
        let upgraded = family.get(&id).cloned().unwrap_or(db);
        // The rest on the upgraded instance: its password back into Secrets Manager, and
        // whatever else the configuration changes.
        return Box::pin(converge_primary(
            env, spec, &upgraded, family, placement, warnings,
        ))
        .await;
    }
    // A password out of Secrets Manager is what a blue/green upgrade leaves until it is done:
    // a deployment left behind (failed, abandoned, or after its switchover) goes first.
    if db.master_user_secret().is_none() {
        // Wanting none, none is kept.
        blue_green::discard_stale_deployment(env, &id, None).await?;
    }
    warnings.extend(encryption_warning(&id, &db));
    warnings.extend(super::observability::insights_key_warning(&id, spec, &db));
    if modification.is_empty() {
        tracing::info!(part = %PART, object = %id, "DB instance up to date");
        return Ok(family);
    }
    send_modification(env, &id, &modification).await?;
    let want_class = spec.instance_class.clone();
    let want_storage = spec.allocated_storage_gb.max(storage_gb(&db));
    let want_multi_az = spec.multi_az;
    if !modification.apply_immediately {
        let what = format!("DB instance `{id}` to accept its modifications");
        return wait_instance_accepted(env, &PART, &id, what, MODIFY_TIMEOUT, move |db| {
            effective_class(db) == want_class
                && effective_storage_gb(db) >= want_storage
                && effective_multi_az(db) == want_multi_az
        })
        .await;
    }
    let what = format!("DB instance `{id}` to apply its modifications");
    wait_instance_available(env, &PART, &id, what, MODIFY_TIMEOUT, move |db| {
        db.db_instance_class() == Some(want_class.as_str())
            && storage_gb(db) >= want_storage
            && db.multi_az().unwrap_or(false) == want_multi_az
    })
    .await
}

/// Lets a create or modification in progress finish first (ModifyDBInstance needs an
/// available instance; what waits for the maintenance window does not stop it).
async fn settle(
    env: &PartEnv,
    id: &str,
    db: &DbInstance,
    family: Family,
) -> Result<(DbInstance, Family), PartError> {
    let status = db.db_instance_status().unwrap_or_default();
    if !can_become_available(status) {
        return Err(PartError::new(
            &PART,
            format!("updating DB instance `{id}`"),
            format!("the instance is in status `{status}`, from which RDS cannot modify it"),
        ));
    }
    if is_available(db) {
        return Ok((db.clone(), family));
    }
    tracing::info!(part = %PART, object = %id, status = %status, "waiting for the DB instance before modifying it");
    let what = format!("DB instance `{id}` to become available");
    let family = wait_instance_accepted(env, &PART, id, what, CREATE_TIMEOUT, |_| true).await?;
    Ok((
        family.get(id).cloned().unwrap_or_else(|| db.clone()),
        family,
    ))
}

fn storage_gb(db: &DbInstance) -> u32 {
    db.allocated_storage().unwrap_or(0).max(0) as u32
}

fn encryption_warning(id: &str, db: &DbInstance) -> Option<String> {
    (!db.storage_encrypted().unwrap_or(false)).then(|| {
        format!(
            "DB instance `{id}` is not encrypted at rest: RDS cannot encrypt an existing \
             instance in place (restore an encrypted snapshot copy into a new instance)"
        )
    })
}

/// One ModifyDBInstance: the fields of the primary that differ from the configuration
/// (None / false: leave as is).
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Modification {
    pub instance_class: Option<String>,
    pub allocated_storage_gb: Option<u32>,
    pub max_allocated_storage_gb: Option<u32>,
    pub storage_type: Option<&'static str>,
    pub multi_az: Option<bool>,
    pub backup_retention_days: Option<u32>,
    pub deletion_protection: Option<bool>,
    pub manage_master_user_password: bool,
    /// The key of the master secret that `manage_master_user_password` creates.
    pub master_user_secret_kms_key_id: Option<String>,
    pub iam_database_authentication: Option<bool>,
    pub engine_version: Option<String>,
    pub allow_major_version_upgrade: bool,
    pub parameter_group: Option<String>,
    pub security_group: Option<String>,
    pub maintenance_window: Option<String>,
    pub backup_window: Option<String>,
    pub auto_minor_version_upgrade: Option<bool>,
    pub insights: Option<bool>,
    pub insights_key: Option<String>,
    pub insights_retention: Option<i32>,
    pub monitoring_interval: Option<i32>,
    pub monitoring_role: Option<String>,
    pub log_exports: Option<aws_sdk_rds::types::CloudwatchLogsExportConfiguration>,
    /// False: RDS keeps the settings that wait for it until the maintenance window.
    pub apply_immediately: bool,
    /// Each change in words, for logs and errors ("instance class a → b").
    pub changes: Vec<String>,
}

impl Modification {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// What to modify so that `db` matches `spec` and `placement`; Err (the reason) for what
/// RDS cannot do: shrink storage, downgrade the engine.
pub(crate) fn primary_changes(
    spec: &RdsSpec,
    placement: &Placement,
    db: &DbInstance,
) -> Result<Modification, String> {
    let mut m = Modification {
        apply_immediately: spec.apply_immediately,
        ..Modification::default()
    };
    let have_class = effective_class(db);
    if have_class != spec.instance_class {
        m.changes.push(format!(
            "instance class {have_class} → {}",
            spec.instance_class
        ));
        m.instance_class = Some(spec.instance_class.clone());
    }
    storage_changes(spec, db, &mut m)?;
    if effective_multi_az(db) != spec.multi_az {
        m.changes.push(format!("Multi-AZ → {}", spec.multi_az));
        m.multi_az = Some(spec.multi_az);
    }
    if effective_backup_retention_days(db) != spec.backup_retention_days {
        m.changes.push(format!(
            "backup retention → {} days",
            spec.backup_retention_days
        ));
        m.backup_retention_days = Some(spec.backup_retention_days);
    }
    if db.deletion_protection().unwrap_or(false) != spec.deletion_protection {
        m.changes.push(format!(
            "deletion protection → {}",
            spec.deletion_protection
        ));
        m.deletion_protection = Some(spec.deletion_protection);
    }
    // A database restored from a snapshot starts with the snapshot's password; hand it to
    // Secrets Manager as every Mosia database is (also undoes turning it off out of band).
    if db.master_user_secret().is_none() {
        m.changes
            .push("master password managed in Secrets Manager".into());
        m.manage_master_user_password = true;
        m.master_user_secret_kms_key_id = spec.kms_key.arn.clone();
    }
    let iam_auth = effective_iam_database_authentication(db);
    if iam_auth != spec.iam_database_authentication {
        let auth = spec.iam_database_authentication;
        m.changes
            .push(format!("IAM database authentication → {auth}"));
        m.iam_database_authentication = Some(auth);
    }
    engine_changes(spec, placement, db, &mut m)?;
    window_changes(spec, db, &mut m);
    // Applied at once whatever ApplyImmediately says; RDS reports it on every instance.
    if db.auto_minor_version_upgrade().unwrap_or(true) != spec.auto_minor_version_upgrade {
        let on = spec.auto_minor_version_upgrade;
        m.changes
            .push(format!("automatic minor version upgrades → {on}"));
        m.auto_minor_version_upgrade = Some(on);
    }
    // Going back to what runs now, over a pending value: only an immediate modification
    // replaces what waits for the window. A major upgrade moves to the new family's
    // parameter group, which applies at once: the version goes with it.
    if reverts_pending(spec, db) || m.allow_major_version_upgrade {
        m.apply_immediately = true;
    }
    let sg = placement.security_group.as_str();
    let have_sgs: BTreeSet<&str> = db
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    if have_sgs != BTreeSet::from([sg]) {
        m.changes.push(format!("security groups → {sg}"));
        m.security_group = Some(sg.to_string());
    }
    let role = placement.monitoring_role.as_deref();
    super::observability::observability_changes(spec, role, db, &mut m);
    Ok(m)
}

/// The maintenance and backup windows the configuration sets (RDS applies them at once,
/// whatever ApplyImmediately says; it reports the maintenance window in lowercase).
fn window_changes(spec: &RdsSpec, db: &DbInstance, m: &mut Modification) {
    let have = db.preferred_maintenance_window().unwrap_or_default();
    if let Some(want) = spec
        .maintenance_window
        .as_ref()
        .filter(|w| !w.eq_ignore_ascii_case(have))
    {
        m.changes
            .push(format!("maintenance window {have} → {want}"));
        m.maintenance_window = Some(want.to_lowercase());
    }
    let have = db.preferred_backup_window().unwrap_or_default();
    if let Some(want) = spec.backup_window.as_ref().filter(|w| *w != have) {
        m.changes.push(format!("backup window {have} → {want}"));
        m.backup_window = Some(want.clone());
    }
}

/// Storage size, autoscaling ceiling and type.
fn storage_changes(spec: &RdsSpec, db: &DbInstance, m: &mut Modification) -> Result<(), String> {
    // Shrinking is judged against what runs; a pending size may be replaced by any size
    // from there.
    let current = storage_gb(db);
    let have = effective_storage_gb(db);
    let want = spec.allocated_storage_gb;
    if want < current {
        return Err(format!(
            "allocated_storage_gb cannot shrink from {current} to {want} GB: RDS does not \
             reduce the storage of a DB instance. Set allocated_storage_gb to at least \
             {current}, or move the data to a new instance"
        ));
    }
    if want != have {
        m.changes.push(format!("storage {have} → {want} GB"));
        m.allocated_storage_gb = Some(want);
    }
    let have_max = db.max_allocated_storage().map(|m| m.max(0) as u32);
    match (spec.max_allocated_storage_gb, have_max) {
        (Some(want_max), have_max) if have_max != Some(want_max) => {
            m.changes
                .push(format!("max storage {have_max:?} → {want_max} GB"));
            m.max_allocated_storage_gb = Some(want_max);
        }
        // Autoscaling off: a ceiling equal to the allocated storage.
        (None, Some(have_max)) if have_max > want.max(have) => {
            m.changes
                .push(format!("storage autoscaling off (was up to {have_max} GB)"));
            m.max_allocated_storage_gb = Some(want.max(have));
        }
        _ => {}
    }
    if let Some(t) = effective_storage_type(db).filter(|t| *t != "gp3") {
        m.changes.push(format!("storage type {t} → gp3"));
        m.storage_type = Some("gp3");
    }
    Ok(())
}

/// Engine version (upgrades only) and the parameter group of the major version.
fn engine_changes(
    spec: &RdsSpec,
    placement: &Placement,
    db: &DbInstance,
    m: &mut Modification,
) -> Result<(), String> {
    let have = effective_engine_version(db);
    if let Some(want) = spec
        .engine_version
        .as_deref()
        .filter(|w| !version::matches(w, have))
    {
        if version::key(want) < version::key(have) {
            return Err(format!(
                "engine_version cannot go down from {have} to {want}: RDS only \
                 upgrades. Set engine_version to {have} or later"
            ));
        }
        m.changes.push(format!("engine version {have} → {want}"));
        m.engine_version = Some(want.to_string());
        m.allow_major_version_upgrade = major_version(&spec.engine, have) != placement.major;
    }
    let have_pg = db
        .db_parameter_groups()
        .first()
        .and_then(|p| p.db_parameter_group_name())
        .unwrap_or_default();
    if have_pg != placement.parameter_group {
        m.changes.push(format!(
            "parameter group {have_pg} → {}",
            placement.parameter_group
        ));
        m.parameter_group = Some(placement.parameter_group.clone());
    }
    Ok(())
}

/// True when the configuration asks for what runs now where a different value is pending.
fn reverts_pending(spec: &RdsSpec, db: &DbInstance) -> bool {
    let Some(p) = db.pending_modified_values() else {
        return false;
    };
    let class = p.db_instance_class().is_some()
        && db.db_instance_class() == Some(spec.instance_class.as_str());
    let multi_az = p.multi_az().is_some() && db.multi_az() == Some(spec.multi_az);
    let storage = p.allocated_storage().is_some()
        && db.allocated_storage() == Some(spec.allocated_storage_gb as i32);
    class || multi_az || storage
}

/// Sends `m` as one ModifyDBInstance, with ApplyImmediately as `m` says.
async fn send_modification(env: &PartEnv, id: &str, m: &Modification) -> Result<(), PartError> {
    tracing::info!(part = %PART, object = %id, changes = ?m.changes, apply_immediately = m.apply_immediately, "modifying DB instance");
    let req = env
        .aws
        .rds()
        .modify_db_instance()
        .db_instance_identifier(id)
        .apply_immediately(m.apply_immediately)
        .set_db_instance_class(m.instance_class.clone())
        .set_allocated_storage(m.allocated_storage_gb.map(|g| g as i32))
        .set_max_allocated_storage(m.max_allocated_storage_gb.map(|g| g as i32))
        .set_storage_type(m.storage_type.map(str::to_string))
        .set_multi_az(m.multi_az)
        .set_backup_retention_period(m.backup_retention_days.map(|d| d as i32))
        .set_deletion_protection(m.deletion_protection)
        .set_manage_master_user_password(m.manage_master_user_password.then_some(true))
        .set_master_user_secret_kms_key_id(m.master_user_secret_kms_key_id.clone())
        .set_enable_iam_database_authentication(m.iam_database_authentication)
        .set_engine_version(m.engine_version.clone())
        .set_allow_major_version_upgrade(m.allow_major_version_upgrade.then_some(true))
        .set_db_parameter_group_name(m.parameter_group.clone())
        .set_vpc_security_group_ids(m.security_group.clone().map(|sg| vec![sg]))
        .set_preferred_maintenance_window(m.maintenance_window.clone())
        .set_auto_minor_version_upgrade(m.auto_minor_version_upgrade)
        .set_preferred_backup_window(m.backup_window.clone())
        .set_enable_performance_insights(m.insights)
        .set_performance_insights_kms_key_id(m.insights_key.clone())
        .set_performance_insights_retention_period(m.insights_retention)
        .set_monitoring_interval(m.monitoring_interval)
        .set_monitoring_role_arn(m.monitoring_role.clone())
        .set_cloudwatch_logs_export_configuration(m.log_exports.clone());
    super::observability::until_monitoring_role_accepted(env, || req.clone().send())
        .await?
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("modifying DB instance `{id}` ({})", m.changes.join(", ")),
                "ModifyDBInstance",
                &e,
            )
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::types::VpcSecurityGroupMembership;

    use super::*;
    use crate::aws::rds::testdata::{self, primary};

    fn placement() -> Placement {
        Placement {
            major: "16".into(),
            subnet_group: "mosia-test-db".into(),
            parameter_group: "mosia-test-pg16".into(),
            security_group: "sg-rds".into(),
            monitoring_role: None,
        }
    }

    #[test]
    fn nothing_to_change_when_the_instance_matches() {
        let m = primary_changes(&testdata::spec(), &placement(), &primary().build()).unwrap();
        assert!(m.is_empty(), "{m:?}");
    }

    #[test]
    fn each_difference_becomes_one_field() {
        let mut spec = testdata::spec();
        spec.allocated_storage_gb = 50;
        spec.multi_az = true;
        let m = primary_changes(&spec, &placement(), &primary().build()).unwrap();
        assert_eq!(m.allocated_storage_gb, Some(50));
        assert_eq!(m.multi_az, Some(true));
        assert_eq!(
            (m.instance_class.as_deref(), m.engine_version.as_deref()),
            (None, None)
        );
        assert_eq!(m.changes, ["storage 20 → 50 GB", "Multi-AZ → true"]);
    }

    #[test]
    fn windows_change_in_place_and_ignore_the_case_of_days() {
        let mut spec = testdata::spec();
        spec.maintenance_window = Some("Sun:03:00-Sun:04:00".into());
        spec.backup_window = Some("01:00-02:00".into());
        let same = primary()
            .preferred_maintenance_window("sun:03:00-sun:04:00")
            .preferred_backup_window("01:00-02:00")
            .build();
        assert!(primary_changes(&spec, &placement(), &same)
            .unwrap()
            .is_empty());
        let other = primary()
            .preferred_maintenance_window("wed:06:38-wed:07:08")
            .preferred_backup_window("13:14-13:44")
            .build();
        let m = primary_changes(&spec, &placement(), &other).unwrap();
        assert_eq!(m.maintenance_window.as_deref(), Some("sun:03:00-sun:04:00"));
        assert_eq!(m.backup_window.as_deref(), Some("01:00-02:00"));
        // Left to RDS: whatever it chose stays.
        assert!(primary_changes(&testdata::spec(), &placement(), &other)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_major_upgrade_moves_to_the_new_parameter_group() {
        let mut spec = testdata::spec();
        spec.engine_version = Some("17.2".into());
        let target = Placement {
            major: "17".into(),
            parameter_group: "mosia-test-pg17".into(),
            ..placement()
        };
        let m = primary_changes(&spec, &target, &primary().build()).unwrap();
        assert_eq!(m.engine_version.as_deref(), Some("17.2"));
        assert!(m.allow_major_version_upgrade);
        assert_eq!(m.parameter_group.as_deref(), Some("mosia-test-pg17"));
        // A minor upgrade needs no permission; a bare wanted major matches its minors.
        spec.engine_version = Some("16.6".into());
        let m = primary_changes(&spec, &placement(), &primary().build()).unwrap();
        assert!(!m.allow_major_version_upgrade);
        spec.engine_version = Some("16".into());
        assert!(primary_changes(&spec, &placement(), &primary().build())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn refuses_to_shrink_storage_and_fixes_what_a_restore_leaves() {
        let mut spec = testdata::spec();
        spec.allocated_storage_gb = 10;
        let err = primary_changes(&spec, &placement(), &primary().build()).unwrap_err();
        assert!(err.contains("cannot shrink from 20 to 10 GB"), "{err}");
        // A restored instance: the snapshot's password, another security group, gp2.
        let restored = primary()
            .set_master_user_secret(None)
            .set_vpc_security_groups(Some(vec![VpcSecurityGroupMembership::builder()
                .vpc_security_group_id("sg-default")
                .build()]))
            .storage_type("gp2")
            .build();
        let m = primary_changes(&testdata::spec(), &placement(), &restored).unwrap();
        assert!(m.manage_master_user_password);
        assert_eq!(m.security_group.as_deref(), Some("sg-rds"));
        assert_eq!(m.storage_type, Some("gp3"));
    }

    fn pending(class: &str) -> aws_sdk_rds::types::PendingModifiedValues {
        aws_sdk_rds::types::PendingModifiedValues::builder()
            .db_instance_class(class)
            .build()
    }

    #[test]
    fn without_apply_immediately_a_change_is_left_for_the_window_and_then_counts_as_made() {
        let mut spec = testdata::spec();
        spec.apply_immediately = false;
        spec.instance_class = "db.t4g.small".into();
        let m = primary_changes(&spec, &placement(), &primary().build()).unwrap();
        assert_eq!(m.instance_class.as_deref(), Some("db.t4g.small"));
        assert!(!m.apply_immediately);
        // Accepted for the window: nothing more to send.
        let accepted = primary()
            .pending_modified_values(pending("db.t4g.small"))
            .build();
        assert!(primary_changes(&spec, &placement(), &accepted)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn going_back_over_a_pending_value_and_major_upgrades_go_at_once() {
        let mut spec = testdata::spec();
        spec.apply_immediately = false;
        // Runs db.t4g.micro (the spec's), db.t4g.small pending: back to what runs.
        let db = primary()
            .pending_modified_values(pending("db.t4g.small"))
            .build();
        let m = primary_changes(&spec, &placement(), &db).unwrap();
        assert_eq!(m.instance_class.as_deref(), Some("db.t4g.micro"));
        assert!(
            m.apply_immediately,
            "only an immediate change replaces a pending one"
        );
        spec.engine_version = Some("17.2".into());
        let target = Placement {
            major: "17".into(),
            parameter_group: "mosia-test-pg17".into(),
            ..placement()
        };
        let m = primary_changes(&spec, &target, &primary().build()).unwrap();
        assert!(m.allow_major_version_upgrade && m.apply_immediately);
    }

    #[test]
    fn a_pending_storage_size_may_be_replaced_but_what_runs_never_shrinks() {
        let mut spec = testdata::spec();
        spec.apply_immediately = false;
        spec.allocated_storage_gb = 30;
        let db = primary()
            .pending_modified_values(
                aws_sdk_rds::types::PendingModifiedValues::builder()
                    .allocated_storage(50)
                    .build(),
            )
            .build();
        let m = primary_changes(&spec, &placement(), &db).unwrap();
        assert_eq!(m.allocated_storage_gb, Some(30));
        spec.allocated_storage_gb = 10;
        let err = primary_changes(&spec, &placement(), &db).unwrap_err();
        assert!(err.contains("cannot shrink from 20 to 10 GB"), "{err}");
    }

    #[test]
    fn automatic_minor_upgrades_follow_the_configuration() {
        let mut spec = testdata::spec();
        spec.auto_minor_version_upgrade = false;
        let on = primary().auto_minor_version_upgrade(true).build();
        let m = primary_changes(&spec, &placement(), &on).unwrap();
        assert_eq!(m.auto_minor_version_upgrade, Some(false));
        let off = primary().auto_minor_version_upgrade(false).build();
        assert!(primary_changes(&spec, &placement(), &off)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn autoscaling_off_sets_the_ceiling_to_the_storage() {
        let db = primary().max_allocated_storage(100).build();
        let m = primary_changes(&testdata::spec(), &placement(), &db).unwrap();
        assert_eq!(m.max_allocated_storage_gb, Some(20));
        let mut spec = testdata::spec();
        spec.max_allocated_storage_gb = Some(100);
        assert!(primary_changes(&spec, &placement(), &db)
            .unwrap()
            .is_empty());
    }
}
