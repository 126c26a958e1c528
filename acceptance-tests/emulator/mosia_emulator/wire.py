"""Which service and operation a request is for, and AWS errors in each service's wire format."""

from __future__ import annotations

import functools
import io
import json
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


def error_response(
    service: str,
    code: str,
    message: str,
    status: int,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """An AWS error for `service` in its wire format: (status, headers, body)."""
    rid = request_id()
    protocol = protocol_of(service)
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
