//! The monitoring outputs as planned: `alarms` with the name of every alarm the apply will
//! leave (ARNs kept from the state where the alarm exists, unknown for new ones), so the plan
//! shows which alarms and how many; `alert_topic_arn` known when it cannot change.

use std::collections::BTreeMap;

use mosia_tfplugin::{AttrPath, PlanRequest, Value};

use crate::aws::monitoring::cost_allocation;
use crate::resources::environment::cost;
use crate::resources::environment::flatten::set_in;
use crate::resources::environment::graph::planned_alarm_names;
use crate::resources::environment::spec::{AlertTopic, EnvironmentSpec};

/// Plans `alarms` and `alert_topic_arn` for `new` (the prior state's values where known).
pub(in crate::resources::environment) fn plan_monitoring(
    req: &mut PlanRequest<'_>,
    new: &EnvironmentSpec,
) {
    let prior_alarms = req
        .prior
        .get("alarms")
        .entries()
        .cloned()
        .unwrap_or_default();
    let alarms: BTreeMap<String, Value> = planned_alarm_names(new)
        .into_iter()
        .map(|name| {
            let arn = prior_alarms
                .get(&name)
                .cloned()
                .unwrap_or_else(Value::unknown);
            (name, arn)
        })
        .collect();
    req.planned.set_attr("alarms", Value::Map(alarms));
    let prior_topic = req.prior.get("alert_topic_arn");
    let topic = match &new.monitoring.topic {
        AlertTopic::None => Value::Null,
        AlertTopic::Given(arn) => Value::from(arn.as_str()),
        // The own topic keeps its ARN (its name is the environment's).
        AlertTopic::Own if is_own_topic(prior_topic.as_str(), &new.name) => prior_topic.clone(),
        AlertTopic::Own => Value::unknown(),
    };
    req.planned.set_attr("alert_topic_arn", topic);
    plan_budget(req, new);
}

/// The budget's limit when the configuration leaves it to the estimate (unknown while the
/// estimate is); a warning while its tag filter cannot work yet.
fn plan_budget(req: &mut PlanRequest<'_>, new: &EnvironmentSpec) {
    if new.monitoring.budget.is_none() {
        return;
    }
    if req.config.get("budget").get("monthly_limit_usd").is_null() {
        let limit = cost::default_budget_limit(new).map_or_else(Value::unknown, cost::usd_value);
        set_in(req.planned, "budget", "monthly_limit_usd", limit);
    }
    let tag = req.prior.get("budget").get("cost_allocation_tag");
    // Seen but inactive: the apply activates it.
    if tag.as_str() == Some(cost_allocation::INACTIVE) {
        set_in(
            req.planned,
            "budget",
            "cost_allocation_tag",
            Value::unknown(),
        );
        return;
    }
    if let Some(status) = tag.as_str().filter(|s| *s != cost_allocation::ACTIVE) {
        req.diags.warning_at(
            AttrPath::attr("budget"),
            "The budget cannot filter by the environment's tag yet",
            format!(
                "The cost allocation tag `mosia:environment` is {status:?}: until it is \
                 active, AWS Budgets sees no cost for the environment. Activate it in the \
                 Billing console of the organization's management account (Cost allocation \
                 tags, user-defined); AWS lists a tag up to 24 hours after it first tags a \
                 resource. Every refresh checks again, and the apply after AWS lists it activates it."
            ),
        );
    }
}

/// True when `arn` is the environment `name`'s own topic (`...:NAME-alerts`).
fn is_own_topic(arn: Option<&str>, name: &str) -> bool {
    arn.is_some_and(|a| a.rsplit(':').next() == Some(&format!("{name}-alerts")))
}
