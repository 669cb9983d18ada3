"""A reply being written, as its message widget counts it, and a batch of events read.

The counters (trace tokens, the thinking clock, whether the answer began, whether the
user asked for it) live with the widget that shows the reply, not with the window: a
reply goes on when its conversation leaves the screen, and shows again with them.
Reading a batch is plain data, kept apart from the widget so that it is easy to test and
so that a new event kind is a type error here (``assert_never``) until it is handled.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import assert_never

from app.core.events import (
    AnswerDelta,
    ChatEvent,
    GenerationDone,
    ReasoningDelta,
    ToolApprovalNeeded,
    ToolCallRequested,
    ToolCallResult,
)
from app.core.thinking import Inserter


@dataclass
class ReplyStream:
    """What a reply being generated has done so far (on screen or not)."""

    started: float = field(default_factory=time.monotonic)
    reasoning_tokens: int = 0
    answer_parts: list[str] = field(default_factory=list)
    thinking_started: float | None = None  # the thinking clock (None: no trace yet)
    answer_started: bool = False
    answer_asked: bool = False  # "Answer now" was pressed
    done: bool = False  # GenerationDone arrived

    @property
    def thinking(self) -> bool:
        """The reply is in its trace (Answer now can close it)."""
        return self.thinking_started is not None and not self.answer_started and not self.done

    @property
    def produced(self) -> int:
        """Tokens so far, as the speed shown while it streams counts them."""
        return self.reasoning_tokens + len(self.answer_parts)


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch of events from the worker, grouped for the screen."""

    reasoning: list[tuple[str, Inserter | None]]  # runs of trace text, by the same writer
    reasoning_tokens: int  # trace deltas in the batch
    answer: list[str]  # answer pieces, in order
    done: GenerationDone | None  # the end of the reply, if it came


def read_batch(events: Sequence[ChatEvent]) -> Batch:
    """Group a batch: consecutive trace text by the same writer becomes one run (one
    append to the trace view instead of one per token)."""
    reasoning: list[tuple[str, Inserter | None]] = []
    tokens = 0
    answer: list[str] = []
    done: GenerationDone | None = None
    for event in events:
        match event:
            case ReasoningDelta(text=text, inserted=by):
                if reasoning and reasoning[-1][1] == by:
                    reasoning[-1] = (reasoning[-1][0] + text, by)
                else:
                    reasoning.append((text, by))
                tokens += 1
            case AnswerDelta(text=text):
                answer.append(text)
            case GenerationDone():
                done = event
            case ToolCallRequested() | ToolApprovalNeeded() | ToolCallResult():
                pass  # the message takes these itself, where they happened (chat_view)
            case _:
                assert_never(event)
    return Batch(reasoning, tokens, answer, done)


@dataclass(frozen=True, slots=True)
class Taken:
    """What a batch did to a reply, for the parts of the window around the message."""

    done: GenerationDone | None
    tokens_per_second: float | None  # the speed now (the reply's own once done); None: unknown
