"""A reply that used tools, as kept: its rounds before the last, each with its calls.

A tool turn is think → call → result → think → … → answer. The stored assistant message
keeps the LAST round in its own fields (trace, answer), as any reply, and the rounds
before it as :class:`ToolRound` records: the round's trace and answer text, and each call
(:class:`ToolUse`) with what it gave the model and how it came to run. Every round's
thinking is kept and shown; what goes back to the model follows its template's rule
(:func:`round_history`: the answers and calls, never the thinking).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from app.core.events import Approval
from app.core.messages import ChatMessage
from app.core.tool_calls import MalformedToolCall, ToolCall

NOT_RUN = "Error: This call was not run."  # a call left when the turn stopped (the model reads it)


@dataclass(frozen=True, slots=True)
class ToolUse:
    """One call the model wrote and what became of it.

    ``error``: a malformed call's reason (it never ran: the reason went back to the
    model); ``result``: the text the model got (an error starts "Error: "), None when
    it never ran (the turn was stopped first, or its round limit was reached)."""

    id: str
    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    raw: str = ""
    error: str = ""
    result: str | None = None
    ok: bool = False
    seconds: float = 0.0
    approval: Approval = "not needed"

    @staticmethod
    def of(call: ToolCall | MalformedToolCall) -> ToolUse:
        if isinstance(call, MalformedToolCall):
            return ToolUse(call.id, "", {}, call.raw, error=call.reason)
        return ToolUse(call.id, call.name, dict(call.arguments), call.raw)

    @property
    def call(self) -> ToolCall | None:
        """The call as the template renders it; None for a malformed one."""
        return None if self.error else ToolCall(self.id, self.name, self.arguments, self.raw)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "arguments": dict(self.arguments),
            "raw": self.raw,
            "error": self.error,
            "result": self.result,
            "ok": self.ok,
            "seconds": self.seconds,
            "approval": self.approval,
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> ToolUse:
        """From :meth:`to_json`'s shape, already checked (``app.store.validate``)."""
        return ToolUse(
            id=data["id"],
            name=data["name"],
            arguments=data["arguments"],
            raw=data["raw"],
            error=data["error"],
            result=data["result"],
            ok=data["ok"],
            seconds=data["seconds"],
            approval=cast(Approval, data["approval"]),
        )


@dataclass(frozen=True, slots=True)
class ToolRound:
    """A round that ended in calls: its trace, its answer text (the calls taken out of
    it), and the calls in the order written."""

    reasoning: str
    answer: str
    calls: tuple[ToolUse, ...]
    reasoning_tokens: int = 0  # the round's trace, as streamed (deltas)
    thinking_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "reasoning": self.reasoning,
            "answer": self.answer,
            "calls": [c.to_json() for c in self.calls],
            "reasoning_tokens": self.reasoning_tokens,
            "thinking_seconds": self.thinking_seconds,
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> ToolRound:
        return ToolRound(
            data["reasoning"],
            data["answer"],
            tuple(ToolUse.from_json(c) for c in data["calls"]),
            data.get("reasoning_tokens", 0),
            data.get("thinking_seconds", 0.0),
        )


def rounds_json(rounds: Sequence[ToolRound]) -> str:
    return json.dumps([r.to_json() for r in rounds], ensure_ascii=False)


def round_history(r: ToolRound) -> list[ChatMessage]:
    """What the model is sent for a round: its answer and calls (a malformed call as the
    text it wrote, so the model sees its mistake beside the error), then a result for
    every call. The trace stays out, as QwQ's template asks."""
    malformed = "".join(c.raw for c in r.calls if c.error)
    calls = tuple(call for c in r.calls if (call := c.call) is not None)
    history = [ChatMessage.assistant(r.answer + malformed, tool_calls=calls)]
    for c in r.calls:
        text = c.result if c.result is not None else (f"Error: {c.error}" if c.error else NOT_RUN)
        history.append(ChatMessage.tool(c.id, text))
    return history
