"""Application Auto Scaling: AWS's rules for MSK broker storage (namespace `kafka`, dimension
`kafka:broker-storage:VolumeSize`, ResourceId the cluster ARN), AWS's error codes for unknown
targets and policies, and the `msk_storage_autoscaling` event.

moto 5.2.5 knows the namespace and the dimension but none of MSK's rules: it registers a target
for any ARN, takes any policy type, metric and target value, answers a PutScalingPolicy without
a registered target with a policy, answers an unknown target or policy on delete with
ValidationException, and leaves a deregistered target's policies behind.

Sources:
- MSK developer guide, "Automatic scaling for Amazon MSK clusters" / "Auto-scaling policy
  details" (msk-autoexpand.html, msk-autoexpand-details.html): "You can set the utilization
  target between 10% and 80% of the current storage capacity"; "You can set the maximum storage
  capacity up to 16 TiB per broker"; "Amazon MSK does not reduce cluster storage";
  RegisterScalableTarget, then PutScalingPolicy "to create an auto-expansion policy"
  (msk-autoexpand-setup-api.html).
- Application Auto Scaling user guide, "Amazon MSK and Application Auto Scaling"
  (services-that-can-integrate-msk.html): "You can scale out Amazon MSK cluster storage using
  target tracking scaling policies. Scale in by the target tracking policy is disabled."
- Application Auto Scaling API reference, DeregisterScalableTarget: "Deregistering a scalable
  target deletes the scaling policies and the scheduled actions that are associated with it";
  ObjectNotFoundException: thrown "if the scalable target ... does not exist" for operations that
  depend on it, and for a delete or deregister "if the resource cannot be found".
- ObjectNotFoundException wording for PutScalingPolicy without a target, "No scalable target
  registered for service namespace: ecs, resource ID: service/..., scalable dimension:
  ecs:service:DesiredCount": ansible/ansible#35632 and #40237,
  cloudposse/terraform-aws-ecs-cloudwatch-autoscaling#36.
- ValidationException for a resource that does not exist: AWS's ECS wording "ECS service doesn't
  exist: service/CLUSTER/SERVICE" (a CDKTF log in a public repository; moto uses the same).

Deliberately NOT enforced, because AWS accepts it:
- a MinCapacity below the cluster's volume size: terraform-aws-modules/msk-kafka-cluster
  (main.tf, aws_appautoscaling_target) and hashicorp/terraform-provider-aws#15796 register
  MSK storage targets with `min_capacity = 1`;
- DisableScaleIn false (or absent): the same module's aws_appautoscaling_policy leaves
  `disable_scale_in` at false; MSK simply never scales in (user guide, above).

Unsourced wordings (the codes follow the API reference, the texts are ours): the MSK cluster
that does not exist, the serverless cluster, MaxCapacity above 16384, MinCapacity above
MaxCapacity, capacities missing on a new target, a policy type other than target tracking, a
metric other than KafkaBrokerStorageUtilization, a target value outside 10-80, and
DeregisterScalableTarget's ObjectNotFoundException text (taken to be PutScalingPolicy's)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from moto.applicationautoscaling.models import (
    ApplicationAutoscalingBackend,
    FakeApplicationAutoscalingPolicy,
    applicationautoscaling_backends,
)
from moto.core.exceptions import JsonRESTError

from .. import events, lifecycle, rejections
from . import wrap

SERVICE = "application-autoscaling"
NAMESPACE = "kafka"
DIMENSION = "kafka:broker-storage:VolumeSize"
MAX_VOLUME_GIB = 16384  # "up to 16 TiB per broker"
METRIC = "KafkaBrokerStorageUtilization"
TARGET_MIN, TARGET_MAX = 10.0, 80.0  # "between 10% and 80%"


class AutoScalingError(JsonRESTError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def refuse(code: str, message: str, operation: str) -> AutoScalingError:
    return rejections.rule(AutoScalingError(code, message), SERVICE, operation)


def no_target(namespace: str, resource_id: str, dimension: str, operation: str) -> AutoScalingError:
    return refuse(
        "ObjectNotFoundException",
        f"No scalable target registered for service namespace: {namespace}, "
        f"resource ID: {resource_id}, scalable dimension: {dimension}",
        operation,
    )


def find_target(backend: ApplicationAutoscalingBackend, resource_id: str, dimension: str) -> Any:
    return backend.targets.get(dimension, {}).get(resource_id)


def msk_cluster(account_id: str, region: str, arn: str) -> Any:
    from moto.kafka.models import kafka_backends

    return kafka_backends[account_id][region].clusters.get(arn)


def volume_size(cluster: Any) -> int:
    info = cluster.broker_node_group_info or {}
    return int(((info.get("storageInfo") or {}).get("ebsStorageInfo") or {}).get("volumeSize") or 0)


def policies_of(backend: ApplicationAutoscalingBackend, namespace: str, resource_id: str, dimension: str) -> list[str]:
    return [
        key for key, p in backend.policies.items()
        if (p.service_namespace, p.resource_id, p.scalable_dimension) == (namespace, resource_id, dimension)
    ]


def check_register(
    backend: ApplicationAutoscalingBackend, resource_id: str, min_capacity: Any, max_capacity: Any
) -> None:
    op = "RegisterScalableTarget"
    cluster = msk_cluster(backend.account_id, backend.region_name, resource_id)
    if cluster is None:
        raise refuse("ValidationException", f"MSK cluster doesn't exist: {resource_id}", op)
    if cluster.cluster_type == "SERVERLESS":
        # Serverless clusters have no broker storage to scale (MSK Serverless manages it).
        raise refuse(
            "ValidationException",
            f"Storage automatic scaling is not supported for the serverless cluster {resource_id}",
            op,
        )
    existing = find_target(backend, resource_id, DIMENSION)
    if existing is None and (min_capacity is None or max_capacity is None):
        raise refuse(
            "ValidationException",
            "MinCapacity and MaxCapacity are required to register a new scalable target",
            op,
        )
    low = min_capacity if min_capacity is not None else existing.min_capacity
    high = max_capacity if max_capacity is not None else existing.max_capacity
    if high is not None and int(high) > MAX_VOLUME_GIB:
        raise refuse(
            "ValidationException",
            f"Maximum capacity {high} GiB is above the maximum broker storage of "
            f"{MAX_VOLUME_GIB} GiB (16 TiB) per broker",
            op,
        )
    if low is not None and high is not None and int(low) > int(high):
        raise refuse("ValidationException", "Minimum capacity cannot be greater than maximum capacity", op)


def check_policy(policy_type: Any, config: Any) -> None:
    op = "PutScalingPolicy"
    kind = policy_type or "StepScaling"  # the API's default PolicyType
    if kind != "TargetTrackingScaling":
        raise refuse(
            "ValidationException",
            f"Policy type {kind} is not supported for {DIMENSION}: Amazon MSK broker storage "
            "scales with TargetTrackingScaling policies only",
            op,
        )
    config = config if isinstance(config, dict) else {}
    metric = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    if metric != METRIC:
        raise refuse(
            "ValidationException",
            f"{DIMENSION} takes the predefined metric type {METRIC} only"
            + (f", not {metric}" if metric else " (no customized metrics)"),
            op,
        )
    value = config.get("TargetValue")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not TARGET_MIN <= value <= TARGET_MAX:
        raise refuse(
            "ValidationException",
            f"Target value {value} for {METRIC} must be between {TARGET_MIN:g} and {TARGET_MAX:g}",
            op,
        )


# ---------------------------------------------------------------------------------------------
# Out-of-band event


def storage_autoscaling(payload: dict[str, Any]) -> dict[str, Any]:
    """MSK storage autoscaling grew the brokers' volumes (up to the target's MaxCapacity), as
    Application Auto Scaling does when KafkaBrokerStorageUtilization passes the policy's target.
    The cluster gets a new current version and a completed UPDATE_BROKER_STORAGE operation
    ("To determine if auto-scaling operations have occurred, use the ListClusterOperations
    operation": msk-autoexpand-details.html)."""
    from moto.kafka.models import kafka_backends

    from . import kafka

    lifecycle.SCHEDULER.tick()
    arn = payload.get("cluster_arn")
    if not arn or not isinstance(arn, str):
        raise ValueError("cluster_arn (a string) is required")
    size = payload.get("volume_size")
    if not isinstance(size, int) or isinstance(size, bool):
        raise ValueError("volume_size (an integer, GiB per broker) is required")
    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "kafka":
        raise ValueError(f"{arn!r} is not an MSK cluster ARN")
    region, account = parts[3], parts[4]
    backend = kafka_backends[account][region]
    cluster = backend.clusters.get(arn)
    if cluster is None:
        raise ValueError(f"no MSK cluster {arn}")
    scaling = applicationautoscaling_backends[account][region]
    target = find_target(scaling, arn, DIMENSION)
    if target is None:
        raise ValueError(f"storage autoscaling is off for {arn}: no scalable target registered")
    if not any(
        scaling.policies[k].policy_type == "TargetTrackingScaling"
        for k in policies_of(scaling, NAMESPACE, arn, DIMENSION)
    ):
        raise ValueError(f"storage autoscaling is off for {arn}: no target tracking scaling policy")
    have = volume_size(cluster)
    if size <= have:
        raise ValueError(f"autoscaling only grows storage: {size} GiB is not above {have} GiB")
    ceiling = int(target.max_capacity or 0)
    if size > ceiling:
        raise ValueError(f"{size} GiB is above the scalable target's MaxCapacity ({ceiling} GiB)")
    if cluster.state != "ACTIVE":
        raise ValueError(f"the cluster is {cluster.state}; storage autoscaling needs it ACTIVE")

    source = kafka.cluster_snapshot(cluster)
    info = cluster.broker_node_group_info = cluster.broker_node_group_info or {}
    info.setdefault("storageInfo", {}).setdefault("ebsStorageInfo", {})["volumeSize"] = size
    cluster.current_version = kafka.new_version()
    now = kafka.now_iso()
    op_arn = (
        f"arn:aws:kafka:{cluster.region_name}:{cluster.account_id}:cluster-operation/"
        f"{cluster.cluster_name}/{cluster.cluster_id}/{uuid.uuid4()}"
    )
    kafka.ops_of(backend)[op_arn] = {
        "clusterArn": arn,
        "operationArn": op_arn,
        "operationType": "UPDATE_BROKER_STORAGE",
        "operationState": "UPDATE_COMPLETE",
        "creationTime": now,
        "endTime": now,
        "sourceClusterInfo": source,
        "targetClusterInfo": kafka.cluster_snapshot(cluster),
        "operationSteps": [{"stepInfo": {"stepStatus": "FINISHED"}, "stepName": "UPDATE_COMPLETE"}],
    }
    return {
        "cluster_arn": arn,
        "state": cluster.state,
        "volume_size": size,
        "previous_volume_size": have,
        "current_version": cluster.current_version,
        "cluster_operation_arn": op_arn,
    }


def apply(state: Any) -> None:
    @wrap(ApplicationAutoscalingBackend, "register_scalable_target")
    def register_scalable_target(
        orig: Any, self: ApplicationAutoscalingBackend, namespace: str, r_id: str, dimension: str,
        min_capacity: Any, max_capacity: Any, role_arn: str, suspended_state: Any,
    ) -> Any:
        if namespace == NAMESPACE and dimension == DIMENSION:
            check_register(self, r_id, min_capacity, max_capacity)
        return orig(self, namespace, r_id, dimension, min_capacity, max_capacity, role_arn, suspended_state)

    @wrap(ApplicationAutoscalingBackend, "put_scaling_policy")
    def put_scaling_policy(
        orig: Any, self: ApplicationAutoscalingBackend, policy_name: str, service_namespace: str,
        resource_id: str, scalable_dimension: str, policy_body: Any, policy_type: Any,
    ) -> Any:
        if service_namespace == NAMESPACE and scalable_dimension == DIMENSION:
            check_policy(policy_type, policy_body)
            if find_target(self, resource_id, scalable_dimension) is None:
                raise no_target(service_namespace, resource_id, scalable_dimension, "PutScalingPolicy")
            policy_body = copy.deepcopy(policy_body)
        return orig(self, policy_name, service_namespace, resource_id, scalable_dimension, policy_body, policy_type)

    @wrap(ApplicationAutoscalingBackend, "deregister_scalable_target")
    def deregister_scalable_target(
        orig: Any, self: ApplicationAutoscalingBackend, namespace: str, r_id: str, dimension: str
    ) -> Any:
        target = find_target(self, r_id, dimension)
        if target is None or target.service_namespace != namespace:
            raise no_target(namespace, r_id, dimension, "DeregisterScalableTarget")
        for key in policies_of(self, namespace, r_id, dimension):
            self.policies[key].delete_alarms(self.account_id, self.region_name)
            del self.policies[key]
        self.scheduled_actions = [
            a for a in self.scheduled_actions
            if (a.service_namespace, a.resource_id, a.scalable_dimension) != (namespace, r_id, dimension)
        ]
        return orig(self, namespace, r_id, dimension)

    @wrap(ApplicationAutoscalingBackend, "delete_scaling_policy")
    def delete_scaling_policy(
        orig: Any, self: ApplicationAutoscalingBackend, policy_name: str, service_namespace: str,
        resource_id: str, scalable_dimension: str,
    ) -> Any:
        key = FakeApplicationAutoscalingPolicy.formulate_key(
            service_namespace, resource_id, scalable_dimension, policy_name
        )
        if key not in self.policies:
            # moto's wording, AWS's code (ObjectNotFoundException, not ValidationException).
            raise refuse(
                "ObjectNotFoundException",
                f"No scaling policy found for service namespace: {service_namespace}, resource ID: "
                f"{resource_id}, scalable dimension: {scalable_dimension}, policy name: {policy_name}",
                "DeleteScalingPolicy",
            )
        return orig(self, policy_name, service_namespace, resource_id, scalable_dimension)

    events.register("msk_storage_autoscaling")(storage_autoscaling)
