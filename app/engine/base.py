"""The engine interface: a local llama.cpp model or a remote OpenAI-compatible endpoint.

The chat session does not care which one it has. ``chat`` checks the request
up front (raising a :class:`~app.core.errors.QwQError` the faces show as one line)
and returns a :class:`Generation`: an iterator of ChatEvents that ends with exactly
one ``GenerationDone``, and that any thread may cancel. Both engines build theirs on
:mod:`app.engine.stream` (the request check, iteration and close, the stats and the
final event), so each writes only how its text is produced.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from app.core.events import ChatEvent
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import Continuation, ReasonEnded, ThinkingControl
from app.core.tool_calls import AUTO, ToolChoice, ToolSpec
from app.engine.model_info import ModelInfo


class Generation(Protocol):
    def __iter__(self) -> Iterator[ChatEvent]: ...

    def cancel(self) -> None:
        """Stop as soon as possible; the stream then ends with finish reason "cancelled"."""
        ...

    def close(self) -> None:
        """Abandon the generation and free the engine (reaching the end does this too)."""
        ...

    @property
    def prompt_size(self) -> int | None:
        """Tokens in the context before the first new one, if known before the end."""
        ...

    def force_answer(self, by: ReasonEnded = "user") -> None:
        """Close the trace at the next token and go on into the answer ("answer now").

        Safe from any thread; does nothing once the trace is closed (or where the
        engine cannot do it yet)."""
        ...


@dataclass(frozen=True, slots=True)
class PrewarmResult:
    kept: int  # tokens of the cache that were already right
    evaluated: int  # tokens evaluated now
    cancelled: bool  # a chat() (or cancel) cut it short


class KVCache(Protocol):
    """A model's KV cache that outlives a reply: re-warmed after it, saved to disk and
    restored (app/keep_warm.py, app/engine/kv_snapshots.py). A local llama.cpp model
    has one; a remote endpoint has none."""

    @property
    def cached_tokens(self) -> int: ...

    @property
    def state_key(self) -> dict[str, str | int]:
        """What a saved state is valid for (model file, context, KV type, build)."""
        ...

    def state_size(self) -> int:
        """The bytes a save would write now (0: cannot tell)."""
        ...

    def prewarm(
        self, messages: Sequence[ChatMessage], wait: float = 2.0, tools: Sequence[ToolSpec] = ()
    ) -> PrewarmResult: ...

    def save_state(self, path: Path, wait: float = 2.0) -> int: ...

    def load_state(self, path: Path, wait: float = 2.0) -> int: ...

    def cancel(self) -> None:
        """Cut a prewarm (or a reply) short; safe from any thread."""
        ...


class ChatEngine(Protocol):
    @property
    def info(self) -> ModelInfo: ...

    @property
    def description(self) -> str:
        """One line on what runs where, for the status bar and the CLI (e.g. "QwQ-32B ·
        32.8B · Q4_K_M · CUDA, 65/65 layers on the GPU", or the remote model's name)."""
        ...

    @property
    def model_file(self) -> Path | None:
        """The GGUF file it runs, remembered for the next start; None for an endpoint."""
        ...

    @property
    def kv_cache(self) -> KVCache | None:
        """The cache to keep warm between replies, or None (a remote endpoint)."""
        ...

    def cancel(self) -> None:
        """Cut short whatever it is running (a reply, a prewarm); safe from any thread."""
        ...

    def chat(
        self,
        messages: Sequence[ChatMessage],
        sampling: SamplingSettings,
        thinking: ThinkingControl | None = None,
        continuation: Continuation | None = None,
        tools: Sequence[ToolSpec] = (),
        tool_choice: ToolChoice = AUTO,
    ) -> Generation:
        """``tools``: what the model may call; the answer's calls then come out as
        ``ToolCallRequested`` events and the generation ends with finish reason
        "tool_calls" (running them is the caller's: :mod:`app.tool_turn`, or the API's
        client). ``messages`` may then end with the calls' results ("tool" messages).
        ``tool_choice``: whether it must call (see :class:`ToolChoice`; "none" offers
        no tools; a choice the tools cannot meet is an ``InvalidRequestError``).

        ``continuation``: go on from a stopped reply to the last user message of
        ``messages`` (Continue, Steer). The stream then yields only what is new (a
        Steer hint first, as ``ReasoningDelta(inserted="user")``); ``GenerationDone``'s
        reasoning and answer are the whole reply, the old part included."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in a prompt (exact for a local model; an estimate for an
        endpoint, whose tokenizer the app does not have)."""
        ...

    @property
    def cannot_continue(self) -> str | None:
        """None when Answer now, Continue and Steer work; else why not, for the window."""
        ...

    def close(self) -> None: ...
