"""SNS as AWS keeps topics and subscriptions: attribute names and access policies, CreateTopic's
idempotency, keys checked when a message is published (not when set), email subscriptions
pending until the address owner confirms, Unsubscribe of a pending subscription refused."""

from __future__ import annotations

import json
from typing import Any

from .support import REGION, EmulatorCase

ACCOUNT = "123456789012"


def policy(topic_arn: str, *statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements) or [{
        "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish",
        "Resource": topic_arn}]})


class SnsCase(EmulatorCase):
    def setUp(self) -> None:
        super().setUp()
        self.sns = self.client("sns")
        self.sqs = self.client("sqs")
        self.kms = self.client("kms")

    def topic(self, name: str = "alerts", **kwargs: Any) -> str:
        return self.sns.create_topic(Name=name, **kwargs)["TopicArn"]

    def attributes(self, topic: str) -> dict[str, str]:
        return self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]

    def queue(self, name: str = "inbox") -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        return url, self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


class TopicTest(SnsCase):
    def test_the_policy_is_a_policy_document(self) -> None:
        arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
        statement = {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                     "Action": "sns:Publish", "Resource": arn}
        bad = [
            "not json",
            json.dumps(["a", "list"]),
            json.dumps({"Version": "2012-10-17", "Statement": []}),
            policy(arn, {k: v for k, v in statement.items() if k != "Principal"}),
            policy(arn, {**statement, "Principal": {"AWS": []}}),
            policy(arn, {**statement, "Effect": "Maybe"}),
            policy(arn, {k: v for k, v in statement.items() if k != "Action"}),
        ]
        for document in bad:
            self.assertAwsError("InvalidParameter", self.sns.create_topic, Name="alerts",
                                Attributes={"Policy": document}, message="Invalid parameter: Policy Error: null")
        self.assertAwsError("InvalidParameter", self.sns.create_topic, Name="alerts",
                            Attributes={"Policy": policy(arn, {**statement, "Action": "sqs:SendMessage"})},
                            message="Invalid parameter: Policy statement action out of service scope!")
        self.assertEqual(self.sns.list_topics()["Topics"], [])
        topic = self.topic(Attributes={"Policy": policy(arn, statement)})
        self.assertEqual(json.loads(self.attributes(topic)["Policy"])["Statement"], [statement])
        self.assertAwsError("InvalidParameter", self.sns.set_topic_attributes, TopicArn=topic,
                            AttributeName="Policy", AttributeValue="{", message="Policy Error: null")
        rejection = self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]
        self.assertEqual((rejection["kind"], rejection["operation"]), ("rule", "SetTopicAttributes"))
        both = [statement, {**statement, "Effect": "Deny", "Principal": "*", "Action": ["SNS:Subscribe"]}]
        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=policy(arn, *both))
        self.assertEqual(len(json.loads(self.attributes(topic)["Policy"])["Statement"]), 2)

    def test_attribute_names_are_the_documented_ones(self) -> None:
        self.assertAwsError("InvalidParameter", self.sns.create_topic, Name="alerts",
                            Attributes={"Colour": "blue"}, message="Invalid parameter: AttributeName")
        topic = self.topic(Attributes={"DisplayName": "Alerts", "TracingConfig": "PassThrough"})
        self.assertAwsError("InvalidParameter", self.sns.set_topic_attributes, TopicArn=topic,
                            AttributeName="Colour", AttributeValue="blue", message="Invalid parameter: AttributeName")
        self.assertAwsError("InvalidParameter", self.sns.set_topic_attributes, TopicArn=topic,
                            AttributeName="FifoTopic", AttributeValue="true")
        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="Paging")
        self.assertEqual(self.attributes(topic)["DisplayName"], "Paging")
        self.assertAwsError("NotFound", self.sns.set_topic_attributes, TopicArn=topic + "-gone",
                            AttributeName="DisplayName", AttributeValue="x")

    def test_create_topic_is_idempotent_for_the_same_attributes_and_tags(self) -> None:
        arn = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
        tags = [{"Key": "env", "Value": "dev"}]
        topic = self.topic(Attributes={"DisplayName": "Alerts", "Policy": policy(arn)}, Tags=tags)
        self.assertEqual(self.topic(), topic)
        same_policy = json.dumps(json.loads(policy(arn)), indent=4)
        self.assertEqual(self.topic(Attributes={"Policy": same_policy, "DisplayName": "Alerts"}, Tags=tags), topic)
        self.assertAwsError("InvalidParameter", self.sns.create_topic, Name="alerts",
                            Attributes={"DisplayName": "Other"},
                            message="Invalid parameter: Attributes Reason: Topic already exists with different "
                                    "attributes")
        self.assertAwsError("InvalidParameter", self.sns.create_topic, Name="alerts",
                            Attributes={"KmsMasterKeyId": "alias/aws/sns"},
                            message="Topic already exists with different attributes")
        self.assertAwsError("InvalidParameter", self.sns.create_topic, Name="alerts",
                            Tags=[{"Key": "env", "Value": "prod"}],
                            message="Invalid parameter: Tags Reason: Topic already exists with different tags")
        self.assertEqual(len(self.sns.list_topics()["Topics"]), 1)

    def test_tags_and_delete(self) -> None:
        topic = self.topic(Tags=[{"Key": "a", "Value": "1"}])
        self.sns.tag_resource(ResourceArn=topic, Tags=[{"Key": "b", "Value": "2"}])
        tags = self.sns.list_tags_for_resource(ResourceArn=topic)["Tags"]
        self.assertEqual(sorted((t["Key"], t["Value"]) for t in tags), [("a", "1"), ("b", "2")])
        _, queue = self.queue()
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
        self.sns.delete_topic(TopicArn=topic)
        self.sns.delete_topic(TopicArn=topic)  # idempotent
        self.assertEqual(self.sns.list_subscriptions()["Subscriptions"], [])
        self.assertAwsError("NotFound", self.sns.list_subscriptions_by_topic, TopicArn=topic)
        self.assertAwsError("NotFound", self.sns.get_topic_attributes, TopicArn=topic)
        self.assertAwsError("ResourceNotFound", self.sns.list_tags_for_resource, ResourceArn=topic)


class EncryptionTest(SnsCase):
    def key(self, statements: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        # A policy that leaves the caller out needs the lockout check bypassed (KMS's rule).
        args: dict[str, Any] = {"Policy": json.dumps({"Statement": statements}),
                                "BypassPolicyLockoutSafetyCheck": True} if statements else {}
        return self.kms.create_key(**args)["KeyMetadata"]

    def test_the_key_is_kept_as_given_and_checked_when_publishing(self) -> None:
        key = self.key()
        self.kms.create_alias(AliasName="alias/alerts", TargetKeyId=key["KeyId"])
        forms = [key["KeyId"], key["Arn"], "alias/alerts", f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/alerts",
                 "alias/aws/sns"]
        for index, form in enumerate(forms):
            topic = self.topic(name=f"t{index}", Attributes={"KmsMasterKeyId": form})
            self.assertEqual(self.attributes(topic)["KmsMasterKeyId"], form)
            self.sns.publish(TopicArn=topic, Message="hello")
        # Not checked when set: a key that does not exist fails the publisher.
        topic = self.topic(name="nokey", Attributes={"KmsMasterKeyId": "alias/does-not-exist"})
        self.assertAwsError("KMSNotFound", self.sns.publish, TopicArn=topic, Message="hello",
                            message="Invalid keyId alias/does-not-exist")
        rejection = self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]
        self.assertEqual((rejection["kind"], rejection["operation"], rejection["code"]),
                         ("rule", "Publish", "KMSNotFound"))
        self.sns.set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue="")
        self.assertNotIn("KmsMasterKeyId", self.attributes(topic))
        self.sns.publish(TopicArn=topic, Message="hello")

    def test_a_disabled_pending_or_foreign_key_fails_the_publisher(self) -> None:
        disabled, pending = self.key(), self.key()
        self.kms.disable_key(KeyId=disabled["KeyId"])
        self.kms.schedule_key_deletion(KeyId=pending["KeyId"], PendingWindowInDays=7)
        other = self.key([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                           "Action": "kms:*", "Resource": "*"}])
        for name, key, code, text in (
            ("off", disabled, "KMSDisabled", "is disabled."),
            ("going", pending, "KMSInvalidState", "is pending deletion."),
            ("foreign", other, "KMSAccessDenied", "The ciphertext refers to a customer master key that does not "
                                                  "exist, does not exist in this region, or you are not allowed to "
                                                  "access. (Service: AWSKMS; Status Code: 400; Error Code: "
                                                  "AccessDeniedException"),
        ):
            topic = self.topic(name=name, Attributes={"KmsMasterKeyId": key["Arn"]})
            self.assertAwsError(code, self.sns.publish, TopicArn=topic, Message="hello", message=text)
        self.kms.enable_key(KeyId=disabled["KeyId"])
        self.sns.publish(TopicArn=self.topic(name="off"), Message="hello")
        granted = self.key([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                             "Action": "kms:*", "Resource": "*"},
                            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/moto"},
                             "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
                             "Condition": {"StringEquals": {"kms:ViaService": f"sns.{REGION}.amazonaws.com"}}}])
        self.sns.publish(TopicArn=self.topic(name="granted", Attributes={"KmsMasterKeyId": granted["Arn"]}),
                         Message="hello")


class SubscriptionTest(SnsCase):
    def test_email_subscriptions_wait_for_their_owner(self) -> None:
        topic = self.topic()
        for wrong in ("not an email", "a@b.com;c@d.com", "oncall@", "@example.com", "on call@example.com"):
            self.assertAwsError("InvalidParameter", self.sns.subscribe, TopicArn=topic, Protocol="email",
                                Endpoint=wrong, message="Invalid parameter: Email address")
        answer = self.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
        self.assertEqual(answer["SubscriptionArn"], "pending confirmation")
        again = self.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
        self.assertEqual(again["SubscriptionArn"], "pending confirmation")
        real = self.sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint="ops+alerts@example.co.uk",
                                  ReturnSubscriptionArn=True)["SubscriptionArn"]
        self.assertTrue(real.startswith(topic + ":"), real)
        listed = self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertEqual([(s["Endpoint"], s["SubscriptionArn"]) for s in listed],
                         [("oncall@example.com", "PendingConfirmation"),
                          ("ops+alerts@example.co.uk", "PendingConfirmation")])
        self.assertEqual([s["SubscriptionArn"] for s in self.sns.list_subscriptions()["Subscriptions"]],
                         ["PendingConfirmation"] * 2)
        self.assertEqual(self.sns.get_subscription_attributes(SubscriptionArn=real)["Attributes"]
                         ["PendingConfirmation"], "true")
        attributes = self.attributes(topic)
        self.assertEqual((attributes["SubscriptionsPending"], attributes["SubscriptionsConfirmed"]), ("2", "0"))
        for pending in ("PendingConfirmation", "pending confirmation"):
            self.assertAwsError("InvalidParameter", self.sns.unsubscribe, SubscriptionArn=pending,
                                message=f"Invalid parameter: SubscriptionArn Reason: {pending} does not start with arn")
        self.assertEqual(len(self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]), 2)
        self.assertAwsError("InvalidParameter", self.sns.unsubscribe, SubscriptionArn="arn:aws:sns",
                            message="An ARN must have at least 6 elements, not 3")
        # The address owner confirms (the emulator's hook plays the email's link).
        confirmed = self.event("sns_confirm_subscription", topic_arn=topic, endpoint="oncall@example.com")
        self.assertTrue(confirmed["was_pending"])
        listed = self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertEqual(listed[0]["SubscriptionArn"], confirmed["subscription_arn"])
        self.assertEqual(self.attributes(topic)["SubscriptionsConfirmed"], "1")
        self.sns.unsubscribe(SubscriptionArn=confirmed["subscription_arn"])
        listed = self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertEqual([s["Endpoint"] for s in listed], ["ops+alerts@example.co.uk"])
        self.event_refused("sns_confirm_subscription", "no subscription", topic_arn=topic,
                           endpoint="nobody@example.com")

    def test_queues_of_the_account_are_confirmed_and_receive(self) -> None:
        topic = self.topic()
        url, queue = self.queue()
        arn = self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)["SubscriptionArn"]
        self.assertTrue(arn.startswith(topic + ":"), arn)
        self.sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
        self.assertEqual(self.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
                         ["PendingConfirmation"], "false")
        self.sns.publish(TopicArn=topic, Message="hello", Subject="greeting")
        [message] = self.sqs.receive_message(QueueUrl=url)["Messages"]
        body = json.loads(message["Body"])
        self.assertEqual((body["Message"], body["Subject"]), ("hello", "greeting"))
        # Another account's queue waits for its owner's confirmation.
        foreign = self.sns.subscribe(TopicArn=topic, Protocol="sqs",
                                     Endpoint=f"arn:aws:sqs:{REGION}:210987654321:theirs")
        self.assertEqual(foreign["SubscriptionArn"], "pending confirmation")
        # A queue deleted after subscribing loses the messages; the publisher does not see it.
        self.sqs.delete_queue(QueueUrl=url)
        self.sns.publish(TopicArn=topic, Message="into the void")

    def test_endpoints_match_their_protocol(self) -> None:
        topic = self.topic()
        self.assertAwsError("InvalidParameter", self.sns.subscribe, TopicArn=topic, Protocol="https",
                            Endpoint="http://example.com/hook", message="Endpoint must match the specified protocol")
        self.assertAwsError("InvalidParameter", self.sns.subscribe, TopicArn=topic, Protocol="carrier-pigeon",
                            Endpoint="loft 3", message="does not support this protocol string: carrier-pigeon")
        self.assertAwsError("NotFound", self.sns.subscribe, TopicArn=topic + "-gone", Protocol="email",
                            Endpoint="oncall@example.com")
        answer = self.sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://example.com/hook")
        self.assertEqual(answer["SubscriptionArn"], "pending confirmation")
