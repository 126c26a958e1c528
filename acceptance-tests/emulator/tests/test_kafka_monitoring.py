"""MSK monitoring and broker logs (mosia_emulator/patches/kafka_monitoring.py): CreateClusterV2 /
CreateCluster with loggingInfo, enhancedMonitoring and openMonitoring, UpdateMonitoring and what
DescribeCluster(V2) and the cluster operation answer. Each refusal is checked next to the request
AWS accepts."""

from __future__ import annotations

from typing import Any

from .support import EmulatorCase

GROUP = "/msk/demo/brokers"
OPEN = {"Prometheus": {"JmxExporter": {"EnabledInBroker": True}, "NodeExporter": {"EnabledInBroker": False}}}
STALE = "The version of the cluster isn\u2019t current. Check the current version and try again."
MISSING_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/none/0b7e3c57-0000-4000-8000-000000000000-1"


def cloudwatch(group: str | None = GROUP, enabled: bool = True) -> dict[str, Any]:
    logs: dict[str, Any] = {"Enabled": enabled}
    if group is not None:
        logs["LogGroup"] = group
    return {"BrokerLogs": {"CloudWatchLogs": logs}}


class KafkaMonitoringTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.kafka = self.client("kafka")
        self.ec2 = self.client("ec2")
        self.logs = self.client("logs")
        vpc = self.ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
        self.subnets = [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{i}.0/24", AvailabilityZone=z)["Subnet"]["SubnetId"]
            for i, z in enumerate(("us-east-1a", "us-east-1b", "us-east-1c"))
        ]

    # -- helpers ------------------------------------------------------------------------------------
    def provisioned(self, instance: str = "kafka.t3.small", **monitoring: Any) -> dict[str, Any]:
        return {
            "KafkaVersion": "3.6.0",
            "NumberOfBrokerNodes": 3,
            "BrokerNodeGroupInfo": {
                "InstanceType": instance,
                "ClientSubnets": self.subnets,
                "StorageInfo": {"EbsStorageInfo": {"VolumeSize": 10}},
            },
            **monitoring,
        }

    def create(self, name: str = "demo", **monitoring: Any) -> str:
        return self.kafka.create_cluster_v2(ClusterName=name, Provisioned=self.provisioned(**monitoring))["ClusterArn"]

    def info(self, arn: str) -> dict[str, Any]:
        return self.kafka.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]

    def version(self, arn: str) -> str:
        return self.info(arn)["CurrentVersion"]

    def last_rejection(self) -> dict[str, Any]:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    # -- CreateClusterV2 / CreateCluster ---------------------------------------------------------------
    def test_create_with_monitoring_and_broker_logs_described(self) -> None:
        self.logs.create_log_group(logGroupName=GROUP)
        arn = self.create(EnhancedMonitoring="PER_TOPIC_PER_BROKER", OpenMonitoring=OPEN, LoggingInfo=cloudwatch())
        provisioned = self.info(arn)["Provisioned"]
        self.assertEqual(provisioned["EnhancedMonitoring"], "PER_TOPIC_PER_BROKER")
        self.assertEqual(provisioned["OpenMonitoring"], OPEN)
        self.assertEqual(provisioned["LoggingInfo"], cloudwatch())
        v1 = self.kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]
        self.assertEqual((v1["EnhancedMonitoring"], v1["OpenMonitoring"], v1["LoggingInfo"]),
                         ("PER_TOPIC_PER_BROKER", OPEN, cloudwatch()))
        # Without them: DEFAULT monitoring, no open monitoring, no broker logs.
        plain = self.info(self.create("plain"))["Provisioned"]
        self.assertEqual(plain["EnhancedMonitoring"], "DEFAULT")
        self.assertNotIn("LoggingInfo", plain)

    def test_log_group_must_exist(self) -> None:
        for call, kwargs, op in (
            (self.kafka.create_cluster_v2, {"ClusterName": "v2", "Provisioned": self.provisioned(LoggingInfo=cloudwatch())},
             "CreateClusterV2"),
            (self.kafka.create_cluster, {"ClusterName": "v1", "KafkaVersion": "3.6.0", "NumberOfBrokerNodes": 3,
                                         "BrokerNodeGroupInfo": self.provisioned()["BrokerNodeGroupInfo"],
                                         "LoggingInfo": cloudwatch()}, "CreateCluster"),
        ):
            self.assertAwsError("BadRequestException", call, **kwargs,
                                message=f"The CloudWatch log group {GROUP} does not exist")
            self.assertEqual((self.last_rejection()["kind"], self.last_rejection()["operation"]), ("rule", op))
        self.assertEqual(self.kafka.list_clusters_v2()["ClusterInfoList"], [])
        # A log group of another Region is not this one.
        self.client("logs", region="eu-west-1").create_log_group(logGroupName=GROUP)
        self.assertAwsError("BadRequestException", self.kafka.create_cluster_v2, ClusterName="v2",
                            Provisioned=self.provisioned(LoggingInfo=cloudwatch()), message="does not exist")
        self.logs.create_log_group(logGroupName=GROUP)
        self.create("v2", LoggingInfo=cloudwatch())
        self.kafka.create_cluster(ClusterName="v1", KafkaVersion="3.6.0", NumberOfBrokerNodes=3,
                                  BrokerNodeGroupInfo=self.provisioned()["BrokerNodeGroupInfo"], LoggingInfo=cloudwatch())

    def test_enabled_destination_needs_its_name(self) -> None:
        self.assertAwsError("BadRequestException", self.kafka.create_cluster_v2, ClusterName="d",
                            Provisioned=self.provisioned(LoggingInfo=cloudwatch(group=None)),
                            message="To use CloudWatch Logs as a destination for broker logs, you must specify a "
                                    "CloudWatch log group.")
        # Disabled destinations need no name nor resource (what terraform sends by default).
        disabled = {"BrokerLogs": {"CloudWatchLogs": {"Enabled": False, "LogGroup": ""},
                                   "Firehose": {"Enabled": False, "DeliveryStream": ""},
                                   "S3": {"Enabled": False, "Bucket": "", "Prefix": ""}}}
        arn = self.create("d", LoggingInfo=disabled)
        self.assertEqual(self.info(arn)["Provisioned"]["LoggingInfo"], disabled)

    def test_s3_and_firehose_destinations_must_exist(self) -> None:
        s3_logs = {"BrokerLogs": {"S3": {"Enabled": True, "Bucket": "msk-broker-logs", "Prefix": "demo"}}}
        self.assertAwsError("BadRequestException", self.kafka.create_cluster_v2, ClusterName="s3",
                            Provisioned=self.provisioned(LoggingInfo=s3_logs),
                            message="The S3 bucket msk-broker-logs does not exist")
        self.client("s3").create_bucket(Bucket="msk-broker-logs")
        self.create("s3", LoggingInfo=s3_logs)
        firehose_logs = {"BrokerLogs": {"Firehose": {"Enabled": True, "DeliveryStream": "msk-logs"}}}
        self.assertAwsError("BadRequestException", self.kafka.create_cluster_v2, ClusterName="fh",
                            Provisioned=self.provisioned(LoggingInfo=firehose_logs),
                            message="The Firehose delivery stream msk-logs does not exist")
        self.client("firehose").create_delivery_stream(
            DeliveryStreamName="msk-logs",
            ExtendedS3DestinationConfiguration={"RoleARN": "arn:aws:iam::123456789012:role/firehose",
                                                "BucketARN": "arn:aws:s3:::msk-broker-logs"})
        self.create("fh", LoggingInfo=firehose_logs)

    def test_every_enhanced_monitoring_level_on_t3_small(self) -> None:
        self.assertAwsError("BadRequestException", self.kafka.create_cluster_v2, ClusterName="bad",
                            Provisioned=self.provisioned(EnhancedMonitoring="PER_TOPIC"), message="enum value set")
        for level in ("DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION"):
            arn = self.create(level.lower().replace("_", "-"), EnhancedMonitoring=level)
            self.assertEqual(self.info(arn)["Provisioned"]["EnhancedMonitoring"], level)

    def test_open_monitoring_with_both_exporters_disabled_is_accepted(self) -> None:
        off = {"Prometheus": {"JmxExporter": {"EnabledInBroker": False}, "NodeExporter": {"EnabledInBroker": False}}}
        arn = self.create(OpenMonitoring=off)
        self.assertEqual(self.info(arn)["Provisioned"]["OpenMonitoring"], off)

    # -- UpdateMonitoring -------------------------------------------------------------------------------
    def test_update_monitoring_changes_the_cluster_and_its_version(self) -> None:
        self.logs.create_log_group(logGroupName=GROUP)
        arn = self.create()
        before = self.version(arn)
        answer = self.kafka.update_monitoring(ClusterArn=arn, CurrentVersion=before,
                                              EnhancedMonitoring="PER_TOPIC_PER_PARTITION",
                                              OpenMonitoring=OPEN, LoggingInfo=cloudwatch())
        self.assertEqual(answer["ClusterArn"], arn)
        info = self.info(arn)  # zero profile: UPDATING is already over
        self.assertEqual(info["State"], "ACTIVE")
        self.assertNotEqual(info["CurrentVersion"], before)
        provisioned = info["Provisioned"]
        self.assertEqual((provisioned["EnhancedMonitoring"], provisioned["OpenMonitoring"], provisioned["LoggingInfo"]),
                         ("PER_TOPIC_PER_PARTITION", OPEN, cloudwatch()))
        operation = self.kafka.describe_cluster_operation(
            ClusterOperationArn=answer["ClusterOperationArn"])["ClusterOperationInfo"]
        self.assertEqual((operation["OperationType"], operation["OperationState"]),
                         ("UPDATE_MONITORING", "UPDATE_COMPLETE"))
        self.assertEqual(operation["SourceClusterInfo"]["EnhancedMonitoring"], "DEFAULT")
        self.assertNotIn("LoggingInfo", operation["SourceClusterInfo"])
        self.assertEqual(operation["TargetClusterInfo"]["EnhancedMonitoring"], "PER_TOPIC_PER_PARTITION")
        self.assertEqual(operation["TargetClusterInfo"]["LoggingInfo"], cloudwatch())
        # Turning broker logs off again.
        self.kafka.update_monitoring(ClusterArn=arn, CurrentVersion=info["CurrentVersion"],
                                     LoggingInfo=cloudwatch(enabled=False))
        self.assertFalse(self.info(arn)["Provisioned"]["LoggingInfo"]["BrokerLogs"]["CloudWatchLogs"]["Enabled"])

    def test_update_monitoring_needs_the_current_version(self) -> None:
        arn = self.create()
        self.assertAwsError("BadRequestException", self.kafka.update_monitoring, ClusterArn=arn,
                            CurrentVersion="K3AEGXETSR30VB", EnhancedMonitoring="PER_BROKER", message=STALE)
        self.assertEqual(self.last_rejection()["operation"], "UpdateMonitoring")
        self.assertEqual(self.info(arn)["Provisioned"]["EnhancedMonitoring"], "DEFAULT")
        self.kafka.update_monitoring(ClusterArn=arn, CurrentVersion=self.version(arn), EnhancedMonitoring="PER_BROKER")
        self.assertEqual(self.info(arn)["Provisioned"]["EnhancedMonitoring"], "PER_BROKER")

    def test_update_monitoring_only_while_active(self) -> None:
        arn = self.create()
        self.control("POST", "/_mosia/durations", {"msk_cluster": {"update": 30}})
        version = self.version(arn)
        self.kafka.update_monitoring(ClusterArn=arn, CurrentVersion=version, EnhancedMonitoring="PER_BROKER")
        info = self.info(arn)
        self.assertEqual(info["State"], "UPDATING")
        self.assertAwsError("BadRequestException", self.kafka.update_monitoring, ClusterArn=arn,
                            CurrentVersion=info["CurrentVersion"], EnhancedMonitoring="DEFAULT",
                            message="Wait until the cluster is ACTIVE")
        self.assertEqual(self.info(arn)["Provisioned"]["EnhancedMonitoring"], "PER_BROKER")

    def test_update_monitoring_log_group_must_exist(self) -> None:
        arn = self.create()
        self.assertAwsError("BadRequestException", self.kafka.update_monitoring, ClusterArn=arn,
                            CurrentVersion=self.version(arn), LoggingInfo=cloudwatch(),
                            message=f"The CloudWatch log group {GROUP} does not exist")
        self.assertNotIn("LoggingInfo", self.info(arn)["Provisioned"])
        self.logs.create_log_group(logGroupName=GROUP)
        self.kafka.update_monitoring(ClusterArn=arn, CurrentVersion=self.version(arn), LoggingInfo=cloudwatch())
        self.assertEqual(self.info(arn)["Provisioned"]["LoggingInfo"], cloudwatch())

    def test_update_monitoring_of_an_unknown_cluster(self) -> None:
        self.assertAwsError("NotFoundException", self.kafka.update_monitoring, ClusterArn=MISSING_ARN,
                            CurrentVersion="K3AEGXETSR30VB", EnhancedMonitoring="PER_BROKER", message="was not found")
