"""RDS timing behaviours: pending modifications (ModifyDBInstance without ApplyImmediately),
`storage-optimization` after a storage change, and what AWS does on its own, fired through
`POST /_mosia/events`: the maintenance window (`rds_maintenance`), automatic minor version
upgrades (`rds_minor_upgrade`) and storage autoscaling (`rds_storage_autoscaling`)."""

from __future__ import annotations

import time
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.rds.models import DBInstance, RDSBackend, rds_backends

from .. import events, lifecycle
from . import rds_rules as rules

KIND = "rds_instance"

# ModifyDBInstance settings that wait for the maintenance window unless ApplyImmediately is
# true, with their PendingModifiedValues member. AWS: RDS User Guide, "Settings for DB
# instances" (each row's "When the change occurs"). BackupRetentionPeriod waits only when it
# turns backups on or off. Every other setting (deletion protection, security groups, parameter
# group, MaxAllocatedStorage, master password management, ...) applies at once either way.
DEFERRED: dict[str, str] = {
    "db_instance_class": "DBInstanceClass",
    "allocated_storage": "AllocatedStorage",
    "engine_version": "EngineVersion",
    "multi_az": "MultiAZ",
    "iops": "Iops",
    "storage_type": "StorageType",
    "storage_throughput": "StorageThroughput",
    "db_subnet_group_name": "DBSubnetGroupName",
    "ca_certificate_identifier": "CACertificateIdentifier",
    "license_model": "LicenseModel",
    "enable_iam_database_authentication": "IAMDatabaseAuthenticationEnabled",
    "backup_retention_period": "BackupRetentionPeriod",
}
# Request members that travel with a deferred change (not a change of their own).
CARRIED = ("allow_major_version_upgrade",)
NOT_CHANGES = frozenset({"db_instance_identifier", "apply_immediately", *CARRIED})


# ---------------------------------------------------------------------------------------------
# Pending modifications


def pending(db: DBInstance) -> dict[str, Any]:
    """The deferred settings of an instance (request keys, snake_case)."""
    found = db.__dict__.get("_mosia_pending")
    if found is None:
        found = db.__dict__["_mosia_pending"] = {}
    return found


def publish(db: DBInstance) -> None:
    """Show the pending settings as DescribeDBInstances' PendingModifiedValues."""
    values = {DEFERRED[k]: v for k, v in pending(db).items() if k in DEFERRED}
    db.pending_modified_values = values or None


def reset(db: DBInstance) -> None:
    """A new instance (a read replica is a copy of its source) starts with nothing pending."""
    db.__dict__["_mosia_pending"] = {}
    db.__dict__["_mosia_optimizing_until"] = 0.0
    db.pending_modified_values = None


def current_value(db: DBInstance, key: str) -> Any:
    if key == "db_subnet_group_name":
        return getattr(db, "_db_subnet_group_name", None)
    return getattr(db, key, None)


def waits(db: DBInstance, key: str, value: Any) -> bool:
    """True when this setting, changed to `value`, waits for the maintenance window."""
    if key not in DEFERRED or value is None or value == current_value(db, key):
        return False
    if key == "backup_retention_period":
        return (int(value) == 0) != (int(db.backup_retention_period or 0) == 0)
    return True


def defer(db: DBInstance, kwargs: Any) -> None:
    """Move the settings that wait for the maintenance window from the request into the
    instance's pending modifications (a later request replaces an earlier pending value)."""
    deferred = [key for key in list(kwargs) if waits(db, key, kwargs[key])]
    for key in deferred:
        pending(db)[key] = kwargs.pop(key)
    if "engine_version" in deferred:
        for key in CARRIED:
            if kwargs.get(key) is not None:
                pending(db)[key] = kwargs.pop(key)


def take_pending(db: DBInstance, kwargs: Any) -> None:
    """ApplyImmediately: everything pending is applied with the request (which wins)."""
    for key, value in pending(db).items():
        if kwargs.get(key) is None:
            kwargs[key] = value
    pending(db).clear()


def changes_now(kwargs: Any) -> bool:
    return any(kwargs[k] is not None for k in kwargs if k not in NOT_CHANGES)


def modify(orig: Any, backend: RDSBackend, db: DBInstance, ident: str, kwargs: Any) -> DBInstance:
    """ModifyDBInstance, after the rules: without ApplyImmediately, settings AWS applies in the
    maintenance window become PendingModifiedValues and the instance stays as it is; with it,
    they apply now together with anything pending. A storage change is followed by
    storage-optimization."""
    immediate = rules.truthy(kwargs.get("apply_immediately"))
    if immediate:
        take_pending(db, kwargs)
    else:
        defer(db, kwargs)
    storage = bool(rules.storage_changes(db, kwargs))
    db = orig(backend, ident, kwargs)
    publish(db)
    if immediate or changes_now(kwargs):
        begin_update(db, storage)
    return db


# ---------------------------------------------------------------------------------------------
# Statuses: modifying -> (storage-optimization) -> available


def begin_update(db: DBInstance, storage: bool, busy: str = "modifying") -> None:
    """`busy` for the rds_instance update duration; then storage-optimization while the last
    storage change is optimized (a storage change starts it), then available."""
    lifecycle.begin(
        db, KIND, "update", busy, None, name=db.db_instance_identifier,
        on_done=lambda: settle(db, storage),
    )


def settle(db: DBInstance, storage: bool) -> None:
    """End of an update. AWS: after a storage change the instance is `storage-optimization`
    (fully usable; no further storage change until it ends) before `available` (RDS User
    Guide, "Increasing DB instance storage capacity"). Its length is
    rds_instance.storage_optimization; 0 s skips the status."""
    now = time.monotonic()
    if storage:
        db.__dict__["_mosia_optimizing_until"] = now + lifecycle.DURATIONS.get(
            KIND, "storage_optimization"
        )
    remaining = db.__dict__.get("_mosia_optimizing_until", 0.0) - now
    if remaining <= 0:
        db.status = "available"
        return
    token = object()
    db._mosia_token = token
    db.status = "storage-optimization"

    def optimized() -> None:
        if getattr(db, "_mosia_token", None) is token:
            db.status = "available"

    lifecycle.SCHEDULER.after(remaining, optimized)


# ---------------------------------------------------------------------------------------------
# Out-of-band events


def find_instance(payload: dict[str, Any]) -> DBInstance:
    ident = payload.get("db_instance_identifier")
    if not ident or not isinstance(ident, str):
        raise ValueError("db_instance_identifier (a string) is required")
    account = str(payload.get("account_id") or DEFAULT_ACCOUNT_ID)
    backends = rds_backends[account]
    regions = [str(payload["region"])] if payload.get("region") else list(backends.keys())
    for region in regions:
        db = backends[region].databases.get(ident.lower())
        if db is not None:
            return db
    raise ValueError(f"no DB instance {ident!r} in {', '.join(regions) or 'any region'}")


def require_settled(db: DBInstance, what: str) -> None:
    if db.status not in ("available", "storage-optimization"):
        raise ValueError(f"{what}: DB instance {db.db_instance_identifier} is {db.status}")


def answer(db: DBInstance, **extra: Any) -> dict[str, Any]:
    return {
        "db_instance_identifier": db.db_instance_identifier,
        "status": db.status,
        "engine_version": db.engine_version,
        "allocated_storage": db.allocated_storage,
        "pending_modified_values": db.pending_modified_values or {},
        **extra,
    }


def maintenance(payload: dict[str, Any]) -> dict[str, Any]:
    """The maintenance window: RDS applies the pending modifications."""
    lifecycle.SCHEDULER.tick()
    db = find_instance(payload)
    values = dict(pending(db))
    if not values:
        return answer(db, applied={})
    require_settled(db, "maintenance")
    storage = bool(rules.storage_changes(db, values))
    db.update(**{k: v for k, v in values.items() if k not in CARRIED})
    pending(db).clear()
    publish(db)
    begin_update(db, storage)
    return answer(db, applied={DEFERRED[k]: v for k, v in values.items() if k in DEFERRED})


def minor_upgrade(payload: dict[str, Any]) -> dict[str, Any]:
    """RDS's automatic minor version upgrade (AutoMinorVersionUpgrade, in the maintenance
    window): the instance runs a newer minor version of its major; `upgrading` meanwhile."""
    lifecycle.SCHEDULER.tick()
    db = find_instance(payload)
    version = payload.get("engine_version")
    if not version or not isinstance(version, str):
        raise ValueError("engine_version (a string such as \"16.8\") is required")
    engine = str(db.engine)
    have = str(db.engine_version)
    if rules.major_version(engine, version) != rules.major_version(engine, have):
        raise ValueError(
            f"{version} is not a minor version of {engine} {rules.major_version(engine, have)} "
            f"(the instance runs {have}): automatic upgrades stay within the major version"
        )
    if rules.version_key(version) <= rules.version_key(have):
        raise ValueError(f"{version} is not newer than {have}, the version the instance runs")
    if not rules.truthy(getattr(db, "auto_minor_version_upgrade", True)):
        # AWS: RDS User Guide, "Automatically upgrading the minor engine version": upgrades
        # happen in the maintenance window only with AutoMinorVersionUpgrade on.
        raise ValueError(
            f"automatic minor version upgrades are off for {db.db_instance_identifier} "
            "(AutoMinorVersionUpgrade is false)"
        )
    require_settled(db, "minor version upgrade")
    db.engine_version = version
    asked = pending(db).get("engine_version")
    if asked is not None and rules.version_key(str(asked)) <= rules.version_key(version):
        pending(db).pop("engine_version", None)
        for key in CARRIED:
            pending(db).pop(key, None)
        publish(db)
    begin_update(db, False, busy="upgrading")
    return answer(db, previous_engine_version=have)


def storage_autoscaling(payload: dict[str, Any]) -> dict[str, Any]:
    """RDS storage autoscaling grew the instance's storage (up to MaxAllocatedStorage);
    storage-optimization follows, as after any storage change. AWS: RDS User Guide,
    "Managing capacity automatically with Amazon RDS storage autoscaling"."""
    lifecycle.SCHEDULER.tick()
    db = find_instance(payload)
    size = payload.get("allocated_storage")
    if not isinstance(size, int) or isinstance(size, bool):
        raise ValueError("allocated_storage (an integer, GiB) is required")
    have = int(db.allocated_storage)
    ceiling = int(getattr(db, "_max_allocated_storage", 0) or 0)
    if ceiling <= have:
        raise ValueError(
            f"storage autoscaling is off for {db.db_instance_identifier}: MaxAllocatedStorage "
            f"is not above its {have} GiB"
        )
    if size <= have:
        raise ValueError(f"autoscaling only grows storage: {size} GiB is not above {have} GiB")
    if size > ceiling:
        raise ValueError(f"{size} GiB is above MaxAllocatedStorage ({ceiling} GiB)")
    if rules.optimizing(db):
        raise ValueError("the previous storage change is still being optimized")
    require_settled(db, "storage autoscaling")
    db.allocated_storage = size
    begin_update(db, True)
    return answer(db, previous_allocated_storage=have)


def register_events() -> None:
    events.register("rds_maintenance")(maintenance)
    events.register("rds_minor_upgrade")(minor_upgrade)
    events.register("rds_storage_autoscaling")(storage_autoscaling)
