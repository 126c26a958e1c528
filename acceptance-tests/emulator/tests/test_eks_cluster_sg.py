"""The cluster security group EKS creates with each cluster: reported in
resourcesVpcConfig, in the cluster's VPC with EKS's tags, deleted with the cluster unless
another group's rule still names it (EC2 refuses to delete a referenced group)."""

from __future__ import annotations

from .eks_support import EksCase


class EksClusterSecurityGroupTest(EksCase):
    def group(self, group_id: str) -> dict:
        found = self.ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [group_id]}])
        return found["SecurityGroups"][0] if found["SecurityGroups"] else {}

    def delete_cluster(self, name: str) -> None:
        self.eks.delete_cluster(name=name)
        with self.assertRaises(Exception):
            self.eks.describe_cluster(name=name)  # zero profile: gone at the next call

    def test_the_cluster_group_is_created_and_reported(self) -> None:
        cluster = self.cluster("c")
        group_id = cluster["resourcesVpcConfig"]["clusterSecurityGroupId"]
        group = self.group(group_id)
        vpc = self.ec2.describe_subnets(SubnetIds=self.subnets[:1])["Subnets"][0]["VpcId"]
        self.assertEqual(group["VpcId"], vpc)
        self.assertTrue(group["GroupName"].startswith("eks-cluster-sg-c-"))
        tags = {t["Key"]: t["Value"] for t in group["Tags"]}
        self.assertEqual(tags["aws:eks:cluster-name"], "c")
        self.assertEqual(tags["kubernetes.io/cluster/c"], "owned")
        self.delete_cluster("c")
        self.assertEqual(self.group(group_id), {}, "deleted with the cluster")

    def test_a_referenced_cluster_group_is_left_behind(self) -> None:
        cluster = self.cluster("c")
        group_id = cluster["resourcesVpcConfig"]["clusterSecurityGroupId"]
        vpc = self.group(group_id)["VpcId"]
        db = self.ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
        self.ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
            "UserIdGroupPairs": [{"GroupId": group_id}],
        }])
        self.assertAwsError("DependencyViolation", self.ec2.delete_security_group, GroupId=group_id)
        self.delete_cluster("c")
        self.assertEqual(self.group(group_id)["GroupId"], group_id, "EKS could not delete it")
