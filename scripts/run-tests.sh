#!/usr/bin/env bash
# The test command (`make test`, and CI through .ci/run): clippy, then every test in the
# workspace with nextest (per-test timeouts: no test can hang), or cargo test without it.
#
# The acceptance tests put target/debug/terraform-provider-mosia in Terraform's plugin
# mirror. That binary is built by this same test build (the provider's integration tests
# need it), with the test build's features: a separate `cargo build -p` first would build
# every dependency twice (dev-dependencies change tokio's features).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Lint first: clippy with every warning an error, `too_many_lines` at 100 for the provider
# (clippy.toml, provider/src/lib.rs). A lint failure stops here, before the long tests.
echo "run-tests: cargo clippy --workspace --all-targets --all-features -- -D warnings"
cargo clippy --workspace --all-targets --all-features -- -D warnings

if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --all-features --profile "${NEXTEST_PROFILE:-default}"
else
    echo "cargo-nextest not found; using cargo test"
    cargo test --workspace --all-features
fi

# Then the acceptance tests that need only S3, STS, IAM, EC2, Secrets Manager and KMS, once
# more against a real LocalStack (`make test-localstack`; the same build, nothing is
# recompiled). LocalStack needs Python >= 3.13; without one this is skipped, saying so.
echo "run-tests: make test-localstack (scripts/localstack.sh test)"
if ! why="$(bash scripts/localstack.sh python 2>&1 >/dev/null)"; then
    echo "SKIPPED: make test-localstack ${why#localstack: }"
elif ! cargo nextest --version >/dev/null 2>&1; then
    echo "SKIPPED: make test-localstack needs cargo-nextest (for its test filter)"
else
    bash scripts/localstack.sh test
fi
