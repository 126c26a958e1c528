"""EKS managed add-ons (moto 5.2.5 has none): CreateAddon, DescribeAddon, ListAddons,
UpdateAddon (an `AddonUpdate` applied when it ends), DeleteAddon, DescribeAddonVersions.

AWS's rules (InvalidParameterException, recorded under "rejected"):
- an add-on EKS does not offer: "Addon specified is not supported" (containers-roadmap #1429);
- a version not compatible with the cluster's Kubernetes version: "Addon version specified is
  not supported" (terraform-provider-aws #20559, #33385; aws-sdk-go-v2 #2554); without a
  version, the default one for the cluster's version (eks_addon_versions.py);
- configurationValues must parse (EKS takes JSON or YAML) into an object: "ConfigurationValue
  provided in request is not supported: ..." (the prefix as in terraform-provider-aws issues;
  the detail is assumed);
- podIdentityAssociations create associations owned by the add-on (namespace kube-system),
  with the role rules of eks_pod_identity.py; UpdateAddon replaces them; DeleteAddon removes
  them (unless `preserve`).

Health: coredns and aws-ebs-csi-driver run Deployments that need nodes. While the cluster has
no ACTIVE node group they are DEGRADED with the issue InsufficientNumberOfReplicas ("The
add-on is unhealthy because it doesn't have the desired number of replicas.", as EKS reports
it in DescribeAddon); they become ACTIVE once one is (evaluated on every answer). vpc-cni,
kube-proxy and eks-pod-identity-agent (DaemonSets) are ACTIVE without nodes. The control
plane's upgrade does not touch add-on versions."""

from __future__ import annotations

import json
import uuid
from typing import Any

import yaml
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks import urls as eks_urls
from moto.eks.exceptions import EKSError, ResourceNotFoundException
from moto.eks.models import EKSBackend
from moto.eks.responses import EKSResponse

from .. import lifecycle
from . import add, eks_addon_versions as versions, eks_pod_identity, eks_rules
from .eks_common import get_cluster, in_use, record_update

ADDON = "eks_addon"
ADDON_NAMESPACE = "kube-system"
REPLICAS_MESSAGE = "The add-on is unhealthy because it doesn't have the desired number of replicas."


class Addon:
    def __init__(self, cluster: Any, name: str, version: str, body: dict[str, Any]) -> None:
        self.addon_name = name
        self.cluster_name = cluster.name
        self.cluster = cluster
        self.status = "CREATING"
        self.addon_version = version
        self.service_account_role_arn = body.get("serviceAccountRoleArn")
        self.configuration_values = body.get("configurationValues")
        self.tags = body.get("tags") or {}
        self.arn = cluster.arn.replace(":cluster/", ":addon/", 1) + f"/{name}/{uuid.uuid4()}"
        self.created_at = utcnow()
        self.modified_at = self.created_at
        self.pod_identity_ids: list[str] = []

    def health_issues(self) -> list[dict[str, Any]]:
        if self.addon_name not in versions.NEED_NODES or has_active_nodes(self.cluster):
            return []
        return [{"code": "InsufficientNumberOfReplicas", "message": REPLICAS_MESSAGE, "resourceIds": []}]

    def refresh(self) -> None:
        """ACTIVE <-> DEGRADED from the nodes there are now."""
        if self.status in ("ACTIVE", "DEGRADED"):
            self.status = "DEGRADED" if self.health_issues() else "ACTIVE"

    def to_dict(self) -> dict[str, Any]:
        self.refresh()
        associations = eks_pod_identity.associations_of(self.cluster)
        out: dict[str, Any] = {
            "addonName": self.addon_name,
            "clusterName": self.cluster_name,
            "status": self.status,
            "addonVersion": self.addon_version,
            "health": {"issues": self.health_issues() if self.status == "DEGRADED" else []},
            "addonArn": self.arn,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "tags": self.tags,
            "owner": "aws",
            "publisher": "eks",
            "podIdentityAssociations": [
                associations[i].association_arn for i in self.pod_identity_ids if i in associations
            ],
        }
        if self.service_account_role_arn:
            out["serviceAccountRoleArn"] = self.service_account_role_arn
        if self.configuration_values:
            out["configurationValues"] = self.configuration_values
        return out


def has_active_nodes(cluster: Any) -> bool:
    return any(ng.status == "ACTIVE" for ng in cluster.nodegroups.values())


def addons_of(cluster: Any) -> dict[str, Addon]:
    addons = cluster.__dict__.get("_mosia_addons")
    if addons is None:
        addons = cluster.__dict__["_mosia_addons"] = {}
    return addons


def get_addon(backend: EKSBackend, cluster_name: str, addon_name: str) -> Addon:
    cluster = get_cluster(backend, cluster_name)
    addon = addons_of(cluster).get(addon_name)
    if addon is None:
        raise ResourceNotFoundException(
            clusterName=cluster_name, nodegroupName=None, fargateProfileName=None,
            addonName=addon_name, message=f"No addon: {addon_name} found in cluster: {cluster_name}",
        )
    return addon


def check_version(cluster: Any, addon_name: str, version: str | None) -> str:
    """The version to install: the one asked if compatible, else the default."""
    if addon_name not in versions.ADDONS:
        raise eks_rules.invalid("Addon specified is not supported", cluster.name)
    if version is None:
        found = versions.default_version(addon_name, cluster.version)
        if found is None:
            raise eks_rules.invalid("Addon version specified is not supported", cluster.name)
        return found
    if version not in versions.compatible(addon_name, cluster.version):
        raise eks_rules.invalid("Addon version specified is not supported", cluster.name)
    return version


def check_configuration(values: str | None, cluster: str) -> None:
    if values is None:
        return
    try:
        parsed = yaml.safe_load(values) if values.strip() else {}
    except yaml.YAMLError as err:
        raise eks_rules.invalid(
            f"ConfigurationValue provided in request is not supported: {str(err).splitlines()[0]}",
            cluster,
        )
    if not isinstance(parsed, dict):
        raise eks_rules.invalid(
            "ConfigurationValue provided in request is not supported: Json schema validation "
            f"failed with error: [$: {type(parsed).__name__} found, object expected]",
            cluster,
        )


def check_associations(requested: list[dict[str, Any]] | None, cluster: Any) -> None:
    for item in requested or []:
        eks_pod_identity.check_role(item.get("roleArn") or "", cluster.name)


def replace_associations(addon: Addon, requested: list[dict[str, Any]] | None) -> None:
    """The add-on's associations become the requested ones (same service account: kept, role
    updated)."""
    owned = eks_pod_identity.associations_of(addon.cluster)
    for association_id in addon.pod_identity_ids:
        owned.pop(association_id, None)
    addon.pod_identity_ids = []
    for item in requested or []:
        association = eks_pod_identity.create(
            addon.cluster, ADDON_NAMESPACE, item["serviceAccount"], item["roleArn"], None,
            owner_arn=addon.arn,
        )
        addon.pod_identity_ids.append(association.association_id)


def apply() -> None:
    for path in (
        "{0}/clusters/(?P<name>[^/]+)/addons$",
        "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$",
        "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)/update$",
        "{0}/addons/supported-versions$",
    ):
        eks_urls.url_paths.setdefault(path, eks_urls.response.dispatch)
    eks_pod_identity.apply()

    @add(EKSResponse)
    def create_addon(self: EKSResponse) -> ActionResult:
        name = self._get_param("name")
        cluster = get_cluster(self.eks_backend, name)
        addon_name = self._get_param("addonName")
        if addon_name in addons_of(cluster):
            raise in_use(name, None, f"Addon already exists with name: {addon_name}")
        if cluster.status != "ACTIVE":
            raise in_use(name, None, f"Cluster {name} is in {cluster.status} state")
        associations = self._get_param("podIdentityAssociations")
        try:
            version = check_version(cluster, addon_name, self._get_param("addonVersion"))
            check_configuration(self._get_param("configurationValues"), name)
            check_associations(associations, cluster)
        except EKSError as err:
            raise eks_rules.refuse(err, "CreateAddon")
        body = {k: self._get_param(k) for k in ("serviceAccountRoleArn", "configurationValues", "tags")}
        addon = Addon(cluster, addon_name, version, body)
        replace_associations(addon, associations)
        addons_of(cluster)[addon_name] = addon
        lifecycle.begin(addon, ADDON, "create", "CREATING", "ACTIVE", name=addon_name)
        return ActionResult({"addon": addon.to_dict()})

    @add(EKSResponse)
    def describe_addon(self: EKSResponse) -> ActionResult:
        addon = get_addon(self.eks_backend, self._get_param("name"), self._get_param("addonName"))
        return ActionResult({"addon": addon.to_dict()})

    @add(EKSResponse)
    def list_addons(self: EKSResponse) -> ActionResult:
        cluster = get_cluster(self.eks_backend, self._get_param("name"))
        return ActionResult({"addons": sorted(addons_of(cluster))})

    @add(EKSResponse)
    def update_addon(self: EKSResponse) -> ActionResult:
        name = self._get_param("name")
        addon_name = self._get_param("addonName")
        backend = self.eks_backend
        addon = get_addon(backend, name, addon_name)
        addon.refresh()
        if addon.status not in ("ACTIVE", "DEGRADED"):
            raise in_use(name, None, f"Addon {addon_name} is in {addon.status} state")
        version = self._get_param("addonVersion")
        role = self._get_param("serviceAccountRoleArn")
        values = self._get_param("configurationValues")
        associations = self._get_param("podIdentityAssociations")
        resolve = self._get_param("resolveConflicts")
        try:
            if version:
                check_version(addon.cluster, addon_name, version)
            check_configuration(values, name)
            check_associations(associations, addon.cluster)
        except EKSError as err:
            raise eks_rules.refuse(err, "UpdateAddon")
        params = update_params(version, role, values, resolve, associations)

        def finish() -> None:
            if version:
                addon.addon_version = version
            if role is not None:
                addon.service_account_role_arn = role
            if values is not None:
                addon.configuration_values = values
            if associations is not None:
                replace_associations(addon, associations)
            addon.modified_at = utcnow()
            addon.refresh()

        update = record_update(
            backend, addon, ADDON, name, None, "AddonUpdate", params,
            apply_at_end=finish, addon=addon_name,
        )
        return ActionResult({"update": update})

    apply_delete_and_versions()


def apply_delete_and_versions() -> None:
    """DeleteAddon and DescribeAddonVersions."""

    @add(EKSResponse)
    def delete_addon(self: EKSResponse) -> ActionResult:
        name = self._get_param("name")
        addon_name = self._get_param("addonName")
        backend = self.eks_backend
        addon = get_addon(backend, name, addon_name)
        cluster = backend.clusters[name]
        preserve = str(self._get_param("preserve")).lower() == "true"
        answer = addon.to_dict()
        if addon.status != "DELETING":

            def gone() -> None:
                if addons_of(cluster).get(addon_name) is addon:
                    del addons_of(cluster)[addon_name]
                    if not preserve:
                        replace_associations(addon, [])

            lifecycle.begin(addon, ADDON, "delete", "DELETING", None, on_done=gone, name=addon_name)
            answer["status"] = "DELETING"
        return ActionResult({"addon": answer})

    @add(EKSResponse)
    def describe_addon_versions(self: EKSResponse) -> ActionResult:
        infos = versions.addon_infos(self._get_param("addonName"), self._get_param("kubernetesVersion"))
        return ActionResult({"addons": infos})


def update_params(version: str | None, role: str | None, values: str | None, resolve: str | None,
                  associations: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """The update's params, as DescribeUpdate shows them."""
    params: list[dict[str, str]] = []
    if version:
        params.append({"type": "AddonVersion", "value": version})
    if role is not None:
        params.append({"type": "ServiceAccountRoleArn", "value": role})
    if values is not None:
        params.append({"type": "ConfigurationValues", "value": values})
    if resolve:
        params.append({"type": "ResolveConflicts", "value": resolve})
    if associations is not None:
        params.append({"type": "PodIdentityAssociations", "value": json.dumps(associations)})
    return params
