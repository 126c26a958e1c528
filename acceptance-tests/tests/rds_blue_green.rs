//! A PostgreSQL major upgrade by RDS blue/green deployment through Terraform 1.15.5 against
//! the emulator (issue "Change production safely"): in production, raising 15 → 16 is
//! planned with a warning naming its path and downtime; a failed switchover fails the apply
//! saying blue still serves, and blue does (its version, its data); the next apply starts
//! over and switches over: the instance under the primary's name runs 16 with the table
//! created before, in the new family's parameter group holding the configured parameters,
//! its master password back in Secrets Manager under a new secret, and the old instance is
//! kept as `NAME-db-old1` (listed with its deletion time) until a shorter retention deletes
//! it with a final snapshot. Without logical replication in effect (left out, or set and
//! waiting for a reboot) the upgrade is refused at plan time.

use std::collections::BTreeMap;

use aws_sdk_rds::types::DbInstance;
use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-bluegreen";

fn config(version: &str, parameters: &str, extra: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "production"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
  }}

  rds {{
    engine_version = "{version}"
    parameters     = {{ {parameters} }}
{extra}
  }}

  timeouts {{
    update = "2h"
  }}
}}
"#
    )
}

const LOGICAL: &str = r#""rds.logical_replication" = "1", "log_min_duration_statement" = "500""#;

fn workdir(em: &Emulator) -> Workdir {
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf
}

async fn instance(rds: &aws_sdk_rds::Client, id: &str) -> Option<DbInstance> {
    rds.describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
        .ok()
        .and_then(|o| o.db_instances().first().cloned())
}

fn tables(em: &Emulator, id: &str) -> Vec<String> {
    let out = em.fire_event(serde_json::json!({
        "event": "rds_tables", "db_instance_identifier": id
    }));
    serde_json::from_value(out["tables"].clone()).unwrap_or_default()
}

/// The parameters set in a group (source `user`), as RDS reports them.
async fn user_parameters(rds: &aws_sdk_rds::Client, group: &str) -> BTreeMap<String, String> {
    let out = rds
        .describe_db_parameters()
        .db_parameter_group_name(group)
        .source("user")
        .send()
        .await
        .unwrap();
    out.parameters()
        .iter()
        .map(|p| {
            (
                p.parameter_name().unwrap_or_default().to_string(),
                p.parameter_value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

async fn wait_available(rds: &aws_sdk_rds::Client, id: &str) {
    let start = std::time::Instant::now();
    loop {
        let db = instance(rds, id).await.expect("the instance");
        if db.db_instance_status() == Some("available") {
            return;
        }
        assert!(start.elapsed().as_secs() < 60, "never available: {db:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

fn rds_state(tf: &Workdir) -> serde_json::Value {
    let state = tf.state_json();
    resource_values(&state, ADDR).expect("in state")["rds"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn major_upgrade_by_blue_green_keeps_the_data_and_the_old_instance() {
    let em = Emulator::start();
    let Some(em) = em.require_embedded("blue/green deployments and database contents") else {
        return;
    };
    let rds = aws_sdk_rds::Client::new(&em.sdk_config().await);
    let tf = workdir(em);
    let db_id = format!("{NAME}-db");
    let old_id = format!("{NAME}-db-old1");

    let slow_queries = r#""log_min_duration_statement" = "500""#;
    tf.write("main.tf", &config("15.7", slow_queries, ""));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let old_secret = rds_state(&tf)["master_user_secret_arn"]
        .as_str()
        .unwrap()
        .to_string();
    em.fire_event(serde_json::json!({
        "event": "rds_create_table", "db_instance_identifier": db_id, "table": "orders"
    }));

    // Without logical replication in effect: refused at plan time, before anything changes.
    tf.write("main.tf", &config("16.4", LOGICAL, ""));
    let refused = tf.run(&["plan", "-input=false"]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert!(
        refused
            .combined()
            .contains("Blue/green upgrade needs logical replication in effect"),
        "{}",
        refused.combined()
    );
    // Set on the running instance it waits for a reboot: still refused.
    tf.write("main.tf", &config("15.7", LOGICAL, ""));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    tf.write("main.tf", &config("16.4", LOGICAL, ""));
    let refused = tf.run(&["plan", "-input=false"]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert!(
        refused.combined().contains("not in effect yet"),
        "{}",
        refused.combined()
    );
    // The operator reboots the database; a refresh sees the parameter in effect.
    rds.reboot_db_instance()
        .db_instance_identifier(&db_id)
        .send()
        .await
        .unwrap();
    wait_available(&rds, &db_id).await;
    tf.write("main.tf", &config("15.7", LOGICAL, ""));
    tf.ok(&["apply", "-refresh-only", "-auto-approve", "-input=false"]);
    tf.write("main.tf", &config("16.4", LOGICAL, ""));

    // The upgrade is announced with its path and cost.
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 2, "{}", plan.combined());
    assert!(
        plan.combined()
            .contains("PostgreSQL major upgrade by blue/green deployment")
            && plan.combined().contains("15.7 → 16.4"),
        "{}",
        plan.combined()
    );

    // A failed switchover: the apply fails saying so, blue keeps serving as it was.
    em.fire_event(serde_json::json!({ "event": "rds_switchover_fails" }));
    let failed = tf.run(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(failed.code, 0, "{}", failed.combined());
    let said = failed.combined().replace('\n', " ");
    assert!(
        said.contains("still serves") && said.contains("Run `terraform apply` again"),
        "{said}"
    );
    let blue = instance(&rds, &db_id).await.expect("blue");
    assert_eq!(blue.engine_version(), Some("15.7"));
    assert_eq!(blue.db_instance_status(), Some("available"));
    assert_eq!(tables(em, &db_id), ["orders"]);

    // Again: a new deployment, switched over.
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let green = instance(&rds, &db_id).await.expect("the upgraded primary");
    assert_eq!(green.engine_version(), Some("16.4"));
    assert_eq!(tables(em, &db_id), ["orders"], "the data came along");
    let group = format!("{NAME}-pg16");
    assert_eq!(
        green.db_parameter_groups()[0].db_parameter_group_name(),
        Some(group.as_str())
    );
    let params = user_parameters(&rds, &group).await;
    assert_eq!(params["rds.logical_replication"], "1");
    assert_eq!(params["log_min_duration_statement"], "500");
    let new_secret = green
        .master_user_secret()
        .and_then(|s| s.secret_arn())
        .expect("the password is back in Secrets Manager")
        .to_string();
    assert_ne!(new_secret, old_secret);
    let old = instance(&rds, &old_id)
        .await
        .expect("the old instance kept");
    assert_eq!(old.engine_version(), Some("15.7"));
    let after = rds_state(&tf);
    assert_eq!(after["engine_version"], "16.4");
    assert_eq!(after["master_user_secret_arn"], new_secret.as_str());
    assert_eq!(after["retired_instances"][0]["identifier"], old_id.as_str());
    assert!(
        after["retired_instances"][0]["delete_after"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{after}"
    );
    let deployments = rds.describe_blue_green_deployments().send().await.unwrap();
    assert!(
        deployments.blue_green_deployments().is_empty(),
        "{deployments:?}"
    );
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 0, "{}", plan.combined());

    // A retention of 0: the next apply deletes the old instance, with a final snapshot.
    tf.write(
        "main.tf",
        &config("16.4", LOGICAL, "    old_instance_retention_hours = 0"),
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert!(instance(&rds, &old_id).await.is_none(), "deleted");
    let snapshots = rds.describe_db_snapshots().send().await.unwrap();
    assert!(
        snapshots.db_snapshots().iter().any(|s| s
            .db_snapshot_identifier()
            .is_some_and(|n| n.starts_with(&format!("{old_id}-final-")))),
        "{snapshots:?}"
    );
    assert_eq!(rds_state(&tf)["retired_instances"], serde_json::json!([]));
    assert_eq!(tf.plan_exit().code, 0);
}
