"""CloudWatch Logs and KMS keys: a log group's key (CreateLogGroup `kmsKeyId`,
AssociateKmsKey, which moto 5.2.5 lacks, and DisassociateKmsKey) must exist, be enabled and
let CloudWatch Logs use it by its key policy.

Sources: CloudWatch Logs API reference, AssociateKmsKey ("If you attempt to associate a KMS
key with a log group but the KMS key does not exist or the KMS key is disabled, you receive
an InvalidParameterException error") and CreateLogGroup (same for `kmsKeyId`); CloudWatch
Logs User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS", step 2: the key policy
must allow the service principal `logs.REGION.amazonaws.com` (kms:Encrypt*, Decrypt*,
ReEncrypt*, GenerateDataKey*, Describe*), optionally under an `ArnLike`/`ArnEquals`
condition on `kms:EncryptionContext:aws:logs:arn`. The message wording is assumed. A log
group without a key of its own is unchanged by DisassociateKmsKey (AWS answers success)."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.models import logs_backends
from moto.logs.responses import LogsResponse

from .. import rejections
from . import add, logs, wrap
from .kms_managed import customer_key

NEEDED = "kms:GenerateDataKey"


def _actions(statement: dict[str, Any]) -> list[str]:
    a = statement.get("Action", [])
    return [a] if isinstance(a, str) else list(a)


def _allows_logs(policy: dict[str, Any], region: str, group_arn: str) -> bool:
    """True when an Allow statement lets `logs.REGION.amazonaws.com` generate data keys for
    `group_arn` (its ArnLike/ArnEquals condition on the encryption context, when any)."""
    service = f"logs.{region}.amazonaws.com"
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    for s in statements:
        if s.get("Effect") != "Allow":
            continue
        principal = s.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        if service not in services:
            continue
        if not any(fnmatch.fnmatchcase(NEEDED, a) for a in _actions(s)):
            continue
        condition = s.get("Condition", {})
        patterns: list[str] = []
        for op in ("ArnLike", "ArnEquals", "StringLike", "StringEquals"):
            v = condition.get(op, {}).get("kms:EncryptionContext:aws:logs:arn")
            if v is not None:
                patterns += [v] if isinstance(v, str) else list(v)
        if not patterns or any(fnmatch.fnmatchcase(group_arn, p) for p in patterns):
            return True
    return False


def check_key(account: str, region: str, key_id: str, group: str, operation: str) -> str:
    """The key's ARN when CloudWatch Logs may use it for `group`; else the refusal."""
    group_arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    key = customer_key(account, region, key_id)
    refusal = InvalidParameterException(
        msg=f"The specified KMS key does not exist or is not allowed to be used with Arn '{group_arn}'"
    )
    if key is None or getattr(key, "key_state", "Enabled") != "Enabled" or not key.enabled:
        raise rejections.rule(refusal, "logs", operation)
    try:
        policy = json.loads(key.policy)
    except (TypeError, ValueError):
        policy = {}
    if not _allows_logs(policy, region, group_arn):
        raise rejections.rule(refusal, "logs", operation)
    return key.arn


def apply(state: Any) -> None:
    logs.apply(state)

    @wrap(LogsResponse, "create_log_group")
    def create_log_group(orig: Any, self: LogsResponse) -> Any:
        key_id = self._get_param("kmsKeyId")
        if key_id:
            check_key(self.current_account, self.region, key_id, self._get_param("logGroupName"), "CreateLogGroup")
        return orig(self)

    def group_of(self: LogsResponse, operation: str) -> Any:
        name = self._get_param("logGroupName")
        backend = logs_backends[self.current_account][self.region]
        group = backend.groups.get(name)
        if group is None:
            raise rejections.rule(
                ResourceNotFoundException("The specified log group does not exist."), "logs", operation
            )
        return group

    @add(LogsResponse)
    def associate_kms_key(self: LogsResponse) -> Any:
        group = group_of(self, "AssociateKmsKey")
        group.kms_key_id = check_key(
            self.current_account, self.region, self._get_param("kmsKeyId"), group.name, "AssociateKmsKey"
        )
        return ""

    @add(LogsResponse)
    def disassociate_kms_key(self: LogsResponse) -> Any:
        group = group_of(self, "DisassociateKmsKey")
        group.kms_key_id = None
        return ""
