//! cty's JSON encoding of values: `raw_state.json` in UpgradeResourceState, and the fallback
//! when a `DynamicValue` carries JSON instead of msgpack.
//!
//! Objects and maps are JSON objects, lists, sets and tuples arrays, numbers exact JSON numbers
//! (serde_json's `arbitrary_precision` keeps their text). A value of DynamicPseudoType is
//! `{"value": ..., "type": ...}`. Unknown values have no JSON form. Decoding is as lenient as
//! cty: strings are accepted for numbers and bools, numbers and bools for strings.

use std::collections::BTreeMap;

use serde_json::{Map, Value as J};

use super::{Number, Path, Type, Value, ValueError};

/// Decoding options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonOptions {
    /// Skip object attributes the type does not have instead of failing: old state may hold
    /// attributes since dropped from the schema.
    pub ignore_unknown_attributes: bool,
}

/// Decodes a value of type `ty`, rejecting attributes the type does not have.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    decode_with(bytes, ty, JsonOptions::default())
}

pub fn decode_with(bytes: &[u8], ty: &Type, opts: JsonOptions) -> Result<Value, ValueError> {
    // serde_json bounds its own recursion (128 levels), so any JSON it returns is safe to walk.
    let json: J =
        serde_json::from_slice(bytes).map_err(|e| ValueError::new(format!("invalid JSON: {e}")))?;
    Decoder { opts }.value(&json, ty, &Path::root())
}

/// Encodes `v`, which must conform to `ty` and be wholly known.
pub fn encode(v: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let json = encode_value(v, ty, &Path::root())?;
    serde_json::to_vec(&json).map_err(|e| ValueError::new(format!("JSON encoding failed: {e}")))
}

// ---------------------------------------------------------------------------------------------
// Decoding

struct Decoder {
    opts: JsonOptions,
}

impl Decoder {
    fn value(&self, j: &J, ty: &Type, path: &Path) -> Result<Value, ValueError> {
        path.check_depth()?;
        if j.is_null() {
            return Ok(Value::Null);
        }
        match ty {
            Type::String => decode_string(j, path).map(Value::String),
            Type::Number => decode_number(j, path).map(Value::Number),
            Type::Bool => decode_bool(j, path).map(Value::Bool),
            Type::List(t) => self.elements(j, t, ty, path).map(Value::List),
            Type::Set(t) => self.elements(j, t, ty, path).map(Value::set_of),
            Type::Tuple(ts) => self.tuple(j, ts, ty, path),
            Type::Map(t) => self.map(j, t, ty, path),
            Type::Object(attrs) => self.object(j, attrs, ty, path),
            Type::Dynamic => self.dynamic(j, path),
        }
    }

    fn elements(
        &self,
        j: &J,
        elem: &Type,
        ty: &Type,
        path: &Path,
    ) -> Result<Vec<Value>, ValueError> {
        let items = j.as_array().ok_or_else(|| mismatch(ty, j, path))?;
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.value(item, elem, &path.index(i)))
            .collect()
    }

    fn tuple(&self, j: &J, elems: &[Type], ty: &Type, path: &Path) -> Result<Value, ValueError> {
        let items = j.as_array().ok_or_else(|| mismatch(ty, j, path))?;
        if items.len() != elems.len() {
            return Err(path.error(format!(
                "expected a tuple of {} elements, got {}",
                elems.len(),
                items.len()
            )));
        }
        let values = items
            .iter()
            .zip(elems)
            .enumerate()
            .map(|(i, (item, t))| self.value(item, t, &path.index(i)))
            .collect::<Result<_, _>>()?;
        Ok(Value::Tuple(values))
    }

    fn map(&self, j: &J, elem: &Type, ty: &Type, path: &Path) -> Result<Value, ValueError> {
        let entries = j.as_object().ok_or_else(|| mismatch(ty, j, path))?;
        let values = entries
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.value(v, elem, &path.key(k))?)))
            .collect::<Result<_, ValueError>>()?;
        Ok(Value::Map(values))
    }

    /// Attributes missing from the JSON are null, as in cty.
    fn object(
        &self,
        j: &J,
        attrs: &BTreeMap<String, Type>,
        ty: &Type,
        path: &Path,
    ) -> Result<Value, ValueError> {
        let entries = j.as_object().ok_or_else(|| mismatch(ty, j, path))?;
        let mut out = BTreeMap::new();
        for (name, v) in entries {
            match attrs.get(name) {
                Some(t) => {
                    out.insert(name.clone(), self.value(v, t, &path.attr(name))?);
                }
                None if self.opts.ignore_unknown_attributes => {}
                None => return Err(path.error(format!("unsupported attribute {name:?}"))),
            }
        }
        for name in attrs.keys() {
            out.entry(name.clone()).or_insert(Value::Null);
        }
        Ok(Value::Object(out))
    }

    /// `{"value": ..., "type": ...}`, keys in any order, no others. A wrapped type that is
    /// itself dynamic adds nothing: its value is returned as is, as cty does.
    fn dynamic(&self, j: &J, path: &Path) -> Result<Value, ValueError> {
        let entries = j
            .as_object()
            .ok_or_else(|| mismatch(&Type::Dynamic, j, path))?;
        if let Some(key) = entries.keys().find(|k| *k != "value" && *k != "type") {
            return Err(path.error(format!("invalid key {key:?} in dynamically-typed value")));
        }
        let type_json = entries
            .get("type")
            .ok_or_else(|| path.error("missing type in dynamically-typed value"))?;
        let value_json = entries
            .get("value")
            .ok_or_else(|| path.error("missing value in dynamically-typed value"))?;
        let ty = Type::from_json(type_json).map_err(|e| path.error(e))?;
        let value = self.value(value_json, &ty, &path.dynamic())?;
        Ok(match ty {
            Type::Dynamic => value,
            ty => Value::Dynamic(ty, Box::new(value)),
        })
    }
}

/// A string, or a number or bool taken as its text.
fn decode_string(j: &J, path: &Path) -> Result<String, ValueError> {
    match j {
        J::String(s) => Ok(s.clone()),
        J::Number(n) => Ok(n.as_str().to_string()),
        J::Bool(b) => Ok(b.to_string()),
        _ => Err(mismatch(&Type::String, j, path)),
    }
}

/// A number, or a string holding one; kept exact from its text.
fn decode_number(j: &J, path: &Path) -> Result<Number, ValueError> {
    let text = match j {
        J::Number(n) => n.as_str(),
        J::String(s) => s.as_str(),
        _ => return Err(mismatch(&Type::Number, j, path)),
    };
    Number::parse_wire(text).map_err(|e| path.error(e))
}

/// A bool, or the string "true" or "false".
fn decode_bool(j: &J, path: &Path) -> Result<bool, ValueError> {
    match j {
        J::Bool(b) => Ok(*b),
        J::String(s) if s == "true" => Ok(true),
        J::String(s) if s == "false" => Ok(false),
        J::String(s) => Err(path.error(format!("expected bool, got string {s:?}"))),
        _ => Err(mismatch(&Type::Bool, j, path)),
    }
}

fn mismatch(expected: &Type, got: &J, path: &Path) -> ValueError {
    let kind = match got {
        J::Null => "null",
        J::Bool(_) => "bool",
        J::Number(_) => "number",
        J::String(_) => "string",
        J::Array(_) => "array",
        J::Object(_) => "object",
    };
    path.error(format!("expected {}, got {kind}", expected.friendly_name()))
}

// ---------------------------------------------------------------------------------------------
// Encoding

fn encode_value(v: &Value, ty: &Type, path: &Path) -> Result<J, ValueError> {
    match (v, ty) {
        (Value::Unknown(_), _) => Err(path.error("an unknown value cannot be encoded as JSON")),
        (Value::Dynamic(t, inner), Type::Dynamic) => encode_dynamic(t, inner, path),
        (Value::Null, _) => Ok(J::Null),
        // A dynamic wrapper around a value of exactly the expected type adds nothing.
        (Value::Dynamic(t, inner), _) if t == ty => encode_value(inner, ty, path),
        (Value::String(s), Type::String) => Ok(J::String(s.clone())),
        (Value::Number(n), Type::Number) => encode_number(n, path),
        (Value::Bool(b), Type::Bool) => Ok(J::Bool(*b)),
        (Value::List(elems), Type::List(t)) | (Value::Set(elems), Type::Set(t)) => elems
            .iter()
            .enumerate()
            .map(|(i, e)| encode_value(e, t, &path.index(i)))
            .collect::<Result<_, _>>()
            .map(J::Array),
        (Value::Tuple(elems), Type::Tuple(types)) => encode_tuple(elems, types, path),
        (Value::Map(entries), Type::Map(t)) => entries
            .iter()
            .map(|(k, e)| Ok((k.clone(), encode_value(e, t, &path.key(k))?)))
            .collect::<Result<Map<_, _>, ValueError>>()
            .map(J::Object),
        (Value::Object(attrs), Type::Object(types)) => encode_object(attrs, types, path),
        (_, Type::Dynamic) => Err(path.error(format!(
            "a {} of dynamic type must carry its type (Value::Dynamic)",
            v.kind_name()
        ))),
        _ => Err(path.error(format!(
            "expected {}, got {}",
            ty.friendly_name(),
            v.kind_name()
        ))),
    }
}

/// Every attribute of the type, in order; one absent from the value is null.
fn encode_object(
    attrs: &BTreeMap<String, Value>,
    types: &BTreeMap<String, Type>,
    path: &Path,
) -> Result<J, ValueError> {
    if let Some(name) = attrs.keys().find(|k| !types.contains_key(*k)) {
        return Err(path.error(format!("unsupported attribute {name:?}")));
    }
    let mut out = Map::new();
    for (name, t) in types {
        let v = attrs.get(name).unwrap_or(&Value::Null);
        out.insert(name.clone(), encode_value(v, t, &path.attr(name))?);
    }
    Ok(J::Object(out))
}

fn encode_tuple(elems: &[Value], types: &[Type], path: &Path) -> Result<J, ValueError> {
    if elems.len() != types.len() {
        return Err(path.error(format!(
            "expected a tuple of {} elements, got {}",
            types.len(),
            elems.len()
        )));
    }
    elems
        .iter()
        .zip(types)
        .enumerate()
        .map(|(i, (e, t))| encode_value(e, t, &path.index(i)))
        .collect::<Result<_, _>>()
        .map(J::Array)
}

/// `{"value": ..., "type": ...}`, in cty's key order.
fn encode_dynamic(ty: &Type, v: &Value, path: &Path) -> Result<J, ValueError> {
    if *ty == Type::Dynamic {
        return encode_value(v, ty, path);
    }
    let mut out = Map::new();
    out.insert("value".to_string(), encode_value(v, ty, &path.dynamic())?);
    out.insert("type".to_string(), ty.to_json());
    Ok(J::Object(out))
}

/// The exact decimal text, in plain notation as cty writes it.
fn encode_number(n: &Number, path: &Path) -> Result<J, ValueError> {
    n.to_string()
        .parse::<serde_json::Number>()
        .map(J::Number)
        .map_err(|e| path.error(format!("number {n} has no JSON form: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_nesting_is_bounded() {
        let mut text = String::new();
        for _ in 0..80 {
            text.push_str(r#"{"type":"dynamic","value":"#);
        }
        text.push_str("null");
        text.push_str(&"}".repeat(80));
        let err = decode(text.as_bytes(), &Type::Dynamic).unwrap_err();
        assert!(err.message.contains("nested more than"), "{err}");
    }

    #[test]
    fn null_dynamic_keeps_its_type() {
        let v = Value::Dynamic(Type::String, Box::new(Value::Null));
        let bytes = encode(&v, &Type::Dynamic).unwrap();
        assert_eq!(bytes, br#"{"value":null,"type":"string"}"#);
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), v);
    }
}
