"""EKS: the AWS rules CreateCluster, CreateNodegroup, UpdateNodegroupConfig and
UpdateClusterVersion enforce (moto accepts any subnets, roles, instance types and sizes).

Each rule answers with EKS's error code and message (sources beside each rule). Refusals are
recorded in `GET /_mosia/calls` under "rejected"."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from moto.eks.exceptions import EKSError, InvalidParameterException
from moto.eks.models import EKSBackend

from .. import rejections
from . import iam, wrap


class UnsupportedAvailabilityZoneException(EKSError):
    """Body: message, clusterName, nodegroupName, validZones (EKS API reference)."""

    TYPE = "UnsupportedAvailabilityZoneException"
    STATUS = 400


def refuse(error: EKSError, operation: str) -> EKSError:
    """Record a rule's refusal (code and message as the client sees them) and return it.
    (moto's EKS errors carry a JSON body as their description, so `rejections.rule` would
    record that body as the message.)"""
    body = json.loads(error.description or "{}")
    rejections.record("rule", "eks", operation, error.TYPE, str(body.get("message", "")))
    return error


def invalid(message: str, cluster: str | None = None, nodegroup: str | None = None) -> EKSError:
    return InvalidParameterException(
        clusterName=cluster, nodegroupName=nodegroup, fargateProfileName=None, addonName=None,
        message=message,
    )


# -- subnets and Availability Zones -----------------------------------------------------------
# AZ IDs that host no EKS control plane: CreateCluster with a subnet there answers
# UnsupportedAvailabilityZoneException. AWS: EKS User Guide, "VPC and subnet requirements"
# (network-reqs: use1-az3, usw1-az2, cac1-az3). IDs, not names: names differ per account (in
# moto, us-east-1e is use1-az3; its us-west-1 and ca-central-1 have no such zone).
EKS_UNSUPPORTED_ZONE_IDS: dict[str, frozenset[str]] = {
    "us-east-1": frozenset({"use1-az3"}),
    "us-west-1": frozenset({"usw1-az2"}),
    "ca-central-1": frozenset({"cac1-az3"}),
}


def ec2_of(account_id: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region]


def subnets_of(ec2: Any, subnet_ids: list[str], cluster: str, nodegroup: str | None) -> list[Any]:
    """The subnets; an unknown one is refused as EKS does.
    AWS: "InvalidParameterException: The subnet ID 'subnet-...' does not exist (Service:
    AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound; ...)" (reported in
    DevOps-The-Hard-Way-AWS #16)."""
    found = []
    for subnet_id in subnet_ids:
        try:
            found.append(ec2.get_subnet(subnet_id))
        except Exception:  # moto's InvalidSubnetIdError
            raise invalid(
                f"The subnet ID '{subnet_id}' does not exist (Service: AmazonEC2; Status Code: "
                f"400; Error Code: InvalidSubnetID.NotFound; Request ID: {uuid.uuid4()}; Proxy: null)",
                cluster, nodegroup,
            )
    return found


def check_cluster_subnets(backend: EKSBackend, name: str, vpc_config: dict[str, Any]) -> None:
    """Subnets in at least two AZs, none in an AZ without EKS control planes."""
    ec2 = ec2_of(backend.account_id, backend.region_name)
    subnets = subnets_of(ec2, list((vpc_config or {}).get("subnetIds") or []), name, None)
    zones = {s.availability_zone for s in subnets}
    if len(zones) < 2:
        # AWS: "Subnets specified must be in at least two different AZs" (EKS User Guide
        # network-reqs; amazon-eks-user-guide PR #795).
        raise invalid("Subnets specified must be in at least two different AZs", name)
    unsupported = EKS_UNSUPPORTED_ZONE_IDS.get(backend.region_name, frozenset())
    bad = sorted({s.availability_zone for s in subnets if s.availability_zone_id in unsupported})
    if bad:
        valid = [
            z.name for z in ec2.describe_availability_zones() if z.zone_id not in unsupported
        ]
        # AWS: message and validZones as in aws-workshop-for-kubernetes #529, rancher #14224.
        raise UnsupportedAvailabilityZoneException(
            clusterName=name, nodegroupName=None, validZones=valid,
            message=(
                f"Cannot create cluster '{name}' because {bad[0]}, the targeted availability "
                "zone, does not currently have sufficient capacity to support the cluster. "
                f"Retry and choose from these availability zones: {', '.join(valid)}"
            ),
        )


# -- IAM roles ----------------------------------------------------------------------------------
CLUSTER_POLICIES = ("AmazonEKSClusterPolicy",)
# EKS checks the two managed policies by ARN (containers-roadmap #1610); the ECR one may be
# the newer AmazonEC2ContainerRegistryPullOnly (EKS User Guide, "Amazon EKS node IAM role").
# AmazonEKS_CNI_Policy is optional (the CNI may use IRSA or Pod Identity) and not checked.
NODE_POLICIES = (
    ("AmazonEKSWorkerNodePolicy",),
    ("AmazonEC2ContainerRegistryReadOnly", "AmazonEC2ContainerRegistryPullOnly"),
)


def _partition(role_arn: str) -> str:
    parts = role_arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else "aws"


def check_cluster_role(role_arn: str, name: str) -> None:
    """The cluster role exists (and has propagated), trusts eks.amazonaws.com and has
    AmazonEKSClusterPolicy attached.
    AWS: terraform-provider-aws retries CreateCluster on these InvalidParameterException
    messages for IAM propagation (internal/service/eks/cluster.go); "Role with arn: ... could
    not be assumed because it does not exist or the trusted entity is not correct" is what
    EKS answers for a role it cannot assume (eks-operator, banzaicloud pipeline retries)."""
    role = iam.visible_role(role_arn)
    if role is None or not iam.trusts_service(role, "eks.amazonaws.com"):
        raise invalid(
            f"Role with arn: {role_arn} could not be assumed because it does not exist or the "
            "trusted entity is not correct",
            name,
        )
    policy = f"arn:{_partition(role_arn)}:iam::aws:policy/{CLUSTER_POLICIES[0]}"
    if policy not in iam.visible_policies(role):
        raise invalid(
            "The provided role doesn't have the Amazon EKS Managed Policies associated with it. "
            f"Please ensure the following policy is attached: {policy}",
            name,
        )


def check_node_role(role_arn: str, cluster: str, nodegroup: str) -> None:
    """The node role exists (and has propagated), trusts ec2.amazonaws.com and has the
    worker node and ECR policies attached.
    AWS: "Following required service principals [ec2.amazonaws.com] were not found in the
    trust relationships of nodeRole ..." (eksctl #3290); "The provided role doesn't have the
    Amazon EKS Managed Policies associated with it. Please ensure the following policies ...
    are attached" (containers-roadmap #1610). EKS's exact answer for a node role that does not
    exist (yet) is not documented: the trust-relationship message is used for it too."""
    role = iam.visible_role(role_arn)
    if role is None or not iam.trusts_service(role, "ec2.amazonaws.com"):
        raise invalid(
            "Following required service principals [ec2.amazonaws.com] were not found in the "
            f"trust relationships of nodeRole {role_arn}",
            cluster, nodegroup,
        )
    prefix = f"arn:{_partition(role_arn)}:iam::aws:policy/"
    attached = iam.visible_policies(role)
    if not all(any(prefix + p in attached for p in choices) for choices in NODE_POLICIES):
        required = ", ".join(prefix + choices[0] for choices in NODE_POLICIES)
        raise invalid(
            "The provided role doesn't have the Amazon EKS Managed Policies associated with it. "
            f"Please ensure the following policies {required} are attached",
            cluster, nodegroup,
        )


# -- node group instance types and AMI types -------------------------------------------------------
# Instance families of AWS Graviton (arm64): a1, and a generation digit followed by "g" (t4g,
# m6g, m6gd, c6gn, c7g, r8g, x2gd, im4gn, is4gen, hpc7g, g5g). Every other family is x86_64
# (g4dn, g4ad, p4d, inf2, m5zn, ...). AWS: EC2 User Guide, "Instance type naming conventions".
GRAVITON_FAMILY = re.compile(r"^(a1|[a-z]+\d+g[a-z]*)$")


def instance_arch(instance_type: str) -> str:
    family = instance_type.split(".", 1)[0].lower()
    return "arm64" if GRAVITON_FAMILY.match(family) else "x86_64"


def ami_arch(ami_type: str) -> str | None:
    """Architecture of an EKS amiType (AL2_ARM_64, AL2023_x86_64_STANDARD, BOTTLEROCKET_x86_64,
    WINDOWS_CORE_2022_x86_64, ...); None for CUSTOM (the launch template's AMI decides)."""
    if "ARM_64" in ami_type:
        return "arm64"
    if "x86_64" in ami_type:
        return "x86_64"
    return None


def default_ami_type(version: str) -> str:
    """EKS's amiType when the request has none: x86_64 whatever the instance types. From
    Kubernetes 1.30, AL2023 (AWS "What's new", May 2024: new managed node groups default to
    AL2023); before, AL2_x86_64."""
    try:
        major, minor = (int(x) for x in str(version).split(".")[:2])
    except ValueError:
        return "AL2023_x86_64_STANDARD"
    return "AL2023_x86_64_STANDARD" if (major, minor) >= (1, 30) else "AL2_x86_64"


def check_instance_types(instance_types: list[str], ami_type: str, cluster: str, nodegroup: str) -> None:
    """AWS: "[t4g.medium] is not a valid instance type for requested amiType
    AL2023_x86_64_STANDARD" (InvalidParameterException; HHS/simpler-grants-gov #12404,
    terraform-aws-eks #1494). With several mismatched types the list format is assumed."""
    arch = ami_arch(ami_type)
    if arch is None:
        return
    bad = [t for t in instance_types if instance_arch(t) != arch]
    if bad:
        raise invalid(
            f"[{', '.join(bad)}] is not a valid instance type for requested amiType {ami_type}",
            cluster, nodegroup,
        )


# -- scaling ----------------------------------------------------------------------------------------
def check_scaling(scaling: dict[str, Any], cluster: str, nodegroup: str, update: bool) -> None:
    """minSize <= desiredSize <= maxSize, maxSize >= 1, minSize >= 0.
    AWS (InvalidParameterException): CreateNodegroup "minSize can't be greater than
    desiredSize" (viya4-iac-aws #298), "desiredSize can't be greater than maxSize"
    (cloud-platform-infrastructure #4595); UpdateNodegroupConfig "Minimum capacity 3 can't be
    greater than desired size 2" (terraform-aws-eks #2508, #3306). The maxSize/minSize bound
    messages are not documented (the API model's minimums usually refuse first)."""
    lo, hi, want = scaling.get("minSize"), scaling.get("maxSize"), scaling.get("desiredSize")
    if hi is not None and hi < 1:
        raise invalid("maxSize can't be less than 1", cluster, nodegroup)
    if lo is not None and lo < 0:
        raise invalid("minSize can't be less than 0", cluster, nodegroup)
    if lo is not None and want is not None and lo > want:
        message = (
            f"Minimum capacity {lo} can't be greater than desired size {want}"
            if update else "minSize can't be greater than desiredSize"
        )
        raise invalid(message, cluster, nodegroup)
    if want is not None and hi is not None and want > hi:
        raise invalid("desiredSize can't be greater than maxSize", cluster, nodegroup)
    if lo is not None and hi is not None and lo > hi:
        raise invalid("minSize can't be greater than maxSize", cluster, nodegroup)


# -- cluster version -----------------------------------------------------------------------------
def check_nodegroups_follow(cluster: Any) -> None:
    """UpdateClusterVersion is refused while a node group runs an older Kubernetes version than
    the control plane's current one. AWS: "Nodegroups NAME must be updated to match cluster
    version 1.18 before updating cluster version" (InvalidParameterException;
    terraform-provider-aws #19478)."""
    behind = sorted(
        ng.nodegroup_name
        for ng in cluster.nodegroups.values()
        if ng.status != "DELETING" and _version(ng.version) < _version(cluster.version)
    )
    if behind:
        raise invalid(
            f"Nodegroups {', '.join(behind)} must be updated to match cluster version "
            f"{cluster.version} before updating cluster version",
            cluster.name,
        )


def _version(version: Any) -> tuple[int, int]:
    try:
        major, minor = (int(x) for x in str(version).split(".")[:2])
        return major, minor
    except ValueError:
        return (0, 0)


# -- wiring --------------------------------------------------------------------------------------
def apply() -> None:
    @wrap(EKSBackend, "create_cluster")
    def create_cluster(orig: Any, self: EKSBackend, **kwargs: Any) -> Any:
        name = kwargs.get("name")
        if name in self.clusters:
            return orig(self, **kwargs)  # ResourceInUseException comes first
        try:
            check_cluster_subnets(self, name, kwargs.get("resources_vpc_config") or {})
            check_cluster_role(kwargs.get("role_arn") or "", name)
        except EKSError as err:
            raise refuse(err, "CreateCluster")
        return orig(self, **kwargs)

    @wrap(EKSBackend, "create_nodegroup")
    def create_nodegroup(orig: Any, self: EKSBackend, **kwargs: Any) -> Any:
        cluster = self.clusters.get(kwargs.get("cluster_name"))
        ng_name = kwargs.get("nodegroup_name")
        if cluster is None or ng_name in cluster.nodegroups or cluster.status != "ACTIVE":
            return orig(self, **kwargs)  # moto's NotFound / InUse / not ACTIVE answers
        version = kwargs.get("version") or cluster.version
        ami_type = kwargs.get("ami_type") or default_ami_type(version)
        instance_types = kwargs.get("instance_types") or [
            "t4g.medium" if ami_arch(ami_type) == "arm64" else "t3.medium"
        ]
        try:
            check_scaling(kwargs.get("scaling_config") or {}, cluster.name, ng_name, update=False)
            if not kwargs.get("launch_template"):
                check_instance_types(instance_types, ami_type, cluster.name, ng_name)
            ec2 = ec2_of(self.account_id, self.region_name)
            subnets_of(ec2, list(kwargs.get("subnets") or []), cluster.name, ng_name)
            check_node_role(kwargs.get("node_role") or "", cluster.name, ng_name)
        except EKSError as err:
            raise refuse(err, "CreateNodegroup")
        if not kwargs.get("launch_template"):
            # What EKS reports: the default AMI type and instance type it chose.
            kwargs["ami_type"] = ami_type
            kwargs["instance_types"] = instance_types
        return orig(self, **kwargs)

    @wrap(EKSBackend, "update_nodegroup_config")
    def update_nodegroup_config(orig: Any, self: EKSBackend, **kwargs: Any) -> Any:
        cluster = self.clusters.get(kwargs.get("cluster_name"))
        ng = cluster.nodegroups.get(kwargs.get("nodegroup_name")) if cluster else None
        if ng is not None and kwargs.get("scaling_config"):
            merged = {**(ng.scaling_config or {}), **kwargs["scaling_config"]}
            try:
                check_scaling(merged, cluster.name, ng.nodegroup_name, update=True)
            except EKSError as err:
                raise refuse(err, "UpdateNodegroupConfig")
            # moto updates the node group's dict in place (its default is shared).
            ng.scaling_config = dict(ng.scaling_config or {})
        return orig(self, **kwargs)
