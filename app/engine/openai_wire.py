"""The OpenAI Chat Completions wire format, both halves: what a request and a streamed
reply look like, for the remote engine (which sends requests and reads chunks) and the
local API server (which reads requests and writes chunks).

One module, so the two sides of one protocol cannot drift: what the server writes for
our events, stats and finish reason, the remote engine reads back to the same
(tests/engine/test_openai_wire.py checks the round trip).

- The reasoning travels in ``delta.reasoning_content`` (DashScope, DeepSeek, vLLM's and
  llama-server's reasoning parsers), or ``delta.reasoning`` (vLLM's newer name); the
  answer in ``delta.content``. A non-streamed completion has them in ``message``.
- The usage: ``prompt_tokens``, ``completion_tokens``, ``prompt_tokens_details.
  cached_tokens`` and ``completion_tokens_details.reasoning_tokens``.
- The stream: server-sent events, one ``data: <chunk JSON>`` each, ended by
  ``data: [DONE]``.
- Finish reasons: OpenAI has ``stop``, ``length``, ``tool_calls`` and
  ``content_filter``; ours that OpenAI lacks (cancelled, error, repetition) go out as
  ``stop``.
- Tool calls (the server's side only: the remote engine offers no tools yet): in a
  completion, ``message.tool_calls`` = ``[{"id", "type": "function", "function":
  {"name", "arguments"}}]`` with the arguments a JSON string, and ``content`` null when
  the reply is only calls; streamed, one ``delta.tool_calls`` chunk per call, whole, with
  its ``index`` (OpenAI sends the arguments in pieces; clients join whatever comes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.core.events import (
    AnswerDelta,
    FinishReason,
    GenerationDone,
    GenerationStats,
    ReasoningDelta,
)
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.tool_calls import ToolCall

REASONING_FIELDS = ("reasoning_content", "reasoning")  # the first is the one we write
CONTENT_FILTER = "content_filter"
DONE = "[DONE]"  # the data of the stream's last event
_LINE_END = re.compile(rb"\r\n|\r|\n")


# -- the request ------------------------------------------------------------------------------


def request_body(
    model: str,
    messages: Sequence[ChatMessage],
    sampling: SamplingSettings,
    *,
    extra_sampling: bool = True,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Chat Completions request for ``messages``: answers only, streamed, with usage.

    ``extra_sampling``: also send the sampling fields OpenAI lacks, at the top level
    (``top_k``, ``min_p``, and the repetition penalty under vLLM's and llama-server's
    names); see :mod:`app.engine.remote_engine` for which server reads which."""
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "presence_penalty": sampling.presence_penalty,
        "frequency_penalty": sampling.frequency_penalty,
    }
    if sampling.max_tokens is not None:
        body["max_tokens"] = sampling.max_tokens
    if sampling.seed is not None:
        body["seed"] = sampling.seed
    if extra_sampling:
        if sampling.top_k > 0:  # 0 (off) has no portable spelling: the server's default
            body["top_k"] = sampling.top_k
        body["min_p"] = sampling.min_p
        body["repetition_penalty"] = sampling.repeat_penalty  # vLLM, DashScope
        body["repeat_penalty"] = sampling.repeat_penalty  # llama-server
    body.update(extra_body or {})
    return body


# -- writing a reply (the API server) ------------------------------------------------------------


def delta(event: ReasoningDelta | AnswerDelta) -> dict[str, str]:
    """A streamed chunk's ``delta`` for one of our deltas."""
    if isinstance(event, ReasoningDelta):
        return {REASONING_FIELDS[0]: event.text}
    return {"content": event.text}


def tool_call(call: ToolCall, index: int | None = None) -> dict[str, Any]:
    """A call as OpenAI sends it: the arguments a JSON string; ``index`` (its place among
    the reply's calls) in a streamed delta."""
    body: dict[str, Any] = {} if index is None else {"index": index}
    body.update(
        id=call.id,
        type="function",
        function={
            "name": call.name,
            "arguments": json.dumps(dict(call.arguments), ensure_ascii=False),
        },
    )
    return body


def tool_call_delta(call: ToolCall, index: int) -> dict[str, Any]:
    """A streamed chunk's ``delta`` for one whole call."""
    return {"tool_calls": [tool_call(call, index)]}


def chunk(
    completion_id: str,
    created: int,
    model: str,
    delta: Mapping[str, Any],
    finish_reason: str | None = None,
) -> dict[str, Any]:
    """One ``chat.completion.chunk``."""
    choice = {"index": 0, "delta": dict(delta), "finish_reason": finish_reason}
    return _chunk(completion_id, created, model, [choice])


def usage_chunk(
    completion_id: str, created: int, model: str, stats: GenerationStats
) -> dict[str, Any]:
    """The last chunk when the client asked for ``stream_options.include_usage``."""
    return _chunk(completion_id, created, model, [], usage=usage(stats))


def _chunk(
    completion_id: str, created: int, model: str, choices: list[Any], **more: Any
) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": choices,
        **more,
    }


def error_chunk(message: str) -> dict[str, Any]:
    """An error inside a stream whose headers are sent (OpenAI's ``data: {"error": ...}``)."""
    return {"error": {"message": message, "type": "server_error"}}


def completion(
    completion_id: str,
    created: int,
    model: str,
    done: GenerationDone,
    *,
    content: str | None = None,
    tool_calls: Sequence[ToolCall] = (),
) -> dict[str, Any]:
    """A whole (non-streamed) ``chat.completion`` for a finished reply.

    ``content``: the answer text when the caller built it otherwise than
    ``done.answer`` (the server puts a malformed call's text back in it);
    ``tool_calls``: the calls to return (null content when there is no text, as OpenAI)."""
    text = done.answer if content is None else content
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if tool_calls:
        message["content"] = text or None
        message["tool_calls"] = [tool_call(call) for call in tool_calls]
    if done.reasoning:
        message[REASONING_FIELDS[0]] = done.reasoning
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(done)}],
        "usage": usage(done.stats),
    }


def finish_reason(done: GenerationDone) -> str:
    """OpenAI's finish reason for ours ("repetition": the loop guard stopped it, and
    OpenAI has no such reason)."""
    return {
        "stop": "stop",
        "length": "length",
        "cancelled": "stop",
        "error": "stop",
        "repetition": "stop",
        "tool_calls": "tool_calls",
    }[done.finish_reason]


def usage(stats: GenerationStats) -> dict[str, Any]:
    return {
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.generated_tokens,
        "total_tokens": stats.prompt_tokens + stats.generated_tokens,
        "prompt_tokens_details": {"cached_tokens": stats.prompt_tokens_cached},
        "completion_tokens_details": {"reasoning_tokens": stats.reasoning_tokens},
    }


def sse(data: Mapping[str, Any] | str, *, ensure_ascii: bool = True) -> str:
    """One server-sent event carrying ``data`` (a chunk, or :data:`DONE`)."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=ensure_ascii)
    return f"data: {text}\n\n"


# -- reading a reply (the remote engine) ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Usage:
    """A ``usage`` object's counts; None where the server left one out (or sent junk)."""

    prompt_tokens: int | None = None
    cached_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    """What one streamed chunk (or a whole completion) carries."""

    reasoning: str = ""  # text of the reasoning field
    content: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None
    tokens_per_second: float | None = None  # llama-server's timings.predicted_per_second
    error: str | None = None  # an error sent inside the stream: its message ("" if none)


def read_usage(raw: Any) -> Usage:
    return Usage(
        prompt_tokens=_int(raw, "prompt_tokens"),
        cached_tokens=_int(raw, "prompt_tokens_details", "cached_tokens"),
        completion_tokens=_int(raw, "completion_tokens"),
        reasoning_tokens=_int(raw, "completion_tokens_details", "reasoning_tokens"),
    )


def read_chunk(raw: Mapping[str, Any]) -> Chunk:
    """A parsed chunk (or a non-streamed completion), whatever a server put in it."""
    if raw.get("error"):
        return Chunk(error=server_message(raw))
    usage = read_usage(raw["usage"]) if isinstance(raw.get("usage"), dict) else None
    speed = None
    timings = raw.get("timings")
    if isinstance(timings, dict) and isinstance(timings.get("predicted_per_second"), int | float):
        speed = float(timings["predicted_per_second"])
    choices = raw.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return Chunk(usage=usage, tokens_per_second=speed)
    choice = choices[0]
    finish = choice["finish_reason"] if isinstance(choice.get("finish_reason"), str) else None
    body = choice.get("delta") or choice.get("message") or {}
    if not isinstance(body, dict):
        return Chunk(finish_reason=finish, usage=usage, tokens_per_second=speed)
    return Chunk(
        reasoning=next((t for f in REASONING_FIELDS if (t := _text(body.get(f)))), ""),
        content=_text(body.get("content")),
        finish_reason=finish,
        usage=usage,
        tokens_per_second=speed,
    )


def our_finish_reason(server: str | None) -> FinishReason:
    """Ours for a reply the server ended with ``server`` ("error" for its content
    filter; a reply without one, or with one we do not know, stopped)."""
    if server == "length":
        return "length"
    if server == CONTENT_FILTER:
        return "error"
    return "stop"


def server_message(payload: Any) -> str:
    """The message inside an error body: OpenAI's, vLLM's, FastAPI's, or a plain string."""
    if isinstance(payload, dict):
        for key in ("error", "message", "detail", "msg"):
            value = payload.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, dict | list):
                found = server_message(value)
                if found:
                    return found
    if isinstance(payload, list) and payload:
        return server_message(payload[0])
    return ""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(mapping: Any, *keys: str) -> int | None:
    """``mapping[k1][k2]...`` when it is an int."""
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping if isinstance(mapping, int) and not isinstance(mapping, bool) else None


class LineTooLong(Exception):
    """A server-sent-events line over the reader's limit: not an OpenAI stream."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def sse_lines(chunks: Iterator[bytes], limit: int) -> Iterator[str]:
    """The lines of a byte stream (ended by CR, LF or CRLF), each at most ``limit`` bytes:
    a longer one raises :class:`LineTooLong` instead of growing without end."""
    pending = bytearray()
    scanned = 0  # bytes of ``pending`` known to hold no line end: never scanned twice
    for chunk in chunks:
        pending += chunk
        start = 0
        while match := _LINE_END.search(pending, max(start, scanned)):
            if match.group() == b"\r" and match.end() == len(pending):
                break  # maybe the CR of a CRLF split across chunks: wait for the next
            yield pending[start : match.start()].decode("utf-8", "replace")
            start = match.end()
        del pending[:start]
        scanned = max(0, len(pending) - 1)  # the last byte may be a CR
        if len(pending) > limit:
            raise LineTooLong(limit)
    if pending:
        yield pending.decode("utf-8", "replace")


def sse_field(line: str) -> tuple[str, str]:
    """A line's field name and value (``data``, ``event``, ``""`` for a comment...)."""
    name, _, value = line.partition(":")
    return name, value.removeprefix(" ")


def json_or_text(text: str) -> Any:
    """``text`` parsed as JSON, or as it is when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return text
