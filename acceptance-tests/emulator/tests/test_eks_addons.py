"""EKS add-ons and Pod Identity: versions per Kubernetes version, compatibility and
configuration checks, add-ons that stay DEGRADED without nodes, pod identity associations
(alone and owned by an add-on). Each refusal is checked next to the request AWS accepts."""

from __future__ import annotations

import json

from mosia_emulator.patches import eks_addon_versions

from .eks_support import EksCase


class EksAddonsTest(EksCase):
    def versions(self, addon: str, kubernetes: str) -> list[dict]:
        found = self.eks.describe_addon_versions(addonName=addon, kubernetesVersion=kubernetes)["addons"]
        return found[0]["addonVersions"] if found else []

    def default(self, addon: str, kubernetes: str) -> str:
        return next(v["addonVersion"] for v in self.versions(addon, kubernetes)
                    if v["compatibilities"][0]["defaultVersion"])

    def test_versions_per_kubernetes_version_with_one_default(self) -> None:
        names = {a["addonName"] for a in self.eks.describe_addon_versions(kubernetesVersion="1.33")["addons"]}
        self.assertEqual(names, {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver"})
        for kubernetes in ("1.30", "1.31", "1.32", "1.33", "1.34", "1.35"):
            for addon in names:
                rows = self.versions(addon, kubernetes)
                self.assertGreaterEqual(len(rows), 1, (addon, kubernetes))
                defaults = [r for r in rows if r["compatibilities"][0]["defaultVersion"]]
                self.assertEqual(len(defaults), 1, (addon, kubernetes))
        proxy = [r["addonVersion"] for r in self.versions("kube-proxy", "1.33")]
        self.assertTrue(proxy and all(v.startswith("v1.33.") for v in proxy), proxy)
        self.assertGreaterEqual(len(self.versions("vpc-cni", "1.33")), 2)
        self.assertEqual(self.eks.describe_addon_versions(addonName="nope")["addons"], [])

    def test_version_must_suit_the_cluster(self) -> None:
        self.cluster("c", version="1.33")
        self.assertAwsError("InvalidParameterException", self.eks.create_addon, clusterName="c",
                            addonName="kube-proxy", addonVersion=self.default("kube-proxy", "1.32"),
                            message="Addon version specified is not supported")
        self.assertEqual(self.rejected()[-1]["operation"], "CreateAddon")
        self.assertAwsError("InvalidParameterException", self.eks.create_addon, clusterName="c",
                            addonName="not-an-addon", message="Addon specified is not supported")
        pinned = self.eks.create_addon(clusterName="c", addonName="kube-proxy",
                                       addonVersion="v1.33.0-eksbuild.2")["addon"]
        self.assertEqual(pinned["addonVersion"], "v1.33.0-eksbuild.2")
        default = self.eks.create_addon(clusterName="c", addonName="vpc-cni")["addon"]
        self.assertEqual(default["addonVersion"], self.default("vpc-cni", "1.33"))
        self.assertAwsError("InvalidParameterException", self.eks.update_addon, clusterName="c",
                            addonName="kube-proxy", addonVersion="v1.32.0-eksbuild.2",
                            message="Addon version specified is not supported")
        update = self.eks.update_addon(clusterName="c", addonName="kube-proxy", addonVersion="v1.33.3-eksbuild.4",
                                       resolveConflicts="OVERWRITE")["update"]
        self.assertEqual(update["type"], "AddonUpdate")
        self.assertEqual(self.eks.describe_addon(clusterName="c", addonName="kube-proxy")["addon"]["addonVersion"],
                         "v1.33.3-eksbuild.4")

    def test_configuration_values_must_parse_to_an_object(self) -> None:
        self.cluster("c")
        for bad in ("{replicaCount: 3", "[1, 2]"):
            self.assertAwsError("InvalidParameterException", self.eks.create_addon, clusterName="c",
                                addonName="coredns", configurationValues=bad,
                                message="ConfigurationValue provided in request is not supported")
        addon = self.eks.create_addon(clusterName="c", addonName="coredns",
                                      configurationValues=json.dumps({"replicaCount": 3}),
                                      resolveConflicts="OVERWRITE")["addon"]
        self.assertEqual(json.loads(addon["configurationValues"]), {"replicaCount": 3})

    def test_coredns_and_ebs_stay_degraded_without_nodes(self) -> None:
        self.cluster("c")
        for name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "aws-ebs-csi-driver"):
            self.eks.create_addon(clusterName="c", addonName=name)
        status = {n: self.eks.describe_addon(clusterName="c", addonName=n)["addon"] for n in
                  ("vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "aws-ebs-csi-driver")}
        for name in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
            self.assertEqual(status[name]["status"], "ACTIVE", name)
        for name in ("coredns", "aws-ebs-csi-driver"):
            self.assertEqual(status[name]["status"], "DEGRADED", name)
            self.assertEqual(status[name]["health"]["issues"][0]["code"], "InsufficientNumberOfReplicas")
        self.nodegroup("c")
        self.assertEqual(self.eks.describe_addon(clusterName="c", addonName="coredns")["addon"]["status"], "ACTIVE")
        addon = self.eks.describe_addon(clusterName="c", addonName="aws-ebs-csi-driver")["addon"]
        self.assertEqual((addon["status"], addon["health"]["issues"]), ("ACTIVE", []))

    def test_control_plane_upgrade_keeps_addon_versions(self) -> None:
        self.cluster("c", version="1.32")
        before = self.eks.create_addon(clusterName="c", addonName="kube-proxy")["addon"]["addonVersion"]
        self.eks.update_cluster_version(name="c", version="1.33")
        self.assertEqual(self.eks.describe_cluster(name="c")["cluster"]["version"], "1.33")
        self.assertEqual(self.eks.describe_addon(clusterName="c", addonName="kube-proxy")["addon"]["addonVersion"], before)
        self.eks.update_addon(clusterName="c", addonName="kube-proxy", addonVersion=self.default("kube-proxy", "1.33"))

    def test_addon_pod_identity_associations(self) -> None:
        self.cluster("c")
        wrong = self.role("ec2.amazonaws.com")
        only_assume = self.role("pods.eks.amazonaws.com")
        for role in (wrong, only_assume, "arn:aws:iam::123456789012:role/missing"):
            self.assertAwsError("InvalidParameterException", self.eks.create_addon, clusterName="c",
                                addonName="aws-ebs-csi-driver",
                                podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa", "roleArn": role}],
                                message="Trust policy of the role provided is invalid")
        role = self.pod_role()
        addon = self.eks.create_addon(clusterName="c", addonName="aws-ebs-csi-driver",
                                      podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa",
                                                                "roleArn": role}])["addon"]
        self.assertEqual(len(addon["podIdentityAssociations"]), 1)
        listed = self.eks.list_pod_identity_associations(clusterName="c")["associations"]
        self.assertEqual([(a["namespace"], a["serviceAccount"], a["ownerArn"]) for a in listed],
                         [("kube-system", "ebs-csi-controller-sa", addon["addonArn"])])
        other = self.pod_role()
        self.eks.update_addon(clusterName="c", addonName="aws-ebs-csi-driver",
                              podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa", "roleArn": other}])
        association = self.eks.list_pod_identity_associations(clusterName="c")["associations"][0]
        described = self.eks.describe_pod_identity_association(clusterName="c", associationId=association["associationId"])
        self.assertEqual(described["association"]["roleArn"], other)
        self.eks.delete_addon(clusterName="c", addonName="aws-ebs-csi-driver")
        self.assertAwsError("ResourceNotFoundException", self.eks.describe_addon, clusterName="c",
                            addonName="aws-ebs-csi-driver")
        self.assertEqual(self.eks.list_pod_identity_associations(clusterName="c")["associations"], [])

    def test_pod_identity_associations(self) -> None:
        self.cluster("c")
        self.assertAwsError("InvalidParameterException", self.eks.create_pod_identity_association, clusterName="c",
                            namespace="apps", serviceAccount="api", roleArn=self.role("pods.eks.amazonaws.com"),
                            message="Trust policy of the role provided is invalid")
        role = self.pod_role()
        created = self.eks.create_pod_identity_association(clusterName="c", namespace="apps", serviceAccount="api",
                                                           roleArn=role, tags={"team": "a"})["association"]
        self.assertTrue(created["associationId"].startswith("a-"))
        self.assertIn(":podidentityassociation/c/a-", created["associationArn"])
        self.assertAwsError("ResourceInUseException", self.eks.create_pod_identity_association, clusterName="c",
                            namespace="apps", serviceAccount="api", roleArn=role)
        self.eks.create_pod_identity_association(clusterName="c", namespace="apps", serviceAccount="worker", roleArn=role)
        self.eks.create_pod_identity_association(clusterName="c", namespace="jobs", serviceAccount="api", roleArn=role)
        by_ns = self.eks.list_pod_identity_associations(clusterName="c", namespace="apps")["associations"]
        self.assertEqual(sorted(a["serviceAccount"] for a in by_ns), ["api", "worker"])
        by_sa = self.eks.list_pod_identity_associations(clusterName="c", serviceAccount="api")["associations"]
        self.assertEqual(sorted(a["namespace"] for a in by_sa), ["apps", "jobs"])
        self.assertAwsError("InvalidParameterException", self.eks.update_pod_identity_association, clusterName="c",
                            associationId=created["associationId"], roleArn=self.role("ec2.amazonaws.com"))
        other = self.pod_role()
        updated = self.eks.update_pod_identity_association(clusterName="c", associationId=created["associationId"],
                                                           roleArn=other)["association"]
        self.assertEqual(updated["roleArn"], other)
        self.eks.delete_pod_identity_association(clusterName="c", associationId=created["associationId"])
        self.assertAwsError("ResourceNotFoundException", self.eks.describe_pod_identity_association, clusterName="c",
                            associationId=created["associationId"])

    def test_table_defaults_are_the_newest_compatible(self) -> None:
        for addon, (_, table) in eks_addon_versions.ADDONS.items():
            for kubernetes in eks_addon_versions.KUBERNETES_VERSIONS:
                found = eks_addon_versions.compatible(addon, kubernetes)
                self.assertTrue(found, (addon, kubernetes))
                self.assertEqual(eks_addon_versions.default_version(addon, kubernetes), found[0])
