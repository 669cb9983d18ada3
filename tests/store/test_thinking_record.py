"""The store records how each trace ended and which parts of it the app or the user wrote.

Real llama.cpp on scripted models writing into a real SQLite store; exports and imports
through the real JSON and Markdown code; a version-2 database migrated in place.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.events import AnswerDelta
from app.core.sampling import SamplingSettings
from app.core.thinking import InsertedSpan, ThinkingControl
from app.engine.local_engine import LoadSettings, LocalEngine
from app.session import ChatSession, continue_modes
from app.store.conversations import ConversationStore, StoredMessage
from app.store.database import StoreError
from app.store.export import export_json, export_markdown, import_json
from app.store.schema import migrate
from tests.fixtures.models import QWQ_SCRIPT, ScriptFactory

ANSWER = ["The sum ", "is **5**."]


@pytest.fixture(scope="module")
def long_thinker(scripted: ScriptFactory) -> Iterator[LocalEngine]:
    """Thinks without end (varied sentences, no loop), answers once the trace is closed."""
    model = scripted([f" idea {i}." for i in range(400)], loop=True, after_blank_line=ANSWER)
    engine = LocalEngine(model.path, LoadSettings(context_length=4096))
    yield engine
    engine.close()


def _budget_reply(store: ConversationStore, engine: LocalEngine) -> StoredMessage:
    session = ChatSession(store, engine)
    c = store.create()
    list(session.reply(c.id, "1+4?", SamplingSettings(seed=1), ThinkingControl(budget_tokens=30)))
    return store.branch(c.id)[-1]


def test_a_trace_cut_by_the_budget_is_stored_with_its_wrap_up_marked(
    store: ConversationStore, long_thinker: LocalEngine
) -> None:
    m = _budget_reply(store, long_thinker)
    assert m.reasoning_ended_by == "budget" and m.reasoning_finished
    assert m.content == "The sum is **5**."
    (span,) = m.inserted
    assert span.by == "app" and span.end == len(m.reasoning)
    assert "Considering the limited time" in m.reasoning[span.start : span.end]
    assert "idea" not in m.reasoning[span.start : span.end]  # the model's words are its own
    assert m.reasoning[: span.start].strip().endswith("idea 29.")


def test_the_record_survives_a_restart(tmp_path: Path, long_thinker: LocalEngine) -> None:
    with ConversationStore(tmp_path) as s:
        before = _budget_reply(s, long_thinker)
    with ConversationStore(tmp_path) as s:
        after = s.message(before.id)
    assert (after.reasoning_ended_by, after.inserted) == ("budget", before.inserted)
    assert after.damaged == ""


def test_a_trace_the_model_closed_is_recorded_as_such(
    store: ConversationStore, scripted: ScriptFactory
) -> None:
    engine = LocalEngine(scripted(QWQ_SCRIPT).path, LoadSettings(context_length=2048))
    try:
        c = store.create()
        list(ChatSession(store, engine).reply(c.id, "2+2?"))
    finally:
        engine.close()
    m = store.branch(c.id)[-1]
    assert (m.reasoning_ended_by, m.inserted) == ("model", ())


def test_exports_carry_how_the_trace_ended_and_import_it_back(
    store: ConversationStore, long_thinker: LocalEngine, tmp_path: Path
) -> None:
    m = _budget_reply(store, long_thinker)
    store.update_settings(m.conversation_id, thinking={"budget_tokens": 2048})
    conversation = store.get(m.conversation_id)
    text = export_json(store, [conversation])
    data = json.loads(text)
    assert data["version"] == 4
    exported = data["conversations"][0]
    assert exported["thinking"] == {"budget_tokens": 2048}
    assert exported["messages"][-1]["reasoning_ended_by"] == "budget"
    assert exported["messages"][-1]["inserted"] == [[m.inserted[0].start, len(m.reasoning), "app"]]
    with ConversationStore(tmp_path / "other") as other:
        (cid,) = import_json(other, text)
        again = other.branch(cid)[-1]
        assert (again.reasoning_ended_by, again.inserted) == ("budget", m.inserted)
        assert other.get(cid).thinking == {"budget_tokens": 2048}
        assert json.loads(export_json(other, [other.get(cid)])) == data  # lossless
    md = export_markdown(store, conversation)
    assert "· budget reached</summary>" in md
    assert "> *[inserted by QwQ Desktop]* Considering the limited time" in md


def _export(version: int, **message_fields: object) -> str:
    """An export of one conversation holding one reply, as ``version`` wrote it."""
    message: dict[str, object] = {
        "parent": None,
        "role": "assistant",
        "content": "a",
        "reasoning": "four.",
        "created_at": 1.0,
        "status": "done",
        "finish_reason": "stop",
        "reasoning_finished": True,
        "thinking_seconds": 0,
        "stats": {},
        "error": None,
        "model": "",
        **message_fields,
    }
    conversation = {
        "title": "t",
        "title_is_custom": False,
        "created_at": 1.0,
        "updated_at": 1.0,
        "pinned": False,
        "model": "",
        "system_prompt": "",
        "sampling": {},
        "current_leaf": 0,
        "messages": [message],
    }
    export = {"format": "qwq-desktop-conversations", "version": version}
    return json.dumps({**export, "conversations": [conversation]})


def test_a_version_1_export_still_imports(store: ConversationStore) -> None:
    (cid,) = import_json(store, _export(1))  # written before traces had a record
    (m,) = store.branch(cid)
    assert (m.content, m.reasoning_ended_by, m.inserted) == ("a", None, ())
    assert store.get(cid).thinking == {}


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("reasoning_ended_by", "boredom", "reasoning_ended_by"),
        ("inserted", [[0, 99, "app"]], "beyond the end of the trace"),
        ("inserted", [[5, 2, "app"]], "ends before it starts"),
        ("inserted", [[0, 1, "model"]], "inserted"),
        ("inserted", "[[0,1,'app']]", "inserted"),
    ],
)
def test_a_bad_record_in_an_import_is_refused_naming_it(
    store: ConversationStore, field: str, value: object, says: str
) -> None:
    with pytest.raises(StoreError, match=says):
        import_json(store, _export(2, **{field: value}))
    assert store.conversations() == []


def test_a_bad_thinking_budget_is_refused(store: ConversationStore) -> None:
    c = store.create()
    for bad in ({"budget_tokens": 0}, {"budget_seconds": -1}, {"tokens": 5}):
        with pytest.raises(StoreError, match="Bad thinking budget"):
            store.update_settings(c.id, thinking=bad)
    store.update_settings(c.id, thinking={"budget_tokens": None, "budget_seconds": 120})
    assert store.get(c.id).thinking == {"budget_tokens": None, "budget_seconds": 120}


def test_a_damaged_record_reads_as_none_and_is_named(store: ConversationStore) -> None:
    c = store.create()
    m = store.add_message(c.id, "assistant", "a", parent_id=None, reasoning="abc")
    with sqlite3.connect(store.path) as conn:
        conn.execute(
            "UPDATE messages SET inserted = '[[0, 2, \"ghost\"]]', reasoning_ended_by = 'x'"
            " WHERE id = ?",
            (m.id,),
        )
        conn.execute("UPDATE conversations SET thinking = 'nope' WHERE id = ?", (c.id,))
    back = store.message(m.id)
    assert (back.inserted, back.reasoning_ended_by) == ((), None)
    assert back.damaged == "reasoning_ended_by, inserted"
    assert store.get(c.id).thinking == {} and store.get(c.id).damaged == "thinking"


def test_a_version_2_database_is_migrated_in_place(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    folder.mkdir()
    with ConversationStore(folder) as s:
        path = s.path
    for leftover in folder.glob(path.name + "*"):
        leftover.unlink()  # start again from a version-2 file written by the old migrations
    conn = sqlite3.connect(path)
    migrate(conn, target=2)
    conn.execute("INSERT INTO conversations (title, created_at, updated_at) VALUES ('old', 1, 1)")
    conn.execute(
        "INSERT INTO messages (conversation_id, role, content, reasoning, created_at,"
        " reasoning_finished, finish_reason) VALUES (1, 'assistant', 'ans', 'why', 1, 1, 'stop')"
    )
    conn.commit()
    conn.close()
    with ConversationStore(folder) as s:
        assert s.migrated_from == 2
        (m,) = s.messages(1)
        assert (m.content, m.reasoning, m.reasoning_ended_by, m.inserted) == (
            "ans",
            "why",
            None,
            (),
        )
        assert s.get(1).thinking == {} and m.damaged == ""


def _reply(**fields: object) -> StoredMessage:
    base: dict[str, object] = {
        "id": 1,
        "conversation_id": 1,
        "parent_id": 0,
        "role": "assistant",
        "content": "",
        "reasoning": "some thought",
        "created_at": 1.0,
        "status": "done",
        "finish_reason": "stop",
        "reasoning_finished": True,
        "reasoning_ended_by": "model",
    }
    base.update(fields)
    return StoredMessage(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "modes"),
    [
        ({}, ()),  # the model closed its trace and answered: nothing to go on with
        ({"finish_reason": "cancelled", "reasoning_finished": False}, ("thinking",)),
        ({"finish_reason": "length", "reasoning_finished": False}, ("thinking",)),
        (
            {"status": "interrupted", "finish_reason": None, "reasoning_finished": False},
            ("thinking",),
        ),
        ({"finish_reason": "length", "content": "The sum"}, ("answer",)),
        ({"reasoning_ended_by": "budget", "content": "5"}, ("thinking",)),
        ({"reasoning_ended_by": "loop", "finish_reason": "cancelled"}, ("thinking", "answer")),
        ({"finish_reason": "repetition", "content": "5 5 5"}, ()),
        ({"role": "user"}, ()),
        ({"status": "streaming", "finish_reason": "cancelled"}, ()),
        (
            {
                "reasoning": "",
                "reasoning_finished": False,
                "finish_reason": "length",
                "content": "a",
            },
            ("answer",),
        ),
    ],
)
def test_which_replies_can_go_on(fields: dict[str, object], modes: tuple[str, ...]) -> None:
    assert continue_modes(_reply(**fields)) == modes


def test_spans_are_kept_within_the_trace(store: ConversationStore) -> None:
    c = store.create()
    m = store.add_message(c.id, "assistant", "", parent_id=None, reasoning="")
    store.finish_message(
        m.id,
        content="x",
        reasoning="abcdef",
        finish_reason="stop",
        reasoning_finished=True,
        thinking_seconds=1.0,
        stats={},
        reasoning_ended_by="user",
        inserted=[InsertedSpan(2, 6, "app"), InsertedSpan(3, 60, "user")],
    )
    back = store.message(m.id)
    assert back.inserted == (InsertedSpan(2, 6, "app"),) and back.reasoning_ended_by == "user"


def test_continue_answer_keeps_the_record_of_who_closed_the_trace(
    store: ConversationStore, long_thinker: LocalEngine
) -> None:
    session = ChatSession(store, long_thinker)
    c = store.create()
    g = session.reply(c.id, "1+4?", SamplingSettings(seed=1), ThinkingControl(budget_tokens=30))
    for event in g:
        if isinstance(event, AnswerDelta):
            g.cancel()  # Stop, right after the answer began
    cut = store.branch(c.id)[-1]
    assert (cut.finish_reason, cut.reasoning_ended_by, cut.content) == (
        "cancelled",
        "budget",
        "The sum ",
    )
    assert continue_modes(cut) == ("thinking", "answer")
    list(session.continue_reply(cut.id, "answer"))
    after = store.message(cut.id)
    assert (after.content, after.finish_reason) == ("The sum is **5**.", "stop")
    assert after.reasoning_ended_by == "budget" and after.inserted == cut.inserted
    assert [m.id for m in store.branch(c.id)] == [cut.parent_id, cut.id]  # in place
