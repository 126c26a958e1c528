#!/usr/bin/env bash
# Real AWS: plan, apply or destroy one of environments/{dev,staging,production} with your own
# AWS credentials and your own state backend. Creates billable resources.
#
#   scripts/env.sh plan|apply|destroy ENV       # make plan ENV=staging, make apply ..., make destroy ...
#
# Needs the backend settings of your state bucket in environments/ENV/backend.hcl or
# environments/backend.hcl (both git-ignored), or in the file BACKEND_CONFIG names: `terraform -chdir=terraform output -raw backend_hcl`
# after bootstrapping the bucket (terraform/README.md). The state key is ENV/terraform.tfstate.
#
# Installs the tools when missing, builds the provider and puts it in a filesystem mirror
# (as make dev does), then init (S3 backend, S3 lock file) and plan. apply and destroy save the
# plan, print a cost warning from the plan's estimated_monthly_cost_usd, and apply exactly
# that plan after you type the environment's name; AUTO_APPROVE=1 skips the question.
#
# Environment: AWS credentials from the standard chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, SSO, ...);
# TF_VAR_region (default eu-central-1) and other TF_VAR_* for the root module's variables;
# BACKEND_CONFIG, AUTO_APPROVE; MOSIA_PROVIDER_BINARY (use this provider binary, no build);
# TERRAFORM (use this terraform, no tool install).
set -euo pipefail

ENVIRONMENTS=(dev staging production)
usage() {
    echo "usage: make plan|apply|destroy ENV=dev|staging|production [BACKEND_CONFIG=FILE] [AUTO_APPROVE=1]" >&2
}

ACTION="${1:-}"
NAME="${2:-}"
case "$ACTION" in
    plan | apply | destroy) ;;
    *)
        echo "env.sh: unknown action '${ACTION}': expected plan, apply or destroy" >&2
        usage
        exit 2
        ;;
esac
if [[ -z "$NAME" ]]; then
    echo "ENV is required: one of dev, staging, production (e.g. make $ACTION ENV=staging)" >&2
    usage
    exit 2
fi
if [[ ! " ${ENVIRONMENTS[*]} " == *" $NAME "* ]]; then
    echo "ENV must be one of dev, staging, production (got '$NAME'), e.g. make $ACTION ENV=staging" >&2
    usage
    exit 2
fi

# Resolved against the caller's directory, before changing into the repository.
if [[ -n "${BACKEND_CONFIG:-}" ]]; then
    BACKEND="$BACKEND_CONFIG"
    BACKEND_SOURCE="BACKEND_CONFIG=$BACKEND_CONFIG"
else
    BACKEND=""
    BACKEND_SOURCE=""
fi
if [[ -n "$BACKEND" && "$BACKEND" != /* ]]; then
    BACKEND="$PWD/$BACKEND"
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"

# Default: the environment's own file, else the shared one the environments' READMEs describe.
if [[ -z "$BACKEND" ]]; then
    BACKEND="$ROOT/environments/$NAME/backend.hcl"
    BACKEND_SOURCE="environments/$NAME/backend.hcl"
    if [[ ! -f "$BACKEND" && -f "$ROOT/environments/backend.hcl" ]]; then
        BACKEND="$ROOT/environments/backend.hcl"
        BACKEND_SOURCE="environments/backend.hcl"
    fi
fi

if [[ -n "${AWS_ENDPOINT_URL:-}" ]]; then
    cat >&2 <<MSG
AWS_ENDPOINT_URL is set ($AWS_ENDPOINT_URL): make plan/apply/destroy ENV=... work against real
AWS with your credentials and would send the provider's calls there instead. Unset it
(\`unset AWS_ENDPOINT_URL\`); for the local emulator use \`make dev\` / \`make dev-destroy\`.
MSG
    exit 2
fi

if [[ ! -f "$BACKEND" ]]; then
    cat >&2 <<MSG
No backend configuration for $NAME: $BACKEND_SOURCE does not exist ($BACKEND).
The environments keep their state in the S3 bucket of the state-backend bootstrap (terraform/,
see terraform/README.md). Create the bucket once, then write its settings for $NAME
(environments/$NAME/backend.hcl, or environments/backend.hcl for every environment):

  terraform -chdir=terraform init
  terraform -chdir=terraform apply -var bucket=YOUR-UNIQUE-STATE-BUCKET -var region=eu-central-1
  terraform -chdir=terraform output -raw backend_hcl > environments/$NAME/backend.hcl

or point BACKEND_CONFIG at an existing partial backend configuration (bucket, region,
use_lockfile = true, encrypt = true; the key $NAME/terraform.tfstate is added here):

  make $ACTION ENV=$NAME BACKEND_CONFIG=path/to/backend.hcl
MSG
    exit 2
fi

TF="${TERRAFORM:-$ROOT/.tools/bin/terraform-1.15.5}"
WORK="$ROOT/.dev/aws"
PLAN="$WORK/$NAME.tfplan"
DIR="environments/$NAME"
KEY="$NAME/terraform.tfstate"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0

mkdir -p "$WORK"
chmod 700 "$WORK"
if [[ -z "${TERRAFORM:-}" ]]; then
    step "tools"
    timed "tools" bash scripts/install-tools.sh
fi
if [[ -n "${MOSIA_PROVIDER_BINARY:-}" ]]; then
    PROVIDER="$MOSIA_PROVIDER_BINARY"
else
    step "build"
    timed "provider build" "${CARGO:-cargo}" build -q -p terraform-provider-mosia
    PROVIDER="$ROOT/target/debug/terraform-provider-mosia"
fi
TF_CLI_CONFIG_FILE="$(write_cli_config "$WORK" "$PROVIDER")"
export TF_CLI_CONFIG_FILE
# The lock file pins the provider's checksum, which changes with every local build.
rm -f "$DIR/.terraform.lock.hcl"

step "$DIR: init (state s3 key $KEY, from $BACKEND_SOURCE)"
timed "init" "$TF" -chdir="$DIR" init -input=false -reconfigure \
    -backend-config="$BACKEND" -backend-config="key=$KEY" >/dev/null

# Prints "name before after actions" for the environment in a saved plan (costs in USD, "-"
# when unknown).
plan_costs() {
    "$TF" -chdir="$DIR" show -json "$PLAN" | python3 scripts/plan-summary.py --costs -
}

cost_warning() {
    local costs name before after actions
    costs="$(plan_costs 2>/dev/null || true)"
    {
        echo
        if [[ "$ACTION" == destroy ]]; then
            echo "!! DESTROY ($NAME, real AWS): the environment's cluster, database, cache and Kafka"
            echo "!! cluster are deleted with their data (RDS keeps a final snapshot where configured)."
        else
            echo "!! COST WARNING ($NAME, real AWS): a Mosia environment (EKS, RDS, ElastiCache, MSK, NAT"
            echo "!! gateways) costs real money every hour it exists, whether it is used or not."
        fi
        if [[ -z "$costs" ]]; then
            echo "!! Estimated monthly cost: see estimated_monthly_cost_usd in the plan above."
        fi
        while read -r name before after actions; do
            [[ -n "${name:-}" ]] || continue
            case "$actions" in
                delete) echo "!! $name: destroyed; its estimated monthly cost of $before USD stops." ;;
                create) echo "!! $name: estimated monthly cost $after USD once created." ;;
                no-op) echo "!! $name: estimated monthly cost $after USD (unchanged)." ;;
                *) echo "!! $name: estimated monthly cost $before USD -> $after USD ($actions)." ;;
            esac
        done <<<"$costs"
        if [[ "$ACTION" != destroy ]]; then
            echo "!! Estimates come from Mosia's dated price table (on-demand list prices); data transfer,"
            echo "!! storage growth, logs and snapshots are billed on top. Tear down with: make destroy ENV=$NAME"
        fi
        echo
    } >&2
}

# Saves the plan to $PLAN; returns 0 (no changes), 2 (changes) or fails.
save_plan() {
    local rc=0
    "$TF" -chdir="$DIR" plan -input=false -detailed-exitcode -out="$PLAN" "$@" || rc=$?
    if [[ $rc -ne 0 && $rc -ne 2 ]]; then
        exit "$rc"
    fi
    return "$rc"
}

confirm() { # what
    if [[ "${AUTO_APPROVE:-0}" == "1" ]]; then
        echo "AUTO_APPROVE=1: not asking." >&2
        return 0
    fi
    local answer=""
    printf '%s %s? Type the environment name (%s) to go ahead, anything else cancels: ' \
        "$1" "$NAME" "$NAME" >&2
    if ! read -r answer; then
        echo >&2
        echo "No answer (stdin closed): nothing was changed. Set AUTO_APPROVE=1 to run without the question." >&2
        exit 1
    fi
    if [[ "$answer" != "$NAME" ]]; then
        echo "Cancelled: nothing was changed." >&2
        exit 1
    fi
}

trap 'rm -f "$PLAN"' EXIT
case "$ACTION" in
    plan)
        step "$DIR: plan"
        rc=0
        save_plan || rc=$?
        cost_warning
        if [[ $rc -eq 0 ]]; then
            echo "No changes: $NAME matches its configuration." >&2
        else
            echo "To apply: make apply ENV=$NAME" >&2
        fi
        ;;
    apply | destroy)
        step "$DIR: plan ($ACTION)"
        extra=()
        [[ "$ACTION" == destroy ]] && extra=(-destroy)
        rc=0
        save_plan "${extra[@]}" || rc=$?
        if [[ $rc -eq 0 ]]; then
            echo "No changes: nothing to $ACTION for $NAME." >&2
            exit 0
        fi
        cost_warning
        if [[ "$ACTION" == destroy ]]; then
            confirm "Destroy"
        else
            confirm "Apply this plan to"
        fi
        step "$DIR: $ACTION"
        timed "$ACTION" "$TF" -chdir="$DIR" apply -input=false "$PLAN"
        if [[ "$ACTION" == apply ]]; then
            step "outputs"
            "$TF" -chdir="$DIR" output
        fi
        ;;
esac
