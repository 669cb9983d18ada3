"""Every field of a chat request has a type and a range: a wrong one is a 400 naming
the field, as OpenAI answers; never a 500, never silently taken for something else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.api.server import ApiServer
from app.engine.local_engine import LoadSettings, LocalEngine
from tests.api.http import post_json, serve
from tests.fixtures.scripted_model import ScriptedModel

GOOD = b'{"model": "qwq-32b", "messages": [{"role": "user", "content": "2+2?"}]'


@pytest.fixture(scope="module")
def server(qwq_model: ScriptedModel) -> Iterator[ApiServer]:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=4096))
    s = serve(engine)
    yield s
    s.stop()
    engine.close()


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        (b'"messages": 123', "messages"),
        (b'"messages": [{"role": "user", "content": 5}]', "messages[0].content"),
        (b'"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]',
         "messages[0].content"),
        (b'"seed": 1e999', "seed"),  # Infinity as JSON can write it
        (b'"seed": 1.5', "seed"),
        (b'"seed": 100000000000000000000000', "seed"),
        (b'"top_k": 1e999', "top_k"),
        (b'"top_k": -1', "top_k"),
        (b'"repeat_penalty": -1e999', "repeat_penalty"),
        (b'"repeat_penalty": "1.1"', "repeat_penalty"),
        (b'"temperature": 9', "temperature"),
        (b'"temperature": true', "temperature"),
        (b'"top_p": 0', "top_p"),
        (b'"max_tokens": true', "max_tokens"),
        (b'"max_tokens": 0', "max_tokens"),
        (b'"max_tokens": 1000000', "max_tokens"),  # more than the context holds
        (b'"max_completion_tokens": 2.5', "max_completion_tokens"),
        (b'"stream": "no"', "stream"),
        (b'"stream": 1', "stream"),
        (b'"stream_options": {"include_usage": "yes"}', "stream_options.include_usage"),
        (b'"n": true', "n"),
        (b'"model": ["qwq-32b"]', "model"),
        (b'"stop": [1]', "stop"),
        (b'"response_format": "json"', "response_format"),
    ],
)  # fmt: skip
def test_a_wrong_field_is_a_400_that_names_it(server: ApiServer, extra: bytes, param: str) -> None:
    # A later key wins in JSON objects: the wrong value replaces the good one.
    reply = post_json(server, GOOD + b", " + extra + b"}")
    assert reply.status == 400, reply
    assert reply.error["param"] == param, reply.error


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
@pytest.mark.parametrize("field", [b"seed", b"top_k", b"repeat_penalty", b"temperature"])
def test_nan_and_infinity_are_not_json(server: ApiServer, field: bytes, constant: bytes) -> None:
    reply = post_json(server, GOOD + b', "' + field + b'": ' + constant + b"}")
    assert reply.status == 400, reply
    assert reply.error["type"] == "invalid_request_error"


def test_good_fields_are_taken(server: ApiServer) -> None:
    extra = (
        b'"seed": -7, "top_k": 20, "repeat_penalty": 1.1, "temperature": 0, "max_tokens": 4,'
        b' "stream": false, "n": 1, "stop": ["x"], "response_format": {"type": "text"},'
        b' "user": "me", "messages": [{"role": "developer", "content": null},'
        b' {"role": "user", "content": [{"type": "text", "text": "2+2?"}]}]'
    )
    reply = post_json(server, GOOD + b", " + extra + b"}")
    assert reply.status == 200, reply
    assert reply.json()["usage"]["completion_tokens"] == 4
