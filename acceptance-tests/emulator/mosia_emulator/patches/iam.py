"""IAM: AWS rules and timing behaviours for the calls the provider makes.

IAM is eventually consistent: a role (and a policy attachment) is visible to IAM's own API at
once, but the services that assume it (EKS) see it only after a while; until then EKS answers
as if the role did not exist. This module stamps role creation and policy attachment times;
`patches.eks_rules` asks `visible_role` / `visible_policies` with the configured duration
`iam_role.propagate` (0 s by default: `POST /_mosia/durations {"iam_role": {"propagate": 8}}`).

Roles created before these patches were applied (or with no stamp) count as propagated.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import unquote

from moto.iam.models import IAMBackend, iam_backends

from .. import lifecycle
from . import wrap

KIND = "iam_role"


def propagation_seconds() -> float:
    return lifecycle.DURATIONS.get(KIND, "propagate")


def stamps(role: Any) -> dict[str, float]:
    """Monotonic times: "created" and "policy:<arn>" per attachment."""
    found = role.__dict__.get("_mosia_stamps")
    if found is None:
        found = role.__dict__["_mosia_stamps"] = {}
    return found


def _settled(stamp: float | None) -> bool:
    return stamp is None or time.monotonic() - stamp >= propagation_seconds()


def find_role(role_arn: str) -> Any:
    """The role an ARN names (`arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`), or None."""
    parts = (role_arn or "").split(":", 5)
    if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
        return None
    partition, account = parts[1], parts[4]
    try:
        backend = iam_backends[account][partition]
    except KeyError:
        return None
    name = parts[5].rsplit("/", 1)[-1]
    for role in backend.roles.values():
        if role.arn == role_arn or (role.name == name and parts[5] == f"role/{name}"):
            return role
    return None


def visible_role(role_arn: str) -> Any:
    """The role as another AWS service sees it: None while it does not exist, or was created
    less than `iam_role.propagate` seconds ago."""
    role = find_role(role_arn)
    if role is None or not _settled(stamps(role).get("created")):
        return None
    return role


def visible_policies(role: Any) -> set[str]:
    """ARNs of the managed policies attached to `role` long enough ago to be seen by other
    services (attachments propagate like roles do)."""
    marks = stamps(role)
    return {arn for arn in role.managed_policies if _settled(marks.get(f"policy:{arn}"))}


def trusts_service(role: Any, service: str) -> bool:
    """Whether the role's trust policy lets `service` (e.g. eks.amazonaws.com) call
    sts:AssumeRole: an Allow statement with that service principal (or "*")."""
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
    if isinstance(statements, dict):
        statements = [statements]
    for st in statements:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        actions = st.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            continue
        principal = st.get("Principal")
        if principal == "*":
            return True
        services = (principal or {}).get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        if service in services:
            return True
    return False


def check_policy_json(document: Any, operation: str) -> None:
    """AWS parses every policy document; one that is not JSON is MalformedPolicyDocument."""
    from moto.iam.exceptions import MalformedPolicyDocument

    from .. import rejections

    text = document if isinstance(document, str) else json.dumps(document)
    for candidate in (text, unquote(text)):
        try:
            json.loads(candidate)
            return
        except ValueError:
            continue
    raise rejections.rule(
        MalformedPolicyDocument("This policy contains invalid Json"), "iam", operation
    )


def apply(state: Any) -> None:
    _ = state

    @wrap(IAMBackend, "create_role")
    def create_role(orig: Any, self: IAMBackend, *args: Any, **kwargs: Any) -> Any:
        """Refuse a trust policy that is not JSON (AWS: MalformedPolicyDocument, "This policy
        contains invalid Json"; moto stored anything), then stamp the creation time: EKS
        cannot assume the role for `iam_role.propagate` s."""
        document = kwargs.get("assume_role_policy_document", args[1] if len(args) > 1 else "")
        check_policy_json(document, "CreateRole")
        role = orig(self, *args, **kwargs)
        stamps(role)["created"] = time.monotonic()
        return role

    @wrap(IAMBackend, "attach_role_policy")
    def attach_role_policy(orig: Any, self: IAMBackend, policy_arn: str, role_name: str) -> Any:
        """Stamp the attachment: EKS sees the policy only `iam_role.propagate` s later."""
        result = orig(self, policy_arn, role_name)
        role = self.get_role(role_name)
        stamps(role).setdefault(f"policy:{policy_arn}", time.monotonic())
        return result

    @wrap(IAMBackend, "detach_role_policy")
    def detach_role_policy(orig: Any, self: IAMBackend, policy_arn: str, role_name: str) -> Any:
        result = orig(self, policy_arn, role_name)
        stamps(self.get_role(role_name)).pop(f"policy:{policy_arn}", None)
        return result
