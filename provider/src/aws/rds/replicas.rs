//! The read replicas `{env}-db-replica-{1..n}` of the primary (part `rds.replicas`):
//! exactly `read_replicas` of them. Missing ones are created one at a time, each once the
//! primary is available (RDS refuses a replica of a busy source: `InvalidDBInstanceState`,
//! terraform-provider-aws #43474), extra ones (the highest numbers) deleted, kept ones follow
//! the primary's instance class; deletion protection is off on replicas (they have no final
//! snapshot). A replica is created without a parameter group: RDS refuses one for PostgreSQL
//! replicas, which use their source's (terraform-provider-aws #38056).

use std::collections::BTreeMap;

use aws_sdk_rds::operation::create_db_instance_read_replica::CreateDBInstanceReadReplicaError;
use aws_sdk_rds::operation::delete_db_instance::DeleteDBInstanceError;
use aws_sdk_rds::types::DbInstance;
use futures::future::{join_all, try_join_all};

use super::instance::{
    can_become_available, find_instances, is_settled, wait_instance_available,
    wait_instances_deleted,
};
use super::read::{replica_states, RdsState, ReplicaState};
use super::tagging::{owned, sdk_tags, sync_tags, tag_map, wanted};
use super::{
    check_identifier_lengths, replica_identifier, replica_number, RdsSpec, CREATE_TIMEOUT,
    MAX_READ_REPLICAS, MODIFY_TIMEOUT, SERVICE,
};
use crate::aws::errors;
use crate::aws::part::{not_ours, PartEnv, PartId};
use crate::engine::{PartError, Resume};

const PART: PartId = PartId::RdsReplicas;

/// Which replica numbers to create, delete (highest first) and keep.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ReplicaPlan {
    pub create: Vec<u32>,
    pub delete: Vec<u32>,
    pub keep: Vec<u32>,
}

/// `want` replicas numbered 1..=want, given the numbers that exist.
pub(crate) fn replica_plan(want: u32, existing: &[u32]) -> ReplicaPlan {
    let mut delete: Vec<u32> = existing.iter().copied().filter(|n| *n > want).collect();
    delete.sort_unstable_by(|a, b| b.cmp(a));
    let mut keep: Vec<u32> = existing.iter().copied().filter(|n| *n <= want).collect();
    keep.sort_unstable();
    let create = (1..=want).filter(|n| !existing.contains(n)).collect();
    ReplicaPlan {
        create,
        delete,
        keep,
    }
}

/// Exactly `spec.read_replicas` replicas of `primary`; returns those that exist afterwards.
pub async fn ensure_replicas(
    env: &PartEnv,
    spec: &RdsSpec,
    primary: &RdsState,
) -> Result<Vec<ReplicaState>, PartError> {
    if spec.read_replicas > MAX_READ_REPLICAS {
        return Err(PartError::new(
            &PART,
            "creating read replicas",
            format!(
                "read_replicas = {} is more than the {MAX_READ_REPLICAS} RDS allows per instance",
                spec.read_replicas
            ),
        ));
    }
    check_identifier_lengths(env)?;
    let family = find_instances(env, &PART).await?;
    let mut existing: BTreeMap<u32, DbInstance> = BTreeMap::new();
    for (id, db) in &family {
        let Some(n) = replica_number(env, id) else {
            continue;
        };
        if !owned(env, db) {
            return Err(not_ours(
                env,
                &PART,
                "DB instance",
                id,
                &tag_map(db.tag_list()),
            ));
        }
        existing.insert(n, db.clone());
    }
    let plan = replica_plan(
        spec.read_replicas,
        &existing.keys().copied().collect::<Vec<_>>(),
    );
    let creates = create_replicas(env, primary, &plan.create);
    let updates = try_join_all(
        plan.keep
            .iter()
            .map(|n| update_replica(env, primary, &existing[n])),
    );
    let doomed: Vec<DbInstance> = plan.delete.iter().map(|n| existing[n].clone()).collect();
    let deletes = delete_replicas(env, &doomed, Resume::Apply);
    let (c, u, d) = futures::join!(creates, updates, deletes);
    c?;
    let modified = u?.into_iter().any(|changed| changed);
    d?;

    // Nothing created, modified or deleted: what was described at the start is current.
    let family = if plan.create.is_empty() && plan.delete.is_empty() && !modified {
        family
    } else {
        find_instances(env, &PART).await?
    };
    Ok(replica_states(env, &family))
}

/// Creates the replicas `numbers` one after the other, each once the primary is available.
async fn create_replicas(
    env: &PartEnv,
    primary: &RdsState,
    numbers: &[u32],
) -> Result<(), PartError> {
    for n in numbers {
        let what = format!(
            "primary `{}` to be available for a new read replica",
            primary.identifier
        );
        wait_instance_available(
            env,
            &PART,
            &primary.identifier,
            what,
            MODIFY_TIMEOUT,
            |_| true,
        )
        .await?;
        create_replica(env, primary, *n).await?;
    }
    Ok(())
}

async fn create_replica(env: &PartEnv, primary: &RdsState, n: u32) -> Result<(), PartError> {
    let id = replica_identifier(env, n);
    tracing::info!(part = %PART, object = %id, source = %primary.identifier, class = %primary.instance_class, "creating read replica");
    let sent = env
        .aws
        .rds()
        .create_db_instance_read_replica()
        .db_instance_identifier(&id)
        .source_db_instance_identifier(&primary.identifier)
        .db_instance_class(&primary.instance_class)
        .publicly_accessible(false)
        .multi_az(false)
        // moto copies the source's deletion protection; AWS does not: be explicit.
        .deletion_protection(false)
        .copy_tags_to_snapshot(true)
        .set_vpc_security_group_ids(Some(primary.vpc_security_group_ids.clone()))
        .set_tags(Some(sdk_tags(&wanted(env))))
        .send()
        .await;
    match sent {
        Ok(_) => {}
        Err(e)
            if e.as_service_error().is_some_and(
                CreateDBInstanceReadReplicaError::is_db_instance_already_exists_fault,
            ) =>
        {
            tracing::info!(part = %PART, object = %id, "read replica already exists: adopting");
        }
        Err(e) => {
            return Err(SERVICE.error(
                &PART,
                format!("creating read replica `{id}` of `{}`", primary.identifier),
                "CreateDBInstanceReadReplica",
                &e,
            ))
        }
    }
    let what = format!("read replica `{id}` to become available");
    wait_instance_available(env, &PART, &id, what, CREATE_TIMEOUT, |_| true).await?;
    Ok(())
}

/// What to change on a kept replica: follow the primary's class, deletion protection off.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ReplicaModification {
    pub instance_class: Option<String>,
    pub deletion_protection_off: bool,
    pub changes: Vec<String>,
}

pub(crate) fn replica_changes(primary: &RdsState, db: &DbInstance) -> ReplicaModification {
    let mut m = ReplicaModification::default();
    if db.db_instance_class() != Some(primary.instance_class.as_str()) {
        m.changes.push(format!(
            "instance class {} → {}",
            db.db_instance_class().unwrap_or_default(),
            primary.instance_class
        ));
        m.instance_class = Some(primary.instance_class.clone());
    }
    if db.deletion_protection().unwrap_or(false) {
        m.changes.push("deletion protection off".to_string());
        m.deletion_protection_off = true;
    }
    m
}

/// Converges a kept replica; true when it was modified (or waited for).
async fn update_replica(
    env: &PartEnv,
    primary: &RdsState,
    db: &DbInstance,
) -> Result<bool, PartError> {
    let id = db.db_instance_identifier().unwrap_or_default().to_string();
    let status = db.db_instance_status().unwrap_or_default();
    if !can_become_available(status) {
        return Err(PartError::new(
            &PART,
            format!("updating read replica `{id}`"),
            format!("the replica is in status `{status}`"),
        ));
    }
    let waited = !is_settled(db);
    if waited {
        let what = format!("read replica `{id}` to become available");
        wait_instance_available(env, &PART, &id, what, CREATE_TIMEOUT, |_| true).await?;
    }
    sync_tags(
        env,
        &PART,
        db.db_instance_arn().unwrap_or_default(),
        &tag_map(db.tag_list()),
    )
    .await?;
    let m = replica_changes(primary, db);
    if m.changes.is_empty() {
        return Ok(waited);
    }
    tracing::info!(part = %PART, object = %id, changes = ?m.changes, "modifying read replica");
    env.aws
        .rds()
        .modify_db_instance()
        .db_instance_identifier(&id)
        .apply_immediately(true)
        .set_db_instance_class(m.instance_class.clone())
        .set_deletion_protection(m.deletion_protection_off.then_some(false))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("modifying read replica `{id}` ({})", m.changes.join(", ")),
                "ModifyDBInstance",
                &e,
            )
        })?;
    let want_class = primary.instance_class.clone();
    let what = format!("read replica `{id}` to apply its modifications");
    wait_instance_available(env, &PART, &id, what, MODIFY_TIMEOUT, move |db| {
        db.db_instance_class() == Some(want_class.as_str())
            && !db.deletion_protection().unwrap_or(false)
    })
    .await?;
    Ok(true)
}

/// Deletes replicas (all started before the wait; no final snapshot) and waits until they
/// are gone. NotFound counts as deleted.
pub(crate) async fn delete_replicas(
    env: &PartEnv,
    replicas: &[DbInstance],
    resume: Resume,
) -> Result<(), PartError> {
    if replicas.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = replicas
        .iter()
        .filter_map(|db| db.db_instance_identifier().map(str::to_string))
        .collect();
    let starts = join_all(replicas.iter().map(|db| async move {
        let id = db.db_instance_identifier().unwrap_or_default();
        if db.db_instance_status() == Some("deleting") {
            return Ok(());
        }
        tracing::info!(part = %PART, object = %id, "deleting read replica");
        let sent = env
            .aws
            .rds()
            .delete_db_instance()
            .db_instance_identifier(id)
            .skip_final_snapshot(true)
            .send()
            .await;
        match errors::found(sent, DeleteDBInstanceError::is_db_instance_not_found_fault) {
            Ok(_) => Ok(()),
            Err(e) => Err(SERVICE
                .error(
                    &PART,
                    format!("deleting read replica `{id}`"),
                    "DeleteDBInstance",
                    &e,
                )
                .with_resume(resume)),
        }
    }))
    .await;
    starts.into_iter().collect::<Result<Vec<()>, PartError>>()?;
    let what = format!("read replicas {} to be deleted", ids.join(", "));
    wait_instances_deleted(env, &PART, &ids, what)
        .await
        .map_err(|e| e.with_resume(resume))
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::operation::delete_db_instance::DeleteDbInstanceOutput;
    use aws_sdk_rds::operation::modify_db_instance::ModifyDbInstanceOutput;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::rds::read::primary_state;
    use crate::aws::rds::testdata::{self, described, primary, replica};

    #[tokio::test]
    async fn scaling_two_to_one_deletes_the_highest_numbered_replica() {
        let before = vec![primary().build(), replica(1), replica(2)];
        let after = vec![primary().build(), replica(1)];
        let describe = described(before.clone(), after);
        let delete = mock!(aws_sdk_rds::Client::delete_db_instance)
            .match_requests(|r| {
                r.db_instance_identifier() == Some("mosia-test-db-replica-2")
                    && r.skip_final_snapshot() == Some(true)
            })
            .then_output(|| DeleteDbInstanceOutput::builder().build());
        let modify = mock!(aws_sdk_rds::Client::modify_db_instance)
            .then_output(|| ModifyDbInstanceOutput::builder().build());
        let env = testdata::env(&[&describe, &delete, &modify]);
        let family = before
            .iter()
            .map(|db| (db.db_instance_identifier().unwrap().to_string(), db.clone()))
            .collect();
        let primary = primary_state(&env, &family).unwrap();
        let mut spec = testdata::spec();
        spec.read_replicas = 1;
        let replicas = ensure_replicas(&env, &spec, &primary).await.unwrap();
        assert_eq!(delete.num_calls(), 1);
        assert_eq!(modify.num_calls(), 0, "the kept replica already matches");
        let ids: Vec<&str> = replicas.iter().map(|r| r.identifier.as_str()).collect();
        assert_eq!(ids, ["mosia-test-db-replica-1"]);
    }

    #[tokio::test]
    async fn missing_replicas_are_created_without_a_parameter_group() {
        use aws_sdk_rds::operation::create_db_instance_read_replica::CreateDbInstanceReadReplicaOutput;
        let all = vec![primary().build(), replica(1), replica(2)];
        let describe = described(vec![primary().build()], all);
        let create = mock!(aws_sdk_rds::Client::create_db_instance_read_replica)
            .match_requests(|r| {
                r.db_parameter_group_name().is_none()
                    && r.source_db_instance_identifier() == Some("mosia-test-db")
            })
            .then_output(|| CreateDbInstanceReadReplicaOutput::builder().build());
        let env = testdata::env(&[&describe, &create]);
        let family = [("mosia-test-db".to_string(), primary().build())].into();
        let primary = primary_state(&env, &family).unwrap();
        let mut spec = testdata::spec();
        spec.read_replicas = 2;
        let replicas = ensure_replicas(&env, &spec, &primary).await.unwrap();
        assert_eq!(
            create.num_calls(),
            2,
            "both sent, neither with a parameter group"
        );
        assert_eq!(replicas.len(), 2);
    }

    #[tokio::test]
    async fn refuses_a_replica_it_does_not_own() {
        let foreign = DbInstance::builder()
            .db_instance_identifier("mosia-test-db-replica-1")
            .build();
        let describe = described(vec![primary().build(), foreign.clone()], vec![foreign]);
        let env = testdata::env(&[&describe]);
        let family = [("mosia-test-db".to_string(), primary().build())].into();
        let primary = primary_state(&env, &family).unwrap();
        let mut spec = testdata::spec();
        spec.read_replicas = 1;
        let err = ensure_replicas(&env, &spec, &primary).await.unwrap_err();
        assert_eq!(err.part, "rds.replicas");
        assert!(
            err.detail.contains("has no Mosia ownership tags"),
            "{}",
            err.detail
        );
    }

    #[test]
    fn kept_replicas_follow_the_primary_class_and_drop_deletion_protection() {
        let env = testdata::env(&[]);
        let family = [(
            "mosia-test-db".to_string(),
            primary().db_instance_class("db.m7g.large").build(),
        )]
        .into();
        let primary = primary_state(&env, &family).unwrap();
        let protected = DbInstance::builder()
            .db_instance_class("db.t4g.micro")
            .deletion_protection(true)
            .build();
        let m = replica_changes(&primary, &protected);
        assert_eq!(m.instance_class.as_deref(), Some("db.m7g.large"));
        assert!(m.deletion_protection_off);
        let same = DbInstance::builder()
            .db_instance_class("db.m7g.large")
            .build();
        assert_eq!(
            replica_changes(&primary, &same),
            ReplicaModification::default()
        );
    }

    #[test]
    fn plan_creates_missing_and_deletes_the_highest_numbers_first() {
        assert_eq!(
            replica_plan(2, &[1, 3, 4]),
            ReplicaPlan {
                create: vec![2],
                delete: vec![4, 3],
                keep: vec![1]
            }
        );
        assert_eq!(replica_plan(0, &[]), ReplicaPlan::default());
        assert_eq!(replica_plan(1, &[1, 2]).delete, vec![2]);
    }
}
