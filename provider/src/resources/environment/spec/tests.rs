//! Unit tests of the spec and its tier defaults, and the test helpers other modules share
//! (`config` builds a value typed by the resource schema).

use super::*;
use crate::resources::environment::schema::schema;
use mosia_tfplugin::value::json;

/// A configuration value from JSON, typed by the resource schema (absent attributes null).
pub(crate) fn config(j: serde_json::Value) -> Value {
    let ty = schema().implied_type();
    json::decode(j.to_string().as_bytes(), &ty).expect("test config matches the schema")
}

/// What the generic planner hands the resource on create: the config with computed
/// attributes the config leaves null unknown (defaults filled by the schema).
fn planned_on_create(cfg: &Value) -> Value {
    let block = schema().block;
    mosia_tfplugin::plan::apply_schema_rules(&block, &Value::Null, cfg, cfg)
}

pub(crate) fn node_group_mut<'a>(cfg: &'a mut Value, key: &str) -> &'a mut Value {
    match cfg.get_mut("eks").and_then(|e| e.get_mut("node_group")) {
        Some(Value::Map(groups)) => groups.get_mut(key).expect("node group in test config"),
        _ => panic!("test config has no node groups"),
    }
}

fn plan(cfg: &Value) -> Value {
    let mut planned = planned_on_create(cfg);
    apply_tier_defaults(cfg, &mut planned);
    planned
}

#[test]
fn tier_defaults_table_matches_the_code() {
    assert_eq!(tier_defaults_table(), TIER_DEFAULTS_TABLE);
}

#[test]
fn tier_names_round_trip() {
    for t in Tier::ALL {
        assert_eq!(Tier::parse(t.as_str()), Some(t));
    }
    assert_eq!(Tier::parse("prod"), None);
    assert_eq!(Tier::NAMES, &["dev", "staging", "production"]);
}

#[test]
fn durations_parse_in_terraform_style() {
    assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
    assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
    assert_eq!(parse_duration("1h1m1s"), Ok(Duration::from_secs(3661)));
    for bad in ["", "90", "m", "1.5h", "1d", "-5m", "1h 30m", "10M"] {
        assert!(parse_duration(bad).is_err(), "{bad:?} should not parse");
    }
    assert!(parse_duration("0s").unwrap_err().contains("zero"));
    assert!(parse_duration("99999999999999999999h").is_err());
}

#[test]
fn cidr_blocks_parse_canonically() {
    let c: Ipv4Cidr = "10.20.0.0/16".parse().unwrap();
    assert_eq!(c.prefix, 16);
    assert_eq!(c.size(), 65536);
    assert_eq!(c.to_string(), "10.20.0.0/16");
    let err = "10.20.1.0/16".parse::<Ipv4Cidr>().unwrap_err();
    assert!(err.contains("10.20.0.0/16"), "{err}");
    for bad in ["10.0.0.0", "10.0.0/16", "10.0.0.0/33", "10.0.0.0/x", "a/16"] {
        assert!(bad.parse::<Ipv4Cidr>().is_err(), "{bad}");
    }
    assert!("0.0.0.0/0".parse::<Ipv4Cidr>().is_ok());
}

#[test]
fn subnets_are_laid_out_per_az() {
    let vpc: Ipv4Cidr = "10.0.0.0/16".parse().unwrap();
    assert_eq!(subnet_prefix(16, 3), 19, "6 subnets round up to 8");
    let layout = subnet_layout(vpc, 3).unwrap();
    let shown = |v: &[Ipv4Cidr]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    assert_eq!(
        shown(&layout.private),
        ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
    );
    assert_eq!(
        shown(&layout.public),
        ["10.0.96.0/19", "10.0.128.0/19", "10.0.160.0/19"]
    );
    let small: Ipv4Cidr = "10.0.0.0/24".parse().unwrap();
    assert!(subnet_layout(small, 4).is_some(), "8 × /27");
    assert!(subnet_layout(small, 5).is_none(), "16 × /28 is too small");
}

#[test]
fn msk_brokers_per_az_default_reaches_the_tier_minimum() {
    let p = Tier::Production.defaults();
    assert_eq!(p.msk_brokers_per_az_for(3), 1);
    assert_eq!(p.msk_brokers_per_az_for(2), 2);
    assert_eq!(Tier::Dev.defaults().msk_brokers_per_az_for(2), 1);
}

fn dev_everything() -> Value {
    config(serde_json::json!({
        "name": "mosia-dev",
        "tier": "dev",
        "network": {},
        "eks": { "node_group": { "general": {} } },
        "rds": {},
        "elasticache": {},
        "msk": { "kafka_version": "3.6.0" },
    }))
}

#[test]
fn dev_defaults_are_cheap() {
    let spec = from_value(&dev_everything()).unwrap();
    assert_eq!(spec.tier, Tier::Dev);
    assert_eq!(
        spec.network,
        Some(NetworkSpec::Managed {
            cidr: DEFAULT_CIDR.parse().unwrap(),
            az_count: 2,
            nat_gateway: NatGateway::Single,
            availability_zones: vec![],
        })
    );
    let eks = spec.eks.as_ref().unwrap();
    assert!(eks.endpoint_public_access && eks.endpoint_private_access);
    assert!(eks.enabled_log_types.is_empty());
    let ng = &eks.node_groups["general"];
    assert_eq!(ng.instance_types, ["t3.medium"]);
    assert_eq!((ng.min_size, ng.desired_size, ng.max_size), (1, 1, 2));
    assert_eq!(ng.capacity_type, CapacityType::OnDemand);
    let rds = spec.rds.as_ref().unwrap();
    assert_eq!(rds.instance_class, "db.t4g.micro");
    assert_eq!(rds.allocated_storage_gb, 20);
    assert!(!rds.multi_az && !rds.deletion_protection && rds.skip_final_snapshot);
    assert_eq!(rds.backup_retention_days, 1);
    let cache = spec.elasticache.as_ref().unwrap();
    assert_eq!(cache.node_type, "cache.t4g.micro");
    assert_eq!(cache.replicas, 0);
    assert!(!cache.automatic_failover && !cache.multi_az);
    assert!(cache.at_rest_encryption && cache.transit_encryption);
    assert_eq!(cache.snapshot_retention_days, 0, "no automatic snapshots");
    assert!(cache.skip_final_snapshot);
    assert_eq!(spec.backup.copy_to_region, None);
    assert_eq!(
        spec.msk.as_ref().unwrap().broker_instance_type,
        "kafka.t3.small"
    );
    assert_eq!(spec.msk_broker_count(), Some(2), "1 per AZ × 2 AZs");
    assert_eq!(spec.timeouts, Timeouts::default());
}

#[test]
fn production_defaults_are_highly_available() {
    let mut cfg = dev_everything();
    cfg.set_attr("tier", "production".into());
    let spec = from_value(&cfg).unwrap();
    assert_eq!(spec.network.as_ref().unwrap().az_count(), 3);
    assert_eq!(spec.network.as_ref().unwrap().nat_gateway_count(), 3);
    let eks = spec.eks.as_ref().unwrap();
    assert!(!eks.endpoint_public_access);
    assert_eq!(eks.node_groups["general"].min_size, 3);
    let rds = spec.rds.as_ref().unwrap();
    assert!(rds.multi_az && rds.deletion_protection && !rds.skip_final_snapshot);
    assert!(rds.backup_retention_days >= 7);
    let cache = spec.elasticache.as_ref().unwrap();
    assert!(cache.automatic_failover && cache.multi_az && cache.replicas >= 1);
    assert_eq!(cache.snapshot_retention_days, 14);
    assert!(!cache.skip_final_snapshot, "a final snapshot at destroy");
    assert!(spec.msk_broker_count().unwrap() >= 3);
}

#[test]
fn the_backup_block_sets_the_cache_snapshots_and_the_copy_region() {
    let cfg = config(serde_json::json!({
        "name": "mosia-dev",
        "tier": "dev",
        "network": {},
        "rds": {},
        "elasticache": { "skip_final_snapshot": false },
        "backup": { "cache_snapshot_retention_days": 5, "copy_to_region": "eu-west-1" },
    }));
    let spec = from_value(&cfg).unwrap();
    let cache = spec.elasticache.as_ref().unwrap();
    assert_eq!(cache.snapshot_retention_days, 5);
    assert!(!cache.skip_final_snapshot);
    assert_eq!(spec.backup.copy_to_region.as_deref(), Some("eu-west-1"));
}

#[test]
fn configured_values_win_over_defaults() {
    let cfg = config(serde_json::json!({
        "name": "mosia-prod",
        "tier": "production",
        "network": { "cidr_block": "10.20.0.0/16", "az_count": 2, "nat_gateway": "single" },
        "eks": {
            "version": "1.31",
            "endpoint_public_access": true,
            "public_endpoint_acknowledged": true,
            "node_group": { "general": {
                "instance_types": ["m7g.large"], "min_size": 4, "labels": { "role": "web" }
            } }
        },
        "rds": { "instance_class": "db.r7g.large", "multi_az": true, "read_replicas": 2,
                 "parameters": { "log_min_duration_statement": "500" } },
        "elasticache": { "engine": "valkey", "replicas": 2, "engine_version": "8.0" },
        "msk": { "kafka_version": "3.6.0", "storage_gb": 1000 },
        "timeouts": { "create": "2h", "delete": "30m" },
    }));
    let spec = from_value(&cfg).unwrap();
    let eks = spec.eks.as_ref().unwrap();
    assert_eq!(eks.version.as_deref(), Some("1.31"));
    let ng = &eks.node_groups["general"];
    assert_eq!((ng.min_size, ng.desired_size, ng.max_size), (4, 4, 6));
    assert_eq!(ng.labels["role"], "web");
    let rds = spec.rds.as_ref().unwrap();
    assert_eq!(rds.read_replicas, 2);
    assert_eq!(rds.parameters["log_min_duration_statement"], "500");
    let cache = spec.elasticache.as_ref().unwrap();
    assert_eq!(cache.engine, CacheEngine::Valkey);
    assert_eq!(cache.engine_version.as_deref(), Some("8.0"));
    assert_eq!(
        spec.msk.as_ref().unwrap().brokers_per_az,
        2,
        "3 brokers over 2 AZs"
    );
    assert_eq!(spec.msk_broker_count(), Some(4));
    assert_eq!(spec.timeouts.create, Duration::from_secs(7200));
    assert_eq!(spec.timeouts.update, DEFAULT_UPDATE_TIMEOUT);
    assert_eq!(spec.timeouts.delete, Duration::from_secs(1800));
}

#[test]
fn node_group_max_default_never_falls_below_min() {
    let cfg = config(serde_json::json!({
        "name": "mosia-dev", "tier": "dev", "network": {},
        "eks": { "node_group": { "big": { "min_size": 5 } } },
    }));
    let ng = &from_value(&cfg).unwrap().eks.unwrap().node_groups["big"];
    assert_eq!((ng.min_size, ng.desired_size, ng.max_size), (5, 5, 5));
}

#[test]
fn bring_your_own_network_is_read_from_subnet_ids() {
    let cfg = config(serde_json::json!({
        "name": "mosia-dev", "tier": "dev",
        "network": { "vpc_id": "vpc-0123456789abcdef0",
                     "subnet_ids": ["subnet-aaaaaaaa", "subnet-bbbbbbbb", "subnet-cccccccc"] },
        "msk": { "kafka_version": "3.6.0" },
    }));
    let spec = from_value(&cfg).unwrap();
    let net = spec.network.as_ref().unwrap();
    assert!(
        matches!(net, NetworkSpec::Existing { vpc_id, .. } if vpc_id == "vpc-0123456789abcdef0")
    );
    assert_eq!(net.az_count(), 3);
    assert_eq!(net.nat_gateway_count(), 0);
    assert_eq!(spec.msk_broker_count(), Some(3));
}

#[test]
fn missing_and_unknown_inputs_are_errors() {
    let cfg = config(serde_json::json!({ "tier": "gold" }));
    let err = from_value(&cfg).unwrap_err();
    let paths: Vec<String> = err
        .iter()
        .map(|d| d.path.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(paths, ["name", "tier"], "{err}");

    let mut cfg = dev_everything();
    cfg.get_mut("rds")
        .unwrap()
        .set_attr("instance_class", Value::unknown());
    let err = from_value(&cfg).unwrap_err();
    assert_eq!(
        err.0[0].path.as_ref().unwrap().to_string(),
        "rds.instance_class"
    );
}

#[test]
fn versions_aws_chooses_may_be_unknown_in_a_plan() {
    let planned = plan(&dev_everything());
    assert!(planned.get("eks").get("version").is_unknown());
    assert!(planned.get("rds").get("engine_version").is_unknown());
    let spec = from_value(&planned).unwrap();
    assert_eq!(spec.eks.unwrap().version, None);
}

#[test]
fn plan_shows_tier_defaults() {
    let planned = plan(&dev_everything());
    let net = planned.get("network");
    assert_eq!(net.get("cidr_block"), &Value::from(DEFAULT_CIDR));
    assert_eq!(net.get("az_count"), &Value::int(2));
    assert_eq!(net.get("nat_gateway"), &Value::from("single"));
    assert!(net.get("vpc_id").is_unknown(), "computed on create");
    let eks = planned.get("eks");
    assert_eq!(eks.get("endpoint_public_access"), &Value::Bool(true));
    assert_eq!(eks.get("endpoint_private_access"), &Value::Bool(true));
    assert_eq!(eks.get("enabled_log_types"), &Value::set_of([]));
    let ng = eks.get("node_group").entries().unwrap()["general"].clone();
    assert_eq!(
        ng.get("instance_types"),
        &Value::List(vec!["t3.medium".into()])
    );
    assert_eq!(ng.get("min_size"), &Value::int(1));
    assert_eq!(ng.get("max_size"), &Value::int(2));
    assert_eq!(ng.get("desired_size"), &Value::int(1));
    assert_eq!(ng.get("capacity_type"), &Value::from("ON_DEMAND"));
    let rds = planned.get("rds");
    assert_eq!(rds.get("instance_class"), &Value::from("db.t4g.micro"));
    assert_eq!(rds.get("multi_az"), &Value::Bool(false));
    assert_eq!(rds.get("skip_final_snapshot"), &Value::Bool(true));
    let cache = planned.get("elasticache");
    assert_eq!(cache.get("automatic_failover"), &Value::Bool(false));
    assert_eq!(cache.get("multi_az"), &Value::Bool(false));
    let msk = planned.get("msk");
    assert_eq!(msk.get("brokers_per_az"), &Value::int(1));
    assert_eq!(
        msk.get("broker_instance_type"),
        &Value::from("kafka.t3.small")
    );
    // The filled plan reads back to the same spec as the configuration.
    assert_eq!(from_value(&planned), from_value(&dev_everything()));
}

#[test]
fn plan_defaults_follow_a_tier_change() {
    // On update the generic planner keeps prior values for omitted computed attributes;
    // the tier defaults must replace them.
    let mut cfg = dev_everything();
    cfg.set_attr("tier", "production".into());
    let mut planned = plan(&dev_everything());
    planned.set_attr("tier", "production".into());
    apply_tier_defaults(&cfg, &mut planned);
    assert_eq!(planned.get("rds").get("multi_az"), &Value::Bool(true));
    assert_eq!(planned.get("network").get("az_count"), &Value::int(3));
    assert_eq!(planned.get("msk").get("brokers_per_az"), &Value::int(1));
    assert_eq!(from_value(&planned), from_value(&cfg));
}

#[test]
fn plan_defaults_depending_on_unknowns_are_unknown() {
    let mut cfg = dev_everything();
    cfg.set_attr("tier", Value::unknown());
    let planned = plan(&cfg);
    assert!(planned.get("rds").get("instance_class").is_unknown());
    assert!(planned.get("network").get("az_count").is_unknown());
    assert_eq!(
        planned.get("network").get("cidr_block"),
        &Value::from(DEFAULT_CIDR),
        "tier-independent"
    );

    let mut cfg = dev_everything();
    node_group_mut(&mut cfg, "general").set_attr("min_size", Value::unknown());
    let planned = plan(&cfg);
    let ng = planned.get("eks").get("node_group").entries().unwrap()["general"].clone();
    assert!(ng.get("max_size").is_unknown() && ng.get("desired_size").is_unknown());
    assert!(from_value(&planned).is_err(), "min_size is not known");
}

#[test]
fn bring_your_own_plan_keeps_network_shape_open() {
    let cfg = config(serde_json::json!({
        "name": "mosia-dev", "tier": "dev",
        "network": { "vpc_id": "vpc-0123456789abcdef0",
                     "subnet_ids": ["subnet-aaaaaaaa", "subnet-bbbbbbbb"] },
        "msk": { "kafka_version": "3.6.0" },
    }));
    let planned = plan(&cfg);
    assert!(planned.get("network").get("cidr_block").is_unknown());
    assert!(planned.get("network").get("az_count").is_unknown());
    assert_eq!(planned.get("msk").get("brokers_per_az"), &Value::int(1));
}

#[test]
fn mistyped_values_are_diagnosed_at_their_path() {
    let mut cfg = dev_everything();
    node_group_mut(&mut cfg, "general").set_attr("min_size", Value::from("three"));
    node_group_mut(&mut cfg, "general").set_attr("max_size", Value::int(5_000_000_000));
    let err = from_value(&cfg).unwrap_err();
    let shown: Vec<(String, String)> = err
        .iter()
        .map(|d| (d.path.as_ref().unwrap().to_string(), d.detail.clone()))
        .collect();
    assert_eq!(
        shown,
        [
            (
                "eks.node_group[\"general\"].min_size".to_string(),
                "eks.node_group[\"general\"].min_size must be a whole number from 0 to \
                 4294967295 (got \"three\")"
                    .to_string()
            ),
            (
                "eks.node_group[\"general\"].max_size".to_string(),
                "eks.node_group[\"general\"].max_size must be a whole number from 0 to \
                 4294967295 (got 5000000000)"
                    .to_string()
            ),
        ],
        "{err}"
    );
}

#[test]
fn unknown_list_elements_are_errors_at_their_index() {
    let mut cfg = config(serde_json::json!({
        "name": "mosia-dev", "tier": "dev",
        "network": { "vpc_id": "vpc-0123456789abcdef0",
                     "subnet_ids": ["subnet-aaaaaaaa", "subnet-bbbbbbbb"] },
    }));
    let ids = Value::List(vec!["subnet-aaaaaaaa".into(), Value::unknown()]);
    cfg.get_mut("network").unwrap().set_attr("subnet_ids", ids);
    let err = from_value(&cfg).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert_eq!(err.0[0].summary, "Value not known yet");
    assert_eq!(
        err.0[0].path.as_ref().unwrap().to_string(),
        "network.subnet_ids[1]"
    );
}

#[test]
fn choices_name_what_is_allowed() {
    let mut cfg = dev_everything();
    cfg.get_mut("msk")
        .unwrap()
        .set_attr("client_authentication", "kerberos".into());
    let err = from_value(&cfg).unwrap_err();
    assert_eq!(err.0.len(), 1, "{err}");
    assert_eq!(
        err.0[0].path.as_ref().unwrap().to_string(),
        "msk.client_authentication"
    );
    assert!(err.0[0].detail.contains("must be one of "), "{err}");
    assert!(err.0[0].detail.ends_with("(got \"kerberos\")"), "{err}");
}
