"""A ``/v1/chat/completions`` body, checked field by field before it reaches the model.

Every field has a type and a range; anything else is a 400 that names the field, as
OpenAI answers (never a 500, never silently coerced: ``"stream": "no"`` is not
``true``, ``max_tokens: true`` is not 1, ``NaN`` is not a penalty). Fields that change
the response's shape and that we cannot honour (``n`` > 1, the old ``functions``,
``logprobs``, JSON ``response_format``) are refused; the rest (``user``, ``metadata``...)
are ignored. Tools, tool choice and the messages that carry calls and results are read
by :mod:`app.api.tool_request`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from app.api.errors import ApiError, invalid
from app.api.limits import ApiLimits
from app.api.tool_request import (
    ToolOptions,
    check_answers,
    parse_tool_calls,
    parse_tool_options,
    tool_call_id,
)
from app.core.messages import ChatMessage, Role
from app.core.sampling import SamplingSettings

DASHSCOPE_NAME = "qwq-32b"
ROLES = ("system", "developer", "user", "assistant", "tool")
REFUSED_FIELDS = {
    "functions": "functions are not supported by QwQ Desktop's server; use 'tools'",
    "logprobs": "logprobs are not supported by QwQ Desktop's server",
    "audio": "audio output is not supported",
}
# name: (low, high, low excluded)
FLOAT_FIELDS: dict[str, tuple[float, float, bool]] = {
    "temperature": (0.0, 5.0, False),
    "top_p": (0.0, 1.0, True),
    "min_p": (0.0, 1.0, False),
    "presence_penalty": (-2.0, 2.0, False),
    "frequency_penalty": (-2.0, 2.0, False),
    "repeat_penalty": (0.0, 100.0, True),
}
TOP_K_MAX = 1_000_000
SEED_RANGE = (-(2**63), 2**64 - 1)  # OpenAI's is a 64-bit integer; llama.cpp's 32 bits
# OpenAI's reasoning_effort as thinking budgets (tokens); "high" thinks as long as it needs.
# QwQ's traces run 1,000-6,000 tokens on hard problems: low cuts most, medium some.
REASONING_EFFORT: dict[str, int | None] = {"low": 1_024, "medium": 4_096, "high": None}


@dataclass
class ChatRequest:
    messages: list[ChatMessage]
    sampling: SamplingSettings
    stream: bool
    include_usage: bool
    model: str
    thinking_budget: int | None = None  # thinking tokens before the answer is forced
    tools: ToolOptions = field(default_factory=ToolOptions)


def parse_request(
    body: Any, model_names: tuple[str, ...], context_length: int, limits: ApiLimits
) -> ChatRequest:
    """The request, or an :class:`ApiError` naming the first field that is wrong."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str):
        raise invalid("'model' must be a string naming the model.", "model")
    if model not in model_names:
        shown = model if len(model) <= 100 else model[:100] + "…"
        raise ApiError(
            404,
            f"The model '{shown}' does not exist. Available: {', '.join(model_names)}.",
            "invalid_request_error",
            "model_not_found",
            "model",
        )
    for name, why in REFUSED_FIELDS.items():
        if body.get(name):
            raise invalid(f"'{name}': {why}.", name, "unsupported_parameter")
    n = body.get("n")
    if n is not None and (type(n) is not int or n != 1):
        raise invalid("'n' must be 1.", "n", "unsupported_parameter")
    fmt = body.get("response_format")
    if fmt is not None and (not isinstance(fmt, dict) or fmt.get("type") != "text"):
        raise invalid("Only 'text' response_format is supported.", "response_format")
    stop = body.get("stop")
    if not (stop is None or isinstance(stop, str)) and (
        not isinstance(stop, list) or not all(isinstance(s, str) for s in stop)
    ):
        raise invalid("'stop' must be a string or an array of strings.", "stop")
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise invalid("'messages' must be a non-empty array.", "messages")
    if len(raw_messages) > limits.max_messages:
        raise invalid(f"'messages' may hold at most {limits.max_messages:,} messages.", "messages")
    messages = [parse_message(m, i, limits) for i, m in enumerate(raw_messages)]
    check_answers(messages)
    tools = parse_tool_options(body, limits)
    stream = _optional_bool(body, "stream")
    options = body.get("stream_options")
    include_usage = False
    if options is not None:
        if not isinstance(options, dict):
            raise invalid("'stream_options' must be an object.", "stream_options")
        include_usage = _optional_bool(options, "include_usage", "stream_options.include_usage")
    return ChatRequest(
        messages=messages,
        sampling=parse_sampling(body, context_length),
        stream=stream,
        include_usage=include_usage,
        model=model,
        thinking_budget=parse_thinking_budget(body, context_length),
        tools=tools,
    )


def parse_thinking_budget(body: dict[str, Any], context_length: int) -> int | None:
    """``thinking_budget`` (DashScope's name; OpenAI clients send it in ``extra_body``),
    else ``reasoning_effort`` mapped by :data:`REASONING_EFFORT`."""
    budget = _optional_int(body, "thinking_budget", 1, context_length)
    if budget is not None:
        return budget
    effort = body.get("reasoning_effort")
    if effort is None:
        return None
    if not isinstance(effort, str) or effort not in REASONING_EFFORT:
        raise invalid("'reasoning_effort' must be low, medium or high.", "reasoning_effort")
    return REASONING_EFFORT[effort]


def parse_message(raw: Any, index: int, limits: ApiLimits | None = None) -> ChatMessage:
    where = f"messages[{index}]"
    if not isinstance(raw, dict) or raw.get("role") not in ROLES:
        raise invalid(f"{where} needs a role of system, developer, user, assistant or tool.", where)
    content = raw.get("content")
    if content is None:
        content = ""
    if isinstance(content, list):  # content parts: text only
        texts = []
        for part in content:
            if (
                not isinstance(part, dict)
                or part.get("type") != "text"
                or not isinstance(part.get("text"), str)
            ):
                raise invalid(f"{where}: only text content is supported.", f"{where}.content")
            texts.append(part["text"])
        content = "".join(texts)
    if not isinstance(content, str):
        raise invalid(f"{where}.content must be text.", f"{where}.content")
    if not _encodable(content):
        raise invalid(
            f"{where}.content is not valid Unicode (a lone surrogate).", f"{where}.content"
        )
    role: Role = "system" if raw["role"] in ("system", "developer") else raw["role"]
    if role == "tool":
        return ChatMessage.tool(tool_call_id(raw.get("tool_call_id"), where), content)
    if role == "assistant" and "</think>" in content:
        # Answers only go back to the model: drop a trace a client kept in the content
        # (what QwQ's own chat template does with such a message).
        content = content.split("</think>")[-1].lstrip("\n")
    if role == "assistant":
        calls = parse_tool_calls(raw.get("tool_calls"), where, limits or ApiLimits())
        return ChatMessage.assistant(content, tool_calls=calls)
    return ChatMessage(role, content)


def parse_sampling(body: dict[str, Any], context_length: int) -> SamplingSettings:
    """The request's sampling fields over the model card's defaults."""
    fields: dict[str, Any] = {}
    for name, (low, high, low_excluded) in FLOAT_FIELDS.items():
        value = body.get(name)
        if value is None:
            continue
        if not _is_number(value):
            raise invalid(f"'{name}' must be a number.", name)
        if not (low < value if low_excluded else low <= value) or value > high:
            side = "above" if low_excluded else "at least"
            raise invalid(f"'{name}' must be {side} {low:g} and at most {high:g}.", name)
        fields[name] = float(value)
    top_k = _optional_int(body, "top_k", 0, TOP_K_MAX)
    if top_k is not None:
        fields["top_k"] = top_k
    seed = _optional_int(body, "seed", *SEED_RANGE)
    if seed is not None:
        fields["seed"] = seed & 0xFFFFFFFF
    name = (
        "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
    )
    limit = _optional_int(body, name, 1, context_length)
    if limit is not None:
        fields["max_tokens"] = limit
    try:
        return SamplingSettings(**fields)
    except ValueError as e:
        raise invalid(str(e)) from None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _optional_int(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if type(value) is not int:
        raise invalid(f"'{name}' must be an integer.", name)
    if not low <= value <= high:
        raise invalid(f"'{name}' must be between {low:,} and {high:,}.", name)
    return value


def _optional_bool(body: dict[str, Any], name: str, param: str | None = None) -> bool:
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise invalid(f"'{param or name}' must be true or false.", param or name)
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
