//! The cache's slow and engine logs, delivered to CloudWatch Logs in JSON (ElastiCache User
//! Guide, "Log delivery"), into `/aws/elasticache/NAME-cache/slow-log` and `.../engine-log`,
//! created first with the retention and the environment's key. Set at creation; changed
//! with ModifyReplicationGroup (`Enabled` false removes a delivery).

use aws_sdk_elasticache::types::{
    CloudWatchLogsDestinationDetails, DestinationDetails, DestinationType,
    LogDeliveryConfigurationRequest, LogFormat, LogType, ReplicationGroup,
};

use super::replication_group::wait_replication_group_available;
use super::{replication_group_id, ElastiCacheSpec, MODIFY_TIMEOUT, PART, SERVICE};
use crate::aws::log_groups;
use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// The log types delivered, with their group suffix.
const LOG_TYPES: [(LogType, &str); 2] = [
    (LogType::SlowLog, "slow-log"),
    (LogType::EngineLog, "engine-log"),
];

/// `/aws/elasticache/NAME-cache/TYPE`.
pub fn log_group_names(env: &PartEnv) -> Vec<String> {
    LOG_TYPES
        .iter()
        .map(|(_, suffix)| group(env, suffix))
        .collect()
}

fn group(env: &PartEnv, suffix: &str) -> String {
    format!("/aws/elasticache/{}/{suffix}", replication_group_id(env))
}

/// The log groups, when log delivery is on (before the cache writes to them).
pub(super) async fn ensure_log_groups(
    env: &PartEnv,
    spec: &ElastiCacheSpec,
) -> Result<(), PartError> {
    let Some(days) = spec.log_retention_days else {
        return Ok(());
    };
    for name in log_group_names(env) {
        let key = spec.kms_key.arn.as_deref();
        log_groups::ensure_log_group(env, &PART, &name, days, key).await?;
    }
    Ok(())
}

fn request(
    env: &PartEnv,
    log_type: &LogType,
    suffix: &str,
    on: bool,
) -> LogDeliveryConfigurationRequest {
    let mut r = LogDeliveryConfigurationRequest::builder()
        .log_type(log_type.clone())
        .enabled(on);
    if on {
        let details = DestinationDetails::builder()
            .cloud_watch_logs_details(
                CloudWatchLogsDestinationDetails::builder()
                    .log_group(group(env, suffix))
                    .build(),
            )
            .build();
        r = r
            .destination_type(DestinationType::CloudWatchLogs)
            .destination_details(details)
            .log_format(LogFormat::Json);
    }
    r.build()
}

/// A new cache's log deliveries (None when off).
pub(super) fn on_create(
    env: &PartEnv,
    spec: &ElastiCacheSpec,
) -> Option<Vec<LogDeliveryConfigurationRequest>> {
    spec.log_retention_days.map(|_| {
        LOG_TYPES
            .iter()
            .map(|(t, suffix)| request(env, t, suffix, true))
            .collect()
    })
}

/// The log group each log type is delivered to now (None: not delivered).
fn delivered(rg: &ReplicationGroup, log_type: &LogType) -> Option<String> {
    rg.log_delivery_configurations()
        .iter()
        .filter(|c| c.log_type() == Some(log_type))
        .filter(|c| c.status().is_none_or(|s| s.as_str() != "disabling"))
        .find_map(|c| {
            c.destination_details()
                .and_then(|d| d.cloud_watch_logs_details())
                .and_then(|d| d.log_group())
                .map(str::to_string)
        })
}

/// The deliveries to change so that `rg` delivers as `spec` says.
pub(super) fn changes(
    env: &PartEnv,
    spec: &ElastiCacheSpec,
    rg: &ReplicationGroup,
) -> Vec<LogDeliveryConfigurationRequest> {
    let on = spec.log_retention_days.is_some();
    LOG_TYPES
        .iter()
        .filter(|(t, suffix)| {
            let want = on.then(|| group(env, suffix));
            delivered(rg, t) != want
        })
        .map(|(t, suffix)| request(env, t, suffix, on))
        .collect()
}

/// ModifyReplicationGroup when the deliveries differ; the group once available again
/// (None: nothing changed).
pub(super) async fn converge(
    env: &PartEnv,
    spec: &ElastiCacheSpec,
    rg: &ReplicationGroup,
) -> Result<Option<ReplicationGroup>, PartError> {
    let changes = changes(env, spec, rg);
    if changes.is_empty() {
        return Ok(None);
    }
    let id = replication_group_id(env);
    tracing::info!(part = %PART, object = %id, "changing the cache's log delivery");
    env.aws
        .elasticache()
        .modify_replication_group()
        .replication_group_id(&id)
        .apply_immediately(true)
        .set_log_delivery_configurations(Some(changes))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("changing the log delivery of replication group `{id}`"),
                "ModifyReplicationGroup",
                &e,
            )
        })?;
    let what = format!("replication group `{id}` to deliver its logs");
    wait_replication_group_available(env, what, "modifying", MODIFY_TIMEOUT, |_| true)
        .await
        .map(Some)
}

/// Deletes the log groups (after the cache).
pub async fn delete_log_groups(env: &PartEnv) -> Result<(), PartError> {
    for name in log_group_names(env) {
        log_groups::delete_log_group(env, &PART, &name).await?;
    }
    Ok(())
}
