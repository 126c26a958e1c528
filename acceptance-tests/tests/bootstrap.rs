//! The state-backend bootstrap (`terraform/`) through Terraform 1.15.5: it creates the
//! bucket, its `backend_hcl` output configures a real `backend "s3"` (state written to the
//! bucket, S3 lock files honoured), and the bootstrap's own state migrates into the bucket.

use std::path::Path;

use mosia_acceptance_tests::emulator::{repo_root, Emulator};
use mosia_acceptance_tests::terraform::{emulator_backend_settings, installed_core, Workdir};

const BUCKET: &str = "mosia-acc-bootstrap-state";

fn copy_module(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "tf") {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bootstrap_creates_a_backend_that_terraform_uses_and_locks() {
    let em = Emulator::start();
    let core = installed_core("1.15.5");

    // 1. The bootstrap module as shipped.
    let boot = Workdir::new(&core, em.endpoint());
    copy_module(&repo_root().join("terraform"), &boot.path());
    boot.ok(&["fmt", "-check", "-recursive"]);
    boot.ok(&["init", "-input=false"]);
    boot.ok(&["validate"]);
    let var_bucket = format!("bucket={BUCKET}");
    let var_endpoint = format!("endpoint={}", em.endpoint());
    let vars = [
        "-var",
        var_bucket.as_str(),
        "-var",
        var_endpoint.as_str(),
        "-var",
        "region=us-east-1",
        "-var",
        "force_destroy=true",
    ];
    let mut apply = vec!["apply", "-auto-approve", "-input=false"];
    apply.extend(vars);
    boot.ok(&apply);
    let backend_hcl = boot.ok(&["output", "-raw", "backend_hcl"]).stdout;
    assert!(
        backend_hcl.contains(&format!("bucket = \"{BUCKET}\""))
            && backend_hcl.contains("use_lockfile = true"),
        "{backend_hcl}"
    );

    // 2. An environment-like root module whose state lives in that bucket.
    let env = Workdir::new(&core, em.endpoint());
    std::fs::write(
        env.path().join("backend.hcl"),
        format!("{backend_hcl}{}", emulator_backend_settings(em.endpoint())),
    )
    .unwrap();
    env.write(
        "main.tf",
        "terraform {\n  backend \"s3\" {}\n  required_providers {\n    mosia = { source = \"mosia/mosia\" }\n  }\n}\n\
         provider \"mosia\" {\n  region = \"us-east-1\"\n}\n\
         resource \"mosia_state_backend\" \"app\" {\n  bucket        = \"mosia-acc-bootstrap-app\"\n  force_destroy = true\n}\n",
    );
    env.ok(&[
        "init",
        "-input=false",
        "-backend-config=backend.hcl",
        "-backend-config=key=dev/terraform.tfstate",
    ]);
    env.ok(&["apply", "-auto-approve", "-input=false"]);

    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&em.sdk_config().await)
            .force_path_style(true)
            .build(),
    );
    let obj = s3
        .get_object()
        .bucket(BUCKET)
        .key("dev/terraform.tfstate")
        .send()
        .await
        .expect("state in the bucket");
    let body = obj.body.collect().await.unwrap().into_bytes();
    assert!(
        String::from_utf8_lossy(&body).contains("mosia_state_backend"),
        "remote state holds the resource"
    );
    assert_eq!(
        env.plan_exit().code,
        0,
        "remote state round-trips: no changes"
    );

    // 3. A held lock (another apply in progress) stops a second run.
    s3.put_object()
        .bucket(BUCKET)
        .key("dev/terraform.tfstate.tflock")
        .body(br#"{"ID":"11111111-2222-3333-4444-555555555555","Operation":"OperationTypeApply","Who":"someone@elsewhere","Version":"1.15.5","Created":"2026-11-24T00:00:00Z","Path":"mosia-acc-bootstrap-state/dev/terraform.tfstate"}"#.to_vec().into())
        .send()
        .await
        .unwrap();
    let locked = env.run(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(locked.code, 0);
    assert!(
        locked.combined().contains("Error acquiring the state lock"),
        "{}",
        locked.combined()
    );
    s3.delete_object()
        .bucket(BUCKET)
        .key("dev/terraform.tfstate.tflock")
        .send()
        .await
        .unwrap();
    env.ok(&["destroy", "-auto-approve", "-input=false"]);

    // 4. The bootstrap's own state moves into the bucket, as its README describes.
    std::fs::write(
        boot.path().join("backend.tf"),
        "terraform {\n  backend \"s3\" {}\n}\n",
    )
    .unwrap();
    std::fs::write(
        boot.path().join("backend.hcl"),
        format!("{backend_hcl}{}", emulator_backend_settings(em.endpoint())),
    )
    .unwrap();
    boot.ok(&[
        "init",
        "-input=false",
        "-migrate-state",
        "-force-copy",
        "-backend-config=backend.hcl",
        "-backend-config=key=bootstrap/terraform.tfstate",
    ]);
    s3.head_object()
        .bucket(BUCKET)
        .key("bootstrap/terraform.tfstate")
        .send()
        .await
        .expect("bootstrap state migrated");
    let mut plan = vec!["plan", "-detailed-exitcode", "-input=false"];
    plan.extend(vars);
    let out = boot.run(&plan);
    assert_eq!(
        out.code,
        0,
        "migrated bootstrap state matches:\n{}",
        out.combined()
    );
}
