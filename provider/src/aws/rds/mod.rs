//! The RDS part of an environment: a DB subnet group `{env}-db` over the private subnets, a
//! DB parameter group `{env}-pg{major}` carrying the configured parameters, the primary DB
//! instance `{env}-db` (part [`PartId::RdsPrimary`], `rds`) and its read replicas
//! `{env}-db-replica-{n}` (part [`PartId::RdsReplicas`], `rds.replicas`).
//!
//! - The master password is managed by RDS in Secrets Manager (`ManageMasterUserPassword`):
//!   no password is ever generated, held, stored in state or logged here; the state carries
//!   only the secret's ARN.
//! - Every object carries the environment's ownership tags (tag `mosia:part=rds`); an object
//!   found by its deterministic name is adopted only when its tags say it is ours, so a re-run
//!   after a crash adopts instead of duplicating or failing on a name clash.
//! - `read` costs one `DescribeDBInstances` for the primary and all replicas together (a
//!   `db-instance-id` filter naming the primary and every possible replica identifier).
//!
//! Files: [`instance`] (the one describe, statuses, waits), [`subnet_group`],
//! [`parameter_group`], [`primary`] (adopt / create / restore), [`converge`] (what to modify
//! on an existing primary, and sending it), [`replicas`],
//! [`read`] (the state and drift), [`delete`], [`tagging`] (tags of RDS objects).
//!
//! [`PartId::RdsPrimary`]: crate::aws::part::PartId::RdsPrimary
//! [`PartId::RdsReplicas`]: crate::aws::part::PartId::RdsReplicas

use std::time::Duration;

use super::errors::Service;
use super::part::{PartEnv, PartId};
use crate::engine::PartError;

pub mod blue_green;
pub mod converge;
pub mod delete;
pub mod input;
pub mod instance;
pub mod observability;
pub mod parameter_group;
pub mod pending;
pub mod primary;
pub mod read;
pub mod replicas;
pub mod retired;
pub mod subnet_group;
pub mod tagging;
#[cfg(test)]
mod testdata;

pub use delete::{delete, protected_instances};
pub use input::RdsSpec;
pub use primary::ensure_primary;
pub use read::{read, RdsState, ReplicaState};
pub use replicas::ensure_replicas;
pub use subnet_group::subnet_group_subnet_ids;

/// RDS errors: throttling, internal errors, capacity and an instance busy with another
/// change may pass by themselves.
pub(crate) const SERVICE: Service = Service {
    label: "RDS",
    transient_codes: &[
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalFailure",
        "ServiceUnavailable",
        "InsufficientDBInstanceCapacity",
        "InvalidDBInstanceState",
        "InvalidDBInstanceStateFault",
    ],
};

/// RDS for PostgreSQL (and MySQL) allow at most 15 read replicas per source instance.
pub const MAX_READ_REPLICAS: u32 = 15;
/// The security group of the network that the instances join.
pub const SECURITY_GROUP_KEY: &str = "rds";
/// DB instance identifiers are at most 63 characters.
const MAX_IDENTIFIER_LEN: usize = 63;

/// Own bounds of the waits (the environment's deadline, when earlier, wins).
const CREATE_TIMEOUT: Duration = Duration::from_secs(90 * 60);
const MODIFY_TIMEOUT: Duration = Duration::from_secs(90 * 60);
const DELETE_TIMEOUT: Duration = Duration::from_secs(60 * 60);

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

/// The `n` of `{env}-db-replica-{n}`, when the identifier is one of this environment's
/// possible replicas.
fn replica_number(env: &PartEnv, identifier: &str) -> Option<u32> {
    identifier
        .strip_prefix(&env.aws_name("db-replica-"))
        .and_then(|n| n.parse().ok())
        .filter(|n| (1..=MAX_READ_REPLICAS).contains(n))
}

/// Refuses an environment name whose longest replica identifier RDS would reject.
fn check_identifier_lengths(env: &PartEnv) -> Result<(), PartError> {
    let longest = replica_identifier(env, MAX_READ_REPLICAS);
    if longest.len() > MAX_IDENTIFIER_LEN {
        return Err(PartError::new(
            &PartId::RdsPrimary,
            format!("naming the DB instances of environment `{}`", env.name),
            format!(
                "`{longest}` is longer than the {MAX_IDENTIFIER_LEN} characters RDS allows for \
                 a DB instance identifier: use a shorter environment name"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{testing, AwsContext};

    #[test]
    fn versions_and_families() {
        assert_eq!(major_version("postgres", "16.4"), "16");
        assert_eq!(major_version("postgres", "16"), "16");
        assert_eq!(major_version("postgres", "9.6.22"), "9.6");
        assert_eq!(major_version("mysql", "8.0.35"), "8.0");
        assert_eq!(parameter_group_family("postgres", "16"), "postgres16");
    }

    #[test]
    fn names_follow_the_environment() {
        let env = testing::env(AwsContext::offline());
        assert_eq!(primary_identifier(&env), "mosia-test-db");
        assert_eq!(replica_identifier(&env, 2), "mosia-test-db-replica-2");
        assert_eq!(parameter_group_name(&env, "8.0"), "mosia-test-pg8-0");
        assert_eq!(replica_number(&env, "mosia-test-db-replica-15"), Some(15));
        assert_eq!(replica_number(&env, "mosia-test-db-replica-16"), None);
        assert_eq!(replica_number(&env, "mosia-test-db"), None);
        assert!(check_identifier_lengths(&env).is_ok());
        let mut long = env.clone();
        long.name = "x".repeat(50);
        let err = check_identifier_lengths(&long).unwrap_err();
        assert_eq!(err.part, "rds");
        assert!(
            err.detail.contains("longer than the 63 characters"),
            "{}",
            err.detail
        );
    }
}
