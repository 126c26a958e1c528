//! EKS-managed add-ons of `mosia_environment` through Terraform 1.15.5 against the emulator:
//! the default add-ons created in order (vpc-cni, kube-proxy and eks-pod-identity-agent
//! before the node group; coredns and the EBS CSI driver once it is ACTIVE, proven by the
//! creation timestamps), the EBS CSI driver's IAM role with its Pod Identity association, a
//! pin and a configuration applied in place, a pin EKS does not offer for the next
//! Kubernetes version refusing the upgrade, then an upgrade from 1.32 to 1.33 moving the
//! add-ons before the node group, and an empty plan after each step. Skips at an external
//! endpoint.

use aws_sdk_eks::types::Addon;
use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{installed_core, Workdir};
use serde_json::json;

const NAME: &str = "mosia-eks-addons";

fn config(version: &str, coredns: &str) -> String {
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
  name = "{NAME}"
  tier = "dev"

  network {{
    cidr_block = "10.43.0.0/16"
    az_count   = 2
  }}

  eks {{
    version = "{version}"
    {coredns}
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

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn secs(t: Option<&aws_smithy_types::DateTime>) -> f64 {
    t.map(|t| t.as_secs_f64()).unwrap_or_default()
}

struct Aws {
    eks: aws_sdk_eks::Client,
    iam: aws_sdk_iam::Client,
    cluster: String,
}

impl Aws {
    async fn addon(&self, name: &str) -> Addon {
        let out = self
            .eks
            .describe_addon()
            .cluster_name(&self.cluster)
            .addon_name(name);
        out.send().await.unwrap().addon.unwrap()
    }

    async fn node_group_created(&self) -> f64 {
        let ng = self
            .eks
            .describe_nodegroup()
            .cluster_name(&self.cluster)
            .nodegroup_name(format!("{NAME}-general"))
            .send()
            .await
            .unwrap();
        secs(ng.nodegroup().and_then(|n| n.created_at()))
    }

    /// createdAt of the updates of an add-on (or the node group), oldest first.
    async fn update_times(&self, addon: Option<&str>, nodegroup: Option<&str>) -> Vec<f64> {
        let ids = self
            .eks
            .list_updates()
            .name(&self.cluster)
            .set_addon_name(addon.map(str::to_string))
            .set_nodegroup_name(nodegroup.map(str::to_string))
            .send()
            .await
            .unwrap()
            .update_ids
            .unwrap_or_default();
        let mut times = vec![];
        for id in ids {
            let u = self
                .eks
                .describe_update()
                .name(&self.cluster)
                .update_id(&id)
                .set_addon_name(addon.map(str::to_string))
                .set_nodegroup_name(nodegroup.map(str::to_string))
                .send()
                .await
                .unwrap();
            times.push(secs(u.update().and_then(|u| u.created_at())));
        }
        times.sort_by(f64::total_cmp);
        times
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn default_add_ons_in_order_with_pod_identity_pins_and_upgrades() {
    let em = Emulator::start();
    if em.require_embedded("lifecycle durations").is_none() {
        return;
    }
    // A node group that takes a while to become ACTIVE: what is created after it waited.
    em.set_durations(json!({"eks_nodegroup": {"create": 1.5, "update": 0.5}, "eks_addon": 0.2}));
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    let sdk = em.sdk_config().await;
    let aws = Aws {
        eks: aws_sdk_eks::Client::new(&sdk),
        iam: aws_sdk_iam::Client::new(&sdk),
        cluster: format!("{NAME}-eks"),
    };

    tf.write("main.tf", &config("1.32", ""));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    created_in_order(&aws).await;
    ebs_csi_identity(&aws).await;
    let state = tf.state_json();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(
        values["eks"]["addon_versions"]["kube-proxy"], "v1.32.3-eksbuild.7",
        "{values}"
    );
    assert_eq!(values["part_status"]["eks.addon.coredns"], "ready");
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 0, "empty plan after create:\n{}", plan.stdout);

    // A pin and configuration values: in place.
    let coredns = r#"addon "coredns" {
      version       = "v1.11.4-eksbuild.2"
      configuration = jsonencode({ replicaCount = 3 })
    }"#;
    tf.write("main.tf", &config("1.32", coredns));
    let before = aws.addon("coredns").await;
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let after = aws.addon("coredns").await;
    assert_eq!(after.addon_arn(), before.addon_arn(), "updated in place");
    assert_eq!(after.addon_version(), Some("v1.11.4-eksbuild.2"));
    let values: serde_json::Value =
        serde_json::from_str(after.configuration_values().unwrap()).unwrap();
    assert_eq!(values, json!({"replicaCount": 3}));
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 0, "empty plan after the pin:\n{}", plan.stdout);

    // The pin is not offered for 1.33: refused before anything changes.
    tf.write("main.tf", &config("1.33", coredns));
    let refused = tf.expect(&["apply", "-auto-approve", "-input=false"], 1);
    let text = squeeze(&refused.combined());
    assert!(
        text.contains("add-on `coredns` is pinned to v1.11.4-eksbuild.2, which EKS does not offer for Kubernetes 1.33"),
        "{text}"
    );
    assert_eq!(em.call_count("eks", "UpdateClusterVersion"), 0);

    // Back to `latest`, with the upgrade: the add-ons move before the node group.
    let coredns = r#"addon "coredns" { configuration = jsonencode({ replicaCount = 3 }) }"#;
    tf.write("main.tf", &config("1.33", coredns));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    upgraded_before_the_node_group(&aws).await;
    let plan = tf.plan_exit();
    assert_eq!(
        plan.code, 0,
        "empty plan after the upgrade:\n{}",
        plan.stdout
    );
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let role = aws
        .iam
        .get_role()
        .role_name(format!("{NAME}-ebs-csi"))
        .send()
        .await;
    assert!(
        role.is_err(),
        "the EBS CSI role is deleted with the environment"
    );
}

/// vpc-cni, kube-proxy and eks-pod-identity-agent before the node group was created;
/// coredns and the EBS CSI driver after it had been creating for its whole 1.5 s.
async fn created_in_order(aws: &Aws) {
    let ng = aws.node_group_created().await;
    for early in ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"] {
        let a = aws.addon(early).await;
        assert!(
            secs(a.created_at()) < ng,
            "{early} created before the node group"
        );
        assert_eq!(a.status().map(|s| s.as_str()), Some("ACTIVE"));
    }
    for late in ["coredns", "aws-ebs-csi-driver"] {
        let a = aws.addon(late).await;
        assert!(
            secs(a.created_at()) >= ng + 1.5,
            "{late} created after the node group became ACTIVE ({} vs {ng})",
            secs(a.created_at())
        );
        assert_eq!(a.status().map(|s| s.as_str()), Some("ACTIVE"));
    }
}

/// The role `NAME-ebs-csi`, trusted by EKS Pod Identity, with AmazonEBSCSIDriverPolicy and
/// the add-on's association for `kube-system/ebs-csi-controller-sa`.
async fn ebs_csi_identity(aws: &Aws) {
    let name = format!("{NAME}-ebs-csi");
    let role = aws
        .iam
        .get_role()
        .role_name(&name)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let trust = role.assume_role_policy_document().unwrap_or_default();
    let trust = mosia_acceptance_tests::policy_sim::percent_decode(trust);
    assert!(
        trust.contains("pods.eks.amazonaws.com") && trust.contains("sts:TagSession"),
        "{trust}"
    );
    let policies = aws
        .iam
        .list_attached_role_policies()
        .role_name(&name)
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = policies
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    assert_eq!(
        arns,
        ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]
    );
    let assoc = aws
        .eks
        .list_pod_identity_associations()
        .cluster_name(&aws.cluster)
        .namespace("kube-system")
        .service_account("ebs-csi-controller-sa")
        .send()
        .await
        .unwrap();
    let summary = &assoc.associations()[0];
    let described = aws
        .eks
        .describe_pod_identity_association()
        .cluster_name(&aws.cluster)
        .association_id(summary.association_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.association().and_then(|a| a.role_arn()),
        Some(role.arn())
    );
    let addon = aws.addon("aws-ebs-csi-driver").await;
    assert_eq!(addon.pod_identity_associations().len(), 1);
}

/// Every add-on on a version offered for 1.33, each moved (UpdateAddon) before the node
/// group's UpdateNodegroupVersion.
async fn upgraded_before_the_node_group(aws: &Aws) {
    let ng = aws
        .update_times(None, Some(&format!("{NAME}-general")))
        .await;
    let ng_upgrade = *ng.last().expect("the node group's version update");
    for (addon, version) in [
        ("kube-proxy", "v1.33.3-eksbuild.4"),
        ("coredns", "v1.12.3-eksbuild.1"),
        ("eks-pod-identity-agent", "v1.3.8-eksbuild.2"),
        ("aws-ebs-csi-driver", "v1.45.0-eksbuild.2"),
        ("vpc-cni", "v1.20.4-eksbuild.1"),
    ] {
        assert_eq!(
            aws.addon(addon).await.addon_version(),
            Some(version),
            "{addon}"
        );
    }
    for moved in ["kube-proxy", "coredns"] {
        let times = aws.update_times(Some(moved), None).await;
        let last = *times.last().expect("an add-on update");
        assert!(
            last < ng_upgrade,
            "{moved} moved before the node group ({last} vs {ng_upgrade})"
        );
    }
}
