"""EKS's rules for the calls the provider makes (CreateCluster, CreateNodegroup,
UpdateNodegroupConfig, UpdateClusterVersion), IAM propagation, and EKS's own actions
(`eks_auto_upgrade`, `eks_cluster_objects` events). Each refusal is checked next to the
request AWS accepts."""

from __future__ import annotations

import json
import urllib.error
import uuid
from typing import Any

from mosia_emulator.patches import eks_rules

from .support import EmulatorCase

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ""}}],
}
POLICY = "arn:aws:iam::aws:policy/"


def trust(service: str) -> str:
    doc = json.loads(json.dumps(TRUST))
    doc["Statement"][0]["Principal"]["Service"] = service
    return json.dumps(doc)


class EksRulesTest(EmulatorCase):
    MANAGED_POLICIES = True
    def setUp(self) -> None:
        super().setUp()
        self.eks = self.client("eks")
        self.ec2 = self.client("ec2")
        self.iam = self.client("iam")

    # -- helpers ----------------------------------------------------------------------------
    def network(self, *zones: str) -> list[str]:
        vpc = self.ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        self.vpc_id = vpc
        return [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=z)
            ["Subnet"]["SubnetId"]
            for i, z in enumerate(zones)
        ]

    def role(self, name: str, service: str, *policies: str) -> str:
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(service))["Role"]["Arn"]
        for p in policies:
            self.iam.attach_role_policy(RoleName=name, PolicyArn=POLICY + p)
        return arn

    def cluster_role(self) -> str:
        return self.role(f"cluster-{uuid.uuid4().hex[:8]}", "eks.amazonaws.com", "AmazonEKSClusterPolicy")

    def node_role(self) -> str:
        return self.role(
            f"node-{uuid.uuid4().hex[:8]}", "ec2.amazonaws.com", "AmazonEKSWorkerNodePolicy",
            "AmazonEC2ContainerRegistryReadOnly", "AmazonEKS_CNI_Policy",
        )

    def cluster(self, name: str = "c", version: str = "1.31") -> dict[str, Any]:
        subnets = self.network("us-east-1a", "us-east-1b")
        self.subnets = subnets
        self.eks.create_cluster(name=name, version=version, roleArn=self.cluster_role(),
                                resourcesVpcConfig={"subnetIds": subnets})
        cluster = self.eks.describe_cluster(name=name)["cluster"]  # zero profile: ACTIVE now
        self.assertEqual(cluster["status"], "ACTIVE")
        return cluster

    def nodegroup(self, cluster: str, name: str = "ng", **kwargs: Any) -> dict[str, Any]:
        request = {
            "clusterName": cluster, "nodegroupName": name, "nodeRole": self.node_role(),
            "subnets": self.subnets,
            "scalingConfig": {"minSize": 1, "maxSize": 2, "desiredSize": 1},
            "instanceTypes": ["t3.medium"],
        }
        request.update(kwargs)
        return self.eks.create_nodegroup(**request)["nodegroup"]

    def rejected(self) -> list[dict[str, Any]]:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"]

    def event(self, body: dict[str, Any]) -> Any:
        return self.control("POST", "/_mosia/events", body)["result"]

    # -- CreateCluster: subnets ------------------------------------------------------------------
    def test_cluster_needs_subnets_in_two_azs(self) -> None:
        same = self.network("us-east-1a", "us-east-1a")
        role = self.cluster_role()
        self.assertAwsError("InvalidParameterException", self.eks.create_cluster, name="c",
                            roleArn=role, resourcesVpcConfig={"subnetIds": same},
                            message="Subnets specified must be in at least two different AZs")
        self.assertEqual(self.rejected()[-1]["code"], "InvalidParameterException")
        two = self.network("us-east-1a", "us-east-1b")
        created = self.eks.create_cluster(name="c", roleArn=role, resourcesVpcConfig={"subnetIds": two})
        self.assertEqual(created["cluster"]["status"], "CREATING")

    def test_cluster_subnets_must_exist(self) -> None:
        self.assertAwsError("InvalidParameterException", self.eks.create_cluster, name="c",
                            roleArn=self.cluster_role(),
                            resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
                            message="The subnet ID 'subnet-1' does not exist")

    def test_unsupported_availability_zone_lists_valid_zones(self) -> None:
        subnets = self.network("us-east-1a", "us-east-1e")  # us-east-1e is use1-az3
        err = self.assertAwsError("UnsupportedAvailabilityZoneException", self.eks.create_cluster,
                                  name="c", roleArn=self.cluster_role(),
                                  resourcesVpcConfig={"subnetIds": subnets},
                                  message="because us-east-1e, the targeted availability zone")
        valid = err.response.get("validZones") or json.loads(
            err.response.get("Error", {}).get("validZones", "[]"))
        self.assertIn("us-east-1a", valid)
        self.assertNotIn("us-east-1e", valid)
        ok = self.network("us-east-1a", "us-east-1f")
        self.eks.create_cluster(name="c", roleArn=self.cluster_role(), resourcesVpcConfig={"subnetIds": ok})

    # -- CreateCluster / CreateNodegroup: roles ---------------------------------------------------
    def test_cluster_role_must_exist_and_trust_eks(self) -> None:
        subnets = self.network("us-east-1a", "us-east-1b")
        missing = "arn:aws:iam::123456789012:role/missing"
        self.assertAwsError("InvalidParameterException", self.eks.create_cluster, name="c",
                            roleArn=missing, resourcesVpcConfig={"subnetIds": subnets},
                            message=f"Role with arn: {missing} could not be assumed because it "
                                    "does not exist or the trusted entity is not correct")
        ec2_trusted = self.role("wrong-trust", "ec2.amazonaws.com", "AmazonEKSClusterPolicy")
        self.assertAwsError("InvalidParameterException", self.eks.create_cluster, name="c",
                            roleArn=ec2_trusted, resourcesVpcConfig={"subnetIds": subnets},
                            message="could not be assumed")
        self.eks.create_cluster(name="c", roleArn=self.cluster_role(),
                                resourcesVpcConfig={"subnetIds": subnets})

    def test_cluster_role_needs_the_cluster_policy(self) -> None:
        subnets = self.network("us-east-1a", "us-east-1b")
        bare = self.role("bare", "eks.amazonaws.com")
        self.assertAwsError("InvalidParameterException", self.eks.create_cluster, name="c",
                            roleArn=bare, resourcesVpcConfig={"subnetIds": subnets},
                            message="The provided role doesn't have the Amazon EKS Managed Policies "
                                    "associated with it. Please ensure the following policy is "
                                    "attached: arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
        self.iam.attach_role_policy(RoleName="bare", PolicyArn=POLICY + "AmazonEKSClusterPolicy")
        self.eks.create_cluster(name="c", roleArn=bare, resourcesVpcConfig={"subnetIds": subnets})

    def test_node_role_must_trust_ec2_and_have_worker_policies(self) -> None:
        self.cluster()
        eks_trusted = self.role("n1", "eks.amazonaws.com", "AmazonEKSWorkerNodePolicy",
                                "AmazonEC2ContainerRegistryReadOnly")
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c", nodeRole=eks_trusted,
                            message="Following required service principals [ec2.amazonaws.com] "
                                    f"were not found in the trust relationships of nodeRole {eks_trusted}")
        no_ecr = self.role("n2", "ec2.amazonaws.com", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy")
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c", nodeRole=no_ecr,
                            message="Please ensure the following policies "
                                    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy, "
                                    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly are attached")
        # The newer pull-only ECR policy is enough; the CNI policy is not required.
        pull_only = self.role("n3", "ec2.amazonaws.com", "AmazonEKSWorkerNodePolicy",
                              "AmazonEC2ContainerRegistryPullOnly")
        self.assertEqual(self.nodegroup("c", nodeRole=pull_only)["status"], "CREATING")

    def test_a_new_role_is_not_assumable_until_it_propagates(self) -> None:
        subnets = self.network("us-east-1a", "us-east-1b")
        self.control("POST", "/_mosia/durations", {"iam_role": {"propagate": 60}})
        role = self.cluster_role()
        self.assertAwsError("InvalidParameterException", self.eks.create_cluster, name="c",
                            roleArn=role, resourcesVpcConfig={"subnetIds": subnets},
                            message="could not be assumed because it does not exist")
        # IAM itself answers at once: only EKS does not see the role yet.
        self.assertEqual(self.iam.get_role(RoleName=role.rsplit("/", 1)[1])["Role"]["Arn"], role)
        self.control("POST", "/_mosia/durations", {"iam_role": {"propagate": 0}})
        self.eks.create_cluster(name="c", roleArn=role, resourcesVpcConfig={"subnetIds": subnets})

    def test_a_new_node_role_and_new_attachments_propagate_too(self) -> None:
        self.cluster()
        self.control("POST", "/_mosia/durations", {"iam_role": {"propagate": 60}})
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c",
                            message="were not found in the trust relationships of nodeRole")
        self.control("POST", "/_mosia/durations", {"iam_role": {"propagate": 0}})
        self.assertEqual(self.nodegroup("c")["status"], "CREATING")

    # -- CreateNodegroup: instance types and AMI types --------------------------------------------
    def test_graviton_types_need_an_arm_ami_type(self) -> None:
        self.cluster(version="1.31")
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c", instanceTypes=["t4g.medium"],
                            message="[t4g.medium] is not a valid instance type for requested "
                                    "amiType AL2023_x86_64_STANDARD")
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c", instanceTypes=["m5.large"],
                            amiType="AL2023_ARM_64_STANDARD",
                            message="[m5.large] is not a valid instance type for requested amiType "
                                    "AL2023_ARM_64_STANDARD")
        arm = self.nodegroup("c", "arm", instanceTypes=["t4g.medium", "m7g.large"],
                             amiType="AL2023_ARM_64_STANDARD")
        self.assertEqual(arm["amiType"], "AL2023_ARM_64_STANDARD")
        x86 = self.nodegroup("c", "x86")
        self.assertEqual(x86["amiType"], "AL2023_x86_64_STANDARD")  # EKS's default from 1.30

    def test_default_ami_type_before_1_30_is_al2(self) -> None:
        self.cluster(version="1.29")
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c", instanceTypes=["c6g.large"],
                            message="[c6g.large] is not a valid instance type for requested amiType AL2_x86_64")
        self.assertEqual(self.nodegroup("c")["amiType"], "AL2_x86_64")

    def test_instance_family_architectures(self) -> None:
        arm = ["a1.large", "t4g.medium", "m6g.large", "m6gd.large", "c6gn.large", "c7g.large",
               "r8g.large", "x2gd.large", "im4gn.large", "is4gen.large", "hpc7g.4xlarge", "g5g.xlarge"]
        x86 = ["t3.medium", "m5.large", "g4dn.xlarge", "g4ad.xlarge", "p4d.24xlarge", "inf2.xlarge",
               "m5zn.large", "c5a.large", "x2iedn.xlarge", "trn1.2xlarge"]
        for t in arm:
            self.assertEqual(eks_rules.instance_arch(t), "arm64", t)
        for t in x86:
            self.assertEqual(eks_rules.instance_arch(t), "x86_64", t)

    # -- scaling ------------------------------------------------------------------------------------
    def test_scaling_sizes_are_ordered(self) -> None:
        self.cluster()
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c",
                            scalingConfig={"minSize": 2, "maxSize": 3, "desiredSize": 1},
                            message="minSize can't be greater than desiredSize")
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c",
                            scalingConfig={"minSize": 1, "maxSize": 2, "desiredSize": 3},
                            message="desiredSize can't be greater than maxSize")
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c",
                            scalingConfig={"minSize": 0, "maxSize": 0, "desiredSize": 0})
        self.nodegroup("c", scalingConfig={"minSize": 0, "maxSize": 1, "desiredSize": 0})

    def test_update_nodegroup_config_keeps_desired_within_bounds(self) -> None:
        self.cluster()
        self.nodegroup("c")  # 1 / 1 / 2
        self.eks.describe_nodegroup(clusterName="c", nodegroupName="ng")  # ACTIVE
        self.assertAwsError("InvalidParameterException", self.eks.update_nodegroup_config,
                            clusterName="c", nodegroupName="ng", scalingConfig={"minSize": 2},
                            message="Minimum capacity 2 can't be greater than desired size 1")
        self.assertAwsError("InvalidParameterException", self.eks.update_nodegroup_config,
                            clusterName="c", nodegroupName="ng", scalingConfig={"desiredSize": 3},
                            message="desiredSize can't be greater than maxSize")
        self.assertEqual(self.rejected()[-1]["operation"], "UpdateNodegroupConfig")
        self.eks.update_nodegroup_config(clusterName="c", nodegroupName="ng",
                                         scalingConfig={"minSize": 2, "desiredSize": 2, "maxSize": 3})
        ng = self.eks.describe_nodegroup(clusterName="c", nodegroupName="ng")["nodegroup"]
        self.assertEqual(ng["scalingConfig"], {"minSize": 2, "maxSize": 3, "desiredSize": 2})

    # -- UpdateClusterVersion -----------------------------------------------------------------------
    def test_one_minor_version_at_a_time(self) -> None:
        self.cluster(version="1.29")
        self.assertAwsError("InvalidParameterException", self.eks.update_cluster_version, name="c",
                            version="1.31",
                            message="Unsupported Kubernetes minor version update from 1.29 to 1.31")
        self.assertEqual(self.rejected()[-1]["operation"], "UpdateClusterVersion")
        self.eks.update_cluster_version(name="c", version="1.30")
        self.assertEqual(self.eks.describe_cluster(name="c")["cluster"]["version"], "1.30")

    def test_no_cluster_upgrade_while_node_groups_lag(self) -> None:
        self.cluster(version="1.29")
        self.nodegroup("c", "workers")
        self.eks.describe_nodegroup(clusterName="c", nodegroupName="workers")
        self.eks.update_cluster_version(name="c", version="1.30")  # nodes on 1.29 = cluster's
        self.eks.describe_cluster(name="c")
        self.assertAwsError("InvalidParameterException", self.eks.update_cluster_version, name="c",
                            version="1.31",
                            message="Nodegroups workers must be updated to match cluster version "
                                    "1.30 before updating cluster version")
        self.eks.update_nodegroup_version(clusterName="c", nodegroupName="workers", version="1.30")
        self.eks.describe_nodegroup(clusterName="c", nodegroupName="workers")
        self.eks.update_cluster_version(name="c", version="1.31")

    # -- EKS's own actions ----------------------------------------------------------------------------
    def test_auto_upgrade_moves_the_control_plane_one_minor(self) -> None:
        self.cluster(version="1.31")
        self.nodegroup("c")
        with self.assertRaises(urllib.error.HTTPError) as bad:
            self.event({"event": "eks_auto_upgrade", "cluster": "c", "version": "1.33"})
        self.assertEqual(bad.exception.code, 400)
        done = self.event({"event": "eks_auto_upgrade", "cluster": "c", "version": "1.32"})
        self.assertEqual((done["from"], done["version"]), ("1.31", "1.32"))
        update = self.eks.describe_update(name="c", updateId=done["updateId"])["update"]
        self.assertEqual(update["type"], "VersionUpdate")
        cluster = self.eks.describe_cluster(name="c")["cluster"]
        self.assertEqual((cluster["status"], cluster["version"]), ("ACTIVE", "1.32"))
        ng = self.eks.describe_nodegroup(clusterName="c", nodegroupName="ng")["nodegroup"]
        self.assertEqual(ng["version"], "1.31")  # node groups stay

    def test_cluster_objects_are_tagged_in_the_cluster_vpc(self) -> None:
        self.cluster(name="shop")
        made = self.event({"event": "eks_cluster_objects", "cluster": "shop"})
        self.assertEqual(made["vpcId"], self.vpc_id)
        owned = {"Key": "kubernetes.io/cluster/shop", "Value": "owned"}
        group = self.ec2.describe_security_groups(GroupIds=made["securityGroupIds"])["SecurityGroups"][0]
        self.assertEqual(group["VpcId"], self.vpc_id)
        self.assertIn(owned, group["Tags"])
        eni = self.ec2.describe_network_interfaces(
            NetworkInterfaceIds=made["networkInterfaceIds"])["NetworkInterfaces"][0]
        self.assertIn(eni["SubnetId"], self.subnets)
        self.assertIn(owned, eni.get("TagSet", []))
        elbv2 = self.client("elbv2")
        lb = elbv2.describe_load_balancers(LoadBalancerArns=made["loadBalancerArns"])["LoadBalancers"][0]
        self.assertEqual(lb["VpcId"], self.vpc_id)
        tags = elbv2.describe_tags(ResourceArns=made["loadBalancerArns"])["TagDescriptions"][0]["Tags"]
        self.assertIn(owned, tags)
        # Found by their tag, as a destroy that cleans up after the cluster would look for them.
        tagged = self.ec2.describe_network_interfaces(
            Filters=[{"Name": "tag:kubernetes.io/cluster/shop", "Values": ["owned"]}])
        self.assertEqual([e["NetworkInterfaceId"] for e in tagged["NetworkInterfaces"]],
                         made["networkInterfaceIds"])
        with self.assertRaises(urllib.error.HTTPError):
            self.event({"event": "eks_cluster_objects", "cluster": "nope"})

    def test_cluster_objects_block_vpc_deletion_until_removed(self) -> None:
        """The EC2 side (patches/ec2_rules.py): a subnet with an ENI, a VPC with a non-default
        security group, and a group an ENI uses are refused with DependencyViolation."""
        self.cluster(name="shop")
        made = self.event({"event": "eks_cluster_objects", "cluster": "shop"})
        self.eks.delete_cluster(name="shop")  # the cluster goes; what it created stays
        subnet = self.ec2.describe_network_interfaces(
            NetworkInterfaceIds=made["networkInterfaceIds"])["NetworkInterfaces"][0]["SubnetId"]
        self.assertAwsError("DependencyViolation", self.ec2.delete_subnet, SubnetId=subnet)
        self.assertAwsError("DependencyViolation", self.ec2.delete_security_group,
                            GroupId=made["securityGroupIds"][0])
        self.client("elbv2").delete_load_balancer(LoadBalancerArn=made["loadBalancerArns"][0])
        self.ec2.delete_network_interface(NetworkInterfaceId=made["networkInterfaceIds"][0])
        self.ec2.delete_security_group(GroupId=made["securityGroupIds"][0])
        for s in self.subnets:
            self.ec2.delete_subnet(SubnetId=s)
        self.ec2.delete_vpc(VpcId=self.vpc_id)
