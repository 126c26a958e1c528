#!/usr/bin/env bash
# Lints the delivery pipelines a team copies from pipelines/ (make test runs it through
# acceptance-tests/tests/delivery_pipelines.rs):
#   - actionlint, with shellcheck on every `run:` script, over the GitHub workflows and the
#     local action they use (from a throwaway git repository: actionlint resolves `./.github/...`
#     actions from the repository root);
#   - check-jsonschema with its GitHub workflow, GitHub action and GitLab CI schemas;
#   - shellcheck (warnings and errors) over scripts/*.sh, which the pipelines run.
# Tools come from .tools/lint-venv (scripts/install-tools.sh).
#
#   scripts/check-pipelines.sh [DIR]    DIR: the pipelines folder (default pipelines/)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$(cd "${1:-$ROOT/pipelines}" && pwd)"
LINT="$ROOT/.tools/lint-venv/bin"
for tool in actionlint check-jsonschema shellcheck; do
    [[ -x "$LINT/$tool" ]] || { echo "check-pipelines: $LINT/$tool missing: run make tools" >&2; exit 2; }
done
export PATH="$LINT:$PATH"

failed=0
check() { # label command...
    local label="$1"
    shift
    if "$@"; then
        echo "check-pipelines: ok: $label"
    else
        echo "check-pipelines: FAILED: $label" >&2
        failed=1
    fi
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -R "$DIR/github/.github" "$work/.github"
git -C "$work" init -q
check "actionlint (GitHub workflows and actions, shellcheck on run scripts)" \
    bash -c 'cd "$1" && actionlint -no-color -oneline' _ "$work"

shopt -s nullglob
workflows=("$DIR"/github/.github/workflows/*.yml)
actions=("$DIR"/github/.github/actions/*/action.yml)
((${#workflows[@]})) || { echo "check-pipelines: no workflow in $DIR/github/.github/workflows" >&2; exit 1; }
check "GitHub workflow schema (${#workflows[@]} files)" \
    check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
if ((${#actions[@]})); then
    check "GitHub action schema (${#actions[@]} files)" \
        check-jsonschema --builtin-schema vendor.github-actions "${actions[@]}"
fi
check "GitLab CI schema" \
    check-jsonschema --builtin-schema vendor.gitlab-ci --data-transform gitlab-ci "$DIR/gitlab/.gitlab-ci.yml"
check "shellcheck scripts/*.sh" shellcheck -S warning "$ROOT"/scripts/*.sh
exit "$failed"
