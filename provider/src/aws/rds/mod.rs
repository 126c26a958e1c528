//! The RDS part of an environment: a DB subnet group `{env}-db` over the private subnets, a
//! DB parameter group `{env}-pg{major}` carrying the configured parameters, the primary DB
//! instance `{env}-db` and its read replicas `{env}-db-replica-{n}`.
//!
//! - The master password is managed by RDS in Secrets Manager (`ManageMasterUserPassword`):
//!   no password is ever generated, held, stored in state or logged here; the state carries
//!   only the secret's ARN.
//! - Every object carries the environment's ownership tags (part `rds`); an object found by
//!   its deterministic name is adopted only when its tags say it is ours, so a re-run after a
//!   crash adopts instead of duplicating or failing on a name clash.
//! - `read` costs one `DescribeDBInstances` for the primary and all replicas together (a
//!   `db-instance-id` filter naming the primary and every possible replica identifier).
//! - Waits use [`PollSchedule::for_kind`]`(`[`AwsKind::RdsInstance`]`)`, honouring the
//!   environment's cancellation and deadline, each also bounded by its own timeout.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_rds::types::{ApplyMethod, DbInstance, DbSubnetGroup, Filter, Parameter, Tag};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::future::{join_all, try_join_all};

use super::errors;
use super::network::NetworkState;
use super::part::PartEnv;
use crate::engine::{PartError, Poll, Resume, Waiter};
use crate::aws::wait::AwsKind;
pub mod input;

pub use input::RdsSpec;

/// The `mosia:part` tag value of every RDS object.
pub const PART: &str = "rds";
/// Part name (in errors and logs) of the subnet group, parameter group and primary.
pub const PART_PRIMARY: &str = "rds-primary";
/// Part name (in errors and logs) of the read replicas.
pub const PART_REPLICAS: &str = "rds-replicas";
/// RDS for PostgreSQL (and MySQL) allow at most 15 read replicas per source instance.
pub const MAX_READ_REPLICAS: u32 = 15;
/// The security group of the network that the instances join.
pub const SECURITY_GROUP_KEY: &str = "rds";
/// DB instance identifiers are at most 63 characters.
const MAX_IDENTIFIER_LEN: usize = 63;
/// RDS accepts at most 20 parameters per ModifyDBParameterGroup / ResetDBParameterGroup.
const PARAMETERS_PER_CALL: usize = 20;
/// The major version used when neither the configuration nor RDS names a default.
const FALLBACK_POSTGRES_MAJOR: &str = "16";

/// Own bounds of the waits (the environment's deadline, when earlier, wins).
const CREATE_TIMEOUT: Duration = Duration::from_secs(90 * 60);
const MODIFY_TIMEOUT: Duration = Duration::from_secs(90 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// PostgreSQL parameters whose `apply_type` is `static` on RDS: they can only be applied
/// with `pending-reboot` and take effect at the next reboot. Parameters not listed are sent
/// with `immediate`; when RDS refuses that for a static parameter, the parameter is sent
/// again with `pending-reboot`.
const STATIC_PARAMETERS: &[&str] = &[
    "autovacuum_max_workers",
    "autovacuum_freeze_max_age",
    "autovacuum_multixact_freeze_max_age",
    "huge_pages",
    "max_connections",
    "max_files_per_process",
    "max_locks_per_transaction",
    "max_logical_replication_workers",
    "max_pred_locks_per_transaction",
    "max_prepared_transactions",
    "max_replication_slots",
    "max_wal_senders",
    "max_worker_processes",
    "old_snapshot_threshold",
    "rds.logical_replication",
    "shared_buffers",
    "shared_preload_libraries",
    "track_activity_query_size",
    "track_commit_timestamp",
    "wal_buffers",
    "wal_level",
];

/// The primary DB instance as AWS reports it (plus what `ensure` could not do in place).
#[derive(Debug, Clone, PartialEq)]
pub struct RdsState {
    pub identifier: String,
    pub arn: String,
    pub endpoint: String,
    pub port: i32,
    pub engine_version: String,
    pub instance_class: String,
    pub allocated_storage_gb: u32,
    pub max_allocated_storage_gb: Option<u32>,
    pub multi_az: bool,
    pub backup_retention_days: u32,
    pub deletion_protection: bool,
    /// The RDS-managed secret holding the master password (never the password itself).
    pub master_user_secret_arn: Option<String>,
    pub parameter_group: String,
    pub replicas: Vec<ReplicaState>,
    pub status: String,
    pub engine: String,
    /// Read for import (RDS cannot change the master user name).
    pub master_username: String,
    /// The database created with the instance, if any (read for import).
    pub database_name: Option<String>,
    pub storage_type: Option<String>,
    pub storage_encrypted: bool,
    pub vpc_security_group_ids: Vec<String>,
    pub db_subnet_group: Option<String>,
    /// The parameter group's apply status on the instance: `in-sync`, `applying` or
    /// `pending-reboot` (static parameters changed: they apply at the next reboot).
    pub parameter_apply_status: Option<String>,
    /// What `ensure` could not change in place, and why (always empty from `read`).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaState {
    pub identifier: String,
    pub arn: String,
    pub endpoint: String,
    pub instance_class: String,
    pub status: String,
    pub deletion_protection: bool,
}

impl RdsState {
    /// True when static parameters were changed and wait for a reboot of the instance.
    pub fn pending_reboot(&self) -> bool {
        self.parameter_apply_status.as_deref() == Some("pending-reboot")
    }
}

// ---------------------------------------------------------------------------------------------
// Names

/// `{env}-db`.
pub fn primary_identifier(env: &PartEnv) -> String {
    env.aws_name("db")
}

/// `{env}-db-replica-{n}`, n from 1.
pub fn replica_identifier(env: &PartEnv, n: u32) -> String {
    env.aws_name(&format!("db-replica-{n}"))
}

/// `{env}-db`.
pub fn subnet_group_name(env: &PartEnv) -> String {
    env.aws_name("db")
}

/// `{env}-pg{major}`, e.g. `mosia-dev-pg16` (dots become dashes: `mysql` 8.0 gives `pg8-0`).
pub fn parameter_group_name(env: &PartEnv, major: &str) -> String {
    env.aws_name(&format!("pg{}", major.replace('.', "-")))
}

/// The parameter group family of an engine's major version: `postgres16`, `mysql8.0`.
pub fn parameter_group_family(engine: &str, major: &str) -> String {
    format!("{engine}{major}")
}

/// The major version of an engine version: PostgreSQL 10+ `16.4` → `16` (9.6.x → `9.6`),
/// MySQL/MariaDB `8.0.35` → `8.0`.
pub fn major_version(engine: &str, version: &str) -> String {
    let parts: Vec<&str> = version.split('.').collect();
    let first = parts.first().copied().unwrap_or_default();
    let two = || parts.iter().take(2).copied().collect::<Vec<_>>().join(".");
    if engine.starts_with("postgres") {
        match first.parse::<u32>() {
            Ok(n) if n < 10 => two(),
            _ => first.to_string(),
        }
    } else if engine.starts_with("mysql") || engine.starts_with("mariadb") {
        two()
    } else {
        first.to_string()
    }
}

/// Numeric components of a version, for ordering (`16.4` → [16, 4]).
fn version_key(v: &str) -> Vec<u64> {
    v.split('.')
        .map(|p| {
            p.chars()
                .take_while(|c| c.is_ascii_digit())
                .collect::<String>()
                .parse()
                .unwrap_or(0)
        })
        .collect()
}

/// True when the observed version satisfies the wanted one: equal, or the wanted one is a
/// prefix (`16` is satisfied by `16.4`).
pub fn version_matches(want: &str, have: &str) -> bool {
    have == want || have.starts_with(&format!("{want}."))
}

fn replica_number(env: &PartEnv, identifier: &str) -> Option<u32> {
    identifier
        .strip_prefix(&env.aws_name("db-replica-"))
        .and_then(|n| n.parse().ok())
        .filter(|n| (1..=MAX_READ_REPLICAS).contains(n))
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Service error codes that may pass by themselves (throttling, internal errors, capacity).
const TRANSIENT_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalFailure",
    "ServiceUnavailable",
    "InsufficientDBInstanceCapacity",
    "InvalidDBInstanceState",
    "InvalidDBInstanceStateFault",
];

/// Throttling, 5xx and transport failures may pass by themselves.
fn is_transient<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    errors::is_transient(err, TRANSIENT_CODES)
}

/// An SDK error as a [`PartError`]: "creating DB instance `x`: RDS CreateDBInstance: Code: message".
fn aws_err<E, R>(
    part: &str,
    summary: impl Into<String>,
    op: &str,
    err: &SdkError<E, R>,
) -> PartError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let d = errors::diagnostic(&format!("RDS {op}"), err);
    PartError::new(part, summary, format!("RDS {op}: {}", d.detail)).retryable(is_transient(err))
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    super::tags::from_pairs(tags.iter().map(|t| (t.key(), t.value())))
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn check_identifier_lengths(env: &PartEnv) -> Result<(), PartError> {
    let longest = replica_identifier(env, MAX_READ_REPLICAS);
    if longest.len() > MAX_IDENTIFIER_LEN {
        return Err(PartError::new(
            PART_PRIMARY,
            format!("naming the DB instances of environment `{}`", env.name),
            format!(
                "`{longest}` is longer than the {MAX_IDENTIFIER_LEN} characters RDS allows for \
                 a DB instance identifier: use a shorter environment name"
            ),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Describe

/// The primary and its replicas (only those that exist), by identifier, in one call.
async fn describe_family(
    env: &PartEnv,
) -> Result<
    BTreeMap<String, DbInstance>,
    SdkError<
        aws_sdk_rds::operation::describe_db_instances::DescribeDBInstancesError,
        aws_smithy_runtime_api::http::Response,
    >,
> {
    let mut ids = vec![primary_identifier(env)];
    ids.extend((1..=MAX_READ_REPLICAS).map(|n| replica_identifier(env, n)));
    let out = env
        .aws
        .rds()
        .describe_db_instances()
        .filters(
            Filter::builder()
                .name("db-instance-id")
                .set_values(Some(ids))
                .build(),
        )
        .send()
        .await?;
    Ok(out
        .db_instances()
        .iter()
        .filter_map(|db| Some((db.db_instance_identifier()?.to_string(), db.clone())))
        .collect())
}

async fn describe_family_or_err(
    env: &PartEnv,
    part: &str,
) -> Result<BTreeMap<String, DbInstance>, PartError> {
    describe_family(env).await.map_err(|e| {
        aws_err(
            part,
            format!("describing the DB instances of `{}`", env.name),
            "DescribeDBInstances",
            &e,
        )
    })
}

fn replica_state(db: &DbInstance) -> ReplicaState {
    ReplicaState {
        identifier: db.db_instance_identifier().unwrap_or_default().to_string(),
        arn: db.db_instance_arn().unwrap_or_default().to_string(),
        endpoint: db
            .endpoint()
            .and_then(|e| e.address())
            .unwrap_or_default()
            .to_string(),
        instance_class: db.db_instance_class().unwrap_or_default().to_string(),
        status: db.db_instance_status().unwrap_or_default().to_string(),
        deletion_protection: db.deletion_protection().unwrap_or(false),
    }
}

fn primary_state(env: &PartEnv, family: &BTreeMap<String, DbInstance>) -> Option<RdsState> {
    let db = family.get(&primary_identifier(env))?;
    let mut replicas: Vec<(u32, ReplicaState)> = family
        .iter()
        .filter_map(|(id, r)| Some((replica_number(env, id)?, replica_state(r))))
        .collect();
    replicas.sort_by_key(|(n, _)| *n);
    let pg = db.db_parameter_groups().first();
    Some(RdsState {
        identifier: db.db_instance_identifier().unwrap_or_default().to_string(),
        arn: db.db_instance_arn().unwrap_or_default().to_string(),
        endpoint: db
            .endpoint()
            .and_then(|e| e.address())
            .unwrap_or_default()
            .to_string(),
        port: db
            .endpoint()
            .and_then(|e| e.port())
            .or(db.db_instance_port().filter(|p| *p != 0))
            .unwrap_or(0),
        engine_version: db.engine_version().unwrap_or_default().to_string(),
        instance_class: db.db_instance_class().unwrap_or_default().to_string(),
        allocated_storage_gb: db.allocated_storage().unwrap_or(0).max(0) as u32,
        max_allocated_storage_gb: db.max_allocated_storage().map(|m| m.max(0) as u32),
        multi_az: db.multi_az().unwrap_or(false),
        backup_retention_days: db.backup_retention_period().unwrap_or(0).max(0) as u32,
        deletion_protection: db.deletion_protection().unwrap_or(false),
        master_user_secret_arn: db
            .master_user_secret()
            .and_then(|s| s.secret_arn())
            .map(str::to_string),
        parameter_group: pg
            .and_then(|p| p.db_parameter_group_name())
            .unwrap_or_default()
            .to_string(),
        replicas: replicas.into_iter().map(|(_, r)| r).collect(),
        status: db.db_instance_status().unwrap_or_default().to_string(),
        engine: db.engine().unwrap_or_default().to_string(),
        master_username: db.master_username().unwrap_or_default().to_string(),
        database_name: db.db_name().map(str::to_string),
        storage_type: db.storage_type().map(str::to_string),
        storage_encrypted: db.storage_encrypted().unwrap_or(false),
        vpc_security_group_ids: db
            .vpc_security_groups()
            .iter()
            .filter_map(|g| g.vpc_security_group_id().map(str::to_string))
            .collect(),
        db_subnet_group: db
            .db_subnet_group()
            .and_then(|g| g.db_subnet_group_name())
            .map(str::to_string),
        parameter_apply_status: pg
            .and_then(|p| p.parameter_apply_status())
            .map(str::to_string),
        warnings: Vec::new(),
    })
}

fn owned(env: &PartEnv, db: &DbInstance) -> bool {
    env.owns(PART, &tag_map(db.tag_list()))
}

fn not_ours(part: &str, what: &str, name: &str, tags: &BTreeMap<String, String>) -> PartError {
    PartError::new(
        part,
        format!("adopting {what} `{name}`"),
        format!(
            "{what} `{name}` exists but is not owned by this environment (its tags {} do not \
             name this environment's `{PART}` part): rename the environment, or delete or \
             retag that object",
            if tags.is_empty() {
                "are empty".to_string()
            } else {
                format!("{tags:?}")
            }
        ),
    )
}

/// Statuses from which an instance does not become available by itself.
fn is_failed_status(status: &str) -> bool {
    matches!(
        status,
        "failed"
            | "incompatible-parameters"
            | "incompatible-network"
            | "incompatible-restore"
            | "incompatible-option-group"
            | "incompatible-credentials"
            | "inaccessible-encryption-credentials"
            | "inaccessible-encryption-credentials-recoverable"
            | "restore-error"
            | "storage-full"
            | "stopped"
            | "stopping"
    )
}

/// Fields of PendingModifiedValues that a ModifyDBInstance we send can leave pending.
fn has_pending_modifications(db: &DbInstance) -> bool {
    db.pending_modified_values().is_some_and(|p| {
        p.db_instance_class().is_some()
            || p.allocated_storage().is_some()
            || p.multi_az().is_some()
            || p.engine_version().is_some()
            || p.backup_retention_period().is_some()
            || p.storage_type().is_some()
            || p.iops().is_some()
            || p.storage_throughput().is_some()
            || p.db_subnet_group_name().is_some()
    })
}

// ---------------------------------------------------------------------------------------------
// Waits

/// Polls the primary and its replicas until `ready` says so.
async fn wait_family<T>(
    env: &PartEnv,
    part: &str,
    what: String,
    timeout: Duration,
    ready: impl Fn(&BTreeMap<String, DbInstance>) -> Poll<T, PartError>,
) -> Result<T, PartError> {
    let ready = &ready;
    Waiter::new(part, AwsKind::RdsInstance.poll_schedule())
        .what(what)
        .cancel(&env.ctx)
        .deadline(env.deadline)
        .timeout(timeout)
        .until(move || async move {
            match describe_family(env).await {
                Ok(family) => ready(&family),
                Err(e) if is_transient(&e) => Poll::Pending(format!(
                    "describe failed, retrying: {}",
                    errors::diagnostic("RDS DescribeDBInstances", &e).detail
                )),
                Err(e) => Poll::Failed(aws_err(
                    part,
                    "waiting for the DB instances",
                    "DescribeDBInstances",
                    &e,
                )),
            }
        })
        .await
        .map_err(PartError::from)
}

/// Ready when `id` is available with no pending modification and `settled` holds.
fn available_check<'a>(
    part: &'a str,
    id: &'a str,
    action: &'a str,
    settled: impl Fn(&DbInstance) -> bool + 'a,
) -> impl Fn(&BTreeMap<String, DbInstance>) -> Poll<BTreeMap<String, DbInstance>, PartError> + 'a {
    move |family| match family.get(id) {
        None => Poll::Pending("not found yet".into()),
        Some(db) => {
            let status = db.db_instance_status().unwrap_or("unknown");
            if is_failed_status(status) {
                Poll::Failed(PartError::new(
                    part,
                    format!("{action} DB instance `{id}`"),
                    format!("the instance went to status `{status}`"),
                ))
            } else if status != "available" {
                Poll::Pending(status.to_string())
            } else if has_pending_modifications(db) {
                Poll::Pending("available, modifications pending".into())
            } else if !settled(db) {
                Poll::Pending("available, changes not visible yet".into())
            } else {
                Poll::Ready(family.clone())
            }
        }
    }
}

fn gone_check<'a>(
    ids: &'a [String],
) -> impl Fn(&BTreeMap<String, DbInstance>) -> Poll<(), PartError> + 'a {
    move |family| {
        let left: Vec<String> = ids
            .iter()
            .filter_map(|id| {
                family
                    .get(id)
                    .map(|db| format!("{id}: {}", db.db_instance_status().unwrap_or("unknown")))
            })
            .collect();
        if left.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending(left.join(", "))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Subnet group and parameter group

async fn list_tags(
    env: &PartEnv,
    part: &str,
    arn: &str,
) -> Result<BTreeMap<String, String>, PartError> {
    let out = env
        .aws
        .rds()
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(|e| {
            aws_err(
                part,
                format!("reading the tags of `{arn}`"),
                "ListTagsForResource",
                &e,
            )
        })?;
    Ok(tag_map(out.tag_list()))
}

/// Adds missing or different tags, removes tags Mosia no longer wants (not `aws:` ones).
async fn sync_tags(
    env: &PartEnv,
    part: &str,
    arn: &str,
    have: &BTreeMap<String, String>,
    want: &BTreeMap<String, String>,
) -> Result<(), PartError> {
    let (add, remove) = super::tags::diff(have, want);
    let rds = env.aws.rds();
    if !add.is_empty() {
        tracing::info!(part, object = arn, keys = ?add.keys().collect::<Vec<_>>(), "updating tags");
        rds.add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(sdk_tags(&add)))
            .send()
            .await
            .map_err(|e| aws_err(part, format!("tagging `{arn}`"), "AddTagsToResource", &e))?;
    }
    if !remove.is_empty() {
        tracing::info!(part, object = arn, keys = ?remove, "removing tags");
        rds.remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(|e| {
                aws_err(
                    part,
                    format!("untagging `{arn}`"),
                    "RemoveTagsFromResource",
                    &e,
                )
            })?;
    }
    Ok(())
}

/// The environment's DB subnet group; None when it does not exist.
async fn describe_subnet_group(env: &PartEnv) -> Result<Option<DbSubnetGroup>, PartError> {
    let name = subnet_group_name(env);
    match env
        .aws
        .rds()
        .describe_db_subnet_groups()
        .db_subnet_group_name(&name)
        .send()
        .await
    {
        Ok(out) => Ok(out.db_subnet_groups().first().cloned()),
        Err(e) if errors::code(&e) == Some("DBSubnetGroupNotFoundFault") => Ok(None),
        Err(e) => Err(aws_err(
            PART_PRIMARY,
            format!("describing DB subnet group `{name}`"),
            "DescribeDBSubnetGroups",
            &e,
        )),
    }
}

/// The subnets of the environment's DB subnet group (import of an environment in the
/// user's own VPC learns `subnet_ids` from it).
pub async fn subnet_group_subnet_ids(env: &PartEnv) -> Result<Vec<String>, PartError> {
    Ok(describe_subnet_group(env)
        .await?
        .map(|g| {
            g.subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

async fn ensure_subnet_group(env: &PartEnv, net: &NetworkState) -> Result<String, PartError> {
    let name = subnet_group_name(env);
    let rds = env.aws.rds();
    let want_subnets: BTreeSet<String> = net.private_subnet_ids.iter().cloned().collect();
    let found = describe_subnet_group(env).await?;
    match found {
        None => {
            tracing::info!(part = PART_PRIMARY, object = %name, "creating DB subnet group");
            match rds
                .create_db_subnet_group()
                .db_subnet_group_name(&name)
                .db_subnet_group_description(format!(
                    "Private subnets of the Mosia environment {}",
                    env.name
                ))
                .set_subnet_ids(Some(net.private_subnet_ids.clone()))
                .set_tags(Some(sdk_tags(&env.tags_for(PART))))
                .send()
                .await
            {
                Ok(_) => {}
                // Created by a concurrent or crashed run between describe and create.
                Err(e) if errors::code(&e) == Some("DBSubnetGroupAlreadyExists") => {
                    return Box::pin(ensure_subnet_group(env, net)).await;
                }
                Err(e) => {
                    return Err(aws_err(
                        PART_PRIMARY,
                        format!("creating DB subnet group `{name}`"),
                        "CreateDBSubnetGroup",
                        &e,
                    ))
                }
            }
        }
        Some(group) => {
            let arn = group.db_subnet_group_arn().unwrap_or_default().to_string();
            let tags = list_tags(env, PART_PRIMARY, &arn).await?;
            if !env.owns(PART, &tags) {
                return Err(not_ours(PART_PRIMARY, "DB subnet group", &name, &tags));
            }
            sync_tags(env, PART_PRIMARY, &arn, &tags, &env.tags_for(PART)).await?;
            let have: BTreeSet<String> = group
                .subnets()
                .iter()
                .filter_map(|s| s.subnet_identifier().map(str::to_string))
                .collect();
            if have != want_subnets {
                tracing::info!(part = PART_PRIMARY, object = %name, "updating DB subnet group subnets");
                rds.modify_db_subnet_group()
                    .db_subnet_group_name(&name)
                    .set_subnet_ids(Some(net.private_subnet_ids.clone()))
                    .send()
                    .await
                    .map_err(|e| {
                        aws_err(
                            PART_PRIMARY,
                            format!("updating the subnets of DB subnet group `{name}`"),
                            "ModifyDBSubnetGroup",
                            &e,
                        )
                    })?;
            }
        }
    }
    Ok(name)
}

/// What applying the configured parameters did.
#[derive(Debug, Default)]
struct ParameterOutcome {
    /// Parameters applied with `pending-reboot` (static): they need a reboot.
    need_reboot: Vec<String>,
    changed: bool,
}

fn apply_method_for(name: &str) -> ApplyMethod {
    if STATIC_PARAMETERS.contains(&name) {
        ApplyMethod::PendingReboot
    } else {
        ApplyMethod::Immediate
    }
}

async fn ensure_parameter_group(
    env: &PartEnv,
    engine: &str,
    major: &str,
    parameters: &BTreeMap<String, String>,
) -> Result<(String, ParameterOutcome), PartError> {
    let name = parameter_group_name(env, major);
    let family = parameter_group_family(engine, major);
    let rds = env.aws.rds();
    let found = match rds
        .describe_db_parameter_groups()
        .db_parameter_group_name(&name)
        .send()
        .await
    {
        Ok(out) => out.db_parameter_groups().first().cloned(),
        Err(e) if errors::code(&e) == Some("DBParameterGroupNotFound") => None,
        Err(e) => {
            return Err(aws_err(
                PART_PRIMARY,
                format!("describing DB parameter group `{name}`"),
                "DescribeDBParameterGroups",
                &e,
            ))
        }
    };
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    match found {
        None => {
            tracing::info!(part = PART_PRIMARY, object = %name, family = %family, "creating DB parameter group");
            match rds
                .create_db_parameter_group()
                .db_parameter_group_name(&name)
                .db_parameter_group_family(&family)
                .description(format!("Parameters of the Mosia environment {}", env.name))
                .set_tags(Some(sdk_tags(&env.tags_for(PART))))
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if errors::code(&e) == Some("DBParameterGroupAlreadyExists") => {
                    return Box::pin(ensure_parameter_group(env, engine, major, parameters)).await;
                }
                Err(e) => {
                    return Err(aws_err(
                        PART_PRIMARY,
                        format!("creating DB parameter group `{name}` ({family})"),
                        "CreateDBParameterGroup",
                        &e,
                    ))
                }
            }
        }
        Some(group) => {
            let arn = group
                .db_parameter_group_arn()
                .unwrap_or_default()
                .to_string();
            let tags = list_tags(env, PART_PRIMARY, &arn).await?;
            if !env.owns(PART, &tags) {
                return Err(not_ours(PART_PRIMARY, "DB parameter group", &name, &tags));
            }
            sync_tags(env, PART_PRIMARY, &arn, &tags, &env.tags_for(PART)).await?;
            if let Some(have_family) = group.db_parameter_group_family() {
                if have_family != family {
                    return Err(PartError::new(
                        PART_PRIMARY,
                        format!("adopting DB parameter group `{name}`"),
                        format!("its family is `{have_family}`, expected `{family}`"),
                    ));
                }
            }
            // The parameters set by the user (source `user`), paginated.
            let mut marker: Option<String> = None;
            loop {
                let out = rds
                    .describe_db_parameters()
                    .db_parameter_group_name(&name)
                    .source("user")
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        aws_err(
                            PART_PRIMARY,
                            format!("reading the parameters of `{name}`"),
                            "DescribeDBParameters",
                            &e,
                        )
                    })?;
                for p in out.parameters() {
                    if p.source().is_some_and(|s| s != "user") {
                        continue;
                    }
                    if let (Some(k), Some(v)) = (p.parameter_name(), p.parameter_value()) {
                        current.insert(k.to_string(), v.to_string());
                    }
                }
                marker = out.marker().map(str::to_string).filter(|m| !m.is_empty());
                if marker.is_none() {
                    break;
                }
            }
        }
    }

    let mut outcome = ParameterOutcome::default();
    let to_set: Vec<(&String, &String)> = parameters
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .collect();
    for chunk in to_set.chunks(PARAMETERS_PER_CALL) {
        let params: Vec<Parameter> = chunk
            .iter()
            .map(|(k, v)| {
                Parameter::builder()
                    .parameter_name(*k)
                    .parameter_value(*v)
                    .apply_method(apply_method_for(k))
                    .build()
            })
            .collect();
        tracing::info!(part = PART_PRIMARY, object = %name, parameters = ?chunk.iter().map(|(k, _)| k).collect::<Vec<_>>(), "setting DB parameters");
        match rds
            .modify_db_parameter_group()
            .db_parameter_group_name(&name)
            .set_parameters(Some(params))
            .send()
            .await
        {
            Ok(_) => {
                outcome.need_reboot.extend(
                    chunk
                        .iter()
                        .filter(|(k, _)| apply_method_for(k) == ApplyMethod::PendingReboot)
                        .map(|(k, _)| (*k).clone()),
                );
            }
            // A static parameter sent with `immediate`: one by one, falling back to
            // `pending-reboot` for those RDS refuses to apply at once.
            Err(e) if errors::code(&e) == Some("InvalidParameterCombination") => {
                for (k, v) in chunk {
                    let first = apply_method_for(k);
                    let mut method = first.clone();
                    loop {
                        let r = rds
                            .modify_db_parameter_group()
                            .db_parameter_group_name(&name)
                            .parameters(
                                Parameter::builder()
                                    .parameter_name(*k)
                                    .parameter_value(*v)
                                    .apply_method(method.clone())
                                    .build(),
                            )
                            .send()
                            .await;
                        match r {
                            Ok(_) => {
                                if method == ApplyMethod::PendingReboot {
                                    outcome.need_reboot.push((*k).clone());
                                }
                                break;
                            }
                            Err(e)
                                if method == ApplyMethod::Immediate
                                    && errors::code(&e) == Some("InvalidParameterCombination") =>
                            {
                                method = ApplyMethod::PendingReboot;
                            }
                            Err(e) => {
                                return Err(aws_err(
                                    PART_PRIMARY,
                                    format!("setting parameter `{k}` in `{name}`"),
                                    "ModifyDBParameterGroup",
                                    &e,
                                ))
                            }
                        }
                    }
                }
            }
            Err(e) => {
                return Err(aws_err(
                    PART_PRIMARY,
                    format!("setting parameters in DB parameter group `{name}`"),
                    "ModifyDBParameterGroup",
                    &e,
                ))
            }
        }
        outcome.changed = true;
    }

    // Parameters set earlier (or out of band) that the configuration no longer names go back
    // to the engine default.
    let to_reset: Vec<&String> = current
        .keys()
        .filter(|k| !parameters.contains_key(*k))
        .collect();
    for chunk in to_reset.chunks(PARAMETERS_PER_CALL) {
        tracing::info!(part = PART_PRIMARY, object = %name, parameters = ?chunk, "resetting DB parameters to their defaults");
        let params: Vec<Parameter> = chunk
            .iter()
            .map(|k| {
                Parameter::builder()
                    .parameter_name(*k)
                    .apply_method(apply_method_for(k))
                    .build()
            })
            .collect();
        rds.reset_db_parameter_group()
            .db_parameter_group_name(&name)
            .reset_all_parameters(false)
            .set_parameters(Some(params))
            .send()
            .await
            .map_err(|e| {
                aws_err(
                    PART_PRIMARY,
                    format!("resetting parameters in DB parameter group `{name}`"),
                    "ResetDBParameterGroup",
                    &e,
                )
            })?;
        outcome.need_reboot.extend(
            chunk
                .iter()
                .filter(|k| apply_method_for(k) == ApplyMethod::PendingReboot)
                .map(|k| (*k).clone()),
        );
        outcome.changed = true;
    }
    Ok((name, outcome))
}

/// The engine version to create with when the configuration leaves it to RDS: RDS's default
/// (DescribeDBEngineVersions, DefaultOnly), else the latest PostgreSQL major this provider
/// knows (RDS accepts a bare major version and picks its default minor).
async fn default_engine_version(env: &PartEnv, engine: &str) -> String {
    match env
        .aws
        .rds()
        .describe_db_engine_versions()
        .engine(engine)
        .default_only(true)
        .send()
        .await
    {
        Ok(out) => {
            if let Some(v) = out
                .db_engine_versions()
                .first()
                .and_then(|v| v.engine_version())
            {
                return v.to_string();
            }
        }
        Err(e) => {
            tracing::warn!(
                part = PART_PRIMARY,
                engine,
                error = %errors::diagnostic("RDS DescribeDBEngineVersions", &e).detail,
                "cannot ask RDS for its default engine version; using {FALLBACK_POSTGRES_MAJOR}"
            );
        }
    }
    FALLBACK_POSTGRES_MAJOR.to_string()
}

// ---------------------------------------------------------------------------------------------
// Primary

/// Converges the subnet group, parameter group and primary DB instance to `spec`; waits until
/// the instance is available with no pending modification. Replicas are left to
/// [`ensure_replicas`] (the returned state lists those that exist).
pub async fn ensure_primary(
    env: &PartEnv,
    spec: &RdsSpec,
    net: &NetworkState,
) -> Result<RdsState, PartError> {
    check_identifier_lengths(env)?;
    let id = primary_identifier(env);
    let sg = net
        .security_group_ids
        .get(SECURITY_GROUP_KEY)
        .cloned()
        .ok_or_else(|| {
            PartError::new(
                PART_PRIMARY,
                format!("creating DB instance `{id}`"),
                "the network has no `rds` security group",
            )
        })?;
    if net.private_subnet_ids.len() < 2 {
        return Err(PartError::new(
            PART_PRIMARY,
            format!("creating DB subnet group `{}`", subnet_group_name(env)),
            format!(
                "RDS needs subnets in at least two availability zones; the network has {} \
                 private subnet(s)",
                net.private_subnet_ids.len()
            ),
        ));
    }

    let family = describe_family_or_err(env, PART_PRIMARY).await?;
    let existing = family.get(&id).cloned();
    if let Some(db) = &existing {
        if !owned(env, db) {
            return Err(not_ours(
                PART_PRIMARY,
                "DB instance",
                &id,
                &tag_map(db.tag_list()),
            ));
        }
        let status = db.db_instance_status().unwrap_or_default();
        if status == "deleting" {
            return Err(PartError::new(
                PART_PRIMARY,
                format!("adopting DB instance `{id}`"),
                "the instance is being deleted; wait until it is gone",
            )
            .retryable(true));
        }
    }

    // The version to run: configured, else what runs now, else RDS's default.
    let version = match (&spec.engine_version, &existing) {
        (Some(v), _) => v.clone(),
        (None, Some(db)) => db.engine_version().unwrap_or_default().to_string(),
        (None, None) => default_engine_version(env, &spec.engine).await,
    };
    let major = major_version(&spec.engine, &version);

    let mut warnings = Vec::new();
    let subnet_group = ensure_subnet_group(env, net).await?;
    let (pg_name, params) =
        ensure_parameter_group(env, &spec.engine, &major, &spec.parameters).await?;
    if !params.need_reboot.is_empty() {
        warnings.push(format!(
            "parameters {} of DB parameter group `{pg_name}` are static: they take effect at the \
             next reboot of `{id}` (Mosia does not reboot the database; reboot it in a \
             maintenance window)",
            params
                .need_reboot
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    let existing = match (existing, &spec.snapshot_identifier) {
        (None, Some(snapshot)) => {
            // Restored, then converged to the configuration like an existing instance.
            let family =
                restore_primary(env, spec, &id, snapshot, &subnet_group, &pg_name, &sg).await?;
            family.get(&id).cloned().map(|db| (db, family))
        }
        (Some(db), _) => Some((db, family)),
        (None, None) => None,
    };
    let final_family = match existing {
        None => create_primary(env, spec, &id, &version, &subnet_group, &pg_name, &sg).await?,
        Some((db, family)) => {
            modify_primary(env, spec, &db, family, &major, &pg_name, &sg, &mut warnings).await?
        }
    };
    let mut state = primary_state(env, &final_family).ok_or_else(|| {
        PartError::new(
            PART_PRIMARY,
            format!("reading DB instance `{id}`"),
            "the instance disappeared",
        )
        .retryable(true)
    })?;
    if state.pending_reboot() && params.need_reboot.is_empty() {
        warnings.push(format!(
            "DB instance `{id}` has parameter changes pending a reboot (parameter group \
             `{}`)",
            state.parameter_group
        ));
    }
    for w in &warnings {
        tracing::warn!(part = PART_PRIMARY, object = %id, "{w}");
    }
    state.warnings = warnings;
    tracing::info!(part = PART_PRIMARY, object = %id, status = %state.status, class = %state.instance_class, "DB instance ready");
    Ok(state)
}

async fn create_primary(
    env: &PartEnv,
    spec: &RdsSpec,
    id: &str,
    version: &str,
    subnet_group: &str,
    pg_name: &str,
    sg: &str,
) -> Result<BTreeMap<String, DbInstance>, PartError> {
    tracing::info!(part = PART_PRIMARY, object = %id, engine = %spec.engine, version, class = %spec.instance_class, "creating DB instance");
    let mut req = env
        .aws
        .rds()
        .create_db_instance()
        .db_instance_identifier(id)
        .engine(&spec.engine)
        .engine_version(version)
        .db_instance_class(&spec.instance_class)
        .allocated_storage(spec.allocated_storage_gb as i32)
        .storage_type("gp3")
        .storage_encrypted(true)
        .multi_az(spec.multi_az)
        .backup_retention_period(spec.backup_retention_days as i32)
        .deletion_protection(spec.deletion_protection)
        .db_subnet_group_name(subnet_group)
        .db_parameter_group_name(pg_name)
        .vpc_security_group_ids(sg)
        .publicly_accessible(false)
        .copy_tags_to_snapshot(true)
        .master_username(&spec.master_username)
        .manage_master_user_password(true)
        .set_tags(Some(sdk_tags(&env.tags_for(PART))));
    if let Some(max) = spec.max_allocated_storage_gb {
        req = req.max_allocated_storage(max as i32);
    }
    if let Some(db_name) = &spec.database_name {
        req = req.db_name(db_name);
    }
    match req.send().await {
        Ok(_) => {}
        // A concurrent run created it between our describe and this create: adopt it below
        // (its ownership is checked by the wait's result).
        Err(e) if errors::code(&e) == Some("DBInstanceAlreadyExists") => {
            tracing::info!(part = PART_PRIMARY, object = %id, "DB instance already exists: adopting");
        }
        Err(e) => {
            return Err(aws_err(
                PART_PRIMARY,
                format!("creating DB instance `{id}`"),
                "CreateDBInstance",
                &e,
            ))
        }
    }
    wait_new_primary(
        env,
        id,
        "creating",
        format!("DB instance `{id}` to become available"),
    )
    .await
}

/// Waits until the primary just created (or restored) is available, and checks it is ours
/// (a concurrent run may have created it under our name).
async fn wait_new_primary(
    env: &PartEnv,
    id: &str,
    verb: &'static str,
    what: String,
) -> Result<BTreeMap<String, DbInstance>, PartError> {
    let family = wait_family(
        env,
        PART_PRIMARY,
        what,
        CREATE_TIMEOUT,
        available_check(PART_PRIMARY, id, verb, |_| true),
    )
    .await?;
    if let Some(db) = family.get(id) {
        if !owned(env, db) {
            return Err(not_ours(
                PART_PRIMARY,
                "DB instance",
                id,
                &tag_map(db.tag_list()),
            ));
        }
    }
    Ok(family)
}

/// Creates the primary from DB snapshot `snapshot` (RestoreDBInstanceFromDBSnapshot) in
/// the environment's subnets, security group and parameter group, and waits until it is
/// available. Settings a restore cannot take are converged afterwards by `modify_primary`.
async fn restore_primary(
    env: &PartEnv,
    spec: &RdsSpec,
    id: &str,
    snapshot: &str,
    subnet_group: &str,
    pg_name: &str,
    sg: &str,
) -> Result<BTreeMap<String, DbInstance>, PartError> {
    tracing::info!(part = PART_PRIMARY, object = %id, snapshot, class = %spec.instance_class, "restoring DB instance from snapshot");
    let req = env
        .aws
        .rds()
        .restore_db_instance_from_db_snapshot()
        .db_instance_identifier(id)
        .db_snapshot_identifier(snapshot)
        .db_instance_class(&spec.instance_class)
        .storage_type("gp3")
        .multi_az(spec.multi_az)
        .deletion_protection(spec.deletion_protection)
        .db_subnet_group_name(subnet_group)
        .db_parameter_group_name(pg_name)
        .vpc_security_group_ids(sg)
        .publicly_accessible(false)
        .copy_tags_to_snapshot(true)
        .set_tags(Some(sdk_tags(&env.tags_for(PART))));
    match req.send().await {
        Ok(_) => {}
        Err(e) if errors::code(&e) == Some("DBInstanceAlreadyExists") => {
            tracing::info!(part = PART_PRIMARY, object = %id, "DB instance already exists: adopting");
        }
        Err(e) => {
            let mut err = aws_err(
                PART_PRIMARY,
                format!("restoring DB instance `{id}` from snapshot `{snapshot}`"),
                "RestoreDBInstanceFromDBSnapshot",
                &e,
            );
            if errors::code(&e) == Some("DBSnapshotNotFound") {
                err.detail.push_str(&format!(
                    "\nNo DB snapshot `{snapshot}` in region {}: check rds.snapshot_identifier (a snapshot of another account needs its ARN).",
                    env.aws.region()
                ));
            }
            return Err(err);
        }
    }
    wait_new_primary(
        env,
        id,
        "restoring",
        format!("DB instance `{id}` restored from `{snapshot}` to become available"),
    )
    .await
}

/// Modifies what differs (ApplyImmediately) and waits until it is applied.
#[allow(clippy::too_many_arguments)]
async fn modify_primary(
    env: &PartEnv,
    spec: &RdsSpec,
    db: &DbInstance,
    family: BTreeMap<String, DbInstance>,
    major: &str,
    pg_name: &str,
    sg: &str,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, DbInstance>, PartError> {
    let id = db.db_instance_identifier().unwrap_or_default().to_string();
    let status = db.db_instance_status().unwrap_or_default().to_string();
    if is_failed_status(&status) {
        return Err(PartError::new(
            PART_PRIMARY,
            format!("updating DB instance `{id}`"),
            format!("the instance is in status `{status}`, from which RDS cannot modify it"),
        ));
    }
    // Let a create or modification in progress finish first (ModifyDBInstance needs an
    // available instance).
    let (db, family) = if status != "available" || has_pending_modifications(db) {
        tracing::info!(part = PART_PRIMARY, object = %id, status = %status, "waiting for the DB instance before modifying it");
        let family = wait_family(
            env,
            PART_PRIMARY,
            format!("DB instance `{id}` to become available"),
            CREATE_TIMEOUT,
            available_check(PART_PRIMARY, &id, "adopting", |_| true),
        )
        .await?;
        (
            family.get(&id).cloned().unwrap_or_else(|| db.clone()),
            family,
        )
    } else {
        (db.clone(), family)
    };

    // Tags (RDS tags are not part of ModifyDBInstance).
    let arn = db.db_instance_arn().unwrap_or_default().to_string();
    sync_tags(
        env,
        PART_PRIMARY,
        &arn,
        &tag_map(db.tag_list()),
        &env.tags_for(PART),
    )
    .await?;

    let have_storage = db.allocated_storage().unwrap_or(0).max(0) as u32;
    if spec.allocated_storage_gb < have_storage {
        return Err(PartError::new(
            PART_PRIMARY,
            format!("updating DB instance `{id}`"),
            format!(
                "allocated_storage_gb cannot shrink from {have_storage} to {} GB: RDS does not \
                 reduce the storage of a DB instance. Set allocated_storage_gb to at least \
                 {have_storage}, or move the data to a new instance",
                spec.allocated_storage_gb
            ),
        ));
    }

    let mut req = env
        .aws
        .rds()
        .modify_db_instance()
        .db_instance_identifier(&id)
        .apply_immediately(true);
    let mut changes: Vec<String> = Vec::new();
    let have_class = db.db_instance_class().unwrap_or_default();
    if have_class != spec.instance_class {
        changes.push(format!(
            "instance class {have_class} → {}",
            spec.instance_class
        ));
        req = req.db_instance_class(&spec.instance_class);
    }
    if spec.allocated_storage_gb > have_storage {
        changes.push(format!(
            "storage {have_storage} → {} GB",
            spec.allocated_storage_gb
        ));
        req = req.allocated_storage(spec.allocated_storage_gb as i32);
    }
    let have_max = db.max_allocated_storage().map(|m| m.max(0) as u32);
    match (spec.max_allocated_storage_gb, have_max) {
        (Some(want), have) if have != Some(want) => {
            changes.push(format!("max storage {have:?} → {want} GB"));
            req = req.max_allocated_storage(want as i32);
        }
        // Autoscaling off: a ceiling equal to the allocated storage.
        (None, Some(have)) if have > spec.allocated_storage_gb.max(have_storage) => {
            changes.push(format!("storage autoscaling off (was up to {have} GB)"));
            req = req.max_allocated_storage(spec.allocated_storage_gb.max(have_storage) as i32);
        }
        _ => {}
    }
    if db.storage_type().is_some_and(|t| t != "gp3") {
        changes.push(format!(
            "storage type {} → gp3",
            db.storage_type().unwrap_or_default()
        ));
        req = req.storage_type("gp3");
    }
    if db.multi_az().unwrap_or(false) != spec.multi_az {
        changes.push(format!("Multi-AZ → {}", spec.multi_az));
        req = req.multi_az(spec.multi_az);
    }
    if db.backup_retention_period().unwrap_or(0).max(0) as u32 != spec.backup_retention_days {
        changes.push(format!(
            "backup retention → {} days",
            spec.backup_retention_days
        ));
        req = req.backup_retention_period(spec.backup_retention_days as i32);
    }
    if db.deletion_protection().unwrap_or(false) != spec.deletion_protection {
        changes.push(format!(
            "deletion protection → {}",
            spec.deletion_protection
        ));
        req = req.deletion_protection(spec.deletion_protection);
    }
    // A database restored from a snapshot starts with the snapshot's password; hand it to
    // Secrets Manager as every Mosia database is (also undoes turning it off out of band).
    if db.master_user_secret().is_none() {
        changes.push("master password managed in Secrets Manager".into());
        req = req.manage_master_user_password(true);
    }
    let have_version = db.engine_version().unwrap_or_default().to_string();
    if let Some(want) = &spec.engine_version {
        if !version_matches(want, &have_version) {
            if version_key(want) < version_key(&have_version) {
                return Err(PartError::new(
                    PART_PRIMARY,
                    format!("updating DB instance `{id}`"),
                    format!(
                        "engine_version cannot go down from {have_version} to {want}: RDS only \
                         upgrades. Set engine_version to {have_version} or later"
                    ),
                ));
            }
            changes.push(format!("engine version {have_version} → {want}"));
            req = req.engine_version(want);
            if major_version(&spec.engine, &have_version) != major {
                req = req.allow_major_version_upgrade(true);
            }
        }
    }
    let have_pg = db
        .db_parameter_groups()
        .first()
        .and_then(|p| p.db_parameter_group_name())
        .unwrap_or_default();
    if have_pg != pg_name {
        changes.push(format!("parameter group {have_pg} → {pg_name}"));
        req = req.db_parameter_group_name(pg_name);
    }
    let have_sgs: BTreeSet<&str> = db
        .vpc_security_groups()
        .iter()
        .filter_map(|g| g.vpc_security_group_id())
        .collect();
    if have_sgs != BTreeSet::from([sg]) {
        changes.push(format!("security groups → {sg}"));
        req = req.vpc_security_group_ids(sg);
    }
    if db.master_user_secret().is_none() {
        changes.push("master password moved to an RDS-managed secret".into());
        req = req.manage_master_user_password(true);
    }
    if !db.storage_encrypted().unwrap_or(false) {
        warnings.push(format!(
            "DB instance `{id}` is not encrypted at rest: RDS cannot encrypt an existing \
             instance in place (restore an encrypted snapshot copy into a new instance)"
        ));
    }

    if changes.is_empty() {
        tracing::info!(part = PART_PRIMARY, object = %id, "DB instance up to date");
        return Ok(family);
    }
    tracing::info!(part = PART_PRIMARY, object = %id, changes = ?changes, "modifying DB instance");
    req.send().await.map_err(|e| {
        aws_err(
            PART_PRIMARY,
            format!("modifying DB instance `{id}` ({})", changes.join(", ")),
            "ModifyDBInstance",
            &e,
        )
    })?;
    let want_class = spec.instance_class.clone();
    let want_storage = spec.allocated_storage_gb.max(have_storage);
    let want_multi_az = spec.multi_az;
    wait_family(
        env,
        PART_PRIMARY,
        format!("DB instance `{id}` to apply its modifications"),
        MODIFY_TIMEOUT,
        available_check(PART_PRIMARY, &id, "modifying", move |db| {
            db.db_instance_class() == Some(want_class.as_str())
                && db.allocated_storage().unwrap_or(0).max(0) as u32 >= want_storage
                && db.multi_az().unwrap_or(false) == want_multi_az
        }),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Replicas

/// Exactly `spec.read_replicas` replicas `{env}-db-replica-{1..n}` of `primary`: missing ones
/// are created concurrently, extra ones (the highest numbers) deleted, existing ones follow
/// the primary's instance class; deletion protection is off on replicas.
pub async fn ensure_replicas(
    env: &PartEnv,
    spec: &RdsSpec,
    primary: &RdsState,
) -> Result<Vec<ReplicaState>, PartError> {
    if spec.read_replicas > MAX_READ_REPLICAS {
        return Err(PartError::new(
            PART_REPLICAS,
            "creating read replicas",
            format!(
                "read_replicas = {} is more than the {MAX_READ_REPLICAS} RDS allows per instance",
                spec.read_replicas
            ),
        ));
    }
    check_identifier_lengths(env)?;
    let family = describe_family_or_err(env, PART_REPLICAS).await?;
    let mut existing: BTreeMap<u32, DbInstance> = BTreeMap::new();
    for (id, db) in &family {
        if let Some(n) = replica_number(env, id) {
            if !owned(env, db) {
                return Err(not_ours(
                    PART_REPLICAS,
                    "DB instance",
                    id,
                    &tag_map(db.tag_list()),
                ));
            }
            existing.insert(n, db.clone());
        }
    }
    let want = spec.read_replicas;
    let to_create: Vec<u32> = (1..=want).filter(|n| !existing.contains_key(n)).collect();
    let mut to_delete: Vec<u32> = existing.keys().copied().filter(|n| *n > want).collect();
    to_delete.sort_unstable_by(|a, b| b.cmp(a));
    let to_keep: Vec<(u32, DbInstance)> = existing
        .iter()
        .filter(|(n, _)| **n <= want)
        .map(|(n, db)| (*n, db.clone()))
        .collect();

    let creates = try_join_all(to_create.iter().map(|n| create_replica(env, primary, *n)));
    let updates = try_join_all(
        to_keep
            .iter()
            .map(|(_, db)| update_replica(env, primary, db)),
    );
    let doomed: Vec<DbInstance> = to_delete
        .iter()
        .filter_map(|n| existing.get(n).cloned())
        .collect();
    let deletes = delete_replicas(env, &doomed, PART_REPLICAS, Resume::Apply);
    let (c, u, d) = futures::join!(creates, updates, deletes);
    c?;
    let modified = u?.into_iter().any(|changed| changed);
    d?;

    // Nothing created, modified or deleted: what was described at the start is current.
    let family = if to_create.is_empty() && to_delete.is_empty() && !modified {
        family
    } else {
        describe_family_or_err(env, PART_REPLICAS).await?
    };
    let mut replicas: Vec<(u32, ReplicaState)> = family
        .iter()
        .filter_map(|(id, db)| Some((replica_number(env, id)?, replica_state(db))))
        .collect();
    replicas.sort_by_key(|(n, _)| *n);
    Ok(replicas.into_iter().map(|(_, r)| r).collect())
}

async fn create_replica(env: &PartEnv, primary: &RdsState, n: u32) -> Result<(), PartError> {
    let id = replica_identifier(env, n);
    tracing::info!(part = PART_REPLICAS, object = %id, source = %primary.identifier, class = %primary.instance_class, "creating read replica");
    let mut req = env
        .aws
        .rds()
        .create_db_instance_read_replica()
        .db_instance_identifier(&id)
        .source_db_instance_identifier(&primary.identifier)
        .db_instance_class(&primary.instance_class)
        .publicly_accessible(false)
        .multi_az(false)
        // moto copies the source's deletion protection; AWS does not: be explicit.
        .deletion_protection(false)
        .copy_tags_to_snapshot(true)
        .set_vpc_security_group_ids(Some(primary.vpc_security_group_ids.clone()))
        .set_tags(Some(sdk_tags(&env.tags_for(PART))));
    if !primary.parameter_group.is_empty() {
        req = req.db_parameter_group_name(&primary.parameter_group);
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if errors::code(&e) == Some("DBInstanceAlreadyExists") => {
            tracing::info!(part = PART_REPLICAS, object = %id, "read replica already exists: adopting");
        }
        Err(e) => {
            return Err(aws_err(
                PART_REPLICAS,
                format!("creating read replica `{id}` of `{}`", primary.identifier),
                "CreateDBInstanceReadReplica",
                &e,
            ))
        }
    }
    wait_family(
        env,
        PART_REPLICAS,
        format!("read replica `{id}` to become available"),
        CREATE_TIMEOUT,
        available_check(PART_REPLICAS, &id, "creating", |_| true),
    )
    .await?;
    Ok(())
}

/// Returns true when the replica was modified (or waited for).
async fn update_replica(
    env: &PartEnv,
    primary: &RdsState,
    db: &DbInstance,
) -> Result<bool, PartError> {
    let id = db.db_instance_identifier().unwrap_or_default().to_string();
    let status = db.db_instance_status().unwrap_or_default();
    if is_failed_status(status) {
        return Err(PartError::new(
            PART_REPLICAS,
            format!("updating read replica `{id}`"),
            format!("the replica is in status `{status}`"),
        ));
    }
    let waited = status != "available" || has_pending_modifications(db);
    if waited {
        wait_family(
            env,
            PART_REPLICAS,
            format!("read replica `{id}` to become available"),
            CREATE_TIMEOUT,
            available_check(PART_REPLICAS, &id, "adopting", |_| true),
        )
        .await?;
    }
    let arn = db.db_instance_arn().unwrap_or_default();
    sync_tags(
        env,
        PART_REPLICAS,
        arn,
        &tag_map(db.tag_list()),
        &env.tags_for(PART),
    )
    .await?;
    let mut req = env
        .aws
        .rds()
        .modify_db_instance()
        .db_instance_identifier(&id)
        .apply_immediately(true);
    let mut changes = Vec::new();
    if db.db_instance_class() != Some(primary.instance_class.as_str()) {
        changes.push(format!(
            "instance class {} → {}",
            db.db_instance_class().unwrap_or_default(),
            primary.instance_class
        ));
        req = req.db_instance_class(&primary.instance_class);
    }
    if db.deletion_protection().unwrap_or(false) {
        changes.push("deletion protection off".to_string());
        req = req.deletion_protection(false);
    }
    if changes.is_empty() {
        return Ok(waited);
    }
    tracing::info!(part = PART_REPLICAS, object = %id, changes = ?changes, "modifying read replica");
    req.send().await.map_err(|e| {
        aws_err(
            PART_REPLICAS,
            format!("modifying read replica `{id}` ({})", changes.join(", ")),
            "ModifyDBInstance",
            &e,
        )
    })?;
    let want_class = primary.instance_class.clone();
    wait_family(
        env,
        PART_REPLICAS,
        format!("read replica `{id}` to apply its modifications"),
        MODIFY_TIMEOUT,
        available_check(PART_REPLICAS, &id, "modifying", move |db| {
            db.db_instance_class() == Some(want_class.as_str())
                && !db.deletion_protection().unwrap_or(false)
        }),
    )
    .await?;
    Ok(true)
}

/// Deletes replicas (highest number first, all started before the wait) and waits until
/// they are gone. Replicas have no final snapshot.
async fn delete_replicas(
    env: &PartEnv,
    replicas: &[DbInstance],
    part: &str,
    resume: Resume,
) -> Result<(), PartError> {
    if replicas.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = replicas
        .iter()
        .filter_map(|db| db.db_instance_identifier().map(str::to_string))
        .collect();
    let starts = join_all(replicas.iter().map(|db| async move {
        let id = db.db_instance_identifier().unwrap_or_default();
        if db.db_instance_status() == Some("deleting") {
            return Ok(());
        }
        tracing::info!(part, object = %id, "deleting read replica");
        match env
            .aws
            .rds()
            .delete_db_instance()
            .db_instance_identifier(id)
            .skip_final_snapshot(true)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if errors::code(&e) == Some("DBInstanceNotFound") => Ok(()),
            Err(e) => Err(aws_err(
                part,
                format!("deleting read replica `{id}`"),
                "DeleteDBInstance",
                &e,
            )
            .with_resume(resume)),
        }
    }))
    .await;
    for r in starts {
        r?;
    }
    wait_family(
        env,
        part,
        format!("read replicas {} to be deleted", ids.join(", ")),
        DELETE_TIMEOUT,
        gone_check(&ids),
    )
    .await
    .map_err(|e| e.with_resume(resume))
}

// ---------------------------------------------------------------------------------------------
// Read and delete

/// The primary (with its replicas) as AWS reports it now, in one DescribeDBInstances; None
/// when there is no primary of this environment.
pub async fn read(env: &PartEnv) -> Result<Option<RdsState>, PartError> {
    let family = describe_family_or_err(env, PART_PRIMARY).await?;
    let id = primary_identifier(env);
    match family.get(&id) {
        Some(db) if owned(env, db) => Ok(primary_state(env, &family)),
        Some(_) => {
            tracing::warn!(part = PART_PRIMARY, object = %id, "a DB instance with this environment's name exists but is not owned by it");
            Ok(None)
        }
        None => Ok(None),
    }
}

/// The environment's DB instances (primary and replicas it owns) with deletion protection on.
pub async fn protected_instances(env: &PartEnv) -> Result<Vec<String>, PartError> {
    let family = describe_family_or_err(env, PART_PRIMARY).await?;
    Ok(protected_in(env, &family))
}

fn protected_in(env: &PartEnv, family: &BTreeMap<String, DbInstance>) -> Vec<String> {
    let primary = primary_identifier(env);
    family
        .iter()
        .filter(|(id, db)| (**id == primary || replica_number(env, id).is_some()) && owned(env, db))
        .filter(|(_, db)| db.deletion_protection().unwrap_or(false))
        .map(|(id, _)| id.clone())
        .collect()
}

/// Deletes the replicas, then the primary (with a final snapshot unless
/// `spec.skip_final_snapshot`), then the parameter group(s) and the subnet group; waits until
/// each is gone. Refuses while deletion protection is on. Objects with the environment's
/// names that it does not own are left alone.
pub async fn delete(env: &PartEnv, spec: &RdsSpec) -> Result<(), PartError> {
    let family = describe_family_or_err(env, PART_PRIMARY)
        .await
        .map_err(|e| e.with_resume(Resume::Destroy))?;
    let id = primary_identifier(env);
    let mut replicas = Vec::new();
    for (rid, db) in &family {
        if replica_number(env, rid).is_none() {
            continue;
        }
        if !owned(env, db) {
            tracing::warn!(part = PART_REPLICAS, object = %rid, "not owned by this environment: left alone");
            continue;
        }
        replicas.push(db.clone());
    }
    let primary = family.get(&id).filter(|db| {
        let ours = owned(env, db);
        if !ours {
            tracing::warn!(part = PART_PRIMARY, object = %id, "not owned by this environment: left alone");
        }
        ours
    });

    // Refuse before deleting anything.
    let protected = protected_in(env, &family);
    if !protected.is_empty() {
        return Err(PartError::new(
            PART_PRIMARY,
            format!("deleting DB instance `{id}`"),
            format!(
                "deletion protection is on for {}: set `rds.deletion_protection = false` and \
                 apply (in production, with `tier` changed to `staging`), then destroy again",
                protected
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .with_resume(Resume::Destroy));
    }

    replicas.sort_by_key(|db| {
        std::cmp::Reverse(replica_number(
            env,
            db.db_instance_identifier().unwrap_or_default(),
        ))
    });
    delete_replicas(env, &replicas, PART_REPLICAS, Resume::Destroy).await?;

    let mut parameter_groups: BTreeSet<String> = BTreeSet::new();
    if let Some(v) = &spec.engine_version {
        parameter_groups.insert(parameter_group_name(env, &major_version(&spec.engine, v)));
    }
    if let Some(db) = primary {
        let pg_prefix = env.aws_name("pg");
        for p in db.db_parameter_groups() {
            if let Some(name) = p
                .db_parameter_group_name()
                .filter(|n| n.starts_with(&pg_prefix))
            {
                parameter_groups.insert(name.to_string());
            }
        }
        if let Some(v) = db.engine_version() {
            parameter_groups.insert(parameter_group_name(env, &major_version(&spec.engine, v)));
        }
        if db.db_instance_status() != Some("deleting") {
            let mut req = env
                .aws
                .rds()
                .delete_db_instance()
                .db_instance_identifier(&id)
                .delete_automated_backups(true);
            if spec.skip_final_snapshot {
                req = req.skip_final_snapshot(true);
            } else {
                let snapshot = spec.final_snapshot_identifier.clone().unwrap_or_else(|| {
                    let secs = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs())
                        .unwrap_or(0);
                    format!("{id}-final-{secs}")
                });
                tracing::info!(part = PART_PRIMARY, object = %id, snapshot = %snapshot, "final snapshot");
                req = req
                    .skip_final_snapshot(false)
                    .final_db_snapshot_identifier(snapshot);
            }
            tracing::info!(part = PART_PRIMARY, object = %id, "deleting DB instance");
            match req.send().await {
                Ok(_) => {}
                Err(e) if errors::code(&e) == Some("DBInstanceNotFound") => {}
                Err(e) => {
                    return Err(aws_err(
                        PART_PRIMARY,
                        format!("deleting DB instance `{id}`"),
                        "DeleteDBInstance",
                        &e,
                    )
                    .with_resume(Resume::Destroy))
                }
            }
        }
        wait_family(
            env,
            PART_PRIMARY,
            format!("DB instance `{id}` to be deleted"),
            DELETE_TIMEOUT,
            gone_check(std::slice::from_ref(&id)),
        )
        .await
        .map_err(|e| e.with_resume(Resume::Destroy))?;
    } else if family.contains_key(&id) {
        // Someone else's instance of that name: its groups are not ours to delete either.
        return Ok(());
    }

    // Groups of other major versions (an upgrade, or a crash before the instance existed).
    parameter_groups.extend(
        list_parameter_groups(env)
            .await
            .map_err(|e| e.with_resume(Resume::Destroy))?,
    );
    for name in parameter_groups {
        delete_parameter_group(env, &name).await?;
    }
    delete_subnet_group(env).await
}

/// Names of the DB parameter groups named like this environment's (`{env}-pg*`).
async fn list_parameter_groups(env: &PartEnv) -> Result<BTreeSet<String>, PartError> {
    let prefix = env.aws_name("pg");
    let mut names = BTreeSet::new();
    let mut marker: Option<String> = None;
    loop {
        let out = env
            .aws
            .rds()
            .describe_db_parameter_groups()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| {
                aws_err(
                    PART_PRIMARY,
                    "listing DB parameter groups",
                    "DescribeDBParameterGroups",
                    &e,
                )
            })?;
        for g in out.db_parameter_groups() {
            if let Some(name) = g.db_parameter_group_name() {
                let rest = name.strip_prefix(&prefix).unwrap_or("-");
                if rest.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                    names.insert(name.to_string());
                }
            }
        }
        marker = out.marker().map(str::to_string).filter(|m| !m.is_empty());
        if marker.is_none() {
            return Ok(names);
        }
    }
}

async fn delete_parameter_group(env: &PartEnv, name: &str) -> Result<(), PartError> {
    let rds = env.aws.rds();
    let group = match rds
        .describe_db_parameter_groups()
        .db_parameter_group_name(name)
        .send()
        .await
    {
        Ok(out) => out.db_parameter_groups().first().cloned(),
        Err(e) if errors::code(&e) == Some("DBParameterGroupNotFound") => None,
        Err(e) => {
            return Err(aws_err(
                PART_PRIMARY,
                format!("describing DB parameter group `{name}`"),
                "DescribeDBParameterGroups",
                &e,
            )
            .with_resume(Resume::Destroy))
        }
    };
    let Some(group) = group else { return Ok(()) };
    let tags = list_tags(
        env,
        PART_PRIMARY,
        group.db_parameter_group_arn().unwrap_or_default(),
    )
    .await
    .map_err(|e| e.with_resume(Resume::Destroy))?;
    if !env.owns(PART, &tags) {
        tracing::warn!(part = PART_PRIMARY, object = %name, "DB parameter group not owned by this environment: left alone");
        return Ok(());
    }
    tracing::info!(part = PART_PRIMARY, object = %name, "deleting DB parameter group");
    match rds
        .delete_db_parameter_group()
        .db_parameter_group_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if errors::code(&e) == Some("DBParameterGroupNotFound") => Ok(()),
        Err(e) => Err(aws_err(
            PART_PRIMARY,
            format!("deleting DB parameter group `{name}`"),
            "DeleteDBParameterGroup",
            &e,
        )
        .with_resume(Resume::Destroy)),
    }
}

async fn delete_subnet_group(env: &PartEnv) -> Result<(), PartError> {
    let name = subnet_group_name(env);
    let rds = env.aws.rds();
    let group = describe_subnet_group(env)
        .await
        .map_err(|e| e.with_resume(Resume::Destroy))?;
    let Some(group) = group else { return Ok(()) };
    let tags = list_tags(
        env,
        PART_PRIMARY,
        group.db_subnet_group_arn().unwrap_or_default(),
    )
    .await
    .map_err(|e| e.with_resume(Resume::Destroy))?;
    if !env.owns(PART, &tags) {
        tracing::warn!(part = PART_PRIMARY, object = %name, "DB subnet group not owned by this environment: left alone");
        return Ok(());
    }
    tracing::info!(part = PART_PRIMARY, object = %name, "deleting DB subnet group");
    match rds
        .delete_db_subnet_group()
        .db_subnet_group_name(&name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if errors::code(&e) == Some("DBSubnetGroupNotFoundFault") => Ok(()),
        Err(e) => Err(aws_err(
            PART_PRIMARY,
            format!("deleting DB subnet group `{name}`"),
            "DeleteDBSubnetGroup",
            &e,
        )
        .with_resume(Resume::Destroy)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_families() {
        assert_eq!(major_version("postgres", "16.4"), "16");
        assert_eq!(major_version("postgres", "16"), "16");
        assert_eq!(major_version("postgres", "9.6.22"), "9.6");
        assert_eq!(major_version("mysql", "8.0.35"), "8.0");
        assert_eq!(parameter_group_family("postgres", "16"), "postgres16");
        assert!(version_matches("16", "16.4"));
        assert!(version_matches("16.4", "16.4"));
        assert!(!version_matches("16.4", "16.40"));
        assert!(version_key("15.7") < version_key("16.1"));
        assert!(version_key("16.10") > version_key("16.9"));
    }
}
