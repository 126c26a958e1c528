"""EKS helpers the EKS patch modules share: finding clusters and node groups, AWS's
not-found and in-use errors, and updates (`record_update`: an update EKS reports through
DescribeUpdate/ListUpdates while its object is UPDATING)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from moto.core.utils import utcnow
from moto.eks.exceptions import ResourceInUseException, ResourceNotFoundException
from moto.eks.models import EKSBackend

from .. import lifecycle

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
    addon: str | None = None,
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
        "addon": addon,
    }

    def done() -> None:
        if apply_at_end is not None:
            apply_at_end()
        update["status"] = "Successful"

    def failed(message: str) -> None:
        update["status"] = "Failed"
        update["errors"] = [
            {
                "errorCode": "Unknown",
                "errorMessage": message,
                "resourceIds": [nodegroup or addon or cluster_name],
            }
        ]

    lifecycle.begin(
        obj, kind, "update", "UPDATING", "ACTIVE", on_done=done, on_fail=failed,
        name=nodegroup or addon or cluster_name,
    )
    return copy.deepcopy(update)


def require_active(obj: Any, cluster: str, nodegroup: str | None, what: str) -> None:
    if obj.status != "ACTIVE":
        raise in_use(
            cluster,
            nodegroup,
            f"{what} is in {obj.status} state; an update or change is already in progress.",
        )
