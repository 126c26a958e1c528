"""KMS keys as other services see them: AWS managed keys (`alias/aws/<service>`) and the
customer's keys named in another service's request. Shared by the patch modules of the
services that encrypt with KMS (MSK, RDS, ElastiCache, Logs, Secrets Manager); not a patch
module of its own (no `apply`).

Sources: KMS Developer Guide, "AWS KMS keys" / "AWS managed keys" (an AWS managed key is
created in the account by the service on first use, has `KeyManager: AWS` and the alias
`alias/aws/<service-name>`, e.g. `alias/aws/kafka` for MSK, `alias/aws/rds`); KMS API
reference, DescribeKey (`KeyMetadata.KeyManager`: `AWS` | `CUSTOMER`).

moto 5.2.5 creates a key for a few reserved `alias/aws/...` names on first lookup (e.g.
`alias/aws/secretsmanager`, `alias/aws/rds`) but with `KeyManager: CUSTOMER`, and knows no
`alias/aws/kafka`. `aws_managed_key_arn` creates the key on first use when missing and marks
it `KeyManager: AWS` either way, so DescribeKey answers as AWS does."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.RLock()

AWS_ALIAS_PREFIX = "alias/aws/"


def _backend(account_id: str, region: str) -> Any:
    from moto.kms.models import kms_backends

    return kms_backends[account_id][region]


def _mark_aws_managed(key: Any, service: str) -> None:
    key.key_manager = "AWS"
    if not key.description or key.description == "Default key":
        key.description = f"Default key that protects my {service} data when no other key is defined"


def aws_managed_key_arn(account_id: str, region: str, service: str) -> str:
    """The ARN of the AWS managed key `alias/aws/<service>` of that account and region,
    created (KeyManager AWS, symmetric, enabled) on first use."""
    alias = f"{AWS_ALIAS_PREFIX}{service}"
    backend = _backend(account_id, region)
    with _lock:
        key_id = None
        for key in backend.keys.values():
            if alias in key.aliases:
                key_id = key.id
                break
        if key_id is None:
            # moto's reserved aliases (alias/aws/rds, alias/aws/secretsmanager, ...) keep
            # their fixed key IDs when moto creates them; the others get a fresh key.
            try:
                key_id = backend.get_key_id_from_alias(alias)
            except Exception:
                key_id = None
        if key_id is None:
            key = backend.create_key(None, "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT", "", None)
            backend.create_alias(key.id, alias)
            key_id = key.id
        key = backend.keys[key_id]
        _mark_aws_managed(key, service)
        return key.arn


def _location(account_id: str, region: str, key_id_or_arn: str) -> tuple[str, str]:
    """The account and region an ARN names (a key in another region or account is looked
    up there), else the caller's."""
    if key_id_or_arn.startswith("arn:"):
        parts = key_id_or_arn.split(":", 5)
        if len(parts) == 6 and parts[2] == "kms" and parts[3] and parts[4]:
            return parts[4], parts[3]
    return account_id, region


def customer_key(account_id: str, region: str, key_id_or_arn: str) -> Any | None:
    """moto's key object for an existing key given by key ID, key ARN, alias name or alias
    ARN (any key manager), else None. An `alias/aws/<service>` name resolves to that AWS
    managed key (created on first use, as AWS does when the service first needs it)."""
    if not key_id_or_arn:
        return None
    account_id, region = _location(account_id, region, key_id_or_arn)
    try:
        backend = _backend(account_id, region)
    except Exception:
        return None
    name = key_id_or_arn
    if name.startswith("arn:") and ":alias/" in name:
        name = "alias/" + name.split(":alias/", 1)[1]
    with _lock:
        if name.startswith(AWS_ALIAS_PREFIX):
            service = name[len(AWS_ALIAS_PREFIX):]
            if not service:
                return None
            arn = aws_managed_key_arn(account_id, region, service)
            return backend.keys.get(arn.split(":key/", 1)[1])
        if name.startswith("alias/"):
            key_id = None
            for key in backend.keys.values():
                if name in key.aliases:
                    key_id = key.id
                    break
            return backend.keys.get(key_id) if key_id else None
        if name.startswith("arn:"):
            if ":key/" not in name:
                return None
            name = name.split(":key/", 1)[1]
        return backend.keys.get(name)
