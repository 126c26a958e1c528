//! In-place updates of `mosia_environment` through Terraform 1.15.5 against the emulator,
//! each checked in AWS through the SDK (not only in state) and followed by an empty plan:
//! an EKS version upgrade (control plane, then node groups), a node group change AWS cannot
//! make in place (only that node group is replaced, with a warning), ElastiCache node type
//! and replica count, MSK broker count, storage and broker type. And the production
//! guardrails: defaults shown at plan, destroy refused while deletion protection is on,
//! retirement by a change of tier.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{installed_core, resource_values, Output, Workdir};

const ADDR: &str = "mosia_environment.env";

fn header() -> &'static str {
    r#"terraform {
  required_providers {
    mosia = { source = "mosia/mosia" }
  }
}

provider "mosia" {
  region = "us-east-1"
}
"#
}

fn workdir(em: &Emulator) -> Workdir {
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    // The emulator's lifecycles are instant: poll fast.
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf
}

fn apply(tf: &Workdir) -> Output {
    tf.ok(&["apply", "-auto-approve", "-input=false"])
}

/// The plan of a configuration change: one in-place update of the environment, nothing
/// replaced or destroyed.
fn assert_in_place_plan(tf: &Workdir) {
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 2, "changes expected:\n{}", plan.stdout);
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "an in-place update, nothing replaced:\n{}",
        plan.stdout
    );
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
}

/// Terraform wraps diagnostics: compare with every run of whitespace made one space.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_empty_plan(tf: &Workdir, after: &str) {
    let plan = tf.plan_exit();
    assert_eq!(
        plan.code, 0,
        "plan after {after} must be empty:\n{}",
        plan.stdout
    );
}

/// A string attribute of a block of the environment in state.
fn state_str(tf: &Workdir, block: &str, attr: &str) -> String {
    let state = tf.state_json();
    let v = resource_values(&state, ADDR).expect("environment in state");
    v[block][attr]
        .as_str()
        .unwrap_or_else(|| panic!("{block}.{attr} in state: {}", v[block]))
        .to_string()
}

/// Call counts of the project's emulator; None at an external endpoint (checks skipped).
fn calls(em: &Emulator, service: &str, op: &str) -> Option<u64> {
    em.is_embedded().then(|| em.call_count(service, op))
}

// -------------------------------------------------------------------------------------------
// EKS

fn eks_config(name: &str, version: &str, batch_capacity: &str, batch_disk: u32) -> String {
    format!(
        r#"{header}
resource "mosia_environment" "env" {{
  name = "{name}"
  tier = "dev"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
    cidr_block = "10.40.0.0/16"
    az_count   = 2
  }}

  eks {{
    version = "{version}"
    node_group "general" {{
      instance_types = ["t3.medium"]
      min_size       = 1
      max_size       = 2
      desired_size   = 1
    }}
    node_group "batch" {{
      instance_types = ["t3.medium"]
      min_size       = 1
      max_size       = 2
      desired_size   = 1
      capacity_type  = "{batch_capacity}"
      disk_size_gb   = {batch_disk}
    }}
  }}

  rds {{
    engine_version = "16.4"
  }}
}}
"#,
        header = header()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn eks_upgrade_then_node_group_replaced_alone() {
    let em = Emulator::start();
    let tf = workdir(&em);
    let name = "mosia-upd-eks";
    let cluster = format!("{name}-eks");
    let eks = aws_sdk_eks::Client::new(&em.sdk_config().await);
    let ec2 = aws_sdk_ec2::Client::new(&em.sdk_config().await);
    let rds = aws_sdk_rds::Client::new(&em.sdk_config().await);
    // A node group by its configuration name: `{name}-NG`, or `{name}-NG-xxxxx` once
    // replaced (create before destroy gives the new group another name).
    let node_group = |ng: &str| {
        let eks = eks.clone();
        let (cluster, ng_name) = (cluster.clone(), format!("{name}-{ng}"));
        async move {
            let listed = eks
                .list_nodegroups()
                .cluster_name(&cluster)
                .send()
                .await
                .expect("list node groups");
            let eks_name = listed
                .nodegroups()
                .iter()
                .find(|n| {
                    **n == ng_name
                        || n.strip_prefix(&format!("{ng_name}-"))
                            .is_some_and(|s| s.len() == 5)
                })
                .unwrap_or_else(|| panic!("node group {ng_name} in {listed:?}"))
                .clone();
            eks.describe_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(&eks_name)
                .send()
                .await
                .unwrap_or_else(|e| panic!("describe node group {eks_name}: {e:?}"))
                .nodegroup
                .expect("node group")
        }
    };
    let cluster_now = || {
        let eks = eks.clone();
        let cluster = cluster.clone();
        async move {
            eks.describe_cluster()
                .name(cluster)
                .send()
                .await
                .unwrap()
                .cluster
                .expect("cluster")
        }
    };

    tf.write("main.tf", &eks_config(name, "1.30", "ON_DEMAND", 20));
    tf.ok(&["init", "-input=false"]);
    apply(&tf);
    let created = cluster_now().await;
    assert_eq!(created.version(), Some("1.30"));
    for ng in ["general", "batch"] {
        assert_eq!(node_group(ng).await.version(), Some("1.30"), "{ng}");
    }
    let vpc_id = state_str(&tf, "network", "vpc_id");
    let rds_arn = state_str(&tf, "rds", "arn");
    assert_empty_plan(&tf, "create");

    // 1.30 -> 1.31: the control plane, then both node groups, in place. The control plane
    // upgrade takes a second, so that the order shows in the updates' start times.
    let cluster_update_secs = if em.is_embedded() {
        em.set_durations(serde_json::json!({"eks_cluster": {"update": 1}}));
        1.0
    } else {
        0.0
    };
    tf.write("main.tf", &eks_config(name, "1.31", "ON_DEMAND", 20));
    assert_in_place_plan(&tf);
    apply(&tf);
    let upgraded = cluster_now().await;
    assert_eq!(upgraded.version(), Some("1.31"), "control plane upgraded");
    assert_eq!(upgraded.arn(), created.arn(), "same cluster");
    assert_eq!(upgraded.status().map(|s| s.as_str()), Some("ACTIVE"));
    let general_before = node_group("general").await;
    for ng in ["general", "batch"] {
        let g = node_group(ng).await;
        assert_eq!(
            g.version(),
            Some("1.31"),
            "node group {ng} follows the cluster"
        );
        assert_eq!(g.status().map(|s| s.as_str()), Some("ACTIVE"), "{ng}");
    }
    if let Some(n) = calls(&em, "eks", "UpdateClusterVersion") {
        assert_eq!(n, 1, "one minor version: {}", em.call_counts());
        assert_eq!(calls(&em, "eks", "UpdateNodegroupVersion"), Some(2));
        assert_eq!(calls(&em, "eks", "CreateCluster"), Some(1));
        assert_eq!(calls(&em, "eks", "DeleteNodegroup"), Some(0));
    }
    // The control plane first: each node group's version update started after the
    // cluster's had finished.
    let version_updates = |ng: Option<String>| {
        let eks = eks.clone();
        let cluster = cluster.clone();
        async move {
            let ids = eks
                .list_updates()
                .name(&cluster)
                .set_nodegroup_name(ng.clone())
                .send()
                .await
                .unwrap()
                .update_ids
                .unwrap_or_default();
            let mut found = Vec::new();
            for id in ids {
                let u = eks
                    .describe_update()
                    .name(&cluster)
                    .set_nodegroup_name(ng.clone())
                    .update_id(id)
                    .send()
                    .await
                    .unwrap()
                    .update
                    .expect("update");
                if u.r#type().map(|t| t.as_str()) == Some("VersionUpdate") {
                    assert_eq!(u.status().map(|s| s.as_str()), Some("Successful"));
                    found.push(u.created_at().expect("created_at").as_secs_f64());
                }
            }
            found
        }
    };
    let cluster_updates = version_updates(None).await;
    assert_eq!(cluster_updates.len(), 1, "one control plane upgrade");
    for ng in ["general", "batch"] {
        let ng_updates = version_updates(Some(format!("{name}-{ng}"))).await;
        assert_eq!(ng_updates.len(), 1, "one upgrade of node group {ng}");
        assert!(
            ng_updates[0] - cluster_updates[0] >= cluster_update_secs - 0.05,
            "node group {ng} upgraded after the control plane: started {:.2} s after it",
            ng_updates[0] - cluster_updates[0]
        );
    }
    assert_eq!(state_str(&tf, "eks", "version"), "1.31");
    assert_empty_plan(&tf, "the EKS upgrade");

    // Capacity type and disk size cannot change on a managed node group: "batch" alone is
    // replaced, with a warning; the cluster, "general", the network and RDS are untouched.
    tf.write("main.tf", &eks_config(name, "1.31", "SPOT", 50));
    assert_in_place_plan(&tf);
    let out = apply(&tf);
    let text = squeeze(&out.combined());
    assert!(
        text.contains("Warning: Part replaced") && text.contains("node group \"batch\" replaced"),
        "the replacement is reported as a warning:\n{text}"
    );
    assert!(
        text.contains("capacity type changes from ON_DEMAND to SPOT")
            && text.contains("disk size changes from 20 GB to 50 GB"),
        "the warning says why:\n{text}"
    );
    assert!(!text.contains("\"general\" replaced"), "{text}");
    let batch = node_group("batch").await;
    assert_eq!(batch.capacity_type().map(|c| c.as_str()), Some("SPOT"));
    assert_eq!(batch.disk_size(), Some(50));
    assert_eq!(
        batch.version(),
        Some("1.31"),
        "new group at the cluster's version"
    );
    assert_eq!(batch.status().map(|s| s.as_str()), Some("ACTIVE"));
    let general_after = node_group("general").await;
    assert_eq!(
        general_after.nodegroup_arn(),
        general_before.nodegroup_arn()
    );
    assert_eq!(general_after.created_at(), general_before.created_at());
    assert_eq!(
        general_after.capacity_type().map(|c| c.as_str()),
        Some("ON_DEMAND")
    );
    assert_eq!(cluster_now().await.arn(), created.arn(), "same cluster");
    assert_eq!(state_str(&tf, "network", "vpc_id"), vpc_id, "same VPC");
    assert_eq!(state_str(&tf, "rds", "arn"), rds_arn, "same database");
    let vpcs = ec2.describe_vpcs().vpc_ids(&vpc_id).send().await.unwrap();
    assert_eq!(vpcs.vpcs().len(), 1, "VPC still there");
    let db = rds
        .describe_db_instances()
        .db_instance_identifier(format!("{name}-db"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        db.db_instances()[0].db_instance_arn(),
        Some(rds_arn.as_str())
    );
    if let Some(n) = calls(&em, "eks", "DeleteNodegroup") {
        assert_eq!(n, 1, "only batch deleted: {}", em.call_counts());
        assert_eq!(calls(&em, "eks", "CreateNodegroup"), Some(3));
        assert_eq!(calls(&em, "eks", "DeleteCluster"), Some(0));
        assert_eq!(calls(&em, "rds", "DeleteDBInstance"), Some(0));
        assert_eq!(calls(&em, "ec2", "DeleteVpc"), Some(0));
    }
    let state = tf.state_json();
    let v = resource_values(&state, ADDR).unwrap();
    assert_eq!(
        v["part_status"]["eks.node_group.batch"], "ready",
        "{}",
        v["part_status"]
    );
    assert_empty_plan(&tf, "the node group replacement");

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let left = eks.list_clusters().send().await.unwrap();
    assert!(!left.clusters().contains(&cluster), "cluster left");
}

// -------------------------------------------------------------------------------------------
// ElastiCache and MSK

struct Sizes {
    node_type: &'static str,
    replicas: u32,
    broker_type: &'static str,
    brokers_per_az: u32,
    storage_gb: u32,
}

fn data_config(name: &str, s: &Sizes) -> String {
    format!(
        r#"{header}
resource "mosia_environment" "env" {{
  name = "{name}"
  tier = "dev"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
    cidr_block = "10.41.0.0/16"
    az_count   = 2
  }}

  elasticache {{
    engine_version = "7.1"
    node_type      = "{node_type}"
    replicas       = {replicas}
  }}

  msk {{
    kafka_version        = "3.6.0"
    broker_instance_type = "{broker_type}"
    brokers_per_az       = {brokers_per_az}
    storage_gb           = {storage_gb}
  }}
}}
"#,
        header = header(),
        node_type = s.node_type,
        replicas = s.replicas,
        broker_type = s.broker_type,
        brokers_per_az = s.brokers_per_az,
        storage_gb = s.storage_gb,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn elasticache_and_msk_update_in_place() {
    let em = Emulator::start();
    let tf = workdir(&em);
    let name = "mosia-upd-data";
    let cache = aws_sdk_elasticache::Client::new(&em.sdk_config().await);
    let kafka = aws_sdk_kafka::Client::new(&em.sdk_config().await);
    let group = || {
        let cache = cache.clone();
        async move {
            let out = cache
                .describe_replication_groups()
                .replication_group_id(format!("{name}-cache"))
                .send()
                .await
                .unwrap();
            out.replication_groups()[0].clone()
        }
    };
    let broker_count = |g: &aws_sdk_elasticache::types::ReplicationGroup| {
        g.node_groups()
            .iter()
            .map(|ng| ng.node_group_members().len())
            .sum::<usize>()
    };
    let cluster = |arn: String| {
        let kafka = kafka.clone();
        async move {
            let c = kafka
                .describe_cluster_v2()
                .cluster_arn(arn)
                .send()
                .await
                .unwrap()
                .cluster_info
                .expect("cluster");
            let p = c.provisioned().expect("provisioned cluster").clone();
            (c, p)
        }
    };

    let before = Sizes {
        node_type: "cache.t4g.small",
        replicas: 1,
        broker_type: "kafka.t3.small",
        brokers_per_az: 1,
        storage_gb: 100,
    };
    tf.write("main.tf", &data_config(name, &before));
    tf.ok(&["init", "-input=false"]);
    apply(&tf);
    let g = group().await;
    assert_eq!(g.cache_node_type(), Some("cache.t4g.small"));
    assert_eq!(g.member_clusters().len(), 2, "primary + 1 replica");
    let cache_arn = g.arn().expect("group ARN").to_string();
    let msk_arn = state_str(&tf, "msk", "arn");
    let (_, p) = cluster(msk_arn.clone()).await;
    assert_eq!(p.number_of_broker_nodes(), Some(2));
    assert_eq!(
        p.broker_node_group_info().and_then(|b| b.instance_type()),
        Some("kafka.t3.small")
    );
    assert_empty_plan(&tf, "create");

    // One apply: ElastiCache node type and one more replica; MSK broker type and storage.
    // (The broker count has a test of its own below.)
    let after = Sizes {
        node_type: "cache.t4g.medium",
        replicas: 2,
        broker_type: "kafka.m7g.large",
        brokers_per_az: 1,
        storage_gb: 200,
    };
    tf.write("main.tf", &data_config(name, &after));
    assert_in_place_plan(&tf);
    apply(&tf);

    let g = group().await;
    assert_eq!(g.arn(), Some(cache_arn.as_str()), "same replication group");
    assert_eq!(g.cache_node_type(), Some("cache.t4g.medium"));
    assert_eq!(g.member_clusters().len(), 3, "primary + 2 replicas");
    assert_eq!(broker_count(&g), 3);
    assert_eq!(g.status(), Some("available"));
    let (c, p) = cluster(msk_arn.clone()).await;
    assert_eq!(c.cluster_arn(), Some(msk_arn.as_str()), "same MSK cluster");
    assert_eq!(c.state().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(p.number_of_broker_nodes(), Some(2), "brokers unchanged");
    let brokers = p.broker_node_group_info().expect("broker info");
    assert_eq!(brokers.instance_type(), Some("kafka.m7g.large"));
    assert_eq!(
        brokers
            .storage_info()
            .and_then(|s| s.ebs_storage_info())
            .and_then(|e| e.volume_size()),
        Some(200)
    );
    if let Some(n) = calls(&em, "kafka", "UpdateBrokerType") {
        let counts = em.call_counts();
        assert_eq!(n, 1, "{counts}");
        assert_eq!(
            calls(&em, "kafka", "UpdateBrokerCount"),
            Some(0),
            "{counts}"
        );
        assert_eq!(
            calls(&em, "kafka", "UpdateBrokerStorage"),
            Some(1),
            "{counts}"
        );
        assert_eq!(calls(&em, "kafka", "CreateClusterV2"), Some(1), "{counts}");
        assert_eq!(calls(&em, "kafka", "DeleteCluster"), Some(0), "{counts}");
        assert_eq!(
            calls(&em, "elasticache", "IncreaseReplicaCount"),
            Some(1),
            "{counts}"
        );
        assert_eq!(
            calls(&em, "elasticache", "CreateReplicationGroup"),
            Some(1),
            "{counts}"
        );
        assert_eq!(
            calls(&em, "elasticache", "DeleteReplicationGroup"),
            Some(0),
            "{counts}"
        );
    }
    assert_eq!(state_str(&tf, "msk", "arn"), msk_arn);
    assert_empty_plan(&tf, "the ElastiCache and MSK updates");

    // Fewer replicas, in place.
    let fewer = Sizes {
        replicas: 1,
        ..after
    };
    tf.write("main.tf", &data_config(name, &fewer));
    assert_in_place_plan(&tf);
    apply(&tf);
    let g = group().await;
    assert_eq!(g.arn(), Some(cache_arn.as_str()), "same replication group");
    assert_eq!(g.member_clusters().len(), 2, "primary + 1 replica");
    assert_eq!(g.cache_node_type(), Some("cache.t4g.medium"));
    if let Some(n) = calls(&em, "elasticache", "DecreaseReplicaCount") {
        assert_eq!(n, 1, "{}", em.call_counts());
        assert_eq!(calls(&em, "elasticache", "CreateReplicationGroup"), Some(1));
    }
    assert_empty_plan(&tf, "the replica decrease");

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let left = cache.describe_replication_groups().send().await.unwrap();
    assert!(
        left.replication_groups()
            .iter()
            .all(|g| !g.replication_group_id().unwrap_or("").starts_with(name)),
        "cache left"
    );
}

fn msk_config(name: &str, brokers_per_az: u32, kafka_version: &str) -> String {
    format!(
        r#"{header}
resource "mosia_environment" "env" {{
  name = "{name}"
  tier = "dev"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
    cidr_block = "10.43.0.0/16"
    az_count   = 2
  }}

  msk {{
    kafka_version        = "{kafka_version}"
    broker_instance_type = "kafka.t3.small"
    brokers_per_az       = {brokers_per_az}
    storage_gb           = 10
  }}
}}
"#,
        header = header()
    )
}

/// More brokers per AZ: UpdateBrokerCount on the same cluster, and the bootstrap broker
/// list in state names the new brokers; then a Kafka upgrade in place, and a downgrade
/// refused.
#[tokio::test(flavor = "multi_thread")]
async fn msk_broker_count_grows_in_place() {
    let em = Emulator::start();
    let tf = workdir(&em);
    let name = "mosia-upd-kafka";
    let kafka = aws_sdk_kafka::Client::new(&em.sdk_config().await);

    tf.write("main.tf", &msk_config(name, 1, "3.6.0"));
    tf.ok(&["init", "-input=false"]);
    apply(&tf);
    let msk_arn = state_str(&tf, "msk", "arn");
    assert_eq!(
        state_str(&tf, "msk", "bootstrap_brokers_iam")
            .split(',')
            .count(),
        2
    );
    assert_empty_plan(&tf, "create");

    tf.write("main.tf", &msk_config(name, 2, "3.6.0"));
    assert_in_place_plan(&tf);
    apply(&tf);
    let c = kafka
        .describe_cluster_v2()
        .cluster_arn(&msk_arn)
        .send()
        .await
        .unwrap()
        .cluster_info
        .expect("same MSK cluster");
    assert_eq!(c.state().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(
        c.provisioned().and_then(|p| p.number_of_broker_nodes()),
        Some(4),
        "2 per AZ × 2 AZs"
    );
    let brokers = kafka
        .get_bootstrap_brokers()
        .cluster_arn(&msk_arn)
        .send()
        .await
        .unwrap();
    let iam = state_str(&tf, "msk", "bootstrap_brokers_iam");
    assert_eq!(iam.split(',').count(), 4, "{iam}");
    assert_eq!(
        brokers.bootstrap_broker_string_sasl_iam(),
        Some(iam.as_str())
    );
    if let Some(n) = calls(&em, "kafka", "UpdateBrokerCount") {
        assert_eq!(n, 1, "{}", em.call_counts());
        assert_eq!(calls(&em, "kafka", "CreateClusterV2"), Some(1));
        assert_eq!(calls(&em, "kafka", "DeleteCluster"), Some(0));
    }
    assert_eq!(state_str(&tf, "msk", "arn"), msk_arn);
    assert_empty_plan(&tf, "the broker count change");

    // A Kafka upgrade: UpdateClusterKafkaVersion on the same cluster.
    tf.write("main.tf", &msk_config(name, 2, "3.7.x"));
    assert_in_place_plan(&tf);
    apply(&tf);
    let c = kafka
        .describe_cluster_v2()
        .cluster_arn(&msk_arn)
        .send()
        .await
        .unwrap()
        .cluster_info
        .expect("same MSK cluster");
    assert_eq!(
        c.provisioned()
            .and_then(|p| p.current_broker_software_info())
            .and_then(|s| s.kafka_version()),
        Some("3.7.x")
    );
    assert_empty_plan(&tf, "the Kafka upgrade");
    // MSK cannot downgrade: refused with the reason, nothing changed.
    tf.write("main.tf", &msk_config(name, 2, "3.6.0"));
    let refused = tf.run(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.combined().contains("3.7.x"),
        "{}",
        refused.combined()
    );
    if let Some(n) = calls(&em, "kafka", "UpdateClusterKafkaVersion") {
        assert_eq!(n, 1, "{}", em.call_counts());
    }
    tf.write("main.tf", &msk_config(name, 2, "3.7.x"));
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}

// -------------------------------------------------------------------------------------------
// Production guardrails

fn production_config(name: &str) -> String {
    format!(
        r#"{header}
resource "mosia_environment" "env" {{
  name = "{name}"
  tier = "production"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
    cidr_block  = "10.42.0.0/16"
    az_count    = 3
    nat_gateway = "per_az"
  }}

  rds {{
    engine_version = "16.4"
  }}
}}
"#,
        header = header()
    )
}

/// The production environment with a cache as well.
fn production_with_cache_config(name: &str) -> String {
    production_config(name).replace(
        "  rds {",
        "  elasticache {\n    engine_version = \"7.1\"\n  }\n\n  rds {",
    )
}

/// Production with `deletion_protection = false`: refused by the guardrail.
fn production_unprotected_config(name: &str) -> String {
    production_config(name).replace(
        "engine_version = \"16.4\"",
        "engine_version = \"16.4\"\n    deletion_protection = false",
    )
}

/// The same environment retired as the README says: tier `staging` and deletion protection
/// off, nothing else. Staging's defaults are smaller than production's; the storage, which
/// RDS cannot shrink, keeps its size.
fn retired_config(name: &str) -> String {
    production_config(name)
        .replace("tier = \"production\"", "tier = \"staging\"")
        .replace(
            "engine_version = \"16.4\"",
            "engine_version = \"16.4\"\n    deletion_protection = false",
        )
}

#[tokio::test(flavor = "multi_thread")]
async fn production_destroy_is_refused_until_deletion_protection_is_off() {
    let em = Emulator::start();
    let tf = workdir(&em);
    let name = "mosia-upd-prod";
    let db_id = format!("{name}-db");
    let rds = aws_sdk_rds::Client::new(&em.sdk_config().await);
    let ec2 = aws_sdk_ec2::Client::new(&em.sdk_config().await);
    let db_now = || {
        let rds = rds.clone();
        let db_id = db_id.clone();
        async move {
            rds.describe_db_instances()
                .db_instance_identifier(db_id)
                .send()
                .await
                .ok()
                .and_then(|o| o.db_instances().first().cloned())
        }
    };
    let env_vpcs = || {
        let ec2 = ec2.clone();
        async move {
            ec2.describe_vpcs()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("tag:mosia:environment")
                        .values(name)
                        .build(),
                )
                .send()
                .await
                .unwrap()
                .vpcs()
                .len()
        }
    };

    // The guardrail refuses turning the protection off in production, before anything runs.
    tf.write("main.tf", &production_unprotected_config(name));
    tf.ok(&["init", "-input=false"]);
    let refused = tf.run(&["plan", "-input=false"]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    let text = refused.combined();
    assert!(
        text.contains("Production guardrail")
            && text.contains("deletion_protection")
            && text.contains("change its tier"),
        "{text}"
    );

    // The plan shows the production defaults the configuration leaves out.
    tf.write("main.tf", &production_config(name));
    tf.ok(&["plan", "-input=false", "-out=tfplan"]);
    let shown = tf.ok(&["show", "-json", "tfplan"]);
    let plan: serde_json::Value = serde_json::from_str(&shown.stdout).unwrap();
    let after = &plan["resource_changes"][0]["change"]["after"];
    assert_eq!(after["rds"]["multi_az"], true, "{}", after["rds"]);
    assert_eq!(
        after["rds"]["deletion_protection"], true,
        "{}",
        after["rds"]
    );
    assert!(
        after["rds"]["backup_retention_days"]
            .as_i64()
            .is_some_and(|d| d >= 7),
        "{}",
        after["rds"]
    );
    let human = tf.ok(&["plan", "-input=false"]);
    for line in [
        "multi_az                 = true",
        "deletion_protection      = true",
        "backup_retention_days    = 14",
    ] {
        let squeezed: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            human
                .stdout
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")
                    == format!("+ {squeezed}")),
            "plan shows {squeezed}:\n{}",
            human.stdout
        );
    }

    tf.ok(&["apply", "-input=false", "tfplan"]);
    let db = db_now().await.expect("database created");
    assert_eq!(db.deletion_protection(), Some(true));
    assert_eq!(db.multi_az(), Some(true));
    assert!(db.backup_retention_period().is_some_and(|d| d >= 7));
    let rds_arn = state_str(&tf, "rds", "arn");
    assert_eq!(env_vpcs().await, 1);
    assert_empty_plan(&tf, "create");

    // Destroy is refused: a clear error, nothing deleted, the environment still in state.
    let destroy = tf.run(&["destroy", "-auto-approve", "-input=false"]);
    assert_ne!(destroy.code, 0, "{}", destroy.combined());
    let text = destroy.combined();
    assert!(
        text.contains("deletion protection is on") && text.contains(&db_id),
        "the error says why:\n{text}"
    );
    assert!(
        text.contains("deletion_protection = false"),
        "the error says what to do:\n{text}"
    );
    let db = db_now().await.expect("database not deleted");
    assert_eq!(db.db_instance_status(), Some("available"));
    assert_eq!(db.db_instance_arn(), Some(rds_arn.as_str()));
    assert_eq!(env_vpcs().await, 1, "network not deleted");
    if let Some(n) = calls(&em, "rds", "DeleteDBInstance") {
        assert_eq!(n, 0, "{}", em.call_counts());
        assert_eq!(calls(&em, "ec2", "DeleteVpc"), Some(0));
        assert_eq!(calls(&em, "ec2", "DeleteSubnet"), Some(0));
        assert_eq!(calls(&em, "ec2", "DeleteNatGateway"), Some(0));
    }
    let state = tf.state_json();
    let v = resource_values(&state, ADDR).expect("environment still in state");
    assert_eq!(v["rds"]["arn"], rds_arn.as_str());
    assert_eq!(v["tier"], "production");
    assert_empty_plan(&tf, "the refused destroy");

    // Retire it: a change of tier with deletion protection off (in place), then destroy.
    tf.write("main.tf", &retired_config(name));
    let plan = tf.plan_exit();
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    apply(&tf);
    let db = db_now().await.expect("database kept");
    assert_eq!(db.deletion_protection(), Some(false));
    assert_eq!(db.db_instance_arn(), Some(rds_arn.as_str()), "not replaced");
    assert_eq!(
        db.allocated_storage(),
        Some(100),
        "production's storage kept: staging's default (50 GB) would be a shrink"
    );
    assert_eq!(
        db.db_instance_class(),
        Some("db.t4g.medium"),
        "staging's class"
    );
    assert_empty_plan(&tf, "the change of tier");

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    assert!(db_now().await.is_none(), "database deleted");
    assert_eq!(env_vpcs().await, 0, "network deleted");
    // Staging keeps a final snapshot.
    let snaps = rds
        .describe_db_snapshots()
        .db_instance_identifier(&db_id)
        .send()
        .await
        .unwrap();
    assert!(
        !snaps.db_snapshots().is_empty(),
        "final snapshot of the retired database"
    );
    let state = tf.state_json();
    assert!(resource_values(&state, ADDR).is_none(), "state emptied");
}

/// A refused production destroy deletes nothing: the parts deleted side by side with RDS
/// (here the cache) must not go while the database's deletion protection blocks the destroy.
#[tokio::test(flavor = "multi_thread")]
async fn production_refused_destroy_leaves_every_part() {
    let em = Emulator::start();
    let tf = workdir(&em);
    let name = "mosia-upd-prodc";
    let cache = aws_sdk_elasticache::Client::new(&em.sdk_config().await);
    let rds = aws_sdk_rds::Client::new(&em.sdk_config().await);
    tf.write("main.tf", &production_with_cache_config(name));
    tf.ok(&["init", "-input=false"]);
    apply(&tf);

    let destroy = tf.run(&["destroy", "-auto-approve", "-input=false"]);
    assert_ne!(destroy.code, 0, "{}", destroy.combined());
    assert!(
        destroy.combined().contains("deletion protection is on"),
        "{}",
        destroy.combined()
    );
    let db = rds
        .describe_db_instances()
        .db_instance_identifier(format!("{name}-db"))
        .send()
        .await
        .expect("database kept");
    assert_eq!(db.db_instances()[0].db_instance_status(), Some("available"));
    let group = cache
        .describe_replication_groups()
        .replication_group_id(format!("{name}-cache"))
        .send()
        .await;
    let status = match &group {
        Ok(g) => g.replication_groups()[0]
            .status()
            .unwrap_or("?")
            .to_string(),
        Err(e) => format!(
            "gone ({})",
            e.as_service_error()
                .map(ToString::to_string)
                .unwrap_or_else(|| e.to_string())
        ),
    };
    assert_eq!(
        status, "available",
        "the cache must survive a destroy that deletion protection refused"
    );
    if let Some(n) = calls(&em, "elasticache", "DeleteReplicationGroup") {
        assert_eq!(n, 0, "{}", em.call_counts());
    }
    assert_empty_plan(&tf, "the refused destroy");
}

fn cache_config(name: &str, at_rest_encryption: bool) -> String {
    format!(
        r#"{header}
resource "mosia_environment" "env" {{
  name = "{name}"
  tier = "dev"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
    cidr_block = "10.44.0.0/16"
    az_count   = 2
  }}

  rds {{
    engine_version = "16.4"
  }}

  elasticache {{
    engine_version     = "7.1"
    at_rest_encryption = {at_rest_encryption}
  }}
}}
"#,
        header = header()
    )
}

/// Encryption at rest can only be set when a cache is created: turning it off replaces the
/// replication group alone, announced in the plan, and the database is not touched.
#[tokio::test(flavor = "multi_thread")]
async fn cache_encryption_change_replaces_only_the_cache() {
    let em = Emulator::start();
    let tf = workdir(&em);
    let name = "mosia-upd-cache";
    let cache = aws_sdk_elasticache::Client::new(&em.sdk_config().await);
    tf.write("main.tf", &cache_config(name, true));
    tf.ok(&["init", "-input=false"]);
    apply(&tf);
    let rds_arn = state_str(&tf, "rds", "arn");

    tf.write("main.tf", &cache_config(name, false));
    let plan = tf.ok(&["plan", "-input=false"]).combined();
    assert!(
        squeeze(&plan).contains("The ElastiCache replication group will be replaced")
            && squeeze(&plan).contains("encryption at rest on → off")
            && plan.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    let applied = apply(&tf).combined();
    assert!(squeeze(&applied).contains("Part replaced"), "{applied}");
    let g = cache
        .describe_replication_groups()
        .replication_group_id(format!("{name}-cache"))
        .send()
        .await
        .unwrap()
        .replication_groups()[0]
        .clone();
    assert_eq!(g.at_rest_encryption_enabled(), Some(false));
    assert_eq!(g.status(), Some("available"));
    if let Some(n) = calls(&em, "elasticache", "DeleteReplicationGroup") {
        assert_eq!(n, 1, "{}", em.call_counts());
        assert_eq!(calls(&em, "elasticache", "CreateReplicationGroup"), Some(2));
        assert_eq!(calls(&em, "rds", "DeleteDBInstance"), Some(0));
    }
    assert_eq!(
        state_str(&tf, "rds", "arn"),
        rds_arn,
        "the database is untouched"
    );
    assert_empty_plan(&tf, "the cache replacement");
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}
