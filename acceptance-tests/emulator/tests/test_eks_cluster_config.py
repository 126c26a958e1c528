"""EKS cluster settings: upgrade policy, bootstrapSelfManagedAddons, secrets encryption with
a KMS key (create and AssociateEncryptionConfig), the control-plane log group EKS creates, the
default Kubernetes version. Each refusal is checked next to the request AWS accepts."""

from __future__ import annotations

from .eks_support import EksCase

LOGGING = {"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]}


class EksClusterConfigTest(EksCase):
    def key(self, **kwargs: object) -> str:
        return self.client("kms").create_key(**kwargs)["KeyMetadata"]["Arn"]

    def secrets(self, key_arn: str) -> list[dict]:
        return [{"resources": ["secrets"], "provider": {"keyArn": key_arn}}]

    def test_upgrade_policy_default_and_update(self) -> None:
        self.cluster("c")
        self.assertEqual(self.eks.describe_cluster(name="c")["cluster"]["upgradePolicy"], {"supportType": "EXTENDED"})
        self.cluster("s", upgradePolicy={"supportType": "STANDARD"}, bootstrapSelfManagedAddons=False)
        self.assertEqual(self.eks.describe_cluster(name="s")["cluster"]["upgradePolicy"], {"supportType": "STANDARD"})
        self.assertAwsError("InvalidParameterException", self.eks.update_cluster_config, name="s",
                            upgradePolicy={"supportType": "FOREVER"})  # the model's enum
        update = self.eks.update_cluster_config(name="s", upgradePolicy={"supportType": "EXTENDED"})["update"]
        self.assertEqual((update["type"], update["params"]),
                         ("UpgradePolicyUpdate", [{"type": "UpgradePolicy", "value": "EXTENDED"}]))
        self.assertEqual(self.eks.describe_cluster(name="s")["cluster"]["upgradePolicy"], {"supportType": "EXTENDED"})
        self.assertIn(update["id"], self.eks.list_updates(name="s")["updateIds"])

    def test_default_kubernetes_version(self) -> None:
        self.subnets = self.network()
        self.eks.create_cluster(name="c", roleArn=self.role("eks.amazonaws.com", "AmazonEKSClusterPolicy"),
                                resourcesVpcConfig={"subnetIds": self.subnets})
        self.assertEqual(self.eks.describe_cluster(name="c")["cluster"]["version"], "1.33")

    def test_encryption_key_must_be_an_enabled_symmetric_key(self) -> None:
        kms = self.client("kms")
        missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
        self.assertAwsError("InvalidParameterException", self.create_cluster, "c",
                            encryptionConfig=self.secrets(missing), message="not found")
        disabled = self.key()
        kms.disable_key(KeyId=disabled)
        self.assertAwsError("InvalidParameterException", self.create_cluster, "c",
                            encryptionConfig=self.secrets(disabled), message="is disabled")
        pending = self.key()
        kms.schedule_key_deletion(KeyId=pending, PendingWindowInDays=7)
        self.assertAwsError("InvalidParameterException", self.create_cluster, "c",
                            encryptionConfig=self.secrets(pending), message="is pending deletion")
        signing = self.key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
        self.assertAwsError("InvalidParameterException", self.create_cluster, "c",
                            encryptionConfig=self.secrets(signing), message="symmetric encryption key")
        other_region = self.client("kms", region="eu-west-1").create_key()["KeyMetadata"]["Arn"]
        self.assertAwsError("InvalidParameterException", self.create_cluster, "c",
                            encryptionConfig=self.secrets(other_region), message="cluster's Region")
        self.assertAwsError("InvalidParameterException", self.create_cluster, "c",
                            encryptionConfig=[{"resources": ["secrets"], "provider": {}}], message="KeyArn is required")
        self.assertEqual(self.rejected()[-1]["operation"], "CreateCluster")
        good = self.key()
        kms.create_alias(AliasName="alias/c-eks", TargetKeyId=good)
        self.cluster("c", encryptionConfig=self.secrets("arn:aws:kms:us-east-1:123456789012:alias/c-eks"))
        self.assertEqual(self.eks.describe_cluster(name="c")["cluster"]["encryptionConfig"][0]["resources"], ["secrets"])

    def test_associate_encryption_config_once(self) -> None:
        self.cluster("c")
        key = self.key()
        update = self.eks.associate_encryption_config(clusterName="c", encryptionConfig=self.secrets(key))["update"]
        self.assertEqual(update["type"], "AssociateEncryptionConfig")
        self.assertEqual(self.update_status("c", update["id"]), "Successful")
        self.assertEqual(self.eks.describe_cluster(name="c")["cluster"]["encryptionConfig"][0]["provider"]["keyArn"], key)
        self.assertAwsError("InvalidParameterException", self.eks.associate_encryption_config, clusterName="c",
                            encryptionConfig=self.secrets(self.key()),
                            message="Encryption is already enabled on the cluster")
        self.cluster("d", encryptionConfig=self.secrets(key))
        self.assertAwsError("InvalidParameterException", self.eks.associate_encryption_config, clusterName="d",
                            encryptionConfig=self.secrets(key), message="Encryption is already enabled on the cluster")

    def test_eks_creates_the_log_group_without_retention(self) -> None:
        logs = self.client("logs")
        self.cluster("quiet")
        self.assertEqual(logs.describe_log_groups(logGroupNamePrefix="/aws/eks/quiet/")["logGroups"], [])
        self.cluster("own", logging=LOGGING)
        group = logs.describe_log_groups(logGroupNamePrefix="/aws/eks/own/cluster")["logGroups"]
        self.assertEqual([g["logGroupName"] for g in group], ["/aws/eks/own/cluster"])
        self.assertNotIn("retentionInDays", group[0])
        # Created first with a retention, the group is kept as it is.
        logs.create_log_group(logGroupName="/aws/eks/kept/cluster")
        logs.put_retention_policy(logGroupName="/aws/eks/kept/cluster", retentionInDays=30)
        self.cluster("kept", logging=LOGGING)
        kept = logs.describe_log_groups(logGroupNamePrefix="/aws/eks/kept/cluster")["logGroups"][0]
        self.assertEqual(kept["retentionInDays"], 30)
        # Turning logs on later creates it too.
        self.eks.update_cluster_config(name="quiet", logging=LOGGING)
        self.assertEqual(len(logs.describe_log_groups(logGroupNamePrefix="/aws/eks/quiet/")["logGroups"]), 1)
