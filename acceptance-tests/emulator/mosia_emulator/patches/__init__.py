"""Patches to moto 5.2.5: lifecycles and the calls moto lacks or answers wrongly."""

from __future__ import annotations

import functools
import importlib
import threading
from typing import Any, Callable



def wrap(cls: Any, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Replace cls.name by fn(original, self, *args, **kwargs)."""

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        original = getattr(cls, name)

        @functools.wraps(original)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            return fn(original, self, *args, **kwargs)

        setattr(cls, name, wrapper)
        return wrapper

    return decorator


def add(cls: Any, name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add (or replace) a method on cls."""

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        setattr(cls, name or fn.__name__, fn)
        return fn

    return decorator


# Service (SigV4 signing name) -> module with its patches. Patches are applied on the
# first request for a service: importing moto's RDS models pulls in EC2's (over a second),
# which would otherwise be paid at every start.
MODULES = {
    "eks": "autoscaling_nodegroups", "rds": "rds_insights", "elasticache": "elasticache_snapshots", "kafka": "kafka_monitoring", "s3": "s3",
    "iam": "iam", "ec2": "ec2_flow_logs", "secretsmanager": "secretsmanager_kms", "kms": "kms_policy",
    "logs": "logs_retention", "sts": "sts", "application-autoscaling": "applicationautoscaling",
    "sns": "sns_rules", "monitoring": "cloudwatch_alarms", "budgets": "budgets_rules",
    "ce": "ce_rules", "backup": "backup_rules",
    "autoscaling": "autoscaling_nodegroups",
}
_state: Any = None
_done: set[str] = set()
_lock = threading.Lock()


def apply_all(state: Any) -> None:
    """Remember the state; patches are applied lazily by `ensure`."""
    global _state
    _state = state


def ensure(service: str) -> None:
    """Apply the patches for `service` (once), before its first request is dispatched."""
    module = MODULES.get(service)
    if module is None or module in _done:
        return
    with _lock:
        if module in _done:
            return
        importlib.import_module(f"{__name__}.{module}").apply(_state)
        _done.add(module)


def ensure_all() -> None:
    for service in MODULES:
        ensure(service)
