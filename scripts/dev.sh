#!/usr/bin/env bash
# The main job: bring the dev environment up on the embedded emulator, end to end.
#
#   scripts/dev.sh up       # make dev
#   scripts/dev.sh down     # make dev-destroy
#
# up: installs tools, builds the provider, starts the emulator (127.0.0.1:$EMULATOR_PORT),
# bootstraps the state backend (terraform/, local state), writes the shared backend
# settings, then init + apply environments/dev with its state in the emulator's S3
# (S3 lock files), and prints the environment's outputs. Every step is timed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PORT="${EMULATOR_PORT:-4566}"
ENDPOINT="http://127.0.0.1:$PORT"
TF="$ROOT/.tools/bin/terraform-1.15.5"
WORK="$ROOT/.dev"
BUCKET="${MOSIA_DEV_STATE_BUCKET:-mosia-dev-terraform-state}"

export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_EC2_METADATA_DISABLED=true
# The emulator's lifecycles are short: poll them quickly.
export MOSIA_POLL_SCALE="${MOSIA_POLL_SCALE:-0.01}"
export TF_CLI_CONFIG_FILE="$WORK/cli.tfrc"   # written by cli_config

# shellcheck source=scripts/common.sh
source "$ROOT/scripts/common.sh"

cli_config() {
    # A filesystem mirror holding the freshly built provider, as a registry would serve it.
    write_cli_config "$WORK" "$ROOT/target/debug/terraform-provider-mosia" >/dev/null
}

backend_file() {
    "$TF" -chdir=terraform output -raw backend_hcl >"$WORK/backend.hcl"
    cat >>"$WORK/backend.hcl" <<CFG
endpoints                   = { s3 = "$ENDPOINT" }
use_path_style              = true
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
skip_region_validation      = true
CFG
}

up() {
    local t0
    t0=$EPOCHREALTIME
    mkdir -p "$WORK"
    step "tools";        timed "tools" bash scripts/install-tools.sh
    step "build";        timed "provider build" cargo build -q -p terraform-provider-mosia
    cli_config
    # The lock files pin the provider's checksum, which changes with every local build.
    rm -f terraform/.terraform.lock.hcl environments/dev/.terraform.lock.hcl
    step "emulator";     timed "emulator start" env EMULATOR_PORT="$PORT" bash scripts/emulator.sh start >/dev/null
    step "state backend (terraform/)"
    timed "bootstrap init" "$TF" -chdir=terraform init -input=false >/dev/null
    timed "bootstrap apply" "$TF" -chdir=terraform apply -auto-approve -input=false \
        -var "bucket=$BUCKET" -var "endpoint=$ENDPOINT" -var "region=$AWS_REGION" -var force_destroy=true >/dev/null
    backend_file
    step "environments/dev (remote state: s3://$BUCKET/dev/terraform.tfstate)"
    timed "dev init" "$TF" -chdir=environments/dev init -input=false -reconfigure \
        -backend-config="$WORK/backend.hcl" -backend-config="key=dev/terraform.tfstate" >/dev/null
    timed "dev apply" "$TF" -chdir=environments/dev apply -auto-approve -input=false -var "endpoint=$ENDPOINT"
    step "outputs"
    "$TF" -chdir=environments/dev output
    printf '\nmake dev took %s s. AWS_ENDPOINT_URL=%s; tear down with: make dev-destroy\n' \
        "$(since "$t0")" "$ENDPOINT" >&2
}

down() {
    local t0
    t0=$EPOCHREALTIME
    cli_config
    rm -f terraform/.terraform.lock.hcl environments/dev/.terraform.lock.hcl
    if ! env EMULATOR_PORT="$PORT" bash scripts/emulator.sh status >/dev/null 2>&1; then
        echo "emulator not running: nothing to destroy (its state lives only in memory)" >&2
        return 0
    fi
    step "environments/dev"
    "$TF" -chdir=environments/dev init -input=false -reconfigure \
        -backend-config="$WORK/backend.hcl" -backend-config="key=dev/terraform.tfstate" >/dev/null
    timed "dev destroy" "$TF" -chdir=environments/dev destroy -auto-approve -input=false -var "endpoint=$ENDPOINT"
    step "state backend"
    "$TF" -chdir=terraform init -input=false >/dev/null
    timed "bootstrap destroy" "$TF" -chdir=terraform destroy -auto-approve -input=false \
        -var "bucket=$BUCKET" -var "endpoint=$ENDPOINT" -var "region=$AWS_REGION" -var force_destroy=true >/dev/null
    rm -f terraform/terraform.tfstate terraform/terraform.tfstate.backup
    bash scripts/emulator.sh stop >/dev/null
    printf '\nmake dev-destroy took %s s\n' "$(since "$t0")" >&2
}

case "${1:-up}" in
    up) up ;;
    down) down ;;
    *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
