//! The tier defaults table rendered from the code (kept equal to the documented
//! [`super::TIER_DEFAULTS_TABLE`] by a test), and the cells attribute descriptions use.

use super::{Tier, TierDefaults};

/// One row of the tier defaults table: the setting, and its cell for a tier.
type Cell = fn(&TierDefaults) -> String;

/// The tier defaults table rendered from the code (see [`super::TIER_DEFAULTS_TABLE`]).
pub fn tier_defaults_table() -> String {
    let code = |s: &str| format!("`{s}`");
    let mut out = String::from("| setting | dev | staging | production |\n|---|---|---|---|\n");
    for (setting, cell) in platform_rows().into_iter().chain(data_service_rows()) {
        let cells: Vec<String> = Tier::ALL.iter().map(|t| cell(t.defaults())).collect();
        out.push_str(&format!("| {} | {} |\n", code(setting), cells.join(" | ")));
    }
    out
}

/// Network and EKS rows.
fn platform_rows() -> Vec<(&'static str, Cell)> {
    vec![
        ("customer_managed_key", |t| {
            format!("`{}`", t.customer_managed_key)
        }),
        ("monitoring.alarms", |t| {
            format!("`{}`", t.monitoring_alarms)
        }),
        ("monitoring.database_insights", |t| {
            format!("`{}`", t.monitoring_database_insights)
        }),
        ("monitoring.log_exports", |t| {
            format!("`{}`", t.monitoring_log_exports)
        }),
        ("monitoring.log_retention_days", |t| {
            t.monitoring_log_retention_days.to_string()
        }),
        ("backup.plan", |t| format!("`{}`", t.backup_plan)),
        ("backup.cache_snapshot_retention_days", |t| {
            t.cache_snapshot_retention_days.to_string()
        }),
        ("network.az_count", |t| t.az_count.to_string()),
        ("network.nat_gateway", |t| format!("`{}`", t.nat_gateway)),
        ("network.vpc_endpoints", |t| {
            let names: Vec<String> = t.vpc_endpoints.iter().map(|e| format!("`{e}`")).collect();
            names.join(", ")
        }),
        ("eks.endpoint_public_access", |t| {
            format!("`{}`", t.eks_endpoint_public_access)
        }),
        ("eks.enabled_log_types", |t| match t.eks_enabled_log_types {
            [] => "none".to_string(),
            types => types
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", "),
        }),
        ("eks.authentication_mode", |t| {
            format!("`{}`", t.eks_authentication_mode)
        }),
        ("eks.secrets_encryption", |t| {
            format!("`{}`", t.eks_secrets_encryption)
        }),
        ("eks.log_retention_days", |t| {
            t.eks_log_retention_days.to_string()
        }),
        ("eks.node_group.instance_types", |t| {
            format!("`{}`", t.node_instance_type)
        }),
        ("eks.node_group.min_size", |t| t.node_min_size.to_string()),
        ("eks.node_group.max_size", |t| {
            format!("{} (at least `min_size`)", t.node_max_size)
        }),
        ("eks.node_group.desired_size", |_| "`min_size`".to_string()),
    ]
}

/// RDS, ElastiCache and MSK rows.
fn data_service_rows() -> Vec<(&'static str, Cell)> {
    vec![
        ("rds.instance_class", |t| {
            format!("`{}`", t.rds_instance_class)
        }),
        ("rds.allocated_storage_gb", |t| {
            t.rds_allocated_storage_gb.to_string()
        }),
        ("rds.multi_az", |t| format!("`{}`", t.rds_multi_az)),
        ("rds.backup_retention_days", |t| {
            t.rds_backup_retention_days.to_string()
        }),
        ("rds.deletion_protection", |t| {
            format!("`{}`", t.rds_deletion_protection)
        }),
        ("rds.skip_final_snapshot", |t| {
            format!("`{}`", t.rds_skip_final_snapshot)
        }),
        ("rds.maintenance_window", |t| {
            window_cell(t.rds_maintenance_window, "RDS")
        }),
        ("rds.backup_window", |t| {
            window_cell(t.rds_backup_window, "RDS")
        }),
        ("rds.apply_immediately", |t| {
            format!("`{}`", t.apply_immediately)
        }),
        ("rds.major_upgrade", |t| {
            format!("`{}`", t.rds_major_upgrade)
        }),
        ("rds.old_instance_retention_hours", |t| {
            t.rds_old_instance_retention_hours.to_string()
        }),
        ("elasticache.node_type", |t| {
            format!("`{}`", t.cache_node_type)
        }),
        ("elasticache.replicas", |t| t.cache_replicas.to_string()),
        ("elasticache.automatic_failover", |_| {
            "`replicas >= 1`".to_string()
        }),
        ("elasticache.multi_az", |_| {
            "`automatic_failover`".to_string()
        }),
        ("elasticache.maintenance_window", |t| {
            window_cell(t.cache_maintenance_window, "ElastiCache")
        }),
        ("elasticache.apply_immediately", |t| {
            format!("`{}`", t.apply_immediately)
        }),
        ("elasticache.skip_final_snapshot", |t| {
            format!("`{}`", t.rds_skip_final_snapshot)
        }),
        ("msk.broker_instance_type", |t| {
            format!("`{}`", t.msk_broker_instance_type)
        }),
        ("msk.brokers_per_az", |t| {
            // MSK always spans at least 2 AZs, so 1 per AZ already gives 2 brokers.
            if t.msk_min_brokers <= 2 {
                "1".to_string()
            } else {
                let n = t.msk_min_brokers;
                format!("enough for {n} brokers: ⌈{n} ÷ MSK AZs⌉")
            }
        }),
        ("msk.storage_gb", |t| t.msk_storage_gb.to_string()),
        ("msk.configuration", |t| {
            properties_cell(t.msk_server_properties)
        }),
    ]
}

/// "Default by tier: dev `a`, staging `b`, production `c`." for attribute descriptions.
pub fn tier_default_note(cell: impl Fn(&TierDefaults) -> String) -> String {
    let parts: Vec<String> = Tier::ALL
        .iter()
        .map(|t| format!("{t} {}", cell(t.defaults())))
        .collect();
    format!("Default by tier: {}.", parts.join(", "))
}
/// A tier's broker properties in the tier table and the docs.
pub fn properties_cell(props: &[(&str, &str)]) -> String {
    props
        .iter()
        .map(|(k, v)| format!("`{k}={v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A tier's window in the tier table: the window, or the choice of `service` (RDS,
/// ElastiCache).
pub fn window_cell(w: Option<&str>, service: &str) -> String {
    w.map(|w| format!("`{w}`"))
        .unwrap_or_else(|| format!("chosen by {service}"))
}
