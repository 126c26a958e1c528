//! Planning `mosia_environment` ([`modify_plan`]): tier defaults, `tags_all`, the cost
//! estimate, `part_status` as it will be, the computed outputs a change leaves unknown, and
//! warnings for the parts an update replaces. Replacement paths come from the schema's
//! `requires_replace`, compared by tfplugin after this runs (tier defaults included).
//!
//! It also accepts the configuration Terraform generates after an import
//! (`-generate-config-out`), which writes every optional attribute from state: see
//! [`network_echo`].

use std::borrow::Cow;
use std::collections::BTreeMap;

use mosia_tfplugin::{AttrPath, Diagnostics, PlanRequest, Schema, Value};

use super::flatten::{desired_status, set_in, PENDING_MAINTENANCE};
use super::forward_only;
use super::graph::block_of;
use super::observe;
use super::spec::{self, EnvironmentSpec};
use crate::aws::eks;
use crate::aws::elasticache::{self, CacheAuthentication};
use crate::aws::msk;
use crate::aws::part::PartId;
use crate::aws::tags;
use crate::resources::environment::cost;

mod data_keys;
pub(super) use data_keys::key_replacements;
mod eks_key;
mod eks_one_way;
mod kubernetes;
mod major_upgrade;
mod monitoring;
mod pending;
mod workloads;

/// Per block: inputs, and the computed outputs an in-place change of any of them changes.
const DEPENDENT_OUTPUTS: &[(&str, &[&str], &[&str])] = &[
    (
        "msk",
        &[
            "brokers_per_az",
            "client_authentication",
            "scram",
            "encryption_in_transit",
        ],
        &[
            "bootstrap_brokers",
            "bootstrap_brokers_tls",
            "bootstrap_brokers_iam",
            "bootstrap_brokers_scram",
        ],
    ),
    ("rds", &["read_replicas"], &["reader_endpoints"]),
    // Other broker properties: a new revision of the configuration.
    ("msk", &["server_properties"], &["configuration_revision"]),
    // Endpoints added or removed.
    ("network", &["vpc_endpoints"], &["vpc_endpoint_ids"]),
    // An entry added, removed or given another principal has a new ARN.
    ("eks", &["access_entry"], &["access_entry_arns"]),
    // Add-ons added, pinned or moved with the control plane.
    ("eks", &["addons", "addon", "version"], &["addon_versions"]),
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

/// The attributes that shape a network Mosia creates.
const MANAGED_NETWORK: [&str; 3] = ["cidr_block", "az_count", "nat_gateway"];

/// Plans a create or an update of the environment. `default_tags` are the provider's.
pub(super) fn modify_plan(
    schema: &Schema,
    default_tags: &BTreeMap<String, String>,
    req: &mut PlanRequest<'_>,
) {
    let config = without_echoes(req.config);
    spec::apply_tier_defaults(&config, req.planned);
    forward_only::keep_what_aws_moved(req);
    kubernetes::plan_eks_version(req);
    eks_one_way::keep_one_way_tier_defaults(req);
    eks_key::plan_own_key_arn(req);
    eks_one_way::refuse_eks_one_way_changes(req.prior, req.planned, req.diags);
    check_network_echo(req);
    let own = req.planned.get("tags").clone();
    req.planned.set_attr(
        "tags_all",
        if own.is_wholly_known() {
            Value::string_map_of(&tags::merge(default_tags, &own.string_map()))
        } else {
            Value::unknown()
        },
    );
    let name = req.planned.get("name").clone();
    req.planned.set_attr("id", name);
    let cost = cost::planned_cost_value(req.planned);
    req.planned.set_attr("estimated_monthly_cost_usd", cost);
    // The spec only reads configuration attributes, which nothing below changes.
    let planned_spec = spec::from_value(req.planned).ok();
    match &planned_spec {
        Some(s) => {
            req.planned.set_attr("part_status", desired_status(s));
            monitoring::plan_monitoring(req, s);
        }
        None => {
            req.planned.set_attr("part_status", Value::unknown());
            req.planned.set_attr("alarms", Value::unknown());
            req.planned.set_attr("alert_topic_arn", Value::unknown());
        }
    }
    if req.prior.is_null() {
        if let Some(new) = &planned_spec {
            data_keys::plan_data_keys(req, new);
        }
        return;
    }
    let old_spec = spec::from_value(req.prior).ok();
    unknown_outputs_of_rebuilt_parts(schema, req);
    unknown_dependent_outputs(req);
    // Before the workloads: a data service replaced for its key gets new ARNs.
    if let Some(new) = &planned_spec {
        data_keys::plan_data_keys(req, new);
    }
    // Before the workloads: a blue/green upgrade changes the master secret they name.
    if let (Some(new), Some(old)) = (&planned_spec, &old_spec) {
        major_upgrade::plan_major_upgrade(req, old, new);
    }
    major_upgrade::plan_retired_expiry(req.prior, req.planned, std::time::SystemTime::now());
    workloads::unknown_workloads_when_changing(req);
    super::addons::unknown_versions_of_changing_addons(req.prior, req.planned);
    replace_on_other_zones(req);
    // Node groups AWS cannot change in place are replaced inside the update: say so now.
    if let (Some(new), Some(old)) = (&planned_spec, &old_spec) {
        warn_node_group_replacements(old, new, req.diags);
        warn_cache_replacement(old, new, req.diags);
        warn_cache_authentication_change(old, new, req.diags);
        refuse_msk_broker_move(old, new, req.diags);
        pending::warn_pending_changes(req.prior, old, new, req.diags);
        pending::refuse_unacknowledged_restart(req.planned, old, new, req.diags);
        pending::plan_pending_changes(req, old, new);
    }
}

/// A part that is missing or unhealthy is rebuilt: its outputs (endpoints, ARNs) are not
/// known until then.
fn unknown_outputs_of_rebuilt_parts(schema: &Schema, req: &mut PlanRequest<'_>) {
    let Some(statuses) = req.prior.get("part_status").entries() else {
        return;
    };
    for (part, status) in statuses {
        // An outdated node group is upgraded in place: nothing is rebuilt.
        // Nor is a part whose changes wait for its maintenance window.
        if matches!(
            status.as_str(),
            Some("ready" | observe::OUTDATED | PENDING_MAINTENANCE)
        ) || status
            .as_str()
            .is_some_and(|s| super::addons::settled(part, s))
        {
            continue;
        }
        let Some(block) = PartId::parse(part).map(|p| block_of(&p)) else {
            continue;
        };
        let Some(nb) = schema.block.nested(block) else {
            continue;
        };
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

/// Outputs that an in-place change of their inputs changes (more brokers, another
/// replica) are not known until the apply; nor are the security groups when a service is
/// added or removed (it adds or removes its group).
fn unknown_dependent_outputs(req: &mut PlanRequest<'_>) {
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
    // An AUTH token removed replaces the cache too (see `warn_cache_replacement`).
    let auth = |v: &Value| {
        v.get("elasticache")
            .get("authentication")
            .as_str()
            .map(str::to_string)
    };
    if auth(req.prior).as_deref() == Some("token") && auth(req.planned).as_deref() == Some("none") {
        for o in ["arn", "primary_endpoint", "reader_endpoint", "status"] {
            set_in(req.planned, "elasticache", o, Value::unknown());
        }
    }
    let present = |v: &Value| ["eks", "rds", "elasticache", "msk"].map(|b| v.get(b).is_null());
    if present(req.prior) != present(req.planned) {
        set_in(
            req.planned,
            "network",
            "security_group_ids",
            Value::unknown(),
        );
    }
}

/// Other `network.availability_zones` than before (as a set) need other subnets: the
/// environment is replaced. Listing zones for a network that had none listed is not a
/// change (the apply checks they are the ones its subnets are in), nor is dropping the list.
fn replace_on_other_zones(req: &mut PlanRequest<'_>) {
    let zones = |v: &Value| {
        let list = v.get("network").get("availability_zones");
        (list.is_known() && !list.is_null()).then(|| {
            list.elements()
                .iter()
                .filter_map(|z| z.as_str().map(str::to_string))
                .collect::<std::collections::BTreeSet<String>>()
        })
    };
    if let (Some(before), Some(after)) = (zones(req.prior), zones(req.planned)) {
        let at = AttrPath::attr("network").then("availability_zones");
        if before != after && !req.requires_replace.contains(&at) {
            req.requires_replace.push(at);
        }
    }
}

/// Known and not null.
fn is_set(v: &Value) -> bool {
    !v.is_null() && v.is_known()
}

/// The attribute of a `network` block that echoes a value from state rather than selects
/// the network's mode, as `terraform plan -generate-config-out` writes it (it copies every
/// optional attribute from state, computed values included):
/// - `vpc_id` next to `cidr_block`, `az_count` or `nat_gateway` and without `subnet_ids`:
///   the ID of the VPC Mosia created;
/// - `cidr_block` next to `vpc_id` and `subnet_ids` (and nothing else of a managed
///   network): your own VPC's CIDR as read from AWS.
///
/// `subnet_ids`, which is input only, selects the mode. [`check_network_echo`] accepts an
/// echo only when it equals the state's value.
pub(super) fn network_echo(network: &Value) -> Option<&'static str> {
    let set = |a: &str| is_set(network.get(a));
    let managed = MANAGED_NETWORK.iter().filter(|a| set(a)).count();
    if network.get("subnet_ids").is_null() && set("vpc_id") && managed > 0 {
        Some("vpc_id")
    } else if set("subnet_ids") && set("vpc_id") && set("cidr_block") && managed == 1 {
        Some("cidr_block")
    } else {
        None
    }
}

/// The configuration without a `network` attribute that only echoes state (see
/// [`network_echo`]): what the guardrails and tier defaults see.
pub(super) fn without_echoes(config: &Value) -> Cow<'_, Value> {
    let Some(attr) = network_echo(config.get("network")) else {
        return Cow::Borrowed(config);
    };
    let mut clean = config.clone();
    set_in(&mut clean, "network", attr, Value::Null);
    Cow::Owned(clean)
}

/// An echoed network attribute must equal the state's: otherwise it is a real conflict,
/// reported as the guardrails would have before the echo was recognised.
fn check_network_echo(req: &mut PlanRequest<'_>) {
    let net = req.config.get("network");
    let Some(attr) = network_echo(net) else {
        return;
    };
    let have = req.prior.get("network").get(attr);
    if net.get(attr) == have {
        return;
    }
    let at = AttrPath::attr("network").then(attr);
    let detail = if attr == "vpc_id" {
        let now = have
            .as_str()
            .map(|id| format!(" (this environment's VPC is `{id}`)"))
            .unwrap_or_default();
        format!(
            "a network Mosia creates (cidr_block, az_count, nat_gateway) has a computed \
             vpc_id{now}: leave vpc_id out, or bring your own network with vpc_id and \
             subnet_ids and no cidr_block, az_count or nat_gateway"
        )
    } else {
        let now = have
            .as_str()
            .map(|c| format!(" (as read from AWS, your VPC's CIDR is {c})"))
            .unwrap_or_default();
        format!(
            "cidr_block describes a network Mosia creates; with vpc_id and subnet_ids (your \
             own network) leave it out{now}"
        )
    };
    req.diags
        .error_at(at, "Conflicting network settings", detail);
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
            have.ami_type.map(|a| a.as_str()),
            want,
        );
        if !reasons.is_empty() {
            diags.warning_at(
                AttrPath::attr("eks").then("node_group").key(name),
                format!("Node group {name:?} will be replaced (create before destroy)"),
                format!(
                    "{}. The apply creates a new node group with the new settings beside this one (create before destroy: named `NAME-xxxxx` when the old name is taken), waits until it is ACTIVE, then deletes the old one, so capacity never drops to zero; pods on the old nodes are evicted onto the new ones as it drains. The rest of the environment is not touched.",
                    reasons.join("; ")
                ),
            );
        }
    }
}

/// An error, at plan time, for a broker type MSK cannot move to (down to T3).
fn refuse_msk_broker_move(old: &EnvironmentSpec, new: &EnvironmentSpec, diags: &mut Diagnostics) {
    let (Some(old), Some(new)) = (&old.msk, &new.msk) else {
        return;
    };
    if let Some(why) =
        msk::broker_type_refusal(&old.broker_instance_type, &new.broker_instance_type)
    {
        diags.error_at(
            AttrPath::attr("msk").then("broker_instance_type"),
            "MSK cannot make this change",
            why,
        );
    }
}

/// A plan warning when the ElastiCache replication group is replaced inside the update.
fn warn_cache_replacement(old: &EnvironmentSpec, new: &EnvironmentSpec, diags: &mut Diagnostics) {
    let (Some(old), Some(new)) = (&old.elasticache, &new.elasticache) else {
        return;
    };
    let reasons = elasticache::replacement_reasons(
        old.at_rest_encryption,
        old.transit_encryption,
        old.authentication == CacheAuthentication::Token,
        new,
    );
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

/// A plan warning when the cache's authentication changes: clients that connected before
/// may be refused after the apply. Also how an existing cache without authentication meets
/// the `iam` default when the provider is upgraded.
fn warn_cache_authentication_change(
    old: &EnvironmentSpec,
    new: &EnvironmentSpec,
    diags: &mut Diagnostics,
) {
    let (Some(old), Some(new)) = (&old.elasticache, &new.elasticache) else {
        return;
    };
    let (from, to) = (old.authentication, new.authentication);
    // Token to none is a replacement, announced by `warn_cache_replacement`.
    if from == to || (from, to) == (CacheAuthentication::Token, CacheAuthentication::None) {
        return;
    }
    let detail = match to {
        CacheAuthentication::Iam => format!(
            "The cache moves from `{from}` to IAM authentication in place: after the apply it refuses every client that does not connect as a cache user with an IAM token, including applications connected now. Each workload with `elasticache` access gets its user (`REDIS_USER` in its `connection`); its client must sign the token with the workload's role. To keep the cache as it is, set elasticache.authentication = \"{from}\" (production refuses \"none\")."
        ),
        CacheAuthentication::Token => format!(
            "The cache moves from `{from}` to an AUTH token in place (ElastiCache: ROTATE, then SET): after the apply it refuses every client that does not send the token, kept only in the Secrets Manager secret NAME-cache-auth (`REDIS_AUTH_SECRET_ARN` in each workload's `connection`; the workloads with `elasticache` access may read it). To keep the cache as it is, set elasticache.authentication = \"{from}\"."
        ),
        CacheAuthentication::None => format!(
            "The cache stops using `{from}` authentication in place: after the apply any client its security group admits connects without credentials, and the cache users and their user group are deleted."
        ),
    };
    diags.warning_at(
        AttrPath::attr("elasticache").then("authentication"),
        format!("The cache's authentication changes from {from} to {to}"),
        detail,
    );
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::resources::environment::guardrails;
    use crate::resources::environment::testing::{config, created, everything, plan};

    fn network_path(attr: &str) -> AttrPath {
        AttrPath::attr("network").then(attr)
    }

    #[test]
    fn a_create_plans_tier_defaults_tags_and_every_part_ready() {
        let p = plan(&Value::Null, &config(everything("dev")));
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
        let net = p.value.get("network");
        assert_eq!(net.get("az_count"), &Value::int(2), "dev's AZ count");
        assert_eq!(net.get("cidr_block"), &Value::from(spec::DEFAULT_CIDR));
        assert!(net.get("vpc_id").is_unknown(), "computed on create");
        assert_eq!(p.value.get("id"), &Value::from("mosia-test"));
        let tags_all = p.value.get("tags_all").string_map();
        assert_eq!(tags_all.get("owner").map(String::as_str), Some("mosia"));
        assert_eq!(tags_all.get("team").map(String::as_str), Some("platform"));
        let status = p.value.get("part_status").entries().unwrap().clone();
        let keys: Vec<&str> = status.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "eks",
                "eks.access",
                "eks.addon.aws-ebs-csi-driver",
                "eks.addon.coredns",
                "eks.addon.eks-pod-identity-agent",
                "eks.addon.kube-proxy",
                "eks.addon.vpc-cni",
                "eks.node_group.general",
                "eks.oidc",
                "elasticache",
                "iam",
                "msk",
                "network",
                "network.cluster_ingress",
                "network.endpoints",
                "rds",
                "rds.replicas",
                "workloads"
            ]
        );
        assert!(status.values().all(|v| v.as_str() == Some("ready")));
        assert!(p.replace.is_empty());
    }

    #[test]
    fn an_msk_move_down_to_t3_is_refused_at_plan_time() {
        let mut big = everything("dev");
        big["msk"]["broker_instance_type"] = serde_json::json!("kafka.m7g.large");
        let prior = created(&config(big), &[]);
        let mut small = everything("dev");
        small["msk"]["broker_instance_type"] = serde_json::json!("kafka.t3.small");
        let p = plan(&prior, &config(small));
        let refused = p.diags_titled("MSK cannot make this change");
        assert_eq!(refused.len(), 1, "{:?}", p.diags);
        assert!(refused[0]
            .detail
            .contains("kafka.m7g.large → kafka.t3.small"));
    }

    #[test]
    fn an_unchanged_configuration_plans_no_change() {
        let cfg = config(everything("dev"));
        let prior = created(&cfg, &[("network", "vpc_id", Value::from("vpc-0123abcd"))]);
        let p = plan(&prior, &cfg);
        assert_eq!(p.value, prior);
        assert!(p.replace.is_empty() && p.diags.is_empty(), "{:?}", p.diags);
    }

    /// `az_count` has no configured value: the tier's default changes with the tier, and the
    /// schema's requires-replace sees the filled-in value (no hand-coded case).
    #[test]
    fn a_tier_default_az_count_change_replaces_the_environment() {
        let prior = created(&config(everything("dev")), &[]);
        let p = plan(&prior, &config(everything("production")));
        assert_eq!(p.value.get("network").get("az_count"), &Value::int(3));
        assert!(
            p.replace.contains(&network_path("az_count")),
            "{:?}",
            p.replace
        );

        let mut j = everything("dev");
        j["network"] = json!({ "az_count": 3 });
        let p = plan(&prior, &config(j));
        assert_eq!(p.replace, vec![network_path("az_count")]);
    }

    #[test]
    fn other_availability_zones_replace_the_environment_the_same_ones_do_not() {
        let with_zones = |zones: Option<serde_json::Value>| {
            let mut j = everything("dev");
            if let Some(z) = zones {
                j["network"] = json!({ "availability_zones": z });
            }
            config(j)
        };
        let listed = with_zones(Some(json!(["us-east-1a", "us-east-1b"])));
        let p = plan(&Value::Null, &listed);
        assert_eq!(p.value.get("network").get("az_count"), &Value::int(2));
        let prior = created(&listed, &[]);
        let swapped = with_zones(Some(json!(["us-east-1b", "us-east-1a"])));
        assert!(plan(&prior, &swapped).replace.is_empty());
        assert!(plan(&prior, &with_zones(None)).replace.is_empty());
        let other = plan(
            &prior,
            &with_zones(Some(json!(["us-east-1a", "us-east-1c"]))),
        );
        assert_eq!(other.replace, vec![network_path("availability_zones")]);
        // A network created before the list existed: naming its zones is no replacement.
        let unlisted = created(&with_zones(None), &[]);
        assert!(plan(&unlisted, &listed).replace.is_empty());
        // Three zones listed in dev (tier default 2): the count follows the list.
        let three = with_zones(Some(json!(["us-east-1a", "us-east-1b", "us-east-1c"])));
        assert_eq!(
            plan(&Value::Null, &three)
                .value
                .get("network")
                .get("az_count"),
            &Value::int(3)
        );
    }

    #[test]
    fn outputs_that_depend_on_a_change_are_planned_unknown() {
        let cfg = config(everything("dev"));
        let prior = created(
            &cfg,
            &[
                (
                    "rds",
                    "reader_endpoints",
                    Value::string_list(Vec::<String>::new()),
                ),
                ("rds", "endpoint", Value::from("db.example")),
                ("msk", "bootstrap_brokers", Value::from("b-1:9092")),
            ],
        );
        let mut j = everything("dev");
        j["rds"] = json!({ "read_replicas": 1 });
        let p = plan(&prior, &config(j));
        assert!(p.value.get("rds").get("reader_endpoints").is_unknown());
        assert_eq!(
            p.value.get("rds").get("endpoint"),
            &Value::from("db.example")
        );
        assert_eq!(
            p.value.get("msk").get("bootstrap_brokers"),
            &Value::from("b-1:9092")
        );
        assert!(p.replace.is_empty());

        // A service removed takes its security group with it.
        let mut j = everything("dev");
        j.as_object_mut().unwrap().remove("msk");
        let p = plan(&prior, &config(j));
        assert!(p
            .value
            .get("network")
            .get("security_group_ids")
            .is_unknown());
    }

    #[test]
    fn a_part_found_missing_is_rebuilt_with_unknown_outputs() {
        let cfg = config(everything("dev"));
        let mut prior = created(&cfg, &[("rds", "endpoint", Value::from("db.example"))]);
        if let Some(Value::Map(m)) = prior.get_mut("part_status") {
            m.insert("rds.replicas".into(), Value::from("missing"));
        }
        let p = plan(&prior, &cfg);
        assert!(p.value.get("rds").get("endpoint").is_unknown());
        assert!(
            !p.value.get("eks").get("arn").is_unknown(),
            "other blocks kept"
        );
        assert_eq!(
            p.value.get("part_status").entries().unwrap()["rds.replicas"],
            Value::from("ready")
        );
    }

    #[test]
    fn a_node_group_aws_cannot_change_in_place_is_announced() {
        let prior = created(&config(everything("dev")), &[]);
        let mut j = everything("dev");
        j["eks"]["node_group"]["general"] = json!({ "instance_types": ["m5.large"] });
        let p = plan(&prior, &config(j));
        let w = p.diags_titled("Node group \"general\" will be replaced (create before destroy)");
        assert_eq!(w.len(), 1, "{:?}", p.diags);
        assert_eq!(
            w[0].path,
            Some(AttrPath::attr("eks").then("node_group").key("general"))
        );
        assert!(w[0].detail.contains("m5.large"), "{}", w[0].detail);
        assert!(
            w[0].detail
                .contains("waits until it is ACTIVE, then deletes the old one"),
            "{}",
            w[0].detail
        );
        assert!(!p.diags.has_errors());
        assert!(p.replace.is_empty(), "only the node group is replaced");
    }

    #[test]
    fn another_ami_type_is_announced_as_a_replacement() {
        let prior = created(&config(everything("dev")), &[]);
        let mut j = everything("dev");
        j["eks"]["node_group"]["general"] = json!({ "ami_type": "BOTTLEROCKET_x86_64" });
        let p = plan(&prior, &config(j));
        let w = p.diags_titled("Node group \"general\" will be replaced (create before destroy)");
        assert_eq!(w.len(), 1, "{:?}", p.diags);
        assert!(
            w[0].detail
                .contains("AMI type changes from AL2023_x86_64_STANDARD to BOTTLEROCKET_x86_64"),
            "{}",
            w[0].detail
        );
    }

    #[test]
    fn a_cache_moving_to_iam_authentication_warns_that_clients_must_authenticate() {
        // An existing cache read without authentication (e.g. created before `iam` was the
        // default) and a configuration taking the default.
        let mut before = everything("dev");
        before["elasticache"] = json!({ "authentication": "none" });
        let prior = created(&config(before), &[]);
        let p = plan(&prior, &config(everything("dev")));
        let w = p.diags_titled("The cache's authentication changes from none to iam");
        assert_eq!(w.len(), 1, "{:?}", p.diags);
        assert_eq!(
            w[0].path,
            Some(AttrPath::attr("elasticache").then("authentication"))
        );
        assert!(
            w[0].detail
                .contains("refuses every client that does not connect as a cache user")
                && w[0]
                    .detail
                    .contains("set elasticache.authentication = \"none\""),
            "{}",
            w[0].detail
        );
        assert!(!p.diags.has_errors(), "{:?}", p.diags);

        let back = plan(
            &created(&config(everything("dev")), &[]),
            &config({
                let mut j = everything("dev");
                j["elasticache"] = json!({ "authentication": "none" });
                j
            }),
        );
        let w = back.diags_titled("The cache's authentication changes from iam to none");
        assert_eq!(w.len(), 1, "{:?}", back.diags);
        assert!(
            w[0].detail.contains("without credentials"),
            "{}",
            w[0].detail
        );
        let same = plan(
            &created(&config(everything("dev")), &[]),
            &config(everything("dev")),
        );
        assert!(
            same.diags_titled("The cache's authentication changes from iam to none")
                .is_empty()
                && same
                    .diags_titled("The cache's authentication changes from none to iam")
                    .is_empty()
        );
    }

    #[test]
    fn removing_an_auth_token_replaces_the_cache_and_its_endpoints_are_unknown() {
        let with = |auth: &str| {
            let mut j = everything("dev");
            j["elasticache"] = json!({ "authentication": auth });
            config(j)
        };
        let endpoint = Value::from("master.cache.example");
        let prior = created(
            &with("token"),
            &[("elasticache", "primary_endpoint", endpoint.clone())],
        );
        let p = plan(&prior, &with("none"));
        assert!(p
            .value
            .get("elasticache")
            .get("primary_endpoint")
            .is_unknown());
        let w = p.diags_titled("The ElastiCache replication group will be replaced");
        assert_eq!(w.len(), 1, "{:?}", p.diags);
        assert!(
            w[0].detail.starts_with("authentication token → none"),
            "{}",
            w[0].detail
        );
        let kept = plan(&prior, &with("iam"));
        assert_eq!(
            kept.value.get("elasticache").get("primary_endpoint"),
            &endpoint
        );
    }

    /// What `-generate-config-out` writes for a network Mosia created: every optional
    /// attribute from state, `vpc_id` included.
    fn generated_managed_network(vpc_id: &str) -> Value {
        let mut j = everything("dev");
        j["network"] = json!({
            "cidr_block": spec::DEFAULT_CIDR, "az_count": 2, "nat_gateway": "single",
            "vpc_id": vpc_id,
        });
        config(j)
    }

    #[test]
    fn a_generated_network_validates_and_plans_no_change() {
        let cfg = generated_managed_network("vpc-0123abcd");
        let mut d = Diagnostics::new();
        guardrails::validate(&without_echoes(&cfg), &mut d);
        assert!(!d.has_errors(), "{d:?}");
        let mut bare = everything("dev");
        bare["network"] =
            json!({ "cidr_block": spec::DEFAULT_CIDR, "az_count": 2, "nat_gateway": "single" });
        let prior = created(
            &config(bare),
            &[("network", "vpc_id", Value::from("vpc-0123abcd"))],
        );
        let p = plan(&prior, &cfg);
        assert!(p.diags.is_empty(), "{:?}", p.diags);
        assert!(p.replace.is_empty(), "{:?}", p.replace);
        assert_eq!(p.value, prior);
    }

    #[test]
    fn an_echoed_vpc_id_that_differs_from_state_is_a_conflict() {
        let prior = created(
            &config(everything("dev")),
            &[("network", "vpc_id", Value::from("vpc-0123abcd"))],
        );
        let p = plan(&prior, &generated_managed_network("vpc-0123abce"));
        let e = p.diags_titled("Conflicting network settings");
        assert_eq!(e.len(), 1, "{:?}", p.diags);
        assert_eq!(e[0].path, Some(network_path("vpc_id")));
        assert!(e[0].detail.contains("`vpc-0123abcd`"), "{}", e[0].detail);
        // On a create there is no VPC yet for it to name.
        let p = plan(&Value::Null, &generated_managed_network("vpc-0123abcd"));
        assert_eq!(p.diags_titled("Conflicting network settings").len(), 1);
    }

    #[test]
    fn your_own_vpcs_cidr_may_be_repeated_but_not_changed() {
        let own = |cidr: Option<&str>| {
            let mut j = everything("dev");
            j["network"] = json!({
                "vpc_id": "vpc-0123abcd",
                "subnet_ids": ["subnet-0123abcd", "subnet-0123abce"],
            });
            if let Some(c) = cidr {
                j["network"]["cidr_block"] = json!(c);
            }
            config(j)
        };
        let generated = own(Some("10.9.0.0/16"));
        assert_eq!(network_echo(generated.get("network")), Some("cidr_block"));
        let mut d = Diagnostics::new();
        guardrails::validate(&without_echoes(&generated), &mut d);
        assert!(!d.has_errors(), "{d:?}");
        // The imported state holds the CIDR read from AWS.
        let mut prior = created(&own(None), &[]);
        super::set_in(
            &mut prior,
            "network",
            "cidr_block",
            Value::from("10.9.0.0/16"),
        );
        let p = plan(&prior, &generated);
        assert!(p.diags.is_empty() && p.replace.is_empty(), "{:?}", p.diags);
        let p = plan(&prior, &own(Some("10.8.0.0/16")));
        let e = p.diags_titled("Conflicting network settings");
        assert_eq!(e.len(), 1, "{:?}", p.diags);
        assert_eq!(e[0].path, Some(network_path("cidr_block")));
        // A managed network's attributes next to your own VPC stay a conflict for the guardrails.
        let mut mixed = own(Some("10.9.0.0/16"));
        super::set_in(&mut mixed, "network", "az_count", Value::int(2));
        assert_eq!(network_echo(mixed.get("network")), None);
        let mut d = Diagnostics::new();
        guardrails::validate(&without_echoes(&mixed), &mut d);
        assert!(d.has_errors());
    }
}
