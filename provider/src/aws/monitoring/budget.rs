//! The environment's AWS Budgets cost budget ([`PartId::Budget`]): `NAME-monthly`, a monthly
//! COST budget filtered to the environment's `mosia:environment` tag, with ACTUAL
//! notifications at each `alert_at_percent` and a FORECASTED one at 100 %, each to the alert
//! topic (and the alert emails).
//!
//! - [`find_budget`]: one DescribeBudget (Budgets names are unique per account).
//! - [`ensure_budget`]: create with its notifications and tags, or adopt it when its tags say
//!   it is this environment's (refuse it otherwise); converge the limit and the filter
//!   (UpdateBudget) and the notifications (a notification whose subscribers differ is
//!   deleted and created again: Budgets identifies a notification by its type, operator and
//!   threshold, not by an ID).
//! - Budgets filters by a tag only once it is an active cost allocation tag:
//!   `cost_allocation.rs` activates it through Cost Explorer where the account may.

use std::collections::BTreeSet;

use aws_sdk_budgets::operation::describe_budget::DescribeBudgetError;
use aws_sdk_budgets::types::{
    Budget, BudgetType, ComparisonOperator, Notification, NotificationType,
    NotificationWithSubscribers, ResourceTag, Spend, Subscriber, SubscriptionType, ThresholdType,
    TimeUnit,
};

use super::{BUDGETS, STS};
use crate::aws::errors;
use crate::aws::part::{not_ours, PartEnv, PartId, ENVIRONMENT_TAG};
use crate::aws::tags;
use crate::engine::PartError;

/// What the budget converges to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BudgetSpec {
    /// The monthly limit in USD (whole dollars: Budgets keeps the amount as text).
    pub limit_usd: f64,
    /// ACTUAL spend thresholds, in percent of the limit.
    pub alert_at_percent: Vec<f64>,
    /// A FORECASTED notification at 100 %.
    pub forecast_alert: bool,
    pub alert_emails: Vec<String>,
}

/// The budget as it is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BudgetState {
    pub name: String,
    pub limit_usd: f64,
    /// The `mosia:environment` cost allocation tag: `Active`, `Inactive`, or why it is not
    /// known (`not allowed: ...`).
    pub cost_allocation_tag: String,
}

fn part() -> String {
    PartId::Budget.to_string()
}

/// `NAME-monthly`.
pub fn budget_name(env: &PartEnv) -> String {
    env.aws_name("monthly")
}

/// The cost filter: the environment's tag, as Budgets names a user-defined tag.
pub fn tag_filter(env: &PartEnv) -> (String, Vec<String>) {
    (
        "TagKeyValue".into(),
        vec![format!("user:{ENVIRONMENT_TAG}${}", env.name)],
    )
}

async fn account(env: &PartEnv) -> Result<String, PartError> {
    env.aws
        .account_id()
        .await
        .map(str::to_string)
        .map_err(|e| STS.error(part(), "reading the account", "GetCallerIdentity", &e))
}

/// The budget named `NAME-monthly`; None when there is none.
pub async fn find_budget(env: &PartEnv, account: &str) -> Result<Option<Budget>, PartError> {
    let out = errors::found(
        env.aws
            .budgets()
            .describe_budget()
            .account_id(account)
            .budget_name(budget_name(env))
            .send()
            .await,
        DescribeBudgetError::is_not_found_exception,
    )
    .map_err(|e| BUDGETS.error(part(), "reading the budget", "DescribeBudget", &e))?;
    Ok(out.and_then(|o| o.budget))
}

/// The amount as Budgets keeps it: whole dollars.
fn amount(usd: f64) -> String {
    format!("{}", usd.ceil() as u64)
}

// CostFilters is deprecated in the SDK in favour of FilterExpression, but its tag form
// (`TagKeyValue: user:KEY$VALUE`) is the documented one, and Budgets still accepts it.
#[allow(deprecated)]
fn desired_budget(env: &PartEnv, spec: &BudgetSpec) -> Result<Budget, PartError> {
    let (key, values) = tag_filter(env);
    let limit = Spend::builder()
        .amount(amount(spec.limit_usd))
        .unit("USD")
        .build()
        .map_err(|e| PartError::new(part(), "building the budget", e.to_string()))?;
    Budget::builder()
        .budget_name(budget_name(env))
        .budget_limit(limit)
        .cost_filters(key, values)
        .time_unit(TimeUnit::Monthly)
        .budget_type(BudgetType::Cost)
        .build()
        .map_err(|e| PartError::new(part(), "building the budget", e.to_string()))
}

/// Every notification the budget should have: (type, threshold %).
pub fn notifications(spec: &BudgetSpec) -> BTreeSet<(String, u64)> {
    let mut out: BTreeSet<(String, u64)> = spec
        .alert_at_percent
        .iter()
        .map(|p| ("ACTUAL".to_string(), *p as u64))
        .collect();
    if spec.forecast_alert {
        out.insert(("FORECASTED".to_string(), 100));
    }
    out
}

pub(super) fn notification(kind: &str, threshold: u64) -> Notification {
    Notification::builder()
        .notification_type(NotificationType::from(kind))
        .comparison_operator(ComparisonOperator::GreaterThan)
        .threshold(threshold as f64)
        .threshold_type(ThresholdType::Percentage)
        .build()
        .expect("type, operator and threshold are set")
}

/// The topic, then each email address.
pub(super) fn subscribers(topic: &str, emails: &[String]) -> Vec<Subscriber> {
    let sns = Subscriber::builder()
        .subscription_type(SubscriptionType::Sns)
        .address(topic)
        .build();
    let mails = emails.iter().map(|e| {
        Subscriber::builder()
            .subscription_type(SubscriptionType::Email)
            .address(e)
            .build()
    });
    std::iter::once(sns)
        .chain(mails)
        .filter_map(Result::ok)
        .collect()
}

/// Creates, adopts and converges the budget and its notifications; activates the cost
/// allocation tag where the account may.
pub async fn ensure_budget(
    env: &PartEnv,
    spec: &BudgetSpec,
    topic: &str,
) -> Result<BudgetState, PartError> {
    let account = account(env).await?;
    let want = desired_budget(env, spec)?;
    match find_budget(env, &account).await? {
        None => create_budget(env, &account, want, spec, topic).await?,
        Some(have) => {
            adopt_budget(env, &account).await?;
            let same = same_budget(&have, &want);
            if !same {
                update_budget(env, &account, want).await?;
            }
            super::budget_notifications::converge(env, &account, spec, topic).await?;
        }
    }
    let cost_allocation_tag = super::cost_allocation::ensure_active(env).await?;
    Ok(BudgetState {
        name: budget_name(env),
        limit_usd: spec.limit_usd.ceil(),
        cost_allocation_tag,
    })
}

#[allow(deprecated)] // See `desired_budget`.
fn same_budget(have: &Budget, want: &Budget) -> bool {
    let limit = |b: &Budget| {
        b.budget_limit()
            .and_then(|l| l.amount().parse::<f64>().ok())
    };
    limit(have) == limit(want) && have.cost_filters() == want.cost_filters()
}

fn budget_arn(env: &PartEnv, account: &str) -> String {
    format!(
        "arn:{}:budgets::{account}:budget/{}",
        env.aws.partition(),
        budget_name(env)
    )
}

async fn adopt_budget(env: &PartEnv, account: &str) -> Result<(), PartError> {
    let out = env
        .aws
        .budgets()
        .list_tags_for_resource()
        .resource_arn(budget_arn(env, account))
        .send()
        .await
        .map_err(|e| {
            BUDGETS.error(
                part(),
                "reading the budget's tags",
                "ListTagsForResource",
                &e,
            )
        })?;
    let have = tags::from_pairs(
        out.resource_tags()
            .iter()
            .map(|t| (Some(t.key.as_str()), Some(t.value.as_str()))),
    );
    if env.owns(PartId::Budget.tag(), &have) {
        Ok(())
    } else {
        Err(not_ours(
            env,
            &PartId::Budget,
            "budget",
            &budget_name(env),
            &have,
        ))
    }
}

async fn create_budget(
    env: &PartEnv,
    account: &str,
    budget: Budget,
    spec: &BudgetSpec,
    topic: &str,
) -> Result<(), PartError> {
    let with_subscribers = notifications(spec).into_iter().map(|(kind, threshold)| {
        NotificationWithSubscribers::builder()
            .notification(notification(&kind, threshold))
            .set_subscribers(Some(subscribers(topic, &spec.alert_emails)))
            .build()
    });
    let resource_tags = env
        .tags_for(PartId::Budget.tag())
        .into_iter()
        .filter_map(|(k, v)| ResourceTag::builder().key(k).value(v).build().ok());
    env.aws
        .budgets()
        .create_budget()
        .account_id(account)
        .budget(budget)
        .set_notifications_with_subscribers(Some(with_subscribers.filter_map(Result::ok).collect()))
        .set_resource_tags(Some(resource_tags.collect()))
        .send()
        .await
        .map_err(|e| BUDGETS.error(part(), "creating the budget", "CreateBudget", &e))?;
    Ok(())
}

async fn update_budget(env: &PartEnv, account: &str, budget: Budget) -> Result<(), PartError> {
    env.aws
        .budgets()
        .update_budget()
        .account_id(account)
        .new_budget(budget)
        .send()
        .await
        .map_err(|e| BUDGETS.error(part(), "updating the budget", "UpdateBudget", &e))?;
    Ok(())
}

/// The budget's limit now (drift); None when it is gone.
pub async fn read_budget(env: &PartEnv) -> Result<Option<f64>, PartError> {
    let account = account(env).await?;
    Ok(find_budget(env, &account)
        .await?
        .and_then(|b| b.budget_limit().and_then(|l| l.amount().parse().ok())))
}

/// Deletes the budget (its notifications go with it) when it is ours.
pub async fn delete_budget(env: &PartEnv) -> Result<(), PartError> {
    let account = account(env).await?;
    if find_budget(env, &account).await?.is_none() {
        return Ok(());
    }
    // Someone else's budget under the name is left alone.
    if let Err(e) = adopt_budget(env, &account).await {
        if e.retryable {
            return Err(e);
        }
        return Ok(());
    }
    let deleted = env
        .aws
        .budgets()
        .delete_budget()
        .account_id(&account)
        .budget_name(budget_name(env))
        .send()
        .await;
    errors::found(deleted, |e| e.is_not_found_exception())
        .map_err(|e| BUDGETS.error(part(), "deleting the budget", "DeleteBudget", &e))?;
    Ok(())
}
