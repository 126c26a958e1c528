//! A node group read from AWS, as configuration attribute values: drift on refresh
//! ([`observe_node_group`]) and the block an import writes ([`node_group_settings`]).

use std::collections::{BTreeMap, BTreeSet};

use mosia_tfplugin::Value;

use crate::aws::eks::{MaxUnavailable, NodeGroupSpec, NodeGroupState, Scaling, Taint};

/// The `part_status` of a node group with more than one EKS group (a replacement under way
/// or interrupted): not ready, so the next plan applies and the apply finishes it.
pub(in crate::resources::environment) const REPLACING: &str = "replacing";

/// Drift of one node group: sizes (the desired size only when Mosia owns it: with
/// `scaling = "external"` an autoscaler's changes are not drift), instance types, AMI type,
/// labels, taints and the update config.
pub(in crate::resources::environment) fn observe_node_group(
    obj: &mut BTreeMap<String, Value>,
    g: &NodeGroupState,
    spec: Option<&NodeGroupSpec>,
) {
    let external = spec.is_some_and(|s| s.scaling == Scaling::External);
    obj.insert("min_size".into(), Value::int(g.min_size as i64));
    obj.insert("max_size".into(), Value::int(g.max_size as i64));
    if !external {
        obj.insert("desired_size".into(), Value::int(g.desired_size as i64));
    }
    obj.insert(
        "instance_types".into(),
        Value::string_list(g.instance_types.clone()),
    );
    if !g.ami_type.is_empty() {
        obj.insert("ami_type".into(), Value::from(g.ami_type.as_str()));
    }
    // No labels stays null rather than becoming an empty map (no diff on `labels` unset).
    let labels = if g.labels.is_empty() && obj.get("labels").is_some_and(Value::is_null) {
        Value::Null
    } else {
        Value::string_map_of(&g.labels)
    };
    obj.insert("labels".into(), labels);
    // The configured order is kept when the same taints are there (EKS does not keep it).
    let same_taints = spec.is_some_and(|s| {
        s.taints.iter().collect::<BTreeSet<_>>() == g.taints.iter().collect::<BTreeSet<_>>()
    });
    if !same_taints {
        let empty_is_null = obj.get("taints").is_none_or(Value::is_null);
        obj.insert("taints".into(), taints_value(&g.taints, empty_is_null));
    }
    let configured = spec.map(|s| s.max_unavailable).unwrap_or_default();
    let have = g.max_unavailable.unwrap_or_default();
    if have != configured {
        for (attr, v) in max_unavailable_values(have) {
            obj.insert(attr.into(), v);
        }
    }
}

/// The settings of an imported node group's block (sizes, instance types, capacity, disk
/// and labels are set by the discovery itself).
pub(in crate::resources::environment) fn node_group_settings(
    g: &NodeGroupState,
) -> Vec<(&'static str, Value)> {
    // AWS does not record who owns the desired size: Mosia's tag says when an autoscaler does.
    let external = g.tags.get(crate::aws::eks::SCALING_TAG).map(String::as_str)
        == Some(Scaling::External.as_str());
    let scaling = if external {
        Scaling::External
    } else {
        Scaling::Managed
    };
    let mut out = vec![
        ("taints", taints_value(&g.taints, true)),
        ("scaling", Value::from(scaling.as_str())),
    ];
    if !g.ami_type.is_empty() {
        out.push(("ami_type", Value::from(g.ami_type.as_str())));
    }
    // EKS's default (one node) is left unset, as a configuration would.
    match g.max_unavailable.unwrap_or_default() {
        m if m == MaxUnavailable::default() => {}
        m => out.extend(max_unavailable_values(m)),
    }
    out
}

/// `taints` as a list of objects; none is null when `empty_is_null`.
fn taints_value(taints: &[Taint], empty_is_null: bool) -> Value {
    if taints.is_empty() && empty_is_null {
        return Value::Null;
    }
    Value::List(
        taints
            .iter()
            .map(|t| {
                Value::Object(BTreeMap::from([
                    ("key".to_string(), Value::from(t.key.as_str())),
                    (
                        "value".to_string(),
                        t.value.as_deref().map_or(Value::Null, Value::from),
                    ),
                    ("effect".to_string(), Value::from(t.effect.as_str())),
                ]))
            })
            .collect(),
    )
}

/// `max_unavailable` and `max_unavailable_percentage` for `m` (the other one null).
fn max_unavailable_values(m: MaxUnavailable) -> [(&'static str, Value); 2] {
    let (count, percentage) = match m {
        MaxUnavailable::Count(n) => (Value::int(n as i64), Value::Null),
        MaxUnavailable::Percentage(p) => (Value::Null, Value::int(p as i64)),
    };
    [
        ("max_unavailable", count),
        ("max_unavailable_percentage", percentage),
    ]
}
