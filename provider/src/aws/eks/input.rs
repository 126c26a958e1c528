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

str_enum!(
    /// The EKS-optimized AMI a managed node group runs, by CPU architecture.
    AmiType { Al2023X86 = "AL2023_x86_64_STANDARD", Al2023Arm = "AL2023_ARM_64_STANDARD" }
);

/// True for an AWS Graviton (arm64) instance type: its family has a `g` among the letters
/// after the generation (`t4g`, `m7g`, `c7gn`, `r6gd`, `im4gn`, `is4gen`, `g5g`, `hpc7g`),
/// or is `a1`. Every other family (`m6i`, `t3`, `g4dn`, `m7i-flex`) is x86_64.
pub fn is_graviton(instance_type: &str) -> bool {
    let family = instance_type.split('.').next().unwrap_or_default();
    let attributes = family
        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
        .trim_start_matches(|c: char| c.is_ascii_digit());
    family == "a1" || attributes.contains('g')
}

/// The AMI type for a node group of these instance types (EKS refuses an instance type of
/// another architecture than its AMI type's); an error naming both kinds when they mix.
pub fn ami_type(instance_types: &[String]) -> Result<AmiType, String> {
    let (arm, x86): (Vec<&String>, Vec<&String>) =
        instance_types.iter().partition(|t| is_graviton(t));
    match (arm.first(), x86.first()) {
        (Some(a), Some(x)) => Err(format!(
            "instance types of two architectures in one node group: {a} is arm64 (Graviton) \
             and {x} is x86_64; a node group runs one AMI, put them in separate node groups"
        )),
        (Some(_), None) => Ok(AmiType::Al2023Arm),
        _ => Ok(AmiType::Al2023X86),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graviton_families_are_arm64() {
        for t in [
            "t4g.medium",
            "m6g.large",
            "m7g.xlarge",
            "c7gn.large",
            "r6gd.large",
            "x2gd.large",
            "im4gn.large",
            "is4gen.large",
            "g5g.xlarge",
            "hpc7g.4xlarge",
            "a1.large",
            "m8g.large",
        ] {
            assert!(is_graviton(t), "{t}");
        }
        for t in [
            "m6i.large",
            "t3.medium",
            "t3a.small",
            "g4dn.xlarge",
            "m7i-flex.large",
            "c5.large",
            "p4d.24xlarge",
            "r7a.large",
            "inf2.xlarge",
        ] {
            assert!(!is_graviton(t), "{t}");
        }
    }

    #[test]
    fn the_ami_type_follows_the_architecture_and_refuses_a_mix() {
        let types = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(ami_type(&types(&["m6i.large"])), Ok(AmiType::Al2023X86));
        assert_eq!(
            ami_type(&types(&["t4g.medium", "m7g.large"])),
            Ok(AmiType::Al2023Arm)
        );
        let mixed = ami_type(&types(&["m6i.large", "m7g.large"])).unwrap_err();
        assert!(mixed.contains("m7g.large is arm64"), "{mixed}");
    }
}
