//! The input of the ElastiCache part: what it must converge to, independent of how the configuration
//! spells it (the resource reads its configuration into this type).

use std::collections::BTreeMap;
use std::fmt;

str_enum!(
    /// ElastiCache engine.
    CacheEngine { Redis = "redis", Valkey = "valkey" }
);

str_enum!(
    /// How clients authenticate: IAM (RBAC users with IAM authentication in the cache's
    /// user group), an AUTH token kept in Secrets Manager, or not at all.
    CacheAuthentication { Iam = "iam", Token = "token", None = "none" }
);

str_enum!(
    /// What an RBAC user may run.
    CacheUserAccess { ReadOnly = "read_only", ReadWrite = "read_write" }
);

#[derive(Debug, Clone, PartialEq)]
pub struct ElastiCacheSpec {
    /// The KMS key of its data at rest (and of the secrets it creates).
    pub kms_key: crate::aws::kms::DataKey,
    pub engine: CacheEngine,
    /// None: ElastiCache's default version at create (or not known yet at plan).
    pub engine_version: Option<String>,
    pub node_type: String,
    pub replicas: u32,
    pub automatic_failover: bool,
    pub multi_az: bool,
    pub at_rest_encryption: bool,
    pub transit_encryption: bool,
    pub authentication: CacheAuthentication,
    /// Weekly maintenance window `ddd:hh24:mi-ddd:hh24:mi` (UTC); None: ElastiCache's choice.
    pub maintenance_window: Option<String>,
    /// The IAM-authenticated users, by workload name (authentication `iam` only).
    pub users: BTreeMap<String, CacheUserAccess>,
    /// Engine parameters in the environment's own parameter group (empty: ElastiCache's
    /// default group, until some are configured).
    pub parameters: BTreeMap<String, String>,
    /// False: a node type change or an upgrade within the parameter group's family waits
    /// for the maintenance window.
    pub apply_immediately: bool,
    /// Slow and engine logs to CloudWatch Logs, into groups with this retention; None: off.
    pub log_retention_days: Option<u32>,
    /// Days ElastiCache keeps its daily automatic snapshots (0: none).
    pub snapshot_retention_days: u32,
    /// Whether destroy deletes the group without a final snapshot.
    pub skip_final_snapshot: bool,
}
