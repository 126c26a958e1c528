"""MSK (kafka): monitoring and broker logs: CreateClusterV2 / CreateCluster with
`loggingInfo`, `enhancedMonitoring` and `openMonitoring`, UpdateMonitoring, and what
DescribeCluster / DescribeClusterV2 and the cluster operation answer about them.

Applied in place of `kafka` (the `kafka` entry of `patches.MODULES`): `apply` runs
`kafka_scram.apply` first (which applies `kafka`, `kafka_rules`, `kafka_configurations`), so
these wrappers are the outermost ones.

What moto 5.2.5 and the earlier patches already do (kept): CreateClusterV2 / CreateCluster
store `enhancedMonitoring` (DEFAULT when absent), `openMonitoring` and `loggingInfo`, and
DescribeCluster(V2) answers them (`kafka.py` copies them from the V2 request, which moto drops);
UpdateMonitoring (`kafka.py`) is refused unless the cluster is ACTIVE, needs `currentVersion`,
puts the cluster in UPDATING (the `msk_cluster.update` duration) then ACTIVE with a new current
version, and records an UPDATE_MONITORING cluster operation. `enhancedMonitoring` outside
DEFAULT | PER_BROKER | PER_TOPIC_PER_BROKER | PER_TOPIC_PER_PARTITION and a missing
`loggingInfo.brokerLogs` or `cloudWatchLogs.enabled` are refused by the model validation
(BadRequestException).

Added here:
- The broker logs' destination must exist. MSK Developer Guide, "Amazon MSK logging"
  (msk-logging; awsdocs/amazon-msk-developer-guide doc_source/msk-logging.md): "You must create
  a destination resource before you configure your cluster to deliver broker logs to it.
  Amazon MSK doesn't create these destination resources for you if they don't already exist."
  Checked on CreateCluster, CreateClusterV2 and UpdateMonitoring for every enabled destination:
  the CloudWatch Logs log group, the S3 bucket and the Firehose delivery stream, in the
  cluster's account (and Region, for the log group and the stream). BadRequestException
  (MSK's code for invalid input); the wording is assumed (not published).
- An enabled destination needs its name: "To use CloudWatch Logs as a destination for broker
  logs, you must specify a CloudWatch log group." (MSK's answer quoted in
  awsdocs/aws-cloudformation-user-guide#652, BadRequestException). The same sentence for S3
  ("an S3 bucket") and Firehose ("a Firehose delivery stream") is assumed.
- UpdateMonitoring with a `currentVersion` that is not the cluster's: AWS's words "The version
  of the cluster isn\u2019t current. Check the current version and try again."
  (BadRequestException; quoted in hashicorp/terraform-provider-aws#25061). Only for this call:
  the other Update* calls keep `kafka.py`'s wording.
- UpdateMonitoring's cluster operation carries the monitoring settings before and after in
  `sourceClusterInfo` / `targetClusterInfo` (MutableClusterInfo has `enhancedMonitoring`,
  `openMonitoring`, `loggingInfo`; botocore kafka model).

Looked for and not enforced (AWS documents no such refusal):
- Enhanced monitoring levels and broker sizes: the MSK guide's "Amazon MSK metrics for
  monitoring Standard brokers with CloudWatch" (metrics-details) lists the metrics of each
  level and no level a broker size cannot have. terraform-provider-aws's acceptance tests run
  PER_BROKER then PER_TOPIC_PER_BROKER on kafka.t3.small brokers
  (internal/service/kafka/cluster_test.go, TestAccKafkaCluster_enhancedMonitoring). Every level
  is accepted on every broker type.
- Open monitoring: the guide says "If you specify OpenMonitoring, the two exporters can't be
  disabled at the same time" (open-monitoring), but terraform-provider-aws's
  TestAccKafkaCluster_openMonitoring creates a cluster with both exporters disabled against AWS:
  AWS accepts it, so the emulator does too.
- A log group deleted after the cluster was configured (AWS keeps the configuration; delivery
  just fails) and the log group resource policy AWS adds for vended logs
  (delivery.logs.amazonaws.com) are not modelled.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from moto.kafka.models import KafkaBackend
from moto.kafka.responses import KafkaResponse

from .. import rejections
from . import kafka_scram, wrap
from .kafka import arn_from_path, get_cluster, ops_of
from .kafka_rules import KafkaError

STALE_VERSION = "The version of the cluster isn\u2019t current. Check the current version and try again."
# destination key -> (name key, what it is, the noun in "you must specify a ...").
DESTINATIONS = {
    "cloudWatchLogs": ("logGroup", "CloudWatch Logs", "CloudWatch log group"),
    "s3": ("bucket", "Amazon S3", "S3 bucket"),
    "firehose": ("deliveryStream", "Firehose", "Firehose delivery stream"),
}


def bad_request(message: str, operation: str) -> KafkaError:
    rejections.record("rule", "kafka", operation, "BadRequestException", message)
    return KafkaError("BadRequestException", message, 400)


# -- destinations ----------------------------------------------------------------------------------
def log_group_exists(account: str, region: str, name: str) -> bool:
    from moto.logs.models import logs_backends

    try:
        return name in logs_backends[account][region].groups
    except KeyError:
        return False


def bucket_exists(account: str, partition: str, name: str) -> bool:
    from moto.s3.models import s3_backends

    try:
        return name in s3_backends[account][partition].buckets
    except KeyError:
        return False


def delivery_stream_exists(account: str, region: str, name: str) -> bool:
    from moto.firehose.models import firehose_backends

    try:
        return name in firehose_backends[account][region].delivery_streams
    except KeyError:
        return False


def check_logging_info(account: str, region: str, logging_info: Any, operation: str) -> None:
    """Every enabled broker-log destination is named and exists (see the module docstring)."""
    if not isinstance(logging_info, dict):
        return
    broker_logs = logging_info.get("brokerLogs")
    if not isinstance(broker_logs, dict):
        return
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    for key, (name_key, service, noun) in DESTINATIONS.items():
        destination = broker_logs.get(key)
        if not isinstance(destination, dict) or not destination.get("enabled"):
            continue
        name = destination.get(name_key)
        if not name:
            raise bad_request(
                f"To use {service} as a destination for broker logs, you must specify a {noun}.",
                operation,
            )
        exists = {
            "cloudWatchLogs": lambda: log_group_exists(account, region, name),
            "s3": lambda: bucket_exists(account, partition, name),
            "firehose": lambda: delivery_stream_exists(account, region, name),
        }[key]()
        if not exists:
            raise bad_request(
                f"The {noun} {name} does not exist. Create it before you configure the cluster "
                "to deliver broker logs to it.",
                operation,
            )


# -- cluster operations ------------------------------------------------------------------------------
def monitoring_info(cluster: Any) -> dict[str, Any]:
    """The monitoring part of MutableClusterInfo, as DescribeCluster answers it."""
    out: dict[str, Any] = {"enhancedMonitoring": cluster.enhanced_monitoring or "DEFAULT"}
    if cluster.open_monitoring:
        out["openMonitoring"] = copy.deepcopy(cluster.open_monitoring)
    if cluster.logging_info:
        out["loggingInfo"] = copy.deepcopy(cluster.logging_info)
    return out


# -- wiring ------------------------------------------------------------------------------------------
def apply(state: Any) -> None:
    kafka_scram.apply(state)

    @wrap(KafkaBackend, "create_cluster")
    def create_cluster(orig: Any, self: KafkaBackend, *args: Any, **kwargs: Any) -> Any:
        check_logging_info(self.account_id, self.region_name, kwargs.get("logging_info"), "CreateCluster")
        return orig(self, *args, **kwargs)

    @wrap(KafkaBackend, "create_cluster_v2")
    def create_cluster_v2(
        orig: Any, self: KafkaBackend, cluster_name: str, tags: Any, provisioned: Any, serverless: Any
    ) -> Any:
        if provisioned:
            check_logging_info(
                self.account_id, self.region_name, provisioned.get("loggingInfo"), "CreateClusterV2"
            )
        return orig(self, cluster_name, tags, provisioned, serverless)

    @wrap(KafkaResponse, "update_monitoring")
    def update_monitoring(orig: Any, self: KafkaResponse) -> Any:
        op = "UpdateMonitoring"
        backend = self.kafka_backend
        cluster = get_cluster(backend, arn_from_path(self, "/monitoring"))
        body = json.loads(self.body or "{}")
        version = body.get("currentVersion")
        if cluster.state == "ACTIVE" and version and version != cluster.current_version:
            raise bad_request(STALE_VERSION, op)
        if cluster.state == "ACTIVE" and "loggingInfo" in body:
            check_logging_info(cluster.account_id, cluster.region_name, body.get("loggingInfo"), op)
        source = monitoring_info(cluster)
        status, headers, answer = orig(self)
        operation = ops_of(backend).get(json.loads(answer).get("clusterOperationArn", ""))
        if operation is not None:
            operation["sourceClusterInfo"] = {**operation.get("sourceClusterInfo", {}), **source}
            operation["targetClusterInfo"] = {
                **operation.get("targetClusterInfo", {}), **monitoring_info(cluster)
            }
        return status, headers, answer
