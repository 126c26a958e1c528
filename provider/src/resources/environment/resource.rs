//! The `mosia_environment` resource: plan (tier defaults, cost, desired part status), apply
//! (the engine runs every part's idempotent `ensure` on the dependency graph), read (each
//! part described once, drift mapped back into the configuration attributes), delete (the
//! same graph in reverse).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use mosia_tfplugin::{
    ApplyError, ApplyResult, AttrPath, Context, Deletion, Diagnostic, Diagnostics, PlanRequest,
    Resource, Schema, Value,
};
use tokio::time::Instant;

use super::discover::{self, find, Found};
use super::spec::{self, EnvironmentSpec};
use super::{cost, guardrails, schema};
use crate::aws::eks::{self, EksClusterState, NodeGroupOutcome, NodeGroupState};
use crate::aws::elasticache::{self, ElastiCacheState};
use crate::aws::iam::{self, IamState};
use crate::aws::msk::{self, MskState};
use crate::aws::network::{self, NetworkState};
use crate::aws::part::PartEnv;
use crate::aws::rds::{self, RdsState, ReplicaState};
use crate::aws::tags;
use crate::engine::{self, Outcome, PartError, Plan, RunReport};
use crate::resources::configured::Configured;

pub struct EnvironmentResource {
    schema: &'static Schema,
    configured: Arc<Configured>,
}

impl EnvironmentResource {
    pub fn new(configured: Arc<Configured>) -> Self {
        EnvironmentResource {
            schema: schema::shared(),
            configured,
        }
    }
}

/// What one part produced; the engine passes these to dependent parts.
#[derive(Debug, Clone)]
enum Out {
    Network(NetworkState),
    Iam(IamState),
    Eks(EksClusterState),
    Oidc(String),
    NodeGroup(#[allow(dead_code)] NodeGroupState),
    Rds(RdsState),
    Replicas(Vec<ReplicaState>),
    Cache(ElastiCacheState),
    Msk(MskState),
    Deleted,
}

/// Per block: inputs, and the computed outputs an in-place change of any of them changes.
const DEPENDENT_OUTPUTS: &[(&str, &[&str], &[&str])] = &[
    (
        "msk",
        &[
            "brokers_per_az",
            "client_authentication",
            "encryption_in_transit",
        ],
        &[
            "bootstrap_brokers",
            "bootstrap_brokers_tls",
            "bootstrap_brokers_iam",
        ],
    ),
    ("rds", &["read_replicas"], &["reader_endpoints"]),
    (
        "elasticache",
        &["replicas", "automatic_failover"],
        &["reader_endpoint"],
    ),
    // Replaced (see `warn_cache_replacement`): a new group under the same name.
    (
        "elasticache",
        &["at_rest_encryption", "transit_encryption"],
        &["arn", "primary_endpoint", "reader_endpoint", "status"],
    ),
];

/// `part_status` key written when a create fails part way. Terraform taints such an
/// object and replaces it on the next apply (Delete, then Create, with a null prior in
/// the plan: checked on 1.0.3, 1.11.4 and 1.15.5). Delete sees this marker and keeps the
/// parts, so the Create that follows adopts the healthy ones instead of rebuilding them.
pub const INCOMPLETE_KEY: &str = "_create";
pub const INCOMPLETE: &str = "incomplete";

fn node_group_part(name: &str) -> String {
    format!("eks.node_group.{name}")
}

/// The parts an environment has, in the names `part_status` uses.
fn part_names(spec: &EnvironmentSpec) -> Vec<String> {
    let mut parts = Vec::new();
    if spec.network.is_some() {
        parts.push("network".to_string());
    }
    if let Some(e) = &spec.eks {
        parts.extend(["iam", "eks", "eks.oidc"].map(String::from));
        parts.extend(e.node_groups.keys().map(|n| node_group_part(n)));
    }
    if spec.rds.is_some() {
        parts.extend(["rds", "rds.replicas"].map(String::from));
    }
    if spec.elasticache.is_some() {
        parts.push("elasticache".into());
    }
    if spec.msk.is_some() {
        parts.push("msk".into());
    }
    parts
}

fn services(spec: &EnvironmentSpec) -> Vec<&'static str> {
    let mut s = Vec::new();
    if spec.eks.is_some() {
        s.push("eks");
    }
    if spec.rds.is_some() {
        s.push("rds");
    }
    if spec.elasticache.is_some() {
        s.push("elasticache");
    }
    if spec.msk.is_some() {
        s.push("msk");
    }
    s
}

fn net_of(deps: &engine::Deps<Out>) -> Result<NetworkState, PartError> {
    match deps.output("network")? {
        Out::Network(n) => Ok(n.clone()),
        _ => Err(deps.error("wrong dependency output", "network")),
    }
}

/// The create/update graph: network and IAM first; EKS cluster → OIDC and node groups;
/// RDS primary → replicas; ElastiCache and MSK side by side.
fn converge_plan(
    env: &PartEnv,
    spec: &EnvironmentSpec,
    warnings: Arc<std::sync::Mutex<Vec<String>>>,
) -> Plan<Out> {
    let mut plan = Plan::new();
    let Some(net_spec) = spec.network.clone() else {
        return plan;
    };
    let svc = services(spec);
    {
        let env = env.clone();
        plan.part("network", &[], move |_| async move {
            network::ensure(&env, &net_spec, &svc)
                .await
                .map(Out::Network)
        });
    }
    if let Some(eks_spec) = spec.eks.clone() {
        let e = env.clone();
        plan.part("iam", &[], move |_| async move {
            iam::ensure(&e).await.map(Out::Iam)
        });
        let (e, s) = (env.clone(), eks_spec.clone());
        plan.part("eks", &["network", "iam"], move |deps| async move {
            let net = net_of(&deps)?;
            let Out::Iam(iam_state) = deps.output("iam")?.clone() else {
                return Err(deps.error("bad output", "iam"));
            };
            eks::ensure_cluster(&e, &s, &net, &iam_state)
                .await
                .map(Out::Eks)
        });
        let e = env.clone();
        plan.part("eks.oidc", &["eks"], move |deps| async move {
            let Out::Eks(c) = deps.output("eks")?.clone() else {
                return Err(deps.error("bad output", "eks"));
            };
            iam::ensure_oidc_provider(&e, &c.oidc_issuer)
                .await
                .map(Out::Oidc)
        });
        for (name, ng) in eks_spec.node_groups.clone() {
            let (e, w) = (env.clone(), warnings.clone());
            plan.part(
                node_group_part(&name),
                &["network", "iam", "eks"],
                move |deps| async move {
                    let net = net_of(&deps)?;
                    let Out::Iam(iam_state) = deps.output("iam")?.clone() else {
                        return Err(deps.error("bad output", "iam"));
                    };
                    let Out::Eks(c) = deps.output("eks")?.clone() else {
                        return Err(deps.error("bad output", "eks"));
                    };
                    match eks::ensure_node_group(&e, &name, &ng, &c, &net, &iam_state).await? {
                        NodeGroupOutcome::Ready(s) => Ok(Out::NodeGroup(s)),
                        NodeGroupOutcome::MustReplace { reasons, .. } => {
                            // Only this node group is replaced, inside the update.
                            w.lock().expect("warnings").push(format!(
                                "node group {name:?} replaced: {}",
                                reasons.join("; ")
                            ));
                            eks::replace_node_group(&e, &name, &ng, &c, &net, &iam_state)
                                .await
                                .map(Out::NodeGroup)
                        }
                    }
                },
            );
        }
    }
    if let Some(rds_spec) = spec.rds.clone() {
        let (e, s) = (env.clone(), rds_spec.clone());
        plan.part("rds", &["network"], move |deps| async move {
            let net = net_of(&deps)?;
            rds::ensure_primary(&e, &s, &net).await.map(Out::Rds)
        });
        let (e, s) = (env.clone(), rds_spec);
        plan.part("rds.replicas", &["rds"], move |deps| async move {
            let Out::Rds(p) = deps.output("rds")?.clone() else {
                return Err(deps.error("bad output", "rds"));
            };
            rds::ensure_replicas(&e, &s, &p).await.map(Out::Replicas)
        });
    }
    if let Some(cache_spec) = spec.elasticache.clone() {
        let e = env.clone();
        plan.part("elasticache", &["network"], move |deps| async move {
            let net = net_of(&deps)?;
            elasticache::ensure(&e, &cache_spec, &net)
                .await
                .map(Out::Cache)
        });
    }
    if let Some(msk_spec) = spec.msk.clone() {
        let e = env.clone();
        plan.part("msk", &["network"], move |deps| async move {
            let net = net_of(&deps)?;
            msk::ensure(&e, &msk_spec, &net).await.map(Out::Msk)
        });
    }
    plan
}

/// Deletes the given parts of `spec` in reverse dependency order (the network last).
fn delete_plan(env: &PartEnv, spec: &EnvironmentSpec, include_network: bool) -> Plan<Out> {
    let mut plan = Plan::new();
    let net_dep: &[&str] = if include_network { &["network"] } else { &[] };
    if include_network {
        let e = env.clone();
        plan.part("network", &[], move |_| async move {
            network::delete(&e).await.map(|_| Out::Deleted)
        });
    }
    if spec.eks.is_some() {
        let e = env.clone();
        plan.part("iam", &[], move |_| async move {
            iam::delete(&e).await.map(|_| Out::Deleted)
        });
        let e = env.clone();
        let deps: Vec<&str> = net_dep.iter().copied().chain(["iam"]).collect();
        plan.part("eks", &deps, move |_| async move {
            eks::delete_cluster(&e).await.map(|_| Out::Deleted)
        });
    }
    if let Some(s) = spec.rds.clone() {
        let e = env.clone();
        plan.part("rds", net_dep, move |_| async move {
            rds::delete(&e, &s).await.map(|_| Out::Deleted)
        });
    }
    if spec.elasticache.is_some() {
        let e = env.clone();
        plan.part("elasticache", net_dep, move |_| async move {
            elasticache::delete(&e).await.map(|_| Out::Deleted)
        });
    }
    if spec.msk.is_some() {
        let e = env.clone();
        plan.part("msk", net_dep, move |_| async move {
            msk::delete(&e).await.map(|_| Out::Deleted)
        });
    }
    plan.reversed()
}

/// Sets `block.attr` when the block is present.
fn set_in(state: &mut Value, block: &str, attr: &str, v: Value) {
    if let Some(b) = state.get_mut(block) {
        if matches!(b, Value::Object(_)) {
            b.set_attr(attr, v);
        }
    }
}

/// Unknown values left in a block whose part did not finish become null.
fn null_unknowns(v: &mut Value) {
    match v {
        Value::Unknown(_) => *v = Value::Null,
        Value::Object(m) | Value::Map(m) => m.values_mut().for_each(null_unknowns),
        Value::List(l) | Value::Set(l) | Value::Tuple(l) => l.iter_mut().for_each(null_unknowns),
        _ => {}
    }
}

/// Fills computed attributes from what the parts returned.
fn fill_outputs(state: &mut Value, outs: &BTreeMap<String, Out>) {
    for out in outs.values() {
        match out {
            Out::Network(n) => {
                set_in(state, "network", "vpc_id", Value::from(n.vpc_id.as_str()));
                set_in(
                    state,
                    "network",
                    "private_subnet_ids",
                    Value::string_list(n.private_subnet_ids.clone()),
                );
                set_in(
                    state,
                    "network",
                    "public_subnet_ids",
                    Value::string_list(n.public_subnet_ids.clone()),
                );
                set_in(
                    state,
                    "network",
                    "security_group_ids",
                    Value::string_map_of(&n.security_group_ids),
                );
            }
            Out::Eks(c) => {
                for (k, v) in [
                    ("arn", &c.arn),
                    ("cluster_name", &c.name),
                    ("endpoint", &c.endpoint),
                    ("certificate_authority", &c.certificate_authority),
                    ("oidc_issuer", &c.oidc_issuer),
                    ("status", &c.status),
                    ("version", &c.version),
                ] {
                    set_in(state, "eks", k, Value::from(v.as_str()));
                }
            }
            Out::Oidc(arn) => set_in(state, "eks", "oidc_provider_arn", Value::from(arn.as_str())),
            Out::Rds(r) => {
                set_in(state, "rds", "arn", Value::from(r.arn.as_str()));
                set_in(state, "rds", "endpoint", Value::from(r.endpoint.as_str()));
                set_in(state, "rds", "port", Value::int(r.port as i64));
                set_in(state, "rds", "status", Value::from(r.status.as_str()));
                set_in(
                    state,
                    "rds",
                    "engine_version",
                    Value::from(r.engine_version.as_str()),
                );
                set_in(
                    state,
                    "rds",
                    "master_user_secret_arn",
                    r.master_user_secret_arn.clone().into(),
                );
            }
            Out::Replicas(reps) => {
                set_in(
                    state,
                    "rds",
                    "reader_endpoints",
                    Value::string_list(reps.iter().map(|r| r.endpoint.clone())),
                );
            }
            Out::Cache(c) => {
                set_in(state, "elasticache", "arn", Value::from(c.arn.as_str()));
                set_in(
                    state,
                    "elasticache",
                    "primary_endpoint",
                    Value::from(c.primary_endpoint.as_str()),
                );
                set_in(
                    state,
                    "elasticache",
                    "reader_endpoint",
                    c.reader_endpoint.clone().into(),
                );
                set_in(state, "elasticache", "port", Value::int(c.port as i64));
                set_in(
                    state,
                    "elasticache",
                    "status",
                    Value::from(c.status.as_str()),
                );
                set_in(
                    state,
                    "elasticache",
                    "engine_version",
                    Value::from(c.engine_version.as_str()),
                );
            }
            Out::Msk(m) => {
                set_in(state, "msk", "arn", Value::from(m.arn.as_str()));
                set_in(
                    state,
                    "msk",
                    "bootstrap_brokers",
                    m.bootstrap_brokers.clone().into(),
                );
                set_in(
                    state,
                    "msk",
                    "bootstrap_brokers_tls",
                    m.bootstrap_brokers_tls.clone().into(),
                );
                set_in(
                    state,
                    "msk",
                    "bootstrap_brokers_iam",
                    m.bootstrap_brokers_iam.clone().into(),
                );
                set_in(state, "msk", "zookeeper_connect_string", Value::Null);
                set_in(state, "msk", "status", Value::from(m.status.as_str()));
            }
            Out::Iam(_) | Out::NodeGroup(_) | Out::Deleted => {}
        }
    }
}

fn status_word(outcome: &Outcome<Out>) -> String {
    match outcome {
        Outcome::Succeeded(_) => "ready".into(),
        Outcome::Failed { .. } => "failed".into(),
        Outcome::Skipped { because } => format!("skipped: {because} failed"),
        Outcome::Cancelled { .. } => "interrupted".into(),
        Outcome::NotStarted { .. } => "not started".into(),
    }
}

/// `part_status` as planned: every part of the configuration ready.
fn desired_status(spec: &EnvironmentSpec) -> Value {
    Value::Map(
        part_names(spec)
            .into_iter()
            .map(|p| (p, Value::from("ready")))
            .collect(),
    )
}

/// The environment as the AWS parts see it: clients, name, tags, cancellation, deadline.
pub(super) fn part_env(
    configured: &Configured,
    name: &str,
    own_tags: &BTreeMap<String, String>,
    ctx: &Context,
    deadline: Instant,
) -> Result<PartEnv, Diagnostics> {
    let aws = configured.aws()?.clone();
    let tags_all = tags::merge(&aws.settings.default_tags, own_tags);
    Ok(PartEnv {
        aws,
        name: name.to_string(),
        tags: tags_all,
        ctx: ctx.clone(),
        deadline: Some(deadline),
    })
}

impl EnvironmentResource {
    fn part_env(
        &self,
        spec: &EnvironmentSpec,
        ctx: &Context,
        deadline: Instant,
    ) -> Result<PartEnv, Diagnostics> {
        part_env(&self.configured, &spec.name, &spec.tags, ctx, deadline)
    }

    /// Runs `ensure` for every part and turns the report into the new state.
    async fn converge(
        &self,
        ctx: &Context,
        planned: &Value,
        spec: &EnvironmentSpec,
        timeout: std::time::Duration,
        creating: bool,
    ) -> ApplyResult {
        let deadline = Instant::now() + timeout;
        let env = self.part_env(spec, ctx, deadline)?;
        let warnings = Arc::new(std::sync::Mutex::new(Vec::new()));
        let plan = converge_plan(&env, spec, warnings.clone());
        let report = engine::run(plan, ctx, Some(deadline)).await.map_err(|e| {
            ApplyError::new(Diagnostic::error(
                "Invalid environment graph",
                e.to_string(),
            ))
        })?;
        let outs: BTreeMap<String, Out> = report
            .existing()
            .map(|(n, o)| (n.to_string(), o.clone()))
            .collect();
        let mut state = planned.clone();
        fill_outputs(&mut state, &outs);
        let mut status: BTreeMap<String, Value> = report
            .parts
            .iter()
            .map(|p| (p.name.clone(), Value::from(status_word(&p.outcome))))
            .collect();
        if creating && !report.is_success() {
            status.insert(INCOMPLETE_KEY.into(), Value::from(INCOMPLETE));
        }
        state.set_attr("part_status", Value::Map(status));
        null_unknowns(&mut state);
        let mut diags = Diagnostics::new();
        for w in warnings.lock().expect("warnings").iter() {
            diags.warning("Part replaced", w.clone());
        }
        for r in outs.values() {
            let (title, list) = match r {
                Out::Rds(r) => ("Change not applied in place", &r.warnings),
                // ElastiCache reports the replacement of a cache that could not change in place.
                Out::Cache(c) => ("Part replaced", &c.warnings),
                _ => continue,
            };
            for w in list {
                diags.warning(title, w.clone());
            }
        }
        log_report(&report);
        match report.failure_message() {
            None => Ok((state, diags)),
            Some(msg) => {
                let msg = if creating {
                    format!(
                        "{msg}\nTerraform marks the environment tainted; the next `terraform apply` replaces it without \
                         rebuilding: the parts that exist are kept and adopted, only the missing ones are created."
                    )
                } else {
                    msg
                };
                diags.error(format!("Environment {:?} is not complete", spec.name), msg);
                Err(ApplyError::with_state(diags, state))
            }
        }
    }

    /// Deletes the parts the prior state has and the planned one does not.
    async fn remove_dropped_parts(
        &self,
        ctx: &Context,
        prior: &EnvironmentSpec,
        planned: &EnvironmentSpec,
    ) -> Result<(), Diagnostics> {
        let mut dropped = prior.clone();
        if planned.eks.is_some() {
            dropped.eks = None;
        }
        if planned.rds.is_some() {
            dropped.rds = None;
        }
        if planned.elasticache.is_some() {
            dropped.elasticache = None;
        }
        if planned.msk.is_some() {
            dropped.msk = None;
        }
        let deadline = Instant::now() + planned.timeouts.update;
        let env = self.part_env(planned, ctx, deadline)?;
        // Node groups removed from a cluster that stays.
        if let (Some(old), Some(new)) = (&prior.eks, &planned.eks) {
            for name in old
                .node_groups
                .keys()
                .filter(|n| !new.node_groups.contains_key(*n))
            {
                eks::delete_node_group(&env, name)
                    .await
                    .map_err(part_diag)?;
            }
        }
        if dropped.eks.is_none()
            && dropped.rds.is_none()
            && dropped.elasticache.is_none()
            && dropped.msk.is_none()
        {
            return Ok(());
        }
        let report = engine::run(delete_plan(&env, &dropped, false), ctx, Some(deadline))
            .await
            .map_err(|e| {
                Diagnostics::from(Diagnostic::error(
                    "Invalid environment graph",
                    e.to_string(),
                ))
            })?;
        match report.failure_message() {
            None => Ok(()),
            Some(msg) => Err(Diagnostic::error("Removing parts failed", msg).into()),
        }
    }
}

/// A plan warning for each node group the update replaces (others are changed in place).
fn warn_node_group_replacements(
    old: &EnvironmentSpec,
    new: &EnvironmentSpec,
    diags: &mut Diagnostics,
) {
    let (Some(old), Some(new)) = (&old.eks, &new.eks) else {
        return;
    };
    for (name, want) in &new.node_groups {
        let Some(have) = old.node_groups.get(name) else {
            continue;
        };
        let reasons = eks::node_group_replace_reasons(
            &have.instance_types,
            have.capacity_type.as_str(),
            Some(have.disk_size_gb),
            want,
        );
        if !reasons.is_empty() {
            diags.warning_at(
                AttrPath::attr("eks").then("node_group").key(name),
                format!("Node group {name:?} will be replaced"),
                format!(
                    "{}. The apply deletes this node group and creates it again with the new settings (same name), so its pods must move to other node groups or wait for the new nodes. The rest of the environment is not touched.",
                    reasons.join("; ")
                ),
            );
        }
    }
}

/// A plan warning when the ElastiCache replication group is replaced inside the update.
fn warn_cache_replacement(old: &EnvironmentSpec, new: &EnvironmentSpec, diags: &mut Diagnostics) {
    let (Some(old), Some(new)) = (&old.elasticache, &new.elasticache) else {
        return;
    };
    let reasons =
        elasticache::replacement_reasons(old.at_rest_encryption, old.transit_encryption, new);
    if !reasons.is_empty() {
        diags.warning_at(
            AttrPath::attr("elasticache"),
            "The ElastiCache replication group will be replaced",
            format!(
                "{}. The apply deletes the cache and creates it again with the same name: its data is lost and clients are disconnected meanwhile. The rest of the environment is not touched.",
                reasons.join("; ")
            ),
        );
    }
}

fn part_diag(e: PartError) -> Diagnostics {
    Diagnostic::error(e.headline(), e.to_string()).into()
}

fn log_report(report: &RunReport<Out>) {
    for p in &report.parts {
        tracing::info!(part = %p.name, status = %status_word(&p.outcome), seconds = p.duration().map(|d| d.as_secs_f64()).unwrap_or(0.0), "part finished");
    }
}

/// What a read found, mapped into a state: computed values, drift on the attributes AWS
/// can change out of band, and `part_status` ("missing" for a part deleted out of band).
pub(super) fn observed_state(prior: &Value, spec: &EnvironmentSpec, found: &Found) -> Value {
    let mut state = prior.clone();
    let mut outs = BTreeMap::new();
    let mut status: BTreeMap<String, Value> = BTreeMap::new();
    let mut mark = |part: &str, s: Option<&str>| {
        let word = match s {
            None => "missing".to_string(),
            Some(s)
                if matches!(
                    s.to_ascii_lowercase().as_str(),
                    "active" | "available" | "ready"
                ) =>
            {
                "ready".into()
            }
            Some(s) => s.to_ascii_lowercase(),
        };
        status.insert(part.to_string(), Value::from(word));
    };
    if spec.network.is_some() {
        mark("network", found.network.as_ref().map(|_| "ready"));
        if let Some(n) = &found.network {
            outs.insert("network".into(), Out::Network(n.clone()));
        }
    }
    if let Some(e) = &spec.eks {
        mark("iam", found.iam.as_ref().map(|_| "ready"));
        mark("eks", found.eks.as_ref().map(|c| c.status.as_str()));
        mark("eks.oidc", found.oidc.as_ref().map(|_| "ready"));
        if let Some(c) = &found.eks {
            outs.insert("eks".into(), Out::Eks(c.clone()));
            set_in(
                &mut state,
                "eks",
                "endpoint_public_access",
                Value::Bool(c.endpoint_public_access),
            );
            set_in(
                &mut state,
                "eks",
                "endpoint_private_access",
                Value::Bool(c.endpoint_private_access),
            );
        }
        if let Some(arn) = &found.oidc {
            outs.insert("eks.oidc".into(), Out::Oidc(arn.clone()));
        }
        let mut groups = state
            .get("eks")
            .get("node_group")
            .entries()
            .cloned()
            .unwrap_or_default();
        for name in e.node_groups.keys() {
            let ng = found.node_groups.get(name).and_then(|o| o.as_ref());
            mark(&node_group_part(name), ng.map(|g| g.status.as_str()));
            if let (Some(g), Some(Value::Object(obj))) = (ng, groups.get_mut(name)) {
                obj.insert("min_size".into(), Value::int(g.min_size as i64));
                obj.insert("max_size".into(), Value::int(g.max_size as i64));
                obj.insert("desired_size".into(), Value::int(g.desired_size as i64));
                obj.insert(
                    "instance_types".into(),
                    Value::string_list(g.instance_types.clone()),
                );
                obj.insert(
                    "labels".into(),
                    if g.labels.is_empty() && obj.get("labels").is_some_and(Value::is_null) {
                        Value::Null
                    } else {
                        Value::string_map_of(&g.labels)
                    },
                );
            }
        }
        if let Some(Value::Object(eks_block)) = state.get_mut("eks") {
            if !groups.is_empty() {
                eks_block.insert("node_group".into(), Value::Map(groups));
            }
        }
    }
    if spec.rds.is_some() {
        mark("rds", found.rds.as_ref().map(|r| r.status.as_str()));
        mark("rds.replicas", found.rds.as_ref().map(|_| "ready"));
        if let Some(r) = &found.rds {
            outs.insert("rds".into(), Out::Rds(r.clone()));
            outs.insert("rds.replicas".into(), Out::Replicas(r.replicas.clone()));
            set_in(
                &mut state,
                "rds",
                "instance_class",
                Value::from(r.instance_class.as_str()),
            );
            set_in(
                &mut state,
                "rds",
                "allocated_storage_gb",
                Value::int(r.allocated_storage_gb as i64),
            );
            set_in(&mut state, "rds", "multi_az", Value::Bool(r.multi_az));
            set_in(
                &mut state,
                "rds",
                "backup_retention_days",
                Value::int(r.backup_retention_days as i64),
            );
            set_in(
                &mut state,
                "rds",
                "deletion_protection",
                Value::Bool(r.deletion_protection),
            );
            set_in(
                &mut state,
                "rds",
                "read_replicas",
                Value::int(r.replicas.len() as i64),
            );
        }
    }
    if spec.elasticache.is_some() {
        mark(
            "elasticache",
            found.cache.as_ref().map(|c| c.status.as_str()),
        );
        if let Some(c) = &found.cache {
            outs.insert("elasticache".into(), Out::Cache(c.clone()));
            set_in(
                &mut state,
                "elasticache",
                "node_type",
                Value::from(c.node_type.as_str()),
            );
            set_in(
                &mut state,
                "elasticache",
                "replicas",
                Value::int(c.replicas as i64),
            );
            set_in(
                &mut state,
                "elasticache",
                "automatic_failover",
                Value::Bool(c.automatic_failover),
            );
            set_in(
                &mut state,
                "elasticache",
                "multi_az",
                Value::Bool(c.multi_az),
            );
        }
    }
    if spec.msk.is_some() {
        mark("msk", found.msk.as_ref().map(|c| c.status.as_str()));
        if let Some(c) = &found.msk {
            outs.insert("msk".into(), Out::Msk(c.clone()));
            set_in(
                &mut state,
                "msk",
                "broker_instance_type",
                Value::from(c.broker_instance_type.as_str()),
            );
            set_in(
                &mut state,
                "msk",
                "storage_gb",
                Value::int(c.storage_gb as i64),
            );
            let azs = spec.msk_az_count().unwrap_or(1).max(1) as u32;
            set_in(
                &mut state,
                "msk",
                "brokers_per_az",
                Value::int((c.number_of_broker_nodes / azs) as i64),
            );
        }
    }
    fill_outputs(&mut state, &outs);
    state.set_attr("part_status", Value::Map(status));
    state
}

fn is_incomplete(state: &Value) -> bool {
    state
        .get("part_status")
        .entries()
        .and_then(|m| m.get(INCOMPLETE_KEY))
        .and_then(Value::as_str)
        == Some(INCOMPLETE)
}

fn spec_of(v: &Value) -> Result<EnvironmentSpec, Diagnostics> {
    spec::from_value(v)
}

#[async_trait]
impl Resource for EnvironmentResource {
    fn type_name(&self) -> &'static str {
        super::TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        guardrails::validate(config, diags);
    }

    fn modify_plan(&self, req: &mut PlanRequest<'_>) {
        spec::apply_tier_defaults(req.config, req.planned);
        let own = req.planned.get("tags").clone();
        req.planned.set_attr(
            "tags_all",
            if own.is_wholly_known() {
                Value::string_map_of(&tags::merge(
                    &self.configured.default_tags(),
                    &own.string_map(),
                ))
            } else {
                Value::unknown()
            },
        );
        let name = req.planned.get("name").clone();
        req.planned.set_attr("id", name);
        let cost = cost::planned_cost_value(req.planned);
        req.planned.set_attr("estimated_monthly_cost_usd", cost);
        // The spec only reads configuration attributes, which nothing below changes.
        let planned_spec = spec_of(req.planned).ok();
        match &planned_spec {
            Some(s) => req.planned.set_attr("part_status", desired_status(s)),
            None => req.planned.set_attr("part_status", Value::unknown()),
        }
        // A part that is missing or unhealthy is rebuilt: its outputs (endpoints, ARNs) are
        // not known until then.
        if let Some(statuses) = req.prior.get("part_status").entries() {
            for (part, status) in statuses {
                if status.as_str() == Some("ready") {
                    continue;
                }
                let block = part.split('.').next().unwrap_or_default();
                let block = if block == "iam" { "eks" } else { block };
                if let Some(nb) = self.schema.block.nested(block) {
                    for a in nb
                        .block
                        .attributes
                        .iter()
                        .filter(|a| a.computed && !a.optional)
                    {
                        set_in(req.planned, block, &a.name, Value::unknown());
                    }
                }
            }
        }
        // Outputs that an in-place change of their inputs changes (more brokers, another
        // replica) are not known until the apply.
        if !req.prior.is_null() {
            for (block, inputs, outputs) in DEPENDENT_OUTPUTS {
                let (p, n) = (req.prior.get(block), req.planned.get(block));
                if p.is_null() || n.is_null() {
                    continue;
                }
                if inputs.iter().any(|i| p.get(i) != n.get(i)) {
                    for o in *outputs {
                        set_in(req.planned, block, o, Value::unknown());
                    }
                }
            }
        }
        // A service added or removed adds or removes its security group.
        if !req.prior.is_null() {
            let present =
                |v: &Value| ["eks", "rds", "elasticache", "msk"].map(|b| v.get(b).is_null());
            if present(req.prior) != present(req.planned) {
                set_in(
                    req.planned,
                    "network",
                    "security_group_ids",
                    Value::unknown(),
                );
            }
        }
        // Node groups AWS cannot change in place are replaced inside the update: say so now.
        if let (Some(new), false) = (&planned_spec, req.prior.is_null()) {
            if let Ok(old) = spec_of(req.prior) {
                warn_node_group_replacements(&old, new, req.diags);
                warn_cache_replacement(&old, new, req.diags);
            }
        }
        // The subnet layout follows the AZ count: it cannot change in place.
        if !req.prior.is_null() {
            let (p, n) = (
                req.prior.get("network").get("az_count"),
                req.planned.get("network").get("az_count"),
            );
            if !p.is_null() && p != n {
                req.requires_replace
                    .push(AttrPath::attr("network").then("az_count"));
            }
        }
    }

    async fn create(&self, ctx: &Context, planned: &Value) -> ApplyResult {
        let spec = spec_of(planned)?;
        tracing::info!(environment = %spec.name, tier = ?spec.tier, "creating environment");
        self.converge(ctx, planned, &spec, spec.timeouts.create, true)
            .await
    }

    async fn read(&self, ctx: &Context, state: &Value) -> Result<Option<Value>, Diagnostics> {
        let spec = spec_of(state)?;
        let env = self.part_env(&spec, ctx, Instant::now() + spec.timeouts.update)?;
        let found = find(&env, &spec).await.map_err(part_diag)?;
        if found.is_empty() {
            tracing::info!(environment = %spec.name, "environment is gone");
            return Ok(None);
        }
        let mut observed = observed_state(state, &spec, &found);
        if is_incomplete(state) {
            if let Some(Value::Map(m)) = observed.get_mut("part_status") {
                m.insert(INCOMPLETE_KEY.into(), Value::from(INCOMPLETE));
            }
        }
        Ok(Some(observed))
    }

    async fn update(&self, ctx: &Context, prior: &Value, planned: &Value) -> ApplyResult {
        let (old, new) = (spec_of(prior)?, spec_of(planned)?);
        self.remove_dropped_parts(ctx, &old, &new)
            .await
            .map_err(|d| ApplyError::with_state(d, prior.clone()))?;
        self.converge(ctx, planned, &new, new.timeouts.update, false)
            .await
    }

    async fn delete(&self, ctx: &Context, prior: &Value, why: Deletion) -> Result<(), Diagnostics> {
        let spec = spec_of(prior)?;
        if is_incomplete(prior) && why == Deletion::Unplanned {
            // The delete half of Terraform's replacement of a failed create: keep the parts
            // for the create that follows. (`terraform destroy` is planned with us and
            // deletes them; only cores before 1.3, which plan no destroys, end up here for
            // it too: finish such an environment with `terraform apply` first.)
            tracing::warn!(environment = %spec.name, "environment from a failed create: parts kept for the resuming create");
            return Ok(());
        }
        let deadline = Instant::now() + spec.timeouts.delete;
        let env = self.part_env(&spec, ctx, deadline)?;
        // Refuse before any part is deleted, not only the database.
        if spec.rds.is_some() {
            let protected = rds::protected_instances(&env).await.map_err(part_diag)?;
            if !protected.is_empty() {
                let production = if spec.tier == spec::Tier::Production {
                    " Production requires deletion protection: change `tier` to `staging` in the same apply."
                } else {
                    ""
                };
                return Err(Diagnostic::error(
                    format!("Environment {:?} is protected from deletion", spec.name),
                    format!(
                        "deletion protection is on for {}, so nothing was deleted. To retire the environment, set `rds.deletion_protection = false` and apply, then destroy.{production}",
                        protected.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                    ),
                )
                .at(AttrPath::attr("rds").then("deletion_protection"))
                .into());
            }
        }
        let report = engine::run(
            delete_plan(&env, &spec, spec.network.is_some()),
            ctx,
            Some(deadline),
        )
        .await
        .map_err(|e| {
            Diagnostics::from(Diagnostic::error(
                "Invalid environment graph",
                e.to_string(),
            ))
        })?;
        log_report(&report);
        match report.failure_message() {
            None => Ok(()),
            Some(msg) => Err(Diagnostic::error(
                format!("Environment {:?} not fully deleted", spec.name),
                msg,
            )
            .into()),
        }
    }

    async fn import(&self, ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        if !schema::valid_environment_name(id) {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!("expected an environment name (the `name` it was created with, e.g. \"mosia-dev\"), got {id:?}"),
            )
            .into());
        }
        let env = part_env(
            &self.configured,
            id,
            &BTreeMap::new(),
            ctx,
            Instant::now() + spec::DEFAULT_UPDATE_TIMEOUT,
        )?;
        let found = discover::discover(&env, self.schema, &self.configured.default_tags())
            .await
            .map_err(part_diag)?;
        match found {
            Some(state) => {
                tracing::info!(environment = %id, tier = ?state.get("tier").as_str(), "environment imported");
                Ok(state)
            }
            None => Err(Diagnostic::error(
                "Cannot import: environment not found",
                format!(
                    "no AWS object in region {} carries the tag mosia:environment={id}: the environment does not exist there, or was not created by Mosia",
                    env.aws.region()
                ),
            )
            .into()),
        }
    }
}
