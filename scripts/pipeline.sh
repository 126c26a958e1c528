#!/usr/bin/env bash
# The steps of the delivery pipelines (pipelines/): one command per pipeline step, the same for
# GitHub Actions and GitLab CI, and runnable by hand.
#
#   scripts/pipeline.sh cli-config  writes a Terraform CLI configuration installing Mosia from
#                                   $MOSIA_MIRROR_URL and prints its path (for TF_CLI_CONFIG_FILE)
#   scripts/pipeline.sh init  ENV   terraform init of environments/ENV with its S3 state
#   scripts/pipeline.sh plan  ENV   saves the plan ($MOSIA_PIPELINE_DIR/ENV.tfplan), its JSON and
#                                   a Markdown summary (ENV.md: changes, drift, cost before -> after)
#   scripts/pipeline.sh apply ENV   applies exactly the saved plan file (Terraform refuses a plan
#                                   made from an older state: plan again)
#   scripts/pipeline.sh smoke ENV   scripts/smoke-environment.py for the environment's name
#   scripts/pipeline.sh drift ENV   plan -detailed-exitcode without lock; exits 3 when the real
#                                   environment differs from the configuration, saying what
#
# ENV is dev, staging or production. Settings come from the environment:
#   TERRAFORM              the terraform binary (default: terraform on PATH)
#   MOSIA_BACKEND_CONFIG   a partial S3 backend configuration file (bucket, region,
#                          use_lockfile, encrypt), or instead:
#   MOSIA_STATE_BUCKET     the state bucket (terraform/ bootstrap), with MOSIA_STATE_REGION
#                          (default AWS_REGION); the key is always ENV/terraform.tfstate
#   MOSIA_MIRROR_URL       a provider network mirror (make release; README "Install") used when
#                          TF_CLI_CONFIG_FILE is not set
#   MOSIA_PIPELINE_DIR     where plans and summaries go (default .pipeline/ in the repository)
#   MOSIA_SMOKE_ARGS       extra arguments for the smoke check (e.g. --no-resolve)
#   TF_VAR_*               the root module's variables (region, ...)
# AWS credentials come from the standard chain; the pipelines get them through OIDC.
# When GITHUB_STEP_SUMMARY is set, plan and drift summaries are appended to it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ACTION="${1:-}"
NAME="${2:-}"
usage() {
    echo "usage: scripts/pipeline.sh init|plan|apply|smoke|drift dev|staging|production, or scripts/pipeline.sh cli-config" >&2
    exit 2
}
case "$ACTION" in
    init | plan | apply | smoke | drift) case "$NAME" in dev | staging | production) ;; *) usage ;; esac ;;
    cli-config) NAME="-" ;;
    *) usage ;;
esac

TF="${TERRAFORM:-terraform}"
DIR="$ROOT/environments/$NAME"
OUT="${MOSIA_PIPELINE_DIR:-$ROOT/.pipeline}"
PLAN="$OUT/$NAME.tfplan"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
mkdir -p "$OUT"

fail() { echo "pipeline: $NAME: $*" >&2; exit 1; }
tf() { "$TF" -chdir="$DIR" "$@"; }
summary() { [[ -z "${GITHUB_STEP_SUMMARY:-}" ]] || cat "$1" >>"$GITHUB_STEP_SUMMARY"; }

# Mosia comes from the team's network mirror (the other providers from their registries).
write_cli_config() {
    [[ -n "${MOSIA_MIRROR_URL:-}" ]] || fail "set MOSIA_MIRROR_URL to the provider mirror's URL"
    cat >"$OUT/terraformrc" <<CFG
provider_installation {
  network_mirror {
    url     = "${MOSIA_MIRROR_URL%/}/"
    include = ["registry.terraform.io/mosia/mosia"]
  }
  direct {
    exclude = ["registry.terraform.io/mosia/mosia"]
  }
}
CFG
    printf '%s\n' "$OUT/terraformrc"
}
do_cli-config() { write_cli_config; }
# Unless a CLI configuration is given, the mirror's is used when there is one.
if [[ "$ACTION" != cli-config && -z "${TF_CLI_CONFIG_FILE:-}" && -n "${MOSIA_MIRROR_URL:-}" ]]; then
    TF_CLI_CONFIG_FILE="$(write_cli_config)"
    export TF_CLI_CONFIG_FILE
fi

backend_args() {
    if [[ -n "${MOSIA_BACKEND_CONFIG:-}" ]]; then
        [[ -f "$MOSIA_BACKEND_CONFIG" ]] || fail "MOSIA_BACKEND_CONFIG $MOSIA_BACKEND_CONFIG does not exist"
        printf '%s\n' "-backend-config=$MOSIA_BACKEND_CONFIG"
    elif [[ -n "${MOSIA_STATE_BUCKET:-}" ]]; then
        local region="${MOSIA_STATE_REGION:-${AWS_REGION:-}}"
        [[ -n "$region" ]] || fail "set MOSIA_STATE_REGION (or AWS_REGION) for the state bucket"
        printf '%s\n' "-backend-config=bucket=$MOSIA_STATE_BUCKET" "-backend-config=region=$region" \
            "-backend-config=use_lockfile=true" "-backend-config=encrypt=true"
    else
        fail "no state backend: set MOSIA_STATE_BUCKET (the terraform/ bootstrap's bucket) or MOSIA_BACKEND_CONFIG"
    fi
    printf '%s\n' "-backend-config=key=$NAME/terraform.tfstate"
}

do_init() {
    local args=()
    mapfile -t args < <(backend_args)
    ((${#args[@]})) || exit 1
    tf init -input=false -no-color -reconfigure "${args[@]}"
}

do_plan() {
    local rc=0
    tf plan -input=false -no-color -detailed-exitcode -out="$PLAN" || rc=$?
    ((rc == 0 || rc == 2)) || fail "plan failed (exit $rc)"
    tf show -json "$PLAN" >"$OUT/$NAME.plan.json"
    python3 "$ROOT/scripts/plan-summary.py" "$OUT/$NAME.plan.json" --title "$NAME" >"$OUT/$NAME.md"
    summary "$OUT/$NAME.md"
    cat "$OUT/$NAME.md"
}

do_apply() {
    [[ -f "$PLAN" ]] || fail "no saved plan at $PLAN: run 'scripts/pipeline.sh plan $NAME' first"
    tf apply -input=false -no-color "$PLAN"
}

do_smoke() {
    local name region
    name="$(tf output -raw name)" || fail "the state has no 'name' output: apply first"
    region="${TF_VAR_region:-${AWS_REGION:-}}"
    # shellcheck disable=SC2086 # MOSIA_SMOKE_ARGS is a list of flags
    TERRAFORM="$TF" python3 "$ROOT/scripts/smoke-environment.py" "$name" \
        ${region:+--region "$region"} ${MOSIA_SMOKE_ARGS:-}
}

do_drift() {
    local rc=0 report="$OUT/$NAME.drift.md"
    tf plan -input=false -no-color -lock=false -detailed-exitcode -out="$OUT/$NAME.drift.tfplan" || rc=$?
    case "$rc" in
        0) echo "pipeline: $NAME: no drift: the environment matches the configuration" ;;
        2)
            tf show -json "$OUT/$NAME.drift.tfplan" \
                | python3 "$ROOT/scripts/plan-summary.py" - --title "$NAME drift" >"$report"
            summary "$report"
            cat "$report"
            echo "pipeline: $NAME: DRIFT: the environment differs from the configuration (above); apply to restore it or change the configuration" >&2
            exit 3
            ;;
        *) fail "drift check failed (plan exit $rc)" ;;
    esac
}

"do_$ACTION"
