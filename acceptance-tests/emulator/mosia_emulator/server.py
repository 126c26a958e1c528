"""moto's server in-process, behind a WSGI layer that adds Mosia's control API,
fault injection, call accounting and lifecycle ticks."""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable, Iterable

from . import control, lifecycle, patches, rejections, validation, wire

CONTROL_PREFIX = "/_mosia"


class MosiaApp:
    def __init__(self, moto_app: Callable[..., Any], state: control.State) -> None:
        self.moto_app = moto_app
        self.state = state
        # moto's backends are not thread-safe, and lifecycle transitions mutate them:
        # AWS requests are handled one at a time (injected latency is slept outside).
        self.moto_lock = threading.RLock()
        # API-model validation of every AWS request (MOSIA_EMULATOR_VALIDATE=0 turns it off,
        # to see what moto alone would answer).
        self.validate = os.environ.get("MOSIA_EMULATOR_VALIDATE", "1") != "0"

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or ""
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            body = wire.read_body(environ)
            with self.moto_lock:
                status, headers, payload = control.handle_control(
                    self.state, environ.get("REQUEST_METHOD", "GET"), path,
                    environ.get("QUERY_STRING", ""), body,
                )
            return self._respond(start_response, status, headers, payload)

        if path.startswith("/moto-api") or path == "/favicon.ico":
            with self.moto_lock:
                lifecycle.SCHEDULER.tick()
                return self.moto_app(environ, start_response)

        body = b""
        ctype = environ.get("CONTENT_TYPE", "") or ""
        cbor = wire.rpc_v2_route(environ) is not None
        if cbor:
            body = wire.read_body(environ)
            environ["mosia.protocol"] = wire.RPC_V2_CBOR
        elif ctype.startswith("application/x-www-form-urlencoded"):
            body = wire.read_body(environ)
        service, operation = wire.identify(environ, body)
        environ["mosia.service"] = service
        environ["mosia.operation"] = operation
        self.state.record(service, operation)
        protocol = wire.request_protocol(environ, service)

        fault = self.state.take_fault(service, operation)
        if fault is not None:
            if fault.latency_ms:
                time.sleep(fault.latency_ms / 1000.0)
            if fault.error_code:
                status = int(fault.http_status or control.default_status(service, fault.error_code))
                status, headers, payload = wire.error_response(
                    service, str(fault.error_code), fault.message, status, protocol
                )
                return self._respond(start_response, status, headers, payload)

        refused = self._validate(environ, service, operation, protocol)
        if refused is not None:
            return self._respond(start_response, *refused)

        patches.ensure(service)
        if cbor:
            return self._respond(start_response, *self._rpc_v2_cbor(environ, service, operation, body))
        with self.moto_lock:
            lifecycle.SCHEDULER.tick()
            return self.moto_app(environ, start_response)

    def _rpc_v2_cbor(
        self, environ: dict[str, Any], service: str, operation: str, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        """An RPC v2 CBOR request (CloudWatch), served by moto in the service's JSON protocol
        and answered in CBOR (see wire.py)."""
        op_model = wire.rpc_v2_operation(service, operation)
        if op_model is None:
            return wire.rpc_v2_error(service, "UnknownOperationException", f"Unknown operation {operation}", 404)
        try:
            params = wire.cbor_params(body, op_model.input_shape)
        except wire.Unreadable as err:
            return wire.rpc_v2_error(service, "SerializationException", f"Unable to read the request: {err}", 400)
        json_environ = wire.rpc_v2_json_environ(environ, op_model, params)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = list(headers)
            return lambda _data: None

        with self.moto_lock:
            lifecycle.SCHEDULER.tick()
            result = self.moto_app(json_environ, capture)
            try:
                payload = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        return wire.rpc_v2_answer(service, op_model, captured.get("status", 500), captured.get("headers", []), payload)

    def _validate(
        self, environ: dict[str, Any], service: str, operation: str, protocol: str | None = None
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """AWS's error for a request that breaks its API model (see validation.py), or None."""
        if not self.validate:
            return None
        try:
            found = validation.check(environ, service, operation)
        except validation.Unparsed as err:
            rejections.record_unparsed(str(err))
            return None
        if found is None:
            return None
        code, message = found
        rejections.record("validation", service, operation, code, message)
        return wire.error_response(service, code, message, 400, protocol)

    @staticmethod
    def _respond(start_response: Callable[..., Any], status: int, headers: list[tuple[str, str]], payload: bytes) -> list[bytes]:
        from http import HTTPStatus

        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Error"
        headers = list(headers) + [("Content-Length", str(len(payload)))]
        start_response(f"{status} {reason}", headers)
        return [payload]


def build_app(profile: str) -> tuple[MosiaApp, control.State]:
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    lifecycle.DURATIONS.set_profile(profile)
    lifecycle.DURATIONS.load_environment()
    initial = lifecycle.DURATIONS.snapshot()["durations"]
    state = control.State(profile, initial)
    patches.apply_all(state)
    moto_app = DomainDispatcherApplication(create_backend_app)
    return MosiaApp(moto_app, state), state


def watch_parent() -> None:
    """Exit when the process that started us goes away (a killed test run must not
    leave a server behind)."""
    parent = os.getppid()

    def loop() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=loop, name="mosia-parent-watch", daemon=True).start()


def serve(
    host: str,
    port: int,
    profile: str,
    port_file: str | None = None,
    quiet: bool = False,
    exit_with_parent: bool = False,
) -> None:
    import signal

    from werkzeug.serving import make_server
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    if exit_with_parent:
        watch_parent()
    app, _ = build_app(profile)

    handler: Any = MotoRequestHandler
    if quiet:
        class QuietHandler(MotoRequestHandler):
            def log_request(self, *args: Any, **kwargs: Any) -> None:
                pass

        handler = QuietHandler

    server = make_server(host, port, app, threaded=True, request_handler=handler)
    actual_port = server.server_address[1]
    os.environ.setdefault("MOTO_PORT", str(actual_port))

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(f"{actual_port}\n")
        os.replace(tmp, port_file)
    print(
        f"mosia-emulator: listening on http://{host}:{actual_port} "
        f"(profile {lifecycle.DURATIONS.profile}, pid {os.getpid()})",
        flush=True,
    )
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
