//! The network's VPC endpoints ([`PartId::NetworkEndpoints`], `network.endpoints`).
//!
//! [`PartId::NetworkEndpoints`]: crate::aws::part::PartId::NetworkEndpoints

use std::collections::BTreeMap;

use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// The endpoints as they are in AWS.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EndpointsState {
    /// Service (`s3`, `ecr.api`, ...) → endpoint ID.
    pub endpoint_ids: BTreeMap<String, String>,
    /// The group of the interface endpoints (admits the VPC on 443).
    pub security_group_id: Option<String>,
}

/// Deletes the environment's endpoints and their group.
pub async fn delete_endpoints(env: &PartEnv) -> Result<(), PartError> {
    // SKELETON: replaced by the network branch.
    let _ = env;
    Ok(())
}
