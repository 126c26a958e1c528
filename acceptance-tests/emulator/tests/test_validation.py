"""API-model validation: a request that breaks its operation's input shape is refused with
the service's validation error, in its wire format, before moto sees it; a valid one passes."""

from __future__ import annotations

from .support import EmulatorCase


class ValidationTest(EmulatorCase):
    def rejected(self) -> dict:
        return self.control("GET", "/_mosia/calls")["rejected"]

    def test_query_protocol_missing_and_too_long(self) -> None:
        iam = self.client("iam")
        trust = '{"Version":"2012-10-17","Statement":[]}'
        self.assertAwsError("ValidationError", iam.create_role, RoleName="r" * 65,
                            AssumeRolePolicyDocument=trust,
                            message="Member must have length less than or equal to 64")
        self.assertAwsError("ValidationError", iam.create_role, RoleName="ok",
                            message="Value null at 'assumeRolePolicyDocument'")
        self.assertEqual(iam.create_role(RoleName="r" * 64, AssumeRolePolicyDocument=trust)
                         ["Role"]["RoleName"], "r" * 64)
        rejected = self.rejected()
        self.assertEqual(rejected["validation"], 2)
        self.assertEqual(rejected["requests"][-1]["operation"], "CreateRole")

    def test_rds_missing_parameter_and_enum_free_strings(self) -> None:
        rds = self.client("rds")
        self.assertAwsError("MissingParameter", rds.create_db_subnet_group,
                            DBSubnetGroupName="g", SubnetIds=["subnet-1"],
                            message="dBSubnetGroupDescription")

    def test_ec2_enum_and_missing(self) -> None:
        ec2 = self.client("ec2")
        self.assertAwsError("MissingParameter", ec2.create_security_group, GroupName="g",
                            message="Value null at 'description'")
        self.assertAwsError("InvalidParameterValue", ec2.create_vpc, CidrBlock="10.1.0.0/16",
                            InstanceTenancy="shared-ish",
                            message="Member must satisfy enum value set")

    def test_rest_json_enum_range_and_required(self) -> None:
        eks = self.client("eks")
        self.assertAwsError("InvalidParameterException", eks.create_cluster, name="c",
                            roleArn="arn:aws:iam::123456789012:role/r",
                            resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
                            kubernetesNetworkConfig={"ipFamily": "ipv5"},
                            message="ipFamily")
        self.assertAwsError("InvalidParameterException", eks.create_cluster, name="c",
                            resourcesVpcConfig={}, message="Value null at 'roleArn'")
        kafka = self.client("kafka")
        self.assertAwsError("BadRequestException", kafka.create_cluster_v2, ClusterName="c",
                            Provisioned={"KafkaVersion": "3.6.0", "NumberOfBrokerNodes": 3,
                                         "BrokerNodeGroupInfo": {"ClientSubnets": ["s-1"],
                                                                 "InstanceType": "k"}},
                            message="Member must have length greater than or equal to 5")

    def test_load_balancing_under_its_signing_name(self) -> None:
        elbv2 = self.client("elbv2")
        self.assertAwsError("ValidationError", elbv2.delete_load_balancer,
                            message="Value null at 'loadBalancerArn'")

    def test_json_protocol(self) -> None:
        sm = self.client("secretsmanager")
        self.assertAwsError("InvalidParameterException", sm.get_secret_value, SecretId="",
                            message="secretId")

    def test_valid_requests_pass_and_are_not_counted(self) -> None:
        self.client("sts").get_caller_identity()
        self.client("ec2").describe_availability_zones()
        self.client("eks").list_clusters()
        self.client("rds").describe_db_instances()
        self.client("elbv2").describe_load_balancers()
        self.client("logs").describe_log_groups()
        self.assertEqual(self.rejected()["validation"], 0)
        self.assertEqual(self.rejected()["unparsed"], 0, self.rejected()["unparsed_requests"])
