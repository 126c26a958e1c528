//! `modules/environment` with your own VPC, through Terraform 1.15.5 against the emulator:
//! the module places the services in the given subnets, adds only security groups to the
//! VPC, and leaves the VPC and its subnets in place at destroy.

use mosia_acceptance_tests::emulator::{repo_root, Emulator};
use mosia_acceptance_tests::own_vpc;
use mosia_acceptance_tests::owned::{has_kind, owned_objects};
use mosia_acceptance_tests::terraform::{copy_tree, installed_core, Workdir, MOSIA_US_EAST_1};

#[tokio::test(flavor = "multi_thread")]
async fn module_runs_in_your_own_vpc_and_leaves_it_in_place() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);

    // The platform team's VPC, with two private subnets in different AZs.
    let (vpc, subnets) = own_vpc::create(&ec2, "10.50").await;

    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    copy_tree(&repo_root().join("modules"), &tf.path().join("modules"));
    let name = "mosia-acc-byo";
    tf.write(
        "main.tf",
        &format!(
            r#"{MOSIA_US_EAST_1}
module "environment" {{
  source = "./modules/environment"

  name = "{name}"
  tier = "dev"

  network = {{
    allowed_cidrs = ["10.250.0.0/16"] # clients outside the cluster
    vpc_id     = "{vpc}"
    subnet_ids = ["{s0}", "{s1}"]
  }}
  rds         = {{ engine_version = "16.4" }}
  elasticache = {{ engine_version = "7.1" }}
}}

output "vpc_id" {{ value = module.environment.vpc_id }}
output "private_subnet_ids" {{ value = module.environment.private_subnet_ids }}
output "security_group_ids" {{ value = module.environment.security_group_ids }}
"#,
            s0 = subnets[0],
            s1 = subnets[1],
        ),
    );
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");

    let out = tf.ok(&["output", "-json"]);
    let out: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(out["vpc_id"]["value"], vpc.as_str());
    assert_eq!(
        out["private_subnet_ids"]["value"],
        serde_json::json!(subnets)
    );
    // Security groups for the services, in the user's VPC; no VPC or subnet of Mosia's.
    let owned = owned_objects(&cfg, name).await;
    assert!(
        !has_kind(&owned, "vpc") && !has_kind(&owned, "subnet"),
        "{owned:?}"
    );
    let rds_sg = out["security_group_ids"]["value"]["rds"]
        .as_str()
        .expect("an rds security group")
        .to_string();
    let sg = ec2
        .describe_security_groups()
        .group_ids(&rds_sg)
        .send()
        .await
        .unwrap();
    assert_eq!(sg.security_groups()[0].vpc_id(), Some(vpc.as_str()));
    let group = aws_sdk_rds::Client::new(&cfg)
        .describe_db_subnet_groups()
        .db_subnet_group_name(format!("{name}-db"))
        .send()
        .await
        .unwrap();
    let mut in_group: Vec<String> = group.db_subnet_groups()[0]
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier().map(String::from))
        .collect();
    in_group.sort();
    let mut want = subnets.clone();
    want.sort();
    assert_eq!(
        in_group, want,
        "the database is placed in the given subnets"
    );

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let left = owned_objects(&cfg, name).await;
    assert!(left.is_empty(), "objects left: {left:?}");
    let still = ec2.describe_vpcs().vpc_ids(&vpc).send().await.unwrap();
    assert_eq!(still.vpcs().len(), 1, "the user's VPC is kept");
    let still = ec2
        .describe_subnets()
        .set_subnet_ids(Some(subnets.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(still.subnets().len(), 2, "the user's subnets are kept");
}
