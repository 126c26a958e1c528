"""ElastiCache snapshots: the final snapshot DeleteReplicationGroup takes (manual, it stays),
its refusals, SnapshotRetentionLimit on create and modify, and the automatic snapshots a group
keeps, deleted with it. Each refusal is checked next to the request AWS accepts."""

from __future__ import annotations

import time
from typing import Any

from .support import EmulatorCase


class ElastiCacheSnapshotsTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.ec = self.client("elasticache")

    def create(self, rg_id: str = "cache1", **overrides: Any) -> dict:
        params: dict[str, Any] = dict(
            ReplicationGroupId=rg_id, ReplicationGroupDescription="test", Engine="redis",
            EngineVersion="7.1", CacheNodeType="cache.t4g.small", NumCacheClusters=1,
        )
        params.update(overrides)
        return self.ec.create_replication_group(**params)["ReplicationGroup"]

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

    def gone(self, rg_id: str = "cache1", timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            groups = self.ec.describe_replication_groups()["ReplicationGroups"]
            if all(g["ReplicationGroupId"] != rg_id for g in groups):
                return
            time.sleep(0.05)
        self.fail(f"{rg_id} still exists")

    def snapshots(self, source: str | None = None) -> dict[str, dict]:
        params = {"SnapshotSource": source} if source else {}
        return {s["SnapshotName"]: s for s in self.ec.describe_snapshots(**params)["Snapshots"]}

    def test_retention_is_set_at_create_and_changed_in_place(self) -> None:
        self.create(SnapshotRetentionLimit=7)
        self.assertEqual(self.available()["SnapshotRetentionLimit"], 7)
        self.ec.modify_replication_group(
            ReplicationGroupId="cache1", SnapshotRetentionLimit=0, ApplyImmediately=True
        )
        self.assertEqual(self.available()["SnapshotRetentionLimit"], 0)
        self.assertAwsError(
            "InvalidParameterValue", self.ec.modify_replication_group,
            ReplicationGroupId="cache1", SnapshotRetentionLimit=36, ApplyImmediately=True,
        )

    def test_the_final_snapshot_is_a_manual_snapshot_that_outlives_the_group(self) -> None:
        self.create(SnapshotRetentionLimit=3)
        self.available()
        self.ec.delete_replication_group(
            ReplicationGroupId="cache1", RetainPrimaryCluster=False, FinalSnapshotIdentifier="cache1-final"
        )
        self.gone()
        final = self.snapshots("user")["cache1-final"]
        self.assertEqual(final["SnapshotSource"], "manual")
        self.assertEqual(final["ReplicationGroupId"], "cache1")
        self.assertEqual(final["CacheNodeType"], "cache.t4g.small")
        self.assertEqual(self.snapshots("system"), {}, "no automatic snapshot")

    def test_a_final_snapshot_name_in_use_is_refused_and_the_group_stays(self) -> None:
        self.create("other")
        self.available("other")
        self.ec.create_snapshot(ReplicationGroupId="other", SnapshotName="taken")
        self.create()
        self.available()
        self.assertAwsError(
            "SnapshotAlreadyExistsFault", self.ec.delete_replication_group,
            ReplicationGroupId="cache1", FinalSnapshotIdentifier="taken",
            message="Snapshot taken already exists",
        )
        self.assertEqual(self.describe()["Status"], "available", "not deleted")
        self.ec.delete_replication_group(ReplicationGroupId="cache1", FinalSnapshotIdentifier="fresh")
        self.assertIn("fresh", self.snapshots())

    def test_nodes_without_backups_take_no_final_snapshot(self) -> None:
        self.create(CacheNodeType="cache.t1.micro", EngineVersion="6.2")
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.ec.delete_replication_group,
            ReplicationGroupId="cache1", FinalSnapshotIdentifier="last",
            message="not supported for cache.t1.micro",
        )
        self.ec.delete_replication_group(ReplicationGroupId="cache1")
        self.gone()

    def test_automatic_snapshots_follow_the_retention_and_go_with_the_group(self) -> None:
        self.create("plain")
        self.available("plain")
        self.event_refused(
            "elasticache_take_automatic_snapshot", "SnapshotRetentionLimit 0",
            replication_group_id="plain",
        )
        self.create(SnapshotRetentionLimit=2)
        self.available()
        taken = self.event("elasticache_take_automatic_snapshot", replication_group_id="cache1")
        self.assertTrue(taken["snapshot_name"].startswith("automatic.cache1-"), taken)
        automatic = self.snapshots("system")
        self.assertEqual(list(automatic), [taken["snapshot_name"]])
        self.assertEqual(automatic[taken["snapshot_name"]]["SnapshotSource"], "automated")
        self.ec.delete_replication_group(ReplicationGroupId="cache1", FinalSnapshotIdentifier="last")
        self.gone()
        self.assertEqual(self.snapshots("system"), {}, "automatic snapshots go with the group")
        self.assertEqual(list(self.snapshots("user")), ["last"])
