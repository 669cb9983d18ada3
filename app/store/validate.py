"""What a stored or imported conversation's fields may hold: types and ranges.

One set of checks serves two doors. An import is checked field by field before
anything is written, and the first bad field ends it with one clear line. A row
read back from the database goes through the same checks, so a value that got in
some other way (an older version, a hand-edited file, a damaged disk) is replaced
by a safe default and the row is marked damaged instead of crashing a reader.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

from app.core.errors import QwQError
from app.core.sampling import SamplingSettings

T = TypeVar("T")

MAX_TIMESTAMP = 32_503_680_000.0  # 3000-01-01 UTC: every platform can show it as a date
MAX_COUNT = 10**12  # tokens, messages: far above anything real, far below an overflow
MAX_SECONDS = 1e9  # about 31 years
MAX_FIGURE = 1e12  # any other figure in a reply's stats (speeds, seconds)
MAX_STATS_KEYS = 64
ROLES = ("system", "user", "assistant")
STATUSES = ("streaming", "done", "interrupted")
FINISH_REASONS = ("stop", "length", "cancelled", "error", "repetition", "tool_calls")
REASON_ENDS = ("model", "budget", "time", "loop", "user")  # app.core.thinking.ReasonEnded
INSERTERS = ("app", "user")
MAX_INSERTED = 10_000  # inserted parts in one trace
MAX_TOOL_ROUNDS = 1_000  # rounds of calls in one reply
MAX_CALLS = 1_000  # calls in one round
MAX_ALLOWED_TOOLS = 1_000
APPROVALS = ("not needed", "auto", "once", "conversation", "denied")  # core.events.Approval
STATS_COUNTS = frozenset(
    {
        "prompt_tokens",
        "prompt_tokens_cached",
        "prompt_tokens_processed",
        "generated_tokens",
        "reasoning_tokens",
        "history_messages_dropped",
    }
)
_SAMPLING_INTS = {"top_k": (0, 1_000_000), "max_tokens": (1, MAX_COUNT), "seed": (0, 2**32 - 1)}
_SAMPLING_FIELDS = frozenset(f.name for f in fields(SamplingSettings))


class Invalid(ValueError):
    """A field holds something it may not; the message says what, fit to show."""


def shown(value: Any) -> str:
    """A value, short enough for an error line."""
    try:
        text = json.dumps(value, ensure_ascii=True, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(f"must be a number, not {shown(value)}")
    if isinstance(value, int) and abs(value) > 10**18:
        raise Invalid(f"is out of range ({shown(value)})")
    number = float(value)
    if not math.isfinite(number):
        raise Invalid(f"must be a finite number, not {shown(value)}")
    return number


def timestamp(value: Any) -> float:
    number = _number(value)
    if not 0.0 <= number <= MAX_TIMESTAMP:
        raise Invalid(f"must be a time between 1970 and 3000, not {shown(value)}")
    return number


def seconds(value: Any) -> float:
    number = _number(value)
    if not 0.0 <= number <= MAX_SECONDS:
        raise Invalid(f"must be between 0 and {MAX_SECONDS:.0e} seconds, not {shown(value)}")
    return number


def count(value: Any, *, low: int = 0, high: int = MAX_COUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"must be a whole number, not {shown(value)}")
    if not low <= value <= high:
        raise Invalid(f"must be between {low} and {high}, not {shown(value)}")
    return value


def flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise Invalid(f"must be true or false, not {shown(value)}")


def text(value: Any, *, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise Invalid(f"must be text, not {shown(value)}")
    if limit is not None and len(value) > limit:
        raise Invalid(f"is longer than {limit:,} characters")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Invalid("holds a broken character (a lone UTF-16 surrogate)") from None
    return str(value)  # a plain str, whatever subclass came in


def optional_text(value: Any, *, limit: int | None = None) -> str | None:
    return None if value is None else text(value, limit=limit)


def choice(value: Any, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        raise Invalid(f"must be one of {', '.join(options)}, not {shown(value)}")
    return value


def finish_reason(value: Any) -> str | None:
    return None if value is None else choice(value, FINISH_REASONS)


def reasoning_ended_by(value: Any) -> str | None:
    return None if value is None else choice(value, REASON_ENDS)


def inserted(value: Any) -> list[list[Any]]:
    """The parts of a trace the app or the user inserted: [[start, end, by], ...]."""
    if not isinstance(value, list):
        raise Invalid(f"must be a list of [start, end, by], not {shown(value)}")
    if len(value) > MAX_INSERTED:
        raise Invalid(f"has more than {MAX_INSERTED:,} parts")
    out: list[list[Any]] = []
    for span in value:
        if not (isinstance(span, list) and len(span) == 3):
            raise Invalid(f"must hold [start, end, by] lists, not {shown(span)}")
        start, end = count(span[0]), count(span[1])
        if end < start:
            raise Invalid(f"has a part that ends before it starts: {shown(span)}")
        out.append([start, end, choice(span[2], INSERTERS)])
    return out


def tool_rounds(value: Any) -> list[dict[str, Any]]:
    """A reply's rounds of tool calls (app.core.tool_rounds.ToolRound.to_json's shape)."""
    if not isinstance(value, list):
        raise Invalid(f"must be a list of rounds, not {shown(value)}")
    if len(value) > MAX_TOOL_ROUNDS:
        raise Invalid(f"has more than {MAX_TOOL_ROUNDS:,} rounds")
    out = []
    for n, item in enumerate(value, 1):
        r = _object(item, f"round {n}'s fields")
        try:
            calls = _field(r, "calls", lambda v: v if isinstance(v, list) else _not_list(v))
            if len(calls) > MAX_CALLS:
                raise Invalid(f"has more than {MAX_CALLS:,} calls")
            out.append(
                {
                    "reasoning": _field(r, "reasoning", text),
                    "answer": _field(r, "answer", text),
                    "calls": [_tool_use(c) for c in calls],
                    "reasoning_tokens": _optional(r, "reasoning_tokens", count, 0),
                    "thinking_seconds": _optional(r, "thinking_seconds", seconds, 0.0),
                }
            )
        except Invalid as e:
            raise Invalid(f"round {n}: {e}") from None
    return out


def _tool_use(value: Any) -> dict[str, Any]:
    c = _object(value, "call fields")
    arguments = _field(c, "arguments", lambda v: _object(v, "arguments"))
    try:
        json.dumps(arguments)
    except (TypeError, ValueError, RecursionError):
        raise Invalid("'arguments' is not plain JSON") from None
    result = c.get("result")
    return {
        "id": _field(c, "id", lambda v: text(v, limit=200)),
        "name": _field(c, "name", lambda v: text(v, limit=200)),
        "arguments": arguments,
        "raw": _field(c, "raw", text),
        "error": _field(c, "error", text),
        "result": None if result is None else _field(c, "result", text),
        "ok": _field(c, "ok", flag),
        "seconds": _field(c, "seconds", seconds),
        "approval": _field(c, "approval", lambda v: choice(v, APPROVALS)),
    }


MAX_ATTACHMENTS = 100  # files on one message
ATTACHMENT_KINDS = (
    "text", "markdown", "code", "csv", "json", "pdf", "docx", "html",
    "passages",  # found in the conversation's collections for the question (tools off)
)  # fmt: skip


def attachments(value: Any) -> list[dict[str, Any]]:
    """The files attached to a message (app.core.attachments.Attachment.to_json's shape)."""
    if not isinstance(value, list):
        raise Invalid(f"must be a list of attachments, not {shown(value)}")
    if len(value) > MAX_ATTACHMENTS:
        raise Invalid(f"has more than {MAX_ATTACHMENTS:,} attachments")
    out = []
    for n, item in enumerate(value, 1):
        a = _object(item, f"attachment {n}'s fields")
        try:
            out.append(
                {
                    "name": _field(a, "name", lambda v: text(v, limit=1000)),
                    "kind": _field(a, "kind", lambda v: choice(v, ATTACHMENT_KINDS)),
                    "size": _field(a, "size", count),
                    "tokens": _field(a, "tokens", count),
                    "text": _field(a, "text", text),
                    "pages": _field(a, "pages", count),
                }
            )
        except Invalid as e:
            raise Invalid(f"attachment {n}: {e}") from None
    return out


def allowed_tools(value: Any) -> list[str]:
    """The tool names a conversation allows without asking."""
    if not isinstance(value, list):
        raise Invalid(f"must be a list of tool names, not {shown(value)}")
    if len(value) > MAX_ALLOWED_TOOLS:
        raise Invalid(f"has more than {MAX_ALLOWED_TOOLS:,} names")
    return [text(v, limit=200) for v in value]


def collections(value: Any) -> list[str]:
    """The document collections a conversation searches, by name."""
    return allowed_tools(value)


def thinking(value: Any) -> dict[str, Any]:
    """A conversation's thinking budget: {"budget_tokens": n, "budget_seconds": s}."""
    data = _object(value, "thinking settings")
    out: dict[str, Any] = {}
    for key, setting in data.items():
        if key not in ("budget_tokens", "budget_seconds"):
            raise Invalid(f"has an unknown setting {shown(key)}")
        if setting is None:
            out[key] = None
        elif key == "budget_tokens":
            out[key] = count(setting, low=1)
        else:
            seconds_ = _number(setting)
            if not 0 < seconds_ <= MAX_SECONDS:
                raise Invalid(f"'{key}' must be more than 0 seconds, not {shown(setting)}")
            out[key] = seconds_
    return out


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(f"must be an object of {what}, not {shown(value)}")
    return value


def stats(value: Any) -> dict[str, Any]:
    """A reply's figures: names to non-negative numbers (the counts whole numbers)."""
    data = _object(value, "figures")
    if len(data) > MAX_STATS_KEYS:
        raise Invalid(f"has more than {MAX_STATS_KEYS} figures")
    out: dict[str, Any] = {}
    for key, figure in data.items():
        if len(key) > 64:
            raise Invalid("has a figure with a name longer than 64 characters")
        try:
            if key in STATS_COUNTS:
                out[key] = count(figure)
            else:
                number = _number(figure)
                if not 0.0 <= number <= MAX_FIGURE:
                    raise Invalid(f"must be between 0 and {MAX_FIGURE:.0e}, not {shown(figure)}")
                out[key] = figure
        except Invalid as e:
            raise Invalid(f"'{text(key, limit=64)}' {e}") from None
    return out


def clean_stats(value: dict[str, Any]) -> dict[str, Any]:
    """The figures that pass :func:`stats` (a remote server can report anything)."""
    out: dict[str, Any] = {}
    for key, figure in value.items():
        try:
            out.update(stats({key: figure}))
        except Invalid:
            continue
    return out


def sampling(value: Any) -> dict[str, Any]:
    """A conversation's sampling settings: known names, right types, in range."""
    data = _object(value, "sampling settings")
    out: dict[str, Any] = {}
    for key, setting in data.items():
        if key not in _SAMPLING_FIELDS:
            raise Invalid(f"has an unknown setting {shown(key)}")
        try:
            if setting is None and key in ("max_tokens", "seed"):
                out[key] = None
            elif key in _SAMPLING_INTS:
                low, high = _SAMPLING_INTS[key]
                out[key] = count(setting, low=low, high=high)
            else:
                _number(setting)
                out[key] = setting
        except Invalid as e:
            raise Invalid(f"'{key}' {e}") from None
    try:
        SamplingSettings(**out)
    except (TypeError, ValueError, QwQError) as e:
        raise Invalid(str(e)) from None
    return out


def json_object(raw: Any, check: Callable[[Any], T]) -> T:
    """A JSON column (stats, sampling) as stored: text holding an object that passes."""
    if not isinstance(raw, str):
        raise Invalid(f"must be JSON text, not {type(raw).__name__}")
    try:
        value = json.loads(raw or "{}")
    except (ValueError, RecursionError):
        raise Invalid("is not readable JSON") from None
    return check(value)


MAX_MESSAGES = 1_000_000  # in one conversation


def _field(data: dict[str, Any], key: str, check: Callable[[Any], T]) -> T:
    if key not in data:
        raise Invalid(f"'{key}' is missing")
    try:
        return check(data[key])
    except Invalid as e:
        raise Invalid(f"'{key}' {e}") from None


def _message(data: Any, position: int) -> dict[str, Any]:
    m = _object(data, "message fields")

    def parent(value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < position:
            raise Invalid(f"must be the position of an earlier message, not {shown(value)}")
        return value

    return {
        "parent": _field(m, "parent", parent),
        "role": _field(m, "role", lambda v: choice(v, ROLES)),
        "content": _field(m, "content", text),
        "reasoning": _field(m, "reasoning", text),
        "created_at": _field(m, "created_at", timestamp),
        "status": _field(m, "status", lambda v: choice(v, STATUSES)),
        "finish_reason": _field(m, "finish_reason", finish_reason),
        "reasoning_finished": _field(m, "reasoning_finished", flag),
        "thinking_seconds": _field(m, "thinking_seconds", seconds),
        "stats": _field(m, "stats", stats),
        "error": _field(m, "error", optional_text),
        "model": _field(m, "model", text),
        # Version 2 of the export: absent from version 1 files.
        "reasoning_ended_by": _optional(m, "reasoning_ended_by", reasoning_ended_by, None),
        "inserted": _spans_within(_optional(m, "inserted", inserted, []), len(m["reasoning"])),
        # Version 3 of the export: absent from older files.
        "tool_rounds": _optional(m, "tool_rounds", tool_rounds, list[dict[str, Any]]()),
        "attachments": _optional(m, "attachments", attachments, list[dict[str, Any]]()),
    }


def _optional(data: dict[str, Any], key: str, check: Callable[[Any], T], default: T) -> T:
    return _field(data, key, check) if key in data else default


def _spans_within(spans: list[list[Any]], length: int) -> list[list[Any]]:
    if any(end > length for _, end, _ in spans):
        raise Invalid("'inserted' has a part beyond the end of the trace")
    return spans


def conversation(data: Any) -> dict[str, Any]:
    """An exported conversation (see app.store.export), checked field by field.

    Returns it normalised (plain types only); raises :class:`Invalid` naming the
    first bad field.
    """
    c = _object(data, "conversation fields")
    raw_messages = _field(c, "messages", lambda v: v if isinstance(v, list) else _not_list(v))
    if len(raw_messages) > MAX_MESSAGES:
        raise Invalid(f"has more than {MAX_MESSAGES:,} messages")
    out: dict[str, Any] = {
        "title": _field(c, "title", text),
        "title_is_custom": _field(c, "title_is_custom", flag),
        "created_at": _field(c, "created_at", timestamp),
        "updated_at": _field(c, "updated_at", timestamp),
        "pinned": _field(c, "pinned", flag),
        "model": _field(c, "model", text),
        "system_prompt": _field(c, "system_prompt", text),
        "sampling": _field(c, "sampling", sampling),
        "thinking": _optional(c, "thinking", thinking, dict[str, Any]()),
        "allowed_tools": _optional(c, "allowed_tools", allowed_tools, list[str]()),
        "collections": _optional(c, "collections", collections, list[str]()),
    }
    messages = []
    for i, m in enumerate(raw_messages):
        try:
            messages.append(_message(m, i))
        except Invalid as e:
            raise Invalid(f"message {i + 1}: {e}") from None

    def leaf(value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"must be a message's position, not {shown(value)}")
        if not 0 <= value < len(messages):
            raise Invalid(f"must be a message's position, not {shown(value)}")
        return value

    out["current_leaf"] = _field(c, "current_leaf", leaf)
    out["messages"] = messages
    return out


def _not_list(value: Any) -> list[Any]:
    raise Invalid(f"must be a list, not {shown(value)}")
