//! The environment's own KMS key ([`PartId::Kms`]): a symmetric `ENCRYPT_DECRYPT` key with
//! yearly rotation, Mosia's ownership tags and the alias `alias/NAME`, by which it is found.
//! It encrypts the data services at rest (RDS storage, ElastiCache, MSK volumes), the
//! secrets Mosia creates, the log groups Mosia creates and Kubernetes secrets.
//!
//! - [`ensure_key`] adopts the key behind the alias when its tags say it is this
//!   environment's (refuses it otherwise), creates key and alias when there is none, and
//!   converges it: enabled, rotation on, tags, key policy. A key pending deletion (a
//!   destroyed environment created again within the waiting period) gets its deletion
//!   cancelled and is enabled again, so what it encrypted stays readable.
//! - The key policy lets the account administer the key through IAM (KMS's default
//!   statement) and lets CloudWatch Logs use it for this environment's log groups only:
//!   Logs, unlike RDS, ElastiCache, MSK and Secrets Manager, does not act with the caller's
//!   permissions but needs the key policy to name it (CloudWatch Logs User Guide, "Encrypt
//!   log data in CloudWatch Logs using AWS KMS").
//! - Environments created before the key served the whole environment have it under
//!   `alias/NAME-eks`, tagged as the EKS part's: it is adopted, given the alias `alias/NAME`
//!   and retagged, because the cluster cannot change the key it encrypts secrets with.
//! - [`delete_key`] schedules the deletion (7 days, KMS's minimum) and keeps the alias:
//!   KMS deletes it with the key, and until then it is how a re-created environment finds
//!   the key to adopt (a key without alias could only be found by listing every key of the
//!   account).

use std::collections::BTreeMap;

use aws_sdk_kms::operation::create_alias::CreateAliasError;
use aws_sdk_kms::operation::describe_key::DescribeKeyError;
use aws_sdk_kms::operation::schedule_key_deletion::ScheduleKeyDeletionError;
use aws_sdk_kms::types::{KeyMetadata, KeySpec, KeyState, KeyUsageType, Tag};

use super::errors::{self, Service};
use super::part::{not_ours, PartEnv, PartId};
use super::tags;
use crate::engine::PartError;

mod policy;
pub use policy::log_group_names;

/// KMS as the key part sees its errors; the codes that may pass by themselves.
pub(crate) const SERVICE: Service = Service {
    label: "KMS",
    transient_codes: &[
        "ThrottlingException",
        "KMSInternalException",
        "DependencyTimeoutException",
    ],
};

/// The `mosia:part` tag value of the key.
const PART: &str = PartId::Kms.tag();
/// The `mosia:part` tag value of a key made before it served the whole environment.
const LEGACY_PART: &str = PartId::EksCluster.tag();
/// Days between ScheduleKeyDeletion and the deletion: KMS's minimum.
pub const DELETION_WINDOW_DAYS: i32 = 7;

/// The environment's key as it is in KMS.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KmsKeyState {
    pub arn: String,
    pub key_id: String,
    pub alias: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, ...
    pub state: String,
    pub rotation_enabled: bool,
    /// All tags, ownership tags included.
    pub tags: BTreeMap<String, String>,
}

/// `alias/NAME`.
pub fn alias_name(env: &PartEnv) -> String {
    format!("alias/{}", env.name)
}

/// `alias/NAME-eks`: the alias of a key made before it served the whole environment.
fn legacy_alias_name(env: &PartEnv) -> String {
    format!("alias/{}", env.aws_name("eks"))
}

fn part() -> String {
    PartId::Kms.to_string()
}

/// True when the key's tags say it is this environment's (made by this part or, before it
/// served the whole environment, by the EKS part).
fn ours(env: &PartEnv, tags: &BTreeMap<String, String>) -> bool {
    env.owns(PART, tags) || env.owns(LEGACY_PART, tags)
}

/// The environment's key: behind `alias/NAME`, or behind the legacy alias (then `legacy`
/// is true). One DescribeKey, two for a legacy key or none at all.
async fn find_environment_key(env: &PartEnv) -> Result<Option<(KeyMetadata, bool)>, PartError> {
    if let Some(k) = find_key(env, &alias_name(env)).await? {
        return Ok(Some((k, false)));
    }
    Ok(find_key(env, &legacy_alias_name(env))
        .await?
        .map(|k| (k, true)))
}

fn state_of(k: &KeyMetadata) -> String {
    k.key_state()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

/// The key behind `alias` (one DescribeKey); None when the alias does not exist.
pub(crate) async fn find_key(env: &PartEnv, alias: &str) -> Result<Option<KeyMetadata>, PartError> {
    let out = errors::found(
        env.aws.kms().describe_key().key_id(alias).send().await,
        DescribeKeyError::is_not_found_exception,
    )
    .map_err(|e| {
        SERVICE.error(
            part(),
            format!("reading KMS key `{alias}`"),
            "DescribeKey",
            &e,
        )
    })?;
    Ok(out.and_then(|o| o.key_metadata))
}

async fn key_tags(env: &PartEnv, key_id: &str) -> Result<BTreeMap<String, String>, PartError> {
    let mut all = BTreeMap::new();
    let mut marker = None;
    loop {
        let out = env
            .aws
            .kms()
            .list_resource_tags()
            .key_id(key_id)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    part(),
                    format!("reading the tags of KMS key `{key_id}`"),
                    "ListResourceTags",
                    &e,
                )
            })?;
        all.extend(tags::from_pairs(
            out.tags()
                .iter()
                .map(|t| (Some(t.tag_key()), Some(t.tag_value()))),
        ));
        match out.next_marker() {
            Some(m) if out.truncated() => marker = Some(m.to_string()),
            _ => return Ok(all),
        }
    }
}

async fn rotation_enabled(env: &PartEnv, key_id: &str) -> Result<bool, PartError> {
    env.aws
        .kms()
        .get_key_rotation_status()
        .key_id(key_id)
        .send()
        .await
        .map(|o| o.key_rotation_enabled())
        .map_err(|e| {
            SERVICE.error(
                part(),
                format!("reading the rotation of KMS key `{key_id}`"),
                "GetKeyRotationStatus",
                &e,
            )
        })
}

fn kms_tags(t: &BTreeMap<String, String>) -> Result<Vec<Tag>, PartError> {
    t.iter()
        .map(|(k, v)| {
            Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .map_err(|e| PartError::new(part(), "tagging the KMS key", e.to_string()))
        })
        .collect()
}

/// Converges the environment's key (see the module documentation) and returns it.
pub async fn ensure_key(env: &PartEnv) -> Result<KmsKeyState, PartError> {
    let alias = alias_name(env);
    let (key, have_tags) = match find_environment_key(env).await? {
        Some((k, legacy)) => {
            let have = key_tags(env, k.key_id()).await?;
            adopt_key(env, &alias, &k, &have).await?;
            if legacy {
                add_alias(env, &alias, k.key_id()).await?;
            }
            (k, have)
        }
        None => (create_key(env, &alias).await?, env.tags_for(PART)),
    };
    let key_id = key.key_id().to_string();
    if !rotation_enabled(env, &key_id).await? {
        tracing::info!(part = %part(), object = %alias, "enabling yearly rotation of the key");
        env.aws
            .kms()
            .enable_key_rotation()
            .key_id(&key_id)
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(
                    part(),
                    format!("rotating KMS key `{alias}`"),
                    "EnableKeyRotation",
                    &e,
                )
            })?;
    }
    let want = env.tags_for(PART);
    sync_key_tags(env, &key_id, &alias, &have_tags, &want).await?;
    let arn = key.arn().unwrap_or_default().to_string();
    policy::ensure_key_policy(env, &key_id, &arn, &alias).await?;
    Ok(KmsKeyState {
        arn,
        key_id,
        alias,
        state: KeyState::Enabled.as_str().to_string(),
        rotation_enabled: true,
        tags: want,
    })
}

/// Points `alias` at the key (a legacy key gets the environment's alias beside its own).
async fn add_alias(env: &PartEnv, alias: &str, key_id: &str) -> Result<(), PartError> {
    tracing::info!(part = %part(), object = %alias, "giving the environment's key its alias");
    env.aws
        .kms()
        .create_alias()
        .alias_name(alias)
        .target_key_id(key_id)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            SERVICE.error(
                part(),
                format!("creating alias `{alias}`"),
                "CreateAlias",
                &e,
            )
        })
}

/// The key a database, cache or cluster encrypts its data with, as its part converges it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataKey {
    /// The customer-managed key to create it with; None: the service's AWS-managed key.
    pub arn: Option<String>,
    /// Replace it when it is encrypted with this key: a key the environment no longer uses
    /// (decided by the plan, which names the replacement).
    pub replace_key: Option<String>,
}

impl DataKey {
    /// True when a part encrypted with `have` must be replaced.
    pub fn replaces(&self, have: Option<&str>) -> bool {
        match (&self.replace_key, have) {
            (Some(old), Some(have)) => same_key(old, have),
            _ => false,
        }
    }
}

/// True when two references (key ARNs or key IDs) name the same key.
pub fn same_key(a: &str, b: &str) -> bool {
    let id = |s: &str| s.rsplit_once("key/").map_or(s, |(_, id)| id).to_string();
    id(a) == id(b)
}

/// Refuses a key that is not ours or not a symmetric encryption key; brings back one that
/// was disabled or scheduled for deletion.
async fn adopt_key(
    env: &PartEnv,
    alias: &str,
    k: &KeyMetadata,
    have: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let part = part();
    if !ours(env, have) {
        return Err(not_ours(env, &PartId::Kms, "KMS key", alias, have));
    }
    if k.key_spec() != Some(&KeySpec::SymmetricDefault)
        || k.key_usage() != Some(&KeyUsageType::EncryptDecrypt)
    {
        return Err(PartError::new(
            &part,
            format!("adopting KMS key `{alias}`"),
            format!(
                "the key is {} / {}; the environment's encryption needs a symmetric \
                 encryption key (SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT)",
                k.key_spec().map(KeySpec::as_str).unwrap_or("?"),
                k.key_usage().map(KeyUsageType::as_str).unwrap_or("?"),
            ),
        ));
    }
    let kms = env.aws.kms();
    let id = k.key_id();
    let summary = format!("adopting KMS key `{alias}`");
    match k.key_state() {
        Some(KeyState::Enabled) => {
            tracing::info!(part = %part, object = %alias, "adopting existing key");
            return Ok(());
        }
        Some(KeyState::PendingDeletion) => {
            tracing::info!(part = %part, object = %alias, "key scheduled for deletion (the environment was destroyed): cancelling the deletion");
            kms.cancel_key_deletion()
                .key_id(id)
                .send()
                .await
                .map_err(|e| SERVICE.error(&part, &summary, "CancelKeyDeletion", &e))?;
        }
        Some(KeyState::Disabled) => {
            tracing::warn!(part = %part, object = %alias, "key disabled out of band: nothing it encrypts can be read; enabling it");
        }
        other => {
            return Err(PartError::new(
                &part,
                summary,
                format!(
                    "the key is in state `{}`; expected Enabled (or Disabled / PendingDeletion, \
                     which Mosia brings back)",
                    other.map(KeyState::as_str).unwrap_or("unknown")
                ),
            ))
        }
    }
    kms.enable_key()
        .key_id(id)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| SERVICE.error(&part, &summary, "EnableKey", &e))
}

/// Creates the key, then its alias. When another run created the alias meanwhile, the new
/// key is scheduled for deletion and the alias's key is adopted.
async fn create_key(env: &PartEnv, alias: &str) -> Result<KeyMetadata, PartError> {
    let part = part();
    let summary = format!("creating KMS key `{alias}`");
    tracing::info!(part = %part, object = %alias, "creating KMS key");
    let kms = env.aws.kms();
    let created = kms
        .create_key()
        .description(format!(
            "Mosia environment {}: data at rest, secrets, logs and Kubernetes secrets",
            env.name
        ))
        .key_usage(KeyUsageType::EncryptDecrypt)
        .key_spec(KeySpec::SymmetricDefault)
        .set_tags(Some(kms_tags(&env.tags_for(PART))?))
        .send()
        .await
        .map_err(|e| SERVICE.error(&part, &summary, "CreateKey", &e))?
        .key_metadata
        .ok_or_else(|| PartError::new(&part, &summary, "KMS answered without key metadata"))?;
    let id = created.key_id().to_string();
    match kms
        .create_alias()
        .alias_name(alias)
        .target_key_id(&id)
        .send()
        .await
    {
        Ok(_) => Ok(created),
        Err(e)
            if e.as_service_error()
                .is_some_and(CreateAliasError::is_already_exists_exception) =>
        {
            tracing::warn!(part = %part, object = %alias, "the alias appeared meanwhile: deleting the new key, adopting the alias's");
            schedule_deletion(env, &id, alias).await?;
            let k = find_key(env, alias).await?.ok_or_else(|| {
                PartError::new(
                    &part,
                    &summary,
                    "the alias vanished while it was being created",
                )
            })?;
            let have = key_tags(env, k.key_id()).await?;
            adopt_key(env, alias, &k, &have).await?;
            Ok(k)
        }
        Err(e) => Err(SERVICE.error(&part, &summary, "CreateAlias", &e)),
    }
}

async fn sync_key_tags(
    env: &PartEnv,
    key_id: &str,
    alias: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let part = part();
    let part = part.as_str();
    let kms = env.aws.kms();
    let what = format!("KMS key `{alias}`");
    let what = what.as_str();
    tags::sync(
        env,
        part,
        what,
        have,
        want,
        |set| async move {
            kms.tag_resource()
                .key_id(key_id)
                .set_tags(Some(kms_tags(&set)?))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| SERVICE.error(part, format!("tagging {what}"), "TagResource", &e))
        },
        |keys| async move {
            kms.untag_resource()
                .key_id(key_id)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| SERVICE.error(part, format!("untagging {what}"), "UntagResource", &e))
        },
    )
    .await
}

/// The environment's key as it is now; None when there is none or it is not ours.
pub async fn read_key(env: &PartEnv) -> Result<Option<KmsKeyState>, PartError> {
    let Some((k, legacy)) = find_environment_key(env).await? else {
        return Ok(None);
    };
    let alias = if legacy {
        legacy_alias_name(env)
    } else {
        alias_name(env)
    };
    let have = key_tags(env, k.key_id()).await?;
    if !ours(env, &have) {
        tracing::warn!(part = %part(), object = %alias, "a KMS key of this alias exists but is not this environment's");
        return Ok(None);
    }
    // KMS refuses GetKeyRotationStatus on a key pending deletion: it is not rotating then.
    let rotation = match k.key_state() {
        Some(KeyState::Enabled | KeyState::Disabled) => rotation_enabled(env, k.key_id()).await?,
        _ => false,
    };
    Ok(Some(KmsKeyState {
        arn: k.arn().unwrap_or_default().to_string(),
        key_id: k.key_id().to_string(),
        alias,
        state: state_of(&k),
        rotation_enabled: rotation,
        tags: have,
    }))
}

async fn schedule_deletion(env: &PartEnv, key_id: &str, alias: &str) -> Result<(), PartError> {
    match env
        .aws
        .kms()
        .schedule_key_deletion()
        .key_id(key_id)
        .pending_window_in_days(DELETION_WINDOW_DAYS)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(ScheduleKeyDeletionError::is_not_found_exception) =>
        {
            Ok(())
        }
        Err(e) => Err(SERVICE.error(
            part(),
            format!("scheduling the deletion of KMS key `{alias}`"),
            "ScheduleKeyDeletion",
            &e,
        )),
    }
}

/// Schedules the deletion of the environment's key (see the module documentation). A key
/// already pending deletion, missing or not ours is left as it is.
pub async fn delete_key(env: &PartEnv) -> Result<(), PartError> {
    let alias = alias_name(env);
    let Some((k, _)) = find_environment_key(env).await? else {
        tracing::info!(part = %part(), object = %alias, "KMS key already gone");
        return Ok(());
    };
    if k.key_state() == Some(&KeyState::PendingDeletion) {
        return Ok(());
    }
    let have = key_tags(env, k.key_id()).await?;
    if !ours(env, &have) {
        tracing::warn!(part = %part(), object = %alias, "not deleting a KMS key that is not this environment's");
        return Ok(());
    }
    tracing::info!(part = %part(), object = %alias, days = DELETION_WINDOW_DAYS, "scheduling the deletion of the KMS key");
    schedule_deletion(env, k.key_id(), &alias).await
}

#[cfg(test)]
mod tests;
