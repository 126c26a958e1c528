"""Requests the emulator refused: by the API model (a malformed request: from the provider,
always a bug) or by an AWS rule (a well-formed request AWS refuses in this state).
Reported by `GET /_mosia/calls` under "rejected"."""

from __future__ import annotations

import threading
from typing import Any, TypeVar

KEEP = 200  # most recent rejections kept with their details
_lock = threading.Lock()
_counts = {"validation": 0, "rule": 0, "unparsed": 0}
_recent: list[dict[str, Any]] = []
_unparsed: list[str] = []
# Never cleared (not even by /_mosia/reset): the test harness checks that no request of a
# whole test was refused by the model, whatever the test reset in between.
_since_start = {"validation": 0, "rule": 0}

E = TypeVar("E", bound=BaseException)


def record(kind: str, service: str, operation: str, code: str, message: str) -> None:
    with _lock:
        _counts[kind] = _counts.get(kind, 0) + 1
        _since_start[kind] = _since_start.get(kind, 0) + 1
        _recent.append(
            {"kind": kind, "service": service, "operation": operation, "code": code, "message": message}
        )
        del _recent[:-KEEP]


def record_unparsed(detail: str) -> None:
    """A request the model validation could not parse (passed on unjudged)."""
    with _lock:
        _counts["unparsed"] += 1
        _unparsed.append(detail)
        del _unparsed[:-KEEP]


def rule(error: E, service: str = "", operation: str = "") -> E:
    """Record an AWS rule's refusal and return the error to raise:
    `raise rejections.rule(InvalidParameterCombination("..."), "rds", "CreateDBInstance")`."""
    # moto's JSON errors keep the HTTP status in `code` and the AWS code in `error_type`.
    code = getattr(error, "error_type", None) or getattr(error, "code", None)
    if not isinstance(code, str):
        code = type(error).__name__
    message = str(getattr(error, "message", None) or getattr(error, "description", None) or error)
    record("rule", service, operation, code, message)
    return error


def snapshot() -> dict[str, Any]:
    with _lock:
        return {
            **_counts,
            "since_start": dict(_since_start),
            "requests": list(_recent),
            "unparsed_requests": list(_unparsed),
        }


def clear() -> None:
    with _lock:
        for key in _counts:
            _counts[key] = 0
        _unparsed.clear()
