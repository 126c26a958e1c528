//! The log groups Mosia creates (the EKS control plane's, RDS exports, MSK broker logs,
//! ElastiCache logs, VPC flow logs), each owned by one part: created before the service
//! that writes to it would create it without retention, with Mosia's tags, the environment's
//! KMS key and the retention; converged on every apply; deleted with its part.

use std::collections::HashMap;

use aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupError;
use aws_sdk_cloudwatchlogs::operation::delete_log_group::DeleteLogGroupError;
use aws_sdk_cloudwatchlogs::types::LogGroup;

use super::errors::{self, Service};
use super::part::{PartEnv, PartId};
use crate::engine::PartError;

/// CloudWatch Logs as the parts see its errors.
pub(crate) const LOGS: Service = Service {
    label: "CloudWatch Logs",
    transient_codes: &[
        "ThrottlingException",
        "ServiceUnavailableException",
        "OperationAbortedException",
    ],
};

/// The retention of `group`: `Some(None)` when it never expires, None when there is no
/// such group.
pub async fn read_log_retention(
    env: &PartEnv,
    part: &PartId,
    group: &str,
) -> Result<Option<Option<u32>>, PartError> {
    Ok(find_log_group(env, part, group)
        .await?
        .map(|g| g.retention_in_days().map(|d| d.max(0) as u32)))
}

/// Deletes `group`; a group already gone counts as deleted.
pub async fn delete_log_group(env: &PartEnv, part: &PartId, group: &str) -> Result<(), PartError> {
    let deleted = env
        .aws
        .logs()
        .delete_log_group()
        .log_group_name(group)
        .send()
        .await;
    errors::found(
        deleted,
        DeleteLogGroupError::is_resource_not_found_exception,
    )
    .map(|_| ())
    .map_err(|e| {
        LOGS.error(
            part.to_string(),
            format!("deleting log group `{group}`"),
            "DeleteLogGroup",
            &e,
        )
    })
}

/// The log group `group` (DescribeLogGroups by prefix, the exact name kept); None when absent.
pub async fn find_log_group(
    env: &PartEnv,
    part: &PartId,
    group: &str,
) -> Result<Option<LogGroup>, PartError> {
    let mut token = None;
    loop {
        let out = env
            .aws
            .logs()
            .describe_log_groups()
            .log_group_name_prefix(group)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                LOGS.error(
                    part.to_string(),
                    format!("reading log group `{group}`"),
                    "DescribeLogGroups",
                    &e,
                )
            })?;
        if let Some(g) = out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(group))
        {
            return Ok(Some(g.clone()));
        }
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return Ok(None),
        }
    }
}

/// The ARN the tagging calls take: without the `:*` DescribeLogGroups' `arn` ends with.
fn tagging_arn(g: &LogGroup) -> Option<String> {
    g.log_group_arn()
        .map(str::to_string)
        .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
}

/// Creates the log group when missing (with Mosia's tags and `kms_key`), adds Mosia's tags
/// to one that lacks them (EKS created it), encrypts it with `kms_key` (None: CloudWatch
/// Logs' own encryption) and sets its retention to `retention_days`. Returns the retention
/// it has then.
pub async fn ensure_log_group(
    env: &PartEnv,
    part: &PartId,
    group: &str,
    retention_days: u32,
    kms_key: Option<&str>,
) -> Result<u32, PartError> {
    let want_tags = env.tags_for(part.tag());
    let existing = match find_log_group(env, part, group).await? {
        Some(g) => Some(g),
        None => {
            create_log_group(env, part, group, &want_tags, kms_key).await?;
            None
        }
    };
    if let Some(g) = &existing {
        tag_log_group(env, part, group, g, &want_tags).await?;
        ensure_log_group_key(env, part, group, g.kms_key_id(), kms_key).await?;
    }
    let have = existing.as_ref().and_then(LogGroup::retention_in_days);
    if have != Some(retention_days as i32) {
        tracing::info!(part = %part, object = %group, from = ?have, to = retention_days, "setting the log group's retention");
        env.aws
            .logs()
            .put_retention_policy()
            .log_group_name(group)
            .retention_in_days(retention_days as i32)
            .send()
            .await
            .map_err(|e| {
                LOGS.error(
                    part.to_string(),
                    format!("setting the retention of log group `{group}`"),
                    "PutRetentionPolicy",
                    &e,
                )
            })?;
    }
    Ok(retention_days)
}

/// Encrypts the group's new log data with `want` (AssociateKmsKey), or with CloudWatch
/// Logs' own encryption again (DisassociateKmsKey) when the environment has no key.
async fn ensure_log_group_key(
    env: &PartEnv,
    part: &PartId,
    group: &str,
    have: Option<&str>,
    want: Option<&str>,
) -> Result<(), PartError> {
    let logs = env.aws.logs();
    let summary = format!("setting the KMS key of log group `{group}`");
    match (have, want) {
        (Some(h), Some(w)) if crate::aws::kms::same_key(h, w) => Ok(()),
        (None, None) => Ok(()),
        (_, Some(w)) => {
            tracing::info!(part = %part, object = %group, key = %w, "encrypting the log group with the environment's key");
            logs.associate_kms_key()
                .log_group_name(group)
                .kms_key_id(w)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| LOGS.error(part.to_string(), summary, "AssociateKmsKey", &e))
        }
        (Some(_), None) => {
            tracing::info!(part = %part, object = %group, "back to CloudWatch Logs' own encryption");
            logs.disassociate_kms_key()
                .log_group_name(group)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| LOGS.error(part.to_string(), summary, "DisassociateKmsKey", &e))
        }
    }
}

async fn create_log_group(
    env: &PartEnv,
    part: &PartId,
    group: &str,
    tags: &std::collections::BTreeMap<String, String>,
    kms_key: Option<&str>,
) -> Result<(), PartError> {
    tracing::info!(part = %part, object = %group, "creating the log group");
    match env
        .aws
        .logs()
        .create_log_group()
        .log_group_name(group)
        .set_kms_key_id(kms_key.map(str::to_string))
        .set_tags(Some(tags.clone().into_iter().collect::<HashMap<_, _>>()))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        // Created meanwhile (EKS, or an earlier run that stopped before the retention).
        Err(e)
            if e.as_service_error()
                .is_some_and(CreateLogGroupError::is_resource_already_exists_exception) =>
        {
            Ok(())
        }
        Err(e) => Err(LOGS.error(
            part.to_string(),
            format!("creating log group `{group}`"),
            "CreateLogGroup",
            &e,
        )),
    }
}

/// Adds the tags of `want` the group lacks; tags others put on it stay.
async fn tag_log_group(
    env: &PartEnv,
    part: &PartId,
    group: &str,
    g: &LogGroup,
    want: &std::collections::BTreeMap<String, String>,
) -> Result<(), PartError> {
    let Some(arn) = tagging_arn(g) else {
        return Ok(());
    };
    let logs = env.aws.logs();
    let have = logs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .map_err(|e| {
            LOGS.error(
                part.to_string(),
                format!("reading the tags of log group `{group}`"),
                "ListTagsForResource",
                &e,
            )
        })?
        .tags
        .unwrap_or_default();
    let missing: HashMap<String, String> = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    tracing::info!(part = %part, object = %group, keys = ?missing.keys().collect::<Vec<_>>(), "tagging the log group");
    logs.tag_resource()
        .resource_arn(&arn)
        .set_tags(Some(missing))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            LOGS.error(
                part.to_string(),
                format!("tagging log group `{group}`"),
                "TagResource",
                &e,
            )
        })
}
