//! The MSK part of an environment: one provisioned Kafka cluster `{env}-kafka`.
//!
//! - [`state`]: the cluster as MSK reports it ([`MskState`]) and as Mosia asks for it.
//! - [`cluster`]: finding the cluster by name (ListClustersV2 with the name as filter, then
//!   an exact match) or ARN ([`cluster::find_cluster`]), its statuses and waits, adoption of
//!   an owned cluster (a re-run after a crash; a cluster of that name that is not ours is
//!   refused), creation (CreateClusterV2: brokers in the first [`input::msk_az_count`]
//!   private subnets, `brokers_per_az` in each, the `msk` security group, EBS storage, client
//!   authentication and encryption in transit; in-cluster encryption always on), [`ensure`]
//!   and [`read`] (the cluster plus its bootstrap brokers).
//! - [`converge`]: in-place changes of an existing cluster, one operation at a time (MSK
//!   accepts one at a time, each against the cluster's `currentVersion`): broker type,
//!   storage (grow only), broker count (add only), authentication / encryption in transit,
//!   Kafka version (upgrade only), tags. What MSK cannot do in place is refused before
//!   anything changes (replacing the cluster loses its data, so Mosia does not do it alone).
//! - [`delete`]: deletes the cluster(s) of that name that are ours and waits until they are
//!   gone (NotFound counts as deleted).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::errors::Service;
use super::part::{PartEnv, PartId};

mod cluster;
mod converge;
mod delete;
pub mod input;
mod state;

pub use cluster::{ensure, read};
pub use delete::delete;
pub use input::{MskAuth, MskSpec, MskTransit};

/// MSK errors as part errors; the codes are throttling, internal errors and capacity.
pub(crate) const SERVICE: Service = Service {
    label: "MSK",
    transient_codes: &[
        "TooManyRequestsException",
        "ThrottlingException",
        "ServiceUnavailableException",
        "InternalServerErrorException",
        "InternalFailure",
    ],
};

/// The part's one name (`msk`), in errors, waits and ownership tags.
const PART: PartId = PartId::Msk;

/// The key of the brokers' security group in `NetworkState::security_group_ids`.
pub const SECURITY_GROUP_KEY: &str = "msk";

/// Upper bounds of the waits, whatever `env.deadline` says (MSK: create 15-35 minutes,
/// broker type or storage changes up to an hour on large clusters).
const CREATE_WAIT: Duration = Duration::from_secs(120 * 60);
const UPDATE_WAIT: Duration = Duration::from_secs(180 * 60);
const DELETE_WAIT: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, PartialEq)]
pub struct MskState {
    pub arn: String,
    pub name: String,
    pub kafka_version: String,
    pub broker_instance_type: String,
    pub number_of_broker_nodes: u32,
    /// EBS volume per broker.
    pub storage_gb: u32,
    /// The cluster's version for MSK's optimistic locking (changes with every operation).
    pub current_version: String,
    pub bootstrap_brokers: Option<String>,
    pub bootstrap_brokers_tls: Option<String>,
    pub bootstrap_brokers_iam: Option<String>,
    pub status: String,
    pub client_subnets: Vec<String>,
    pub security_groups: Vec<String>,
    /// Enabled client authentication methods: `iam`, `scram`, `tls`, `unauthenticated`.
    pub client_authentication: BTreeSet<String>,
    /// `TLS`, `TLS_PLAINTEXT` or `PLAINTEXT`.
    pub encryption_in_transit: String,
    /// All tags, ownership tags included.
    pub tags: BTreeMap<String, String>,
}

/// `{env}-kafka`.
pub fn cluster_name(env: &PartEnv) -> String {
    env.aws_name("kafka")
}
