"""EKS acting on its own, fired through `POST /_mosia/events`:

- `eks_auto_upgrade` `{"cluster": NAME, "version": "1.32"}`: at the end of (extended) support
  EKS upgrades the control plane by itself, one minor version, whatever the node groups run
  (EKS User Guide, "Kubernetes version lifecycle"). It is an ordinary `VersionUpdate`
  (UPDATING for the `eks_cluster` update duration). Answers the update id.
- `eks_cluster_objects` `{"cluster": NAME}`: what Kubernetes in the cluster creates in its VPC
  by itself (a `LoadBalancer` Service's network load balancer and security group, an ENI of the
  VPC CNI), tagged `kubernetes.io/cluster/NAME=owned`; they outlive the cluster and keep the
  VPC from being deleted until removed (terraform-aws-eks #285, #2048). Answers their ids.

Both take optional "region" and "account" (default: the one region/account holding a cluster
of that name)."""

from __future__ import annotations

import uuid
from typing import Any, Callable

from .. import events


def find_cluster(payload: dict[str, Any]) -> tuple[Any, Any]:
    """(EKS backend, cluster) named by the payload; ValueError when none or ambiguous."""
    from moto.eks.models import eks_backends

    name = payload.get("cluster")
    if not isinstance(name, str) or not name:
        raise ValueError('the payload needs "cluster": the EKS cluster name')
    found = []
    for account_id, regions in list(eks_backends.items()):
        if payload.get("account") not in (None, account_id):
            continue
        for region, backend in list(regions.items()):
            if payload.get("region") not in (None, region):
                continue
            if name in backend.clusters:
                found.append((backend, backend.clusters[name]))
    if not found:
        raise ValueError(f"no EKS cluster named {name!r}")
    if len(found) > 1:
        raise ValueError(f"several EKS clusters named {name!r}: give \"region\" (and \"account\")")
    return found[0]


def apply(record_update: Callable[..., dict[str, Any]]) -> None:
    @events.register("eks_auto_upgrade")
    def auto_upgrade(payload: dict[str, Any]) -> dict[str, Any]:
        """EKS's automatic upgrade at the end of support: the control plane moves one minor
        version up (node groups stay where they are)."""
        backend, cluster = find_cluster(payload)
        current = str(cluster.version)
        major, minor = (int(x) for x in current.split(".")[:2])
        target = str(payload.get("version") or f"{major}.{minor + 1}")
        if target != f"{major}.{minor + 1}":
            raise ValueError(
                f"EKS upgrades one minor version at a time: {current} can only move to {major}.{minor + 1}"
            )
        if cluster.status != "ACTIVE":
            raise ValueError(f"cluster {cluster.name} is {cluster.status}; EKS upgrades ACTIVE clusters")

        def finish() -> None:
            cluster.version = target
            cluster.platformVersion = "eks.1"

        update = record_update(
            backend, cluster, "eks_cluster", cluster.name, None, "VersionUpdate",
            [{"type": "Version", "value": target}, {"type": "PlatformVersion", "value": "eks.1"}],
            apply_at_end=finish,
        )
        return {
            "cluster": cluster.name, "region": backend.region_name, "from": current,
            "version": target, "updateId": update["id"],
        }

    @events.register("eks_cluster_objects")
    def cluster_objects(payload: dict[str, Any]) -> dict[str, Any]:
        """A Service of type LoadBalancer (network load balancer + its security group) and a
        leaked VPC CNI ENI in the cluster's subnets, tagged as Kubernetes tags them."""
        from moto.ec2.models import ec2_backends
        from moto.elbv2.models import elbv2_backends

        backend, cluster = find_cluster(payload)
        ec2 = ec2_backends[backend.account_id][backend.region_name]
        subnet_ids = list((cluster.resources_vpc_config or {}).get("subnetIds") or [])
        subnets = [ec2.get_subnet(s) for s in subnet_ids]
        if not subnets:
            raise ValueError(f"cluster {cluster.name} has no subnets")
        vpc_id = subnets[0].vpc_id
        owned = {f"kubernetes.io/cluster/{cluster.name}": "owned"}
        lb_name = "a" + uuid.uuid4().hex[:31]  # the in-tree cloud provider's naming
        group = ec2.create_security_group(
            name=f"k8s-elb-{lb_name}",
            description=f"Security group for Kubernetes ELB {lb_name} (default/web)",
            vpc_id=vpc_id,
            tags=dict(owned),
        )
        one_per_zone = list({s.availability_zone: s for s in subnets}.values())
        balancer = elbv2_backends[backend.account_id][backend.region_name].create_load_balancer(
            name=lb_name,
            security_groups=[],
            subnet_ids=[s.id for s in one_per_zone],
            scheme="internet-facing",
            loadbalancer_type="network",
            tags=[
                {"Key": k, "Value": v}
                for k, v in {**owned, "kubernetes.io/service-name": "default/web"}.items()
            ],
        )
        eni = ec2.create_network_interface(
            subnets[0],
            None,
            group_ids=[group.id],
            description=f"aws-K8S-i-{uuid.uuid4().hex[:17]}",
            tags={**owned, "cluster.k8s.amazonaws.com/name": cluster.name},
        )
        return {
            "cluster": cluster.name,
            "vpcId": vpc_id,
            "securityGroupIds": [group.id],
            "networkInterfaceIds": [eni.id],
            "loadBalancerArns": [balancer.arn],
        }
