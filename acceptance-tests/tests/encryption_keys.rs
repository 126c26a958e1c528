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
//! - production refuses a key change that would replace its data.

use mosia_acceptance_tests::emulator::Emulator;
use mosia_acceptance_tests::terraform::{
    installed_core, resource_values, Workdir, MOSIA_US_EAST_1,
};

const ADDR: &str = "mosia_environment.this";
const NAME: &str = "mosia-acc-keys";

fn environment(tier: &str, kms_key_arn: Option<&str>) -> String {
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
    let state = kms.describe_key().key_id(&own).send().await.unwrap();
    assert_eq!(
        state.key_metadata().unwrap().key_state().unwrap().as_str(),
        "Enabled",
        "the cluster still encrypts with it"
    );

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
        environment("production", key)
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
