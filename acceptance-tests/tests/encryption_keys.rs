//! The environment's KMS key (`customer_managed_key`, `kms_key_arn`) through Terraform 1.15.5
//! against the emulator, which refuses what AWS refuses of keys (a log group's key must let
//! CloudWatch Logs in by its key policy; MSK, RDS and ElastiCache keys must exist and be
//! enabled):
//!
//! - staging creates the key `alias/NAME` and encrypts every part with it: RDS storage and
//!   its master secret, ElastiCache at rest and its AUTH token secret, MSK volumes, the EKS
//!   control plane log group and Kubernetes secrets; the state shows it per part; the next
//!   plan is empty;
//! - moving the environment to a key of the user's replaces the data services (named in the
//!   plan) while the cluster keeps its secrets key (EKS cannot change it);
//! - production refuses a key change that would replace its data;
//! - `msk.scram`: the workload with Kafka access gets its SCRAM user, the secret on the
//!   environment's key (and on the new one after the change), readable by it alone; SCRAM
//!   turned off deletes it.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::policy_sim::{allowed, role_documents};
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-keys";

fn environment(tier: &str, kms_key_arn: Option<&str>) -> String {
    environment_scram(tier, kms_key_arn, true)
}

fn environment_scram(tier: &str, kms_key_arn: Option<&str>, scram: bool) -> String {
    let key = kms_key_arn
        .map(|k| format!("kms_key_arn = \"{k}\""))
        .unwrap_or_default();
    format!(
        r#"{MOSIA_US_EAST_1}
resource "mosia_environment" "this" {{
  name = "{NAME}"
  tier = "{tier}"
  {key}

  network {{
    cidr_block    = "10.64.0.0/16"
    allowed_cidrs = ["10.99.0.0/24"]
  }}
  eks {{
    addons                     = []
    endpoint_public_access     = true
    public_endpoint_acknowledged = true
  }}
  rds {{
    skip_final_snapshot = true
    deletion_protection = false
  }}
  elasticache {{
    authentication = "token"
  }}
  msk {{
    kafka_version = "3.6.0"
    scram         = {scram}
  }}

  workload = {{
    orders = {{ namespace = "shop", msk = {{ topics = ["orders.*"] }} }}
  }}
}}
"#
    )
}

/// Every key a part reports, by part.
async fn part_keys(cfg: &aws_config::SdkConfig) -> Vec<(&'static str, Option<String>)> {
    let rds = aws_sdk_rds::Client::new(cfg);
    let db = rds
        .describe_db_instances()
        .db_instance_identifier(format!("{NAME}-db"))
        .send()
        .await
        .unwrap();
    let db = &db.db_instances()[0];
    let ec = aws_sdk_elasticache::Client::new(cfg);
    let rg = ec
        .describe_replication_groups()
        .replication_group_id(format!("{NAME}-cache"))
        .send()
        .await
        .unwrap();
    let sm = aws_sdk_secretsmanager::Client::new(cfg);
    let token = sm
        .describe_secret()
        .secret_id(format!("{NAME}-cache-auth"))
        .send()
        .await
        .unwrap();
    let kafka = aws_sdk_kafka::Client::new(cfg);
    let clusters = kafka
        .list_clusters_v2()
        .cluster_name_filter(format!("{NAME}-kafka"))
        .send()
        .await
        .unwrap();
    let msk = clusters.cluster_info_list()[0]
        .provisioned()
        .and_then(|p| p.encryption_info())
        .and_then(|e| e.encryption_at_rest())
        .and_then(|r| r.data_volume_kms_key_id())
        .map(str::to_string);
    let logs = aws_sdk_cloudwatchlogs::Client::new(cfg);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/eks/{NAME}-eks/cluster"))
        .send()
        .await
        .unwrap();
    vec![
        ("rds", db.kms_key_id().map(str::to_string)),
        (
            "rds master secret",
            db.master_user_secret()
                .and_then(|s| s.kms_key_id())
                .map(str::to_string),
        ),
        (
            "elasticache",
            rg.replication_groups()[0].kms_key_id().map(str::to_string),
        ),
        ("cache token secret", token.kms_key_id().map(str::to_string)),
        ("msk", msk),
        (
            "eks log group",
            groups.log_groups()[0].kms_key_id().map(str::to_string),
        ),
    ]
}

/// The ARN of the key a reference (alias, ID or ARN) names.
async fn key_arn(kms: &aws_sdk_kms::Client, id: &str) -> String {
    kms.describe_key()
        .key_id(id)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string()
}

fn same_key(a: &str, b: &str) -> bool {
    let id = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    id(a) == id(b)
}

async fn assert_every_part_on(cfg: &aws_config::SdkConfig, kms: &aws_sdk_kms::Client, key: &str) {
    for (part, have) in part_keys(cfg).await {
        let have = have.unwrap_or_else(|| panic!("{part} names no key"));
        let have = key_arn(kms, &have).await;
        assert!(
            same_key(&have, key),
            "{part} is encrypted with {have}, not {key}"
        );
    }
}

/// The SCRAM secrets associated with the cluster.
async fn scram_secrets(cfg: &aws_config::SdkConfig) -> Vec<String> {
    let kafka = aws_sdk_kafka::Client::new(cfg);
    let clusters = kafka
        .list_clusters_v2()
        .cluster_name_filter(format!("{NAME}-kafka"))
        .send()
        .await
        .unwrap();
    let arn = clusters.cluster_info_list()[0]
        .cluster_arn()
        .unwrap()
        .to_string();
    kafka
        .list_scram_secrets()
        .cluster_arn(arn)
        .send()
        .await
        .map(|o| o.secret_arn_list().to_vec())
        .unwrap_or_default()
}

/// The workload `orders` has one SCRAM secret, on `key`, that only it may read (and decrypt
/// through Secrets Manager); its connection names it.
async fn assert_scram_user(
    tf: &Workdir,
    cfg: &aws_config::SdkConfig,
    kms: &aws_sdk_kms::Client,
    key: &str,
) {
    let secrets = scram_secrets(cfg).await;
    assert_eq!(secrets.len(), 1, "{secrets:?}");
    let arn = &secrets[0];
    assert!(
        arn.contains(&format!("secret:AmazonMSK_{NAME}-wl-orders-")),
        "{arn}"
    );
    let sm = aws_sdk_secretsmanager::Client::new(cfg);
    let d = sm.describe_secret().secret_id(arn).send().await.unwrap();
    assert!(same_key(&key_arn(kms, d.kms_key_id().unwrap()).await, key));
    let value = sm.get_secret_value().secret_id(arn).send().await.unwrap();
    let value: serde_json::Value = serde_json::from_str(value.secret_string().unwrap()).unwrap();
    assert_eq!(value["username"], "orders");
    let state = std::fs::read_to_string(tf.path().join("terraform.tfstate")).unwrap();
    assert!(
        !state.contains(value["password"].as_str().unwrap()),
        "the password is not in state"
    );
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    let conn = &v["workloads"]["orders"]["connection"];
    assert_eq!(conn["KAFKA_SCRAM_SECRET_ARN"], arn.as_str(), "{conn}");
    let iam = aws_sdk_iam::Client::new(cfg);
    let (policy, _) = role_documents(&iam, &format!("{NAME}-wl-orders")).await;
    let policy = vec![policy.expect("orders has a policy")];
    assert!(allowed(&policy, "secretsmanager:GetSecretValue", arn));
    let other =
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_other-wl-orders-AbCdEf";
    assert!(!allowed(&policy, "secretsmanager:GetSecretValue", other));
    assert!(allowed(&policy, "kms:Decrypt", key));
}

/// A key of the user's whose policy lets the account and CloudWatch Logs use it.
async fn users_key(kms: &aws_sdk_kms::Client) -> String {
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
             "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
             "Resource": "*"}
        ]
    });
    kms.create_key()
        .policy(policy.to_string())
        .description("the platform team's key")
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_part_is_encrypted_with_the_environments_key_and_a_new_key_replaces_the_data() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let kms = aws_sdk_kms::Client::new(&cfg);
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    tf.write("main.tf", &environment("staging", None));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");

    let own = key_arn(&kms, &format!("alias/{NAME}")).await;
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    assert_eq!(v["encryption_key_arn"], own.as_str());
    assert_eq!(v["part_status"]["kms"], "ready");
    for block in ["rds", "elasticache", "msk"] {
        assert!(
            same_key(v[block]["kms_key_arn"].as_str().unwrap(), &own),
            "{block}: {v}"
        );
    }
    assert_eq!(v["eks"]["kms_key_arn"], own.as_str(), "Kubernetes secrets");
    assert_every_part_on(&cfg, &kms, &own).await;
    assert_scram_user(&tf, &cfg, &kms, &own).await;
    let policy = kms
        .get_key_policy()
        .key_id(&own)
        .policy_name("default")
        .send()
        .await
        .unwrap();
    assert!(
        policy
            .policy()
            .unwrap()
            .contains("logs.us-east-1.amazonaws.com"),
        "CloudWatch Logs may use the key"
    );

    // The user's key: the data services are replaced onto it; the cluster keeps its
    // secrets key, so the own key stays.
    let mine = users_key(&kms).await;
    tf.write("main.tf", &environment("staging", Some(&mine)));
    let planned = tf.plan_exit().combined();
    for what in [
        "The RDS database (primary and replicas) will be replaced",
        "The MSK cluster will be replaced",
    ] {
        assert!(planned.contains(what), "{planned}");
    }
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    assert_eq!(v["encryption_key_arn"], mine.as_str());
    assert_eq!(
        v["eks"]["kms_key_arn"],
        own.as_str(),
        "EKS cannot change its key"
    );
    assert_every_part_on(&cfg, &kms, &mine).await;
    assert_scram_user(&tf, &cfg, &kms, &mine).await;
    let state = kms.describe_key().key_id(&own).send().await.unwrap();
    assert_eq!(
        state.key_metadata().unwrap().key_state().unwrap().as_str(),
        "Enabled",
        "the cluster still encrypts with it"
    );

    // SCRAM off: the users' secrets go.
    let before = scram_secrets(&cfg).await;
    tf.write("main.tf", &environment_scram("staging", Some(&mine), false));
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    assert_eq!(tf.plan_exit().code, 0, "nothing left to change");
    let sm = aws_sdk_secretsmanager::Client::new(&cfg);
    assert!(
        sm.describe_secret()
            .secret_id(&before[0])
            .send()
            .await
            .is_err(),
        "deleted"
    );
    let v = resource_values(&tf.state_json(), ADDR).unwrap().clone();
    assert!(v["workloads"]["orders"]["connection"]
        .get("KAFKA_SCRAM_SECRET_ARN")
        .is_none());

    tf.ok(&["destroy", "-auto-approve", "-input=false"]);
    let state = kms.describe_key().key_id(&own).send().await.unwrap();
    assert_eq!(
        state.key_metadata().unwrap().key_state().unwrap().as_str(),
        "PendingDeletion"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn production_refuses_a_key_change_that_would_replace_its_data() {
    let em = Emulator::start();
    let cfg = em.sdk_config().await;
    let kms = aws_sdk_kms::Client::new(&cfg);
    let mut tf = Workdir::new(&installed_core("1.15.5"), em.endpoint());
    tf.set_env("MOSIA_POLL_SCALE", "0.01");
    let prod = |key: Option<&str>| {
        environment_scram("production", key, false)
            .replace(
                "  workload = {\n    orders = { namespace = \"shop\", msk = { topics = [\"orders.*\"] } }\n  }\n",
                "",
            )
            .replace(
                "  rds {\n    skip_final_snapshot = true\n    deletion_protection = false\n  }\n",
                "  rds {}\n",
            )
            .replace(
                "  eks {\n    addons                     = []\n    endpoint_public_access     = true\n    public_endpoint_acknowledged = true\n  }\n",
                "",
            )
    };
    tf.write("main.tf", &prod(None));
    tf.ok(&["init", "-input=false"]);
    tf.ok(&["apply", "-auto-approve", "-input=false"]);
    let mine = users_key(&kms).await;
    tf.write("main.tf", &prod(Some(&mine)));
    let refused = tf.expect(&["plan", "-input=false"], 1).combined();
    assert!(
        refused.contains("Changing the KMS key would replace a production data service"),
        "{refused}"
    );
    assert!(refused.contains("kms_key_arn"), "{refused}");
}
