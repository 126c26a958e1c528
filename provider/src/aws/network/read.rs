//! What exists now: `read` (drift, one describe per object type) and `discover` (import and
//! the data source: the network found from its ownership tags alone).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{NatGatewayState, Subnet, Tag};

use super::existing::{describe_existing, existing_state};
use super::input::NatGateway as NatMode;
use super::inventory::{inventory, Inventory};
use super::{tag, tag_map, Ipv4Cidr, NetworkSpec, NetworkState, SERVICE_TAG, TIER_TAG};
use crate::aws::part::{PartEnv, PartId};
use crate::engine::PartError;

/// What exists now. For a network Mosia created, everything is found by the ownership tags
/// (one describe per object type); for the user's network, the VPC and subnets named in
/// `spec` are described and the security groups found by tags. None when the part is gone
/// (no owned VPC, or for the user's network, no owned security group and no VPC).
pub async fn read(env: &PartEnv, spec: &NetworkSpec) -> Result<Option<NetworkState>, PartError> {
    let inv = inventory(env).await?;
    observe(env, &inv, spec).await
}

/// The state `read` reports, from an inventory already taken.
async fn observe(
    env: &PartEnv,
    inv: &Inventory,
    spec: &NetworkSpec,
) -> Result<Option<NetworkState>, PartError> {
    if let NetworkSpec::Existing { vpc_id, subnet_ids } = spec {
        if inv.sgs.is_empty() {
            return Ok(None);
        }
        let (vpc, subnets) = describe_existing(env, vpc_id, subnet_ids).await?;
        return Ok(Some(existing_state(
            &vpc,
            &subnets,
            subnet_ids,
            security_groups_in(inv, vpc_id),
        )));
    }
    Ok(managed_state(inv))
}

/// Service → security group ID of the owned groups in `vpc_id`.
fn security_groups_in(inv: &Inventory, vpc_id: &str) -> BTreeMap<String, String> {
    inv.sgs
        .iter()
        .filter(|g| g.vpc_id() == Some(vpc_id))
        // The interface endpoints' group is the endpoints part's, not a service's.
        .filter(|g| tag(g.tags(), SERVICE_TAG) != Some(super::endpoints::ENDPOINTS_GROUP_SERVICE))
        .filter_map(|g| {
            Some((
                tag(g.tags(), SERVICE_TAG)?.to_string(),
                g.group_id()?.to_string(),
            ))
        })
        .collect()
}

/// The owned subnets of `tier`, in layout order (CIDR order gives the layout's index).
fn tier_subnets<'a>(inv: &'a Inventory, tier: &str) -> Vec<&'a Subnet> {
    let mut subnets: Vec<&Subnet> = inv
        .subnets
        .iter()
        .filter(|s| tag(s.tags(), TIER_TAG) == Some(tier))
        .collect();
    subnets.sort_by_key(|s| {
        s.cidr_block()
            .and_then(|c| c.parse::<Ipv4Cidr>().ok())
            .map(|c| u32::from(c.addr))
            .unwrap_or(u32::MAX)
    });
    subnets
}

/// The state of a network Mosia created, from the inventory alone; None without a VPC.
fn managed_state(inv: &Inventory) -> Option<NetworkState> {
    let vpc = inv.vpcs.first()?;
    let vpc_id = vpc.vpc_id().unwrap_or_default().to_string();
    let private = tier_subnets(inv, "private");
    let public = tier_subnets(inv, "public");
    let azs: Vec<String> = private
        .iter()
        .map(|s| s.availability_zone().unwrap_or_default().to_string())
        .collect();
    let public_ids = azs
        .iter()
        .filter_map(|az| {
            public
                .iter()
                .find(|s| s.availability_zone() == Some(az.as_str()))
        })
        .map(|s| s.subnet_id().unwrap_or_default().to_string())
        .collect();
    // NAT gateways in AZ order.
    let mut nats: Vec<(usize, String)> = inv
        .nats
        .iter()
        .filter(|g| g.state() != Some(&NatGatewayState::Failed))
        .filter_map(|g| {
            let az = g
                .subnet_id()
                .and_then(|s| inv.subnet(s))
                .and_then(|s| s.availability_zone())?;
            let i = azs.iter().position(|a| a == az).unwrap_or(usize::MAX);
            Some((i, g.nat_gateway_id()?.to_string()))
        })
        .collect();
    nats.sort();
    Some(NetworkState {
        cidr_block: vpc.cidr_block().unwrap_or_default().to_string(),
        availability_zones: azs,
        private_subnet_ids: private
            .iter()
            .map(|s| s.subnet_id().unwrap_or_default().to_string())
            .collect(),
        public_subnet_ids: public_ids,
        security_group_ids: security_groups_in(inv, &vpc_id),
        internet_gateway_id: inv
            .igws
            .first()
            .and_then(|g| g.internet_gateway_id().map(str::to_string)),
        nat_gateway_ids: nats.into_iter().map(|(_, id)| id).collect(),
        vpc_id,
        managed: true,
    })
}

/// What an import learns of the network from the objects Mosia tagged.
pub struct Discovered {
    /// For a VPC Mosia created: its CIDR, AZ count (one private subnet per AZ) and NAT mode.
    /// For the user's own VPC: its ID (from the security groups Mosia added to it), with the
    /// subnets left for the caller to take from a service part.
    pub spec: NetworkSpec,
    /// The user-visible tags of the VPC (or of a security group in the user's VPC).
    pub tags: BTreeMap<String, String>,
    /// The objects found, so that [`Discovered::state`] needs no second round of describes.
    inv: Inventory,
}

impl Discovered {
    /// What `read` would report for `spec` (the discovered one, completed by the caller).
    pub async fn state(
        &self,
        env: &PartEnv,
        spec: &NetworkSpec,
    ) -> Result<Option<NetworkState>, PartError> {
        observe(env, &self.inv, spec).await
    }
}

/// Finds the environment's network from its ownership tags alone (import, data source);
/// None when there is none.
pub async fn discover(env: &PartEnv) -> Result<Option<Discovered>, PartError> {
    let inv = inventory(env).await?;
    let (spec, tags) = if let Some(vpc) = inv.vpcs.first() {
        let cidr = vpc
            .cidr_block()
            .and_then(|c| c.parse::<Ipv4Cidr>().ok())
            .ok_or_else(|| {
                PartError::new(
                    &PartId::Network,
                    "reading the network",
                    "the VPC has no IPv4 CIDR",
                )
            })?;
        let az_count = tier_subnets(&inv, "private").len().max(1) as u32;
        let nat_gateway = match inv.nats.len() {
            0 => NatMode::None,
            1 if az_count > 1 => NatMode::Single,
            _ => NatMode::PerAz,
        };
        (
            NetworkSpec::Managed {
                cidr,
                az_count,
                nat_gateway,
                availability_zones: vec![],
            },
            user_tags(vpc.tags()),
        )
    } else {
        let Some(sg) = inv.sgs.first() else {
            return Ok(None);
        };
        let vpc_id = sg.vpc_id().unwrap_or_default().to_string();
        (
            NetworkSpec::Existing {
                vpc_id,
                subnet_ids: Vec::new(),
            },
            user_tags(sg.tags()),
        )
    };
    Ok(Some(Discovered { spec, tags, inv }))
}

/// An object's tags without `Name`, which Mosia sets on every network object itself.
fn user_tags(tags: &[Tag]) -> BTreeMap<String, String> {
    let mut t = tag_map(tags);
    t.remove("Name");
    t
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types::{InternetGateway, NatGateway, SecurityGroup, Vpc};

    use super::super::tests::ec2_tags;
    use super::*;

    fn subnet(id: &str, cidr: &str, az: &str, tier: &str) -> Subnet {
        Subnet::builder()
            .subnet_id(id)
            .cidr_block(cidr)
            .availability_zone(az)
            .set_tags(Some(ec2_tags(&[(TIER_TAG, tier)])))
            .build()
    }

    fn nat(id: &str, subnet: &str, state: NatGatewayState) -> NatGateway {
        NatGateway::builder()
            .nat_gateway_id(id)
            .subnet_id(subnet)
            .state(state)
            .build()
    }

    /// 10.0.0.0/16 over 2 AZs, listed out of order, with a NAT gateway per AZ (and a failed one).
    fn two_az_network() -> Inventory {
        Inventory {
            vpcs: vec![Vpc::builder()
                .vpc_id("vpc-1")
                .cidr_block("10.0.0.0/16")
                .set_tags(Some(ec2_tags(&[("Name", "x"), ("team", "platform")])))
                .build()],
            subnets: vec![
                subnet("priv-b", "10.0.64.0/18", "b", "private"),
                subnet("pub-b", "10.0.192.0/18", "b", "public"),
                subnet("priv-a", "10.0.0.0/18", "a", "private"),
                subnet("pub-a", "10.0.128.0/18", "a", "public"),
            ],
            igws: vec![InternetGateway::builder()
                .internet_gateway_id("igw-1")
                .build()],
            nats: vec![
                nat("nat-b", "pub-b", NatGatewayState::Available),
                nat("nat-x", "pub-a", NatGatewayState::Failed),
                nat("nat-a", "pub-a", NatGatewayState::Pending),
            ],
            sgs: vec![SecurityGroup::builder()
                .group_id("sg-1")
                .vpc_id("vpc-1")
                .set_tags(Some(ec2_tags(&[(SERVICE_TAG, "rds")])))
                .build()],
            ..Default::default()
        }
    }

    #[test]
    fn the_managed_state_lists_subnets_and_nat_gateways_in_az_order() {
        let state = managed_state(&two_az_network()).unwrap();
        assert_eq!(state.availability_zones, ["a", "b"]);
        assert_eq!(state.private_subnet_ids, ["priv-a", "priv-b"]);
        assert_eq!(state.public_subnet_ids, ["pub-a", "pub-b"]);
        assert_eq!(
            state.nat_gateway_ids,
            ["nat-a", "nat-b"],
            "the failed one is left out"
        );
        assert_eq!(
            state.security_group_ids,
            BTreeMap::from([("rds".to_string(), "sg-1".to_string())])
        );
        assert_eq!(state.internet_gateway_id.as_deref(), Some("igw-1"));
        assert!(state.managed);
        assert_eq!(
            managed_state(&Inventory::default()),
            None,
            "no VPC: the part is gone"
        );
    }
}
