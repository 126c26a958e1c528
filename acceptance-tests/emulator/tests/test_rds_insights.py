"""RDS monitoring settings: Performance Insights (retention periods, the KMS key that cannot
change, instance classes), Enhanced Monitoring (interval, role and its trust policy) and log
exports to CloudWatch Logs (log types per engine, the log groups RDS creates), on standalone
instances, read replicas and blue/green green instances. Each refusal is checked next to the
request AWS accepts."""

from __future__ import annotations

import json
import time
from typing import Any

from .support import EmulatorCase

PASSWORD = "correct-horse-9"
ACCOUNT = "123456789012"


def trust(service: str) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    })


class RdsInsightsCase(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.rds = self.client("rds")
        self.kms = self.client("kms")
        self.iam = self.client("iam")
        self.logs = self.client("logs")

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

    def modify(self, ident: str = "db1", **params: Any) -> dict:
        return self.rds.modify_db_instance(DBInstanceIdentifier=ident, **params)["DBInstance"]

    def describe(self, ident: str = "db1") -> dict:
        return self.rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]

    def available(self, ident: str = "db1", timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            db = self.describe(ident)
            if db["DBInstanceStatus"] == "available" or time.monotonic() > deadline:
                self.assertEqual(db["DBInstanceStatus"], "available")
                return db
            time.sleep(0.05)

    def key(self, alias: str | None = None, **kwargs: Any) -> str:
        arn = self.kms.create_key(**kwargs)["KeyMetadata"]["Arn"]
        if alias:
            self.kms.create_alias(AliasName=alias, TargetKeyId=arn)
        return arn

    def managed_key(self) -> str:
        return self.kms.describe_key(KeyId="alias/aws/rds")["KeyMetadata"]["Arn"]

    def role(self, name: str = "rds-monitoring", service: str = "monitoring.rds.amazonaws.com") -> str:
        return self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(service))["Role"]["Arn"]

    def last_rejection(self) -> dict:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    def log_groups(self) -> dict[str, Any]:
        groups = self.logs.describe_log_groups(logGroupNamePrefix="/aws/rds/")["logGroups"]
        return {g["logGroupName"]: g.get("retentionInDays") for g in groups}


class PerformanceInsightsTest(RdsInsightsCase):
    def test_off_by_default(self) -> None:
        self.create()
        db = self.describe()
        self.assertFalse(db["PerformanceInsightsEnabled"])
        self.assertNotIn("PerformanceInsightsKMSKeyId", db)
        self.assertNotIn("PerformanceInsightsRetentionPeriod", db)

    def test_without_a_key_the_aws_managed_aws_rds_key_and_seven_days(self) -> None:
        created = self.create(EnablePerformanceInsights=True)
        self.assertTrue(created["PerformanceInsightsEnabled"])
        db = self.describe()
        self.assertEqual(
            (db["PerformanceInsightsEnabled"], db["PerformanceInsightsKMSKeyId"],
             db["PerformanceInsightsRetentionPeriod"]),
            (True, self.managed_key(), 7),
        )

    def test_retention_periods(self) -> None:
        for n, days in enumerate((0, 1, 8, 30, 94, 744, 732)):
            self.assertAwsError(
                "InvalidParameterValue", self.create, f"bad{n}", EnablePerformanceInsights=True,
                PerformanceInsightsRetentionPeriod=days,
                message="Invalid Performance Insights retention period. Valid values are: [7, 31, "
                        "62, 93, 124, 155, 186, 217, 248, 279, 310, 341, 372, 403, 434, 465, 496, 527, "
                        "558, 589, 620, 651, 682, 713, 731]",
            )
        rejection = self.last_rejection()
        self.assertEqual((rejection["kind"], rejection["operation"]), ("rule", "CreateDBInstance"))
        for n, days in enumerate((7, 31, 93, 465, 713, 731)):
            self.create(f"db{n}", EnablePerformanceInsights=True, PerformanceInsightsRetentionPeriod=days)
            self.assertEqual(self.describe(f"db{n}")["PerformanceInsightsRetentionPeriod"], days)
        self.assertAwsError(
            "InvalidParameterValue", self.modify, "db0", EnablePerformanceInsights=True,
            PerformanceInsightsRetentionPeriod=94, message="Invalid Performance Insights retention period.",
        )
        self.available("db0")
        self.modify("db0", EnablePerformanceInsights=True, PerformanceInsightsRetentionPeriod=62)
        self.assertEqual(self.describe("db0")["PerformanceInsightsRetentionPeriod"], 62)

    def test_key_and_retention_need_performance_insights_on(self) -> None:
        key = self.key()
        for extra in ({"PerformanceInsightsKMSKeyId": key}, {"PerformanceInsightsRetentionPeriod": 31}):
            for enabled in (None, False):
                self.assertAwsError(
                    "InvalidParameterCombination", self.create, EnablePerformanceInsights=enabled,
                    message="To enable Performance Insights, EnablePerformanceInsights must be set to 'true'",
                    **extra,
                )
        self.assertAwsError("DBInstanceNotFound", self.describe)
        self.create()
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.modify, PerformanceInsightsKMSKeyId=key,
            message="Can not set PerformanceInsightsKMSKeyId without EnablePerformanceInsights",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.modify, EnablePerformanceInsights=False,
            PerformanceInsightsRetentionPeriod=31,
            message="Cannot set PerformanceInsightsRetention without EnablePerformanceInsights",
        )
        self.assertEqual(self.last_rejection()["operation"], "ModifyDBInstance")
        self.modify(EnablePerformanceInsights=True, PerformanceInsightsKMSKeyId=key,
                    PerformanceInsightsRetentionPeriod=31)
        db = self.describe()
        self.assertEqual(
            (db["PerformanceInsightsEnabled"], db["PerformanceInsightsKMSKeyId"],
             db["PerformanceInsightsRetentionPeriod"]),
            (True, key, 31),
        )

    def test_the_key_is_reported_by_its_arn_and_must_be_usable(self) -> None:
        arn = self.key(alias="alias/pi")
        self.create(EnablePerformanceInsights=True, PerformanceInsightsKMSKeyId="alias/pi")
        self.assertEqual(self.describe()["PerformanceInsightsKMSKeyId"], arn)
        disabled = self.key()
        self.kms.disable_key(KeyId=disabled)
        signing = self.key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
        for key in ("alias/nope", disabled, signing):
            self.assertAwsError(
                "KMSKeyNotAccessibleFault", self.create, "db2", EnablePerformanceInsights=True,
                PerformanceInsightsKMSKeyId=key,
                message=f"The specified KMS key [{key}] does not exist, is not enabled or you do "
                        "not have permissions to access it.",
            )
        self.assertAwsError("DBInstanceNotFound", self.describe, "db2")

    def test_the_key_cannot_change_once_set(self) -> None:
        first = self.key(alias="alias/first")
        other = self.key()
        self.create(EnablePerformanceInsights=True, PerformanceInsightsKMSKeyId=first)
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.modify, EnablePerformanceInsights=True,
            PerformanceInsightsKMSKeyId=other, message="You can't change your Performance Insights KMS key.",
        )
        # The same key, by any of its names, is no change.
        self.modify(EnablePerformanceInsights=True, PerformanceInsightsKMSKeyId="alias/first")
        self.available()
        # Turned off, the instance keeps reporting its key; on again, it uses that key.
        self.modify(EnablePerformanceInsights=False)
        db = self.available()
        self.assertEqual((db["PerformanceInsightsEnabled"], db["PerformanceInsightsKMSKeyId"]), (False, first))
        self.assertAwsError(
            "InvalidParameterCombination", self.modify, EnablePerformanceInsights=True,
            PerformanceInsightsKMSKeyId=other, message="You can't change your Performance Insights KMS key.",
        )
        self.modify(EnablePerformanceInsights=True)
        db = self.available()
        self.assertEqual((db["PerformanceInsightsEnabled"], db["PerformanceInsightsKMSKeyId"]), (True, first))

    def test_the_default_key_cannot_become_a_customer_key(self) -> None:
        key = self.key()
        self.create(EnablePerformanceInsights=True)
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.modify, EnablePerformanceInsights=True,
            PerformanceInsightsKMSKeyId=key, message="You can't change your Performance Insights KMS key.",
        )
        # An instance that never ran Performance Insights takes a key of its choice.
        self.create("db2")
        self.available("db2")
        self.modify("db2", EnablePerformanceInsights=True, PerformanceInsightsKMSKeyId=key)
        self.assertEqual(self.describe("db2")["PerformanceInsightsKMSKeyId"], key)

    def test_applies_without_apply_immediately(self) -> None:
        self.create()
        self.available()
        self.modify(EnablePerformanceInsights=True, ApplyImmediately=False)
        db = self.describe()
        self.assertTrue(db["PerformanceInsightsEnabled"])
        self.assertNotIn("PendingModifiedValues", {k: v for k, v in db.items() if v})

    def test_instance_classes(self) -> None:
        # RDS for PostgreSQL: every class, db.t3.micro included.
        self.create("pg", EnablePerformanceInsights=True)
        self.assertTrue(self.describe("pg")["PerformanceInsightsEnabled"])
        mysql = dict(Engine="mysql", EngineVersion="8.0.39")
        for n, small in enumerate(("db.t3.micro", "db.t4g.small", "db.t2.micro")):
            self.assertAwsError(
                "InvalidParameterCombination", self.create, f"my{n}", DBInstanceClass=small,
                EnablePerformanceInsights=True,
                message="Performance Insights not supported for this configuration.", **mysql,
            )
        self.create("my", DBInstanceClass="db.t3.micro", **mysql)
        self.create("my2", DBInstanceClass="db.t3.medium", EnablePerformanceInsights=True, **mysql)
        self.available("my")
        self.assertAwsError(
            "InvalidParameterCombination", self.modify, "my", EnablePerformanceInsights=True,
            message="Performance Insights not supported for this configuration.",
        )
        self.modify("my", EnablePerformanceInsights=True, DBInstanceClass="db.m6g.large", ApplyImmediately=True)
        self.assertTrue(self.describe("my")["PerformanceInsightsEnabled"])


class EnhancedMonitoringTest(RdsInsightsCase):
    def test_off_by_default(self) -> None:
        self.create()
        db = self.describe()
        self.assertEqual(db["MonitoringInterval"], 0)
        self.assertNotIn("MonitoringRoleArn", db)
        self.assertNotIn("EnhancedMonitoringResourceArn", db)

    def test_interval_and_role_go_together(self) -> None:
        role = self.role()
        self.assertAwsError(
            "InvalidParameterCombination", self.create, MonitoringInterval=60,
            message="A MonitoringRoleARN value is required if you specify a MonitoringInterval "
                    "value other than 0.",
        )
        self.assertEqual(self.last_rejection()["kind"], "rule")
        for interval in (None, 0):
            self.assertAwsError(
                "InvalidParameterCombination", self.create, MonitoringInterval=interval,
                MonitoringRoleArn=role,
                message="You must specify a MonitoringInterval value other than 0 when you specify "
                        "a MonitoringRoleARN value.",
            )
        self.create(MonitoringInterval=0, MonitoringRoleArn="")
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.modify, MonitoringInterval=30,
            message="A MonitoringRoleARN value is required",
        )
        self.modify(MonitoringInterval=30, MonitoringRoleArn=role)
        db = self.available()
        self.assertEqual((db["MonitoringInterval"], db["MonitoringRoleArn"]), (30, role))
        # With a role in place, the interval alone changes.
        self.modify(MonitoringInterval=5)
        self.assertEqual(self.available()["MonitoringInterval"], 5)

    def test_intervals(self) -> None:
        role = self.role()
        for n, interval in enumerate((2, 45, 120, -1)):
            self.assertAwsError(
                "InvalidParameterValue", self.create, f"bad{n}", MonitoringInterval=interval,
                MonitoringRoleArn=role, message=f"Invalid value {interval} for MonitoringInterval.",
            )
        for interval in (1, 5, 10, 15, 30, 60):
            self.create(f"db{interval}", MonitoringInterval=interval, MonitoringRoleArn=role)
            self.assertEqual(self.describe(f"db{interval}")["MonitoringInterval"], interval)

    def test_the_role_must_exist_and_trust_rds_monitoring(self) -> None:
        missing = f"arn:aws:iam::{ACCOUNT}:role/nope"
        wrong = self.role("ec2-role", "ec2.amazonaws.com")
        for role in (missing, wrong, "not-an-arn"):
            self.assertAwsError(
                "InvalidParameterValue", self.create, MonitoringInterval=60, MonitoringRoleArn=role,
                message="IAM role ARN value is invalid or does not include the required permissions "
                        "for: ENHANCED_MONITORING",
            )
        self.assertAwsError("DBInstanceNotFound", self.describe)
        role = self.role()
        created = self.create(MonitoringInterval=60, MonitoringRoleArn=role)
        db = self.describe()
        self.assertEqual((db["MonitoringInterval"], db["MonitoringRoleArn"]), (60, role))
        self.assertEqual(
            db["EnhancedMonitoringResourceArn"],
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:RDSOSMetrics:log-stream:{db['DbiResourceId']}",
        )
        self.assertEqual(created["MonitoringRoleArn"], role)
        self.available()
        self.assertAwsError(
            "InvalidParameterValue", self.modify, MonitoringInterval=60, MonitoringRoleArn=wrong,
            message="does not include the required permissions for: ENHANCED_MONITORING",
        )

    def test_a_new_role_is_seen_after_iam_propagates(self) -> None:
        self.control("POST", "/_mosia/durations", {"iam_role": {"propagate": 60}})
        role = self.role()
        self.assertAwsError(
            "InvalidParameterValue", self.create, MonitoringInterval=60, MonitoringRoleArn=role,
            message="ENHANCED_MONITORING",
        )
        self.control("POST", "/_mosia/durations", {"iam_role": {"propagate": 0}})
        self.create(MonitoringInterval=60, MonitoringRoleArn=role)

    def test_turning_it_off(self) -> None:
        role = self.role()
        self.create(MonitoringInterval=60, MonitoringRoleArn=role)
        resource = self.available()["EnhancedMonitoringResourceArn"]
        self.assertAwsError(
            "InvalidParameterCombination", self.modify, MonitoringInterval=0, MonitoringRoleArn=role,
            message="You must specify a MonitoringInterval value other than 0",
        )
        self.modify(MonitoringInterval=0, MonitoringRoleArn="")
        db = self.available()
        self.assertEqual(db["MonitoringInterval"], 0)
        self.assertNotIn("MonitoringRoleArn", db)
        # The log stream's ARN stays (pganalyze/collector #701).
        self.assertEqual(db["EnhancedMonitoringResourceArn"], resource)


class LogExportsTest(RdsInsightsCase):
    def test_postgres_log_types(self) -> None:
        self.assertAwsError(
            "InvalidParameterCombination", self.create, EnableCloudwatchLogsExports=["postgresql", "general", "audit"],
            message="You cannot use the log types 'general', 'audit' with engine version postgres 16.3. "
                    "For supported log types, see the documentation.",
        )
        self.assertEqual(self.last_rejection()["operation"], "CreateDBInstance")
        created = self.create(EnableCloudwatchLogsExports=["postgresql", "upgrade", "iam-db-auth-error", "upgrade"])
        self.assertEqual(created["EnabledCloudwatchLogsExports"], ["postgresql", "upgrade", "iam-db-auth-error"])
        self.create("my", Engine="mysql", EngineVersion="8.0.39", EnableCloudwatchLogsExports=["error", "slowquery"])
        self.assertEqual(self.describe("my")["EnabledCloudwatchLogsExports"], ["error", "slowquery"])

    def test_rds_creates_the_log_groups_without_retention(self) -> None:
        self.logs.create_log_group(logGroupName="/aws/rds/instance/db1/postgresql")
        self.logs.put_retention_policy(logGroupName="/aws/rds/instance/db1/postgresql", retentionInDays=30)
        self.control("POST", "/_mosia/durations", {"rds_instance": {"create": 0.5}})
        self.create(EnableCloudwatchLogsExports=["postgresql", "upgrade"])
        # Not while the instance is creating: RDS publishes once it runs.
        self.assertEqual(self.log_groups(), {"/aws/rds/instance/db1/postgresql": 30})
        self.available()
        self.assertEqual(
            self.log_groups(),
            {"/aws/rds/instance/db1/postgresql": 30, "/aws/rds/instance/db1/upgrade": None},
        )
        self.create("quiet")
        self.available("quiet")
        self.assertNotIn("/aws/rds/instance/quiet/postgresql", self.log_groups())

    def test_modify_enables_and_disables(self) -> None:
        self.create(EnableCloudwatchLogsExports=["postgresql"])
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.modify,
            CloudwatchLogsExportConfiguration={"EnableLogTypes": ["slowquery"]},
            message="You cannot use the log types 'slowquery' with engine version postgres 16.3.",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.modify,
            CloudwatchLogsExportConfiguration={"EnableLogTypes": ["upgrade"], "DisableLogTypes": ["upgrade"]},
        )
        self.assertEqual(self.last_rejection()["operation"], "ModifyDBInstance")
        # Applied at once, whatever ApplyImmediately says.
        answer = self.modify(
            CloudwatchLogsExportConfiguration={"EnableLogTypes": ["upgrade", "postgresql"]},
            ApplyImmediately=False,
        )
        self.assertEqual(answer["EnabledCloudwatchLogsExports"], ["postgresql", "upgrade"])
        self.available()
        self.assertIn("/aws/rds/instance/db1/upgrade", self.log_groups())
        # Disabling a type that is not exported changes nothing.
        self.modify(CloudwatchLogsExportConfiguration={"DisableLogTypes": ["postgresql", "iam-db-auth-error"]})
        self.assertEqual(self.available()["EnabledCloudwatchLogsExports"], ["upgrade"])
        # The log groups stay when their export stops.
        self.assertIn("/aws/rds/instance/db1/postgresql", self.log_groups())


class ReplicaAndGreenTest(RdsInsightsCase):
    def test_a_read_replica_has_settings_of_its_own(self) -> None:
        role = self.role()
        self.create(EnablePerformanceInsights=True, MonitoringInterval=60, MonitoringRoleArn=role,
                    EnableCloudwatchLogsExports=["postgresql"])
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.create_db_instance_read_replica,
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1", MonitoringInterval=15,
            message="A MonitoringRoleARN value is required",
        )
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.create_db_instance_read_replica,
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1",
            EnableCloudwatchLogsExports=["general"], message="You cannot use the log types 'general'",
        )
        self.rds.create_db_instance_read_replica(DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1")
        replica = self.available("r1")
        self.assertFalse(replica["PerformanceInsightsEnabled"])
        self.assertEqual(replica["MonitoringInterval"], 0)
        self.assertNotIn("MonitoringRoleArn", replica)
        self.assertEqual(replica.get("EnabledCloudwatchLogsExports", []), [])
        self.rds.create_db_instance_read_replica(
            DBInstanceIdentifier="r2", SourceDBInstanceIdentifier="db1", EnablePerformanceInsights=True,
            PerformanceInsightsRetentionPeriod=31, MonitoringInterval=5, MonitoringRoleArn=role,
            EnableCloudwatchLogsExports=["upgrade"],
        )
        replica = self.available("r2")
        self.assertEqual(
            (replica["PerformanceInsightsEnabled"], replica["PerformanceInsightsRetentionPeriod"],
             replica["MonitoringInterval"], replica["EnabledCloudwatchLogsExports"]),
            (True, 31, 5, ["upgrade"]),
        )
        self.assertNotEqual(replica["EnhancedMonitoringResourceArn"], self.describe()["EnhancedMonitoringResourceArn"])
        self.assertIn("/aws/rds/instance/r2/upgrade", self.log_groups())
        # A change to the replica's exports leaves its source's alone.
        self.modify("r2", CloudwatchLogsExportConfiguration={"EnableLogTypes": ["postgresql"]})
        self.assertEqual(self.describe()["EnabledCloudwatchLogsExports"], ["postgresql"])
        self.assertEqual(self.describe("r2")["EnabledCloudwatchLogsExports"], ["upgrade", "postgresql"])

    def test_the_green_instance_copies_the_blue_ones_monitoring(self) -> None:
        for name, family in (("pg15", "postgres15"), ("pg16", "postgres16")):
            self.rds.create_db_parameter_group(
                DBParameterGroupName=name, DBParameterGroupFamily=family, Description=name
            )
            self.rds.modify_db_parameter_group(
                DBParameterGroupName=name,
                Parameters=[{"ParameterName": "rds.logical_replication", "ParameterValue": "1",
                             "ApplyMethod": "pending-reboot"}],
            )
        role = self.role()
        key = self.key()
        arn = self.create(
            EngineVersion="15.7", DBParameterGroupName="pg15", EnablePerformanceInsights=True,
            PerformanceInsightsKMSKeyId=key, PerformanceInsightsRetentionPeriod=93,
            MonitoringInterval=10, MonitoringRoleArn=role, EnableCloudwatchLogsExports=["postgresql"],
        )["DBInstanceArn"]
        self.available()
        dep = self.rds.create_blue_green_deployment(
            BlueGreenDeploymentName="up", Source=arn, TargetEngineVersion="16.4",
            TargetDBParameterGroupName="pg16",
        )["BlueGreenDeployment"]
        green_id = dep["Target"].rsplit(":", 1)[-1]
        green = self.available(green_id)
        self.assertEqual(
            (green["PerformanceInsightsEnabled"], green["PerformanceInsightsKMSKeyId"],
             green["PerformanceInsightsRetentionPeriod"], green["MonitoringInterval"],
             green["MonitoringRoleArn"], green["EnabledCloudwatchLogsExports"]),
            (True, key, 93, 10, role, ["postgresql"]),
        )
        self.assertTrue(green["EnhancedMonitoringResourceArn"].endswith(green["DbiResourceId"]))
