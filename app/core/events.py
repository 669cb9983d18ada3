"""The one event stream a generation produces, consumed by every face.

The window renders it, the store persists it, the API turns it into SSE chunks and
the CLI prints it. A generation yields any number of :class:`ReasoningDelta` and
:class:`AnswerDelta` events and ends with exactly one :class:`GenerationDone`.

With tools, the answer's ``<tool_call>`` blocks come out as :class:`ToolCallRequested`
(never as answer text), in the order written. An engine's generation ends there, with
finish reason ``"tool_calls"``; a turn that runs the tools (:mod:`app.tool_turn`) then
yields, per call, :class:`ToolApprovalNeeded` when the user must say yes first and
:class:`ToolCallResult`, and the next round's deltas follow in the same stream.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, TypeAlias

from app.core.thinking import ReasonEnded
from app.core.tool_calls import MalformedToolCall, ToolCall

FinishReason = Literal["stop", "length", "cancelled", "error", "repetition", "tool_calls"]
# "repetition": the loop guard stopped a reply that repeated itself.
# "tool_calls": the reply ended with calls for the caller to run (an engine's generation;
# a tool turn ends so only when its round limit left calls unrun).

Approval = Literal["not needed", "auto", "once", "conversation", "denied"]
# How a call came to run (or not): it needs no approval; approved in advance (the CLI's
# --yes); by the user for this call, or for every call of that tool in the conversation;
# "denied": the user said no, and the model was told so.


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str
    inserted: Literal["app", "user"] | None = None  # not the model's: who inserted it


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallRequested:
    """The model called a tool in its answer, or wrote a call that does not parse
    (``MalformedToolCall``: its reason goes back to the model as the tool's error)."""

    call: ToolCall | MalformedToolCall


@dataclass(frozen=True, slots=True)
class ToolApprovalNeeded:
    """A call waits for the user: the turn goes on once the face answers through
    ``ToolTurn.approve`` (or the turn is cancelled)."""

    call: ToolCall


@dataclass(frozen=True, slots=True)
class ToolCallResult:
    """What a call gave the model: ``text`` exactly as the model reads it (an error says
    "Error: ..."), ``ok`` False for an error, a denial or a malformed call."""

    call_id: str
    name: str
    text: str
    ok: bool
    seconds: float
    approval: Approval = "not needed"


@dataclass(frozen=True, slots=True)
class GenerationStats:
    prompt_tokens: int = 0  # tokens in the whole prompt
    prompt_tokens_cached: int = 0  # of those, reused from the KV cache (not processed)
    generated_tokens: int = 0
    reasoning_tokens: int = 0
    time_to_first_token_s: float = 0.0  # from the request to the first generated token
    prompt_seconds: float = 0.0  # spent processing the prompt
    thinking_seconds: float = 0.0  # from the first token to </think> (or the end)
    generation_seconds: float = 0.0  # from the first to the last generated token
    tokens_per_second: float = 0.0  # decode speed, excluding the prompt
    history_messages_dropped: int = 0  # oldest messages left out to fit the context
    inserted_tokens: int = 0  # evaluated for the app's wrap-up (counted as generated)

    @property
    def prompt_tokens_processed(self) -> int:
        return self.prompt_tokens - self.prompt_tokens_cached

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["prompt_tokens_processed"] = self.prompt_tokens_processed
        return data


@dataclass(frozen=True, slots=True)
class GenerationDone:
    finish_reason: FinishReason
    stats: GenerationStats
    reasoning: str  # the whole trace, as streamed
    answer: str  # the whole answer, as streamed
    reasoning_finished: bool  # False when the trace never closed
    error: str | None = None  # a clear message when finish_reason == "error"
    # Who closed the trace: the model, the budget, the time limit, the loop guard or
    # the user ("answer now"); None when it never closed (or there was none).
    reasoning_ended_by: ReasonEnded | None = None
    # The calls in the answer (its text, ``answer``, is without them), in order; a
    # generation with well-formed ones ends with finish reason "tool_calls".
    tool_calls: tuple[ToolCall | MalformedToolCall, ...] = ()


ChatEvent: TypeAlias = (
    ReasoningDelta
    | AnswerDelta
    | ToolCallRequested
    | ToolApprovalNeeded
    | ToolCallResult
    | GenerationDone
)
"""The closed set of events. Every face handles them with ``match event:`` and a last
``case _: assert_never(event)``, so a new kind added here is a type error (mypy) in each
place that does not handle it yet, instead of being ignored there in silence."""
