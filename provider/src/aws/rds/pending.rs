//! Modifications RDS holds for the maintenance window (`PendingModifiedValues`), as the
//! settings of [`RdsSpec`] name them. A change sent without ApplyImmediately waits there;
//! the configuration has then reached AWS, so every comparison with it goes through the
//! *effective* value: the pending one when there is one, else the current one.
//!
//! [`RdsSpec`]: super::RdsSpec

use std::collections::BTreeMap;

use aws_sdk_rds::types::DbInstance;

/// The pending settings of one instance (None: nothing pending for it).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Pending {
    pub instance_class: Option<String>,
    pub allocated_storage_gb: Option<u32>,
    pub multi_az: Option<bool>,
    pub engine_version: Option<String>,
    pub backup_retention_days: Option<u32>,
    pub iam_database_authentication: Option<bool>,
    pub storage_type: Option<String>,
}

fn count(n: i32) -> u32 {
    n.max(0) as u32
}

impl Pending {
    pub fn of(db: &DbInstance) -> Pending {
        let Some(p) = db.pending_modified_values() else {
            return Pending::default();
        };
        Pending {
            instance_class: p.db_instance_class().map(str::to_string),
            allocated_storage_gb: p.allocated_storage().map(count),
            multi_az: p.multi_az(),
            engine_version: p.engine_version().map(str::to_string),
            backup_retention_days: p.backup_retention_period().map(count),
            iam_database_authentication: p.iam_database_authentication_enabled(),
            storage_type: p.storage_type().map(str::to_string),
        }
    }

    /// Attribute name → pending value, for the state (empty when nothing is pending).
    pub fn values(&self) -> BTreeMap<String, String> {
        let entries = [
            ("instance_class", self.instance_class.clone()),
            (
                "allocated_storage_gb",
                self.allocated_storage_gb.map(|g| g.to_string()),
            ),
            ("multi_az", self.multi_az.map(|b| b.to_string())),
            ("engine_version", self.engine_version.clone()),
            (
                "backup_retention_days",
                self.backup_retention_days.map(|d| d.to_string()),
            ),
            (
                "iam_database_authentication",
                self.iam_database_authentication.map(|b| b.to_string()),
            ),
            ("storage_type", self.storage_type.clone()),
        ];
        entries
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self == &Pending::default()
    }
}

/// The instance class RDS runs, or will run after the window.
pub(crate) fn effective_class(db: &DbInstance) -> &str {
    db.pending_modified_values()
        .and_then(|p| p.db_instance_class())
        .or(db.db_instance_class())
        .unwrap_or_default()
}

/// Allocated storage in GB, pending or current.
pub(crate) fn effective_storage_gb(db: &DbInstance) -> u32 {
    count(
        db.pending_modified_values()
            .and_then(|p| p.allocated_storage())
            .or(db.allocated_storage())
            .unwrap_or(0),
    )
}

pub(crate) fn effective_multi_az(db: &DbInstance) -> bool {
    db.pending_modified_values()
        .and_then(|p| p.multi_az())
        .or(db.multi_az())
        .unwrap_or(false)
}

pub(crate) fn effective_engine_version(db: &DbInstance) -> &str {
    db.pending_modified_values()
        .and_then(|p| p.engine_version())
        .or(db.engine_version())
        .unwrap_or_default()
}

pub(crate) fn effective_backup_retention_days(db: &DbInstance) -> u32 {
    count(
        db.pending_modified_values()
            .and_then(|p| p.backup_retention_period())
            .or(db.backup_retention_period())
            .unwrap_or(0),
    )
}

pub(crate) fn effective_iam_database_authentication(db: &DbInstance) -> bool {
    db.pending_modified_values()
        .and_then(|p| p.iam_database_authentication_enabled())
        .or(db.iam_database_authentication_enabled())
        .unwrap_or(false)
}

pub(crate) fn effective_storage_type(db: &DbInstance) -> Option<&str> {
    db.pending_modified_values()
        .and_then(|p| p.storage_type())
        .or(db.storage_type())
}

#[cfg(test)]
mod tests {
    use aws_sdk_rds::types::PendingModifiedValues;

    use super::*;
    use crate::aws::rds::testdata::primary;

    #[test]
    fn pending_values_win_over_current_ones() {
        let db = primary()
            .pending_modified_values(
                PendingModifiedValues::builder()
                    .db_instance_class("db.m7g.xlarge")
                    .allocated_storage(200)
                    .multi_az(true)
                    .build(),
            )
            .build();
        assert_eq!(effective_class(&db), "db.m7g.xlarge");
        assert_eq!(effective_storage_gb(&db), 200);
        assert!(effective_multi_az(&db));
        // Not pending: the current value.
        assert_eq!(effective_engine_version(&db), "16.4");
        let pending = Pending::of(&db);
        assert_eq!(
            pending.values(),
            BTreeMap::from([
                ("allocated_storage_gb".to_string(), "200".to_string()),
                ("instance_class".to_string(), "db.m7g.xlarge".to_string()),
                ("multi_az".to_string(), "true".to_string()),
            ])
        );
        assert!(!pending.is_empty());
    }

    #[test]
    fn nothing_pending_is_the_current_instance() {
        let db = primary().build();
        assert!(Pending::of(&db).is_empty());
        assert_eq!(effective_class(&db), "db.t4g.micro");
        assert_eq!(effective_storage_gb(&db), 20);
        assert!(Pending::of(&db).values().is_empty());
    }
}
