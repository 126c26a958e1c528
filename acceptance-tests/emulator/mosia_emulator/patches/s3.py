"""S3 behaviour that moto 5.2.5 gets differently from AWS.

- GetBucketVersioning: AWS's body root is <VersioningConfiguration>; moto answers
  <GetBucketVersioningResponse>, which boto3 tolerates and the AWS SDK for Rust rejects
  ("expected VersioningConfiguration").
- Bucket policies: moto ignores a statement's Condition, so the usual TLS-only statement
  (Deny when aws:SecureTransport is "false") denies every object request, Terraform's own
  state writes included. The emulator stands in for AWS's HTTPS endpoint, so requests
  count as secure; statements with other conditions, which the emulator cannot evaluate,
  are left out.

AWS rules moto skips, for the calls of a Terraform state backend (each with its source):
- bucket names (S3 User Guide, "General purpose bucket naming rules"): InvalidBucketName;
- PutBucketEncryption: a KMS key only with aws:kms / aws:kms:dsse (InvalidArgument), an
  algorithm from the model's enum (MalformedXML);
- PutBucketLifecycleConfiguration: day counts are positive integers (InvalidArgument);
- PutBucketTagging: at most 50 tags (BadRequest), keys up to 128 and values up to 256
  characters (InvalidTag);
- PutBucketPolicy: valid JSON with a Statement, on this bucket's resources (MalformedPolicy).
Location constraints (IllegalLocationConstraintException, InvalidLocationConstraint) and
BucketNotEmpty (object versions and delete markers count) moto already enforces.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from moto.s3.exceptions import (
    BadRequest,
    InvalidArgumentError,
    InvalidBucketName,
    InvalidTagError,
    MalformedXML,
    S3ClientError,
)
from moto.s3.models import FakeBucket, S3Backend
from moto.s3.responses import S3Response

from .. import rejections
from . import wrap

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




# S3 User Guide, "General purpose bucket naming rules".
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse", "aws:fsx")


def bucket_name_valid(name: str) -> bool:
    """3-63 characters: lowercase letters, digits, dots and hyphens, starting and ending with
    a letter or digit; no two adjacent dots; not an IP address; no reserved prefix or suffix."""
    if not BUCKET_NAME.match(name) or ".." in name:
        return False
    try:
        ipaddress.IPv4Address(name)
        return False
    except ValueError:
        pass
    return not name.startswith(RESERVED_PREFIXES) and not name.endswith(RESERVED_SUFFIXES)


def _rules(rule: Any) -> list[dict[str, Any]]:
    return [r for r in (rule if isinstance(rule, list) else [rule]) if isinstance(r, dict)]


def _positive(value: Any) -> bool:
    try:
        return int(str(value)) > 0
    except ValueError:
        return False


def check_encryption(config: dict[str, Any]) -> None:
    """A KMSMasterKeyID only with aws:kms or aws:kms:dsse (the error LocalStack reproduces
    from AWS: InvalidArgument "a KMSMasterKeyID is not applicable if the default sse
    algorithm is not aws:kms or aws:kms:dsse")."""
    for rule in _rules(config.get("Rule")):
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if default.get("SSEAlgorithm") not in SSE_ALGORITHMS:
            raise MalformedXML()  # an algorithm outside the API model's enum
        if default.get("KMSMasterKeyID") and default.get("SSEAlgorithm") not in ("aws:kms", "aws:kms:dsse"):
            raise InvalidArgumentError(
                "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
                "ApplyServerSideEncryptionByDefault",
                str(default.get("SSEAlgorithm")),
            )


def check_lifecycle(rules: list[dict[str, Any]]) -> None:
    """Day counts must be positive integers (InvalidArgument "'NoncurrentDays' for
    NoncurrentVersionExpiration action must be a positive integer", as CloudFormation reports
    it from S3)."""
    fields = (
        ("NoncurrentVersionExpiration", "NoncurrentDays"),
        ("Expiration", "Days"),
        ("AbortIncompleteMultipartUpload", "DaysAfterInitiation"),
    )
    for rule in rules:
        for action, field in fields:
            value = (rule.get(action) or {}).get(field) if isinstance(rule.get(action), dict) else None
            if value is not None and not _positive(value):
                raise InvalidArgumentError(
                    f"'{field}' for {action} action must be a positive integer", field, str(value)
                )


def check_tags(tags: dict[str, str]) -> None:
    """At most 50 tags on a bucket; keys up to 128 characters, values up to 256 (S3 User
    Guide, "Using cost allocation S3 bucket tags"; messages as S3-compatible servers copy
    them from AWS)."""
    if len(tags) > 50:
        raise BadRequest("Bucket tag count cannot be greater than 50")
    for key, value in tags.items():
        if len(key) > 128:
            raise InvalidTagError("The TagKey you have provided is too long, max 128")
        if len(value or "") > 256:
            raise InvalidTagError("The TagValue you have provided is too long, max 256")


def check_policy(bucket: str, policy: Any) -> None:
    """MalformedPolicy for a policy that is not JSON, has no Statement, or names resources
    outside the bucket ("Policy has invalid resource", S3 User Guide, "Adding a bucket policy
    by using the Amazon S3 console")."""
    raw = policy.decode() if isinstance(policy, bytes) else str(policy or "")
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not raw.lstrip().startswith("{"):
        raise S3ClientError("MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'")
    statements = doc.get("Statement")
    if not statements:
        raise S3ClientError("MalformedPolicy", "Missing required field Statement")
    own = re.compile(r"^arn:aws(-[a-z-]+)?:s3:::" + re.escape(bucket) + r"(/.*)?$")
    for statement in statements if isinstance(statements, list) else [statements]:
        resources = statement.get("Resource", []) if isinstance(statement, dict) else []
        for resource in resources if isinstance(resources, list) else [resources]:
            if not own.match(str(resource)):
                raise S3ClientError("MalformedPolicy", "Policy has invalid resource")


def with_new_bucket_defaults(bucket: FakeBucket) -> None:
    """What every new bucket has on AWS (moto: none of it, so Get* answered NotFound): SSE-S3
    default encryption (since January 2023), all four Block Public Access settings on and
    ACLs disabled by `BucketOwnerEnforced` (since April 2023). A create that asks for another
    object ownership (x-amz-object-ownership) still gets it: moto sets it after this."""
    from moto.s3.models import PublicAccessBlock

    bucket.encryption = {
        "Rule": {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": "false"}
    }
    bucket.public_access_block = PublicAccessBlock("true", "true", "true", "true")
    bucket.ownership_rule = "BucketOwnerEnforced"


def apply_rules() -> None:
    @wrap(S3Backend, "create_bucket")
    def create_bucket(orig: Any, self: S3Backend, bucket_name: str, *args: Any, **kwargs: Any) -> Any:
        if not bucket_name_valid(bucket_name):
            raise rejections.rule(InvalidBucketName(), "s3", "CreateBucket")
        bucket = orig(self, bucket_name, *args, **kwargs)
        with_new_bucket_defaults(bucket)
        return bucket

    @wrap(S3Backend, "put_bucket_encryption")
    def put_bucket_encryption(orig: Any, self: S3Backend, bucket_name: str, encryption: Any) -> Any:
        self.get_bucket(bucket_name)
        _checked("PutBucketEncryption", check_encryption, encryption or {})
        return orig(self, bucket_name, encryption)

    @wrap(S3Backend, "put_bucket_lifecycle")
    def put_bucket_lifecycle(orig: Any, self: S3Backend, bucket_name: str, rules: Any) -> Any:
        self.get_bucket(bucket_name)
        _checked("PutBucketLifecycleConfiguration", check_lifecycle, _rules(rules))
        return orig(self, bucket_name, rules)

    @wrap(S3Backend, "put_bucket_tagging")
    def put_bucket_tagging(orig: Any, self: S3Backend, bucket_name: str, tags: Any) -> Any:
        self.get_bucket(bucket_name)
        _checked("PutBucketTagging", check_tags, tags or {})
        return orig(self, bucket_name, tags)

    @wrap(S3Backend, "put_bucket_policy")
    def put_bucket_policy(orig: Any, self: S3Backend, bucket_name: str, policy: Any) -> Any:
        self.get_bucket(bucket_name)
        _checked("PutBucketPolicy", lambda p: check_policy(bucket_name, p), policy)
        return orig(self, bucket_name, policy)


def _checked(operation: str, check: Any, value: Any) -> None:
    try:
        check(value)
    except S3ClientError as e:
        raise rejections.rule(e, "s3", operation) from None


def apply(_state: Any) -> None:
    apply_rules()

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
