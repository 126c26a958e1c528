//! The cache's own parameter group through Terraform 1.15.5 against the emulator (issue
//! "Change production safely"): `elasticache.parameters` create the group `NAME-cache-redis7`
//! the cache uses; parameters change in place, one dropped goes back to the family's default,
//! a change made by hand is drift the next apply restores; parameters without an engine
//! version are refused at plan time; destroy deletes the group.

use std::collections::BTreeMap;

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const NAME: &str = "mosia-acc-cparams";
const GROUP: &str = "mosia-acc-cparams-cache-redis7";

fn config(engine_version: Option<&str>, parameters: &[(&str, &str)]) -> String {
    let version = engine_version
        .map(|v| format!("    engine_version = \"{v}\"\n"))
        .unwrap_or_default();
    let params: Vec<String> = parameters
        .iter()
        .map(|(k, v)| format!("\"{k}\" = \"{v}\""))
        .collect();
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "dev"

  network {{
    allowed_cidrs = ["10.250.0.0/16"]
  }}
  elasticache {{
    authentication = "none"
{version}    parameters = {{ {} }}
  }}
}}
"#,
        params.join(", ")
    )
}

/// The parameters set in the group (source `user`), as ElastiCache reports them.
async fn user_parameters(ec: &aws_sdk_elasticache::Client) -> BTreeMap<String, String> {
    let out = ec
        .describe_cache_parameters()
        .cache_parameter_group_name(GROUP)
        .source("user")
        .send()
        .await
        .unwrap();
    out.parameters()
        .iter()
        .map(|p| {
            (
                p.parameter_name().unwrap_or_default().to_string(),
                p.parameter_value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The primary member's parameter group and its apply status.
async fn member_group(ec: &aws_sdk_elasticache::Client) -> (String, String) {
    let out = ec
        .describe_cache_clusters()
        .cache_cluster_id(format!("{NAME}-cache-001"))
        .send()
        .await
        .unwrap();
    let g = out.cache_clusters()[0].cache_parameter_group().unwrap();
    (
        g.cache_parameter_group_name()
            .unwrap_or_default()
            .to_string(),
        g.parameter_apply_status().unwrap_or_default().to_string(),
    )
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn cache_parameters_live_in_the_environments_group() {
    let em = Emulator::start();
    let ec = aws_sdk_elasticache::Client::new(&em.sdk_config().await);
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");

    // Refused at plan time: the family follows the engine version.
    tf.write(
        "main.tf",
        &config(None, &[("maxmemory-policy", "allkeys-lru")]),
    );
    tf.ok(&["init", "-input=false"]);
    let refused = tf.run(&["plan", "-input=false"]);
    assert_eq!(refused.code, 1, "{}", refused.combined());
    assert!(
        refused
            .combined()
            .contains("Engine version needed for parameters"),
        "{}",
        refused.combined()
    );

    let first = [("maxmemory-policy", "allkeys-lru")];
    tf.write("main.tf", &config(Some("7.1"), &first));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(member_group(&ec).await.0, GROUP);
    assert_eq!(user_parameters(&ec).await, map(&first));
    assert_eq!(tf.plan_exit().code, 0, "nothing to change after the create");

    // In place: one changed, one added.
    let second = [
        ("maxmemory-policy", "volatile-lfu"),
        ("notify-keyspace-events", "Ex"),
    ];
    tf.write("main.tf", &config(Some("7.1"), &second));
    let plan = tf.plan_exit();
    assert!(plan.stdout.contains("1 to change"), "{}", plan.stdout);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(user_parameters(&ec).await, map(&second));

    // Changed by hand: drift, restored.
    ec.modify_cache_parameter_group()
        .cache_parameter_group_name(GROUP)
        .parameter_name_values(
            aws_sdk_elasticache::types::ParameterNameValue::builder()
                .parameter_name("maxmemory-policy")
                .parameter_value("noeviction")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let drift = tf.plan_exit();
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    assert!(drift.stdout.contains("noeviction"), "{}", drift.stdout);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(user_parameters(&ec).await, map(&second));

    // One dropped goes back to the family's default.
    let third = [("maxmemory-policy", "volatile-lfu")];
    tf.write("main.tf", &config(Some("7.1"), &third));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(user_parameters(&ec).await, map(&third));
    let state = tf.state_json();
    let v = resource_values(&state, "mosia_environment.this").unwrap();
    assert_eq!(
        v["elasticache"]["parameters"],
        serde_json::json!({ "maxmemory-policy": "volatile-lfu" })
    );
    assert_eq!(tf.plan_exit().code, 0);

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let left = ec
        .describe_cache_parameter_groups()
        .cache_parameter_group_name(GROUP)
        .send()
        .await;
    assert!(left.is_err(), "the group is deleted: {left:?}");
}
