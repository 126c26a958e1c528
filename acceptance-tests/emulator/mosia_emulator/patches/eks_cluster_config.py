"""EKS cluster settings moto 5.2.5 drops: accessConfig, upgradePolicy,
bootstrapSelfManagedAddons and secrets encryption on CreateCluster (returned by
DescribeCluster); UpdateClusterConfig with accessConfig (`AccessConfigUpdate`) or
upgradePolicy (`UpgradePolicyUpdate`); AssociateEncryptionConfig (`AssociateEncryptionConfig`);
the control-plane log group EKS creates itself.

AWS's rules (InvalidParameterException unless said; recorded under "rejected"):
- accessConfig: without it the mode is CONFIG_MAP; with it and no mode, API_AND_CONFIG_MAP
  (EKS API reference, CreateAccessConfigRequest); bootstrapClusterCreatorAdminPermissions
  defaults to true and gives the caller an access entry with AmazonEKSClusterAdminPolicy when
  the mode is not CONFIG_MAP; false with CONFIG_MAP is refused: "bootstrapClusterCreatorAdmin
  Permissions must be true if cluster authentication mode is set to CONFIG_MAP"
  (terraform-aws-eks #3206).
- the authentication mode moves one way, one step at a time: CONFIG_MAP -> API_AND_CONFIG_MAP
  -> API (EKS User Guide, "Grant IAM users access to Kubernetes with EKS access entries":
  "Switching authentication modes on an existing cluster is a one-way operation"); anything
  else: "Unsupported authentication mode update from API to API_AND_CONFIG_MAP" (wording
  modelled on EKS's "Unsupported Kubernetes minor version update from ... to ...").
- UpdateClusterConfig changes one kind of setting per call: "Only one type of update can be
  allowed." (assumed wording); one update at a time (ResourceInUseException, eks.py).
- upgradePolicy.supportType: EXTENDED unless given (EKS User Guide, "Cluster upgrade policy").
- encryptionConfig: resources ["secrets"] only; provider.keyArn required ("KeyArn is
  required", ACK community #1175); the key (ARN or alias ARN) must exist in the cluster's
  Region, be Enabled (not Disabled, not PendingDeletion) and be a symmetric ENCRYPT_DECRYPT key
  (EKS User Guide, "Encrypt Kubernetes secrets with KMS"; wording of these refusals assumed);
  AssociateEncryptionConfig on a cluster that has encryption: "Encryption is already enabled
  on the cluster" (crossplane-contrib/provider-aws #1520, #1794).
- logging: when a cluster is created (or updated) with enabled log types and the log group
  /aws/eks/NAME/cluster does not exist, EKS creates it, without retention (EKS User Guide,
  "Send control plane logs to CloudWatch Logs").
- no version: Kubernetes 1.33, EKS's default (moto: 1.19, long unsupported)."""

from __future__ import annotations

import json
from typing import Any

import moto.eks.models as eks_models
from moto.core.responses import ActionResult
from moto.eks import urls as eks_urls
from moto.eks.exceptions import EKSError
from moto.eks.responses import EKSResponse

from . import add, eks_access, eks_rules
from .eks_common import CLUSTER, get_cluster, record_update, require_active

DEFAULT_KUBERNETES_VERSION = "1.33"
MODE_ORDER = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")
OTHER_UPDATES = (
    "resourcesVpcConfig", "logging", "zonalShiftConfig", "computeConfig", "kubernetesNetworkConfig",
    "storageConfig", "remoteNetworkConfig", "deletionProtection", "controlPlaneScalingConfig",
)


def access_config_of(request: dict[str, Any] | None, cluster: str) -> dict[str, Any]:
    if request is None:
        return {"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}
    mode = request.get("authenticationMode") or "API_AND_CONFIG_MAP"
    bootstrap = request.get("bootstrapClusterCreatorAdminPermissions")
    bootstrap = True if bootstrap is None else bool(bootstrap)
    if mode == "CONFIG_MAP" and not bootstrap:
        raise eks_rules.invalid(
            "bootstrapClusterCreatorAdminPermissions must be true if cluster authentication mode "
            "is set to CONFIG_MAP",
            cluster,
        )
    return {"authenticationMode": mode, "bootstrapClusterCreatorAdminPermissions": bootstrap}


def caller_principal(response: EKSResponse) -> str:
    """The IAM principal of the caller, as EKS records the cluster creator: a role for an
    assumed-role session, else the user (moto's default caller: user/moto)."""
    from moto.sts.models import sts_backends

    account = response.current_account
    _, arn, _ = sts_backends[account]["global"].get_caller_identity(
        response.get_access_key(), response.region
    )
    parts = arn.split(":", 5)
    resource = parts[5]
    if resource.startswith("assumed-role/"):
        resource = "role/" + resource.split("/")[1]
    return f"arn:{parts[1]}:iam::{parts[4]}:{resource}"


def check_encryption(config: list[dict[str, Any]] | None, backend: Any, cluster: str) -> None:
    from moto.kms.models import kms_backends

    for item in config or []:
        if sorted(item.get("resources") or []) != ["secrets"]:
            raise eks_rules.invalid("Encryption is only supported for the resource type secrets", cluster)
        key_arn = (item.get("provider") or {}).get("keyArn")
        if not key_arn:
            raise eks_rules.invalid("KeyArn is required", cluster)
        parts = key_arn.split(":")
        if len(parts) < 6 or parts[2] != "kms" or parts[3] != backend.region_name:
            raise eks_rules.invalid(
                f"Key {key_arn} must be a KMS key ARN in the cluster's Region ({backend.region_name})",
                cluster,
            )
        kms = kms_backends[parts[4]][parts[3]]
        try:
            key = kms.keys[kms.any_id_to_key_id(key_arn)]
        except (KeyError, TypeError, AttributeError):
            raise eks_rules.invalid(f"Key {key_arn} not found", cluster)
        if key.key_state == "PendingDeletion":
            raise eks_rules.invalid(f"Key {key_arn} is pending deletion", cluster)
        if key.key_state != "Enabled":
            raise eks_rules.invalid(f"Key {key_arn} is disabled", cluster)
        if key.key_spec != "SYMMETRIC_DEFAULT" or (key.key_usage or "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
            raise eks_rules.invalid(
                f"Key {key_arn} must be a symmetric encryption key (KeySpec SYMMETRIC_DEFAULT, "
                "KeyUsage ENCRYPT_DECRYPT)",
                cluster,
            )


def ensure_log_group(backend: Any, cluster: Any) -> None:
    """EKS creates /aws/eks/NAME/cluster (never expiring) when logs are on and it is missing."""
    from moto.logs.models import logs_backends

    enabled = any(
        item.get("enabled") and item.get("types")
        for item in (cluster.logging or {}).get("clusterLogging", [])
    )
    if not enabled:
        return
    logs = logs_backends[backend.account_id][backend.region_name]
    name = f"/aws/eks/{cluster.name}/cluster"
    if name not in logs.groups:
        logs.create_log_group(name, {})


def apply() -> None:
    eks_models.DEFAULT_KUBERNETES_VERSION = DEFAULT_KUBERNETES_VERSION
    eks_urls.url_paths.setdefault(
        "{0}/clusters/(?P<name>[^/]+)/encryption-config/associate$", eks_urls.response.dispatch
    )
    previous_create = EKSResponse.create_cluster
    previous_update = EKSResponse.update_cluster_config

    @add(EKSResponse)
    def create_cluster(self: EKSResponse) -> ActionResult:
        name = self._get_param("name")
        backend = self.eks_backend
        access = None
        if name not in backend.clusters:  # else moto's ResourceInUseException
            try:
                access = access_config_of(self._get_param("accessConfig"), name)
                check_encryption(self._get_param("encryptionConfig"), backend, name)
            except EKSError as err:
                raise eks_rules.refuse(err, "CreateCluster")
        result = previous_create(self)
        cluster = backend.clusters[name]
        cluster.access_config = access
        cluster.upgrade_policy = {"supportType": (self._get_param("upgradePolicy") or {}).get("supportType") or "EXTENDED"}
        bootstrap = self._get_param("bootstrapSelfManagedAddons")
        cluster.bootstrap_self_managed_addons = True if bootstrap is None else bool(bootstrap)
        if access["authenticationMode"] != "CONFIG_MAP" and access["bootstrapClusterCreatorAdminPermissions"]:
            eks_access.bootstrap_creator(cluster, caller_principal(self))
        ensure_log_group(backend, cluster)
        return result

    @add(EKSResponse)
    def update_cluster_config(self: EKSResponse) -> ActionResult:
        access = self._get_param("accessConfig")
        upgrade = self._get_param("upgradePolicy")
        name = self._get_param("name")
        backend = self.eks_backend
        if not access and not upgrade:
            result = previous_update(self)
            ensure_log_group(backend, get_cluster(backend, name))
            return result
        cluster = get_cluster(backend, name)
        require_active(cluster, name, None, f"Cluster {name}")
        try:
            if (access and upgrade) or any(self._get_param(k) is not None for k in OTHER_UPDATES):
                raise eks_rules.invalid("Only one type of update can be allowed.", name)
            if access:
                return ActionResult({"update": access_update(backend, cluster, access)})
            return ActionResult({"update": upgrade_update(backend, cluster, upgrade)})
        except EKSError as err:
            raise eks_rules.refuse(err, "UpdateClusterConfig")

    @add(EKSResponse)
    def associate_encryption_config(self: EKSResponse) -> ActionResult:
        name = self._get_param("name")
        backend = self.eks_backend
        cluster = get_cluster(backend, name)
        config = self._get_param("encryptionConfig")
        try:
            if cluster.encryption_config:
                raise eks_rules.invalid("Encryption is already enabled on the cluster", name)
            require_active(cluster, name, None, f"Cluster {name}")
            check_encryption(config, backend, name)
        except EKSError as err:
            raise eks_rules.refuse(err, "AssociateEncryptionConfig")

        def finish() -> None:
            cluster.encryption_config = config

        update = record_update(
            backend, cluster, CLUSTER, name, None, "AssociateEncryptionConfig",
            [{"type": "EncryptionConfig", "value": json.dumps(config)}], apply_at_end=finish,
        )
        return ActionResult({"update": update})


def access_update(backend: Any, cluster: Any, access: dict[str, Any]) -> dict[str, Any]:
    current = (cluster.access_config or {}).get("authenticationMode", "CONFIG_MAP")
    wanted = access.get("authenticationMode")
    if wanted not in MODE_ORDER or MODE_ORDER.index(wanted) != MODE_ORDER.index(current) + 1:
        raise eks_rules.invalid(
            f"Unsupported authentication mode update from {current} to {wanted}", cluster.name
        )

    def finish() -> None:
        cluster.access_config = {**(cluster.access_config or {}), "authenticationMode": wanted}

    return record_update(
        backend, cluster, CLUSTER, cluster.name, None, "AccessConfigUpdate",
        [{"type": "AuthenticationMode", "value": wanted}], apply_at_end=finish,
    )


def upgrade_update(backend: Any, cluster: Any, upgrade: dict[str, Any]) -> dict[str, Any]:
    support = upgrade.get("supportType") or "EXTENDED"

    def finish() -> None:
        cluster.upgrade_policy = {"supportType": support}

    return record_update(
        backend, cluster, CLUSTER, cluster.name, None, "UpgradePolicyUpdate",
        [{"type": "UpgradePolicy", "value": support}], apply_at_end=finish,
    )
