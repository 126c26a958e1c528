//! The cluster's access, upgrade policy, encryption and log group settings against mocked
//! EKS and CloudWatch Logs: what CreateCluster sends, the log group before the cluster, the
//! in-place moves, and the refusals of what EKS cannot do.

use std::sync::{Arc, Mutex};

use aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupOutput;
use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
use aws_sdk_cloudwatchlogs::operation::put_retention_policy::PutRetentionPolicyOutput;
use aws_sdk_eks::operation::associate_encryption_config::AssociateEncryptionConfigOutput;
use aws_sdk_eks::operation::create_cluster::CreateClusterOutput;
use aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput;
use aws_sdk_eks::operation::update_cluster_config::UpdateClusterConfigOutput;
use aws_sdk_eks::types::error::ResourceNotFoundException;
use aws_sdk_eks::types::{
    AccessConfigResponse, AuthenticationMode as EksMode, Update, UpdateStatus,
    UpgradePolicyResponse,
};
use aws_smithy_mocks::{mock, Rule};

use super::super::test_support::{cluster, env, iam, net, owned_tags, spec};
use super::*;

const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// The calls made, in order, across services.
type Calls = Arc<Mutex<Vec<String>>>;

fn done() -> Update {
    Update::builder()
        .id("u-1")
        .status(UpdateStatus::Successful)
        .build()
}

fn not_found() -> DescribeClusterError {
    DescribeClusterError::ResourceNotFoundException(
        ResourceNotFoundException::builder()
            .message("No cluster found for name: mosia-test-eks.")
            .build(),
    )
}

/// CloudWatch Logs without the log group: it is created, then given its retention.
fn logs_creating(calls: &Calls) -> Vec<Rule> {
    let (a, b) = (calls.clone(), calls.clone());
    vec![
        mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
            .then_output(|| DescribeLogGroupsOutput::builder().build()),
        mock!(aws_sdk_cloudwatchlogs::Client::create_log_group).then_compute_output(move |r| {
            a.lock().unwrap().push(format!(
                "CreateLogGroup {}",
                r.log_group_name().unwrap_or_default()
            ));
            CreateLogGroupOutput::builder().build()
        }),
        mock!(aws_sdk_cloudwatchlogs::Client::put_retention_policy).then_compute_output(move |r| {
            b.lock().unwrap().push(format!(
                "PutRetentionPolicy {}",
                r.retention_in_days().unwrap_or_default()
            ));
            PutRetentionPolicyOutput::builder().build()
        }),
    ]
}

#[tokio::test]
async fn create_sends_access_upgrade_policy_encryption_and_no_self_managed_addons_after_the_log_group(
) {
    let calls = Calls::default();
    let describe = mock!(aws_sdk_eks::Client::describe_cluster)
        .sequence()
        .error(not_found)
        .output(|| {
            let mut c = cluster(ClusterStatus::Active, owned_tags());
            c.access_config = Some(
                AccessConfigResponse::builder()
                    .authentication_mode(EksMode::Api)
                    .bootstrap_cluster_creator_admin_permissions(false)
                    .build(),
            );
            c.upgrade_policy = Some(
                UpgradePolicyResponse::builder()
                    .support_type(aws_sdk_eks::types::SupportType::Standard)
                    .build(),
            );
            c.encryption_config = Some(vec![secrets_encryption(KEY)]);
            DescribeClusterOutput::builder().cluster(c).build()
        })
        .repeatedly()
        .build();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let (seen, log) = (sent.clone(), calls.clone());
    let create = mock!(aws_sdk_eks::Client::create_cluster).then_compute_output(move |req| {
        log.lock().unwrap().push("CreateCluster".into());
        seen.lock().unwrap().push(req.clone());
        CreateClusterOutput::builder().build()
    });
    let update = mock!(aws_sdk_eks::Client::update_cluster_config)
        .then_output(|| UpdateClusterConfigOutput::builder().update(done()).build());
    let logs = logs_creating(&calls);
    let logs: Vec<&Rule> = logs.iter().collect();
    let env = crate::aws::testing::env(
        crate::aws::AwsContext::offline()
            .with_eks(crate::mock_client!(
                aws_sdk_eks,
                [&describe, &create, &update]
            ))
            .with_logs(crate::mock_client!(aws_sdk_cloudwatchlogs, rules: &logs)),
    );
    let mut want = spec();
    want.authentication_mode = AuthenticationMode::Api;
    want.creator_admin = false;
    want.support_type = SupportType::Standard;
    want.secrets_encryption = true;
    want.log_retention_days = 90;
    let state = ensure_cluster(&env, &want, &net(), &iam(), Some(KEY))
        .await
        .unwrap();
    assert_eq!(
        *calls.lock().unwrap(),
        [
            "CreateLogGroup /aws/eks/mosia-test-eks/cluster",
            "PutRetentionPolicy 90",
            "CreateCluster"
        ],
        "the log group and its retention exist before EKS could create it without one"
    );
    let req = sent.lock().unwrap()[0].clone();
    let access = req.access_config().expect("accessConfig");
    assert_eq!(access.authentication_mode(), Some(&EksMode::Api));
    assert_eq!(
        access.bootstrap_cluster_creator_admin_permissions(),
        Some(false)
    );
    assert_eq!(req.bootstrap_self_managed_addons(), Some(false));
    assert_eq!(
        req.upgrade_policy().and_then(|u| u.support_type()),
        Some(&aws_sdk_eks::types::SupportType::Standard)
    );
    #[allow(deprecated)]
    let resources = req.encryption_config()[0].resources().to_vec();
    assert_eq!(resources, ["secrets"]);
    assert_eq!(
        req.encryption_config()[0]
            .provider()
            .and_then(|p| p.key_arn()),
        Some(KEY)
    );
    assert_eq!(update.num_calls(), 0, "created as wanted");
    assert_eq!(state.authentication_mode, "API");
    assert_eq!(state.support_type, "STANDARD");
    assert_eq!(state.encryption_key_arn.as_deref(), Some(KEY));
    assert_eq!(state.creator_admin, Some(false));
    assert_eq!(state.log_retention_days, Some(90));
}

#[test]
fn the_users_key_wins_and_encryption_without_any_key_is_refused() {
    let mut want = spec();
    want.secrets_encryption = true;
    want.kms_key_arn = Some("arn:aws:kms:us-east-1:1:key/mine".into());
    let d = desired_cluster(&want, &net(), Some(KEY)).ok().unwrap();
    assert_eq!(
        d.encryption_key_arn.as_deref(),
        Some("arn:aws:kms:us-east-1:1:key/mine")
    );
    want.kms_key_arn = None;
    let d = desired_cluster(&want, &net(), Some(KEY)).ok().unwrap();
    assert_eq!(d.encryption_key_arn.as_deref(), Some(KEY));
    let err = desired_cluster(&want, &net(), None).err().unwrap();
    assert!(err.detail.contains("part kms"), "{}", err.detail);
    want.secrets_encryption = false;
    let d = desired_cluster(&want, &net(), Some(KEY)).ok().unwrap();
    assert_eq!(d.encryption_key_arn, None);
}

/// A cluster whose settings the mocked updates change, as EKS applies them.
#[derive(Clone)]
struct Fake(Arc<Mutex<Cluster>>);

impl Fake {
    fn new(mode: EksMode) -> Fake {
        let mut c = cluster(ClusterStatus::Active, owned_tags());
        c.access_config = Some(
            AccessConfigResponse::builder()
                .authentication_mode(mode)
                .build(),
        );
        Fake(Arc::new(Mutex::new(c)))
    }

    fn rules(&self, calls: &Calls) -> Vec<Rule> {
        let (f, g, h) = (self.clone(), self.clone(), self.clone());
        let (a, b) = (calls.clone(), calls.clone());
        vec![
            mock!(aws_sdk_eks::Client::describe_cluster).then_compute_output(move |_| {
                DescribeClusterOutput::builder()
                    .cluster(f.0.lock().unwrap().clone())
                    .build()
            }),
            mock!(aws_sdk_eks::Client::update_cluster_config).then_compute_output(move |r| {
                let mut c = g.0.lock().unwrap();
                if let Some(m) = r.access_config().and_then(|a| a.authentication_mode()) {
                    a.lock().unwrap().push(format!("mode {}", m.as_str()));
                    c.access_config = Some(
                        AccessConfigResponse::builder()
                            .authentication_mode(m.clone())
                            .build(),
                    );
                }
                if let Some(t) = r.upgrade_policy().and_then(|u| u.support_type()) {
                    a.lock().unwrap().push(format!("support {}", t.as_str()));
                    c.upgrade_policy = Some(
                        UpgradePolicyResponse::builder()
                            .support_type(t.clone())
                            .build(),
                    );
                }
                UpdateClusterConfigOutput::builder().update(done()).build()
            }),
            mock!(aws_sdk_eks::Client::associate_encryption_config).then_compute_output(move |r| {
                let key = r.encryption_config()[0]
                    .provider()
                    .and_then(|p| p.key_arn())
                    .unwrap_or_default()
                    .to_string();
                b.lock().unwrap().push(format!("encrypt {key}"));
                h.0.lock().unwrap().encryption_config = Some(vec![secrets_encryption(&key)]);
                AssociateEncryptionConfigOutput::builder()
                    .update(done())
                    .build()
            }),
        ]
    }
}

async fn converge(
    fake: &Fake,
    want: &EksSpec,
    key: Option<&str>,
) -> (Result<EksClusterState, PartError>, Vec<String>) {
    let calls = Calls::default();
    let rules = fake.rules(&calls);
    let rules: Vec<&Rule> = rules.iter().collect();
    let env = env(&rules);
    let out = ensure_cluster(&env, want, &net(), &iam(), key).await;
    let calls = calls.lock().unwrap().clone();
    (out, calls)
}

#[tokio::test]
async fn the_mode_moves_towards_api_one_step_per_update_then_policy_and_encryption() {
    let fake = Fake::new(EksMode::ConfigMap);
    let mut want = spec();
    want.authentication_mode = AuthenticationMode::Api;
    want.support_type = SupportType::Standard;
    want.secrets_encryption = true;
    let (state, calls) = converge(&fake, &want, Some(KEY)).await;
    let state = state.unwrap();
    assert_eq!(
        calls,
        [
            "mode API_AND_CONFIG_MAP".to_string(),
            "mode API".into(),
            "support STANDARD".into(),
            format!("encrypt {KEY}")
        ]
    );
    assert_eq!(
        (
            state.authentication_mode.as_str(),
            state.support_type.as_str()
        ),
        ("API", "STANDARD")
    );
    assert_eq!(state.encryption_key_arn.as_deref(), Some(KEY));
    // Converged: the next run sends nothing.
    let (_, calls) = converge(&fake, &want, Some(KEY)).await;
    assert!(calls.is_empty(), "{calls:?}");
}

#[tokio::test]
async fn a_mode_back_from_api_or_encryption_removed_or_rekeyed_is_refused_before_any_change() {
    let fake = Fake::new(EksMode::Api);
    let mut want = spec();
    want.support_type = SupportType::Standard; // would be an update
    let (err, calls) = converge(&fake, &want, None).await;
    let err = err.unwrap_err();
    assert!(
        err.detail.contains("authentication mode is API") && err.detail.contains("never back"),
        "{}",
        err.detail
    );
    assert!(calls.is_empty(), "nothing sent: {calls:?}");

    fake.0.lock().unwrap().encryption_config = Some(vec![secrets_encryption(KEY)]);
    want.authentication_mode = AuthenticationMode::Api;
    let (err, calls) = converge(&fake, &want, None).await;
    let err = err.unwrap_err();
    assert!(
        err.detail.contains("cannot turn secrets encryption off"),
        "{}",
        err.detail
    );
    assert!(calls.is_empty(), "{calls:?}");

    want.secrets_encryption = true;
    want.kms_key_arn = Some("arn:aws:kms:us-east-1:1:key/other".into());
    let (err, _) = converge(&fake, &want, None).await;
    let err = err.unwrap_err();
    assert!(
        err.detail.contains("cannot change the key"),
        "{}",
        err.detail
    );
}

#[test]
fn next_modes_go_one_step_towards_api() {
    use AuthenticationMode::*;
    assert_eq!(
        cluster_update::next_mode(ConfigMap, Api),
        Some(ApiAndConfigMap)
    );
    assert_eq!(cluster_update::next_mode(ApiAndConfigMap, Api), Some(Api));
    assert_eq!(cluster_update::next_mode(Api, Api), None);
    assert_eq!(cluster_update::next_mode(Api, ApiAndConfigMap), None);
}
