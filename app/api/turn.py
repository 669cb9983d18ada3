"""One request's turn at the engine, run on a thread of its own.

That thread is the one owner of the turn: a single ``try/finally`` prepares the reply
(``engine.chat``: render, tokenize, trim, all off the event loop), runs it, and then,
whatever happened (an exception of any type, a cancel from a client that went away),
closes the generation, which frees the engine, and only after that releases the
request's place in the queue. So the next queued request always finds the engine free,
and no exception can leave the queue held.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import AsyncIterator, Callable
from typing import Final, assert_never

from app.core.events import (
    AnswerDelta,
    ChatEvent,
    GenerationDone,
    ReasoningDelta,
    ToolApprovalNeeded,
    ToolCallRequested,
    ToolCallResult,
)
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import ThinkingControl
from app.core.tool_calls import AUTO, ToolChoice, ToolSpec
from app.engine.base import ChatEngine, Generation

_PREPARED: Final = "prepared"
_END: Final = "end"
Item = ChatEvent | BaseException | str


class EngineTurn:
    def __init__(
        self,
        engine: ChatEngine,
        messages: list[ChatMessage],
        sampling: SamplingSettings,
        release: Callable[[], None],
        thinking: ThinkingControl | None = None,
        tools: tuple[ToolSpec, ...] = (),
        tool_choice: ToolChoice = AUTO,
    ) -> None:
        self._engine, self._messages, self._sampling = engine, messages, sampling
        self._thinking = thinking
        self._tools, self._tool_choice = tools, tool_choice  # offered, never run here
        self._release = release  # called on the event loop once the engine is free
        self._loop = asyncio.get_running_loop()
        self._items: asyncio.Queue[Item] = asyncio.Queue()
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        self._stopped = False
        self._live = True  # until GenerationDone: a cancel may only reach our own reply
        # The request's context goes with it (English for the API's clients: core.i18n).
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._run,), name="api-turn", daemon=True
        )

    def start(self) -> None:
        """Start the thread; from now on it owns the queue slot (released on any outcome)."""
        try:
            self._thread.start()
        except BaseException:
            self._release()
            raise

    # -- the thread ----------------------------------------------------------------------
    def _put(self, item: Item) -> None:
        with contextlib.suppress(RuntimeError):  # the event loop is gone: nobody listens
            self._loop.call_soon_threadsafe(self._items.put_nowait, item)

    def _run(self) -> None:
        generation: Generation | None = None
        try:
            generation = self._engine.chat(
                self._messages,
                self._sampling,
                self._thinking,
                tools=self._tools,
                tool_choice=self._tool_choice,
            )
            with self._lock:
                self._generation = generation
                if self._stopped:
                    generation.cancel()
            self._put(_PREPARED)
            for event in generation:
                match event:
                    case (
                        ReasoningDelta()
                        | AnswerDelta()
                        | ToolCallRequested()
                        | ToolApprovalNeeded()
                        | ToolCallResult()
                    ):
                        pass
                    case GenerationDone():  # the reply is over: a cancel is someone else's
                        with self._lock:
                            self._live = False
                    case _:
                        assert_never(event)
                self._put(event)
        except BaseException as e:  # handed to the event loop, whatever its type
            self._put(e)
        finally:
            with self._lock:
                self._live = False
            try:
                if generation is not None:
                    generation.close()  # the engine is free after this
            finally:
                self._put(_END)
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(self._release)

    # -- the event loop ----------------------------------------------------------------------
    def stop(self) -> None:
        """Cancel the reply (safe at any time, also after it ended)."""
        with self._lock:
            self._stopped = True
            if self._live and self._generation is not None:
                self._generation.cancel()

    async def prepared(self) -> None:
        """Once the prompt is ready and the reply starts; raises what ``engine.chat`` raised."""
        item = await self._items.get()
        if isinstance(item, BaseException):
            raise item
        assert item == _PREPARED, item

    async def events(self) -> AsyncIterator[ChatEvent]:
        """The reply's events; raises what the generation raised."""
        while (item := await self._items.get()) != _END:
            if isinstance(item, BaseException):
                raise item
            if not isinstance(item, str):
                yield item
