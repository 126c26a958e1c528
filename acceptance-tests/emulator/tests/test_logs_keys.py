"""CloudWatch Logs with KMS keys: a log group's key must exist in the Region, be enabled, be a
symmetric encryption key and let CloudWatch Logs use it by its key policy (CreateLogGroup,
AssociateKmsKey); DisassociateKmsKey goes back to CloudWatch Logs' own encryption."""

from __future__ import annotations

import json

from .support import EmulatorCase

GROUP = "/aws/eks/keys-eks/cluster"


def policy(condition_group: str | None = None, operator: str = "ArnLike", actions: list[str] | None = None,
           extra: list[dict] | None = None) -> str:
    logs = {
        "Effect": "Allow",
        "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
        "Action": actions or ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                              "kms:Describe*"],
        "Resource": "*",
    }
    if condition_group:
        arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{condition_group}"
        logs["Condition"] = {operator: {"kms:EncryptionContext:aws:logs:arn": [arn]}}
    root = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*",
            "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [root, logs, *(extra or [])]})


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
        group_arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}"
        default_policy = self.key(None)
        self.assertAwsError("AccessDeniedException", self.logs.create_log_group, logGroupName=GROUP,
                            kmsKeyId=default_policy,
                            message="The specified KMS key does not exist or is not allowed to be used with "
                                    f"Arn '{group_arn}'")
        rejection = self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]
        self.assertEqual((rejection["kind"], rejection["operation"]), ("rule", "CreateLogGroup"))
        other_group = self.key(policy("/aws/eks/other-eks/cluster"))
        self.assertAwsError("AccessDeniedException", self.logs.create_log_group, logGroupName=GROUP,
                            kmsKeyId=other_group)
        disabled = self.key(policy())
        self.kms.disable_key(KeyId=disabled)
        self.assertAwsError("InvalidParameterException", self.logs.create_log_group, logGroupName=GROUP,
                            kmsKeyId=disabled, message="is not enabled")
        self.assertEqual(self.logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"], [])
        good = self.key(policy(GROUP))
        self.logs.create_log_group(logGroupName=GROUP, kmsKeyId=good)
        self.assertEqual(self.group_key(), good)

    def test_associate_and_disassociate(self) -> None:
        good = self.key(policy(GROUP))
        self.assertAwsError("ResourceNotFoundException", self.logs.associate_kms_key, logGroupName=GROUP,
                            kmsKeyId=good)
        self.logs.create_log_group(logGroupName=GROUP)
        self.assertIsNone(self.group_key())
        self.assertAwsError("AccessDeniedException", self.logs.associate_kms_key, logGroupName=GROUP,
                            kmsKeyId=self.key(None))
        self.assertIsNone(self.group_key())
        self.logs.associate_kms_key(logGroupName=GROUP, kmsKeyId=good)
        self.assertEqual(self.group_key(), good)
        self.logs.disassociate_kms_key(logGroupName=GROUP)
        self.assertIsNone(self.group_key())

    def test_the_key_must_exist_in_the_region_and_be_symmetric(self) -> None:
        missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
        elsewhere = self.client("kms", region="eu-west-1").create_key(Policy=policy())["KeyMetadata"]["Arn"]
        pending = self.key(policy())
        self.kms.schedule_key_deletion(KeyId=pending, PendingWindowInDays=7)
        for key in (missing, elsewhere):
            self.assertAwsError("InvalidParameterException", self.logs.create_log_group, logGroupName=GROUP,
                                kmsKeyId=key, message="does not exist")
        self.assertAwsError("InvalidParameterException", self.logs.create_log_group, logGroupName=GROUP,
                            kmsKeyId=pending, message="is not enabled")
        asymmetric = self.kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT",
                                         Policy=policy())["KeyMetadata"]["Arn"]
        self.assertAwsError("InvalidParameterException", self.logs.create_log_group, logGroupName=GROUP,
                            kmsKeyId=asymmetric, message="symmetric")
        self.logs.create_log_group(logGroupName=GROUP, kmsKeyId=self.key(policy()))

    def test_the_key_policy_is_read_as_kms_reads_it(self) -> None:
        # Wildcards in the condition, and the string operators on the same context key.
        for operator, pattern in (("ArnLike", "/aws/eks/*/cluster"), ("StringLike", "/aws/eks/stringlike*"),
                                  ("ArnEquals", "/aws/eks/arnequals/cluster"),
                                  ("StringEquals", "/aws/eks/stringequals/cluster")):
            name = f"/aws/eks/{operator.lower()}/cluster"
            self.logs.create_log_group(logGroupName=name, kmsKeyId=self.key(policy(pattern, operator=operator)))
        self.assertAwsError("AccessDeniedException", self.logs.create_log_group, logGroupName="/aws/eks/x/other",
                            kmsKeyId=self.key(policy("/aws/eks/*/cluster")))
        # CloudWatch Logs generates data keys and decrypts: Encrypt and Describe alone are not enough.
        encrypt_only = self.key(policy(GROUP, actions=["kms:Encrypt*", "kms:Describe*"]))
        self.assertAwsError("AccessDeniedException", self.logs.create_log_group, logGroupName=GROUP,
                            kmsKeyId=encrypt_only)
        # A Deny statement wins over the Allow.
        deny = {"Effect": "Deny", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
                "Action": "kms:Decrypt", "Resource": "*"}
        denied = self.key(policy(GROUP, extra=[deny]))
        self.assertAwsError("AccessDeniedException", self.logs.create_log_group, logGroupName=GROUP,
                            kmsKeyId=denied)
        # The service principal of another Region is someone else.
        other_region = self.key(policy(GROUP).replace("logs.us-east-1.", "logs.eu-west-1."))
        self.assertAwsError("AccessDeniedException", self.logs.create_log_group, logGroupName=GROUP,
                            kmsKeyId=other_region)
        # PutKeyPolicy lets CloudWatch Logs in afterwards.
        self.kms.put_key_policy(KeyId=encrypt_only, PolicyName="default", Policy=policy(GROUP))
        self.logs.create_log_group(logGroupName=GROUP, kmsKeyId=encrypt_only)
        self.assertEqual(self.group_key(), encrypt_only)
