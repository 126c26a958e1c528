"""AWS Budgets (json protocol, target `AWSBudgetServiceGateway`): budgets, their notifications
and subscribers, and their tags, with the rules AWS documents.

moto 5.2.5 has CreateBudget, DescribeBudget(s), DeleteBudget, CreateNotification,
DeleteNotification and DescribeNotificationsForBudget, keeps notifications without their
subscribers, checks nothing but duplicate names, and lacks UpdateBudget, the subscriber calls
and the tag calls. This module serves every call below itself (state kept on moto's budgets
backend, so `/_mosia/reset` clears it):

CreateBudget (`NotificationsWithSubscribers`, `ResourceTags`), DescribeBudget,
DescribeBudgets (`MaxResults`/`NextToken`), UpdateBudget, DeleteBudget, CreateNotification,
UpdateNotification, DeleteNotification, DescribeNotificationsForBudget, CreateSubscriber,
UpdateSubscriber, DeleteSubscriber, DescribeSubscribersForNotification, TagResource,
UntagResource, ListTagsForResource.

Sources (AWS Billing and Cost Management API reference, "AWS Budgets" actions and data types,
as shipped in botocore's budgets-2016-10-20 model):
- CreateBudget / UpdateBudget: "Only one of BudgetLimit or PlannedBudgetLimits can be present
  ... Either FilterExpression and Metrics or CostFilters and CostTypes, not both or a
  different combination" (InvalidParameterException; wording assumed). A COST or USAGE budget
  needs a limit ("BudgetLimit is required for cost or usage budgets"): "Unable to create/update
  budget - please provide one of the followings: Budget Limit/ Planned Budget Limit/ Auto
  Adjust Data" (the message moto 5.2.5 carries for it). UpdateBudget: "You can change every
  part of a budget except for the budgetName and the calculatedSpend. When you modify a budget,
  the calculatedSpend drops to zero".
- Budget.BudgetName: "The name must be unique within an account. The : and \\ characters, and
  the "/action/" substring, aren't allowed" (the model's pattern uses an inline `(?i)` Python
  cannot compile, so `validation.py` skips it: checked here, answered as the validation layer
  answers a pattern, InvalidParameterException). A taken name: DuplicateRecordException "Error
  creating budget: NAME - the budget already exists." (aws-cloudformation/
  cloudformation-coverage-roadmap#365 quotes this message from AWS). A missing budget:
  NotFoundException "Unable to get budget: NAME - the budget doesn't exist." / "Unable to
  delete budget: NAME - the budget doesn't exist. Try creating it first. " (moto's wording,
  kept); other NotFound wordings assumed.
- Budget.TimePeriod: "The start date must come before the end date. The end date must come
  before 06/15/87 00:00 UTC"; without a start date AWS uses the start of the chosen period
  (MONTHLY: the first of the month, 00:00 UTC), without an end date 06/15/87 00:00 UTC
  (InvalidParameterException, wording assumed).
- DescribeBudget(s) `ShowFilterExpression`: "Specifies whether the response includes the filter
  expression": FilterExpression is answered only when it is true.
- Expression: one operator per expression (Cost Explorer's Expression reference: "each
  Expression can have only one operator"; InvalidParameterException, wording assumed).
- Notification: "A budget can have up to ten notifications" (Notification data type; the older
  CreateBudget parameter text still says five: the data type's ten is used);
  "Each notification must have at least one subscriber. A notification can have one SNS
  subscriber and up to 10 email subscribers". More than one SNS subscriber:
  CreationLimitExceededException "one notification can only have 1 subscribers with type of
  SNS" (as AWS answered it, aprin-labs/archimedes#1712); more than 10 email subscribers and an
  eleventh notification: CreationLimitExceededException (wording assumed, modelled on the SNS
  one). Threshold: "The maximum limit for your threshold is 1,000,000% above the budgeted
  amount" (PERCENTAGE thresholds above 1,000,000 refused, InvalidParameterException, wording
  assumed). A notification is identified by NotificationType, ComparisonOperator, Threshold and
  ThresholdType (default PERCENTAGE); the same one twice: DuplicateRecordException (wording
  assumed). DescribeNotificationsForBudget omits ThresholdType when it is PERCENTAGE
  (terraform-provider-aws budgets: "The AWS API doesn't seem to return a ThresholdType if it's
  set to PERCENTAGE").
- Subscriber: "either an Amazon SNS topic or an email address"; "the value of Address can't
  contain line breaks". An SNS address must be an SNS topic ARN, an EMAIL address an e-mail
  address (InvalidParameterException, wording assumed). The topic's policy is not checked: AWS
  accepts the subscriber and the notification is simply not delivered (the topic must allow
  budgets.amazonaws.com to publish: User Guide "Creating an Amazon SNS topic for budget
  notifications"). DeleteSubscriber: "Deleting the last subscriber to a notification also
  deletes the notification." DeleteNotification: "also deletes the subscribers".
- AccountId: a budget of another account is refused with AccessDeniedException "User: ... is not
  authorized to perform: budgets:... on resource: arn:aws:budgets::ACCOUNT:budget/NAME" (IAM's
  usual wording; assumed for Budgets).
- Tags (ResourceTags since 2024; TagResource, UntagResource, ListTagsForResource on
  `arn:aws:budgets::ACCOUNT:budget/NAME`): at most 200 per resource
  (ServiceQuotaExceededException, "You've reached the limit on the number of tags you can
  associate with a resource."); keys starting with `aws:` are reserved (InvalidParameterException,
  wording assumed); an unknown budget ARN: NotFoundException (wording assumed).

Not modelled: actual and forecasted spend (always 0), budget actions, auto-adjusting amounts,
PlannedBudgetLimits' 12-month shape, RI/Savings Plans budget defaults, billing views.
"""

from __future__ import annotations

import copy
import json
import re
import time
from datetime import datetime, timezone
from typing import Any

from moto.budgets.models import budgets_backends
from moto.budgets.responses import BudgetsResponse
from moto.core.exceptions import JsonRESTError

from .. import rejections
from . import add

SERVICE = "budgets"
MAX_NOTIFICATIONS = 10
MAX_EMAIL_SUBSCRIBERS = 10
MAX_SNS_SUBSCRIBERS = 1
MAX_PERCENTAGE_THRESHOLD = 1_000_000.0
MAX_TAGS = 200
END_OF_TIME = 3706473600.0  # 2087-06-15T00:00:00Z, AWS's default (and latest) end date
NAME_PATTERN = r"^(?![^:\\]*/action/|(?i).*<script>.*</script>.*)[^:\\]+$"
DEFAULT_COST_TYPES = {
    "IncludeTax": True, "IncludeSubscription": True, "UseBlended": False, "IncludeRefund": True,
    "IncludeCredit": True, "IncludeUpfront": True, "IncludeRecurring": True,
    "IncludeOtherSubscription": True, "IncludeSupport": True, "IncludeDiscount": True,
    "UseAmortized": False,
}
EXPRESSION_OPERATORS = ("Or", "And", "Not", "Dimensions", "Tags", "CostCategories", "ProductAttributes")
SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class BudgetsError(JsonRESTError):
    code = 400


def refuse(code: str, message: str, operation: str) -> BudgetsError:
    rejections.record("rule", SERVICE, operation, code, message)
    return BudgetsError(code, message)


# -- state ---------------------------------------------------------------------------------------
def state(response: BudgetsResponse) -> dict[str, Any]:
    """{"budgets": {account: {name: record}}, "tags": {arn: {key: value}}} on moto's backend
    (moto's reset re-creates the backend, and with it this state)."""
    backend = budgets_backends[response.current_account][response.partition]
    found = backend.__dict__.get("_mosia_budgets")
    if found is None:
        found = backend.__dict__["_mosia_budgets"] = {"budgets": {}, "tags": {}}
    return found


def budget_arn(partition: str, account: str, name: str) -> str:
    return f"arn:{partition}:budgets::{account}:budget/{name}"


def body(response: BudgetsResponse) -> dict[str, Any]:
    try:
        data = json.loads(response.body or "{}")
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def account_of(response: BudgetsResponse, params: dict[str, Any], operation: str, action: str,
               name: str = "*") -> str:
    account = str(params.get("AccountId") or "")
    caller = response.current_account
    if account != caller:
        resource = budget_arn(response.partition, account, name)
        raise refuse(
            "AccessDeniedException",
            f"User: arn:{response.partition}:iam::{caller}:user/moto is not authorized to perform: "
            f"budgets:{action} on resource: {resource}",
            operation,
        )
    return account


def budgets_of(response: BudgetsResponse, account: str) -> dict[str, Any]:
    return state(response)["budgets"].setdefault(account, {})


def find_budget(response: BudgetsResponse, account: str, name: str, operation: str, verb: str) -> dict[str, Any]:
    record = budgets_of(response, account).get(name)
    if record is None:
        if verb == "delete":
            message = f"Unable to delete budget: {name} - the budget doesn't exist. Try creating it first. "
        else:
            message = f"Unable to {verb} budget: {name} - the budget doesn't exist."
        raise refuse("NotFoundException", message, operation)
    return record


# -- budgets -------------------------------------------------------------------------------------
def present(value: Any) -> bool:
    return value is not None and value != {} and value != []


def period_start(time_unit: str, now: datetime) -> datetime:
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if time_unit == "DAILY":
        return day
    if time_unit == "QUARTERLY":
        return day.replace(month=3 * ((now.month - 1) // 3) + 1, day=1)
    if time_unit == "ANNUALLY":
        return day.replace(month=1, day=1)
    return day.replace(day=1)  # MONTHLY, CUSTOM


def timestamp(value: Any) -> float | None:
    """An SDK's JSON timestamp (epoch seconds; ISO text accepted too) as epoch seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        pass
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def check_name(name: Any, member: str, operation: str) -> str:
    name = str(name or "")
    if re.match(r"^(?![^:\\]*/action/)[^:\\]+$", name) is None or re.search(
        r"<script>.*</script>", name, re.IGNORECASE
    ):
        raise refuse(
            "InvalidParameterException",
            f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {NAME_PATTERN}",
            operation,
        )
    return name


def check_expression(expression: Any, operation: str, path: str = "FilterExpression") -> None:
    if not isinstance(expression, dict):
        return
    operators = [k for k in EXPRESSION_OPERATORS if present(expression.get(k))]
    if len(operators) != 1:
        raise refuse(
            "InvalidParameterException",
            f"{path} must contain exactly one of And, Or, Not, Dimensions, Tags, CostCategories "
            f"or ProductAttributes ({len(operators)} given).",
            operation,
        )
    op = operators[0]
    if op in ("And", "Or"):
        for i, child in enumerate(expression[op] or []):
            check_expression(child, operation, f"{path}.{op}[{i}]")
    elif op == "Not":
        check_expression(expression["Not"], operation, f"{path}.Not")


def normalize_budget(raw: Any, operation: str) -> dict[str, Any]:
    """The budget as stored, after AWS's checks on a CreateBudget/UpdateBudget body."""
    budget = copy.deepcopy(raw) if isinstance(raw, dict) else {}
    member = "budget.budgetName" if operation == "CreateBudget" else "newBudget.budgetName"
    budget["BudgetName"] = check_name(budget.get("BudgetName"), member, operation)
    if present(budget.get("BudgetLimit")) and present(budget.get("PlannedBudgetLimits")):
        raise refuse(
            "InvalidParameterException",
            "Only one of BudgetLimit or PlannedBudgetLimits can be present in a budget.",
            operation,
        )
    new_style = present(budget.get("FilterExpression")) or present(budget.get("Metrics"))
    old_style = present(budget.get("CostFilters")) or present(budget.get("CostTypes"))
    if new_style and old_style:
        raise refuse(
            "InvalidParameterException",
            "Either FilterExpression and Metrics or CostFilters and CostTypes can be present in a "
            "budget, not both or a different combination.",
            operation,
        )
    budget_type = str(budget.get("BudgetType") or "")
    if budget_type in ("COST", "USAGE") and not any(
        present(budget.get(k)) for k in ("BudgetLimit", "PlannedBudgetLimits", "AutoAdjustData")
    ):
        raise refuse(
            "InvalidParameterException",
            "Unable to create/update budget - please provide one of the followings: Budget Limit/ "
            "Planned Budget Limit/ Auto Adjust Data",
            operation,
        )
    check_expression(budget.get("FilterExpression"), operation)
    period = budget.get("TimePeriod") if isinstance(budget.get("TimePeriod"), dict) else {}
    start = timestamp(period.get("Start"))
    end = timestamp(period.get("End"))
    if start is None:
        start = period_start(str(budget.get("TimeUnit") or "MONTHLY"), datetime.now(timezone.utc)).timestamp()
    if end is None:
        end = END_OF_TIME
    if start >= end:
        raise refuse("InvalidParameterException", "The start date must come before the end date.", operation)
    if end > END_OF_TIME:
        raise refuse(
            "InvalidParameterException", "The end date must come before 06/15/87 00:00 UTC.", operation
        )
    budget["TimePeriod"] = {"Start": start, "End": end}
    for key in ("CostFilters", "CostTypes", "FilterExpression", "Metrics", "PlannedBudgetLimits"):
        if not present(budget.get(key)):
            budget.pop(key, None)
    if budget_type == "COST" and not new_style:
        budget["CostTypes"] = {**DEFAULT_COST_TYPES, **(budget.get("CostTypes") or {})}
    for key in ("CalculatedSpend", "LastUpdatedTime", "HealthStatus"):
        budget.pop(key, None)
    unit = ((budget.get("BudgetLimit") or {}).get("Unit")) or "USD"
    budget["CalculatedSpend"] = {
        "ActualSpend": {"Amount": "0", "Unit": unit},
        "ForecastedSpend": {"Amount": "0", "Unit": unit},
    }
    budget["LastUpdatedTime"] = time.time()
    return budget


def budget_view(record: dict[str, Any], show_filter_expression: bool) -> dict[str, Any]:
    view = copy.deepcopy(record["budget"])
    if not show_filter_expression:
        view.pop("FilterExpression", None)
    return view


# -- notifications and subscribers ---------------------------------------------------------------
def threshold_type(notification: dict[str, Any]) -> str:
    return str(notification.get("ThresholdType") or "PERCENTAGE")


def same_notification(a: dict[str, Any], b: dict[str, Any]) -> bool:
    try:
        same_threshold = abs(float(a.get("Threshold")) - float(b.get("Threshold"))) < 1e-9
    except (TypeError, ValueError):
        same_threshold = a.get("Threshold") == b.get("Threshold")
    return (
        a.get("NotificationType") == b.get("NotificationType")
        and a.get("ComparisonOperator") == b.get("ComparisonOperator")
        and same_threshold
        and threshold_type(a) == threshold_type(b)
    )


def describe_notification(notification: dict[str, Any]) -> str:
    return (
        f"{notification.get('NotificationType')} {notification.get('ComparisonOperator')} "
        f"{notification.get('Threshold')} {threshold_type(notification)}"
    )


def check_notification(notification: Any, operation: str) -> dict[str, Any]:
    notification = dict(notification) if isinstance(notification, dict) else {}
    try:
        threshold = float(notification.get("Threshold"))
    except (TypeError, ValueError):
        threshold = 0.0
    if threshold_type(notification) == "PERCENTAGE" and threshold > MAX_PERCENTAGE_THRESHOLD:
        raise refuse(
            "InvalidParameterException",
            f"The threshold {notification.get('Threshold')} is not valid: the maximum limit for a "
            "percentage threshold is 1,000,000% above the budgeted amount.",
            operation,
        )
    notification.setdefault("NotificationState", "OK")
    return notification


def check_subscriber(subscriber: Any, operation: str) -> dict[str, str]:
    subscriber = dict(subscriber) if isinstance(subscriber, dict) else {}
    kind = str(subscriber.get("SubscriptionType") or "")
    address = str(subscriber.get("Address") or "")
    if "\n" in address or "\r" in address:
        raise refuse(
            "InvalidParameterException",
            "The subscriber address can't contain line breaks.",
            operation,
        )
    if kind == "SNS" and SNS_TOPIC_ARN.match(address) is None:
        raise refuse(
            "InvalidParameterException",
            f"Invalid SNS topic ARN: {address}. An SNS subscriber's address must be the ARN of an "
            "Amazon SNS topic.",
            operation,
        )
    if kind == "EMAIL" and EMAIL.match(address) is None:
        raise refuse(
            "InvalidParameterException",
            f"Invalid email address: {address}.",
            operation,
        )
    return {"SubscriptionType": kind, "Address": address}


def check_subscriber_counts(subscribers: list[dict[str, str]], operation: str) -> None:
    sns = sum(1 for s in subscribers if s["SubscriptionType"] == "SNS")
    email = sum(1 for s in subscribers if s["SubscriptionType"] == "EMAIL")
    if sns > MAX_SNS_SUBSCRIBERS:
        raise refuse(
            "CreationLimitExceededException",
            f"one notification can only have {MAX_SNS_SUBSCRIBERS} subscribers with type of SNS",
            operation,
        )
    if email > MAX_EMAIL_SUBSCRIBERS:
        raise refuse(
            "CreationLimitExceededException",
            f"one notification can only have {MAX_EMAIL_SUBSCRIBERS} subscribers with type of EMAIL",
            operation,
        )


def new_entry(record: dict[str, Any], notification: Any, subscribers: Any, operation: str) -> dict[str, Any]:
    """A notification with its subscribers, checked against the budget's others (not added)."""
    checked = check_notification(notification, operation)
    if not isinstance(subscribers, list) or not subscribers:
        raise refuse(
            "InvalidParameterException",
            "Each notification must have at least one subscriber.",
            operation,
        )
    subs: list[dict[str, str]] = []
    for raw in subscribers:
        sub = check_subscriber(raw, operation)
        if sub in subs:
            raise refuse(
                "DuplicateRecordException",
                f"Error creating subscriber: {sub['Address']} - the subscriber already exists.",
                operation,
            )
        subs.append(sub)
    check_subscriber_counts(subs, operation)
    if any(same_notification(e["notification"], checked) for e in record["notifications"]):
        raise refuse(
            "DuplicateRecordException",
            f"Error creating notification: {describe_notification(checked)} - the notification "
            "already exists.",
            operation,
        )
    if len(record["notifications"]) >= MAX_NOTIFICATIONS:
        raise refuse(
            "CreationLimitExceededException",
            f"one budget can only have {MAX_NOTIFICATIONS} notifications",
            operation,
        )
    return {"notification": checked, "subscribers": subs}


def find_entry(record: dict[str, Any], notification: Any, operation: str, verb: str) -> dict[str, Any]:
    wanted = notification if isinstance(notification, dict) else {}
    for entry in record["notifications"]:
        if same_notification(entry["notification"], wanted):
            return entry
    raise refuse(
        "NotFoundException",
        f"Unable to {verb} notification: {describe_notification(wanted)} - the notification "
        "doesn't exist.",
        operation,
    )


def notification_view(notification: dict[str, Any]) -> dict[str, Any]:
    view = {
        "NotificationType": notification.get("NotificationType"),
        "ComparisonOperator": notification.get("ComparisonOperator"),
        "Threshold": notification.get("Threshold"),
        "NotificationState": notification.get("NotificationState") or "OK",
    }
    if threshold_type(notification) != "PERCENTAGE":
        view["ThresholdType"] = threshold_type(notification)
    return view


def page(items: list[Any], params: dict[str, Any], default_size: int, operation: str) -> tuple[list[Any], str | None]:
    token = params.get("NextToken")
    start = 0
    if token:
        if not str(token).isdigit() or int(token) > len(items):
            raise refuse("InvalidNextTokenException", "The pagination token is invalid.", operation)
        start = int(token)
    size = params.get("MaxResults") or default_size
    try:
        size = int(size)
    except (TypeError, ValueError):
        size = default_size
    chunk = items[start:start + size]
    following = str(start + size) if start + size < len(items) else None
    return chunk, following


# -- tags ----------------------------------------------------------------------------------------
def check_tags(tags: Any, current: dict[str, str], operation: str) -> dict[str, str]:
    merged = dict(current)
    for tag in tags if isinstance(tags, list) else []:
        key = str((tag or {}).get("Key") or "")
        if key.lower().startswith("aws:"):
            raise refuse(
                "InvalidParameterException",
                f"Tag keys starting with 'aws:' are reserved for AWS use: {key}",
                operation,
            )
        merged[key] = str((tag or {}).get("Value") or "")
    if len(merged) > MAX_TAGS:
        raise refuse(
            "ServiceQuotaExceededException",
            "You've reached the limit on the number of tags you can associate with a resource.",
            operation,
        )
    return merged


def tagged_budget(response: BudgetsResponse, arn: str, operation: str) -> str:
    match = re.match(r"^arn:aws[a-z-]*:budgets::(\d{12}):budget/(.+)$", arn or "")
    if match is None or match.group(2) not in budgets_of(response, match.group(1)):
        raise refuse(
            "NotFoundException", f"Unable to find the resource: {arn} - the resource doesn't exist.",
            operation,
        )
    return arn


def ok(payload: dict[str, Any] | None = None) -> tuple[int, dict[str, Any], str]:
    return 200, {"status": 200, "Content-Type": "application/x-amz-json-1.1"}, json.dumps(payload or {})


# -- wiring --------------------------------------------------------------------------------------
def apply(state_: Any) -> None:
    _ = state_

    @add(BudgetsResponse)
    def create_budget(self: BudgetsResponse) -> Any:
        op = "CreateBudget"
        params = body(self)
        raw = params.get("Budget") if isinstance(params.get("Budget"), dict) else {}
        account = account_of(self, params, op, "ModifyBudget", str(raw.get("BudgetName") or "*"))
        budget = normalize_budget(raw, op)
        name = budget["BudgetName"]
        existing = budgets_of(self, account)
        if name in existing:
            raise refuse(
                "DuplicateRecordException",
                f"Error creating budget: {name} - the budget already exists.",
                op,
            )
        record: dict[str, Any] = {"budget": budget, "notifications": []}
        for item in params.get("NotificationsWithSubscribers") or []:
            item = item if isinstance(item, dict) else {}
            record["notifications"].append(
                new_entry(record, item.get("Notification"), item.get("Subscribers"), op)
            )
        arn = budget_arn(self.partition, account, name)
        tags = check_tags(params.get("ResourceTags"), {}, op)
        existing[name] = record
        if tags:
            state(self)["tags"][arn] = tags
        return ok()

    @add(BudgetsResponse)
    def describe_budget(self: BudgetsResponse) -> Any:
        op = "DescribeBudget"
        params = body(self)
        name = str(params.get("BudgetName") or "")
        account = account_of(self, params, op, "ViewBudget", name)
        record = find_budget(self, account, name, op, "get")
        return ok({"Budget": budget_view(record, bool(params.get("ShowFilterExpression")))})

    @add(BudgetsResponse)
    def describe_budgets(self: BudgetsResponse) -> Any:
        op = "DescribeBudgets"
        params = body(self)
        account = account_of(self, params, op, "ViewBudget")
        show = bool(params.get("ShowFilterExpression"))
        records = [r for _, r in sorted(budgets_of(self, account).items())]
        chunk, following = page(records, params, 100, op)
        out: dict[str, Any] = {"Budgets": [budget_view(r, show) for r in chunk]}
        if following:
            out["NextToken"] = following
        return ok(out)

    @add(BudgetsResponse)
    def update_budget(self: BudgetsResponse) -> Any:
        op = "UpdateBudget"
        params = body(self)
        raw = params.get("NewBudget") if isinstance(params.get("NewBudget"), dict) else {}
        name = str(raw.get("BudgetName") or "")
        account = account_of(self, params, op, "ModifyBudget", name)
        record = find_budget(self, account, name, op, "update")
        record["budget"] = normalize_budget(raw, op)
        return ok()

    @add(BudgetsResponse)
    def delete_budget(self: BudgetsResponse) -> Any:
        op = "DeleteBudget"
        params = body(self)
        name = str(params.get("BudgetName") or "")
        account = account_of(self, params, op, "ModifyBudget", name)
        find_budget(self, account, name, op, "delete")
        del budgets_of(self, account)[name]
        state(self)["tags"].pop(budget_arn(self.partition, account, name), None)
        return ok()

    @add(BudgetsResponse)
    def create_notification(self: BudgetsResponse) -> Any:
        op = "CreateNotification"
        params = body(self)
        name = str(params.get("BudgetName") or "")
        account = account_of(self, params, op, "ModifyBudget", name)
        record = budgets_of(self, account).get(name)
        if record is None:
            raise refuse(
                "NotFoundException", "Unable to create notification - the budget doesn't exist.", op
            )
        record["notifications"].append(
            new_entry(record, params.get("Notification"), params.get("Subscribers"), op)
        )
        return ok()

    @add(BudgetsResponse)
    def update_notification(self: BudgetsResponse) -> Any:
        op = "UpdateNotification"
        params = body(self)
        name = str(params.get("BudgetName") or "")
        account = account_of(self, params, op, "ModifyBudget", name)
        record = find_budget(self, account, name, op, "update")
        entry = find_entry(record, params.get("OldNotification"), op, "update")
        new = check_notification(params.get("NewNotification"), op)
        if not same_notification(entry["notification"], new) and any(
            same_notification(e["notification"], new) for e in record["notifications"]
        ):
            raise refuse(
                "DuplicateRecordException",
                f"Error updating notification: {describe_notification(new)} - the notification "
                "already exists.",
                op,
            )
        entry["notification"] = new
        return ok()

    @add(BudgetsResponse)
    def delete_notification(self: BudgetsResponse) -> Any:
        op = "DeleteNotification"
        params = body(self)
        name = str(params.get("BudgetName") or "")
        account = account_of(self, params, op, "ModifyBudget", name)
        record = budgets_of(self, account).get(name)
        if record is None:
            raise refuse(
                "NotFoundException", "Unable to delete notification - the budget doesn't exist.", op
            )
        entry = find_entry(record, params.get("Notification"), op, "delete")
        record["notifications"].remove(entry)
        return ok()

    @add(BudgetsResponse)
    def describe_notifications_for_budget(self: BudgetsResponse) -> Any:
        op = "DescribeNotificationsForBudget"
        params = body(self)
        name = str(params.get("BudgetName") or "")
        account = account_of(self, params, op, "ViewBudget", name)
        record = find_budget(self, account, name, op, "get")
        items = [notification_view(e["notification"]) for e in record["notifications"]]
        chunk, following = page(items, params, 100, op)
        out: dict[str, Any] = {"Notifications": chunk}
        if following:
            out["NextToken"] = following
        return ok(out)

    @add(BudgetsResponse)
    def create_subscriber(self: BudgetsResponse) -> Any:
        op = "CreateSubscriber"
        params = body(self)
        name = str(params.get("BudgetName") or "")
        account = account_of(self, params, op, "ModifyBudget", name)
        record = find_budget(self, account, name, op, "get")
        entry = find_entry(record, params.get("Notification"), op, "get")
        sub = check_subscriber(params.get("Subscriber"), op)
        if sub in entry["subscribers"]:
            raise refuse(
                "DuplicateRecordException",
                f"Error creating subscriber: {sub['Address']} - the subscriber already exists.",
                op,
            )
        check_subscriber_counts(entry["subscribers"] + [sub], op)
        entry["subscribers"].append(sub)
        return ok()

    @add(BudgetsResponse)
    def update_subscriber(self: BudgetsResponse) -> Any:
        op = "UpdateSubscriber"
        params = body(self)
        name = str(params.get("BudgetName") or "")
        account = account_of(self, params, op, "ModifyBudget", name)
        record = find_budget(self, account, name, op, "get")
        entry = find_entry(record, params.get("Notification"), op, "get")
        old = check_subscriber(params.get("OldSubscriber"), op)
        new = check_subscriber(params.get("NewSubscriber"), op)
        if old not in entry["subscribers"]:
            raise refuse(
                "NotFoundException",
                f"Unable to update subscriber: {old['Address']} - the subscriber doesn't exist.",
                op,
            )
        others = [s for s in entry["subscribers"] if s != old]
        if new in others:
            raise refuse(
                "DuplicateRecordException",
                f"Error updating subscriber: {new['Address']} - the subscriber already exists.",
                op,
            )
        check_subscriber_counts(others + [new], op)
        entry["subscribers"][entry["subscribers"].index(old)] = new
        return ok()

    @add(BudgetsResponse)
    def delete_subscriber(self: BudgetsResponse) -> Any:
        op = "DeleteSubscriber"
        params = body(self)
        name = str(params.get("BudgetName") or "")
        account = account_of(self, params, op, "ModifyBudget", name)
        record = find_budget(self, account, name, op, "get")
        entry = find_entry(record, params.get("Notification"), op, "get")
        sub = check_subscriber(params.get("Subscriber"), op)
        if sub not in entry["subscribers"]:
            raise refuse(
                "NotFoundException",
                f"Unable to delete subscriber: {sub['Address']} - the subscriber doesn't exist.",
                op,
            )
        entry["subscribers"].remove(sub)
        if not entry["subscribers"]:
            record["notifications"].remove(entry)  # the last subscriber takes the notification along
        return ok()

    @add(BudgetsResponse)
    def describe_subscribers_for_notification(self: BudgetsResponse) -> Any:
        op = "DescribeSubscribersForNotification"
        params = body(self)
        name = str(params.get("BudgetName") or "")
        account = account_of(self, params, op, "ViewBudget", name)
        record = find_budget(self, account, name, op, "get")
        entry = find_entry(record, params.get("Notification"), op, "get")
        chunk, following = page(list(entry["subscribers"]), params, 100, op)
        out: dict[str, Any] = {"Subscribers": chunk}
        if following:
            out["NextToken"] = following
        return ok(out)

    @add(BudgetsResponse)
    def tag_resource(self: BudgetsResponse) -> Any:
        op = "TagResource"
        params = body(self)
        arn = tagged_budget(self, str(params.get("ResourceARN") or ""), op)
        tags = state(self)["tags"]
        tags[arn] = check_tags(params.get("ResourceTags"), tags.get(arn, {}), op)
        return ok()

    @add(BudgetsResponse)
    def untag_resource(self: BudgetsResponse) -> Any:
        op = "UntagResource"
        params = body(self)
        arn = tagged_budget(self, str(params.get("ResourceARN") or ""), op)
        current = state(self)["tags"].get(arn, {})
        for key in params.get("ResourceTagKeys") or []:
            current.pop(str(key), None)
        return ok()

    @add(BudgetsResponse)
    def list_tags_for_resource(self: BudgetsResponse) -> Any:
        op = "ListTagsForResource"
        params = body(self)
        arn = tagged_budget(self, str(params.get("ResourceARN") or ""), op)
        current = state(self)["tags"].get(arn, {})
        return ok({"ResourceTags": [{"Key": k, "Value": v} for k, v in sorted(current.items())]})
