"""The window's rolling backups, on their own: made off the GUI thread, once a day, and a
failure said once (real SQLite files, a real worker)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.store import backup
from app.store.conversations import ConversationStore
from app.ui.backup_timer import BACKUP_CHECK_MS, BACKUP_FIRST_MS, BackupTimer


def test_the_first_check_makes_the_daily_backup_and_later_checks_within_the_day_none(
    qtbot: QtBot, store: ConversationStore
) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    backups = BackupTimer(store.path, host)
    assert backups.timer.interval() == BACKUP_FIRST_MS
    failures: list[str] = []
    backups.failed.connect(failures.append)
    backups.timer.timeout.emit()
    assert backups.timer.interval() == BACKUP_CHECK_MS  # then every hour
    qtbot.waitUntil(lambda: backups.job is None, timeout=10_000)
    folder = backup.folder_of(store.path.parent)
    (made,) = backup.list_backups(folder)
    assert made.kind == "daily"
    backups.run()
    qtbot.waitUntil(lambda: backups.job is None, timeout=10_000)
    assert len(backup.list_backups(folder)) == 1 and failures == []


def test_a_backup_that_cannot_be_made_is_said_once(qtbot: QtBot, store: ConversationStore) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    backup.folder_of(store.path.parent).write_text("a file where the folder goes")
    backups = BackupTimer(store.path, host)
    failures: list[str] = []
    backups.failed.connect(failures.append)
    backups.run()
    backups.run()  # a check while one runs starts none
    qtbot.waitUntil(lambda: backups.job is None, timeout=10_000)
    (failure,) = failures
    assert failure.startswith("Backup failed: ")


def test_a_missing_database_is_not_a_failure(qtbot: QtBot, tmp_path: Path) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    backups = BackupTimer(tmp_path / "none" / "conversations.sqlite3", host)
    failures: list[str] = []
    backups.failed.connect(failures.append)
    backups.run()
    qtbot.waitUntil(lambda: backups.job is None, timeout=10_000)
    assert failures == []
