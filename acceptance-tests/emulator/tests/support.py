"""Shared set-up for the emulator's own tests: one in-process emulator per test class on a
free 127.0.0.1 port, boto3 clients pointed at it, and an assertion on AWS error codes.

Run: PYTHONPATH=acceptance-tests/emulator .tools/venv/bin/python -m unittest discover \
     -s acceptance-tests/emulator/tests -t acceptance-tests/emulator
(`cargo nextest run -p mosia-acceptance-tests --test emulator_rules` runs each module.)"""

from __future__ import annotations

import json
import os
import threading
import unittest
import urllib.error
import urllib.request
from typing import Any, Callable

for _var in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
    os.environ.pop(_var, None)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from mosia_emulator import server  # noqa: E402

REGION = "us-east-1"


class EmulatorCase(unittest.TestCase):
    """One emulator (profile `zero` unless PROFILE says otherwise) for the class; every test
    starts from an empty AWS state."""

    PROFILE = "zero"
    # Whether IAM's AWS managed policies exist (needed to attach e.g. AmazonEKSClusterPolicy).
    # moto builds them again after every reset, for each IAM backend: about a second per test,
    # so only the classes that attach them ask for them.
    MANAGED_POLICIES = False
    endpoint: str
    _server: Any
    _thread: threading.Thread

    @classmethod
    def setUpClass(cls) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        app, cls.state = server.build_app(cls.PROFILE)
        cls._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
        cls.endpoint = f"http://127.0.0.1:{cls._server.server_address[1]}"
        cls._thread = threading.Thread(target=cls._server.serve_forever, daemon=True)
        cls._thread.start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls._server.shutdown()
        cls._server.server_close()

    def setUp(self) -> None:
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true" if self.MANAGED_POLICIES else "false"
        self.control("POST", "/_mosia/reset")

    def client(self, service: str, region: str = REGION) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
            aws_secret_access_key="test",
            # botocore validates parameters itself by default: off, so that invalid
            # requests reach the emulator as another SDK would send them.
            config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
        )

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint + path, data=data, method=method)
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode()
        return json.loads(text) if text else None

    def event(self, name: str, **payload: Any) -> Any:
        """Fires the out-of-band event `name` (`POST /_mosia/events`) and returns its result."""
        return self.control("POST", "/_mosia/events", {"event": name, **payload})["result"]

    def event_refused(self, name: str, text: str, **payload: Any) -> None:
        """The event `name` is refused (HTTP 400) with `text` in the answer."""
        with self.assertRaises(urllib.error.HTTPError) as raised:
            self.event(name, **payload)
        self.assertEqual(raised.exception.code, 400)
        self.assertIn(text, raised.exception.read().decode())

    def assertAwsError(
        self, code: str, call: Callable[..., Any], *args: Any, message: str | None = None, **kwargs: Any
    ) -> ClientError:
        """`call(*args, **kwargs)` fails with AWS error `code` (and `message` in its text)."""
        with self.assertRaises(ClientError) as raised:
            call(*args, **kwargs)
        error = raised.exception.response["Error"]
        self.assertEqual(error.get("Code"), code, f"error: {error}")
        if message is not None:
            self.assertIn(message, error.get("Message", ""), f"error: {error}")
        return raised.exception
