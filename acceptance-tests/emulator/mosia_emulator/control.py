"""Fault injection, call accounting and the /_mosia/ control API."""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any, Callable

from . import events, lifecycle, rejections

THROTTLING_CODES = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
}
SERVER_ERROR_STATUS = {
    "InternalError": 500,
    "InternalFailure": 500,
    "InternalServerError": 500,
    "InternalServerErrorException": 500,
    "ServiceException": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
    "SlowDown": 503,
}


def default_status(service: str, code: str | None) -> int:
    if code in SERVER_ERROR_STATUS:
        return SERVER_ERROR_STATUS[code]
    if code == "TooManyRequestsException":
        return 429
    return 400


class Fault:
    def __init__(self, spec: dict[str, Any], seq: int) -> None:
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        self.id = seq
        self.service = str(spec.get("service") or "*").lower()
        self.operation = str(spec.get("operation") or "*")
        count = spec.get("count", 1)
        self.remaining: int | None = None if count in (None, 0) else int(count)
        if self.remaining is not None and self.remaining < 0:
            raise ValueError("count must be >= 0 (0 or null: every call until cleared)")
        self.error_code = spec.get("error_code")
        self.message = str(
            spec.get("message") or f"Injected fault ({self.error_code or 'latency'})"
        )
        self.http_status = spec.get("http_status")
        self.latency_ms = int(spec.get("latency_ms") or 0)
        if not self.error_code and not self.latency_ms:
            raise ValueError("a fault needs error_code and/or latency_ms")
        self.hits = 0

    def matches(self, service: str, operation: str) -> bool:
        return (self.service in ("*", service)) and (
            self.operation in ("*", operation) or self.operation.lower() == operation.lower()
        )

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "operation": self.operation,
            "remaining": self.remaining,
            "error_code": self.error_code,
            "http_status": self.http_status,
            "message": self.message,
            "latency_ms": self.latency_ms,
            "hits": self.hits,
        }


class State:
    """Faults, call counts and the launch configuration (restored by reset)."""

    def __init__(self, profile: str, initial_durations: dict[str, Any]) -> None:
        self.lock = threading.Lock()
        self.faults: list[Fault] = []
        self.fault_seq = 0
        self.calls: dict[str, dict[str, int]] = {}
        self.total = 0
        self.faulted = 0
        self.started = time.time()
        self.profile = profile
        self.initial_durations = initial_durations
        self.reset_hooks: list[Callable[[], None]] = []

    # -- accounting -------------------------------------------------------------
    def record(self, service: str, operation: str) -> None:
        with self.lock:
            ops = self.calls.setdefault(service, {})
            ops[operation] = ops.get(operation, 0) + 1
            self.total += 1

    def calls_json(self) -> dict[str, Any]:
        with self.lock:
            return {
                "total": self.total,
                "faulted": self.faulted,
                "services": {s: dict(sorted(o.items())) for s, o in sorted(self.calls.items())},
                "rejected": rejections.snapshot(),
            }

    def clear_calls(self) -> None:
        with self.lock:
            self.calls.clear()
            self.total = 0
            self.faulted = 0
        rejections.clear()

    # -- faults -----------------------------------------------------------------
    def add_fault(self, spec: dict[str, Any]) -> Fault:
        with self.lock:
            self.fault_seq += 1
            fault = Fault(spec, self.fault_seq)
            self.faults.append(fault)
            return fault

    def take_fault(self, service: str, operation: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(service, operation):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self.faults.remove(fault)
                    if fault.error_code:
                        self.faulted += 1
                    return fault
            return None

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()
        lifecycle.FAULTS.clear()

    # -- reset ------------------------------------------------------------------
    def reset_all(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        lifecycle.SCHEDULER.clear()
        moto_api_backend.reset()
        for hook in self.reset_hooks:
            hook()
        self.clear_faults()
        self.clear_calls()
        lifecycle.DURATIONS.set_profile(self.profile)
        lifecycle.DURATIONS.merge({"durations": self.initial_durations})


def _json(status: int, payload: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    return (
        status,
        [("Content-Type", "application/json")],
        (json.dumps(payload, indent=None, default=str) + "\n").encode(),
    )


def handle_control(
    state: State, method: str, path: str, query: str, body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    """The /_mosia/ API. Returns (status, headers, body)."""
    route = path[len("/_mosia") :].rstrip("/") or "/"
    try:
        data = json.loads(body.decode() or "null") if body else None
    except ValueError as err:
        return _json(400, {"error": f"invalid JSON: {err}"})
    try:
        if route == "/health" and method in ("GET", "HEAD"):
            import moto

            return _json(
                200,
                {
                    "status": "ok",
                    "emulator": "mosia",
                    "moto": moto.__version__,
                    "pid": os.getpid(),
                    "profile": lifecycle.DURATIONS.profile,
                    "uptime_seconds": round(time.time() - state.started, 3),
                    "pending_transitions": lifecycle.SCHEDULER.pending(),
                },
            )
        if route == "/calls":
            if method == "GET":
                return _json(200, state.calls_json())
            if method == "DELETE":
                state.clear_calls()
                return _json(200, {"status": "ok"})
        if route == "/calls/reset" and method == "POST":
            state.clear_calls()
            return _json(200, {"status": "ok"})
        if route == "/faults":
            if method == "GET":
                with state.lock:
                    calls = [f.describe() for f in state.faults]
                return _json(
                    200, {"faults": calls, "lifecycle_faults": lifecycle.FAULTS.describe()}
                )
            if method == "POST":
                specs = data if isinstance(data, list) else [data]
                added = []
                for spec in specs:
                    spec = spec or {}
                    if not isinstance(spec, dict):
                        raise ValueError("a fault is a JSON object")
                    if "kind" in spec:
                        with state.lock:
                            state.fault_seq += 1
                            seq = state.fault_seq
                        added.append(lifecycle.FAULTS.add(spec, seq).describe())
                    else:
                        added.append(state.add_fault(spec).describe())
                return _json(200, {"status": "ok", "faults": added})
            if method == "DELETE":
                state.clear_faults()
                return _json(200, {"status": "ok"})
        if route == "/durations":
            if method == "GET":
                return _json(200, lifecycle.DURATIONS.snapshot())
            if method in ("POST", "PUT"):
                lifecycle.DURATIONS.merge(data or {})
                return _json(200, lifecycle.DURATIONS.snapshot())
        if route == "/events":
            if method == "GET":
                return _json(200, {"events": events.names()})
            if method == "POST":
                if not isinstance(data, dict):
                    raise ValueError('an event is a JSON object: {"event": NAME, ...}')
                return _json(200, {"status": "ok", "result": events.fire(data)})
        if route == "/reset" and method == "POST":
            state.reset_all()
            return _json(200, {"status": "ok"})
        if route == "/" and method == "GET":
            return _json(
                200,
                {
                    "endpoints": [
                        "GET /_mosia/health",
                        "GET|DELETE /_mosia/calls",
                        "POST /_mosia/calls/reset",
                        "GET|POST|DELETE /_mosia/faults",
                        "GET|POST /_mosia/durations",
                        "GET|POST /_mosia/events",
                        "POST /_mosia/reset",
                    ]
                },
            )
    except ValueError as err:
        return _json(400, {"error": str(err)})
    _ = query  # no control endpoint takes query parameters yet
    return _json(404, {"error": f"no such control endpoint: {method} {path}"})
