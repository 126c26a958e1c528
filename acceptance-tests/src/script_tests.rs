//! The Python tests of the repository's scripts (`scripts/tests/`), run with the linters'
//! venv that `make tools` installs (kubernetes-validate, PyYAML).

use std::process::Command;
use std::time::Duration;

use crate::emulator::repo_root;
use crate::terraform::{run_bounded, Output};

/// `python -m unittest discover -s scripts/tests -p PATTERN` from the repository root,
/// bounded (a test cannot hang); panics with the venv's install hint when it is missing.
pub fn run(pattern: &str) -> Output {
    let root = repo_root();
    let python = root.join(".tools/lint-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make tools` (scripts/install-tools.sh) first",
        python.display()
    );
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let mut cmd = Command::new(python);
    cmd.args([
        "-m",
        "unittest",
        "discover",
        "-s",
        "scripts/tests",
        "-p",
        pattern,
    ])
    .env("PYTHONDONTWRITEBYTECODE", "1")
    .current_dir(&root);
    run_bounded(cmd, None, Duration::from_secs(300), scratch.path())
}

/// [`run`], asserting that every test passed.
pub fn assert_pass(pattern: &str) {
    let out = run(pattern);
    assert!(
        out.code == 0 && out.stderr.contains("\nOK"),
        "the script tests {pattern} failed (exit {}):\n{}\n{}",
        out.code,
        out.stdout,
        out.stderr
    );
}
