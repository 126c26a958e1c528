//! The network part of an environment: a VPC Mosia creates (public and private subnet per
//! AZ, internet gateway, NAT gateways, route tables, one security group per service), or
//! the user's own VPC and subnets, where Mosia only adds the security groups.
//!
//! Every object Mosia creates carries the environment's ownership tags (set in the create
//! call itself through `TagSpecifications`, so there is no window in which an object exists
//! untagged) plus a few role tags (`mosia:tier`, `mosia:az`, `mosia:service`). A re-run
//! after a crash finds them by those tags ([`inventory`]) and adopts them; nothing is
//! created twice.
//!
//! `ensure` for a VPC Mosia creates is a sequence of steps, each in its own file: check what
//! cannot change in place, then [`vpc`] → [`subnets`] → [`gateways`] (internet gateway, NAT
//! gateways and their Elastic IPs) → [`routes`] → [`security_groups`]. The user's own VPC is
//! [`existing`]; [`read`] reports drift and discovers for import; [`delete`] removes it all.
//!
//! Subnet layout: [`input::subnet_layout`]; subnet `i` of each tier goes to AZ `i`. Changing
//! the CIDR or the AZ count needs different subnets, which cannot be done in place: `ensure`
//! refuses with a [`PartError`] before touching anything (the resource plans a replacement).
//! Changing `nat_gateway` (none / single / per_az), the requested services and the tags is
//! done in place.
//!
//! Security groups allow ingress from the VPC's CIDR blocks only: `eks` TCP 443 (the
//! cluster API, used as the cluster's additional security group), `rds` TCP 5432,
//! `elasticache` TCP 6379, `msk` TCP 9092-9098 (plaintext, TLS, SASL/SCRAM and IAM ports).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::errors::{self, Service};
use super::part::{PartEnv, PartId, ENVIRONMENT_TAG, PART_TAG};
use super::tags;
use crate::aws::wait::AwsKind;
use crate::engine::{PartError, Poll};

pub mod cluster_ingress;
mod delete;
pub mod endpoints;
mod existing;
pub mod flow_logs;
mod gateways;
pub mod input;
mod inventory;
mod read;
mod routes;
pub(crate) mod security_groups;
mod subnets;
mod vpc;
pub mod zones;

pub use cluster_ingress::{delete_cluster_ingress, ensure_cluster_ingress};
pub use delete::delete;
pub use endpoints::{delete_endpoints, EndpointsState};
pub use input::{Ipv4Cidr, NetworkAccessSpec, NetworkSpec};
pub use read::{discover, read, Discovered};

use input::NatGateway as NatMode;

/// EC2 as the network part sees its errors; the codes that may pass by themselves are
/// throttling, internal errors and capacity. Quotas (`AddressLimitExceeded`,
/// `NatGatewayLimitExceeded`, `VpcLimitExceeded`) are not: their message says "may be
/// temporary", but only a quota increase or a release elsewhere ends them, so they fail the
/// part at once with AWS's message instead of being retried until the deadline.
pub(crate) const SERVICE: Service = Service {
    label: "EC2",
    transient_codes: &[
        "RequestLimitExceeded",
        "Throttling",
        "ThrottlingException",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "Unavailable",
        "InsufficientAddressCapacity",
    ],
};

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
/// How long a call naming an object created moments ago retries the object's NotFound
/// answer: EC2 is eventually consistent ("Eventual consistency in the Amazon EC2 API");
/// terraform-provider-aws retries e.g. `InvalidInternetGatewayID.NotFound` on attach for
/// 2 minutes (`ec2PropagationTimeout`).
pub const PROPAGATION_WAIT: Duration = Duration::from_secs(2 * 60);

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

impl NetworkState {
    /// The first private subnet of each distinct AZ, in order: a network brought by the user
    /// may have several subnets in one AZ, and MSK takes client subnets in distinct AZs only.
    pub fn one_subnet_per_az(&self) -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        self.private_subnet_ids
            .iter()
            .enumerate()
            .filter(|(i, _)| match self.availability_zones.get(*i) {
                Some(az) if !az.is_empty() => seen.insert(az.as_str()),
                _ => true, // AZ unknown: keep it
            })
            .map(|(_, id)| id.clone())
            .collect()
    }
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
    ensure_with_access(env, spec, services, &NetworkAccessSpec::default()).await
}

/// [`ensure`], the data services' groups admitting `access`'s sources.
pub async fn ensure_with_access(
    env: &PartEnv,
    spec: &NetworkSpec,
    services: &[&str],
    access: &NetworkAccessSpec,
) -> Result<NetworkState, PartError> {
    for s in services {
        if !SERVICE_PORTS.iter().any(|(name, ..)| name == s) {
            return Err(PartError::new(
                &PartId::Network,
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
            availability_zones,
        } => {
            let zones = subnets::ZoneRequest {
                requested: availability_zones,
                services,
            };
            ensure_managed(env, (*cidr, *az_count, *nat_gateway), zones, access).await
        }
        NetworkSpec::Existing { vpc_id, subnet_ids } => {
            existing::ensure_existing(env, (vpc_id, subnet_ids), services, access).await
        }
    }
}

/// A VPC Mosia creates: first every check of what cannot change in place (so a refusal
/// touches nothing), then one step per kind of object.
async fn ensure_managed(
    env: &PartEnv,
    (cidr, az_count, nat_mode): (Ipv4Cidr, u32, NatMode),
    zones: subnets::ZoneRequest<'_>,
    access: &NetworkAccessSpec,
) -> Result<NetworkState, PartError> {
    let services = zones.services;
    let layout = subnets::layout(cidr, az_count)?;
    let inv = inventory::inventory(env).await?;
    vpc::check(env, &inv, cidr)?;
    let azs = subnets::plan_azs(env, &inv, cidr, &layout, zones).await?;

    let vpc_id = vpc::ensure_vpc(env, &inv, cidr).await?;
    let subnets = subnets::ensure_subnets(env, &inv, &vpc_id, &layout, &azs).await?;
    let igw_id = gateways::ensure_internet_gateway(env, &inv, &vpc_id).await?;
    routes::ensure_public_routes(env, &inv, &vpc_id, &subnets.public, &igw_id).await?;
    let nats = gateways::ensure_nat_gateways(env, &inv, &subnets, nat_mode).await?;
    routes::ensure_private_routes(env, &inv, &vpc_id, &subnets, &nats.by_az).await?;
    gateways::retire_nat_gateways(env, &inv, &nats).await?;
    let cidr_s = cidr.to_string();
    let sgs = security_groups::ensure_security_groups(
        env,
        &inv,
        &vpc_id,
        (std::slice::from_ref(&cidr_s), access),
        services,
    )
    .await?;

    Ok(NetworkState {
        vpc_id,
        cidr_block: cidr_s,
        nat_gateway_ids: nats.by_az.values().cloned().collect(),
        availability_zones: subnets.azs,
        private_subnet_ids: subnets.private,
        public_subnet_ids: subnets.public,
        security_group_ids: sgs,
        internet_gateway_id: Some(igw_id),
        managed: true,
    })
}

// ---------------------------------------------------------------------------------------------
// Shared by the steps

/// The part's name in errors and waits.
fn part() -> String {
    PartId::Network.to_string()
}

/// The part's error for a failed EC2 call (`op` without the service, e.g. `CreateVpc`).
fn ec2_error<E, R>(summary: impl Into<String>, op: &str, e: &SdkError<E, R>) -> PartError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + crate::aws::errors::HttpStatus,
{
    SERVICE.error(&PartId::Network, summary, op, e)
}

/// Whether an EC2 call failed because its object does not exist (or, for a detach, is no
/// longer attached). EC2 models no error shapes (every failure is the SDK's `Unhandled`
/// variant, there is no typed `NotFound` to match), so the AWS error code is compared:
/// `InvalidVpcID.NotFound`, `InvalidSubnetID.NotFound`, `InvalidRouteTableID.NotFound`,
/// `InvalidInternetGatewayID.NotFound`, `InvalidGroup.NotFound`,
/// `InvalidAllocationID.NotFound`, `NatGatewayNotFound`, ... and `Gateway.NotAttached`.
fn is_not_found<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    errors::code(e).is_some_and(|c| c.contains("NotFound") || c == "Gateway.NotAttached")
}

/// Sends `call` until EC2 answers something other than NotFound or throttling: a call
/// naming an object created moments ago (a subnet in a new VPC, attaching a new internet
/// gateway, a route to a new NAT gateway) may be answered `*.NotFound` while the new ID
/// propagates. Those answers are retried for [`PROPAGATION_WAIT`]; the call's own result
/// (success or any other error, for the caller to handle) ends the wait. `what` names the
/// call in waits and timeouts.
async fn until_propagated<T, E, R, F, Fut>(
    env: &PartEnv,
    what: &str,
    mut call: F,
) -> Result<Result<T, SdkError<E, R>>, PartError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + errors::HttpStatus,
{
    let part = part();
    env.waiter(
        &part,
        AwsKind::Network,
        format!("EC2 to see the objects for {what}"),
    )
    .timeout(PROPAGATION_WAIT)
    .until(|| {
        let fut = call();
        async move {
            match fut.await {
                Err(e) if is_not_found(&e) && errors::code(&e) != Some("Gateway.NotAttached") => {
                    Poll::Pending(errors::code(&e).unwrap_or("NotFound").to_string())
                }
                Err(e) if SERVICE.is_transient(&e) => Poll::Pending("throttled".into()),
                done => Poll::<_, PartError>::Ready(done),
            }
        }
    })
    .await
    .map_err(PartError::from)
}

/// The value of tag `key`.
fn tag<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags::from_pairs(tags.iter().map(|t| (t.key(), t.value())))
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

/// The filters that find what the part owns: this environment's, this part's.
fn owner_filters(env: &PartEnv) -> Vec<Filter> {
    vec![
        filter(&format!("tag:{ENVIRONMENT_TAG}"), [env.name.clone()]),
        filter(&format!("tag:{PART_TAG}"), [PartId::Network.tag()]),
    ]
}

/// Ownership tags plus `Name` and the object's role tags.
fn desired_tags(env: &PartEnv, name: &str, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut t = env.tags_for(PartId::Network.tag());
    t.insert("Name".into(), name.into());
    for (k, v) in extra {
        t.insert((*k).into(), (*v).into());
    }
    t
}

/// Tags Kubernetes puts on our subnets and security groups (`kubernetes.io/cluster/NAME`);
/// they must survive a tag sync (which removes only keys Mosia wrote: [`tags::diff`]).
fn kubernetes_tag(key: &str) -> bool {
    key.starts_with("kubernetes.io/cluster/")
}

/// Makes an object's tags equal to `want` through EC2 CreateTags / DeleteTags, keeping
/// AWS's and Kubernetes' own tags.
async fn sync_tags(
    env: &PartEnv,
    id: &str,
    current: &[Tag],
    want: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let have = tag_map(current);
    let mut want = want.clone();
    for (k, v) in have.iter().filter(|(k, _)| kubernetes_tag(k)) {
        want.entry(k.clone()).or_insert_with(|| v.clone());
    }
    let ec2 = env.aws.ec2();
    let set = |add: BTreeMap<String, String>| async move {
        ec2.create_tags()
            .resources(id)
            .set_tags(Some(to_tags(&add)))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ec2_error(format!("tagging `{id}`"), "CreateTags", &e))
    };
    let remove = |keys: Vec<String>| async move {
        let keys = keys.iter().map(|k| Tag::builder().key(k).build()).collect();
        ec2.delete_tags()
            .resources(id)
            .set_tags(Some(keys))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| ec2_error(format!("untagging `{id}`"), "DeleteTags", &e))
    };
    tags::sync(env, &part(), id, &have, &want, set, remove).await
}

#[cfg(test)]
mod tests {
    //! Helpers for the network's unit tests (EC2 objects and errors as the mocks return
    //! them), and the tests of the shared pieces.

    use aws_sdk_ec2::operation::create_tags::CreateTagsOutput;
    use aws_sdk_ec2::operation::delete_tags::DeleteTagsOutput;
    use aws_smithy_mocks::mock;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;
    use crate::aws::{testing, AwsContext};

    /// EC2 tags from pairs.
    pub(super) fn ec2_tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
        pairs
            .iter()
            .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
            .collect()
    }

    /// The tags Mosia puts on a network object `name` of environment `mosia-test`.
    pub(super) fn owned_tags(name: &str, extra: &[(&str, &str)]) -> Vec<Tag> {
        let env = testing::env(AwsContext::offline());
        to_tags(&desired_tags(&env, name, extra))
    }

    /// An EC2 error as the service sends it: EC2 models none, so every error is the
    /// operation's `Unhandled` variant carrying a code and a message.
    pub(super) fn ec2_code(code: &str, message: &str) -> ErrorMetadata {
        ErrorMetadata::builder().code(code).message(message).build()
    }

    #[tokio::test]
    async fn tag_sync_sets_changed_tags_and_keeps_kubernetes_ones() {
        let create = mock!(aws_sdk_ec2::Client::create_tags)
            .match_requests(|r| {
                r.resources() == ["subnet-1"]
                    && r.tags().len() == 1
                    && r.tags()[0].key() == Some("team")
                    && r.tags()[0].value() == Some("platform")
            })
            .then_output(|| CreateTagsOutput::builder().build());
        let delete = mock!(aws_sdk_ec2::Client::delete_tags)
            .match_requests(|r| r.tags().len() == 1 && r.tags()[0].key() == Some("stale"))
            .then_output(|| DeleteTagsOutput::builder().build());
        let env = testing::env(
            AwsContext::offline().with_ec2(crate::mock_client!(aws_sdk_ec2, [&create, &delete])),
        );
        let want = desired_tags(&env, "mosia-test-private-a", &[]);
        let mut have = to_tags(&want);
        have.retain(|t| t.key() != Some("team"));
        have.extend(ec2_tags(&[
            ("team", "old"),
            ("stale", "1"),
            ("kubernetes.io/cluster/mosia-test", "shared"),
        ]));
        sync_tags(&env, "subnet-1", &have, &want).await.unwrap();
        assert_eq!((create.num_calls(), delete.num_calls()), (1, 1));
    }

    fn delete_vpc_error(
        code: &str,
    ) -> SdkError<
        aws_sdk_ec2::operation::delete_vpc::DeleteVpcError,
        aws_smithy_runtime_api::http::Response,
    > {
        use aws_sdk_ec2::operation::delete_vpc::DeleteVpcError;
        use aws_smithy_runtime_api::http::{Response, StatusCode};
        use aws_smithy_types::body::SdkBody;
        SdkError::service_error(
            DeleteVpcError::generic(ec2_code(code, "m")),
            Response::new(StatusCode::try_from(400).unwrap(), SdkBody::empty()),
        )
    }

    #[test]
    fn quotas_fail_at_once_while_throttling_and_capacity_are_retried() {
        for quota in [
            "AddressLimitExceeded",
            "NatGatewayLimitExceeded",
            "VpcLimitExceeded",
        ] {
            assert!(!SERVICE.is_transient(&delete_vpc_error(quota)), "{quota}");
        }
        for transient in [
            "RequestLimitExceeded",
            "InsufficientAddressCapacity",
            "InternalError",
        ] {
            assert!(
                SERVICE.is_transient(&delete_vpc_error(transient)),
                "{transient}"
            );
        }
    }

    #[test]
    fn not_found_is_recognised_by_code() {
        let err = delete_vpc_error;
        assert!(is_not_found(&err("InvalidVpcID.NotFound")));
        assert!(is_not_found(&err("NatGatewayNotFound")));
        assert!(is_not_found(&err("Gateway.NotAttached")));
        assert!(!is_not_found(&err("DependencyViolation")));
    }
}
