"""QwQ on an OpenAI-compatible endpoint: DashScope, vLLM, llama.cpp's llama-server, others.

A :class:`RemoteEngine` is a :class:`~app.engine.base.ChatEngine` like the local one: ``chat``
returns a :class:`RemoteGeneration` that yields the same ChatEvents, can be cancelled from
any thread, and always ends with one ``GenerationDone``.

The HTTP client: httpx2, directly (not the ``openai`` package)
    - Stop must cut the stream at once, even while a read is blocked waiting for the
      server (a long prompt, a queue, a stalled stream). That takes the request's socket:
      httpcore2's per-request ``trace`` extension hands it over when the connection opens,
      and :meth:`RemoteGeneration.cancel` shuts it down from any thread. The ``openai``
      client builds its requests itself and passes no per-request extensions through.
    - The messages need the raw response: the status, ``Retry-After``, the error body, and
      which bytes arrived before a drop. The ``openai`` client turns these into its own
      exceptions, retries 429 and 5xx on its own (``max_retries=2``), and its typed chunks
      do not declare ``reasoning_content``/``reasoning``.
    - httpx2 is already installed as huggingface-hub's HTTP client (and the ``openai``
      3.x line runs on it too, while its 1.x line runs on httpx): one HTTP stack.
    Each reply opens its own connection (no keep-alive), so the socket Stop shuts down is
    always that reply's own, at any stage: connecting, waiting for headers, streaming.

The request
    ``stream: true`` with ``stream_options.include_usage`` (DashScope's qwq-32b only
    answers streaming requests: docs.qwencloud.com/resources/faq-text-generation, "QwQ and
    QVQ are streaming-only"). The history carries answers only: an assistant message is its
    answer, never its reasoning, as the QwQ-32B model card asks ("historical outputs should
    include only the final output"). Sampling: ``temperature``, ``top_p``,
    ``presence_penalty``, ``frequency_penalty``, ``max_tokens`` and ``seed`` are OpenAI's;
    ``top_k``, ``min_p`` and the repetition penalty are extensions, sent at the top level
    (what the ``openai`` client's ``extra_body`` does): vLLM reads ``top_k``, ``min_p`` and
    ``repetition_penalty`` ("Extra Parameters for Chat API", docs.vllm.ai serving/
    openai_compatible_server), llama-server reads its ``/completion`` names ``top_k``,
    ``min_p`` and ``repeat_penalty`` on ``/v1/chat/completions`` (tools/server/README.md),
    DashScope ignores what it does not know. ``min_p`` is always sent because llama-server's
    default is 0.05 and the model card asks for 0. ``extra_sampling=False`` sends OpenAI's
    fields only, for strict endpoints that reject unknown ones.

The reasoning, shown the same however it arrives
    - In its own field: ``delta.reasoning_content`` (DashScope: "first reasoning_content,
      then content"; DeepSeek; vLLM with ``--reasoning-parser deepseek_r1``, docs.vllm.ai
      features/reasoning_outputs; llama-server with ``--reasoning-format deepseek``, its
      default ``auto`` does the same for QwQ) or ``delta.reasoning`` (vLLM's newer name:
      "reasoning used to be called reasoning_content", docs.vllm.ai v0.11.2). It goes
      straight to ReasoningDelta, with the splitter's whitespace rules (leading whitespace
      of the trace dropped, trailing whitespace before the end trimmed); the content is the
      answer, and a ``<think>`` block inside it repeats the field (llama-server's
      ``deepseek-legacy`` "keeps <think> tags in message.content while also populating
      message.reasoning_content") and is dropped.
    - As ``<think>…</think>`` in ``delta.content`` (a server without a parser, llama-server
      with ``--reasoning-format none``): through :class:`~app.core.reasoning.ReasoningSplitter`.
    - QwQ's template opens ``<think>`` in the prompt, so a server without a parser streams
      content that starts inside the reasoning and only closes it. ``starts_in_reasoning``
      says so: True (untagged content is reasoning until ``</think>``), False (it is the
      answer), or None, the default, to find out: content that opens with neither the field
      nor ``<think>`` is held back until ``</think>`` shows it was reasoning, or the model's
      own end shows it was an answer (a reply cut short by a limit, Stop or an error is
      taken as reasoning: QwQ mid-thought). The engine then remembers what it learned, so
      later replies stream live (:attr:`RemoteEngine.starts_in_reasoning`).

Keys never leave through upstream text
    A server may repeat the ``Authorization`` header back: in an error body, an error sent
    mid-stream, a garbled chunk, or the reply itself. Every text from upstream passes
    through :mod:`app.core.redact` before it becomes an error message, an event or a log
    line: the key (and any ``Authorization``/``Bearer`` value, and key-shaped tokens) in an
    error, the key itself in the streamed reasoning and answer (even split across chunks).
    So the key reaches neither the screen nor the database nor an export. A password in the
    base URL (``https://user:pass@host``) is hidden wherever the URL is shown or logged.

Errors end the stream with ``GenerationDone(finish_reason="error", error=...)``, one
sentence that says what to do, and the text streamed until then kept: HTTP errors (401,
403, 404, 429 with ``Retry-After``, 5xx, ...), an error sent inside the stream (``data:
{"error": ...}``, and the ``error:`` field older llama-server builds used, llama.cpp PR
#16109), a chunk that is not JSON, a stream that ends without ``[DONE]`` or a finish
reason, timeouts, refused or unresolvable connections.

What is read is bounded, whatever the server sends: an error body to 64 KB, a whole
(non-streamed) completion to 16 MB, one stream line to 1 MB. A server that sends more ends
the reply with a clear error instead of filling the memory.

Thinking under control: Answer now, budgets, the loop guard, Continue, Steer
    Only where the endpoint continues an assistant message (``continue_style``, set by
    the preset): llama-server's assistant prefill (``"prefill"``: a last message of role
    assistant is appended, as is, to the prompt rendered with the generation prompt) and
    vLLM's ``continue_final_message: true`` with ``add_generation_prompt: false``
    (``"continue_final_message"``: the template renders the message and the prompt is cut
    after its text). See :mod:`app.engine.remote_presets` for the sources.
    To force the answer (``force_answer``, a budget, the loop guard) the stream is closed
    (the server stops generating when its client goes) and the reply is continued from
    the trace so far and :data:`~app.core.thinking.WRAP_UP`, streamed as
    ``ReasoningDelta(inserted="app")``; then the answer streams on. Continue and Steer send
    the stored trace (with the hint, ``ReasoningDelta(inserted="user")``) or the answer the
    same way; only what is new is streamed, ``GenerationDone`` has the whole reply.
    How the trace is sent back, and why:
    - llama-server: QwQ's generation prompt already opens ``<think>\n``, so the prefix is
      the trace itself, and for the answer ``trace + WRAP_UP`` (or ``trace +
      "\n</think>\n\n" + answer``): the server does not pass it through the template, and
      does no reasoning parsing on a prefilled reply (raw content, split here).
    - vLLM: the message goes through QwQ's template, which keeps only what follows the
      last ``</think>`` of an assistant message (and Hugging Face's
      ``continue_final_message`` then refuses the cut message). So a trace is sent open,
      ``<think>\n`` + trace; the forced close sends the wrap-up sentence without the tag
      and the model writes ``</think>`` itself (the sentence is Qwen's way to make it do
      so); Continue answer sends the answer alone, as the template would show it. With
      ``--reasoning-parser deepseek_r1`` the continued trace comes in the reasoning field
      until the model's ``</think>``; a continued answer has no ``</think>`` either, so the
      parser calls it reasoning: after a closed trace, everything is taken as the answer.
    The thinking budget counts the chunks of the trace streamed in this reply (servers
    send one token a chunk; ``usage`` comes only at the end, too late); the time limit
    runs from the first chunk. The loop guard (:mod:`app.core.loop_guard`) reads the trace
    and the answer as they stream: a looping trace is turned into an answer ("answer") or
    stopped ("stop"); a looping answer is stopped, finish reason ``repetition``. Where
    the endpoint cannot continue (DashScope's qwq-32b; a custom endpoint whose style is
    not set) budgets and Answer now do nothing, Continue and Steer are refused with
    :attr:`RemoteEngine.cannot_continue`, and a looping trace is stopped.

Stats come from the ``usage`` chunk when there is one (``completion_tokens_details.
reasoning_tokens``, ``prompt_tokens_details.cached_tokens``); without it, from counting the
chunks. llama-server's ``timings.predicted_per_second`` gives the decode speed when present;
otherwise it is measured between the first and the last chunk.

Where the parts live: the request and chunk format, shared with the local API server,
in :mod:`app.engine.openai_wire`; the error sentences in :mod:`app.engine.remote_errors`;
the reasoning field/tag routing in :class:`app.core.reasoning.ReasoningRouter`; the
generation skeleton (iteration, close, stats, the final event) in :mod:`app.engine.stream`.
This module holds the HTTP client, Stop, and thinking control over the wire.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import traceback
import weakref
from collections.abc import Generator, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx2

from app.core.errors import InvalidRequestError
from app.core.events import ChatEvent, FinishReason
from app.core.i18n import translate
from app.core.loop_guard import LoopGuard
from app.core.messages import ChatMessage
from app.core.reasoning import CLOSE_TAG, OPEN_TAG, Delta, ReasoningRouter
from app.core.redact import StreamRedactor, redact
from app.core.sampling import SamplingSettings
from app.core.thinking import (
    WRAP_UP,
    Continuation,
    Inserter,
    ReasonEnded,
    ThinkingControl,
    steer_text,
)
from app.core.tool_calls import AUTO, ToolChoice, ToolSpec
from app.engine import openai_wire as wire
from app.engine import remote_errors as errors
from app.engine.model_info import ModelInfo
from app.engine.remote_presets import CANNOT_CONTINUE
from app.engine.stream import GenerationStream, Reply, check_request

if TYPE_CHECKING:
    from app.engine.remote_presets import ContinueStyle, RemotePreset

log = logging.getLogger(__name__)

DEFAULT_CONTEXT_LENGTH = 32_768  # QwQ-32B's native context (YaRN beyond it)
DEFAULT_TIMEOUT = 300.0  # the longest silence: a long prompt on a busy server takes minutes
CONNECT_TIMEOUT = 15.0
USER_AGENT = "qwq-desktop"
MAX_ERROR_BODY = 64 * 1024  # enough for any error message; the rest is not read
MAX_COMPLETION = 16 * 1024**2  # a whole non-streamed reply
MAX_LINE = 1024**2  # one server-sent-events line (a chunk is a few hundred bytes)
# The wrap-up as the trace shows it: up to the close tag, trailing whitespace trimmed.
WRAP_UP_SHOWN = WRAP_UP[: WRAP_UP.index(CLOSE_TAG)].rstrip()


def normalize_base_url(url: str) -> str:
    """``http(s)://host[:port]/path`` without a trailing slash or ``/chat/completions``."""
    url = url.strip().rstrip("/")
    for suffix in ("/chat/completions", "/completions"):
        url = url.removesuffix(suffix)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequestError(
            translate(
                "RemoteEngine",
                "The endpoint URL must start with http:// or https:// and name a host: {url}.",
            ).format(url=repr(url))
        )
    return url


def open_trace_prefix(style: ContinueStyle, trace: str) -> str:
    """The assistant message that makes the endpoint go on thinking after ``trace``.

    llama-server appends it to the prompt rendered with the generation prompt, which
    QwQ's template ends with ``<think>\n``: the trace follows as is. vLLM renders it as
    the final message itself (``add_generation_prompt: false``), so it opens the tag."""
    return trace if style == "prefill" else f"{OPEN_TAG}\n{trace}"


def closed_trace_prefix(
    style: ContinueStyle, trace: str, answer: str, *, close: str = f"\n{CLOSE_TAG}\n\n"
) -> str:
    """The assistant message that makes the endpoint go on with the answer after
    ``answer``, the trace closed by ``close`` (the wrap-up, or the model's own close).

    vLLM gets the answer alone: QwQ's template keeps only what follows the last
    ``</think>`` of an assistant message, and Hugging Face's ``continue_final_message``
    refuses a final message the template cut ("the final message does not appear in the
    chat"); the trace is not in the prompt then, as in any earlier turn."""
    if style == "prefill":
        return trace + close + answer
    return answer


def continuation_body(
    body: Mapping[str, Any], prefix: str, style: ContinueStyle, max_tokens: int | None = None
) -> dict[str, Any]:
    """``body`` (a reply's request) that continues the assistant message ``prefix``."""
    out = dict(body)
    out["messages"] = [*body["messages"], {"role": "assistant", "content": prefix}]
    if style == "continue_final_message":  # vLLM's extra parameters
        out["continue_final_message"] = True
        out["add_generation_prompt"] = False
    if max_tokens is not None:
        out["max_tokens"] = max_tokens
    return out


class RemoteEngine:
    """Chats with one model on an OpenAI-compatible endpoint. Thread-safe; replies may overlap.

    ``api_key`` is used as given and never stored elsewhere (the caller keeps keys in the
    system keyring). ``timeout`` is the longest the endpoint may stay silent.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        name: str | None = None,
        backend: str = "remote",
        context_length: int = DEFAULT_CONTEXT_LENGTH,
        starts_in_reasoning: bool | None = None,
        extra_sampling: bool = True,
        extra_body: Mapping[str, Any] | None = None,
        continue_style: ContinueStyle | None = None,
        cannot_continue: str | None = None,
    ) -> None:
        if not model.strip():
            raise InvalidRequestError("The endpoint needs a model name.")
        self.base_url = normalize_base_url(base_url)
        self.shown_url = redact(self.base_url)  # for messages and logs: no password in it
        self.model = model.strip()
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.extra_sampling = extra_sampling
        self.extra_body = dict(extra_body or {})
        self.continue_style: ContinueStyle | None = continue_style
        self._cannot_continue = cannot_continue or CANNOT_CONTINUE
        self._api_key = (api_key or "").strip() or None
        self._starts_in_reasoning = starts_in_reasoning
        self._chat_url = f"{self.base_url}/chat/completions"
        parts = urlsplit(self.base_url)
        self.host = parts.hostname or ""
        self.host_port = parts.netloc.rsplit("@", 1)[-1]
        self._info = ModelInfo(
            path=Path(self.host_port + parts.path) / self.model,
            name=name or self.model,
            architecture="remote",
            parameter_count=0,
            parameter_label="",
            quantization="",
            layer_count=None,
            trained_context=None,
            chat_template=None,  # the server applies its own
            file_size=0,
            context_length=context_length,
            rope_scaling="none",
            gpu_layers=0,
            backend=backend,
            load_note=translate("RemoteEngine", "Replies come from {url} (model {model}).").format(
                url=self.shown_url, model=self.model
            ),
        )
        self._client = httpx2.Client(
            timeout=httpx2.Timeout(timeout, connect=connect_timeout),
            # No keep-alive: each reply has its own connection, whose socket Stop shuts.
            limits=httpx2.Limits(max_keepalive_connections=0),
            follow_redirects=False,
        )
        self._live: weakref.WeakSet[RemoteGeneration] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def from_preset(
        cls,
        preset: RemotePreset,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        model: str | None = None,
        **options: Any,
    ) -> RemoteEngine:
        """An engine set up as ``preset`` says; ``base_url``/``model``/options override it."""
        settings: dict[str, Any] = {
            "backend": preset.backend,
            "context_length": preset.context_length,
            "starts_in_reasoning": preset.starts_in_reasoning,
            "extra_body": dict(preset.extra_body),
            "continue_style": preset.continue_style,
            "cannot_continue": preset.cannot_continue,
        }
        settings.update(options)
        return cls(base_url or preset.base_url, model or preset.model, api_key, **settings)

    # -- facts -------------------------------------------------------------------------

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def description(self) -> str:
        """The model's name says which endpoint it runs on (see ``__init__``)."""
        return self._info.name

    @property
    def model_file(self) -> None:
        return None  # an endpoint is chosen again each run

    @property
    def kv_cache(self) -> None:
        return None  # the server keeps its own cache

    @property
    def starts_in_reasoning(self) -> bool | None:
        """Whether untagged content starts inside the reasoning: as set, or as learned."""
        return self._starts_in_reasoning

    def _learn(self, starts_in_reasoning: bool) -> None:
        with self._lock:
            if self._starts_in_reasoning is None:
                log.info(
                    "%s: content %s inside the reasoning",
                    self.shown_url,
                    "starts" if starts_in_reasoning else "does not start",
                )
                self._starts_in_reasoning = starts_in_reasoning

    @property
    def cannot_continue(self) -> str | None:
        """None when the endpoint continues a reply (``continue_style`` is set)."""
        return None if self.continue_style is not None else self._cannot_continue

    @property
    def has_key(self) -> bool:
        return self._api_key is not None

    def redact(self, text: str) -> str:
        """``text`` (from upstream) without this engine's key or any credential in it."""
        return redact(text, [self._api_key])

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream", "User-Agent": USER_AGENT}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    # -- chat --------------------------------------------------------------------------

    def chat(
        self,
        messages: Sequence[ChatMessage],
        sampling: SamplingSettings | None = None,
        thinking: ThinkingControl | None = None,
        continuation: Continuation | None = None,
        tools: Sequence[ToolSpec] = (),
        tool_choice: ToolChoice = AUTO,
    ) -> RemoteGeneration:
        """Check the request and return its generation (iterate it to run it).

        ``thinking``: budgets and "answer" need an endpoint that continues a reply
        (``cannot_continue`` is None); elsewhere only the loop guard works, and it stops
        the reply. ``continuation``: go on from a stopped reply (Continue, Steer).
        ``tools``: not offered to a remote endpoint yet (one clear error; with
        ``tool_choice`` "none" none are offered)."""
        tool_choice.check(tools)
        if tool_choice.mode == "none":
            tools = ()
        if tools:
            raise InvalidRequestError(
                translate(
                    "RemoteEngine",
                    "Tools work with a local model; this remote endpoint cannot use them yet. "
                    "Turn the tools off or load a local model.",
                )
            )
        sampling = sampling or SamplingSettings()
        check_request(messages, continuation, self.cannot_continue)
        body = wire.request_body(
            self.model,
            messages,
            sampling,
            extra_sampling=self.extra_sampling,
            extra_body=self.extra_body,
        )
        with self._lock:
            if self._closed:
                raise RuntimeError("This RemoteEngine is closed.")
            generation = RemoteGeneration(self, body, thinking, continuation)
            self._live.add(generation)
        return generation

    def count_tokens(self, text: str) -> int:
        """An estimate: about 3 characters a token (Qwen's tokenizer averages ~3.5 on English
        and ~1.4 on Chinese; counting high errs towards "does not fit")."""
        ascii_chars = sum(1 for ch in text if ch.isascii())
        return -(-ascii_chars // 3) + (len(text) - ascii_chars)

    def cancel(self) -> None:
        """Cancel every running generation (safe from any thread)."""
        with self._lock:
            live = list(self._live)
        for generation in live:
            generation.cancel()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.cancel()
        self._client.close()


def _shutdown(sock: socket.socket) -> None:
    """Wake a read blocked on ``sock`` in another thread: both directions, at once.

    ``socket.socket.shutdown`` is called unbound so that an SSLSocket's own ``shutdown``
    (which also drops its SSL object under the reading thread) is bypassed.
    """
    with suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _StreamError(Exception):
    """The stream is unusable; the message is the user's."""


class _Force(Exception):
    """Close the trace now (raised inside the stream, which closes its connection)."""

    def __init__(self, why: ReasonEnded) -> None:
        super().__init__(why)
        self.why = why


class _Cancelled(Exception):
    """Stop was pressed: the stream ends with "cancelled"."""


class _Repetition(Exception):
    """The loop guard stops the reply."""


@dataclass
class _Requests:
    """What each request of one reply brought (a forced close or a continuation sends a
    second): its usage, if it came, and its chunks with text."""

    usages: list[wire.Usage | None] = field(default_factory=list)
    chunks: list[int] = field(default_factory=list)

    def start(self) -> None:
        self.usages.append(None)
        self.chunks.append(0)

    def tokens(self) -> list[int]:
        """The tokens each request generated: its usage's count, else its chunks (the
        first stream of a forced close is cut before its usage comes)."""
        return [
            n if u is not None and (n := u.completion_tokens) is not None else c
            for u, c in zip(self.usages, self.chunks, strict=True)
        ]

    def counts(self) -> tuple[int | None, int | None, int, int | None]:
        """The prompt's tokens, of those cached, the tokens the app inserted (the
        wrap-up) and the reasoning tokens, as far as the usages tell."""
        spent = self.tokens()
        first = self.usages[0] if self.usages else None
        prompt = first.prompt_tokens if first else None
        cached = first.cached_tokens if first else None
        inserted = 0
        second = self.usages[1] if len(self.usages) > 1 else None
        if second is not None and (later := second.prompt_tokens) is not None:
            # The second request's prompt is the first one's, the trace, the wrap-up.
            if prompt is not None:
                inserted = max(0, later - prompt - spent[0])
            else:  # the wrap-up is counted in the prompt then
                prompt = max(0, later - spent[0])
                cached = max(0, (second.cached_tokens or 0) - spent[0])
        told = [u.reasoning_tokens if u else None for u in self.usages]
        thought = sum(t or 0 for t in told) if None not in told and any(told) else None
        return prompt, cached, inserted, thought


@dataclass
class _ReplyState:
    """Where one remote reply is: what streamed (``reply``), how the stream is read
    now (``router``, the request ``body``), and what the server said so far."""

    reply: Reply
    router: ReasoningRouter
    body: dict[str, Any]
    first_router: ReasoningRouter | None  # the first request's: what it learned is kept
    hide_in_reasoning: StreamRedactor  # the key, if the server echoes it into the reply
    hide_in_answer: StreamRedactor
    guard: LoopGuard | None
    requests: _Requests = field(default_factory=_Requests)
    server_finish: str | None = None  # the last request's finish reason
    done_seen: bool = False  # the last request's stream ended with [DONE]
    responded: bool = False  # some request got its response headers
    speed: float | None = None  # llama-server's own decode speed
    reasoning_chunks: int = 0  # chunks of the trace streamed in this reply
    close_reason: ReasonEnded = "model"  # who closes the trace when it closes
    forced: bool = False  # one forced close per reply
    guard_in_answer: bool = False


class RemoteGeneration(GenerationStream):
    """One reply streamed from an endpoint (see :class:`GenerationStream`)."""

    def __init__(
        self,
        engine: RemoteEngine,
        body: dict[str, Any],
        thinking: ThinkingControl | None = None,
        continuation: Continuation | None = None,
    ) -> None:
        self._engine = engine
        self.continuation = continuation
        self.request_body = body  # the reply's request (answers-only history, sampling)
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        super().__init__(thinking)

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            sock = self._socket
        if sock is not None:
            _shutdown(sock)

    def close(self) -> None:
        self.cancel()  # ends it promptly if another thread is iterating it
        super().close()

    def _never_started(self) -> None:
        """Nothing to free: a request goes out only once the stream is iterated."""

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore2's trace hook: keep the socket of each new connection (and TLS layer)."""
        if not event.endswith(".complete"):
            return
        get_extra_info = getattr(info.get("return_value"), "get_extra_info", None)
        if get_extra_info is None:
            return
        sock = get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with self._lock:
                self._socket = sock
            if self._cancelled.is_set():
                _shutdown(sock)

    # -- the stream ---------------------------------------------------------------------------

    def _run(self) -> Generator[ChatEvent, None, None]:
        st = self._start()
        try:
            finish, error = yield from self._stream_all(st)
            yield from self._end(st, finish, error)
        finally:
            self._closed = True
            with self._lock:
                self._socket = None

    def _start(self) -> _ReplyState:
        engine, go_on = self._engine, self.continuation
        reply = Reply()
        if go_on is None:
            router = ReasoningRouter(engine.starts_in_reasoning)
        elif go_on.mode == "answer":  # the trace is closed: all that comes is the answer
            router = ReasoningRouter(False, answer_only=True)
            reply.reasoning_before, reply.answer_before = go_on.reasoning, go_on.answer
        else:  # the trace goes on (after the hint, if any: see _continue)
            router = ReasoningRouter(True, resume=go_on.reasoning)
            reply.reasoning_before = go_on.reasoning
        return _ReplyState(
            reply=reply,
            router=router,
            body=self.request_body,
            first_router=router if go_on is None else None,
            hide_in_reasoning=StreamRedactor([engine._api_key]),
            hide_in_answer=StreamRedactor([engine._api_key]),
            guard=LoopGuard() if self.thinking.loop_guard != "off" else None,
        )

    def _stream_all(
        self, st: _ReplyState
    ) -> Generator[ChatEvent, None, tuple[FinishReason, str | None]]:
        """Every request of the reply, until it ends; how it ended and the error."""
        engine = self._engine
        finish: FinishReason = "stop"
        error: str | None = None
        try:
            if self.continuation is not None:
                yield from self._continue(st, self.continuation)
            while True:
                try:
                    yield from self._stream(st)
                    break
                except _Force as force:
                    if not (yield from self._close_trace(st, force.why)):
                        finish = "length"  # a forced close that had no tokens left
                        break
        except _Cancelled:
            finish = "cancelled"
        except _Repetition:
            finish = "repetition"
        except _StreamError as e:
            finish, error = "error", str(e)
        except wire.LineTooLong as e:
            finish, error = "error", errors.line_too_long(e.limit)
        except httpx2.HTTPError as e:
            if self._cancelled.is_set():
                finish = "cancelled"
            else:
                finish, error = "error", errors.transport_error(engine, e, st.responded)
        except Exception as e:  # never let a face crash on a reply
            log.error(
                "remote generation failed: %s",
                engine.redact("".join(traceback.format_exception(e)).rstrip()),
            )
            if self._cancelled.is_set():
                finish = "cancelled"
            else:
                finish, error = "error", errors.failed(engine.redact(str(e) or repr(e)))
        else:
            if finish == "stop":
                finish = wire.our_finish_reason(st.server_finish)
                if finish == "error":
                    error = translate("RemoteErrors", errors.CONTENT_FILTER)
        return finish, error

    def _continue(self, st: _ReplyState, go_on: Continuation) -> Iterator[ChatEvent]:
        """Continue, Steer: the first request goes on from the stored reply."""
        style = self._engine.continue_style
        assert style is not None  # chat() checked
        if go_on.mode == "answer":
            prefix = closed_trace_prefix(style, go_on.reasoning, go_on.answer)
        else:
            trace = go_on.reasoning
            if go_on.hint:
                hint = steer_text(go_on.hint)
                shown = hint.rstrip() if trace.strip() else hint.strip()
                yield from self._emit(st, [Delta("reasoning", shown)], "user")
                trace += hint
            st.router = ReasoningRouter(True, resume=trace)
            prefix = open_trace_prefix(style, trace)
        st.body = continuation_body(st.body, prefix, style)

    def _close_trace(self, st: _ReplyState, why: ReasonEnded) -> Generator[ChatEvent, None, bool]:
        """Close the trace in place: the endpoint goes on from the trace so far plus the
        wrap-up (the stream just closed stops the server). False: no tokens left."""
        style = self._engine.continue_style
        assert style is not None  # _can_force() checked
        st.forced = True
        self._force_by = None
        if st.router.in_reasoning:  # what it held back is trace (not watched: the trace
            # is closing anyway)
            yield from self._emit(st, st.router.finish(natural=False), watched=False)
        yield from self._flush_reasoning(st)
        trace = st.reply.trace
        limit = st.body.get("max_tokens")
        left = limit - sum(st.requests.tokens()) if isinstance(limit, int) else None
        if left is not None and left <= 0:
            return False
        shown = WRAP_UP_SHOWN if trace.strip() else WRAP_UP_SHOWN.lstrip()
        yield from self._emit(st, [Delta("reasoning", shown)], "app")
        now = time.perf_counter()
        if style == "prefill":  # the wrap-up closes the trace itself
            st.reply.thought(now, why)
            prefix = closed_trace_prefix(style, trace, "", close=WRAP_UP)
            st.router = ReasoningRouter(False, answer_only=True)
        else:  # the model writes the close tag after the wrap-up sentence
            st.reply.t_thought = now
            st.close_reason = why
            wrapped = trace + WRAP_UP[: WRAP_UP.index(CLOSE_TAG)]
            prefix = open_trace_prefix(style, wrapped)
            st.router = ReasoningRouter(True, resume=wrapped)
        st.body = continuation_body(self.request_body, prefix, style, left)
        return True

    def _stream(self, st: _ReplyState) -> Iterator[ChatEvent]:
        """One request's events; raises _Force where the trace must close now."""
        engine = self._engine
        st.done_seen, st.server_finish = False, None
        st.requests.start()
        if self._cancelled.is_set():
            raise _Cancelled
        with engine._client.stream(
            "POST",
            engine._chat_url,
            json=st.body,
            headers=engine._headers(),
            extensions={"trace": self._trace},
        ) as response:
            st.responded = True
            if response.status_code >= 400:
                data, _ = _read_at_most(response, MAX_ERROR_BODY)
                raise _StreamError(
                    errors.http_error(engine, response.status_code, response.headers, data)
                )
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind.endswith("json"):  # a server that ignored stream: one completion
                data, cut = _read_at_most(response, MAX_COMPLETION)
                if cut:
                    raise _StreamError(errors.too_large(MAX_COMPLETION))
                text = data.decode("utf-8", "replace")
                try:
                    whole = json.loads(text)
                except ValueError as e:
                    raise _StreamError(errors.malformed(engine, text)) from e
                yield from self._emit(st, self._take(st, whole))
                st.done_seen = True
            elif kind in ("text/html", "application/xhtml+xml"):
                raise _StreamError(errors.not_an_api(kind))
            else:
                yield from self._read_events(st, response)
            if not st.done_seen and st.server_finish is None:
                if self._cancelled.is_set():
                    raise _Cancelled  # Stop ended a body that ends at EOF
                raise _StreamError(errors.dropped(engine))

    def _read_events(self, st: _ReplyState, response: httpx2.Response) -> Iterator[ChatEvent]:
        """A server-sent-events body, up to ``[DONE]`` (or its end)."""
        engine = self._engine
        for line in wire.sse_lines(response.iter_bytes(), MAX_LINE):
            if self._cancelled.is_set():
                raise _Cancelled
            name, value = wire.sse_field(line)
            if name == "error":  # llama-server before PR #16109
                message = wire.server_message({"error": wire.json_or_text(value)}) or value
                raise _StreamError(errors.reported(engine.redact(message)))
            if name != "data" or not value.strip():
                continue  # comments (": ping"), event names, blank lines
            if value.strip() == wire.DONE:
                st.done_seen = True
                return
            try:
                chunk = json.loads(value)
            except ValueError as e:
                raise _StreamError(errors.malformed(engine, value)) from e
            yield from self._emit(st, self._take(st, chunk))
            if why := self._why_force(st, time.perf_counter()):
                raise _Force(why)

    def _take(self, st: _ReplyState, chunk: Any) -> list[Delta]:
        """One parsed chunk (or a whole non-streamed completion) → deltas."""
        engine = self._engine
        if not isinstance(chunk, dict):
            raise _StreamError(errors.malformed(engine, json.dumps(chunk)))
        read = wire.read_chunk(chunk)
        if read.error is not None:
            raise _StreamError(errors.reported(engine.redact(read.error) or "no details"))
        if read.usage is not None:
            st.requests.usages[-1] = read.usage
        if read.tokens_per_second is not None:
            st.speed = read.tokens_per_second
        if read.finish_reason is not None:
            st.server_finish = read.finish_reason
        thought, content = read.reasoning, read.content
        if not (thought or content):
            return []
        now = time.perf_counter()
        st.requests.chunks[-1] += 1
        st.reply.token(now)
        router = st.router
        was_finished = router.reasoning_finished
        out: list[Delta] = []
        if thought:
            out += router.reasoning(thought)
        if content:
            out += router.content(content)
        if (thought and not router.answer_only) or (
            not thought and any(d.kind == "reasoning" for d in out)
        ):
            st.reasoning_chunks += 1
        if router.reasoning_finished and not was_finished:
            st.reply.thought(now, st.reply.ended_by or st.close_reason)
        return out

    def _can_force(self, st: _ReplyState) -> bool:
        return self._engine.continue_style is not None and not st.forced

    def _why_force(self, st: _ReplyState, now: float) -> ReasonEnded | None:
        """Whether the open trace must close now, and why."""
        if not self._can_force(st) or not st.reply.t_first or not st.router.in_reasoning:
            return None
        return st.reply.force_due(self.thinking, self._force_by, st.reasoning_chunks, now)

    def _watch(self, st: _ReplyState, kind: str, text: str) -> None:
        """The loop guard reads what the model writes: a loop in the trace forces the
        answer (or stops, as set); a loop in the answer stops the reply."""
        guard = st.guard
        if guard is None:
            return
        if kind == "answer" and not st.guard_in_answer:
            st.guard_in_answer = True
            guard.reset()  # the answer is not compared with the trace
        if guard.feed(text):
            guard.reset()
            if kind == "reasoning" and self.thinking.loop_guard == "answer" and self._can_force(st):
                raise _Force("loop")
            raise _Repetition

    def _emit(
        self,
        st: _ReplyState,
        deltas: list[Delta],
        by: Inserter | None = None,
        *,
        watched: bool = True,
    ) -> Iterator[ChatEvent]:
        for d in deltas:
            if d.kind == "reasoning":
                text = st.hide_in_reasoning.feed(d.text) if by is None else d.text
                if text:
                    yield st.reply.reasoning_delta(text, by)
            else:
                yield from self._flush_reasoning(st)  # what it held back comes first
                if text := st.hide_in_answer.feed(d.text):
                    yield st.reply.answer_delta(text)
            if by is None and watched:
                self._watch(st, d.kind, d.text)

    def _flush_reasoning(self, st: _ReplyState) -> Iterator[ChatEvent]:
        if text := st.hide_in_reasoning.finish():
            yield st.reply.reasoning_delta(text)

    def _end(self, st: _ReplyState, finish: FinishReason, error: str | None) -> Iterator[ChatEvent]:
        """The reply is over: what was held back, then the one GenerationDone."""
        engine, router = self._engine, st.router
        # What the guard would see last changes nothing.
        yield from self._emit(st, router.finish(natural=finish == "stop"), watched=False)
        yield from self._flush_reasoning(st)
        if text := st.hide_in_answer.finish():
            yield st.reply.answer_delta(text)
        if error is not None:  # the last guard: whatever built it, no key leaves
            error = engine.redact(error)

        # A close tag without an open one settles it; an untagged reply settles the
        # opposite only if the model ended it itself (not cut by a limit or an error).
        first = st.first_router
        if first is not None and (first.learned or (first.learned is False and finish == "stop")):
            engine._learn(first.learned)

        reasoning_finished = st.reply.ended_by is not None or router.reasoning_finished
        tokens = sum(st.requests.tokens())
        prompt, cached, inserted, thought_tokens = st.requests.counts()
        had = st.forced or router.had_reasoning or bool(first and first.had_reasoning)
        stats = st.reply.stats(
            prompt_tokens=prompt or 0,
            cached=min(cached or 0, prompt or 0),
            generated=tokens + inserted,
            reasoning_tokens=(
                thought_tokens if thought_tokens is not None else min(st.reasoning_chunks, tokens)
            )
            + inserted,
            decoded=tokens,
            thinking=had,
            reasoning_finished=reasoning_finished,
            tokens_per_second=st.speed,
            inserted=inserted,
        )
        yield st.reply.done(finish, stats, reasoning_finished, error)


def _read_at_most(response: httpx2.Response, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the body, and whether there was more (left unread)."""
    data = bytearray()
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) > limit:
            return bytes(data[:limit]), True
    return bytes(data), False
