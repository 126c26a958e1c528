//! Major version upgrades by RDS blue/green deployment (`rds.major_upgrade = "blue_green"`):
//! a green copy of the primary on the new major and its parameter group, kept in sync by
//! logical replication, then a switchover that gives green the primary's name and endpoint;
//! the old primary stays as `{id}-old1` ([`super::retired`] deletes it after its retention).
//!
//! `find_deployment` → `status_deployment` → `wait_deployment_available` /
//! `wait_switchover_completed` / `wait_deployment_deleted`, then [`upgrade`], which resumes
//! from whatever a crashed apply left: a deployment in progress is waited for, a failed
//! switchover (blue still serving) is deleted with its green and started again.
//!
//! RDS refuses a blue/green deployment whose source manages its master password in Secrets
//! Manager (RDS User Guide, "Limitations for blue/green deployments"), which every Mosia
//! database does. The password is handed over first: read from its secret and set as the
//! instance's own (same value, so connections keep working), and handed back to Secrets
//! Manager once the switchover is done ([`super::converge`] turns management on again: a new
//! secret, with a new ARN and password). The value is held in memory only.

use std::time::Duration;

use aws_sdk_rds::types::{BlueGreenDeployment, DbInstance};

use super::instance::{wait_instance_available, Family};
use super::tagging::sdk_tags;
use super::{major_version, primary_identifier, RdsSpec, MODIFY_TIMEOUT, SERVICE};
use crate::aws::part::{PartEnv, PartId};
use crate::aws::wait::{AwsKind, Statuses};
use crate::engine::{PartError, Poll};

const PART: PartId = PartId::RdsPrimary;

/// Creating green copies the whole database: hours on large ones.
const PROVISION_TIMEOUT: Duration = Duration::from_secs(6 * 60 * 60);
/// How long RDS may take for the switchover before it rolls back and blue keeps serving
/// (`SwitchoverTimeout`, seconds; RDS's default is 300).
const SWITCHOVER_TIMEOUT_SECS: i32 = 300;
const SWITCHOVER_WAIT: Duration = Duration::from_secs(30 * 60);
const DELETE_WAIT: Duration = Duration::from_secs(60 * 60);

/// Green is being created, then kept in sync until it can take over (a switchover already
/// under way, after a crash, is past that point).
const DEPLOYMENT_AVAILABLE: Statuses = Statuses {
    pending: &["PROVISIONING"],
    target: &[
        "AVAILABLE",
        "SWITCHOVER_IN_PROGRESS",
        "SWITCHOVER_COMPLETED",
    ],
};
const SWITCHOVER_COMPLETED: Statuses = Statuses {
    pending: &["AVAILABLE", "SWITCHOVER_IN_PROGRESS"],
    target: &["SWITCHOVER_COMPLETED"],
};
const DEPLOYMENT_DELETED: Statuses = Statuses {
    pending: &[
        "DELETING",
        "AVAILABLE",
        "SWITCHOVER_COMPLETED",
        "SWITCHOVER_FAILED",
        "INVALID_CONFIGURATION",
        "PROVISIONING",
    ],
    target: &["deleted"],
};

/// `{id}-to-pg{major}`: at most 60 characters for the longest environment names RDS
/// accepts (identifiers are checked at 63 with `-replica-15`).
pub(crate) fn deployment_name(id: &str, major: &str) -> String {
    format!("{id}-to-pg{}", major.replace('.', "-"))
}

/// The primary's deployment, if any: named `{id}-to-pg...` (whichever side of a
/// switchover the primary's name is on, and whatever version it was for).
pub(crate) async fn find_deployment(
    env: &PartEnv,
    id: &str,
) -> Result<Option<BlueGreenDeployment>, PartError> {
    let prefix = format!("{id}-to-pg");
    let mut marker: Option<String> = None;
    loop {
        let out = env
            .aws
            .rds()
            .describe_blue_green_deployments()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    &PART,
                    format!("looking for a blue/green deployment of `{id}`"),
                    "DescribeBlueGreenDeployments",
                    &e,
                )
            })?;
        let found = out.blue_green_deployments().iter().find(|d| {
            d.blue_green_deployment_name()
                .is_some_and(|n| n.starts_with(&prefix))
        });
        if let Some(d) = found {
            return Ok(Some(d.clone()));
        }
        marker = out.marker().map(str::to_string);
        if marker.is_none() {
            return Ok(None);
        }
    }
}

/// The deployment `deployment_id` as RDS describes it; None once it is gone.
async fn find_deployment_by_id(
    env: &PartEnv,
    deployment_id: &str,
) -> Result<Option<BlueGreenDeployment>, PartError> {
    let sent = env
        .aws
        .rds()
        .describe_blue_green_deployments()
        .blue_green_deployment_identifier(deployment_id)
        .send()
        .await;
    let found = crate::aws::errors::found(sent, |e| e.is_blue_green_deployment_not_found_fault());
    found
        .map(|o| o.and_then(|o| o.blue_green_deployments().first().cloned()))
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("reading blue/green deployment `{deployment_id}`"),
                "DescribeBlueGreenDeployments",
                &e,
            )
        })
}

/// The deployment's status, `deleted` once RDS no longer lists it.
fn status_deployment(d: Option<&BlueGreenDeployment>) -> String {
    d.and_then(BlueGreenDeployment::status)
        .unwrap_or("deleted")
        .to_string()
}

/// The error of a deployment that ended in a status no wait expects, with RDS's details.
fn deployment_failed(what: &str, d: &BlueGreenDeployment, statuses: &Statuses) -> PartError {
    let status = d.status().unwrap_or_default();
    let mut e = statuses.unexpected(&PART.to_string(), what, status);
    if let Some(details) = d.status_details() {
        e.detail = format!("{}: {details}", e.detail);
    }
    e
}

async fn wait_deployment(
    env: &PartEnv,
    deployment_id: &str,
    what: String,
    timeout: Duration,
    statuses: Statuses,
) -> Result<Option<BlueGreenDeployment>, PartError> {
    let part = PART.to_string();
    let part_ref = part.as_str();
    let what_ref = what.as_str();
    env.waiter(part_ref, AwsKind::RdsInstance, what.clone())
        .timeout(timeout)
        .until(move || async move {
            let d = match find_deployment_by_id(env, deployment_id).await {
                Ok(d) => d,
                Err(e) if e.retryable => return Poll::Pending(e.detail),
                Err(e) => return Poll::Failed(e),
            };
            let status = status_deployment(d.as_ref());
            match (
                statuses.poll(part_ref, what_ref, Some(&status), || d.clone()),
                &d,
            ) {
                (Poll::Failed(_), Some(found)) => {
                    Poll::Failed(deployment_failed(what_ref, found, &statuses))
                }
                (p, _) => p,
            }
        })
        .await
        .map_err(PartError::from)
}

/// Waits until green is created and in sync: ready for the switchover. Returns the status.
async fn wait_deployment_available(
    env: &PartEnv,
    deployment_id: &str,
) -> Result<String, PartError> {
    let what = format!("blue/green deployment `{deployment_id}` to be ready for switchover");
    let d = wait_deployment(
        env,
        deployment_id,
        what,
        PROVISION_TIMEOUT,
        DEPLOYMENT_AVAILABLE,
    )
    .await?;
    Ok(status_deployment(d.as_ref()))
}

/// Waits for the switchover's end. A failed switchover (RDS rolled it back: blue serves)
/// fails the wait with what to do.
async fn wait_switchover_completed(
    env: &PartEnv,
    deployment_id: &str,
    id: &str,
) -> Result<(), PartError> {
    let what = format!("the switchover of blue/green deployment `{deployment_id}`");
    wait_deployment(
        env,
        deployment_id,
        what,
        SWITCHOVER_WAIT,
        SWITCHOVER_COMPLETED,
    )
    .await
    .map(|_| ())
    .map_err(|e| switchover_failed(id, deployment_id, e))
}

fn switchover_failed(id: &str, deployment_id: &str, e: PartError) -> PartError {
    PartError::new(
        &PART,
        format!("switching DB instance `{id}` over to its upgraded copy"),
        format!(
            "{}. The switchover did not happen: `{id}` (the old version) still serves, \
             unchanged, and its master password is not in Secrets Manager until the upgrade \
             completes (its value is the same). Run `terraform apply` again to retry: Mosia \
             deletes the deployment `{deployment_id}` with its green instance and starts a new \
             one. Or set rds.engine_version back to abandon the upgrade (the password returns \
             to Secrets Manager).",
            e.detail
        ),
    )
}

async fn wait_deployment_deleted(env: &PartEnv, deployment_id: &str) -> Result<(), PartError> {
    let what = format!("blue/green deployment `{deployment_id}` to be deleted");
    wait_deployment(env, deployment_id, what, DELETE_WAIT, DEPLOYMENT_DELETED)
        .await
        .map(|_| ())
}

/// Deletes a deployment; `with_green` also deletes its green instance (only before a
/// switchover: afterwards green is the primary).
async fn delete_deployment(
    env: &PartEnv,
    deployment_id: &str,
    with_green: bool,
) -> Result<(), PartError> {
    tracing::info!(part = %PART, object = %deployment_id, with_green, "deleting blue/green deployment");
    let sent = env
        .aws
        .rds()
        .delete_blue_green_deployment()
        .blue_green_deployment_identifier(deployment_id)
        .set_delete_target(with_green.then_some(true))
        .send()
        .await;
    crate::aws::errors::found(sent, |e| e.is_blue_green_deployment_not_found_fault()).map_err(
        |e| {
            SERVICE.error(
                &PART,
                format!("deleting blue/green deployment `{deployment_id}`"),
                "DeleteBlueGreenDeployment",
                &e,
            )
        },
    )?;
    wait_deployment_deleted(env, deployment_id).await
}

/// Any deployment of the primary that is not (or no longer) wanted: one that failed, one
/// for another version, one left after its switchover. Deleted, with its green unless the
/// switchover happened (green is the primary then). Returns the one kept: the wanted
/// deployment, to resume.
pub(crate) async fn discard_stale_deployment(
    env: &PartEnv,
    id: &str,
    wanted_name: Option<&str>,
) -> Result<Option<BlueGreenDeployment>, PartError> {
    let Some(d) = find_deployment(env, id).await? else {
        return Ok(None);
    };
    let name = d.blue_green_deployment_name().unwrap_or_default();
    let status = d.status().unwrap_or_default();
    let Some(with_green) = discard(name, status, wanted_name) else {
        return Ok(Some(d));
    };
    let deployment_id = d.blue_green_deployment_identifier().unwrap_or_default();
    delete_deployment(env, deployment_id, with_green).await?;
    Ok(None)
}

/// Whether to delete a deployment named `name` in `status` when `wanted` is the one the
/// configuration asks for: None to keep it, Some(with its green instance) to delete it. A
/// failed one goes even when wanted (a new one is made); green goes too unless it already
/// took over.
fn discard(name: &str, status: &str, wanted: Option<&str>) -> Option<bool> {
    let failed = matches!(status, "SWITCHOVER_FAILED" | "INVALID_CONFIGURATION");
    if Some(name) == wanted && !failed {
        return None;
    }
    Some(status != "SWITCHOVER_COMPLETED")
}

/// Upgrades the primary `db` to `version` (major `major`, parameter group `parameter_group`)
/// by blue/green deployment, resuming one in progress. Returns the family once the upgraded
/// instance serves under the primary's name; the old one is left as `{id}-old1`.
pub(crate) async fn upgrade(
    env: &PartEnv,
    spec: &RdsSpec,
    db: &DbInstance,
    version: &str,
    parameter_group: &str,
) -> Result<Family, PartError> {
    let id = primary_identifier(env);
    let major = major_version(&spec.engine, version);
    let name = deployment_name(&id, &major);
    let arn = db.db_instance_arn().unwrap_or_default();
    let deployment_id = match discard_stale_deployment(env, &id, Some(&name)).await? {
        Some(d) => d
            .blue_green_deployment_identifier()
            .unwrap_or_default()
            .to_string(),
        None => {
            release_master_password(env, db).await?;
            create_deployment(env, &name, arn, version, parameter_group).await?
        }
    };
    if wait_deployment_available(env, &deployment_id).await? == "AVAILABLE" {
        switchover(env, &deployment_id, &id).await?;
    }
    wait_switchover_completed(env, &deployment_id, &id).await?;
    // Done with: the old primary is an instance of its own now (`{id}-old1`).
    delete_deployment(env, &deployment_id, false).await?;
    tracing::info!(part = %PART, object = %id, version, "DB instance upgraded by blue/green deployment");
    let what = format!("DB instance `{id}` (upgraded) to be available");
    wait_instance_available(env, &PART, &id, what, MODIFY_TIMEOUT, |_| true).await
}

async fn create_deployment(
    env: &PartEnv,
    name: &str,
    source_arn: &str,
    version: &str,
    parameter_group: &str,
) -> Result<String, PartError> {
    tracing::info!(part = %PART, object = %name, version, parameter_group, "creating blue/green deployment");
    let out = env
        .aws
        .rds()
        .create_blue_green_deployment()
        .blue_green_deployment_name(name)
        .source(source_arn)
        .target_engine_version(version)
        .target_db_parameter_group_name(parameter_group)
        .set_tags(Some(sdk_tags(&env.tags_for(PART.tag()))))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("creating blue/green deployment `{name}` (PostgreSQL {version})"),
                "CreateBlueGreenDeployment",
                &e,
            )
        })?;
    out.blue_green_deployment()
        .and_then(BlueGreenDeployment::blue_green_deployment_identifier)
        .map(str::to_string)
        .ok_or_else(|| {
            PartError::new(
                &PART,
                format!("creating blue/green deployment `{name}`"),
                "RDS answered without a deployment identifier",
            )
        })
}

async fn switchover(env: &PartEnv, deployment_id: &str, id: &str) -> Result<(), PartError> {
    tracing::info!(part = %PART, object = %deployment_id, "switching over");
    env.aws
        .rds()
        .switchover_blue_green_deployment()
        .blue_green_deployment_identifier(deployment_id)
        .switchover_timeout(SWITCHOVER_TIMEOUT_SECS)
        .send()
        .await
        .map_err(|e| {
            switchover_failed(
                id,
                deployment_id,
                SERVICE.error(&PART, "switching over", "SwitchoverBlueGreenDeployment", &e),
            )
        })?;
    Ok(())
}

/// Takes the master password out of Secrets Manager, keeping its value (RDS refuses a
/// blue/green deployment otherwise). A no-op when it is already out.
async fn release_master_password(env: &PartEnv, db: &DbInstance) -> Result<(), PartError> {
    let id = primary_identifier(env);
    let Some(secret_arn) = db.master_user_secret().and_then(|s| s.secret_arn()) else {
        return Ok(());
    };
    let password = read_master_password(env, &id, secret_arn).await?;
    tracing::info!(part = %PART, object = %id, "master password out of Secrets Manager for the blue/green deployment (same value)");
    env.aws
        .rds()
        .modify_db_instance()
        .db_instance_identifier(&id)
        .apply_immediately(true)
        .manage_master_user_password(false)
        .master_user_password(password)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("taking the master password of `{id}` out of Secrets Manager"),
                "ModifyDBInstance",
                &e,
            )
        })?;
    let what = format!("DB instance `{id}` to hold its master password itself");
    wait_instance_available(env, &PART, &id, what, MODIFY_TIMEOUT, |db| {
        db.master_user_secret().is_none()
    })
    .await
    .map(|_| ())
}

/// The password in the RDS-managed secret (JSON `{"username": .., "password": ..}`).
async fn read_master_password(
    env: &PartEnv,
    id: &str,
    secret_arn: &str,
) -> Result<String, PartError> {
    let out = env
        .aws
        .secretsmanager()
        .get_secret_value()
        .secret_id(secret_arn)
        .send()
        .await
        .map_err(|e| {
            crate::aws::errors::SECRETS_MANAGER.error(
                &PART,
                format!("reading the master password of `{id}` for the blue/green upgrade"),
                "GetSecretValue",
                &e,
            )
        })?;
    let text = out.secret_string().unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("password")?.as_str().map(str::to_string))
        .ok_or_else(|| {
            PartError::new(
                &PART,
                format!("reading the master password of `{id}`"),
                "the RDS-managed secret holds no `password` field",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deployment_is_named_after_the_primary_and_the_target_major() {
        assert_eq!(
            deployment_name("mosia-prod-db", "16"),
            "mosia-prod-db-to-pg16"
        );
        // The longest primary identifier Mosia accepts still fits RDS's 60 characters.
        let longest = "x".repeat(63 - "-replica-15".len());
        assert!(deployment_name(&longest, "17").len() <= 60);
    }

    #[test]
    fn failed_and_unwanted_deployments_are_discarded_with_green_until_it_took_over() {
        let wanted = Some("db-to-pg16");
        assert_eq!(discard("db-to-pg16", "AVAILABLE", wanted), None);
        assert_eq!(discard("db-to-pg16", "PROVISIONING", wanted), None);
        assert_eq!(
            discard("db-to-pg16", "SWITCHOVER_FAILED", wanted),
            Some(true)
        );
        assert_eq!(discard("db-to-pg17", "AVAILABLE", wanted), Some(true));
        assert_eq!(
            discard("db-to-pg16", "SWITCHOVER_COMPLETED", None),
            Some(false)
        );
    }

    #[test]
    fn a_failed_switchover_says_blue_serves_and_how_to_resume() {
        let e = switchover_failed(
            "mosia-prod-db",
            "bgd-1",
            PartError::new("rds", "waiting", "unexpected status `SWITCHOVER_FAILED`"),
        );
        assert!(
            e.detail
                .contains("`mosia-prod-db` (the old version) still serves")
                && e.detail.contains("Run `terraform apply` again to retry")
                && e.detail.contains("SWITCHOVER_FAILED"),
            "{}",
            e.detail
        );
    }
}
