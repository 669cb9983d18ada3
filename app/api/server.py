"""A local OpenAI-compatible server for the loaded model: ``http://127.0.0.1:PORT/v1``.

Other programs (the official ``openai`` client, editors, scripts) talk to QwQ Desktop as
to OpenAI. The reasoning travels in ``reasoning_content`` (as DashScope and DeepSeek
send it): in ``choices[0].delta`` when streaming, in ``message`` when not; the answer
in ``content``.

- ``GET /v1/models``; ``POST /v1/chat/completions``, streaming (Server-Sent Events,
  ``stream_options.include_usage`` adds a last chunk with empty ``choices`` and the
  usage) or not. The body is checked field by field (:mod:`app.api.chat_request`).
- Model names: the loaded model's id, or DashScope's ``qwq-32b``.
- Tools (OpenAI's ``tools``, ``tool_choice``, ``parallel_tool_calls``; checked by
  :mod:`app.api.tool_request`): the model's calls come back as ``tool_calls`` with
  finish reason ``tool_calls``, for the client to run and answer with ``role: "tool"``
  messages. The server never runs a tool, the app's own included.
- A browser-facing service (every page the user opens can send it requests):
  loopback by default, and a keyless server only ever on loopback unless the owner
  says otherwise explicitly; a Host allow-list and an Origin check
  (:mod:`app.api.guard`); JSON bodies only, read under a size limit
  (:mod:`app.api.body`). With an API key every request needs ``Authorization: Bearer
  KEY`` (401 otherwise). No CORS headers unless origins are configured.
- One generation at a time: requests queue (up to ``max_queue``), beyond that 429. A
  reply in the window at the same time gives 503. A client that disconnects, streaming
  or not, stops its generation, and the engine is free before the next request starts
  (:mod:`app.api.turn`).

Starlette + uvicorn serve it (well-kept, small, no HTTP parsing of ours).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, assert_never

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from app.api.body import read_json
from app.api.chat_request import DASHSCOPE_NAME, ChatRequest, parse_message, parse_request
from app.api.errors import ApiError
from app.api.guard import LOOPBACK_NAMES, Guard, HostAllowList
from app.api.limits import ApiLimits
from app.api.turn import EngineTurn
from app.core.errors import EngineBusyError, QwQError
from app.core.events import (
    AnswerDelta,
    GenerationDone,
    ReasoningDelta,
    ToolApprovalNeeded,
    ToolCallRequested,
    ToolCallResult,
)
from app.core.i18n import in_english
from app.core.thinking import LoopAction, ThinkingControl
from app.core.tool_calls import MalformedToolCall, ToolCall
from app.engine import openai_wire as wire
from app.engine.base import ChatEngine

__all__ = ["DASHSCOPE_NAME", "ApiError", "ApiServer", "is_loopback", "model_id", "parse_message"]

log = logging.getLogger(__name__)
LOOPBACK = LOOPBACK_NAMES
GRACEFUL_SHUTDOWN_S = 2  # open streams are cancelled after this, never waited for
EngineProvider = Callable[[], ChatEngine | None]
T = TypeVar("T")


def model_id(engine: ChatEngine) -> str:
    """The loaded model's id: its file name without .gguf (``qwq-32b-q4_k_m``)."""
    return engine.info.path.stem


def is_loopback(host: str) -> bool:
    return host.strip().lower().strip("[]") in LOOPBACK


@dataclass
class _ReturnedCalls:
    """Which of a reply's calls go back to the client, as they come.

    A well-formed call is returned (its index counts the returned ones), unless the
    client asked for one call at most (``parallel_tool_calls: false``) and one went
    already: then it is dropped, text and all. A malformed call goes out as the answer
    text it is, so nothing the model wrote is lost (the client sees what the model
    tried; a tool turn in the app would send the reason back to the model instead)."""

    parallel: bool
    returned: list[ToolCall] = field(default_factory=list)

    def take(self, call: ToolCall | MalformedToolCall) -> ToolCall | str | None:
        if isinstance(call, MalformedToolCall):
            return call.raw
        if self.returned and not self.parallel:
            return None
        self.returned.append(call)
        return call


class ClientGone(Exception):
    """The client closed the connection before its reply was ready."""


class _TurnStream(StreamingResponse):
    """A streamed reply that stops its turn however the response ends (even if the
    body was never iterated because the client had already gone)."""

    def __init__(self, turn: EngineTurn, content: AsyncIterator[str]) -> None:
        super().__init__(
            content,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.turn = turn

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.turn.stop()


@dataclass
class ApiServer:
    engine: EngineProvider
    host: str = "127.0.0.1"
    port: int = 8080
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_queue: int = 4
    allowed_hosts: tuple[str, ...] = ()  # names served besides loopback and the bound one
    allow_remote_without_key: bool = False  # a keyless server off loopback: explicit only
    loop_guard: LoopAction = "answer"  # a trace that repeats itself: answer, stop, or off
    limits: ApiLimits = field(default_factory=ApiLimits)
    _lock: asyncio.Lock | None = field(default=None, init=False)
    _waiting: int = field(default=0, init=False)
    _server: Any = field(default=None, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if not self.api_key and not is_loopback(self.host) and not self.allow_remote_without_key:
            raise QwQError(
                f"Refusing to serve on {self.host} without an API key: anyone who can reach "
                "this machine could use the model. Set an API key (or, knowingly, allow "
                "remote access without one)."
            )

    # --- the app --------------------------------------------------------------------
    def app(self) -> Starlette:
        middleware = [
            Middleware(
                Guard,
                hosts=HostAllowList(self.host, self.allowed_hosts),
                origins=self.cors_origins,
            )
        ]
        if self.cors_origins:
            middleware.append(
                Middleware(
                    CORSMiddleware,
                    allow_origins=list(self.cors_origins),
                    allow_methods=["GET", "POST", "OPTIONS"],
                    allow_headers=["Authorization", "Content-Type"],
                )
            )
        routes = [
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/chat/completions", self.chat_completions, methods=["POST"]),
        ]
        return Starlette(
            routes=routes,
            middleware=middleware,
            exception_handlers={HTTPException: _http_error, Exception: _server_error},
        )

    def _check_key(self, request: Request) -> None:
        if not self.api_key:
            return
        # Header values arrive as latin-1 text: their bytes, compared with the key's
        # UTF-8 bytes, so a non-ASCII key sent as UTF-8 matches.
        raw = request.headers.get("authorization", "").encode("latin-1")
        given = raw.removeprefix(b"Bearer ").strip()
        if not secrets.compare_digest(given, self.api_key.encode("utf-8")):
            raise ApiError(
                401,
                "Incorrect API key provided." if given else "No API key provided.",
                "invalid_request_error",
                "invalid_api_key",
            )

    def _engine(self) -> ChatEngine:
        engine = self.engine()
        if engine is None:
            raise ApiError(
                503, "No model is loaded in QwQ Desktop.", "server_error", "model_not_loaded"
            )
        return engine

    async def models(self, request: Request) -> Response:
        try:
            self._check_key(request)
            engine = self._engine()
        except ApiError as e:
            return e.response()
        created = int(time.time())
        data = [
            {"id": name, "object": "model", "created": created, "owned_by": "qwq-desktop"}
            for name in (model_id(engine), DASHSCOPE_NAME)
        ]
        return JSONResponse({"object": "list", "data": data})

    async def chat_completions(self, request: Request) -> Response:
        try:
            self._check_key(request)
            engine = self._engine()
            body = await read_json(request, self.limits)
            chat = parse_request(
                body,
                (model_id(engine), DASHSCOPE_NAME),
                engine.info.context_length,
                self.limits,
            )
            completion_id = f"chatcmpl-{secrets.token_hex(12)}"
            if chat.stream:
                turn = await _until_disconnect(request, self._prepared_turn(engine, chat))
                return _TurnStream(turn, self._stream(turn, chat, completion_id))
            return await _until_disconnect(request, self._complete(engine, chat, completion_id))
        except ApiError as e:
            return e.response()
        except ClientGone:
            return Response(status_code=499)  # nobody reads it

    # --- one at a time ------------------------------------------------------------------
    async def _enter_queue(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        if self._lock.locked() and self._waiting >= self.max_queue:
            raise ApiError(
                429,
                f"QwQ Desktop answers one request at a time and {self._waiting} are waiting; "
                "retry later.",
                "rate_limit_error",
                "queue_full",
            )
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1

    def _leave(self) -> None:
        if self._lock is not None and self._lock.locked():
            self._lock.release()

    async def _prepared_turn(self, engine: ChatEngine, chat: ChatRequest) -> EngineTurn:
        """Wait for the model, then prepare the reply off the event loop. From
        ``turn.start()`` on, the turn's thread owns the queue slot; whatever goes
        wrong here only has to stop the turn."""
        await self._enter_queue()
        thinking = ThinkingControl(budget_tokens=chat.thinking_budget, loop_guard=self.loop_guard)
        turn = EngineTurn(
            engine,
            chat.messages,
            chat.sampling,
            self._leave,
            thinking,
            tools=chat.tools.tools,
            tool_choice=chat.tools.choice,
        )
        turn.start()  # no await since the slot was taken: nothing can come between
        try:
            await turn.prepared()
        except Exception as e:
            turn.stop()
            raise _engine_error(e) from None
        except BaseException:  # cancelled: the client went away, or the server stops
            turn.stop()
            raise
        return turn

    async def _complete(
        self, engine: ChatEngine, chat: ChatRequest, completion_id: str
    ) -> Response:
        turn = await self._prepared_turn(engine, chat)
        done = None
        calls = _ReturnedCalls(chat.tools.parallel)
        content: list[str] = []  # the answer, with malformed calls' text where they were
        try:
            async for event in turn.events():
                match event:
                    case AnswerDelta():
                        content.append(event.text)
                    case ToolCallRequested():
                        taken = calls.take(event.call)
                        if isinstance(taken, str):
                            content.append(taken)
                    case ReasoningDelta() | ToolApprovalNeeded() | ToolCallResult():
                        pass  # the trace comes with GenerationDone; the API runs no tools
                    case GenerationDone():
                        done = event
                    case _:
                        assert_never(event)
        except Exception as e:
            raise _engine_error(e) from None
        finally:
            turn.stop()  # a client gone, or anything else: the reply stops
        if done is None:
            raise ApiError(500, "The generation ended without a result.", "server_error")
        return JSONResponse(
            wire.completion(
                completion_id,
                int(time.time()),
                chat.model,
                done,
                content="".join(content),
                tool_calls=calls.returned,
            )
        )

    async def _stream(
        self, turn: EngineTurn, chat: ChatRequest, completion_id: str
    ) -> AsyncIterator[str]:
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            body = wire.chunk(completion_id, created, chat.model, delta, finish)
            return wire.sse(body, ensure_ascii=False)

        def error(message: str) -> str:
            return wire.sse(wire.error_chunk(message))

        calls = _ReturnedCalls(chat.tools.parallel)
        try:
            yield chunk({"role": "assistant", "content": ""})
            async for event in turn.events():
                match event:
                    case ReasoningDelta() | AnswerDelta():
                        yield chunk(wire.delta(event))
                    case ToolCallRequested():
                        taken = calls.take(event.call)
                        if isinstance(taken, str):
                            yield chunk({"content": taken})
                        elif taken is not None:
                            index = len(calls.returned) - 1
                            yield chunk(wire.tool_call_delta(taken, index))
                    case ToolApprovalNeeded() | ToolCallResult():
                        pass  # never from an engine: the API runs no tools
                    case GenerationDone():
                        if event.finish_reason == "error":
                            yield error(event.error or "generation failed")
                        yield chunk({}, wire.finish_reason(event))
                        if chat.include_usage:
                            usage = wire.usage_chunk(
                                completion_id, created, chat.model, event.stats
                            )
                            yield wire.sse(usage)
                    case _:
                        assert_never(event)
        except Exception as e:  # the headers are sent: the error goes in the stream
            log.warning("API generation failed: %r", e)
            yield error(f"The generation failed: {type(e).__name__}")
        finally:
            turn.stop()
        yield wire.sse(wire.DONE)

    # --- running --------------------------------------------------------------------------
    def _config(self) -> Any:
        import uvicorn

        return uvicorn.Config(
            self.app(),
            host=self.host,
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )

    def start(self) -> None:
        """Serve on a background thread (the window's toggle); returns once listening."""
        import uvicorn

        self._server = uvicorn.Server(self._config())
        # Its clients read English, whatever language the window is in: the server's loop,
        # its tasks and the turns' threads (which copy its context) all run in English.
        serve = in_english(self._server.run)
        self._thread = threading.Thread(target=serve, name="api-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise QwQError(
                    f"The API server could not listen on {self.host}:{self.port} (is the port "
                    "in use?)."
                )
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    def run_forever(self) -> None:
        """Serve in the foreground (``qwq-desktop serve``) until Ctrl+C or SIGTERM; open
        requests are cancelled after a short grace, never waited for."""
        import uvicorn

        uvicorn.Server(self._config()).run()


async def _until_disconnect(request: Request, work: Awaitable[T]) -> T:
    """``work``'s result, or :class:`ClientGone` (with ``work`` cancelled) as soon as the
    client closes the connection. The body must have been read already."""
    task = asyncio.ensure_future(work)

    async def gone() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(gone())
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not task.done():
            task.cancel()
        watcher.cancel()
    if task.done() and not task.cancelled():
        return task.result()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task  # its finally blocks run: the turn stops
    raise ClientGone


def _engine_error(e: Exception) -> ApiError:
    """What an exception from the engine means for the client; never lost, never a hang."""
    if isinstance(e, ApiError):
        return e
    if isinstance(e, EngineBusyError):
        return ApiError(
            503,
            "The model is busy with a reply in the window; try again shortly.",
            "server_error",
            "model_busy",
        )
    if isinstance(e, QwQError):
        return ApiError(400, str(e), "invalid_request_error")
    if isinstance(e, UnicodeError):
        return ApiError(400, "The messages are not valid Unicode text.", "invalid_request_error")
    log.exception("API request failed", exc_info=e)
    return ApiError(500, f"The model failed on this request ({type(e).__name__}).", "server_error")


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Internal error"
    return ApiError(status, str(detail), "invalid_request_error").response()


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("API request failed", exc_info=exc)
    return ApiError(500, "The server failed on this request.", "server_error").response()
