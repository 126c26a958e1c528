"""RDS: AWS's rules for the DB instance calls the provider makes (each refused case next to
the accepted one), pending modifications, storage-optimization, and the out-of-band events
(maintenance window, automatic minor upgrade, storage autoscaling)."""

from __future__ import annotations

import time
from typing import Any

from .support import EmulatorCase

PASSWORD = "correct-horse-9"


class RdsCase(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.rds = self.client("rds")

    def create(self, ident: str = "db1", **overrides: Any) -> dict:
        params: dict[str, Any] = dict(
            DBInstanceIdentifier=ident, Engine="postgres", EngineVersion="16.3",
            DBInstanceClass="db.t3.micro", AllocatedStorage=20, StorageType="gp3",
            MasterUsername="app", MasterUserPassword=PASSWORD, BackupRetentionPeriod=1,
        )
        params.update(overrides)
        return self.rds.create_db_instance(**{k: v for k, v in params.items() if v is not None})[
            "DBInstance"
        ]

    def describe(self, ident: str = "db1") -> dict:
        return self.rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]

    def available(self, ident: str = "db1", **overrides: Any) -> dict:
        """A created instance, once available (zero profile: the next call sees it)."""
        self.create(ident, **overrides)
        db = self.describe(ident)
        self.assertEqual(db["DBInstanceStatus"], "available")
        return db

    def parameter_group(self, name: str, family: str) -> None:
        self.rds.create_db_parameter_group(
            DBParameterGroupName=name, DBParameterGroupFamily=family, Description=name
        )

    def durations(self, **values: float) -> None:
        self.control("POST", "/_mosia/durations", {"rds_instance": values})

    def last_rejection(self) -> dict:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    def wait_status(self, want: str, ident: str = "db1", timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            db = self.describe(ident)
            if db["DBInstanceStatus"] == want or time.monotonic() > deadline:
                self.assertEqual(db["DBInstanceStatus"], want)
                return db
            time.sleep(0.05)


class ReadReplicaTest(RdsCase):
    def test_postgres_replica_takes_no_parameter_group(self) -> None:
        self.available()
        self.parameter_group("pg16", "postgres16")
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.create_db_instance_read_replica,
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1",
            DBParameterGroupName="pg16",
            message="A parameter group can't be specified during Read Replica creation for "
                    "the following DB engine: postgres",
        )
        rejection = self.last_rejection()
        self.assertEqual((rejection["kind"], rejection["operation"]),
                         ("rule", "CreateDBInstanceReadReplica"))
        replica = self.rds.create_db_instance_read_replica(
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1"
        )["DBInstance"]
        self.assertEqual(replica["DBInstanceStatus"], "creating")
        self.assertEqual(self.describe("r1")["ReadReplicaSourceDBInstanceIdentifier"], "db1")

    def test_replica_needs_an_available_source(self) -> None:
        self.durations(create=0.5)
        self.create()  # creating for 0.5 s
        self.assertAwsError(
            "InvalidDBInstanceState", self.rds.create_db_instance_read_replica,
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1",
            message="not in available state",
        )
        self.assertEqual(self.last_rejection()["operation"], "CreateDBInstanceReadReplica")
        self.wait_status("available")
        self.rds.create_db_instance_read_replica(
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1"
        )

    def test_replica_needs_backups_on_the_source(self) -> None:
        self.available(BackupRetentionPeriod=0)
        self.assertAwsError(
            "InvalidDBInstanceState", self.rds.create_db_instance_read_replica,
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1",
            message="Automated backups are not enabled for this database instance",
        )
        self.available("db2", BackupRetentionPeriod=7)
        self.rds.create_db_instance_read_replica(
            DBInstanceIdentifier="r2", SourceDBInstanceIdentifier="db2"
        )

    def test_no_replica_of_a_source_with_a_managed_master_password(self) -> None:
        self.available(MasterUserPassword=None, ManageMasterUserPassword=True)
        self.assertAwsError(
            "InvalidParameterValue", self.rds.create_db_instance_read_replica,
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1",
            message="Creating read replicas for source instance with engine postgres where "
                    "ManageMasterUserPassword is enabled is not supported.",
        )
        self.available("db2")  # a password of its own
        self.rds.create_db_instance_read_replica(
            DBInstanceIdentifier="r2", SourceDBInstanceIdentifier="db2"
        )

    def test_backups_stay_on_while_replicas_exist(self) -> None:
        self.available()
        self.rds.create_db_instance_read_replica(
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1"
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance,
            DBInstanceIdentifier="db1", BackupRetentionPeriod=0, ApplyImmediately=True,
            message="source to read replicas",
        )
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", BackupRetentionPeriod=3, ApplyImmediately=True
        )


class CreateRulesTest(RdsCase):
    def test_storage_minimum_and_maximum_per_storage_type(self) -> None:
        self.assertAwsError(
            "InvalidParameterCombination", self.create, AllocatedStorage=19,
            message="Invalid storage size for engine name postgres and storage type gp3: 19",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.create, StorageType="io1", Iops=3000,
            AllocatedStorage=50,
            message="Invalid storage size for engine name postgres and storage type io1: 50",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.create, AllocatedStorage=65537,
            message="storage type gp3: 65537",
        )
        self.assertEqual(self.create(AllocatedStorage=20)["AllocatedStorage"], 20)
        self.assertEqual(
            self.create("db2", StorageType="io1", Iops=3000, AllocatedStorage=100)["StorageType"],
            "io1",
        )

    def test_gp3_iops_and_throughput_only_from_400_gib(self) -> None:
        self.assertAwsError(
            "InvalidParameterCombination", self.create, AllocatedStorage=100, Iops=12000,
            message="You can't specify IOPS or storage throughput for engine postgres and a "
                    "storage size less than 400.",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.create, AllocatedStorage=100,
            StorageThroughput=500, message="storage size less than 400",
        )
        db = self.create(AllocatedStorage=400, Iops=12000, StorageThroughput=500)
        self.assertEqual((db["Iops"], db["StorageThroughput"]), (12000, 500))

    def test_allocated_storage_is_required(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.create, AllocatedStorage=None,
            message="The parameter AllocatedStorage must be provided and must not be null.",
        )

    def test_autoscaling_ceiling_at_least_ten_percent_above(self) -> None:
        self.assertAwsError(
            "InvalidParameterCombination", self.create, MaxAllocatedStorage=20,
            message="Max storage size must be greater than storage size",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.create, AllocatedStorage=100,
            MaxAllocatedStorage=105,
            message="The maximum allocated storage must be increased by at least 10 percent.",
        )
        self.assertEqual(
            self.create(AllocatedStorage=100, MaxAllocatedStorage=110)["MaxAllocatedStorage"], 110
        )

    def test_parameter_group_family_matches_the_engine_major(self) -> None:
        self.parameter_group("pg15", "postgres15")
        self.parameter_group("pg16", "postgres16")
        self.assertAwsError(
            "InvalidParameterCombination", self.create, EngineVersion="16.4",
            DBParameterGroupName="pg15",
            message="The parameter group pg15 with DBParameterGroupFamily postgres15 can't be "
                    "used for this instance. Use a parameter group with DBParameterGroupFamily "
                    "postgres16.",
        )
        self.assertEqual(self.last_rejection()["operation"], "CreateDBInstance")
        db = self.create(EngineVersion="16.4", DBParameterGroupName="pg16")
        self.assertEqual(db["DBParameterGroups"][0]["DBParameterGroupName"], "pg16")
        self.create("db2", EngineVersion="16", DBParameterGroupName="pg16")  # bare major

    def test_managed_master_password_excludes_a_password(self) -> None:
        self.assertAwsError(
            "InvalidParameterCombination", self.create, ManageMasterUserPassword=True,
            message="MasterUserPassword can't be specified if ManageMasterUserPassword is "
                    "turned on",
        )
        db = self.create(ManageMasterUserPassword=True, MasterUserPassword=None)
        self.assertIn("MasterUserSecret", db)

    def test_backup_retention_from_0_to_35_days(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.create, BackupRetentionPeriod=36,
            message="Invalid backup retention period: 36",
        )
        self.assertEqual(self.create(BackupRetentionPeriod=35)["BackupRetentionPeriod"], 35)


class ModifyRulesTest(RdsCase):
    def test_storage_never_shrinks_and_grows_by_ten_percent(self) -> None:
        self.available(AllocatedStorage=100)
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance,
            DBInstanceIdentifier="db1", AllocatedStorage=50, ApplyImmediately=True,
            message="Invalid storage size for engine name postgres and storage type gp3: 50",
        )
        self.assertEqual(self.last_rejection()["operation"], "ModifyDBInstance")
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance,
            DBInstanceIdentifier="db1", AllocatedStorage=109, ApplyImmediately=True,
            message="storage type gp3: 109",
        )
        self.assertEqual(self.describe()["AllocatedStorage"], 100)
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", AllocatedStorage=110, ApplyImmediately=True
        )
        self.assertEqual(self.wait_status("available")["AllocatedStorage"], 110)

    def test_storage_type_change_respects_the_type_minimum(self) -> None:
        self.available(AllocatedStorage=50)
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance,
            DBInstanceIdentifier="db1", StorageType="io1", Iops=3000, ApplyImmediately=True,
            message="storage type io1: 50",
        )
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", StorageType="io1", Iops=3000, AllocatedStorage=100,
            ApplyImmediately=True,
        )

    def test_autoscaling_ceiling_on_modify(self) -> None:
        self.available(AllocatedStorage=100)
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance,
            DBInstanceIdentifier="db1", MaxAllocatedStorage=105, ApplyImmediately=True,
            message="increased by at least 10 percent",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance,
            DBInstanceIdentifier="db1", MaxAllocatedStorage=90, ApplyImmediately=True,
            message="Max storage size must be greater than storage size",
        )
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", MaxAllocatedStorage=500, ApplyImmediately=True
        )
        self.assertEqual(self.wait_status("available")["MaxAllocatedStorage"], 500)
        # Equal to the allocated storage turns autoscaling off (terraform-provider-aws does).
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", MaxAllocatedStorage=100, ApplyImmediately=True
        )
        self.assertNotIn("MaxAllocatedStorage", self.wait_status("available"))

    def test_parameter_group_family_on_modify(self) -> None:
        self.parameter_group("pg15", "postgres15")
        self.parameter_group("pg16", "postgres16")
        self.available(EngineVersion="15.7", DBParameterGroupName="pg15")
        # A major upgrade needs the flag ...
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance,
            DBInstanceIdentifier="db1", EngineVersion="16.3", DBParameterGroupName="pg16",
            ApplyImmediately=True,
            message="The AllowMajorVersionUpgrade flag must be present when upgrading to a new "
                    "major version.",
        )
        # ... and a group of the new family (the instance's pg15 does not fit 16).
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance,
            DBInstanceIdentifier="db1", EngineVersion="16.3", AllowMajorVersionUpgrade=True,
            ApplyImmediately=True, message="DBParameterGroupFamily postgres15 can't be used",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance,
            DBInstanceIdentifier="db1", DBParameterGroupName="pg16", ApplyImmediately=True,
            message="Use a parameter group with DBParameterGroupFamily postgres15.",
        )
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", EngineVersion="16.3", AllowMajorVersionUpgrade=True,
            DBParameterGroupName="pg16", ApplyImmediately=True,
        )
        db = self.wait_status("available")
        self.assertEqual((db["EngineVersion"], db["DBParameterGroups"][0]["DBParameterGroupName"]),
                         ("16.3", "pg16"))

    def test_managed_master_password_excludes_a_password_on_modify(self) -> None:
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance,
            DBInstanceIdentifier="db1", ManageMasterUserPassword=True,
            MasterUserPassword="another-pass-1", ApplyImmediately=True,
            message="can't be specified if ManageMasterUserPassword is turned on",
        )
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", ManageMasterUserPassword=True, ApplyImmediately=True
        )
        self.wait_status("available")
        # Managed now: a password of its own is refused until management is turned off.
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance,
            DBInstanceIdentifier="db1", MasterUserPassword="another-pass-1", ApplyImmediately=True,
        )
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", ManageMasterUserPassword=False,
            MasterUserPassword="another-pass-1", ApplyImmediately=True,
        )

    def test_modify_needs_an_available_instance(self) -> None:
        self.durations(create=0.5)
        self.create()
        self.assertAwsError(
            "InvalidDBInstanceState", self.rds.modify_db_instance, DBInstanceIdentifier="db1",
            DBInstanceClass="db.t3.small", ApplyImmediately=True, message="not in available state",
        )
        self.assertEqual(self.last_rejection()["operation"], "ModifyDBInstance")
        self.wait_status("available")
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", DBInstanceClass="db.t3.small", ApplyImmediately=True
        )


class RestoreRulesTest(RdsCase):
    def test_restore_family_follows_the_snapshot_version(self) -> None:
        self.parameter_group("pg15", "postgres15")
        self.parameter_group("pg16", "postgres16")
        self.available(EngineVersion="15.7", DBParameterGroupName="pg15")
        self.rds.create_db_snapshot(DBInstanceIdentifier="db1", DBSnapshotIdentifier="snap")
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.restore_db_instance_from_db_snapshot,
            DBInstanceIdentifier="db2", DBSnapshotIdentifier="snap", DBParameterGroupName="pg16",
            message="with DBParameterGroupFamily postgres16 can't be used for this instance. "
                    "Use a parameter group with DBParameterGroupFamily postgres15.",
        )
        self.assertEqual(self.last_rejection()["operation"], "RestoreDBInstanceFromDBSnapshot")
        db = self.rds.restore_db_instance_from_db_snapshot(
            DBInstanceIdentifier="db2", DBSnapshotIdentifier="snap", DBParameterGroupName="pg15"
        )["DBInstance"]
        self.assertEqual(db["DBInstanceStatus"], "creating")
        self.assertEqual(self.wait_status("available", "db2")["EngineVersion"], "15.7")


class DeleteRulesTest(RdsCase):
    def test_deletion_protection_blocks_delete(self) -> None:
        self.available(DeletionProtection=True)
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.delete_db_instance,
            DBInstanceIdentifier="db1", SkipFinalSnapshot=True,
            message="Cannot delete protected DB Instance, please disable deletion protection "
                    "and try again.",
        )
        self.assertEqual(self.last_rejection()["operation"], "DeleteDBInstance")
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", DeletionProtection=False, ApplyImmediately=True
        )
        self.wait_status("available")
        self.assertEqual(
            self.rds.delete_db_instance(DBInstanceIdentifier="db1", SkipFinalSnapshot=True)
            ["DBInstance"]["DBInstanceStatus"], "deleting",
        )

    def test_final_snapshot_decision(self) -> None:
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.delete_db_instance,
            DBInstanceIdentifier="db1", message="FinalDBSnapshotIdentifier is required",
        )
        self.rds.delete_db_instance(DBInstanceIdentifier="db1", FinalDBSnapshotIdentifier="final")


class PendingModificationsTest(RdsCase):
    def test_without_apply_immediately_changes_wait_for_the_window(self) -> None:
        self.available()
        db = self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", DBInstanceClass="db.t3.large", AllocatedStorage=30,
            MultiAZ=True, DeletionProtection=True,
        )["DBInstance"]
        self.assertEqual(
            db["PendingModifiedValues"],
            {"DBInstanceClass": "db.t3.large", "AllocatedStorage": 30, "MultiAZ": True},
        )
        db = self.describe()
        self.assertEqual(db["DBInstanceStatus"], "available")
        self.assertEqual((db["DBInstanceClass"], db["AllocatedStorage"], db["MultiAZ"]),
                         ("db.t3.micro", 20, False))
        self.assertTrue(db["DeletionProtection"])  # applies at once either way
        applied = self.event("rds_maintenance", db_instance_identifier="db1")
        self.assertEqual(applied["applied"]["DBInstanceClass"], "db.t3.large")
        db = self.wait_status("available")
        self.assertEqual((db["DBInstanceClass"], db["AllocatedStorage"], db["MultiAZ"]),
                         ("db.t3.large", 30, True))
        self.assertFalse(db.get("PendingModifiedValues"))

    def test_only_deferred_changes_keep_the_instance_available(self) -> None:
        self.available()
        db = self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", DBInstanceClass="db.t3.large", ApplyImmediately=False
        )["DBInstance"]
        self.assertEqual(db["DBInstanceStatus"], "available")

    def test_apply_immediately_takes_the_pending_changes_along(self) -> None:
        self.available()
        self.rds.modify_db_instance(DBInstanceIdentifier="db1", DBInstanceClass="db.t3.large")
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", MultiAZ=True, ApplyImmediately=True
        )
        db = self.wait_status("available")
        self.assertEqual((db["DBInstanceClass"], db["MultiAZ"]), ("db.t3.large", True))
        self.assertFalse(db.get("PendingModifiedValues"))

    def test_backup_retention_waits_only_when_backups_turn_on_or_off(self) -> None:
        self.available(BackupRetentionPeriod=1)
        self.rds.modify_db_instance(DBInstanceIdentifier="db1", BackupRetentionPeriod=7)
        self.assertEqual(self.wait_status("available")["BackupRetentionPeriod"], 7)
        db = self.rds.modify_db_instance(DBInstanceIdentifier="db1", BackupRetentionPeriod=0)[
            "DBInstance"
        ]
        self.assertEqual(db["PendingModifiedValues"], {"BackupRetentionPeriod": 0})
        self.assertEqual(self.describe()["BackupRetentionPeriod"], 7)

    def test_a_maintenance_window_with_nothing_pending_changes_nothing(self) -> None:
        self.available()
        self.assertEqual(self.event("rds_maintenance", db_instance_identifier="db1")["applied"], {})
        self.event_refused("rds_maintenance", "no DB instance", db_instance_identifier="nope")


class StorageOptimizationTest(RdsCase):
    def test_storage_change_is_followed_by_storage_optimization(self) -> None:
        self.durations(update=0, storage_optimization=0.6)
        self.available()
        db = self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", AllocatedStorage=30, ApplyImmediately=True
        )["DBInstance"]
        self.assertEqual(db["DBInstanceStatus"], "modifying")
        self.assertEqual(self.describe()["DBInstanceStatus"], "storage-optimization")
        # Other settings can change meanwhile; the storage cannot.
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance,
            DBInstanceIdentifier="db1", AllocatedStorage=40, ApplyImmediately=True,
            message="because the previous storage change is being optimized",
        )
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", DeletionProtection=True, ApplyImmediately=True
        )
        self.assertEqual(self.describe()["DBInstanceStatus"], "storage-optimization")
        self.wait_status("available")
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", AllocatedStorage=40, ApplyImmediately=True
        )

    def test_zero_seconds_skips_storage_optimization(self) -> None:
        self.available()
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", AllocatedStorage=30, ApplyImmediately=True
        )
        self.assertEqual(self.describe()["DBInstanceStatus"], "available")

    def test_non_storage_change_has_no_storage_optimization(self) -> None:
        self.durations(update=0, storage_optimization=5)
        self.available()
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", DBInstanceClass="db.t3.small", ApplyImmediately=True
        )
        self.assertEqual(self.describe()["DBInstanceStatus"], "available")


class OutOfBandEventsTest(RdsCase):
    def test_minor_upgrade_within_the_major(self) -> None:
        self.available(EngineVersion="16.3")
        self.event_refused("rds_minor_upgrade", "not a minor version",
                           db_instance_identifier="db1", engine_version="17.1")
        self.event_refused("rds_minor_upgrade", "not newer",
                           db_instance_identifier="db1", engine_version="16.1")
        result = self.event("rds_minor_upgrade", db_instance_identifier="db1",
                            engine_version="16.8")
        self.assertEqual((result["previous_engine_version"], result["status"]),
                         ("16.3", "upgrading"))
        self.assertEqual(self.wait_status("available")["EngineVersion"], "16.8")

    def test_minor_upgrade_only_with_automatic_upgrades_on(self) -> None:
        self.available(EngineVersion="16.3", AutoMinorVersionUpgrade=False)
        self.event_refused("rds_minor_upgrade", "automatic minor version upgrades are off",
                           db_instance_identifier="db1", engine_version="16.8")
        self.rds.modify_db_instance(DBInstanceIdentifier="db1", AutoMinorVersionUpgrade=True,
                                    ApplyImmediately=True)
        self.wait_status("available")
        self.assertTrue(self.rds.describe_db_instances(DBInstanceIdentifier="db1")
                        ["DBInstances"][0]["AutoMinorVersionUpgrade"])
        self.event("rds_minor_upgrade", db_instance_identifier="db1", engine_version="16.8")
        self.assertEqual(self.wait_status("available")["EngineVersion"], "16.8")

    def test_storage_autoscaling_up_to_the_ceiling(self) -> None:
        self.available(AllocatedStorage=20, MaxAllocatedStorage=100)
        self.event_refused("rds_storage_autoscaling", "above MaxAllocatedStorage",
                           db_instance_identifier="db1", allocated_storage=120)
        result = self.event("rds_storage_autoscaling", db_instance_identifier="db1",
                            allocated_storage=30)
        self.assertEqual(result["previous_allocated_storage"], 20)
        db = self.wait_status("available")
        self.assertEqual((db["AllocatedStorage"], db["MaxAllocatedStorage"]), (30, 100))

    def test_storage_autoscaling_needs_autoscaling_on(self) -> None:
        self.available(AllocatedStorage=20)
        self.event_refused("rds_storage_autoscaling", "storage autoscaling is off",
                           db_instance_identifier="db1", allocated_storage=30)


class WindowTest(RdsCase):
    def test_backup_window_has_the_form_and_length_rds_accepts(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.create, "w1", PreferredBackupWindow="1:00-02:00",
            message="Invalid backup window format",
        )
        self.assertAwsError(
            "InvalidParameterValue", self.create, "w2", PreferredBackupWindow="01:00-01:20",
            message="at least 30 minutes",
        )
        db = self.available(
            "w3", PreferredBackupWindow="01:00-02:00",
            PreferredMaintenanceWindow="sun:03:00-sun:04:00",
        )
        self.assertEqual(
            (db["PreferredBackupWindow"], db["PreferredMaintenanceWindow"]),
            ("01:00-02:00", "sun:03:00-sun:04:00"),
        )
        self.assertAwsError(
            "InvalidParameterValue", self.rds.modify_db_instance, DBInstanceIdentifier="w3",
            PreferredBackupWindow="23:50-00:10", message="at least 30 minutes",
        )
        self.rds.modify_db_instance(DBInstanceIdentifier="w3", PreferredBackupWindow="23:45-00:15")
        self.assertEqual(self.describe("w3")["PreferredBackupWindow"], "23:45-00:15")

    def test_windows_must_not_overlap(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.create, "w4", PreferredBackupWindow="03:30-04:30",
            PreferredMaintenanceWindow="sun:03:00-sun:04:00", message="must not overlap",
        )
