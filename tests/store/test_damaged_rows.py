"""A bad row already in the database is shown as damaged; nothing that reads it crashes."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.sampling import SamplingSettings
from app.store.conversations import ConversationStore
from app.store.export import export_json, export_markdown_all, import_json
from tests.fixtures.damaged_rows import DAMAGED_TITLE, GOOD_TITLE, write_damaged


def test_the_store_reads_a_damaged_row_with_safe_defaults_and_says_so(tmp_path: Path) -> None:
    good_id, bad_id = write_damaged(tmp_path)
    with ConversationStore(tmp_path) as store:
        by_id = {c.id: c for c in store.conversations()}
        assert by_id[good_id].damaged == ""
        bad = by_id[bad_id]
        assert bad.title == DAMAGED_TITLE
        assert "updated_at" in bad.damaged and "sampling" in bad.damaged
        assert bad.updated_at == 0.0 and bad.sampling == {}
        assert SamplingSettings.from_dict(bad.sampling) == SamplingSettings()
        user, answer = store.branch(bad_id)  # the parent loop ends
        assert user.content == "What\ufffd?" and "stats" in user.damaged
        assert answer.content == "The answer survives."
        assert answer.stats == {"prompt_tokens": 12}  # the readable figures stay
        assert answer.thinking_seconds == 0.0 and "stats" in answer.damaged
        assert answer.finish_reason is None and "finish_reason" in answer.damaged
        assert "model" in answer.damaged
        assert store.branch_with_siblings(bad_id)[-1][0].id == answer.id


def test_exports_of_a_damaged_row_work_and_say_it_is_damaged(tmp_path: Path) -> None:
    write_damaged(tmp_path / "a")
    with ConversationStore(tmp_path / "a") as store:
        md = export_markdown_all(store, store.conversations())
        text = export_json(store, store.conversations())
    assert f"# {DAMAGED_TITLE}" in md and f"# {GOOD_TITLE}" in md
    assert "Damaged: part of this conversation's stored data is unreadable" in md
    assert "The answer survives." in md
    data = json.loads(text)
    bad = next(c for c in data["conversations"] if c["title"] == DAMAGED_TITLE)
    assert "updated_at" in bad["damaged"]
    # What was readable can be imported again, as a healthy conversation.
    with ConversationStore(tmp_path / "b") as other:
        ids = import_json(other, text)
        assert len(ids) == 2 and all(not c.damaged for c in other.conversations())
