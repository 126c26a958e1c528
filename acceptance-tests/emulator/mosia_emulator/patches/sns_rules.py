"""SNS topics and subscriptions as AWS keeps them: topic attributes and access policies,
CreateTopic's idempotency, email subscriptions pending until confirmed, encrypted topics whose
key decides whether a publisher (an API caller, or a service such as CloudWatch publishing an
alarm, `publish_as_service`) can publish.

Sources (SNS API reference = the botocore `sns` model's documentation, the API reference's
text; "assumed" marks wording that could not be found published):

- CreateTopic / SetTopicAttributes attribute names: the API reference's lists (DeliveryPolicy,
  DisplayName, Policy, TracingConfig, MaximumMessageSize, KmsMasterKeyId, SignatureVersion,
  ArchivePolicy, ContentBasedDeduplication, FifoThroughputScope, the delivery status
  attributes; FifoTopic at creation only). Another name: InvalidParameter "Invalid parameter:
  AttributeName" (moto's wording for subscription attributes; assumed for topics; moto stored
  any name as a Python attribute).
- Policy: a JSON policy document; a document that is not JSON, has no statement, or a statement
  without Effect, Principal or Action (e.g. the misspelt "Principle", serverless/serverless
  #5519; no principals, cloudposse/terraform-aws-sns-topic#44): InvalidParameter "Invalid
  parameter: Policy Error: null" (AWS's message in both issues; assumed for the other cases);
  an action of another service: "Invalid parameter: Policy statement action out of service
  scope!" (AWS's AddPermission answer, aws/aws-cli#3143; assumed for Policy).
- "This action is idempotent, so if the requester already owns a topic with the specified
  name, that topic's ARN is returned without creating a new topic" - unless an attribute given
  differs from the topic's: InvalidParameter "Invalid parameter: Attributes Reason: Topic
  already exists with different attributes" (MassTransit/MassTransit#3720), or tags given
  differ from its tags: "Invalid parameter: Tags Reason: Topic already exists with different
  tags" (LocalStack's SNS provider, tested against AWS). A Policy is compared as JSON.
- KmsMasterKeyId: "The ID of an AWS managed customer master key (CMK) for Amazon SNS or a
  custom CMK" (key ID, key ARN, alias name or alias ARN). SNS does not check the key when it is
  set, only when a message is published (getmoto/moto#3389, after the SNS Developer Guide
  "Encryption at rest"); Publish to an encrypted topic then fails with the KMS errors of the
  Publish reference: KMSNotFound (the key does not exist in the topic's Region), KMSDisabled,
  KMSInvalidState (pending deletion) and KMSAccessDenied when the key policy does not let the
  publisher use kms:GenerateDataKey* and kms:Decrypt (SNS Developer Guide "Key management":
  a publisher needs both). KMSAccessDenied's message as AWS answers it: "The ciphertext refers
  to a customer master key that does not exist, does not exist in this region, or you are not
  allowed to access. (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException;
  ...)" (aws/aws-cdk#24337); the other messages are assumed in the same form. The caller's IAM
  policies are not evaluated: a key policy statement for the caller, its account root or `*`
  lets it (its conditions taken as met).
- A service publishing (CloudWatch alarm actions, `publish_as_service`): the topic's access
  policy must allow the service principal sns:Publish on the topic (Principal `*`, `{"AWS":
  "*"}` or `{"Service": ...}`; conditions on aws:SourceAccount, aws:SourceArn, AWS:SourceOwner
  evaluated, so the default policy - `AWS: *` for the owner's account - lets an alarm of the
  account publish), and the topic's key must let the service principal use it (SNS Developer
  Guide, "Configure KMS permissions for AWS services": a statement for
  `cloudwatch.amazonaws.com` with kms:Decrypt and kms:GenerateDataKey*; the AWS managed key
  aws/sns does not have one and cannot be changed).
- Subscribe: "If the endpoint type is HTTP/S or email, or if the endpoint and the topic are not
  in the same Amazon Web Services account, the endpoint owner must run the ConfirmSubscription
  action"; until then Subscribe answers "pending confirmation" (unless ReturnSubscriptionArn),
  ListSubscriptionsByTopic and ListSubscriptions show SubscriptionArn "PendingConfirmation"
  (mozilla/frost#428), GetSubscriptionAttributes PendingConfirmation "true", the topic counts it
  in SubscriptionsPending, and it receives nothing. An email or email-json endpoint that is not
  one address: InvalidParameter "Invalid parameter: Email address" (AWS X-Ray developer guide's
  Scorekeep walkthrough; ballerina-platform module-ballerinax-aws.sns tests against AWS; the
  address syntax checked is assumed); an http/https endpoint not starting with its scheme:
  "Invalid parameter: Endpoint must match the specified protocol" (assumed); an unknown
  protocol: "Invalid parameter: Amazon SNS does not support this protocol string: X"
  (assumed). SQS subscriptions of the topic's account are confirmed at once.
- Unsubscribe of "pending confirmation" (Subscribe's answer): InvalidParameter "Invalid
  parameter: SubscriptionArn Reason: pending confirmation does not start with arn"
  (hashicorp/terraform#2776), of "PendingConfirmation" (ListSubscriptionsByTopic's) likewise
  "... Reason: PendingConfirmation does not start with arn" (assumed); another value with fewer than six ARN parts: "Invalid parameter:
  SubscriptionArn Reason: An ARN must have at least 6 elements, not 1"
  (crossplane-contrib/provider-upjet-aws#935).
- DeleteTopic "is idempotent, so deleting a topic that does not exist does not result in an
  error" (moto does so); it deletes the topic's subscriptions.
- The emulator's control hook: `POST /_mosia/events {"event": "sns_confirm_subscription",
  "topic_arn": ..., "endpoint": ...}` plays the endpoint owner's confirmation.

Not modelled: ConfirmSubscription tokens (moto answers any), SQS queue policies on delivery
(SNS delivers to a subscribed queue whatever its policy), the caller's IAM permissions,
cross-account topic policies for API callers."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from moto.core.responses import ActionResult
from moto.sns.exceptions import SNSException, SNSInvalidParameter
from moto.sns.models import Subscription, sns_backends
from moto.sns.responses import SNSResponse

from .. import events, rejections
from . import kms_policy, wrap
from .kms_managed import customer_key

SERVICE = "sns"
TOPIC_ATTRIBUTES = frozenset({
    "ApplicationFailureFeedbackRoleArn", "ApplicationSuccessFeedbackRoleArn", "ApplicationSuccessFeedbackSampleRate",
    "ArchivePolicy", "ContentBasedDeduplication", "DeliveryPolicy", "DisplayName", "FifoThroughputScope",
    "FirehoseFailureFeedbackRoleArn", "FirehoseSuccessFeedbackRoleArn", "FirehoseSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn", "HTTPSuccessFeedbackRoleArn", "HTTPSuccessFeedbackSampleRate", "KmsMasterKeyId",
    "LambdaFailureFeedbackRoleArn", "LambdaSuccessFeedbackRoleArn", "LambdaSuccessFeedbackSampleRate",
    "MaximumMessageSize", "Policy", "SQSFailureFeedbackRoleArn", "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate", "SignatureVersion", "TracingConfig",
})
CREATE_ONLY = frozenset({"FifoTopic"})
PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
CONFIRMED_BY_OWNER = ("http", "https", "email", "email-json")
PENDING_ARN = "PendingConfirmation"
PENDING_ANSWER = "pending confirmation"
POLICY_ERROR = "Invalid parameter: Policy Error: null"
OUT_OF_SCOPE = "Invalid parameter: Policy statement action out of service scope!"
EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
KMS_SUFFIX = "(Service: AWSKMS; Status Code: 400; Error Code: {code}; Request ID: {rid}; Proxy: null)"


class KMSError(SNSException):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


def invalid(message: str, operation: str) -> Exception:
    return rejections.rule(SNSInvalidParameter(message), SERVICE, operation)


def kms_message(text: str, code: str) -> str:
    return f"{text} " + KMS_SUFFIX.format(code=code, rid=uuid.uuid4())


# ---------------------------------------------------------------------------------------------
# Policies, attributes


def check_policy(document: Any, operation: str) -> None:
    """A topic access policy SNS accepts (module docstring)."""
    try:
        policy = json.loads(document) if isinstance(document, str) else None
    except ValueError:
        policy = None
    if not isinstance(policy, dict):
        raise invalid(POLICY_ERROR, operation)
    statements = policy.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements:
        raise invalid(POLICY_ERROR, operation)
    for s in statements:
        if not isinstance(s, dict) or s.get("Effect") not in ("Allow", "Deny"):
            raise invalid(POLICY_ERROR, operation)
        principal = s.get("Principal", s.get("NotPrincipal"))
        if not principal or (isinstance(principal, dict) and not any(principal.values())):
            raise invalid(POLICY_ERROR, operation)
        actions = kms_policy.as_list(s.get("Action", s.get("NotAction")))
        if not actions:
            raise invalid(POLICY_ERROR, operation)
        for action in actions:
            if str(action) != "*" and not str(action).lower().startswith("sns:"):
                raise invalid(OUT_OF_SCOPE, operation)


def check_attribute_name(name: str, operation: str, create: bool) -> None:
    if name in TOPIC_ATTRIBUTES or (create and name in CREATE_ONLY):
        return
    raise invalid("Invalid parameter: AttributeName", operation)  # wording assumed for topics


def current_value(topic: Any, name: str) -> Any:
    """The topic's value of an attribute (moto keeps them as snake_case attributes)."""
    from moto.core.utils import camelcase_to_underscores

    if name == "Policy":
        return topic.policy
    return getattr(topic, camelcase_to_underscores(name), None)


def same_value(name: str, have: Any, want: Any) -> bool:
    if name == "Policy":
        try:
            return json.loads(have) == json.loads(want)
        except (TypeError, ValueError):
            return have == want
    if isinstance(have, bool) or name in ("FifoTopic", "ContentBasedDeduplication"):
        return str(have).lower() == str(want).lower()
    if have in (None, "") and want in (None, ""):
        return True
    return str(have) == str(want)


# ---------------------------------------------------------------------------------------------
# Subscriptions


def pending(subscription: Any) -> bool:
    return bool(getattr(subscription, "_mosia_pending", False))


def set_pending(subscription: Any, value: bool) -> None:
    subscription._mosia_pending = value
    subscription.confirmed = not value
    subscription.attributes["PendingConfirmation"] = "true" if value else "false"
    subscription.attributes["ConfirmationWasAuthenticated"] = "false" if value else "true"


def needs_confirmation(protocol: str, endpoint: str, topic_account: str) -> bool:
    if protocol in CONFIRMED_BY_OWNER:
        return True
    if protocol in ("sqs", "lambda", "firehose"):
        parts = str(endpoint).split(":")
        return len(parts) > 4 and parts[4] != topic_account
    return False


def check_endpoint(protocol: str, endpoint: str, operation: str) -> None:
    if protocol not in PROTOCOLS:
        raise invalid(f"Invalid parameter: Amazon SNS does not support this protocol string: {protocol}", operation)
    if protocol in ("email", "email-json") and not EMAIL.fullmatch(str(endpoint or "")):
        raise invalid("Invalid parameter: Email address", operation)
    if protocol in ("http", "https") and not str(endpoint or "").lower().startswith(f"{protocol}://"):
        raise invalid("Invalid parameter: Endpoint must match the specified protocol", operation)


def subscription_entry(sub: Any) -> dict[str, Any]:
    return {
        "SubscriptionArn": PENDING_ARN if pending(sub) else sub.arn,
        "Owner": sub.owner,
        "Protocol": sub.protocol,
        "Endpoint": sub.endpoint,
        "TopicArn": sub.topic.arn,
    }


def topic_of(topic_arn: str) -> Any | None:
    parts = str(topic_arn).split(":")
    if len(parts) != 6 or parts[2] != "sns":
        return None
    try:
        return sns_backends[parts[4]][parts[3]].topics.get(topic_arn)
    except KeyError:
        return None


# ---------------------------------------------------------------------------------------------
# Encryption at rest: who may use the topic's key


def key_problem(topic: Any, *, caller: list[str] | None = None, service: str | None = None,
                context: dict[str, str] | None = None) -> tuple[str, str] | None:
    """(code, message) when the publisher cannot use the topic's key, else None."""
    key_id = topic.kms_master_key_id
    if not key_id:
        return None
    region = topic.arn.split(":")[3]
    account = topic.account_id
    key = customer_key(account, region, key_id)
    if key is None or getattr(key, "region", region) != region:
        return "KMSNotFound", kms_message(f"Invalid keyId {key_id}", "NotFoundException")
    if key.key_state == "PendingDeletion":
        return "KMSInvalidState", kms_message(f"{key.arn} is pending deletion.", "KMSInvalidStateException")
    if key.key_state != "Enabled" or not key.enabled:
        return "KMSDisabled", kms_message(f"{key.arn} is disabled.", "DisabledException")
    try:
        policy = kms_policy.parse(key.policy)
    except (TypeError, ValueError):
        policy = {}
    needed = ("kms:GenerateDataKey", "kms:Decrypt")
    if service is not None:
        allowed = all(kms_policy.allows(policy, a, service=service, context=context or {}, key_arn=key.arn)
                      for a in needed)
    else:
        allowed = all(kms_policy.allows(policy, a, aws=caller or [], key_arn=key.arn, evaluate_conditions=False)
                      for a in needed)
    if not allowed:
        return "KMSAccessDenied", kms_message(
            "The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
            "or you are not allowed to access.", "AccessDeniedException")
    return None


def publish_as_service(topic_arn: str, service: str, *, source_account: str, source_arn: str, message: str,
                       subject: str | None = None) -> tuple[bool, str]:
    """A service principal (CloudWatch) publishes to the topic: (True, message ID) when the
    topic's policy and key let it, else (False, "Code: reason") and nothing is delivered."""
    topic = topic_of(topic_arn)
    if topic is None:
        return False, f"NotFound: Topic does not exist: {topic_arn}"
    context = {
        "aws:SourceAccount": source_account,
        "aws:SourceArn": source_arn,
        "AWS:SourceOwner": source_account,
    }
    try:
        policy = kms_policy.parse(topic.policy)
    except (TypeError, ValueError):
        policy = {}
    if not kms_policy.allows(policy, "sns:Publish", service=service, context=context, key_arn=topic.arn):
        return False, (f"AuthorizationError: {service} is not authorized to perform SNS:Publish on resource "
                       f"{topic.arn}")  # wording assumed
    region = topic.arn.split(":")[3]
    problem = key_problem(topic, service=service,
                          context={**context, "kms:ViaService": f"sns.{region}.amazonaws.com"})
    if problem is not None:
        return False, f"{problem[0]}: {problem[1]}"
    backend = sns_backends[topic.account_id][region]
    return True, backend.publish(message, arn=topic.arn, subject=subject)


# ---------------------------------------------------------------------------------------------


def apply(state: Any) -> None:  # noqa: C901 - one wrapper per call
    @wrap(SNSResponse, "create_topic")
    def create_topic(orig: Any, self: SNSResponse) -> Any:
        op = "CreateTopic"
        attributes = dict(self._get_param("Attributes", {}) or {})
        for name, value in attributes.items():
            check_attribute_name(name, op, create=True)
            if name == "Policy":
                check_policy(value, op)
        name = self._get_param("Name")
        arn = f"arn:{self.partition}:sns:{self.region}:{self.current_account}:{name}"
        existing = self.backend.topics.get(arn)
        if existing is not None:
            for attribute, value in attributes.items():
                if not same_value(attribute, current_value(existing, attribute), value):
                    raise invalid(
                        "Invalid parameter: Attributes Reason: Topic already exists with different attributes", op
                    )
            tags = self._get_param("Tags")
            if tags:
                want = {t["Key"]: t["Value"] for t in tags}
                if want != dict(existing._tags):
                    raise invalid("Invalid parameter: Tags Reason: Topic already exists with different tags", op)
        return orig(self)

    @wrap(SNSResponse, "set_topic_attributes")
    def set_topic_attributes(orig: Any, self: SNSResponse) -> Any:
        op = "SetTopicAttributes"
        name = self._get_param("AttributeName")
        check_attribute_name(name, op, create=False)
        if name == "Policy":
            check_policy(self._get_param("AttributeValue"), op)
        return orig(self)

    @wrap(SNSResponse, "get_topic_attributes")
    def get_topic_attributes(orig: Any, self: SNSResponse) -> Any:
        topic = self.backend.topics.get(self._get_param("TopicArn"))
        if topic is not None:
            subs = [s for s in self.backend.subscriptions.values() if s.topic is topic]
            topic.subscriptions_pending = sum(1 for s in subs if pending(s))
            topic.subscriptions_confimed = sum(1 for s in subs if not pending(s))
        return orig(self)

    @wrap(SNSResponse, "subscribe")
    def subscribe(orig: Any, self: SNSResponse) -> Any:
        op = "Subscribe"
        protocol = self._get_param("Protocol")
        endpoint = self._get_param("Endpoint")
        topic_arn = self._get_param("TopicArn")
        self.backend.get_topic(topic_arn)  # NotFound first, as moto answers it
        check_endpoint(protocol, endpoint, op)
        known = set(self.backend.subscriptions)
        result = orig(self)
        sub = self.backend._find_subscription(topic_arn, endpoint, protocol)
        if sub is not None and sub.arn not in known:
            set_pending(sub, needs_confirmation(protocol, endpoint, sub.topic.account_id))
        if sub is not None and pending(sub) and str(self._get_param("ReturnSubscriptionArn")).lower() != "true":
            return ActionResult({"SubscriptionArn": PENDING_ANSWER})
        return result

    @wrap(SNSResponse, "unsubscribe")
    def unsubscribe(orig: Any, self: SNSResponse) -> Any:
        op = "Unsubscribe"
        arn = str(self._get_param("SubscriptionArn") or "")
        if not arn.startswith("arn:"):
            raise invalid(f"Invalid parameter: SubscriptionArn Reason: {arn} does not start with arn", op)
        parts = arn.split(":")
        if len(parts) < 6:
            raise invalid(f"Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, "
                          f"not {len(parts)}", op)
        return orig(self)

    def listing(self: SNSResponse, subs: list[Any], next_token: Any) -> Any:
        result: dict[str, Any] = {"Subscriptions": [subscription_entry(s) for s in subs]}
        if next_token is not None:
            result["NextToken"] = next_token
        return ActionResult(result)

    @wrap(SNSResponse, "list_subscriptions_by_topic")
    def list_subscriptions_by_topic(orig: Any, self: SNSResponse) -> Any:
        subs, token = self.backend.list_subscriptions_by_topic(
            self._get_param("TopicArn"), next_token=self._get_param("NextToken")
        )
        return listing(self, subs, token)

    @wrap(SNSResponse, "list_subscriptions")
    def list_subscriptions(orig: Any, self: SNSResponse) -> Any:
        subs, token = self.backend.list_subscriptions(next_token=self._get_param("NextToken"))
        return listing(self, subs, token)

    @wrap(SNSResponse, "publish")
    def publish(orig: Any, self: SNSResponse) -> Any:
        arn = self._get_param("TopicArn") or self._get_param("TargetArn")
        topic = self.backend.topics.get(arn) if arn else None
        if topic is not None and topic.kms_master_key_id:
            problem = key_problem(topic, caller=kms_policy.caller_identities(self))
            if problem is not None:
                raise rejections.rule(KMSError(*problem), SERVICE, "Publish")
        return orig(self)

    @wrap(Subscription, "publish")
    def deliver(orig: Any, self: Subscription, *args: Any, **kwargs: Any) -> Any:
        """A pending subscription receives nothing; a deleted queue loses the message (SNS
        retries and gives up; moto raised QueueDoesNotExist into the publisher)."""
        from moto.sqs.exceptions import QueueDoesNotExist

        if pending(self):
            return None
        try:
            return orig(self, *args, **kwargs)
        except QueueDoesNotExist:
            return None

    @events.register("sns_confirm_subscription")
    def confirm(payload: dict[str, Any]) -> Any:
        """The endpoint owner confirms: {"topic_arn", "endpoint"[, "protocol"]}."""
        topic_arn = payload.get("topic_arn")
        endpoint = payload.get("endpoint")
        if not topic_arn or not endpoint:
            raise ValueError("sns_confirm_subscription needs topic_arn and endpoint")
        topic = topic_of(str(topic_arn))
        if topic is None:
            raise ValueError(f"no topic {topic_arn}")
        backend = sns_backends[topic.account_id][topic.arn.split(":")[3]]
        protocol = payload.get("protocol")
        for sub in backend.subscriptions.values():
            if sub.topic is topic and sub.endpoint == endpoint and (not protocol or sub.protocol == protocol):
                was = pending(sub)
                set_pending(sub, False)
                return {"subscription_arn": sub.arn, "was_pending": was}
        raise ValueError(f"no subscription of {endpoint} to {topic_arn}")
