"""The store tells its subscribers what each committed write changed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import backup
from app.store.changes import Change, Changes
from app.store.conversations import ConversationStore
from app.store.database import StoreError
from app.store.export import conversation_to_dict


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "data") as s:
        yield s


@pytest.fixture
def seen(store: ConversationStore) -> list[Change]:
    changes: list[Change] = []
    store.changes.subscribe(changes.append)
    return changes


def test_every_write_says_what_it_changed(store: ConversationStore, seen: list[Change]) -> None:
    c = store.create()
    store.rename(c.id, "Lighthouses")
    store.set_pinned(c.id, True)
    store.update_settings(c.id, system_prompt="Be brief.")
    user = store.add_message(c.id, "user", "How far does a lighthouse shine?", parent_id=None)
    reply = store.add_message(c.id, "assistant", "", parent_id=user.id, status="streaming")
    store.update_streaming(reply.id, "About", "Fresnel lenses")
    store.finish_message(
        reply.id,
        content="About 20 nautical miles.",
        reasoning="Fresnel lenses",
        finish_reason="stop",
        reasoning_finished=True,
        thinking_seconds=1.0,
        stats={},
    )
    store.reopen(reply.id)
    store.switch_to(user.id)
    store.delete_message(reply.id)
    assert seen == [
        Change(c.id, "created"),
        Change(c.id, "renamed"),
        Change(c.id, "pinned"),
        Change(c.id, "settings"),
        Change(c.id, "messages"),
        Change(c.id, "messages"),
        Change(c.id, "streamed"),
        Change(c.id, "messages"),
        Change(c.id, "messages"),
        Change(c.id, "switched"),
        Change(c.id, "messages"),
    ]


def test_delete_and_restore_name_the_conversation(
    store: ConversationStore, seen: list[Change]
) -> None:
    c = store.create(title="Kept")
    data = conversation_to_dict(store, store.get(c.id))
    store.delete(c.id)
    (back,) = store.restore([data])
    assert seen[1:] == [Change(c.id, "deleted"), Change(back, "restored")]


def test_a_restored_backup_replaces_everything(
    store: ConversationStore, seen: list[Change], tmp_path: Path
) -> None:
    store.create(title="in the backup")
    folder = backup.folder_of(store.path.parent)
    made = backup.make(store.path, folder)
    store.restore_backup(made.path, folder)
    assert seen[-1] == Change(None, "replaced")


def test_a_write_that_fails_publishes_nothing(store: ConversationStore, seen: list[Change]) -> None:
    c = store.create()
    with pytest.raises(StoreError):
        store.rename(c.id, "   ")
    with pytest.raises(StoreError):
        store.update_settings(c.id, thinking={"budget_tokens": "lots"})
    assert seen == [Change(c.id, "created")]


def test_subscribers_are_told_after_the_commit_on_the_writing_thread(
    store: ConversationStore,
) -> None:
    c = store.create(title="Before")
    told: list[tuple[str, str]] = []

    def subscriber(change: Change) -> None:
        # The write is committed and the lock let go: reading the store works here.
        told.append((threading.current_thread().name, store.get(c.id).title))

    store.changes.subscribe(subscriber)
    writer = threading.Thread(target=lambda: store.rename(c.id, "After"), name="writer")
    writer.start()
    writer.join()
    assert told == [("writer", "After")]
    store.changes.unsubscribe(subscriber)
    store.rename(c.id, "Again")
    assert len(told) == 1


def test_a_failing_subscriber_never_breaks_a_write(
    store: ConversationStore, seen: list[Change], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(change: Change) -> None:
        raise RuntimeError("the view is gone")

    changes = store.changes
    changes.subscribe(broken)
    later: list[Change] = []
    changes.subscribe(later.append)
    with caplog.at_level(logging.ERROR, logger="app.store.changes"):
        c = store.create(title="Still saved")
    assert store.get(c.id).title == "Still saved"
    assert seen == later == [Change(c.id, "created")]  # the others are still told
    assert "the view is gone" in caplog.text


def test_a_subscriber_may_unsubscribe_while_being_told() -> None:
    changes = Changes()
    told: list[Change] = []

    def once(change: Change) -> None:
        told.append(change)
        changes.unsubscribe(once)

    changes.subscribe(once)
    changes.publish(Change(1, "created"))
    changes.publish(Change(1, "renamed"))
    assert told == [Change(1, "created")]


def test_a_closed_store_tells_nobody_anymore(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "data")
    told: list[Change] = []
    store.changes.subscribe(told.append)
    store.close()
    assert store.changes.closed
    store.changes.publish(Change(1, "created"))
    assert told == []
