"""Out-of-band events: what AWS does on its own (automatic upgrades, storage autoscaling,
objects a cluster creates), triggered through `POST /_mosia/events`.

A patch module registers its handlers with `@register("name")` when it is applied; `fire`
applies every service's patches first, so an event can be fired before its service's first
request."""

from __future__ import annotations

from typing import Any, Callable

Handler = Callable[[dict[str, Any]], Any]
HANDLERS: dict[str, Handler] = {}


def register(name: str) -> Callable[[Handler], Handler]:
    def decorator(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return decorator


def names() -> list[str]:
    from . import patches

    patches.ensure_all()
    return sorted(HANDLERS)


def fire(payload: dict[str, Any]) -> Any:
    """Run the event named by payload["event"] with the whole payload; its answer is returned
    to the caller. Unknown events and bad payloads raise ValueError (HTTP 400)."""
    from . import patches

    patches.ensure_all()
    name = payload.get("event")
    handler = HANDLERS.get(str(name))
    if handler is None:
        raise ValueError(f"unknown event {name!r}; known: {', '.join(sorted(HANDLERS))}")
    return handler(payload)
