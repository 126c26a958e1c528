"""ElastiCache with KMS keys: a customer managed key for at-rest encryption only with at-rest
encryption on, a usable symmetric key of the Region, reported by its ARN. Each refusal is
checked next to the request AWS accepts."""

from __future__ import annotations

from typing import Any

from .support import EmulatorCase


class ElastiCacheKmsTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.ec = self.client("elasticache")
        self.kms = self.client("kms")

    def key(self, alias: str | None = None, **kwargs: Any) -> str:
        arn = self.kms.create_key(**kwargs)["KeyMetadata"]["Arn"]
        if alias:
            self.kms.create_alias(AliasName=alias, TargetKeyId=arn)
        return arn

    def create(self, rg_id: str = "cache1", **overrides: Any) -> dict:
        params: dict[str, Any] = dict(
            ReplicationGroupId=rg_id, ReplicationGroupDescription="test", Engine="redis",
            EngineVersion="7.1", CacheNodeType="cache.t3.micro", NumCacheClusters=1,
        )
        params.update(overrides)
        return self.ec.create_replication_group(
            **{k: v for k, v in params.items() if v is not None}
        )["ReplicationGroup"]

    def describe(self, rg_id: str = "cache1") -> dict:
        return self.ec.describe_replication_groups(ReplicationGroupId=rg_id)["ReplicationGroups"][0]

    def last_rejection(self) -> dict:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    def test_a_key_needs_at_rest_encryption(self) -> None:
        key = self.key()
        for at_rest in (None, False):
            self.assertAwsError(
                "InvalidParameterCombination", self.create, KmsKeyId=key, AtRestEncryptionEnabled=at_rest,
                message="KmsKeyId can be specified only when AtRestEncryptionEnabled is true",
            )
        rejection = self.last_rejection()
        self.assertEqual((rejection["kind"], rejection["operation"]), ("rule", "CreateReplicationGroup"))
        self.assertAwsError("ReplicationGroupNotFoundFault", self.describe)
        self.create(AtRestEncryptionEnabled=True, KmsKeyId=key)
        rg = self.describe()
        self.assertEqual((rg["AtRestEncryptionEnabled"], rg["KmsKeyId"]), (True, key))

    def test_service_managed_encryption_reports_no_key(self) -> None:
        self.create(AtRestEncryptionEnabled=True)
        rg = self.describe()
        self.assertTrue(rg["AtRestEncryptionEnabled"])
        self.assertNotIn("KmsKeyId", rg)
        self.create("cache2")
        rg = self.describe("cache2")
        self.assertFalse(rg["AtRestEncryptionEnabled"])
        self.assertNotIn("KmsKeyId", rg)

    def test_the_key_is_reported_by_its_arn(self) -> None:
        arn = self.key(alias="alias/cache")
        key_id = arn.rsplit("/", 1)[1]
        for n, given in enumerate((key_id, "alias/cache", "arn:aws:kms:us-east-1:123456789012:alias/cache")):
            self.create(f"cache{n}", AtRestEncryptionEnabled=True, KmsKeyId=given)
            self.assertEqual(self.describe(f"cache{n}")["KmsKeyId"], arn)

    def test_the_key_must_be_usable(self) -> None:
        missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
        disabled = self.key()
        self.kms.disable_key(KeyId=disabled)
        pending = self.key()
        self.kms.schedule_key_deletion(KeyId=pending, PendingWindowInDays=7)
        elsewhere = self.client("kms", region="eu-west-1").create_key()["KeyMetadata"]["Arn"]
        asymmetric = self.key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
        for key in (missing, "alias/nope", disabled, pending, elsewhere, asymmetric):
            self.assertAwsError(
                "InvalidParameterValue", self.create, AtRestEncryptionEnabled=True, KmsKeyId=key,
                message=f"The KMS key {key} does not exist, is not enabled",
            )
        self.kms.enable_key(KeyId=disabled)
        self.create(AtRestEncryptionEnabled=True, KmsKeyId=disabled)
        self.assertEqual(self.describe()["KmsKeyId"], disabled)
