//! `mosia_state_backend` through real Terraform cores against the AWS endpoint:
//! init, validate, schema, plan, apply, an empty second plan, in-place update, drift,
//! import (command and `import {}` block), and destroy (refused while state remains).
//!
//! Both locking modes: a DynamoDB lock table (what Terraform 1.0 to 1.9 users need), and
//! S3 lock files (no lock table; what `make test-localstack` runs, since LocalStack's
//! DynamoDB does not run on these machines).

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, path_core, resource_values, Core, Workdir,
};

const ADDR: &str = "mosia_state_backend.state";

/// How Terraform's S3 backend locks: the resource's `lock_table`, or S3 lock files.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lock {
    Table,
    Files,
}

fn config(bucket: &str, table: Option<&str>, extra: &str, endpoint_line: &str) -> String {
    let lock_line = table
        .map(|t| format!("lock_table = \"{t}\""))
        .unwrap_or_default();
    format!(
        r#"terraform {{
  required_providers {{
    mosia = {{
      source  = "mosia/mosia"
      version = "0.1.0"
    }}
  }}
}}

provider "mosia" {{
  region = "us-east-1"
  {endpoint_line}
  default_tags {{
    tags = {{ team = "platform" }}
  }}
}}

resource "mosia_state_backend" "state" {{
  bucket     = "{bucket}"
  {lock_line}
  tags       = {{ env = "test" }}
  {extra}
}}

output "backend_hcl" {{
  value = mosia_state_backend.state.backend_hcl
}}
"#
    )
}

async fn s3(em: &Emulator) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(&em.sdk_config().await)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

async fn dynamodb(em: &Emulator) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&em.sdk_config().await)
}

/// The whole lifecycle on one core. Bucket names carry the core version and the lock mode
/// so that tests can share an external endpoint.
async fn full_lifecycle(core: Core, explicit_endpoint: bool, lock: Lock) {
    let em = Emulator::start();
    let tag = core.version.replace('.', "-");
    let (bucket, table) = match lock {
        Lock::Table => (
            format!("mosia-acc-state-{tag}"),
            Some(format!("mosia-acc-locks-{tag}")),
        ),
        Lock::Files => (format!("mosia-acc-lockfile-state-{tag}"), None),
    };
    let endpoint_line = if explicit_endpoint {
        format!("endpoint = \"{}\"", em.endpoint())
    } else {
        String::new()
    };
    let tf = Workdir::new(&core, em.endpoint());
    let write = |extra: &str| {
        tf.write(
            "main.tf",
            &config(&bucket, table.as_deref(), extra, &endpoint_line),
        )
    };
    write("");

    tf.ok(&["init", "-input=false"]);
    tf.ok(&["validate"]);
    let schema: serde_json::Value =
        serde_json::from_str(&tf.ok(&["providers", "schema", "-json"]).stdout).unwrap();
    let res = &schema["provider_schemas"]["registry.terraform.io/mosia/mosia"]["resource_schemas"]
        ["mosia_state_backend"];
    assert!(res["block"]["attributes"]["bucket"]["required"]
        .as_bool()
        .unwrap());
    assert!(
        res["block"]["attributes"]["backend_hcl"]["description"]
            .as_str()
            .unwrap()
            .len()
            > 10
    );

    let plan = tf.plan_exit();
    assert_eq!(plan.code, 2, "first plan creates:\n{}", plan.stdout);
    assert!(plan.stdout.contains("1 to add"), "{}", plan.stdout);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);

    // What AWS now holds.
    let s3 = s3(&em).await;
    let v = s3
        .get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(v.status().map(|s| s.as_str()), Some("Enabled"));
    let pab = s3
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        pab.public_access_block_configuration()
            .unwrap()
            .block_public_policy(),
        Some(true)
    );
    let policy = s3.get_bucket_policy().bucket(&bucket).send().await.unwrap();
    assert!(policy.policy().unwrap().contains("aws:SecureTransport"));
    let db = match &table {
        Some(table) => {
            let db = dynamodb(&em).await;
            let t = db.describe_table().table_name(table).send().await.unwrap();
            assert_eq!(
                t.table().unwrap().key_schema()[0].attribute_name(),
                "LockID"
            );
            Some(db)
        }
        None => None,
    };

    let state = tf.state_json();
    let vals = resource_values(&state, ADDR).expect("resource in state");
    assert_eq!(vals["tags_all"]["team"], "platform", "default_tags merged");
    let backend_hcl = vals["backend_hcl"].as_str().unwrap();
    match &table {
        Some(table) => {
            assert!(
                backend_hcl.contains(&format!("dynamodb_table = \"{table}\"")),
                "{backend_hcl}"
            );
            assert!(vals["lock_table_arn"].as_str().unwrap().contains(table));
        }
        None => {
            assert!(
                backend_hcl.contains("use_lockfile = true") && !backend_hcl.contains("dynamodb"),
                "{backend_hcl}"
            );
            assert!(vals["lock_table_arn"].is_null(), "{vals}");
        }
    }

    let second = tf.plan_exit();
    assert_eq!(
        second.code, 0,
        "second plan must be empty:\n{}",
        second.stdout
    );

    // In-place update: tags and retention change without replacement.
    write("noncurrent_version_expiration_days = 30");
    let upd = tf.plan_exit();
    assert_eq!(upd.code, 2);
    assert!(
        upd.stdout.contains("1 to change") && upd.stdout.contains("0 to destroy"),
        "{}",
        upd.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let lc = s3
        .get_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        lc.rules()[0]
            .noncurrent_version_expiration()
            .unwrap()
            .noncurrent_days(),
        Some(30)
    );
    assert_eq!(tf.plan_exit().code, 0);

    // Drift: versioning suspended out of band shows in the plan and apply restores it.
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let drift = tf.plan_exit();
    assert_eq!(drift.code, 2, "drift must show:\n{}", drift.stdout);
    assert!(
        drift.stdout.contains("versioning_enabled") && drift.stdout.contains("false -> true"),
        "{}",
        drift.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let v = s3
        .get_bucket_versioning()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert_eq!(
        v.status().map(|s| s.as_str()),
        Some("Enabled"),
        "apply restored versioning"
    );

    // Import with the command: forget the resource, import it by bucket name, no changes.
    tf.ok(&["state", "rm", ADDR]);
    tf.ok(&["import", "-input=false", ADDR, &bucket]);
    // Terraform 1.0 still reports the output (not yet in state) as a change: only
    // resource changes count here.
    let after_import = tf.plan_exit();
    assert!(
        !after_import.stdout.contains("Plan:"),
        "imported state matches config:\n{}",
        after_import.stdout
    );

    // Import with an `import {}` block, on cores that have them.
    if core.has_import_blocks() {
        tf.ok(&["state", "rm", ADDR]);
        tf.write(
            "import.tf",
            &format!("import {{\n  to = {ADDR}\n  id = \"{bucket}\"\n}}\n"),
        );
        let out = tf.ok(&["apply", "-auto-approve", "-input=false"]);
        assert!(out.stdout.contains("1 imported"), "{}", out.stdout);
        tf.remove("import.tf");
        assert_eq!(tf.plan_exit().code, 0);
    }

    // Destroy refuses while the bucket holds state.
    s3.put_object()
        .bucket(&bucket)
        .key("env/terraform.tfstate")
        .body(b"{}".to_vec().into())
        .send()
        .await
        .unwrap();
    let refused = tf.run(&["destroy", "-auto-approve", "-input=false"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.combined().contains("not empty") && refused.combined().contains("force_destroy"),
        "{}",
        refused.combined()
    );
    assert!(
        s3.head_bucket().bucket(&bucket).send().await.is_ok(),
        "bucket kept"
    );

    write("force_destroy = true");
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    assert!(
        s3.head_bucket().bucket(&bucket).send().await.is_err(),
        "bucket deleted"
    );
    if let (Some(db), Some(table)) = (&db, &table) {
        assert!(
            db.describe_table().table_name(table).send().await.is_err(),
            "lock table deleted"
        );
    }
}

// A lock table on the project's cores (Terraform 1.0 knows no S3 lock files: a lock table
// is what its users need); S3 lock files on all three cores.

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_with_a_lock_table_on_terraform_1_15() {
    full_lifecycle(installed_core("1.15.5"), true, Lock::Table).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_with_a_lock_table_on_terraform_1_0() {
    full_lifecycle(installed_core("1.0.3"), false, Lock::Table).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_with_lock_files_on_terraform_1_15() {
    full_lifecycle(installed_core("1.15.5"), true, Lock::Files).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_with_lock_files_on_terraform_1_0() {
    full_lifecycle(installed_core("1.0.3"), false, Lock::Files).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lifecycle_with_lock_files_on_terraform_from_path() {
    match path_core() {
        Some(core) if core.version != "1.15.5" && core.version != "1.0.3" => {
            full_lifecycle(core, false, Lock::Files).await
        }
        Some(core) => eprintln!(
            "SKIP: terraform on PATH is {}, already covered",
            core.version
        ),
        None => eprintln!("SKIP: no terraform on PATH"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_configuration_is_diagnosed_before_anything_is_created() {
    let em = Emulator::start();
    let tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.write(
        "main.tf",
        r#"terraform {
  required_providers {
    mosia = { source = "mosia/mosia" }
  }
}
provider "mosia" { region = "us-east-1" }
resource "mosia_state_backend" "bad" {
  bucket                              = "Not_A_Bucket"
  noncurrent_version_expiration_days = 0
  tags                                = { "mosia:owner" = "me" }
}
"#,
    );
    tf.ok(&["init", "-input=false"]);
    let out = tf.run(&["validate"]);
    assert_ne!(out.code, 0);
    let text = out.combined();
    assert!(
        text.contains("Invalid value for bucket") && text.contains("lowercase"),
        "{text}"
    );
    assert!(
        text.contains("noncurrent_version_expiration_days") && text.contains("1 to 3650"),
        "{text}"
    );
    assert!(text.contains("Reserved tag key"), "{text}");
    assert!(
        text.contains("line 8") || text.contains("main.tf line"),
        "diagnostic points at the attribute: {text}"
    );
}
