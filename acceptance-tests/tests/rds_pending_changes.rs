//! Changes that wait for the maintenance window, through Terraform 1.15.5 against the
//! emulator (issue "Change production safely"): in production an instance class change is
//! planned with a warning, applied as a pending modification (`part_status`
//! `pending-maintenance`, `pending_changes`), the next plan is empty, going back is applied
//! at once, and after the emulator runs the window the class is changed and the status ready;
//! an immediate class change in production needs an explicit acknowledgement; in dev the
//! same change is immediate; automatic minor version upgrades can be turned off (drift on
//! them restored); a static parameter waiting for a reboot is reported as pending; an
//! ElastiCache node type change in production waits for its window the same way.

use std::time::{Duration, Instant};

use aws_sdk_rds::types::DbInstance;
use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.this";

fn config(name: &str, tier: &str, rds: &str, extra: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{name}"
  tier = "{tier}"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
  }}

  rds {{
    engine_version = "16.4"
{rds}
  }}
{extra}
}}
"#
    )
}

fn workdir(em: &Emulator) -> Workdir {
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf
}

async fn instance(rds: &aws_sdk_rds::Client, id: &str) -> DbInstance {
    rds.describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .clone()
}

fn pending_class(db: &DbInstance) -> Option<&str> {
    db.pending_modified_values()
        .and_then(|p| p.db_instance_class())
}

/// Polls until the instance is available running `class` (the emulator's window applies
/// the pending change through `modifying`).
async fn wait_for_class(rds: &aws_sdk_rds::Client, id: &str, class: &str) -> DbInstance {
    let start = Instant::now();
    loop {
        let db = instance(rds, id).await;
        if db.db_instance_class() == Some(class) && db.db_instance_status() == Some("available") {
            return db;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the instance never ran {class}: {db:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `part_status["rds"]` and `pending_changes` as the state records them.
fn rds_status(tf: &Workdir) -> (String, serde_json::Value) {
    let state = tf.state_json();
    let v = resource_values(&state, ADDR).expect("the environment in state");
    (
        v["part_status"]["rds"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        v["pending_changes"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn production_class_change_waits_for_the_window_and_plans_stay_empty() {
    let em = Emulator::start();
    let Some(em) = em.require_embedded("the maintenance window (emulator event)") else {
        return;
    };
    let rds = aws_sdk_rds::Client::new(&em.sdk_config().await);
    let tf = workdir(em);
    let name = "mosia-acc-pending";
    let db_id = format!("{name}-db");
    let with_class = |class: &str| {
        config(
            name,
            "production",
            &format!("    instance_class = \"{class}\""),
            "",
        )
    };
    tf.write("main.tf", &with_class("db.m7g.large"));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);

    // Planned with the warning, applied as pending.
    tf.write("main.tf", &with_class("db.m7g.xlarge"));
    let plan = tf.plan_exit();
    let shown = plan.combined();
    assert_eq!(plan.code, 2, "{shown}");
    assert!(
        shown.contains("RDS changes wait for the maintenance window")
            && shown.contains("instance class db.m7g.large → db.m7g.xlarge")
            && shown.contains("sun:03:00-sun:04:00"),
        "{shown}"
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let db = instance(&rds, &db_id).await;
    assert_eq!(
        db.db_instance_class(),
        Some("db.m7g.large"),
        "not applied yet"
    );
    assert_eq!(pending_class(&db), Some("db.m7g.xlarge"));
    let (status, pending) = rds_status(&tf);
    assert_eq!(status, "pending-maintenance");
    let change = &pending["rds"]["instance_class"];
    assert_eq!(change["value"], "db.m7g.xlarge", "{pending}");
    assert!(
        change["applies"]
            .as_str()
            .unwrap()
            .contains("sun:03:00-sun:04:00"),
        "{pending}"
    );

    // The pending value counts as converged: an empty plan that says it is still pending.
    let again = tf.plan_exit();
    assert_eq!(again.code, 0, "{}", again.combined());
    assert!(
        again.combined().contains("RDS changes are still pending"),
        "{}",
        again.combined()
    );

    // Going back to what runs is applied at once and ends the pending change.
    tf.write("main.tf", &with_class("db.m7g.large"));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let db = instance(&rds, &db_id).await;
    assert_eq!(pending_class(&db), None, "{db:?}");
    assert_eq!(rds_status(&tf).0, "ready");

    // Pending again; the maintenance window applies it.
    tf.write("main.tf", &with_class("db.m7g.xlarge"));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(rds_status(&tf).0, "pending-maintenance");
    em.fire_event(serde_json::json!({
        "event": "rds_maintenance", "db_instance_identifier": db_id,
    }));
    let db = wait_for_class(&rds, &db_id, "db.m7g.xlarge").await;
    assert_eq!(pending_class(&db), None);
    tf.ok(&["apply", "-refresh-only", "-auto-approve", "-input=false"]);
    let (status, pending) = rds_status(&tf);
    assert_eq!(status, "ready");
    assert_eq!(pending, serde_json::json!({}));
    assert_eq!(tf.plan_exit().code, 0);

    // At once in production only when acknowledged, with an update timeout.
    let at_once = |extra_rds: &str, extra: &str| {
        config(
            name,
            "production",
            &format!("    instance_class = \"db.m7g.2xlarge\"\n    apply_immediately = true\n{extra_rds}"),
            extra,
        )
    };
    tf.write("main.tf", &at_once("", ""));
    let refused = tf.run(&["plan", "-input=false"]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    let err = refused.combined();
    assert!(
        err.contains("Production refuses an unplanned database restart")
            && err.contains("maintenance_acknowledged")
            && err.contains("apply_immediately"),
        "{err}"
    );
    tf.write(
        "main.tf",
        &at_once(
            "    maintenance_acknowledged = true",
            "  timeouts {\n    update = \"2h\"\n  }",
        ),
    );
    let plan = tf.plan_exit();
    assert!(
        plan.combined().contains("RDS changes apply now"),
        "{}",
        plan.combined()
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let db = instance(&rds, &db_id).await;
    assert_eq!(db.db_instance_class(), Some("db.m7g.2xlarge"));
    assert_eq!(rds_status(&tf).0, "ready");

    // Retired as the README says (staging, protection off; the network kept), then destroyed.
    let retired = config(
        name,
        "staging",
        "    instance_class = \"db.m7g.2xlarge\"\n    deletion_protection = false",
        "",
    )
    .replace(
        "  network {\n",
        "  network {\n    az_count    = 3\n    nat_gateway = \"per_az\"\n",
    );
    tf.write("main.tf", &retired);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn dev_class_change_is_applied_at_once() {
    let em = Emulator::start();
    let rds = aws_sdk_rds::Client::new(&em.sdk_config().await);
    let tf = workdir(&em);
    let name = "mosia-acc-immediate";
    let db_id = format!("{name}-db");
    let with_class = |class: &str| {
        config(
            name,
            "dev",
            &format!("    instance_class = \"{class}\""),
            "",
        )
    };
    tf.write("main.tf", &with_class("db.t4g.micro"));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);

    tf.write("main.tf", &with_class("db.t4g.small"));
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 2);
    assert!(
        plan.combined().contains("RDS changes apply now")
            && !plan.combined().contains("wait for the maintenance window"),
        "{}",
        plan.combined()
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let db = instance(&rds, &db_id).await;
    assert_eq!(db.db_instance_class(), Some("db.t4g.small"));
    assert_eq!(pending_class(&db), None);
    let (status, pending) = rds_status(&tf);
    assert_eq!(status, "ready");
    assert_eq!(pending, serde_json::json!({}));
    assert_eq!(tf.plan_exit().code, 0);

    // Automatic minor upgrades off: set in place; turned back on by hand, drift restored.
    let no_auto = config(
        name,
        "dev",
        "    instance_class = \"db.t4g.small\"\n    auto_minor_version_upgrade = false",
        "",
    );
    tf.write("main.tf", &no_auto);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let auto = |db: &DbInstance| db.auto_minor_version_upgrade();
    assert_eq!(auto(&instance(&rds, &db_id).await), Some(false));
    rds.modify_db_instance()
        .db_instance_identifier(&db_id)
        .auto_minor_version_upgrade(true)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let drift = tf.plan_exit();
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    assert!(
        drift.stdout.contains("auto_minor_version_upgrade"),
        "{}",
        drift.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(auto(&instance(&rds, &db_id).await), Some(false));

    // A static parameter waits for the next reboot: reported like a pending change.
    let with_static = no_auto.replace(
        "    auto_minor_version_upgrade = false",
        "    auto_minor_version_upgrade = false\n    parameters = { shared_preload_libraries = \"pg_stat_statements\" }",
    );
    tf.write("main.tf", &with_static);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let (status, pending) = rds_status(&tf);
    assert_eq!(status, "pending-maintenance");
    assert_eq!(
        pending["rds"]["parameters"]["applies"], "at the next reboot",
        "{pending}"
    );
    assert_eq!(tf.plan_exit().code, 0, "waiting for a reboot is not drift");
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}

fn cache_config(name: &str, node_type: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{name}"
  tier = "production"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
  }}

  elasticache {{
    engine_version = "7.1"
    node_type      = "{node_type}"
  }}
}}
"#
    )
}

/// The replication group's running node type, and what its primary holds for the window.
async fn cache_node_types(ec: &aws_sdk_elasticache::Client, id: &str) -> (String, Option<String>) {
    let rg = ec
        .describe_replication_groups()
        .replication_group_id(id)
        .send()
        .await
        .unwrap()
        .replication_groups()[0]
        .clone();
    let member = rg.member_clusters()[0].clone();
    let cc = ec
        .describe_cache_clusters()
        .cache_cluster_id(member)
        .send()
        .await
        .unwrap()
        .cache_clusters()[0]
        .clone();
    (
        rg.cache_node_type().unwrap_or_default().to_string(),
        cc.pending_modified_values()
            .and_then(|p| p.cache_node_type())
            .map(str::to_string),
    )
}

fn cache_status(tf: &Workdir) -> (String, serde_json::Value) {
    let state = tf.state_json();
    let v = resource_values(&state, ADDR).expect("the environment in state");
    (
        v["part_status"]["elasticache"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        v["pending_changes"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn production_cache_node_type_change_waits_for_the_window() {
    let em = Emulator::start();
    let Some(em) = em.require_embedded("the maintenance window (emulator event)") else {
        return;
    };
    let ec = aws_sdk_elasticache::Client::new(&em.sdk_config().await);
    let tf = workdir(em);
    let name = "mosia-acc-cpending";
    let group = format!("{name}-cache");
    tf.write("main.tf", &cache_config(name, "cache.m7g.large"));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);

    // Planned with the warning, applied as pending: the nodes keep running the old type.
    tf.write("main.tf", &cache_config(name, "cache.r7g.large"));
    let plan = tf.plan_exit();
    let shown = plan.combined();
    assert_eq!(plan.code, 2, "{shown}");
    assert!(
        shown.contains("ElastiCache changes wait for the maintenance window")
            && shown.contains("node type cache.m7g.large → cache.r7g.large")
            && shown.contains("sun:04:00-sun:05:00"),
        "{shown}"
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(
        cache_node_types(&ec, &group).await,
        (
            "cache.m7g.large".to_string(),
            Some("cache.r7g.large".to_string())
        )
    );
    let (status, pending) = cache_status(&tf);
    assert_eq!(status, "pending-maintenance");
    assert_eq!(
        pending["elasticache"]["node_type"]["value"], "cache.r7g.large",
        "{pending}"
    );
    assert!(
        pending["elasticache"]["node_type"]["applies"]
            .as_str()
            .unwrap_or_default()
            .contains("sun:04:00-sun:05:00"),
        "{pending}"
    );

    // The next plan is empty and says what still waits.
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert!(
        plan.combined()
            .contains("ElastiCache changes are still pending"),
        "{}",
        plan.combined()
    );

    // The window runs: the nodes change, a refresh reports them ready.
    em.fire_event(serde_json::json!({
        "event": "elasticache_maintenance", "replication_group_id": group
    }));
    let start = Instant::now();
    loop {
        let (running, waiting) = cache_node_types(&ec, &group).await;
        if running == "cache.r7g.large" && waiting.is_none() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "never applied");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let start = Instant::now();
    while ec
        .describe_replication_groups()
        .replication_group_id(&group)
        .send()
        .await
        .unwrap()
        .replication_groups()[0]
        .status()
        != Some("available")
    {
        assert!(start.elapsed() < Duration::from_secs(60), "never available");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tf.ok(&["apply", "-refresh-only", "-auto-approve", "-input=false"]);
    let (status, pending) = cache_status(&tf);
    assert_eq!(status, "ready");
    assert_eq!(pending, serde_json::json!({}));
    assert_eq!(tf.plan_exit().code, 0);
}
