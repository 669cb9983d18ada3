"""Tools through the local API with the official ``openai`` client, unchanged: the client
sends tools, gets the model's calls back (streamed and not), runs them itself, sends
the results as ``role: "tool"`` messages and gets the answer. The server runs nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from app.api.server import ApiServer
from app.engine.local_engine import LoadSettings, LocalEngine
from tests.api.http import serve
from tests.fixtures.models import ScriptFactory
from tests.fixtures.scripted_model import Piece
from tests.fixtures.tool_scripts import (
    AFTER_RESULT,
    CALC_ARGUMENTS,
    CALLING,
    CALLING_REASONING,
    NAMED,
    REQUIRED,
    TWO_CALLS,
)

CALCULATOR: Any = {
    "type": "function",
    "function": {
        "name": "calculator",
        "description": "Exact arithmetic.",
        "parameters": {
            "type": "object",
            "properties": {"expression": {"type": "string"}},
            "required": ["expression"],
        },
    },
}
DATETIME: Any = {"type": "function", "function": {"name": "datetime"}}
QUESTION: Any = [{"role": "user", "content": "What is 2**10?"}]


def serving(scripted: ScriptFactory, script: list[Piece], **options: Any) -> Iterator[ApiServer]:
    engine = LocalEngine(scripted(script, **options).path, LoadSettings(context_length=4096))
    server = serve(engine)
    try:
        yield server
    finally:
        server.stop()
        engine.close()


@pytest.fixture(scope="module")
def calling(scripted: ScriptFactory) -> Iterator[ApiServer]:
    yield from serving(scripted, CALLING, after_tool_results=AFTER_RESULT)


def client(server: ApiServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0, timeout=60)


def reasoning_of(message: Any) -> str:
    found: str = (message.model_extra or {}).get("reasoning_content") or ""
    return found


def test_a_tool_round_trip_not_streamed(calling: ApiServer) -> None:
    with client(calling) as c:
        messages: list[Any] = list(QUESTION)
        first = c.chat.completions.create(
            model="qwq-32b", messages=messages, tools=[CALCULATOR, DATETIME]
        )
        choice = first.choices[0]
        assert choice.finish_reason == "tool_calls"
        message = choice.message
        assert reasoning_of(message) == CALLING_REASONING  # the trace's "call" is only text
        assert message.content == "Let me compute.\n"
        assert message.tool_calls is not None and len(message.tool_calls) == 1
        call = message.tool_calls[0]
        assert call.type == "function" and call.id.startswith("call_")
        assert call.function.name == "calculator"
        assert json.loads(call.function.arguments) == CALC_ARGUMENTS

        # The client's usual flow: append the message as it came, then the result.
        messages.append(message)
        messages.append({"role": "tool", "tool_call_id": call.id, "content": "1024"})
        second = c.chat.completions.create(
            model="qwq-32b", messages=messages, tools=[CALCULATOR, DATETIME]
        )
    final = second.choices[0]
    assert final.finish_reason == "stop"
    assert final.message.content == "2**10 is 1024."
    assert final.message.tool_calls is None
    assert reasoning_of(final.message) == "The calculator says 1024."


def test_a_tool_round_trip_streamed(calling: ApiServer) -> None:
    with client(calling) as c:
        reasoning, content, finishes = [], [], []
        calls: dict[int, dict[str, Any]] = {}
        for chunk in c.chat.completions.create(
            model="qwq-32b", messages=QUESTION, tools=[CALCULATOR], stream=True
        ):
            delta = chunk.choices[0].delta
            reasoning.append(reasoning_of(delta))
            content.append(delta.content or "")
            finishes.append(chunk.choices[0].finish_reason)
            for part in delta.tool_calls or []:  # OpenAI's accumulation, by index
                into = calls.setdefault(part.index, {"arguments": ""})
                assert part.function is not None
                if part.id:
                    into["id"] = part.id
                if part.function.name:
                    into["name"] = part.function.name
                into["arguments"] += part.function.arguments or ""
        assert "".join(reasoning) == CALLING_REASONING
        assert "".join(content) == "Let me compute.\n"
        assert [f for f in finishes if f] == ["tool_calls"] and finishes[-1] == "tool_calls"
        assert list(calls) == [0] and calls[0]["name"] == "calculator"
        assert json.loads(calls[0]["arguments"]) == CALC_ARGUMENTS

        assistant = {
            "role": "assistant",
            "content": "".join(content),
            "tool_calls": [
                {
                    "id": calls[0]["id"],
                    "type": "function",
                    "function": {"name": "calculator", "arguments": calls[0]["arguments"]},
                }
            ],
        }
        result = {"role": "tool", "tool_call_id": calls[0]["id"], "content": "1024"}
        answer = []
        for chunk in c.chat.completions.create(
            model="qwq-32b",
            messages=[*QUESTION, assistant, result],
            tools=[CALCULATOR],
            stream=True,
        ):
            answer.append(chunk.choices[0].delta.content or "")
        assert "".join(answer) == "2**10 is 1024."


def test_the_clients_stream_helper_reads_the_calls(calling: ApiServer) -> None:
    """``client.chat.completions.stream`` joins the deltas into a completion itself."""
    with (
        client(calling) as c,
        c.chat.completions.stream(model="qwq-32b", messages=QUESTION, tools=[CALCULATOR]) as s,
    ):
        final = s.get_final_completion()
    choice = final.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls is not None
    assert [t.function.name for t in choice.message.tool_calls] == ["calculator"]
    assert json.loads(choice.message.tool_calls[0].function.arguments) == CALC_ARGUMENTS


def test_none_keeps_the_tools_from_the_model(calling: ApiServer) -> None:
    with client(calling) as c:
        reply = c.chat.completions.create(
            model="qwq-32b", messages=QUESTION, tools=[CALCULATOR], tool_choice="none"
        )
    choice = reply.choices[0]
    assert choice.finish_reason == "stop" and choice.message.tool_calls is None
    assert choice.message.content is not None and "<tool_call>" in choice.message.content


@pytest.fixture(scope="module")
def required(scripted: ScriptFactory) -> Iterator[ApiServer]:
    yield from serving(scripted, REQUIRED)


@pytest.fixture(scope="module")
def named(scripted: ScriptFactory) -> Iterator[ApiServer]:
    yield from serving(scripted, NAMED)


def test_required_and_a_named_function_make_the_model_call(
    required: ApiServer, named: ApiServer
) -> None:
    for server, choice, arguments in (
        (required, "required", {"expression": "2+2"}),
        (named, {"type": "function", "function": {"name": "calculator"}}, {"expression": "2*2"}),
    ):
        with client(server) as c:
            left_alone = c.chat.completions.create(
                model="qwq-32b", messages=QUESTION, tools=[CALCULATOR, DATETIME]
            )
            forced = c.chat.completions.create(
                model="qwq-32b",
                messages=QUESTION,
                tools=[CALCULATOR, DATETIME],
                tool_choice=choice,
            )
        assert left_alone.choices[0].message.content == "It is four."
        assert left_alone.choices[0].message.tool_calls is None
        made = forced.choices[0]
        assert made.finish_reason == "tool_calls"
        assert made.message.tool_calls is not None and len(made.message.tool_calls) == 1
        assert made.message.tool_calls[0].function.name == "calculator"
        assert json.loads(made.message.tool_calls[0].function.arguments) == arguments


@pytest.fixture(scope="module")
def two_calls(scripted: ScriptFactory) -> Iterator[ApiServer]:
    yield from serving(scripted, TWO_CALLS)


def test_parallel_calls_and_one_at_most(two_calls: ApiServer) -> None:
    tools = [CALCULATOR, DATETIME]
    with client(two_calls) as c:
        both = c.chat.completions.create(model="qwq-32b", messages=QUESTION, tools=tools)
        one = c.chat.completions.create(
            model="qwq-32b", messages=QUESTION, tools=tools, parallel_tool_calls=False
        )
        indices = []
        for chunk in c.chat.completions.create(
            model="qwq-32b", messages=QUESTION, tools=tools, stream=True
        ):
            indices += [t.index for t in chunk.choices[0].delta.tool_calls or []]
    assert both.choices[0].message.tool_calls is not None
    assert [t.function.name for t in both.choices[0].message.tool_calls] == [
        "calculator",
        "datetime",
    ]
    assert indices == [0, 1]
    assert one.choices[0].message.tool_calls is not None
    assert [t.function.name for t in one.choices[0].message.tool_calls] == ["calculator"]
    assert one.choices[0].finish_reason == "tool_calls"
    # The malformed call is not a call: it stays in the answer, as the model wrote it.
    for reply in (both, one):
        assert reply.choices[0].message.content == "\n<tool_call>\n{oops}\n</tool_call>\n"
