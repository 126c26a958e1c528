//! A platform team's own network, made with the SDK before Terraform runs: the case of
//! `network { vpc_id, subnet_ids }`; also the subnets that tests calling EKS or MSK directly
//! need (AWS refuses subnets that do not exist, EKS wants two AZs at least, MSK one client
//! subnet per distinct AZ).

/// us-east-1 zones that host EKS control planes and MSK brokers, in the order subnets are
/// placed: us-east-1e (use1-az3) is left out, as both services refuse it.
pub const ZONES: &[&str] = &[
    "us-east-1a",
    "us-east-1b",
    "us-east-1c",
    "us-east-1d",
    "us-east-1f",
];

/// A VPC `{prefix}.0.0/16` with two private subnets, `{prefix}.1.0/24` in us-east-1a and
/// `{prefix}.2.0/24` in us-east-1b; returns the VPC ID and the subnet IDs in that order.
pub async fn create(ec2: &aws_sdk_ec2::Client, prefix: &str) -> (String, Vec<String>) {
    create_in_zones(ec2, prefix, 2).await
}

/// A VPC `{prefix}.0.0/16` with one private subnet in each of the first `zones` of
/// [`ZONES`]: `{prefix}.{n}.0/24` in the n-th (from 1); returns the VPC ID and the subnet
/// IDs in zone order.
pub async fn create_in_zones(
    ec2: &aws_sdk_ec2::Client,
    prefix: &str,
    zones: usize,
) -> (String, Vec<String>) {
    assert!(
        (1..=ZONES.len()).contains(&zones),
        "own_vpc: 1 to {} zones, not {zones}",
        ZONES.len()
    );
    let vpc = ec2
        .create_vpc()
        .cidr_block(format!("{prefix}.0.0/16"))
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    let mut subnets = Vec::new();
    for (n, az) in ZONES.iter().take(zones).enumerate() {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("{prefix}.{}.0/24", n + 1))
            .availability_zone(*az)
            .send()
            .await
            .unwrap();
        subnets.push(s.subnet.unwrap().subnet_id.unwrap());
    }
    (vpc, subnets)
}
