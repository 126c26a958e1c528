"""KMS key policies: CreateKey `Policy`, PutKeyPolicy and GetKeyPolicy, with KMS's checks of
the document (JSON, principals that exist, the policy lockout safety check). Each refusal is
checked next to the request AWS accepts."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config

from .support import REGION, EmulatorCase

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
CALLER = f"arn:aws:iam::{ACCOUNT}:user/moto"  # moto's default credentials, as STS answers
LOCKOUT = "The new key policy will not allow you to update the key policy in the future."


def statement(principal: Any, action: Any = "kms:*", effect: str = "Allow", **extra: Any) -> dict:
    s = {"Effect": effect, "Principal": principal, "Action": action, "Resource": "*"}
    s.update(extra)
    return s


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


LOGS_ONLY = statement({"Service": "logs.us-east-1.amazonaws.com"}, ["kms:Encrypt*", "kms:Decrypt*"])


class KmsPolicyTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.kms = self.client("kms")

    def create(self, policy: str | None = None, **kwargs: Any) -> str:
        if policy is not None:
            kwargs["Policy"] = policy
        return self.kms.create_key(**kwargs)["KeyMetadata"]["KeyId"]

    def policy_of(self, key: str) -> str:
        return self.kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]

    def last_rejection(self) -> dict:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    def test_default_policy_and_policy_name(self) -> None:
        key = self.create()
        policy = json.loads(self.policy_of(key))
        self.assertEqual(policy["Statement"], [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": ROOT},
             "Action": "kms:*", "Resource": "*"},
        ])
        # PolicyName is optional and defaults to `default`.
        self.assertEqual(self.kms.get_key_policy(KeyId=key)["Policy"], self.policy_of(key))
        mine = document(statement({"AWS": ROOT}))
        self.kms.put_key_policy(KeyId=key, Policy=mine)
        self.assertEqual(self.policy_of(key), mine)
        self.assertAwsError("ValidationException", self.kms.put_key_policy, KeyId=key, PolicyName="AWS_RAM",
                            Policy=mine)
        self.assertAwsError("NotFoundException", self.kms.get_key_policy, KeyId=key, PolicyName="other")
        self.assertEqual(self.kms.describe_key(KeyId=key)["KeyMetadata"]["KeyUsage"], "ENCRYPT_DECRYPT")

    def test_the_policy_is_kept_as_given(self) -> None:
        policy = document(statement({"AWS": ROOT}, Sid="Account"), LOGS_ONLY)
        key = self.create(policy)
        self.assertEqual(self.policy_of(key), policy)

    def test_malformed_json(self) -> None:
        self.assertAwsError("MalformedPolicyDocumentException", self.create, "{not json")
        self.assertAwsError("MalformedPolicyDocumentException", self.create, "[]")
        rejection = self.last_rejection()
        self.assertEqual((rejection["kind"], rejection["operation"]), ("rule", "CreateKey"))
        key = self.create()
        before = self.policy_of(key)
        self.assertAwsError("MalformedPolicyDocumentException", self.kms.put_key_policy, KeyId=key,
                            PolicyName="default", Policy='{"Statement": [')
        self.assertEqual(self.policy_of(key), before)

    def test_lockout_safety_check(self) -> None:
        self.assertAwsError("MalformedPolicyDocumentException", self.create, document(LOGS_ONLY), message=LOCKOUT)
        self.assertEqual(self.kms.list_keys()["Keys"], [])
        # Bypassing the check is the caller's choice.
        locked = self.create(document(LOGS_ONLY), BypassPolicyLockoutSafetyCheck=True)
        self.assertEqual(self.policy_of(locked), document(LOGS_ONLY))
        key = self.create()
        self.assertAwsError("MalformedPolicyDocumentException", self.kms.put_key_policy, KeyId=key,
                            PolicyName="default", Policy=document(LOGS_ONLY), message=LOCKOUT)
        # What stands for the caller: its account (root ARN or ID), its own ARN, anyone.
        for principal in ({"AWS": ROOT}, {"AWS": ACCOUNT}, {"AWS": CALLER}, {"AWS": [CALLER, ROOT]}, "*",
                          {"AWS": "*"}):
            self.kms.put_key_policy(KeyId=key, PolicyName="default",
                                    Policy=document(statement(principal, "kms:PutKeyPolicy"), LOGS_ONLY))
        for action in ("kms:Put*", ["kms:Describe*", "kms:PutKeyPolicy"], "*"):
            self.kms.put_key_policy(KeyId=key, PolicyName="default",
                                    Policy=document(statement({"AWS": ROOT}, action)))
        # Not enough: another principal, other actions, a statement without Resource (no effect),
        # a Deny for the caller.
        other_user = f"arn:aws:iam::{ACCOUNT}:user/someone"
        self.client("iam").create_user(UserName="someone")
        no_resource = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*"}
        deny = statement({"AWS": CALLER}, "kms:PutKeyPolicy", effect="Deny")
        for policy in (document(statement({"AWS": other_user})),
                       document(statement({"AWS": ROOT}, ["kms:Encrypt", "kms:Describe*"])),
                       document(no_resource),
                       document(statement({"AWS": ROOT}), deny)):
            self.assertAwsError("MalformedPolicyDocumentException", self.kms.put_key_policy, KeyId=key,
                                PolicyName="default", Policy=policy, message=LOCKOUT)

    def test_an_iam_user_caller(self) -> None:
        iam = self.client("iam")
        alice = iam.create_user(UserName="alice")["User"]["Arn"]
        creds = iam.create_access_key(UserName="alice")["AccessKey"]
        kms = boto3.client(
            "kms", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
        )
        alice_only = document(statement({"AWS": alice}, "kms:*"))
        key = kms.create_key(Policy=alice_only)["KeyMetadata"]["KeyId"]
        # The default caller is not alice: the same policy would lock it out.
        self.assertAwsError("MalformedPolicyDocumentException", self.create, alice_only, message=LOCKOUT)
        kms.put_key_policy(KeyId=key, PolicyName="default", Policy=alice_only)

    def test_principals_must_exist(self) -> None:
        role = f"arn:aws:iam::{ACCOUNT}:role/key-admin"
        policy = document(statement({"AWS": ROOT}), statement({"AWS": role}, "kms:Decrypt"))
        self.assertAwsError("MalformedPolicyDocumentException", self.create, policy,
                            message="Policy contains a statement with one or more invalid principals.")
        self.client("iam").create_role(RoleName="key-admin", AssumeRolePolicyDocument=document(
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}))
        self.create(policy)
        # Principals of other accounts are not looked up.
        self.create(document(statement({"AWS": ROOT}),
                             statement({"AWS": "arn:aws:iam::210987654321:role/x"}, "kms:Decrypt")))
        no_principal = {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}
        self.assertAwsError("MalformedPolicyDocumentException", self.create,
                            document(statement({"AWS": ROOT}), no_principal))
