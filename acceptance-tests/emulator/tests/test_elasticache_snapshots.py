"""ElastiCache snapshots: a group's SnapshotRetentionLimit, SnapshotWindow and
SnapshottingClusterId (create, modify, what the group and its members report), the final
snapshot DeleteReplicationGroup takes (manual, it stays; creating until the group is gone),
manual snapshots, DescribeSnapshots and DeleteSnapshot, the automatic snapshots the
`elasticache_take_automatic_snapshot` event takes (retention, deleted with their group), and the
refusals of each. Each refusal is checked next to the request AWS accepts."""

from __future__ import annotations

import time
from typing import Any

from .elasticache_support import CacheCase


class ElastiCacheSnapshotsTest(CacheCase):
    GROUP = {**CacheCase.GROUP, "CacheNodeType": "cache.t4g.small", "NumCacheClusters": 2}

    def members(self, rg_id: str = "cache1") -> dict[str, dict]:
        clusters = self.ec.describe_cache_clusters()["CacheClusters"]
        return {c["CacheClusterId"]: c for c in clusters if c.get("ReplicationGroupId") == rg_id}

    def gone(self, rg_id: str = "cache1", timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            groups = self.ec.describe_replication_groups()["ReplicationGroups"]
            if all(g["ReplicationGroupId"] != rg_id for g in groups):
                return
            time.sleep(0.05)
        self.fail(f"{rg_id} still exists")

    def snapshots(self, **params: Any) -> dict[str, dict]:
        return {s["SnapshotName"]: s for s in self.ec.describe_snapshots(**params)["Snapshots"]}

    def snapshot(self, name: str) -> dict:
        return self.ec.describe_snapshots(SnapshotName=name)["Snapshots"][0]

    def slow_snapshots(self) -> None:
        """Snapshots take a while: the `creating` and `snapshotting` statuses can be seen."""
        self.control("POST", "/_mosia/durations", {"elasticache_replication_group": {"update": 0.6, "delete": 0.6}})

    def wait_for(self, name: str, status: str = "available", timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            snapshot = self.snapshot(name)
            if snapshot["SnapshotStatus"] == status or time.monotonic() > deadline:
                self.assertEqual(snapshot["SnapshotStatus"], status)
                return snapshot
            time.sleep(0.05)

    # --- the group's snapshot settings --------------------------------------------------

    def test_retention_and_window_round_trip_on_the_group_and_its_snapshotting_member(self) -> None:
        self.create(SnapshotRetentionLimit=7, SnapshotWindow="03:00-04:00",
                    PreferredMaintenanceWindow="sun:05:00-sun:06:00")
        rg = self.available()
        self.assertEqual(
            (rg["SnapshotRetentionLimit"], rg["SnapshotWindow"], rg["SnapshottingClusterId"]),
            (7, "03:00-04:00", "cache1-002"),
        )
        members = self.members()
        self.assertEqual({c: m["SnapshotRetentionLimit"] for c, m in members.items()},
                         {"cache1-001": 0, "cache1-002": 7})
        self.assertEqual({m["SnapshotWindow"] for m in members.values()}, {"03:00-04:00"})
        self.modify(SnapshotRetentionLimit=3, SnapshotWindow="22:30-23:30")
        rg = self.available()
        self.assertEqual((rg["SnapshotRetentionLimit"], rg["SnapshotWindow"]), (3, "22:30-23:30"))
        self.assertEqual(self.members()["cache1-002"]["SnapshotRetentionLimit"], 3)
        self.modify(SnapshotRetentionLimit=0)
        rg = self.available()
        self.assertEqual(rg["SnapshotRetentionLimit"], 0)
        self.assertNotIn("SnapshottingClusterId", rg, "no automatic backups, no snapshotting cluster")
        self.assertAwsError(
            "InvalidParameterValue", self.modify, SnapshotRetentionLimit=36,
        )

    def test_elasticache_chooses_a_window_clear_of_the_maintenance_window(self) -> None:
        self.create(PreferredMaintenanceWindow="mon:07:00-mon:09:00")
        rg = self.available()
        self.assertEqual(rg["SnapshotRetentionLimit"], 0)
        self.assertEqual(rg["SnapshotWindow"], "09:30-10:30")
        self.create("other")
        self.assertEqual(self.available("other")["SnapshotWindow"], "07:30-08:30")
        # Backups off or not, a maintenance window may not meet ElastiCache's chosen window.
        self.assertAwsError("InvalidParameterValue", self.modify, "other",
                            PreferredMaintenanceWindow="fri:08:00-fri:09:00", message="must not overlap")
        self.modify("other", PreferredMaintenanceWindow="sun:05:00-sun:06:00")

    def test_turning_backups_on_needs_the_snapshotting_cluster(self) -> None:
        self.create()
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.modify, SnapshotRetentionLimit=5,
            message="Must specify both SnapshotRetentionLimit and SnapshottingClusterId to turn on snapshots",
        )
        self.assertAwsError(
            "CacheClusterNotFound", self.modify, SnapshotRetentionLimit=5, SnapshottingClusterId="cache1-009",
            message="Specified snapshotting cluster does not exist",
        )
        self.assertEqual(self.describe()["SnapshotRetentionLimit"], 0)
        self.modify(SnapshotRetentionLimit=5, SnapshottingClusterId="cache1-001")
        rg = self.available()
        self.assertEqual((rg["SnapshotRetentionLimit"], rg["SnapshottingClusterId"]), (5, "cache1-001"))
        self.modify(SnapshotRetentionLimit=6)  # already on: no cluster needed
        self.assertEqual(self.available()["SnapshottingClusterId"], "cache1-001")

    def test_a_cluster_mode_enabled_group_takes_no_snapshotting_cluster(self) -> None:
        self.create(NumCacheClusters=None, NumNodeGroups=2, ReplicasPerNodeGroup=1, ClusterMode="enabled",
                    CacheParameterGroupName="default.redis7.cluster.on", AutomaticFailoverEnabled=True)
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.modify, SnapshotRetentionLimit=2,
            SnapshottingClusterId="cache1-0001-001",
            message="Cannot set snapshotting cluster for cluster mode enabled replication group",
        )
        self.modify(SnapshotRetentionLimit=2)
        rg = self.available()
        self.assertEqual(rg["SnapshotRetentionLimit"], 2)
        self.assertNotIn("SnapshottingClusterId", rg)
        taken = self.event("elasticache_take_automatic_snapshot", replication_group_id="cache1")
        self.assertRegex(taken["snapshot_name"], r"^automatic\.cache1-\d{4}-")
        self.ec.delete_replication_group(ReplicationGroupId="cache1", FinalSnapshotIdentifier="last")
        self.gone()
        final = self.snapshot("last")
        self.assertEqual(final["NumNodeGroups"], 2)
        self.assertEqual([n["NodeGroupId"] for n in final["NodeSnapshots"]], ["0001", "0002"], "one per shard")

    def test_snapshot_windows_are_an_hour_or_more_and_miss_the_maintenance_window(self) -> None:
        for window, message in (
            ("3:00-04:00", "Invalid snapshot window format"),
            ("sun:03:00-sun:04:00", "Invalid snapshot window format"),
            ("03:00-03:59", "Snapshot window must be at least 60 minutes."),
        ):
            self.assertAwsError("InvalidParameterValue", self.create, SnapshotWindow=window, message=message)
        self.assertAwsError(
            "InvalidParameterValue", self.create, SnapshotWindow="04:30-05:30",
            PreferredMaintenanceWindow="wed:05:00-wed:06:00",
            message="The snapshot window and maintenance window must not overlap.",
        )
        self.create(SnapshotWindow="04:00-05:00", PreferredMaintenanceWindow="wed:05:00-wed:06:00")
        self.available()
        self.assertAwsError(
            "InvalidParameterValue", self.modify, PreferredMaintenanceWindow="thu:04:30-thu:05:30",
            message="must not overlap",
        )
        self.assertAwsError("InvalidParameterValue", self.modify, SnapshotWindow="05:30-06:30",
                            message="must not overlap")
        self.modify(SnapshotWindow="23:30-00:30")  # across midnight
        rg = self.available()
        self.assertEqual(rg["SnapshotWindow"], "23:30-00:30")
        self.assertAwsError("InvalidParameterValue", self.modify, PreferredMaintenanceWindow="sat:23:00-sun:00:00",
                            message="must not overlap")

    def test_cache_t1_micro_groups_keep_no_snapshots(self) -> None:
        for days in (0, 1):
            self.assertAwsError(
                "InvalidParameterCombination", self.create, CacheNodeType="cache.t1.micro",
                EngineVersion="6.2", SnapshotRetentionLimit=days,
                message="Instance type does not support snapshotting",
            )
        self.create(CacheNodeType="cache.t1.micro", EngineVersion="6.2")
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.modify, SnapshotRetentionLimit=1,
            SnapshottingClusterId="cache1-001", message="Instance type does not support snapshotting",
        )
        self.assertAwsError(
            "SnapshotFeatureNotSupportedFault", self.ec.create_snapshot,
            ReplicationGroupId="cache1", SnapshotName="manual",
        )
        self.assertAwsError(
            "SnapshotFeatureNotSupportedFault", self.ec.delete_replication_group,
            ReplicationGroupId="cache1", FinalSnapshotIdentifier="last",
        )
        self.assertEqual(self.describe()["Status"], "available", "not deleted")
        self.ec.delete_replication_group(ReplicationGroupId="cache1")
        self.gone()
        self.assertEqual(self.snapshots(), {})

    # --- final snapshots ----------------------------------------------------------------

    def test_the_final_snapshot_is_taken_while_the_group_is_deleted_and_outlives_it(self) -> None:
        self.slow_snapshots()
        self.create(SnapshotRetentionLimit=3, Engine="valkey", EngineVersion="8.0",
                    CacheParameterGroupName="default.valkey8", TransitEncryptionEnabled=True)
        self.available()
        answer = self.ec.delete_replication_group(
            ReplicationGroupId="cache1", RetainPrimaryCluster=False, FinalSnapshotIdentifier="Cache1-Final-1700000000"
        )
        self.assertEqual(answer["ReplicationGroup"]["Status"], "deleting")
        self.assertEqual(self.describe()["Status"], "deleting")
        final = self.snapshot("cache1-final-1700000000")
        self.assertEqual((final["SnapshotStatus"], final["SnapshotSource"]), ("creating", "manual"))
        self.assertAwsError(
            "InvalidSnapshotState", self.ec.delete_snapshot, SnapshotName="cache1-final-1700000000"
        )
        self.gone()
        final = self.wait_for("CACHE1-final-1700000000")
        self.assertEqual(final["SnapshotName"], "cache1-final-1700000000", "stored lowercase")
        for key, value in (
            ("ReplicationGroupId", "cache1"), ("ReplicationGroupDescription", "test"),
            ("CacheNodeType", "cache.t4g.small"), ("Engine", "valkey"), ("EngineVersion", "8.0"),
            ("SnapshotRetentionLimit", 3), ("NumNodeGroups", 1), ("AutomaticFailover", "disabled"),
        ):
            self.assertEqual(final.get(key), value, key)
        self.assertEqual(
            [(n["CacheClusterId"], n["NodeGroupId"], n["CacheNodeId"]) for n in final["NodeSnapshots"]],
            [("cache1-001", "0001", "0001")], "taken from the primary",
        )
        self.assertIn("SnapshotCreateTime", final["NodeSnapshots"][0])
        self.assertNotIn("KmsKeyId", final)
        self.assertEqual(list(self.snapshots(ReplicationGroupId="cache1")), ["cache1-final-1700000000"])
        self.assertEqual(list(self.snapshots(SnapshotSource="user")), ["cache1-final-1700000000"])
        self.assertEqual(self.snapshots(SnapshotSource="system"), {})

    def test_the_final_snapshot_of_an_encrypted_group_has_its_key(self) -> None:
        kms = self.client("kms")
        key = kms.create_key()["KeyMetadata"]["Arn"]
        self.create(AtRestEncryptionEnabled=True, KmsKeyId=key)
        self.available()
        self.ec.delete_replication_group(ReplicationGroupId="cache1", FinalSnapshotIdentifier="last")
        self.gone()
        self.assertEqual(self.snapshot("last")["KmsKeyId"], key)

    def test_a_final_snapshot_name_in_use_or_invalid_is_refused_and_the_group_stays(self) -> None:
        self.create("other")
        self.available("other")
        self.ec.create_snapshot(ReplicationGroupId="other", SnapshotName="taken")
        self.create()
        self.available()
        self.assertAwsError(
            "SnapshotAlreadyExistsFault", self.ec.delete_replication_group,
            ReplicationGroupId="cache1", FinalSnapshotIdentifier="Taken",
            message="Snapshot taken already exists",
        )
        for bad in ("1-final", "final--1", "final-", "final_1", ""):
            self.assertAwsError(
                "InvalidParameterValue", self.ec.delete_replication_group,
                ReplicationGroupId="cache1", FinalSnapshotIdentifier=bad,
                message="The parameter FinalSnapshotIdentifier is not a valid identifier.",
            )
        self.assertEqual(self.describe()["Status"], "available", "not deleted")
        self.ec.delete_replication_group(ReplicationGroupId="cache1", FinalSnapshotIdentifier="fresh")
        self.gone()
        self.assertEqual(sorted(self.snapshots()), ["fresh", "taken"])

    def test_a_group_being_changed_is_not_deleted_and_takes_no_snapshot(self) -> None:
        self.control("POST", "/_mosia/durations", {"elasticache_replication_group": {"update": 30}})
        self.create(SnapshotRetentionLimit=1)
        self.available()
        self.modify(SnapshotWindow="01:00-02:00")
        self.assertAwsError(
            "InvalidReplicationGroupState", self.ec.delete_replication_group,
            ReplicationGroupId="cache1", FinalSnapshotIdentifier="last",
        )
        self.assertEqual(self.snapshots(), {})

    # --- manual snapshots, DescribeSnapshots, DeleteSnapshot ----------------------------

    def test_a_manual_snapshot_makes_the_group_snapshotting_until_it_is_available(self) -> None:
        self.slow_snapshots()
        self.create()
        self.available()
        taken = self.ec.create_snapshot(ReplicationGroupId="cache1", SnapshotName="Before-Upgrade")["Snapshot"]
        self.assertEqual((taken["SnapshotName"], taken["SnapshotStatus"]), ("before-upgrade", "creating"))
        self.assertEqual(self.describe()["Status"], "snapshotting")
        self.assertEqual({m["CacheClusterStatus"] for m in self.members().values()}, {"snapshotting"})
        self.assertAwsError("InvalidReplicationGroupState", self.modify, SnapshotWindow="01:00-02:00")
        self.assertAwsError("InvalidReplicationGroupState", self.ec.create_snapshot,
                            ReplicationGroupId="cache1", SnapshotName="second")
        self.assertAwsError("InvalidSnapshotState", self.ec.delete_snapshot, SnapshotName="before-upgrade")
        self.available()
        self.wait_for("before-upgrade")
        self.assertAwsError("InvalidParameterValue", self.ec.create_snapshot,
                            ReplicationGroupId="cache1", SnapshotName="bad--name")
        deleted = self.ec.delete_snapshot(SnapshotName="Before-Upgrade")["Snapshot"]
        self.assertEqual(deleted["SnapshotStatus"], "deleting")
        self.assertAwsError("SnapshotNotFoundFault", self.ec.delete_snapshot, SnapshotName="before-upgrade")
        self.assertAwsError("SnapshotNotFoundFault", self.ec.describe_snapshots, SnapshotName="before-upgrade")
        self.assertEqual(self.snapshots(), {})

    # --- automatic snapshots ------------------------------------------------------------

    def test_automatic_snapshots_follow_the_retention_and_go_with_the_group(self) -> None:
        self.create("plain")
        self.available("plain")
        self.event_refused(
            "elasticache_take_automatic_snapshot", "SnapshotRetentionLimit 0", replication_group_id="plain",
        )
        self.event_refused("elasticache_take_automatic_snapshot", "no replication group", replication_group_id="nope")
        self.create(SnapshotRetentionLimit=2)
        self.available()
        taken = [
            self.event("elasticache_take_automatic_snapshot", replication_group_id="cache1") for _ in range(3)
        ]
        names = [t["snapshot_name"] for t in taken]
        for name in names:
            self.assertRegex(name, r"^automatic\.cache1-002-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}$")
        self.assertEqual(len(set(names)), 3, "one a day")
        self.assertEqual([t["expired"] for t in taken], [[], [], [names[0]]])
        self.assertEqual(taken[0]["retention_days"], 2)
        automatic = self.snapshots(SnapshotSource="system")
        self.assertEqual(sorted(automatic), sorted(names[1:]))
        latest = automatic[names[2]]
        self.assertEqual(
            (latest["SnapshotSource"], latest["CacheClusterId"], latest["ReplicationGroupId"]),
            ("automated", "cache1-002", "cache1"),
        )
        self.assertEqual(latest["NodeSnapshots"][0]["CacheClusterId"], "cache1-002")
        self.assertEqual(sorted(self.snapshots(ReplicationGroupId="cache1")), sorted(names[1:]))
        self.ec.delete_replication_group(ReplicationGroupId="cache1", FinalSnapshotIdentifier="last")
        self.gone()
        self.assertEqual(self.snapshots(SnapshotSource="system"), {}, "automatic snapshots go with the group")
        self.assertEqual(list(self.snapshots(ReplicationGroupId="cache1")), ["last"])

    def test_an_automatic_snapshot_makes_the_group_snapshotting(self) -> None:
        self.slow_snapshots()
        self.create(SnapshotRetentionLimit=1)
        self.available()
        taken = self.event("elasticache_take_automatic_snapshot", replication_group_id="cache1")
        self.assertEqual(taken["snapshot_status"], "creating")
        self.assertEqual(self.describe()["Status"], "snapshotting")
        self.event_refused(
            "elasticache_take_automatic_snapshot", "snapshotting", replication_group_id="cache1",
        )
        self.available()
        self.wait_for(taken["snapshot_name"])
