"""Patches to moto 5.2.5: lifecycles and the calls moto lacks or answers wrongly."""

from __future__ import annotations

import functools
from typing import Any, Callable

_applied = False


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


def apply_all(state: Any) -> None:
    global _applied
    if _applied:
        return
    _applied = True
    from . import eks, elasticache, kafka, rds

    for module in (eks, rds, elasticache, kafka):
        module.apply(state)
