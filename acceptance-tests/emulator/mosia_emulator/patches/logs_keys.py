"""CloudWatch Logs and KMS keys: a log group's key (CreateLogGroup `kmsKeyId`,
AssociateKmsKey, which moto 5.2.5 lacks, and DisassociateKmsKey) must exist in the log group's
Region, be enabled, be a symmetric encryption key and let CloudWatch Logs use it by its key
policy. DescribeLogGroups shows the `kmsKeyId` given.

Sources: CloudWatch Logs API reference, AssociateKmsKey ("If you attempt to associate a KMS
key with a log group but the KMS key does not exist or the KMS key is disabled, you receive
an InvalidParameterException error"; "This must be a symmetric KMS key"; "CloudWatch Logs
supports only symmetric KMS keys") and CreateLogGroup (same for `kmsKeyId`); CloudWatch Logs
User Guide, "Encrypt log data in CloudWatch Logs using AWS KMS", step 2: the key policy must
allow the service principal `logs.REGION.amazonaws.com` (kms:Encrypt*, Decrypt*, ReEncrypt*,
GenerateDataKey*, Describe*), optionally under an `ArnLike`/`ArnEquals` condition on
`kms:EncryptionContext:aws:logs:arn` (the log group's ARN
`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`). A key policy that does not let CloudWatch Logs
in is refused with AccessDeniedException "The specified KMS key does not exist or is not
allowed to be used with Arn 'arn:aws:logs:...:log-group:NAME'" on CreateLogGroup and
AssociateKmsKey (terraform-provider-aws #29282, ministryofjustice/modernisation-platform
#7870, aws/aws-cdk #28304). The policy is read by `kms_policy.allows`: CloudWatch Logs needs
kms:GenerateDataKey and kms:Decrypt with the log group's encryption context. The wording of
the InvalidParameterException messages (missing, disabled or asymmetric key) is assumed. A
log group without a key of its own is unchanged by DisassociateKmsKey (AWS answers success)."""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.models import logs_backends
from moto.logs.responses import LogsResponse

from .. import rejections
from . import add, kms_policy, logs, wrap
from .kms_managed import customer_key

# What CloudWatch Logs does with the key for a log group (envelope encryption of the log data).
NEEDED = ("kms:GenerateDataKey", "kms:Decrypt")
CONTEXT_KEY = "kms:EncryptionContext:aws:logs:arn"


class AccessDeniedException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message)


def allows_logs(policy: dict[str, Any], region: str, group_arn: str, key_arn: str) -> bool:
    """The key policy lets `logs.REGION.amazonaws.com` use the key for `group_arn`."""
    service = f"logs.{region}.amazonaws.com"
    return all(
        kms_policy.allows(policy, action, service=service, context={CONTEXT_KEY: group_arn}, key_arn=key_arn)
        for action in NEEDED
    )


def check_key(account: str, region: str, key_id: str, group: str, operation: str) -> str:
    """The key's ARN when CloudWatch Logs may use it for `group`; else the refusal."""
    group_arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    key = customer_key(account, region, key_id)
    if key is None or getattr(key, "region", region) != region:
        raise rejections.rule(
            InvalidParameterException(msg=f"Specified KMS key {key_id} does not exist."), "logs", operation
        )
    if getattr(key, "key_state", "Enabled") != "Enabled" or not key.enabled:
        raise rejections.rule(
            InvalidParameterException(msg=f"Specified KMS key {key.arn} is not enabled."), "logs", operation
        )
    usage = getattr(key, "key_usage", None) or "ENCRYPT_DECRYPT"
    if key.key_spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        raise rejections.rule(
            InvalidParameterException(
                msg=f"Specified KMS key {key.arn} is not a symmetric encryption key: CloudWatch Logs "
                "supports only symmetric KMS keys."
            ),
            "logs",
            operation,
        )
    try:
        policy = kms_policy.parse(key.policy)
    except (TypeError, ValueError):
        policy = {}
    if not allows_logs(policy, region, group_arn, key.arn):
        raise rejections.rule(
            AccessDeniedException(
                f"The specified KMS key does not exist or is not allowed to be used with Arn '{group_arn}'"
            ),
            "logs",
            operation,
        )
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
        key_id = self._get_param("kmsKeyId")
        check_key(self.current_account, self.region, key_id, group.name, "AssociateKmsKey")
        group.kms_key_id = key_id
        return ""

    @add(LogsResponse)
    def disassociate_kms_key(self: LogsResponse) -> Any:
        group = group_of(self, "DisassociateKmsKey")
        group.kms_key_id = None
        return ""
