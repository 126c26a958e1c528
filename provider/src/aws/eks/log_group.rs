//! The control plane log group `/aws/eks/NAME/cluster`. EKS creates it by itself, without
//! retention (the logs never expire), when a cluster with enabled log types finds none:
//! [`ensure_log_group`] runs before CreateCluster, so the group exists with the configured
//! retention and Mosia's tags first, and converges the retention on every apply. It is
//! deleted with the cluster's other leftovers ([`super::leftovers`]) once the cluster is gone.

use super::super::log_groups;
use super::super::part::{PartEnv, PartId};
use crate::engine::PartError;

/// `/aws/eks/CLUSTER/cluster`, where EKS sends the control plane logs.
pub fn log_group_name(cluster: &str) -> String {
    format!("/aws/eks/{cluster}/cluster")
}

/// The retention of cluster `cluster`'s log group: `Some(None)` when it never expires,
/// None when there is no such group.
pub async fn read_log_retention(
    env: &PartEnv,
    cluster: &str,
) -> Result<Option<Option<u32>>, PartError> {
    log_groups::read_log_retention(env, &PartId::EksCluster, &log_group_name(cluster)).await
}

/// The cluster's log group with `retention_days` and `kms_key` (see
/// [`log_groups::ensure_log_group`]).
pub(super) async fn ensure_log_group(
    env: &PartEnv,
    cluster: &str,
    retention_days: u32,
    kms_key: Option<&str>,
) -> Result<u32, PartError> {
    let group = log_group_name(cluster);
    log_groups::ensure_log_group(env, &PartId::EksCluster, &group, retention_days, kms_key).await
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatchlogs::operation::associate_kms_key::AssociateKmsKeyOutput;
    use aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupOutput;
    use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
    use aws_sdk_cloudwatchlogs::operation::list_tags_for_resource::ListTagsForResourceOutput;
    use aws_sdk_cloudwatchlogs::operation::put_retention_policy::PutRetentionPolicyOutput;
    use aws_sdk_cloudwatchlogs::operation::tag_resource::TagResourceOutput;
    use aws_smithy_mocks::{mock, Rule};

    use super::super::PART;
    use super::*;
    use crate::aws::{testing, AwsContext};
    use aws_sdk_cloudwatchlogs::types::LogGroup;

    const GROUP: &str = "/aws/eks/mosia-test-eks/cluster";
    const KEY: &str = "arn:aws:kms:us-east-1:1:key/k";

    fn env(rules: &[&Rule]) -> PartEnv {
        testing::env(AwsContext::offline().with_logs(crate::mock_client!(
            aws_sdk_cloudwatchlogs,
            rules: rules
        )))
    }

    fn describing(retention: Option<i32>) -> Rule {
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups).then_output(move || {
            let g = LogGroup::builder()
                .log_group_name(GROUP)
                .arn(format!("arn:aws:logs:us-east-1:1:log-group:{GROUP}:*"))
                .set_retention_in_days(retention)
                .build();
            DescribeLogGroupsOutput::builder().log_groups(g).build()
        })
    }

    fn retention_set_to(days: i32) -> Rule {
        mock!(aws_sdk_cloudwatchlogs::Client::put_retention_policy)
            .match_requests(move |r| {
                r.log_group_name() == Some(GROUP) && r.retention_in_days() == Some(days)
            })
            .then_output(|| PutRetentionPolicyOutput::builder().build())
    }

    #[tokio::test]
    async fn a_missing_group_is_created_with_mosia_tags_then_given_its_retention() {
        let describe = mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
            .then_output(|| DescribeLogGroupsOutput::builder().build());
        let create = mock!(aws_sdk_cloudwatchlogs::Client::create_log_group)
            .match_requests(|r| {
                let tags = r.tags().cloned().unwrap_or_default();
                r.log_group_name() == Some(GROUP)
                    && r.kms_key_id() == Some(KEY)
                    && tags.get("mosia:environment").map(String::as_str) == Some("mosia-test")
                    && tags.get("team").map(String::as_str) == Some("platform")
            })
            .then_output(|| CreateLogGroupOutput::builder().build());
        let put = retention_set_to(30);
        let env = env(&[&describe, &create, &put]);
        assert_eq!(
            ensure_log_group(&env, "mosia-test-eks", 30, Some(KEY))
                .await
                .unwrap(),
            30
        );
        assert_eq!((create.num_calls(), put.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn an_existing_group_gets_missing_tags_and_the_retention_converges() {
        let describe = describing(None);
        let listed = mock!(aws_sdk_cloudwatchlogs::Client::list_tags_for_resource)
            .match_requests(|r| {
                r.resource_arn()
                    == Some("arn:aws:logs:us-east-1:1:log-group:/aws/eks/mosia-test-eks/cluster")
            })
            .then_output(|| {
                ListTagsForResourceOutput::builder()
                    .tags("owner", "someone")
                    .build()
            });
        let tag = mock!(aws_sdk_cloudwatchlogs::Client::tag_resource)
            .match_requests(|r| {
                let tags = r.tags().cloned().unwrap_or_default();
                tags.contains_key("mosia:environment") && !tags.contains_key("owner")
            })
            .then_output(|| TagResourceOutput::builder().build());
        let put = retention_set_to(90);
        let associate = mock!(aws_sdk_cloudwatchlogs::Client::associate_kms_key)
            .match_requests(|r| r.log_group_name() == Some(GROUP) && r.kms_key_id() == Some(KEY))
            .then_output(|| AssociateKmsKeyOutput::builder().build());
        let env = env(&[&describe, &listed, &tag, &put, &associate]);
        ensure_log_group(&env, "mosia-test-eks", 90, Some(KEY))
            .await
            .unwrap();
        assert_eq!(
            (tag.num_calls(), put.num_calls(), associate.num_calls()),
            (1, 1, 1),
            "an existing group is encrypted with the environment's key"
        );
    }

    #[tokio::test]
    async fn a_group_with_the_retention_and_tags_is_left_alone() {
        let describe = describing(Some(7));
        let ours = testing::env(AwsContext::offline()).tags_for(PART);
        let listed =
            mock!(aws_sdk_cloudwatchlogs::Client::list_tags_for_resource).then_output(move || {
                ListTagsForResourceOutput::builder()
                    .set_tags(Some(ours.clone().into_iter().collect()))
                    .build()
            });
        let put = retention_set_to(7);
        let tag = mock!(aws_sdk_cloudwatchlogs::Client::tag_resource)
            .then_output(|| TagResourceOutput::builder().build());
        let env = env(&[&describe, &listed, &put, &tag]);
        ensure_log_group(&env, "mosia-test-eks", 7, None)
            .await
            .unwrap();
        assert_eq!((put.num_calls(), tag.num_calls()), (0, 0));
        assert_eq!(
            read_log_retention(&env, "mosia-test-eks").await.unwrap(),
            Some(Some(7))
        );
    }
}
