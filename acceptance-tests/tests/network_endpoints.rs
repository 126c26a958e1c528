//! VPC endpoints of `mosia_environment`, through Terraform 1.15.5 against the emulator: a
//! gateway endpoint on the private route tables and an interface endpoint in one private
//! subnet per AZ behind a group admitting the VPC on 443; an endpoint deleted by hand shows
//! in the plan and comes back; one no longer listed is deleted; destroy leaves none.

use aws_sdk_ec2::types::{Filter, VpcEndpoint};
use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-vpce";

fn environment(endpoints: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "dev"

  network {{
    cidr_block    = "10.62.0.0/16"
    vpc_endpoints = [{endpoints}]
  }}
}}
"#
    )
}

async fn endpoints(ec2: &aws_sdk_ec2::Client) -> Vec<VpcEndpoint> {
    let out = ec2
        .describe_vpc_endpoints()
        .filters(
            Filter::builder()
                .name("tag:mosia:environment")
                .values(NAME)
                .build(),
        )
        .send()
        .await
        .unwrap();
    out.vpc_endpoints()
        .iter()
        .filter(|e| e.state().map(|s| s.as_str().to_lowercase()) != Some("deleted".into()))
        .cloned()
        .collect()
}

fn service_of(e: &VpcEndpoint) -> &str {
    e.service_name()
        .unwrap()
        .rsplit_once("us-east-1.")
        .unwrap()
        .1
}

#[tokio::test(flavor = "multi_thread")]
async fn vpc_endpoints_follow_the_list_and_come_back_when_deleted() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&cfg);
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.write("main.tf", &environment(r#""s3", "ecr.api""#));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");

    let state = tf.state_json();
    let v = resource_values(&state, ADDR).unwrap().clone();
    assert_eq!(v["part_status"]["network.endpoints"], "ready");
    let found = endpoints(&ec2).await;
    let mut services: Vec<&str> = found.iter().map(service_of).collect();
    services.sort();
    assert_eq!(services, ["ecr.api", "s3"]);
    let s3 = found.iter().find(|e| service_of(e) == "s3").unwrap();
    assert_eq!(s3.vpc_endpoint_type().unwrap().as_str(), "Gateway");
    assert!(
        !s3.route_table_ids().is_empty(),
        "on the private route tables"
    );
    let ecr = found.iter().find(|e| service_of(e) == "ecr.api").unwrap();
    assert_eq!(ecr.vpc_endpoint_type().unwrap().as_str(), "Interface");
    assert_eq!(ecr.subnet_ids().len(), 2, "one subnet per AZ");
    assert_eq!(ecr.private_dns_enabled(), Some(true));
    let group = ecr.groups()[0].group_id().unwrap();
    let g = ec2
        .describe_security_groups()
        .group_ids(group)
        .send()
        .await
        .unwrap();
    let rule = &g.security_groups()[0].ip_permissions()[0];
    assert_eq!((rule.from_port(), rule.to_port()), (Some(443), Some(443)));
    assert_eq!(rule.ip_ranges()[0].cidr_ip(), Some("10.62.0.0/16"));
    assert_eq!(
        v["network"]["vpc_endpoint_ids"]["ecr.api"],
        ecr.vpc_endpoint_id().unwrap()
    );

    // Deleted by hand: drift, restored by the next apply.
    ec2.delete_vpc_endpoints()
        .vpc_endpoint_ids(ecr.vpc_endpoint_id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        tf.plan_exit().code,
        2,
        "the missing endpoint shows in the plan"
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(endpoints(&ec2).await.len(), 2);

    // No longer listed: deleted, with its group.
    tf.write("main.tf", &environment(r#""s3""#));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let left: Vec<String> = endpoints(&ec2)
        .await
        .iter()
        .map(|e| service_of(e).to_string())
        .collect();
    assert_eq!(left, ["s3"]);
    assert!(
        ec2.describe_security_groups()
            .group_ids(group)
            .send()
            .await
            .is_err(),
        "the group is gone"
    );
    assert_eq!(tf.plan_exit().code, 0);

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    assert!(endpoints(&ec2).await.is_empty(), "nothing left billing");
}
