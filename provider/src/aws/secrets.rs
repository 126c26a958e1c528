//! What the secrets Mosia creates (the cache's AUTH token, SCRAM users) share: the KMS key
//! they are encrypted with follows the environment's.

use super::errors::SECRETS_MANAGER;
use super::kms::same_key;
use super::part::{PartEnv, PartId};
use crate::engine::PartError;

/// Moves the secret `arn` (`name` in messages) from `have` to `want` (None: Secrets
/// Manager's AWS-managed key) when they differ. UpdateSecret re-encrypts the current
/// versions with the new key (Secrets Manager User Guide, "Change the encryption key for a
/// secret"), so the secret stays readable once the old key is gone.
pub async fn ensure_secret_key(
    env: &PartEnv,
    part: &PartId,
    (arn, name): (&str, &str),
    have: Option<&str>,
    want: Option<&str>,
) -> Result<(), PartError> {
    let same = match (have, want) {
        (Some(have), Some(want)) => same_key(have, want),
        (have, want) => have.is_none() && want.is_none(),
    };
    if same {
        return Ok(());
    }
    let key = want.unwrap_or("alias/aws/secretsmanager");
    tracing::info!(part = %part, object = %name, key, "re-encrypting the secret with the environment's key");
    env.aws
        .secretsmanager()
        .update_secret()
        .secret_id(arn)
        .kms_key_id(key)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| {
            SECRETS_MANAGER.error(part, format!("re-encrypting `{name}`"), "UpdateSecret", &e)
        })
}
