//! ElastiCache authentication of `mosia_environment`, through Terraform 1.15.5 against the
//! emulator: with `authentication = "iam"` (the default) the cache uses the user group
//! `NAME-cache`, holding a disabled `default` user and one IAM-authenticated user per workload
//! with cache access, whose access string follows the access level; each workload's role may
//! connect as its own user only (policy simulation); an access string changed by hand shows
//! in the plan and is restored; a workload that loses its access loses its user; switching to
//! `none` removes the group and every user; switching back is announced by a plan warning;
//! destroy leaves none.

use std::collections::BTreeMap;

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::policy_sim::{allowed, role_documents};
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};
use serde_json::Value;

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-auth";

fn environment(authentication: &str, reports_access: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "dev"

  network {{
    cidr_block    = "10.62.0.0/16"
    allowed_cidrs = ["10.99.0.0/24"]
  }}
  eks {{
    addons = []
  }}
  elasticache {{
    authentication = "{authentication}"
  }}

  workload = {{
    orders  = {{ namespace = "shop", elasticache = "read_write" }}
    reports = {{ namespace = "shop", identity = "irsa", elasticache = "{reports_access}" }}
    web     = {{ namespace = "web" }}
  }}
}}
"#
    )
}

fn user_id(workload: &str) -> String {
    format!("{NAME}-wl-{workload}")
}

/// The environment's cache users: user ID → (user name, authentication type, access string).
async fn users(ec: &aws_sdk_elasticache::Client) -> BTreeMap<String, (String, String, String)> {
    let out = ec.describe_users().send().await.unwrap();
    out.users()
        .iter()
        .filter(|u| u.user_id().unwrap().starts_with(NAME) && u.status() != Some("deleting"))
        .map(|u| {
            let auth = u
                .authentication()
                .and_then(|a| a.r#type())
                .map(|t| t.as_str().to_string());
            (
                u.user_id().unwrap().to_string(),
                (
                    u.user_name().unwrap().to_string(),
                    auth.unwrap_or_default(),
                    u.access_string().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

/// The members of the user group `NAME-cache`, None when it does not exist.
async fn members(ec: &aws_sdk_elasticache::Client) -> Option<Vec<String>> {
    let out = ec
        .describe_user_groups()
        .user_group_id(format!("{NAME}-cache"))
        .send()
        .await
        .ok()?;
    let mut ids = out.user_groups()[0].user_ids().to_vec();
    ids.sort();
    Some(ids)
}

async fn cache_user_groups(ec: &aws_sdk_elasticache::Client) -> Vec<String> {
    let out = ec
        .describe_replication_groups()
        .replication_group_id(format!("{NAME}-cache"))
        .send()
        .await
        .unwrap();
    out.replication_groups()[0].user_group_ids().to_vec()
}

/// Each workload's role may connect to its own cache as its own user, and nowhere else.
async fn assert_connect_scoped(iam: &aws_sdk_iam::Client, v: &Value) {
    let cache_arn = v["elasticache"]["arn"].as_str().unwrap();
    let user_arn = |w: &str| {
        format!(
            "arn:aws:elasticache:us-east-1:123456789012:user:{}",
            user_id(w)
        )
    };
    let (orders, _) = role_documents(iam, &user_id("orders")).await;
    let orders = vec![orders.expect("orders has a policy")];
    assert!(allowed(&orders, "elasticache:Connect", cache_arn));
    assert!(allowed(&orders, "elasticache:Connect", &user_arn("orders")));
    assert!(!allowed(
        &orders,
        "elasticache:Connect",
        &user_arn("reports")
    ));
    let other = "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:other-cache";
    assert!(!allowed(&orders, "elasticache:Connect", other));
    let (reports, _) = role_documents(iam, &user_id("reports")).await;
    let reports = vec![reports.expect("reports has a policy")];
    assert!(allowed(
        &reports,
        "elasticache:Connect",
        &user_arn("reports")
    ));
    assert!(!allowed(
        &reports,
        "elasticache:Connect",
        &user_arn("orders")
    ));
    let (web, _) = role_documents(iam, &user_id("web")).await;
    let web: Vec<Value> = web.into_iter().collect();
    assert!(!allowed(&web, "elasticache:Connect", cache_arn));
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_authenticated_users_per_workload_follow_the_configuration() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let (ec, iam) = (
        aws_sdk_elasticache::Client::new(&cfg),
        aws_sdk_iam::Client::new(&cfg),
    );
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.write("main.tf", &environment("iam", "read_only"));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");

    // The cache uses the group; the group holds the disabled default user and one IAM user
    // per workload with cache access, with the access string of its level.
    assert_eq!(cache_user_groups(&ec).await, [format!("{NAME}-cache")]);
    let default = format!("{NAME}-cache-default");
    let mut want = [default.clone(), user_id("orders"), user_id("reports")];
    want.sort();
    assert_eq!(members(&ec).await.as_deref(), Some(&want[..]));
    let found = users(&ec).await;
    assert_eq!(
        found[&default],
        ("default".into(), "no-password".into(), "off -@all".into())
    );
    let orders = &found[&user_id("orders")];
    assert_eq!(
        (orders.0.as_str(), orders.1.as_str()),
        (user_id("orders").as_str(), "iam")
    );
    assert_eq!(orders.2, "on ~* +@all -@dangerous");
    assert_eq!(
        found[&user_id("reports")].2,
        "on ~* -@all +@read +@connection"
    );
    assert!(
        !found.contains_key(&user_id("web")),
        "web has no cache access"
    );

    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    let conn = &v["workloads"]["orders"]["connection"];
    assert_eq!(conn["REDIS_USER"], user_id("orders"));
    assert!(
        conn["REDIS_URL"].as_str().unwrap().starts_with("rediss://"),
        "{conn}"
    );
    assert!(v["workloads"]["web"]["connection"]
        .get("REDIS_URL")
        .is_none());
    assert_connect_scoped(&iam, &v).await;

    // An access string changed by hand is drift, restored by the next apply.
    ec.modify_user()
        .user_id(user_id("reports"))
        .access_string("on ~* +@all")
        .send()
        .await
        .unwrap();
    assert_eq!(tf.plan_exit().code, 2, "the changed user shows in the plan");
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(
        users(&ec).await[&user_id("reports")].2,
        "on ~* -@all +@read +@connection"
    );
    assert_eq!(tf.plan_exit().code, 0);

    // A workload that loses its cache access loses its user, and nothing else changes.
    tf.write("main.tf", &environment("iam", "none"));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let want = [default.clone(), user_id("orders")];
    assert_eq!(members(&ec).await.as_deref(), Some(&want[..]));
    assert!(!users(&ec).await.contains_key(&user_id("reports")));
    assert!(users(&ec).await.contains_key(&user_id("orders")));
    assert_eq!(tf.plan_exit().code, 0);

    // Without authentication the cache leaves the group, and the group and users go.
    tf.write("main.tf", &environment("none", "none"));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert!(cache_user_groups(&ec).await.is_empty());
    assert_eq!(members(&ec).await, None, "the user group is deleted");
    assert!(users(&ec).await.is_empty(), "{:?}", users(&ec).await);
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    assert!(v["workloads"]["orders"]["connection"]
        .get("REDIS_USER")
        .is_none());
    assert_eq!(tf.plan_exit().code, 0);

    // Back to IAM: the plan warns that unauthenticated clients will be refused (also what an
    // existing cache without authentication meets when the provider is upgraded).
    tf.write("main.tf", &environment("iam", "read_only"));
    let warned = tf.plan_exit();
    assert_eq!(warned.code, 2);
    let out = warned.combined();
    assert!(
        out.contains("The cache's authentication changes from none to iam")
            && out.contains("refuses every client that does not connect as a cache user"),
        "{out}"
    );
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(cache_user_groups(&ec).await, [format!("{NAME}-cache")]);
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    assert_eq!(members(&ec).await, None);
    assert!(users(&ec).await.is_empty(), "destroy leaves no user");
}
