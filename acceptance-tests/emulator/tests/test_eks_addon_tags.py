"""Tags of EKS add-ons: set at CreateAddon, added and removed by ARN like a cluster's."""

from __future__ import annotations

from .eks_support import EksCase


class EksAddonTagsTest(EksCase):
    def test_addon_tags_change_by_arn(self) -> None:
        self.cluster("c", version="1.33")
        arn = self.eks.create_addon(clusterName="c", addonName="vpc-cni", tags={"a": "1"})["addon"]["addonArn"]
        self.eks.tag_resource(resourceArn=arn, tags={"b": "2"})
        self.assertEqual(self.eks.list_tags_for_resource(resourceArn=arn)["tags"], {"a": "1", "b": "2"})
        self.eks.untag_resource(resourceArn=arn, tagKeys=["a"])
        self.assertEqual(self.eks.describe_addon(clusterName="c", addonName="vpc-cni")["addon"]["tags"], {"b": "2"})
        self.assertAwsError("ResourceNotFoundException", self.eks.tag_resource,
                            resourceArn=arn + "-gone", tags={"c": "3"})
