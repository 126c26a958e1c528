//! Deleting the network: everything the part owns, found by its tags, in reverse order of
//! creation. NotFound counts as deleted; `DependencyViolation` and the other "still in
//! use" answers are retried with backoff for a bounded time ([`DEPENDENCY_RETRY`]).

use std::future::Future;

use aws_sdk_ec2::types::{InternetGateway, RouteTable};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::gateways::{delete_nat_gateways, release_address};
use super::inventory::inventory;
use super::{ec2_error, is_not_found, part, DEPENDENCY_RETRY, SERVICE};
use crate::aws::errors;
use crate::aws::part::PartEnv;
use crate::aws::wait::AwsKind;
use crate::engine::{PartError, Poll};

/// Error codes of an object still in use by another that is going away.
const IN_USE: &[&str] = &[
    "DependencyViolation",
    "InvalidIPAddress.InUse",
    "AuthFailure",
    "InvalidGroup.InUse",
    "ResourceInUse",
];

/// Deletes everything the part owns, found by its tags, in reverse order: NAT gateways (and
/// waits until they are deleted), Elastic IPs, route tables, the internet gateway, subnets,
/// security groups, the VPC. The user's own VPC and subnets are never touched.
pub async fn delete(env: &PartEnv) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    let inv = inventory(env).await?;
    let nat_ids: Vec<String> = inv
        .nats
        .iter()
        .filter_map(|g| g.nat_gateway_id().map(str::to_string))
        .collect();
    if !nat_ids.is_empty() {
        delete_nat_gateways(env, &nat_ids).await?;
    }
    for alloc in inv.addresses.iter().filter_map(|a| a.allocation_id()) {
        release_address(env, alloc).await?;
    }
    for rt in &inv.route_tables {
        delete_route_table(env, rt).await?;
    }
    for g in &inv.igws {
        delete_internet_gateway(env, g).await?;
    }
    for id in inv.subnets.iter().filter_map(|s| s.subnet_id()) {
        delete_retrying(env, format!("subnet `{id}`"), "DeleteSubnet", || {
            ec2.delete_subnet().subnet_id(id).send()
        })
        .await?;
    }
    for id in inv.sgs.iter().filter_map(|g| g.group_id()) {
        delete_retrying(
            env,
            format!("security group `{id}`"),
            "DeleteSecurityGroup",
            || ec2.delete_security_group().group_id(id).send(),
        )
        .await?;
    }
    for id in inv.vpcs.iter().filter_map(|v| v.vpc_id()) {
        delete_retrying(env, format!("VPC `{id}`"), "DeleteVpc", || {
            ec2.delete_vpc().vpc_id(id).send()
        })
        .await?;
    }
    Ok(())
}

/// Detaches a route table from its subnets (not the main association), then deletes it.
async fn delete_route_table(env: &PartEnv, rt: &RouteTable) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    let Some(rt_id) = rt.route_table_id() else {
        return Ok(());
    };
    let assocs = rt.associations().iter().filter(|a| a.main() != Some(true));
    for assoc in assocs.filter_map(|a| a.route_table_association_id()) {
        match ec2
            .disassociate_route_table()
            .association_id(assoc)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if is_not_found(&e) => {}
            Err(e) => {
                let summary = format!("detaching route table `{rt_id}`");
                return Err(ec2_error(summary, "DisassociateRouteTable", &e));
            }
        }
    }
    delete_retrying(
        env,
        format!("route table `{rt_id}`"),
        "DeleteRouteTable",
        || ec2.delete_route_table().route_table_id(rt_id).send(),
    )
    .await
}

/// Detaches the internet gateway from its VPCs, then deletes it.
async fn delete_internet_gateway(env: &PartEnv, g: &InternetGateway) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    let Some(igw_id) = g.internet_gateway_id() else {
        return Ok(());
    };
    for vpc_id in g.attachments().iter().filter_map(|a| a.vpc_id()) {
        let what = format!("attachment of internet gateway `{igw_id}` to `{vpc_id}`");
        delete_retrying(env, what, "DetachInternetGateway", || {
            ec2.detach_internet_gateway()
                .internet_gateway_id(igw_id)
                .vpc_id(vpc_id)
                .send()
        })
        .await?;
    }
    delete_retrying(
        env,
        format!("internet gateway `{igw_id}`"),
        "DeleteInternetGateway",
        || {
            ec2.delete_internet_gateway()
                .internet_gateway_id(igw_id)
                .send()
        },
    )
    .await
}

/// Runs a delete (`op` without the service, e.g. `DeleteSubnet`) until it succeeds or
/// reports NotFound, retrying the "still in use" answers and throttling with backoff for at
/// most [`DEPENDENCY_RETRY`].
pub(super) async fn delete_retrying<T, E, R, F, Fut>(
    env: &PartEnv,
    what: String,
    op: &'static str,
    mut call: F,
) -> Result<(), PartError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + crate::aws::errors::HttpStatus,
{
    let part = part();
    let summary = format!("deleting {what}");
    env.waiter(&part, AwsKind::Network, format!("{what} to be deleted"))
        .timeout(DEPENDENCY_RETRY)
        .until(|| {
            let fut = call();
            let summary = summary.clone();
            async move {
                match fut.await {
                    Ok(_) => Poll::Ready(()),
                    Err(e) if is_not_found(&e) => Poll::Ready(()),
                    Err(e) => match errors::code(&e) {
                        Some(c) if IN_USE.contains(&c) => Poll::Pending(c.to_string()),
                        _ if SERVICE.is_transient(&e) => Poll::Pending("throttled".into()),
                        _ => Poll::Failed(ec2_error(summary, op, &e)),
                    },
                }
            }
        })
        .await
        .map_err(PartError::from)?;
    tracing::info!(part = %part, object = %what, "deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::delete_security_group::DeleteSecurityGroupError;
    use aws_sdk_ec2::operation::delete_subnet::{DeleteSubnetError, DeleteSubnetOutput};
    use aws_sdk_ec2::operation::delete_vpc::DeleteVpcError;
    use aws_sdk_ec2::operation::describe_addresses::DescribeAddressesOutput;
    use aws_sdk_ec2::operation::describe_internet_gateways::DescribeInternetGatewaysOutput;
    use aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput;
    use aws_sdk_ec2::operation::describe_route_tables::DescribeRouteTablesOutput;
    use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
    use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
    use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
    use aws_sdk_ec2::types::{SecurityGroup, Subnet, Vpc};
    use aws_smithy_mocks::{mock, Rule};

    use super::super::tests::ec2_code;
    use super::*;
    use crate::aws::{testing, AwsContext};

    /// The describes of an inventory that finds one VPC, two subnets and one security group.
    fn inventory_rules() -> Vec<Rule> {
        vec![
            mock!(aws_sdk_ec2::Client::describe_vpcs).then_output(|| {
                DescribeVpcsOutput::builder()
                    .vpcs(Vpc::builder().vpc_id("vpc-1").build())
                    .build()
            }),
            mock!(aws_sdk_ec2::Client::describe_subnets).then_output(|| {
                DescribeSubnetsOutput::builder()
                    .subnets(Subnet::builder().subnet_id("subnet-gone").build())
                    .subnets(Subnet::builder().subnet_id("subnet-2").build())
                    .build()
            }),
            mock!(aws_sdk_ec2::Client::describe_internet_gateways)
                .then_output(|| DescribeInternetGatewaysOutput::builder().build()),
            mock!(aws_sdk_ec2::Client::describe_route_tables)
                .then_output(|| DescribeRouteTablesOutput::builder().build()),
            mock!(aws_sdk_ec2::Client::describe_addresses)
                .then_output(|| DescribeAddressesOutput::builder().build()),
            mock!(aws_sdk_ec2::Client::describe_security_groups).then_output(|| {
                DescribeSecurityGroupsOutput::builder()
                    .security_groups(SecurityGroup::builder().group_id("sg-1").build())
                    .build()
            }),
            mock!(aws_sdk_ec2::Client::describe_nat_gateways)
                .then_output(|| DescribeNatGatewaysOutput::builder().build()),
        ]
    }

    #[tokio::test]
    async fn delete_treats_not_found_as_deleted() {
        let gone = mock!(aws_sdk_ec2::Client::delete_subnet)
            .match_requests(|r| r.subnet_id() == Some("subnet-gone"))
            .then_error(|| {
                DeleteSubnetError::generic(ec2_code(
                    "InvalidSubnetID.NotFound",
                    "The subnet ID 'subnet-gone' does not exist",
                ))
            });
        let subnet = mock!(aws_sdk_ec2::Client::delete_subnet)
            .match_requests(|r| r.subnet_id() == Some("subnet-2"))
            .then_output(|| DeleteSubnetOutput::builder().build());
        let sg = mock!(aws_sdk_ec2::Client::delete_security_group).then_error(|| {
            DeleteSecurityGroupError::generic(ec2_code(
                "InvalidGroup.NotFound",
                "The security group 'sg-1' does not exist",
            ))
        });
        let vpc = mock!(aws_sdk_ec2::Client::delete_vpc).then_error(|| {
            DeleteVpcError::generic(ec2_code(
                "InvalidVpcID.NotFound",
                "The vpc ID 'vpc-1' does not exist",
            ))
        });
        let rules = inventory_rules();
        let client = crate::mock_client!(
            aws_sdk_ec2,
            [
                &rules[0], &rules[1], &rules[2], &rules[3], &rules[4], &rules[5], &rules[6], &gone,
                &subnet, &sg, &vpc
            ]
        );
        let env = testing::env(AwsContext::offline().with_ec2(client));
        delete(&env).await.unwrap();
        let calls = [
            gone.num_calls(),
            subnet.num_calls(),
            sg.num_calls(),
            vpc.num_calls(),
        ];
        assert_eq!(
            calls,
            [1, 1, 1, 1],
            "each delete is sent once; NotFound is not retried"
        );
    }

    #[tokio::test]
    async fn delete_fails_on_other_errors_naming_the_code() {
        let denied = mock!(aws_sdk_ec2::Client::delete_subnet).then_error(|| {
            DeleteSubnetError::generic(ec2_code("UnauthorizedOperation", "You are not authorized"))
        });
        let rules = inventory_rules();
        let client = crate::mock_client!(
            aws_sdk_ec2,
            [
                &rules[0], &rules[1], &rules[2], &rules[3], &rules[4], &rules[5], &rules[6],
                &denied
            ]
        );
        let env = testing::env(AwsContext::offline().with_ec2(client));
        let err = delete(&env).await.unwrap_err();
        assert_eq!(err.summary, "deleting subnet `subnet-gone`");
        assert_eq!(
            err.detail,
            "EC2 DeleteSubnet: UnauthorizedOperation: You are not authorized"
        );
        assert!(!err.retryable);
    }
}
