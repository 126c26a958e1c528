//! cty types and their JSON encoding (the `type` bytes of schema attributes, and the
//! type half of a DynamicPseudoType value on the wire).

use std::collections::BTreeMap;

use super::ValueError;

/// A cty type. Object attribute order does not matter, so attributes live in a BTreeMap.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
    /// DynamicPseudoType: the concrete type travels with the value.
    Dynamic,
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    pub fn object<I, K>(attrs: I) -> Type
    where
        I: IntoIterator<Item = (K, Type)>,
        K: Into<String>,
    {
        Type::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The JSON form Terraform uses: `"string"`, `["list","string"]`, `["object",{..}]`.
    pub fn to_json(&self) -> serde_json::Value {
        self.to_json_with_optional_attributes(false)
    }

    /// [`Type::to_json`], with every object attribute marked optional when `optional`
    /// (`["object",{..},["a","b"]]`, cty's form for type constraints with optional
    /// attributes, which Terraform accepts in provider schemas).
    pub fn to_json_with_optional_attributes(&self, optional: bool) -> serde_json::Value {
        use serde_json::{json, Value as J};
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::Dynamic => json!("dynamic"),
            Type::List(t) => json!(["list", t.to_json_with_optional_attributes(optional)]),
            Type::Set(t) => json!(["set", t.to_json_with_optional_attributes(optional)]),
            Type::Map(t) => json!(["map", t.to_json_with_optional_attributes(optional)]),
            Type::Tuple(ts) => J::Array(vec![
                json!("tuple"),
                J::Array(
                    ts.iter()
                        .map(|t| t.to_json_with_optional_attributes(optional))
                        .collect(),
                ),
            ]),
            Type::Object(attrs) => {
                let m: serde_json::Map<String, J> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json_with_optional_attributes(optional)))
                    .collect();
                let mut parts = vec![json!("object"), J::Object(m)];
                if optional {
                    parts.push(J::Array(attrs.keys().map(|k| json!(k)).collect()));
                }
                J::Array(parts)
            }
        }
    }

    pub fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).expect("type JSON always serialises")
    }

    pub fn from_json_bytes(bytes: &[u8]) -> Result<Type, ValueError> {
        let v: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| ValueError::new(format!("invalid type JSON: {e}")))?;
        Type::from_json(&v)
    }

    pub fn from_json(v: &serde_json::Value) -> Result<Type, ValueError> {
        use serde_json::Value as J;
        let bad = || ValueError::new(format!("invalid type specification: {v}"));
        match v {
            J::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            J::Array(items) if items.len() >= 2 => {
                let kind = items[0].as_str().ok_or_else(bad)?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(&items[1])?)),
                    "set" => Ok(Type::set(Type::from_json(&items[1])?)),
                    "map" => Ok(Type::map(Type::from_json(&items[1])?)),
                    "tuple" => {
                        let elems = items[1].as_array().ok_or_else(bad)?;
                        Ok(Type::Tuple(
                            elems
                                .iter()
                                .map(Type::from_json)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    // A third element (optional attribute names) may follow; it only matters
                    // for type constraints, not for values, so it is accepted and ignored.
                    "object" => {
                        let attrs = items[1].as_object().ok_or_else(bad)?;
                        let mut out = BTreeMap::new();
                        for (k, t) in attrs {
                            out.insert(k.clone(), Type::from_json(t)?);
                        }
                        Ok(Type::Object(out))
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::String | Type::Number | Type::Bool)
    }

    /// A short human name, used in diagnostics ("list of string").
    pub fn friendly_name(&self) -> String {
        match self {
            Type::String => "string".into(),
            Type::Number => "number".into(),
            Type::Bool => "bool".into(),
            Type::Dynamic => "any".into(),
            Type::List(t) => format!("list of {}", t.friendly_name()),
            Type::Set(t) => format!("set of {}", t.friendly_name()),
            Type::Map(t) => format!("map of {}", t.friendly_name()),
            Type::Tuple(_) => "tuple".into(),
            Type::Object(_) => "object".into(),
        }
    }
}
