"""MSK's SASL/SCRAM secret association (BatchAssociateScramSecret, BatchDisassociateScramSecret,
ListScramSecrets), the SCRAM security rules of CreateCluster(V2) and UpdateSecurity, and
encryption at rest with a KMS key (mosia_emulator/patches/kafka_scram.py). Each refusal is
checked next to the request AWS accepts."""

from __future__ import annotations

import json
from typing import Any

from .support import EmulatorCase

SCRAM_AUTH = {"Sasl": {"Scram": {"Enabled": True}}, "Unauthenticated": {"Enabled": False}}
IAM_AUTH = {"Sasl": {"Iam": {"Enabled": True}}, "Unauthenticated": {"Enabled": False}}
NOT_FOUND_MESSAGE = "The requested resource doesn\u2019t exist."


class KafkaScramTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.kafka = self.client("kafka")
        self.ec2 = self.client("ec2")
        self.kms = self.client("kms")
        self.sm = self.client("secretsmanager")

    # -- helpers ------------------------------------------------------------------------------------
    def network(self) -> list[str]:
        vpc = self.ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        return [
            self.ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=z)
            ["Subnet"]["SubnetId"]
            for i, z in enumerate(("us-east-1a", "us-east-1b", "us-east-1c"))
        ]

    def provisioned(self, auth: dict[str, Any] | None = None, client_broker: str = "TLS",
                    at_rest_key: str | None = None) -> dict[str, Any]:
        encryption: dict[str, Any] = {
            "EncryptionInTransit": {"ClientBroker": client_broker, "InCluster": True}
        }
        if at_rest_key is not None:
            encryption["EncryptionAtRest"] = {"DataVolumeKMSKeyId": at_rest_key}
        return {
            "KafkaVersion": "3.6.0",
            "NumberOfBrokerNodes": 3,
            "BrokerNodeGroupInfo": {
                "InstanceType": "kafka.m5.large",
                "ClientSubnets": self.network(),
                "StorageInfo": {"EbsStorageInfo": {"VolumeSize": 100}},
            },
            "ClientAuthentication": auth if auth is not None else SCRAM_AUTH,
            "EncryptionInfo": encryption,
        }

    def create(self, name: str = "demo", **kwargs: Any) -> str:
        return self.kafka.create_cluster_v2(
            ClusterName=name, Provisioned=self.provisioned(**kwargs))["ClusterArn"]

    def key(self) -> str:
        return self.kms.create_key(Description="msk")["KeyMetadata"]["Arn"]

    def secret(self, name: str = "AmazonMSK_alice", kms_key: str | None = "new") -> str:
        args: dict[str, Any] = {
            "Name": name, "SecretString": json.dumps({"username": "alice", "password": "pw"}),
        }
        if kms_key == "new":
            args["KmsKeyId"] = self.key()
        elif kms_key is not None:
            args["KmsKeyId"] = kms_key
        return self.sm.create_secret(**args)["ARN"]

    def associate(self, cluster: str, *secrets: str) -> list[dict[str, Any]]:
        out = self.kafka.batch_associate_scram_secret(ClusterArn=cluster, SecretArnList=list(secrets))
        self.assertEqual(out["ClusterArn"], cluster)
        return out["UnprocessedScramSecrets"]

    def listed(self, cluster: str) -> list[str]:
        return self.kafka.list_scram_secrets(ClusterArn=cluster)["SecretArnList"]

    def last_rejection(self) -> dict[str, Any]:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    def assertUnprocessed(self, entries: list[dict[str, Any]], secret: str, message: str) -> None:
        self.assertEqual(len(entries), 1, entries)
        self.assertEqual(entries[0]["SecretArn"], secret)
        self.assertEqual(entries[0]["ErrorCode"], "InvalidSecretArn")
        self.assertIn(message, entries[0]["ErrorMessage"])

    # -- BatchAssociateScramSecret ------------------------------------------------------------------
    def test_associate_list_and_resource_policy(self) -> None:
        cluster = self.create()
        alice = self.secret("AmazonMSK_alice")
        bob = self.secret("AmazonMSK_bob")
        self.assertEqual(self.listed(cluster), [])
        self.assertEqual(self.associate(cluster, alice, bob), [])
        self.assertEqual(self.listed(cluster), [alice, bob])
        # MSK attaches a resource policy letting the kafka service read the secret.
        policy = json.loads(self.sm.get_resource_policy(SecretId=alice)["ResourcePolicy"])
        statement = policy["Statement"][0]
        self.assertEqual(statement["Sid"], "AWSKafkaResourcePolicy")
        self.assertEqual(statement["Principal"], {"Service": "kafka.amazonaws.com"})
        self.assertEqual(statement["Action"], "secretsmanager:getSecretValue")
        self.assertEqual(statement["Resource"], alice)

    def test_existing_policy_is_kept_and_extended(self) -> None:
        cluster = self.create()
        alice = self.secret()
        own = {"Version": "2012-10-17", "Statement": [{
            "Sid": "Mine", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
        self.sm.put_resource_policy(SecretId=alice, ResourcePolicy=json.dumps(own))
        self.assertEqual(self.associate(cluster, alice), [])
        sids = [s["Sid"] for s in json.loads(
            self.sm.get_resource_policy(SecretId=alice)["ResourcePolicy"])["Statement"]]
        self.assertEqual(sids, ["Mine", "AWSKafkaResourcePolicy"])

    def test_unknown_cluster_is_not_found(self) -> None:
        missing = "arn:aws:kafka:us-east-1:123456789012:cluster/none/" \
                  "0b7e3c57-0000-4000-8000-000000000000-1"
        for call in (self.kafka.batch_associate_scram_secret, self.kafka.batch_disassociate_scram_secret):
            self.assertAwsError("NotFoundException", call, ClusterArn=missing,
                                SecretArnList=[self.secret(f"AmazonMSK_{call.__name__}")],
                                message="was not found")
        self.assertAwsError("NotFoundException", self.kafka.list_scram_secrets, ClusterArn=missing)

    def test_cluster_needs_scram_authentication(self) -> None:
        iam_only = self.create("iam", auth=IAM_AUTH)
        alice = self.secret()
        self.assertAwsError("BadRequestException", self.kafka.batch_associate_scram_secret,
                            ClusterArn=iam_only, SecretArnList=[alice],
                            message="SASL/SCRAM authentication is not enabled")
        self.assertEqual(self.last_rejection()["operation"], "BatchAssociateScramSecret")
        both = {"Sasl": {"Iam": {"Enabled": True}, "Scram": {"Enabled": True}}}
        self.assertEqual(self.associate(self.create("both", auth=both), alice), [])

    def test_at_most_ten_secrets_per_call(self) -> None:
        cluster = self.create()
        key = self.key()
        secrets = [self.secret(f"AmazonMSK_user{i}", kms_key=key) for i in range(11)]
        self.assertAwsError("BadRequestException", self.kafka.batch_associate_scram_secret,
                            ClusterArn=cluster, SecretArnList=secrets,
                            message="up to 10 secrets")
        self.assertEqual(self.listed(cluster), [])
        self.assertEqual(self.associate(cluster, *secrets[:10]), [])
        self.assertEqual(self.associate(cluster, secrets[10]), [])
        self.assertEqual(len(self.listed(cluster)), 11)

    def test_secret_name_needs_the_amazonmsk_prefix(self) -> None:
        cluster = self.create()
        wrong = self.secret("alice")
        right = self.secret("AmazonMSK_alice")
        entries = self.associate(cluster, wrong, right)
        self.assertUnprocessed(entries, wrong, "Secret names must have the prefix 'AmazonMSK_'")
        self.assertEqual(self.listed(cluster), [right])
        rejection = self.last_rejection()
        self.assertEqual((rejection["operation"], rejection["code"]),
                         ("BatchAssociateScramSecret", "InvalidSecretArn"))

    def test_secret_needs_a_customer_managed_key(self) -> None:
        cluster = self.create()
        default = self.secret("AmazonMSK_default", kms_key=None)
        explicit = self.secret("AmazonMSK_explicit", kms_key="alias/aws/secretsmanager")
        for secret in (default, explicit):
            self.assertUnprocessed(self.associate(cluster, secret), secret,
                                   "Amazon MSK wasn't able to access the provided secret.")
        # A disabled customer key cannot decrypt the secret either.
        key = self.key()
        disabled = self.secret("AmazonMSK_disabled", kms_key=key)
        self.kms.disable_key(KeyId=key)
        self.assertUnprocessed(self.associate(cluster, disabled), disabled, "wasn't able to access")
        self.kms.enable_key(KeyId=key)
        self.assertEqual(self.associate(cluster, disabled), [])
        self.assertEqual(self.listed(cluster), [disabled])

    def test_secret_must_exist_in_the_clusters_account_and_region(self) -> None:
        cluster = self.create()
        missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_ghost-AbCdEf"
        self.assertUnprocessed(self.associate(cluster, missing), missing, NOT_FOUND_MESSAGE)
        elsewhere = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_far-AbCdEf"
        self.assertUnprocessed(self.associate(cluster, elsewhere), elsewhere,
                               "The provided secret ARN is invalid.")
        self.assertUnprocessed(self.associate(cluster, "AmazonMSK_alice"), "AmazonMSK_alice",
                               "The provided secret ARN is invalid.")
        # A secret scheduled for deletion is gone for MSK.
        doomed = self.secret("AmazonMSK_doomed")
        self.sm.delete_secret(SecretId=doomed, RecoveryWindowInDays=7)
        self.assertUnprocessed(self.associate(cluster, doomed), doomed, NOT_FOUND_MESSAGE)
        self.assertEqual(self.listed(cluster), [])

    def test_associating_twice_is_unprocessed(self) -> None:
        cluster = self.create()
        alice = self.secret()
        self.assertEqual(self.associate(cluster, alice), [])
        self.assertUnprocessed(self.associate(cluster, alice), alice,
                               "The provided secret is already associated with this cluster. "
                               "To update the association, first disassociate the secret.")
        self.assertEqual(self.listed(cluster), [alice])

    # -- BatchDisassociateScramSecret and ListScramSecrets ------------------------------------------
    def test_disassociate(self) -> None:
        cluster = self.create()
        alice, bob = self.secret("AmazonMSK_alice"), self.secret("AmazonMSK_bob")
        self.associate(cluster, alice, bob)
        out = self.kafka.batch_disassociate_scram_secret(ClusterArn=cluster, SecretArnList=[alice])
        self.assertEqual((out["ClusterArn"], out["UnprocessedScramSecrets"]), (cluster, []))
        self.assertEqual(self.listed(cluster), [bob])
        # Not associated (any more): an unprocessed entry, as terraform-provider-aws expects.
        again = self.kafka.batch_disassociate_scram_secret(ClusterArn=cluster, SecretArnList=[alice])
        self.assertUnprocessed(again["UnprocessedScramSecrets"], alice,
                               "The provided secret ARN is invalid.")
        self.assertEqual(self.last_rejection()["operation"], "BatchDisassociateScramSecret")
        # Re-association after disassociation works.
        self.assertEqual(self.associate(cluster, alice), [])
        self.assertEqual(sorted(self.listed(cluster)), sorted([alice, bob]))

    def test_list_paginates(self) -> None:
        cluster = self.create()
        key = self.key()
        secrets = [self.secret(f"AmazonMSK_p{i}", kms_key=key) for i in range(5)]
        self.associate(cluster, *secrets)
        first = self.kafka.list_scram_secrets(ClusterArn=cluster, MaxResults=2)
        self.assertEqual(first["SecretArnList"], secrets[:2])
        second = self.kafka.list_scram_secrets(ClusterArn=cluster, MaxResults=2, NextToken=first["NextToken"])
        self.assertEqual(second["SecretArnList"], secrets[2:4])
        third = self.kafka.list_scram_secrets(ClusterArn=cluster, MaxResults=2, NextToken=second["NextToken"])
        self.assertEqual(third["SecretArnList"], secrets[4:])
        self.assertNotIn("NextToken", third)
        paginated = [a for page in self.kafka.get_paginator("list_scram_secrets").paginate(
            ClusterArn=cluster, PaginationConfig={"PageSize": 2}) for a in page["SecretArnList"]]
        self.assertEqual(paginated, secrets)

    def test_deleting_the_cluster_forgets_its_associations(self) -> None:
        cluster = self.create()
        alice = self.secret()
        self.associate(cluster, alice)
        self.kafka.delete_cluster(ClusterArn=cluster)
        self.assertAwsError("NotFoundException", self.kafka.list_scram_secrets, ClusterArn=cluster)
        # The secret can go with another cluster.
        self.assertEqual(self.associate(self.create("other"), alice), [])

    # -- SCRAM and encryption in transit ------------------------------------------------------------
    def test_scram_on_create_needs_tls_between_clients_and_brokers(self) -> None:
        self.assertAwsError("BadRequestException", self.create, "p", client_broker="PLAINTEXT",
                            message="To turn on SASL, you must also turn on EncryptionInTransit")
        self.assertAwsError("BadRequestException", self.create, "q", client_broker="TLS_PLAINTEXT",
                            message="If you choose TLS_PLAINTEXT, then you must also set "
                                    "unauthenticated to true.")
        with_plain = {"Sasl": {"Scram": {"Enabled": True}}, "Unauthenticated": {"Enabled": True}}
        self.create("r", auth=with_plain, client_broker="TLS_PLAINTEXT")
        arn = self.create("s", client_broker="TLS")
        info = self.kafka.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]["Provisioned"]
        self.assertTrue(info["ClientAuthentication"]["Sasl"]["Scram"]["Enabled"])
        brokers = self.kafka.get_bootstrap_brokers(ClusterArn=arn)
        self.assertIn(":9096", brokers["BootstrapBrokerStringSaslScram"])
        # The v1 CreateCluster follows the same rule.
        v1 = self.provisioned(client_broker="PLAINTEXT")
        self.assertAwsError("BadRequestException", self.kafka.create_cluster, ClusterName="v1",
                            KafkaVersion="3.6.0", NumberOfBrokerNodes=3,
                            BrokerNodeGroupInfo=v1["BrokerNodeGroupInfo"],
                            ClientAuthentication=SCRAM_AUTH, EncryptionInfo=v1["EncryptionInfo"],
                            message="To turn on SASL")
        self.assertEqual(self.last_rejection()["operation"], "CreateCluster")

    def test_update_security_turns_scram_on(self) -> None:
        plain = self.create("plain", auth={"Unauthenticated": {"Enabled": True}},
                            client_broker="PLAINTEXT")
        version = self.kafka.describe_cluster(ClusterArn=plain)["ClusterInfo"]["CurrentVersion"]
        self.assertAwsError("BadRequestException", self.kafka.update_security, ClusterArn=plain,
                            CurrentVersion=version, ClientAuthentication=SCRAM_AUTH,
                            message="To turn on SASL")
        self.assertEqual(self.last_rejection()["operation"], "UpdateSecurity")
        # Together with TLS between clients and brokers it is accepted.
        self.kafka.update_security(ClusterArn=plain, CurrentVersion=version,
                                   ClientAuthentication=SCRAM_AUTH,
                                   EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS"}})
        info = self.kafka.describe_cluster(ClusterArn=plain)["ClusterInfo"]
        self.assertTrue(info["ClientAuthentication"]["Sasl"]["Scram"]["Enabled"])
        self.assertEqual(info["EncryptionInfo"]["EncryptionInTransit"]["ClientBroker"], "TLS")
        self.assertEqual(self.associate(plain, self.secret()), [])

    def test_update_security_cannot_change_in_cluster_or_at_rest_encryption(self) -> None:
        arn = self.create()
        version = self.kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]["CurrentVersion"]
        self.assertAwsError("BadRequestException", self.kafka.update_security, ClusterArn=arn,
                            CurrentVersion=version,
                            EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS",
                                                                    "InCluster": False}},
                            message="in-cluster (broker-to-broker) encryption")
        self.assertAwsError("BadRequestException", self.kafka.update_security, ClusterArn=arn,
                            CurrentVersion=version,
                            EncryptionInfo={"EncryptionAtRest": {"DataVolumeKMSKeyId": self.key()}},
                            message="Updating encryption-at-rest settings on your cluster is not "
                                    "currently supported.")
        # The same in-cluster setting again is accepted (the operation is idempotent).
        self.kafka.update_security(ClusterArn=arn, CurrentVersion=version,
                                   EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS",
                                                                           "InCluster": True}})

    # -- encryption at rest ---------------------------------------------------------------------------
    def test_default_encryption_at_rest_uses_the_aws_managed_key(self) -> None:
        arn = self.create()
        key_arn = self.kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]["EncryptionInfo"][
            "EncryptionAtRest"]["DataVolumeKMSKeyId"]
        meta = self.kms.describe_key(KeyId=key_arn)["KeyMetadata"]
        self.assertEqual(meta["KeyManager"], "AWS")
        self.assertEqual(meta["Arn"], key_arn)
        alias = self.kms.describe_key(KeyId="alias/aws/kafka")["KeyMetadata"]
        self.assertEqual(alias["Arn"], key_arn)
        # One managed key per account and Region: a second cluster uses the same one.
        other = self.create("other")
        v2 = self.kafka.describe_cluster_v2(ClusterArn=other)["ClusterInfo"]["Provisioned"]
        self.assertEqual(v2["EncryptionInfo"]["EncryptionAtRest"]["DataVolumeKMSKeyId"], key_arn)

    def test_customer_key_for_encryption_at_rest(self) -> None:
        key = self.kms.create_key(Description="at rest")["KeyMetadata"]
        arn = self.create("cmk", at_rest_key=key["Arn"])
        described = self.kafka.describe_cluster(ClusterArn=arn)["ClusterInfo"]["EncryptionInfo"]
        self.assertEqual(described["EncryptionAtRest"]["DataVolumeKMSKeyId"], key["Arn"])
        # Named by alias: the cluster answers the key's ARN.
        self.kms.create_alias(AliasName="alias/msk-data", TargetKeyId=key["KeyId"])
        aliased = self.create("aliased", at_rest_key="alias/msk-data")
        v2 = self.kafka.describe_cluster_v2(ClusterArn=aliased)["ClusterInfo"]["Provisioned"]
        self.assertEqual(v2["EncryptionInfo"]["EncryptionAtRest"]["DataVolumeKMSKeyId"], key["Arn"])
        # The AWS managed key named explicitly is accepted too.
        managed = self.create("managed", at_rest_key="alias/aws/kafka")
        managed_key = self.kafka.describe_cluster(ClusterArn=managed)["ClusterInfo"][
            "EncryptionInfo"]["EncryptionAtRest"]["DataVolumeKMSKeyId"]
        self.assertEqual(self.kms.describe_key(KeyId=managed_key)["KeyMetadata"]["KeyManager"], "AWS")

    def test_encryption_at_rest_key_must_exist_and_be_enabled(self) -> None:
        missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000"
        self.assertAwsError("BadRequestException", self.create, "a", at_rest_key=missing,
                            message="does not exist")
        self.assertEqual(self.last_rejection()["operation"], "CreateClusterV2")
        key = self.key()
        self.kms.disable_key(KeyId=key)
        self.assertAwsError("BadRequestException", self.create, "b", at_rest_key=key,
                            message="is disabled")
        doomed = self.key()
        self.kms.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
        self.assertAwsError("BadRequestException", self.create, "c", at_rest_key=doomed,
                            message="is pending deletion")
        # v1 CreateCluster checks the key as well.
        request = self.provisioned(at_rest_key=missing)
        self.assertAwsError("BadRequestException", self.kafka.create_cluster, ClusterName="v1",
                            KafkaVersion="3.6.0", NumberOfBrokerNodes=3,
                            BrokerNodeGroupInfo=request["BrokerNodeGroupInfo"],
                            ClientAuthentication=SCRAM_AUTH, EncryptionInfo=request["EncryptionInfo"],
                            message="does not exist")
        self.assertEqual(self.last_rejection()["operation"], "CreateCluster")
        self.assertEqual(self.kafka.list_clusters_v2()["ClusterInfoList"], [])
        self.kms.enable_key(KeyId=key)
        self.create("d", at_rest_key=key)
