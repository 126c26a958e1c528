//! Reading a configuration, plan or state [`Value`] by attribute: typed, with the attribute
//! path tracked for diagnostics.
//!
//! Besides a value of the right type, a Terraform attribute can be null (left out), unknown
//! (in a plan or during validate: decided at apply) or, from a hand-built value, of another
//! type. Every getter tells the three apart: null and unknown are [`Known::Null`] and
//! [`Known::Unknown`], which the caller branches on, and a wrong type is a [`Diagnostic`]
//! naming the full path (`eks.node_group["general"].min_size`) and what was expected. Nothing
//! here panics on any value.
//!
//! ```
//! use mosia_tfplugin::{Known, Reader, Value};
//! let v = Value::object([("name", Value::from("dev")), ("az_count", Value::unknown())]);
//! let r = Reader::new(&v);
//! assert_eq!(r.string("name").unwrap(), Known::Value("dev".to_string()));
//! assert!(r.opt_u32("az_count").unwrap().is_unknown());
//! assert!(r.opt_u32("cidr_block").unwrap().is_null());
//! ```
//!
//! At apply time everything is known: [`Reader::require_known`] makes an unknown value an
//! error like a mistyped one, so a caller collects diagnostics and never sees `Unknown`.

use std::collections::{BTreeMap, BTreeSet};

use super::{Refinements, Value};
use crate::diagnostics::{AttrPath, Diagnostic};

static NULL: Value = Value::Null;
static UNKNOWN: Value = Value::Unknown(Refinements {
    not_null: None,
    string_prefix: None,
    number_lower: None,
    number_upper: None,
    length_lower: None,
    length_upper: None,
});

/// What a value holds, once its type is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known<T> {
    /// Null: left out of the configuration.
    Null,
    /// Not known until apply.
    Unknown,
    Value(T),
}

impl crate::diagnostics::Diagnostics {
    /// The value a getter read; its diagnostic is collected here and the value reads as
    /// None (as do null and unknown), so a caller reads every attribute and reports every
    /// mistake at once.
    pub fn take<T>(&mut self, got: Result<Known<T>, Diagnostic>) -> Option<T> {
        got.unwrap_or_else(|e| {
            self.push(e);
            Known::Null
        })
        .value()
    }
}

impl<T> Known<T> {
    pub fn is_null(&self) -> bool {
        matches!(self, Known::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Known::Unknown)
    }
    /// Neither null nor unknown.
    pub fn is_value(&self) -> bool {
        matches!(self, Known::Value(_))
    }
    /// The value; None when null or unknown.
    pub fn value(self) -> Option<T> {
        match self {
            Known::Value(v) => Some(v),
            _ => None,
        }
    }
    /// The value, else `default` when null; None while unknown (a default cannot stand in
    /// for a value the configuration will have).
    pub fn or(self, default: Option<T>) -> Option<T> {
        match self {
            Known::Value(v) => Some(v),
            Known::Null => default,
            Known::Unknown => None,
        }
    }
    /// [`Known::or`] with a lazily computed default.
    pub fn or_else(self, default: impl FnOnce() -> Option<T>) -> Option<T> {
        match self {
            Known::Value(v) => Some(v),
            Known::Null => default(),
            Known::Unknown => None,
        }
    }
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Known<U> {
        match self {
            Known::Value(v) => Known::Value(f(v)),
            Known::Null => Known::Null,
            Known::Unknown => Known::Unknown,
        }
    }
    pub fn as_ref(&self) -> Known<&T> {
        match self {
            Known::Value(v) => Known::Value(v),
            Known::Null => Known::Null,
            Known::Unknown => Known::Unknown,
        }
    }
}

/// A Rust type a scalar [`Value`] reads as.
pub trait FromValue<'v>: Sized {
    /// What the value must be, for "must be ..." diagnostics ("a string").
    fn expected() -> String;
    /// The typed value; None when `v` (neither null nor unknown) is of another type.
    fn from_value(v: &'v Value) -> Option<Self>;
}

impl<'v> FromValue<'v> for &'v str {
    fn expected() -> String {
        "a string".into()
    }
    fn from_value(v: &'v Value) -> Option<Self> {
        v.as_str()
    }
}

impl<'v> FromValue<'v> for String {
    fn expected() -> String {
        "a string".into()
    }
    fn from_value(v: &'v Value) -> Option<Self> {
        v.as_str().map(str::to_string)
    }
}

impl<'v> FromValue<'v> for bool {
    fn expected() -> String {
        "true or false".into()
    }
    fn from_value(v: &'v Value) -> Option<Self> {
        v.as_bool()
    }
}

impl<'v> FromValue<'v> for i64 {
    fn expected() -> String {
        format!("a whole number from {} to {}", i64::MIN, i64::MAX)
    }
    fn from_value(v: &'v Value) -> Option<Self> {
        v.as_i64()
    }
}

impl<'v> FromValue<'v> for u32 {
    fn expected() -> String {
        format!("a whole number from 0 to {}", u32::MAX)
    }
    fn from_value(v: &'v Value) -> Option<Self> {
        v.as_i64().and_then(|i| u32::try_from(i).ok())
    }
}

/// Any value at all: for callers that only ask whether an attribute is null or unknown.
impl<'v> FromValue<'v> for &'v Value {
    fn expected() -> String {
        "a value".into()
    }
    fn from_value(v: &'v Value) -> Option<Self> {
        Some(v)
    }
}

/// "Value not known yet" at `path`: for callers that need a value Terraform does not know.
pub fn not_known_yet(path: &AttrPath) -> Diagnostic {
    Diagnostic::error(
        "Value not known yet",
        format!("{} is only known after apply", shown(path)),
    )
    .at(path.clone())
}

/// "Missing required argument" at `path`.
pub fn missing(path: &AttrPath) -> Diagnostic {
    Diagnostic::error(
        "Missing required argument",
        format!("{} is required", shown(path)),
    )
    .at(path.clone())
}

/// "Invalid value": `path must be EXPECTED (got FOUND)`.
pub fn mistyped(path: &AttrPath, expected: &str, found: &str) -> Diagnostic {
    Diagnostic::error(
        "Invalid value",
        format!("{} must be {expected} (got {found})", shown(path)),
    )
    .at(path.clone())
}

fn shown(path: &AttrPath) -> String {
    if path.is_root() {
        "the value".to_string()
    } else {
        path.to_string()
    }
}

/// A short description of a value for "(got ...)": the value itself for scalars.
fn describe(v: &Value) -> String {
    match v {
        Value::String(s) if s.chars().count() > 60 => {
            let head: String = s.chars().take(60).collect();
            format!("{head:?}...")
        }
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null | Value::Unknown(_) => v.kind_name().to_string(),
        Value::Object(_) => "an object".to_string(),
        Value::Dynamic(_, inner) => describe(inner),
        _ => format!("a {}", v.kind_name()),
    }
}

/// The value inside a dynamic wrapper.
fn resolve(v: &Value) -> &Value {
    match v {
        Value::Dynamic(_, inner) => resolve(inner),
        v => v,
    }
}

/// A value being read (an object, usually), and where it is.
#[derive(Debug, Clone)]
pub struct Reader<'v> {
    value: &'v Value,
    path: AttrPath,
    /// Unknown values are errors ([`Reader::require_known`]).
    strict: bool,
}

impl<'v> Reader<'v> {
    /// A reader of a whole value (a resource's configuration, plan or state): paths start at
    /// its attributes.
    pub fn new(value: &'v Value) -> Self {
        Reader::at(value, AttrPath::root())
    }

    /// A reader of a value found at `path`.
    pub fn at(value: &'v Value, path: AttrPath) -> Self {
        Reader {
            value: resolve(value),
            path,
            strict: false,
        }
    }

    /// The same reader, and every reader made from it, with unknown values reported as
    /// "Value not known yet" errors instead of [`Known::Unknown`]: for reading what apply
    /// builds, when Terraform knows every value.
    pub fn require_known(mut self) -> Self {
        self.strict = true;
        self
    }

    /// The same reader, and every reader made from it, with unknown values read as
    /// [`Known::Unknown`] (the default).
    pub fn allow_unknown(mut self) -> Self {
        self.strict = false;
        self
    }

    pub fn value(&self) -> &'v Value {
        self.value
    }

    pub fn path(&self) -> &AttrPath {
        &self.path
    }

    /// The path of attribute `name`.
    pub fn path_of(&self, name: &str) -> AttrPath {
        self.path.then(name)
    }

    fn child(&self, value: &'v Value, path: AttrPath) -> Reader<'v> {
        Reader {
            value: resolve(value),
            path,
            strict: self.strict,
        }
    }

    /// A reader of attribute `name`, whatever it holds: null when absent or when this value is
    /// not an object, unknown inside an unknown object.
    pub fn attr(&self, name: &str) -> Reader<'v> {
        let value = match self.value {
            Value::Object(m) => m.get(name).unwrap_or(&NULL),
            Value::Unknown(_) => &UNKNOWN,
            _ => &NULL,
        };
        self.child(value, self.path_of(name))
    }

    /// Whether attribute `name` is null, unknown or set, of whatever type. Never an error,
    /// even with [`Reader::require_known`].
    pub fn get(&self, name: &str) -> Known<&'v Value> {
        let attr = self.attr(name);
        match attr.value {
            Value::Null => Known::Null,
            Value::Unknown(_) => Known::Unknown,
            v => Known::Value(v),
        }
    }

    pub fn is_null(&self, name: &str) -> bool {
        self.get(name).is_null()
    }

    pub fn is_unknown(&self, name: &str) -> bool {
        self.get(name).is_unknown()
    }

    /// Known::Unknown, or an error in strict mode.
    fn unknown<T>(&self) -> Result<Known<T>, Diagnostic> {
        if self.strict {
            Err(not_known_yet(&self.path))
        } else {
            Ok(Known::Unknown)
        }
    }

    fn mistyped(&self, expected: &str) -> Diagnostic {
        mistyped(&self.path, expected, &describe(self.value))
    }

    /// This reader's own value, typed.
    pub fn read<T: FromValue<'v>>(&self) -> Result<Known<T>, Diagnostic> {
        match self.value {
            Value::Null => Ok(Known::Null),
            Value::Unknown(_) => self.unknown(),
            v => T::from_value(v)
                .map(Known::Value)
                .ok_or_else(|| self.mistyped(&T::expected())),
        }
    }

    /// This reader's own value, which must not be null.
    pub fn read_required<T: FromValue<'v>>(&self) -> Result<Known<T>, Diagnostic> {
        match self.read()? {
            Known::Null => Err(missing(&self.path)),
            k => Ok(k),
        }
    }

    /// An optional attribute.
    pub fn opt<T: FromValue<'v>>(&self, name: &str) -> Result<Known<T>, Diagnostic> {
        self.attr(name).read()
    }

    /// A required attribute: null is a "Missing required argument" error, so the result is
    /// never [`Known::Null`].
    pub fn required<T: FromValue<'v>>(&self, name: &str) -> Result<Known<T>, Diagnostic> {
        self.attr(name).read_required()
    }

    /// A required string.
    pub fn string(&self, name: &str) -> Result<Known<String>, Diagnostic> {
        self.required(name)
    }
    pub fn opt_string(&self, name: &str) -> Result<Known<String>, Diagnostic> {
        self.opt(name)
    }
    /// An optional string, borrowed from the value.
    pub fn opt_str(&self, name: &str) -> Result<Known<&'v str>, Diagnostic> {
        self.opt(name)
    }
    pub fn opt_bool(&self, name: &str) -> Result<Known<bool>, Diagnostic> {
        self.opt(name)
    }
    pub fn opt_i64(&self, name: &str) -> Result<Known<i64>, Diagnostic> {
        self.opt(name)
    }
    /// An optional whole number from 0 to `u32::MAX`; anything else (negative, fractional,
    /// too large) is a diagnostic.
    pub fn opt_u32(&self, name: &str) -> Result<Known<u32>, Diagnostic> {
        self.opt(name)
    }

    /// An optional string naming one of a fixed set of choices: `parse` turns it into `E`, and
    /// the diagnostic for anything else lists `names`.
    pub fn opt_choice<E>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Option<E>,
        names: &[&str],
    ) -> Result<Known<E>, Diagnostic> {
        let attr = self.attr(name);
        match attr.read::<&str>()? {
            Known::Value(s) => parse(s).map(Known::Value).ok_or_else(|| {
                mistyped(
                    &attr.path,
                    &format!("one of {}", names.join(", ")),
                    &describe(attr.value),
                )
            }),
            Known::Null => Ok(Known::Null),
            Known::Unknown => Ok(Known::Unknown),
        }
    }

    /// [`Reader::opt_choice`] for a required attribute.
    pub fn choice<E>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Option<E>,
        names: &[&str],
    ) -> Result<Known<E>, Diagnostic> {
        match self.opt_choice(name, parse, names)? {
            Known::Null => Err(missing(&self.path_of(name))),
            k => Ok(k),
        }
    }

    /// A nested block (an object): a reader of its attributes.
    pub fn block(&self, name: &str) -> Result<Known<Reader<'v>>, Diagnostic> {
        let attr = self.attr(name);
        match attr.value {
            Value::Null => Ok(Known::Null),
            Value::Unknown(_) => attr.unknown(),
            Value::Object(_) => Ok(Known::Value(attr)),
            _ => Err(attr.mistyped("a block")),
        }
    }

    /// A list (or tuple): a reader of each element, at `name[i]`. Unknown only when the
    /// list itself is: its elements may each be unknown.
    pub fn list(&self, name: &str) -> Result<Known<Vec<Reader<'v>>>, Diagnostic> {
        let attr = self.attr(name);
        match attr.value {
            Value::Null => Ok(Known::Null),
            Value::Unknown(_) => attr.unknown(),
            Value::List(items) | Value::Tuple(items) => Ok(Known::Value(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| attr.child(v, attr.path.index(i as i64)))
                    .collect(),
            )),
            _ => Err(attr.mistyped("a list")),
        }
    }

    /// A map (or object): a reader of each entry, at `name["key"]`, in key order. Unknown
    /// only when the map itself is.
    pub fn entries(&self, name: &str) -> Result<Known<Vec<(&'v str, Reader<'v>)>>, Diagnostic> {
        let attr = self.attr(name);
        match attr.value {
            Value::Null => Ok(Known::Null),
            Value::Unknown(_) => attr.unknown(),
            Value::Map(m) | Value::Object(m) => Ok(Known::Value(
                m.iter()
                    .map(|(k, v)| (k.as_str(), attr.child(v, attr.path.key(k))))
                    .collect(),
            )),
            _ => Err(attr.mistyped("a map")),
        }
    }

    /// A block with map nesting (`node_group "general" { ... }`): a reader of each block, at
    /// `name["key"]`. A block that is unknown itself reads every attribute as unknown.
    pub fn each_map_block(
        &self,
        name: &str,
    ) -> Result<Known<Vec<(&'v str, Reader<'v>)>>, Diagnostic> {
        let entries = match self.entries(name)? {
            Known::Value(entries) => entries,
            Known::Null => return Ok(Known::Null),
            Known::Unknown => return Ok(Known::Unknown),
        };
        for (_, block) in &entries {
            match block.value {
                Value::Object(_) => {}
                Value::Unknown(_) if !block.strict => {}
                Value::Unknown(_) => return Err(not_known_yet(&block.path)),
                _ => return Err(block.mistyped("a block")),
            }
        }
        Ok(Known::Value(entries))
    }

    /// Every element read as a string; Unknown when any is unknown (or the list is).
    fn strings(&self, elements: &[Reader<'v>]) -> Result<Known<Vec<String>>, Diagnostic> {
        let mut out = Vec::with_capacity(elements.len());
        let mut unknown = false;
        for e in elements {
            match e.read::<String>()? {
                Known::Value(s) => out.push(s),
                Known::Unknown => unknown = true,
                Known::Null => return Err(mistyped(&e.path, "a string", "null")),
            }
        }
        if unknown {
            return self.unknown();
        }
        Ok(Known::Value(out))
    }

    /// A list of strings. Unknown while the list or any element is unknown; a mistyped
    /// element is diagnosed at its index.
    pub fn string_list(&self, name: &str) -> Result<Known<Vec<String>>, Diagnostic> {
        match self.list(name)? {
            Known::Value(elements) => self.attr(name).strings(&elements),
            Known::Null => Ok(Known::Null),
            Known::Unknown => Ok(Known::Unknown),
        }
    }

    /// A set of strings. Unknown while the set or any element is unknown. (Set elements have
    /// no index: a mistyped one is diagnosed at the set.)
    pub fn set_of_strings(&self, name: &str) -> Result<Known<BTreeSet<String>>, Diagnostic> {
        let attr = self.attr(name);
        let elements = match attr.value {
            Value::Null => return Ok(Known::Null),
            Value::Unknown(_) => return attr.unknown(),
            Value::Set(items) => items,
            _ => return Err(attr.mistyped("a set of strings")),
        };
        let mut out = BTreeSet::new();
        for e in elements {
            match resolve(e) {
                Value::String(s) => {
                    out.insert(s.clone());
                }
                Value::Unknown(_) => return attr.unknown(),
                other => {
                    let found = format!("an element {}", describe(other));
                    return Err(mistyped(&attr.path, "a set of strings", &found));
                }
            }
        }
        Ok(Known::Value(out))
    }

    /// A map of strings. Unknown while the map or any entry is unknown; a mistyped entry is
    /// diagnosed at its key.
    pub fn string_map(&self, name: &str) -> Result<Known<BTreeMap<String, String>>, Diagnostic> {
        let entries = match self.entries(name)? {
            Known::Value(entries) => entries,
            Known::Null => return Ok(Known::Null),
            Known::Unknown => return Ok(Known::Unknown),
        };
        let (keys, readers): (Vec<&str>, Vec<Reader>) = entries.into_iter().unzip();
        Ok(self
            .attr(name)
            .strings(&readers)?
            .map(|values| keys.into_iter().map(str::to_string).zip(values).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Number;

    fn env() -> Value {
        let group = Value::object([
            ("min_size", Value::int(2)),
            ("max_size", Value::unknown()),
            ("desired_size", Value::from("three")),
            (
                "labels",
                Value::Map([("role".to_string(), Value::from("web"))].into()),
            ),
        ]);
        Value::object([
            ("name", Value::from("mosia-dev")),
            ("tier", Value::from("dev")),
            ("region", Value::Null),
            ("az_count", Value::int(3)),
            ("enabled", Value::Bool(true)),
            ("plan_id", Value::unknown()),
            (
                "eks",
                Value::object([
                    (
                        "node_group",
                        Value::Map([("general".to_string(), group)].into()),
                    ),
                    (
                        "subnet_ids",
                        Value::List(vec!["subnet-a".into(), Value::int(7)]),
                    ),
                    ("log_types", Value::set_of(["api".into(), "audit".into()])),
                ]),
            ),
            ("rds", Value::Null),
            ("msk", Value::unknown()),
        ])
    }

    fn detail(d: Diagnostic) -> (String, String, String) {
        (d.path.unwrap().to_string(), d.summary, d.detail)
    }

    #[test]
    fn null_and_absent_attributes_read_as_null() {
        let v = env();
        let r = Reader::new(&v);
        assert_eq!(r.opt_string("region"), Ok(Known::Null));
        assert_eq!(r.opt_u32("no_such_attribute"), Ok(Known::Null));
        assert!(r.block("rds").unwrap().is_null());
        assert!(r.string_map("tags").unwrap().is_null());
        assert_eq!(r.opt_u32("region").unwrap().or(Some(2)), Some(2));
    }

    #[test]
    fn unknown_attributes_read_as_unknown_and_their_children_too() {
        let v = env();
        let r = Reader::new(&v);
        assert_eq!(r.opt_string("plan_id"), Ok(Known::Unknown));
        assert_eq!(
            r.opt_u32("plan_id").unwrap().or(Some(2)),
            None,
            "no default"
        );
        assert!(r.block("msk").unwrap().is_unknown());
        assert!(r
            .attr("msk")
            .opt_string("kafka_version")
            .unwrap()
            .is_unknown());
        assert!(r.is_unknown("plan_id") && !r.is_null("plan_id"));
    }

    #[test]
    fn values_of_the_right_type_are_read() {
        let v = env();
        let r = Reader::new(&v);
        assert_eq!(r.string("name"), Ok(Known::Value("mosia-dev".to_string())));
        assert_eq!(r.opt_str("tier"), Ok(Known::Value("dev")));
        assert_eq!(r.opt_u32("az_count"), Ok(Known::Value(3)));
        assert_eq!(r.opt_i64("az_count"), Ok(Known::Value(3)));
        assert_eq!(r.opt_bool("enabled"), Ok(Known::Value(true)));
        let eks = r.block("eks").unwrap().value().unwrap();
        let logs = eks.set_of_strings("log_types").unwrap().value().unwrap();
        assert_eq!(logs.into_iter().collect::<Vec<_>>(), ["api", "audit"]);
    }

    #[test]
    fn wrong_types_are_diagnosed_at_their_path_with_what_is_expected() {
        let v = env();
        let r = Reader::new(&v);
        let (path, summary, text) = detail(r.opt_bool("name").unwrap_err());
        assert_eq!((path.as_str(), summary.as_str()), ("name", "Invalid value"));
        assert_eq!(text, "name must be true or false (got \"mosia-dev\")");
        let (_, _, text) = detail(r.opt_string("enabled").unwrap_err());
        assert_eq!(text, "enabled must be a string (got true)");
        let (path, _, _) = detail(r.block("name").unwrap_err());
        assert_eq!(path, "name");
        let (path, _, text) = detail(r.string_list("name").unwrap_err());
        assert_eq!(
            (path.as_str(), text.as_str()),
            ("name", "name must be a list (got \"mosia-dev\")")
        );
    }

    #[test]
    fn nested_paths_name_map_keys_and_list_indexes() {
        let v = env();
        let r = Reader::new(&v);
        let eks = r.block("eks").unwrap().value().unwrap();
        let Known::Value(groups) = eks.each_map_block("node_group").unwrap() else {
            panic!("node groups are known");
        };
        let (name, group) = &groups[0];
        assert_eq!(*name, "general");
        assert_eq!(group.path().to_string(), "eks.node_group[\"general\"]");
        assert_eq!(group.opt_u32("min_size"), Ok(Known::Value(2)));
        assert!(group.opt_u32("max_size").unwrap().is_unknown());
        let (path, _, text) = detail(group.opt_u32("desired_size").unwrap_err());
        assert_eq!(path, "eks.node_group[\"general\"].desired_size");
        assert!(
            text.contains("must be a whole number from 0 to 4294967295"),
            "{text}"
        );
        let labels = group.string_map("labels").unwrap().value().unwrap();
        assert_eq!(labels["role"], "web");

        let (path, _, text) = detail(eks.string_list("subnet_ids").unwrap_err());
        assert_eq!(path, "eks.subnet_ids[1]");
        assert_eq!(text, "eks.subnet_ids[1] must be a string (got 7)");
        let Known::Value(items) = eks.list("subnet_ids").unwrap() else {
            panic!("the list is known");
        };
        assert_eq!(items[0].read::<&str>(), Ok(Known::Value("subnet-a")));
        assert_eq!(items[1].path().to_string(), "eks.subnet_ids[1]");
    }

    #[test]
    fn numbers_outside_u32_are_diagnosed_not_truncated() {
        let big = Value::Number(Number::from_u64(u64::from(u32::MAX) + 1));
        let huge = Value::Number(Number::parse("1e30").unwrap());
        let v = Value::object([
            ("negative", Value::int(-1)),
            ("big", big),
            ("huge", huge),
            ("fraction", Value::Number(Number::parse("1.5").unwrap())),
            ("max", Value::int(u32::MAX as i64)),
        ]);
        let r = Reader::new(&v);
        for (name, got) in [
            ("negative", "-1"),
            ("big", "4294967296"),
            ("fraction", "1.5"),
        ] {
            let (path, _, text) = detail(r.opt_u32(name).unwrap_err());
            assert_eq!(path, name);
            assert_eq!(
                text,
                format!("{name} must be a whole number from 0 to 4294967295 (got {got})")
            );
        }
        assert!(r.opt_u32("huge").is_err());
        assert!(r.opt_i64("huge").is_err());
        assert_eq!(r.opt_u32("max"), Ok(Known::Value(u32::MAX)));
        assert_eq!(r.opt_i64("negative"), Ok(Known::Value(-1)));
    }

    #[test]
    fn required_attributes_must_be_set() {
        let v = env();
        let r = Reader::new(&v);
        let (path, summary, text) = detail(r.string("region").unwrap_err());
        assert_eq!(
            (path.as_str(), summary.as_str(), text.as_str()),
            ("region", "Missing required argument", "region is required")
        );
        assert_eq!(
            r.string("plan_id"),
            Ok(Known::Unknown),
            "unknown is not missing"
        );
    }

    #[test]
    fn choices_list_what_is_allowed() {
        let v = Value::object([("tier", Value::from("gold")), ("ok", Value::from("dev"))]);
        let r = Reader::new(&v);
        let names = ["dev", "staging", "production"];
        let parse = |s: &str| names.contains(&s).then_some(s.len());
        let (path, _, text) = detail(r.opt_choice("tier", parse, &names).unwrap_err());
        assert_eq!(path, "tier");
        assert_eq!(
            text,
            "tier must be one of dev, staging, production (got \"gold\")"
        );
        assert_eq!(r.opt_choice("ok", parse, &names), Ok(Known::Value(3)));
        assert_eq!(r.opt_choice("none", parse, &names), Ok(Known::Null));
        assert!(r.choice("none", parse, &names).is_err());
    }

    #[test]
    fn collections_with_unknown_elements_are_unknown() {
        let v = Value::object([
            ("ids", Value::List(vec!["a".into(), Value::unknown()])),
            ("logs", Value::set_of(["api".into(), Value::unknown()])),
            (
                "tags",
                Value::Map([("k".to_string(), Value::unknown())].into()),
            ),
            (
                "groups",
                Value::Map([("g".to_string(), Value::unknown())].into()),
            ),
        ]);
        let r = Reader::new(&v);
        assert_eq!(r.string_list("ids"), Ok(Known::Unknown));
        assert_eq!(r.set_of_strings("logs"), Ok(Known::Unknown));
        assert_eq!(r.string_map("tags"), Ok(Known::Unknown));
        // The list's length is known even when an element is not.
        assert_eq!(r.list("ids").unwrap().value().unwrap().len(), 2);
        let groups = r.each_map_block("groups").unwrap().value().unwrap();
        assert!(groups[0].1.opt_u32("min_size").unwrap().is_unknown());
    }

    #[test]
    fn require_known_makes_unknown_an_error_at_the_innermost_path() {
        let v = Value::object([
            ("name", Value::unknown()),
            ("ids", Value::List(vec!["a".into(), Value::unknown()])),
            (
                "tags",
                Value::Map([("k".to_string(), Value::unknown())].into()),
            ),
            ("rds", Value::object([("instance_class", Value::unknown())])),
        ]);
        let r = Reader::new(&v).require_known();
        let (path, summary, text) = detail(r.string("name").unwrap_err());
        assert_eq!(
            (path.as_str(), summary.as_str(), text.as_str()),
            (
                "name",
                "Value not known yet",
                "name is only known after apply"
            )
        );
        assert_eq!(detail(r.string_list("ids").unwrap_err()).0, "ids[1]");
        assert_eq!(detail(r.string_map("tags").unwrap_err()).0, "tags[\"k\"]");
        let rds = r.block("rds").unwrap().value().unwrap();
        assert_eq!(
            detail(rds.opt_string("instance_class").unwrap_err()).0,
            "rds.instance_class"
        );
        // A value AWS chooses may stay unknown: the caller opts back in.
        let lenient = rds.clone().allow_unknown();
        assert!(lenient.opt_string("instance_class").unwrap().is_unknown());
        assert!(r.get("name").is_unknown(), "get never fails");
    }

    #[test]
    fn null_elements_are_not_strings() {
        let v = Value::object([("ids", Value::List(vec!["a".into(), Value::Null]))]);
        let (path, _, text) = detail(Reader::new(&v).string_list("ids").unwrap_err());
        assert_eq!(
            (path.as_str(), text.as_str()),
            ("ids[1]", "ids[1] must be a string (got null)")
        );
    }

    #[test]
    fn dynamic_values_are_read_through() {
        let v = Value::object([(
            "d",
            Value::Dynamic(crate::Type::String, Box::new(Value::from("x"))),
        )]);
        assert_eq!(Reader::new(&v).opt_str("d"), Ok(Known::Value("x")));
    }

    #[test]
    fn reading_a_non_object_is_never_a_panic() {
        for v in [
            Value::from("x"),
            Value::Null,
            Value::unknown(),
            Value::List(vec![]),
        ] {
            let r = Reader::new(&v);
            let _ = r.opt_u32("a");
            let _ = r.each_map_block("a");
            let _ = r.string_map("a");
            let _ = r.read::<u32>();
        }
        let v = Value::int(1);
        let (path, _, text) = detail(Reader::new(&v).read::<bool>().unwrap_err());
        assert_eq!(
            (path.as_str(), text.as_str()),
            ("", "the value must be true or false (got 1)")
        );
    }
}
