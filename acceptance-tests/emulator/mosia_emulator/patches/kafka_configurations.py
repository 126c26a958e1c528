"""MSK (kafka): custom configurations (CreateConfiguration, DescribeConfiguration,
DescribeConfigurationRevision, ListConfigurations, ListConfigurationRevisions,
UpdateConfiguration, DeleteConfiguration) and the cluster rules that refer to them.

moto 5.2.5 has no MSK configurations at all: every `/v1/configurations` call fails. AWS keeps
each configuration as numbered, immutable revisions of a `server.properties` file, checks the
properties against the list MSK lets you set, refuses clusters that name a configuration or
revision that does not exist, and refuses deleting a configuration a cluster uses.

A missing configuration ARN is a BadRequestException "Configuration ARN does not exist", not a
NotFoundException: that is what AWS answers, and what terraform-provider-aws matches to tell a
configuration is gone (internal/service/kafka/configuration.go, findConfigurationByARN and
resourceConfigurationDelete)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import unquote

from moto.kafka import urls as kafka_urls
from moto.kafka.models import FakeKafkaCluster, KafkaBackend
from moto.kafka.responses import KafkaResponse
from moto.utilities.utils import get_partition

from .. import rejections
from . import add, wrap
from .kafka import arn_from_path, get_cluster, now_iso, ok
from .kafka_rules import KafkaError, new_cluster_id, refuse

# The Apache Kafka properties a custom MSK configuration may set: AWS MSK developer guide,
# "Custom Amazon MSK configurations" (msk-configuration-properties), table "Apache Kafka
# configuration properties that you can set". Anything else is refused; MSK sets and manages
# the rest (e.g. `auto.leader.rebalance.enable` is refused: terraform-provider-aws#15797).
CONFIGURABLE_PROPERTIES = frozenset({
    "allow.everyone.if.no.acl.found",
    "auto.create.topics.enable",
    "compression.type",
    "connections.max.idle.ms",
    "default.replication.factor",
    "delete.topic.enable",
    "group.initial.rebalance.delay.ms",
    "group.max.session.timeout.ms",
    "group.min.session.timeout.ms",
    "leader.imbalance.per.broker.percentage",
    "log.cleaner.delete.retention.ms",
    "log.cleaner.min.cleanable.ratio",
    "log.cleanup.policy",
    "log.flush.interval.messages",
    "log.flush.interval.ms",
    "log.message.timestamp.difference.max.ms",
    # Kafka 3.6+ replacements the same table names for the deprecated property above.
    "log.message.timestamp.before.max.ms",
    "log.message.timestamp.after.max.ms",
    "log.message.timestamp.type",
    "log.retention.bytes",
    "log.retention.hours",
    "log.retention.minutes",
    "log.retention.ms",
    "log.roll.ms",
    "log.segment.bytes",
    "max.incremental.fetch.session.cache.slots",
    "message.max.bytes",
    "min.insync.replicas",
    "num.io.threads",
    "num.network.threads",
    "num.partitions",
    "num.recovery.threads.per.data.dir",
    "num.replica.fetchers",
    "offsets.retention.minutes",
    "offsets.topic.replication.factor",
    "replica.fetch.max.bytes",
    "replica.fetch.response.max.bytes",
    "replica.lag.time.max.ms",
    "replica.selector.class",
    "replica.socket.receive.buffer.bytes",
    "socket.receive.buffer.bytes",
    "socket.request.max.bytes",
    "socket.send.buffer.bytes",
    "transaction.max.timeout.ms",
    "transaction.state.log.min.isr",
    "transaction.state.log.replication.factor",
    "transactional.id.expiration.ms",
    "unclean.leader.election.enable",
    "zookeeper.connection.timeout.ms",
    "zookeeper.session.timeout.ms",
})

# AWS (MSK developer guide, "Create a configuration"): "The name that you choose for your
# configuration must match the following regex: "^[0-9A-Za-z][0-9A-Za-z-]{0,}$"." The 64
# character limit is the one cluster names have (the guide gives none for configurations).
NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]{0,63}")
PREFIX = "/v1/configurations"


# -- errors ------------------------------------------------------------------------------------
def missing(arn: str) -> KafkaError:
    """What AWS answers for a configuration ARN it does not know (see the module docstring)."""
    return KafkaError("BadRequestException", f"Configuration ARN does not exist: {arn}", 400)


def missing_revision(arn: str, revision: Any) -> KafkaError:
    return KafkaError(
        "BadRequestException", f"Revision {revision} of configuration {arn} does not exist.", 400
    )


def property_errors(problems: list[tuple[str, str, str]]) -> str:
    """AWS lists the refused properties as pretty-printed JSON (terraform-provider-aws#15797):
    `[ {\\n  "name" : "K",\\n  "value" : "V",\\n  "errorMessages" : [ "Key 'K' ..." ]\\n} ]`.
    The sentence after "Key 'K'" is the emulator's (the quoted error is cut there)."""
    items = [
        f'{{\n  "name" : {json.dumps(k)},\n  "value" : {json.dumps(v)},\n'
        f'  "errorMessages" : [ {json.dumps(m)} ]\n}}'
        for k, v, m in problems
    ]
    return "[ " + ", ".join(items) + " ]"


# -- server properties ---------------------------------------------------------------------------
def parse_properties(text: str) -> list[tuple[str, str]]:
    """`key=value` lines as java.util.Properties reads them (`=`, `:` or blanks separate key
    and value; blank lines and `#`/`!` comments are skipped)."""
    pairs = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        match = re.match(r"([^=:\s]+)\s*[=:]?\s*(.*)$", line)
        key, value = (match.group(1), match.group(2)) if match else (line, "")
        pairs.append((key, value.strip()))
    return pairs


def check_properties(blob: Any, op: str) -> bytes:
    """The decoded server.properties of a request, or AWS's refusal."""
    try:
        data = base64.b64decode(blob or "", validate=True)
    except (binascii.Error, ValueError):
        raise refuse("serverProperties must be base64-encoded.", op)
    pairs = parse_properties(data.decode("utf-8", errors="replace"))
    if not pairs:
        raise refuse("serverProperties must set at least one configuration property.", op)
    problems = [(k, v, p) for k, v in pairs if (p := property_problem(k, v))]
    if problems:
        raise refuse(property_errors(problems), op)
    return data


def property_problem(key: str, value: str) -> str | None:
    if key not in CONFIGURABLE_PROPERTIES:
        return f"Key '{key}' is not a configurable property of a custom MSK configuration."
    if not value:
        return f"Key '{key}' has no value."
    return None


# -- state ---------------------------------------------------------------------------------------
def configurations(backend: KafkaBackend) -> dict[str, dict[str, Any]]:
    found = backend.__dict__.get("_mosia_configurations")
    if found is None:
        found = backend.__dict__["_mosia_configurations"] = {}
    return found


def get_configuration(backend: KafkaBackend, arn: str) -> dict[str, Any]:
    found = configurations(backend).get(arn)
    if found is None:
        raise missing(arn)
    return found


def get_revision(config: dict[str, Any], revision: Any) -> dict[str, Any]:
    for rev in config["revisions"]:
        if str(rev["revision"]) == str(revision):
            return rev
    raise missing_revision(config["arn"], revision)


def new_revision(config: dict[str, Any], data: bytes, description: str | None) -> dict[str, Any]:
    rev: dict[str, Any] = {
        "revision": len(config["revisions"]) + 1,
        "creationTime": now_iso(),
        "serverProperties": data,
    }
    if description is not None:
        rev["description"] = description
    config["revisions"].append(rev)
    return rev


def revision_view(rev: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rev.items() if k != "serverProperties"}


def configuration_view(config: dict[str, Any]) -> dict[str, Any]:
    """The `Configuration` shape (all its members are required in the API model)."""
    return {
        "arn": config["arn"],
        "creationTime": config["creationTime"],
        "description": config["description"],
        "kafkaVersions": list(config["kafkaVersions"]),
        "latestRevision": revision_view(config["revisions"][-1]),
        "name": config["name"],
        "state": config["state"],
    }


def clusters_using(backend: KafkaBackend, arn: str) -> list[FakeKafkaCluster]:
    """Clusters (still existing, deleting ones included) whose configurationInfo names `arn`."""
    return [
        c for c in backend.clusters.values() if (c.configuration_info or {}).get("arn") == arn
    ]


def check_configuration_info(backend: KafkaBackend, info: Any, op: str) -> None:
    """A cluster's configurationInfo must name an existing configuration and revision."""
    if not info:
        return
    arn, revision = info.get("arn"), info.get("revision")
    config = configurations(backend).get(arn)
    if config is None:
        raise rejections.rule(missing(arn), "kafka", op)
    if not any(str(r["revision"]) == str(revision) for r in config["revisions"]):
        raise rejections.rule(missing_revision(arn, revision), "kafka", op)


# -- requests ------------------------------------------------------------------------------------
def body_of(resp: KafkaResponse) -> dict[str, Any]:
    return json.loads(resp.body or "{}")


def path_arn(resp: KafkaResponse) -> tuple[str, str | None]:
    """(configuration ARN, revision or None) of `/v1/configurations/ARN[/revisions[/N]]`.
    An ARN is `...:configuration/NAME/ID` (names have no `/`): its first three segments,
    whether the client encoded its slashes or not."""
    tail = unquote(resp.parsed_url.path.split(PREFIX + "/", 1)[-1])
    parts = tail.split("/")
    rest = parts[3:]
    return "/".join(parts[:3]), (rest[1] if len(rest) > 1 else None)


def query_int(resp: KafkaResponse, name: str, default: int) -> int:
    values = resp.querystring.get(name) or [default]
    return int(values[0])


def page(resp: KafkaResponse, items: list[Any], key: str) -> dict[str, Any]:
    """One page of `items` (nextToken is the offset of the next page)."""
    start = int((resp.querystring.get("nextToken") or ["0"])[0] or 0)
    size = query_int(resp, "maxResults", 100)
    out: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        out["nextToken"] = str(start + size)
    return out


def configuration_arn(backend: KafkaBackend, name: str) -> str:
    """arn:PARTITION:kafka:REGION:ACCOUNT:configuration/NAME/UUID-N, as cluster ARNs
    (MSK developer guide, "Create a configuration", example response)."""
    partition = get_partition(backend.region_name)
    return (
        f"arn:{partition}:kafka:{backend.region_name}:{backend.account_id}:configuration/"
        f"{name}/{new_cluster_id(serverless=False)}"
    )


# -- operations ------------------------------------------------------------------------------------
def create_configuration(resp: KafkaResponse) -> Any:
    backend, body, op = resp.kafka_backend, body_of(resp), "CreateConfiguration"
    name = body.get("name") or ""
    if not NAME.fullmatch(name):
        raise refuse(
            f"The configuration name {name!r} must match ^[0-9A-Za-z][0-9A-Za-z-]{{0,}}$ and "
            "have at most 64 characters.", op,
        )
    data = check_properties(body.get("serverProperties"), op)
    if any(c["name"] == name for c in configurations(backend).values()):
        # AWS's words (boto3#2073, terraform-provider-aws#28931), HTTP 409.
        conflict = KafkaError("ConflictException", "A resource with this name already exists", 409)
        raise rejections.rule(conflict, "kafka", op)
    now = now_iso()
    config: dict[str, Any] = {
        "arn": configuration_arn(backend, name),
        "name": name,
        "description": body.get("description") or "",
        "kafkaVersions": list(body.get("kafkaVersions") or []),
        "creationTime": now,
        "state": "ACTIVE",
        "revisions": [],
    }
    new_revision(config, data, body.get("description"))["creationTime"] = now
    configurations(backend)[config["arn"]] = config
    view = configuration_view(config)
    return ok({k: view[k] for k in ("arn", "creationTime", "latestRevision", "name", "state")})


def describe_configuration(resp: KafkaResponse) -> Any:
    arn, _ = path_arn(resp)
    return ok(configuration_view(get_configuration(resp.kafka_backend, arn)))


def describe_configuration_revision(resp: KafkaResponse) -> Any:
    arn, revision = path_arn(resp)
    config = get_configuration(resp.kafka_backend, arn)
    rev = get_revision(config, revision)
    out = {"arn": arn, **revision_view(rev)}
    out["serverProperties"] = base64.b64encode(rev["serverProperties"]).decode()
    return ok(out)


def list_configurations(resp: KafkaResponse) -> Any:
    views = [configuration_view(c) for c in configurations(resp.kafka_backend).values()]
    return ok(page(resp, views, "configurations"))


def list_configuration_revisions(resp: KafkaResponse) -> Any:
    arn, _ = path_arn(resp)
    config = get_configuration(resp.kafka_backend, arn)
    return ok(page(resp, [revision_view(r) for r in config["revisions"]], "revisions"))


def update_configuration(resp: KafkaResponse) -> Any:
    """A new revision (latest + 1); earlier revisions stay as they were."""
    arn, _ = path_arn(resp)
    config = get_configuration(resp.kafka_backend, arn)
    body = body_of(resp)
    data = check_properties(body.get("serverProperties"), "UpdateConfiguration")
    rev = new_revision(config, data, body.get("description"))
    return ok({"arn": arn, "latestRevision": revision_view(rev)})


def delete_configuration(resp: KafkaResponse) -> Any:
    """AWS (MSK developer guide, "Delete a configuration"): "You can't delete a configuration
    that's attached to a cluster." The configuration then goes at once (AWS: DELETING, then
    gone)."""
    backend = resp.kafka_backend
    arn, _ = path_arn(resp)
    config = get_configuration(backend, arn)
    if clusters_using(backend, arn):
        # AWS's words (cloudposse/terraform-aws-msk-apache-kafka-cluster#102).
        raise refuse(
            "Configuration is in use by one or more clusters. Dissociate the configuration "
            "from the clusters.", "DeleteConfiguration",
        )
    del configurations(backend)[arn]
    return ok({"arn": config["arn"], "state": "DELETING"})


def update_cluster_configuration(orig: Any, resp: KafkaResponse) -> Any:
    """UpdateClusterConfiguration: the configuration and revision must exist, and differ from
    the ones the cluster already uses."""
    backend, op = resp.kafka_backend, "UpdateClusterConfiguration"
    cluster = get_cluster(backend, arn_from_path(resp, "/configuration"))
    info = body_of(resp).get("configurationInfo") or {}
    check_configuration_info(backend, info, op)
    current = cluster.configuration_info or {}
    if current.get("arn") == info.get("arn") and str(current.get("revision")) == str(info.get("revision")):
        raise refuse(
            f"The cluster is already using revision {info.get('revision')} of configuration "
            f"{info.get('arn')}.", op,
        )
    return orig(resp)


# -- wiring ----------------------------------------------------------------------------------------
OPERATIONS = (
    create_configuration, describe_configuration, describe_configuration_revision,
    list_configurations, list_configuration_revisions, update_configuration, delete_configuration,
)


def apply() -> None:
    """Called at the end of kafka.py's `apply` (after its cluster operations are in place)."""
    kafka_urls.url_paths.setdefault("{0}/v1/configurations$", KafkaResponse.dispatch)
    kafka_urls.url_paths.setdefault("{0}/v1/configurations/(?P<arn>.+)$", KafkaResponse.dispatch)
    for operation in OPERATIONS:
        add(KafkaResponse)(operation)

    @wrap(KafkaResponse, "update_cluster_configuration")
    def _update_cluster_configuration(orig: Any, self: KafkaResponse) -> Any:
        return update_cluster_configuration(orig, self)

    @wrap(KafkaBackend, "create_cluster")
    def create_cluster(orig: Any, self: KafkaBackend, *args: Any, **kwargs: Any) -> Any:
        check_configuration_info(self, kwargs.get("configuration_info"), "CreateCluster")
        return orig(self, *args, **kwargs)

    @wrap(KafkaBackend, "create_cluster_v2")
    def create_cluster_v2(
        orig: Any, self: KafkaBackend, cluster_name: str, tags: Any, provisioned: Any, serverless: Any
    ) -> Any:
        info = (provisioned or {}).get("configurationInfo")
        check_configuration_info(self, info, "CreateClusterV2")
        return orig(self, cluster_name, tags, provisioned, serverless)
