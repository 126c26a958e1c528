"""The cluster security group EKS creates with every cluster (moto: none).

AWS (EKS user guide, "View Amazon EKS security group requirements for clusters"): at cluster
creation EKS creates a security group named `eks-cluster-sg-NAME-UNIQUEID` in the cluster's
VPC, tagged `aws:eks:cluster-name=NAME` and `kubernetes.io/cluster/NAME=owned`, attaches it
to the control plane's network interfaces and to the nodes of managed node groups, and
reports it as `resourcesVpcConfig.clusterSecurityGroupId`; it deletes the group with the
cluster. A group still named in another group's rules cannot be deleted (EC2:
DependencyViolation), so EKS leaves it behind: whoever added such a rule removes it first.
"""

from __future__ import annotations

import secrets
from typing import Any

from moto.eks.models import EKSBackend

from . import wrap
from .eks_rules import ec2_of

DESCRIPTION = (
    "EKS created security group applied to ENI that is attached to EKS Control Plane master "
    "nodes, as well as any managed workloads."
)


def _vpc_of(ec2: Any, subnet_ids: list[str]) -> str | None:
    for subnet_id in subnet_ids:
        try:
            return ec2.get_subnet(subnet_id).vpc_id
        except Exception:  # noqa: BLE001 - an unknown subnet was refused before
            continue
    return None


def create_group(cluster: Any, account_id: str, region: str) -> None:
    """The cluster's group, recorded in its resourcesVpcConfig."""
    config = dict(cluster.resources_vpc_config or {})
    ec2 = ec2_of(account_id, region)
    vpc_id = _vpc_of(ec2, list(config.get("subnetIds") or []))
    if vpc_id is None:
        return
    name = cluster.name
    group = ec2.create_security_group(
        name=f"eks-cluster-sg-{name}-{secrets.randbelow(10**10):010d}",
        description=DESCRIPTION,
        vpc_id=vpc_id,
        tags={"aws:eks:cluster-name": name, f"kubernetes.io/cluster/{name}": "owned", "Name": f"eks-cluster-sg-{name}"},
    )
    config["clusterSecurityGroupId"] = group.id
    cluster.resources_vpc_config = config


def delete_group(cluster: Any, account_id: str, region: str) -> None:
    """Deletes the cluster's group; left behind while another group's rule names it."""
    group_id = (cluster.resources_vpc_config or {}).get("clusterSecurityGroupId")
    if not group_id:
        return
    ec2 = ec2_of(account_id, region)
    referenced = any(
        rule.source_group.get("GroupId") == group_id
        for vpc_groups in ec2.groups.values()
        for other in vpc_groups.values()
        if other.id != group_id
        for rule in other.ingress_rules + other.egress_rules
    )
    if referenced:
        return
    try:
        ec2.delete_security_group(group_id=group_id)
    except Exception:  # noqa: BLE001 - gone already
        pass


def apply() -> None:
    @wrap(EKSBackend, "create_cluster")
    def create_cluster(orig: Any, self: EKSBackend, *args: Any, **kwargs: Any) -> Any:
        cluster = orig(self, *args, **kwargs)
        create_group(cluster, self.account_id, self.region_name)
        return cluster
