//! The environment's key against mocked KMS answers: create, adopt, adoption of a key
//! pending deletion, refusal of a key that is not ours, delete.

use std::sync::{Arc, Mutex};

use aws_sdk_kms::operation::cancel_key_deletion::CancelKeyDeletionOutput;
use aws_sdk_kms::operation::create_alias::CreateAliasOutput;
use aws_sdk_kms::operation::create_key::CreateKeyOutput;
use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
use aws_sdk_kms::operation::enable_key::EnableKeyOutput;
use aws_sdk_kms::operation::enable_key_rotation::EnableKeyRotationOutput;
use aws_sdk_kms::operation::get_key_policy::GetKeyPolicyOutput;
use aws_sdk_kms::operation::get_key_rotation_status::GetKeyRotationStatusOutput;
use aws_sdk_kms::operation::list_resource_tags::ListResourceTagsOutput;
use aws_sdk_kms::operation::put_key_policy::PutKeyPolicyOutput;
use aws_sdk_kms::operation::schedule_key_deletion::ScheduleKeyDeletionOutput;
use aws_sdk_kms::operation::tag_resource::TagResourceOutput;
use aws_sdk_kms::types::error::NotFoundException;
use aws_smithy_mocks::{mock, Rule};

use super::*;
use crate::aws::{testing, AwsContext};

const ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

fn env(rules: &[&Rule]) -> PartEnv {
    testing::env(AwsContext::offline().with_kms(crate::mock_client!(aws_sdk_kms, rules: rules)))
}

fn metadata(state: KeyState) -> KeyMetadata {
    KeyMetadata::builder()
        .key_id(KEY_ID)
        .arn(ARN)
        .key_state(state)
        .key_spec(KeySpec::SymmetricDefault)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .build()
        .unwrap()
}

fn describing(state: KeyState) -> Rule {
    mock!(aws_sdk_kms::Client::describe_key)
        .match_requests(|r| r.key_id() == Some("alias/mosia-test"))
        .then_output(move || {
            DescribeKeyOutput::builder()
                .key_metadata(metadata(state.clone()))
                .build()
        })
}

fn missing() -> Rule {
    mock!(aws_sdk_kms::Client::describe_key).then_error(|| {
        DescribeKeyError::NotFoundException(
            NotFoundException::builder()
                .message(
                    "Alias arn:aws:kms:us-east-1:123456789012:alias/mosia-test-eks is not found.",
                )
                .build(),
        )
    })
}

/// ListResourceTags answering `tags` (the test environment's ownership tags by default).
fn tagged(tags: BTreeMap<String, String>) -> Rule {
    mock!(aws_sdk_kms::Client::list_resource_tags).then_output(move || {
        ListResourceTagsOutput::builder()
            .set_tags(Some(kms_tags(&tags).unwrap()))
            .truncated(false)
            .build()
    })
}

fn ours() -> BTreeMap<String, String> {
    testing::env(AwsContext::offline()).tags_for(PART)
}

fn rotation(on: bool) -> Rule {
    mock!(aws_sdk_kms::Client::get_key_rotation_status).then_output(move || {
        GetKeyRotationStatusOutput::builder()
            .key_rotation_enabled(on)
            .build()
    })
}

fn enable_rotation() -> Rule {
    mock!(aws_sdk_kms::Client::enable_key_rotation)
        .then_output(|| EnableKeyRotationOutput::builder().build())
}

fn schedule() -> Rule {
    mock!(aws_sdk_kms::Client::schedule_key_deletion)
        .match_requests(|r| r.pending_window_in_days() == Some(7))
        .then_output(|| ScheduleKeyDeletionOutput::builder().build())
}

/// GetKeyPolicy answering `policy` (KMS's default policy when None).
fn policy_of(policy: Option<serde_json::Value>) -> Rule {
    let text = policy.map_or_else(
        || r#"{"Version":"2012-10-17","Id":"key-default-1","Statement":[]}"#.to_string(),
        |p| p.to_string(),
    );
    mock!(aws_sdk_kms::Client::get_key_policy)
        .then_output(move || GetKeyPolicyOutput::builder().policy(text.clone()).build())
}

fn policy_put() -> Rule {
    mock!(aws_sdk_kms::Client::put_key_policy)
        .match_requests(|r| {
            r.policy()
                .is_some_and(|p| p.contains("logs.us-east-1.amazonaws.com") && p.contains(":root"))
        })
        .then_output(|| PutKeyPolicyOutput::builder().build())
}

#[tokio::test]
async fn a_key_made_for_eks_alone_is_adopted_aliased_and_retagged() {
    let new_alias_missing = mock!(aws_sdk_kms::Client::describe_key)
        .match_requests(|r| r.key_id() == Some("alias/mosia-test"))
        .then_error(|| {
            DescribeKeyError::NotFoundException(NotFoundException::builder().message("no").build())
        });
    let legacy = mock!(aws_sdk_kms::Client::describe_key)
        .match_requests(|r| r.key_id() == Some("alias/mosia-test-eks"))
        .then_output(|| {
            DescribeKeyOutput::builder()
                .key_metadata(metadata(KeyState::Enabled))
                .build()
        });
    let tags_of = tagged(testing::env(AwsContext::offline()).tags_for("eks"));
    let alias = mock!(aws_sdk_kms::Client::create_alias)
        .match_requests(|r| {
            r.alias_name() == Some("alias/mosia-test") && r.target_key_id() == Some(KEY_ID)
        })
        .then_output(|| CreateAliasOutput::builder().build());
    let retag = mock!(aws_sdk_kms::Client::tag_resource)
        .match_requests(|r| {
            r.tags()
                .iter()
                .any(|t| t.tag_key() == "mosia:part" && t.tag_value() == "kms")
        })
        .then_output(|| TagResourceOutput::builder().build());
    let (status, get, put) = (rotation(true), policy_of(None), policy_put());
    let env = env(&[
        &new_alias_missing,
        &legacy,
        &tags_of,
        &alias,
        &retag,
        &status,
        &get,
        &put,
    ]);
    let key = ensure_key(&env).await.unwrap();
    assert_eq!(key.arn, ARN, "the cluster keeps the key it encrypts with");
    assert_eq!((alias.num_calls(), retag.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_missing_key_is_created_symmetric_tagged_aliased_and_rotating() {
    let describe = missing();
    let sent = Arc::new(Mutex::new(Vec::new()));
    let seen = sent.clone();
    let create = mock!(aws_sdk_kms::Client::create_key).then_compute_output(move |req| {
        seen.lock().unwrap().push(req.clone());
        CreateKeyOutput::builder()
            .key_metadata(metadata(KeyState::Enabled))
            .build()
    });
    let alias = mock!(aws_sdk_kms::Client::create_alias)
        .match_requests(|r| {
            r.alias_name() == Some("alias/mosia-test") && r.target_key_id() == Some(KEY_ID)
        })
        .then_output(|| CreateAliasOutput::builder().build());
    let (status, enable) = (rotation(false), enable_rotation());
    let (get, put) = (policy_of(None), policy_put());
    let env = env(&[&describe, &create, &alias, &status, &enable, &get, &put]);
    let key = ensure_key(&env).await.unwrap();
    assert_eq!(key.arn, ARN);
    assert_eq!(key.alias, "alias/mosia-test");
    assert!(key.rotation_enabled);
    assert_eq!((alias.num_calls(), enable.num_calls()), (1, 1));
    assert_eq!(put.num_calls(), 1, "the key policy lets CloudWatch Logs in");
    let req = sent.lock().unwrap()[0].clone();
    assert_eq!(req.key_usage(), Some(&KeyUsageType::EncryptDecrypt));
    assert_eq!(req.key_spec(), Some(&KeySpec::SymmetricDefault));
    let desc = req.description().unwrap_or_default();
    assert!(desc.contains("Mosia environment mosia-test"), "{desc}");
    let tags = tags::from_pairs(
        req.tags()
            .iter()
            .map(|t| (Some(t.tag_key()), Some(t.tag_value()))),
    );
    assert_eq!(tags, ours(), "ownership and user tags");
}

#[tokio::test]
async fn an_owned_enabled_rotating_key_is_adopted_without_a_change() {
    let (describe, tags_of, status) = (
        describing(KeyState::Enabled),
        tagged(ours()),
        rotation(true),
    );
    let create =
        mock!(aws_sdk_kms::Client::create_key).then_output(|| CreateKeyOutput::builder().build());
    let (enable, schedule) = (enable_rotation(), schedule());
    let (get, put) = (policy_of(policy::key_policy(&env(&[]), ARN)), policy_put());
    let env = env(&[
        &describe, &tags_of, &status, &create, &enable, &schedule, &get, &put,
    ]);
    let key = ensure_key(&env).await.unwrap();
    assert_eq!((key.arn.as_str(), key.state.as_str()), (ARN, "Enabled"));
    assert_eq!(
        (
            create.num_calls(),
            enable.num_calls(),
            schedule.num_calls(),
            put.num_calls()
        ),
        (0, 0, 0, 0)
    );
}

#[tokio::test]
async fn a_key_pending_deletion_is_brought_back_cancelled_then_enabled() {
    let (describe, tags_of, status) = (
        describing(KeyState::PendingDeletion),
        tagged(ours()),
        rotation(true),
    );
    let order = Arc::new(Mutex::new(Vec::new()));
    let (a, b) = (order.clone(), order.clone());
    let cancel = mock!(aws_sdk_kms::Client::cancel_key_deletion).then_compute_output(move |r| {
        a.lock()
            .unwrap()
            .push(format!("cancel {}", r.key_id().unwrap_or_default()));
        CancelKeyDeletionOutput::builder().build()
    });
    let enable = mock!(aws_sdk_kms::Client::enable_key).then_compute_output(move |r| {
        b.lock()
            .unwrap()
            .push(format!("enable {}", r.key_id().unwrap_or_default()));
        EnableKeyOutput::builder().build()
    });
    let create =
        mock!(aws_sdk_kms::Client::create_key).then_output(|| CreateKeyOutput::builder().build());
    let (get, put) = (policy_of(None), policy_put());
    let env = env(&[
        &describe, &tags_of, &status, &cancel, &enable, &create, &get, &put,
    ]);
    let key = ensure_key(&env).await.unwrap();
    assert_eq!(key.arn, ARN, "the same key: its secrets stay readable");
    assert_eq!(
        *order.lock().unwrap(),
        [format!("cancel {KEY_ID}"), format!("enable {KEY_ID}")]
    );
    assert_eq!(create.num_calls(), 0);
}

#[tokio::test]
async fn a_key_of_another_environment_behind_the_alias_is_refused() {
    let mut foreign = ours();
    foreign.insert("mosia:environment".into(), "someone-else".into());
    let (describe, tags_of) = (describing(KeyState::Enabled), tagged(foreign));
    let enable = enable_rotation();
    let env = env(&[&describe, &tags_of, &enable]);
    let err = ensure_key(&env).await.unwrap_err();
    assert_eq!(err.part, "kms");
    assert!(
        err.detail.contains("belongs to environment `someone-else`"),
        "{}",
        err.detail
    );
    assert_eq!(enable.num_calls(), 0);
}

#[tokio::test]
async fn an_asymmetric_key_behind_the_alias_is_refused() {
    let describe = mock!(aws_sdk_kms::Client::describe_key).then_output(|| {
        let mut k = metadata(KeyState::Enabled);
        k.key_spec = Some(KeySpec::Rsa2048);
        DescribeKeyOutput::builder().key_metadata(k).build()
    });
    let tags_of = tagged(ours());
    let env = env(&[&describe, &tags_of]);
    let err = ensure_key(&env).await.unwrap_err();
    assert!(err.detail.contains("RSA_2048"), "{}", err.detail);
}

#[tokio::test]
async fn delete_schedules_the_deletion_in_7_days_and_keeps_the_alias() {
    let (describe, tags_of, schedule) = (describing(KeyState::Enabled), tagged(ours()), schedule());
    let env = env(&[&describe, &tags_of, &schedule]);
    delete_key(&env).await.unwrap();
    assert_eq!(schedule.num_calls(), 1);
}

#[tokio::test]
async fn delete_leaves_a_key_pending_deletion_missing_or_not_ours_alone() {
    let schedule_rule = schedule();
    let pending = describing(KeyState::PendingDeletion);
    delete_key(&env(&[&pending, &schedule_rule])).await.unwrap();
    let gone = missing();
    delete_key(&env(&[&gone, &schedule_rule])).await.unwrap();
    let (enabled, foreign) = (
        describing(KeyState::Enabled),
        tagged(BTreeMap::from([("team".into(), "x".into())])),
    );
    delete_key(&env(&[&enabled, &foreign, &schedule_rule]))
        .await
        .unwrap();
    assert_eq!(schedule_rule.num_calls(), 0);
}

#[tokio::test]
async fn read_reports_the_state_and_skips_rotation_of_a_key_pending_deletion() {
    let (describe, tags_of) = (describing(KeyState::PendingDeletion), tagged(ours()));
    let status = rotation(true);
    let env = env(&[&describe, &tags_of, &status]);
    let key = read_key(&env).await.unwrap().expect("the key");
    assert_eq!(key.state, "PendingDeletion");
    assert!(!key.rotation_enabled);
    assert_eq!(status.num_calls(), 0, "KMS refuses it on such a key");
    let gone = missing();
    assert_eq!(read_key(&self::env(&[&gone])).await.unwrap(), None);
}
