"""MSK custom configurations (CreateConfiguration and the calls around it) and the cluster
rules that refer to them: configurationInfo on CreateClusterV2 / CreateCluster and
UpdateClusterConfiguration, and DeleteConfiguration while a cluster uses it. Each refusal is
checked next to the request AWS accepts."""

from __future__ import annotations

import re
from typing import Any

from .support import EmulatorCase

ARN = re.compile(
    r"^arn:aws:kafka:us-east-1:123456789012:configuration/(?P<name>[^/]+)/"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-\d+$"
)
PROPERTIES = b"auto.create.topics.enable = true\nlog.retention.hours=48\n"
MISSING = "Configuration ARN does not exist"


class KafkaConfigurationsTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.kafka = self.client("kafka")
        self.ec2 = self.client("ec2")

    def tearDown(self) -> None:
        # Every request here was read against the API model and none broke it: each refusal
        # is an MSK rule.
        rejected = self.control("GET", "/_mosia/calls")["rejected"]
        self.assertEqual(rejected["unparsed"], 0, rejected["unparsed_requests"])
        self.assertEqual(rejected["validation"], 0, rejected["requests"])
        super().tearDown()

    # -- helpers ---------------------------------------------------------------------------------
    def configuration(self, name: str = "demo", properties: bytes = PROPERTIES, **kwargs: Any) -> str:
        return self.kafka.create_configuration(Name=name, ServerProperties=properties, **kwargs)["Arn"]

    def provisioned(self, info: dict[str, Any] | None) -> dict[str, Any]:
        vpc = self.ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=z)
            ["Subnet"]["SubnetId"]
            for i, z in enumerate(("us-east-1a", "us-east-1b", "us-east-1c"))
        ]
        out: dict[str, Any] = {
            "KafkaVersion": "3.6.0",
            "NumberOfBrokerNodes": 3,
            "BrokerNodeGroupInfo": {"InstanceType": "kafka.m5.large", "ClientSubnets": subnets},
        }
        if info is not None:
            out["ConfigurationInfo"] = info
        return out

    def cluster(self, info: dict[str, Any] | None, name: str = "demo") -> str:
        return self.kafka.create_cluster_v2(ClusterName=name, Provisioned=self.provisioned(info))["ClusterArn"]

    def active(self, arn: str) -> dict[str, Any]:
        info = self.kafka.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]  # zero profile
        self.assertEqual(info["State"], "ACTIVE")
        return info

    def software(self, arn: str) -> dict[str, Any]:
        return self.active(arn)["Provisioned"]["CurrentBrokerSoftwareInfo"]

    def last_rejection(self) -> dict[str, Any]:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    # -- configurations and revisions --------------------------------------------------------------
    def test_create_describe_list_and_revisions(self) -> None:
        created = self.kafka.create_configuration(
            Name="demo", Description="first", KafkaVersions=["3.6.0"], ServerProperties=PROPERTIES)
        arn = created["Arn"]
        self.assertEqual(ARN.match(arn)["name"], "demo")
        self.assertEqual((created["State"], created["Name"]), ("ACTIVE", "demo"))
        self.assertEqual(created["LatestRevision"]["Revision"], 1)
        described = self.kafka.describe_configuration(Arn=arn)
        self.assertEqual(described["KafkaVersions"], ["3.6.0"])
        self.assertEqual(described["Description"], "first")
        listed = self.kafka.list_configurations()["Configurations"]
        self.assertEqual([c["Arn"] for c in listed], [arn])
        first = self.kafka.describe_configuration_revision(Arn=arn, Revision=1)
        self.assertEqual(first["ServerProperties"], PROPERTIES)

        updated = self.kafka.update_configuration(
            Arn=arn, Description="second", ServerProperties=b"num.partitions=6\n")
        self.assertEqual(updated["Arn"], arn)
        self.assertEqual(updated["LatestRevision"]["Revision"], 2)
        self.assertEqual(self.kafka.describe_configuration(Arn=arn)["LatestRevision"]["Revision"], 2)
        second = self.kafka.describe_configuration_revision(Arn=arn, Revision=2)
        self.assertEqual((second["ServerProperties"], second["Description"]), (b"num.partitions=6\n", "second"))
        # Revisions are immutable: revision 1 keeps its properties.
        self.assertEqual(self.kafka.describe_configuration_revision(Arn=arn, Revision=1)["ServerProperties"], PROPERTIES)
        revisions = self.kafka.list_configuration_revisions(Arn=arn)["Revisions"]
        self.assertEqual([r["Revision"] for r in revisions], [1, 2])

    def test_list_configurations_pages(self) -> None:
        arns = [self.configuration(f"c{i}") for i in range(3)]
        first = self.kafka.list_configurations(MaxResults=2)
        second = self.kafka.list_configurations(MaxResults=2, NextToken=first["NextToken"])
        self.assertNotIn("NextToken", second)
        self.assertEqual([c["Arn"] for c in first["Configurations"] + second["Configurations"]], arns)

    def test_names_are_unique_and_follow_the_pattern(self) -> None:
        self.configuration("demo")
        error = self.assertAwsError("ConflictException", self.configuration, "demo",
                                    message="A resource with this name already exists")
        self.assertEqual(error.response["ResponseMetadata"]["HTTPStatusCode"], 409)
        self.assertEqual(self.last_rejection()["operation"], "CreateConfiguration")
        self.configuration("demo-2")
        self.assertAwsError("BadRequestException", self.configuration, "-demo", message="must match")
        self.assertAwsError("BadRequestException", self.configuration, "de_mo", message="must match")
        self.assertAwsError("BadRequestException", self.configuration, "d" * 65, message="at most 64")
        self.configuration("d" * 64)

    # -- server properties ---------------------------------------------------------------------------
    def test_unknown_property_refused_naming_it(self) -> None:
        self.assertAwsError("BadRequestException", self.configuration, "demo",
                            properties=b"num.partitions=3\nauto.leader.rebalance.enable=true\n",
                            message="Key 'auto.leader.rebalance.enable'")
        self.assertIn('"name" : "auto.leader.rebalance.enable"', self.last_rejection()["message"])
        self.assertEqual(self.last_rejection()["operation"], "CreateConfiguration")
        arn = self.configuration("demo", properties=b"num.partitions=3\n")
        self.assertAwsError("BadRequestException", self.kafka.update_configuration, Arn=arn,
                            ServerProperties=b"super.users=User:admin\n", message="Key 'super.users'")
        self.assertEqual(self.last_rejection()["operation"], "UpdateConfiguration")
        self.kafka.update_configuration(Arn=arn, ServerProperties=b"unclean.leader.election.enable=false\n")

    def test_comments_and_blank_lines_are_accepted(self) -> None:
        text = b"# retention\n\n! also a comment\nlog.retention.ms = 86400000\n\n  min.insync.replicas:2\n"
        arn = self.configuration("demo", properties=text)
        self.assertEqual(self.kafka.describe_configuration_revision(Arn=arn, Revision=1)["ServerProperties"], text)

    def test_empty_properties_refused(self) -> None:
        self.assertAwsError("BadRequestException", self.configuration, "demo", properties=b"",
                            message="at least one configuration property")
        self.assertAwsError("BadRequestException", self.configuration, "demo",
                            properties=b"# only a comment\n\n", message="at least one configuration property")
        self.assertAwsError("BadRequestException", self.configuration, "demo",
                            properties=b"num.partitions=\n", message="Key 'num.partitions' has no value")
        self.configuration("demo", properties=b"num.partitions=1")

    # -- unknown configurations -------------------------------------------------------------------------
    def test_unknown_arn_refused_as_aws_does(self) -> None:
        arn = self.configuration("demo")
        unknown = arn.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000-1"
        # AWS answers BadRequestException "Configuration ARN does not exist", not NotFoundException
        # (terraform-provider-aws matches that text to tell a configuration is gone).
        for call, kwargs in (
            (self.kafka.describe_configuration, {}),
            (self.kafka.describe_configuration_revision, {"Revision": 1}),
            (self.kafka.list_configuration_revisions, {}),
            (self.kafka.update_configuration, {"ServerProperties": b"num.partitions=1"}),
            (self.kafka.delete_configuration, {}),
        ):
            self.assertAwsError("BadRequestException", call, Arn=unknown, message=MISSING, **kwargs)
            call(Arn=arn, **kwargs)
        self.assertAwsError("BadRequestException", self.kafka.describe_configuration, Arn=arn, message=MISSING)

    def test_unknown_revision_refused(self) -> None:
        arn = self.configuration("demo")
        self.assertAwsError("BadRequestException", self.kafka.describe_configuration_revision,
                            Arn=arn, Revision=2, message="Revision 2")
        self.kafka.describe_configuration_revision(Arn=arn, Revision=1)

    # -- clusters ----------------------------------------------------------------------------------------
    def test_cluster_created_with_a_configuration_shows_it(self) -> None:
        arn = self.configuration("demo")
        self.assertAwsError("BadRequestException", self.cluster, {"Arn": arn + "x", "Revision": 1},
                            message=MISSING)
        self.assertEqual(self.last_rejection()["operation"], "CreateClusterV2")
        self.assertAwsError("BadRequestException", self.cluster, {"Arn": arn, "Revision": 2},
                            message="Revision 2")
        cluster = self.cluster({"Arn": arn, "Revision": 1})
        software = self.software(cluster)
        self.assertEqual((software["ConfigurationArn"], software["ConfigurationRevision"]), (arn, 1))
        v1 = self.kafka.describe_cluster(ClusterArn=cluster)["ClusterInfo"]["CurrentBrokerSoftwareInfo"]
        self.assertEqual((v1["ConfigurationArn"], v1["ConfigurationRevision"]), (arn, 1))
        # Without configurationInfo, no configuration is shown.
        plain = self.software(self.cluster(None, name="plain"))
        self.assertNotIn("ConfigurationArn", plain)

    def test_v1_create_cluster_checks_the_configuration_too(self) -> None:
        arn = self.configuration("demo")
        request = {"ClusterName": "v1", **self.provisioned(None)}
        self.assertAwsError("BadRequestException", self.kafka.create_cluster, **request,
                            ConfigurationInfo={"Arn": arn, "Revision": 3}, message="Revision 3")
        self.assertEqual(self.last_rejection()["operation"], "CreateCluster")
        self.kafka.create_cluster(**request, ConfigurationInfo={"Arn": arn, "Revision": 1})

    def test_update_cluster_configuration(self) -> None:
        arn = self.configuration("demo")
        cluster = self.cluster({"Arn": arn, "Revision": 1})
        version = self.active(cluster)["CurrentVersion"]
        self.kafka.update_configuration(Arn=arn, ServerProperties=b"num.partitions=6")
        self.assertAwsError("BadRequestException", self.kafka.update_cluster_configuration,
                            ClusterArn=cluster, CurrentVersion=version,
                            ConfigurationInfo={"Arn": arn, "Revision": 3}, message="Revision 3")
        self.assertEqual(self.last_rejection()["operation"], "UpdateClusterConfiguration")
        self.assertAwsError("BadRequestException", self.kafka.update_cluster_configuration,
                            ClusterArn=cluster, CurrentVersion=version,
                            ConfigurationInfo={"Arn": arn, "Revision": 1},
                            message="already using revision 1")
        self.kafka.update_cluster_configuration(
            ClusterArn=cluster, CurrentVersion=version, ConfigurationInfo={"Arn": arn, "Revision": 2})
        self.assertEqual(self.software(cluster)["ConfigurationRevision"], 2)

    def test_delete_refused_while_a_cluster_uses_it(self) -> None:
        arn = self.configuration("demo")
        unused = self.configuration("unused")
        cluster = self.cluster({"Arn": arn, "Revision": 1})
        self.active(cluster)
        self.assertAwsError("BadRequestException", self.kafka.delete_configuration, Arn=arn,
                            message="Configuration is in use by one or more clusters")
        self.assertEqual(self.last_rejection()["operation"], "DeleteConfiguration")
        self.assertEqual(self.kafka.delete_configuration(Arn=unused)["State"], "DELETING")
        self.kafka.delete_cluster(ClusterArn=cluster)
        self.assertAwsError("NotFoundException", self.kafka.describe_cluster_v2, ClusterArn=cluster)
        self.assertEqual(self.kafka.delete_configuration(Arn=arn)["State"], "DELETING")
        self.assertEqual(self.kafka.list_configurations()["Configurations"], [])
