//! Backups beyond the database's own vault, through Terraform 1.15.5 against the emulator:
//!
//! - `backup.copy_to_region`: a vault `NAME` in that Region, the plan's rule copying each
//!   recovery point there with the same retention; a run of the rule leaves a copy there;
//!   dropping the Region deletes that vault with its copies and the copy action;
//! - `backup.cache_snapshot_retention_days`: the cache keeps its automatic snapshots that
//!   long; a retention changed out of band is drift the next apply puts back;
//! - destroy takes the cache's final snapshot (`elasticache.skip_final_snapshot = false`),
//!   which stays, while the automatic snapshots and both vaults go.

use aws_config::Region;
use mosia_acceptance_tests::backups::recovery_points;
use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};
use serde_json::json;

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-copies";
const COPY_REGION: &str = "us-west-2";

fn environment(copy_to_region: Option<&str>) -> String {
    let copy = copy_to_region.map_or(String::new(), |r| format!("copy_to_region = \"{r}\""));
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "staging"

  network {{
    cidr_block    = "10.71.0.0/16"
    allowed_cidrs = ["10.99.0.0/24"]
  }}
  rds {{
    skip_final_snapshot = true
  }}
  elasticache {{
    replicas            = 0
    skip_final_snapshot = false
  }}
  monitoring {{
    alarms      = false
    log_exports = false
  }}
  backup {{
    retention_days                = 21
    cache_snapshot_retention_days = 3
    {copy}
  }}
}}
"#
    )
}

/// The plan's rule's copy actions: (destination vault, retention days).
async fn copy_actions(
    backup: &aws_sdk_backup::Client,
    plan_id: &str,
) -> Vec<(String, Option<i64>)> {
    let got = backup
        .get_backup_plan()
        .backup_plan_id(plan_id)
        .send()
        .await
        .unwrap();
    got.backup_plan().unwrap().rules()[0]
        .copy_actions()
        .iter()
        .map(|c| {
            (
                c.destination_backup_vault_arn().to_string(),
                c.lifecycle().and_then(|l| l.delete_after_days()),
            )
        })
        .collect()
}

/// The environment's cache snapshots; `source`: `system` (automatic) or `user` (manual).
async fn snapshots(ec: &aws_sdk_elasticache::Client, source: &str) -> Vec<String> {
    let out = ec
        .describe_snapshots()
        .snapshot_source(source)
        .send()
        .await
        .unwrap();
    out.snapshots()
        .iter()
        .filter_map(|s| s.snapshot_name().map(str::to_string))
        .filter(|n| n.contains(NAME))
        .collect()
}

/// The environment's replication group as ElastiCache describes it.
async fn cache_group(
    ec: &aws_sdk_elasticache::Client,
) -> aws_sdk_elasticache::types::ReplicationGroup {
    let out = ec
        .describe_replication_groups()
        .replication_group_id(format!("{NAME}-cache"))
        .send()
        .await
        .unwrap();
    out.replication_groups()[0].clone()
}

/// Waits until the cache is `available` again (it is `snapshotting` while a snapshot runs).
async fn wait_available(ec: &aws_sdk_elasticache::Client) {
    for _ in 0..120 {
        if cache_group(ec).await.status() == Some("available") {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    panic!("the cache stays busy");
}

async fn cache_retention(ec: &aws_sdk_elasticache::Client) -> Option<i32> {
    cache_group(ec).await.snapshot_retention_limit()
}

/// The rule runs; waits until the database's recovery point is in the vault.
async fn run_rule(em: &Emulator, backup: &aws_sdk_backup::Client, plan_id: &str) {
    let ran = em.fire_event(json!({"event": "backup_run_rule", "backup_plan_id": plan_id}));
    assert!(ran["resources"][0].is_string(), "{ran}");
    for _ in 0..60 {
        if !recovery_points(backup, NAME).await.is_empty() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    panic!("no recovery point");
}

#[tokio::test(flavor = "multi_thread")]
async fn copies_go_to_another_region_and_the_cache_keeps_its_snapshots() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let backup = aws_sdk_backup::Client::new(&cfg);
    let west = aws_sdk_backup::Client::from_conf(
        aws_sdk_backup::config::Builder::from(&cfg)
            .region(Region::new(COPY_REGION))
            .build(),
    );
    let ec = aws_sdk_elasticache::Client::new(&cfg);
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.write("main.tf", &environment(Some(COPY_REGION)));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");

    // The copies' vault, and the rule copying there with the same retention.
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    let copy_vault = v["backup"]["copy_vault_arn"].as_str().unwrap().to_string();
    assert!(
        copy_vault.starts_with(&format!("arn:aws:backup:{COPY_REGION}:")),
        "{copy_vault}"
    );
    let west_vault = west
        .describe_backup_vault()
        .backup_vault_name(NAME)
        .send()
        .await
        .unwrap();
    assert_eq!(west_vault.backup_vault_arn(), Some(copy_vault.as_str()));
    let plan_arn = v["backup"]["plan_arn"].as_str().unwrap();
    let plans = backup.list_backup_plans().send().await.unwrap();
    let plan_id = plans
        .backup_plans_list()
        .iter()
        .find(|p| p.backup_plan_arn() == Some(plan_arn))
        .and_then(|p| p.backup_plan_id())
        .unwrap()
        .to_string();
    assert_eq!(
        copy_actions(&backup, &plan_id).await,
        [(copy_vault.clone(), Some(21))]
    );
    run_rule(&em, &backup, &plan_id).await;
    let copies = west
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(NAME)
        .send()
        .await
        .unwrap();
    assert_eq!(
        copies.recovery_points().len(),
        1,
        "the copy in {COPY_REGION}"
    );

    // The cache's automatic snapshots: kept 3 days; a change out of band is put back.
    assert_eq!(cache_retention(&ec).await, Some(3));
    let took = em.fire_event(json!({
        "event": "elasticache_take_automatic_snapshot",
        "replication_group_id": format!("{NAME}-cache"),
    }));
    assert!(!took.to_string().contains("error"), "{took}");
    assert_eq!(snapshots(&ec, "system").await.len(), 1);
    wait_available(&ec).await;
    ec.modify_replication_group()
        .replication_group_id(format!("{NAME}-cache"))
        .snapshot_retention_limit(0)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    assert_eq!(tf.plan_exit().code, 2, "drift of the snapshot retention");
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(cache_retention(&ec).await, Some(3), "put back");

    // No more copies: the vault there goes with its copies, the rule stops copying.
    tf.write("main.tf", &environment(None));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert!(copy_actions(&backup, &plan_id).await.is_empty());
    assert!(
        west.describe_backup_vault()
            .backup_vault_name(NAME)
            .send()
            .await
            .is_err(),
        "no vault left in {COPY_REGION}"
    );
    assert_eq!(tf.plan_exit().code, 0);

    // Destroy: the final snapshot stays, the automatic one and the vault go.
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let manual = snapshots(&ec, "user").await;
    assert_eq!(manual.len(), 1, "{manual:?}");
    assert!(manual[0].starts_with(&format!("{NAME}-cache-final-")));
    assert!(snapshots(&ec, "system").await.is_empty());
    assert!(backup
        .describe_backup_vault()
        .backup_vault_name(NAME)
        .send()
        .await
        .is_err());
}
