"""CloudWatch metric alarms: AWS's rules for PutMetricAlarm, DescribeAlarms as AWS answers it
(filters combined, AlarmTypes, MaxRecords/NextToken paging), DeleteAlarms, SetAlarmState with
its actions delivered to SNS topics as the service principal `cloudwatch.amazonaws.com`, and
DescribeAlarmHistory (moto 5.2.5 has none). The SDKs speak CloudWatch's smithy-rpc-v2-cbor
protocol; the server transcodes it to the JSON protocol moto serves (`wire.py`), so these rules
answer CBOR, JSON and query requests alike.

Sources (CloudWatch API reference = the botocore `cloudwatch` model's documentation, which is
the API reference's text; "assumed" marks wording that could not be found published):

PutMetricAlarm
- "When this operation creates an alarm, the alarm state is immediately set to
  INSUFFICIENT_DATA" (moto: OK) with the reason "Unchecked: Initial alarm creation"; "When you
  update an existing alarm, its state is left unchanged, but the update completely overwrites
  the previous configuration" (moto reset the state); Tags: "If you are using this operation
  to update an existing alarm, any tags you specify in this parameter are ignored" (moto added
  them).
- One form: "you must specify either MetricName, a Metrics array, or an EvaluationCriteria";
  neither: ValidationError "MetricName must not be null" (aws-cloudformation/cfn-lint#771,
  AWS's answer quoted). "If you use the Metrics parameter, you cannot include the Namespace,
  MetricName, Dimensions, Period, Unit, Statistic, or ExtendedStatistic parameters":
  ValidationError "<Parameter> should not be set if list of Metrics is set." (cloudtools/
  troposphere#1276 for Statistic, cfn-lint#1306 for Unit; the same form assumed for the
  others). EvaluationCriteria (PromQL) with any of the parameters it replaces: ValidationError,
  wording assumed.
- Single metric: Namespace and Period are needed ("Period is required for alarms based on
  static thresholds"; ValidationError "<Parameter> must not be null", modelled on the
  MetricName message, assumed); "you must specify either Statistic or ExtendedStatistic, but
  not both" (InvalidParameterCombination, wording assumed); ExtendedStatistic one of p90,
  tm90, tc90, ts90, wm90, IQM, PR(n:m), TC/TM/TS/WM(X%:X%) (InvalidParameterValue "The value X
  for parameter ExtendedStatistic is not supported.", moto's and LocalStack's wording);
  "Valid values are 10, 20, 30, and any multiple of 60" (ValidationError "Period must be 10,
  20, 30 or a multiple of 60": AWS's "Period must be 10, 30 or a multiple of 60",
  awsdocs/aws-cloudformation-user-guide#777, with 20, valid since).
- Metrics (MetricDataQuery reference): at most 20 queries, at most 10 with MetricStat and 10
  with Expression; each either Expression or MetricStat, not both; Id of letters, digits and
  underscores starting with a lowercase letter, unique; MetricStat.Period 1, 5, 10, 20, 30, 60
  or a multiple of 60; ReturnData defaults to true; "specify true for the one expression result
  to use as the alarm" -> ValidationError "Exactly one element of the metrics list should
  return data." (hashicorp/terraform-provider-aws#29894); with ThresholdMetricId (anomaly
  detection) two elements return data ("Exactly two elements of the metrics list should return
  data.") and one of them is that Id ("Metrics list must contain exactly one metric matching
  the ThresholdMetricId parameter", terraform-provider-aws#42504). The other Metrics refusals
  answer AWS's generic "Invalid metrics list" (ValidationError, terraform-provider-aws#19567,
  seen for an invalid stat; assumed for the other cases).
- EvaluationPeriods and ComparisonOperator: no longer required by the model (PromQL alarms
  define them inside EvaluationCriteria) but needed by metric and metric math alarms:
  ValidationError "1 validation error detected: Value null at 'evaluationPeriods' failed to
  satisfy constraint: Member must not be null" (the model's wording when they were required;
  assumed still). Threshold is "required for alarms based on static thresholds" (same form,
  assumed); "Threshold and ThresholdMetricId cannot both be set" (cfn-lint#1306); the
  anomaly-band operators LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold,
  GreaterThanUpperThreshold "are used only for alarms based on anomaly detection models" and
  the static ones not with ThresholdMetricId (ValidationError, wording assumed).
- "Period multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms with a
  period of less than one hour (3,600 seconds), the total evaluation period can't be longer
  than one day (86,400 seconds)." (ValidationError, wording assumed; for metric math the
  longest MetricStat period is the alarm's).
- DatapointsToAlarm ("the M" of "M out of N"): ValidationError "DatapointsToAlarm must be less
  than or equal to EvaluationPeriods" (hashicorp/terraform#24070).
- TreatMissingData "Valid Values: breaching | notBreaching | ignore | missing": ValidationError
  "The value X is not supported for TreatMissingData parameter. Supported values are
  [breaching, notBreaching, ignore, missing]." (LocalStack's CloudWatch provider wording);
  EvaluateLowSampleCountPercentile "evaluate | ignore" (moto's ValidationError).
- Actions, at most 5 per list (the model: the validation layer answers it): each one of the
  documented action ARNs (EC2 `arn:aws:automate:REGION:ec2:stop|terminate|reboot|recover`,
  `arn:aws:swf:REGION:ACCOUNT:action/actions/AWS_EC2.InstanceId.Stop|Terminate|Reboot|Recover
  /1.0`, Auto Scaling `scalingPolicy:...`, Lambda `function:NAME[:VERSION|ALIAS]`, SNS
  `arn:aws:sns:REGION:ACCOUNT:TOPIC`, SSM `opsitem:SEVERITY[#CATEGORY=...]`, SSM Incidents
  `arn:aws:ssm-incidents::ACCOUNT:responseplan/NAME`, AIOps `investigation-group:ID`), else
  ValidationError (wording assumed; AWS answered an empty message, hashicorp/terraform#19015);
  in the alarm's Region: ValidationError "Invalid region ca-central-1 specified. Only
  us-west-2 is supported." (cds-snc/notification-terraform#128). The topic need not exist.
- AlarmName "can't contain ASCII control characters" (ValidationError, wording assumed).

DescribeAlarms: the filters combine; "If this parameter [AlarmNamePrefix] is specified, you
cannot specify AlarmNames", ChildrenOfAlarmName/ParentsOfAlarmName only with MaxRecords and
NextToken ("you receive a validation error"; wording assumed); "If you omit this parameter
[AlarmTypes], only metric alarms are returned"; MaxRecords 1-100 (model), 50 by default
(assumed), alarms in name order; an unknown NextToken: InvalidNextToken (wording assumed).

DeleteAlarms: at most 100 names (model); "If you specify any incorrect alarm names, the alarms
you specify with correct names are still deleted" (no error; moto and LocalStack agree). A
deleted alarm's tags go with it (ListTagsForResource/TagResource/UntagResource then answer
ResourceNotFoundException, as for any ARN that is not an alarm; moto listed no tags).

SetAlarmState: "When the updated state differs from the previous value, the action
configured for the appropriate state is invoked. For example, if your alarm is configured to
send an Amazon SNS message when an alarm is triggered, temporarily changing the alarm state to
ALARM sends an SNS message" (only when ActionsEnabled). An SNS action publishes as the service
principal `cloudwatch.amazonaws.com` (`sns_rules.publish_as_service`): the topic's access
policy must let it publish (aws:SourceAccount / aws:SourceArn / AWS:SourceOwner are the alarm's
account and ARN), and an encrypted topic's key must exist, be enabled and let
`cloudwatch.amazonaws.com` use kms:GenerateDataKey* and kms:Decrypt (Amazon SNS Developer
Guide, "Configure KMS permissions for AWS services": the key policy statement for
`cloudwatch.amazonaws.com`; the AWS managed key aws/sns cannot be used). Otherwise nothing is
delivered; the alarm history records each action ("Successfully executed action ARN", history
data `actionState`, `notificationResource`, `publishedMessage`, `error`: an AWS history item
quoted in aws/aws-sdk-java#1723; the failure's summary wording assumed), and the emulator's
rejection list records the failure (kind `delivery`).
The message is CloudWatch's alarm notification (AlarmName, AlarmDescription, AWSAccountId,
AlarmConfigurationUpdatedTimestamp, NewStateValue, NewStateReason, StateChangeTime, Region as
its long name, AlarmArn, OldStateValue, the three action lists, Trigger with MetricName,
Namespace, StatisticType, Statistic in capitals, Unit, Dimensions as {value, name}, Period,
EvaluationPeriods, DatapointsToAlarm, ComparisonOperator, Threshold, TreatMissingData,
EvaluateLowSampleCountPercentile, or Trigger.Metrics for metric math; timestamps
`2022-07-09T02:36:47.890+0000`), subject `ALARM: "NAME" in US East (N. Virginia)`: the
format of published notifications (e.g. the SNS records quoted in public Lambda handlers and
tests; Region names as botocore's endpoints data). History items: ConfigurationUpdate
`Alarm "NAME" created|updated`, StateUpdate `Alarm updated from OK to ALARM` (wording of the
CloudWatch console's history, assumed), Action.

Not modelled: evaluating metric data (PutMetricData does not change alarm states; an alarm
leaves INSUFFICIENT_DATA only by SetAlarmState), composite alarms, actions other than SNS
(accepted, never run), the alarm quota (LimitExceeded)."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import json
import re
from typing import Any

from moto.cloudwatch.exceptions import (
    CloudWatchException,
    InvalidParameterCombination,
    InvalidParameterValue,
    ResourceNotFoundException,
    ValidationError,
)
from moto.cloudwatch.models import cloudwatch_backends
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow

from .. import rejections
from . import add, wrap

SERVICE = "monitoring"
PRINCIPAL = "cloudwatch.amazonaws.com"
BAND_OPERATORS = ("LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold")
TREAT_MISSING = ("breaching", "notBreaching", "ignore", "missing")
METRICS_EXCLUSIVE = ("Namespace", "MetricName", "Dimensions", "Period", "Unit", "Statistic", "ExtendedStatistic")
CRITERIA_EXCLUSIVE = (
    "Namespace", "MetricName", "Dimensions", "Period", "Unit", "Statistic", "ExtendedStatistic", "Metrics",
    "Threshold", "ComparisonOperator", "ThresholdMetricId", "EvaluationPeriods", "DatapointsToAlarm",
)
MAX_QUERIES, MAX_STATS, MAX_EXPRESSIONS = 20, 10, 10
DEFAULT_MAX_RECORDS = 50
DEFAULT_HISTORY_RECORDS = 100
INVALID_METRICS = "Invalid metrics list"
QUERY_ID = re.compile(r"[a-z][A-Za-z0-9_]*")
_PCT = r"(\d{1,2}(\.\d{1,10})?|100)"
EXTENDED_STATISTIC = re.compile(
    rf"(p|tm|tc|ts|wm){_PCT}|IQM|PR\([^:()]*:[^:()]*\)|(TC|TM|TS|WM)\({_PCT}?%?:{_PCT}?%?\)"
)
STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
QUERY_PERIODS = (1, 5, 10, 20, 30)
ALARM_PERIODS = (10, 20, 30)
EC2_ACTIONS = ("stop", "terminate", "reboot", "recover")
SWF_ACTION = re.compile(r"action/actions/AWS_EC2\.InstanceId\.(Stop|Terminate|Reboot|Recover)/1\.0")


class InvalidNextToken(CloudWatchException):
    code = "InvalidNextToken"


def refuse(error: Exception, operation: str) -> Exception:
    return rejections.rule(error, SERVICE, operation)


def null_member(member: str) -> str:
    return f"1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"


# ---------------------------------------------------------------------------------------------
# PutMetricAlarm


def check_action(arn: str, region: str) -> None:
    """An alarm action ARN of a documented kind, in the alarm's Region."""
    parts = str(arn).split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1]:
        raise refuse(ValidationError(f"Invalid alarm action ARN: {arn}"), "PutMetricAlarm")  # wording assumed
    _, _, service, arn_region, account, resource = parts
    if service == "automate":
        ok = account == "ec2" and resource in EC2_ACTIONS
    elif service == "swf":
        ok = bool(SWF_ACTION.fullmatch(resource)) and account.isdigit()
    elif service == "autoscaling":
        ok = resource.startswith("scalingPolicy:") and account.isdigit()
    elif service == "lambda":
        ok = re.fullmatch(r"function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?", resource) is not None and account.isdigit()
    elif service == "sns":
        ok = re.fullmatch(r"[A-Za-z0-9_-]{1,256}(\.fifo)?", resource) is not None and account.isdigit()
    elif service == "ssm":
        ok = resource.startswith("opsitem:") and account.isdigit()
    elif service == "ssm-incidents":
        ok = resource.startswith("responseplan/") and account.isdigit()
    elif service == "aiops":
        ok = resource.startswith("investigation-group:") and account.isdigit()
    else:
        ok = False
    if not ok:
        raise refuse(ValidationError(f"Invalid alarm action ARN: {arn}"), "PutMetricAlarm")  # wording assumed
    if service != "ssm-incidents" and arn_region != region:
        raise refuse(
            ValidationError(f"Invalid region {arn_region} specified. Only {region} is supported."), "PutMetricAlarm"
        )


def query_period(query: dict[str, Any]) -> int | None:
    stat = query.get("MetricStat") or {}
    return stat.get("Period") or query.get("Period")


def check_metrics(metrics: list[dict[str, Any]], threshold_metric_id: str | None) -> int | None:
    """The Metrics array's rules; answers the alarm's period (the longest MetricStat period)."""
    op = "PutMetricAlarm"
    stats = [q for q in metrics if q.get("MetricStat")]
    expressions = [q for q in metrics if q.get("Expression")]
    if len(metrics) > MAX_QUERIES or len(stats) > MAX_STATS or len(expressions) > MAX_EXPRESSIONS:
        raise refuse(ValidationError(INVALID_METRICS), op)
    ids = [q.get("Id") for q in metrics]
    if len(set(ids)) != len(ids):
        raise refuse(ValidationError(INVALID_METRICS), op)
    for query in metrics:
        if not query.get("Id") or not QUERY_ID.fullmatch(str(query["Id"])):
            raise refuse(ValidationError(INVALID_METRICS), op)
        if bool(query.get("MetricStat")) == bool(query.get("Expression")):
            raise refuse(ValidationError(INVALID_METRICS), op)
        stat = query.get("MetricStat")
        if stat:
            metric = stat.get("Metric") or {}
            name = stat.get("Stat")
            if not metric.get("MetricName") or not metric.get("Namespace") or not name:
                raise refuse(ValidationError(INVALID_METRICS), op)
            if name not in STATISTICS and not EXTENDED_STATISTIC.fullmatch(str(name)):
                raise refuse(ValidationError(INVALID_METRICS), op)
        period = query_period(query)
        if period is not None and period not in QUERY_PERIODS and period % 60 != 0:
            raise refuse(ValidationError(INVALID_METRICS), op)
    returning = [q for q in metrics if q.get("ReturnData", True) is not False]
    if threshold_metric_id:
        if len(returning) != 2:
            raise refuse(ValidationError("Exactly two elements of the metrics list should return data."), op)
        if sum(1 for q in metrics if q.get("Id") == threshold_metric_id) != 1:
            raise refuse(
                ValidationError("Metrics list must contain exactly one metric matching the ThresholdMetricId parameter"),
                op,
            )
    elif len(returning) != 1:
        raise refuse(ValidationError("Exactly one element of the metrics list should return data."), op)
    periods = [p for p in (query_period(q) for q in metrics) if p]
    return max(periods) if periods else None


def check_put(self: CloudWatchResponse) -> None:
    """PutMetricAlarm's rules (module docstring), before moto stores the alarm."""
    op = "PutMetricAlarm"
    get = self._get_param
    name = get("AlarmName") or ""
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise refuse(ValidationError("The alarm name must not contain ASCII control characters."), op)  # assumed
    metrics = get("Metrics") or []
    criteria = get("EvaluationCriteria")
    if criteria:
        for member in CRITERIA_EXCLUSIVE:
            if get(member) not in (None, [], ""):
                raise refuse(ValidationError(f"{member} should not be set if EvaluationCriteria is set."), op)  # assumed
        return
    if get("EvaluationInterval") is not None:
        raise refuse(ValidationError("EvaluationInterval can only be set if EvaluationCriteria is set."), op)  # assumed
    threshold_metric_id = get("ThresholdMetricId")
    if metrics:
        for member in METRICS_EXCLUSIVE:
            if get(member) not in (None, [], ""):
                raise refuse(ValidationError(f"{member} should not be set if list of Metrics is set."), op)
        period = check_metrics(metrics, threshold_metric_id)
    else:
        if not get("MetricName"):
            raise refuse(ValidationError("MetricName must not be null"), op)
        if not get("Namespace"):
            raise refuse(ValidationError("Namespace must not be null"), op)  # wording assumed
        statistic, extended = get("Statistic"), get("ExtendedStatistic")
        if bool(statistic) == bool(extended):
            raise refuse(
                InvalidParameterCombination("Exactly one of Statistic and ExtendedStatistic must be specified."), op
            )  # wording assumed
        if extended and not EXTENDED_STATISTIC.fullmatch(str(extended)):
            raise refuse(
                InvalidParameterValue(f"The value {extended} for parameter ExtendedStatistic is not supported."), op
            )
        period = get("Period")
        if period is None:
            raise refuse(ValidationError("Period must not be null"), op)  # wording assumed
        if period not in ALARM_PERIODS and period % 60 != 0:
            raise refuse(ValidationError("Period must be 10, 20, 30 or a multiple of 60"), op)
    evaluation_periods = get("EvaluationPeriods")
    if evaluation_periods is None:
        raise refuse(ValidationError(null_member("evaluationPeriods")), op)
    operator = get("ComparisonOperator")
    if operator is None:
        raise refuse(ValidationError(null_member("comparisonOperator")), op)
    threshold = get("Threshold")
    if threshold_metric_id:
        if threshold is not None:
            raise refuse(ValidationError("Threshold and ThresholdMetricId cannot both be set"), op)
        if operator not in BAND_OPERATORS:
            raise refuse(
                ValidationError(f"The comparison operator {operator} is not supported for an alarm based on "
                                "an anomaly detection model."), op)  # wording assumed
    else:
        if threshold is None:
            raise refuse(ValidationError(null_member("threshold")), op)  # assumed
        if operator in BAND_OPERATORS:
            raise refuse(
                ValidationError(f"The comparison operator {operator} is only supported for alarms based on "
                                "anomaly detection models."), op)  # wording assumed
    if period:
        total = period * evaluation_periods
        if total > 604800:
            raise refuse(ValidationError(
                "The evaluation period of an alarm (Period multiplied by EvaluationPeriods) cannot exceed "
                "604800 seconds (7 days)."), op)  # wording assumed
        if period < 3600 and total > 86400:
            raise refuse(ValidationError(
                "The evaluation period of an alarm (Period multiplied by EvaluationPeriods) cannot exceed "
                "86400 seconds (1 day) for a period shorter than one hour."), op)  # wording assumed
    datapoints = get("DatapointsToAlarm")
    if datapoints is not None and datapoints > evaluation_periods:
        raise refuse(ValidationError("DatapointsToAlarm must be less than or equal to EvaluationPeriods"), op)
    treat = get("TreatMissingData")
    if treat is not None and treat not in TREAT_MISSING:
        raise refuse(ValidationError(
            f"The value {treat} is not supported for TreatMissingData parameter. Supported values are "
            "[breaching, notBreaching, ignore, missing]."), op)
    for member in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        for arn in get(member) or []:
            check_action(arn, self.region)


# ---------------------------------------------------------------------------------------------
# Alarms as DescribeAlarms shows them; history


def backend_of(account: str, region: str) -> Any:
    return cloudwatch_backends[account][region]


def history_of(backend: Any) -> list[dict[str, Any]]:
    """The backend's alarm history (moto's reset builds new backends, so it goes with them)."""
    if not hasattr(backend, "_mosia_history"):
        backend._mosia_history = []
    return backend._mosia_history


def record_history(backend: Any, alarm_name: str, kind: str, summary: str, data: dict[str, Any]) -> None:
    history_of(backend).append({
        "AlarmName": alarm_name,
        "AlarmType": "MetricAlarm",
        "Timestamp": utcnow(),
        "HistoryItemType": kind,
        "HistorySummary": summary,
        "HistoryData": json.dumps(data),
    })


def epoch_ms(when: dt.datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return int(when.timestamp() * 1000)


def notification_time(when: dt.datetime) -> str:
    """`2022-07-09T02:36:47.890+0000`, as CloudWatch's notifications write timestamps."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+0000"


def dimensions_of(value: Any) -> list[dict[str, str]]:
    out = []
    for d in value or []:
        if isinstance(d, dict):
            out.append({"Name": d.get("Name"), "Value": d.get("Value")})
        else:
            out.append({"Name": d.name, "Value": d.value})
    return out


def metrics_of(alarm: Any) -> list[dict[str, Any]]:
    """The alarm's Metrics as given to PutMetricAlarm (moto drops AccountId and keeps
    ReturnData as sent)."""
    raw = getattr(alarm, "_mosia_metrics", None)
    if raw is not None:
        return raw
    return []


def alarm_dict(alarm: Any) -> dict[str, Any]:
    """A MetricAlarm as DescribeAlarms answers it (absent members omitted)."""
    metrics = metrics_of(alarm)
    out: dict[str, Any] = {
        "AlarmName": alarm.name,
        "AlarmArn": alarm.alarm_arn,
        "AlarmDescription": alarm.description,
        "AlarmConfigurationUpdatedTimestamp": alarm.configuration_updated_timestamp,
        "ActionsEnabled": alarm.actions_enabled,
        "OKActions": list(alarm.ok_actions or []),
        "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
        "StateValue": alarm.state_value,
        "StateReason": alarm.state_reason,
        "StateReasonData": alarm.state_reason_data,
        "StateUpdatedTimestamp": alarm.state_updated_timestamp,
        "StateTransitionedTimestamp": getattr(alarm, "state_transitioned_timestamp", alarm.state_updated_timestamp),
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm,
        "Threshold": None if alarm.threshold is None else float(alarm.threshold),
        "ComparisonOperator": alarm.comparison_operator,
        "TreatMissingData": alarm.treat_missing_data,
        "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile,
        "ThresholdMetricId": alarm.threshold_metric_id,
    }
    if metrics:
        out["Metrics"] = metrics
    else:
        out.update({
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "Statistic": alarm.statistic,
            "ExtendedStatistic": alarm.extended_statistic,
            "Dimensions": dimensions_of(alarm.dimensions),
            "Period": alarm.period,
            "Unit": alarm.unit,
        })
    return {k: v for k, v in out.items() if v is not None}


def trigger_of(alarm: Any) -> dict[str, Any]:
    """The notification's Trigger (its field order and spelling)."""
    tail: dict[str, Any] = {"EvaluationPeriods": alarm.evaluation_periods}
    if alarm.datapoints_to_alarm is not None:
        tail["DatapointsToAlarm"] = alarm.datapoints_to_alarm
    tail["ComparisonOperator"] = alarm.comparison_operator
    if alarm.threshold_metric_id:
        tail["ThresholdMetricId"] = alarm.threshold_metric_id
    else:
        tail["Threshold"] = None if alarm.threshold is None else float(alarm.threshold)
    tail["TreatMissingData"] = alarm.treat_missing_data or "missing"
    tail["EvaluateLowSampleCountPercentile"] = alarm.evaluate_low_sample_count_percentile or ""
    metrics = metrics_of(alarm)
    if metrics:
        periods = [p for p in (query_period(q) for q in metrics) if p]
        queries = []
        for q in metrics:
            item: dict[str, Any] = {}
            if q.get("Expression"):
                item["Expression"] = q["Expression"]
            item["Id"] = q.get("Id")
            if q.get("Label"):
                item["Label"] = q["Label"]
            stat = q.get("MetricStat")
            if stat:
                metric = stat.get("Metric") or {}
                item["MetricStat"] = {
                    "Metric": {
                        "Dimensions": [{"value": d.get("Value"), "name": d.get("Name")} for d in metric.get("Dimensions") or []],
                        "MetricName": metric.get("MetricName"),
                        "Namespace": metric.get("Namespace"),
                    },
                    "Period": stat.get("Period"),
                    "Stat": stat.get("Stat"),
                }
                if stat.get("Unit"):
                    item["MetricStat"]["Unit"] = stat["Unit"]
            item["ReturnData"] = q.get("ReturnData", True) is not False
            if q.get("AccountId"):
                item["AccountId"] = q["AccountId"]
            queries.append(item)
        return {"Period": periods[0] if periods else None, **tail, "Metrics": queries}
    extended = alarm.extended_statistic
    return {
        "MetricName": alarm.metric_name,
        "Namespace": alarm.namespace,
        "StatisticType": "ExtendedStatistic" if extended else "Statistic",
        "Statistic": extended if extended else str(alarm.statistic or "").upper(),
        "Unit": alarm.unit,
        "Dimensions": [{"value": d["Value"], "name": d["Name"]} for d in dimensions_of(alarm.dimensions)],
        "Period": alarm.period,
        **tail,
    }


@functools.lru_cache(maxsize=None)
def region_names() -> dict[str, str]:
    from botocore.loaders import Loader

    names: dict[str, str] = {}
    for partition in Loader().load_data("endpoints")["partitions"]:
        for code, region in partition.get("regions", {}).items():
            names[code] = region.get("description", code)
    return names


def notification(alarm: Any, old_state: str, account: str, region: str) -> dict[str, Any]:
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description or None,
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": notification_time(alarm.configuration_updated_timestamp),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": notification_time(alarm.state_updated_timestamp),
        "Region": region_names().get(region, region),
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old_state,
        "OKActions": list(alarm.ok_actions or []),
        "AlarmActions": list(alarm.alarm_actions or []),
        "InsufficientDataActions": list(alarm.insufficient_data_actions or []),
        "Trigger": trigger_of(alarm),
    }


def subject_of(alarm: Any, region: str) -> str:
    subject = f'{alarm.state_value}: "{alarm.name}" in {region_names().get(region, region)}'
    return subject[:100]  # SNS subjects are shorter than 100 characters (truncation assumed)


def run_actions(backend: Any, alarm: Any, old_state: str, account: str, region: str) -> None:
    """The actions of the alarm's new state: each SNS topic gets the notification, published as
    cloudwatch.amazonaws.com when the topic's policy and key let it (sns_rules)."""
    from . import ensure, sns_rules

    actions = {
        "ALARM": alarm.alarm_actions,
        "OK": alarm.ok_actions,
        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
    }.get(alarm.state_value) or []
    sns_actions = [a for a in actions if str(a).split(":")[2:3] == ["sns"]]
    if not sns_actions:
        return
    ensure("sns")
    message = json.dumps(notification(alarm, old_state, account, region), separators=(",", ":"))
    subject = subject_of(alarm, region)
    for arn in sns_actions:
        ok, detail = sns_rules.publish_as_service(
            arn, PRINCIPAL, source_account=account, source_arn=alarm.alarm_arn, message=message, subject=subject
        )
        data: dict[str, Any] = {
            "actionState": "Succeeded" if ok else "Failed",
            "stateUpdateTimestamp": epoch_ms(alarm.state_updated_timestamp),
            "notificationResource": arn,
            "publishedMessage": json.dumps({"default": message}) if ok else None,
            "error": None if ok else detail,
        }
        if ok:
            record_history(backend, alarm.name, "Action", f"Successfully executed action {arn}", data)
        else:
            record_history(backend, alarm.name, "Action", f"Failed to execute action {arn}", data)
            code = detail.split(":", 1)[0] if ":" in detail else "Failed"
            rejections.record("delivery", SERVICE, "SetAlarmState", code, f"{arn}: {detail}")


# ---------------------------------------------------------------------------------------------
# Paging


def encode_token(position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def decode_token(token: str | None, operation: str) -> Any:
    if not token:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise refuse(InvalidNextToken("The specified NextToken is not valid."), operation)  # wording assumed


# ---------------------------------------------------------------------------------------------


def apply(state: Any) -> None:  # noqa: C901 - one wrapper per call
    @wrap(CloudWatchResponse, "put_metric_alarm")
    def put_metric_alarm(orig: Any, self: CloudWatchResponse) -> Any:
        check_put(self)
        backend = self.cloudwatch_backend
        name = self._get_param("AlarmName")
        before = backend.alarms.get(name)
        tags_before = None
        if before is not None:
            tags_before = dict(backend.tagger.get_tag_dict_for_resource(before.alarm_arn))
        result = orig(self)
        alarm = backend.alarms[name]
        metrics = self._get_param("Metrics") or []
        alarm._mosia_metrics = copy.deepcopy(list(metrics)) or None
        if before is not None:
            # Updates keep the state and the tags (API reference, PutMetricAlarm).
            alarm.state_value = before.state_value
            alarm.state_reason = before.state_reason
            alarm.state_reason_data = before.state_reason_data
            alarm.state_updated_timestamp = before.state_updated_timestamp
            alarm.state_transitioned_timestamp = getattr(
                before, "state_transitioned_timestamp", before.state_updated_timestamp
            )
            backend.tagger.delete_all_tags_for_resource(alarm.alarm_arn)
            if tags_before:
                backend.tagger.tag_resource(alarm.alarm_arn, backend.tagger.convert_dict_to_tags_input(tags_before))
            record_history(backend, name, "ConfigurationUpdate", f'Alarm "{name}" updated',
                           {"type": "Update", "updatedAlarm": {"alarmName": name}})
        else:
            alarm.state_value = "INSUFFICIENT_DATA"
            alarm.state_reason = "Unchecked: Initial alarm creation"
            alarm.state_reason_data = None
            alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
            record_history(backend, name, "ConfigurationUpdate", f'Alarm "{name}" created',
                           {"type": "Create", "createdAlarm": {"alarmName": name}})
        return result

    @add(CloudWatchResponse)
    def describe_alarms(self: CloudWatchResponse) -> Any:
        op = "DescribeAlarms"
        get = self._get_param
        names = get("AlarmNames") or []
        prefix = get("AlarmNamePrefix")
        if names and prefix:
            raise refuse(InvalidParameterCombination(
                "AlarmNamePrefix and AlarmNames cannot be specified together."), op)  # wording assumed
        family = get("ChildrenOfAlarmName") or get("ParentsOfAlarmName")
        if family and any(get(m) for m in ("AlarmNames", "AlarmNamePrefix", "StateValue", "ActionPrefix", "AlarmTypes")):
            raise refuse(ValidationError(
                "ChildrenOfAlarmName and ParentsOfAlarmName cannot be combined with other parameters except "
                "MaxRecords and NextToken."), op)  # wording assumed
        types = get("AlarmTypes") or ["MetricAlarm"]
        state_value = get("StateValue")
        action_prefix = get("ActionPrefix")
        alarms = [] if family else sorted(self.cloudwatch_backend.alarms.values(), key=lambda a: a.name)
        if "MetricAlarm" not in types:
            alarms = []
        alarms = [
            a for a in alarms
            if a.rule is None
            and (not names or a.name in names)
            and (not prefix or a.name.startswith(prefix))
            and (not state_value or a.state_value == state_value)
            and (not action_prefix or any(str(x).startswith(action_prefix) for x in
                                          list(a.alarm_actions or []) + list(a.ok_actions or [])
                                          + list(a.insufficient_data_actions or [])))
        ]
        after = decode_token(get("NextToken"), op)
        if after is not None:
            if not isinstance(after, str):
                raise refuse(InvalidNextToken("The specified NextToken is not valid."), op)  # wording assumed
            alarms = [a for a in alarms if a.name > after]
        limit = get("MaxRecords") or DEFAULT_MAX_RECORDS
        page, rest = alarms[:limit], alarms[limit:]
        result: dict[str, Any] = {"MetricAlarms": [alarm_dict(a) for a in page], "CompositeAlarms": []}
        if rest:
            result["NextToken"] = encode_token(page[-1].name)
        return ActionResult(result)

    @wrap(CloudWatchResponse, "delete_alarms")
    def delete_alarms(orig: Any, self: CloudWatchResponse) -> Any:
        backend = self.cloudwatch_backend
        for name in self._get_param("AlarmNames") or []:
            alarm = backend.alarms.get(name)
            if alarm is not None:
                backend.tagger.delete_all_tags_for_resource(alarm.alarm_arn)
                record_history(backend, name, "ConfigurationUpdate", f'Alarm "{name}" deleted',
                               {"type": "Delete", "deletedAlarm": {"alarmName": name}})
        return orig(self)

    @wrap(CloudWatchResponse, "set_alarm_state")
    def set_alarm_state(orig: Any, self: CloudWatchResponse) -> Any:
        backend = self.cloudwatch_backend
        name = self._get_param("AlarmName")
        alarm = backend.alarms.get(name)
        old_state = alarm.state_value if alarm is not None else None
        old_reason = alarm.state_reason if alarm is not None else None
        result = orig(self)
        alarm = backend.alarms[name]
        if alarm.state_value != old_state:
            alarm.state_transitioned_timestamp = alarm.state_updated_timestamp
            record_history(backend, name, "StateUpdate", f"Alarm updated from {old_state} to {alarm.state_value}", {
                "version": "1.0",
                "oldState": {"stateValue": old_state, "stateReason": old_reason},
                "newState": {"stateValue": alarm.state_value, "stateReason": alarm.state_reason},
            })
            if alarm.actions_enabled:
                run_actions(backend, alarm, old_state, self.current_account, self.region)
        return result

    @add(CloudWatchResponse)
    def describe_alarm_history(self: CloudWatchResponse) -> Any:
        op = "DescribeAlarmHistory"
        get = self._get_param
        name = get("AlarmName")
        kind = get("HistoryItemType")
        types = get("AlarmTypes") or ["MetricAlarm"]
        start, end = get("StartDate"), get("EndDate")

        def naive(value: Any) -> Any:
            if isinstance(value, (int, float)):
                value = dt.datetime.fromtimestamp(value, dt.timezone.utc)
            if isinstance(value, str):
                value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
            return value

        start, end = naive(start), naive(end)
        items = [
            h for h in history_of(self.cloudwatch_backend)
            if (not name or h["AlarmName"] == name)
            and (not kind or h["HistoryItemType"] == kind)
            and h["AlarmType"] in types
            and (start is None or h["Timestamp"] >= start)
            and (end is None or h["Timestamp"] <= end)
        ]
        indexed = list(enumerate(items))
        if (get("ScanBy") or "TimestampDescending") == "TimestampDescending":
            indexed.reverse()
        after = decode_token(get("NextToken"), op)
        if after is not None:
            if not isinstance(after, int) or not 0 <= after <= len(indexed):
                raise refuse(InvalidNextToken("The specified NextToken is not valid."), op)  # wording assumed
            indexed = indexed[after:]
            offset = after
        else:
            offset = 0
        limit = get("MaxRecords") or DEFAULT_HISTORY_RECORDS
        page = [item for _, item in indexed[:limit]]
        result: dict[str, Any] = {"AlarmHistoryItems": page}
        if len(indexed) > limit:
            result["NextToken"] = encode_token(offset + limit)
        return ActionResult(result)

    def known_alarm(self: CloudWatchResponse, operation: str) -> None:
        arn = self._get_param("ResourceARN")
        backend = self.cloudwatch_backend
        if arn not in {a.alarm_arn for a in backend.alarms.values()} and ":insight-rule/" not in str(arn):
            raise refuse(ResourceNotFoundException(), operation)

    @wrap(CloudWatchResponse, "list_tags_for_resource")
    def list_tags_for_resource(orig: Any, self: CloudWatchResponse) -> Any:
        known_alarm(self, "ListTagsForResource")
        return orig(self)

    @wrap(CloudWatchResponse, "untag_resource")
    def untag_resource(orig: Any, self: CloudWatchResponse) -> Any:
        known_alarm(self, "UntagResource")
        arn = self._get_param("ResourceARN")
        backend = self.cloudwatch_backend
        if arn not in backend.tagger.tags:
            return EmptyResult()  # an alarm without tags: nothing to remove (moto: not found)
        return orig(self)

    @wrap(CloudWatchResponse, "tag_resource")
    def tag_resource(orig: Any, self: CloudWatchResponse) -> Any:
        known_alarm(self, "TagResource")
        return orig(self)
