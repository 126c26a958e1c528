//! The node groups' Auto Scaling group metrics, which the node group alarms read: Auto
//! Scaling publishes `GroupInServiceInstances` only for groups whose metrics collection is
//! on, and EKS leaves it off on the groups of managed node groups. Group metrics at 1-minute
//! granularity cost nothing.

use aws_sdk_autoscaling::types::AutoScalingGroup;

use crate::aws::errors::Service;
use crate::aws::part::{PartEnv, PartId};
use crate::engine::PartError;

/// Auto Scaling as the alarms part sees its errors.
pub(crate) const AUTO_SCALING: Service = Service {
    label: "Auto Scaling",
    transient_codes: &["Throttling", "ResourceContention"],
};

const PART: PartId = PartId::Alarms;
/// The group metrics Mosia turns on (the alarm reads the first).
pub const GROUP_METRICS: [&str; 3] = [
    "GroupInServiceInstances",
    "GroupDesiredCapacity",
    "GroupMinSize",
];
/// The one granularity Auto Scaling offers.
const GRANULARITY: &str = "1Minute";

/// Whether the group already collects every metric of [`GROUP_METRICS`].
fn collects_all(g: &AutoScalingGroup) -> bool {
    GROUP_METRICS.iter().all(|m| {
        g.enabled_metrics()
            .iter()
            .any(|e| e.metric() == Some(*m) && e.granularity() == Some(GRANULARITY))
    })
}

/// Turns on [`GROUP_METRICS`] on each of `groups` that does not collect them yet.
pub async fn enable_group_metrics(env: &PartEnv, groups: &[String]) -> Result<(), PartError> {
    if groups.is_empty() {
        return Ok(());
    }
    let autoscaling = env.aws.autoscaling();
    let out = autoscaling
        .describe_auto_scaling_groups()
        .set_auto_scaling_group_names(Some(groups.to_vec()))
        .send()
        .await
        .map_err(|e| {
            AUTO_SCALING.error(
                &PART,
                "reading the node groups' Auto Scaling groups",
                "DescribeAutoScalingGroups",
                &e,
            )
        })?;
    for g in out
        .auto_scaling_groups()
        .iter()
        .filter(|g| !collects_all(g))
    {
        let name = g.auto_scaling_group_name().unwrap_or_default();
        tracing::info!(part = %PART, group = %name, "enabling Auto Scaling group metrics");
        autoscaling
            .enable_metrics_collection()
            .auto_scaling_group_name(name)
            .granularity(GRANULARITY)
            .set_metrics(Some(GROUP_METRICS.map(str::to_string).to_vec()))
            .send()
            .await
            .map_err(|e| {
                AUTO_SCALING.error(
                    &PART,
                    format!("enabling the metrics of Auto Scaling group `{name}`"),
                    "EnableMetricsCollection",
                    &e,
                )
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use aws_sdk_autoscaling::operation::describe_auto_scaling_groups::DescribeAutoScalingGroupsOutput;
    use aws_sdk_autoscaling::operation::enable_metrics_collection::EnableMetricsCollectionOutput;
    use aws_sdk_autoscaling::types::EnabledMetric;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::{testing, AwsContext};

    fn group(name: &str, metrics: &[&str]) -> AutoScalingGroup {
        AutoScalingGroup::builder()
            .auto_scaling_group_name(name)
            .set_enabled_metrics(Some(
                metrics
                    .iter()
                    .map(|m| {
                        EnabledMetric::builder()
                            .metric(*m)
                            .granularity(GRANULARITY)
                            .build()
                    })
                    .collect(),
            ))
            .build()
    }

    #[tokio::test]
    async fn only_groups_without_the_metrics_get_them() {
        let describe = mock!(aws_sdk_autoscaling::Client::describe_auto_scaling_groups)
            .then_output(|| {
                DescribeAutoScalingGroupsOutput::builder()
                    .auto_scaling_groups(group("eks-general-1", &[]))
                    .auto_scaling_groups(group("eks-batch-2", &GROUP_METRICS))
                    .build()
            });
        let enable = mock!(aws_sdk_autoscaling::Client::enable_metrics_collection)
            .match_requests(|r| {
                r.auto_scaling_group_name() == Some("eks-general-1")
                    && r.granularity() == Some("1Minute")
                    && r.metrics().contains(&"GroupInServiceInstances".to_string())
            })
            .then_output(|| EnableMetricsCollectionOutput::builder().build());
        let client = crate::mock_client!(aws_sdk_autoscaling, [&describe, &enable]);
        let env = testing::env(AwsContext::offline().with_autoscaling(client));

        let groups = ["eks-general-1".to_string(), "eks-batch-2".to_string()];
        enable_group_metrics(&env, &groups).await.unwrap();

        assert_eq!(
            enable.num_calls(),
            1,
            "the batch group collects them already"
        );
    }
}
