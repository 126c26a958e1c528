"""Application Auto Scaling of MSK broker storage (namespace `kafka`, dimension
`kafka:broker-storage:VolumeSize`): AWS's rules for RegisterScalableTarget, PutScalingPolicy,
DeregisterScalableTarget and DeleteScalingPolicy, each refusal next to the request AWS accepts,
and the `msk_storage_autoscaling` event."""

from __future__ import annotations

import urllib.error
from typing import Any

from .support import EmulatorCase

NS = "kafka"
DIM = "kafka:broker-storage:VolumeSize"
METRIC = "KafkaBrokerStorageUtilization"


class ApplicationAutoScalingRulesTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.aas = self.client("application-autoscaling")
        self.kafka = self.client("kafka")
        self.ec2 = self.client("ec2")

    # -- helpers ---------------------------------------------------------------------------------
    def subnets(self) -> list[str]:
        vpc = self.ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        return [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=z)
            ["Subnet"]["SubnetId"]
            for i, z in enumerate(("us-east-1a", "us-east-1b", "us-east-1c"))
        ]

    def cluster(self, name: str = "demo", volume: int = 100) -> str:
        arn = self.kafka.create_cluster_v2(ClusterName=name, Provisioned={
            "KafkaVersion": "3.6.0",
            "NumberOfBrokerNodes": 3,
            "BrokerNodeGroupInfo": {
                "InstanceType": "kafka.m5.large",
                "ClientSubnets": self.subnets(),
                "StorageInfo": {"EbsStorageInfo": {"VolumeSize": volume}},
            },
            "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
            "EncryptionInfo": {"EncryptionInTransit": {"ClientBroker": "TLS", "InCluster": True}},
        })["ClusterArn"]
        self.assertEqual(self.info(arn)["State"], "ACTIVE")  # zero profile
        return arn

    def info(self, arn: str) -> dict[str, Any]:
        return self.kafka.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]

    def volume(self, arn: str) -> int:
        storage = self.info(arn)["Provisioned"]["BrokerNodeGroupInfo"]["StorageInfo"]
        return int(storage["EbsStorageInfo"]["VolumeSize"])

    def register(self, arn: str, low: int | None = 100, high: int | None = 1000) -> Any:
        kwargs: dict[str, Any] = {"ServiceNamespace": NS, "ResourceId": arn, "ScalableDimension": DIM}
        if low is not None:
            kwargs["MinCapacity"] = low
        if high is not None:
            kwargs["MaxCapacity"] = high
        return self.aas.register_scalable_target(**kwargs)

    def policy(self, arn: str, target: Any = 60.0, metric: str = METRIC, policy_type: str | None = "TargetTrackingScaling",
               disable_scale_in: bool | None = True, name: str = "storage") -> Any:
        config: dict[str, Any] = {
            "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
            "TargetValue": target,
        }
        if disable_scale_in is not None:
            config["DisableScaleIn"] = disable_scale_in
        kwargs: dict[str, Any] = {
            "PolicyName": name, "ServiceNamespace": NS, "ResourceId": arn, "ScalableDimension": DIM,
            "TargetTrackingScalingPolicyConfiguration": config,
        }
        if policy_type is not None:
            kwargs["PolicyType"] = policy_type
        return self.aas.put_scaling_policy(**kwargs)

    def targets(self, arn: str) -> list[dict[str, Any]]:
        return self.aas.describe_scalable_targets(ServiceNamespace=NS, ResourceIds=[arn])["ScalableTargets"]

    def policies(self, arn: str) -> list[dict[str, Any]]:
        return self.aas.describe_scaling_policies(ServiceNamespace=NS, ResourceId=arn)["ScalingPolicies"]

    def event(self, **payload: Any) -> Any:
        return self.control("POST", "/_mosia/events", {"event": "msk_storage_autoscaling", **payload})["result"]

    def event_refused(self, text: str, **payload: Any) -> None:
        with self.assertRaises(urllib.error.HTTPError) as raised:
            self.event(**payload)
        self.assertEqual(raised.exception.code, 400)
        self.assertIn(text, raised.exception.read().decode())

    def last_rejection(self) -> dict[str, Any]:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    # -- RegisterScalableTarget ---------------------------------------------------------------------
    def test_target_needs_an_existing_provisioned_cluster(self) -> None:
        arn = self.cluster()
        missing = arn.replace("/demo/", "/gone/")
        self.assertAwsError("ValidationException", self.register, missing,
                            message=f"MSK cluster doesn't exist: {missing}")
        rejection = self.last_rejection()
        self.assertEqual((rejection["kind"], rejection["service"], rejection["operation"]),
                         ("rule", "application-autoscaling", "RegisterScalableTarget"))
        serverless = self.kafka.create_cluster_v2(ClusterName="sls", Serverless={
            "VpcConfigs": [{"SubnetIds": self.subnets()}],
            "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
        })["ClusterArn"]
        self.assertAwsError("ValidationException", self.register, serverless,
                            message="not supported for the serverless cluster")
        self.assertTrue(self.register(arn)["ScalableTargetARN"].startswith(
            "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/"))
        [target] = self.targets(arn)
        self.assertEqual((target["MinCapacity"], target["MaxCapacity"]), (100, 1000))

    def test_capacities(self) -> None:
        arn = self.cluster()
        self.assertAwsError("ValidationException", self.register, arn, 100, 16385,
                            message="above the maximum broker storage of 16384 GiB")
        self.assertAwsError("ValidationException", self.register, arn, 500, 400,
                            message="Minimum capacity cannot be greater than maximum capacity")
        self.assertAwsError("ValidationException", self.register, arn, None, 400,
                            message="MinCapacity and MaxCapacity are required")
        self.assertEqual(self.targets(arn), [])
        self.register(arn, 100, 16384)
        # AWS accepts a MinCapacity below the volume size (public modules register 1).
        self.register(arn, 1, 16384)
        # Re-registering updates; a lone MaxCapacity is checked against the stored minimum.
        self.register(arn, None, 2000)
        self.assertAwsError("ValidationException", self.register, arn, 3000, None,
                            message="Minimum capacity cannot be greater than maximum capacity")
        [target] = self.targets(arn)
        self.assertEqual((target["MinCapacity"], target["MaxCapacity"]), (1, 2000))

    # -- PutScalingPolicy ---------------------------------------------------------------------------
    def test_policy_needs_a_registered_target(self) -> None:
        arn = self.cluster()
        self.assertAwsError(
            "ObjectNotFoundException", self.policy, arn,
            message=f"No scalable target registered for service namespace: kafka, resource ID: {arn}, "
                    f"scalable dimension: {DIM}",
        )
        self.assertEqual(self.last_rejection()["operation"], "PutScalingPolicy")
        self.register(arn)
        answer = self.policy(arn)
        self.assertIn("PolicyARN", answer)
        [policy] = self.policies(arn)
        config = policy["TargetTrackingScalingPolicyConfiguration"]
        self.assertEqual((policy["PolicyType"], config["TargetValue"], config["DisableScaleIn"]),
                         ("TargetTrackingScaling", 60.0, True))
        self.assertEqual(config["PredefinedMetricSpecification"]["PredefinedMetricType"], METRIC)

    def test_target_tracking_on_broker_storage_utilization_only(self) -> None:
        arn = self.cluster()
        self.register(arn)
        self.assertAwsError("ValidationException", self.aas.put_scaling_policy, PolicyName="step",
                            ServiceNamespace=NS, ResourceId=arn, ScalableDimension=DIM, PolicyType="StepScaling",
                            StepScalingPolicyConfiguration={"AdjustmentType": "ChangeInCapacity",
                                                            "StepAdjustments": [{"ScalingAdjustment": 10,
                                                                                 "MetricIntervalLowerBound": 0}]},
                            message="Policy type StepScaling is not supported")
        self.assertAwsError("ValidationException", self.policy, arn, policy_type=None,
                            message="Policy type StepScaling is not supported")
        self.assertAwsError("ValidationException", self.policy, arn, metric="ECSServiceAverageCPUUtilization",
                            message=f"takes the predefined metric type {METRIC} only")
        self.assertAwsError("ValidationException", self.aas.put_scaling_policy, PolicyName="custom",
                            ServiceNamespace=NS, ResourceId=arn, ScalableDimension=DIM,
                            PolicyType="TargetTrackingScaling",
                            TargetTrackingScalingPolicyConfiguration={
                                "TargetValue": 60.0,
                                "CustomizedMetricSpecification": {"MetricName": "KafkaDataLogsDiskUsed",
                                                                  "Namespace": "AWS/Kafka", "Statistic": "Maximum"},
                            },
                            message="no customized metrics")
        self.assertEqual(self.policies(arn), [])
        self.policy(arn)
        self.assertEqual(len(self.policies(arn)), 1)

    def test_target_value_between_10_and_80(self) -> None:
        arn = self.cluster()
        self.register(arn)
        for bad in (9.5, 80.5, 0):
            self.assertAwsError("ValidationException", self.policy, arn, target=bad,
                                message="must be between 10 and 80")
        self.policy(arn, target=10.0, name="low")
        self.policy(arn, target=80.0, name="high")
        self.assertEqual(len(self.policies(arn)), 2)

    def test_disable_scale_in_false_is_accepted(self) -> None:
        # MSK never scales storage in whatever the policy says; AWS takes the policy as sent
        # (public modules leave disable_scale_in false).
        arn = self.cluster()
        self.register(arn)
        self.policy(arn, disable_scale_in=False, name="a")
        self.policy(arn, disable_scale_in=None, name="b")
        self.assertEqual(len(self.policies(arn)), 2)

    # -- DeleteScalingPolicy / DeregisterScalableTarget ----------------------------------------------
    def test_delete_and_deregister(self) -> None:
        arn = self.cluster()
        self.assertAwsError("ObjectNotFoundException", self.aas.deregister_scalable_target,
                            ServiceNamespace=NS, ResourceId=arn, ScalableDimension=DIM,
                            message="No scalable target registered for service namespace: kafka")
        self.assertEqual(self.last_rejection()["operation"], "DeregisterScalableTarget")
        self.register(arn)
        self.policy(arn)
        self.assertAwsError("ObjectNotFoundException", self.aas.delete_scaling_policy, PolicyName="other",
                            ServiceNamespace=NS, ResourceId=arn, ScalableDimension=DIM,
                            message="No scaling policy found")
        self.aas.delete_scaling_policy(PolicyName="storage", ServiceNamespace=NS, ResourceId=arn,
                                       ScalableDimension=DIM)
        self.assertEqual(self.policies(arn), [])
        # Deregistering deletes the target's policies with it.
        self.policy(arn)
        self.aas.deregister_scalable_target(ServiceNamespace=NS, ResourceId=arn, ScalableDimension=DIM)
        self.assertEqual((self.targets(arn), self.policies(arn)), ([], []))
        self.assertAwsError("ObjectNotFoundException", self.aas.deregister_scalable_target,
                            ServiceNamespace=NS, ResourceId=arn, ScalableDimension=DIM)

    # -- the msk_storage_autoscaling event -------------------------------------------------------------
    def test_storage_autoscaling_event(self) -> None:
        arn = self.cluster()
        version = self.info(arn)["CurrentVersion"]
        self.event_refused("no scalable target registered", cluster_arn=arn, volume_size=200)
        self.register(arn, 100, 500)
        self.event_refused("no target tracking scaling policy", cluster_arn=arn, volume_size=200)
        self.policy(arn)
        self.event_refused("volume_size (an integer", cluster_arn=arn)
        self.event_refused("not above 100 GiB", cluster_arn=arn, volume_size=100)
        self.event_refused("above the scalable target's MaxCapacity (500 GiB)", cluster_arn=arn, volume_size=501)
        self.event_refused("no MSK cluster", cluster_arn=arn.replace("/demo/", "/gone/"), volume_size=200)
        self.assertEqual(self.volume(arn), 100)

        answer = self.event(cluster_arn=arn, volume_size=200)
        self.assertEqual((answer["previous_volume_size"], answer["volume_size"]), (100, 200))
        self.assertEqual(self.volume(arn), 200)
        info = self.info(arn)
        self.assertEqual(info["State"], "ACTIVE")
        self.assertNotEqual(info["CurrentVersion"], version)
        self.assertEqual(info["CurrentVersion"], answer["current_version"])
        [op] = self.kafka.list_cluster_operations(ClusterArn=arn)["ClusterOperationInfoList"]
        self.assertEqual((op["OperationType"], op["OperationState"]), ("UPDATE_BROKER_STORAGE", "UPDATE_COMPLETE"))
        self.assertEqual(op["TargetClusterInfo"]["BrokerEBSVolumeInfo"][0]["VolumeSizeGB"], 200)
        # Storage only grows, up to MaxCapacity.
        self.event_refused("not above 200 GiB", cluster_arn=arn, volume_size=150)
        self.event(cluster_arn=arn, volume_size=500)
        self.assertEqual(self.volume(arn), 500)
        # The provider's next storage update sees the new size and version.
        self.assertAwsError("BadRequestException", self.kafka.update_broker_storage, ClusterArn=arn,
                            CurrentVersion=self.info(arn)["CurrentVersion"],
                            TargetBrokerEBSVolumeInfo=[{"KafkaBrokerNodeId": "ALL", "VolumeSizeGB": 400}],
                            message="must be greater than the current size 500 GiB")

    def test_event_is_listed(self) -> None:
        self.assertIn("msk_storage_autoscaling", self.control("GET", "/_mosia/events")["events"])
