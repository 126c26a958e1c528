//! `make bench`, part 2: `mosia_environment` apply time against its critical path, and AWS
//! API calls per refresh, through Terraform 1.15.5 and the emulator with lifecycles on.
//!
//! The emulator's create durations are set per kind; the environment's critical path is
//! the longest dependency chain of those (network and IAM are instant here): EKS cluster
//! then node group, RDS primary then replica, ElastiCache, MSK. The ratio apply wall time
//! ÷ critical path shows how much the provider adds to the unavoidable waiting
//! (target ≤ 1.10).

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
    read_replicas  = 1
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

fn main() {
    let em = Emulator::start();
    if em
        .require_embedded("lifecycle timing and call counts")
        .is_none()
    {
        return;
    }
    // Seconds per create: chosen so the chains differ and EKS + node group is the longest.
    let (eks, ng, rds, cache, msk) = (6.0, 5.0, 4.0, 7.0, 9.0);
    em.set_durations(serde_json::json!({
        "eks_cluster": {"create": eks, "delete": 1},
        "eks_nodegroup": {"create": ng, "delete": 1},
        "rds_instance": {"create": rds, "delete": 1},
        "elasticache_replication_group": {"create": cache, "delete": 1},
        "msk_cluster": {"create": msk, "delete": 1},
    }));
    let critical: f64 = [eks + ng, rds + rds, cache, msk]
        .into_iter()
        .fold(0.0, f64::max);

    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.05");
    tf.write("main.tf", CONFIG);
    tf.ok(&["init", "-input=false"]);
    let start = Instant::now();
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let wall = start.elapsed().as_secs_f64();

    em.clear_call_counts();
    tf.ok(&["plan", "-refresh-only", "-input=false"]);
    let counts = em.call_counts();
    let total = counts["total"].as_u64().unwrap_or(0);
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);

    println!();
    println!("mosia_environment on the emulator (lifecycles: EKS {eks}s + node group {ng}s, RDS {rds}s + replica {rds}s, ElastiCache {cache}s, MSK {msk}s)");
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| critical path (longest chain of configured creates) | {critical:.1} s |");
    println!("| terraform apply wall time (includes Terraform's own start-up) | {wall:.1} s |");
    println!(
        "| ratio apply / critical path | {:.3} (target <= 1.10) |",
        wall / critical
    );
    println!("| AWS API calls per refresh (`plan -refresh-only`) | {total} |");
    println!();
    println!(
        "calls per operation during the refresh: {}",
        counts["services"]
    );
}
