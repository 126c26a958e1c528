//! The cty value model: types, values (with null and unknown), and their wire codecs.
//!
//! Values are schema-driven: the codecs in [`msgpack`] and [`json`] take the [`Type`] the
//! value must have (a resource schema's implied type), as Terraform's own cty does.

pub mod json;
pub mod msgpack;
mod number;
pub mod reader;
mod types;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

pub use number::Number;
pub use types::Type;

/// Error decoding or encoding a value. Never a panic: malformed input from the wire ends here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    pub message: String,
}

impl ValueError {
    pub fn new(message: impl Into<String>) -> Self {
        ValueError {
            message: message.into(),
        }
    }
}

/// What Terraform may tell about an unknown value ("refinements", protocol 6.x with cty 1.13+).
/// All optional: a plain unknown has none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refinements {
    /// Some(true): the value will not be null once known.
    pub not_null: Option<bool>,
    pub string_prefix: Option<String>,
    /// (bound, inclusive)
    pub number_lower: Option<(Number, bool)>,
    pub number_upper: Option<(Number, bool)>,
    pub length_lower: Option<u64>,
    pub length_upper: Option<u64>,
}

/// A cty value. Null and unknown are untyped here: the type comes from the schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Unknown(Refinements),
    String(String),
    Number(Number),
    Bool(bool),
    List(Vec<Value>),
    /// Elements are kept unique and sorted by [`Value::canonical_cmp`] (see [`Value::set_of`]),
    /// so `==` is set equality.
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value whose static type is DynamicPseudoType: it carries its concrete type.
    Dynamic(Type, Box<Value>),
}

static NULL: Value = Value::Null;

impl Value {
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
    pub fn int(i: i64) -> Value {
        Value::Number(Number::from_i64(i))
    }
    pub fn object<I, K>(attrs: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
    /// A set built from elements, de-duplicated and sorted by [`Value::canonical_cmp`], so that
    /// two sets with the same elements are `==` whatever order they were built in.
    pub fn set_of(elems: impl IntoIterator<Item = Value>) -> Value {
        let mut out: Vec<Value> = elems.into_iter().collect();
        out.sort_by(Value::canonical_cmp);
        out.dedup();
        Value::Set(out)
    }

    /// A total order over values, consistent with `==` (Equal exactly when the values are
    /// equal). It orders set elements canonically; the order itself has no meaning. Sets inside
    /// the values are compared element by element, so they must be canonical (as
    /// [`Value::set_of`] and the decoders make them).
    pub fn canonical_cmp(&self, other: &Value) -> Ordering {
        use Value::*;
        match (self, other) {
            (Unknown(a), Unknown(b)) => cmp_refinements(a, b),
            (String(a), String(b)) => a.cmp(b),
            (Number(a), Number(b)) => a.cmp(b),
            (Bool(a), Bool(b)) => a.cmp(b),
            (List(a), List(b)) | (Set(a), Set(b)) | (Tuple(a), Tuple(b)) => cmp_seq(a, b),
            (Map(a), Map(b)) | (Object(a), Object(b)) => cmp_entries(a, b),
            (Dynamic(ta, a), Dynamic(tb, b)) => ta.cmp(tb).then_with(|| a.canonical_cmp(b)),
            _ => self.rank().cmp(&other.rank()),
        }
    }

    /// Position of the variant in [`Value::canonical_cmp`]'s order.
    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Unknown(_) => 1,
            Value::Bool(_) => 2,
            Value::Number(_) => 3,
            Value::String(_) => 4,
            Value::List(_) => 5,
            Value::Tuple(_) => 6,
            Value::Set(_) => 7,
            Value::Map(_) => 8,
            Value::Object(_) => 9,
            Value::Dynamic(..) => 10,
        }
    }

    /// What kind of value this is, for "expected string, got bool" messages.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown(_) => "unknown",
            Value::String(_) => "string",
            Value::Number(_) => "number",
            Value::Bool(_) => "bool",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Tuple(_) => "tuple",
            Value::Dynamic(..) => "dynamic value",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }
    /// True when neither this value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }

    /// Attribute of an object; Null for a missing attribute or a non-object.
    pub fn get(&self, name: &str) -> &Value {
        match self {
            Value::Object(m) => m.get(name).unwrap_or(&NULL),
            Value::Dynamic(_, v) => v.get(name),
            _ => &NULL,
        }
    }
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m.get_mut(name),
            _ => None,
        }
    }
    pub fn set_attr(&mut self, name: &str, v: Value) {
        if let Value::Object(m) = self {
            m.insert(name.to_string(), v);
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.to_i64(),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }
    /// Elements of a list, set or tuple; empty for anything else (including null).
    pub fn elements(&self) -> &[Value] {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v,
            _ => &[],
        }
    }
    /// Entries of a map or object; None for anything else.
    pub fn entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }
    /// A map(string) as Rust strings; unknown/non-string entries are skipped.
    pub fn string_map(&self) -> BTreeMap<String, String> {
        self.entries()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }
    /// A list of strings.
    pub fn string_list(items: impl IntoIterator<Item = String>) -> Value {
        Value::List(items.into_iter().map(Value::String).collect())
    }

    /// A map of strings.
    pub fn string_map_of(m: &BTreeMap<String, String>) -> Value {
        Value::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }

    /// A null value for `ty` built to Terraform's expectations: objects with every attribute
    /// null. Used for absent blocks in `group` nesting mode, which are never null.
    pub fn null_attrs_object(ty: &Type) -> Value {
        match ty {
            Type::Object(attrs) => {
                Value::Object(attrs.keys().map(|k| (k.clone(), Value::Null)).collect())
            }
            _ => Value::Null,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::int(i)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Value {
        o.map(Into::into).unwrap_or(Value::Null)
    }
}

fn cmp_refinements(a: &Refinements, b: &Refinements) -> Ordering {
    a.not_null
        .cmp(&b.not_null)
        .then_with(|| a.string_prefix.cmp(&b.string_prefix))
        .then_with(|| a.number_lower.cmp(&b.number_lower))
        .then_with(|| a.number_upper.cmp(&b.number_upper))
        .then_with(|| a.length_lower.cmp(&b.length_lower))
        .then_with(|| a.length_upper.cmp(&b.length_upper))
}

/// Lexicographic: first differing element, else the shorter sequence first.
fn cmp_seq(a: &[Value], b: &[Value]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.canonical_cmp(y))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.len().cmp(&b.len()))
}

fn cmp_entries(a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>) -> Ordering {
    a.iter()
        .zip(b)
        .map(|((ka, va), (kb, vb))| ka.cmp(kb).then_with(|| va.canonical_cmp(vb)))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.len().cmp(&b.len()))
}

/// How deeply values may nest (containers and dynamic wrappers) when decoded from the wire.
/// Schema types are far shallower; the bound keeps hostile input (a dynamic value whose type
/// comes from the wire can nest without end) from exhausting the stack.
pub(crate) const MAX_DEPTH: usize = 64;

/// Where a codec is inside a value, for error messages (`at .network.subnet_ids[2]: ...`).
/// A borrowed linked list: descending costs nothing until an error is reported.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    step: Step<'a>,
    depth: usize,
}

#[derive(Clone, Copy)]
enum Step<'a> {
    Root,
    Attr(&'a str),
    Index(usize),
    Key(&'a str),
    /// Inside a dynamic value's `[type, value]` wrapper: not shown, but counts as depth.
    Dynamic,
}

impl<'a> Path<'a> {
    pub(crate) fn root() -> Path<'static> {
        Path {
            parent: None,
            step: Step::Root,
            depth: 0,
        }
    }
    fn child(&'a self, step: Step<'a>) -> Path<'a> {
        Path {
            parent: Some(self),
            step,
            depth: self.depth + 1,
        }
    }
    pub(crate) fn attr(&'a self, name: &'a str) -> Path<'a> {
        self.child(Step::Attr(name))
    }
    pub(crate) fn index(&'a self, i: usize) -> Path<'a> {
        self.child(Step::Index(i))
    }
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        self.child(Step::Key(key))
    }
    pub(crate) fn dynamic(&'a self) -> Path<'a> {
        self.child(Step::Dynamic)
    }

    pub(crate) fn check_depth(&self) -> Result<(), ValueError> {
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("value nested more than {MAX_DEPTH} levels deep")));
        }
        Ok(())
    }

    /// An error at this path; at the root the message stands alone.
    pub(crate) fn error(&self, message: impl fmt::Display) -> ValueError {
        let at = self.to_string();
        if at.is_empty() {
            ValueError::new(message.to_string())
        } else {
            ValueError::new(format!("at {at}: {message}"))
        }
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match self.step {
            Step::Root | Step::Dynamic => Ok(()),
            Step::Attr(name) => write!(f, ".{name}"),
            Step::Index(i) => write!(f, "[{i}]"),
            Step::Key(key) => write!(f, "[{key:?}]"),
        }
    }
}
