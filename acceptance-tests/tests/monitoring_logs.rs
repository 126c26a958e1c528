//! Insights and logs (`monitoring.database_insights`, `log_exports`, `log_retention_days`)
//! through Terraform 1.15.5 against the emulator, which refuses what AWS refuses of them (a
//! Performance Insights key must exist, MSK broker logs and ElastiCache log delivery need an
//! existing log group, a flow log's role must be assumable by the flow logs service):
//!
//! - staging turns on Performance Insights on the environment's key and the `postgresql`
//!   and `upgrade` log exports, MSK broker logs with open monitoring, ElastiCache slow and
//!   engine logs and the VPC's rejected-traffic flow logs, every log group with the
//!   configured retention and the environment's key; the next plan is empty;
//! - destroy leaves none of those log groups, nor the flow logs' role.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-logs";
const RETENTION: i32 = 14;

fn environment() -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "staging"

  network {{
    cidr_block    = "10.68.0.0/16"
    allowed_cidrs = ["10.99.0.0/24"]
  }}
  rds {{
    skip_final_snapshot = true
  }}
  elasticache {{}}
  msk {{
    kafka_version = "3.6.0"
  }}
  monitoring {{
    alarms             = false
    log_retention_days = {RETENTION}
  }}
}}
"#
    )
}

/// Every log group the environment's exports write to.
fn groups() -> Vec<String> {
    vec![
        format!("/aws/rds/instance/{NAME}-db/postgresql"),
        format!("/aws/rds/instance/{NAME}-db/upgrade"),
        format!("/aws/msk/{NAME}-kafka/broker"),
        format!("/aws/elasticache/{NAME}-cache/slow-log"),
        format!("/aws/elasticache/{NAME}-cache/engine-log"),
        format!("/aws/vpc/{NAME}/flow-logs"),
    ]
}

/// (retention, key) of each group that exists, by name.
async fn log_groups(
    logs: &aws_sdk_cloudwatchlogs::Client,
) -> std::collections::BTreeMap<String, (Option<i32>, Option<String>)> {
    let mut found = std::collections::BTreeMap::new();
    for prefix in [
        "/aws/rds/instance/",
        "/aws/msk/",
        "/aws/elasticache/",
        "/aws/vpc/",
    ] {
        let out = logs
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .send()
            .await
            .unwrap();
        for g in out.log_groups() {
            let name = g.log_group_name().unwrap_or_default().to_string();
            if name.contains(NAME) {
                found.insert(
                    name,
                    (g.retention_in_days(), g.kms_key_id().map(str::to_string)),
                );
            }
        }
    }
    found
}

async fn check_database(cfg: &aws_config::SdkConfig, key: &str) {
    let rds = aws_sdk_rds::Client::new(cfg);
    let out = rds
        .describe_db_instances()
        .db_instance_identifier(format!("{NAME}-db"))
        .send()
        .await
        .unwrap();
    let db = &out.db_instances()[0];
    assert_eq!(db.performance_insights_enabled(), Some(true));
    let pi_key = db.performance_insights_kms_key_id().unwrap_or_default();
    assert!(
        pi_key.ends_with(key.rsplit('/').next().unwrap()),
        "{pi_key}"
    );
    let mut exports = db.enabled_cloudwatch_logs_exports().to_vec();
    exports.sort();
    assert_eq!(exports, ["postgresql", "upgrade"]);
    assert_eq!(
        db.monitoring_interval().unwrap_or(0),
        0,
        "enhanced monitoring: production only"
    );
}

async fn check_kafka_and_cache(cfg: &aws_config::SdkConfig) {
    let kafka = aws_sdk_kafka::Client::new(cfg);
    let clusters = kafka
        .list_clusters_v2()
        .cluster_name_filter(format!("{NAME}-kafka"))
        .send()
        .await
        .unwrap();
    let p = clusters.cluster_info_list()[0].provisioned().unwrap();
    let cw = p
        .logging_info()
        .and_then(|l| l.broker_logs())
        .and_then(|b| b.cloud_watch_logs())
        .unwrap();
    assert_eq!(cw.enabled(), Some(true));
    assert_eq!(
        cw.log_group(),
        Some(format!("/aws/msk/{NAME}-kafka/broker").as_str())
    );
    let prometheus = p.open_monitoring().and_then(|o| o.prometheus()).unwrap();
    assert_eq!(
        prometheus
            .jmx_exporter()
            .and_then(|j| j.enabled_in_broker()),
        Some(true)
    );
    assert_eq!(
        prometheus
            .node_exporter()
            .and_then(|n| n.enabled_in_broker()),
        Some(true)
    );
    let ec = aws_sdk_elasticache::Client::new(cfg);
    let rg = ec
        .describe_replication_groups()
        .replication_group_id(format!("{NAME}-cache"))
        .send()
        .await
        .unwrap();
    let mut delivered: Vec<String> = rg.replication_groups()[0]
        .log_delivery_configurations()
        .iter()
        .filter_map(|c| {
            c.destination_details()?
                .cloud_watch_logs_details()?
                .log_group()
                .map(str::to_string)
        })
        .collect();
    delivered.sort();
    assert_eq!(
        delivered,
        [
            format!("/aws/elasticache/{NAME}-cache/engine-log"),
            format!("/aws/elasticache/{NAME}-cache/slow-log"),
        ]
    );
}

async fn check_flow_logs(cfg: &aws_config::SdkConfig, vpc: &str) {
    let ec2 = aws_sdk_ec2::Client::new(cfg);
    let out = ec2
        .describe_flow_logs()
        .filter(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(vpc)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let f = &out.flow_logs()[0];
    assert_eq!(f.traffic_type().map(|t| t.as_str()), Some("REJECT"));
    assert_eq!(
        f.log_group_name(),
        Some(format!("/aws/vpc/{NAME}/flow-logs").as_str())
    );
    assert_ne!(f.deliver_logs_status(), Some("FAILED"), "{f:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn insights_and_every_log_go_to_groups_with_the_retention_and_the_key() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&cfg);
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.write("main.tf", &environment());
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");

    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    let key = v["encryption_key_arn"].as_str().unwrap().to_string();
    let found = log_groups(&logs).await;
    for g in groups() {
        let (retention, group_key) = found
            .get(&g)
            .unwrap_or_else(|| panic!("{g} missing: {found:?}"));
        assert_eq!(*retention, Some(RETENTION), "{g}");
        assert!(
            group_key
                .as_deref()
                .is_some_and(|k| k.ends_with(key.rsplit('/').next().unwrap())),
            "{g} on the environment's key: {group_key:?}"
        );
    }
    check_database(&cfg, &key).await;
    check_kafka_and_cache(&cfg).await;
    check_flow_logs(&cfg, v["network"]["vpc_id"].as_str().unwrap()).await;
    assert_eq!(v["part_status"]["network.flow_logs"], "ready", "{v}");

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let left = log_groups(&logs).await;
    assert!(left.is_empty(), "log groups left behind: {left:?}");
    let iam = aws_sdk_iam::Client::new(&cfg);
    assert!(
        iam.get_role()
            .role_name(format!("{NAME}-flow-logs"))
            .send()
            .await
            .is_err(),
        "the flow logs' role is gone"
    );
}
