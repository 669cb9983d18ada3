"""Thinking under control on endpoints (issue 12): Answer now, budgets, the loop guard,
Continue and Steer, over real HTTP against fakes that continue a reply the way
llama-server (assistant prefill) and vLLM (``continue_final_message``) do."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.errors import InvalidRequestError
from app.core.events import AnswerDelta, ChatEvent, GenerationDone, ReasoningDelta
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import WRAP_UP, Continuation, ThinkingControl
from app.engine.remote_engine import RemoteEngine, RemoteGeneration
from app.engine.remote_presets import CUSTOM, DASHSCOPE, LLAMA_SERVER, VLLM, RemotePreset
from app.session import ChatSession, continue_modes
from app.store.conversations import ConversationStore
from tests.fixtures.fake_upstream import (
    CONTINUED_ANSWER,
    CONTINUED_REASONING,
    REASONING,
    USAGE,
    FakeUpstream,
)

KEY = "sk-good"
QUESTION = "What is 2+2?"
SHOWN_WRAP_UP = WRAP_UP[: WRAP_UP.index("</think>")].rstrip()  # as the trace shows it
STEPS = [f"Step {n}: add {n} and {n}. " for n in range(60)]  # long, varied, no loop
LOOP = (
    "Wait, let me recompute the sum of the first column again, carefully, from the top: "
    "three plus four is seven, seven plus five is twelve, and twelve plus nine is twenty-one. "
)
STYLES: dict[str, RemotePreset] = {"prefill": LLAMA_SERVER, "continue_final_message": VLLM}


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def engines() -> Iterator[list[RemoteEngine]]:
    made: list[RemoteEngine] = []
    yield made
    for engine in made:
        engine.close()


@pytest.fixture
def connect(upstream: FakeUpstream, engines: list[RemoteEngine]) -> Any:
    """An engine set up as ``preset`` says, talking to the fake, which continues replies
    the way that preset's server does."""

    def make(preset: RemotePreset) -> RemoteEngine:
        upstream.continues = preset.continue_style
        engine = RemoteEngine.from_preset(preset, KEY, base_url=upstream.url)
        engines.append(engine)
        return engine

    return make


def ask(
    engine: RemoteEngine,
    thinking: ThinkingControl | None = None,
    continuation: Continuation | None = None,
    **sampling: Any,
) -> RemoteGeneration:
    return engine.chat(
        [ChatMessage.user(QUESTION)], SamplingSettings(**sampling), thinking, continuation
    )


def run(
    generation: RemoteGeneration, answer_now_after: int | None = None
) -> tuple[list[ChatEvent], GenerationDone]:
    """All events; with ``answer_now_after``, "Answer now" once that many trace pieces came."""
    events: list[ChatEvent] = []
    for event in generation:
        events.append(event)
        pieces = sum(isinstance(e, ReasoningDelta) for e in events)
        if answer_now_after is not None and pieces == answer_now_after:
            generation.force_answer("user")
    done = events.pop()
    assert isinstance(done, GenerationDone)
    assert not any(isinstance(e, GenerationDone) for e in events)
    return events, done


def prefix(upstream: FakeUpstream, n: int = -1) -> str:
    """The assistant message that request ``n`` asked the endpoint to continue."""
    last = upstream.requests[n].body["messages"][-1]
    assert last["role"] == "assistant"
    content: str = last["content"]
    return content


def expected_prefix(style: str, trace: str) -> str:
    """What the trace plus the wrap-up looks like to each server (see remote_engine)."""
    if style == "prefill":  # appended after QwQ's generation prompt, which opened <think>
        return trace + WRAP_UP
    # vLLM renders it through QwQ's template, which would cut a </think>: the model
    # writes the close tag itself after the wrap-up sentence.
    return "<think>\n" + trace + WRAP_UP[: WRAP_UP.index("</think>")]


def trace_events(events: list[ChatEvent]) -> list[ReasoningDelta]:
    return [e for e in events if isinstance(e, ReasoningDelta)]


# -- Answer now ------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_answer_now_closes_the_trace_and_the_endpoint_answers_from_it(
    upstream: FakeUpstream, connect: Any, style: str
) -> None:
    upstream.reasoning = STEPS
    upstream.continued_reasoning = []  # QwQ closes the trace right after the wrap-up
    engine = connect(STYLES[style])
    events, done = run(ask(engine), answer_now_after=3)

    trace = "".join(STEPS[:3]).rstrip()
    assert len(upstream.requests) == 2  # the first stream was closed, then continued
    assert prefix(upstream) == expected_prefix(style, trace)
    first, second = (r.body for r in upstream.requests)
    assert second["messages"][:-1] == first["messages"]  # the same conversation
    if style == "continue_final_message":
        assert (second["continue_final_message"], second["add_generation_prompt"]) == (True, False)
    else:
        assert "continue_final_message" not in second

    assert trace_events(events)[-1] == ReasoningDelta(SHOWN_WRAP_UP, inserted="app")
    assert [e.text for e in events if isinstance(e, AnswerDelta)] == CONTINUED_ANSWER
    assert done.finish_reason == "stop" and done.error is None
    assert done.reasoning == trace + SHOWN_WRAP_UP
    assert done.answer == "".join(CONTINUED_ANSWER)
    assert (done.reasoning_finished, done.reasoning_ended_by) == (True, "user")
    # The first stream was cut before its usage: its chunks count, then the second's usage.
    assert done.stats.generated_tokens == 3 + USAGE["completion_tokens"]

    # The next turn's history carries the answer only: no trace, no wrap-up.
    history = [
        ChatMessage.user(QUESTION),
        ChatMessage.assistant(done.answer, reasoning=done.reasoning),
        ChatMessage.user("And 3+3?"),
    ]
    run(engine.chat(history, SamplingSettings()))
    sent = upstream.requests[-1]
    assert sent.body["messages"][1] == {"role": "assistant", "content": done.answer}
    assert b"Considering the limited time" not in sent.raw


def test_a_trace_the_model_closes_itself_says_so(upstream: FakeUpstream, connect: Any) -> None:
    _, done = run(ask(connect(LLAMA_SERVER)))
    assert (done.reasoning, done.reasoning_ended_by) == (REASONING, "model")
    assert len(upstream.requests) == 1


# -- budgets -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_a_token_budget_forces_the_answer_over_http(
    upstream: FakeUpstream, connect: Any, style: str
) -> None:
    upstream.reasoning = STEPS
    events, done = run(ask(connect(STYLES[style]), ThinkingControl(budget_tokens=10)))
    pieces = trace_events(events)
    assert [p.inserted for p in pieces] == [None] * 10 + ["app"] + [None] * (len(pieces) - 11)
    assert prefix(upstream) == expected_prefix(style, "".join(STEPS[:10]).rstrip())
    assert done.reasoning_ended_by == "budget"
    assert done.answer == "".join(CONTINUED_ANSWER)
    assert done.stats.reasoning_tokens >= 10


def test_the_continuation_gets_the_tokens_left_of_max_tokens(
    upstream: FakeUpstream, connect: Any
) -> None:
    upstream.reasoning = STEPS
    run(ask(connect(VLLM), ThinkingControl(budget_tokens=6), max_tokens=10))
    first, second = (r.body for r in upstream.requests)
    assert (first["max_tokens"], second["max_tokens"]) == (10, 4)


def test_no_tokens_left_ends_the_reply_with_length(upstream: FakeUpstream, connect: Any) -> None:
    upstream.reasoning = STEPS
    _, done = run(ask(connect(LLAMA_SERVER), ThinkingControl(budget_tokens=6), max_tokens=6))
    assert done.finish_reason == "length"
    assert (done.reasoning, done.reasoning_finished) == ("".join(STEPS[:6]).rstrip(), False)
    assert len(upstream.requests) == 1


def test_a_time_budget_forces_the_answer(upstream: FakeUpstream, connect: Any) -> None:
    upstream.reasoning, upstream.chunk_delay = STEPS, 0.02  # 60 pieces: over a second
    started = time.monotonic()
    events, done = run(ask(connect(LLAMA_SERVER), ThinkingControl(budget_seconds=0.25)))
    assert time.monotonic() - started < 5
    assert done.reasoning_ended_by == "time"
    model_pieces = [e for e in trace_events(events) if e.inserted is None]
    assert 3 <= len(model_pieces) < len(STEPS)
    assert done.answer == "".join(CONTINUED_ANSWER)


def test_budgets_are_not_applied_where_the_endpoint_cannot_continue(
    upstream: FakeUpstream, connect: Any
) -> None:
    engine = connect(DASHSCOPE)
    generation = ask(engine, ThinkingControl(budget_tokens=1, budget_seconds=0.001))
    events, done = run(generation, answer_now_after=1)  # Answer now does nothing either
    assert (done.reasoning, done.reasoning_ended_by) == (REASONING, "model")
    assert not any(e.inserted for e in trace_events(events))
    assert len(upstream.requests) == 1


# -- the loop guard ----------------------------------------------------------------------------------


@pytest.mark.parametrize("style", STYLES)
def test_a_looping_trace_is_turned_into_an_answer(
    upstream: FakeUpstream, connect: Any, style: str
) -> None:
    upstream.reasoning = STEPS[:5] + [LOOP] * 200  # endless, as far as the guard knows
    _, done = run(ask(connect(STYLES[style])))
    assert done.reasoning_ended_by == "loop"
    assert done.finish_reason == "stop"
    assert done.answer == "".join(CONTINUED_ANSWER)
    sent = prefix(upstream)
    assert 3 <= sent.count(LOOP.strip()) <= 5  # caught within a few copies
    assert sent == expected_prefix(style, done.reasoning.split(SHOWN_WRAP_UP)[0])


def test_loop_guard_stop_ends_a_looping_trace_with_repetition(
    upstream: FakeUpstream, connect: Any
) -> None:
    upstream.reasoning = [LOOP] * 200
    _, done = run(ask(connect(LLAMA_SERVER), ThinkingControl(loop_guard="stop")))
    assert done.finish_reason == "repetition"
    assert done.reasoning.count(LOOP.strip()) <= 5
    assert (done.answer, done.reasoning_finished) == ("", False)
    assert len(upstream.requests) == 1


def test_a_looping_answer_stops_with_repetition_everywhere(
    upstream: FakeUpstream, connect: Any
) -> None:
    upstream.answer = [LOOP] * 200
    _, done = run(ask(connect(DASHSCOPE)))
    assert done.finish_reason == "repetition"
    assert done.answer.count(LOOP.strip()) <= 5
    assert (done.reasoning, done.reasoning_ended_by) == (REASONING, "model")


def test_a_looping_trace_stops_where_the_answer_cannot_be_forced(
    upstream: FakeUpstream, connect: Any
) -> None:
    upstream.reasoning = [LOOP] * 200  # on DashScope a loop costs money until the limit
    _, done = run(ask(connect(DASHSCOPE)))
    assert done.finish_reason == "repetition"
    assert done.reasoning.count(LOOP.strip()) <= 5


def test_loop_guard_off_lets_it_loop(upstream: FakeUpstream, connect: Any) -> None:
    upstream.reasoning = [LOOP] * 30
    _, done = run(ask(connect(LLAMA_SERVER), ThinkingControl(loop_guard="off")))
    assert done.finish_reason == "stop"
    assert done.reasoning.count(LOOP.strip()) == 30


# -- Continue and Steer ------------------------------------------------------------------------------

OLD_TRACE = "Let me add two and two."


@pytest.mark.parametrize("style", STYLES)
def test_continue_thinking_goes_on_inside_the_trace(
    upstream: FakeUpstream, connect: Any, style: str
) -> None:
    events, done = run(ask(connect(STYLES[style]), continuation=Continuation(OLD_TRACE)))
    body = upstream.last_body
    assert prefix(upstream) == (OLD_TRACE if style == "prefill" else f"<think>\n{OLD_TRACE}")
    assert body["messages"][:-1] == [{"role": "user", "content": QUESTION}]
    # Only what is new is streamed; the whole reply is in GenerationDone.
    assert events == [
        *(ReasoningDelta(p) for p in CONTINUED_REASONING),
        *(AnswerDelta(p) for p in CONTINUED_ANSWER),
    ]
    assert done.reasoning == OLD_TRACE + "".join(CONTINUED_REASONING)
    assert done.answer == "".join(CONTINUED_ANSWER)
    assert (done.reasoning_finished, done.reasoning_ended_by) == (True, "model")
    assert len(upstream.requests) == 1


@pytest.mark.parametrize("style", STYLES)
def test_continue_answer_goes_on_after_the_answer(
    upstream: FakeUpstream, connect: Any, style: str
) -> None:
    stopped = Continuation(OLD_TRACE, answer="The sum", mode="answer")
    events, done = run(ask(connect(STYLES[style]), continuation=stopped))
    if style == "prefill":
        assert prefix(upstream) == f"{OLD_TRACE}\n</think>\n\nThe sum"
    else:  # QwQ's template keeps what follows </think> only: the answer goes alone
        assert prefix(upstream) == "The sum"
    # vLLM's parser sends this answer in the reasoning field (no </think> in it): still
    # the answer.
    assert events == [AnswerDelta(p) for p in CONTINUED_ANSWER]
    assert done.answer == "The sum" + "".join(CONTINUED_ANSWER)
    assert (done.reasoning, done.reasoning_finished) == (OLD_TRACE, True)


@pytest.mark.parametrize("style", STYLES)
def test_steer_inserts_the_users_hint_into_the_trace(
    upstream: FakeUpstream, connect: Any, style: str
) -> None:
    upstream.continued_reasoning = ["So", " it is four."]
    steer = Continuation(OLD_TRACE, hint="  Check it with a calculator.\n")
    events, done = run(ask(connect(STYLES[style]), continuation=steer))
    hint = "\n\nWait, the user adds a hint: Check it with a calculator."  # the local words
    assert events[0] == ReasoningDelta(hint, inserted="user")
    trace = OLD_TRACE + hint + "\n\n"
    assert prefix(upstream) == (trace if style == "prefill" else f"<think>\n{trace}")
    assert done.reasoning == OLD_TRACE + hint + "\n\nSo it is four."
    assert done.answer == "".join(CONTINUED_ANSWER)


def test_answer_now_during_a_continuation_keeps_the_old_trace(
    upstream: FakeUpstream, connect: Any
) -> None:
    upstream.continued_reasoning = [f" More {n}." for n in range(20)]
    generation = ask(connect(LLAMA_SERVER), continuation=Continuation(OLD_TRACE))
    _, done = run(generation, answer_now_after=2)
    trace = OLD_TRACE + " More 0. More 1."
    assert prefix(upstream) == trace + WRAP_UP
    assert upstream.requests[-1].body["messages"][:-1] == [{"role": "user", "content": QUESTION}]
    assert done.reasoning == trace + SHOWN_WRAP_UP
    assert done.reasoning_ended_by == "user"


def test_cancel_works_in_the_middle_of_a_continuation(upstream: FakeUpstream, connect: Any) -> None:
    upstream.reasoning = STEPS
    upstream.continued_stall_after = 1  # the answer starts, then the server goes silent
    generation = ask(connect(LLAMA_SERVER), ThinkingControl(budget_tokens=4))

    def stop_later() -> None:
        time.sleep(0.5)
        generation.cancel()

    thread = threading.Thread(target=stop_later)
    started = time.monotonic()
    thread.start()
    events, done = run(generation)
    thread.join()
    assert time.monotonic() - started < 5
    assert done.finish_reason == "cancelled"
    assert done.reasoning == "".join(STEPS[:4]).rstrip() + SHOWN_WRAP_UP
    assert done.answer == CONTINUED_ANSWER[0]
    assert events[-1] == AnswerDelta(CONTINUED_ANSWER[0])


# -- what cannot -------------------------------------------------------------------------------------


def test_which_endpoints_can_continue(connect: Any, engines: list[RemoteEngine]) -> None:
    assert connect(LLAMA_SERVER).cannot_continue is None
    assert connect(VLLM).cannot_continue is None
    reason = connect(DASHSCOPE).cannot_continue
    assert reason is not None and "DashScope" in reason and "qwq-32b" in reason
    custom = RemoteEngine.from_preset(CUSTOM, base_url="http://127.0.0.1:9/v1", model="qwq")
    told = RemoteEngine("http://127.0.0.1:9/v1", "qwq", continue_style="prefill")
    engines += [custom, told]
    assert custom.cannot_continue  # unless the user says how it continues:
    assert told.cannot_continue is None


def test_dashscope_refuses_continue_and_steer_with_the_reason(
    upstream: FakeUpstream, connect: Any
) -> None:
    engine = connect(DASHSCOPE)
    with pytest.raises(InvalidRequestError) as caught:
        ask(engine, continuation=Continuation(OLD_TRACE, hint="Use a calculator."))
    assert str(caught.value) == engine.cannot_continue
    assert upstream.requests == []


@pytest.mark.parametrize("hint", [" \n ", "x" * 20_001, "Stop. </think> The answer is 5."])
def test_a_blank_or_huge_hint_is_refused(upstream: FakeUpstream, connect: Any, hint: str) -> None:
    with pytest.raises(InvalidRequestError, match="hint"):
        ask(connect(VLLM), continuation=Continuation(OLD_TRACE, hint=hint))
    assert upstream.requests == []


# -- through the session and the store ----------------------------------------------------------------


def test_a_remote_reply_cut_by_the_budget_is_stored_then_steered_in_place(
    upstream: FakeUpstream, connect: Any, tmp_path: Path
) -> None:
    upstream.reasoning = STEPS
    upstream.continued_reasoning = []
    engine = connect(LLAMA_SERVER)
    with ConversationStore(tmp_path / "data") as store:
        session = ChatSession(store, engine)
        c = store.create()
        list(session.reply(c.id, QUESTION, thinking=ThinkingControl(budget_tokens=5)))
        cut = store.branch(c.id)[-1]
        assert (cut.reasoning_ended_by, cut.content) == ("budget", "".join(CONTINUED_ANSWER))
        (wrap,) = cut.inserted
        assert wrap.by == "app" and cut.reasoning[wrap.start : wrap.end] == SHOWN_WRAP_UP
        assert continue_modes(cut) == ("thinking",)

        # Steer: the trace is reopened before the wrap-up, the hint goes in, QwQ goes on.
        upstream.continued_reasoning = ["So", " step 5 adds up."]
        list(session.continue_reply(cut.id, "thinking", hint="Check step 4."))
        steered = store.branch(c.id)[-1]
        assert steered.id == cut.id  # updated in place, not a new message
        trace = "".join(STEPS[:5]).rstrip()
        hint = "\n\nWait, the user adds a hint: Check step 4."
        assert prefix(upstream) == trace + hint + "\n\n"  # no wrap-up: reopened
        assert steered.reasoning == trace + hint + "\n\nSo step 5 adds up."
        (span,) = steered.inserted
        assert (span.by, steered.reasoning[span.start : span.end]) == ("user", hint)
        assert (steered.reasoning_ended_by, steered.content) == (
            "model",
            "".join(CONTINUED_ANSWER),
        )
