//! Test helpers for the environment resource: configurations from JSON, Terraform's proposed
//! new state, and plans made the way PlanResourceChange makes them (schema rules,
//! `modify_plan`, then replacement paths).

use std::collections::BTreeMap;

use mosia_tfplugin::value::json;
use mosia_tfplugin::{AttrPath, Block, Diagnostic, Diagnostics, Value};

use super::flatten::null_unknowns;
use super::schema;

/// A configuration value from JSON, typed by the resource schema (absent attributes null).
pub(super) fn config(j: serde_json::Value) -> Value {
    let ty = schema::schema().implied_type();
    json::decode(j.to_string().as_bytes(), &ty).expect("test config matches the schema")
}

/// Every part: a network Mosia creates, EKS with one node group, RDS, ElastiCache, MSK.
pub(super) fn everything(tier: &str) -> serde_json::Value {
    serde_json::json!({
        "name": "mosia-test",
        "tier": tier,
        "tags": { "team": "platform" },
        "network": {},
        "eks": { "node_group": { "general": {} } },
        "rds": {},
        "elasticache": {},
        "msk": { "kafka_version": "3.6.0" },
    })
}

/// Terraform's proposed new state: the configuration, with the prior value of each
/// computed attribute the configuration leaves null.
pub(super) fn proposed(block: &Block, prior: &Value, config: &Value) -> Value {
    let Value::Object(c) = config else {
        return config.clone();
    };
    let mut out = c.clone();
    for a in block.attributes.iter().filter(|a| a.computed) {
        if config.get(&a.name).is_null() {
            out.insert(a.name.clone(), prior.get(&a.name).clone());
        }
    }
    for b in &block.blocks {
        let (p, cv) = (prior.get(&b.type_name), config.get(&b.type_name));
        let v = match cv {
            Value::Object(_) => proposed(&b.block, p, cv),
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| {
                        let pk = p.entries().and_then(|e| e.get(k)).unwrap_or(&Value::Null);
                        (k.clone(), proposed(&b.block, pk, v))
                    })
                    .collect(),
            ),
            other => other.clone(),
        };
        out.insert(b.type_name.clone(), v);
    }
    Value::Object(out)
}

/// A plan's outcome.
pub(super) struct Planned {
    pub value: Value,
    pub replace: Vec<AttrPath>,
    pub diags: Diagnostics,
}

impl Planned {
    /// The diagnostics with this summary.
    pub fn diags_titled(&self, summary: &str) -> Vec<&Diagnostic> {
        self.diags.iter().filter(|d| d.summary == summary).collect()
    }
}

/// Plans `config` over `prior` (null: a create) as the provider does, with the provider's
/// default tag `owner = mosia`.
pub(super) fn plan(prior: &Value, config: &Value) -> Planned {
    let schema = schema::shared();
    let proposed = proposed(&schema.block, prior, config);
    let default_tags = BTreeMap::from([("owner".to_string(), "mosia".to_string())]);
    let mut diags = Diagnostics::new();
    let (value, replace) = mosia_tfplugin::plan::plan_change(
        &schema.block,
        prior,
        config,
        &proposed,
        &mut diags,
        |req| super::plan::modify_plan(schema, &default_tags, req),
    );
    Planned {
        value,
        replace,
        diags,
    }
}

/// The state a successful create of `config` leaves, with `outputs` (`(block, attr,
/// value)`) as the parts returned them and every other output null.
pub(super) fn created(config: &Value, outputs: &[(&str, &str, Value)]) -> Value {
    let mut state = plan(&Value::Null, config).value;
    for (block, attr, v) in outputs {
        super::flatten::set_in(&mut state, block, attr, v.clone());
    }
    null_unknowns(&mut state);
    state
}
