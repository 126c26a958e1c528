"""ElastiCache log delivery: slow-log and engine-log configurations on replication groups
(engine versions, ApplyImmediately, one configuration per log type, destinations), and the
statuses DescribeReplicationGroups reports (enabling / modifying / disabling -> active, gone, or
error for a destination that does not exist). Each refusal is checked next to the request AWS
accepts."""

from __future__ import annotations

import time
from typing import Any

from .elasticache_support import CacheCase


def cloudwatch(log_type: str, group: str, fmt: str = "json") -> dict[str, Any]:
    return {
        "LogType": log_type, "DestinationType": "cloudwatch-logs",
        "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": group}}, "LogFormat": fmt,
    }


def firehose(log_type: str, stream: str, fmt: str = "json") -> dict[str, Any]:
    return {
        "LogType": log_type, "DestinationType": "kinesis-firehose",
        "DestinationDetails": {"KinesisFirehoseDetails": {"DeliveryStream": stream}}, "LogFormat": fmt,
    }


def off(log_type: str) -> dict[str, Any]:
    return {"LogType": log_type, "Enabled": False}


class ElastiCacheLogsTest(CacheCase):
    def setUp(self) -> None:
        super().setUp()
        self.logs = self.client("logs")
        for name in ("slow", "engine", "other"):
            self.logs.create_log_group(logGroupName=name)

    def statuses(self, rg: dict) -> dict[str, str]:
        return {c["LogType"]: c["Status"] for c in rg.get("LogDeliveryConfigurations", [])}

    def last_rejection(self) -> dict:
        return self.control("GET", "/_mosia/calls")["rejected"]["requests"][-1]

    def test_enabling_then_active(self) -> None:
        created = self.create(LogDeliveryConfigurations=[cloudwatch("slow-log", "slow"), cloudwatch("engine-log", "engine", "text")])
        self.assertEqual(created["Status"], "creating")
        self.assertEqual(self.statuses(created), {"slow-log": "enabling", "engine-log": "enabling"})
        rg = self.available()
        self.assertEqual(
            rg["LogDeliveryConfigurations"],
            [
                {**cloudwatch("slow-log", "slow"), "Status": "active"},
                {**cloudwatch("engine-log", "engine", "text"), "Status": "active"},
            ],
        )
        self.assertEqual(self.available("cache1")["LogDeliveryConfigurations"][0].get("Message"), None)

    def test_without_log_delivery(self) -> None:
        self.create()
        self.assertEqual(self.available().get("LogDeliveryConfigurations", []), [])
        # Enabled=false on create delivers nothing.
        self.create("cache2", LogDeliveryConfigurations=[off("slow-log")])
        self.assertEqual(self.available("cache2").get("LogDeliveryConfigurations", []), [])

    def test_engine_versions(self) -> None:
        self.assertAwsError(
            "InvalidParameterValue", self.create, EngineVersion="5.0.6",
            LogDeliveryConfigurations=[cloudwatch("slow-log", "slow")],
            message="slow-log log delivery is not available for this redis engine version.",
        )
        self.assertEqual(
            (self.last_rejection()["kind"], self.last_rejection()["operation"]), ("rule", "CreateReplicationGroup")
        )
        for version in ("6.0", "5.0.6"):
            self.assertAwsError(
                "InvalidParameterValue", self.create, EngineVersion=version,
                LogDeliveryConfigurations=[cloudwatch("engine-log", "engine")],
                message="engine-log log delivery is not available for this redis engine version.",
            )
        self.assertAwsError("ReplicationGroupNotFoundFault", self.describe)
        self.create("r60", EngineVersion="6.0", LogDeliveryConfigurations=[cloudwatch("slow-log", "slow")])
        self.create("r62", EngineVersion="6.2", LogDeliveryConfigurations=[cloudwatch("engine-log", "engine")])
        self.create("r6x", EngineVersion="6.x", LogDeliveryConfigurations=[cloudwatch("engine-log", "engine")])
        self.create("vk", Engine="valkey", EngineVersion="7.2",
                    LogDeliveryConfigurations=[cloudwatch("slow-log", "slow"), cloudwatch("engine-log", "engine")])
        for rg_id in ("r60", "r62", "r6x"):
            self.assertEqual(set(self.statuses(self.available(rg_id)).values()), {"active"})
        self.assertEqual(self.statuses(self.available("vk")), {"slow-log": "active", "engine-log": "active"})

    def test_running_version_decides_on_modify(self) -> None:
        self.create(EngineVersion="5.0.6")
        self.available()
        self.assertAwsError(
            "InvalidParameterValue", self.modify, EngineVersion="6.2",
            LogDeliveryConfigurations=[cloudwatch("slow-log", "slow")],
            message="slow-log log delivery is not available for this redis engine version.",
        )
        self.modify(EngineVersion="6.2")
        self.available()
        self.modify(LogDeliveryConfigurations=[cloudwatch("slow-log", "slow")])
        self.assertEqual(self.statuses(self.available()), {"slow-log": "active"})

    def test_modify_needs_apply_immediately(self) -> None:
        self.create()
        self.available()
        for immediately in (False, None):
            self.assertAwsError(
                "InvalidParameterValue", self.ec.modify_replication_group, ReplicationGroupId="cache1",
                LogDeliveryConfigurations=[cloudwatch("slow-log", "slow")],
                **({} if immediately is None else {"ApplyImmediately": immediately}),
                message="To modify the log delivery configuration, set the apply-immediately parameter to true.",
            )
        self.assertEqual(self.last_rejection()["operation"], "ModifyReplicationGroup")
        self.assertEqual(self.statuses(self.describe()), {})
        answer = self.modify(LogDeliveryConfigurations=[cloudwatch("slow-log", "slow")])
        self.assertEqual((answer["Status"], self.statuses(answer)), ("modifying", {"slow-log": "enabling"}))
        self.assertEqual(self.statuses(self.available()), {"slow-log": "active"})

    def test_modify_changes_and_removes(self) -> None:
        self.create(LogDeliveryConfigurations=[cloudwatch("slow-log", "slow"), cloudwatch("engine-log", "engine")])
        self.available()
        answer = self.modify(LogDeliveryConfigurations=[cloudwatch("slow-log", "other", "text"), off("engine-log")])
        self.assertEqual(self.statuses(answer), {"slow-log": "modifying", "engine-log": "disabling"})
        rg = self.available()
        self.assertEqual(rg["LogDeliveryConfigurations"], [{**cloudwatch("slow-log", "other", "text"), "Status": "active"}])
        # Turning off a type that is not delivered changes nothing.
        self.modify(LogDeliveryConfigurations=[off("engine-log")])
        self.assertEqual(self.statuses(self.available()), {"slow-log": "active"})
        self.modify(LogDeliveryConfigurations=[off("slow-log")])
        self.assertEqual(self.available().get("LogDeliveryConfigurations", []), [])

    def test_one_configuration_per_log_type(self) -> None:
        self.assertAwsError(
            "InvalidParameterCombination", self.create,
            LogDeliveryConfigurations=[cloudwatch("slow-log", "slow"), cloudwatch("slow-log", "other")],
            message="Only one log delivery configuration per log type is allowed",
        )
        self.create(LogDeliveryConfigurations=[cloudwatch("slow-log", "slow")])
        self.available()
        self.assertAwsError(
            "InvalidParameterCombination", self.modify,
            LogDeliveryConfigurations=[cloudwatch("slow-log", "other"), off("slow-log")],
        )
        # A new configuration for a delivered type replaces it.
        self.modify(LogDeliveryConfigurations=[cloudwatch("slow-log", "other")])
        rg = self.available()
        self.assertEqual(len(rg["LogDeliveryConfigurations"]), 1)
        self.assertEqual(
            rg["LogDeliveryConfigurations"][0]["DestinationDetails"]["CloudWatchLogsDetails"]["LogGroup"], "other"
        )

    def test_a_configuration_needs_its_destination_and_format(self) -> None:
        for missing in ("DestinationType", "DestinationDetails", "LogFormat"):
            config = cloudwatch("slow-log", "slow")
            del config[missing]
            self.assertAwsError(
                "InvalidParameterValue", self.create, LogDeliveryConfigurations=[config],
                message=f"{missing} is required to enable slow-log log delivery.",
            )
        mismatched = cloudwatch("slow-log", "slow")
        mismatched["DestinationType"] = "kinesis-firehose"
        self.assertAwsError(
            "InvalidParameterCombination", self.create, LogDeliveryConfigurations=[mismatched],
            message="DestinationDetails.KinesisFirehoseDetails.DeliveryStream is required when "
                    "DestinationType is kinesis-firehose.",
        )
        self.assertAwsError("ReplicationGroupNotFoundFault", self.describe)

    def test_a_missing_destination_ends_in_error(self) -> None:
        self.create(LogDeliveryConfigurations=[cloudwatch("slow-log", "nope"), cloudwatch("engine-log", "engine")])
        rg = self.available()
        slow = rg["LogDeliveryConfigurations"][0]
        self.assertEqual(
            (slow["Status"], slow["Message"]),
            ("error", "The CloudWatch Logs log group nope does not exist."),
        )
        self.assertEqual(self.statuses(rg)["engine-log"], "active")
        # Creating the group later does not repair it; configuring it again does.
        self.logs.create_log_group(logGroupName="nope")
        self.assertEqual(self.statuses(self.describe())["slow-log"], "error")
        answer = self.modify(LogDeliveryConfigurations=[cloudwatch("slow-log", "nope")])
        self.assertEqual(self.statuses(answer)["slow-log"], "enabling")
        rg = self.available()
        self.assertEqual(self.statuses(rg), {"slow-log": "active", "engine-log": "active"})
        self.assertNotIn("Message", rg["LogDeliveryConfigurations"][0])

    def test_firehose_destination(self) -> None:
        self.create(LogDeliveryConfigurations=[firehose("slow-log", "redis-logs")])
        rg = self.available()
        self.assertEqual(
            (rg["LogDeliveryConfigurations"][0]["Status"], rg["LogDeliveryConfigurations"][0]["Message"]),
            ("error", "The Firehose delivery stream redis-logs does not exist."),
        )
        self.client("firehose").create_delivery_stream(
            DeliveryStreamName="redis-logs",
            ExtendedS3DestinationConfiguration={
                "RoleARN": "arn:aws:iam::123456789012:role/firehose",
                "BucketARN": "arn:aws:s3:::logs-bucket",
            },
        )
        self.create("cache2", LogDeliveryConfigurations=[firehose("engine-log", "redis-logs", "text")])
        rg = self.available("cache2")
        self.assertEqual(rg["LogDeliveryConfigurations"], [{**firehose("engine-log", "redis-logs", "text"), "Status": "active"}])
