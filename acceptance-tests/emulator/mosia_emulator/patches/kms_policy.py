"""KMS key policies: a small evaluator of key policy documents (used here for the policy
lockout safety check and by `logs_keys` for CloudWatch Logs' access to a key), and AWS's rules
for CreateKey `Policy`, PutKeyPolicy and GetKeyPolicy (moto 5.2.5 stores any string, malformed
JSON included, and refuses a request without PolicyName). CreateKey without KeyUsage makes an
ENCRYPT_DECRYPT key (CreateKey reference, "Default: ENCRYPT_DECRYPT"; moto left it null).

Applied for the "kms" service: `apply` applies `kms_rules` first.

Sources:
- KMS API reference, PutKeyPolicy and CreateKey, `Policy`: "The key policy must allow the
  calling principal to make a subsequent PutKeyPolicy request on the KMS key ... (To omit
  this condition, set BypassPolicyLockoutSafetyCheck to true.)"; "Each statement in the key
  policy must contain one or more principals. The principals in the key policy must exist
  and be visible to KMS"; "If either of the required Resource or Action elements are missing
  from a key policy statement, the policy statement has no effect ... the PutKeyPolicy API
  request succeeds"; errors MalformedPolicyDocumentException ("The request was rejected
  because the specified policy is not syntactically or semantically correct").
- KMS API reference, PutKeyPolicy / GetKeyPolicy `PolicyName`: optional, "If no policy name is
  specified, the default value is default. Valid values are default and AWS_RAM, but you can
  set only the default key policy ... If you specify AWS_RAM, the request fails with a
  ValidationException" (botocore's kms model; moto answered NotFoundException without it).
- KMS Developer Guide, "Default key policy" (the statement "Enable IAM User Permissions":
  principal `arn:aws:iam::ACCOUNT:root`, `kms:*`, gives the account, hence its IAM
  principals, access to the key) and "Key policies" / "Elements in a key policy" (Resource is
  `*` for the key itself; Principal `*`, an account ID or `arn:aws:iam::ACCOUNT:root`, an IAM
  user or role ARN, or `{"Service": ...}`; conditions with the IAM operators).
- The lockout refusal's message "The new key policy will not allow you to update the key
  policy in the future." (MalformedPolicyDocumentException, terraform-aws-modules/
  terraform-aws-eks #2843, trussworks/terraform-aws-cloudtrail #178, data-dot-all #956 on
  PutKeyPolicy); "Policy contains a statement with one or more invalid principals." for a
  principal that does not exist (terraform-aws-modules/terraform-aws-kms #30,
  LBHackney-IT/Data-Platform #2238); malformed JSON: the same code with an empty message
  (aws/aws-sdk-ruby #1784). The message for a statement without a principal is assumed.

The caller is who STS says (`sts.py`: moto's default credentials are
`arn:aws:iam::123456789012:user/moto`; an assumed-role session counts as its role). A policy
lets the caller call kms:PutKeyPolicy when an Allow statement with that action names the
caller, its account (`arn:aws:iam::ACCOUNT:root` or the bare account ID) or `*`, and no
unconditional Deny statement takes it away; conditions of Allow statements are not evaluated
for the caller (their keys are not known before the call). Only IAM users and roles of the
key's own account are checked for existence."""

from __future__ import annotations

import fnmatch
import json
from typing import Any, Iterable

from moto.core.exceptions import JsonRESTError
from moto.kms.exceptions import ValidationException
from moto.kms.responses import KmsResponse

from .. import rejections
from . import kms_rules, wrap
from .kms_managed import customer_key

DEFAULT_POLICY_NAME = "default"
LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."
INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals."
NO_PRINCIPAL = "Policy contains a statement with no principal."  # wording assumed


class MalformedPolicyDocumentException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("MalformedPolicyDocumentException", message)


# ---------------------------------------------------------------------------------------------
# Keys as the services that encrypt with them see them


def usable_key(account: str, region: str, key_id: str) -> Any | None:
    """The key a service of `region` can encrypt with (`kms_managed.customer_key`): it exists
    in that Region, is enabled (not disabled, not pending deletion) and is a symmetric
    encryption key (RDS, ElastiCache, Secrets Manager and CloudWatch Logs use only those).
    None otherwise."""
    key = customer_key(account, region, key_id)
    if key is None or getattr(key, "region", region) != region:
        return None
    if key.key_state != "Enabled" or not key.enabled:
        return None
    usage = getattr(key, "key_usage", None) or "ENCRYPT_DECRYPT"
    if key.key_spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return None
    return key


# ---------------------------------------------------------------------------------------------
# The evaluator


def parse(document: str | None) -> dict[str, Any]:
    """The policy document as a dict; ValueError when it is not a JSON object."""
    value = json.loads(document or "")
    if not isinstance(value, dict):
        raise ValueError("a policy document is a JSON object")
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in as_list(policy.get("Statement")) if isinstance(s, dict)]


def action_matches(patterns: Iterable[str], action: str) -> bool:
    """IAM action matching: case-insensitive, `*` and `?` wildcards (`kms:*`, `*`)."""
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in patterns)


def arn_like(value: str, pattern: str) -> bool:
    """ArnLike: each of the six colon-separated parts matched with wildcards."""
    v, p = value.split(":", 5), str(pattern).split(":", 5)
    if len(p) < 6:  # `*` or a pattern that is not an ARN: the whole string
        return fnmatch.fnmatchcase(value, str(pattern))
    return len(v) == 6 and all(fnmatch.fnmatchcase(a, b) for a, b in zip(v, p))


def _string_like(value: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(value, str(pattern))


# Operator -> (test of one context value against one policy value, negated).
OPERATORS: dict[str, tuple[Any, bool]] = {
    "StringEquals": (lambda v, p: v == str(p), False),
    "StringNotEquals": (lambda v, p: v == str(p), True),
    "StringEqualsIgnoreCase": (lambda v, p: v.lower() == str(p).lower(), False),
    "StringNotEqualsIgnoreCase": (lambda v, p: v.lower() == str(p).lower(), True),
    "StringLike": (_string_like, False),
    "StringNotLike": (_string_like, True),
    "ArnEquals": (lambda v, p: v == str(p), False),
    "ArnNotEquals": (lambda v, p: v == str(p), True),
    "ArnLike": (arn_like, False),
    "ArnNotLike": (arn_like, True),
    "Bool": (lambda v, p: v.lower() == str(p).lower(), False),
}


def condition_matches(condition: Any, context: dict[str, str]) -> bool:
    """Every operator's every key is satisfied by the request context (keys compared
    case-insensitively; `...IfExists` holds when the key is absent; `Null`). An operator the
    evaluator does not know is not satisfied."""
    if not condition:
        return True
    if not isinstance(condition, dict):
        return False
    ctx = {k.lower(): v for k, v in context.items()}
    for operator, block in condition.items():
        if not isinstance(block, dict):
            return False
        if_exists = operator.endswith("IfExists")
        name = operator[: -len("IfExists")] if if_exists else operator
        for key, wanted in block.items():
            present = key.lower() in ctx
            if name == "Null":
                if any(str(w).lower() == "true" for w in as_list(wanted)) == present:
                    return False
                continue
            known = OPERATORS.get(name)
            if known is None:
                return False
            if not present:
                if if_exists:
                    continue
                return False
            test, negated = known
            hit = any(test(ctx[key.lower()], w) for w in as_list(wanted))
            if hit == negated:
                return False
    return True


def _principals(statement: dict[str, Any], field: str) -> tuple[bool, list[str], list[str]]:
    """(anyone, AWS principals, service principals) of Principal or NotPrincipal."""
    value = statement.get(field)
    if value == "*":
        return True, [], []
    if not isinstance(value, dict):
        return False, [], []
    aws = [str(p) for p in as_list(value.get("AWS"))]
    services = [str(p) for p in as_list(value.get("Service"))]
    return "*" in aws, aws, services


def principal_matches(statement: dict[str, Any], aws: Iterable[str] = (), service: str | None = None) -> bool:
    """Whether the statement's Principal (or NotPrincipal) covers the caller: any of the
    `aws` identities (the caller's ARN and what stands for it: its account root, the bare
    account ID, its role) or the `service` principal."""
    names = {a for a in aws}
    if "Principal" in statement:
        anyone, listed, services = _principals(statement, "Principal")
        return anyone or bool(names & set(listed)) or (service is not None and service in services)
    if "NotPrincipal" in statement:
        anyone, listed, services = _principals(statement, "NotPrincipal")
        return not (anyone or names & set(listed) or (service is not None and service in services))
    return False


def resource_matches(statement: dict[str, Any], key_arn: str | None) -> bool:
    """Resource is required (a statement without it has no effect); in a key policy it is
    `*` (the key itself) or the key's ARN."""
    if "Resource" in statement:
        return any(p == "*" or key_arn is None or arn_like(key_arn, p) for p in as_list(statement["Resource"]))
    if "NotResource" in statement:
        return key_arn is not None and not any(arn_like(key_arn, p) for p in as_list(statement["NotResource"]))
    return False


def statement_action(statement: dict[str, Any], action: str) -> bool:
    if "Action" in statement:
        return action_matches(as_list(statement["Action"]), action)
    if "NotAction" in statement:
        return not action_matches(as_list(statement["NotAction"]), action)
    return False  # no Action: no effect


def allows(
    policy: dict[str, Any],
    action: str,
    *,
    aws: Iterable[str] = (),
    service: str | None = None,
    context: dict[str, str] | None = None,
    key_arn: str | None = None,
    evaluate_conditions: bool = True,
) -> bool:
    """An Allow statement grants `action` to the caller and no Deny statement refuses it.
    Without `evaluate_conditions`, an Allow's condition is taken as met and a conditional
    Deny as not applying."""
    aws = list(aws)
    allowed = False
    for s in statements(policy):
        if not (statement_action(s, action) and resource_matches(s, key_arn) and principal_matches(s, aws, service)):
            continue
        effect = s.get("Effect")
        if evaluate_conditions:
            applies = condition_matches(s.get("Condition"), context or {})
        else:
            applies = effect == "Allow" or not s.get("Condition")
        if not applies:
            continue
        if effect == "Deny":
            return False
        if effect == "Allow":
            allowed = True
    return allowed


# ---------------------------------------------------------------------------------------------
# The KMS rules


def caller_identities(response: KmsResponse) -> list[str]:
    """The caller's ARN and the principals that stand for it in a key policy."""
    from moto.sts.models import sts_backends

    account = response.current_account
    _, arn, caller_account = sts_backends[account]["global"].get_caller_identity(
        response.get_access_key(), response.region
    )
    parts = arn.split(":", 5)
    partition = parts[1] if len(parts) == 6 else "aws"
    names = [arn, caller_account, f"arn:{partition}:iam::{caller_account}:root"]
    if len(parts) == 6 and parts[5].startswith("assumed-role/"):
        role = parts[5].split("/")[1]
        names.append(f"arn:{partition}:iam::{caller_account}:role/{role}")
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("user/"):
        names.append(f"arn:{partition}:iam::{caller_account}:{parts[5]}")
    return names


def missing_principals(policy: dict[str, Any], account: str, partition: str, caller: Iterable[str] = ()) -> bool:
    """An IAM user or role of the key's account named in the policy that IAM does not know
    (the caller exists: moto's default credentials have no IAM user behind them)."""
    from moto.iam.models import iam_backends

    try:
        iam = iam_backends[account][partition]
    except KeyError:
        return False
    roles = {r.arn for r in iam.roles.values()} | {c for c in caller if ":role/" in c}
    users = {u.arn for u in iam.users.values()} | {c for c in caller if ":user/" in c}
    for s in statements(policy):
        for field in ("Principal", "NotPrincipal"):
            _, listed, _ = _principals(s, field)
            for p in listed:
                parts = p.split(":", 5)
                if len(parts) != 6 or parts[2] != "iam" or parts[4] != account:
                    continue
                resource = parts[5]
                if resource.startswith("role/") and p not in roles:
                    return True
                if resource.startswith("user/") and p not in users:
                    return True
    return False


def check_policy(response: KmsResponse, document: str | None, key_arn: str | None, operation: str) -> None:
    """The policy is a JSON object whose statements name principals that exist and, without
    BypassPolicyLockoutSafetyCheck, let the caller put the key policy again."""
    try:
        policy = parse(document)
    except ValueError:
        raise rejections.rule(MalformedPolicyDocumentException(""), "kms", operation)
    for s in statements(policy):
        if "Principal" not in s and "NotPrincipal" not in s:
            raise rejections.rule(MalformedPolicyDocumentException(NO_PRINCIPAL), "kms", operation)
    partition = (key_arn or "arn:aws").split(":")[1]
    caller = caller_identities(response)
    if missing_principals(policy, response.current_account, partition, caller):
        raise rejections.rule(MalformedPolicyDocumentException(INVALID_PRINCIPALS), "kms", operation)
    bypass = response._get_param("BypassPolicyLockoutSafetyCheck")
    if bypass is True or str(bypass).lower() == "true":
        return
    if not allows(policy, "kms:PutKeyPolicy", aws=caller, key_arn=key_arn,
                  evaluate_conditions=False):
        raise rejections.rule(MalformedPolicyDocumentException(LOCKOUT_MESSAGE), "kms", operation)


def check_policy_name(response: KmsResponse, operation: str) -> None:
    """`AWS_RAM` cannot be set (ValidationException; wording assumed); an absent PolicyName
    is `default` (`accept_absent_policy_name`)."""
    if response._get_param("PolicyName") == "AWS_RAM" and operation == "PutKeyPolicy":
        raise rejections.rule(
            ValidationException("You can set only the default key policy: RAM manages the AWS_RAM key policy."),
            "kms",
            operation,
        )


def accept_absent_policy_name() -> None:
    """moto refuses a request without PolicyName (NotFoundException "No such policy exists");
    KMS reads it as `default`."""
    from moto.kms import responses

    original = responses._assert_default_policy

    def assert_default_policy(policy_name: str | None) -> None:
        original(DEFAULT_POLICY_NAME if policy_name is None else policy_name)

    responses._assert_default_policy = assert_default_policy


def apply(state: Any) -> None:
    kms_rules.apply(state)
    accept_absent_policy_name()

    @wrap(KmsResponse, "create_key")
    def create_key(orig: Any, self: KmsResponse) -> Any:
        document = self._get_param("Policy")
        if document is not None:
            check_policy(self, document, None, "CreateKey")
        result = orig(self)
        # KeyUsage defaults to ENCRYPT_DECRYPT (CreateKey reference; moto left it null).
        key = kms_rules.key_of(self, json.loads(result)["KeyMetadata"]["KeyId"])
        if key is not None and not key.key_usage and key.key_spec == "SYMMETRIC_DEFAULT":
            key.key_usage = "ENCRYPT_DECRYPT"
            result = json.dumps(key.to_dict())
        return result

    @wrap(KmsResponse, "put_key_policy")
    def put_key_policy(orig: Any, self: KmsResponse) -> Any:
        check_policy_name(self, "PutKeyPolicy")
        key = kms_rules.key_of(self, self._get_param("KeyId"))
        if key is not None:
            check_policy(self, self._get_param("Policy"), key.arn, "PutKeyPolicy")
        return orig(self)
