"""EKS: cluster and node group lifecycles, UpdateClusterVersion, UpdateClusterConfig's
real answer (an update), UpdateNodegroupVersion, DescribeUpdate and ListUpdates.

AWS's rules for CreateCluster, CreateNodegroup and UpdateNodegroupConfig are in
`eks_rules.py`; EKS's own actions (automatic upgrade, objects a cluster creates in its VPC),
fired through `POST /_mosia/events`, in `eks_events.py`."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from moto.core.responses import ActionResult
from moto.eks import urls as eks_urls
from moto.eks.exceptions import (
    EKSError,
    InvalidParameterException,
    ResourceNotFoundException,
)
from moto.eks.models import EKSBackend
from moto.eks.responses import EKSResponse

from .. import lifecycle
from . import (
    add,
    eks_access,
    eks_addons,
    eks_cluster_sg,
    eks_cluster_config,
    eks_events,
    eks_nodegroup_rules,
    eks_rules,
    wrap,
)
from .eks_common import (  # noqa: F401 - re-exported for the other EKS modules
    CLUSTER,
    NODEGROUP,
    cluster_not_found,
    get_cluster,
    get_nodegroup,
    in_use,
    record_update,
    require_active,
    updates_of,
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

    # The rules first: the lifecycle wrappers below run around them, so a refused request
    # starts no transition.
    eks_rules.apply()
    eks_nodegroup_rules.apply()
    eks_addons.apply()
    eks_access.apply()
    apply_identity_and_tags()
    eks_events.apply(record_update)
    eks_cluster_sg.apply()

    # -- lifecycles -------------------------------------------------------------------
    @wrap(EKSBackend, "create_cluster")
    def create_cluster(orig: Any, self: EKSBackend, *args: Any, **kwargs: Any) -> Any:
        cluster = orig(self, *args, **kwargs)
        lifecycle.begin(cluster, CLUSTER, "create", "CREATING", "ACTIVE", name=cluster.name)
        return cluster

    @wrap(EKSBackend, "create_nodegroup")
    def create_nodegroup(orig: Any, self: EKSBackend, *args: Any, **kwargs: Any) -> Any:
        ng = orig(self, *args, **kwargs)
        # AWS gives a node group created without a version the cluster's Kubernetes version
        # (moto: a fixed 1.19), with an AMI release of that version.
        if not kwargs.get("version"):
            cluster_name = kwargs.get("cluster_name", args[0] if args else None)
            ng.version = self.clusters[cluster_name].version
            if not kwargs.get("release_version"):
                ng.release_version = f"{ng.version}.0-20240101"
        lifecycle.begin(ng, NODEGROUP, "create", "CREATING", "ACTIVE", name=ng.nodegroup_name)
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
                eks_cluster_sg.delete_group(cluster, self.account_id, self.region_name)

        lifecycle.begin(cluster, CLUSTER, "delete", "DELETING", None, on_done=gone, name=name)
        return cluster

    # ListNodegroups of a cluster that does not exist: AWS answers ResourceNotFoundException
    # (moto fails with a KeyError, an HTML 500).
    @wrap(EKSBackend, "list_nodegroups")
    def list_nodegroups(orig: Any, self: EKSBackend, cluster_name: str, *args: Any, **kwargs: Any) -> Any:
        get_cluster(self, cluster_name)
        return orig(self, cluster_name, *args, **kwargs)

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

        lifecycle.begin(ng, NODEGROUP, "delete", "DELETING", None, on_done=gone, name=nodegroup_name)
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
        # One minor version at a time. AWS: "Unsupported Kubernetes minor version update from
        # 1.12 to 1.14" (InvalidParameterException; EKS User Guide "Update existing cluster",
        # amazon-eks-user-guide PR #122).
        if _minor(version) != _minor(cluster.version) + 1 or _major(version) != _major(cluster.version):
            raise eks_rules.refuse(
                eks_rules.invalid(
                    f"Unsupported Kubernetes minor version update from {cluster.version} to {version}",
                    name,
                ),
                "UpdateClusterVersion",
            )
        try:
            eks_rules.check_nodegroups_follow(cluster)
        except EKSError as err:
            raise eks_rules.refuse(err, "UpdateClusterVersion")
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
        addon_name = self._get_param("addonName")
        backend = self.eks_backend
        get_cluster(backend, name)
        entry = updates_of(backend).get(update_id)
        if (
            entry is None
            or entry["cluster"] != name
            or (ng_name and entry["nodegroup"] != ng_name)
            or (addon_name and entry.get("addon") != addon_name)
        ):
            raise ResourceNotFoundException(
                clusterName=name, nodegroupName=ng_name, fargateProfileName=None, addonName=None,
                message=f"No update found for ID: {update_id}.",
            )
        return ActionResult({"update": copy.deepcopy(entry["update"])})

    @add(EKSResponse)
    def list_updates(self: EKSResponse) -> ActionResult:
        name = self._get_param("name")
        ng_name = self._get_param("nodegroupName")
        addon_name = self._get_param("addonName")
        backend = self.eks_backend
        get_cluster(backend, name)
        ids = [
            uid
            for uid, entry in updates_of(backend).items()
            if entry["cluster"] == name
            and entry["nodegroup"] == (ng_name or None)
            and entry.get("addon") == (addon_name or None)
        ]
        return ActionResult({"updateIds": ids})

    # After UpdateClusterConfig above: it handles accessConfig and upgradePolicy and passes
    # the rest on.
    eks_cluster_config.apply()



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


def apply_identity_and_tags() -> None:
    """Each cluster its own OIDC issuer (moto: one issuer per process, so that the IAM OIDC
    providers of two environments collide), and TagResource, UntagResource and
    ListTagsForResource on node group ARNs (moto: clusters only)."""

    @wrap(EKSBackend, "create_cluster")
    def unique_issuer(orig: Any, self: EKSBackend, *args: Any, **kwargs: Any) -> Any:
        cluster = orig(self, *args, **kwargs)
        issuer_id = uuid.uuid4().hex.upper()
        cluster.identity = {
            "oidc": {"issuer": f"https://oidc.eks.{self.region_name}.amazonaws.com/id/{issuer_id}"}
        }
        return cluster

    def nodegroup_by_arn(backend: EKSBackend, arn: str) -> Any:
        for cluster in backend.clusters.values():
            for ng in cluster.nodegroups.values():
                if ng.arn == arn:
                    return ng
        return None

    @wrap(EKSBackend, "tag_resource")
    def tag_resource(orig: Any, self: EKSBackend, resource_arn: str, tags: dict[str, str]) -> None:
        ng = nodegroup_by_arn(self, resource_arn)
        if ng is None:
            return orig(self, resource_arn, tags)
        ng.tags.update(tags)
        return None

    @wrap(EKSBackend, "untag_resource")
    def untag_resource(orig: Any, self: EKSBackend, resource_arn: str, tag_keys: Any) -> None:
        ng = nodegroup_by_arn(self, resource_arn)
        if ng is None:
            return orig(self, resource_arn, tag_keys)
        for key in [tag_keys] if isinstance(tag_keys, str) else tag_keys:
            ng.tags.pop(key, None)
        return None

    @wrap(EKSBackend, "list_tags_for_resource")
    def list_tags_for_resource(orig: Any, self: EKSBackend, resource_arn: str) -> dict[str, str]:
        ng = nodegroup_by_arn(self, resource_arn)
        if ng is None:
            return orig(self, resource_arn)
        return ng.tags
