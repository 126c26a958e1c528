//! The S3 bucket behind a Terraform state backend: created with versioning, default
//! encryption, public access blocked, a TLS-only policy and noncurrent-version expiry;
//! read back setting by setting so that drift on any of them shows in a plan.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    BucketVersioningStatus, CreateBucketConfiguration, Delete, ExpirationStatus, LifecycleRule,
    LifecycleRuleFilter, NoncurrentVersionExpiration, ObjectIdentifier,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tag, Tagging,
    VersioningConfiguration,
};
use aws_sdk_s3::Client;
use mosia_tfplugin::Diagnostic;

use super::errors;

const TLS_ONLY_SID: &str = "MosiaDenyInsecureTransport";
const LIFECYCLE_RULE_ID: &str = "mosia-noncurrent-version-expiry";

/// What the backend bucket should look like.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredBucket {
    pub kms_key_arn: Option<String>,
    pub noncurrent_version_expiration_days: i32,
    /// All tags, ownership tags included.
    pub tags: BTreeMap<String, String>,
}

/// What the bucket looks like now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObservedBucket {
    pub versioning_enabled: bool,
    /// "AES256" or "aws:kms"; None when default encryption is off.
    pub sse_algorithm: Option<String>,
    pub kms_key_arn: Option<String>,
    pub public_access_blocked: bool,
    pub tls_only_policy: bool,
    pub noncurrent_version_expiration_days: Option<i32>,
    pub tags: BTreeMap<String, String>,
}

fn build_err(op: &str, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(format!("{op} failed"), format!("invalid request: {e}"))
}

pub fn arn(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}")
}

/// Creates the bucket. Returns false when it already existed and is ours (a retry after a
/// crash, or a re-create after taint), so the caller adopts it instead of failing.
pub async fn create(s3: &Client, bucket: &str, region: &str) -> Result<bool, Diagnostic> {
    let mut req = s3.create_bucket().bucket(bucket);
    // us-east-1 is the one region that must not be named as a location constraint.
    if region != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    match req.send().await {
        Ok(_) => Ok(true),
        Err(e) if errors::code(&e) == Some("BucketAlreadyOwnedByYou") => Ok(false),
        Err(e) => Err(errors::diagnostic("S3 CreateBucket", &e)),
    }
}

/// Applies every setting; the calls are independent, so they run concurrently.
pub async fn configure(
    s3: &Client,
    bucket: &str,
    want: &DesiredBucket,
) -> Result<(), Vec<Diagnostic>> {
    let (a, b, c, d, e, f) = futures::join!(
        put_versioning(s3, bucket),
        put_encryption(s3, bucket, want.kms_key_arn.as_deref()),
        put_public_access_block(s3, bucket),
        put_tls_only_policy(s3, bucket),
        put_lifecycle(s3, bucket, want.noncurrent_version_expiration_days),
        put_tags(s3, bucket, &want.tags),
    );
    let failures: Vec<Diagnostic> = [a, b, c, d, e, f]
        .into_iter()
        .filter_map(Result::err)
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

async fn put_versioning(s3: &Client, bucket: &str) -> Result<(), Diagnostic> {
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| errors::diagnostic("S3 PutBucketVersioning", &e))
}

async fn put_encryption(
    s3: &Client,
    bucket: &str,
    kms_key_arn: Option<&str>,
) -> Result<(), Diagnostic> {
    const OP: &str = "S3 PutBucketEncryption";
    let default = match kms_key_arn {
        Some(key) => ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(key),
        None => {
            ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256)
        }
    }
    .build()
    .map_err(|e| build_err(OP, e))?;
    let config = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default)
                .bucket_key_enabled(kms_key_arn.is_some())
                .build(),
        )
        .build()
        .map_err(|e| build_err(OP, e))?;
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| errors::diagnostic(OP, &e))
}

async fn put_public_access_block(s3: &Client, bucket: &str) -> Result<(), Diagnostic> {
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| errors::diagnostic("S3 PutPublicAccessBlock", &e))
}

/// Denies every request that does not use TLS: state files hold secrets in clear text.
pub fn tls_only_policy(bucket: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": TLS_ONLY_SID,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            "Condition": { "Bool": { "aws:SecureTransport": "false" } }
        }]
    })
    .to_string()
}

/// True when some statement denies non-TLS access (ours or an equivalent one).
pub fn policy_is_tls_only(policy: &str) -> bool {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy) else {
        return false;
    };
    let statements = match &doc["Statement"] {
        serde_json::Value::Array(a) => a.clone(),
        s @ serde_json::Value::Object(_) => vec![s.clone()],
        _ => return false,
    };
    statements.iter().any(|s| {
        s["Effect"] == "Deny"
            && matches!(&s["Condition"]["Bool"]["aws:SecureTransport"], serde_json::Value::String(v) if v == "false")
    })
}

async fn put_tls_only_policy(s3: &Client, bucket: &str) -> Result<(), Diagnostic> {
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(tls_only_policy(bucket))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| errors::diagnostic("S3 PutBucketPolicy", &e))
}

async fn put_lifecycle(s3: &Client, bucket: &str, days: i32) -> Result<(), Diagnostic> {
    const OP: &str = "S3 PutBucketLifecycleConfiguration";
    let rule = LifecycleRule::builder()
        .id(LIFECYCLE_RULE_ID)
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(days)
                .build(),
        )
        .abort_incomplete_multipart_upload(
            AbortIncompleteMultipartUpload::builder()
                .days_after_initiation(7)
                .build(),
        )
        .build()
        .map_err(|e| build_err(OP, e))?;
    let config = BucketLifecycleConfiguration::builder()
        .rules(rule)
        .build()
        .map_err(|e| build_err(OP, e))?;
    s3.put_bucket_lifecycle_configuration()
        .bucket(bucket)
        .lifecycle_configuration(config)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| errors::diagnostic(OP, &e))
}

async fn put_tags(
    s3: &Client,
    bucket: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    const OP: &str = "S3 PutBucketTagging";
    let tag_set = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| build_err(OP, e))?;
    let tagging = Tagging::builder()
        .set_tag_set(Some(tag_set))
        .build()
        .map_err(|e| build_err(OP, e))?;
    s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| errors::diagnostic(OP, &e))
}

/// Reads every setting; None when the bucket is gone. Absent settings (no policy, no
/// lifecycle, no tags) answer with their own "no such ..." errors, which mean "off".
pub async fn read(s3: &Client, bucket: &str) -> Result<Option<ObservedBucket>, Diagnostic> {
    match s3.head_bucket().bucket(bucket).send().await {
        Ok(_) => {}
        Err(e) if errors::status(&e) == Some(404) || errors::code(&e) == Some("NotFound") => {
            return Ok(None)
        }
        Err(e) => return Err(errors::diagnostic("S3 HeadBucket", &e)),
    }
    let (versioning, encryption, pab, policy, lifecycle, tagging) = futures::join!(
        s3.get_bucket_versioning().bucket(bucket).send(),
        s3.get_bucket_encryption().bucket(bucket).send(),
        s3.get_public_access_block().bucket(bucket).send(),
        s3.get_bucket_policy().bucket(bucket).send(),
        s3.get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .send(),
        s3.get_bucket_tagging().bucket(bucket).send(),
    );
    let mut seen = ObservedBucket::default();

    let v = versioning.map_err(|e| errors::diagnostic("S3 GetBucketVersioning", &e))?;
    seen.versioning_enabled = v.status() == Some(&BucketVersioningStatus::Enabled);

    match encryption {
        Ok(out) => {
            let default = out
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|r| r.apply_server_side_encryption_by_default());
            seen.sse_algorithm = default.map(|d| d.sse_algorithm().as_str().to_string());
            seen.kms_key_arn = default
                .and_then(|d| d.kms_master_key_id())
                .map(str::to_string);
        }
        Err(e) if errors::code(&e) == Some("ServerSideEncryptionConfigurationNotFoundError") => {}
        Err(e) => return Err(errors::diagnostic("S3 GetBucketEncryption", &e)),
    }

    match pab {
        Ok(out) => {
            seen.public_access_blocked = out.public_access_block_configuration().is_some_and(|c| {
                c.block_public_acls() == Some(true)
                    && c.ignore_public_acls() == Some(true)
                    && c.block_public_policy() == Some(true)
                    && c.restrict_public_buckets() == Some(true)
            })
        }
        Err(e) if errors::code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => {}
        Err(e) => return Err(errors::diagnostic("S3 GetPublicAccessBlock", &e)),
    }

    match policy {
        Ok(out) => seen.tls_only_policy = out.policy().is_some_and(policy_is_tls_only),
        Err(e) if errors::code(&e) == Some("NoSuchBucketPolicy") => {}
        Err(e) => return Err(errors::diagnostic("S3 GetBucketPolicy", &e)),
    }

    match lifecycle {
        Ok(out) => {
            seen.noncurrent_version_expiration_days = out
                .rules()
                .iter()
                .find(|r| {
                    r.id() == Some(LIFECYCLE_RULE_ID) && r.status() == &ExpirationStatus::Enabled
                })
                .and_then(|r| r.noncurrent_version_expiration())
                .and_then(|n| n.noncurrent_days())
        }
        Err(e) if errors::code(&e) == Some("NoSuchLifecycleConfiguration") => {}
        Err(e) => return Err(errors::diagnostic("S3 GetBucketLifecycleConfiguration", &e)),
    }

    match tagging {
        Ok(out) => {
            seen.tags = out
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        }
        Err(e) if errors::code(&e) == Some("NoSuchTagSet") => {}
        Err(e) => return Err(errors::diagnostic("S3 GetBucketTagging", &e)),
    }
    Ok(Some(seen))
}

/// True when the bucket holds no object version and no delete marker.
pub async fn is_empty(s3: &Client, bucket: &str) -> Result<bool, Diagnostic> {
    let out = s3
        .list_object_versions()
        .bucket(bucket)
        .max_keys(1)
        .send()
        .await
        .map_err(|e| errors::diagnostic("S3 ListObjectVersions", &e))?;
    Ok(out.versions().is_empty() && out.delete_markers().is_empty())
}

/// Deletes every object version and delete marker, a page (up to 1000) at a time.
pub async fn empty(s3: &Client, bucket: &str) -> Result<u64, Diagnostic> {
    const OP: &str = "S3 DeleteObjects";
    let mut deleted = 0u64;
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| errors::diagnostic("S3 ListObjectVersions", &e))?;
        let ids = page
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                page.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            )
            .filter_map(|(k, v)| {
                k.map(|k| {
                    ObjectIdentifier::builder()
                        .key(k)
                        .set_version_id(v.map(str::to_string))
                        .build()
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| build_err(OP, e))?;
        if ids.is_empty() {
            return Ok(deleted);
        }
        deleted += ids.len() as u64;
        let delete = Delete::builder()
            .set_objects(Some(ids))
            .quiet(true)
            .build()
            .map_err(|e| build_err(OP, e))?;
        s3.delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| errors::diagnostic(OP, &e))?;
    }
}

/// Deletes the (empty) bucket; a bucket that is already gone counts as deleted.
pub async fn delete(s3: &Client, bucket: &str) -> Result<(), Diagnostic> {
    match s3.delete_bucket().bucket(bucket).send().await {
        Ok(_) => Ok(()),
        Err(e) if errors::code(&e) == Some("NoSuchBucket") => Ok(()),
        Err(e) => Err(errors::diagnostic("S3 DeleteBucket", &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_policy_is_recognised_as_tls_only() {
        assert!(policy_is_tls_only(&tls_only_policy("b")));
        assert!(!policy_is_tls_only(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}"#
        ));
        assert!(!policy_is_tls_only("not json"));
    }
}
