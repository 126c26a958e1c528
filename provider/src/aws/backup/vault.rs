//! The backup vaults: `NAME` in the environment's Region and, with `copy_to_region`, `NAME`
//! in that Region. Each function takes the AWS Backup client of the vault's Region.

use std::collections::HashMap;

use aws_sdk_backup::operation::describe_backup_vault::DescribeBackupVaultError;
use aws_sdk_backup::Client;

use super::{part, vault_name, PART, SERVICE};
use crate::aws::errors;
use crate::aws::part::{not_ours, PartEnv};
use crate::engine::PartError;

/// The vault's ARN and key; None when it does not exist.
pub async fn find_vault(
    env: &PartEnv,
    backup: &Client,
) -> Result<Option<(String, Option<String>)>, PartError> {
    let out = errors::found(
        backup
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

pub(super) async fn resource_tags(
    backup: &Client,
    arn: &str,
) -> Result<HashMap<String, String>, PartError> {
    let out = backup
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| SERVICE.error(part(), "reading the tags", "ListTags", &e))?;
    Ok(out.tags.unwrap_or_default())
}

pub(super) fn owned(env: &PartEnv, t: &HashMap<String, String>) -> bool {
    let t = t.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    env.owns(PART.tag(), &t)
}

/// The vault, created with `kms_key` (None: AWS Backup's key of the Region) when missing,
/// refused when someone else's. A vault keeps the key it was created with (AWS Backup
/// cannot change it).
pub(super) async fn ensure_vault(
    env: &PartEnv,
    backup: &Client,
    kms_key: Option<String>,
) -> Result<String, PartError> {
    if let Some((arn, _)) = find_vault(env, backup).await? {
        let have = resource_tags(backup, &arn).await?;
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
    let out = backup
        .create_backup_vault()
        .backup_vault_name(vault_name(env))
        .set_encryption_key_arn(kms_key)
        .set_backup_vault_tags(Some(env.tags_for(PART.tag()).into_iter().collect()))
        .send()
        .await
        .map_err(|e| SERVICE.error(part(), "creating the backup vault", "CreateBackupVault", &e))?;
    Ok(out.backup_vault_arn().unwrap_or_default().to_string())
}

/// The ARNs of every recovery point in the vault (all pages).
async fn recovery_points(env: &PartEnv, backup: &Client) -> Result<Vec<String>, PartError> {
    let (mut arns, mut next) = (Vec::new(), None);
    loop {
        let out = backup
            .list_recovery_points_by_backup_vault()
            .backup_vault_name(vault_name(env))
            .set_next_token(next)
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
        arns.extend(
            out.recovery_points()
                .iter()
                .filter_map(|p| p.recovery_point_arn().map(str::to_string)),
        );
        match out.next_token {
            Some(t) if !t.is_empty() => next = Some(t),
            _ => return Ok(arns),
        }
    }
}

/// Deletes the vault's recovery points, then the vault, when it exists and is ours.
pub(super) async fn delete_vault(env: &PartEnv, backup: &Client) -> Result<(), PartError> {
    let Some((arn, _)) = find_vault(env, backup).await? else {
        return Ok(());
    };
    if !owned(env, &resource_tags(backup, &arn).await?) {
        return Ok(());
    }
    let vault = vault_name(env);
    for point in recovery_points(env, backup).await? {
        backup
            .delete_recovery_point()
            .backup_vault_name(&vault)
            .recovery_point_arn(point)
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
