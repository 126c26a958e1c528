#!/usr/bin/env bash
# The test command (`make test`, and CI through .ci/run): builds the provider binary the
# acceptance tests put in Terraform's plugin mirror, then runs every test in the
# workspace with nextest (per-test timeouts: no test can hang), or cargo test without it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cargo build -p terraform-provider-mosia
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --all-features --profile "${NEXTEST_PROFILE:-default}"
else
    echo "cargo-nextest not found; using cargo test"
    cargo test --workspace --all-features
fi
