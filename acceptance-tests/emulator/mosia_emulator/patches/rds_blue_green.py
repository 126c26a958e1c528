"""RDS blue/green deployments of DB instances (moto 5.2.5 creates green AVAILABLE at once and
switches over instantly, through the calls our RDS rules refuse): lifecycles, AWS's rules for
CreateBlueGreenDeployment, SwitchoverBlueGreenDeployment and DeleteBlueGreenDeployment, a
failure injection for the switchover, and a tiny model of a database's contents (its tables,
kept by DbiResourceId). The parameter apply status the logical replication rule needs is
`rds_parameter_status`.

Applied for the "rds" service: `apply` applies `rds` (instances, rules, timing) first.

Lifecycle (durations are the `rds_instance` ones, see the README):

- create: the deployment is PROVISIONING while its green instance is `creating` (the
  `rds_instance.create` duration), then AVAILABLE (INVALID_CONFIGURATION if green failed or
  went away);
- switchover: SWITCHOVER_IN_PROGRESS for the `rds_instance.update` duration, then
  SWITCHOVER_COMPLETED with the renames (blue `NAME` -> `NAME-old1`, green -> `NAME`; ARNs and
  endpoints follow the names), or SWITCHOVER_FAILED with nothing renamed (the
  `rds_switchover_fails` event; a switchover longer than `SwitchoverTimeout` is not modelled);
- delete: DELETING for the `rds_instance.delete` duration, then gone.

Clusters (Aurora) are left to moto."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moto.core.utils import utcnow
from moto.rds.exceptions import (
    InvalidDBInstanceStateFault,
    InvalidParameterCombination,
    InvalidParameterValue,
    RDSClientError,
    SourceDatabaseNotSupportedFault,
)
from moto.rds.models import (
    BlueGreenDeployment,
    BlueGreenDeploymentTask,
    DBInstance,
    RDSBackend,
)

from .. import events, lifecycle
from . import rds
from . import rds_rules as rules
from . import rds_timing as timing
from . import add, wrap
from .rds_parameter_status import apply_parameter_status, running_values

KIND = "rds_instance"
OP_CREATE = "CreateBlueGreenDeployment"
OP_SWITCHOVER = "SwitchoverBlueGreenDeployment"
OP_DELETE = "DeleteBlueGreenDeployment"

PROVISIONING = "PROVISIONING"
AVAILABLE = "AVAILABLE"
SWITCHOVER_IN_PROGRESS = "SWITCHOVER_IN_PROGRESS"
SWITCHOVER_COMPLETED = "SWITCHOVER_COMPLETED"
SWITCHOVER_FAILED = "SWITCHOVER_FAILED"
INVALID_CONFIGURATION = "INVALID_CONFIGURATION"
DELETING = "DELETING"

# How often a deployment looks again at its green instance while that one is not available.
POLL_SECONDS = 0.05

# AWS: SwitchoverBlueGreenDeployment reference (SwitchoverTimeout: default 300, minimum 30,
# checked by the API model) and RDS User Guide, "Switching a blue/green deployment" ("You can
# specify a switchover timeout period between 30 seconds and 3,600 seconds").
DEFAULT_SWITCHOVER_TIMEOUT = 300
MAX_SWITCHOVER_TIMEOUT = 3600

# AWS: RDS User Guide, "Limitations and considerations for blue/green deployments" and
# terraform-provider-aws / cloudposse terraform-aws-rds #206 ("Low-downtime updates are only
# available for DB Instances using MySQL, MariaDB and PostgreSQL").
ENGINES = ("mysql", "mariadb", "postgres")

# The RDS for PostgreSQL versions the emulator offers as TargetEngineVersion (RDS for
# PostgreSQL release notes; not every minor AWS ever listed, enough for the upgrades tested).
POSTGRES_VERSIONS: dict[str, tuple[str, ...]] = {
    "11": tuple(f"11.{m}" for m in range(16, 23)),
    "12": tuple(f"12.{m}" for m in range(11, 23)),
    "13": tuple(f"13.{m}" for m in range(7, 21)),
    "14": tuple(f"14.{m}" for m in range(3, 18)),
    "15": tuple(f"15.{m}" for m in range(2, 13)),
    "16": tuple(f"16.{m}" for m in range(1, 10)),
    "17": tuple(f"17.{m}" for m in range(1, 6)),
}

# AWS: RDS User Guide, "PostgreSQL replication methods for blue/green deployments": a major
# version upgrade uses logical replication and needs the source at 16.1 or higher, 15.4,
# 14.9, 13.12, 12.16 or 11.21 within its major ("Major version upgrades are not supported for
# blue/green deployments with source RDS for PostgreSQL versions 15.3 and lower, 14.8 and
# lower, 13.11 and lower, 12.15 and lower, or 11.20 and lower").
LOGICAL_REPLICATION_FROM = {
    "11": "11.21", "12": "12.16", "13": "13.12", "14": "14.9", "15": "15.4", "16": "16.1",
}

LOGICAL_REPLICATION = "rds.logical_replication"

# Instance statuses in which the database answers clients (the rds_create_table event).
SERVING = ("available", "storage-optimization", "modifying", "backing-up", "upgrading")

# Failures armed by the rds_switchover_fails event, taken by the next matching switchover.
_armed: list[dict[str, Any]] = []


def refuse(error: Exception, operation: str) -> Exception:
    return rules.refuse(error, operation)


def apply(state: Any) -> None:
    rds.apply(state)
    apply_parameter_status()
    apply_blue_green()
    events.register("rds_create_table")(create_table)
    events.register("rds_tables")(list_tables)
    events.register("rds_switchover_fails")(switchover_fails)
    hooks = getattr(state, "reset_hooks", None)
    if hooks is not None:
        hooks.append(_armed.clear)


# ---------------------------------------------------------------------------------------------
# The database's contents: tables, by DbiResourceId (stable across the switchover's renames)


def tables_of(db: DBInstance) -> set[str]:
    store = db.backend.__dict__.setdefault("_mosia_tables", {})
    return store.setdefault(db.dbi_resource_id, set())


def find_by_resource_id(backend: RDSBackend, resource_id: str | None) -> DBInstance | None:
    if not resource_id:
        return None
    for db in backend.databases.values():
        if getattr(db, "dbi_resource_id", None) == resource_id:
            return db
    return None


# ---------------------------------------------------------------------------------------------
# Deployments


def ours(dep: BlueGreenDeployment) -> bool:
    """A deployment of a DB instance made here (clusters are moto's)."""
    return "_mosia_blue" in dep.__dict__


def blue_of(dep: BlueGreenDeployment) -> DBInstance | None:
    return find_by_resource_id(dep.backend, dep.__dict__.get("_mosia_blue"))


def green_of(dep: BlueGreenDeployment) -> DBInstance | None:
    return find_by_resource_id(dep.backend, dep.__dict__.get("_mosia_green"))


def lookup(backend: RDSBackend, identifier: str) -> BlueGreenDeployment | None:
    # AWS: DeleteBlueGreenDeployment reference ("This parameter isn't case-sensitive").
    found = backend.blue_green_deployments.get(identifier)
    if found is None and isinstance(identifier, str):
        found = backend.blue_green_deployments.get(identifier.lower())
    return found


def set_tasks(dep: BlueGreenDeployment, status: str) -> None:
    names = ["CREATING_READ_REPLICA_OF_SOURCE"]
    if dep.__dict__.get("_mosia_upgrade"):
        names.append("DB_ENGINE_VERSION_UPGRADE")
    names.append("CONFIGURE_BACKUPS")
    dep.tasks = [BlueGreenDeploymentTask(name, status) for name in names]


def version_key(version: str) -> tuple[int, ...]:
    return rules.version_key(version)


def resolve_target_version(engine: str, source_version: str, asked: str | None) -> str:
    """TargetEngineVersion: one the emulator offers (a bare major: its newest minor), not
    below the source's. AWS: "Cannot find upgrade path from 12.2.0.1... to 12.2."
    (terraform-aws-rds #385) and "Cannot upgrade postgres from 15.7 to 15.5"
    (ministryofjustice/cloud-platform-environments #25855), both InvalidParameterCombination
    from ModifyDBInstance; assumed the same for CreateBlueGreenDeployment."""
    if not asked:
        return source_version
    asked = str(asked)
    offered = POSTGRES_VERSIONS if engine == "postgres" else None
    if offered is not None:
        if asked in offered:
            asked = offered[asked][-1]
        elif not any(asked in minors for minors in offered.values()):
            raise refuse(
                InvalidParameterCombination(
                    f"Cannot find upgrade path from {source_version} to {asked}."
                ),
                OP_CREATE,
            )
    if version_key(asked) < version_key(source_version):
        raise refuse(
            InvalidParameterCombination(
                f"Cannot upgrade {engine} from {source_version} to {asked}"
            ),
            OP_CREATE,
        )
    return asked


@dataclass
class Plan:
    version: str
    group: str | None
    upgrade: bool  # another engine version
    logical: bool  # PostgreSQL major upgrade: logical replication


def check_create(backend: RDSBackend, source: DBInstance, kwargs: dict[str, Any]) -> Plan:
    """CreateBlueGreenDeployment for a DB instance source, in the order checked here."""
    op = OP_CREATE
    ident = source.db_instance_identifier
    name = kwargs.get("blue_green_deployment_name")
    # AWS: "A Blue Green Deployment with the name 'testMAZ' already exists"
    # (BlueGreenDeploymentAlreadyExistsFault; crossplane-contrib/provider-upjet-aws #1430).
    if any(d.blue_green_deployment_name == name for d in backend.blue_green_deployments.values()):
        raise refuse(
            RDSClientError(
                "BlueGreenDeploymentAlreadyExistsFault",
                f"A Blue Green Deployment with the name '{name}' already exists",
            ),
            op,
        )
    engine = str(source.engine)
    # AWS: RDS User Guide, "Limitations and considerations for blue/green deployments" (MySQL,
    # MariaDB and PostgreSQL only; "Blue/green deployments don't support managing master user
    # passwords with AWS Secrets Manager"). SourceDatabaseNotSupportedFault ("The source DB
    # instance isn't supported for a blue/green deployment", API reference); moto's message.
    if engine not in ENGINES or hasattr(source, "master_user_secret"):
        raise refuse(SourceDatabaseNotSupportedFault(source.arn), op)
    # AWS: the source must be available (InvalidDBInstanceStateFault is a modeled error of
    # CreateBlueGreenDeployment); message as RDS words it for replicas (terraform-provider-aws
    # #43474), assumed here.
    if source.status != "available":
        raise refuse(
            InvalidDBInstanceStateFault(f"DB instance {ident} is not in available state."), op
        )
    # AWS: RDS User Guide, blue/green limitations (cascading and cross-Region read replicas
    # aren't supported; green is created as a read replica of the source, task
    # CREATING_READ_REPLICA_OF_SOURCE). Code from the API reference's meaning of the fault;
    # message assumed.
    if getattr(source, "is_replica", False):
        raise refuse(
            RDSClientError(
                "SourceDatabaseNotSupportedFault",
                f"The source DB instance {source.arn} is a read replica. A blue/green deployment "
                "can only be created from a primary DB instance.",
            ),
            op,
        )
    # AWS: automated backups are required (RDS User Guide, "Creating a blue/green deployment":
    # "you must enable automated backups" for MySQL/MariaDB; terraform-provider-aws
    # internal/service/rds/blue_green.go: "Backups must be enabled for Blue/Green Deployments"
    # for every engine). Code and message as CreateDBInstanceReadReplica answers them (green
    # is a read replica of the source); assumed for blue/green.
    if not source.backup_retention_period:
        raise refuse(
            InvalidDBInstanceStateFault(
                "Automated backups are not enabled for this database instance. To enable "
                "automated backups, use ModifyDBInstance to set the backup retention period to "
                "a non-zero value."
            ),
            op,
        )
    # One deployment per source (the instance is blue or green of one already, until that
    # one is deleted). Not documented in these words; code modeled, message assumed.
    rid = source.dbi_resource_id
    for dep in backend.blue_green_deployments.values():
        if ours(dep) and rid in (dep.__dict__.get("_mosia_blue"), dep.__dict__.get("_mosia_green")):
            raise refuse(
                InvalidDBInstanceStateFault(
                    f"DB instance {ident} is already part of blue/green deployment "
                    f"{dep.blue_green_deployment_identifier}."
                ),
                op,
            )
    source_version = str(source.engine_version)
    version = resolve_target_version(engine, source_version, kwargs.get("target_engine_version"))
    major = rules.major_version(engine, version) != rules.major_version(engine, source_version)
    logical = engine == "postgres" and major
    if logical:
        check_logical_replication(source, source_version)
    group = kwargs.get("target_db_parameter_group_name")
    if group:
        name = str(group)
        exists = name.lower() in backend.db_parameter_groups or name.startswith("default.")
        if not exists:
            # AWS: "DBParameterGroup not found: testing-pg" (DBParameterGroupNotFound, 404;
            # terraform-aws-modules/terraform-aws-rds #213).
            raise refuse(
                RDSClientError("DBParameterGroupNotFound", f"DBParameterGroup not found: {group}"),
                op,
            )
        # AWS: the family matches the engine major (rds_rules.check_family's wording).
        rules.check_family(backend, engine, version, str(group), op)
    elif major:
        # Without TargetDBParameterGroupName green gets the target family's default group
        # (terraform-provider-aws #49132: AWS "falls back to the default parameter group" for
        # green); the source's group belongs to the old family.
        family = rules.family_of(engine, version)
        group = f"default.{family}" if family else None
    else:
        group = source.db_parameter_group_name
    return Plan(version, group, version != source_version, logical)


def check_logical_replication(source: DBInstance, source_version: str) -> None:
    """A PostgreSQL major upgrade by blue/green uses logical replication: the source's version
    must support it, and rds.logical_replication = 1 must be in effect (set in its parameter
    group and not waiting for a reboot)."""
    op = OP_CREATE
    major = rules.major_version("postgres", source_version)
    least = LOGICAL_REPLICATION_FROM.get(major)
    if least is not None and version_key(source_version) < version_key(least):
        # Rule: RDS User Guide, "PostgreSQL replication methods for blue/green deployments"
        # (above). Code from the fault's meaning in the API reference; message assumed.
        raise refuse(
            RDSClientError(
                "SourceDatabaseNotSupportedFault",
                f"Major version upgrades aren't supported for blue/green deployments with source "
                f"RDS for PostgreSQL version {source_version}. Upgrade the source DB instance "
                f"to {least} or higher first.",
            ),
            op,
        )
    if running_values(source).get(LOGICAL_REPLICATION) != "1":
        # Message: AWS re:Post Knowledge Center, "rds-postgresql-blue-green-deployment-error"
        # (RDS answers it when logical replication is not enabled). Code not published:
        # SourceDatabaseNotSupportedFault, as RDS answers another parameter precondition of
        # CreateBlueGreenDeployment (lower_case_table_names, terraform-provider-aws #49132).
        # RDS User Guide (Aurora, "Creating a blue/green deployment"): the writer must be in
        # sync with its parameter group after the reboot, "otherwise creation will fail".
        raise refuse(
            RDSClientError(
                "SourceDatabaseNotSupportedFault",
                "Blue/Green Deployments require a DB instance with logical replication enabled. "
                "Before you create a Blue/Green Deployment for a DB instance, associate the DB "
                "instance with a custom DB instance parameter group that enables logical "
                "replication.",
            ),
            op,
        )


def source_instance(backend: RDSBackend, source: Any) -> DBInstance | None:
    """The DB instance a Source ARN names (None: a cluster, or not an RDS ARN: moto's)."""
    if not isinstance(source, str) or not backend.arn_regex.match(source):
        return None
    if source.split(":")[-2] != "db":
        return None
    return backend.find_db_from_id(source)  # DBInstanceNotFound when there is none


def watch_provisioning(dep: BlueGreenDeployment, token: object) -> None:
    """PROVISIONING until green is available (its create duration), then AVAILABLE."""

    def check() -> None:
        if dep.__dict__.get("_mosia_token") is not token or dep.status != PROVISIONING:
            return
        green = green_of(dep)
        if green is None or green.status in ("deleting", "failed"):
            what = "was deleted" if green is None or green.status == "deleting" else "failed"
            dep.set_status(BlueGreenDeployment.SupportedStates.INVALID_CONFIGURATION)
            dep.status_details = f"The green DB instance {what} while it was being created."
            set_tasks(dep, "FAILED")
            return
        if green.status == "available":
            dep.set_status(BlueGreenDeployment.SupportedStates.AVAILABLE)
            set_tasks(dep, "COMPLETED")
            return
        lifecycle.SCHEDULER.after(POLL_SECONDS, check)

    lifecycle.SCHEDULER.after(lifecycle.DURATIONS.get(KIND, "create"), check)


def old_name(backend: RDSBackend, name: str) -> str:
    """AWS: the blue instance is renamed "by appending -oldn to the current name, where n is a
    number" (RDS User Guide, "Overview of Amazon RDS Blue/Green Deployments")."""
    n = 1
    while f"{name}-old{n}" in backend.databases:
        n += 1
    return f"{name}-old{n}"


def rename(backend: RDSBackend, db: DBInstance, new: str) -> None:
    backend.databases.pop(db.db_instance_identifier, None)
    db.db_instance_identifier = new
    backend.databases[db.db_instance_identifier] = db


def apply_blue_green() -> None:
    @add(BlueGreenDeployment, "_create_green_instance")
    def _create_green_instance(self: BlueGreenDeployment, **targets: Any) -> str:
        backend = self.backend
        plan: Plan | None = backend.__dict__.pop("_mosia_green_plan", None)
        if plan is None:
            return _original_create_green(self, **targets)  # a cluster: moto's
        source = backend.find_db_from_id(self.source)

        def target(setting: str) -> Any:
            """A Target* setting of the request, else the source's."""
            return targets.get(f"target_{setting}") or getattr(source, setting)

        db_kwargs = {
            "db_instance_identifier": self._generate_green_id(source.db_instance_identifier),
            "engine": source.engine,
            "engine_version": plan.version,
            "db_parameter_group_name": plan.group,
            "db_instance_class": target("db_instance_class"),
            "storage_type": target("storage_type"),
            "allocated_storage": target("allocated_storage"),
            "max_allocated_storage": source.max_allocated_storage,
            "iops": target("iops"),
            "storage_throughput": target("storage_throughput"),
            "port": source.port,
            "db_name": source.db_name,
            "master_username": source.master_username,
            "master_user_password": source._master_user_password,
            "multi_az": source.multi_az,
            "availability_zone": source.availability_zone,
            "db_subnet_group_name": source._db_subnet_group_name,
            "vpc_security_group_ids": list(source.vpc_security_group_ids),
            "db_security_groups": list(source.db_security_groups),
            "publicly_accessible": source.publicly_accessible,
            "backup_retention_period": source.backup_retention_period,
            "preferred_backup_window": source.preferred_backup_window,
            "preferred_maintenance_window": source.preferred_maintenance_window,
            "auto_minor_version_upgrade": source.auto_minor_version_upgrade,
            "copy_tags_to_snapshot": source.copy_tags_to_snapshot,
            "storage_encrypted": source.storage_encrypted,
            "kms_key_id": source.kms_key_id,
            "license_model": source.license_model,
            "character_set_name": source.character_set_name,
            "ca_certificate_identifier": source.ca_certificate_identifier,
            "enable_cloudwatch_logs_exports": list(source.enabled_cloudwatch_logs_exports),
            "enable_iam_database_authentication": source.enable_iam_database_authentication,
            "tags": [dict(t) for t in source.tags],
            # Not inherited: terraform-provider-aws #29887 (after a blue/green update the new
            # primary had deletion protection off although the old one had it on).
            "deletion_protection": False,
        }
        # Green copies an instance RDS already accepted: CreateDBInstance's rules are not
        # checked again (rds.py skips them for restores the same way).
        backend._mosia_restoring = True
        try:
            green = backend.create_db_instance(db_kwargs)
        finally:
            backend._mosia_restoring = False
        self.__dict__["_mosia_blue"] = source.dbi_resource_id
        self.__dict__["_mosia_green"] = green.dbi_resource_id
        self.__dict__["_mosia_upgrade"] = plan.upgrade
        self.__dict__["_mosia_logical"] = plan.logical
        # The green database starts as a copy of the blue one.
        tables_of(green).update(tables_of(source))
        return green.db_instance_arn

    @wrap(RDSBackend, "create_blue_green_deployment")
    def create_blue_green_deployment(orig: Any, self: RDSBackend, bg_kwargs: dict[str, Any]) -> Any:
        source = source_instance(self, bg_kwargs.get("source"))
        if source is None:
            return orig(self, bg_kwargs)
        self.__dict__["_mosia_green_plan"] = check_create(self, source, bg_kwargs)
        try:
            answer = orig(self, bg_kwargs)
        finally:
            self.__dict__.pop("_mosia_green_plan", None)
        dep = self.blue_green_deployments[answer.blue_green_deployment_identifier]
        token = object()
        dep.__dict__["_mosia_token"] = token
        dep.set_status(BlueGreenDeployment.SupportedStates.PROVISIONING)
        set_tasks(dep, "PENDING")
        dep.tasks[0] = BlueGreenDeploymentTask(dep.tasks[0].Name, "IN_PROGRESS")
        watch_provisioning(dep, token)
        return dep

    @wrap(RDSBackend, "switchover_blue_green_deployment")
    def switchover_blue_green_deployment(
        orig: Any,
        self: RDSBackend,
        blue_green_deployment_identifier: str,
        switchover_timeout: int | None = None,
    ) -> Any:
        dep = lookup(self, blue_green_deployment_identifier)
        if dep is None or not ours(dep):
            return orig(self, blue_green_deployment_identifier, switchover_timeout)
        timeout = switchover_timeout
        check_switchover(dep, DEFAULT_SWITCHOVER_TIMEOUT if timeout is None else int(timeout))
        begin_switchover(dep)
        return dep

    @wrap(RDSBackend, "delete_blue_green_deployment")
    def delete_blue_green_deployment(
        orig: Any,
        self: RDSBackend,
        blue_green_deployment_identifier: str,
        delete_target: Any = False,
    ) -> Any:
        dep = lookup(self, blue_green_deployment_identifier)
        if dep is None or not ours(dep):
            return orig(self, blue_green_deployment_identifier, delete_target)
        with_green = rules.truthy(delete_target)
        check_delete(dep, with_green)
        if with_green:
            green = green_of(dep)
            if green is not None and green.status != "deleting":
                self.delete_db_instance(green.db_instance_identifier, skip_final_snapshot=True)
        token = object()
        dep.__dict__["_mosia_token"] = token
        dep.set_status(BlueGreenDeployment.SupportedStates.DELETING)
        dep.deletion_time = utcnow()

        def gone() -> None:
            key = dep.blue_green_deployment_identifier
            current = dep.__dict__.get("_mosia_token") is token
            if current and self.blue_green_deployments.get(key) is dep:
                del self.blue_green_deployments[key]

        lifecycle.SCHEDULER.after(lifecycle.DURATIONS.get(KIND, "delete"), gone)
        return dep


_original_create_green = BlueGreenDeployment._create_green_instance


def state_fault(dep: BlueGreenDeployment, message: str) -> Exception:
    return RDSClientError("InvalidBlueGreenDeploymentStateFault", message)


def check_switchover(dep: BlueGreenDeployment, timeout: int) -> None:
    op = OP_SWITCHOVER
    ident = dep.blue_green_deployment_identifier
    # AWS: RDS User Guide, "Switching a blue/green deployment" ("between 30 seconds and 3,600
    # seconds"; the minimum is in the API model). Message assumed.
    if timeout > MAX_SWITCHOVER_TIMEOUT:
        raise refuse(
            InvalidParameterValue(
                f"Invalid switchover timeout: {timeout}. The switchover timeout must be between 30 "
                f"and {MAX_SWITCHOVER_TIMEOUT} seconds."
            ),
            op,
        )
    # AWS: only an AVAILABLE deployment switches over (InvalidBlueGreenDeploymentStateFault,
    # the only state fault SwitchoverBlueGreenDeployment models; moto refuses the same).
    # A failed switchover is not retried: the User Guide documents no retry (a timed-out one is
    # "rolled back"); deleting the deployment, with green, and creating it again is the way.
    # Message assumed.
    if dep.status != AVAILABLE:
        raise refuse(
            state_fault(
                dep,
                f"The blue/green deployment {ident} can't be switched over because its status is "
                f"{dep.status}. Only a blue/green deployment in the AVAILABLE status can be "
                "switched over.",
            ),
            op,
        )
    # AWS: "InvalidBlueGreenDeploymentStateFault: DB instance ... is not in available state"
    # when green was not ready (terraform-provider-aws #36241).
    for db, resource_id in ((green_of(dep), "_mosia_green"), (blue_of(dep), "_mosia_blue")):
        if db is None or db.status != "available":
            name = db.db_instance_identifier if db is not None else dep.__dict__[resource_id]
            raise refuse(state_fault(dep, f"DB instance {name} is not in available state"), op)
    # AWS: switchover guardrail "Unsupported PostgreSQL changes": with logical replication, DDL
    # on blue makes the replication status "Replication degraded" and RDS notifies "that the
    # blue/green deployment can't be switched over"; delete it with the green databases and
    # create it again (RDS User Guide, "Switching a blue/green deployment"). Message assumed.
    degraded = dep.__dict__.get("_mosia_degraded")
    if degraded:
        raise refuse(
            state_fault(
                dep,
                f"The blue/green deployment {ident} can't be switched over: replication is "
                f"degraded ({degraded}). Delete the blue/green deployment with its green "
                "databases and create it again.",
            ),
            op,
        )


def begin_switchover(dep: BlueGreenDeployment) -> None:
    token = object()
    dep.__dict__["_mosia_token"] = token
    dep.set_status(BlueGreenDeployment.SupportedStates.SWITCHOVER_IN_PROGRESS)
    dep.status_details = None
    armed = take_armed(dep)
    seconds = lifecycle.DURATIONS.get(KIND, "update")

    def finish() -> None:
        if dep.__dict__.get("_mosia_token") is not token:
            return
        if armed is not None:
            dep.set_status(BlueGreenDeployment.SupportedStates.SWITCHOVER_FAILED)
            dep.status_details = armed["message"]
            return
        backend = dep.backend
        blue, green = blue_of(dep), green_of(dep)
        if blue is None or green is None:
            dep.set_status(BlueGreenDeployment.SupportedStates.SWITCHOVER_FAILED)
            dep.status_details = "Switchover failed: a DB instance of the deployment went away."
            return
        name = blue.db_instance_identifier
        rename(backend, blue, old_name(backend, name))
        rename(backend, green, name)
        dep.source = blue.db_instance_arn
        dep.target = green.db_instance_arn
        dep.set_status(BlueGreenDeployment.SupportedStates.SWITCHOVER_COMPLETED)
        dep.status_details = "Switchover completed"

    lifecycle.SCHEDULER.after(seconds, finish)


def check_delete(dep: BlueGreenDeployment, with_green: bool) -> None:
    op = OP_DELETE
    ident = dep.blue_green_deployment_identifier
    # Not while a switchover runs or the deployment is already going (code modeled, messages
    # assumed).
    if dep.status in (SWITCHOVER_IN_PROGRESS, DELETING):
        raise refuse(
            state_fault(
                dep,
                f"The blue/green deployment {ident} can't be deleted because its status is "
                f"{dep.status}.",
            ),
            op,
        )
    if not with_green:
        return
    # AWS: DeleteBlueGreenDeployment reference, DeleteTarget ("You can't specify this option if
    # the blue/green deployment status is SWITCHOVER_COMPLETED"). Code and message assumed.
    if dep.status == SWITCHOVER_COMPLETED:
        raise refuse(
            InvalidParameterCombination(
                "You can't specify DeleteTarget for a blue/green deployment whose status is "
                "SWITCHOVER_COMPLETED: the green databases are the production databases now."
            ),
            op,
        )
    # AWS: RDS User Guide, "Deleting a blue/green deployment" ("If you choose to delete the DB
    # instances in the green environment (--delete-target), they must have deletion protection
    # turned off"). DeleteDBInstance's code and message, assumed here.
    green = green_of(dep)
    if green is not None and green.status != "deleting" and green.deletion_protection:
        raise refuse(
            InvalidParameterCombination(
                "Cannot delete protected DB Instance, please disable deletion protection and "
                "try again."
            ),
            op,
        )


# ---------------------------------------------------------------------------------------------
# Events


def take_armed(dep: BlueGreenDeployment) -> dict[str, Any] | None:
    for armed in list(_armed):
        wanted = armed.get("blue_green_deployment_identifier")
        if wanted is None or wanted in (
            dep.blue_green_deployment_identifier, dep.blue_green_deployment_name
        ):
            _armed.remove(armed)
            return armed
    return None


def switchover_fails(payload: dict[str, Any]) -> dict[str, Any]:
    """The next switchover (of the given deployment, by identifier or name, else any) fails:
    SWITCHOVER_IN_PROGRESS, then SWITCHOVER_FAILED with the message as StatusDetails, nothing
    renamed (blue keeps serving)."""
    wanted = payload.get("blue_green_deployment_identifier")
    if wanted is not None and not isinstance(wanted, str):
        raise ValueError("blue_green_deployment_identifier must be a string")
    message = payload.get("message")
    if message is not None and not isinstance(message, str):
        raise ValueError("message must be a string")
    armed = {
        "blue_green_deployment_identifier": wanted,
        "message": message
        or "Switchover failed and was rolled back: no changes were made to either environment. "
        "The blue environment keeps serving.",
    }
    _armed.append(armed)
    return {"armed": armed, "pending": len(_armed)}


def create_table(payload: dict[str, Any]) -> dict[str, Any]:
    """A table created in the database. On the blue instance of a deployment not yet switched
    over, physical replication (no major upgrade) copies it to green; logical replication (a
    PostgreSQL major upgrade) does not replicate DDL, so the deployment's replication is
    degraded and it can't be switched over (RDS User Guide, "Limitations for blue/green
    deployments with logical replication" and "Switching a blue/green deployment")."""
    lifecycle.SCHEDULER.tick()
    db = timing.find_instance(payload)
    table = payload.get("table")
    if not isinstance(table, str) or not table:
        raise ValueError("table (a non-empty string) is required")
    if db.status not in SERVING:
        raise ValueError(f"DB instance {db.db_instance_identifier} is {db.status}: no connections")
    tables = tables_of(db)
    if table in tables:
        raise ValueError(f'relation "{table}" already exists')
    tables.add(table)
    replicated, degraded = [], []
    for dep in list(db.backend.blue_green_deployments.values()):
        if not ours(dep) or dep.__dict__.get("_mosia_blue") != db.dbi_resource_id:
            continue
        if dep.status not in (PROVISIONING, AVAILABLE):
            continue
        if dep.__dict__.get("_mosia_logical"):
            detail = f'DDL on the blue environment: CREATE TABLE "{table}"'
            dep.__dict__["_mosia_degraded"] = detail
            dep.status_details = (
                f"Replication degraded: {detail} is not replicated by logical replication."
            )
            degraded.append(dep.blue_green_deployment_identifier)
        else:
            green = green_of(dep)
            if green is not None:
                tables_of(green).add(table)
                replicated.append(green.db_instance_identifier)
    return {
        "db_instance_identifier": db.db_instance_identifier,
        "dbi_resource_id": db.dbi_resource_id,
        "tables": sorted(tables),
        "replicated_to": replicated,
        "degraded_deployments": degraded,
    }


def list_tables(payload: dict[str, Any]) -> dict[str, Any]:
    """The tables of the database the instance serves."""
    lifecycle.SCHEDULER.tick()
    db = timing.find_instance(payload)
    return {
        "db_instance_identifier": db.db_instance_identifier,
        "dbi_resource_id": db.dbi_resource_id,
        "tables": sorted(tables_of(db)),
    }
