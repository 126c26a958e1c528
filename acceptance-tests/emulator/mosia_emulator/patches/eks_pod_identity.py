"""EKS Pod Identity associations (moto 5.2.5 has none): Create, Describe, List (filters
namespace and serviceAccount), Update (roleArn), Delete; and the associations an add-on owns
(`podIdentityAssociations` of CreateAddon/UpdateAddon, see eks_addons.py).

Rules (InvalidParameterException unless said):
- the role must exist (as EKS sees it: `iam_role.propagate`) and its trust policy must let
  the service principal pods.eks.amazonaws.com call both sts:AssumeRole and sts:TagSession
  (EKS User Guide, "Create IAM role with trust policy required by EKS Pod Identity"). AWS:
  "Trust policy of the role provided is invalid" (terraform-provider-aws #41483). The answer
  for a role that does not exist is not documented; the same message is used.
- one association per namespace and service account: ResourceInUseException (wording
  assumed: "Association already exists: a-...").
- an unknown association id: ResourceNotFoundException (wording assumed)."""

from __future__ import annotations

import json
import random
import string
from typing import Any
from urllib.parse import unquote

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.eks import urls as eks_urls
from moto.eks.exceptions import EKSError, ResourceInUseException, ResourceNotFoundException
from moto.eks.responses import EKSResponse

from . import add, eks_rules, iam
from .eks_common import get_cluster

PODS_PRINCIPAL = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = ("sts:AssumeRole", "sts:TagSession")


class Association:
    def __init__(self, cluster: Any, namespace: str, service_account: str, role_arn: str,
                 tags: dict[str, str] | None, owner_arn: str | None = None) -> None:
        self.association_id = "a-" + "".join(random.choices(string.ascii_lowercase + string.digits, k=17))
        self.cluster_name = cluster.name
        self.namespace = namespace
        self.service_account = service_account
        self.role_arn = role_arn
        self.tags = dict(tags or {})
        self.owner_arn = owner_arn
        self.association_arn = cluster.arn.replace(":cluster/", ":podidentityassociation/", 1) + (
            f"/{self.association_id}"
        )
        self.created_at = utcnow()
        self.modified_at = self.created_at

    def to_dict(self) -> dict[str, Any]:
        out = {
            "clusterName": self.cluster_name, "namespace": self.namespace,
            "serviceAccount": self.service_account, "roleArn": self.role_arn,
            "associationArn": self.association_arn, "associationId": self.association_id,
            "tags": self.tags, "createdAt": self.created_at, "modifiedAt": self.modified_at,
            "disableSessionTags": False,
        }
        if self.owner_arn:
            out["ownerArn"] = self.owner_arn
        return out

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in self.to_dict().items() if k in (
            "clusterName", "namespace", "serviceAccount", "associationArn", "associationId", "ownerArn")}
        return out


def associations_of(cluster: Any) -> dict[str, Association]:
    found = cluster.__dict__.get("_mosia_pod_identity")
    if found is None:
        found = cluster.__dict__["_mosia_pod_identity"] = {}
    return found


def trusts_pods(role: Any) -> bool:
    """Whether an Allow statement for pods.eks.amazonaws.com grants sts:AssumeRole and
    sts:TagSession (across statements; sts:* or * count)."""
    document = role.assume_role_policy_document or ""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            try:
                document = json.loads(unquote(document))
            except ValueError:
                return False
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    statements = [statements] if isinstance(statements, dict) else statements
    granted: set[str] = set()
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        if principal != "*" and PODS_PRINCIPAL not in services:
            continue
        actions = st.get("Action", [])
        granted.update([actions] if isinstance(actions, str) else actions)
    if granted & {"sts:*", "*"}:
        return True
    return all(a in granted for a in POD_IDENTITY_ACTIONS)


def check_role(role_arn: str, cluster: str) -> None:
    role = iam.visible_role(role_arn)
    if role is None or not trusts_pods(role):
        raise eks_rules.invalid("Trust policy of the role provided is invalid", cluster)


def create(cluster: Any, namespace: str, service_account: str, role_arn: str,
           tags: dict[str, str] | None, owner_arn: str | None = None) -> Association:
    """A new association after the rules (raises EKSError)."""
    check_role(role_arn, cluster.name)
    for existing in associations_of(cluster).values():
        if existing.namespace == namespace and existing.service_account == service_account:
            raise ResourceInUseException(
                clusterName=cluster.name, nodegroupName=None, addonName=None,
                message=f"Association already exists: {existing.association_id}",
            )
    association = Association(cluster, namespace, service_account, role_arn, tags, owner_arn)
    associations_of(cluster)[association.association_id] = association
    return association


def get(cluster: Any, association_id: str) -> Association:
    found = associations_of(cluster).get(association_id)
    if found is None:
        raise ResourceNotFoundException(
            clusterName=cluster.name, nodegroupName=None, fargateProfileName=None, addonName=None,
            message=f"No Pod Identity Association found with id: {association_id}",
        )
    return found


def apply() -> None:
    for path in (
        "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations$",
        "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations/(?P<associationId>[^/]+)$",
    ):
        eks_urls.url_paths.setdefault(path, eks_urls.response.dispatch)

    @add(EKSResponse)
    def create_pod_identity_association(self: EKSResponse) -> ActionResult:
        cluster = get_cluster(self.eks_backend, self._get_param("name"))
        try:
            association = create(
                cluster, self._get_param("namespace"), self._get_param("serviceAccount"),
                self._get_param("roleArn"), self._get_param("tags"),
            )
        except EKSError as err:
            raise eks_rules.refuse(err, "CreatePodIdentityAssociation")
        return ActionResult({"association": association.to_dict()})

    @add(EKSResponse)
    def describe_pod_identity_association(self: EKSResponse) -> ActionResult:
        cluster = get_cluster(self.eks_backend, self._get_param("name"))
        return ActionResult({"association": get(cluster, self._get_param("associationId")).to_dict()})

    @add(EKSResponse)
    def list_pod_identity_associations(self: EKSResponse) -> ActionResult:
        cluster = get_cluster(self.eks_backend, self._get_param("name"))
        namespace = self._get_param("namespace")
        account = self._get_param("serviceAccount")
        found = [
            a.summary()
            for a in sorted(associations_of(cluster).values(), key=lambda a: a.created_at)
            if (not namespace or a.namespace == namespace)
            and (not account or a.service_account == account)
        ]
        return ActionResult({"associations": found})

    @add(EKSResponse)
    def update_pod_identity_association(self: EKSResponse) -> ActionResult:
        cluster = get_cluster(self.eks_backend, self._get_param("name"))
        association = get(cluster, self._get_param("associationId"))
        role_arn = self._get_param("roleArn")
        if role_arn:
            try:
                check_role(role_arn, cluster.name)
            except EKSError as err:
                raise eks_rules.refuse(err, "UpdatePodIdentityAssociation")
            association.role_arn = role_arn
            association.modified_at = utcnow()
        return ActionResult({"association": association.to_dict()})

    @add(EKSResponse)
    def delete_pod_identity_association(self: EKSResponse) -> ActionResult:
        cluster = get_cluster(self.eks_backend, self._get_param("name"))
        association = get(cluster, self._get_param("associationId"))
        del associations_of(cluster)[association.association_id]
        return ActionResult({"association": association.to_dict()})

