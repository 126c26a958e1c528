//! `mosia_environment` on the other Terraform cores: a smoke apply, an empty second plan
//! and a destroy of a small environment (network, RDS, ElastiCache) on Terraform 1.0.3 (the
//! oldest core the provider serves) and on the `terraform` found on PATH; after the destroy,
//! no AWS object tagged with the environment's name is left. Import by name works there
//! too.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::owned::{has_kind, owned_objects};
use mosia_acceptance_tests::terraform::{
    installed_core, path_core, resource_values, Core, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.smoke";

fn config(name: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "smoke" {{
  name = "{name}"
  tier = "dev"
  tags = {{ core = "smoke" }}

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
    cidr_block = "10.50.0.0/16"
    az_count   = 2
  }}

  rds {{
    engine_version = "16.4"
  }}

  elasticache {{
    engine_version = "7.1"
    replicas       = 1
  }}
}}

output "cache_endpoint" {{
  value = mosia_environment.smoke.elasticache.primary_endpoint
}}
"#
    )
}

async fn smoke(core: Core, name: &str) {
    let em = Emulator::start();
    let mut tf = Workdir::new(&core, em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.write("main.tf", &config(name));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["validate"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);

    let state = tf.state_json();
    let v = resource_values(&state, ADDR).expect("environment in state");
    for part in ["network", "rds", "elasticache"] {
        assert_eq!(
            v["part_status"][part], "ready",
            "Terraform {}: {part}: {}",
            core.version, v["part_status"]
        );
    }
    let vpc_id = v["network"]["vpc_id"]
        .as_str()
        .unwrap_or_else(|| panic!("vpc_id in state: {}", v["network"]))
        .to_string();
    let out = tf.ok(&["output", "-raw", "cache_endpoint"]);
    assert!(
        out.stdout.contains(&format!("{name}-cache")),
        "Terraform {}: output {:?}",
        core.version,
        out.stdout
    );

    // In AWS, tagged as the environment's.
    let cfg = em.sdk_config().await;
    let owned = owned_objects(&cfg, name).await;
    assert!(
        owned.contains(&format!("vpc {vpc_id}")),
        "the environment's VPC: {owned:?}"
    );
    for kind in [
        "subnet",
        "route-table",
        "security-group",
        "db-instance",
        "replication-group",
    ] {
        assert!(
            has_kind(&owned, kind),
            "{kind} tagged as the environment's: {owned:?}"
        );
    }
    assert_eq!(
        owned
            .iter()
            .filter(|o| o.starts_with("db-instance "))
            .count(),
        1,
        "one database: {owned:?}"
    );

    let second = tf.plan_exit();
    assert_eq!(
        second.code, 0,
        "Terraform {}: second plan must be empty:\n{}",
        core.version, second.stdout
    );

    // Import by name on this core: forgotten, imported, nothing to change.
    tf.ok(&["state", "rm", ADDR]);
    tf.ok(&["import", "-input=false", ADDR, name]);
    let after_import = tf.plan_exit();
    assert!(
        !after_import
            .stdout
            .contains("mosia_environment.smoke will be"),
        "Terraform {}: imported state matches the configuration:\n{}",
        core.version,
        after_import.stdout
    );

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let left = owned_objects(&cfg, name).await;
    assert!(left.is_empty(), "objects left after destroy: {left:?}");
    let state = tf.state_json();
    assert!(resource_values(&state, ADDR).is_none(), "state emptied");
}

#[tokio::test(flavor = "multi_thread")]
async fn smoke_on_terraform_1_0_3() {
    smoke(installed_core("1.0.3"), "mosia-core-103").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn smoke_on_terraform_from_path() {
    let Some(core) = path_core() else {
        eprintln!("SKIPPED: no `terraform` on PATH");
        return;
    };
    eprintln!(
        "terraform on PATH: {} ({})",
        core.version,
        core.path.display()
    );
    smoke(core, "mosia-core-path").await;
}
