//! The environment's alert topic and alarms (`monitoring`) through Terraform 1.15.5 against
//! the emulator, which serves CloudWatch over its CBOR protocol, publishes an alarm's state
//! change to its SNS actions only when the topic's policy and key policy let CloudWatch in,
//! and delivers SNS to SQS:
//!
//! - staging with RDS, ElastiCache (one replica), MSK and its NAT gateway gets
//!   exactly the alarm set of the docs table, each with the topic as alarm and OK action; the
//!   topic is encrypted with the environment's key and the email address is pending
//!   confirmation; the next plan is empty;
//! - an alarm put into ALARM reaches a queue subscribed to the topic, naming the
//!   environment's part;
//! - a second cache replica adds its member's alarms, replication lag included (named in
//!   the plan); removing MSK removes MSK's;
//! - destroy leaves no alarm and no topic.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use mosia_acceptance_tests::emulator::{repo_root, Emulator};
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-alarms";

fn environment(cache_replicas: u32, with_msk: bool) -> String {
    let msk = if with_msk {
        "msk {\n    kafka_version = \"3.6.0\"\n  }"
    } else {
        ""
    };
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "staging"

  network {{
    cidr_block    = "10.66.0.0/16"
    allowed_cidrs = ["10.99.0.0/24"]
  }}
  rds {{
    skip_final_snapshot = true
  }}
  elasticache {{
    replicas = {cache_replicas}
  }}
  {msk}
  monitoring {{
    alert_emails = ["oncall@example.com"]
    thresholds   = {{ rds_cpu_percent = 70 }}
  }}
}}
"#
    )
}

/// The alarm names of the docs table, for no RDS replica (Mosia refuses them while RDS
/// manages the master password), `members` cache members, MSK's brokers and one NAT gateway.
fn documented_alarms(members: u32, brokers: u32) -> BTreeSet<String> {
    let doc = std::fs::read_to_string(repo_root().join("docs/resources/environment.md"))
        .expect("the generated resource docs");
    let mut names = BTreeSet::new();
    for row in doc
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("| `NAME-"))
    {
        let pattern = row.split('`').nth(1).unwrap().replace("NAME", NAME);
        let expand = |from: &str, to: Vec<String>| -> Vec<String> {
            to.into_iter().map(|t| pattern.replace(from, &t)).collect()
        };
        // No read replica and no EKS here (`monitoring_node_groups` has the node groups').
        let expanded = if pattern.contains("rds-replica-N") || pattern.contains("eks-GROUP") {
            vec![]
        } else if pattern.contains("msk-broker-N") {
            expand(
                "msk-broker-N",
                (1..=brokers).map(|n| format!("msk-broker-{n}")).collect(),
            )
        } else if pattern.contains("MEMBER") {
            expand("MEMBER", (1..=members).map(|n| format!("{n:03}")).collect())
        } else if pattern.contains("nat-N") {
            expand("nat-N", vec!["nat-1".into()])
        } else {
            vec![pattern]
        };
        names.extend(
            expanded
                .into_iter()
                .filter(|n| brokers > 0 || !n.contains("-msk-")),
        );
    }
    names
}

async fn alarm_names(cw: &aws_sdk_cloudwatch::Client) -> BTreeSet<String> {
    let out = cw
        .describe_alarms()
        .alarm_name_prefix(format!("{NAME}-"))
        .send()
        .await
        .unwrap();
    out.metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(str::to_string))
        .collect()
}

/// A queue subscribed to the topic (the policy SNS needs to send to it).
async fn subscribed_queue(cfg: &aws_config::SdkConfig, topic: &str) -> String {
    let sqs = aws_sdk_sqs::Client::new(cfg);
    let url = sqs
        .create_queue()
        .queue_name("alerts-inbox")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let arn = "arn:aws:sqs:us-east-1:123456789012:alerts-inbox";
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
                       "Action": "sqs:SendMessage", "Resource": arn,
                       "Condition": {"ArnEquals": {"aws:SourceArn": topic}}}]
    });
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::Policy,
            policy.to_string(),
        )
        .send()
        .await
        .unwrap();
    aws_sdk_sns::Client::new(cfg)
        .subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(arn)
        .send()
        .await
        .unwrap();
    url
}

/// The first message the queue receives within a minute.
async fn receive(cfg: &aws_config::SdkConfig, url: &str) -> serde_json::Value {
    let sqs = aws_sdk_sqs::Client::new(cfg);
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        if let Some(m) = out.messages().first() {
            let envelope: serde_json::Value = serde_json::from_str(m.body().unwrap()).unwrap();
            return serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
        }
    }
    panic!("no alarm notification reached the queue");
}

async fn check_alarms_publish_to(cw: &aws_sdk_cloudwatch::Client, topic: &str) {
    let out = cw
        .describe_alarms()
        .alarm_name_prefix(format!("{NAME}-"))
        .send()
        .await
        .unwrap();
    for a in out.metric_alarms() {
        assert_eq!(a.alarm_actions(), [topic.to_string()], "{a:?}");
        assert_eq!(a.ok_actions(), [topic.to_string()], "{a:?}");
    }
    let cpu = out
        .metric_alarms()
        .iter()
        .find(|a| a.alarm_name() == Some(&format!("{NAME}-rds-cpu")))
        .expect("the RDS CPU alarm");
    assert_eq!(cpu.threshold(), Some(70.0), "the override by name");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_part_gets_its_alarms_wired_to_the_topic_and_they_follow_the_parts() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let cw = aws_sdk_cloudwatch::Client::new(&cfg);
    let sns = aws_sdk_sns::Client::new(&cfg);
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.write("main.tf", &environment(1, true));
    tf.ok(&["init", "-input=false"]);
    let planned = tf.ok(&["plan", "-input=false"]).combined();
    assert!(
        planned.contains(&format!("\"{NAME}-rds-cpu\"")),
        "{planned}"
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");

    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    let expected = documented_alarms(2, 2);
    let in_state: BTreeSet<String> = v["alarms"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(in_state, expected, "the docs table's alarms, no more");
    assert_eq!(alarm_names(&cw).await, expected);
    let topic = v["alert_topic_arn"].as_str().unwrap().to_string();
    assert!(topic.ends_with(&format!(":{NAME}-alerts")), "{topic}");
    check_alarms_publish_to(&cw, &topic).await;
    let attributes = sns
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    let attributes = attributes.attributes().unwrap();
    assert!(
        attributes["KmsMasterKeyId"].ends_with(
            v["encryption_key_arn"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
        ),
        "encrypted with the environment's key: {attributes:?}"
    );
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    let email = &subs.subscriptions()[0];
    assert_eq!(email.endpoint(), Some("oncall@example.com"));
    assert_eq!(email.subscription_arn(), Some("PendingConfirmation"));

    // An alarm going off reaches a subscriber, naming the environment's part.
    let queue = subscribed_queue(&cfg, &topic).await;
    cw.set_alarm_state()
        .alarm_name(format!("{NAME}-rds-cpu"))
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("test: CPU at 99%")
        .send()
        .await
        .unwrap();
    let message = receive(&cfg, &queue).await;
    assert_eq!(message["AlarmName"], format!("{NAME}-rds-cpu"));
    assert_eq!(message["NewStateValue"], "ALARM");
    assert!(
        message["AlarmDescription"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Mosia environment {NAME}: ")),
        "{message}"
    );
    assert_eq!(
        message["Trigger"]["Dimensions"][0]["value"],
        format!("{NAME}-db"),
        "{message}"
    );

    // A second cache replica gets its member's alarms; MSK removed takes its alarms along.
    tf.write("main.tf", &environment(2, false));
    let planned = tf.ok(&["plan", "-input=false"]).combined();
    assert!(
        planned.contains(&format!("{NAME}-elasticache-003-replication-lag")),
        "{planned}"
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");
    let expected = documented_alarms(3, 0);
    assert_eq!(alarm_names(&cw).await, expected);
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    assert_eq!(v["alarms"].as_object().unwrap().len(), expected.len());

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    assert!(alarm_names(&cw).await.is_empty(), "no alarm left");
    let gone = sns.get_topic_attributes().topic_arn(&topic).send().await;
    assert!(gone.is_err(), "no topic left");
}
