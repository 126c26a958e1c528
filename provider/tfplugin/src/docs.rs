//! Markdown documentation rendered from schemas, in the Terraform Registry's layout
//! (`docs/index.md`, `docs/resources/NAME.md`, `docs/data-sources/NAME.md`), so that the
//! documentation of every attribute is the schema's own and cannot drift from it.
//!
//! A page has front matter (`page_title`, `description`), the schema's description, an
//! "Example Usage" section with caller-supplied HCL, an "Argument Reference" (required
//! arguments, then optional ones, then one subsection per nested block with its nesting mode
//! and block count) and an "Attribute Reference" of the computed-only attributes.
//!
//! [`provider_docs`] renders every page of a provider from its own registry (the same
//! [`Provider::resources`] and [`Provider::data_sources`] that GetProviderSchema serves), with
//! examples read from `EXAMPLES/provider.tf`, `EXAMPLES/resources/NAME.tf` and
//! `EXAMPLES/data-sources/NAME.tf`; [`write_docs`] and [`check_docs`] keep a directory equal
//! to that rendering.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use crate::resource::Provider;
use crate::schema::{Attribute, Block, NestedBlock, Nesting, Schema};
use crate::value::{Type, Value};

/// What a page documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Provider,
    Resource,
    DataSource,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Provider => "Provider",
            Kind::Resource => "Resource",
            Kind::DataSource => "Data Source",
        }
    }

    /// The page's path in the Registry layout, relative to `docs/`; `short_name` is the type
    /// name without the provider prefix (`environment` for `mosia_environment`).
    pub fn page_path(self, short_name: &str) -> PathBuf {
        match self {
            Kind::Provider => PathBuf::from("index.md"),
            Kind::Resource => Path::new("resources").join(format!("{short_name}.md")),
            Kind::DataSource => Path::new("data-sources").join(format!("{short_name}.md")),
        }
    }

    /// Where the page's example HCL is looked up, relative to the examples directory.
    pub fn example_path(self, short_name: &str) -> PathBuf {
        match self {
            Kind::Provider => PathBuf::from("provider.tf"),
            Kind::Resource => Path::new("resources").join(format!("{short_name}.tf")),
            Kind::DataSource => Path::new("data-sources").join(format!("{short_name}.tf")),
        }
    }
}

/// One page to render.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    pub kind: Kind,
    /// The provider's local name (`mosia`) or the full type name (`mosia_environment`).
    pub name: &'a str,
    pub schema: &'a Schema,
    /// HCL shown under "Example Usage".
    pub example: &'a str,
    /// Shell lines shown under "Import" (resources that support import).
    pub import: Option<&'a str>,
}

/// Renders one page as Registry markdown.
pub fn render(page: &Page<'_>) -> String {
    let block = &page.schema.block;
    let mut out = String::new();

    out.push_str("---\n");
    let title = format!("{} {}", page.name, page.kind.label());
    let _ = writeln!(out, "page_title: {}", yaml_string(&title));
    let summary = first_paragraph(&block.description);
    if !summary.is_empty() {
        out.push_str("description: |-\n");
        for line in summary.lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out.push_str("---\n\n");

    match page.kind {
        Kind::Provider => {
            let _ = writeln!(out, "# {} Provider\n", page.name);
        }
        kind => {
            let _ = writeln!(out, "# {} ({})\n", page.name, kind.label());
        }
    }
    let description = block.description.trim();
    if !description.is_empty() {
        out.push_str(description);
        out.push_str("\n\n");
    }
    if block.deprecated {
        out.push_str("**Deprecated.**\n\n");
    }

    out.push_str("## Example Usage\n\n```terraform\n");
    out.push_str(page.example.trim_start_matches('\n').trim_end());
    out.push_str("\n```\n\n");

    out.push_str("## Argument Reference\n\n");
    let none = match page.kind {
        Kind::Provider => "The provider block has no arguments.",
        Kind::Resource => "This resource has no arguments.",
        Kind::DataSource => "This data source has no arguments.",
    };
    argument_lists(&mut out, block, &[], none);
    nested_sections(&mut out, block, &[]);

    let mut exported = Vec::new();
    computed_only(block, "", &mut exported);
    if !exported.is_empty() {
        out.push_str("## Attribute Reference\n\n");
        out.push_str(
            "In addition to the arguments above, the following attributes are exported:\n\n",
        );
        for (path, a) in exported {
            out.push_str(&bullet(&path, &attribute_tags(a, None), &attribute_text(a)));
        }
        out.push('\n');
    }

    if let Some(import) = page.import {
        out.push_str("## Import\n\n```shell\n");
        out.push_str(import.trim_start_matches('\n').trim_end());
        out.push_str("\n```\n");
    }

    // Exactly one trailing newline.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// The required and the optional arguments of one block (attributes, then blocks).
fn argument_lists(out: &mut String, block: &Block, path: &[&str], none: &str) {
    let required: Vec<String> = block
        .attributes
        .iter()
        .filter(|a| a.required)
        .map(|a| attribute_item(a, "Required"))
        .chain(
            block
                .blocks
                .iter()
                .filter(|b| b.min_items > 0)
                .map(|b| block_item(b, path, "Required")),
        )
        .collect();
    let optional: Vec<String> = block
        .attributes
        .iter()
        .filter(|a| a.optional && !a.required)
        .map(|a| attribute_item(a, "Optional"))
        .chain(
            block
                .blocks
                .iter()
                .filter(|b| b.min_items <= 0)
                .map(|b| block_item(b, path, "Optional")),
        )
        .collect();
    if required.is_empty() && optional.is_empty() {
        let _ = writeln!(out, "{none}\n");
    }
    for (intro, items) in [("required", required), ("optional", optional)] {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "The following arguments are {intro}:\n");
        for item in items {
            out.push_str(&item);
        }
        out.push('\n');
    }
}

/// One subsection per nested block, depth first in schema order.
fn nested_sections(out: &mut String, block: &Block, parent: &[&str]) {
    for nested in &block.blocks {
        let mut path = parent.to_vec();
        path.push(&nested.type_name);
        let _ = writeln!(out, "<a id=\"{}\"></a>", anchor(&path));
        let _ = writeln!(out, "### `{}` block\n", path.join("."));
        let _ = writeln!(out, "{}\n", nesting_line(nested));
        argument_lists(out, &nested.block, &path, "This block has no arguments.");
        if nested.block.attributes.iter().any(is_computed_only) {
            out.push_str(
                "Its read-only attributes are listed under [Attribute Reference](#attribute-reference).\n\n",
            );
        }
        nested_sections(out, &nested.block, &path);
    }
}

fn is_computed_only(a: &Attribute) -> bool {
    a.computed && !a.optional && !a.required
}

/// Computed-only attributes with the expression that reads them, e.g. `eks.arn` or
/// `eks.node_group["NAME"].status`.
fn computed_only<'a>(block: &'a Block, prefix: &str, out: &mut Vec<(String, &'a Attribute)>) {
    for a in block.attributes.iter().filter(|a| is_computed_only(a)) {
        out.push((format!("{prefix}{}", a.name), a));
    }
    for nested in &block.blocks {
        let prefix = match nested.nesting {
            Nesting::Single | Nesting::Group => format!("{prefix}{}.", nested.type_name),
            Nesting::List | Nesting::Set => format!("{prefix}{}[*].", nested.type_name),
            Nesting::Map => format!("{prefix}{}[\"NAME\"].", nested.type_name),
        };
        computed_only(&nested.block, &prefix, out);
    }
}

/// `Nesting mode: single (`network { ... }`); at most 1 block; optional.`
fn nesting_line(b: &NestedBlock) -> String {
    let (mode, syntax) = match b.nesting {
        Nesting::Single => ("single", format!("`{} {{ ... }}`", b.type_name)),
        Nesting::Group => (
            "group, never null: a block left out reads as one whose attributes are all null",
            format!("`{} {{ ... }}`", b.type_name),
        ),
        Nesting::List => (
            "list, in configuration order",
            format!("`{} {{ ... }}`, repeated", b.type_name),
        ),
        Nesting::Set => (
            "set, unordered",
            format!("`{} {{ ... }}`, repeated", b.type_name),
        ),
        Nesting::Map => (
            "map, keyed by the block label",
            format!("`{} \"NAME\" {{ ... }}`, one per label", b.type_name),
        ),
    };
    let min = b.min_items.max(0);
    let max = match b.nesting {
        Nesting::Single | Nesting::Group => Some(1),
        _ => (b.max_items > 0).then_some(b.max_items),
    };
    let plural = |n: i64| if n == 1 { "block" } else { "blocks" };
    let count = match (min, max) {
        (0, None) => "any number of blocks".to_string(),
        (0, Some(m)) => format!("at most {m} {}", plural(m)),
        (n, None) => format!("at least {n} {}", plural(n)),
        (n, Some(m)) if n == m => format!("exactly {n} {}", plural(n)),
        (n, Some(m)) => format!("{n} to {m} blocks"),
    };
    let presence = if min > 0 { "required" } else { "optional" };
    format!("Nesting mode: {mode} ({syntax}); {count}; {presence}.")
}

fn anchor(path: &[&str]) -> String {
    format!("nestedblock--{}", path.join("--"))
}

fn attribute_item(a: &Attribute, presence: &str) -> String {
    bullet(
        &a.name,
        &attribute_tags(a, Some(presence)),
        &attribute_text(a),
    )
}

fn attribute_tags(a: &Attribute, presence: Option<&str>) -> Vec<String> {
    let mut tags: Vec<String> = presence.into_iter().map(str::to_string).collect();
    tags.push(type_name(&a.ty));
    if a.sensitive {
        tags.push("Sensitive".into());
    }
    if a.write_only {
        tags.push("Write-only".into());
    }
    if a.deprecated.is_some() {
        tags.push("Deprecated".into());
    }
    tags
}

/// The description followed by what the schema says beyond it.
fn attribute_text(a: &Attribute) -> String {
    let mut notes = Vec::new();
    if let Some(d) = &a.default {
        notes.push(format!("Defaults to {}.", code_span(&hcl_literal(d))));
    }
    if a.requires_replace {
        notes.push("Changing this replaces the resource.".to_string());
    }
    if a.sensitive {
        notes.push(if a.write_only {
            "Sensitive: Terraform hides this value in its output.".to_string()
        } else {
            "Sensitive: Terraform hides this value in its output (it is still stored in state)."
                .to_string()
        });
    }
    if a.write_only {
        notes.push(
            "Write-only: never stored in the plan or state (Terraform 1.11 and later).".to_string(),
        );
    }
    if let Some(msg) = &a.deprecated {
        let msg = msg.trim();
        notes.push(if msg.is_empty() {
            "**Deprecated.**".to_string()
        } else {
            format!("**Deprecated:** {msg}")
        });
    }
    with_notes(&a.description, &notes)
}

fn block_item(b: &NestedBlock, parent: &[&str], presence: &str) -> String {
    let mut path = parent.to_vec();
    path.push(&b.type_name);
    let mut tags = vec![
        presence.to_string(),
        match b.nesting {
            Nesting::Single | Nesting::Group => "Block",
            Nesting::List => "List of blocks",
            Nesting::Set => "Set of blocks",
            Nesting::Map => "Map of blocks",
        }
        .to_string(),
    ];
    let mut notes = Vec::new();
    if b.block.deprecated {
        tags.push("Deprecated".into());
        notes.push("**Deprecated.**".to_string());
    }
    notes.push(format!(
        "See [`{}`](#{}) below.",
        path.join("."),
        anchor(&path)
    ));
    bullet(
        &b.type_name,
        &tags,
        &with_notes(&b.block.description, &notes),
    )
}

/// Appends notes to a description: on the same line for a one-line description, as a new
/// paragraph after one with several lines (a list or a table must not swallow them).
fn with_notes(description: &str, notes: &[String]) -> String {
    let text = description.trim();
    if notes.is_empty() {
        return text.to_string();
    }
    let notes = notes.join(" ");
    if text.is_empty() {
        notes
    } else if text.contains('\n') {
        format!("{text}\n\n{notes}")
    } else if text.ends_with(['.', '!', '?', ':']) {
        format!("{text} {notes}")
    } else {
        format!("{text}. {notes}")
    }
}

/// `* `name` - (Tag, tag) text`, continuation lines indented into the list item.
fn bullet(name: &str, tags: &[String], text: &str) -> String {
    let mut out = format!("* {} - ({})", code_span(name), tags.join(", "));
    let mut lines = text.lines();
    if let Some(first) = lines.next() {
        out.push(' ');
        out.push_str(first);
    }
    out.push('\n');
    for line in lines {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

fn type_name(ty: &Type) -> String {
    match ty {
        Type::List(t) => format!("List of {}", type_name(t).to_lowercase()),
        Type::Set(t) => format!("Set of {}", type_name(t).to_lowercase()),
        Type::Map(t) => format!("Map of {}", type_name(t).to_lowercase()),
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Bool".into(),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
        Type::Dynamic => "Dynamic".into(),
    }
}

/// Inline code that survives backticks inside.
fn code_span(s: &str) -> String {
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// A value as HCL source: `"iam"`, `90`, `true`, `["a", "b"]`, `{ team = "platform" }`.
pub fn hcl_literal(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Unknown(_) => "(known after apply)".into(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}")),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            let items: Vec<String> = items.iter().map(hcl_literal).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Map(m) | Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Map(m) | Value::Object(m) => {
            let entries: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{} = {}", hcl_key(k), hcl_literal(v)))
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
        Value::Dynamic(_, v) => hcl_literal(v),
    }
}

fn hcl_key(k: &str) -> String {
    let mut chars = k.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if identifier {
        k.to_string()
    } else {
        hcl_literal(&Value::String(k.to_string()))
    }
}

/// A placeholder example built from the schema (the required arguments and blocks), for a
/// page whose example file does not exist yet.
pub fn default_example(kind: Kind, name: &str, schema: &Schema) -> String {
    let header = match kind {
        Kind::Provider => format!("provider {}", hcl_literal(&Value::from(name))),
        Kind::Resource => format!("resource {} \"example\"", hcl_literal(&Value::from(name))),
        Kind::DataSource => format!("data {} \"example\"", hcl_literal(&Value::from(name))),
    };
    let mut out = String::new();
    example_block(&mut out, &header, &schema.block, 0);
    out
}

fn example_block(out: &mut String, header: &str, block: &Block, depth: usize) {
    let indent = "  ".repeat(depth);
    let attrs: Vec<&Attribute> = block.attributes.iter().filter(|a| a.required).collect();
    let blocks: Vec<&NestedBlock> = block.blocks.iter().filter(|b| b.min_items > 0).collect();
    if attrs.is_empty() && blocks.is_empty() {
        let _ = writeln!(out, "{indent}{header} {{}}");
        return;
    }
    let _ = writeln!(out, "{indent}{header} {{");
    let width = attrs.iter().map(|a| a.name.len()).max().unwrap_or(0);
    for a in &attrs {
        let _ = writeln!(out, "{indent}  {:<width$} = {}", a.name, placeholder(&a.ty));
    }
    for (i, b) in blocks.iter().enumerate() {
        if i > 0 || !attrs.is_empty() {
            out.push('\n');
        }
        let header = match b.nesting {
            Nesting::Map => format!("{} \"example\"", b.type_name),
            _ => b.type_name.clone(),
        };
        example_block(out, &header, &b.block, depth + 1);
    }
    let _ = writeln!(out, "{indent}}}");
}

fn placeholder(ty: &Type) -> &'static str {
    match ty {
        Type::String => "\"example\"",
        Type::Number => "1",
        Type::Bool => "true",
        Type::List(_) | Type::Set(_) | Type::Tuple(_) => "[]",
        Type::Map(_) | Type::Object(_) => "{}",
        Type::Dynamic => "null",
    }
}

/// One rendered page of a provider's documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocFile {
    pub kind: Kind,
    /// Full type name (`mosia_environment`), or the provider's local name.
    pub name: String,
    /// Relative to the docs directory: `index.md`, `resources/NAME.md`, `data-sources/NAME.md`.
    pub path: PathBuf,
    pub contents: String,
    /// The example file of the page, relative to the examples directory.
    pub example: PathBuf,
    /// False when that file does not exist and [`default_example`] stood in for it.
    pub example_found: bool,
}

/// The provider's local name: the last segment of its address (`mosia` for
/// `registry.terraform.io/mosia/mosia`).
pub fn provider_name(provider: &dyn Provider) -> &'static str {
    let address = provider.address();
    address.rsplit('/').next().unwrap_or(address)
}

/// Every page of a provider: the provider configuration, each resource and each data source
/// the provider serves, sorted by path. Examples come from `examples_dir`.
pub fn provider_docs(provider: &dyn Provider, examples_dir: &Path) -> io::Result<Vec<DocFile>> {
    let local = provider_name(provider);
    let prefix = format!("{local}_");
    let mut pages: Vec<(Kind, String, &Schema)> =
        vec![(Kind::Provider, local.to_string(), provider.schema())];
    let resources = provider.resources();
    let data_sources = provider.data_sources();
    pages.extend(
        resources
            .iter()
            .map(|r| (Kind::Resource, r.type_name().to_string(), r.schema())),
    );
    pages.extend(
        data_sources
            .iter()
            .map(|d| (Kind::DataSource, d.type_name().to_string(), d.schema())),
    );

    let mut files = Vec::new();
    for (kind, name, schema) in pages {
        let short = name.strip_prefix(&prefix).unwrap_or(&name);
        let example = kind.example_path(short);
        let (text, example_found) = match std::fs::read_to_string(examples_dir.join(&example)) {
            Ok(text) => (text, true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                (default_example(kind, &name, schema), false)
            }
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("{}: {e}", examples_dir.join(&example).display()),
                ))
            }
        };
        // `resources/NAME-import.sh`: how to import, when the resource supports it.
        let import = match kind {
            Kind::Resource => {
                match std::fs::read_to_string(
                    examples_dir.join(format!("resources/{short}-import.sh")),
                ) {
                    Ok(text) => Some(text),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => None,
                    Err(e) => return Err(e),
                }
            }
            _ => None,
        };
        let contents = render(&Page {
            kind,
            name: &name,
            schema,
            example: &text,
            import: import.as_deref(),
        });
        files.push(DocFile {
            kind,
            path: kind.page_path(short),
            name,
            contents,
            example,
            example_found,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Pages in `docs_dir/resources` and `docs_dir/data-sources` that `files` does not render
/// (a resource or data source that no longer exists), relative to `docs_dir`.
fn stale_pages(docs_dir: &Path, files: &[DocFile]) -> io::Result<Vec<PathBuf>> {
    let rendered: BTreeSet<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    let mut stale = Vec::new();
    for dir in ["resources", "data-sources"] {
        let entries = match std::fs::read_dir(docs_dir.join(dir)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for entry in entries {
            let rel = Path::new(dir).join(entry?.file_name());
            if rel.extension().is_some_and(|x| x == "md") && !rendered.contains(rel.as_path()) {
                stale.push(rel);
            }
        }
    }
    stale.sort();
    Ok(stale)
}

/// Writes the pages that changed and removes stale ones; returns what it did, one line each
/// (`wrote resources/x.md`, `removed data-sources/y.md`).
pub fn write_docs(docs_dir: &Path, files: &[DocFile]) -> io::Result<Vec<String>> {
    let mut done = Vec::new();
    for f in files {
        let target = docs_dir.join(&f.path);
        if std::fs::read_to_string(&target).ok().as_deref() == Some(f.contents.as_str()) {
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&target, &f.contents)?;
        done.push(format!("wrote {}", f.path.display()));
    }
    for rel in stale_pages(docs_dir, files)? {
        std::fs::remove_file(docs_dir.join(&rel))?;
        done.push(format!("removed {}", rel.display()));
    }
    Ok(done)
}

/// How `docs_dir` differs from `files`, one line per page (missing, different with the first
/// differing line, or stale); empty when they are equal.
pub fn check_docs(docs_dir: &Path, files: &[DocFile]) -> Vec<String> {
    let mut problems = Vec::new();
    for f in files {
        match std::fs::read_to_string(docs_dir.join(&f.path)) {
            Err(e) => problems.push(format!("{} is missing ({e})", f.path.display())),
            Ok(found) if found != f.contents => {
                let mut found_lines = found.lines();
                let mut want_lines = f.contents.lines();
                let mut n = 1;
                let (got, want) = loop {
                    match (found_lines.next(), want_lines.next()) {
                        (a, b) if a != b => break (a, b),
                        (None, None) => break (None, None),
                        _ => n += 1,
                    }
                };
                problems.push(format!(
                    "{} differs from the schema at line {n}: checked in {:?}, rendered {:?}",
                    f.path.display(),
                    got.unwrap_or("<end of file>"),
                    want.unwrap_or("<end of file>"),
                ));
            }
            Ok(_) => {}
        }
    }
    match stale_pages(docs_dir, files) {
        Ok(stale) => problems.extend(stale.into_iter().map(|p| {
            format!(
                "{} documents a type the provider no longer has",
                p.display()
            )
        })),
        Err(e) => problems.push(format!("cannot list {}: {e}", docs_dir.display())),
    }
    problems
}

/// The first paragraph, for the front matter's one-line summary.
fn first_paragraph(text: &str) -> String {
    text.trim()
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// A YAML scalar in double quotes (JSON's string syntax is valid YAML).
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_trait::async_trait;

    use super::*;
    use crate::diagnostics::Diagnostics;
    use crate::resource::{ApplyResult, Context, DataSource, Resource};
    use crate::schema::validators;

    /// A schema with every feature the renderer knows.
    fn widget() -> Schema {
        Schema::new(
            0,
            Block::new("A widget for tests.\n\nIt has a second paragraph.")
                .attr(
                    Attribute::string("id")
                        .computed()
                        .description("The widget ID."),
                )
                .attr(
                    Attribute::string("name")
                        .required()
                        .requires_replace()
                        .description("Name of the widget")
                        .validate(validators::string_length(1, 10)),
                )
                .attr(
                    Attribute::number("size")
                        .default(90)
                        .description("Size in GB."),
                )
                .attr(
                    Attribute::string("mode")
                        .default("fast")
                        .description("How it runs."),
                )
                .attr(
                    Attribute::of_type("zones", Type::list(Type::String))
                        .default(Value::List(vec![Value::from("a"), Value::from("b")]))
                        .description("Zones."),
                )
                .attr(
                    Attribute::string("token")
                        .optional()
                        .sensitive()
                        .description("An API token."),
                )
                .attr(
                    Attribute::string("password_wo")
                        .optional()
                        .sensitive()
                        .write_only()
                        .description("A password, sent once."),
                )
                .attr(
                    Attribute::bool("legacy")
                        .optional()
                        .deprecated("Use `mode` instead.")
                        .description("Old switch."),
                )
                .attr(
                    Attribute::of_type("labels", Type::map(Type::String))
                        .optional()
                        .description("Labels:\n\n- one\n- two"),
                )
                .attr(
                    Attribute::of_type("status", Type::map(Type::String))
                        .computed()
                        .description("Status by part."),
                )
                .block(
                    "network",
                    Nesting::Single,
                    Block::new("The network.")
                        .attr(
                            Attribute::string("cidr")
                                .optional_computed()
                                .description("CIDR block."),
                        )
                        .attr(
                            Attribute::string("vpc_id")
                                .computed()
                                .description("VPC ID."),
                        )
                        .block(
                            "subnet",
                            Nesting::Map,
                            Block::new("A subnet; the label is its name.")
                                .attr(
                                    Attribute::string("az")
                                        .required()
                                        .description("Availability Zone."),
                                )
                                .attr(
                                    Attribute::string("arn")
                                        .computed()
                                        .description("ARN of the subnet."),
                                ),
                        ),
                )
                .block(
                    "rule",
                    Nesting::List,
                    Block::new("A rule.")
                        .attr(Attribute::number("port").required().description("Port.")),
                )
                .block_limits("rule", 1, 3)
                .block(
                    "tag",
                    Nesting::Set,
                    Block::new("A tag.")
                        .attr(Attribute::string("key").required().description("Key.")),
                )
                .block(
                    "settings",
                    Nesting::Group,
                    Block::new("Settings.")
                        .attr(Attribute::bool("debug").optional().description("Debug.")),
                ),
        )
    }

    fn page(kind: Kind, name: &str, schema: &Schema) -> String {
        render(&Page {
            kind,
            name,
            schema,
            example: "\nresource \"acme_widget\" \"w\" {\n  name = \"w1\"\n}\n\n",
            import: None,
        })
    }

    #[test]
    fn import_section_is_rendered_last_when_given() {
        let doc = render(&Page {
            kind: Kind::Resource,
            name: "acme_widget",
            schema: &widget(),
            example: "",
            import: Some("terraform import acme_widget.w w1\n"),
        });
        assert!(
            doc.ends_with("## Import\n\n```shell\nterraform import acme_widget.w w1\n```\n"),
            "{doc}"
        );
        assert!(!widget_page().contains("## Import"));
    }

    fn widget_page() -> String {
        page(Kind::Resource, "acme_widget", &widget())
    }

    fn has_line(doc: &str, line: &str) {
        assert!(
            doc.lines().any(|l| l == line),
            "missing line:\n{line}\nin:\n{doc}"
        );
    }

    fn position(doc: &str, needle: &str) -> usize {
        doc.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not found in:\n{doc}"))
    }

    #[test]
    fn front_matter_has_title_and_first_paragraph_only() {
        let doc = widget_page();
        assert!(
            doc.starts_with(
                "---\npage_title: \"acme_widget Resource\"\ndescription: |-\n  A widget for tests.\n---\n\n# acme_widget (Resource)\n\nA widget for tests.\n\nIt has a second paragraph.\n\n## Example Usage\n"
            ),
            "{doc}"
        );
        assert!(doc.ends_with("\n") && !doc.ends_with("\n\n"), "{doc:?}");
    }

    #[test]
    fn page_titles_by_kind() {
        let s = widget();
        let provider = page(Kind::Provider, "acme", &s);
        has_line(&provider, "page_title: \"acme Provider\"");
        has_line(&provider, "# acme Provider");
        let data = page(Kind::DataSource, "acme_widget", &s);
        has_line(&data, "page_title: \"acme_widget Data Source\"");
        has_line(&data, "# acme_widget (Data Source)");
    }

    #[test]
    fn example_is_fenced_and_trimmed() {
        let doc = widget_page();
        assert!(
            doc.contains(
                "## Example Usage\n\n```terraform\nresource \"acme_widget\" \"w\" {\n  name = \"w1\"\n}\n```\n\n## Argument Reference\n"
            ),
            "{doc}"
        );
    }

    #[test]
    fn required_arguments_come_before_optional_ones() {
        let doc = widget_page();
        let required = position(&doc, "The following arguments are required:\n\n* `name`");
        let optional = position(&doc, "The following arguments are optional:\n\n* `size`");
        assert!(required < optional);
        // A block with min_items > 0 is a required argument, after the required attributes.
        has_line(
            &doc,
            "* `rule` - (Required, List of blocks) A rule. See [`rule`](#nestedblock--rule) below.",
        );
        assert!(position(&doc, "* `name` -") < position(&doc, "* `rule` -"));
        assert!(position(&doc, "* `rule` -") < optional);
    }

    #[test]
    fn required_attribute_has_type_and_replacement_note() {
        has_line(
            &widget_page(),
            "* `name` - (Required, String) Name of the widget. Changing this replaces the resource.",
        );
    }

    #[test]
    fn defaults_are_rendered_as_hcl() {
        let doc = widget_page();
        has_line(
            &doc,
            "* `size` - (Optional, Number) Size in GB. Defaults to `90`.",
        );
        has_line(
            &doc,
            "* `mode` - (Optional, String) How it runs. Defaults to `\"fast\"`.",
        );
        has_line(
            &doc,
            "* `zones` - (Optional, List of string) Zones. Defaults to `[\"a\", \"b\"]`.",
        );
    }

    #[test]
    fn sensitive_write_only_and_deprecated_are_noted() {
        let doc = widget_page();
        has_line(
            &doc,
            "* `token` - (Optional, String, Sensitive) An API token. Sensitive: Terraform hides this value in its output (it is still stored in state).",
        );
        has_line(
            &doc,
            "* `password_wo` - (Optional, String, Sensitive, Write-only) A password, sent once. Sensitive: Terraform hides this value in its output. Write-only: never stored in the plan or state (Terraform 1.11 and later).",
        );
        has_line(
            &doc,
            "* `legacy` - (Optional, Bool, Deprecated) Old switch. **Deprecated:** Use `mode` instead.",
        );
    }

    #[test]
    fn multi_line_descriptions_stay_inside_the_list_item() {
        let doc = widget_page();
        assert!(
            doc.contains("* `labels` - (Optional, Map of string) Labels:\n\n  - one\n  - two\n"),
            "{doc}"
        );
    }

    #[test]
    fn nested_blocks_have_subsections_with_nesting_and_counts() {
        let doc = widget_page();
        has_line(
            &doc,
            "* `network` - (Optional, Block) The network. See [`network`](#nestedblock--network) below.",
        );
        assert!(doc.contains(
            "<a id=\"nestedblock--network\"></a>\n### `network` block\n\nNesting mode: single (`network { ... }`); at most 1 block; optional.\n\nThe following arguments are optional:\n\n* `cidr` - (Optional, String) CIDR block.\n* `subnet` - (Optional, Map of blocks) A subnet; the label is its name. See [`network.subnet`](#nestedblock--network--subnet) below.\n"
        ), "{doc}");
        has_line(
            &doc,
            "Nesting mode: map, keyed by the block label (`subnet \"NAME\" { ... }`, one per label); any number of blocks; optional.",
        );
        has_line(
            &doc,
            "Nesting mode: list, in configuration order (`rule { ... }`, repeated); 1 to 3 blocks; required.",
        );
        has_line(
            &doc,
            "Nesting mode: set, unordered (`tag { ... }`, repeated); any number of blocks; optional.",
        );
        has_line(
            &doc,
            "Nesting mode: group, never null: a block left out reads as one whose attributes are all null (`settings { ... }`); at most 1 block; optional.",
        );
        // Subsections are depth first, in schema order.
        assert!(
            position(&doc, "### `network` block") < position(&doc, "### `network.subnet` block")
        );
        assert!(position(&doc, "### `network.subnet` block") < position(&doc, "### `rule` block"));
        has_line(&doc, "<a id=\"nestedblock--network--subnet\"></a>");
        // The required attribute of a nested block is listed as required there.
        assert!(doc.contains(
            "The following arguments are required:\n\n* `az` - (Required, String) Availability Zone.\n"
        ));
    }

    #[test]
    fn block_counts() {
        let b = |nesting, min, max| NestedBlock {
            type_name: "x".into(),
            block: Block::new("X."),
            nesting,
            min_items: min,
            max_items: max,
        };
        let line = |nb: NestedBlock| nesting_line(&nb);
        assert!(line(b(Nesting::Single, 1, 1)).ends_with("; exactly 1 block; required."));
        assert!(line(b(Nesting::List, 0, 2)).ends_with("; at most 2 blocks; optional."));
        assert!(line(b(Nesting::List, 2, 0)).ends_with("; at least 2 blocks; required."));
        assert!(line(b(Nesting::Set, 2, 2)).ends_with("; exactly 2 blocks; required."));
    }

    #[test]
    fn attribute_reference_lists_computed_only_attributes_with_paths() {
        let doc = widget_page();
        let reference = &doc[position(&doc, "## Attribute Reference")..];
        assert!(reference.starts_with(
            "## Attribute Reference\n\nIn addition to the arguments above, the following attributes are exported:\n\n* `id` - (String) The widget ID.\n* `status` - (Map of string) Status by part.\n* `network.vpc_id` - (String) VPC ID.\n* `network.subnet[\"NAME\"].arn` - (String) ARN of the subnet.\n"
        ), "{reference}");
        // Optional+computed attributes are arguments, not listed again.
        assert!(!reference.contains("`network.cidr`"), "{reference}");
        // The argument reference leaves computed-only attributes out.
        let arguments = &doc[..position(&doc, "## Attribute Reference")];
        assert!(!arguments.contains("* `id` -"), "{arguments}");
        assert!(!arguments.contains("* `vpc_id` -"), "{arguments}");
        has_line(
            arguments,
            "Its read-only attributes are listed under [Attribute Reference](#attribute-reference).",
        );
    }

    #[test]
    fn schema_without_arguments_or_exports() {
        let s = Schema::new(0, Block::new("Nothing."));
        let doc = page(Kind::DataSource, "acme_nothing", &s);
        has_line(&doc, "This data source has no arguments.");
        assert!(!doc.contains("## Attribute Reference"), "{doc}");
    }

    #[test]
    fn deprecated_block_is_marked() {
        let mut old = Block::new("Old settings.");
        old.deprecated = true;
        let s = Schema::new(0, Block::new("W.").block("old", Nesting::Single, old));
        has_line(
            &page(Kind::Resource, "acme_w", &s),
            "* `old` - (Optional, Block, Deprecated) Old settings. **Deprecated.** See [`old`](#nestedblock--old) below.",
        );
    }

    #[test]
    fn hcl_literals() {
        assert_eq!(hcl_literal(&Value::from("a\"b")), r#""a\"b""#);
        assert_eq!(hcl_literal(&Value::int(-3)), "-3");
        assert_eq!(hcl_literal(&Value::Bool(false)), "false");
        assert_eq!(
            hcl_literal(&Value::Map(
                [
                    ("team".to_string(), Value::from("x")),
                    ("a b".to_string(), Value::int(1)),
                ]
                .into()
            )),
            r#"{ "a b" = 1, team = "x" }"#
        );
        assert_eq!(hcl_literal(&Value::Map(Default::default())), "{}");
        assert_eq!(code_span("a`b"), "`` a`b ``");
    }

    #[test]
    fn default_example_has_required_arguments_and_blocks() {
        assert_eq!(
            default_example(Kind::Resource, "acme_widget", &widget()),
            "resource \"acme_widget\" \"example\" {\n  name = \"example\"\n\n  rule {\n    port = 1\n  }\n}\n"
        );
        assert_eq!(
            default_example(Kind::Provider, "acme", &Schema::new(0, Block::new("P."))),
            "provider \"acme\" {}\n"
        );
    }

    struct Acme {
        schema: Schema,
    }
    struct Widget(Schema);
    struct Lookup(Schema);

    #[async_trait]
    impl Provider for Acme {
        fn address(&self) -> &'static str {
            "registry.terraform.io/acme/acme"
        }
        fn schema(&self) -> &Schema {
            &self.schema
        }
        async fn configure(&self, _: &Context, _: &Value, _: &str) -> Diagnostics {
            Diagnostics::new()
        }
        fn resources(&self) -> Vec<Arc<dyn Resource>> {
            vec![Arc::new(Widget(widget()))]
        }
        fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
            vec![Arc::new(Lookup(Schema::new(
                0,
                Block::new("Looks a widget up.")
                    .attr(Attribute::string("name").required().description("Name.")),
            )))]
        }
    }

    #[async_trait]
    impl Resource for Widget {
        fn type_name(&self) -> &'static str {
            "acme_widget"
        }
        fn schema(&self) -> &Schema {
            &self.0
        }
        async fn create(&self, _: &Context, _: &Value) -> ApplyResult {
            unreachable!()
        }
        async fn read(&self, _: &Context, _: &Value) -> Result<Option<Value>, Diagnostics> {
            unreachable!()
        }
        async fn update(&self, _: &Context, _: &Value, _: &Value) -> ApplyResult {
            unreachable!()
        }
        async fn delete(
            &self,
            _: &Context,
            _: &Value,
            _: crate::resource::Deletion,
        ) -> Result<(), Diagnostics> {
            unreachable!()
        }
        async fn import(&self, _: &Context, _: &str) -> Result<Value, Diagnostics> {
            unreachable!()
        }
    }

    #[async_trait]
    impl DataSource for Lookup {
        fn type_name(&self) -> &'static str {
            "acme_widget"
        }
        fn schema(&self) -> &Schema {
            &self.0
        }
        async fn read(&self, _: &Context, _: &Value) -> Result<(Value, Diagnostics), Diagnostics> {
            unreachable!()
        }
    }

    fn acme() -> Acme {
        Acme {
            schema: Schema::new(
                0,
                Block::new("Acme.").attr(
                    Attribute::string("region")
                        .optional()
                        .description("Region."),
                ),
            ),
        }
    }

    #[test]
    fn provider_docs_cover_the_registry_with_example_files() {
        let examples = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(examples.path().join("resources")).unwrap();
        std::fs::write(
            examples.path().join("resources/widget.tf"),
            "resource \"acme_widget\" \"mine\" {\n  name = \"mine\"\n}\n",
        )
        .unwrap();
        let files = provider_docs(&acme(), examples.path()).unwrap();
        let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
        assert_eq!(
            paths,
            ["data-sources/widget.md", "index.md", "resources/widget.md"]
        );
        let by = |p: &str| files.iter().find(|f| f.path == Path::new(p)).unwrap();
        assert!(by("resources/widget.md").example_found);
        assert!(by("resources/widget.md")
            .contents
            .contains("```terraform\nresource \"acme_widget\" \"mine\" {"));
        let ds = by("data-sources/widget.md");
        assert!(!ds.example_found);
        assert_eq!(ds.example, Path::new("data-sources/widget.tf"));
        assert_eq!(ds.kind, Kind::DataSource);
        assert!(ds.contents.contains(
            "```terraform\ndata \"acme_widget\" \"example\" {\n  name = \"example\"\n}\n```"
        ));
        let index = by("index.md");
        assert_eq!(index.example, Path::new("provider.tf"));
        assert!(index
            .contents
            .contains("```terraform\nprovider \"acme\" {}\n```"));
        has_line(&index.contents, "* `region` - (Optional, String) Region.");
    }

    #[test]
    fn write_then_check_finds_no_difference_and_reports_drift() {
        let dir = tempfile::tempdir().unwrap();
        let files = provider_docs(&acme(), &dir.path().join("examples")).unwrap();
        let first = write_docs(dir.path(), &files).unwrap();
        assert_eq!(
            first,
            [
                "wrote data-sources/widget.md",
                "wrote index.md",
                "wrote resources/widget.md"
            ]
        );
        assert_eq!(check_docs(dir.path(), &files), Vec::<String>::new());
        assert_eq!(
            write_docs(dir.path(), &files).unwrap(),
            Vec::<String>::new()
        );

        // An edited page, a missing page and a page of a type that is gone.
        let index = dir.path().join("index.md");
        let edited = std::fs::read_to_string(&index)
            .unwrap()
            .replace("Region.", "Where.");
        std::fs::write(&index, edited).unwrap();
        std::fs::remove_file(dir.path().join("data-sources/widget.md")).unwrap();
        std::fs::write(dir.path().join("resources/gone.md"), "old").unwrap();
        let problems = check_docs(dir.path(), &files);
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems[0].starts_with("data-sources/widget.md is missing"),
            "{problems:#?}"
        );
        assert!(
            problems[1].starts_with("index.md differs from the schema at line "),
            "{problems:#?}"
        );
        assert!(problems[1].contains("Where."), "{problems:#?}");
        assert_eq!(
            problems[2],
            "resources/gone.md documents a type the provider no longer has"
        );

        let fixed = write_docs(dir.path(), &files).unwrap();
        assert_eq!(
            fixed,
            [
                "wrote data-sources/widget.md",
                "wrote index.md",
                "removed resources/gone.md"
            ]
        );
        assert_eq!(check_docs(dir.path(), &files), Vec::<String>::new());
    }
}
