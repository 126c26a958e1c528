//! What refresh and import read beside the EKS cluster for its settings: the retention of
//! its log group (and, for import, the environment's own KMS key); and, for import, the
//! `eks` block's settings rebuilt from them.

use mosia_tfplugin::Value;

use super::super::observe::cluster_settings;
use crate::aws::eks::{self, EksClusterState};
use crate::aws::kms::{self, KmsKeyState};
use crate::aws::part::PartEnv;
use crate::engine::PartError;

/// Fills the cluster's log retention (one DescribeLogGroups).
pub(super) async fn read_beside_cluster(
    env: &PartEnv,
    cluster: &mut Option<EksClusterState>,
) -> Result<(), PartError> {
    if let Some(c) = cluster.as_mut() {
        c.log_retention_days = eks::read_log_retention(env, &c.name).await?.flatten();
    }
    Ok(())
}

/// For import: the cluster's log retention, and the environment's own key when there is
/// one (whatever uses it).
pub(super) async fn read_for_import(
    env: &PartEnv,
    cluster: &mut Option<EksClusterState>,
) -> Result<Option<KmsKeyState>, PartError> {
    let (_, key) = futures::try_join!(read_beside_cluster(env, cluster), kms::read_key(env))?;
    Ok(key)
}

/// True when the environment's data is encrypted with its own key `key`, for import's
/// `customer_managed_key`: each database, cache or cluster found uses it (there is none,
/// and the key exists). None: nothing tells (the tier decides).
pub(super) fn customer_managed_key(
    key: Option<&KmsKeyState>,
    data_keys: &[Option<&str>],
) -> Option<bool> {
    match (key, data_keys.is_empty()) {
        (Some(_), true) => Some(true),
        (None, true) => None,
        (key, false) => Some(key.is_some_and(|k| {
            data_keys
                .iter()
                .any(|d| d.is_some_and(|d| kms::same_key(d, &k.arn)))
        })),
    }
}

/// The environment's key when the cluster encrypts with it (else the key is the user's).
pub(super) fn own_key_in_use(c: &EksClusterState, key: Option<KmsKeyState>) -> Option<KmsKeyState> {
    key.filter(|k| c.encryption_key_arn.as_deref() == Some(k.arn.as_str()))
}

/// The `eks` block's settings as the cluster runs them, for import. `kms_key_arn` stays
/// null for the environment's own key (`own_key`). `creator_admin` is what EKS reports,
/// or the default (`true`) when it does not say; `creator_admin_acknowledged` its default.
pub(super) fn import_settings(b: &mut Value, c: &EksClusterState, own_key: bool) {
    for (attr, v) in cluster_settings(c) {
        b.set_attr(attr, v);
    }
    b.set_attr(
        "creator_admin",
        Value::Bool(c.creator_admin.unwrap_or(true)),
    );
    // Not recorded in AWS: the schema's default.
    b.set_attr("creator_admin_acknowledged", Value::Bool(false));
    if let (Some(key), false) = (&c.encryption_key_arn, own_key) {
        b.set_attr("kms_key_arn", Value::from(key.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_key_is_imported_the_environments_own_is_left_out() {
        let c = EksClusterState {
            authentication_mode: "API".into(),
            support_type: "STANDARD".into(),
            encryption_key_arn: Some("arn:aws:kms:us-east-1:1:key/own".into()),
            log_retention_days: Some(90),
            creator_admin: Some(false),
            ..Default::default()
        };
        let own = KmsKeyState {
            arn: "arn:aws:kms:us-east-1:1:key/own".into(),
            ..Default::default()
        };
        assert!(own_key_in_use(&c, Some(own.clone())).is_some());
        let mut other = own;
        other.arn = "arn:aws:kms:us-east-1:1:key/other".into();
        assert!(own_key_in_use(&c, Some(other)).is_none());

        let block = || Value::object([("kms_key_arn", Value::Null)]);
        let mut b = block();
        import_settings(&mut b, &c, true);
        assert_eq!(b.get("kms_key_arn"), &Value::Null);
        assert_eq!(b.get("authentication_mode"), &Value::from("API"));
        assert_eq!(b.get("log_retention_days"), &Value::int(90));
        assert_eq!(b.get("creator_admin"), &Value::Bool(false));
        let mut b = block();
        import_settings(&mut b, &c, false);
        assert_eq!(
            b.get("kms_key_arn"),
            &Value::from("arn:aws:kms:us-east-1:1:key/own")
        );
    }
}
