//! The budget's notifications and their subscribers, converged to the spec: Budgets names a
//! notification by its type, operator and threshold, so one that is missing is created, one
//! no longer wanted is deleted, and one whose subscribers differ is deleted and created again.

use std::collections::BTreeSet;

use super::budget::{budget_name, notification, notifications, subscribers, BudgetSpec};
use super::BUDGETS;
use crate::aws::part::{PartEnv, PartId};
use crate::engine::PartError;

fn part() -> String {
    PartId::Budget.to_string()
}

/// (type, threshold) of each notification the budget has, with its subscribers as
/// (type, address).
async fn existing(
    env: &PartEnv,
    account: &str,
) -> Result<Vec<((String, u64), BTreeSet<(String, String)>)>, PartError> {
    let out = env
        .aws
        .budgets()
        .describe_notifications_for_budget()
        .account_id(account)
        .budget_name(budget_name(env))
        .send()
        .await
        .map_err(|e| {
            BUDGETS.error(
                part(),
                "reading the budget's notifications",
                "DescribeNotificationsForBudget",
                &e,
            )
        })?;
    let mut found = Vec::new();
    for n in out.notifications() {
        let subs = env
            .aws
            .budgets()
            .describe_subscribers_for_notification()
            .account_id(account)
            .budget_name(budget_name(env))
            .notification(n.clone())
            .send()
            .await
            .map_err(|e| {
                BUDGETS.error(
                    part(),
                    "reading a notification's subscribers",
                    "DescribeSubscribersForNotification",
                    &e,
                )
            })?;
        let subs = subs
            .subscribers()
            .iter()
            .map(|s| {
                (
                    s.subscription_type().as_str().to_string(),
                    s.address().to_string(),
                )
            })
            .collect();
        found.push((
            (
                n.notification_type().as_str().to_string(),
                n.threshold() as u64,
            ),
            subs,
        ));
    }
    Ok(found)
}

/// Brings the budget's notifications to the spec's.
pub(super) async fn converge(
    env: &PartEnv,
    account: &str,
    spec: &BudgetSpec,
    topic: &str,
) -> Result<(), PartError> {
    let want_subs: BTreeSet<(String, String)> = subscribers(topic, &spec.alert_emails)
        .iter()
        .map(|s| {
            (
                s.subscription_type().as_str().to_string(),
                s.address().to_string(),
            )
        })
        .collect();
    let want = notifications(spec);
    let have = existing(env, account).await?;
    for (key, subs) in &have {
        if !want.contains(key) || subs != &want_subs {
            delete(env, account, key).await?;
        }
    }
    for key in &want {
        if !have.iter().any(|(k, s)| k == key && s == &want_subs) {
            create(env, account, key, spec, topic).await?;
        }
    }
    Ok(())
}

async fn delete(
    env: &PartEnv,
    account: &str,
    (kind, threshold): &(String, u64),
) -> Result<(), PartError> {
    env.aws
        .budgets()
        .delete_notification()
        .account_id(account)
        .budget_name(budget_name(env))
        .notification(notification(kind, *threshold))
        .send()
        .await
        .map_err(|e| {
            BUDGETS.error(
                part(),
                "deleting a budget notification",
                "DeleteNotification",
                &e,
            )
        })?;
    Ok(())
}

async fn create(
    env: &PartEnv,
    account: &str,
    (kind, threshold): &(String, u64),
    spec: &BudgetSpec,
    topic: &str,
) -> Result<(), PartError> {
    env.aws
        .budgets()
        .create_notification()
        .account_id(account)
        .budget_name(budget_name(env))
        .notification(notification(kind, *threshold))
        .set_subscribers(Some(subscribers(topic, &spec.alert_emails)))
        .send()
        .await
        .map_err(|e| {
            BUDGETS.error(
                part(),
                "creating a budget notification",
                "CreateNotification",
                &e,
            )
        })?;
    Ok(())
}
