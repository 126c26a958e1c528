//! The toolkit's root modules end to end with Terraform 1.15.5 against the emulator, as a
//! user runs them: the state backend bootstrapped from `terraform/` (local state), then
//! `environments/dev` and `environments/staging` initialised with the `backend "s3"` the
//! bootstrap's `backend_hcl` describes (one key per environment, S3 lock files) and applied.
//!
//! - both apply and re-plan with no changes; applying dev leaves staging's state object alone;
//!   destroying both leaves no AWS object tagged `mosia:environment=<name>`;
//! - two concurrent applies on one environment: the second is refused by the lock, the first
//!   completes, and the state is intact;
//! - `scripts/env.sh` (`make plan|apply|destroy ENV=...`, the real-AWS targets) refuses an
//!   unknown environment and a missing backend configuration, and drives plan (with the cost
//!   warning), a declined apply, a confirmed apply and destroy (here pointed at the emulator).
//!
//! Each test copies `terraform/`, `modules/` and `environments/` into its own working
//! directory (the environments' `../../modules/environment` source still resolves), so the
//! repository is never written to.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use mosia_acceptance_tests::emulator::{repo_root, unique_name, Emulator};
use mosia_acceptance_tests::owned::{has_kind, owned_objects};
use mosia_acceptance_tests::terraform::{
    copy_tree, emulator_backend_settings, installed_core, provider_binary, run_bounded, Core,
    Output, Workdir,
};

/// The environment resource inside the root modules.
const ADDR: &str = "module.environment.mosia_environment.this";
/// Bound on every Terraform command (a whole staging apply fits easily).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(150);

/// The environment's attribute values in `terraform show -json` (inside the module call).
fn env_values(state: &serde_json::Value) -> Option<&serde_json::Value> {
    state["values"]["root_module"]["child_modules"]
        .as_array()?
        .iter()
        .flat_map(|m| m["resources"].as_array().into_iter().flatten())
        .find(|r| r["address"] == ADDR)
        .map(|r| &r["values"])
}

/// A working directory holding copies of `terraform/`, `modules/` and `environments/`.
struct Toolkit {
    tf: Workdir,
    endpoint: String,
}

impl Toolkit {
    fn new(core: &Core, em: &Emulator) -> Toolkit {
        let mut tf = Workdir::new(core, em.endpoint());
        // The emulator's lifecycles are short: poll them quickly.
        tf.set_env("MOSIA_POLL_SCALE", "0.01");
        tf.timeout = COMMAND_TIMEOUT;
        let root = repo_root();
        for dir in ["terraform", "modules", "environments"] {
            copy_tree(&root.join(dir), &tf.path().join(dir));
        }
        Toolkit {
            tf,
            endpoint: em.endpoint().to_string(),
        }
    }

    /// Runs `terraform ARGS` (owned strings).
    fn run(&self, args: &[String]) -> Output {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.tf.run(&args)
    }

    fn ok(&self, args: &[String]) -> Output {
        let out = self.run(args);
        assert_eq!(
            out.code, 0,
            "terraform {args:?} exited {}\n--- stdout\n{}\n--- stderr\n{}",
            out.code, out.stdout, out.stderr
        );
        out
    }

    /// The bootstrap (`terraform/`, local state) creates `bucket`; its `backend_hcl` output
    /// plus the emulator's endpoint settings go to `backend.hcl` (returned, with its path).
    fn bootstrap(&self, bucket: &str) -> (String, PathBuf) {
        let chdir = "-chdir=terraform".to_string();
        self.ok(&[chdir.clone(), "init".into(), "-input=false".into()]);
        self.ok(&[
            chdir.clone(),
            "apply".into(),
            "-auto-approve".into(),
            "-input=false".into(),
            format!("-var=bucket={bucket}"),
            format!("-var=endpoint={}", self.endpoint),
            "-var=region=us-east-1".into(),
            "-var=force_destroy=true".into(),
        ]);
        assert!(
            self.tf.path().join("terraform/terraform.tfstate").exists(),
            "the bootstrap keeps its own state locally"
        );
        let hcl = self
            .ok(&[chdir, "output".into(), "-raw".into(), "backend_hcl".into()])
            .stdout;
        assert!(
            hcl.contains(&format!("bucket = \"{bucket}\"")) && hcl.contains("use_lockfile = true"),
            "{hcl}"
        );
        let file = format!("{hcl}{}", emulator_backend_settings(&self.endpoint));
        let path = self.tf.path().join("backend.hcl");
        std::fs::write(&path, &file).unwrap();
        (file, path)
    }

    /// Uses a backend configuration written by another toolkit's bootstrap.
    fn use_backend(&self, contents: &str) {
        std::fs::write(self.tf.path().join("backend.hcl"), contents).unwrap();
    }

    /// `init` of environments/ENV with the shared backend settings and the key ENV/terraform.tfstate.
    fn init(&self, env: &Env) {
        self.ok(&[
            env.chdir(),
            "init".into(),
            "-input=false".into(),
            "-backend-config=../../backend.hcl".into(),
            format!("-backend-config=key={}", env.key()),
        ]);
    }

    fn apply(&self, env: &Env) -> Output {
        self.ok(&env.args("apply", &["-auto-approve"]))
    }

    /// `plan -detailed-exitcode`: 0 no changes, 2 changes.
    fn plan_code(&self, env: &Env) -> Output {
        let out = self.run(&env.args("plan", &["-detailed-exitcode"]));
        assert!(
            out.code == 0 || out.code == 2,
            "plan of {} failed:\n{}",
            env.dir,
            out.combined()
        );
        out
    }

    fn assert_no_changes(&self, env: &Env) {
        let out = self.plan_code(env);
        assert_eq!(
            out.code, 0,
            "{}: plan after apply must be empty:\n{}",
            env.dir, out.stdout
        );
    }

    fn state(&self, env: &Env) -> serde_json::Value {
        let out = self.ok(&[env.chdir(), "show".into(), "-json".into()]);
        serde_json::from_str(&out.stdout).expect("show -json")
    }
}

/// One of environments/{dev,staging}, with the variables every command of a test passes.
struct Env {
    dir: &'static str,
    /// The environment's name (prefix of its AWS names, value of its `mosia:environment` tag).
    name: String,
    vars: Vec<String>,
}

impl Env {
    fn new(dir: &'static str, endpoint: &str) -> Env {
        // Unique names, so that the tests can share an external endpoint.
        let name = unique_name(&format!("mosia-{dir}"));
        let vars = vec![
            format!("-var=name={name}"),
            format!("-var=endpoint={endpoint}"),
            // The SDK clients below look in us-east-1 (the root modules default to eu-central-1).
            "-var=region=us-east-1".into(),
        ];
        Env { dir, name, vars }
    }

    fn chdir(&self) -> String {
        format!("-chdir=environments/{}", self.dir)
    }

    fn key(&self) -> String {
        format!("{}/terraform.tfstate", self.dir)
    }

    /// Sets (or replaces) `-var=NAME=VALUE`.
    fn set_var(&mut self, name: &str, value: &str) {
        let prefix = format!("-var={name}=");
        self.vars.retain(|v| !v.starts_with(&prefix));
        self.vars.push(format!("{prefix}{value}"));
    }

    fn args(&self, sub: &str, extra: &[&str]) -> Vec<String> {
        let mut args = vec![self.chdir(), sub.to_string(), "-input=false".to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(self.vars.iter().cloned());
        args
    }
}

fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// A state object in the bucket: version ID, ETag, Terraform's serial and the JSON.
#[derive(Debug, Clone, PartialEq)]
struct StateObject {
    version_id: Option<String>,
    etag: Option<String>,
    serial: u64,
    versions: usize,
}

async fn state_object(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> StateObject {
    let obj = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("s3://{bucket}/{key}: {e:?}"));
    let (version_id, etag) = (
        obj.version_id().map(str::to_string),
        obj.e_tag().map(str::to_string),
    );
    let body = obj.body.collect().await.unwrap().into_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).expect("state is JSON");
    let versions = s3
        .list_object_versions()
        .bucket(bucket)
        .prefix(key)
        .send()
        .await
        .unwrap()
        .versions()
        .iter()
        .filter(|v| v.key() == Some(key))
        .count();
    StateObject {
        version_id,
        etag,
        serial: json["serial"].as_u64().expect("serial"),
        versions,
    }
}

async fn object_exists(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> bool {
    s3.head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .is_ok()
}

/// (a) dev and staging applied with remote state, each re-planned with no changes;
/// (b) a dev apply that changes something leaves staging's state object untouched;
/// (d) destroying both leaves no object tagged with either environment's name.
#[tokio::test(flavor = "multi_thread")]
async fn dev_and_staging_apply_with_remote_state_stay_apart_and_destroy_cleanly() {
    let started = Instant::now();
    let em = Emulator::start();
    let core = installed_core("1.15.5");
    let tk = Toolkit::new(&core, &em);
    let bucket = unique_name("mosia-acc-envs");
    tk.bootstrap(&bucket);
    let config = em.sdk_config().await;
    let s3 = s3_client(&config);

    let mut dev = Env::new("dev", em.endpoint());
    let staging = Env::new("staging", em.endpoint());
    let mut costs = Vec::new();
    for env in [&dev, &staging] {
        tk.init(env);
        let plan = tk.plan_code(env);
        assert_eq!(plan.code, 2, "{}", plan.stdout);
        assert!(
            plan.stdout.contains("estimated_monthly_cost_usd"),
            "{}",
            plan.stdout
        );
        tk.apply(env);
        tk.assert_no_changes(env);
        // The state is in the bucket under the environment's key, not in the directory.
        assert!(
            !tk.tf
                .path()
                .join(format!("environments/{}/terraform.tfstate", env.dir))
                .exists(),
            "{}: no local state",
            env.dir
        );
        let state = tk.state(env);
        let v =
            env_values(&state).unwrap_or_else(|| panic!("{}: {ADDR} in state: {state}", env.dir));
        assert_eq!(v["name"], env.name.as_str());
        assert_eq!(v["tier"], env.dir);
        for part in ["network", "iam", "eks", "rds", "elasticache", "msk"] {
            assert_eq!(
                v["part_status"][part], "ready",
                "{} {part}: {}",
                env.dir, v["part_status"]
            );
        }
        // The root module's outputs, as a consumer reads them.
        let outputs: serde_json::Value = serde_json::from_str(
            &tk.ok(&[env.chdir(), "output".into(), "-json".into()])
                .stdout,
        )
        .expect("output -json");
        let out = |k: &str| &outputs[k]["value"];
        assert!(
            out("vpc_id")
                .as_str()
                .is_some_and(|s| s.starts_with("vpc-")),
            "{outputs}"
        );
        assert_eq!(
            out("private_subnet_ids").as_array().map(Vec::len),
            Some(2),
            "{outputs}"
        );
        let mut groups: Vec<&str> = out("security_group_ids")
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        groups.sort_unstable();
        assert_eq!(groups, ["eks", "elasticache", "msk", "rds"], "{outputs}");
        assert!(out("eks_cluster_name")
            .as_str()
            .is_some_and(|s| s.starts_with(&env.name)));
        assert!(out("rds_master_user_secret_arn")
            .as_str()
            .is_some_and(|s| s.contains("secret")));
        assert!(out("msk_bootstrap_brokers_iam")
            .as_str()
            .is_some_and(|s| !s.is_empty()));
        let cost = out("estimated_monthly_cost_usd").as_f64().unwrap_or(0.0);
        assert!(cost > 0.0, "{outputs}");
        costs.push(cost);
        let objects = owned_objects(&config, &env.name).await;
        for kind in [
            "vpc",
            "subnet",
            "security-group",
            "eks-cluster",
            "db-instance",
            "replication-group",
            "msk-cluster",
        ] {
            assert!(
                has_kind(&objects, kind),
                "{}: no {kind} tagged mosia:environment={}: {objects:?}",
                env.dir,
                env.name
            );
        }
        assert!(!object_exists(&s3, &bucket, &format!("{}.tflock", env.key())).await);
    }
    assert!(
        costs[1] > costs[0],
        "the staging presets cost more than dev's: {costs:?}"
    );
    let staging_state = tk.state(&staging);
    let staging_env = env_values(&staging_state).unwrap().clone();
    assert_eq!(
        staging_env["elasticache"]["replicas"], 1,
        "staging keeps its tier's cache replica: {}",
        staging_env["elasticache"]
    );
    eprintln!("dev and staging applied: {:?}", started.elapsed());

    // (b) A dev apply that changes something (a tag on every part) does not touch staging's state.
    let staging_before = state_object(&s3, &bucket, &staging.key()).await;
    let dev_before = state_object(&s3, &bucket, &dev.key()).await;
    assert!(
        staging_before.version_id.is_some(),
        "the state bucket is versioned"
    );
    dev.set_var("tags", r#"{environment="dev",owner="acceptance-tests"}"#);
    let change = tk.plan_code(&dev);
    assert!(
        change.code == 2 && change.stdout.contains("1 to change"),
        "{}",
        change.stdout
    );
    tk.apply(&dev);
    tk.assert_no_changes(&dev);
    let dev_after = state_object(&s3, &bucket, &dev.key()).await;
    assert!(
        dev_after.serial > dev_before.serial && dev_after.version_id != dev_before.version_id,
        "dev's state was written: {dev_before:?} -> {dev_after:?}"
    );
    let staging_after = state_object(&s3, &bucket, &staging.key()).await;
    assert_eq!(
        staging_after, staging_before,
        "applying dev must leave staging's state object alone"
    );
    tk.assert_no_changes(&staging);
    assert_eq!(
        state_object(&s3, &bucket, &staging.key()).await,
        staging_before,
        "a plan does not write state"
    );

    // (d) Destroy leaves nothing owned by either environment.
    for env in [&dev, &staging] {
        tk.ok(&env.args("destroy", &["-auto-approve"]));
        let left = owned_objects(&config, &env.name).await;
        assert!(
            left.is_empty(),
            "{}: objects tagged mosia:environment={} after destroy: {left:?}",
            env.dir,
            env.name
        );
        // The database's final snapshot is kept on purpose where the tier asks for one
        // (staging: skip_final_snapshot = false), and not taken for dev.
        let snapshots = aws_sdk_rds::Client::new(&config)
            .describe_db_snapshots()
            .db_instance_identifier(format!("{}-db", env.name))
            .send()
            .await
            .unwrap();
        let finals: Vec<&str> = snapshots
            .db_snapshots()
            .iter()
            .filter_map(|s| s.db_snapshot_identifier())
            .filter(|id| id.starts_with(&format!("{}-db-final-", env.name)))
            .collect();
        assert_eq!(
            finals.len(),
            usize::from(env.dir == "staging"),
            "{}: final snapshots {finals:?}",
            env.dir
        );
        let state = tk.state(env);
        assert!(
            state["values"].get("root_module").is_none()
                || state["values"]["root_module"]["child_modules"]
                    .as_array()
                    .is_none_or(|m| m.is_empty()),
            "{}: state empty after destroy: {state}",
            env.dir
        );
    }
    eprintln!("total: {:?}", started.elapsed());
}

/// (c) Two applies at once on one environment, from two working directories (two people or
/// CI jobs): the second is refused by the S3 lock file the first holds, the first completes,
/// and the state then holds the first apply's result with nothing left to change.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_applies_on_one_environment_the_second_is_refused_by_the_lock() {
    let em = Emulator::start();
    let Some(em) = em.require_embedded("lifecycle durations (a slow first apply)") else {
        return;
    };
    let core = installed_core("1.15.5");
    let first = Toolkit::new(&core, em);
    let second = Toolkit::new(&core, em);
    let bucket = unique_name("mosia-acc-lock");
    let (backend, _) = first.bootstrap(&bucket);
    second.use_backend(&backend);
    let config = em.sdk_config().await;
    let s3 = s3_client(&config);

    let mut dev = Env::new("dev", em.endpoint());
    first.init(&dev);
    second.init(&dev);
    first.apply(&dev);
    let before = state_object(&s3, &bucket, &dev.key()).await;

    // The first apply resizes the database, which the emulator keeps `modifying` for 10 s:
    // the first apply holds the lock at least that long.
    em.set_durations(serde_json::json!({"rds_instance": {"update": 10}}));
    dev.set_var(
        "rds",
        r#"{engine_version="16.4",database_name="app",instance_class="db.t4g.small"}"#,
    );
    let apply = dev.args("apply", &["-auto-approve"]);
    let lock_key = format!("{}.tflock", dev.key());
    let first_apply = tokio::task::spawn_blocking(move || {
        let out = first.run(&apply);
        (first, out)
    });
    let waited = Instant::now();
    let lock = loop {
        if let Ok(obj) = s3.get_object().bucket(&bucket).key(&lock_key).send().await {
            let body = obj.body.collect().await.unwrap().into_bytes();
            break serde_json::from_slice::<serde_json::Value>(&body).expect("lock info JSON");
        }
        if first_apply.is_finished() {
            let (_, out) = first_apply.await.unwrap();
            panic!(
                "the first apply ended before its lock was seen:\n{}",
                out.combined()
            );
        }
        assert!(
            waited.elapsed() < Duration::from_secs(90),
            "the first apply never took the lock s3://{bucket}/{lock_key}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let lock_id = lock["ID"].as_str().expect("lock ID").to_string();

    let refused = second.run(&dev.args("apply", &["-auto-approve"]));
    let text = refused.combined();
    assert_ne!(refused.code, 0, "the second apply must fail:\n{text}");
    assert!(
        text.contains("Error acquiring the state lock") && text.contains(&lock_id),
        "the second apply names the lock and its holder:\n{text}"
    );
    assert!(
        object_exists(&s3, &bucket, &lock_key).await,
        "the first apply still held the lock when the second was refused"
    );

    let (first, done) = first_apply.await.expect("first apply thread");
    assert_eq!(
        done.code,
        0,
        "the first apply completes:\n{}",
        done.combined()
    );
    assert!(
        !object_exists(&s3, &bucket, &lock_key).await,
        "lock released"
    );

    // The state is intact: the first apply's result, nothing to change, from either directory.
    let after = state_object(&s3, &bucket, &dev.key()).await;
    assert!(after.serial > before.serial, "{before:?} -> {after:?}");
    let state = first.state(&dev);
    let v = env_values(&state).expect("environment in state");
    assert_eq!(v["rds"]["instance_class"], "db.t4g.small", "{}", v["rds"]);
    let db = aws_sdk_rds::Client::new(&config)
        .describe_db_instances()
        .db_instance_identifier(format!("{}-db", dev.name))
        .send()
        .await
        .unwrap();
    assert_eq!(
        db.db_instances()[0].db_instance_class(),
        Some("db.t4g.small")
    );
    first.assert_no_changes(&dev);
    second.assert_no_changes(&dev);
}

/// `make plan|apply|destroy ENV=...` (real AWS) refuses before doing anything: an unknown or
/// missing ENV, a backend configuration that does not exist, an emulator endpoint.
#[test]
fn real_aws_targets_refuse_an_unknown_env_and_a_missing_backend_config() {
    let scratch = tempfile::tempdir().unwrap();
    let make = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new("make");
        cmd.arg("-s")
            .arg("-C")
            .arg(repo_root())
            .args(args)
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("BACKEND_CONFIG")
            .env_remove("AUTO_APPROVE")
            .env_remove("MAKEFLAGS")
            .envs(env.iter().copied());
        run_bounded(cmd, None, Duration::from_secs(60), scratch.path())
    };

    let out = make(&["plan", "ENV=nope"], &[]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("ENV must be one of dev, staging, production (got 'nope')")
            && out.stderr.contains("make plan ENV=staging"),
        "{}",
        out.stderr
    );
    let out = make(&["apply"], &[]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("ENV is required"), "{}", out.stderr);

    let missing = scratch.path().join("no-such-backend.hcl");
    let missing = missing.to_str().unwrap();
    for action in ["plan", "apply", "destroy"] {
        let out = make(
            &[action, "ENV=staging", &format!("BACKEND_CONFIG={missing}")],
            &[],
        );
        assert_ne!(out.code, 0);
        for needle in [
            "No backend configuration for staging",
            missing,
            "terraform -chdir=terraform output -raw backend_hcl > environments/staging/backend.hcl",
            "terraform/README.md",
        ] {
            assert!(out.stderr.contains(needle), "{needle}:\n{}", out.stderr);
        }
        assert!(
            !out.stderr.contains("== build"),
            "refused before building: {}",
            out.stderr
        );
    }
    // Without BACKEND_CONFIG the default files are named (only when the user has none).
    let root = repo_root();
    if !root.join("environments/production/backend.hcl").exists()
        && !root.join("environments/backend.hcl").exists()
    {
        let out = make(&["plan", "ENV=production"], &[]);
        assert_ne!(out.code, 0);
        assert!(
            out.stderr.contains(
                "No backend configuration for production: environments/production/backend.hcl"
            ),
            "{}",
            out.stderr
        );
    } else {
        eprintln!("a backend.hcl exists for production: the default-path message is not checked");
    }

    let out = make(
        &["plan", "ENV=dev", &format!("BACKEND_CONFIG={missing}")],
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")],
    );
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("AWS_ENDPOINT_URL is set") && out.stderr.contains("make dev"),
        "{}",
        out.stderr
    );
}

/// `scripts/env.sh` (what `make plan|apply|destroy ENV=dev` runs), from a copy of the
/// repository's scripts and root modules, pointed at the emulator through the backend file
/// and `TF_VAR_endpoint`: plan prints the cost warning; apply asks and a wrong answer or no
/// answer changes nothing; the environment's name applies exactly the plan shown; destroy with
/// AUTO_APPROVE=1 removes everything.
#[tokio::test(flavor = "multi_thread")]
async fn env_script_warns_about_cost_and_applies_only_when_confirmed() {
    let em = Emulator::start();
    let core = installed_core("1.15.5");
    let tk = Toolkit::new(&core, &em);
    let (_, backend) = tk.bootstrap(&unique_name("mosia-acc-envsh"));
    let config = em.sdk_config().await;

    // The copy: scripts/, environments/, modules/ (env.sh works relative to its own location).
    let tree = tempfile::Builder::new()
        .prefix("mosia-envsh-")
        .tempdir()
        .unwrap();
    let root = repo_root();
    std::fs::create_dir_all(tree.path().join("scripts")).unwrap();
    for script in ["env.sh", "common.sh", "plan-summary.py"] {
        std::fs::copy(
            root.join("scripts").join(script),
            tree.path().join("scripts").join(script),
        )
        .unwrap();
    }
    for dir in ["environments", "modules"] {
        copy_tree(&root.join(dir), &tree.path().join(dir));
    }
    let name = unique_name("mosia-dev");
    std::fs::write(
        tree.path().join("environments/dev/test.auto.tfvars"),
        format!("name = \"{name}\"\n"),
    )
    .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(scratch.path().join("tmp")).unwrap();
    let script = |action: &str, stdin: Option<&str>, auto_approve: bool| {
        let mut cmd = Command::new("bash");
        cmd.arg(tree.path().join("scripts/env.sh"))
            .args([action, "dev"])
            .current_dir(tree.path());
        for k in [
            "AWS_ENDPOINT_URL",
            "AWS_PROFILE",
            "TF_LOG",
            "TF_LOG_PATH",
            "TF_LOG_PROVIDER",
            "TF_WORKSPACE",
            "TF_DATA_DIR",
            "TF_CLI_ARGS",
            "AUTO_APPROVE",
        ] {
            cmd.env_remove(k);
        }
        cmd.envs([
            ("TERRAFORM", core.path.to_str().unwrap()),
            ("MOSIA_PROVIDER_BINARY", provider_binary().to_str().unwrap()),
            ("BACKEND_CONFIG", backend.to_str().unwrap()),
            ("TF_VAR_endpoint", em.endpoint()),
            ("TF_VAR_region", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("MOSIA_POLL_SCALE", "0.01"),
            ("CHECKPOINT_DISABLE", "1"),
            ("TMPDIR", scratch.path().join("tmp").to_str().unwrap()),
        ]);
        if auto_approve {
            cmd.env("AUTO_APPROVE", "1");
        }
        run_bounded(cmd, stdin, COMMAND_TIMEOUT, scratch.path())
    };

    let plan = script("plan", None, false);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("estimated_monthly_cost_usd"));
    let warning = format!("!! {name}: estimated monthly cost ");
    assert!(
        plan.stderr.contains("COST WARNING (dev, real AWS)")
            && plan.stderr.contains(&warning)
            && plan.stderr.contains("USD once created"),
        "{}",
        plan.stderr
    );
    assert!(
        plan.stderr.contains("make apply ENV=dev"),
        "{}",
        plan.stderr
    );

    for (answer, message) in [
        (Some("yes\n"), "Cancelled: nothing was changed."),
        (None, "No answer (stdin closed)"),
    ] {
        let declined = script("apply", answer, false);
        assert_ne!(declined.code, 0, "{}", declined.stderr);
        assert!(
            declined.stderr.contains(message) && declined.stderr.contains(&warning),
            "{}",
            declined.stderr
        );
        assert!(
            owned_objects(&config, &name).await.is_empty(),
            "nothing created without confirmation"
        );
    }

    let applied = script("apply", Some("dev\n"), false);
    assert_eq!(applied.code, 0, "{}\n{}", applied.stdout, applied.stderr);
    assert!(
        applied.stdout.contains("Apply complete") && applied.stdout.contains("vpc_id"),
        "applies the saved plan, then prints the outputs:\n{}",
        applied.stdout
    );
    assert!(has_kind(&owned_objects(&config, &name).await, "vpc"));
    let again = script("plan", None, false);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("No changes: dev matches its configuration."),
        "{}",
        again.stderr
    );

    let destroyed = script("destroy", None, true);
    assert_eq!(
        destroyed.code, 0,
        "{}\n{}",
        destroyed.stdout, destroyed.stderr
    );
    assert!(
        destroyed.stderr.contains("AUTO_APPROVE=1: not asking.")
            && destroyed
                .stderr
                .contains("destroyed; its estimated monthly cost"),
        "{}",
        destroyed.stderr
    );
    let left = owned_objects(&config, &name).await;
    assert!(left.is_empty(), "left after destroy: {left:?}");
}
