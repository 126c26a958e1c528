"""MSK (kafka): the AWS rules CreateCluster / CreateClusterV2, UpdateBrokerType and
UpdateSecurity enforce, and cluster ARNs in AWS's format.

moto accepts any client subnets, broker counts and authentication/encryption combinations,
and names clusters `arn:aws:kafka:REGION:ACCOUNT:cluster/UUID`. AWS's ARN is
`arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID-N` (topic and group ARNs for IAM policies
derive from it: `topic/NAME/UUID-N/TOPIC`; MSK IAM access control docs)."""

from __future__ import annotations

import random
import uuid
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.kafka.models import FakeKafkaCluster, KafkaBackend

from .. import rejections
from . import wrap


class KafkaError(JsonRESTError):
    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(code, message)
        self.code = status


def refuse(message: str, operation: str) -> KafkaError:
    """A BadRequestException (HTTP 400), recorded as a rule's refusal."""
    rejections.record("rule", "kafka", operation, "BadRequestException", message)
    return KafkaError("BadRequestException", message, 400)


# -- cluster ARNs -----------------------------------------------------------------------------
def new_cluster_id(serverless: bool) -> str:
    """UUID-N: AWS appends a cell number (`-3`, `-14`; serverless clusters `-s1`...)."""
    cell = f"s{random.randint(1, 3)}" if serverless else str(random.randint(1, 25))
    return f"{uuid.uuid4()}-{cell}"


def cell_of(cluster: FakeKafkaCluster) -> str:
    """The cell number of the ARN (also in the brokers' DNS names: `b-1.NAME.x.c3.kafka...`)."""
    return str(cluster.cluster_id).rsplit("-", 1)[-1].lstrip("s") or "1"


# -- client subnets -----------------------------------------------------------------------------
# AZ IDs where client subnets may not be. AWS: CreateCluster reference, BrokerNodeGroupInfo
# clientSubnets: "Client subnets can't occupy the Availability Zone with ID use1-az3."
MSK_UNSUPPORTED_ZONE_IDS: dict[str, frozenset[str]] = {"us-east-1": frozenset({"use1-az3"})}
# AWS (same reference): "If you use the US West (N. California) Region, specify exactly two
# subnets. For other Regions where Amazon MSK is available, you can specify either two or three
# subnets. The subnets that you specify must be in distinct Availability Zones."
MAX_CLIENT_SUBNETS: dict[str, int] = {"us-west-1": 2}


def check_client_subnets(backend: KafkaBackend, info: dict[str, Any], brokers: Any, op: str) -> None:
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[backend.account_id][backend.region_name]
    ids = list(info.get("clientSubnets") or [])
    subnets = []
    for subnet_id in ids:
        try:
            subnets.append(ec2.get_subnet(subnet_id))
        except Exception:  # moto's InvalidSubnetIdError
            # MSK's exact text is not documented; EC2's wording for the subnet is used.
            raise refuse(f"The subnet ID '{subnet_id}' does not exist.", op)
    most = MAX_CLIENT_SUBNETS.get(backend.region_name, 3)
    if not 2 <= len(ids) <= most:
        allowed = "exactly two" if most == 2 else "either two or three"
        raise refuse(
            f"Specify {allowed} client subnets in distinct Availability Zones "
            f"({len(ids)} given).", op,
        )
    zones = [s.availability_zone for s in subnets]
    if len(set(zones)) != len(zones):
        raise refuse("The subnets that you specify must be in distinct Availability Zones.", op)
    unsupported = MSK_UNSUPPORTED_ZONE_IDS.get(backend.region_name, frozenset())
    for s in subnets:
        if s.availability_zone_id in unsupported:
            raise refuse(
                f"Client subnets can't occupy the Availability Zone with ID "
                f"{s.availability_zone_id} ({s.availability_zone}).", op,
            )
    check_broker_multiple(brokers, len(ids), op)


def check_broker_multiple(brokers: Any, subnets: int, op: str) -> None:
    """AWS: "The number of broker nodes must be a multiple of Availability Zones in the Client
    Subnets parameter." (BadRequestException; seen on UpdateBrokerCount, same rule on create:
    MSK developer guide "Create a provisioned cluster")."""
    if brokers is not None and subnets and int(brokers) % subnets:
        raise refuse(
            "The number of broker nodes must be a multiple of Availability Zones in the Client "
            "Subnets parameter.", op,
        )


# -- client authentication and encryption in transit --------------------------------------------
def _enabled(block: Any) -> bool:
    return isinstance(block, dict) and bool(block.get("enabled"))


def check_authentication(auth: dict[str, Any] | None, encryption: dict[str, Any] | None, op: str) -> None:
    """AWS (ClientAuthentication reference): "To turn on SASL, you must also turn on
    EncryptionInTransit by setting inCluster to true. You must set clientBroker to either TLS or
    TLS_PLAINTEXT. If you choose TLS_PLAINTEXT, then you must also set unauthenticated to true."
    and "To turn on TLS access control, you must also turn on EncryptionInTransit by setting
    inCluster to true and clientBroker to TLS." IAM is SASL (port 9098, over TLS).
    Defaults when encryptionInfo is absent: clientBroker TLS, inCluster true."""
    auth = auth or {}
    transit = (encryption or {}).get("encryptionInTransit") or {}
    client_broker = transit.get("clientBroker") or "TLS"
    in_cluster = transit.get("inCluster", True) is not False
    sasl = auth.get("sasl") or {}
    tls = auth.get("tls") or {}
    tls_on = _enabled(tls) or (tls.get("enabled") is None and bool(tls.get("certificateAuthorityArnList")))
    if _enabled(sasl.get("iam")) or _enabled(sasl.get("scram")):
        plaintext_ok = client_broker == "TLS_PLAINTEXT" and _enabled(auth.get("unauthenticated"))
        if not in_cluster or client_broker == "PLAINTEXT" or (
            client_broker == "TLS_PLAINTEXT" and not plaintext_ok
        ):
            raise refuse(
                "To turn on SASL, you must also turn on EncryptionInTransit by setting inCluster "
                "to true. You must set clientBroker to either TLS or TLS_PLAINTEXT. If you choose "
                "TLS_PLAINTEXT, then you must also set unauthenticated to true.", op,
            )
    if tls_on and (not in_cluster or client_broker != "TLS"):
        raise refuse(
            "To turn on TLS access control, you must also turn on EncryptionInTransit by setting "
            "inCluster to true and clientBroker to TLS.", op,
        )


# -- broker sizes -----------------------------------------------------------------------------------
def check_broker_type(current: str, target: str, op: str = "UpdateBrokerType") -> None:
    """AWS (MSK developer guide, "Update the Amazon MSK cluster broker size"): Standard brokers
    move M5/T3 -> M7g, T3 -> M5, M7g -> M5, and between sizes of a family, up or down (the
    guide warns that "migrating to a smaller broker size can decrease performance" and refuses
    it only when partitions per broker exceed the smaller size's limit, which the emulator does
    not model); "You can't migrate from a larger broker size to a smaller broker size. For
    example, M7g.large to T3.small": nothing moves down into T3. Express brokers stay Express."""
    def parts(t: str) -> tuple[str, str, str]:
        kind, _, rest = t.partition(".")
        family, _, size = rest.partition(".")
        return kind, family, size

    (kind_a, fam_a, _), (kind_b, fam_b, _) = parts(current or ""), parts(target)
    if kind_a != kind_b:
        raise refuse(f"You can't change the broker type from {current} to {target}.", op)
    if fam_b == "t3" and fam_a != "t3":
        raise refuse(
            "You can't migrate from a larger broker size to a smaller broker size "
            f"({current} to {target}).", op,
        )


# -- wiring ---------------------------------------------------------------------------------------------
def apply() -> None:
    @wrap(FakeKafkaCluster, "_generate_arn")
    def generate_arn(orig: Any, self: FakeKafkaCluster) -> str:
        """arn:PARTITION:kafka:REGION:ACCOUNT:cluster/NAME/UUID-N (serverless too)."""
        self.cluster_id = new_cluster_id(self.cluster_type != "PROVISIONED")
        partition = orig(self).split(":", 2)[1]
        return (
            f"arn:{partition}:kafka:{self.region_name}:{self.account_id}:cluster/"
            f"{self.cluster_name}/{self.cluster_id}"
        )

    @wrap(KafkaBackend, "create_cluster")
    def create_cluster(orig: Any, self: KafkaBackend, **kwargs: Any) -> Any:
        check_client_subnets(
            self, kwargs.get("broker_node_group_info") or {}, kwargs.get("number_of_broker_nodes"),
            "CreateCluster",
        )
        check_authentication(kwargs.get("client_authentication"), kwargs.get("encryption_info"), "CreateCluster")
        return orig(self, **kwargs)

    @wrap(KafkaBackend, "create_cluster_v2")
    def create_cluster_v2(
        orig: Any, self: KafkaBackend, cluster_name: str, tags: Any, provisioned: Any, serverless: Any
    ) -> Any:
        if provisioned:
            check_client_subnets(
                self, provisioned.get("brokerNodeGroupInfo") or {},
                provisioned.get("numberOfBrokerNodes"), "CreateClusterV2",
            )
            check_authentication(
                provisioned.get("clientAuthentication"), provisioned.get("encryptionInfo"),
                "CreateClusterV2",
            )
        return orig(self, cluster_name, tags, provisioned, serverless)
