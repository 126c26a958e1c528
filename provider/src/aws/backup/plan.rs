//! The backup plan, its selection, and the vault's deletion with its recovery points.

use aws_sdk_backup::types::{BackupPlanInput, BackupSelection};

use super::{part, plan_name, selection_name, vault_name, PART, SERVICE};
use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// (ID, ARN) of the plan named `NAME-daily`; None when there is none.
pub(super) async fn find_plan(env: &PartEnv) -> Result<Option<(String, String)>, PartError> {
    let mut next = None;
    loop {
        let out = env
            .aws
            .backup()
            .list_backup_plans()
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| SERVICE.error(part(), "listing backup plans", "ListBackupPlans", &e))?;
        let found = out
            .backup_plans_list()
            .iter()
            .find(|p| p.backup_plan_name() == Some(plan_name(env).as_str()));
        if let Some(p) = found {
            return Ok(Some((
                p.backup_plan_id().unwrap_or_default().to_string(),
                p.backup_plan_arn().unwrap_or_default().to_string(),
            )));
        }
        match out.next_token {
            Some(t) if !t.is_empty() => next = Some(t),
            _ => return Ok(None),
        }
    }
}

/// Whether the plan's rule is `want`'s (name, vault, schedule, windows, retention).
fn same_rules(have: &aws_sdk_backup::types::BackupPlan, want: &BackupPlanInput) -> bool {
    let key = |vault: &str, schedule: Option<&str>, days: Option<i64>, start: Option<i64>| {
        (vault.to_string(), schedule.map(str::to_string), days, start)
    };
    let have: Vec<_> = have
        .rules()
        .iter()
        .map(|r| {
            key(
                r.target_backup_vault_name(),
                r.schedule_expression(),
                r.lifecycle().and_then(|l| l.delete_after_days()),
                r.start_window_minutes(),
            )
        })
        .collect();
    let want: Vec<_> = want
        .rules()
        .iter()
        .map(|r| {
            key(
                r.target_backup_vault_name(),
                r.schedule_expression(),
                r.lifecycle().and_then(|l| l.delete_after_days()),
                r.start_window_minutes(),
            )
        })
        .collect();
    have == want
}

/// Creates the plan, or updates its rule when it differs; (ID, ARN).
pub(super) async fn ensure_plan(
    env: &PartEnv,
    want: &BackupPlanInput,
) -> Result<(String, String), PartError> {
    let backup = env.aws.backup();
    let Some((id, arn)) = find_plan(env).await? else {
        let out = backup
            .create_backup_plan()
            .backup_plan(want.clone())
            .set_backup_plan_tags(Some(env.tags_for(PART.tag()).into_iter().collect()))
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(part(), "creating the backup plan", "CreateBackupPlan", &e)
            })?;
        return Ok((
            out.backup_plan_id().unwrap_or_default().to_string(),
            out.backup_plan_arn().unwrap_or_default().to_string(),
        ));
    };
    let have = backup
        .get_backup_plan()
        .backup_plan_id(&id)
        .send()
        .await
        .map_err(|e| SERVICE.error(part(), "reading the backup plan", "GetBackupPlan", &e))?;
    if !have.backup_plan().is_some_and(|p| same_rules(p, want)) {
        backup
            .update_backup_plan()
            .backup_plan_id(&id)
            .backup_plan(want.clone())
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(part(), "updating the backup plan", "UpdateBackupPlan", &e)
            })?;
    }
    Ok((id, arn))
}

/// The selection's ID in plan `plan_id`; None when it has none of that name.
async fn find_selection(env: &PartEnv, plan_id: &str) -> Result<Option<String>, PartError> {
    let out = env
        .aws
        .backup()
        .list_backup_selections()
        .backup_plan_id(plan_id)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                part(),
                "listing backup selections",
                "ListBackupSelections",
                &e,
            )
        })?;
    Ok(out
        .backup_selections_list()
        .iter()
        .find(|s| s.selection_name() == Some(selection_name(env).as_str()))
        .and_then(|s| s.selection_id().map(str::to_string)))
}

/// Creates the selection when the plan has none of its name.
pub(super) async fn ensure_selection(
    env: &PartEnv,
    plan_id: &str,
    selection: BackupSelection,
) -> Result<(), PartError> {
    if find_selection(env, plan_id).await?.is_some() {
        return Ok(());
    }
    env.aws
        .backup()
        .create_backup_selection()
        .backup_plan_id(plan_id)
        .backup_selection(selection)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                part(),
                "selecting the databases",
                "CreateBackupSelection",
                &e,
            )
        })?;
    Ok(())
}

/// Deletes the plan's selection, then the plan.
pub(super) async fn delete_plan(env: &PartEnv, plan_id: &str) -> Result<(), PartError> {
    let backup = env.aws.backup();
    if let Some(sel) = find_selection(env, plan_id).await? {
        backup
            .delete_backup_selection()
            .backup_plan_id(plan_id)
            .selection_id(sel)
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    part(),
                    "deleting the selection",
                    "DeleteBackupSelection",
                    &e,
                )
            })?;
    }
    backup
        .delete_backup_plan()
        .backup_plan_id(plan_id)
        .send()
        .await
        .map_err(|e| SERVICE.error(part(), "deleting the backup plan", "DeleteBackupPlan", &e))?;
    Ok(())
}

/// Deletes the vault's recovery points, then the vault.
pub(super) async fn delete_vault(env: &PartEnv) -> Result<(), PartError> {
    let backup = env.aws.backup();
    let vault = vault_name(env);
    let points = backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(&vault)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                part(),
                "listing recovery points",
                "ListRecoveryPointsByBackupVault",
                &e,
            )
        })?;
    for p in points.recovery_points() {
        let Some(arn) = p.recovery_point_arn() else {
            continue;
        };
        backup
            .delete_recovery_point()
            .backup_vault_name(&vault)
            .recovery_point_arn(arn)
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    part(),
                    "deleting a recovery point",
                    "DeleteRecoveryPoint",
                    &e,
                )
            })?;
    }
    backup
        .delete_backup_vault()
        .backup_vault_name(&vault)
        .send()
        .await
        .map_err(|e| SERVICE.error(part(), "deleting the backup vault", "DeleteBackupVault", &e))?;
    Ok(())
}
