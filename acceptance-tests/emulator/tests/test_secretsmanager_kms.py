"""Secrets Manager with KMS keys: CreateSecret and UpdateSecret name a key that exists in the
Region, a value is only written under a usable key, and DescribeSecret shows the key as given
(nothing for aws/secretsmanager). Each refusal is checked next to the request AWS accepts."""

from __future__ import annotations

from typing import Any

from .support import EmulatorCase

INVALID_KEY = "The operation failed because of an invalid KMS key: Invalid keyId"
CANNOT_ENCRYPT = "Secrets Manager can't encrypt the protected secret text using the provided KMS key."


class SecretsManagerKmsTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.sm = self.client("secretsmanager")
        self.kms = self.client("kms")

    def key(self, alias: str | None = None, **kwargs: Any) -> str:
        arn = self.kms.create_key(**kwargs)["KeyMetadata"]["Arn"]
        if alias:
            self.kms.create_alias(AliasName=alias, TargetKeyId=arn)
        return arn

    def key_of(self, name: str) -> str | None:
        return self.sm.describe_secret(SecretId=name).get("KmsKeyId")

    def last_rejection(self) -> dict:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    def test_the_key_must_exist_in_the_region(self) -> None:
        missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
        elsewhere = self.client("kms", region="eu-west-1").create_key()["KeyMetadata"]["Arn"]
        for key in (missing, "alias/nope", "nope", elsewhere):
            self.assertAwsError("InvalidParameterException", self.sm.create_secret, Name="s1",
                                SecretString="v", KmsKeyId=key, message=INVALID_KEY)
        rejection = self.last_rejection()
        self.assertEqual((rejection["kind"], rejection["operation"]), ("rule", "CreateSecret"))
        # Without a value too: the key is looked up either way.
        self.assertAwsError("InvalidParameterException", self.sm.create_secret, Name="s1", KmsKeyId=missing)
        self.assertEqual(self.sm.list_secrets()["SecretList"], [])
        key = self.key()
        self.sm.create_secret(Name="s1", SecretString="v", KmsKeyId=key)
        self.assertEqual(self.key_of("s1"), key)

    def test_a_value_needs_a_usable_key(self) -> None:
        disabled = self.key()
        self.kms.disable_key(KeyId=disabled)
        pending = self.key()
        self.kms.schedule_key_deletion(KeyId=pending, PendingWindowInDays=7)
        asymmetric = self.key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
        for key in (disabled, pending, asymmetric):
            self.assertAwsError("EncryptionFailure", self.sm.create_secret, Name="s1", SecretString="v",
                                KmsKeyId=key, message=CANNOT_ENCRYPT)
        # A secret without a value has nothing to encrypt yet.
        self.sm.create_secret(Name="s1", KmsKeyId=disabled)
        self.assertAwsError("EncryptionFailure", self.sm.put_secret_value, SecretId="s1", SecretString="v")
        self.kms.enable_key(KeyId=disabled)
        self.sm.put_secret_value(SecretId="s1", SecretString="v")
        self.assertEqual(self.sm.get_secret_value(SecretId="s1")["SecretString"], "v")
        self.kms.disable_key(KeyId=disabled)
        self.assertAwsError("EncryptionFailure", self.sm.update_secret, SecretId="s1", SecretString="w")

    def test_describe_shows_the_key_as_given(self) -> None:
        arn = self.key(alias="alias/app")
        key_id = arn.rsplit("/", 1)[1]
        for name, given in (("by-id", key_id), ("by-arn", arn), ("by-alias", "alias/app")):
            self.sm.create_secret(Name=name, SecretString="v", KmsKeyId=given)
            self.assertEqual(self.key_of(name), given)

    def test_the_aws_managed_key_is_not_shown(self) -> None:
        self.sm.create_secret(Name="default", SecretString="v")
        self.assertIsNone(self.key_of("default"))
        self.sm.create_secret(Name="explicit", SecretString="v", KmsKeyId="alias/aws/secretsmanager")
        self.assertIsNone(self.key_of("explicit"))
        managed = self.kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
        self.assertEqual(managed["KeyManager"], "AWS")
        self.sm.create_secret(Name="by-arn", SecretString="v", KmsKeyId=managed["Arn"])
        self.assertIsNone(self.key_of("by-arn"))

    def test_update_secret_changes_the_key(self) -> None:
        first, second = self.key(), self.key()
        self.sm.create_secret(Name="s1", SecretString="v", KmsKeyId=first)
        self.assertAwsError("InvalidParameterException", self.sm.update_secret, SecretId="s1",
                            KmsKeyId="alias/nope", message=INVALID_KEY)
        self.kms.disable_key(KeyId=second)
        # The current versions are re-encrypted under the new key.
        self.assertAwsError("EncryptionFailure", self.sm.update_secret, SecretId="s1", KmsKeyId=second)
        self.assertEqual(self.key_of("s1"), first)
        self.kms.enable_key(KeyId=second)
        self.sm.update_secret(SecretId="s1", KmsKeyId=second)
        self.assertEqual(self.key_of("s1"), second)
        # Back to Secrets Manager's AWS managed key: DescribeSecret omits it again.
        self.sm.update_secret(SecretId="s1", KmsKeyId="alias/aws/secretsmanager")
        self.assertIsNone(self.key_of("s1"))
        self.assertEqual(self.sm.get_secret_value(SecretId="s1")["SecretString"], "v")
