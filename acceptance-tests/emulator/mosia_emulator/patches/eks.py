"""EKS: cluster and node group lifecycles, UpdateClusterVersion, UpdateClusterConfig's
real answer (an update), UpdateNodegroupVersion, DescribeUpdate and ListUpdates."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks import urls as eks_urls
from moto.eks.exceptions import (
    InvalidParameterException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from moto.eks.models import EKSBackend
from moto.eks.responses import EKSResponse

from .. import lifecycle
from . import add, wrap

CLUSTER = "eks_cluster"
NODEGROUP = "eks_nodegroup"


def updates_of(backend: EKSBackend) -> dict[str, dict[str, Any]]:
    ups = backend.__dict__.get("_mosia_updates")
    if ups is None:
        ups = backend.__dict__["_mosia_updates"] = {}
    return ups


def cluster_not_found(name: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(
        clusterName=None,
        nodegroupName=None,
        fargateProfileName=None,
        addonName=None,
        message=f"No cluster found for name: {name}.",
    )


def in_use(cluster: str, nodegroup: str | None, message: str) -> ResourceInUseException:
    return ResourceInUseException(
        clusterName=cluster, nodegroupName=nodegroup, addonName=None, message=message
    )


def get_cluster(backend: EKSBackend, name: str) -> Any:
    cluster = backend.clusters.get(name)
    if cluster is None:
        raise cluster_not_found(name)
    return cluster


def get_nodegroup(backend: EKSBackend, cluster_name: str, ng_name: str) -> Any:
    cluster = get_cluster(backend, cluster_name)
    ng = cluster.nodegroups.get(ng_name)
    if ng is None:
        raise ResourceNotFoundException(
            clusterName=cluster_name,
            nodegroupName=ng_name,
            fargateProfileName=None,
            addonName=None,
            message=f"No node group found for name: {ng_name}.",
        )
    return ng


def record_update(
    backend: EKSBackend,
    obj: Any,
    kind: str,
    cluster_name: str,
    nodegroup: str | None,
    update_type: str,
    params: list[dict[str, str]],
    apply_at_end: Any = None,
) -> dict[str, Any]:
    """Register an update, put obj in UPDATING for the configured time, then ACTIVE."""
    update: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "status": "InProgress",
        "type": update_type,
        "params": params,
        "createdAt": utcnow(),
        "errors": [],
    }
    updates_of(backend)[update["id"]] = {
        "update": update,
        "cluster": cluster_name,
        "nodegroup": nodegroup,
    }

    def done() -> None:
        if apply_at_end is not None:
            apply_at_end()
        update["status"] = "Successful"

    lifecycle.begin(obj, kind, "update", "UPDATING", "ACTIVE", on_done=done)
    return copy.deepcopy(update)


def require_active(obj: Any, cluster: str, nodegroup: str | None, what: str) -> None:
    if obj.status != "ACTIVE":
        raise in_use(
            cluster,
            nodegroup,
            f"{what} is in {obj.status} state; an update or change is already in progress.",
        )


def apply(state: Any) -> None:
    eks_urls.url_paths.setdefault(
        "{0}/clusters/(?P<name>[^/]+)/updates$", eks_urls.response.dispatch
    )
    eks_urls.url_paths.setdefault(
        "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$", eks_urls.response.dispatch
    )
    eks_urls.url_paths.setdefault(
        "{0}/clusters/(?P<name>[^/]+)/node-groups/(?P<nodegroupName>[^/]+)/update-version$",
        eks_urls.response.dispatch,
    )

    # -- lifecycles -------------------------------------------------------------------
    @wrap(EKSBackend, "create_cluster")
    def create_cluster(orig: Any, self: EKSBackend, *args: Any, **kwargs: Any) -> Any:
        cluster = orig(self, *args, **kwargs)
        lifecycle.begin(cluster, CLUSTER, "create", "CREATING", "ACTIVE")
        return cluster

    @wrap(EKSBackend, "create_nodegroup")
    def create_nodegroup(orig: Any, self: EKSBackend, *args: Any, **kwargs: Any) -> Any:
        ng = orig(self, *args, **kwargs)
        lifecycle.begin(ng, NODEGROUP, "create", "CREATING", "ACTIVE")
        return ng

    @wrap(EKSBackend, "delete_cluster")
    def delete_cluster(orig: Any, self: EKSBackend, name: str) -> Any:
        cluster = get_cluster(self, name)
        if cluster.status == "DELETING":
            return cluster
        orig(self, name)  # validates (no node groups left) and removes it
        self.clusters[name] = cluster
        self.cluster_count += 1

        def gone() -> None:
            if self.clusters.get(name) is cluster:
                del self.clusters[name]
                self.cluster_count -= 1

        lifecycle.begin(cluster, CLUSTER, "delete", "DELETING", None, on_done=gone)
        return cluster

    @wrap(EKSBackend, "delete_nodegroup")
    def delete_nodegroup(orig: Any, self: EKSBackend, cluster_name: str, nodegroup_name: str) -> Any:
        ng = get_nodegroup(self, cluster_name, nodegroup_name)
        if ng.status == "DELETING":
            return ng
        orig(self, cluster_name, nodegroup_name)
        cluster = self.clusters[cluster_name]
        cluster.nodegroups[nodegroup_name] = ng
        cluster.nodegroup_count += 1

        def gone() -> None:
            if cluster.nodegroups.get(nodegroup_name) is ng:
                del cluster.nodegroups[nodegroup_name]
                cluster.nodegroup_count -= 1

        lifecycle.begin(ng, NODEGROUP, "delete", "DELETING", None, on_done=gone)
        return ng

    @wrap(EKSBackend, "update_nodegroup_config")
    def update_nodegroup_config(orig: Any, self: EKSBackend, *args: Any, **kwargs: Any) -> Any:
        cluster_name = kwargs.get("cluster_name", args[0] if args else None)
        ng_name = kwargs.get("nodegroup_name", args[1] if len(args) > 1 else None)
        ng = get_nodegroup(self, cluster_name, ng_name)
        require_active(ng, cluster_name, ng_name, f"Nodegroup {ng_name}")
        result = orig(self, *args, **kwargs)
        return record_update(
            self, ng, NODEGROUP, cluster_name, ng_name, result["type"], result["params"]
        )

    # -- the wrong shape: UpdateClusterConfig answers with an update -------------------------
    @add(EKSResponse)
    def update_cluster_config(self: EKSResponse) -> ActionResult:
        name = self._get_param("name")
        backend = self.eks_backend
        cluster = get_cluster(backend, name)
        require_active(cluster, name, None, f"Cluster {name}")
        vpc = self._get_param("resourcesVpcConfig")
        logging = self._get_param("logging")
        params: list[dict[str, str]] = []
        update_type = "ConfigUpdate"
        if vpc:
            merged = dict(cluster.resources_vpc_config or {})
            merged.update(vpc)
            cluster.resources_vpc_config = merged
            endpoint_keys = {"endpointPublicAccess", "endpointPrivateAccess", "publicAccessCidrs"}
            if set(vpc) & endpoint_keys:
                update_type = "EndpointAccessUpdate"
                for key, ptype in (
                    ("endpointPublicAccess", "EndpointPublicAccess"),
                    ("endpointPrivateAccess", "EndpointPrivateAccess"),
                    ("publicAccessCidrs", "PublicAccessCidrs"),
                ):
                    if key in vpc:
                        params.append({"type": ptype, "value": _json(vpc[key])})
            else:
                update_type = "VpcConfigUpdate"
                for key, ptype in (("subnetIds", "Subnets"), ("securityGroupIds", "SecurityGroups")):
                    if key in vpc:
                        params.append({"type": ptype, "value": _json(vpc[key])})
        if logging:
            cluster.logging = logging
            update_type = "LoggingUpdate" if not vpc else update_type
            params.append({"type": "ClusterLogging", "value": _json(logging)})
        if not params:
            raise InvalidParameterException(
                clusterName=name, nodegroupName=None, fargateProfileName=None, addonName=None,
                message="No changes needed for the logging config provided",
            )
        update = record_update(backend, cluster, CLUSTER, name, None, update_type, params)
        return ActionResult({"update": update})

    # -- missing operations ------------------------------------------------------------------
    @add(EKSResponse)
    def update_cluster_version(self: EKSResponse) -> ActionResult:
        name = self._get_param("name")
        version = self._get_param("version")
        backend = self.eks_backend
        cluster = get_cluster(backend, name)
        require_active(cluster, name, None, f"Cluster {name}")
        if not version:
            raise InvalidParameterException(
                clusterName=name, nodegroupName=None, fargateProfileName=None, addonName=None,
                message="version is required",
            )
        if version == cluster.version:
            raise InvalidParameterException(
                clusterName=name, nodegroupName=None, fargateProfileName=None, addonName=None,
                message=f"Unsupported Kubernetes minor version update from {cluster.version} to {version}",
            )
        if _minor(version) != _minor(cluster.version) + 1 or _major(version) != _major(cluster.version):
            raise InvalidParameterException(
                clusterName=name, nodegroupName=None, fargateProfileName=None, addonName=None,
                message=f"Unsupported Kubernetes minor version update from {cluster.version} to {version}",
            )
        platform = "eks.1"

        def finish() -> None:
            cluster.version = version
            cluster.platformVersion = platform

        update = record_update(
            backend, cluster, CLUSTER, name, None, "VersionUpdate",
            [{"type": "Version", "value": version}, {"type": "PlatformVersion", "value": platform}],
            apply_at_end=finish,
        )
        return ActionResult({"update": update})

    @add(EKSResponse)
    def update_nodegroup_version(self: EKSResponse) -> ActionResult:
        name = self._get_param("name")
        ng_name = self._get_param("nodegroupName")
        backend = self.eks_backend
        ng = get_nodegroup(backend, name, ng_name)
        require_active(ng, name, ng_name, f"Nodegroup {ng_name}")
        cluster = backend.clusters[name]
        version = self._get_param("version") or cluster.version
        release = self._get_param("releaseVersion") or f"{version}.0-20240101"
        launch_template = self._get_param("launchTemplate")

        def finish() -> None:
            ng.version = version
            ng.release_version = release
            if launch_template:
                ng.launch_template = launch_template

        params = [{"type": "Version", "value": version}, {"type": "ReleaseVersion", "value": release}]
        update = record_update(
            backend, ng, NODEGROUP, name, ng_name, "VersionUpdate", params, apply_at_end=finish
        )
        return ActionResult({"update": update})

    @add(EKSResponse)
    def describe_update(self: EKSResponse) -> ActionResult:
        name = self._get_param("name")
        update_id = self._get_param("updateId")
        ng_name = self._get_param("nodegroupName")
        backend = self.eks_backend
        get_cluster(backend, name)
        entry = updates_of(backend).get(update_id)
        if entry is None or entry["cluster"] != name or (ng_name and entry["nodegroup"] != ng_name):
            raise ResourceNotFoundException(
                clusterName=name, nodegroupName=ng_name, fargateProfileName=None, addonName=None,
                message=f"No update found for ID: {update_id}.",
            )
        return ActionResult({"update": copy.deepcopy(entry["update"])})

    @add(EKSResponse)
    def list_updates(self: EKSResponse) -> ActionResult:
        name = self._get_param("name")
        ng_name = self._get_param("nodegroupName")
        backend = self.eks_backend
        get_cluster(backend, name)
        ids = [
            uid
            for uid, entry in updates_of(backend).items()
            if entry["cluster"] == name and entry["nodegroup"] == (ng_name or None)
        ]
        return ActionResult({"updateIds": ids})



def _json(value: Any) -> str:
    import json

    return json.dumps(value) if not isinstance(value, str) else value


def _major(version: str) -> int:
    try:
        return int(str(version).split(".")[0])
    except ValueError:
        return -1


def _minor(version: str) -> int:
    try:
        return int(str(version).split(".")[1])
    except (ValueError, IndexError):
        return -1
