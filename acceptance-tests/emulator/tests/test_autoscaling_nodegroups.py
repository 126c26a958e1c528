"""The Auto Scaling group behind each EKS managed node group (created, resized and deleted with
the node group), EnableMetricsCollection / DisableMetricsCollection rules, and a CloudWatch
alarm on the group's GroupInServiceInstances, all through the emulator's HTTP server."""

from __future__ import annotations

import re
import time
from typing import Any
from unittest import mock

import botocore.model
from botocore.exceptions import ClientError

from mosia_emulator.patches import autoscaling_nodegroups as asg

from .eks_support import EksCase


METRICS = ["GroupInServiceInstances", "GroupDesiredCapacity", "GroupMinSize"]
CBOR_FIRST = ("smithy-rpc-v2-cbor", "json", "query")


class NodegroupGroupCase(EksCase):
    def setUp(self) -> None:
        super().setUp()
        self.autoscaling = self.client("autoscaling")

    def group_of(self, cluster: str = "c", name: str = "ng") -> str:
        ng = self.eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]
        groups = ng["resources"]["autoScalingGroups"]
        self.assertEqual(len(groups), 1, groups)
        return groups[0]["name"]

    def describe_group(self, name: str) -> dict[str, Any] | None:
        found = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        return found[0] if found else None

    def active_group(self, **nodegroup: Any) -> str:
        self.cluster("c")
        self.nodegroup("c", **nodegroup)
        return self.group_of()


class NodegroupGroupTest(NodegroupGroupCase):
    def test_the_node_group_reports_the_group_it_runs_in(self) -> None:
        self.cluster("c")
        created = self.nodegroup("c", scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2})
        uuid = created["nodegroupArn"].rsplit("/", 1)[1]
        name = self.group_of()
        self.assertEqual(name, f"eks-ng-{uuid}")
        group = self.describe_group(name)
        assert group is not None
        self.assertEqual((group["MinSize"], group["MaxSize"], group["DesiredCapacity"]), (1, 3, 2))
        self.assertEqual(sorted(group["VPCZoneIdentifier"].split(",")), sorted(self.subnets))
        self.assertEqual(sorted(group["AvailabilityZones"]), ["us-east-1a", "us-east-1b"])
        self.assertEqual(group["EnabledMetrics"], [])
        self.assertEqual(group["Instances"], [])
        self.assertEqual((group["HealthCheckType"], group["HealthCheckGracePeriod"]), ("EC2", 15))
        tags = {t["Key"]: t["Value"] for t in group["Tags"]}
        self.assertEqual(tags, {
            "eks:cluster-name": "c", "eks:nodegroup-name": "ng", "k8s.io/cluster-autoscaler/enabled": "true",
            "k8s.io/cluster-autoscaler/c": "owned", "kubernetes.io/cluster/c": "owned",
        })
        policy = group["MixedInstancesPolicy"]["LaunchTemplate"]
        self.assertEqual(policy["Overrides"], [{"InstanceType": "t3.medium"}])
        self.assertEqual(policy["LaunchTemplateSpecification"]["LaunchTemplateName"], f"eks-{uuid}")
        self.assertNotIn("LaunchTemplate", group)
        template = self.ec2.describe_launch_templates(LaunchTemplateNames=[f"eks-{uuid}"])["LaunchTemplates"][0]
        self.assertIn({"Key": "eks:nodegroup-name", "Value": "ng"}, template["Tags"])

    def test_found_by_the_node_group_tag(self) -> None:
        name = self.active_group()
        self.nodegroup("c", "other")
        found = self.autoscaling.describe_auto_scaling_groups(
            Filters=[{"Name": "tag:eks:nodegroup-name", "Values": ["ng"]}])["AutoScalingGroups"]
        self.assertEqual([g["AutoScalingGroupName"] for g in found], [name])
        self.assertTrue(re.fullmatch(r"eks-other-[0-9a-f-]{36}", self.group_of("c", "other")))

    def test_a_spot_node_group_s_group(self) -> None:
        self.active_group(capacityType="SPOT", instanceTypes=["t3.medium", "t3a.medium"])
        group = self.describe_group(self.group_of())
        assert group is not None
        policy = group["MixedInstancesPolicy"]
        self.assertEqual(policy["InstancesDistribution"]["OnDemandPercentageAboveBaseCapacity"], 0)
        self.assertEqual(policy["LaunchTemplate"]["Overrides"], [{"InstanceType": "t3.medium"},
                                                                 {"InstanceType": "t3a.medium"}])
        self.assertTrue(group["CapacityRebalance"])

    def test_a_scaling_update_resizes_the_group(self) -> None:
        name = self.active_group()
        self.eks.update_nodegroup_config(clusterName="c", nodegroupName="ng",
                                         scalingConfig={"minSize": 2, "maxSize": 5, "desiredSize": 3})
        group = self.describe_group(name)
        assert group is not None
        self.assertEqual((group["MinSize"], group["MaxSize"], group["DesiredCapacity"]), (2, 5, 3))

    def test_the_group_goes_with_the_node_group(self) -> None:
        name = self.active_group()
        self.eks.delete_nodegroup(clusterName="c", nodegroupName="ng")
        self.assertEqual(self.eks.list_nodegroups(clusterName="c")["nodegroups"], [])  # zero profile: gone
        self.assertIsNone(self.describe_group(name))
        templates = self.ec2.describe_launch_templates()["LaunchTemplates"]
        self.assertEqual(templates, [])  # EKS's launch template went too

    def test_a_failed_delete_keeps_the_group(self) -> None:
        name = self.active_group()
        self.control("POST", "/_mosia/faults", {"kind": "eks_nodegroup", "transition": "delete"})
        self.eks.delete_nodegroup(clusterName="c", nodegroupName="ng")
        ng = self.eks.describe_nodegroup(clusterName="c", nodegroupName="ng")["nodegroup"]
        self.assertEqual(ng["status"], "DELETE_FAILED")
        self.assertIsNotNone(self.describe_group(name))


class SlowNodegroupGroupTest(NodegroupGroupCase):
    PROFILE = "lifecycle"

    def test_the_group_exists_while_creating_and_deleting(self) -> None:
        self.control("POST", "/_mosia/durations", {"eks_cluster": 0, "eks_nodegroup": {"create": 30, "delete": 1}})
        self.cluster("c")
        self.nodegroup("c")
        self.assertEqual(self.eks.describe_nodegroup(clusterName="c", nodegroupName="ng")["nodegroup"]["status"],
                         "CREATING")
        name = self.group_of()
        self.assertIsNotNone(self.describe_group(name))
        self.control("POST", "/_mosia/durations", {"eks_nodegroup": {"create": 0}})
        self.nodegroup("c", "quick")
        self.eks.describe_nodegroup(clusterName="c", nodegroupName="quick")
        self.eks.delete_nodegroup(clusterName="c", nodegroupName="quick")
        quick = self.group_of("c", "quick")
        self.assertIsNotNone(self.describe_group(quick))  # DELETING: still there
        time.sleep(1.1)
        self.assertIsNone(self.describe_group(quick))
        self.assertIsNotNone(self.describe_group(name))


class MetricsCollectionTest(NodegroupGroupCase):
    def enable(self, name: str, **kwargs: Any) -> Any:
        return self.autoscaling.enable_metrics_collection(AutoScalingGroupName=name, **kwargs)

    def enabled(self, name: str) -> list[dict[str, str]]:
        group = self.describe_group(name)
        assert group is not None
        return group["EnabledMetrics"]

    def test_the_provider_s_call_then_read_back(self) -> None:
        name = self.active_group()
        self.enable(name, Granularity="1Minute", Metrics=METRICS)
        self.assertEqual(self.enabled(name), [{"Metric": m, "Granularity": "1Minute"} for m in METRICS])
        self.enable(name, Granularity="1Minute", Metrics=METRICS)  # idempotent
        self.assertEqual(len(self.enabled(name)), 3)

    def test_granularity_is_one_minute(self) -> None:
        name = self.active_group()
        self.assertAwsError("ValidationError", self.enable, name, Granularity="5Minute", Metrics=METRICS,
                            message="The only valid value is 1Minute")
        # Required by the model: refused by the validation layer with Auto Scaling's code.
        with self.assertRaises(ClientError) as raised:
            self.enable(name, Metrics=METRICS)
        error = raised.exception.response["Error"]
        self.assertEqual(error["Code"], "ValidationError")
        self.assertIn("Value null at 'granularity'", error["Message"])
        self.assertEqual(self.enabled(name), [])
        rejected = self.control("GET", "/_mosia/calls")["rejected"]
        self.assertEqual((rejected["validation"], rejected["rule"]), (1, 1))

    def test_metric_names_are_the_documented_ones(self) -> None:
        name = self.active_group()
        self.assertAwsError("ValidationError", self.enable, name, Granularity="1Minute",
                            Metrics=["GroupInServiceInstances", "CPUUtilization"], message="CPUUtilization")
        self.assertAwsError("ValidationError", self.autoscaling.disable_metrics_collection,
                            AutoScalingGroupName=name, Metrics=["Nope"], message="Nope")
        self.assertEqual(self.enabled(name), [])

    def test_an_unknown_group_is_not_found(self) -> None:
        self.assertAwsError("ValidationError", self.enable, "nope", Granularity="1Minute", Metrics=METRICS,
                            message="Group nope not found")
        self.assertAwsError("ValidationError", self.autoscaling.disable_metrics_collection,
                            AutoScalingGroupName="nope", message="Group nope not found")
        found = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["nope"])
        self.assertEqual(found["AutoScalingGroups"], [])  # Describe: no error, no group

    def test_enable_adds_and_disable_removes(self) -> None:
        name = self.active_group()
        self.enable(name, Granularity="1Minute", Metrics=["GroupMaxSize"])
        self.enable(name, Granularity="1Minute", Metrics=METRICS)
        self.assertEqual([m["Metric"] for m in self.enabled(name)], ["GroupMaxSize", *METRICS])
        self.autoscaling.disable_metrics_collection(AutoScalingGroupName=name, Metrics=["GroupMaxSize"])
        self.assertEqual([m["Metric"] for m in self.enabled(name)], METRICS)
        self.autoscaling.disable_metrics_collection(AutoScalingGroupName=name)
        self.assertEqual(self.enabled(name), [])
        self.enable(name, Granularity="1Minute")  # no metrics: all of them
        self.assertEqual({m["Metric"] for m in self.enabled(name)}, set(asg.GROUP_METRICS))


class GroupAlarmTest(NodegroupGroupCase):
    def test_an_alarm_on_the_group_s_in_service_instances(self) -> None:
        name = self.active_group()
        with mock.patch.object(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", CBOR_FIRST):
            cw = self.client("cloudwatch")
        cw.put_metric_alarm(
            AlarmName="nodes", Namespace="AWS/AutoScaling", MetricName="GroupInServiceInstances",
            Dimensions=[{"Name": "AutoScalingGroupName", "Value": name}], Statistic="Minimum",
            Period=60, EvaluationPeriods=5, Threshold=1.0, ComparisonOperator="LessThanThreshold",
            TreatMissingData="breaching",
        )
        found = cw.describe_alarms(AlarmNames=["nodes"])["MetricAlarms"][0]
        self.assertEqual(found["Dimensions"], [{"Name": "AutoScalingGroupName", "Value": name}])
        self.assertEqual((found["Namespace"], found["Statistic"], found["Period"]), ("AWS/AutoScaling", "Minimum", 60))
        self.assertEqual(found["StateValue"], "INSUFFICIENT_DATA")
