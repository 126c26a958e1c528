"""RDS: DB instance (and read replica) lifecycles; DeleteDBInstance requires a
final-snapshot decision, as AWS does."""

from __future__ import annotations

from typing import Any

from moto.rds.exceptions import (
    DBInstanceNotFoundError,
    InvalidDBInstanceStateFault,
    InvalidParameterCombination,
)
from moto.rds.models import RDSBackend

from .. import lifecycle
from . import wrap

KIND = "rds_instance"


def apply(state: Any) -> None:
    @wrap(RDSBackend, "create_db_instance")
    def create_db_instance(orig: Any, self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        db = orig(self, db_kwargs)
        if db_kwargs.get("db_cluster_identifier") is None:
            lifecycle.begin(db, KIND, "create", "creating", "available", name=db.db_instance_identifier)
        return db

    @wrap(RDSBackend, "create_db_instance_read_replica")
    def create_read_replica(orig: Any, self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        source_id = db_kwargs.get("source_db_instance_identifier")
        if source_id and not self.arn_regex.match(source_id):
            source = self.databases.get(source_id)
            if source is None:
                raise DBInstanceNotFoundError(source_id)
            if source.status != "available":
                raise InvalidDBInstanceStateFault(
                    f"DB instance {source_id} is not in available state."
                )
        replica = orig(self, db_kwargs)
        # moto copies the primary (a shallow copy): give the replica its own status.
        replica.__dict__.pop("_mosia_token", None)
        if "deletion_protection" not in db_kwargs or db_kwargs.get("deletion_protection") is None:
            replica.deletion_protection = False  # AWS: replicas do not inherit it
        lifecycle.begin(
            replica, KIND, "create", "creating", "available", name=replica.db_instance_identifier
        )
        return replica

    @wrap(RDSBackend, "modify_db_instance")
    def modify_db_instance(
        orig: Any, self: RDSBackend, db_instance_identifier: str, db_kwargs: dict[str, Any]
    ) -> Any:
        current = self.databases.get(db_instance_identifier)
        if current is not None and current.status not in ("available", "storage-optimization"):
            raise InvalidDBInstanceStateFault(
                f"Database instance is not in available state (current state: {current.status})."
            )
        db = orig(self, db_instance_identifier, db_kwargs)
        lifecycle.begin(db, KIND, "update", "modifying", "available", name=db.db_instance_identifier)
        return db

    @wrap(RDSBackend, "reboot_db_instance")
    def reboot_db_instance(orig: Any, self: RDSBackend, db_instance_identifier: str) -> Any:
        db = orig(self, db_instance_identifier)
        if db.status != "available":
            raise InvalidDBInstanceStateFault(
                f"Database instance is not in available state (current state: {db.status})."
            )
        lifecycle.begin(db, KIND, "update", "rebooting", "available", name=db.db_instance_identifier)
        return db

    @wrap(RDSBackend, "delete_db_instance")
    def delete_db_instance(
        orig: Any,
        self: RDSBackend,
        db_instance_identifier: str,
        final_db_snapshot_identifier: str | None = None,
        skip_final_snapshot: bool | None = False,
        delete_automated_backups: bool | None = True,
    ) -> Any:
        db = self.databases.get(db_instance_identifier)
        if db is None:
            raise DBInstanceNotFoundError(db_instance_identifier)
        if db.status == "deleting":
            raise InvalidDBInstanceStateFault(
                f"Instance {db_instance_identifier} is already being deleted."
            )
        skip = _truthy(skip_final_snapshot)
        if getattr(db, "is_replica", False):
            if final_db_snapshot_identifier and not skip:
                raise InvalidParameterCombination(
                    "FinalDBSnapshotIdentifier can not be specified when deleting a replica instance"
                )
        elif getattr(db, "db_cluster_identifier", None) is None:
            if skip and final_db_snapshot_identifier:
                raise InvalidParameterCombination(
                    "Cannot specify a FinalDBSnapshotIdentifier when SkipFinalSnapshot is enabled."
                )
            if not skip and not final_db_snapshot_identifier:
                raise InvalidParameterCombination(
                    "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified."
                )
        result = orig(
            self,
            db_instance_identifier,
            final_db_snapshot_identifier=final_db_snapshot_identifier,
            skip_final_snapshot=skip,
            delete_automated_backups=delete_automated_backups,
        )
        self.databases[db_instance_identifier] = result

        def gone() -> None:
            if self.databases.get(db_instance_identifier) is result:
                del self.databases[db_instance_identifier]

        lifecycle.begin(
            result, KIND, "delete", "deleting", None, on_done=gone, name=db_instance_identifier
        )
        return result


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)
