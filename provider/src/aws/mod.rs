//! The AWS layer: SDK configuration from the provider block, and one folder per AWS
//! component of an environment, each with the same pieces (`find_*`, statuses, `wait_*`,
//! `ensure`, `read`, `delete`; see ARCHITECTURE.md). Shared once: [`errors`] (SDK error →
//! part error), [`part`] (names, ownership), [`tags`], [`version`], [`wait`].
//! Nothing here knows the resource's schema or the plugin protocol.

pub mod backup;
pub mod config;
pub mod eks;
pub mod elasticache;
pub mod errors;
pub mod iam;
pub mod kms;
pub mod lock_table;
pub mod log_groups;
pub mod monitoring;
pub mod msk;
pub mod network;
pub mod part;
pub mod rds;
pub mod secrets;
pub mod state_bucket;
pub mod tags;
#[cfg(test)]
pub mod testing;
pub mod version;
pub mod wait;
pub mod workload;

pub use config::AwsContext;

/// Seconds since the Unix epoch (0 before it): what final snapshot names end with.
pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The ARN partition of a region (`aws`, `aws-cn`, `aws-us-gov`).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}
