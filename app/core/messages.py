"""Chat messages as the core sees them: the answer and its reasoning kept apart.

A reply that calls tools is an assistant message with ``tool_calls`` (its ``content`` the
answer text around them), and each result a ``"tool"`` message naming the call it
answers; chat templates render both (QwQ's: ``<tool_call>`` in the assistant turn,
``<tool_response>`` in a user turn)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.core.tool_calls import ToolCall

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str  # for an assistant: the answer only; for a tool: its result
    reasoning: str = ""  # an assistant's trace; never sent back to the model
    tool_calls: tuple[ToolCall, ...] = ()  # an assistant's calls, in the order written
    tool_call_id: str = ""  # a tool result: the id of the call it answers

    @staticmethod
    def system(text: str) -> ChatMessage:
        return ChatMessage("system", text)

    @staticmethod
    def user(text: str) -> ChatMessage:
        return ChatMessage("user", text)

    @staticmethod
    def assistant(
        answer: str, reasoning: str = "", tool_calls: tuple[ToolCall, ...] = ()
    ) -> ChatMessage:
        return ChatMessage("assistant", answer, reasoning, tool_calls)

    @staticmethod
    def tool(call_id: str, result: str) -> ChatMessage:
        """A tool's result (or its error, in words the model can act on)."""
        return ChatMessage("tool", result, tool_call_id=call_id)
