# shellcheck shell=bash
# Shared by scripts/dev.sh and scripts/env.sh; sourced, not run.
#
#   since START        seconds since START (an $EPOCHREALTIME value), one decimal
#   step TEXT...       a section heading on stderr
#   timed LABEL CMD... runs CMD, then prints how long it took on stderr
#   write_cli_config WORK BINARY
#                      a filesystem mirror in WORK/mirror holding BINARY as mosia/mosia
#                      $MOSIA_PROVIDER_VERSION, and a CLI configuration WORK/cli.tfrc using it
#                      (the path is printed; export it as TF_CLI_CONFIG_FILE)

MOSIA_PROVIDER_VERSION="${MOSIA_PROVIDER_VERSION:-0.1.0}"

since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

step() { printf '\n== %s\n' "$*" >&2; }

timed() {
    local label="$1" start
    shift
    start=$EPOCHREALTIME
    "$@"
    printf '   %s: %s s\n' "$label" "$(since "$start")" >&2
}

# Terraform's name for this machine's platform, e.g. linux_amd64 or darwin_arm64.
tf_platform() {
    local os arch
    os="$(uname -s | tr '[:upper:]' '[:lower:]')"
    case "$(uname -m)" in
        x86_64 | amd64) arch=amd64 ;;
        aarch64 | arm64) arch=arm64 ;;
        *) arch="$(uname -m)" ;;
    esac
    printf '%s_%s' "$os" "$arch"
}

write_cli_config() {
    local work="$1" binary="$2" plat
    plat="$work/mirror/registry.terraform.io/mosia/mosia/$MOSIA_PROVIDER_VERSION/$(tf_platform)"
    mkdir -p "$plat"
    ln -sf "$binary" "$plat/terraform-provider-mosia_v$MOSIA_PROVIDER_VERSION"
    cat >"$work/cli.tfrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/mosia/mosia"]
  }
  direct {
    exclude = ["registry.terraform.io/mosia/mosia"]
  }
}
CFG
    printf '%s\n' "$work/cli.tfrc"
}
