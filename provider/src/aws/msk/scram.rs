//! SASL/SCRAM users of the MSK cluster, one per workload with Kafka access
//! (`msk.scram = true`): the user `WORKLOAD` and its password live in the Secrets Manager
//! secret `AmazonMSK_NAME-wl-WORKLOAD`, associated with the cluster.
//!
//! MSK's rules (Developer Guide, "Sign-in credentials authentication with AWS Secrets
//! Manager"): the secret's name starts with `AmazonMSK_`, it is encrypted with a
//! customer-managed key (MSK cannot read one on the AWS-managed key), it is in the
//! cluster's account and Region, and BatchAssociateScramSecret takes at most 10 secrets per
//! call. A secret MSK cannot use comes back in `unprocessedScramSecrets`, with HTTP 200:
//! that is an error of the part, with MSK's code and message.
//!
//! - [`ensure`] creates the missing secrets (a random password from GetRandomPassword,
//!   never logged), moves a secret to the environment's key when it is on another, and
//!   associates what is not associated; the secrets of users no longer configured are
//!   disassociated and deleted.
//! - [`remove_all`] does that for every user (SCRAM turned off, or the cluster deleted).
//! - [`read`] lists the associated secrets (one ListScramSecrets) for drift.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_kafka::types::UnprocessedScramSecret;
use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretError;
use aws_sdk_secretsmanager::types::Tag;

use super::{PART, SERVICE};
use crate::aws::errors::{self, SECRETS_MANAGER};
use crate::aws::part::{not_ours, PartEnv};
use crate::engine::PartError;

/// Secrets per BatchAssociateScramSecret / BatchDisassociateScramSecret call.
const BATCH: usize = 10;
const PASSWORD_LENGTH: i64 = 32;

/// `AmazonMSK_NAME-wl-`: the prefix of this environment's SCRAM secrets.
fn prefix(env: &PartEnv) -> String {
    format!("AmazonMSK_{}", env.aws_name("wl-"))
}

/// `AmazonMSK_NAME-wl-USER`.
pub fn secret_name(env: &PartEnv, user: &str) -> String {
    format!("{}{user}", prefix(env))
}

/// The user a secret of this environment is for (from its name or ARN).
fn user_of(env: &PartEnv, secret: &str) -> Option<String> {
    let name = secret.rsplit(':').next().unwrap_or(secret);
    // Secrets Manager appends `-` and 6 characters to the name in an ARN.
    let name = match name.rsplit_once('-') {
        Some((n, suffix)) if secret.starts_with("arn:") && suffix.len() == 6 => n,
        _ => name,
    };
    name.strip_prefix(&prefix(env)).map(str::to_string)
}

/// The associated secrets of the cluster (ListScramSecrets, every page).
pub async fn read(env: &PartEnv, cluster_arn: &str) -> Result<Vec<String>, PartError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = env
            .aws
            .kafka()
            .list_scram_secrets()
            .cluster_arn(cluster_arn)
            .set_next_token(token)
            .send()
            .await
            .map_err(|e| {
                SERVICE.error(&PART, "listing the SCRAM secrets", "ListScramSecrets", &e)
            })?;
        out.extend(page.secret_arn_list().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// The associated secrets of this environment, by user (for drift).
pub async fn read_users(
    env: &PartEnv,
    cluster_arn: &str,
) -> Result<BTreeMap<String, String>, PartError> {
    Ok(read(env, cluster_arn)
        .await?
        .into_iter()
        .filter_map(|arn| user_of(env, &arn).map(|u| (u, arn)))
        .collect())
}

/// The users' secrets as associated with the cluster: user → secret ARN. `users` empty
/// removes every one of this environment's.
pub async fn ensure(
    env: &PartEnv,
    cluster_arn: &str,
    users: &BTreeSet<String>,
    kms_key: Option<&str>,
) -> Result<BTreeMap<String, String>, PartError> {
    let associated = read(env, cluster_arn).await?;
    let mut wanted = BTreeMap::new();
    for user in users {
        let key = kms_key.ok_or_else(|| {
            PartError::new(
                &PART,
                format!("creating the SCRAM secret of `{user}`"),
                "MSK reads SCRAM secrets only when a customer-managed KMS key encrypts them: \
                 set `customer_managed_key = true` or `kms_key_arn`",
            )
        })?;
        wanted.insert(user.clone(), ensure_secret(env, user, key).await?);
    }
    let missing: Vec<String> = wanted
        .values()
        .filter(|arn| !associated.contains(arn))
        .cloned()
        .collect();
    batch(env, cluster_arn, &missing, true).await?;
    let dropped: Vec<String> = associated
        .iter()
        .filter(|arn| user_of(env, arn).is_some_and(|u| !users.contains(&u)))
        .cloned()
        .collect();
    batch(env, cluster_arn, &dropped, false).await?;
    for arn in &dropped {
        delete_secret(env, arn).await?;
    }
    Ok(wanted)
}

/// Disassociates and deletes every SCRAM secret of this environment.
pub async fn remove_all(env: &PartEnv, cluster_arn: &str) -> Result<(), PartError> {
    ensure(env, cluster_arn, &BTreeSet::new(), None)
        .await
        .map(|_| ())
}

/// Associates (or disassociates) `arns`, at most [`BATCH`] per call; a secret MSK did not
/// process fails the part with MSK's code and message.
async fn batch(
    env: &PartEnv,
    cluster_arn: &str,
    arns: &[String],
    associate: bool,
) -> Result<(), PartError> {
    let kafka = env.aws.kafka();
    for chunk in arns.chunks(BATCH) {
        let list = Some(chunk.to_vec());
        let unprocessed: Vec<UnprocessedScramSecret> = if associate {
            tracing::info!(part = %PART, count = chunk.len(), "associating SCRAM secrets");
            kafka
                .batch_associate_scram_secret()
                .cluster_arn(cluster_arn)
                .set_secret_arn_list(list)
                .send()
                .await
                .map_err(|e| {
                    SERVICE.error(
                        &PART,
                        "associating SCRAM secrets",
                        "BatchAssociateScramSecret",
                        &e,
                    )
                })?
                .unprocessed_scram_secrets
                .unwrap_or_default()
        } else {
            tracing::info!(part = %PART, count = chunk.len(), "disassociating SCRAM secrets");
            kafka
                .batch_disassociate_scram_secret()
                .cluster_arn(cluster_arn)
                .set_secret_arn_list(list)
                .send()
                .await
                .map_err(|e| {
                    SERVICE.error(
                        &PART,
                        "disassociating SCRAM secrets",
                        "BatchDisassociateScramSecret",
                        &e,
                    )
                })?
                .unprocessed_scram_secrets
                .unwrap_or_default()
        };
        if let Some(u) = unprocessed.first() {
            let op = if associate {
                "BatchAssociateScramSecret"
            } else {
                "BatchDisassociateScramSecret"
            };
            return Err(PartError::new(
                &PART,
                format!("{op} of `{}`", u.secret_arn().unwrap_or_default()),
                format!(
                    "MSK {op}: {}: {}",
                    u.error_code().unwrap_or("unprocessed"),
                    u.error_message().unwrap_or_default()
                ),
            ));
        }
    }
    Ok(())
}

/// The user's secret (ours by its tags), created when missing, on `key`.
async fn ensure_secret(env: &PartEnv, user: &str, key: &str) -> Result<String, PartError> {
    let name = secret_name(env, user);
    let sm = env.aws.secretsmanager();
    let found = errors::found(
        sm.describe_secret().secret_id(&name).send().await,
        DescribeSecretError::is_resource_not_found_exception,
    )
    .map_err(|e| {
        SECRETS_MANAGER.error(
            &PART,
            format!("reading secret `{name}`"),
            "DescribeSecret",
            &e,
        )
    })?
    .filter(|s| s.deleted_date().is_none());
    if let Some(s) = found {
        let tags = crate::aws::tags::from_pairs(s.tags().iter().map(|t| (t.key(), t.value())));
        if !env.owns(PART.tag(), &tags) {
            return Err(not_ours(env, &PART, "secret", &name, &tags));
        }
        let arn = s.arn().unwrap_or_default().to_string();
        let (have, want) = (s.kms_key_id(), Some(key));
        crate::aws::secrets::ensure_secret_key(env, &PART, (&arn, &name), have, want).await?;
        return Ok(arn);
    }
    create_secret(env, user, &name, key).await
}

async fn create_secret(
    env: &PartEnv,
    user: &str,
    name: &str,
    key: &str,
) -> Result<String, PartError> {
    let sm = env.aws.secretsmanager();
    let password = sm
        .get_random_password()
        .password_length(PASSWORD_LENGTH)
        .exclude_punctuation(true)
        .include_space(false)
        .send()
        .await
        .map_err(|e| {
            SECRETS_MANAGER.error(
                &PART,
                "generating a SCRAM password",
                "GetRandomPassword",
                &e,
            )
        })?
        .random_password
        .unwrap_or_default();
    let value = serde_json::json!({ "username": user, "password": password }).to_string();
    let tags: Vec<Tag> = env
        .tags_for(PART.tag())
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    tracing::info!(part = %PART, object = %name, "creating the SCRAM secret");
    sm.create_secret()
        .name(name)
        .description(format!(
            "SASL/SCRAM credentials of workload {user} on MSK cluster {}",
            super::cluster_name(env)
        ))
        .kms_key_id(key)
        .secret_string(value)
        .set_tags(Some(tags))
        .send()
        .await
        .map(|o| o.arn().unwrap_or_default().to_string())
        .map_err(|e| {
            SECRETS_MANAGER.error(
                &PART,
                format!("creating secret `{name}`"),
                "CreateSecret",
                &e,
            )
        })
}

/// Deletes a secret at once (no recovery window): its name is free for the workload
/// again, and a new password would be made anyway.
async fn delete_secret(env: &PartEnv, arn: &str) -> Result<(), PartError> {
    tracing::info!(part = %PART, object = %arn, "deleting the SCRAM secret");
    match env
        .aws
        .secretsmanager()
        .delete_secret()
        .secret_id(arn)
        .force_delete_without_recovery(true)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error().is_some_and(
                aws_sdk_secretsmanager::operation::delete_secret::DeleteSecretError::is_resource_not_found_exception,
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(SECRETS_MANAGER.error(&PART, format!("deleting secret `{arn}`"), "DeleteSecret", &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{testing, AwsContext};

    #[test]
    fn secrets_are_named_for_msk_and_map_back_to_their_users() {
        let env = testing::env(AwsContext::offline());
        assert_eq!(
            secret_name(&env, "orders"),
            "AmazonMSK_mosia-test-wl-orders"
        );
        let arn = "arn:aws:secretsmanager:us-east-1:1:secret:AmazonMSK_mosia-test-wl-orders-AbCdEf";
        assert_eq!(user_of(&env, arn).as_deref(), Some("orders"));
        assert_eq!(
            user_of(&env, "AmazonMSK_mosia-test-wl-web").as_deref(),
            Some("web")
        );
        let other = "arn:aws:secretsmanager:us-east-1:1:secret:AmazonMSK_other-wl-orders-AbCdEf";
        assert_eq!(user_of(&env, other), None, "another environment's");
    }
}
