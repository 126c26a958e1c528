//! The primary DB instance `{env}-db`: `ensure_primary` converges the subnet group, the
//! parameter group and the instance, by one of four ways: adopt (an instance of ours
//! exists), create, restore (from `snapshot_identifier`), then converge (modify what
//! differs: [`super::converge`]).

use aws_sdk_rds::operation::create_db_instance::CreateDBInstanceError;
use aws_sdk_rds::operation::describe_db_snapshots::DescribeDBSnapshotsError;
use aws_sdk_rds::operation::restore_db_instance_from_db_snapshot::RestoreDBInstanceFromDBSnapshotError;
use aws_sdk_rds::types::DbInstance;

use super::converge::converge_primary;
use super::instance::{find_instances, wait_instance_available, Family};
use super::parameter_group::ensure_parameter_group;
use super::read::{primary_state, RdsState};
use super::retired;
use super::subnet_group::ensure_subnet_group;
use super::tagging::{owned, sdk_tags, tag_map, wanted};
use super::{
    check_identifier_lengths, major_version, primary_identifier, subnet_group_name, RdsSpec,
    CREATE_TIMEOUT, SECURITY_GROUP_KEY, SERVICE,
};
use crate::aws::errors;
use crate::aws::network::NetworkState;
use crate::aws::part::{not_ours, PartEnv, PartId};
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
    /// The enhanced monitoring role, when it is on.
    pub monitoring_role: Option<String>,
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
    let (family, existing, replaced) = match existing {
        Some(db) if spec.kms_key.replaces(db.kms_key_id()) => {
            let why = replace_for_key(env, spec, &db).await?;
            (find_instances(env, &PART).await?, None, Some(why))
        }
        other => (family, other, None),
    };
    // A restore brings the snapshot's engine version, whatever is configured.
    let snapshot_version = match (&existing, &spec.snapshot_identifier) {
        (None, Some(snapshot)) => Some(find_snapshot_engine_version(env, snapshot).await?),
        _ => None,
    };

    // The version to run: configured, else what runs now (or the snapshot's), else RDS's
    // default.
    let version = match (&spec.engine_version, &existing, &snapshot_version) {
        (Some(v), _, _) => v.clone(),
        (None, Some(db), _) => db.engine_version().unwrap_or_default().to_string(),
        (None, None, Some(v)) => v.clone(),
        (None, None, None) => default_engine_version(env, &spec.engine).await,
    };
    let major = major_version(&spec.engine, &version);
    let subnet_group = ensure_subnet_group(env, net).await?;
    let (parameter_group, params) =
        ensure_parameter_group(env, &spec.engine, &major, &spec.parameters).await?;
    let mut warnings: Vec<String> =
        static_parameters_warning(&id, &parameter_group, &params.need_reboot)
            .into_iter()
            .chain(replaced)
            .collect();
    let monitoring_role = super::observability::ensure_observability(env, spec).await?;
    let placement = Placement {
        major,
        subnet_group,
        parameter_group,
        security_group,
        monitoring_role,
    };

    let had_instance = existing.is_some();
    let family = match (existing, &spec.snapshot_identifier) {
        (Some(db), _) => {
            converge_primary(env, spec, &db, family, &placement, &mut warnings).await?
        }
        (None, Some(snapshot)) => {
            // Restored with the parameter group of the snapshot's major version (RDS refuses
            // another family), then converged to the configuration like an existing
            // instance (a major upgrade included).
            let snapshot_version = snapshot_version.unwrap_or_default();
            let restore_at = snapshot_placement(env, spec, &snapshot_version, &placement).await?;
            let family = restore_primary(env, spec, snapshot, &restore_at).await?;
            match family.get(&id).cloned() {
                Some(db) => {
                    converge_primary(env, spec, &db, family, &placement, &mut warnings).await?
                }
                None => family,
            }
        }
        (None, None) => create_primary(env, spec, &version, &placement).await?,
    };
    let family = retire_old_instances(env, spec, family).await?;
    let mut state = primary_state(env, &family).ok_or_else(|| {
        PartError::new(
            &PART,
            format!("reading DB instance `{id}`"),
            "the instance disappeared",
        )
        .retryable(true)
    })?;
    // Static parameters just set on a running instance wait for its reboot, even before the
    // instance (described before they were set) says so; a new instance starts with them.
    if had_instance && !params.need_reboot.is_empty() {
        state.parameter_apply_status = Some("pending-reboot".into());
    } else if state.pending_reboot() {
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

/// The old primaries of blue/green upgrades tagged with their retention, and deleted once it
/// is over; the family described again when there were any.
async fn retire_old_instances(
    env: &PartEnv,
    spec: &RdsSpec,
    family: Family,
) -> Result<Family, PartError> {
    if retired::retired_instances(env, &family).is_empty() {
        return Ok(family);
    }
    retired::retire_old_instances(env, spec, &family).await?;
    find_instances(env, &PART).await
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
/// Deletes the database (replicas, old instances and groups with it; the final snapshot as
/// configured) because it is encrypted with a key the environment no longer uses: RDS
/// cannot change the key of an instance. The plan named this replacement. Returns the
/// warning that says so.
async fn replace_for_key(
    env: &PartEnv,
    spec: &RdsSpec,
    db: &DbInstance,
) -> Result<String, PartError> {
    let id = primary_identifier(env);
    let old = db.kms_key_id().unwrap_or_default();
    tracing::warn!(part = %PART, object = %id, old_key = %old, "replacing the DB instance: its KMS key changes");
    super::delete::delete(env, spec).await?;
    Ok(format!(
        "DB instance `{id}` replaced: it was encrypted with KMS key `{old}`, which the \
         environment no longer uses (RDS cannot change the key of an instance){}",
        if spec.skip_final_snapshot {
            "; no final snapshot was taken"
        } else {
            "; its final snapshot keeps the old data"
        }
    ))
}

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
    let o = super::observability::create_settings(spec, placement.monitoring_role.as_deref());
    let req = env
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
        .set_kms_key_id(spec.kms_key.arn.clone())
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
        .set_master_user_secret_kms_key_id(spec.kms_key.arn.clone())
        .enable_iam_database_authentication(spec.iam_database_authentication)
        .auto_minor_version_upgrade(spec.auto_minor_version_upgrade)
        .set_preferred_maintenance_window(spec.maintenance_window.clone())
        .set_preferred_backup_window(spec.backup_window.clone())
        .set_db_name(spec.database_name.clone())
        .set_tags(Some(sdk_tags(&wanted(env))))
        .enable_performance_insights(o.insights)
        .set_performance_insights_kms_key_id(o.insights_key)
        .set_performance_insights_retention_period(o.insights_retention)
        .monitoring_interval(o.monitoring_interval)
        .set_monitoring_role_arn(o.monitoring_role)
        .set_enable_cloudwatch_logs_exports(o.log_exports);
    let sent =
        super::observability::until_monitoring_role_accepted(env, || req.clone().send()).await?;
    match sent {
        Ok(_) => {}
        // A concurrent run created it between our describe and this create: adopt it below
        // (its ownership is checked after the wait).
        Err(e)
            if e.as_service_error()
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

/// `awsbackup` for an AWS Backup recovery point (`...snapshot:awsbackup:job-ID`):
/// DescribeDBSnapshots lists only automated and manual snapshots unless told the type.
fn backup_snapshot_type(snapshot: &str) -> Option<String> {
    let name = snapshot
        .rsplit_once("snapshot:")
        .map_or(snapshot, |(_, n)| n);
    name.starts_with("awsbackup:")
        .then(|| "awsbackup".to_string())
}

/// The engine version of DB snapshot `snapshot` (DescribeDBSnapshots).
async fn find_snapshot_engine_version(env: &PartEnv, snapshot: &str) -> Result<String, PartError> {
    let described = env
        .aws
        .rds()
        .describe_db_snapshots()
        .db_snapshot_identifier(snapshot)
        .set_snapshot_type(backup_snapshot_type(snapshot))
        .send()
        .await;
    let found = errors::found(
        described,
        DescribeDBSnapshotsError::is_db_snapshot_not_found_fault,
    )
    .map_err(|e| {
        SERVICE.error(
            &PART,
            format!("reading DB snapshot `{snapshot}`"),
            "DescribeDBSnapshots",
            &e,
        )
    })?;
    found
        .and_then(|out| {
            out.db_snapshots()
                .first()
                .and_then(|s| s.engine_version().map(str::to_string))
        })
        .ok_or_else(|| {
            PartError::new(
                &PART,
                format!("reading DB snapshot `{snapshot}`"),
                format!(
                    "no DB snapshot `{snapshot}` in region {}: check rds.snapshot_identifier (a \
                     snapshot of another account needs its ARN)",
                    env.aws.region()
                ),
            )
        })
}

/// Where the restore runs: `placement`, with the parameter group of the snapshot's major
/// version when it differs from the configured one.
async fn snapshot_placement(
    env: &PartEnv,
    spec: &RdsSpec,
    snapshot_version: &str,
    placement: &Placement,
) -> Result<Placement, PartError> {
    let major = major_version(&spec.engine, snapshot_version);
    if major == placement.major {
        return Ok(placement.clone());
    }
    let (parameter_group, _) =
        ensure_parameter_group(env, &spec.engine, &major, &spec.parameters).await?;
    Ok(Placement {
        major,
        parameter_group,
        ..placement.clone()
    })
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
        .enable_iam_database_authentication(spec.iam_database_authentication)
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
            if e.as_service_error().is_some_and(
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
            if e.as_service_error()
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

    fn snapshot_of_version(version: &'static str) -> Rule {
        use aws_sdk_rds::operation::describe_db_snapshots::DescribeDbSnapshotsOutput;
        use aws_sdk_rds::types::DbSnapshot;
        mock!(aws_sdk_rds::Client::describe_db_snapshots)
            .match_requests(|r| r.db_snapshot_identifier() == Some("snap"))
            .then_output(move || {
                DescribeDbSnapshotsOutput::builder()
                    .db_snapshots(DbSnapshot::builder().engine_version(version).build())
                    .build()
            })
    }

    fn restore_rule(parameter_group: &'static str) -> Rule {
        use aws_sdk_rds::operation::restore_db_instance_from_db_snapshot::RestoreDbInstanceFromDbSnapshotOutput;
        mock!(aws_sdk_rds::Client::restore_db_instance_from_db_snapshot)
            .match_requests(move |r| r.db_parameter_group_name() == Some(parameter_group))
            .then_output(|| RestoreDbInstanceFromDbSnapshotOutput::builder().build())
    }

    /// The restored instance as RDS answers it: the snapshot's version, in group `pg`.
    fn restored(version: &str, pg: &str) -> DbInstance {
        primary()
            .engine_version(version)
            .set_db_parameter_groups(Some(vec![
                aws_sdk_rds::types::DbParameterGroupStatus::builder()
                    .db_parameter_group_name(pg)
                    .parameter_apply_status("in-sync")
                    .build(),
            ]))
            .build()
    }

    #[tokio::test]
    async fn a_restore_takes_the_snapshots_version_and_its_parameter_group_family() {
        let describe = described(vec![], vec![restored("15.7", "mosia-test-pg15")]);
        let (snapshot, restore, modify) = (
            snapshot_of_version("15.7"),
            restore_rule("mosia-test-pg15"),
            modify_rule(),
        );
        let groups = groups();
        let env = testdata::env(&with(&groups, &[&describe, &snapshot, &restore, &modify]));
        let mut spec = testdata::spec();
        spec.engine_version = None;
        spec.snapshot_identifier = Some("snap".into());
        let state = ensure_primary(&env, &spec, &testdata::net()).await.unwrap();
        assert_eq!(
            restore.num_calls(),
            1,
            "restored in the pg15 group (family postgres15)"
        );
        assert_eq!(
            modify.num_calls(),
            0,
            "nothing to upgrade: no version configured"
        );
        assert_eq!(state.engine_version, "15.7");
    }

    #[tokio::test]
    async fn a_restore_from_an_older_major_is_upgraded_after_it_with_the_new_family() {
        let describe = described(vec![], vec![restored("15.7", "mosia-test-pg15")]);
        let (snapshot, restore) = (snapshot_of_version("15.7"), restore_rule("mosia-test-pg15"));
        let upgrade = mock!(aws_sdk_rds::Client::modify_db_instance)
            .match_requests(|r| {
                r.engine_version() == Some("16.4")
                    && r.db_parameter_group_name() == Some("mosia-test-pg16")
                    && r.allow_major_version_upgrade() == Some(true)
            })
            .then_output(|| ModifyDbInstanceOutput::builder().build());
        let groups = groups();
        let env = testdata::env(&with(&groups, &[&describe, &snapshot, &restore, &upgrade]));
        let mut spec = testdata::spec();
        spec.snapshot_identifier = Some("snap".into());
        // The mocked instance stays at 15.7, so the wait after the upgrade cannot end: the
        // test only needs the request, sent before the wait.
        let net = testdata::net();
        let run = ensure_primary(&env, &spec, &net);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), run).await;
        assert_eq!(
            restore.num_calls(),
            1,
            "restored in the snapshot's pg15 group first"
        );
        assert_eq!(
            upgrade.num_calls(),
            1,
            "then upgraded to 16.4 in the pg16 group"
        );
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
}
