"""The engine interface: a local llama.cpp model or a remote OpenAI-compatible endpoint.

The chat session does not care which one it has. ``chat`` checks the request
up front (raising a :class:`~app.core.errors.QwQError` the faces show as one line)
and returns a :class:`Generation`: an iterator of ChatEvents that ends with exactly
one ``GenerationDone``, and that any thread may cancel.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from app.core.events import ChatEvent
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import Continuation, ReasonEnded, ThinkingControl
from app.engine.model_info import ModelInfo


class Generation(Protocol):
    def __iter__(self) -> Iterator[ChatEvent]: ...

    def cancel(self) -> None:
        """Stop as soon as possible; the stream then ends with finish reason "cancelled"."""
        ...

    def close(self) -> None:
        """Abandon the generation and free the engine (reaching the end does this too)."""
        ...

    def force_answer(self, by: ReasonEnded = "user") -> None:
        """Close the trace at the next token and go on into the answer ("answer now").

        Safe from any thread; does nothing once the trace is closed (or where the
        engine cannot do it yet)."""
        ...


class ChatEngine(Protocol):
    @property
    def info(self) -> ModelInfo: ...

    def chat(
        self,
        messages: Sequence[ChatMessage],
        sampling: SamplingSettings,
        thinking: ThinkingControl | None = None,
        continuation: Continuation | None = None,
    ) -> Generation:
        """``continuation``: go on from a stopped reply to the last user message of
        ``messages`` (Continue, Steer). The stream then yields only what is new (a
        Steer hint first, as ``ReasoningDelta(inserted="user")``); ``GenerationDone``'s
        reasoning and answer are the whole reply, the old part included."""
        ...

    @property
    def cannot_continue(self) -> str | None:
        """None when Answer now, Continue and Steer work; else why not, for the window."""
        ...

    def close(self) -> None: ...
