//! The environment's cost budget (`budget`) through Terraform 1.15.5 against the emulator
//! (AWS Budgets and Cost Explorer's cost allocation tags as AWS documents them):
//!
//! - `budget {}` creates `NAME-monthly` filtered to the environment's tag, its limit the
//!   estimate × 1.25 rounded up (both in the plan), ACTUAL notifications at 80 and 100 % and
//!   a FORECASTED one at 100 %, each to the alert topic and the alert email;
//! - while AWS has not seen the tag yet the plan warns; once it has, the apply activates it;
//! - a bigger database raises the estimate and the limit follows; an explicit limit is kept;
//! - destroy leaves no budget and no topic.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};
use serde_json::json;

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-budget";
const ACCOUNT: &str = "123456789012";

fn environment(instance_class: &str, limit: Option<u32>) -> String {
    let limit = limit
        .map(|l| format!("monthly_limit_usd = {l}"))
        .unwrap_or_default();
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "dev"

  network {{
    cidr_block    = "10.67.0.0/16"
    allowed_cidrs = ["10.99.0.0/24"]
  }}
  rds {{
    instance_class = "{instance_class}"
  }}
  monitoring {{
    alert_emails = ["finance@example.com"]
  }}
  budget {{
    {limit}
  }}
}}
"#
    )
}

async fn budget(b: &aws_sdk_budgets::Client) -> Option<aws_sdk_budgets::types::Budget> {
    b.describe_budget()
        .account_id(ACCOUNT)
        .budget_name(format!("{NAME}-monthly"))
        .send()
        .await
        .ok()
        .and_then(|o| o.budget)
}

fn limit_of(b: &aws_sdk_budgets::types::Budget) -> f64 {
    b.budget_limit().unwrap().amount().parse().unwrap()
}

/// The budget's notifications as (type, threshold) with their subscribers' addresses.
async fn notifications(b: &aws_sdk_budgets::Client) -> Vec<(String, f64, Vec<String>)> {
    let out = b
        .describe_notifications_for_budget()
        .account_id(ACCOUNT)
        .budget_name(format!("{NAME}-monthly"))
        .send()
        .await
        .unwrap();
    let mut found = Vec::new();
    for n in out.notifications() {
        let subs = b
            .describe_subscribers_for_notification()
            .account_id(ACCOUNT)
            .budget_name(format!("{NAME}-monthly"))
            .notification(n.clone())
            .send()
            .await
            .unwrap();
        let mut addresses: Vec<String> = subs
            .subscribers()
            .iter()
            .map(|s| s.address().to_string())
            .collect();
        addresses.sort();
        found.push((
            n.notification_type().as_str().to_string(),
            n.threshold(),
            addresses,
        ));
    }
    found.sort_by_key(|a| (a.0.clone(), a.1 as u64));
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn the_budget_follows_the_estimate_filters_by_the_tag_and_notifies_the_topic() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let budgets = aws_sdk_budgets::Client::new(&cfg);
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.write("main.tf", &environment("db.t4g.micro", None));
    tf.ok(&["init", "-input=false"]);
    let planned = tf.ok(&["plan", "-input=false"]).combined();
    assert!(planned.contains("monthly_limit_usd"), "{planned}");
    tf.ok(&["apply", "-auto-approve", "-input=false"]);

    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    let estimate = v["estimated_monthly_cost_usd"].as_f64().unwrap();
    let expected = (estimate * 1.25).ceil();
    assert_eq!(
        v["budget"]["monthly_limit_usd"].as_f64(),
        Some(expected),
        "{v}"
    );
    let b = budget(&budgets).await.expect("the budget exists");
    assert_eq!(limit_of(&b), expected);
    #[allow(deprecated)]
    let filters = b.cost_filters().cloned().unwrap_or_default();
    assert_eq!(
        filters["TagKeyValue"],
        vec![format!("user:mosia:environment${NAME}")],
        "filtered to the environment's tag"
    );
    let topic = v["alert_topic_arn"].as_str().unwrap().to_string();
    let want_subs = {
        let mut s = vec![topic.clone(), "finance@example.com".to_string()];
        s.sort();
        s
    };
    assert_eq!(
        notifications(&budgets).await,
        vec![
            ("ACTUAL".into(), 80.0, want_subs.clone()),
            ("ACTUAL".into(), 100.0, want_subs.clone()),
            ("FORECASTED".into(), 100.0, want_subs.clone()),
        ]
    );

    // AWS has not seen the tag yet: the plan says what to do; once seen, it is activated.
    assert_eq!(v["budget"]["cost_allocation_tag"], "not seen yet");
    let plan = tf.plan_exit();
    assert_eq!(plan.code, 0, "{}", plan.combined());
    assert!(plan
        .combined()
        .contains("cannot filter by the environment's tag yet"));
    em.fire_event(json!({"event": "ce_tag_keys_seen", "tag_keys": ["mosia:environment"]}));
    assert_eq!(
        tf.plan_exit().code,
        2,
        "the refresh sees it inactive: the apply activates it"
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    assert_eq!(v["budget"]["cost_allocation_tag"], "Active");

    // A bigger database: the estimate and the limit follow.
    tf.write("main.tf", &environment("db.t4g.large", None));
    let planned = tf.ok(&["plan", "-input=false"]).combined();
    assert!(planned.contains("monthly_limit_usd"), "{planned}");
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    let bigger = (v["estimated_monthly_cost_usd"].as_f64().unwrap() * 1.25).ceil();
    assert!(bigger > expected, "{bigger} > {expected}");
    assert_eq!(limit_of(&budget(&budgets).await.unwrap()), bigger);

    // An explicit limit is kept.
    tf.write("main.tf", &environment("db.t4g.large", Some(500)));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");
    assert_eq!(limit_of(&budget(&budgets).await.unwrap()), 500.0);

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    assert!(budget(&budgets).await.is_none(), "no budget left");
    let sns = aws_sdk_sns::Client::new(&cfg);
    assert!(
        sns.get_topic_attributes()
            .topic_arn(&topic)
            .send()
            .await
            .is_err(),
        "no topic left"
    );
}
