"""Which service and operation a request is for, and AWS errors in each service's wire format.

Also the Smithy RPC v2 CBOR protocol (`smithy-rpc-v2-cbor`), which moto 5.2.5 does not speak:
CloudWatch's SDKs (the AWS SDK for Rust's aws-sdk-cloudwatch, botocore) send
`POST /service/<targetPrefix>/operation/<Operation>` with the header `smithy-protocol:
rpc-v2-cbor` and a CBOR body, and expect CBOR answers; errors are a CBOR map with `__type` and
`message` and, for services with the `awsQueryCompatible` trait (CloudWatch), the header
`x-amzn-query-error: <Code>;Sender` that carries the query protocol's error code (Smithy
"RPC v2 CBOR protocol" specification; the generated `parse_http_error_metadata` of
aws-sdk-cloudwatch 1.140 takes the code from that header). The server transcodes such a
request to the service's JSON protocol for moto (`rpc_v2_*` below, with botocore's CBOR
parser and serializer driven by the operation's input and output shapes)."""

from __future__ import annotations

import functools
import io
import json
import re
import struct
import uuid
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

# SigV4 signing names whose botocore service name differs.
SIGNING_TO_BOTOCORE = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "execute-api": "apigateway",
    "states": "stepfunctions",
    "es": "es",
    "elasticloadbalancing": "elbv2",
}

# Namespaces of query-protocol services' error documents (informational only;
# SDKs parse Code/Message regardless of the namespace).
QUERY_XMLNS = {
    "rds": "http://rds.amazonaws.com/doc/2014-10-31/",
    "elasticache": "http://elasticache.amazonaws.com/doc/2015-02-02/",
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


RPC_V2_CBOR = "smithy-rpc-v2-cbor"
RPC_V2_PATH = re.compile(r"^/service/([^/]+)/operation/([^/]+)$")
# targetPrefix of the services served over smithy-rpc-v2-cbor -> SigV4 signing name (for a
# request without a SigV4 credential scope).
RPC_V2_TARGETS = {"GraniteServiceVersion20100801": "monitoring"}
# Smithy namespaces of the `__type` of RPC v2 CBOR errors (default: com.amazonaws.<name>).
SMITHY_NAMESPACES = {"monitoring": "com.amazonaws.cloudwatch"}


def signing_service(environ: dict[str, Any]) -> str | None:
    """Service from the SigV4 credential scope of the Authorization header."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in auth:
        try:
            scope = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
            parts = scope.split("/")
            if len(parts) >= 5:
                return parts[3].lower()
        except IndexError:
            return None
    query = parse_qs(environ.get("QUERY_STRING", ""))
    cred = query.get("X-Amz-Credential")
    if cred:
        parts = cred[0].split("/")
        if len(parts) >= 5:
            return parts[3].lower()
    return None


def botocore_name(service: str) -> str:
    return SIGNING_TO_BOTOCORE.get(service, service)


@functools.lru_cache(maxsize=None)
def protocol_of(service: str) -> str:
    """botocore protocol of a service: json, rest-json, query, ec2 or rest-xml."""
    try:
        from moto.core.utils import get_service_model

        return str(get_service_model(botocore_name(service)).metadata["protocol"])
    except Exception:
        return ""


@functools.lru_cache(maxsize=None)
def json_version_of(service: str) -> str:
    try:
        from moto.core.utils import get_service_model

        return str(get_service_model(botocore_name(service)).metadata.get("jsonVersion", "1.1"))
    except Exception:
        return "1.1"


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back for the next application."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= 0:
        return b""
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def form_params(environ: dict[str, Any], body: bytes) -> dict[str, str]:
    params: dict[str, str] = {}
    for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items():
        params[k] = v[0]
    ctype = environ.get("CONTENT_TYPE", "")
    if body and ctype.startswith("application/x-www-form-urlencoded"):
        try:
            for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items():
                params[k] = v[0]
        except UnicodeDecodeError:
            pass
    return params


def identify(environ: dict[str, Any], body: bytes) -> tuple[str, str]:
    """(service, operation) for a request; "unknown" when it cannot be told."""
    service = signing_service(environ)
    route = rpc_v2_route(environ)
    if route is not None:
        prefix, op = route
        return service or RPC_V2_TARGETS.get(prefix, "unknown"), op
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        op = target.split(".")[-1]
        if not service:
            service = target.split(".")[0].split("_")[0].lower()
        return service or "unknown", op
    params = form_params(environ, body)
    if params.get("Action"):
        return service or "unknown", params["Action"]
    if not service:
        return "unknown", "unknown"
    return service, rest_operation(service, environ) or "unknown"


def rest_operation(service: str, environ: dict[str, Any]) -> str | None:
    """Operation of a REST request, matched on method and path with the service model."""
    try:
        from moto.core.request import Request
        from moto.core.routing import get_service_router

        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(b"")
        env["CONTENT_LENGTH"] = "0"
        router = get_service_router(botocore_name(service))
        operation, _ = router.match(Request(env))
        return str(operation.name)
    except Exception:
        return None


def request_id() -> str:
    return str(uuid.uuid4())


@functools.lru_cache(maxsize=None)
def service_model_of(service: str) -> Any:
    from moto.core.utils import get_service_model

    return get_service_model(botocore_name(service))


def query_compatible(service: str) -> bool:
    """The service has the `awsQueryCompatible` trait (its JSON and CBOR errors carry the
    query error code in `x-amzn-query-error`)."""
    try:
        return "awsQueryCompatible" in service_model_of(service).metadata
    except Exception:
        return False


def request_protocol(environ: dict[str, Any], service: str) -> str:
    """The protocol the request was sent in (the answer's): a service that speaks
    smithy-rpc-v2-cbor also speaks the JSON and query protocols of its `protocols`."""
    if environ.get("mosia.protocol"):
        return str(environ["mosia.protocol"])
    protocol = protocol_of(service)
    if protocol == RPC_V2_CBOR:
        return "json" if environ.get("HTTP_X_AMZ_TARGET") else "query"
    return protocol


def error_response(
    service: str,
    code: str,
    message: str,
    status: int,
    protocol: str | None = None,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """An AWS error for `service` in its wire format (`protocol`, default the service's):
    (status, headers, body)."""
    rid = request_id()
    protocol = protocol or protocol_of(service)
    if protocol == RPC_V2_CBOR:
        return rpc_v2_error(service, code, message, status)
    if protocol in ("json", "rest-json") or (not protocol and service in ("eks", "kafka")):
        body = json.dumps({"__type": code, "message": message, "Message": message})
        if protocol == "json":
            ctype = f"application/x-amz-json-{json_version_of(service)}"
        else:
            ctype = "application/json"
        headers = [
            ("Content-Type", ctype),
            ("x-amzn-ErrorType", code),
            ("x-amzn-RequestId", rid),
        ]
        if query_compatible(service):
            headers.append(("x-amzn-query-error", f"{code};{'Receiver' if status >= 500 else 'Sender'}"))
        return status, headers, body.encode()
    m = escape(message)
    if protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{m}</Message>"
            f"</Error></Errors><RequestID>{rid}</RequestID></Response>"
        )
    elif protocol == "rest-xml":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(code)}</Code><Message>{m}</Message>"
            f"<RequestId>{rid}</RequestId><HostId>mosia-emulator</HostId></Error>"
        )
    else:  # query (rds, elasticache, iam, sts, ...) and anything unknown
        kind = "Receiver" if status >= 500 else "Sender"
        xmlns = QUERY_XMLNS.get(service)
        ns = f' xmlns="{xmlns}"' if xmlns else ""
        body = (
            f"<ErrorResponse{ns}><Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
            f"<Message>{m}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
        )
    headers = [
        ("Content-Type", "text/xml"),
        ("x-amzn-RequestId", rid),
        ("x-amz-request-id", rid),
    ]
    return status, headers, body.encode()


# ---------------------------------------------------------------------------------------------
# Smithy RPC v2 CBOR


class Unreadable(Exception):
    """A CBOR body that cannot be read against the operation's input shape."""


def rpc_v2_route(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(targetPrefix, operation) of an RPC v2 CBOR request, else None: the path
    `/service/<targetPrefix>/operation/<Operation>` with `smithy-protocol: rpc-v2-cbor` (or a
    CBOR body)."""
    match = RPC_V2_PATH.match(environ.get("PATH_INFO") or "")
    if match is None:
        return None
    marker = (environ.get("HTTP_SMITHY_PROTOCOL") or "").strip().lower()
    ctype = (environ.get("CONTENT_TYPE") or "").lower()
    if marker != "rpc-v2-cbor" and not ctype.startswith("application/cbor"):
        return None
    return match.group(1), match.group(2)


def cbor_params(body: bytes, shape: Any) -> dict[str, Any]:
    """The request's parameters: the CBOR body read with botocore's CBOR parser against the
    input shape (unknown members dropped, timestamps as datetimes). Raises Unreadable."""
    from botocore.parsers import RpcV2CBORParser

    if shape is None:
        return {}
    parser = RpcV2CBORParser()
    try:
        raw = parser._initial_body_parse(body) if body else {}  # noqa: SLF001
        if raw in (b"", None):
            raw = {}
        if not isinstance(raw, dict):
            raise Unreadable("the body is not a CBOR map")
        return dict(parser._parse_shape(shape, raw))  # noqa: SLF001
    except Unreadable:
        raise
    except Exception as err:  # noqa: BLE001 - any decoding error
        raise Unreadable(f"{type(err).__name__}: {err}") from err


def cbor_shaped(value: Any, shape: Any) -> bytes:
    """`value` in CBOR by `shape` (botocore's CBOR serializer: doubles as float64,
    timestamps as tag 1, structures as maps of their members)."""
    from botocore.serialize import RpcV2CBORSerializer

    out = bytearray()
    RpcV2CBORSerializer()._serialize_data_item(out, value, shape)  # noqa: SLF001
    return bytes(out)


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([(major << 5) | length])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([(major << 5) | info]) + length.to_bytes(size, "big")
    raise ValueError("CBOR length too large")


def cbor_plain(value: Any) -> bytes:
    """Schemaless CBOR of maps, lists, strings, numbers, booleans and null (error bodies)."""
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _cbor_head(3, len(data)) + data
    if isinstance(value, (list, tuple)):
        return _cbor_head(4, len(value)) + b"".join(cbor_plain(v) for v in value)
    if isinstance(value, dict):
        return _cbor_head(5, len(value)) + b"".join(cbor_plain(str(k)) + cbor_plain(v) for k, v in value.items())
    raise TypeError(f"cannot encode {type(value).__name__} in CBOR")


def _error_shape_names(service: str) -> dict[str, str]:
    """Query error code (and shape name) -> the error shape's name."""
    names: dict[str, str] = {}
    try:
        model = service_model_of(service)
        for name in model.shape_names:
            shape = model.shape_for(name)
            if shape.metadata.get("exception"):
                names.setdefault(name, name)
                code = shape.metadata.get("error", {}).get("code")
                if code:
                    names[code] = name
    except Exception:
        pass
    return names


def _query_code(service: str, code: str) -> str:
    """The query protocol's code of an error named by its code or its shape name
    (`ValidationException` -> `ValidationError` for CloudWatch)."""
    try:
        shape = service_model_of(service).shape_for(code)
        return str(shape.metadata.get("error", {}).get("code") or code)
    except Exception:
        return code


def rpc_v2_error(service: str, code: str, message: str, status: int) -> tuple[int, list[tuple[str, str]], bytes]:
    """An RPC v2 CBOR error: `{"__type": "<namespace>#<Shape>", "message": ...}`, and for an
    awsQueryCompatible service the query code in `x-amzn-query-error`."""
    rid = request_id()
    query_code = _query_code(service, code)
    shape = _error_shape_names(service).get(query_code, code)
    namespace = SMITHY_NAMESPACES.get(service, f"com.amazonaws.{botocore_name(service)}")
    body = cbor_plain({"__type": f"{namespace}#{shape}", "message": message})
    headers = [
        ("Content-Type", "application/cbor"),
        ("smithy-protocol", "rpc-v2-cbor"),
        ("x-amzn-RequestId", rid),
    ]
    if query_compatible(service):
        headers.append(("x-amzn-query-error", f"{query_code};{'Receiver' if status >= 500 else 'Sender'}"))
    return status, headers, body


def rpc_v2_operation(service: str, operation: str) -> Any:
    """The operation's model; None for an operation the service does not have."""
    try:
        return service_model_of(service).operation_model(operation)
    except Exception:
        return None


def rpc_v2_json_environ(environ: dict[str, Any], op_model: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The WSGI environ of the same request in the service's JSON protocol (botocore's JSON
    serializer: `X-Amz-Target`, `application/x-amz-json-1.0`), for moto."""
    from botocore.serialize import JSONSerializer

    request = JSONSerializer().serialize_to_request(params, op_model)
    body = request["body"] if isinstance(request["body"], bytes) else str(request["body"]).encode()
    env = dict(environ)
    for key in ("HTTP_SMITHY_PROTOCOL", "HTTP_ACCEPT", "HTTP_X_AMZN_QUERY_MODE"):
        env.pop(key, None)
    env["PATH_INFO"] = "/"
    env["RAW_URI"] = env["REQUEST_URI"] = "/"
    env["QUERY_STRING"] = ""
    env["CONTENT_TYPE"] = request["headers"]["Content-Type"]
    env["HTTP_X_AMZ_TARGET"] = request["headers"]["X-Amz-Target"]
    env["CONTENT_LENGTH"] = str(len(body))
    env["wsgi.input"] = io.BytesIO(body)
    return env


def rpc_v2_answer(
    service: str, op_model: Any, status: int, headers: list[tuple[str, str]], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    """moto's JSON answer in RPC v2 CBOR: the output read with botocore's JSON parser by the
    output shape and written in CBOR by it (no output shape: an empty body); an error as
    `rpc_v2_error` with its code and message."""
    lowered = {k.lower(): v for k, v in headers}
    if status >= 300:
        code, message = "InternalFailure", ""
        try:
            doc = json.loads(body.decode("utf-8") or "{}")
            code = str(doc.get("__type") or code).split(":", 1)[0].rsplit("#", 1)[-1]
            message = str(doc.get("message") or doc.get("Message") or "")
        except (ValueError, UnicodeDecodeError, AttributeError):
            message = body.decode("utf-8", "replace")[:500]
        query_error = lowered.get("x-amzn-query-error")
        if query_error and ";" in query_error:
            code = query_error.split(";", 1)[0]
        return rpc_v2_error(service, code, message, status)
    from botocore.parsers import JSONParser

    rid = lowered.get("x-amzn-requestid") or request_id()
    out_headers = [
        ("Content-Type", "application/cbor"),
        ("smithy-protocol", "rpc-v2-cbor"),
        ("x-amzn-RequestId", rid),
    ]
    shape = op_model.output_shape
    if shape is None:
        return status, out_headers, b""
    parsed = JSONParser().parse({"status_code": status, "headers": lowered, "body": body or b"{}"}, shape)
    parsed.pop("ResponseMetadata", None)
    return status, out_headers, cbor_shaped(parsed, shape)
