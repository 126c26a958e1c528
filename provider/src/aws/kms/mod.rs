//! The environment's own KMS key for EKS secrets encryption ([`PartId::EksKms`]), used when
//! `secrets_encryption` is on and no `kms_key_arn` is given: a symmetric `ENCRYPT_DECRYPT`
//! key with yearly rotation, Mosia's ownership tags and the alias `alias/NAME-eks`, by
//! which it is found.
//!
//! - [`ensure_key`] adopts the key behind the alias when its tags say it is this
//!   environment's (refuses it otherwise), creates key and alias when there is none, and
//!   converges it: enabled, rotation on, tags. A key pending deletion (a destroyed
//!   environment created again within the waiting period) gets its deletion cancelled and
//!   is enabled again, so the secrets it encrypted stay readable.
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

/// KMS as the key part sees its errors; the codes that may pass by themselves.
pub(crate) const SERVICE: Service = Service {
    label: "KMS",
    transient_codes: &[
        "ThrottlingException",
        "KMSInternalException",
        "DependencyTimeoutException",
    ],
};

/// The `mosia:part` tag value of the key (the EKS part's).
const PART: &str = PartId::EksKms.tag();
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

/// `alias/NAME-eks`.
pub fn alias_name(env: &PartEnv) -> String {
    format!("alias/{}", env.aws_name("eks"))
}

fn part() -> String {
    PartId::EksKms.to_string()
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
    let (key, have_tags) = match find_key(env, &alias).await? {
        Some(k) => {
            let have = key_tags(env, k.key_id()).await?;
            adopt_key(env, &alias, &k, &have).await?;
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
    Ok(KmsKeyState {
        arn: key.arn().unwrap_or_default().to_string(),
        key_id,
        alias,
        state: KeyState::Enabled.as_str().to_string(),
        rotation_enabled: true,
        tags: want,
    })
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
    if !env.owns(PART, have) {
        return Err(not_ours(env, &PartId::EksKms, "KMS key", alias, have));
    }
    if k.key_spec() != Some(&KeySpec::SymmetricDefault)
        || k.key_usage() != Some(&KeyUsageType::EncryptDecrypt)
    {
        return Err(PartError::new(
            &part,
            format!("adopting KMS key `{alias}`"),
            format!(
                "the key is {} / {}; EKS secrets encryption needs a symmetric encryption key \
                 (SYMMETRIC_DEFAULT / ENCRYPT_DECRYPT)",
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
            tracing::warn!(part = %part, object = %alias, "key disabled out of band: EKS cannot read the secrets it encrypts; enabling it");
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
            "Encryption of Kubernetes secrets of EKS cluster {} (Mosia environment {})",
            env.aws_name("eks"),
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
    let alias = alias_name(env);
    let Some(k) = find_key(env, &alias).await? else {
        return Ok(None);
    };
    let have = key_tags(env, k.key_id()).await?;
    if !env.owns(PART, &have) {
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
    let Some(k) = find_key(env, &alias).await? else {
        tracing::info!(part = %part(), object = %alias, "KMS key already gone");
        return Ok(());
    };
    if k.key_state() == Some(&KeyState::PendingDeletion) {
        return Ok(());
    }
    let have = key_tags(env, k.key_id()).await?;
    if !env.owns(PART, &have) {
        tracing::warn!(part = %part(), object = %alias, "not deleting a KMS key that is not this environment's");
        return Ok(());
    }
    tracing::info!(part = %part(), object = %alias, days = DELETION_WINDOW_DAYS, "scheduling the deletion of the KMS key");
    schedule_deletion(env, k.key_id(), &alias).await
}

#[cfg(test)]
mod tests;
