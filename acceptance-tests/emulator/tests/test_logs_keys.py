"""CloudWatch Logs with KMS keys: a log group's key must exist, be enabled and let
CloudWatch Logs use it by its key policy (CreateLogGroup, AssociateKmsKey);
DisassociateKmsKey goes back to CloudWatch Logs' own encryption."""

from __future__ import annotations

import json

from .support import EmulatorCase

GROUP = "/aws/eks/keys-eks/cluster"


def policy(condition_group: str | None = None) -> str:
    logs = {
        "Effect": "Allow",
        "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
    }
    if condition_group:
        arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{condition_group}"
        logs["Condition"] = {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": [arn]}}
    root = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*",
            "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [root, logs]})


class LogsKeysTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.kms = self.client("kms")
        self.logs = self.client("logs")

    def key(self, key_policy: str | None) -> str:
        args = {"Policy": key_policy} if key_policy else {}
        return self.kms.create_key(**args)["KeyMetadata"]["Arn"]

    def group_key(self) -> str | None:
        groups = self.logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]
        return groups[0].get("kmsKeyId")

    def test_create_needs_a_key_that_lets_logs_in(self) -> None:
        default_policy = self.key(None)
        self.assertAwsError("InvalidParameterException", self.logs.create_log_group, logGroupName=GROUP,
                            kmsKeyId=default_policy, message="is not allowed to be used")
        other_group = self.key(policy("/aws/eks/other-eks/cluster"))
        self.assertAwsError("InvalidParameterException", self.logs.create_log_group, logGroupName=GROUP,
                            kmsKeyId=other_group)
        disabled = self.key(policy())
        self.kms.disable_key(KeyId=disabled)
        self.assertAwsError("InvalidParameterException", self.logs.create_log_group, logGroupName=GROUP,
                            kmsKeyId=disabled)
        good = self.key(policy(GROUP))
        self.logs.create_log_group(logGroupName=GROUP, kmsKeyId=good)
        self.assertEqual(self.group_key(), good)

    def test_associate_and_disassociate(self) -> None:
        good = self.key(policy(GROUP))
        self.assertAwsError("ResourceNotFoundException", self.logs.associate_kms_key, logGroupName=GROUP,
                            kmsKeyId=good)
        self.logs.create_log_group(logGroupName=GROUP)
        self.assertIsNone(self.group_key())
        self.assertAwsError("InvalidParameterException", self.logs.associate_kms_key, logGroupName=GROUP,
                            kmsKeyId=self.key(None))
        self.assertIsNone(self.group_key())
        self.logs.associate_kms_key(logGroupName=GROUP, kmsKeyId=good)
        self.assertEqual(self.group_key(), good)
        self.logs.disassociate_kms_key(logGroupName=GROUP)
        self.assertIsNone(self.group_key())
