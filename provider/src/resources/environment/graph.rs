//! The dependency graph of an environment's parts. The edges are data
//! ([`converge_edges`], [`delete_edges`]) so they can be read and tested without AWS; the
//! plans the engine runs ([`converge_plan`], [`delete_plan`]) attach each part's `ensure` or
//! `delete` to them.

use std::sync::{Arc, Mutex};

use mosia_tfplugin::AttrPath;

use super::spec::{EksSpec, EnvironmentSpec};
use crate::aws::eks::{
    self, AccessState, AddonState, EksClusterState, NodeGroupOutcome, NodeGroupState,
};
use crate::aws::elasticache::{self, ElastiCacheState};
use crate::aws::iam::{self, IamState};
use crate::aws::kms::{self, KmsKeyState};
use crate::aws::msk::{self, MskState};
use crate::aws::network::{self, NetworkState};
use crate::aws::part::{PartEnv, PartId};
use crate::aws::rds::{self, RdsState, ReplicaState};
use crate::aws::workload::{self, WorkloadState};
use crate::engine::{Deps, PartError, Plan};

mod keys;
mod monitoring;
mod network_access;
mod workloads;
pub(super) use keys::secrets_key;
pub(super) use monitoring::{has_backup, has_flow_logs, planned_alarm_names, AlarmArns};
pub(super) use workloads::targets_of;

/// What one part produced; the engine passes these to dependent parts.
#[derive(Debug, Clone)]
pub(super) enum Out {
    Network(NetworkState),
    Iam(IamState),
    Eks(EksClusterState),
    /// The environment's own key.
    Kms(KmsKeyState),
    Oidc(String),
    Access(AccessState),
    NodeGroup(NodeGroupState),
    Addon(AddonState),
    Rds(RdsState),
    Replicas(Vec<ReplicaState>),
    Cache(ElastiCacheState),
    Msk(MskState),
    Endpoints(network::EndpointsState),
    /// The data services' groups that admit the cluster security group.
    Ingress(#[allow(dead_code)] Vec<String>),
    Workload(WorkloadState),
    /// The alert topic.
    Topic(crate::aws::monitoring::TopicState),
    /// The alarms, name → ARN.
    Alarms(AlarmArns),
    Budget(crate::aws::monitoring::BudgetState),
    /// The VPC flow log's ID.
    FlowLogs(#[allow(dead_code)] String),
    Backup(crate::aws::backup::BackupState),
    Deleted,
}

/// Warnings parts raise while they run (a node group replaced), shown after the apply.
pub(super) type Warnings = Arc<Mutex<Vec<String>>>;

/// Each part with the parts it needs, in the order they are added to the plan.
pub(super) type Edges = Vec<(PartId, Vec<PartId>)>;

/// The parts an environment has, as `part_status` names them.
pub(super) fn part_ids(spec: &EnvironmentSpec) -> Vec<PartId> {
    converge_edges(spec).into_iter().map(|(p, _)| p).collect()
}

/// The services in the environment, by the names the network's security groups use.
fn services(spec: &EnvironmentSpec) -> Vec<&'static str> {
    [
        ("eks", spec.eks.is_some()),
        ("rds", spec.rds.is_some()),
        ("elasticache", spec.elasticache.is_some()),
        ("msk", spec.msk.is_some()),
    ]
    .into_iter()
    .filter_map(|(s, present)| present.then_some(s))
    .collect()
}

/// The create/update graph: network and IAM first; EKS cluster → OIDC and node groups;
/// RDS primary → replicas; ElastiCache and MSK side by side. Nothing without a network.
pub(super) fn converge_edges(spec: &EnvironmentSpec) -> Edges {
    use PartId::*;
    let mut edges = Vec::new();
    if spec.network.is_none() {
        return edges;
    }
    edges.push((Network, vec![]));
    if spec.has_own_key() {
        edges.push((Kms, vec![]));
    }
    if let Some(e) = &spec.eks {
        eks_edges(e, spec.has_own_key(), &mut edges);
    }
    // The data services after the key they are encrypted with.
    let data_deps = keys::data_deps(spec, vec![Network]);
    if spec.rds.is_some() {
        edges.push((RdsPrimary, data_deps.clone()));
        edges.push((RdsReplicas, vec![RdsPrimary]));
    }
    if spec.elasticache.is_some() {
        edges.push((ElastiCache, data_deps.clone()));
    }
    if spec.msk.is_some() {
        edges.push((Msk, data_deps));
    }
    edges.push((NetworkEndpoints, vec![Network]));
    if spec.eks.is_some() {
        // The rules go on the network's groups: the services need not exist yet.
        edges.push((ClusterIngress, vec![Network, EksCluster]));
        workload_edges(spec, &mut edges);
    }
    monitoring::monitoring_edges(spec, &mut edges);
    edges
}

/// Each workload after the cluster (and its OIDC provider for IRSA) and the data services
/// whose ARNs its policy names; the cleanup of unconfigured workloads after the cluster.
fn workload_edges(spec: &EnvironmentSpec, edges: &mut Edges) {
    use crate::aws::workload::{CacheAccess, Identity, RdsAccess};
    use PartId::*;
    for (name, w) in &spec.workloads {
        let mut deps = vec![EksCluster];
        if w.identity == Identity::Irsa {
            deps.push(EksOidc);
        }
        if w.rds != RdsAccess::None && spec.rds.is_some() {
            deps.push(RdsPrimary);
        }
        if w.elasticache != CacheAccess::None && spec.elasticache.is_some() {
            deps.push(ElastiCache);
        }
        if w.msk.is_some() && spec.msk.is_some() {
            deps.push(Msk);
        }
        // Its policy names the key the environment's secrets are encrypted with.
        if keys::data_uses_own_key(spec) {
            deps.push(Kms);
        }
        edges.push((Workload(name.clone()), deps));
    }
    edges.push((Workloads, vec![EksCluster]));
}

/// The EKS parts: the key and IAM before the cluster; then the OIDC provider and access
/// entries; the add-ons that need no nodes (network, kube-proxy, pod identity agent) before
/// the node groups, so nodes join with a working network; the others after every node group,
/// so their pods can schedule.
fn eks_edges(e: &EksSpec, own_key: bool, edges: &mut Edges) {
    use PartId::*;
    edges.push((Iam, vec![]));
    let mut cluster_deps = vec![Network, Iam];
    if own_key {
        cluster_deps.push(Kms);
    }
    edges.push((EksCluster, cluster_deps));
    edges.push((EksOidc, vec![EksCluster]));
    edges.push((EksAccess, vec![EksCluster]));
    let (early, late): (Vec<&String>, Vec<&String>) =
        e.addons.keys().partition(|a| eks::addon_before_nodes(a));
    let early: Vec<PartId> = early.into_iter().map(|a| EksAddon(a.clone())).collect();
    for addon in &early {
        edges.push((addon.clone(), vec![EksCluster]));
    }
    let groups: Vec<PartId> = e.node_groups.keys().map(|n| NodeGroup(n.clone())).collect();
    for group in &groups {
        edges.push((
            group.clone(),
            [vec![Network, Iam, EksCluster], early.clone()].concat(),
        ));
    }
    for addon in late {
        let deps = [vec![Iam, EksCluster], early.clone(), groups.clone()].concat();
        edges.push((EksAddon(addon.clone()), deps));
    }
}

/// The graph whose reverse deletes `spec`'s services (and the network when asked): a
/// service's delete also removes its sub-parts (node groups, replicas), so only the
/// top-level parts appear.
pub(super) fn delete_edges(spec: &EnvironmentSpec, include_network: bool) -> Edges {
    use PartId::*;
    let net: Vec<PartId> = if include_network {
        vec![Network]
    } else {
        vec![]
    };
    let mut edges = Vec::new();
    if include_network {
        edges.push((Network, vec![]));
    }
    // The key outlives what it encrypts (scheduled for deletion after them), at destroy
    // only: parts removed by an update leave it to the update (`retire_own_key`).
    let own_key = include_network && spec.has_own_key();
    if own_key {
        edges.push((Kms, vec![]));
    }
    let net_and_key = |mut deps: Vec<PartId>| {
        if own_key {
            deps.push(Kms);
        }
        deps
    };
    if spec.eks.is_some() {
        edges.push((Iam, vec![]));
        let cluster_deps = net_and_key([net.clone(), vec![Iam]].concat());
        edges.push((EksCluster, cluster_deps));
        // Workloads and the cluster's ingress rules go before the cluster (its security
        // group cannot be deleted while a data service's group refers to it).
        edges.push((Workloads, vec![EksCluster]));
        edges.push((ClusterIngress, vec![EksCluster]));
    }
    if include_network {
        edges.push((NetworkEndpoints, vec![Network]));
    }
    for (part, present) in [
        (RdsPrimary, spec.rds.is_some()),
        (ElastiCache, spec.elasticache.is_some()),
        (Msk, spec.msk.is_some()),
    ] {
        if present {
            edges.push((part, net_and_key(net.clone())));
        }
    }
    // At destroy: the alarms before the topic they publish to, the topic before its key.
    if include_network && spec.monitoring.own_topic() {
        edges.push((AlertTopic, net_and_key(vec![])));
    }
    if include_network && spec.monitoring.alarms {
        let topic = spec.monitoring.own_topic().then_some(AlertTopic);
        edges.push((Alarms, topic.into_iter().collect()));
    }
    if include_network && monitoring::has_backup(spec) {
        edges.push((Backup, net_and_key(vec![])));
    }
    if include_network && monitoring::has_flow_logs(spec) {
        edges.push((FlowLogs, vec![Network]));
    }
    if include_network && spec.monitoring.budget.is_some() {
        let topic = spec.monitoring.own_topic().then_some(AlertTopic);
        edges.push((Budget, topic.into_iter().collect()));
    }
    edges
}

/// Adds every part of `edges` to a plan, each running `task(part, deps)`.
fn plan_of<S, F, Fut>(edges: Edges, shared: Arc<S>, task: F) -> Plan<Out>
where
    S: Send + Sync + 'static,
    F: Fn(Arc<S>, PartId, Deps<Out>) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<Out, PartError>> + Send + 'static,
{
    let mut plan = Plan::new();
    for (part, deps) in edges {
        let names: Vec<String> = deps.iter().map(PartId::to_string).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let (s, t, p) = (shared.clone(), task.clone(), part.clone());
        plan.part(part.to_string(), &names, move |d| t(s, p, d));
    }
    plan
}

/// What every converge task shares.
struct Converge {
    env: PartEnv,
    spec: EnvironmentSpec,
    warnings: Warnings,
}

/// The plan that creates or converges every part of `spec`.
pub(super) fn converge_plan(
    env: &PartEnv,
    spec: &EnvironmentSpec,
    warnings: Warnings,
) -> Plan<Out> {
    let shared = Arc::new(Converge {
        env: env.clone(),
        spec: spec.clone(),
        warnings,
    });
    plan_of(converge_edges(spec), shared, |c, part, deps| async move {
        c.ensure(&part, &deps).await
    })
}

/// Deletes the given parts of `spec` in reverse dependency order (the network last).
pub(super) fn delete_plan(
    env: &PartEnv,
    spec: &EnvironmentSpec,
    include_network: bool,
) -> Plan<Out> {
    let shared = Arc::new((env.clone(), spec.clone()));
    plan_of(
        delete_edges(spec, include_network),
        shared,
        |s, part, _| async move {
            let (env, spec) = &*s;
            delete(env, spec, &part).await.map(|_| Out::Deleted)
        },
    )
    .reversed()
}

async fn delete(env: &PartEnv, spec: &EnvironmentSpec, part: &PartId) -> Result<(), PartError> {
    match part {
        PartId::Network => network::delete(env).await,
        PartId::Iam => iam::delete(env).await,
        PartId::EksCluster => eks::delete_cluster(env).await,
        PartId::RdsPrimary => match &spec.rds {
            Some(s) => rds::delete(env, s).await,
            None => Ok(()),
        },
        PartId::ElastiCache => {
            elasticache::delete(env, spec.elasticache.as_ref()).await?;
            match spec.elasticache.as_ref().and_then(|c| c.log_retention_days) {
                Some(_) => elasticache::log_delivery::delete_log_groups(env).await,
                None => Ok(()),
            }
        }
        PartId::Msk => {
            msk::delete(env).await?;
            match spec.msk.as_ref().and_then(|m| m.broker_logs_retention_days) {
                Some(_) => msk::monitoring::delete_log_group(env).await,
                None => Ok(()),
            }
        }
        PartId::Kms => kms::delete_key(env).await,
        PartId::NetworkEndpoints => network::delete_endpoints(env).await,
        PartId::ClusterIngress => network::delete_cluster_ingress(env).await,
        PartId::Workloads => workload::delete_all(env).await,
        PartId::AlertTopic => crate::aws::monitoring::delete_topic(env).await,
        PartId::Alarms => crate::aws::monitoring::delete_alarms(env).await,
        PartId::Budget => crate::aws::monitoring::delete_budget(env).await,
        PartId::FlowLogs => network::flow_logs::delete_flow_logs(env).await,
        PartId::Backup => {
            crate::aws::backup::delete(env, spec.backup.copy_to_region.as_deref()).await
        }
        // Deleted with their service.
        PartId::Workload(_)
        | PartId::EksOidc
        | PartId::EksAccess
        | PartId::EksAddon(_)
        | PartId::NodeGroup(_)
        | PartId::RdsReplicas => Ok(()),
    }
}

/// A dependency's output, or an error naming it when it is not the expected kind.
fn dep<T>(deps: &Deps<Out>, part: PartId, pick: impl Fn(&Out) -> Option<&T>) -> Result<T, PartError>
where
    T: Clone,
{
    let key = part.to_string();
    pick(deps.output(&key)?)
        .cloned()
        .ok_or_else(|| deps.error("wrong dependency output", key))
}

fn net(deps: &Deps<Out>) -> Result<NetworkState, PartError> {
    dep(deps, PartId::Network, |o| match o {
        Out::Network(n) => Some(n),
        _ => None,
    })
}

fn iam_of(deps: &Deps<Out>) -> Result<IamState, PartError> {
    dep(deps, PartId::Iam, |o| match o {
        Out::Iam(i) => Some(i),
        _ => None,
    })
}

fn cluster(deps: &Deps<Out>) -> Result<EksClusterState, PartError> {
    dep(deps, PartId::EksCluster, |o| match o {
        Out::Eks(c) => Some(c),
        _ => None,
    })
}

impl Converge {
    /// Runs `part`'s `ensure` with the outputs of the parts it depends on.
    async fn ensure(&self, part: &PartId, deps: &Deps<Out>) -> Result<Out, PartError> {
        let env = &self.env;
        let spec = &self.spec;
        let missing = || deps.error("not in the configuration", part.to_string());
        match part {
            PartId::Network => {
                let n = spec.network.as_ref().ok_or_else(missing)?;
                network::ensure_with_access(env, n, &services(spec), &spec.network_access)
                    .await
                    .map(Out::Network)
            }
            PartId::Iam => {
                let addons = spec.eks.iter().flat_map(|e| e.addons.keys());
                iam::ensure_with_pod_identity(env, addons.map(String::as_str))
                    .await
                    .map(Out::Iam)
            }
            PartId::EksCluster => {
                let (s, key) = keys::eks_keys(spec, deps)?;
                let s = s.ok_or_else(missing)?;
                let (net, iam) = (net(deps)?, iam_of(deps)?);
                eks::ensure_cluster_with_addons(env, &s, &net, &iam, key.as_deref())
                    .await
                    .map(Out::Eks)
            }
            PartId::Kms => kms::ensure_key(env).await.map(Out::Kms),
            PartId::EksOidc => iam::ensure_oidc_provider(env, &cluster(deps)?.oidc_issuer)
                .await
                .map(Out::Oidc),
            PartId::EksAccess => {
                let s = spec.eks.as_ref().ok_or_else(missing)?;
                eks::ensure_access_entries(env, s, &cluster(deps)?)
                    .await
                    .map(Out::Access)
            }
            PartId::NodeGroup(name) => self.node_group(name, deps).await,
            PartId::EksAddon(name) => self.addon(name, deps).await,
            PartId::RdsPrimary => {
                let s = spec.rds.as_ref().ok_or_else(missing)?;
                let s = keys::with_data_key(s, spec, deps, |s| &mut s.kms_key)?;
                rds::ensure_primary(env, &s, &net(deps)?)
                    .await
                    .map(Out::Rds)
            }
            PartId::RdsReplicas => {
                let s = spec.rds.as_ref().ok_or_else(missing)?;
                let primary = dep(deps, PartId::RdsPrimary, |o| match o {
                    Out::Rds(p) => Some(p),
                    _ => None,
                })?;
                rds::ensure_replicas(env, s, &primary)
                    .await
                    .map(Out::Replicas)
            }
            PartId::ElastiCache => {
                let s = spec.elasticache.as_ref().ok_or_else(missing)?;
                let s = keys::with_data_key(s, spec, deps, |s| &mut s.kms_key)?;
                elasticache::ensure(env, &s, &net(deps)?)
                    .await
                    .map(Out::Cache)
            }
            PartId::Msk => {
                let s = spec.msk.as_ref().ok_or_else(missing)?;
                let s = keys::with_data_key(s, spec, deps, |s| &mut s.kms_key)?;
                msk::ensure(env, &s, &net(deps)?).await.map(Out::Msk)
            }
            PartId::NetworkEndpoints => self.endpoints(deps).await,
            PartId::ClusterIngress => self.cluster_ingress(deps).await,
            PartId::Workload(name) => self.workload(name, deps).await,
            PartId::Workloads => self.workloads_cleanup().await,
            PartId::AlertTopic => self.alert_topic(deps).await,
            PartId::Alarms => self.alarms(deps).await,
            PartId::Budget => self.budget(deps).await,
            PartId::FlowLogs => self.flow_logs(deps).await,
            PartId::Backup => self.backup(deps).await,
        }
    }

    /// A node group, replaced inside the update when AWS cannot change it in place (only
    /// this node group, create before destroy: the rest of the environment is not touched).
    async fn node_group(&self, name: &str, deps: &Deps<Out>) -> Result<Out, PartError> {
        let env = &self.env;
        let ng = self
            .spec
            .eks
            .as_ref()
            .and_then(|e| e.node_groups.get(name))
            .ok_or_else(|| deps.error("not in the configuration", name))?;
        let (net, iam_state, c) = (net(deps)?, iam_of(deps)?, cluster(deps)?);
        match eks::ensure_node_group(env, name, ng, &c, &net, &iam_state).await? {
            NodeGroupOutcome::Ready(s) => Ok(Out::NodeGroup(s)),
            NodeGroupOutcome::Replaced { state, reasons } => {
                self.warnings.lock().expect("warnings").push(format!(
                    "node group {name:?} replaced (the new group `{}` was created and became ACTIVE before the old one was deleted): {}",
                    state.name,
                    reasons.join("; ")
                ));
                Ok(Out::NodeGroup(state))
            }
        }
    }
}

impl Converge {
    /// An add-on; one left DEGRADED because the configuration has no node group to run its
    /// pods is not a failure (its warning says so).
    async fn addon(&self, name: &str, deps: &Deps<Out>) -> Result<Out, PartError> {
        let e = self.spec.eks.as_ref();
        let a = e
            .and_then(|e| e.addons.get(name))
            .ok_or_else(|| deps.error("not in the configuration", name))?;
        let health = eks::AddonHealth::of(name, e.is_some_and(|e| !e.node_groups.is_empty()));
        // Only an add-on with a Pod Identity role needs the IAM part (late add-ons have it).
        let iam_state = match iam::pod_identity_roles::pod_identity_role(name) {
            Some(_) => iam_of(deps)?,
            None => IamState::default(),
        };
        let c = cluster(deps)?;
        eks::ensure_addon(&self.env, name, a, &c, &iam_state, health)
            .await
            .map(Out::Addon)
    }
}

/// The configuration block a part is built from (IAM and the OIDC provider exist for EKS).
pub(super) fn block_of(part: &PartId) -> &'static str {
    match part {
        PartId::Network | PartId::NetworkEndpoints | PartId::ClusterIngress => "network",
        PartId::Workload(_) | PartId::Workloads => "workload",
        // Chosen by `customer_managed_key` (or asked for by `eks.secrets_encryption`).
        PartId::Kms => "customer_managed_key",
        PartId::Iam
        | PartId::EksCluster
        | PartId::EksOidc
        | PartId::EksAccess
        | PartId::EksAddon(_)
        | PartId::NodeGroup(_) => "eks",
        PartId::RdsPrimary | PartId::RdsReplicas => "rds",
        PartId::ElastiCache => "elasticache",
        PartId::Msk => "msk",
        PartId::AlertTopic | PartId::Alarms => "monitoring",
        PartId::Budget => "budget",
        PartId::FlowLogs => "monitoring",
        PartId::Backup => "backup",
    }
}

/// Where a part's diagnostics point: its block (`rds`, `eks`), a node group's own entry
/// (`eks.node_group["general"]`).
pub(super) fn config_path(part: &PartId) -> AttrPath {
    match part {
        PartId::NodeGroup(name) => AttrPath::attr("eks").then("node_group").key(name),
        PartId::EksAddon(_) => AttrPath::attr("eks").then("addons"),
        PartId::EksAccess => AttrPath::attr("eks").then("access_entry"),
        PartId::Workload(name) => AttrPath::attr("workload").key(name),
        other => AttrPath::attr(block_of(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{testing, AwsContext};
    use crate::resources::environment::spec;
    use crate::resources::environment::testing::{config, everything};

    fn spec_of(j: serde_json::Value) -> EnvironmentSpec {
        spec::from_value(&config(j)).expect("valid test spec")
    }

    fn deps_of(edges: &Edges, part: &PartId) -> Vec<PartId> {
        edges
            .iter()
            .find(|(p, _)| p == part)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("{part} not in {edges:?}"))
    }

    #[test]
    fn converge_edges_order_every_part_after_what_it_needs() {
        use PartId::*;
        let mut j = everything("dev");
        j["eks"]["node_group"]["batch"] = serde_json::json!({});
        let edges = converge_edges(&spec_of(j));
        assert_eq!(deps_of(&edges, &Network), vec![]);
        assert_eq!(deps_of(&edges, &Iam), vec![]);
        assert_eq!(deps_of(&edges, &EksCluster), vec![Network, Iam]);
        assert_eq!(deps_of(&edges, &EksOidc), vec![EksCluster]);
        let early: Vec<PartId> = ["eks-pod-identity-agent", "kube-proxy", "vpc-cni"]
            .map(|a| EksAddon(a.into()))
            .to_vec();
        for ng in ["batch", "general"] {
            assert_eq!(
                deps_of(&edges, &NodeGroup(ng.into())),
                [vec![Network, Iam, EksCluster], early.clone()].concat(),
                "node group {ng} after the cluster, its role and the add-ons nodes need"
            );
        }
        for addon in &early {
            assert_eq!(deps_of(&edges, addon), vec![EksCluster]);
        }
        for late in ["coredns", "aws-ebs-csi-driver"] {
            let deps = deps_of(&edges, &EksAddon(late.into()));
            for ng in ["batch", "general"] {
                assert!(deps.contains(&NodeGroup(ng.into())), "{late} after {ng}");
            }
            assert!(deps.contains(&EksAddon("eks-pod-identity-agent".into())));
        }
        assert_eq!(deps_of(&edges, &EksAccess), vec![EksCluster]);
        assert_eq!(deps_of(&edges, &RdsReplicas), vec![RdsPrimary]);
        for service in [EksCluster, RdsPrimary, ElastiCache, Msk] {
            assert!(
                deps_of(&edges, &service).contains(&Network),
                "{service} after network"
            );
        }
        // The cluster's ingress rules go on the network's groups, beside the services.
        assert_eq!(deps_of(&edges, &ClusterIngress), vec![Network, EksCluster]);
        assert_eq!(deps_of(&edges, &NetworkEndpoints), vec![Network]);
        assert_eq!(deps_of(&edges, &Workloads), vec![EksCluster]);
        // dev: no secrets encryption, so no key part.
        assert!(!edges.iter().any(|(p, _)| *p == Kms));
        assert_eq!(edges.len(), 19);
    }

    #[test]
    fn a_workload_comes_after_the_cluster_and_the_services_it_reaches() {
        use PartId::*;
        let mut j = everything("dev");
        j["workload"] = serde_json::json!({
            "orders": {"namespace": "shop", "identity": "irsa", "rds": "read_write",
                       "msk": {"topics": ["orders.*"]}},
            "web": {"namespace": "shop", "elasticache": "read_only"},
        });
        let edges = converge_edges(&spec_of(j));
        assert_eq!(
            deps_of(&edges, &Workload("orders".into())),
            vec![EksCluster, EksOidc, RdsPrimary, Msk]
        );
        assert_eq!(
            deps_of(&edges, &Workload("web".into())),
            vec![EksCluster, ElastiCache]
        );
    }

    #[test]
    fn the_environments_key_comes_before_the_cluster_and_goes_after_it() {
        use PartId::*;
        let mut j = everything("production");
        let edges = converge_edges(&spec_of(j.clone()));
        assert_eq!(deps_of(&edges, &EksCluster), vec![Network, Iam, Kms]);
        let deletes = delete_edges(&spec_of(j.clone()), true);
        assert!(deps_of(&deletes, &EksCluster).contains(&Kms));
        for data in [RdsPrimary, ElastiCache, Msk] {
            assert_eq!(deps_of(&edges, &data), vec![Network, Kms], "{data}");
            assert!(deps_of(&deletes, &data).contains(&Kms), "{data}");
        }
        // Parts removed by an update never take the key with them.
        let dropped = delete_edges(&spec_of(j.clone()), false);
        assert!(!dropped.iter().any(|(p, _)| *p == Kms));
        // The cluster's own key of the user's: the environment's key is still made (data,
        // log group).
        j["eks"]["kms_key_arn"] = serde_json::json!("arn:aws:kms:us-east-1:123456789012:key/k");
        let edges = converge_edges(&spec_of(j.clone()));
        assert_eq!(deps_of(&edges, &EksCluster), vec![Network, Iam, Kms]);
        // The user's environment key: no key part.
        j["kms_key_arn"] = serde_json::json!("arn:aws:kms:us-east-1:123456789012:key/k");
        let edges = converge_edges(&spec_of(j));
        assert_eq!(deps_of(&edges, &EksCluster), vec![Network, Iam]);
        assert_eq!(deps_of(&edges, &RdsPrimary), vec![Network]);
        assert!(!edges.iter().any(|(p, _)| *p == Kms));
    }

    #[test]
    fn only_the_configured_parts_are_in_the_graph() {
        let mut j = everything("dev");
        for b in ["eks", "elasticache", "msk"] {
            j.as_object_mut().unwrap().remove(b);
        }
        let ids: Vec<String> = part_ids(&spec_of(j))
            .iter()
            .map(PartId::to_string)
            .collect();
        assert_eq!(ids, ["network", "rds", "rds.replicas", "network.endpoints"]);
    }

    #[test]
    fn delete_edges_keep_the_network_until_every_service_is_gone() {
        use PartId::*;
        let s = spec_of(everything("dev"));
        let edges = delete_edges(&s, true);
        let parts: Vec<&PartId> = edges.iter().map(|(p, _)| p).collect();
        assert_eq!(
            parts,
            [
                &Network,
                &Iam,
                &EksCluster,
                &Workloads,
                &ClusterIngress,
                &NetworkEndpoints,
                &RdsPrimary,
                &ElastiCache,
                &Msk
            ]
        );
        assert_eq!(deps_of(&edges, &EksCluster), vec![Network, Iam]);
        // Reversed: workloads and the cluster's ingress rules go before the cluster.
        assert_eq!(deps_of(&edges, &Workloads), vec![EksCluster]);
        assert_eq!(deps_of(&edges, &ClusterIngress), vec![EksCluster]);
        for service in [RdsPrimary, ElastiCache, Msk] {
            assert_eq!(deps_of(&edges, &service), vec![Network]);
        }
        // Removing services from an environment that keeps its network.
        let edges = delete_edges(&s, false);
        assert!(edges
            .iter()
            .all(|(p, d)| *p != Network && !d.contains(&Network)));
    }

    #[test]
    fn plans_name_parts_by_part_id_and_delete_runs_reversed() {
        let env = testing::env(AwsContext::offline());
        let s = spec_of(everything("dev"));
        let warnings = Warnings::default();
        let converge = converge_plan(&env, &s, warnings);
        converge.validate().expect("a valid graph");
        assert!(!converge.is_reversed());
        let names: Vec<&str> = converge.names().collect();
        let ids: Vec<String> = part_ids(&s).iter().map(PartId::to_string).collect();
        assert_eq!(names, ids);
        assert!(names.contains(&"eks.node_group.general"));

        let delete = delete_plan(&env, &s, true);
        delete.validate().expect("a valid graph");
        assert!(delete.is_reversed(), "the network is deleted last");
        assert_eq!(
            format!("{delete:?}"),
            r#"{"network": [], "iam": [], "eks": ["network", "iam"], "workloads": ["eks"], "network.cluster_ingress": ["eks"], "network.endpoints": ["network"], "rds": ["network"], "elasticache": ["network"], "msk": ["network"]} (reversed)"#
        );
    }

    #[test]
    fn diagnostics_point_at_the_part_block() {
        let path = |p: PartId| config_path(&p);
        assert_eq!(path(PartId::RdsPrimary), AttrPath::attr("rds"));
        assert_eq!(path(PartId::RdsReplicas), AttrPath::attr("rds"));
        assert_eq!(path(PartId::EksCluster), AttrPath::attr("eks"));
        assert_eq!(path(PartId::Iam), AttrPath::attr("eks"));
        assert_eq!(
            path(PartId::NodeGroup("general".into())),
            AttrPath::attr("eks").then("node_group").key("general")
        );
        assert_eq!(
            path(PartId::EksAccess),
            AttrPath::attr("eks").then("access_entry")
        );
        assert_eq!(path(PartId::Network), AttrPath::attr("network"));
        assert_eq!(path(PartId::ElastiCache), AttrPath::attr("elasticache"));
        assert_eq!(path(PartId::Msk), AttrPath::attr("msk"));
    }
}
