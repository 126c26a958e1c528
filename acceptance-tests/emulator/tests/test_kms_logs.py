"""KMS key states and aliases, and CloudWatch Logs retention: the rules moto 5.2.5 skips.
Each refusal is checked next to the request AWS accepts."""

from __future__ import annotations

from .support import EmulatorCase


class KmsTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.kms = self.client("kms")
        self.key = self.kms.create_key(Description="eks")["KeyMetadata"]["Arn"]

    def key_state(self) -> str:
        return self.kms.describe_key(KeyId=self.key)["KeyMetadata"]["KeyState"]

    def test_alias_rules(self) -> None:
        self.assertAwsError("ValidationException", self.kms.create_alias, AliasName="c-eks", TargetKeyId=self.key)
        self.assertAwsError("NotAuthorizedException", self.kms.create_alias, AliasName="alias/aws/c-eks",
                            TargetKeyId=self.key)
        rejected = self.control("GET", "/_mosia/calls")["rejected"]["requests"]
        self.assertEqual((rejected[-1]["service"], rejected[-1]["operation"]), ("kms", "CreateAlias"))
        self.kms.create_alias(AliasName="alias/c-eks", TargetKeyId=self.key)
        self.assertAwsError("AlreadyExistsException", self.kms.create_alias, AliasName="alias/c-eks",
                            TargetKeyId=self.key)
        aliases = self.kms.list_aliases(KeyId=self.key)["Aliases"]
        self.assertEqual([a["AliasName"] for a in aliases], ["alias/c-eks"])
        described = self.kms.describe_key(KeyId="alias/c-eks")["KeyMetadata"]
        self.assertEqual(described["Arn"], self.key)

    def test_deletion_window_and_cancel(self) -> None:
        for days, bound in ((6, "greater than or equal to 7"), (31, "less than or equal to 30")):
            self.assertAwsError("ValidationException", self.kms.schedule_key_deletion, KeyId=self.key,
                                PendingWindowInDays=days, message=bound)
        self.assertAwsError("KMSInvalidStateException", self.kms.cancel_key_deletion, KeyId=self.key,
                            message="is not pending deletion.")
        answer = self.kms.schedule_key_deletion(KeyId=self.key, PendingWindowInDays=7)
        self.assertIn("DeletionDate", answer)
        self.assertEqual(self.key_state(), "PendingDeletion")
        self.assertAwsError("KMSInvalidStateException", self.kms.schedule_key_deletion, KeyId=self.key,
                            PendingWindowInDays=7, message="is pending deletion.")
        self.assertAwsError("KMSInvalidStateException", self.kms.enable_key, KeyId=self.key)
        self.assertAwsError("KMSInvalidStateException", self.kms.enable_key_rotation, KeyId=self.key)
        self.kms.cancel_key_deletion(KeyId=self.key)
        meta = self.kms.describe_key(KeyId=self.key)["KeyMetadata"]
        self.assertEqual((meta["KeyState"], meta["Enabled"]), ("Disabled", False))
        self.assertAwsError("KMSInvalidStateException", self.kms.enable_key_rotation, KeyId=self.key,
                            message="is disabled.")
        self.kms.enable_key(KeyId=self.key)
        self.kms.enable_key_rotation(KeyId=self.key)
        self.assertTrue(self.kms.get_key_rotation_status(KeyId=self.key)["KeyRotationEnabled"])

    def test_rotation_only_for_symmetric_keys(self) -> None:
        signing = self.kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        self.assertAwsError("UnsupportedOperationException", self.kms.enable_key_rotation, KeyId=signing)
        self.kms.enable_key_rotation(KeyId=self.key)

    def test_tags(self) -> None:
        self.kms.tag_resource(KeyId=self.key, Tags=[{"TagKey": "mosia", "TagValue": "env"}])
        self.assertEqual(self.kms.list_resource_tags(KeyId=self.key)["Tags"], [{"TagKey": "mosia", "TagValue": "env"}])


class LogsTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.logs = self.client("logs")

    def test_retention_from_the_allowed_list(self) -> None:
        self.logs.create_log_group(logGroupName="/aws/eks/c/cluster", tags={"mosia": "env"})
        self.assertAwsError("ResourceAlreadyExistsException", self.logs.create_log_group,
                            logGroupName="/aws/eks/c/cluster")
        for days in (2, 0, 4000):
            self.assertAwsError("InvalidParameterException", self.logs.put_retention_policy,
                                logGroupName="/aws/eks/c/cluster", retentionInDays=days,
                                message="Member must satisfy enum value set: [1, 3, 5, 7, 14, 30,")
        for days in (7, 30, 90, 3653):
            self.logs.put_retention_policy(logGroupName="/aws/eks/c/cluster", retentionInDays=days)
        group = self.logs.describe_log_groups(logGroupNamePrefix="/aws/eks/c/")["logGroups"][0]
        self.assertEqual(group["retentionInDays"], 3653)
        arn = group["logGroupArn"]
        self.logs.tag_resource(resourceArn=arn, tags={"team": "a"})
        self.assertEqual(self.logs.list_tags_for_resource(resourceArn=arn)["tags"], {"mosia": "env", "team": "a"})
        self.logs.delete_log_group(logGroupName="/aws/eks/c/cluster")
        self.assertAwsError("ResourceNotFoundException", self.logs.delete_log_group, logGroupName="/aws/eks/c/cluster")
        self.assertAwsError("ResourceNotFoundException", self.logs.put_retention_policy,
                            logGroupName="/aws/eks/c/cluster", retentionInDays=7)
