"""The tools part of a ``/v1/chat/completions`` body, in OpenAI's shape, checked field by
field as the rest of it is (:mod:`app.api.chat_request`): a wrong one is a 400 naming it.

- ``tools``: ``[{"type": "function", "function": {"name", "description"?, "parameters"?,
  "strict"?}}]``, at most :attr:`ApiLimits.max_tools`; names follow the core's rule
  (:func:`app.core.tool_calls.is_tool_name`) and are unique; a description and a
  schema have size (and the schema depth) limits, since both go into every prompt.
- ``tool_choice``: ``"auto"``, ``"none"``, ``"required"`` or ``{"type": "function",
  "function": {"name": N}}`` naming one of the tools.
- ``parallel_tool_calls``: a bool (false: only the reply's first call is returned).
- In ``messages``: an assistant message's ``tool_calls`` (``{"id", "type": "function",
  "function": {"name", "arguments"}}`` with the arguments a JSON string of an object, as
  OpenAI sends them back) and ``role: "tool"`` messages with ``tool_call_id``. Each call
  must be answered by the tool messages right after its assistant message, and each
  tool message must answer one of those calls, once (OpenAI's rule too).

The API only reads these: it never runs a tool (the client does, as with OpenAI).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.api.body import nesting_depth
from app.api.errors import invalid
from app.api.limits import ApiLimits
from app.core.messages import ChatMessage
from app.core.tool_calls import AUTO, ToolCall, ToolChoice, ToolSpec, is_tool_name

CHOICES = ("auto", "none", "required")
MAX_ID_CHARS = 256  # a call's id: OpenAI's are ~30 characters


@dataclass(frozen=True, slots=True)
class ToolOptions:
    """What a request says about tools."""

    tools: tuple[ToolSpec, ...] = ()
    choice: ToolChoice = AUTO
    parallel: bool = True  # false: only the first call of a reply is returned


def parse_tool_options(body: Mapping[str, Any], limits: ApiLimits) -> ToolOptions:
    tools = parse_tools(body.get("tools"), limits)
    choice = parse_tool_choice(body.get("tool_choice"), tools)
    parallel = body.get("parallel_tool_calls")
    if parallel is not None and not isinstance(parallel, bool):
        raise invalid("'parallel_tool_calls' must be true or false.", "parallel_tool_calls")
    return ToolOptions(tools, choice, parallel is not False)


def parse_tools(raw: Any, limits: ApiLimits) -> tuple[ToolSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise invalid("'tools' must be an array of functions.", "tools")
    if len(raw) > limits.max_tools:
        raise invalid(f"'tools' may hold at most {limits.max_tools} functions.", "tools")
    specs: list[ToolSpec] = []
    for i, tool in enumerate(raw):
        spec = parse_tool(tool, f"tools[{i}]", limits)
        if any(s.name == spec.name for s in specs):
            raise invalid(
                f"tools[{i}]: the name '{spec.name}' is given twice.", f"tools[{i}].function.name"
            )
        specs.append(spec)
    return tuple(specs)


def parse_tool(raw: Any, where: str, limits: ApiLimits) -> ToolSpec:
    if not isinstance(raw, dict) or raw.get("type") != "function":
        raise invalid(f'{where} must be an object with "type": "function".', f"{where}.type")
    function = raw.get("function")
    if not isinstance(function, dict):
        raise invalid(f"{where}.function must be an object.", f"{where}.function")
    name = _name(function.get("name"), f"{where}.function.name")
    description = function.get("description")
    if description is None:
        description = ""
    if not isinstance(description, str) or not _encodable(description):
        raise invalid(
            f"{where}.function.description must be text.", f"{where}.function.description"
        )
    if len(description) > limits.max_tool_description_chars:
        raise invalid(
            f"{where}.function.description is longer than "
            f"{limits.max_tool_description_chars:,} characters.",
            f"{where}.function.description",
        )
    strict = function.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise invalid(f"{where}.function.strict must be true or false.", f"{where}.function.strict")
    parameters = function.get("parameters")
    param = f"{where}.function.parameters"
    if parameters is None:
        parameters = {"type": "object", "properties": {}}
    if not isinstance(parameters, dict):
        raise invalid(f"{param} must be a JSON schema object.", param)
    if nesting_depth(parameters, limits.max_tool_schema_depth) > limits.max_tool_schema_depth:
        raise invalid(
            f"{param} is nested deeper than {limits.max_tool_schema_depth} levels.", param
        )
    try:
        size = len(json.dumps(parameters, ensure_ascii=False).encode("utf-8"))
    except (UnicodeEncodeError, ValueError):  # a lone surrogate in a key or value
        raise invalid(f"{param} is not valid Unicode.", param) from None
    if size > limits.max_tool_schema_bytes:
        raise invalid(
            f"{param} is larger than {limits.max_tool_schema_bytes:,} bytes as JSON.", param
        )
    return ToolSpec(name, description, parameters)


def parse_tool_choice(raw: Any, tools: tuple[ToolSpec, ...]) -> ToolChoice:
    if raw is None:
        return AUTO
    if isinstance(raw, str):
        if raw not in CHOICES:
            raise invalid(
                "'tool_choice' must be auto, none, required or a named function.", "tool_choice"
            )
        choice = ToolChoice(raw)  # type: ignore[arg-type]  # one of CHOICES
    else:
        function = raw.get("function") if isinstance(raw, dict) else None
        if (
            not isinstance(raw, dict)
            or raw.get("type") != "function"
            or not isinstance(function, dict)
        ):
            raise invalid(
                "'tool_choice' must be auto, none, required or "
                '{"type": "function", "function": {"name": …}}.',
                "tool_choice",
            )
        choice = ToolChoice("function", _name(function.get("name"), "tool_choice.function.name"))
    if choice.mode == "required" and not tools:
        raise invalid("'tool_choice' is required, but no 'tools' are given.", "tool_choice")
    if choice.mode == "function" and choice.name not in {t.name for t in tools}:
        raise invalid(
            f"'tool_choice' names '{choice.name}', which is not one of the 'tools'.",
            "tool_choice.function.name",
        )
    return choice


def parse_tool_calls(raw: Any, where: str, limits: ApiLimits) -> tuple[ToolCall, ...]:
    """An assistant message's ``tool_calls`` (``where``: ``messages[i]``)."""
    param = f"{where}.tool_calls"
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise invalid(f"{param} must be an array.", param)
    if len(raw) > limits.max_tools:
        raise invalid(f"{param} may hold at most {limits.max_tools} calls.", param)
    calls: list[ToolCall] = []
    for j, item in enumerate(raw):
        at = f"{param}[{j}]"
        if not isinstance(item, dict):
            raise invalid(f"{at} must be an object.", at)
        if item.get("type", "function") != "function":
            raise invalid(f'{at}.type must be "function".', f"{at}.type")
        call_id = _call_id(item.get("id"), f"{at}.id")
        if any(c.id == call_id for c in calls):
            raise invalid(f"{at}.id '{call_id}' is given twice.", f"{at}.id")
        function = item.get("function")
        if not isinstance(function, dict):
            raise invalid(f"{at}.function must be an object.", f"{at}.function")
        name = _name(function.get("name"), f"{at}.function.name")
        arguments = _arguments(function.get("arguments"), f"{at}.function.arguments", limits)
        calls.append(ToolCall(call_id, name, arguments))
    return tuple(calls)


def tool_call_id(raw: Any, where: str) -> str:
    """A tool message's ``tool_call_id``."""
    return _call_id(raw, f"{where}.tool_call_id")


def check_answers(messages: list[ChatMessage]) -> None:
    """Each tool message answers a call of the assistant message before it (tool messages
    may come between), each call once; and every call is answered before anything
    else comes."""
    open_calls: dict[str, bool] = {}  # the last assistant's calls: answered yet?
    asker = -1
    for i, message in enumerate(messages):
        if message.role == "tool":
            answered = open_calls.get(message.tool_call_id)
            if answered is None:
                raise invalid(
                    f"messages[{i}] (role 'tool') answers the call "
                    f"'{message.tool_call_id[:80]}', which the assistant message before it "
                    "did not make.",
                    f"messages[{i}].tool_call_id",
                )
            if answered:
                raise invalid(
                    f"messages[{i}] answers the call '{message.tool_call_id[:80]}' again.",
                    f"messages[{i}].tool_call_id",
                )
            open_calls[message.tool_call_id] = True
            continue
        _all_answered(open_calls, asker)
        open_calls = {c.id: False for c in message.tool_calls}
        asker = i
    _all_answered(open_calls, asker)


def _all_answered(calls: dict[str, bool], asker: int) -> None:
    missing = [call_id for call_id, answered in calls.items() if not answered]
    if missing:
        raise invalid(
            f"messages[{asker}] made the call '{missing[0][:80]}', which no 'tool' message "
            "after it answers.",
            f"messages[{asker}].tool_calls",
        )


def _name(raw: Any, param: str) -> str:
    if not isinstance(raw, str) or not is_tool_name(raw):
        raise invalid(
            f"{param} must be a tool name: 1 to 128 letters, digits, '_', '-', '.' or ':'.",
            param,
        )
    return raw


def _call_id(raw: Any, param: str) -> str:
    if not isinstance(raw, str) or not raw or len(raw) > MAX_ID_CHARS or not _encodable(raw):
        raise invalid(
            f"{param} must be a call's id: text of 1 to {MAX_ID_CHARS} characters.", param
        )
    return raw


def _arguments(raw: Any, param: str, limits: ApiLimits) -> dict[str, Any]:
    if not isinstance(raw, str):
        raise invalid(f"{param} must be a string holding a JSON object.", param)
    try:
        value = json.loads(raw, parse_constant=_no_constants) if raw.strip() else {}
    except (ValueError, RecursionError):
        raise invalid(f"{param} is not valid JSON.", param) from None
    if not isinstance(value, dict):
        raise invalid(f"{param} must hold a JSON object.", param)
    if nesting_depth(value, limits.max_json_depth) > limits.max_json_depth:
        raise invalid(f"{param} is nested deeper than {limits.max_json_depth} levels.", param)
    if not _encodable(json.dumps(value, ensure_ascii=False)):
        raise invalid(f"{param} is not valid Unicode (a lone surrogate).", param)
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
