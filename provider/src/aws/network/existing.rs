//! The user's own VPC (`network.vpc_id` and `network.subnet_ids`): Mosia checks that they
//! exist and belong together, and adds only its security groups; the VPC and subnets are
//! never changed or deleted.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Subnet, Vpc};

use super::inventory::{find_subnets, find_vpc, inventory};
use super::security_groups::ensure_security_groups;
use super::{filter, NetworkState};
use crate::aws::part::{PartEnv, PartId};
use crate::engine::PartError;

pub(super) async fn ensure_existing(
    env: &PartEnv,
    (vpc_id, subnet_ids): (&str, &[String]),
    services: &[&str],
    access: &super::NetworkAccessSpec,
) -> Result<NetworkState, PartError> {
    let (vpc, subnets) = describe_existing(env, vpc_id, subnet_ids).await?;
    let inv = inventory(env).await?;
    let cidrs = vpc_cidrs(&vpc);
    let sgs = ensure_security_groups(env, &inv, vpc_id, (&cidrs, access), services).await?;
    Ok(existing_state(&vpc, &subnets, subnet_ids, sgs))
}

/// The VPC's IPv4 CIDR blocks: the primary one and the associated secondary ones.
pub(super) fn vpc_cidrs(vpc: &Vpc) -> Vec<String> {
    let mut cidrs: Vec<String> = vpc.cidr_block().map(str::to_string).into_iter().collect();
    for a in vpc.cidr_block_association_set() {
        let associated = a
            .cidr_block_state()
            .and_then(|s| s.state())
            .is_none_or(|s| s.as_str() == "associated");
        if let Some(c) = a.cidr_block() {
            if associated && !cidrs.iter().any(|x| x == c) {
                cidrs.push(c.to_string());
            }
        }
    }
    cidrs
}

/// The state of the user's network: its subnets in the order given, their AZs.
pub(super) fn existing_state(
    vpc: &Vpc,
    subnets: &[Subnet],
    subnet_ids: &[String],
    security_group_ids: BTreeMap<String, String>,
) -> NetworkState {
    let azs = subnet_ids
        .iter()
        .map(|id| {
            subnets
                .iter()
                .find(|s| s.subnet_id() == Some(id.as_str()))
                .and_then(|s| s.availability_zone())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    NetworkState {
        vpc_id: vpc.vpc_id().unwrap_or_default().to_string(),
        cidr_block: vpc.cidr_block().unwrap_or_default().to_string(),
        availability_zones: azs,
        private_subnet_ids: subnet_ids.to_vec(),
        public_subnet_ids: vec![],
        security_group_ids,
        internet_gateway_id: None,
        nat_gateway_ids: vec![],
        managed: false,
    }
}

/// The user's VPC and subnets; a clear error names what does not exist or does not belong.
pub(super) async fn describe_existing(
    env: &PartEnv,
    vpc_id: &str,
    subnet_ids: &[String],
) -> Result<(Vpc, Vec<Subnet>), PartError> {
    let region = env.aws.region();
    let vpc = find_vpc(env, vpc_id).await?.ok_or_else(|| {
        PartError::new(
            &PartId::Network,
            "checking `network.vpc_id`",
            format!("VPC `{vpc_id}` does not exist in {region} (or is not visible to these credentials)"),
        )
    })?;
    // A filter (not SubnetIds) so that missing ids are left out instead of failing the call:
    // the error can then name all of them.
    let subnets = find_subnets(env, vec![filter("subnet-id", subnet_ids.to_vec())])
        .await
        .map_err(|e| PartError {
            summary: "reading `network.subnet_ids`".into(),
            ..e
        })?;
    match check_subnets(vpc_id, subnet_ids, &subnets, &region) {
        Some(detail) => Err(PartError::new(
            &PartId::Network,
            "checking `network.subnet_ids`",
            detail,
        )),
        None => Ok((vpc, subnets)),
    }
}

/// What is wrong with the subnets brought: some do not exist, or are in another VPC.
fn check_subnets(
    vpc_id: &str,
    subnet_ids: &[String],
    found: &[Subnet],
    region: &str,
) -> Option<String> {
    let missing: Vec<String> = subnet_ids
        .iter()
        .filter(|id| !found.iter().any(|s| s.subnet_id() == Some(id.as_str())))
        .map(|s| format!("`{s}`"))
        .collect();
    if !missing.is_empty() {
        let one = missing.len() == 1;
        return Some(format!(
            "subnet{} {} do{} not exist in {region}",
            if one { "" } else { "s" },
            missing.join(", "),
            if one { "es" } else { "" }
        ));
    }
    let elsewhere: Vec<String> = found
        .iter()
        .filter(|s| s.vpc_id() != Some(vpc_id))
        .map(|s| {
            format!(
                "`{}` (in `{}`)",
                s.subnet_id().unwrap_or_default(),
                s.vpc_id().unwrap_or_default()
            )
        })
        .collect();
    (!elsewhere.is_empty())
        .then(|| format!("subnets {} are not in VPC `{vpc_id}`", elsewhere.join(", ")))
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types::{VpcCidrBlockAssociation, VpcCidrBlockState, VpcCidrBlockStateCode};

    use super::*;

    fn subnet(id: &str, vpc: &str) -> Subnet {
        Subnet::builder()
            .subnet_id(id)
            .vpc_id(vpc)
            .availability_zone("a")
            .build()
    }

    #[test]
    fn subnets_brought_must_exist_and_be_in_the_vpc() {
        let ids = ["subnet-1".to_string(), "subnet-2".to_string()];
        let found = [subnet("subnet-1", "vpc-1")];
        assert_eq!(
            check_subnets("vpc-1", &ids, &found, "eu-west-1").as_deref(),
            Some("subnet `subnet-2` does not exist in eu-west-1")
        );
        let found = [subnet("subnet-1", "vpc-1"), subnet("subnet-2", "vpc-9")];
        assert_eq!(
            check_subnets("vpc-1", &ids, &found, "eu-west-1").as_deref(),
            Some("subnets `subnet-2` (in `vpc-9`) are not in VPC `vpc-1`")
        );
        let found = [subnet("subnet-1", "vpc-1"), subnet("subnet-2", "vpc-1")];
        assert_eq!(check_subnets("vpc-1", &ids, &found, "eu-west-1"), None);
    }

    #[test]
    fn security_groups_admit_every_associated_vpc_cidr() {
        let assoc = |cidr: &str, state: VpcCidrBlockStateCode| {
            VpcCidrBlockAssociation::builder()
                .cidr_block(cidr)
                .cidr_block_state(VpcCidrBlockState::builder().state(state).build())
                .build()
        };
        let vpc = Vpc::builder()
            .cidr_block("10.0.0.0/16")
            .cidr_block_association_set(assoc("10.0.0.0/16", VpcCidrBlockStateCode::Associated))
            .cidr_block_association_set(assoc("100.64.0.0/16", VpcCidrBlockStateCode::Associated))
            .cidr_block_association_set(assoc(
                "172.16.0.0/16",
                VpcCidrBlockStateCode::Disassociated,
            ))
            .build();
        assert_eq!(vpc_cidrs(&vpc), ["10.0.0.0/16", "100.64.0.0/16"]);
    }
}
