"""The local OpenAI-compatible server, driven by the official ``openai`` client, unchanged:
base_url and api_key only. The model behind it is a scripted GGUF on real llama.cpp."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from app.api.server import ApiServer, parse_message
from app.engine.local_engine import LoadSettings, LocalEngine
from tests.fixtures.models import QWQ_ANSWER, QWQ_REASONING, ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel

LOOP = ["Thinking about it", " again and again.\n"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def engine(qwq_model: ScriptedModel) -> Iterator[LocalEngine]:
    e = LocalEngine(qwq_model.path, LoadSettings(context_length=4096))
    yield e
    e.close()


def serve(engine: LocalEngine, **options: Any) -> ApiServer:
    server = ApiServer(lambda: engine, port=free_port(), **options)
    server.start()
    return server


@pytest.fixture
def server(engine: LocalEngine) -> Iterator[ApiServer]:
    s = serve(engine)
    yield s
    s.stop()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """A plain GET, as a browser or curl would send it."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as e:
        with e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def client(server: ApiServer, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key=key, max_retries=0, timeout=60)


def test_stream_reasoning_then_answer_with_usage(server: ApiServer, engine: LocalEngine) -> None:
    reasoning, answer, last = [], [], None
    with client(server) as c:
        stream = c.chat.completions.create(
            model="qwq-32b",
            messages=[{"role": "user", "content": "What is 2+2?"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        for chunk in stream:
            last = chunk
            if chunk.choices:
                delta = chunk.choices[0].delta
                reasoning.append((delta.model_extra or {}).get("reasoning_content") or "")
                answer.append(delta.content or "")
    assert "".join(reasoning) == QWQ_REASONING
    assert "".join(answer) == QWQ_ANSWER
    assert last is not None and last.choices == [] and last.usage is not None
    assert last.usage.completion_tokens > 0 and last.usage.prompt_tokens > 0
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens


def test_not_streaming_and_the_models_list(server: ApiServer, engine: LocalEngine) -> None:
    with client(server) as c:
        ids = [m.id for m in c.models.list()]
        assert ids == [engine.info.path.stem, "qwq-32b"]
        reply = c.chat.completions.create(
            model=engine.info.path.stem,
            messages=[{"role": "user", "content": "What is 2+2?"}],
            temperature=0.6,
            top_p=0.95,
            max_tokens=256,
            seed=7,
        )
        message = reply.choices[0].message
        assert message.content == QWQ_ANSWER
        assert (message.model_extra or {}).get("reasoning_content") == QWQ_REASONING
        assert reply.choices[0].finish_reason == "stop"
        assert reply.usage is not None and reply.usage.completion_tokens > 0
        with pytest.raises(openai.NotFoundError, match="does not exist"):
            c.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
        with pytest.raises(openai.BadRequestError, match="'n' must be 1"):
            c.chat.completions.create(
                model="qwq-32b", messages=[{"role": "user", "content": "x"}], n=2
            )
        with pytest.raises(openai.BadRequestError, match="functions are not supported"):
            c.chat.completions.create(
                model="qwq-32b",
                messages=[{"role": "user", "content": "x"}],
                functions=[{"name": "f", "parameters": {}}],
            )


def test_history_holds_answers_only() -> None:
    kept = parse_message({"role": "assistant", "content": "<think>secret</think>\n\nFour."}, 0)
    opened = parse_message({"role": "assistant", "content": "secret\n</think>\n\nFour."}, 0)
    assert kept.content == opened.content == "Four."


def test_an_api_key_is_required_when_set(engine: LocalEngine) -> None:
    server = serve(engine, api_key="s3cret")
    try:
        assert server.host == "127.0.0.1"  # loopback unless asked otherwise
        with client(server, "wrong") as c, pytest.raises(openai.AuthenticationError):
            c.models.list()
        status, _headers, body = get(f"{server.url}/models")
        assert status == 401 and json.loads(body)["error"]["code"] == "invalid_api_key"
        with client(server, "s3cret") as c:
            assert len(c.models.list().data) == 2
    finally:
        server.stop()


def test_no_cors_unless_configured(engine: LocalEngine) -> None:
    closed, open_ = serve(engine), serve(engine, cors_origins=("http://localhost:3000",))
    try:
        headers = {"Origin": "http://localhost:3000"}
        assert "access-control-allow-origin" not in get(f"{closed.url}/models", headers)[1]
        allowed = get(f"{open_.url}/models", headers)[1]
        assert allowed["access-control-allow-origin"] == "http://localhost:3000"
        evil = get(f"{open_.url}/models", {"Origin": "http://evil.example"})[1]
        assert "access-control-allow-origin" not in evil
    finally:
        closed.stop()
        open_.stop()


def test_one_at_a_time_a_full_queue_gets_429_and_a_disconnect_stops_the_generation(
    scripted: ScriptFactory,
) -> None:
    engine = LocalEngine(scripted(LOOP, loop=True).path, LoadSettings(context_length=4096))
    server = serve(engine, max_queue=0, loop_guard="off")  # endless by design
    try:
        c = client(server)
        first = c.chat.completions.create(
            model="qwq-32b", messages=[{"role": "user", "content": "go"}], stream=True
        )
        chunks = iter(first)
        for _ in range(5):
            next(chunks)  # it is generating
        with pytest.raises(openai.RateLimitError, match="one request at a time"):
            c.chat.completions.create(model="qwq-32b", messages=[{"role": "user", "content": "x"}])
        first.close()  # the client goes away mid-stream
        started = time.monotonic()
        second: list[str] = []

        def ask_again() -> None:
            reply = c.chat.completions.create(
                model="qwq-32b", messages=[{"role": "user", "content": "again"}], max_tokens=8
            )
            second.append(reply.choices[0].finish_reason)

        deadline = time.monotonic() + 10
        while not second and time.monotonic() < deadline:
            try:
                ask_again()
            except openai.RateLimitError:
                time.sleep(0.05)  # the cancelled generation is still unwinding
        assert second == ["length"]
        assert time.monotonic() - started < 5  # not after the looping reply ran its course
        c.close()
    finally:
        server.stop()
        engine.close()


def test_requests_queue_and_never_mix(engine: LocalEngine) -> None:
    server = serve(engine, max_queue=4)
    answers: list[str] = []
    try:

        def ask() -> None:
            with client(server) as c:
                reply = c.chat.completions.create(
                    model="qwq-32b", messages=[{"role": "user", "content": "What is 2+2?"}]
                )
                answers.append(reply.choices[0].message.content or "")

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert answers == [QWQ_ANSWER] * 4
    finally:
        server.stop()


def test_the_apis_clients_read_english_whatever_the_windows_language(
    server: ApiServer,
) -> None:
    """The window installs its language for the core's messages; the API server it runs
    still answers its clients in English (an error from the engine, on the turn's thread)."""
    from app.core import i18n

    i18n.install(lambda _context, text: "译:" + text)
    try:
        assert i18n.translate("LocalEngine", "The prompt") == "译:The prompt"  # the window's
        with client(server) as c, pytest.raises(openai.BadRequestError) as refused:
            c.chat.completions.create(
                model="qwq-32b", messages=[{"role": "user", "content": "word " * 5000}]
            )
        message = str(refused.value)
        assert "context holds 4,096" in message and "译" not in message
    finally:
        i18n.install(None)
