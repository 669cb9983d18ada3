"""The API as a service every web page the user opens can send requests to: only the
machine's own names, no foreign origins, JSON only, and bounded bodies."""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Iterator

import pytest

from app.api.guard import HostAllowList
from app.api.server import ApiServer
from app.core.errors import QwQError
from app.engine.local_engine import LocalEngine
from tests.api.http import CHAT, JSON, ask, free_port, post_json, send, serve
from tests.fixtures.models import QWQ_ANSWER


@pytest.fixture(scope="module")
def server(engine: LocalEngine) -> Iterator[ApiServer]:
    s = serve(engine, cors_origins=("http://localhost:3000",), allowed_hosts=("qwq.lan",))
    yield s
    s.stop()


def answer_of(reply_body: bytes) -> str:
    content: str = json.loads(reply_body)["choices"][0]["message"]["content"]
    return content


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.evil.example"])
def test_a_foreign_host_name_is_refused_dns_rebinding(server: ApiServer, host: str) -> None:
    for reply in (
        send(server, "GET", "/v1/models", host=host),
        post_json(server, ask(), host=host),
    ):
        assert reply.status == 403
        assert reply.error["code"] == "host_not_allowed"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "LOCALHOST.", "[::1]", "qwq.lan", "qwq.lan:9"]
)
def test_loopback_names_and_added_names_are_served(server: ApiServer, host: str) -> None:
    if ":" not in host.strip("[]") or host.startswith("["):
        host = f"{host}:{server.port}"
    reply = send(server, "GET", "/v1/models", host=host)
    assert reply.status == 200, reply
    assert [m["id"] for m in reply.json()["data"]][-1] == "qwq-32b"


def test_no_host_header_is_refused(server: ApiServer) -> None:
    assert send(server, "GET", "/v1/models", host="").status in (400, 403)


def test_a_page_from_an_origin_not_allowed_is_refused(server: ApiServer) -> None:
    evil = {"Origin": "http://evil.example"}
    assert send(server, "GET", "/v1/models", headers=evil).status == 403
    reply = post_json(server, ask(), headers=evil)
    assert reply.status == 403 and reply.error["code"] == "origin_not_allowed"
    preflight = send(
        server,
        "OPTIONS",
        CHAT,
        headers={**evil, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status == 403
    assert "access-control-allow-origin" not in preflight.headers
    allowed = post_json(server, ask(), headers={"Origin": "http://localhost:3000"})
    assert allowed.status == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert answer_of(allowed.body) == QWQ_ANSWER


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",  # a cross-site "simple request": browsers send it without asking
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        None,
    ],
)
def test_only_json_bodies_run_a_generation(server: ApiServer, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    reply = send(server, "POST", CHAT, json.dumps(ask()).encode(), headers)
    assert reply.status == 415
    assert reply.error["code"] == "unsupported_media_type"
    ok = send(
        server,
        "POST",
        CHAT,
        json.dumps(ask()).encode(),
        {"Content-Type": "application/json; charset=utf-8"},
    )
    assert ok.status == 200 and answer_of(ok.body) == QWQ_ANSWER


def test_a_body_over_the_limit_is_refused_while_it_is_read(server: ApiServer) -> None:
    big = json.dumps(ask("x" * (5 * 1024 * 1024))).encode()
    reply = post_json(server, big)
    assert reply.status == 413 and reply.error["code"] == "request_too_large"
    # Without a length announced (chunked): 200 MB is refused after the first 4 MB,
    # never held in memory.
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sent = [0]

    def pieces() -> Iterator[bytes]:
        yield b'{"model": "qwq-32b", "messages": [{"role": "user", "content": "'
        for _ in range(200 * 16):
            sent[0] += 65536
            yield b"a" * 65536

    started = time.monotonic()
    try:
        reply = send(server, "POST", CHAT, pieces(), JSON)
        assert reply.status == 413
    except OSError:
        pass  # the server closed the connection on a client still sending: also a refusal
    assert time.monotonic() - started < 20
    assert sent[0] < 100 * 1024 * 1024  # it stopped reading long before the end
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100
    assert post_json(server, ask()).status == 200


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # Python's parser recursion limit
        json.dumps({**ask(), "metadata": json.loads("[" * 40 + "]" * 40)}).encode(),
        b'{"model": "qwq-32b", "messages": [{"role": "user", "content": "x"}], "seed": NaN}',
        b"\xff\xfe not utf-8",
        b"",
    ],
)
def test_bodies_that_are_not_plain_json_get_400(server: ApiServer, body: bytes) -> None:
    reply = post_json(server, body)
    assert reply.status == 400, reply
    assert reply.error["type"] == "invalid_request_error"


def test_too_many_messages_get_400(server: ApiServer) -> None:
    messages = [{"role": "user", "content": "hi"}] * 10_001
    reply = post_json(server, {"model": "qwq-32b", "messages": messages})
    assert reply.status == 400 and "at most 10,000" in reply.error["message"]


def test_unknown_paths_and_methods_answer_openai_shaped_errors(server: ApiServer) -> None:
    assert send(server, "GET", "/v1/nothing").error["message"]
    assert send(server, "GET", CHAT).status == 405


def test_a_keyless_server_stays_on_loopback(engine: LocalEngine) -> None:
    with pytest.raises(QwQError, match="without an API key"):
        ApiServer(lambda: engine, host="0.0.0.0", port=free_port())
    ApiServer(lambda: engine, host="0.0.0.0", api_key="k")
    ApiServer(lambda: engine, host="0.0.0.0", allow_remote_without_key=True)


def test_a_non_ascii_api_key_works(engine: LocalEngine) -> None:
    key = "ключ-🔑"
    server = serve(engine, api_key=key)
    try:
        right = {"Authorization": f"Bearer {key}".encode()}
        assert send(server, "GET", "/v1/models", headers=right).status == 200
        wrong = {"Authorization": "Bearer ключ".encode()}
        reply = send(server, "GET", "/v1/models", headers=wrong)
        assert reply.status == 401 and reply.error["code"] == "invalid_api_key"
        assert send(server, "GET", "/v1/models").status == 401
    finally:
        server.stop()


def test_host_names_are_compared_without_port_case_or_brackets() -> None:
    hosts = HostAllowList("::1", ["Qwq.LAN"])
    assert hosts.allows("[::1]:8080") and hosts.allows("qwq.lan.") and hosts.allows("localhost")
    assert not hosts.allows("evil.example") and not hosts.allows(None)
    assert not hosts.allows("192.168.1.5:8080")  # an address, but not bound to every one
    everywhere = HostAllowList("0.0.0.0")
    assert everywhere.allows("192.168.1.5:8080") and everywhere.allows("[fe80::1]:80")
    assert not everywhere.allows("evil.example:8080")
