//! What every AWS part of an environment shares: the clients, the environment's name (the
//! prefix of every AWS name), ownership tags, cancellation and the deadline.
//!
//! [`PartId`] is a part's one name: the key of the graph and of `part_status`, the name in
//! errors and progress logs; its [`PartId::tag`] is the `mosia:part` ownership tag.
//!
//! Each part module (`network`, `iam`, `eks`, `rds`, `elasticache`, `msk`) offers the same
//! three operations:
//! - `ensure(&PartEnv, &Spec, ..deps) -> Result<State, PartError>`: converge AWS to the spec.
//!   Idempotent: finds its objects by ownership tags / deterministic names first, adopts
//!   them (crash recovery, resume after a failed apply), creates what is missing, modifies
//!   what differs where AWS allows, waits until ready. Create, update and resume are all
//!   `ensure`.
//! - `read(&PartEnv, ..) -> Result<Option<State>, PartError>`: what exists now (drift), with
//!   at most one describe per AWS object; None when the part is gone.
//! - `delete(&PartEnv, ..) -> Result<(), PartError>`: remove everything the part owns,
//!   found by tags/names; NotFound counts as deleted.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use mosia_tfplugin::Context;
use tokio::time::Instant;

use super::tags;
use super::AwsContext;
use crate::engine::PartError;

/// Tag naming the environment an object belongs to.
pub const ENVIRONMENT_TAG: &str = "mosia:environment";
/// Tag naming the part of the environment (network, eks, rds, ...).
pub const PART_TAG: &str = "mosia:part";

#[derive(Clone)]
pub struct PartEnv {
    pub aws: Arc<AwsContext>,
    /// The environment's `name`: prefix of every AWS name.
    pub name: String,
    /// The user's tags merged with the provider's default tags (`tags_all`).
    pub tags: BTreeMap<String, String>,
    /// The keys of the prior state's `tags_all` (empty on create and import): the tags
    /// Mosia wrote earlier, which [`tags::sync`] may remove; any other key not in `tags` belongs
    /// to another tool and is left alone.
    pub previous_tag_keys: BTreeSet<String>,
    /// Cancelled by StopProvider.
    pub ctx: Context,
    /// From the `timeouts` block.
    pub deadline: Option<Instant>,
}

impl PartEnv {
    /// `{name}-{suffix}`, e.g. `mosia-dev-db`.
    pub fn aws_name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.name)
    }

    /// Every tag an object of `part` carries: the user's plus ownership tags.
    pub fn tags_for(&self, part: &str) -> BTreeMap<String, String> {
        let mut t = self.tags.clone();
        t.insert(tags::MANAGED_BY_KEY.into(), tags::MANAGED_BY_VALUE.into());
        t.insert(ENVIRONMENT_TAG.into(), self.name.clone());
        t.insert(PART_TAG.into(), part.into());
        t
    }

    /// True when tags read from AWS say the object belongs to this environment's `part`.
    pub fn owns(&self, part: &str, tags: &BTreeMap<String, String>) -> bool {
        tags.get(ENVIRONMENT_TAG) == Some(&self.name)
            && tags.get(PART_TAG).map(String::as_str) == Some(part)
    }
}

/// One part of an environment. Its [`Display`](fmt::Display) is the key the graph,
/// `part_status`, errors and logs all use: `network`, `iam`, `kms`, `eks`, `eks.oidc`,
/// `eks.access`, `eks.addon.NAME`, `eks.node_group.NAME`, `rds`, `rds.replicas`,
/// `elasticache`, `msk`, `network.endpoints`, `network.cluster_ingress`, `workload.NAME`,
/// `workloads`, `network.flow_logs`, `monitoring.topic`, `monitoring.alarms`, `monitoring.budget`, `backup`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PartId {
    Network,
    Iam,
    /// The environment's own KMS key (when Mosia creates it): data at rest, secrets, logs,
    /// Kubernetes secrets.
    Kms,
    EksCluster,
    EksOidc,
    /// The cluster's access entries and their access policies.
    EksAccess,
    /// One EKS-managed add-on, by add-on name.
    EksAddon(String),
    NodeGroup(String),
    RdsPrimary,
    RdsReplicas,
    ElastiCache,
    Msk,
    /// The VPC endpoints of the network.
    NetworkEndpoints,
    /// The data services' ingress from the EKS cluster security group.
    ClusterIngress,
    /// One workload's role, policy and pod identity association, by workload name.
    Workload(String),
    /// Removes the objects of workloads no longer configured.
    Workloads,
    /// The environment's alert topic `NAME-alerts` and its subscriptions.
    AlertTopic,
    /// The environment's CloudWatch alarms.
    Alarms,
    /// The environment's AWS Budgets cost budget.
    Budget,
    /// The VPC's flow logs, their log group and delivery role.
    FlowLogs,
    /// The AWS Backup vault, plan and selection of the databases.
    Backup,
}

impl PartId {
    /// The `mosia:part` tag value of the objects this part owns (one per service, so an
    /// object's owner is stable while parts are split or merged).
    pub const fn tag(&self) -> &'static str {
        match self {
            PartId::Network => "network",
            PartId::Iam => "iam",
            PartId::Kms => "kms",
            PartId::EksCluster
            | PartId::EksOidc
            | PartId::EksAccess
            | PartId::EksAddon(_)
            | PartId::NodeGroup(_) => "eks",
            PartId::RdsPrimary | PartId::RdsReplicas => "rds",
            PartId::ElastiCache => "elasticache",
            PartId::Msk => "msk",
            PartId::NetworkEndpoints | PartId::ClusterIngress | PartId::FlowLogs => "network",
            PartId::Workload(_) | PartId::Workloads => "workload",
            PartId::AlertTopic | PartId::Alarms | PartId::Budget => "monitoring",
            PartId::Backup => "backup",
        }
    }

    /// The key, parsed back (for `part_status` entries read from state).
    pub fn parse(key: &str) -> Option<PartId> {
        Some(match key {
            "network" => PartId::Network,
            "iam" => PartId::Iam,
            "eks" => PartId::EksCluster,
            // `eks.kms`: the key's name before it served the whole environment.
            "kms" | "eks.kms" => PartId::Kms,
            "eks.oidc" => PartId::EksOidc,
            "eks.access" => PartId::EksAccess,
            "rds" => PartId::RdsPrimary,
            "rds.replicas" => PartId::RdsReplicas,
            "elasticache" => PartId::ElastiCache,
            "msk" => PartId::Msk,
            "network.endpoints" => PartId::NetworkEndpoints,
            "network.cluster_ingress" => PartId::ClusterIngress,
            "network.flow_logs" => PartId::FlowLogs,
            "workloads" => PartId::Workloads,
            "monitoring.topic" => PartId::AlertTopic,
            "monitoring.alarms" => PartId::Alarms,
            "monitoring.budget" => PartId::Budget,
            "backup" => PartId::Backup,
            other => {
                if let Some(addon) = other.strip_prefix("eks.addon.") {
                    PartId::EksAddon(addon.to_string())
                } else if let Some(w) = other.strip_prefix("workload.") {
                    PartId::Workload(w.to_string())
                } else {
                    PartId::NodeGroup(other.strip_prefix("eks.node_group.")?.to_string())
                }
            }
        })
    }
}

impl fmt::Display for PartId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartId::Network => f.write_str("network"),
            PartId::Iam => f.write_str("iam"),
            PartId::EksCluster => f.write_str("eks"),
            PartId::Kms => f.write_str("kms"),
            PartId::EksOidc => f.write_str("eks.oidc"),
            PartId::EksAccess => f.write_str("eks.access"),
            PartId::EksAddon(name) => write!(f, "eks.addon.{name}"),
            PartId::NodeGroup(name) => write!(f, "eks.node_group.{name}"),
            PartId::RdsPrimary => f.write_str("rds"),
            PartId::RdsReplicas => f.write_str("rds.replicas"),
            PartId::ElastiCache => f.write_str("elasticache"),
            PartId::Msk => f.write_str("msk"),
            PartId::NetworkEndpoints => f.write_str("network.endpoints"),
            PartId::ClusterIngress => f.write_str("network.cluster_ingress"),
            PartId::FlowLogs => f.write_str("network.flow_logs"),
            PartId::Workload(name) => write!(f, "workload.{name}"),
            PartId::Workloads => f.write_str("workloads"),
            PartId::AlertTopic => f.write_str("monitoring.topic"),
            PartId::Alarms => f.write_str("monitoring.alarms"),
            PartId::Budget => f.write_str("monitoring.budget"),
            PartId::Backup => f.write_str("backup"),
        }
    }
}

impl From<&PartId> for String {
    fn from(p: &PartId) -> String {
        p.to_string()
    }
}

/// The refusal to adopt an object that exists under the part's deterministic name but is
/// not tagged as this environment's: it belongs to someone else, so Mosia leaves it alone.
pub fn not_ours(
    env: &PartEnv,
    part: &PartId,
    what: &str,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> PartError {
    let owner = match tags.get(ENVIRONMENT_TAG) {
        Some(e) => format!("its tags say it belongs to environment `{e}`"),
        None => "it has no Mosia ownership tags".to_string(),
    };
    PartError::new(
        part,
        format!("adopting {what} `{name}`"),
        format!(
            "{what} `{name}` already exists and is not managed by this environment: it does \
             not carry the ownership tags of environment `{env_name}` ({ENVIRONMENT_TAG}={env_name}, \
             {PART_TAG}={tag}); {owner}. Mosia will not take it over: rename the environment, \
             or delete or rename that {what}",
            env_name = env.name,
            tag = part.tag(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_keys_round_trip_and_tag_by_service() {
        let all = [
            PartId::Network,
            PartId::Iam,
            PartId::EksCluster,
            PartId::EksOidc,
            PartId::Kms,
            PartId::EksAccess,
            PartId::EksAddon("coredns".into()),
            PartId::NodeGroup("general".into()),
            PartId::RdsPrimary,
            PartId::RdsReplicas,
            PartId::ElastiCache,
            PartId::Msk,
        ];
        for p in &all {
            assert_eq!(PartId::parse(&p.to_string()).as_ref(), Some(p));
        }
        assert_eq!(
            PartId::NodeGroup("general".into()).to_string(),
            "eks.node_group.general"
        );
        assert_eq!(PartId::NodeGroup("x".into()).tag(), "eks");
        assert_eq!(PartId::RdsReplicas.tag(), "rds");
        assert_eq!(
            PartId::parse("eks.node_group."),
            Some(PartId::NodeGroup(String::new()))
        );
        assert_eq!(PartId::parse("bogus"), None);
    }
}
