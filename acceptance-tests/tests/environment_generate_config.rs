//! Configuration generated after an import, through Terraform 1.15.5 against the emulator:
//! for an environment of every shape (the network Mosia creates with every service; your
//! own VPC), an `import {}` block with `terraform plan -generate-config-out` writes a
//! configuration that validates and plans "1 to import, 0 to add, 0 to change". Terraform
//! copies every optional attribute from state into it, computed values included
//! (`network.vpc_id` of a VPC Mosia created, `network.cidr_block` of your own VPC): the
//! provider must accept its own output.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::own_vpc;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1_DEFAULT_TAGS,
};

const ADDR: &str = "mosia_environment.this";
const NO_CHANGE: &str = "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy";

const PROVIDER: &str = MOSIA_US_EAST_1_DEFAULT_TAGS;

/// A staging environment in the network Mosia creates, with every service.
fn everything(name: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "mosia_environment" "this" {{
  name = "{name}"
  tier = "staging"
  tags = {{ cost-center = "42" }}

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
    cidr_block = "10.31.0.0/16"
  }}

  eks {{
    version = "1.31"
    node_group "general" {{
      instance_types = ["m6i.large"]
      labels         = {{ role = "general" }}
    }}
    node_group "batch" {{
      capacity_type = "SPOT"
    }}
  }}

  rds {{
    engine_version = "16.4"
    database_name  = "app"
  }}

  elasticache {{
    engine_version = "7.1"
  }}

  msk {{
    kafka_version = "3.6.0"
  }}
}}
"#
    )
}

/// A dev environment in your own VPC.
fn own_vpc(name: &str, vpc: &str, subnets: &[String]) -> String {
    format!(
        r#"{PROVIDER}
resource "mosia_environment" "this" {{
  name = "{name}"
  tier = "dev"

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
    vpc_id     = "{vpc}"
    subnet_ids = ["{s0}", "{s1}"]
  }}

  rds {{
    engine_version = "16.4"
  }}

  elasticache {{
    engine_version = "7.1"
  }}
}}
"#,
        s0 = subnets[0],
        s1 = subnets[1],
    )
}

fn workdir(em: &Emulator) -> Workdir {
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf
}

/// Creates `config` in one working directory; returns the state's values.
fn create(em: &Emulator, config: &str) -> serde_json::Value {
    let owner = workdir(em);
    owner.write("main.tf", config);
    owner.ok(&["init", "-input=false"]);
    owner.ok(&["apply", "-auto-approve", "-input=false"]);
    let state = owner.state_json();
    resource_values(&state, ADDR).expect("created").clone()
}

/// Imports `name` into an empty working directory with an `import {}` block and
/// `-generate-config-out`, checks the generated configuration validates and plans only
/// the import, applies it and returns the generated text.
fn import_with_generated_config(em: &Emulator, name: &str) -> String {
    let tf = workdir(em);
    tf.write("main.tf", PROVIDER);
    tf.write(
        "import.tf",
        &format!("import {{\n  to = {ADDR}\n  id = \"{name}\"\n}}\n"),
    );
    tf.ok(&["init", "-input=false"]);
    let generating = tf.run(&["plan", "-input=false", "-generate-config-out=generated.tf"]);
    let generated = std::fs::read_to_string(tf.path().join("generated.tf"))
        .unwrap_or_else(|e| panic!("no generated.tf ({e}):\n{}", generating.combined()));
    assert_eq!(
        generating.code,
        0,
        "the plan that generates the configuration:\n{}\n--- generated.tf\n{generated}",
        generating.combined()
    );
    assert!(
        generating.stdout.contains(NO_CHANGE),
        "{}",
        generating.stdout
    );

    let validated = tf.run(&["validate"]);
    assert_eq!(
        validated.code,
        0,
        "the generated configuration validates:\n{}\n--- generated.tf\n{generated}",
        validated.combined()
    );
    let plan = tf.ok(&["plan", "-input=false"]);
    assert!(
        plan.stdout.contains(NO_CHANGE),
        "{}\n--- generated.tf\n{generated}",
        plan.stdout
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    tf.remove("import.tf");
    let after = tf.plan_exit();
    assert_eq!(
        after.code, 0,
        "no changes once imported:\n{}\n--- generated.tf\n{generated}",
        after.stdout
    );
    generated
}

/// The line `  attr = value` of the generated `network` block.
fn network_line<'a>(generated: &'a str, attr: &str) -> Option<&'a str> {
    let block = generated.split("network {").nth(1)?.split('}').next()?;
    block
        .lines()
        .map(str::trim)
        .find(|l| l.split_whitespace().next() == Some(attr))
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_configuration_of_a_mosia_network_with_every_service_plans_only_the_import() {
    let em = Emulator::start();
    let name = "mosia-acc-gen";
    let created = create(&em, &everything(name));
    let vpc_id = created["network"]["vpc_id"]
        .as_str()
        .expect("vpc_id")
        .to_string();

    let generated = import_with_generated_config(&em, name);
    // The computed VPC ID comes back next to the attributes that shape the network.
    assert!(
        network_line(&generated, "vpc_id").is_some_and(|l| l.contains(&vpc_id)),
        "{generated}"
    );
    assert!(
        network_line(&generated, "cidr_block").is_some_and(|l| l.contains("10.31.0.0/16")),
        "{generated}"
    );
    assert!(
        network_line(&generated, "subnet_ids").is_some_and(|l| l.ends_with("null")),
        "{generated}"
    );
    for block in [
        "eks {",
        "node_group \"batch\"",
        "rds {",
        "elasticache {",
        "msk {",
    ] {
        assert!(generated.contains(block), "{block} in:\n{generated}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_configuration_of_your_own_vpc_plans_only_the_import() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let (vpc, subnets) = own_vpc::create(&ec2, "10.51").await;
    let name = "mosia-acc-gen-byo";
    create(&em, &own_vpc(name, &vpc, &subnets));

    let generated = import_with_generated_config(&em, name);
    assert!(
        network_line(&generated, "vpc_id").is_some_and(|l| l.contains(&vpc)),
        "{generated}"
    );
    assert!(
        network_line(&generated, "subnet_ids").is_some_and(|l| l.contains(&subnets[0])),
        "{generated}"
    );
    for attr in ["az_count", "nat_gateway"] {
        assert!(
            network_line(&generated, attr).is_none_or(|l| l.ends_with("null")),
            "{attr} is not set for your own VPC:\n{generated}"
        );
    }
}
