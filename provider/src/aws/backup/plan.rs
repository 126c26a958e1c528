//! The backup plan, its selection, and the vault's deletion with its recovery points.

use aws_sdk_backup::types::{BackupPlanInput, BackupSelection, CopyAction, Lifecycle};

use super::{part, plan_name, selection_name, PART, SERVICE};
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

/// What a rule is compared by: vault, schedule, retention, start window and copies
/// (destination, retention).
type RuleKey = (
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Vec<(String, Option<i64>)>,
);

fn rule_key(
    vault: &str,
    schedule: Option<&str>,
    lifecycle: Option<&Lifecycle>,
    start: Option<i64>,
    copies: &[CopyAction],
) -> RuleKey {
    let days = |l: Option<&Lifecycle>| l.and_then(Lifecycle::delete_after_days);
    let copies = copies
        .iter()
        .map(|c| {
            (
                c.destination_backup_vault_arn().to_string(),
                days(c.lifecycle()),
            )
        })
        .collect();
    (
        vault.to_string(),
        schedule.map(str::to_string),
        days(lifecycle),
        start,
        copies,
    )
}

/// Whether the plan's rule is `want`'s (name, vault, schedule, windows, retention, copies).
fn same_rules(have: &aws_sdk_backup::types::BackupPlan, want: &BackupPlanInput) -> bool {
    let have: Vec<RuleKey> = have
        .rules()
        .iter()
        .map(|r| {
            let vault = r.target_backup_vault_name();
            rule_key(
                vault,
                r.schedule_expression(),
                r.lifecycle(),
                r.start_window_minutes(),
                r.copy_actions(),
            )
        })
        .collect();
    let want: Vec<RuleKey> = want
        .rules()
        .iter()
        .map(|r| {
            let vault = r.target_backup_vault_name();
            rule_key(
                vault,
                r.schedule_expression(),
                r.lifecycle(),
                r.start_window_minutes(),
                r.copy_actions(),
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

#[cfg(test)]
mod tests {
    use aws_sdk_backup::types::{BackupPlan, BackupRule, BackupRuleInput};

    use super::*;
    use crate::aws::backup::{rule, BackupSpec};
    use crate::aws::{testing, AwsContext};

    const COPY_VAULT: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:mosia-test";

    /// The plan as AWS Backup answers it for the rule `input`.
    fn as_read(input: &BackupRuleInput) -> BackupPlan {
        let rule = BackupRule::builder()
            .rule_name(input.rule_name())
            .target_backup_vault_name(input.target_backup_vault_name())
            .set_schedule_expression(input.schedule_expression().map(str::to_string))
            .set_start_window_minutes(input.start_window_minutes())
            .set_lifecycle(input.lifecycle().cloned())
            .set_copy_actions(Some(input.copy_actions().to_vec()))
            .build()
            .unwrap();
        BackupPlan::builder()
            .backup_plan_name("mosia-test-daily")
            .rules(rule)
            .build()
            .unwrap()
    }

    fn plan_of(rule: BackupRuleInput) -> BackupPlanInput {
        BackupPlanInput::builder()
            .backup_plan_name("mosia-test-daily")
            .rules(rule)
            .build()
            .unwrap()
    }

    #[test]
    fn a_copy_added_removed_or_kept_longer_is_a_change_of_the_rule() {
        let env = testing::env(AwsContext::offline());
        let spec = BackupSpec {
            retention_days: 35,
            kms_key: None,
            copy_to_region: Some("us-west-2".into()),
        };
        let with_copy = rule(&env, &spec, Some(COPY_VAULT));
        let copy = &with_copy.copy_actions()[0];
        assert_eq!(copy.destination_backup_vault_arn(), COPY_VAULT);
        assert_eq!(
            copy.lifecycle().and_then(Lifecycle::delete_after_days),
            Some(35)
        );
        let without = rule(&env, &spec, None);
        assert!(without.copy_actions().is_empty());

        let have = as_read(&with_copy);
        assert!(same_rules(&have, &plan_of(with_copy.clone())));
        assert!(!same_rules(&have, &plan_of(without)));
        let longer = BackupSpec {
            retention_days: 60,
            ..spec
        };
        assert!(!same_rules(
            &have,
            &plan_of(rule(&env, &longer, Some(COPY_VAULT)))
        ));
    }
}
