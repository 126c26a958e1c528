//! ElastiCache token authentication of `mosia_environment` (`elasticache.authentication =
//! "token"`), through Terraform 1.15.5 against the emulator, which refuses what ElastiCache
//! refuses of AUTH tokens (SET only after ROTATE, DELETE only towards user groups, no token
//! beside a user group):
//!
//! - the cache is created with a token that exists only in the Secrets Manager secret
//!   `NAME-cache-auth` (never in state or plan output); a workload with cache access may read
//!   that secret and gets its ARN in `connection`, another may not;
//! - the secret deleted by hand is drift; the next apply rotates the cache to a new token;
//! - token → iam in place (the user group replaces the token, the secret goes), iam → token
//!   in place (ROTATE leaving the user group, SET; the group goes), token → none announced as
//!   a replacement; destroy leaves no secret.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::policy_sim::{allowed, role_documents};
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};
use serde_json::Value;

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-token";

fn environment(authentication: &str) -> String {
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "dev"

  network {{
    cidr_block    = "10.63.0.0/16"
    allowed_cidrs = ["10.99.0.0/24"]
  }}
  eks {{
    addons = []
  }}
  elasticache {{
    authentication = "{authentication}"
  }}

  workload = {{
    orders = {{ namespace = "shop", elasticache = "read_only" }}
    web    = {{ namespace = "web" }}
  }}
}}
"#
    )
}

fn secret_name() -> String {
    format!("{NAME}-cache-auth")
}

/// The token secret's ARN, value and progress tag; None when there is none.
async fn secret(sm: &aws_sdk_secretsmanager::Client) -> Option<(String, String, String)> {
    let d = sm
        .describe_secret()
        .secret_id(secret_name())
        .send()
        .await
        .ok()?;
    let progress = d
        .tags()
        .iter()
        .find(|t| t.key() == Some("mosia:auth-token"))
        .and_then(|t| t.value())
        .unwrap_or_default()
        .to_string();
    let value = sm
        .get_secret_value()
        .secret_id(secret_name())
        .send()
        .await
        .unwrap()
        .secret_string()
        .unwrap()
        .to_string();
    Some((d.arn().unwrap().to_string(), value, progress))
}

/// (AuthTokenEnabled, user groups) of the cache.
async fn cache_auth(ec: &aws_sdk_elasticache::Client) -> (bool, Vec<String>) {
    let out = ec
        .describe_replication_groups()
        .replication_group_id(format!("{NAME}-cache"))
        .send()
        .await
        .unwrap();
    let rg = &out.replication_groups()[0];
    (
        rg.auth_token_enabled().unwrap_or(false),
        rg.user_group_ids().to_vec(),
    )
}

fn apply(tf: &Workdir) {
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");
}

/// The workload roles: `orders` may read the token's secret only, `web` nothing of it.
async fn assert_secret_scoped(iam: &aws_sdk_iam::Client, arn: &str) {
    let read = "secretsmanager:GetSecretValue";
    let (orders, _) = role_documents(iam, &format!("{NAME}-wl-orders")).await;
    let orders = vec![orders.expect("orders has a policy")];
    assert!(allowed(&orders, read, arn));
    let other = "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-cache-auth-AbCdEf";
    assert!(!allowed(&orders, read, other));
    assert!(!allowed(&orders, "elasticache:Connect", "*"));
    let (web, _) = role_documents(iam, &format!("{NAME}-wl-web")).await;
    let web: Vec<Value> = web.into_iter().collect();
    assert!(!allowed(&web, read, arn));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_auth_token_kept_in_secrets_manager_follows_the_configuration() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let ec = aws_sdk_elasticache::Client::new(&cfg);
    let sm = aws_sdk_secretsmanager::Client::new(&cfg);
    let iam = aws_sdk_iam::Client::new(&cfg);
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.write("main.tf", &environment("token"));
    tf.ok(&["init", "-input=false"]);
    apply(&tf);

    // Created with the token; the token is nowhere but in the secret.
    assert_eq!(cache_auth(&ec).await, (true, vec![]));
    let (arn, token, progress) = secret(&sm).await.expect("the token's secret");
    assert_eq!(progress, "set");
    assert_eq!(token.len(), 64);
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric()), "{token}");
    let state = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap();
    assert!(!state.contains(&token), "the token is not in state");
    let shown = tf.ok(&["plan", "-input=false"]).combined();
    assert!(!shown.contains(&token), "nor in plan output");
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    assert_eq!(v["elasticache"]["authentication"], "token");
    let conn = &v["workloads"]["orders"]["connection"];
    assert_eq!(conn["REDIS_AUTH_SECRET_ARN"], arn.as_str(), "{conn}");
    assert!(conn.get("REDIS_USER").is_none(), "{conn}");
    assert!(v["workloads"]["web"]["connection"]
        .get("REDIS_AUTH_SECRET_ARN")
        .is_none());
    assert_secret_scoped(&iam, &arn).await;

    // The secret deleted by hand: drift, and the cache moves to a new token.
    sm.delete_secret()
        .secret_id(&arn)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    tf.ok(&["apply", "-refresh-only", "-auto-approve", "-input=false"]);
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    assert_eq!(v["part_status"]["elasticache"], "drifted");
    apply(&tf);
    let (new_arn, new_token, progress) = secret(&sm).await.expect("a new secret");
    assert_ne!(new_token, token, "a new token");
    assert_eq!(progress, "set");
    assert_eq!(cache_auth(&ec).await, (true, vec![]));
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    assert_eq!(
        v["workloads"]["orders"]["connection"]["REDIS_AUTH_SECRET_ARN"],
        new_arn.as_str()
    );

    // To IAM in place: the user group replaces the token, and the secret goes.
    tf.write("main.tf", &environment("iam"));
    let warned = tf.plan_exit().combined();
    assert!(
        warned.contains("The cache's authentication changes from token to iam"),
        "{warned}"
    );
    apply(&tf);
    assert_eq!(
        cache_auth(&ec).await,
        (false, vec![format!("{NAME}-cache")])
    );
    assert!(secret(&sm).await.is_none(), "the secret is deleted");

    // Back to a token in place: ROTATE leaving the user group, SET; the group goes.
    tf.write("main.tf", &environment("token"));
    apply(&tf);
    assert_eq!(cache_auth(&ec).await, (true, vec![]));
    assert_eq!(secret(&sm).await.expect("a secret").2, "set");
    assert!(ec
        .describe_user_groups()
        .user_group_id(format!("{NAME}-cache"))
        .send()
        .await
        .is_err());

    // A token cannot be removed in place: `none` replaces the cache, and says so.
    tf.write("main.tf", &environment("none"));
    let replaced = tf.plan_exit().combined();
    assert!(
        replaced.contains("The ElastiCache replication group will be replaced")
            && replaced.contains("authentication token → none"),
        "{replaced}"
    );
    apply(&tf);
    assert_eq!(cache_auth(&ec).await, (false, vec![]));
    assert!(secret(&sm).await.is_none());

    tf.write("main.tf", &environment("token"));
    apply(&tf);
    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    assert!(secret(&sm).await.is_none(), "destroy deletes the secret");
}
