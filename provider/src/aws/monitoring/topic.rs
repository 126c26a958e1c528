//! The environment's alert topic ([`PartId::AlertTopic`]): the SNS topic `NAME-alerts`,
//! encrypted with the environment's KMS key when it has one, whose access policy lets
//! CloudWatch alarms publish to it (for this account only), and its email subscriptions.
//!
//! - [`find_topic`] is one GetTopicAttributes on the topic's ARN, built from the account
//!   (SNS names are unique per account and Region).
//! - [`ensure_topic`] creates it with its key, policy and tags in one CreateTopic, or adopts
//!   it when its tags say it is this environment's (refuses it otherwise), then converges
//!   the key, the policy and the email subscriptions: a missing address is subscribed (SNS
//!   emails it a confirmation link; until it is followed the subscription is
//!   `PendingConfirmation`), a confirmed subscription no longer listed is removed. A pending
//!   one cannot be removed (SNS has no ARN for it yet): it lapses unless confirmed.
//! - The topic is encrypted only with a customer-managed key: SNS's AWS-managed key
//!   (`alias/aws/sns`) does not let CloudWatch publish (its key policy cannot be changed).
//!   The environment's key policy admits CloudWatch (`kms/policy.rs`).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_sns::operation::get_topic_attributes::GetTopicAttributesError;
use aws_sdk_sns::types::Tag;

use super::{SNS, STS};
use crate::aws::errors;
use crate::aws::part::{not_ours, PartEnv, PartId};
use crate::aws::tags;
use crate::engine::PartError;

/// The SNS attribute of the topic's KMS key.
const KMS_ATTRIBUTE: &str = "KmsMasterKeyId";
const POLICY_ATTRIBUTE: &str = "Policy";
/// The CloudWatch service principal that publishes alarm state changes.
pub const CLOUDWATCH_PRINCIPAL: &str = "cloudwatch.amazonaws.com";
/// The AWS Budgets service principal that publishes budget notifications.
pub const BUDGETS_PRINCIPAL: &str = "budgets.amazonaws.com";

/// What the topic converges to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TopicSpec {
    /// The KMS key ARN the topic is encrypted with; None: not encrypted.
    pub kms_key_arn: Option<String>,
    pub alert_emails: Vec<String>,
}

/// The topic as it is in SNS.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TopicState {
    pub arn: String,
    pub kms_key_arn: Option<String>,
    /// Subscribed email addresses: `confirmed` or `pending confirmation`.
    pub subscriptions: BTreeMap<String, String>,
}

fn part() -> String {
    PartId::AlertTopic.to_string()
}

/// `NAME-alerts`.
pub fn topic_name(env: &PartEnv) -> String {
    env.aws_name("alerts")
}

/// The topic's ARN in this account and Region.
pub async fn topic_arn(env: &PartEnv) -> Result<String, PartError> {
    let account = env
        .aws
        .account_id()
        .await
        .map_err(|e| STS.error(part(), "reading the account", "GetCallerIdentity", &e))?;
    Ok(format!(
        "arn:{}:sns:{}:{account}:{}",
        env.aws.partition(),
        env.aws.region(),
        topic_name(env)
    ))
}

/// The access policy: CloudWatch may publish this account's alarms, AWS Budgets this
/// account's budget notifications (AWS Cost Management User Guide, "Creating an Amazon SNS
/// topic for budget notifications").
pub fn topic_policy(topic_arn: &str) -> String {
    let mut parts = topic_arn.split(':');
    let partition = parts.nth(1).unwrap_or("aws");
    let account = parts.nth(2).unwrap_or_default();
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AlarmsPublish",
                "Effect": "Allow",
                "Principal": { "Service": CLOUDWATCH_PRINCIPAL },
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": { "StringEquals": { "aws:SourceAccount": account } },
            },
            {
                "Sid": "BudgetsPublish",
                "Effect": "Allow",
                "Principal": { "Service": BUDGETS_PRINCIPAL },
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": { "aws:SourceAccount": account },
                    "ArnLike": { "aws:SourceArn": format!("arn:{partition}:budgets::{account}:*") },
                },
            },
        ],
    })
    .to_string()
}

/// The topic's attributes; None when it does not exist.
pub async fn find_topic(
    env: &PartEnv,
    arn: &str,
) -> Result<Option<HashMap<String, String>>, PartError> {
    let out = errors::found(
        env.aws
            .sns()
            .get_topic_attributes()
            .topic_arn(arn)
            .send()
            .await,
        GetTopicAttributesError::is_not_found_exception,
    )
    .map_err(|e| {
        SNS.error(
            part(),
            format!("reading topic `{arn}`"),
            "GetTopicAttributes",
            &e,
        )
    })?;
    Ok(out.map(|o| o.attributes.unwrap_or_default()))
}

async fn topic_tags(env: &PartEnv, arn: &str) -> Result<BTreeMap<String, String>, PartError> {
    let out = env
        .aws
        .sns()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| {
            SNS.error(
                part(),
                "reading the topic's tags",
                "ListTagsForResource",
                &e,
            )
        })?;
    Ok(tags::from_pairs(
        out.tags().iter().map(|t| (Some(t.key()), Some(t.value()))),
    ))
}

fn sns_tags(all: &BTreeMap<String, String>) -> Vec<Tag> {
    all.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// Whether two policy documents say the same (JSON equality, not text).
fn same_policy(a: Option<&String>, b: &str) -> bool {
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
    a.and_then(|a| parse(a)) == parse(b)
}

/// Creates, adopts and converges the topic and its subscriptions.
pub async fn ensure_topic(env: &PartEnv, spec: &TopicSpec) -> Result<TopicState, PartError> {
    let arn = topic_arn(env).await?;
    let policy = topic_policy(&arn);
    let attributes = match find_topic(env, &arn).await? {
        Some(attributes) => {
            adopt_topic(env, &arn).await?;
            attributes
        }
        None => {
            create_topic(env, spec, &policy).await?;
            HashMap::from([(POLICY_ATTRIBUTE.to_string(), policy.clone())])
        }
    };
    let key = spec.kms_key_arn.clone().unwrap_or_default();
    if attributes.get(KMS_ATTRIBUTE).cloned().unwrap_or_default() != key {
        set_attribute(env, &arn, KMS_ATTRIBUTE, &key).await?;
    }
    if !same_policy(attributes.get(POLICY_ATTRIBUTE), &policy) {
        set_attribute(env, &arn, POLICY_ATTRIBUTE, &policy).await?;
    }
    let subscriptions = super::subscriptions::ensure(env, &arn, &spec.alert_emails).await?;
    Ok(TopicState {
        arn,
        kms_key_arn: spec.kms_key_arn.clone(),
        subscriptions,
    })
}

/// Refuses a topic of someone else's; brings the tags of ours up to date.
async fn adopt_topic(env: &PartEnv, arn: &str) -> Result<(), PartError> {
    let have = topic_tags(env, arn).await?;
    if !env.owns(PartId::AlertTopic.tag(), &have) {
        return Err(not_ours(
            env,
            &PartId::AlertTopic,
            "SNS topic",
            &topic_name(env),
            &have,
        ));
    }
    let want = env.tags_for(PartId::AlertTopic.tag());
    let (set, remove) = tags::diff(&have, &want, &env.previous_tag_keys);
    if !set.is_empty() {
        env.aws
            .sns()
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(sns_tags(&set)))
            .send()
            .await
            .map_err(|e| SNS.error(part(), "tagging the topic", "TagResource", &e))?;
    }
    if !remove.is_empty() {
        env.aws
            .sns()
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| SNS.error(part(), "untagging the topic", "UntagResource", &e))?;
    }
    Ok(())
}

async fn create_topic(env: &PartEnv, spec: &TopicSpec, policy: &str) -> Result<(), PartError> {
    let mut attributes = HashMap::from([(POLICY_ATTRIBUTE.to_string(), policy.to_string())]);
    if let Some(key) = &spec.kms_key_arn {
        attributes.insert(KMS_ATTRIBUTE.into(), key.clone());
    }
    env.aws
        .sns()
        .create_topic()
        .name(topic_name(env))
        .set_attributes(Some(attributes))
        .set_tags(Some(sns_tags(&env.tags_for(PartId::AlertTopic.tag()))))
        .send()
        .await
        .map_err(|e| SNS.error(part(), "creating the alert topic", "CreateTopic", &e))?;
    Ok(())
}

async fn set_attribute(env: &PartEnv, arn: &str, name: &str, value: &str) -> Result<(), PartError> {
    env.aws
        .sns()
        .set_topic_attributes()
        .topic_arn(arn)
        .attribute_name(name)
        .attribute_value(value)
        .send()
        .await
        .map_err(|e| {
            SNS.error(
                part(),
                format!("setting the topic's {name}"),
                "SetTopicAttributes",
                &e,
            )
        })?;
    Ok(())
}

/// The topic's ARN when it exists (drift); None when it is gone.
pub async fn read_topic(env: &PartEnv) -> Result<Option<String>, PartError> {
    let arn = topic_arn(env).await?;
    Ok(find_topic(env, &arn).await?.map(|_| arn))
}

/// Deletes the topic (and with it its subscriptions) when it is ours.
pub async fn delete_topic(env: &PartEnv) -> Result<(), PartError> {
    let arn = topic_arn(env).await?;
    if find_topic(env, &arn).await?.is_none() {
        return Ok(());
    }
    if !env.owns(PartId::AlertTopic.tag(), &topic_tags(env, &arn).await?) {
        return Ok(());
    }
    env.aws
        .sns()
        .delete_topic()
        .topic_arn(&arn)
        .send()
        .await
        .map_err(|e| SNS.error(part(), "deleting the alert topic", "DeleteTopic", &e))?;
    Ok(())
}
