"""The real window with a damaged stored row, its rolling backups, and Restore in Settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.core.settings import AppSettings
from app.store import backup
from app.store.conversations import ConversationStore
from app.ui.chat_view import AssistantMessage, UserMessage
from app.ui.main_window import MainWindow
from app.ui.settings_dialog import SettingsDialog
from tests.fixtures.damaged_rows import DAMAGED_TITLE, GOOD_TITLE, write_damaged


@pytest.fixture
def damaged_store(tmp_path: Path) -> Iterator[ConversationStore]:
    write_damaged(tmp_path / "data")
    with ConversationStore(tmp_path / "data") as s:
        yield s


def _window(qtbot: QtBot, store: ConversationStore) -> MainWindow:
    window = MainWindow(store, None)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _sidebar_item(window: MainWindow, title: str) -> tuple[bool, str, int]:
    """Whether the item of ``title`` has an icon (the damaged mark), its tooltip, its id."""
    view = window.conversation_list.view
    for i in range(view.count()):
        item = view.item(i)
        if item.text() == title:
            marked = not item.icon().isNull()
            return marked, item.toolTip(), int(item.data(Qt.ItemDataRole.UserRole))
    raise AssertionError(f"{title!r} is not in the sidebar")


def test_the_window_starts_and_shows_a_damaged_conversation_as_damaged(
    qtbot: QtBot, damaged_store: ConversationStore
) -> None:
    window = _window(qtbot, damaged_store)
    marked, tooltip, bad_id = _sidebar_item(window, DAMAGED_TITLE)
    assert marked and "unreadable (title_is_custom, created_at, updated_at" in tooltip
    marked, tooltip, good_id = _sidebar_item(window, GOOD_TITLE)
    assert not marked and tooltip == ""

    window.open_conversation(bad_id)
    assert window.damaged_banner.isVisible()
    assert "unreadable" in window.damaged_banner.text()
    (user,) = [w for w in window.chat.messages() if isinstance(w, UserMessage)]
    (answer,) = [w for w in window.chat.messages() if isinstance(w, AssistantMessage)]
    assert user.text() == "What\ufffd?" and user.damaged_note.isVisible()
    assert answer.answer.markdown == "The answer survives."
    assert "Damaged" in answer.footer.text() and "finish_reason" in answer.footer.text()

    window.open_conversation(good_id)
    assert not window.damaged_banner.isVisible()
    with qtbot.waitSignal(window.conversation_list.deleted, timeout=10_000):
        window.delete_conversation(bad_id)  # a damaged one can be deleted (and undone)
    assert [c.id for c in damaged_store.conversations()] == [good_id]
    with qtbot.waitSignal(window.conversation_list.open_requested, timeout=10_000):
        window.conversation_list.undo_delete()
    assert len(damaged_store.conversations()) == 2


def test_the_window_makes_its_daily_backup_off_the_gui_thread(
    qtbot: QtBot, damaged_store: ConversationStore
) -> None:
    window = _window(qtbot, damaged_store)
    folder = backup.folder_of(damaged_store.path.parent)
    assert backup.list_backups(folder) == []
    window.backups.timer.timeout.emit()  # the first check comes a little after the start
    qtbot.waitUntil(lambda: window.backups.job is None, timeout=10_000)
    (made,) = backup.list_backups(folder)
    assert made.kind == "daily"
    window.backups.run()  # the next check, within the day, makes none
    qtbot.waitUntil(lambda: window.backups.job is None, timeout=10_000)
    assert len(backup.list_backups(folder)) == 1


def test_settings_restores_a_backup_after_asking(qtbot: QtBot, tmp_path: Path) -> None:
    with ConversationStore(tmp_path / "data") as store:
        store.create(title="in the backup")
        dialog = SettingsDialog(AppSettings(), store=store)
        qtbot.addWidget(dialog)
        box = dialog.backups
        assert box is not None
        box.backup_button.click()
        qtbot.waitUntil(lambda: box.list.count() == 1, timeout=10_000)
        store.create(title="made later")

        box.list.setCurrentRow(0)
        box.restore_button.click()
        assert box.confirm is not None and box.confirm.isVisible()
        box.confirm.button(QMessageBox.StandardButton.Cancel).click()  # asked: nothing done
        assert {c.title for c in store.conversations()} == {"in the backup", "made later"}

        box.list.setCurrentRow(0)
        box.restore_button.click()
        with qtbot.waitSignal(box.restored, timeout=10_000):
            box.confirm.button(QMessageBox.StandardButton.Yes).click()
        assert [c.title for c in store.conversations()] == ["in the backup"]
        assert "Restored" in box.status.text() and "before-restore" in box.status.text()
        kinds = sorted(b.kind for b in backup.list_backups(box.folder))
        assert kinds == ["before-restore", "manual"]  # the replaced ones were kept


def test_settings_refuses_to_restore_while_a_reply_is_written(qtbot: QtBot, tmp_path: Path) -> None:
    with ConversationStore(tmp_path / "data") as store:
        store.create(title="kept")
        backup.make(store.path, backup.folder_of(store.path.parent))
        dialog = SettingsDialog(AppSettings(), store=store, busy=lambda: True)
        qtbot.addWidget(dialog)
        box = dialog.backups
        assert box is not None
        box.list.setCurrentRow(0)
        box.restore_button.click()
        assert box.confirm is None and "reply is being written" in box.status.text()


def test_restoring_from_the_windows_settings_shows_the_restored_conversations(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with ConversationStore(tmp_path / "data") as store:
        store.create(title="in the backup")
        backup.make(store.path, backup.folder_of(store.path.parent))
        later = store.create(title="made later")
        window = _window(qtbot, store)
        window.open_conversation(later.id)

        def drive() -> None:  # inside the dialog's own event loop
            (dialog,) = [d for d in window.findChildren(SettingsDialog) if d.isVisible()]
            box = dialog.backups
            assert box is not None
            box.restored.connect(lambda _: dialog.reject())
            box.list.setCurrentRow(0)
            box.restore_button.click()
            assert box.confirm is not None
            box.confirm.button(QMessageBox.StandardButton.Yes).click()

        QTimer.singleShot(50, drive)
        window.settings_control.open_dialog()  # returns once the restore is done and the dialog closed
        assert window.conversation_id is None  # the conversation on screen is gone
        qtbot.waitUntil(lambda: "made later" not in window.conversation_list.titles())
        assert "in the backup" in window.conversation_list.titles()
