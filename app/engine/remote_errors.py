"""What went wrong with an endpoint, as one sentence that says what to do.

A remote reply that fails ends with ``GenerationDone(finish_reason="error", error=...)``
and the faces show ``error`` as it is: so every sentence the remote engine can end a
reply with is written here, in one place, from what failed (an HTTP status and its
body, a transport error, a stream that is not an OpenAI stream) and the endpoint's own
names (host, URL, model). Text from upstream goes through the endpoint's ``redact``
before it is quoted, so a key the server echoes never reaches a message.
"""

from __future__ import annotations

import email.utils
import errno
import json
import socket
import ssl
from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from typing import Protocol

import httpx2

from app.core import format
from app.core.i18n import QT_TRANSLATE_NOOP, translate
from app.engine.openai_wire import server_message


class Endpoint(Protocol):
    """What the sentences name and how long the engine waits (a RemoteEngine)."""

    host: str
    host_port: str
    shown_url: str  # the base URL without a password in it
    model: str
    timeout: float
    connect_timeout: float

    @property
    def has_key(self) -> bool: ...

    def redact(self, text: str) -> str: ...


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    with suppress(ValueError):
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def http_error(endpoint: Endpoint, status: int, headers: Mapping[str, str], body: bytes) -> str:
    """An HTTP error answer (``status`` >= 400) with its ``headers`` and (cut) ``body``."""
    text = body.decode("utf-8", "replace")
    try:
        detail = server_message(json.loads(text))
    except (ValueError, RecursionError):
        detail = text.strip() if "html" not in text[:200].lower() else ""
    detail = endpoint.redact(detail)  # before a cut could split a key
    said = (
        translate("RemoteErrors", ": {detail}").format(detail=format.sentence(detail))
        if detail
        else translate("RemoteErrors", ".")
    )
    wait = retry_after(headers.get("retry-after"))
    later = (
        translate("RemoteErrors", "try again in {wait}.").format(wait=format.wait(wait))
        if wait is not None
        else translate("RemoteErrors", "try again later.")
    )
    model = endpoint.model
    if status == 401:
        if endpoint.has_key:
            return translate(
                "RemoteErrors",
                "The endpoint refused the API key (401): check the key set for {host}.",
            ).format(host=endpoint.host)
        return translate(
            "RemoteErrors", "The endpoint needs an API key (401): set one for {host}."
        ).format(host=endpoint.host)
    if status == 403:
        return translate(
            "RemoteErrors",
            "The endpoint refused access to '{model}' (403): check that the API key may use "
            "this model.",
        ).format(model=model)
    if status == 404:
        return translate(
            "RemoteErrors",
            "The endpoint has no model '{model}' or no chat completions at {url} (404): check "
            "the base URL and the model name.",
        ).format(model=model, url=endpoint.shown_url)
    if status == 429:
        if "quota" in detail.lower() or "balance" in detail.lower():
            return translate(
                "RemoteErrors",
                "The endpoint refused the request for lack of quota (429): check the "
                "account's balance or plan.",
            )
        return translate(
            "RemoteErrors", "The endpoint is rate-limiting requests (429): {later}"
        ).format(later=later)
    if status == 413:
        return translate(
            "RemoteErrors",
            "The conversation is too long for the endpoint (413): start a new one or shorten it.",
        )
    if status in (400, 422):
        return translate(
            "RemoteErrors", "The endpoint rejected the request ({status}){said}"
        ).format(status=status, said=said)
    if status == 503:
        return translate(
            "RemoteErrors", "The endpoint is unavailable right now (503): {later}"
        ).format(later=later)
    if status in (502, 504):
        return translate(
            "RemoteErrors", "The endpoint's gateway failed ({status}): {later}"
        ).format(status=status, later=later)
    if status >= 500:
        return translate(
            "RemoteErrors", "The endpoint failed with a server error ({status}): {later}"
        ).format(status=status, later=later)
    return translate("RemoteErrors", "The endpoint refused the request ({status}){said}").format(
        status=status, said=said
    )


def transport_error(endpoint: Endpoint, e: httpx2.HTTPError, responded: bool) -> str:
    """A request that failed below HTTP; ``responded``: the headers had come."""
    where = endpoint.host_port
    if isinstance(e, httpx2.ConnectTimeout):
        return translate(
            "RemoteErrors",
            "Could not connect to {where} within {seconds:g} seconds: check the URL and the "
            "network.",
        ).format(where=where, seconds=endpoint.connect_timeout)
    if isinstance(e, httpx2.ReadTimeout):
        return translate(
            "RemoteErrors",
            "The endpoint sent nothing for {seconds:g} seconds: it may be overloaded; try again.",
        ).format(seconds=endpoint.timeout)
    if isinstance(e, httpx2.TimeoutException):
        return translate("RemoteErrors", "The request to {where} timed out: try again.").format(
            where=where
        )
    if isinstance(e, httpx2.ConnectError):
        return _connect_error(endpoint, e)
    if isinstance(e, httpx2.TransportError):
        if responded:
            return dropped(endpoint)
        return translate(
            "RemoteErrors",
            "{where} closed the connection without answering: check that the URL is an "
            "OpenAI-compatible API.",
        ).format(where=where)
    return translate("RemoteErrors", "The reply from {where} could not be read ({why}).").format(
        where=where, why=_clause(str(e))
    )


def _connect_error(endpoint: Endpoint, e: httpx2.ConnectError) -> str:
    where = endpoint.host_port
    refused = translate(
        "RemoteErrors",
        "Could not connect to {where} (connection refused): check that the server is running "
        "and the URL is right.",
    ).format(where=where)
    unknown = translate(
        "RemoteErrors", "Could not find the host {host}: check the URL and the network."
    ).format(host=endpoint.host)
    cause: BaseException | None = e
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or (
            isinstance(cause, OSError) and cause.errno == errno.ECONNREFUSED
        ):
            return refused
        if isinstance(cause, socket.gaierror):
            return unknown
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = cause.verify_message or translate("RemoteErrors", "not trusted")
            return translate(
                "RemoteErrors",
                "The certificate of {where} failed verification ({reason}): check the URL, or "
                "the system's trusted certificates.",
            ).format(where=where, reason=reason)
        if isinstance(cause, ssl.SSLError):
            return translate(
                "RemoteErrors",
                "Could not make a secure connection to {where} ({why}): check the URL.",
            ).format(where=where, why=_clause(str(cause)))
        cause = cause.__cause__ or cause.__context__
    text = str(e).lower()
    if "refused" in text:
        return refused
    if "name" in text and ("resolv" in text or "known" in text or "getaddrinfo" in text):
        return unknown
    return translate("RemoteErrors", "Could not connect to {where} ({why}): check the URL.").format(
        where=where, why=_clause(str(e))
    )


def _clause(text: str) -> str:
    """Upstream text inside our parentheses: one sentence without its last period."""
    return format.sentence(text).rstrip(".")


def malformed(endpoint: Endpoint, data: str) -> str:
    """A stream chunk (or a whole completion) that is not JSON."""
    snippet = endpoint.redact(" ".join(data[:4000].split()))  # before the cut
    snippet = snippet if len(snippet) <= 60 else snippet[:59] + "…"
    return translate(
        "RemoteErrors",
        "The endpoint sent a garbled stream chunk (not JSON: {snippet}): check that {url} is "
        "an OpenAI-compatible API.",
    ).format(snippet=repr(snippet), url=endpoint.shown_url)


def dropped(endpoint: Endpoint) -> str:
    return translate(
        "RemoteErrors",
        "The connection to {where} dropped before the reply finished: try again.",
    ).format(where=endpoint.host_port)


def reported(message: str) -> str:
    """An error the endpoint sent inside the stream (``message``: its text, redacted)."""
    return translate(
        "RemoteErrors", "The endpoint reported an error during the reply: {message}"
    ).format(message=format.sentence(message))


def not_an_api(kind: str) -> str:
    """An answer of content type ``kind`` (an HTML page: a wrong base URL)."""
    return translate(
        "RemoteErrors",
        "The endpoint did not answer as an OpenAI-compatible API (it sent {kind}): check the "
        "base URL, which usually ends in /v1.",
    ).format(kind=kind)


def too_large(limit: int) -> str:
    """A whole (non-streamed) completion over ``limit`` bytes."""
    return translate(
        "RemoteErrors",
        "The endpoint's answer is larger than {mb} MB: it is not a reply this app can take.",
    ).format(mb=limit // 1024**2)


def line_too_long(limit: int) -> str:
    """A stream line over ``limit`` bytes."""
    return translate(
        "RemoteErrors",
        "The endpoint sent a stream line longer than {mb} MB: it is not an OpenAI-compatible "
        "stream.",
    ).format(mb=limit // 1024**2)


CONTENT_FILTER = QT_TRANSLATE_NOOP(
    "RemoteErrors", "The endpoint's content filter stopped the reply: rephrase the question."
)


def failed(why: str) -> str:
    """Anything else that broke the reply (``why``: redacted already)."""
    return translate("RemoteErrors", "The reply failed: {why}").format(why=format.sentence(why))
