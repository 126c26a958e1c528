"""IAM: AWS rules and timing behaviours for the calls the provider makes."""

from __future__ import annotations

from typing import Any


def apply(state: Any) -> None:
    _ = state
