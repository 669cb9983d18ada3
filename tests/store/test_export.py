"""Markdown and JSON export, and a lossless JSON round trip."""

from __future__ import annotations

import json
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
