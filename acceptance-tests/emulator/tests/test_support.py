"""The test harness itself: the emulator answers, and AWS errors reach boto3 with their code."""

from __future__ import annotations

from .support import EmulatorCase


class SupportTest(EmulatorCase):
    def test_health_and_error_codes(self) -> None:
        self.assertEqual(self.control("GET", "/_mosia/health")["status"], "ok")
        self.control("POST", "/_mosia/faults", {"service": "sts", "operation": "GetCallerIdentity",
                                                 "error_code": "Throttling"})
        sts = self.client("sts")
        self.assertAwsError("Throttling", sts.get_caller_identity)
        self.assertEqual(sts.get_caller_identity()["Account"], "123456789012")
