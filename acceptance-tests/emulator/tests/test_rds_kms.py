"""RDS with KMS keys: the storage key (StorageEncrypted, KmsKeyId, the aws/rds default), the
master user secret's key, read replicas and blue/green green instances keeping the source's
key. Each refusal is checked next to the request AWS accepts."""

from __future__ import annotations

import time
from typing import Any

from .support import EmulatorCase

PASSWORD = "correct-horse-9"


class RdsKmsCase(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.rds = self.client("rds")
        self.kms = self.client("kms")
        self.secrets = self.client("secretsmanager")

    def key(self, alias: str | None = None, **kwargs: Any) -> str:
        arn = self.kms.create_key(**kwargs)["KeyMetadata"]["Arn"]
        if alias:
            self.kms.create_alias(AliasName=alias, TargetKeyId=arn)
        return arn

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

    def wait_status(self, want: str, ident: str = "db1", timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            db = self.describe(ident)
            if db["DBInstanceStatus"] == want or time.monotonic() > deadline:
                self.assertEqual(db["DBInstanceStatus"], want)
                return db
            time.sleep(0.05)

    def managed_key(self, alias: str) -> dict:
        return self.kms.describe_key(KeyId=alias)["KeyMetadata"]

    def last_rejection(self) -> dict:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]


class StorageKeyTest(RdsKmsCase):
    def test_a_key_needs_storage_encryption(self) -> None:
        key = self.key()
        for encrypted in (None, False):
            self.assertAwsError(
                "InvalidParameterCombination", self.create, KmsKeyId=key, StorageEncrypted=encrypted,
                message="You must enable StorageEncrypted when you specify KmsKeyId for DB engine postgres",
            )
        rejection = self.last_rejection()
        self.assertEqual((rejection["kind"], rejection["operation"]), ("rule", "CreateDBInstance"))
        self.create(KmsKeyId=key, StorageEncrypted=True)
        db = self.describe()
        self.assertEqual((db["StorageEncrypted"], db["KmsKeyId"]), (True, key))

    def test_unencrypted_instances_report_no_key(self) -> None:
        self.create()
        db = self.describe()
        self.assertFalse(db["StorageEncrypted"])
        self.assertNotIn("KmsKeyId", db)

    def test_without_a_key_the_aws_managed_aws_rds_key(self) -> None:
        self.create(StorageEncrypted=True)
        managed = self.managed_key("alias/aws/rds")
        self.assertEqual(managed["KeyManager"], "AWS")
        self.assertEqual(self.describe()["KmsKeyId"], managed["Arn"])
        # The same key for every instance of the account and Region.
        self.create("db2", StorageEncrypted=True)
        self.assertEqual(self.describe("db2")["KmsKeyId"], managed["Arn"])

    def test_the_key_is_reported_by_its_arn(self) -> None:
        arn = self.key(alias="alias/app")
        key_id = arn.rsplit("/", 1)[1]
        alias_arn = "arn:aws:kms:us-east-1:123456789012:alias/app"
        for n, given in enumerate((key_id, "alias/app", alias_arn)):
            self.create(f"db{n}", StorageEncrypted=True, KmsKeyId=given)
            self.assertEqual(self.describe(f"db{n}")["KmsKeyId"], arn)

    def test_the_key_must_be_usable(self) -> None:
        missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
        disabled = self.key()
        self.kms.disable_key(KeyId=disabled)
        pending = self.key()
        self.kms.schedule_key_deletion(KeyId=pending, PendingWindowInDays=7)
        elsewhere = self.client("kms", region="eu-west-1").create_key()["KeyMetadata"]["Arn"]
        signing = self.key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
        for key in (missing, "alias/nope", disabled, pending, elsewhere, signing):
            self.assertAwsError(
                "KMSKeyNotAccessibleFault", self.create, StorageEncrypted=True, KmsKeyId=key,
                message=f"The specified KMS key [{key}] does not exist, is not enabled or you do not "
                        "have permissions to access it.",
            )
        self.assertAwsError("DBInstanceNotFound", self.describe)
        self.kms.enable_key(KeyId=disabled)
        self.create(StorageEncrypted=True, KmsKeyId=disabled)
        self.assertEqual(self.describe()["KmsKeyId"], disabled)


class MasterSecretKeyTest(RdsKmsCase):
    def managed(self, ident: str = "db1", **overrides: Any) -> dict:
        self.create(ident, MasterUserPassword=None, ManageMasterUserPassword=True, **overrides)
        return self.describe(ident)["MasterUserSecret"]

    def test_the_secret_uses_the_key_given(self) -> None:
        key = self.key(alias="alias/app")
        secret = self.managed(StorageEncrypted=True, KmsKeyId=key, MasterUserSecretKmsKeyId="alias/app")
        self.assertEqual(secret["KmsKeyId"], key)
        described = self.secrets.describe_secret(SecretId=secret["SecretArn"])
        self.assertEqual(described["KmsKeyId"], key)
        self.assertEqual(self.describe()["KmsKeyId"], key)

    def test_without_a_key_the_aws_managed_aws_secretsmanager_key(self) -> None:
        secret = self.managed()
        managed = self.managed_key("alias/aws/secretsmanager")
        self.assertEqual(managed["KeyManager"], "AWS")
        self.assertEqual(secret["KmsKeyId"], managed["Arn"])
        # Secrets Manager omits its own default key.
        self.assertNotIn("KmsKeyId", self.secrets.describe_secret(SecretId=secret["SecretArn"]))

    def test_the_secret_key_must_be_usable(self) -> None:
        disabled = self.key()
        self.kms.disable_key(KeyId=disabled)
        self.assertAwsError(
            "KMSKeyNotAccessibleFault", self.create, MasterUserPassword=None,
            ManageMasterUserPassword=True, MasterUserSecretKmsKeyId=disabled,
        )
        self.assertEqual(self.secrets.list_secrets()["SecretList"], [])

    def test_modify_turning_management_on_takes_the_key(self) -> None:
        key = self.key()
        self.create()
        self.wait_status("available")
        disabled = self.key()
        self.kms.disable_key(KeyId=disabled)
        self.assertAwsError(
            "KMSKeyNotAccessibleFault", self.rds.modify_db_instance, DBInstanceIdentifier="db1",
            ManageMasterUserPassword=True, MasterUserSecretKmsKeyId=disabled, ApplyImmediately=True,
        )
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", ManageMasterUserPassword=True, MasterUserSecretKmsKeyId=key,
            ApplyImmediately=True,
        )
        secret = self.wait_status("available")["MasterUserSecret"]
        self.assertEqual(secret["KmsKeyId"], key)
        self.assertEqual(self.secrets.describe_secret(SecretId=secret["SecretArn"])["KmsKeyId"], key)
        # A secret RDS already manages keeps its key.
        other = self.key()
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.modify_db_instance, DBInstanceIdentifier="db1",
            MasterUserSecretKmsKeyId=other, ApplyImmediately=True,
            message="You can't change the KMS key of the master user secret",
        )
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", MasterUserSecretKmsKeyId=key, ApplyImmediately=True
        )

    def test_modify_turning_management_on_without_a_key(self) -> None:
        self.create()
        self.wait_status("available")
        self.rds.modify_db_instance(
            DBInstanceIdentifier="db1", ManageMasterUserPassword=True, ApplyImmediately=True
        )
        secret = self.wait_status("available")["MasterUserSecret"]
        self.assertEqual(secret["KmsKeyId"], self.managed_key("alias/aws/secretsmanager")["Arn"])


class ReplicaKeyTest(RdsKmsCase):
    def test_a_replica_in_the_region_keeps_the_source_key(self) -> None:
        key = self.key(alias="alias/app")
        self.create(StorageEncrypted=True, KmsKeyId="alias/app")
        self.wait_status("available")
        self.assertAwsError(
            "InvalidParameterCombination", self.rds.create_db_instance_read_replica,
            DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1", KmsKeyId=key,
            message="Your request does not require the KMS key parameter. Please remove the KMS key "
                    "parameter and try your request again.",
        )
        self.rds.create_db_instance_read_replica(DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1")
        replica = self.wait_status("available", "r1")
        self.assertEqual((replica["StorageEncrypted"], replica["KmsKeyId"]), (True, key))

    def test_a_replica_of_an_unencrypted_source_is_unencrypted(self) -> None:
        self.create()
        self.wait_status("available")
        self.rds.create_db_instance_read_replica(DBInstanceIdentifier="r1", SourceDBInstanceIdentifier="db1")
        replica = self.wait_status("available", "r1")
        self.assertFalse(replica["StorageEncrypted"])
        self.assertNotIn("KmsKeyId", replica)


class BlueGreenKeyTest(RdsKmsCase):
    def group(self, name: str, family: str) -> None:
        self.rds.create_db_parameter_group(
            DBParameterGroupName=name, DBParameterGroupFamily=family, Description=name
        )
        self.rds.modify_db_parameter_group(
            DBParameterGroupName=name,
            Parameters=[{"ParameterName": "rds.logical_replication", "ParameterValue": "1",
                         "ApplyMethod": "pending-reboot"}],
        )

    def test_green_keeps_the_blue_key(self) -> None:
        self.group("pg15", "postgres15")
        self.group("pg16", "postgres16")
        key = self.key(alias="alias/app")
        self.create(EngineVersion="15.7", DBParameterGroupName="pg15", StorageEncrypted=True, KmsKeyId="alias/app")
        blue = self.wait_status("available")
        self.assertEqual(blue["KmsKeyId"], key)
        dep = self.rds.create_blue_green_deployment(
            BlueGreenDeploymentName="db1-to-pg16", Source=blue["DBInstanceArn"],
            TargetEngineVersion="16.4", TargetDBParameterGroupName="pg16",
        )["BlueGreenDeployment"]
        green_id = dep["Target"].rsplit(":", 1)[-1]
        green = self.wait_status("available", green_id)
        self.assertEqual((green["StorageEncrypted"], green["KmsKeyId"]), (True, key))
