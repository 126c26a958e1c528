"""EC2 flow logs to CloudWatch Logs (mosia_emulator/patches/ec2_flow_logs.py): CreateFlowLogs'
role, traffic type, tags, duplicates and delivery status, DescribeFlowLogs' filters,
DeleteFlowLogs' unsuccessful items, and flow logs going with their VPC. Each refusal is checked
next to the request AWS accepts."""

from __future__ import annotations

import json
from typing import Any

from .support import EmulatorCase

GROUP = "/vpc/demo/flow-logs"
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
PUBLISH = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups",
               "logs:DescribeLogStreams"],
    "Resource": "*"}]}
ALREADY = "Error. There is an existing Flow Log with the same configuration and log destination."


class FlowLogsTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.ec2 = self.client("ec2")
        self.iam = self.client("iam")
        self.logs = self.client("logs")
        self.vpc = self.ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
        self.logs.create_log_group(logGroupName=GROUP)
        self.role = self.make_role("flow-logs")

    # -- helpers ------------------------------------------------------------------------------------
    def make_role(self, name: str, trust: dict[str, Any] = TRUST, policy: dict[str, Any] | None = PUBLISH) -> str:
        arn = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        if policy is not None:
            self.iam.put_role_policy(RoleName=name, PolicyName="publish", PolicyDocument=json.dumps(policy))
        return arn

    def create(self, resource: str | None = None, traffic: str = "ALL", group: str = GROUP,
               role: str | None = None, **kwargs: Any) -> dict[str, Any]:
        args: dict[str, Any] = {
            "ResourceType": "VPC", "ResourceIds": [resource or self.vpc], "TrafficType": traffic,
            "LogDestinationType": "cloud-watch-logs", "LogGroupName": group,
            "DeliverLogsPermissionArn": role or self.role, **kwargs,
        }
        if traffic is None:
            del args["TrafficType"]
        return self.ec2.create_flow_logs(**args)

    def created(self, **kwargs: Any) -> str:
        answer = self.create(**kwargs)
        self.assertEqual(answer["Unsuccessful"], [], answer)
        return answer["FlowLogIds"][0]

    def flow_log(self, flow_log_id: str) -> dict[str, Any]:
        return self.ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"][0]

    def last_rejection(self) -> dict[str, Any]:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    # -- CreateFlowLogs -----------------------------------------------------------------------------
    def test_create_and_describe(self) -> None:
        answer = self.create(MaxAggregationInterval=60, ClientToken="token-1",
                             TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": [{"Key": "Name", "Value": "demo"}]}])
        self.assertEqual((answer["Unsuccessful"], answer["ClientToken"]), ([], "token-1"))
        flow = self.flow_log(answer["FlowLogIds"][0])
        self.assertEqual(flow["ResourceId"], self.vpc)
        self.assertEqual((flow["TrafficType"], flow["LogDestinationType"], flow["LogGroupName"]),
                         ("ALL", "cloud-watch-logs", GROUP))
        self.assertEqual(flow["LogDestination"], f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}")
        self.assertEqual((flow["DeliverLogsStatus"], flow["FlowLogStatus"]), ("SUCCESS", "ACTIVE"))
        self.assertNotIn("DeliverLogsErrorMessage", flow)
        self.assertEqual((flow["DeliverLogsPermissionArn"], flow["MaxAggregationInterval"]), (self.role, 60))
        self.assertEqual(flow["Tags"], [{"Key": "Name", "Value": "demo"}])
        self.assertIn("${srcaddr}", flow["LogFormat"])
        # The same client token again: the same answer, no second flow log.
        again = self.create(MaxAggregationInterval=60, ClientToken="token-1")
        self.assertEqual(again["FlowLogIds"], answer["FlowLogIds"])
        self.assertEqual(len(self.ec2.describe_flow_logs()["FlowLogs"]), 1)

    def test_created_with_a_log_group_arn(self) -> None:
        arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}"
        flow_log_id = self.ec2.create_flow_logs(ResourceType="VPC", ResourceIds=[self.vpc], TrafficType="REJECT",
                                                LogDestinationType="cloud-watch-logs", LogDestination=arn,
                                                DeliverLogsPermissionArn=self.role)["FlowLogIds"][0]
        flow = self.flow_log(flow_log_id)
        self.assertEqual((flow["LogDestination"], flow["LogGroupName"]), (arn, GROUP))

    def test_role_is_required_and_must_be_assumable(self) -> None:
        self.assertAwsError("InvalidParameter", self.ec2.create_flow_logs, ResourceType="VPC", ResourceIds=[self.vpc],
                            TrafficType="ALL", LogGroupName=GROUP,
                            message="DeliverLogsPermissionArn can't be empty if LogDestinationType is cloud-watch-logs.")
        missing = "arn:aws:iam::123456789012:role/missing"
        ec2_trust = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "ec2.amazonaws.com"}}]}
        for role in (missing, self.make_role("ec2-only", trust=ec2_trust),
                     "arn:aws:iam::210987654321:role/flow-logs"):
            self.assertAwsError("InvalidParameter", self.create, role=role,
                                message=f"Unable to assume given IAM role: '{role}'")
        self.assertEqual((self.last_rejection()["kind"], self.last_rejection()["operation"]), ("rule", "CreateFlowLogs"))
        self.assertEqual(self.ec2.describe_flow_logs()["FlowLogs"], [])
        self.created()

    def test_a_new_role_is_assumable_once_it_has_propagated(self) -> None:
        self.control("POST", "/_mosia/durations", {"iam_role": {"propagate": 60}})
        fresh = self.make_role("fresh")
        self.assertAwsError("InvalidParameter", self.create, role=fresh, message="Unable to assume given IAM role")
        self.control("POST", "/_mosia/durations", {"iam_role": {"propagate": 0}})
        self.created(role=fresh)

    def test_a_role_that_may_not_publish_makes_a_failed_flow_log(self) -> None:
        cases = {
            "no-policy": None,
            "describe-only": {**PUBLISH, "Statement": [{**PUBLISH["Statement"][0], "Action": ["logs:Describe*"]}]},
            "other-group": {**PUBLISH, "Statement": [{**PUBLISH["Statement"][0],
                                                      "Resource": "arn:aws:logs:*:*:log-group:/other:*"}]},
            "denied": {**PUBLISH, "Statement": [PUBLISH["Statement"][0], {
                "Effect": "Deny", "Action": "logs:PutLogEvents", "Resource": "*"}]},
        }
        for traffic, (name, policy) in zip(("ACCEPT", "REJECT", "ALL"), list(cases.items())[:3]):
            flow = self.flow_log(self.created(traffic=traffic, role=self.make_role(name, policy=policy)))
            self.assertEqual((flow["DeliverLogsStatus"], flow["DeliverLogsErrorMessage"]), ("FAILED", "Access error"), name)
        denied = self.created(group="/vpc/denied", role=self.make_role("denied", policy=cases["denied"]))
        self.assertEqual(self.flow_log(denied)["DeliverLogsStatus"], "FAILED")
        # Scoped to the log group: enough.
        scoped = {**PUBLISH, "Statement": [{**PUBLISH["Statement"][0],
                                            "Resource": f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}:*"}]}
        ok = self.created(group=GROUP, traffic="ALL", role=self.make_role("scoped", policy=scoped), resource=self.vpc_b())
        self.assertEqual(self.flow_log(ok)["DeliverLogsStatus"], "SUCCESS")
        failed = self.ec2.describe_flow_logs(Filters=[{"Name": "deliver-log-status", "Values": ["FAILED"]}])["FlowLogs"]
        self.assertEqual(len(failed), 4)

    def vpc_b(self) -> str:
        return self.ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]

    def test_a_log_group_that_does_not_exist_yet(self) -> None:
        # The flow logs service creates it (when traffic is recorded) if the role may.
        ok = self.flow_log(self.created(group="/vpc/new"))
        self.assertEqual(ok["DeliverLogsStatus"], "SUCCESS")
        no_create = {**PUBLISH, "Statement": [{**PUBLISH["Statement"][0],
                                               "Action": ["logs:CreateLogStream", "logs:PutLogEvents"]}]}
        role = self.make_role("no-create", policy=no_create)
        failed = self.flow_log(self.created(group="/vpc/newer", role=role))
        self.assertEqual((failed["DeliverLogsStatus"], failed["DeliverLogsErrorMessage"]), ("FAILED", "Access error"))
        existing = self.flow_log(self.created(group=GROUP, role=role))
        self.assertEqual(existing["DeliverLogsStatus"], "SUCCESS")

    def test_traffic_type_is_required(self) -> None:
        self.assertAwsError("MissingParameter", self.create, traffic=None,
                            message="The request must contain the parameter TrafficType")
        self.assertAwsError("InvalidParameterValue", self.create, traffic="SOME")
        for traffic in ("ACCEPT", "REJECT", "ALL"):
            self.created(traffic=traffic)

    def test_max_aggregation_interval(self) -> None:
        self.assertAwsError("InvalidParameter", self.create, MaxAggregationInterval=300,
                            message="Invalid Flow Log Max Aggregation Interval")
        self.assertEqual(self.flow_log(self.created(MaxAggregationInterval=600))["MaxAggregationInterval"], 600)

    def test_tags_only_for_vpc_flow_logs(self) -> None:
        self.assertAwsError("InvalidParameterValue", self.create,
                            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "x"}]}],
                            message="'vpc' is not a valid taggable resource type for this operation.")
        self.assertEqual(self.ec2.describe_flow_logs()["FlowLogs"], [])
        self.created(TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": [{"Key": "Name", "Value": "x"}]}])

    def test_duplicate_is_an_unsuccessful_item(self) -> None:
        first = self.created()
        answer = self.create()
        self.assertEqual(answer["FlowLogIds"], [])
        self.assertEqual(answer["Unsuccessful"], [{"ResourceId": self.vpc, "Error": {
            "Code": "FlowLogAlreadyExists", "Message": ALREADY}}])
        self.assertEqual(self.last_rejection()["code"], "FlowLogAlreadyExists")
        # Another traffic type or another log group is another flow log.
        self.created(traffic="REJECT")
        self.created(group="/vpc/second")
        self.assertEqual(len(self.ec2.describe_flow_logs(
            Filters=[{"Name": "resource-id", "Values": [self.vpc]}])["FlowLogs"]), 3)
        self.assertEqual(self.flow_log(first)["TrafficType"], "ALL")

    def test_unknown_resource_is_an_unsuccessful_item(self) -> None:
        answer = self.ec2.create_flow_logs(ResourceType="VPC", ResourceIds=["vpc-0123456789abcdef0", self.vpc],
                                           TrafficType="ALL", LogGroupName=GROUP, DeliverLogsPermissionArn=self.role)
        self.assertEqual(len(answer["FlowLogIds"]), 1)
        self.assertEqual(answer["Unsuccessful"], [{"ResourceId": "vpc-0123456789abcdef0", "Error": {
            "Code": "InvalidVpcId.NotFound", "Message": "Unknown resource vpc-0123456789abcdef0"}}])
        subnet = self.ec2.create_subnet(VpcId=self.vpc, CidrBlock="10.60.1.0/24")["Subnet"]["SubnetId"]
        flow = self.ec2.create_flow_logs(ResourceType="Subnet", ResourceIds=[subnet], TrafficType="ALL",
                                         LogGroupName=GROUP, DeliverLogsPermissionArn=self.role)
        self.assertEqual(flow["Unsuccessful"], [])

    # -- DescribeFlowLogs ---------------------------------------------------------------------------
    def test_describe_filters(self) -> None:
        tagged = self.created(TagSpecifications=[{"ResourceType": "vpc-flow-log",
                                                  "Tags": [{"Key": "team", "Value": "net"}]}])
        other_vpc = self.vpc_b()
        other = self.created(resource=other_vpc, group="/vpc/other")

        def ids(*filters: dict[str, Any], **kwargs: Any) -> list[str]:
            found = self.ec2.describe_flow_logs(Filters=list(filters), **kwargs)["FlowLogs"]
            return sorted(f["FlowLogId"] for f in found)

        self.assertEqual(ids({"Name": "resource-id", "Values": [self.vpc]}), [tagged])
        self.assertEqual(ids({"Name": "tag:team", "Values": ["net"]}), [tagged])
        self.assertEqual(ids({"Name": "flow-log-id", "Values": [other]}), [other])
        self.assertEqual(ids({"Name": "log-group-name", "Values": ["/vpc/other"]}), [other])
        self.assertEqual(ids({"Name": "deliver-log-status", "Values": ["SUCCESS"]}), sorted([tagged, other]))
        self.assertEqual(ids(FlowLogIds=[tagged]), [tagged])

    # -- DeleteFlowLogs -----------------------------------------------------------------------------
    def test_delete_unknown_ids_are_unsuccessful_items(self) -> None:
        known = self.created()
        answer = self.ec2.delete_flow_logs(FlowLogIds=["fl-0123456789abcdef0", known])
        self.assertEqual(answer["Unsuccessful"], [{"ResourceId": "fl-0123456789abcdef0", "Error": {
            "Code": "InvalidFlowLogId.NotFound",
            "Message": "These flow log ids in the input list are not found: [TotalCount: 1] fl-0123456789abcdef0"}}])
        self.assertEqual(self.ec2.describe_flow_logs()["FlowLogs"], [])
        self.assertEqual(self.ec2.delete_flow_logs(FlowLogIds=[known])["Unsuccessful"][0]["Error"]["Code"],
                         "InvalidFlowLogId.NotFound")
        self.assertEqual(self.ec2.delete_flow_logs(FlowLogIds=[self.created()])["Unsuccessful"], [])

    # -- DeleteVpc ----------------------------------------------------------------------------------
    def test_flow_logs_go_with_their_vpc(self) -> None:
        kept_vpc = self.vpc_b()
        kept = self.created(resource=kept_vpc)
        self.created()
        self.created(traffic="REJECT")
        self.ec2.delete_vpc(VpcId=self.vpc)  # flow logs do not keep the VPC
        self.assertEqual([f["FlowLogId"] for f in self.ec2.describe_flow_logs()["FlowLogs"]], [kept])
        subnet = self.ec2.create_subnet(VpcId=kept_vpc, CidrBlock="10.61.1.0/24")["Subnet"]["SubnetId"]
        self.ec2.create_flow_logs(ResourceType="Subnet", ResourceIds=[subnet], TrafficType="ALL",
                                  LogGroupName=GROUP, DeliverLogsPermissionArn=self.role)
        self.ec2.delete_subnet(SubnetId=subnet)
        self.assertEqual([f["FlowLogId"] for f in self.ec2.describe_flow_logs()["FlowLogs"]], [kept])
