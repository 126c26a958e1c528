//! The DB instances of the environment (primary and replicas) as one family: found with one
//! `DescribeDBInstances`, and waited for with the statuses RDS documents ("Viewing Amazon
//! RDS DB instance status"). A status that is neither on the way nor the target (`failed`,
//! `incompatible-parameters`, `storage-full`, `stopped`, ...) fails the wait at once, naming
//! it.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_rds::operation::describe_db_instances::DescribeDBInstancesError;
use aws_sdk_rds::types::{DbInstance, Filter};
use aws_smithy_runtime_api::client::result::SdkError;

use super::retired::{old_identifier, MAX_OLD_INSTANCES};
use super::{primary_identifier, replica_identifier, MAX_READ_REPLICAS, SERVICE};
use crate::aws::errors;
use crate::aws::part::{PartEnv, PartId};
use crate::aws::wait::{AwsKind, Statuses};
use crate::engine::{PartError, Poll};

/// The primary and its replicas that exist, by identifier.
pub(crate) type Family = BTreeMap<String, DbInstance>;

/// Waiting for an instance to become `available`. The pending statuses are those RDS passes
/// through while creating, restoring, modifying or maintaining an instance (as
/// terraform-provider-aws lists them). `storage-optimization` follows a storage change and
/// may last hours (up to a day on large volumes); the instance serves traffic and accepts
/// other modifications meanwhile, so it counts as ready, as terraform-provider-aws counts it
/// (PR #39691).
pub(crate) const INSTANCE_AVAILABLE: Statuses = Statuses {
    pending: &[
        "creating",
        "backing-up",
        "configuring-enhanced-monitoring",
        "configuring-iam-database-auth",
        "configuring-log-exports",
        "maintenance",
        "modifying",
        "moving-to-vpc",
        "rebooting",
        "renaming",
        "resetting-master-credentials",
        "starting",
        "storage-config-upgrade",
        "upgrading",
    ],
    target: &["available", "storage-optimization"],
};

/// Waiting for an instance to be gone; `deleted` stands for "no longer listed" (RDS has no
/// such status). RDS answers DeleteDBInstance with `deleting`, but a describe may still show
/// the status the instance had (any transitional one, or one of the broken states an
/// instance can be deleted from); only `failed` and the like after the delete are
/// unexpected.
pub(crate) const INSTANCE_DELETED: Statuses = Statuses {
    pending: &[
        "deleting",
        "delete-precheck",
        "available",
        "creating",
        "backing-up",
        "configuring-enhanced-monitoring",
        "configuring-iam-database-auth",
        "configuring-log-exports",
        "maintenance",
        "modifying",
        "rebooting",
        "renaming",
        "resetting-master-credentials",
        "starting",
        "stopping",
        "stopped",
        "storage-config-upgrade",
        "storage-optimization",
        "upgrading",
        "incompatible-parameters",
        "incompatible-restore",
        "storage-full",
    ],
    target: &["deleted"],
};

/// The primary, every possible replica and old primary (blue/green), in one call (a
/// `db-instance-id` filter naming them all); only those that exist are returned.
pub(crate) async fn describe_instances(
    env: &PartEnv,
) -> Result<Family, SdkError<DescribeDBInstancesError, aws_smithy_runtime_api::http::Response>> {
    let mut ids = vec![primary_identifier(env)];
    ids.extend((1..=MAX_READ_REPLICAS).map(|n| replica_identifier(env, n)));
    ids.extend((1..=MAX_OLD_INSTANCES).map(|n| old_identifier(env, n)));
    let out = env
        .aws
        .rds()
        .describe_db_instances()
        .filters(
            Filter::builder()
                .name("db-instance-id")
                .set_values(Some(ids))
                .build(),
        )
        .send()
        .await?;
    Ok(out
        .db_instances()
        .iter()
        .filter_map(|db| Some((db.db_instance_identifier()?.to_string(), db.clone())))
        .collect())
}

/// [`describe_instances`] with the error as the part's.
pub(crate) async fn find_instances(env: &PartEnv, part: &PartId) -> Result<Family, PartError> {
    describe_instances(env).await.map_err(|e| {
        SERVICE.error(
            part,
            format!("describing the DB instances of `{}`", env.name),
            "DescribeDBInstances",
            &e,
        )
    })
}

/// Fields of PendingModifiedValues that a ModifyDBInstance we send can leave pending.
pub(crate) fn has_pending_modifications(db: &DbInstance) -> bool {
    db.pending_modified_values().is_some_and(|p| {
        p.db_instance_class().is_some()
            || p.allocated_storage().is_some()
            || p.multi_az().is_some()
            || p.engine_version().is_some()
            || p.backup_retention_period().is_some()
            || p.storage_type().is_some()
            || p.iops().is_some()
            || p.storage_throughput().is_some()
            || p.db_subnet_group_name().is_some()
    })
}

/// True when the instance is available (or optimizing storage) with nothing pending
/// (ModifyDBInstance can go).
pub(crate) fn is_settled(db: &DbInstance) -> bool {
    is_available(db) && !has_pending_modifications(db)
}

/// True when the instance is available (or optimizing storage), whatever waits for the
/// maintenance window.
pub(crate) fn is_available(db: &DbInstance) -> bool {
    db.db_instance_status()
        .is_some_and(|s| INSTANCE_AVAILABLE.target.contains(&s))
}

/// True when RDS can bring the instance to `available` by itself (it is available or on
/// the way), so waiting for it makes sense.
pub(crate) fn can_become_available(status: &str) -> bool {
    INSTANCE_AVAILABLE.target.contains(&status) || INSTANCE_AVAILABLE.pending.contains(&status)
}

/// Polls the family until `check` says so. A transient describe error is a pending poll.
async fn wait_instances<T>(
    env: &PartEnv,
    part: &PartId,
    what: String,
    timeout: Duration,
    check: impl Fn(&Family) -> Poll<T, PartError>,
) -> Result<T, PartError> {
    let name = part.to_string();
    let check = &check;
    env.waiter(&name, AwsKind::RdsInstance, what)
        .timeout(timeout)
        .until(move || async move {
            match describe_instances(env).await {
                Ok(family) => check(&family),
                Err(e) if SERVICE.is_transient(&e) => Poll::Pending(format!(
                    "describe failed, retrying: {}",
                    errors::diagnostic("RDS DescribeDBInstances", &e).detail
                )),
                Err(e) => Poll::Failed(SERVICE.error(
                    part,
                    "waiting for the DB instances",
                    "DescribeDBInstances",
                    &e,
                )),
            }
        })
        .await
        .map_err(PartError::from)
}

/// Whether a wait lets modifications stay pending: those sent with ApplyImmediately must be
/// applied; those sent without it wait for the maintenance window by design.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PendingModifications {
    MustApply,
    MayWait,
}

/// One poll of the wait for `id`: ready when available, with no pending modification unless
/// `pending` allows them, and `settled` holds. An instance not listed yet is pending (RDS
/// lists a new instance at once; the wait's timeout bounds the rare lag).
pub(crate) fn poll_available(
    part: &str,
    what: &str,
    id: &str,
    family: &Family,
    pending: PendingModifications,
    settled: impl Fn(&DbInstance) -> bool,
) -> Poll<Family, PartError> {
    let Some(db) = family.get(id) else {
        return Poll::Pending("not found yet".into());
    };
    match INSTANCE_AVAILABLE.poll(part, what, db.db_instance_status(), || ()) {
        Poll::Ready(())
            if pending == PendingModifications::MustApply && has_pending_modifications(db) =>
        {
            Poll::Pending("available, modifications pending".into())
        }
        Poll::Ready(()) if !settled(db) => {
            Poll::Pending("available, changes not visible yet".into())
        }
        Poll::Ready(()) => Poll::Ready(family.clone()),
        Poll::Pending(s) => Poll::Pending(s),
        Poll::Failed(e) => Poll::Failed(e),
    }
}

/// Waits until instance `id` is available with nothing pending and `settled` holds; returns
/// the family as last described.
pub(crate) async fn wait_instance_available(
    env: &PartEnv,
    part: &PartId,
    id: &str,
    what: String,
    timeout: Duration,
    settled: impl Fn(&DbInstance) -> bool,
) -> Result<Family, PartError> {
    wait_instance(
        env,
        part,
        id,
        what,
        timeout,
        PendingModifications::MustApply,
        settled,
    )
    .await
}

/// Waits until instance `id` is available and `settled` holds, modifications left for the
/// maintenance window allowed; returns the family as last described.
pub(crate) async fn wait_instance_accepted(
    env: &PartEnv,
    part: &PartId,
    id: &str,
    what: String,
    timeout: Duration,
    settled: impl Fn(&DbInstance) -> bool,
) -> Result<Family, PartError> {
    wait_instance(
        env,
        part,
        id,
        what,
        timeout,
        PendingModifications::MayWait,
        settled,
    )
    .await
}

async fn wait_instance(
    env: &PartEnv,
    part: &PartId,
    id: &str,
    what: String,
    timeout: Duration,
    pending: PendingModifications,
    settled: impl Fn(&DbInstance) -> bool,
) -> Result<Family, PartError> {
    let name = part.to_string();
    let label = what.clone();
    wait_instances(env, part, what, timeout, |family| {
        poll_available(&name, &label, id, family, pending, &settled)
    })
    .await
}

/// One poll of the wait for `ids` to be gone.
pub(crate) fn poll_deleted(
    part: &str,
    what: &str,
    ids: &[String],
    family: &Family,
) -> Poll<(), PartError> {
    let mut left = Vec::new();
    for id in ids {
        let Some(db) = family.get(id) else { continue };
        let status = db.db_instance_status();
        if let Poll::Failed(e) = INSTANCE_DELETED.poll(part, what, status, || ()) {
            return Poll::Failed(e);
        }
        left.push(format!("{id}: {}", status.unwrap_or("unknown")));
    }
    if left.is_empty() {
        Poll::Ready(())
    } else {
        Poll::Pending(left.join(", "))
    }
}

/// Waits until none of `ids` is listed any more.
pub(crate) async fn wait_instances_deleted(
    env: &PartEnv,
    part: &PartId,
    ids: &[String],
    what: String,
) -> Result<(), PartError> {
    let name = part.to_string();
    let label = what.clone();
    wait_instances(env, part, what, super::DELETE_TIMEOUT, |family| {
        poll_deleted(&name, &label, ids, family)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(id: &str, status: &str) -> Family {
        let db = DbInstance::builder()
            .db_instance_identifier(id)
            .db_instance_status(status)
            .build();
        Family::from([(id.to_string(), db)])
    }

    #[test]
    fn available_is_ready_transitions_wait_and_broken_statuses_fail_naming_them() {
        for s in ["available", "storage-optimization"] {
            let ready = poll_available(
                "rds",
                "x",
                "db",
                &family("db", s),
                PendingModifications::MustApply,
                |_| true,
            );
            assert!(matches!(ready, Poll::Ready(_)), "{s} counts as ready");
            assert!(
                is_settled(&family("db", s)["db"]),
                "{s}: modifications may go"
            );
        }
        assert!(!is_settled(&family("db", "modifying")["db"]));
        for s in [
            "modifying",
            "backing-up",
            "configuring-enhanced-monitoring",
            "upgrading",
            "rebooting",
            "resetting-master-credentials",
        ] {
            assert_eq!(
                poll_available(
                    "rds",
                    "x",
                    "db",
                    &family("db", s),
                    PendingModifications::MustApply,
                    |_| true
                ),
                Poll::Pending(s.to_string())
            );
        }
        for s in [
            "failed",
            "incompatible-parameters",
            "storage-full",
            "incompatible-restore",
            "stopped",
            "deleting",
            "inaccessible-encryption-credentials",
        ] {
            let Poll::Failed(e) = poll_available(
                "rds",
                "x",
                "db",
                &family("db", s),
                PendingModifications::MustApply,
                |_| true,
            ) else {
                panic!("{s} must fail at once")
            };
            assert!(
                e.detail.contains(&format!("unexpected status `{s}`")),
                "{}",
                e.detail
            );
        }
        assert_eq!(
            poll_available(
                "rds",
                "x",
                "db",
                &family("db", "available"),
                PendingModifications::MustApply,
                |_| false
            ),
            Poll::Pending("available, changes not visible yet".into())
        );
        assert_eq!(
            poll_available(
                "rds",
                "x",
                "other",
                &family("db", "available"),
                PendingModifications::MustApply,
                |_| true
            ),
            Poll::Pending("not found yet".into())
        );
    }

    #[test]
    fn modifications_left_for_the_window_are_waited_out_only_when_they_must_apply() {
        let pending = aws_sdk_rds::types::PendingModifiedValues::builder()
            .db_instance_class("db.m7g.xlarge")
            .build();
        let db = DbInstance::builder()
            .db_instance_identifier("db")
            .db_instance_status("available")
            .pending_modified_values(pending)
            .build();
        let family = Family::from([("db".to_string(), db)]);
        assert_eq!(
            poll_available(
                "rds",
                "x",
                "db",
                &family,
                PendingModifications::MustApply,
                |_| true
            ),
            Poll::Pending("available, modifications pending".into())
        );
        let accepted = poll_available(
            "rds",
            "x",
            "db",
            &family,
            PendingModifications::MayWait,
            |_| true,
        );
        assert!(matches!(accepted, Poll::Ready(_)));
        assert!(is_available(&family["db"]) && !is_settled(&family["db"]));
    }

    #[test]
    fn deleted_when_no_longer_listed_and_failed_fails() {
        let ids = vec!["db".to_string()];
        assert_eq!(
            poll_deleted("rds", "x", &ids, &Family::new()),
            Poll::Ready(())
        );
        assert_eq!(
            poll_deleted("rds", "x", &ids, &family("db", "deleting")),
            Poll::Pending("db: deleting".into())
        );
        assert!(matches!(
            poll_deleted("rds", "x", &ids, &family("db", "failed")),
            Poll::Failed(_)
        ));
    }
}
