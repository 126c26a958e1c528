//! The environment's encryption key: `customer_managed_key`, `kms_key_arn` (the user's key)
//! and the computed `encryption_key_arn`; each data service's computed `kms_key_arn`.

use mosia_tfplugin::{validators, Attribute};

use super::{code, with_tier_default};

/// The root attributes that choose and show the environment's key.
pub(super) fn root_attributes() -> [Attribute; 3] {
    [
        Attribute::bool("customer_managed_key")
            .optional_computed()
            .description(&with_tier_default(
                "Encrypt the environment with its own customer-managed KMS key (`alias/NAME`, \
                 symmetric, rotated yearly, scheduled for deletion 7 days after destroy): RDS \
                 storage and its master password secret, ElastiCache at rest and its AUTH token \
                 secret, MSK volumes, SCRAM secrets, the log groups Mosia creates and (with \
                 `eks.secrets_encryption`) Kubernetes secrets. `false`: AWS-managed keys \
                 (`aws/rds`, ...). Production requires a customer-managed key (this, or \
                 `kms_key_arn`). A database, cache or cluster keeps the key it was created \
                 with: changing the key replaces each that exists (named in the plan; \
                 refused in production).",
                |t| code(t.customer_managed_key),
            )),
        Attribute::string("kms_key_arn")
            .optional()
            .description(
                "ARN of your own symmetric KMS key to use instead of the one Mosia creates \
                 (same uses as `customer_managed_key`). Its key policy must let this account \
                 use it through IAM, and CloudWatch Logs use it for the environment's log \
                 groups (service principal `logs.REGION.amazonaws.com`).",
            )
            .validate(validators::string_matches(
                "arn:aws[a-z-]*:kms:REGION:ACCOUNT:key/ID",
                |s| s.starts_with("arn:aws") && s.contains(":kms:") && s.contains(":key/"),
            )),
        Attribute::string("encryption_key_arn")
            .computed()
            .description(
                "ARN of the KMS key that encrypts the environment: `kms_key_arn`, or the key \
                 Mosia created; null when AWS-managed keys are used.",
            ),
    ]
}

/// A data service's computed `kms_key_arn`.
pub(super) fn service_key(service: &str) -> Attribute {
    Attribute::string("kms_key_arn")
        .computed()
        .description(&format!(
            "ARN of the KMS key {service} encrypts its data at rest with, as AWS reports it: the \
         environment's key, or an AWS-managed key. Fixed when it is created."
        ))
}
