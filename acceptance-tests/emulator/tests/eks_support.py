"""Shared set-up for the EKS test modules (test_eks_access, test_eks_addons,
test_eks_cluster_config, test_eks_nodegroups): a network, the cluster and node roles, an
ACTIVE cluster, node groups, and a Pod Identity role.

The roles need AWS managed policies (AmazonEKSClusterPolicy, ...). Loading all of moto's
(MANAGED_POLICIES) costs about a second per test; `managed_policies` puts only the few these
tests attach into the in-process IAM backend, after which AttachRolePolicy works as usual."""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

from .support import EmulatorCase

ACCOUNT = "123456789012"
POLICY = "arn:aws:iam::aws:policy/"
NEEDED_POLICIES = (
    "AmazonEKSClusterPolicy", "AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryReadOnly",
    "AmazonEKS_CNI_Policy",
)


@functools.lru_cache(maxsize=1)
def _policy_data() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    return {name: data[name] for name in NEEDED_POLICIES}


def managed_policies() -> None:
    from moto.iam.models import AWSManagedPolicy, iam_backends

    backend = iam_backends[ACCOUNT]["aws"]
    for name, doc in _policy_data().items():
        policy = AWSManagedPolicy.from_data(name, ACCOUNT, backend.region_name, doc)
        backend.managed_policies.setdefault(policy.arn, policy)


def trust(*services: str, actions: tuple[str, ...] = ("sts:AssumeRole",)) -> str:
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Principal": {"Service": list(services)}}],
    })


class EksCase(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.eks = self.client("eks")
        self.ec2 = self.client("ec2")
        self.iam = self.client("iam")
        self.iam.list_roles()  # the IAM backend exists before policies are put in it
        managed_policies()

    def tearDown(self) -> None:
        # Every request of these tests could be read against the API model (a request the
        # validation cannot parse would pass unjudged).
        rejected = self.control("GET", "/_mosia/calls")["rejected"]
        self.assertEqual(rejected["unparsed"], 0, rejected["unparsed_requests"])
        super().tearDown()

    def network(self) -> list[str]:
        vpc = self.ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        return [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
            for i, z in enumerate(("us-east-1a", "us-east-1b"))
        ]

    def role(self, service: str, *policies: str, actions: tuple[str, ...] = ("sts:AssumeRole",),
             name: str | None = None) -> str:
        name = name or f"role-{uuid.uuid4().hex[:8]}"
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(service, actions=actions))["Role"]["Arn"]
        for policy in policies:
            self.iam.attach_role_policy(RoleName=name, PolicyArn=POLICY + policy)
        return arn

    def pod_role(self, name: str | None = None) -> str:
        return self.role("pods.eks.amazonaws.com", actions=("sts:AssumeRole", "sts:TagSession"), name=name)

    def create_cluster(self, name: str = "c", version: str = "1.33", **kwargs: Any) -> dict[str, Any]:
        self.subnets = self.network()
        return self.eks.create_cluster(
            name=name, version=version, roleArn=self.role("eks.amazonaws.com", "AmazonEKSClusterPolicy"),
            resourcesVpcConfig={"subnetIds": self.subnets}, **kwargs,
        )["cluster"]

    def cluster(self, name: str = "c", version: str = "1.33", **kwargs: Any) -> dict[str, Any]:
        """An ACTIVE cluster (the zero profile: ACTIVE at the next call)."""
        self.create_cluster(name, version, **kwargs)
        cluster = self.eks.describe_cluster(name=name)["cluster"]
        self.assertEqual(cluster["status"], "ACTIVE")
        return cluster

    def nodegroup(self, cluster: str = "c", name: str = "ng", **kwargs: Any) -> dict[str, Any]:
        request = {
            "clusterName": cluster, "nodegroupName": name,
            "nodeRole": self.role("ec2.amazonaws.com", "AmazonEKSWorkerNodePolicy",
                                  "AmazonEC2ContainerRegistryReadOnly"),
            "subnets": self.subnets, "instanceTypes": ["t3.medium"],
            "scalingConfig": {"minSize": 1, "maxSize": 2, "desiredSize": 1},
        }
        request.update(kwargs)
        return self.eks.create_nodegroup(**request)["nodegroup"]

    def rejected(self) -> list[dict[str, Any]]:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"]

    def update_status(self, cluster: str, update_id: str, **kwargs: Any) -> str:
        return self.eks.describe_update(name=cluster, updateId=update_id, **kwargs)["update"]["status"]
