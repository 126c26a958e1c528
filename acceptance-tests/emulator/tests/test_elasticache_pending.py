"""ElastiCache pending modifications: ModifyReplicationGroup without ApplyImmediately leaves a
node type change or an engine upgrade for the maintenance window (each member cluster shows it
in PendingModifiedValues), the `elasticache_maintenance` event applies it, ApplyImmediately
applies it with the request."""

from __future__ import annotations

import time
from typing import Any

from .support import EmulatorCase


class PendingCase(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.ec = self.client("elasticache")

    def create(self, rg_id: str = "cache1", **overrides: Any) -> dict:
        params: dict[str, Any] = dict(
            ReplicationGroupId=rg_id, ReplicationGroupDescription="test", Engine="redis",
            EngineVersion="7.0", CacheNodeType="cache.t3.micro", NumCacheClusters=2,
            AutomaticFailoverEnabled=True,
        )
        params.update(overrides)
        self.ec.create_replication_group(**{k: v for k, v in params.items() if v is not None})
        rg = self.describe(rg_id)
        self.assertEqual(rg["Status"], "available")
        return rg

    def describe(self, rg_id: str = "cache1") -> dict:
        return self.ec.describe_replication_groups(ReplicationGroupId=rg_id)[
            "ReplicationGroups"
        ][0]

    def members(self, rg_id: str = "cache1") -> list[dict]:
        clusters = self.ec.describe_cache_clusters(ShowCacheNodeInfo=True)["CacheClusters"]
        found = [c for c in clusters if c.get("ReplicationGroupId") == rg_id]
        self.assertTrue(found)
        return found

    def modify(self, rg_id: str = "cache1", **params: Any) -> dict:
        return self.ec.modify_replication_group(ReplicationGroupId=rg_id, **params)[
            "ReplicationGroup"
        ]

    def pending_of_members(self, rg_id: str = "cache1") -> list[dict]:
        return [m.get("PendingModifiedValues") or {} for m in self.members(rg_id)]

    def wait_status(self, want: str, rg_id: str = "cache1", timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            rg = self.describe(rg_id)
            if rg["Status"] == want or time.monotonic() > deadline:
                self.assertEqual(rg["Status"], want)
                return rg
            time.sleep(0.05)


class DeferredNodeTypeTest(PendingCase):
    def test_node_type_waits_for_the_window(self) -> None:
        self.create()
        rg = self.modify(CacheNodeType="cache.t3.small", ApplyImmediately=False)
        self.assertEqual((rg["Status"], rg["CacheNodeType"]), ("available", "cache.t3.micro"))
        self.assertNotIn("CacheNodeType", rg.get("PendingModifiedValues") or {})
        rg = self.describe()
        self.assertEqual((rg["Status"], rg["CacheNodeType"]), ("available", "cache.t3.micro"))
        for member in self.members():
            self.assertEqual(member["CacheNodeType"], "cache.t3.micro")
            self.assertEqual(member["CacheClusterStatus"], "available")
            self.assertEqual(member["PendingModifiedValues"], {"CacheNodeType": "cache.t3.small"})
        # Without ApplyImmediately at all (AWS's default is false): the same.
        self.modify(CacheNodeType="cache.t3.medium")
        self.assertEqual(self.describe()["CacheNodeType"], "cache.t3.micro")
        self.assertEqual(self.pending_of_members(), [{"CacheNodeType": "cache.t3.medium"}] * 2)

    def test_maintenance_event_applies_it(self) -> None:
        self.create()
        self.modify(CacheNodeType="cache.t3.small", ApplyImmediately=False)
        result = self.event("elasticache_maintenance", replication_group_id="cache1")
        self.assertEqual(result["applied"], {"CacheNodeType": "cache.t3.small"})
        self.assertEqual(result["status"], "modifying")
        self.assertEqual(result["pending"], {})
        rg = self.wait_status("available")
        self.assertEqual(rg["CacheNodeType"], "cache.t3.small")
        for member in self.members():
            self.assertEqual(member["CacheNodeType"], "cache.t3.small")
            self.assertFalse(member.get("PendingModifiedValues"))

    def test_maintenance_goes_through_modifying_with_the_update_duration(self) -> None:
        self.create()
        self.control("POST", "/_mosia/durations", {"elasticache_replication_group": {"update": 0.4}})
        self.modify(CacheNodeType="cache.t3.small", ApplyImmediately=False)
        self.assertEqual(self.describe()["Status"], "available")
        self.event("elasticache_maintenance", replication_group_id="cache1")
        self.assertEqual(self.describe()["Status"], "modifying")
        self.assertEqual({m["CacheClusterStatus"] for m in self.members()}, {"modifying"})
        self.assertEqual(self.wait_status("available")["CacheNodeType"], "cache.t3.small")

    def test_apply_immediately_applies_what_waits_and_clears_it(self) -> None:
        self.create()
        self.modify(CacheNodeType="cache.t3.small", ApplyImmediately=False)
        rg = self.modify(PreferredMaintenanceWindow="sun:05:00-sun:06:00", ApplyImmediately=True)
        self.assertEqual(rg["Status"], "modifying")
        rg = self.wait_status("available")
        self.assertEqual(rg["CacheNodeType"], "cache.t3.small")
        self.assertEqual(self.pending_of_members(), [{}, {}])
        # The request's value wins over the pending one.
        self.modify(CacheNodeType="cache.t3.medium", ApplyImmediately=False)
        self.modify(CacheNodeType="cache.m5.large", ApplyImmediately=True)
        self.assertEqual(self.wait_status("available")["CacheNodeType"], "cache.m5.large")
        self.assertEqual(self.pending_of_members(), [{}, {}])
        self.assertEqual(
            self.event("elasticache_maintenance", replication_group_id="cache1")["applied"], {}
        )

    def test_a_newer_value_replaces_the_pending_one_and_the_running_one_clears_it(self) -> None:
        self.create()
        self.modify(CacheNodeType="cache.t3.small", ApplyImmediately=False)
        self.modify(CacheNodeType="cache.t3.medium", ApplyImmediately=False)
        self.assertEqual(self.pending_of_members(), [{"CacheNodeType": "cache.t3.medium"}] * 2)
        rg = self.modify(CacheNodeType="cache.t3.micro", ApplyImmediately=False)
        self.assertEqual(rg["Status"], "available")
        self.assertEqual(self.pending_of_members(), [{}, {}])

    def test_a_replica_added_meanwhile_shows_the_pending_value(self) -> None:
        self.create()
        self.modify(CacheNodeType="cache.t3.small", ApplyImmediately=False)
        self.ec.increase_replica_count(
            ReplicationGroupId="cache1", NewReplicaCount=2, ApplyImmediately=True
        )
        self.wait_status("available")
        self.assertEqual(self.pending_of_members(), [{"CacheNodeType": "cache.t3.small"}] * 3)

    def test_immediate_change_without_anything_pending_is_unchanged(self) -> None:
        self.create()
        rg = self.modify(CacheNodeType="cache.t3.small", ApplyImmediately=True)
        self.assertEqual((rg["Status"], rg["CacheNodeType"]), ("modifying", "cache.t3.small"))
        self.assertEqual(self.wait_status("available")["CacheNodeType"], "cache.t3.small")
        for member in self.members():
            self.assertEqual(member["CacheNodeType"], "cache.t3.small")
            self.assertNotIn("PendingModifiedValues", member)


class DeferredEngineVersionTest(PendingCase):
    def test_engine_version_waits_for_the_window(self) -> None:
        self.create(EngineVersion="7.0")
        rg = self.modify(EngineVersion="7.1", ApplyImmediately=False)
        self.assertEqual(rg["Status"], "available")
        for member in self.members():
            self.assertEqual(member["EngineVersion"], "7.0")
            self.assertEqual(member["PendingModifiedValues"], {"EngineVersion": "7.1"})
        result = self.event("elasticache_maintenance", replication_group_id="cache1")
        self.assertEqual(result["applied"], {"EngineVersion": "7.1"})
        self.wait_status("available")
        for member in self.members():
            self.assertEqual(member["EngineVersion"], "7.1")
            self.assertFalse(member.get("PendingModifiedValues"))

    def test_a_default_parameter_group_follows_the_version_in_the_window(self) -> None:
        self.create(EngineVersion="6.2")
        self.modify(EngineVersion="7.1", ApplyImmediately=False)
        for member in self.members():
            self.assertEqual(member["EngineVersion"], "6.2")
            self.assertEqual(member["CacheParameterGroup"]["CacheParameterGroupName"],
                             "default.redis6.x")
        result = self.event("elasticache_maintenance", replication_group_id="cache1")
        self.assertEqual(result["cache_parameter_group_name"], "default.redis7")
        self.wait_status("available")
        for member in self.members():
            self.assertEqual(member["EngineVersion"], "7.1")
            self.assertEqual(member["CacheParameterGroup"]["CacheParameterGroupName"],
                             "default.redis7")

    def test_node_type_and_engine_version_wait_together(self) -> None:
        self.create(EngineVersion="7.0")
        self.modify(CacheNodeType="cache.t3.small", ApplyImmediately=False)
        self.modify(EngineVersion="7.1", ApplyImmediately=False)
        self.assertEqual(
            self.pending_of_members(),
            [{"CacheNodeType": "cache.t3.small", "EngineVersion": "7.1"}] * 2,
        )
        result = self.event("elasticache_maintenance", replication_group_id="cache1")
        self.assertEqual(
            result["applied"], {"CacheNodeType": "cache.t3.small", "EngineVersion": "7.1"}
        )


class BlockedOperationsTest(PendingCase):
    def test_pending_engine_upgrade_blocks_an_immediate_scale_up(self) -> None:
        self.create(EngineVersion="7.0")
        self.modify(EngineVersion="7.1", ApplyImmediately=False)
        self.assertAwsError(
            "InvalidReplicationGroupState", self.modify, CacheNodeType="cache.t3.small",
            ApplyImmediately=True, message="engine upgrade to 7.1 is pending",
        )
        self.assertEqual(self.describe()["Status"], "available")
        # Postponed: accepted, both wait.
        self.modify(CacheNodeType="cache.t3.small", ApplyImmediately=False)
        self.assertEqual(
            self.pending_of_members(),
            [{"CacheNodeType": "cache.t3.small", "EngineVersion": "7.1"}] * 2,
        )
        # With the upgrade in the same immediate request: accepted.
        self.modify(CacheNodeType="cache.t3.medium", EngineVersion="7.1", ApplyImmediately=True)
        rg = self.wait_status("available")
        self.assertEqual(rg["CacheNodeType"], "cache.t3.medium")
        self.assertEqual({m["EngineVersion"] for m in self.members()}, {"7.1"})
        self.assertEqual(self.pending_of_members(), [{}, {}])

    def test_pending_scale_up_blocks_an_immediate_engine_upgrade(self) -> None:
        self.create(EngineVersion="7.0")
        self.modify(CacheNodeType="cache.t3.small", ApplyImmediately=False)
        self.assertAwsError(
            "InvalidReplicationGroupState", self.modify, EngineVersion="7.1",
            ApplyImmediately=True, message="scale up to cache.t3.small is pending",
        )
        self.modify(EngineVersion="7.1", CacheNodeType="cache.t3.small", ApplyImmediately=True)
        self.wait_status("available")
        self.assertEqual({m["EngineVersion"] for m in self.members()}, {"7.1"})

    def test_naming_the_running_node_type_replaces_the_pending_scale_up(self) -> None:
        self.create(EngineVersion="7.0")
        self.modify(CacheNodeType="cache.t3.small", ApplyImmediately=False)
        self.modify(CacheNodeType="cache.t3.micro", EngineVersion="7.1", ApplyImmediately=True)
        rg = self.wait_status("available")
        self.assertEqual(rg["CacheNodeType"], "cache.t3.micro")
        self.assertEqual({m["EngineVersion"] for m in self.members()}, {"7.1"})
        self.assertEqual(self.pending_of_members(), [{}, {}])

    def test_a_pending_scale_down_does_not_block(self) -> None:
        self.create(EngineVersion="7.0", CacheNodeType="cache.t3.medium")
        self.modify(CacheNodeType="cache.t3.small", ApplyImmediately=False)
        self.modify(EngineVersion="7.1", ApplyImmediately=True)
        rg = self.wait_status("available")
        # ApplyImmediately takes the pending scale down along.
        self.assertEqual(rg["CacheNodeType"], "cache.t3.small")


class AppliedAtOnceTest(PendingCase):
    def test_other_settings_apply_at_once_without_apply_immediately(self) -> None:
        self.create()
        rg = self.modify(
            CacheNodeType="cache.t3.small", PreferredMaintenanceWindow="sun:05:00-sun:06:00",
            SecurityGroupIds=["sg-0123456789abcdef0"], SnapshotRetentionLimit=3,
            SnapshottingClusterId="cache1-001",
            ApplyImmediately=False,
        )
        self.assertEqual(rg["Status"], "modifying")
        self.assertEqual(rg["SnapshotRetentionLimit"], 3)
        rg = self.wait_status("available")
        self.assertEqual(rg["CacheNodeType"], "cache.t3.micro")
        for member in self.members():
            self.assertEqual(member["PreferredMaintenanceWindow"], "sun:05:00-sun:06:00")
            self.assertEqual([g["SecurityGroupId"] for g in member["SecurityGroups"]],
                             ["sg-0123456789abcdef0"])
            self.assertEqual(member["PendingModifiedValues"], {"CacheNodeType": "cache.t3.small"})

    def test_failover_and_multi_az_apply_at_once(self) -> None:
        self.create(AutomaticFailoverEnabled=False)
        rg = self.modify(AutomaticFailoverEnabled=True, MultiAZEnabled=True, ApplyImmediately=False)
        self.assertEqual((rg["AutomaticFailover"], rg["MultiAZ"]), ("enabled", "enabled"))
        self.assertEqual(self.pending_of_members(), [{}, {}])

    def test_the_request_rules_still_apply_when_deferred(self) -> None:
        self.create(EngineVersion="7.0")
        self.assertAwsError(
            "InvalidParameterCombination", self.modify, EngineVersion="7.1",
            CacheParameterGroupName="default.redis6.x", ApplyImmediately=False,
        )
        self.assertEqual(self.pending_of_members(), [{}, {}])


class MaintenanceEventTest(PendingCase):
    def test_unknown_group_and_bad_payload_are_refused(self) -> None:
        self.event_refused("elasticache_maintenance", "no replication group",
                           replication_group_id="nope")
        self.event_refused("elasticache_maintenance", "replication_group_id")

    def test_nothing_pending_changes_nothing(self) -> None:
        self.create()
        result = self.event("elasticache_maintenance", replication_group_id="cache1")
        self.assertEqual((result["applied"], result["status"]), ({}, "available"))
        self.assertIn("elasticache_maintenance", self.control("GET", "/_mosia/events")["events"])
