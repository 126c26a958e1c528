//! Drift of the EKS cluster's settings that AWS reports (authentication mode, upgrade
//! policy, secrets encryption, log retention) and the state of the environment's own key.
//! Refresh writes them back into the `eks` block; import rebuilds the block from them.

use mosia_tfplugin::Value;

use crate::aws::eks::EksClusterState;
use crate::aws::kms::KmsKeyState;
use crate::resources::environment::flatten::set_in;

/// The configuration attributes of the `eks` block as the cluster runs them. The key itself
/// (`kms_key_arn`) is an output, filled with the others.
pub(in crate::resources::environment) fn cluster_settings(
    c: &EksClusterState,
) -> [(&'static str, Value); 4] {
    [
        (
            "authentication_mode",
            Value::from(c.authentication_mode.as_str()),
        ),
        ("support_type", Value::from(c.support_type.as_str())),
        (
            "secrets_encryption",
            Value::Bool(c.encryption_key_arn.is_some()),
        ),
        // Missing, or never expiring: null, so that the plan restores the retention.
        (
            "log_retention_days",
            c.log_retention_days
                .map(|d| Value::int(d as i64))
                .unwrap_or(Value::Null),
        ),
    ]
}

/// Writes [`cluster_settings`] into the state's `eks` block.
pub(super) fn observe_cluster_settings(state: &mut Value, c: &EksClusterState) {
    for (attr, v) in cluster_settings(c) {
        set_in(state, "eks", attr, v);
    }
}

/// The `part_status` word of the environment's key: `ready` when enabled and rotating; the
/// KMS key state otherwise (`pendingdeletion`, `disabled`; the apply brings it back), or
/// `rotation off`; None when it is missing.
pub(super) fn key_status(k: Option<&KmsKeyState>) -> Option<String> {
    let k = k?;
    Some(match (k.state.as_str(), k.rotation_enabled) {
        ("Enabled", true) => "ready".to_string(),
        ("Enabled", false) => "rotation off".to_string(),
        (state, _) => state.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_ready_only_enabled_and_rotating() {
        let key = |state: &str, rotation_enabled| KmsKeyState {
            state: state.into(),
            rotation_enabled,
            ..Default::default()
        };
        assert_eq!(
            key_status(Some(&key("Enabled", true))).as_deref(),
            Some("ready")
        );
        assert_eq!(
            key_status(Some(&key("Enabled", false))).as_deref(),
            Some("rotation off")
        );
        assert_eq!(
            key_status(Some(&key("PendingDeletion", false))).as_deref(),
            Some("PendingDeletion")
        );
        assert_eq!(key_status(None), None);
    }

    #[test]
    fn settings_read_back_with_a_missing_log_group_as_null() {
        let c = EksClusterState {
            authentication_mode: "API".into(),
            support_type: "STANDARD".into(),
            encryption_key_arn: Some("arn:aws:kms:us-east-1:1:key/k".into()),
            log_retention_days: None,
            ..Default::default()
        };
        let s = cluster_settings(&c);
        assert_eq!(s[0].1, Value::from("API"));
        assert_eq!(s[1].1, Value::from("STANDARD"));
        assert_eq!(s[2].1, Value::Bool(true));
        assert_eq!(s[3].1, Value::Null);
    }
}
