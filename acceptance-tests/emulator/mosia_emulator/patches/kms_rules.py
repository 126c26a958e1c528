"""KMS: AWS's key-state rules for the calls the provider makes (moto 5.2.5 accepts them in
any state). Each refusal is recorded under "rejected".

Sources: KMS Developer Guide, "Key states of AWS KMS keys" (the table of which operations a
key in each state accepts: a Disabled key cannot be rotated, a PendingDeletion key can only
be described, listed, tagged and have its deletion cancelled) and "Rotate AWS KMS keys"
(automatic rotation only for symmetric encryption keys); the API reference of each call. The
state messages follow KMSInvalidStateException's form "<key ARN> is pending deletion." /
"... is disabled." / "... is not pending deletion."; the rotation refusal's wording is
assumed.

- CreateAlias: the name starts with alias/ (moto) and not alias/aws/ (reserved for AWS
  managed keys: NotAuthorizedException); a duplicate is AlreadyExistsException (moto).
- ScheduleKeyDeletion: PendingWindowInDays 7-30 (the model allows 1-365; KMS answers
  ValidationException "... Member must have value greater than or equal to 7"); a key
  already pending deletion is refused.
- CancelKeyDeletion: only a key pending deletion; the key comes back Disabled (moto left
  `Enabled: true` beside `KeyState: Disabled` when the key had been re-enabled meanwhile).
- EnableKey, EnableKeyRotation on a key pending deletion: KMSInvalidStateException;
  EnableKeyRotation on a Disabled key too, and on an asymmetric or HMAC key:
  UnsupportedOperationException.
- Key ARNs work as KeyId for DisableKey, EnableKey, ScheduleKeyDeletion, CancelKeyDeletion and
  the rotation calls, as in AWS (moto: an internal error)."""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.kms.exceptions import ValidationException
from moto.kms.models import KmsBackend
from moto.kms.responses import KmsResponse

from .. import rejections
from . import wrap


class KMSInvalidStateException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("KMSInvalidStateException", message)


class UnsupportedOperationException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("UnsupportedOperationException", message)


class NotAuthorizedException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("NotAuthorizedException", message)


def key_of(response: KmsResponse, key_id: str | None) -> Any:
    """The key a KeyId (ID, ARN, alias name or alias ARN) names, or None (moto answers)."""
    backend = response.kms_backend
    try:
        return backend.keys.get(backend.any_id_to_key_id(key_id or ""))
    except Exception:  # an unknown alias: moto's NotFoundException follows
        return None


def refuse(error: JsonRESTError, operation: str) -> JsonRESTError:
    return rejections.rule(error, "kms", operation)


# KmsBackend methods that index their keys by raw key ID only.
BY_KEY_ID = (
    "disable_key", "enable_key", "cancel_key_deletion", "schedule_key_deletion",
    "enable_key_rotation", "disable_key_rotation", "get_key_rotation_status",
)


def accept_key_arns() -> None:
    for name in BY_KEY_ID:

        @wrap(KmsBackend, name)
        def by_id(orig: Any, self: KmsBackend, key_id: str, *args: Any, **kwargs: Any) -> Any:
            return orig(self, self.get_key_id(key_id), *args, **kwargs)


def apply(state: Any) -> None:
    _ = state
    accept_key_arns()

    @wrap(KmsResponse, "create_alias")
    def create_alias(orig: Any, self: KmsResponse) -> Any:
        name = self._get_param("AliasName") or ""
        if name.startswith("alias/aws/"):
            raise refuse(
                NotAuthorizedException(f"{name} is reserved: the alias/aws/ prefix is for AWS managed keys"),
                "CreateAlias",
            )
        return orig(self)

    @wrap(KmsResponse, "schedule_key_deletion")
    def schedule_key_deletion(orig: Any, self: KmsResponse) -> Any:
        days = self._get_param("PendingWindowInDays")
        if days is not None and not 7 <= int(days) <= 30:
            bound = "greater than or equal to 7" if int(days) < 7 else "less than or equal to 30"
            raise refuse(
                ValidationException(
                    f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed "
                    f"to satisfy constraint: Member must have value {bound}"
                ),
                "ScheduleKeyDeletion",
            )
        key = key_of(self, self._get_param("KeyId"))
        if key is not None and key.key_state == "PendingDeletion":
            raise refuse(KMSInvalidStateException(f"{key.arn} is pending deletion."), "ScheduleKeyDeletion")
        return orig(self)

    @wrap(KmsResponse, "cancel_key_deletion")
    def cancel_key_deletion(orig: Any, self: KmsResponse) -> Any:
        key = key_of(self, self._get_param("KeyId"))
        if key is not None and key.key_state != "PendingDeletion":
            raise refuse(KMSInvalidStateException(f"{key.arn} is not pending deletion."), "CancelKeyDeletion")
        result = orig(self)
        if key is not None:
            key.enabled = False
        return result

    @wrap(KmsResponse, "enable_key")
    def enable_key(orig: Any, self: KmsResponse) -> Any:
        key = key_of(self, self._get_param("KeyId"))
        if key is not None and key.key_state == "PendingDeletion":
            raise refuse(KMSInvalidStateException(f"{key.arn} is pending deletion."), "EnableKey")
        return orig(self)

    @wrap(KmsResponse, "enable_key_rotation")
    def enable_key_rotation(orig: Any, self: KmsResponse) -> Any:
        key = key_of(self, self._get_param("KeyId"))
        if key is not None:
            if key.key_state == "PendingDeletion":
                raise refuse(KMSInvalidStateException(f"{key.arn} is pending deletion."), "EnableKeyRotation")
            if key.key_state == "Disabled":
                raise refuse(KMSInvalidStateException(f"{key.arn} is disabled."), "EnableKeyRotation")
            if key.key_spec != "SYMMETRIC_DEFAULT":
                raise refuse(
                    UnsupportedOperationException(
                        f"{key.arn} has KeySpec {key.key_spec}: automatic rotation is only "
                        "supported for symmetric encryption keys"
                    ),
                    "EnableKeyRotation",
                )
        return orig(self)
