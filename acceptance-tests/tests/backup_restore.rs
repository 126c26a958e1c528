//! AWS Backup of the database (`backup`) and the restore drill, through Terraform 1.15.5
//! against the emulator (vaults, plans, selections, backup jobs whose recovery points are
//! real RDS snapshots, as AWS Backup makes them):
//!
//! - staging gets the vault `NAME` on the environment's key, the plan `NAME-daily` keeping
//!   recovery points `retention_days`, and a selection of the environment's databases by its
//!   tag; the plan's rule, run, backs the database up;
//! - the drill: a new environment with `rds.snapshot_identifier` = the recovery point's ARN
//!   has the database as it was backed up (its database name and master user);
//! - destroy leaves no vault, plan or recovery point.

use mosia_acceptance_tests::backups::recovery_points;
use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};
use serde_json::json;

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-backup";
const DRILL: &str = "mosia-acc-drill";

fn environment(name: &str, tier: &str, cidr: &str, rds: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{name}"
  tier = "{tier}"

  network {{
    cidr_block    = "{cidr}"
    allowed_cidrs = ["10.99.0.0/24"]
  }}
  rds {{
    skip_final_snapshot = true
    {rds}
  }}
  monitoring {{
    alarms      = false
    log_exports = false
  }}
  backup {{
    retention_days = 14
  }}
}}
"#
    )
}

/// Checks plan, rule and selection; returns the plan's ID.
async fn check_plan(backup: &aws_sdk_backup::Client, plan_arn: &str) -> String {
    let plans = backup.list_backup_plans().send().await.unwrap();
    let plan = plans
        .backup_plans_list()
        .iter()
        .find(|p| p.backup_plan_arn() == Some(plan_arn))
        .expect("the plan");
    assert_eq!(
        plan.backup_plan_name(),
        Some(format!("{NAME}-daily").as_str())
    );
    let id = plan.backup_plan_id().unwrap().to_string();
    let got = backup
        .get_backup_plan()
        .backup_plan_id(&id)
        .send()
        .await
        .unwrap();
    let rule = &got.backup_plan().unwrap().rules()[0];
    assert_eq!(rule.target_backup_vault_name(), NAME);
    assert_eq!(
        rule.lifecycle().and_then(|l| l.delete_after_days()),
        Some(14)
    );
    let selections = backup
        .list_backup_selections()
        .backup_plan_id(&id)
        .send()
        .await
        .unwrap();
    let sel_id = selections.backup_selections_list()[0]
        .selection_id()
        .unwrap();
    let sel = backup
        .get_backup_selection()
        .backup_plan_id(&id)
        .selection_id(sel_id)
        .send()
        .await
        .unwrap();
    let cond = &sel
        .backup_selection()
        .unwrap()
        .conditions()
        .unwrap()
        .string_equals()[0];
    assert_eq!(
        cond.condition_key(),
        Some("aws:ResourceTag/mosia:environment")
    );
    assert_eq!(cond.condition_value(), Some(NAME));
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_backs_the_database_up_and_a_recovery_point_restores_into_a_new_environment() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let backup = aws_sdk_backup::Client::new(&cfg);
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    let db = r#"database_name = "orders"
    master_username = "shop""#;
    tf.write("main.tf", &environment(NAME, "staging", "10.69.0.0/16", db));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    let vault = backup
        .describe_backup_vault()
        .backup_vault_name(NAME)
        .send()
        .await
        .unwrap();
    let key = v["encryption_key_arn"].as_str().unwrap();
    assert!(
        vault
            .encryption_key_arn()
            .unwrap_or_default()
            .ends_with(key.rsplit('/').next().unwrap()),
        "the vault is on the environment's key"
    );
    let plan_id = check_plan(&backup, v["backup"]["plan_arn"].as_str().unwrap()).await;

    // The daily rule runs: the database is backed up.
    let ran = em.fire_event(json!({"event": "backup_run_rule", "backup_plan_id": plan_id}));
    assert_eq!(ran["resources"][0], v["rds"]["arn"], "{ran}");
    let mut points = recovery_points(&backup, NAME).await;
    for _ in 0..60 {
        if !points.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
        points = recovery_points(&backup, NAME).await;
    }
    let point = points.first().expect("a recovery point").clone();

    // The drill: a new environment from the recovery point.
    let mut drill = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    drill.set_env("MOSIA_POLL_SCALE", "0.01");
    // At least the backed-up database's storage (staging: 50 GB): RDS never shrinks it.
    let from = format!("snapshot_identifier = \"{point}\"\n    allocated_storage_gb = 50");
    drill.write("main.tf", &environment(DRILL, "dev", "10.70.0.0/16", &from));
    drill.ok(&["init", "-input=false"]);
    drill.ok(&["apply", "-auto-approve", "-input=false"]);
    let rds = aws_sdk_rds::Client::new(&cfg);
    let restored = rds
        .describe_db_instances()
        .db_instance_identifier(format!("{DRILL}-db"))
        .send()
        .await
        .unwrap();
    let restored = &restored.db_instances()[0];
    assert_eq!(restored.db_name(), Some("orders"), "the backed-up database");
    assert_eq!(restored.master_username(), Some("shop"));
    drill.ok(&["destroy", "-auto-approve", "-input=false"]);

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    assert!(
        backup
            .describe_backup_vault()
            .backup_vault_name(NAME)
            .send()
            .await
            .is_err(),
        "no vault left"
    );
    let plans = backup.list_backup_plans().send().await.unwrap();
    assert!(plans.backup_plans_list().is_empty(), "no plan left");
}
