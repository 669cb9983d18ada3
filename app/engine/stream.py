"""The skeleton every generation shares, local llama.cpp or remote endpoint.

An engine's ``chat`` checks the request here (:func:`check_request`) and returns a
:class:`GenerationStream`: the base owns what a face sees of a generation, the same for
every engine (iteration, ``cancel``, ``force_answer``, ``close``, ``__del__``), and the
reply it builds (:class:`Reply`): the text streamed so far as ChatEvents, the clock
(first token, end of the trace, last token), the budget check that says when an open
trace must close, and from all of it the :class:`~app.core.events.GenerationStats` and the
one final :class:`~app.core.events.GenerationDone`.

A subclass writes only ``_run``: it produces the raw text (tokens from llama.cpp, chunks
from an endpoint), splits it into reasoning and answer (:mod:`app.core.reasoning`), and
does what only its engine can (close the trace in place, continue a stopped reply).
"""

from __future__ import annotations

import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Generator, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

from app.core.errors import InvalidRequestError
from app.core.events import (
    AnswerDelta,
    ChatEvent,
    FinishReason,
    GenerationDone,
    GenerationStats,
    ReasoningDelta,
    ToolCallRequested,
)
from app.core.i18n import translate
from app.core.messages import ChatMessage
from app.core.thinking import Continuation, Inserter, ReasonEnded, ThinkingControl, check_hint
from app.core.tool_calls import MalformedToolCall, Parsed, ToolCall, ToolCallParser


def check_request(
    messages: Sequence[ChatMessage],
    continuation: Continuation | None,
    cannot_continue: str | None = None,
) -> None:
    """The checks every engine makes before a reply starts (its own come after).

    A conversation ends with the user's message, or with the results of the calls the
    last answer made (the next round of a tool turn).

    ``cannot_continue``: the engine's reason it cannot go on from a stopped reply (see
    ``ChatEngine.cannot_continue``), None where it can."""
    if messages and messages[-1].role == "tool":
        _check_results(messages)
    elif not messages or messages[-1].role != "user":
        raise InvalidRequestError(
            translate("ChatEngine", "The conversation must end with a user message.")
        )
    elif not messages[-1].content.strip():
        raise InvalidRequestError(translate("ChatEngine", "The prompt is empty."))
    if continuation is not None:
        if cannot_continue is not None:
            raise InvalidRequestError(cannot_continue)
        check_hint(continuation.hint)  # a tag in it would close (or cut) the trace


def _check_results(messages: Sequence[ChatMessage]) -> None:
    """Trailing tool results must follow an answer (the template would otherwise render a
    turn the model never saw the cause of). Its calls may all be malformed: then it holds
    their text, and the results are their errors."""
    i = len(messages)
    while i and messages[i - 1].role == "tool":
        i -= 1
    if not i or messages[i - 1].role != "assistant":
        raise InvalidRequestError(
            translate("ChatEngine", "Tool results must follow an answer that called tools.")
        )


def call_id_prefix() -> str:
    """Ids unique across a turn's rounds and the API's requests: ``call_<8 hex>_<n>``."""
    return f"call_{secrets.token_hex(4)}_"


@dataclass
class Reply:
    """What one generation has produced so far, and when.

    ``before``: the stored reasoning and answer a continued reply goes on from (Continue,
    Steer): not streamed again, but part of the final event's whole reply."""

    reasoning_before: str = ""
    answer_before: str = ""
    reasoning: list[str] = field(default_factory=list)  # what streamed now
    answer: list[str] = field(default_factory=list)
    t_start: float = field(default_factory=time.perf_counter)
    t_first: float = 0.0  # the first generated token (or chunk with text)
    t_last: float = 0.0
    t_thought: float = 0.0  # when the trace closed
    ended_by: ReasonEnded | None = None  # who closed the trace
    # With tools offered: the answer's <tool_call> blocks are read out of it (never the
    # trace's: only answer deltas go through the parser).
    calls: ToolCallParser | None = None

    @property
    def trace(self) -> str:
        """The whole trace so far, the stored part of a continued reply included."""
        return self.reasoning_before + "".join(self.reasoning)

    def token(self, now: float) -> None:
        """A token (or chunk) came at ``now``."""
        self.t_first = self.t_first or now
        self.t_last = now

    def thought(self, now: float, by: ReasonEnded | None) -> None:
        """The trace closed at ``now``, by ``by``."""
        self.t_thought, self.ended_by = now, by

    def reasoning_delta(self, text: str, by: Inserter | None = None) -> ReasoningDelta:
        self.reasoning.append(text)
        return ReasoningDelta(text, inserted=by)

    def answer_delta(self, text: str) -> AnswerDelta:
        self.answer.append(text)
        return AnswerDelta(text)

    def answer_events(self, text: str) -> list[ChatEvent]:
        """An answer delta as events: text, and the tool calls in it when tools are on."""
        if self.calls is None:
            return [self.answer_delta(text)]
        return self._parsed(self.calls.feed(text))

    def flush_calls(self) -> list[ChatEvent]:
        """The end of the answer: held-back text, and an unclosed call (malformed)."""
        return [] if self.calls is None else self._parsed(self.calls.flush())

    def _parsed(self, items: list[Parsed]) -> list[ChatEvent]:
        return [
            self.answer_delta(item) if isinstance(item, str) else ToolCallRequested(item)
            for item in items
        ]

    @property
    def tool_calls(self) -> tuple[ToolCall | MalformedToolCall, ...]:
        return () if self.calls is None else tuple(self.calls.found)

    def force_due(
        self, thinking: ThinkingControl, asked: ReasonEnded | None, thought_tokens: int, now: float
    ) -> ReasonEnded | None:
        """Whether the open trace must close now, and why: asked for (Answer now), the
        token budget spent (``thought_tokens`` this reply), the time limit reached."""
        if asked is not None:
            return asked
        budget = thinking.budget_tokens
        if budget is not None and thought_tokens >= budget:
            return "budget"
        if thinking.budget_seconds is not None and now - self.t_first >= thinking.budget_seconds:
            return "time"
        return None

    def stats(
        self,
        *,
        prompt_tokens: int,
        cached: int,
        generated: int,
        reasoning_tokens: int,
        decoded: int,
        thinking: bool,
        reasoning_finished: bool,
        tokens_per_second: float | None = None,
        dropped: int = 0,
        inserted: int = 0,
    ) -> GenerationStats:
        """The stats from the counts the engine knows and the clock.

        ``decoded``: the tokens (chunks) timed between the first and the last, for the
        speed when the engine has no better figure (``tokens_per_second``);
        ``thinking``: the reply had a trace (its time is from the first token to its
        close, or to the end when it never closed)."""
        t_first, t_last = self.t_first, self.t_last
        thinking_s = 0.0
        if thinking and t_first:
            end = self.t_thought if reasoning_finished and self.t_thought else t_last
            thinking_s = max(0.0, end - t_first)
        decode_time = t_last - t_first
        if tokens_per_second is None:
            tokens_per_second = (
                (decoded - 1) / decode_time if decode_time > 0 and decoded > 1 else 0.0
            )
        waited = (t_first - self.t_start) if t_first else 0.0
        return GenerationStats(
            prompt_tokens=prompt_tokens,
            prompt_tokens_cached=cached,
            generated_tokens=generated,
            reasoning_tokens=reasoning_tokens,
            time_to_first_token_s=waited,
            prompt_seconds=waited if t_first else time.perf_counter() - self.t_start,
            thinking_seconds=thinking_s,
            generation_seconds=decode_time,
            tokens_per_second=tokens_per_second,
            history_messages_dropped=dropped,
            inserted_tokens=inserted,
        )

    def done(
        self,
        finish: FinishReason,
        stats: GenerationStats,
        reasoning_finished: bool,
        error: str | None = None,
    ) -> GenerationDone:
        """The final event: the whole reply, the old part of a continued one included.
        A reply that stopped after well-formed tool calls ends with "tool_calls"."""
        calls = self.tool_calls
        if finish == "stop" and any(isinstance(c, ToolCall) for c in calls):
            finish = "tool_calls"
        return GenerationDone(
            finish_reason=finish,
            stats=stats,
            reasoning=self.trace,
            answer=self.answer_before + "".join(self.answer),
            reasoning_finished=reasoning_finished,
            error=error,
            reasoning_ended_by=self.ended_by if reasoning_finished else None,
            tool_calls=calls,
        )


class GenerationStream(ABC):
    """One reply being generated: iterate for ChatEvents, ``cancel()`` from any thread.

    The events come from the subclass's ``_run`` generator, which ends with exactly one
    ``GenerationDone`` and frees what the reply held in its ``finally``."""

    def __init__(self, thinking: ThinkingControl | None) -> None:
        self.thinking = thinking or ThinkingControl()
        self._force_by: ReasonEnded | None = None  # set by force_answer, from any thread
        self._events = self._run()
        self._started = False
        self._closed = False
        self._running = False  # a thread is inside next() now

    @abstractmethod
    def _run(self) -> Generator[ChatEvent, None, None]:
        """The reply's events; its ``finally`` sets ``_closed`` and frees the engine."""

    @abstractmethod
    def cancel(self) -> None:
        """Stop as soon as possible (any thread); the stream ends with "cancelled"."""

    @property
    def prompt_size(self) -> int | None:
        """Tokens before the first new one (the prompt, and a continued reply's kept
        part), known before the reply starts; None where only the end tells (a remote
        endpoint's usage). The window's context meter counts from it while it streams."""
        return None

    @abstractmethod
    def _never_started(self) -> None:
        """Free what ``chat()`` took for a generation closed before its first event (its
        ``_run`` never ran, so neither did its ``finally``)."""

    def __iter__(self) -> Iterator[ChatEvent]:
        return self

    def __next__(self) -> ChatEvent:
        if self._closed and not self._started:
            raise StopIteration
        self._started = True
        self._running = True
        try:
            return next(self._events)
        finally:
            self._running = False

    def force_answer(self, by: ReasonEnded = "user") -> None:
        """Close the trace at the next token (chunk) and go on into the answer (any
        thread). Does nothing once the trace is closed, or where the engine cannot
        continue a reply. The first reason asked for wins."""
        if self._force_by is None:
            self._force_by = by

    def close(self) -> None:
        """Abandon the generation and free the engine (iterating to the end does this too)."""
        if self._closed or self._running:
            return
        self._closed = True
        if not self._started:
            self._never_started()
        with suppress(ValueError):  # "generator already executing": another thread took it
            self._events.close()

    def __del__(self) -> None:
        with suppress(Exception):
            self.close()
