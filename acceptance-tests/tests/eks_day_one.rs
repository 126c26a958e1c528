//! Issue #11 end to end, through Terraform 1.15.5 against the emulator: a production EKS
//! cluster configured the way a platform team configures it on day one (access entries, one
//! namespace-scoped; the default add-ons with coredns configured; a Graviton node group with
//! taints, update settings and an external autoscaler; secrets encryption with the
//! environment's key; a log retention), created with every piece in place, then imported
//! into another working directory with the next plan empty, and destroyed leaving the key
//! scheduled for deletion and no add-on, access entry or log group behind.

use aws_sdk_eks::types::AccessScopeType;
use mosia_acceptance_tests::emulator::{unique_name, Emulator};
use mosia_acceptance_tests::iam_roles::create_role;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1_DEFAULT_TAGS,
};

const ADDR: &str = "mosia_environment.this";

fn environment(name: &str, admins: &str, ci: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1_DEFAULT_TAGS}
resource "mosia_environment" "this" {{
  name = "{name}"
  tier = "production"

  network {{
    cidr_block = "10.31.0.0/16"
  }}

  eks {{
    version            = "1.33"
    log_retention_days = 30

    access_entry "platform-admins" {{
      principal_arn = "{admins}"
      policy        = "cluster-admin"
    }}
    access_entry "ci" {{
      principal_arn = "{ci}"
      policy        = "edit"
      namespaces    = ["apps"]
    }}

    addon "coredns" {{
      configuration = jsonencode({{ replicaCount = 3 }})
    }}

    node_group "general" {{
      instance_types  = ["m7g.large"]
      min_size        = 2
      max_size        = 6
      desired_size    = 3
      taints          = [{{ key = "dedicated", value = "batch", effect = "NO_SCHEDULE" }}]
      max_unavailable = 2
      scaling         = "external"
    }}
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

#[tokio::test(flavor = "multi_thread")]
async fn a_day_one_cluster_is_created_imported_and_destroyed() {
    let em = Emulator::start();
    let sdk = em.sdk_config().await;
    let (iam, eks) = (
        aws_sdk_iam::Client::new(&sdk),
        aws_sdk_eks::Client::new(&sdk),
    );
    let name = unique_name("mosia-acc-day1");
    let trust = "ec2.amazonaws.com"; // any trust: access entries need only an existing principal
    let (admins, _) = create_role(&iam, &format!("{name}-admins"), trust, &[]).await;
    let (ci, _) = create_role(&iam, &format!("{name}-ci"), trust, &[]).await;
    let config = environment(&name, &admins, &ci);

    let owner = workdir(&em);
    owner.write("main.tf", &config);
    owner.ok(&["init", "-input=false"]);
    owner.ok(&["apply", "-auto-approve", "-input=false"]);
    let state = owner.state_json();
    let created = resource_values(&state, ADDR).expect("created").clone();
    let cluster_name = created["eks"]["cluster_name"]
        .as_str()
        .expect("cluster name");

    // Access: API mode (production's default), the two entries with their scopes.
    let cluster = eks
        .describe_cluster()
        .name(cluster_name)
        .send()
        .await
        .unwrap();
    let cluster = cluster.cluster.expect("cluster");
    let mode = cluster
        .access_config
        .as_ref()
        .and_then(|a| a.authentication_mode.clone());
    assert_eq!(mode.map(|m| m.as_str().to_string()).as_deref(), Some("API"));
    let ci_policies = eks
        .list_associated_access_policies()
        .cluster_name(cluster_name)
        .principal_arn(&ci)
        .send()
        .await
        .unwrap();
    let ci_policy = &ci_policies.associated_access_policies()[0];
    assert!(ci_policy
        .policy_arn()
        .unwrap_or_default()
        .ends_with("AmazonEKSEditPolicy"));
    let scope = ci_policy.access_scope().expect("scope");
    assert_eq!(scope.r#type(), Some(&AccessScopeType::Namespace));
    assert_eq!(scope.namespaces(), ["apps".to_string()]);
    let arns = &created["eks"]["access_entry_arns"];
    assert!(
        arns["platform-admins"].is_string() && arns["ci"].is_string(),
        "{arns}"
    );

    // Secrets encrypted with the environment's key; add-ons installed; the Graviton AMI.
    let key = created["eks"]["kms_key_arn"]
        .as_str()
        .expect("the environment's key");
    let encryption = cluster.encryption_config();
    assert_eq!(
        encryption[0].provider().and_then(|p| p.key_arn()),
        Some(key),
        "{encryption:?}"
    );
    let versions = created["eks"]["addon_versions"]
        .as_object()
        .expect("add-ons");
    for addon in [
        "vpc-cni",
        "kube-proxy",
        "coredns",
        "eks-pod-identity-agent",
        "aws-ebs-csi-driver",
    ] {
        assert!(versions.contains_key(addon), "{addon} in {versions:?}");
    }
    let group = &created["eks"]["node_group"]["general"];
    assert_eq!(group["ami_type"], "AL2023_ARM_64_STANDARD");
    assert!(created["eks"]["kubeconfig"]
        .as_str()
        .is_some_and(|k| k.contains("get-token") && k.contains(cluster_name)));
    assert!(owner.plan_exit().code == 0, "no changes after the create");

    // Import into another working directory rebuilds all of it: the next plan is empty.
    let adopter = workdir(&em);
    adopter.write("main.tf", &config);
    adopter.ok(&["init", "-input=false"]);
    adopter.ok(&["import", "-input=false", ADDR, &name]);
    let plan = adopter.plan_exit();
    assert_eq!(plan.code, 0, "no changes after import:\n{}", plan.stdout);
    let imported = adopter.state_json();
    let imported = resource_values(&imported, ADDR).expect("imported");
    for attr in [
        "access_entry_arns",
        "addon_versions",
        "kms_key_arn",
        "log_retention_days",
    ] {
        assert_eq!(
            imported["eks"][attr], created["eks"][attr],
            "eks.{attr} imported"
        );
    }

    owner.ok(&["destroy", "-auto-approve", "-input=false"]);
    let kms = aws_sdk_kms::Client::new(&sdk);
    let state = kms.describe_key().key_id(key).send().await.unwrap();
    let state = state.key_metadata.and_then(|m| m.key_state);
    assert_eq!(
        state.map(|s| s.as_str().to_string()).as_deref(),
        Some("PendingDeletion")
    );
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/eks/{cluster_name}"))
        .send()
        .await
        .unwrap();
    assert!(groups.log_groups().is_empty(), "log group deleted");
}
