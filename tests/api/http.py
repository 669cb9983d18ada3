"""Raw HTTP to the API on loopback, as a browser, curl or an attacker sends it: any
Host, Origin, Content-Type or body, and connections cut on purpose."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from app.api.server import ApiServer
from app.engine.base import ChatEngine

CHAT = "/v1/chat/completions"
JSON = {"Content-Type": "application/json"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(engine: ChatEngine, **options: Any) -> ApiServer:
    server = ApiServer(lambda: engine, port=free_port(), **options)
    server.start()
    return server


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> dict[str, Any]:
        """The OpenAI-shaped error, checked to be one."""
        body = self.json()
        assert set(body) == {"error"}, body
        error: dict[str, Any] = body["error"]
        assert isinstance(error["message"], str) and error["message"], error
        assert isinstance(error["type"], str), error
        assert {"param", "code"} <= set(error), error
        return error


def send(
    server: ApiServer,
    method: str,
    path: str,
    body: bytes | Iterable[bytes] | None = None,
    headers: dict[str, str | bytes] | None = None,
    host: str | None = None,
    timeout: float = 30,
) -> Reply:
    """One request on a new connection; ``host`` replaces the Host header."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{server.port}")
        chunked = body is not None and not isinstance(body, bytes)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if isinstance(body, bytes):
            conn.putheader("Content-Length", str(len(body)))
        elif chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders(body if isinstance(body, bytes) else None, encode_chunked=chunked)
        if chunked:
            assert body is not None and not isinstance(body, bytes)
            for piece in body:
                conn.send(f"{len(piece):X}\r\n".encode() + piece + b"\r\n")
            conn.send(b"0\r\n\r\n")
        response = conn.getresponse()
        return Reply(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read(),
        )
    finally:
        conn.close()


def post_json(server: ApiServer, body: Any, **kwargs: Any) -> Reply:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return send(server, "POST", CHAT, data, {**JSON, **kwargs.pop("headers", {})}, **kwargs)


def ask(content: str = "What is 2+2?", **fields: Any) -> dict[str, Any]:
    return {"model": "qwq-32b", "messages": [{"role": "user", "content": content}], **fields}


def hang_up_after(server: ApiServer, body: dict[str, Any], seconds: float) -> None:
    """Send a request, then hang up after ``seconds`` without reading the reply."""
    data = json.dumps(body).encode()
    sock = socket.create_connection(("127.0.0.1", server.port))
    head = (
        f"POST {CHAT} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    sock.sendall(head.encode() + data)
    time.sleep(seconds)
    sock.close()


def in_thread(work: Any) -> tuple[threading.Thread, list[Any]]:
    """Run ``work()`` on a thread; its result or exception lands in the list."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(work())
        except BaseException as e:
            out.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out
