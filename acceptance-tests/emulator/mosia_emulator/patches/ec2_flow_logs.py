"""EC2 flow logs to CloudWatch Logs: CreateFlowLogs, DescribeFlowLogs, DeleteFlowLogs, and what
happens to a VPC's (or subnet's, network interface's) flow logs when it is deleted.

Applied in place of `ec2` (the `ec2` entry of `patches.MODULES`): `apply` runs `ec2.apply`
first (`ec2_rules`, `ec2_consistency`), so these wrappers are the outermost ones.

moto 5.2.5 has flow logs; kept from it: DeliverLogsPermissionArn is required for
cloud-watch-logs (InvalidParameter "DeliverLogsPermissionArn can't be empty if
LogDestinationType is cloud-watch-logs.", the message AWS answers per moto's tests),
MaxAggregationInterval 60 or 600 (InvalidParameter "Invalid Flow Log Max Aggregation
Interval", moto's wording), LogGroupName or LogDestination required, the default log format,
tags, DescribeFlowLogs' filters (flow-log-id, resource-id, log-group-name, traffic-type,
log-destination-type, tag:KEY, tag-key). TrafficType outside ACCEPT | REJECT | ALL is refused
by the model validation. Destinations other than CloudWatch Logs (S3, Firehose) and resource
types other than VPC, Subnet and NetworkInterface stay moto's.

Fixed or added here (CreateFlowLogs to CloudWatch Logs):
- The role must be assumable by the flow logs service, at once: AWS answers InvalidParameter
  "Unable to assume given IAM role: 'ARN'" (hashicorp/terraform-provider-aws#29323;
  terraform-provider-aws retries CreateFlowLogs on that message for IAM propagation,
  internal/service/ec2/vpc_flow_log.go). A role that does not exist (yet: `iam_role.propagate`,
  as `patches.iam` models it for EKS), belongs to another account ("The IAM role must belong to
  your AWS account", VPC User Guide, "IAM role for publishing flow logs to CloudWatch Logs") or
  whose trust policy does not let `vpc-flow-logs.amazonaws.com` call sts:AssumeRole (same
  page) gets that answer (assumed for the other-account and untrusted cases: AWS cannot assume
  such a role either).
- A role that can be assumed but may not publish makes a flow log that does not deliver:
  DeliverLogsStatus FAILED, DeliverLogsErrorMessage "Access error" (EC2 API reference,
  FlowLog: "Access error indicates that the IAM role associated with the flow log does not have
  sufficient permissions to publish to CloudWatch Logs"; VPC User Guide, "Troubleshoot VPC Flow
  Logs"). The role's inline and attached policies must allow logs:CreateLogStream and
  logs:PutLogEvents on the log group (and logs:CreateLogGroup when the group does not exist
  yet: the guide's minimal policy lists it, and "The log group in CloudWatch Logs is only
  created when traffic is recorded"); an explicit Deny wins. Policy conditions are taken as met.
  AWS reports the status once it tries to deliver; the emulator sets it at creation and does
  not create the log group (it records no traffic). moto set FAILED / "Access error" for a log
  group that does not exist, which AWS documents as allowed ("enter the name of a new log group
  that will be created when you create this flow log", "Create a flow log that publishes to
  CloudWatch Logs").
- A second flow log with the same resource, destination type, destination and traffic type is
  not created: an `Unsuccessful` item FlowLogAlreadyExists "Error. There is an existing Flow
  Log with the same configuration and log destination." (EC2 API error codes reference:
  "FlowLogAlreadyExists: A flow log with the specified configuration already exists"; moto's
  message; AWS answers per-resource failures as `Unsuccessful` items, and terraform-provider-aws
  reads errors from them, unsuccessfulItemsError). moto raised an error for the whole call and
  also counted a different traffic type as a duplicate. (AWS's old quota of 2 flow logs per
  resource is no longer in the VPC quotas page: not enforced.)
- A resource that does not exist is an `Unsuccessful` item, not an error of the call:
  InvalidVpcId.NotFound "Unknown resource vpc-..." (recorded CreateFlowLogs answer in a public
  project's test fixtures, CREATE_FLOW_LOGS_FAILURE); InvalidSubnetId.NotFound and
  InvalidNetworkInterfaceId.NotFound with the same wording are assumed.
- TrafficType is required for VPC, subnet and network interface flow logs (CreateFlowLogs
  reference: "This parameter is not supported for transit gateway resource types. It is
  required for the other resource types."): MissingParameter "The request must contain the
  parameter TrafficType" (EC2's wording for a missing parameter; assumed for this one). moto
  created a flow log without a traffic type.
- TagSpecifications must all be `vpc-flow-log`: InvalidParameterValue "'vpc' is not a valid
  taggable resource type for this operation." (EC2's wording, quoted in deploy logs; moto
  dropped such tags silently).
- DescribeFlowLogs answers LogDestination (the log group's ARN, without `:*`) for a flow log
  created with LogGroupName, and LogGroupName for one created with a log group ARN, as AWS
  describes them (FlowLog reference: logDestination "The Amazon Resource Name (ARN) of the
  destination"; recorded answers in the same fixtures). The `deliver-log-status` filter
  matches the flow log's status (moto: always SUCCESS).
- ClientToken: a request repeated with the same token gets the first answer again
  (CreateFlowLogs reference, "How to ensure idempotency"; EC2 idempotency).

DeleteFlowLogs: unknown IDs are `Unsuccessful` items InvalidFlowLogId.NotFound "These flow log
ids in the input list are not found: [TotalCount: N] IDS" (the same fixtures,
DELETE_FLOW_LOGS_FAILURE; terraform-provider-aws ignores that code on delete) and the known ones
are deleted; moto answered an error for the whole call after deleting the known ones.

DeleteVpc (DeleteSubnet, DeleteNetworkInterface): a flow log does not keep its resource (the VPC
User Guide's "Delete your VPC" lists what must go first: flow logs are not among them), and the
resource's flow logs go with it (assumed: a flow log cannot outlive the resource it watches;
moto kept them).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.core.responses import ActionResult
from moto.ec2.models import EC2Backend
from moto.ec2.models.flow_logs import FlowLogs
from moto.ec2.responses import EC2Response
from moto.ec2.utils import random_flow_log_id

from .. import rejections
from . import ec2, iam, kms_policy, wrap
from .ec2_consistency import error, propagating

SERVICE = "vpc-flow-logs.amazonaws.com"
ACCESS_ERROR = "Access error"
ALREADY_EXISTS = "Error. There is an existing Flow Log with the same configuration and log destination."
# Resource type -> (backend collection, Unsuccessful error code when the resource is unknown).
RESOURCES = {
    "VPC": ("vpcs", "InvalidVpcId.NotFound"),
    "Subnet": ("subnets", "InvalidSubnetId.NotFound"),
    "NetworkInterface": ("enis", "InvalidNetworkInterfaceId.NotFound"),
}
DEFAULT_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
)


# -- helpers -----------------------------------------------------------------------------------------
def unsuccessful(resource_id: str, code: str, message: str, operation: str) -> dict[str, Any]:
    rejections.record("rule", "ec2", operation, code, message)
    return {"ResourceId": resource_id, "Error": {"Code": code, "Message": message}}


def resource_exists(backend: EC2Backend, resource_type: str, resource_id: str) -> bool:
    if propagating(resource_id):
        return False
    if resource_type == "Subnet":
        return any(resource_id in zone for zone in backend.subnets.values())
    return resource_id in getattr(backend, RESOURCES[resource_type][0])


def group_arn(backend: EC2Backend, name: str) -> str:
    return f"arn:{backend.partition}:logs:{backend.region_name}:{backend.account_id}:log-group:{name}"


def group_name_of(arn: str) -> str | None:
    """The log group name of a log group ARN (`...:log-group:NAME`, `:*` tolerated)."""
    if ":log-group:" not in (arn or ""):
        return None
    name = arn.split(":log-group:", 1)[1]
    return name[:-2] if name.endswith(":*") else name


def log_group_exists(backend: EC2Backend, name: str) -> bool:
    from moto.logs.models import logs_backends

    try:
        return name in logs_backends[backend.account_id][backend.region_name].groups
    except KeyError:
        return False


# -- the role ---------------------------------------------------------------------------------------
def assumable_role(backend: EC2Backend, role_arn: str) -> Any | None:
    """The role when the flow logs service can assume it, else None."""
    role = iam.visible_role(role_arn)
    if role is None or role.account_id != backend.account_id:
        return None
    return role if iam.trusts_service(role, SERVICE) else None


def parse_document(document: Any) -> dict[str, Any]:
    if isinstance(document, dict):
        return document
    for text in (document, unquote(str(document or ""))):
        try:
            parsed = json.loads(text)
        except (TypeError, ValueError):
            continue
        if isinstance(parsed, dict):
            return parsed
    return {}


def role_documents(role: Any) -> list[dict[str, Any]]:
    """The role's inline policies and the managed policies attached (as services see them)."""
    docs = [parse_document(d) for d in role.policies.values()]
    for arn in iam.visible_policies(role):
        policy = role.managed_policies.get(arn)
        version = next((v for v in getattr(policy, "versions", []) if v.is_default), None)
        if version is not None:
            docs.append(parse_document(version.document))
    return docs


def _resource_matches(statement: dict[str, Any], resources: list[str]) -> bool:
    def hit(pattern: Any) -> bool:
        return any(pattern == "*" or kms_policy.arn_like(r, str(pattern)) for r in resources)

    if "Resource" in statement:
        return any(hit(p) for p in kms_policy.as_list(statement["Resource"]))
    if "NotResource" in statement:
        return not any(hit(p) for p in kms_policy.as_list(statement["NotResource"]))
    return False


def role_allows(docs: list[dict[str, Any]], action: str, resources: list[str]) -> bool:
    """An identity-policy Allow for `action` on one of `resources`, and no Deny (conditions
    taken as met for an Allow, as not applying for a Deny)."""
    allowed = False
    for doc in docs:
        for statement in kms_policy.statements(doc):
            if not (kms_policy.statement_action(statement, action) and _resource_matches(statement, resources)):
                continue
            if statement.get("Effect") == "Deny" and not statement.get("Condition"):
                return False
            if statement.get("Effect") == "Allow":
                allowed = True
    return allowed


def delivery(backend: EC2Backend, role: Any, group: str) -> tuple[str, str | None]:
    """(DeliverLogsStatus, DeliverLogsErrorMessage) of a flow log publishing to `group`."""
    docs = role_documents(role)
    arn = group_arn(backend, group)
    needed = [
        ("logs:CreateLogStream", [arn, arn + ":*"]),
        ("logs:PutLogEvents", [f"{arn}:log-stream:eni-00000000000000000-all", arn + ":*"]),
    ]
    if not log_group_exists(backend, group):
        needed.append(("logs:CreateLogGroup", [arn, arn + ":*"]))
    if all(role_allows(docs, action, resources) for action, resources in needed):
        return "SUCCESS", None
    rejections.record("rule", "ec2", "CreateFlowLogs", "FAILED", f"DeliverLogsErrorMessage: {ACCESS_ERROR}")
    return "FAILED", ACCESS_ERROR


# -- CreateFlowLogs ----------------------------------------------------------------------------------
def tag_specifications(resp: EC2Response) -> dict[str, str]:
    specs = resp._get_param("TagSpecification", []) or resp._get_param("TagSpecifications", [])
    for spec in specs if isinstance(specs, list) else [specs]:
        kind = spec.get("ResourceType") if isinstance(spec, dict) else None
        if kind != "vpc-flow-log":
            raise error("InvalidParameterValue", f"'{kind}' is not a valid taggable resource type for this operation.")
    return resp._parse_tag_specification().get("vpc-flow-log", {}) if specs else {}


def tokens(backend: EC2Backend) -> dict[str, dict[str, Any]]:
    found = backend.__dict__.get("_mosia_flow_log_tokens")
    if found is None:
        found = backend.__dict__["_mosia_flow_log_tokens"] = {}
    return found


def duplicate(backend: EC2Backend, resource_id: str, destination_type: str, destination: str, traffic: str) -> bool:
    return any(
        (f.resource_id, f.log_destination_type, f.log_destination, f.traffic_type)
        == (resource_id, destination_type, destination, traffic)
        for f in backend.flow_logs.values()
    )


def create_flow_logs(resp: EC2Response) -> dict[str, Any]:
    op = "CreateFlowLogs"
    backend: EC2Backend = resp.ec2_backend
    token = resp._get_param("ClientToken")
    if token and token in tokens(backend):
        return tokens(backend)[token]
    resource_type = resp._get_param("ResourceType")
    resource_ids = resp._get_param("ResourceIds", [])
    traffic = resp._get_param("TrafficType")
    role_arn = resp._get_param("DeliverLogsPermissionArn")
    group = resp._get_param("LogGroupName")
    destination = resp._get_param("LogDestination")
    interval = resp._get_int_param("MaxAggregationInterval")
    interval = 600 if interval is None else interval
    tags = tag_specifications(resp)
    if not traffic:
        raise error("MissingParameter", "The request must contain the parameter TrafficType")
    backend._validate_request(group, destination, "cloud-watch-logs", interval, role_arn)
    resp.error_on_dryrun()
    role = assumable_role(backend, role_arn)
    if role is None:
        raise error("InvalidParameter", f"Unable to assume given IAM role: '{role_arn}'")
    if group is None:
        group = group_name_of(destination)
        if not group:
            raise error("InvalidParameter", f"LogDestination: {destination} is not a valid log group ARN.")
    destination = group_arn(backend, group)
    status, message = delivery(backend, role, group)
    created, failed = [], []
    for resource_id in resource_ids:
        if not resource_exists(backend, resource_type, resource_id):
            failed.append(unsuccessful(resource_id, RESOURCES[resource_type][1], f"Unknown resource {resource_id}", op))
            continue
        if duplicate(backend, resource_id, "cloud-watch-logs", destination, traffic):
            failed.append(unsuccessful(resource_id, "FlowLogAlreadyExists", ALREADY_EXISTS, op))
            continue
        flow_log = FlowLogs(
            backend, random_flow_log_id(), resource_id, traffic, destination, group, role_arn, interval,
            "cloud-watch-logs", resp._get_param("LogFormat") or DEFAULT_FORMAT, status, message,
        )
        flow_log.add_tags(tags)
        backend.flow_logs[flow_log.id] = flow_log
        created.append(flow_log.id)
    result: dict[str, Any] = {"FlowLogIds": created, "Unsuccessful": failed}
    if token:
        result["ClientToken"] = token
        tokens(backend)[token] = result
    return result


def handled_here(resp: EC2Response) -> bool:
    """CloudWatch Logs destinations of VPCs, subnets and network interfaces."""
    destination_type = resp._get_param("LogDestinationType") or "cloud-watch-logs"
    return destination_type == "cloud-watch-logs" and resp._get_param("ResourceType") in RESOURCES


# -- wiring --------------------------------------------------------------------------------------------
def apply(state: Any) -> None:
    ec2.apply(state)

    @wrap(EC2Response, "create_flow_logs")
    def create(orig: Any, self: EC2Response) -> Any:
        if not handled_here(self):
            return orig(self)
        return ActionResult(create_flow_logs(self))

    @wrap(EC2Response, "delete_flow_logs")
    def delete(orig: Any, self: EC2Response) -> Any:
        backend: EC2Backend = self.ec2_backend
        ids = list(self._get_param("FlowLogIds", []) or [])
        self.error_on_dryrun()
        unknown = [i for i in ids if i not in backend.flow_logs]
        for flow_log_id in ids:
            backend.flow_logs.pop(flow_log_id, None)
        message = f"These flow log ids in the input list are not found: [TotalCount: {len(unknown)}] {' '.join(unknown)}"
        failed = [unsuccessful(i, "InvalidFlowLogId.NotFound", message, "DeleteFlowLogs") for i in unknown]
        return ActionResult({"Unsuccessful": failed})

    @wrap(FlowLogs, "get_filter_value")
    def filter_value(orig: Any, self: FlowLogs, filter_name: str, method_name: str | None = None) -> Any:
        if filter_name == "deliver-log-status":
            return self.deliver_logs_status
        return orig(self, filter_name, method_name)

    def forget_flow_logs(backend: EC2Backend, resource_id: str) -> None:
        for flow_log_id in [k for k, f in backend.flow_logs.items() if f.resource_id == resource_id]:
            del backend.flow_logs[flow_log_id]

    for method in ("delete_vpc", "delete_subnet", "delete_network_interface"):

        def deleter(orig: Any, self: EC2Backend, resource_id: str, *args: Any, **kwargs: Any) -> Any:
            result = orig(self, resource_id, *args, **kwargs)
            forget_flow_logs(self, resource_id)
            return result

        wrap(EC2Backend, method)(deleter)
