//! `make docs`: (re)generates the Registry documentation in `docs/` from the provider's
//! schemas, so that it never drifts from them: `docs/index.md` (the provider block),
//! `docs/resources/NAME.md` for every resource and `docs/data-sources/NAME.md` for every data
//! source the provider serves (the same list GetProviderSchema answers with). Pages of types
//! that no longer exist are removed.
//!
//! Each page's "Example Usage" is `docs/examples/provider.tf`,
//! `docs/examples/resources/NAME.tf` or `docs/examples/data-sources/NAME.tf`; a page without
//! one gets a placeholder built from the schema (and the docs test fails until it exists).
//!
//! Usage: cargo run -p terraform-provider-mosia --example gen_docs [-- --check]
//! (`--check` writes nothing and exits 1 when `docs/` differs from the schemas).

use std::path::PathBuf;
use std::process::ExitCode;

use mosia_tfplugin::docs;
use terraform_provider_mosia::MosiaProvider;

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("gen_docs: unknown argument {other:?}; usage: gen_docs [--check]");
            return ExitCode::from(2);
        }
    };
    let docs_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs");
    let files = match docs::provider_docs(&MosiaProvider::new(), &docs_dir.join("examples")) {
        Ok(files) => files,
        Err(e) => {
            eprintln!("gen_docs: {e}");
            return ExitCode::FAILURE;
        }
    };
    for f in files.iter().filter(|f| !f.example_found) {
        eprintln!(
            "gen_docs: warning: no docs/examples/{} for {}; using a placeholder example, please write one",
            f.example.display(),
            f.name
        );
    }
    if check {
        let problems = docs::check_docs(&docs_dir, &files);
        for p in &problems {
            eprintln!("docs/{p}");
        }
        return if problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            eprintln!("gen_docs: docs/ is out of date; run `make docs`");
            ExitCode::FAILURE
        };
    }
    match docs::write_docs(&docs_dir, &files) {
        Ok(done) if done.is_empty() => {
            println!("docs/ is up to date ({} pages)", files.len());
            ExitCode::SUCCESS
        }
        Ok(done) => {
            for line in done {
                println!("docs: {line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen_docs: writing {}: {e}", docs_dir.display());
            ExitCode::FAILURE
        }
    }
}
