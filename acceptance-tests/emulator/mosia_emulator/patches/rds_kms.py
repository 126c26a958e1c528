"""RDS and KMS keys: the storage key of DB instances (CreateDBInstance `KmsKeyId` with
`StorageEncrypted`, read replicas, blue/green green instances) and the key of the master
user secret RDS manages in Secrets Manager (`MasterUserSecretKmsKeyId`).

Applied for the "rds" service: `apply` applies `rds_blue_green` (and through it `rds`) first,
so these wrappers see each request before the other RDS patches.

moto 5.2.5 accepted `KmsKeyId` without `StorageEncrypted` (and dropped it), any key string
(missing, disabled or pending-deletion keys included), reported the key as given (an alias
stayed an alias) and `default_kms_key_id` for an instance encrypted without a key; the master
secret's key was not checked either.

Sources:
- CreateDBInstance API reference, `KmsKeyId`: "If StorageEncrypted is enabled, and you do not
  specify a value for the KmsKeyId parameter, then Amazon RDS uses your default KMS key"; RDS
  User Guide, "Encrypting Amazon RDS resources": the default key is the AWS managed key
  `aws/rds`, created in the account on first use (`kms_managed.aws_managed_key_arn`). Key
  given without StorageEncrypted: InvalidParameterCombination "You must enable
  StorageEncrypted when you specify KmsKeyId for DB engine mariadb" (aquasecurity/tfsec #495).
- A key that does not exist, is not enabled (disabled, pending deletion) or is in another
  Region: KMSKeyNotAccessibleFault "The specified KMS key [arn:aws:kms:...] does not exist, is
  not enabled or you do not have permissions to access it." (terraform-provider-aws #16362,
  a key of another Region). RDS User Guide, "AWS KMS key management": "Amazon RDS supports
  only symmetric encryption KMS keys": an asymmetric or HMAC key is refused the same way
  (the code for that case is assumed).
- DescribeDBInstances `KmsKeyId` is the key ARN even when the request named an alias ARN
  (terraform-provider-aws #229 / hashicorp/terraform #8259, #25713: "the AWS returned value is
  the actual KMS Key's ARN, not the Alias's"); a key ID or alias name is reported the same way
  (assumed from the same behaviour).
- CreateDBInstanceReadReplica reference, `KmsKeyId`: "If you create an encrypted read replica
  in the same Amazon Web Services Region as the source DB instance ..., don't specify a value
  for this parameter. A read replica in the same Amazon Web Services Region is always
  encrypted with the same KMS key as the source"; given anyway: InvalidParameterCombination
  "Your request does not require the KMS key parameter. Please remove the KMS key parameter
  and try your request again." (cloudposse/terraform-aws-rds-replica #5). In another Region
  the key is required for an encrypted source: "Cannot create a cross region unencrypted read
  replica from encrypted source." (terraform-aws-modules/terraform-aws-rds #428); "You can't
  create an encrypted read replica from an unencrypted DB instance" (same reference; code and
  wording of that refusal assumed).
- CreateDBInstance / ModifyDBInstance reference, `MasterUserSecretKmsKeyId`: the key of the
  secret RDS creates when ManageMasterUserPassword is turned on; "If you don't specify
  MasterUserSecretKmsKeyId, then the aws/secretsmanager KMS key is used"; on modify "If the
  DB instance already manages the master user password in Amazon Web Services Secrets
  Manager, you can't change the KMS key that is used to encrypt the secret" (refused with
  InvalidParameterCombination, code and wording assumed). An inaccessible secret key is
  KMSKeyNotAccessibleFault as for storage (assumed). DescribeDBInstances
  `MasterUserSecret.KmsKeyId` is the key ARN (moto); the secret's own DescribeSecret
  `KmsKeyId` is the key ARN (assumed), absent for aws/secretsmanager (Secrets Manager
  DescribeSecret reference: "If the secret is encrypted with the Amazon Web Services managed
  key aws/secretsmanager, this field is omitted").
- Blue/green deployments: the green instance is created with the blue instance's storage
  key (`rds_blue_green` copies `kms_key_id`; RDS User Guide, "Overview of Amazon RDS
  Blue/Green Deployments": green is a copy of the production environment's configuration).

Restores and green instances are not refused here (their key was accepted before); their key
is reported as an ARN too."""

from __future__ import annotations

from typing import Any

from moto.rds.exceptions import InvalidParameterCombination, RDSClientError
from moto.rds.models import RDSBackend

from . import rds_blue_green, wrap
from . import rds_rules as rules
from .kms_managed import aws_managed_key_arn, customer_key
from .kms_policy import usable_key

# moto's placeholder for "encrypted with the default key".
MOTO_DEFAULT_KEY = "default_kms_key_id"


class KMSKeyNotAccessibleFault(RDSClientError):
    def __init__(self, key_id: str) -> None:
        super().__init__(
            "KMSKeyNotAccessibleFault",
            f"The specified KMS key [{key_id}] does not exist, is not enabled or you do not have "
            "permissions to access it.",
        )


def key_arn(backend: RDSBackend, key_id: str, operation: str) -> str:
    key = usable_key(backend.account_id, backend.region_name, key_id)
    if key is None:
        raise rules.refuse(KMSKeyNotAccessibleFault(key_id), operation)
    return str(key.arn)


def check_create(backend: RDSBackend, kwargs: dict[str, Any], checking: bool) -> None:
    """CreateDBInstance (and restores, green instances: `checking` False): the storage key and
    the master secret's key, rewritten to their ARNs."""
    op = "CreateDBInstance"
    encrypted = rules.truthy(kwargs.get("storage_encrypted"))
    key_id = kwargs.get("kms_key_id")
    if checking and key_id and not encrypted:
        raise rules.refuse(
            InvalidParameterCombination(
                f"You must enable StorageEncrypted when you specify KmsKeyId for DB engine {kwargs.get('engine')}"
            ),
            op,
        )
    if encrypted and key_id and key_id != MOTO_DEFAULT_KEY:
        if checking:
            kwargs["kms_key_id"] = key_arn(backend, key_id, op)
        else:
            key = usable_key(backend.account_id, backend.region_name, key_id)
            if key is not None:
                kwargs["kms_key_id"] = key.arn
    secret_key = kwargs.get("master_user_secret_kms_key_id")
    if rules.truthy(kwargs.get("manage_master_user_password")) and secret_key:
        kwargs["master_user_secret_kms_key_id"] = key_arn(backend, secret_key, op)


def default_keys(backend: RDSBackend, db: Any) -> None:
    """An encrypted instance without a key of its own uses aws/rds; a master secret without
    one, aws/secretsmanager (both AWS managed keys, created on first use)."""
    if getattr(db, "storage_encrypted", False) and db.kms_key_id in (None, "", MOTO_DEFAULT_KEY):
        db.kms_key_id = aws_managed_key_arn(backend.account_id, backend.region_name, "rds")
    secret = getattr(getattr(db, "master_user_secret", None), "secret", None)
    if secret is not None and str(secret.kms_key_id or "").endswith("alias/aws/secretsmanager"):
        aws_managed_key_arn(backend.account_id, backend.region_name, "secretsmanager")


def arn_region(identifier: str) -> str | None:
    parts = str(identifier).split(":")
    return parts[3] if len(parts) > 6 and parts[0] == "arn" else None


def check_read_replica(backend: RDSBackend, kwargs: dict[str, Any]) -> None:
    """CreateDBInstanceReadReplica: same Region, the source's key and no KmsKeyId; another
    Region, a key of this Region for an encrypted source."""
    op = "CreateDBInstanceReadReplica"
    source_id = str(kwargs.get("source_db_instance_identifier") or "")
    key_id = kwargs.get("kms_key_id")
    region = arn_region(source_id)
    if region is None or region == backend.region_name:
        if key_id:
            raise rules.refuse(
                InvalidParameterCombination(
                    "Your request does not require the KMS key parameter. Please remove the KMS key "
                    "parameter and try your request again."
                ),
                op,
            )
        return
    try:
        source = backend.find_db_from_id(source_id)
    except Exception:
        return  # moto answers DBInstanceNotFound
    if getattr(source, "storage_encrypted", False) and not key_id:
        raise rules.refuse(
            InvalidParameterCombination("Cannot create a cross region unencrypted read replica from encrypted source."),
            op,
        )
    if key_id and not getattr(source, "storage_encrypted", False):
        raise rules.refuse(
            InvalidParameterCombination("You can't create an encrypted read replica from an unencrypted DB instance."),
            op,
        )
    if key_id:
        kwargs["kms_key_id"] = key_arn(backend, key_id, op)


def check_modify(backend: RDSBackend, db: Any, kwargs: dict[str, Any]) -> bool:
    """ModifyDBInstance with MasterUserSecretKmsKeyId: only when turning ManageMasterUserPassword
    on; the key of a secret RDS already manages cannot change. Answers whether the request
    turns management on."""
    op = "ModifyDBInstance"
    secret_key = kwargs.get("master_user_secret_kms_key_id")
    turning_on = rules.truthy(kwargs.get("manage_master_user_password"))
    secret = getattr(getattr(db, "master_user_secret", None), "secret", None)
    managed = bool(getattr(db, "manage_master_user_password", False)) and secret is not None
    if not secret_key:
        return turning_on and not managed
    if managed:
        current = usable_key(backend.account_id, backend.region_name, str(secret.kms_key_id or ""))
        wanted = customer_key(backend.account_id, backend.region_name, secret_key)
        if current is None or wanted is None or wanted.arn != current.arn:
            raise rules.refuse(
                InvalidParameterCombination(
                    "You can't change the KMS key of the master user secret while the DB instance "
                    "manages its master user password in Secrets Manager."
                ),
                op,
            )
        kwargs["master_user_secret_kms_key_id"] = current.arn
        return False
    if turning_on:
        kwargs["master_user_secret_kms_key_id"] = key_arn(backend, secret_key, op)
    return turning_on


def apply(state: Any) -> None:
    rds_blue_green.apply(state)

    @wrap(RDSBackend, "create_db_instance")
    def create_db_instance(orig: Any, self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        standalone = db_kwargs.get("db_cluster_identifier") is None
        if standalone:
            check_create(self, db_kwargs, checking=not getattr(self, "_mosia_restoring", False))
        db = orig(self, db_kwargs)
        if standalone:
            default_keys(self, db)
        return db

    @wrap(RDSBackend, "create_db_instance_read_replica")
    def create_read_replica(orig: Any, self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        check_read_replica(self, db_kwargs)
        return orig(self, db_kwargs)

    @wrap(RDSBackend, "modify_db_instance")
    def modify_db_instance(orig: Any, self: RDSBackend, db_instance_identifier: str, db_kwargs: dict[str, Any]) -> Any:
        db = self.databases.get(db_instance_identifier)
        turning_on = check_modify(self, db, db_kwargs) if db is not None else False
        result = orig(self, db_instance_identifier, db_kwargs)
        if turning_on:
            default_keys(self, result)
        return result
