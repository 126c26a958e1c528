//! What backups cost: AWS Backup's recovery points of the database (and their copies in
//! another Region) and ElastiCache's automatic snapshots beyond the free one. Sizes are
//! assumptions, stated with each price.

use std::collections::BTreeMap;

use super::super::spec::{ElastiCacheSpec, EnvironmentSpec};

/// AWS Backup warm storage of RDS snapshots, per GB-month; the estimate assumes one full
/// copy of the allocated storage (the daily backups after it are incremental).
pub const BACKUP_STORAGE_GB_MONTH: f64 = 0.095;
/// Data transfer between Regions, per GB: the estimate assumes one full copy a month.
pub const CROSS_REGION_TRANSFER_GB: f64 = 0.02;
/// ElastiCache backup storage, per GB-month, beyond one free snapshot per cluster.
pub const CACHE_SNAPSHOT_GB_MONTH: f64 = 0.085;

/// Memory of an ElastiCache node type in GiB (the general purpose `m` and burstable `t`
/// sizes; memory-optimized `r` nodes have about twice that): the assumed snapshot size.
pub fn cache_node_memory_gib(node_type: &str) -> f64 {
    let mut parts = node_type.trim_start_matches("cache.").splitn(2, '.');
    let family = parts.next().unwrap_or_default();
    let base = match parts.next().unwrap_or_default() {
        "micro" => 0.5,
        "small" => 1.37,
        "medium" => 3.09,
        "large" => 6.38,
        "xlarge" => 12.93,
        s => s
            .strip_suffix("xlarge")
            .and_then(|n| n.parse::<f64>().ok())
            .map_or(6.38, |n| n * 12.93),
    };
    match family.starts_with('r') {
        true => base * 2.05,
        false => base,
    }
}

/// The automatic snapshots kept beyond the free one, each the size of the node's memory.
fn cache_snapshots_monthly(cache: &ElastiCacheSpec) -> f64 {
    let kept_beyond_free = cache.snapshot_retention_days.saturating_sub(1);
    f64::from(kept_beyond_free) * cache_node_memory_gib(&cache.node_type) * CACHE_SNAPSHOT_GB_MONTH
}

/// Adds `backup`, `backup.copy` and `elasticache.snapshots` to `parts` where they cost.
pub fn add_backup_parts(spec: &EnvironmentSpec, parts: &mut BTreeMap<String, f64>) {
    if let (true, Some(rds)) = (super::super::graph::has_backup(spec), &spec.rds) {
        let gb = f64::from(rds.allocated_storage_gb);
        parts.insert("backup".to_string(), gb * BACKUP_STORAGE_GB_MONTH);
        if spec.backup.copy_to_region.is_some() {
            let copy = gb * (BACKUP_STORAGE_GB_MONTH + CROSS_REGION_TRANSFER_GB);
            parts.insert("backup.copy".to_string(), copy);
        }
    }
    if let Some(cache) = &spec.elasticache {
        let snapshots = cache_snapshots_monthly(cache);
        if snapshots > 0.0 {
            parts.insert("elasticache.snapshots".to_string(), snapshots);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_memory_follows_the_size_and_doubles_for_memory_optimized_nodes() {
        assert_eq!(cache_node_memory_gib("cache.t4g.small"), 1.37);
        assert_eq!(cache_node_memory_gib("cache.m7g.large"), 6.38);
        assert!((cache_node_memory_gib("cache.r7g.large") - 13.079).abs() < 0.01);
        assert!((cache_node_memory_gib("cache.m7g.4xlarge") - 51.72).abs() < 0.01);
    }
}
