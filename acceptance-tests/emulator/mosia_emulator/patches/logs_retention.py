"""CloudWatch Logs: log groups as the provider manages them: CreateLogGroup (tags, kmsKeyId),
PutRetentionPolicy / DeleteRetentionPolicy, DescribeLogGroups, DeleteLogGroup and the tagging
calls by log group ARN (TagResource, UntagResource, ListTagsForResource).

Applied in place of `logs` (the `logs` entry of `patches.MODULES`): `apply` runs
`logs_keys.apply` first (which applies `logs`), so these wrappers are the outermost ones.

Already served, kept (moto 5.2.5 and the earlier patches):
- PutRetentionPolicy takes only the documented `retentionInDays` values (1, 3, 5, 7, 14, 30,
  60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653; CloudWatch
  Logs API reference, PutRetentionPolicy): InvalidParameterException "1 validation error
  detected: Value 'N' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum
  value set: [...]" (`logs.py`); ResourceNotFoundException "The specified log group does not
  exist." for an unknown group (moto). DeleteRetentionPolicy: moto (the group never expires
  again; DescribeLogGroups leaves `retentionInDays` out).
- CreateLogGroup: ResourceAlreadyExistsException "The specified log group already exists"
  (moto); `tags` (moto); `kmsKeyId` checked (`logs_keys.py`). The name's characters and length
  are the model validation's.
- DescribeLogGroups: `logGroupNamePrefix`, `retentionInDays`, `kmsKeyId`, `arn` (with `:*`) and
  `logGroupArn` (without) (moto, `logs_keys.py`).
- DeleteLogGroup: ResourceNotFoundException for an unknown group (moto).

Fixed or added here:
- Log group names starting with `aws/` are AWS's: InvalidParameterException "Log groups starting
  with AWS/ are reserved for AWS." (CloudWatch Logs API reference, CreateLogGroup: "Log group
  names can't start with the string aws/"; the message as AWS answers it in
  aws-observability/aws-otel-collector#353 and aws-solutions/application-monitoring-with-amazon-
  cloudwatch#11, for `aws/cwagent`). `/aws/...` names (EKS's, Lambda's) are allowed. The check
  ignores case (assumed: AWS's message spells the prefix `AWS/`). moto created such groups.
- Tagging by ARN names an existing log group: TagResource, UntagResource and
  ListTagsForResource with the ARN of a log group that does not exist answer
  ResourceNotFoundException (the message "The specified log group does not exist." is assumed;
  prowler-cloud/prowler#2370 handles ResourceNotFoundException from ListTagsForResource for a log
  group). moto stored and listed tags for any ARN.
- DeleteLogGroup deletes the group's tags: a group created again under the same name starts
  untagged (moto kept the old tags, keyed by the ARN).

Not AWS's words (the model validation answers first, and this module cannot change it): a log
group ARN with the trailing `:*` given to TagResource / ListTagsForResource is refused with
ValidationException, as AWS refuses it (boto/boto3#4104, gruntwork-io/cloud-nuke#1150), but with
the model's pattern message instead of AWS's "Invalid resourceArn".
"""

from __future__ import annotations

from typing import Any

from moto.logs.exceptions import InvalidParameterException, ResourceNotFoundException
from moto.logs.models import LogsBackend, logs_backends
from moto.logs.responses import LogsResponse

from .. import rejections
from . import logs_keys, wrap

RESERVED_PREFIX = "aws/"
RESERVED_MESSAGE = "Log groups starting with AWS/ are reserved for AWS."
TAGGING = ("tag_resource", "untag_resource", "list_tags_for_resource")
OPERATIONS = {"tag_resource": "TagResource", "untag_resource": "UntagResource",
              "list_tags_for_resource": "ListTagsForResource"}


def backend_of(resp: LogsResponse) -> LogsBackend:
    return logs_backends[resp.current_account][resp.region]


def log_group_of_arn(backend: LogsBackend, arn: str) -> Any | None:
    """The log group an ARN `arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME` names, if it
    exists in this account and Region."""
    for group in backend.groups.values():
        if group.arn == arn:
            return group
    return None


def apply(state: Any) -> None:
    logs_keys.apply(state)

    @wrap(LogsResponse, "create_log_group")
    def create_log_group(orig: Any, self: LogsResponse) -> Any:
        name = self._get_param("logGroupName") or ""
        if name.lower().startswith(RESERVED_PREFIX):
            raise rejections.rule(InvalidParameterException(msg=RESERVED_MESSAGE), "logs", "CreateLogGroup")
        return orig(self)

    @wrap(LogsBackend, "delete_log_group")
    def delete_log_group(orig: Any, self: LogsBackend, log_group_name: str) -> Any:
        group = self.groups.get(log_group_name)
        result = orig(self, log_group_name)
        if group is not None:
            self.tagger.delete_all_tags_for_resource(group.arn)
        return result

    for method in TAGGING:

        def tagging(orig: Any, self: LogsResponse, _operation: str = OPERATIONS[method]) -> Any:
            arn = self._get_param("resourceArn") or ""
            if ":log-group:" in arn and log_group_of_arn(backend_of(self), arn) is None:
                raise rejections.rule(
                    ResourceNotFoundException("The specified log group does not exist."), "logs", _operation
                )
            return orig(self)

        wrap(LogsResponse, method)(tagging)
