"""EKS add-on versions per Kubernetes version: what DescribeAddonVersions answers and what
CreateAddon/UpdateAddon accept.

A table shaped like EKS's answers in 2025 (versions and build numbers are realistic, not a
copy of any day's list): vpc-cni, eks-pod-identity-agent and aws-ebs-csi-driver versions span
several Kubernetes minors; kube-proxy's follow the minor (v1.33.x only for 1.33) and so,
mostly, do coredns's. Exactly one version per add-on and Kubernetes version is the default
(`defaultVersion: true`): the newest compatible one here. The supported Kubernetes versions
are 1.29 (extended support) to 1.35."""

from __future__ import annotations

import re
from typing import Any

KUBERNETES_VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35")
ALL = KUBERNETES_VERSIONS


def _range(first: str, last: str) -> tuple[str, ...]:
    lo, hi = KUBERNETES_VERSIONS.index(first), KUBERNETES_VERSIONS.index(last)
    return KUBERNETES_VERSIONS[lo : hi + 1]


# add-on -> (type, {version: compatible Kubernetes versions})
ADDONS: dict[str, tuple[str, dict[str, tuple[str, ...]]]] = {
    "vpc-cni": (
        "networking",
        {
            "v1.18.6-eksbuild.1": _range("1.29", "1.32"),
            "v1.19.2-eksbuild.1": _range("1.29", "1.34"),
            "v1.20.4-eksbuild.1": ALL,
        },
    ),
    "kube-proxy": (
        "networking",
        {
            "v1.29.10-eksbuild.3": ("1.29",),
            "v1.30.6-eksbuild.3": ("1.30",),
            "v1.30.9-eksbuild.2": ("1.30",),
            "v1.31.3-eksbuild.2": ("1.31",),
            "v1.31.7-eksbuild.2": ("1.31",),
            "v1.32.0-eksbuild.2": ("1.32",),
            "v1.32.3-eksbuild.7": ("1.32",),
            "v1.33.0-eksbuild.2": ("1.33",),
            "v1.33.3-eksbuild.4": ("1.33",),
            "v1.34.0-eksbuild.2": ("1.34",),
            "v1.34.1-eksbuild.2": ("1.34",),
            "v1.35.0-eksbuild.2": ("1.35",),
        },
    ),
    "coredns": (
        "networking",
        {
            "v1.11.1-eksbuild.13": ("1.29", "1.30"),
            "v1.11.3-eksbuild.2": ("1.30", "1.31"),
            "v1.11.4-eksbuild.2": ("1.31", "1.32"),
            "v1.11.4-eksbuild.14": ("1.32",),
            "v1.12.1-eksbuild.2": ("1.33",),
            "v1.12.3-eksbuild.1": ("1.33", "1.34"),
            "v1.12.4-eksbuild.1": ("1.34",),
            "v1.13.1-eksbuild.1": ("1.35",),
        },
    ),
    "eks-pod-identity-agent": (
        "security",
        {
            "v1.3.4-eksbuild.1": _range("1.29", "1.33"),
            "v1.3.8-eksbuild.2": ALL,
        },
    ),
    "aws-ebs-csi-driver": (
        "storage",
        {
            "v1.38.1-eksbuild.1": _range("1.29", "1.33"),
            "v1.45.0-eksbuild.2": ALL,
        },
    ),
}

# Add-ons EKS installs itself (self-managed) when a cluster is created with
# bootstrapSelfManagedAddons true (EKS User Guide, "Create an Amazon EKS cluster").
SELF_MANAGED_BOOTSTRAP = ("vpc-cni", "kube-proxy", "coredns")

# Add-ons whose pods need nodes (Deployments); the others are DaemonSets that report healthy
# with no node at all.
NEED_NODES = ("coredns", "aws-ebs-csi-driver")


def version_key(version: str) -> tuple[int, ...]:
    """v1.19.2-eksbuild.1 -> (1, 19, 2, 1)."""
    return tuple(int(n) for n in re.findall(r"\d+", version))


def minor_of(kubernetes_version: str) -> str:
    return ".".join(str(kubernetes_version).split(".")[:2])


def compatible(addon: str, kubernetes_version: str) -> list[str]:
    """Versions of `addon` compatible with the Kubernetes version, newest first."""
    versions = ADDONS.get(addon, ("", {}))[1]
    minor = minor_of(kubernetes_version)
    return sorted((v for v, ks in versions.items() if minor in ks), key=version_key, reverse=True)


def default_version(addon: str, kubernetes_version: str) -> str | None:
    found = compatible(addon, kubernetes_version)
    return found[0] if found else None


def addon_infos(wanted: str | None, kubernetes_version: str | None) -> list[dict[str, Any]]:
    """DescribeAddonVersions' `addons`: every add-on (or the one asked), each version with its
    compatibilities (only the asked Kubernetes version's when one is given)."""
    infos = []
    for name, (kind, versions) in sorted(ADDONS.items()):
        if wanted and wanted != name:
            continue
        rows = []
        for version in sorted(versions, key=version_key, reverse=True):
            clusters = versions[version]
            if kubernetes_version:
                clusters = tuple(k for k in clusters if k == minor_of(kubernetes_version))
            if not clusters:
                continue
            rows.append(
                {
                    "addonVersion": version,
                    "architecture": ["amd64", "arm64"],
                    "computeTypes": ["ec2", "hybrid"] if name != "aws-ebs-csi-driver" else ["ec2"],
                    "compatibilities": [
                        {
                            "clusterVersion": k,
                            "platformVersions": ["*"],
                            "defaultVersion": default_version(name, k) == version,
                        }
                        for k in clusters
                    ],
                    "requiresConfiguration": False,
                    "requiresIamPermissions": name in ("vpc-cni", "aws-ebs-csi-driver"),
                }
            )
        if rows:
            infos.append(
                {"addonName": name, "type": kind, "owner": "aws", "publisher": "eks", "addonVersions": rows}
            )
    return infos
