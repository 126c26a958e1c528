//! A platform team's own network, made with the SDK before Terraform runs: the case of
//! `network { vpc_id, subnet_ids }`.

/// A VPC `{prefix}.0.0/16` with two private subnets, `{prefix}.1.0/24` in us-east-1a and
/// `{prefix}.2.0/24` in us-east-1b; returns the VPC ID and the subnet IDs in that order.
pub async fn create(ec2: &aws_sdk_ec2::Client, prefix: &str) -> (String, Vec<String>) {
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
    for (n, az) in [(1, "us-east-1a"), (2, "us-east-1b")] {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("{prefix}.{n}.0/24"))
            .availability_zone(az)
            .send()
            .await
            .unwrap();
        subnets.push(s.subnet.unwrap().subnet_id.unwrap());
    }
    (vpc, subnets)
}
