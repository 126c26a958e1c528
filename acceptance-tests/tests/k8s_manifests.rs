//! The Kubernetes manifests of the application (`k8s/`): every overlay renders with
//! `kubectl kustomize` and validates against the Kubernetes 1.34 schemas (strict), the
//! production overlay keeps its replicas, PDB and NetworkPolicy, a broken copy is refused, and
//! `scripts/k8s-environment.py` writes an overlay's values from `terraform output -json`. The
//! checks are the Python tests in `scripts/tests/test_k8s.py` (run with the linters' venv,
//! which has kubernetes-validate; kubectl comes with the machine image).

use mosia_acceptance_tests::script_tests;

#[test]
fn manifests_render_validate_and_keep_the_production_guarantees() {
    script_tests::assert_pass("test_k8s*.py");
}
