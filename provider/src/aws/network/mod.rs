//! The network part of an environment: a VPC Mosia creates (public and private subnet per
//! AZ, internet gateway, NAT gateways, route tables, one security group per service), or
//! the user's own VPC and subnets, where Mosia only adds the security groups.
//!
//! Every object Mosia creates carries the environment's ownership tags (set in the create
//! call itself through `TagSpecifications`, so there is no window in which an object exists
//! untagged) plus a few role tags (`mosia:tier`, `mosia:az`, `mosia:service`). A re-run
//! after a crash finds them by those tags and adopts them; nothing is created twice.
//!
//! Subnet layout: [`spec::subnet_layout`]; subnet `i` of each tier goes to AZ `i`. Changing
//! the CIDR or the AZ count needs different subnets, which cannot be done in place: `ensure`
//! refuses with a [`PartError`] before touching anything (the resource plans a replacement).
//! Changing `nat_gateway` (none / single / per_az), the requested services and the tags is
//! done in place.
//!
//! Security groups allow ingress from the VPC's CIDR blocks only: `eks` TCP 443 (the
//! cluster API, used as the cluster's additional security group), `rds` TCP 5432,
//! `elasticache` TCP 6379, `msk` TCP 9092-9098 (plaintext, TLS, SASL/SCRAM and IAM ports).

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error as StdError;
use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::types::{
    Address, AttributeBooleanValue, DomainType, Filter, InternetGateway, IpPermission, IpRange,
    NatGateway, NatGatewayState, ResourceType, RouteTable, SecurityGroup, Subnet, Tag,
    TagSpecification, Vpc, VpcAttributeName,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::errors;
use super::part::{PartEnv, ENVIRONMENT_TAG, PART_TAG};
use crate::engine::{PartError, Poll, Waiter};
use crate::aws::wait::AwsKind;
pub mod input;

pub use input::{Ipv4Cidr, NetworkSpec};
use input as spec;
use input::NatGateway as NatMode;

/// The part name in tags and errors.
pub const PART: &str = "network";
/// `public` or `private` on subnets and route tables.
pub const TIER_TAG: &str = "mosia:tier";
/// The AZ of a per-AZ object (private route table, NAT gateway, Elastic IP).
pub const AZ_TAG: &str = "mosia:az";
/// The service a security group is for (`eks`, `rds`, `elasticache`, `msk`).
pub const SERVICE_TAG: &str = "mosia:service";
/// The services that get a security group, with the TCP port range they open.
pub const SERVICE_PORTS: &[(&str, i32, i32)] = &[
    ("eks", 443, 443),
    ("rds", 5432, 5432),
    ("elasticache", 6379, 6379),
    ("msk", 9092, 9098),
];
/// How long a delete keeps retrying `DependencyViolation` (ENIs of deleted load
/// balancers, NAT gateways or Lambda functions linger for minutes on real AWS).
pub const DEPENDENCY_RETRY: Duration = Duration::from_secs(15 * 60);
/// Bound on waiting for NAT gateways (AWS: 1-5 minutes to become available or deleted).
pub const NAT_WAIT: Duration = Duration::from_secs(20 * 60);
/// Bound on waiting for a new VPC to become available (seconds on AWS).
const VPC_WAIT: Duration = Duration::from_secs(5 * 60);
const ANY_IPV4: &str = "0.0.0.0/0";

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkState {
    pub vpc_id: String,
    pub cidr_block: String,
    pub availability_zones: Vec<String>,
    /// One per AZ, same order as `availability_zones` (the user's subnets for a network
    /// brought by the user).
    pub private_subnet_ids: Vec<String>,
    /// One per AZ, same order as `availability_zones`; empty for a network brought by the user.
    pub public_subnet_ids: Vec<String>,
    /// "eks" | "rds" | "elasticache" | "msk" -> security group id.
    pub security_group_ids: BTreeMap<String, String>,
    pub internet_gateway_id: Option<String>,
    pub nat_gateway_ids: Vec<String>,
    /// True when Mosia created (owns) the VPC; false for the user's VPC.
    pub managed: bool,
}

// ---------------------------------------------------------------------------------------------
// Errors and small helpers

pub(crate) fn aws_error<E, R>(summary: impl Into<String>, op: &str, e: &SdkError<E, R>) -> PartError
where
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug,
{
    let d = errors::diagnostic(op, e);
    PartError::new(PART, summary, format!("{}: {}", d.summary, d.detail)).retryable(transient(e))
}

/// Service error codes that may pass by themselves (throttling, internal errors, capacity).
const TRANSIENT_CODES: &[&str] = &[
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "Unavailable",
    "InsufficientAddressCapacity",
    "AddressLimitExceeded",
    "NatGatewayLimitExceeded",
];

/// Throttling, 5xx and transport failures may pass by themselves.
fn transient<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    errors::is_transient(e, TRANSIENT_CODES)
}

fn is_not_found<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    errors::code(e).is_some_and(|c| c.contains("NotFound") || c == "Gateway.NotAttached")
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    super::tags::from_pairs(tags.iter().map(|t| (t.key(), t.value())))
}

fn to_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn tag_spec(rt: ResourceType, tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(rt)
        .set_tags(Some(to_tags(tags)))
        .build()
}

fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

fn owner_filters(env: &PartEnv) -> Vec<Filter> {
    vec![
        filter(&format!("tag:{ENVIRONMENT_TAG}"), [env.name.clone()]),
        filter(&format!("tag:{PART_TAG}"), [PART]),
    ]
}

/// Ownership tags plus `Name` and the object's role tags.
fn desired_tags(env: &PartEnv, name: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut t = env.tags_for(PART);
    t.insert("Name".into(), name.into());
    for (k, v) in extra {
        t.insert((*k).into(), (*v).into());
    }
    t
}

/// Tags that others put on our objects and that must survive a tag sync.
fn foreign_tag(key: &str) -> bool {
    key.starts_with("aws:") || key.starts_with("kubernetes.io/cluster/")
}

/// Makes an object's tags equal to `want` (keeping AWS's and Kubernetes' own tags).
async fn sync_tags(
    env: &PartEnv,
    id: &str,
    current: &[Tag],
    want: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let have = tag_map(current);
    let add: BTreeMap<String, String> = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove: Vec<Tag> = have
        .keys()
        .filter(|k| !want.contains_key(*k) && !foreign_tag(k))
        .map(|k| Tag::builder().key(k).build())
        .collect();
    let ec2 = env.aws.ec2();
    if !add.is_empty() {
        tracing::info!(part = PART, object = id, "updating tags");
        ec2.create_tags()
            .resources(id)
            .set_tags(Some(to_tags(&add)))
            .send()
            .await
            .map_err(|e| aws_error(format!("tagging `{id}`"), "EC2 CreateTags", &e))?;
    }
    if !remove.is_empty() {
        tracing::info!(part = PART, object = id, "removing stale tags");
        ec2.delete_tags()
            .resources(id)
            .set_tags(Some(remove))
            .send()
            .await
            .map_err(|e| aws_error(format!("untagging `{id}`"), "EC2 DeleteTags", &e))?;
    }
    Ok(())
}

fn waiter<'a>(env: &'a PartEnv, what: String, timeout: Duration) -> Waiter<'a> {
    Waiter::new(PART, AwsKind::Network.poll_schedule())
        .what(what)
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(timeout)
}

/// Runs a delete until it succeeds or reports NotFound, retrying `DependencyViolation`
/// (and the other "still in use" answers) with backoff for at most [`DEPENDENCY_RETRY`].
async fn delete_retrying<T, E, R, F, Fut>(
    env: &PartEnv,
    what: String,
    op: &'static str,
    mut call: F,
) -> Result<(), PartError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + StdError + 'static,
    R: std::fmt::Debug,
{
    let summary = format!("deleting {what}");
    let w = waiter(env, format!("{what} to be deleted"), DEPENDENCY_RETRY);
    w.until(|| {
        let fut = call();
        let summary = summary.clone();
        async move {
            match fut.await {
                Ok(_) => Poll::Ready(()),
                Err(e) if is_not_found(&e) => Poll::Ready(()),
                Err(e) => match errors::code(&e) {
                    Some(
                        c @ ("DependencyViolation"
                        | "InvalidIPAddress.InUse"
                        | "AuthFailure"
                        | "InvalidGroup.InUse"
                        | "ResourceInUse"),
                    ) => Poll::Pending(c.to_string()),
                    _ if transient(&e) => Poll::Pending("throttled".into()),
                    _ => Poll::Failed(aws_error(summary, op, &e)),
                },
            }
        }
    })
    .await
    .map_err(PartError::from)?;
    tracing::info!(part = PART, object = %what, "deleted");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// What exists: everything the part owns, found by its tags

#[derive(Debug, Default)]
struct Inventory {
    vpcs: Vec<Vpc>,
    subnets: Vec<Subnet>,
    igws: Vec<InternetGateway>,
    route_tables: Vec<RouteTable>,
    /// NAT gateways in the owned VPCs that are not deleted (or deleting).
    nats: Vec<NatGateway>,
    addresses: Vec<Address>,
    sgs: Vec<SecurityGroup>,
}

impl Inventory {
    fn subnet(&self, id: &str) -> Option<&Subnet> {
        self.subnets.iter().find(|s| s.subnet_id() == Some(id))
    }
}

fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// One describe per object type, filtered by the ownership tags (NAT gateways by the owned
/// VPCs: every NAT gateway in a VPC Mosia owns is Mosia's).
async fn inventory(env: &PartEnv) -> Result<Inventory, PartError> {
    let ec2 = env.aws.ec2();
    let f = owner_filters(env);
    let reading = "reading the network";
    let vpcs = ec2
        .describe_vpcs()
        .set_filters(Some(f.clone()))
        .send()
        .await
        .map_err(|e| aws_error(reading, "EC2 DescribeVpcs", &e))?
        .vpcs
        .unwrap_or_default();
    let (subnets, igws, rts, addrs, sgs) = futures::join!(
        ec2.describe_subnets().set_filters(Some(f.clone())).send(),
        ec2.describe_internet_gateways()
            .set_filters(Some(f.clone()))
            .send(),
        ec2.describe_route_tables()
            .set_filters(Some(f.clone()))
            .send(),
        ec2.describe_addresses().set_filters(Some(f.clone())).send(),
        ec2.describe_security_groups()
            .set_filters(Some(f.clone()))
            .send(),
    );
    let mut inv = Inventory {
        subnets: subnets
            .map_err(|e| aws_error(reading, "EC2 DescribeSubnets", &e))?
            .subnets
            .unwrap_or_default(),
        igws: igws
            .map_err(|e| aws_error(reading, "EC2 DescribeInternetGateways", &e))?
            .internet_gateways
            .unwrap_or_default(),
        route_tables: rts
            .map_err(|e| aws_error(reading, "EC2 DescribeRouteTables", &e))?
            .route_tables
            .unwrap_or_default(),
        addresses: addrs
            .map_err(|e| aws_error(reading, "EC2 DescribeAddresses", &e))?
            .addresses
            .unwrap_or_default(),
        sgs: sgs
            .map_err(|e| aws_error(reading, "EC2 DescribeSecurityGroups", &e))?
            .security_groups
            .unwrap_or_default(),
        ..Default::default()
    };
    let vpc_ids: Vec<String> = vpcs.iter().filter_map(|v| v.vpc_id.clone()).collect();
    if !vpc_ids.is_empty() {
        inv.nats = ec2
            .describe_nat_gateways()
            .filter(filter("vpc-id", vpc_ids))
            .filter(filter("state", ["pending", "available", "failed"]))
            .send()
            .await
            .map_err(|e| aws_error(reading, "EC2 DescribeNatGateways", &e))?
            .nat_gateways
            .unwrap_or_default()
            .into_iter()
            .filter(|n| {
                matches!(
                    n.state(),
                    Some(
                        NatGatewayState::Pending
                            | NatGatewayState::Available
                            | NatGatewayState::Failed
                    )
                )
            })
            .collect();
    }
    inv.vpcs = vpcs;
    Ok(inv)
}

// ---------------------------------------------------------------------------------------------
// ensure

/// Converges the network to `spec`, with one security group per service in `services`
/// (`eks`, `rds`, `elasticache`, `msk`).
pub async fn ensure(
    env: &PartEnv,
    spec: &NetworkSpec,
    services: &[&str],
) -> Result<NetworkState, PartError> {
    for s in services {
        if !SERVICE_PORTS.iter().any(|(name, ..)| name == s) {
            return Err(PartError::new(
                PART,
                "ensuring security groups",
                format!("unknown service `{s}` (expected one of eks, rds, elasticache, msk)"),
            ));
        }
    }
    match spec {
        NetworkSpec::Managed {
            cidr,
            az_count,
            nat_gateway,
        } => ensure_managed(env, *cidr, *az_count, *nat_gateway, services).await,
        NetworkSpec::Existing { vpc_id, subnet_ids } => {
            ensure_existing(env, vpc_id, subnet_ids, services).await
        }
    }
}

/// The available AZs of the region, in name order (the network takes the first ones).
async fn region_azs(env: &PartEnv) -> Result<Vec<String>, PartError> {
    let out = env
        .aws
        .ec2()
        .describe_availability_zones()
        .filters(filter("state", ["available"]))
        .send()
        .await
        .map_err(|e| {
            aws_error(
                "listing availability zones",
                "EC2 DescribeAvailabilityZones",
                &e,
            )
        })?;
    let mut azs: Vec<String> = out
        .availability_zones()
        .iter()
        .filter(|z| z.zone_type().is_none_or(|t| t == "availability-zone"))
        .filter_map(|z| z.zone_name().map(str::to_string))
        .collect();
    azs.sort();
    azs.dedup();
    Ok(azs)
}

async fn ensure_managed(
    env: &PartEnv,
    cidr: Ipv4Cidr,
    az_count: u32,
    nat_mode: NatMode,
    services: &[&str],
) -> Result<NetworkState, PartError> {
    let ec2 = env.aws.ec2();
    let n = az_count as usize;
    let layout = spec::subnet_layout(cidr, az_count).ok_or_else(|| {
        PartError::new(
            PART,
            "laying out subnets",
            format!(
                "{cidr} is too small for {az_count} AZs (two subnets of at least /{} each)",
                spec::MAX_SUBNET_PREFIX
            ),
        )
    })?;
    let cidr_s = cidr.to_string();
    let inv = inventory(env).await?;

    // --- Check first: what cannot be changed in place fails before anything is touched.
    if inv.vpcs.len() > 1 {
        let ids: Vec<&str> = inv.vpcs.iter().filter_map(|v| v.vpc_id()).collect();
        return Err(PartError::new(
            PART,
            "finding the environment's VPC",
            format!(
                "several VPCs carry the tags of environment `{}`: {} (delete the extra ones)",
                env.name,
                ids.join(", ")
            ),
        ));
    }
    let existing_vpc = inv.vpcs.first();
    if let Some(v) = existing_vpc {
        if v.cidr_block() != Some(cidr_s.as_str()) {
            return Err(replacement_needed(format!(
                "VPC `{}` has CIDR {}, the configuration asks for {cidr_s}",
                v.vpc_id().unwrap_or_default(),
                v.cidr_block().unwrap_or("?")
            )));
        }
    }
    let want_private: Vec<String> = layout.private.iter().map(|c| c.to_string()).collect();
    let want_public: Vec<String> = layout.public.iter().map(|c| c.to_string()).collect();
    for s in &inv.subnets {
        let c = s.cidr_block().unwrap_or_default();
        if !want_private.iter().chain(&want_public).any(|w| w == c) {
            return Err(replacement_needed(format!(
                "subnet `{}` ({c}) is not in the layout for {cidr_s} over {az_count} AZs \
                 (private {}, public {})",
                s.subnet_id().unwrap_or_default(),
                want_private.join(", "),
                want_public.join(", ")
            )));
        }
    }
    let by_cidr = |c: &str| inv.subnets.iter().find(|s| s.cidr_block() == Some(c));

    // AZs: those of the existing subnets, the region's first free ones for the rest.
    let mut azs: Vec<Option<String>> = (0..n)
        .map(|i| {
            by_cidr(&want_private[i])
                .or_else(|| by_cidr(&want_public[i]))
                .and_then(|s| s.availability_zone().map(str::to_string))
        })
        .collect();
    if azs.iter().any(Option::is_none) {
        let region_azs = region_azs(env).await?;
        let taken: BTreeSet<String> = azs.iter().flatten().cloned().collect();
        let mut free = region_azs.iter().filter(|z| !taken.contains(*z));
        for slot in azs.iter_mut().filter(|a| a.is_none()) {
            match free.next() {
                Some(z) => *slot = Some(z.clone()),
                None => {
                    return Err(PartError::new(
                        PART,
                        "choosing availability zones",
                        format!(
                            "region {} has {} available AZs ({}), the configuration asks for {az_count}",
                            env.aws.region(),
                            region_azs.len(),
                            region_azs.join(", ")
                        ),
                    ))
                }
            }
        }
    }
    let azs: Vec<String> = azs.into_iter().map(Option::unwrap_or_default).collect();
    for (i, az) in azs.iter().enumerate() {
        for (c, tier) in [(&want_private[i], "private"), (&want_public[i], "public")] {
            if let Some(s) = by_cidr(c) {
                if s.availability_zone() != Some(az.as_str()) {
                    return Err(replacement_needed(format!(
                        "{tier} subnet `{}` ({c}) is in {}, the layout puts it in {az}",
                        s.subnet_id().unwrap_or_default(),
                        s.availability_zone().unwrap_or("?")
                    )));
                }
            }
        }
    }

    // --- VPC
    let vpc_name = env.name.clone();
    let vpc_tags = desired_tags(env, &vpc_name, &[]);
    let vpc_id = match existing_vpc {
        Some(v) => {
            let id = v.vpc_id().unwrap_or_default().to_string();
            tracing::info!(part = PART, object = "vpc", id = %id, "adopting");
            sync_tags(env, &id, v.tags(), &vpc_tags).await?;
            id
        }
        None => {
            let out = ec2
                .create_vpc()
                .cidr_block(&cidr_s)
                .tag_specifications(tag_spec(ResourceType::Vpc, &vpc_tags))
                .send()
                .await
                .map_err(|e| {
                    aws_error(format!("creating VPC `{vpc_name}`"), "EC2 CreateVpc", &e)
                })?;
            let id = out
                .vpc()
                .and_then(|v| v.vpc_id())
                .unwrap_or_default()
                .to_string();
            tracing::info!(part = PART, object = "vpc", id = %id, cidr = %cidr_s, "created");
            wait_vpc_available(env, &id).await?;
            id
        }
    };
    ensure_vpc_dns(env, &vpc_id, existing_vpc.is_none()).await?;

    // --- Subnets
    let mut private_ids = Vec::with_capacity(n);
    let mut public_ids = Vec::with_capacity(n);
    for (i, az) in azs.iter().enumerate() {
        for (c, tier, role, ids) in [
            (
                &want_private[i],
                "private",
                "kubernetes.io/role/internal-elb",
                &mut private_ids,
            ),
            (
                &want_public[i],
                "public",
                "kubernetes.io/role/elb",
                &mut public_ids,
            ),
        ] {
            let name = format!("{}-{tier}-{az}", env.name);
            let tags = desired_tags(env, &name, &[(TIER_TAG, tier), (role, "1")]);
            let id = match by_cidr(c) {
                Some(s) => {
                    let id = s.subnet_id().unwrap_or_default().to_string();
                    sync_tags(env, &id, s.tags(), &tags).await?;
                    id
                }
                None => {
                    let out = ec2
                        .create_subnet()
                        .vpc_id(&vpc_id)
                        .cidr_block(c)
                        .availability_zone(az)
                        .tag_specifications(tag_spec(ResourceType::Subnet, &tags))
                        .send()
                        .await
                        .map_err(|e| {
                            aws_error(
                                format!("creating {tier} subnet `{name}` ({c})"),
                                "EC2 CreateSubnet",
                                &e,
                            )
                        })?;
                    let id = out
                        .subnet()
                        .and_then(|s| s.subnet_id())
                        .unwrap_or_default()
                        .to_string();
                    tracing::info!(part = PART, object = "subnet", id = %id, tier, az = %az, cidr = %c, "created");
                    id
                }
            };
            ids.push(id);
        }
    }

    // --- Internet gateway and the public route table
    let igw_name = format!("{}-igw", env.name);
    let igw_tags = desired_tags(env, &igw_name, &[]);
    let igw_id = match inv.igws.first() {
        Some(g) => {
            let id = g.internet_gateway_id().unwrap_or_default().to_string();
            sync_tags(env, &id, g.tags(), &igw_tags).await?;
            if !g
                .attachments()
                .iter()
                .any(|a| a.vpc_id() == Some(vpc_id.as_str()))
            {
                attach_igw(env, &id, &vpc_id).await?;
            }
            id
        }
        None => {
            let out = ec2
                .create_internet_gateway()
                .tag_specifications(tag_spec(ResourceType::InternetGateway, &igw_tags))
                .send()
                .await
                .map_err(|e| {
                    aws_error(
                        format!("creating internet gateway `{igw_name}`"),
                        "EC2 CreateInternetGateway",
                        &e,
                    )
                })?;
            let id = out
                .internet_gateway()
                .and_then(|g| g.internet_gateway_id())
                .unwrap_or_default()
                .to_string();
            tracing::info!(part = PART, object = "internet-gateway", id = %id, "created");
            attach_igw(env, &id, &vpc_id).await?;
            id
        }
    };
    ensure_route_table(
        env,
        &inv,
        &vpc_id,
        "public",
        None,
        &public_ids,
        Some(Target::Gateway(igw_id.clone())),
    )
    .await?;

    // --- NAT gateways
    let nat_azs: Vec<usize> = match nat_mode {
        NatMode::None => vec![],
        NatMode::Single => vec![0],
        NatMode::PerAz => (0..n).collect(),
    };
    let mut nat_by_az: BTreeMap<usize, String> = BTreeMap::new();
    let mut used_nats: BTreeSet<String> = BTreeSet::new();
    let mut used_allocs: BTreeSet<String> = BTreeSet::new();
    // NAT gateways not yet seen `available` (new, or adopted while pending).
    let mut not_ready = false;
    for &i in &nat_azs {
        let az = &azs[i];
        let existing = inv.nats.iter().find(|g| {
            g.subnet_id() == Some(public_ids[i].as_str())
                && g.state() != Some(&NatGatewayState::Failed)
        });
        let nat_tags = desired_tags(env, &format!("{}-nat-{az}", env.name), &[(AZ_TAG, az)]);
        if let Some(g) = existing {
            let id = g.nat_gateway_id().unwrap_or_default().to_string();
            sync_tags(env, &id, g.tags(), &nat_tags).await?;
            for a in g.nat_gateway_addresses() {
                if let Some(alloc) = a.allocation_id() {
                    used_allocs.insert(alloc.to_string());
                }
            }
            not_ready |= g.state() != Some(&NatGatewayState::Available);
            used_nats.insert(id.clone());
            nat_by_az.insert(i, id);
            continue;
        }
        // An Elastic IP for it: one left by an earlier run (tagged with this AZ, not in use)
        // or a new one.
        let eip_name = format!("{}-nat-{az}", env.name);
        let eip_tags = desired_tags(env, &eip_name, &[(AZ_TAG, az)]);
        let alloc = match inv.addresses.iter().find(|a| {
            tag(a.tags(), AZ_TAG) == Some(az.as_str())
                && a.association_id().is_none()
                && a.allocation_id()
                    .is_some_and(|id| !used_allocs.contains(id))
        }) {
            Some(a) => a.allocation_id().unwrap_or_default().to_string(),
            None => {
                let out = ec2
                    .allocate_address()
                    .domain(DomainType::Vpc)
                    .tag_specifications(tag_spec(ResourceType::ElasticIp, &eip_tags))
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(
                            format!("allocating Elastic IP `{eip_name}`"),
                            "EC2 AllocateAddress",
                            &e,
                        )
                    })?;
                let id = out.allocation_id().unwrap_or_default().to_string();
                tracing::info!(part = PART, object = "elastic-ip", id = %id, az = %az, "allocated");
                id
            }
        };
        used_allocs.insert(alloc.clone());
        let out = ec2
            .create_nat_gateway()
            .subnet_id(&public_ids[i])
            .allocation_id(&alloc)
            .tag_specifications(tag_spec(ResourceType::Natgateway, &nat_tags))
            .send()
            .await
            .map_err(|e| {
                aws_error(
                    format!("creating NAT gateway in {az}"),
                    "EC2 CreateNatGateway",
                    &e,
                )
            })?;
        let id = out
            .nat_gateway()
            .and_then(|g| g.nat_gateway_id())
            .unwrap_or_default()
            .to_string();
        tracing::info!(part = PART, object = "nat-gateway", id = %id, az = %az, "created");
        not_ready = true;
        used_nats.insert(id.clone());
        nat_by_az.insert(i, id);
    }
    let nat_ids: Vec<String> = nat_by_az.values().cloned().collect();
    if not_ready {
        wait_nats_available(env, &nat_ids).await?;
    }

    // --- Private route tables: one per AZ, default route to the AZ's NAT gateway (or the
    // single one), none without NAT gateways.
    for (i, az) in azs.iter().enumerate() {
        let target = nat_by_az
            .get(&i)
            .or_else(|| nat_by_az.values().next())
            .map(|id| Target::Nat(id.clone()));
        ensure_route_table(
            env,
            &inv,
            &vpc_id,
            "private",
            Some(az),
            std::slice::from_ref(&private_ids[i]),
            target,
        )
        .await?;
    }

    // --- NAT gateways no longer wanted (e.g. per_az → single), failed ones, and their
    // Elastic IPs; then Elastic IPs left over by an interrupted run.
    let retired: Vec<&NatGateway> = inv
        .nats
        .iter()
        .filter(|g| !used_nats.contains(g.nat_gateway_id().unwrap_or_default()))
        .collect();
    if !retired.is_empty() {
        let ids: Vec<String> = retired
            .iter()
            .filter_map(|g| g.nat_gateway_id().map(str::to_string))
            .collect();
        delete_nats(env, &ids).await?;
    }
    for a in &inv.addresses {
        let Some(alloc) = a.allocation_id() else {
            continue;
        };
        if used_allocs.contains(alloc) {
            continue;
        }
        let was_on_retired = retired.iter().any(|g| {
            g.nat_gateway_addresses()
                .iter()
                .any(|x| x.allocation_id() == Some(alloc))
        });
        if a.association_id().is_none() || was_on_retired {
            release_address(env, alloc).await?;
        }
    }

    // --- Security groups
    let sgs =
        ensure_security_groups(env, &inv, &vpc_id, std::slice::from_ref(&cidr_s), services).await?;

    Ok(NetworkState {
        vpc_id,
        cidr_block: cidr_s,
        availability_zones: azs,
        private_subnet_ids: private_ids,
        public_subnet_ids: public_ids,
        security_group_ids: sgs,
        internet_gateway_id: Some(igw_id),
        nat_gateway_ids: nat_ids,
        managed: true,
    })
}

fn replacement_needed(detail: String) -> PartError {
    PartError::new(
        PART,
        "updating the network in place",
        format!(
            "{detail}: the CIDR block and the AZ count of a network cannot be changed in \
             place; the environment must be replaced (or keep the previous values)"
        ),
    )
}

async fn wait_vpc_available(env: &PartEnv, vpc_id: &str) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    waiter(env, format!("VPC `{vpc_id}` to become available"), VPC_WAIT)
        .until(|| async {
            match ec2.describe_vpcs().vpc_ids(vpc_id).send().await {
                Ok(out) => match out.vpcs().first().and_then(|v| v.state()) {
                    Some(s) if s.as_str() == "available" => Poll::Ready(()),
                    Some(s) => Poll::Pending(s.as_str().to_string()),
                    None => Poll::Pending("not visible yet".into()),
                },
                // Eventual consistency right after the create.
                Err(e) if is_not_found(&e) => Poll::Pending("not visible yet".into()),
                Err(e) if transient(&e) => Poll::Pending("throttled".into()),
                Err(e) => Poll::Failed(aws_error("waiting for the VPC", "EC2 DescribeVpcs", &e)),
            }
        })
        .await
        .map_err(PartError::from)
}

/// DNS support and DNS hostnames on (EKS nodes and private endpoints need both). A VPC just
/// created gets both set; an adopted one is read first and changed only where it differs.
async fn ensure_vpc_dns(env: &PartEnv, vpc_id: &str, created: bool) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    for attr in [
        VpcAttributeName::EnableDnsSupport,
        VpcAttributeName::EnableDnsHostnames,
    ] {
        let on = if created {
            false
        } else {
            let out = ec2
                .describe_vpc_attribute()
                .vpc_id(vpc_id)
                .attribute(attr.clone())
                .send()
                .await
                .map_err(|e| {
                    aws_error(
                        format!("reading VPC `{vpc_id}`"),
                        "EC2 DescribeVpcAttribute",
                        &e,
                    )
                })?;
            let v = match attr {
                VpcAttributeName::EnableDnsSupport => out.enable_dns_support(),
                _ => out.enable_dns_hostnames(),
            };
            v.and_then(|v| v.value()).unwrap_or(false)
        };
        if on {
            continue;
        }
        let yes = AttributeBooleanValue::builder().value(true).build();
        let req = ec2.modify_vpc_attribute().vpc_id(vpc_id);
        let req = match attr {
            VpcAttributeName::EnableDnsSupport => req.enable_dns_support(yes),
            _ => req.enable_dns_hostnames(yes),
        };
        req.send().await.map_err(|e| {
            aws_error(
                format!("enabling {} on VPC `{vpc_id}`", attr.as_str()),
                "EC2 ModifyVpcAttribute",
                &e,
            )
        })?;
        tracing::info!(part = PART, object = "vpc", id = %vpc_id, attribute = attr.as_str(), "enabled");
    }
    Ok(())
}

async fn attach_igw(env: &PartEnv, igw_id: &str, vpc_id: &str) -> Result<(), PartError> {
    match env
        .aws
        .ec2()
        .attach_internet_gateway()
        .internet_gateway_id(igw_id)
        .vpc_id(vpc_id)
        .send()
        .await
    {
        Ok(_) => {
            tracing::info!(part = PART, object = "internet-gateway", id = %igw_id, vpc = %vpc_id, "attached");
            Ok(())
        }
        Err(e) if errors::code(&e) == Some("Resource.AlreadyAssociated") => Ok(()),
        Err(e) => Err(aws_error(
            format!("attaching internet gateway `{igw_id}` to `{vpc_id}`"),
            "EC2 AttachInternetGateway",
            &e,
        )),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Target {
    Gateway(String),
    Nat(String),
}

/// A route table of `tier` (and `az`), associated with `subnets`, whose 0.0.0.0/0 route
/// goes to `target` (or does not exist when `target` is None).
async fn ensure_route_table(
    env: &PartEnv,
    inv: &Inventory,
    vpc_id: &str,
    tier: &str,
    az: Option<&str>,
    subnets: &[String],
    target: Option<Target>,
) -> Result<String, PartError> {
    let ec2 = env.aws.ec2();
    let name = match az {
        Some(az) => format!("{}-{tier}-{az}", env.name),
        None => format!("{}-{tier}", env.name),
    };
    let mut extra = vec![(TIER_TAG, tier)];
    if let Some(az) = az {
        extra.push((AZ_TAG, az));
    }
    let tags = desired_tags(env, &name, &extra);
    let existing = inv.route_tables.iter().find(|rt| {
        rt.vpc_id() == Some(vpc_id)
            && tag(rt.tags(), TIER_TAG) == Some(tier)
            && tag(rt.tags(), AZ_TAG) == az
    });
    let (rt_id, routes, assocs) = match existing {
        Some(rt) => {
            let id = rt.route_table_id().unwrap_or_default().to_string();
            sync_tags(env, &id, rt.tags(), &tags).await?;
            (id, rt.routes().to_vec(), rt.associations().to_vec())
        }
        None => {
            let out = ec2
                .create_route_table()
                .vpc_id(vpc_id)
                .tag_specifications(tag_spec(ResourceType::RouteTable, &tags))
                .send()
                .await
                .map_err(|e| {
                    aws_error(
                        format!("creating route table `{name}`"),
                        "EC2 CreateRouteTable",
                        &e,
                    )
                })?;
            let id = out
                .route_table()
                .and_then(|r| r.route_table_id())
                .unwrap_or_default()
                .to_string();
            tracing::info!(part = PART, object = "route-table", id = %id, name = %name, "created");
            (id, vec![], vec![])
        }
    };

    // The default route.
    let current = routes
        .iter()
        .find(|r| r.destination_cidr_block() == Some(ANY_IPV4));
    let current_target = current.and_then(|r| {
        if r.state().is_some_and(|s| s.as_str() == "blackhole") {
            None
        } else if let Some(n) = r.nat_gateway_id() {
            Some(Target::Nat(n.to_string()))
        } else {
            r.gateway_id().map(|g| Target::Gateway(g.to_string()))
        }
    });
    if current_target != target {
        let what = format!("default route of `{name}`");
        match (&target, current.is_some()) {
            (None, true) => {
                ec2.delete_route()
                    .route_table_id(&rt_id)
                    .destination_cidr_block(ANY_IPV4)
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(format!("removing the {what}"), "EC2 DeleteRoute", &e)
                    })?;
            }
            (None, false) => {}
            (Some(t), exists) => {
                let (gw, nat) = match t {
                    Target::Gateway(g) => (Some(g.clone()), None),
                    Target::Nat(n) => (None, Some(n.clone())),
                };
                if exists {
                    ec2.replace_route()
                        .route_table_id(&rt_id)
                        .destination_cidr_block(ANY_IPV4)
                        .set_gateway_id(gw)
                        .set_nat_gateway_id(nat)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| {
                            aws_error(format!("replacing the {what}"), "EC2 ReplaceRoute", &e)
                        })?;
                } else {
                    ec2.create_route()
                        .route_table_id(&rt_id)
                        .destination_cidr_block(ANY_IPV4)
                        .set_gateway_id(gw)
                        .set_nat_gateway_id(nat)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| {
                            aws_error(format!("creating the {what}"), "EC2 CreateRoute", &e)
                        })?;
                }
            }
        }
        tracing::info!(part = PART, object = "route-table", id = %rt_id, target = ?target, "default route set");
    }

    // Associations.
    for s in subnets {
        if assocs.iter().any(|a| a.subnet_id() == Some(s.as_str())) {
            continue;
        }
        // A subnet is associated with at most one route table: move it if needed.
        let out = ec2
            .describe_route_tables()
            .filters(filter("association.subnet-id", [s.clone()]))
            .send()
            .await
            .map_err(|e| {
                aws_error(
                    format!("reading the route table of `{s}`"),
                    "EC2 DescribeRouteTables",
                    &e,
                )
            })?;
        let other = out
            .route_tables()
            .iter()
            .flat_map(|rt| rt.associations())
            .find(|a| {
                a.subnet_id() == Some(s.as_str()) && a.route_table_id() != Some(rt_id.as_str())
            });
        match other.and_then(|a| a.route_table_association_id()) {
            Some(assoc) => {
                ec2.replace_route_table_association()
                    .association_id(assoc)
                    .route_table_id(&rt_id)
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(
                            format!("associating `{s}` with `{name}`"),
                            "EC2 ReplaceRouteTableAssociation",
                            &e,
                        )
                    })?;
            }
            None => {
                ec2.associate_route_table()
                    .route_table_id(&rt_id)
                    .subnet_id(s)
                    .send()
                    .await
                    .map_err(|e| {
                        aws_error(
                            format!("associating `{s}` with `{name}`"),
                            "EC2 AssociateRouteTable",
                            &e,
                        )
                    })?;
            }
        }
        tracing::info!(part = PART, object = "route-table", id = %rt_id, subnet = %s, "associated");
    }
    Ok(rt_id)
}

fn nat_status(g: &NatGateway) -> String {
    g.state()
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|| "unknown".into())
}

async fn wait_nats_available(env: &PartEnv, ids: &[String]) -> Result<(), PartError> {
    if ids.is_empty() {
        return Ok(());
    }
    let ec2 = env.aws.ec2();
    waiter(
        env,
        format!("NAT gateways {} to become available", ids.join(", ")),
        NAT_WAIT,
    )
    .until(|| async {
        let out = match ec2
            .describe_nat_gateways()
            .set_nat_gateway_ids(Some(ids.to_vec()))
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) if is_not_found(&e) || transient(&e) => {
                return Poll::Pending("not visible yet".into())
            }
            Err(e) => {
                return Poll::Failed(aws_error(
                    "waiting for NAT gateways",
                    "EC2 DescribeNatGateways",
                    &e,
                ))
            }
        };
        let mut pending = vec![];
        for id in ids {
            match out
                .nat_gateways()
                .iter()
                .find(|g| g.nat_gateway_id() == Some(id.as_str()))
            {
                Some(g) if g.state() == Some(&NatGatewayState::Available) => {}
                Some(g)
                    if matches!(
                        g.state(),
                        Some(
                            NatGatewayState::Failed
                                | NatGatewayState::Deleted
                                | NatGatewayState::Deleting
                        )
                    ) =>
                {
                    return Poll::Failed(
                        PartError::new(
                            PART,
                            format!("creating NAT gateway `{id}`"),
                            format!(
                                "state {}: {}",
                                nat_status(g),
                                g.failure_message().unwrap_or("no failure message")
                            ),
                        )
                        // A failed NAT gateway is replaced by the next apply.
                        .retryable(true),
                    );
                }
                Some(g) => pending.push(format!("{id} {}", nat_status(g))),
                None => pending.push(format!("{id} not visible yet")),
            }
        }
        if pending.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending(pending.join(", "))
        }
    })
    .await
    .map_err(PartError::from)
}

/// Deletes NAT gateways and waits until they are gone (state `deleted` or not found).
async fn delete_nats(env: &PartEnv, ids: &[String]) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    for id in ids {
        match ec2.delete_nat_gateway().nat_gateway_id(id).send().await {
            Ok(_) => tracing::info!(part = PART, object = "nat-gateway", id = %id, "deleting"),
            Err(e) if is_not_found(&e) => {}
            Err(e) => {
                return Err(aws_error(
                    format!("deleting NAT gateway `{id}`"),
                    "EC2 DeleteNatGateway",
                    &e,
                ))
            }
        }
    }
    waiter(
        env,
        format!("NAT gateways {} to be deleted", ids.join(", ")),
        NAT_WAIT,
    )
    .until(|| async {
        match ec2
            .describe_nat_gateways()
            .set_nat_gateway_ids(Some(ids.to_vec()))
            .send()
            .await
        {
            Ok(out) => {
                let left: Vec<String> = out
                    .nat_gateways()
                    .iter()
                    .filter(|g| g.state() != Some(&NatGatewayState::Deleted))
                    .map(|g| {
                        format!(
                            "{} {}",
                            g.nat_gateway_id().unwrap_or_default(),
                            nat_status(g)
                        )
                    })
                    .collect();
                if left.is_empty() {
                    Poll::Ready(())
                } else {
                    Poll::Pending(left.join(", "))
                }
            }
            Err(e) if is_not_found(&e) => Poll::Ready(()),
            Err(e) if transient(&e) => Poll::Pending("throttled".into()),
            Err(e) => Poll::Failed(aws_error(
                "waiting for NAT gateways to be deleted",
                "EC2 DescribeNatGateways",
                &e,
            )),
        }
    })
    .await
    .map_err(PartError::from)
}

async fn release_address(env: &PartEnv, alloc: &str) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    delete_retrying(
        env,
        format!("Elastic IP `{alloc}`"),
        "EC2 ReleaseAddress",
        || ec2.release_address().allocation_id(alloc).send(),
    )
    .await
}

fn service_rules(service: &str, cidrs: &[String]) -> Vec<(String, i32, i32, String)> {
    let (_, from, to) = SERVICE_PORTS
        .iter()
        .find(|(s, ..)| *s == service)
        .copied()
        .unwrap_or((service, 0, 0));
    cidrs
        .iter()
        .map(|c| ("tcp".to_string(), from, to, c.clone()))
        .collect()
}

fn permission(rule: &(String, i32, i32, String), service: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol(&rule.0)
        .from_port(rule.1)
        .to_port(rule.2)
        .ip_ranges(
            IpRange::builder()
                .cidr_ip(&rule.3)
                .description(format!("{service} from the VPC (mosia)"))
                .build(),
        )
        .build()
}

/// One security group per requested service in `vpc_id`, ingress from `cidrs` only; the
/// groups of services no longer requested are deleted.
async fn ensure_security_groups(
    env: &PartEnv,
    inv: &Inventory,
    vpc_id: &str,
    cidrs: &[String],
    services: &[&str],
) -> Result<BTreeMap<String, String>, PartError> {
    let ec2 = env.aws.ec2();
    let mut out = BTreeMap::new();
    for &service in services {
        let name = format!("{}-{service}", env.name);
        let tags = desired_tags(env, &name, &[(SERVICE_TAG, service)]);
        let want = service_rules(service, cidrs);
        let existing = inv
            .sgs
            .iter()
            .find(|g| g.vpc_id() == Some(vpc_id) && tag(g.tags(), SERVICE_TAG) == Some(service));
        let (id, have): (String, Vec<(String, i32, i32, String)>) = match existing {
            Some(g) => {
                let id = g.group_id().unwrap_or_default().to_string();
                sync_tags(env, &id, g.tags(), &tags).await?;
                let have = g
                    .ip_permissions()
                    .iter()
                    .flat_map(|p| {
                        p.ip_ranges().iter().map(move |r| {
                            (
                                p.ip_protocol().unwrap_or_default().to_string(),
                                p.from_port().unwrap_or(-1),
                                p.to_port().unwrap_or(-1),
                                r.cidr_ip().unwrap_or_default().to_string(),
                            )
                        })
                    })
                    .collect();
                (id, have)
            }
            None => {
                let res = ec2
                    .create_security_group()
                    .group_name(&name)
                    .description(format!(
                        "Mosia environment {}: {service} from the VPC",
                        env.name
                    ))
                    .vpc_id(vpc_id)
                    .tag_specifications(tag_spec(ResourceType::SecurityGroup, &tags))
                    .send()
                    .await;
                let id = match res {
                    Ok(o) => o.group_id().unwrap_or_default().to_string(),
                    Err(e) if errors::code(&e) == Some("InvalidGroup.Duplicate") => {
                        return Err(PartError::new(
                            PART,
                            format!("creating security group `{name}` in `{vpc_id}`"),
                            format!(
                                "a security group named `{name}` already exists in `{vpc_id}` \
                                 without the ownership tags of environment `{}`: rename or \
                                 delete it, or tag it {ENVIRONMENT_TAG}={}, {PART_TAG}={PART}, \
                                 {SERVICE_TAG}={service} to let Mosia adopt it",
                                env.name, env.name
                            ),
                        ))
                    }
                    Err(e) => {
                        return Err(aws_error(
                            format!("creating security group `{name}`"),
                            "EC2 CreateSecurityGroup",
                            &e,
                        ))
                    }
                };
                tracing::info!(part = PART, object = "security-group", id = %id, service, "created");
                (id, vec![])
            }
        };
        let missing: Vec<IpPermission> = want
            .iter()
            .filter(|r| !have.contains(r))
            .map(|r| permission(r, service))
            .collect();
        let extra: Vec<IpPermission> = have
            .iter()
            .filter(|r| !want.contains(r))
            .map(|r| {
                IpPermission::builder()
                    .ip_protocol(&r.0)
                    .from_port(r.1)
                    .to_port(r.2)
                    .ip_ranges(IpRange::builder().cidr_ip(&r.3).build())
                    .build()
            })
            .collect();
        if !missing.is_empty() {
            match ec2
                .authorize_security_group_ingress()
                .group_id(&id)
                .set_ip_permissions(Some(missing))
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if errors::code(&e) == Some("InvalidPermission.Duplicate") => {}
                Err(e) => {
                    return Err(aws_error(
                        format!("allowing {service} ingress on `{name}`"),
                        "EC2 AuthorizeSecurityGroupIngress",
                        &e,
                    ))
                }
            }
            tracing::info!(part = PART, object = "security-group", id = %id, service, "ingress rules set");
        }
        if !extra.is_empty() {
            ec2.revoke_security_group_ingress()
                .group_id(&id)
                .set_ip_permissions(Some(extra))
                .send()
                .await
                .map_err(|e| {
                    aws_error(
                        format!("removing extra ingress rules of `{name}`"),
                        "EC2 RevokeSecurityGroupIngress",
                        &e,
                    )
                })?;
            tracing::info!(part = PART, object = "security-group", id = %id, service, "extra ingress rules revoked");
        }
        out.insert(service.to_string(), id);
    }
    // Groups of services no longer requested.
    for g in &inv.sgs {
        let Some(id) = g.group_id() else { continue };
        if out.values().any(|v| v == id) {
            continue;
        }
        let service = tag(g.tags(), SERVICE_TAG).unwrap_or("?");
        tracing::info!(part = PART, object = "security-group", id = %id, service, "no longer requested: deleting");
        delete_retrying(
            env,
            format!("security group `{id}` ({service})"),
            "EC2 DeleteSecurityGroup",
            || ec2.delete_security_group().group_id(id).send(),
        )
        .await?;
    }
    Ok(out)
}

async fn ensure_existing(
    env: &PartEnv,
    vpc_id: &str,
    subnet_ids: &[String],
    services: &[&str],
) -> Result<NetworkState, PartError> {
    let (vpc, subnets) = describe_existing(env, vpc_id, subnet_ids).await?;
    let inv = inventory(env).await?;
    let cidrs = vpc_cidrs(&vpc);
    let sgs = ensure_security_groups(env, &inv, vpc_id, &cidrs, services).await?;
    Ok(existing_state(&vpc, &subnets, subnet_ids, sgs))
}

fn vpc_cidrs(vpc: &Vpc) -> Vec<String> {
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

fn existing_state(
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
async fn describe_existing(
    env: &PartEnv,
    vpc_id: &str,
    subnet_ids: &[String],
) -> Result<(Vpc, Vec<Subnet>), PartError> {
    let ec2 = env.aws.ec2();
    let region = env.aws.region();
    let vpc = match ec2.describe_vpcs().vpc_ids(vpc_id).send().await {
        Ok(o) => o.vpcs().first().cloned(),
        Err(e) if is_not_found(&e) => None,
        Err(e) => {
            return Err(aws_error(
                format!("reading VPC `{vpc_id}`"),
                "EC2 DescribeVpcs",
                &e,
            ))
        }
    };
    let vpc = vpc.ok_or_else(|| {
        PartError::new(
            PART,
            "checking `network.vpc_id`",
            format!("VPC `{vpc_id}` does not exist in {region} (or is not visible to these credentials)"),
        )
    })?;
    // A filter (not SubnetIds) so that missing ids are left out instead of failing the call:
    // the error can then name all of them.
    let subnets = ec2
        .describe_subnets()
        .filters(filter("subnet-id", subnet_ids.to_vec()))
        .send()
        .await
        .map_err(|e| aws_error("reading `network.subnet_ids`", "EC2 DescribeSubnets", &e))?
        .subnets
        .unwrap_or_default();
    let missing: Vec<&str> = subnet_ids
        .iter()
        .filter(|id| !subnets.iter().any(|s| s.subnet_id() == Some(id.as_str())))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(PartError::new(
            PART,
            "checking `network.subnet_ids`",
            format!(
                "subnet{} {} do{} not exist in {region}",
                if missing.len() == 1 { "" } else { "s" },
                missing
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if missing.len() == 1 { "es" } else { "" }
            ),
        ));
    }
    let elsewhere: Vec<String> = subnets
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
    if !elsewhere.is_empty() {
        return Err(PartError::new(
            PART,
            "checking `network.subnet_ids`",
            format!("subnets {} are not in VPC `{vpc_id}`", elsewhere.join(", ")),
        ));
    }
    Ok((vpc, subnets))
}

// ---------------------------------------------------------------------------------------------
// read

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
    let sgs_of = |vpc_id: &str| -> BTreeMap<String, String> {
        inv.sgs
            .iter()
            .filter(|g| g.vpc_id() == Some(vpc_id))
            .filter_map(|g| {
                Some((
                    tag(g.tags(), SERVICE_TAG)?.to_string(),
                    g.group_id()?.to_string(),
                ))
            })
            .collect()
    };
    if let NetworkSpec::Existing { vpc_id, subnet_ids } = spec {
        if inv.sgs.is_empty() {
            return Ok(None);
        }
        return match describe_existing(env, vpc_id, subnet_ids).await {
            Ok((vpc, subnets)) => Ok(Some(existing_state(
                &vpc,
                &subnets,
                subnet_ids,
                sgs_of(vpc_id),
            ))),
            Err(e) => Err(e),
        };
    }
    let Some(vpc) = inv.vpcs.first() else {
        return Ok(None);
    };
    let vpc_id = vpc.vpc_id().unwrap_or_default().to_string();
    // Subnets in AZ order of the private tier (CIDR order gives the layout's index).
    let mut private: Vec<&Subnet> = inv
        .subnets
        .iter()
        .filter(|s| tag(s.tags(), TIER_TAG) == Some("private"))
        .collect();
    let mut public: Vec<&Subnet> = inv
        .subnets
        .iter()
        .filter(|s| tag(s.tags(), TIER_TAG) == Some("public"))
        .collect();
    let key = |s: &&Subnet| {
        s.cidr_block()
            .and_then(|c| c.parse::<Ipv4Cidr>().ok())
            .map(|c| u32::from(c.addr))
            .unwrap_or(u32::MAX)
    };
    private.sort_by_key(key);
    public.sort_by_key(key);
    let azs: Vec<String> = private
        .iter()
        .map(|s| s.availability_zone().unwrap_or_default().to_string())
        .collect();
    let mut public_ids = vec![];
    for az in &azs {
        if let Some(s) = public
            .iter()
            .find(|s| s.availability_zone() == Some(az.as_str()))
        {
            public_ids.push(s.subnet_id().unwrap_or_default().to_string());
        }
    }
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
    Ok(Some(NetworkState {
        cidr_block: vpc.cidr_block().unwrap_or_default().to_string(),
        availability_zones: azs,
        private_subnet_ids: private
            .iter()
            .map(|s| s.subnet_id().unwrap_or_default().to_string())
            .collect(),
        public_subnet_ids: public_ids,
        security_group_ids: sgs_of(&vpc_id),
        internet_gateway_id: inv
            .igws
            .first()
            .and_then(|g| g.internet_gateway_id().map(str::to_string)),
        nat_gateway_ids: nats.into_iter().map(|(_, id)| id).collect(),
        vpc_id,
        managed: true,
    }))
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
                PartError::new(PART, "reading the network", "the VPC has no IPv4 CIDR")
            })?;
        let az_count = inv
            .subnets
            .iter()
            .filter(|s| tag(s.tags(), TIER_TAG) == Some("private"))
            .count()
            .max(1) as u32;
        let nat_gateway = match inv.nats.len() {
            0 => NatMode::None,
            1 if az_count > 1 => NatMode::Single,
            _ => NatMode::PerAz,
        };
        let spec = NetworkSpec::Managed {
            cidr,
            az_count,
            nat_gateway,
        };
        (spec, user_tags(vpc.tags()))
    } else {
        let Some(sg) = inv.sgs.first() else {
            return Ok(None);
        };
        let spec = NetworkSpec::Existing {
            vpc_id: sg.vpc_id().unwrap_or_default().to_string(),
            subnet_ids: Vec::new(),
        };
        (spec, user_tags(sg.tags()))
    };
    Ok(Some(Discovered { spec, tags, inv }))
}

/// An object's tags without `Name`, which Mosia sets on every network object itself.
fn user_tags(tags: &[Tag]) -> BTreeMap<String, String> {
    let mut t = tag_map(tags);
    t.remove("Name");
    t
}

// ---------------------------------------------------------------------------------------------
// delete

/// Deletes everything the part owns, found by its tags, in reverse order: NAT gateways (and
/// waits until they are deleted), Elastic IPs, route tables, the internet gateway, subnets,
/// security groups, the VPC. `DependencyViolation` is retried with backoff for a bounded
/// time; NotFound counts as deleted. The user's own VPC and subnets are never touched.
pub async fn delete(env: &PartEnv) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    let inv = inventory(env).await?;

    let nat_ids: Vec<String> = inv
        .nats
        .iter()
        .filter_map(|g| g.nat_gateway_id().map(str::to_string))
        .collect();
    if !nat_ids.is_empty() {
        delete_nats(env, &nat_ids).await?;
    }
    for a in &inv.addresses {
        if let Some(alloc) = a.allocation_id() {
            release_address(env, alloc).await?;
        }
    }
    for rt in &inv.route_tables {
        let Some(rt_id) = rt.route_table_id() else {
            continue;
        };
        for a in rt.associations() {
            if a.main() == Some(true) {
                continue;
            }
            if let Some(assoc) = a.route_table_association_id() {
                match ec2
                    .disassociate_route_table()
                    .association_id(assoc)
                    .send()
                    .await
                {
                    Ok(_) => {}
                    Err(e) if is_not_found(&e) => {}
                    Err(e) => {
                        return Err(aws_error(
                            format!("detaching route table `{rt_id}`"),
                            "EC2 DisassociateRouteTable",
                            &e,
                        ))
                    }
                }
            }
        }
        delete_retrying(
            env,
            format!("route table `{rt_id}`"),
            "EC2 DeleteRouteTable",
            || ec2.delete_route_table().route_table_id(rt_id).send(),
        )
        .await?;
    }
    for g in &inv.igws {
        let Some(igw_id) = g.internet_gateway_id() else {
            continue;
        };
        for a in g.attachments() {
            if let Some(vpc_id) = a.vpc_id() {
                delete_retrying(
                    env,
                    format!("attachment of internet gateway `{igw_id}` to `{vpc_id}`"),
                    "EC2 DetachInternetGateway",
                    || {
                        ec2.detach_internet_gateway()
                            .internet_gateway_id(igw_id)
                            .vpc_id(vpc_id)
                            .send()
                    },
                )
                .await?;
            }
        }
        delete_retrying(
            env,
            format!("internet gateway `{igw_id}`"),
            "EC2 DeleteInternetGateway",
            || {
                ec2.delete_internet_gateway()
                    .internet_gateway_id(igw_id)
                    .send()
            },
        )
        .await?;
    }
    for s in &inv.subnets {
        let Some(id) = s.subnet_id() else { continue };
        delete_retrying(env, format!("subnet `{id}`"), "EC2 DeleteSubnet", || {
            ec2.delete_subnet().subnet_id(id).send()
        })
        .await?;
    }
    for g in &inv.sgs {
        let Some(id) = g.group_id() else { continue };
        delete_retrying(
            env,
            format!("security group `{id}`"),
            "EC2 DeleteSecurityGroup",
            || ec2.delete_security_group().group_id(id).send(),
        )
        .await?;
    }
    for v in &inv.vpcs {
        let Some(id) = v.vpc_id() else { continue };
        delete_retrying(env, format!("VPC `{id}`"), "EC2 DeleteVpc", || {
            ec2.delete_vpc().vpc_id(id).send()
        })
        .await?;
    }
    Ok(())
}
