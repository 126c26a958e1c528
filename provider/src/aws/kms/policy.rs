//! The key policy of the environment's key: the account administers the key through IAM
//! (the statement KMS gives a key created without a policy, which RDS, ElastiCache, MSK,
//! Secrets Manager and EKS rely on: they use the key with the caller's permissions), and
//! CloudWatch Logs may use it for the log groups Mosia creates for this environment, named
//! in the `kms:EncryptionContext:aws:logs:arn` condition (CloudWatch Logs User Guide,
//! "Encrypt log data in CloudWatch Logs using AWS KMS", step 2), and CloudWatch and AWS
//! Budgets may encrypt what they publish to the environment's alert topic.
//!
//! `Resource: "*"` in a key policy is the key itself (KMS Developer Guide, "Key policies"):
//! it is the only form KMS accepts there, not a grant on every resource.

use aws_sdk_kms::operation::get_key_policy::GetKeyPolicyError;
use serde_json::{json, Value as Json};

use super::{part, SERVICE};
use crate::aws::errors;
use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// The log groups Mosia creates for the environment (each is encrypted with the key).
pub fn log_group_names(env: &PartEnv) -> Vec<String> {
    let mut names = vec![crate::aws::eks::log_group_name(&env.aws_name("eks"))];
    names.extend(crate::aws::rds::observability::log_group_names(env));
    names.push(crate::aws::network::flow_logs::log_group_name(env));
    names.push(crate::aws::msk::monitoring::log_group_name(env));
    names.extend(crate::aws::elasticache::log_delivery::log_group_names(env));
    names
}

/// `arn:PARTITION:kms:REGION:ACCOUNT:key/ID` → (partition, region, account).
fn arn_parts(key_arn: &str) -> Option<(&str, &str, &str)> {
    let mut it = key_arn.split(':');
    let (_, partition, _, region, account) =
        (it.next()?, it.next()?, it.next()?, it.next()?, it.next()?);
    (!account.is_empty()).then_some((partition, region, account))
}

/// The policy the key should have; None when its ARN cannot be read (then the policy is
/// left as it is).
pub(super) fn key_policy(env: &PartEnv, key_arn: &str) -> Option<Json> {
    let (partition, region, account) = arn_parts(key_arn)?;
    let groups: Vec<String> = log_group_names(env)
        .iter()
        .map(|g| format!("arn:{partition}:logs:{region}:{account}:log-group:{g}"))
        .collect();
    Some(json!({
        "Version": "2012-10-17",
        "Id": format!("mosia-{}", env.name),
        "Statement": [
            {
                "Sid": "AccountAdministersTheKeyThroughIam",
                "Effect": "Allow",
                "Principal": { "AWS": format!("arn:{partition}:iam::{account}:root") },
                "Action": "kms:*",
                "Resource": "*"
            },
            {
                "Sid": "CloudWatchLogsEncryptsTheEnvironmentsLogGroups",
                "Effect": "Allow",
                "Principal": { "Service": format!("logs.{region}.amazonaws.com") },
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*"
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": { "kms:EncryptionContext:aws:logs:arn": groups }
                }
            },
            {
                // CloudWatch and AWS Budgets publish to the alert topic, which SNS encrypts
                // with this key (Amazon SNS Developer Guide, "Configure KMS
                // permissions for AWS services").
                "Sid": "AlertPublishersUseTheEncryptedAlertTopic",
                "Effect": "Allow",
                "Principal": { "Service": [
                    crate::aws::monitoring::CLOUDWATCH_PRINCIPAL,
                    crate::aws::monitoring::BUDGETS_PRINCIPAL,
                ] },
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*"
            }
        ]
    }))
}

/// Puts the key policy when the key's differs (one GetKeyPolicy; PutKeyPolicy when needed).
pub(super) async fn ensure_key_policy(
    env: &PartEnv,
    key_id: &str,
    key_arn: &str,
    alias: &str,
) -> Result<(), PartError> {
    let Some(want) = key_policy(env, key_arn) else {
        return Ok(());
    };
    let kms = env.aws.kms();
    let have = errors::found(
        kms.get_key_policy()
            .key_id(key_id)
            .policy_name("default")
            .send()
            .await,
        GetKeyPolicyError::is_not_found_exception,
    )
    .map_err(|e| {
        SERVICE.error(
            part(),
            format!("reading the policy of KMS key `{alias}`"),
            "GetKeyPolicy",
            &e,
        )
    })?
    .and_then(|o| o.policy)
    .and_then(|p| serde_json::from_str::<Json>(&p).ok());
    if have.as_ref() == Some(&want) {
        return Ok(());
    }
    tracing::info!(part = %part(), object = %alias, "setting the key policy");
    kms.put_key_policy()
        .key_id(key_id)
        .policy_name("default")
        .policy(want.to_string())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            SERVICE.error(
                part(),
                format!("setting the policy of KMS key `{alias}`"),
                "PutKeyPolicy",
                &e,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::testing;
    use crate::aws::AwsContext;

    #[test]
    fn the_policy_lets_the_account_administer_and_logs_use_only_the_environments_groups() {
        let env = testing::env(AwsContext::offline());
        let p = key_policy(&env, "arn:aws:kms:eu-west-1:123456789012:key/k").unwrap();
        let s = &p["Statement"];
        assert_eq!(s[0]["Principal"]["AWS"], "arn:aws:iam::123456789012:root");
        assert_eq!(s[1]["Principal"]["Service"], "logs.eu-west-1.amazonaws.com");
        assert_eq!(
            s[1]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"],
            json!([
                "/aws/eks/mosia-test-eks/cluster",
                "/aws/rds/instance/mosia-test-db/postgresql",
                "/aws/rds/instance/mosia-test-db/upgrade",
                "/aws/vpc/mosia-test/flow-logs",
                "/aws/msk/mosia-test-kafka/broker",
                "/aws/elasticache/mosia-test-cache/slow-log",
                "/aws/elasticache/mosia-test-cache/engine-log"
            ]
            .iter()
            .map(|g| format!("arn:aws:logs:eu-west-1:123456789012:log-group:{g}"))
            .collect::<Vec<_>>())
        );
        assert!(key_policy(&env, "not-an-arn").is_none());
    }
}
