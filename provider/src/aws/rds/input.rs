//! The input of the RDS parts (primary and read replicas): what it must converge to, independent of how the configuration
//! spells it (the resource reads its configuration into this type).

use std::collections::BTreeMap;
use std::fmt;

str_enum!(
    /// How a major version upgrade is made.
    MajorUpgrade { BlueGreen = "blue_green", InPlace = "in_place" }
);

#[derive(Debug, Clone, PartialEq)]
pub struct RdsSpec {
    /// The KMS key of its data at rest (and of the secrets it creates).
    pub kms_key: crate::aws::kms::DataKey,
    pub engine: String,
    /// None: RDS's default version at create (or not known yet at plan).
    pub engine_version: Option<String>,
    pub instance_class: String,
    pub allocated_storage_gb: u32,
    /// Storage autoscaling ceiling; None: no autoscaling.
    pub max_allocated_storage_gb: Option<u32>,
    pub multi_az: bool,
    pub backup_retention_days: u32,
    pub deletion_protection: bool,
    pub read_replicas: u32,
    pub parameters: BTreeMap<String, String>,
    pub skip_final_snapshot: bool,
    pub final_snapshot_identifier: Option<String>,
    /// Snapshot the instance is restored from when it is created.
    pub snapshot_identifier: Option<String>,
    pub master_username: String,
    pub database_name: Option<String>,
    /// IAM database authentication (`rds-db:connect` for workloads with `read_write`).
    pub iam_database_authentication: bool,
    /// Weekly maintenance window `ddd:hh24:mi-ddd:hh24:mi` (UTC); None: RDS's choice.
    pub maintenance_window: Option<String>,
    /// Daily backup window `hh24:mi-hh24:mi` (UTC); None: RDS's choice.
    pub backup_window: Option<String>,
    /// False: changes RDS makes in the maintenance window (class, storage, Multi-AZ, minor
    /// version, ...) are left pending until then instead of applied at once.
    pub apply_immediately: bool,
    /// RDS upgrades the minor engine version by itself in the maintenance window.
    pub auto_minor_version_upgrade: bool,
    /// A major version upgrade by blue/green deployment (switchover) or in place (downtime).
    pub major_upgrade: MajorUpgrade,
    /// Hours the old instance of a blue/green upgrade (`{id}-old1`) is kept before it is
    /// deleted (with a final snapshot unless `skip_final_snapshot`); 0: at once.
    pub old_instance_retention_hours: u32,
    /// Performance Insights (on the data key, 7 days).
    pub insights: bool,
    /// Enhanced monitoring every 60 s (with its role).
    pub enhanced_monitoring: bool,
    /// Export the `postgresql` and `upgrade` logs into log groups with this retention;
    /// None: no exports.
    pub log_exports_retention_days: Option<u32>,
}
