"""The OpenAI wire format's two halves agree: what the local API server writes for our
events, stats and finish reason, the remote engine reads back to the same. Checked on the
pure functions both ways, and end to end: the remote engine talking to our own server
(real HTTP on loopback) over the scripted QwQ model on real llama.cpp."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, get_args

import pytest

from app.api.chat_request import parse_request
from app.api.limits import ApiLimits
from app.api.server import ApiServer, model_id
from app.core.events import (
    AnswerDelta,
    ChatEvent,
    FinishReason,
    GenerationDone,
    GenerationStats,
    ReasoningDelta,
)
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.tool_calls import ToolCall
from app.engine import openai_wire as wire
from app.engine.local_engine import LoadSettings, LocalEngine
from app.engine.remote_engine import RemoteEngine
from tests.api.http import free_port
from tests.fixtures.models import QWQ_ANSWER, QWQ_REASONING
from tests.fixtures.scripted_model import ScriptedModel

STATS = GenerationStats(
    prompt_tokens=120,
    prompt_tokens_cached=100,
    generated_tokens=40,
    reasoning_tokens=30,
)


def _done(reason: FinishReason) -> GenerationDone:
    return GenerationDone(reason, STATS, "Hmm.", "Four.", reasoning_finished=True)


@pytest.mark.parametrize(
    "sampling",
    [
        SamplingSettings(),
        SamplingSettings(0.2, 0.8, 20, 0.05, 1.1, 0.5, -0.5, max_tokens=100, seed=7),
    ],
)
def test_the_request_the_remote_engine_writes_is_the_one_our_server_reads(
    sampling: SamplingSettings,
) -> None:
    messages = [
        ChatMessage("system", "Be brief."),
        ChatMessage("user", "What is 2+2?"),
        ChatMessage("assistant", "4"),
        ChatMessage("user", "And 3+3?"),
    ]
    body = wire.request_body("qwq-32b", messages, sampling)
    read = parse_request(body, ("qwq-32b",), 32_768, ApiLimits())
    assert (read.messages, read.sampling, read.model) == (messages, sampling, "qwq-32b")
    assert read.stream and read.include_usage


def test_usage_reads_back_to_the_stats_it_was_written_from() -> None:
    read = wire.read_usage(wire.usage(STATS))
    assert read == wire.Usage(
        prompt_tokens=120, cached_tokens=100, completion_tokens=40, reasoning_tokens=30
    )
    assert wire.read_usage({"prompt_tokens": True, "completion_tokens": "3"}) == wire.Usage()


def test_finish_reasons_go_out_as_openai_has_them_and_come_back() -> None:
    for reason in get_args(FinishReason):
        sent = wire.finish_reason(_done(reason))
        assert sent in ("stop", "length", "tool_calls")
        assert wire.our_finish_reason(sent) == (reason if reason == "length" else "stop")
    assert wire.our_finish_reason(wire.CONTENT_FILTER) == "error"
    assert wire.our_finish_reason(None) == "stop"


def test_a_written_chunk_reads_back_to_its_delta() -> None:
    events: list[ReasoningDelta | AnswerDelta] = [ReasoningDelta("Hmm, "), AnswerDelta("Four.")]
    read = [wire.read_chunk(wire.chunk("id", 0, "m", wire.delta(e))) for e in events]
    assert [(c.reasoning, c.content) for c in read] == [("Hmm, ", ""), ("", "Four.")]
    last = wire.read_chunk(wire.chunk("id", 0, "m", {}, wire.finish_reason(_done("length"))))
    assert last.finish_reason == "length" and not (last.reasoning or last.content)
    usage = wire.read_chunk(wire.usage_chunk("id", 0, "m", STATS))
    assert usage.usage == wire.read_usage(wire.usage(STATS))
    error = wire.read_chunk(wire.error_chunk("The model failed."))
    assert error.error == "The model failed."


def test_a_whole_completion_reads_back_like_its_stream() -> None:
    read = wire.read_chunk(wire.completion("id", 0, "m", _done("stop")))
    assert (read.reasoning, read.content, read.finish_reason) == ("Hmm.", "Four.", "stop")
    assert read.usage == wire.read_usage(wire.usage(STATS))


def test_tool_calls_go_out_as_openai_sends_them() -> None:
    """Checked against the official client's own types, which every OpenAI client's
    tool flow reads; the arguments are a JSON string of the object, non-ASCII kept."""
    from openai.types.chat import ChatCompletion, ChatCompletionChunk

    calls = [
        ToolCall("call_ab_1", "calculator", {"expression": "2**10"}),
        ToolCall("call_ab_2", "search_conversations", {"query": "café"}),
    ]
    done = GenerationDone(
        "tool_calls", STATS, "Hmm.", "", reasoning_finished=True, tool_calls=tuple(calls)
    )
    whole = ChatCompletion.model_validate(wire.completion("id", 0, "m", done, tool_calls=calls))
    message = whole.choices[0].message
    assert whole.choices[0].finish_reason == "tool_calls"
    assert message.content is None  # only calls: null content, as OpenAI
    assert message.tool_calls is not None
    assert [(t.id, t.type, t.function.name) for t in message.tool_calls] == [
        ("call_ab_1", "function", "calculator"),
        ("call_ab_2", "function", "search_conversations"),
    ]
    assert message.tool_calls[1].function.arguments == '{"query": "café"}'
    with_text = wire.completion("id", 0, "m", done, content="Let me see.", tool_calls=calls[:1])
    assert with_text["choices"][0]["message"]["content"] == "Let me see."

    for index, call in enumerate(calls):
        chunk = ChatCompletionChunk.model_validate(
            wire.chunk("id", 0, "m", wire.tool_call_delta(call, index))
        )
        (part,) = chunk.choices[0].delta.tool_calls or []
        assert (part.index, part.id, part.type) == (index, call.id, "function")
        assert part.function is not None and part.function.name == call.name
        assert json.loads(part.function.arguments or "") == call.arguments


def _read_stream(text: str, cut: int) -> list[Any]:
    """The data of each event in ``text``, read from chunks of ``cut`` bytes."""
    raw = text.encode()
    chunks = iter([raw[i : i + cut] for i in range(0, len(raw), cut)])
    fields = [wire.sse_field(line) for line in wire.sse_lines(chunks, 1024)]
    return [wire.json_or_text(value) for name, value in fields if name == "data"]


@pytest.mark.parametrize("cut", [1, 2, 7, 1000])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_written_stream_reads_back_event_by_event_however_it_is_cut(
    cut: int, newline: str
) -> None:
    sent: list[Any] = [
        wire.chunk("id", 0, "m", wire.delta(ReasoningDelta("Hmm, ünïcode"))),
        wire.chunk("id", 0, "m", {}, "stop"),
        wire.DONE,
    ]
    text = "".join(wire.sse(data, ensure_ascii=False) for data in sent).replace("\n", newline)
    assert _read_stream(": ping" + newline + text, cut) == sent


def test_a_stream_line_over_the_limit_is_refused() -> None:
    with pytest.raises(wire.LineTooLong):
        list(wire.sse_lines(iter([b"data: " + b"x" * 2000]), 1024))


def test_vllms_newer_reasoning_field_is_read_too() -> None:
    raw = {"choices": [{"delta": {"reasoning": "Hmm."}, "finish_reason": None}]}
    assert wire.read_chunk(raw).reasoning == "Hmm."


def test_the_server_message_is_found_in_the_usual_error_bodies() -> None:
    assert wire.server_message({"error": {"message": "bad model"}}) == "bad model"
    assert wire.server_message({"detail": [{"msg": "field required"}]}) == "field required"
    assert wire.server_message({"error": "  plain  "}) == "plain"
    assert wire.server_message([]) == ""
    assert wire.server_message("text") == ""


# -- end to end: our server, read by our remote engine -----------------------------------------


@pytest.fixture
def local(qwq_model: ScriptedModel) -> Iterator[LocalEngine]:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=4096))
    yield engine
    engine.close()


def _text(events: list[ChatEvent]) -> tuple[str, str]:
    reasoning = "".join(e.text for e in events if isinstance(e, ReasoningDelta))
    answer = "".join(e.text for e in events if isinstance(e, AnswerDelta))
    return reasoning, answer


@pytest.mark.parametrize("max_tokens", [None, 5])
def test_the_remote_engine_reads_our_server_back_to_the_local_engines_events(
    local: LocalEngine, max_tokens: int | None
) -> None:
    messages = [ChatMessage("user", "What is 2+2?")]
    sampling = SamplingSettings(max_tokens=max_tokens)
    direct = list(local.chat(messages, sampling))
    server = ApiServer(lambda: local, port=free_port())
    server.start()
    remote = RemoteEngine(server.url, model_id(local))
    try:
        relayed = list(remote.chat(messages, sampling))
    finally:
        remote.close()
        server.stop()
    want, got = direct[-1], relayed[-1]
    assert isinstance(want, GenerationDone) and isinstance(got, GenerationDone)
    assert _text(relayed) == _text(direct) == (got.reasoning, got.answer)
    assert (got.reasoning, got.answer) == (want.reasoning, want.answer)
    if max_tokens is None:
        assert (got.reasoning, got.answer) == (QWQ_REASONING, QWQ_ANSWER)
    assert got.finish_reason == want.finish_reason
    if want.answer:  # the wire has no mark for a trace closed before any answer came
        assert got.reasoning_finished == want.reasoning_finished
    for name in ("prompt_tokens", "generated_tokens", "reasoning_tokens"):
        assert getattr(got.stats, name) == getattr(want.stats, name), name
