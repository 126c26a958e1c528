//! The Registry documentation in `docs/` is rendered from the schemas (see
//! `examples/gen_docs.rs`): these tests fail when it is out of date, when a schema leaves an
//! attribute or block undocumented, or when a page has no example file.

use std::path::PathBuf;

use mosia_tfplugin::docs::{self, DocFile, Kind};
use mosia_tfplugin::{AttrPath, Provider, Schema};
use terraform_provider_mosia::MosiaProvider;

fn docs_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs")
}

fn rendered() -> Vec<DocFile> {
    docs::provider_docs(&MosiaProvider::new(), &docs_dir().join("examples"))
        .expect("render the docs")
}

/// Every schema the provider serves, from its own registry (as GetProviderSchema lists them).
fn schemas(provider: &MosiaProvider) -> Vec<(String, Schema)> {
    let mut out = vec![("provider".to_string(), provider.schema().clone())];
    out.extend(
        provider
            .resources()
            .iter()
            .map(|r| (format!("resource {}", r.type_name()), r.schema().clone())),
    );
    out.extend(
        provider
            .data_sources()
            .iter()
            .map(|d| (format!("data source {}", d.type_name()), d.schema().clone())),
    );
    out
}

#[test]
fn checked_in_docs_match_the_schemas() {
    let problems = docs::check_docs(&docs_dir(), &rendered());
    assert!(
        problems.is_empty(),
        "docs/ is out of date with the schemas:\n  {}\nRun `make docs` \
         (cargo run -p terraform-provider-mosia --example gen_docs) and commit the result.",
        problems.join("\n  ")
    );
}

#[test]
fn every_attribute_and_block_of_every_schema_is_documented() {
    let provider = MosiaProvider::new();
    let mut missing = Vec::new();
    for (what, schema) in schemas(&provider) {
        if schema.block.description.trim().is_empty() {
            missing.push(format!("{what}: the schema itself"));
        }
        missing.extend(
            schema
                .block
                .undocumented(&AttrPath::root())
                .into_iter()
                .map(|path| format!("{what}: {path}")),
        );
    }
    assert!(
        missing.is_empty(),
        "descriptions missing (they are the documentation):\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_page_has_an_example_file() {
    let missing: Vec<String> = rendered()
        .iter()
        .filter(|f| !f.example_found)
        .map(|f| format!("docs/examples/{} (for {})", f.example.display(), f.name))
        .collect();
    assert!(
        missing.is_empty(),
        "write a small, realistic example for each, then run `make docs`:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn each_example_shows_its_own_type() {
    for f in rendered() {
        let header = match f.kind {
            Kind::Provider => format!("provider \"{}\"", f.name),
            Kind::Resource => format!("resource \"{}\" \"", f.name),
            Kind::DataSource => format!("data \"{}\" \"", f.name),
        };
        let example = docs_dir().join("examples").join(&f.example);
        let text = std::fs::read_to_string(&example).unwrap_or_default();
        assert!(
            !f.example_found || text.contains(&header),
            "{} does not contain `{header}`",
            example.display()
        );
    }
}

#[test]
fn every_resource_and_data_source_has_a_page() {
    let provider = MosiaProvider::new();
    let paths: Vec<String> = rendered()
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    let mut want = vec!["index.md".to_string()];
    for r in provider.resources() {
        let short = r.type_name().strip_prefix("mosia_").unwrap();
        want.push(format!("resources/{short}.md"));
    }
    for d in provider.data_sources() {
        let short = d.type_name().strip_prefix("mosia_").unwrap();
        want.push(format!("data-sources/{short}.md"));
    }
    want.sort();
    assert_eq!(paths, want);
    assert!(paths.contains(&"resources/environment.md".to_string()));
    assert!(paths.contains(&"resources/state_backend.md".to_string()));
}
