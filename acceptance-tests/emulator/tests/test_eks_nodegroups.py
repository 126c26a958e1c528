"""EKS node group taints, update config and AMI types: the rules beyond the API model. Each
refusal is checked next to the request AWS accepts."""

from __future__ import annotations

from mosia_emulator.patches import eks_rules

from .eks_support import EksCase

TAINT = {"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}


class EksNodegroupsTest(EksCase):
    def test_taints_on_create(self) -> None:
        self.cluster("c")
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c", "bad",
                            taints=[{"key": "-dedicated", "effect": "NO_SCHEDULE"}], message="taint key")
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c", "bad",
                            taints=[{"key": "k", "value": "a b", "effect": "NO_SCHEDULE"}], message="taint value")
        many = [{"key": f"k{i}", "effect": "NO_SCHEDULE"} for i in range(51)]
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c", "bad", taints=many, message="at most 50")
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c", "bad",
                            taints=[{"key": "k", "effect": "NO_WAY"}])  # the model's enum
        self.assertEqual(self.rejected()[-1]["kind"], "validation")
        ng = self.nodegroup("c", taints=[TAINT, {"key": "example.com/gpu", "effect": "NO_EXECUTE"}])
        self.assertEqual(len(ng["taints"]), 2)
        self.nodegroup("c", "fifty", taints=many[:50])

    def test_listing_the_node_groups_of_a_missing_cluster_is_not_found(self) -> None:
        self.assertAwsError("ResourceNotFoundException", self.eks.list_nodegroups, clusterName="gone")
        self.cluster("c")
        self.assertEqual(self.eks.list_nodegroups(clusterName="c")["nodegroups"], [])

    def test_taints_in_place(self) -> None:
        self.cluster("c")
        self.nodegroup("c", taints=[TAINT])
        many = [{"key": f"k{i}", "effect": "NO_SCHEDULE"} for i in range(50)]
        self.assertAwsError("InvalidParameterException", self.eks.update_nodegroup_config, clusterName="c",
                            nodegroupName="ng", taints={"addOrUpdateTaints": many}, message="at most 50")
        update = self.eks.update_nodegroup_config(
            clusterName="c", nodegroupName="ng",
            taints={"addOrUpdateTaints": [{"key": "dedicated", "value": "web", "effect": "NO_SCHEDULE"}],
                    "removeTaints": []},
        )["update"]
        self.assertEqual([p["type"] for p in update["params"]], ["TaintsToAdd"])
        ng = self.eks.describe_nodegroup(clusterName="c", nodegroupName="ng")["nodegroup"]
        self.assertEqual(ng["taints"], [{"key": "dedicated", "value": "web", "effect": "NO_SCHEDULE"}])
        self.eks.update_nodegroup_config(clusterName="c", nodegroupName="ng",
                                         taints={"removeTaints": [{"key": "dedicated", "effect": "NO_SCHEDULE"}]})
        self.assertEqual(self.eks.describe_nodegroup(clusterName="c", nodegroupName="ng")["nodegroup"].get("taints", []), [])

    def test_update_config_exactly_one_bound(self) -> None:
        self.cluster("c")
        for bad, message in (({"maxUnavailable": 1, "maxUnavailablePercentage": 10}, "Exactly one"),
                             ({}, "Exactly one"),
                             ({"maxUnavailable": 101}, "between 1 and 100")):
            self.assertAwsError("InvalidParameterException", self.nodegroup, "c", "bad", updateConfig=bad,
                                message=message)
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c", "bad",
                            updateConfig={"maxUnavailablePercentage": 101})  # the model's range
        default = self.nodegroup("c")
        described = self.eks.describe_nodegroup(clusterName="c", nodegroupName="ng")["nodegroup"]
        self.assertEqual(described["updateConfig"], {"maxUnavailable": 1})
        self.assertEqual(default["nodegroupName"], "ng")
        self.nodegroup("c", "pct", updateConfig={"maxUnavailablePercentage": 33})
        self.assertEqual(self.eks.describe_nodegroup(clusterName="c", nodegroupName="pct")["nodegroup"]["updateConfig"],
                         {"maxUnavailablePercentage": 33})
        self.assertAwsError("InvalidParameterException", self.eks.update_nodegroup_config, clusterName="c",
                            nodegroupName="ng", updateConfig={"maxUnavailable": 2, "maxUnavailablePercentage": 5})
        update = self.eks.update_nodegroup_config(clusterName="c", nodegroupName="ng",
                                                  updateConfig={"maxUnavailablePercentage": 50})["update"]
        self.assertEqual(update["params"], [{"type": "MaxUnavailablePercentage", "value": "50"}])
        self.assertEqual(self.eks.describe_nodegroup(clusterName="c", nodegroupName="ng")["nodegroup"]["updateConfig"],
                         {"maxUnavailablePercentage": 50})

    def test_bottlerocket_and_nvidia_ami_types(self) -> None:
        for ami, arch in (("BOTTLEROCKET_ARM_64", "arm64"), ("BOTTLEROCKET_x86_64_NVIDIA", "x86_64"),
                          ("AL2023_ARM_64_NVIDIA", "arm64"), ("AL2023_x86_64_NVIDIA", "x86_64"),
                          ("BOTTLEROCKET_ARM_64_FIPS", "arm64"), ("AL2023_x86_64_NEURON", "x86_64")):
            self.assertEqual(eks_rules.ami_arch(ami), arch, ami)
        self.cluster("c")
        self.assertAwsError("InvalidParameterException", self.nodegroup, "c", "bad", amiType="BOTTLEROCKET_ARM_64",
                            instanceTypes=["m7i.large"], message="is not a valid instance type for requested amiType")
        ng = self.nodegroup("c", amiType="BOTTLEROCKET_ARM_64", instanceTypes=["m7g.large"])
        self.assertEqual(ng["amiType"], "BOTTLEROCKET_ARM_64")
        gpu = self.nodegroup("c", "gpu", amiType="AL2023_x86_64_NVIDIA", instanceTypes=["g5.xlarge"])
        self.assertEqual(gpu["amiType"], "AL2023_x86_64_NVIDIA")
