//! Old primaries left by blue/green upgrades: RDS renames the instance a switchover replaces
//! to `{id}-old1` (`-old2` when that exists). Each is tagged with when it was retired and
//! when it goes (`mosia:retired-at`, `mosia:delete-after`, RFC 3339), listed in the state,
//! and deleted by the first apply after its retention (deletion protection off first, a final
//! snapshot unless `skip_final_snapshot`), or by destroy.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_rds::types::DbInstance;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;

use super::delete::delete_instance;
use super::instance::{wait_instance_available, Family};
use super::tagging::{owned, tag_map};
use super::{primary_identifier, RdsSpec, MODIFY_TIMEOUT, SERVICE};
use crate::aws::now_secs;
use crate::aws::part::{PartEnv, PartId};
use crate::engine::PartError;

const PART: PartId = PartId::RdsPrimary;

pub(crate) const RETIRED_AT_TAG: &str = "mosia:retired-at";
pub(crate) const DELETE_AFTER_TAG: &str = "mosia:delete-after";
/// Old instances looked for: one per upgrade still kept.
pub(crate) const MAX_OLD_INSTANCES: u32 = 3;

/// An old primary kept after a blue/green upgrade.
#[derive(Debug, Clone, PartialEq)]
pub struct RetiredInstance {
    pub identifier: String,
    pub engine_version: String,
    /// RFC 3339; empty until the apply that retired it has tagged it.
    pub delete_after: String,
}

/// `{id}-old{n}`, n from 1.
pub(crate) fn old_identifier(env: &PartEnv, n: u32) -> String {
    format!("{}-old{n}", primary_identifier(env))
}

fn old_identifiers(env: &PartEnv) -> Vec<String> {
    (1..=MAX_OLD_INSTANCES)
        .map(|n| old_identifier(env, n))
        .collect()
}

/// The environment's old primaries in `family`, by identifier.
fn old_instances<'f>(env: &PartEnv, family: &'f Family) -> Vec<&'f DbInstance> {
    old_identifiers(env)
        .iter()
        .filter_map(|id| family.get(id))
        .filter(|db| owned(env, db))
        .collect()
}

/// The old primaries as the state shows them.
pub(crate) fn retired_instances(env: &PartEnv, family: &Family) -> Vec<RetiredInstance> {
    old_instances(env, family)
        .into_iter()
        .map(|db| RetiredInstance {
            identifier: db.db_instance_identifier().unwrap_or_default().to_string(),
            engine_version: db.engine_version().unwrap_or_default().to_string(),
            delete_after: tag_map(db.tag_list())
                .get(DELETE_AFTER_TAG)
                .cloned()
                .unwrap_or_default(),
        })
        .collect()
}

fn rfc3339(t: SystemTime) -> String {
    DateTime::from(t).fmt(Format::DateTime).unwrap_or_default()
}

/// An RFC 3339 time (`delete_after`), None when it is not one.
pub(crate) fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    DateTime::from_str(s, Format::DateTime)
        .ok()
        .and_then(|d| SystemTime::try_from(d).ok())
}

/// Tags each old primary with its retirement and deletion times (kept in step with
/// `old_instance_retention_hours`), and deletes those whose time has come.
pub(crate) async fn retire_old_instances(
    env: &PartEnv,
    spec: &RdsSpec,
    family: &Family,
) -> Result<(), PartError> {
    let now = SystemTime::now();
    let keep = Duration::from_secs(u64::from(spec.old_instance_retention_hours) * 3600);
    let mut expired = Vec::new();
    for db in old_instances(env, family) {
        let tags = tag_map(db.tag_list());
        let retired_at = tags
            .get(RETIRED_AT_TAG)
            .and_then(|t| parse_rfc3339(t))
            .unwrap_or(now);
        let delete_after = retired_at + keep;
        if delete_after <= now {
            expired.push(db);
            continue;
        }
        let wanted = BTreeMap::from([
            (RETIRED_AT_TAG.to_string(), rfc3339(retired_at)),
            (DELETE_AFTER_TAG.to_string(), rfc3339(delete_after)),
        ]);
        if wanted.iter().any(|(k, v)| tags.get(k) != Some(v)) {
            tag(env, db, &wanted).await?;
        }
    }
    for db in expired {
        delete_old_instance(env, spec, db).await?;
    }
    Ok(())
}

async fn tag(
    env: &PartEnv,
    db: &DbInstance,
    tags: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let id = db.db_instance_identifier().unwrap_or_default();
    env.aws
        .rds()
        .add_tags_to_resource()
        .resource_name(db.db_instance_arn().unwrap_or_default())
        .set_tags(Some(super::tagging::sdk_tags(tags)))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("tagging the old DB instance `{id}` with its retention"),
                "AddTagsToResource",
                &e,
            )
        })?;
    Ok(())
}

/// Deletes every old primary now (destroy).
pub(crate) async fn delete_old_instances(
    env: &PartEnv,
    spec: &RdsSpec,
    family: &Family,
) -> Result<(), PartError> {
    for db in old_instances(env, family) {
        delete_old_instance(env, spec, db).await?;
    }
    Ok(())
}

/// Deletion protection off (it was the production primary), then deleted with a final
/// snapshot `{old id}-final-{unix seconds}` unless `skip_final_snapshot`; waits until it is
/// gone.
async fn delete_old_instance(
    env: &PartEnv,
    spec: &RdsSpec,
    db: &DbInstance,
) -> Result<(), PartError> {
    let id = db.db_instance_identifier().unwrap_or_default().to_string();
    if db.db_instance_status() != Some("deleting") && db.deletion_protection() == Some(true) {
        unprotect(env, &id).await?;
    }
    let snapshot = (!spec.skip_final_snapshot).then(|| format!("{id}-final-{}", now_secs()));
    delete_instance(env, db, snapshot).await
}

async fn unprotect(env: &PartEnv, id: &str) -> Result<(), PartError> {
    env.aws
        .rds()
        .modify_db_instance()
        .db_instance_identifier(id)
        .deletion_protection(false)
        .apply_immediately(true)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("turning deletion protection off on the old DB instance `{id}`"),
                "ModifyDBInstance",
                &e,
            )
        })?;
    let what = format!("old DB instance `{id}` to drop its deletion protection");
    wait_instance_available(env, &PART, id, what, MODIFY_TIMEOUT, |db| {
        db.deletion_protection() != Some(true)
    })
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_as_rfc3339() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000);
        let s = rfc3339(t);
        assert_eq!(s, "2026-11-30T00:53:20Z");
        assert_eq!(parse_rfc3339(&s), Some(t));
        assert_eq!(parse_rfc3339("soon"), None);
    }
}
