//! What the backup tests read of AWS Backup.

/// The recovery point ARNs in vault `vault` (none when the vault does not exist).
pub async fn recovery_points(backup: &aws_sdk_backup::Client, vault: &str) -> Vec<String> {
    match backup
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(vault)
        .send()
        .await
    {
        Ok(out) => out
            .recovery_points()
            .iter()
            .filter_map(|p| p.recovery_point_arn().map(str::to_string))
            .collect(),
        Err(_) => vec![],
    }
}
