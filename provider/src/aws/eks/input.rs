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
    /// Who may use the Kubernetes API: `accessConfig.authenticationMode`.
    pub authentication_mode: AuthenticationMode,
    /// `bootstrapClusterCreatorAdminPermissions` at create (EKS cannot change it later).
    pub creator_admin: bool,
    /// Set to allow `creator_admin` without a `cluster-admin` access entry in production.
    pub creator_admin_acknowledged: bool,
    /// The upgrade policy: what happens at the end of standard support.
    pub support_type: SupportType,
    /// Envelope encryption of Kubernetes secrets with a KMS key.
    pub secrets_encryption: bool,
    /// The user's key for secrets encryption; None: the environment's own key (`alias/NAME-eks`).
    pub kms_key_arn: Option<String>,
    /// Retention of the control plane log group `/aws/eks/NAME-eks/cluster`.
    pub log_retention_days: u32,
    /// Access entries by their configuration name.
    pub access_entries: BTreeMap<String, AccessEntrySpec>,
    /// EKS-managed add-ons by add-on name (the `addons` list with the `addon` overrides).
    pub addons: BTreeMap<String, AddonSpec>,
    pub node_groups: BTreeMap<String, NodeGroupSpec>,
}

impl Default for EksSpec {
    /// The tier-independent defaults (dev's where a tier decides), with the default add-ons:
    /// a base for tests that set what they check.
    fn default() -> Self {
        EksSpec {
            version: None,
            endpoint_public_access: true,
            endpoint_private_access: true,
            public_endpoint_acknowledged: false,
            public_access_cidrs: vec![],
            enabled_log_types: BTreeSet::new(),
            authentication_mode: AuthenticationMode::ApiAndConfigMap,
            creator_admin: true,
            creator_admin_acknowledged: false,
            support_type: SupportType::Extended,
            secrets_encryption: false,
            kms_key_arn: None,
            log_retention_days: 7,
            access_entries: BTreeMap::new(),
            addons: DEFAULT_ADDONS
                .iter()
                .map(|a| (a.to_string(), AddonSpec::default()))
                .collect(),
            node_groups: BTreeMap::new(),
        }
    }
}

str_enum!(
    /// `accessConfig.authenticationMode`: EKS moves it only towards `API`.
    AuthenticationMode {
        ConfigMap = "CONFIG_MAP",
        ApiAndConfigMap = "API_AND_CONFIG_MAP",
        Api = "API",
    }
);

impl AuthenticationMode {
    /// The modes a user may configure (`CONFIG_MAP` is only ever read from AWS).
    pub const CONFIGURABLE: &'static [&'static str] = &["API", "API_AND_CONFIG_MAP"];

    /// True when EKS can move a cluster from `self` to `to` in place (only towards `API`).
    pub fn can_move_to(self, to: AuthenticationMode) -> bool {
        to >= self
    }
}

str_enum!(
    /// `upgradePolicy.supportType`: at the end of standard support, EKS upgrades a
    /// `STANDARD` cluster; an `EXTENDED` one stays, billed at the extended-support rate.
    SupportType { Standard = "STANDARD", Extended = "EXTENDED" }
);

str_enum!(
    /// The EKS access policy an access entry is associated with, by its short name.
    AccessPolicy {
        ClusterAdmin = "cluster-admin",
        Admin = "admin",
        Edit = "edit",
        View = "view",
    }
);

impl AccessPolicy {
    /// The access policy's ARN.
    pub fn arn(self) -> &'static str {
        match self {
            AccessPolicy::ClusterAdmin => {
                "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
            }
            AccessPolicy::Admin => "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy",
            AccessPolicy::Edit => "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
            AccessPolicy::View => "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
        }
    }

    /// The short name of a policy ARN, None for another policy.
    pub fn from_arn(arn: &str) -> Option<AccessPolicy> {
        AccessPolicy::NAMES
            .iter()
            .filter_map(|n| AccessPolicy::parse(n))
            .find(|p| p.arn() == arn)
    }
}

/// One `access_entry`: an IAM principal and the access policy it gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntrySpec {
    pub principal_arn: String,
    pub policy: AccessPolicy,
    /// Empty: the policy applies cluster-wide; else only in these namespaces.
    pub namespaces: BTreeSet<String>,
}

/// One EKS-managed add-on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddonSpec {
    /// A pinned version (`v1.19.0-eksbuild.1`); None: the newest version compatible with the
    /// cluster's Kubernetes version (`"latest"` in configuration).
    pub version: Option<String>,
    /// `configurationValues`, JSON.
    pub configuration: Option<String>,
}

/// The add-ons every cluster gets unless `addons` says otherwise.
pub const DEFAULT_ADDONS: &[&str] = &[
    "vpc-cni",
    "kube-proxy",
    "coredns",
    "eks-pod-identity-agent",
    "aws-ebs-csi-driver",
];

/// Add-ons that run without nodes of their own (daemon sets and the network): created before
/// any node group, so nodes join with a working network. Every other add-on (coredns, the
/// EBS CSI driver, ...) needs nodes to schedule its pods and is created after the node groups.
pub const ADDONS_BEFORE_NODES: &[&str] = &["vpc-cni", "kube-proxy", "eks-pod-identity-agent"];

/// True when `addon` is created before the node groups (see [`ADDONS_BEFORE_NODES`]).
pub fn addon_before_nodes(addon: &str) -> bool {
    ADDONS_BEFORE_NODES.contains(&addon)
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
    /// Configured, or derived from the instance types' architecture ([`ami_type`]) when
    /// reading the configuration; None only for types of two architectures (refused).
    pub ami_type: Option<AmiType>,
    /// Kubernetes taints on the group's nodes, changed in place.
    pub taints: Vec<Taint>,
    /// How many nodes an update may take down at once.
    pub max_unavailable: MaxUnavailable,
    /// Who owns `desired_size` after create.
    pub scaling: Scaling,
}

impl Default for NodeGroupSpec {
    /// One small on-demand x86 node (dev's defaults): a base for tests.
    fn default() -> Self {
        NodeGroupSpec {
            instance_types: vec!["t3.medium".to_string()],
            min_size: 1,
            max_size: 2,
            desired_size: 1,
            capacity_type: CapacityType::OnDemand,
            disk_size_gb: 20,
            labels: BTreeMap::new(),
            ami_type: None,
            taints: vec![],
            max_unavailable: MaxUnavailable::default(),
            scaling: Scaling::Managed,
        }
    }
}

str_enum!(
    /// Who owns a node group's `desired_size`: `managed`, Mosia enforces it on every apply;
    /// `external`, it is set at create and then belongs to an autoscaler.
    Scaling { Managed = "managed", External = "external" }
);

str_enum!(
    /// A Kubernetes taint's effect, as EKS spells it.
    TaintEffect {
        NoSchedule = "NO_SCHEDULE",
        NoExecute = "NO_EXECUTE",
        PreferNoSchedule = "PREFER_NO_SCHEDULE",
    }
);

/// One Kubernetes taint on a node group's nodes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Taint {
    pub key: String,
    pub value: Option<String>,
    pub effect: TaintEffect,
}

/// A node group's `updateConfig`: nodes an update may take down at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxUnavailable {
    Count(u32),
    Percentage(u32),
}

impl Default for MaxUnavailable {
    /// EKS's default.
    fn default() -> Self {
        MaxUnavailable::Count(1)
    }
}

str_enum!(
    /// The EKS-optimized AMI a managed node group runs, by CPU architecture.
    AmiType {
        Al2023X86 = "AL2023_x86_64_STANDARD",
        Al2023Arm = "AL2023_ARM_64_STANDARD",
        Al2023X86Nvidia = "AL2023_x86_64_NVIDIA",
        Al2023X86Neuron = "AL2023_x86_64_NEURON",
        Al2023ArmNvidia = "AL2023_ARM_64_NVIDIA",
        BottlerocketX86 = "BOTTLEROCKET_x86_64",
        BottlerocketArm = "BOTTLEROCKET_ARM_64",
        BottlerocketX86Nvidia = "BOTTLEROCKET_x86_64_NVIDIA",
        BottlerocketArmNvidia = "BOTTLEROCKET_ARM_64_NVIDIA",
    }
);

impl AmiType {
    /// True for an arm64 (Graviton) AMI.
    pub fn is_arm(self) -> bool {
        self.as_str().contains("ARM_64")
    }
}

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
