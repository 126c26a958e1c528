//! What the brokers tell about themselves: broker logs to CloudWatch Logs (the group
//! `/aws/msk/NAME-kafka/broker`, created first with the retention and the environment's
//! key), the CloudWatch metrics level (`PER_TOPIC_PER_BROKER` or `DEFAULT`) and open
//! monitoring (Prometheus JMX and node exporters on the brokers, for in-cluster scraping).
//! Set at creation; changed in place by UpdateMonitoring.

use aws_sdk_kafka::types::{
    BrokerLogs, CloudWatchLogs, Cluster, EnhancedMonitoring, JmxExporterInfo, LoggingInfo,
    NodeExporterInfo, OpenMonitoringInfo, PrometheusInfo,
};

use super::cluster::wait_cluster_active;
use super::{cluster_name, MskSpec, PART, SERVICE, UPDATE_WAIT};
use crate::aws::log_groups;
use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// `/aws/msk/NAME-kafka/broker`.
pub fn log_group_name(env: &PartEnv) -> String {
    format!("/aws/msk/{}/broker", cluster_name(env))
}

fn level(spec: &MskSpec) -> EnhancedMonitoring {
    if spec.per_topic_metrics {
        EnhancedMonitoring::PerTopicPerBroker
    } else {
        EnhancedMonitoring::Default
    }
}

fn open_monitoring(spec: &MskSpec) -> OpenMonitoringInfo {
    let on = spec.open_monitoring;
    let prometheus = PrometheusInfo::builder()
        .jmx_exporter(JmxExporterInfo::builder().enabled_in_broker(on).build())
        .node_exporter(NodeExporterInfo::builder().enabled_in_broker(on).build())
        .build();
    OpenMonitoringInfo::builder().prometheus(prometheus).build()
}

fn logging(env: &PartEnv, spec: &MskSpec) -> LoggingInfo {
    let on = spec.broker_logs_retention_days.is_some();
    let mut cw = CloudWatchLogs::builder().enabled(on);
    if on {
        cw = cw.log_group(log_group_name(env));
    }
    LoggingInfo::builder()
        .broker_logs(BrokerLogs::builder().cloud_watch_logs(cw.build()).build())
        .build()
}

/// The broker log group, when broker logs are on (before the cluster writes to it).
pub(super) async fn ensure_log_group(env: &PartEnv, spec: &MskSpec) -> Result<(), PartError> {
    if let Some(days) = spec.broker_logs_retention_days {
        let key = spec.kms_key.arn.as_deref();
        log_groups::ensure_log_group(env, &PART, &log_group_name(env), days, key).await?;
    }
    Ok(())
}

/// A new cluster's monitoring and logging.
pub(super) fn on_create(
    env: &PartEnv,
    spec: &MskSpec,
    req: aws_sdk_kafka::types::builders::ProvisionedRequestBuilder,
) -> aws_sdk_kafka::types::builders::ProvisionedRequestBuilder {
    req.enhanced_monitoring(level(spec))
        .open_monitoring(open_monitoring(spec))
        .logging_info(logging(env, spec))
}

/// (level, JMX exporter, node exporter, broker log group) as the cluster has them.
fn observed(c: &Cluster) -> (EnhancedMonitoring, bool, bool, Option<String>) {
    let p = c.provisioned();
    let prometheus = p
        .and_then(|p| p.open_monitoring())
        .and_then(|o| o.prometheus());
    let jmx = prometheus
        .and_then(|p| p.jmx_exporter())
        .is_some_and(|j| j.enabled_in_broker().unwrap_or(false));
    let node = prometheus
        .and_then(|p| p.node_exporter())
        .is_some_and(|n| n.enabled_in_broker().unwrap_or(false));
    let logs = p
        .and_then(|p| p.logging_info())
        .and_then(|l| l.broker_logs())
        .and_then(|b| b.cloud_watch_logs())
        .filter(|c| c.enabled().unwrap_or(false))
        .and_then(|c| c.log_group().map(str::to_string));
    let level = p
        .and_then(|p| p.enhanced_monitoring())
        .cloned()
        .unwrap_or(EnhancedMonitoring::Default);
    (level, jmx, node, logs)
}

/// Whether the cluster's monitoring or logging differs from `spec`.
pub(super) fn differs(env: &PartEnv, spec: &MskSpec, c: &Cluster) -> bool {
    let want_logs = spec.broker_logs_retention_days.map(|_| log_group_name(env));
    let want = (
        level(spec),
        spec.open_monitoring,
        spec.open_monitoring,
        want_logs,
    );
    observed(c) != want
}

/// UpdateMonitoring when the cluster's monitoring differs; waits until it is ACTIVE again.
pub(super) async fn converge_monitoring(
    env: &PartEnv,
    spec: &MskSpec,
    cluster: Cluster,
) -> Result<Cluster, PartError> {
    if !differs(env, spec, &cluster) {
        return Ok(cluster);
    }
    let name = cluster_name(env);
    let arn = cluster.cluster_arn().unwrap_or_default().to_string();
    let what = format!("updating the monitoring and broker logs of MSK cluster `{name}`");
    tracing::info!(part = %PART, object = %name, "updating MSK monitoring");
    let out = env
        .aws
        .kafka()
        .update_monitoring()
        .cluster_arn(&arn)
        .current_version(cluster.current_version().unwrap_or_default())
        .enhanced_monitoring(level(spec))
        .open_monitoring(open_monitoring(spec))
        .logging_info(logging(env, spec))
        .send()
        .await
        .map_err(|e| SERVICE.error(&PART, what.clone(), "UpdateMonitoring", &e))?;
    if let Some(op) = out.cluster_operation_arn() {
        super::converge::wait_operation(env, op, &what).await?;
    }
    wait_cluster_active(env, &name, &arn, UPDATE_WAIT).await
}

/// Deletes the broker log group (after the cluster).
pub async fn delete_log_group(env: &PartEnv) -> Result<(), PartError> {
    log_groups::delete_log_group(env, &PART, &log_group_name(env)).await
}
