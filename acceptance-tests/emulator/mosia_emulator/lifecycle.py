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
    "rds_instance",
    "elasticache_replication_group",
    "msk_cluster",
)
TRANSITIONS = ("create", "update", "delete")

# Typical real AWS durations in seconds (terraform-provider-aws acceptance runs and
# AWS documentation), used by the `scaled` profile.
REAL_AWS_SECONDS: dict[str, dict[str, float]] = {
    "eks_cluster": {"create": 660, "update": 1500, "delete": 300},
    "eks_nodegroup": {"create": 900, "update": 600, "delete": 420},
    "rds_instance": {"create": 510, "update": 300, "delete": 360},
    "elasticache_replication_group": {"create": 750, "update": 900, "delete": 420},
    "msk_cluster": {"create": 1740, "update": 1200, "delete": 900},
}

# `scaled` divides real durations by this (override: MOSIA_EMULATOR_SCALE, a factor
# such as 0.01); one real minute becomes one second by default.
DEFAULT_SCALE = 1.0 / 60.0

LIFECYCLE_PROFILE_SECONDS: dict[str, float] = {"create": 3.0, "update": 2.0, "delete": 2.0}


def profile_durations(profile: str) -> dict[str, dict[str, float]]:
    if profile == "zero":
        return {k: {t: 0.0 for t in TRANSITIONS} for k in KINDS}
    if profile == "lifecycle":
        return {k: dict(LIFECYCLE_PROFILE_SECONDS) for k in KINDS}
    if profile == "scaled":
        scale = float(os.environ.get("MOSIA_EMULATOR_SCALE", DEFAULT_SCALE))
        return {
            k: {t: round(v * scale, 3) for t, v in REAL_AWS_SECONDS[k].items()}
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
                    updates.extend((k, t, float(value)) for t in TRANSITIONS)
                elif isinstance(value, dict):
                    for t, v in value.items():
                        if t not in TRANSITIONS:
                            raise ValueError(
                                f"unknown transition {t!r}; known: {', '.join(TRANSITIONS)}"
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
        if seconds <= 0:
            with self._lock:
                fn()
            return
        with self._lock:
            heapq.heappush(self._heap, (time.monotonic() + seconds, next(self._seq), fn))

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


DURATIONS = Durations()
SCHEDULER = Scheduler()


def begin(
    obj: Any,
    kind: str,
    transition: str,
    busy: str,
    done: str | None,
    attr: str = "status",
    on_done: Callable[[], None] | None = None,
    on_status: Callable[[str], None] | None = None,
) -> float:
    """Put `obj` in `busy` now and in `done` after the configured duration.

    A later transition on the same object supersedes a pending one (its final
    status is not applied). `done=None` leaves the status alone at the end (for
    deletes, where `on_done` removes the object). Returns the duration.
    """
    seconds = DURATIONS.get(kind, transition)
    token = object()
    obj._mosia_token = token

    def set_status(value: str) -> None:
        setattr(obj, attr, value)
        if on_status is not None:
            on_status(value)

    set_status(busy)

    def finish() -> None:
        if getattr(obj, "_mosia_token", None) is not token:
            return
        if done is not None:
            set_status(done)
        if on_done is not None:
            on_done()

    SCHEDULER.after(seconds, finish)
    return seconds
