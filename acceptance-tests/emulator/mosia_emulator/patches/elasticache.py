"""ElastiCache: replication group lifecycle (deletes finish), NumCacheClusters honoured,
reader endpoint, IncreaseReplicaCount / DecreaseReplicaCount; AWS's rules for creating and
modifying a group are in `elasticache_rules`."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.elasticache.exceptions import (
    CacheSubnetGroupNotFound,
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    ReplicationGroupNotFound,
)
from moto.elasticache.models import CacheCluster, ElastiCacheBackend, ReplicationGroup
from moto.elasticache.responses import ElastiCacheResponse

from .. import lifecycle
from . import add, wrap
from . import elasticache_auth_tokens as auth_tokens
from . import elasticache_rules as rules
from . import elasticache_parameter_groups as parameter_groups
from . import elasticache_users

KIND = "elasticache_replication_group"
MAX_REPLICAS = 5
DEFAULT_ENGINE_VERSION = "7.1"


class InvalidReplicationGroupState(ElastiCacheException):
    code = "InvalidReplicationGroupState"


class CacheSubnetGroupInUse(ElastiCacheException):
    code = "CacheSubnetGroupInUse"


def get_group(backend: ElastiCacheBackend, rg_id: str) -> ReplicationGroup:
    rg = backend.replication_groups.get(rg_id)
    if rg is None:
        raise ReplicationGroupNotFound(rg_id)
    return rg


def require_available(rg: ReplicationGroup, operation: str) -> None:
    if rg.status != "available":
        raise rules.refuse(
            InvalidReplicationGroupState(
                f"Replication group must be in available state to modify it; it is {rg.status}."
            ),
            operation,
        )


def add_reader_endpoints(rg: ReplicationGroup) -> None:
    for ng in rg.node_groups:
        if ng.get("reader_endpoint_address"):
            ng["reader_endpoint"] = {"address": ng["reader_endpoint_address"], "port": rg.port}


def domain_of(rg: ReplicationGroup, ng: dict[str, Any]) -> str:
    primary = ng.get("primary_endpoint_address") or ""
    return primary.split(".", 1)[1] if "." in primary else f"{rg.replication_group_id}.cache.amazonaws.com"


def set_replica_count(rg: ReplicationGroup, ng: dict[str, Any], count: int, remove: list[str]) -> None:
    members: list[dict[str, Any]] = ng["node_group_members"]
    primary, replicas = members[0], members[1:]
    if remove:
        replicas = [m for m in replicas if m["cache_cluster_id"] not in remove]
    while len(replicas) > count:
        replicas.pop()
    used = {m["cache_cluster_id"] for m in members}
    enabled = rg.cluster_mode == "enabled"
    n = 2
    while len(replicas) < count:
        if enabled:
            cid = f"{rg.replication_group_id}-{ng['node_group_id']}-{n:0>3}"
        else:
            cid = f"{rg.replication_group_id}-{n:0>3}"
        n += 1
        if cid in used:
            continue
        node: dict[str, Any] = {
            "cache_cluster_id": cid,
            "cache_node_id": ng["node_group_id"],
            "preferred_availability_zone": "us-east-1b" if len(replicas) % 2 == 0 else "us-east-1c",
        }
        if not enabled:
            node["read_endpoint"] = {"address": f"{cid}.{domain_of(rg, ng)}", "port": rg.port}
            node["current_role"] = "replica"
        replicas.append(node)
        used.add(cid)
    ng["node_group_members"] = [primary] + replicas


def rebuild_member_clusters(rg: ReplicationGroup) -> None:
    rg.member_clusters = [m["cache_cluster_id"] for ng in rg.node_groups for m in ng["node_group_members"]]


def sync_members(backend: ElastiCacheBackend, rg: ReplicationGroup) -> None:
    """Keep a CacheCluster per member (AWS lists them with DescribeCacheClusters; moto does not)."""
    wanted: dict[str, dict[str, Any]] = {}
    for ng in rg.node_groups:
        for m in ng["node_group_members"]:
            wanted[m["cache_cluster_id"]] = m
    for cid, cc in list(backend.cache_clusters.items()):
        if getattr(cc, "replication_group_id", None) == rg.replication_group_id and cid not in wanted:
            del backend.cache_clusters[cid]
    for cid, member in wanted.items():
        cc = backend.cache_clusters.get(cid)
        if cc is None:
            cc = CacheCluster(
                account_id=backend.account_id,
                region_name=backend.region_name,
                cache_cluster_id=cid,
                cache_node_type=rg.cache_node_type,
                replication_group_id=rg.replication_group_id,
                az_mode="single-az",
                preferred_availability_zone=member.get("preferred_availability_zone"),
                num_cache_nodes=1,
                engine=rg.engine,
                engine_version=rg.engine_version,
                cache_parameter_group_name=rg.cache_parameter_group_name,
                cache_subnet_group_name=rg.cache_subnet_group_name,
                transit_encryption_enabled=rg.transit_encryption_enabled,
                network_type=rg.network_type,
                ip_discovery=rg.ip_discovery,
                snapshot_name=None,
                preferred_maintenance_window=rg.preferred_maintenance_window,
                port=rg.port,
                notification_topic_arn=rg.notification_topic_arn,
                auto_minor_version_upgrade=rg.auto_minor_version_upgrade,
                snapshot_retention_limit=rg.snapshot_retention_limit,
                snapshot_window=rg.snapshot_window,
                auth_token=None,
                outpost_mode=None,
                preferred_outpost_arn=None,
                preferred_availability_zones=None,
                cache_security_group_names=rg.cache_security_group_names,
                security_group_ids=rg.security_group_ids,
                tags=None,
                snapshot_arns=None,
                preferred_outpost_arns=None,
                log_delivery_configurations=[],
                cache_node_ids_to_remove=None,
                cache_node_ids_to_reboot=None,
            )
            backend.cache_clusters[cid] = cc
        cc.replication_group_id = rg.replication_group_id
        cc.num_cache_nodes = 1
        cc.cache_node_type = rg.cache_node_type
        cc.engine = rg.engine
        cc.engine_version = rg.engine_version or DEFAULT_ENGINE_VERSION
        cc.cache_parameter_group_name = rg.cache_parameter_group_name
        cc.security_group_ids = list(rg.security_group_ids or [])
        cc.security_groups = [
            {"security_group_id": sg, "status": "active"} for sg in cc.security_group_ids
        ]
        if rg.cache_parameter_group_name:
            cc.cache_parameter_group = {
                "cache_parameter_group_name": rg.cache_parameter_group_name,
                "parameter_apply_status": "in-sync",
                "cache_node_ids_to_reboot": [],
            }
        cc.preferred_maintenance_window = rg.preferred_maintenance_window
        cc.snapshot_window = rg.snapshot_window
        cc.snapshot_retention_limit = rg.snapshot_retention_limit
        cc.auto_minor_version_upgrade = rg.auto_minor_version_upgrade
        cc.notification_topic_arn = rg.notification_topic_arn
        cc.transit_encryption_enabled = rg.transit_encryption_enabled
        cc.at_rest_encryption_enabled = rg.at_rest_encryption_enabled
        cc.auth_token_enabled = rg.auth_token_enabled
        cc.cache_cluster_status = rg.status
        cc.status = rg.status


def group_status(backend: ElastiCacheBackend, rg: ReplicationGroup) -> Any:
    """on_status: node groups and member cache clusters follow the group's status."""

    def on_status(value: str) -> None:
        for ng in rg.node_groups:
            ng["status"] = value
        for cc in backend.cache_clusters.values():
            if getattr(cc, "replication_group_id", None) == rg.replication_group_id:
                cc.cache_cluster_status = value
                cc.status = value

    return on_status


def apply(state: Any) -> None:
    @wrap(ReplicationGroup, "_set_node_members_clusters_disabled")
    def set_members_disabled(orig: Any, self: ReplicationGroup, **kwargs: Any) -> Any:
        # moto ignores NumCacheClusters (it only reads ReplicasPerNodeGroup).
        if not kwargs.get("replicas_per_node_group") and kwargs.get("num_cache_clusters"):
            kwargs["replicas_per_node_group"] = int(kwargs["num_cache_clusters"]) - 1
        return orig(self, **kwargs)

    @wrap(ElastiCacheBackend, "create_replication_group")
    def create_replication_group(orig: Any, self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> Any:
        rules.check_create(kwargs)
        rg = orig(self, *args, **kwargs)
        rg.engine_version = rg.engine_version or DEFAULT_ENGINE_VERSION
        add_reader_endpoints(rg)
        sync_members(self, rg)
        lifecycle.begin(
            rg, KIND, "create", "creating", "available", on_status=group_status(self, rg),
            name=rg.replication_group_id,
        )
        return rg

    @wrap(ElastiCacheBackend, "modify_replication_group")
    def modify_replication_group(orig: Any, self: ElastiCacheBackend, replication_group_id: str, *args: Any, **kwargs: Any) -> Any:
        rg = get_group(self, replication_group_id)
        require_available(rg, "ModifyReplicationGroup")
        rg = orig(self, replication_group_id, *args, **kwargs)
        lifecycle.begin(
            rg, KIND, "update", "modifying", "available", on_status=group_status(self, rg),
            name=rg.replication_group_id,
        )
        return rg

    @wrap(ElastiCacheResponse, "modify_replication_group")
    def modify_replication_group_response(orig: Any, self: ElastiCacheResponse) -> Any:
        backend = self.elasticache_backend
        rg = get_group(backend, self._get_param("ReplicationGroupId"))
        require_available(rg, "ModifyReplicationGroup")
        rules.check_modify(rg, {
            **{p: self._get_param(p) for p in (
                "AuthToken", "Engine", "EngineVersion", "CacheParameterGroupName",
                "PreferredMaintenanceWindow",
            )},
            **{p: self._get_bool_param(p) for p in (
                "AutomaticFailoverEnabled", "MultiAZEnabled", "TransitEncryptionEnabled",
            )},
            "SnapshotRetentionLimit": self._get_int_param("SnapshotRetentionLimit"),
        })
        # moto applies only a few parameters; apply the others AWS accepts too.
        result = orig(self)
        for param, attr in (
            ("EngineVersion", "engine_version"),
            ("CacheParameterGroupName", "cache_parameter_group_name"),
            ("PreferredMaintenanceWindow", "preferred_maintenance_window"),
            ("SnapshotWindow", "snapshot_window"),
            ("NotificationTopicArn", "notification_topic_arn"),
            ("TransitEncryptionMode", "transit_encryption_mode"),
        ):
            value = self._get_param(param)
            if value is not None:
                setattr(rg, attr, value)
        sgs = self._get_param("SecurityGroupIds")
        if sgs is not None:
            rg.security_group_ids = list(sgs)
        for param, attr in (
            ("AutoMinorVersionUpgrade", "auto_minor_version_upgrade"),
            ("TransitEncryptionEnabled", "transit_encryption_enabled"),
        ):
            value = self._get_bool_param(param)
            if value is not None:
                setattr(rg, attr, value)
        auth_tokens.record(
            rg, self._get_param("AuthToken"), self._get_param("AuthTokenUpdateStrategy")
        )
        sync_members(backend, rg)
        group_status(backend, rg)(rg.status)
        return result

    @wrap(ElastiCacheBackend, "delete_replication_group")
    def delete_replication_group(orig: Any, self: ElastiCacheBackend, replication_group_id: str, retain_primary_cluster: Any) -> Any:
        rg = get_group(self, replication_group_id)
        if rg.status == "deleting":
            raise rules.refuse(
                InvalidReplicationGroupState(
                    f"Replication group {replication_group_id} is already being deleted."
                ),
                "DeleteReplicationGroup",
            )
        if rg.status != "available":
            raise rules.refuse(
                InvalidReplicationGroupState(
                    f"Replication group {replication_group_id} is in {rg.status} state and "
                    "cannot be deleted."
                ),
                "DeleteReplicationGroup",
            )
        rg = orig(self, replication_group_id, retain_primary_cluster)

        def gone() -> None:
            if self.replication_groups.get(replication_group_id) is rg:
                del self.replication_groups[replication_group_id]
                for cid, cc in list(self.cache_clusters.items()):
                    if getattr(cc, "replication_group_id", None) == replication_group_id:
                        del self.cache_clusters[cid]

        lifecycle.begin(
            rg, KIND, "delete", "deleting", None, on_done=gone,
            on_status=group_status(self, rg), name=rg.replication_group_id,
        )
        return rg

    def change_replicas(resp: ElastiCacheResponse, increase: bool) -> ActionResult:
        backend = resp.elasticache_backend
        rg_id = resp._get_param("ReplicationGroupId")
        rg = get_group(backend, rg_id)
        op = "IncreaseReplicaCount" if increase else "DecreaseReplicaCount"
        if resp._get_param("ApplyImmediately") is None:
            raise rules.refuse(InvalidParameterValueException("ApplyImmediately is required."), op)
        require_available(rg, op)
        new_count = resp._get_int_param("NewReplicaCount")
        per_group = {
            str(c.get("NodeGroupId")): int(c.get("NewReplicaCount"))
            for c in (resp._get_param("ReplicaConfiguration") or [])
        }
        to_remove = list(resp._get_param("ReplicasToRemove") or [])
        if new_count is None and not per_group and not to_remove:
            raise rules.refuse(
                InvalidParameterValueException(
                    "Either NewReplicaCount, ReplicaConfiguration or ReplicasToRemove is required."
                ),
                op,
            )
        failover = rg.automatic_failover == "enabled"
        plans: list[tuple[dict[str, Any], int]] = []
        for ng in rg.node_groups:
            current = len(ng["node_group_members"]) - 1
            target = per_group.get(ng["node_group_id"], new_count)
            if target is None:
                target = current - len([m for m in ng["node_group_members"][1:] if m["cache_cluster_id"] in to_remove])
            target = int(target)
            if increase and target <= current:
                raise rules.refuse(
                    InvalidParameterValueException(
                        f"The new replica count ({target}) must be greater than the current replica count ({current})."
                    ),
                    op,
                )
            if not increase and target >= current:
                raise rules.refuse(
                    InvalidParameterValueException(
                        f"The new replica count ({target}) must be less than the current replica count ({current})."
                    ),
                    op,
                )
            if target > MAX_REPLICAS:
                raise rules.refuse(
                    InvalidParameterValueException(
                        f"The replica count cannot exceed {MAX_REPLICAS}."
                    ),
                    op,
                )
            if target < 0 or (failover and target < 1):
                raise rules.refuse(
                    InvalidParameterCombinationException(
                        "Cannot have less than one replica when automatic failover is enabled."
                        if failover
                        else "The replica count cannot be negative."
                    ),
                    op,
                )
            plans.append((ng, target))
        for ng, target in plans:
            set_replica_count(rg, ng, target, to_remove)
        rebuild_member_clusters(rg)
        sync_members(backend, rg)
        lifecycle.begin(
            rg, KIND, "update", "modifying", "available", on_status=group_status(backend, rg),
            name=rg.replication_group_id,
        )
        return ActionResult({"ReplicationGroup": rg})

    @add(ElastiCacheResponse)
    def increase_replica_count(self: ElastiCacheResponse) -> ActionResult:
        return change_replicas(self, True)

    @add(ElastiCacheResponse)
    def decrease_replica_count(self: ElastiCacheResponse) -> ActionResult:
        return change_replicas(self, False)

    @add(ElastiCacheResponse)
    def delete_cache_subnet_group(self: ElastiCacheResponse) -> ActionResult:
        # Missing in moto 5.2.5. AWS refuses while a cluster still uses the group.
        name = self._get_param("CacheSubnetGroupName")
        backend = self.elasticache_backend
        if name not in backend.cache_subnet_groups:
            raise CacheSubnetGroupNotFound(name)
        users = [
            rg_id
            for rg_id, rg in backend.replication_groups.items()
            if getattr(rg, "cache_subnet_group_name", None) == name
        ] + [
            cc_id
            for cc_id, cc in backend.cache_clusters.items()
            if getattr(cc, "cache_subnet_group_name", None) == name
        ]
        if users:
            # AWS: DeleteCacheSubnetGroup reference, CacheSubnetGroupInUse.
            raise rules.refuse(
                CacheSubnetGroupInUse(f"Cache subnet group {name} is currently in use by a cache cluster."),
                "DeleteCacheSubnetGroup",
            )
        del backend.cache_subnet_groups[name]
        return ActionResult({})

    elasticache_users.apply(state)
    parameter_groups.apply(state)
    # Last: its ModifyReplicationGroup check must run before the others change the group.
    auth_tokens.apply(state)
