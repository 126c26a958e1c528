//! The `monitoring` block read into a [`MonitoringSpec`]: where alerts go, whether the alarm
//! set exists, and every alarm threshold (the tier's default unless overridden by name).

use mosia_tfplugin::{Diagnostics, Reader};

use super::{Tier, TierDefaults};
use crate::aws::monitoring::{AlertTopic, BudgetConfig, MonitoringSpec, Thresholds};

/// One threshold: its name in `monitoring.thresholds`, its defaults (dev, staging,
/// production), what it measures, and where it goes in [`Thresholds`].
pub struct ThresholdDefault {
    pub name: &'static str,
    pub defaults: [f64; 3],
    pub unit: &'static str,
    set: fn(&mut Thresholds, f64),
}

macro_rules! thresholds {
    ($($name:ident: [$dev:expr, $staging:expr, $production:expr], $unit:literal;)+) => {
        /// Every threshold with its tier defaults.
        pub const THRESHOLDS: &[ThresholdDefault] = &[$(ThresholdDefault {
            name: stringify!($name),
            defaults: [$dev, $staging, $production],
            unit: $unit,
            set: |t, v| t.$name = v,
        }),+];
    };
}

thresholds! {
    rds_cpu_percent: [90.0, 80.0, 75.0], "% CPU";
    rds_free_storage_percent: [10.0, 10.0, 15.0], "% of allocated storage free";
    rds_freeable_memory_percent: [5.0, 10.0, 10.0], "% of the class's memory freeable";
    rds_connections_percent: [90.0, 80.0, 80.0], "% of max_connections";
    rds_replica_lag_seconds: [600.0, 300.0, 60.0], "seconds";
    elasticache_engine_cpu_percent: [90.0, 80.0, 75.0], "% engine CPU";
    elasticache_memory_percent: [90.0, 80.0, 75.0], "% memory used";
    elasticache_evictions: [1000.0, 100.0, 100.0], "keys in 5 minutes";
    elasticache_replication_lag_seconds: [60.0, 30.0, 10.0], "seconds";
    msk_disk_used_percent: [90.0, 85.0, 75.0], "% data log disk used";
    msk_offline_partitions: [0.0, 0.0, 0.0], "partitions";
    msk_under_replicated_partitions: [0.0, 0.0, 0.0], "partitions";
    nat_port_allocation_errors: [0.0, 0.0, 0.0], "errors in 5 minutes";
    nat_packets_dropped: [1000.0, 100.0, 100.0], "packets in 5 minutes";
}

/// Threshold names, for validation messages.
pub fn threshold_names() -> Vec<&'static str> {
    THRESHOLDS.iter().map(|t| t.name).collect()
}

fn tier_index(tier: Tier) -> usize {
    match tier {
        Tier::Dev => 0,
        Tier::Staging => 1,
        Tier::Production => 2,
    }
}

/// The tier's thresholds with the configured overrides (names not in [`THRESHOLDS`] are
/// refused by the schema's validation, and ignored here).
fn thresholds(block: Option<&Reader>, tier: Tier) -> Thresholds {
    let mut out = Thresholds::default();
    let configured = block.and_then(|b| b.value().get("thresholds").entries().cloned());
    for t in THRESHOLDS {
        let given = configured
            .as_ref()
            .and_then(|m| m.get(t.name))
            .and_then(|v| v.as_number())
            .and_then(|n| n.to_f64());
        (t.set)(&mut out, given.unwrap_or(t.defaults[tier_index(tier)]));
    }
    out
}

/// Reads the `monitoring` block (absent: the tier's defaults).
pub(super) fn monitoring(
    root: &Reader,
    tier: Tier,
    t: &TierDefaults,
    d: &mut Diagnostics,
) -> MonitoringSpec {
    let block = d.take(root.block("monitoring"));
    let b = block.as_ref();
    let alert_emails = b
        .and_then(|b| d.take(b.string_list("alert_emails")))
        .unwrap_or_default();
    let given = b.and_then(|b| d.take(b.opt_string("sns_topic_arn")));
    let alarms = b
        .and_then(|b| d.take(b.opt_bool("alarms")))
        .unwrap_or(t.monitoring_alarms);
    let database_insights = b
        .and_then(|b| d.take(b.opt_bool("database_insights")))
        .unwrap_or(t.monitoring_database_insights);
    let log_exports = b
        .and_then(|b| d.take(b.opt_bool("log_exports")))
        .unwrap_or(t.monitoring_log_exports);
    let log_retention_days = b
        .and_then(|b| d.take(b.opt_u32("log_retention_days")))
        .unwrap_or(t.monitoring_log_retention_days);
    let budget = budget(root, d);
    let topic = match given {
        Some(arn) => AlertTopic::Given(arn),
        None if alarms || !alert_emails.is_empty() || budget.is_some() => AlertTopic::Own,
        None => AlertTopic::None,
    };
    MonitoringSpec {
        alert_emails,
        topic,
        alarms,
        thresholds: thresholds(b, tier),
        budget,
        database_insights,
        enhanced_monitoring: database_insights && tier == Tier::Production,
        log_retention_days: log_exports.then_some(log_retention_days),
    }
}

/// Hands the parts what the `monitoring` block asks of them: insights, enhanced monitoring
/// and log exports of the database.
pub(super) fn apply_to_parts(spec: &mut super::EnvironmentSpec) {
    let m = spec.monitoring.clone();
    if let Some(r) = spec.rds.as_mut() {
        r.insights = m.database_insights;
        r.enhanced_monitoring = m.enhanced_monitoring;
        r.log_exports_retention_days = m.log_retention_days;
    }
    if let Some(c) = spec.elasticache.as_mut() {
        c.log_retention_days = m.log_retention_days;
        c.snapshot_retention_days = spec.backup.cache_snapshot_retention_days;
    }
    let production = spec.tier == Tier::Production;
    if let Some(k) = spec.msk.as_mut() {
        k.broker_logs_retention_days = m.log_retention_days;
        k.per_topic_metrics = production;
        k.open_monitoring = m.log_retention_days.is_some();
    }
}

/// Days the AWS Backup plan keeps recovery points unless `backup.retention_days` says.
pub const DEFAULT_BACKUP_RETENTION_DAYS: u32 = 35;

/// The `backup` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupConfig {
    /// An AWS Backup plan for the database.
    pub plan: bool,
    pub retention_days: u32,
    /// The Region recovery points are also copied to (a vault `NAME` there); None: no copy.
    pub copy_to_region: Option<String>,
    /// Days ElastiCache keeps its automatic snapshots (0: none).
    pub cache_snapshot_retention_days: u32,
}

/// Reads the `backup` block (absent: the tier's defaults).
pub(super) fn backup(root: &Reader, t: &TierDefaults, d: &mut Diagnostics) -> BackupConfig {
    let b = d.take(root.block("backup"));
    let b = b.as_ref();
    BackupConfig {
        plan: b
            .and_then(|b| d.take(b.opt_bool("plan")))
            .unwrap_or(t.backup_plan),
        retention_days: b
            .and_then(|b| d.take(b.opt_u32("retention_days")))
            .unwrap_or(DEFAULT_BACKUP_RETENTION_DAYS),
        copy_to_region: b.and_then(|b| d.take(b.opt_string("copy_to_region"))),
        cache_snapshot_retention_days: b
            .and_then(|b| d.take(b.opt_u32("cache_snapshot_retention_days")))
            .unwrap_or(t.cache_snapshot_retention_days),
    }
}

/// Default actual-spend thresholds of the budget, in percent.
pub const DEFAULT_ALERT_AT_PERCENT: [f64; 2] = [80.0, 100.0];

/// Reads the `budget` block (absent: no budget). A planned value carries the limit the plan
/// chose; a configuration may leave it out (then it follows the estimate).
fn budget(root: &Reader, d: &mut Diagnostics) -> Option<BudgetConfig> {
    let b = d.take(root.block("budget"))?;
    let percents = b.value().get("alert_at_percent");
    let alert_at_percent = match percents.is_null() {
        true => DEFAULT_ALERT_AT_PERCENT.to_vec(),
        false => percents
            .elements()
            .iter()
            .filter_map(|v| v.as_number().and_then(|n| n.to_f64()))
            .collect(),
    };
    let limit = b.value().get("monthly_limit_usd");
    Some(BudgetConfig {
        monthly_limit_usd: limit.as_number().and_then(|n| n.to_f64()),
        alert_at_percent,
        forecast_alert: d.take(b.opt_bool("forecast_alert")).unwrap_or(true),
    })
}
