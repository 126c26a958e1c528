"""MSK's rules for the calls the provider makes (CreateClusterV2 / CreateCluster,
UpdateBrokerCount, UpdateBrokerType, UpdateSecurity) and cluster ARNs in AWS's format. Each
refusal is checked next to the request AWS accepts."""

from __future__ import annotations

import re
from typing import Any

from .support import EmulatorCase

ARN = re.compile(
    r"^arn:aws:kafka:us-east-1:123456789012:cluster/(?P<name>[^/]+)/"
    r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(?P<cell>\d+)$"
)
IAM_AUTH = {"Sasl": {"Iam": {"Enabled": True}}, "Unauthenticated": {"Enabled": False}}


class KafkaRulesTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.kafka = self.client("kafka")
        self.ec2 = self.client("ec2")

    def network(self, *zones: str) -> list[str]:
        vpc = self.ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
        return [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.30.{i}.0/24", AvailabilityZone=z)
            ["Subnet"]["SubnetId"]
            for i, z in enumerate(zones)
        ]

    def provisioned(self, subnets: list[str], brokers: int = 3, instance: str = "kafka.m5.large",
                    auth: dict[str, Any] | None = None, client_broker: str = "TLS",
                    in_cluster: bool = True) -> dict[str, Any]:
        return {
            "KafkaVersion": "3.6.0",
            "NumberOfBrokerNodes": brokers,
            "BrokerNodeGroupInfo": {
                "InstanceType": instance,
                "ClientSubnets": subnets,
                "StorageInfo": {"EbsStorageInfo": {"VolumeSize": 100}},
            },
            "ClientAuthentication": auth if auth is not None else IAM_AUTH,
            "EncryptionInfo": {
                "EncryptionInTransit": {"ClientBroker": client_broker, "InCluster": in_cluster}
            },
        }

    def create(self, name: str = "demo", **kwargs: Any) -> str:
        subnets = kwargs.pop("subnets", None) or self.network("us-east-1a", "us-east-1b", "us-east-1c")
        return self.kafka.create_cluster_v2(ClusterName=name, Provisioned=self.provisioned(subnets, **kwargs))["ClusterArn"]

    def active(self, arn: str) -> dict[str, Any]:
        info = self.kafka.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]  # zero profile
        self.assertEqual(info["State"], "ACTIVE")
        return info

    def last_rejection(self) -> dict[str, Any]:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    # -- client subnets and broker count ----------------------------------------------------------
    def test_client_subnets_in_distinct_azs(self) -> None:
        same = self.network("us-east-1a", "us-east-1a", "us-east-1b")
        self.assertAwsError("BadRequestException", self.kafka.create_cluster_v2, ClusterName="d",
                            Provisioned=self.provisioned(same),
                            message="must be in distinct Availability Zones")
        self.assertEqual(self.last_rejection()["operation"], "CreateClusterV2")
        self.create("d")

    def test_two_or_three_existing_client_subnets_outside_use1_az3(self) -> None:
        one = self.network("us-east-1a")
        self.assertAwsError("BadRequestException", self.kafka.create_cluster_v2, ClusterName="d",
                            Provisioned=self.provisioned(one, brokers=1),
                            message="either two or three client subnets")
        self.assertAwsError("BadRequestException", self.kafka.create_cluster_v2, ClusterName="d",
                            Provisioned=self.provisioned(["subnet-a", "subnet-b"], brokers=2),
                            message="The subnet ID 'subnet-a' does not exist")
        with_e = self.network("us-east-1a", "us-east-1e")
        self.assertAwsError("BadRequestException", self.kafka.create_cluster_v2, ClusterName="d",
                            Provisioned=self.provisioned(with_e, brokers=2),
                            message="Client subnets can't occupy the Availability Zone with ID use1-az3")
        two = self.network("us-east-1a", "us-east-1f")
        self.kafka.create_cluster_v2(ClusterName="d", Provisioned=self.provisioned(two, brokers=2))

    def test_broker_count_a_multiple_of_the_subnets(self) -> None:
        subnets = self.network("us-east-1a", "us-east-1b", "us-east-1c")
        self.assertAwsError("BadRequestException", self.kafka.create_cluster_v2, ClusterName="d",
                            Provisioned=self.provisioned(subnets, brokers=4),
                            message="The number of broker nodes must be a multiple of Availability "
                                    "Zones in the Client Subnets parameter.")
        arn = self.kafka.create_cluster_v2(ClusterName="d", Provisioned=self.provisioned(subnets, brokers=6))["ClusterArn"]
        version = self.active(arn)["CurrentVersion"]
        self.assertAwsError("BadRequestException", self.kafka.update_broker_count, ClusterArn=arn,
                            CurrentVersion=version, TargetNumberOfBrokerNodes=8,
                            message="must be a multiple of Availability Zones")
        self.kafka.update_broker_count(ClusterArn=arn, CurrentVersion=version, TargetNumberOfBrokerNodes=9)

    def test_v1_create_cluster_follows_the_same_rules(self) -> None:
        subnets = self.network("us-east-1a", "us-east-1b")
        request = {
            "ClusterName": "v1", "KafkaVersion": "3.6.0", "NumberOfBrokerNodes": 3,
            "BrokerNodeGroupInfo": {"InstanceType": "kafka.m5.large", "ClientSubnets": subnets},
        }
        self.assertAwsError("BadRequestException", self.kafka.create_cluster, **request,
                            message="must be a multiple of Availability Zones")
        self.assertEqual(self.last_rejection()["operation"], "CreateCluster")
        request["NumberOfBrokerNodes"] = 2
        arn = self.kafka.create_cluster(**request)["ClusterArn"]
        self.assertRegex(arn, ARN)

    # -- authentication and encryption in transit ----------------------------------------------------
    def test_iam_authentication_needs_tls(self) -> None:
        self.assertAwsError("BadRequestException", self.create, "p", client_broker="PLAINTEXT",
                            message="To turn on SASL, you must also turn on EncryptionInTransit")
        self.assertAwsError("BadRequestException", self.create, "q", in_cluster=False,
                            message="by setting inCluster to true")
        # TLS_PLAINTEXT carries IAM over TLS only with unauthenticated access turned on as well.
        self.assertAwsError("BadRequestException", self.create, "r", client_broker="TLS_PLAINTEXT",
                            message="If you choose TLS_PLAINTEXT, then you must also set "
                                    "unauthenticated to true.")
        both = {"Sasl": {"Iam": {"Enabled": True}}, "Unauthenticated": {"Enabled": True}}
        self.create("s", client_broker="TLS_PLAINTEXT", auth=both)
        self.create("t", client_broker="TLS")

    def test_tls_authentication_needs_tls_only(self) -> None:
        tls = {"Tls": {"CertificateAuthorityArnList": ["arn:aws:acm-pca:us-east-1:123456789012:"
                                                       "certificate-authority/x"]}}
        self.assertAwsError("BadRequestException", self.create, "p", auth=tls,
                            client_broker="TLS_PLAINTEXT",
                            message="To turn on TLS access control")
        self.create("q", auth=tls)
        # Plaintext without client authentication is allowed.
        self.create("r", auth={"Unauthenticated": {"Enabled": True}}, client_broker="PLAINTEXT")

    def test_update_security_keeps_iam_on_tls(self) -> None:
        arn = self.create("d")
        version = self.active(arn)["CurrentVersion"]
        self.assertAwsError("BadRequestException", self.kafka.update_security, ClusterArn=arn,
                            CurrentVersion=version,
                            EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "PLAINTEXT"}},
                            message="To turn on SASL")
        self.assertEqual(self.last_rejection()["operation"], "UpdateSecurity")
        self.kafka.update_security(ClusterArn=arn, CurrentVersion=version,
                                   ClientAuthentication={"Unauthenticated": {"Enabled": True},
                                                         "Sasl": {"Iam": {"Enabled": False}}})

    # -- broker type ---------------------------------------------------------------------------------
    def test_no_move_down_to_t3_but_m5_and_m7g_sizes_move_both_ways(self) -> None:
        arn = self.create("d", instance="kafka.m7g.xlarge")
        version = self.active(arn)["CurrentVersion"]
        self.assertAwsError("BadRequestException", self.kafka.update_broker_type, ClusterArn=arn,
                            CurrentVersion=version, TargetInstanceType="kafka.t3.small",
                            message="You can't migrate from a larger broker size to a smaller "
                                    "broker size")
        self.assertEqual(self.last_rejection()["operation"], "UpdateBrokerType")
        # Another family (M7g -> M5), a larger size, and a smaller one within M5 are allowed.
        for target in ("kafka.m5.xlarge", "kafka.m5.2xlarge", "kafka.m5.large"):
            self.kafka.update_broker_type(ClusterArn=arn, CurrentVersion=version, TargetInstanceType=target)
            version = self.active(arn)["CurrentVersion"]

    def test_t3_small_grows_to_m7g(self) -> None:
        arn = self.create("d", instance="kafka.t3.small")
        version = self.active(arn)["CurrentVersion"]
        self.kafka.update_broker_type(ClusterArn=arn, CurrentVersion=version, TargetInstanceType="kafka.m7g.large")
        self.assertEqual(self.active(arn)["Provisioned"]["BrokerNodeGroupInfo"]["InstanceType"], "kafka.m7g.large")

    # -- cluster ARNs -----------------------------------------------------------------------------------
    def test_cluster_arn_in_aws_format_everywhere(self) -> None:
        subnets = self.network("us-east-1a", "us-east-1b", "us-east-1c")
        created = self.kafka.create_cluster_v2(
            ClusterName="demo", Tags={"team": "data"}, Provisioned=self.provisioned(subnets))
        arn = created["ClusterArn"]
        match = ARN.match(arn)
        self.assertIsNotNone(match, arn)
        self.assertEqual(match["name"], "demo")
        info = self.active(arn)
        self.assertEqual(info["ClusterArn"], arn)
        self.assertEqual(self.kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]["ClusterArn"], arn)
        listed = self.kafka.list_clusters_v2(ClusterNameFilter="demo")["ClusterInfoList"]
        self.assertEqual([c["ClusterArn"] for c in listed], [arn])
        self.assertEqual([c["ClusterArn"] for c in self.kafka.list_clusters()["ClusterInfoList"]], [arn])
        self.assertEqual(self.kafka.list_tags_for_resource(ResourceArn=arn)["Tags"], {"team": "data"})
        self.kafka.tag_resource(ResourceArn=arn, Tags={"env": "dev"})
        self.kafka.untag_resource(ResourceArn=arn, TagKeys=["team"])
        self.assertEqual(self.kafka.list_tags_for_resource(ResourceArn=arn)["Tags"], {"env": "dev"})
        brokers = self.kafka.get_bootstrap_brokers(ClusterArn=arn)["BootstrapBrokerStringSaslIam"]
        self.assertIn(f".c{match['cell']}.kafka.us-east-1.amazonaws.com:9098", brokers)
        op = self.kafka.update_broker_storage(
            ClusterArn=arn, CurrentVersion=info["CurrentVersion"],
            TargetBrokerEBSVolumeInfo=[{"KafkaBrokerNodeId": "All", "VolumeSizeGB": 200}],
        )["ClusterOperationArn"]
        self.assertTrue(op.startswith(
            f"arn:aws:kafka:us-east-1:123456789012:cluster-operation/demo/{match['uuid']}-{match['cell']}/"), op)
        described = self.kafka.describe_cluster_operation(ClusterOperationArn=op)["ClusterOperationInfo"]
        self.assertEqual(described["ClusterArn"], arn)
        ops = self.kafka.list_cluster_operations(ClusterArn=arn)["ClusterOperationInfoList"]
        self.assertEqual([o["OperationArn"] for o in ops], [op])
        self.active(arn)
        self.kafka.delete_cluster(ClusterArn=arn)
        self.assertAwsError("NotFoundException", self.kafka.describe_cluster_v2, ClusterArn=arn)
