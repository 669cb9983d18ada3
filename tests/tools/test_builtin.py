"""The four built-in tools together, as the model sees them."""

from __future__ import annotations

import json

import pytest

from app.store.conversations import ConversationStore
from app.tools.builtin import BUILTIN_NAMES, builtin_tools, call
from app.tools.python_runner import Sandbox


def test_the_model_sees_four_tools_by_their_names(store: ConversationStore) -> None:
    tools = builtin_tools(store)
    assert tuple(tools) == BUILTIN_NAMES
    schemas = {t.name: t.schema()["function"] for t in tools.values()}
    assert {n: s["parameters"]["required"] for n, s in schemas.items()} == {
        "calculator": ["expression"],
        "python": ["code"],
        "datetime": [],
        "search_conversations": ["query"],
    }
    for name, schema in schemas.items():
        assert schema["name"] == name
        assert schema["description"]
        assert schema["parameters"]["type"] == "object"
        json.dumps(schema)  # goes to the chat template as JSON
    assert [n for n, t in tools.items() if t.needs_approval] == ["python"]


def test_without_a_store_there_is_no_search() -> None:
    assert tuple(builtin_tools()) == ("calculator", "python", "datetime")


def test_a_chosen_few_and_a_name_that_is_not_built_in(store: ConversationStore) -> None:
    assert tuple(builtin_tools(store, names=["datetime", "calculator"])) == (
        "datetime",
        "calculator",
    )
    with pytest.raises(ValueError, match="weather"):
        builtin_tools(store, names=["weather"])


def test_call_runs_a_tool_by_the_name_the_model_wrote(store: ConversationStore) -> None:
    tools = builtin_tools(store, sandbox=Sandbox.NONE)
    assert call(tools, "calculator", {"expression": "6*7"}).text == "42"
    assert call(tools, "calculator", '{"expression": "6*7"}').text == "42"
    unknown = call(tools, "weather", {})
    assert not unknown.ok
    assert unknown.text == (
        "There is no tool named 'weather'. The tools are: calculator, python, datetime,"
        " search_conversations."
    )
    assert not call(tools, None, {}).ok
    refused = call(tools, "python", {"code": "print(1)"})
    assert not refused.ok
    assert "cannot run here" in refused.text
