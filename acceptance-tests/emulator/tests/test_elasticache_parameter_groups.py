"""ElastiCache cache parameter groups: AWS's rules for the groups, their parameters and their use
by replication groups and cache clusters, each refused case next to the accepted one."""

from __future__ import annotations

import time
from typing import Any

from .test_elasticache_rules import ElastiCacheCase

GROUP = "shop-cache"
TAGS = [{"Key": "mosia:environment", "Value": "shop"}]
FAMILIES = (
    "memcached1.4", "memcached1.5", "memcached1.6", "redis2.6", "redis2.8", "redis3.2",
    "redis4.0", "redis5.0", "redis6.x", "redis7", "valkey7", "valkey8",
)


class ParameterGroupCase(ElastiCacheCase):
    def group(self, name: str = GROUP, family: str = "redis7", **extra: Any) -> dict:
        return self.ec.create_cache_parameter_group(
            CacheParameterGroupName=name, CacheParameterGroupFamily=family,
            Description=extra.pop("Description", f"{name} parameters"), **extra,
        )["CacheParameterGroup"]

    def modify_group(self, values: dict[str, str], name: str = GROUP) -> dict:
        return self.ec.modify_cache_parameter_group(
            CacheParameterGroupName=name,
            ParameterNameValues=[{"ParameterName": k, "ParameterValue": v} for k, v in values.items()],
        )

    def parameters(self, name: str = GROUP, **extra: Any) -> dict[str, dict]:
        params = self.ec.describe_cache_parameters(CacheParameterGroupName=name, **extra)["Parameters"]
        return {p["ParameterName"]: p for p in params}

    def member(self, cluster_id: str = "cache1-001") -> dict:
        return self.ec.describe_cache_clusters(CacheClusterId=cluster_id)["CacheClusters"][0]

    def memcached(self, cluster_id: str = "memo", **extra: Any) -> dict:
        return self.ec.create_cache_cluster(
            CacheClusterId=cluster_id, Engine="memcached", EngineVersion="1.6.22",
            CacheNodeType="cache.t3.micro", NumCacheNodes=2, **extra,
        )["CacheCluster"]


class CreateTest(ParameterGroupCase):
    def test_create_returns_the_group_and_tags_it(self) -> None:
        group = self.group(Tags=TAGS)
        self.assertEqual(
            {k: group[k] for k in (
                "CacheParameterGroupName", "CacheParameterGroupFamily", "Description", "IsGlobal",
            )},
            {"CacheParameterGroupName": GROUP, "CacheParameterGroupFamily": "redis7",
             "Description": "shop-cache parameters", "IsGlobal": False},
        )
        self.assertTrue(group["ARN"].endswith(f":parametergroup:{GROUP}"))
        self.assertEqual(self.ec.list_tags_for_resource(ResourceName=group["ARN"])["TagList"], TAGS)
        self.assertAwsError(
            "CacheParameterGroupAlreadyExists", self.group, message=f"Parameter group {GROUP} already exists",
        )
        rejection = self.last_rejection()
        self.assertEqual((rejection["kind"], rejection["operation"]), ("rule", "CreateCacheParameterGroup"))

    def test_names_are_identifiers_stored_in_lower_case(self) -> None:
        for bad in ("1shop", "shop-", "shop--cache", "shop_cache", "shop.cache", "default.redis7", "a" * 256):
            self.assertAwsError("InvalidParameterValue", self.group, bad, message="is not a valid identifier")
        self.assertEqual(self.group("a" * 255)["CacheParameterGroupName"], "a" * 255)
        self.assertEqual(self.group("Shop-Cache-2")["CacheParameterGroupName"], "shop-cache-2")
        self.assertAwsError("CacheParameterGroupAlreadyExists", self.group, "SHOP-CACHE-2")

    def test_the_family_is_one_of_aws_families(self) -> None:
        for bad in ("redis8", "redis6.2", "valkey7.2", "memcached"):
            self.assertAwsError(
                "InvalidParameterValue", self.group, family=bad,
                message="is not a valid parameter group family",
            )
        for family in FAMILIES:
            name = "g-" + family.replace(".", "-")
            self.assertEqual(self.group(name, family)["CacheParameterGroupFamily"], family)

    def test_a_description_is_required(self) -> None:
        self.assertAwsError(
            "MissingParameter", self.ec.create_cache_parameter_group,
            CacheParameterGroupName=GROUP, CacheParameterGroupFamily="redis7",
        )


class DescribeTest(ParameterGroupCase):
    def test_the_default_groups_are_listed_with_the_custom_ones(self) -> None:
        self.group()
        groups = self.ec.describe_cache_parameter_groups()["CacheParameterGroups"]
        names = [g["CacheParameterGroupName"] for g in groups]
        for name in ("default.redis7", "default.redis7.cluster.on", "default.valkey7", "default.valkey8",
                     "default.redis6.x", "default.memcached1.6", GROUP):
            self.assertIn(name, names)
        one = self.ec.describe_cache_parameter_groups(CacheParameterGroupName="default.valkey8")
        self.assertEqual(one["CacheParameterGroups"][0]["CacheParameterGroupFamily"], "valkey8")
        error = self.assertAwsError(
            "CacheParameterGroupNotFound", self.ec.describe_cache_parameter_groups,
            CacheParameterGroupName="nope", message="CacheParameterGroup nope not found.",
        )
        self.assertEqual(error.response["ResponseMetadata"]["HTTPStatusCode"], 404)

    def test_parameters_of_a_default_group(self) -> None:
        params = self.parameters("default.redis7")
        policy = params["maxmemory-policy"]
        self.assertEqual(
            {k: policy[k] for k in ("ParameterValue", "Source", "DataType", "IsModifiable", "ChangeType")},
            {"ParameterValue": "volatile-lru", "Source": "system", "DataType": "string",
             "IsModifiable": True, "ChangeType": "immediate"},
        )
        self.assertEqual(
            policy["AllowedValues"].split(","),
            ["volatile-lru", "allkeys-lru", "volatile-lfu", "allkeys-lfu", "volatile-random",
             "allkeys-random", "volatile-ttl", "noeviction"],
        )
        for name in ("timeout", "tcp-keepalive", "notify-keyspace-events", "maxmemory-samples",
                     "slowlog-log-slower-than", "slowlog-max-len", "activedefrag",
                     "lazyfree-lazy-eviction", "reserved-memory-percent"):
            self.assertEqual(params[name]["ChangeType"], "immediate", name)
        self.assertEqual(params["timeout"]["AllowedValues"], "0,20-")
        self.assertEqual(params["activedefrag"]["AllowedValues"], "yes,no")
        self.assertNotIn("ParameterValue", params["notify-keyspace-events"])
        for name in ("cluster-enabled", "databases"):
            self.assertEqual(params[name]["ChangeType"], "requires-reboot", name)
        self.assertEqual(params["cluster-enabled"]["ParameterValue"], "no")
        cluster_on = self.parameters("default.redis7.cluster.on")
        self.assertEqual(cluster_on["cluster-enabled"]["ParameterValue"], "yes")
        self.assertEqual(self.parameters("default.valkey8")["repl-backlog-size"]["ParameterValue"], "10485760")
        self.assertIn("hash-max-ziplist-entries", self.parameters("default.redis6.x"))
        self.assertIn("hash-max-listpack-entries", self.parameters("default.valkey7"))
        self.assertAwsError(
            "CacheParameterGroupNotFound", self.ec.describe_cache_parameters, CacheParameterGroupName="nope",
        )

    def test_the_source_filter(self) -> None:
        self.group()
        self.assertEqual(self.parameters(Source="user"), {})
        self.modify_group({"maxmemory-policy": "allkeys-lru"})
        user = self.parameters(Source="user")
        self.assertEqual(list(user), ["maxmemory-policy"])
        self.assertEqual(user["maxmemory-policy"]["ParameterValue"], "allkeys-lru")
        system = self.parameters(Source="system")
        self.assertNotIn("maxmemory-policy", system)
        self.assertIn("timeout", system)
        self.assertEqual(len(self.parameters()), len(user) + len(system))
        self.assertAwsError("InvalidParameterValue", self.parameters, Source="everything")

    def test_engine_defaults(self) -> None:
        defaults = self.ec.describe_engine_default_parameters(
            CacheParameterGroupFamily="redis7"
        )["EngineDefaults"]
        params = {p["ParameterName"]: p for p in defaults["Parameters"]}
        self.assertEqual(defaults["CacheParameterGroupFamily"], "redis7")
        self.assertEqual(params["maxmemory-policy"]["ParameterValue"], "volatile-lru")
        self.assertFalse(params["databases"]["IsModifiable"])  # only in a custom group not in use
        self.assertAwsError(
            "InvalidParameterValue", self.ec.describe_engine_default_parameters,
            CacheParameterGroupFamily="redis8",
        )


class ModifyTest(ParameterGroupCase):
    def setUp(self) -> None:
        super().setUp()
        self.group()

    def test_modify_sets_user_values(self) -> None:
        answer = self.modify_group({"maxmemory-policy": "allkeys-lru", "timeout": "300", "activedefrag": "yes"})
        self.assertEqual(answer["CacheParameterGroupName"], GROUP)
        params = self.parameters()
        self.assertEqual(
            {n: (params[n]["ParameterValue"], params[n]["Source"])
             for n in ("maxmemory-policy", "timeout", "activedefrag")},
            {"maxmemory-policy": ("allkeys-lru", "user"), "timeout": ("300", "user"),
             "activedefrag": ("yes", "user")},
        )

    def test_at_most_20_parameters_per_request(self) -> None:
        modifiable = [n for n, p in self.parameters().items() if p["IsModifiable"]
                      and n not in ("notify-keyspace-events",)]
        values = {n: self.parameters()[n]["ParameterValue"] for n in modifiable[:21]}
        self.assertEqual(len(values), 21)
        self.assertAwsError(
            "InvalidParameterCombination", self.modify_group, values,
            message="Cannot modify more than 20 parameters in a single request",
        )
        self.assertEqual(self.last_rejection()["operation"], "ModifyCacheParameterGroup")
        values.pop(modifiable[20])
        self.modify_group(values)
        self.assertEqual(len(self.parameters(Source="user")), 20)

    def test_unknown_and_unmodifiable_parameters(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.modify_group, {"maxmemory-policyy": "allkeys-lru"},
            message="Parameter maxmemory-policyy doesn't exist",
        )
        # Gone in redis7 (renamed to *-listpack-*).
        self.assertAwsError("InvalidParameterValue", self.modify_group, {"hash-max-ziplist-entries": "128"})
        for name, value in (("maxclients", "1000"), ("activerehashing", "no"), ("appendonly", "yes")):
            self.assertAwsError(
                "InvalidParameterValue", self.modify_group, {name: value},
                message=f"The parameter {name} cannot be modified.",
            )
        self.modify_group({"hash-max-listpack-entries": "128"})

    def test_values_outside_the_allowed_values(self) -> None:
        for name, value in (("maxmemory-policy", "lru-everything"), ("timeout", "10"), ("timeout", "-1"),
                            ("activedefrag", "maybe"), ("reserved-memory-percent", "101"),
                            ("databases", "abc"), ("maxmemory-samples", "0")):
            error = self.assertAwsError("InvalidParameterValue", self.modify_group, {name: value})
            self.assertIn(name, error.response["Error"]["Message"])
            self.assertIn(value, error.response["Error"]["Message"])
        self.modify_group({"timeout": "20", "reserved-memory-percent": "100", "maxmemory-samples": "5",
                           "slowlog-log-slower-than": "-1", "notify-keyspace-events": "Ex"})

    def test_a_refused_request_changes_nothing(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.modify_group, {"maxmemory-policy": "allkeys-lru", "timeout": "5"},
        )
        self.assertEqual(self.parameters(Source="user"), {})

    def test_default_and_unknown_groups(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.modify_group, {"maxmemory-policy": "allkeys-lru"}, "default.redis7",
            message="The parameter group default.redis7 is a default group and cannot be modified.",
        )
        self.assertAwsError(
            "CacheParameterGroupNotFound", self.modify_group, {"maxmemory-policy": "allkeys-lru"}, "nope",
            message="CacheParameterGroup not found: nope",
        )

    def test_conditionally_modifiable_parameters_only_while_unused(self) -> None:
        self.modify_group({"databases": "32"})
        self.modify_group({"databases": "16", "cluster-enabled": "no"})
        self.available(CacheParameterGroupName=GROUP)
        self.assertFalse(self.parameters()["databases"]["IsModifiable"])
        for name, value in (("databases", "32"), ("cluster-enabled", "yes")):
            self.assertAwsError(
                "InvalidParameterValue", self.modify_group, {name: value},
                message=f"The parameter {name} cannot be modified.",
            )
        self.modify_group({"databases": "16"})  # unchanged value

    def test_immediate_changes_keep_the_members_in_sync(self) -> None:
        self.available(NumCacheClusters=2, CacheParameterGroupName=GROUP)
        self.modify_group({"maxmemory-policy": "allkeys-lru"})
        for cluster_id in ("cache1-001", "cache1-002"):
            self.assertEqual(
                self.member(cluster_id)["CacheParameterGroup"],
                {"CacheParameterGroupName": GROUP, "ParameterApplyStatus": "in-sync",
                 "CacheNodeIdsToReboot": []},
            )

    def test_a_requires_reboot_change_leaves_the_cluster_pending_reboot(self) -> None:
        self.group("memo-params", "memcached1.6")
        self.memcached(CacheParameterGroupName="memo-params")
        self.memcached("other")
        self.modify_group({"idle_timeout": "60"}, "memo-params")
        status = self.member("memo")["CacheParameterGroup"]
        self.assertEqual(status["ParameterApplyStatus"], "pending-reboot")
        self.assertEqual(status["CacheNodeIdsToReboot"], ["0001", "0002"])
        self.assertEqual(self.member("other")["CacheParameterGroup"]["ParameterApplyStatus"], "in-sync")
        self.assertEqual(self.parameters("memo-params")["idle_timeout"]["ChangeType"], "requires-reboot")


class ResetTest(ParameterGroupCase):
    def setUp(self) -> None:
        super().setUp()
        self.group()
        self.modify_group({"maxmemory-policy": "allkeys-lru", "timeout": "300"})

    def test_reset_named_parameters(self) -> None:
        answer = self.ec.reset_cache_parameter_group(
            CacheParameterGroupName=GROUP, ParameterNameValues=[{"ParameterName": "timeout"}],
        )
        self.assertEqual(answer["CacheParameterGroupName"], GROUP)
        params = self.parameters()
        self.assertEqual((params["timeout"]["ParameterValue"], params["timeout"]["Source"]), ("0", "system"))
        self.assertEqual(params["maxmemory-policy"]["ParameterValue"], "allkeys-lru")

    def test_reset_all_parameters(self) -> None:
        self.ec.reset_cache_parameter_group(CacheParameterGroupName=GROUP, ResetAllParameters=True)
        self.assertEqual(self.parameters(Source="user"), {})
        self.assertEqual(self.parameters()["maxmemory-policy"]["ParameterValue"], "volatile-lru")

    def test_either_all_or_named_parameters(self) -> None:
        self.assertAwsError(
            "InvalidParameterCombination", self.ec.reset_cache_parameter_group, CacheParameterGroupName=GROUP,
            ResetAllParameters=True, ParameterNameValues=[{"ParameterName": "timeout"}],
        )
        self.assertAwsError(
            "InvalidParameterValue", self.ec.reset_cache_parameter_group, CacheParameterGroupName=GROUP,
        )
        self.assertAwsError(
            "InvalidParameterValue", self.ec.reset_cache_parameter_group, CacheParameterGroupName=GROUP,
            ParameterNameValues=[{"ParameterName": "reserved-memory"}],
            message="Parameter reserved-memory doesn't exist",
        )
        self.assertEqual(len(self.parameters(Source="user")), 2)

    def test_default_and_unknown_groups(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.ec.reset_cache_parameter_group,
            CacheParameterGroupName="default.redis7", ResetAllParameters=True, message="is a default group",
        )
        self.assertAwsError(
            "CacheParameterGroupNotFound", self.ec.reset_cache_parameter_group,
            CacheParameterGroupName="nope", ResetAllParameters=True,
        )

    def test_a_conditionally_modifiable_parameter_is_not_reset_in_use(self) -> None:
        self.group("wide", "redis7")
        self.modify_group({"databases": "32"}, "wide")
        self.available(CacheParameterGroupName="wide")
        self.assertAwsError(
            "InvalidParameterValue", self.ec.reset_cache_parameter_group, CacheParameterGroupName="wide",
            ResetAllParameters=True, message="The parameter databases cannot be modified.",
        )


class DeleteTest(ParameterGroupCase):
    def test_delete_and_delete_again(self) -> None:
        self.group(Tags=TAGS)
        self.ec.delete_cache_parameter_group(CacheParameterGroupName=GROUP)
        self.assertAwsError(
            "CacheParameterGroupNotFound", self.ec.describe_cache_parameter_groups,
            CacheParameterGroupName=GROUP,
        )
        self.assertAwsError(
            "CacheParameterGroupNotFound", self.ec.delete_cache_parameter_group, CacheParameterGroupName=GROUP,
            message=f"CacheParameterGroupnot found: {GROUP}",
        )
        self.group()  # the name is free again, without the old tags
        described = self.ec.describe_cache_parameter_groups(CacheParameterGroupName=GROUP)
        arn = described["CacheParameterGroups"][0]["ARN"]
        self.assertEqual(self.ec.list_tags_for_resource(ResourceName=arn)["TagList"], [])

    def test_default_groups_cannot_be_deleted(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.ec.delete_cache_parameter_group,
            CacheParameterGroupName="default.redis7", message="is not a valid identifier",
        )
        self.assertEqual(self.last_rejection()["operation"], "DeleteCacheParameterGroup")

    def test_a_group_in_use_cannot_be_deleted(self) -> None:
        self.group()
        self.available(CacheParameterGroupName=GROUP)
        self.assertAwsError(
            "InvalidCacheParameterGroupState", self.ec.delete_cache_parameter_group,
            CacheParameterGroupName=GROUP, message="cache1",
        )
        self.control("POST", "/_mosia/durations", {"elasticache_replication_group": {"delete": 1}})
        self.ec.delete_replication_group(ReplicationGroupId="cache1")
        self.assertEqual(self.describe()["Status"], "deleting")
        # Still in use while the replication group is being deleted.
        self.assertAwsError(
            "InvalidCacheParameterGroupState", self.ec.delete_cache_parameter_group,
            CacheParameterGroupName=GROUP,
        )
        time.sleep(1.2)
        self.assertAwsError("ReplicationGroupNotFoundFault", self.describe)
        self.ec.delete_cache_parameter_group(CacheParameterGroupName=GROUP)

    def test_a_group_used_by_a_cache_cluster_cannot_be_deleted(self) -> None:
        self.group("memo-params", "memcached1.6")
        self.memcached(CacheParameterGroupName="memo-params")
        self.assertAwsError(
            "InvalidCacheParameterGroupState", self.ec.delete_cache_parameter_group,
            CacheParameterGroupName="memo-params", message="memo",
        )


class ReplicationGroupUseTest(ParameterGroupCase):
    def test_create_with_a_custom_group(self) -> None:
        self.group()
        self.available(NumCacheClusters=2, CacheParameterGroupName=GROUP)
        self.assertEqual(
            self.member("cache1-002")["CacheParameterGroup"],
            {"CacheParameterGroupName": GROUP, "ParameterApplyStatus": "in-sync", "CacheNodeIdsToReboot": []},
        )

    def test_create_with_an_unknown_group(self) -> None:
        self.assertAwsError(
            "CacheParameterGroupNotFound", self.create, CacheParameterGroupName="nope",
            message="CacheParameterGroup not found: nope",
        )
        self.assertAwsError(
            "CacheParameterGroupNotFound", self.create, CacheParameterGroupName="default.redis7.2",
        )

    def test_the_family_matches_the_engine_and_its_major_version(self) -> None:
        self.group()
        self.group("shop-valkey", "valkey7")
        self.assertAwsError(
            "InvalidParameterCombination", self.create, EngineVersion="6.2", CacheParameterGroupName=GROUP,
            message="Expected a parameter group of family redis6.x but found one of family redis7",
        )
        self.assertEqual(self.last_rejection()["operation"], "CreateReplicationGroup")
        self.assertAwsError(
            "InvalidParameterCombination", self.create, CacheParameterGroupName="shop-valkey",
            message="Expected a parameter group of family redis7 but found one of family valkey7",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.create, Engine="valkey", EngineVersion="8.0",
            CacheParameterGroupName="shop-valkey",
            message="Expected a parameter group of family valkey8 but found one of family valkey7",
        )
        self.available(Engine="valkey", EngineVersion="7.2", CacheParameterGroupName="shop-valkey")
        self.available("cache2", EngineVersion="7.0", CacheParameterGroupName=GROUP)

    def test_without_a_group_the_default_group_of_the_family(self) -> None:
        for rg_id, overrides, expected in (
            ("r7", {}, "default.redis7"),
            ("r6", {"EngineVersion": "6.2"}, "default.redis6.x"),
            ("v7", {"Engine": "valkey", "EngineVersion": "7.2"}, "default.valkey7"),
            ("v8", {"Engine": "valkey", "EngineVersion": "8.0"}, "default.valkey8"),
            ("cm", {"NumCacheClusters": None, "NumNodeGroups": 2, "ReplicasPerNodeGroup": 1,
                    "AutomaticFailoverEnabled": True, "ClusterMode": "enabled"}, "default.redis7.cluster.on"),
        ):
            self.available(rg_id, **overrides)
            member = self.ec.describe_cache_clusters()["CacheClusters"]
            groups = {m["CacheParameterGroup"]["CacheParameterGroupName"] for m in member
                      if m.get("ReplicationGroupId") == rg_id}
            self.assertEqual(groups, {expected}, rg_id)

    def test_modify_to_another_group(self) -> None:
        self.group()
        self.group("shop-six", "redis6.x")
        self.available()
        self.assertAwsError(
            "CacheParameterGroupNotFound", self.ec.modify_replication_group, ReplicationGroupId="cache1",
            CacheParameterGroupName="nope", ApplyImmediately=True,
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.ec.modify_replication_group, ReplicationGroupId="cache1",
            CacheParameterGroupName="shop-six", ApplyImmediately=True,
            message="Expected a parameter group of family redis7 but found one of family redis6.x",
        )
        self.assertEqual(self.last_rejection()["operation"], "ModifyReplicationGroup")
        self.modify(CacheParameterGroupName=GROUP)
        self.assertEqual(self.member()["CacheParameterGroup"]["CacheParameterGroupName"], GROUP)
        self.assertEqual(self.describe()["MemberClusters"], ["cache1-001"])

    def test_the_conditionally_modifiable_parameters_must_match(self) -> None:
        self.group("wide")
        self.modify_group({"databases": "32"}, "wide")
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.ec.modify_replication_group, ReplicationGroupId="cache1",
            CacheParameterGroupName="wide", ApplyImmediately=True, message="databases",
        )
        self.group()
        self.modify(CacheParameterGroupName=GROUP)

    def test_an_upgrade_to_another_family(self) -> None:
        self.available(EngineVersion="6.2")
        # A default group follows the engine version.
        self.modify(EngineVersion="7.1")
        self.assertEqual(self.member()["CacheParameterGroup"]["CacheParameterGroupName"], "default.redis7")
        # A custom group must be replaced by one of the new family in the same request.
        self.group("shop-six", "redis6.x")
        self.group()
        self.available("cache2", EngineVersion="6.2", CacheParameterGroupName="shop-six")
        self.assertAwsError(
            "InvalidParameterCombination", self.ec.modify_replication_group, ReplicationGroupId="cache2",
            EngineVersion="7.1", ApplyImmediately=True,
            message="Expected a parameter group of family redis7 but found one of family redis6.x",
        )
        self.modify("cache2", EngineVersion="7.1", CacheParameterGroupName=GROUP)
        self.assertEqual(self.member("cache2-001")["CacheParameterGroup"]["CacheParameterGroupName"], GROUP)


class CacheClusterUseTest(ParameterGroupCase):
    def test_a_cache_cluster_uses_a_group_of_its_engine(self) -> None:
        self.group()
        self.assertAwsError("CacheParameterGroupNotFound", self.memcached, CacheParameterGroupName="nope")
        self.assertAwsError(
            "InvalidParameterCombination", self.memcached, CacheParameterGroupName=GROUP,
            message="Expected a parameter group of family memcached1.6 but found one of family redis7",
        )
        self.assertEqual(
            self.memcached()["CacheParameterGroup"]["CacheParameterGroupName"], "default.memcached1.6",
        )
