"""Whatever happens to a request (an exception of any type, a client that hangs up,
a huge history), the engine and the queue are freed and the server keeps answering."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import openai
import pytest

from app.core.events import ChatEvent
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import ThinkingControl
from app.core.tool_calls import AUTO, ToolChoice, ToolSpec
from app.engine.base import Generation
from app.engine.local_engine import LoadSettings, LocalEngine
from app.engine.model_info import ModelInfo
from tests.api.http import ask, hang_up_after, in_thread, post_json, send, serve
from tests.fixtures.models import QWQ_ANSWER, ScriptFactory

LOOP = ["Thinking about it", " again and again.\n"]


@pytest.fixture(scope="module")
def looping(scripted: ScriptFactory) -> Iterator[LocalEngine]:
    """A model that never stops on its own (until its 32k context is full)."""
    e = LocalEngine(scripted(LOOP, loop=True).path, LoadSettings(context_length=32768))
    yield e
    e.close()


def answers(server: Any, times: int = 1) -> None:
    for _ in range(times):
        reply = post_json(server, ask(), timeout=20)
        assert reply.status == 200, reply
        assert reply.json()["choices"][0]["message"]["content"] == QWQ_ANSWER


def test_a_lone_surrogate_is_refused_and_the_server_goes_on(engine: LocalEngine) -> None:
    server = serve(engine, max_queue=1)
    try:
        body = b'{"model": "qwq-32b", "messages": [{"role": "user", "content": "a \\ud800 b"}]}'
        for stream in (False, True):
            data = body[:-1] + (b', "stream": true}' if stream else b"}")
            reply = post_json(server, data, timeout=20)
            assert reply.status == 400, reply
            assert "Unicode" in reply.error["message"]
        answers(server, 3)  # more than the queue holds: nothing was left taken
    finally:
        server.stop()


@dataclass
class Failing:
    """A ChatEngine whose replies fail as a bug would: with any exception type, while
    the prompt is prepared ("boom") or in the middle of the reply ("late")."""

    engine: LocalEngine
    error: BaseException

    @property
    def info(self) -> ModelInfo:
        return self.engine.info

    def chat(
        self,
        messages: Sequence[ChatMessage],
        sampling: SamplingSettings,
        thinking: ThinkingControl | None = None,
        tools: Sequence[ToolSpec] = (),
        tool_choice: ToolChoice = AUTO,
    ) -> Generation:
        if "boom" in messages[-1].content:
            raise self.error
        generation = self.engine.chat(
            messages, sampling, thinking, tools=tools, tool_choice=tool_choice
        )
        if "late" in messages[-1].content:
            return Late(generation, self.error)
        return generation

    def close(self) -> None:
        pass


@dataclass
class Late:
    generation: Generation
    error: BaseException

    def __iter__(self) -> Iterator[ChatEvent]:
        events = iter(self.generation)
        yield next(events)
        raise self.error

    def cancel(self) -> None:
        self.generation.cancel()

    def close(self) -> None:
        self.generation.close()


@pytest.mark.parametrize(
    "error", [UnicodeEncodeError("utf-8", "x", 0, 1, "surrogate"), KeyError("x"), MemoryError()]
)
def test_any_exception_frees_the_queue_and_the_engine(
    engine: LocalEngine, error: BaseException
) -> None:
    server = serve(Failing(engine, error), max_queue=1)
    try:
        for content in ("boom", "late"):
            for stream in (False, True):
                reply = post_json(server, ask(content, stream=stream), timeout=20)
                if stream and content == "late":  # the headers were sent: the error follows
                    assert reply.status == 200
                    assert b'"error"' in reply.body and reply.body.endswith(b"data: [DONE]\n\n")
                else:
                    assert reply.status in (400, 500), reply
                    assert reply.error["message"]
                answers(server, 2)
    finally:
        server.stop()


def test_prompt_work_runs_off_the_event_loop_and_trimming_is_linear(engine: LocalEngine) -> None:
    server = serve(engine)
    try:
        history: list[dict[str, str]] = []
        for i in range(2000):
            history += [
                {"role": "user", "content": f"question {i}"},
                {"role": "assistant", "content": f"answer {i}"},
            ]
        history.append({"role": "user", "content": "the newest question"})
        body = {"model": "qwq-32b", "messages": history}
        started = time.monotonic()
        thread, out = in_thread(lambda: post_json(server, body, timeout=120))
        time.sleep(0.3)
        models_started = time.monotonic()
        assert send(server, "GET", "/v1/models", timeout=60).status == 200
        assert time.monotonic() - models_started < 3  # before: 26.7 s for 2,000 messages
        thread.join(120)
        assert time.monotonic() - started < 30  # 4,001 messages; before: 246 s
        reply = out[0]
        assert reply.status == 200, reply
        data = reply.json()
        assert data["choices"][0]["message"]["content"] == QWQ_ANSWER
        assert data["usage"]["prompt_tokens"] <= 4096 - 4096 // 8
        assert data["usage"]["prompt_tokens"] > 4096 // 2  # it kept what fits, not less
    finally:
        server.stop()


def test_a_stream_cut_off_frees_the_engine_for_the_next_queued_request(
    looping: LocalEngine,
) -> None:
    server = serve(looping, max_queue=4, loop_guard="off")  # endless by design
    try:
        with openai.OpenAI(base_url=server.url, api_key="x", max_retries=0, timeout=30) as c:
            for _ in range(3):
                first = c.chat.completions.create(
                    model="qwq-32b", messages=[{"role": "user", "content": "go"}], stream=True
                )
                chunks = iter(first)
                for _ in range(5):
                    next(chunks)  # it is generating
                thread, out = in_thread(
                    lambda: post_json(server, ask("again", max_tokens=8), timeout=30)
                )
                time.sleep(0.2)  # the second request waits in the queue
                first.close()  # the client goes away mid-stream
                thread.join(30)
                reply = out[0]
                assert reply.status == 200, reply  # before: 503, the engine still busy
                assert reply.json()["choices"][0]["finish_reason"] == "length"
    finally:
        server.stop()


def test_a_non_streaming_client_that_hangs_up_stops_its_reply(looping: LocalEngine) -> None:
    server = serve(looping, max_queue=4, loop_guard="off")  # endless by design
    try:
        hang_up_after(server, ask("go on forever"), 0.5)
        started = time.monotonic()
        reply = post_json(server, ask("again", max_tokens=8), timeout=60)
        assert reply.status == 200, reply
        assert time.monotonic() - started < 10  # before: it waited for the whole reply
        assert json.loads(reply.body)["usage"]["completion_tokens"] == 8
    finally:
        server.stop()


def test_the_loop_guard_answers_a_repeating_trace_and_reports_stop(
    scripted: ScriptFactory,
) -> None:
    model = scripted(
        ["Wait, let me recompute the sum of the two numbers once more from the start."],
        loop=True,
        after_blank_line=["The sum is 5."],
    )
    engine = LocalEngine(model.path, LoadSettings(context_length=32768))
    server = serve(engine)  # the loop guard is on by default
    try:
        reply = post_json(server, ask("What is 2+3?"))
        assert reply.status == 200, reply.body
        choice = json.loads(reply.body)["choices"][0]
        assert choice["message"]["content"] == "The sum is 5."
        assert choice["message"]["reasoning_content"].endswith("thinking directly now.")
        assert choice["finish_reason"] == "stop"
        with_stop = serve(engine, loop_guard="stop")
        try:
            reply = post_json(with_stop, ask("What is 2+3?"))
            # 'repetition' is ours; OpenAI clients know only 'stop'.
            assert json.loads(reply.body)["choices"][0]["finish_reason"] == "stop"
            assert json.loads(reply.body)["choices"][0]["message"]["content"] == ""
        finally:
            with_stop.stop()
    finally:
        server.stop()
        engine.close()


def test_a_thinking_budget_or_reasoning_effort_forces_the_answer(scripted: ScriptFactory) -> None:
    model = scripted(
        [f" idea {i}." for i in range(400)], loop=True, after_blank_line=["The sum is 5."]
    )
    engine = LocalEngine(model.path, LoadSettings(context_length=32768))
    server = serve(engine)
    try:
        # DashScope's field; the openai client sends it with extra_body={"thinking_budget": 50}
        reply = post_json(server, ask("What is 2+3?", thinking_budget=50)).json()
        message = reply["choices"][0]["message"]
        assert message["content"] == "The sum is 5."
        assert message["reasoning_content"].endswith("thinking directly now.")
        thought = reply["usage"]["completion_tokens_details"]["reasoning_tokens"]
        assert 50 < thought < 50 + 150  # the budget, then the wrap-up
        low = post_json(server, ask("What is 2+3?", reasoning_effort="low")).json()
        assert low["choices"][0]["message"]["content"] == "The sum is 5."
        assert low["usage"]["completion_tokens_details"]["reasoning_tokens"] > 1024
        for field, value in [
            ("thinking_budget", 0),
            ("thinking_budget", True),
            ("thinking_budget", 10**9),
            ("reasoning_effort", "extreme"),
            ("reasoning_effort", 3),
        ]:
            refused = post_json(server, ask("q", **{field: value}))
            assert refused.status == 400, (field, value)
            assert refused.json()["error"]["param"] == field
    finally:
        server.stop()
        engine.close()
