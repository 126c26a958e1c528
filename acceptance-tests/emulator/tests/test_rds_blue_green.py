"""RDS blue/green deployments of DB instances: AWS's rules for CreateBlueGreenDeployment,
SwitchoverBlueGreenDeployment and DeleteBlueGreenDeployment (each refused case next to the
accepted one), the lifecycle (PROVISIONING -> AVAILABLE -> SWITCHOVER_IN_PROGRESS ->
SWITCHOVER_COMPLETED, DELETING -> gone), the injected switchover failure, the tables a
database holds, and the parameter apply status the logical replication rule reads."""

from __future__ import annotations

import time
from typing import Any

from .support import EmulatorCase

PASSWORD = "correct-horse-9"


class BlueGreenCase(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.rds = self.client("rds")

    # -- helpers ------------------------------------------------------------------------------
    def group(self, name: str, family: str, **values: str) -> None:
        self.rds.create_db_parameter_group(
            DBParameterGroupName=name, DBParameterGroupFamily=family, Description=name
        )
        if values:
            self.set_parameters(name, "pending-reboot", **values)

    def set_parameters(self, name: str, method: str, **values: str) -> None:
        self.rds.modify_db_parameter_group(
            DBParameterGroupName=name,
            Parameters=[
                {"ParameterName": k, "ParameterValue": v, "ApplyMethod": method}
                for k, v in values.items()
            ],
        )

    def logical_groups(self) -> None:
        """pg15: rds.logical_replication = 1 (the source's); pg16: the target family's."""
        self.group("pg15", "postgres15", **{"rds.logical_replication": "1"})
        self.group("pg16", "postgres16", **{"rds.logical_replication": "1"})

    def create(self, ident: str = "db1", **overrides: Any) -> dict:
        params: dict[str, Any] = dict(
            DBInstanceIdentifier=ident, Engine="postgres", EngineVersion="15.7",
            DBInstanceClass="db.t3.micro", AllocatedStorage=20, StorageType="gp3",
            MasterUsername="app", MasterUserPassword=PASSWORD, BackupRetentionPeriod=1,
            DBParameterGroupName="pg15",
        )
        params.update(overrides)
        return self.rds.create_db_instance(**{k: v for k, v in params.items() if v is not None})[
            "DBInstance"
        ]

    def describe(self, ident: str = "db1") -> dict:
        return self.rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]

    def source(self, ident: str = "db1", **overrides: Any) -> dict:
        """An available instance."""
        self.create(ident, **overrides)
        return self.wait_instance("available", ident)

    def deploy(self, arn: str, name: str = "db1-to-pg16", **params: Any) -> dict:
        params.setdefault("TargetEngineVersion", "16.4")
        params.setdefault("TargetDBParameterGroupName", "pg16")
        return self.rds.create_blue_green_deployment(
            BlueGreenDeploymentName=name, Source=arn, **{k: v for k, v in params.items() if v}
        )["BlueGreenDeployment"]

    def deployment(self, ident: str) -> dict:
        return self.rds.describe_blue_green_deployments(BlueGreenDeploymentIdentifier=ident)[
            "BlueGreenDeployments"
        ][0]

    def wait_instance(self, want: str, ident: str = "db1", timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            db = self.describe(ident)
            if db["DBInstanceStatus"] == want or time.monotonic() > deadline:
                self.assertEqual(db["DBInstanceStatus"], want)
                return db
            time.sleep(0.05)

    def wait_deployment(self, want: str, ident: str, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            dep = self.deployment(ident)
            if dep["Status"] == want or time.monotonic() > deadline:
                self.assertEqual(dep["Status"], want, dep)
                return dep
            time.sleep(0.05)

    def available_deployment(self, arn: str, **params: Any) -> dict:
        dep = self.deploy(arn, **params)
        return self.wait_deployment("AVAILABLE", dep["BlueGreenDeploymentIdentifier"])

    def durations(self, **values: float) -> None:
        self.control("POST", "/_mosia/durations", {"rds_instance": values})

    def tables(self, ident: str) -> list[str]:
        return self.event("rds_tables", db_instance_identifier=ident)["tables"]

    def deployment_gone(self, ident: str) -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            found = self.rds.describe_blue_green_deployments()["BlueGreenDeployments"]
            if all(d["BlueGreenDeploymentIdentifier"] != ident for d in found):
                break
            time.sleep(0.05)
        self.assertAwsError(
            "BlueGreenDeploymentNotFoundFault", self.rds.describe_blue_green_deployments,
            BlueGreenDeploymentIdentifier=ident, message="doesn't refer to an existing",
        )

    def last_rejection(self) -> dict:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    def apply_status(self, ident: str = "db1") -> str:
        return self.describe(ident)["DBParameterGroups"][0]["ParameterApplyStatus"]


class CreateRulesTest(BlueGreenCase):
    def test_no_source_whose_master_password_secrets_manager_manages(self) -> None:
        self.logical_groups()
        arn = self.source(MasterUserPassword=None, ManageMasterUserPassword=True)["DBInstanceArn"]
        self.assertAwsError(
            "SourceDatabaseNotSupportedFault", self.deploy, arn,
            message=f"The source DB instance {arn} isn't supported for a blue/green deployment.",
        )
        self.assertEqual(self.last_rejection()["operation"], "CreateBlueGreenDeployment")
        # The password handed back to the instance: accepted.
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", ManageMasterUserPassword=False,
            MasterUserPassword=PASSWORD, ApplyImmediately=True,
        )
        self.wait_instance("available")
        self.assertEqual(self.deploy(arn)["Status"], "PROVISIONING")

    def test_source_must_be_available(self) -> None:
        self.logical_groups()
        self.durations(create=0.4)
        arn = self.create()["DBInstanceArn"]
        self.assertAwsError(
            "InvalidDBInstanceState", self.deploy, arn,
            message="DB instance db1 is not in available state.",
        )
        self.wait_instance("available")
        self.deploy(arn)

    def test_source_must_not_be_a_read_replica(self) -> None:
        self.logical_groups()
        self.source()
        self.rds.create_db_instance_read_replica(
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1"
        )
        replica = self.wait_instance("available", "r1")
        self.assertNotEqual(replica["DbiResourceId"], self.describe()["DbiResourceId"])
        self.assertAwsError(
            "SourceDatabaseNotSupportedFault", self.deploy, replica["DBInstanceArn"],
            name="r1-to-pg16", message="is a read replica",
        )
        self.deploy(self.describe()["DBInstanceArn"])

    def test_automated_backups_required(self) -> None:
        self.logical_groups()
        arn = self.source(BackupRetentionPeriod=0)["DBInstanceArn"]
        self.assertAwsError(
            "InvalidDBInstanceState", self.deploy, arn,
            message="Automated backups are not enabled for this database instance.",
        )
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", BackupRetentionPeriod=1, ApplyImmediately=True
        )
        self.wait_instance("available")
        self.deploy(arn)

    def test_major_upgrade_needs_a_source_version_with_logical_replication(self) -> None:
        self.logical_groups()
        old = self.source("old", EngineVersion="15.3")["DBInstanceArn"]
        self.assertAwsError(
            "SourceDatabaseNotSupportedFault", self.deploy, old, name="old-to-pg16",
            message="Major version upgrades aren't supported for blue/green deployments with "
                    "source RDS for PostgreSQL version 15.3. Upgrade the source DB instance to "
                    "15.4 or higher first.",
        )
        # Within the major (physical replication) 15.3 is fine ...
        self.deploy(old, name="old-to-15-7", TargetEngineVersion="15.7",
                    TargetDBParameterGroupName="pg15")
        # ... and 15.4 takes the major upgrade.
        self.deploy(self.source("new", EngineVersion="15.4")["DBInstanceArn"], name="new-to-pg16")

    def test_major_upgrade_needs_logical_replication_in_effect(self) -> None:
        self.group("plain15", "postgres15")
        self.group("pg16", "postgres16")
        arn = self.source(DBParameterGroupName="plain15")["DBInstanceArn"]
        message = ("Blue/Green Deployments require a DB instance with logical replication "
                   "enabled. Before you create a Blue/Green Deployment for a DB instance, "
                   "associate the DB instance with a custom DB instance parameter group that "
                   "enables logical replication.")
        self.assertAwsError("SourceDatabaseNotSupportedFault", self.deploy, arn, message=message)
        # Set in the group, the static parameter waits for a reboot: still refused.
        self.set_parameters("plain15", "pending-reboot", **{"rds.logical_replication": "1"})
        self.assertEqual(self.apply_status(), "pending-reboot")
        self.assertAwsError("SourceDatabaseNotSupportedFault", self.deploy, arn, message=message)
        self.rds.reboot_db_instance(DBInstanceIdentifier="db1")
        self.wait_instance("available")
        self.assertEqual(self.apply_status(), "in-sync")
        self.deploy(arn)

    def test_a_new_parameter_group_takes_effect_at_the_reboot(self) -> None:
        self.logical_groups()
        self.group("plain15", "postgres15")
        self.group("plain16", "postgres16")
        arn = self.source(DBParameterGroupName="plain15")["DBInstanceArn"]
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", DBParameterGroupName="pg15", ApplyImmediately=True
        )
        self.wait_instance("available")
        self.assertEqual(self.apply_status(), "pending-reboot")
        self.assertAwsError(
            "SourceDatabaseNotSupportedFault", self.deploy, arn,
            message="require a DB instance with logical replication enabled",
        )
        self.rds.reboot_db_instance(DBInstanceIdentifier="db1")
        self.wait_instance("available")
        self.deploy(arn)
        # Without a major upgrade (physical replication) logical replication is not needed.
        plain = self.source("db2", DBParameterGroupName="plain15")["DBInstanceArn"]
        self.deploy(plain, name="db2-to-15-8", TargetEngineVersion="15.8",
                    TargetDBParameterGroupName="plain15")

    def test_immediate_parameter_changes_stay_in_sync(self) -> None:
        self.logical_groups()
        self.source()
        self.set_parameters("pg15", "immediate", log_min_duration_statement="500")
        self.assertEqual(self.apply_status(), "in-sync")
        # The same value again waits for nothing.
        self.set_parameters("pg15", "pending-reboot", **{"rds.logical_replication": "1"})
        self.assertEqual(self.apply_status(), "in-sync")

    def test_target_parameter_group_exists_and_fits_the_target_major(self) -> None:
        self.logical_groups()
        arn = self.source()["DBInstanceArn"]
        self.assertAwsError(
            "DBParameterGroupNotFound", self.deploy, arn, TargetDBParameterGroupName="nope",
            message="DBParameterGroup not found: nope",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.deploy, arn, TargetDBParameterGroupName="pg15",
            message="The parameter group pg15 with DBParameterGroupFamily postgres15 can't be "
                    "used for this instance. Use a parameter group with DBParameterGroupFamily "
                    "postgres16.",
        )
        self.assertEqual(self.last_rejection()["operation"], "CreateBlueGreenDeployment")
        dep = self.available_deployment(arn)
        green = dep["Target"].rsplit(":", 1)[-1]
        groups = self.describe(green)["DBParameterGroups"]
        self.assertEqual(groups[0]["DBParameterGroupName"], "pg16")

    def test_without_a_target_group_a_major_upgrade_gets_the_default_one(self) -> None:
        self.logical_groups()
        arn = self.source()["DBInstanceArn"]
        dep = self.available_deployment(arn, TargetDBParameterGroupName=None)
        groups = self.describe(dep["Target"].rsplit(":", 1)[-1])["DBParameterGroups"]
        self.assertEqual(groups[0]["DBParameterGroupName"], "default.postgres16")

    def test_target_engine_version_offered_and_not_lower(self) -> None:
        self.logical_groups()
        arn = self.source()["DBInstanceArn"]
        self.assertAwsError(
            "InvalidParameterCombination", self.deploy, arn, TargetEngineVersion="16.99",
            message="Cannot find upgrade path from 15.7 to 16.99.",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.deploy, arn, TargetEngineVersion="15.5",
            TargetDBParameterGroupName="pg15", message="Cannot upgrade postgres from 15.7 to 15.5",
        )
        dep = self.available_deployment(arn, TargetEngineVersion="16")  # a bare major: its newest
        self.assertEqual(self.describe(dep["Target"].rsplit(":", 1)[-1])["EngineVersion"], "16.9")

    def test_one_deployment_per_source_and_per_name(self) -> None:
        self.logical_groups()
        arn = self.source()["DBInstanceArn"]
        other = self.source("db2")["DBInstanceArn"]
        dep = self.deploy(arn)
        self.assertAwsError(
            "BlueGreenDeploymentAlreadyExistsFault", self.deploy, other,
            message="A Blue Green Deployment with the name 'db1-to-pg16' already exists",
        )
        self.assertAwsError(
            "InvalidDBInstanceState", self.deploy, arn, name="db1-again",
            message=f"DB instance db1 is already part of blue/green deployment "
                    f"{dep['BlueGreenDeploymentIdentifier']}.",
        )
        self.deploy(other, name="db2-to-pg16")
        # Once the first one is gone, the source takes a new one.
        self.rds.delete_blue_green_deployment(
            BlueGreenDeploymentIdentifier=dep["BlueGreenDeploymentIdentifier"], DeleteTarget=True
        )
        self.deployment_gone(dep["BlueGreenDeploymentIdentifier"])
        self.deploy(arn)

    def test_green_copies_the_source(self) -> None:
        self.logical_groups()
        sg = self.client("ec2").describe_security_groups()["SecurityGroups"][0]["GroupId"]
        arn = self.source(
            MultiAZ=True, AllocatedStorage=100, DBInstanceClass="db.m6g.large",
            DeletionProtection=True, VpcSecurityGroupIds=[sg],
            Tags=[{"Key": "team", "Value": "payments"}],
        )["DBInstanceArn"]
        dep = self.available_deployment(arn, TargetDBInstanceClass="db.m6g.xlarge")
        green_id = dep["Target"].rsplit(":", 1)[-1]
        self.assertRegex(green_id, r"^db1-green-[a-z]{6}$")
        green = self.describe(green_id)
        self.assertEqual(
            (green["MultiAZ"], green["AllocatedStorage"], green["StorageType"],
             green["DBInstanceClass"], green["EngineVersion"]),
            (True, 100, "gp3", "db.m6g.xlarge", "16.4"),
        )
        self.assertEqual([g["VpcSecurityGroupId"] for g in green["VpcSecurityGroups"]], [sg])
        self.assertEqual(green["TagList"], [{"Key": "team", "Value": "payments"}])
        # Deletion protection is not inherited (terraform-provider-aws #29887).
        self.assertFalse(green["DeletionProtection"])
        self.assertTrue(self.describe()["DeletionProtection"])


class LifecycleTest(BlueGreenCase):
    def test_upgrade_switchover_and_delete_keep_the_data_and_both_instances(self) -> None:
        self.logical_groups()
        self.durations(create=0.3, update=0.3, delete=0.3)
        self.create(ManageMasterUserPassword=True, MasterUserPassword=None,
                    Tags=[{"Key": "team", "Value": "payments"}])
        blue = self.wait_instance("available")
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", ManageMasterUserPassword=False,
            MasterUserPassword=PASSWORD, ApplyImmediately=True,
        )
        self.wait_instance("available")
        self.event("rds_create_table", db_instance_identifier="db1", table="orders")

        dep = self.deploy(blue["DBInstanceArn"])
        ident = dep["BlueGreenDeploymentIdentifier"]
        self.assertEqual(dep["Status"], "PROVISIONING")
        green_id = dep["Target"].rsplit(":", 1)[-1]
        self.assertEqual(self.describe(green_id)["DBInstanceStatus"], "creating")
        self.assertEqual(self.tables(green_id), ["orders"])  # green starts as a copy
        # Not before green is ready.
        self.assertAwsError(
            "InvalidBlueGreenDeploymentStateFault", self.rds.switchover_blue_green_deployment,
            BlueGreenDeploymentIdentifier=ident, message="its status is PROVISIONING",
        )
        dep = self.wait_deployment("AVAILABLE", ident)
        self.assertEqual({t["Status"] for t in dep["Tasks"]}, {"COMPLETED"})
        self.assertEqual(self.describe(green_id)["DBInstanceStatus"], "available")

        dep = self.rds.switchover_blue_green_deployment(
            BlueGreenDeploymentIdentifier=ident, SwitchoverTimeout=300
        )["BlueGreenDeployment"]
        self.assertEqual(dep["Status"], "SWITCHOVER_IN_PROGRESS")
        self.assertEqual(self.describe()["EngineVersion"], "15.7")  # not renamed yet
        dep = self.wait_deployment("SWITCHOVER_COMPLETED", ident)
        self.assertTrue(dep["Source"].endswith(":db:db1-old1"), dep)
        self.assertTrue(dep["Target"].endswith(":db:db1"), dep)

        new = self.describe("db1")
        self.assertEqual(new["EngineVersion"], "16.4")
        self.assertEqual(new["DBParameterGroups"][0]["DBParameterGroupName"], "pg16")
        self.assertTrue(new["Endpoint"]["Address"].startswith("db1."), new["Endpoint"])
        self.assertNotEqual(new["DbiResourceId"], blue["DbiResourceId"])
        self.assertEqual(self.tables("db1"), ["orders"])
        old = self.describe("db1-old1")
        self.assertEqual(old["EngineVersion"], "15.7")
        self.assertEqual(old["DbiResourceId"], blue["DbiResourceId"])
        self.assertTrue(old["Endpoint"]["Address"].startswith("db1-old1."))
        self.assertEqual(old["TagList"], [{"Key": "team", "Value": "payments"}])
        self.assertEqual(self.tables("db1-old1"), ["orders"])
        self.assertAwsError(
            "DBInstanceNotFound", self.describe, green_id
        )

        # Green is production now: DeleteTarget is refused, the deployment alone goes.
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.delete_blue_green_deployment,
            BlueGreenDeploymentIdentifier=ident, DeleteTarget=True,
            message="You can't specify DeleteTarget for a blue/green deployment whose status is "
                    "SWITCHOVER_COMPLETED",
        )
        dep = self.rds.delete_blue_green_deployment(BlueGreenDeploymentIdentifier=ident)[
            "BlueGreenDeployment"
        ]
        self.assertEqual(dep["Status"], "DELETING")
        self.assertEqual(self.deployment(ident)["Status"], "DELETING")
        self.assertAwsError(
            "InvalidBlueGreenDeploymentStateFault", self.rds.delete_blue_green_deployment,
            BlueGreenDeploymentIdentifier=ident, message="its status is DELETING",
        )
        self.deployment_gone(ident)
        self.assertEqual(
            sorted(d["DBInstanceIdentifier"]
                   for d in self.rds.describe_db_instances()["DBInstances"]),
            ["db1", "db1-old1"],
        )
        self.assertEqual(
            {d["DBInstanceStatus"] for d in self.rds.describe_db_instances()["DBInstances"]},
            {"available"},
        )

    def test_a_second_switchover_names_the_old_instance_old2(self) -> None:
        self.logical_groups()
        self.group("pg17", "postgres17", **{"rds.logical_replication": "1"})
        arn = self.source()["DBInstanceArn"]
        dep = self.available_deployment(arn)
        ident = dep["BlueGreenDeploymentIdentifier"]
        self.rds.switchover_blue_green_deployment(BlueGreenDeploymentIdentifier=ident)
        self.wait_deployment("SWITCHOVER_COMPLETED", ident)
        self.rds.delete_blue_green_deployment(BlueGreenDeploymentIdentifier=ident)
        self.deployment_gone(ident)
        # The new primary's turn: a deployment to 17 renames it db1-old2.
        dep = self.available_deployment(
            self.describe()["DBInstanceArn"], name="db1-to-pg17", TargetEngineVersion="17.2",
            TargetDBParameterGroupName="pg17",
        )
        self.rds.switchover_blue_green_deployment(
            BlueGreenDeploymentIdentifier=dep["BlueGreenDeploymentIdentifier"]
        )
        self.wait_deployment("SWITCHOVER_COMPLETED", dep["BlueGreenDeploymentIdentifier"])
        self.assertEqual(
            {d["DBInstanceIdentifier"]: d["EngineVersion"]
             for d in self.rds.describe_db_instances()["DBInstances"]},
            {"db1": "17.2", "db1-old1": "15.7", "db1-old2": "16.4"},
        )

    def test_green_that_fails_to_be_created_leaves_an_invalid_configuration(self) -> None:
        self.logical_groups()
        arn = self.source()["DBInstanceArn"]
        self.control("POST", "/_mosia/faults", {"kind": "rds_instance", "transition": "create"})
        dep = self.deploy(arn)
        dep = self.wait_deployment("INVALID_CONFIGURATION", dep["BlueGreenDeploymentIdentifier"])
        self.assertIn("green DB instance failed", dep["StatusDetails"])


class SwitchoverTest(BlueGreenCase):
    def test_failed_switchover_keeps_blue_serving(self) -> None:
        self.logical_groups()
        self.durations(update=0.2, delete=0.2)
        arn = self.source()["DBInstanceArn"]
        self.event("rds_create_table", db_instance_identifier="db1", table="orders")
        dep = self.available_deployment(arn)
        ident = dep["BlueGreenDeploymentIdentifier"]
        green_id = dep["Target"].rsplit(":", 1)[-1]
        armed = self.event("rds_switchover_fails", blue_green_deployment_identifier="db1-to-pg16")
        self.assertEqual(armed["pending"], 1)

        dep = self.rds.switchover_blue_green_deployment(BlueGreenDeploymentIdentifier=ident)[
            "BlueGreenDeployment"
        ]
        self.assertEqual(dep["Status"], "SWITCHOVER_IN_PROGRESS")
        dep = self.wait_deployment("SWITCHOVER_FAILED", ident)
        self.assertIn("rolled back", dep["StatusDetails"])
        blue = self.describe("db1")
        self.assertEqual((blue["EngineVersion"], blue["DBInstanceStatus"]), ("15.7", "available"))
        self.assertEqual(blue["DBInstanceArn"], arn)
        self.assertEqual(self.tables("db1"), ["orders"])
        self.assertEqual(self.describe(green_id)["EngineVersion"], "16.4")
        self.assertAwsError("DBInstanceNotFound", self.describe, "db1-old1")

        # No second attempt on a failed deployment: it is deleted with its green instance.
        self.assertAwsError(
            "InvalidBlueGreenDeploymentStateFault", self.rds.switchover_blue_green_deployment,
            BlueGreenDeploymentIdentifier=ident, message="its status is SWITCHOVER_FAILED",
        )
        dep = self.rds.delete_blue_green_deployment(
            BlueGreenDeploymentIdentifier=ident, DeleteTarget=True
        )["BlueGreenDeployment"]
        self.assertEqual(dep["Status"], "DELETING")
        self.assertEqual(self.describe(green_id)["DBInstanceStatus"], "deleting")
        self.deployment_gone(ident)
        self.assertAwsError("DBInstanceNotFound", self.describe, green_id)
        self.assertEqual(self.describe("db1")["DBInstanceStatus"], "available")

        # A new deployment under the same name switches over (the failure was used up).
        dep = self.available_deployment(arn)
        self.rds.switchover_blue_green_deployment(
            BlueGreenDeploymentIdentifier=dep["BlueGreenDeploymentIdentifier"]
        )
        self.wait_deployment("SWITCHOVER_COMPLETED", dep["BlueGreenDeploymentIdentifier"])
        self.assertEqual(self.describe("db1")["EngineVersion"], "16.4")
        self.assertEqual(self.tables("db1"), ["orders"])

    def test_failure_armed_for_another_deployment_does_not_apply(self) -> None:
        self.logical_groups()
        dep = self.available_deployment(self.source()["DBInstanceArn"])
        self.event("rds_switchover_fails", blue_green_deployment_identifier="bgd-other")
        self.rds.switchover_blue_green_deployment(
            BlueGreenDeploymentIdentifier=dep["BlueGreenDeploymentIdentifier"]
        )
        self.wait_deployment("SWITCHOVER_COMPLETED", dep["BlueGreenDeploymentIdentifier"])
        self.event_refused("rds_switchover_fails", "must be a string",
                           blue_green_deployment_identifier=7)

    def test_switchover_timeout_range(self) -> None:
        self.logical_groups()
        dep = self.available_deployment(self.source()["DBInstanceArn"])
        ident = dep["BlueGreenDeploymentIdentifier"]
        self.assertAwsError(
            "InvalidParameterValue", self.rds.switchover_blue_green_deployment,
            BlueGreenDeploymentIdentifier=ident, SwitchoverTimeout=29,
            message="Member must have value greater than or equal to 30",
        )
        self.assertAwsError(
            "InvalidParameterValue", self.rds.switchover_blue_green_deployment,
            BlueGreenDeploymentIdentifier=ident, SwitchoverTimeout=3601,
            message="must be between 30 and 3600 seconds",
        )
        self.rds.switchover_blue_green_deployment(
            BlueGreenDeploymentIdentifier=ident, SwitchoverTimeout=3600
        )
        self.wait_deployment("SWITCHOVER_COMPLETED", ident)

    def test_green_must_be_available(self) -> None:
        self.logical_groups()
        dep = self.available_deployment(self.source()["DBInstanceArn"])
        green_id = dep["Target"].rsplit(":", 1)[-1]
        self.durations(update=0.3)
        self.rds.modify_db_instance(
            DBInstanceIdentifier=green_id, DBInstanceClass="db.t3.small", ApplyImmediately=True
        )
        self.assertAwsError(
            "InvalidBlueGreenDeploymentStateFault", self.rds.switchover_blue_green_deployment,
            BlueGreenDeploymentIdentifier=dep["BlueGreenDeploymentIdentifier"],
            message=f"DB instance {green_id} is not in available state",
        )
        self.wait_instance("available", green_id)
        self.rds.switchover_blue_green_deployment(
            BlueGreenDeploymentIdentifier=dep["BlueGreenDeploymentIdentifier"]
        )


class ReplicationTest(BlueGreenCase):
    def test_ddl_on_blue_degrades_logical_replication(self) -> None:
        self.logical_groups()
        arn = self.source()["DBInstanceArn"]
        self.event("rds_create_table", db_instance_identifier="db1", table="orders")
        dep = self.available_deployment(arn)
        ident = dep["BlueGreenDeploymentIdentifier"]
        green_id = dep["Target"].rsplit(":", 1)[-1]
        result = self.event("rds_create_table", db_instance_identifier="db1", table="invoices")
        self.assertEqual(result["degraded_deployments"], [ident])
        self.assertEqual(self.tables(green_id), ["orders"])  # DDL is not replicated
        dep = self.deployment(ident)
        self.assertEqual(dep["Status"], "AVAILABLE")
        self.assertIn("Replication degraded", dep["StatusDetails"])
        self.assertAwsError(
            "InvalidBlueGreenDeploymentStateFault", self.rds.switchover_blue_green_deployment,
            BlueGreenDeploymentIdentifier=ident, message="replication is degraded",
        )
        # Delete it with green and create it again: the new green has both tables.
        self.rds.delete_blue_green_deployment(
            BlueGreenDeploymentIdentifier=ident, DeleteTarget=True
        )
        self.deployment_gone(ident)
        dep = self.available_deployment(arn)
        self.assertEqual(self.tables(dep["Target"].rsplit(":", 1)[-1]), ["invoices", "orders"])

    def test_physical_replication_copies_new_tables(self) -> None:
        self.logical_groups()
        dep = self.available_deployment(
            self.source()["DBInstanceArn"], name="db1-to-15-8", TargetEngineVersion="15.8",
            TargetDBParameterGroupName="pg15",
        )
        green_id = dep["Target"].rsplit(":", 1)[-1]
        result = self.event("rds_create_table", db_instance_identifier="db1", table="orders")
        self.assertEqual(result["replicated_to"], [green_id])
        self.assertEqual(self.tables(green_id), ["orders"])
        self.rds.switchover_blue_green_deployment(
            BlueGreenDeploymentIdentifier=dep["BlueGreenDeploymentIdentifier"]
        )
        self.wait_deployment("SWITCHOVER_COMPLETED", dep["BlueGreenDeploymentIdentifier"])
        self.assertEqual(self.describe()["EngineVersion"], "15.8")
        self.assertEqual(self.tables("db1"), ["orders"])

    def test_table_events_check_their_payload(self) -> None:
        self.logical_groups()
        self.durations(create=5)
        self.create()
        self.event_refused("rds_create_table", "is creating: no connections",
                           db_instance_identifier="db1", table="orders")
        self.durations(create=0)
        self.create("db2")
        self.describe("db2")
        self.event_refused("rds_create_table", "no DB instance",
                           db_instance_identifier="nope", table="orders")
        self.event_refused("rds_create_table", "table (a non-empty string) is required",
                           db_instance_identifier="db2")
        self.event("rds_create_table", db_instance_identifier="db2", table="orders")
        self.event_refused("rds_create_table", 'relation \\"orders\\" already exists',
                           db_instance_identifier="db2", table="orders")
        self.assertEqual(self.tables("db2"), ["orders"])
        self.assertEqual(self.tables("db1"), [])


class DeleteTest(BlueGreenCase):
    def test_delete_target_deletes_green_only_without_deletion_protection(self) -> None:
        self.logical_groups()
        dep = self.available_deployment(self.source()["DBInstanceArn"])
        ident = dep["BlueGreenDeploymentIdentifier"]
        green_id = dep["Target"].rsplit(":", 1)[-1]
        self.rds.modify_db_instance(
            DBInstanceIdentifier=green_id, DeletionProtection=True, ApplyImmediately=True
        )
        self.wait_instance("available", green_id)
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.delete_blue_green_deployment,
            BlueGreenDeploymentIdentifier=ident, DeleteTarget=True,
            message="Cannot delete protected DB Instance, please disable deletion protection "
                    "and try again.",
        )
        self.assertEqual(self.last_rejection()["operation"], "DeleteBlueGreenDeployment")
        self.rds.modify_db_instance(
            DBInstanceIdentifier=green_id, DeletionProtection=False, ApplyImmediately=True
        )
        self.wait_instance("available", green_id)
        self.rds.delete_blue_green_deployment(
            BlueGreenDeploymentIdentifier=ident, DeleteTarget=True
        )
        self.deployment_gone(ident)
        self.assertAwsError("DBInstanceNotFound", self.describe, green_id)
        self.assertEqual(self.describe()["DBInstanceStatus"], "available")

    def test_without_delete_target_green_stays_on_its_own(self) -> None:
        self.logical_groups()
        dep = self.available_deployment(self.source()["DBInstanceArn"])
        ident = dep["BlueGreenDeploymentIdentifier"]
        green_id = dep["Target"].rsplit(":", 1)[-1]
        self.rds.delete_blue_green_deployment(BlueGreenDeploymentIdentifier=ident.upper())
        self.deployment_gone(ident)
        self.assertEqual(self.describe(green_id)["DBInstanceStatus"], "available")
        self.assertAwsError(
            "BlueGreenDeploymentNotFoundFault", self.rds.delete_blue_green_deployment,
            BlueGreenDeploymentIdentifier=ident,
        )
