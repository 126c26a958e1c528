//! The network's VPC endpoints ([`PartId::NetworkEndpoints`], `network.endpoints`): for each
//! requested service, a gateway endpoint (`s3`, `dynamodb`) on the route tables of the
//! private subnets, or an interface endpoint (one network interface in a private subnet of
//! each AZ, private DNS on) behind the group `ENV-endpoints`, which admits the VPC on 443.
//! Endpoints carry the ownership tags and `mosia:endpoint=SERVICE`, by which they are found;
//! endpoints no longer requested are deleted, all of them (and the group) at destroy, before
//! the network: an interface endpoint's network interfaces keep its subnets from being
//! deleted.
//!
//! [`PartId::NetworkEndpoints`]: crate::aws::part::PartId::NetworkEndpoints

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types::{
    IpPermission, IpRange, ResourceType, SecurityGroup, VpcEndpoint, VpcEndpointType,
};

use super::input::GATEWAY_ENDPOINT_SERVICES;
use super::inventory::find_security_groups;
use super::{filter, owner_filters, tag, tag_spec, NetworkState, SERVICE, SERVICE_TAG};
use crate::aws::part::{PartEnv, PartId};
use crate::aws::wait::{AwsKind, Statuses};
use crate::engine::PartError;
use crate::engine::Poll;

/// Tag naming the service of an endpoint.
pub const ENDPOINT_TAG: &str = "mosia:endpoint";
/// The `mosia:service` tag of the interface endpoints' group.
pub const ENDPOINTS_GROUP_SERVICE: &str = "endpoints";
/// Endpoint statuses while it is created, and its target.
pub const ENDPOINT_AVAILABLE: Statuses = Statuses {
    pending: &["pendingacceptance", "pending"],
    target: &["available"],
};
/// Endpoint statuses while it is deleted; gone (or `deleted`) is the target.
pub const ENDPOINT_DELETED: Statuses = Statuses {
    pending: &["deleting", "available", "pending"],
    target: &["deleted"],
};
const WAIT: Duration = Duration::from_secs(20 * 60);

/// The endpoints as they are in AWS.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EndpointsState {
    /// Service (`s3`, `ecr.api`, ...) → endpoint ID.
    pub endpoint_ids: BTreeMap<String, String>,
    /// The group of the interface endpoints (admits the VPC on 443).
    pub security_group_id: Option<String>,
}

fn part() -> PartId {
    PartId::NetworkEndpoints
}

/// `com.amazonaws.REGION.SERVICE`.
pub fn service_name(region: &str, service: &str) -> String {
    format!("com.amazonaws.{region}.{service}")
}

/// The environment's endpoints (not deleted), by service.
pub async fn find_endpoints(env: &PartEnv) -> Result<BTreeMap<String, VpcEndpoint>, PartError> {
    let mut f = owner_filters(env);
    f.push(filter(
        "vpc-endpoint-state",
        ["pendingAcceptance", "pending", "available", "failed"],
    ));
    let out = env
        .aws
        .ec2()
        .describe_vpc_endpoints()
        .set_filters(Some(f))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &part(),
                "reading the VPC endpoints",
                "DescribeVpcEndpoints",
                &e,
            )
        })?;
    Ok(out
        .vpc_endpoints()
        .iter()
        .filter(|e| !matches!(status(e).as_str(), "deleted" | "deleting"))
        .filter_map(|e| Some((tag(e.tags(), ENDPOINT_TAG)?.to_string(), e.clone())))
        .collect())
}

fn status(e: &VpcEndpoint) -> String {
    e.state()
        .map(|s| s.as_str().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The route tables of the private subnets (gateway endpoints add their routes there).
async fn private_route_tables(env: &PartEnv, net: &NetworkState) -> Result<Vec<String>, PartError> {
    let out = env
        .aws
        .ec2()
        .describe_route_tables()
        .filters(filter(
            "association.subnet-id",
            net.private_subnet_ids.clone(),
        ))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &part(),
                "reading the private route tables",
                "DescribeRouteTables",
                &e,
            )
        })?;
    let mut ids: Vec<String> = out
        .route_tables()
        .iter()
        .filter_map(|r| r.route_table_id().map(str::to_string))
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The requested endpoints, created or kept; the others deleted.
pub async fn ensure_endpoints(
    env: &PartEnv,
    net: &NetworkState,
    services: &[String],
) -> Result<EndpointsState, PartError> {
    let mut have = find_endpoints(env).await?;
    let interface = services
        .iter()
        .any(|s| !GATEWAY_ENDPOINT_SERVICES.contains(&s.as_str()));
    let group = match interface {
        true => Some(ensure_endpoints_group(env, net).await?),
        false => None,
    };
    let mut ids = BTreeMap::new();
    for service in services {
        let id = match have.remove(service) {
            Some(e) => e.vpc_endpoint_id().unwrap_or_default().to_string(),
            None => create_endpoint(env, net, service, group.as_deref()).await?,
        };
        wait_endpoint(env, &id, ENDPOINT_AVAILABLE).await?;
        ids.insert(service.clone(), id);
    }
    for (service, e) in have {
        tracing::info!(part = %part(), object = "vpc-endpoint", service, "no longer requested: deleting");
        delete_endpoint(env, e.vpc_endpoint_id().unwrap_or_default()).await?;
    }
    if group.is_none() {
        delete_endpoints_group(env).await?;
    }
    Ok(EndpointsState {
        endpoint_ids: ids,
        security_group_id: group,
    })
}

async fn create_endpoint(
    env: &PartEnv,
    net: &NetworkState,
    service: &str,
    group: Option<&str>,
) -> Result<String, PartError> {
    let ec2 = env.aws.ec2();
    let mut tags = env.tags_for(part().tag());
    tags.insert(ENDPOINT_TAG.into(), service.into());
    tags.insert("Name".into(), env.aws_name(&format!("vpce-{service}")));
    let req = ec2
        .create_vpc_endpoint()
        .vpc_id(&net.vpc_id)
        .service_name(service_name(&env.aws.region(), service))
        .tag_specifications(tag_spec(ResourceType::VpcEndpoint, &tags));
    let req = if GATEWAY_ENDPOINT_SERVICES.contains(&service) {
        let tables = private_route_tables(env, net).await?;
        req.vpc_endpoint_type(VpcEndpointType::Gateway)
            .set_route_table_ids(Some(tables))
    } else {
        req.vpc_endpoint_type(VpcEndpointType::Interface)
            .set_subnet_ids(Some(net.one_subnet_per_az()))
            .set_security_group_ids(group.map(|g| vec![g.to_string()]))
            .private_dns_enabled(true)
    };
    let out = req.send().await.map_err(|e| {
        SERVICE.error(
            &part(),
            format!("creating the VPC endpoint for {service}"),
            "CreateVpcEndpoint",
            &e,
        )
    })?;
    let id = out
        .vpc_endpoint()
        .and_then(|e| e.vpc_endpoint_id())
        .unwrap_or_default()
        .to_string();
    tracing::info!(part = %part(), object = "vpc-endpoint", id = %id, service, "created");
    Ok(id)
}

async fn describe_status(env: &PartEnv, id: &str) -> Result<Option<String>, PartError> {
    let out = env
        .aws
        .ec2()
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(id)
        .send()
        .await;
    match out {
        Ok(o) => Ok(o.vpc_endpoints().first().map(status)),
        Err(e) if crate::aws::errors::code(&e).is_some_and(|c| c.contains("NotFound")) => Ok(None),
        Err(e) => Err(SERVICE.error(
            &part(),
            format!("reading VPC endpoint `{id}`"),
            "DescribeVpcEndpoints",
            &e,
        )),
    }
}

/// Waits until endpoint `id` reaches `statuses`' target (gone counts as `deleted`).
async fn wait_endpoint(env: &PartEnv, id: &str, statuses: Statuses) -> Result<(), PartError> {
    let what = format!("VPC endpoint `{id}`");
    let key = part().to_string();
    env.waiter(&key, AwsKind::Network, what.clone())
        .timeout(WAIT)
        .until(|| async {
            match describe_status(env, id).await {
                Ok(s) => {
                    let s = s.unwrap_or_else(|| "deleted".into());
                    statuses.poll(&key, &what, Some(&s), || ())
                }
                Err(e) => Poll::Failed(e),
            }
        })
        .await
        .map_err(PartError::from)
}

async fn delete_endpoint(env: &PartEnv, id: &str) -> Result<(), PartError> {
    let res = env
        .aws
        .ec2()
        .delete_vpc_endpoints()
        .vpc_endpoint_ids(id)
        .send()
        .await;
    match res {
        Ok(_) => {}
        Err(e) if crate::aws::errors::code(&e).is_some_and(|c| c.contains("NotFound")) => {
            return Ok(())
        }
        Err(e) => {
            return Err(SERVICE.error(
                &part(),
                format!("deleting VPC endpoint `{id}`"),
                "DeleteVpcEndpoints",
                &e,
            ))
        }
    }
    wait_endpoint(env, id, ENDPOINT_DELETED).await
}

/// The group of the interface endpoints, created or adopted, admitting the VPC on 443.
async fn ensure_endpoints_group(env: &PartEnv, net: &NetworkState) -> Result<String, PartError> {
    if let Some(g) = find_endpoints_group(env).await? {
        return Ok(g.group_id().unwrap_or_default().to_string());
    }
    let ec2 = env.aws.ec2();
    let name = env.aws_name("endpoints");
    let mut tags = env.tags_for(part().tag());
    tags.insert(SERVICE_TAG.into(), ENDPOINTS_GROUP_SERVICE.into());
    tags.insert("Name".into(), name.clone());
    let out = ec2
        .create_security_group()
        .group_name(&name)
        .description(format!(
            "Mosia environment {}: VPC endpoints from the VPC",
            env.name
        ))
        .vpc_id(&net.vpc_id)
        .tag_specifications(tag_spec(ResourceType::SecurityGroup, &tags))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &part(),
                format!("creating security group `{name}`"),
                "CreateSecurityGroup",
                &e,
            )
        })?;
    let id = out.group_id().unwrap_or_default().to_string();
    let https = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .ip_ranges(
            IpRange::builder()
                .cidr_ip(&net.cidr_block)
                .description("HTTPS from the VPC (mosia)")
                .build(),
        )
        .build();
    ec2.authorize_security_group_ingress()
        .group_id(&id)
        .ip_permissions(https)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &part(),
                format!("allowing HTTPS on `{name}`"),
                "AuthorizeSecurityGroupIngress",
                &e,
            )
        })?;
    Ok(id)
}

async fn find_endpoints_group(env: &PartEnv) -> Result<Option<SecurityGroup>, PartError> {
    let mut f = owner_filters(env);
    f.push(filter(
        &format!("tag:{SERVICE_TAG}"),
        [ENDPOINTS_GROUP_SERVICE],
    ));
    Ok(find_security_groups(env, &f).await?.into_iter().next())
}

async fn delete_endpoints_group(env: &PartEnv) -> Result<(), PartError> {
    let Some(g) = find_endpoints_group(env).await? else {
        return Ok(());
    };
    let id = g.group_id().unwrap_or_default().to_string();
    super::delete::delete_retrying(
        env,
        format!("security group `{id}` (endpoints)"),
        "DeleteSecurityGroup",
        || env.aws.ec2().delete_security_group().group_id(&id).send(),
    )
    .await
}

/// What exists now (refresh): the endpoints by service, and the group.
pub async fn read_endpoints(env: &PartEnv) -> Result<EndpointsState, PartError> {
    let endpoint_ids = find_endpoints(env)
        .await?
        .into_iter()
        .map(|(s, e)| (s, e.vpc_endpoint_id().unwrap_or_default().to_string()))
        .collect();
    let group = find_endpoints_group(env)
        .await?
        .and_then(|g| g.group_id().map(str::to_string));
    Ok(EndpointsState {
        endpoint_ids,
        security_group_id: group,
    })
}

/// Deletes the environment's endpoints and their group.
pub async fn delete_endpoints(env: &PartEnv) -> Result<(), PartError> {
    for (_, e) in find_endpoints(env).await? {
        delete_endpoint(env, e.vpc_endpoint_id().unwrap_or_default()).await?;
    }
    delete_endpoints_group(env).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_named_in_the_region_and_statuses_are_explicit() {
        assert_eq!(
            service_name("eu-central-1", "ecr.dkr"),
            "com.amazonaws.eu-central-1.ecr.dkr"
        );
        assert!(ENDPOINT_AVAILABLE.target.contains(&"available"));
        assert!(ENDPOINT_DELETED.target.contains(&"deleted"));
    }
}
