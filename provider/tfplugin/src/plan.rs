//! The generic part of planning, driven by the schema (as terraform-plugin-framework does):
//! defaults, unknown computed values on create, replacement paths, write-only attributes.

use crate::diagnostics::{AttrPath, Diagnostics};
use crate::resource::PlanRequest;
use crate::schema::{Block, Nesting};
use crate::value::Value;

/// Plans a create or update: the schema's rules, then the resource's own modification
/// (`modify`, i.e. `Resource::modify_plan`), then the replacement paths. These come last
/// so that values the resource fills in (defaults that depend on other attributes) count
/// with the schema's `requires_replace` like configured ones; paths `modify` adds are kept.
pub fn plan_change(
    block: &Block,
    prior: &Value,
    config: &Value,
    proposed: &Value,
    diags: &mut Diagnostics,
    modify: impl FnOnce(&mut PlanRequest<'_>),
) -> (Value, Vec<AttrPath>) {
    let mut planned = apply_schema_rules(block, prior, config, proposed);
    let mut requires_replace = Vec::new();
    modify(&mut PlanRequest {
        prior,
        config,
        planned: &mut planned,
        requires_replace: &mut requires_replace,
        diags,
    });
    for p in replacement_paths(block, prior, &planned, &AttrPath::root()) {
        if !requires_replace.contains(&p) {
            requires_replace.push(p);
        }
    }
    (planned, requires_replace)
}

/// Builds the planned value for a block from Terraform's proposed new state.
///
/// Terraform's proposal already carries prior values for computed attributes that the
/// configuration leaves null, so an update keeps them ("use state for unknown"); a create
/// has no prior value, so such attributes become unknown unless the schema has a default.
pub fn apply_schema_rules(block: &Block, prior: &Value, config: &Value, proposed: &Value) -> Value {
    let Value::Object(attrs) = proposed else {
        return proposed.clone();
    };
    let creating = prior.is_null();
    let mut out = attrs.clone();
    for a in &block.attributes {
        let slot = out.entry(a.name.clone()).or_insert(Value::Null);
        if a.write_only {
            *slot = Value::Null;
            continue;
        }
        if a.computed && config.get(&a.name).is_null() {
            if let Some(d) = &a.default {
                *slot = d.clone();
            } else if creating {
                // On update the prior value stands, null included: a null computed value
                // planned as unknown would show as a change on every plan.
                *slot = Value::unknown();
            }
        }
    }
    for b in &block.blocks {
        let (p, c) = (prior.get(&b.type_name), config.get(&b.type_name));
        let Some(slot) = out.get_mut(&b.type_name) else {
            continue;
        };
        *slot = match (b.nesting, &*slot) {
            (Nesting::Single | Nesting::Group, v) if !v.is_null() && v.is_known() => {
                apply_schema_rules(&b.block, p, c, v)
            }
            (Nesting::List, Value::List(items)) => Value::List(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let pi = p.elements().get(i).unwrap_or(&Value::Null);
                        let ci = c.elements().get(i).unwrap_or(&Value::Null);
                        apply_schema_rules(&b.block, pi, ci, v)
                    })
                    .collect(),
            ),
            (Nesting::Map, Value::Map(items)) => Value::Map(
                items
                    .iter()
                    .map(|(k, v)| {
                        let pk = p.entries().and_then(|m| m.get(k)).unwrap_or(&Value::Null);
                        let ck = c.entries().and_then(|m| m.get(k)).unwrap_or(&Value::Null);
                        (k.clone(), apply_schema_rules(&b.block, pk, ck, v))
                    })
                    .collect(),
            ),
            // Set elements have no identity to match against prior state: left as proposed.
            (_, v) => v.clone(),
        };
    }
    Value::Object(out)
}

/// Paths of `requires_replace` attributes whose planned value differs from the prior one.
pub fn replacement_paths(
    block: &Block,
    prior: &Value,
    planned: &Value,
    path: &AttrPath,
) -> Vec<AttrPath> {
    let mut out = Vec::new();
    if prior.is_null() || planned.is_null() {
        return out;
    }
    for a in &block.attributes {
        if a.requires_replace && prior.get(&a.name) != planned.get(&a.name) {
            out.push(path.then(&a.name));
        }
    }
    for b in &block.blocks {
        if matches!(b.nesting, Nesting::Single | Nesting::Group) {
            out.extend(replacement_paths(
                &b.block,
                prior.get(&b.type_name),
                planned.get(&b.type_name),
                &path.then(&b.type_name),
            ));
        }
    }
    out
}

/// Write-only attributes never reach state: null them (recursively) before answering.
pub fn null_write_only(block: &Block, value: &mut Value) {
    let Value::Object(attrs) = value else { return };
    for a in block.attributes.iter().filter(|a| a.write_only) {
        attrs.insert(a.name.clone(), Value::Null);
    }
    for b in &block.blocks {
        if let Some(v) = attrs.get_mut(&b.type_name) {
            match v {
                Value::Object(_) => null_write_only(&b.block, v),
                Value::List(items) | Value::Set(items) => {
                    items.iter_mut().for_each(|e| null_write_only(&b.block, e))
                }
                Value::Map(m) => m.values_mut().for_each(|e| null_write_only(&b.block, e)),
                _ => {}
            }
        }
    }
}

/// Replaces unknown values left in a new state by null and reports where: Terraform rejects
/// unknowns after apply, and a clear provider-bug message beats a protocol error.
pub fn unknowns_to_null(value: &mut Value, path: &AttrPath, found: &mut Vec<AttrPath>) {
    match value {
        Value::Unknown(_) => {
            *value = Value::Null;
            found.push(path.clone());
        }
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                unknowns_to_null(v, &path.then(k), found);
            }
        }
        Value::Map(m) => {
            for (k, v) in m.iter_mut() {
                unknowns_to_null(v, &path.key(k), found);
            }
        }
        Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
            for (i, e) in v.iter_mut().enumerate() {
                unknowns_to_null(e, &path.index(i as i64), found);
            }
        }
        Value::Dynamic(_, v) => unknowns_to_null(v, path, found),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, Block};

    fn block() -> Block {
        Block::new("test")
            .attr(Attribute::string("name").required().requires_replace())
            .attr(Attribute::string("arn").computed())
            .attr(Attribute::bool("versioning").default(true))
            .attr(Attribute::string("token").optional().write_only())
    }

    #[test]
    fn create_marks_computed_unknown_and_fills_defaults() {
        let proposed = Value::object([
            ("name", Value::from("a")),
            ("arn", Value::Null),
            ("versioning", Value::Null),
            ("token", Value::from("secret")),
        ]);
        let planned = apply_schema_rules(&block(), &Value::Null, &proposed, &proposed);
        assert!(planned.get("arn").is_unknown());
        assert_eq!(planned.get("versioning"), &Value::Bool(true));
        assert!(planned.get("token").is_null(), "write-only never planned");
    }

    #[test]
    fn update_keeps_prior_computed_and_flags_replacement() {
        let prior = Value::object([
            ("name", Value::from("a")),
            ("arn", Value::from("arn:a")),
            ("versioning", Value::Bool(true)),
            ("token", Value::Null),
        ]);
        let config = Value::object([
            ("name", Value::from("b")),
            ("arn", Value::Null),
            ("versioning", Value::Null),
            ("token", Value::Null),
        ]);
        let mut proposed = config.clone();
        proposed.set_attr("arn", Value::from("arn:a"));
        let planned = apply_schema_rules(&block(), &prior, &config, &proposed);
        assert_eq!(planned.get("arn"), &Value::from("arn:a"));
        let paths = replacement_paths(&block(), &prior, &planned, &AttrPath::root());
        assert_eq!(paths, vec![AttrPath::attr("name")]);
    }

    /// A requires-replace attribute the resource fills in (a default that depends on other
    /// attributes) forces replacement when that fill changes it; paths the resource adds
    /// stay, once each.
    #[test]
    fn replacement_paths_see_values_filled_by_modify_plan() {
        let b = Block::new("test")
            .attr(
                Attribute::string("size")
                    .optional()
                    .computed()
                    .requires_replace(),
            )
            .attr(Attribute::string("tier").optional())
            .attr(Attribute::string("note").optional());
        let prior = Value::object([
            ("size", Value::from("small")),
            ("tier", Value::from("dev")),
            ("note", Value::Null),
        ]);
        let config = Value::object([
            ("size", Value::Null),
            ("tier", Value::from("production")),
            ("note", Value::from("x")),
        ]);
        // Terraform proposes the prior value for the unset optional+computed attribute.
        let mut proposed = config.clone();
        proposed.set_attr("size", Value::from("small"));
        let mut diags = Diagnostics::new();
        let (planned, paths) = plan_change(&b, &prior, &config, &proposed, &mut diags, |req| {
            if req.planned.get("tier").as_str() == Some("production") {
                req.planned.set_attr("size", Value::from("large"));
            }
            req.requires_replace.push(AttrPath::attr("note"));
            req.requires_replace.push(AttrPath::attr("size"));
        });
        assert_eq!(planned.get("size"), &Value::from("large"));
        assert_eq!(paths, vec![AttrPath::attr("note"), AttrPath::attr("size")]);
        // Without the fill nothing is replaced but what the resource said.
        let (_, paths) = plan_change(&b, &prior, &config, &proposed, &mut diags, |_| {});
        assert!(paths.is_empty(), "{paths:?}");
    }
}
