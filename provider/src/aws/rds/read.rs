//! The state of the RDS part as AWS reports it, and `read` (drift): one
//! `DescribeDBInstances` for the primary and all its replicas.

use aws_sdk_rds::types::DbInstance;

use std::collections::BTreeMap;

use super::instance::{find_instances, Family};
use super::pending::{self, Pending};
use super::retired::{retired_instances, RetiredInstance};
use super::tagging::owned;
use super::{primary_identifier, replica_number};
use crate::aws::part::{PartEnv, PartId};
use crate::engine::PartError;

/// The primary DB instance as AWS reports it (plus what `ensure` could not do in place).
/// The settings RDS can hold for the maintenance window (class, storage, Multi-AZ, engine
/// version, backup retention, IAM authentication) are the values it is converging to: the
/// pending one when there is one; `pending` lists those not running yet.
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
    /// The KMS key of the storage (RDS reports the key's ARN); None when not encrypted.
    pub kms_key_arn: Option<String>,
    pub vpc_security_group_ids: Vec<String>,
    pub db_subnet_group: Option<String>,
    /// The parameter group's apply status on the instance: `in-sync`, `applying` or
    /// `pending-reboot` (static parameters changed: they apply at the next reboot).
    pub parameter_apply_status: Option<String>,
    /// `DbiResourceId` (`db-...`): the instance's part of `rds-db:connect` ARNs.
    pub resource_id: String,
    /// `IAMDatabaseAuthenticationEnabled`.
    pub iam_database_authentication: bool,
    /// `PreferredMaintenanceWindow` (RDS writes it in lowercase).
    pub maintenance_window: String,
    /// `PreferredBackupWindow`.
    pub backup_window: String,
    /// `AutoMinorVersionUpgrade`.
    pub auto_minor_version_upgrade: bool,
    /// Settings waiting for the maintenance window, attribute → value (`PendingModifiedValues`).
    pub pending: BTreeMap<String, String>,
    /// Old primaries kept after blue/green upgrades.
    pub retired: Vec<RetiredInstance>,
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

    /// True when changes wait for the maintenance window or a reboot.
    pub fn has_pending_changes(&self) -> bool {
        !self.pending.is_empty() || self.pending_reboot()
    }
}

fn endpoint(db: &DbInstance) -> String {
    db.endpoint()
        .and_then(|e| e.address())
        .unwrap_or_default()
        .to_string()
}

pub(crate) fn replica_state(db: &DbInstance) -> ReplicaState {
    ReplicaState {
        identifier: db.db_instance_identifier().unwrap_or_default().to_string(),
        arn: db.db_instance_arn().unwrap_or_default().to_string(),
        endpoint: endpoint(db),
        instance_class: db.db_instance_class().unwrap_or_default().to_string(),
        status: db.db_instance_status().unwrap_or_default().to_string(),
        deletion_protection: db.deletion_protection().unwrap_or(false),
    }
}

/// The environment's replicas in `family`, by number.
pub(crate) fn replica_states(env: &PartEnv, family: &Family) -> Vec<ReplicaState> {
    let mut replicas: Vec<(u32, ReplicaState)> = family
        .iter()
        .filter_map(|(id, db)| Some((replica_number(env, id)?, replica_state(db))))
        .collect();
    replicas.sort_by_key(|(n, _)| *n);
    replicas.into_iter().map(|(_, r)| r).collect()
}

/// The primary of `family` with its replicas; None when there is no primary.
pub(crate) fn primary_state(env: &PartEnv, family: &Family) -> Option<RdsState> {
    let db = family.get(&primary_identifier(env))?;
    let pg = db.db_parameter_groups().first();
    Some(RdsState {
        identifier: db.db_instance_identifier().unwrap_or_default().to_string(),
        arn: db.db_instance_arn().unwrap_or_default().to_string(),
        endpoint: endpoint(db),
        port: db
            .endpoint()
            .and_then(|e| e.port())
            .or(db.db_instance_port().filter(|p| *p != 0))
            .unwrap_or(0),
        engine_version: pending::effective_engine_version(db).to_string(),
        instance_class: pending::effective_class(db).to_string(),
        allocated_storage_gb: pending::effective_storage_gb(db),
        max_allocated_storage_gb: db.max_allocated_storage().map(|m| m.max(0) as u32),
        multi_az: pending::effective_multi_az(db),
        backup_retention_days: pending::effective_backup_retention_days(db),
        deletion_protection: db.deletion_protection().unwrap_or(false),
        resource_id: db.dbi_resource_id().unwrap_or_default().to_string(),
        iam_database_authentication: pending::effective_iam_database_authentication(db),
        maintenance_window: db
            .preferred_maintenance_window()
            .unwrap_or_default()
            .to_string(),
        backup_window: db.preferred_backup_window().unwrap_or_default().to_string(),
        master_user_secret_arn: db
            .master_user_secret()
            .and_then(|s| s.secret_arn())
            .map(str::to_string),
        parameter_group: pg
            .and_then(|p| p.db_parameter_group_name())
            .unwrap_or_default()
            .to_string(),
        replicas: replica_states(env, family),
        status: db.db_instance_status().unwrap_or_default().to_string(),
        engine: db.engine().unwrap_or_default().to_string(),
        master_username: db.master_username().unwrap_or_default().to_string(),
        database_name: db.db_name().map(str::to_string),
        storage_type: pending::effective_storage_type(db).map(str::to_string),
        storage_encrypted: db.storage_encrypted().unwrap_or(false),
        kms_key_arn: db.kms_key_id().map(str::to_string),
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
        auto_minor_version_upgrade: db.auto_minor_version_upgrade().unwrap_or(true),
        pending: Pending::of(db).values(),
        retired: retired_instances(env, family),
        warnings: Vec::new(),
    })
}

/// The primary (with its replicas) as AWS reports it now, in one DescribeDBInstances; None
/// when there is no primary of this environment.
pub async fn read(env: &PartEnv) -> Result<Option<RdsState>, PartError> {
    let part = PartId::RdsPrimary;
    let family = find_instances(env, &part).await?;
    let id = primary_identifier(env);
    match family.get(&id) {
        Some(db) if owned(env, db) => Ok(primary_state(env, &family)),
        Some(_) => {
            tracing::warn!(part = %part, object = %id, "a DB instance with this environment's name exists but is not owned by it");
            Ok(None)
        }
        None => Ok(None),
    }
}
