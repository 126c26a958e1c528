"""RDS: DB instance (and read replica) lifecycles, with AWS's rules for the calls
(`rds_rules`) and its timing behaviours: pending modifications, storage-optimization, and
the maintenance window, minor upgrades and storage autoscaling as events (`rds_timing`)."""

from __future__ import annotations

import secrets
import string
from typing import Any

from moto.rds.exceptions import DBInstanceNotFoundError
from moto.rds.models import RDSBackend

from .. import lifecycle
from . import rds_rules as rules
from . import rds_timing as timing
from . import wrap

KIND = "rds_instance"


def apply(state: Any) -> None:
    timing.register_events()

    @wrap(RDSBackend, "create_db_instance")
    def create_db_instance(orig: Any, self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        standalone = db_kwargs.get("db_cluster_identifier") is None
        # A restore creates through here with the snapshot's settings (checked as a restore).
        if standalone and not getattr(self, "_mosia_restoring", False):
            rules.check_create(self, db_kwargs)
        db = orig(self, db_kwargs)
        # AWS: each instance has its own DbiResourceId ("db-" and 26 upper-case letters and
        # digits), the part of rds-db:connect ARNs that names it (moto: one for all).
        db.dbi_resource_id = "db-" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(26))
        if standalone:
            timing.reset(db)
            lifecycle.begin(db, KIND, "create", "creating", "available", name=db.db_instance_identifier)
        return db

    @wrap(RDSBackend, "create_db_instance_read_replica")
    def create_read_replica(orig: Any, self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        rules.check_read_replica(self, db_kwargs)
        replica = orig(self, db_kwargs)
        # moto copies the primary (a shallow copy): give the replica its own status.
        replica.__dict__.pop("_mosia_token", None)
        timing.reset(replica)
        if db_kwargs.get("deletion_protection") is None:
            replica.deletion_protection = False  # AWS: replicas do not inherit it
        lifecycle.begin(
            replica, KIND, "create", "creating", "available", name=replica.db_instance_identifier
        )
        return replica

    @wrap(RDSBackend, "restore_db_instance_from_db_snapshot")
    def restore(orig: Any, self: RDSBackend, from_snapshot_id: str, overrides: dict[str, Any]) -> Any:
        rules.check_restore(self, from_snapshot_id, overrides)
        # moto restores through create_db_instance (lifecycle and reset there).
        self._mosia_restoring = True
        try:
            return orig(self, from_snapshot_id, overrides)
        finally:
            self._mosia_restoring = False

    @wrap(RDSBackend, "modify_db_instance")
    def modify_db_instance(
        orig: Any, self: RDSBackend, db_instance_identifier: str, db_kwargs: dict[str, Any]
    ) -> Any:
        db = self.databases.get(db_instance_identifier)
        if db is None:
            return orig(self, db_instance_identifier, db_kwargs)  # DBInstanceNotFound
        rules.check_modify(self, db, db_kwargs)
        return timing.modify(orig, self, db, db_instance_identifier, db_kwargs)

    @wrap(RDSBackend, "reboot_db_instance")
    def reboot_db_instance(orig: Any, self: RDSBackend, db_instance_identifier: str) -> Any:
        db = orig(self, db_instance_identifier)
        rules.check_reboot(db)
        timing.begin_update(db, False, busy="rebooting")
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
        skip = rules.truthy(skip_final_snapshot)
        rules.check_delete(db, final_db_snapshot_identifier, skip)
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
