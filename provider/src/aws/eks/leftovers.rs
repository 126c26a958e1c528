//! What a cluster creates by itself and leaves behind when it is deleted: the load
//! balancers of `LoadBalancer` Services, their security groups and the VPC CNI's network
//! interfaces, all in the cluster's VPC and tagged `kubernetes.io/cluster/NAME` = `owned`
//! (the AWS Load Balancer Controller tags its load balancers `elbv2.k8s.aws/cluster` = NAME),
//! and the control plane log group `/aws/eks/NAME/cluster`. They keep the VPC from being
//! deleted (DependencyViolation until the network's delete gives up) and the load balancers
//! bill by the hour (terraform-aws-eks #285, #2048, #2643).
//!
//! [`delete_leftovers`] runs once the cluster is gone (nothing recreates them then) and
//! deletes only objects tagged for this cluster's name; objects carrying Mosia's ownership
//! tags (the network's own security groups) are never touched. Load balancers first (their
//! network interfaces go with them), then the interfaces, then the security groups
//! (retrying while a deleted load balancer's interfaces linger), then the log group.
//! EBS volumes of persistent volumes are left alone: they hold data.

use std::future::Future;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::operation::delete_log_group::DeleteLogGroupError;
use aws_sdk_ec2::types::Filter;
use aws_sdk_elasticloadbalancingv2::operation::delete_load_balancer::DeleteLoadBalancerError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::super::errors::{self, Service};
use super::super::part::{PartEnv, PartId, ENVIRONMENT_TAG};
use super::super::wait::AwsKind;
use crate::engine::{PartError, Poll};

/// Elastic Load Balancing (v2) as the EKS part sees its errors.
const ELBV2: Service = Service {
    label: "ELBv2",
    transient_codes: &[
        "Throttling",
        "ThrottlingException",
        "InternalFailure",
        "ServiceUnavailable",
    ],
};
/// EC2 (network interfaces and security groups Kubernetes created).
const EC2: Service = Service {
    label: "EC2",
    transient_codes: &[
        "RequestLimitExceeded",
        "Throttling",
        "InternalError",
        "Unavailable",
    ],
};
/// CloudWatch Logs.
const LOGS: Service = Service {
    label: "CloudWatch Logs",
    transient_codes: &["ThrottlingException", "ServiceUnavailableException"],
};

/// How long deletes retry an object still in use by one going away (a deleted load
/// balancer's interfaces linger for minutes on AWS).
const IN_USE_WAIT: Duration = Duration::from_secs(10 * 60);
/// Answers of an object still in use.
const IN_USE: &[&str] = &[
    "DependencyViolation",
    "InvalidGroup.InUse",
    "InvalidNetworkInterface.InUse",
    "ResourceInUse",
];
/// DescribeTags takes at most 20 load balancers.
const TAG_BATCH: usize = 20;

/// The tag Kubernetes puts on what it creates for cluster `name`.
pub fn cluster_tag(name: &str) -> String {
    format!("kubernetes.io/cluster/{name}")
}

/// True for tags saying an object was created for cluster `name` (and is not Mosia's).
pub(super) fn created_for(name: &str, tags: &[(&str, &str)]) -> bool {
    let key = cluster_tag(name);
    let mosia = tags.iter().any(|(k, _)| *k == ENVIRONMENT_TAG);
    let ours = tags.iter().any(|(k, v)| {
        (*k == key && *v == "owned") || (*k == "elbv2.k8s.aws/cluster" && *v == name)
    });
    ours && !mosia
}

/// Deletes what cluster `name` created by itself (see the module documentation).
pub async fn delete_leftovers(env: &PartEnv, name: &str) -> Result<(), PartError> {
    delete_load_balancers(env, name).await?;
    delete_network_interfaces(env, name).await?;
    delete_security_groups(env, name).await?;
    delete_log_group(env, name).await
}

fn part() -> String {
    PartId::EksCluster.to_string()
}

fn ec2_filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
}

/// ARNs of every load balancer of the region (all pages).
async fn load_balancer_arns(env: &PartEnv) -> Result<Vec<String>, PartError> {
    let mut arns = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let out = match env
            .aws
            .elbv2()
            .describe_load_balancers()
            .set_marker(marker)
            .send()
            .await
        {
            Ok(out) => out,
            // Credentials without Elastic Load Balancing: nothing to see, the network's
            // delete says what remains.
            Err(e) if denied(&e) => {
                tracing::warn!(part = %part(), error = %e, "cannot list load balancers; a load balancer Kubernetes created may keep the VPC");
                return Ok(vec![]);
            }
            Err(e) => {
                let summary = "listing load balancers";
                return Err(ELBV2.error(part(), summary, "DescribeLoadBalancers", &e));
            }
        };
        arns.extend(
            out.load_balancers()
                .iter()
                .filter_map(|lb| lb.load_balancer_arn().map(str::to_string)),
        );
        marker = out.next_marker().map(str::to_string);
        if marker.is_none() {
            return Ok(arns);
        }
    }
}

/// The load balancers created for cluster `name`, by their tags.
async fn cluster_load_balancers(env: &PartEnv, name: &str) -> Result<Vec<String>, PartError> {
    let mut found = Vec::new();
    for batch in load_balancer_arns(env).await?.chunks(TAG_BATCH) {
        let out = env
            .aws
            .elbv2()
            .describe_tags()
            .set_resource_arns(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| ELBV2.error(part(), "reading load balancer tags", "DescribeTags", &e))?;
        for d in out.tag_descriptions() {
            let tags: Vec<(&str, &str)> = d
                .tags()
                .iter()
                .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
                .collect();
            if created_for(name, &tags) {
                found.extend(d.resource_arn().map(str::to_string));
            }
        }
    }
    Ok(found)
}

async fn delete_load_balancers(env: &PartEnv, name: &str) -> Result<(), PartError> {
    for arn in cluster_load_balancers(env, name).await? {
        tracing::info!(part = %part(), object = %arn, cluster = %name, "deleting a load balancer the cluster created");
        match env
            .aws
            .elbv2()
            .delete_load_balancer()
            .load_balancer_arn(&arn)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(DeleteLoadBalancerError::is_load_balancer_not_found_exception) => {
            }
            Err(e) => {
                let summary = format!("deleting load balancer `{arn}` of EKS cluster `{name}`");
                return Err(ELBV2.error(part(), summary, "DeleteLoadBalancer", &e));
            }
        }
    }
    Ok(())
}

/// Network interfaces of the cluster: tagged by Kubernetes, or by the VPC CNI
/// (`cluster.k8s.amazonaws.com/name`).
async fn delete_network_interfaces(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    let mut ids = Vec::new();
    let tag = cluster_tag(name);
    for filter in [
        ec2_filter(&format!("tag:{tag}"), &["owned"]),
        ec2_filter("tag:cluster.k8s.amazonaws.com/name", &[name]),
    ] {
        let out = ec2
            .describe_network_interfaces()
            .filters(filter)
            .send()
            .await
            .map_err(|e| {
                EC2.error(
                    part(),
                    "listing the cluster's network interfaces",
                    "DescribeNetworkInterfaces",
                    &e,
                )
            })?;
        for eni in out.network_interfaces() {
            let tags: Vec<(&str, &str)> = eni
                .tag_set()
                .iter()
                .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
                .collect();
            let mosia = tags.iter().any(|(k, _)| *k == ENVIRONMENT_TAG);
            if let Some(id) = eni
                .network_interface_id()
                .filter(|id| !mosia && !ids.iter().any(|x| x == id))
            {
                ids.push(id.to_string());
            }
        }
    }
    for id in ids {
        let what = format!("network interface `{id}` of EKS cluster `{name}`");
        retry_in_use(env, &what, "DeleteNetworkInterface", &EC2, || {
            ec2.delete_network_interface()
                .network_interface_id(&id)
                .send()
        })
        .await?;
    }
    Ok(())
}

async fn delete_security_groups(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let ec2 = env.aws.ec2();
    let out = ec2
        .describe_security_groups()
        .filters(ec2_filter(
            &format!("tag:{}", cluster_tag(name)),
            &["owned"],
        ))
        .send()
        .await
        .map_err(|e| {
            EC2.error(
                part(),
                "listing the cluster's security groups",
                "DescribeSecurityGroups",
                &e,
            )
        })?;
    for g in out.security_groups() {
        let tags: Vec<(&str, &str)> = g
            .tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
            .collect();
        let Some(id) = g.group_id().filter(|_| created_for(name, &tags)) else {
            continue;
        };
        let what = format!("security group `{id}` of EKS cluster `{name}`");
        retry_in_use(env, &what, "DeleteSecurityGroup", &EC2, || {
            ec2.delete_security_group().group_id(id).send()
        })
        .await?;
    }
    Ok(())
}

async fn delete_log_group(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let group = format!("/aws/eks/{name}/cluster");
    match env
        .aws
        .logs()
        .delete_log_group()
        .log_group_name(&group)
        .send()
        .await
    {
        Ok(_) => {
            tracing::info!(part = %part(), object = %group, "deleted the cluster's log group");
            Ok(())
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(DeleteLogGroupError::is_resource_not_found_exception) =>
        {
            Ok(())
        }
        Err(e) if denied(&e) => {
            tracing::warn!(part = %part(), object = %group, error = %e, "cannot delete the cluster's log group");
            Ok(())
        }
        Err(e) => Err(LOGS.error(
            part(),
            format!("deleting log group `{group}`"),
            "DeleteLogGroup",
            &e,
        )),
    }
}

/// Access refused to these credentials (a policy written before Mosia cleaned up after
/// clusters may not allow Elastic Load Balancing or CloudWatch Logs).
fn denied<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    matches!(
        errors::code(e),
        Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation")
    )
}

/// Runs a delete until it succeeds or answers NotFound, retrying "still in use" and
/// throttling for at most [`IN_USE_WAIT`].
async fn retry_in_use<T, E, R, F, Fut>(
    env: &PartEnv,
    what: &str,
    op: &'static str,
    service: &Service,
    mut call: F,
) -> Result<(), PartError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + errors::HttpStatus,
{
    let part = part();
    let summary = format!("deleting {what}");
    env.waiter(&part, AwsKind::Network, format!("{what} to be deleted"))
        .timeout(IN_USE_WAIT)
        .until(|| {
            let fut = call();
            let (summary, part) = (summary.clone(), part.clone());
            async move {
                match fut.await {
                    Ok(_) => Poll::Ready(()),
                    Err(e) => match errors::code(&e) {
                        Some(c) if c.contains("NotFound") => Poll::Ready(()),
                        Some(c) if IN_USE.contains(&c) => Poll::Pending(c.to_string()),
                        _ if service.is_transient(&e) => Poll::Pending("throttled".into()),
                        _ => Poll::Failed(service.error(part, summary, op, &e)),
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
pub(crate) mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_cloudwatchlogs::operation::delete_log_group::DeleteLogGroupOutput;
    use aws_sdk_ec2::operation::delete_network_interface::DeleteNetworkInterfaceOutput;
    use aws_sdk_ec2::operation::delete_security_group::{
        DeleteSecurityGroupError, DeleteSecurityGroupOutput,
    };
    use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
    use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
    use aws_sdk_ec2::types::{NetworkInterface, SecurityGroup, Tag};
    use aws_sdk_elasticloadbalancingv2::operation::delete_load_balancer::DeleteLoadBalancerOutput;
    use aws_sdk_elasticloadbalancingv2::operation::describe_load_balancers::DescribeLoadBalancersOutput;
    use aws_sdk_elasticloadbalancingv2::operation::describe_tags::DescribeTagsOutput;
    use aws_sdk_elasticloadbalancingv2::types::{LoadBalancer, TagDescription};
    use aws_smithy_mocks::{mock, MockResponse, Rule};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;
    use crate::aws::{testing, AwsContext};

    /// Every deleted object, in order: "lb ARN", "eni ID", "sg ID", "log NAME".
    pub type Deleted = Arc<Mutex<Vec<String>>>;

    fn elb_tag(k: &str, v: &str) -> aws_sdk_elasticloadbalancingv2::types::Tag {
        aws_sdk_elasticloadbalancingv2::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
    }

    fn ec2_tag(k: &str, v: &str) -> Tag {
        Tag::builder().key(k).value(v).build()
    }

    const OURS: &str = "kubernetes.io/cluster/mosia-test-eks";

    /// ELBv2: our in-tree and controller load balancers, another cluster's.
    fn elb_rules(deleted: &Deleted) -> Vec<Rule> {
        let ours = OURS;
        let lbs = mock!(aws_sdk_elasticloadbalancingv2::Client::describe_load_balancers)
            .then_output(|| {
                let lb = |arn: &str| LoadBalancer::builder().load_balancer_arn(arn).build();
                DescribeLoadBalancersOutput::builder()
                    .load_balancers(lb("arn:lb/in-tree"))
                    .load_balancers(lb("arn:lb/controller"))
                    .load_balancers(lb("arn:lb/other-cluster"))
                    .build()
            });
        let tags =
            mock!(aws_sdk_elasticloadbalancingv2::Client::describe_tags).then_output(move || {
                let d = |arn: &str, k: &str, v: &str| {
                    TagDescription::builder()
                        .resource_arn(arn)
                        .tags(elb_tag(k, v))
                        .build()
                };
                DescribeTagsOutput::builder()
                    .tag_descriptions(d("arn:lb/in-tree", ours, "owned"))
                    .tag_descriptions(d(
                        "arn:lb/controller",
                        "elbv2.k8s.aws/cluster",
                        "mosia-test-eks",
                    ))
                    .tag_descriptions(d(
                        "arn:lb/other-cluster",
                        "kubernetes.io/cluster/other",
                        "owned",
                    ))
                    .build()
            });
        let d = deleted.clone();
        let delete_lb = mock!(aws_sdk_elasticloadbalancingv2::Client::delete_load_balancer)
            .then_compute_output(move |r| {
                d.lock()
                    .unwrap()
                    .push(format!("lb {}", r.load_balancer_arn().unwrap_or_default()));
                DeleteLoadBalancerOutput::builder().build()
            });
        vec![lbs, tags, delete_lb]
    }

    /// EC2: the cluster's ENIs and security groups, next to the network's own group.
    fn ec2_rules(deleted: &Deleted) -> Vec<Rule> {
        let ours = OURS;
        let enis =
            mock!(aws_sdk_ec2::Client::describe_network_interfaces).then_compute_output(move |r| {
                let by_cni = r
                    .filters()
                    .iter()
                    .any(|f| f.name() == Some("tag:cluster.k8s.amazonaws.com/name"));
                let eni = |id: &str| NetworkInterface::builder().network_interface_id(id).build();
                let mut out =
                    DescribeNetworkInterfacesOutput::builder().network_interfaces(eni("eni-k8s"));
                if by_cni {
                    out = out.network_interfaces(eni("eni-cni"));
                }
                out.build()
            });
        let d = deleted.clone();
        let delete_eni =
            mock!(aws_sdk_ec2::Client::delete_network_interface).then_compute_output(move |r| {
                d.lock().unwrap().push(format!(
                    "eni {}",
                    r.network_interface_id().unwrap_or_default()
                ));
                DeleteNetworkInterfaceOutput::builder().build()
            });
        let sgs = mock!(aws_sdk_ec2::Client::describe_security_groups)
            .match_requests(move |r| {
                r.filters()
                    .iter()
                    .any(|f| f.name() == Some("tag:kubernetes.io/cluster/mosia-test-eks"))
            })
            .then_output(move || {
                DescribeSecurityGroupsOutput::builder()
                    .security_groups(
                        SecurityGroup::builder()
                            .group_id("sg-k8s-elb")
                            .tags(ec2_tag(ours, "owned"))
                            .build(),
                    )
                    .security_groups(
                        SecurityGroup::builder()
                            .group_id("sg-mosia-eks")
                            .tags(ec2_tag(ours, "owned"))
                            .tags(ec2_tag(ENVIRONMENT_TAG, "mosia-test"))
                            .build(),
                    )
                    .build()
            });
        let d = deleted.clone();
        let busy = Mutex::new(true);
        let delete_sg =
            mock!(aws_sdk_ec2::Client::delete_security_group).then_compute_response(move |r| {
                if std::mem::replace(&mut *busy.lock().unwrap(), false) {
                    return MockResponse::Error(DeleteSecurityGroupError::generic(
                        ErrorMetadata::builder()
                            .code("DependencyViolation")
                            .message("resource sg-k8s-elb has a dependent object")
                            .build(),
                    ));
                }
                d.lock()
                    .unwrap()
                    .push(format!("sg {}", r.group_id().unwrap_or_default()));
                MockResponse::Output(DeleteSecurityGroupOutput::builder().build())
            });
        vec![enis, delete_eni, sgs, delete_sg]
    }

    /// What a cluster `mosia-test-eks` left behind, next to objects of another cluster and
    /// the network's own (Mosia-tagged) security group; every delete is recorded. The
    /// Kubernetes security group answers DependencyViolation once (its load balancer's
    /// interfaces linger).
    pub fn leftover_rules(deleted: &Deleted) -> (Vec<Rule>, Vec<Rule>, Vec<Rule>) {
        let d = deleted.clone();
        let delete_log = mock!(aws_sdk_cloudwatchlogs::Client::delete_log_group)
            .then_compute_output(move |r| {
                d.lock()
                    .unwrap()
                    .push(format!("log {}", r.log_group_name().unwrap_or_default()));
                DeleteLogGroupOutput::builder().build()
            });
        (elb_rules(deleted), ec2_rules(deleted), vec![delete_log])
    }

    /// `ctx` with ELBv2, EC2 and CloudWatch Logs answering from [`leftover_rules`].
    pub fn with_leftovers(ctx: AwsContext, deleted: &Deleted) -> AwsContext {
        let (elb, ec2, logs) = leftover_rules(deleted);
        ctx.with_elbv2(crate::mock_client!(aws_sdk_elasticloadbalancingv2, rules: &elb))
            .with_ec2(crate::mock_client!(aws_sdk_ec2, rules: &ec2))
            .with_logs(crate::mock_client!(aws_sdk_cloudwatchlogs, rules: &logs))
    }

    #[tokio::test(start_paused = true)]
    async fn only_what_was_created_for_this_cluster_is_deleted() {
        let deleted = Deleted::default();
        let env = testing::env(with_leftovers(AwsContext::offline(), &deleted));
        delete_leftovers(&env, "mosia-test-eks").await.unwrap();
        assert_eq!(
            *deleted.lock().unwrap(),
            [
                "lb arn:lb/in-tree",
                "lb arn:lb/controller",
                "eni eni-k8s",
                "eni eni-cni",
                "sg sg-k8s-elb",
                "log /aws/eks/mosia-test-eks/cluster",
            ],
            "not the other cluster's load balancer, not the network's security group"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_without_load_balancer_access_still_clean_up_the_rest() {
        use aws_sdk_elasticloadbalancingv2::operation::describe_load_balancers::DescribeLoadBalancersError;
        let deleted = Deleted::default();
        let (_, ec2, logs) = leftover_rules(&deleted);
        let denied = mock!(aws_sdk_elasticloadbalancingv2::Client::describe_load_balancers)
            .then_error(|| {
                DescribeLoadBalancersError::generic(
                    ErrorMetadata::builder()
                        .code("AccessDenied")
                        .message(
                            "not authorized to perform: elasticloadbalancing:DescribeLoadBalancers",
                        )
                        .build(),
                )
            });
        let ctx = AwsContext::offline()
            .with_elbv2(crate::mock_client!(
                aws_sdk_elasticloadbalancingv2,
                [&denied]
            ))
            .with_ec2(crate::mock_client!(aws_sdk_ec2, rules: &ec2))
            .with_logs(crate::mock_client!(aws_sdk_cloudwatchlogs, rules: &logs));
        delete_leftovers(&testing::env(ctx), "mosia-test-eks")
            .await
            .unwrap();
        let deleted = deleted.lock().unwrap().clone();
        assert_eq!(
            deleted.len(),
            4,
            "ENIs, security group, log group: {deleted:?}"
        );
    }

    #[test]
    fn created_for_reads_the_kubernetes_tags() {
        let name = "c";
        assert!(created_for(name, &[("kubernetes.io/cluster/c", "owned")]));
        assert!(!created_for(name, &[("kubernetes.io/cluster/c", "shared")]));
        assert!(!created_for(name, &[("kubernetes.io/cluster/cd", "owned")]));
        assert!(created_for(name, &[("elbv2.k8s.aws/cluster", "c")]));
        assert!(!created_for(
            name,
            &[
                ("kubernetes.io/cluster/c", "owned"),
                (ENVIRONMENT_TAG, "env")
            ]
        ));
    }
}
