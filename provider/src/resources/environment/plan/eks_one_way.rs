//! EKS settings that move one way only, refused at plan time instead of failing mid-apply:
//! the authentication mode goes only towards `API` (CONFIG_MAP → API_AND_CONFIG_MAP → API),
//! secrets encryption cannot be turned off nor its key changed, and the creator's admin
//! access is decided at create.

use mosia_tfplugin::{AttrPath, Diagnostics, PlanRequest, Value};

use crate::aws::eks::{AuthenticationMode, SupportType};
use crate::resources::environment::cost;

/// A tier default that would move a one-way setting back (production's `API` mode or
/// encryption when the tier drops to staging or dev) keeps what the cluster has; a
/// configured value is checked by [`refuse_eks_one_way_changes`].
pub(super) fn keep_one_way_tier_defaults(req: &mut PlanRequest<'_>) {
    let config = req.config.get("eks");
    let prior = req.prior.get("eks");
    let Some(planned) = req.planned.get_mut("eks") else {
        return;
    };
    if !matches!(prior, Value::Object(_)) || !matches!(planned, Value::Object(_)) {
        return;
    }
    let mode = |v: &Value| {
        v.get("authentication_mode")
            .as_str()
            .and_then(AuthenticationMode::parse)
    };
    if config.get("authentication_mode").is_null() {
        if let (Some(from), Some(to)) = (mode(prior), mode(planned)) {
            if !from.can_move_to(to) {
                planned.set_attr("authentication_mode", from.as_str().into());
            }
        }
    }
    let on = |v: &Value| v.get("secrets_encryption").as_bool();
    if config.get("secrets_encryption").is_null() && on(prior) == Some(true) {
        planned.set_attr("secrets_encryption", Value::Bool(true));
    }
}

/// Checks the planned `eks` block against the prior state's (what the cluster runs).
pub(super) fn refuse_eks_one_way_changes(prior: &Value, planned: &Value, diags: &mut Diagnostics) {
    let (have, want) = (prior.get("eks"), planned.get("eks"));
    if !matches!(have, Value::Object(_)) || !matches!(want, Value::Object(_)) {
        return;
    }
    let at = |attr: &str| AttrPath::attr("eks").then(attr);
    let mode = |v: &Value| {
        v.get("authentication_mode")
            .as_str()
            .and_then(AuthenticationMode::parse)
    };
    if let (Some(from), Some(to)) = (mode(have), mode(want)) {
        if !from.can_move_to(to) {
            diags.error_at(
                at("authentication_mode"),
                "Authentication mode cannot go back",
                format!(
                    "the cluster uses {from}; EKS changes the authentication mode only towards \
                     API (CONFIG_MAP → API_AND_CONFIG_MAP → API), never back: keep \
                     authentication_mode = \"{from}\" (access entries work in it), or replace \
                     the cluster"
                ),
            );
        }
    }
    let encryption = |v: &Value| v.get("secrets_encryption").as_bool();
    if encryption(have) == Some(true) && encryption(want) == Some(false) {
        diags.error_at(
            at("secrets_encryption"),
            "Secrets encryption cannot be turned off",
            "EKS keeps envelope encryption of Kubernetes secrets once it is on: keep \
             secrets_encryption = true, or replace the cluster",
        );
    }
    let key = |v: &Value| v.get("kms_key_arn").as_str().map(str::to_string);
    if let (Some(from), Some(to)) = (key(have), key(want)) {
        if encryption(have) == Some(true) && from != to {
            diags.error_at(
                at("kms_key_arn"),
                "Secrets encryption key cannot change",
                format!(
                    "the cluster encrypts its secrets with {from}; EKS cannot change the key: \
                     keep kms_key_arn = \"{from}\" (leave it out for the environment's own \
                     key), or replace the cluster"
                ),
            );
        }
    }
    refuse_leaving_extended_support(have, want, &cost::today(), diags);
    let creator = |v: &Value| v.get("creator_admin").as_bool();
    if let (Some(from), Some(to)) = (creator(have), creator(want)) {
        if from != to {
            diags.error_at(
                at("creator_admin"),
                "Creator admin access is set at create",
                format!(
                    "EKS grants (or not) the creator's cluster-admin access only when it \
                     creates the cluster: keep creator_admin = {from}, and add or remove \
                     access with access_entry blocks"
                ),
            );
        }
    }
}

/// EKS cannot disable extended support of a cluster already in it ("you can only disable
/// extended support for clusters that are in standard support", EKS User Guide).
fn refuse_leaving_extended_support(have: &Value, want: &Value, day: &str, diags: &mut Diagnostics) {
    let support = |v: &Value| v.get("support_type").as_str().and_then(SupportType::parse);
    let Some(version) = have.get("version").as_str() else {
        return;
    };
    if support(have) == Some(SupportType::Extended)
        && support(want) == Some(SupportType::Standard)
        && cost::eks_extended_support(version, day)
    {
        diags.error_at(
            AttrPath::attr("eks").then("support_type"),
            "Extended support cannot be turned off now",
            format!(
                "Kubernetes {version} is past its standard support, so the cluster is in \
                 extended support, which EKS cannot turn off: upgrade `version` to one in \
                 standard support first (then STANDARD is allowed), or keep support_type = \
                 \"EXTENDED\""
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::environment::testing::config;
    use serde_json::json;

    fn eks(v: serde_json::Value) -> Value {
        config(json!({ "name": "mosia-test", "tier": "dev", "eks": v }))
    }

    fn errors(prior: serde_json::Value, planned: serde_json::Value) -> Vec<String> {
        let mut d = Diagnostics::default();
        refuse_eks_one_way_changes(&eks(prior), &eks(planned), &mut d);
        d.iter()
            .map(|x| format!("{}: {}", x.summary, x.detail))
            .collect()
    }

    #[test]
    fn authentication_mode_moves_only_towards_api() {
        let m = |s: &str| json!({ "authentication_mode": s });
        assert!(errors(m("API_AND_CONFIG_MAP"), m("API")).is_empty());
        assert!(errors(m("CONFIG_MAP"), m("API_AND_CONFIG_MAP")).is_empty());
        let back = errors(m("API"), m("API_AND_CONFIG_MAP"));
        assert_eq!(back.len(), 1, "{back:?}");
        assert!(back[0].contains("never back"), "{back:?}");
    }

    #[test]
    fn encryption_stays_on_with_its_key() {
        let k = |on: bool, key: &str| json!({ "secrets_encryption": on, "kms_key_arn": key });
        let a = "arn:aws:kms:us-east-1:123456789012:key/a";
        let b = "arn:aws:kms:us-east-1:123456789012:key/b";
        assert!(errors(k(true, a), k(true, a)).is_empty());
        assert!(errors(json!({ "secrets_encryption": false }), k(true, b)).is_empty());
        assert_eq!(
            errors(k(true, a), json!({ "secrets_encryption": false })).len(),
            1
        );
        let changed = errors(k(true, a), k(true, b));
        assert!(changed[0].contains("cannot change the key"), "{changed:?}");
    }

    #[test]
    fn extended_support_stays_on_while_the_version_is_in_it() {
        let c = |version: &str, support: &str| {
            eks(json!({ "version": version, "support_type": support }))
        };
        let check = |have: Value, want: Value| {
            let mut d = Diagnostics::default();
            refuse_leaving_extended_support(&have, &want, "2026-12-03", &mut d);
            d
        };
        let refused = check(
            c("1.31", "EXTENDED").get("eks").clone(),
            c("1.31", "STANDARD").get("eks").clone(),
        );
        assert_eq!(refused.0.len(), 1, "{refused:?}");
        assert!(refused.0[0].detail.contains("past its standard support"));
        let allowed = check(
            c("1.35", "EXTENDED").get("eks").clone(),
            c("1.35", "STANDARD").get("eks").clone(),
        );
        assert!(allowed.is_empty(), "{allowed:?}");
    }

    #[test]
    fn creator_admin_is_fixed_at_create() {
        let c = |on: bool| json!({ "creator_admin": on });
        assert!(errors(c(true), c(true)).is_empty());
        assert_eq!(errors(c(true), c(false)).len(), 1);
        // A create has no prior cluster to compare with.
        let mut d = Diagnostics::default();
        refuse_eks_one_way_changes(&Value::Null, &eks(c(false)), &mut d);
        assert!(d.is_empty());
    }
}
