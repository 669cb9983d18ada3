"""Tool calls: what the model is offered (:class:`ToolSpec`) and what it asks for
(:class:`ToolCall`), read from the answer as it streams (:class:`ToolCallParser`).

QwQ-32B (and the Qwen and Hermes templates it shares the format with) writes a call in
its answer as::

    <tool_call>
    {"name": "calculator", "arguments": {"expression": "2**10"}}
    </tool_call>

The parser is fed the ANSWER deltas only, the text after ``</think>`` as
:class:`app.core.reasoning.ReasoningSplitter` emits it: a ``<tool_call>`` the model writes
while thinking is part of its trace, never a call (apps that run those anyway are a known
bug elsewhere: LM Studio #1592). That is why the parser sits after the splitter and knows
nothing of ``<think>``.

Like the splitter, it takes text cut anywhere and gives the same result for any cutting:
it holds back only a possible partial ``<tool_call>`` at the end of the text outside a call
(at most ten characters) and the body of a call until its ``</tool_call>``. Whatever is
read is given back, in order, as answer text (``str``), :class:`ToolCall` or
:class:`MalformedToolCall`; joining their texts (``raw`` for the calls) gives back the
input exactly (but for the tail of a call over :data:`MAX_CALL_CHARS`), so nothing the
model wrote is lost.

A malformed call (JSON that does not parse, no name, arguments that are not an object, no
``</tool_call>`` before the end) is not dropped: it is reported with one sentence that can
go back to the model as the tool's error, so it can try again. These sentences are for the
model, in English, and are not translated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from app.core.errors import InvalidRequestError
from app.core.i18n import translate

OPEN_TAG = "<tool_call>"
CLOSE_TAG = "</tool_call>"

# A call's body is JSON of a name and a few arguments; Python code for the runner is the
# longest that is useful. Past this the body is not held any longer: the call is
# malformed and the rest of it, up to its </tool_call>, is dropped.
MAX_CALL_CHARS = 65_536

_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")  # OpenAI's rule (^[a-zA-Z0-9_-]{1,64}$), widened
# for MCP names (SERVER__TOOL, dotted names).


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """A tool as the model is told of it: its name, what it does, and its parameters as a
    JSON schema (an ``{"type": "object", "properties": ...}`` dict)."""

    name: str
    description: str
    parameters: Mapping[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI ``tools`` entry, which chat templates take as they are."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": dict(self.parameters),
            },
        }


def is_tool_name(name: str) -> bool:
    """Whether ``name`` can name a tool (the rule the parser reads calls with)."""
    return bool(_NAME.match(name))


ToolChoiceMode = Literal["auto", "none", "required", "function"]


@dataclass(frozen=True, slots=True)
class ToolChoice:
    """Whether the model must call a tool (OpenAI's ``tool_choice``).

    - ``auto``: it decides;
    - ``none``: it is not told of the tools at all (the engine offers none);
    - ``required``: its answer starts with a call: when the trace closes the engine
      writes :attr:`call_start` for it, and the model picks the tool;
    - ``function``: a call of ``name``: the start written for it names the tool, and
      the reply ends once that call is closed.

    Writing the start of the call where the answer begins (as a budget writes the
    wrap-up where the trace must end) keeps the thinking free and needs no grammar."""

    mode: ToolChoiceMode = "auto"
    name: str = ""  # the tool, for "function"

    def __post_init__(self) -> None:
        if (self.mode == "function") != bool(self.name):
            raise ValueError("a tool choice names a tool exactly when its mode is 'function'")
        if self.name and not is_tool_name(self.name):
            raise ValueError(f"not a tool name: {self.name[:80]!r}")

    @property
    def call_start(self) -> str | None:
        """What the engine writes at the start of the answer, or None (not forced)."""
        if self.mode == "required":
            return "\n\n" + OPEN_TAG + "\n"
        if self.mode == "function":
            return (
                "\n\n" + OPEN_TAG + "\n" + '{"name": ' + json.dumps(self.name) + ', "arguments": '
            )
        return None

    @property
    def one_call(self) -> bool:
        """The reply ends when the forced call closes (a named function: that call only)."""
        return self.mode == "function"

    def check(self, tools: Sequence[ToolSpec]) -> None:
        """Raise :class:`InvalidRequestError` when this choice cannot go with ``tools``
        (a call is required but none is offered, or the named tool is not)."""
        if self.mode in ("required", "function") and not tools:
            raise InvalidRequestError(
                translate("ToolChoice", "A tool call is required, but no tools are offered.")
            )
        if self.mode == "function" and self.name not in {t.name for t in tools}:
            raise InvalidRequestError(
                translate(
                    "ToolChoice", "The tool {name} is required, but it is not offered."
                ).format(name=self.name)
            )


AUTO = ToolChoice()


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model made: ``id`` is unique within its reply (see
    :class:`ToolCallParser`); ``raw`` is the text it wrote, tags included."""

    id: str
    name: str
    arguments: Mapping[str, Any]
    raw: str = ""

    def for_template(self) -> dict[str, Any]:
        """The call as chat templates read an assistant message's ``tool_calls``: the
        OpenAI shape, but with the arguments as an object (templates ``tojson`` them)."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": dict(self.arguments)},
        }


@dataclass(frozen=True, slots=True)
class MalformedToolCall:
    """Text between ``<tool_call>`` and ``</tool_call>`` (or the end) that is not a call;
    ``reason`` is one sentence to send back to the model as the tool's error."""

    id: str
    raw: str
    reason: str


Parsed = str | ToolCall | MalformedToolCall


def parse_call_body(body: str) -> tuple[str, dict[str, Any]] | str:
    """The name and arguments of a call's JSON body, or the sentence that says why it is
    not a call.

    Lenient where models commonly slip but the meaning is plain: no ``arguments`` is no
    arguments (``datetime()``), and arguments given as a JSON string of an object (as the
    OpenAI wire format carries them) are that object."""
    text = body.strip()
    if not text:
        return "The tool call is empty: write a JSON object with a name and arguments."
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        msg = getattr(e, "msg", "too deeply nested")
        return f"The tool call is not valid JSON ({msg}): write one JSON object."
    if not isinstance(value, dict):
        return 'The tool call must be a JSON object: {"name": …, "arguments": {…}}.'
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        return 'The tool call has no "name": say which tool to call.'
    name = name.strip()
    if not _NAME.match(name):
        return f"The tool name {name[:80]!r} is not a valid name."
    arguments = value.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except (json.JSONDecodeError, RecursionError):
            return 'The tool call\'s "arguments" must be a JSON object.'
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return 'The tool call\'s "arguments" must be a JSON object.'
    return name, arguments


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-n:]):
            return n
    return 0


class ToolCallParser:
    """Answer text in, answer text and tool calls out, in the order they were written.

    ``feed`` each answer delta, then ``flush`` once at the end of the reply. Ids are
    ``{id_prefix}{n}``, n counting every call and malformed call of this parser from 1;
    a turn of several rounds gives each round's parser its own prefix."""

    def __init__(self, *, id_prefix: str = "call_") -> None:
        self._id_prefix = id_prefix
        self._count = 0
        self._buf = ""  # outside a call: a possible partial <tool_call>; inside: the body
        self._inside = False
        self._skipping = False  # inside a call that ran past MAX_CALL_CHARS: dropping it
        self.calls: list[ToolCall] = []
        self.malformed: list[MalformedToolCall] = []
        self.found: list[ToolCall | MalformedToolCall] = []  # both, in the order written

    @property
    def inside_call(self) -> bool:
        """Whether the stream is inside a ``<tool_call>`` now (a face may show "calling…")."""
        return self._inside

    def feed(self, text: str) -> list[Parsed]:
        out: list[Parsed] = []
        self._buf += text
        while self._step(out):
            pass
        return out

    def flush(self) -> list[Parsed]:
        """End of the reply: held text is answer text; an open call is malformed."""
        out: list[Parsed] = []
        if self._inside:
            if self._skipping:
                self._buf = ""  # already reported when it ran too long
            else:
                reason = f"The tool call was not closed with {CLOSE_TAG}."
                out.append(self._malformed(OPEN_TAG + self._buf, reason))
        elif self._buf:
            out.append(self._buf)
        self._buf = ""
        self._inside = self._skipping = False
        return out

    def _step(self, out: list[Parsed]) -> bool:
        """Handle what can be decided now; False when more text is needed."""
        buf = self._buf
        if not buf:
            return False
        if not self._inside:
            start = buf.find(OPEN_TAG)
            if start >= 0:
                if start:
                    out.append(buf[:start])
                self._buf = buf[start + len(OPEN_TAG) :]
                self._inside = True
                return True
            keep = _partial_suffix(buf, OPEN_TAG)
            if len(buf) > keep:
                out.append(buf[: len(buf) - keep])
                self._buf = buf[len(buf) - keep :]
            return False

        end = buf.find(CLOSE_TAG)
        if self._skipping:
            if end < 0:
                keep = _partial_suffix(buf, CLOSE_TAG)
                self._buf = buf[len(buf) - keep :]
                return False
            self._buf = buf[end + len(CLOSE_TAG) :]
            self._inside = self._skipping = False
            return True
        if end < 0:
            if len(buf) > MAX_CALL_CHARS + len(CLOSE_TAG):
                reason = f"The tool call is longer than {MAX_CALL_CHARS:,} characters."
                out.append(self._malformed(OPEN_TAG + buf[:MAX_CALL_CHARS], reason))
                self._skipping = True
                self._buf = buf[MAX_CALL_CHARS:]
                return True
            return False
        body = buf[:end]
        raw = OPEN_TAG + body + CLOSE_TAG
        self._buf = buf[end + len(CLOSE_TAG) :]
        self._inside = False
        parsed = parse_call_body(body)
        if isinstance(parsed, str):
            out.append(self._malformed(raw, parsed))
        else:
            call = ToolCall(self._next_id(), parsed[0], parsed[1], raw)
            self.calls.append(call)
            self.found.append(call)
            out.append(call)
        return True

    def _next_id(self) -> str:
        self._count += 1
        return f"{self._id_prefix}{self._count}"

    def _malformed(self, raw: str, reason: str) -> MalformedToolCall:
        bad = MalformedToolCall(self._next_id(), raw, reason)
        self.malformed.append(bad)
        self.found.append(bad)
        return bad


def parse_answer(answer: str, *, id_prefix: str = "call_") -> list[Parsed]:
    """A whole answer at once: what :class:`ToolCallParser` gives for it."""
    parser = ToolCallParser(id_prefix=id_prefix)
    return parser.feed(answer) + parser.flush()


def join_text(items: list[Parsed]) -> str:
    """The answer text of parsed items, calls left out (consecutive texts joined)."""
    return "".join(item for item in items if isinstance(item, str))
