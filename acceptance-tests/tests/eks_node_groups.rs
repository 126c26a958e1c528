//! Node groups that live with autoscalers, through Terraform 1.15.5 against the emulator:
//! a Graviton node group (m7g.large runs `AL2023_ARM_64_STANDARD`); taints changed in place
//! (same node group ARN); `scaling = "external"` ignoring a desired size changed out of band
//! (empty plan, not reset by an apply); foreign tags (`karpenter.sh/discovery`) on the
//! cluster and the node group surviving an apply with an empty plan, while a tag removed
//! from the configuration is removed from AWS; and a replacement (another instance type)
//! that creates the new group before deleting the old one, so a poller never sees the
//! cluster without an ACTIVE node group.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{installed_core, resource_values, Workdir};
use serde_json::json;

const ADDR: &str = "mosia_environment.env";

struct Settings<'a> {
    instance_type: &'a str,
    taint_value: &'a str,
    cost_center: bool,
}

fn config(name: &str, s: &Settings<'_>) -> String {
    let cost_center = if s.cost_center {
        r#", cost-center = "42""#
    } else {
        ""
    };
    format!(
        r#"terraform {{
  required_providers {{
    mosia = {{ source = "mosia/mosia" }}
  }}
}}

provider "mosia" {{
  region = "us-east-1"
}}

resource "mosia_environment" "env" {{
  name = "{name}"
  tier = "dev"
  tags = {{ team = "platform"{cost_center} }}

  network {{
    cidr_block = "10.43.0.0/16"
    az_count   = 2
  }}

  eks {{
    version = "1.33"
    addons  = []
    node_group "general" {{
      instance_types  = ["{it}"]
      min_size        = 1
      max_size        = 3
      desired_size    = 1
      scaling         = "external"
      max_unavailable = 1
      taints          = [{{ key = "dedicated", value = "{tv}", effect = "NO_SCHEDULE" }}]
    }}
  }}
}}
"#,
        it = s.instance_type,
        tv = s.taint_value,
    )
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_empty_plan(tf: &Workdir, after: &str) {
    let plan = tf.plan_exit();
    assert_eq!(
        plan.code, 0,
        "empty plan expected after {after}:\n{}",
        plan.stdout
    );
}

/// What the poller saw at one moment: each node group's name and status.
type Snapshot = Vec<(String, String)>;

/// The cluster's node groups by name.
async fn groups(
    eks: &aws_sdk_eks::Client,
    cluster: &str,
) -> HashMap<String, aws_sdk_eks::types::Nodegroup> {
    let listed = eks
        .list_nodegroups()
        .cluster_name(cluster)
        .send()
        .await
        .expect("list node groups");
    let mut out = HashMap::new();
    for n in listed.nodegroups() {
        if let Ok(d) = eks
            .describe_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(n)
            .send()
            .await
        {
            out.insert(n.clone(), d.nodegroup.expect("node group"));
        }
    }
    out
}

/// The one node group of the cluster (the test has one in its configuration).
async fn only_group(eks: &aws_sdk_eks::Client, cluster: &str) -> aws_sdk_eks::types::Nodegroup {
    let all = groups(eks, cluster).await;
    assert_eq!(all.len(), 1, "one node group: {:?}", all.keys());
    all.into_values().next().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn node_groups_live_with_autoscalers_and_foreign_tags() {
    let em = Emulator::start();
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    let name = "mosia-ng-live";
    let cluster = format!("{name}-eks");
    let eks = aws_sdk_eks::Client::new(&em.sdk_config().await);
    let mut s = Settings {
        instance_type: "m7g.large",
        taint_value: "batch",
        cost_center: true,
    };

    // A Graviton node group: the AMI type follows the architecture.
    tf.write("main.tf", &config(name, &s));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let ng = only_group(&eks, &cluster).await;
    assert_eq!(
        ng.ami_type().map(|a| a.as_str()),
        Some("AL2023_ARM_64_STANDARD")
    );
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    assert_eq!(
        v["eks"]["node_group"]["general"]["ami_type"],
        "AL2023_ARM_64_STANDARD"
    );
    assert_eq!(ng.taints()[0].value(), Some("batch"));
    assert_empty_plan(&tf, "create");
    let arn = ng.nodegroup_arn().unwrap().to_string();
    let ng_name = ng.nodegroup_name().unwrap().to_string();

    // Taints change in place: the same node group.
    s.taint_value = "web";
    tf.write("main.tf", &config(name, &s));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let ng = only_group(&eks, &cluster).await;
    assert_eq!(ng.nodegroup_arn(), Some(arn.as_str()), "changed in place");
    assert_eq!(ng.taints().len(), 1);
    assert_eq!(ng.taints()[0].value(), Some("web"));
    assert_empty_plan(&tf, "the taint change");

    // An autoscaler scales the group to 3: not drift, and an apply does not reset it.
    eks.update_nodegroup_config()
        .cluster_name(&cluster)
        .nodegroup_name(&ng_name)
        .scaling_config(
            aws_sdk_eks::types::NodegroupScalingConfig::builder()
                .desired_size(3)
                .build(),
        )
        .send()
        .await
        .expect("the autoscaler's UpdateNodegroupConfig");
    let desired = || async {
        only_group(&eks, &cluster)
            .await
            .scaling_config()
            .and_then(|c| c.desired_size())
    };
    assert_eq!(desired().await, Some(3));
    assert_empty_plan(&tf, "an out-of-band desired size");

    // Foreign tags on the cluster and the node group; a user tag removed from the
    // configuration (the apply also runs with the desired size of 3 in AWS).
    let cluster_arn = eks
        .describe_cluster()
        .name(&cluster)
        .send()
        .await
        .unwrap()
        .cluster
        .unwrap()
        .arn
        .unwrap();
    for object in [&cluster_arn, &arn] {
        eks.tag_resource()
            .resource_arn(object)
            .tags("karpenter.sh/discovery", &cluster)
            .send()
            .await
            .expect("tag by hand");
    }
    assert_empty_plan(&tf, "foreign tags");
    s.cost_center = false;
    tf.write("main.tf", &config(name, &s));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    for object in [&cluster_arn, &arn] {
        let tags = eks
            .list_tags_for_resource()
            .resource_arn(object)
            .send()
            .await
            .unwrap()
            .tags
            .unwrap_or_default();
        assert_eq!(
            tags.get("karpenter.sh/discovery"),
            Some(&cluster),
            "{object}: {tags:?}"
        );
        assert!(!tags.contains_key("cost-center"), "{object}: {tags:?}");
        assert_eq!(tags.get("team").map(String::as_str), Some("platform"));
    }
    assert_eq!(desired().await, Some(3), "the apply left the desired size");
    assert_empty_plan(&tf, "removing a tag");

    // Another instance type: a new group is created and ACTIVE before the old one goes.
    em.set_durations(json!({"eks_nodegroup": {"create": 2, "delete": 2}}));
    s.instance_type = "m6g.large";
    tf.write("main.tf", &config(name, &s));
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    let text = squeeze(&plan.combined());
    assert!(
        text.contains("Node group \"general\" will be replaced (create before destroy)"),
        "{text}"
    );
    let done = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<Vec<Snapshot>>> = Arc::default();
    let poller = {
        let (eks, cluster, done, seen) = (eks.clone(), cluster.clone(), done.clone(), seen.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                let now: Snapshot = groups(&eks, &cluster)
                    .await
                    .into_iter()
                    .map(|(n, g)| (n, g.status().unwrap().as_str().to_string()))
                    .collect();
                seen.lock().unwrap().push(now);
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        })
    };
    // The poller runs on the runtime's other worker while this one waits for Terraform.
    let out = tokio::task::block_in_place(|| tf.ok(&["apply", "-auto-approve", "-input=false"]));
    done.store(true, Ordering::Relaxed);
    poller.await.unwrap();
    let text = squeeze(&out.combined());
    assert!(text.contains("node group \"general\" replaced"), "{text}");
    let ng = only_group(&eks, &cluster).await;
    let new_name = ng.nodegroup_name().unwrap().to_string();
    assert_ne!(new_name, ng_name, "a new group");
    assert!(new_name.starts_with(&format!("{ng_name}-")), "{new_name}");
    assert_eq!(ng.instance_types(), ["m6g.large"]);
    let seen = seen.lock().unwrap().clone();
    assert!(seen.len() > 3, "the poller ran during the apply: {seen:?}");
    for snapshot in &seen {
        assert!(
            snapshot.iter().any(|(_, status)| status == "ACTIVE"),
            "a moment without an ACTIVE node group: {seen:?}"
        );
    }
    // Create before destroy: the new group was seen being created while the old one served
    // (with the check above, the old one went only once the new one was ACTIVE). The instant
    // both are ACTIVE lasts one provider poll: a sampler may miss it.
    let old_served_while_new_created = |s: &Vec<(String, String)>| {
        s.iter().any(|(n, st)| n == &new_name && st == "CREATING")
            && s.iter().any(|(n, st)| n == &ng_name && st == "ACTIVE")
    };
    assert!(
        seen.iter().any(old_served_while_new_created),
        "the old group served while the new one was created: {seen:?}"
    );
    assert_empty_plan(&tf, "the replacement");

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}
