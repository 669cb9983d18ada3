"""How long the model may think, and what happens when its trace repeats itself.

A :class:`ThinkingControl` goes with each request (``engine.chat(..., thinking=...)``).
When a budget is reached, or the loop guard trips while the model thinks, the engine
forces the answer: it appends :data:`WRAP_UP` (Qwen's own wording for thinking
budgets, ending with ``</think>``) to the tokens already generated, so nothing is
processed again, and generation goes on into the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.core.errors import InvalidRequestError
from app.core.i18n import translate

ReasonEnded = Literal["model", "budget", "time", "loop", "user"]
Inserter = Literal["app", "user"]  # who wrote a part of a trace that the model did not
ContinueMode = Literal["thinking", "answer"]
LoopAction = Literal["answer", "stop", "off"]
LOOP_ACTIONS: tuple[LoopAction, ...] = ("answer", "stop", "off")

# Qwen3 technical report (arXiv 2505.09388), thinking budget: the sentence that makes
# the model answer from its partial trace, then the blank line the template expects.
WRAP_UP = (
    "\n\nConsidering the limited time, I have to give the solution based on the thinking "
    "directly now.\n</think>\n\n"
)


# How a trace ended, as the reasoning block's header and the exports say it.
ENDED_BY_NOTE: dict[ReasonEnded, str] = {
    "model": "",
    "budget": "budget reached",
    "time": "time limit reached",
    "loop": "loop caught",
    "user": "you asked for the answer",
}
INSERTED_BY_LABEL: dict[Inserter, str] = {"app": "inserted by QwQ Desktop", "user": "your hint"}


@dataclass(frozen=True, slots=True)
class ThinkingControl:
    budget_tokens: int | None = None  # thinking tokens before the answer is forced
    budget_seconds: float | None = None  # seconds from the first token
    loop_guard: LoopAction = "answer"  # a trace that repeats itself: answer, stop, or off

    def __post_init__(self) -> None:
        if self.budget_tokens is not None and self.budget_tokens < 1:
            raise ValueError("the thinking budget must be at least 1 token")
        if self.budget_seconds is not None and not self.budget_seconds > 0:
            raise ValueError("the thinking time must be more than 0 seconds")
        if self.loop_guard not in LOOP_ACTIONS:
            raise ValueError(f"the loop guard is one of {', '.join(LOOP_ACTIONS)}")


@dataclass(frozen=True, slots=True)
class InsertedSpan:
    """A part of a stored trace the model did not write: ``reasoning[start:end]``.

    The app inserts the wrap-up that forces the answer; the user inserts a hint (Steer).
    Offsets are in characters of the stored trace."""

    start: int
    end: int
    by: Inserter


@dataclass(frozen=True, slots=True)
class Continuation:
    """A stopped reply to go on from (Continue, Steer), as stored.

    ``mode == "thinking"``: the trace is open (or reopened) after ``reasoning``; the
    answer, if any, is dropped; ``hint`` (Steer), when given, is inserted into the trace
    as the user's before thinking goes on. ``mode == "answer"``: the trace is closed
    and generation goes on after ``answer``.
    """

    reasoning: str
    answer: str = ""
    mode: ContinueMode = "thinking"
    hint: str = ""

    def __post_init__(self) -> None:
        if self.mode == "answer" and self.hint:
            raise ValueError("a hint goes into the trace: continue thinking to steer")


# Steer: the user's hint goes into the trace as a paragraph of its own, in the trace's
# voice. "Wait," is how QwQ itself turns to a new consideration, and its traces speak
# of "the user", so the model takes the hint in as something to weigh, then goes on
# thinking after the blank line.
STEER_FORMAT = "\n\nWait, the user adds a hint: {hint}\n\n"
HINT_MAX_CHARS = 20_000  # a hint is a paragraph or two, not a document


def steer_text(hint: str) -> str:
    """The text inserted into the trace for a Steer hint (marked as the user's)."""
    return STEER_FORMAT.format(hint=hint.strip())


def check_hint(hint: str) -> None:
    """A Steer hint must say something, fit in a paragraph or two, and not open or close
    the trace itself ("" is no hint)."""
    if not hint:
        return
    if not hint.strip():
        raise InvalidRequestError(translate("Thinking", "The hint is empty."))
    if len(hint) > HINT_MAX_CHARS:
        raise InvalidRequestError(
            translate(
                "Thinking", "The hint is {length:,} characters; at most {limit:,} fit."
            ).format(length=len(hint), limit=HINT_MAX_CHARS)
        )
    if "<think>" in hint or "</think>" in hint:
        raise InvalidRequestError(
            translate("Thinking", "A hint cannot contain <think> or </think>.")
        )
