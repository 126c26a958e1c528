//! The shape ARCHITECTURE.md promises, checked: small production files, and dependencies
//! that point one way (resources → aws → engine; the engine knows no AWS service, the AWS
//! layer knows no resource). Function length is checked by clippy (`too_many_lines`, 100).

use std::fs;
use std::path::{Path, PathBuf};

const MAX_PRODUCTION_LINES: usize = 700;

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The file's lines before its unit tests (`#[cfg(test)]` followed by `mod tests`), and
/// without comment lines.
fn production_code(path: &Path) -> Vec<String> {
    let text = fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let end = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod tests"))
        .unwrap_or(lines.len());
    lines[..end].iter().map(|l| l.to_string()).collect()
}

fn code_lines(path: &Path) -> Vec<String> {
    production_code(path)
        .into_iter()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect()
}

fn offenders(dir: &str, bad: impl Fn(&str) -> bool) -> Vec<String> {
    let root = src().join(dir);
    let mut found = Vec::new();
    for file in rust_files(&root) {
        for line in code_lines(&file) {
            if bad(&line) {
                found.push(format!("{}: {}", file.display(), line.trim()));
            }
        }
    }
    found
}

#[test]
fn no_production_file_is_longer_than_700_lines() {
    let long: Vec<String> = rust_files(&src())
        .into_iter()
        .map(|f| (production_code(&f).len(), f))
        .filter(|(n, _)| *n > MAX_PRODUCTION_LINES)
        .map(|(n, f)| format!("{} ({n} lines)", f.display()))
        .collect();
    assert!(
        long.is_empty(),
        "split these files (limit {MAX_PRODUCTION_LINES}): {long:#?}"
    );
}

#[test]
fn the_aws_layer_knows_no_resource() {
    let found = offenders("aws", |l| {
        l.contains("resources::") || l.contains("crate::provider")
    });
    assert!(
        found.is_empty(),
        "aws/ must not import resources/: {found:#?}"
    );
}

#[test]
fn the_engine_knows_no_aws_service_and_no_resource() {
    let found = offenders("engine", |l| {
        [
            "crate::aws",
            "aws_sdk",
            "aws_smithy",
            "crate::resources",
            "crate::provider",
        ]
        .iter()
        .any(|m| l.contains(m))
    });
    assert!(
        found.is_empty(),
        "engine/ must stay AWS-agnostic: {found:#?}"
    );
}

#[test]
fn resources_do_not_import_the_provider_block() {
    let found = offenders("resources", |l| l.contains("crate::provider"));
    assert!(
        found.is_empty(),
        "resources/ must not import provider.rs: {found:#?}"
    );
}
