"""ElastiCache and KMS keys: CreateReplicationGroup `KmsKeyId`, the customer managed key of
at-rest encryption (moto 5.2.5 stored any string, with or without at-rest encryption, as
given).

Applied for the "elasticache" service: `apply` applies `elasticache_pending` (and through it
the other ElastiCache patches) first, so this check runs before theirs.

Sources:
- ElastiCache User Guide, "At-Rest Encryption in ElastiCache": "ElastiCache offers default
  (service managed) encryption at rest, as well as ability to use your own symmetric customer
  managed AWS KMS keys"; "Using customer managed keys from AWS KMS": "ElastiCache supports
  symmetric customer managed AWS KMS keys ... The keys must be created in AWS KMS before they
  can be used with ElastiCache".
- terraform-provider-aws, `aws_elasticache_replication_group` `kms_key_id` (the CloudFormation
  `KmsKeyId` documentation says the same): "If not supplied, uses service managed encryption.
  Can be specified only if at_rest_encryption_enabled = true." A secondary member of a global
  datastore takes a key without AtRestEncryptionEnabled (AWS rejects AtRestEncryptionEnabled
  with GlobalReplicationGroupId; terraform-aws-modules/terraform-aws-elasticache #71), so
  that case is let through.
- DescribeReplicationGroups `KmsKeyId` is the key ARN, an alias becomes its key's ARN
  (terraform-provider-aws #25713: "KMS Alias with RDS or Elasticache causes forced
  recreation", `kms_key_id = "arn:...:key/ID" -> "arn:...:alias/NAME"`); without a key of its
  own (service managed encryption) there is no KmsKeyId (moto, as AWS).

The codes and messages of the refusals are not published: InvalidParameterCombination for a
key without at-rest encryption (the code ElastiCache uses for its other parameter pairs) and
InvalidParameterValue for a key that does not exist in the Region, is not enabled, or is not
a symmetric encryption key are assumed, with assumed wording."""

from __future__ import annotations

from typing import Any

from moto.elasticache.exceptions import (
    InvalidParameterCombinationException,
    InvalidParameterValueException,
)
from moto.elasticache.models import ElastiCacheBackend

from . import elasticache_pending, wrap
from . import elasticache_rules as rules
from .kms_policy import usable_key


def check_create(backend: ElastiCacheBackend, kwargs: dict[str, Any]) -> None:
    """The key is given with at-rest encryption and is usable; rewritten to its ARN."""
    op = "CreateReplicationGroup"
    key_id = kwargs.get("kms_key_id")
    if not key_id:
        return
    if not kwargs.get("at_rest_encryption_enabled") and not kwargs.get("global_replication_group_id"):
        raise rules.refuse(
            InvalidParameterCombinationException(
                "KmsKeyId can be specified only when AtRestEncryptionEnabled is true."
            ),
            op,
        )
    key = usable_key(backend.account_id, backend.region_name, key_id)
    if key is None:
        raise rules.refuse(
            InvalidParameterValueException(
                f"The KMS key {key_id} does not exist, is not enabled or is not a symmetric "
                "encryption key."
            ),
            op,
        )
    kwargs["kms_key_id"] = key.arn


def apply(state: Any) -> None:
    elasticache_pending.apply(state)

    @wrap(ElastiCacheBackend, "create_replication_group")
    def create_replication_group(orig: Any, self: ElastiCacheBackend, *args: Any, **kwargs: Any) -> Any:
        check_create(self, kwargs)
        return orig(self, *args, **kwargs)
