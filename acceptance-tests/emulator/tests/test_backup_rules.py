"""AWS Backup (mosia_emulator/patches/backup_rules.py): vaults, plans, selections, backup and
restore jobs and recovery points of RDS DB instances. Each refusal is checked next to the request
AWS accepts."""

from __future__ import annotations

import time
from typing import Any

from .support import EmulatorCase

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/mosia-backup"
ENV_KEY = "aws:ResourceTag/mosia:environment"


class BackupRulesTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.backup = self.client("backup")
        self.rds = self.client("rds")
        self.kms = self.client("kms")

    # -- helpers ------------------------------------------------------------------------------------
    def vault(self, name: str = "mosia-dev", **kwargs: Any) -> str:
        return self.backup.create_backup_vault(BackupVaultName=name, **kwargs)["BackupVaultArn"]

    def rule(self, name: str = "daily", vault: str = "mosia-dev", **extra: Any) -> dict[str, Any]:
        rule: dict[str, Any] = {"RuleName": name, "TargetBackupVaultName": vault,
                                "ScheduleExpression": "cron(0 3 * * ? *)", "StartWindowMinutes": 60,
                                "CompletionWindowMinutes": 180, "Lifecycle": {"DeleteAfterDays": 7}}
        rule.update(extra)
        return {k: v for k, v in rule.items() if v is not None}

    def plan(self, name: str = "mosia-dev", rules: list[dict[str, Any]] | None = None, **kwargs: Any) -> dict[str, Any]:
        return self.backup.create_backup_plan(
            BackupPlan={"BackupPlanName": name, "Rules": rules if rules is not None else [self.rule()]},
            **kwargs)

    def refused_rule(self, message: str, **extra: Any) -> dict[str, Any]:
        error = self.assertAwsError("InvalidParameterValueException", self.plan, "refused",
                                    [self.rule(**extra)], message=message)
        self.assertTrue(error.response["Error"]["Message"].startswith("Error in rule daily : "))
        return error.response

    def select(self, plan_id: str, name: str = "mosia-dev", **selection: Any) -> str:
        body = {"SelectionName": name, "IamRoleArn": ROLE, **selection}
        return self.backup.create_backup_selection(BackupPlanId=plan_id, BackupSelection=body)["SelectionId"]

    def database(self, name: str = "app", environment: str = "dev", region: str = "us-east-1") -> str:
        rds = self.client("rds", region)
        db = rds.create_db_instance(
            DBInstanceIdentifier=name, Engine="postgres", DBInstanceClass="db.t3.micro",
            AllocatedStorage=20, MasterUsername="mosia", MasterUserPassword="correct-horse-battery",
            Tags=[{"Key": "mosia:environment", "Value": environment}])["DBInstance"]
        rds.describe_db_instances(DBInstanceIdentifier=name)  # zero profile: now available
        return db["DBInstanceArn"]

    def backup_job(self, resource: str, vault: str = "mosia-dev", **kwargs: Any) -> dict[str, Any]:
        job_id = self.backup.start_backup_job(BackupVaultName=vault, ResourceArn=resource,
                                              IamRoleArn=ROLE, **kwargs)["BackupJobId"]
        return self.backup.describe_backup_job(BackupJobId=job_id)

    def recovery_points(self, vault: str = "mosia-dev") -> list[dict[str, Any]]:
        return self.backup.list_recovery_points_by_backup_vault(BackupVaultName=vault)["RecoveryPoints"]

    def last_rejection(self) -> dict[str, Any]:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    # -- vaults -------------------------------------------------------------------------------------
    def test_vault_encryption_keys(self) -> None:
        arn = self.vault("default-key")
        described = self.backup.describe_backup_vault(BackupVaultName="default-key")
        self.assertEqual(described["BackupVaultArn"], arn)
        self.assertEqual((described["VaultType"], described["VaultState"]), ("BACKUP_VAULT", "AVAILABLE"))
        self.assertEqual(described["NumberOfRecoveryPoints"], 0)
        managed = self.kms.describe_key(KeyId=described["EncryptionKeyArn"])["KeyMetadata"]
        self.assertEqual(managed["KeyManager"], "AWS")  # aws/backup
        self.assertEqual(self.kms.describe_key(KeyId="alias/aws/backup")["KeyMetadata"]["Arn"], managed["Arn"])
        self.assertNotIn("EncryptionKeyType", described)
        key = self.kms.create_key(Description="backups")["KeyMetadata"]["Arn"]
        self.vault("customer-key", EncryptionKeyArn=key)
        described = self.backup.describe_backup_vault(BackupVaultName="customer-key")
        self.assertEqual(described["EncryptionKeyArn"], key)
        self.assertEqual(described["EncryptionKeyType"], "CUSTOMER_MANAGED_KMS_KEY")
        names = [v["BackupVaultName"] for v in self.backup.list_backup_vaults()["BackupVaultList"]]
        self.assertEqual(names, ["customer-key", "default-key"])

    def test_vault_key_must_be_usable(self) -> None:
        missing = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/00000000-0000-4000-8000-000000000000"
        self.assertAwsError("InvalidParameterValueException", self.vault, "v-a", EncryptionKeyArn=missing,
                            message="does not exist")
        self.assertEqual(self.last_rejection()["operation"], "CreateBackupVault")
        disabled = self.kms.create_key()["KeyMetadata"]["Arn"]
        self.kms.disable_key(KeyId=disabled)
        self.assertAwsError("InvalidParameterValueException", self.vault, "v-b", EncryptionKeyArn=disabled,
                            message="is disabled")
        asymmetric = self.kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
        self.assertAwsError("InvalidParameterValueException", self.vault, "v-c", EncryptionKeyArn=asymmetric,
                            message="symmetric")
        other_region = self.client("kms", "eu-west-1").create_key()["KeyMetadata"]["Arn"]
        self.assertAwsError("InvalidParameterValueException", self.vault, "v-d", EncryptionKeyArn=other_region)
        self.assertEqual(self.backup.list_backup_vaults()["BackupVaultList"], [])
        self.kms.enable_key(KeyId=disabled)
        self.vault("v-b", EncryptionKeyArn=disabled)

    def test_vault_names_are_unique_and_must_exist(self) -> None:
        self.vault()
        self.assertAwsError("AlreadyExistsException", self.vault,
                            message="Backup vault with the same name already exists")
        # The same name in another Region is another vault.
        self.client("backup", "eu-west-1").create_backup_vault(BackupVaultName="mosia-dev")
        self.assertAwsError("ResourceNotFoundException", self.backup.describe_backup_vault,
                            BackupVaultName="nope")
        self.assertAwsError("ResourceNotFoundException", self.backup.delete_backup_vault,
                            BackupVaultName="nope")
        self.backup.delete_backup_vault(BackupVaultName="mosia-dev")
        self.assertAwsError("ResourceNotFoundException", self.backup.describe_backup_vault,
                            BackupVaultName="mosia-dev")

    def test_vault_and_plan_tags(self) -> None:
        arn = self.vault(BackupVaultTags={"mosia:environment": "dev"})
        self.backup.tag_resource(ResourceArn=arn, Tags={"team": "platform"})
        self.assertEqual(self.backup.list_tags(ResourceArn=arn)["Tags"],
                         {"mosia:environment": "dev", "team": "platform"})
        self.backup.untag_resource(ResourceArn=arn, TagKeyList=["team"])
        self.assertEqual(self.backup.list_tags(ResourceArn=arn)["Tags"], {"mosia:environment": "dev"})
        plan = self.plan(BackupPlanTags={"owner": "mosia"})
        self.assertEqual(self.backup.list_tags(ResourceArn=plan["BackupPlanArn"])["Tags"], {"owner": "mosia"})
        unknown = f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:nope"
        self.assertAwsError("ResourceNotFoundException", self.backup.list_tags, ResourceArn=unknown)
        self.assertAwsError("ResourceNotFoundException", self.backup.tag_resource, ResourceArn=unknown,
                            Tags={"a": "b"})

    # -- plans --------------------------------------------------------------------------------------
    def test_plan_defaults_and_versions(self) -> None:
        self.vault()
        created = self.plan(rules=[{"RuleName": "daily", "TargetBackupVaultName": "mosia-dev"}])
        got = self.backup.get_backup_plan(BackupPlanId=created["BackupPlanId"])
        self.assertEqual(got["VersionId"], created["VersionId"])
        (rule,) = got["BackupPlan"]["Rules"]
        self.assertEqual(rule["ScheduleExpression"], "cron(0 5 ? * * *)")
        self.assertEqual((rule["StartWindowMinutes"], rule["CompletionWindowMinutes"]), (480, 10080))
        self.assertEqual(rule["ScheduleExpressionTimezone"], "Etc/UTC")
        rule_id = rule["RuleId"]
        updated = self.backup.update_backup_plan(
            BackupPlanId=created["BackupPlanId"],
            BackupPlan={"BackupPlanName": "mosia-dev", "Rules": [self.rule(), self.rule("weekly",
                        ScheduleExpression="cron(0 4 ? * SUN *)")]})
        self.assertNotEqual(updated["VersionId"], created["VersionId"])
        current = self.backup.get_backup_plan(BackupPlanId=created["BackupPlanId"])
        ids = {r["RuleName"]: r["RuleId"] for r in current["BackupPlan"]["Rules"]}
        self.assertEqual(ids["daily"], rule_id)  # a rule keeps its ID across versions
        old = self.backup.get_backup_plan(BackupPlanId=created["BackupPlanId"],
                                          VersionId=created["VersionId"])
        self.assertEqual(len(old["BackupPlan"]["Rules"]), 1)
        self.assertAwsError("ResourceNotFoundException", self.backup.get_backup_plan,
                            BackupPlanId=created["BackupPlanId"], VersionId="nope")
        listed = self.backup.list_backup_plans()["BackupPlansList"]
        self.assertEqual([(p["BackupPlanName"], p["VersionId"]) for p in listed],
                         [("mosia-dev", updated["VersionId"])])

    def test_plan_names_and_creator_request_ids(self) -> None:
        self.vault()
        first = self.plan(CreatorRequestId="req-1")
        again = self.plan(CreatorRequestId="req-1")  # a retried request answers the same plan
        self.assertEqual(again["BackupPlanId"], first["BackupPlanId"])
        self.assertAwsError("AlreadyExistsException", self.plan, CreatorRequestId="req-2")
        self.assertAwsError("InvalidParameterValueException", self.plan, "mosia dev!",
                            message="Invalid backup plan name")
        self.plan("mosia-prod.v2_1")
        self.assertAwsError("InvalidParameterValueException", self.plan, "twice",
                            [self.rule(), self.rule()], message="Rule names must be unique")

    def test_rule_lifecycle(self) -> None:
        self.vault()
        self.refused_rule("Invalid lifecycle. DeleteAfterDays cannot be less than 90 days apart from "
                          "MoveToColdStorageAfterDays",
                          Lifecycle={"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 119})
        self.assertEqual(self.last_rejection()["operation"], "CreateBackupPlan")
        self.plan("gap", [self.rule(Lifecycle={"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 120})])
        self.refused_rule("Invalid lifecycle. DeleteAfterDays cannot be less than 1 or more than 36500 days",
                          Lifecycle={"DeleteAfterDays": 36501})
        self.refused_rule("Invalid lifecycle. DeleteAfterDays cannot be less than 1",
                          Lifecycle={"DeleteAfterDays": 0})
        self.plan("forever", [self.rule(Lifecycle={"DeleteAfterDays": -1})])
        self.plan("cold-only", [self.rule(Lifecycle={"MoveToColdStorageAfterDays": 7})])

    def test_continuous_backup_lifecycle(self) -> None:
        self.vault()
        response = self.refused_rule("Invalid lifecycle. MoveToColdStorageAfterDays is unavailable",
                                     EnableContinuousBackup=True,
                                     Lifecycle={"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 200})
        self.assertEqual(response["Code"], "ERROR_3015")
        self.assertEqual(response["Context"],
                         '["daily","Invalid lifecycle. MoveToColdStorageAfterDays is unavailable"]')
        self.refused_rule("more than 35 days", EnableContinuousBackup=True, Lifecycle={"DeleteAfterDays": 36})
        self.plan("pitr", [self.rule(EnableContinuousBackup=True, Lifecycle={"DeleteAfterDays": 35})])

    def test_rule_windows_and_schedule(self) -> None:
        self.vault()
        self.refused_rule("StartWindowMinutes must be at least 60 minutes", StartWindowMinutes=59)
        self.refused_rule("StartWindowMinutes", StartWindowMinutes=52_560_001)
        self.plan("window", [self.rule(StartWindowMinutes=60)])
        for bad in ("rate(1 day)", "cron(0 3 * * *)", "cron(0 3 * * MON *)", "cron(0/15 * * * ? *)"):
            self.refused_rule("Invalid schedule expression", ScheduleExpression=bad)
        for i, good in enumerate(("cron(0 10 ? * 6L *)", "cron(30 * * * ? *)", "cron(0 4 ? * MON-FRI *)")):
            self.plan(f"schedule-{i}", [self.rule(ScheduleExpression=good)])
        self.refused_rule("Invalid schedule expression timezone", ScheduleExpressionTimezone="Mars/Olympus")
        self.plan("zoned", [self.rule(ScheduleExpressionTimezone="Europe/Paris")])

    def test_rule_vaults_and_copy_actions(self) -> None:
        self.vault()
        self.refused_rule("Backup vault nope does not exist", TargetBackupVaultName="nope")
        self.refused_rule("Invalid destination backup vault ARN",
                          CopyActions=[{"DestinationBackupVaultArn": "mosia-dr"}])
        self.refused_rule("DeleteAfterDays cannot be less than 90 days apart",
                          CopyActions=[{"DestinationBackupVaultArn":
                                        f"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-vault:mosia-dr",
                                        "Lifecycle": {"MoveToColdStorageAfterDays": 30,
                                                      "DeleteAfterDays": 60}}])
        # Another Region (or account) is fine, and need not exist yet.
        self.plan("copies", [self.rule(CopyActions=[{
            "DestinationBackupVaultArn": f"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-vault:mosia-dr",
            "Lifecycle": {"DeleteAfterDays": 30}}])])

    def test_plan_with_selections_cannot_be_deleted(self) -> None:
        self.vault()
        plan_id = self.plan()["BackupPlanId"]
        selection = self.select(plan_id, Resources=["arn:aws:rds:*:*:db:*"])
        self.assertAwsError("InvalidRequestException", self.backup.delete_backup_plan, BackupPlanId=plan_id,
                            message="Related backup plan selections must be deleted prior to backup "
                                    "plan deletion")
        self.assertEqual(self.last_rejection()["operation"], "DeleteBackupPlan")
        self.backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection)
        deleted = self.backup.delete_backup_plan(BackupPlanId=plan_id)
        self.assertIn("DeletionDate", deleted)
        self.assertAwsError("ResourceNotFoundException", self.backup.get_backup_plan, BackupPlanId=plan_id,
                            message="Failed reading Backup plan with provided version")
        self.assertAwsError("ResourceNotFoundException", self.backup.delete_backup_plan, BackupPlanId=plan_id)
        self.assertEqual(self.backup.list_backup_plans()["BackupPlansList"], [])
        listed = self.backup.list_backup_plans(IncludeDeleted=True)["BackupPlansList"]
        self.assertEqual([p["BackupPlanId"] for p in listed], [plan_id])
        self.assertIn("DeletionDate", listed[0])
        self.plan()  # the name is free again

    # -- selections ---------------------------------------------------------------------------------
    def test_selections(self) -> None:
        self.vault()
        plan_id = self.plan()["BackupPlanId"]
        conditions = {"StringEquals": [{"ConditionKey": ENV_KEY, "ConditionValue": "dev"}]}
        selection = self.select(plan_id, Resources=["*"], Conditions=conditions)
        got = self.backup.get_backup_selection(BackupPlanId=plan_id, SelectionId=selection)
        self.assertEqual(got["BackupSelection"]["Conditions"], conditions)
        self.assertEqual(got["BackupSelection"]["IamRoleArn"], ROLE)
        listed = self.backup.list_backup_selections(BackupPlanId=plan_id)["BackupSelectionsList"]
        self.assertEqual([(s["SelectionId"], s["SelectionName"], s["IamRoleArn"]) for s in listed],
                         [(selection, "mosia-dev", ROLE)])
        self.assertAwsError("AlreadyExistsException", self.select, plan_id)
        self.assertAwsError("InvalidParameterValueException", self.select, plan_id, "role",
                            message="Invalid IAM role ARN", IamRoleArn="mosia-backup")
        self.assertAwsError("InvalidParameterValueException", self.select, plan_id, "key",
                            Conditions={"StringEquals": [{"ConditionKey": "mosia:environment",
                                                          "ConditionValue": "dev"}]},
                            message="aws:ResourceTag/")
        self.assertAwsError("InvalidParameterValueException", self.select, plan_id, "many",
                            Resources=[f"arn:aws:rds:us-east-1:{ACCOUNT}:db:d{i}" for i in range(501)])
        self.select(plan_id, "tags", ListOfTags=[{"ConditionType": "STRINGEQUALS",
                                                 "ConditionKey": "mosia:environment",
                                                 "ConditionValue": "dev"}])
        self.assertAwsError("ResourceNotFoundException", self.select, "00000000-0000-0000-0000-000000000000")
        self.backup.delete_backup_selection(BackupPlanId=plan_id, SelectionId=selection)
        self.assertAwsError("ResourceNotFoundException", self.backup.get_backup_selection,
                            BackupPlanId=plan_id, SelectionId=selection)
        self.assertAwsError("ResourceNotFoundException", self.backup.delete_backup_selection,
                            BackupPlanId=plan_id, SelectionId=selection)

    # -- backup jobs and recovery points -------------------------------------------------------------
    def test_backup_job_makes_a_recovery_point_of_an_rds_snapshot(self) -> None:
        self.vault()
        db_arn = self.database()
        job = self.backup_job(db_arn, Lifecycle={"DeleteAfterDays": 7},
                              RecoveryPointTags={"mosia:environment": "dev"})
        self.assertEqual(job["State"], "COMPLETED")
        rp_arn = job["RecoveryPointArn"]
        self.assertTrue(rp_arn.startswith(f"arn:aws:rds:us-east-1:{ACCOUNT}:snapshot:awsbackup:job-"))
        (rp,) = self.recovery_points()
        self.assertEqual((rp["RecoveryPointArn"], rp["ResourceArn"], rp["ResourceType"], rp["Status"]),
                         (rp_arn, db_arn, "RDS", "COMPLETED"))
        self.assertIn("DeleteAt", rp["CalculatedLifecycle"])
        described = self.backup.describe_recovery_point(BackupVaultName="mosia-dev", RecoveryPointArn=rp_arn)
        self.assertEqual(described["ResourceName"], "app")
        # The recovery point is a real RDS snapshot, managed by AWS Backup.
        (snapshot,) = self.rds.describe_db_snapshots(SnapshotType="awsbackup")["DBSnapshots"]
        self.assertEqual(snapshot["DBSnapshotArn"], rp_arn)
        self.assertEqual(snapshot["DBInstanceIdentifier"], "app")
        # Not among the automated and manual snapshots DescribeDBSnapshots answers by default.
        self.assertNotIn(rp_arn, [s["DBSnapshotArn"] for s in self.rds.describe_db_snapshots()["DBSnapshots"]])
        self.assertEqual(self.backup.list_tags(ResourceArn=rp_arn)["Tags"], {"mosia:environment": "dev"})
        self.assertAwsError("InvalidParameterValueException", self.backup.untag_resource,
                            ResourceArn=rp_arn, TagKeyList=["mosia:environment"])
        by_resource = self.backup.list_recovery_points_by_resource(ResourceArn=db_arn, MaxResults=20)
        self.assertEqual([r["RecoveryPointArn"] for r in by_resource["RecoveryPoints"]], [rp_arn])
        self.assertAwsError("InvalidParameterValueException", self.backup.list_recovery_points_by_resource,
                            ResourceArn=db_arn, MaxResults=19, message="at least 20")
        self.assertEqual(self.backup.describe_backup_vault(BackupVaultName="mosia-dev")["NumberOfRecoveryPoints"], 1)

    def test_vault_with_recovery_points_cannot_be_deleted(self) -> None:
        self.vault()
        rp_arn = self.backup_job(self.database())["RecoveryPointArn"]
        error = self.assertAwsError("InvalidRequestException", self.backup.delete_backup_vault,
                                    BackupVaultName="mosia-dev",
                                    message="Backup vault cannot be deleted because it contains "
                                            "recovery points.")
        self.assertEqual(error.response["Code"], "ERROR_9101")
        self.assertEqual(self.last_rejection()["operation"], "DeleteBackupVault")
        self.assertAwsError("ResourceNotFoundException", self.backup.delete_recovery_point,
                            BackupVaultName="mosia-dev", RecoveryPointArn=rp_arn + "-nope")
        self.backup.delete_recovery_point(BackupVaultName="mosia-dev", RecoveryPointArn=rp_arn)
        self.assertEqual(self.rds.describe_db_snapshots(SnapshotType="awsbackup")["DBSnapshots"], [])
        self.backup.delete_backup_vault(BackupVaultName="mosia-dev")

    def test_start_backup_job_rules(self) -> None:
        self.vault()
        db_arn = self.database()
        self.assertAwsError("ResourceNotFoundException", self.backup_job, db_arn, vault="nope")
        self.assertAwsError("InvalidParameterValueException", self.backup_job,
                            f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t", message="Invalid resource ARN")
        self.assertAwsError("InvalidParameterValueException", self.backup.start_backup_job,
                            BackupVaultName="mosia-dev", ResourceArn=db_arn, IamRoleArn="backup",
                            message="Invalid IAM role ARN")
        self.assertAwsError("InvalidParameterValueException", self.backup_job, db_arn,
                            StartWindowMinutes=30, message="at least 60 minutes")
        self.assertAwsError("InvalidParameterValueException", self.backup_job, db_arn,
                            Lifecycle={"MoveToColdStorageAfterDays": 30, "DeleteAfterDays": 100},
                            message="DeleteAfterDays cannot be less than 90 days apart")
        self.assertEqual(self.last_rejection()["operation"], "StartBackupJob")
        self.assertEqual(self.backup_job(db_arn, StartWindowMinutes=60)["State"], "COMPLETED")
        # A DB instance that does not exist fails the job (the call itself is accepted).
        failed = self.backup_job(f"arn:aws:rds:us-east-1:{ACCOUNT}:db:gone")
        self.assertEqual(failed["State"], "FAILED")
        self.assertIn("not found", failed["StatusMessage"])

    def test_backup_job_waits_for_an_available_instance(self) -> None:
        self.vault()
        self.control("POST", "/_mosia/durations", {"rds_instance": {"create": 1}})
        db_arn = self.client("rds").create_db_instance(
            DBInstanceIdentifier="slow", Engine="postgres", DBInstanceClass="db.t3.micro",
            AllocatedStorage=20, MasterUsername="mosia", MasterUserPassword="correct-horse-battery",
        )["DBInstance"]["DBInstanceArn"]
        job = self.backup_job(db_arn)
        self.assertEqual(job["State"], "CREATED")  # RDS snapshots an available instance only
        self.assertNotIn("RecoveryPointArn", job)
        time.sleep(1.1)
        job = self.backup.describe_backup_job(BackupJobId=job["BackupJobId"])
        self.assertEqual(job["State"], "COMPLETED")
        self.assertEqual(len(self.recovery_points()), 1)
        jobs = self.backup.list_backup_jobs(ByResourceArn=db_arn, ByState="COMPLETED")["BackupJobs"]
        self.assertEqual([j["BackupJobId"] for j in jobs], [job["BackupJobId"]])

    # -- restores -----------------------------------------------------------------------------------
    def test_restore_an_rds_recovery_point(self) -> None:
        self.vault()
        rp_arn = self.backup_job(self.database())["RecoveryPointArn"]
        meta = self.backup.get_recovery_point_restore_metadata(BackupVaultName="mosia-dev",
                                                               RecoveryPointArn=rp_arn)
        self.assertEqual(meta["ResourceType"], "RDS")
        metadata = meta["RestoreMetadata"]
        self.assertEqual((metadata["DBInstanceIdentifier"], metadata["Engine"], metadata["DBInstanceClass"]),
                         ("app", "postgres", "db.t3.micro"))
        # The original identifier is taken: the restore job fails as RDS refuses it.
        failed_id = self.backup.start_restore_job(RecoveryPointArn=rp_arn, Metadata=metadata,
                                                  IamRoleArn=ROLE)["RestoreJobId"]
        failed = self.backup.describe_restore_job(RestoreJobId=failed_id)
        self.assertEqual(failed["Status"], "FAILED")
        self.assertIn("already exists", failed["StatusMessage"])
        job_id = self.backup.start_restore_job(
            RecoveryPointArn=rp_arn, Metadata={**metadata, "DBInstanceIdentifier": "app-restored"},
            IamRoleArn=ROLE, ResourceType="RDS")["RestoreJobId"]
        restored = self.rds.describe_db_instances(DBInstanceIdentifier="app-restored")["DBInstances"][0]
        self.assertEqual(restored["DBInstanceClass"], "db.t3.micro")
        job = self.backup.describe_restore_job(RestoreJobId=job_id)
        self.assertEqual(job["Status"], "COMPLETED")
        self.assertEqual(job["CreatedResourceArn"], restored["DBInstanceArn"])
        self.assertEqual(job["RecoveryPointArn"], rp_arn)

    def test_rds_restores_a_recovery_point_as_a_snapshot(self) -> None:
        # RDS console, Snapshots, "Backup service" tab: a recovery point restores like a
        # manual snapshot, by its ARN; DescribeDBSnapshots lists it with SnapshotType awsbackup.
        self.vault()
        rp_arn = self.backup_job(self.database())["RecoveryPointArn"]
        described = self.rds.describe_db_snapshots(DBSnapshotIdentifier=rp_arn,
                                                   SnapshotType="awsbackup")["DBSnapshots"]
        self.assertEqual([d["DBSnapshotArn"] for d in described], [rp_arn])
        self.rds.restore_db_instance_from_db_snapshot(DBInstanceIdentifier="app-drill",
                                                      DBSnapshotIdentifier=rp_arn)
        restored = self.rds.describe_db_instances(DBInstanceIdentifier="app-drill")["DBInstances"][0]
        self.assertEqual(restored["Engine"], "postgres")
        # Still AWS Backup's: not among the default (automated and manual) snapshots.
        self.assertNotIn(rp_arn, [d["DBSnapshotArn"] for d in self.rds.describe_db_snapshots()["DBSnapshots"]])

    def test_restore_job_rules(self) -> None:
        self.vault()
        rp_arn = self.backup_job(self.database())["RecoveryPointArn"]
        self.assertAwsError("InvalidParameterValueException", self.backup.start_restore_job,
                            RecoveryPointArn=rp_arn, Metadata={"Engine": "postgres"},
                            message="DBInstanceIdentifier is required")
        self.assertAwsError("InvalidParameterValueException", self.backup.start_restore_job,
                            RecoveryPointArn=rp_arn, Metadata={"DBInstanceIdentifier": "x"},
                            ResourceType="EBS", message="Invalid resource type")
        self.assertAwsError("ResourceNotFoundException", self.backup.start_restore_job,
                            RecoveryPointArn=rp_arn + "-nope", Metadata={"DBInstanceIdentifier": "x"})
        self.assertAwsError("ResourceNotFoundException", self.backup.describe_restore_job,
                            RestoreJobId="nope")
        self.assertAwsError("ResourceNotFoundException", self.backup.get_recovery_point_restore_metadata,
                            BackupVaultName="mosia-dev", RecoveryPointArn=rp_arn + "-nope")
        self.backup.start_restore_job(RecoveryPointArn=rp_arn, Metadata={"DBInstanceIdentifier": "x"})

    # -- the plan's rule, run now -------------------------------------------------------------------
    def test_run_rule_backs_up_the_selected_instances(self) -> None:
        self.vault()
        self.client("backup", "eu-west-1").create_backup_vault(BackupVaultName="mosia-dr")
        dev = self.database("app", "dev")
        self.database("other", "prod")
        plan = self.plan(rules=[self.rule(
            RecoveryPointTags={"mosia:backup": "daily"},
            CopyActions=[{"DestinationBackupVaultArn": f"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-vault:mosia-dr",
                          "Lifecycle": {"DeleteAfterDays": 30}}])])
        self.select(plan["BackupPlanId"], Resources=["arn:aws:rds:*:*:db:*"],
                    Conditions={"StringEquals": [{"ConditionKey": ENV_KEY, "ConditionValue": "dev"}]})
        result = self.event("backup_run_rule", backup_plan_id=plan["BackupPlanId"])
        self.assertEqual(result["resources"], [dev])
        (job_id,) = result["backup_job_ids"]
        job = self.backup.describe_backup_job(BackupJobId=job_id)
        self.assertEqual(job["State"], "COMPLETED")
        rule_id = self.backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]["Rules"][0]["RuleId"]
        self.assertEqual(job["CreatedBy"], {"BackupPlanId": plan["BackupPlanId"],
                                            "BackupPlanArn": plan["BackupPlanArn"],
                                            "BackupPlanVersion": plan["VersionId"],
                                            "BackupRuleId": rule_id})
        (rp,) = self.recovery_points()
        self.assertEqual(rp["Lifecycle"], {"DeleteAfterDays": 7})
        self.assertEqual(self.backup.list_tags(ResourceArn=rp["RecoveryPointArn"])["Tags"],
                         {"mosia:backup": "daily"})
        by_plan = self.backup.list_recovery_points_by_backup_vault(
            BackupVaultName="mosia-dev", ByBackupPlanId=plan["BackupPlanId"])["RecoveryPoints"]
        self.assertEqual(len(by_plan), 1)
        self.assertIn("LastExecutionDate", self.backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"]))
        # The copy action put a copy, and its RDS snapshot, in the other Region's vault.
        dr = self.client("backup", "eu-west-1")
        (copy,) = dr.list_recovery_points_by_backup_vault(BackupVaultName="mosia-dr")["RecoveryPoints"]
        self.assertTrue(copy["RecoveryPointArn"].startswith(f"arn:aws:rds:eu-west-1:{ACCOUNT}:snapshot:awsbackup:"))
        self.assertEqual(copy["SourceBackupVaultArn"], rp["BackupVaultArn"])
        self.assertEqual(copy["Lifecycle"], {"DeleteAfterDays": 30})
        dr_snapshots = self.client("rds", "eu-west-1").describe_db_snapshots(SnapshotType="awsbackup")
        self.assertEqual(len(dr_snapshots["DBSnapshots"]), 1)

    def test_run_rule_selection_forms(self) -> None:
        self.vault()
        a = self.database("a", "dev")
        b = self.database("b", "dev")
        c = self.database("c", "prod")
        plan_id = self.plan()["BackupPlanId"]
        self.select(plan_id, "by-tags", ListOfTags=[{"ConditionType": "STRINGEQUALS",
                                                    "ConditionKey": "mosia:environment",
                                                    "ConditionValue": "prod"}])
        self.select(plan_id, "by-arn", Resources=[f"arn:aws:rds:us-east-1:{ACCOUNT}:db:*"],
                    NotResources=[b],
                    Conditions={"StringLike": [{"ConditionKey": ENV_KEY, "ConditionValue": "d*"}]})
        result = self.event("backup_run_rule", backup_plan_id=plan_id, rule_name="daily")
        self.assertEqual(result["resources"], sorted([a, c]))
        self.event_refused("backup_run_rule", "has no rule", backup_plan_id=plan_id, rule_name="weekly")
        self.event_refused("backup_run_rule", "does not exist", backup_plan_id="nope")
        self.event_refused("backup_run_rule", "backup_plan_id")
