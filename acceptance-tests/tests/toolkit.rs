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
