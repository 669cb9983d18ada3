"""The conversation store on a real SQLite database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.store.conversations import HIGHLIGHT_END, HIGHLIGHT_START, ConversationStore, title_from
from app.store.database import DB_NAME, StoreError
from app.store.schema import LATEST, migrate


@pytest.fixture
def store(tmp_path: Path) -> ConversationStore:
    s = ConversationStore(tmp_path)
    yield s  # type: ignore[misc]
    s.close()


def test_database_is_wal_and_versioned(store: ConversationStore) -> None:
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    conn.close()


def test_a_first_version_database_is_migrated_with_its_data(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    migrate(conn, target=1)
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (1, 'Old lighthouse talk', 1, 2)"
    )
    conn.execute(
        "INSERT INTO messages (conversation_id, role, content, reasoning, created_at)"
        " VALUES (1, 'assistant', 'Fresnel lenses', 'thinking about optics', 3)"
    )
    conn.close()
    with ConversationStore(tmp_path) as store:
        assert store.migrated_from == 1
        assert [c.title for c in store.conversations()] == ["Old lighthouse talk"]
        assert [h.field for h in store.search("optics")] == ["reasoning"]
        assert [h.field for h in store.search("lighthouse")] == ["title"]
    conn = sqlite3.connect(tmp_path / DB_NAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_conversation_fields_and_listing_order(store: ConversationStore) -> None:
    a = store.create(
        model="qwq-32b-q4_k_m",
        system_prompt="Be brief.",
        sampling={"temperature": 0.6},
        created_at=100,
    )
    b = store.create(created_at=200)
    c = store.create(created_at=300)
    store.set_pinned(a.id, True)
    got = store.get(a.id)
    assert (got.model, got.system_prompt, got.sampling, got.pinned) == (
        "qwq-32b-q4_k_m",
        "Be brief.",
        {"temperature": 0.6},
        True,
    )
    assert [x.id for x in store.conversations()] == [a.id, c.id, b.id]
    store.delete(c.id)
    assert [x.id for x in store.conversations()] == [a.id, b.id]
    with pytest.raises(StoreError, match="no conversation"):
        store.get(c.id)


def test_title_comes_from_the_first_user_message_never_the_reasoning(
    store: ConversationStore,
) -> None:
    c = store.create()
    u = store.add_message(c.id, "user", "  How do lighthouses\n work at night?  ", parent_id=None)
    store.add_message(c.id, "assistant", "With lamps.", parent_id=u.id, reasoning="REASONING TITLE")
    store.add_message(c.id, "user", "Another question", parent_id=u.id)
    assert store.get(c.id).title == "How do lighthouses work at night?"
    store.rename(c.id, "Lighthouses")
    store.add_message(c.id, "user", "More", parent_id=None)
    assert store.get(c.id).title == "Lighthouses"
    assert store.get(c.id).title_is_custom
    with pytest.raises(StoreError):
        store.rename(c.id, "   ")


def test_long_titles_are_cut_at_a_word() -> None:
    title = title_from("word " * 40)
    assert len(title) <= 61 and title.endswith("…") and "  " not in title
    assert title_from("Short one") == "Short one"


def test_messages_keep_answer_reasoning_stats_and_finish(store: ConversationStore) -> None:
    c = store.create()
    u = store.add_message(c.id, "user", "q", parent_id=None)
    a = store.add_message(c.id, "assistant", "", parent_id=u.id, status="streaming", model="m")
    store.update_streaming(a.id, "partial answer", "partial trace")
    assert store.message(a.id).status == "streaming"
    store.finish_message(
        a.id,
        content="answer",
        reasoning="trace",
        finish_reason="length",
        reasoning_finished=False,
        thinking_seconds=12.5,
        stats={"generated_tokens": 7, "reasoning_tokens": 5},
    )
    m = store.message(a.id)
    assert (m.content, m.reasoning, m.status, m.finish_reason) == (
        "answer",
        "trace",
        "done",
        "length",
    )
    assert (m.reasoning_finished, m.thinking_seconds, m.stats["reasoning_tokens"], m.model) == (
        False,
        12.5,
        5,
        "m",
    )


def test_regenerate_and_edit_make_branches_not_overwrites(store: ConversationStore) -> None:
    c = store.create()
    u1 = store.add_message(c.id, "user", "first question", parent_id=None)
    a1 = store.add_message(c.id, "assistant", "answer one", parent_id=u1.id)
    a2 = store.add_message(c.id, "assistant", "answer two", parent_id=u1.id)  # regenerated
    assert [m.content for m in store.branch(c.id)] == ["first question", "answer two"]
    assert store.branch_with_siblings(c.id)[-1][1] == [a1.id, a2.id]
    store.switch_to(a1.id)  # flip back to the old answer
    assert [m.content for m in store.branch(c.id)] == ["first question", "answer one"]

    u2 = store.add_message(c.id, "user", "follow-up", parent_id=a1.id)
    store.add_message(c.id, "assistant", "reply", parent_id=u2.id)
    edited = store.add_message(c.id, "user", "follow-up, edited", parent_id=a1.id)
    store.add_message(c.id, "assistant", "reply to the edit", parent_id=edited.id)
    assert [m.content for m in store.branch(c.id)] == [
        "first question",
        "answer one",
        "follow-up, edited",
        "reply to the edit",
    ]
    store.switch_to(u2.id)
    assert [m.content for m in store.branch(c.id)][-2:] == ["follow-up", "reply"]
    assert len(store.messages(c.id)) == 7  # nothing was overwritten


def test_search_ranks_titles_answers_and_reasoning_with_snippets(store: ConversationStore) -> None:
    c1 = store.create(title="Lighthouse optics")
    u = store.add_message(c1.id, "user", "Tell me about Fresnel lenses", parent_id=None)
    store.add_message(
        c1.id,
        "assistant",
        "A Fresnel lens is thin.",
        parent_id=u.id,
        reasoning="Augustin Fresnel, 1822, lighthouse lens",
    )
    c2 = store.create(title="Cooking")
    u2 = store.add_message(c2.id, "user", "pasta", parent_id=None)
    store.add_message(
        c2.id, "assistant", "Boil water.", parent_id=u2.id, reasoning="the user wants pasta"
    )

    hits = store.search("fresnel")
    fields = {(h.conversation_id, h.field) for h in hits}
    assert fields == {(c1.id, "prompt"), (c1.id, "answer")}  # one hit per message
    assert all(HIGHLIGHT_START + "Fresnel" + HIGHLIGHT_END in h.snippet for h in hits)
    (trace,) = store.search("augustin 1822")
    assert trace.field == "reasoning" and trace.snippet.startswith(HIGHLIGHT_START + "Augustin")
    assert [h.field for h in store.search("optics")] == ["title"]
    assert [h.conversation_id for h in store.search("pasta")] == [c2.id, c2.id]
    assert store.search("lig") and store.search("lig")[0].conversation_id == c1.id  # prefix


@pytest.mark.parametrize(
    "query",
    ["", "   ", '"', "AND OR NOT", "(((", "*", "NEAR(a b)", "col:val", "🦙", "a" * 5000, "\x00"],
)
def test_absurd_search_input_never_fails(store: ConversationStore, query: str) -> None:
    c = store.create(title="AND OR NOT")
    store.add_message(c.id, "user", "NEAR the col:val 🦙", parent_id=None)
    assert isinstance(store.search(query), list)


def test_search_after_edits_and_deletes(store: ConversationStore) -> None:
    c = store.create()
    u = store.add_message(c.id, "user", "zebra", parent_id=None)
    a = store.add_message(c.id, "assistant", "", parent_id=u.id, status="streaming")
    store.update_streaming(a.id, "giraffe", "")
    assert [h.message_id for h in store.search("giraffe")] == [a.id]
    store.delete(c.id)
    assert store.search("zebra") == [] and store.search("giraffe") == []


def test_a_reply_the_loop_guard_stopped_is_kept_and_exported(store: ConversationStore) -> None:
    from app.store.export import export_json, export_markdown, import_json

    c = store.create()
    u = store.add_message(c.id, "user", "q", parent_id=None)
    a = store.add_message(c.id, "assistant", "", parent_id=u.id, status="streaming")
    store.finish_message(
        a.id,
        content="again and again",
        reasoning="trace",
        finish_reason="repetition",
        reasoning_finished=True,
        thinking_seconds=1.0,
        stats={"generated_tokens": 7},
    )
    assert store.message(a.id).finish_reason == "repetition"
    assert "repeated itself" in export_markdown(store, store.get(c.id))
    (copy,) = import_json(store, export_json(store, [store.get(c.id)]))
    kept = [m for m in store.branch(copy, store.get(copy).current_leaf) if m.role == "assistant"]
    assert kept[0].finish_reason == "repetition"
