//! `make chaos`: reliability figures for one full environment (network over 3 AZs, IAM, EKS
//! with a node group, RDS, ElastiCache with a replica, MSK) applied
//! through Terraform 1.15.5 against the emulator's `lifecycle` profile (every create 3 s,
//! update 2 s, delete 2 s), `MOSIA_POLL_SCALE=0.05`. `CHAOS_TRIALS=N` trials (default 5) of
//! each kind, every trial on a freshly reset emulator and a fresh working directory:
//!
//! - **kill -9**: Terraform and every provider process it started are SIGKILLed at a random
//!   moment of the apply (uniform over the reference apply's duration), then `apply` runs
//!   again. Converged: that apply succeeds. Duplicates: objects beyond the reference
//!   inventory, counted per kind over everything the endpoint holds (not only what carries
//!   the ownership tags, since a duplicate may have missed its tags). Then the second plan
//!   must be empty, and `destroy` must leave nothing: no object with the environment's
//!   ownership tag, and the inventory back to what the reset emulator held (no orphans).
//! - **fault storm**: every 0.2–1 s during the first apply, a burst of 3 throttling or 5xx
//!   answers (even odds, each service's own codes) on a random service of the environment
//!   (EC2, IAM, EKS, RDS, ElastiCache, MSK), for the length of the apply but at most
//!   [`STORM_LIMIT`]. Bursts add up: the answers of a burst on a service that is not being
//!   called wait for its next calls, so a service idle for a while meets several bursts in a
//!   row (as a describe does after a long wait elsewhere); what is left when the storm ends
//!   is dropped. Did the FIRST apply succeed? (If not, a calm re-apply must converge.) Then
//!   the same checks.
//! - **Ctrl-C**: SIGINT to Terraform at a random moment of the apply (the provider ignores
//!   the signal, as go-plugin providers do: Terraform sends StopProvider). Terraform must
//!   exit promptly; then `apply` again converges, with the same checks.
//!
//! One trial takes 17–25 s here (two cores, debug build, reference apply about 8 s); a storm
//! trial takes up to 80 s when one call's backoff reaches its 20 s cap and outwaits the
//! storm. The default 5 of each kind take 5–7 minutes, 20 of each about 25. `CHAOS_SEED=N` replays
//! the same random moments and storms; `CHAOS_KINDS=storm` (or `kill`, `ctrl-c`, comma
//! separated) runs only those kinds. The provider's logs (`TF_LOG_PROVIDER=INFO`) and
//! Terraform's output of a failed trial (of every trial with `CHAOS_KEEP_LOGS=1`) are kept
//! under the system temporary directory, `mosia-chaos-SEED/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::inventory::{excess, inventory};
use mosia_acceptance_tests::owned::owned_objects;
use mosia_acceptance_tests::terraform::{installed_core, kill_tree, Output, Workdir};
use serde_json::json;

const NAME: &str = "mosia-chaos";
const POLL_SCALE: &str = "0.05";
const APPLY: &[&str] = &["apply", "-auto-approve", "-input=false"];
const DESTROY: &[&str] = &["destroy", "-auto-approve", "-input=false"];

const CONFIG: &str = r#"terraform {
  required_providers {
    mosia = { source = "mosia/mosia" }
  }
}
provider "mosia" {
  region = "us-east-1"
}
resource "mosia_environment" "chaos" {
  name = "mosia-chaos"
  tier = "dev"
  network {
    cidr_block = "10.60.0.0/16"
    az_count   = 3
  }
  eks {
    version = "1.31"
    node_group "general" {
      instance_types = ["m6i.large"]
      min_size       = 1
      max_size       = 3
      desired_size   = 2
    }
  }
  rds {
    engine_version = "16.4"
  }
  elasticache {
    engine_version = "7.1"
    replicas       = 1
  }
  msk {
    kafka_version = "3.6.0"
  }
}
"#;

/// The longest storm: several times a calm apply (about 8 s), but bounded, since bursts
/// that add up faster than a slowed apply meets them would otherwise never end.
const STORM_LIMIT: Duration = Duration::from_secs(60);

/// An AWS error code with the HTTP status the service answers it with.
type Answer = (&'static str, u16);

/// Services of the storm, with their throttling code and their 5xx codes.
const STORM: &[(&str, Answer, &[Answer])] = &[
    (
        "ec2",
        ("RequestLimitExceeded", 503),
        &[("InternalError", 500), ("Unavailable", 503)],
    ),
    ("iam", ("Throttling", 400), &[("ServiceFailure", 500)]),
    (
        "eks",
        ("ThrottlingException", 429),
        &[
            ("ServerException", 500),
            ("ServiceUnavailableException", 503),
        ],
    ),
    (
        "rds",
        ("Throttling", 400),
        &[("InternalFailure", 500), ("ServiceUnavailable", 503)],
    ),
    (
        "elasticache",
        ("Throttling", 400),
        &[("InternalFailure", 500), ("ServiceUnavailable", 503)],
    ),
    (
        "kafka",
        ("TooManyRequestsException", 429),
        &[
            ("InternalServerErrorException", 500),
            ("ServiceUnavailableException", 503),
        ],
    ),
];

/// xorshift64*: random moments and storms, reproducible from `CHAOS_SEED`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in `[a, b)`.
    fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Kill,
    Storm,
    CtrlC,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Kill => "kill",
            Kind::Storm => "storm",
            Kind::CtrlC => "ctrl-c",
        }
    }
}

/// What one trial found.
struct Trial {
    kind: Kind,
    /// Storm: the first apply succeeded. Others: `None`.
    first_apply_ok: Option<bool>,
    /// The environment converged (kill/Ctrl-C: the re-apply; storm: the first apply or a
    /// calm re-apply after it).
    converged: bool,
    duplicates: Vec<(String, usize)>,
    plan_empty: bool,
    /// Destroy succeeded and left nothing.
    clean: bool,
    orphans: Vec<String>,
    /// What happened: the kill or SIGINT moment, the faults met, errors.
    note: String,
    secs: f64,
    /// Ctrl-C: seconds from SIGINT to Terraform's exit.
    stop_secs: Option<f64>,
    /// Ctrl-C: the provider logged StopProvider.
    stop_provider: bool,
    /// Storm: faulted calls during the first apply.
    faulted: u64,
    /// Kill and Ctrl-C: seconds into `terraform apply` of the interruption.
    at: f64,
    /// Kill and Ctrl-C: how many of [`SERVICE_CREATES`] were called before the interruption.
    creates_before: u64,
    /// Ctrl-C: Terraform exited non-zero (the apply was cut short, not finished).
    interrupted: bool,
}

impl Trial {
    fn ok(&self) -> bool {
        self.first_apply_ok != Some(false)
            && self.converged
            && self.duplicates.is_empty()
            && self.plan_empty
            && self.clean
    }
}

/// The reference run: a clean apply's duration and inventory.
struct Reference {
    apply: f64,
    destroy: f64,
    objects: BTreeMap<String, usize>,
    owned: usize,
}

struct Bench {
    em: Emulator,
    rng: Rng,
    seed: u64,
    keep: PathBuf,
}

fn main() {
    let trials: usize = std::env::var("CHAOS_TRIALS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    let seed: u64 = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros() as u64 % 1_000_000)
                .unwrap_or(1)
        });
    tokio::runtime::Runtime::new()
        .expect("tokio runtime")
        .block_on(run(trials, seed));
}

async fn run(trials: usize, seed: u64) {
    let em = Emulator::start_with_profile("lifecycle");
    if em
        .require_embedded("lifecycle timing, fault injection and resets")
        .is_none()
    {
        return;
    }
    em.warm_up().await;
    let keep = std::env::temp_dir().join(format!("mosia-chaos-{seed}"));
    let mut bench = Bench {
        em,
        rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        seed,
        keep,
    };
    let started = Instant::now();
    let reference = bench.reference().await;
    eprintln!(
        "chaos: reference apply {:.1} s, destroy {:.1} s, {} owned objects; {trials} trials of each kind, seed {seed}",
        reference.apply, reference.destroy, reference.owned
    );
    let kinds = std::env::var("CHAOS_KINDS").unwrap_or_default();
    let mut results = Vec::new();
    for kind in [Kind::Kill, Kind::Storm, Kind::CtrlC] {
        if !kinds.trim().is_empty() && !kinds.split(',').any(|k| k.trim() == kind.label()) {
            continue;
        }
        for i in 0..trials {
            let t = bench.trial(kind, i, &reference).await;
            eprintln!(
                "chaos: {} #{}: {} in {:.0} s: {}",
                kind.label(),
                i + 1,
                if t.ok() { "ok" } else { "FAILED" },
                t.secs,
                t.note
            );
            results.push(t);
        }
    }
    print_table(&bench, trials, &reference, &results, started.elapsed());
}

impl Bench {
    /// A fresh working directory holding the configuration, initialised, with the
    /// provider's logs in `tf.log`.
    fn workdir(&self) -> Workdir {
        let mut tf = Workdir::new(&installed_core("1.15.5"), self.em.endpoint());
        tf.set_env("MOSIA_POLL_SCALE", POLL_SCALE);
        tf.set_env("TF_LOG_PROVIDER", "INFO");
        let log = tf.dir.path().join("tf.log");
        tf.set_env("TF_LOG_PATH", &log.display().to_string());
        tf.timeout = Duration::from_secs(900);
        tf.write("main.tf", CONFIG);
        tf.ok(&["init", "-input=false"]);
        tf
    }

    async fn reference(&mut self) -> Reference {
        self.em.reset();
        let cfg = self.em.sdk_config().await;
        let baseline = inventory(&cfg).await;
        let tf = self.workdir();
        let apply = tf.ok(APPLY).elapsed.as_secs_f64();
        let objects = inventory(&cfg).await;
        let owned = owned_objects(&cfg, NAME).await.len();
        assert_eq!(
            tf.plan_exit().code,
            0,
            "the reference's second plan is empty"
        );
        let destroy = tf.ok(DESTROY).elapsed.as_secs_f64();
        let left = excess(&baseline, &inventory(&cfg).await);
        assert!(left.is_empty(), "the reference destroy left {left:?}");
        Reference {
            apply,
            destroy,
            objects,
            owned,
        }
    }

    async fn trial(&mut self, kind: Kind, i: usize, reference: &Reference) -> Trial {
        let started = Instant::now();
        self.em.reset();
        let cfg = self.em.sdk_config().await;
        let baseline = inventory(&cfg).await;
        let tf = self.workdir();
        let mut t = Trial {
            kind,
            first_apply_ok: None,
            converged: false,
            duplicates: vec![],
            plan_empty: false,
            clean: false,
            orphans: vec![],
            note: String::new(),
            secs: 0.0,
            stop_secs: None,
            stop_provider: false,
            faulted: 0,
            at: 0.0,
            creates_before: 0,
            interrupted: false,
        };
        let mut outputs: Vec<(String, String)> = Vec::new();
        match kind {
            Kind::Kill | Kind::CtrlC => {
                let at = self.rng.uniform(0.5, reference.apply * 0.95);
                t.at = at;
                let log = tf.dir.path().join("interrupted.txt");
                self.em.clear_call_counts();
                let mut child = tf.spawn_logged(APPLY, &log);
                std::thread::sleep(Duration::from_secs_f64(at));
                if kind == Kind::Kill {
                    kill_tree(child.id());
                    let _ = child.wait();
                    t.creates_before = creates(&self.em);
                    t.note = format!(
                        "killed at {at:.1} s, {}/6 service objects created",
                        t.creates_before
                    );
                } else {
                    let signalled = Instant::now();
                    let _ = Command::new("kill")
                        .args(["-INT", &child.id().to_string()])
                        .status();
                    let exited = wait_for(&mut child, Duration::from_secs(120));
                    let stop = signalled.elapsed().as_secs_f64();
                    match exited {
                        Some(code) => {
                            t.stop_secs = Some(stop);
                            t.interrupted = code != 0;
                            t.note = format!(
                                "SIGINT at {at:.1} s, Terraform exited {code} {stop:.2} s later"
                            );
                        }
                        None => {
                            kill_tree(child.id());
                            let _ = child.wait();
                            t.note =
                                format!("SIGINT at {at:.1} s: Terraform did not exit in 120 s");
                        }
                    }
                    t.stop_provider = std::fs::read_to_string(tf.dir.path().join("tf.log"))
                        .is_ok_and(|l| l.contains("StopProvider"));
                    t.creates_before = creates(&self.em);
                }
                outputs.push((
                    "interrupted apply".into(),
                    std::fs::read_to_string(&log).unwrap_or_default(),
                ));
                // SIGKILL leaves the local state's lock behind.
                let _ = std::fs::remove_file(tf.path().join(".terraform.tfstate.lock.info"));
                let out = tf.run(APPLY);
                t.converged = out.code == 0;
                if !t.converged {
                    t.note
                        .push_str(&format!("; re-apply failed: {}", errors_of(&out)));
                }
                outputs.push(("re-apply".into(), out.combined()));
            }
            Kind::Storm => {
                self.em.clear_call_counts();
                let stop = AtomicBool::new(false);
                let mut rng = Rng(self.rng.next() | 1);
                let em = &self.em;
                let (out, bursts) = std::thread::scope(|s| {
                    let storm = s.spawn(|| storm(em, &mut rng, &stop));
                    let out = tf.run(APPLY);
                    stop.store(true, Ordering::Relaxed);
                    (out, storm.join().expect("the storm thread"))
                });
                self.em.clear_faults();
                t.faulted = self.em.call_counts()["faulted"].as_u64().unwrap_or(0);
                t.first_apply_ok = Some(out.code == 0);
                t.note = format!(
                    "first apply {:.1} s under {bursts} bursts, {} faulted calls",
                    out.elapsed.as_secs_f64(),
                    t.faulted
                );
                outputs.push(("stormed apply".into(), out.combined()));
                t.converged = out.code == 0;
                if !t.converged {
                    t.note
                        .push_str(&format!("; first apply failed: {}", errors_of(&out)));
                    let again = tf.run(APPLY);
                    t.converged = again.code == 0;
                    outputs.push(("calm re-apply".into(), again.combined()));
                }
            }
        }
        self.check(&tf, &cfg, &baseline, reference, &mut t, &mut outputs)
            .await;
        t.secs = started.elapsed().as_secs_f64();
        if !t.ok() || std::env::var_os("CHAOS_KEEP_LOGS").is_some() {
            let dir = self.keep.join(format!("{}-{}", kind.label(), i + 1));
            keep_logs(&tf, &dir, &outputs);
            t.note.push_str(&format!(" (logs: {})", dir.display()));
        }
        t
    }

    /// Duplicates, second plan, destroy and what it left.
    async fn check(
        &self,
        tf: &Workdir,
        cfg: &aws_config::SdkConfig,
        baseline: &BTreeMap<String, usize>,
        reference: &Reference,
        t: &mut Trial,
        outputs: &mut Vec<(String, String)>,
    ) {
        if t.converged {
            t.duplicates = excess(&reference.objects, &inventory(cfg).await);
            let plan = tf.run(&["plan", "-detailed-exitcode", "-input=false"]);
            t.plan_empty = plan.code == 0;
            if !t.plan_empty {
                outputs.push(("second plan".into(), plan.combined()));
            }
        }
        let destroy = tf.run(DESTROY);
        let owned = owned_objects(cfg, NAME).await;
        let left = excess(baseline, &inventory(cfg).await);
        t.clean = destroy.code == 0 && owned.is_empty() && left.is_empty();
        if destroy.code != 0 {
            t.note
                .push_str(&format!("; destroy failed: {}", errors_of(&destroy)));
            outputs.push(("destroy".into(), destroy.combined()));
        }
        t.orphans = owned;
        t.orphans
            .extend(left.iter().map(|(k, n)| format!("{n} x {k}")));
    }
}

/// Bursts of 3 throttling or 5xx answers on random services every 0.2-1 s until `stop`, for
/// at most [`STORM_LIMIT`] (they add up on a service that is not called meanwhile). Returns
/// the number of bursts.
fn storm(em: &Emulator, rng: &mut Rng, stop: &AtomicBool) -> usize {
    let mut bursts = 0;
    let end = Instant::now() + STORM_LIMIT;
    while !stop.load(Ordering::Relaxed) && Instant::now() < end {
        let pause = Duration::from_secs_f64(rng.uniform(0.2, 1.0));
        let until = Instant::now() + pause;
        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20));
        }
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let (service, throttle, errors) = rng.pick(STORM);
        let (code, status) = if rng.uniform(0.0, 1.0) < 0.5 {
            *throttle
        } else {
            *rng.pick(errors)
        };
        em.inject_fault(json!({
            "service": service, "count": 3, "error_code": code, "http_status": status,
            "message": "injected by make chaos"
        }));
        bursts += 1;
    }
    // The storm is over: what it left unanswered goes with it.
    em.clear_faults();
    bursts
}

/// The creates of the environment's long-lived service objects, in the order an apply
/// reaches them: where in the apply an interruption landed (the network's creates all
/// happen in its first second or two).
const SERVICE_CREATES: [(&str, &str); 6] = [
    ("eks", "CreateCluster"),
    ("rds", "CreateDBInstance"),
    ("elasticache", "CreateReplicationGroup"),
    ("kafka", "CreateClusterV2"),
    ("eks", "CreateNodegroup"),
    ("rds", "CreateDBInstanceReadReplica"),
];

/// How many of [`SERVICE_CREATES`] were called.
fn creates(em: &Emulator) -> u64 {
    let counts = em.call_counts();
    SERVICE_CREATES
        .iter()
        .filter(|(service, op)| counts["services"][service][op].as_u64().unwrap_or(0) > 0)
        .count() as u64
}

/// The exit code of `child` once it exits within `limit`; None when it is still running.
fn wait_for(child: &mut std::process::Child, limit: Duration) -> Option<i32> {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status.code().unwrap_or(-1));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The error lines of a failed Terraform run, shortened.
fn errors_of(out: &Output) -> String {
    let text = out.combined();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .map(|l| l.trim_start_matches('│').trim())
        .filter(|l| l.starts_with("Error:") || l.starts_with("- part"))
        .collect();
    let joined = if lines.is_empty() {
        format!("exit {}", out.code)
    } else {
        lines.join(" ")
    };
    joined.chars().take(400).collect()
}

fn keep_logs(tf: &Workdir, dir: &Path, outputs: &[(String, String)]) {
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::copy(tf.dir.path().join("tf.log"), dir.join("provider.log"));
    let mut text = String::new();
    for (what, out) in outputs {
        text.push_str(&format!("===== {what}\n{out}\n"));
    }
    let _ = std::fs::write(dir.join("terraform.txt"), text);
}

fn print_table(
    bench: &Bench,
    trials: usize,
    reference: &Reference,
    results: &[Trial],
    wall: Duration,
) {
    let of = |kind: Kind| results.iter().filter(move |t| t.kind == kind);
    let count = |kind: Kind, f: &dyn Fn(&Trial) -> bool| of(kind).filter(|t| f(t)).count();
    let dups = |kind: Kind| -> usize {
        of(kind)
            .flat_map(|t| t.duplicates.iter().map(|(_, n)| n))
            .sum()
    };
    let orphans = |kind: Kind| -> usize { of(kind).map(|t| t.orphans.len()).sum() };
    let mean_secs = |kind: Kind| of(kind).map(|t| t.secs).sum::<f64>() / trials as f64;
    let n = trials;

    println!();
    println!(
        "make chaos: one full environment (network 3 AZs, IAM, EKS + node group, RDS, \
         ElastiCache + replica, MSK), Terraform 1.15.5, emulator profile `lifecycle` (create 3 s, \
         update 2 s, delete 2 s), MOSIA_POLL_SCALE={POLL_SCALE}, seed {}",
        bench.seed
    );
    println!(
        "reference: apply {:.1} s, destroy {:.1} s, {} objects with the ownership tag",
        reference.apply, reference.destroy, reference.owned
    );
    println!();
    println!("| trials | converged | first apply succeeded | duplicates | second plan empty | destroy leaves nothing (orphans) | notes | mean time per trial |");
    println!("|---|---|---|---|---|---|---|---|");
    let stops: Vec<f64> = of(Kind::CtrlC).filter_map(|t| t.stop_secs).collect();
    let faulted: u64 = of(Kind::Storm).map(|t| t.faulted).sum();
    // "5.8 s (4/6)": the moment, and how many of the 6 service objects had been created.
    let moments = |kind: Kind| {
        of(kind)
            .map(|t| format!("{:.1} s ({}/6)", t.at, t.creates_before))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (kind, label, first, note) in [
        (
            Kind::Kill,
            "kill -9 of Terraform and the provider mid-apply, then apply",
            "-".to_string(),
            format!(
                "killed at (service objects created by then) {}",
                moments(Kind::Kill)
            ),
        ),
        (
            Kind::Storm,
            "fault storm during the first apply (bursts of 3 throttling/5xx answers on a random service every 0.2-1 s, adding up)",
            format!(
                "**{}/{n}**",
                count(Kind::Storm, &|t| t.first_apply_ok == Some(true))
            ),
            format!("{faulted} faulted calls in all"),
        ),
        (
            Kind::CtrlC,
            "Ctrl-C (SIGINT to Terraform: StopProvider) mid-apply, then apply",
            "-".to_string(),
            format!(
                "Terraform exited {} after SIGINT, non-zero (apply cut short) {}/{n}; \
                 StopProvider received {}/{n}; SIGINT at {}",
                span(&stops),
                count(Kind::CtrlC, &|t| t.interrupted),
                count(Kind::CtrlC, &|t| t.stop_provider),
                moments(Kind::CtrlC)
            ),
        ),
    ] {
        if of(kind).next().is_none() {
            continue;
        }
        println!(
            "| {label} ({n}) | {}/{n} | {first} | {} | {}/{n} | {}/{n} ({}) | {note} | {:.0} s |",
            count(kind, &|t| t.converged),
            dups(kind),
            count(kind, &|t| t.plan_empty),
            count(kind, &|t| t.clean),
            orphans(kind),
            mean_secs(kind),
        );
    }
    println!();
    println!(
        "{} of {} trials met every target; wall time {:.1} min",
        results.iter().filter(|t| t.ok()).count(),
        results.len(),
        wall.as_secs_f64() / 60.0
    );
    for t in results.iter().filter(|t| !t.ok()) {
        println!(
            "- {} failed: {}{}{}",
            t.kind.label(),
            t.note,
            if t.duplicates.is_empty() {
                String::new()
            } else {
                format!("; duplicates {:?}", t.duplicates)
            },
            if t.orphans.is_empty() {
                String::new()
            } else {
                format!("; left {:?}", t.orphans)
            }
        );
    }
}

/// "0.8-2.1 s" (or "-" when empty).
fn span(xs: &[f64]) -> String {
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(0.0, f64::max);
    if xs.is_empty() {
        "-".into()
    } else {
        format!("{lo:.2}-{hi:.2} s")
    }
}
