//! The email subscriptions of the environment's alert topic.

use std::collections::BTreeMap;

use super::SNS;
use crate::aws::part::{PartEnv, PartId};
use crate::engine::PartError;

const EMAIL: &str = "email";
/// What SNS shows instead of an ARN until the address owner confirms.
const PENDING: &str = "PendingConfirmation";

/// A subscription of the topic: its endpoint and its ARN (`PendingConfirmation` until
/// confirmed).
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub endpoint: String,
    pub arn: String,
}

fn part() -> String {
    PartId::AlertTopic.to_string()
}

/// The topic's email subscriptions (every page).
pub async fn list(env: &PartEnv, topic_arn: &str) -> Result<Vec<Subscription>, PartError> {
    let mut out = Vec::new();
    let mut next = None;
    loop {
        let page = env
            .aws
            .sns()
            .list_subscriptions_by_topic()
            .topic_arn(topic_arn)
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| {
                SNS.error(
                    part(),
                    "listing the topic's subscriptions",
                    "ListSubscriptionsByTopic",
                    &e,
                )
            })?;
        out.extend(
            page.subscriptions()
                .iter()
                .filter(|s| s.protocol() == Some(EMAIL))
                .map(|s| Subscription {
                    endpoint: s.endpoint().unwrap_or_default().to_string(),
                    arn: s.subscription_arn().unwrap_or_default().to_string(),
                }),
        );
        match page.next_token {
            Some(t) if !t.is_empty() => next = Some(t),
            _ => return Ok(out),
        }
    }
}

/// What to do so the topic's email subscriptions are `want`: addresses to subscribe, and
/// confirmed subscriptions (ARNs) to remove. Pending ones cannot be removed.
pub fn plan(have: &[Subscription], want: &[String]) -> (Vec<String>, Vec<String>) {
    let subscribe = want
        .iter()
        .filter(|w| !have.iter().any(|h| h.endpoint.eq_ignore_ascii_case(w)))
        .cloned()
        .collect();
    let remove = have
        .iter()
        .filter(|h| h.arn != PENDING && !want.iter().any(|w| h.endpoint.eq_ignore_ascii_case(w)))
        .map(|h| h.arn.clone())
        .collect();
    (subscribe, remove)
}

/// Status of a subscription as the state shows it.
pub fn status(s: &Subscription) -> &'static str {
    if s.arn == PENDING {
        "pending confirmation"
    } else {
        "confirmed"
    }
}

/// Subscribes the missing addresses, removes the confirmed ones no longer wanted; returns
/// every wanted address with its status.
pub async fn ensure(
    env: &PartEnv,
    topic_arn: &str,
    want: &[String],
) -> Result<BTreeMap<String, String>, PartError> {
    let have = list(env, topic_arn).await?;
    let (subscribe, remove) = plan(&have, want);
    for address in &subscribe {
        env.aws
            .sns()
            .subscribe()
            .topic_arn(topic_arn)
            .protocol(EMAIL)
            .endpoint(address)
            .send()
            .await
            .map_err(|e| SNS.error(part(), format!("subscribing `{address}`"), "Subscribe", &e))?;
    }
    for arn in &remove {
        env.aws
            .sns()
            .unsubscribe()
            .subscription_arn(arn)
            .send()
            .await
            .map_err(|e| SNS.error(part(), "removing a subscription", "Unsubscribe", &e))?;
    }
    Ok(want
        .iter()
        .map(|w| {
            let found = have.iter().find(|h| h.endpoint.eq_ignore_ascii_case(w));
            let status = found.map_or("pending confirmation", status);
            (w.clone(), status.to_string())
        })
        .collect())
}
