//! Provider configuration through Terraform: an assumed role (STS AssumeRole through the
//! endpoint), per-service endpoint overrides, and a clear error for a missing region.

use mosia_acceptance_tests::emulator::{unique_name, Emulator};
use mosia_acceptance_tests::terraform::{installed_core, resource_values, Workdir};

fn header() -> &'static str {
    "terraform {\n  required_providers {\n    mosia = { source = \"mosia/mosia\" }\n  }\n}\n"
}

#[tokio::test(flavor = "multi_thread")]
async fn assume_role_and_per_service_endpoints() {
    let em = Emulator::start();
    // The role exists and trusts this account with the external ID, as it must on AWS
    // (neither moto nor LocalStack checks that a role exists, nor its trust policy).
    let iam = aws_sdk_iam::Client::new(&em.sdk_config().await);
    let role_name = unique_name("mosia-deployer");
    let trust = |principal: &str| {
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": { "AWS": principal },
                "Action": "sts:AssumeRole",
                "Condition": { "StringEquals": { "sts:ExternalId": "ext-42" } },
            }],
        })
        .to_string()
    };
    let role = iam
        .create_role()
        .role_name(&role_name)
        .assume_role_policy_document(trust("*"))
        .send()
        .await
        .unwrap();
    let role_arn = role.role().unwrap().arn().to_string();
    // Only this account (the endpoint's: moto says 123456789012, LocalStack 000000000000).
    let account = role_arn.split(':').nth(4).unwrap().to_string();
    iam.update_assume_role_policy()
        .role_name(&role_name)
        .policy_document(trust(&format!("arn:aws:iam::{account}:root")))
        .send()
        .await
        .unwrap();

    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    // No global endpoint at all: every service the resource uses comes from `endpoints`,
    // and STS (for the role) too.
    tf.set_env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let ep = em.endpoint();
    tf.write(
        "main.tf",
        &format!(
            r#"{header}
provider "mosia" {{
  region      = "us-east-1"
  max_retries = 2
  endpoints {{
    s3       = "{ep}"
    dynamodb = "{ep}"
    sts      = "{ep}"
  }}
  assume_role {{
    role_arn     = "{role_arn}"
    session_name = "acceptance"
    external_id  = "ext-42"
  }}
}}

resource "mosia_state_backend" "s" {{
  bucket        = "mosia-acc-assumed-role"
  force_destroy = true
}}
"#,
            header = header()
        ),
    );
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let state = tf.state_json();
    let v = resource_values(&state, "mosia_state_backend.s").unwrap();
    assert_eq!(
        v["backend_config"]["use_lockfile"], "true",
        "no lock table: S3 lock files"
    );
    assert_eq!(tf.plan_exit().code, 0);
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    if let Some(em) = em.control_api("call counts") {
        assert!(
            em.call_count("sts", "AssumeRole") >= 1,
            "the role was assumed: {}",
            em.call_counts()
        );
    }
    iam.delete_role()
        .role_name(&role_name)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_region_is_a_clear_error() {
    let em = Emulator::start();
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("AWS_REGION", "");
    tf.set_env("AWS_CONFIG_FILE", "/dev/null");
    tf.write(
        "main.tf",
        &format!("{}\nprovider \"mosia\" {{}}\nresource \"mosia_state_backend\" \"s\" {{\n  bucket = \"mosia-acc-no-region\"\n}}\n", header()),
    );
    tf.ok(&["init", "-input=false"]);
    let out = tf.run(&["plan", "-input=false"]);
    assert_ne!(out.code, 0);
    assert!(
        out.combined().contains("no AWS region") && out.combined().contains("region"),
        "{}",
        out.combined()
    );
}
