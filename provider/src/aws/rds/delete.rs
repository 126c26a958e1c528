//! Deleting the RDS part: replicas, then the primary (with a final snapshot unless
//! `skip_final_snapshot`), then the parameter group(s) and the subnet group. Refuses while
//! deletion protection is on; objects with the environment's names that it does not own
//! are left alone; NotFound counts as deleted.

use std::collections::BTreeSet;

use aws_sdk_rds::operation::delete_db_instance::DeleteDBInstanceError;
use aws_sdk_rds::types::DbInstance;

use super::instance::{find_instances, wait_instances_deleted, Family};
use super::parameter_group::{delete_parameter_group, list_parameter_groups};
use super::replicas::delete_replicas;
use super::subnet_group::delete_subnet_group;
use super::tagging::owned;
use super::{
    major_version, parameter_group_name, primary_identifier, replica_number, RdsSpec, SERVICE,
};
use crate::aws::errors;
use crate::aws::part::{PartEnv, PartId};
use crate::engine::{PartError, Resume};

const PART: PartId = PartId::RdsPrimary;

/// The environment's DB instances (primary and replicas it owns) with deletion protection on.
pub async fn protected_instances(env: &PartEnv) -> Result<Vec<String>, PartError> {
    let family = find_instances(env, &PART).await?;
    Ok(protected_in(env, &family))
}

fn protected_in(env: &PartEnv, family: &Family) -> Vec<String> {
    let primary = primary_identifier(env);
    family
        .iter()
        .filter(|(id, db)| (**id == primary || replica_number(env, id).is_some()) && owned(env, db))
        .filter(|(_, db)| db.deletion_protection().unwrap_or(false))
        .map(|(id, _)| id.clone())
        .collect()
}

/// The final snapshot to take when deleting primary `id`: None when skipped, else the
/// configured name or `{id}-final-{unix seconds}`.
pub(crate) fn final_snapshot(spec: &RdsSpec, id: &str, now_secs: u64) -> Option<String> {
    if spec.skip_final_snapshot {
        return None;
    }
    Some(
        spec.final_snapshot_identifier
            .clone()
            .unwrap_or_else(|| format!("{id}-final-{now_secs}")),
    )
}

/// Deletes everything the RDS part owns and waits until each object is gone.
pub async fn delete(env: &PartEnv, spec: &RdsSpec) -> Result<(), PartError> {
    let destroy = |e: PartError| e.with_resume(Resume::Destroy);
    let family = find_instances(env, &PART).await.map_err(destroy)?;
    let id = primary_identifier(env);
    let mut replicas: Vec<DbInstance> = Vec::new();
    for (rid, db) in family
        .iter()
        .filter(|(rid, _)| replica_number(env, rid).is_some())
    {
        if owned(env, db) {
            replicas.push(db.clone());
        } else {
            tracing::warn!(part = %PartId::RdsReplicas, object = %rid, "not owned by this environment: left alone");
        }
    }
    let primary = family.get(&id).filter(|db| {
        let ours = owned(env, db);
        if !ours {
            tracing::warn!(part = %PART, object = %id, "not owned by this environment: left alone");
        }
        ours
    });

    // Refuse before deleting anything.
    let protected = protected_in(env, &family);
    if !protected.is_empty() {
        return Err(destroy(PartError::new(
            &PART,
            format!("deleting DB instance `{id}`"),
            format!(
                "deletion protection is on for {}: set `rds.deletion_protection = false` and \
                 apply (in production, with `tier` changed to `staging`), then destroy again",
                protected
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )));
    }

    replicas.sort_by_key(|db| {
        std::cmp::Reverse(replica_number(
            env,
            db.db_instance_identifier().unwrap_or_default(),
        ))
    });
    delete_replicas(env, &replicas, Resume::Destroy).await?;
    // Old primaries of blue/green upgrades (they hold the old major's parameter group).
    super::retired::delete_old_instances(env, spec, &family)
        .await
        .map_err(destroy)?;

    let mut parameter_groups: BTreeSet<String> = BTreeSet::new();
    if let Some(v) = &spec.engine_version {
        parameter_groups.insert(parameter_group_name(env, &major_version(&spec.engine, v)));
    }
    if let Some(db) = primary {
        parameter_groups.extend(parameter_groups_of(env, spec, db));
        delete_primary(env, spec, db).await.map_err(destroy)?;
    } else if family.contains_key(&id) {
        // Someone else's instance of that name: its groups are not ours to delete either.
        return Ok(());
    }

    // Groups of other major versions (an upgrade, or a crash before the instance existed).
    parameter_groups.extend(list_parameter_groups(env).await.map_err(destroy)?);
    for name in parameter_groups {
        delete_parameter_group(env, &name).await?;
    }
    super::observability::delete_observability(env, spec)
        .await
        .map_err(destroy)?;
    delete_subnet_group(env).await
}

/// The environment's parameter groups the primary uses or its version implies.
fn parameter_groups_of(env: &PartEnv, spec: &RdsSpec, db: &DbInstance) -> BTreeSet<String> {
    let prefix = env.aws_name("pg");
    let mut names: BTreeSet<String> = db
        .db_parameter_groups()
        .iter()
        .filter_map(|p| p.db_parameter_group_name())
        .filter(|n| n.starts_with(&prefix))
        .map(str::to_string)
        .collect();
    if let Some(v) = db.engine_version() {
        names.insert(parameter_group_name(env, &major_version(&spec.engine, v)));
    }
    names
}

/// Deletes the primary (unless already deleting) with its final snapshot, and waits until
/// it is gone.
async fn delete_primary(env: &PartEnv, spec: &RdsSpec, db: &DbInstance) -> Result<(), PartError> {
    let id = primary_identifier(env);
    let snapshot = final_snapshot(spec, &id, crate::aws::now_secs());
    delete_instance(env, db, snapshot).await
}

/// Deletes `db` (unless already deleting), with `snapshot` as its final snapshot (None:
/// none), and waits until it is gone. NotFound counts as deleted.
pub(crate) async fn delete_instance(
    env: &PartEnv,
    db: &DbInstance,
    snapshot: Option<String>,
) -> Result<(), PartError> {
    let id = db.db_instance_identifier().unwrap_or_default().to_string();
    if db.db_instance_status() != Some("deleting") {
        if let Some(s) = &snapshot {
            tracing::info!(part = %PART, object = %id, snapshot = %s, "final snapshot");
        }
        tracing::info!(part = %PART, object = %id, "deleting DB instance");
        let sent = env
            .aws
            .rds()
            .delete_db_instance()
            .db_instance_identifier(&id)
            .delete_automated_backups(true)
            .skip_final_snapshot(snapshot.is_none())
            .set_final_db_snapshot_identifier(snapshot)
            .send()
            .await;
        errors::found(sent, DeleteDBInstanceError::is_db_instance_not_found_fault).map_err(
            |e| {
                SERVICE.error(
                    &PART,
                    format!("deleting DB instance `{id}`"),
                    "DeleteDBInstance",
                    &e,
                )
            },
        )?;
    }
    let what = format!("DB instance `{id}` to be deleted");
    wait_instances_deleted(env, &PART, std::slice::from_ref(&id), what).await
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::operation::delete_db_instance::{
        DeleteDBInstanceError, DeleteDbInstanceOutput,
    };
    use aws_sdk_rds::operation::describe_db_parameter_groups::{
        DescribeDBParameterGroupsError, DescribeDbParameterGroupsOutput,
    };
    use aws_sdk_rds::operation::describe_db_subnet_groups::DescribeDBSubnetGroupsError;
    use aws_sdk_rds::types::error::{
        DbInstanceNotFoundFault, DbParameterGroupNotFoundFault, DbSubnetGroupNotFoundFault,
    };
    use aws_smithy_mocks::{mock, Rule};

    use super::*;
    use crate::aws::rds::testdata::{self, described, primary};

    /// No parameter group or subnet group left to delete.
    fn groups_gone() -> Vec<Rule> {
        vec![
            mock!(aws_sdk_rds::Client::describe_db_parameter_groups)
                .match_requests(|r| r.db_parameter_group_name().is_some())
                .then_error(|| {
                    DescribeDBParameterGroupsError::DbParameterGroupNotFoundFault(
                        DbParameterGroupNotFoundFault::builder().build(),
                    )
                }),
            mock!(aws_sdk_rds::Client::describe_db_parameter_groups)
                .then_output(|| DescribeDbParameterGroupsOutput::builder().build()),
            mock!(aws_sdk_rds::Client::describe_db_subnet_groups).then_error(|| {
                DescribeDBSubnetGroupsError::DbSubnetGroupNotFoundFault(
                    DbSubnetGroupNotFoundFault::builder().build(),
                )
            }),
        ]
    }

    #[tokio::test]
    async fn not_found_counts_as_deleted_and_the_final_snapshot_is_taken() {
        let describe = described(vec![primary().build()], vec![]);
        let delete_instance = mock!(aws_sdk_rds::Client::delete_db_instance)
            .match_requests(|r| {
                r.db_instance_identifier() == Some("mosia-test-db")
                    && r.skip_final_snapshot() == Some(false)
                    && r.final_db_snapshot_identifier() == Some("mosia-test-last")
            })
            .then_error(|| {
                DeleteDBInstanceError::DbInstanceNotFoundFault(
                    DbInstanceNotFoundFault::builder().build(),
                )
            });
        let groups = groups_gone();
        let mut rules: Vec<&Rule> = groups.iter().collect();
        rules.extend([&describe, &delete_instance]);
        let env = testdata::env(&rules);
        let mut spec = testdata::spec();
        spec.skip_final_snapshot = false;
        spec.final_snapshot_identifier = Some("mosia-test-last".into());
        delete(&env, &spec).await.unwrap();
        assert_eq!(delete_instance.num_calls(), 1);
    }

    #[tokio::test]
    async fn skip_final_snapshot_deletes_without_one() {
        let describe = described(vec![primary().build()], vec![]);
        let delete_instance = mock!(aws_sdk_rds::Client::delete_db_instance)
            .match_requests(|r| {
                r.skip_final_snapshot() == Some(true) && r.final_db_snapshot_identifier().is_none()
            })
            .then_output(|| DeleteDbInstanceOutput::builder().build());
        let groups = groups_gone();
        let mut rules: Vec<&Rule> = groups.iter().collect();
        rules.extend([&describe, &delete_instance]);
        let env = testdata::env(&rules);
        delete(&env, &testdata::spec()).await.unwrap();
        assert_eq!(delete_instance.num_calls(), 1);
    }

    #[tokio::test]
    async fn refuses_while_deletion_protection_is_on() {
        let protected = primary().deletion_protection(true).build();
        let describe = described(vec![protected.clone()], vec![protected]);
        let delete_instance = mock!(aws_sdk_rds::Client::delete_db_instance)
            .then_output(|| DeleteDbInstanceOutput::builder().build());
        let env = testdata::env(&[&describe, &delete_instance]);
        let err = delete(&env, &testdata::spec()).await.unwrap_err();
        assert_eq!(delete_instance.num_calls(), 0);
        assert_eq!(err.resume, Resume::Destroy);
        assert!(
            err.detail
                .contains("deletion protection is on for `mosia-test-db`"),
            "{}",
            err.detail
        );
    }

    #[test]
    fn final_snapshot_is_named_unless_skipped() {
        let mut spec = testdata::spec();
        assert_eq!(final_snapshot(&spec, "db", 7), None);
        spec.skip_final_snapshot = false;
        assert_eq!(
            final_snapshot(&spec, "db", 7).as_deref(),
            Some("db-final-7")
        );
        spec.final_snapshot_identifier = Some("last".into());
        assert_eq!(final_snapshot(&spec, "db", 7).as_deref(), Some("last"));
    }
}
