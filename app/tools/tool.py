"""What a tool is to the session: a name, a description and a JSON schema the model sees,
whether it needs the user's approval, and ``run(arguments) -> ToolResult``.

``run`` never raises. The arguments come from a model, so anything may arrive (a missing
or extra key, a number for a string, a megabyte of text, a list instead of an object): each
is answered with a :class:`ToolResult` error sentence saying what to send instead, so the
model can correct its call in the next round.

Result texts are for the model and stay English (the template's tool responses are read by
the model, not the window; the window shows them as the model saw them).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from app.core.tool_calls import ToolSpec

log = logging.getLogger(__name__)


class ToolError(Exception):
    """Raised by a tool's action: the message is the whole result the model gets."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    text: str  # what the tool said (an error: the sentence saying what went wrong)
    ok: bool
    seconds: float  # wall time the call took

    @property
    def for_model(self) -> str:
        """The text as it goes back to the model: an error is marked as one."""
        return self.text if self.ok else f"Error: {self.text}"


class Tool(Protocol):
    """What the session runs a model's call with: a built-in tool or an MCP server's.

    ``name`` is the name the model sees; ``needs_approval``: the user is asked before each
    run (side effects); ``run`` never raises: anything that goes wrong is an error result."""

    @property
    def name(self) -> str: ...

    @property
    def needs_approval(self) -> bool: ...

    def spec(self) -> ToolSpec: ...

    def run(self, arguments: object) -> ToolResult: ...


def string_parameters(**parameters: tuple[str, int]) -> dict[str, Any]:
    """A JSON schema for an object of required strings: ``name=(description, max_length)``."""
    return {
        "type": "object",
        "properties": {
            name: {"type": "string", "description": description, "maxLength": max_length}
            for name, (description, max_length) in parameters.items()
        },
        "required": list(parameters),
        "additionalProperties": False,
    }


@dataclass(frozen=True, slots=True, eq=False)
class BuiltinTool:
    """One tool. ``action`` gets the checked arguments as keywords and returns the text for
    the model, or raises :class:`ToolError` with the sentence to give it instead."""

    name: str
    description: str
    parameters: Mapping[str, Any]  # a JSON schema, made by string_parameters
    needs_approval: bool  # side effects: the user is asked before each run
    action: Callable[..., str]

    def spec(self) -> ToolSpec:
        """The tool as the model is told of it (``render_prompt(tools=...)`` takes these)."""
        return ToolSpec(self.name, self.description, self.parameters)

    def schema(self) -> dict[str, Any]:
        """The tool as a chat template's ``tools`` list (and OpenAI's API) takes it."""
        return self.spec().to_openai()

    def run(self, arguments: object) -> ToolResult:
        start = time.monotonic()
        try:
            text = self.action(**self.check(arguments))
            ok = True
        except ToolError as e:
            text, ok = str(e), False
        except Exception as e:  # a bug in a tool must not end the reply: the model hears of it
            log.exception("tool %s failed", self.name)
            text, ok = f"The {self.name} tool failed unexpectedly ({type(e).__name__}: {e}).", False
        return ToolResult(text, ok, time.monotonic() - start)

    def check(self, arguments: object) -> dict[str, str]:
        """The arguments as keywords for ``action``, or :class:`ToolError` saying what is
        wrong with them. A JSON text holding an object is taken as that object (OpenAI's
        wire format sends arguments that way)."""
        properties: Mapping[str, Mapping[str, Any]] = self.parameters.get("properties", {})
        expected = self._expected(properties)
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except ValueError:
                raise ToolError(f"The arguments are not valid JSON. {expected}") from None
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise ToolError(f"The arguments must be a JSON object. {expected}")
        unknown = sorted(str(k) for k in arguments if k not in properties)
        if unknown:
            raise ToolError(f"Unknown argument {', '.join(map(repr, unknown))}. {expected}")
        checked: dict[str, str] = {}
        for name, spec in properties.items():
            if name not in arguments:
                raise ToolError(f"The argument {name!r} is missing. {expected}")
            value = arguments[name]
            if not isinstance(value, str):
                raise ToolError(
                    f"The argument {name!r} must be a string, not {_json_type(value)}. {expected}"
                )
            limit = int(spec.get("maxLength", 0))
            if limit and len(value) > limit:
                raise ToolError(
                    f"The argument {name!r} is too long ({len(value):,} characters;"
                    f" the limit is {limit:,})."
                )
            checked[name] = value
        return checked

    def _expected(self, properties: Mapping[str, Any]) -> str:
        if not properties:
            return f"{self.name} takes no arguments: call it with {{}}."
        names = ", ".join(f"{n} (string)" for n in properties)
        return f"{self.name} takes: {names}."


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
