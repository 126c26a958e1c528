//! RDS guardrails: a PostgreSQL major version RDS offers, a known `db.` class, storage
//! autoscaling with headroom, no read replicas while RDS manages the master password (AWS
//! refuses them); maintenance and backup windows RDS accepts (`windows.rs`); production runs
//! Multi-AZ, keeps 7 days of backups and deletion protection.

use mosia_tfplugin::{Diagnostics, Known, Reader};

use super::{
    boolean, check_instance_type, int, production_error, string, Ctx, POSTGRES_MAJOR_VERSIONS,
    PRODUCTION_MIN_BACKUP_DAYS,
};
use crate::resources::environment::cost::Service;
use crate::resources::environment::schema::RDS_STORAGE_GB;

pub(super) fn check_rds(ctx: &Ctx, rds: &Reader, d: &mut Diagnostics) {
    super::windows::check_rds_windows(rds, d);
    if let Known::Value(v) = string(rds, "engine_version") {
        if !plausible_postgres_version(v) {
            d.error_at(
                rds.path_of("engine_version"),
                "Unsupported engine version",
                format!(
                    "{v:?} is not a PostgreSQL version RDS offers: expected a major version from \
                     {} to {}, optionally with a minor one, such as \"16\" or \"16.4\"",
                    POSTGRES_MAJOR_VERSIONS.start(),
                    POSTGRES_MAJOR_VERSIONS.end()
                ),
            );
        }
    }
    if let Known::Value(class) = string(rds, "instance_class") {
        check_instance_type(d, rds.path_of("instance_class"), Service::Rds, class);
    }
    // An out-of-range size is the schema validator's to report; comparing with it would
    // only add a second error for the same mistake.
    let allocated = int(rds, "allocated_storage_gb")
        .or(ctx.defaults.map(|t| t.rds_allocated_storage_gb as i64))
        .filter(|a| RDS_STORAGE_GB.contains(a));
    if let (Known::Value(max), Some(allocated)) = (int(rds, "max_allocated_storage_gb"), allocated)
    {
        let least = (allocated.max(0) as u64 * 11).div_ceil(10);
        if (max.max(0) as u64) < least {
            d.error_at(
                rds.path_of("max_allocated_storage_gb"),
                "Invalid storage autoscaling",
                format!(
                    "storage autoscaling needs a ceiling at least 10% above allocated_storage_gb \
                     ({allocated}): {least} or more, or leave max_allocated_storage_gb out to \
                     turn autoscaling off"
                ),
            );
        }
    }
    let backups = int(rds, "backup_retention_days");
    let replicas = int(rds, "read_replicas").or(Some(0));
    // Larger counts are the schema validator's to report.
    if let Some(n @ 1..=5) = replicas {
        d.error_at(
            rds.path_of("read_replicas"),
            "Read replicas need a password RDS does not manage",
            format!(
                "read_replicas = {n}: RDS refuses to create read replicas of an instance whose \
                 master password Secrets Manager manages (InvalidParameterValue: \"Creating read \
                 replicas for source instance with engine postgres where ManageMasterUserPassword \
                 is enabled is not supported\"; RDS User Guide, limitations of the Secrets \
                 Manager integration), and Mosia always keeps the master password there, out \
                 of state. Set read_replicas = 0."
            ),
        );
    }
    check_removed_parameters(rds, d);
    if ctx.production() {
        check_rds_production(rds, backups, d);
    }
}

/// PostgreSQL parameters a major version removed (PostgreSQL release notes), with the major
/// that removed them: a parameter group of that family or later refuses them, so neither
/// a create nor an upgrade could apply the configuration.
const REMOVED_PARAMETERS: &[(&str, u32, &str)] = &[
    ("wal_keep_segments", 13, "use wal_keep_size"),
    ("operator_precedence_warning", 14, "removed"),
    ("vacuum_cleanup_index_scale_factor", 14, "removed"),
    (
        "stats_temp_directory",
        15,
        "statistics live in shared memory",
    ),
    ("force_parallel_mode", 16, "renamed debug_parallel_query"),
    ("promote_trigger_file", 16, "use pg_promote()"),
    ("vacuum_defer_cleanup_age", 16, "removed"),
    ("db_user_namespace", 17, "removed"),
    ("old_snapshot_threshold", 17, "removed"),
    ("trace_recovery_messages", 17, "removed"),
];

fn check_removed_parameters(rds: &Reader, d: &mut Diagnostics) {
    let Known::Value(version) = string(rds, "engine_version") else {
        return;
    };
    let Some(major) = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u32>().ok())
    else {
        return;
    };
    let configured = super::lenient(rds.string_map("parameters"));
    let Some(params) = configured.value() else {
        return;
    };
    for (name, since, instead) in REMOVED_PARAMETERS {
        if major >= *since && params.contains_key(*name) {
            d.error_at(
                rds.path_of("parameters"),
                "Parameter removed from this PostgreSQL version",
                format!(
                    "`{name}` does not exist in PostgreSQL {since} and later ({instead}); \
                     engine_version {version} would refuse it in its parameter group: remove \
                     it from rds.parameters"
                ),
            );
        }
    }
}

fn check_rds_production(rds: &Reader, backups: Known<i64>, d: &mut Diagnostics) {
    if boolean(rds, "multi_az") == Known::Value(false) {
        production_error(
            d,
            rds.path_of("multi_az"),
            "production databases run Multi-AZ, with a standby in a second AZ that takes over on \
             failure: set multi_az = true or leave it out"
                .to_string(),
        );
    }
    if let Known::Value(days) = backups {
        if days < PRODUCTION_MIN_BACKUP_DAYS {
            production_error(
                d,
                rds.path_of("backup_retention_days"),
                format!(
                    "production keeps at least {PRODUCTION_MIN_BACKUP_DAYS} days of backups; \
                     got {days}"
                ),
            );
        }
    }
    if boolean(rds, "deletion_protection") == Known::Value(false) {
        production_error(
            d,
            rds.path_of("deletion_protection"),
            "production databases keep deletion protection on: set deletion_protection = true \
             or leave it out. To retire a production environment, change its tier in one apply, \
             then destroy"
                .to_string(),
        );
    }
}

fn plausible_postgres_version(v: &str) -> bool {
    let mut parts = v.split('.');
    let major = parts.next().and_then(|m| m.parse::<u32>().ok());
    let minor_ok = match parts.next() {
        None => true,
        Some(minor) => minor.parse::<u32>().is_ok(),
    };
    major.is_some_and(|m| POSTGRES_MAJOR_VERSIONS.contains(&m))
        && minor_ok
        && parts.next().is_none()
}
