"""The tools part of a request: every field checked, a wrong one a 400 that names it (as
OpenAI answers), never a 500 and never a call or result taken for something else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api.chat_request import parse_request
from app.api.limits import ApiLimits
from app.api.server import ApiServer
from app.engine.local_engine import LocalEngine
from tests.api.http import post_json, serve
from tests.fixtures.models import QWQ_ANSWER

CALC: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Exact arithmetic.",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}},
    },
}
CALL: dict[str, Any] = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "calculator", "arguments": '{"expression": "2**10"}'},
}
USER = {"role": "user", "content": "What is 2**10?"}
ASKED = {"role": "assistant", "content": None, "tool_calls": [CALL]}
ANSWERED = {"role": "tool", "tool_call_id": "call_1", "content": "1024"}


@pytest.fixture(scope="module")
def server(engine: LocalEngine) -> Iterator[ApiServer]:
    s = serve(engine)
    yield s
    s.stop()


def body(messages: list[Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {"model": "qwq-32b", "messages": messages or [USER], "tools": [CALC], **fields}


def call(**function: Any) -> dict[str, Any]:
    return {**CALL, "function": {**CALL["function"], **function}}


def deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        value = {"type": "object", "properties": {"x": value}}
    return value


def tool(**function: Any) -> dict[str, Any]:
    return {"type": "function", "function": {**CALC["function"], **function}}


BAD: list[tuple[dict[str, Any], str]] = [
    # tools
    (body(tools={"calculator": CALC}), "tools"),
    (body(tools=[CALC] * 129), "tools"),
    (body(tools=[{"type": "retrieval"}]), "tools[0].type"),
    (body(tools=[{"type": "function", "function": "calculator"}]), "tools[0].function"),
    (body(tools=[tool(name="no spaces")]), "tools[0].function.name"),
    (body(tools=[tool(name="")]), "tools[0].function.name"),
    (body(tools=[tool(name="x" * 129)]), "tools[0].function.name"),
    (body(tools=[tool(name=7)]), "tools[0].function.name"),
    (body(tools=[CALC, CALC]), "tools[1].function.name"),
    (body(tools=[tool(description=["Exact"])]), "tools[0].function.description"),
    (body(tools=[tool(description="x" * 4097)]), "tools[0].function.description"),
    (body(tools=[tool(parameters="object")]), "tools[0].function.parameters"),
    (body(tools=[tool(parameters=deep(9))]), "tools[0].function.parameters"),
    (
        body(tools=[tool(parameters={"type": "object", "description": "x" * 40_000})]),
        "tools[0].function.parameters",
    ),
    (body(tools=[tool(strict="yes")]), "tools[0].function.strict"),
    # tool_choice, parallel_tool_calls
    (body(tool_choice="always"), "tool_choice"),
    (body(tool_choice={"type": "function"}), "tool_choice"),
    (body(tool_choice={"type": "function", "function": {"name": "python"}}),
     "tool_choice.function.name"),
    (body(tool_choice={"type": "function", "function": {"name": "bad name"}}),
     "tool_choice.function.name"),
    (body(tools=None, tool_choice="required"), "tool_choice"),
    (body(parallel_tool_calls="false"), "parallel_tool_calls"),
    # messages that carry calls and results
    (body([USER, ANSWERED]), "messages[1].tool_call_id"),  # no call before it
    (body([USER, ASKED, {**ANSWERED, "tool_call_id": "call_2"}]), "messages[2].tool_call_id"),
    (body([USER, ASKED, ANSWERED, ANSWERED]), "messages[3].tool_call_id"),  # answered twice
    (body([USER, ASKED, {"role": "tool", "content": "1024"}]), "messages[2].tool_call_id"),
    (body([USER, ASKED, {**ANSWERED, "tool_call_id": 1}]), "messages[2].tool_call_id"),
    (body([USER, ASKED, USER]), "messages[1].tool_calls"),  # a call nobody answered
    (body([USER, ASKED, {**ANSWERED, "content": {"n": 1024}}]), "messages[2].content"),
    (body([USER, {**ASKED, "tool_calls": CALL}, ANSWERED]), "messages[1].tool_calls"),
    (body([USER, {**ASKED, "tool_calls": [call(name="bad name")]}, ANSWERED]),
     "messages[1].tool_calls[0].function.name"),
    (body([USER, {**ASKED, "tool_calls": [call(arguments={"expression": "2**10"})]}, ANSWERED]),
     "messages[1].tool_calls[0].function.arguments"),  # an object, not its JSON string
    (body([USER, {**ASKED, "tool_calls": [call(arguments="[1, 2]")]}, ANSWERED]),
     "messages[1].tool_calls[0].function.arguments"),
    (body([USER, {**ASKED, "tool_calls": [call(arguments="{oops")]}, ANSWERED]),
     "messages[1].tool_calls[0].function.arguments"),
    (body([USER, {**ASKED, "tool_calls": [call(arguments='{"x": NaN}')]}, ANSWERED]),
     "messages[1].tool_calls[0].function.arguments"),
    (body([USER, {**ASKED, "tool_calls": [call(arguments='{"x": "\\ud800"}')]}, ANSWERED]),
     "messages[1].tool_calls[0].function.arguments"),
    (body([USER, {**ASKED, "tool_calls": [call(arguments="[" * 40 + "]" * 40)]}, ANSWERED]),
     "messages[1].tool_calls[0].function.arguments"),
    (body([USER, {**ASKED, "tool_calls": [{**CALL, "id": ""}]}, ANSWERED]),
     "messages[1].tool_calls[0].id"),
    (body([USER, {**ASKED, "tool_calls": [CALL, CALL]}, ANSWERED]),
     "messages[1].tool_calls[1].id"),
    (body([USER, {**ASKED, "tool_calls": [{**CALL, "type": "code"}]}, ANSWERED]),
     "messages[1].tool_calls[0].type"),
]  # fmt: skip


@pytest.mark.parametrize(("request_body", "param"), BAD)
def test_a_wrong_tools_field_is_a_400_that_names_it(
    server: ApiServer, request_body: dict[str, Any], param: str
) -> None:
    for stream in (False, True):
        reply = post_json(server, {**request_body, "stream": stream}, timeout=20)
        assert reply.status == 400, reply
        assert reply.error["param"] == param, reply.error
        assert reply.error["type"] == "invalid_request_error"


def test_good_tools_fields_are_taken(server: ApiServer) -> None:
    """The scripted model answers the same whatever the tools: these only must not fail."""
    good = [
        body(tool_choice="auto", parallel_tool_calls=False),
        body(tool_choice="none"),
        body(tools=[{"type": "function", "function": {"name": "datetime"}}, tool(strict=True)]),
        body(tools=[], tool_choice="none"),
        # a result, after the call it answers; an assistant's text beside its calls
        body([USER, {**ASKED, "content": "Let me compute."}, ANSWERED]),
        body([USER, ASKED, ANSWERED, {"role": "assistant", "content": "1024."}, USER]),
        body([USER, {**ASKED, "tool_calls": [call(arguments="")]}, ANSWERED]),
        body([USER, ASKED, {**ANSWERED, "content": [{"type": "text", "text": "1024"}]}]),
    ]
    for request_body in good:
        reply = post_json(server, request_body, timeout=20)
        assert reply.status == 200, (reply, request_body)
        assert reply.json()["choices"][0]["message"]["content"] == QWQ_ANSWER


def test_the_model_reads_the_call_and_its_result(engine: LocalEngine) -> None:
    """What the client sent comes to the model through its template: the call as an
    object, the result in a <tool_response>, the tools in the system turn."""
    chat = parse_request(
        body([USER, ASKED, ANSWERED]), ("qwq-32b",), engine.info.context_length, ApiLimits()
    )
    generation = engine.chat(chat.messages, tools=chat.tools.tools)
    generation.close()
    prompt = generation.prompt
    assert '"name": "calculator"' in prompt and "<tools>" in prompt
    assert json.dumps({"name": "calculator", "arguments": {"expression": "2**10"}}) in prompt
    assert "<tool_response>\n1024\n</tool_response>" in prompt


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (object keys and array indices)."""
    places = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            places += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            places += _paths(item, (*path, i))
    return places


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


ROUND_TRIP = body(
    [USER, {**ASKED, "content": "Let me compute."}, ANSWERED],
    tool_choice={"type": "function", "function": {"name": "calculator"}},
    parallel_tool_calls=True,
    max_tokens=64,  # forced to call, the QwQ script has no call to write: it wanders
)
PLACES = [p for p in _paths(ROUND_TRIP) if p and p[0] in ("messages", "tools", "tool_choice")]
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(place=st.sampled_from(PLACES), value=ANY_JSON | st.sampled_from(["", "call_1", "{}"]))
def test_any_part_of_a_tool_round_trip_made_anything(
    server: ApiServer, place: tuple[Any, ...], value: Any
) -> None:
    """One value anywhere in a good round trip's tools, tool choice or messages made any
    JSON: a 200 or a 400 naming a field, never a 500."""
    reply = post_json(server, _replaced(ROUND_TRIP, place, value), timeout=20)
    assert reply.status in (200, 400), (reply, place, value)
    if reply.status == 400:
        assert reply.error["type"] == "invalid_request_error"
