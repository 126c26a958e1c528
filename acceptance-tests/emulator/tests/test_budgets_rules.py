"""AWS Budgets (mosia_emulator/patches/budgets_rules.py) and Cost Explorer's cost allocation
tags (mosia_emulator/patches/ce_rules.py): each refusal next to the request AWS accepts."""

from __future__ import annotations

import urllib.error
from datetime import datetime, timezone
from typing import Any

from .support import EmulatorCase

ACCOUNT = "123456789012"
TOPIC = "arn:aws:sns:us-east-1:123456789012:budget-alerts"
TAG_FILTER = "user:mosia:environment$dev"


def notification(kind: str = "ACTUAL", threshold: float = 80.0, threshold_type: str = "PERCENTAGE") -> dict[str, Any]:
    return {"NotificationType": kind, "ComparisonOperator": "GREATER_THAN", "Threshold": threshold,
            "ThresholdType": threshold_type}


def email(address: str = "ops@example.com") -> dict[str, str]:
    return {"SubscriptionType": "EMAIL", "Address": address}


def sns(address: str = TOPIC) -> dict[str, str]:
    return {"SubscriptionType": "SNS", "Address": address}


class BudgetsRulesTest(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.budgets = self.client("budgets")

    # -- helpers ------------------------------------------------------------------------------------
    def budget(self, name: str = "mosia-dev", **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "BudgetName": name,
            "BudgetLimit": {"Amount": "250", "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
            "CostFilters": {"TagKeyValue": [TAG_FILTER]},
        }
        body.update(extra)
        return {k: v for k, v in body.items() if v is not None}

    def create(self, name: str = "mosia-dev", notifications: list[dict[str, Any]] | None = None, **extra: Any) -> None:
        kwargs: dict[str, Any] = {"AccountId": ACCOUNT, "Budget": self.budget(name, **extra)}
        if notifications is not None:
            kwargs["NotificationsWithSubscribers"] = notifications
        self.budgets.create_budget(**kwargs)

    def describe(self, name: str = "mosia-dev", **kwargs: Any) -> dict[str, Any]:
        return self.budgets.describe_budget(AccountId=ACCOUNT, BudgetName=name, **kwargs)["Budget"]

    def notifications(self, name: str = "mosia-dev") -> list[dict[str, Any]]:
        return self.budgets.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=name)["Notifications"]

    def subscribers(self, note: dict[str, Any], name: str = "mosia-dev") -> list[dict[str, Any]]:
        return self.budgets.describe_subscribers_for_notification(
            AccountId=ACCOUNT, BudgetName=name, Notification=note)["Subscribers"]

    def last_rejection(self) -> dict[str, Any]:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    # -- budgets ------------------------------------------------------------------------------------
    def test_cost_budget_filtered_by_tag_with_notifications(self) -> None:
        self.create(notifications=[
            {"Notification": notification("ACTUAL", 80), "Subscribers": [email(), sns()]},
            {"Notification": notification("FORECASTED", 100), "Subscribers": [email()]},
        ])
        budget = self.describe()
        self.assertEqual(budget["CostFilters"], {"TagKeyValue": [TAG_FILTER]})
        self.assertEqual(budget["BudgetLimit"], {"Amount": "250", "Unit": "USD"})
        self.assertTrue(budget["CostTypes"]["IncludeTax"])  # AWS's defaults for a COST budget
        self.assertFalse(budget["CostTypes"]["UseBlended"])
        self.assertEqual(budget["CalculatedSpend"]["ActualSpend"], {"Amount": "0", "Unit": "USD"})
        # Without TimePeriod: the start of the month, and AWS's end of time.
        start = budget["TimePeriod"]["Start"].astimezone(timezone.utc)
        now = datetime.now(timezone.utc)
        self.assertEqual((start.year, start.month, start.day, start.hour), (now.year, now.month, 1, 0))
        self.assertEqual(budget["TimePeriod"]["End"].astimezone(timezone.utc),
                         datetime(2087, 6, 15, tzinfo=timezone.utc))
        notes = self.notifications()
        self.assertEqual(len(notes), 2)
        # PERCENTAGE, the default, is not answered (terraform-provider-aws budgets).
        self.assertTrue(all("ThresholdType" not in n for n in notes))
        actual = next(n for n in notes if n["NotificationType"] == "ACTUAL")
        self.assertCountEqual(self.subscribers(actual), [email(), sns()])
        listed = self.budgets.describe_budgets(AccountId=ACCOUNT)["Budgets"]
        self.assertEqual([b["BudgetName"] for b in listed], ["mosia-dev"])

    def test_budget_name_is_unique_and_must_exist(self) -> None:
        self.create()
        self.assertAwsError("DuplicateRecordException", self.create,
                            message="Error creating budget: mosia-dev - the budget already exists.")
        self.assertEqual(self.last_rejection()["operation"], "CreateBudget")
        self.create("mosia-prod")  # another name is fine
        self.assertAwsError("NotFoundException", self.describe, "nope",
                            message="Unable to get budget: nope - the budget doesn't exist.")
        self.assertAwsError("NotFoundException", self.budgets.delete_budget, AccountId=ACCOUNT,
                            BudgetName="nope", message="Unable to delete budget: nope")
        self.assertAwsError("NotFoundException", self.budgets.update_budget, AccountId=ACCOUNT,
                            NewBudget=self.budget("nope"))
        self.budgets.delete_budget(AccountId=ACCOUNT, BudgetName="mosia-dev")
        self.assertAwsError("NotFoundException", self.describe)
        self.create()  # the name is free again

    def test_budget_name_characters(self) -> None:
        for bad in ("dev:budget", "dev\\budget", "team/action/dev"):
            self.assertAwsError("InvalidParameterException", self.create, bad,
                                message="failed to satisfy constraint: Member must satisfy regular "
                                        "expression pattern")
        self.create("mosia dev/budget-1_(monthly)")

    def test_budget_needs_one_limit(self) -> None:
        self.assertAwsError("InvalidParameterException", self.create, BudgetLimit=None,
                            message="please provide one of the followings: Budget Limit/ Planned "
                                    "Budget Limit/ Auto Adjust Data")
        start = int(datetime.now(timezone.utc).replace(day=1, hour=0, minute=0, second=0,
                                                       microsecond=0).timestamp())
        planned = {str(start): {"Amount": "100", "Unit": "USD"}}
        self.assertAwsError("InvalidParameterException", self.create, PlannedBudgetLimits=planned,
                            message="Only one of BudgetLimit or PlannedBudgetLimits")
        self.create(BudgetLimit=None, PlannedBudgetLimits=planned)
        self.assertEqual(self.describe()["PlannedBudgetLimits"][str(start)]["Amount"], "100")

    def test_amount_format_is_checked(self) -> None:
        self.assertAwsError("InvalidParameterException", self.create,
                            BudgetLimit={"Amount": "12,5", "Unit": "USD"},
                            message="Member must satisfy regular expression pattern")
        self.create(BudgetLimit={"Amount": "12.50", "Unit": "USD"})

    def test_filter_expression_or_cost_filters_not_both(self) -> None:
        expression = {"Tags": {"Key": "user:mosia:environment", "Values": ["dev"],
                               "MatchOptions": ["EQUALS"]}}
        self.assertAwsError("InvalidParameterException", self.create, FilterExpression=expression,
                            message="Either FilterExpression and Metrics or CostFilters and "
                                    "CostTypes")
        self.assertAwsError("InvalidParameterException", self.create, CostFilters=None,
                            FilterExpression=expression,
                            CostTypes={"IncludeTax": False}, message="not both")
        self.create(CostFilters=None, FilterExpression=expression, Metrics=["UnblendedCost"])
        # The filter expression is answered only when asked for.
        self.assertNotIn("FilterExpression", self.describe())
        shown = self.describe(ShowFilterExpression=True)
        self.assertEqual(shown["FilterExpression"], expression)
        self.assertEqual(shown["Metrics"], ["UnblendedCost"])
        self.assertNotIn("CostTypes", shown)
        listed = self.budgets.describe_budgets(AccountId=ACCOUNT, ShowFilterExpression=True)["Budgets"]
        self.assertEqual(listed[0]["FilterExpression"], expression)

    def test_filter_expression_has_one_operator(self) -> None:
        two = {"Tags": {"Key": "user:mosia:environment", "Values": ["dev"]},
               "Dimensions": {"Key": "SERVICE", "Values": ["Amazon Relational Database Service"]}}
        self.assertAwsError("InvalidParameterException", self.create, "x", CostFilters=None,
                            FilterExpression=two, message="exactly one of")
        self.create("x", CostFilters=None, FilterExpression={"And": [
            {"Tags": two["Tags"]}, {"Dimensions": two["Dimensions"]}]})

    def test_time_period(self) -> None:
        start = datetime(2030, 1, 1, tzinfo=timezone.utc)
        self.assertAwsError("InvalidParameterException", self.create,
                            TimePeriod={"Start": start, "End": datetime(2029, 1, 1, tzinfo=timezone.utc)},
                            message="The start date must come before the end date.")
        self.assertAwsError("InvalidParameterException", self.create,
                            TimePeriod={"Start": start, "End": datetime(2090, 1, 1, tzinfo=timezone.utc)},
                            message="The end date must come before 06/15/87 00:00 UTC.")
        self.create(TimePeriod={"Start": start, "End": datetime(2031, 1, 1, tzinfo=timezone.utc)})
        period = self.describe()["TimePeriod"]
        self.assertEqual(period["Start"].astimezone(timezone.utc), start)

    def test_update_budget_keeps_notifications(self) -> None:
        self.create(notifications=[{"Notification": notification(), "Subscribers": [email()]}])
        self.budgets.update_budget(AccountId=ACCOUNT, NewBudget=self.budget(
            BudgetLimit={"Amount": "500", "Unit": "USD"},
            CostFilters={"TagKeyValue": ["user:mosia:environment$prod"]}))
        budget = self.describe()
        self.assertEqual(budget["BudgetLimit"]["Amount"], "500")
        self.assertEqual(budget["CostFilters"]["TagKeyValue"], ["user:mosia:environment$prod"])
        self.assertEqual(len(self.notifications()), 1)
        # Updates follow the create rules.
        self.assertAwsError("InvalidParameterException", self.budgets.update_budget,
                            AccountId=ACCOUNT, NewBudget=self.budget(BudgetLimit=None),
                            message="Budget Limit")
        self.assertEqual(self.last_rejection()["operation"], "UpdateBudget")

    def test_other_accounts_budgets_are_refused(self) -> None:
        self.assertAwsError("AccessDeniedException", self.budgets.create_budget,
                            AccountId="210987654321", Budget=self.budget(),
                            message="is not authorized to perform: budgets:ModifyBudget on "
                                    "resource: arn:aws:budgets::210987654321:budget/mosia-dev")
        self.assertAwsError("AccessDeniedException", self.budgets.describe_budgets,
                            AccountId="210987654321")
        self.create()

    def test_describe_budgets_pages(self) -> None:
        for i in range(5):
            self.create(f"b{i}")
        first = self.budgets.describe_budgets(AccountId=ACCOUNT, MaxResults=2)
        self.assertEqual([b["BudgetName"] for b in first["Budgets"]], ["b0", "b1"])
        rest = self.budgets.describe_budgets(AccountId=ACCOUNT, MaxResults=10, NextToken=first["NextToken"])
        self.assertEqual([b["BudgetName"] for b in rest["Budgets"]], ["b2", "b3", "b4"])
        self.assertNotIn("NextToken", rest)
        self.assertAwsError("InvalidNextTokenException", self.budgets.describe_budgets,
                            AccountId=ACCOUNT, NextToken="bogus")

    # -- notifications ------------------------------------------------------------------------------
    def test_at_most_ten_notifications(self) -> None:
        self.create()
        for i in range(10):
            self.budgets.create_notification(AccountId=ACCOUNT, BudgetName="mosia-dev",
                                             Notification=notification(threshold=10 + i),
                                             Subscribers=[email()])
        self.assertAwsError("CreationLimitExceededException", self.budgets.create_notification,
                            AccountId=ACCOUNT, BudgetName="mosia-dev",
                            Notification=notification(threshold=99), Subscribers=[email()])
        self.assertEqual(len(self.notifications()), 10)
        # Eleven in CreateBudget are refused by the API model (at most 10).
        many = [{"Notification": notification(threshold=i), "Subscribers": [email()]} for i in range(11)]
        self.assertAwsError("InvalidParameterException", self.create, "other", notifications=many,
                            message="Member must have length less than or equal to 10")

    def test_same_notification_twice_is_a_duplicate(self) -> None:
        self.create(notifications=[{"Notification": notification(), "Subscribers": [email()]}])
        self.assertAwsError("DuplicateRecordException", self.budgets.create_notification,
                            AccountId=ACCOUNT, BudgetName="mosia-dev", Notification=notification(),
                            Subscribers=[email()])
        # The same threshold as ABSOLUTE_VALUE, or FORECASTED, is another notification.
        self.budgets.create_notification(AccountId=ACCOUNT, BudgetName="mosia-dev",
                                         Notification=notification(threshold_type="ABSOLUTE_VALUE"),
                                         Subscribers=[email()])
        self.budgets.create_notification(AccountId=ACCOUNT, BudgetName="mosia-dev",
                                         Notification=notification("FORECASTED"), Subscribers=[email()])
        absolute = [n for n in self.notifications() if n.get("ThresholdType") == "ABSOLUTE_VALUE"]
        self.assertEqual(len(absolute), 1)
        self.assertAwsError("NotFoundException", self.budgets.create_notification,
                            AccountId=ACCOUNT, BudgetName="nope", Notification=notification(),
                            Subscribers=[email()],
                            message="Unable to create notification - the budget doesn't exist.")

    def test_threshold_limit(self) -> None:
        self.create()
        self.assertAwsError("InvalidParameterException", self.budgets.create_notification,
                            AccountId=ACCOUNT, BudgetName="mosia-dev",
                            Notification=notification(threshold=1_000_001), Subscribers=[email()],
                            message="1,000,000%")
        self.budgets.create_notification(AccountId=ACCOUNT, BudgetName="mosia-dev",
                                         Notification=notification(threshold=1_000_000),
                                         Subscribers=[email()])
        # An absolute threshold is an amount, not a percentage.
        self.budgets.create_notification(AccountId=ACCOUNT, BudgetName="mosia-dev",
                                         Notification=notification(threshold=5_000_000,
                                                                    threshold_type="ABSOLUTE_VALUE"),
                                         Subscribers=[email()])
        self.assertAwsError("InvalidParameterException", self.budgets.create_notification,
                            AccountId=ACCOUNT, BudgetName="mosia-dev",
                            Notification=notification(threshold=-1), Subscribers=[email()],
                            message="Member must have value greater than or equal to 0")

    def test_one_sns_and_ten_email_subscribers(self) -> None:
        two_topics = [sns(), sns("arn:aws:sns:us-east-1:123456789012:other")]
        self.assertAwsError("CreationLimitExceededException", self.create,
                            notifications=[{"Notification": notification(), "Subscribers": two_topics}],
                            message="one notification can only have 1 subscribers with type of SNS")
        emails = [email(f"u{i}@example.com") for i in range(11)]
        self.assertAwsError("CreationLimitExceededException", self.create,
                            notifications=[{"Notification": notification(), "Subscribers": emails}],
                            message="10 subscribers with type of EMAIL")
        self.assertAwsError("InvalidParameterException", self.create,
                            notifications=[{"Notification": notification(), "Subscribers": []}],
                            message="Member must have length greater than or equal to 1")
        self.create(notifications=[{"Notification": notification(), "Subscribers": emails[:10] + [sns()]}])
        note = notification()
        self.assertEqual(len(self.subscribers(note)), 11)
        # CreateSubscriber follows the same limits.
        self.assertAwsError("CreationLimitExceededException", self.budgets.create_subscriber,
                            AccountId=ACCOUNT, BudgetName="mosia-dev", Notification=note,
                            Subscriber=sns("arn:aws:sns:us-east-1:123456789012:third"))
        self.assertAwsError("CreationLimitExceededException", self.budgets.create_subscriber,
                            AccountId=ACCOUNT, BudgetName="mosia-dev", Notification=note,
                            Subscriber=email("eleventh@example.com"))
        self.assertAwsError("DuplicateRecordException", self.budgets.create_subscriber,
                            AccountId=ACCOUNT, BudgetName="mosia-dev", Notification=note,
                            Subscriber=email("u0@example.com"))
        self.assertEqual(self.last_rejection()["operation"], "CreateSubscriber")

    def test_subscriber_addresses(self) -> None:
        self.create()
        for bad in (sns("budget-alerts"), sns("arn:aws:sqs:us-east-1:123456789012:q"),
                    email("not-an-address"), email("ops@example.com\nbcc@example.com")):
            self.assertAwsError("InvalidParameterException", self.budgets.create_notification,
                                AccountId=ACCOUNT, BudgetName="mosia-dev",
                                Notification=notification(), Subscribers=[bad])
        self.budgets.create_notification(AccountId=ACCOUNT, BudgetName="mosia-dev",
                                         Notification=notification(), Subscribers=[sns(), email()])

    def test_subscribers_come_and_go_with_their_notification(self) -> None:
        note = notification()
        self.create(notifications=[{"Notification": note, "Subscribers": [email(), sns()]}])
        self.budgets.create_subscriber(AccountId=ACCOUNT, BudgetName="mosia-dev", Notification=note,
                                       Subscriber=email("second@example.com"))
        self.budgets.update_subscriber(AccountId=ACCOUNT, BudgetName="mosia-dev", Notification=note,
                                       OldSubscriber=email("second@example.com"),
                                       NewSubscriber=email("third@example.com"))
        self.assertIn(email("third@example.com"), self.subscribers(note))
        self.assertAwsError("NotFoundException", self.budgets.delete_subscriber, AccountId=ACCOUNT,
                            BudgetName="mosia-dev", Notification=note,
                            Subscriber=email("second@example.com"))
        for sub in (email(), sns(), email("third@example.com")):
            self.budgets.delete_subscriber(AccountId=ACCOUNT, BudgetName="mosia-dev",
                                           Notification=note, Subscriber=sub)
        # Deleting the last subscriber deleted the notification.
        self.assertEqual(self.notifications(), [])
        self.assertAwsError("NotFoundException", self.subscribers, note)
        # DeleteNotification takes its subscribers along.
        self.budgets.create_notification(AccountId=ACCOUNT, BudgetName="mosia-dev", Notification=note,
                                         Subscribers=[email()])
        self.budgets.delete_notification(AccountId=ACCOUNT, BudgetName="mosia-dev", Notification=note)
        self.assertAwsError("NotFoundException", self.budgets.delete_notification, AccountId=ACCOUNT,
                            BudgetName="mosia-dev", Notification=note)

    def test_update_notification(self) -> None:
        self.create(notifications=[
            {"Notification": notification(threshold=50), "Subscribers": [email()]},
            {"Notification": notification(threshold=80), "Subscribers": [email()]},
        ])
        self.assertAwsError("DuplicateRecordException", self.budgets.update_notification,
                            AccountId=ACCOUNT, BudgetName="mosia-dev",
                            OldNotification=notification(threshold=50),
                            NewNotification=notification(threshold=80))
        self.budgets.update_notification(AccountId=ACCOUNT, BudgetName="mosia-dev",
                                         OldNotification=notification(threshold=50),
                                         NewNotification=notification(threshold=60))
        self.assertEqual(sorted(n["Threshold"] for n in self.notifications()), [60.0, 80.0])
        self.assertEqual(self.subscribers(notification(threshold=60)), [email()])

    # -- tags ---------------------------------------------------------------------------------------
    def test_budget_tags(self) -> None:
        arn = f"arn:aws:budgets::{ACCOUNT}:budget/mosia-dev"
        self.budgets.create_budget(AccountId=ACCOUNT, Budget=self.budget(),
                                   ResourceTags=[{"Key": "mosia:environment", "Value": "dev"}])
        self.budgets.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "team", "Value": "platform"}])
        tags = self.budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"]
        self.assertEqual(tags, [{"Key": "mosia:environment", "Value": "dev"},
                                {"Key": "team", "Value": "platform"}])
        self.budgets.untag_resource(ResourceARN=arn, ResourceTagKeys=["team"])
        self.assertEqual(len(self.budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"]), 1)
        self.assertAwsError("InvalidParameterException", self.budgets.tag_resource, ResourceARN=arn,
                            ResourceTags=[{"Key": "aws:reserved", "Value": "x"}])
        too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(200)]
        self.assertAwsError("ServiceQuotaExceededException", self.budgets.tag_resource,
                            ResourceARN=arn, ResourceTags=too_many,
                            message="You've reached the limit on the number of tags")
        self.budgets.tag_resource(ResourceARN=arn, ResourceTags=too_many[:199])
        self.assertAwsError("NotFoundException", self.budgets.list_tags_for_resource,
                            ResourceARN=f"arn:aws:budgets::{ACCOUNT}:budget/nope")
        # Deleting the budget forgets its tags.
        self.budgets.delete_budget(AccountId=ACCOUNT, BudgetName="mosia-dev")
        self.create()
        self.assertEqual(self.budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"], [])


class CostAllocationTagsTest(EmulatorCase):
    """Cost Explorer: ListCostAllocationTags and UpdateCostAllocationTagsStatus."""

    KEY = "mosia:environment"

    def setUp(self) -> None:
        super().setUp()
        self.ce = self.client("ce")

    def activate(self, *keys: str, status: str = "Active") -> list[dict[str, Any]]:
        out = self.ce.update_cost_allocation_tags_status(
            CostAllocationTagsStatus=[{"TagKey": k, "Status": status} for k in keys])
        return out["Errors"]

    def listed(self, **kwargs: Any) -> list[dict[str, Any]]:
        return self.ce.list_cost_allocation_tags(**kwargs)["CostAllocationTags"]

    def test_a_tag_key_must_have_been_seen_before_activation(self) -> None:
        errors = self.activate(self.KEY)
        self.assertEqual(errors, [{
            "TagKey": self.KEY, "Code": "TagKeysNotFoundException",
            "Message": f"Failed to update Cost Allocation Tag: Tag keys not found: {self.KEY}",
        }])
        self.assertEqual(self.listed(), [])
        rejected = self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]
        self.assertEqual(rejected["operation"], "UpdateCostAllocationTagsStatus")
        # The emulator's stand-in for "up to 24 hours after the tag is used on a resource".
        seen = self.event("ce_tag_keys_seen", tag_keys=[self.KEY])
        self.assertEqual(seen["tags"][0]["Status"], "Inactive")
        (tag,) = self.listed(TagKeys=[self.KEY])
        self.assertEqual((tag["Type"], tag["Status"]), ("UserDefined", "Inactive"))
        self.assertNotIn("LastUpdatedDate", tag)
        self.assertTrue(tag["LastUsedDate"].endswith("-01T00:00:00Z"))
        self.assertEqual(self.activate(self.KEY), [])
        (tag,) = self.listed(TagKeys=[self.KEY])
        self.assertEqual(tag["Status"], "Active")
        updated = tag["LastUpdatedDate"]
        # The same status again changes nothing and is not an error.
        self.assertEqual(self.activate(self.KEY), [])
        self.assertEqual(self.listed(TagKeys=[self.KEY])[0]["LastUpdatedDate"], updated)
        # A batch with a known and an unknown key: the known one is updated.
        errors = self.activate(self.KEY, "unknown-key", status="Inactive")
        self.assertEqual([e["TagKey"] for e in errors], ["unknown-key"])
        self.assertEqual(self.listed(TagKeys=[self.KEY])[0]["Status"], "Inactive")

    def test_filters_and_pages(self) -> None:
        self.event("ce_tag_keys_seen", tag_keys=["a", "b", "c", "aws:createdBy"])
        self.activate("a", "aws:createdBy")
        self.assertEqual([t["TagKey"] for t in self.listed(Status="Active")], ["a", "aws:createdBy"])
        self.assertEqual([t["TagKey"] for t in self.listed(Type="AWSGenerated")], ["aws:createdBy"])
        self.assertEqual([t["TagKey"] for t in self.listed(Type="UserDefined", Status="Inactive")],
                         ["b", "c"])
        first = self.ce.list_cost_allocation_tags(MaxResults=3)
        self.assertEqual(len(first["CostAllocationTags"]), 3)
        rest = self.ce.list_cost_allocation_tags(MaxResults=3, NextToken=first["NextToken"])
        self.assertEqual(len(rest["CostAllocationTags"]), 1)
        self.assertNotIn("NextToken", rest)
        self.assertAwsError("InvalidNextTokenException", self.ce.list_cost_allocation_tags,
                            NextToken="bogus")

    def test_at_most_twenty_tags_per_update(self) -> None:
        keys = [f"k{i}" for i in range(21)]
        self.event("ce_tag_keys_seen", tag_keys=keys)
        self.assertAwsError("ValidationException", self.activate, *keys,
                            message="Member must have length less than or equal to 20")
        self.assertEqual(self.activate(*keys[:20]), [])
        self.assertEqual(len(self.listed(Status="Active")), 20)

    def test_a_member_account_cannot_update_cost_allocation_tags(self) -> None:
        self.event("ce_tag_keys_seen", tag_keys=[self.KEY])
        self.event("ce_linked_account", linked=True)
        error = self.assertAwsError(
            "AccessDeniedException", self.activate, self.KEY,
            message="Failed to update Cost Allocation Tag: Linked account doesn't have access to "
                    "cost allocation tags.")
        self.assertEqual(error.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        self.assertEqual(self.listed()[0]["Status"], "Inactive")  # listing stays allowed
        self.event("ce_linked_account", linked=False)
        self.assertEqual(self.activate(self.KEY), [])

    def test_controls_check_their_payloads(self) -> None:
        self.event_refused("ce_tag_keys_seen", "tag_keys")
        self.event_refused("ce_linked_account", "true or false", linked="yes")
        with self.assertRaises(urllib.error.HTTPError):
            self.event("ce_tag_keys_seen", tag_keys=[""])
