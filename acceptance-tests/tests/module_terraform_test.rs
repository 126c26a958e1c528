//! `terraform test` for the modules, with Terraform 1.15.5: each module's `tests/*.tftest.hcl`
//! (plan-only runs with a mocked provider for the validations and outputs, and for
//! `modules/environment` one apply against the emulator) pass; every validation block of
//! `modules/environment` has its run; and a validation that stops refusing is caught.

use std::path::Path;

use mosia_acceptance_tests::emulator::{repo_root, Emulator};
use mosia_acceptance_tests::terraform::{copy_tree, installed_core, Workdir};

/// The module `name` copied into a fresh working directory, initialised.
fn module_workdir(em: &Emulator, name: &str) -> Workdir {
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    copy_tree(&repo_root().join("modules").join(name), &tf.path());
    tf.ok(&["init", "-input=false"]);
    tf
}

/// The number of `run` blocks in the module's test files.
fn runs_in(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("tests"))
        .expect("the module has tests/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tftest.hcl"))
        .map(|p| count_runs(&std::fs::read_to_string(p).unwrap()))
        .sum()
}

fn count_runs(hcl: &str) -> usize {
    hcl.lines().filter(|l| l.starts_with("run \"")).count()
}

#[test]
fn every_validation_block_of_the_environment_module_has_its_run() {
    let module = repo_root().join("modules/environment");
    let variables = std::fs::read_to_string(module.join("variables.tf")).unwrap();
    let tests = std::fs::read_to_string(module.join("tests/validations.tftest.hcl")).unwrap();
    let blocks = variables.matches("validation {").count();
    assert!(blocks > 40, "{blocks} validation blocks");
    assert_eq!(count_runs(&tests), blocks, "one run per validation block");
    assert_eq!(
        tests.matches("expect_failures").count(),
        blocks,
        "each run expects its variable to be refused"
    );
}

#[test]
fn module_tests_pass_with_terraform_1_15() {
    let em = Emulator::start();
    for module in ["environment", "environment-lookup"] {
        let tf = module_workdir(&em, module);
        let out = tf.run(&["test"]);
        let runs = runs_in(&tf.path());
        assert_eq!(out.code, 0, "{module}: {}", out.combined());
        assert!(
            out.stdout
                .contains(&format!("Success! {runs} passed, 0 failed.")),
            "{module}: expected {runs} runs to pass:\n{}",
            out.stdout
        );
    }
}

#[test]
fn a_validation_that_stops_refusing_fails_the_module_tests() {
    let em = Emulator::start();
    let tf = module_workdir(&em, "environment");
    let variables = tf.path().join("variables.tf");
    let text = std::fs::read_to_string(&variables).unwrap();
    let rule = r#"contains(["dev", "staging", "production"], var.tier)"#;
    assert!(text.contains(rule), "the tier validation is where it was");
    // Weakened: it lets the tier the test passes (`qa`) through.
    let weaker = r#"contains(["dev", "staging", "production", "qa"], var.tier)"#;
    std::fs::write(&variables, text.replace(rule, weaker)).unwrap();
    let out = tf.run(&["test", "-filter=tests/validations.tftest.hcl"]);
    assert_eq!(out.code, 1, "{}", out.combined());
    assert!(
        out.stdout.contains(r#"run "tier_is_one_of_three"... fail"#),
        "{}",
        out.combined()
    );
}
