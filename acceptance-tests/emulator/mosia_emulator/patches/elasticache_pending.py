"""ElastiCache pending modifications: ModifyReplicationGroup without ApplyImmediately leaves a
node type change or an engine upgrade for the maintenance window, fired as the
`elasticache_maintenance` event (`POST /_mosia/events`).

Applied in place of `elasticache` (the `elasticache` entry of `patches.MODULES`): `apply` runs
`elasticache.apply` first, so these wrappers are the outermost ones and see each request
before the other ElastiCache patches check and apply it.

Sources:
- ElastiCache user guide, "Modifying an ElastiCache cluster" (Clusters.Modify): "The
  ApplyImmediately parameter applies only to modifications in node type, engine version, and
  changing the number of nodes in a cluster ... If you prefer postponing these changes to your
  next maintenance window, set the ApplyImmediately parameter to false. Other modifications,
  such as changing the maintenance window, are applied immediately." (Console: "If this box is
  not chosen, node type and engine version modifications are applied during the next
  maintenance window.") The number of nodes is Memcached's (a Valkey or Redis OSS cluster has
  one node; replicas change through Increase/DecreaseReplicaCount, which take only
  ApplyImmediately=true: IncreaseReplicaCount reference, "ApplyImmediately=False is not
  currently supported").
- User guide, "Managing maintenance" (maintenance-window): node type modifications and engine
  upgrades without Apply Immediately "will be applied during your next scheduled maintenance
  window"; "Any deferred or pending cluster modifications you requested occur during this
  time."
- User guide, "Scaling up/down clusters with replicas" (Scaling.RedisReplGrps.ScaleUp /
  ScaleDown, ModifyReplicationGroup with CacheNodeType): "To postpone the scale-up process to
  the next maintenance window, use ApplyImmediately=false"; the group is `modifying` only when
  the change is applied ("If you chose Apply immediately ..., the cluster's status changes to
  modifying", redis-cluster-vertical-scaling-scaling-up); the answer's group shows
  `"PendingModifiedValues": {}`.
- API model (botocore elasticache service-2): a replication group's PendingModifiedValues
  (ReplicationGroupPendingModifiedValues) has no CacheNodeType or EngineVersion member; a cache
  cluster's (PendingModifiedValues: "A group of settings that are applied to the cluster in the
  future") has both. So the values wait on each member cluster (DescribeCacheClusters), and the
  group keeps its CacheNodeType and stays `available`.
- API reference ModifyReplicationGroup, ApplyImmediately: "If true, this parameter causes the
  modifications in this request and any pending modifications to be applied, asynchronously
  and as soon as possible, regardless of the PreferredMaintenanceWindow setting"; default false.
- API reference ModifyCacheCluster, ApplyImmediately: "If you perform a ModifyCacheCluster
  before a pending modification is applied, the pending modification is replaced by the newer
  modification." Taken for ModifyReplicationGroup too (not documented there): a newer value
  replaces the pending one, and asking for the running value again clears it (not verified).
- User guide, "Scaling up clusters with replicas" and "Upgrading engine versions" (Resolving
  blocked engine upgrades), "Blocked Redis operations": a pending scale up blocks an immediate
  engine upgrade, a pending engine upgrade blocks an immediate scale up; the remedies are to
  defer the new operation, or to add the pending one to the immediate request. The code and
  wording of the refusal are not published: InvalidReplicationGroupState is assumed. "Scale
  up" is read as a larger node size (nano < micro < small < medium < large < xlarge <
  2xlarge ...); a change whose size cannot be compared is not refused.

Not modelled (not verified either way): an engine change (redis -> valkey) waiting for the
window (it applies at once, as before); a deferred upgrade to another parameter group family
together with an explicit CacheParameterGroupName (the named group applies at once, the version
waits; a default group that follows the family waits with the version); the maintenance window
coming by itself (only the event runs it).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterator

from moto.core import DEFAULT_ACCOUNT_ID
from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup, elasticache_backends
from moto.elasticache.responses import ElastiCacheResponse

from .. import events, lifecycle
from . import elasticache, wrap
from . import elasticache_parameter_groups as parameter_groups
from . import elasticache_rules as rules

KIND = elasticache.KIND
OP = "ModifyReplicationGroup"
# The ModifyReplicationGroup members that wait for the maintenance window without
# ApplyImmediately (Clusters.Modify), with the group's attribute and the name a member cluster's
# PendingModifiedValues gives them.
DEFERRED = {"CacheNodeType": "cache_node_type", "EngineVersion": "engine_version"}
# A default parameter group that follows an engine upgrade into another family
# (`elasticache_parameter_groups`) waits with the version.
GROUP = "CacheParameterGroupName"
# Request members that are not a change of their own.
NOT_CHANGES = frozenset({"ReplicationGroupId", "ApplyImmediately", "Action", "Version"})
SIZES = ("nano", "micro", "small", "medium", "large", "xlarge")
MULTI_XLARGE = re.compile(r"(\d+)xlarge")

_deferring_only = False  # set while a request that changes nothing now is dispatched


def pending(rg: ReplicationGroup) -> dict[str, Any]:
    """What waits for the window: {"CacheNodeType": ..., "EngineVersion": ...,
    "CacheParameterGroupName": ... (only with an engine version)}."""
    found = rg.__dict__.get("_mosia_pending")
    if found is None:
        found = rg.__dict__["_mosia_pending"] = {}
    return found


def running(rg: ReplicationGroup, param: str) -> Any:
    return getattr(rg, DEFERRED[param], None)


def publish(backend: ElastiCacheBackend) -> None:
    """Each member cluster shows its group's pending node type and engine version as its
    PendingModifiedValues (absent when nothing waits, as before)."""
    for cc in backend.cache_clusters.values():
        rg = backend.replication_groups.get(getattr(cc, "replication_group_id", None) or "")
        if rg is None:
            continue
        values = {p: v for p, v in pending(rg).items() if p in DEFERRED}
        cc.pending_modified_values = values or None


def size_rank(node_type: Any) -> int | None:
    size = str(node_type or "").rsplit(".", 1)[-1]
    if size in SIZES:
        return SIZES.index(size)
    m = MULTI_XLARGE.fullmatch(size)
    return len(SIZES) - 2 + int(m.group(1)) if m else None


def scales_up(have: Any, want: Any) -> bool:
    a, b = size_rank(have), size_rank(want)
    return a is not None and b is not None and b > a


def blocked(message: str) -> Exception:
    return rules.refuse(elasticache.InvalidReplicationGroupState(message), OP)


def check_blocked(rg: ReplicationGroup, given: dict[str, Any]) -> None:
    """ApplyImmediately: the "Blocked Redis operations" table (module doc). `given` holds the
    request's node type and engine version; one the request names replaces the pending one,
    so only an operation the request leaves pending can block."""
    waiting = pending(rg)
    have = rg.cache_node_type
    upgrade = given.get("EngineVersion") not in (None, rg.engine_version)
    if (
        "EngineVersion" in waiting and "EngineVersion" not in given
        and scales_up(have, given.get("CacheNodeType"))
    ):
        raise blocked(
            f"Cannot scale up replication group {rg.replication_group_id} immediately while an "
            f"engine upgrade to {waiting['EngineVersion']} is pending for the maintenance window. "
            "Apply the engine upgrade in the same request or postpone the scale up."
        )
    if (
        "CacheNodeType" in waiting and "CacheNodeType" not in given and upgrade
        and scales_up(have, waiting["CacheNodeType"])
    ):
        raise blocked(
            f"Cannot upgrade the engine of replication group {rg.replication_group_id} "
            f"immediately while a scale up to {waiting['CacheNodeType']} is pending for the "
            "maintenance window. Apply the scale up in the same request or postpone the upgrade."
        )


@contextmanager
def deferring_only(flag: bool) -> Iterator[None]:
    global _deferring_only
    before, _deferring_only = _deferring_only, flag
    try:
        yield
    finally:
        _deferring_only = before


def modify_now(orig: Any, resp: ElastiCacheResponse, rg: ReplicationGroup) -> Any:
    """ApplyImmediately=true: the request and everything pending apply now (the request's
    values win); the pending values are cleared once the request is accepted."""
    check_blocked(rg, {p: resp._get_param(p) for p in DEFERRED if resp._get_param(p) is not None})
    waiting = pending(rg)
    for param in DEFERRED:
        if param in waiting and resp._get_param(param) is None:
            resp.params[param] = waiting[param]
    result = orig(resp)
    waiting.clear()
    return result


def modify_later(orig: Any, resp: ElastiCacheResponse, backend: ElastiCacheBackend, rg: ReplicationGroup) -> Any:
    """ApplyImmediately=false: the request is checked and its other settings applied as before;
    the node type and engine version go back to the running ones and wait. A request with
    nothing else leaves the group `available`."""
    asked = {p: resp._get_param(p) for p in DEFERRED if resp._get_param(p) is not None}
    now = any(
        value is not None and name not in NOT_CHANGES and name not in DEFERRED
        for name, value in resp.params.items()
    )
    before = {p: running(rg, p) for p in DEFERRED}
    group_before = rg.cache_parameter_group_name
    with deferring_only(not now):
        result = orig(resp)
    # The inner patches applied the deferred settings as if immediate: put the running ones back.
    for param, attr in DEFERRED.items():
        setattr(rg, attr, before[param])
    waiting = pending(rg)
    followed = rg.cache_parameter_group_name != group_before and resp._get_param(GROUP) is None
    if followed:
        waiting[GROUP] = rg.cache_parameter_group_name
        rg.cache_parameter_group_name = group_before
    for param, value in asked.items():
        if value == before[param]:
            waiting.pop(param, None)  # the running value again: nothing waits (not verified)
        else:
            waiting[param] = value  # a newer value replaces the pending one
    if "EngineVersion" in asked and not followed:
        waiting.pop(GROUP, None)
    if "EngineVersion" not in waiting:
        waiting.pop(GROUP, None)
    elasticache.sync_members(backend, rg)
    elasticache.group_status(backend, rg)(rg.status)
    publish(backend)
    return result


def find_group(payload: dict[str, Any]) -> tuple[ElastiCacheBackend, ReplicationGroup]:
    rg_id = payload.get("replication_group_id")
    if not rg_id or not isinstance(rg_id, str):
        raise ValueError("replication_group_id (a string) is required")
    account = str(payload.get("account_id") or DEFAULT_ACCOUNT_ID)
    backends = elasticache_backends[account]
    regions = [str(payload["region"])] if payload.get("region") else list(backends.keys())
    for region in regions:
        backend = backends[region]
        for key in (rg_id, rg_id.lower()):
            rg = backend.replication_groups.get(key)
            if rg is not None:
                return backend, rg
    raise ValueError(f"no replication group {rg_id!r} in {', '.join(regions) or 'any region'}")


def answer(backend: ElastiCacheBackend, rg: ReplicationGroup, applied: dict[str, Any]) -> dict[str, Any]:
    return {
        "replication_group_id": rg.replication_group_id,
        "status": rg.status,
        "cache_node_type": rg.cache_node_type,
        "engine_version": rg.engine_version,
        "cache_parameter_group_name": rg.cache_parameter_group_name,
        "pending": {p: v for p, v in pending(rg).items() if p in DEFERRED},
        "applied": applied,
    }


def maintenance(payload: dict[str, Any]) -> dict[str, Any]:
    """The group's maintenance window: the pending node type and engine version apply
    (`modifying` for the elasticache_replication_group update duration, then `available`)."""
    lifecycle.SCHEDULER.tick()
    backend, rg = find_group(payload)
    waiting = dict(pending(rg))
    if not waiting:
        return answer(backend, rg, {})
    if rg.status != "available":
        raise ValueError(
            f"maintenance: replication group {rg.replication_group_id} is {rg.status}"
        )
    for param, attr in DEFERRED.items():
        if param in waiting:
            setattr(rg, attr, waiting[param])
    if GROUP in waiting:
        rg.cache_parameter_group_name = waiting[GROUP]
        for cc in backend.cache_clusters.values():
            if getattr(cc, "replication_group_id", None) == rg.replication_group_id:
                cc.mosia_parameter_apply_status = parameter_groups.IN_SYNC
    pending(rg).clear()
    elasticache.sync_members(backend, rg)
    publish(backend)
    lifecycle.begin(
        rg, KIND, "update", "modifying", "available",
        on_status=elasticache.group_status(backend, rg), name=rg.replication_group_id,
    )
    return answer(backend, rg, waiting)


def apply(state: Any) -> None:
    elasticache.apply(state)
    events.register("elasticache_maintenance")(maintenance)

    @wrap(ElastiCacheBackend, "modify_replication_group")
    def modify_replication_group(orig: Any, self: ElastiCacheBackend, replication_group_id: str, *args: Any, **kwargs: Any) -> Any:
        if _deferring_only:
            # Nothing applies now: no `modifying` (the answer's checks ran in the response).
            return elasticache.get_group(self, replication_group_id)
        return orig(self, replication_group_id, *args, **kwargs)

    @wrap(ElastiCacheResponse, "modify_replication_group")
    def modify_replication_group_response(orig: Any, self: ElastiCacheResponse) -> Any:
        backend = self.elasticache_backend
        rg = backend.replication_groups.get(self._get_param("ReplicationGroupId"))
        if rg is None or rg.status != "available":
            return orig(self)  # ReplicationGroupNotFound, InvalidReplicationGroupState
        if self._get_bool_param("ApplyImmediately", False):
            result = modify_now(orig, self, rg)
            publish(backend)
            return result
        return modify_later(orig, self, backend, rg)

    @wrap(ElastiCacheBackend, "describe_cache_clusters")
    def describe_cache_clusters(orig: Any, self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> Any:
        publish(self)  # members added since (IncreaseReplicaCount) show what waits too
        return orig(self, *args, **kwargs)
