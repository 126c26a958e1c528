#!/usr/bin/env bash
# `make release VERSION=x.y.z`: the provider as the Terraform Registry and `terraform providers
# mirror` ship it, in dist/ (DIST overrides):
#   terraform-provider-mosia_VERSION_OS_ARCH.zip   one per platform whose Rust target is installed
#   terraform-provider-mosia_VERSION_manifest.json protocol 6.0
#   terraform-provider-mosia_VERSION_SHA256SUMS    of the archives and the manifest
#   terraform-provider-mosia_VERSION_SHA256SUMS.sig detached GPG signature (key GPG_KEY_ID)
#   mirror/     a provider network mirror (index.json, VERSION.json with zh: hashes, archives)
#   fs-mirror/  the same archives in a filesystem mirror's packed layout
# VERSION must be the version the binary reports (`--version`, the workspace version).
# MOSIA_RELEASE_BINARY=path packages that binary for linux_amd64 instead of building (tests);
# MOSIA_RELEASE_UNSIGNED=1 skips the signature (local builds only: Terraform's registry
# protocol needs it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VERSION="${1:-${VERSION:-}}"
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || {
    echo "release: VERSION must be x.y.z (got '${VERSION}'): make release VERSION=0.1.0" >&2
    exit 2
}
DIST="${DIST:-dist}"
NAME=terraform-provider-mosia
if [[ -z "${GPG_KEY_ID:-}" && "${MOSIA_RELEASE_UNSIGNED:-}" != 1 ]]; then
    echo "release: set GPG_KEY_ID to the signing key (or MOSIA_RELEASE_UNSIGNED=1 for a local, unsigned build)" >&2
    exit 2
fi

# Rust target -> Terraform platform.
declare -A PLATFORMS=(
    [x86_64-unknown-linux-gnu]=linux_amd64 [aarch64-unknown-linux-gnu]=linux_arm64
    [x86_64-apple-darwin]=darwin_amd64 [aarch64-apple-darwin]=darwin_arm64
    [x86_64-pc-windows-gnu]=windows_amd64
)

# "platform binary" lines: what to package.
binaries() {
    if [[ -n "${MOSIA_RELEASE_BINARY:-}" ]]; then
        echo "linux_amd64 ${MOSIA_RELEASE_BINARY}"
        return
    fi
    local target
    for target in $(rustup target list --installed); do
        [[ -n "${PLATFORMS[$target]:-}" ]] || continue
        echo "release: cargo build --release --target $target" >&2
        cargo build --release --locked -q -p "$NAME" --target "$target" >&2
        local exe="target/$target/release/$NAME"
        [[ "$target" == *windows* ]] && exe="$exe.exe"
        echo "${PLATFORMS[$target]} $exe"
    done
}

# Earlier versions stay: the mirrors list every version they hold.
rm -f "$DIST/${NAME}_${VERSION}_"*
mkdir -p "$DIST"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
while read -r platform exe; do
    reported="$("$exe" --version 2>/dev/null || true)"
    if [[ "$platform" == linux_amd64 && "$reported" != "$NAME $VERSION" ]]; then
        echo "release: $exe reports '$reported', not '$NAME $VERSION': set the workspace version first" >&2
        exit 1
    fi
    suffix=""
    [[ "$platform" == windows_* ]] && suffix=".exe"
    mkdir -p "$stage/$platform"
    cp "$exe" "$stage/$platform/${NAME}_v${VERSION}${suffix}"
    # -X: no extra attributes, so the archive's hash depends on the binary only.
    (cd "$stage/$platform" && zip -q -X "../${NAME}_${VERSION}_${platform}.zip" "${NAME}_v${VERSION}${suffix}")
    mv "$stage/${NAME}_${VERSION}_${platform}.zip" "$DIST/"
done < <(binaries)
ls "$DIST"/*.zip >/dev/null 2>&1 || { echo "release: no platform to build (no known Rust target installed)" >&2; exit 1; }

printf '{"version":1,"metadata":{"protocol_versions":["6.0"]}}\n' >"$DIST/${NAME}_${VERSION}_manifest.json"
(cd "$DIST" && sha256sum -- *.zip "${NAME}_${VERSION}_manifest.json" >"${NAME}_${VERSION}_SHA256SUMS")
if [[ -n "${GPG_KEY_ID:-}" ]]; then
    gpg --batch --yes --local-user "$GPG_KEY_ID" --output "$DIST/${NAME}_${VERSION}_SHA256SUMS.sig" \
        --detach-sign "$DIST/${NAME}_${VERSION}_SHA256SUMS"
fi
python3 scripts/release-mirror.py "$DIST" "$VERSION"
echo "release: $(cd "$DIST" && ls -1 | tr '\n' ' ')"
