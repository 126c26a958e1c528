//! Import: the workloads of an environment rebuilt from their roles (tags, trust policy,
//! generated policy and attached policies), so the next plan of an imported environment
//! is empty.

use std::collections::BTreeMap;

use serde_json::Value;

use super::input::{CacheAccess, Identity, KafkaAccess, MskAccessSpec, RdsAccess, WorkloadSpec};
use super::{find_workload_roles, role, NAMESPACE_TAG, SERVICE_ACCOUNT_TAG};
use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// Tags recording the access levels the policy alone cannot tell apart.
pub const RDS_TAG: &str = "mosia:rds";
pub const CACHE_TAG: &str = "mosia:elasticache";
pub const KAFKA_TAG: &str = "mosia:kafka";

/// The statement of `doc` with `sid`.
fn statement<'a>(doc: Option<&'a Value>, sid: &str) -> Option<&'a Value> {
    doc?["Statement"]
        .as_array()?
        .iter()
        .find(|s| s["Sid"] == sid)
}

/// The resources of statement `sid`, as strings.
fn resources(doc: Option<&Value>, sid: &str) -> Vec<String> {
    statement(doc, sid)
        .and_then(|s| s["Resource"].as_array())
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The last `/`-separated segments after `topic/CLUSTER/UUID/`.
fn patterns(arns: Vec<String>) -> Vec<String> {
    arns.iter()
        .filter_map(|a| a.splitn(4, '/').nth(3).map(str::to_string))
        .collect()
}

/// A workload as its role says it was configured.
pub fn workload_of(tags: &BTreeMap<String, String>, have: &role::RoleHave) -> WorkloadSpec {
    let doc = have.policy.as_ref();
    let tag = |k: &str| tags.get(k).cloned().unwrap_or_default();
    let irsa = have
        .trust
        .as_ref()
        .is_some_and(|t| t["Statement"][0]["Principal"].get("Federated").is_some());
    let msk = statement(doc, "KafkaCluster").map(|_| MskAccessSpec {
        topics: patterns(resources(doc, "KafkaTopics")),
        groups: patterns(resources(doc, "KafkaGroups")),
        access: KafkaAccess::parse(&tag(KAFKA_TAG)).unwrap_or(KafkaAccess::ReadWrite),
    });
    let buckets = resources(doc, "S3Buckets")
        .iter()
        .filter_map(|a| a.rsplit(":::").next().map(str::to_string))
        .collect();
    WorkloadSpec {
        namespace: tag(NAMESPACE_TAG),
        service_account: tag(SERVICE_ACCOUNT_TAG),
        identity: if irsa {
            Identity::Irsa
        } else {
            Identity::PodIdentity
        },
        rds: RdsAccess::parse(&tag(RDS_TAG)).unwrap_or(RdsAccess::None),
        elasticache: CacheAccess::parse(&tag(CACHE_TAG)).unwrap_or(CacheAccess::None),
        msk,
        secrets_manager_arns: resources(doc, "Secrets"),
        s3_buckets: buckets,
        policy_arns: have.managed.clone(),
    }
}

/// Every workload of the environment, by name.
pub async fn discover(env: &PartEnv) -> Result<BTreeMap<String, WorkloadSpec>, PartError> {
    let mut out = BTreeMap::new();
    for (name, r) in find_workload_roles(env).await? {
        let have = role::have_of(env, &name, r.role_name(), &r).await?;
        out.insert(name, workload_of(&have.tags, &have));
    }
    Ok(out)
}
