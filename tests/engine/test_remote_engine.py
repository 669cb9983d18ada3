"""RemoteEngine through its real HTTP client (httpx2) against a local OpenAI-compatible upstream."""

from __future__ import annotations

import json
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterable, Iterator
from typing import Any, Literal

import pytest

from app.core.errors import InvalidRequestError
from app.core.events import AnswerDelta, ChatEvent, GenerationDone, ReasoningDelta
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine.base import ChatEngine
from app.engine.remote_engine import (
    RemoteEngine,
    RemoteGeneration,
    normalize_base_url,
)
from app.engine.remote_presets import CUSTOM, DASHSCOPE, LLAMA_SERVER, PRESETS, VLLM, preset
from tests.fixtures.fake_upstream import (  # noqa: F401  (fixture)
    ANSWER,
    ANSWER_PIECES,
    REASONING,
    REASONING_PIECES,
    FakeUpstream,
    fake_upstream,
)

KEY = "sk-good"
EXPECTED: list[ChatEvent] = [
    *(ReasoningDelta(p) for p in REASONING_PIECES),
    *(AnswerDelta(p) for p in ANSWER_PIECES),
]


@pytest.fixture
def upstream(fake_upstream: FakeUpstream) -> FakeUpstream:  # noqa: F811
    return fake_upstream


@pytest.fixture
def engines(upstream: FakeUpstream) -> Iterator[list[RemoteEngine]]:
    made: list[RemoteEngine] = []
    yield made
    for engine in made:
        engine.close()


@pytest.fixture
def make(upstream: FakeUpstream, engines: list[RemoteEngine]) -> Any:
    def make_engine(**options: Any) -> RemoteEngine:
        options.setdefault("api_key", KEY)
        base_url = options.pop("base_url", upstream.url)
        engine = RemoteEngine(base_url, options.pop("model", "qwq-32b"), **options)
        engines.append(engine)
        return engine

    return make_engine


def ask(engine: RemoteEngine, prompt: str = "What is 2+2?", **sampling: Any) -> RemoteGeneration:
    return engine.chat([ChatMessage.user(prompt)], SamplingSettings(**sampling))


def run(generation: Iterable[ChatEvent]) -> tuple[list[ChatEvent], GenerationDone]:
    events = list(generation)
    done = events[-1]
    assert isinstance(done, GenerationDone)
    assert not any(isinstance(e, GenerationDone) for e in events[:-1])
    return events[:-1], done


def coalesced(events: Iterable[ChatEvent]) -> list[ChatEvent]:
    """Adjacent deltas of one kind joined: the stream as a reader sees it."""
    out: list[ChatEvent] = []
    for e in events:
        if isinstance(e, ReasoningDelta | AnswerDelta) and out and type(out[-1]) is type(e):
            out[-1] = type(e)(out[-1].text + e.text)
        else:
            out.append(e)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# -- reasoning, however it arrives -------------------------------------------------------------


@pytest.mark.parametrize("style", ["reasoning_content", "reasoning", "think", "legacy"])
def test_every_reasoning_style_gives_the_same_events(
    upstream: FakeUpstream, make: Any, style: Any
) -> None:
    upstream.style = style
    events, done = run(ask(make()))
    assert events == EXPECTED
    assert done.finish_reason == "stop"
    assert done.error is None
    assert (done.reasoning, done.answer) == (REASONING, ANSWER)
    assert done.reasoning_finished


def test_content_that_starts_inside_the_reasoning_is_found_out_then_streams_live(
    upstream: FakeUpstream, make: Any
) -> None:
    upstream.style = "think-open"  # QwQ's template opened <think>; the server has no parser
    engine = make()
    before = engine.starts_in_reasoning
    events, done = run(ask(engine))
    assert before is None
    # Held back until </think> showed it was reasoning, so it comes in one piece.
    assert coalesced(events) == coalesced(EXPECTED)
    assert (done.reasoning, done.answer, done.reasoning_finished) == (REASONING, ANSWER, True)
    assert engine.starts_in_reasoning is True
    events, done = run(ask(engine))  # now known: live, piece by piece
    assert events == EXPECTED


def test_held_back_content_cut_short_counts_as_unfinished_reasoning(
    upstream: FakeUpstream, make: Any
) -> None:
    upstream.style, upstream.stall_after = "think-open", 2
    engine = make()
    generation = ask(engine)
    cancelled_at: list[float] = []
    thread = cancel_later(generation, 0.2, cancelled_at)
    events, done = run(generation)
    thread.join()
    assert events == [ReasoningDelta("".join(REASONING_PIECES[:2]))]
    assert (done.finish_reason, done.answer, done.reasoning_finished) == ("cancelled", "", False)
    assert engine.starts_in_reasoning is None  # nothing learned from a cut reply


def test_starts_in_reasoning_set_up_front_streams_the_first_reply_live(
    upstream: FakeUpstream, make: Any
) -> None:
    upstream.style = "think-open"
    events, done = run(ask(make(starts_in_reasoning=True)))
    assert events == EXPECTED
    assert done.reasoning_finished


def test_a_model_that_does_not_reason_gives_an_answer_only(
    upstream: FakeUpstream, make: Any
) -> None:
    upstream.style = "plain"
    engine = make()
    events, done = run(ask(engine))
    assert coalesced(events) == [AnswerDelta(ANSWER)]
    assert (done.reasoning, done.answer, done.reasoning_finished) == ("", ANSWER, False)
    assert engine.starts_in_reasoning is False  # learned: later replies stream live
    events, _ = run(ask(engine))
    assert events == [AnswerDelta(p) for p in ANSWER_PIECES]


def test_a_trace_cut_by_the_token_limit_stays_unfinished(upstream: FakeUpstream, make: Any) -> None:
    upstream.style, upstream.unfinished, upstream.finish_reason = "think-open", True, "length"
    events, done = run(ask(make(starts_in_reasoning=True), max_tokens=4))
    assert events == [ReasoningDelta(p) for p in REASONING_PIECES]
    assert (done.finish_reason, done.reasoning, done.answer) == ("length", REASONING, "")
    assert not done.reasoning_finished
    assert upstream.last_body["max_tokens"] == 4


def test_a_server_that_ignores_stream_still_gives_the_reply(
    upstream: FakeUpstream, make: Any
) -> None:
    upstream.non_streaming = True
    events, done = run(ask(make()))
    assert coalesced(events) == coalesced(EXPECTED)
    assert (done.finish_reason, done.reasoning, done.answer) == ("stop", REASONING, ANSWER)
    assert done.stats.prompt_tokens == 21


# -- the request ---------------------------------------------------------------------------------


def test_history_sends_answers_only(upstream: FakeUpstream, make: Any) -> None:
    messages = [
        ChatMessage.system("Be brief."),
        ChatMessage.user("What is 2+2?"),
        ChatMessage.assistant("4.", reasoning="SECRET-TRACE adding two and two"),
        ChatMessage.user("And 3+3?"),
    ]
    run(make().chat(messages, SamplingSettings()))
    request = upstream.requests[-1]
    assert request.body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4."},
        {"role": "user", "content": "And 3+3?"},
    ]
    assert b"SECRET-TRACE" not in request.raw
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.body["model"] == "qwq-32b"
    assert request.path == "/v1/chat/completions"


def test_sampling_is_mapped_to_openai_fields_and_server_extensions(
    upstream: FakeUpstream, make: Any
) -> None:
    sampling = SamplingSettings(
        temperature=0.7,
        top_p=0.9,
        top_k=30,
        min_p=0.05,
        repeat_penalty=1.1,
        presence_penalty=0.5,
        frequency_penalty=0.25,
        max_tokens=100,
        seed=42,
    )
    run(make().chat([ChatMessage.user("hi")], sampling))
    body = upstream.last_body
    expected = {
        "temperature": 0.7,
        "top_p": 0.9,
        "presence_penalty": 0.5,
        "frequency_penalty": 0.25,
        "max_tokens": 100,
        "seed": 42,
        "top_k": 30,
        "min_p": 0.05,
        "repetition_penalty": 1.1,  # vLLM, DashScope
        "repeat_penalty": 1.1,  # llama-server
    }
    assert {k: body[k] for k in expected} == expected


def test_defaults_leave_out_what_is_unset(upstream: FakeUpstream, make: Any) -> None:
    run(ask(make(), top_k=0))
    body = upstream.last_body
    assert "max_tokens" not in body
    assert "seed" not in body
    assert "top_k" not in body  # off: the server's own default
    assert body["min_p"] == 0.0  # always: llama-server would apply 0.05


def test_strict_endpoints_get_openai_fields_only(upstream: FakeUpstream, make: Any) -> None:
    run(ask(make(extra_sampling=False)))
    body = upstream.last_body
    for name in ("top_k", "min_p", "repetition_penalty", "repeat_penalty"):
        assert name not in body
    assert body["temperature"] == 0.6


def test_api_key_goes_in_the_authorization_header(upstream: FakeUpstream, make: Any) -> None:
    run(ask(make(api_key=f"  {KEY}\n")))  # pasted with whitespace
    assert upstream.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    upstream.api_key = None
    run(ask(make(api_key=None)))
    assert "authorization" not in upstream.requests[-1].headers


def test_a_preset_sets_up_the_engine(upstream: FakeUpstream, make: Any, engines: Any) -> None:
    engine = RemoteEngine.from_preset(LLAMA_SERVER, KEY, base_url=upstream.url + "/")
    engines.append(engine)
    run(ask(engine))
    assert upstream.last_body["reasoning_format"] == "deepseek"
    assert engine.info.backend == "llama-server"
    assert engine.base_url == upstream.url


def test_chat_checks_the_request(make: Any) -> None:
    engine = make()
    with pytest.raises(InvalidRequestError):
        engine.chat([], SamplingSettings())
    with pytest.raises(InvalidRequestError):
        engine.chat([ChatMessage.user("hi"), ChatMessage.assistant("hello")], SamplingSettings())
    with pytest.raises(InvalidRequestError):
        engine.chat([ChatMessage.user("   ")], SamplingSettings())


# -- stats -----------------------------------------------------------------------------------------


def test_stats_come_from_the_usage_chunk(upstream: FakeUpstream, make: Any) -> None:
    upstream.chunk_delay = 0.01
    _, done = run(ask(make()))
    s = done.stats
    assert (s.prompt_tokens, s.prompt_tokens_cached) == (21, 5)
    assert (s.generated_tokens, s.reasoning_tokens) == (12, 8)
    assert 0 < s.time_to_first_token_s == s.prompt_seconds
    assert 0 < s.thinking_seconds < s.generation_seconds
    assert s.tokens_per_second == pytest.approx(11 / s.generation_seconds)


def test_stats_without_usage_count_the_chunks(upstream: FakeUpstream, make: Any) -> None:
    upstream.usage = None
    upstream.style = "think"
    upstream.chunk_delay = 0.01
    _, done = run(ask(make()))
    s = done.stats
    assert s.prompt_tokens == 0
    assert s.generated_tokens == len(upstream.deltas())
    assert s.reasoning_tokens == len(REASONING_PIECES)
    assert s.tokens_per_second > 0


# -- stop -------------------------------------------------------------------------------------------


def cancel_later(generation: RemoteGeneration, delay: float, at: list[float]) -> threading.Thread:
    def fire() -> None:
        time.sleep(delay)
        at.append(time.perf_counter())
        generation.cancel()

    thread = threading.Thread(target=fire)
    thread.start()
    return thread


def test_cancel_cuts_a_stalled_stream_at_once_and_keeps_the_text(
    upstream: FakeUpstream, make: Any
) -> None:
    upstream.stall_after = 4  # the reasoning and the first answer piece, then silence
    generation = ask(make())
    events: list[ChatEvent] = []
    cancelled_at: list[float] = []
    thread: threading.Thread | None = None
    for event in generation:
        events.append(event)
        if len(events) == 4:
            thread = cancel_later(generation, 0.2, cancelled_at)  # while the read blocks
    done_at = time.perf_counter()
    assert thread is not None
    thread.join()
    done = events[-1]
    assert isinstance(done, GenerationDone)
    assert done.finish_reason == "cancelled"
    assert done.error is None
    assert (done.reasoning, done.answer) == (REASONING, ANSWER_PIECES[0])
    assert done_at - cancelled_at[0] < 0.1


def test_cancel_while_waiting_for_the_headers(upstream: FakeUpstream, make: Any) -> None:
    upstream.header_delay = 30  # a long prompt, a queue
    generation = ask(make())
    cancelled_at: list[float] = []
    thread = cancel_later(generation, 0.2, cancelled_at)
    events, done = run(generation)
    done_at = time.perf_counter()
    thread.join()
    assert (events, done.finish_reason, done.error) == ([], "cancelled", None)
    assert done_at - cancelled_at[0] < 0.1


def test_cancel_before_iterating_sends_nothing(upstream: FakeUpstream, make: Any) -> None:
    generation = ask(make())
    generation.cancel()
    events, done = run(generation)
    assert (events, done.finish_reason) == ([], "cancelled")
    assert upstream.requests == []


def test_closing_the_engine_stops_its_replies(upstream: FakeUpstream, make: Any) -> None:
    upstream.stall_after = 1
    engine = make()
    generation = ask(engine)
    assert next(generation) == ReasoningDelta(REASONING_PIECES[0])
    closer = threading.Timer(0.1, engine.close)
    closer.start()
    _, done = run(generation)
    closer.join()
    assert done.finish_reason == "cancelled"
    assert done.reasoning == REASONING_PIECES[0]
    with pytest.raises(RuntimeError):
        ask(engine)


def test_an_abandoned_generation_closes_its_connection(upstream: FakeUpstream, make: Any) -> None:
    upstream.stall_after = 2
    generation = ask(make())
    assert next(generation) == ReasoningDelta(REASONING_PIECES[0])
    generation.close()  # filterwarnings=error: an unclosed socket would fail the test
    assert list(generation) == []


# -- errors: one clear sentence, the text so far kept ----------------------------------------------


@pytest.mark.parametrize(
    ("setup", "options", "message"),
    [
        (
            {},
            {"api_key": "sk-wrong"},
            "The endpoint refused the API key (401): check the key set for 127.0.0.1.",
        ),
        (
            {},
            {"api_key": None},
            "The endpoint needs an API key (401): set one for 127.0.0.1.",
        ),
        (
            {"status": 429, "retry_after": "7"},
            {},
            "The endpoint is rate-limiting requests (429): try again in 7 seconds.",
        ),
        (
            {"status": 429},
            {},
            "The endpoint is rate-limiting requests (429): try again later.",
        ),
        (
            {"status": 500},
            {},
            "The endpoint failed with a server error (500): try again later.",
        ),
        (
            {"status": 503, "retry_after": "120"},
            {},
            "The endpoint is unavailable right now (503): try again in 2 minutes.",
        ),
        (
            {"status": 400, "error_message": "The prompt is 40000 tokens; the limit is 32768"},
            {},
            "The endpoint rejected the request (400): "
            "The prompt is 40000 tokens; the limit is 32768.",
        ),
        (
            {"status": 403},
            {},
            "The endpoint refused access to 'qwq-32b' (403): check that the API key may use "
            "this model.",
        ),
    ],
)
def test_http_errors_end_the_reply_with_a_clear_message(
    upstream: FakeUpstream,
    make: Any,
    setup: dict[str, Any],
    options: dict[str, Any],
    message: str,
) -> None:
    for name, value in setup.items():
        setattr(upstream, name, value)
    events, done = run(ask(make(**options)))
    assert events == []
    assert (done.finish_reason, done.error) == ("error", message)
    assert (done.reasoning, done.answer) == ("", "")


def test_a_wrong_base_url_says_so(upstream: FakeUpstream, make: Any) -> None:
    base = upstream.url.removesuffix("/v1")
    _, done = run(ask(make(base_url=base)))
    assert done.error == (
        f"The endpoint has no model 'qwq-32b' or no chat completions at {base} (404): "
        "check the base URL and the model name."
    )


@pytest.mark.parametrize(
    ("fault", "reasoning", "answer", "message"),
    [
        (
            {"drop_after": 2},
            "".join(REASONING_PIECES[:2]),
            "",
            "The connection to {host} dropped before the reply finished: try again.",
        ),
        (
            {"garbage_after": 4},
            REASONING,
            ANSWER_PIECES[0],
            "The endpoint sent a garbled stream chunk (not JSON: "
            '\'{"choices": [{"delta": {"content": "x"}} <html>oops\'): check that {url} is '
            "an OpenAI-compatible API.",
        ),
        (
            {"error_after": 3},
            REASONING,
            "",
            "The endpoint reported an error during the reply: The model crashed mid-reply.",
        ),
        (
            {"error_after": 3, "error_field": True},
            REASONING,
            "",
            "The endpoint reported an error during the reply: The model crashed mid-reply.",
        ),
    ],
)
def test_a_stream_that_breaks_keeps_what_came(
    upstream: FakeUpstream,
    make: Any,
    fault: dict[str, Any],
    reasoning: str,
    answer: str,
    message: str,
) -> None:
    for name, value in fault.items():
        setattr(upstream, name, value)
    events, done = run(ask(make()))
    host = upstream.url.split("//")[1].split("/")[0]
    assert done.finish_reason == "error"
    assert done.error == message.replace("{host}", host).replace("{url}", upstream.url)
    assert (done.reasoning, done.answer) == (reasoning, answer)
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == reasoning


def test_a_dropped_think_stream_keeps_the_unfinished_trace(
    upstream: FakeUpstream, make: Any
) -> None:
    upstream.style, upstream.drop_after = "think", 3
    _, done = run(ask(make()))
    assert done.finish_reason == "error"
    assert done.error is not None and "dropped before the reply finished" in done.error
    assert (done.reasoning, done.answer) == ("".join(REASONING_PIECES[:2]), "")
    assert not done.reasoning_finished


def test_a_silent_endpoint_times_out(upstream: FakeUpstream, make: Any) -> None:
    upstream.stall_after = 2
    _, done = run(ask(make(timeout=0.3)))
    assert done.finish_reason == "error"
    assert (
        done.error == "The endpoint sent nothing for 0.3 seconds: it may be overloaded; try again."
    )
    assert done.reasoning == "".join(REASONING_PIECES[:2])


def test_a_refused_connection(make: Any) -> None:
    port = free_port()
    _, done = run(ask(make(base_url=f"http://127.0.0.1:{port}/v1")))
    assert done.finish_reason == "error"
    assert done.error == (
        f"Could not connect to 127.0.0.1:{port} (connection refused): check that the server "
        "is running and the URL is right."
    )


def test_a_content_filter_stop_is_an_error(upstream: FakeUpstream, make: Any) -> None:
    upstream.finish_reason = "content_filter"
    _, done = run(ask(make()))
    assert done.finish_reason == "error"
    assert done.error == "The endpoint's content filter stopped the reply: rephrase the question."
    assert done.answer == ANSWER


# -- small parts -----------------------------------------------------------------------------------


def test_base_urls_are_normalized() -> None:
    assert normalize_base_url(" http://localhost:8000/v1/ ") == "http://localhost:8000/v1"
    assert normalize_base_url("http://h/v1/chat/completions") == "http://h/v1"
    with pytest.raises(InvalidRequestError):
        normalize_base_url("localhost:8000/v1")
    with pytest.raises(InvalidRequestError):
        RemoteEngine("http://localhost:8000/v1", " ")


def test_model_info_of_a_remote_engine(engines: list[RemoteEngine]) -> None:
    engine = RemoteEngine.from_preset(DASHSCOPE, "sk-x")
    engines.append(engine)
    info = engine.info
    assert info.backend == "DashScope"
    assert info.name == "qwq-32b"
    assert info.path.stem == "qwq-32b"
    assert str(info.path) == "dashscope.aliyuncs.com/compatible-mode/v1/qwq-32b"
    assert info.context_length == 131_072
    assert info.gpu_layers == 0
    assert "https://dashscope.aliyuncs.com/compatible-mode/v1" in info.load_note


def test_presets() -> None:
    assert [p.id for p in PRESETS] == ["dashscope", "vllm", "llama-server", "custom"]
    assert DASHSCOPE.needs_api_key
    assert DASHSCOPE.api_key_env == "DASHSCOPE_API_KEY"
    assert VLLM.base_url == "http://localhost:8000/v1"
    assert LLAMA_SERVER.base_url == "http://localhost:8080/v1"
    assert dict(LLAMA_SERVER.extra_body) == {"reasoning_format": "deepseek"}
    # How each continues a reply (Answer now, budgets, Continue, Steer: issue 12).
    assert (LLAMA_SERVER.continue_style, VLLM.continue_style) == (
        "prefill",
        "continue_final_message",
    )
    assert DASHSCOPE.continue_style is None and "partial mode" in DASHSCOPE.cannot_continue
    assert CUSTOM.continue_style is None and CUSTOM.cannot_continue
    assert preset("vllm") is VLLM
    assert preset("gone") is CUSTOM
    json.dumps([p.extra_body for p in PRESETS])  # plain data
    hash(DASHSCOPE)  # frozen and hashable


@pytest.mark.parametrize("flood", ["error-body", "line"])
def test_a_flooding_upstream_is_read_in_bounded_memory(
    upstream: FakeUpstream, make: Any, flood: Literal["error-body", "line"]
) -> None:
    upstream.flood = flood  # 64 MB: an error body, or one stream line that never ends
    engine = make()
    tracemalloc.start()
    try:
        started = time.monotonic()
        _, done = run(ask(engine))
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert done.finish_reason == "error" and done.error
    assert peak < 8 * 1024**2, f"{peak / 1024**2:.0f} MB held at once"
    assert elapsed < 20
    if flood == "line":
        assert "stream line longer than 1 MB" in done.error
    else:
        assert done.error.startswith("The endpoint rejected the request (400): ")
        assert len(done.error) < 400  # the start of what it said, not all 64 MB


def test_an_endpoint_has_no_file_and_no_cache_to_keep_warm(make: Any) -> None:
    engine: ChatEngine = make(model="qwq-32b")
    assert engine.description == engine.info.name
    assert engine.model_file is None
    assert engine.kv_cache is None
