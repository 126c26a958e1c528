"""ElastiCache snapshots of replication groups: the final snapshot DeleteReplicationGroup takes,
and the daily automatic snapshots a group with SnapshotRetentionLimit > 0 keeps.

moto 5.2.5 ignores DeleteReplicationGroup's FinalSnapshotIdentifier (the group goes, no
snapshot), and has no automatic snapshots. This module (applied after `elasticache_logs`):

- DeleteReplicationGroup with FinalSnapshotIdentifier: "The name of a final node group (shard)
  snapshot. ElastiCache creates the snapshot from the primary node in the cluster, rather than
  one of the replicas; this is to ensure that it captures the freshest data. After the final
  snapshot is taken, the replication group is immediately deleted." (API reference,
  DeleteReplicationGroup). The snapshot is a manual one (SnapshotSource `manual`, it stays after
  the group) of the group, with its node type, engine, version, KMS key and retention. A name
  already used: SnapshotAlreadyExistsFault "Snapshot NAME already exists." (moto's wording);
  a cache.t1.micro group: InvalidParameterCombination, "Backup and restore are not supported
  for cache.t1.micro nodes" (ElastiCache User Guide, "Snapshot and restore": "not supported
  for ... cache.t1.micro"; wording assumed). Checked before the group's own state checks
  only when the group can be deleted (otherwise the delete's refusal comes first, and no
  snapshot is taken).
- Automatic snapshots are deleted with their group ("When you delete a cluster, all automatic
  backups of it are deleted", User Guide, "Scheduling automatic backups"); manual ones stay.
- DescribeSnapshots' SnapshotSource filter takes `system` (automatic) and `user` (manual), and
  a snapshot reports SnapshotSource `automated` or `manual` (API reference, DescribeSnapshots
  and Snapshot): moto's mapping, kept.

Control for tests (`POST /_mosia/events`): `elasticache_take_automatic_snapshot`
`{"replication_group_id": ID}` takes the day's automatic snapshot of an available group whose
SnapshotRetentionLimit is above 0, named `automatic.ID-YYYY-MM-DD-HH-MM` (the form the User
Guide's examples show; assumed), SnapshotSource `automated`, and drops the ones older than the
retention. A group without automatic backups, or not available, is a ValueError (HTTP 400).
"""

from __future__ import annotations

import time
from typing import Any

from moto.elasticache.exceptions import (
    InvalidParameterCombinationException,
    ReplicationGroupNotFound,
    SnapshotAlreadyExists,
)
from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup
from moto.elasticache.responses import ElastiCacheResponse

from .. import events
from . import elasticache_logs, wrap
from . import elasticache_rules as rules

OP = "DeleteReplicationGroup"
NO_BACKUPS = ("cache.t1.micro",)
DAY = 24 * 3600


def snapshot_of(backend: ElastiCacheBackend, rg: ReplicationGroup, name: str, source: str) -> Any:
    """A snapshot of `rg` named `name`, as ElastiCache records it."""
    snapshot = backend.create_snapshot(
        snapshot_name=name,
        replication_group_id=rg.replication_group_id,
        cache_cluster_id=None,
        kms_key_id=getattr(rg, "kms_key_id", None),
        tags=None,
    )
    snapshot.snapshot_source = source
    snapshot.cache_node_type = getattr(rg, "cache_node_type", None)
    snapshot.engine = getattr(rg, "engine", None)
    snapshot.engine_version = getattr(rg, "engine_version", None)
    snapshot.mosia_taken_at = time.time()
    return snapshot


def take_final_snapshot(backend: ElastiCacheBackend, rg: ReplicationGroup, name: str) -> None:
    if name in backend.snapshots:
        raise rules.refuse(SnapshotAlreadyExists(name), OP)
    if getattr(rg, "cache_node_type", None) in NO_BACKUPS:
        raise rules.refuse(
            InvalidParameterCombinationException(
                f"Backup and restore are not supported for {rg.cache_node_type} nodes."
            ),
            OP,
        )
    snapshot_of(backend, rg, name, "manual")


def drop_automatic(backend: ElastiCacheBackend, group_id: str, older_than: float | None = None) -> None:
    """Deletes the group's automatic snapshots (taken before `older_than`, when given)."""
    for name, snapshot in list(backend.snapshots.items()):
        if snapshot.replication_group_id != group_id or snapshot.snapshot_source != "automated":
            continue
        if older_than is None or getattr(snapshot, "mosia_taken_at", 0.0) < older_than:
            del backend.snapshots[name]


def backend_of(account: str, region: str) -> ElastiCacheBackend:
    from moto.elasticache.models import elasticache_backends

    return elasticache_backends[account][region]


def take_automatic_snapshot(payload: dict[str, Any]) -> dict[str, Any]:
    group_id = str(payload.get("replication_group_id") or "")
    backend = backend_of(
        str(payload.get("account_id") or "123456789012"), str(payload.get("region") or "us-east-1")
    )
    rg = backend.replication_groups.get(group_id)
    if rg is None:
        raise ValueError(f"no replication group {group_id!r}")
    days = int(getattr(rg, "snapshot_retention_limit", 0) or 0)
    if days <= 0:
        raise ValueError(f"{group_id} keeps no automatic snapshots (SnapshotRetentionLimit 0)")
    if rg.status != "available":
        raise ValueError(f"{group_id} is {rg.status}: automatic snapshots wait for available")
    name = f"automatic.{group_id}-{time.strftime('%Y-%m-%d-%H-%M', time.gmtime())}"
    if name in backend.snapshots:
        name = f"{name}-{len(backend.snapshots)}"
    snapshot = snapshot_of(backend, rg, name, "automated")
    drop_automatic(backend, group_id, older_than=snapshot.mosia_taken_at - days * DAY)
    return {"snapshot_name": name, "retention_days": days}


def apply(state: Any) -> None:
    elasticache_logs.apply(state)
    events.register("elasticache_take_automatic_snapshot")(take_automatic_snapshot)

    @wrap(ElastiCacheResponse, "delete_replication_group")
    def delete_replication_group(orig: Any, self: ElastiCacheResponse) -> Any:
        backend = self.elasticache_backend
        group_id = self._get_param("ReplicationGroupId")
        final = self._get_param("FinalSnapshotIdentifier")
        rg = backend.replication_groups.get(group_id)
        if rg is None:
            raise rules.refuse(ReplicationGroupNotFound(group_id), OP)
        if final and rg.status == "available":
            take_final_snapshot(backend, rg, final)
        result = orig(self)
        drop_automatic(backend, group_id)
        return result
