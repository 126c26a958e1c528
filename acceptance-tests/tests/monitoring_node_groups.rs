//! The node groups' alarms (`NAME-eks-GROUP-nodes-in-service`) through Terraform 1.15.5
//! against the emulator, whose EKS runs each managed node group in an Auto Scaling group:
//!
//! - each node group gets an alarm on its Auto Scaling group's `GroupInServiceInstances`
//!   below its `min_size`, with the topic as alarm and OK action, and the group collects
//!   that metric (Mosia turned its metrics collection on);
//! - a node group added gets its alarm, a new `min_size` moves the threshold, a node group
//!   removed loses its alarm;
//! - destroy leaves no alarm.

use std::collections::BTreeSet;

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-nodes";

fn environment(general_min: u32, with_batch: bool) -> String {
    let batch = if with_batch {
        "node_group \"batch\" {\n      min_size = 1\n      max_size = 2\n    }"
    } else {
        ""
    };
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "dev"

  network {{
    cidr_block = "10.72.0.0/16"
  }}
  eks {{
    version = "1.33"
    addons  = []
    node_group "general" {{
      min_size = {general_min}
      max_size = 4
    }}
    {batch}
  }}
  monitoring {{
    alarms = true
  }}
}}
"#
    )
}

/// The node group alarms: name → (threshold, Auto Scaling group, alarm actions).
async fn node_alarms(
    cw: &aws_sdk_cloudwatch::Client,
) -> std::collections::BTreeMap<String, (f64, String, Vec<String>)> {
    let out = cw
        .describe_alarms()
        .alarm_name_prefix(format!("{NAME}-eks-"))
        .send()
        .await
        .unwrap();
    out.metric_alarms()
        .iter()
        .map(|a| {
            assert_eq!(a.namespace(), Some("AWS/AutoScaling"));
            assert_eq!(a.metric_name(), Some("GroupInServiceInstances"));
            assert_eq!(
                a.ok_actions(),
                a.alarm_actions(),
                "OK goes where ALARM goes"
            );
            let group = a.dimensions()[0].value().unwrap_or_default().to_string();
            (
                a.alarm_name().unwrap().to_string(),
                (a.threshold().unwrap(), group, a.alarm_actions().to_vec()),
            )
        })
        .collect()
}

/// The Auto Scaling group EKS reports for node group `group`.
async fn auto_scaling_group(eks: &aws_sdk_eks::Client, group: &str) -> String {
    let out = eks
        .describe_nodegroup()
        .cluster_name(format!("{NAME}-eks"))
        .nodegroup_name(format!("{NAME}-{group}"))
        .send()
        .await
        .unwrap();
    let ng = out.nodegroup().unwrap();
    ng.resources().unwrap().auto_scaling_groups()[0]
        .name()
        .unwrap()
        .to_string()
}

/// The metrics the Auto Scaling group collects.
async fn collected(asg: &aws_sdk_autoscaling::Client, group: &str) -> BTreeSet<String> {
    let out = asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(group)
        .send()
        .await
        .unwrap();
    out.auto_scaling_groups()[0]
        .enabled_metrics()
        .iter()
        .filter(|m| m.granularity() == Some("1Minute"))
        .filter_map(|m| m.metric().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_node_group_alarms_below_its_min_size() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let (cw, eks) = (
        aws_sdk_cloudwatch::Client::new(&cfg),
        aws_sdk_eks::Client::new(&cfg),
    );
    let asg = aws_sdk_autoscaling::Client::new(&cfg);
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.write("main.tf", &environment(2, false));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");

    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    let topic = v["alert_topic_arn"].as_str().unwrap().to_string();
    let general = auto_scaling_group(&eks, "general").await;
    let alarms = node_alarms(&cw).await;
    let name = format!("{NAME}-eks-general-nodes-in-service");
    assert_eq!(
        alarms.get(&name),
        Some(&(2.0, general.clone(), vec![topic.clone()])),
        "{alarms:?}"
    );
    assert!(v["alarms"][&name].is_string(), "in the alarms map");
    assert!(
        collected(&asg, &general)
            .await
            .contains("GroupInServiceInstances"),
        "the group publishes what the alarm reads"
    );

    // A node group added gets its alarm (named in the plan); min_size moves the threshold.
    tf.write("main.tf", &environment(3, true));
    let plan = tf.ok(&["plan", "-input=false"]).stdout;
    assert!(
        plan.contains(&format!("{NAME}-eks-batch-nodes-in-service")),
        "{plan}"
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let batch = auto_scaling_group(&eks, "batch").await;
    let alarms = node_alarms(&cw).await;
    assert_eq!(alarms.len(), 2, "{alarms:?}");
    assert_eq!(alarms[&name].0, 3.0);
    assert_eq!(
        alarms[&format!("{NAME}-eks-batch-nodes-in-service")].1,
        batch
    );
    assert!(collected(&asg, &batch)
        .await
        .contains("GroupInServiceInstances"));

    // Removed: its alarm goes.
    tf.write("main.tf", &environment(3, false));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let alarms = node_alarms(&cw).await;
    assert_eq!(alarms.keys().collect::<Vec<_>>(), [&name]);
    assert_eq!(tf.plan_exit().code, 0);

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let left = cw
        .describe_alarms()
        .alarm_name_prefix(format!("{NAME}-"))
        .send()
        .await
        .unwrap();
    assert!(left.metric_alarms().is_empty(), "no alarm left");
}
