"""Chat messages as the core sees them: the answer and its reasoning kept apart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str  # for an assistant: the answer only
    reasoning: str = ""  # an assistant's trace; never sent back to the model

    @staticmethod
    def system(text: str) -> ChatMessage:
        return ChatMessage("system", text)

    @staticmethod
    def user(text: str) -> ChatMessage:
        return ChatMessage("user", text)

    @staticmethod
    def assistant(answer: str, reasoning: str = "") -> ChatMessage:
        return ChatMessage("assistant", answer, reasoning)
