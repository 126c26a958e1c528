//! What the monitoring parts converge to: where alerts go and which alarms exist.

/// Where the environment's alerts are published.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AlertTopic {
    /// No topic: nothing publishes alerts.
    #[default]
    None,
    /// The environment's own topic `NAME-alerts` ([`crate::aws::part::PartId::AlertTopic`]).
    Own,
    /// The user's topic (`monitoring.sns_topic_arn`): Mosia publishes to it, never changes it.
    Given(String),
}

/// The thresholds of the alarm set, one per alarm kind (the docs table names each).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Thresholds {
    pub rds_cpu_percent: f64,
    /// Free storage below this share of the allocated storage.
    pub rds_free_storage_percent: f64,
    /// Freeable memory below this share of the instance class's memory.
    pub rds_freeable_memory_percent: f64,
    /// Connections above this share of `max_connections`.
    pub rds_connections_percent: f64,
    pub rds_replica_lag_seconds: f64,
    pub elasticache_engine_cpu_percent: f64,
    pub elasticache_memory_percent: f64,
    /// Keys evicted in 5 minutes.
    pub elasticache_evictions: f64,
    pub elasticache_replication_lag_seconds: f64,
    /// Data log disk used per broker.
    pub msk_disk_used_percent: f64,
    pub msk_offline_partitions: f64,
    pub msk_under_replicated_partitions: f64,
    /// Port allocation errors in 5 minutes.
    pub nat_port_allocation_errors: f64,
    /// Packets dropped in 5 minutes.
    pub nat_packets_dropped: f64,
}

/// The `monitoring` block, with tier defaults applied.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MonitoringSpec {
    /// Email addresses subscribed to the own topic (each confirms by email).
    pub alert_emails: Vec<String>,
    pub topic: AlertTopic,
    /// The per-part alarm set.
    pub alarms: bool,
    pub thresholds: Thresholds,
    /// The `budget` block, when present.
    pub budget: Option<BudgetConfig>,
    /// RDS Performance Insights.
    pub database_insights: bool,
    /// RDS enhanced monitoring (production, with insights).
    pub enhanced_monitoring: bool,
    /// Retention of the log groups logs are exported to; None: no log exports.
    pub log_retention_days: Option<u32>,
}

/// The `budget` block.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BudgetConfig {
    /// The configured limit; None: the estimate × 1.25, rounded up.
    pub monthly_limit_usd: Option<f64>,
    pub alert_at_percent: Vec<f64>,
    pub forecast_alert: bool,
}

impl MonitoringSpec {
    /// The user's topic, when alerts go there.
    pub fn given_topic(&self) -> Option<&str> {
        match &self.topic {
            AlertTopic::Given(arn) => Some(arn),
            _ => None,
        }
    }

    /// True when Mosia creates the environment's topic.
    pub fn own_topic(&self) -> bool {
        self.topic == AlertTopic::Own
    }
}
