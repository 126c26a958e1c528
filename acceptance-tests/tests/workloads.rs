//! Workload identities and network least privilege of `mosia_environment`, through
//! Terraform 1.15.5 against the emulator: two workloads (Pod Identity and IRSA) whose roles,
//! association and policies exist and are exactly scoped (allowed on their own database user,
//! secret and topics, denied on another environment's); the data services admit the EKS
//! cluster's security group and the allowed CIDR only; a policy edited by hand shows in the
//! plan and is restored; a workload added then removed touches nothing else; import rebuilds
//! the workloads; destroy leaves no role and lets EKS delete its cluster group.

use aws_sdk_ec2::types::Filter;
use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::policy_sim::{allowed, role_documents};
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.this";

fn environment(name: &str, workloads: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{name}"
  tier = "dev"

  network {{
    cidr_block    = "10.61.0.0/16"
    allowed_cidrs = ["10.99.0.0/24"]
  }}
  eks {{
    addons = []
  }}
  rds {{
    database_name = "shop"
  }}
  msk {{
    kafka_version = "3.6.0"
  }}

  workload = {{
{workloads}
  }}
}}
"#
    )
}

const TWO: &str = r#"    orders = {
      namespace = "shop"
      rds       = "read_write"
      msk       = { topics = ["orders.*"], groups = ["orders-*"] }
    }
    reports = { namespace = "shop", identity = "irsa", rds = "read_secret" }"#;

const THREE: &str = r#"    orders = {
      namespace = "shop"
      rds       = "read_write"
      msk       = { topics = ["orders.*"], groups = ["orders-*"] }
    }
    reports = { namespace = "shop", identity = "irsa", rds = "read_secret" }
    web     = { namespace = "web", s3_buckets = ["web-assets"] }"#;

fn workdir(em: &Emulator) -> Workdir {
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf
}

/// Sources admitted by group `id`: CIDR blocks and security group IDs.
async fn admitted(ec2: &aws_sdk_ec2::Client, id: &str) -> Vec<String> {
    let g = ec2
        .describe_security_groups()
        .group_ids(id)
        .send()
        .await
        .unwrap();
    let g = &g.security_groups()[0];
    let mut out: Vec<String> = g
        .ip_permissions()
        .iter()
        .flat_map(|p| {
            let cidrs = p
                .ip_ranges()
                .iter()
                .filter_map(|r| r.cidr_ip().map(str::to_string));
            let groups = p
                .user_id_group_pairs()
                .iter()
                .filter_map(|r| r.group_id().map(str::to_string));
            cidrs.chain(groups).collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn workloads_get_exactly_scoped_roles_and_data_services_admit_only_the_cluster() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let (iam, eks, ec2) = (
        aws_sdk_iam::Client::new(&cfg),
        aws_sdk_eks::Client::new(&cfg),
        aws_sdk_ec2::Client::new(&cfg),
    );
    let name = "mosia-acc-wl";
    let tf = workdir(&em);
    tf.write("main.tf", &environment(name, TWO));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");

    let state = tf.state_json();
    let v = resource_values(&state, ADDR).expect("in state").clone();
    for part in [
        "workload.orders",
        "workload.reports",
        "workloads",
        "network.cluster_ingress",
    ] {
        assert_eq!(
            v["part_status"][part], "ready",
            "{part}: {}",
            v["part_status"]
        );
    }
    let orders = &v["workloads"]["orders"];
    assert_eq!(orders["role_name"], format!("{name}-wl-orders"));
    assert_eq!(orders["connection"]["PGUSER"], "orders");
    assert_eq!(orders["connection"]["PGDATABASE"], "shop");
    assert_eq!(orders["connection"]["KAFKA_SASL_MECHANISM"], "AWS_MSK_IAM");
    assert_eq!(v["workloads"]["reports"]["connection"]["PGUSER"], "mosia");

    // Pod Identity for `orders`; IRSA (no association) for `reports`.
    let cluster = format!("{name}-eks");
    let assoc = eks
        .list_pod_identity_associations()
        .cluster_name(&cluster)
        .send()
        .await
        .unwrap();
    let assoc: Vec<(String, String)> = assoc
        .associations()
        .iter()
        .map(|a| {
            (
                a.namespace().unwrap().to_string(),
                a.service_account().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(assoc, [("shop".to_string(), "orders".to_string())]);
    let (_, reports_trust) = role_documents(&iam, &format!("{name}-wl-reports")).await;
    let cond = reports_trust["Statement"][0]["Condition"]["StringEquals"]
        .as_object()
        .unwrap();
    assert!(
        cond.iter()
            .any(|(k, v)| k.ends_with(":sub") && v == "system:serviceaccount:shop:reports"),
        "{cond:?}"
    );

    // Policy simulation: own resources allowed, another environment's denied.
    let (orders_policy, _) = role_documents(&iam, &format!("{name}-wl-orders")).await;
    let orders_policy = vec![orders_policy.expect("orders has a policy")];
    let rds = &v["rds"];
    let secret = rds["master_user_secret_arn"].as_str().unwrap();
    let db = aws_sdk_rds::Client::new(&cfg)
        .describe_db_instances()
        .db_instance_identifier(format!("{name}-db"))
        .send()
        .await
        .unwrap();
    let db = &db.db_instances()[0];
    assert_eq!(db.iam_database_authentication_enabled(), Some(true));
    let resource_id = db.dbi_resource_id().unwrap();
    let own_user = format!("arn:aws:rds-db:us-east-1:123456789012:dbuser:{resource_id}/orders");
    assert!(allowed(&orders_policy, "rds-db:connect", &own_user));
    assert!(!allowed(
        &orders_policy,
        "rds-db:connect",
        &own_user.replace("/orders", "/admin")
    ));
    assert!(!allowed(
        &orders_policy,
        "rds-db:connect",
        "arn:aws:rds-db:us-east-1:123456789012:dbuser:db-OTHERENVIRONMENT0000000000/orders"
    ));
    assert!(allowed(
        &orders_policy,
        "secretsmanager:GetSecretValue",
        secret
    ));
    let cluster_arn = v["msk"]["arn"].as_str().unwrap();
    let topic = |t: &str| cluster_arn.replace(":cluster/", ":topic/") + "/" + t;
    assert!(allowed(
        &orders_policy,
        "kafka-cluster:ReadData",
        &topic("orders.created")
    ));
    assert!(allowed(
        &orders_policy,
        "kafka-cluster:WriteData",
        &topic("orders.created")
    ));
    assert!(!allowed(
        &orders_policy,
        "kafka-cluster:ReadData",
        &topic("payments.events")
    ));
    let other_topic =
        "arn:aws:kafka:us-east-1:123456789012:topic/other-kafka/uuid-9/orders.created";
    assert!(!allowed(
        &orders_policy,
        "kafka-cluster:ReadData",
        other_topic
    ));
    assert!(!allowed(
        &orders_policy,
        "kafka-cluster:CreateTopic",
        &topic("orders.created")
    ));
    let (reports_policy, _) = role_documents(&iam, &format!("{name}-wl-reports")).await;
    let reports_policy = vec![reports_policy.unwrap()];
    assert!(allowed(
        &reports_policy,
        "secretsmanager:GetSecretValue",
        secret
    ));
    assert!(!allowed(
        &reports_policy,
        "rds-db:connect",
        &own_user.replace("/orders", "/reports")
    ));
    assert!(!allowed(
        &reports_policy,
        "kafka-cluster:ReadData",
        &topic("orders.created")
    ));

    // The data services admit the cluster's group and the allowed CIDR, not the VPC.
    let cluster_sg = v["eks"]["cluster_security_group_id"]
        .as_str()
        .expect("the cluster group")
        .to_string();
    for service in ["rds", "msk"] {
        let id = v["network"]["security_group_ids"][service]
            .as_str()
            .unwrap();
        let mut want = vec!["10.99.0.0/24".to_string(), cluster_sg.clone()];
        want.sort();
        assert_eq!(admitted(&ec2, id).await, want, "{service}");
    }

    // A policy widened by hand is drift; apply restores the generated one.
    iam.put_role_policy()
        .role_name(format!("{name}-wl-orders"))
        .policy_name("mosia-workload")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kafka-cluster:*","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tf.plan_exit().code,
        2,
        "the widened policy shows in the plan"
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let (restored, _) = role_documents(&iam, &format!("{name}-wl-orders")).await;
    assert_eq!(vec![restored.unwrap()], orders_policy);
    assert_eq!(tf.plan_exit().code, 0);

    // A workload added, then removed: the others are untouched.
    let before = iam
        .get_role()
        .role_name(format!("{name}-wl-orders"))
        .send()
        .await
        .unwrap();
    tf.write("main.tf", &environment(name, THREE));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let (web_policy, _) = role_documents(&iam, &format!("{name}-wl-web")).await;
    assert!(allowed(
        &[web_policy.unwrap()],
        "s3:GetObject",
        "arn:aws:s3:::web-assets/index.html"
    ));
    tf.write("main.tf", &environment(name, TWO));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert!(
        iam.get_role()
            .role_name(format!("{name}-wl-web"))
            .send()
            .await
            .is_err(),
        "web's role is gone"
    );
    let after = iam
        .get_role()
        .role_name(format!("{name}-wl-orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        before.role().unwrap().role_id(),
        after.role().unwrap().role_id(),
        "orders' role was not recreated"
    );
    assert_eq!(tf.plan_exit().code, 0);

    // Import rebuilds the workloads: the next plan is empty.
    let adopter = workdir(&em);
    adopter.write("main.tf", &environment(name, TWO));
    adopter.ok(&["init", "-input=false"]);
    adopter.ok(&["import", "-input=false", ADDR, name]);
    let imported = adopter.state_json();
    assert_eq!(
        resource_values(&imported, ADDR).unwrap()["workload"],
        v["workload"]
    );
    assert_eq!(
        adopter.plan_exit().code,
        0,
        "{}",
        adopter.plan_exit().combined()
    );

    // Destroy: no workload role left, and EKS could delete its cluster group.
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    for w in ["orders", "reports"] {
        assert!(
            iam.get_role()
                .role_name(format!("{name}-wl-{w}"))
                .send()
                .await
                .is_err(),
            "{w}"
        );
    }
    let left = ec2
        .describe_security_groups()
        .filters(
            Filter::builder()
                .name("group-id")
                .values(&cluster_sg)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        left.security_groups().is_empty(),
        "the cluster group is deleted with the cluster"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn data_services_without_a_cluster_or_a_source_are_refused_at_plan() {
    let em = Emulator::start();
    let tf = workdir(&em);
    tf.write(
        "main.tf",
        &format!(
            r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "mosia-acc-nosrc"
  tier = "dev"
  network {{}}
  rds {{}}
  workload = {{ orders = {{ namespace = "shop", rds = "read_secret" }} }}
}}
"#
        ),
    );
    tf.ok(&["init", "-input=false"]);
    let out = tf.expect(&["plan", "-input=false"], 1);
    let text = out
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Nobody can reach the data services"),
        "{text}"
    );
    assert!(text.contains("Workload without a cluster"), "{text}");
}
