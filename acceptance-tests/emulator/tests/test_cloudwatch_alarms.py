"""CloudWatch alarms over CloudWatch's smithy-rpc-v2-cbor protocol (the AWS SDK for Rust's): the
transcoding to moto, PutMetricAlarm's rules, DescribeAlarms filters and paging, DeleteAlarms,
SetAlarmState delivering the alarm notification to SNS (and through it to SQS) only when the
topic's policy and key let cloudwatch.amazonaws.com publish, DescribeAlarmHistory.

botocore 1.44.8 prefers CloudWatch's `json` protocol over `smithy-rpc-v2-cbor` (its
PRIORITY_ORDERED_SUPPORTED_PROTOCOLS lists json first), so `cw()` builds its client with the
CBOR protocol preferred: these tests send what the Rust SDK sends. `test_json_protocol_too`
checks the same rules answer boto3's default JSON protocol."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from typing import Any
from unittest import mock

import botocore.model
from botocore.parsers import RpcV2CBORParser

from mosia_emulator import wire

from .support import REGION, EmulatorCase

ACCOUNT = "123456789012"
CBOR_FIRST = ("smithy-rpc-v2-cbor", "json", "query")


def alarm(name: str = "cpu", **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "AlarmName": name,
        "AlarmDescription": "CPU of db",
        "MetricName": "CPUUtilization",
        "Namespace": "AWS/RDS",
        "Statistic": "Average",
        "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "db"}],
        "Period": 300,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 2,
        "Threshold": 80.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }
    args.update(overrides)
    return {k: v for k, v in args.items() if v is not None}


def math_alarm(name: str = "errors", **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "AlarmName": name,
        "EvaluationPeriods": 2,
        "Threshold": 5.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Metrics": [
            {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "AWS/Kafka", "MetricName": "A",
                                                   "Dimensions": [{"Name": "Cluster Name", "Value": "k"}]},
                                        "Period": 60, "Stat": "Sum"}, "ReturnData": False},
            {"Id": "m2", "MetricStat": {"Metric": {"Namespace": "AWS/Kafka", "MetricName": "B"},
                                        "Period": 60, "Stat": "Sum"}, "ReturnData": False},
            {"Id": "e1", "Expression": "m1 + m2", "Label": "A plus B", "ReturnData": True},
        ],
    }
    args.update(overrides)
    return args


def topic_policy(topic_arn: str, statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def cloudwatch_may_publish(topic_arn: str, source_account: str = ACCOUNT) -> dict[str, Any]:
    return {
        "Sid": "AlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish", "Resource": topic_arn,
        "Condition": {"StringEquals": {"aws:SourceAccount": source_account},
                      "ArnLike": {"aws:SourceArn": f"arn:aws:cloudwatch:{REGION}:{source_account}:alarm:*"}},
    }


def root_statement(action: str = "kms:*") -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": action, "Resource": "*"}


class CloudWatchCase(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.cw = self.cbor_client()
        self.sent: list[Any] = []
        self.cw.meta.events.register("before-send.*", lambda request, **_: self.sent.append(request))

    def cbor_client(self, region: str = REGION) -> Any:
        with mock.patch.object(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", CBOR_FIRST):
            return self.client("cloudwatch", region)

    def describe(self, name: str) -> dict[str, Any]:
        found = self.cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        self.assertEqual(len(found), 1, found)
        return found[0]

    def refused(self, code: str, message: str | None = None, **args: Any) -> None:
        self.assertAwsError(code, self.cw.put_metric_alarm, message=message, **args)
        self.assertEqual(self.cw.describe_alarms(AlarmNames=[args["AlarmName"]])["MetricAlarms"], [])


class TransportTest(CloudWatchCase):
    def test_the_client_speaks_cbor_and_gets_cbor(self) -> None:
        self.cw.put_metric_alarm(**alarm(Tags=[{"Key": "env", "Value": "dev"}]))
        found = self.describe("cpu")
        request = self.sent[0]
        self.assertTrue(request.url.endswith("/service/GraniteServiceVersion20100801/operation/PutMetricAlarm"))
        self.assertEqual(request.headers["smithy-protocol"], b"rpc-v2-cbor")
        self.assertEqual(request.headers["Content-Type"], b"application/cbor")
        self.assertEqual(found["Threshold"], 80.0)
        self.assertEqual(found["DatapointsToAlarm"], 2)
        self.assertEqual(found["TreatMissingData"], "notBreaching")
        self.assertEqual(found["Dimensions"], [{"Name": "DBInstanceIdentifier", "Value": "db"}])
        self.assertEqual(found["AlarmArn"], f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:cpu")
        self.assertNotIn("Metrics", found)
        tags = self.cw.list_tags_for_resource(ResourceARN=found["AlarmArn"])["Tags"]
        self.assertEqual(tags, [{"Key": "env", "Value": "dev"}])
        self.assertEqual(self.control("GET", "/_mosia/calls")["services"]["monitoring"],
                         {"DescribeAlarms": 1, "ListTagsForResource": 1, "PutMetricAlarm": 1})

    def raw(self, operation: str, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        request = urllib.request.Request(
            f"{self.endpoint}/service/GraniteServiceVersion20100801/operation/{operation}",
            data=wire.cbor_plain(params), method="POST",
            headers={"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor",
                     "Accept": "application/cbor",
                     "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/"
                                      "monitoring/aws4_request, SignedHeaders=host, Signature=x"})
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                status, headers, body = resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as err:
            status, headers, body = err.code, dict(err.headers), err.read()
        parser = RpcV2CBORParser()
        decoded = parser.parse_data_item(io.BufferedReader(io.BytesIO(body))) if body else None
        return status, {k.lower(): v for k, v in headers.items()}, decoded

    def test_errors_are_cbor_with_the_query_code(self) -> None:
        status, headers, body = self.raw("SetAlarmState", {"AlarmName": "nope", "StateValue": "ALARM",
                                                          "StateReason": "x"})
        self.assertEqual(status, 404)
        self.assertEqual(headers["content-type"], "application/cbor")
        self.assertEqual(headers["smithy-protocol"], "rpc-v2-cbor")
        self.assertEqual(headers["x-amzn-query-error"], "ResourceNotFound;Sender")
        self.assertEqual(body["__type"], "com.amazonaws.cloudwatch#ResourceNotFound")
        # The model: StateValue's enum; CloudWatch answers ValidationError.
        status, headers, body = self.raw("SetAlarmState", {"AlarmName": "nope", "StateValue": "BROKEN",
                                                          "StateReason": "x"})
        self.assertEqual(status, 400)
        self.assertEqual(headers["x-amzn-query-error"], "ValidationError;Sender")
        self.assertEqual(body["__type"], "com.amazonaws.cloudwatch#ValidationException")
        self.assertIn("Value 'BROKEN' at 'stateValue' failed to satisfy constraint", body["message"])
        rejection = self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]
        self.assertEqual((rejection["kind"], rejection["service"], rejection["operation"], rejection["code"]),
                         ("validation", "monitoring", "SetAlarmState", "ValidationError"))
        status, _, body = self.raw("NoSuchOperation", {})
        self.assertEqual((status, body["__type"]), (404, "com.amazonaws.cloudwatch#UnknownOperationException"))
        status, _, body = self.raw("DescribeAlarms", {})
        self.assertEqual((status, body), (200, {"MetricAlarms": [], "CompositeAlarms": []}))

    def test_the_sdk_parses_validation_and_fault_errors(self) -> None:
        self.assertAwsError("ValidationError", self.cw.put_metric_alarm, **alarm(AlarmName=""),
                            message="Member must have length greater than or equal to 1")
        self.control("POST", "/_mosia/faults", {"service": "monitoring", "operation": "DescribeAlarms",
                                                "error_code": "Throttling", "message": "Rate exceeded"})
        self.assertAwsError("Throttling", self.cw.describe_alarms, message="Rate exceeded")
        self.assertEqual(self.cw.describe_alarms()["MetricAlarms"], [])

    def test_json_protocol_too(self) -> None:
        plain = self.client("cloudwatch")
        self.assertEqual(plain.meta.service_model.resolved_protocol, "json")
        self.assertAwsError("ValidationError", plain.put_metric_alarm, **alarm(Period=45),
                            message="Period must be 10, 20, 30 or a multiple of 60")
        plain.put_metric_alarm(**alarm())
        self.assertEqual(self.describe("cpu")["StateValue"], "INSUFFICIENT_DATA")


class PutMetricAlarmTest(CloudWatchCase):
    def test_a_new_alarm_has_insufficient_data_and_an_update_keeps_state_and_tags(self) -> None:
        self.cw.put_metric_alarm(**alarm(Tags=[{"Key": "a", "Value": "1"}]))
        found = self.describe("cpu")
        self.assertEqual(found["StateValue"], "INSUFFICIENT_DATA")
        self.assertEqual(found["StateReason"], "Unchecked: Initial alarm creation")
        self.cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="test")
        self.cw.put_metric_alarm(**alarm(Threshold=90.0, Tags=[{"Key": "b", "Value": "2"}]))
        found = self.describe("cpu")
        self.assertEqual((found["StateValue"], found["StateReason"], found["Threshold"]), ("ALARM", "test", 90.0))
        self.assertEqual(self.cw.list_tags_for_resource(ResourceARN=found["AlarmArn"])["Tags"],
                         [{"Key": "a", "Value": "1"}])

    def test_one_form_of_alarm(self) -> None:
        self.refused("ValidationError", "MetricName must not be null",
                     **alarm(MetricName=None, Namespace=None, Statistic=None, Period=None, Dimensions=None))
        for member, value in (("Statistic", "Sum"), ("Unit", "Count"), ("Namespace", "AWS/Kafka"), ("Period", 60)):
            self.refused("ValidationError", f"{member} should not be set if list of Metrics is set.",
                         **math_alarm(**{member: value}))
        self.cw.put_metric_alarm(**math_alarm())
        found = self.describe("errors")
        self.assertEqual([q["Id"] for q in found["Metrics"]], ["m1", "m2", "e1"])
        self.assertEqual([q.get("ReturnData") for q in found["Metrics"]], [False, False, True])
        self.assertEqual(found["Metrics"][2]["Label"], "A plus B")
        self.assertNotIn("MetricName", found)

    def test_a_single_metric_alarm_names_its_statistic_and_period(self) -> None:
        self.refused("ValidationError", "Namespace must not be null", **alarm(Namespace=None))
        self.refused("InvalidParameterCombination", "Exactly one of Statistic and ExtendedStatistic",
                     **alarm(ExtendedStatistic="p99"))
        self.refused("InvalidParameterCombination", **alarm(Statistic=None))
        self.refused("InvalidParameterValue", "The value x99 for parameter ExtendedStatistic is not supported.",
                     **alarm(Statistic=None, ExtendedStatistic="x99"))
        self.refused("ValidationError", "Period must not be null", **alarm(Period=None))
        for period in (1, 45, 90):
            self.refused("ValidationError", "Period must be 10, 20, 30 or a multiple of 60", **alarm(Period=period))
        rejection = self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]
        self.assertEqual((rejection["kind"], rejection["service"], rejection["operation"], rejection["code"]),
                         ("rule", "monitoring", "PutMetricAlarm", "ValidationError"))
        for period, statistic in ((10, {"Statistic": None, "ExtendedStatistic": "p99.9"}), (20, {}), (120, {})):
            self.cw.put_metric_alarm(**alarm(name=f"p{period}", Period=period, **statistic))
        self.assertEqual(self.describe("p10")["ExtendedStatistic"], "p99.9")

    def test_metric_math_rules(self) -> None:
        def queries(**changes: Any) -> list[dict[str, Any]]:
            q = json.loads(json.dumps(math_alarm()["Metrics"]))
            for index, change in changes.items():
                q[int(index[1:])].update(change)
            return q

        self.refused("ValidationError", "Exactly one element of the metrics list should return data.",
                     **math_alarm(Metrics=queries(q0={"ReturnData": True})))
        self.refused("ValidationError", "Exactly one element of the metrics list should return data.",
                     **math_alarm(Metrics=queries(q2={"ReturnData": False})))
        omitted = queries()
        del omitted[0]["ReturnData"]  # ReturnData defaults to true
        self.refused("ValidationError", "Exactly one element of the metrics list should return data.",
                     **math_alarm(Metrics=omitted))
        self.refused("ValidationError", "Invalid metrics list", **math_alarm(Metrics=queries(q1={"Expression": "m1"})))
        self.refused("ValidationError", "Invalid metrics list", **math_alarm(Metrics=queries(q1={"Id": "M2"})))
        self.refused("ValidationError", "Invalid metrics list", **math_alarm(Metrics=queries(q1={"Id": "m1"})))
        bad_stat = queries()
        bad_stat[0]["MetricStat"]["Stat"] = "Avg"
        self.refused("ValidationError", "Invalid metrics list", **math_alarm(Metrics=bad_stat))
        bad_period = queries()
        bad_period[0]["MetricStat"]["Period"] = 45
        self.refused("ValidationError", "Invalid metrics list", **math_alarm(Metrics=bad_period))
        many = [{"Id": f"m{i}", "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "M"}, "Period": 60,
                                                "Stat": "Sum"}, "ReturnData": False} for i in range(11)]
        many.append({"Id": "e1", "Expression": "SUM(METRICS())", "ReturnData": True})
        self.refused("ValidationError", "Invalid metrics list", **math_alarm(Metrics=many))
        self.cw.put_metric_alarm(**math_alarm(Metrics=many[1:]))

    def test_anomaly_detection_alarms(self) -> None:
        band = [
            {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "M"}, "Period": 60, "Stat": "Sum"},
             "ReturnData": True},
            {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "ReturnData": True},
        ]
        base = math_alarm(Metrics=band, Threshold=None, ThresholdMetricId="ad1",
                          ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold")
        self.refused("ValidationError", "Threshold and ThresholdMetricId cannot both be set", **{**base, "Threshold": 1.0})
        self.refused("ValidationError", "Exactly two elements of the metrics list should return data.",
                     **{**base, "Metrics": [band[0], {**band[1], "ReturnData": False}]})
        self.refused("ValidationError", "exactly one metric matching the ThresholdMetricId parameter",
                     **{**base, "ThresholdMetricId": "ad2"})
        self.refused("ValidationError", **{**base, "ComparisonOperator": "GreaterThanThreshold"})
        self.refused("ValidationError", **math_alarm(ComparisonOperator="LessThanLowerThreshold"))
        self.cw.put_metric_alarm(**base)

    def test_evaluation_periods_comparison_and_threshold_are_needed(self) -> None:
        self.refused("ValidationError", "Value null at 'evaluationPeriods' failed to satisfy constraint: Member "
                     "must not be null", **alarm(EvaluationPeriods=None, DatapointsToAlarm=None))
        self.refused("ValidationError", "Value null at 'comparisonOperator'", **alarm(ComparisonOperator=None))
        self.refused("ValidationError", "Value null at 'threshold'", **alarm(Threshold=None))
        self.cw.put_metric_alarm(**alarm(Threshold=0.0))
        self.assertEqual(self.describe("cpu")["Threshold"], 0.0)

    def test_evaluation_range_and_datapoints(self) -> None:
        self.refused("ValidationError", "86400", **alarm(Period=60, EvaluationPeriods=1441, DatapointsToAlarm=None))
        self.cw.put_metric_alarm(**alarm(name="day", Period=60, EvaluationPeriods=1440, DatapointsToAlarm=None))
        self.refused("ValidationError", "604800", **alarm(Period=3600, EvaluationPeriods=169, DatapointsToAlarm=None))
        self.cw.put_metric_alarm(**alarm(name="week", Period=3600, EvaluationPeriods=168, DatapointsToAlarm=None))
        self.refused("ValidationError", "86400", **math_alarm(EvaluationPeriods=1441))
        self.refused("ValidationError", "DatapointsToAlarm must be less than or equal to EvaluationPeriods",
                     **alarm(EvaluationPeriods=2, DatapointsToAlarm=3))
        self.cw.put_metric_alarm(**alarm(EvaluationPeriods=3, DatapointsToAlarm=3))

    def test_treat_missing_data_and_low_sample_count(self) -> None:
        self.refused("ValidationError", "The value sometimes is not supported for TreatMissingData parameter. "
                     "Supported values are [breaching, notBreaching, ignore, missing].",
                     **alarm(TreatMissingData="sometimes"))
        self.refused("ValidationError", "Supported options for parameter EvaluateLowSampleCountPercentile",
                     **alarm(Statistic=None, ExtendedStatistic="p90", EvaluateLowSampleCountPercentile="maybe"))
        for value in ("breaching", "ignore", "missing"):
            self.cw.put_metric_alarm(**alarm(name=value, TreatMissingData=value))

    def test_actions_are_action_arns_of_the_region(self) -> None:
        topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
        self.refused("ValidationError", "Member must have length less than or equal to 5",
                     **alarm(AlarmActions=[f"{topic}{i}" for i in range(6)]))
        self.refused("ValidationError", f"Invalid region us-west-2 specified. Only {REGION} is supported.",
                     **alarm(OKActions=[f"arn:aws:sns:us-west-2:{ACCOUNT}:alerts"]))
        for wrong in ("alerts", f"arn:aws:sqs:{REGION}:{ACCOUNT}:queue", f"arn:aws:automate:{REGION}:ec2:explode"):
            self.refused("ValidationError", "Invalid alarm action ARN", **alarm(AlarmActions=[wrong]))
        self.cw.put_metric_alarm(**alarm(
            AlarmActions=[topic, f"arn:aws:automate:{REGION}:ec2:reboot",
                          f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:pager:live"],
            InsufficientDataActions=[f"arn:aws:swf:{REGION}:{ACCOUNT}:action/actions/AWS_EC2.InstanceId.Stop/1.0"],
            OKActions=[topic]))
        self.assertEqual(self.describe("cpu")["AlarmActions"][0], topic)  # the topic need not exist

    def test_alarm_names_without_control_characters(self) -> None:
        self.refused("ValidationError", "control characters", **alarm(name="bad\nname"))
        self.cw.put_metric_alarm(**alarm(name="good name: é"))


class DescribeDeleteTest(CloudWatchCase):
    def test_filters_combine_and_pages_follow(self) -> None:
        for name in ("env-b", "env-a", "env-c", "other"):
            self.cw.put_metric_alarm(**alarm(name=name, AlarmActions=[f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"]))
        self.cw.set_alarm_state(AlarmName="env-c", StateValue="OK", StateReason="x")
        names = lambda out: [a["AlarmName"] for a in out["MetricAlarms"]]  # noqa: E731
        self.assertEqual(names(self.cw.describe_alarms()), ["env-a", "env-b", "env-c", "other"])
        self.assertEqual(names(self.cw.describe_alarms(AlarmNamePrefix="env-", StateValue="INSUFFICIENT_DATA")),
                         ["env-a", "env-b"])
        self.assertEqual(names(self.cw.describe_alarms(ActionPrefix=f"arn:aws:sns:{REGION}:{ACCOUNT}:o")), ["other"])
        self.assertEqual(names(self.cw.describe_alarms(AlarmNames=["other", "nope"])), ["other"])
        self.assertEqual(self.cw.describe_alarms(AlarmTypes=["CompositeAlarm"])["MetricAlarms"], [])
        page = self.cw.describe_alarms(AlarmNamePrefix="env-", MaxRecords=2)
        self.assertEqual(names(page), ["env-a", "env-b"])
        rest = self.cw.describe_alarms(AlarmNamePrefix="env-", MaxRecords=2, NextToken=page["NextToken"])
        self.assertEqual(names(rest), ["env-c"])
        self.assertNotIn("NextToken", rest)
        self.assertAwsError("InvalidNextToken", self.cw.describe_alarms, NextToken="not a token!")
        self.assertAwsError("InvalidParameterCombination", self.cw.describe_alarms, AlarmNames=["env-a"],
                            AlarmNamePrefix="env-")
        self.assertAwsError("ValidationError", self.cw.describe_alarms, MaxRecords=101)
        self.assertAwsError("ValidationError", self.cw.describe_alarms, ChildrenOfAlarmName="x", StateValue="OK")

    def test_delete_ignores_unknown_names_and_takes_the_tags(self) -> None:
        self.cw.put_metric_alarm(**alarm(Tags=[{"Key": "a", "Value": "1"}]))
        arn = self.describe("cpu")["AlarmArn"]
        self.assertAwsError("ValidationError", self.cw.delete_alarms, AlarmNames=[f"a{i}" for i in range(101)],
                            message="Member must have length less than or equal to 100")
        self.cw.delete_alarms(AlarmNames=["nope", "cpu"])
        self.assertEqual(self.cw.describe_alarms()["MetricAlarms"], [])
        self.cw.delete_alarms(AlarmNames=["cpu"])
        self.assertAwsError("ResourceNotFoundException", self.cw.list_tags_for_resource, ResourceARN=arn)
        self.assertAwsError("ResourceNotFoundException", self.cw.tag_resource, ResourceARN=arn,
                            Tags=[{"Key": "b", "Value": "2"}])
        self.assertAwsError("ResourceNotFoundException", self.cw.untag_resource, ResourceARN=arn, TagKeys=["a"])

    def test_tags_of_an_alarm(self) -> None:
        self.cw.put_metric_alarm(**alarm())
        arn = self.describe("cpu")["AlarmArn"]
        self.assertEqual(self.cw.list_tags_for_resource(ResourceARN=arn)["Tags"], [])
        self.cw.untag_resource(ResourceARN=arn, TagKeys=["none"])
        self.cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        self.cw.untag_resource(ResourceARN=arn, TagKeys=["a"])
        self.assertEqual(self.cw.list_tags_for_resource(ResourceARN=arn)["Tags"], [{"Key": "b", "Value": "2"}])

    def test_put_metric_data_over_cbor(self) -> None:
        import datetime as dt

        self.cw.put_metric_data(Namespace="Mosia/Test", MetricData=[
            {"MetricName": "Depth", "Value": 3.5, "Unit": "Count",
             "Timestamp": dt.datetime.now(dt.timezone.utc), "Dimensions": [{"Name": "Q", "Value": "a"}]}])
        metrics = self.cw.list_metrics(Namespace="Mosia/Test")["Metrics"]
        self.assertEqual([m["MetricName"] for m in metrics], ["Depth"])


class ActionsTest(CloudWatchCase):
    def setUp(self) -> None:
        super().setUp()
        self.sns = self.client("sns")
        self.sqs = self.client("sqs")
        self.kms = self.client("kms")

    def topic(self, policy: str | None = None, key: str | None = None, name: str = "alerts") -> tuple[str, str]:
        """A topic with a subscribed queue: (topic ARN, queue URL)."""
        attributes = {}
        if key:
            attributes["KmsMasterKeyId"] = key
        topic = self.sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        if policy is not None:
            self.sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=policy)
        url = self.sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
        queue = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
        return topic, url

    def received(self, url: str) -> list[dict[str, Any]]:
        out = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in out]

    def history(self, name: str, kind: str = "Action") -> list[dict[str, Any]]:
        items = self.cw.describe_alarm_history(AlarmName=name, HistoryItemType=kind)["AlarmHistoryItems"]
        return [{**i, "HistoryData": json.loads(i["HistoryData"])} for i in items]

    def test_alarm_state_changes_reach_the_queue(self) -> None:
        topic, url = self.topic()
        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                      AttributeValue=topic_policy(topic, [cloudwatch_may_publish(topic)]))
        self.cw.put_metric_alarm(**alarm(AlarmActions=[topic], OKActions=[topic]))
        self.assertEqual(self.received(url), [], "creating an alarm notifies nobody")
        self.cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="test: CPU at 99%")
        [envelope] = self.received(url)
        self.assertEqual(envelope["Type"], "Notification")
        self.assertEqual(envelope["TopicArn"], topic)
        self.assertEqual(envelope["Subject"], 'ALARM: "cpu" in US East (N. Virginia)')
        message = json.loads(envelope["Message"])
        self.assertEqual(message["AlarmName"], "cpu")
        self.assertEqual(message["AlarmDescription"], "CPU of db")
        self.assertEqual(message["AWSAccountId"], ACCOUNT)
        self.assertEqual((message["OldStateValue"], message["NewStateValue"]), ("INSUFFICIENT_DATA", "ALARM"))
        self.assertEqual(message["NewStateReason"], "test: CPU at 99%")
        self.assertEqual(message["Region"], "US East (N. Virginia)")
        self.assertEqual(message["AlarmArn"], f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:cpu")
        self.assertEqual((message["AlarmActions"], message["OKActions"], message["InsufficientDataActions"]),
                         ([topic], [topic], []))
        self.assertRegex(message["StateChangeTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
        self.assertRegex(message["AlarmConfigurationUpdatedTimestamp"], r"\.\d{3}\+0000$")
        self.assertEqual(message["Trigger"], {
            "MetricName": "CPUUtilization", "Namespace": "AWS/RDS", "StatisticType": "Statistic",
            "Statistic": "AVERAGE", "Unit": None, "Dimensions": [{"value": "db", "name": "DBInstanceIdentifier"}],
            "Period": 300, "EvaluationPeriods": 3, "DatapointsToAlarm": 2,
            "ComparisonOperator": "GreaterThanThreshold", "Threshold": 80.0, "TreatMissingData": "notBreaching",
            "EvaluateLowSampleCountPercentile": "",
        })
        # The same state again invokes nothing; back to OK runs the OK actions.
        self.cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="still")
        self.assertEqual(self.received(url), [])
        self.cw.set_alarm_state(AlarmName="cpu", StateValue="OK", StateReason="calm")
        [envelope] = self.received(url)
        self.assertEqual(envelope["Subject"], 'OK: "cpu" in US East (N. Virginia)')
        self.assertEqual(json.loads(envelope["Message"])["OldStateValue"], "ALARM")
        # No INSUFFICIENT_DATA actions: nothing.
        self.cw.set_alarm_state(AlarmName="cpu", StateValue="INSUFFICIENT_DATA", StateReason="gone")
        self.assertEqual(self.received(url), [])
        actions = self.history("cpu")
        self.assertEqual([a["HistorySummary"] for a in actions], [f"Successfully executed action {topic}"] * 2)
        self.assertEqual(actions[0]["HistoryData"]["actionState"], "Succeeded")
        states = [i["HistorySummary"] for i in self.history("cpu", "StateUpdate")]
        self.assertEqual(states, ["Alarm updated from OK to INSUFFICIENT_DATA", "Alarm updated from ALARM to OK",
                                  "Alarm updated from INSUFFICIENT_DATA to ALARM"])

    def test_a_metric_math_alarm_sends_its_metrics(self) -> None:
        topic, url = self.topic()
        self.cw.put_metric_alarm(**math_alarm(AlarmActions=[topic], DatapointsToAlarm=1))
        self.cw.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="x")
        [envelope] = self.received(url)
        trigger = json.loads(envelope["Message"])["Trigger"]
        self.assertEqual((trigger["Period"], trigger["EvaluationPeriods"], trigger["DatapointsToAlarm"],
                          trigger["Threshold"]), (60, 2, 1, 5.0))
        self.assertNotIn("MetricName", trigger)
        self.assertEqual(trigger["Metrics"][0], {
            "Id": "m1", "MetricStat": {"Metric": {"Dimensions": [{"value": "k", "name": "Cluster Name"}],
                                                  "MetricName": "A", "Namespace": "AWS/Kafka"},
                                       "Period": 60, "Stat": "Sum"}, "ReturnData": False})
        self.assertEqual(trigger["Metrics"][2],
                         {"Expression": "m1 + m2", "Id": "e1", "Label": "A plus B", "ReturnData": True})

    def test_the_default_topic_policy_lets_the_accounts_alarms_publish(self) -> None:
        topic, url = self.topic()
        self.cw.put_metric_alarm(**alarm(AlarmActions=[topic]))
        self.cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="x")
        self.assertEqual(len(self.received(url)), 1)

    def test_a_topic_policy_without_cloudwatch_delivers_nothing(self) -> None:
        topic, url = self.topic()
        owner_only = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                      "Action": "sns:Publish", "Resource": topic}
        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                      AttributeValue=topic_policy(topic, [owner_only]))
        self.cw.put_metric_alarm(**alarm(AlarmActions=[topic]))
        self.cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="x")
        self.assertEqual(self.received(url), [])
        [failed] = self.history("cpu")
        self.assertEqual(failed["HistorySummary"], f"Failed to execute action {topic}")
        self.assertEqual(failed["HistoryData"]["actionState"], "Failed")
        self.assertIn("AuthorizationError", failed["HistoryData"]["error"])
        rejection = self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]
        self.assertEqual((rejection["kind"], rejection["service"], rejection["code"]),
                         ("delivery", "monitoring", "AuthorizationError"))
        # Another account's alarms only, or a Deny for CloudWatch: nothing either.
        for statements in ([cloudwatch_may_publish(topic, source_account="210987654321")],
                           [cloudwatch_may_publish(topic),
                            {"Effect": "Deny", "Principal": "*", "Action": "SNS:Publish", "Resource": topic,
                             "Condition": {"StringEquals": {"aws:SourceArn": self.describe("cpu")["AlarmArn"]}}}]):
            self.sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                          AttributeValue=topic_policy(topic, statements))
            self.cw.set_alarm_state(AlarmName="cpu", StateValue="OK", StateReason="x")
            self.cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="x")
            self.assertEqual(self.received(url), [])
        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy",
                                      AttributeValue=topic_policy(topic, [cloudwatch_may_publish(topic)]))
        self.cw.set_alarm_state(AlarmName="cpu", StateValue="OK", StateReason="x")
        self.cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="x")
        self.assertEqual(len(self.received(url)), 1)

    def test_an_encrypted_topic_needs_a_key_that_lets_cloudwatch_in(self) -> None:
        cloudwatch_key_statement = {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}
        without = self.kms.create_key(Policy=json.dumps({"Statement": [root_statement()]}))["KeyMetadata"]["Arn"]
        with_cw = self.kms.create_key(
            Policy=json.dumps({"Statement": [root_statement(), cloudwatch_key_statement]}))["KeyMetadata"]["Arn"]
        disabled = self.kms.create_key(
            Policy=json.dumps({"Statement": [root_statement(), cloudwatch_key_statement]}))["KeyMetadata"]["Arn"]
        self.kms.disable_key(KeyId=disabled)
        cases = [("plain", without, False), ("managed", "alias/aws/sns", False), ("off", disabled, False),
                 ("missing", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000", False),
                 ("good", with_cw, True)]
        for name, key, delivered in cases:
            topic, url = self.topic(key=key, name=name)
            self.cw.put_metric_alarm(**alarm(name=name, AlarmActions=[topic]))
            self.cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="x")
            self.assertEqual(len(self.received(url)), 1 if delivered else 0, name)
            [action] = self.history(name)
            self.assertEqual(action["HistoryData"]["actionState"], "Succeeded" if delivered else "Failed", name)
        errors = {name: self.history(name)[0]["HistoryData"]["error"] for name, _, ok in cases if not ok}
        self.assertTrue(errors["plain"].startswith("KMSAccessDenied"), errors)
        self.assertTrue(errors["managed"].startswith("KMSAccessDenied"), errors)
        self.assertTrue(errors["off"].startswith("KMSDisabled"), errors)
        self.assertTrue(errors["missing"].startswith("KMSNotFound"), errors)

    def test_disabled_actions_and_other_regions_do_nothing(self) -> None:
        topic, url = self.topic()
        self.cw.put_metric_alarm(**alarm(AlarmActions=[topic], ActionsEnabled=False))
        self.cw.set_alarm_state(AlarmName="cpu", StateValue="ALARM", StateReason="x")
        self.assertEqual(self.received(url), [])
        self.assertEqual(self.history("cpu"), [])
        self.assertFalse(self.describe("cpu")["ActionsEnabled"])

    def test_history_filters_and_pages(self) -> None:
        self.cw.put_metric_alarm(**alarm())
        self.cw.put_metric_alarm(**alarm(name="other"))
        for state in ("OK", "ALARM", "OK"):
            self.cw.set_alarm_state(AlarmName="cpu", StateValue=state, StateReason="x")
        every = self.cw.describe_alarm_history(AlarmName="cpu")["AlarmHistoryItems"]
        self.assertEqual([i["HistoryItemType"] for i in every],
                         ["StateUpdate", "StateUpdate", "StateUpdate", "ConfigurationUpdate"])
        self.assertEqual(every[-1]["HistorySummary"], 'Alarm "cpu" created')
        oldest = self.cw.describe_alarm_history(AlarmName="cpu", ScanBy="TimestampAscending", MaxRecords=3)
        self.assertEqual(oldest["AlarmHistoryItems"][0]["HistoryItemType"], "ConfigurationUpdate")
        rest = self.cw.describe_alarm_history(AlarmName="cpu", ScanBy="TimestampAscending", MaxRecords=3,
                                              NextToken=oldest["NextToken"])
        self.assertEqual([i["HistorySummary"] for i in rest["AlarmHistoryItems"]], ["Alarm updated from ALARM to OK"])
        self.assertEqual(len(self.cw.describe_alarm_history()["AlarmHistoryItems"]), 5)
        self.assertAwsError("InvalidNextToken", self.cw.describe_alarm_history, NextToken="garbage!")
