//! `mosia_state_backend`: the S3 bucket (and optional DynamoDB lock table) that holds
//! Terraform state for Mosia's environments, hardened the way state deserves.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use mosia_tfplugin::{
    validators, ApplyError, ApplyResult, AttrPath, Attribute, Block, Context, Deletion, Diagnostic,
    Diagnostics, PlanRequest, Reader, Resource, Schema, Type, Value,
};

use crate::aws::state_bucket::{self, DesiredBucket, ObservedBucket};
use crate::aws::{lock_table, partition, tags};
use crate::resources::configured::Configured;

pub const TYPE_NAME: &str = "mosia_state_backend";
const LOCK_TABLE_TAG: &str = "mosia:lock-table";
const BACKEND_TAG: &str = "mosia:state-backend";
const LOCK_TABLE_TIMEOUT: Duration = Duration::from_secs(300);

pub struct StateBackend {
    schema: Schema,
    configured: Arc<Configured>,
}

impl StateBackend {
    pub fn new(configured: Arc<Configured>) -> Self {
        StateBackend {
            schema: schema(),
            configured,
        }
    }
}

/// S3's bucket naming rules, so a bad name fails at validate instead of half-way through apply.
pub fn valid_bucket_name(s: &str) -> bool {
    let len_ok = (3..=63).contains(&s.len());
    let chars_ok = s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let ends_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    let looks_like_ip = s.split('.').count() == 4 && s.split('.').all(|p| p.parse::<u8>().is_ok());
    len_ok
        && chars_ok
        && ends_ok
        && !s.contains("..")
        && !looks_like_ip
        && !s.starts_with("xn--")
        && !s.ends_with("-s3alias")
}

fn valid_table_name(s: &str) -> bool {
    (3..=255).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

pub fn schema() -> Schema {
    let string_map = || Type::map(Type::String);
    Schema::new(
        0,
        Block::new(
            "An S3 bucket for Terraform state, with versioning, default encryption, public access blocked, \
             a TLS-only bucket policy and expiry of old state versions, plus an optional DynamoDB lock table. \
             Drift on any of these settings shows in the next plan and is restored by apply.",
        )
        .attr(Attribute::string("id").computed().description("The bucket name."))
        .attr(
            Attribute::string("bucket")
                .required()
                .requires_replace()
                .description("Name of the state bucket (globally unique). Changing it creates a new bucket.")
                .validate(validators::string_matches(
                    "an S3 bucket name: 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit",
                    valid_bucket_name,
                )),
        )
        .attr(
            Attribute::string("lock_table")
                .optional()
                .description(
                    "Name of a DynamoDB table for state locking (`dynamodb_table` in the backend). Omit it to lock \
                     with S3 lock files (`use_lockfile = true`, Terraform 1.10+).",
                )
                .validate(validators::string_matches("3-255 letters, digits, '_', '-' or '.'", valid_table_name)),
        )
        .attr(
            Attribute::bool("force_destroy")
                .default(false)
                .description("Allow destroy to delete every state version in the bucket. Off by default: destroy refuses a non-empty bucket."),
        )
        .attr(
            Attribute::string("kms_key_arn")
                .optional()
                .description("KMS key for default encryption (SSE-KMS). Omit it for SSE-S3 (AES256).")
                .validate(validators::string_matches("a KMS key ARN (arn:...:kms:...)", |s| s.starts_with("arn:") && s.contains(":kms:"))),
        )
        .attr(
            Attribute::number("noncurrent_version_expiration_days")
                .default(90)
                .description("Days after which superseded state versions are deleted.")
                .validate(validators::int_between(1, 3650)),
        )
        .attr(Attribute::of_type("tags", string_map()).optional().description("Tags for the bucket and the lock table."))
        .attr(Attribute::of_type("tags_all", string_map()).computed().description("`tags` merged with the provider's `default_tags`."))
        .attr(Attribute::string("arn").computed().description("ARN of the bucket."))
        .attr(Attribute::string("region").computed().description("Region of the bucket (the provider's region)."))
        .attr(Attribute::string("lock_table_arn").computed().description("ARN of the lock table, when there is one."))
        .attr(Attribute::bool("versioning_enabled").computed().description("Whether bucket versioning is on (always planned true)."))
        .attr(
            Attribute::string("sse_algorithm")
                .computed()
                .description("Default encryption algorithm in force: `AES256` or `aws:kms`."),
        )
        .attr(Attribute::bool("public_access_blocked").computed().description("Whether all four public access block settings are on (always planned true)."))
        .attr(Attribute::bool("tls_only_policy").computed().description("Whether the bucket policy denies non-TLS requests (always planned true)."))
        .attr(
            Attribute::of_type("backend_config", string_map())
                .computed()
                .description("Settings for a `backend \"s3\"` block: `bucket`, `region`, `encrypt`, and `use_lockfile` or `dynamodb_table`. Add a `key` per environment."),
        )
        .attr(
            Attribute::string("backend_hcl")
                .computed()
                .description("The same settings as a partial backend configuration file, for `terraform init -backend-config=FILE`."),
        ),
    )
}

/// The inputs of a backend, read from a plan or state.
struct Spec {
    bucket: String,
    lock_table: Option<String>,
    kms_key_arn: Option<String>,
    noncurrent_days: i32,
    tags_all: BTreeMap<String, String>,
}

impl Spec {
    /// Reads an apply's planned value (or a prior state): everything is known then, and a
    /// value of the wrong type is a diagnostic naming its attribute.
    fn from(v: &Value) -> Result<Spec, Diagnostics> {
        let r = Reader::new(v).require_known();
        let mut d = Diagnostics::default();
        let bucket = d.take(r.string("bucket")).unwrap_or_default();
        let lock_table = d.take(r.opt_string("lock_table"));
        let kms_key_arn = d.take(r.opt_string("kms_key_arn"));
        let noncurrent_days = d
            .take(r.opt_u32("noncurrent_version_expiration_days"))
            .unwrap_or(90);
        let tags_all = d.take(r.string_map("tags_all")).unwrap_or_default();
        if d.has_errors() {
            return Err(d);
        }
        Ok(Spec {
            bucket,
            lock_table,
            kms_key_arn,
            noncurrent_days: noncurrent_days.min(i32::MAX as u32) as i32,
            tags_all,
        })
    }

    /// Tags as written to AWS: the user's plus ownership tags that let import and crash
    /// recovery recognise the bucket and find its lock table.
    fn aws_tags(&self) -> BTreeMap<String, String> {
        let mut t = self.tags_all.clone();
        t.insert(tags::MANAGED_BY_KEY.into(), tags::MANAGED_BY_VALUE.into());
        t.insert(BACKEND_TAG.into(), self.bucket.clone());
        if let Some(table) = &self.lock_table {
            t.insert(LOCK_TABLE_TAG.into(), table.clone());
        }
        t
    }

    fn desired(&self) -> DesiredBucket {
        DesiredBucket {
            kms_key_arn: self.kms_key_arn.clone(),
            noncurrent_version_expiration_days: self.noncurrent_days,
            tags: self.aws_tags(),
        }
    }
}

/// Backend settings derived from the bucket, region and lock table.
fn backend_values(bucket: &str, region: &str, lock_table: Option<&str>) -> (Value, Value) {
    let mut cfg = BTreeMap::new();
    cfg.insert("bucket".to_string(), bucket.to_string());
    cfg.insert("region".to_string(), region.to_string());
    cfg.insert("encrypt".to_string(), "true".to_string());
    match lock_table {
        Some(t) => cfg.insert("dynamodb_table".to_string(), t.to_string()),
        None => cfg.insert("use_lockfile".to_string(), "true".to_string()),
    };
    let hcl = cfg
        .iter()
        .map(|(k, v)| {
            if v == "true" {
                format!("{k} = true\n")
            } else {
                format!("{k} = {v:?}\n")
            }
        })
        .collect::<String>();
    (Value::string_map_of(&cfg), Value::from(hcl))
}

/// Sets every value that follows from the inputs; the "always on" settings are planned
/// as their desired values, so drift read from AWS shows up as a change.
fn derive(planned: &mut Value, region: &str, default_tags: &BTreeMap<String, String>) {
    let bucket = planned.get("bucket").clone();
    let lock = planned.get("lock_table").clone();
    let own_tags = planned.get("tags").clone();
    let kms = planned.get("kms_key_arn").clone();
    let unknown = Value::unknown();

    planned.set_attr("versioning_enabled", Value::Bool(true));
    planned.set_attr("public_access_blocked", Value::Bool(true));
    planned.set_attr("tls_only_policy", Value::Bool(true));
    planned.set_attr("region", Value::from(region));
    planned.set_attr(
        "sse_algorithm",
        match &kms {
            Value::Unknown(_) => unknown.clone(),
            Value::Null => Value::from("AES256"),
            _ => Value::from("aws:kms"),
        },
    );
    planned.set_attr(
        "tags_all",
        if own_tags.is_wholly_known() {
            Value::string_map_of(&tags::merge(default_tags, &own_tags.string_map()))
        } else {
            unknown.clone()
        },
    );
    match bucket.as_str() {
        Some(b) => {
            planned.set_attr("id", Value::from(b));
            planned.set_attr("arn", Value::from(state_bucket::arn(partition(region), b)));
        }
        None => {
            planned.set_attr("id", unknown.clone());
            planned.set_attr("arn", unknown.clone());
        }
    }
    if bucket.is_known() && lock.is_known() {
        let (cfg, hcl) = backend_values(bucket.as_str().unwrap_or_default(), region, lock.as_str());
        planned.set_attr("backend_config", cfg);
        planned.set_attr("backend_hcl", hcl);
    } else {
        planned.set_attr("backend_config", unknown.clone());
        planned.set_attr("backend_hcl", unknown);
    }
}

/// The state for what AWS shows, keeping the inputs that AWS does not store.
fn observed_state(
    prior: &Value,
    seen: &ObservedBucket,
    table: Option<&lock_table::ObservedTable>,
    region: &str,
    default_tags: &BTreeMap<String, String>,
) -> Value {
    let mut state = prior.clone();
    let bucket = prior.get("bucket").as_str().unwrap_or_default().to_string();
    let visible = tags::user_visible(seen.tags.clone());
    // As the AWS provider does: a tag equal to a default tag belongs to `default_tags`.
    let own: BTreeMap<String, String> = visible
        .iter()
        .filter(|(k, v)| {
            default_tags.get(*k) != Some(*v) || prior.get("tags").string_map().contains_key(*k)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    state.set_attr("id", Value::from(bucket.as_str()));
    state.set_attr(
        "arn",
        Value::from(state_bucket::arn(partition(region), &bucket)),
    );
    state.set_attr("region", Value::from(region));
    state.set_attr("versioning_enabled", Value::Bool(seen.versioning_enabled));
    state.set_attr(
        "public_access_blocked",
        Value::Bool(seen.public_access_blocked),
    );
    state.set_attr("tls_only_policy", Value::Bool(seen.tls_only_policy));
    state.set_attr("sse_algorithm", seen.sse_algorithm.clone().into());
    state.set_attr(
        "kms_key_arn",
        if seen.sse_algorithm.as_deref() == Some("aws:kms") {
            seen.kms_key_arn.clone().into()
        } else {
            Value::Null
        },
    );
    state.set_attr(
        "noncurrent_version_expiration_days",
        seen.noncurrent_version_expiration_days
            .map(|d| Value::int(d as i64))
            .unwrap_or(Value::Null),
    );
    state.set_attr("tags_all", Value::string_map_of(&visible));
    state.set_attr(
        "tags",
        if own.is_empty() && prior.get("tags").is_null() {
            Value::Null
        } else {
            Value::string_map_of(&own)
        },
    );
    match table {
        Some(t) => state.set_attr("lock_table_arn", Value::from(t.arn.as_str())),
        None => {
            state.set_attr("lock_table", Value::Null);
            state.set_attr("lock_table_arn", Value::Null);
        }
    }
    let (cfg, hcl) = backend_values(&bucket, region, table.and(state.get("lock_table").as_str()));
    state.set_attr("backend_config", cfg);
    state.set_attr("backend_hcl", hcl);
    if state.get("force_destroy").is_null() {
        state.set_attr("force_destroy", Value::Bool(false));
    }
    state
}

fn diags_of(list: Vec<Diagnostic>) -> Diagnostics {
    Diagnostics(list)
}

impl StateBackend {
    /// Reads bucket and lock table; None when the bucket is gone.
    async fn read_state(&self, prior: &Value) -> Result<Option<Value>, Diagnostics> {
        let aws = self.configured.aws()?;
        let bucket = prior.get("bucket").as_str().unwrap_or_default().to_string();
        let Some(seen) = state_bucket::read(aws.s3(), &bucket).await? else {
            tracing::info!(
                bucket,
                "state bucket is gone; Terraform will plan to create it"
            );
            return Ok(None);
        };
        let table = match prior.get("lock_table").as_str() {
            Some(name) => lock_table::describe(aws.dynamodb(), name).await?,
            None => None,
        };
        Ok(Some(observed_state(
            prior,
            &seen,
            table.as_ref(),
            &aws.region(),
            &aws.settings.default_tags,
        )))
    }
}

#[async_trait]
impl Resource for StateBackend {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        for k in config.get("tags").string_map().keys() {
            if k.starts_with(tags::OWNERSHIP_PREFIX) {
                diags.error_at(
                    AttrPath::attr("tags").key(k),
                    "Reserved tag key",
                    format!(
                        "tag keys starting with {:?} are reserved for Mosia's ownership tags",
                        tags::OWNERSHIP_PREFIX
                    ),
                );
            }
        }
    }

    fn modify_plan(&self, req: &mut PlanRequest<'_>) {
        let region = self.configured.region().unwrap_or_default();
        derive(req.planned, &region, &self.configured.default_tags());
        let (prior, planned) = (req.prior, &mut *req.planned);
        if req.prior.is_null() || prior.get("lock_table") != planned.get("lock_table") {
            let arn = if planned.get("lock_table").is_null() {
                Value::Null
            } else {
                Value::unknown()
            };
            planned.set_attr("lock_table_arn", arn);
        } else {
            planned.set_attr("lock_table_arn", prior.get("lock_table_arn").clone());
        }
    }

    async fn create(&self, ctx: &Context, planned: &Value) -> ApplyResult {
        let aws = self.configured.aws()?;
        let spec = Spec::from(planned).map_err(ApplyError::new)?;
        let s3 = aws.s3();
        tracing::info!(bucket = spec.bucket, "creating state bucket");
        let created = state_bucket::create(s3, &spec.bucket, &aws.region())
            .await
            .map_err(ApplyError::new)?;
        if !created {
            // Ours already (an interrupted earlier apply)? Adopt it; anyone else's: refuse.
            let owner = state_bucket::read(s3, &spec.bucket)
                .await
                .map_err(ApplyError::new)?;
            let ours = owner.as_ref().and_then(|o| o.tags.get(BACKEND_TAG)) == Some(&spec.bucket);
            if !ours {
                return Err(ApplyError::new(
                    Diagnostic::error(
                        "Bucket already exists",
                        format!(
                            "bucket {:?} exists in this account but was not created by mosia_state_backend; \
                             bring it under management with `terraform import` instead",
                            spec.bucket
                        ),
                    )
                    .at(AttrPath::attr("bucket")),
                ));
            }
            tracing::info!(
                bucket = spec.bucket,
                "adopting the bucket an earlier run created"
            );
        }
        // From here on the bucket exists: every error returns it in state so it is not lost.
        let mut partial = planned.clone();
        partial.set_attr("lock_table_arn", Value::Null);
        for attr in [
            "versioning_enabled",
            "public_access_blocked",
            "tls_only_policy",
        ] {
            partial.set_attr(attr, Value::Bool(false));
        }
        partial.set_attr("sse_algorithm", Value::Null);
        if let Err(failures) = state_bucket::configure(s3, &spec.bucket, &spec.desired()).await {
            return Err(ApplyError::with_state(diags_of(failures), partial));
        }
        let mut state = planned.clone();
        state.set_attr("lock_table_arn", Value::Null);
        if let Some(table) = &spec.lock_table {
            tracing::info!(table, "creating lock table");
            match lock_table::create(
                aws.dynamodb(),
                table,
                &spec.aws_tags(),
                ctx,
                LOCK_TABLE_TIMEOUT,
            )
            .await
            {
                Ok(arn) => state.set_attr("lock_table_arn", Value::from(arn)),
                Err(d) => {
                    state.set_attr("lock_table", Value::Null);
                    return Err(ApplyError::with_state(d, state));
                }
            }
        }
        Ok((state, Diagnostics::new()))
    }

    async fn read(&self, _ctx: &Context, state: &Value) -> Result<Option<Value>, Diagnostics> {
        self.read_state(state).await
    }

    async fn update(&self, ctx: &Context, prior: &Value, planned: &Value) -> ApplyResult {
        let aws = self.configured.aws()?;
        let old = Spec::from(prior).map_err(ApplyError::new)?;
        let new = Spec::from(planned).map_err(ApplyError::new)?;
        state_bucket::configure(aws.s3(), &new.bucket, &new.desired())
            .await
            .map_err(|f| ApplyError::with_state(diags_of(f), prior.clone()))?;
        let mut state = planned.clone();
        let db = aws.dynamodb();
        match (&old.lock_table, &new.lock_table) {
            (Some(a), Some(b)) if a == b => {
                if let Some(arn) = prior.get("lock_table_arn").as_str() {
                    lock_table::tag(db, arn, &new.aws_tags())
                        .await
                        .map_err(|d| ApplyError::with_state(d, prior.clone()))?;
                }
                state.set_attr("lock_table_arn", prior.get("lock_table_arn").clone());
            }
            (old_table, new_table) => {
                // Create the new table before dropping the old one: locking never lapses.
                state.set_attr("lock_table_arn", Value::Null);
                if let Some(t) = new_table {
                    match lock_table::create(db, t, &new.aws_tags(), ctx, LOCK_TABLE_TIMEOUT).await
                    {
                        Ok(arn) => state.set_attr("lock_table_arn", Value::from(arn)),
                        Err(d) => {
                            let mut partial = state.clone();
                            partial.set_attr("lock_table", prior.get("lock_table").clone());
                            partial.set_attr("lock_table_arn", prior.get("lock_table_arn").clone());
                            return Err(ApplyError::with_state(d, partial));
                        }
                    }
                }
                if let Some(t) = old_table {
                    if let Err(d) = lock_table::delete(db, t).await {
                        let mut warn = Diagnostics::new();
                        warn.warning(
                            "Old lock table not deleted",
                            format!("{}: {}; delete table {t:?} by hand", d.summary, d.detail),
                        );
                        return Ok((state, warn));
                    }
                }
            }
        }
        Ok((state, Diagnostics::new()))
    }

    async fn delete(
        &self,
        _ctx: &Context,
        prior: &Value,
        _why: Deletion,
    ) -> Result<(), Diagnostics> {
        let aws = self.configured.aws()?;
        let spec = Spec::from(prior)?;
        let s3 = aws.s3();
        let force = prior.get("force_destroy").as_bool().unwrap_or(false);
        let exists = state_bucket::read(s3, &spec.bucket).await?.is_some();
        if exists {
            if !force && !state_bucket::is_empty(s3, &spec.bucket).await? {
                return Err(Diagnostic::error(
                    "State bucket is not empty",
                    format!(
                        "bucket {:?} still holds Terraform state. Destroying it would lose that state. \
                         Move the state elsewhere first, or set `force_destroy = true`, apply, then destroy.",
                        spec.bucket
                    ),
                )
                .at(AttrPath::attr("force_destroy"))
                .into());
            }
            if force {
                let n = state_bucket::empty(s3, &spec.bucket).await?;
                tracing::info!(bucket = spec.bucket, objects = n, "emptied state bucket");
            }
            state_bucket::delete(s3, &spec.bucket).await?;
        }
        if let Some(t) = &spec.lock_table {
            lock_table::delete(aws.dynamodb(), t).await?;
        }
        Ok(())
    }

    async fn import(&self, _ctx: &Context, id: &str) -> Result<Value, Diagnostics> {
        if !valid_bucket_name(id) {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!("expected the state bucket's name, got {id:?}"),
            )
            .into());
        }
        let aws = self.configured.aws()?;
        let Some(seen) = state_bucket::read(aws.s3(), id).await? else {
            return Err(Diagnostic::error(
                "Cannot import",
                format!("bucket {id:?} does not exist"),
            )
            .into());
        };
        // The lock table is found through the ownership tag written at create.
        let lock = seen.tags.get(LOCK_TABLE_TAG).cloned();
        let mut prior = Value::object(
            self.schema
                .block
                .attributes
                .iter()
                .map(|a| (a.name.clone(), Value::Null)),
        );
        prior.set_attr("bucket", Value::from(id));
        prior.set_attr("lock_table", lock.clone().into());
        prior.set_attr("force_destroy", Value::Bool(false));
        let table = match &lock {
            Some(name) => lock_table::describe(aws.dynamodb(), name).await?,
            None => None,
        };
        Ok(observed_state(
            &prior,
            &seen,
            table.as_ref(),
            &aws.region(),
            &aws.settings.default_tags,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attribute_is_documented() {
        assert_eq!(
            schema().block.undocumented(&AttrPath::root()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        for ok in ["mosia-state", "a.b-c", "abc"] {
            assert!(valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "Mosia",
            "-x-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }

    #[test]
    fn plan_derives_backend_settings_and_guarantees() {
        let mut planned = Value::object(
            schema()
                .block
                .attributes
                .iter()
                .map(|a| (a.name.clone(), Value::Null)),
        );
        planned.set_attr("bucket", Value::from("state-b"));
        planned.set_attr("lock_table", Value::from("locks"));
        planned.set_attr(
            "tags",
            Value::Map([("env".to_string(), Value::from("dev"))].into()),
        );
        let defaults: BTreeMap<String, String> =
            [("team".to_string(), "platform".to_string())].into();
        derive(&mut planned, "eu-west-1", &defaults);
        assert_eq!(planned.get("arn"), &Value::from("arn:aws:s3:::state-b"));
        assert_eq!(planned.get("versioning_enabled"), &Value::Bool(true));
        assert_eq!(planned.get("sse_algorithm"), &Value::from("AES256"));
        assert_eq!(planned.get("tags_all").string_map().len(), 2);
        let hcl = planned.get("backend_hcl").as_str().unwrap().to_string();
        assert!(
            hcl.contains("bucket = \"state-b\"") && hcl.contains("dynamodb_table = \"locks\""),
            "{hcl}"
        );
        assert!(
            hcl.contains("region = \"eu-west-1\"") && hcl.contains("encrypt = true"),
            "{hcl}"
        );
    }

    #[test]
    fn drift_is_visible_in_observed_state() {
        let mut prior = Value::object(
            schema()
                .block
                .attributes
                .iter()
                .map(|a| (a.name.clone(), Value::Null)),
        );
        prior.set_attr("bucket", Value::from("b1"));
        let seen = ObservedBucket {
            versioning_enabled: false,
            sse_algorithm: Some("AES256".into()),
            public_access_blocked: true,
            tls_only_policy: true,
            noncurrent_version_expiration_days: Some(90),
            tags: [
                ("mosia:managed-by".to_string(), "x".to_string()),
                ("extra".to_string(), "1".to_string()),
            ]
            .into(),
            ..Default::default()
        };
        let state = observed_state(&prior, &seen, None, "us-east-1", &BTreeMap::new());
        assert_eq!(state.get("versioning_enabled"), &Value::Bool(false));
        assert_eq!(
            state.get("tags").string_map().len(),
            1,
            "out-of-band tag shows, ownership tag hidden"
        );
        assert_eq!(state.get("force_destroy"), &Value::Bool(false));
    }
}
