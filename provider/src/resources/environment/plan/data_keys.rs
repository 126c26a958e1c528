//! The environment's key in a plan: `encryption_key_arn`, and what a change of key does to
//! the data services. A database, cache or cluster keeps the key it was created with (RDS,
//! ElastiCache and MSK set it only at creation), so:
//!
//! - one encrypted with the key the environment used so far, when the environment moves
//!   to another key (another `kms_key_arn`, its own key instead of the user's, or AWS-managed
//!   keys), is **replaced**: named in a warning, its outputs unknown; production refuses it.
//!   [`key_replacements`] decides it, for the plan and for the apply alike.
//! - one on another key (an AWS-managed key, from before the environment had its own) keeps
//!   it, with a warning saying how to move it.

use mosia_tfplugin::{AttrPath, Diagnostics, PlanRequest, Value};

use crate::aws::kms::same_key;
use crate::resources::environment::spec::{self, EnvironmentSpec, Tier};

/// The data services, by block, with what each is called in messages.
const DATA_BLOCKS: [(&str, &str); 3] = [
    ("rds", "The RDS database (primary and replicas)"),
    ("elasticache", "The ElastiCache replication group"),
    ("msk", "The MSK cluster"),
];

/// The environment's key in `prior` (a state or a plan made from one): the user's or its
/// own; None with AWS-managed keys.
fn environment_key(prior: &Value) -> Option<&str> {
    prior.get("encryption_key_arn").as_str()
}

/// True when `new` keeps the environment's key of `prior` (`prior_key`).
fn keeps_key(prior: &Value, prior_key: &str, new: &EnvironmentSpec) -> bool {
    match &new.encryption.given {
        Some(given) => same_key(given, prior_key),
        None if new.encryption.customer_managed => {
            // The own key stays the own key; the user's key given up for it does not.
            spec::has_own_key_part(prior) && prior.get("kms_key_arn").is_null()
        }
        None => false,
    }
}

/// The data services to replace because their key changes: (block, old key). Only those
/// encrypted with the environment's key of `prior` when `new` moves to another.
pub(crate) fn key_replacements(
    prior: &Value,
    new: &EnvironmentSpec,
) -> Vec<(&'static str, String)> {
    let Some(prior_key) = environment_key(prior) else {
        return Vec::new();
    };
    if keeps_key(prior, prior_key, new) {
        return Vec::new();
    }
    let present = [
        ("rds", new.rds.is_some()),
        ("elasticache", new.elasticache.is_some()),
        ("msk", new.msk.is_some()),
    ];
    present
        .into_iter()
        .filter(|(_, p)| *p)
        .filter_map(|(block, _)| {
            let have = prior.get(block).get("kms_key_arn").as_str()?;
            same_key(have, prior_key).then(|| (block, have.to_string()))
        })
        .collect()
}

/// Plans `encryption_key_arn`, the data services a change of key replaces (or refuses them
/// in production), and warns about data services that stay on another key.
pub(super) fn plan_data_keys(req: &mut PlanRequest<'_>, new: &EnvironmentSpec) {
    plan_environment_key(req, new);
    if req.prior.is_null() {
        return;
    }
    let replaced = key_replacements(req.prior, new);
    for (block, old) in &replaced {
        name_replacement(req, new, block, old);
    }
    for (block, _) in DATA_BLOCKS {
        if replaced.iter().any(|(b, _)| b == &block) {
            super::set_in(req.planned, block, "kms_key_arn", Value::unknown());
        } else if let Some(have) = req.prior.get(block).get("kms_key_arn").as_str() {
            let have = have.to_string();
            warn_other_key(req, new, block, &have);
        }
    }
}

/// `encryption_key_arn`: the user's key; the own key (known once it exists); or null.
fn plan_environment_key(req: &mut PlanRequest<'_>, new: &EnvironmentSpec) {
    let planned = match &new.encryption.given {
        Some(given) => Value::from(given.as_str()),
        None if new.encryption.customer_managed => {
            let prior_own = !req.prior.is_null()
                && spec::has_own_key_part(req.prior)
                && req.prior.get("kms_key_arn").is_null();
            match req.prior.get("encryption_key_arn") {
                v @ Value::String(_) if prior_own => v.clone(),
                _ => Value::unknown(),
            }
        }
        None => Value::Null,
    };
    req.planned.set_attr("encryption_key_arn", planned);
}

/// The replacement of `block` for a new key: a warning, or production's refusal.
fn name_replacement(req: &mut PlanRequest<'_>, new: &EnvironmentSpec, block: &str, old: &str) {
    let what = DATA_BLOCKS
        .iter()
        .find(|(b, _)| *b == block)
        .map_or(block, |(_, w)| w);
    let to = match &new.encryption.given {
        Some(k) => format!("`{k}`"),
        None if new.encryption.customer_managed => "the environment's own key".to_string(),
        None => "an AWS-managed key".to_string(),
    };
    let at = if req.config.get("kms_key_arn").is_null() {
        AttrPath::attr("customer_managed_key")
    } else {
        AttrPath::attr("kms_key_arn")
    };
    let why = format!(
        "{what} is encrypted with KMS key `{old}`, and the environment moves to {to}. AWS sets \
         a data service's key only when it is created"
    );
    if new.tier == Tier::Production {
        req.diags.error_at(
            at,
            "Changing the KMS key would replace a production data service",
            format!(
                "{why}, so the change would delete it and create it empty. Production refuses \
                 it: keep the key, or move the data yourself (a snapshot copied with the new \
                 key, restored into a new environment)."
            ),
        );
        return;
    }
    req.diags.warning_at(
        AttrPath::attr(block),
        format!("{what} will be replaced (its KMS key changes)"),
        format!(
            "{why}. The apply deletes it (RDS with its final snapshot unless \
             skip_final_snapshot) and creates it again under the same name with the new key: \
             its data is lost and clients are disconnected meanwhile."
        ),
    );
    // A new database, cache or cluster: every output of the block is new.
    let schema = crate::resources::environment::schema::shared();
    if let Some(nb) = schema.block.nested(block) {
        for a in nb
            .block
            .attributes
            .iter()
            .filter(|a| a.computed && !a.optional)
        {
            super::set_in(req.planned, block, &a.name, Value::unknown());
        }
    }
}

/// A data service on another key than the environment's stays on it: say how to move it.
fn warn_other_key(req: &mut PlanRequest<'_>, new: &EnvironmentSpec, block: &str, have: &str) {
    if !new.encryption.customer_managed_data() {
        return;
    }
    let on_environment_key = req
        .planned
        .get("encryption_key_arn")
        .as_str()
        .is_some_and(|k| same_key(k, have));
    if on_environment_key {
        return;
    }
    add_other_key_warning(req.diags, block, have);
}

fn add_other_key_warning(diags: &mut Diagnostics, block: &str, have: &str) {
    diags.warning_at(
        AttrPath::attr(block),
        format!("`{block}` stays on the KMS key it was created with"),
        format!(
            "It is encrypted with `{have}` (an AWS-managed key, or one from before the \
             environment had its own), not the environment's key: AWS sets a data service's \
             key only when it is created, and Mosia does not replace a data service for it. \
             To move it, restore a snapshot into a new environment, or remove the `{block}` \
             block, apply, and add it back (its data is lost)."
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::environment::testing::{config, created, everything, plan};

    fn with_key(mut v: Value, key: &str, parts_key: &str) -> Value {
        v.set_attr("encryption_key_arn", Value::from(key));
        for block in ["rds", "elasticache", "msk"] {
            super::super::set_in(&mut v, block, "kms_key_arn", Value::from(parts_key));
        }
        v
    }

    const OWN: &str = "arn:aws:kms:us-east-1:123456789012:key/own";
    const MINE: &str = "arn:aws:kms:us-east-1:123456789012:key/mine";

    #[test]
    fn a_new_key_replaces_the_data_services_on_the_old_one_in_staging() {
        let mut j = everything("staging");
        j["kms_key_arn"] = serde_json::json!(MINE);
        let arn = (
            "rds",
            "arn",
            Value::from("arn:aws:rds:us-east-1:1:db:mosia-test-db"),
        );
        let prior = with_key(created(&config(everything("staging")), &[arn]), OWN, OWN);
        let p = plan(&prior, &config(j));
        let warnings: Vec<&str> = p.diags.iter().map(|d| d.summary.as_str()).collect();
        for w in [
            "The RDS database (primary and replicas) will be replaced (its KMS key changes)",
            "The MSK cluster will be replaced (its KMS key changes)",
        ] {
            assert!(warnings.contains(&w), "{warnings:?}");
        }
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
        assert!(p.value.get("rds").get("kms_key_arn").is_unknown());
        assert!(p.value.get("rds").get("arn").is_unknown());
        assert_eq!(p.value.get("encryption_key_arn"), &Value::from(MINE));
    }

    #[test]
    fn production_refuses_a_key_change_that_replaces_data() {
        let mut j = everything("production");
        j["kms_key_arn"] = serde_json::json!(MINE);
        let prior = with_key(created(&config(everything("production")), &[]), OWN, OWN);
        let p = plan(&prior, &config(j));
        let e = p
            .diags
            .iter()
            .find(|d| d.severity == mosia_tfplugin::diagnostics::Severity::Error)
            .expect("an error");
        assert_eq!(e.path, Some(AttrPath::attr("kms_key_arn")));
        assert!(
            e.detail
                .contains("`arn:aws:kms:us-east-1:123456789012:key/own`"),
            "{}",
            e.detail
        );
    }

    #[test]
    fn the_same_key_and_aws_managed_parts_replace_nothing() {
        let prior = with_key(created(&config(everything("staging")), &[]), OWN, OWN);
        assert!(key_replacements(&prior, &spec::from_value(&prior).unwrap()).is_empty());
        // Data on an AWS-managed key keeps it, with a warning, when the environment gets a key.
        let prior = with_key(
            created(&config(everything("staging")), &[]),
            OWN,
            "arn:aws:kms:us-east-1:123456789012:key/aws-rds",
        );
        let p = plan(&prior, &config(everything("staging")));
        assert!(!p.diags.has_errors(), "{:?}", p.diags);
        assert!(p
            .diags
            .iter()
            .any(|d| d.summary == "`rds` stays on the KMS key it was created with"));
        assert!(!p.value.get("rds").get("kms_key_arn").is_unknown());
    }

    #[test]
    fn turning_the_own_key_off_in_dev_replaces_what_it_encrypts() {
        let mut j = everything("dev");
        j["customer_managed_key"] = serde_json::json!(true);
        let prior = with_key(created(&config(j.clone()), &[]), OWN, OWN);
        j["customer_managed_key"] = serde_json::json!(false);
        let new = spec::from_value(&config(j)).unwrap();
        let blocks: Vec<&str> = key_replacements(&prior, &new)
            .iter()
            .map(|(b, _)| *b)
            .collect();
        assert_eq!(blocks, ["rds", "elasticache", "msk"]);
    }
}
