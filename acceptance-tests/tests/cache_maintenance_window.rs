//! The cache's maintenance window through Terraform 1.15.5 against the emulator (which refuses
//! what ElastiCache refuses: a malformed window or one shorter than 60 minutes): set at create,
//! changed in place, changed by hand is drift restored by the next apply, a short window is
//! refused at plan time naming the attribute, and a dev configuration without one keeps what
//! ElastiCache has.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{installed_core, Workdir, MOSIA_US_EAST_1};

const NAME: &str = "mosia-acc-cwin";

fn config(window: Option<&str>) -> String {
    let window = window
        .map(|w| format!("    maintenance_window = \"{w}\"\n"))
        .unwrap_or_default();
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "dev"

  network {{
    allowed_cidrs = ["10.250.0.0/16"]
  }}
  elasticache {{
    authentication = "none"
{window}  }}
}}
"#
    )
}

/// The primary member's window, as ElastiCache reports it.
async fn window(ec: &aws_sdk_elasticache::Client) -> String {
    let out = ec
        .describe_cache_clusters()
        .cache_cluster_id(format!("{NAME}-cache-001"))
        .send()
        .await
        .unwrap();
    out.cache_clusters()[0]
        .preferred_maintenance_window()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_maintenance_window_follows_the_configuration() {
    let em = Emulator::start();
    let ec = aws_sdk_elasticache::Client::new(&em.sdk_config().await);
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.write("main.tf", &config(Some("sun:04:00-sun:05:00")));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(window(&ec).await, "sun:04:00-sun:05:00");
    assert_eq!(tf.plan_exit().code, 0);

    tf.write("main.tf", &config(Some("tue:02:00-tue:03:30")));
    assert!(tf.plan_exit().stdout.contains("1 to change"));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(window(&ec).await, "tue:02:00-tue:03:30");
    assert_eq!(tf.plan_exit().code, 0);

    ec.modify_replication_group()
        .replication_group_id(format!("{NAME}-cache"))
        .preferred_maintenance_window("fri:10:00-fri:11:00")
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let drift = tf.plan_exit();
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    assert!(
        drift.stdout.contains("fri:10:00-fri:11:00"),
        "{}",
        drift.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(window(&ec).await, "tue:02:00-tue:03:30");

    tf.write("main.tf", &config(Some("tue:02:00-tue:02:30")));
    let refused = tf.run(&["plan", "-input=false"]);
    assert_eq!(refused.code, 1);
    let err = refused.combined();
    assert!(
        err.contains("Invalid maintenance window")
            && err.contains("maintenance_window")
            && err.contains("60 minutes"),
        "{err}"
    );

    tf.write("main.tf", &config(None));
    assert_eq!(tf.plan_exit().code, 0, "the window is kept");
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}
