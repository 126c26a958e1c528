//! `make bench`, part 2: `mosia_environment` apply time against its critical path, and AWS
//! API calls per refresh, through Terraform 1.15.5 and the emulator with lifecycles on.
//!
//! Everything runs at 1/60 of real time: the emulator's `scaled` profile takes typical real
//! AWS durations (EKS cluster 11 min, node group 15 min, RDS instance 8.5 min per instance,
//! ElastiCache 12.5 min, MSK 29 min) divided by 60, and `MOSIA_POLL_SCALE` shrinks the
//! provider's poll schedule by the same factor, so polling overshoots as it would on AWS.
//! The critical path is the longest dependency chain of the configured creates (network and
//! IAM are instant here): EKS cluster, then the add-ons nodes need (vpc-cni, kube-proxy, pod
//! identity agent, side by side), the node group, then the add-ons that need nodes (coredns,
//! EBS CSI driver); RDS; ElastiCache; MSK. The ratio apply wall time ÷ critical path shows how
//! much the provider and Terraform add to the unavoidable waiting (target ≤ 1.05).
//!
//! The emulator's first call to a service loads its code (about a second for RDS): each
//! service is called once before timing, since AWS has no such cost.

use std::time::Instant;

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{installed_core, Workdir};

const CONFIG: &str = r#"terraform {
  required_providers {
    mosia = { source = "mosia/mosia" }
  }
}
provider "mosia" {
  region = "us-east-1"
}
resource "mosia_environment" "bench" {
  name = "mosia-bench"
  tier = "dev"
  network {
    cidr_block = "10.40.0.0/16"
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

/// Seconds of the configured create of `kind` in the emulator.
fn create_seconds(durations: &serde_json::Value, kind: &str) -> f64 {
    durations[kind]["create"]
        .as_f64()
        .or_else(|| durations["durations"][kind]["create"].as_f64())
        .unwrap_or_else(|| panic!("no create duration for {kind}: {durations}"))
}

const SCALE: f64 = 1.0 / 60.0;

fn main() {
    // Read by the emulator at start: its `scaled` profile divides real durations by 60.
    std::env::set_var("MOSIA_EMULATOR_SCALE", format!("{SCALE}"));
    tokio::runtime::Runtime::new()
        .expect("tokio runtime")
        .block_on(run());
}

async fn run() {
    let scale = SCALE;
    let em = Emulator::start_with_profile("scaled");
    if em
        .require_embedded("lifecycle timing and call counts")
        .is_none()
    {
        return;
    }
    let durations = em.durations();
    let d = |kind: &str| create_seconds(&durations, kind);
    let (eks, addon, ng, rds, cache, msk) = (
        d("eks_cluster"),
        d("eks_addon"),
        d("eks_nodegroup"),
        d("rds_instance"),
        d("elasticache_replication_group"),
        d("msk_cluster"),
    );
    // Cluster → add-ons before nodes → node group → add-ons after nodes.
    let eks_chain = eks + addon + ng + addon;
    let critical: f64 = [eks_chain, rds, cache, msk].into_iter().fold(0.0, f64::max);
    em.warm_up().await;

    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", &format!("{scale}"));
    tf.write("main.tf", CONFIG);
    tf.ok(&["init", "-input=false"]);
    let start = Instant::now();
    tf.ok(&["plan", "-input=false", "-out=tfplan"]);
    let plan = start.elapsed().as_secs_f64();
    let start = Instant::now();
    tf.ok(&["apply", "-input=false", "tfplan"]);
    let apply = start.elapsed().as_secs_f64();
    // What Terraform itself costs around the provider: an apply with nothing to do.
    let start = Instant::now();
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let idle = start.elapsed().as_secs_f64();

    em.clear_call_counts();
    tf.ok(&["plan", "-refresh-only", "-input=false"]);
    let counts = em.call_counts();
    let total = counts["total"].as_u64().unwrap_or(0);
    let start = Instant::now();
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let destroy = start.elapsed().as_secs_f64();

    println!();
    println!("mosia_environment on the emulator at 1/60 of real time (creates: EKS {eks}s + add-ons {addon}s + node group {ng}s + add-ons {addon}s, RDS {rds}s, ElastiCache {cache}s, MSK {msk}s)");
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| critical path (longest chain of configured creates) | {critical:.1} s |");
    println!("| `terraform plan -out` | {plan:.1} s |");
    println!("| `terraform apply PLANFILE` wall time | {apply:.1} s |");
    println!(
        "| **ratio apply / critical path** | **{:.3}** (target <= 1.05) |",
        apply / critical
    );
    println!(
        "| ratio plan + apply / critical path | {:.3} |",
        (plan + apply) / critical
    );
    println!("| `terraform apply` with nothing to change (Terraform's own cost: start-up, refresh, plan) | {idle:.1} s |");
    println!("| `terraform destroy` wall time | {destroy:.1} s |");
    println!("| AWS API calls per refresh (`plan -refresh-only`) | {total} |");
    println!();
    println!(
        "calls per operation during the refresh: {}",
        counts["services"]
    );
}
