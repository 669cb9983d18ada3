"""A window that chats all day keeps only the widgets on screen alive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.store.conversations import ConversationStore
from app.ui.chat_view import AssistantMessage, UserMessage
from app.ui.main_window import MainWindow
from tests.fixtures.models import QWQ_SCRIPT, ScriptFactory


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "data") as s:
        yield s


def _alive(kind: type) -> int:
    # What the main loop does each time it returns: run the deletions that were asked for.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return sum(isinstance(w, kind) for w in QApplication.allWidgets())


def test_messages_that_leave_the_screen_are_deleted(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = MainWindow(store, str(scripted(QWQ_SCRIPT).path))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    for i in range(6):
        window.new_chat()
        window.composer.setPlainText(f"Question {i}")
        window.send()
        qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    ids = [c.id for c in store.conversations()]
    for cid in ids * 2:  # open each one twice: every open rebuilds the view
        window.open_conversation(cid)
    # On screen: one question and its answer. Before, every reply and every open left
    # its widgets behind (52 widgets, about 2.6 MB, a reply).
    assert _alive(AssistantMessage) == 1
    assert _alive(UserMessage) == 1
