"""Store writes as background operations, and the store's changes on the GUI thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.store.changes import Change
from app.store.conversations import Conversation, ConversationStore
from app.store.database import StoreError
from app.ui.operations import ChangeBridge, Operations, failure_sentence


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "data") as s:
        yield s


def test_a_write_runs_off_the_gui_thread_and_succeeds_on_it(
    qtbot: QtBot, store: ConversationStore
) -> None:
    ops = Operations(store)
    threads: list[bool] = []
    results: list[Conversation] = []

    def work(s: ConversationStore) -> Conversation:
        threads.append(QThread.currentThread() is QApplication.instance().thread())  # type: ignore[union-attr]
        return s.create(title="Made in the background")

    def done(c: Conversation) -> None:
        threads.append(QThread.currentThread() is QApplication.instance().thread())  # type: ignore[union-attr]
        results.append(c)

    with qtbot.assertNotEmitted(ops.failed):
        ops.write("start a conversation", work).success(done).run()
        qtbot.waitUntil(lambda: bool(results), timeout=10_000)
    assert threads == [False, True]  # the write on a worker, the callback on the GUI thread
    assert store.get(results[0].id).title == "Made in the background"


def test_every_failure_takes_the_one_route_as_one_sentence(
    qtbot: QtBot, store: ConversationStore
) -> None:
    ops = Operations(store)
    c = store.create(title="Kept")
    tidied: list[bool] = []
    succeeded: list[object] = []
    with qtbot.waitSignal(ops.failed, timeout=10_000) as said:
        ops.write("rename the conversation", lambda s: s.rename(c.id, "  ")).success(
            succeeded.append
        ).failure(lambda: tidied.append(True)).run()
    assert said.args == ["Could not rename the conversation: A title cannot be empty."]
    assert tidied == [True] and succeeded == []
    assert store.get(c.id).title == "Kept"  # nothing lost


def test_a_bug_is_named_by_its_type() -> None:
    sentence = failure_sentence("pin the conversation", KeyError("pinned"))
    assert sentence == "Could not pin the conversation: KeyError: 'pinned'"
    assert failure_sentence("save", StoreError("The disk is full.")) == (
        "Could not save: The disk is full."
    )


def test_the_bridge_hands_changes_to_the_gui_thread_queued(
    qtbot: QtBot, store: ConversationStore
) -> None:
    bridge = ChangeBridge(store.changes)
    seen: list[tuple[Change, bool]] = []
    gui = QApplication.instance().thread()  # type: ignore[union-attr]
    bridge.changed.connect(lambda ch: seen.append((ch, QThread.currentThread() is gui)))
    c = store.create()  # on the GUI thread: still queued, not told inside the write
    assert seen == []
    writer = threading.Thread(target=lambda: store.rename(c.id, "From a worker"))
    writer.start()
    writer.join()
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=10_000)
    assert seen == [(Change(c.id, "created"), True), (Change(c.id, "renamed"), True)]
    bridge.close()
    store.set_pinned(c.id, True)
    qtbot.wait(50)
    assert len(seen) == 2  # closed: no longer told


def test_a_destroyed_bridge_lets_go_of_the_store(qtbot: QtBot, store: ConversationStore) -> None:
    bridge = ChangeBridge(store.changes)
    with qtbot.waitSignal(bridge.destroyed, timeout=10_000):
        bridge.deleteLater()
    store.create()  # nobody left to tell, and nothing breaks
    assert store.changes._subscribers == []


def test_a_change_on_its_way_when_the_store_closes_is_dropped(qtbot: QtBot, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "other")
    bridge = ChangeBridge(store.changes)
    seen: list[Change] = []
    bridge.changed.connect(seen.append)
    store.create()  # queued to the GUI thread...
    store.close()  # ...and the store closes before it arrives: a view would read a closed store
    qtbot.wait(50)
    assert seen == []
