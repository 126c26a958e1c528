"""Shared set-up for the ElastiCache tests that work on one replication group at a time:
create it (the class's GROUP defaults, overridable), modify it at once, describe it, and wait
until it is available."""

from __future__ import annotations

import time
from typing import Any

from .support import EmulatorCase


class CacheCase(EmulatorCase):
    # CreateReplicationGroup's parameters unless a test overrides them (None: left out).
    GROUP: dict[str, Any] = dict(
        ReplicationGroupDescription="test", Engine="redis", EngineVersion="7.1",
        CacheNodeType="cache.t3.micro", NumCacheClusters=1,
    )

    def setUp(self) -> None:
        super().setUp()
        self.ec = self.client("elasticache")

    def create(self, rg_id: str = "cache1", **overrides: Any) -> dict:
        params: dict[str, Any] = dict(ReplicationGroupId=rg_id, **self.GROUP)
        params.update(overrides)
        return self.ec.create_replication_group(
            **{k: v for k, v in params.items() if v is not None}
        )["ReplicationGroup"]

    def modify(self, rg_id: str = "cache1", **params: Any) -> dict:
        params.setdefault("ApplyImmediately", True)
        return self.ec.modify_replication_group(ReplicationGroupId=rg_id, **params)["ReplicationGroup"]

    def describe(self, rg_id: str = "cache1") -> dict:
        return self.ec.describe_replication_groups(ReplicationGroupId=rg_id)["ReplicationGroups"][0]

    def available(self, rg_id: str = "cache1", timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            rg = self.describe(rg_id)
            if rg["Status"] == "available" or time.monotonic() > deadline:
                self.assertEqual(rg["Status"], "available")
                return rg
            time.sleep(0.05)
