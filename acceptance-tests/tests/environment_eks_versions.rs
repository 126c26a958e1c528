//! Kubernetes versions of `mosia_environment` through Terraform 1.15.5 against the
//! emulator's EKS rules: an upgrade over two minors (EKS takes one per update and refuses
//! one while a node group lags: the node groups move between the steps, the plan says so),
//! then EKS upgrading the cluster on its own at the end of support (`eks_auto_upgrade`):
//! the plan warns instead of planning a downgrade, the apply keeps the cluster and moves the
//! node groups, and the state stays consistent with the plan. Skips at an external endpoint.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{installed_core, Workdir};
use serde_json::json;

fn config(name: &str, version: &str) -> String {
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

  network {{
    cidr_block = "10.41.0.0/16"
    az_count   = 2
  }}

  eks {{
    version = "{version}"
    node_group "general" {{
      instance_types = ["t3.medium"]
      min_size       = 1
      max_size       = 2
      desired_size   = 1
    }}
  }}
}}
"#
    )
}

/// Terraform wraps diagnostics: compare with every run of whitespace made one space.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread")]
async fn multi_minor_upgrades_and_versions_eks_moved_on_its_own() {
    let em = Emulator::start();
    if em.require_embedded("the eks_auto_upgrade event").is_none() {
        return;
    }
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    let name = "mosia-eks-versions";
    let cluster = format!("{name}-eks");
    let eks = aws_sdk_eks::Client::new(&em.sdk_config().await);
    let versions = || {
        let eks = eks.clone();
        let cluster = cluster.clone();
        async move {
            let c = eks.describe_cluster().name(&cluster).send().await.unwrap();
            let ng = eks
                .describe_nodegroup()
                .cluster_name(&cluster)
                .nodegroup_name(format!("{name}-general"))
                .send()
                .await
                .unwrap();
            (
                c.cluster()
                    .and_then(|c| c.version())
                    .unwrap_or_default()
                    .to_string(),
                ng.nodegroup()
                    .and_then(|n| n.version())
                    .unwrap_or_default()
                    .to_string(),
            )
        }
    };

    tf.write("main.tf", &config(name, "1.30"));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(versions().await, ("1.30".into(), "1.30".into()));

    // 1.30 → 1.32: two control plane steps, the node group moved in between.
    tf.write("main.tf", &config(name, "1.32"));
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 2, "{}", plan.stdout);
    let text = squeeze(&plan.combined());
    assert!(
        text.contains("Kubernetes 1.30 → 1.32 is upgraded in 2 steps")
            && text.contains("1.31, then 1.32"),
        "{text}"
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(versions().await, ("1.32".into(), "1.32".into()));
    assert_eq!(em.call_count("eks", "UpdateClusterVersion"), 2);
    let second = tf.plan_exit();
    assert_eq!(
        second.code, 0,
        "empty plan after the upgrade:\n{}",
        second.stdout
    );

    // EKS moves the control plane to 1.33 on its own; the configuration still says 1.32.
    let fired = em.fire_event(json!({"event": "eks_auto_upgrade", "cluster": cluster}));
    assert_eq!(fired["version"], "1.33", "{fired}");
    let plan = tf.plan_exit();
    assert_eq!(
        plan.code, 2,
        "the node group behind the cluster is brought up"
    );
    let text = squeeze(&plan.combined());
    assert!(
        text.contains("The EKS cluster runs Kubernetes 1.33, newer than 1.32")
            && text.contains("Set version = \"1.33\" to match"),
        "{text}"
    );
    assert!(
        !text.contains("\"1.33\" -> \"1.32\""),
        "no downgrade planned: {text}"
    );
    assert!(text.contains("\"outdated\" -> \"ready\""), "{text}");
    let applied = tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert!(
        !applied.combined().contains("inconsistent result"),
        "{}",
        applied.combined()
    );
    assert_eq!(
        versions().await,
        ("1.33".into(), "1.33".into()),
        "the cluster kept, its node group following it"
    );
    assert_eq!(
        em.call_count("eks", "UpdateClusterVersion"),
        2,
        "no downgrade attempted"
    );
    // Settled: the configuration still says 1.32, the plan is empty and still warns.
    let settled = tf.plan_exit();
    assert_eq!(settled.code, 0, "{}", settled.stdout);
    assert!(squeeze(&settled.combined()).contains("newer than 1.32"));

    // Once the configuration says what runs, nothing is left to do.
    tf.write("main.tf", &config(name, "1.33"));
    let settled = tf.plan_exit();
    assert_eq!(settled.code, 0, "{}", settled.stdout);
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}
