//! The environment's AWS Backup ([`PartId::Backup`]): the vault `NAME` (on the
//! environment's key when it has one), the plan `NAME-daily` (one rule: every day at 05:00
//! UTC, recovery points kept `retention_days`), and the selection `NAME-databases`: the
//! environment's RDS instances, by its `mosia:environment` tag, backed up with the role
//! `NAME-backup` (AWS's AWSBackupServiceRolePolicyForBackup and ...ForRestores).
//!
//! - [`ensure`]: vault, role, plan (created, or its rule converged with UpdateBackupPlan),
//!   selection (created when missing: a selection cannot be changed, only replaced).
//! - [`delete`]: the selection, the plan, the vault's recovery points and the vault (a
//!   vault with recovery points cannot be deleted); then the role.

use std::collections::HashMap;

use aws_sdk_backup::operation::describe_backup_vault::DescribeBackupVaultError;
use aws_sdk_backup::types::{
    BackupPlanInput, BackupRuleInput, BackupSelection, ConditionParameter, Conditions, Lifecycle,
};

use super::errors::{self, Service};
use super::iam;
use super::part::{not_ours, PartEnv, PartId, ENVIRONMENT_TAG};
use crate::engine::PartError;

mod plan;

/// AWS Backup as the backup part sees its errors.
pub(crate) const SERVICE: Service = Service {
    label: "AWS Backup",
    transient_codes: &["ServiceUnavailableException", "ThrottlingException"],
};

const PART: PartId = PartId::Backup;
const BACKUP_SERVICE: &str = "backup.amazonaws.com";
const ROLE_POLICIES: [&str; 2] = [
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
];
/// Every day at 05:00 UTC, after the tiers' RDS backup windows.
pub const SCHEDULE: &str = "cron(0 5 * * ? *)";
const RULE: &str = "daily";

/// What the backups converge to.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupSpec {
    pub retention_days: u32,
    /// The vault's key; None: AWS Backup's default key.
    pub kms_key: Option<String>,
}

/// The backups as they are.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BackupState {
    pub vault_arn: String,
    pub plan_arn: String,
    pub plan_id: String,
}

/// `NAME`.
pub fn vault_name(env: &PartEnv) -> String {
    env.name.clone()
}

/// `NAME-daily`.
pub fn plan_name(env: &PartEnv) -> String {
    env.aws_name("daily")
}

/// `NAME-databases`.
pub fn selection_name(env: &PartEnv) -> String {
    env.aws_name("databases")
}

/// `NAME-backup`.
pub fn role_name(env: &PartEnv) -> String {
    env.aws_name("backup")
}

fn part() -> String {
    PART.to_string()
}

/// The vault's ARN; None when it does not exist.
pub async fn find_vault(env: &PartEnv) -> Result<Option<(String, Option<String>)>, PartError> {
    let out = errors::found(
        env.aws
            .backup()
            .describe_backup_vault()
            .backup_vault_name(vault_name(env))
            .send()
            .await,
        DescribeBackupVaultError::is_resource_not_found_exception,
    )
    .map_err(|e| {
        SERVICE.error(
            part(),
            "reading the backup vault",
            "DescribeBackupVault",
            &e,
        )
    })?;
    Ok(out.map(|o| {
        (
            o.backup_vault_arn().unwrap_or_default().to_string(),
            o.encryption_key_arn().map(str::to_string),
        )
    }))
}

async fn resource_tags(env: &PartEnv, arn: &str) -> Result<HashMap<String, String>, PartError> {
    let out = env
        .aws
        .backup()
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| SERVICE.error(part(), "reading the tags", "ListTags", &e))?;
    Ok(out.tags.unwrap_or_default())
}

fn owned(env: &PartEnv, t: &HashMap<String, String>) -> bool {
    let t = t.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    env.owns(PART.tag(), &t)
}

/// The vault, created with the key when missing, refused when someone else's. A vault keeps
/// the key it was created with (AWS Backup cannot change it).
async fn ensure_vault(env: &PartEnv, spec: &BackupSpec) -> Result<String, PartError> {
    if let Some((arn, _)) = find_vault(env).await? {
        let have = resource_tags(env, &arn).await?;
        if !owned(env, &have) {
            let have = have.into_iter().collect();
            return Err(not_ours(
                env,
                &PART,
                "backup vault",
                &vault_name(env),
                &have,
            ));
        }
        return Ok(arn);
    }
    let out = env
        .aws
        .backup()
        .create_backup_vault()
        .backup_vault_name(vault_name(env))
        .set_encryption_key_arn(spec.kms_key.clone())
        .set_backup_vault_tags(Some(env.tags_for(PART.tag()).into_iter().collect()))
        .send()
        .await
        .map_err(|e| SERVICE.error(part(), "creating the backup vault", "CreateBackupVault", &e))?;
    Ok(out.backup_vault_arn().unwrap_or_default().to_string())
}

/// The plan's one rule.
pub fn rule(env: &PartEnv, spec: &BackupSpec) -> BackupRuleInput {
    BackupRuleInput::builder()
        .rule_name(RULE)
        .target_backup_vault_name(vault_name(env))
        .schedule_expression(SCHEDULE)
        .start_window_minutes(60)
        .completion_window_minutes(24 * 60)
        .lifecycle(
            Lifecycle::builder()
                .delete_after_days(i64::from(spec.retention_days))
                .build(),
        )
        .build()
        .expect("rule name and vault are set")
}

fn plan_input(env: &PartEnv, spec: &BackupSpec) -> BackupPlanInput {
    BackupPlanInput::builder()
        .backup_plan_name(plan_name(env))
        .rules(rule(env, spec))
        .build()
        .expect("name and rules are set")
}

/// The selection: the environment's RDS instances, by its tag.
pub fn selection(env: &PartEnv, role_arn: &str) -> BackupSelection {
    let by_tag = ConditionParameter::builder()
        .condition_key(format!("aws:ResourceTag/{ENVIRONMENT_TAG}"))
        .condition_value(&env.name)
        .build();
    BackupSelection::builder()
        .selection_name(selection_name(env))
        .iam_role_arn(role_arn)
        .resources(format!("arn:{}:rds:*:*:db:*", env.aws.partition()))
        .conditions(Conditions::builder().string_equals(by_tag).build())
        .build()
        .expect("name and role are set")
}

/// Creates or converges vault, role, plan and selection.
pub async fn ensure(env: &PartEnv, spec: &BackupSpec) -> Result<BackupState, PartError> {
    let vault_arn = ensure_vault(env, spec).await?;
    let role_arn =
        iam::ensure_service_role(env, &role_name(env), BACKUP_SERVICE, &ROLE_POLICIES).await?;
    let (plan_id, plan_arn) = plan::ensure_plan(env, &plan_input(env, spec)).await?;
    plan::ensure_selection(env, &plan_id, selection(env, &role_arn)).await?;
    Ok(BackupState {
        vault_arn,
        plan_arn,
        plan_id,
    })
}

/// The plan's ARN when plan and vault exist (drift); None otherwise.
pub async fn read(env: &PartEnv) -> Result<Option<BackupState>, PartError> {
    let Some((vault_arn, _)) = find_vault(env).await? else {
        return Ok(None);
    };
    Ok(plan::find_plan(env)
        .await?
        .map(|(plan_id, plan_arn)| BackupState {
            vault_arn,
            plan_arn,
            plan_id,
        }))
}

/// Deletes selection, plan, the vault's recovery points, the vault and the role (what is
/// not ours is left alone).
pub async fn delete(env: &PartEnv) -> Result<(), PartError> {
    if let Some((plan_id, plan_arn)) = plan::find_plan(env).await? {
        if owned(env, &resource_tags(env, &plan_arn).await?) {
            plan::delete_plan(env, &plan_id).await?;
        }
    }
    if let Some((vault_arn, _)) = find_vault(env).await? {
        if owned(env, &resource_tags(env, &vault_arn).await?) {
            plan::delete_vault(env).await?;
        }
    }
    iam::delete_service_role(env, &role_name(env)).await
}
