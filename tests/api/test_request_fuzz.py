"""Random request bodies, every field any JSON value: the answer is always a 2xx or a
4xx with an OpenAI-shaped error, in bounded time, and the server goes on answering."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.api.server import ApiServer
from app.engine.local_engine import LoadSettings, LocalEngine
from tests.api.http import ask, post_json, serve
from tests.fixtures.models import QWQ_ANSWER
from tests.fixtures.scripted_model import ScriptedModel

EDGES = st.sampled_from(
    [float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 2**64, -(2**63) - 1, 0, -1,
     True, False, "", "1", "\u0000", [], {}]
)  # fmt: skip
TEXT = st.text(max_size=20) | st.text(st.characters(categories=["Cs", "Lo", "So"]), max_size=5)
SCALARS = (
    EDGES
    | st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and Infinity included: sent as JSON's missing literals
    | TEXT
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=8,
)
ROLES = st.sampled_from(["user", "assistant", "system", "developer", "tool", ""]) | JSON_VALUES
CONTENT = (
    TEXT
    | st.lists(
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["text", "image_url"]) | JSON_VALUES,
                "text": st.text(max_size=10) | JSON_VALUES,
            }
        ),
        max_size=3,
    )
    | JSON_VALUES
)
NAMES = st.sampled_from(["calculator", "datetime", "", "bad name", "x" * 129]) | JSON_VALUES
IDS = st.sampled_from(["call_1", "call_2", ""]) | JSON_VALUES
ARGUMENTS = (
    st.sampled_from(['{"expression": "2+2"}', "", "{oops", "[1]", '{"x": NaN}', "null"])
    | st.dictionaries(st.text(max_size=4), SCALARS, max_size=2).map(json.dumps)
    | JSON_VALUES
)
FUNCTION = st.fixed_dictionaries(
    {"name": NAMES}, optional={"description": TEXT | JSON_VALUES, "parameters": JSON_VALUES}
)
TOOLS = st.lists(
    st.fixed_dictionaries({"type": st.just("function") | JSON_VALUES, "function": FUNCTION})
    | JSON_VALUES,
    max_size=3,
)
TOOL_CALL = st.fixed_dictionaries(
    {
        "id": IDS,
        "type": st.just("function") | JSON_VALUES,
        "function": st.fixed_dictionaries({"name": NAMES, "arguments": ARGUMENTS}) | JSON_VALUES,
    }
)
TOOL_CHOICE = (
    st.sampled_from(["auto", "none", "required", "any"])
    | st.fixed_dictionaries(
        {"type": st.just("function"), "function": st.fixed_dictionaries({"name": NAMES})}
    )
    | JSON_VALUES
)
MESSAGE = (
    st.fixed_dictionaries(
        {"role": ROLES, "content": CONTENT},
        optional={
            "tool_call_id": IDS,
            "tool_calls": st.lists(TOOL_CALL, max_size=2) | JSON_VALUES,
        },
    )
    | JSON_VALUES
)
MESSAGES = (
    st.lists(MESSAGE, min_size=1, max_size=4).map(
        lambda ms: [*ms, {"role": "user", "content": "What is 2+2?"}]
    )
    | st.lists(MESSAGE, max_size=4)
    | JSON_VALUES
)
GOOD_FIELDS: dict[str, Any] = {
    "temperature": st.floats(0, 5),
    "top_p": st.floats(0.01, 1),
    "top_k": st.integers(0, 100),
    "min_p": st.floats(0, 1),
    "presence_penalty": st.floats(-2, 2),
    "frequency_penalty": st.floats(-2, 2),
    "repeat_penalty": st.floats(0.5, 2),
    "seed": st.integers(-(2**63), 2**64 - 1),
    "max_tokens": st.integers(1, 64),
    "max_completion_tokens": st.integers(1, 64),
    "n": st.just(1),
    "stream": st.booleans(),
    "stream_options": st.fixed_dictionaries({"include_usage": st.booleans()}),
    "response_format": st.just({"type": "text"}),
    "stop": st.text(max_size=5),
    "user": st.text(max_size=5),
    "metadata": st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    "tools": TOOLS,
    "tool_choice": TOOL_CHOICE,
    "parallel_tool_calls": st.booleans(),
}
ANY_VALUE: dict[str, Any] = {
    name: values | EDGES | JSON_VALUES for name, values in GOOD_FIELDS.items()
}
ANY_VALUE.update(
    model=st.just("qwq-32b") | EDGES | JSON_VALUES,
    messages=MESSAGES | EDGES,
    logprobs=JSON_VALUES,
    functions=JSON_VALUES,
    response_format=st.fixed_dictionaries({"type": JSON_VALUES}) | JSON_VALUES,
)


@st.composite
def bodies(draw: st.DrawFn) -> Any:
    """A good request with 0 to 3 fields made anything at all, or any JSON value."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON_VALUES)  # not even an object
    body: dict[str, Any] = {
        "model": "qwq-32b",
        "messages": [{"role": "user", "content": draw(st.text(min_size=1, max_size=30))}],
    }
    for name in draw(st.lists(st.sampled_from(list(GOOD_FIELDS)), max_size=5, unique=True)):
        body[name] = draw(GOOD_FIELDS[name])
    for name in draw(st.lists(st.sampled_from(list(ANY_VALUE)), max_size=3, unique=True)):
        how = draw(st.integers(0, 5))
        if how == 0:
            body.pop(name, None)
        elif how <= 2:
            body[name] = draw(EDGES)
        else:
            body[name] = draw(ANY_VALUE[name])
    return body


@pytest.fixture(scope="module")
def server(qwq_model: ScriptedModel) -> Iterator[ApiServer]:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=2048))
    s = serve(engine, max_queue=1)
    yield s
    s.stop()
    engine.close()


@settings(
    max_examples=250,
    deadline=None,  # bounded below, per request, generously
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies())
def test_any_body_gets_a_clean_answer(server: ApiServer, body: Any) -> None:
    data = json.dumps(body).encode()  # NaN/Infinity written as JSON does not allow
    started = time.monotonic()
    reply = post_json(server, data, timeout=30)
    assert time.monotonic() - started < 15
    assert 200 <= reply.status < 500, (reply, body)
    event(f"status {reply.status}")
    if reply.status >= 300:
        assert reply.error["type"] in ("invalid_request_error", "rate_limit_error"), reply
    elif reply.headers["content-type"].startswith("text/event-stream"):
        assert reply.body.endswith(b"data: [DONE]\n\n") and b'"error"' not in reply.body
    else:
        assert reply.json()["object"] == "chat.completion"


def test_and_afterwards_a_normal_request_is_answered(server: ApiServer) -> None:
    reply = post_json(server, ask(), timeout=30)
    assert reply.status == 200
    assert reply.json()["choices"][0]["message"]["content"] == QWQ_ANSWER
