"""Who may talk to the API, checked before any route runs.

- **Host allow-list** (DNS rebinding): a page on ``evil.example`` whose name is made to
  resolve to 127.0.0.1 reaches the server with ``Host: evil.example``; only loopback
  names, the bound address and names the user adds are served. When bound to every
  address (``0.0.0.0``/``::``), a client names the machine by one of its addresses, so
  any IP literal is served too: an address cannot be rebound.
- **Origin**: a browser says which page sent a request; unless that origin was allowed
  for CORS, the request is refused (403), whatever its method or content type.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import ApiError

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_ADDRESSES = ("0.0.0.0", "::", "")


def host_name(header: str) -> str:
    """``Host`` without its port, lower case, brackets and a trailing dot removed."""
    header = header.strip().lower()
    if header.startswith("["):
        name = header[1 : header.find("]")] if "]" in header else header[1:]
    elif header.count(":") > 1:  # a bare IPv6 address (a bound address, not a header)
        name = header
    else:
        name, _, port = header.rpartition(":")
        if not name or not port.isdigit():
            name = header
    return name.rstrip(".")


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostAllowList:
    def __init__(self, bound: str, extra: Iterable[str] = ()) -> None:
        self.names = {*LOOPBACK_NAMES, host_name(bound)}
        self.names.update(host_name(n) for n in extra if n.strip())
        self.any_address = bound.strip() in WILDCARD_ADDRESSES

    def allows(self, header: str | None) -> bool:
        if not header:
            return False
        name = host_name(header)
        return name in self.names or (self.any_address and _is_ip(name))


class Guard:
    """ASGI middleware: refuse a request from a name or an origin not allowed."""

    def __init__(self, app: ASGIApp, hosts: HostAllowList, origins: Iterable[str]) -> None:
        self.app = app
        self.hosts = hosts
        self.origins = frozenset(o.rstrip("/") for o in origins)

    def allows_origin(self, origin: str | None) -> bool:
        """No Origin: not a browser's cross-site request. "*" allows every origin."""
        return origin is None or origin.rstrip("/") in self.origins or "*" in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        error = None
        if not self.hosts.allows(headers.get("host")):
            error = ApiError(
                403,
                "This server only answers requests addressed to its own name (the Host "
                "header); add the name to the allowed hosts to use it.",
                "invalid_request_error",
                "host_not_allowed",
            )
        elif not self.allows_origin(headers.get("origin")):
            error = ApiError(
                403,
                "Requests from web pages are refused unless their origin is allowed (CORS).",
                "invalid_request_error",
                "origin_not_allowed",
            )
        if error is None:
            await self.app(scope, receive, send)
        else:
            await error.response()(scope, receive, send)
