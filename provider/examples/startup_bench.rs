//! `make bench`: start-to-handshake time with AutoMTLS and peak RSS of
//! terraform-provider-mosia, side by side with the Go null provider, in one run.
//!
//! Usage: startup_bench MOSIA_BINARY GO_PROVIDER_BINARY [ROUNDS]
//!
//! Each round launches both binaries as Terraform does (magic cookie, P-521 client
//! certificate), alternating which goes first, and measures spawn → complete handshake
//! line. Peak RSS (VmHWM) is read after a schema-only session: for Mosia a
//! GetProviderSchema call, for the Go provider (protocol 5) a health check, as its
//! schema RPC lives in another protocol.

use std::path::PathBuf;
use std::time::Duration;

use mosia_tfplugin::client::{peak_rss_kib, LaunchOptions, Plugin};
use mosia_tfplugin::proto;

struct Sample {
    handshake: Duration,
    rss_kib: u64,
}

async fn run_once(binary: &std::path::Path, mosia: bool, dir: &std::path::Path) -> Sample {
    let opts = LaunchOptions {
        socket_dir: Some(dir.to_path_buf()),
        ..Default::default()
    };
    let plugin = Plugin::start(binary, &opts)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()));
    if mosia {
        plugin
            .provider()
            .get_provider_schema(proto::get_provider_schema::Request {})
            .await
            .expect("schema");
    } else {
        plugin
            .health()
            .check(tonic_health::pb::HealthCheckRequest {
                service: "plugin".into(),
            })
            .await
            .expect("health");
    }
    let rss_kib = plugin.pid().and_then(peak_rss_kib).unwrap_or(0);
    let handshake = plugin.launched.time_to_handshake;
    let _ = plugin.shutdown(Duration::from_secs(5)).await;
    Sample { handshake, rss_kib }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn summarize(samples: &[Sample]) -> (f64, f64, f64, u64) {
    let mut ms: Vec<f64> = samples
        .iter()
        .map(|s| s.handshake.as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let rss = samples.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    (percentile(&ms, 0.5), percentile(&ms, 0.9), ms[0], rss)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!(
            "usage: {} MOSIA_BINARY GO_PROVIDER_BINARY [ROUNDS]",
            args[0]
        );
        std::process::exit(2);
    }
    let mosia = PathBuf::from(&args[1]);
    let go = PathBuf::from(&args[2]);
    let rounds: usize = args.get(3).and_then(|r| r.parse().ok()).unwrap_or(30);
    let dir = tempfile::tempdir().expect("tempdir");

    // One unmeasured launch each: page cache and dynamic loader warm-up.
    run_once(&mosia, true, dir.path()).await;
    run_once(&go, false, dir.path()).await;

    let (mut m, mut g) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            m.push(run_once(&mosia, true, dir.path()).await);
            g.push(run_once(&go, false, dir.path()).await);
        } else {
            g.push(run_once(&go, false, dir.path()).await);
            m.push(run_once(&mosia, true, dir.path()).await);
        }
    }
    let (m50, m90, mmin, mrss) = summarize(&m);
    let (g50, g90, gmin, grss) = summarize(&g);
    println!("Provider start-up with AutoMTLS (P-521 client certificate), {rounds} rounds, alternating order");
    println!();
    println!("| provider | handshake median ms | p90 ms | min ms | peak RSS MB (schema-only) |");
    println!("|---|---|---|---|---|");
    println!(
        "| terraform-provider-mosia (Rust) | {m50:.2} | {m90:.2} | {mmin:.2} | {:.1} |",
        mrss as f64 / 1024.0
    );
    println!(
        "| terraform-provider-null 2.1.2 (Go) | {g50:.2} | {g90:.2} | {gmin:.2} | {:.1} |",
        grss as f64 / 1024.0
    );
    println!();
    println!(
        "handshake ratio mosia/go (median): {:.3}   (target <= 0.35)",
        m50 / g50
    );
    println!(
        "peak RSS mosia: {:.1} MB   (target <= 15 MB)",
        mrss as f64 / 1024.0
    );
}
