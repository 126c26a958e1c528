//! Every input and output of every module and root module is described in its `.tf` file
//! and listed in its README's tables.

use std::path::Path;

use mosia_acceptance_tests::emulator::repo_root;

/// `(kind, name, has_description)` for each top-level `variable` and `output` block.
fn declarations(dir: &Path) -> Vec<(String, String, bool)> {
    let mut found = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut current: Option<(String, String, bool)> = None;
        for line in text.lines() {
            if let Some((kind, rest)) = line
                .strip_prefix("variable \"")
                .map(|r| ("variable", r))
                .or_else(|| line.strip_prefix("output \"").map(|r| ("output", r)))
            {
                let name = rest.split('"').next().unwrap_or_default().to_string();
                current = Some((kind.to_string(), name, false));
            } else if line == "}" {
                found.extend(current.take());
            } else if let Some(c) = current.as_mut() {
                if line.trim_start().starts_with("description") {
                    c.2 = true;
                }
            }
        }
    }
    found
}

#[test]
fn every_input_and_output_is_described_and_in_the_readme() {
    let root = repo_root();
    let mut dirs = Vec::new();
    for parent in ["modules", "environments"] {
        for entry in std::fs::read_dir(root.join(parent)).unwrap().flatten() {
            if entry.path().is_dir() {
                dirs.push(entry.path());
            }
        }
    }
    dirs.push(root.join("terraform"));
    let mut problems = Vec::new();
    let mut checked = 0;
    for dir in &dirs {
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
        for (kind, name, described) in declarations(dir) {
            checked += 1;
            let rel = dir.strip_prefix(&root).unwrap().display();
            if !described {
                problems.push(format!("{rel}: {kind} `{name}` has no description"));
            }
            if !readme.contains(&format!("| `{name}` |")) {
                problems.push(format!(
                    "{rel}/README.md: {kind} `{name}` is missing from the tables"
                ));
            }
        }
    }
    assert!(checked > 50, "found only {checked} declarations");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
