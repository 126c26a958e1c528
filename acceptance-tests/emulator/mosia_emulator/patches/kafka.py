"""MSK (kafka): lifecycle, NotFoundException, bootstrap brokers, broker updates, cluster operations.

AWS's rules for creating clusters, changing broker types and security, and cluster ARNs in
AWS's format (`cluster/NAME/UUID-N`) are in `kafka_rules.py`; custom configurations (and the
cluster rules that refer to them) in `kafka_configurations.py`."""

from __future__ import annotations

import copy
import json
import random
import string
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from moto.kafka import urls as kafka_urls
from moto.kafka.models import FakeKafkaCluster, KafkaBackend
from moto.kafka.responses import KafkaResponse

from .. import lifecycle, rejections
from . import add, kafka_rules, wrap
from .kafka_rules import KafkaError

KIND = "msk_cluster"


def not_found(arn: str) -> KafkaError:
    return KafkaError(
        "NotFoundException",
        f"The specified cluster ARN {arn} was not found. Check the ARN and try again.",
        404,
    )


def bad_request(message: str, operation: str = "") -> KafkaError:
    """A BadRequestException (HTTP 400), recorded as a rule's refusal."""
    rejections.record("rule", "kafka", operation, "BadRequestException", message)
    return KafkaError("BadRequestException", message, 400)


# The API operation behind each cluster operation type (for the rejection records).
OPERATIONS = {
    "INCREASE_BROKER_COUNT": "UpdateBrokerCount",
    "UPDATE_BROKER_STORAGE": "UpdateBrokerStorage",
    "UPDATE_BROKER_TYPE": "UpdateBrokerType",
    "UPDATE_CLUSTER_CONFIGURATION": "UpdateClusterConfiguration",
    "UPDATE_CLUSTER_KAFKA_VERSION": "UpdateClusterKafkaVersion",
    "UPDATE_MONITORING": "UpdateMonitoring",
    "UPDATE_SECURITY": "UpdateSecurity",
}


def ok(payload: Any) -> tuple[int, dict[str, Any], str]:
    return 200, {"status": 200, "Content-Type": "application/json"}, json.dumps(payload)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_version() -> str:
    return "K" + "".join(random.choices(string.ascii_uppercase + string.digits, k=13))


def get_cluster(backend: KafkaBackend, arn: str) -> FakeKafkaCluster:
    cluster = backend.clusters.get(arn)
    if cluster is None:
        raise not_found(arn)
    return cluster


def ops_of(backend: KafkaBackend) -> dict[str, dict[str, Any]]:
    ops = backend.__dict__.get("_mosia_ops")
    if ops is None:
        ops = backend.__dict__["_mosia_ops"] = {}
    return ops


def arn_from_path(resp: KafkaResponse, suffix: str = "") -> str:
    path = resp.parsed_url.path
    tail = path.split("/clusters/", 1)[-1]
    if suffix and tail.endswith(suffix):
        tail = tail[: -len(suffix)]
    return unquote(tail)


def dns_suffix(cluster: FakeKafkaCluster) -> str:
    suffix = cluster.__dict__.get("_mosia_dns")
    if suffix is None:
        rnd = "".join(random.choices(string.ascii_lowercase + string.digits, k=6))
        cell = kafka_rules.cell_of(cluster)
        suffix = f"{cluster.cluster_name}.{rnd}.c{cell}.kafka.{cluster.region_name}.amazonaws.com"
        cluster.__dict__["_mosia_dns"] = suffix
    return suffix


def broker_list(cluster: FakeKafkaCluster, port: int) -> str:
    n = int(cluster.number_of_broker_nodes or 1)
    suffix = dns_suffix(cluster)
    return ",".join(f"b-{i}.{suffix}:{port}" for i in range(1, n + 1))


def zookeeper_list(cluster: FakeKafkaCluster, port: int) -> str:
    suffix = dns_suffix(cluster)
    return ",".join(f"z-{i}.{suffix}:{port}" for i in range(1, 4))


def default_encryption(cluster: FakeKafkaCluster) -> dict[str, Any]:
    info = copy.deepcopy(cluster.encryption_info or {})
    at_rest = info.setdefault("encryptionAtRest", {})
    at_rest.setdefault(
        "dataVolumeKMSKeyId",
        f"arn:aws:kms:{cluster.region_name}:{cluster.account_id}:key/{uuid.uuid4()}",
    )
    in_transit = info.setdefault("encryptionInTransit", {})
    in_transit.setdefault("clientBroker", "TLS")
    in_transit.setdefault("inCluster", True)
    return info


def bootstrap_brokers(cluster: FakeKafkaCluster) -> dict[str, str]:
    """Which strings AWS returns follows the cluster's encryption in transit and client auth."""
    if cluster.cluster_type == "SERVERLESS":
        # Serverless clusters only take IAM over TLS, through one bootstrap name.
        rnd = dns_suffix(cluster).split(".")[1]
        return {
            "bootstrapBrokerStringSaslIam": (
                f"boot-{rnd}.c1.kafka-serverless.{cluster.region_name}.amazonaws.com:9098"
            )
        }
    enc = (cluster.encryption_info or {}).get("encryptionInTransit", {})
    client_broker = enc.get("clientBroker", "TLS")
    auth = cluster.client_authentication or {}
    sasl = auth.get("sasl") or {}
    iam = bool((sasl.get("iam") or {}).get("enabled"))
    scram = bool((sasl.get("scram") or {}).get("enabled"))
    tls_auth = bool((auth.get("tls") or {}).get("enabled")) or bool(
        (auth.get("tls") or {}).get("certificateAuthorityArnList")
    )
    unauth_cfg = auth.get("unauthenticated")
    if unauth_cfg is None:
        # With no client authentication configured at all, access is unauthenticated.
        unauthenticated = not (iam or scram or tls_auth)
    else:
        unauthenticated = bool(unauth_cfg.get("enabled"))
    tls_allowed = client_broker in ("TLS", "TLS_PLAINTEXT")
    plaintext_allowed = client_broker in ("PLAINTEXT", "TLS_PLAINTEXT")
    public = (
        ((cluster.broker_node_group_info or {}).get("connectivityInfo") or {})
        .get("publicAccess", {})
        .get("type", "DISABLED")
        == "SERVICE_PROVIDED_EIPS"
    )
    out: dict[str, str] = {}
    if plaintext_allowed and (unauthenticated or not (iam or scram or tls_auth)):
        out["bootstrapBrokerString"] = broker_list(cluster, 9092)
    if tls_allowed and (unauthenticated or tls_auth):
        out["bootstrapBrokerStringTls"] = broker_list(cluster, 9094)
        if public:
            out["bootstrapBrokerStringPublicTls"] = broker_list(cluster, 9194)
    if tls_allowed and scram:
        out["bootstrapBrokerStringSaslScram"] = broker_list(cluster, 9096)
        if public:
            out["bootstrapBrokerStringPublicSaslScram"] = broker_list(cluster, 9196)
    if tls_allowed and iam:
        out["bootstrapBrokerStringSaslIam"] = broker_list(cluster, 9098)
        if public:
            out["bootstrapBrokerStringPublicSaslIam"] = broker_list(cluster, 9198)
    return out


def cluster_snapshot(cluster: FakeKafkaCluster) -> dict[str, Any]:
    info = cluster.broker_node_group_info or {}
    storage = ((info.get("storageInfo") or {}).get("ebsStorageInfo") or {})
    out: dict[str, Any] = {
        "numberOfBrokerNodes": cluster.number_of_broker_nodes,
        "instanceType": info.get("instanceType"),
    }
    if storage:
        out["brokerEBSVolumeInfo"] = [
            {"kafkaBrokerNodeId": "ALL", "volumeSizeGB": storage.get("volumeSize")}
        ]
    return out


def start_update(
    backend: KafkaBackend, cluster: FakeKafkaCluster, current_version: str | None, op_type: str, apply: Any
) -> dict[str, str]:
    op = OPERATIONS.get(op_type, "")
    if cluster.state != "ACTIVE":
        raise bad_request(
            f"The cluster {cluster.arn} is in {cluster.state} state. "
            "Wait until the cluster is ACTIVE and try again.", op,
        )
    if not current_version:
        raise bad_request("The request does not include the required parameter currentVersion.", op)
    if current_version != cluster.current_version:
        raise bad_request(
            f"The current version {current_version} of the cluster is not valid. "
            f"The cluster's current version is {cluster.current_version}.", op,
        )
    source = cluster_snapshot(cluster)
    apply()
    target = cluster_snapshot(cluster)
    cluster.current_version = new_version()
    op_arn = (
        f"arn:aws:kafka:{cluster.region_name}:{cluster.account_id}:cluster-operation/"
        f"{cluster.cluster_name}/{cluster.cluster_id}/{uuid.uuid4()}"
    )
    op: dict[str, Any] = {
        "clusterArn": cluster.arn,
        "operationArn": op_arn,
        "operationType": op_type,
        "operationState": "UPDATE_IN_PROGRESS",
        "creationTime": now_iso(),
        "sourceClusterInfo": source,
        "targetClusterInfo": target,
        "operationSteps": [],
    }
    ops_of(backend)[op_arn] = op
    cluster.__dict__["_mosia_active_op"] = op_arn

    def done() -> None:
        op["operationState"] = "UPDATE_COMPLETE"
        op["endTime"] = now_iso()
        op["operationSteps"] = [
            {"stepInfo": {"stepStatus": "FINISHED"}, "stepName": "UPDATE_COMPLETE"}
        ]
        cluster.__dict__.pop("_mosia_active_op", None)

    def failed(message: str) -> None:
        op["operationState"] = "UPDATE_FAILED"
        op["endTime"] = now_iso()
        op["errorInfo"] = {"errorCode": "InternalError", "errorString": message}
        cluster.__dict__.pop("_mosia_active_op", None)

    lifecycle.begin(
        cluster, KIND, "update", "UPDATING", "ACTIVE", attr="state", on_done=done,
        on_fail=failed, name=cluster.cluster_name,
    )
    return {"clusterArn": cluster.arn, "clusterOperationArn": op_arn}


def fix_description(cluster: FakeKafkaCluster, info: dict[str, Any]) -> dict[str, Any]:
    active = cluster.__dict__.get("_mosia_active_op")
    if active:
        info["activeOperationArn"] = active
    else:
        info.pop("activeOperationArn", None)
    info.pop("stateInfo", None)
    target = info.get("provisioned", info)
    for key in ("openMonitoring", "loggingInfo", "clientAuthentication"):
        if target.get(key) == {}:
            del target[key]
    if cluster.cluster_type == "PROVISIONED":
        target["zookeeperConnectString"] = zookeeper_list(cluster, 2181)
        target["zookeeperConnectStringTls"] = zookeeper_list(cluster, 2182)
        if not cluster.configuration_info:
            sw = target.get("currentBrokerSoftwareInfo") or {}
            sw.pop("configurationArn", None)
            sw.pop("configurationRevision", None)
    return info


def apply(state: Any) -> None:
    # The rules first: the lifecycle wrappers below run around them.
    kafka_rules.apply()
    kafka_urls.url_paths.setdefault(
        "{0}/v1/operations/(?P<clusterOperationArn>.+)$", KafkaResponse.dispatch
    )

    # -- lifecycle ------------------------------------------------------------------
    @wrap(KafkaBackend, "create_cluster")
    def create_cluster(orig: Any, self: KafkaBackend, *args: Any, **kwargs: Any) -> Any:
        arn, name, _ = orig(self, *args, **kwargs)
        cluster = self.clusters[arn]
        cluster.encryption_info = default_encryption(cluster)
        if cluster.number_of_broker_nodes is not None:
            cluster.number_of_broker_nodes = int(cluster.number_of_broker_nodes)
        cluster.current_version = new_version()
        cluster.creation_time = now_iso()  # moto's has no time zone; SDKs reject it
        cluster.enhanced_monitoring = cluster.enhanced_monitoring or "DEFAULT"
        lifecycle.begin(
            cluster, KIND, "create", "CREATING", "ACTIVE", attr="state", name=cluster.cluster_name
        )
        return arn, name, "CREATING"

    @wrap(KafkaBackend, "create_cluster_v2")
    def create_cluster_v2(
        orig: Any, self: KafkaBackend, cluster_name: str, tags: Any, provisioned: Any, serverless: Any
    ) -> Any:
        arn, name, _, ctype = orig(self, cluster_name, tags, provisioned, serverless)
        cluster = self.clusters[arn]
        if provisioned:
            # moto drops these from create_cluster_v2; AWS keeps them.
            cluster.encryption_info = provisioned.get("encryptionInfo")
            cluster.encryption_info = default_encryption(cluster)
            cluster.client_authentication = provisioned.get("clientAuthentication")
            cluster.configuration_info = provisioned.get("configurationInfo")
            cluster.enhanced_monitoring = provisioned.get("enhancedMonitoring") or "DEFAULT"
            cluster.open_monitoring = provisioned.get("openMonitoring")
            cluster.logging_info = provisioned.get("loggingInfo")
        cluster.current_version = new_version()
        cluster.creation_time = now_iso()
        lifecycle.begin(
            cluster, KIND, "create", "CREATING", "ACTIVE", attr="state", name=cluster.cluster_name
        )
        return arn, name, "CREATING", ctype

    @wrap(KafkaBackend, "describe_cluster")
    def describe_cluster(orig: Any, self: KafkaBackend, cluster_arn: str) -> Any:
        cluster = get_cluster(self, cluster_arn)
        return fix_description(cluster, orig(self, cluster_arn))

    @wrap(KafkaBackend, "describe_cluster_v2")
    def describe_cluster_v2(orig: Any, self: KafkaBackend, cluster_arn: str) -> Any:
        cluster = get_cluster(self, cluster_arn)
        return fix_description(cluster, orig(self, cluster_arn))

    @wrap(KafkaBackend, "delete_cluster")
    def delete_cluster(orig: Any, self: KafkaBackend, cluster_arn: str, current_version: str) -> Any:
        cluster = get_cluster(self, cluster_arn)
        if current_version and current_version != cluster.current_version:
            raise bad_request(
                f"The current version {current_version} of the cluster is not valid.", "DeleteCluster"
            )
        if cluster.state == "DELETING":
            return cluster_arn, "DELETING"
        orig(self, cluster_arn, current_version)
        self.clusters[cluster_arn] = cluster

        def gone() -> None:
            if self.clusters.get(cluster_arn) is cluster:
                del self.clusters[cluster_arn]

        lifecycle.begin(
            cluster, KIND, "delete", "DELETING", None, attr="state", on_done=gone,
            name=cluster.cluster_name,
        )
        return cluster_arn, "DELETING"

    @wrap(KafkaBackend, "list_tags_for_resource")
    def list_tags_for_resource(orig: Any, self: KafkaBackend, resource_arn: str) -> Any:
        if ":cluster/" in resource_arn and resource_arn not in self.clusters:
            raise not_found(resource_arn)
        return orig(self, resource_arn)

    # -- missing operations -------------------------------------------------------------
    @add(KafkaResponse)
    def get_bootstrap_brokers(self: KafkaResponse) -> Any:
        arn = arn_from_path(self, "/bootstrap-brokers")
        cluster = get_cluster(self.kafka_backend, arn)
        if cluster.state in ("CREATING", "DELETING", "FAILED"):
            raise bad_request(
                f"The cluster {arn} is in {cluster.state} state. "
                "Bootstrap brokers are available once it is ACTIVE.", "GetBootstrapBrokers",
            )
        return ok(bootstrap_brokers(cluster))

    @add(KafkaResponse)
    def update_broker_count(self: KafkaResponse) -> Any:
        arn = arn_from_path(self, "/nodes/count")
        backend = self.kafka_backend
        cluster = get_cluster(backend, arn)
        body = json.loads(self.body or "{}")
        target = body.get("targetNumberOfBrokerNodes")
        if not isinstance(target, int):
            raise bad_request("targetNumberOfBrokerNodes is required.", "UpdateBrokerCount")
        current = int(cluster.number_of_broker_nodes or 0)
        subnets = len((cluster.broker_node_group_info or {}).get("clientSubnets") or []) or 1
        if target <= current:
            raise bad_request(
                f"The target number of broker nodes {target} must be greater than the "
                f"current number {current}.", "UpdateBrokerCount",
            )
        kafka_rules.check_broker_multiple(target, subnets, "UpdateBrokerCount")

        def change() -> None:
            cluster.number_of_broker_nodes = target

        return ok(start_update(backend, cluster, body.get("currentVersion"), "INCREASE_BROKER_COUNT", change))

    @add(KafkaResponse)
    def update_broker_storage(self: KafkaResponse) -> Any:
        arn = arn_from_path(self, "/nodes/storage")
        backend = self.kafka_backend
        cluster = get_cluster(backend, arn)
        body = json.loads(self.body or "{}")
        volumes = body.get("targetBrokerEBSVolumeInfo") or []
        if not volumes:
            raise bad_request("targetBrokerEBSVolumeInfo is required.", "UpdateBrokerStorage")
        info = cluster.broker_node_group_info = cluster.broker_node_group_info or {}
        ebs = info.setdefault("storageInfo", {}).setdefault("ebsStorageInfo", {})
        size = volumes[0].get("volumeSizeGB")
        current = int(ebs.get("volumeSize") or 0)
        if size is not None and int(size) <= current:
            raise bad_request(
                f"The target volume size {size} GiB must be greater than the current size {current} GiB.",
                "UpdateBrokerStorage",
            )

        def change() -> None:
            if size is not None:
                ebs["volumeSize"] = int(size)
            if volumes[0].get("provisionedThroughput") is not None:
                ebs["provisionedThroughput"] = volumes[0]["provisionedThroughput"]

        return ok(start_update(backend, cluster, body.get("currentVersion"), "UPDATE_BROKER_STORAGE", change))

    @add(KafkaResponse)
    def update_broker_type(self: KafkaResponse) -> Any:
        arn = arn_from_path(self, "/nodes/type")
        backend = self.kafka_backend
        cluster = get_cluster(backend, arn)
        body = json.loads(self.body or "{}")
        target = body.get("targetInstanceType")
        if not target:
            raise bad_request("targetInstanceType is required.", "UpdateBrokerType")
        info = cluster.broker_node_group_info = cluster.broker_node_group_info or {}
        if info.get("instanceType") == target:
            raise bad_request(f"The cluster already uses broker type {target}.", "UpdateBrokerType")
        kafka_rules.check_broker_type(info.get("instanceType") or "", target)

        def change() -> None:
            info["instanceType"] = target

        return ok(start_update(backend, cluster, body.get("currentVersion"), "UPDATE_BROKER_TYPE", change))

    @add(KafkaResponse)
    def update_cluster_configuration(self: KafkaResponse) -> Any:
        arn = arn_from_path(self, "/configuration")
        backend = self.kafka_backend
        cluster = get_cluster(backend, arn)
        body = json.loads(self.body or "{}")

        def change() -> None:
            cluster.configuration_info = body.get("configurationInfo")

        return ok(start_update(backend, cluster, body.get("currentVersion"), "UPDATE_CLUSTER_CONFIGURATION", change))

    @add(KafkaResponse)
    def update_cluster_kafka_version(self: KafkaResponse) -> Any:
        arn = arn_from_path(self, "/version")
        backend = self.kafka_backend
        cluster = get_cluster(backend, arn)
        body = json.loads(self.body or "{}")
        target = body.get("targetKafkaVersion")
        if not target:
            raise bad_request("targetKafkaVersion is required.", "UpdateClusterKafkaVersion")
        if target == cluster.kafka_version:
            raise bad_request(f"The cluster already runs Apache Kafka {target}.", "UpdateClusterKafkaVersion")

        def change() -> None:
            cluster.kafka_version = target

        return ok(start_update(backend, cluster, body.get("currentVersion"), "UPDATE_CLUSTER_KAFKA_VERSION", change))

    @add(KafkaResponse)
    def update_monitoring(self: KafkaResponse) -> Any:
        arn = arn_from_path(self, "/monitoring")
        backend = self.kafka_backend
        cluster = get_cluster(backend, arn)
        body = json.loads(self.body or "{}")

        def change() -> None:
            if body.get("enhancedMonitoring"):
                cluster.enhanced_monitoring = body["enhancedMonitoring"]
            if "openMonitoring" in body:
                cluster.open_monitoring = body["openMonitoring"]
            if "loggingInfo" in body:
                cluster.logging_info = body["loggingInfo"]

        return ok(start_update(backend, cluster, body.get("currentVersion"), "UPDATE_MONITORING", change))

    @add(KafkaResponse)
    def update_security(self: KafkaResponse) -> Any:
        arn = arn_from_path(self, "/security")
        backend = self.kafka_backend
        cluster = get_cluster(backend, arn)
        body = json.loads(self.body or "{}")

        auth = body.get("clientAuthentication", cluster.client_authentication)
        encryption = copy.deepcopy(cluster.encryption_info or {})
        for k, v in (body.get("encryptionInfo") or {}).items():
            encryption[k] = {**encryption.get(k, {}), **v}
        kafka_rules.check_authentication(auth, encryption, "UpdateSecurity")

        def change() -> None:
            if "clientAuthentication" in body:
                cluster.client_authentication = body["clientAuthentication"]
            if "encryptionInfo" in body:
                cluster.encryption_info = encryption

        return ok(start_update(backend, cluster, body.get("currentVersion"), "UPDATE_SECURITY", change))

    @add(KafkaResponse)
    def list_cluster_operations(self: KafkaResponse) -> Any:
        arn = arn_from_path(self, "/operations")
        backend = self.kafka_backend
        get_cluster(backend, arn)
        ops = [
            copy.deepcopy(op) for op in ops_of(backend).values() if op["clusterArn"] == arn
        ]
        ops.sort(key=lambda o: o["creationTime"], reverse=True)
        return ok({"clusterOperationInfoList": ops})

    @add(KafkaResponse)
    def describe_cluster_operation(self: KafkaResponse) -> Any:
        op_arn = unquote(self.parsed_url.path.split("/v1/operations/", 1)[-1])
        op = ops_of(self.kafka_backend).get(op_arn)
        if op is None:
            raise KafkaError(
                "NotFoundException", f"The specified cluster operation {op_arn} was not found.", 404
            )
        return ok({"clusterOperationInfo": copy.deepcopy(op)})

    # -- configurations (imported here: that module uses this one's helpers) ------------------
    from . import kafka_configurations

    kafka_configurations.apply()
