"""Files attached in the real window (real llama.cpp, a scripted model): dropped or pasted
on the composer, read on a worker, counted against the context, sent with the message and
shown in its bubble; a file that cannot be read, or too much, holds the message back."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl
from pytestqt.qtbot import QtBot

from app.store.conversations import ConversationStore
from app.ui.chat_view import UserMessage
from tests.fixtures.models import ScriptFactory
from tests.ui.test_main_window import ANSWER_SCRIPT, open_window

NOTES = "# Plan\n\nThe launch is on 14 March.\n"


def _files(*paths: Path) -> QMimeData:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return data


def test_a_pasted_file_is_read_counted_sent_and_shown(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory, tmp_path: Path
) -> None:
    notes = tmp_path / "plan.md"
    notes.write_text(NOTES, encoding="utf-8")
    window = open_window(qtbot, store, scripted(ANSWER_SCRIPT).path)
    composer = window.composer
    composer.editor.insertFromMimeData(_files(notes))  # a paste of a file attaches it
    bar = composer.attachments_bar
    qtbot.waitUntil(lambda: bool(bar.chips) and bar.chips[0].ready, timeout=10_000)
    (chip,) = bar.chips
    assert composer.editor.toPlainText() == ""  # not pasted as its path
    tokens = chip.attachment.tokens if chip.attachment else 0
    assert tokens > 0 and f"{tokens:,} tokens" in chip.status.text()
    assert bar.total.text() == f"{tokens:,} of {bar.room:,} tokens"
    composer.editor.setPlainText("When is the launch?")
    composer.submit()
    qtbot.waitUntil(lambda: not window.replies.live, timeout=30_000)
    assert not bar.chips and bar.isHidden()  # sent with the message
    (c,) = store.conversations()
    user = store.branch(c.id)[0]
    assert [a.name for a in user.attachments] == ["plan.md"] and user.attachments[0].text == NOTES
    bubble = next(w for w in window.chat.messages() if isinstance(w, UserMessage))
    assert [f.name for f in bubble.files] == ["plan.md"]


def test_unreadable_or_too_big_holds_the_message_back(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory, tmp_path: Path
) -> None:
    blob = tmp_path / "blob.txt"
    blob.write_bytes(bytes(range(256)) * 8)
    window = open_window(qtbot, store, scripted(ANSWER_SCRIPT).path)
    composer = window.composer
    bar = composer.attachments_bar
    composer.attach_files([blob])
    qtbot.waitUntil(lambda: bool(bar.chips) and bool(bar.chips[0].error), timeout=10_000)
    assert "blob.txt" in bar.chips[0].status.text()
    composer.editor.setPlainText("What is in it?")
    composer.submit()
    assert (
        store.conversations() == [] and bar.total.text() == "Remove the files that cannot be read."
    )
    bar.chips[0].remove_button.click()
    assert not bar.chips

    big = tmp_path / "big.txt"
    big.write_text("word " * (bar.room + 100), encoding="utf-8")
    composer.attach_files([big])
    qtbot.waitUntil(lambda: bool(bar.chips) and bar.chips[0].ready, timeout=30_000)
    assert "the context leaves" in bar.total.text()
    composer.submit()
    assert store.conversations() == []  # nothing sent, nothing cut short
    assert composer.editor.toPlainText() == "What is in it?"  # nothing typed is lost

    # "Search them instead": the files become a collection this conversation searches.
    assert bar.search_button.isVisible()
    bar.search_button.click()
    assert not bar.chips  # nothing attached now
    collections = window.collections
    assert collections is not None
    qtbot.waitUntil(lambda: bool(window._pending_collections), timeout=30_000)
    (info,) = collections.list()
    assert info.name.startswith("Attached ") and info.files == 1 and info.passages > 1
    assert window._pending_collections == [info.name]
    composer.submit()  # now it goes, and the conversation searches the files
    qtbot.waitUntil(lambda: not window.replies.live, timeout=30_000)
    (c,) = store.conversations()
    assert store.get(c.id).collections == (info.name,)
