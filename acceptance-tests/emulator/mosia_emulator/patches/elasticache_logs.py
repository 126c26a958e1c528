"""ElastiCache log delivery of replication groups (Valkey and Redis OSS): CreateReplicationGroup
and ModifyReplicationGroup `LogDeliveryConfigurations` (slow-log and engine-log, to a CloudWatch
Logs log group or a Data Firehose stream, as text or JSON), and the configurations
DescribeReplicationGroups reports with their Status.

Applied for the "elasticache" service: `apply` applies `elasticache_kms` (and through it the
other ElastiCache patches) first, so these wrappers see each request before them.

moto 5.2.5 stored the create request's configurations as given, `active` at once with a
message, whatever the engine version or destination; ModifyReplicationGroup ignored them.

Sources (wording not found is marked "assumed"):
- ElastiCache User Guide, "Log delivery" (Log_Delivery): "Slow Log is supported for Valkey 7.x
  and above, and Redis OSS clusters and replication groups using engine version 6.0 onward.
  Engine Log is supported for Valkey 7.x and above, and Redis OSS ... 6.2 onward." Refused with
  InvalidParameterValue "slow-log log delivery is not available for this redis engine version."
  (ModifyReplicationGroup on Redis 5.0.6: terraform-provider-aws #46443; the check is against
  the running version, not one asked for in the same request: #46526 sends the upgrade first);
  the engine-log answer is assumed by analogy. "6.x" counts as 6.2 (assumed: Redis 6 groups
  run 6.2).
- Same page: "You must set the apply-immediately parameter for all log delivery
  modifications": ModifyReplicationGroup without ApplyImmediately=true is InvalidParameterValue
  "To modify the log delivery configuration, set the apply-immediately parameter to true."
  (terraform-provider-aws #49842).
- API reference, LogDeliveryConfigurationRequest (LogType slow-log | engine-log, DestinationType
  cloudwatch-logs | kinesis-firehose, DestinationDetails, LogFormat text | json, Enabled
  "Default true"); the enums are checked by the API model (`validation.py`). CloudFormation's
  AWS::ElastiCache::ReplicationGroup LogDeliveryConfigurationRequest requires all four of
  DestinationDetails, DestinationType, LogFormat and LogType; a configuration to turn off needs
  only LogType and Enabled=false (what terraform-provider-aws sends,
  `expandEmptyLogDeliveryConfigurationRequest`). A missing member, details that do not match the
  destination type (CloudWatchLogsDetails.LogGroup for cloudwatch-logs,
  KinesisFirehoseDetails.DeliveryStream for kinesis-firehose) or two configurations of one log
  type in a request: InvalidParameterValue / InvalidParameterCombination (wording assumed). A
  group has at most one configuration per log type (API reference, LogType: one slow-log and
  one engine-log); a later one for the same type replaces it.
- Turning off a type that is not delivered changes nothing; Enabled=false on
  CreateReplicationGroup delivers nothing (both assumed).
- Statuses: API reference, LogDeliveryConfiguration Status "enabling | disabling | modifying |
  active | error", Message "Returns an error message for the log delivery configuration". A new
  configuration is `enabling` while the group is creating or modifying, a changed one
  `modifying`, one turned off `disabling`; when the group is `available` again they are `active`
  (without a Message: the AWS CLI's describe-cache-clusters example) or gone. Log delivery
  changes make the group `modifying` like the other immediate changes (assumed).
- Destination: "You specify a CloudWatch Logs log group where the logs will be delivered"; "You
  specify a Firehose delivery stream" (User Guide, "ElastiCache logging destinations"); the
  request names the log group (CLI example `"LogGroup":"my-log-group"`). ElastiCache does not
  create the log group (terraform-aws-modules/terraform-aws-elasticache creates it; #16's
  workaround: "just create the group manually"). A destination missing when delivery starts is
  not refused by the call: the configuration ends in `error` with a Message (assumed: the
  reference has the `error` status and Message for it; the wording is assumed) and stays so
  until it is configured again (assumed). A log group ARN is read as its name (assumed).

Not modelled: member cache clusters' own LogDeliveryConfigurations /
ReplicationGroupLogDeliveryEnabled (DescribeCacheClusters), PendingModifiedValues
.LogDeliveryConfigurations (only for changes deferred to the maintenance window, which
ElastiCache no longer accepts), Valkey 8.1's command log (not in this API model), the
permissions of the caller (logs:CreateLogDelivery ...), Firehose in Asia Pacific (Osaka)."""

from __future__ import annotations

from typing import Any

from moto.elasticache.exceptions import (
    InvalidParameterCombinationException,
    InvalidParameterValueException,
)
from moto.elasticache.models import ElastiCacheBackend, ReplicationGroup
from moto.elasticache.responses import ElastiCacheResponse

from . import elasticache_kms, wrap
from . import elasticache_rules as rules

CLOUDWATCH = "cloudwatch-logs"
FIREHOSE = "kinesis-firehose"
# Lowest Redis OSS version per log type (Valkey: every version, 7.2 onward).
REDIS_SINCE = {"slow-log": (6, 0), "engine-log": (6, 2)}
DETAILS = {CLOUDWATCH: ("CloudWatchLogsDetails", "LogGroup"), FIREHOSE: ("KinesisFirehoseDetails", "DeliveryStream")}
BUSY = ("enabling", "modifying", "disabling")


def version_of(version: Any) -> tuple[int, int]:
    parts = [p for p in str(version or "").split(".") if p]
    major = int(parts[0]) if parts and parts[0].isdigit() else 0
    if len(parts) < 2:
        minor = 0
    elif parts[1].isdigit():
        minor = int(parts[1])
    else:
        minor = 2 if major == 6 else 99  # "6.x": Redis 6.2
    return major, minor


def get(obj: Any, key: str) -> Any:
    if not obj:
        return None
    return obj.get(key) if hasattr(obj, "get") else None


def destination_of(config: Any) -> str | None:
    kind = get(config, "DestinationType")
    if kind not in DETAILS:
        return None
    details, member = DETAILS[kind]
    value = get(get(get(config, "DestinationDetails"), details), member)
    return str(value) if value else None


def invalid(message: str, op: str) -> Exception:
    return rules.refuse(InvalidParameterValueException(message), op)


def check_configs(engine: str, version: Any, configs: Any, op: str) -> list[dict[str, Any]]:
    """The request's configurations, checked, as the group will keep them (Enabled=false ones
    with only their LogType and `Enabled`)."""
    seen: set[str] = set()
    checked: list[dict[str, Any]] = []
    for config in configs or []:
        log_type = get(config, "LogType")
        if not log_type:
            raise invalid("The LogType of a log delivery configuration is required.", op)
        if log_type in seen:
            raise rules.refuse(
                InvalidParameterCombinationException(
                    f"Only one log delivery configuration per log type is allowed: {log_type} is "
                    "given more than once."
                ),
                op,
            )
        seen.add(log_type)
        enabled = get(config, "Enabled")
        if enabled is not None and not rules_truthy(enabled):
            checked.append({"LogType": log_type, "Enabled": False})
            continue
        kind = get(config, "DestinationType")
        for member in ("DestinationType", "DestinationDetails", "LogFormat"):
            if not get(config, member):
                raise invalid(
                    f"{member} is required to enable {log_type} log delivery.", op
                )
        destination = destination_of(config)
        if destination is None:
            details, member = DETAILS.get(kind, ("DestinationDetails", "destination"))
            raise rules.refuse(
                InvalidParameterCombinationException(
                    f"DestinationDetails.{details}.{member} is required when DestinationType is {kind}."
                ),
                op,
            )
        if engine == "redis" and version_of(version) < REDIS_SINCE.get(log_type, (0, 0)):
            raise invalid(f"{log_type} log delivery is not available for this redis engine version.", op)
        details, member = DETAILS[kind]
        checked.append({
            "LogType": log_type,
            "DestinationType": kind,
            "DestinationDetails": {details: {member: destination}},
            "LogFormat": get(config, "LogFormat"),
        })
    return checked


def rules_truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def same_delivery(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("DestinationType", "DestinationDetails", "LogFormat")
    return all(a.get(k) == b.get(k) for k in keys)


def configs_of(rg: ReplicationGroup) -> list[dict[str, Any]]:
    found = rg.__dict__.get("_mosia_log_delivery")
    if found is None:
        found = rg.__dict__["_mosia_log_delivery"] = []
    return found


def publish(rg: ReplicationGroup) -> None:
    """What DescribeReplicationGroups shows (moto serializes `log_delivery_configurations`)."""
    rg.log_delivery_configurations = [dict(c) for c in configs_of(rg)]


def missing_destination(backend: ElastiCacheBackend, config: dict[str, Any]) -> str | None:
    destination = destination_of(config) or ""
    if config["DestinationType"] == CLOUDWATCH:
        from moto.logs.models import logs_backends

        name = destination
        if name.startswith("arn:") and ":log-group:" in name:
            name = name.split(":log-group:", 1)[1].removesuffix(":*")
        groups = logs_backends[backend.account_id][backend.region_name].groups
        if name not in groups:
            return f"The CloudWatch Logs log group {destination} does not exist."
        return None
    from moto.firehose.models import firehose_backends

    streams = firehose_backends[backend.account_id][backend.region_name].delivery_streams
    if destination not in streams:
        return f"The Firehose delivery stream {destination} does not exist."
    return None


def settle(backend: ElastiCacheBackend, rg: ReplicationGroup) -> None:
    """Once the group is `available`, configurations being enabled or changed start delivering
    (or fail: `error`) and the ones being turned off are gone."""
    configs = configs_of(rg)
    if rg.status != "available" or not any(c.get("Status") in BUSY for c in configs):
        publish(rg)
        return
    kept: list[dict[str, Any]] = []
    for config in configs:
        status = config.get("Status")
        if status == "disabling":
            continue
        if status in ("enabling", "modifying"):
            problem = missing_destination(backend, config)
            config.pop("Message", None)
            if problem:
                config["Status"] = "error"
                config["Message"] = problem
            else:
                config["Status"] = "active"
        kept.append(config)
    configs[:] = kept
    publish(rg)


def change(rg: ReplicationGroup, requested: list[dict[str, Any]]) -> None:
    """ModifyReplicationGroup: the request's configurations replace the group's of their type."""
    configs = configs_of(rg)
    by_type = {c["LogType"]: c for c in configs}
    for config in requested:
        current = by_type.get(config["LogType"])
        if config.get("Enabled") is False:
            if current is not None:
                current["Status"] = "disabling"
                current.pop("Message", None)
            continue
        if current is None:
            new = {**config, "Status": "enabling"}
            configs.append(new)
            by_type[config["LogType"]] = new
        elif not same_delivery(current, config) or current.get("Status") == "error":
            current.update(config)
            current["Status"] = "modifying" if current.get("Status") != "error" else "enabling"
            current.pop("Message", None)
    publish(rg)


def apply(state: Any) -> None:
    elasticache_kms.apply(state)

    @wrap(ElastiCacheBackend, "create_replication_group")
    def create_replication_group(orig: Any, self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> Any:
        engine = str(kwargs.get("engine") or "redis")
        version = kwargs.get("engine_version") or rules.DEFAULT_REDIS_VERSION
        requested = check_configs(
            engine, version, kwargs.get("log_delivery_configurations"), "CreateReplicationGroup"
        )
        kwargs["log_delivery_configurations"] = []
        rg = orig(self, *args, **kwargs)
        configs = configs_of(rg)
        configs[:] = [{**c, "Status": "enabling"} for c in requested if c.get("Enabled") is not False]
        publish(rg)
        return rg

    @wrap(ElastiCacheBackend, "describe_replication_groups")
    def describe_replication_groups(orig: Any, self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> Any:
        groups = orig(self, *args, **kwargs)
        for rg in groups:
            settle(self, rg)
        return groups

    @wrap(ElastiCacheResponse, "modify_replication_group")
    def modify_replication_group(orig: Any, self: ElastiCacheResponse) -> Any:
        op = "ModifyReplicationGroup"
        backend = self.elasticache_backend
        rg = backend.replication_groups.get(self._get_param("ReplicationGroupId"))
        configs = self._get_param("LogDeliveryConfigurations")
        if rg is None or configs is None:
            if rg is not None:
                settle(backend, rg)
            return orig(self)  # ReplicationGroupNotFound, or no log delivery change
        settle(backend, rg)
        if not self._get_bool_param("ApplyImmediately", False):
            raise invalid(
                "To modify the log delivery configuration, set the apply-immediately parameter to true.", op
            )
        requested = check_configs(str(rg.engine or "redis"), rg.engine_version, configs, op)
        result = orig(self)
        change(rg, requested)
        return result
