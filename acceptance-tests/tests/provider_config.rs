//! Provider configuration through Terraform: an assumed role (STS AssumeRole through the
//! endpoint), per-service endpoint overrides, and a clear error for a missing region.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{installed_core, resource_values, Workdir};

fn header() -> &'static str {
    "terraform {\n  required_providers {\n    mosia = { source = \"mosia/mosia\" }\n  }\n}\n"
}

#[tokio::test(flavor = "multi_thread")]
async fn assume_role_and_per_service_endpoints() {
    let em = Emulator::start();
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
    role_arn     = "arn:aws:iam::123456789012:role/mosia-deployer"
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
    if em.is_embedded() {
        assert!(
            em.call_count("sts", "AssumeRole") >= 1,
            "the role was assumed: {}",
            em.call_counts()
        );
    }
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
