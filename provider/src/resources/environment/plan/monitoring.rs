//! The monitoring outputs as planned: `alarms` with the name of every alarm the apply will
//! leave (ARNs kept from the state where the alarm exists, unknown for new ones), so the plan
//! shows which alarms and how many; `alert_topic_arn` known when it cannot change.

use std::collections::BTreeMap;

use mosia_tfplugin::{AttrPath, PlanRequest, Value};

use crate::aws::monitoring::cost_allocation;
use crate::resources::environment::cost;
use crate::resources::environment::flatten::set_in;
use crate::resources::environment::graph::{has_backup, planned_alarm_names};
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
    plan_backup_vaults(req, new);
}

/// The backup vaults' ARNs: null without backups (or without copies for the copies' vault),
/// unknown for a vault in another Region than before; otherwise as planned so far (the
/// state's, or unknown when the part is not ready).
fn plan_backup_vaults(req: &mut PlanRequest<'_>, new: &EnvironmentSpec) {
    if !matches!(req.planned.get("backup"), Value::Object(_)) {
        return;
    }
    let on = has_backup(new);
    if !on {
        set_in(req.planned, "backup", "vault_arn", Value::Null);
        set_in(req.planned, "backup", "plan_arn", Value::Null);
    }
    let prior_region = req.prior.get("backup").get("copy_to_region").clone();
    match new.backup.copy_to_region.as_deref().filter(|_| on) {
        None => set_in(req.planned, "backup", "copy_vault_arn", Value::Null),
        Some(region) if prior_region.as_str() != Some(region) => {
            set_in(req.planned, "backup", "copy_vault_arn", Value::unknown());
        }
        Some(_) => {}
    }
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

#[cfg(test)]
mod tests {
    use mosia_tfplugin::Value;

    use crate::resources::environment::testing::{config, created, everything, plan};

    const COPY_VAULT: &str = "arn:aws:backup:us-west-2:123456789012:backup-vault:mosia-test";

    fn with_backup(backup: serde_json::Value) -> Value {
        let mut j = everything("staging");
        j["backup"] = backup;
        config(j)
    }

    /// The copies' vault follows `copy_to_region`: kept while the Region stays, unknown in
    /// another one, null without copies (what the apply leaves).
    #[test]
    fn the_copies_vault_is_planned_from_copy_to_region() {
        let copies = with_backup(serde_json::json!({ "copy_to_region": "us-west-2" }));
        let vault = ("backup", "copy_vault_arn", Value::from(COPY_VAULT));
        let prior = created(&copies, &[vault]);
        let kept = plan(&prior, &copies).value;
        assert_eq!(
            kept.get("backup").get("copy_vault_arn"),
            &Value::from(COPY_VAULT)
        );
        let elsewhere = with_backup(serde_json::json!({ "copy_to_region": "eu-west-1" }));
        let moved = plan(&prior, &elsewhere).value;
        assert!(moved.get("backup").get("copy_vault_arn").is_unknown());
        let none = plan(&prior, &with_backup(serde_json::json!({}))).value;
        assert_eq!(none.get("backup").get("copy_vault_arn"), &Value::Null);
        let off = plan(&prior, &with_backup(serde_json::json!({ "plan": false }))).value;
        assert_eq!(off.get("backup").get("vault_arn"), &Value::Null);
    }
}
