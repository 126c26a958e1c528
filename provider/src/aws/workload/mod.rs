//! Workload identities ([`PartId::Workload`], `workload.NAME`): for each `workload` block, an
//! IAM role `ENV-wl-NAME` trusted by EKS Pod Identity (with a pod identity association for
//! its namespace and service account) or by the cluster's OIDC provider (IRSA), and an
//! inline policy generated from the environment's own ARNs, granting what the block asks
//! and nothing else. [`PartId::Workloads`] removes the objects of workloads no longer
//! configured.
//!
//! [`PartId::Workload`]: crate::aws::part::PartId::Workload
//! [`PartId::Workloads`]: crate::aws::part::PartId::Workloads

pub mod input;

pub use input::{CacheAccess, Identity, KafkaAccess, MskAccessSpec, RdsAccess, WorkloadSpec};

use std::collections::BTreeMap;

use super::part::PartEnv;
use crate::engine::PartError;

/// A workload's objects as they are in AWS.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkloadState {
    pub role_name: String,
    pub role_arn: String,
    pub namespace: String,
    pub service_account: String,
    /// `pod_identity` or `irsa`.
    pub identity: String,
    /// The pod identity association (`pod_identity` only).
    pub association_id: Option<String>,
    /// The environment variables of the application (no secret values).
    pub connection: BTreeMap<String, String>,
}

/// Deletes every workload object of the environment (destroy).
pub async fn delete_all(env: &PartEnv) -> Result<(), PartError> {
    // SKELETON: replaced by the workloads branch.
    let _ = env;
    Ok(())
}
