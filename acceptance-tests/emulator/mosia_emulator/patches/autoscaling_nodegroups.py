"""The Auto Scaling group of each EKS managed node group (moto: a name in the node group's
`resources.autoScalingGroups`, no group behind it), and AWS's rules for EnableMetricsCollection
and DisableMetricsCollection (moto: no checks, an unknown group a 500, Enable replacing the
list instead of adding to it, no DisableMetricsCollection).

Applied for both EKS and Auto Scaling (MODULES "eks" and "autoscaling" name this module); it
applies the EKS patches (`eks.apply`) first, so that its wrappers run around theirs.

The node group's group (EKS creates it with the node group, sizes it from the scaling config
and deletes it with the node group):
- Name `eks-NODEGROUP-UUID`, UUID the one ending the node group's ARN: real groups quoted in
  mondoohq/mql#3681 (`eks-high_cpu-b6c745aa-...`), eksctl-io/eksctl#7543
  (`eks-default-pool-cec6c5bb-9cb5-774a-d4c9-4abb88e0b176`) and terraform-aws-modules/
  terraform-aws-eks#3007 ("eks-{nodegroup-name}-..."); the node group reports it in
  `resources.autoScalingGroups` (EKS API reference, AutoScalingGroup).
- Tags `eks:cluster-name`, `eks:nodegroup-name`, `k8s.io/cluster-autoscaler/enabled` = true,
  `k8s.io/cluster-autoscaler/CLUSTER` = owned, `kubernetes.io/cluster/CLUSTER` = owned (the
  real group in mondoohq/mql#3681; EKS User Guide, managed node groups: "Amazon EKS tags
  managed node group resources so that they are configured to use the Kubernetes Cluster
  Autoscaler"). PropagateAtLaunch true (assumed: the nodes carry them). The node group's own
  tags are not copied (aws/containers-roadmap#608, eksctl-io/eksctl#1571).
- MinSize/MaxSize/DesiredCapacity from scalingConfig, followed by UpdateNodegroupConfig;
  VPCZoneIdentifier the node group's subnets; HealthCheckType EC2, HealthCheckGracePeriod 15,
  DefaultCooldown 300, EnabledMetrics [] (eksctl-io/eksctl#7543); a MixedInstancesPolicy on a
  launch template `eks-UUID` that EKS creates in EC2 (tagged with the cluster and node group),
  with the instance types as overrides and the distribution quoted in eksctl#7543 (On-Demand:
  100% above a base of 0, prioritized). Spot node groups: 0% On-Demand, capacity-optimized,
  CapacityRebalance on (assumed from the EKS User Guide's account of Spot capacity).
- Deleted (with its launch template) once the node group is gone; kept when the delete fails.
- Not modelled: instances. The emulator runs no nodes, so the group has none (Instances []).

EnableMetricsCollection / DisableMetricsCollection (Auto Scaling API reference; the botocore
`autoscaling` model's documentation):
- Granularity is required for Enable (the model) and "The only valid value is 1Minute":
  another value is refused with ValidationError (wording assumed). A missing Granularity is
  refused first by the model validation layer, whose code for query services other than IAM,
  STS and ELB is MissingParameter (Auto Scaling's own is ValidationError, assumed).
- Metrics: "You can specify one or more of the following metrics" (GroupMinSize ...
  GroupAndWarmPoolTotalCapacity, the 20 below); another name: ValidationError (wording
  assumed). "If you specify Granularity and don't specify any metrics, all metrics are
  enabled"; Disable: "If you omit this property, all metrics are disabled". Enabling adds to
  the metrics already enabled, disabling removes only those named (assumed from the two
  sentences; both are idempotent, spinnaker/clouddriver#1563).
- An unknown group: ValidationError "Group NAME not found" (the "Group .* not found" form
  Auto Scaling answers for a group-scoped call on a missing group, matched by cloudquery's
  plugin-aws `groupNotFoundRegex`; the exact text for these two calls assumed).
- DescribeAutoScalingGroups shows them as EnabledMetrics [{Metric, Granularity: 1Minute}]."""

from __future__ import annotations

from typing import Any

from moto.autoscaling.exceptions import ValidationError
from moto.autoscaling.models import AutoScalingBackend, autoscaling_backends
from moto.autoscaling.responses import AutoScalingResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.eks.models import EKSBackend

from .. import lifecycle, rejections
from . import add, eks, wrap
from .eks_common import NODEGROUP
from .eks_rules import ec2_of

SERVICE = "autoscaling"
GRANULARITY = "1Minute"
GROUP_METRICS = (
    "GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances",
    "GroupPendingInstances", "GroupStandbyInstances", "GroupTerminatingInstances",
    "GroupTotalInstances", "GroupInServiceCapacity", "GroupPendingCapacity",
    "GroupStandbyCapacity", "GroupTerminatingCapacity", "GroupTotalCapacity",
    "WarmPoolDesiredCapacity", "WarmPoolWarmedCapacity", "WarmPoolPendingCapacity",
    "WarmPoolTerminatingCapacity", "WarmPoolTotalCapacity", "GroupAndWarmPoolDesiredCapacity",
    "GroupAndWarmPoolTotalCapacity",
)
ON_DEMAND = {
    "OnDemandAllocationStrategy": "prioritized", "OnDemandBaseCapacity": 0,
    "OnDemandPercentageAboveBaseCapacity": 100, "SpotAllocationStrategy": "lowest-price",
    "SpotInstancePools": 2,
}
SPOT = {**ON_DEMAND, "OnDemandPercentageAboveBaseCapacity": 0, "SpotAllocationStrategy": "capacity-optimized"}
# Seconds between two looks at a node group whose delete has not ended yet.
RECHECK_SECONDS = 1.0


def apply(state: Any) -> None:
    from . import _done

    if "eks" not in _done:  # MODULES["eks"] names this module: the EKS patches come first
        eks.apply(state)
    apply_nodegroup_groups()
    apply_metrics_rules()


# -- the node group's Auto Scaling group ---------------------------------------------------------
def group_name(ng: Any) -> str:
    return f"eks-{ng.nodegroup_name}-{ng.uuid}"


def backend_of(account_id: str, region: str) -> AutoScalingBackend:
    return autoscaling_backends[account_id][region]


def group_tags(cluster: str, nodegroup: str) -> list[dict[str, Any]]:
    tags = {
        "eks:cluster-name": cluster,
        "eks:nodegroup-name": nodegroup,
        "k8s.io/cluster-autoscaler/enabled": "true",
        f"k8s.io/cluster-autoscaler/{cluster}": "owned",
        f"kubernetes.io/cluster/{cluster}": "owned",
    }
    return [{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in tags.items()]


def create_launch_template(eks_backend: EKSBackend, ng: Any) -> Any:
    """The launch template EKS makes for the node group (`eks-UUID`), on the cluster's
    security group."""
    cluster = eks_backend.clusters[ng.cluster_name]
    group_id = (cluster.resources_vpc_config or {}).get("clusterSecurityGroupId")
    data = {"SecurityGroupIds": [group_id]} if group_id else {}
    tags = {"eks:cluster-name": ng.cluster_name, "eks:nodegroup-name": ng.nodegroup_name}
    ec2 = ec2_of(eks_backend.account_id, eks_backend.region_name)
    return ec2.create_launch_template(f"eks-{ng.uuid}", "", data, {"launch-template": tags})


def mixed_instances_policy(ng: Any, template_id: str) -> dict[str, Any]:
    spot = ng.capacity_type == "SPOT"
    return {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": {"LaunchTemplateId": template_id, "Version": "1"},
            "Overrides": [{"InstanceType": t} for t in ng.instance_types],
        },
        "InstancesDistribution": dict(SPOT if spot else ON_DEMAND),
    }


def create_group(eks_backend: EKSBackend, ng: Any) -> None:
    """The node group's group, sized from its scaling config, without instances."""
    template = create_launch_template(eks_backend, ng)
    backend = backend_of(eks_backend.account_id, eks_backend.region_name)
    group = backend.create_auto_scaling_group(
        name=group_name(ng), availability_zones=[], desired_capacity=0, max_size=0, min_size=0,
        launch_config_name="", launch_template={}, vpc_zone_identifier=",".join(ng.subnets),
        default_cooldown=300, health_check_period=15, health_check_type="EC2",
        load_balancers=[], target_group_arns=[], placement_group=None, termination_policies=[],
        tags=group_tags(ng.cluster_name, ng.nodegroup_name),
        capacity_rebalance=ng.capacity_type == "SPOT",
        mixed_instances_policy=mixed_instances_policy(ng, template.id),
    )
    resize(group, ng.scaling_config)
    ng.resources = {**ng.resources, "autoScalingGroups": [{"name": group.name}]}


def resize(group: Any, scaling: dict[str, Any]) -> None:
    """The node group's sizes, set as EKS keeps them (no instances are launched)."""
    group.min_size = int(scaling.get("minSize", group.min_size))
    group.max_size = int(scaling.get("maxSize", group.max_size))
    group.desired_capacity = int(scaling.get("desiredSize", group.desired_capacity))


def delete_group(eks_backend: EKSBackend, ng: Any) -> None:
    backend = backend_of(eks_backend.account_id, eks_backend.region_name)
    backend.autoscaling_groups.pop(group_name(ng), None)
    ec2 = ec2_of(eks_backend.account_id, eks_backend.region_name)
    template_id = ec2.launch_template_name_to_ids.get(f"eks-{ng.uuid}")
    if template_id is not None:
        ec2.delete_launch_template(None, template_id)


def delete_when_gone(eks_backend: EKSBackend, ng: Any, delay: float) -> None:
    """Deletes the group once the node group's delete has removed it (scheduled after the
    delete's own end, so it runs after it); a failed delete keeps both."""

    def check() -> None:
        cluster = eks_backend.clusters.get(ng.cluster_name)
        present = cluster is not None and cluster.nodegroups.get(ng.nodegroup_name) is ng
        if not present:
            delete_group(eks_backend, ng)
        elif ng.status == "DELETING":
            delete_when_gone(eks_backend, ng, RECHECK_SECONDS)

    lifecycle.SCHEDULER.after(delay, check)


def apply_nodegroup_groups() -> None:
    @wrap(EKSBackend, "create_nodegroup")
    def create_nodegroup(orig: Any, self: EKSBackend, *args: Any, **kwargs: Any) -> Any:
        ng = orig(self, *args, **kwargs)
        ng.scaling_config = dict(ng.scaling_config)  # moto's default dict is shared
        create_group(self, ng)
        return ng

    @wrap(EKSBackend, "update_nodegroup_config")
    def update_nodegroup_config(orig: Any, self: EKSBackend, *args: Any, **kwargs: Any) -> Any:
        result = orig(self, *args, **kwargs)
        cluster_name = kwargs.get("cluster_name", args[0] if args else None)
        ng_name = kwargs.get("nodegroup_name", args[1] if len(args) > 1 else None)
        ng = self.clusters[cluster_name].nodegroups[ng_name]
        group = backend_of(self.account_id, self.region_name).autoscaling_groups.get(group_name(ng))
        if group is not None:
            resize(group, ng.scaling_config)
        return result

    @wrap(EKSBackend, "delete_nodegroup")
    def delete_nodegroup(orig: Any, self: EKSBackend, cluster_name: str, nodegroup_name: str) -> Any:
        ng = orig(self, cluster_name, nodegroup_name)
        delete_when_gone(self, ng, lifecycle.DURATIONS.get(NODEGROUP, "delete"))
        return ng


# -- EnableMetricsCollection / DisableMetricsCollection ------------------------------------------
def refuse(message: str, operation: str) -> ValidationError:
    return rejections.rule(ValidationError(message), SERVICE, operation)


def find_group(backend: AutoScalingBackend, name: str, operation: str) -> Any:
    group = backend.autoscaling_groups.get(name)
    if group is None:
        raise refuse(f"Group {name} not found", operation)  # wording assumed
    return group


def check_metrics(metrics: list[str], operation: str) -> None:
    unknown = [m for m in metrics if m not in GROUP_METRICS]
    if unknown:
        raise refuse(  # wording assumed
            f"Invalid metric name(s): {', '.join(unknown)}. Valid metrics are: {', '.join(GROUP_METRICS)}",
            operation,
        )


def enable(backend: AutoScalingBackend, name: str, granularity: Any, metrics: list[str]) -> None:
    operation = "EnableMetricsCollection"
    if granularity != GRANULARITY:
        raise refuse(  # wording assumed
            f"Granularity {granularity} is not valid. The only valid value is {GRANULARITY}.", operation
        )
    check_metrics(metrics, operation)
    group = find_group(backend, name, operation)
    group.metrics = list(group.metrics) + [m for m in metrics or GROUP_METRICS if m not in group.metrics]


def disable(backend: AutoScalingBackend, name: str, metrics: list[str]) -> None:
    operation = "DisableMetricsCollection"
    check_metrics(metrics, operation)
    group = find_group(backend, name, operation)
    group.metrics = [m for m in group.metrics if metrics and m not in metrics]


def apply_metrics_rules() -> None:
    @add(AutoScalingResponse)
    def enable_metrics_collection(self: AutoScalingResponse) -> ActionResult:
        enable(
            self.autoscaling_backend, self._get_param("AutoScalingGroupName"),
            self._get_param("Granularity"), list(self._get_param("Metrics") or []),
        )
        return EmptyResult()

    @add(AutoScalingResponse)
    def disable_metrics_collection(self: AutoScalingResponse) -> ActionResult:
        disable(
            self.autoscaling_backend, self._get_param("AutoScalingGroupName"),
            list(self._get_param("Metrics") or []),
        )
        return EmptyResult()
