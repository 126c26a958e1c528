//! The VPC of a network Mosia creates: check that it can be kept, adopt it or create it,
//! wait until it is available, and turn DNS support and hostnames on.

use std::time::Duration;

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Vpc, VpcAttributeName};

use super::inventory::{find_vpc, Inventory};
use super::{desired_tags, ec2_error, part, sync_tags, tag_map, tag_spec, Ipv4Cidr};
use crate::aws::part::{not_ours, PartEnv, PartId};
use crate::aws::wait::{AwsKind, Statuses};
use crate::engine::{NotFoundGrace, PartError, Poll};

/// Bound on waiting for a new VPC to become available (seconds on AWS).
const VPC_WAIT: Duration = Duration::from_secs(5 * 60);

/// A VPC being created: `pending`, then `available`.
const VPC_CREATED: Statuses = Statuses {
    pending: &["pending"],
    target: &["available"],
};

/// What cannot change in place: one VPC per environment, with the configured CIDR.
pub(super) fn check(env: &PartEnv, inv: &Inventory, cidr: Ipv4Cidr) -> Result<(), PartError> {
    if inv.vpcs.len() > 1 {
        let ids: Vec<&str> = inv.vpcs.iter().filter_map(|v| v.vpc_id()).collect();
        return Err(PartError::new(
            &PartId::Network,
            "finding the environment's VPC",
            format!(
                "several VPCs carry the tags of environment `{}`: {} (delete the extra ones)",
                env.name,
                ids.join(", ")
            ),
        ));
    }
    let cidr = cidr.to_string();
    match inv.vpcs.first() {
        Some(v) if v.cidr_block() != Some(cidr.as_str()) => Err(replacement_needed(format!(
            "VPC `{}` has CIDR {}, the configuration asks for {cidr}",
            v.vpc_id().unwrap_or_default(),
            v.cidr_block().unwrap_or("?")
        ))),
        _ => Ok(()),
    }
}

/// The refusal of a change that needs other subnets (CIDR, AZ count).
pub(super) fn replacement_needed(detail: String) -> PartError {
    PartError::new(
        &PartId::Network,
        "updating the network in place",
        format!(
            "{detail}: the CIDR block and the AZ count of a network cannot be changed in \
             place; the environment must be replaced (or keep the previous values)"
        ),
    )
}

/// The environment's VPC, adopted (tags converged) or created; its ID. DNS support and
/// hostnames are on when this returns.
pub(super) async fn ensure_vpc(
    env: &PartEnv,
    inv: &Inventory,
    cidr: Ipv4Cidr,
) -> Result<String, PartError> {
    let tags = desired_tags(env, &env.name, &[]);
    let (id, created) = match inv.vpcs.first() {
        Some(v) => (adopt_vpc(env, v, &tags).await?, false),
        None => (create_vpc(env, cidr, &tags).await?, true),
    };
    ensure_vpc_dns(env, &id, created).await?;
    Ok(id)
}

/// The VPC found by the ownership filters; refused when its tags say it is not this
/// environment's (the filters should make that impossible: this guards against a
/// describe that ignored them rather than take over someone else's VPC).
async fn adopt_vpc(
    env: &PartEnv,
    vpc: &Vpc,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<String, PartError> {
    let id = vpc.vpc_id().unwrap_or_default().to_string();
    let have = tag_map(vpc.tags());
    if !env.owns(PartId::Network.tag(), &have) {
        return Err(not_ours(env, &PartId::Network, "VPC", &id, &have));
    }
    tracing::info!(part = %part(), object = "vpc", id = %id, "adopting");
    sync_tags(env, &id, vpc.tags(), tags).await?;
    Ok(id)
}

async fn create_vpc(
    env: &PartEnv,
    cidr: Ipv4Cidr,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<String, PartError> {
    let out = env
        .aws
        .ec2()
        .create_vpc()
        .cidr_block(cidr.to_string())
        .tag_specifications(tag_spec(ResourceType::Vpc, tags))
        .send()
        .await
        .map_err(|e| ec2_error(format!("creating VPC `{}`", env.name), "CreateVpc", &e))?;
    let id = out
        .vpc()
        .and_then(|v| v.vpc_id())
        .unwrap_or_default()
        .to_string();
    tracing::info!(part = %part(), object = "vpc", id = %id, cidr = %cidr, "created");
    wait_vpc_available(env, &id).await?;
    Ok(id)
}

/// Waits for a new VPC: NotFound right after the create is eventual consistency (a few
/// polls of grace), throttling waits, a status other than pending/available fails.
pub(super) async fn wait_vpc_available(env: &PartEnv, vpc_id: &str) -> Result<(), PartError> {
    let part = part();
    let what = format!("VPC `{vpc_id}` to become available");
    let grace = NotFoundGrace::default();
    env.waiter(&part, AwsKind::Network, what.clone())
        .timeout(VPC_WAIT)
        .until(|| async {
            match find_vpc(env, vpc_id).await {
                Ok(Some(v)) => VPC_CREATED.poll(&part, &what, v.state().map(|s| s.as_str()), || ()),
                Ok(None) => grace.missed(&part, format!("waiting for {what}"), "VPC"),
                Err(e) if e.retryable => Poll::Pending("throttled".into()),
                Err(e) => Poll::Failed(e),
            }
        })
        .await
        .map_err(PartError::from)
}

/// DNS support and DNS hostnames on (EKS nodes and private endpoints need both). A VPC just
/// created gets both set; an adopted one is read first and changed only where it differs.
async fn ensure_vpc_dns(env: &PartEnv, vpc_id: &str, created: bool) -> Result<(), PartError> {
    for attr in [
        VpcAttributeName::EnableDnsSupport,
        VpcAttributeName::EnableDnsHostnames,
    ] {
        if created || !vpc_attribute(env, vpc_id, &attr).await? {
            enable_vpc_attribute(env, vpc_id, attr).await?;
        }
    }
    Ok(())
}

async fn vpc_attribute(
    env: &PartEnv,
    vpc_id: &str,
    attr: &VpcAttributeName,
) -> Result<bool, PartError> {
    let out = env
        .aws
        .ec2()
        .describe_vpc_attribute()
        .vpc_id(vpc_id)
        .attribute(attr.clone())
        .send()
        .await
        .map_err(|e| {
            ec2_error(
                format!("reading VPC `{vpc_id}`"),
                "DescribeVpcAttribute",
                &e,
            )
        })?;
    let v = match attr {
        VpcAttributeName::EnableDnsSupport => out.enable_dns_support(),
        _ => out.enable_dns_hostnames(),
    };
    Ok(v.and_then(|v| v.value()).unwrap_or(false))
}

async fn enable_vpc_attribute(
    env: &PartEnv,
    vpc_id: &str,
    attr: VpcAttributeName,
) -> Result<(), PartError> {
    let yes = AttributeBooleanValue::builder().value(true).build();
    let req = env.aws.ec2().modify_vpc_attribute().vpc_id(vpc_id);
    let req = match attr {
        VpcAttributeName::EnableDnsSupport => req.enable_dns_support(yes),
        _ => req.enable_dns_hostnames(yes),
    };
    req.send().await.map_err(|e| {
        ec2_error(
            format!("enabling {} on VPC `{vpc_id}`", attr.as_str()),
            "ModifyVpcAttribute",
            &e,
        )
    })?;
    tracing::info!(part = %part(), object = "vpc", id = %vpc_id, attribute = attr.as_str(), "enabled");
    Ok(())
}
