//! The primary DB instance `{env}-db`: `ensure_primary` converges the subnet group, the
//! parameter group and the instance, by one of four ways: adopt (an instance of ours
//! exists), create, restore (from `snapshot_identifier`), then converge (modify what
//! differs). What to modify is a pure function, [`primary_changes`]; one call sends it.

use std::collections::BTreeSet;

use aws_sdk_rds::operation::create_db_instance::CreateDBInstanceError;
use aws_sdk_rds::operation::restore_db_instance_from_db_snapshot::RestoreDBInstanceFromDBSnapshotError;
use aws_sdk_rds::types::DbInstance;

use super::instance::{
    can_become_available, find_instances, is_settled, wait_instance_available, Family,
};
use super::parameter_group::ensure_parameter_group;
use super::read::{primary_state, RdsState};
use super::subnet_group::ensure_subnet_group;
use super::tagging::{owned, sdk_tags, sync_tags, tag_map, wanted};
use super::{
    check_identifier_lengths, major_version, primary_identifier, subnet_group_name, RdsSpec,
    CREATE_TIMEOUT, MODIFY_TIMEOUT, SECURITY_GROUP_KEY, SERVICE,
};
use crate::aws::errors;
use crate::aws::network::NetworkState;
use crate::aws::part::{not_ours, PartEnv, PartId};
use crate::aws::version;
use crate::engine::PartError;

const PART: PartId = PartId::RdsPrimary;

/// The major version used when neither the configuration nor RDS names a default.
const FALLBACK_POSTGRES_MAJOR: &str = "16";

/// Where the primary runs and with what: decided before the instance is touched.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Placement {
    /// The engine's major version to run (from the configured, current or default version).
    pub major: String,
    pub subnet_group: String,
    pub parameter_group: String,
    pub security_group: String,
}

/// Converges the subnet group, parameter group and primary DB instance to `spec`; waits until
/// the instance is available with no pending modification. Replicas are left to
/// [`super::ensure_replicas`] (the returned state lists those that exist).
pub async fn ensure_primary(
    env: &PartEnv,
    spec: &RdsSpec,
    net: &NetworkState,
) -> Result<RdsState, PartError> {
    check_identifier_lengths(env)?;
    let id = primary_identifier(env);
    let security_group = security_group(env, net, &id)?;
    let family = find_instances(env, &PART).await?;
    let existing = adoptable_primary(env, &family)?;

    // The version to run: configured, else what runs now, else RDS's default.
    let version = match (&spec.engine_version, &existing) {
        (Some(v), _) => v.clone(),
        (None, Some(db)) => db.engine_version().unwrap_or_default().to_string(),
        (None, None) => default_engine_version(env, &spec.engine).await,
    };
    let major = major_version(&spec.engine, &version);
    let subnet_group = ensure_subnet_group(env, net).await?;
    let (parameter_group, params) =
        ensure_parameter_group(env, &spec.engine, &major, &spec.parameters).await?;
    let mut warnings: Vec<String> =
        static_parameters_warning(&id, &parameter_group, &params.need_reboot)
            .into_iter()
            .collect();
    let placement = Placement {
        major,
        subnet_group,
        parameter_group,
        security_group,
    };

    let family = match (existing, &spec.snapshot_identifier) {
        (Some(db), _) => {
            converge_primary(env, spec, &db, family, &placement, &mut warnings).await?
        }
        (None, Some(snapshot)) => {
            // Restored, then converged to the configuration like an existing instance.
            let family = restore_primary(env, spec, snapshot, &placement).await?;
            match family.get(&id).cloned() {
                Some(db) => {
                    converge_primary(env, spec, &db, family, &placement, &mut warnings).await?
                }
                None => family,
            }
        }
        (None, None) => create_primary(env, spec, &version, &placement).await?,
    };
    let mut state = primary_state(env, &family).ok_or_else(|| {
        PartError::new(
            &PART,
            format!("reading DB instance `{id}`"),
            "the instance disappeared",
        )
        .retryable(true)
    })?;
    if state.pending_reboot() && params.need_reboot.is_empty() {
        warnings.push(format!(
            "DB instance `{id}` has parameter changes pending a reboot (parameter group `{}`)",
            state.parameter_group
        ));
    }
    for w in &warnings {
        tracing::warn!(part = %PART, object = %id, "{w}");
    }
    state.warnings = warnings;
    tracing::info!(part = %PART, object = %id, status = %state.status, class = %state.instance_class, "DB instance ready");
    Ok(state)
}

/// The network's `rds` security group; refuses a network with fewer than two private
/// subnets (RDS needs two availability zones).
fn security_group(env: &PartEnv, net: &NetworkState, id: &str) -> Result<String, PartError> {
    let sg = net
        .security_group_ids
        .get(SECURITY_GROUP_KEY)
        .cloned()
        .ok_or_else(|| {
            PartError::new(
                &PART,
                format!("creating DB instance `{id}`"),
                "the network has no `rds` security group",
            )
        })?;
    if net.private_subnet_ids.len() < 2 {
        return Err(PartError::new(
            &PART,
            format!("creating DB subnet group `{}`", subnet_group_name(env)),
            format!(
                "RDS needs subnets in at least two availability zones; the network has {} \
                 private subnet(s)",
                net.private_subnet_ids.len()
            ),
        ));
    }
    Ok(sg)
}

/// The existing primary to adopt, if any: refused when it is not ours, and (retryably)
/// while it is being deleted.
fn adoptable_primary(env: &PartEnv, family: &Family) -> Result<Option<DbInstance>, PartError> {
    let id = primary_identifier(env);
    let Some(db) = family.get(&id) else {
        return Ok(None);
    };
    if !owned(env, db) {
        return Err(not_ours(
            env,
            &PART,
            "DB instance",
            &id,
            &tag_map(db.tag_list()),
        ));
    }
    if db.db_instance_status() == Some("deleting") {
        return Err(PartError::new(
            &PART,
            format!("adopting DB instance `{id}`"),
            "the instance is being deleted; wait until it is gone",
        )
        .retryable(true));
    }
    Ok(Some(db.clone()))
}

fn static_parameters_warning(
    id: &str,
    parameter_group: &str,
    need_reboot: &[String],
) -> Option<String> {
    if need_reboot.is_empty() {
        return None;
    }
    Some(format!(
        "parameters {} of DB parameter group `{parameter_group}` are static: they take effect at \
         the next reboot of `{id}` (Mosia does not reboot the database; reboot it in a \
         maintenance window)",
        need_reboot
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The engine version to create with when the configuration leaves it to RDS: RDS's default
/// (DescribeDBEngineVersions, DefaultOnly), else the latest PostgreSQL major this provider
/// knows (RDS accepts a bare major version and picks its default minor).
async fn default_engine_version(env: &PartEnv, engine: &str) -> String {
    let asked = env
        .aws
        .rds()
        .describe_db_engine_versions()
        .engine(engine)
        .default_only(true)
        .send()
        .await;
    match asked {
        Ok(out) => {
            if let Some(v) = out
                .db_engine_versions()
                .first()
                .and_then(|v| v.engine_version())
            {
                return v.to_string();
            }
        }
        Err(e) => {
            tracing::warn!(
                part = %PART,
                engine,
                error = %errors::diagnostic("RDS DescribeDBEngineVersions", &e).detail,
                "cannot ask RDS for its default engine version; using {FALLBACK_POSTGRES_MAJOR}"
            );
        }
    }
    FALLBACK_POSTGRES_MAJOR.to_string()
}

async fn create_primary(
    env: &PartEnv,
    spec: &RdsSpec,
    version: &str,
    placement: &Placement,
) -> Result<Family, PartError> {
    let id = primary_identifier(env);
    tracing::info!(part = %PART, object = %id, engine = %spec.engine, version, class = %spec.instance_class, "creating DB instance");
    let sent = env
        .aws
        .rds()
        .create_db_instance()
        .db_instance_identifier(&id)
        .engine(&spec.engine)
        .engine_version(version)
        .db_instance_class(&spec.instance_class)
        .allocated_storage(spec.allocated_storage_gb as i32)
        .set_max_allocated_storage(spec.max_allocated_storage_gb.map(|m| m as i32))
        .storage_type("gp3")
        .storage_encrypted(true)
        .multi_az(spec.multi_az)
        .backup_retention_period(spec.backup_retention_days as i32)
        .deletion_protection(spec.deletion_protection)
        .db_subnet_group_name(&placement.subnet_group)
        .db_parameter_group_name(&placement.parameter_group)
        .vpc_security_group_ids(&placement.security_group)
        .publicly_accessible(false)
        .copy_tags_to_snapshot(true)
        .master_username(&spec.master_username)
        .manage_master_user_password(true)
        .set_db_name(spec.database_name.clone())
        .set_tags(Some(sdk_tags(&wanted(env))))
        .send()
        .await;
    match sent {
        Ok(_) => {}
        // A concurrent run created it between our describe and this create: adopt it below
        // (its ownership is checked after the wait).
        Err(e)
            if errors::service_error(&e)
                .is_some_and(CreateDBInstanceError::is_db_instance_already_exists_fault) =>
        {
            tracing::info!(part = %PART, object = %id, "DB instance already exists: adopting");
        }
        Err(e) => {
            return Err(SERVICE.error(
                &PART,
                format!("creating DB instance `{id}`"),
                "CreateDBInstance",
                &e,
            ))
        }
    }
    wait_new_primary(env, format!("DB instance `{id}` to become available")).await
}

/// Creates the primary from DB snapshot `snapshot` (RestoreDBInstanceFromDBSnapshot) in
/// the environment's subnets, security group and parameter group, and waits until it is
/// available. Settings a restore cannot take are converged afterwards.
async fn restore_primary(
    env: &PartEnv,
    spec: &RdsSpec,
    snapshot: &str,
    placement: &Placement,
) -> Result<Family, PartError> {
    let id = primary_identifier(env);
    tracing::info!(part = %PART, object = %id, snapshot, class = %spec.instance_class, "restoring DB instance from snapshot");
    let sent = env
        .aws
        .rds()
        .restore_db_instance_from_db_snapshot()
        .db_instance_identifier(&id)
        .db_snapshot_identifier(snapshot)
        .db_instance_class(&spec.instance_class)
        .storage_type("gp3")
        .multi_az(spec.multi_az)
        .deletion_protection(spec.deletion_protection)
        .db_subnet_group_name(&placement.subnet_group)
        .db_parameter_group_name(&placement.parameter_group)
        .vpc_security_group_ids(&placement.security_group)
        .publicly_accessible(false)
        .copy_tags_to_snapshot(true)
        .set_tags(Some(sdk_tags(&wanted(env))))
        .send()
        .await;
    match sent {
        Ok(_) => {}
        Err(e)
            if errors::service_error(&e).is_some_and(
                RestoreDBInstanceFromDBSnapshotError::is_db_instance_already_exists_fault,
            ) =>
        {
            tracing::info!(part = %PART, object = %id, "DB instance already exists: adopting");
        }
        Err(e) => {
            let mut err = SERVICE.error(
                &PART,
                format!("restoring DB instance `{id}` from snapshot `{snapshot}`"),
                "RestoreDBInstanceFromDBSnapshot",
                &e,
            );
            if errors::service_error(&e)
                .is_some_and(RestoreDBInstanceFromDBSnapshotError::is_db_snapshot_not_found_fault)
            {
                err.detail.push_str(&format!(
                    "\nNo DB snapshot `{snapshot}` in region {}: check rds.snapshot_identifier (a snapshot of another account needs its ARN).",
                    env.aws.region()
                ));
            }
            return Err(err);
        }
    }
    wait_new_primary(
        env,
        format!("DB instance `{id}` restored from `{snapshot}` to become available"),
    )
    .await
}

/// Waits until the primary just created (or restored) is available, and checks it is ours
/// (a concurrent run may have created it under our name).
async fn wait_new_primary(env: &PartEnv, what: String) -> Result<Family, PartError> {
    let id = primary_identifier(env);
    let family = wait_instance_available(env, &PART, &id, what, CREATE_TIMEOUT, |_| true).await?;
    match family.get(&id) {
        Some(db) if !owned(env, db) => Err(not_ours(
            env,
            &PART,
            "DB instance",
            &id,
            &tag_map(db.tag_list()),
        )),
        _ => Ok(family),
    }
}

/// Brings an existing primary to `spec`: waits for a change in progress, syncs its tags,
/// sends what differs (ApplyImmediately) and waits until it is applied.
async fn converge_primary(
    env: &PartEnv,
    spec: &RdsSpec,
    db: &DbInstance,
    family: Family,
    placement: &Placement,
    warnings: &mut Vec<String>,
) -> Result<Family, PartError> {
    let id = db.db_instance_identifier().unwrap_or_default().to_string();
    let status = db.db_instance_status().unwrap_or_default();
    if !can_become_available(status) {
        return Err(PartError::new(
            &PART,
            format!("updating DB instance `{id}`"),
            format!("the instance is in status `{status}`, from which RDS cannot modify it"),
        ));
    }
    // Let a create or modification in progress finish first (ModifyDBInstance needs an
    // available instance).
    let (db, family) = if is_settled(db) {
        (db.clone(), family)
    } else {
        tracing::info!(part = %PART, object = %id, status = %status, "waiting for the DB instance before modifying it");
        let what = format!("DB instance `{id}` to become available");
        let family =
            wait_instance_available(env, &PART, &id, what, CREATE_TIMEOUT, |_| true).await?;
        (
            family.get(&id).cloned().unwrap_or_else(|| db.clone()),
            family,
        )
    };
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
    warnings.extend(encryption_warning(&id, &db));
    if modification.is_empty() {
        tracing::info!(part = %PART, object = %id, "DB instance up to date");
        return Ok(family);
    }
    send_modification(env, &id, &modification).await?;
    let want_class = spec.instance_class.clone();
    let want_storage = spec.allocated_storage_gb.max(storage_gb(&db));
    let want_multi_az = spec.multi_az;
    let what = format!("DB instance `{id}` to apply its modifications");
    wait_instance_available(env, &PART, &id, what, MODIFY_TIMEOUT, move |db| {
        db.db_instance_class() == Some(want_class.as_str())
            && storage_gb(db) >= want_storage
            && db.multi_az().unwrap_or(false) == want_multi_az
    })
    .await
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
    pub engine_version: Option<String>,
    pub allow_major_version_upgrade: bool,
    pub parameter_group: Option<String>,
    pub security_group: Option<String>,
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
    let mut m = Modification::default();
    let have_class = db.db_instance_class().unwrap_or_default();
    if have_class != spec.instance_class {
        m.changes.push(format!(
            "instance class {have_class} → {}",
            spec.instance_class
        ));
        m.instance_class = Some(spec.instance_class.clone());
    }
    storage_changes(spec, db, &mut m)?;
    if db.multi_az().unwrap_or(false) != spec.multi_az {
        m.changes.push(format!("Multi-AZ → {}", spec.multi_az));
        m.multi_az = Some(spec.multi_az);
    }
    if db.backup_retention_period().unwrap_or(0).max(0) as u32 != spec.backup_retention_days {
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
    }
    engine_changes(spec, placement, db, &mut m)?;
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
    Ok(m)
}

/// Storage size, autoscaling ceiling and type.
fn storage_changes(spec: &RdsSpec, db: &DbInstance, m: &mut Modification) -> Result<(), String> {
    let have = storage_gb(db);
    let want = spec.allocated_storage_gb;
    if want < have {
        return Err(format!(
            "allocated_storage_gb cannot shrink from {have} to {want} GB: RDS does not \
             reduce the storage of a DB instance. Set allocated_storage_gb to at least \
             {have}, or move the data to a new instance"
        ));
    }
    if want > have {
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
    if let Some(t) = db.storage_type().filter(|t| *t != "gp3") {
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
    let have = db.engine_version().unwrap_or_default();
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

/// Sends `m` as one ModifyDBInstance with ApplyImmediately.
async fn send_modification(env: &PartEnv, id: &str, m: &Modification) -> Result<(), PartError> {
    tracing::info!(part = %PART, object = %id, changes = ?m.changes, "modifying DB instance");
    env.aws
        .rds()
        .modify_db_instance()
        .db_instance_identifier(id)
        .apply_immediately(true)
        .set_db_instance_class(m.instance_class.clone())
        .set_allocated_storage(m.allocated_storage_gb.map(|g| g as i32))
        .set_max_allocated_storage(m.max_allocated_storage_gb.map(|g| g as i32))
        .set_storage_type(m.storage_type.map(str::to_string))
        .set_multi_az(m.multi_az)
        .set_backup_retention_period(m.backup_retention_days.map(|d| d as i32))
        .set_deletion_protection(m.deletion_protection)
        .set_manage_master_user_password(m.manage_master_user_password.then_some(true))
        .set_engine_version(m.engine_version.clone())
        .set_allow_major_version_upgrade(m.allow_major_version_upgrade.then_some(true))
        .set_db_parameter_group_name(m.parameter_group.clone())
        .set_vpc_security_group_ids(m.security_group.clone().map(|sg| vec![sg]))
        .send()
        .await
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
    use aws_sdk_rds::operation::create_db_instance::CreateDbInstanceOutput;
    use aws_sdk_rds::operation::create_db_parameter_group::CreateDbParameterGroupOutput;
    use aws_sdk_rds::operation::create_db_subnet_group::CreateDbSubnetGroupOutput;
    use aws_sdk_rds::operation::describe_db_parameter_groups::DescribeDBParameterGroupsError;
    use aws_sdk_rds::operation::describe_db_subnet_groups::DescribeDBSubnetGroupsError;
    use aws_sdk_rds::operation::modify_db_instance::ModifyDbInstanceOutput;
    use aws_sdk_rds::types::error::{DbParameterGroupNotFoundFault, DbSubnetGroupNotFoundFault};
    use aws_smithy_mocks::{mock, Rule};

    use super::*;
    use crate::aws::rds::testdata::{self, described, groups, primary, tags};

    fn placement() -> Placement {
        Placement {
            major: "16".into(),
            subnet_group: "mosia-test-db".into(),
            parameter_group: "mosia-test-pg16".into(),
            security_group: "sg-rds".into(),
        }
    }

    fn create_rule() -> Rule {
        mock!(aws_sdk_rds::Client::create_db_instance)
            .then_output(|| CreateDbInstanceOutput::builder().build())
    }

    fn modify_rule() -> Rule {
        mock!(aws_sdk_rds::Client::modify_db_instance)
            .then_output(|| ModifyDbInstanceOutput::builder().build())
    }

    fn with<'a>(rules: &'a [Rule], more: &[&'a Rule]) -> Vec<&'a Rule> {
        rules.iter().chain(more.iter().copied()).collect()
    }

    #[tokio::test]
    async fn adopts_an_owned_primary_that_matches_without_creating_or_modifying() {
        let describe = described(vec![primary().build()], vec![primary().build()]);
        let (create, modify) = (create_rule(), modify_rule());
        let groups = groups();
        let env = testdata::env(&with(&groups, &[&describe, &create, &modify]));
        let state = ensure_primary(&env, &testdata::spec(), &testdata::net())
            .await
            .unwrap();
        assert_eq!((create.num_calls(), modify.num_calls()), (0, 0));
        assert_eq!(describe.num_calls(), 1, "one describe of the instances");
        assert_eq!(state.identifier, "mosia-test-db");
        assert_eq!(state.endpoint, "mosia-test-db.rds.local");
        assert_eq!(state.port, 5432);
        assert!(state.warnings.is_empty(), "{:?}", state.warnings);
    }

    #[tokio::test]
    async fn refuses_a_primary_with_foreign_tags() {
        let foreign = primary()
            .set_tag_list(Some(tags(&[
                ("mosia:environment", "other"),
                ("mosia:part", "rds"),
            ])))
            .build();
        let describe = described(vec![foreign.clone()], vec![foreign]);
        let (create, modify) = (create_rule(), modify_rule());
        let groups = groups();
        let env = testdata::env(&with(&groups, &[&describe, &create, &modify]));
        let err = ensure_primary(&env, &testdata::spec(), &testdata::net())
            .await
            .unwrap_err();
        assert_eq!(err.part, "rds");
        assert_eq!(err.summary, "adopting DB instance `mosia-test-db`");
        assert!(
            err.detail.contains("not managed by this environment"),
            "{}",
            err.detail
        );
        assert!(
            err.detail.contains("belongs to environment `other`"),
            "{}",
            err.detail
        );
        assert_eq!((create.num_calls(), modify.num_calls()), (0, 0));
    }

    /// Nothing exists: subnet group, parameter group and instance are created.
    fn create_world(then: DbInstance) -> (Rule, Vec<Rule>) {
        let describe = described(vec![], vec![then]);
        let rules = vec![
            mock!(aws_sdk_rds::Client::describe_db_subnet_groups).then_error(|| {
                DescribeDBSubnetGroupsError::DbSubnetGroupNotFoundFault(
                    DbSubnetGroupNotFoundFault::builder().build(),
                )
            }),
            mock!(aws_sdk_rds::Client::describe_db_parameter_groups).then_error(|| {
                DescribeDBParameterGroupsError::DbParameterGroupNotFoundFault(
                    DbParameterGroupNotFoundFault::builder().build(),
                )
            }),
            mock!(aws_sdk_rds::Client::create_db_subnet_group)
                .match_requests(|r| {
                    r.db_subnet_group_name() == Some("mosia-test-db")
                        && r.subnet_ids() == ["subnet-a", "subnet-b"]
                })
                .then_output(|| CreateDbSubnetGroupOutput::builder().build()),
            mock!(aws_sdk_rds::Client::create_db_parameter_group)
                .match_requests(|r| {
                    r.db_parameter_group_name() == Some("mosia-test-pg16")
                        && r.db_parameter_group_family() == Some("postgres16")
                })
                .then_output(|| CreateDbParameterGroupOutput::builder().build()),
        ];
        (describe, rules)
    }

    #[tokio::test]
    async fn creates_the_primary_when_none_exists_with_a_managed_password_tags_and_subnet_group() {
        let (describe, rules) = create_world(primary().build());
        let create = mock!(aws_sdk_rds::Client::create_db_instance)
            .match_requests(|r| {
                let tags = crate::aws::rds::tagging::tag_map(r.tags());
                r.db_instance_identifier() == Some("mosia-test-db")
                    && r.manage_master_user_password() == Some(true)
                    && r.master_user_password().is_none()
                    && r.db_subnet_group_name() == Some("mosia-test-db")
                    && r.db_parameter_group_name() == Some("mosia-test-pg16")
                    && r.vpc_security_group_ids() == ["sg-rds"]
                    && r.storage_encrypted() == Some(true)
                    && r.publicly_accessible() == Some(false)
                    && tags.get("mosia:part").map(String::as_str) == Some("rds")
                    && tags.get("mosia:environment").map(String::as_str) == Some("mosia-test")
                    && tags.get("team").map(String::as_str) == Some("platform")
            })
            .then_output(|| CreateDbInstanceOutput::builder().build());
        let env = testdata::env(&with(&rules, &[&describe, &create]));
        let state = ensure_primary(&env, &testdata::spec(), &testdata::net())
            .await
            .unwrap();
        assert_eq!(create.num_calls(), 1);
        assert_eq!(state.status, "available");
        assert_eq!(
            state.master_user_secret_arn.as_deref(),
            Some("arn:aws:secretsmanager:us-east-1:1:secret:rds")
        );
    }

    #[tokio::test]
    async fn a_wait_that_sees_an_unexpected_status_fails_at_once_naming_it() {
        let broken = primary()
            .db_instance_status("incompatible-parameters")
            .build();
        let (describe, rules) = create_world(broken);
        let create = create_rule();
        let env = testdata::env(&with(&rules, &[&describe, &create]));
        let started = tokio::time::Instant::now();
        let err = ensure_primary(&env, &testdata::spec(), &testdata::net())
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "failed at once"
        );
        assert_eq!(err.part, "rds");
        assert!(
            err.detail
                .contains("unexpected status `incompatible-parameters`"),
            "{}",
            err.detail
        );
        assert!(
            err.summary
                .contains("DB instance `mosia-test-db` to become available"),
            "{}",
            err.summary
        );
        assert_eq!(describe.num_calls(), 2, "one find, one poll");
    }

    #[tokio::test]
    async fn converge_sends_only_the_changed_instance_class() {
        let describe = described(
            vec![primary().build()],
            vec![primary().db_instance_class("db.t4g.small").build()],
        );
        let modify = mock!(aws_sdk_rds::Client::modify_db_instance)
            .match_requests(|r| {
                r.db_instance_identifier() == Some("mosia-test-db")
                    && r.apply_immediately() == Some(true)
                    && r.db_instance_class() == Some("db.t4g.small")
                    && r.allocated_storage().is_none()
                    && r.max_allocated_storage().is_none()
                    && r.multi_az().is_none()
                    && r.engine_version().is_none()
                    && r.db_parameter_group_name().is_none()
                    && r.vpc_security_group_ids().is_empty()
                    && r.backup_retention_period().is_none()
                    && r.deletion_protection().is_none()
                    && r.manage_master_user_password().is_none()
            })
            .then_output(|| ModifyDbInstanceOutput::builder().build());
        let create = create_rule();
        let groups = groups();
        let env = testdata::env(&with(&groups, &[&describe, &create, &modify]));
        let mut spec = testdata::spec();
        spec.instance_class = "db.t4g.small".into();
        let state = ensure_primary(&env, &spec, &testdata::net()).await.unwrap();
        assert_eq!((create.num_calls(), modify.num_calls()), (0, 1));
        assert_eq!(state.instance_class, "db.t4g.small");
    }

    #[tokio::test]
    async fn converge_refuses_an_engine_downgrade_before_sending_anything() {
        let describe = described(vec![primary().build()], vec![primary().build()]);
        let modify = modify_rule();
        let groups = groups();
        let env = testdata::env(&with(&groups, &[&describe, &modify]));
        let mut spec = testdata::spec();
        spec.engine_version = Some("15.7".into());
        let err = ensure_primary(&env, &spec, &testdata::net())
            .await
            .unwrap_err();
        assert_eq!(modify.num_calls(), 0);
        assert_eq!(err.summary, "updating DB instance `mosia-test-db`");
        assert!(
            err.detail.contains("cannot go down from 16.4 to 15.7"),
            "{}",
            err.detail
        );
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
            .set_vpc_security_groups(Some(vec![VpcSecurityGroupMembershipBuilder::default()
                .vpc_security_group_id("sg-default")
                .build()]))
            .storage_type("gp2")
            .build();
        let m = primary_changes(&testdata::spec(), &placement(), &restored).unwrap();
        assert!(m.manage_master_user_password);
        assert_eq!(m.security_group.as_deref(), Some("sg-rds"));
        assert_eq!(m.storage_type, Some("gp3"));
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

    use aws_sdk_rds::types::builders::VpcSecurityGroupMembershipBuilder;
}
