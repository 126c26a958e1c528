"""ElastiCache cache parameter groups (moto 5.2.5 has none): CreateCacheParameterGroup,
DescribeCacheParameterGroups, DescribeCacheParameters, DescribeEngineDefaultParameters,
ModifyCacheParameterGroup, ResetCacheParameterGroup, DeleteCacheParameterGroup, the default
groups AWS has in every region, and their use by replication groups and cache clusters
(`CacheParameterGroupName` at create and modify, `CacheParameterGroup` of each member cluster).

Sources:
- ElastiCache API reference: CreateCacheParameterGroup (the 12 families), ModifyCacheParameterGroup
  ("A maximum of 20 parameters may be modified per request"), ResetCacheParameterGroup ("If
  ResetAllParameters is true, do not use ParameterNameValues. If ResetAllParameters is false,
  you must specify the name of at least one parameter to reset"), DescribeCacheParameters
  (Source: user | system | engine-default), DeleteCacheParameterGroup, CreateReplicationGroup
  (CacheParameterGroupName: "If this argument is omitted, the default cache parameter group for
  the specified engine is used"; default.redis3.2 / default.redis3.2.cluster.on).
- ElastiCache user guide, "Engine specific parameters"
  (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html):
  the families' default groups (default.<family>, default.<family>.cluster.on), "You can't
  change the values of any parameters in the default parameter group", conditionally modifiable
  parameters ("Modifiable: Yes if the parameter group is not associated with any cache
  clusters. Otherwise, no": databases, activerehashing; a custom group can be assigned "as
  long as the values of conditionally modifiable parameters are the same in both parameter
  groups"), the parameters per family with their defaults and permitted values (Redis OSS
  2.6.13 to 7, Valkey 7.2 = Redis OSS 7, Valkey 8 repl-backlog-size 10485760), "Memcached
  specific parameters" (changes take effect after restart).
- AWS CLI reference examples describe-cache-parameters / describe-engine-default-parameters
  (redis5.0): DataType, AllowedValues ("0,20-" for timeout, "1-1200000" for databases, ...),
  IsModifiable, ChangeType (requires-reboot: activerehashing, cluster-enabled, databases,
  maxclients; the rest immediate), Source `system` for defaults, `user` for values a user set.
- terraform-provider-aws internal/service/elasticache/parameter_group.go: modifies and resets
  in batches of 20; reset answers InvalidParameterValue "Parameter reserved-memory doesn't
  exist" for a parameter the family lacks; retries a delete on InvalidCacheParameterGroupState
  (the group still in use); ignores CacheParameterGroupNotFound on delete.

Errors (code, message):
- InvalidParameterCombination "Cannot modify more than 20 parameters in a single request"
  (terraform-provider-aws #1221);
- InvalidParameterValue "The parameter CacheParameterGroupName is not a valid identifier.
  Identifiers must begin with a letter; ..." (terraform-community-modules/tf_aws_elasticache_redis
  #1 and #46); AWS checks it on delete too, so a `default.` group (the dot) cannot be deleted;
- InvalidParameterValue "The parameter cluster-enabled cannot be modified." for a conditionally
  modifiable parameter of a group in use (cloudposse/terraform-aws-elasticache-redis #212), and
  for a parameter that is never modifiable;
- CacheParameterGroupNotFound (HTTP 404) "CacheParameterGroup not found: X" for a group named
  by CreateReplicationGroup / CreateCacheCluster / Modify (terraform-provider-aws #18338,
  azavea/terraform-aws-redis-elasticache #12), "CacheParameterGroup X not found." for the
  describe calls and "CacheParameterGroupnot found: X" for a delete, and
  CacheParameterGroupAlreadyExists "Parameter group X already exists", InvalidParameterValue
  "CacheParameterGroupFamily X is not a valid parameter group family.", "The parameter group
  X is a default group and cannot be modified." (floci-io/floci #2392, an emulator that took
  them from a live account);
- InvalidParameterCombination "Expected a parameter group of family redis7 but found one of
  family redis6.x" (as `elasticache_rules`, which only knows the default groups).
Assumed wordings (AWS does not publish them): a value outside AllowedValues, the group in use
at delete (InvalidCacheParameterGroupState), Reset with both or neither of ResetAllParameters
and ParameterNameValues, an unknown Source, a conditionally modifiable parameter that differs
from the current group's when a replication group changes group.

Apply status: a cluster using a group shows `CacheParameterGroup` {name, ParameterApplyStatus,
CacheNodeIdsToReboot}. A change of a requires-reboot parameter makes it `pending-reboot` with
all its node IDs to reboot; an immediate change is applied at once (`in-sync`; AWS shows
`applying` for a moment). The Redis OSS / Valkey requires-reboot parameters are all either not
modifiable or only while the group is unused, so only a Memcached cluster ends up
`pending-reboot`; a new group at ModifyReplicationGroup makes the members `in-sync`.
Not modelled: MaxRecords / Marker paging (all in one page), CacheNodeTypeSpecificParameters,
RebootCacheCluster, a custom group's `cluster-enabled` deciding the cluster mode at create.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from moto.core.responses import ActionResult
from moto.elasticache.exceptions import (
    ElastiCacheException,
    InvalidParameterCombinationException,
    InvalidParameterValueException,
)
from moto.elasticache.models import CacheCluster, ElastiCacheBackend, ReplicationGroup
from moto.elasticache.responses import ElastiCacheResponse

from . import add, wrap
from . import elasticache_rules as rules

FAMILIES = (
    "memcached1.4", "memcached1.5", "memcached1.6", "redis2.6", "redis2.8", "redis3.2",
    "redis4.0", "redis5.0", "redis6.x", "redis7", "valkey7", "valkey8",
)
# The families with a cluster-mode-enabled default group (default.<family>.cluster.on).
CLUSTER_ON_FAMILIES = ("redis3.2", "redis4.0", "redis5.0", "redis6.x", "redis7", "valkey7", "valkey8")
CLUSTER_ON = ".cluster.on"
DEFAULT_PREFIX = "default."
MAX_PARAMETERS = 20
MAX_NAME = 255
SOURCES = ("user", "system", "engine-default")
IMMEDIATE, REBOOT = "immediate", "requires-reboot"
IN_SYNC, PENDING_REBOOT = "in-sync", "pending-reboot"
# The engine version a request without one gets (as `elasticache` and `elasticache_rules`).
DEFAULT_VERSIONS = {
    "redis": rules.DEFAULT_REDIS_VERSION, "valkey": rules.DEFAULT_REDIS_VERSION, "memcached": "1.6",
}
# The rank of each Redis OSS / Valkey family: parameters come and go with the versions.
RANK = {
    "redis2.6": 0, "redis2.8": 1, "redis3.2": 2, "redis4.0": 3, "redis5.0": 4, "redis6.x": 5,
    "redis7": 6, "valkey7": 6, "valkey8": 7,
}
MINIMUM_VERSION = {
    "redis2.6": "2.6.13", "redis2.8": "2.8.6", "redis3.2": "3.2.4", "redis4.0": "4.0.10",
    "redis5.0": "5.0.0", "redis6.x": "6.0.0", "redis7": "7.0.4", "valkey7": "7.2.4",
    "valkey8": "8.0.1", "memcached1.4": "1.4.5", "memcached1.5": "1.5.10", "memcached1.6": "1.6.6",
}
YES_NO = "yes,no"
EVICTION = (
    "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,"
    "volatile-ttl,noeviction"
)
EVICTION_BEFORE_4 = "volatile-lru,allkeys-lru,volatile-random,allkeys-random,volatile-ttl,noeviction"


class CacheParameterGroupNotFound(ElastiCacheException):
    code = "CacheParameterGroupNotFound"


class CacheParameterGroupAlreadyExists(ElastiCacheException):
    code = "CacheParameterGroupAlreadyExists"


class InvalidCacheParameterGroupState(ElastiCacheException):
    code = "InvalidCacheParameterGroupState"


@dataclass(frozen=True)
class Param:
    name: str
    default: str
    data_type: str
    allowed: str | None
    description: str
    modifiable: bool = True
    change: str = IMMEDIATE
    # Modifiable only while no cluster uses the group (and never in a default group).
    conditional: bool = False


def redis_params(family: str) -> list[Param]:
    """A realistic subset of a Redis OSS / Valkey family's parameters (see the module doc)."""
    rank = RANK[family]
    p = [
        Param("activerehashing", "yes", "string", YES_NO, "Apply rehashing or not.",
              modifiable=rank < 6, change=REBOOT, conditional=rank >= 2),
        Param("appendonly", "no", "string", YES_NO, "Enable Redis persistence.", modifiable=rank < 2),
        Param("appendfsync", "everysec", "string", "always,everysec,no",
              "fsync policy for AOF persistence", modifiable=rank < 2),
        Param("databases", "16", "integer", "1-1200000", "Set the number of databases.",
              modifiable=rank >= 2, change=REBOOT, conditional=True),
        Param("maxclients", "65000", "integer", "1-65000", "The maximum number of Redis clients.",
              modifiable=False, change=REBOOT),
        Param("maxmemory-policy", "volatile-lru", "string", EVICTION if rank >= 3 else EVICTION_BEFORE_4,
              "Max memory policy."),
        Param("maxmemory-samples", "3", "integer", "1-", "Max memory samples."),
        Param("slowlog-log-slower-than", "10000", "integer", "-",
              "The execution time, in microseconds, to exceed in order for the command to get logged."),
        Param("slowlog-max-len", "128", "integer", "0-", "The length of the slow log."),
        Param("tcp-keepalive", "300" if rank >= 2 else "0", "integer", "0-",
              "If non-zero, send ACKs every given number of seconds."),
        Param("timeout", "0", "integer", "0,20-",
              "Close connection if client is idle for a given number of seconds, or never if 0."),
    ]
    if rank >= 1:
        p += [
            Param("notify-keyspace-events", "", "string", None,
                  "The keyspace events for Redis to notify Pub/Sub clients about. By default all "
                  "notifications are disabled"),
            Param("repl-backlog-size", "10485760" if family == "valkey8" else "1048576", "integer",
                  "16384-", "The replication backlog size in bytes for PSYNC."),
            Param("repl-backlog-ttl", "3600", "integer", "0-",
                  "The amount of time in seconds after the primary no longer has any replicas "
                  "connected for the primary to free the replication backlog."),
        ]
    if rank < 2:
        p.append(Param("reserved-memory", "0", "integer", "0-",
                       "The amount of memory reserved for non-cache memory usage, in bytes."))
    else:
        p += [
            Param("reserved-memory-percent", "25", "integer", "0-100",
                  "The percent of memory reserved for non-cache memory usage."),
            Param("cluster-enabled", "no", "string", YES_NO, "Enable cluster mode",
                  change=REBOOT, conditional=True),
            Param("cluster-require-full-coverage", "no", "string", YES_NO,
                  "Whether cluster becomes unavailable if one or more slots are not covered"),
        ]
    if rank >= 3:
        p += [
            Param("activedefrag", "no", "string", YES_NO, "Enabled active memory defragmentation"),
            Param("lazyfree-lazy-eviction", "no", "string", YES_NO,
                  "Perform an asynchronous delete on evictions"),
            Param("lazyfree-lazy-expire", "no", "string", YES_NO,
                  "Perform an asynchronous delete on expired keys"),
            Param("lazyfree-lazy-server-del", "no", "string", YES_NO,
                  "Perform an asynchronous delete on key updates"),
            Param("lfu-log-factor", "10", "integer", "1-",
                  "The log factor for incrementing key counter for LFU eviction policy"),
            Param("lfu-decay-time", "1", "integer", "0-",
                  "The amount of time in minutes to decrement the key counter for LFU eviction policy"),
        ]
    replica = "replica" if rank >= 4 else "slave"
    if rank >= 1:
        p += [
            Param(f"min-{replica}s-to-write", "0", "integer", "0-",
                  "The minimum number of replicas that must be present for the primary to take writes."),
            Param(f"min-{replica}s-max-lag", "10", "integer", "0-",
                  "The maximum amount of replica lag in seconds beyond which the primary stops taking writes."),
            Param(f"close-on-{replica}-write", "yes", "string", YES_NO,
                  "If enabled, clients who attempt to write to a read-only replica will be disconnected."),
        ]
    if rank >= 5:
        p += [
            Param("acl-pubsub-default", "allchannels", "string", "resetchannels,allchannels",
                  "Default pubsub channel permissions for ACL users deployed to this cluster."),
            Param("acllog-max-len", "128", "integer", "1-", "The max number of entries in the ACL log."),
            Param("active-expire-effort", "1", "integer", "1-10",
                  "The amount of effort spent on expiring keys."),
            Param("cluster-allow-reads-when-down", "no", "string", YES_NO,
                  "Allow reads when the cluster is down."),
            Param("lazyfree-lazy-user-del", "no", "string", YES_NO,
                  "When set to yes, the DEL command acts the same as UNLINK."),
            Param("tracking-table-max-keys", "1000000", "integer", "1-",
                  "The upper bound of the client-side caching tracking table."),
        ]
    listpack = "listpack" if rank >= 6 else "ziplist"
    p += [
        Param(f"hash-max-{listpack}-entries", "512", "integer", "0-",
              "The maximum number of hash entries in order for the dataset to be compressed."),
        Param(f"hash-max-{listpack}-value", "64", "integer", "0-",
              "The threshold of biggest hash entries in order for the dataset to be compressed."),
        Param(f"zset-max-{listpack}-entries", "128", "integer", "0-",
              "The maximum number of sorted set entries in order for the dataset to be compressed."),
        Param(f"zset-max-{listpack}-value", "64", "integer", "0-",
              "The threshold of biggest sorted set entries in order for the dataset to be compressed."),
    ]
    if rank >= 6:
        p += [
            Param("cluster-allow-pubsubshard-when-down", "yes", "string", YES_NO,
                  "Allow nodes to serve pubsub shard traffic while the cluster is down."),
            Param("cluster-preferred-endpoint-type", "ip", "string", "ip,tls-dynamic",
                  "The endpoint returned for MOVED/ASKING requests."),
            Param("latency-tracking", "no", "string", YES_NO, "Track the per command latencies."),
        ]
    return p


def memcached_params(family: str) -> list[Param]:
    """Memcached: all of them take effect after a restart."""
    p = [
        Param("backlog_queue_limit", "1024", "integer", "1-10000", "The backlog queue limit.",
              modifiable=False, change=REBOOT),
        Param("binding_protocol", "auto", "string", "auto,ascii", "The binding protocol.", change=REBOOT),
        Param("cas_disabled", "0", "boolean", "0,1",
              "If supplied, CAS operations will be disabled.", change=REBOOT),
        Param("chunk_size", "48", "integer", "1-1024",
              "The minimum amount of space to allocate for the smallest item's key + value + "
              "flags, in bytes.", change=REBOOT),
        Param("chunk_size_growth_factor", "1.25", "float", "1.01-100.00",
              "The growth factor controlling the size of each successive memcached chunk.",
              change=REBOOT),
        Param("max_item_size", "1048576", "integer", "1048576-134217728",
              "The size of the largest item that can be stored in the cluster, in bytes.",
              change=REBOOT),
        Param("max_simultaneous_connections", "65000", "integer", "1-65000",
              "The maximum number of simultaneous connections.", modifiable=False, change=REBOOT),
        Param("memcached_connections_overhead", "100", "integer", "0-",
              "The memory reserved for Memcached connections and other overhead, in MB.",
              change=REBOOT),
        Param("idle_timeout", "0", "integer", "0-86400",
              "The minimum number of seconds a client will be allowed to idle before being "
              "asked to close.", change=REBOOT),
    ]
    return p


@lru_cache(maxsize=None)
def family_params(family: str) -> dict[str, Param]:
    params = memcached_params(family) if family.startswith("memcached") else redis_params(family)
    return {p.name: p for p in sorted(params, key=lambda p: p.name)}


def allows(param: Param, value: str) -> bool:
    """`value` is one of AllowedValues ("a,b", "0-", "1-75", "0,20-", "-": any number)."""
    number = r"-?\d+(?:\.\d+)?"
    if param.data_type in ("integer", "float"):
        if re.fullmatch(r"-?\d+" if param.data_type == "integer" else number, value) is None:
            return False
        if param.allowed is None:
            return True
        v = float(value)
        for token in param.allowed.split(","):
            if re.fullmatch(number, token):
                if v == float(token):
                    return True
                continue
            bounds = re.fullmatch(rf"({number})?-({number})?", token)
            if bounds and (bounds[1] is None or v >= float(bounds[1])) and (
                bounds[2] is None or v <= float(bounds[2])
            ):
                return True
        return False
    return param.allowed is None or value in param.allowed.split(",")


class ParameterGroup:
    def __init__(self, backend: ElastiCacheBackend, name: str, family: str, description: str,
                 is_default: bool = False) -> None:
        self.name = name
        self.family = family
        self.description = description
        self.is_default = is_default
        self.arn = f"arn:aws:elasticache:{backend.region_name}:{backend.account_id}:parametergroup:{name}"
        self.base = {n: p.default for n, p in family_params(family).items()}
        if is_default and name.endswith(CLUSTER_ON):
            self.base["cluster-enabled"] = "yes"
        self.user: dict[str, str] = {}

    def value(self, name: str) -> str:
        return self.user.get(name, self.base[name])

    def to_dict(self) -> dict[str, Any]:
        return {
            "CacheParameterGroupName": self.name, "CacheParameterGroupFamily": self.family,
            "Description": self.description, "IsGlobal": False, "ARN": self.arn,
        }

    def parameters(self, in_use: bool) -> list[dict[str, Any]]:
        return [
            describe_param(p, self.value(n), "user" if n in self.user else "system",
                           self.family, p.modifiable and not (p.conditional and (in_use or self.is_default)))
            for n, p in family_params(self.family).items()
        ]


def describe_param(param: Param, value: str, source: str, family: str, modifiable: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ParameterName": param.name, "Description": param.description, "Source": source,
        "DataType": param.data_type, "IsModifiable": modifiable,
        "MinimumEngineVersion": MINIMUM_VERSION[family], "ChangeType": param.change,
    }
    if value != "" or source == "user":
        out["ParameterValue"] = value
    if param.allowed is not None:
        out["AllowedValues"] = param.allowed
    return out


def refuse(error: Exception, op: str) -> Exception:
    return rules.refuse(error, op)


def default_groups(backend: ElastiCacheBackend) -> dict[str, ParameterGroup]:
    groups: dict[str, ParameterGroup] = {}
    for family in FAMILIES:
        name = DEFAULT_PREFIX + family
        groups[name] = ParameterGroup(backend, name, family, f"Default parameter group for {family}", True)
        if family in CLUSTER_ON_FAMILIES:
            name += CLUSTER_ON
            groups[name] = ParameterGroup(
                backend, name, family,
                f"Customized default parameter group for {family} with cluster mode on", True,
            )
    return groups


def groups_of(backend: ElastiCacheBackend) -> dict[str, ParameterGroup]:
    """The region's groups: AWS's default groups, then the custom ones in creation order."""
    if not hasattr(backend, "mosia_parameter_groups"):
        backend.mosia_parameter_groups = default_groups(backend)
    return backend.mosia_parameter_groups


def find(backend: ElastiCacheBackend, name: Any) -> ParameterGroup | None:
    return groups_of(backend).get(str(name or "").lower())


def not_found(name: Any, style: str = "use") -> CacheParameterGroupNotFound:
    message = {
        "describe": f"CacheParameterGroup {name} not found.",
        "delete": f"CacheParameterGroupnot found: {name}",
    }.get(style, f"CacheParameterGroup not found: {name}")
    return CacheParameterGroupNotFound(CacheParameterGroupNotFound.code, message)


def get(backend: ElastiCacheBackend, name: Any, style: str = "use") -> ParameterGroup:
    group = find(backend, name)
    if group is None:
        raise not_found(name, style)
    return group


def check_name(name: Any, op: str) -> None:
    rules.check_identifier(name, "CacheParameterGroupName", op, MAX_NAME)


def clusters_using(backend: ElastiCacheBackend, group: ParameterGroup) -> list[CacheCluster]:
    return [
        cc for cc in backend.cache_clusters.values()
        if str(getattr(cc, "cache_parameter_group_name", None) or "").lower() == group.name
    ]


def users_of(backend: ElastiCacheBackend, group: ParameterGroup) -> list[str]:
    """The replication groups and cache clusters (outside a replication group) using `group`."""
    rgs = [
        rg_id for rg_id, rg in backend.replication_groups.items()
        if str(getattr(rg, "cache_parameter_group_name", None) or "").lower() == group.name
    ]
    return rgs + [
        cc.cache_cluster_id for cc in clusters_using(backend, group)
        if getattr(cc, "replication_group_id", None) not in rgs
    ]


def family_of(engine: Any, version: Any) -> str | None:
    """The family of an engine version (None: not one of the families)."""
    engine = str(engine or "redis").lower()
    family = rules.family_of(engine, str(version or DEFAULT_VERSIONS.get(engine, "")))
    return family if family in FAMILIES else None


def check_family(group: ParameterGroup, engine: Any, version: Any, op: str) -> None:
    """The group's family is the engine version's (as `elasticache_rules.check_parameter_group`,
    for the custom groups too)."""
    want = family_of(engine, version)
    if want is None or want == group.family:
        return
    raise refuse(InvalidParameterCombinationException(
        f"Expected a parameter group of family {want} but found one of family {group.family}"
    ), op)


def default_group_name(engine: Any, version: Any, cluster_mode: bool) -> str | None:
    family = family_of(engine, version)
    if family is None:
        return None
    suffix = CLUSTER_ON if cluster_mode and family in CLUSTER_ON_FAMILIES else ""
    return DEFAULT_PREFIX + family + suffix


def node_ids(cc: CacheCluster) -> list[str]:
    return [f"{i:04d}" for i in range(1, int(getattr(cc, "num_cache_nodes", None) or 1) + 1)]


def refresh(cc: CacheCluster) -> None:
    """The cluster's CacheParameterGroup as AWS shows it."""
    name = getattr(cc, "cache_parameter_group_name", None)
    if not name:
        return
    status = getattr(cc, "mosia_parameter_apply_status", None) or IN_SYNC
    cc.cache_parameter_group = {
        "cache_parameter_group_name": name,
        "parameter_apply_status": status,
        "cache_node_ids_to_reboot": node_ids(cc) if status == PENDING_REBOOT else [],
    }


def apply_changes(backend: ElastiCacheBackend, group: ParameterGroup, changed: list[Param]) -> None:
    """The clusters using the group after a change of `changed`."""
    if not changed:
        return
    reboot = any(p.change == REBOOT for p in changed)
    for cc in clusters_using(backend, group):
        if reboot:
            cc.mosia_parameter_apply_status = PENDING_REBOOT
        elif getattr(cc, "mosia_parameter_apply_status", None) != PENDING_REBOOT:
            cc.mosia_parameter_apply_status = IN_SYNC  # `applying`, then at once in-sync
        refresh(cc)


def require_custom(group: ParameterGroup, op: str) -> None:
    if group.is_default:
        raise refuse(InvalidParameterValueException(
            f"The parameter group {group.name} is a default group and cannot be modified."
        ), op)


def check_count(values: list[Any], op: str) -> None:
    if len(values) > MAX_PARAMETERS:
        raise refuse(InvalidParameterCombinationException(
            f"Cannot modify more than {MAX_PARAMETERS} parameters in a single request"
        ), op)


def known(group: ParameterGroup, name: Any, op: str) -> Param:
    param = family_params(group.family).get(str(name))
    if param is None:
        raise refuse(InvalidParameterValueException(f"Parameter {name} doesn't exist"), op)
    return param


def check_change(backend: ElastiCacheBackend, group: ParameterGroup, param: Param, value: str, op: str) -> None:
    """`param` may take `value` in `group` now."""
    if value == group.value(param.name):
        return
    if not param.modifiable or (param.conditional and users_of(backend, group)):
        raise refuse(InvalidParameterValueException(
            f"The parameter {param.name} cannot be modified."
        ), op)


def check_conditional_match(
    backend: ElastiCacheBackend, rg: ReplicationGroup, new: ParameterGroup, cluster_mode: Any, op: str,
) -> None:
    """A replication group changes to a group whose conditionally modifiable parameters have
    the values of its current group's (except cluster-enabled when the request changes the
    cluster mode)."""
    current = find(backend, getattr(rg, "cache_parameter_group_name", None))
    if current is None or current is new:
        return
    for name in ("databases", "cluster-enabled"):
        if name == "cluster-enabled" and cluster_mode:
            continue
        if name not in current.base or name not in new.base:
            continue
        if current.value(name) != new.value(name):
            raise refuse(InvalidParameterCombinationException(
                f"The value of the parameter {name} in cache parameter group {new.name} "
                f"({new.value(name)}) must be the same as in cache parameter group "
                f"{current.name} ({current.value(name)})."
            ), op)


def apply_groups(state: Any) -> None:
    @add(ElastiCacheResponse)
    def create_cache_parameter_group(self: ElastiCacheResponse) -> ActionResult:
        op = "CreateCacheParameterGroup"
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName")
        check_name(name, op)
        family = self._get_param("CacheParameterGroupFamily")
        if family not in FAMILIES:
            raise refuse(InvalidParameterValueException(
                f"CacheParameterGroupFamily {family} is not a valid parameter group family."
            ), op)
        name = name.lower()
        if name in groups_of(backend):
            raise refuse(CacheParameterGroupAlreadyExists(
                CacheParameterGroupAlreadyExists.code, f"Parameter group {name} already exists"
            ), op)
        group = ParameterGroup(backend, name, family, self._get_param("Description") or "")
        tags = self._get_param("Tags")
        if tags:
            backend.tagging_service.tag_resource(group.arn, tags)
        groups_of(backend)[name] = group
        return ActionResult({"CacheParameterGroup": group.to_dict()})

    @add(ElastiCacheResponse)
    def describe_cache_parameter_groups(self: ElastiCacheResponse) -> ActionResult:
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName")
        groups = [get(backend, name, "describe")] if name else list(groups_of(backend).values())
        return ActionResult({"CacheParameterGroups": [g.to_dict() for g in groups]})

    @add(ElastiCacheResponse)
    def describe_cache_parameters(self: ElastiCacheResponse) -> ActionResult:
        backend = self.elasticache_backend
        group = get(backend, self._get_param("CacheParameterGroupName"), "describe")
        source = self._get_param("Source")
        if source is not None and source not in SOURCES:
            raise refuse(InvalidParameterValueException(
                f"Invalid value for Source: {source}. Valid values are: {', '.join(SOURCES)}"
            ), "DescribeCacheParameters")
        params = group.parameters(bool(users_of(backend, group)))
        if source is not None:
            params = [p for p in params if p["Source"] == source]
        return ActionResult({"Parameters": params})

    @add(ElastiCacheResponse)
    def describe_engine_default_parameters(self: ElastiCacheResponse) -> ActionResult:
        family = self._get_param("CacheParameterGroupFamily")
        if family not in FAMILIES:
            raise refuse(InvalidParameterValueException(
                f"CacheParameterGroupFamily {family} is not a valid parameter group family."
            ), "DescribeEngineDefaultParameters")
        params = [
            describe_param(p, p.default, "system", family, p.modifiable and not p.conditional)
            for p in family_params(family).values()
        ]
        return ActionResult({"EngineDefaults": {"CacheParameterGroupFamily": family, "Parameters": params}})

    @add(ElastiCacheResponse)
    def modify_cache_parameter_group(self: ElastiCacheResponse) -> ActionResult:
        op = "ModifyCacheParameterGroup"
        backend = self.elasticache_backend
        values = list(self._get_param("ParameterNameValues") or [])
        check_count(values, op)
        group = get(backend, self._get_param("CacheParameterGroupName"))
        require_custom(group, op)
        changes: dict[str, str] = {}
        for item in values:  # all checked before any is applied
            param = known(group, item.get("ParameterName"), op)
            value = str(item.get("ParameterValue") or "")
            if not allows(param, value):
                raise refuse(InvalidParameterValueException(
                    f"Invalid parameter value: {value} for parameter {param.name}. Allowed "
                    f"values are: {param.allowed}"
                ), op)
            check_change(backend, group, param, value, op)
            changes[param.name] = value
        group.user.update(changes)
        apply_changes(backend, group, [family_params(group.family)[n] for n in changes])
        return ActionResult({"CacheParameterGroupName": group.name})

    @add(ElastiCacheResponse)
    def reset_cache_parameter_group(self: ElastiCacheResponse) -> ActionResult:
        op = "ResetCacheParameterGroup"
        backend = self.elasticache_backend
        values = list(self._get_param("ParameterNameValues") or [])
        reset_all = bool(self._get_bool_param("ResetAllParameters"))
        check_count(values, op)
        group = get(backend, self._get_param("CacheParameterGroupName"))
        require_custom(group, op)
        if reset_all and values:
            raise refuse(InvalidParameterCombinationException(
                "ParameterNameValues cannot be specified when ResetAllParameters is true."
            ), op)
        if not reset_all and not values:
            raise refuse(InvalidParameterValueException(
                "At least one parameter name must be specified when ResetAllParameters is false."
            ), op)
        names = list(group.user) if reset_all else [
            known(group, item.get("ParameterName"), op).name for item in values
        ]
        params = family_params(group.family)
        changed = [params[n] for n in names if group.value(n) != group.base[n]]
        for param in changed:
            check_change(backend, group, param, group.base[param.name], op)
        for n in names:
            group.user.pop(n, None)
        apply_changes(backend, group, changed)
        return ActionResult({"CacheParameterGroupName": group.name})

    @add(ElastiCacheResponse)
    def delete_cache_parameter_group(self: ElastiCacheResponse) -> ActionResult:
        op = "DeleteCacheParameterGroup"
        backend = self.elasticache_backend
        name = self._get_param("CacheParameterGroupName")
        check_name(name, op)  # also refuses the default groups (their names have dots)
        group = get(backend, name, "delete")
        require_custom(group, op)
        users = users_of(backend, group)
        if users:
            raise refuse(InvalidCacheParameterGroupState(
                InvalidCacheParameterGroupState.code,
                f"Cache parameter group {group.name} is in use by {', '.join(users)}.",
            ), op)
        del groups_of(backend)[group.name]
        backend.tagging_service.delete_all_tags_for_resource(group.arn)
        return ActionResult({})


def apply_use(state: Any) -> None:
    @wrap(ElastiCacheBackend, "create_replication_group")
    def create_replication_group(orig: Any, self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> Any:
        op = "CreateReplicationGroup"
        name = kwargs.get("cache_parameter_group_name")
        if name:
            group = get(self, name)
            check_family(group, kwargs.get("engine"), kwargs.get("engine_version"), op)
            kwargs["cache_parameter_group_name"] = group.name
        else:
            kwargs["cache_parameter_group_name"] = default_group_name(
                kwargs.get("engine"), kwargs.get("engine_version"), rules.cluster_mode_enabled(kwargs)
            )
        return orig(self, *args, **kwargs)

    @wrap(ElastiCacheBackend, "create_cache_cluster")
    def create_cache_cluster(orig: Any, self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> Any:
        op = "CreateCacheCluster"
        name = kwargs.get("cache_parameter_group_name")
        rg = self.replication_groups.get(kwargs.get("replication_group_id") or "")
        if name:
            group = get(self, name)
            check_family(group, kwargs.get("engine"), kwargs.get("engine_version"), op)
            kwargs["cache_parameter_group_name"] = group.name
        elif rg is not None:
            kwargs["cache_parameter_group_name"] = rg.cache_parameter_group_name
        else:
            kwargs["cache_parameter_group_name"] = default_group_name(
                kwargs.get("engine"), kwargs.get("engine_version"), False
            )
        cc = orig(self, *args, **kwargs)
        refresh(cc)
        return cc

    @wrap(ElastiCacheBackend, "describe_cache_clusters")
    def describe_cache_clusters(orig: Any, self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> Any:
        clusters = orig(self, *args, **kwargs)
        for cc in clusters:
            refresh(cc)
        return clusters

    @wrap(ElastiCacheResponse, "modify_replication_group")
    def modify_replication_group(orig: Any, self: ElastiCacheResponse) -> Any:
        op = "ModifyReplicationGroup"
        backend = self.elasticache_backend
        rg = backend.replication_groups.get(self._get_param("ReplicationGroupId"))
        if rg is None:
            return orig(self)  # ReplicationGroupNotFound
        name = self._get_param("CacheParameterGroupName")
        engine = self._get_param("Engine") or rg.engine
        version = self._get_param("EngineVersion") or rg.engine_version
        switch_to: str | None = None
        if name:
            group = get(backend, name)
            check_family(group, engine, version, op)
            check_conditional_match(backend, rg, group, self._get_param("ClusterMode"), op)
        elif self._get_param("EngineVersion") or self._get_param("Engine"):
            # An upgrade to another family: a default group follows (AWS picks the family's
            # default group); a custom one must be replaced in the same request.
            current = find(backend, rg.cache_parameter_group_name)
            want = family_of(engine, version)
            if current is not None and want not in (None, current.family):
                if not current.is_default:
                    check_family(current, engine, version, op)
                switch_to = default_group_name(engine, version, current.name.endswith(CLUSTER_ON))
        before = rg.cache_parameter_group_name
        result = orig(self)
        if switch_to:
            rg.cache_parameter_group_name = switch_to
        if name:
            rg.cache_parameter_group_name = get(backend, name).name
        if rg.cache_parameter_group_name != before:
            for cc in backend.cache_clusters.values():
                if getattr(cc, "replication_group_id", None) == rg.replication_group_id:
                    cc.cache_parameter_group_name = rg.cache_parameter_group_name
                    cc.mosia_parameter_apply_status = IN_SYNC
                    refresh(cc)
        return result

    @wrap(ElastiCacheBackend, "list_tags_for_resource")
    def list_tags(orig: Any, self: ElastiCacheBackend, arn: str) -> Any:
        # moto's ARN check knows no parameter groups.
        if ":parametergroup:" in arn:
            get(self, arn.split(":parametergroup:", 1)[1])
            return self.tagging_service.list_tags_for_resource(arn)
        return orig(self, arn)


def apply(state: Any) -> None:
    apply_groups(state)
    apply_use(state)
