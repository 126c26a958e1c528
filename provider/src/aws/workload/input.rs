//! The input of a workload part: one application identity and what it may reach,
//! independent of how the configuration spells it (the resource reads its `workload` blocks
//! into this type).

use std::fmt;

str_enum!(
    /// How pods assume the workload's role.
    Identity { PodIdentity = "pod_identity", Irsa = "irsa" }
);

str_enum!(
    /// What a workload may do with the environment's database.
    RdsAccess { None = "none", ReadSecret = "read_secret", ReadWrite = "read_write" }
);

str_enum!(
    /// What a workload may do with the environment's cache.
    CacheAccess { None = "none", ReadOnly = "read_only", ReadWrite = "read_write" }
);

str_enum!(
    /// What a workload may do with its Kafka topics.
    KafkaAccess { Read = "read", Write = "write", ReadWrite = "read_write" }
);

/// A workload's Kafka permissions: topic and consumer-group name patterns within the
/// environment's cluster (`*` matches any run of characters, as in MSK's IAM resources).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MskAccessSpec {
    pub topics: Vec<String>,
    pub groups: Vec<String>,
    pub access: KafkaAccess,
}

/// One `workload "NAME"` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadSpec {
    pub namespace: String,
    /// Default: the workload's name.
    pub service_account: String,
    pub identity: Identity,
    pub rds: RdsAccess,
    pub elasticache: CacheAccess,
    /// None: no Kafka access.
    pub msk: Option<MskAccessSpec>,
    /// Extra secrets it may read (`secretsmanager:GetSecretValue`).
    pub secrets_manager_arns: Vec<String>,
    /// Buckets whose objects it may read and write.
    pub s3_buckets: Vec<String>,
    /// Managed policies attached as they are (the escape hatch).
    pub policy_arns: Vec<String>,
}

impl WorkloadSpec {
    /// A workload with no access at all, for tests and as a starting point.
    pub fn new(namespace: &str, service_account: &str) -> WorkloadSpec {
        WorkloadSpec {
            namespace: namespace.to_string(),
            service_account: service_account.to_string(),
            identity: Identity::PodIdentity,
            rds: RdsAccess::None,
            elasticache: CacheAccess::None,
            msk: None,
            secrets_manager_arns: vec![],
            s3_buckets: vec![],
            policy_arns: vec![],
        }
    }
}
