//! The input of the EKS parts (cluster and node groups): what it must converge to, independent of how the configuration
//! spells it (the resource reads its configuration into this type).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

str_enum!(
    /// EKS managed node group capacity.
    CapacityType { OnDemand = "ON_DEMAND", Spot = "SPOT" }
);

#[derive(Debug, Clone, PartialEq)]
pub struct EksSpec {
    /// None: EKS's default version at create (or not known yet at plan).
    pub version: Option<String>,
    pub endpoint_public_access: bool,
    pub endpoint_private_access: bool,
    pub public_endpoint_acknowledged: bool,
    pub public_access_cidrs: Vec<String>,
    pub enabled_log_types: BTreeSet<String>,
    pub node_groups: BTreeMap<String, NodeGroupSpec>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NodeGroupSpec {
    /// In order of preference: on-demand capacity comes from the first type.
    pub instance_types: Vec<String>,
    pub min_size: u32,
    pub max_size: u32,
    pub desired_size: u32,
    pub capacity_type: CapacityType,
    pub disk_size_gb: u32,
    pub labels: BTreeMap<String, String>,
}
