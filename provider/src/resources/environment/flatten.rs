//! What the parts returned, written into the resource's state: computed attributes from
//! each part's output ([`fill_outputs`]) and the words of `part_status`.

use std::collections::BTreeMap;

use mosia_tfplugin::Value;

use super::graph::{self, Out};
use super::spec::EnvironmentSpec;
use crate::aws::eks::EksClusterState;
use crate::aws::elasticache::ElastiCacheState;
use crate::aws::msk::MskState;
use crate::aws::network::NetworkState;
use crate::aws::rds::RdsState;
use crate::aws::workload::WorkloadState;
use crate::engine::Outcome;

/// `part_status` key written when a create fails part way. Terraform taints such an
/// object and replaces it on the next apply (Delete, then Create, with a null prior in
/// the plan: checked on 1.0.3, 1.11.4 and 1.15.5). Delete sees this marker and keeps the
/// parts, so the Create that follows adopts the healthy ones instead of rebuilding them.
pub const INCOMPLETE_KEY: &str = "_create";
pub const INCOMPLETE: &str = "incomplete";
/// `part_status` of a part whose changes wait for its maintenance window or a reboot.
pub const PENDING_MAINTENANCE: &str = "pending-maintenance";

/// True when the state is from a create that failed part way (see [`INCOMPLETE_KEY`]).
pub(super) fn is_incomplete(state: &Value) -> bool {
    state
        .get("part_status")
        .entries()
        .and_then(|m| m.get(INCOMPLETE_KEY))
        .and_then(Value::as_str)
        == Some(INCOMPLETE)
}

/// Sets `block.attr` when the block is present.
pub(super) fn set_in(state: &mut Value, block: &str, attr: &str, v: Value) {
    if let Some(b) = state.get_mut(block) {
        if matches!(b, Value::Object(_)) {
            b.set_attr(attr, v);
        }
    }
}

/// Unknown values left in a block whose part did not finish become null.
pub(super) fn null_unknowns(v: &mut Value) {
    match v {
        Value::Unknown(_) => *v = Value::Null,
        Value::Object(m) | Value::Map(m) => m.values_mut().for_each(null_unknowns),
        Value::List(l) | Value::Set(l) | Value::Tuple(l) => l.iter_mut().for_each(null_unknowns),
        _ => {}
    }
}

/// Fills computed attributes from what the parts returned.
pub(super) fn fill_outputs(state: &mut Value, outs: &BTreeMap<String, Out>) {
    for (key, out) in outs {
        match out {
            Out::Network(n) => fill_network(state, n),
            Out::Eks(c) => fill_eks(state, c),
            Out::Kms(k) => fill_own_key(state, &k.arn),
            Out::Oidc(arn) => set_in(state, "eks", "oidc_provider_arn", Value::from(arn.as_str())),
            Out::Rds(r) => fill_rds(state, r),
            Out::Replicas(reps) => set_in(
                state,
                "rds",
                "reader_endpoints",
                Value::string_list(reps.iter().map(|r| r.endpoint.clone())),
            ),
            Out::Cache(c) => fill_cache(state, c),
            Out::Access(a) => super::access_entries::fill_access_entry_arns(state, a),
            Out::Msk(m) => fill_msk(state, m),
            Out::Addon(a) => super::addons::fill_addon_version(state, a),
            Out::Endpoints(e) => set_in(
                state,
                "network",
                "vpc_endpoint_ids",
                Value::string_map_of(&e.endpoint_ids),
            ),
            Out::Workload(w) => fill_workload(state, key, w),
            Out::Topic(t) => state.set_attr("alert_topic_arn", Value::from(t.arn.as_str())),
            Out::Alarms(a) => state.set_attr("alarms", Value::string_map_of(a)),
            Out::Budget(b) => {
                set_in(
                    state,
                    "budget",
                    "monthly_limit_usd",
                    super::cost::usd_value(b.limit_usd),
                );
                set_in(
                    state,
                    "budget",
                    "cost_allocation_tag",
                    Value::from(b.cost_allocation_tag.as_str()),
                );
            }
            Out::Backup(b) => {
                set_in(
                    state,
                    "backup",
                    "vault_arn",
                    Value::from(b.vault_arn.as_str()),
                );
                set_in(
                    state,
                    "backup",
                    "plan_arn",
                    Value::from(b.plan_arn.as_str()),
                );
                let copy = b.copy_vault_arn.as_deref().map_or(Value::Null, Value::from);
                set_in(state, "backup", "copy_vault_arn", copy);
            }
            Out::FlowLogs(_) | Out::Iam(_) | Out::NodeGroup(_) | Out::Ingress(_) | Out::Deleted => {
            }
        }
    }
    fill_pending_changes(state, outs);
}

/// The environment's own key where the plan left it to the apply: the environment's key,
/// and the cluster's secrets key.
fn fill_own_key(state: &mut Value, arn: &str) {
    if state.get("encryption_key_arn").is_unknown() {
        state.set_attr("encryption_key_arn", Value::from(arn));
    }
    if state.get("eks").get("kms_key_arn").is_unknown() {
        set_in(state, "eks", "kms_key_arn", Value::from(arn));
    }
}

/// `pending_changes`: per part, each setting AWS holds for later, with its value and when
/// it applies (empty when nothing waits).
fn fill_pending_changes(state: &mut Value, outs: &BTreeMap<String, Out>) {
    let mut parts = BTreeMap::new();
    for (key, out) in outs {
        match out {
            Out::Rds(r) if r.has_pending_changes() => {
                parts.insert(key.clone(), Value::Map(rds_pending_changes(r)));
            }
            Out::Cache(c) if c.has_pending_changes() => {
                parts.insert(key.clone(), Value::Map(cache_pending_changes(c)));
            }
            _ => {}
        }
    }
    state.set_attr("pending_changes", Value::Map(parts));
}

fn pending_change(value: &str, applies: &str) -> Value {
    Value::object([
        ("value", Value::from(value)),
        ("applies", Value::from(applies)),
    ])
}

/// ElastiCache applies what is pending in the group's maintenance window.
fn cache_pending_changes(c: &ElastiCacheState) -> BTreeMap<String, Value> {
    let window = window_phrase(&c.maintenance_window);
    c.pending
        .iter()
        .map(|(attr, v)| (attr.clone(), pending_change(v, &window)))
        .collect()
}

/// When RDS (or ElastiCache) applies what is pending: in the maintenance window.
pub(super) fn window_phrase(window: &str) -> String {
    if window.is_empty() {
        "in the next maintenance window".to_string()
    } else {
        format!("in the maintenance window {window} (UTC)")
    }
}

fn rds_pending_changes(r: &RdsState) -> BTreeMap<String, Value> {
    let window = window_phrase(&r.maintenance_window);
    let mut changes: BTreeMap<String, Value> = r
        .pending
        .iter()
        .map(|(attr, v)| (attr.clone(), pending_change(v, &window)))
        .collect();
    if r.pending_reboot() {
        changes.insert(
            "parameters".into(),
            pending_change(
                &format!("static parameters of `{}`", r.parameter_group),
                "at the next reboot",
            ),
        );
    }
    changes
}

/// One entry of the computed `workloads` map, from the part `workload.NAME`.
fn fill_workload(state: &mut Value, key: &str, w: &WorkloadState) {
    let Some(name) = key.strip_prefix("workload.") else {
        return;
    };
    let entry = Value::object([
        ("role_arn", Value::from(w.role_arn.as_str())),
        ("role_name", Value::from(w.role_name.as_str())),
        ("namespace", Value::from(w.namespace.as_str())),
        ("service_account", Value::from(w.service_account.as_str())),
        ("identity", Value::from(w.identity.as_str())),
        ("connection", Value::string_map_of(&w.connection)),
    ]);
    let mut all = match state.get("workloads") {
        Value::Map(m) => m.clone(),
        _ => Default::default(),
    };
    all.insert(name.to_string(), entry);
    state.set_attr("workloads", Value::Map(all));
}

/// The new state of an apply: the outputs over the planned value, except that a planned
/// `eks.version` stands. Terraform requires the planned value, and the only way the
/// cluster differs after a successful apply is a newer version than configured (EKS
/// upgraded it on its own and cannot downgrade; the plan warned): the next refresh shows
/// it again.
pub(super) fn fill_applied(state: &mut Value, outs: &BTreeMap<String, Out>) {
    let planned_version = state.get("eks").get("version").clone();
    fill_outputs(state, outs);
    if planned_version.as_str().is_some() {
        set_in(state, "eks", "version", planned_version);
    }
}

/// Sets each `(attr, value)` of `block`.
fn set_all(
    state: &mut Value,
    block: &str,
    values: impl IntoIterator<Item = (&'static str, Value)>,
) {
    for (attr, v) in values {
        set_in(state, block, attr, v);
    }
}

fn fill_network(state: &mut Value, n: &NetworkState) {
    set_all(
        state,
        "network",
        [
            ("vpc_id", Value::from(n.vpc_id.as_str())),
            (
                "private_subnet_ids",
                Value::string_list(n.private_subnet_ids.clone()),
            ),
            (
                "public_subnet_ids",
                Value::string_list(n.public_subnet_ids.clone()),
            ),
            (
                "security_group_ids",
                Value::string_map_of(&n.security_group_ids),
            ),
        ],
    );
}

fn fill_eks(state: &mut Value, c: &EksClusterState) {
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
    for (k, v) in crate::aws::eks::cluster_outputs(c) {
        set_in(state, "eks", k, v.into());
    }
}

fn fill_rds(state: &mut Value, r: &RdsState) {
    set_all(
        state,
        "rds",
        [
            ("arn", Value::from(r.arn.as_str())),
            ("kms_key_arn", r.kms_key_arn.clone().into()),
            ("endpoint", Value::from(r.endpoint.as_str())),
            ("port", Value::int(r.port as i64)),
            ("status", Value::from(r.status.as_str())),
            ("engine_version", Value::from(r.engine_version.as_str())),
            (
                "master_user_secret_arn",
                r.master_user_secret_arn.clone().into(),
            ),
            ("retired_instances", retired_value(r)),
        ],
    );
}

/// `rds.retired_instances`: the old primaries blue/green upgrades left.
pub(super) fn retired_value(r: &RdsState) -> Value {
    Value::List(
        r.retired
            .iter()
            .map(|o| {
                Value::object([
                    ("identifier", Value::from(o.identifier.as_str())),
                    ("engine_version", Value::from(o.engine_version.as_str())),
                    ("delete_after", Value::from(o.delete_after.as_str())),
                ])
            })
            .collect(),
    )
}

fn fill_cache(state: &mut Value, c: &ElastiCacheState) {
    set_all(
        state,
        "elasticache",
        [
            ("arn", Value::from(c.arn.as_str())),
            ("kms_key_arn", c.kms_key_arn.clone().into()),
            ("primary_endpoint", Value::from(c.primary_endpoint.as_str())),
            ("reader_endpoint", c.reader_endpoint.clone().into()),
            ("port", Value::int(c.port as i64)),
            ("status", Value::from(c.status.as_str())),
            ("engine_version", Value::from(c.engine_version.as_str())),
        ],
    );
}

fn fill_msk(state: &mut Value, m: &MskState) {
    set_all(
        state,
        "msk",
        [
            ("arn", Value::from(m.arn.as_str())),
            ("kms_key_arn", m.kms_key_arn.clone().into()),
            ("bootstrap_brokers", m.bootstrap_brokers.clone().into()),
            (
                "bootstrap_brokers_tls",
                m.bootstrap_brokers_tls.clone().into(),
            ),
            (
                "bootstrap_brokers_iam",
                m.bootstrap_brokers_iam.clone().into(),
            ),
            (
                "bootstrap_brokers_scram",
                m.bootstrap_brokers_scram.clone().into(),
            ),
            ("zookeeper_connect_string", Value::Null),
            ("status", Value::from(m.status.as_str())),
            (
                "configuration_arn",
                m.configuration.as_ref().map(|c| c.arn.clone()).into(),
            ),
            (
                "configuration_revision",
                m.configuration
                    .as_ref()
                    .map_or(Value::Null, |c| Value::int(c.revision)),
            ),
            (
                "server_properties",
                Value::string_map_of(&m.server_properties),
            ),
        ],
    );
}

/// The `part_status` word for how a part's run ended.
pub(super) fn status_word(outcome: &Outcome<Out>) -> String {
    match outcome {
        Outcome::Succeeded(Out::Addon(a)) => a.part_status(),
        Outcome::Succeeded(Out::Rds(r)) if r.has_pending_changes() => PENDING_MAINTENANCE.into(),
        Outcome::Succeeded(Out::Cache(c)) if c.has_pending_changes() => PENDING_MAINTENANCE.into(),
        Outcome::Succeeded(_) => "ready".into(),
        Outcome::Failed { .. } => "failed".into(),
        Outcome::Skipped { because } => format!("skipped: {because} failed"),
        Outcome::Cancelled { .. } => "interrupted".into(),
        Outcome::NotStarted { .. } => "not started".into(),
    }
}

/// The `part_status` word for a status AWS reports ("missing" when the part is gone).
pub(super) fn observed_word(status: Option<&str>) -> String {
    match status {
        None => "missing".to_string(),
        Some(s) => match s.to_ascii_lowercase() {
            s if matches!(s.as_str(), "active" | "available" | "ready") => "ready".into(),
            s => s,
        },
    }
}

/// `part_status` as planned: every part of the configuration ready (an add-on that needs
/// nodes, without node groups: degraded).
pub(super) fn desired_status(spec: &EnvironmentSpec) -> Value {
    Value::Map(
        graph::part_ids(spec)
            .into_iter()
            .map(|p| {
                let word = super::addons::planned_status(spec, &p);
                (p.to_string(), Value::from(word))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::PartError;
    use crate::resources::environment::testing::{config, everything, plan, states};

    fn outs(list: Vec<(&str, Out)>) -> BTreeMap<String, Out> {
        list.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }

    #[test]
    fn outputs_fill_the_computed_attributes_of_their_block() {
        let mut state = plan(&Value::Null, &config(everything("dev"))).value;
        fill_outputs(
            &mut state,
            &outs(vec![
                ("network", Out::Network(states::network())),
                ("eks", Out::Eks(states::cluster())),
                (
                    "eks.oidc",
                    Out::Oidc("arn:aws:iam::1:oidc-provider/x".into()),
                ),
                ("rds", Out::Rds(states::rds(2))),
                ("rds.replicas", Out::Replicas(states::rds(2).replicas)),
                ("msk", Out::Msk(states::msk(2))),
            ]),
        );
        let net = state.get("network");
        assert_eq!(net.get("vpc_id"), &Value::from("vpc-0123abcd"));
        assert_eq!(
            net.get("private_subnet_ids"),
            &Value::string_list(["subnet-0000000a".to_string(), "subnet-0000000b".to_string()])
        );
        assert_eq!(
            net.get("security_group_ids")
                .string_map()
                .get("rds")
                .map(String::as_str),
            Some("sg-000000d1")
        );
        let eks = state.get("eks");
        assert_eq!(eks.get("cluster_name"), &Value::from("mosia-test"));
        assert_eq!(
            eks.get("oidc_provider_arn"),
            &Value::from("arn:aws:iam::1:oidc-provider/x")
        );
        let rds = state.get("rds");
        assert_eq!(rds.get("port"), &Value::int(5432));
        assert_eq!(rds.get("endpoint"), &Value::from("mosia-test-db.example"));
        assert_eq!(rds.get("reader_endpoints").elements().len(), 2);
        let msk = state.get("msk");
        assert_eq!(
            msk.get("bootstrap_brokers"),
            &Value::Null,
            "no plaintext listener"
        );
        assert_eq!(
            msk.get("bootstrap_brokers_tls"),
            &Value::from("b-1.example:9094")
        );
        assert_eq!(msk.get("zookeeper_connect_string"), &Value::Null);
        // ElastiCache did not finish: its outputs stay unknown until `null_unknowns`.
        assert!(state.get("elasticache").get("arn").is_unknown());
        null_unknowns(&mut state);
        assert!(state.get("elasticache").get("arn").is_null());
    }

    #[test]
    fn an_apply_keeps_the_planned_version_of_a_cluster_eks_upgraded_on_its_own() {
        let mut j = everything("dev");
        j["eks"]["version"] = serde_json::json!("1.31");
        let mut newer = states::cluster();
        newer.version = "1.32".into();
        let eks = outs(vec![("eks", Out::Eks(newer))]);
        let mut applied = plan(&Value::Null, &config(j.clone())).value;
        fill_applied(&mut applied, &eks);
        assert_eq!(applied.get("eks").get("version"), &Value::from("1.31"));
        // A refresh reports what runs, so that the next plan can warn about it.
        let mut refreshed = plan(&Value::Null, &config(j)).value;
        fill_outputs(&mut refreshed, &eks);
        assert_eq!(refreshed.get("eks").get("version"), &Value::from("1.32"));
    }

    #[test]
    fn outputs_of_a_block_not_configured_are_dropped() {
        let mut j = everything("dev");
        j.as_object_mut().unwrap().remove("elasticache");
        let mut state = config(j);
        fill_outputs(
            &mut state,
            &outs(vec![("elasticache", Out::Cache(states::cache()))]),
        );
        assert!(state.get("elasticache").is_null());
    }

    #[test]
    fn status_words() {
        let failed = PartError::new("rds", "creating", "boom");
        assert_eq!(status_word(&Outcome::Succeeded(Out::Deleted)), "ready");
        assert_eq!(
            status_word(&Outcome::Failed {
                error: failed,
                partial: None
            }),
            "failed"
        );
        assert_eq!(
            status_word(&Outcome::Skipped {
                because: "network".into()
            }),
            "skipped: network failed"
        );
        assert_eq!(observed_word(Some("ACTIVE")), "ready");
        assert_eq!(observed_word(Some("available")), "ready");
        assert_eq!(observed_word(Some("MODIFYING")), "modifying");
        assert_eq!(observed_word(None), "missing");
    }

    #[test]
    fn incomplete_marker() {
        let mut state = plan(&Value::Null, &config(everything("dev"))).value;
        assert!(!is_incomplete(&state));
        if let Some(Value::Map(m)) = state.get_mut("part_status") {
            m.insert(INCOMPLETE_KEY.into(), Value::from(INCOMPLETE));
        }
        assert!(is_incomplete(&state));
    }
}
