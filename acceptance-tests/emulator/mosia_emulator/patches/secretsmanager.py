"""Secrets Manager: errors with AWS's HTTP status (moto answers ResourceNotFoundException with
404; AWS's JSON protocol answers every client error with 400, as LocalStack does)."""

from __future__ import annotations

from typing import Any


def apply(state: Any) -> None:
    _ = state
    from moto.secretsmanager import exceptions

    for name in ("ResourceNotFoundException", "SecretNotFoundException", "SecretHasNoValueException"):
        cls = getattr(exceptions, name, None)
        if cls is None:
            continue
        original = cls.__init__

        def init(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> None:
            _original(self, *args, **kwargs)
            self.code = 400

        cls.__init__ = init
