"""ElastiCache: AWS's rules for the replication group calls the provider makes, each refused
case next to the accepted one."""

from __future__ import annotations

from typing import Any

from .support import EmulatorCase

TOKEN = "Secret-token-1234!"  # 18 characters, special characters AWS allows


class ElastiCacheCase(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.ec = self.client("elasticache")

    def create(self, rg_id: str = "cache1", **overrides: Any) -> dict:
        params: dict[str, Any] = dict(
            ReplicationGroupId=rg_id, ReplicationGroupDescription="test", Engine="redis",
            EngineVersion="7.1", CacheNodeType="cache.t3.micro", NumCacheClusters=1,
        )
        params.update(overrides)
        return self.ec.create_replication_group(
            **{k: v for k, v in params.items() if v is not None}
        )["ReplicationGroup"]

    def describe(self, rg_id: str = "cache1") -> dict:
        return self.ec.describe_replication_groups(ReplicationGroupId=rg_id)[
            "ReplicationGroups"
        ][0]

    def available(self, rg_id: str = "cache1", **overrides: Any) -> dict:
        self.create(rg_id, **overrides)
        rg = self.describe(rg_id)
        self.assertEqual(rg["Status"], "available")
        return rg

    def modify(self, rg_id: str = "cache1", **params: Any) -> dict:
        rg = self.ec.modify_replication_group(
            ReplicationGroupId=rg_id, ApplyImmediately=True, **params
        )["ReplicationGroup"]
        self.assertEqual(self.describe(rg_id)["Status"], "available")
        return rg

    def last_rejection(self) -> dict:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]


class FailoverAndMultiAzTest(ElastiCacheCase):
    def test_multi_az_needs_automatic_failover_on_create(self) -> None:
        self.assertAwsError(
            "InvalidParameterCombination", self.create, NumCacheClusters=2,
            MultiAZEnabled=True, AutomaticFailoverEnabled=False,
            message="Multi-AZ requires automatic failover",
        )
        rejection = self.last_rejection()
        self.assertEqual((rejection["kind"], rejection["operation"]),
                         ("rule", "CreateReplicationGroup"))
        rg = self.create(NumCacheClusters=2, MultiAZEnabled=True, AutomaticFailoverEnabled=True)
        self.assertEqual((rg["MultiAZ"], rg["AutomaticFailover"]), ("enabled", "enabled"))

    def test_multi_az_needs_automatic_failover_on_modify(self) -> None:
        self.available(NumCacheClusters=2, AutomaticFailoverEnabled=True, MultiAZEnabled=True)
        # Failover off while Multi-AZ stays on: refused.
        self.assertAwsError(
            "InvalidParameterCombination", self.ec.modify_replication_group,
            ReplicationGroupId="cache1", AutomaticFailoverEnabled=False, ApplyImmediately=True,
            message="Multi-AZ requires automatic failover",
        )
        self.assertEqual(self.last_rejection()["operation"], "ModifyReplicationGroup")
        # Both off in one request: accepted.
        rg = self.modify(AutomaticFailoverEnabled=False, MultiAZEnabled=False)
        self.assertEqual((rg["MultiAZ"], rg["AutomaticFailover"]), ("disabled", "disabled"))
        # Multi-AZ on alone: refused; with failover: accepted.
        self.assertAwsError(
            "InvalidParameterCombination", self.ec.modify_replication_group,
            ReplicationGroupId="cache1", MultiAZEnabled=True, ApplyImmediately=True,
        )
        rg = self.modify(AutomaticFailoverEnabled=True, MultiAZEnabled=True)
        self.assertEqual(rg["MultiAZ"], "enabled")

    def test_automatic_failover_needs_two_cache_clusters(self) -> None:
        self.assertAwsError(
            "InvalidParameterCombination", self.create, NumCacheClusters=1,
            AutomaticFailoverEnabled=True,
            message="When using automatic failover, there must be at least 2 cache clusters in "
                    "the replication group.",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.create, NumCacheClusters=None,
            AutomaticFailoverEnabled=True,
        )
        self.available(NumCacheClusters=1)
        self.assertAwsError(
            "InvalidParameterCombination", self.ec.modify_replication_group,
            ReplicationGroupId="cache1", AutomaticFailoverEnabled=True, ApplyImmediately=True,
            message="there must be at least 2 cache clusters",
        )
        self.ec.increase_replica_count(
            ReplicationGroupId="cache1", NewReplicaCount=1, ApplyImmediately=True
        )
        self.assertEqual(self.describe()["Status"], "available")
        self.assertEqual(self.modify(AutomaticFailoverEnabled=True)["AutomaticFailover"], "enabled")

    def test_failover_keeps_a_replica(self) -> None:
        self.available(NumCacheClusters=2, AutomaticFailoverEnabled=True)
        self.assertAwsError(
            "InvalidParameterCombination", self.ec.decrease_replica_count,
            ReplicationGroupId="cache1", NewReplicaCount=0, ApplyImmediately=True,
            message="less than one replica",
        )
        self.assertEqual(self.last_rejection()["operation"], "DecreaseReplicaCount")
        self.modify(AutomaticFailoverEnabled=False)
        self.ec.decrease_replica_count(
            ReplicationGroupId="cache1", NewReplicaCount=0, ApplyImmediately=True
        )

    def test_cluster_mode_keeps_automatic_failover(self) -> None:
        self.available(
            NumCacheClusters=None, NumNodeGroups=2, ReplicasPerNodeGroup=1,
            AutomaticFailoverEnabled=True, ClusterMode="enabled",
            CacheParameterGroupName="default.redis7.cluster.on",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.ec.modify_replication_group,
            ReplicationGroupId="cache1", AutomaticFailoverEnabled=False, ApplyImmediately=True,
            message="Turning off automatic failover for replication group with cluster mode "
                    "enabled is not supported.",
        )
        self.available("cache2", NumCacheClusters=2, AutomaticFailoverEnabled=True)
        self.modify("cache2", AutomaticFailoverEnabled=False)

    def test_num_cache_clusters_from_1_to_6(self) -> None:
        self.assertAwsError("InvalidParameterValue", self.create, NumCacheClusters=7)
        self.assertEqual(len(self.create(NumCacheClusters=6)["MemberClusters"]), 6)


class AuthTokenTest(ElastiCacheCase):
    def test_auth_token_needs_transit_encryption(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.create, AuthToken=TOKEN,
            message="The AUTH token is only supported when encryption-in-transit is enabled",
        )
        rg = self.create(AuthToken=TOKEN, TransitEncryptionEnabled=True)
        self.assertTrue(rg["AuthTokenEnabled"])

    def test_auth_token_on_modify_needs_transit_encryption(self) -> None:
        self.available()
        self.assertAwsError(
            "InvalidParameterValue", self.ec.modify_replication_group,
            ReplicationGroupId="cache1", AuthToken=TOKEN, ApplyImmediately=True,
            message="only supported when encryption-in-transit is enabled",
        )
        self.assertEqual(self.last_rejection()["operation"], "ModifyReplicationGroup")
        self.available("cache2", TransitEncryptionEnabled=True)
        self.modify("cache2", AuthToken=TOKEN, AuthTokenUpdateStrategy="ROTATE")
        self.assertTrue(self.describe("cache2")["AuthTokenEnabled"])

    def test_auth_token_form(self) -> None:
        for token in ("short-token-1", "x" * 129, "has@at-sign-123456", "has space 1234567"):
            self.assertAwsError(
                "InvalidParameterValue", self.create, AuthToken=token,
                TransitEncryptionEnabled=True, message="Invalid AuthToken provided.",
            )
        self.create(AuthToken="a" * 16, TransitEncryptionEnabled=True)
        self.create("cache2", AuthToken="Ab1!&#$^<>-" + "z" * 117, TransitEncryptionEnabled=True)


class SettingsTest(ElastiCacheCase):
    def test_snapshot_retention_up_to_35_days(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.create, SnapshotRetentionLimit=36,
            message="Invalid snapshot retention limit: 36",
        )
        self.assertEqual(self.available(SnapshotRetentionLimit=35)["SnapshotRetentionLimit"], 35)
        self.assertAwsError(
            "InvalidParameterValue", self.ec.modify_replication_group,
            ReplicationGroupId="cache1", SnapshotRetentionLimit=40, ApplyImmediately=True,
        )
        self.assertEqual(self.modify(SnapshotRetentionLimit=7)["SnapshotRetentionLimit"], 7)

    def test_parameter_group_family_matches_the_engine_version(self) -> None:
        self.assertAwsError(
            "InvalidParameterCombination", self.create, EngineVersion="7.1",
            CacheParameterGroupName="default.redis6.x",
            message="Expected a parameter group of family redis7 but found one of family "
                    "redis6.x",
        )
        self.available(EngineVersion="6.2", CacheParameterGroupName="default.redis6.x")
        self.assertAwsError(
            "InvalidParameterCombination", self.ec.modify_replication_group,
            ReplicationGroupId="cache1", EngineVersion="7.1", ApplyImmediately=True,
            CacheParameterGroupName="default.redis6.x",
            message="Expected a parameter group of family redis7",
        )
        rg = self.modify(EngineVersion="7.1", CacheParameterGroupName="default.redis7")
        self.assertEqual(rg["ReplicationGroupId"], "cache1")
        self.assertEqual(
            self.ec.describe_cache_clusters(CacheClusterId="cache1-001")["CacheClusters"][0]
            ["EngineVersion"], "7.1",
        )

    def test_changes_need_an_available_group(self) -> None:
        self.control("POST", "/_mosia/durations", {"elasticache_replication_group": {"create": 5}})
        self.create()
        self.assertAwsError(
            "InvalidReplicationGroupState", self.ec.modify_replication_group,
            ReplicationGroupId="cache1", CacheNodeType="cache.t3.small", ApplyImmediately=True,
        )
        self.assertEqual(self.last_rejection()["operation"], "ModifyReplicationGroup")
        self.control("POST", "/_mosia/durations", {"elasticache_replication_group": {"create": 0}})
        self.available("cache2")
        self.modify("cache2", CacheNodeType="cache.t3.small")

    def test_subnet_group_in_use_cannot_be_deleted(self) -> None:
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
        for name in ("used", "free"):
            self.ec.create_cache_subnet_group(
                CacheSubnetGroupName=name, CacheSubnetGroupDescription=name, SubnetIds=[subnet]
            )
        self.available(CacheSubnetGroupName="used")
        self.assertAwsError(
            "CacheSubnetGroupInUse", self.ec.delete_cache_subnet_group,
            CacheSubnetGroupName="used",
        )
        self.ec.delete_cache_subnet_group(CacheSubnetGroupName="free")


class MaintenanceWindowTest(ElastiCacheCase):
    def test_maintenance_window_has_the_form_and_length_elasticache_accepts(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.create, "mw1",
            PreferredMaintenanceWindow="sunday:04:00-sunday:05:00", message="Invalid maintenance window format",
        )
        self.assertAwsError(
            "InvalidParameterValue", self.create, "mw2",
            PreferredMaintenanceWindow="sun:04:00-sun:04:30", message="at least 60 minutes",
        )
        self.create("mw3", PreferredMaintenanceWindow="sun:04:00-sun:05:00")
        member = self.ec.describe_cache_clusters(CacheClusterId="mw3-001")["CacheClusters"][0]
        self.assertEqual(member["PreferredMaintenanceWindow"], "sun:04:00-sun:05:00")
        self.assertAwsError(
            "InvalidParameterValue", self.ec.modify_replication_group, ReplicationGroupId="mw3",
            PreferredMaintenanceWindow="mon:00:00-mon:00:45", ApplyImmediately=True,
            message="at least 60 minutes",
        )
        # Over the week's end.
        self.ec.modify_replication_group(
            ReplicationGroupId="mw3", PreferredMaintenanceWindow="sun:23:30-mon:00:30",
            ApplyImmediately=True,
        )
