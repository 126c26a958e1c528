//! Token authentication (Redis AUTH): the cache's AUTH token lives only in the Secrets Manager
//! secret `{env}-cache-auth` (never in state, plans or logs); workloads with cache access may
//! read that secret.
//!
//! - [`ensure_secret`] finds the secret (ours by its tags) or creates it with a token from
//!   Secrets Manager's GetRandomPassword (64 letters and digits: within the 16-128 printable
//!   characters ElastiCache accepts).
//! - [`converge`] makes an existing cache use the secret's token. ElastiCache adds a token
//!   with `AuthTokenUpdateStrategy=ROTATE` (the old one, or none, stays valid; user groups
//!   are left in the same request when the cache moves from IAM authentication) and makes
//!   it the only one with `SET`, allowed only after ROTATE. The secret's tag
//!   `mosia:auth-token` records how far that went (`new` → `rotating` → `set`), so a run
//!   interrupted between the two requests sends both again on the next apply, and a secret
//!   lost by hand (a new secret, `new`) rotates the cache to its new token.
//! - Leaving token authentication: to IAM, the user groups are added with
//!   `AuthTokenUpdateStrategy=DELETE` (`update.rs`); ElastiCache has no other way to remove a
//!   token in place, so `none` replaces the cache (`replacement_reasons`). [`delete_secret`]
//!   runs once the cache no longer uses the token.

use aws_sdk_elasticache::types::{AuthTokenUpdateStrategyType, ReplicationGroup};
use aws_sdk_secretsmanager::operation::describe_secret::{
    DescribeSecretError, DescribeSecretOutput,
};
use aws_sdk_secretsmanager::types::Tag;

use super::replication_group::wait_replication_group_available;
use super::{replication_group_id, MODIFY_TIMEOUT, PART, SERVICE};
use crate::aws::errors::{self, SECRETS_MANAGER as SECRETS};
use crate::aws::part::{not_ours, PartEnv};
use crate::aws::tags;
use crate::engine::PartError;

/// The secret's tag recording the token's progress onto the cache.
pub const PROGRESS_TAG: &str = "mosia:auth-token";
/// Created; the cache may not know this token yet.
const NEW: &str = "new";
/// ROTATE sent: the cache accepts this token beside the previous one (or none).
const ROTATING: &str = "rotating";
/// The cache accepts this token only.
const SET: &str = "set";

/// Length of generated tokens (ElastiCache: 16 to 128 characters).
const TOKEN_LENGTH: i64 = 64;

/// `{env}-cache-auth`.
pub fn secret_name(env: &PartEnv) -> String {
    env.aws_name("cache-auth")
}

/// The token's secret as Secrets Manager describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSecret {
    pub arn: String,
    /// The KMS key it is encrypted with; None: Secrets Manager's AWS-managed key.
    pub kms_key_id: Option<String>,
    /// [`PROGRESS_TAG`]'s value.
    pub progress: String,
}

fn what(env: &PartEnv) -> String {
    format!("secret `{}`", secret_name(env))
}

/// The secret and its tags; None when there is none (or it is scheduled for deletion).
async fn describe(env: &PartEnv) -> Result<Option<DescribeSecretOutput>, PartError> {
    let found = errors::found(
        env.aws
            .secretsmanager()
            .describe_secret()
            .secret_id(secret_name(env))
            .send()
            .await,
        DescribeSecretError::is_resource_not_found_exception,
    )
    .map_err(|e| {
        SECRETS.error(
            &PART,
            format!("reading {}", what(env)),
            "DescribeSecret",
            &e,
        )
    })?;
    Ok(found.filter(|s| s.deleted_date().is_none()))
}

fn tags_of(s: &DescribeSecretOutput) -> std::collections::BTreeMap<String, String> {
    tags::from_pairs(s.tags().iter().map(|t| (t.key(), t.value())))
}

/// The secret when it exists and is ours (refused when another environment's).
pub async fn find_secret(env: &PartEnv) -> Result<Option<AuthSecret>, PartError> {
    let Some(s) = describe(env).await? else {
        return Ok(None);
    };
    let tags = tags_of(&s);
    if !env.owns(PART.tag(), &tags) {
        return Err(not_ours(env, &PART, "secret", &secret_name(env), &tags));
    }
    Ok(Some(AuthSecret {
        arn: s.arn().unwrap_or_default().to_string(),
        kms_key_id: s.kms_key_id().map(str::to_string),
        progress: tags
            .get(PROGRESS_TAG)
            .cloned()
            .unwrap_or_else(|| NEW.into()),
    }))
}

/// The secret, created with a new token (encrypted with `kms_key`, None: Secrets Manager's
/// AWS-managed key) when there is none.
pub async fn ensure_secret(env: &PartEnv, kms_key: Option<&str>) -> Result<AuthSecret, PartError> {
    if let Some(mut s) = find_secret(env).await? {
        let (arn, name) = (s.arn.as_str(), secret_name(env));
        let have = s.kms_key_id.as_deref();
        crate::aws::secrets::ensure_secret_key(env, &PART, (arn, &name), have, kms_key).await?;
        s.kms_key_id = kms_key.map(str::to_string);
        return Ok(s);
    }
    let sm = env.aws.secretsmanager();
    let token = sm
        .get_random_password()
        .password_length(TOKEN_LENGTH)
        .exclude_punctuation(true)
        .include_space(false)
        .require_each_included_type(true)
        .send()
        .await
        .map_err(|e| {
            SECRETS.error(
                &PART,
                "generating the cache's AUTH token",
                "GetRandomPassword",
                &e,
            )
        })?
        .random_password
        .unwrap_or_default();
    let mut tags = env.tags_for(PART.tag());
    tags.insert(PROGRESS_TAG.into(), NEW.into());
    tracing::info!(part = %PART, object = %secret_name(env), "creating the AUTH token's secret");
    let out = sm
        .create_secret()
        .name(secret_name(env))
        .description(format!(
            "AUTH token of the ElastiCache cache of Mosia environment {}",
            env.name
        ))
        .secret_string(token)
        .set_kms_key_id(kms_key.map(str::to_string))
        .set_tags(Some(sdk_tags(&tags)))
        .send()
        .await
        .map_err(|e| SECRETS.error(&PART, format!("creating {}", what(env)), "CreateSecret", &e))?;
    Ok(AuthSecret {
        arn: out.arn().unwrap_or_default().to_string(),
        kms_key_id: kms_key.map(str::to_string),
        progress: NEW.into(),
    })
}

fn sdk_tags(tags: &std::collections::BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The token (GetSecretValue); kept in memory only for the request that sends it.
pub async fn token(env: &PartEnv, secret: &AuthSecret) -> Result<String, PartError> {
    let out = env
        .aws
        .secretsmanager()
        .get_secret_value()
        .secret_id(&secret.arn)
        .send()
        .await
        .map_err(|e| {
            SECRETS.error(
                &PART,
                format!("reading the token in {}", what(env)),
                "GetSecretValue",
                &e,
            )
        })?;
    Ok(out.secret_string.unwrap_or_default())
}

/// Records the token's progress on the secret.
pub async fn set_progress(
    env: &PartEnv,
    secret: &AuthSecret,
    progress: &str,
) -> Result<(), PartError> {
    env.aws
        .secretsmanager()
        .tag_resource()
        .secret_id(&secret.arn)
        .tags(Tag::builder().key(PROGRESS_TAG).value(progress).build())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| SECRETS.error(&PART, format!("tagging {}", what(env)), "TagResource", &e))
}

/// Whether the cache `rg` must be moved onto the secret's token: it has no token, still
/// uses user groups, or the secret's progress is not `set` (a new secret, or a run
/// interrupted between ROTATE and SET: ElastiCache reports no pending rotation, so both are
/// sent again, which it accepts whatever state the cache is in).
fn needs_rotation(rg: &ReplicationGroup, secret: &AuthSecret) -> bool {
    !rg.auth_token_enabled().unwrap_or(false)
        || !rg.user_group_ids().is_empty()
        || secret.progress != SET
}

/// Makes the cache use the secret's token only (see the module comment); returns the group
/// as it is afterwards, None when it needed nothing.
pub(super) async fn converge(
    env: &PartEnv,
    rg: &ReplicationGroup,
    secret: &AuthSecret,
) -> Result<Option<ReplicationGroup>, PartError> {
    if !needs_rotation(rg, secret) {
        return Ok(None);
    }
    let token = token(env, secret).await?;
    set_progress(env, secret, ROTATING).await?;
    let leave = rg.user_group_ids().to_vec();
    modify(env, &token, AuthTokenUpdateStrategyType::Rotate, leave).await?;
    let rg = modify(env, &token, AuthTokenUpdateStrategyType::Set, Vec::new()).await?;
    set_progress(env, secret, SET).await?;
    Ok(Some(rg))
}

/// After a create with the secret's token: the cache accepts it only.
pub(super) async fn created_with(env: &PartEnv, secret: &AuthSecret) -> Result<(), PartError> {
    set_progress(env, secret, SET).await
}

/// One ModifyReplicationGroup with the token, and the wait until the group is available
/// with token authentication and without the user groups it leaves.
async fn modify(
    env: &PartEnv,
    token: &str,
    strategy: AuthTokenUpdateStrategyType,
    leave_user_groups: Vec<String>,
) -> Result<ReplicationGroup, PartError> {
    let id = replication_group_id(env);
    let step = format!("AUTH token ({})", strategy.as_str());
    tracing::info!(part = %PART, object = %id, step = %step, leave_user_groups = ?leave_user_groups, "modifying replication group");
    let mut req = env
        .aws
        .elasticache()
        .modify_replication_group()
        .replication_group_id(&id)
        .apply_immediately(true)
        .auth_token(token)
        .auth_token_update_strategy(strategy);
    if !leave_user_groups.is_empty() {
        req = req.set_user_group_ids_to_remove(Some(leave_user_groups.clone()));
    }
    req.send().await.map_err(|e| {
        SERVICE.error(
            &PART,
            format!("modifying replication group `{id}` ({step})"),
            "ModifyReplicationGroup",
            &e,
        )
    })?;
    wait_replication_group_available(
        env,
        format!("replication group `{id}` to apply its {step}"),
        "modifying",
        MODIFY_TIMEOUT,
        move |rg| {
            rg.auth_token_enabled() == Some(true)
                && !leave_user_groups
                    .iter()
                    .any(|g| rg.user_group_ids().contains(g))
        },
    )
    .await
}

/// Deletes the secret (at once: the token is of no use once the cache does not accept it);
/// nothing when there is none. Another environment's secret is refused.
pub async fn delete_secret(env: &PartEnv) -> Result<(), PartError> {
    let Some(s) = find_secret(env).await? else {
        return Ok(());
    };
    tracing::info!(part = %PART, object = %secret_name(env), "deleting the AUTH token's secret");
    let done = env
        .aws
        .secretsmanager()
        .delete_secret()
        .secret_id(&s.arn)
        .force_delete_without_recovery(true)
        .send()
        .await;
    match errors::found(done, |e| e.is_resource_not_found_exception()) {
        Ok(_) => Ok(()),
        Err(e) => Err(SECRETS.error(&PART, format!("deleting {}", what(env)), "DeleteSecret", &e)),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_elasticache::operation::describe_replication_groups::DescribeReplicationGroupsOutput;
    use aws_sdk_elasticache::operation::modify_replication_group::ModifyReplicationGroupOutput;
    use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
    use aws_sdk_secretsmanager::operation::tag_resource::TagResourceOutput;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::elasticache::tests::group;
    use crate::aws::{testing, AwsContext};

    const ARN: &str = "arn:aws:secretsmanager:us-east-1:1:secret:mosia-test-cache-auth-abc";

    fn secret(progress: &str) -> AuthSecret {
        AuthSecret {
            arn: ARN.into(),
            kms_key_id: None,
            progress: progress.into(),
        }
    }

    fn with_token(enabled: bool, user_groups: &[&str]) -> ReplicationGroup {
        let g = group("available", 1, true, true);
        ReplicationGroup::builder()
            .set_replication_group_id(g.replication_group_id().map(str::to_string))
            .set_arn(g.arn().map(str::to_string))
            .status("available")
            .transit_encryption_enabled(true)
            .auth_token_enabled(enabled)
            .set_user_group_ids(Some(user_groups.iter().map(|u| u.to_string()).collect()))
            .set_node_groups(Some(g.node_groups().to_vec()))
            .build()
    }

    #[test]
    fn a_cache_is_moved_onto_the_token_until_the_secret_says_set() {
        assert!(!needs_rotation(&with_token(true, &[]), &secret(SET)));
        // No token yet; still on IAM; a secret made anew (the old one lost); interrupted
        // between ROTATE and SET.
        assert!(needs_rotation(&with_token(false, &[]), &secret(SET)));
        assert!(needs_rotation(
            &with_token(true, &["mosia-test-cache"]),
            &secret(SET)
        ));
        assert!(needs_rotation(&with_token(true, &[]), &secret(NEW)));
        assert!(needs_rotation(&with_token(true, &[]), &secret(ROTATING)));
    }

    /// From IAM authentication: ROTATE with the secret's token leaving the user group, then
    /// SET; the secret's tag follows (`rotating`, then `set`); the token is sent and never
    /// anything else.
    #[tokio::test]
    async fn rotate_then_set_moves_the_cache_off_its_user_group() {
        let modifies = Arc::new(Mutex::new(Vec::new()));
        let seen = modifies.clone();
        let modify = mock!(aws_sdk_elasticache::Client::modify_replication_group)
            .match_requests(move |r| {
                seen.lock().unwrap().push((
                    r.auth_token_update_strategy()
                        .map(|s| s.as_str().to_string()),
                    r.auth_token().map(str::to_string),
                    r.user_group_ids_to_remove().to_vec(),
                ));
                true
            })
            .then_output(|| ModifyReplicationGroupOutput::builder().build());
        let describe =
            mock!(aws_sdk_elasticache::Client::describe_replication_groups).then_output(|| {
                DescribeReplicationGroupsOutput::builder()
                    .replication_groups(with_token(true, &[]))
                    .build()
            });
        let value = mock!(aws_sdk_secretsmanager::Client::get_secret_value)
            .match_requests(|r| r.secret_id() == Some(ARN))
            .then_output(|| {
                GetSecretValueOutput::builder()
                    .secret_string("Tok3nFromTheSecret0123456789")
                    .build()
            });
        let tags = Arc::new(Mutex::new(Vec::new()));
        let seen = tags.clone();
        let tag = mock!(aws_sdk_secretsmanager::Client::tag_resource)
            .match_requests(move |r| {
                seen.lock().unwrap().extend(
                    r.tags()
                        .iter()
                        .map(|t| t.value().unwrap_or_default().to_string()),
                );
                true
            })
            .then_output(|| TagResourceOutput::builder().build());
        let ec = crate::mock_client!(aws_sdk_elasticache, [&modify, &describe]);
        let sm = crate::mock_client!(aws_sdk_secretsmanager, [&value, &tag]);
        let env = testing::env(
            AwsContext::offline()
                .with_elasticache(ec)
                .with_secretsmanager(sm),
        );

        let rg = converge(
            &env,
            &with_token(false, &["mosia-test-cache"]),
            &secret(SET),
        )
        .await
        .unwrap()
        .expect("moved onto the token");

        assert_eq!(rg.auth_token_enabled(), Some(true));
        let token = Some("Tok3nFromTheSecret0123456789".to_string());
        assert_eq!(
            *modifies.lock().unwrap(),
            [
                (
                    Some("ROTATE".into()),
                    token.clone(),
                    vec!["mosia-test-cache".to_string()]
                ),
                (Some("SET".into()), token, vec![]),
            ]
        );
        assert_eq!(*tags.lock().unwrap(), [ROTATING, SET]);
    }
}
