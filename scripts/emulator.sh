#!/usr/bin/env bash
# Start or stop Mosia's AWS emulator (moto + extensions) in the background.
#
#   scripts/emulator.sh start    # EMULATOR_PORT (default 4566), EMULATOR_PROFILE (zero|lifecycle|scaled)
#   scripts/emulator.sh stop
#   scripts/emulator.sh status
#
# The PID is recorded in .emulator/pid and the log is .emulator/emulator.log.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/.emulator"
PIDFILE="$STATE/pid"
PORTFILE="$STATE/port"
LOG="$STATE/emulator.log"
PY="$ROOT/.tools/venv/bin/python"
PORT="${EMULATOR_PORT:-4566}"
HOST="${EMULATOR_HOST:-127.0.0.1}"
PROFILE="${EMULATOR_PROFILE:-zero}"

running_pid() {
    [[ -f "$PIDFILE" ]] || return 1
    local pid
    pid="$(cat "$PIDFILE")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && grep -q mosia_emulator "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

health() { # port
    "$PY" - "$HOST" "$1" <<'PY' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/_mosia/health", timeout=1) as r:
    sys.exit(0 if json.load(r).get("status") == "ok" else 1)
PY
}

start() {
    if [[ ! -x "$PY" ]]; then
        echo "emulator: $PY not found; run \`make tools\` first" >&2
        exit 1
    fi
    mkdir -p "$STATE"
    if pid="$(running_pid)"; then
        port="$(cat "$PORTFILE" 2>/dev/null || echo "$PORT")"
        echo "emulator: already running (pid $pid) on $HOST:$port" >&2
        echo "export AWS_ENDPOINT_URL=http://$HOST:$port"
        return 0
    fi
    rm -f "$PORTFILE"
    local t0 t1
    t0="$(date +%s%N)"
    MOTO_IAM_LOAD_MANAGED_POLICIES=true PYTHONPATH="$ROOT/acceptance-tests/emulator${PYTHONPATH:+:$PYTHONPATH}" \
        nohup "$PY" -m mosia_emulator --host "$HOST" --port "$PORT" --profile "$PROFILE" \
        --port-file "$PORTFILE" >"$LOG" 2>&1 </dev/null &
    local pid=$!
    echo "$pid" >"$PIDFILE"
    for _ in $(seq 1 300); do # up to 30 s
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "emulator: exited during start-up; log $LOG:" >&2
            tail -n 20 "$LOG" >&2
            rm -f "$PIDFILE"
            exit 1
        fi
        if [[ -s "$PORTFILE" ]] && port="$(tr -d '[:space:]' <"$PORTFILE")" && health "$port"; then
            t1="$(date +%s%N)"
            echo "emulator: started (pid $pid, profile $PROFILE) on $HOST:$port in $(((t1 - t0) / 1000000)) ms; log $LOG" >&2
            echo "export AWS_ENDPOINT_URL=http://$HOST:$port"
            return 0
        fi
        sleep 0.1
    done
    echo "emulator: did not answer within 30 s; log $LOG" >&2
    kill "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
    exit 1
}

stop() {
    if pid="$(running_pid)"; then
        kill "$pid"
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -9 "$pid" 2>/dev/null || true
        fi
        echo "emulator: stopped (pid $pid)" >&2
    else
        echo "emulator: not running" >&2
    fi
    rm -f "$PIDFILE" "$PORTFILE"
}

status() {
    if pid="$(running_pid)"; then
        echo "emulator: running (pid $pid) on $HOST:$(cat "$PORTFILE" 2>/dev/null || echo "$PORT")"
    else
        echo "emulator: not running"
        return 1
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
