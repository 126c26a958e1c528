//! The EKS part of an environment: the cluster `{env}-eks` ([`PartId::EksCluster`]) and
//! its managed node groups `{env}-{name}` ([`PartId::NodeGroup`]).
//!
//! - [`cluster`]: find, statuses and waits of the cluster; [`ensure_cluster`] adopts the
//!   cluster of that name when its ownership tags say it is this environment's (a re-run
//!   after a crash), creates it when missing, refuses one that is not ours, then converges
//!   it in place ([`cluster_update`]: tags, subnets and security groups, endpoint access,
//!   log types; one EKS update at a time). The Kubernetes version ([`upgrade`]) goes up one
//!   minor at a time, the node groups following the control plane between the steps; a
//!   cluster newer than configured (EKS upgrades clusters on its own at the end of
//!   support) is kept; another major version is refused before anything is changed.
//!   [`read_cluster`], [`delete_cluster`] (node groups first, then what the cluster created
//!   by itself in the VPC and its log group: [`leftovers`]).
//! - [`node_group`]: the same for node groups. Scaling, labels, taints and the update
//!   config change in place ([`node_group_update`]; with external scaling the desired size
//!   belongs to an autoscaler after create); a node group older than its cluster is
//!   upgraded to the cluster's version. Instance types, capacity type, disk size and AMI
//!   type cannot change in place: [`ensure_node_group`] then creates a new group beside the
//!   old one, waits until it is ACTIVE and deletes the old one
//!   ([`NodeGroupOutcome::Replaced`]; names and finding: [`node_group_find`]).
//!
//! - [`access`]: the cluster's access entries and their access policies
//!   ([`ensure_access_entries`], [`read_access_entries`]; [`access_ensure`]).
//! - [`addons`]: EKS-managed add-ons ([`PartId::EksAddon`]), their versions
//!   ([`addon_versions`]), their moves during upgrades ([`addon_upgrade`]) and the removal of
//!   those no longer configured ([`addons_cleanup`], in the cluster part).
//!
//! The IRSA OIDC provider is created by [`super::iam::ensure_oidc_provider`] from
//! [`EksClusterState::oidc_issuer`].

use std::collections::{BTreeMap, HashMap};

use super::errors::Service;
use super::part::{PartEnv, PartId};

pub mod access;
mod access_ensure;
mod addon_upgrade;
pub mod addon_versions;
pub mod addons;
mod addons_change;
mod addons_cleanup;
mod addons_tests;
pub mod cluster;
pub mod cluster_update;
pub mod input;
mod kubeconfig;
pub mod leftovers;
mod log_group;
pub mod node_group;
mod node_group_create;
pub mod node_group_delete;
pub mod node_group_find;
pub mod node_group_update;
mod upgrade;

pub use access::{read_access_entries, AccessEntryState, AccessState, ACCESS_ENTRY_TAG};
pub use access_ensure::ensure_access_entries;
pub use addons::{discover_addons, ensure_addon, read_addon, AddonHealth, AddonState};
pub use addons_cleanup::ensure_cluster_with_addons;
pub use cluster::{delete_cluster, ensure_cluster, read_cluster, EksClusterState};
pub use input::{
    addon_before_nodes, ami_type, is_graviton, AccessEntrySpec, AccessPolicy, AddonSpec, AmiType,
    AuthenticationMode, CapacityType, EksSpec, MaxUnavailable, NodeGroupSpec, Scaling, SupportType,
    Taint, TaintEffect, DEFAULT_ADDONS,
};
pub use kubeconfig::{cluster_outputs, kubeconfig};
pub use log_group::{log_group_name, read_log_retention};
pub use node_group::{
    discover_node_groups, ensure_node_group, node_group_replace_reasons, read_node_group,
    NodeGroupOutcome, NodeGroupState,
};
pub use node_group_delete::delete_node_group;
pub use node_group_find::{NODE_GROUP_TAG, SCALING_TAG};

/// EKS as the parts see its errors; the codes that may pass by themselves (throttling,
/// internal errors, capacity).
pub(crate) const SERVICE: Service = Service {
    label: "EKS",
    transient_codes: &[
        "ThrottlingException",
        "TooManyRequestsException",
        "ServerException",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalServerError",
        "InsufficientCapacityException",
    ],
};

/// How long CreateCluster and CreateNodegroup keep retrying while a role created (or given
/// its policies) moments ago is not visible to EKS yet: IAM is eventually consistent
/// (terraform-provider-aws's `propagationTimeout`, 2 minutes).
pub(crate) const IAM_PROPAGATION_WAIT: std::time::Duration = std::time::Duration::from_secs(2 * 60);

/// What EKS says in an `InvalidParameterException` while such a role propagates: the
/// messages terraform-provider-aws retries CreateCluster on (`internal/service/eks/cluster.go`),
/// and the node role's trust message for CreateNodegroup.
const IAM_PROPAGATION_MESSAGES: &[&str] = &[
    "does not exist",
    "Error in role params",
    "Role could not be assumed because the trusted entity is not correct",
    "The provided role doesn't have the Amazon EKS Managed Policies associated with it",
    "IAM role's policy must include",
    // CreateNodegroup, while the node role is not visible to EKS yet (it answers as for a
    // role that does not trust ec2.amazonaws.com; Mosia's node role does).
    "were not found in the trust relationships of nodeRole",
];

/// True when the message of an `InvalidParameterException` (None: another error) says a
/// role has not propagated yet; anything else fails at once.
pub(crate) fn iam_propagating(invalid_parameter_message: Option<&str>) -> bool {
    invalid_parameter_message
        .is_some_and(|m| IAM_PROPAGATION_MESSAGES.iter().any(|p| m.contains(p)))
}

/// The `mosia:part` tag value of the cluster, its node groups and OIDC provider.
pub(crate) const PART: &str = PartId::EksCluster.tag();
/// The key of the cluster's security group in `NetworkState::security_group_ids`.
pub const SECURITY_GROUP_KEY: &str = "eks";
/// Every control plane log type EKS knows.
pub const LOG_TYPES: &[&str] = &[
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];
/// What EKS allows when `public_access_cidrs` is left empty.
pub const ANY_IPV4: &str = "0.0.0.0/0";

/// `{env}-eks`.
pub fn cluster_name(env: &PartEnv) -> String {
    env.aws_name("eks")
}

/// `{env}-{name}`.
pub fn node_group_name(env: &PartEnv, name: &str) -> String {
    env.aws_name(name)
}

fn tag_map(tags: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Makes the tags of the EKS object `arn` equal to `want` (TagResource / UntagResource).
async fn sync_tags(
    env: &PartEnv,
    part: &str,
    what: &str,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<(), crate::engine::PartError> {
    let eks = env.aws.eks();
    super::tags::sync(
        env,
        part,
        what,
        have,
        want,
        |set| async move {
            eks.tag_resource()
                .resource_arn(arn)
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| SERVICE.error(part, format!("tagging {what}"), "TagResource", &e))
        },
        |keys| async move {
            eks.untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| SERVICE.error(part, format!("untagging {what}"), "UntagResource", &e))
        },
    )
    .await
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Mocked EKS answers shared by the cluster and node group tests.

    use std::collections::HashMap;

    use aws_sdk_eks::types::{
        AccessConfigResponse, Cluster, ClusterStatus, Nodegroup, NodegroupScalingConfig,
        NodegroupStatus, UpgradePolicyResponse, VpcConfigResponse,
    };

    use crate::aws::network::NetworkState;
    use crate::aws::part::PartEnv;
    use crate::aws::{testing, AwsContext};

    use super::super::iam::IamState;
    use super::*;

    /// The test environment over an EKS client answering from `rules`, and CloudWatch Logs
    /// answering that the cluster's log group exists, tagged, with [`spec`]'s retention (and
    /// taking the environment's key when one is given).
    pub fn env(rules: &[&aws_smithy_mocks::Rule]) -> PartEnv {
        use aws_sdk_cloudwatchlogs::operation::associate_kms_key::AssociateKmsKeyOutput;
        let (describe, tags) = log_group_in_place();
        let associate = aws_smithy_mocks::mock!(aws_sdk_cloudwatchlogs::Client::associate_kms_key)
            .then_output(|| AssociateKmsKeyOutput::builder().build());
        testing::env(
            AwsContext::offline()
                .with_eks(crate::mock_client!(aws_sdk_eks, rules: rules))
                .with_logs(crate::mock_client!(
                    aws_sdk_cloudwatchlogs,
                    [&describe, &tags, &associate]
                )),
        )
    }

    fn log_group_in_place() -> (aws_smithy_mocks::Rule, aws_smithy_mocks::Rule) {
        use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
        use aws_sdk_cloudwatchlogs::operation::list_tags_for_resource::ListTagsForResourceOutput;
        use aws_sdk_cloudwatchlogs::types::LogGroup;
        let describe = aws_smithy_mocks::mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
            .then_output(|| {
                let g = LogGroup::builder()
                    .log_group_name("/aws/eks/mosia-test-eks/cluster")
                    .log_group_arn(
                        "arn:aws:logs:us-east-1:1:log-group:/aws/eks/mosia-test-eks/cluster",
                    )
                    .retention_in_days(spec().log_retention_days as i32)
                    .build();
                DescribeLogGroupsOutput::builder().log_groups(g).build()
            });
        let tags = aws_smithy_mocks::mock!(aws_sdk_cloudwatchlogs::Client::list_tags_for_resource)
            .then_output(|| {
                ListTagsForResourceOutput::builder()
                    .set_tags(Some(owned_tags()))
                    .build()
            });
        (describe, tags)
    }

    /// The ownership tags of the test environment's EKS objects (plus `team=platform`).
    pub fn owned_tags() -> HashMap<String, String> {
        testing::env(AwsContext::offline())
            .tags_for(PART)
            .into_iter()
            .collect()
    }

    pub fn net() -> NetworkState {
        testing::network(2, &[(SECURITY_GROUP_KEY, "sg-eks")])
    }

    pub fn iam() -> IamState {
        IamState {
            cluster_role_arn: "arn:aws:iam::123456789012:role/mosia-test-eks-cluster".into(),
            node_role_arn: "arn:aws:iam::123456789012:role/mosia-test-eks-node".into(),
            cluster_role_policies: vec![],
            node_role_policies: vec![],
            ..Default::default()
        }
    }

    pub fn spec() -> EksSpec {
        EksSpec {
            version: Some("1.31".into()),
            endpoint_public_access: true,
            endpoint_private_access: true,
            public_endpoint_acknowledged: true,
            public_access_cidrs: vec![],
            enabled_log_types: ["api".to_string(), "audit".to_string()].into(),
            ..Default::default()
        }
    }

    /// An ACTIVE cluster matching [`spec`] and [`net`], with `tags`.
    pub fn cluster(status: ClusterStatus, tags: HashMap<String, String>) -> Cluster {
        Cluster::builder()
            .name("mosia-test-eks")
            .arn("arn:aws:eks:us-east-1:123456789012:cluster/mosia-test-eks")
            .version("1.31")
            .status(status)
            .endpoint("https://ABC.eks.amazonaws.com")
            .resources_vpc_config(
                VpcConfigResponse::builder()
                    .subnet_ids("subnet-a")
                    .subnet_ids("subnet-b")
                    .security_group_ids("sg-eks")
                    .endpoint_public_access(true)
                    .endpoint_private_access(true)
                    .public_access_cidrs(ANY_IPV4)
                    .build(),
            )
            .logging(cluster_update::logging(&spec().enabled_log_types))
            .access_config(
                AccessConfigResponse::builder()
                    .authentication_mode(aws_sdk_eks::types::AuthenticationMode::ApiAndConfigMap)
                    .bootstrap_cluster_creator_admin_permissions(true)
                    .build(),
            )
            .upgrade_policy(
                UpgradePolicyResponse::builder()
                    .support_type(aws_sdk_eks::types::SupportType::Extended)
                    .build(),
            )
            .set_tags(Some(tags))
            .build()
    }

    pub fn node_group_spec() -> NodeGroupSpec {
        NodeGroupSpec {
            instance_types: vec!["m6i.large".into()],
            min_size: 1,
            max_size: 3,
            desired_size: 2,
            capacity_type: CapacityType::OnDemand,
            disk_size_gb: 20,
            labels: Default::default(),
            ..Default::default()
        }
    }

    /// A ListNodegroups answering `names` (one page).
    pub fn listing(names: &[&str]) -> aws_smithy_mocks::Rule {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        aws_smithy_mocks::mock!(aws_sdk_eks::Client::list_nodegroups).then_output(move || {
            aws_sdk_eks::operation::list_nodegroups::ListNodegroupsOutput::builder()
                .set_nodegroups(Some(names.clone()))
                .build()
        })
    }

    /// Node group `mosia-test-general` matching [`node_group_spec`], at version 1.31.
    pub fn node_group(status: NodegroupStatus) -> Nodegroup {
        Nodegroup::builder()
            .nodegroup_name("mosia-test-general")
            .cluster_name("mosia-test-eks")
            .nodegroup_arn(
                "arn:aws:eks:us-east-1:123456789012:nodegroup/mosia-test-eks/mosia-test-general/x",
            )
            .version("1.31")
            .status(status)
            .instance_types("m6i.large")
            .capacity_type(aws_sdk_eks::types::CapacityTypes::OnDemand)
            .disk_size(20)
            .scaling_config(
                NodegroupScalingConfig::builder()
                    .min_size(1)
                    .max_size(3)
                    .desired_size(2)
                    .build(),
            )
            .ami_type(aws_sdk_eks::types::AmiTypes::Al2023X8664Standard)
            .update_config(
                aws_sdk_eks::types::NodegroupUpdateConfig::builder()
                    .max_unavailable(1)
                    .build(),
            )
            .set_tags(Some(node_group_tags()))
            .build()
    }

    /// The tags of the test environment's node group `general`.
    pub fn node_group_tags() -> HashMap<String, String> {
        let mut tags = owned_tags();
        tags.insert(NODE_GROUP_TAG.into(), "general".into());
        tags
    }
}
