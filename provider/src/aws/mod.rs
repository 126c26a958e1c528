//! AWS plumbing shared by the resources: SDK configuration from the provider block,
//! tags, SDK errors as diagnostics, and one module per AWS component.

pub mod config;
pub mod eks;
pub mod elasticache;
pub mod errors;
pub mod iam;
pub mod lock_table;
pub mod msk;
pub mod network;
pub mod part;
pub mod rds;
pub mod state_bucket;
pub mod tags;

pub use config::AwsContext;

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
