//! The monitoring outputs as planned: `alarms` with the name of every alarm the apply will
//! leave (ARNs kept from the state where the alarm exists, unknown for new ones), so the plan
//! shows which alarms and how many; `alert_topic_arn` known when it cannot change.

use std::collections::BTreeMap;

use mosia_tfplugin::{PlanRequest, Value};

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
}

/// True when `arn` is the environment `name`'s own topic (`...:NAME-alerts`).
fn is_own_topic(arn: Option<&str>, name: &str) -> bool {
    arn.is_some_and(|a| a.rsplit(':').next() == Some(&format!("{name}-alerts")))
}
