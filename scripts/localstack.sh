#!/usr/bin/env bash
# A real LocalStack (localstack-core from PyPI, run as a plain Python process: no Docker)
# for the acceptance tests that need only S3, STS, IAM, EC2, Secrets Manager and KMS.
#
#   scripts/localstack.sh install   # .tools/localstack-venv (idempotent; FORCE=1 reinstalls)
#   scripts/localstack.sh start     # on 127.0.0.1, a free port; prints AWS_ENDPOINT_URL
#   scripts/localstack.sh stop      # SIGTERM, SIGKILL after a few seconds; data removed
#   scripts/localstack.sh status
#   scripts/localstack.sh test      # install, start, the LocalStack subset of the acceptance
#                                   # tests (LOCALSTACK_FILTER), stop (also on failure)
#   scripts/localstack.sh python    # the Python >= 3.13 it would use, or exit 3 and say why
#
# LocalStack 2026.3.0 needs Python 3.13 or newer (its code imports `warnings.deprecated`,
# new in 3.13; on 3.12 it fails at start with "No component plugins found"): python3.14,
# python3.13 or python3 on PATH, then pyenv's versions ($(pyenv root)/versions/3.1[3-9]*),
# or LOCALSTACK_PYTHON=... When none is found, install and test exit with status 3 and a message
# starting with "needs Python >= 3.13".
# State (pid, port, data directory, log) is kept in .localstack/; LocalStack's data lives in
# a temporary directory removed by stop. See acceptance-tests/emulator/README.md,
# "LocalStack differences", for what it does differently from our emulator.
set -euo pipefail

LOCALSTACK_VERSION="2026.3.0"
# Without these pins LocalStack 2026.3.0 does not start: cbor2 6.x lacks cbor2._decoder,
# pyopenssl 26.x lacks X509.add_extensions.
PINS=("cbor2==5.8.0" "pyopenssl==25.3.0")

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.tools/localstack-venv"
STAMP="$VENV/.mosia-stamp"
STATE="$ROOT/.localstack"
PIDFILE="$STATE/pid"
PORTFILE="$STATE/port"
DIRFILE="$STATE/data-dir"
LOG="$STATE/localstack.log"
HOST="127.0.0.1"
# [runtime]: the server's own dependencies (rolo, hypercorn, moto-ext, ...); the bare
# package holds only the CLI.
PACKAGE="localstack-core[runtime]==$LOCALSTACK_VERSION"
KEY="$PACKAGE ${PINS[*]}"

# The acceptance tests that need only the services LocalStack serves (no EKS, RDS,
# ElastiCache, MSK, DynamoDB): the state backend in S3-lock-file mode on the three cores,
# the bootstrap (its backend uses S3 lock files), provider configuration (assume_role via
# STS), and the network and IAM parts.
DEFAULT_FILTER='package(mosia-acceptance-tests) & ((binary(state_backend) & test(/lock_files/)) | binary(bootstrap) | (binary(provider_config) & test(assume_role)) | binary(part_network_iam))'
FILTER="${LOCALSTACK_FILTER:-$DEFAULT_FILTER}"

log() { echo "localstack: $*" >&2; }

# --- Python >= 3.13 ---------------------------------------------------------------------
TRIED=()
FOUND_PYTHON=""
python_ok() { # path
    "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 13) else 1)' >/dev/null 2>&1
}
find_python() { # sets FOUND_PYTHON, or TRIED and returns 1
    local c candidates=()
    TRIED=()
    if [[ -n "${LOCALSTACK_PYTHON:-}" ]]; then
        candidates+=("$LOCALSTACK_PYTHON")
    else
        for c in python3.14 python3.13 python3; do
            command -v "$c" >/dev/null 2>&1 && candidates+=("$(command -v "$c")")
        done
        local pyroot=""
        if command -v pyenv >/dev/null 2>&1; then
            pyroot="$(pyenv root 2>/dev/null || true)"
        fi
        [[ -n "$pyroot" ]] || pyroot="${PYENV_ROOT:-$HOME/.pyenv}"
        for c in "$pyroot"/versions/3.1[3-9]*/bin/python3; do
            [[ -x "$c" ]] && candidates+=("$c")
        done
    fi
    for c in "${candidates[@]}"; do
        # pyenv's shims exist for every installed version but fail unless it is selected.
        if python_ok "$c"; then
            FOUND_PYTHON="$c"
            return 0
        fi
        TRIED+=("$c")
    done
    return 1
}
no_python() {
    local tried="${TRIED[*]:-none}"
    echo "needs Python >= 3.13 (tried: ${tried// /, }; none runs as 3.13+; set LOCALSTACK_PYTHON=... or install one, e.g. with pyenv)"
}

# --- install ------------------------------------------------------------------------------
venv_ok() {
    [[ -x "$VENV/bin/python" && -f "$STAMP" && "$(cat "$STAMP")" == "$KEY" ]] \
        && "$VENV/bin/python" - "$LOCALSTACK_VERSION" "${PINS[@]}" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
want = {"localstack-core": sys.argv[1]}
want.update(p.split("==") for p in sys.argv[2:])
ok = sys.version_info >= (3, 13) and all(version(k) == v for k, v in want.items())
version("moto-ext"), version("rolo"), version("hypercorn")  # [runtime] is there
sys.exit(0 if ok else 1)
PY
}

install() {
    if [[ "${FORCE:-0}" != "1" ]] && venv_ok; then
        log "already installed in .tools/localstack-venv ($KEY)"
        return 0
    fi
    local py t0
    if ! find_python; then
        log "$(no_python)"
        return 3
    fi
    py="$FOUND_PYTHON"
    t0=$EPOCHREALTIME
    log "installing $KEY into $VENV with $py ($("$py" -c 'import platform; print(platform.python_version())')) ..."
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "$py" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "$PACKAGE" "${PINS[@]}"
    echo "$KEY" >"$STAMP"
    venv_ok || { log "the venv does not hold the pinned versions"; return 1; }
    log "installed in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s ($(du -sh "$VENV" | cut -f1))"
}

# --- start / stop -------------------------------------------------------------------------
running_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null \
        && grep -q localstack-run.py "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

healthy() { # port
    "$VENV/bin/python" - "$HOST" "$1" <<'PY' >/dev/null 2>&1
import json, sys, urllib.request
with urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/_localstack/health", timeout=2) as r:
    services = json.load(r).get("services", {})
sys.exit(0 if services.get("s3") in ("available", "running") else 1)
PY
}

free_port() {
    "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
    if ! venv_ok; then
        log "not installed: run \`scripts/localstack.sh install\` (or \`make test-localstack\`)"
        return 1
    fi
    mkdir -p "$STATE"
    local pid port
    if pid="$(running_pid)"; then
        port="$(cat "$PORTFILE")"
        log "already running (pid $pid) on $HOST:$port"
        echo "export AWS_ENDPOINT_URL=http://$HOST:$port"
        return 0
    fi
    rm -f "$PIDFILE" "$PORTFILE"
    [[ -f "$DIRFILE" ]] && rm -rf "$(cat "$DIRFILE")" "$DIRFILE"
    local data t0
    data="$(mktemp -d "${TMPDIR:-/tmp}/mosia-localstack.XXXXXX")"
    echo "$data" >"$DIRFILE"
    mkdir -p "$data/tmp"
    port="${LOCALSTACK_PORT:-$(free_port)}"
    t0=$EPOCHREALTIME
    # OVERRIDE_IN_DOCKER=0: the machine has /.dockerenv, and LocalStack would otherwise write
    # to /var/lib/localstack and /etc/localstack. DNS_ADDRESS=0: no DNS server on 0.0.0.0:53.
    # GATEWAY_SERVER=hypercorn: the default server binds 0.0.0.0 whatever GATEWAY_LISTEN says.
    # setsid: its own process group, so that stop reaches any child it starts.
    # scripts/localstack-run.py: `python -m localstack.runtime.main`, with S3's object
    # storage in $FILESYSTEM_ROOT instead of a fixed directory in /tmp.
    env -u AWS_ENDPOINT_URL \
        OVERRIDE_IN_DOCKER=0 \
        GATEWAY_LISTEN="$HOST:$port" \
        GATEWAY_SERVER=hypercorn \
        DNS_ADDRESS=0 \
        DISABLE_EVENTS=1 \
        SKIP_SSL_CERT_DOWNLOAD=1 \
        FILESYSTEM_ROOT="$data" \
        TMPDIR="$data/tmp" \
        LOCALSTACK_HOST="$HOST:$port" \
        setsid "$VENV/bin/python" "$ROOT/scripts/localstack-run.py" >"$LOG" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$PIDFILE"
    echo "$port" >"$PORTFILE"
    for _ in $(seq 1 600); do # up to 60 s (2 cores, maybe a cargo build beside it)
        if ! kill -0 "$pid" 2>/dev/null; then
            log "exited during start-up; log $LOG:"
            tail -n 30 "$LOG" >&2
            rm -f "$PIDFILE" "$PORTFILE"
            return 1
        fi
        if healthy "$port"; then
            log "LocalStack $LOCALSTACK_VERSION started (pid $pid) on $HOST:$port in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s; data $data; log $LOG"
            echo "export AWS_ENDPOINT_URL=http://$HOST:$port"
            return 0
        fi
        sleep 0.1
    done
    log "did not answer /_localstack/health within 60 s; log $LOG:"
    tail -n 30 "$LOG" >&2
    stop
    return 1
}

stop() {
    local pid
    if pid="$(running_pid)"; then
        # The process group setsid made (its id is the pid): LocalStack and any child of it.
        # It stops its services within a second, but the interpreter's exit can then spend
        # 2-10 s in garbage collection (the more services were loaded, the longer): after
        # 5 s, SIGKILL. Nothing is lost: its data directory is thrown away below.
        local t0=$EPOCHREALTIME how="SIGTERM"
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do # 5 s
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            how="SIGKILL, still running 5 s after SIGTERM"
            kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
            for _ in $(seq 1 20); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
        fi
        log "stopped (pid $pid; $how; $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s)"
    else
        log "not running"
    fi
    rm -f "$PIDFILE" "$PORTFILE"
    if [[ -f "$DIRFILE" ]]; then
        rm -rf "$(cat "$DIRFILE")"
        rm -f "$DIRFILE"
    fi
}

status() {
    local pid
    if pid="$(running_pid)"; then
        echo "localstack: running (pid $pid) on $HOST:$(cat "$PORTFILE")"
    else
        echo "localstack: not running"
        return 1
    fi
}

# --- test ---------------------------------------------------------------------------------
run_tests() {
    if ! cargo nextest --version >/dev/null 2>&1; then
        log "SKIPPED: cargo-nextest is needed for the test filter"
        return 0
    fi
    local t0 rc=0 ep
    t0=$EPOCHREALTIME
    install || return $?
    local t_install t_tests
    t_install="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')"
    t0=$EPOCHREALTIME
    trap 'stop' EXIT
    trap 'exit 130' INT TERM
    ep="$(start)"
    ep="${ep#export AWS_ENDPOINT_URL=}"
    log "tests: $FILTER"
    # --workspace --all-features: the same build as scripts/run-tests.sh (nothing rebuilt),
    # and it builds the provider binary the tests put in Terraform's plugin mirror.
    AWS_ENDPOINT_URL="$ep" cargo nextest run --workspace --all-features \
        --profile "${NEXTEST_PROFILE:-default}" -E "$FILTER" "$@" || rc=$?
    t_tests="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')"
    stop
    trap - EXIT
    log "install/check ${t_install} s, LocalStack + tests ${t_tests} s"
    return $rc
}

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
status) status ;;
test) shift; run_tests "$@" ;;
python)
    if find_python; then echo "$FOUND_PYTHON"; else
        log "$(no_python)"
        exit 3
    fi
    ;;
*)
    echo "usage: $0 install|start|stop|status|test [NEXTEST ARGS...]|python" >&2
    exit 2
    ;;
esac
