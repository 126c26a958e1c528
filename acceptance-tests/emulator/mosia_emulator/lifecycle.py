"""Resource lifecycles: configurable durations and a scheduler of pending transitions.

Statuses are plain attributes on moto's model objects. A transition sets the
"busy" status (CREATING, modifying, DELETING, ...) at once and schedules the
final one; `Scheduler.tick()` runs every due transition and is called before each
request is handled, so every answer reflects the time it is asked.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import json
import os
import threading
import time
from typing import Any, Callable

KINDS = (
    "eks_cluster",
    "eks_nodegroup",
    "eks_addon",
    "rds_instance",
    "elasticache_replication_group",
    "elasticache_user_group",
    "msk_cluster",
    "iam_role",
    "ec2_resource",
)
TRANSITIONS = ("create", "update", "delete")

# Kinds with other transitions than create/update/delete: AWS's timing behaviours that are
# not a status change of their own (propagation delays, follow-up statuses).
KIND_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "rds_instance": TRANSITIONS + ("storage_optimization",),
    "iam_role": ("propagate",),
    "ec2_resource": ("propagate",),
}


def transitions_of(kind: str) -> tuple[str, ...]:
    return KIND_TRANSITIONS.get(kind, TRANSITIONS)

# Typical real AWS durations in seconds (terraform-provider-aws acceptance runs and
# AWS documentation), used by the `scaled` profile.
REAL_AWS_SECONDS: dict[str, dict[str, float]] = {
    "eks_cluster": {"create": 660, "update": 1500, "delete": 300},
    "eks_nodegroup": {"create": 900, "update": 600, "delete": 420},
    "eks_addon": {"create": 60, "update": 60, "delete": 30},
    "rds_instance": {"create": 510, "update": 300, "delete": 360},
    "elasticache_replication_group": {"create": 750, "update": 900, "delete": 420},
    "elasticache_user_group": {"create": 60, "update": 60, "delete": 30},
    "msk_cluster": {"create": 1740, "update": 1200, "delete": 900},
}

# `scaled` divides real durations by this (override: MOSIA_EMULATOR_SCALE, a factor
# such as 0.01); one real minute becomes one second by default.
DEFAULT_SCALE = 1.0 / 60.0

LIFECYCLE_PROFILE_SECONDS: dict[str, float] = {"create": 3.0, "update": 2.0, "delete": 2.0}


def profile_durations(profile: str) -> dict[str, dict[str, float]]:
    zero = {k: {t: 0.0 for t in transitions_of(k)} for k in KINDS}
    if profile == "zero":
        return zero
    if profile == "lifecycle":
        return {
            k: {**zero[k], **{t: v for t, v in LIFECYCLE_PROFILE_SECONDS.items() if t in zero[k]}}
            for k in KINDS
        }
    if profile == "scaled":
        scale = float(os.environ.get("MOSIA_EMULATOR_SCALE", DEFAULT_SCALE))
        return {
            k: {**zero[k], **{t: round(v * scale, 3) for t, v in REAL_AWS_SECONDS.get(k, {}).items()}}
            for k in KINDS
        }
    raise ValueError(f"unknown profile {profile!r} (zero, lifecycle, scaled)")


class Durations:
    """Seconds per kind and transition. Thread-safe."""

    def __init__(self, profile: str = "zero") -> None:
        self._lock = threading.Lock()
        self.profile = profile
        self._values = profile_durations(profile)

    def get(self, kind: str, transition: str) -> float:
        with self._lock:
            return float(self._values.get(kind, {}).get(transition, 0.0))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"profile": self.profile, "durations": copy.deepcopy(self._values)}

    def set_profile(self, profile: str) -> None:
        values = profile_durations(profile)
        with self._lock:
            self.profile = profile
            self._values = values

    def merge(self, cfg: dict[str, Any]) -> None:
        """Merge a config: {"profile": "lifecycle", "durations": {...}} or just {...}.

        Durations map a kind (or "*" for every kind) to either a number (every
        transition) or {"create": s, "update": s, "delete": s}.
        """
        if not isinstance(cfg, dict):
            raise ValueError("durations config must be a JSON object")
        if "profile" in cfg:
            self.set_profile(str(cfg["profile"]))
        body = cfg.get("durations", cfg if "profile" not in cfg else {})
        if not isinstance(body, dict):
            raise ValueError("'durations' must be a JSON object")
        updates: list[tuple[str, str, float]] = []
        for kind, value in body.items():
            kinds = KINDS if kind == "*" else (kind,)
            for k in kinds:
                if k not in KINDS:
                    raise ValueError(f"unknown kind {k!r}; known: {', '.join(KINDS)}")
                if isinstance(value, (int, float)):
                    updates.extend((k, t, float(value)) for t in transitions_of(k))
                elif isinstance(value, dict):
                    for t, v in value.items():
                        if t not in transitions_of(k):
                            raise ValueError(
                                f"unknown transition {t!r} for {k}; known: {', '.join(transitions_of(k))}"
                            )
                        updates.append((k, t, float(v)))
                else:
                    raise ValueError(f"bad duration for {kind!r}: {value!r}")
        for _, _, v in updates:
            if v < 0:
                raise ValueError("durations must be >= 0")
        with self._lock:
            for k, t, v in updates:
                self._values.setdefault(k, {})[t] = v

    def load_environment(self) -> None:
        path = os.environ.get("MOSIA_EMULATOR_DURATIONS_FILE")
        if path:
            with open(path, encoding="utf-8") as f:
                self.merge(json.load(f))
        inline = os.environ.get("MOSIA_EMULATOR_DURATIONS")
        if inline:
            self.merge(json.loads(inline))


class Scheduler:
    """Pending transitions, run by `tick()` (called before every request)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()

    def after(self, seconds: float, fn: Callable[[], None]) -> None:
        """Run fn at the first tick at least `seconds` from now. With zero, that is the
        next request: the answer to the call that started a transition still shows the
        busy status (as AWS's does: a create answers "creating"), the next call the final one."""
        with self._lock:
            heapq.heappush(
                self._heap, (time.monotonic() + max(seconds, 0.0), next(self._seq), fn)
            )

    def tick(self) -> None:
        now = time.monotonic()
        with self._lock:
            while self._heap and self._heap[0][0] <= now:
                _, _, fn = heapq.heappop(self._heap)
                try:
                    fn()
                except Exception as err:  # a stale transition must not break requests
                    print(f"mosia-emulator: transition failed: {err!r}", flush=True)

    def pending(self) -> int:
        with self._lock:
            return len(self._heap)

    def clear(self) -> None:
        with self._lock:
            self._heap.clear()


# Status a transition ends in when a lifecycle fault makes it fail. None: the object is
# left in its status before the transition (updates), or kept instead of removed (deletes).
FAILED_STATUS: dict[str, dict[str, str | None]] = {
    "eks_cluster": {"create": "FAILED", "update": "ACTIVE", "delete": "FAILED"},
    "eks_nodegroup": {"create": "CREATE_FAILED", "update": "ACTIVE", "delete": "DELETE_FAILED"},
    "eks_addon": {"create": "CREATE_FAILED", "update": "UPDATE_FAILED", "delete": "DELETE_FAILED"},
    "rds_instance": {"create": "failed", "update": "incompatible-parameters", "delete": "failed"},
    "elasticache_replication_group": {"create": "create-failed", "update": "available", "delete": "available"},
    "msk_cluster": {"create": "FAILED", "update": "ACTIVE", "delete": "FAILED"},
}


class LifecycleFault:
    def __init__(self, spec: dict[str, Any], seq: int) -> None:
        self.id = seq
        self.kind = str(spec.get("kind"))
        if self.kind not in KINDS and self.kind != "*":
            raise ValueError(f"unknown kind {self.kind!r}; known: {', '.join(KINDS)}")
        self.transition = str(spec.get("transition") or "create")
        if self.transition not in TRANSITIONS:
            raise ValueError(f"unknown transition {self.transition!r}; known: {', '.join(TRANSITIONS)}")
        count = spec.get("count", 1)
        self.remaining: int | None = None if count in (None, 0) else int(count)
        self.message = str(spec.get("message") or f"Injected {self.transition} failure")
        self.name = spec.get("name")  # optional: only the resource with this name/id
        self.hits = 0

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "transition": self.transition,
            "name": self.name, "remaining": self.remaining, "message": self.message,
            "hits": self.hits,
        }


class LifecycleFaults:
    """Make the next N transitions of a kind end in failure."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults: list[LifecycleFault] = []

    def add(self, spec: dict[str, Any], seq: int) -> LifecycleFault:
        fault = LifecycleFault(spec, seq)
        with self._lock:
            self.faults.append(fault)
        return fault

    def take(self, kind: str, transition: str, name: str | None) -> LifecycleFault | None:
        with self._lock:
            for fault in self.faults:
                if fault.kind in ("*", kind) and fault.transition == transition and (
                    fault.name is None or fault.name == name
                ):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self.faults]

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()


DURATIONS = Durations()
SCHEDULER = Scheduler()
FAULTS = LifecycleFaults()


def begin(
    obj: Any,
    kind: str,
    transition: str,
    busy: str,
    done: str | None,
    attr: str = "status",
    on_done: Callable[[], None] | None = None,
    on_status: Callable[[str], None] | None = None,
    name: str | None = None,
    on_fail: Callable[[str], None] | None = None,
) -> float:
    """Put `obj` in `busy` now and in `done` after the configured duration.

    A later transition on the same object supersedes a pending one (its final
    status is not applied). `done=None` leaves the status alone at the end (for
    deletes, where `on_done` removes the object). When a lifecycle fault matches
    (kind, transition, name), the transition ends in FAILED_STATUS instead, `on_fail`
    gets the fault's message, and `on_done` is not called. Returns the duration.
    """
    seconds = DURATIONS.get(kind, transition)
    token = object()
    previous = getattr(obj, attr, None)
    obj._mosia_token = token
    fault = FAULTS.take(kind, transition, name)

    def set_status(value: str) -> None:
        setattr(obj, attr, value)
        if on_status is not None:
            on_status(value)

    set_status(busy)

    def finish() -> None:
        if getattr(obj, "_mosia_token", None) is not token:
            return
        if fault is not None:
            failed = FAILED_STATUS.get(kind, {}).get(transition)
            if transition == "update" and failed is None:
                failed = previous
            if failed is not None:
                set_status(failed)
            if on_fail is not None:
                on_fail(fault.message)
            return
        if done is not None:
            set_status(done)
        if on_done is not None:
            on_done()

    SCHEDULER.after(seconds, finish)
    return seconds
