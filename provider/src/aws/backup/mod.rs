//! The environment's AWS Backup ([`PartId::Backup`]): the vault `NAME` (on the
//! environment's key when it has one), the plan `NAME-daily` (one rule: every day at 05:00
//! UTC, recovery points kept `retention_days`), and the selection `NAME-databases`: the
//! environment's RDS instances, by its `mosia:environment` tag, backed up with the role
//! `NAME-backup` (AWS's AWSBackupServiceRolePolicyForBackup and ...ForRestores).
//!
//! With `copy_to_region`, the rule also copies each recovery point to a vault `NAME` in that
//! Region ([`vault`]), on AWS Backup's key there (the environment's key is of its own
//! Region only).
//!
//! - [`ensure`]: vaults, role, plan (created, or its rule converged with UpdateBackupPlan),
//!   selection (created when missing: a selection cannot be changed, only replaced).
//! - [`delete`]: the selection, the plan, each vault's recovery points and the vault (a
//!   vault with recovery points cannot be deleted); then the role.

use aws_sdk_backup::types::{
    BackupPlanInput, BackupRuleInput, BackupSelection, ConditionParameter, Conditions, CopyAction,
    Lifecycle,
};

use super::errors::Service;
use super::iam;
use super::part::{PartEnv, PartId, ENVIRONMENT_TAG};
use crate::engine::PartError;

mod plan;
mod vault;

pub use vault::find_vault;
use vault::{owned, resource_tags};

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
    /// The Region of the copies' vault; None: no copies.
    pub copy_to_region: Option<String>,
}

/// The backups as they are.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BackupState {
    pub vault_arn: String,
    pub plan_arn: String,
    pub plan_id: String,
    /// The vault in `copy_to_region`.
    pub copy_vault_arn: Option<String>,
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

/// The plan's one rule, with its copy to `copy_vault_arn` when given.
pub fn rule(env: &PartEnv, spec: &BackupSpec, copy_vault_arn: Option<&str>) -> BackupRuleInput {
    let lifecycle = || {
        Lifecycle::builder()
            .delete_after_days(i64::from(spec.retention_days))
            .build()
    };
    let copy = copy_vault_arn.map(|arn| {
        CopyAction::builder()
            .destination_backup_vault_arn(arn)
            .lifecycle(lifecycle())
            .build()
            .expect("the destination is set")
    });
    BackupRuleInput::builder()
        .rule_name(RULE)
        .target_backup_vault_name(vault_name(env))
        .schedule_expression(SCHEDULE)
        .start_window_minutes(60)
        .completion_window_minutes(24 * 60)
        .lifecycle(lifecycle())
        .set_copy_actions(copy.map(|c| vec![c]))
        .build()
        .expect("rule name and vault are set")
}

fn plan_input(env: &PartEnv, spec: &BackupSpec, copy_vault_arn: Option<&str>) -> BackupPlanInput {
    BackupPlanInput::builder()
        .backup_plan_name(plan_name(env))
        .rules(rule(env, spec, copy_vault_arn))
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

/// The vault in `region` for the copies; refuses the environment's own Region.
async fn ensure_copy_vault(env: &PartEnv, region: &str) -> Result<String, PartError> {
    if region == env.aws.region() {
        return Err(PartError::new(
            &PART,
            "creating the vault for the copies",
            format!(
                "backup.copy_to_region: {region} is the environment's own Region; name \
                 another Region, or leave it out"
            ),
        ));
    }
    vault::ensure_vault(env, &env.aws.backup_in_region(region), None).await
}

/// Creates or converges the vaults, role, plan and selection.
pub async fn ensure(env: &PartEnv, spec: &BackupSpec) -> Result<BackupState, PartError> {
    let vault_arn = vault::ensure_vault(env, env.aws.backup(), spec.kms_key.clone()).await?;
    let copy_vault_arn = match &spec.copy_to_region {
        Some(region) => Some(ensure_copy_vault(env, region).await?),
        None => None,
    };
    let role_arn =
        iam::ensure_service_role(env, &role_name(env), BACKUP_SERVICE, &ROLE_POLICIES).await?;
    let input = plan_input(env, spec, copy_vault_arn.as_deref());
    let (plan_id, plan_arn) = plan::ensure_plan(env, &input).await?;
    plan::ensure_selection(env, &plan_id, selection(env, &role_arn)).await?;
    Ok(BackupState {
        vault_arn,
        plan_arn,
        plan_id,
        copy_vault_arn,
    })
}

/// The plan's ARN when plan and vault exist (drift), with the copies' vault in
/// `copy_to_region` when it exists; None otherwise.
pub async fn read(
    env: &PartEnv,
    copy_to_region: Option<&str>,
) -> Result<Option<BackupState>, PartError> {
    let Some((vault_arn, _)) = find_vault(env, env.aws.backup()).await? else {
        return Ok(None);
    };
    let copy_vault_arn = match copy_to_region {
        Some(region) => find_vault(env, &env.aws.backup_in_region(region))
            .await?
            .map(|(arn, _)| arn),
        None => None,
    };
    Ok(plan::find_plan(env)
        .await?
        .map(|(plan_id, plan_arn)| BackupState {
            vault_arn,
            plan_arn,
            plan_id,
            copy_vault_arn,
        }))
}

/// Deletes the vault in `region` (the copies' vault of an earlier `copy_to_region`) with its
/// recovery points.
pub async fn delete_copy_vault(env: &PartEnv, region: &str) -> Result<(), PartError> {
    vault::delete_vault(env, &env.aws.backup_in_region(region)).await
}

/// Deletes selection, plan, each vault's recovery points, the vaults and the role (what is
/// not ours is left alone).
pub async fn delete(env: &PartEnv, copy_to_region: Option<&str>) -> Result<(), PartError> {
    if let Some((plan_id, plan_arn)) = plan::find_plan(env).await? {
        if owned(env, &resource_tags(env.aws.backup(), &plan_arn).await?) {
            plan::delete_plan(env, &plan_id).await?;
        }
    }
    vault::delete_vault(env, env.aws.backup()).await?;
    if let Some(region) = copy_to_region {
        delete_copy_vault(env, region).await?;
    }
    iam::delete_service_role(env, &role_name(env)).await
}
