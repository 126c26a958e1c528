//! The AWS endpoint the acceptance tests run against.
//!
//! When `AWS_ENDPOINT_URL` is set (for example a LocalStack the user runs, with its auth
//! token), tests use it as it is. Otherwise each test starts the project's emulator
//! (moto with Mosia's extensions, `acceptance-tests/emulator`) on a free 127.0.0.1 port
//! and stops it when the [`Emulator`] is dropped.
//!
//! Only blocking std is used here (a tiny HTTP/1.1 client over `TcpStream` for the
//! `/_mosia/` control API), so the harness works from sync and async tests alike.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long the emulator may take to answer after launch (generous: the machines have
/// two cores, and a cargo build may be running at the same time).
const START_TIMEOUT: Duration = Duration::from_secs(90);
/// Bound on each control-API call.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(30);

/// Repository root (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("acceptance-tests has a parent directory")
        .to_path_buf()
}

/// A running AWS endpoint: the project's emulator (embedded) or an external one.
pub struct Emulator {
    endpoint: String,
    child: Option<Child>,
    log_path: Option<PathBuf>,
    startup: Option<Duration>,
    // Holds the log and port files; removed on drop (after the child is gone).
    _dir: Option<tempfile::TempDir>,
    // Set by tests that send malformed requests on purpose (see `allow_model_rejections`).
    model_rejections_allowed: std::sync::atomic::AtomicBool,
}

impl Emulator {
    /// `AWS_ENDPOINT_URL` when set, otherwise the project's emulator with the `zero` profile
    /// (every lifecycle transition is instantaneous).
    pub fn start() -> Emulator {
        Self::start_with_profile("zero")
    }

    /// Like [`Emulator::start`], with a lifecycle profile for the project's emulator:
    /// `zero`, `lifecycle` (a few seconds per transition) or `scaled` (real AWS durations
    /// scaled down). Ignored for an external endpoint.
    pub fn start_with_profile(profile: &str) -> Emulator {
        if let Some(url) = external_endpoint() {
            eprintln!("emulator: using the external endpoint AWS_ENDPOINT_URL={url}");
            return Emulator {
                endpoint: url,
                child: None,
                log_path: None,
                startup: None,
                _dir: None,
                model_rejections_allowed: std::sync::atomic::AtomicBool::new(false),
            };
        }
        Self::start_embedded(profile)
    }

    /// Always starts the project's emulator, whatever `AWS_ENDPOINT_URL` says.
    pub fn start_embedded(profile: &str) -> Emulator {
        let root = repo_root();
        let python = std::env::var_os("MOSIA_EMULATOR_PYTHON")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join(".tools/venv/bin/python"));
        if !python.exists() {
            panic!(
                "the AWS emulator needs {} (moto in the tools venv): run `make tools` first, \
                 or set AWS_ENDPOINT_URL to an endpoint of your own (e.g. LocalStack)",
                python.display()
            );
        }
        let emulator_dir = root.join("acceptance-tests/emulator");
        let dir = tempfile::Builder::new()
            .prefix("mosia-emulator-")
            .tempdir()
            .expect("create a temporary directory for the emulator");
        let log_path = dir.path().join("emulator.log");
        let port_file = dir.path().join("port");
        let log = fs::File::create(&log_path).expect("create the emulator log");
        let log_err = log.try_clone().expect("clone the emulator log handle");

        let launched = Instant::now();
        let mut child = Command::new(&python)
            .arg("-m")
            .arg("mosia_emulator")
            .args(["--host", "127.0.0.1", "--port", "0", "--profile", profile])
            .arg("--port-file")
            .arg(&port_file)
            .arg("--exit-with-parent")
            .env("PYTHONPATH", &emulator_dir)
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env_remove("AWS_ENDPOINT_URL")
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn()
            .unwrap_or_else(|e| panic!("start the emulator with {}: {e}", python.display()));

        let deadline = launched + START_TIMEOUT;
        let endpoint = loop {
            if let Some(status) = child.try_wait().expect("poll the emulator process") {
                panic!(
                    "the emulator exited during start-up ({status}); log {}:\n{}",
                    log_path.display(),
                    tail(&log_path, 40)
                );
            }
            if let Ok(text) = fs::read_to_string(&port_file) {
                if let Ok(port) = text.trim().parse::<u16>() {
                    let endpoint = format!("http://127.0.0.1:{port}");
                    if matches!(http(&endpoint, "GET", "/_mosia/health", None), Ok((200, _))) {
                        break endpoint;
                    }
                }
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the emulator did not answer within {:?}; log {}:\n{}",
                    START_TIMEOUT,
                    log_path.display(),
                    tail(&log_path, 40)
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        };
        let startup = launched.elapsed();
        Emulator {
            endpoint,
            child: Some(child),
            log_path: Some(log_path),
            startup: Some(startup),
            _dir: Some(dir),
            model_rejections_allowed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// `http://127.0.0.1:PORT` (or the external URL).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// True when this is the project's emulator, started by this process.
    pub fn is_embedded(&self) -> bool {
        self.child.is_some()
    }

    /// For tests that are entirely about what only the project's emulator does (fault
    /// injection, lifecycle timing): `None`, with a skip message on stderr, against an
    /// external endpoint. A test that also checks behaviour uses [`Emulator::control_api`]
    /// instead, and skips only the assertions that need it.
    pub fn require_embedded(&self, what: &str) -> Option<&Self> {
        if self.is_embedded() {
            Some(self)
        } else {
            eprintln!(
                "SKIPPED: {what} needs the project's emulator (fault injection, lifecycle \
                 timing and call counts are not available at the external endpoint {}); \
                 unset AWS_ENDPOINT_URL to run it",
                self.endpoint
            );
            None
        }
    }

    /// For tests that send requests breaking the API model on purpose. Otherwise dropping
    /// the emulator fails the test when any request was refused by the model validation:
    /// the provider sent something AWS would refuse.
    pub fn allow_model_rejections(&self) {
        self.model_rejections_allowed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Requests refused by the API model since the emulator started (their AWS error
    /// messages), when any; `None` at an external endpoint.
    pub fn model_rejections(&self) -> Option<Vec<String>> {
        let calls = self.is_embedded().then(|| self.call_counts())?;
        let rejected = &calls["rejected"];
        if rejected["since_start"]["validation"].as_u64().unwrap_or(0) == 0 {
            return Some(Vec::new());
        }
        let requests = rejected["requests"].as_array().cloned().unwrap_or_default();
        Some(
            requests
                .iter()
                .filter(|r| r["kind"] == "validation")
                .map(|r| {
                    format!(
                        "{}.{}: {}: {}",
                        r["service"].as_str().unwrap_or("?"),
                        r["operation"].as_str().unwrap_or("?"),
                        r["code"].as_str().unwrap_or("?"),
                        r["message"].as_str().unwrap_or("?")
                    )
                })
                .collect(),
        )
    }

    /// The project's emulator, for the assertions that need its control API (call counts,
    /// faults, durations); `None` at an external endpoint, with a note on stderr naming
    /// `what` is skipped there. The test goes on with everything else:
    ///
    /// ```ignore
    /// let control = em.control_api("call counts");
    /// // ... behaviour, checked everywhere ...
    /// if let Some(em) = control {
    ///     assert_eq!(em.call_count("ec2", "CreateVpc"), 1);
    /// }
    /// ```
    pub fn control_api(&self, what: &str) -> Option<&Self> {
        if self.is_embedded() {
            Some(self)
        } else {
            eprintln!(
                "NOTE: the assertions on {what} are skipped: they need the project's emulator's \
                 control API, not available at the external endpoint {}; everything else runs",
                self.endpoint
            );
            None
        }
    }

    /// Launch-to-first-answer time of the embedded emulator.
    pub fn startup_time(&self) -> Option<Duration> {
        self.startup
    }

    /// Where the embedded emulator's output goes.
    pub fn log_path(&self) -> Option<&Path> {
        self.log_path.as_deref()
    }

    /// Clears all AWS state (moto's reset), injected faults and call counts, and restores
    /// the durations the emulator was started with. A no-op (with a note) when external.
    pub fn reset(&self) {
        if !self.is_embedded() {
            eprintln!(
                "emulator: reset skipped at the external endpoint {}",
                self.endpoint
            );
            return;
        }
        self.control("POST", "/_mosia/reset", Some(&serde_json::json!({})));
    }

    /// Adds a fault, e.g. `{"service": "kafka", "operation": "CreateClusterV2", "count": 2,
    /// "error_code": "ThrottlingException"}` (see acceptance-tests/emulator/README.md).
    pub fn inject_fault(&self, fault: Value) {
        self.embedded_only("inject_fault");
        self.control("POST", "/_mosia/faults", Some(&fault));
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        self.embedded_only("clear_faults");
        self.control("DELETE", "/_mosia/faults", None);
    }

    /// `{"total": N, "faulted": N, "services": {"kafka": {"CreateClusterV2": 3, ...}, ...}}`.
    pub fn call_counts(&self) -> Value {
        self.embedded_only("call_counts");
        self.control("GET", "/_mosia/calls", None)
    }

    /// Calls counted for one service (SigV4 signing name, e.g. "kafka") and operation.
    pub fn call_count(&self, service: &str, operation: &str) -> u64 {
        self.call_counts()["services"][service][operation]
            .as_u64()
            .unwrap_or(0)
    }

    /// Zeroes the call counts only.
    pub fn clear_call_counts(&self) {
        self.embedded_only("clear_call_counts");
        self.control("DELETE", "/_mosia/calls", None);
    }

    /// Merges lifecycle durations, e.g. `{"msk_cluster": {"create": 2}}`,
    /// `{"*": 0}` or `{"profile": "lifecycle"}`. Returns the resulting configuration.
    pub fn set_durations(&self, cfg: Value) -> Value {
        self.embedded_only("set_durations");
        self.control("POST", "/_mosia/durations", Some(&cfg))
    }

    /// Plays an out-of-band event (what AWS does by itself), e.g. `{"event":
    /// "rds_storage_autoscaling", "db_instance_identifier": "x-db", "allocated_storage": 120}`
    /// (see acceptance-tests/emulator/README.md, "Events"); returns the event's answer.
    pub fn fire_event(&self, event: Value) -> Value {
        self.embedded_only("fire_event");
        self.control("POST", "/_mosia/events", Some(&event))["result"].clone()
    }

    /// Current lifecycle durations.
    pub fn durations(&self) -> Value {
        self.embedded_only("durations");
        self.control("GET", "/_mosia/durations", None)
    }

    /// One cheap call per service of an environment, so that the emulator has loaded each
    /// before a benchmark times anything (its first call to a service loads that service's
    /// code, about a second for RDS; AWS has no such cost).
    pub async fn warm_up(&self) {
        let cfg = self.sdk_config().await;
        let _ = aws_sdk_ec2::Client::new(&cfg).describe_vpcs().send().await;
        let _ = aws_sdk_iam::Client::new(&cfg).list_roles().send().await;
        let _ = aws_sdk_eks::Client::new(&cfg).list_clusters().send().await;
        let _ = aws_sdk_rds::Client::new(&cfg)
            .describe_db_instances()
            .send()
            .await;
        let _ = aws_sdk_elasticache::Client::new(&cfg)
            .describe_replication_groups()
            .send()
            .await;
        let _ = aws_sdk_kafka::Client::new(&cfg)
            .list_clusters_v2()
            .send()
            .await;
    }

    /// SDK configuration for this endpoint: region us-east-1, dummy static credentials.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        let creds = aws_sdk_s3::config::Credentials::new(
            "AKIAMOSIATEST0000000",
            "mosia-test-secret-key",
            None,
            None,
            "mosia-emulator",
        );
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(creds)
            .endpoint_url(&self.endpoint)
            .load()
            .await
    }

    fn embedded_only(&self, what: &str) {
        assert!(
            self.is_embedded(),
            "Emulator::{what} needs the project's emulator, but the endpoint is external \
             ({}); guard the assertion with `control_api` (or the test with `require_embedded`)",
            self.endpoint
        );
    }

    fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let body = body.map(|b| b.to_string());
        match http(&self.endpoint, method, path, body.as_deref()) {
            Ok((200, text)) => serde_json::from_str(&text).unwrap_or(Value::Null),
            Ok((status, text)) => panic!("{method} {path}: HTTP {status}: {text}"),
            Err(e) => panic!(
                "{method} {path} at {}: {e}{}",
                self.endpoint,
                self.log_path
                    .as_ref()
                    .map(|p| format!(" (emulator log {})", p.display()))
                    .unwrap_or_default()
            ),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let rejected = if std::thread::panicking()
            || self
                .model_rejections_allowed
                .load(std::sync::atomic::Ordering::Relaxed)
        {
            Vec::new()
        } else {
            self.model_rejections().unwrap_or_default()
        };
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            if std::thread::panicking() {
                if let Some(log) = &self.log_path {
                    eprintln!(
                        "emulator log ({}), last lines:\n{}",
                        log.display(),
                        tail(log, 30)
                    );
                }
                // Keep the log for inspection.
                if let Some(dir) = self._dir.take() {
                    let kept = dir.keep();
                    eprintln!("emulator files kept in {}", kept.display());
                }
            }
        }
        assert!(
            rejected.is_empty(),
            "the emulator refused requests that break the AWS API model (a provider bug: \
             AWS would refuse them too):\n{}",
            rejected.join("\n")
        );
    }
}

fn external_endpoint() -> Option<String> {
    std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Minimal blocking HTTP/1.1 client for the control API: (status, body).
fn http(
    endpoint: &str,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let authority = endpoint
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let addr = std::net::ToSocketAddrs::to_socket_addrs(&authority)?
        .next()
        .ok_or_else(|| std::io::Error::other(format!("cannot resolve {authority}")))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(CONTROL_TIMEOUT))?;
    stream.set_write_timeout(Some(CONTROL_TIMEOUT))?;
    let body = body.unwrap_or("");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("malformed HTTP response"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    Ok((status, rest.to_string()))
}

/// A sleep for SDK clients that sleeps `factor` times the requested time (at least 1 ms).
///
/// The SDK's generated waiters poll no faster than their modelled minimum delay (30 s for
/// EKS's ClusterActive); tests give the client this sleep so that a waiter still polls and
/// waits through CREATING for real, only with shorter pauses between polls. Retries use it
/// too. Install it with `aws_sdk_eks::config::Builder::from(&sdk_config).sleep_impl(..)`.
#[derive(Debug, Clone, Copy)]
pub struct ScaledSleep {
    factor: f64,
}

impl ScaledSleep {
    pub fn new(factor: f64) -> Self {
        ScaledSleep { factor }
    }
}

impl aws_sdk_eks::config::AsyncSleep for ScaledSleep {
    fn sleep(&self, duration: Duration) -> aws_sdk_eks::config::Sleep {
        let scaled = duration.mul_f64(self.factor).max(Duration::from_millis(1));
        aws_sdk_eks::config::Sleep::new(tokio::time::sleep(scaled))
    }
}

/// A resource name unique to this process and call (`prefix-<pid>-<n>`), so that tests can
/// share an external endpoint and be re-run against it. Lowercase, at most 40 characters
/// for prefixes up to 20 characters (fits ElastiCache and RDS identifiers).
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{:x}{:x}-{n}", std::process::id(), nanos % 0xffff)
}
