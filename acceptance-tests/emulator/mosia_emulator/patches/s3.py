"""S3 behaviour that moto 5.2.5 gets differently from AWS.

- GetBucketVersioning: AWS's body root is <VersioningConfiguration>; moto answers
  <GetBucketVersioningResponse>, which boto3 tolerates and the AWS SDK for Rust rejects
  ("expected VersioningConfiguration").
- Bucket policies: moto ignores a statement's Condition, so the usual TLS-only statement
  (Deny when aws:SecureTransport is "false") denies every object request, Terraform's own
  state writes included. The emulator stands in for AWS's HTTPS endpoint, so requests
  count as secure; statements with other conditions, which the emulator cannot evaluate,
  are left out.
"""

from __future__ import annotations

import json
from typing import Any

from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


def _condition_matches(condition: dict[str, Any]) -> bool | None:
    """True/False when every test is one we can evaluate; None otherwise."""
    for operator, tests in condition.items():
        if operator != "Bool" or not isinstance(tests, dict):
            return None
        for key, expected in tests.items():
            if key not in REQUEST_CONTEXT:
                return None
            allowed = expected if isinstance(expected, list) else [expected]
            if REQUEST_CONTEXT[key] not in [str(a).lower() for a in allowed]:
                return False
    return True


def effective_policy(policy: str) -> str:
    """The policy with statements whose conditions do not apply to this request removed."""
    doc = json.loads(policy)
    statements = doc.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = []
    for s in statements:
        cond = s.get("Condition")
        if not cond:
            kept.append(s)
        elif _condition_matches(cond):
            kept.append({k: v for k, v in s.items() if k != "Condition"})
    doc["Statement"] = kept
    return json.dumps(doc)


def apply(_state: Any) -> None:
    def get_bucket_versioning(self: Any) -> Any:
        status = self.backend.get_bucket_versioning(self.bucket_name)
        inner = f"<Status>{status}</Status>" if status else ""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<VersioningConfiguration xmlns="{S3_NS}">{inner}</VersioningConfiguration>'
        )
        return 200, {"Content-Type": "application/xml"}, body

    S3Response.get_bucket_versioning = get_bucket_versioning

    def get_permission(self: Any, action: str, resource: str) -> Any:
        from moto.iam.access_control import IAMPolicy, PermissionResult

        if self.policy is None:
            return PermissionResult.NEUTRAL
        raw = self.policy.decode() if isinstance(self.policy, bytes) else self.policy
        try:
            policy = effective_policy(raw)
        except (ValueError, AttributeError):
            policy = raw
        return IAMPolicy(policy).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission
