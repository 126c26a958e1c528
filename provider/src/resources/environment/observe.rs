//! What a read found, mapped into a state ([`observed_state`]): computed values, drift on
//! the attributes AWS can change out of band, and `part_status` ("missing" for a part
//! deleted out of band), and the cost estimate of what runs. Refresh and import both use it.

use std::collections::BTreeMap;

use mosia_tfplugin::Value;

use super::access_entries::observe_access_entries;
use super::cost;
use super::discover::Found;
use super::flatten::{fill_outputs, observed_word, set_in, PENDING_MAINTENANCE};
use super::graph::Out;
use super::spec::EnvironmentSpec;
use crate::aws::elasticache::{self, CacheAuthentication, ElastiCacheSpec, ElastiCacheState};
use crate::aws::part::PartId;

mod node_group;
use crate::aws::version::major_minor;
pub(super) use node_group::node_group_settings;
use node_group::{observe_node_group, REPLACING};

mod eks_cluster;
pub(super) use eks_cluster::cluster_settings;

/// What the read found, gathered part by part.
#[derive(Default)]
struct Observed {
    outs: BTreeMap<String, Out>,
    status: BTreeMap<String, Value>,
}

impl Observed {
    fn mark(&mut self, part: PartId, status: Option<&str>) {
        self.status
            .insert(part.to_string(), Value::from(observed_word(status)));
    }

    fn out(&mut self, part: PartId, out: Out) {
        self.outs.insert(part.to_string(), out);
    }
}

/// `prior` with what `found` says exists now.
pub(super) fn observed_state(prior: &Value, spec: &EnvironmentSpec, found: &Found) -> Value {
    let mut state = prior.clone();
    let mut o = Observed::default();
    if spec.network.is_some() {
        o.mark(PartId::Network, found.network.as_ref().map(|_| "ready"));
        observe_endpoints(spec, found, &mut o);
        if let Some(n) = &found.network {
            o.out(PartId::Network, Out::Network(n.clone()));
        }
    }
    if spec.eks.is_some() {
        observe_eks(&mut state, spec, found, &mut o);
    }
    if spec.rds.is_some() {
        observe_rds(&mut state, found, &mut o);
    }
    if let Some(cache) = &spec.elasticache {
        observe_cache(&mut state, cache, found, &mut o);
    }
    if spec.msk.is_some() {
        observe_msk(&mut state, spec, found, &mut o);
    }
    // The key serves the data services too: it is observed with or without a cluster.
    if spec.has_own_key() {
        o.mark(
            PartId::Kms,
            eks_cluster::key_status(found.kms.as_ref()).as_deref(),
        );
        if let Some(k) = &found.kms {
            o.out(PartId::Kms, Out::Kms(k.clone()));
        }
    }
    observe_workloads(spec, found, &mut o);
    observe_monitoring(&mut state, spec, found, &mut o);
    fill_outputs(&mut state, &o.outs);
    state.set_attr("part_status", Value::Map(o.status));
    // The estimate of what runs now: a size AWS changed by itself (storage autoscaling) is
    // priced as it is, so the next plan has nothing to re-estimate.
    let cost = cost::planned_cost_value(&state);
    state.set_attr("estimated_monthly_cost_usd", cost);
    state
}

/// The alert topic (missing or ready) and the alarms: `drifted` when one of the set is
/// missing (the state shows the alarms that exist, so the next plan puts the rest back).
fn observe_monitoring(state: &mut Value, spec: &EnvironmentSpec, found: &Found, o: &mut Observed) {
    let m = &found.monitoring;
    if spec.network.is_none() {
        state.set_attr("alarms", Value::Map(Default::default()));
        return;
    }
    if spec.monitoring.own_topic() {
        o.mark(PartId::AlertTopic, m.topic.as_ref().map(|_| "ready"));
        let arn = m.topic.as_deref().map_or(Value::Null, Value::from);
        state.set_attr("alert_topic_arn", arn);
    }
    if !spec.monitoring.alarms {
        state.set_attr("alarms", Value::Map(Default::default()));
    }
    if let Some(alarms) = m.alarms.as_ref().filter(|_| spec.monitoring.alarms) {
        let complete = super::graph::planned_alarm_names(spec)
            .iter()
            .all(|n| alarms.contains_key(n));
        o.mark(
            PartId::Alarms,
            Some(if complete { "ready" } else { "drifted" }),
        );
        state.set_attr("alarms", Value::string_map_of(alarms));
    }
    if super::graph::has_backup(spec) {
        o.mark(PartId::Backup, m.backup.as_ref().map(|_| "ready"));
        if let Some(b) = &m.backup {
            o.out(PartId::Backup, Out::Backup(b.clone()));
        }
    }
    if let Some(exists) = m.flow_logs {
        o.mark(PartId::FlowLogs, exists.then_some("ready"));
    }
    if spec.monitoring.budget.is_some() {
        o.mark(PartId::Budget, m.budget_limit.map(|_| "ready"));
        if let Some(limit) = m.budget_limit {
            set_in(state, "budget", "monthly_limit_usd", cost::usd_value(limit));
        }
        if let Some(tag) = &m.cost_allocation_tag {
            set_in(
                state,
                "budget",
                "cost_allocation_tag",
                Value::from(tag.as_str()),
            );
        }
    }
}

/// The VPC endpoints: `drifted` when one requested is missing or one not requested exists.
fn observe_endpoints(spec: &EnvironmentSpec, found: &Found, o: &mut Observed) {
    let Some(e) = found.endpoints.as_ref().filter(|_| found.network.is_some()) else {
        o.mark(PartId::NetworkEndpoints, None);
        return;
    };
    let have: Vec<&String> = e.endpoint_ids.keys().collect();
    let mut want: Vec<&String> = spec.network_access.vpc_endpoints.iter().collect();
    want.sort();
    let status = if have == want { "ready" } else { "drifted" };
    o.mark(PartId::NetworkEndpoints, Some(status));
    o.out(PartId::NetworkEndpoints, Out::Endpoints(e.clone()));
}

/// Each workload: `missing` without its role, `drifted` when its trust, policies or
/// association differ from the configuration (the next apply restores them).
fn observe_workloads(spec: &EnvironmentSpec, found: &Found, o: &mut Observed) {
    if spec.eks.is_none() {
        return;
    }
    o.mark(PartId::Workloads, Some("ready"));
    let ingress = found
        .cluster_ingress
        .map(|d| if d { "drifted" } else { "ready" });
    o.mark(PartId::ClusterIngress, ingress);
    for (name, w) in &found.workloads {
        let status = w
            .as_ref()
            .map(|w| if w.drifted { "drifted" } else { "ready" });
        o.mark(PartId::Workload(name.clone()), status);
        if let Some(w) = w {
            o.out(PartId::Workload(name.clone()), Out::Workload(w.clone()));
        }
    }
}

fn observe_eks(state: &mut Value, spec: &EnvironmentSpec, found: &Found, o: &mut Observed) {
    o.mark(PartId::Iam, found.iam.as_ref().map(|_| "ready"));
    o.mark(
        PartId::EksCluster,
        found.eks.as_ref().map(|c| c.status.as_str()),
    );
    o.mark(PartId::EksOidc, found.oidc.as_ref().map(|_| "ready"));
    if let Some(c) = &found.eks {
        o.out(PartId::EksCluster, Out::Eks(c.clone()));
        set_in(
            state,
            "eks",
            "endpoint_public_access",
            Value::Bool(c.endpoint_public_access),
        );
        set_in(
            state,
            "eks",
            "endpoint_private_access",
            Value::Bool(c.endpoint_private_access),
        );
        eks_cluster::observe_cluster_settings(state, c);
    }
    if let Some(arn) = &found.oidc {
        o.out(PartId::EksOidc, Out::Oidc(arn.clone()));
    }
    o.mark(PartId::EksAccess, found.access.as_ref().map(|_| "ready"));
    if let Some(a) = &found.access {
        observe_access_entries(state, a);
        o.out(PartId::EksAccess, Out::Access(a.clone()));
    }
    let version = found.eks.as_ref().map(|c| c.version.as_str());
    for (part, word) in super::addons::observe_addons(state, spec, &found.addons, version) {
        o.mark(part, word.as_deref());
    }
    let mut groups = state
        .get("eks")
        .get("node_group")
        .entries()
        .cloned()
        .unwrap_or_default();
    let cluster_version = found.eks.as_ref().map(|c| c.version.as_str());
    for name in spec.eks.iter().flat_map(|e| e.node_groups.keys()) {
        let ng = found.node_groups.get(name).and_then(|g| g.as_ref());
        // Behind its cluster (EKS upgraded the control plane on its own): the next apply
        // brings it up, so the plan must not be empty.
        let behind = ng.is_some_and(|g| lags(&g.version, cluster_version));
        o.mark(
            PartId::NodeGroup(name.clone()),
            ng.map(|g| match () {
                _ if behind => OUTDATED,
                _ if !g.others.is_empty() => REPLACING,
                _ => g.status.as_str(),
            }),
        );
        if let (Some(g), Some(Value::Object(obj))) = (ng, groups.get_mut(name)) {
            let configured = spec.eks.as_ref().and_then(|e| e.node_groups.get(name));
            observe_node_group(obj, g, configured);
        }
    }
    if let Some(Value::Object(eks_block)) = state.get_mut("eks") {
        if !groups.is_empty() {
            eks_block.insert("node_group".into(), Value::Map(groups));
        }
    }
}

/// The `part_status` of a node group running an older Kubernetes minor than its cluster.
pub(super) const OUTDATED: &str = "outdated";

/// True when a node group at `have` runs an older minor than its cluster (at `cluster`).
fn lags(have: &str, cluster: Option<&str>) -> bool {
    let (Some(h), Some(c)) = (major_minor(have), cluster.and_then(major_minor)) else {
        return false;
    };
    h.0 == c.0 && h.1 < c.1
}

fn observe_rds(state: &mut Value, found: &Found, o: &mut Observed) {
    // Changes held for the window count as reached (the state shows the pending values).
    let status = found.rds.as_ref().map(|r| {
        if r.status == "available" && r.has_pending_changes() {
            PENDING_MAINTENANCE
        } else {
            r.status.as_str()
        }
    });
    o.mark(PartId::RdsPrimary, status);
    o.mark(PartId::RdsReplicas, found.rds.as_ref().map(|_| "ready"));
    let Some(r) = &found.rds else { return };
    o.out(PartId::RdsPrimary, Out::Rds(r.clone()));
    o.out(PartId::RdsReplicas, Out::Replicas(r.replicas.clone()));
    for (attr, v) in [
        ("instance_class", Value::from(r.instance_class.as_str())),
        (
            "allocated_storage_gb",
            Value::int(r.allocated_storage_gb as i64),
        ),
        ("multi_az", Value::Bool(r.multi_az)),
        (
            "backup_retention_days",
            Value::int(r.backup_retention_days as i64),
        ),
        ("deletion_protection", Value::Bool(r.deletion_protection)),
        ("read_replicas", Value::int(r.replicas.len() as i64)),
        (
            "iam_database_authentication",
            Value::Bool(r.iam_database_authentication),
        ),
        ("maintenance_window", window_value(&r.maintenance_window)),
        ("backup_window", window_value(&r.backup_window)),
        (
            "auto_minor_version_upgrade",
            Value::Bool(r.auto_minor_version_upgrade),
        ),
    ] {
        set_in(state, "rds", attr, v);
    }
}

/// A window as AWS reports it; null when it reports none (the configuration's then stands).
pub(super) fn window_value(w: &str) -> Value {
    if w.is_empty() {
        Value::Null
    } else {
        Value::from(w)
    }
}

fn observe_cache(state: &mut Value, spec: &ElastiCacheSpec, found: &Found, o: &mut Observed) {
    let status = found.cache.as_ref().map(|c| {
        if c.status == "available" && (cache_users_drifted(spec, c) || token_secret_lost(spec, c)) {
            "drifted"
        } else if c.status == "available" && c.has_pending_changes() {
            PENDING_MAINTENANCE
        } else {
            c.status.as_str()
        }
    });
    o.mark(PartId::ElastiCache, status);
    let Some(c) = &found.cache else { return };
    // The parameters its own group holds (none with ElastiCache's default group).
    let parameters = c
        .parameters
        .as_ref()
        .map_or(Value::Null, Value::string_map_of);
    set_in(state, "elasticache", "parameters", parameters);
    let authentication = if !c.user_group_ids.is_empty() {
        CacheAuthentication::Iam
    } else if c.auth_token_enabled {
        CacheAuthentication::Token
    } else {
        CacheAuthentication::None
    };
    set_in(
        state,
        "elasticache",
        "authentication",
        Value::from(authentication.as_str()),
    );
    o.out(PartId::ElastiCache, Out::Cache(c.clone()));
    for (attr, v) in [
        ("node_type", Value::from(c.node_type.as_str())),
        ("replicas", Value::int(c.replicas as i64)),
        ("automatic_failover", Value::Bool(c.automatic_failover)),
        ("multi_az", Value::Bool(c.multi_az)),
        ("maintenance_window", window_value(&c.maintenance_window)),
    ] {
        set_in(state, "elasticache", attr, v);
    }
    let days = Value::int(c.snapshot_retention_days as i64);
    set_in(state, "backup", "cache_snapshot_retention_days", days);
}

/// Whether a cache that takes an AUTH token lost the secret holding it (deleted by hand):
/// nobody can read the token any more, and the next apply rotates the cache to a new one.
fn token_secret_lost(spec: &ElastiCacheSpec, c: &ElastiCacheState) -> bool {
    spec.authentication == CacheAuthentication::Token
        && c.auth_token_enabled
        && c.auth_secret_arn.is_none()
}

/// Whether the cache's IAM users differ from the workloads': one missing, out of the user
/// group, with another access string, or one left over (the next apply restores them).
fn cache_users_drifted(spec: &ElastiCacheSpec, c: &ElastiCacheState) -> bool {
    if spec.authentication != CacheAuthentication::Iam || c.user_group_ids.is_empty() {
        return false;
    }
    let want: BTreeMap<&String, &str> = spec
        .users
        .iter()
        .map(|(w, a)| (w, elasticache::access_string(*a)))
        .collect();
    let have: BTreeMap<&String, &str> = c
        .users
        .iter()
        .filter(|(_, u)| u.in_group)
        .map(|(w, u)| (w, u.access_string.as_str()))
        .collect();
    want != have
}

fn observe_msk(state: &mut Value, spec: &EnvironmentSpec, found: &Found, o: &mut Observed) {
    o.mark(PartId::Msk, found.msk.as_ref().map(|c| c.status.as_str()));
    let Some(c) = &found.msk else { return };
    o.out(PartId::Msk, Out::Msk(c.clone()));
    let azs = spec.msk_az_count().unwrap_or(1).max(1) as u32;
    for (attr, v) in [
        (
            "broker_instance_type",
            Value::from(c.broker_instance_type.as_str()),
        ),
        ("storage_gb", Value::int(c.storage_gb as i64)),
        (
            "storage_autoscaling_max_gb",
            c.storage_autoscaling_max_gb
                .map_or(Value::Null, |m| Value::int(m as i64)),
        ),
        (
            "brokers_per_az",
            Value::int((c.number_of_broker_nodes / azs) as i64),
        ),
    ] {
        set_in(state, "msk", attr, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::environment::spec;
    use crate::resources::environment::testing::{config, created, everything, states};

    fn prior() -> (Value, EnvironmentSpec) {
        let state = created(&config(everything("dev")), &[]);
        let spec = spec::from_value(&state).expect("valid spec");
        (state, spec)
    }

    fn status(state: &Value) -> BTreeMap<String, String> {
        state
            .get("part_status")
            .entries()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect()
    }

    fn everything_found() -> Found {
        Found {
            network: Some(states::network()),
            iam: None,
            eks: Some(states::cluster()),
            oidc: Some("arn:aws:iam::1:oidc-provider/x".into()),
            node_groups: BTreeMap::from([(
                "general".to_string(),
                Some(states::node_group("DEGRADED")),
            )]),
            addons: crate::aws::eks::DEFAULT_ADDONS
                .iter()
                .map(|a| {
                    let found = crate::aws::eks::AddonState {
                        name: a.to_string(),
                        version: "v1.0.0-eksbuild.1".into(),
                        status: "ACTIVE".into(),
                        ..Default::default()
                    };
                    (a.to_string(), Some(found))
                })
                .collect(),
            rds: Some(states::rds(1)),
            cache: Some(states::cache()),
            msk: Some(states::msk(4)),
            access: Some(Default::default()),
            cluster_ingress: Some(false),
            endpoints: Some(crate::aws::network::EndpointsState {
                endpoint_ids: BTreeMap::from([("s3".to_string(), "vpce-1".to_string())]),
                security_group_id: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn drift_is_read_back_into_the_configuration_attributes() {
        let (prior, spec) = prior();
        let state = observed_state(&prior, &spec, &everything_found());
        let ng = state.get("eks").get("node_group").entries().unwrap()["general"].clone();
        assert_eq!(ng.get("desired_size"), &Value::int(4));
        assert_eq!(
            ng.get("instance_types"),
            &Value::string_list(["m5.large".to_string()])
        );
        assert!(ng.get("labels").is_null(), "no labels stays null");
        let rds = state.get("rds");
        assert_eq!(rds.get("instance_class"), &Value::from("db.t4g.large"));
        assert_eq!(rds.get("read_replicas"), &Value::int(1));
        assert_eq!(rds.get("reader_endpoints").elements().len(), 1);
        assert_eq!(state.get("elasticache").get("replicas"), &Value::int(2));
        assert_eq!(
            state.get("eks").get("endpoint_public_access"),
            &Value::Bool(false)
        );
        // Two AZs: 4 brokers are 2 per AZ.
        assert_eq!(state.get("msk").get("brokers_per_az"), &Value::int(2));
        assert_eq!(
            state.get("network").get("vpc_id"),
            &Value::from("vpc-0123abcd")
        );
    }

    #[test]
    fn the_environments_key_is_observed_without_a_cluster() {
        let (prior, mut spec) = prior();
        spec.eks = None;
        spec.encryption.customer_managed = true;
        let state = observed_state(&prior, &spec, &everything_found());
        assert_eq!(status(&state)["kms"], "missing", "read, not dropped");
    }

    #[test]
    fn part_status_says_what_is_missing_or_not_ready() {
        let (prior, spec) = prior();
        let mut found = everything_found();
        found.rds = None;
        let state = observed_state(&prior, &spec, &found);
        let s = status(&state);
        assert_eq!(s["network"], "ready");
        assert_eq!(s["eks"], "ready", "ACTIVE is ready");
        assert_eq!(s["iam"], "missing");
        assert_eq!(s["eks.node_group.general"], "degraded");
        assert_eq!(s["elasticache"], "modifying");
        assert_eq!(s["rds"], "missing");
        assert_eq!(s["rds.replicas"], "missing");
        assert_eq!(s["eks.access"], "ready");
        assert_eq!(s["eks.addon.coredns"], "ready");
        assert_eq!(s["network.cluster_ingress"], "ready");
        assert_eq!(s["network.endpoints"], "ready");
        assert_eq!(s["workloads"], "ready");
        assert_eq!(s.len(), 18, "13 parts and 5 add-ons");
        // A missing part's attributes keep their prior values.
        assert_eq!(state.get("rds"), prior.get("rds"));

        found.node_groups.insert("general".into(), None);
        found.cluster_ingress = Some(true);
        found.endpoints = Some(Default::default());
        let s = status(&observed_state(&prior, &spec, &found));
        assert_eq!(s["eks.node_group.general"], "missing");
        assert_eq!(
            s["network.cluster_ingress"], "drifted",
            "a rule changed by hand"
        );
        assert_eq!(
            s["network.endpoints"], "drifted",
            "the s3 endpoint deleted by hand"
        );
    }

    #[test]
    fn a_node_group_behind_a_cluster_eks_upgraded_is_outdated_and_planned_ready() {
        // An environment of a network and EKS whose node group matches what runs.
        let cfg = config(serde_json::json!({
            "name": "mosia-test", "tier": "dev", "tags": { "team": "platform" },
            "network": {},
            "eks": { "version": "1.31", "endpoint_public_access": false, "node_group": { "general": {
                "instance_types": ["m5.large"], "min_size": 1, "max_size": 5, "desired_size": 4,
            } } },
        }));
        let prior = created(&cfg, &[]);
        let spec = spec::from_value(&prior).expect("valid spec");
        let mut cluster = states::cluster();
        cluster.version = "1.32".into();
        let found = Found {
            network: Some(states::network()),
            iam: Some(crate::aws::iam::IamState {
                cluster_role_arn: "arn:aws:iam::1:role/c".into(),
                node_role_arn: "arn:aws:iam::1:role/n".into(),
                cluster_role_policies: vec![],
                node_role_policies: vec![],
                ..Default::default()
            }),
            eks: Some(cluster),
            oidc: Some("arn:aws:iam::1:oidc-provider/x".into()),
            node_groups: BTreeMap::from([(
                "general".to_string(),
                Some(states::node_group("ACTIVE")),
            )]),
            ..everything_found()
        };
        let refreshed = observed_state(&prior, &spec, &found);
        assert_eq!(status(&refreshed)["eks.node_group.general"], OUTDATED);
        assert_eq!(refreshed.get("eks").get("version"), &Value::from("1.32"));
        // The next plan keeps 1.32 and brings the node group up: not empty, nothing rebuilt.
        let p = crate::resources::environment::testing::plan(&refreshed, &cfg);
        assert!(
            p.replace.is_empty() && !p.diags.has_errors(),
            "{:?}",
            p.diags
        );
        let status_planned =
            &p.value.get("part_status").entries().unwrap()["eks.node_group.general"];
        assert_eq!(
            status_planned,
            &Value::from("ready"),
            "the apply upgrades the node group"
        );
        // The add-ons follow the control plane too: their versions are not known until then.
        assert!(!p.value.get("eks").get("addon_versions").is_known());
        let mut unchanged = p.value.clone();
        unchanged.set_attr("part_status", refreshed.get("part_status").clone());
        let versions = refreshed.get("eks").get("addon_versions").clone();
        unchanged
            .get_mut("eks")
            .unwrap()
            .set_attr("addon_versions", versions);
        assert_eq!(
            unchanged, refreshed,
            "only the node group's and add-ons' status change"
        );
    }

    /// A dev environment whose node group `general` is `attrs` (on m5.large, 1..5).
    fn with_node_group(attrs: serde_json::Value) -> (Value, Value, EnvironmentSpec) {
        let mut group = serde_json::json!({
            "instance_types": ["m5.large"], "min_size": 1, "max_size": 5, "desired_size": 2,
        });
        group
            .as_object_mut()
            .unwrap()
            .extend(attrs.as_object().unwrap().clone());
        let cfg = config(serde_json::json!({
            "name": "mosia-test", "tier": "dev", "tags": { "team": "platform" },
            "network": {},
            "eks": { "version": "1.31", "endpoint_public_access": false,
                     "node_group": { "general": group } },
        }));
        let prior = created(&cfg, &[]);
        let spec = spec::from_value(&prior).expect("valid spec");
        (cfg, prior, spec)
    }

    fn found_group(g: NodeGroupState) -> Found {
        Found {
            node_groups: BTreeMap::from([("general".to_string(), Some(g))]),
            ..everything_found()
        }
    }

    fn general(state: &Value) -> Value {
        state.get("eks").get("node_group").entries().unwrap()["general"].clone()
    }

    use crate::aws::eks::{NodeGroupState, Taint, TaintEffect};

    #[test]
    fn an_autoscalers_desired_size_is_not_drift_with_external_scaling() {
        let (_, prior, spec) = with_node_group(serde_json::json!({ "scaling": "external" }));
        let mut g = states::node_group("ACTIVE");
        g.desired_size = 4; // states::node_group runs 1..5
        let state = observed_state(&prior, &spec, &found_group(g.clone()));
        assert_eq!(general(&state).get("desired_size"), &Value::int(2));

        let (_, prior, spec) = with_node_group(serde_json::json!({}));
        let state = observed_state(&prior, &spec, &found_group(g));
        assert_eq!(
            general(&state).get("desired_size"),
            &Value::int(4),
            "managed: drift"
        );
    }

    #[test]
    fn taints_drift_but_not_their_order() {
        let taints = serde_json::json!([
            { "key": "b", "value": null, "effect": "NO_EXECUTE" },
            { "key": "a", "value": "1", "effect": "NO_SCHEDULE" },
        ]);
        let (_, prior, spec) = with_node_group(serde_json::json!({ "taints": taints }));
        let mut g = states::node_group("ACTIVE");
        g.taints = vec![
            Taint {
                key: "a".into(),
                value: Some("1".into()),
                effect: TaintEffect::NoSchedule,
            },
            Taint {
                key: "b".into(),
                value: None,
                effect: TaintEffect::NoExecute,
            },
        ];
        let same = observed_state(&prior, &spec, &found_group(g.clone()));
        assert_eq!(general(&same).get("taints"), general(&prior).get("taints"));
        g.taints.pop();
        let drifted = observed_state(&prior, &spec, &found_group(g));
        assert_eq!(general(&drifted).get("taints").elements().len(), 1);
    }

    #[test]
    fn a_node_group_with_two_eks_groups_is_replacing_until_an_apply_finishes_it() {
        let (_, prior, spec) = with_node_group(serde_json::json!({}));
        let mut g = states::node_group("ACTIVE");
        g.others = vec!["mosia-test-general".into()];
        let state = observed_state(&prior, &spec, &found_group(g));
        assert_eq!(status(&state)["eks.node_group.general"], REPLACING);
    }
}
