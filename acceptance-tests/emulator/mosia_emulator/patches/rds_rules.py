"""RDS: the AWS rules for the DB instance calls the provider makes (CreateDBInstance,
CreateDBInstanceReadReplica, ModifyDBInstance, RestoreDBInstanceFromDBSnapshot,
DeleteDBInstance), checked before moto sees the request. Each refusal is answered with AWS's
code (and message where known) and recorded by `rejections.rule`."""

from __future__ import annotations

import re

import time
from typing import Any

from moto.rds.exceptions import (
    DBInstanceNotFoundError,
    InvalidDBInstanceStateFault,
    InvalidParameterCombination,
    InvalidParameterValue,
)
from moto.rds.models import DBInstance, RDSBackend

from .. import rejections

MAX_BACKUP_RETENTION_DAYS = 35

# AllocatedStorage limits (GiB) per engine and storage type.
# AWS: CreateDBInstance API reference, AllocatedStorage ("General Purpose (SSD) storage (gp2,
# gp3): Must be an integer from 20 to 65536. Provisioned IOPS storage (io1, io2): ... from 100
# to 65536. Magnetic storage (standard): ... from 5 to 3072"; Oracle magnetic from 10).
_GENERAL = {"gp2": (20, 65536), "gp3": (20, 65536), "io1": (100, 65536), "io2": (100, 65536)}
STORAGE_LIMITS: dict[str, dict[str, tuple[int, int]]] = {
    "postgres": {**_GENERAL, "standard": (5, 3072)},
    "mysql": {**_GENERAL, "standard": (5, 3072)},
    "mariadb": {**_GENERAL, "standard": (5, 3072)},
    "oracle": {**_GENERAL, "standard": (10, 3072)},
}

# Settings whose change is a storage change (storage-optimization follows; six-hour rule).
STORAGE_SETTINGS = ("allocated_storage", "storage_type", "iops", "storage_throughput")


def refuse(error: Exception, operation: str) -> Exception:
    return rejections.rule(error, "rds", operation)


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def given(kwargs: Any, key: str) -> bool:
    return kwargs.get(key) is not None


# ---------------------------------------------------------------------------------------------
# Engine versions and parameter group families


def version_parts(version: str) -> list[str]:
    return [p for p in str(version or "").split(".") if p]


def major_version(engine: str, version: str) -> str:
    """PostgreSQL 10+: "16"; PostgreSQL 9 and the others: "9.6", "8.0", "10.11"."""
    parts = version_parts(version)
    if not parts:
        return ""
    if engine == "postgres" and parts[0].isdigit() and int(parts[0]) >= 10:
        return parts[0]
    return ".".join(parts[:2])


def family_of(engine: str, version: str) -> str | None:
    """The DB parameter group family of an engine version (None: not modelled)."""
    major = major_version(engine, version)
    if engine == "postgres" and major:
        return f"postgres{major}"
    if engine in ("mysql", "mariadb") and "." in major:
        return f"{engine}{major}"
    return None


def group_family(backend: RDSBackend, name: str) -> str | None:
    group = backend.db_parameter_groups.get(str(name).lower())
    if group is not None:
        return group.family
    if str(name).startswith("default."):
        return str(name)[len("default."):]
    return None


def is_default_group(name: str | None) -> bool:
    return not name or str(name).startswith("default.")


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version_parts(version))


def check_family(
    backend: RDSBackend, engine: str, version: str, group: str | None, operation: str
) -> None:
    """A DB parameter group's family must match the engine major version.
    AWS: InvalidParameterCombination "The parameter group X with DBParameterGroupFamily
    postgres12 can't be used for this instance. Use a parameter group with
    DBParameterGroupFamily postgres13." (cloud-gov/aws-broker #291; terraform-provider-aws
    users on CreateDBInstance, ModifyDBInstance and restores)."""
    if not group:
        return
    want = family_of(engine, version)
    have = group_family(backend, group)
    if want is None or have is None or have == want:
        return
    raise refuse(
        InvalidParameterCombination(
            f"The parameter group {group} with DBParameterGroupFamily {have} can't be used for "
            f"this instance. Use a parameter group with DBParameterGroupFamily {want}."
        ),
        operation,
    )


# ---------------------------------------------------------------------------------------------
# Storage


def storage_error(engine: str, storage_type: str, size: Any, max_storage: bool = False) -> Exception:
    # AWS: "Invalid storage size for engine name postgres and storage type gp3: 30" (and
    # "Invalid max storage size ..." for MaxAllocatedStorage), InvalidParameterCombination.
    what = "max storage size" if max_storage else "storage size"
    return InvalidParameterCombination(
        f"Invalid {what} for engine name {engine} and storage type {storage_type}: {size}"
    )


def storage_limits(engine: str, storage_type: str) -> tuple[int, int] | None:
    key = "oracle" if engine.startswith("oracle") else engine
    return STORAGE_LIMITS.get(key, {}).get(storage_type)


def check_storage_range(engine: str, storage_type: str, size: int, operation: str) -> None:
    """AllocatedStorage within the engine's range for the storage type."""
    limits = storage_limits(engine, storage_type)
    if limits is not None and not limits[0] <= size <= limits[1]:
        raise refuse(storage_error(engine, storage_type, size), operation)


# gp3 below this size (GiB) has a fixed baseline: IOPS and throughput can't be set.
# AWS: RDS User Guide, "gp3 storage" (baseline below 400 GiB, 200 GiB for Oracle); message
# from terraform-provider-aws #28243 (InvalidParameterCombination).
GP3_PROVISIONED_FROM = {"postgres": 400, "mysql": 400, "mariadb": 400, "oracle": 200}


def check_gp3_performance(engine: str, storage_type: str, size: int, kwargs: Any, op: str) -> None:
    """No Iops or StorageThroughput for gp3 below the engine's threshold."""
    key = "oracle" if engine.startswith("oracle") else engine
    threshold = GP3_PROVISIONED_FROM.get(key)
    if storage_type != "gp3" or threshold is None or size >= threshold:
        return
    if given(kwargs, "iops") or given(kwargs, "storage_throughput"):
        raise refuse(
            InvalidParameterCombination(
                f"You can't specify IOPS or storage throughput for engine {engine} and a storage "
                f"size less than {threshold}."
            ),
            op,
        )


def check_max_storage(
    engine: str, storage_type: str, allocated: int, max_storage: int, operation: str, modify: bool
) -> None:
    """MaxAllocatedStorage (storage autoscaling): at least 10% above the allocated storage;
    on ModifyDBInstance, equal to it turns autoscaling off.
    AWS: USER_PIOPS.Autoscaling ("set the maximum storage threshold to at least 10% more than
    the current allocated storage"); "Max storage size must be greater than storage size" and
    "The maximum allocated storage must be increased by at least 10 percent."
    (InvalidParameterCombination, seen on CreateDBInstance); terraform-provider-aws sets it
    equal to AllocatedStorage to disable autoscaling."""
    if modify and max_storage == allocated:
        return
    if max_storage <= allocated:
        raise refuse(
            InvalidParameterCombination("Max storage size must be greater than storage size"),
            operation,
        )
    if max_storage * 10 < allocated * 11:
        raise refuse(
            InvalidParameterCombination(
                "The maximum allocated storage must be increased by at least 10 percent."
            ),
            operation,
        )
    limits = storage_limits(engine, storage_type)
    if limits is not None and max_storage > limits[1]:
        raise refuse(storage_error(engine, storage_type, max_storage, max_storage=True), operation)


# ---------------------------------------------------------------------------------------------
# Master password and backups


def check_master_password(kwargs: Any, db: DBInstance | None, operation: str) -> None:
    """MasterUserPassword can't be specified if ManageMasterUserPassword is turned on.
    AWS: CreateDBInstance / ModifyDBInstance reference, MasterUserPassword ("Can't be
    specified if ManageMasterUserPassword is turned on"). Exact message not published."""
    if not given(kwargs, "master_user_password"):
        return
    asked = kwargs.get("manage_master_user_password")
    managed = truthy(asked) if asked is not None else bool(
        db is not None and getattr(db, "manage_master_user_password", False)
    )
    if managed:
        raise refuse(
            InvalidParameterCombination(
                "MasterUserPassword can't be specified if ManageMasterUserPassword is turned on."
            ),
            operation,
        )


def check_backup_retention(kwargs: Any, db: DBInstance | None, operation: str) -> None:
    """BackupRetentionPeriod from 0 to 35 days, and not 0 for a source of read replicas.
    AWS: CreateDBInstance / ModifyDBInstance reference, BackupRetentionPeriod ("Must be a value
    from 0 to 35"; "Can't be set to 0 if the DB instance is a source to read replicas").
    Exact messages not published."""
    if not given(kwargs, "backup_retention_period"):
        return
    days = int(kwargs["backup_retention_period"])
    if not 0 <= days <= MAX_BACKUP_RETENTION_DAYS:
        raise refuse(
            InvalidParameterValue(
                f"Invalid backup retention period: {days}. It must be a value from 0 to "
                f"{MAX_BACKUP_RETENTION_DAYS} days."
            ),
            operation,
        )
    if days == 0 and db is not None and db.replicas:
        raise refuse(
            InvalidParameterCombination(
                "The backup retention period can't be set to 0 while the DB instance is a "
                "source to read replicas."
            ),
            operation,
        )


BACKUP_WINDOW = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]")


def check_backup_window(kwargs: Any, operation: str) -> None:
    """PreferredBackupWindow: `hh24:mi-hh24:mi` in UTC, at least 30 minutes (moto checks only
    the maintenance window and the overlap of the two).
    AWS: CreateDBInstance / ModifyDBInstance reference, PreferredBackupWindow ("Must be in the
    format hh24:mi-hh24:mi", "Must be in Universal Coordinated Time (UTC)", "Must be at least
    30 minutes"). Exact messages not published (assumed wording)."""
    if not given(kwargs, "preferred_backup_window"):
        return
    window = str(kwargs["preferred_backup_window"])
    if BACKUP_WINDOW.fullmatch(window) is None:
        raise refuse(
            InvalidParameterValue(
                f"Invalid backup window format: {window}. Should be specified as a range "
                "hh24:mi-hh24:mi (24H Clock UTC). Example: 23:45-00:15"
            ),
            operation,
        )
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in window.split("-"))
    if (end - start) % (24 * 60) < 30:
        raise refuse(
            InvalidParameterValue("The backup window must be at least 30 minutes."), operation
        )


# ---------------------------------------------------------------------------------------------
# The calls


def check_create(backend: RDSBackend, kwargs: Any) -> None:
    """CreateDBInstance (not an Aurora cluster member)."""
    op = "CreateDBInstance"
    engine = str(kwargs.get("engine") or "")
    check_master_password(kwargs, None, op)
    check_backup_retention(kwargs, None, op)
    check_backup_window(kwargs, op)
    storage_type = str(kwargs.get("storage_type") or ("io1" if given(kwargs, "iops") else "gp2"))
    if storage_limits(engine, storage_type) is not None:
        if not given(kwargs, "allocated_storage"):
            # AWS: "The parameter AllocatedStorage must be provided and must not be null."
            raise refuse(
                InvalidParameterValue(
                    "The parameter AllocatedStorage must be provided and must not be null."
                ),
                op,
            )
        allocated = int(kwargs["allocated_storage"])
        check_storage_range(engine, storage_type, allocated, op)
        check_gp3_performance(engine, storage_type, allocated, kwargs, op)
        if given(kwargs, "max_allocated_storage"):
            check_max_storage(
                engine, storage_type, allocated, int(kwargs["max_allocated_storage"]), op, False
            )
    # Without EngineVersion RDS picks its default version (moto's defaults are years old):
    # the family is only checked against a version asked for.
    if given(kwargs, "engine_version"):
        check_family(backend, engine, str(kwargs["engine_version"]), kwargs.get("db_parameter_group_name"), op)


def replica_group_allowed(engine: str, cross_region: bool) -> bool:
    return engine.startswith(("oracle", "db2")) or (engine == "mysql" and cross_region)


def check_read_replica(backend: RDSBackend, kwargs: Any) -> None:
    """CreateDBInstanceReadReplica from a source in this region."""
    op = "CreateDBInstanceReadReplica"
    source_id = kwargs.get("source_db_instance_identifier")
    if not source_id or backend.arn_regex.match(source_id):
        return
    source = backend.databases.get(source_id)
    if source is None:
        raise DBInstanceNotFoundError(source_id)
    engine = str(source.engine)
    # AWS: CreateDBInstanceReadReplica reference, DBParameterGroupName ("Specifying a parameter
    # group for this operation is only supported for MySQL DB instances for cross-Region read
    # replicas, ..., for Db2 DB instances, and for Oracle DB instances"); the message from
    # terraform-provider-aws #38056.
    if given(kwargs, "db_parameter_group_name") and not replica_group_allowed(engine, False):
        raise refuse(
            InvalidParameterCombination(
                "A parameter group can't be specified during Read Replica creation for the "
                f"following DB engine: {engine}"
            ),
            op,
        )
    # AWS: RDS User Guide, "Limitations for Secrets Manager integration with Amazon RDS":
    # creating a read replica when the source manages its master password in Secrets Manager
    # is not supported for any engine but SQL Server; the message from terraform-aws-rds #532.
    if getattr(source, "manage_master_user_password", False) and not engine.startswith("sqlserver"):
        raise refuse(
            InvalidParameterValue(
                f"Creating read replicas for source instance with engine {engine} where "
                "ManageMasterUserPassword is enabled is not supported."
            ),
            op,
        )
    # AWS: the source must be available (terraform-provider-aws #43474).
    if source.status != "available":
        raise refuse(
            InvalidDBInstanceStateFault(f"DB instance {source_id} is not in available state."),
            op,
        )
    # AWS: CreateDBInstanceReadReplica reference ("Your source DB instance must have backup
    # retention enabled"); message as RDS answers it.
    if not source.backup_retention_period:
        raise refuse(
            InvalidDBInstanceStateFault(
                "Automated backups are not enabled for this database instance. To enable "
                "automated backups, use ModifyDBInstance to set the backup retention period to "
                "a non-zero value."
            ),
            op,
        )


def optimizing(db: DBInstance) -> bool:
    """Storage optimization of the last storage change still runs."""
    return db.status == "storage-optimization" or time.monotonic() < getattr(
        db, "_mosia_optimizing_until", 0.0
    )


def storage_changes(db: DBInstance, kwargs: Any) -> dict[str, Any]:
    """The storage settings this request changes (value differs from the instance's)."""
    return {
        key: kwargs[key]
        for key in STORAGE_SETTINGS
        if given(kwargs, key) and kwargs[key] != getattr(db, key, None)
    }


def check_modify(backend: RDSBackend, db: DBInstance, kwargs: Any) -> None:
    """ModifyDBInstance on an existing instance."""
    op = "ModifyDBInstance"
    if db.status not in ("available", "storage-optimization"):
        raise refuse(
            InvalidDBInstanceStateFault(
                f"Database instance is not in available state (current state: {db.status})."
            ),
            op,
        )
    check_master_password(kwargs, db, op)
    check_backup_retention(kwargs, db, op)
    check_backup_window(kwargs, op)
    check_modify_storage(db, kwargs, op)
    check_modify_version(backend, db, kwargs, op)


def check_modify_storage(db: DBInstance, kwargs: Any, op: str) -> None:
    """Storage only grows, by at least 10%, within the engine's range, and not while the last
    storage change is being optimized.
    AWS: RDS User Guide, "Settings for DB instances" (Allocated storage: "You can only increase
    the allocated storage"; "You can't modify allocated storage if the DB instance status is
    storage-optimization"), "Increasing DB instance storage capacity" ("it must be by at least
    10 percent. If you try to increase the value by less than 10 percent, you get an error").
    Messages: "Invalid storage size for engine name postgres and storage type gp3: 30"
    (InvalidParameterCombination); "... because the previous storage change is being
    optimized" (terraform-provider-aws retries it)."""
    engine = str(db.engine)
    changes = storage_changes(db, kwargs)
    if changes and optimizing(db):
        raise refuse(
            InvalidParameterCombination(
                "You can't currently modify the storage of this DB instance because the "
                "previous storage change is being optimized."
            ),
            op,
        )
    storage_type = str(kwargs.get("storage_type") or db.storage_type)
    current = int(db.allocated_storage)
    allocated = int(changes.get("allocated_storage", current))
    if allocated != current and allocated * 10 < current * 11:
        raise refuse(storage_error(engine, storage_type, allocated), op)
    if changes:
        check_storage_range(engine, storage_type, allocated, op)
        check_gp3_performance(engine, storage_type, allocated, kwargs, op)
    if given(kwargs, "max_allocated_storage"):
        check_max_storage(engine, storage_type, allocated, int(kwargs["max_allocated_storage"]), op, True)


def check_modify_version(backend: RDSBackend, db: DBInstance, kwargs: Any, op: str) -> None:
    """A major version upgrade needs AllowMajorVersionUpgrade; the parameter group (asked, or
    the instance's own custom one) must be of the new version's family.
    AWS: "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major
    version." (InvalidParameterCombination); family as in check_family."""
    engine = str(db.engine)
    version = str(kwargs.get("engine_version") or db.engine_version)
    if major_version(engine, version) != major_version(engine, db.engine_version) and not truthy(
        kwargs.get("allow_major_version_upgrade")
    ):
        raise refuse(
            InvalidParameterCombination(
                "The AllowMajorVersionUpgrade flag must be present when upgrading to a new major "
                "version."
            ),
            op,
        )
    group = kwargs.get("db_parameter_group_name")
    if group is None and not is_default_group(db.db_parameter_group_name):
        group = db.db_parameter_group_name
    check_family(backend, engine, version, group, op)


def check_restore(backend: RDSBackend, snapshot_id: str, kwargs: Any) -> None:
    """RestoreDBInstanceFromDBSnapshot: the parameter group's family matches the engine version
    restored, the snapshot's unless EngineVersion is given."""
    op = "RestoreDBInstanceFromDBSnapshot"
    name = snapshot_id
    if name.startswith("arn:"):
        name = name.rsplit(":", 1)[-1]
    snapshot = backend.database_snapshots.get(name)
    if snapshot is None:
        return  # moto answers DBSnapshotNotFound
    engine = str(kwargs.get("engine") or snapshot.engine)
    version = str(kwargs.get("engine_version") or snapshot.engine_version)
    check_family(backend, engine, version, kwargs.get("db_parameter_group_name"), op)


def check_delete(db: DBInstance, final_snapshot: str | None, skip: bool) -> None:
    """DeleteDBInstance: deletion protection first, then the final-snapshot decision.
    AWS: DeleteDBInstance reference (SkipFinalSnapshot, FinalDBSnapshotIdentifier; "You can't
    delete a DB instance when deletion protection is enabled"); messages as RDS answers them."""
    op = "DeleteDBInstance"
    if db.status == "deleting":
        raise refuse(
            InvalidDBInstanceStateFault(f"Instance {db.db_instance_identifier} is already being deleted."),
            op,
        )
    if db.deletion_protection:
        raise refuse(
            InvalidParameterCombination(
                "Cannot delete protected DB Instance, please disable deletion protection and try again."
            ),
            op,
        )
    if getattr(db, "is_replica", False):
        if final_snapshot and not skip:
            raise refuse(
                InvalidParameterCombination(
                    "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance"
                ),
                op,
            )
    elif getattr(db, "db_cluster_identifier", None) is None:
        if skip and final_snapshot:
            raise refuse(
                InvalidParameterCombination(
                    "Cannot specify a FinalDBSnapshotIdentifier when SkipFinalSnapshot is enabled."
                ),
                op,
            )
        if not skip and not final_snapshot:
            raise refuse(
                InvalidParameterCombination(
                    "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified."
                ),
                op,
            )


def check_reboot(db: DBInstance) -> None:
    """RebootDBInstance needs an available instance."""
    if db.status != "available":
        raise refuse(
            InvalidDBInstanceStateFault(
                f"Database instance is not in available state (current state: {db.status})."
            ),
            "RebootDBInstance",
        )
