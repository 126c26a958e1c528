"""RDS parameter apply status: which parameter values each DB instance runs with, and the
`ParameterApplyStatus` DescribeDBInstances reports (`in-sync`, `pending-reboot`). moto always
answered `in-sync`; the blue/green rules (logical replication in effect) and the provider's
pending parameters need AWS's answer.

Applied by `rds_blue_green.apply` for the "rds" service."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from moto.rds.models import DBInstance, RDSBackend

from .. import lifecycle
from . import add, wrap

KIND = "rds_instance"

# Parameter apply status: which parameter values an instance runs with
#
# AWS: ModifyDBParameterGroup reference ("When the application method is immediate, changes
# to dynamic parameters are applied immediately ... When the application method is
# pending-reboot, changes to dynamic and static parameters are applied after a reboot");
# RDS User Guide, "Associating a DB parameter group with a DB instance" ("When you associate a
# new DB parameter group with a DB instance, the modified static and dynamic parameters are
# applied only after the DB instance is rebooted"); DBParameterGroupStatus reference
# (ParameterApplyStatus `pending-reboot`: "will be applied after the DB instance reboots").
# A new instance runs with its group's values (moto always answered `in-sync`).
# Not modelled: `applying`, `pending-database-upgrade` (a group change waiting with a deferred
# upgrade keeps the earlier status), ResetDBParameterGroup (moto has none).

IN_SYNC, PENDING_REBOOT = "in-sync", "pending-reboot"


@dataclass
class ParameterGroupStatus:
    DBParameterGroupName: str
    ParameterApplyStatus: str


def group_values(backend: RDSBackend, name: str | None) -> dict[str, str]:
    """The values set in a DB parameter group (a default group has none)."""
    if not name:
        return {}
    group = backend.db_parameter_groups.get(str(name).lower())
    if group is None:
        return {}
    return {
        key: str(p.get("ParameterValue"))
        for key, p in group.parameters.items()
        if p.get("ParameterValue") is not None
    }


def running_values(db: DBInstance) -> dict[str, str]:
    """The parameter values the instance runs with (its group's when it was created or last
    rebooted, plus changes applied `immediate` since)."""
    found = db.__dict__.get("_mosia_running_parameters")
    if found is None:
        found = db.__dict__["_mosia_running_parameters"] = group_values(
            db.backend, db.db_parameter_group_name
        )
    return found


def run_group_values(db: DBInstance) -> None:
    """A new or rebooted instance runs with its group's values: in-sync."""
    db.__dict__["_mosia_running_parameters"] = group_values(db.backend, db.db_parameter_group_name)
    db.__dict__["_mosia_pending_reboot"] = False


def pending_reboot(db: DBInstance) -> bool:
    return bool(db.__dict__.get("_mosia_pending_reboot"))


def users_of(backend: RDSBackend, group: str) -> list[DBInstance]:
    name = str(group).lower()
    return [
        db for db in backend.databases.values()
        if str(db.db_parameter_group_name or "").lower() == name and db.status != "deleting"
    ]


def new_resource_id() -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "db-" + "".join(secrets.choice(alphabet) for _ in range(26))


def apply_parameter_status() -> None:
    @add(DBInstance, "db_parameter_group_status_list")  # type: ignore[misc]
    @property
    def db_parameter_group_status_list(self: DBInstance) -> list[ParameterGroupStatus]:
        status = PENDING_REBOOT if pending_reboot(self) else IN_SYNC
        return [ParameterGroupStatus(g.name, status) for g in self.db_parameter_groups()]

    @wrap(RDSBackend, "create_db_instance")
    def create_db_instance(orig: Any, self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        db = orig(self, db_kwargs)
        run_group_values(db)
        return db

    @wrap(RDSBackend, "create_db_instance_read_replica")
    def create_read_replica(orig: Any, self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        replica = orig(self, db_kwargs)
        # moto copies the source: the replica gets an identity and running values of its own
        # (AWS: every instance has its own DbiResourceId).
        replica.dbi_resource_id = new_resource_id()
        run_group_values(replica)
        return replica

    @wrap(RDSBackend, "modify_db_parameter_group")
    def modify_db_parameter_group(
        orig: Any, self: RDSBackend, db_parameter_group_name: str, parameters: Any
    ) -> Any:
        group = orig(self, db_parameter_group_name, parameters)
        for p in parameters or []:
            name, value = p.get("ParameterName"), p.get("ParameterValue")
            if not name or value is None:
                continue
            method = str(p.get("ApplyMethod") or "immediate").lower()
            for db in users_of(self, db_parameter_group_name):
                if method == "immediate":
                    running_values(db)[name] = str(value)
                elif running_values(db).get(name) != str(value):
                    db.__dict__["_mosia_pending_reboot"] = True
        return group

    @wrap(RDSBackend, "modify_db_instance")
    def modify_db_instance(
        orig: Any, self: RDSBackend, db_instance_identifier: str, db_kwargs: dict[str, Any]
    ) -> Any:
        db = self.databases.get(db_instance_identifier)
        group_before = str(getattr(db, "db_parameter_group_name", None) or "").lower()
        version_before = getattr(db, "engine_version", None)
        asked_version = db_kwargs.get("engine_version")
        result = orig(self, db_instance_identifier, db_kwargs)
        if db is None or str(result.db_parameter_group_name or "").lower() == group_before:
            return result
        if asked_version and asked_version != version_before:
            if result.engine_version != version_before:
                run_group_values(result)  # upgraded now: the upgrade restarts the database
        else:
            result.__dict__["_mosia_pending_reboot"] = True
        return result

    @wrap(RDSBackend, "reboot_db_instance")
    def reboot_db_instance(orig: Any, self: RDSBackend, db_instance_identifier: str) -> Any:
        db = orig(self, db_instance_identifier)

        def rebooted() -> None:
            if db.status != "deleting":
                run_group_values(db)

        # After the `rebooting` status (rds_instance.update), scheduled after it.
        lifecycle.SCHEDULER.after(lifecycle.DURATIONS.get(KIND, "update"), rebooted)
        return db
