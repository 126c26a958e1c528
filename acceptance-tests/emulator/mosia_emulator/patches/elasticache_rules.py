"""ElastiCache: the AWS rules for CreateReplicationGroup and ModifyReplicationGroup, checked
before moto sees the request. Each refusal is answered with AWS's code (and message where
known) and recorded by `rejections.rule`."""

from __future__ import annotations

import re
from typing import Any

from moto.elasticache.exceptions import (
    InvalidParameterCombinationException,
    InvalidParameterValueException,
)
from moto.elasticache.models import ReplicationGroup

from .. import rejections

MAX_CACHE_CLUSTERS = 6
MAX_SNAPSHOT_RETENTION_DAYS = 35
DEFAULT_REDIS_VERSION = "7.1"

# AWS: CreateReplicationGroup reference, AuthToken ("Must be only printable ASCII characters.
# Must be at least 16 characters and no more than 128 characters in length. The only permitted
# printable special characters are !, &, #, $, ^, <, >, and -").
AUTH_TOKEN = re.compile(r"[A-Za-z0-9!&#$^<>\-]{16,128}")


def refuse(error: Exception, operation: str) -> Exception:
    return rejections.rule(error, "elasticache", operation)


# ElastiCache's identifier rule (parameter groups, snapshots): its wording for a name that
# breaks it is in `check_identifier`.
IDENTIFIER = re.compile(r"[A-Za-z](?:-?[A-Za-z0-9])*")


def check_identifier(name: Any, param: str, op: str, max_len: int | None = None) -> str:
    """`name` when it is a valid identifier (at most `max_len` characters when given)."""
    text = name if isinstance(name, str) else ""
    if IDENTIFIER.fullmatch(text) is None or (max_len is not None and len(text) > max_len):
        raise refuse(
            InvalidParameterValueException(
                f"The parameter {param} is not a valid identifier. Identifiers must begin with a "
                "letter; must contain only ASCII letters, digits, and hyphens; and must not end "
                "with a hyphen or contain two consecutive hyphens."
            ),
            op,
        )
    return text


def check_num_cache_clusters(num: Any, op: str) -> None:
    # AWS: CreateReplicationGroup reference, NumCacheClusters ("The maximum permitted value
    # for NumCacheClusters is 6 (1 primary plus 5 replicas)").
    if num is not None and not 1 <= int(num) <= MAX_CACHE_CLUSTERS:
        raise refuse(
            InvalidParameterValueException(
                f"NumCacheClusters must be between 1 and {MAX_CACHE_CLUSTERS}."
            ),
            op,
        )


def check_failover_clusters(failover: bool, clusters: int, cluster_mode: bool, op: str) -> None:
    """Automatic failover needs a replica to fail over to (cluster mode disabled).
    AWS: InvalidParameterCombination "When using automatic failover, there must be at least 2
    cache clusters in the replication group." (hashicorp/terraform #25077)."""
    if failover and not cluster_mode and clusters < 2:
        raise refuse(
            InvalidParameterCombinationException(
                "When using automatic failover, there must be at least 2 cache clusters in the "
                "replication group."
            ),
            op,
        )


def check_multi_az(multi_az: bool, failover: bool, op: str) -> None:
    """Multi-AZ needs automatic failover.
    AWS: ElastiCache User Guide, "Minimizing downtime with Multi-AZ" (Multi-AZ with automatic
    failover); CreateReplicationGroup reference, MultiAZEnabled; terraform-provider-aws
    validates it the same way. Exact message not published."""
    if multi_az and not failover:
        raise refuse(
            InvalidParameterCombinationException(
                "Multi-AZ requires automatic failover: set AutomaticFailoverEnabled to true "
                "when MultiAZEnabled is true."
            ),
            op,
        )


def check_auth_token(token: Any, transit_encryption: bool, op: str) -> None:
    """An AUTH token needs in-transit encryption, and has AWS's form.
    AWS: CreateReplicationGroup / ModifyReplicationGroup reference, AuthToken ("AuthToken can
    be specified only on replication groups where TransitEncryptionEnabled is true");
    InvalidParameterValue "The AUTH token is only supported when encryption-in-transit is
    enabled" (aws/aws-cli #5007) and "Invalid AuthToken provided." (hashicorp/terraform
    #23993)."""
    if token is None:
        return
    if not transit_encryption:
        raise refuse(
            InvalidParameterValueException(
                "The AUTH token is only supported when encryption-in-transit is enabled"
            ),
            op,
        )
    if AUTH_TOKEN.fullmatch(str(token)) is None:
        raise refuse(InvalidParameterValueException("Invalid AuthToken provided."), op)


def check_snapshot_retention(days: Any, op: str) -> None:
    """SnapshotRetentionLimit: up to 35 days of automatic backups.
    AWS: ElastiCache User Guide, "Scheduling automatic backups" (backup retention limit, maximum
    35 days). Exact message not published."""
    if days is not None and not 0 <= int(days) <= MAX_SNAPSHOT_RETENTION_DAYS:
        raise refuse(
            InvalidParameterValueException(
                f"Invalid snapshot retention limit: {days}. It must be from 0 to "
                f"{MAX_SNAPSHOT_RETENTION_DAYS} days."
            ),
            op,
        )


def family_of(engine: str, version: str) -> str | None:
    """The cache parameter group family of an engine version: redis5.0, redis6.x, redis7,
    valkey8, memcached1.6 (None: not modelled)."""
    parts = [p for p in str(version or "").split(".") if p]
    if not parts or not parts[0].isdigit():
        return None
    major = int(parts[0])
    if engine == "redis":
        if major >= 7:
            return f"redis{major}"
        if major == 6:
            return "redis6.x"
        return f"redis{major}.{parts[1]}" if len(parts) > 1 else None
    if engine == "valkey":
        return f"valkey{major}"
    if engine == "memcached" and len(parts) > 1:
        return f"memcached{major}.{parts[1]}"
    return None


def group_family(name: str) -> str | None:
    """The family of a default cache parameter group (default.redis7.cluster.on: redis7).
    moto has no cache parameter groups of its own, so only AWS's defaults are known."""
    if not name.startswith("default."):
        return None
    return name[len("default."):].removesuffix(".cluster.on")


def check_parameter_group(engine: str, version: str | None, group: str | None, op: str) -> None:
    """The parameter group's family matches the engine version.
    AWS: InvalidParameterCombination "Expected a parameter group of family redis7 but found
    one of family redis6.x" (terraform-provider-aws #27748, #27709)."""
    if not group:
        return
    want = family_of(engine, version or (DEFAULT_REDIS_VERSION if engine == "redis" else ""))
    have = group_family(group)
    if want is None or have is None or want == have:
        return
    raise refuse(
        InvalidParameterCombinationException(
            f"Expected a parameter group of family {want} but found one of family {have}"
        ),
        op,
    )


def cluster_mode_enabled(kwargs: dict[str, Any]) -> bool:
    group = str(kwargs.get("cache_parameter_group_name") or "")
    return (
        kwargs.get("cluster_mode") == "enabled"
        or int(kwargs.get("num_node_groups") or 1) > 1
        or bool(kwargs.get("node_group_configuration"))
        or group.endswith(".cluster.on")
    )


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WINDOW = re.compile(r"([a-z]{3}):([01][0-9]|2[0-3]):([0-5][0-9])")


WEEK_MINUTES = 7 * 1440


def weekly_window(text: Any) -> tuple[int, int] | None:
    """(start minute of the week, length) of `ddd:hh24:mi-ddd:hh24:mi`, None if malformed."""
    ends = [WINDOW.fullmatch(part.lower()) for part in str(text or "").split("-")]
    if len(ends) != 2 or not all(m and m.group(1) in DAYS for m in ends):
        return None
    start, end = (DAYS.index(m.group(1)) * 1440 + int(m.group(2)) * 60 + int(m.group(3)) for m in ends)
    return start, (end - start) % WEEK_MINUTES


def check_maintenance_window(window: Any, op: str) -> None:
    """PreferredMaintenanceWindow: `ddd:hh24:mi-ddd:hh24:mi` (UTC), 60 minutes to 24 hours.
    AWS: CreateReplicationGroup / ModifyReplicationGroup reference, PreferredMaintenanceWindow
    ("The minimum maintenance window is a 60 minute period", valid days sun..sat). Exact
    messages not published (assumed wording)."""
    if window is None:
        return
    text = str(window)
    parsed = weekly_window(text)
    if parsed is None:
        raise refuse(
            InvalidParameterValueException(
                f"Invalid maintenance window format: {text}. Should be specified as a range "
                "ddd:hh24:mi-ddd:hh24:mi (24H Clock UTC). Example: sun:23:45-mon:00:45"
            ),
            op,
        )
    if not 60 <= parsed[1] <= 1440:
        raise refuse(
            InvalidParameterValueException(
                "The maintenance window must be at least 60 minutes and at most 24 hours."
            ),
            op,
        )


def check_create(kwargs: dict[str, Any]) -> None:
    """CreateReplicationGroup."""
    op = "CreateReplicationGroup"
    num = kwargs.get("num_cache_clusters")
    check_num_cache_clusters(num, op)
    if num is not None:
        clusters = int(num)
    elif kwargs.get("replicas_per_node_group") is not None:
        clusters = 1 + int(kwargs["replicas_per_node_group"])
    else:
        clusters = 1
    failover = bool(kwargs.get("automatic_failover_enabled"))
    check_failover_clusters(failover, clusters, cluster_mode_enabled(kwargs), op)
    check_multi_az(bool(kwargs.get("multi_az_enabled")), failover, op)
    check_auth_token(kwargs.get("auth_token"), bool(kwargs.get("transit_encryption_enabled")), op)
    check_snapshot_retention(kwargs.get("snapshot_retention_limit"), op)
    check_maintenance_window(kwargs.get("preferred_maintenance_window"), op)
    check_parameter_group(
        str(kwargs.get("engine") or "redis"), kwargs.get("engine_version"),
        kwargs.get("cache_parameter_group_name"), op,
    )


def check_modify(rg: ReplicationGroup, params: dict[str, Any]) -> None:
    """ModifyReplicationGroup: the group as it will be after the request."""
    op = "ModifyReplicationGroup"
    cluster_mode = rg.cluster_mode == "enabled"
    failover_asked = params.get("AutomaticFailoverEnabled")
    failover = rg.automatic_failover == "enabled" if failover_asked is None else failover_asked
    multi_az_asked = params.get("MultiAZEnabled")
    multi_az = rg.multi_az == "enabled" if multi_az_asked is None else multi_az_asked
    if failover_asked is False and cluster_mode:
        # AWS: terraform-provider-aws #27116 (ModifyReplicationGroup's answer).
        raise refuse(
            InvalidParameterCombinationException(
                "Turning off automatic failover for replication group with cluster mode enabled "
                "is not supported."
            ),
            op,
        )
    if failover_asked:
        check_failover_clusters(True, len(rg.member_clusters), cluster_mode, op)
    check_multi_az(bool(multi_az), bool(failover), op)
    transit = params.get("TransitEncryptionEnabled")
    check_auth_token(
        params.get("AuthToken"), bool(rg.transit_encryption_enabled if transit is None else transit), op
    )
    check_snapshot_retention(params.get("SnapshotRetentionLimit"), op)
    check_maintenance_window(params.get("PreferredMaintenanceWindow"), op)
    check_parameter_group(
        str(params.get("Engine") or rg.engine or "redis"),
        params.get("EngineVersion") or rg.engine_version,
        params.get("CacheParameterGroupName"), op,
    )
