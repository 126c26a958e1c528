//! Import of `mosia_environment` by name and the `mosia_environment` data source, through
//! Terraform 1.15.5 against the emulator: an environment created in one working directory
//! is imported into another (command and `import {}` block) with the next plan empty, and
//! another stack reads its endpoints through the data source.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1_DEFAULT_TAGS,
};

const ADDR: &str = "mosia_environment.this";

const PROVIDER: &str = MOSIA_US_EAST_1_DEFAULT_TAGS;

/// A staging environment with every part, most values left to the tier's defaults.
fn environment(name: &str) -> String {
    format!(
        r#"{PROVIDER}
resource "mosia_environment" "this" {{
  name = "{name}"
  tier = "staging"
  tags = {{ cost-center = "42" }}

  network {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
    cidr_block = "10.30.0.0/16"
  }}

  eks {{
    version = "1.31"
    node_group "general" {{
      instance_types = ["m6i.large"]
      min_size       = 1
      max_size       = 3
      desired_size   = 2
      labels         = {{ role = "general" }}
    }}
    node_group "batch" {{
      capacity_type = "SPOT"
      disk_size_gb  = 50
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

fn reader(name: &str) -> String {
    format!(
        r#"{PROVIDER}
data "mosia_environment" "shared" {{
  name = "{name}"
}}

output "vpc_id" {{ value = data.mosia_environment.shared.vpc_id }}
output "tier" {{ value = data.mosia_environment.shared.tier }}
output "rds_endpoint" {{ value = data.mosia_environment.shared.rds_endpoint }}
output "rds_secret" {{ value = data.mosia_environment.shared.rds_master_user_secret_arn }}
output "readers" {{ value = data.mosia_environment.shared.rds_reader_endpoints }}
output "redis" {{ value = data.mosia_environment.shared.elasticache_primary_endpoint }}
output "brokers" {{ value = data.mosia_environment.shared.msk_bootstrap_brokers_iam }}
output "eks_endpoint" {{ value = data.mosia_environment.shared.eks_endpoint }}
output "oidc" {{ value = data.mosia_environment.shared.eks_oidc_provider_arn }}
output "sgs" {{ value = data.mosia_environment.shared.security_group_ids }}
output "tags" {{ value = data.mosia_environment.shared.tags_all }}
"#
    )
}

fn workdir(em: &Emulator) -> Workdir {
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_is_imported_by_name_and_read_by_other_stacks() {
    let em = Emulator::start();
    let name = "mosia-acc-imp";

    let owner = workdir(&em);
    owner.write("main.tf", &environment(name));
    owner.ok(&["init", "-input=false"]);
    owner.ok(&["apply", "-auto-approve", "-input=false"]);
    let created = owner.state_json();
    let created = resource_values(&created, ADDR).expect("created").clone();

    // Another working directory imports it with the command; the next plan is empty: the
    // configuration the parts were created from is rebuilt (tier included).
    let adopter = workdir(&em);
    adopter.write("main.tf", &environment(name));
    adopter.ok(&["init", "-input=false"]);
    adopter.ok(&["import", "-input=false", ADDR, name]);
    let plan = adopter.plan_exit();
    assert_eq!(plan.code, 0, "no changes after import:\n{}", plan.stdout);
    let imported = adopter.state_json();
    let imported = resource_values(&imported, ADDR).expect("imported");
    for (block, attr) in [
        ("network", "vpc_id"),
        ("network", "private_subnet_ids"),
        ("eks", "arn"),
        ("eks", "oidc_provider_arn"),
        ("rds", "endpoint"),
        ("rds", "reader_endpoints"),
        ("rds", "master_user_secret_arn"),
        ("elasticache", "primary_endpoint"),
        ("msk", "bootstrap_brokers_iam"),
    ] {
        assert_eq!(
            imported[block][attr], created[block][attr],
            "{block}.{attr} imported"
        );
        assert!(!created[block][attr].is_null(), "{block}.{attr} set");
    }
    assert_eq!(imported["tier"], "staging");
    assert_eq!(imported["tags"]["cost-center"], "42");
    assert!(
        imported["tags"].get("owner").is_none(),
        "a provider default tag is not taken for the resource's own"
    );
    assert_eq!(
        imported["eks"]["node_group"]["batch"]["capacity_type"],
        "SPOT"
    );
    assert_eq!(imported["part_status"], created["part_status"]);

    // The same through an `import {}` block: one import, nothing else planned.
    adopter.ok(&["state", "rm", ADDR]);
    adopter.write(
        "import.tf",
        &format!("import {{\n  to = {ADDR}\n  id = \"{name}\"\n}}\n"),
    );
    let plan = adopter.ok(&["plan", "-input=false"]);
    assert!(
        plan.stdout
            .contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{}",
        plan.stdout
    );
    adopter.ok(&["apply", "-auto-approve", "-input=false"]);
    adopter.remove("import.tf");
    assert_eq!(adopter.plan_exit().code, 0);

    // A node group change AWS cannot make in place is announced at plan time.
    adopter.write(
        "main.tf",
        &environment(name).replace("disk_size_gb  = 50", "disk_size_gb  = 80"),
    );
    let plan = adopter.ok(&["plan", "-input=false"]);
    let text = plan.combined();
    assert!(
        text.contains("Node group \"batch\" will be replaced")
            && text.contains("disk size changes from 50 GB to 80 GB")
            && text.contains("1 to change"),
        "{text}"
    );
    adopter.write("main.tf", &environment(name));

    // An application stack reads the environment through the data source.
    let app = workdir(&em);
    app.write("main.tf", &reader(name));
    app.ok(&["init", "-input=false"]);
    app.ok(&["apply", "-auto-approve", "-input=false"]);
    let out = app.ok(&["output", "-json"]);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).expect("outputs");
    let val = |k: &str| out[k]["value"].clone();
    assert_eq!(val("vpc_id"), created["network"]["vpc_id"]);
    assert_eq!(val("tier"), "staging");
    assert_eq!(val("rds_endpoint"), created["rds"]["endpoint"]);
    assert_eq!(val("rds_secret"), created["rds"]["master_user_secret_arn"]);
    assert_eq!(val("readers"), created["rds"]["reader_endpoints"]);
    assert_eq!(val("redis"), created["elasticache"]["primary_endpoint"]);
    assert_eq!(val("brokers"), created["msk"]["bootstrap_brokers_iam"]);
    assert_eq!(val("eks_endpoint"), created["eks"]["endpoint"]);
    assert_eq!(val("oidc"), created["eks"]["oidc_provider_arn"]);
    assert_eq!(val("sgs"), created["network"]["security_group_ids"]);
    assert_eq!(val("tags")["cost-center"], "42");
    assert_eq!(val("tags")["owner"], "platform");

    // Unknown names: a clear error, nothing created.
    let missing = workdir(&em);
    missing.write("main.tf", &reader("mosia-acc-nope"));
    missing.ok(&["init", "-input=false"]);
    let failed = missing.run(&["plan", "-input=false"]);
    assert_ne!(failed.code, 0);
    assert!(
        failed.combined().contains("Environment not found")
            && failed
                .combined()
                .contains("mosia:environment=mosia-acc-nope"),
        "{}",
        failed.combined()
    );
    missing.write("main.tf", &environment("mosia-acc-nope"));
    let refused = missing.run(&["import", "-input=false", ADDR, "mosia-acc-nope"]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.combined().contains("environment not found"),
        "{}",
        refused.combined()
    );

    // The owner's destroy removes it; the adopter's refresh then finds it gone.
    owner.ok(&["destroy", "-auto-approve", "-input=false"]);
    let plan = adopter.plan_exit();
    assert_eq!(plan.code, 2, "{}", plan.stdout);
}
