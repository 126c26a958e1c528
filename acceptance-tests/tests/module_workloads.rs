//! `modules/environment` with workloads, through Terraform 1.15.5 against the emulator: the
//! module passes any workload name through (a map attribute, valid at `terraform validate`
//! while every variable is unknown), and its `workload_manifests` output is Kubernetes YAML
//! a team applies as it is: a ServiceAccount (annotated with the role for IRSA only) and a
//! ConfigMap of the connection settings, with no secret value in it.

use std::process::Command;

use mosia_acceptance_tests::emulator::{repo_root, Emulator};
use mosia_acceptance_tests::terraform::{copy_tree, installed_core, Workdir, MOSIA_US_EAST_1};

/// Every YAML document of `text`, as JSON, parsed by PyYAML (in the tools venv, with moto).
fn parse_yaml_documents(text: &str) -> Vec<serde_json::Value> {
    let python = repo_root().join(".tools/venv/bin/python");
    let script = "import json, sys, yaml\nprint(json.dumps(list(yaml.safe_load_all(sys.argv[1]))))";
    let out = Command::new(python)
        .args(["-c", script, text])
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "not valid YAML: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from python")
}

fn module_config(name: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
module "environment" {{
  source = "./modules/environment"

  name = "{name}"
  tier = "dev"

  network = {{}}
  eks     = {{ node_groups = {{ general = {{}} }} }}
  rds     = {{ engine_version = "16.4", database_name = "shop" }}
  msk     = {{ kafka_version = "3.6.0" }}

  workloads = {{
    orders = {{
      namespace = "shop"
      rds       = "read_write"
      msk       = {{ topics = ["orders.*"], groups = ["orders-*"] }}
    }}
    reports = {{ namespace = "shop", identity = "irsa", rds = "read_secret" }}
  }}
}}

output "workloads" {{ value = module.environment.workloads }}
output "workload_manifests" {{ value = module.environment.workload_manifests }}
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn module_workloads_get_roles_connection_settings_and_ready_manifests() {
    let em = Emulator::start();
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    copy_tree(&repo_root().join("modules"), &tf.path().join("modules"));
    let name = "mosia-acc-wlmod";
    tf.write("main.tf", &module_config(name));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["validate"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");

    let out = tf.ok(&["output", "-json"]);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let workloads = &out["workloads"]["value"];
    let orders = &workloads["orders"];
    assert_eq!(orders["role_name"], format!("{name}-wl-orders"));
    assert!(orders["role_arn"]
        .as_str()
        .unwrap()
        .ends_with(&format!(":role/{name}-wl-orders")));
    let conn = &orders["connection"];
    for key in [
        "AWS_REGION",
        "PGHOST",
        "PGPORT",
        "PGDATABASE",
        "DB_SECRET_ARN",
        "KAFKA_BOOTSTRAP_SERVERS",
    ] {
        assert!(
            conn[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} in {conn}"
        );
    }
    assert_eq!(conn["PGDATABASE"], "shop");
    assert_eq!(conn["KAFKA_SASL_MECHANISM"], "AWS_MSK_IAM");
    // `reports` reaches no Kafka: no Kafka settings.
    assert!(workloads["reports"]["connection"]["KAFKA_BOOTSTRAP_SERVERS"].is_null());

    let manifests = &out["workload_manifests"]["value"];
    let orders_docs = parse_yaml_documents(manifests["orders"].as_str().unwrap());
    assert_eq!(orders_docs.len(), 2, "{orders_docs:?}");
    let (sa, cm) = (&orders_docs[0], &orders_docs[1]);
    assert_eq!(sa["kind"], "ServiceAccount");
    assert_eq!(sa["metadata"]["name"], "orders");
    assert_eq!(sa["metadata"]["namespace"], "shop");
    // Pod Identity needs no annotation; IRSA needs the role on the service account.
    assert!(sa["metadata"]["annotations"]
        .get("eks.amazonaws.com/role-arn")
        .is_none());
    assert_eq!(cm["kind"], "ConfigMap");
    assert_eq!(cm["metadata"]["name"], "orders-connection");
    assert_eq!(
        &cm["data"], conn,
        "the ConfigMap holds the connection settings"
    );
    let reports_docs = parse_yaml_documents(manifests["reports"].as_str().unwrap());
    assert_eq!(
        reports_docs[0]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        workloads["reports"]["role_arn"]
    );

    // No secret value anywhere in the outputs: the master password stays in Secrets Manager.
    let secret_arn = conn["DB_SECRET_ARN"].as_str().unwrap();
    let cfg = em.sdk_config().await;
    let secret = aws_sdk_secretsmanager::Client::new(&cfg)
        .get_secret_value()
        .secret_id(secret_arn)
        .send()
        .await
        .expect("the master user's secret");
    let value: serde_json::Value = serde_json::from_str(secret.secret_string().unwrap()).unwrap();
    let password = value["password"].as_str().unwrap();
    assert!(
        !out.to_string().contains(password),
        "a password in the outputs"
    );
    assert!(
        !tf.state_json().to_string().contains(password),
        "a password in the state"
    );

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
}
