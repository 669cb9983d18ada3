"""The one event stream a generation produces, consumed by every face.

The window renders it, the store persists it, the API turns it into SSE chunks and
the CLI prints it. A generation yields any number of :class:`ReasoningDelta` and
:class:`AnswerDelta` events and ends with exactly one :class:`GenerationDone`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, TypeAlias

from app.core.thinking import ReasonEnded

FinishReason = Literal["stop", "length", "cancelled", "error", "repetition"]
# "repetition": the loop guard stopped a reply that repeated itself.


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    text: str
    inserted: Literal["app", "user"] | None = None  # not the model's: who inserted it


@dataclass(frozen=True, slots=True)
class AnswerDelta:
    text: str


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


ChatEvent: TypeAlias = ReasoningDelta | AnswerDelta | GenerationDone
"""The closed set of events. Every face handles them with ``match event:`` and a last
``case _: assert_never(event)``, so a new kind added here is a type error (mypy) in each
place that does not handle it yet, instead of being ignored there in silence."""
