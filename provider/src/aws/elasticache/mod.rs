//! The ElastiCache part of an environment: a cache subnet group `{env}-cache` over the
//! private subnets and a replication group `{env}-cache` (Redis OSS or Valkey, cluster mode
//! disabled: one shard, a primary and `replicas` read replicas).
//!
//! - Every object carries the environment's ownership tags (part `elasticache`); an object
//!   found by its deterministic name is adopted only when its tags say it is ours.
//! - [`subnet_group`]: find, create or adopt (subnets and tags converge), delete.
//! - [`replication_group`]: find, statuses and waits, create, [`ensure`], [`read`] (one
//!   `DescribeReplicationGroups` plus one `DescribeCacheClusters` for the primary member,
//!   where the engine version and security groups live).
//! - [`update`]: in place, node type, automatic failover, Multi-AZ, engine version
//!   (upgrades; Redis OSS to Valkey), security group with `ModifyReplicationGroup`
//!   (ApplyImmediately), the replica count with `IncreaseReplicaCount` /
//!   `DecreaseReplicaCount`. Encryption settings cannot change in place: the group is
//!   replaced and `ensure` says so in the state's `warnings` ([`replacement_reasons`]).
//! - [`delete`]: the replication group (waited out), then the subnet group; NotFound counts
//!   as deleted, objects that are not ours are left alone.
//! - Authentication: [`users`] (IAM: RBAC user group and users) and [`auth_token`] (an AUTH
//!   token kept in a Secrets Manager secret).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_elasticache::types::Tag;

use super::errors::Service;
use super::part::{PartEnv, PartId};
use super::tags;
use crate::engine::PartError;

pub mod auth_token;
mod delete;
pub mod input;
pub mod log_delivery;
pub mod parameter_group;
mod replication_group;
mod subnet_group;
mod update;
mod users;

pub use delete::{delete, final_snapshot};
pub use input::{CacheAuthentication, CacheEngine, CacheUserAccess, ElastiCacheSpec};
pub use replication_group::{ensure, read, replacement_reasons};
pub use users::{access_string, user_group_id, workload_user_id, CacheUser};

/// ElastiCache errors as part errors; the codes are throttling, internal errors, capacity
/// and a group busy with another change.
pub(crate) const SERVICE: Service = Service {
    label: "ElastiCache",
    transient_codes: &[
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalFailure",
        "ServiceUnavailable",
        "InsufficientCacheClusterCapacity",
        "InvalidReplicationGroupState",
        // A parameter group still seen in use just after its cache is gone
        // (terraform-provider-aws retries its delete on it too).
        "InvalidCacheParameterGroupState",
    ],
};

/// The part's one name (`elasticache`), in errors, waits and ownership tags.
const PART: PartId = PartId::ElastiCache;

/// The security group of the network that the cache nodes join.
pub const SECURITY_GROUP_KEY: &str = "elasticache";
/// ElastiCache allows at most 5 replicas per shard.
pub const MAX_REPLICAS: u32 = 5;
/// Replication group identifiers are at most 40 characters.
const MAX_ID_LEN: usize = 40;

const CREATE_TIMEOUT: Duration = Duration::from_secs(90 * 60);
const MODIFY_TIMEOUT: Duration = Duration::from_secs(90 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// The replication group as AWS reports it (plus what `ensure` could not do in place).
#[derive(Debug, Clone, PartialEq)]
pub struct ElastiCacheState {
    pub replication_group_id: String,
    pub arn: String,
    pub primary_endpoint: String,
    pub reader_endpoint: Option<String>,
    pub port: i32,
    pub engine_version: String,
    /// The node type, or the one pending for the maintenance window.
    pub node_type: String,
    /// The node type the nodes run now (the group's `CacheNodeType`).
    pub running_node_type: String,
    pub replicas: u32,
    pub automatic_failover: bool,
    pub multi_az: bool,
    pub status: String,
    pub engine: String,
    pub at_rest_encryption: bool,
    /// The customer-managed KMS key of the data at rest; None: the AWS-managed key.
    pub kms_key_arn: Option<String>,
    pub transit_encryption: bool,
    pub security_group_ids: Vec<String>,
    /// The user groups the cache uses (RBAC); empty without authentication.
    pub user_group_ids: Vec<String>,
    /// Each workload's IAM-authenticated user, by workload name.
    pub users: BTreeMap<String, CacheUser>,
    /// Whether clients must send an AUTH token (`AuthTokenEnabled`).
    pub auth_token_enabled: bool,
    /// The Secrets Manager secret holding the token (token authentication).
    pub auth_secret_arn: Option<String>,
    /// The primary member's `PreferredMaintenanceWindow` (empty when not read).
    pub maintenance_window: String,
    /// The primary member's parameter group; empty when not read.
    pub parameter_group: String,
    /// The parameters set in the environment's own group; None when the cache uses another
    /// (ElastiCache's default).
    pub parameters: Option<BTreeMap<String, String>>,
    /// Days ElastiCache keeps automatic snapshots (`SnapshotRetentionLimit`; 0: none).
    pub snapshot_retention_days: u32,
    /// What `ensure` could not change in place, and why (always empty from `read`).
    pub warnings: Vec<String>,
    /// Settings ElastiCache holds for the maintenance window (`node_type`,
    /// `engine_version`), by attribute: the primary member's PendingModifiedValues.
    /// `node_type` and `engine_version` above already show these values.
    pub pending: BTreeMap<String, String>,
}

impl ElastiCacheState {
    /// True when ElastiCache holds changes for the maintenance window.
    pub fn has_pending_changes(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// `{env}-cache` (replication group and subnet group).
pub fn replication_group_id(env: &PartEnv) -> String {
    env.aws_name("cache")
}

/// `{env}-cache`.
pub fn subnet_group_name(env: &PartEnv) -> String {
    env.aws_name("cache")
}

// ---------------------------------------------------------------------------------------------
// Tags of ElastiCache objects (subnet groups and replication groups alike, by ARN)

fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags of the object `arn` (ListTagsForResource).
async fn list_tags(env: &PartEnv, arn: &str) -> Result<BTreeMap<String, String>, PartError> {
    let out = env
        .aws
        .elasticache()
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("reading the tags of `{arn}`"),
                "ListTagsForResource",
                &e,
            )
        })?;
    Ok(tags::from_pairs(
        out.tag_list().iter().map(|t| (t.key(), t.value())),
    ))
}

/// Makes the tags of `arn` the environment's (user tags and ownership tags).
async fn sync_tags(
    env: &PartEnv,
    arn: &str,
    have: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let ec = env.aws.elasticache();
    tags::sync(
        env,
        &PART.to_string(),
        arn,
        have,
        &env.tags_for(PART.tag()),
        |set| async move {
            ec.add_tags_to_resource()
                .resource_name(arn)
                .set_tags(Some(sdk_tags(&set)))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    SERVICE.error(&PART, format!("tagging `{arn}`"), "AddTagsToResource", &e)
                })
        },
        |keys| async move {
            ec.remove_tags_from_resource()
                .resource_name(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    SERVICE.error(
                        &PART,
                        format!("untagging `{arn}`"),
                        "RemoveTagsFromResource",
                        &e,
                    )
                })
        },
    )
    .await
}

/// Fixtures shared by the unit tests of the ElastiCache files: the environment
/// `mosia-test`'s subnet group and replication group as ElastiCache would describe them.
#[cfg(test)]
mod tests {

    use aws_sdk_elasticache::operation::describe_cache_clusters::DescribeCacheClustersOutput;
    use aws_sdk_elasticache::operation::describe_cache_subnet_groups::{
        DescribeCacheSubnetGroupsError, DescribeCacheSubnetGroupsOutput,
    };
    use aws_sdk_elasticache::operation::describe_replication_groups::{
        DescribeReplicationGroupsError, DescribeReplicationGroupsOutput,
    };
    use aws_sdk_elasticache::operation::list_tags_for_resource::ListTagsForResourceOutput;
    use aws_sdk_elasticache::types::error::{
        CacheSubnetGroupNotFoundFault, ReplicationGroupNotFoundFault,
    };
    use aws_sdk_elasticache::types::{
        AutomaticFailoverStatus, CacheCluster, CacheSubnetGroup, Endpoint, MultiAzStatus,
        NodeGroup, NodeGroupMember, ReplicationGroup, SecurityGroupMembership, Subnet, Tag,
    };
    use aws_smithy_mocks::{mock, Rule};

    use super::*;
    use crate::aws::network::NetworkState;

    pub(crate) const GROUP_ARN: &str =
        "arn:aws:elasticache:us-east-1:111122223333:replicationgroup:mosia-test-cache";
    pub(crate) const SUBNETS_ARN: &str =
        "arn:aws:elasticache:us-east-1:111122223333:subnetgroup:mosia-test-cache";

    pub(crate) fn spec() -> ElastiCacheSpec {
        ElastiCacheSpec {
            kms_key: Default::default(),
            engine: CacheEngine::Redis,
            engine_version: Some("7.1".into()),
            node_type: "cache.t4g.small".into(),
            replicas: 1,
            automatic_failover: true,
            multi_az: true,
            at_rest_encryption: true,
            transit_encryption: true,
            authentication: CacheAuthentication::None,
            users: Default::default(),
            maintenance_window: None,
            parameters: Default::default(),
            apply_immediately: true,
            log_retention_days: None,
            snapshot_retention_days: 0,
            skip_final_snapshot: true,
        }
    }

    /// DescribeUserGroups: no user group (authentication `none`).
    pub(crate) fn user_group_missing() -> Rule {
        mock!(aws_sdk_elasticache::Client::describe_user_groups)
            .then_error(|| {
                aws_sdk_elasticache::operation::describe_user_groups::DescribeUserGroupsError::UserGroupNotFoundFault(
                    aws_sdk_elasticache::types::error::UserGroupNotFoundFault::builder().build(),
                )
            })
    }

    /// A Secrets Manager client that finds no AUTH token secret (caches without a token).
    pub(crate) fn no_auth_secret() -> aws_sdk_secretsmanager::Client {
        let missing = mock!(aws_sdk_secretsmanager::Client::describe_secret).then_error(|| {
            aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretError::ResourceNotFoundException(
                aws_sdk_secretsmanager::types::error::ResourceNotFoundException::builder().build(),
            )
        });
        crate::mock_client!(aws_sdk_secretsmanager, [&missing])
    }

    /// No parameter group of this environment (by name or listed).
    pub(crate) fn no_parameter_groups() -> Rule {
        mock!(aws_sdk_elasticache::Client::describe_cache_parameter_groups).then_output(|| {
            aws_sdk_elasticache::operation::describe_cache_parameter_groups::DescribeCacheParameterGroupsOutput::builder().build()
        })
    }

    /// DescribeUsers: none.
    pub(crate) fn no_users() -> Rule {
        mock!(aws_sdk_elasticache::Client::describe_users).then_output(|| {
            aws_sdk_elasticache::operation::describe_users::DescribeUsersOutput::builder().build()
        })
    }

    pub(crate) fn net() -> NetworkState {
        crate::aws::testing::network(2, &[("elasticache", "sg-cache")])
    }

    /// The replication group `mosia-test-cache` as [`spec`] makes it, with `replicas`
    /// replicas and failover / Multi-AZ as given.
    pub(crate) fn group(
        status: &str,
        replicas: usize,
        failover: bool,
        multi_az: bool,
    ) -> ReplicationGroup {
        let members = (0..=replicas).map(|i| {
            NodeGroupMember::builder()
                .cache_cluster_id(format!("mosia-test-cache-00{}", i + 1))
                .current_role(if i == 0 { "primary" } else { "replica" })
                .build()
        });
        let endpoint = |host: &str| Endpoint::builder().address(host).port(6379).build();
        ReplicationGroup::builder()
            .replication_group_id("mosia-test-cache")
            .arn(GROUP_ARN)
            .status(status)
            .engine("redis")
            .cache_node_type("cache.t4g.small")
            .at_rest_encryption_enabled(true)
            .transit_encryption_enabled(true)
            .automatic_failover(if failover {
                AutomaticFailoverStatus::Enabled
            } else {
                AutomaticFailoverStatus::Disabled
            })
            .multi_az(if multi_az {
                MultiAzStatus::Enabled
            } else {
                MultiAzStatus::Disabled
            })
            .node_groups(
                NodeGroup::builder()
                    .node_group_id("0001")
                    .set_node_group_members(Some(members.collect()))
                    .primary_endpoint(endpoint("primary.cache"))
                    .reader_endpoint(endpoint("reader.cache"))
                    .build(),
            )
            .build()
    }

    /// The tags of an object of environment `env`.
    pub(crate) fn tags_of(env: &str) -> Vec<Tag> {
        [
            ("team", "platform"),
            ("mosia:managed-by", "terraform-provider-mosia"),
            ("mosia:environment", env),
            ("mosia:part", "elasticache"),
        ]
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .to_vec()
    }

    /// ListTagsForResource of `arn` answering the tags of environment `env`.
    pub(crate) fn tagged(arn: &'static str, env: &'static str) -> Rule {
        mock!(aws_sdk_elasticache::Client::list_tags_for_resource)
            .match_requests(move |r| r.resource_name() == Some(arn))
            .then_output(move || {
                ListTagsForResourceOutput::builder()
                    .set_tag_list(Some(tags_of(env)))
                    .build()
            })
    }

    pub(crate) fn group_found(rg: ReplicationGroup) -> Rule {
        mock!(aws_sdk_elasticache::Client::describe_replication_groups)
            .match_requests(|r| r.replication_group_id() == Some("mosia-test-cache"))
            .then_output(move || {
                DescribeReplicationGroupsOutput::builder()
                    .replication_groups(rg.clone())
                    .build()
            })
    }

    pub(crate) fn group_missing() -> DescribeReplicationGroupsError {
        DescribeReplicationGroupsError::ReplicationGroupNotFoundFault(
            ReplicationGroupNotFoundFault::builder()
                .message("ReplicationGroup mosia-test-cache not found")
                .build(),
        )
    }

    /// DescribeCacheClusters of the primary: engine 7.1.0 in `sg-cache`.
    pub(crate) fn primary_member() -> Rule {
        mock!(aws_sdk_elasticache::Client::describe_cache_clusters)
            .match_requests(|r| r.cache_cluster_id() == Some("mosia-test-cache-001"))
            .then_output(|| {
                DescribeCacheClustersOutput::builder()
                    .cache_clusters(
                        CacheCluster::builder()
                            .cache_cluster_id("mosia-test-cache-001")
                            .engine("redis")
                            .engine_version("7.1.0")
                            .security_groups(
                                SecurityGroupMembership::builder()
                                    .security_group_id("sg-cache")
                                    .status("active")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            })
    }

    /// DescribeCacheSubnetGroups answering the subnet group over [`net`]'s subnets.
    pub(crate) fn subnet_group_found() -> Rule {
        mock!(aws_sdk_elasticache::Client::describe_cache_subnet_groups).then_output(|| {
            DescribeCacheSubnetGroupsOutput::builder()
                .cache_subnet_groups(
                    CacheSubnetGroup::builder()
                        .cache_subnet_group_name("mosia-test-cache")
                        .arn(SUBNETS_ARN)
                        .subnets(Subnet::builder().subnet_identifier("subnet-a").build())
                        .subnets(Subnet::builder().subnet_identifier("subnet-b").build())
                        .build(),
                )
                .build()
        })
    }

    pub(crate) fn subnet_group_missing() -> Rule {
        mock!(aws_sdk_elasticache::Client::describe_cache_subnet_groups).then_error(|| {
            DescribeCacheSubnetGroupsError::CacheSubnetGroupNotFoundFault(
                CacheSubnetGroupNotFoundFault::builder().build(),
            )
        })
    }
}
