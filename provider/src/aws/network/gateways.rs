//! Gateways of a network Mosia creates: the internet gateway (public subnets), the NAT
//! gateways of the `nat_gateway` mode (none, one in the first AZ, or one per AZ; egress for
//! the private subnets) and their Elastic IPs. Which NAT gateways to keep, create and retire
//! is decided by the pure [`plan_nat_gateways`]; waits use [`NAT_CREATED`] and
//! [`NAT_DELETED`].

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Address, DomainType, NatGateway, NatGatewayState, ResourceType};

use super::delete::delete_retrying;
use super::inventory::{find_nat_gateways, Inventory};
use super::subnets::Subnets;
use super::{
    desired_tags, ec2_error, is_not_found, part, sync_tags, tag, tag_spec, until_propagated,
    NatMode, AZ_TAG, NAT_WAIT,
};
use crate::aws::errors;
use crate::aws::part::PartEnv;
use crate::aws::wait::{AwsKind, Statuses};
use crate::engine::{PartError, Poll};

/// A NAT gateway being created: `pending`, then `available`. `failed` (no capacity, no
/// route to an internet gateway, ...), `deleting` and `deleted` fail the wait at once.
pub(super) const NAT_CREATED: Statuses = Statuses {
    pending: &["pending"],
    target: &["available"],
};

/// A NAT gateway being deleted. AWS may still show the state it had before the delete
/// was accepted for a moment, so those count as on the way too.
pub(super) const NAT_DELETED: Statuses = Statuses {
    pending: &["deleting", "pending", "available", "failed"],
    target: &["deleted"],
};

// ---------------------------------------------------------------------------------------------
// Internet gateway

/// The environment's internet gateway, adopted (tags converged, attached to the VPC if it
/// is not) or created and attached; its ID.
pub(super) async fn ensure_internet_gateway(
    env: &PartEnv,
    inv: &Inventory,
    vpc_id: &str,
) -> Result<String, PartError> {
    let name = format!("{}-igw", env.name);
    let tags = desired_tags(env, &name, &[]);
    if let Some(g) = inv.igws.first() {
        let id = g.internet_gateway_id().unwrap_or_default().to_string();
        sync_tags(env, &id, g.tags(), &tags).await?;
        if !g.attachments().iter().any(|a| a.vpc_id() == Some(vpc_id)) {
            attach_internet_gateway(env, &id, vpc_id).await?;
        }
        return Ok(id);
    }
    let out = env
        .aws
        .ec2()
        .create_internet_gateway()
        .tag_specifications(tag_spec(ResourceType::InternetGateway, &tags))
        .send()
        .await
        .map_err(|e| {
            ec2_error(
                format!("creating internet gateway `{name}`"),
                "CreateInternetGateway",
                &e,
            )
        })?;
    let id = out
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .unwrap_or_default()
        .to_string();
    tracing::info!(part = %part(), object = "internet-gateway", id = %id, "created");
    attach_internet_gateway(env, &id, vpc_id).await?;
    Ok(id)
}

async fn attach_internet_gateway(
    env: &PartEnv,
    igw_id: &str,
    vpc_id: &str,
) -> Result<(), PartError> {
    let req = env
        .aws
        .ec2()
        .attach_internet_gateway()
        .internet_gateway_id(igw_id)
        .vpc_id(vpc_id);
    let what = format!("attaching internet gateway `{igw_id}` to `{vpc_id}`");
    match until_propagated(env, &what, || req.clone().send()).await? {
        Ok(_) => {
            tracing::info!(part = %part(), object = "internet-gateway", id = %igw_id, vpc = %vpc_id, "attached");
            Ok(())
        }
        Err(e) if errors::code(&e) == Some("Resource.AlreadyAssociated") => Ok(()),
        Err(e) => Err(ec2_error(what, "AttachInternetGateway", &e)),
    }
}

// ---------------------------------------------------------------------------------------------
// NAT gateways: the decisions

/// The AZ indexes that get a NAT gateway in `mode`.
pub(super) fn nat_azs(mode: NatMode, az_count: usize) -> Vec<usize> {
    match mode {
        NatMode::None => vec![],
        NatMode::Single => vec![0],
        NatMode::PerAz => (0..az_count).collect(),
    }
}

/// What to do with the NAT gateways for a mode.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct NatPlan {
    /// AZ index → the existing NAT gateway kept there.
    pub keep: BTreeMap<usize, String>,
    /// AZ indexes that need a new NAT gateway.
    pub create: Vec<usize>,
    /// NAT gateways no longer wanted: another mode's, failed ones, duplicates.
    pub retire: Vec<String>,
}

/// Keeps the first pending or available NAT gateway in each wanted AZ's public subnet,
/// creates the missing ones, retires the rest.
pub(super) fn plan_nat_gateways(
    mode: NatMode,
    public: &[String],
    existing: &[NatGateway],
) -> NatPlan {
    let mut plan = NatPlan::default();
    for i in nat_azs(mode, public.len()) {
        let found = existing.iter().find(|g| {
            g.subnet_id() == Some(public[i].as_str()) && g.state() != Some(&NatGatewayState::Failed)
        });
        match found.and_then(|g| g.nat_gateway_id()) {
            Some(id) => {
                plan.keep.insert(i, id.to_string());
            }
            None => plan.create.push(i),
        }
    }
    plan.retire = existing
        .iter()
        .filter_map(|g| g.nat_gateway_id())
        .filter(|id| !plan.keep.values().any(|k| k == id))
        .map(str::to_string)
        .collect();
    plan
}

/// An Elastic IP left by an earlier run for a NAT gateway in `az`: tagged with the AZ, not
/// associated, not already taken.
pub(super) fn reusable_address(
    addresses: &[Address],
    az: &str,
    used: &BTreeSet<String>,
) -> Option<String> {
    addresses
        .iter()
        .find(|a| {
            tag(a.tags(), AZ_TAG) == Some(az)
                && a.association_id().is_none()
                && a.allocation_id().is_some_and(|id| !used.contains(id))
        })
        .and_then(|a| a.allocation_id().map(str::to_string))
}

/// Elastic IPs to release: not used by a kept or new NAT gateway, and either unassociated
/// (left over by an interrupted run) or on a retired NAT gateway.
pub(super) fn addresses_to_release(
    addresses: &[Address],
    used: &BTreeSet<String>,
    retired: &[&NatGateway],
) -> Vec<String> {
    addresses
        .iter()
        .filter_map(|a| {
            let alloc = a.allocation_id()?;
            let on_retired = retired.iter().any(|g| {
                g.nat_gateway_addresses()
                    .iter()
                    .any(|x| x.allocation_id() == Some(alloc))
            });
            (!used.contains(alloc) && (a.association_id().is_none() || on_retired))
                .then(|| alloc.to_string())
        })
        .collect()
}

fn allocations(g: &NatGateway) -> impl Iterator<Item = String> + '_ {
    g.nat_gateway_addresses()
        .iter()
        .filter_map(|a| a.allocation_id().map(str::to_string))
}

// ---------------------------------------------------------------------------------------------
// NAT gateways: the steps

/// The NAT gateways of the mode, by AZ index, with what the clean-up needs.
#[derive(Debug, Clone, Default)]
pub(super) struct NatGateways {
    pub by_az: BTreeMap<usize, String>,
    /// Elastic IPs in use by `by_az`.
    used_allocations: BTreeSet<String>,
    retire: Vec<String>,
}

/// Adopts the NAT gateways the mode keeps, creates the missing ones (each with an Elastic
/// IP, reused when an earlier run left one), and waits until all are available.
pub(super) async fn ensure_nat_gateways(
    env: &PartEnv,
    inv: &Inventory,
    subnets: &Subnets,
    mode: NatMode,
) -> Result<NatGateways, PartError> {
    let plan = plan_nat_gateways(mode, &subnets.public, &inv.nats);
    let mut out = NatGateways {
        retire: plan.retire,
        ..Default::default()
    };
    // NAT gateways not yet seen `available` (new, or adopted while pending).
    let mut not_ready = !plan.create.is_empty();
    for (&i, id) in &plan.keep {
        let Some(g) = inv
            .nats
            .iter()
            .find(|g| g.nat_gateway_id() == Some(id.as_str()))
        else {
            continue;
        };
        sync_tags(env, id, g.tags(), &nat_tags(env, &subnets.azs[i])).await?;
        out.used_allocations.extend(allocations(g));
        not_ready |= g.state() != Some(&NatGatewayState::Available);
        out.by_az.insert(i, id.clone());
    }
    for i in plan.create {
        let az = &subnets.azs[i];
        let alloc = match reusable_address(&inv.addresses, az, &out.used_allocations) {
            Some(alloc) => alloc,
            None => allocate_address(env, az).await?,
        };
        out.used_allocations.insert(alloc.clone());
        let id = create_nat_gateway(env, &subnets.public[i], &alloc, az).await?;
        out.by_az.insert(i, id);
    }
    if not_ready {
        let ids: Vec<String> = out.by_az.values().cloned().collect();
        wait_nat_gateways_available(env, &ids).await?;
    }
    Ok(out)
}

fn nat_tags(env: &PartEnv, az: &str) -> BTreeMap<String, String> {
    desired_tags(env, &format!("{}-nat-{az}", env.name), &[(AZ_TAG, az)])
}

async fn allocate_address(env: &PartEnv, az: &str) -> Result<String, PartError> {
    let name = format!("{}-nat-{az}", env.name);
    let tags = desired_tags(env, &name, &[(AZ_TAG, az)]);
    let out = env
        .aws
        .ec2()
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(tag_spec(ResourceType::ElasticIp, &tags))
        .send()
        .await
        .map_err(|e| {
            ec2_error(
                format!("allocating Elastic IP `{name}`"),
                "AllocateAddress",
                &e,
            )
        })?;
    let id = out.allocation_id().unwrap_or_default().to_string();
    tracing::info!(part = %part(), object = "elastic-ip", id = %id, az = %az, "allocated");
    Ok(id)
}

async fn create_nat_gateway(
    env: &PartEnv,
    subnet: &str,
    alloc: &str,
    az: &str,
) -> Result<String, PartError> {
    let req = env
        .aws
        .ec2()
        .create_nat_gateway()
        .subnet_id(subnet)
        .allocation_id(alloc)
        .tag_specifications(tag_spec(ResourceType::Natgateway, &nat_tags(env, az)));
    let what = format!("creating NAT gateway in {az}");
    let out = until_propagated(env, &what, || req.clone().send())
        .await?
        .map_err(|e| ec2_error(what.as_str(), "CreateNatGateway", &e))?;
    let id = out
        .nat_gateway()
        .and_then(|g| g.nat_gateway_id())
        .unwrap_or_default()
        .to_string();
    tracing::info!(part = %part(), object = "nat-gateway", id = %id, az = %az, "created");
    Ok(id)
}

/// Deletes the NAT gateways the mode no longer wants (e.g. per_az → single) and failed
/// ones, then releases their Elastic IPs and those left over by an interrupted run.
pub(super) async fn retire_nat_gateways(
    env: &PartEnv,
    inv: &Inventory,
    nats: &NatGateways,
) -> Result<(), PartError> {
    if !nats.retire.is_empty() {
        delete_nat_gateways(env, &nats.retire).await?;
    }
    let retired: Vec<&NatGateway> = inv
        .nats
        .iter()
        .filter(|g| {
            g.nat_gateway_id()
                .is_some_and(|id| nats.retire.iter().any(|r| r == id))
        })
        .collect();
    for alloc in addresses_to_release(&inv.addresses, &nats.used_allocations, &retired) {
        release_address(env, &alloc).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// NAT gateways: waits and deletes

/// One poll of NAT gateways being created: ready when all are available; a gateway in an
/// unexpected status fails at once, naming the status and AWS's failure code and message.
pub(super) fn poll_nats_available(
    part: &str,
    ids: &[String],
    found: &[NatGateway],
) -> Poll<(), PartError> {
    let mut pending = vec![];
    for id in ids {
        let Some(g) = found
            .iter()
            .find(|g| g.nat_gateway_id() == Some(id.as_str()))
        else {
            pending.push(format!("{id} not visible yet"));
            continue;
        };
        let what = format!("NAT gateway `{id}` to become available");
        match NAT_CREATED.poll(part, &what, g.state().map(NatGatewayState::as_str), || ()) {
            Poll::Ready(()) => {}
            Poll::Pending(s) => pending.push(format!("{id} {s}")),
            Poll::Failed(mut e) => {
                e.detail = format!(
                    "{}: {}: {}",
                    e.detail,
                    g.failure_code().unwrap_or("no failure code"),
                    g.failure_message().unwrap_or("no failure message")
                );
                // A failed NAT gateway is retired and replaced by the next apply.
                return Poll::Failed(e.retryable(true));
            }
        }
    }
    if pending.is_empty() {
        Poll::Ready(())
    } else {
        Poll::Pending(pending.join(", "))
    }
}

pub(super) async fn wait_nat_gateways_available(
    env: &PartEnv,
    ids: &[String],
) -> Result<(), PartError> {
    if ids.is_empty() {
        return Ok(());
    }
    let part = part();
    let what = format!("NAT gateways {} to become available", ids.join(", "));
    env.waiter(&part, AwsKind::Network, what)
        .timeout(NAT_WAIT)
        .until(|| async {
            match find_nat_gateways(env, ids).await {
                Ok(found) => poll_nats_available(&part, ids, &found),
                Err(e) if e.retryable => Poll::Pending("throttled".into()),
                Err(e) => Poll::Failed(e),
            }
        })
        .await
        .map_err(PartError::from)
}

/// Deletes NAT gateways and waits until they are gone (state `deleted` or not found).
pub(super) async fn delete_nat_gateways(env: &PartEnv, ids: &[String]) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    for id in ids {
        match ec2.delete_nat_gateway().nat_gateway_id(id).send().await {
            Ok(_) => tracing::info!(part = %part(), object = "nat-gateway", id = %id, "deleting"),
            Err(e) if is_not_found(&e) => {}
            Err(e) => {
                return Err(ec2_error(
                    format!("deleting NAT gateway `{id}`"),
                    "DeleteNatGateway",
                    &e,
                ))
            }
        }
    }
    wait_nat_gateways_deleted(env, ids).await
}

async fn wait_nat_gateways_deleted(env: &PartEnv, ids: &[String]) -> Result<(), PartError> {
    let part = part();
    let what = format!("NAT gateways {} to be deleted", ids.join(", "));
    env.waiter(&part, AwsKind::Network, what.clone())
        .timeout(NAT_WAIT)
        .until(|| async {
            let found = match find_nat_gateways(env, ids).await {
                Ok(found) => found,
                Err(e) if e.retryable => return Poll::Pending("throttled".into()),
                Err(e) => return Poll::Failed(e),
            };
            let mut left = vec![];
            for g in &found {
                let id = g.nat_gateway_id().unwrap_or_default();
                match NAT_DELETED.poll(&part, &what, g.state().map(NatGatewayState::as_str), || ())
                {
                    Poll::Ready(()) => {}
                    Poll::Pending(s) => left.push(format!("{id} {s}")),
                    Poll::Failed(e) => return Poll::Failed(e),
                }
            }
            if left.is_empty() {
                Poll::Ready(())
            } else {
                Poll::Pending(left.join(", "))
            }
        })
        .await
        .map_err(PartError::from)
}

/// Releases an Elastic IP, retrying while AWS still sees it in use.
pub(super) async fn release_address(env: &PartEnv, alloc: &str) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    delete_retrying(
        env,
        format!("Elastic IP `{alloc}`"),
        "ReleaseAddress",
        || ec2.release_address().allocation_id(alloc).send(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::allocate_address::AllocateAddressOutput;
    use aws_sdk_ec2::operation::create_nat_gateway::CreateNatGatewayOutput;
    use aws_sdk_ec2::operation::create_tags::CreateTagsOutput;
    use aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput;
    use aws_sdk_ec2::types::NatGatewayAddress;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::{testing, AwsContext};

    fn nat(id: &str, subnet: &str, state: NatGatewayState) -> NatGateway {
        NatGateway::builder()
            .nat_gateway_id(id)
            .subnet_id(subnet)
            .state(state)
            .nat_gateway_addresses(
                NatGatewayAddress::builder()
                    .allocation_id(format!("eipalloc-{id}"))
                    .build(),
            )
            .build()
    }

    /// An AttachInternetGateway mock answering the codes of `answers` in turn, then success.
    fn attach_answering(answers: Vec<&'static str>) -> aws_smithy_mocks::Rule {
        use aws_sdk_ec2::operation::attach_internet_gateway::{
            AttachInternetGatewayError, AttachInternetGatewayOutput,
        };
        let answers = std::sync::Mutex::new(answers.into_iter());
        mock!(aws_sdk_ec2::Client::attach_internet_gateway).then_compute_response(move |_| {
            match answers.lock().unwrap().next() {
                Some(code) => aws_smithy_mocks::MockResponse::Error(
                    AttachInternetGatewayError::generic(super::super::tests::ec2_code(
                        code,
                        "The internetGateway ID 'igw-1' does not exist",
                    )),
                ),
                None => aws_smithy_mocks::MockResponse::Output(
                    AttachInternetGatewayOutput::builder().build(),
                ),
            }
        })
    }

    #[tokio::test(start_paused = true)]
    async fn attaching_a_gateway_just_created_retries_its_not_found() {
        let attach = attach_answering(vec![
            "InvalidInternetGatewayID.NotFound",
            "InvalidInternetGatewayID.NotFound",
        ]);
        let env = testing::env(
            AwsContext::offline().with_ec2(crate::mock_client!(aws_sdk_ec2, [&attach])),
        );
        attach_internet_gateway(&env, "igw-1", "vpc-1")
            .await
            .unwrap();
        assert_eq!(attach.num_calls(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_not_found_that_lasts_fails_after_the_propagation_wait_and_others_at_once() {
        let attach = attach_answering(vec!["InvalidInternetGatewayID.NotFound"; 1000]);
        let env = testing::env(
            AwsContext::offline().with_ec2(crate::mock_client!(aws_sdk_ec2, [&attach])),
        );
        let started = tokio::time::Instant::now();
        let err = attach_internet_gateway(&env, "igw-1", "vpc-1")
            .await
            .unwrap_err();
        let waited = started.elapsed();
        assert!(
            waited >= super::super::PROPAGATION_WAIT && waited < 2 * super::super::PROPAGATION_WAIT,
            "{waited:?}: {err:?}"
        );
        let denied = attach_answering(vec!["UnauthorizedOperation"]);
        let env = testing::env(
            AwsContext::offline().with_ec2(crate::mock_client!(aws_sdk_ec2, [&denied])),
        );
        let err = attach_internet_gateway(&env, "igw-1", "vpc-1")
            .await
            .unwrap_err();
        assert!(
            err.detail.contains("UnauthorizedOperation"),
            "{}",
            err.detail
        );
        assert_eq!(denied.num_calls(), 1);
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn public() -> Vec<String> {
        strings(&["pub-a", "pub-b", "pub-c"])
    }

    #[test]
    fn mode_changes_keep_what_fits_and_create_or_retire_the_rest() {
        let single = [nat("nat-a", "pub-a", NatGatewayState::Available)];
        let plan = plan_nat_gateways(NatMode::PerAz, &public(), &single);
        assert_eq!(plan.keep, BTreeMap::from([(0, "nat-a".to_string())]));
        assert_eq!((plan.create, plan.retire), (vec![1, 2], vec![]));

        let per_az = [
            nat("nat-a", "pub-a", NatGatewayState::Available),
            nat("nat-b", "pub-b", NatGatewayState::Available),
            nat("nat-c", "pub-c", NatGatewayState::Pending),
        ];
        let plan = plan_nat_gateways(NatMode::Single, &public(), &per_az);
        assert_eq!((plan.keep.len(), plan.create.len()), (1, 0));
        assert_eq!(plan.retire, strings(&["nat-b", "nat-c"]));

        let plan = plan_nat_gateways(NatMode::None, &public(), &per_az);
        assert_eq!((plan.keep.len(), plan.retire.len()), (0, 3));

        // A failed NAT gateway is replaced, and retired.
        let failed = [nat("nat-x", "pub-a", NatGatewayState::Failed)];
        let plan = plan_nat_gateways(NatMode::Single, &public(), &failed);
        assert_eq!((plan.create, plan.retire), (vec![0], strings(&["nat-x"])));
    }

    #[test]
    fn elastic_ips_are_reused_in_their_az_and_released_when_left_over() {
        let eip = |alloc: &str, az: &str, assoc: Option<&str>| {
            Address::builder()
                .allocation_id(alloc)
                .set_association_id(assoc.map(str::to_string))
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key(AZ_TAG)
                        .value(az)
                        .build(),
                )
                .build()
        };
        let addresses = [
            eip("eipalloc-free-b", "b", None),
            eip("eipalloc-nat-a", "a", Some("assoc-1")),
            eip("eipalloc-nat-b", "b", Some("assoc-2")),
        ];
        let used = BTreeSet::new();
        assert_eq!(
            reusable_address(&addresses, "b", &used).as_deref(),
            Some("eipalloc-free-b")
        );
        assert_eq!(
            reusable_address(&addresses, "a", &used),
            None,
            "the associated one is in use"
        );

        let retired = nat("nat-b", "pub-b", NatGatewayState::Available);
        let used = BTreeSet::from(["eipalloc-nat-a".to_string()]);
        let release = addresses_to_release(&addresses, &used, &[&retired]);
        assert_eq!(release, strings(&["eipalloc-free-b", "eipalloc-nat-b"]));
    }

    #[tokio::test]
    async fn single_to_per_az_creates_only_the_missing_nat_gateways() {
        let allocate = mock!(aws_sdk_ec2::Client::allocate_address).then_compute_output(|r| {
            let az = r.tag_specifications()[0]
                .tags()
                .iter()
                .find(|t| t.key() == Some(AZ_TAG))
                .and_then(|t| t.value());
            AllocateAddressOutput::builder()
                .allocation_id(format!("eipalloc-{}", az.unwrap_or("?")))
                .build()
        });
        let create = mock!(aws_sdk_ec2::Client::create_nat_gateway)
            .match_requests(|r| r.subnet_id() != Some("pub-a"))
            .then_compute_output(|r| {
                let subnet = r.subnet_id().unwrap_or_default();
                let g = NatGateway::builder()
                    .nat_gateway_id(format!("nat-{}", &subnet[4..]))
                    .build();
                CreateNatGatewayOutput::builder().nat_gateway(g).build()
            });
        let describe = mock!(aws_sdk_ec2::Client::describe_nat_gateways).then_compute_output(|r| {
            let all = r
                .nat_gateway_ids()
                .iter()
                .map(|id| nat(id, "", NatGatewayState::Available));
            DescribeNatGatewaysOutput::builder()
                .set_nat_gateways(Some(all.collect()))
                .build()
        });
        let retag = mock!(aws_sdk_ec2::Client::create_tags)
            .then_output(|| CreateTagsOutput::builder().build());
        let client = crate::mock_client!(aws_sdk_ec2, [&allocate, &create, &describe, &retag]);
        let env = testing::env(AwsContext::offline().with_ec2(client));
        let inv = Inventory {
            nats: vec![nat("nat-a", "pub-a", NatGatewayState::Available)],
            ..Default::default()
        };
        let subnets = Subnets {
            azs: strings(&["a", "b", "c"]),
            private: strings(&["p-a", "p-b", "p-c"]),
            public: public(),
        };

        let got = ensure_nat_gateways(&env, &inv, &subnets, NatMode::PerAz)
            .await
            .unwrap();
        assert_eq!(
            got.by_az.values().cloned().collect::<Vec<_>>(),
            strings(&["nat-a", "nat-b", "nat-c"])
        );
        assert_eq!(
            (allocate.num_calls(), create.num_calls()),
            (2, 2),
            "only AZs b and c get one"
        );
        assert_eq!(describe.num_calls(), 1, "the new ones are awaited");
        assert!(got.retire.is_empty());
        assert!(
            got.used_allocations.contains("eipalloc-nat-a")
                && got.used_allocations.contains("eipalloc-c")
        );
    }

    #[tokio::test]
    async fn a_nat_gateway_that_fails_fails_the_wait_at_once_with_aws_reason() {
        let describe = mock!(aws_sdk_ec2::Client::describe_nat_gateways).then_output(|| {
            let g = NatGateway::builder()
                .nat_gateway_id("nat-1")
                .state(NatGatewayState::Failed)
                .failure_code("InsufficientFreeAddressesInSubnet")
                .failure_message(
                    "Subnet subnet-1 has insufficient free addresses to create this NAT gateway",
                )
                .build();
            DescribeNatGatewaysOutput::builder().nat_gateways(g).build()
        });
        let env = testing::env(
            AwsContext::offline().with_ec2(crate::mock_client!(aws_sdk_ec2, [&describe])),
        );
        let err = wait_nat_gateways_available(&env, &strings(&["nat-1"]))
            .await
            .unwrap_err();
        assert_eq!(describe.num_calls(), 1, "no second poll");
        assert_eq!(err.part, "network");
        assert!(
            err.summary.contains("NAT gateway `nat-1`"),
            "{}",
            err.summary
        );
        assert!(
            err.detail
                .starts_with("unexpected status `failed` (waiting for available"),
            "{}",
            err.detail
        );
        assert!(err.detail.ends_with("InsufficientFreeAddressesInSubnet: Subnet subnet-1 has insufficient free addresses to create this NAT gateway"), "{}", err.detail);
        assert!(
            err.retryable,
            "the next apply replaces a failed NAT gateway"
        );
    }

    #[test]
    fn a_deleted_nat_gateway_is_unexpected_while_creating_and_pending_waits() {
        let ids = strings(&["nat-1", "nat-2"]);
        let found = [nat("nat-1", "s", NatGatewayState::Pending)];
        assert_eq!(
            poll_nats_available("network", &ids, &found),
            Poll::Pending("nat-1 pending, nat-2 not visible yet".into())
        );
        let found = [
            nat("nat-1", "s", NatGatewayState::Available),
            nat("nat-2", "s", NatGatewayState::Deleted),
        ];
        let Poll::Failed(e) = poll_nats_available("network", &ids, &found) else {
            panic!("deleted must fail")
        };
        assert!(
            e.detail.contains("unexpected status `deleted`"),
            "{}",
            e.detail
        );
        assert!(e.summary.contains("nat-2"), "{}", e.summary);
    }
}
