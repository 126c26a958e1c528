//! The documents of a workload's role, generated from the environment's own ARNs: the
//! inline policy granting what the workload block asks and nothing else (never a `*`
//! resource), the trust policy (EKS Pod Identity or IRSA), and the connection settings.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::input::{CacheAccess, Identity, KafkaAccess, RdsAccess, WorkloadSpec};

/// The principal EKS Pod Identity assumes roles as.
pub const PODS_PRINCIPAL: &str = "pods.eks.amazonaws.com";
/// The audience of IRSA web identity tokens.
const STS_AUDIENCE: &str = "sts.amazonaws.com";

/// What the environment offers its workloads: the ARNs and endpoints of its parts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Targets {
    pub partition: String,
    pub region: String,
    pub account_id: String,
    pub cluster_name: String,
    /// The cluster's IAM OIDC provider and issuer URL (IRSA).
    pub oidc_provider_arn: Option<String>,
    pub oidc_issuer: Option<String>,
    pub rds: Option<RdsTarget>,
    pub cache: Option<CacheTarget>,
    pub msk: Option<MskTarget>,
    /// The customer-managed key the environment's secrets are encrypted with (None:
    /// Secrets Manager's AWS-managed key, which needs no grant).
    pub secrets_key_arn: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RdsTarget {
    pub secret_arn: Option<String>,
    /// `DbiResourceId`, the instance's part of `rds-db:connect` ARNs.
    pub resource_id: String,
    pub iam_auth: bool,
    pub endpoint: String,
    pub port: i32,
    pub database: String,
    pub master_username: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CacheTarget {
    pub group_arn: String,
    /// The workload's RBAC user (IAM authentication), when the cache has one for it.
    pub user: Option<(String, String)>,
    /// The AUTH token's secret (token authentication).
    pub token_secret_arn: Option<String>,
    pub endpoint: String,
    pub port: i32,
    pub tls: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MskTarget {
    pub cluster_arn: String,
    pub bootstrap_iam: Option<String>,
    /// SASL/SCRAM: the bootstrap brokers, and the workload's own secret.
    pub bootstrap_scram: Option<String>,
    pub scram_secret_arn: Option<String>,
}

impl Targets {
    /// Partition, region and account from an ARN of the environment (`arn:P:svc:R:A:...`).
    pub fn from_arn(arn: &str, cluster_name: &str) -> Targets {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let at = |i: usize| parts.get(i).copied().unwrap_or_default().to_string();
        Targets {
            partition: at(1),
            region: at(3),
            account_id: at(4),
            cluster_name: cluster_name.to_string(),
            ..Targets::default()
        }
    }
}

/// The statements a workload gets. Empty: the role has no inline policy.
pub fn policy_statements(name: &str, w: &WorkloadSpec, t: &Targets) -> Vec<Value> {
    let mut out = Vec::new();
    rds_statements(name, w, t, &mut out);
    cache_statements(w, t, &mut out);
    kafka_statements(w, t, &mut out);
    secrets_key_statement(t, &mut out);
    if !w.secrets_manager_arns.is_empty() {
        out.push(allow(
            "Secrets",
            &[
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
            ],
            w.secrets_manager_arns.clone(),
        ));
    }
    if !w.s3_buckets.is_empty() {
        let bucket = |b: &String| format!("arn:{}:s3:::{b}", t.partition);
        let objects = w.s3_buckets.iter().map(|b| format!("{}/*", bucket(b)));
        out.push(allow(
            "S3Objects",
            &["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            objects.collect(),
        ));
        let buckets = w.s3_buckets.iter().map(bucket).collect();
        out.push(allow("S3Buckets", &["s3:ListBucket"], buckets));
    }
    out
}

/// The inline policy document, None when the workload needs none.
pub fn policy_document(name: &str, w: &WorkloadSpec, t: &Targets) -> Option<Value> {
    let statements = policy_statements(name, w, t);
    (!statements.is_empty()).then(|| json!({ "Version": "2012-10-17", "Statement": statements }))
}

fn allow(sid: &str, actions: &[&str], resources: Vec<String>) -> Value {
    json!({ "Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources })
}

/// The statements that read secrets Mosia made (encrypted with the environment's key).
const MOSIA_SECRET_SIDS: [&str; 3] = ["DatabaseSecret", "CacheToken", "KafkaScram"];

/// kms:Decrypt on the environment's key, through Secrets Manager only, when the workload
/// reads a secret Mosia encrypted with it: Secrets Manager decrypts with the caller's
/// permissions (Secrets Manager User Guide, "Secret encryption and decryption").
fn secrets_key_statement(t: &Targets, out: &mut Vec<Value>) {
    let Some(key) = &t.secrets_key_arn else {
        return;
    };
    if !out
        .iter()
        .any(|s| MOSIA_SECRET_SIDS.iter().any(|sid| s["Sid"] == *sid))
    {
        return;
    }
    let mut statement = allow("SecretsKey", &["kms:Decrypt"], vec![key.clone()]);
    statement["Condition"] = json!({
        "StringEquals": { "kms:ViaService": format!("secretsmanager.{}.amazonaws.com", t.region) }
    });
    out.push(statement);
}

fn rds_statements(name: &str, w: &WorkloadSpec, t: &Targets, out: &mut Vec<Value>) {
    let Some(rds) = t.rds.as_ref().filter(|_| w.rds != RdsAccess::None) else {
        return;
    };
    if let Some(secret) = &rds.secret_arn {
        let actions = [
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
        ];
        out.push(allow("DatabaseSecret", &actions, vec![secret.clone()]));
    }
    if w.rds == RdsAccess::ReadWrite && rds.iam_auth && !rds.resource_id.is_empty() {
        let user = format!(
            "arn:{}:rds-db:{}:{}:dbuser:{}/{name}",
            t.partition, t.region, t.account_id, rds.resource_id
        );
        out.push(allow("DatabaseConnect", &["rds-db:connect"], vec![user]));
    }
}

fn cache_statements(w: &WorkloadSpec, t: &Targets, out: &mut Vec<Value>) {
    let Some(cache) = t
        .cache
        .as_ref()
        .filter(|_| w.elasticache != CacheAccess::None)
    else {
        return;
    };
    if let Some((_, user_arn)) = &cache.user {
        let resources = vec![cache.group_arn.clone(), user_arn.clone()];
        out.push(allow("CacheConnect", &["elasticache:Connect"], resources));
    }
    if let Some(secret) = &cache.token_secret_arn {
        let actions = [
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
        ];
        out.push(allow("CacheToken", &actions, vec![secret.clone()]));
    }
}

/// `arn:...:cluster/NAME/UUID` → (`arn:...:`, NAME, UUID).
fn kafka_cluster_parts(arn: &str) -> Option<(&str, &str, &str)> {
    let (prefix, rest) = arn.split_once(":cluster/")?;
    let (name, uuid) = rest.split_once('/')?;
    Some((prefix, name, uuid))
}

fn kafka_statements(w: &WorkloadSpec, t: &Targets, out: &mut Vec<Value>) {
    let (Some(access), Some(msk)) = (w.msk.as_ref(), t.msk.as_ref()) else {
        return;
    };
    let Some((prefix, cluster, uuid)) = kafka_cluster_parts(&msk.cluster_arn) else {
        return;
    };
    if let Some(secret) = &msk.scram_secret_arn {
        let actions = [
            "secretsmanager:GetSecretValue",
            "secretsmanager:DescribeSecret",
        ];
        out.push(allow("KafkaScram", &actions, vec![secret.clone()]));
    }
    let cluster_actions = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"];
    out.push(allow(
        "KafkaCluster",
        &cluster_actions,
        vec![msk.cluster_arn.clone()],
    ));
    let (read, write) = match access.access {
        KafkaAccess::Read => (true, false),
        KafkaAccess::Write => (false, true),
        KafkaAccess::ReadWrite => (true, true),
    };
    let mut topic_actions = vec!["kafka-cluster:DescribeTopic"];
    if read {
        topic_actions.push("kafka-cluster:ReadData");
    }
    if write {
        topic_actions.push("kafka-cluster:WriteData");
    }
    let arn_of = |kind: &str, p: &String| format!("{prefix}:{kind}/{cluster}/{uuid}/{p}");
    if !access.topics.is_empty() {
        let topics = access.topics.iter().map(|p| arn_of("topic", p)).collect();
        out.push(allow("KafkaTopics", &topic_actions, topics));
    }
    if read && !access.groups.is_empty() {
        let groups = access.groups.iter().map(|p| arn_of("group", p)).collect();
        let actions = ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"];
        out.push(allow("KafkaGroups", &actions, groups));
    }
}

/// The issuer as IAM names it in condition keys: the URL without `https://`.
fn issuer_host_path(issuer: &str) -> &str {
    issuer.strip_prefix("https://").unwrap_or(issuer)
}

/// The trust policy: EKS Pod Identity limited by its session tags to the environment's
/// cluster and the workload's namespace and service account, or the cluster's OIDC provider
/// for that service account only (IRSA). None when IRSA has no OIDC provider yet.
pub fn trust_policy(w: &WorkloadSpec, t: &Targets) -> Option<Value> {
    let statement = match w.identity {
        Identity::PodIdentity => json!({
            "Sid": "EksPodIdentity",
            "Effect": "Allow",
            "Principal": { "Service": PODS_PRINCIPAL },
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": { "StringEquals": {
                "aws:RequestTag/eks-cluster-name": t.cluster_name,
                "aws:RequestTag/kubernetes-namespace": w.namespace,
                "aws:RequestTag/kubernetes-service-account": w.service_account,
            }}
        }),
        Identity::Irsa => {
            let issuer = issuer_host_path(t.oidc_issuer.as_deref()?);
            json!({
                "Sid": "EksServiceAccount",
                "Effect": "Allow",
                "Principal": { "Federated": t.oidc_provider_arn.clone()? },
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": { "StringEquals": {
                    format!("{issuer}:sub"): format!("system:serviceaccount:{}:{}", w.namespace, w.service_account),
                    format!("{issuer}:aud"): STS_AUDIENCE,
                }}
            })
        }
    };
    Some(json!({ "Version": "2012-10-17", "Statement": [statement] }))
}

/// The environment variables an application needs for what it may reach (no secret value).
pub fn connection(name: &str, w: &WorkloadSpec, t: &Targets) -> BTreeMap<String, String> {
    let mut env = BTreeMap::from([("AWS_REGION".to_string(), t.region.clone())]);
    let mut put = |k: &str, v: String| {
        env.insert(k.to_string(), v);
    };
    if let Some(rds) = t.rds.as_ref().filter(|_| w.rds != RdsAccess::None) {
        put("PGHOST", rds.endpoint.clone());
        put("PGPORT", rds.port.to_string());
        put("PGDATABASE", rds.database.clone());
        let iam_user = w.rds == RdsAccess::ReadWrite && rds.iam_auth;
        put(
            "PGUSER",
            if iam_user {
                name.to_string()
            } else {
                rds.master_username.clone()
            },
        );
        if let Some(secret) = &rds.secret_arn {
            put("DB_SECRET_ARN", secret.clone());
        }
    }
    if let Some(cache) = t
        .cache
        .as_ref()
        .filter(|_| w.elasticache != CacheAccess::None)
    {
        let scheme = if cache.tls { "rediss" } else { "redis" };
        put(
            "REDIS_URL",
            format!("{scheme}://{}:{}", cache.endpoint, cache.port),
        );
        if let Some((user_id, _)) = &cache.user {
            put("REDIS_USER", user_id.clone());
        }
        if let Some(secret) = &cache.token_secret_arn {
            put("REDIS_AUTH_SECRET_ARN", secret.clone());
        }
    }
    if let (Some(_), Some(msk)) = (w.msk.as_ref(), t.msk.as_ref()) {
        if let (Some(brokers), Some(secret)) = (&msk.bootstrap_scram, &msk.scram_secret_arn) {
            put("KAFKA_SCRAM_BOOTSTRAP_SERVERS", brokers.clone());
            put("KAFKA_SCRAM_SECRET_ARN", secret.clone());
            put("KAFKA_BOOTSTRAP_SERVERS", brokers.clone());
            put("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512".to_string());
        }
        // IAM first when the cluster has both: no password to fetch.
        if let Some(brokers) = &msk.bootstrap_iam {
            put("KAFKA_BOOTSTRAP_SERVERS", brokers.clone());
            put("KAFKA_SASL_MECHANISM", "AWS_MSK_IAM".to_string());
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::workload::input::MskAccessSpec;

    pub(crate) fn targets(env: &str) -> Targets {
        let acct = "111122223333";
        Targets {
            partition: "aws".into(),
            region: "us-east-1".into(),
            account_id: acct.into(),
            cluster_name: format!("{env}-eks"),
            oidc_provider_arn: Some(format!(
                "arn:aws:iam::{acct}:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
            )),
            oidc_issuer: Some("https://oidc.eks.us-east-1.amazonaws.com/id/ABC".into()),
            secrets_key_arn: Some(format!("arn:aws:kms:us-east-1:{acct}:key/{env}-key")),
            rds: Some(RdsTarget {
                secret_arn: Some(format!(
                    "arn:aws:secretsmanager:us-east-1:{acct}:secret:rds!db-1-abc"
                )),
                resource_id: "db-ABC".into(),
                iam_auth: true,
                endpoint: format!("{env}-db.example"),
                port: 5432,
                database: "shop".into(),
                master_username: "mosia".into(),
            }),
            cache: Some(CacheTarget {
                group_arn: format!(
                    "arn:aws:elasticache:us-east-1:{acct}:replicationgroup:{env}-cache"
                ),
                user: Some((
                    format!("{env}-wl-orders"),
                    format!("arn:aws:elasticache:us-east-1:{acct}:user:{env}-wl-orders"),
                )),
                token_secret_arn: None,
                endpoint: "master.cache.example".into(),
                port: 6379,
                tls: true,
            }),
            msk: Some(MskTarget {
                cluster_arn: format!("arn:aws:kafka:us-east-1:{acct}:cluster/{env}-kafka/uuid-1"),
                bootstrap_iam: Some("b-1.kafka.example:9098".into()),
                bootstrap_scram: None,
                scram_secret_arn: None,
            }),
        }
    }

    fn full_workload() -> WorkloadSpec {
        WorkloadSpec {
            rds: RdsAccess::ReadWrite,
            elasticache: CacheAccess::ReadWrite,
            msk: Some(MskAccessSpec {
                topics: vec!["orders.*".into()],
                groups: vec!["orders-*".into()],
                access: KafkaAccess::ReadWrite,
            }),
            secrets_manager_arns: vec![
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:x".into()
            ],
            s3_buckets: vec!["orders-exports".into()],
            ..WorkloadSpec::new("shop", "orders")
        }
    }

    /// Every workload shape the block allows.
    fn every_workload() -> Vec<WorkloadSpec> {
        let mut all = vec![];
        for rds in [RdsAccess::None, RdsAccess::ReadSecret, RdsAccess::ReadWrite] {
            for cache in [
                CacheAccess::None,
                CacheAccess::ReadOnly,
                CacheAccess::ReadWrite,
            ] {
                for access in [
                    KafkaAccess::Read,
                    KafkaAccess::Write,
                    KafkaAccess::ReadWrite,
                ] {
                    let mut w = full_workload();
                    w.rds = rds;
                    w.elasticache = cache;
                    w.msk.as_mut().unwrap().access = access;
                    all.push(w);
                }
            }
        }
        all
    }

    #[test]
    fn no_generated_statement_grants_a_star_resource_or_action() {
        for w in every_workload() {
            for s in policy_statements("orders", &w, &targets("mosia-test")) {
                for r in s["Resource"].as_array().unwrap() {
                    let r = r.as_str().unwrap();
                    assert!(r.starts_with("arn:aws:"), "{r}");
                    assert!(!r.contains(":*") && r != "*", "{s}");
                }
                for a in s["Action"].as_array().unwrap() {
                    assert!(!a.as_str().unwrap().contains('*'), "{s}");
                }
            }
        }
    }

    #[test]
    fn the_policy_names_the_environments_own_arns_by_access_level() {
        let t = targets("mosia-test");
        let doc = policy_document("orders", &full_workload(), &t).unwrap();
        let by_sid = |sid: &str| {
            doc["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["Sid"] == sid)
                .cloned()
        };
        assert_eq!(
            by_sid("DatabaseConnect").unwrap()["Resource"][0],
            "arn:aws:rds-db:us-east-1:111122223333:dbuser:db-ABC/orders"
        );
        assert_eq!(
            by_sid("KafkaTopics").unwrap()["Resource"][0],
            "arn:aws:kafka:us-east-1:111122223333:topic/mosia-test-kafka/uuid-1/orders.*"
        );
        assert_eq!(
            by_sid("KafkaGroups").unwrap()["Resource"][0],
            "arn:aws:kafka:us-east-1:111122223333:group/mosia-test-kafka/uuid-1/orders-*"
        );
        assert_eq!(
            by_sid("CacheConnect").unwrap()["Resource"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // read_secret: the secret only; write-only Kafka: no ReadData, no group.
        let mut w = full_workload();
        w.rds = RdsAccess::ReadSecret;
        w.msk.as_mut().unwrap().access = KafkaAccess::Write;
        let statements = policy_statements("orders", &w, &t);
        assert!(!statements.iter().any(|s| s["Sid"] == "DatabaseConnect"));
        assert!(!statements.iter().any(|s| s["Sid"] == "KafkaGroups"));
        let topics = statements
            .iter()
            .find(|s| s["Sid"] == "KafkaTopics")
            .unwrap();
        assert_eq!(
            topics["Action"],
            json!(["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"])
        );
        // Nothing asked: no policy.
        assert!(policy_document("idle", &WorkloadSpec::new("shop", "idle"), &t).is_none());
    }

    #[test]
    fn trust_is_limited_to_the_service_account() {
        let t = targets("mosia-test");
        let mut w = full_workload();
        let pod = trust_policy(&w, &t).unwrap();
        let cond = &pod["Statement"][0]["Condition"]["StringEquals"];
        assert_eq!(cond["aws:RequestTag/kubernetes-namespace"], "shop");
        assert_eq!(cond["aws:RequestTag/kubernetes-service-account"], "orders");
        assert_eq!(cond["aws:RequestTag/eks-cluster-name"], "mosia-test-eks");
        w.identity = Identity::Irsa;
        let irsa = trust_policy(&w, &t).unwrap();
        let cond = &irsa["Statement"][0]["Condition"]["StringEquals"];
        assert_eq!(
            cond["oidc.eks.us-east-1.amazonaws.com/id/ABC:sub"],
            "system:serviceaccount:shop:orders"
        );
        assert_eq!(
            cond["oidc.eks.us-east-1.amazonaws.com/id/ABC:aud"],
            "sts.amazonaws.com"
        );
        let no_oidc = Targets {
            oidc_issuer: None,
            ..t
        };
        assert!(trust_policy(&w, &no_oidc).is_none());
    }

    #[test]
    fn connection_settings_follow_access_and_hold_no_secret() {
        let t = targets("mosia-test");
        let c = connection("orders", &full_workload(), &t);
        assert_eq!(c["PGUSER"], "orders", "IAM database user");
        assert_eq!(c["REDIS_URL"], "rediss://master.cache.example:6379");
        assert_eq!(c["KAFKA_SASL_MECHANISM"], "AWS_MSK_IAM");
        let c = connection("idle", &WorkloadSpec::new("shop", "idle"), &t);
        assert_eq!(c.keys().collect::<Vec<_>>(), ["AWS_REGION"]);
    }

    #[test]
    fn secrets_mosia_encrypted_are_decrypted_through_secrets_manager_only() {
        let t = targets("shop");
        let reads = WorkloadSpec {
            rds: RdsAccess::ReadSecret,
            ..WorkloadSpec::new("shop", "orders")
        };
        let statements = policy_statements("orders", &reads, &t);
        let key = statements
            .iter()
            .find(|s| s["Sid"] == "SecretsKey")
            .expect("kms:Decrypt on the environment's key");
        assert_eq!(key["Action"], json!(["kms:Decrypt"]));
        assert_eq!(
            key["Resource"],
            json!(["arn:aws:kms:us-east-1:111122223333:key/shop-key"])
        );
        assert_eq!(
            key["Condition"]["StringEquals"]["kms:ViaService"],
            "secretsmanager.us-east-1.amazonaws.com"
        );
        // No secret of Mosia's read: no key either.
        let none = policy_statements("web", &WorkloadSpec::new("web", "web"), &t);
        assert!(!none.iter().any(|s| s["Sid"] == "SecretsKey"));
    }

    #[test]
    fn a_scram_user_reads_its_own_secret_and_connects_with_scram_when_iam_is_off() {
        let mut t = targets("shop");
        let secret =
            "arn:aws:secretsmanager:us-east-1:111122223333:secret:AmazonMSK_shop-wl-orders-AbCdEf";
        if let Some(m) = t.msk.as_mut() {
            m.bootstrap_iam = None;
            m.bootstrap_scram = Some("b-1.kafka.example:9096".into());
            m.scram_secret_arn = Some(secret.into());
        }
        let w = full_workload();
        let statements = policy_statements("orders", &w, &t);
        let scram = statements
            .iter()
            .find(|s| s["Sid"] == "KafkaScram")
            .expect("its own SCRAM secret");
        assert_eq!(scram["Resource"], json!([secret]));
        assert!(statements.iter().any(|s| s["Sid"] == "SecretsKey"));
        let c = connection("orders", &w, &t);
        assert_eq!(c["KAFKA_SASL_MECHANISM"], "SCRAM-SHA-512");
        assert_eq!(c["KAFKA_BOOTSTRAP_SERVERS"], "b-1.kafka.example:9096");
        assert_eq!(c["KAFKA_SCRAM_SECRET_ARN"], secret);
        // With IAM on too, IAM is the default mechanism; SCRAM stays available.
        if let Some(m) = t.msk.as_mut() {
            m.bootstrap_iam = Some("b-1.kafka.example:9098".into());
        }
        let c = connection("orders", &w, &t);
        assert_eq!(c["KAFKA_SASL_MECHANISM"], "AWS_MSK_IAM");
        assert_eq!(c["KAFKA_SCRAM_BOOTSTRAP_SERVERS"], "b-1.kafka.example:9096");
    }
}
