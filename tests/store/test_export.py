"""Markdown and JSON export, and a lossless JSON round trip."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest

from app.store.conversations import ConversationStore
from app.store.database import StoreError
from app.store.export import export_json, export_markdown, import_json


def _fill(store: ConversationStore) -> int:
    c = store.create(
        model="qwq-32b-q4_k_m",
        system_prompt="Be exact.",
        sampling={"temperature": 0.6, "top_k": 40},
    )
    u = store.add_message(c.id, "user", "What is 2+2?", parent_id=None)
    a1 = store.add_message(c.id, "assistant", "", parent_id=u.id, status="streaming")
    store.finish_message(
        a1.id,
        content="**4**",
        reasoning="Two and two.\n</details> tricky",
        finish_reason="stop",
        reasoning_finished=True,
        thinking_seconds=72.4,
        stats={"reasoning_tokens": 3412, "generated_tokens": 3500},
    )
    a2 = store.add_message(c.id, "assistant", "Four.", parent_id=u.id)  # a regenerated sibling
    store.add_message(c.id, "user", "Thanks 🦙", parent_id=a2.id)
    store.set_pinned(c.id, True)
    store.rename(c.id, "Arithmetic")
    return c.id


def test_markdown_has_the_reasoning_in_a_details_block(tmp_path: Path) -> None:
    with ConversationStore(tmp_path) as store:
        cid = _fill(store)
        store.switch_to(store.messages(cid)[1].id)  # the first answer
        md = export_markdown(store, store.get(cid))
    assert md.startswith("# Arithmetic\n")
    assert "## You\n\nWhat is 2+2?" in md
    assert "<details>\n<summary>Thought for 1 min 12 s · 3,412 tokens</summary>" in md
    assert "Two and two.\n&lt;/details> tricky\n\n</details>\n\n**4**" in md
    assert "**System prompt:**" in md


def test_json_round_trip_is_lossless(tmp_path: Path) -> None:
    with ConversationStore(tmp_path / "a") as a:
        _fill(a)
        empty = a.create()
        a.add_message(empty.id, "user", "interrupted one", parent_id=None)
        original = export_json(a, a.conversations())
    with ConversationStore(tmp_path / "b") as b:
        ids = import_json(b, original)
        assert len(ids) == 2
        again = export_json(b, b.conversations())
        # Importing twice keeps both copies.
        import_json(b, original)
        assert len(b.conversations()) == 4
    assert json.loads(again) == json.loads(original)
    data = json.loads(original)
    first = next(c for c in data["conversations"] if c["title"] == "Arithmetic")
    assert first["messages"][1]["reasoning"].startswith("Two and two.")
    assert first["messages"][2]["parent"] == 0  # the sibling answer keeps its place
    assert first["pinned"] and first["title_is_custom"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json at all", "not JSON"),
        ("[]", "format"),
        ('{"format": "something-else"}', "format"),
        ('{"format": "qwq-desktop-conversations", "version": 99, "conversations": []}', "newer"),
        (
            '{"format": "qwq-desktop-conversations", "version": 1, "conversations": [{"title": "x"}]}',
            "damaged",
        ),
    ],
)
def test_bad_import_files_are_refused_and_change_nothing(
    tmp_path: Path, text: str, message: str
) -> None:
    with ConversationStore(tmp_path) as store:
        with pytest.raises(StoreError, match=message):
            import_json(store, text)
        assert store.conversations() == []


def test_an_import_is_all_or_nothing(tmp_path: Path) -> None:
    with ConversationStore(tmp_path / "a") as a:
        _fill(a)
        data = json.loads(export_json(a, a.conversations()))
    data["conversations"].append({"title": "broken"})
    with ConversationStore(tmp_path / "b") as b:
        with pytest.raises(StoreError, match="damaged"):
            import_json(b, json.dumps(data))
        assert b.conversations() == []


def _one_conversation_export(**changes: object) -> str:
    with tempfile.TemporaryDirectory() as folder, ConversationStore(Path(folder)) as store:
        _fill(store)
        data = json.loads(export_json(store, store.conversations()))
    conversation = data["conversations"][0]
    for key, value in changes.items():
        if key.startswith("m_"):
            conversation["messages"][1][key[2:]] = value
        else:
            conversation[key] = value
    return json.dumps(data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"updated_at": 1e20}, "conversation 1: 'updated_at' must be a time between 1970"),
        ({"created_at": -1}, "'created_at' must be a time"),
        ({"created_at": "2024-01-01"}, "'created_at' must be a number"),
        ({"pinned": "yes"}, "'pinned' must be true or false"),
        ({"title": 5}, "'title' must be text"),
        ({"sampling": [1, 2]}, "'sampling' must be an object"),
        ({"sampling": {"temperature": 1e300}}, "temperature must be between 0 and 5"),
        ({"sampling": {"top_k": 2.5}}, "'top_k' must be a whole number"),
        ({"sampling": {"wobble": 1}}, "unknown setting"),
        ({"current_leaf": 99}, "'current_leaf' must be a message's position"),
        ({"m_stats": {"reasoning_tokens": -3}}, "message 2: 'stats' 'reasoning_tokens'"),
        ({"m_stats": {"generated_tokens": 1.5}}, "must be a whole number"),
        ({"m_stats": {"tokens_per_second": 1e300}}, "'tokens_per_second' must be between"),
        ({"m_thinking_seconds": 1e20}, "'thinking_seconds' must be between"),
        ({"m_role": "robot"}, "'role' must be one of system, user, assistant"),
        ({"m_status": "exploded"}, "'status' must be one of"),
        ({"m_finish_reason": "because"}, "'finish_reason' must be one of"),
        ({"m_parent": 1}, "'parent' must be the position of an earlier message"),
        ({"m_parent": True}, "'parent' must be the position of an earlier message"),
        ({"m_content": "\ud800"}, "surrogate"),
        ({"m_error": 404}, "'error' must be text"),
    ],
)
def test_every_field_is_checked_before_anything_is_written(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    with ConversationStore(tmp_path) as store:
        store.create(title="already here")
        with pytest.raises(StoreError, match=re.escape(message)):
            import_json(store, _one_conversation_export(**changes))
        assert [c.title for c in store.conversations()] == ["already here"]
        assert store.message_count(store.conversations()[0].id) == 0


def test_reply_figures_a_remote_server_made_up_are_not_stored(tmp_path: Path) -> None:
    with ConversationStore(tmp_path) as store:
        c = store.create()
        a = store.add_message(c.id, "assistant", "", parent_id=None, status="streaming")
        store.finish_message(
            a.id,
            content="ok",
            reasoning="",
            finish_reason="stop",
            reasoning_finished=False,
            thinking_seconds=float("nan"),
            stats={"prompt_tokens": 10**30, "prompt_tokens_processed": -4, "generated_tokens": 7},
        )
        stored = store.message(a.id)
        assert stored.stats == {"generated_tokens": 7} and stored.thinking_seconds == 0.0
        assert stored.damaged == ""


def test_an_import_over_the_size_limit_is_refused_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.store import export

    monkeypatch.setattr(export, "MAX_IMPORT_BYTES", 1000)
    with ConversationStore(tmp_path) as store, pytest.raises(StoreError, match="too big"):
        import_json(store, " " * 1001)
