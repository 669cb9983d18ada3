"""Reading a request body as a browser-facing service must: ``application/json`` only
(415: a cross-site form or ``text/plain`` "simple request" never runs a generation),
read in pieces with the size limit checked as they arrive (413, never buffered whole),
UTF-8, strict JSON (no ``NaN``/``Infinity``) and bounded nesting (400)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from app.api.errors import ApiError, invalid
from app.api.limits import ApiLimits

JSON_MEDIA_TYPE = "application/json"
DRAIN_BYTES = 32 * 1024 * 1024  # read and dropped past the limit before the 413


def check_content_type(request: Request) -> None:
    media, _, parameters = request.headers.get("content-type", "").partition(";")
    charset = ""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    if media.strip().lower() != JSON_MEDIA_TYPE or charset not in ("", "utf-8", "utf8"):
        raise ApiError(
            415,
            "The request body must be JSON, sent with 'Content-Type: application/json'.",
            "invalid_request_error",
            "unsupported_media_type",
        )


def too_large(limits: ApiLimits) -> ApiError:
    return ApiError(
        413,
        f"The request body is larger than {limits.max_body_bytes:,} bytes.",
        "invalid_request_error",
        "request_too_large",
    )


async def read_body(request: Request, limits: ApiLimits) -> bytes:
    """The body, refused (413) once it passes the limit. What passes it is read on and
    dropped, up to :data:`DRAIN_BYTES`, so that a client that sends its whole body
    before reading reads the 413; beyond that the connection is closed."""
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > DRAIN_BYTES:
        raise too_large(limits)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limits.max_body_bytes:
            chunks.append(chunk)
        elif size > DRAIN_BYTES:
            break
    if size > limits.max_body_bytes:
        raise too_large(limits)
    return b"".join(chunks)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(data: bytes, limits: ApiLimits) -> Any:
    try:
        text = data.decode("utf-8")
        value = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise invalid("The request body is not valid JSON.") from None
    if nesting_depth(value, limits.max_json_depth) > limits.max_json_depth:
        raise invalid(f"The request body is nested deeper than {limits.max_json_depth} levels.")
    return value


def nesting_depth(value: Any, limit: int) -> int:
    """How deep ``value`` nests arrays and objects, counted up to ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, (dict, list)):
            continue
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                return deepest
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


async def read_json(request: Request, limits: ApiLimits) -> Any:
    check_content_type(request)
    return parse_json(await read_body(request, limits), limits)
