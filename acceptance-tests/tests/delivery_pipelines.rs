//! The delivery pipelines a team copies from `pipelines/` and the steps they run
//! (`scripts/pipeline.sh`, `scripts/smoke-environment.py`, `scripts/plan-summary.py`):
//!
//! - the GitHub workflows, their local action and the GitLab CI file pass actionlint (with
//!   shellcheck on every `run:` script) and check-jsonschema's GitHub and GitLab schemas, and a
//!   broken copy of each is refused by the same checks;
//! - the helpers' unit tests pass;
//! - the pipeline's steps, run as the pipelines run them, against the emulator with Terraform
//!   1.15.5 and an S3 state: plan (summary with the cost before and after), apply of exactly
//!   that plan file, the integration smoke check (passes on a ready environment, names the part
//!   that is not ready, and the endpoints that do not resolve), and the drift check (clean after
//!   apply, exits 3 naming what changed outside Terraform).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use mosia_acceptance_tests::emulator::{repo_root, unique_name, Emulator};
use mosia_acceptance_tests::script_tests;
use mosia_acceptance_tests::terraform::{
    copy_tree, emulator_backend_settings, installed_core, run_bounded, Output, Workdir,
};

const STEP_TIMEOUT: Duration = Duration::from_secs(240);

/// `scripts/check-pipelines.sh DIR`.
fn check_pipelines(dir: &Path) -> Output {
    let scratch = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(repo_root().join("scripts/check-pipelines.sh"))
        .arg(dir);
    run_bounded(cmd, None, STEP_TIMEOUT, scratch.path())
}

#[test]
fn pipeline_files_pass_actionlint_and_the_schemas() {
    let out = check_pipelines(&repo_root().join("pipelines"));
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    for check in [
        "ok: actionlint",
        "ok: GitHub workflow schema (3 files)",
        "ok: GitHub action schema (1 files)",
        "ok: GitLab CI schema",
        "ok: shellcheck scripts/*.sh",
    ] {
        assert!(out.stdout.contains(check), "{check}:\n{}", out.stdout);
    }
}

/// Replaces `from` (which must be there) by `to` in the file.
fn break_file(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn broken_pipeline_files_are_refused() {
    let copy = tempfile::tempdir().unwrap();
    copy_tree(&repo_root().join("pipelines"), copy.path());
    let github = copy.path().join("github/.github");
    // A job needing one that does not exist; an input the local action does not have; a
    // workflow key GitHub does not know; a GitLab job with an unknown `when`.
    break_file(
        &github.join("workflows/mosia-deploy.yml"),
        "needs: dev\n",
        "needs: deev\n",
    );
    break_file(
        &github.join("workflows/mosia-drift.yml"),
        "role-to-assume:",
        "role-to-asume:",
    );
    break_file(
        &github.join("workflows/mosia-pull-request.yml"),
        "concurrency:",
        "concurency:",
    );
    break_file(
        &copy.path().join("gitlab/.gitlab-ci.yml"),
        "when: manual",
        "when: sometimes",
    );
    let out = check_pipelines(copy.path());
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let all = format!("{}\n{}", out.stdout, out.stderr);
    for needle in [
        "needs job \"deev\" which does not exist",
        "input \"role-to-asume\" is not defined in action \"Mosia setup\"",
        "FAILED: GitHub workflow schema",
        "FAILED: GitLab CI schema",
    ] {
        assert!(all.contains(needle), "{needle}:\n{all}");
    }
}

#[test]
fn pipeline_helpers_unit_tests_pass() {
    script_tests::assert_pass("test_pipeline*.py");
}

/// A copy of the toolkit (scripts, modules, environments) where `scripts/pipeline.sh` runs with
/// the emulator's S3 as state backend.
struct Pipeline {
    tf: Workdir,
    backend: std::path::PathBuf,
    endpoint: String,
    scratch: tempfile::TempDir,
}

impl Pipeline {
    async fn new(em: &Emulator, name: &str) -> Pipeline {
        let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
        tf.set_env("MOSIA_POLL_SCALE", "0.01");
        for dir in ["scripts", "modules", "environments"] {
            copy_tree(&repo_root().join(dir), &tf.path().join(dir));
        }
        std::fs::write(
            tf.path().join("environments/dev/test.auto.tfvars"),
            format!("name = \"{name}\"\n"),
        )
        .unwrap();
        let bucket = unique_name("mosia-pipeline-state");
        let config = em.sdk_config().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        let backend = tf.path().join("backend.hcl");
        std::fs::write(
            &backend,
            format!(
                "bucket = \"{bucket}\"\nregion = \"us-east-1\"\nuse_lockfile = true\n{}",
                emulator_backend_settings(em.endpoint())
            ),
        )
        .unwrap();
        Pipeline {
            tf,
            backend,
            endpoint: em.endpoint().to_string(),
            scratch: tempfile::tempdir().unwrap(),
        }
    }

    /// `scripts/pipeline.sh STEP dev`, with `extra` environment variables.
    fn step(&self, step: &str, extra: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new("bash");
        cmd.arg(self.tf.path().join("scripts/pipeline.sh"))
            .args([step, "dev"])
            .current_dir(self.tf.path())
            .envs(self.tf.envs())
            .env("TERRAFORM", &self.tf.core.path)
            .env("MOSIA_BACKEND_CONFIG", &self.backend)
            .env("TF_VAR_endpoint", &self.endpoint)
            .env("TF_VAR_region", "us-east-1")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env_remove("MOSIA_MIRROR_URL")
            .envs(extra.iter().copied());
        run_bounded(cmd, None, STEP_TIMEOUT, self.scratch.path())
    }

    fn ok(&self, step: &str, extra: &[(&str, &str)]) -> Output {
        let out = self.step(step, extra);
        assert_eq!(out.code, 0, "{step}:\n{}\n{}", out.stdout, out.stderr);
        out
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.tf.path().join(".pipeline").join(name)).unwrap()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pipeline_steps_deploy_dev_check_it_and_report_drift() {
    let em = Emulator::start();
    let name = unique_name("mosia-pipe");
    let p = Pipeline::new(&em, &name).await;

    p.ok("init", &[]);
    let plan = p.ok("plan", &[]);
    let summary = p.file("dev.md");
    assert!(summary.starts_with("<!-- mosia-plan:dev -->"), "{summary}");
    assert!(
        summary.contains(" to add, 0 to change, 0 to destroy."),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("- `{name}`: $0.00 → $")),
        "the cost goes from nothing to the estimate:\n{summary}"
    );
    assert!(plan.stdout.contains(&summary), "the summary is printed too");
    p.ok("apply", &[]);
    assert_eq!(p.ok("drift", &[]).code, 0, "no drift right after the apply");

    let ready = p.ok("smoke", &[("MOSIA_SMOKE_ARGS", "--no-resolve")]);
    assert!(
        ready
            .stdout
            .contains(&format!("smoke: {name}: ok; parts: "))
            && ready.stdout.contains("rds=ready"),
        "{}",
        ready.stdout
    );
    // The emulator's host names are not in DNS: with lookups on, each one is named.
    let unresolved = p.step("smoke", &[]);
    assert_eq!(unresolved.code, 1, "{}", unresolved.stderr);
    assert!(
        unresolved.stderr.contains("rds: rds_endpoint host `")
            && unresolved.stderr.contains("does not resolve"),
        "{}",
        unresolved.stderr
    );

    // Changed by hand: the nightly check fails and says what differs.
    let rds = aws_sdk_rds::Client::new(&em.sdk_config().await);
    let db = format!("{name}-db");
    let class = rds
        .describe_db_instances()
        .db_instance_identifier(&db)
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .db_instance_class()
        .unwrap()
        .to_string();
    let other = if class == "db.t4g.small" {
        "db.t4g.medium"
    } else {
        "db.t4g.small"
    };
    rds.modify_db_instance()
        .db_instance_identifier(&db)
        .db_instance_class(other)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    let drift = p.step("drift", &[]);
    assert_eq!(drift.code, 3, "{}\n{}", drift.stdout, drift.stderr);
    assert!(
        drift.stderr.contains("pipeline: dev: DRIFT"),
        "{}",
        drift.stderr
    );
    let report = p.file("dev.drift.md");
    assert!(
        report.contains("Changed outside Terraform since the last apply")
            && report.contains("`module.environment.mosia_environment.this`: ")
            && report.contains("`rds`"),
        "{report}"
    );

    // A stopped database fails the integration check, naming it.
    rds.stop_db_instance()
        .db_instance_identifier(&db)
        .send()
        .await
        .unwrap();
    let stopped = p.step("smoke", &[("MOSIA_SMOKE_ARGS", "--no-resolve")]);
    assert_eq!(stopped.code, 1, "{}\n{}", stopped.stdout, stopped.stderr);
    assert!(
        stopped
            .stderr
            .contains("rds: status is `stopped`, expected `ready`"),
        "{}",
        stopped.stderr
    );
}

#[test]
fn apply_without_a_saved_plan_and_a_missing_backend_are_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new("bash");
        cmd.arg(repo_root().join("scripts/pipeline.sh"))
            .args(args)
            .env_remove("MOSIA_BACKEND_CONFIG")
            .env_remove("MOSIA_STATE_BUCKET")
            .env_remove("TF_CLI_CONFIG_FILE")
            .env("MOSIA_PIPELINE_DIR", scratch.path())
            .envs(env.iter().copied());
        run_bounded(cmd, None, STEP_TIMEOUT, scratch.path())
    };
    let out = run(&["apply", "qa"], &[]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("usage: scripts/pipeline.sh"),
        "{}",
        out.stderr
    );
    let out = run(&["init", "staging"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("no state backend: set MOSIA_STATE_BUCKET"),
        "{}",
        out.stderr
    );
    let out = run(&["apply", "production"], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("no saved plan at")
            && out.stderr.contains("pipeline.sh plan production"),
        "{}",
        out.stderr
    );
    let out = run(
        &["cli-config"],
        &[("MOSIA_MIRROR_URL", "https://mirror.example.com/providers")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let config = std::fs::read_to_string(out.stdout.trim()).unwrap();
    assert!(
        config.contains("url     = \"https://mirror.example.com/providers/\"")
            && config.contains("include = [\"registry.terraform.io/mosia/mosia\"]"),
        "{config}"
    );
}
