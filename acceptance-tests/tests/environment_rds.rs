//! The database part through Terraform 1.15.5 against the emulator: backup and restore (an
//! environment's database is destroyed with a final snapshot, and a new environment is
//! created from it with `rds.snapshot_identifier`), the managed master password, which
//! never reaches state, plans or logs, in-place changes, and the maintenance and backup
//! windows.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.this";

fn config(name: &str, rds: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{name}"
  tier = "dev"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
  }}

  rds {{
    engine_version = "16.4"
{rds}
  }}
}}
"#
    )
}

fn workdir(em: &Emulator) -> Workdir {
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf
}

#[tokio::test(flavor = "multi_thread")]
async fn database_is_restored_into_a_new_environment_from_a_final_snapshot() {
    let em = Emulator::start();
    let rds = aws_sdk_rds::Client::new(&em.sdk_config().await);
    let snapshot = "mosia-acc-orders-final";

    // The source environment: its database has a schema of its own ("orders").
    let source = workdir(&em);
    source.write(
        "main.tf",
        &config(
            "mosia-acc-src",
            &format!(
                "    database_name = \"orders\"\n    skip_final_snapshot = false\n    final_snapshot_identifier = \"{snapshot}\""
            ),
        ),
    );
    source.ok(&["init", "-input=false"]);
    source.ok(&["apply", "-auto-approve", "-input=false"]);
    source.ok(&["destroy", "-auto-approve", "-input=false"]);
    let snaps = rds
        .describe_db_snapshots()
        .db_snapshot_identifier(snapshot)
        .send()
        .await
        .expect("the final snapshot exists");
    assert_eq!(snaps.db_snapshots().len(), 1);

    // A new environment restored from it.
    let restored = workdir(&em);
    restored.write(
        "main.tf",
        &config(
            "mosia-acc-dst",
            &format!("    snapshot_identifier = \"{snapshot}\""),
        ),
    );
    restored.ok(&["init", "-input=false"]);
    restored.ok(&["apply", "-auto-approve", "-input=false"]);
    let db = rds
        .describe_db_instances()
        .db_instance_identifier("mosia-acc-dst-db")
        .send()
        .await
        .expect("restored instance")
        .db_instances()[0]
        .clone();
    assert_eq!(
        db.db_name(),
        Some("orders"),
        "the database comes from the snapshot"
    );
    assert_eq!(db.db_instance_status(), Some("available"));
    let tags: Vec<(String, String)> = db
        .tag_list()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().into(),
                t.value().unwrap_or_default().into(),
            )
        })
        .collect();
    assert!(
        tags.contains(&("mosia:environment".into(), "mosia-acc-dst".into())),
        "owned by the new environment: {tags:?}"
    );
    let state = restored.state_json();
    let values = resource_values(&state, ADDR).expect("state");
    assert!(values["rds"]["master_user_secret_arn"]
        .as_str()
        .is_some_and(|a| a.contains(":secret:")));
    assert_eq!(values["part_status"]["rds"], "ready");
    assert_eq!(restored.plan_exit().code, 0, "nothing left to change");

    // A snapshot that does not exist: a clear error naming it; the network is kept.
    let broken = workdir(&em);
    broken.write(
        "main.tf",
        &config(
            "mosia-acc-bad",
            "    snapshot_identifier = \"mosia-acc-no-such-snap\"",
        ),
    );
    broken.ok(&["init", "-input=false"]);
    let failed = broken.run(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(failed.code, 0);
    let text = failed.combined();
    assert!(
        text.contains("mosia-acc-no-such-snap") && text.contains("rds.snapshot_identifier"),
        "{text}"
    );
    let state = broken.state_json();
    let values = resource_values(&state, ADDR).expect("partial state kept");
    assert_eq!(values["part_status"]["network"], "ready");
    assert_eq!(values["part_status"]["rds"], "failed");

    restored.ok(&["destroy", "-auto-approve", "-input=false"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn master_password_never_reaches_state_plans_or_logs() {
    let em = Emulator::start();
    let mut tf = workdir(&em);
    let log = tf.path().join("terraform.log");
    tf.set_env("TF_LOG", "TRACE");
    tf.set_env("TF_LOG_PATH", &log.display().to_string());
    tf.write("main.tf", &config("mosia-acc-secret", ""));
    tf.ok(&["init", "-input=false"]);
    let mut shown = tf.ok(&["plan", "-input=false"]).combined();
    shown.push_str(
        &tf.ok(&["apply", "-auto-approve", "-input=false"])
            .combined(),
    );
    shown.push_str(&tf.ok(&["plan", "-input=false"]).combined());
    let state = tf.state_json();
    let arn = resource_values(&state, ADDR).expect("state")["rds"]["master_user_secret_arn"]
        .as_str()
        .expect("the secret ARN is in state")
        .to_string();

    // The password as Secrets Manager holds it.
    let secret = aws_sdk_secretsmanager::Client::new(&em.sdk_config().await)
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .expect("the managed secret exists");
    let text = secret.secret_string().expect("a secret string");
    let password = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v["password"].as_str().map(str::to_string))
        .unwrap_or_else(|| text.to_string());
    assert!(password.len() >= 8, "a real password: {password:?}");

    let raw_state = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap();
    let logs = std::fs::read_to_string(&log).expect("TRACE log written");
    assert!(
        logs.len() > 10_000,
        "the log has content ({} bytes)",
        logs.len()
    );
    for (what, haystack) in [
        ("state", &raw_state),
        ("plan and apply output", &shown),
        ("TRACE logs", &logs),
    ] {
        assert!(
            !haystack.contains(&password),
            "the password appears in the {what}"
        );
    }
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}

/// RDS settings change in place through Terraform: storage, backups, Multi-AZ and
/// parameters in one apply; read replicas are refused at plan time (AWS refuses them while
/// RDS manages the master password).
#[tokio::test(flavor = "multi_thread")]
async fn database_settings_change_in_place_and_replicas_are_refused_at_plan() {
    let em = Emulator::start();
    let rds = aws_sdk_rds::Client::new(&em.sdk_config().await);
    let tf = workdir(&em);
    let name = "mosia-acc-rdsupd";
    tf.write("main.tf", &config(name, "    allocated_storage_gb = 20"));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let arn = |tf: &Workdir| {
        let state = tf.state_json();
        resource_values(&state, ADDR).expect("state")["rds"]["arn"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let before = arn(&tf);

    tf.write(
        "main.tf",
        &config(
            name,
            "    allocated_storage_gb = 30\n    backup_retention_days = 3\n    multi_az = true\n    parameters = { log_min_duration_statement = \"500\" }",
        ),
    );
    let plan = tf.plan_exit();
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let db = rds
        .describe_db_instances()
        .db_instance_identifier(format!("{name}-db"))
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .clone();
    assert_eq!(db.allocated_storage(), Some(30));
    assert_eq!(db.backup_retention_period(), Some(3));
    assert_eq!(db.multi_az(), Some(true));
    let group = db.db_parameter_groups()[0]
        .db_parameter_group_name()
        .unwrap()
        .to_string();
    let params = rds
        .describe_db_parameters()
        .db_parameter_group_name(&group)
        .source("user")
        .send()
        .await
        .unwrap();
    assert!(
        params
            .parameters()
            .iter()
            .any(|p| p.parameter_name() == Some("log_min_duration_statement")
                && p.parameter_value() == Some("500")),
        "parameter set in {group}"
    );
    assert_eq!(arn(&tf), before, "the same database");
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");

    // Read replicas are refused at plan time: RDS does not create them from an instance
    // whose master password Secrets Manager manages. Nothing is changed.
    tf.write(
        "main.tf",
        &config(
            name,
            "    allocated_storage_gb = 30\n    backup_retention_days = 3\n    multi_az = true\n    read_replicas = 1\n    parameters = { log_min_duration_statement = \"500\" }",
        ),
    );
    let refused = tf.expect(&["plan", "-input=false"], 1).combined();
    assert!(
        refused.contains("ManageMasterUserPassword is enabled is not supported")
            && refused.contains("read_replicas"),
        "{refused}"
    );
    assert_eq!(arn(&tf), before, "the same database");
    tf.write(
        "main.tf",
        &config(
            name,
            "    allocated_storage_gb = 30\n    backup_retention_days = 3\n    multi_az = true",
        ),
    );
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}

/// Adding a service block to an existing environment creates just that part: the
/// database and its security group appear, the cache and the network stay as they are.
#[tokio::test(flavor = "multi_thread")]
async fn adding_a_database_to_an_environment_creates_only_the_database() {
    let em = Emulator::start();
    let tf = workdir(&em);
    let name = "mosia-acc-addrds";
    let with_cache = |rds: &str| {
        format!(
            r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{name}"
  tier = "dev"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
  }}

  elasticache {{
    engine_version = "7.1"
  }}
{rds}
}}
"#
        )
    };
    tf.write("main.tf", &with_cache(""));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let state = tf.state_json();
    let before = resource_values(&state, ADDR).expect("state").clone();
    assert!(before["network"]["security_group_ids"]["rds"].is_null());

    tf.write(
        "main.tf",
        &with_cache("\n  rds {\n    engine_version = \"16.4\"\n  }"),
    );
    let plan = tf.plan_exit();
    assert!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let state = tf.state_json();
    let after = resource_values(&state, ADDR).expect("state");
    assert_eq!(
        after["part_status"]["rds"], "ready",
        "{}",
        after["part_status"]
    );
    assert!(after["rds"]["endpoint"]
        .as_str()
        .is_some_and(|e| !e.is_empty()));
    assert!(after["network"]["security_group_ids"]["rds"].is_string());
    for (block, attr) in [("network", "vpc_id"), ("elasticache", "arn")] {
        assert_eq!(
            after[block][attr], before[block][attr],
            "{block}.{attr} kept"
        );
    }
    if em.require_embedded("call counts").is_some() {
        assert_eq!(
            em.call_count("elasticache", "CreateReplicationGroup"),
            1,
            "{}",
            em.call_counts()
        );
        assert_eq!(em.call_count("ec2", "CreateVpc"), 1, "{}", em.call_counts());
    }
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}

/// What RDS does by itself is accepted, never fought: storage grown by autoscaling and an
/// automatic minor version upgrade leave the next plan empty, with a warning for each, and
/// an apply neither shrinks nor downgrades anything.
#[tokio::test(flavor = "multi_thread")]
async fn storage_autoscaling_and_a_minor_upgrade_by_rds_leave_the_plan_empty() {
    let em = Emulator::start();
    let Some(em) = em.require_embedded("RDS's own changes (emulator events)") else {
        return;
    };
    let rds = aws_sdk_rds::Client::new(&em.sdk_config().await);
    let tf = workdir(em);
    let name = "mosia-acc-awsmoved";
    let db_id = format!("{name}-db");
    tf.write(
        "main.tf",
        &config(
            name,
            "    allocated_storage_gb = 20\n    max_allocated_storage_gb = 100",
        ),
    );
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);

    em.fire_event(serde_json::json!({
        "event": "rds_storage_autoscaling", "db_instance_identifier": db_id, "allocated_storage": 40,
    }));
    em.fire_event(serde_json::json!({
        "event": "rds_minor_upgrade", "db_instance_identifier": db_id, "engine_version": "16.8",
    }));
    let plan = tf.plan_exit();
    let shown = plan.combined();
    assert_eq!(plan.code, 0, "nothing to change:\n{shown}");
    assert!(shown.contains("RDS storage only grows"), "{shown}");
    assert!(
        shown.contains("RDS upgraded the engine by itself"),
        "{shown}"
    );

    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let db = rds
        .describe_db_instances()
        .db_instance_identifier(&db_id)
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .clone();
    assert_eq!(db.allocated_storage(), Some(40), "not shrunk");
    assert_eq!(db.engine_version(), Some("16.8"), "not downgraded");
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}

/// The maintenance and backup windows: set at create, changed in place, a window changed by
/// hand is drift restored by the next apply, overlapping windows are refused at plan time
/// with the attribute path, and windows left out of a dev configuration keep what RDS has.
#[tokio::test(flavor = "multi_thread")]
async fn maintenance_and_backup_windows_follow_the_configuration() {
    let em = Emulator::start();
    let rds = aws_sdk_rds::Client::new(&em.sdk_config().await);
    let windows = |db: &aws_sdk_rds::types::DbInstance| {
        (
            db.preferred_maintenance_window()
                .unwrap_or_default()
                .to_string(),
            db.preferred_backup_window().unwrap_or_default().to_string(),
        )
    };
    let described = || async {
        let out = rds
            .describe_db_instances()
            .db_instance_identifier("mosia-acc-win-db")
            .send()
            .await
            .unwrap();
        windows(&out.db_instances()[0])
    };
    let tf = workdir(&em);
    let with = |m: &str, b: &str| {
        config(
            "mosia-acc-win",
            &format!("    maintenance_window = \"{m}\"\n    backup_window = \"{b}\""),
        )
    };
    tf.write("main.tf", &with("sun:03:00-sun:04:00", "01:00-02:00"));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let want = ("sun:03:00-sun:04:00".to_string(), "01:00-02:00".to_string());
    assert_eq!(described().await, want);
    assert_eq!(tf.plan_exit().code, 0);

    // In place.
    tf.write("main.tf", &with("mon:05:00-mon:05:30", "01:00-02:00"));
    let change = tf.plan_exit();
    assert!(change.stdout.contains("1 to change"), "{}", change.stdout);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(described().await.0, "mon:05:00-mon:05:30");
    assert_eq!(tf.plan_exit().code, 0);

    // Changed by hand: drift, restored.
    rds.modify_db_instance()
        .db_instance_identifier("mosia-acc-win-db")
        .preferred_backup_window("10:00-10:30")
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let drift = tf.plan_exit();
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    assert!(drift.stdout.contains("10:00-10:30"), "{}", drift.stdout);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(described().await.1, "01:00-02:00");

    // Overlapping windows: refused at plan time, naming the attribute.
    tf.write("main.tf", &with("sun:03:00-sun:04:00", "03:30-04:30"));
    let refused = tf.run(&["plan", "-input=false"]);
    assert_eq!(refused.code, 1);
    let err = refused.combined();
    assert!(
        err.contains("Overlapping windows") && err.contains("backup_window"),
        "{err}"
    );

    // Left out in dev: what RDS has stays.
    tf.write("main.tf", &config("mosia-acc-win", ""));
    assert_eq!(tf.plan_exit().code, 0, "the windows are kept");
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}
