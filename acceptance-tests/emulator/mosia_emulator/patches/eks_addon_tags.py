"""Tags of EKS add-ons: TagResource, UntagResource and ListTagsForResource on an add-on ARN
(moto tags clusters only; eks.py adds node groups). AWS tags add-ons like any EKS resource
(EKS API reference, TagResource: "clusters, managed node groups, Fargate profiles,
add-ons, ..."). An unknown ARN goes on to the wrapped call (its NotFoundException)."""

from __future__ import annotations

from typing import Any

from moto.eks.models import EKSBackend

from . import wrap


def addon_by_arn(backend: EKSBackend, arn: str) -> Any:
    from .eks_addons import addons_of

    for cluster in backend.clusters.values():
        for addon in addons_of(cluster).values():
            if addon.arn == arn:
                return addon
    return None


def apply() -> None:
    @wrap(EKSBackend, "tag_resource")
    def tag_resource(orig: Any, self: EKSBackend, resource_arn: str, tags: dict[str, str]) -> None:
        addon = addon_by_arn(self, resource_arn)
        if addon is None:
            return orig(self, resource_arn, tags)
        addon.tags.update(tags)
        return None

    @wrap(EKSBackend, "untag_resource")
    def untag_resource(orig: Any, self: EKSBackend, resource_arn: str, tag_keys: Any) -> None:
        addon = addon_by_arn(self, resource_arn)
        if addon is None:
            return orig(self, resource_arn, tag_keys)
        for key in [tag_keys] if isinstance(tag_keys, str) else tag_keys:
            addon.tags.pop(key, None)
        return None

    @wrap(EKSBackend, "list_tags_for_resource")
    def list_tags_for_resource(orig: Any, self: EKSBackend, resource_arn: str) -> dict[str, str]:
        addon = addon_by_arn(self, resource_arn)
        if addon is None:
            return orig(self, resource_arn)
        return addon.tags
