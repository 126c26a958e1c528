"""ElastiCache: replication group lifecycle (deletes finish), NumCacheClusters honoured,
reader endpoint, IncreaseReplicaCount / DecreaseReplicaCount."""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.elasticache.exceptions import (
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
    ReplicationGroupNotFound,
)
from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup
from moto.elasticache.responses import ElastiCacheResponse

from .. import lifecycle
from . import add, wrap

KIND = "elasticache_replication_group"
MAX_REPLICAS = 5


class InvalidReplicationGroupState(ElastiCacheException):
    code = "InvalidReplicationGroupState"


def get_group(backend: ElastiCacheBackend, rg_id: str) -> ReplicationGroup:
    rg = backend.replication_groups.get(rg_id)
    if rg is None:
        raise ReplicationGroupNotFound(rg_id)
    return rg


def require_available(rg: ReplicationGroup) -> None:
    if rg.status != "available":
        raise InvalidReplicationGroupState(
            f"Replication group must be in available state to modify it; it is {rg.status}."
        )


def sync_node_groups(rg: ReplicationGroup) -> Any:
    def on_status(value: str) -> None:
        for ng in rg.node_groups:
            ng["status"] = value

    return on_status


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


def apply(state: Any) -> None:
    @wrap(ReplicationGroup, "_set_node_members_clusters_disabled")
    def set_members_disabled(orig: Any, self: ReplicationGroup, **kwargs: Any) -> Any:
        # moto ignores NumCacheClusters (it only reads ReplicasPerNodeGroup).
        if not kwargs.get("replicas_per_node_group") and kwargs.get("num_cache_clusters"):
            kwargs["replicas_per_node_group"] = int(kwargs["num_cache_clusters"]) - 1
        return orig(self, **kwargs)

    @wrap(ElastiCacheBackend, "create_replication_group")
    def create_replication_group(orig: Any, self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> Any:
        num = kwargs.get("num_cache_clusters")
        if num is not None and not 1 <= int(num) <= 6:
            raise InvalidParameterValueException(
                "NumCacheClusters must be between 1 and 6."
            )
        if kwargs.get("automatic_failover_enabled") and num is not None and int(num) < 2 and not kwargs.get("replicas_per_node_group") and kwargs.get("cluster_mode") != "enabled":
            raise InvalidParameterCombinationException(
                "Automatic failover requires at least two cache clusters (NumCacheClusters >= 2)."
            )
        rg = orig(self, *args, **kwargs)
        add_reader_endpoints(rg)
        lifecycle.begin(rg, KIND, "create", "creating", "available", on_status=sync_node_groups(rg))
        return rg

    @wrap(ElastiCacheBackend, "modify_replication_group")
    def modify_replication_group(orig: Any, self: ElastiCacheBackend, replication_group_id: str, *args: Any, **kwargs: Any) -> Any:
        rg = get_group(self, replication_group_id)
        require_available(rg)
        rg = orig(self, replication_group_id, *args, **kwargs)
        lifecycle.begin(rg, KIND, "update", "modifying", "available", on_status=sync_node_groups(rg))
        return rg

    @wrap(ElastiCacheBackend, "delete_replication_group")
    def delete_replication_group(orig: Any, self: ElastiCacheBackend, replication_group_id: str, retain_primary_cluster: Any) -> Any:
        rg = get_group(self, replication_group_id)
        if rg.status == "deleting":
            raise InvalidReplicationGroupState(
                f"Replication group {replication_group_id} is already being deleted."
            )
        if rg.status != "available":
            raise InvalidReplicationGroupState(
                f"Replication group {replication_group_id} is in {rg.status} state and cannot be deleted."
            )
        rg = orig(self, replication_group_id, retain_primary_cluster)

        def gone() -> None:
            if self.replication_groups.get(replication_group_id) is rg:
                del self.replication_groups[replication_group_id]

        lifecycle.begin(rg, KIND, "delete", "deleting", None, on_done=gone, on_status=sync_node_groups(rg))
        return rg

    def change_replicas(resp: ElastiCacheResponse, increase: bool) -> ActionResult:
        backend = resp.elasticache_backend
        rg_id = resp._get_param("ReplicationGroupId")
        rg = get_group(backend, rg_id)
        if resp._get_param("ApplyImmediately") is None:
            raise InvalidParameterValueException("ApplyImmediately is required.")
        require_available(rg)
        new_count = resp._get_int_param("NewReplicaCount")
        per_group = {
            str(c.get("NodeGroupId")): int(c.get("NewReplicaCount"))
            for c in (resp._get_param("ReplicaConfiguration") or [])
        }
        to_remove = list(resp._get_param("ReplicasToRemove") or [])
        if new_count is None and not per_group and not to_remove:
            raise InvalidParameterValueException(
                "Either NewReplicaCount, ReplicaConfiguration or ReplicasToRemove is required."
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
                raise InvalidParameterValueException(
                    f"The new replica count ({target}) must be greater than the current replica count ({current})."
                )
            if not increase and target >= current:
                raise InvalidParameterValueException(
                    f"The new replica count ({target}) must be less than the current replica count ({current})."
                )
            if target > MAX_REPLICAS:
                raise InvalidParameterValueException(
                    f"The replica count cannot exceed {MAX_REPLICAS}."
                )
            if target < 0 or (failover and target < 1):
                raise InvalidParameterCombinationException(
                    "Cannot have less than one replica when automatic failover is enabled."
                    if failover
                    else "The replica count cannot be negative."
                )
            plans.append((ng, target))
        for ng, target in plans:
            set_replica_count(rg, ng, target, to_remove)
        rebuild_member_clusters(rg)
        lifecycle.begin(rg, KIND, "update", "modifying", "available", on_status=sync_node_groups(rg))
        return ActionResult({"ReplicationGroup": rg})

    @add(ElastiCacheResponse)
    def increase_replica_count(self: ElastiCacheResponse) -> ActionResult:
        return change_replicas(self, True)

    @add(ElastiCacheResponse)
    def decrease_replica_count(self: ElastiCacheResponse) -> ActionResult:
        return change_replicas(self, False)

