//! What exists: the `find_*` functions, one EC2 describe each, and the [`Inventory`] of
//! everything the part owns, found by its ownership tags.

use aws_sdk_ec2::types::{
    Address, Filter, InternetGateway, NatGateway, NatGatewayState, RouteTable, SecurityGroup,
    Subnet, Vpc,
};

use super::zones::Zone;
use super::{ec2_error, filter, is_not_found, owner_filters};
use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// Everything the part owns, one describe per object type.
#[derive(Debug, Default, Clone)]
pub(super) struct Inventory {
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub igws: Vec<InternetGateway>,
    pub route_tables: Vec<RouteTable>,
    /// NAT gateways in the owned VPCs that are pending, available or failed.
    pub nats: Vec<NatGateway>,
    pub addresses: Vec<Address>,
    pub sgs: Vec<SecurityGroup>,
}

impl Inventory {
    pub fn subnet(&self, id: &str) -> Option<&Subnet> {
        self.subnets.iter().find(|s| s.subnet_id() == Some(id))
    }

    pub fn subnet_by_cidr(&self, cidr: &str) -> Option<&Subnet> {
        self.subnets.iter().find(|s| s.cidr_block() == Some(cidr))
    }
}

const READING: &str = "reading the network";

/// Everything the part owns: the VPCs first (NAT gateways are found by VPC: every NAT
/// gateway in a VPC Mosia owns is Mosia's), the other object types at once.
pub(super) async fn inventory(env: &PartEnv) -> Result<Inventory, PartError> {
    let f = owner_filters(env);
    let vpcs = find_vpcs(env, &f).await?;
    let (subnets, igws, route_tables, addresses, sgs) = futures::join!(
        find_subnets(env, f.clone()),
        find_internet_gateways(env, &f),
        find_route_tables(env, f.clone()),
        find_addresses(env, &f),
        find_security_groups(env, &f),
    );
    let vpc_ids: Vec<String> = vpcs.iter().filter_map(|v| v.vpc_id.clone()).collect();
    Ok(Inventory {
        nats: find_nat_gateways_in(env, vpc_ids).await?,
        vpcs,
        subnets: subnets?,
        igws: igws?,
        route_tables: route_tables?,
        addresses: addresses?,
        sgs: sgs?,
    })
}

/// The VPCs matching `filters`.
pub(super) async fn find_vpcs(env: &PartEnv, filters: &[Filter]) -> Result<Vec<Vpc>, PartError> {
    let out = env
        .aws
        .ec2()
        .describe_vpcs()
        .set_filters(Some(filters.to_vec()))
        .send()
        .await;
    Ok(out
        .map_err(|e| ec2_error(READING, "DescribeVpcs", &e))?
        .vpcs
        .unwrap_or_default())
}

/// One VPC by ID; None when it does not exist.
pub(super) async fn find_vpc(env: &PartEnv, vpc_id: &str) -> Result<Option<Vpc>, PartError> {
    match env.aws.ec2().describe_vpcs().vpc_ids(vpc_id).send().await {
        Ok(o) => Ok(o.vpcs().first().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(ec2_error(
            format!("reading VPC `{vpc_id}`"),
            "DescribeVpcs",
            &e,
        )),
    }
}

/// The subnets matching `filters`.
pub(super) async fn find_subnets(
    env: &PartEnv,
    filters: Vec<Filter>,
) -> Result<Vec<Subnet>, PartError> {
    let out = env
        .aws
        .ec2()
        .describe_subnets()
        .set_filters(Some(filters))
        .send()
        .await;
    Ok(out
        .map_err(|e| ec2_error(READING, "DescribeSubnets", &e))?
        .subnets
        .unwrap_or_default())
}

pub(super) async fn find_internet_gateways(
    env: &PartEnv,
    filters: &[Filter],
) -> Result<Vec<InternetGateway>, PartError> {
    let ec2 = env.aws.ec2();
    let out = ec2
        .describe_internet_gateways()
        .set_filters(Some(filters.to_vec()))
        .send()
        .await;
    Ok(out
        .map_err(|e| ec2_error(READING, "DescribeInternetGateways", &e))?
        .internet_gateways
        .unwrap_or_default())
}

/// The route tables matching `filters`.
pub(super) async fn find_route_tables(
    env: &PartEnv,
    filters: Vec<Filter>,
) -> Result<Vec<RouteTable>, PartError> {
    let out = env
        .aws
        .ec2()
        .describe_route_tables()
        .set_filters(Some(filters))
        .send()
        .await;
    Ok(out
        .map_err(|e| ec2_error(READING, "DescribeRouteTables", &e))?
        .route_tables
        .unwrap_or_default())
}

pub(super) async fn find_addresses(
    env: &PartEnv,
    filters: &[Filter],
) -> Result<Vec<Address>, PartError> {
    let out = env
        .aws
        .ec2()
        .describe_addresses()
        .set_filters(Some(filters.to_vec()))
        .send()
        .await;
    Ok(out
        .map_err(|e| ec2_error(READING, "DescribeAddresses", &e))?
        .addresses
        .unwrap_or_default())
}

pub(super) async fn find_security_groups(
    env: &PartEnv,
    filters: &[Filter],
) -> Result<Vec<SecurityGroup>, PartError> {
    let ec2 = env.aws.ec2();
    let out = ec2
        .describe_security_groups()
        .set_filters(Some(filters.to_vec()))
        .send()
        .await;
    Ok(out
        .map_err(|e| ec2_error(READING, "DescribeSecurityGroups", &e))?
        .security_groups
        .unwrap_or_default())
}

/// The NAT gateways of `vpc_ids` that are pending, available or failed (deleted ones stay
/// listed for an hour and are left out).
async fn find_nat_gateways_in(
    env: &PartEnv,
    vpc_ids: Vec<String>,
) -> Result<Vec<NatGateway>, PartError> {
    if vpc_ids.is_empty() {
        return Ok(vec![]);
    }
    let out = env
        .aws
        .ec2()
        .describe_nat_gateways()
        .filter(filter("vpc-id", vpc_ids))
        .filter(filter("state", ["pending", "available", "failed"]))
        .send()
        .await
        .map_err(|e| ec2_error(READING, "DescribeNatGateways", &e))?;
    Ok(out
        .nat_gateways
        .unwrap_or_default()
        .into_iter()
        .filter(|n| {
            matches!(
                n.state(),
                Some(
                    NatGatewayState::Pending | NatGatewayState::Available | NatGatewayState::Failed
                )
            )
        })
        .collect())
}

/// NAT gateways by ID (those AWS does not know are left out: NotFound reads as none).
pub(super) async fn find_nat_gateways(
    env: &PartEnv,
    ids: &[String],
) -> Result<Vec<NatGateway>, PartError> {
    let ec2 = env.aws.ec2();
    match ec2
        .describe_nat_gateways()
        .set_nat_gateway_ids(Some(ids.to_vec()))
        .send()
        .await
    {
        Ok(o) => Ok(o.nat_gateways.unwrap_or_default()),
        Err(e) if is_not_found(&e) => Ok(vec![]),
        Err(e) => Err(ec2_error("reading NAT gateways", "DescribeNatGateways", &e)),
    }
}

/// The available AZs of the region, in name order, with their zone IDs.
pub(super) async fn find_region_zones(env: &PartEnv) -> Result<Vec<Zone>, PartError> {
    let out = env
        .aws
        .ec2()
        .describe_availability_zones()
        .filters(filter("state", ["available"]))
        .send()
        .await
        .map_err(|e| {
            ec2_error(
                "listing availability zones",
                "DescribeAvailabilityZones",
                &e,
            )
        })?;
    let mut zones: Vec<Zone> = out
        .availability_zones()
        .iter()
        .filter(|z| z.zone_type().is_none_or(|t| t == "availability-zone"))
        .filter_map(|z| {
            Some(Zone {
                name: z.zone_name()?.to_string(),
                id: z.zone_id().map(str::to_string),
            })
        })
        .collect();
    zones.sort_by(|a, b| a.name.cmp(&b.name));
    zones.dedup_by(|a, b| a.name == b.name);
    Ok(zones)
}
