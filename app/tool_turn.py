"""A reply that may use tools: rounds of generation with the calls run between them.

:class:`ToolTurn` is a :class:`~app.engine.base.Generation` like an engine's, so the
session stores it and every face shows it as it does any reply. It asks the engine for a
round with the tools offered; when the round ends in calls ("tool_calls"), it runs them
(asking the user first for a tool with side effects), adds the answer with its calls and
the results to the history, and asks for the next round, until a round ends without calls
or the round limit is reached. Its stream is every round's events in order, each call's
:class:`ToolCallResult` after its round, and one ``GenerationDone`` at the very end:
the last round's text, with every round's work in its stats.

Approval: a call of a tool that ``needs_approval`` yields :class:`ToolApprovalNeeded`
and the turn waits (on the thread iterating it) until a face calls :meth:`approve` from
any thread, or the turn is cancelled. "Allow in this conversation" adds the tool's name to
``allowed``, the set the session keeps for the conversation.

Bounds: at most ``max_rounds`` rounds of calls (then the model's next calls are not run
and the turn ends with finish reason "tool_calls"), and at most
:data:`MAX_MALFORMED_ROUNDS` rounds in a row whose calls were all malformed (each told
to the model as the tool's error, so it can retry).
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import replace
from typing import Literal

from app.core.events import (
    Approval,
    ChatEvent,
    FinishReason,
    GenerationDone,
    GenerationStats,
    ToolApprovalNeeded,
    ToolCallResult,
)
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import Continuation, ReasonEnded, ThinkingControl
from app.core.tool_calls import MalformedToolCall, ToolCall
from app.core.tool_rounds import ToolRound, ToolUse, round_history
from app.engine.base import ChatEngine, Generation
from app.tools.tool import Tool

Decision = Literal["once", "conversation", "deny"]
DEFAULT_MAX_ROUNDS = 8  # rounds of calls in one reply (a setting: tool_rounds)
MAX_MALFORMED_ROUNDS = 3  # rounds in a row with only malformed calls before giving up
DENIED = "Error: The user did not allow this call. Do not call it again for this request."


def _merged(stats: Sequence[GenerationStats]) -> GenerationStats:
    """The turn's figures: the work of every round summed; the prompt, the last round's."""
    last = stats[-1]
    return replace(
        last,
        generated_tokens=sum(s.generated_tokens for s in stats),
        reasoning_tokens=sum(s.reasoning_tokens for s in stats),
        inserted_tokens=sum(s.inserted_tokens for s in stats),
        thinking_seconds=sum(s.thinking_seconds for s in stats),
        generation_seconds=sum(s.generation_seconds for s in stats),
        time_to_first_token_s=stats[0].time_to_first_token_s,
    )


class ToolTurn:
    """One reply with tools (see the module's docstring). Iterate it on one thread;
    ``approve``, ``cancel`` and ``force_answer`` come from any thread."""

    def __init__(
        self,
        engine: ChatEngine,
        messages: Sequence[ChatMessage],
        sampling: SamplingSettings,
        thinking: ThinkingControl | None,
        tools: Sequence[Tool],
        *,
        max_rounds: int = DEFAULT_MAX_ROUNDS,
        allowed: set[str] | None = None,
        auto_approve: bool = False,
        continuation: Continuation | None = None,
    ) -> None:
        """``continuation``: the first round goes on from a stopped reply's last round
        (Continue, Steer), with the tools in its prompt as they were."""
        self._engine = engine
        self._messages = list(messages)
        self._sampling = sampling
        self._thinking = thinking
        self._tools: Mapping[str, Tool] = {t.name: t for t in tools}
        self._specs = [t.spec() for t in tools]
        self.max_rounds = max(0, max_rounds)
        self.allowed = allowed if allowed is not None else set()
        self.auto_approve = auto_approve
        self.rounds: list[GenerationStats] = []  # each round's figures (prefix reuse)
        self._cond = threading.Condition()
        self._decisions: dict[str, Decision] = {}
        self._cancelled = False
        self._closed = False
        self._ended = False  # the final GenerationDone went out
        # The first round starts now: a request the engine refuses fails here, at once.
        self._current: Generation = engine.chat(
            self._messages, sampling, thinking, continuation, tools=self._specs
        )
        self._events = self._run()

    # -- what a face calls ---------------------------------------------------------------

    def __iter__(self) -> Iterator[ChatEvent]:
        return self._events

    def approve(self, call_id: str, decision: Decision) -> None:
        """The user's answer to a ``ToolApprovalNeeded`` (any thread)."""
        with self._cond:
            self._decisions[call_id] = decision
            self._cond.notify_all()

    def cancel(self) -> None:
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()
        self._current.cancel()

    def force_answer(self, by: ReasonEnded = "user") -> None:
        self._current.force_answer(by)

    @property
    def prompt_size(self) -> int | None:
        return self._current.prompt_size

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if not self._ended:
            self.cancel()
        with suppress(ValueError):  # "generator already executing": its thread ends it
            self._events.close()
        self._current.close()

    # -- the rounds ----------------------------------------------------------------------

    def _run(self) -> Generator[ChatEvent, None, None]:
        malformed_rounds = 0
        try:
            while True:
                done: GenerationDone | None = None
                for event in self._current:
                    if isinstance(event, GenerationDone):
                        done = event
                    else:
                        yield event
                self._current.close()
                assert done is not None, "a generation ends with GenerationDone"
                self.rounds.append(done.stats)
                calls = done.tool_calls
                ran_out = len(self.rounds) > self.max_rounds
                if done.finish_reason not in ("tool_calls", "stop") or not calls or ran_out:
                    yield self._final(done, "tool_calls" if ran_out and calls else None)
                    return
                if all(isinstance(c, MalformedToolCall) for c in calls):
                    malformed_rounds += 1
                    if malformed_rounds >= MAX_MALFORMED_ROUNDS:
                        yield self._final(done, "stop")
                        return
                else:
                    malformed_rounds = 0
                uses: list[ToolUse] = []
                for call in calls:
                    result = yield from self._call(call)
                    if result is None:  # cancelled while it waited for the user
                        yield self._final(done, "cancelled")
                        return
                    yield result
                    uses.append(replace(ToolUse.of(call), result=result.text))
                self._messages += round_history(ToolRound("", done.answer, tuple(uses)))
                if self._cancelled:
                    yield self._final(done, "cancelled")
                    return
                self._current = self._engine.chat(
                    self._messages, self._sampling, self._thinking, tools=self._specs
                )
        finally:
            self._ended = True
            self._current.close()

    def _final(self, done: GenerationDone, finish: FinishReason | None) -> GenerationDone:
        reason = done.finish_reason
        if finish == "cancelled" or finish == "tool_calls":
            reason = finish
        elif finish == "stop" and reason == "tool_calls":
            reason = "stop"
        return replace(done, finish_reason=reason, stats=_merged(self.rounds))

    def _call(
        self, call: ToolCall | MalformedToolCall
    ) -> Generator[ChatEvent, None, ToolCallResult | None]:
        """Run one call (asking first where the tool needs it); None: cancelled."""
        if isinstance(call, MalformedToolCall):
            return ToolCallResult(call.id, "", f"Error: {call.reason}", False, 0.0)
        tool = self._tools.get(call.name)
        if tool is None:
            names = ", ".join(self._tools) or "none"
            text = f"Error: There is no tool named {call.name!r}. The tools are: {names}."
            return ToolCallResult(call.id, call.name, text, False, 0.0)
        approval: Approval = "not needed"
        if tool.needs_approval:
            if self.auto_approve:
                approval = "auto"
            elif call.name in self.allowed:
                approval = "conversation"
            else:
                yield ToolApprovalNeeded(call)
                decision = self._wait_for(call.id)
                if decision is None:
                    return None
                if decision == "deny":
                    return ToolCallResult(call.id, call.name, DENIED, False, 0.0, "denied")
                if decision == "conversation":
                    self.allowed.add(call.name)
                approval = decision
        result = tool.run(call.arguments)
        return ToolCallResult(
            call.id, call.name, result.for_model, result.ok, result.seconds, approval
        )

    def _wait_for(self, call_id: str) -> Decision | None:
        with self._cond:
            while call_id not in self._decisions and not self._cancelled:
                self._cond.wait()
            return None if self._cancelled else self._decisions.pop(call_id)
