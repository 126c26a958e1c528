"""API-model validation of every AWS request, before moto sees it.

AWS checks each request against the operation's input shape first (required members, types,
enums, numeric ranges, lengths and patterns) and answers a malformed one with a validation
error; moto checks almost none of it. The request is parsed with moto's protocol parsers
(`moto.core.parse`: query, ec2, json, rest-json, rest-xml, ported from LocalStack's; an RPC v2
CBOR body with botocore's CBOR parser, `wire.cbor_params`) and
checked with botocore's `ParamValidator`, extended with the constraints it leaves out
(`max`, `enum`, `pattern`). The models are the ones botocore ships.

A request the parser cannot read is passed on unvalidated (counted as `unparsed`): this layer
must never refuse what AWS accepts.
"""

from __future__ import annotations

import functools
import io
import re
from typing import Any

from botocore.validate import ParamValidator, ValidationErrors, range_check

from . import wire

# Services whose requests are not validated: moto's S3 routing (virtual hosts, streaming
# bodies) does not fit the generic parser, and nothing the provider sends there is modeled
# beyond what moto's own S3 checks.
SKIPPED_SERVICES = frozenset({"s3", "unknown"})


class StrictValidator(ParamValidator):
    """botocore's validator plus the constraints AWS's front ends also enforce."""

    VALIDATED_METADATA_ATTRS = ParamValidator.VALIDATED_METADATA_ATTRS | {"max", "enum", "pattern"}

    def _validate_string(self, param: Any, shape: Any, errors: ValidationErrors, name: str) -> None:
        if not isinstance(param, str):
            return super()._validate_string(param, shape, errors, name)
        super()._validate_string(param, shape, errors, name)
        max_len = shape.metadata.get("max")
        if max_len is not None and len(param) > max_len:
            errors.report(name, "too long", param=param, max_allowed=max_len)
        enum = shape.metadata.get("enum")
        if enum and param not in enum:
            errors.report(name, "not in enum", param=param, enum=enum)
        pattern = compiled_pattern(shape.metadata.get("pattern"))
        if pattern is not None and pattern.fullmatch(param) is None:
            errors.report(name, "pattern", param=param, pattern=shape.metadata["pattern"])

    def _validate_list(self, param: Any, shape: Any, errors: ValidationErrors, name: str) -> None:
        super()._validate_list(param, shape, errors, name)
        max_len = shape.metadata.get("max")
        if isinstance(param, (list, tuple)) and max_len is not None and len(param) > max_len:
            errors.report(name, "too many", param=len(param), max_allowed=max_len)

    def _validate_integer(self, param: Any, shape: Any, errors: ValidationErrors, name: str) -> None:
        super()._validate_integer(param, shape, errors, name)
        self._validate_max(param, shape, errors, name)

    def _validate_long(self, param: Any, shape: Any, errors: ValidationErrors, name: str) -> None:
        super()._validate_long(param, shape, errors, name)
        self._validate_max(param, shape, errors, name)

    @staticmethod
    def _validate_max(param: Any, shape: Any, errors: ValidationErrors, name: str) -> None:
        max_value = shape.metadata.get("max")
        if isinstance(param, int) and max_value is not None and param > max_value:
            errors.report(name, "too large", param=param, max_allowed=max_value)


@functools.lru_cache(maxsize=None)
def compiled_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """The model's (Java) regular expression in Python, or None when it has none or uses
    syntax Python lacks (then it is not checked rather than misread)."""
    if not pattern:
        return None
    try:
        return re.compile(pattern, re.DOTALL)
    except re.error:
        return None


def constraint_text(reason: str, extra: dict[str, Any]) -> str:
    """The constraint in the words of AWS's validation messages."""
    if reason == "missing required field":
        return "Member must not be null"
    if reason == "invalid length":
        return f"Member must have length greater than or equal to {extra['min_allowed']}"
    if reason == "too long":
        return f"Member must have length less than or equal to {extra['max_allowed']}"
    if reason == "too many":
        return f"Member must have length less than or equal to {extra['max_allowed']}"
    if reason == "invalid range":
        return f"Member must have value greater than or equal to {extra['min_allowed']}"
    if reason == "too large":
        return f"Member must have value less than or equal to {extra['max_allowed']}"
    if reason == "not in enum":
        return f"Member must satisfy enum value set: [{', '.join(extra['enum'])}]"
    if reason == "pattern":
        return f"Member must satisfy regular expression pattern: {extra['pattern']}"
    if reason == "invalid type":
        return "Member must be of the modeled type"
    return reason


def member_path(name: str, reason: str, extra: dict[str, Any]) -> str:
    path = name.lstrip(".")
    if reason == "missing required field":
        path = f"{path}.{extra['required_name']}" if path else extra["required_name"]
    return path or "input"


def first_lower(path: str) -> str:
    """AWS's messages name members in lowerCamelCase (`roleName`, `scalingConfig.minSize`)."""
    return ".".join(p[:1].lower() + p[1:] for p in path.split("."))


def error_code(service: str, protocol: str, model: Any, missing: bool) -> str:
    """The code AWS answers a malformed request with, per service family."""
    if protocol == wire.RPC_V2_CBOR:
        # CloudWatch (awsQueryCompatible): its ValidationException's query code,
        # `ValidationError` (e.g. "1 validation error detected: Value '30' at 'period' failed
        # to satisfy constraint: ...", ansible/ansible#29694, and for a missing member).
        if "ValidationException" in set(model.shape_names):
            shape = model.shape_for("ValidationException")
            return str(shape.metadata.get("error", {}).get("code") or "ValidationException")
        return "ValidationException"
    if protocol == "ec2":
        return "MissingParameter" if missing else "InvalidParameterValue"
    if protocol == "query":
        # Auto Scaling too: its API reference lists ValidationError for malformed requests.
        if service in ("iam", "sts", "elasticloadbalancing", "autoscaling"):
            return "ValidationError"
        return "MissingParameter" if missing else "InvalidParameterValue"
    shapes = set(model.shape_names)
    for code in ("ValidationException", "InvalidParameterException", "BadRequestException"):
        if code in shapes:
            return code
    return "ValidationException"


def describe(errors: ValidationErrors) -> tuple[list[str], bool]:
    """AWS-style constraint messages, and whether a required member was missing."""
    messages = []
    missing = False
    for reason, name, extra in errors._errors:  # noqa: SLF001 - botocore keeps them here
        missing = missing or reason == "missing required field"
        param = extra.get("param")
        shown = "null" if reason == "missing required field" else f"'{param}'"
        messages.append(
            f"Value {shown} at '{first_lower(member_path(name, reason, extra))}' failed to "
            f"satisfy constraint: {constraint_text(reason, extra)}"
        )
    return messages, missing


@functools.lru_cache(maxsize=None)
def service_model(service: str) -> Any:
    from moto.core.utils import get_service_model

    return get_service_model(wire.botocore_name(service))


def parse(environ: dict[str, Any], body: bytes, service: str, operation: str) -> tuple[Any, dict[str, Any]]:
    """(operation model, parsed parameters) of a request, with moto's parsers."""
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.request import Request, determine_request_protocol
    from moto.core.routing import get_service_router

    model = service_model(service)
    if environ.get("mosia.protocol") == wire.RPC_V2_CBOR:
        op_model = model.operation_model(operation)
        return op_model, wire.cbor_params(body, op_model.input_shape)
    env = dict(environ)
    env["wsgi.input"] = io.BytesIO(body)
    env["CONTENT_LENGTH"] = str(len(body))
    request = Request(env)
    url_params: dict[str, Any] = {}
    if model.protocol in ("rest-json", "rest-xml"):
        op_model, url_params = get_service_router(wire.botocore_name(service)).match(request)
    else:
        op_model = model.operation_model(operation)
    protocol = determine_request_protocol(model, request.content_type)
    parser = PROTOCOL_PARSERS[protocol](op_model)
    params = parser.parse(
        {
            "method": request.method,
            "values": request.values,
            "headers": request.headers,
            "body": body,
            "url_path": request.path,
            "url_params": url_params,
        }
    )
    return op_model, params


def check(environ: dict[str, Any], service: str, operation: str) -> tuple[str, str] | None:
    """(code, message) when the request breaks its operation's input shape, else None.
    Raises `Unparsed` when the request could not be read against the model."""
    if service in SKIPPED_SERVICES or operation == "unknown":
        return None
    body = wire.read_body(environ)
    try:
        op_model, params = parse(environ, body, service, operation)
    except Exception as err:  # noqa: BLE001 - any parser failure: do not judge the request
        raise Unparsed(f"{service}.{operation}: {type(err).__name__}: {err}") from err
    if op_model.input_shape is None:
        return None
    errors = StrictValidator().validate(dict(params), op_model.input_shape)
    if not errors.has_errors():
        return None
    messages, missing = describe(errors)
    model = service_model(service)
    code = error_code(service, model.protocol, model, missing)
    count = len(messages)
    noun = "error" if count == 1 else "errors"
    return code, f"{count} validation {noun} detected: " + "; ".join(messages)


class Unparsed(Exception):
    """The request could not be parsed against its model (it is passed on unjudged)."""
