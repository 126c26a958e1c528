//! The VPC of a network Mosia creates: check that it can be kept, adopt it or create it,
//! wait until it is available, and turn DNS support and hostnames on.

use std::time::Duration;

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, Vpc, VpcAttributeName};

use super::inventory::{find_vpc, Inventory};
use super::{
    desired_tags, ec2_error, part, sync_tags, tag_map, tag_spec, until_propagated, Ipv4Cidr,
    PROPAGATION_WAIT,
};
use crate::aws::part::{not_ours, PartEnv, PartId};
use crate::aws::wait::{AwsKind, Statuses};
use crate::engine::{PartError, Poll};

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

/// Waits for a new VPC: NotFound right after the create is eventual consistency (for up to
/// [`PROPAGATION_WAIT`]), throttling waits, a status other than pending/available fails.
pub(super) async fn wait_vpc_available(env: &PartEnv, vpc_id: &str) -> Result<(), PartError> {
    let part = part();
    let what = format!("VPC `{vpc_id}` to become available");
    let started = tokio::time::Instant::now();
    env.waiter(&part, AwsKind::Network, what.clone())
        .timeout(VPC_WAIT)
        .until(|| async {
            match find_vpc(env, vpc_id).await {
                Ok(Some(v)) => VPC_CREATED.poll(&part, &what, v.state().map(|s| s.as_str()), || ()),
                Ok(None) if started.elapsed() < PROPAGATION_WAIT => {
                    Poll::Pending("not visible yet".into())
                }
                Ok(None) => Poll::Failed(PartError::new(
                    &part,
                    format!("waiting for {what}"),
                    "the VPC disappeared (deleted outside Terraform?)",
                )),
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
    let what = format!("enabling {} on VPC `{vpc_id}`", attr.as_str());
    until_propagated(env, &what, || req.clone().send())
        .await?
        .map_err(|e| ec2_error(what.as_str(), "ModifyVpcAttribute", &e))?;
    tracing::info!(part = %part(), object = "vpc", id = %vpc_id, attribute = attr.as_str(), "enabled");
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::create_tags::CreateTagsOutput;
    use aws_sdk_ec2::operation::create_vpc::CreateVpcOutput;
    use aws_sdk_ec2::operation::describe_vpc_attribute::DescribeVpcAttributeOutput;
    use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
    use aws_sdk_ec2::operation::modify_vpc_attribute::ModifyVpcAttributeOutput;
    use aws_sdk_ec2::types::{Tag, VpcState};
    use aws_smithy_mocks::{mock, Rule};

    use super::super::inventory::find_vpcs;
    use super::super::owner_filters;
    use super::super::tests::{ec2_tags, owned_tags};
    use super::*;
    use crate::aws::{testing, AwsContext};

    fn vpc(tags: Vec<Tag>) -> Vpc {
        Vpc::builder()
            .vpc_id("vpc-1")
            .cidr_block("10.0.0.0/16")
            .state(VpcState::Available)
            .set_tags(Some(tags))
            .build()
    }

    /// DescribeVpcs answering only the ownership filters of `mosia-test`.
    fn describe_owned(tags: Vec<Tag>) -> Rule {
        mock!(aws_sdk_ec2::Client::describe_vpcs)
            .match_requests(|r| {
                r.filters().iter().any(|f| {
                    f.name() == Some("tag:mosia:environment") && f.values() == ["mosia-test"]
                }) && r
                    .filters()
                    .iter()
                    .any(|f| f.name() == Some("tag:mosia:part") && f.values() == ["network"])
            })
            .then_output(move || {
                DescribeVpcsOutput::builder()
                    .vpcs(vpc(tags.clone()))
                    .build()
            })
    }

    fn dns_on() -> Rule {
        mock!(aws_sdk_ec2::Client::describe_vpc_attribute).then_output(|| {
            let on = AttributeBooleanValue::builder().value(true).build();
            DescribeVpcAttributeOutput::builder()
                .enable_dns_support(on.clone())
                .enable_dns_hostnames(on)
                .build()
        })
    }

    fn create_vpc() -> Rule {
        mock!(aws_sdk_ec2::Client::create_vpc).then_output(|| {
            CreateVpcOutput::builder()
                .vpc(Vpc::builder().vpc_id("vpc-new").build())
                .build()
        })
    }

    fn cidr() -> Ipv4Cidr {
        "10.0.0.0/16".parse().unwrap()
    }

    #[tokio::test]
    async fn adopts_the_owned_vpc_without_creating_one() {
        let mut tags = owned_tags("mosia-test", &[]);
        tags.retain(|t| t.key() != Some("team"));
        tags.extend(ec2_tags(&[("team", "old")]));
        let describe = describe_owned(tags);
        let (attrs, create) = (dns_on(), create_vpc());
        let retag = mock!(aws_sdk_ec2::Client::create_tags)
            .match_requests(|r| r.resources() == ["vpc-1"])
            .then_output(|| CreateTagsOutput::builder().build());
        let modify = mock!(aws_sdk_ec2::Client::modify_vpc_attribute)
            .then_output(|| ModifyVpcAttributeOutput::builder().build());
        let client =
            crate::mock_client!(aws_sdk_ec2, [&describe, &attrs, &create, &retag, &modify]);
        let env = testing::env(AwsContext::offline().with_ec2(client));
        let inv = Inventory {
            vpcs: find_vpcs(&env, &owner_filters(&env)).await.unwrap(),
            ..Default::default()
        };
        check(&env, &inv, cidr()).unwrap();
        assert_eq!(ensure_vpc(&env, &inv, cidr()).await.unwrap(), "vpc-1");
        assert_eq!(
            create.num_calls(),
            0,
            "an owned VPC is adopted, not created"
        );
        assert_eq!(retag.num_calls(), 1, "the changed user tag is converged");
        assert_eq!(
            (attrs.num_calls(), modify.num_calls()),
            (2, 0),
            "DNS already on: read, not changed"
        );
    }

    #[tokio::test]
    async fn refuses_a_vpc_tagged_for_another_environment() {
        let tags = ec2_tags(&[("mosia:environment", "other"), ("mosia:part", "network")]);
        let describe = describe_owned(tags);
        let (attrs, create) = (dns_on(), create_vpc());
        let retag = mock!(aws_sdk_ec2::Client::create_tags)
            .then_output(|| CreateTagsOutput::builder().build());
        let client = crate::mock_client!(aws_sdk_ec2, [&describe, &attrs, &create, &retag]);
        let env = testing::env(AwsContext::offline().with_ec2(client));
        let inv = Inventory {
            vpcs: find_vpcs(&env, &owner_filters(&env)).await.unwrap(),
            ..Default::default()
        };
        let err = ensure_vpc(&env, &inv, cidr()).await.unwrap_err();
        assert_eq!(err.part, "network");
        assert!(
            err.detail
                .contains("VPC `vpc-1` already exists and is not managed"),
            "{}",
            err.detail
        );
        assert!(
            err.detail.contains("belongs to environment `other`"),
            "{}",
            err.detail
        );
        assert_eq!(
            (create.num_calls(), retag.num_calls(), attrs.num_calls()),
            (0, 0, 0),
            "nothing touched"
        );
    }

    #[tokio::test]
    async fn creates_a_vpc_when_none_is_owned_and_turns_dns_on() {
        let (attrs, create) = (dns_on(), create_vpc());
        let available = mock!(aws_sdk_ec2::Client::describe_vpcs)
            .match_requests(|r| r.vpc_ids() == ["vpc-new"])
            .then_output(|| {
                let v = Vpc::builder()
                    .vpc_id("vpc-new")
                    .state(VpcState::Available)
                    .build();
                DescribeVpcsOutput::builder().vpcs(v).build()
            });
        let modify = mock!(aws_sdk_ec2::Client::modify_vpc_attribute)
            .then_output(|| ModifyVpcAttributeOutput::builder().build());
        let client = crate::mock_client!(aws_sdk_ec2, [&attrs, &create, &available, &modify]);
        let env = testing::env(AwsContext::offline().with_ec2(client));
        assert_eq!(
            ensure_vpc(&env, &Inventory::default(), cidr())
                .await
                .unwrap(),
            "vpc-new"
        );
        assert_eq!(
            (create.num_calls(), modify.num_calls(), attrs.num_calls()),
            (1, 2, 0)
        );
    }

    #[test]
    fn a_vpc_with_another_cidr_needs_a_replacement() {
        let env = testing::env(AwsContext::offline());
        let inv = Inventory {
            vpcs: vec![vpc(vec![])],
            ..Default::default()
        };
        let err = check(&env, &inv, "10.1.0.0/16".parse().unwrap()).unwrap_err();
        assert!(
            err.detail
                .contains("has CIDR 10.0.0.0/16, the configuration asks for 10.1.0.0/16"),
            "{}",
            err.detail
        );
        assert!(
            err.detail.contains("cannot be changed in place"),
            "{}",
            err.detail
        );
    }
}
