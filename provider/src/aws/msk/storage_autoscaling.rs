//! Storage autoscaling of the brokers: an Application Auto Scaling scalable target on the
//! cluster (namespace `kafka`, dimension `kafka:broker-storage:VolumeSize`, ResourceId the
//! cluster ARN) with one target tracking policy on `KafkaBrokerStorageUtilization`.
//!
//! MSK only grows storage (the policy never scales in), so the storage it reaches is kept by
//! the plan, not reverted (`forward_only`). `find_scalable_target` → `ensure` (register,
//! then the policy) / `read_max_gb` / `delete` (deregistering deletes the policy too; done
//! before the cluster is deleted, so nothing is left registered on a gone ARN).
//!
//! AWS sources: MSK developer guide "Automatic scaling for Amazon MSK clusters" (target 10-80%
//! of the storage, maximum up to 16 TiB per broker) and "Set up automatic scaling using the
//! Application Auto Scaling API"; Application Auto Scaling user guide "Amazon MSK and
//! Application Auto Scaling" (scale in disabled). The first registration creates the
//! service-linked role `AWSServiceRoleForApplicationAutoScaling_KafkaCluster`.

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ScalableTarget,
    ScalingPolicy, ServiceNamespace, TargetTrackingScalingPolicyConfiguration,
};

use super::PART;
use crate::aws::errors::Service;
use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// Application Auto Scaling errors as part errors.
pub(crate) const SERVICE: Service = Service {
    label: "Application Auto Scaling",
    transient_codes: &[
        "ConcurrentUpdateException",
        "InternalServiceException",
        "ThrottlingException",
        "RateExceeded",
    ],
};

/// The disk use (percent of each broker's volume) the policy keeps the brokers under: MSK's
/// console default, inside the 10-80 MSK accepts.
pub const TARGET_UTILIZATION_PERCENT: f64 = 60.0;

fn namespace() -> ServiceNamespace {
    ServiceNamespace::Kafka
}

fn dimension() -> ScalableDimension {
    ScalableDimension::KafkaBrokerStorageVolumeSize
}

/// `{cluster}-storage`.
fn policy_name(cluster: &str) -> String {
    format!("{cluster}-storage")
}

/// The scalable target of the cluster's broker storage, if registered.
pub(super) async fn find_scalable_target(
    env: &PartEnv,
    cluster_arn: &str,
) -> Result<Option<ScalableTarget>, PartError> {
    let out = env
        .aws
        .application_autoscaling()
        .describe_scalable_targets()
        .service_namespace(namespace())
        .scalable_dimension(dimension())
        .resource_ids(cluster_arn)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                "reading the storage autoscaling of the MSK cluster",
                "DescribeScalableTargets",
                &e,
            )
        })?;
    Ok(out
        .scalable_targets()
        .iter()
        .find(|t| t.resource_id() == cluster_arn)
        .cloned())
}

/// The storage autoscaling maximum (GB per broker), None when it is off.
pub(super) async fn read_max_gb(
    env: &PartEnv,
    cluster_arn: &str,
) -> Result<Option<u32>, PartError> {
    Ok(find_scalable_target(env, cluster_arn)
        .await?
        .and_then(|t| u32::try_from(t.max_capacity()).ok()))
}

/// Storage autoscaling as configured: up to `max_gb` per broker, or off (None).
pub(super) async fn ensure(
    env: &PartEnv,
    cluster: &str,
    cluster_arn: &str,
    max_gb: Option<u32>,
) -> Result<(), PartError> {
    let target = find_scalable_target(env, cluster_arn).await?;
    match (max_gb, target) {
        (None, None) => Ok(()),
        (None, Some(_)) => deregister(env, cluster, cluster_arn).await,
        (Some(max), target) => {
            // A target registered just now has no policy yet: no need to look.
            let was_registered = target.is_some();
            if target.is_none_or(|t| t.max_capacity() != max as i32) {
                register(env, cluster, cluster_arn, max).await?;
            }
            if !was_registered || !has_policy(env, cluster, cluster_arn).await? {
                put_policy(env, cluster, cluster_arn).await?;
            }
            Ok(())
        }
    }
}

/// Off before the cluster goes (no-op when it was never on).
pub(super) async fn delete(
    env: &PartEnv,
    cluster: &str,
    cluster_arn: &str,
) -> Result<(), PartError> {
    if find_scalable_target(env, cluster_arn).await?.is_some() {
        deregister(env, cluster, cluster_arn).await?;
    }
    Ok(())
}

async fn register(env: &PartEnv, cluster: &str, arn: &str, max: u32) -> Result<(), PartError> {
    // MinCapacity 1: MSK never shrinks a volume, and a floor above the current size would
    // make Application Auto Scaling grow it at once.
    env.aws
        .application_autoscaling()
        .register_scalable_target()
        .service_namespace(namespace())
        .scalable_dimension(dimension())
        .resource_id(arn)
        .min_capacity(1)
        .max_capacity(max as i32)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("turning on storage autoscaling of MSK cluster `{cluster}` (up to {max} GB per broker)"),
                "RegisterScalableTarget",
                &e,
            )
        })?;
    tracing::info!(part = %PART, object = %cluster, max_gb = max, "MSK storage autoscaling registered");
    Ok(())
}

/// True when the cluster's target tracking policy is there as Mosia writes it.
async fn has_policy(env: &PartEnv, cluster: &str, arn: &str) -> Result<bool, PartError> {
    let out = env
        .aws
        .application_autoscaling()
        .describe_scaling_policies()
        .service_namespace(namespace())
        .scalable_dimension(dimension())
        .resource_id(arn)
        .policy_names(policy_name(cluster))
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("reading the storage autoscaling policy of MSK cluster `{cluster}`"),
                "DescribeScalingPolicies",
                &e,
            )
        })?;
    Ok(out.scaling_policies().iter().any(is_as_written))
}

fn is_as_written(p: &ScalingPolicy) -> bool {
    let Some(c) = p.target_tracking_scaling_policy_configuration() else {
        return false;
    };
    p.policy_type() == &PolicyType::TargetTrackingScaling
        && c.target_value() == TARGET_UTILIZATION_PERCENT
        && c.predefined_metric_specification().is_some_and(|m| {
            m.predefined_metric_type() == &MetricType::KafkaBrokerStorageUtilization
        })
}

async fn put_policy(env: &PartEnv, cluster: &str, arn: &str) -> Result<(), PartError> {
    let metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::KafkaBrokerStorageUtilization)
        .build()
        .map_err(|e| {
            PartError::new(
                PART.to_string(),
                "building the storage autoscaling policy",
                e.to_string(),
            )
        })?;
    let config = TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(TARGET_UTILIZATION_PERCENT)
        .predefined_metric_specification(metric)
        .disable_scale_in(true)
        .build()
        .map_err(|e| {
            PartError::new(
                PART.to_string(),
                "building the storage autoscaling policy",
                e.to_string(),
            )
        })?;
    env.aws
        .application_autoscaling()
        .put_scaling_policy()
        .policy_name(policy_name(cluster))
        .service_namespace(namespace())
        .scalable_dimension(dimension())
        .resource_id(arn)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(config)
        .send()
        .await
        .map_err(|e| {
            SERVICE.error(
                &PART,
                format!("writing the storage autoscaling policy of MSK cluster `{cluster}`"),
                "PutScalingPolicy",
                &e,
            )
        })?;
    Ok(())
}

/// Deregistering the target deletes its policies with it.
async fn deregister(env: &PartEnv, cluster: &str, arn: &str) -> Result<(), PartError> {
    let result = env
        .aws
        .application_autoscaling()
        .deregister_scalable_target()
        .service_namespace(namespace())
        .scalable_dimension(dimension())
        .resource_id(arn)
        .send()
        .await;
    match result {
        Ok(_) => {}
        // Gone meanwhile: what was asked.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_object_not_found_exception()) => {}
        Err(e) => {
            return Err(SERVICE.error(
                &PART,
                format!("turning off storage autoscaling of MSK cluster `{cluster}`"),
                "DeregisterScalableTarget",
                &e,
            ))
        }
    }
    tracing::info!(part = %PART, object = %cluster, "MSK storage autoscaling deregistered");
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_sdk_applicationautoscaling::operation::deregister_scalable_target::DeregisterScalableTargetOutput;
    use aws_sdk_applicationautoscaling::operation::describe_scalable_targets::DescribeScalableTargetsOutput;
    use aws_sdk_applicationautoscaling::operation::describe_scaling_policies::DescribeScalingPoliciesOutput;
    use aws_sdk_applicationautoscaling::operation::put_scaling_policy::PutScalingPolicyOutput;
    use aws_sdk_applicationautoscaling::operation::register_scalable_target::RegisterScalableTargetOutput;
    use aws_sdk_applicationautoscaling::Client;
    use aws_smithy_mocks::{mock, Rule};

    use super::*;
    use crate::aws::config::AwsContext;
    use crate::aws::msk::tests::ARN;
    use crate::aws::testing;

    const CLUSTER: &str = "mosia-test-kafka";

    fn targets(max: Option<i32>) -> Rule {
        mock!(Client::describe_scalable_targets)
            .match_requests(|r| r.resource_ids() == [ARN.to_string()])
            .then_output(move || {
                let listed = max.map(|m| {
                    ScalableTarget::builder()
                        .service_namespace(ServiceNamespace::Kafka)
                        .resource_id(ARN)
                        .scalable_dimension(ScalableDimension::KafkaBrokerStorageVolumeSize)
                        .min_capacity(1)
                        .max_capacity(m)
                        .role_arn("arn:aws:iam::1:role/aws-service-role/x")
                        .creation_time(aws_smithy_types::DateTime::from_secs(0))
                        .build()
                        .unwrap()
                });
                DescribeScalableTargetsOutput::builder()
                    .set_scalable_targets(Some(listed.into_iter().collect()))
                    .build()
            })
    }

    fn no_policies() -> Rule {
        mock!(Client::describe_scaling_policies)
            .then_output(|| DescribeScalingPoliciesOutput::builder().build())
    }

    fn register(max: i32) -> Rule {
        mock!(Client::register_scalable_target)
            .match_requests(move |r| {
                r.resource_id() == Some(ARN)
                    && r.max_capacity() == Some(max)
                    && r.min_capacity() == Some(1)
                    && r.scalable_dimension()
                        == Some(&ScalableDimension::KafkaBrokerStorageVolumeSize)
            })
            .then_output(|| RegisterScalableTargetOutput::builder().build())
    }

    fn put_policy() -> Rule {
        mock!(Client::put_scaling_policy)
            .match_requests(|r| {
                let c = r.target_tracking_scaling_policy_configuration();
                r.policy_name() == Some("mosia-test-kafka-storage")
                    && r.policy_type() == Some(&PolicyType::TargetTrackingScaling)
                    && c.is_some_and(|c| {
                        c.target_value() == 60.0
                            && c.disable_scale_in() == Some(true)
                            && c.predefined_metric_specification().is_some_and(|m| {
                                m.predefined_metric_type()
                                    == &MetricType::KafkaBrokerStorageUtilization
                            })
                    })
            })
            .then_output(|| {
                PutScalingPolicyOutput::builder()
                    .policy_arn("arn:p")
                    .build()
                    .unwrap()
            })
    }

    fn deregister() -> Rule {
        mock!(Client::deregister_scalable_target)
            .match_requests(|r| r.resource_id() == Some(ARN))
            .then_output(|| DeregisterScalableTargetOutput::builder().build())
    }

    fn env_with(rules: &[&Rule]) -> PartEnv {
        let client =
            crate::mock_client!(aws_sdk_applicationautoscaling, rules: rules.iter().copied());
        testing::env(AwsContext::offline().with_application_autoscaling(client))
    }

    #[tokio::test]
    async fn turning_it_on_registers_the_target_then_the_target_tracking_policy() {
        let (found, reg, none, put) = (targets(None), register(1000), no_policies(), put_policy());
        let env = env_with(&[&found, &reg, &none, &put]);
        ensure(&env, CLUSTER, ARN, Some(1000)).await.unwrap();
        assert_eq!((reg.num_calls(), put.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_new_maximum_registers_again_and_an_equal_one_sends_nothing() {
        let (found, reg, none, put) = (
            targets(Some(500)),
            register(1000),
            no_policies(),
            put_policy(),
        );
        let env = env_with(&[&found, &reg, &none, &put]);
        ensure(&env, CLUSTER, ARN, Some(1000)).await.unwrap();
        assert_eq!(reg.num_calls(), 1);

        let same = targets(Some(1000));
        let written = mock!(Client::describe_scaling_policies).then_output(|| {
            let config = TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(60.0)
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::KafkaBrokerStorageUtilization)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap();
            let p = ScalingPolicy::builder()
                .policy_arn("arn:p")
                .policy_name("mosia-test-kafka-storage")
                .service_namespace(ServiceNamespace::Kafka)
                .resource_id(ARN)
                .scalable_dimension(ScalableDimension::KafkaBrokerStorageVolumeSize)
                .policy_type(PolicyType::TargetTrackingScaling)
                .target_tracking_scaling_policy_configuration(config)
                .creation_time(aws_smithy_types::DateTime::from_secs(0))
                .build()
                .unwrap();
            DescribeScalingPoliciesOutput::builder()
                .scaling_policies(p)
                .build()
        });
        let (reg, put) = (register(1000), put_policy());
        let env = env_with(&[&same, &written, &reg, &put]);
        ensure(&env, CLUSTER, ARN, Some(1000)).await.unwrap();
        assert_eq!((reg.num_calls(), put.num_calls()), (0, 0));
    }

    #[tokio::test]
    async fn turning_it_off_deregisters_and_off_stays_off_without_calls() {
        let (found, off) = (targets(Some(1000)), deregister());
        let env = env_with(&[&found, &off]);
        ensure(&env, CLUSTER, ARN, None).await.unwrap();
        assert_eq!(off.num_calls(), 1);

        let (found, off) = (targets(None), deregister());
        let env = env_with(&[&found, &off]);
        ensure(&env, CLUSTER, ARN, None).await.unwrap();
        delete(&env, CLUSTER, ARN).await.unwrap();
        assert_eq!(off.num_calls(), 0);
    }

    #[tokio::test]
    async fn the_maximum_is_read_from_the_target() {
        let found = targets(Some(750));
        let env = env_with(&[&found]);
        assert_eq!(read_max_gb(&env, ARN).await.unwrap(), Some(750));
        let found = targets(None);
        let env = env_with(&[&found]);
        assert_eq!(read_max_gb(&env, ARN).await.unwrap(), None);
    }
}
