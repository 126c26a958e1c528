//! `mosia_environment` on the other Terraform cores: a smoke apply, an empty second plan
//! and a destroy of a small environment (network, RDS, ElastiCache) on Terraform 1.0.3 (the
//! oldest core the provider serves) and on the `terraform` found on PATH; after the destroy,
//! no AWS object tagged with the environment's name is left.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, path_core, resource_values, Core, Workdir,
};

const ADDR: &str = "mosia_environment.smoke";
const ENV_TAG: &str = "mosia:environment";

fn config(name: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    mosia = {{ source = "mosia/mosia" }}
  }}
}}

provider "mosia" {{
  region = "us-east-1"
}}

resource "mosia_environment" "smoke" {{
  name = "{name}"
  tier = "dev"
  tags = {{ core = "smoke" }}

  network {{
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
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let rds = aws_sdk_rds::Client::new(&cfg);
    let cache = aws_sdk_elasticache::Client::new(&cfg);
    assert_eq!(
        vpcs(&ec2, name).await,
        vec![vpc_id],
        "the environment's VPC"
    );
    let tagged = network_objects(&ec2, name).await;
    assert!(
        tagged.len() >= 8,
        "subnets, route tables, gateways and security groups tagged as the environment's: {tagged:?}"
    );
    assert_eq!(db_instances(&rds, name).await.len(), 1, "one database");
    assert_eq!(replication_groups(&cache, name).await.len(), 1, "one cache");

    let second = tf.plan_exit();
    assert_eq!(
        second.code, 0,
        "Terraform {}: second plan must be empty:\n{}",
        core.version, second.stdout
    );

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    assert!(vpcs(&ec2, name).await.is_empty(), "VPC left");
    let left = network_objects(&ec2, name).await;
    assert!(left.is_empty(), "network objects left: {left:?}");
    assert!(
        db_instances(&rds, name).await.is_empty(),
        "DB instances left"
    );
    assert!(
        replication_groups(&cache, name).await.is_empty(),
        "replication groups left"
    );
    let state = tf.state_json();
    assert!(resource_values(&state, ADDR).is_none(), "state emptied");
}

fn env_filter(name: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder()
        .name(format!("tag:{ENV_TAG}"))
        .values(name)
        .build()
}

async fn vpcs(ec2: &aws_sdk_ec2::Client, name: &str) -> Vec<String> {
    ec2.describe_vpcs()
        .filters(env_filter(name))
        .send()
        .await
        .unwrap()
        .vpcs()
        .iter()
        .filter_map(|v| v.vpc_id().map(String::from))
        .collect()
}

/// Subnets, security groups, route tables, internet and NAT gateways (not yet deleted) and
/// Elastic IPs tagged as the environment's.
async fn network_objects(ec2: &aws_sdk_ec2::Client, name: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let out = ec2
        .describe_subnets()
        .filters(env_filter(name))
        .send()
        .await
        .unwrap();
    ids.extend(
        out.subnets()
            .iter()
            .filter_map(|x| x.subnet_id().map(String::from)),
    );
    let out = ec2
        .describe_security_groups()
        .filters(env_filter(name))
        .send()
        .await
        .unwrap();
    ids.extend(
        out.security_groups()
            .iter()
            .filter_map(|x| x.group_id().map(String::from)),
    );
    let out = ec2
        .describe_route_tables()
        .filters(env_filter(name))
        .send()
        .await
        .unwrap();
    ids.extend(
        out.route_tables()
            .iter()
            .filter_map(|x| x.route_table_id().map(String::from)),
    );
    let out = ec2
        .describe_internet_gateways()
        .filters(env_filter(name))
        .send()
        .await
        .unwrap();
    ids.extend(
        out.internet_gateways()
            .iter()
            .filter_map(|x| x.internet_gateway_id().map(String::from)),
    );
    let out = ec2
        .describe_nat_gateways()
        .filter(env_filter(name))
        .send()
        .await
        .unwrap();
    ids.extend(
        out.nat_gateways()
            .iter()
            .filter(|x| {
                !matches!(
                    x.state(),
                    Some(aws_sdk_ec2::types::NatGatewayState::Deleted)
                )
            })
            .filter_map(|x| x.nat_gateway_id().map(String::from)),
    );
    let out = ec2
        .describe_addresses()
        .filters(env_filter(name))
        .send()
        .await
        .unwrap();
    ids.extend(
        out.addresses()
            .iter()
            .filter_map(|x| x.allocation_id().map(String::from)),
    );
    ids
}

/// DB instances whose tags name the environment.
async fn db_instances(rds: &aws_sdk_rds::Client, name: &str) -> Vec<String> {
    rds.describe_db_instances()
        .send()
        .await
        .unwrap()
        .db_instances()
        .iter()
        .filter(|db| {
            db.tag_list()
                .iter()
                .any(|t| t.key() == Some(ENV_TAG) && t.value() == Some(name))
        })
        .filter_map(|db| db.db_instance_identifier().map(String::from))
        .collect()
}

/// Replication groups whose tags name the environment.
async fn replication_groups(cache: &aws_sdk_elasticache::Client, name: &str) -> Vec<String> {
    let groups = cache.describe_replication_groups().send().await.unwrap();
    let mut ours = Vec::new();
    for g in groups.replication_groups() {
        let Some(arn) = g.arn() else { continue };
        let tags = cache
            .list_tags_for_resource()
            .resource_name(arn)
            .send()
            .await
            .unwrap();
        if tags
            .tag_list()
            .iter()
            .any(|t| t.key() == Some(ENV_TAG) && t.value() == Some(name))
        {
            ours.push(g.replication_group_id().unwrap_or_default().to_string());
        }
    }
    ours
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
