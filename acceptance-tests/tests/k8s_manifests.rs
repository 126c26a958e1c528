//! The Kubernetes manifests of the application (`k8s/`): every overlay renders with
//! `kubectl kustomize` and validates against the Kubernetes 1.34 schemas (strict), the
//! production overlay keeps its replicas, PDB and NetworkPolicy, a broken copy is refused, and
//! `scripts/k8s-environment.py` writes an overlay's values from `terraform output -json`. The
//! checks are the Python tests in `scripts/tests/test_k8s.py` (run with the linters' venv,
//! which has kubernetes-validate; kubectl comes with the machine image).

use std::process::Command;

use mosia_acceptance_tests::emulator::repo_root;

#[test]
fn manifests_render_validate_and_keep_the_production_guarantees() {
    let root = repo_root();
    let python = root.join(".tools/lint-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make tools` (scripts/install-tools.sh) first",
        python.display()
    );
    let output = Command::new(&python)
        .args([
            "-m",
            "unittest",
            "discover",
            "-s",
            "scripts/tests",
            "-p",
            "test_k8s*.py",
        ])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(&root)
        .output()
        .expect("run python -m unittest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Kubernetes manifest tests failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stderr.contains("OK"), "unittest reports success:\n{stderr}");
}
