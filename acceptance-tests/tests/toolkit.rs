//! The HCL toolkit as shipped: `terraform fmt -check` over every module and environment,
//! and `init -backend=false` + `validate` for each, with Terraform 1.15.5 and the freshly
//! built provider.

use mosia_acceptance_tests::emulator::repo_root;
use mosia_acceptance_tests::terraform::{copy_tree, installed_core, Workdir};

#[test]
fn modules_and_environments_are_formatted_and_valid() {
    // No AWS call happens here; the endpoint is never contacted.
    let tf = Workdir::new(&installed_core("1.15.5"), "http://127.0.0.1:9");
    let root = repo_root();
    for dir in ["modules", "environments", "terraform"] {
        copy_tree(&root.join(dir), &tf.path().join(dir));
    }
    tf.ok(&["fmt", "-check", "-recursive"]);
    let dirs = [
        "terraform",
        "modules/environment",
        "modules/environment/examples/basic",
        "modules/environment-lookup",
        "modules/environment-lookup/examples/basic",
        "environments/dev",
        "environments/staging",
        "environments/production",
    ];
    for dir in dirs {
        let chdir = format!("-chdir={dir}");
        tf.ok(&[&chdir, "init", "-backend=false", "-input=false"]);
        tf.ok(&[&chdir, "validate"]);
    }
}

/// `environments/production` as shipped plans the guardrails' values, and the provider's
/// guardrails refuse a production database without Multi-AZ. Planning a create makes no AWS
/// call, so no endpoint is needed; the S3 backend is swapped for a local one with an
/// override file.
#[test]
fn production_plan_shows_and_enforces_the_guardrails() {
    let tf = Workdir::new(&installed_core("1.15.5"), "http://127.0.0.1:9");
    let root = repo_root();
    for dir in ["modules", "environments"] {
        copy_tree(&root.join(dir), &tf.path().join(dir));
    }
    tf.write(
        "environments/production/backend_override.tf",
        "terraform {\n  backend \"local\" {}\n}\n",
    );
    let chdir = "-chdir=environments/production";
    tf.ok(&[chdir, "init", "-input=false"]);
    let plan = tf.ok(&[chdir, "plan", "-input=false", "-no-color"]).stdout;
    for line in [
        "+ multi_az                 = true",
        "+ deletion_protection      = true",
        "+ backup_retention_days    = 14",
        "+ automatic_failover = true",
        "+ endpoint_public_access       = false",
    ] {
        assert!(
            plan.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains(&line.split_whitespace().collect::<Vec<_>>().join(" ")),
            "{line:?} in the production plan:\n{plan}"
        );
    }
    let refused = tf.run(&[
        chdir,
        "plan",
        "-input=false",
        "-no-color",
        "-var",
        "rds={ engine_version = \"16.4\", multi_az = false }",
    ]);
    assert_ne!(refused.code, 0);
    let text = refused.combined();
    assert!(
        text.contains("multi_az") && text.contains("production"),
        "the guardrail names the attribute and the tier:\n{text}"
    );
}
