"""The generation skeleton both engines share (app/engine/stream.py): the request check,
the reply's text, clock, stats and final event, and the iteration, close and force-answer
rules. The engines' own tests run it on real llama.cpp and real HTTP
(test_local_engine.py, test_remote_engine.py); here a minimal generation shows the rules."""

from __future__ import annotations

import gc
from collections.abc import Generator

import pytest

from app.core.errors import InvalidRequestError
from app.core.events import AnswerDelta, ChatEvent, GenerationDone, ReasoningDelta
from app.core.messages import ChatMessage
from app.core.thinking import Continuation, ThinkingControl
from app.engine.stream import GenerationStream, Reply, check_request

USER = [ChatMessage("user", "What is 2+2?")]


@pytest.mark.parametrize(
    ("messages", "continuation", "cannot", "message"),
    [
        ([], None, None, "The conversation must end with a user message."),
        ([ChatMessage("assistant", "4")], None, None, "must end with a user message"),
        ([ChatMessage("user", "  \n")], None, None, "The prompt is empty."),
        (USER, Continuation("Hmm"), "This endpoint cannot continue.", "cannot continue"),
        (USER, Continuation("Hmm", hint="</think> now"), None, "cannot contain <think>"),
    ],
)
def test_the_request_check_refuses_what_no_engine_can_answer(
    messages: list[ChatMessage], continuation: Continuation | None, cannot: str | None, message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        check_request(messages, continuation, cannot)


def test_a_good_request_passes() -> None:
    check_request(USER, None, "This endpoint cannot continue.")  # no continuation asked
    check_request(USER, Continuation("Hmm", hint="think of sums"), None)


def test_the_reply_builds_the_whole_reply_and_its_stats() -> None:
    reply = Reply(reasoning_before="Old thought. ", t_start=10.0)
    assert reply.reasoning_delta("New", "user") == ReasoningDelta("New", inserted="user")
    reply.token(11.0)
    reply.token(12.0)
    reply.thought(12.5, "budget")
    assert reply.answer_delta("4") == AnswerDelta("4")
    reply.token(14.0)
    assert reply.trace == "Old thought. New"
    stats = reply.stats(
        prompt_tokens=20,
        cached=5,
        generated=7,
        reasoning_tokens=4,
        decoded=7,
        thinking=True,
        reasoning_finished=True,
    )
    assert stats.time_to_first_token_s == stats.prompt_seconds == 1.0
    assert stats.thinking_seconds == 1.5  # from the first token to the close
    assert stats.generation_seconds == 3.0
    assert stats.tokens_per_second == 2.0  # 6 intervals in 3 s
    done = reply.done("stop", stats, reasoning_finished=True)
    assert (done.reasoning, done.answer, done.reasoning_ended_by) == (
        "Old thought. New",
        "4",
        "budget",
    )
    assert reply.done("length", stats, reasoning_finished=False).reasoning_ended_by is None


def test_a_reply_with_no_token_spent_its_time_on_the_prompt() -> None:
    reply = Reply()
    stats = reply.stats(
        prompt_tokens=3,
        cached=0,
        generated=0,
        reasoning_tokens=0,
        decoded=0,
        thinking=True,
        reasoning_finished=False,
        tokens_per_second=None,
    )
    assert stats.time_to_first_token_s == 0.0 and stats.prompt_seconds >= 0.0
    assert stats.tokens_per_second == 0.0 and stats.thinking_seconds == 0.0


def test_the_budget_says_when_the_trace_must_close() -> None:
    reply = Reply()
    reply.token(100.0)
    tokens = ThinkingControl(budget_tokens=3)
    assert reply.force_due(tokens, None, 2, 100.5) is None
    assert reply.force_due(tokens, None, 3, 100.5) == "budget"
    assert reply.force_due(tokens, "user", 0, 100.5) == "user"  # asked for: first
    assert reply.force_due(ThinkingControl(budget_seconds=5), None, 0, 105.0) == "time"


class Scripted(GenerationStream):
    """A generation that yields a fixed reply and records what the base asks of it."""

    def __init__(self, thinking: ThinkingControl | None = None) -> None:
        self.freed: list[str] = []
        self.cancelled = 0
        super().__init__(thinking)

    def cancel(self) -> None:
        self.cancelled += 1

    def _never_started(self) -> None:
        self.freed.append("never started")

    def _run(self) -> Generator[ChatEvent, None, None]:
        reply = Reply()
        try:
            yield reply.reasoning_delta("Hmm.")
            yield reply.answer_delta("4")
            stats = reply.stats(
                prompt_tokens=1,
                cached=0,
                generated=2,
                reasoning_tokens=1,
                decoded=2,
                thinking=True,
                reasoning_finished=True,
            )
            yield reply.done("stop", stats, True)
        finally:
            self._closed = True
            self.freed.append("run ended")


def test_iterating_to_the_end_ends_the_run_once() -> None:
    generation = Scripted()
    events = list(generation)
    assert isinstance(events[-1], GenerationDone) and events[-1].answer == "4"
    generation.close()
    assert generation.freed == ["run ended"]
    assert list(generation) == []


def test_closing_before_the_first_event_frees_the_engine_and_yields_nothing() -> None:
    generation = Scripted()
    generation.close()
    generation.close()
    assert generation.freed == ["never started"]
    assert list(generation) == []


def test_closing_midway_ends_the_run_and_an_abandoned_one_closes_itself() -> None:
    generation = Scripted()
    next(generation)
    generation.close()
    assert generation.freed == ["run ended"]
    abandoned = Scripted()
    freed = abandoned.freed
    next(abandoned)
    del abandoned
    gc.collect()
    assert freed == ["run ended"]


def test_the_first_reason_to_answer_now_wins() -> None:
    generation = Scripted()
    generation.force_answer("loop")
    generation.force_answer("user")
    assert generation._force_by == "loop"
    generation.close()
