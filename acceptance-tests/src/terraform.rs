//! Real Terraform cores driven as a user would: each test gets a working directory with
//! its own CLI configuration (a filesystem mirror holding the freshly built provider),
//! its own TMPDIR, CHECKPOINT_DISABLE=1, and a timeout on every command.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::emulator::repo_root;

pub const PROVIDER_VERSION: &str = "0.1.0";

/// One Terraform core the suite runs against.
#[derive(Debug, Clone)]
pub struct Core {
    /// e.g. "1.15.5"
    pub version: String,
    pub path: PathBuf,
}

impl Core {
    /// (major, minor)
    pub fn minor(&self) -> (u32, u32) {
        let mut it = self.version.split('.').map(|p| p.parse().unwrap_or(0));
        (it.next().unwrap_or(0), it.next().unwrap_or(0))
    }
    /// `import {}` blocks exist from Terraform 1.5 on.
    pub fn has_import_blocks(&self) -> bool {
        self.minor() >= (1, 5)
    }
}

fn version_of(path: &Path) -> Option<String> {
    let out = Command::new(path)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next()?;
    first
        .strip_prefix("Terraform v")
        .map(|v| v.trim().to_string())
}

/// The project's cores from `.tools/bin` (installed by `make tools`).
pub fn installed_core(version: &str) -> Core {
    let path = repo_root()
        .join(".tools/bin")
        .join(format!("terraform-{version}"));
    assert!(
        path.exists(),
        "Terraform {version} is not installed at {}: run `make tools`",
        path.display()
    );
    Core {
        version: version.to_string(),
        path,
    }
}

/// The `terraform` on PATH, when there is one and it is not one of the project's cores.
pub fn path_core() -> Option<Core> {
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .map(|d| d.join("terraform"))
        .find(|p| p.is_file())?;
    let version = version_of(&found)?;
    Some(Core {
        version,
        path: found,
    })
}

/// The provider binary the tests put in the mirror (built by cargo for this test run).
pub fn provider_binary() -> PathBuf {
    if let Ok(p) = std::env::var("MOSIA_PROVIDER_BINARY") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let bin = target.join("debug/terraform-provider-mosia");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p terraform-provider-mosia`",
        bin.display()
    );
    bin
}

#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A working directory for one Terraform configuration.
pub struct Workdir {
    pub core: Core,
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    pub timeout: Duration,
}

impl Workdir {
    pub fn new(core: &Core, endpoint: &str) -> Workdir {
        let dir = tempfile::Builder::new()
            .prefix("mosia-acc-")
            .tempdir()
            .expect("tempdir");
        let root = dir.path();
        let mirror = root.join("mirror");
        let plat = mirror.join(format!(
            "registry.terraform.io/mosia/mosia/{PROVIDER_VERSION}/linux_amd64"
        ));
        std::fs::create_dir_all(&plat).unwrap();
        std::os::unix::fs::symlink(
            provider_binary(),
            plat.join(format!("terraform-provider-mosia_v{PROVIDER_VERSION}")),
        )
        .unwrap();
        std::fs::create_dir_all(root.join("tmp")).unwrap();
        std::fs::create_dir_all(root.join("work")).unwrap();
        let cli = root.join("cli.tfrc");
        std::fs::write(
            &cli,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/mosia/mosia\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/mosia/mosia\"]\n  }}\n}}\n",
                mirror.display()
            ),
        )
        .unwrap();
        let env = vec![
            ("TF_CLI_CONFIG_FILE".into(), cli.display().to_string()),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
            ("TMPDIR".into(), root.join("tmp").display().to_string()),
            ("TF_IN_AUTOMATION".into(), "1".into()),
            ("TF_INPUT".into(), "0".into()),
            ("AWS_ACCESS_KEY_ID".into(), "test".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "test".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_ENDPOINT_URL".into(), endpoint.to_string()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ];
        Workdir {
            core: core.clone(),
            dir,
            env,
            timeout: Duration::from_secs(240),
        }
    }

    /// The directory holding the configuration.
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    pub fn write(&self, name: &str, content: &str) {
        std::fs::write(self.path().join(name), content).unwrap();
    }

    pub fn remove(&self, name: &str) {
        let _ = std::fs::remove_file(self.path().join(name));
    }

    /// The environment every command of this working directory runs with (CLI configuration
    /// with the provider mirror, AWS settings for the emulator), for scripts that run Terraform.
    pub fn envs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.env.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    /// Runs `terraform ARGS` with `-no-color`, bounded by the timeout (then killed).
    pub fn run(&self, args: &[&str]) -> Output {
        // `-no-color` goes right after the subcommand (global options such as -chdir come
        // first); some subcommands do not accept it.
        let sub = args.iter().position(|a| !a.starts_with('-')).unwrap_or(0);
        let mut cmd = Command::new(&self.core.path);
        cmd.args(&args[..=sub.min(args.len().saturating_sub(1))]);
        if !matches!(
            args.get(sub),
            Some(&"version") | Some(&"providers") | Some(&"state")
        ) {
            cmd.arg("-no-color");
        }
        cmd.args(args.iter().skip(sub + 1));
        for k in [
            "TF_LOG",
            "TF_LOG_PATH",
            "TF_LOG_PROVIDER",
            "TF_REATTACH_PROVIDERS",
            "TF_WORKSPACE",
            "TF_DATA_DIR",
        ] {
            cmd.env_remove(k);
        }
        cmd.current_dir(self.path())
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        run_bounded(cmd, None, self.timeout, &self.dir.path().join("tmp"))
    }

    /// Starts `terraform ARGS` and returns at once: for tests that kill it mid-way.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        let mut cmd = Command::new(&self.core.path);
        cmd.args(args)
            .current_dir(self.path())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd.spawn().expect("spawn terraform")
    }

    /// Like [`Workdir::spawn`], with `-no-color` and stdout and stderr written to `log` (for
    /// runs that are interrupted, whose output explains what they were doing).
    pub fn spawn_logged(&self, args: &[&str], log: &Path) -> std::process::Child {
        let out = std::fs::File::create(log).expect("create the log");
        let err = out.try_clone().expect("clone the log handle");
        let (sub, rest) = args.split_first().expect("a subcommand");
        Command::new(&self.core.path)
            .arg(sub)
            .arg("-no-color")
            .args(rest)
            .current_dir(self.path())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .expect("spawn terraform")
    }

    /// Runs and asserts the exit code, printing everything on failure.
    pub fn expect(&self, args: &[&str], code: i32) -> Output {
        let out = self.run(args);
        assert_eq!(
            out.code, code,
            "terraform {} {args:?} exited {} (expected {code})\n--- stdout\n{}\n--- stderr\n{}",
            self.core.version, out.code, out.stdout, out.stderr
        );
        out
    }

    pub fn ok(&self, args: &[&str]) -> Output {
        self.expect(args, 0)
    }

    /// `plan -detailed-exitcode`: 0 no changes, 2 changes.
    pub fn plan_exit(&self) -> Output {
        let out = self.run(&["plan", "-detailed-exitcode", "-input=false"]);
        assert!(
            out.code == 0 || out.code == 2,
            "plan failed:\n{}",
            out.combined()
        );
        out
    }

    pub fn state_json(&self) -> serde_json::Value {
        let out = self.ok(&["show", "-json"]);
        serde_json::from_str(&out.stdout).expect("show -json")
    }
}

/// A command bounded by a timeout (the process and its children are killed after it); its
/// stdout and stderr go through files in `scratch`, and `stdin` is written to it when given.
pub fn run_bounded(
    mut cmd: Command,
    stdin: Option<&str>,
    timeout: Duration,
    scratch: &Path,
) -> Output {
    use std::io::Write;
    let start = Instant::now();
    let (out_path, err_path) = (scratch.join("cmd.out"), scratch.join("cmd.err"));
    cmd.stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().expect("spawn");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let _ = pipe.write_all(input.as_bytes());
    }
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        if start.elapsed() > timeout {
            kill_tree(child.id());
            let _ = child.wait();
            panic!(
                "{cmd:?} did not finish within {timeout:?}; stderr so far:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        code,
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        elapsed: start.elapsed(),
    }
}

/// What an S3 backend configuration needs on top of bucket, key and region to keep its
/// state in the emulator (as scripts/dev.sh writes it).
pub fn emulator_backend_settings(endpoint: &str) -> String {
    format!(
        "endpoints                   = {{ s3 = \"{endpoint}\" }}\nuse_path_style              = true\n\
         skip_credentials_validation = true\nskip_requesting_account_id  = true\n\
         skip_metadata_api_check     = true\nskip_region_validation      = true\n"
    )
}

/// SIGKILLs a process and all its descendants (Terraform and the provider processes it
/// started), found through /proc, by explicit positive PIDs only.
pub fn kill_tree(root: u32) {
    let mut pids = vec![root];
    let mut i = 0;
    while i < pids.len() {
        let parent = pids[i];
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for e in entries.flatten() {
                let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                    continue;
                };
                let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                    continue;
                };
                // Field 4 (ppid) follows the ")" that closes the command name.
                let ppid = stat
                    .rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    .and_then(|p| p.parse::<u32>().ok());
                if ppid == Some(parent) && !pids.contains(&pid) {
                    pids.push(pid);
                }
            }
        }
        i += 1;
    }
    for pid in pids.iter().rev() {
        if *pid > 1 {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
    }
}

/// The attribute values of one resource in `terraform show -json`.
pub fn resource_values<'a>(
    state: &'a serde_json::Value,
    address: &str,
) -> Option<&'a serde_json::Value> {
    state["values"]["root_module"]["resources"]
        .as_array()?
        .iter()
        .find(|r| r["address"] == address)
        .map(|r| &r["values"])
}

/// Copies a module tree (for tests that run the repository's modules in a temporary
/// directory), without the leftovers of local runs.
pub fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let (src, name) = (entry.path(), entry.file_name());
        // Leftovers of local runs (`make dev`, `make plan ENV=...`): init data, provider lock
        // files pinned to another build, state, a user's real backend settings.
        let skip = [".terraform", ".terraform.lock.hcl", "backend.hcl"];
        if skip.iter().any(|s| name == *s) || name.to_string_lossy().contains(".tfstate") {
            continue;
        }
        if src.is_dir() {
            copy_tree(&src, &to.join(&name));
        } else {
            std::fs::copy(&src, to.join(&name)).unwrap();
        }
    }
}

/// The `terraform` block and a `provider "mosia"` block for us-east-1: what most test
/// configurations start with.
pub const MOSIA_US_EAST_1: &str = r#"terraform {
  required_providers {
    mosia = { source = "mosia/mosia" }
  }
}

provider "mosia" {
  region = "us-east-1"
}
"#;

/// [`MOSIA_US_EAST_1`] with the provider's `default_tags` set (`owner = "platform"`), for
/// tests that check which tags are the resource's own.
pub const MOSIA_US_EAST_1_DEFAULT_TAGS: &str = r#"terraform {
  required_providers {
    mosia = { source = "mosia/mosia" }
  }
}

provider "mosia" {
  region       = "us-east-1"
  default_tags {
    tags = { owner = "platform" }
  }
}
"#;
