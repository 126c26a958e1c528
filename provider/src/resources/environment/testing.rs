//! Test helpers for the environment resource: configurations from JSON, Terraform's proposed
//! new state, and plans made the way PlanResourceChange makes them (schema rules,
//! `modify_plan`, then replacement paths).

use std::collections::BTreeMap;

use mosia_tfplugin::value::json;
use mosia_tfplugin::{AttrPath, Block, Diagnostic, Diagnostics, Value};

use super::flatten::null_unknowns;
use super::schema;

/// A configuration value from JSON, typed by the resource schema (absent attributes null).
pub(super) fn config(j: serde_json::Value) -> Value {
    let ty = schema::schema().implied_type();
    json::decode(j.to_string().as_bytes(), &ty).expect("test config matches the schema")
}

/// Every part: a network Mosia creates, EKS with one node group, RDS, ElastiCache, MSK.
pub(super) fn everything(tier: &str) -> serde_json::Value {
    serde_json::json!({
        "name": "mosia-test",
        "tier": tier,
        "tags": { "team": "platform" },
        "network": {},
        "eks": { "node_group": { "general": {} } },
        "rds": {},
        "elasticache": {},
        "msk": { "kafka_version": "3.6.0" },
    })
}

/// Terraform's proposed new state: the configuration, with the prior value of each
/// computed attribute the configuration leaves null.
pub(super) fn proposed(block: &Block, prior: &Value, config: &Value) -> Value {
    let Value::Object(c) = config else {
        return config.clone();
    };
    let mut out = c.clone();
    for a in block.attributes.iter().filter(|a| a.computed) {
        if config.get(&a.name).is_null() {
            out.insert(a.name.clone(), prior.get(&a.name).clone());
        }
    }
    for b in &block.blocks {
        let (p, cv) = (prior.get(&b.type_name), config.get(&b.type_name));
        let v = match cv {
            Value::Object(_) => proposed(&b.block, p, cv),
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| {
                        let pk = p.entries().and_then(|e| e.get(k)).unwrap_or(&Value::Null);
                        (k.clone(), proposed(&b.block, pk, v))
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        out.insert(b.type_name.clone(), v);
    }
    Value::Object(out)
}

/// A plan's outcome.
pub(super) struct Planned {
    pub value: Value,
    pub replace: Vec<AttrPath>,
    pub diags: Diagnostics,
}

impl Planned {
    /// The diagnostics with this summary.
    pub fn diags_titled(&self, summary: &str) -> Vec<&Diagnostic> {
        self.diags.iter().filter(|d| d.summary == summary).collect()
    }
}

/// Plans `config` over `prior` (null: a create) as the provider does, with the provider's
/// default tag `owner = mosia`.
pub(super) fn plan(prior: &Value, config: &Value) -> Planned {
    let schema = schema::shared();
    let proposed = proposed(&schema.block, prior, config);
    let default_tags = BTreeMap::from([("owner".to_string(), "mosia".to_string())]);
    let mut diags = Diagnostics::new();
    let (value, replace) = mosia_tfplugin::plan::plan_change(
        &schema.block,
        prior,
        config,
        &proposed,
        &mut diags,
        |req| super::plan::modify_plan(schema, &default_tags, req),
    );
    Planned {
        value,
        replace,
        diags,
    }
}

/// The ARN of the environment's own key in [`created`] states.
pub(super) const OWN_KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/own";

/// The state a successful create of `config` leaves, with `outputs` (`(block, attr,
/// value)`) as the parts returned them and every other output null.
pub(super) fn created(config: &Value, outputs: &[(&str, &str, Value)]) -> Value {
    let mut state = plan(&Value::Null, config).value;
    // The environment's own key, as its part returns it.
    if state.get("encryption_key_arn").is_unknown() {
        state.set_attr("encryption_key_arn", Value::from(OWN_KEY_ARN));
    }
    // The alert topic and the alarms, as their parts return them.
    let name = state.get("name").as_str().unwrap_or_default().to_string();
    if state.get("alert_topic_arn").is_unknown() {
        let arn = format!("arn:aws:sns:us-east-1:123456789012:{name}-alerts");
        state.set_attr("alert_topic_arn", Value::from(arn.as_str()));
    }
    if let Some(Value::Map(alarms)) = state.get_mut("alarms") {
        for (alarm, arn) in alarms.iter_mut().filter(|(_, v)| v.is_unknown()) {
            *arn = Value::from(
                format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{alarm}").as_str(),
            );
        }
    }
    for (block, attr, v) in outputs {
        super::flatten::set_in(&mut state, block, attr, v.clone());
    }
    null_unknowns(&mut state);
    state
}

/// What the parts return, as AWS would describe a healthy `mosia-test` (one place to
/// update when a part's state gains a field).
pub(super) mod states {
    use std::collections::{BTreeMap, BTreeSet};

    use crate::aws::eks::{EksClusterState, NodeGroupState};
    use crate::aws::elasticache::ElastiCacheState;
    use crate::aws::msk::MskState;
    use crate::aws::network::NetworkState;
    use crate::aws::rds::{RdsState, ReplicaState};

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    pub fn network() -> NetworkState {
        NetworkState {
            vpc_id: "vpc-0123abcd".into(),
            cidr_block: "10.0.0.0/16".into(),
            availability_zones: strings(&["us-east-1a", "us-east-1b"]),
            private_subnet_ids: strings(&["subnet-0000000a", "subnet-0000000b"]),
            public_subnet_ids: strings(&["subnet-0000001a", "subnet-0000001b"]),
            security_group_ids: BTreeMap::from([
                ("eks".to_string(), "sg-000000e1".to_string()),
                ("rds".to_string(), "sg-000000d1".to_string()),
            ]),
            internet_gateway_id: Some("igw-00000001".into()),
            nat_gateway_ids: strings(&["nat-00000001"]),
            managed: true,
        }
    }

    pub fn cluster() -> EksClusterState {
        EksClusterState {
            name: "mosia-test".into(),
            arn: "arn:aws:eks:us-east-1:123456789012:cluster/mosia-test".into(),
            endpoint: "https://eks.example".into(),
            certificate_authority: "Q0E=".into(),
            oidc_issuer: "https://oidc.example/id/1".into(),
            version: "1.31".into(),
            status: "ACTIVE".into(),
            endpoint_public_access: false,
            endpoint_private_access: true,
            public_access_cidrs: vec![],
            enabled_log_types: BTreeSet::new(),
            subnet_ids: strings(&["subnet-0000000a", "subnet-0000000b"]),
            security_group_ids: strings(&["sg-000000e1"]),
            cluster_security_group_id: None,
            platform_version: "eks.1".into(),
            tags: BTreeMap::new(),
            // A dev environment's settings.
            authentication_mode: "API_AND_CONFIG_MAP".into(),
            creator_admin: Some(true),
            support_type: "EXTENDED".into(),
            encryption_key_arn: None,
            log_retention_days: Some(7),
        }
    }

    pub fn node_group(status: &str) -> NodeGroupState {
        NodeGroupState {
            name: "general".into(),
            arn: "arn:aws:eks:us-east-1:123456789012:nodegroup/mosia-test/general/1".into(),
            instance_types: strings(&["m5.large"]),
            min_size: 1,
            max_size: 5,
            desired_size: 4,
            capacity_type: "ON_DEMAND".into(),
            disk_size_gb: 20,
            labels: BTreeMap::new(),
            status: status.into(),
            subnet_ids: vec![],
            version: "1.31".into(),
            release_version: "1.31.0".into(),
            tags: BTreeMap::new(),
            ami_type: "AL2023_x86_64_STANDARD".into(),
            taints: vec![],
            max_unavailable: Some(crate::aws::eks::MaxUnavailable::Count(1)),
            others: vec![],
            auto_scaling_groups: vec!["eks-general-1".into()],
        }
    }

    pub fn rds(replicas: usize) -> RdsState {
        RdsState {
            identifier: "mosia-test-db".into(),
            arn: "arn:aws:rds:us-east-1:123456789012:db:mosia-test-db".into(),
            endpoint: "mosia-test-db.example".into(),
            port: 5432,
            engine_version: "16.4".into(),
            instance_class: "db.t4g.large".into(),
            allocated_storage_gb: 50,
            max_allocated_storage_gb: None,
            multi_az: true,
            backup_retention_days: 7,
            deletion_protection: true,
            master_user_secret_arn: Some(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:db".into(),
            ),
            parameter_group: "mosia-test-pg16".into(),
            replicas: (0..replicas)
                .map(|i| ReplicaState {
                    identifier: format!("mosia-test-db-replica-{i}"),
                    arn: format!("arn:aws:rds:us-east-1:123456789012:db:mosia-test-db-replica-{i}"),
                    endpoint: format!("mosia-test-db-replica-{i}.example"),
                    instance_class: "db.t4g.large".into(),
                    status: "available".into(),
                    deletion_protection: true,
                })
                .collect(),
            status: "available".into(),
            engine: "postgres".into(),
            master_username: "mosia".into(),
            database_name: None,
            storage_type: Some("gp3".into()),
            storage_encrypted: true,
            kms_key_arn: None,
            vpc_security_group_ids: vec![],
            db_subnet_group: None,
            parameter_apply_status: None,
            resource_id: "db-ABCDEFGHIJKLMNOPQRSTUVWXY0".into(),
            iam_database_authentication: true,
            maintenance_window: "sun:05:00-sun:05:30".into(),
            backup_window: "03:00-03:30".into(),
            pending: BTreeMap::new(),
            auto_minor_version_upgrade: true,
            retired: vec![],
            warnings: vec![],
        }
    }

    pub fn cache() -> ElastiCacheState {
        ElastiCacheState {
            replication_group_id: "mosia-test-cache".into(),
            arn: "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:mosia-test-cache"
                .into(),
            primary_endpoint: "primary.cache.example".into(),
            reader_endpoint: None,
            port: 6379,
            engine_version: "7.1".into(),
            node_type: "cache.t4g.small".into(),
            running_node_type: "cache.t4g.small".into(),
            replicas: 2,
            automatic_failover: true,
            multi_az: true,
            status: "modifying".into(),
            engine: "redis".into(),
            at_rest_encryption: true,
            kms_key_arn: None,
            transit_encryption: true,
            security_group_ids: vec![],
            user_group_ids: vec!["mosia-test-cache".into()],
            users: Default::default(),
            auth_token_enabled: false,
            auth_secret_arn: None,
            maintenance_window: "sat:05:00-sat:06:00".into(),
            parameter_group: "default.redis7".into(),
            parameters: None,
            snapshot_retention_days: 0,
            warnings: vec![],
            pending: Default::default(),
        }
    }

    pub fn msk(brokers: u32) -> MskState {
        MskState {
            arn: "arn:aws:kafka:us-east-1:123456789012:cluster/mosia-test-kafka/1".into(),
            name: "mosia-test-kafka".into(),
            kms_key_arn: None,
            kafka_version: "3.6.0".into(),
            broker_instance_type: "kafka.m5.large".into(),
            number_of_broker_nodes: brokers,
            storage_gb: 100,
            current_version: "K1".into(),
            bootstrap_brokers: None,
            bootstrap_brokers_tls: Some("b-1.example:9094".into()),
            bootstrap_brokers_iam: None,
            bootstrap_brokers_scram: None,
            scram_secrets: Default::default(),
            status: "ACTIVE".into(),
            client_subnets: vec![],
            security_groups: vec![],
            client_authentication: BTreeSet::new(),
            encryption_in_transit: "TLS".into(),
            tags: BTreeMap::new(),
            configuration: None,
            server_properties: BTreeMap::new(),
            storage_autoscaling_max_gb: None,
        }
    }
}
