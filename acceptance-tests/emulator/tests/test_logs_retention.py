"""CloudWatch Logs log groups as the provider manages them (mosia_emulator/patches/logs_retention.py,
with logs.py and logs_keys.py underneath): CreateLogGroup, PutRetentionPolicy /
DeleteRetentionPolicy, DescribeLogGroups, DeleteLogGroup and tagging by log group ARN. Each refusal
is checked next to the request AWS accepts."""

from __future__ import annotations

import json
from typing import Any

from .support import EmulatorCase

GROUP = "/aws/eks/demo/cluster"
ARN = f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}"
DOCUMENTED = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
              3288, 3653)


class LogsRetentionTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.logs = self.client("logs")

    def group(self, name: str = GROUP) -> dict[str, Any]:
        groups = [g for g in self.logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
                  if g["logGroupName"] == name]
        self.assertEqual(len(groups), 1, groups)
        return groups[0]

    def last_rejection(self) -> dict[str, Any]:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    # -- CreateLogGroup -----------------------------------------------------------------------------
    def test_create_with_tags_and_key_then_duplicate(self) -> None:
        kms = self.client("kms")
        policy = {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*",
             "Resource": "*"},
            {"Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
             "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
             "Resource": "*"}]}
        key = kms.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
        self.logs.create_log_group(logGroupName=GROUP, tags={"team": "platform"}, kmsKeyId=key)
        group = self.group()
        self.assertEqual((group["arn"], group["logGroupArn"], group["kmsKeyId"]), (ARN + ":*", ARN, key))
        self.assertNotIn("retentionInDays", group)
        self.assertEqual(self.logs.list_tags_for_resource(resourceArn=ARN)["tags"], {"team": "platform"})
        self.assertAwsError("ResourceAlreadyExistsException", self.logs.create_log_group, logGroupName=GROUP,
                            message="The specified log group already exists")

    def test_names_starting_with_aws_slash_are_reserved(self) -> None:
        for name in ("aws/cwagent", "AWS/metrics"):
            self.assertAwsError("InvalidParameterException", self.logs.create_log_group, logGroupName=name,
                                message="Log groups starting with AWS/ are reserved for AWS.")
        self.assertEqual((self.last_rejection()["kind"], self.last_rejection()["operation"]), ("rule", "CreateLogGroup"))
        self.assertEqual(self.logs.describe_log_groups()["logGroups"], [])
        for name in ("/aws/eks/demo/cluster", "/aws/vpc/flow-logs", "awsome/app"):
            self.logs.create_log_group(logGroupName=name)

    # -- retention ----------------------------------------------------------------------------------
    def test_only_documented_retention_values(self) -> None:
        self.logs.create_log_group(logGroupName=GROUP)
        for days in (0, 2, 10, 365 * 2, 4000):
            self.assertAwsError(
                "InvalidParameterException", self.logs.put_retention_policy, logGroupName=GROUP, retentionInDays=days,
                message=f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: "
                        f"Member must satisfy enum value set: [{', '.join(str(d) for d in DOCUMENTED)}]")
        self.assertNotIn("retentionInDays", self.group())
        for days in DOCUMENTED:
            self.logs.put_retention_policy(logGroupName=GROUP, retentionInDays=days)
            self.assertEqual(self.group()["retentionInDays"], days)

    def test_delete_retention_policy(self) -> None:
        self.assertAwsError("ResourceNotFoundException", self.logs.put_retention_policy, logGroupName=GROUP,
                            retentionInDays=30, message="The specified log group does not exist.")
        self.assertAwsError("ResourceNotFoundException", self.logs.delete_retention_policy, logGroupName=GROUP)
        self.logs.create_log_group(logGroupName=GROUP)
        self.logs.put_retention_policy(logGroupName=GROUP, retentionInDays=30)
        self.assertEqual(self.group()["retentionInDays"], 30)
        self.logs.delete_retention_policy(logGroupName=GROUP)
        self.assertNotIn("retentionInDays", self.group())

    # -- DescribeLogGroups --------------------------------------------------------------------------
    def test_describe_by_prefix(self) -> None:
        for name in ("/aws/eks/a/cluster", "/aws/eks/b/cluster", "/aws/vpc/flow-logs"):
            self.logs.create_log_group(logGroupName=name)
        self.logs.put_retention_policy(logGroupName="/aws/eks/b/cluster", retentionInDays=14)
        groups = self.logs.describe_log_groups(logGroupNamePrefix="/aws/eks/")["logGroups"]
        self.assertEqual([g["logGroupName"] for g in groups], ["/aws/eks/a/cluster", "/aws/eks/b/cluster"])
        self.assertEqual([g.get("retentionInDays") for g in groups], [None, 14])
        self.assertEqual(self.logs.describe_log_groups(logGroupNamePrefix="/nothing")["logGroups"], [])

    # -- DeleteLogGroup -----------------------------------------------------------------------------
    def test_delete_log_group_and_its_tags(self) -> None:
        self.assertAwsError("ResourceNotFoundException", self.logs.delete_log_group, logGroupName=GROUP,
                            message="The specified log group does not exist.")
        self.logs.create_log_group(logGroupName=GROUP, tags={"team": "platform"})
        self.logs.delete_log_group(logGroupName=GROUP)
        self.assertEqual(self.logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"], [])
        self.assertAwsError("ResourceNotFoundException", self.logs.delete_log_group, logGroupName=GROUP)
        # The same name again: a new, untagged group.
        self.logs.create_log_group(logGroupName=GROUP)
        self.assertEqual(self.logs.list_tags_for_resource(resourceArn=ARN)["tags"], {})

    # -- tagging by ARN -----------------------------------------------------------------------------
    def test_tag_by_log_group_arn(self) -> None:
        self.logs.create_log_group(logGroupName=GROUP, tags={"team": "platform"})
        arn = self.group()["logGroupArn"]
        self.logs.tag_resource(resourceArn=arn, tags={"env": "dev", "team": "network"})
        self.assertEqual(self.logs.list_tags_for_resource(resourceArn=arn)["tags"], {"env": "dev", "team": "network"})
        self.logs.untag_resource(resourceArn=arn, tagKeys=["env"])
        self.assertEqual(self.logs.list_tags_for_resource(resourceArn=arn)["tags"], {"team": "network"})
        # The ARN DescribeLogGroups answers as `arn` (with `:*`) is not a taggable ARN.
        self.assertAwsError("ValidationException", self.logs.list_tags_for_resource, resourceArn=arn + ":*")
        self.assertAwsError("ValidationException", self.logs.tag_resource, resourceArn=arn + ":*", tags={"a": "b"})

    def test_tagging_an_unknown_log_group(self) -> None:
        missing = "arn:aws:logs:us-east-1:123456789012:log-group:/missing"
        for call, kwargs in ((self.logs.tag_resource, {"tags": {"a": "b"}}),
                             (self.logs.untag_resource, {"tagKeys": ["a"]}),
                             (self.logs.list_tags_for_resource, {})):
            self.assertAwsError("ResourceNotFoundException", call, resourceArn=missing, **kwargs,
                                message="The specified log group does not exist.")
        self.assertEqual(self.last_rejection()["operation"], "ListTagsForResource")
        # A group of the same name in another Region is not this one.
        self.client("logs", region="eu-west-1").create_log_group(logGroupName="/missing")
        self.assertAwsError("ResourceNotFoundException", self.logs.list_tags_for_resource, resourceArn=missing)
        self.logs.create_log_group(logGroupName="/missing")
        self.logs.tag_resource(resourceArn=missing, tags={"a": "b"})
        self.assertEqual(self.logs.list_tags_for_resource(resourceArn=missing)["tags"], {"a": "b"})
