//! The control plane log group `/aws/eks/NAME/cluster`. EKS creates it by itself, without
//! retention (the logs never expire), when a cluster with enabled log types finds none:
//! [`ensure_log_group`] runs before CreateCluster, so the group exists with the configured
//! retention and Mosia's tags first, and converges the retention on every apply. It is
//! deleted with the cluster's other leftovers ([`super::leftovers`]) once the cluster is gone.

use std::collections::HashMap;

use aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupError;
use aws_sdk_cloudwatchlogs::types::LogGroup;

use super::super::errors::Service;
use super::super::part::{PartEnv, PartId};
use super::PART;
use crate::engine::PartError;

/// CloudWatch Logs as the cluster part sees its errors.
pub(super) const LOGS: Service = Service {
    label: "CloudWatch Logs",
    transient_codes: &[
        "ThrottlingException",
        "ServiceUnavailableException",
        "OperationAbortedException",
    ],
};

/// `/aws/eks/CLUSTER/cluster`, where EKS sends the control plane logs.
pub fn log_group_name(cluster: &str) -> String {
    format!("/aws/eks/{cluster}/cluster")
}

fn part() -> String {
    PartId::EksCluster.to_string()
}

/// The log group `group` (DescribeLogGroups by prefix, the exact name kept); None when absent.
pub(super) async fn find_log_group(
    env: &PartEnv,
    group: &str,
) -> Result<Option<LogGroup>, PartError> {
    let mut token = None;
    loop {
        let out = env
            .aws
            .logs()
            .describe_log_groups()
            .log_group_name_prefix(group)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                LOGS.error(
                    part(),
                    format!("reading log group `{group}`"),
                    "DescribeLogGroups",
                    &e,
                )
            })?;
        if let Some(g) = out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(group))
        {
            return Ok(Some(g.clone()));
        }
        match out.next_token() {
            Some(t) => token = Some(t.to_string()),
            None => return Ok(None),
        }
    }
}

/// The ARN the tagging calls take: without the `:*` DescribeLogGroups' `arn` ends with.
fn tagging_arn(g: &LogGroup) -> Option<String> {
    g.log_group_arn()
        .map(str::to_string)
        .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
}

/// The retention of cluster `cluster`'s log group: `Some(None)` when it never expires,
/// None when there is no such group.
pub async fn read_log_retention(
    env: &PartEnv,
    cluster: &str,
) -> Result<Option<Option<u32>>, PartError> {
    let group = log_group_name(cluster);
    Ok(find_log_group(env, &group)
        .await?
        .map(|g| g.retention_in_days().map(|d| d.max(0) as u32)))
}

/// Creates the log group when missing (with Mosia's tags and `kms_key`), adds Mosia's tags
/// to one that lacks them (EKS created it), encrypts it with `kms_key` (None: CloudWatch
/// Logs' own encryption) and sets its retention to `retention_days`. Returns the retention
/// it has then.
pub(super) async fn ensure_log_group(
    env: &PartEnv,
    cluster: &str,
    retention_days: u32,
    kms_key: Option<&str>,
) -> Result<u32, PartError> {
    let group = log_group_name(cluster);
    let want_tags = env.tags_for(PART);
    let existing = match find_log_group(env, &group).await? {
        Some(g) => Some(g),
        None => {
            create_log_group(env, &group, &want_tags, kms_key).await?;
            None
        }
    };
    if let Some(g) = &existing {
        tag_log_group(env, &group, g, &want_tags).await?;
        ensure_log_group_key(env, &group, g.kms_key_id(), kms_key).await?;
    }
    let have = existing.as_ref().and_then(LogGroup::retention_in_days);
    if have != Some(retention_days as i32) {
        tracing::info!(part = %part(), object = %group, from = ?have, to = retention_days, "setting the log group's retention");
        env.aws
            .logs()
            .put_retention_policy()
            .log_group_name(&group)
            .retention_in_days(retention_days as i32)
            .send()
            .await
            .map_err(|e| {
                LOGS.error(
                    part(),
                    format!("setting the retention of log group `{group}`"),
                    "PutRetentionPolicy",
                    &e,
                )
            })?;
    }
    Ok(retention_days)
}

/// Encrypts the group's new log data with `want` (AssociateKmsKey), or with CloudWatch
/// Logs' own encryption again (DisassociateKmsKey) when the environment has no key.
async fn ensure_log_group_key(
    env: &PartEnv,
    group: &str,
    have: Option<&str>,
    want: Option<&str>,
) -> Result<(), PartError> {
    let logs = env.aws.logs();
    let summary = format!("setting the KMS key of log group `{group}`");
    match (have, want) {
        (Some(h), Some(w)) if crate::aws::kms::same_key(h, w) => Ok(()),
        (None, None) => Ok(()),
        (_, Some(w)) => {
            tracing::info!(part = %part(), object = %group, key = %w, "encrypting the log group with the environment's key");
            logs.associate_kms_key()
                .log_group_name(group)
                .kms_key_id(w)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| LOGS.error(part(), summary, "AssociateKmsKey", &e))
        }
        (Some(_), None) => {
            tracing::info!(part = %part(), object = %group, "back to CloudWatch Logs' own encryption");
            logs.disassociate_kms_key()
                .log_group_name(group)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| LOGS.error(part(), summary, "DisassociateKmsKey", &e))
        }
    }
}

async fn create_log_group(
    env: &PartEnv,
    group: &str,
    tags: &std::collections::BTreeMap<String, String>,
    kms_key: Option<&str>,
) -> Result<(), PartError> {
    tracing::info!(part = %part(), object = %group, "creating the control plane log group");
    match env
        .aws
        .logs()
        .create_log_group()
        .log_group_name(group)
        .set_kms_key_id(kms_key.map(str::to_string))
        .set_tags(Some(tags.clone().into_iter().collect::<HashMap<_, _>>()))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        // Created meanwhile (EKS, or an earlier run that stopped before the retention).
        Err(e)
            if e.as_service_error()
                .is_some_and(CreateLogGroupError::is_resource_already_exists_exception) =>
        {
            Ok(())
        }
        Err(e) => Err(LOGS.error(
            part(),
            format!("creating log group `{group}`"),
            "CreateLogGroup",
            &e,
        )),
    }
}

/// Adds the tags of `want` the group lacks; tags others put on it stay.
async fn tag_log_group(
    env: &PartEnv,
    group: &str,
    g: &LogGroup,
    want: &std::collections::BTreeMap<String, String>,
) -> Result<(), PartError> {
    let Some(arn) = tagging_arn(g) else {
        return Ok(());
    };
    let logs = env.aws.logs();
    let have = logs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .map_err(|e| {
            LOGS.error(
                part(),
                format!("reading the tags of log group `{group}`"),
                "ListTagsForResource",
                &e,
            )
        })?
        .tags
        .unwrap_or_default();
    let missing: HashMap<String, String> = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    tracing::info!(part = %part(), object = %group, keys = ?missing.keys().collect::<Vec<_>>(), "tagging the log group");
    logs.tag_resource()
        .resource_arn(&arn)
        .set_tags(Some(missing))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            LOGS.error(
                part(),
                format!("tagging log group `{group}`"),
                "TagResource",
                &e,
            )
        })
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

    use super::*;
    use crate::aws::{testing, AwsContext};

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
