"""A local OpenAI-compatible server for the loaded model: ``http://127.0.0.1:PORT/v1``.

Other programs (the official ``openai`` client, editors, scripts) talk to QwQ Desktop as
to OpenAI. The reasoning travels in ``reasoning_content`` (as DashScope and DeepSeek
send it): in ``choices[0].delta`` when streaming, in ``message`` when not; the answer
in ``content``.

- ``GET /v1/models``; ``POST /v1/chat/completions``, streaming (Server-Sent Events,
  ``stream_options.include_usage`` adds a last chunk with empty ``choices`` and the
  usage) or not. Sampling fields map onto the engine's; ``top_k``, ``min_p`` and
  ``repeat_penalty`` are accepted as llama.cpp's server accepts them; fields that
  change the response's shape and that we cannot honour (``n`` > 1, ``tools``,
  ``logprobs``, JSON ``response_format``) are refused with 400, as OpenAI refuses
  invalid requests; the rest (``user``, ``metadata``...) are ignored.
- Model names: the loaded model's id, or DashScope's ``qwq-32b``.
- Loopback by default. With an API key every request needs ``Authorization: Bearer
  KEY`` (401 otherwise). No CORS headers unless origins are configured.
- One generation at a time: requests queue (up to ``max_queue``), beyond that 429. A
  reply in the window at the same time gives 503. A client that disconnects mid-stream
  stops its generation.

Starlette + uvicorn serve it (well-kept, small, no HTTP parsing of ours); the engine's
blocking event stream runs on a worker thread and reaches the event loop through a
queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.core.errors import EngineBusyError, QwQError
from app.core.events import AnswerDelta, ChatEvent, GenerationDone, ReasoningDelta
from app.core.messages import ChatMessage, Role
from app.core.sampling import SamplingSettings
from app.engine.base import ChatEngine, Generation

log = logging.getLogger(__name__)
DASHSCOPE_NAME = "qwq-32b"
LOOPBACK = ("127.0.0.1", "::1", "localhost")
REFUSED_FIELDS = {
    "tools": "tools are not supported by QwQ Desktop's server",
    "functions": "functions are not supported by QwQ Desktop's server",
    "logprobs": "logprobs are not supported by QwQ Desktop's server",
    "audio": "audio output is not supported",
}
EngineProvider = Callable[[], ChatEngine | None]


class ApiError(Exception):
    def __init__(self, status: int, message: str, kind: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.code = status, kind, code

    def response(self) -> JSONResponse:
        body = {
            "error": {"message": str(self), "type": self.kind, "param": None, "code": self.code}
        }
        headers = {"Retry-After": "5"} if self.status in (429, 503) else None
        return JSONResponse(body, status_code=self.status, headers=headers)


def model_id(engine: ChatEngine) -> str:
    """The loaded model's id: its file name without .gguf (``qwq-32b-q4_k_m``)."""
    return engine.info.path.stem


@dataclass
class ChatRequest:
    messages: list[ChatMessage]
    sampling: SamplingSettings
    stream: bool
    include_usage: bool
    model: str


def parse_request(body: Any, engine: ChatEngine) -> ChatRequest:
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.", "invalid_request_error")
    model = body.get("model")
    if model not in (model_id(engine), DASHSCOPE_NAME):
        raise ApiError(
            404,
            f"The model '{model}' does not exist. Available: {model_id(engine)}, {DASHSCOPE_NAME}.",
            "invalid_request_error",
            "model_not_found",
        )
    for name, why in REFUSED_FIELDS.items():
        if body.get(name):
            raise ApiError(
                400, f"'{name}': {why}.", "invalid_request_error", "unsupported_parameter"
            )
    if body.get("n", 1) != 1:
        raise ApiError(400, "'n' must be 1.", "invalid_request_error", "unsupported_parameter")
    fmt = body.get("response_format") or {}
    if isinstance(fmt, dict) and fmt.get("type") not in (None, "text"):
        raise ApiError(400, "Only 'text' response_format is supported.", "invalid_request_error")
    messages = [parse_message(m, i) for i, m in enumerate(body.get("messages") or [])]
    if not messages:
        raise ApiError(400, "'messages' must be a non-empty array.", "invalid_request_error")
    stream_options = body.get("stream_options") or {}
    return ChatRequest(
        messages=messages,
        sampling=parse_sampling(body),
        stream=bool(body.get("stream", False)),
        include_usage=bool(
            isinstance(stream_options, dict) and stream_options.get("include_usage")
        ),
        model=str(model),
    )


def parse_message(raw: Any, index: int) -> ChatMessage:
    if not isinstance(raw, dict) or raw.get("role") not in (
        "system",
        "developer",
        "user",
        "assistant",
    ):
        raise ApiError(
            400,
            f"messages[{index}] needs a role of system, developer, user or assistant.",
            "invalid_request_error",
        )
    content = raw.get("content") or ""
    if isinstance(content, list):  # content parts: text only
        texts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise ApiError(
                    400,
                    f"messages[{index}]: only text content is supported.",
                    "invalid_request_error",
                )
            texts.append(str(part.get("text", "")))
        content = "".join(texts)
    if not isinstance(content, str):
        raise ApiError(400, f"messages[{index}].content must be text.", "invalid_request_error")
    role: Role = "system" if raw["role"] in ("system", "developer") else raw["role"]
    if role == "assistant" and "</think>" in content:
        # Answers only go back to the model: drop a trace a client kept in the content
        # (what QwQ's own chat template does with such a message).
        content = content.split("</think>")[-1].lstrip("\n")
    return ChatMessage(role, content)


def parse_sampling(body: dict[str, Any]) -> SamplingSettings:
    """The request's sampling fields over the model card's defaults."""
    fields: dict[str, Any] = {}
    names = {
        "temperature": float,
        "top_p": float,
        "top_k": int,
        "min_p": float,
        "presence_penalty": float,
        "frequency_penalty": float,
        "repeat_penalty": float,
        "seed": int,
    }
    for name, kind in names.items():
        if body.get(name) is not None:
            try:
                fields[name] = kind(body[name])
            except (TypeError, ValueError):
                raise ApiError(
                    400, f"'{name}' must be a number.", "invalid_request_error"
                ) from None
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    if limit is not None:
        if not isinstance(limit, int) or limit < 1:
            raise ApiError(400, "'max_tokens' must be a positive integer.", "invalid_request_error")
        fields["max_tokens"] = limit
    try:
        return SamplingSettings(**fields)
    except (ValueError, QwQError) as e:
        raise ApiError(400, str(e), "invalid_request_error") from None


@dataclass
class ApiServer:
    engine: EngineProvider
    host: str = "127.0.0.1"
    port: int = 8080
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_queue: int = 4
    _lock: asyncio.Lock | None = field(default=None, init=False)
    _waiting: int = field(default=0, init=False)
    _server: Any = field(default=None, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    # --- the app --------------------------------------------------------------------
    def app(self) -> Starlette:
        middleware = []
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
        return Starlette(routes=routes, middleware=middleware)

    def _check_key(self, request: Request) -> None:
        if not self.api_key:
            return
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given.encode(), self.api_key.encode()):
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
            try:
                body = await request.json()
            except (ValueError, UnicodeDecodeError):
                raise ApiError(
                    400, "The request body is not valid JSON.", "invalid_request_error"
                ) from None
            chat = parse_request(body, engine)
            await self._enter_queue()
        except ApiError as e:
            return e.response()
        try:
            generation = engine.chat(chat.messages, chat.sampling)
        except EngineBusyError:
            self._leave()
            return ApiError(
                503, "The model is busy with a reply in the window; try again shortly.",
                "server_error", "model_busy",
            ).response()  # fmt: skip
        except QwQError as e:
            self._leave()
            return ApiError(400, str(e), "invalid_request_error").response()
        completion_id = f"chatcmpl-{secrets.token_hex(12)}"
        if chat.stream:
            return StreamingResponse(
                self._stream(generation, chat, completion_id),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        try:
            done = await self._collect(generation)
        finally:
            self._leave()
        message: dict[str, Any] = {"role": "assistant", "content": done.answer}
        if done.reasoning:
            message["reasoning_content"] = done.reasoning
        return JSONResponse(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": chat.model,
                "choices": [{"index": 0, "message": message, "finish_reason": _finish(done)}],
                "usage": _usage(done),
            }
        )

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

    # --- the engine's events, off the event loop ---------------------------------------
    async def _events(self, generation: Generation) -> AsyncGenerator[ChatEvent, None]:
        """The generation's events, iterated on a worker thread; cancelled when the
        consumer stops (a client that went away)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[ChatEvent | BaseException | None] = asyncio.Queue()

        def pump() -> None:
            try:
                for event in generation:
                    loop.call_soon_threadsafe(queue.put_nowait, event)
            except BaseException as e:  # handed to the event loop
                loop.call_soon_threadsafe(queue.put_nowait, e)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, None)

        worker = threading.Thread(target=pump, name="api-generation", daemon=True)
        worker.start()
        finished = False
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
            finished = True
        finally:
            if not finished:
                generation.cancel()
            await asyncio.to_thread(worker.join)
            generation.close()

    async def _collect(self, generation: Generation) -> GenerationDone:
        done = None
        async with contextlib.aclosing(self._events(generation)) as events:
            async for event in events:  # to the end: the engine is free after
                if isinstance(event, GenerationDone):
                    done = event
        if done is None:
            raise ApiError(500, "The generation ended without a result.", "server_error")
        return done

    async def _stream(
        self, generation: Generation, chat: ChatRequest, completion_id: str
    ) -> AsyncIterator[str]:
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
            body = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": chat.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

        try:
            yield chunk({"role": "assistant", "content": ""})
            # Closed here, before the finally below frees the queue: a client that went
            # away must leave the engine free (generation cancelled and joined) first.
            async with contextlib.aclosing(self._events(generation)) as events:
                async for event in events:
                    if isinstance(event, ReasoningDelta):
                        yield chunk({"reasoning_content": event.text})
                    elif isinstance(event, AnswerDelta):
                        yield chunk({"content": event.text})
                    elif isinstance(event, GenerationDone):
                        if event.finish_reason == "error":
                            error = {
                                "message": event.error or "generation failed",
                                "type": "server_error",
                            }
                            yield f"data: {json.dumps({'error': error})}\n\n"
                        yield chunk({}, _finish(event))
                        if chat.include_usage:
                            usage = {
                                "id": completion_id,
                                "object": "chat.completion.chunk",
                                "created": created,
                                "model": chat.model,
                                "choices": [],
                                "usage": _usage(event),
                            }
                            yield f"data: {json.dumps(usage)}\n\n"
            yield "data: [DONE]\n\n"
        finally:
            self._leave()

    # --- running --------------------------------------------------------------------------
    def start(self) -> None:
        """Serve on a background thread (the window's toggle); returns once listening."""
        import uvicorn

        config = uvicorn.Config(
            self.app(),
            host=self.host,
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=2,  # a stream still open is cancelled, not waited for
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="api-server", daemon=True)
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
        """Serve in the foreground (``qwq-desktop serve``) until Ctrl+C."""
        import uvicorn

        uvicorn.run(self.app(), host=self.host, port=self.port, log_level="warning", lifespan="off")


def _finish(done: GenerationDone) -> str:
    return {"stop": "stop", "length": "length", "cancelled": "stop", "error": "stop"}[
        done.finish_reason
    ]


def _usage(done: GenerationDone) -> dict[str, Any]:
    s = done.stats
    return {
        "prompt_tokens": s.prompt_tokens,
        "completion_tokens": s.generated_tokens,
        "total_tokens": s.prompt_tokens + s.generated_tokens,
        "prompt_tokens_details": {"cached_tokens": s.prompt_tokens_cached},
        "completion_tokens_details": {"reasoning_tokens": s.reasoning_tokens},
    }


def is_loopback(host: str) -> bool:
    return host in LOOPBACK
