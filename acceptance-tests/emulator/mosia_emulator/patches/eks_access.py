"""EKS access entries and access policies (moto 5.2.5 has none): CreateAccessEntry,
DescribeAccessEntry, ListAccessEntries (filter associatedPolicyArn), UpdateAccessEntry,
DeleteAccessEntry, AssociateAccessPolicy, DisassociateAccessPolicy,
ListAssociatedAccessPolicies, ListAccessPolicies.

AWS's rules (sources: the EKS API reference and User Guide "Grant IAM users access to
Kubernetes with EKS access entries"; messages from the issues cited):
- every call needs the cluster's authenticationMode to be API or API_AND_CONFIG_MAP:
  InvalidRequestException "The cluster's authentication mode must be set to one of [API,
  API_AND_CONFIG_MAP] to perform this operation." (alphagov/govuk-infrastructure #1917);
- principalArn is an IAM role or user of an existing principal: InvalidParameterException
  "The specified principalArn is invalid: invalid principal." (terraform-aws-eks #2969;
  mvd-on-aws #5: a role that does not exist); a service-linked role: "The caller is not
  allowed to modify access entries with a principalArn value of a Service Linked Role"
  (terraform-provider-aws #36447);
- one entry per principal: ResourceInUseException "The specified access entry resource is
  already in use on this cluster." (terraform-aws-eks #3293);
- an unknown entry: ResourceNotFoundException "The specified principalArn could not be
  found. You can view your available access entries with 'list-access-entries'."
  (terraform-aws-eks #3024);
- access policies only on STANDARD entries: InvalidParameterException "This operation can
  only be performed on Access Entries with a type of \\"STANDARD\\"." (ACK community #2144);
- policyArn one of EKS's access policies (ACCESS_POLICIES); accessScope `cluster` takes no
  namespaces, `namespace` needs at least one (wording of both refusals assumed);
  re-associating a policy replaces its scope."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import unquote

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks import urls as eks_urls
from moto.eks.exceptions import (
    EKSError,
    InvalidRequestException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from moto.eks.responses import EKSResponse

from . import add, eks_rules
from .eks_common import get_cluster

POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
# ListAccessPolicies (EKS User Guide, "Review access policy permissions").
ACCESS_POLICIES = (
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSComputeClusterPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSLoadBalancingClusterPolicy",
    "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSViewPolicy",
)
CLUSTER_ADMIN = POLICY_PREFIX + "AmazonEKSClusterAdminPolicy"
ENTRY_TYPES = ("STANDARD", "FARGATE_LINUX", "EC2_LINUX", "EC2_WINDOWS", "EC2", "HYBRID_LINUX", "HYPERPOD_LINUX")
MODE_MESSAGE = (
    "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to "
    "perform this operation."
)


class AccessEntry:
    def __init__(self, cluster: Any, principal_arn: str, body: dict[str, Any]) -> None:
        self.cluster_name = cluster.name
        self.principal_arn = principal_arn
        self.type = body.get("type") or "STANDARD"
        self.kubernetes_groups = list(body.get("kubernetesGroups") or [])
        self.username = body.get("username") or default_username(principal_arn, self.type)
        self.tags = dict(body.get("tags") or {})
        account, kind, name = principal_parts(principal_arn)
        self.arn = cluster.arn.replace(":cluster/", ":access-entry/", 1) + (
            f"/{kind}/{account}/{name}/{uuid.uuid4()}"
        )
        self.created_at = utcnow()
        self.modified_at = self.created_at
        self.policies: dict[str, dict[str, Any]] = {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "clusterName": self.cluster_name, "principalArn": self.principal_arn,
            "kubernetesGroups": self.kubernetes_groups, "accessEntryArn": self.arn,
            "createdAt": self.created_at, "modifiedAt": self.modified_at, "tags": self.tags,
            "username": self.username, "type": self.type,
        }


def principal_parts(arn: str) -> tuple[str, str, str]:
    """(account, "role" | "user", name) of an IAM principal ARN; name without path."""
    parts = arn.split(":", 5)
    resource = parts[5] if len(parts) == 6 else ""
    kind = resource.split("/", 1)[0]
    return (parts[4] if len(parts) == 6 else "", kind, resource.rsplit("/", 1)[-1])


def default_username(principal_arn: str, entry_type: str) -> str:
    """EKS's username: the session of an assumed role, the ARN of a user; nodes get
    system:node:{{EC2PrivateDNSName}}."""
    account, kind, name = principal_parts(principal_arn)
    if entry_type.startswith("EC2") or entry_type == "HYBRID_LINUX":
        return "system:node:{{EC2PrivateDNSName}}"
    if entry_type == "FARGATE_LINUX":
        return "system:node:{{SessionName}}"
    if kind == "role":
        return f"arn:aws:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}"
    return principal_arn


def entries_of(cluster: Any) -> dict[str, AccessEntry]:
    found = cluster.__dict__.get("_mosia_access_entries")
    if found is None:
        found = cluster.__dict__["_mosia_access_entries"] = {}
    return found


def authentication_mode(cluster: Any) -> str:
    return (getattr(cluster, "access_config", None) or {}).get("authenticationMode", "CONFIG_MAP")


def require_api_mode(cluster: Any) -> None:
    if authentication_mode(cluster) == "CONFIG_MAP":
        raise InvalidRequestException(
            clusterName=cluster.name, nodegroupName=None, addonName=None, message=MODE_MESSAGE
        )


def check_principal(principal_arn: str, account_id: str, cluster: str) -> None:
    """An IAM role or user of the cluster's account that exists, not service-linked."""
    from moto.iam.models import iam_backends

    parts = principal_arn.split(":", 5)
    invalid = eks_rules.invalid("The specified principalArn is invalid: invalid principal.", cluster)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or parts[4] != account_id:
        raise invalid
    resource = parts[5]
    if resource.startswith("role/aws-service-role/"):
        raise eks_rules.invalid(
            "The caller is not allowed to modify access entries with a principalArn value of a "
            "Service Linked Role",
            cluster,
        )
    backend = iam_backends[account_id][parts[1]]
    _, kind, name = principal_parts(principal_arn)
    if kind == "role":
        exists = any(r.name == name for r in backend.roles.values())
    elif kind == "user":
        exists = name in backend.users
    else:
        exists = False
    if not exists:
        raise invalid


def get_entry(cluster: Any, principal_arn: str) -> AccessEntry:
    found = entries_of(cluster).get(principal_arn)
    if found is None:
        raise ResourceNotFoundException(
            clusterName=cluster.name, nodegroupName=None, fargateProfileName=None, addonName=None,
            message=(
                "The specified principalArn could not be found. You can view your available "
                "access entries with 'list-access-entries'."
            ),
        )
    return found


def check_association(entry: AccessEntry, policy_arn: str, scope: dict[str, Any], cluster: str) -> None:
    if entry.type != "STANDARD":
        raise eks_rules.invalid(
            'This operation can only be performed on Access Entries with a type of "STANDARD".',
            cluster,
        )
    if not policy_arn.startswith(POLICY_PREFIX) or policy_arn[len(POLICY_PREFIX):] not in ACCESS_POLICIES:
        raise eks_rules.invalid(f"The specified policyArn is invalid: {policy_arn}", cluster)
    kind = (scope or {}).get("type")
    namespaces = (scope or {}).get("namespaces") or []
    if kind == "cluster" and namespaces:
        raise eks_rules.invalid("Namespaces can't be specified for an access scope of type cluster", cluster)
    if kind == "namespace" and not namespaces:
        raise eks_rules.invalid("At least one namespace must be specified for an access scope of type namespace", cluster)


def associate(entry: AccessEntry, policy_arn: str, scope: dict[str, Any]) -> dict[str, Any]:
    now = utcnow()
    previous = entry.policies.get(policy_arn)
    entry.policies[policy_arn] = {
        "policyArn": policy_arn,
        "accessScope": {"type": scope.get("type"), "namespaces": list(scope.get("namespaces") or [])},
        "associatedAt": previous["associatedAt"] if previous else now,
        "modifiedAt": now,
    }
    return entry.policies[policy_arn]


def bootstrap_creator(cluster: Any, creator_arn: str) -> None:
    """bootstrapClusterCreatorAdminPermissions: the creator's entry with cluster admin."""
    entry = AccessEntry(cluster, creator_arn, {})
    entries_of(cluster)[creator_arn] = entry
    associate(entry, CLUSTER_ADMIN, {"type": "cluster"})


def cluster_in_api_mode(self: EKSResponse, operation: str) -> Any:
    cluster = get_cluster(self.eks_backend, self._get_param("name"))
    try:
        require_api_mode(cluster)
    except EKSError as err:
        raise eks_rules.refuse(err, operation)
    return cluster


def principal(self: EKSResponse) -> str:
    return unquote(self._get_param("principalArn") or "")


def apply() -> None:
    for path in (
        # The principal and policy ARNs hold slashes (sent as %2F, decoded in the path):
        # every path under access-entries goes to the dispatcher, which finds the operation
        # with the API model's router.
        "{0}/clusters/(?P<name>[^/]+)/access-entries$",
        "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<principalArn>.+)$",
        "{0}/access-policies$",
    ):
        eks_urls.url_paths.setdefault(path, eks_urls.response.dispatch)

    apply_policies()

    @add(EKSResponse)
    def create_access_entry(self: EKSResponse) -> ActionResult:
        cluster = cluster_in_api_mode(self, "CreateAccessEntry")
        arn = principal(self)
        try:
            if arn in entries_of(cluster):
                raise ResourceInUseException(
                    clusterName=cluster.name, nodegroupName=None, addonName=None,
                    message="The specified access entry resource is already in use on this cluster.",
                )
            check_principal(arn, self.eks_backend.account_id, cluster.name)
        except EKSError as err:
            raise eks_rules.refuse(err, "CreateAccessEntry")
        body = {k: self._get_param(k) for k in ("kubernetesGroups", "username", "type", "tags")}
        entry = AccessEntry(cluster, arn, body)
        entries_of(cluster)[arn] = entry
        return ActionResult({"accessEntry": entry.to_dict()})

    @add(EKSResponse)
    def describe_access_entry(self: EKSResponse) -> ActionResult:
        cluster = cluster_in_api_mode(self, "DescribeAccessEntry")
        return ActionResult({"accessEntry": get_entry(cluster, principal(self)).to_dict()})

    @add(EKSResponse)
    def list_access_entries(self: EKSResponse) -> ActionResult:
        cluster = cluster_in_api_mode(self, "ListAccessEntries")
        policy = self._get_param("associatedPolicyArn")
        found = [arn for arn, e in entries_of(cluster).items() if not policy or policy in e.policies]
        return ActionResult({"accessEntries": sorted(found)})

    @add(EKSResponse)
    def update_access_entry(self: EKSResponse) -> ActionResult:
        cluster = cluster_in_api_mode(self, "UpdateAccessEntry")
        entry = get_entry(cluster, principal(self))
        groups = self._get_param("kubernetesGroups")
        username = self._get_param("username")
        if groups is not None:
            entry.kubernetes_groups = list(groups)
        if username:
            entry.username = username
        entry.modified_at = utcnow()
        return ActionResult({"accessEntry": entry.to_dict()})

    @add(EKSResponse)
    def delete_access_entry(self: EKSResponse) -> ActionResult:
        cluster = cluster_in_api_mode(self, "DeleteAccessEntry")
        entry = get_entry(cluster, principal(self))
        del entries_of(cluster)[entry.principal_arn]
        return ActionResult({})


def apply_policies() -> None:
    """AssociateAccessPolicy, DisassociateAccessPolicy, ListAssociatedAccessPolicies,
    ListAccessPolicies."""

    @add(EKSResponse)
    def associate_access_policy(self: EKSResponse) -> ActionResult:
        cluster = cluster_in_api_mode(self, "AssociateAccessPolicy")
        entry = get_entry(cluster, principal(self))
        policy_arn = self._get_param("policyArn") or ""
        scope = self._get_param("accessScope") or {}
        try:
            check_association(entry, policy_arn, scope, cluster.name)
        except EKSError as err:
            raise eks_rules.refuse(err, "AssociateAccessPolicy")
        associated = associate(entry, policy_arn, scope)
        return ActionResult({
            "clusterName": cluster.name, "principalArn": entry.principal_arn,
            "associatedAccessPolicy": associated,
        })

    @add(EKSResponse)
    def disassociate_access_policy(self: EKSResponse) -> ActionResult:
        cluster = cluster_in_api_mode(self, "DisassociateAccessPolicy")
        entry = get_entry(cluster, principal(self))
        entry.policies.pop(unquote(self._get_param("policyArn") or ""), None)
        return ActionResult({})

    @add(EKSResponse)
    def list_associated_access_policies(self: EKSResponse) -> ActionResult:
        cluster = cluster_in_api_mode(self, "ListAssociatedAccessPolicies")
        entry = get_entry(cluster, principal(self))
        return ActionResult({
            "clusterName": cluster.name, "principalArn": entry.principal_arn,
            "associatedAccessPolicies": [entry.policies[k] for k in sorted(entry.policies)],
        })

    @add(EKSResponse)
    def list_access_policies(self: EKSResponse) -> ActionResult:
        return ActionResult({
            "accessPolicies": [{"name": n, "arn": POLICY_PREFIX + n} for n in ACCESS_POLICIES]
        })
