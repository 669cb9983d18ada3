"""Import files mutated at random: a clean import or one clear error, never in between.

Each example takes a valid export and changes it: a value replaced by one of the
wrong type, a huge number, NaN or infinity, a broken character, deeply nested
brackets or a number of thousands of digits; a key deleted or added. Either the
import succeeds and everything that reads the result works (the list, both
exports, the branch on screen, a second round trip gives the same JSON), or it
fails with one line (a QwQError) and the database is exactly as it was.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.core.errors import QwQError
from app.core.sampling import SamplingSettings
from app.store.conversations import ConversationStore
from app.store.export import export_json, export_markdown, import_json

DEEP = "\x00deep\x00"  # replaced by 50,000 nested brackets once serialised
DIGITS = "\x00digits\x00"  # replaced by a number of 5,000 digits


def _valid_export() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder, ConversationStore(Path(folder)) as store:
        c = store.create(model="qwq", system_prompt="Be exact.", sampling={"temperature": 0.6})
        u = store.add_message(c.id, "user", "What is 2+2?", parent_id=None)
        a = store.add_message(c.id, "assistant", "", parent_id=u.id, status="streaming")
        store.finish_message(
            a.id,
            content="**4**",
            reasoning="Two and two.",
            finish_reason="stop",
            reasoning_finished=True,
            thinking_seconds=3.5,
            stats={"reasoning_tokens": 12, "generated_tokens": 20, "tokens_per_second": 9.5},
        )
        store.add_message(c.id, "assistant", "Four.", parent_id=u.id)
        store.create(title="empty")
        data: dict[str, Any] = json.loads(export_json(store, store.conversations()))
        return data


VALID = _valid_export()


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e20, 10**30, -1, 2**63, 1e308, float("nan"), float("inf"), 0.5, 3]),
    st.text(max_size=12),
    st.sampled_from(["\ud800", "a\udfffb", "user", "assistant", "done", "streaming", "stop"]),
    st.lists(st.integers(min_value=-3, max_value=3), max_size=3),
    st.dictionaries(
        st.sampled_from(["temperature", "top_k", "x", "reasoning_tokens"]),
        st.one_of(st.integers(-5, 10**20), st.floats(), st.text(max_size=3)),
        max_size=3,
    ),
    st.sampled_from([DEEP, DIGITS, {}, []]),
)
mutation = st.tuples(
    st.sampled_from(["replace", "delete", "add"]), st.integers(0, 10**6), odd_values
)


def _mutate(data: dict[str, Any], changes: list[tuple[str, int, Any]]) -> Any:
    doc: Any = copy.deepcopy(data)
    for kind, where, value in changes:
        paths = list(_paths(doc))
        path = paths[where % len(paths)]
        if not path:
            doc = value if kind == "replace" else doc
            continue
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if kind == "replace":
            parent[last] = value
        elif kind == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[f"extra{where % 7}"] = value
        else:
            parent.append(value)
    return doc


def _serialise(doc: Any) -> str:
    text = json.dumps(doc, ensure_ascii=True, allow_nan=True)
    text = text.replace(json.dumps(DEEP), "[" * 50_000 + "]" * 50_000)
    return text.replace(json.dumps(DIGITS), "9" * 5_000)


def _state(store: ConversationStore) -> list[tuple[int, int]]:
    return [(c.id, store.message_count(c.id)) for c in store.conversations()]


def _everything_reads(store: ConversationStore, ids: list[int]) -> None:
    conversations = [store.get(i) for i in ids]
    for c in store.conversations():  # the list, as the window and the CLI show it
        dt.datetime.fromtimestamp(c.updated_at).strftime("%Y-%m-%d %H:%M")
    for c in conversations:
        assert c.damaged == ""
        SamplingSettings.from_dict(c.sampling)
        export_markdown(store, c)
        for m in store.messages(c.id):
            assert m.damaged == ""
        store.branch_with_siblings(c.id)
    once = export_json(store, conversations)
    again = export_json(store, [store.get(i) for i in import_json(store, once)])
    assert json.loads(again) == json.loads(once)


@settings(
    max_examples=150,
    deadline=5_000,  # ms per example: generous; a hang or a blow-up takes far longer
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(changes=st.lists(mutation, min_size=1, max_size=4))
def test_a_mutated_import_is_all_or_nothing_with_one_clear_error(
    changes: list[tuple[str, int, Any]],
) -> None:
    text = _serialise(_mutate(VALID, changes))
    with tempfile.TemporaryDirectory() as folder, ConversationStore(Path(folder)) as store:
        store.create(title="already here")
        before = _state(store)
        try:
            ids = import_json(store, text)
        except QwQError as e:
            event("refused")
            message = str(e)
            assert message and "\n" not in message and len(message) < 400, message
            assert _state(store) == before
            return
        event("imported")
        _everything_reads(store, ids)
