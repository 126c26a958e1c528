//! Route tables of a network Mosia creates: one public table (default route to the
//! internet gateway) for the public subnets, one private table per AZ (default route to
//! the AZ's NAT gateway, or the single one; none without NAT gateways). The pure
//! [`default_route_change`] decides how to fix a table's default route.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{ResourceType, Route, RouteTable, RouteTableAssociation};

use super::inventory::{find_route_tables, Inventory};
use super::subnets::Subnets;
use super::{
    desired_tags, ec2_error, filter, part, sync_tags, tag, tag_spec, until_propagated, AZ_TAG,
    TIER_TAG,
};
use crate::aws::part::PartEnv;
use crate::engine::PartError;

const ANY_IPV4: &str = "0.0.0.0/0";

/// Where a default route goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Target {
    Gateway(String),
    Nat(String),
}

/// How to make a table's default route go to the wanted target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum RouteChange {
    Keep,
    Delete,
    Replace(Target),
    Create(Target),
}

/// The target of an existing default route; None for a blackhole (its target is gone).
pub(super) fn route_target(r: &Route) -> Option<Target> {
    if r.state().is_some_and(|s| s.as_str() == "blackhole") {
        None
    } else if let Some(n) = r.nat_gateway_id() {
        Some(Target::Nat(n.to_string()))
    } else {
        r.gateway_id().map(|g| Target::Gateway(g.to_string()))
    }
}

/// The change that makes the table's default route (among `routes`) go to `want`.
pub(super) fn default_route_change(routes: &[Route], want: Option<&Target>) -> RouteChange {
    let current = routes
        .iter()
        .find(|r| r.destination_cidr_block() == Some(ANY_IPV4));
    if current.and_then(route_target).as_ref() == want {
        return RouteChange::Keep;
    }
    match (want, current) {
        (None, Some(_)) => RouteChange::Delete,
        (None, None) => RouteChange::Keep,
        (Some(t), Some(_)) => RouteChange::Replace(t.clone()),
        (Some(t), None) => RouteChange::Create(t.clone()),
    }
}

/// The private tables' targets: each AZ's own NAT gateway, else the single one, else none.
pub(super) fn private_targets(
    az_count: usize,
    nat_by_az: &BTreeMap<usize, String>,
) -> Vec<Option<Target>> {
    (0..az_count)
        .map(|i| {
            nat_by_az
                .get(&i)
                .or_else(|| nat_by_az.values().next())
                .map(|id| Target::Nat(id.clone()))
        })
        .collect()
}

/// The public route table: default route to the internet gateway, all public subnets.
pub(super) async fn ensure_public_routes(
    env: &PartEnv,
    inv: &Inventory,
    vpc_id: &str,
    public: &[String],
    igw_id: &str,
) -> Result<(), PartError> {
    let table = Table {
        vpc_id,
        tier: "public",
        az: None,
    };
    let target = Target::Gateway(igw_id.to_string());
    ensure_route_table(env, inv, &table, public, Some(target)).await
}

/// One private route table per AZ.
pub(super) async fn ensure_private_routes(
    env: &PartEnv,
    inv: &Inventory,
    vpc_id: &str,
    subnets: &Subnets,
    nat_by_az: &BTreeMap<usize, String>,
) -> Result<(), PartError> {
    let targets = private_targets(subnets.azs.len(), nat_by_az);
    for ((az, subnet), target) in subnets.azs.iter().zip(&subnets.private).zip(targets) {
        let table = Table {
            vpc_id,
            tier: "private",
            az: Some(az),
        };
        ensure_route_table(env, inv, &table, std::slice::from_ref(subnet), target).await?;
    }
    Ok(())
}

/// Which route table: its VPC, tier and (private ones) AZ.
struct Table<'a> {
    vpc_id: &'a str,
    tier: &'a str,
    az: Option<&'a str>,
}

impl Table<'_> {
    fn name(&self, env: &PartEnv) -> String {
        match self.az {
            Some(az) => format!("{}-{}-{az}", env.name, self.tier),
            None => format!("{}-{}", env.name, self.tier),
        }
    }

    fn find<'i>(&self, inv: &'i Inventory) -> Option<&'i RouteTable> {
        inv.route_tables.iter().find(|rt| {
            rt.vpc_id() == Some(self.vpc_id)
                && tag(rt.tags(), TIER_TAG) == Some(self.tier)
                && tag(rt.tags(), AZ_TAG) == self.az
        })
    }
}

/// A route table, adopted or created, associated with `subnets`, whose default route goes
/// to `target` (or does not exist when `target` is None).
async fn ensure_route_table(
    env: &PartEnv,
    inv: &Inventory,
    table: &Table<'_>,
    subnets: &[String],
    target: Option<Target>,
) -> Result<(), PartError> {
    let name = table.name(env);
    let mut extra = vec![(TIER_TAG, table.tier)];
    if let Some(az) = table.az {
        extra.push((AZ_TAG, az));
    }
    let tags = desired_tags(env, &name, &extra);
    let (rt_id, routes, assocs) = match table.find(inv) {
        Some(rt) => {
            let id = rt.route_table_id().unwrap_or_default().to_string();
            sync_tags(env, &id, rt.tags(), &tags).await?;
            (id, rt.routes().to_vec(), rt.associations().to_vec())
        }
        None => (
            create_route_table(env, table.vpc_id, &name, &tags).await?,
            vec![],
            vec![],
        ),
    };
    let change = default_route_change(&routes, target.as_ref());
    set_default_route(env, &rt_id, &name, change).await?;
    associate(env, &rt_id, &name, &assocs, subnets).await
}

async fn create_route_table(
    env: &PartEnv,
    vpc_id: &str,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<String, PartError> {
    let req = env
        .aws
        .ec2()
        .create_route_table()
        .vpc_id(vpc_id)
        .tag_specifications(tag_spec(ResourceType::RouteTable, tags));
    let what = format!("creating route table `{name}`");
    let out = until_propagated(env, &what, || req.clone().send())
        .await?
        .map_err(|e| ec2_error(what.as_str(), "CreateRouteTable", &e))?;
    let id = out
        .route_table()
        .and_then(|r| r.route_table_id())
        .unwrap_or_default()
        .to_string();
    tracing::info!(part = %part(), object = "route-table", id = %id, name = %name, "created");
    Ok(id)
}

async fn set_default_route(
    env: &PartEnv,
    rt_id: &str,
    name: &str,
    change: RouteChange,
) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    let what = format!("default route of `{name}`");
    let split = |t: &Target| match t {
        Target::Gateway(g) => (Some(g.clone()), None),
        Target::Nat(n) => (None, Some(n.clone())),
    };
    let result = match &change {
        RouteChange::Keep => return Ok(()),
        RouteChange::Delete => {
            let req = ec2
                .delete_route()
                .route_table_id(rt_id)
                .destination_cidr_block(ANY_IPV4);
            req.send()
                .await
                .map(|_| ())
                .map_err(|e| ec2_error(format!("removing the {what}"), "DeleteRoute", &e))
        }
        RouteChange::Replace(t) => {
            let (gw, nat) = split(t);
            let req = ec2
                .replace_route()
                .route_table_id(rt_id)
                .destination_cidr_block(ANY_IPV4);
            let req = req.set_gateway_id(gw).set_nat_gateway_id(nat);
            let doing = format!("replacing the {what}");
            until_propagated(env, &doing, || req.clone().send())
                .await?
                .map(|_| ())
                .map_err(|e| ec2_error(doing.as_str(), "ReplaceRoute", &e))
        }
        RouteChange::Create(t) => {
            let (gw, nat) = split(t);
            let req = ec2
                .create_route()
                .route_table_id(rt_id)
                .destination_cidr_block(ANY_IPV4);
            let req = req.set_gateway_id(gw).set_nat_gateway_id(nat);
            let doing = format!("creating the {what}");
            until_propagated(env, &doing, || req.clone().send())
                .await?
                .map(|_| ())
                .map_err(|e| ec2_error(doing.as_str(), "CreateRoute", &e))
        }
    };
    result?;
    tracing::info!(part = %part(), object = "route-table", id = %rt_id, change = ?change, "default route set");
    Ok(())
}

/// Associates `subnets` with the table; a subnet is associated with at most one route
/// table, so one associated elsewhere is moved.
async fn associate(
    env: &PartEnv,
    rt_id: &str,
    name: &str,
    assocs: &[RouteTableAssociation],
    subnets: &[String],
) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    for s in subnets {
        if assocs.iter().any(|a| a.subnet_id() == Some(s.as_str())) {
            continue;
        }
        let tables = find_route_tables(env, vec![filter("association.subnet-id", [s.clone()])])
            .await
            .map_err(|e| PartError {
                summary: format!("reading the route table of `{s}`"),
                ..e
            })?;
        let other = tables
            .iter()
            .flat_map(|rt| rt.associations())
            .find(|a| a.subnet_id() == Some(s.as_str()) && a.route_table_id() != Some(rt_id));
        let summary = format!("associating `{s}` with `{name}`");
        match other.and_then(|a| a.route_table_association_id()) {
            Some(assoc) => {
                let req = ec2
                    .replace_route_table_association()
                    .association_id(assoc)
                    .route_table_id(rt_id);
                until_propagated(env, &summary, || req.clone().send())
                    .await?
                    .map_err(|e| ec2_error(summary.as_str(), "ReplaceRouteTableAssociation", &e))?;
            }
            None => {
                let req = ec2
                    .associate_route_table()
                    .route_table_id(rt_id)
                    .subnet_id(s);
                until_propagated(env, &summary, || req.clone().send())
                    .await?
                    .map_err(|e| ec2_error(summary.as_str(), "AssociateRouteTable", &e))?;
            }
        }
        tracing::info!(part = %part(), object = "route-table", id = %rt_id, subnet = %s, "associated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::types::RouteState;

    use super::*;

    fn default_route(gw: Option<&str>, nat: Option<&str>, state: RouteState) -> Route {
        Route::builder()
            .destination_cidr_block(ANY_IPV4)
            .set_gateway_id(gw.map(str::to_string))
            .set_nat_gateway_id(nat.map(str::to_string))
            .state(state)
            .build()
    }

    #[test]
    fn the_default_route_is_kept_replaced_created_or_deleted() {
        let nat = |id: &str| Target::Nat(id.into());
        let to_a = [default_route(None, Some("nat-a"), RouteState::Active)];
        assert_eq!(
            default_route_change(&to_a, Some(&nat("nat-a"))),
            RouteChange::Keep
        );
        assert_eq!(
            default_route_change(&to_a, Some(&nat("nat-b"))),
            RouteChange::Replace(nat("nat-b"))
        );
        assert_eq!(default_route_change(&to_a, None), RouteChange::Delete);
        assert_eq!(
            default_route_change(&[], Some(&nat("nat-a"))),
            RouteChange::Create(nat("nat-a"))
        );
        assert_eq!(default_route_change(&[], None), RouteChange::Keep);
        // A blackhole (its NAT gateway was deleted) is replaced even when the ID matches.
        let hole = [default_route(None, Some("nat-a"), RouteState::Blackhole)];
        assert_eq!(
            default_route_change(&hole, Some(&nat("nat-a"))),
            RouteChange::Replace(nat("nat-a"))
        );
        let igw = [default_route(Some("igw-1"), None, RouteState::Active)];
        assert_eq!(
            default_route_change(&igw, Some(&Target::Gateway("igw-1".into()))),
            RouteChange::Keep
        );
    }

    #[test]
    fn private_tables_use_their_azs_nat_gateway_or_the_single_one() {
        let per_az = BTreeMap::from([(0, "nat-a".to_string()), (1, "nat-b".to_string())]);
        let nat = |id: &str| Some(Target::Nat(id.into()));
        assert_eq!(private_targets(2, &per_az), [nat("nat-a"), nat("nat-b")]);
        let single = BTreeMap::from([(0, "nat-a".to_string())]);
        assert_eq!(
            private_targets(3, &single),
            [nat("nat-a"), nat("nat-a"), nat("nat-a")]
        );
        assert_eq!(private_targets(2, &BTreeMap::new()), [None, None]);
    }
}
