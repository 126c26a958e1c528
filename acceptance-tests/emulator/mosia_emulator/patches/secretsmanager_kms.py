"""Secrets Manager and KMS keys: CreateSecret and UpdateSecret `KmsKeyId`, and writing a value
(CreateSecret, UpdateSecret, PutSecretValue) under the secret's key (moto 5.2.5 accepted any
key string and never looked at the key's state).

Applied for the "secretsmanager" service: `apply` applies `secretsmanager` first. The master
user secrets RDS creates do not come through here (`rds_kms` checks their key).

Sources:
- CreateSecret / UpdateSecret API reference, `KmsKeyId` ("The ARN, key ID, or alias of the KMS
  key that Secrets Manager uses to encrypt the secret value ... If you don't specify this
  value, then Secrets Manager uses the key aws/secretsmanager"); an unknown key is
  InvalidParameterException "The operation failed because of an invalid KMS key: Invalid
  keyId" (terraform-provider-aws #13303; boto/boto3 #1533: "If I specify a invalid key id or
  alias, I do get an InvalidParameterException"). A key of another Region is unknown there.
- CreateSecret / UpdateSecret / PutSecretValue errors, EncryptionFailure: "Secrets Manager
  can't encrypt the protected secret text using the provided KMS key. Check that the KMS key
  is available, enabled, and not in an invalid state" (API reference); that description is
  used as the message (AWS's exact wording assumed). Refused only when there is a value to
  encrypt: a secret created without a value is not encrypted yet, and Secrets Manager User
  Guide, "Change the encryption key for a secret": "When you change the encryption key,
  Secrets Manager re-encrypts AWSCURRENT, AWSPENDING, and AWSPREVIOUS versions with the new
  key", so UpdateSecret with a new key needs a usable key when the secret has a value. Secrets
  Manager encrypts with symmetric encryption keys only (Secrets Manager User Guide, "Secret
  encryption and decryption"): another key spec is refused the same way.
- DescribeSecret `KmsKeyId`: "If the secret is encrypted with the Amazon Web Services managed
  key aws/secretsmanager, this field is omitted" (API reference), also when that key is named
  explicitly (`alias/aws/secretsmanager` or its ARN); otherwise the identifier as given:
  terraform-provider-aws TestAccSecretsManagerSecret_kmsKeyID creates a secret with
  `kms_key_id = aws_kms_key.test1.id` (a key ID) and passes ImportStateVerify, so
  DescribeSecret answers the key ID it was given."""

from __future__ import annotations

import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.secretsmanager.models import SecretsManagerBackend, secretsmanager_backends
from moto.secretsmanager.responses import SecretsManagerResponse

from .. import rejections
from . import secretsmanager, wrap
from .kms_managed import customer_key
from .kms_policy import usable_key

SERVICE = "secretsmanager"
DEFAULT_KEY = SecretsManagerBackend.DEFAULT_KMS_KEY_ALIAS
INVALID_KEY = "The operation failed because of an invalid KMS key: Invalid keyId"
CANNOT_ENCRYPT = (
    "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check "
    "that the KMS key is available, enabled, and not in an invalid state."
)


class InvalidParameterException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("InvalidParameterException", message)


class EncryptionFailure(JsonRESTError):
    code = 400

    def __init__(self, message: str = CANNOT_ENCRYPT) -> None:
        super().__init__("EncryptionFailure", message)


def resolve(response: SecretsManagerResponse, key_id: str, operation: str) -> Any:
    """The key `key_id` names in the request's Region; InvalidParameterException if none."""
    account, region = response.current_account, response.region
    key = customer_key(account, region, key_id)
    if key is None or getattr(key, "region", region) != region:
        raise rejections.rule(InvalidParameterException(INVALID_KEY), SERVICE, operation)
    return key


def check_usable(response: SecretsManagerResponse, key_id: str | None, operation: str) -> None:
    """A value is encrypted under `key_id` (None: aws/secretsmanager, always usable)."""
    if not key_id or key_id == DEFAULT_KEY:
        return
    if usable_key(response.current_account, response.region, key_id) is None:
        raise rejections.rule(EncryptionFailure(), SERVICE, operation)


def is_default(key: Any) -> bool:
    return getattr(key, "key_manager", "") == "AWS" and DEFAULT_KEY in getattr(key, "aliases", {})


def secret_of(response: SecretsManagerResponse, secret_id: str | None) -> Any:
    backend = secretsmanager_backends[response.current_account][response.region]
    return backend.secrets.get(secret_id) if secret_id else None


def has_value(secret: Any) -> bool:
    return bool(getattr(secret, "versions", None))


def gives_value(response: SecretsManagerResponse) -> bool:
    return response._get_param("SecretString") is not None or response._get_param("SecretBinary") is not None


def apply(state: Any) -> None:
    secretsmanager.apply(state)

    @wrap(SecretsManagerResponse, "create_secret")
    def create_secret(orig: Any, self: SecretsManagerResponse) -> Any:
        op = "CreateSecret"
        key_id = self._get_param("KmsKeyId")
        key = resolve(self, key_id, op) if key_id else None
        if key is not None and gives_value(self):
            check_usable(self, key_id, op)
        result = orig(self)
        if key is not None and is_default(key):
            secret = secret_of(self, json.loads(result).get("ARN"))
            if secret is not None:
                secret.kms_key_id = DEFAULT_KEY
        return result

    @wrap(SecretsManagerResponse, "update_secret")
    def update_secret(orig: Any, self: SecretsManagerResponse) -> Any:
        op = "UpdateSecret"
        secret = secret_of(self, self._get_param("SecretId"))
        key_id = self._get_param("KmsKeyId")
        key = resolve(self, key_id, op) if key_id else None
        if secret is not None:
            if key is not None and (has_value(secret) or gives_value(self)):
                check_usable(self, key_id, op)
            elif key is None and gives_value(self):
                check_usable(self, getattr(secret, "kms_key_id", None), op)
        result = orig(self)
        if key is not None and is_default(key) and secret is not None:
            secret.kms_key_id = DEFAULT_KEY
        return result

    @wrap(SecretsManagerResponse, "put_secret_value")
    def put_secret_value(orig: Any, self: SecretsManagerResponse) -> Any:
        secret = secret_of(self, self._get_param("SecretId"))
        if secret is not None:
            check_usable(self, getattr(secret, "kms_key_id", None), "PutSecretValue")
        return orig(self)
