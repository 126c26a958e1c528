//! `mosia_environment` through Terraform 1.15.5 against the emulator: a dev environment
//! with every part is created, a second plan is empty, in-place updates apply, drift is
//! restored, a part deleted out of band is recreated, and destroy leaves nothing owned.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::owned::{has_kind, owned_objects};
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.dev";

fn config(name: &str, rds_class: &str, desired: u32) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "dev" {{
  name = "{name}"
  tier = "dev"
  tags = {{ cost-center = "42" }}

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
    cidr_block = "10.20.0.0/16"
    az_count   = 3
  }}

  eks {{
    version = "1.31"
    node_group "general" {{
      instance_types = ["m6i.large"]
      min_size       = 1
      max_size       = 4
      desired_size   = {desired}
    }}
  }}

  rds {{
    engine_version       = "16.4"
    instance_class       = "{rds_class}"
    allocated_storage_gb = 20
  }}

  elasticache {{
    engine_version = "7.1"
    node_type      = "cache.t4g.small"
    replicas       = 1
  }}

  msk {{
    kafka_version        = "3.6.0"
    broker_instance_type = "kafka.t3.small"
    brokers_per_az       = 1
    storage_gb           = 100
  }}
}}
"#
    )
}

/// The independent parts were created side by side, the dependent ones after their
/// dependency was ready: from the creation times AWS reports, with the service creates
/// lasting 4 seconds. EKS, RDS and MSK start less than 3 seconds apart (one after the other,
/// each would wait at least 4 seconds for the one before; the margin absorbs a loaded
/// machine); the node group starts only once its cluster is active.
async fn assert_created_concurrently(em: &Emulator, name: &str) {
    let cfg = em.sdk_config().await;
    let eks = aws_sdk_eks::Client::new(&cfg);
    let cluster = eks
        .describe_cluster()
        .name(format!("{name}-eks"))
        .send()
        .await
        .unwrap()
        .cluster
        .unwrap();
    let group = eks
        .describe_nodegroup()
        .cluster_name(format!("{name}-eks"))
        .nodegroup_name(format!("{name}-general"))
        .send()
        .await
        .unwrap()
        .nodegroup
        .unwrap();
    let db = aws_sdk_rds::Client::new(&cfg)
        .describe_db_instances()
        .db_instance_identifier(format!("{name}-db"))
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .clone();
    let msk = aws_sdk_kafka::Client::new(&cfg)
        .list_clusters_v2()
        .cluster_name_filter(format!("{name}-kafka"))
        .send()
        .await
        .unwrap()
        .cluster_info_list()[0]
        .clone();
    let secs =
        |t: Option<&aws_sdk_eks::primitives::DateTime>| t.expect("a creation time").as_secs_f64();
    let started = [
        ("eks", secs(cluster.created_at())),
        ("rds", secs(db.instance_create_time())),
        ("msk", secs(msk.creation_time())),
    ];
    let first = started.iter().map(|s| s.1).fold(f64::MAX, f64::min);
    let last = started.iter().map(|s| s.1).fold(f64::MIN, f64::max);
    assert!(
        last - first < 3.0,
        "independent parts start together: {started:?}"
    );
    let after = secs(group.created_at()) - secs(cluster.created_at());
    assert!(
        after >= 3.5,
        "the node group starts after its cluster is active ({after:.1} s after the cluster)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_environment_create_update_drift_recreate_destroy() {
    let em = Emulator::start();
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    // The emulator's lifecycles are instant: poll fast.
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    let name = "mosia-acc-dev";
    tf.write("main.tf", &config(name, "db.t4g.medium", 2));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["validate"]);
    // Lifecycles on for the create: each service takes a few seconds to become ready.
    let lifecycles = em.require_embedded("lifecycle durations").is_some();
    if lifecycles {
        em.set_durations(serde_json::json!({
            "eks_cluster": {"create": 4},
            "eks_nodegroup": {"create": 2},
            "rds_instance": {"create": 4},
            "elasticache_replication_group": {"create": 4},
            "msk_cluster": {"create": 4},
        }));
    }
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 2);
    assert!(
        plan.stdout.contains("estimated_monthly_cost_usd"),
        "{}",
        plan.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    if lifecycles {
        assert_created_concurrently(&em, name).await;
        em.set_durations(serde_json::json!({
            "eks_cluster": {"create": 0},
            "eks_nodegroup": {"create": 0},
            "rds_instance": {"create": 0},
            "elasticache_replication_group": {"create": 0},
            "msk_cluster": {"create": 0},
        }));
    }

    let state = tf.state_json();
    let v = resource_values(&state, ADDR).expect("in state");
    for part in [
        "network",
        "iam",
        "eks",
        "eks.oidc",
        "eks.node_group.general",
        "rds",
        "rds.replicas",
        "elasticache",
        "msk",
    ] {
        assert_eq!(
            v["part_status"][part], "ready",
            "{part}: {}",
            v["part_status"]
        );
    }
    assert!(
        v["rds"]["master_user_secret_arn"]
            .as_str()
            .unwrap()
            .contains("secret"),
        "{}",
        v["rds"]
    );
    assert!(
        v["msk"]["bootstrap_brokers_iam"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{}",
        v["msk"]
    );
    assert!(
        v["eks"]["endpoint"]
            .as_str()
            .is_some_and(|s| s.starts_with("https://")),
        "{}",
        v["eks"]
    );
    assert!(v["estimated_monthly_cost_usd"].as_f64().unwrap() > 0.0);
    let raw = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap();
    assert!(
        !raw.to_lowercase().contains("password\":\""),
        "no password in state"
    );

    let second = tf.plan_exit();
    assert_eq!(
        second.code, 0,
        "second plan must be empty:\n{}",
        second.stdout
    );

    // In-place updates: RDS class and node group scaling.
    tf.write("main.tf", &config(name, "db.t4g.large", 3));
    let upd = tf.plan_exit();
    assert!(
        upd.stdout.contains("1 to change") && upd.stdout.contains("0 to destroy"),
        "{}",
        upd.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let rds = aws_sdk_rds::Client::new(&em.sdk_config().await);
    let db = rds
        .describe_db_instances()
        .db_instance_identifier(format!("{name}-db"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        db.db_instances()[0].db_instance_class(),
        Some("db.t4g.large")
    );
    assert_eq!(tf.plan_exit().code, 0);

    // Drift: the RDS class changed by hand is restored.
    rds.modify_db_instance()
        .db_instance_identifier(format!("{name}-db"))
        .db_instance_class("db.t4g.medium")
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let drift = tf.plan_exit();
    assert_eq!(drift.code, 2, "drift shows:\n{}", drift.stdout);
    assert!(
        drift.stdout.contains("db.t4g.medium") && drift.stdout.contains("db.t4g.large"),
        "{}",
        drift.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0);

    // A part deleted out of band is recreated by the next apply.
    let cache = aws_sdk_elasticache::Client::new(&em.sdk_config().await);
    cache
        .delete_replication_group()
        .replication_group_id(format!("{name}-cache"))
        .send()
        .await
        .unwrap();
    let gone = tf.plan_exit();
    assert_eq!(gone.code, 2, "{}", gone.stdout);
    assert!(gone.stdout.contains("missing"), "{}", gone.stdout);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0);

    // Removing a service block deletes just that part.
    let without_msk = config(name, "db.t4g.large", 3);
    let start = without_msk.find("  msk {").unwrap();
    let end = start + without_msk[start..].find("\n  }\n").unwrap() + 5;
    tf.write(
        "main.tf",
        &format!("{}{}", &without_msk[..start], &without_msk[end..]),
    );
    let drop = tf.plan_exit();
    assert!(
        drop.stdout.contains("1 to change") && drop.stdout.contains("0 to destroy"),
        "{}",
        drop.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let kafka = aws_sdk_kafka::Client::new(&em.sdk_config().await);
    let clusters = kafka.list_clusters_v2().send().await.unwrap();
    assert!(
        clusters
            .cluster_info_list()
            .iter()
            .all(|c| !c.cluster_name().unwrap_or("").starts_with(name)),
        "MSK removed"
    );
    assert_eq!(
        em.call_count("rds", "DeleteDBInstance"),
        0,
        "other parts untouched"
    );
    assert_eq!(tf.plan_exit().code, 0);

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let left = rds.describe_db_instances().send().await.unwrap();
    assert!(
        left.db_instances()
            .iter()
            .all(|d| !d.db_instance_identifier().unwrap_or("").starts_with(name)),
        "RDS left"
    );
    let kafka = aws_sdk_kafka::Client::new(&em.sdk_config().await);
    let clusters = kafka.list_clusters_v2().send().await.unwrap();
    assert!(
        clusters
            .cluster_info_list()
            .iter()
            .all(|c| !c.cluster_name().unwrap_or("").starts_with(name)),
        "MSK left"
    );
    let ec2 = aws_sdk_ec2::Client::new(&em.sdk_config().await);
    let vpcs = ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:mosia:environment")
                .values(name)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(vpcs.vpcs().is_empty(), "VPC left");
}

fn partial_config(name: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "dev" {{
  name = "{name}"
  tier = "dev"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
    cidr_block = "10.30.0.0/16"
    az_count   = 2
  }}

  rds {{
    engine_version = "16.4"
  }}

  elasticache {{
    engine_version = "7.1"
  }}

  msk {{
    kafka_version = "3.6.0"
  }}
}}
"#
    )
}

/// A part fails (injected AWS error): the apply errors naming the part and the AWS error,
/// the parts that exist are in state; the next apply resumes without rebuilding them.
#[tokio::test(flavor = "multi_thread")]
async fn failed_part_is_resumed_without_rebuilding_healthy_parts() {
    let em = Emulator::start();
    let Some(em) = em.require_embedded("fault injection") else {
        return;
    };
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    let name = "mosia-acc-partial";
    tf.write("main.tf", &partial_config(name));
    tf.ok(&["init", "-input=false"]);
    em.inject_fault(serde_json::json!({
        "service": "rds", "operation": "CreateDBInstance", "count": 1,
        "error_code": "InsufficientDBInstanceCapacity", "http_status": 400,
        "message": "no capacity for db.t4g.micro in this AZ"
    }));
    let failed = tf.run(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(failed.code, 0);
    let text = failed.combined();
    assert!(
        text.contains("rds") && text.contains("InsufficientDBInstanceCapacity"),
        "{text}"
    );
    assert!(
        text.contains("terraform apply"),
        "says how to resume: {text}"
    );
    let state = tf.state_json();
    let v = resource_values(&state, ADDR).expect("partial environment recorded in state");
    for part in ["network", "elasticache", "msk"] {
        assert_eq!(
            v["part_status"][part], "ready",
            "{part}: {}",
            v["part_status"]
        );
    }
    assert!(
        v["elasticache"]["primary_endpoint"].as_str().is_some(),
        "healthy part outputs kept"
    );

    let resumed = tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(
        em.call_count("ec2", "CreateVpc"),
        1,
        "network not rebuilt: {}",
        em.call_counts()
    );
    assert_eq!(
        em.call_count("elasticache", "CreateReplicationGroup"),
        1,
        "cache not rebuilt: {}",
        em.call_counts()
    );
    assert_eq!(
        em.call_count("rds", "CreateDBInstance"),
        2,
        "rds retried once: {}",
        em.call_counts()
    );
    assert!(
        resumed.stdout.contains("Apply complete"),
        "{}",
        resumed.stdout
    );
    assert_eq!(tf.plan_exit().code, 0, "resumed environment is complete");
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}

/// `terraform destroy` right after a failed create deletes every part that was created:
/// the destroy is planned with the provider, unlike the delete half of the replacement that
/// resumes a failed create (which keeps the parts, see the test above).
#[tokio::test(flavor = "multi_thread")]
async fn destroy_after_a_failed_create_removes_every_part() {
    let em = Emulator::start();
    let Some(em) = em.require_embedded("fault injection") else {
        return;
    };
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    let name = "mosia-acc-faildel";
    tf.write("main.tf", &partial_config(name));
    tf.ok(&["init", "-input=false"]);
    em.inject_fault(serde_json::json!({
        "service": "rds", "operation": "CreateDBInstance", "count": 1,
        "error_code": "InsufficientDBInstanceCapacity", "http_status": 400,
        "message": "no capacity for db.t4g.micro in this AZ"
    }));
    assert_ne!(tf.run(&["apply", "-auto-approve", "-input=false"]).code, 0);
    let cfg = em.sdk_config().await;
    let created = owned_objects(&cfg, name).await;
    for kind in ["vpc", "replication-group", "msk-cluster"] {
        assert!(has_kind(&created, kind), "{kind} created: {created:?}");
    }

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let left = owned_objects(&cfg, name).await;
    assert!(left.is_empty(), "objects left after destroy: {left:?}");
}

/// Terraform and the provider are killed with SIGKILL in the middle of an apply; the next
/// apply adopts what was created instead of duplicating it or failing on name clashes.
#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_apply_then_reapply_creates_no_duplicates() {
    let em = Emulator::start();
    let Some(em) = em.require_embedded("lifecycle timing and call counts") else {
        return;
    };
    // Long enough creates that the kill lands while parts are still being provisioned.
    em.set_durations(serde_json::json!({
        "rds_instance": {"create": 4}, "elasticache_replication_group": {"create": 4}, "msk_cluster": {"create": 4}
    }));
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.05");
    let name = "mosia-acc-crash";
    tf.write("main.tf", &partial_config(name));
    tf.ok(&["init", "-input=false"]);
    let mut child = tf.spawn(&["apply", "-auto-approve", "-input=false"]);
    let started = std::time::Instant::now();
    while em.call_count("rds", "CreateDBInstance") == 0 {
        assert!(
            started.elapsed().as_secs() < 60,
            "apply never reached RDS: {}",
            em.call_counts()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SIGKILL Terraform and every provider process it started.
    mosia_acceptance_tests::terraform::kill_tree(child.id());
    let _ = child.wait();
    let _ = std::fs::remove_file(tf.path().join(".terraform.tfstate.lock.info"));

    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let counts = em.call_counts();
    assert_eq!(
        em.call_count("ec2", "CreateVpc"),
        1,
        "no second VPC: {counts}"
    );
    assert_eq!(
        em.call_count("rds", "CreateDBInstance"),
        1,
        "no second database: {counts}"
    );
    assert!(
        em.call_count("elasticache", "CreateReplicationGroup") <= 1,
        "no second cache: {counts}"
    );
    let ec2 = aws_sdk_ec2::Client::new(&em.sdk_config().await);
    let vpcs = ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:mosia:environment")
                .values(name)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1);
    assert_eq!(tf.plan_exit().code, 0);
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}
