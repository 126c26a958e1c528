//! MSK broker properties through Terraform 1.15.5 against the emulator (issue "Change
//! production safely"): the cluster is created with the configuration `NAME-kafka` holding
//! the tier's properties merged with the configured ones; a change adds a revision and moves
//! the cluster to it in place (old revisions kept); a property changed outside Terraform is
//! drift the next apply restores; a property MSK does not allow and a replication factor
//! above the broker count are refused at plan time naming them; storage autoscaling is
//! registered with its policy and the storage it grows is not drift; destroy turns
//! autoscaling off and deletes the configuration after the cluster.

use std::collections::BTreeMap;

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-kafkacfg";

fn config(configuration: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "dev"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
  }}

  msk {{
    kafka_version = "3.6.0"
{configuration}
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

/// The properties of a revision, as MSK keeps them.
async fn revision(kafka: &aws_sdk_kafka::Client, arn: &str, n: i64) -> BTreeMap<String, String> {
    let out = kafka
        .describe_configuration_revision()
        .arn(arn)
        .revision(n)
        .send()
        .await
        .unwrap();
    let text = String::from_utf8(out.server_properties().unwrap().as_ref().to_vec()).unwrap();
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn describe(kafka: &aws_sdk_kafka::Client, cluster: &str) -> aws_sdk_kafka::types::Cluster {
    kafka
        .describe_cluster_v2()
        .cluster_arn(cluster)
        .send()
        .await
        .unwrap()
        .cluster_info
        .unwrap()
}

/// The configuration ARN and revision the cluster runs, as MSK describes it.
async fn running(kafka: &aws_sdk_kafka::Client, cluster: &str) -> (String, i64) {
    let c = describe(kafka, cluster).await;
    let sw = c
        .provisioned()
        .and_then(|p| p.current_broker_software_info())
        .expect("broker software info");
    (
        sw.configuration_arn().unwrap_or_default().to_string(),
        sw.configuration_revision().unwrap_or_default(),
    )
}

fn msk_state(tf: &Workdir) -> serde_json::Value {
    let state = tf.state_json();
    resource_values(&state, ADDR).expect("in state")["msk"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn broker_properties_live_in_a_configuration_revised_in_place() {
    let em = Emulator::start();
    let kafka = aws_sdk_kafka::Client::new(&em.sdk_config().await);
    let tf = workdir(&em);

    // Refused at plan time, before anything exists: a property MSK manages itself, and a
    // replication factor the 2 brokers of dev cannot meet.
    tf.write(
        "main.tf",
        &config(
            "    configuration = { \"broker.id\" = \"7\", \"default.replication.factor\" = \"3\" }",
        ),
    );
    tf.ok(&["init", "-input=false"]);
    let refused = tf.run(&["plan", "-input=false"]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    let err = refused.combined();
    assert!(
        err.contains("Broker property MSK does not allow") && err.contains("broker.id"),
        "{err}"
    );
    assert!(
        err.contains("Replication factor above the broker count")
            && err.contains("the cluster has 2"),
        "{err}"
    );

    // Created with the tier's properties merged with the configured one.
    tf.write(
        "main.tf",
        &config("    configuration = { \"log.retention.hours\" = \"72\" }"),
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let msk = msk_state(&tf);
    let cluster = msk["arn"].as_str().unwrap().to_string();
    let cfg_arn = msk["configuration_arn"].as_str().unwrap().to_string();
    assert!(
        cfg_arn.contains(&format!(":configuration/{NAME}-kafka/")),
        "{cfg_arn}"
    );
    assert_eq!(msk["configuration_revision"], 1);
    assert_eq!(running(&kafka, &cluster).await, (cfg_arn.clone(), 1));
    let want_1 = BTreeMap::from([
        ("auto.create.topics.enable".to_string(), "true".to_string()),
        ("default.replication.factor".to_string(), "1".to_string()),
        ("log.retention.hours".to_string(), "72".to_string()),
        ("min.insync.replicas".to_string(), "1".to_string()),
    ]);
    assert_eq!(revision(&kafka, &cfg_arn, 1).await, want_1);
    assert_eq!(
        serde_json::from_value::<BTreeMap<String, String>>(msk["server_properties"].clone())
            .unwrap(),
        want_1
    );
    assert_eq!(tf.plan_exit().code, 0, "nothing to change after the create");

    // A change: revision 2, the cluster moved to it, revision 1 kept.
    tf.write(
        "main.tf",
        &config("    configuration = { \"log.retention.hours\" = \"24\" }"),
    );
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 2);
    assert!(
        plan.stdout.contains("1 to change") && plan.stdout.contains("0 to destroy"),
        "{}",
        plan.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(running(&kafka, &cluster).await, (cfg_arn.clone(), 2));
    assert_eq!(
        revision(&kafka, &cfg_arn, 2).await["log.retention.hours"],
        "24"
    );
    assert_eq!(
        revision(&kafka, &cfg_arn, 1).await["log.retention.hours"],
        "72"
    );
    assert_eq!(msk_state(&tf)["configuration_revision"], 2);
    assert_eq!(tf.plan_exit().code, 0);

    // Changed outside Terraform (a revision 3 the cluster runs): drift, restored.
    let out = kafka
        .update_configuration()
        .arn(&cfg_arn)
        .server_properties(aws_sdk_kafka::primitives::Blob::new(
            "auto.create.topics.enable=false\n",
        ))
        .send()
        .await
        .unwrap();
    let current = describe(&kafka, &cluster).await.current_version.unwrap();
    kafka
        .update_cluster_configuration()
        .cluster_arn(&cluster)
        .current_version(current)
        .configuration_info(
            aws_sdk_kafka::types::ConfigurationInfo::builder()
                .arn(&cfg_arn)
                .revision(out.latest_revision().unwrap().revision().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    wait_active(&kafka, &cluster).await;
    let drift = tf.plan_exit();
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    assert!(
        drift.stdout.contains("server_properties"),
        "{}",
        drift.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let (_, now) = running(&kafka, &cluster).await;
    assert_eq!(now, 4, "a new revision with the configured properties");
    assert_eq!(
        revision(&kafka, &cfg_arn, 4).await["log.retention.hours"],
        "24"
    );

    storage_autoscaling(&em, &tf, &cluster).await;

    // Destroy: storage autoscaling, the cluster, then its configuration.
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    assert_eq!(scalable_target_max(&em, &cluster).await, None);
    let left = kafka.list_configurations().send().await.unwrap();
    assert!(
        left.configurations()
            .iter()
            .all(|c| c.name() != Some(&format!("{NAME}-kafka"))),
        "{left:?}"
    );
}

/// Storage autoscaling on: a scalable target up to the maximum with its target tracking
/// policy; storage it grows is kept by the next plan, not planned back.
async fn storage_autoscaling(em: &Emulator, tf: &Workdir, cluster: &str) {
    tf.write(
        "main.tf",
        &config(
            "    configuration = { \"log.retention.hours\" = \"24\" }\n    \
             storage_gb = 100\n    storage_autoscaling_max_gb = 400",
        ),
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(scalable_target_max(em, cluster).await, Some(400));
    let scaling = aws_sdk_applicationautoscaling::Client::new(&em.sdk_config().await);
    let policies = scaling
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Kafka)
        .resource_id(cluster)
        .send()
        .await
        .unwrap();
    let policy = &policies.scaling_policies()[0];
    let tracking = policy
        .target_tracking_scaling_policy_configuration()
        .unwrap();
    assert_eq!(tracking.target_value(), 60.0);
    assert_eq!(msk_state(tf)["storage_autoscaling_max_gb"], 400);

    em.fire_event(serde_json::json!({
        "event": "msk_storage_autoscaling", "cluster_arn": cluster, "volume_size": 150
    }));
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 0, "grown storage is not drift: {}", plan.stdout);
    assert!(
        !plan.combined().contains("only grows"),
        "{}",
        plan.combined()
    );
    tf.ok(&["apply", "-refresh-only", "-auto-approve", "-input=false"]);
    assert_eq!(msk_state(tf)["storage_gb"], 150);
}

/// The maximum of the cluster's broker storage scalable target; None when not registered.
async fn scalable_target_max(em: &Emulator, cluster: &str) -> Option<i32> {
    let scaling = aws_sdk_applicationautoscaling::Client::new(&em.sdk_config().await);
    let out = scaling
        .describe_scalable_targets()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Kafka)
        .resource_ids(cluster)
        .send()
        .await
        .unwrap();
    out.scalable_targets().first().map(|t| t.max_capacity())
}

async fn wait_active(kafka: &aws_sdk_kafka::Client, cluster: &str) {
    let start = std::time::Instant::now();
    loop {
        let c = describe(kafka, cluster).await;
        if c.state().map(|s| s.as_str()) == Some("ACTIVE") {
            return;
        }
        assert!(
            start.elapsed().as_secs() < 60,
            "cluster never ACTIVE: {c:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
