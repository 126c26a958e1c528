//! The `eks` block's access entries in state, from what the `eks.access` part found or made
//! ([`AccessState`]): `access_entry_arns` after an apply; on refresh the `access_entry`
//! blocks as AWS has them (an entry deleted by hand disappears, so the plan adds it back; a
//! policy changed by hand shows as that policy, or as null when the entry has several); on
//! import the blocks of the entries Mosia created, named by their `mosia:access-entry` tag.

use std::collections::BTreeMap;

use mosia_tfplugin::{Schema, Value};

use super::flatten::set_in;
use crate::aws::eks::{AccessEntryState, AccessState};

/// `eks.access_entry_arns`: each entry's ARN by name.
pub(super) fn fill_access_entry_arns(state: &mut Value, access: &AccessState) {
    set_in(
        state,
        "eks",
        "access_entry_arns",
        Value::string_map_of(&access.arns()),
    );
}

/// The `access_entry` blocks of `state` replaced by the entries found, each keeping what its
/// prior block had that AWS does not say (`namespaces = []` rather than null).
pub(super) fn observe_access_entries(state: &mut Value, access: &AccessState) {
    let prior = state
        .get("eks")
        .get("access_entry")
        .entries()
        .cloned()
        .unwrap_or_default();
    let blocks: BTreeMap<String, Value> = access
        .entries
        .iter()
        .map(|(name, e)| {
            let block = prior.get(name).cloned().unwrap_or_else(empty_block);
            (name.clone(), entry_block(block, e))
        })
        .collect();
    let Some(eks @ Value::Object(_)) = state.get_mut("eks") else {
        return;
    };
    // No blocks stays as it was (null or an empty map).
    if blocks.is_empty() && prior.is_empty() {
        return;
    }
    eks.set_attr("access_entry", Value::Map(blocks));
}

/// The `access_entry` blocks of an imported environment: the entries Mosia created whose
/// policy is one of the four (an entry left with several policies is omitted: the apply
/// after the import restores it as configured).
pub(super) fn imported_access_entries(schema: &Schema, access: &AccessState) -> Value {
    let template = schema
        .block
        .nested("eks")
        .and_then(|b| b.block.nested("access_entry"))
        .map(|b| Value::null_attrs_object(&b.block.implied_type()))
        .unwrap_or_else(empty_block);
    Value::Map(
        access
            .entries
            .iter()
            .filter(|(_, e)| e.owned && e.policy.is_some())
            .map(|(name, e)| (name.clone(), entry_block(template.clone(), e)))
            .collect(),
    )
}

fn empty_block() -> Value {
    Value::object([
        ("principal_arn", Value::Null),
        ("policy", Value::Null),
        ("namespaces", Value::Null),
    ])
}

fn entry_block(mut block: Value, e: &AccessEntryState) -> Value {
    block.set_attr("principal_arn", Value::from(e.principal_arn.as_str()));
    block.set_attr(
        "policy",
        e.policy
            .map(|p| Value::from(p.as_str()))
            .unwrap_or(Value::Null),
    );
    let prior_namespaces = block.get("namespaces");
    let namespaces = if e.namespaces.is_empty() && prior_namespaces.is_null() {
        Value::Null
    } else {
        Value::set_of(e.namespaces.iter().map(|n| Value::from(n.as_str())))
    };
    block.set_attr("namespaces", namespaces);
    block
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::aws::eks::AccessPolicy;

    fn entry(principal: &str, policy: Option<AccessPolicy>, ns: &[&str]) -> AccessEntryState {
        AccessEntryState {
            principal_arn: principal.into(),
            access_entry_arn: format!("{principal}/entry"),
            policy,
            namespaces: ns.iter().map(|n| n.to_string()).collect::<BTreeSet<_>>(),
            owned: true,
        }
    }

    fn state_with(blocks: Value) -> Value {
        Value::object([(
            "eks",
            Value::object([
                ("access_entry", blocks),
                ("access_entry_arns", Value::unknown()),
            ]),
        )])
    }

    fn block(principal: &str, policy: &str, ns: Value) -> Value {
        Value::object([
            ("principal_arn", Value::from(principal)),
            ("policy", Value::from(policy)),
            ("namespaces", ns),
        ])
    }

    #[test]
    fn a_refresh_writes_the_entries_as_aws_has_them() {
        let mut state = state_with(Value::Map(BTreeMap::from([
            (
                "admins".to_string(),
                block("role/a", "cluster-admin", Value::Null),
            ),
            (
                "ci".to_string(),
                block("role/ci", "edit", Value::set_of([Value::from("apps")])),
            ),
            (
                "ops".to_string(),
                block("role/ops", "view", Value::set_of([])),
            ),
        ])));
        // "admins" deleted by hand; "ci" changed to cluster-wide view; "ops" as configured.
        let found = AccessState {
            entries: BTreeMap::from([
                (
                    "ci".to_string(),
                    entry("role/ci", Some(AccessPolicy::View), &[]),
                ),
                (
                    "ops".to_string(),
                    entry("role/ops", Some(AccessPolicy::View), &[]),
                ),
            ]),
        };
        observe_access_entries(&mut state, &found);
        fill_access_entry_arns(&mut state, &found);
        let blocks = state
            .get("eks")
            .get("access_entry")
            .entries()
            .unwrap()
            .clone();
        assert_eq!(blocks.keys().collect::<Vec<_>>(), ["ci", "ops"]);
        assert_eq!(blocks["ci"], block("role/ci", "view", Value::set_of([])));
        assert_eq!(
            blocks["ops"],
            block("role/ops", "view", Value::set_of([])),
            "an empty list stays empty"
        );
        assert_eq!(
            state.get("eks").get("access_entry_arns").string_map(),
            found.arns()
        );
    }

    #[test]
    fn an_entry_with_several_policies_shows_a_null_policy_and_no_entries_stay_null() {
        let mut state = state_with(Value::Map(BTreeMap::from([(
            "ci".to_string(),
            block("role/ci", "edit", Value::Null),
        )])));
        let found = AccessState {
            entries: BTreeMap::from([("ci".to_string(), entry("role/ci", None, &[]))]),
        };
        observe_access_entries(&mut state, &found);
        assert!(
            state.get("eks").get("access_entry").entries().unwrap()["ci"]
                .get("policy")
                .is_null()
        );

        let mut none = state_with(Value::Null);
        observe_access_entries(&mut none, &AccessState::default());
        assert!(none.get("eks").get("access_entry").is_null());
    }

    #[test]
    fn an_import_rebuilds_mosias_entries_only() {
        let schema = super::super::schema::schema();
        let mut adopted = entry("role/creator", Some(AccessPolicy::ClusterAdmin), &[]);
        adopted.owned = false;
        let found = AccessState {
            entries: BTreeMap::from([
                (
                    "ci".to_string(),
                    entry("role/ci", Some(AccessPolicy::Edit), &["apps"]),
                ),
                ("admins".to_string(), entry("role/a", None, &[])),
                ("creator".to_string(), adopted),
            ]),
        };
        let blocks = imported_access_entries(&schema, &found);
        let blocks = blocks.entries().unwrap();
        assert_eq!(blocks.keys().collect::<Vec<_>>(), ["ci"]);
        assert_eq!(
            blocks["ci"],
            block("role/ci", "edit", Value::set_of([Value::from("apps")]))
        );
    }

    #[test]
    fn the_arns_are_planned_unknown_only_when_the_entries_change() {
        use crate::resources::environment::testing::{config, created, everything, plan};
        let with = |entries: serde_json::Value| {
            let mut j = everything("dev");
            j["eks"]["access_entry"] = entries;
            config(j)
        };
        let ci = serde_json::json!({ "ci": {
            "principal_arn": "arn:aws:iam::123456789012:role/ci", "policy": "edit",
            "namespaces": ["apps"] } });
        let arns = Value::string_map_of(&BTreeMap::from([(
            "ci".to_string(),
            "arn:aws:eks:us-east-1:123456789012:access-entry/x".to_string(),
        )]));
        let prior = created(
            &with(ci.clone()),
            &[("eks", "access_entry_arns", arns.clone())],
        );
        let same = plan(&prior, &with(ci.clone()));
        assert_eq!(same.value.get("eks").get("access_entry_arns"), &arns);
        let mut more = ci.clone();
        more["ops"] = serde_json::json!({
            "principal_arn": "arn:aws:iam::123456789012:role/ops", "policy": "view" });
        let p = plan(&prior, &with(more));
        assert!(p.value.get("eks").get("access_entry_arns").is_unknown());
        assert!(
            p.replace.is_empty(),
            "entries change in place: {:?}",
            p.replace
        );
    }
}
