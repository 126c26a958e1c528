//! Resource, data source and provider schemas: attributes and nested blocks with
//! descriptions, plus what Terraform's wire schema cannot carry (validators, defaults,
//! requires-replace), which the generic planner and validator in this crate apply.

use std::sync::Arc;

use crate::diagnostics::{AttrPath, Diagnostics};
use crate::value::{Type, Value};

type CheckFn = Arc<dyn Fn(&Value) -> Result<(), String> + Send + Sync>;

/// Checks one known, non-null attribute value; `Err` carries what is allowed.
#[derive(Clone)]
pub struct Validator {
    pub description: String,
    check: CheckFn,
}

impl Validator {
    pub fn new(
        description: impl Into<String>,
        check: impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Validator {
            description: description.into(),
            check: Arc::new(check),
        }
    }
    pub fn check(&self, v: &Value) -> Result<(), String> {
        (self.check)(v)
    }
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Validator({})", self.description)
    }
}

/// Ready-made validators with messages that say what is allowed.
pub mod validators {
    use super::Validator;
    use crate::value::Value;

    pub fn one_of(allowed: &'static [&'static str]) -> Validator {
        let list = allowed
            .iter()
            .map(|a| format!("{a:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        Validator::new(format!("one of {list}"), move |v| match v.as_str() {
            Some(s) if allowed.contains(&s) => Ok(()),
            Some(s) => Err(format!("{s:?} is not allowed; expected one of {list}")),
            None => Ok(()),
        })
    }

    pub fn int_between(min: i64, max: i64) -> Validator {
        Validator::new(
            format!("a whole number from {min} to {max}"),
            move |v| match v {
                Value::Number(n) => match n.to_i64() {
                    Some(i) if (min..=max).contains(&i) => Ok(()),
                    _ => Err(format!(
                        "{n} is out of range; expected a whole number from {min} to {max}"
                    )),
                },
                _ => Ok(()),
            },
        )
    }

    pub fn string_length(min: usize, max: usize) -> Validator {
        Validator::new(
            format!("between {min} and {max} characters"),
            move |v| match v.as_str() {
                Some(s) if (min..=max).contains(&s.chars().count()) => Ok(()),
                Some(s) => Err(format!(
                    "{s:?} has {} characters; expected between {min} and {max}",
                    s.chars().count()
                )),
                None => Ok(()),
            },
        )
    }

    /// A string check by predicate, with a description of what is allowed.
    pub fn string_matches(
        what: &'static str,
        pred: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Validator {
        Validator::new(what, move |v| match v.as_str() {
            Some(s) if pred(s) => Ok(()),
            Some(s) => Err(format!("{s:?} is not valid: expected {what}")),
            None => Ok(()),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    /// Markdown.
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    /// Never stored in state or plan (Terraform 1.11+).
    pub write_only: bool,
    /// Deprecation message; the wire only carries a flag, the message is a warning diagnostic.
    pub deprecated: Option<String>,
    /// A change to this attribute replaces the resource.
    pub requires_replace: bool,
    /// For optional+computed attributes: the planned value when the configuration omits it.
    pub default: Option<Value>,
    pub validators: Vec<Validator>,
    /// Every attribute of the object types inside `ty` may be left out of the configuration
    /// (Terraform fills null): maps of objects written as HCL values, whose keys stay
    /// unknown-free at validate time, unlike the labels of dynamic blocks.
    pub optional_object_attributes: bool,
}

impl Attribute {
    fn new(name: &str, ty: Type) -> Self {
        Attribute {
            name: name.to_string(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            deprecated: None,
            requires_replace: false,
            default: None,
            validators: Vec::new(),
            optional_object_attributes: false,
        }
    }
    pub fn string(name: &str) -> Self {
        Self::new(name, Type::String)
    }
    pub fn number(name: &str) -> Self {
        Self::new(name, Type::Number)
    }
    pub fn bool(name: &str) -> Self {
        Self::new(name, Type::Bool)
    }
    pub fn of_type(name: &str, ty: Type) -> Self {
        Self::new(name, ty)
    }
    pub fn description(mut self, d: &str) -> Self {
        self.description = d.to_string();
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
    /// Optional in configuration, computed (or defaulted) when omitted.
    pub fn optional_computed(mut self) -> Self {
        self.optional = true;
        self.computed = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }
    pub fn deprecated(mut self, message: &str) -> Self {
        self.deprecated = Some(message.to_string());
        self
    }
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }
    /// Makes the attribute optional+computed with this default.
    pub fn default(mut self, v: impl Into<Value>) -> Self {
        self.default = Some(v.into());
        self.optional = true;
        self.computed = true;
        self
    }
    pub fn validate(mut self, v: Validator) -> Self {
        self.validators.push(v);
        self
    }
    /// See [`Attribute::optional_object_attributes`].
    pub fn object_attributes_optional(mut self) -> Self {
        self.optional_object_attributes = true;
        self
    }
    /// The attribute's type as the schema sends it.
    pub fn type_json_bytes(&self) -> Vec<u8> {
        let json = self
            .ty
            .to_json_with_optional_attributes(self.optional_object_attributes);
        serde_json::to_vec(&json).expect("type JSON always serialises")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; null when absent.
    Single,
    /// Exactly one block; all attributes null when absent (never null itself).
    Group,
    List,
    Set,
    /// Blocks with one label: `node_group "general" { ... }`.
    Map,
}

#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

impl Block {
    pub fn new(description: &str) -> Self {
        Block {
            description: description.to_string(),
            ..Default::default()
        }
    }
    pub fn attr(mut self, a: Attribute) -> Self {
        self.attributes.push(a);
        self
    }
    pub fn attrs(mut self, attrs: impl IntoIterator<Item = Attribute>) -> Self {
        self.attributes.extend(attrs);
        self
    }
    pub fn block(mut self, type_name: &str, nesting: Nesting, block: Block) -> Self {
        self.blocks.push(NestedBlock {
            type_name: type_name.to_string(),
            block,
            nesting,
            min_items: 0,
            // Terraform requires min == max for single blocks; 0/0 means optional.
            max_items: 0,
        });
        self
    }
    pub fn block_limits(mut self, type_name: &str, min_items: i64, max_items: i64) -> Self {
        if let Some(b) = self.blocks.iter_mut().find(|b| b.type_name == type_name) {
            b.min_items = min_items;
            b.max_items = max_items;
        }
        self
    }

    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
    pub fn nested(&self, name: &str) -> Option<&NestedBlock> {
        self.blocks.iter().find(|b| b.type_name == name)
    }

    /// The object type this block's values have on the wire.
    pub fn implied_type(&self) -> Type {
        let mut attrs: std::collections::BTreeMap<String, Type> = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()))
            .collect();
        for b in &self.blocks {
            let obj = b.block.implied_type();
            let t = match b.nesting {
                Nesting::Single | Nesting::Group => obj,
                Nesting::List => Type::list(obj),
                Nesting::Set => Type::set(obj),
                Nesting::Map => Type::map(obj),
            };
            attrs.insert(b.type_name.clone(), t);
        }
        Type::Object(attrs)
    }

    /// Runs attribute validators and deprecation warnings over a configuration value.
    /// Unknown values are skipped: they are checked again when known, at apply.
    pub fn validate_value(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        if !matches!(value, Value::Object(_)) {
            return;
        }
        for a in &self.attributes {
            let v = value.get(&a.name);
            if v.is_null() || v.is_unknown() {
                continue;
            }
            let p = path.then(&a.name);
            if let Some(msg) = &a.deprecated {
                diags.warning_at(p.clone(), format!("Deprecated attribute {p}"), msg.clone());
            }
            for val in &a.validators {
                if let Err(msg) = val.check(v) {
                    diags.error_at(p.clone(), format!("Invalid value for {p}"), msg);
                }
            }
        }
        for b in &self.blocks {
            let v = value.get(&b.type_name);
            let p = path.then(&b.type_name);
            match (b.nesting, v) {
                (Nesting::Single | Nesting::Group, v) => b.block.validate_value(v, &p, diags),
                (Nesting::List | Nesting::Set, v) => {
                    for (i, e) in v.elements().iter().enumerate() {
                        b.block.validate_value(e, &p.index(i as i64), diags);
                    }
                }
                (Nesting::Map, v) => {
                    if let Some(m) = v.entries() {
                        for (k, e) in m {
                            b.block.validate_value(e, &p.key(k), diags);
                        }
                    }
                }
            }
        }
    }

    /// Every attribute and block has a description (a check the tests run on every schema).
    pub fn undocumented(&self, path: &AttrPath) -> Vec<String> {
        let mut out = Vec::new();
        for a in &self.attributes {
            if a.description.trim().is_empty() {
                out.push(path.then(&a.name).to_string());
            }
        }
        for b in &self.blocks {
            let p = path.then(&b.type_name);
            if b.block.description.trim().is_empty() {
                out.push(p.to_string());
            }
            out.extend(b.block.undocumented(&p));
        }
        out
    }
}

/// A versioned schema: bump `version` when stored state needs an upgrade.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Self {
        Schema { version, block }
    }
    pub fn implied_type(&self) -> Type {
        self.block.implied_type()
    }
}
