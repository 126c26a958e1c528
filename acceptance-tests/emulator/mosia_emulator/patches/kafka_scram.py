"""MSK (kafka): SASL/SCRAM secret association (BatchAssociateScramSecret,
BatchDisassociateScramSecret, ListScramSecrets), the security rules around SCRAM, and
encryption at rest with a KMS key.

Applied in place of `kafka` (the `kafka` entry of `patches.MODULES`): `apply` runs
`kafka.apply` first (which applies `kafka_rules` and `kafka_configurations`), so these wrappers
are the outermost ones. moto 5.2.5 has none of the three SCRAM calls, and keeps
`dataVolumeKMSKeyId` unchecked (`kafka.default_encryption` invented a random key ARN).

Sources:
- MSK Developer Guide, "Sign-in credentials authentication with AWS Secrets Manager"
  (msk-password; awsdocs/amazon-msk-developer-guide doc_source/msk-password.md): the secret's
  name "must have the prefix AmazonMSK_"; "A secret created with the default AWS KMS key cannot
  be used with an Amazon MSK cluster"; "When you associate a secret with a cluster, Amazon MSK
  attaches a resource policy to the secret that allows your cluster to access and read the
  secret values"; Limitations: "You can associate up to 10 secrets with a cluster at a time
  using the BatchAssociateScramSecret operation", "Secrets associated with an Amazon MSK cluster
  must be in the same Amazon Web Services account and AWS region as the cluster"; "When you set
  up SASL/SCRAM authentication for your cluster, Amazon MSK turns on TLS encryption for all
  traffic between clients and brokers".
- MSK API reference, "Scram Secrets" (/v1/clusters/{clusterArn}/scram-secrets): POST
  BatchAssociateScramSecret, PATCH BatchDisassociateScramSecret, GET ListScramSecrets
  (maxResults, "default maximum 100 results per API call", nextToken); the answers carry
  `clusterArn` and `unprocessedScramSecrets` [{secretArn, errorCode, errorMessage}] with HTTP 200
  (botocore kafka model). The call's own errors: BadRequestException, NotFoundException (404).
- Per-secret error codes and messages, as AWS answers them:
  - `InvalidSecretArn` / "The provided secret arn cannot be used with Amazon MSK. Secret names
    must have the prefix 'AmazonMSK_'" (aws-controllers-k8s/community#2546, a secret named
    without the prefix);
  - `InvalidSecretArn` / "Amazon MSK wasn't able to access the provided secret."
    (aws/aws-cdk#34794);
  - "The provided secret is already associated with this cluster. To update the association,
    first disassociate the secret." (an AWS sample's user manager, MIT-0, matches this
    unprocessed message on re-association; terraform-provider-aws's first
    aws_msk_scram_secret_association skipped already associated secrets "to prevent API errors
    e.g. ... The provided secret is already associated with this cluster.");
  - "The provided secret ARN is invalid." on disassociating a secret that is not associated
    (same AWS sample, which ignores it when retrying a disassociation); terraform-provider-aws
    (internal/service/kafka/scram_secret_association.go, disassociateSRAMSecrets) ignores
    errorCode `InvalidSecretArn` on disassociation for the same reason;
  - "The requested resource doesn’t exist." (with U+2019) for a deleted secret
    (pulumi/pulumi#14523, through terraform-provider-aws's "scram secret (ARN): <errorMessage>").
  Assumed: the error code `InvalidSecretArn` for every per-secret failure (the only code seen
  published); which message answers a secret encrypted with the default key
  (aws/secretsmanager) or with a missing/disabled key ("wasn't able to access", as MSK cannot
  decrypt it), a secret of another account or Region and a malformed ARN ("ARN is invalid").
- The resource policy MSK attaches: terraform-provider-aws docs for
  aws_msk_scram_secret_association ("This policy is attached automatically when the
  aws_msk_scram_secret_association is used") and its acceptance test, which writes the same
  policy by hand: Sid `AWSKafkaResourcePolicy`, Principal Service `kafka.amazonaws.com`, Action
  `secretsmanager:getSecretValue`, Resource the secret's ARN. Appended to an existing policy
  (assumed); left in place on disassociation (not documented either way).
- A cluster needs SASL/SCRAM client authentication for associations (terraform-provider-aws
  docs: "The following assumes the MSK cluster has SASL/SCRAM authentication enabled"):
  BadRequestException, wording assumed. The 10-per-call limit: BadRequestException, wording
  assumed (terraform-provider-aws sends chunks of 10: scramSecretBatchSize).
- SCRAM needs TLS between clients and brokers: the existing `kafka_rules.check_authentication`
  (ClientAuthentication reference: clientBroker TLS, or TLS_PLAINTEXT with unauthenticated
  access on) applies to CreateCluster, CreateClusterV2 and UpdateSecurity alike. The developer
  guide's UpdateSecurity table lists only TLS for SASL/SCRAM; the API reference, which allows
  TLS_PLAINTEXT with unauthenticated, is kept (the two disagree: terraform-provider-aws#20956).
- UpdateSecurity (developer guide "Updating a cluster's security settings"): "You can't change
  the in-cluster (broker-to-broker) encryption setting" (BadRequestException, wording assumed;
  the same value again is accepted: the operation is idempotent); encryption at rest cannot be
  updated: "Updating encryption-at-rest settings on your cluster is not currently supported."
  (aws-cloudformation/cloudformation-coverage-roadmap#1688).
- Encryption at rest (developer guide "How do I get started with encryption?",
  msk-working-with-encryption): `dataVolumeKMSKeyId` is "a customer managed key or the AWS
  managed key for MSK in your account (alias/aws/kafka). If you don't specify
  EncryptionAtRest, Amazon MSK still encrypts your data at rest under the AWS managed key. To
  determine which key your cluster is using, ... invoke the DescribeCluster API operation."
  A key that does not exist or is not Enabled is refused (BadRequestException, wording
  assumed; KMS "Key states": a disabled or pending-deletion key cannot encrypt). DescribeCluster
  answers the key's ARN, also when the request named it by ID or alias (assumed, as RDS, EBS
  and EKS answer the key ARN for an alias).

Not modelled (not documented): deleting an associated secret in Secrets Manager (the
association stays listed), the 1000-users-per-cluster limit, the cluster's state during
association.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from moto.kafka.models import KafkaBackend
from moto.kafka.responses import KafkaResponse

from .. import rejections
from . import add, kafka, kms_managed, wrap
from .kafka import arn_from_path, get_cluster, ok
from .kafka_rules import KafkaError

SECRET_PREFIX = "AmazonMSK_"
MAX_SECRETS_PER_CALL = 10
POLICY_SID = "AWSKafkaResourcePolicy"
DEFAULT_SECRETS_KEY = "alias/aws/secretsmanager"

INVALID_SECRET_ARN = "InvalidSecretArn"
MSG_PREFIX = (
    "The provided secret arn cannot be used with Amazon MSK. Secret names must have the "
    "prefix 'AmazonMSK_'"
)
MSG_NO_ACCESS = "Amazon MSK wasn't able to access the provided secret."
MSG_ALREADY = (
    "The provided secret is already associated with this cluster. To update the association, "
    "first disassociate the secret."
)
MSG_INVALID_ARN = "The provided secret ARN is invalid."
MSG_NOT_FOUND = "The requested resource doesn\u2019t exist."


def bad_request(message: str, operation: str) -> KafkaError:
    rejections.record("rule", "kafka", operation, "BadRequestException", message)
    return KafkaError("BadRequestException", message, 400)


def associations(cluster: Any) -> list[str]:
    """The full ARNs of the secrets associated with the cluster, in association order (kept on
    the cluster: deleting the cluster forgets them)."""
    found = cluster.__dict__.get("_mosia_scram_secrets")
    if found is None:
        found = cluster.__dict__["_mosia_scram_secrets"] = []
    return found


def scram_enabled(cluster: Any) -> bool:
    sasl = (cluster.client_authentication or {}).get("sasl") or {}
    return bool((sasl.get("scram") or {}).get("enabled"))


def unprocessed(arn: str, message: str, operation: str) -> dict[str, str]:
    rejections.record("rule", "kafka", operation, INVALID_SECRET_ARN, message)
    return {"secretArn": arn, "errorCode": INVALID_SECRET_ARN, "errorMessage": message}


# -- secrets ---------------------------------------------------------------------------------------
def secret_location(arn: str) -> tuple[str, str] | None:
    """(account, region) of a Secrets Manager secret ARN, else None."""
    parts = arn.split(":", 6) if isinstance(arn, str) else []
    if len(parts) != 7 or parts[0] != "arn" or parts[2] != "secretsmanager" or parts[5] != "secret":
        return None
    if not parts[3] or not parts[4] or not parts[6]:
        return None
    return parts[4], parts[3]


def find_secret(arn: str) -> Any | None:
    """moto's secret for a secret ARN (full or partial), else None."""
    where = secret_location(arn)
    if where is None:
        return None
    from moto.secretsmanager.models import secretsmanager_backends

    try:
        backend = secretsmanager_backends[where[0]][where[1]]
    except Exception:
        return None
    return backend.secrets.get(arn)


def usable_key(cluster: Any, secret: Any) -> str | None:
    """None when MSK can decrypt the secret, else the unprocessed message."""
    key_id = getattr(secret, "kms_key_id", None) or DEFAULT_SECRETS_KEY
    name = key_id
    if name.startswith("arn:") and ":alias/" in name:
        name = "alias/" + name.split(":alias/", 1)[1]
    if name.startswith(kms_managed.AWS_ALIAS_PREFIX):
        return MSG_NO_ACCESS  # the default (AWS managed) key: MSK cannot use it
    key = kms_managed.customer_key(cluster.account_id, cluster.region_name, key_id)
    if key is None or key.key_manager == "AWS" or key.key_state != "Enabled":
        return MSG_NO_ACCESS
    return None


def attach_policy(secret: Any) -> None:
    """The resource policy MSK attaches on association (kept if already there)."""
    statement = {
        "Sid": POLICY_SID,
        "Effect": "Allow",
        "Principal": {"Service": "kafka.amazonaws.com"},
        "Action": "secretsmanager:getSecretValue",
        "Resource": secret.arn,
    }
    current = getattr(secret, "policy", None)
    if not current:
        secret.policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        return
    try:
        doc = json.loads(current)
    except ValueError:
        return
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return
    if any(isinstance(s, dict) and s.get("Sid") == POLICY_SID for s in statements):
        return
    doc["Statement"] = statements + [statement]
    secret.policy = json.dumps(doc)


def associate(cluster: Any, arn: Any, op: str) -> dict[str, str] | None:
    """Associates one secret; the unprocessed entry when AWS would not."""
    where = secret_location(arn)
    if where is None or where != (cluster.account_id, cluster.region_name):
        return unprocessed(str(arn), MSG_INVALID_ARN, op)
    secret = find_secret(arn)
    if secret is None or (hasattr(secret, "is_deleted") and secret.is_deleted()):
        return unprocessed(arn, MSG_NOT_FOUND, op)
    current = associations(cluster)
    if secret.arn in current:
        return unprocessed(arn, MSG_ALREADY, op)
    if not str(secret.name).startswith(SECRET_PREFIX):
        return unprocessed(arn, MSG_PREFIX, op)
    problem = usable_key(cluster, secret)
    if problem is not None:
        return unprocessed(arn, problem, op)
    current.append(secret.arn)
    attach_policy(secret)
    return None


def disassociate(cluster: Any, arn: Any, op: str) -> dict[str, str] | None:
    current = associations(cluster)
    if arn in current:
        current.remove(arn)
        return None
    secret = find_secret(arn) if isinstance(arn, str) else None
    if secret is not None and secret.arn in current:
        current.remove(secret.arn)
        return None
    return unprocessed(str(arn), MSG_INVALID_ARN, op)


def secret_arn_list(body: dict[str, Any]) -> list[Any]:
    value = body.get("secretArnList")
    return list(value) if isinstance(value, list) else []


# -- encryption at rest ------------------------------------------------------------------------------
def requested_key(encryption_info: Any) -> str | None:
    at_rest = (encryption_info or {}).get("encryptionAtRest") if isinstance(encryption_info, dict) else None
    key = (at_rest or {}).get("dataVolumeKMSKeyId") if isinstance(at_rest, dict) else None
    return key or None


def check_at_rest_key(backend: KafkaBackend, encryption_info: Any, op: str) -> Any | None:
    """The KMS key a create request names for encryption at rest (None: the AWS managed key)."""
    key_id = requested_key(encryption_info)
    if key_id is None:
        return None
    key = kms_managed.customer_key(backend.account_id, backend.region_name, key_id)
    if key is None:
        raise bad_request(f"The KMS key {key_id} does not exist. Specify an existing KMS key.", op)
    if key.key_state != "Enabled":
        state = "pending deletion" if key.key_state == "PendingDeletion" else key.key_state.lower()
        raise bad_request(f"The KMS key {key.arn} is {state}. Specify an enabled KMS key.", op)
    return key


def set_at_rest_key(cluster: Any, key: Any | None) -> None:
    info = copy.deepcopy(cluster.encryption_info or {})
    at_rest = info.get("encryptionAtRest")
    if not isinstance(at_rest, dict):
        at_rest = info["encryptionAtRest"] = {}
    at_rest["dataVolumeKMSKeyId"] = (
        key.arn if key is not None
        else kms_managed.aws_managed_key_arn(cluster.account_id, cluster.region_name, "kafka")
    )
    cluster.encryption_info = info


# -- wiring -------------------------------------------------------------------------------------------------
def apply(state: Any) -> None:
    kafka.apply(state)

    @wrap(KafkaBackend, "create_cluster")
    def create_cluster(orig: Any, self: KafkaBackend, *args: Any, **kwargs: Any) -> Any:
        key = check_at_rest_key(self, kwargs.get("encryption_info"), "CreateCluster")
        arn, name, cluster_state = orig(self, *args, **kwargs)
        set_at_rest_key(self.clusters[arn], key)
        return arn, name, cluster_state

    @wrap(KafkaBackend, "create_cluster_v2")
    def create_cluster_v2(
        orig: Any, self: KafkaBackend, cluster_name: str, tags: Any, provisioned: Any, serverless: Any
    ) -> Any:
        key = None
        if provisioned:
            key = check_at_rest_key(self, provisioned.get("encryptionInfo"), "CreateClusterV2")
        result = orig(self, cluster_name, tags, provisioned, serverless)
        if provisioned:
            set_at_rest_key(self.clusters[result[0]], key)
        return result

    @wrap(KafkaResponse, "update_security")
    def update_security(orig: Any, self: KafkaResponse) -> Any:
        arn = arn_from_path(self, "/security")
        cluster = get_cluster(self.kafka_backend, arn)
        body = json.loads(self.body or "{}")
        encryption = body.get("encryptionInfo") or {}
        if isinstance(encryption, dict):
            if encryption.get("encryptionAtRest") is not None:
                raise bad_request(
                    "Updating encryption-at-rest settings on your cluster is not currently supported.",
                    "UpdateSecurity",
                )
            transit = encryption.get("encryptionInTransit") or {}
            wanted = transit.get("inCluster") if isinstance(transit, dict) else None
            current = ((cluster.encryption_info or {}).get("encryptionInTransit") or {}).get("inCluster", True)
            if wanted is not None and bool(wanted) != bool(current):
                raise bad_request(
                    "You can't update the in-cluster (broker-to-broker) encryption setting.",
                    "UpdateSecurity",
                )
        return orig(self)

    @add(KafkaResponse)
    def batch_associate_scram_secret(self: KafkaResponse) -> Any:
        op = "BatchAssociateScramSecret"
        arn = arn_from_path(self, "/scram-secrets")
        cluster = get_cluster(self.kafka_backend, arn)
        body = json.loads(self.body or "{}")
        secrets = secret_arn_list(body)
        if not scram_enabled(cluster):
            raise bad_request(
                f"SASL/SCRAM authentication is not enabled for the cluster {arn}. Turn on "
                "SASL/SCRAM client authentication before you associate secrets.", op,
            )
        if len(secrets) > MAX_SECRETS_PER_CALL:
            raise bad_request(
                f"You can associate up to {MAX_SECRETS_PER_CALL} secrets with a cluster at a "
                f"time ({len(secrets)} given).", op,
            )
        failed = [entry for entry in (associate(cluster, s, op) for s in secrets) if entry]
        return ok({"clusterArn": cluster.arn, "unprocessedScramSecrets": failed})

    @add(KafkaResponse)
    def batch_disassociate_scram_secret(self: KafkaResponse) -> Any:
        op = "BatchDisassociateScramSecret"
        arn = arn_from_path(self, "/scram-secrets")
        cluster = get_cluster(self.kafka_backend, arn)
        body = json.loads(self.body or "{}")
        failed = [
            entry for entry in (disassociate(cluster, s, op) for s in secret_arn_list(body)) if entry
        ]
        return ok({"clusterArn": cluster.arn, "unprocessedScramSecrets": failed})

    @add(KafkaResponse)
    def list_scram_secrets(self: KafkaResponse) -> Any:
        op = "ListScramSecrets"
        arn = arn_from_path(self, "/scram-secrets")
        cluster = get_cluster(self.kafka_backend, arn)
        items = list(associations(cluster))
        token = (self.querystring.get("nextToken") or [""])[0]
        size = (self.querystring.get("maxResults") or ["100"])[0]
        if token and not token.isdigit():
            raise bad_request(f"The nextToken {token} is not valid.", op)
        start = int(token or 0)
        size_n = int(size) if str(size).isdigit() else 100
        out: dict[str, Any] = {"secretArnList": items[start:start + size_n]}
        if start + size_n < len(items):
            out["nextToken"] = str(start + size_n)
        return ok(out)
