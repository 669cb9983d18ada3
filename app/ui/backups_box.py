"""Settings' "Backups" part: the rolling backups of the conversations, and Restore.

Backing up and restoring run in worker jobs, off the GUI thread. Restoring asks
first, keeps the current conversations as a backup of their own, copies the chosen
backup into the open database, and tells the window to show it (no restart).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.format import size
from app.core.i18n import QT_TRANSLATE_NOOP
from app.store import backup
from app.store.conversations import ConversationStore
from app.ui.worker import Job

KIND_LABELS = {
    "daily": QT_TRANSLATE_NOOP("BackupsBox", "daily"),
    "manual": QT_TRANSLATE_NOOP("BackupsBox", "made by you"),
    "before-restore": QT_TRANSLATE_NOOP("BackupsBox", "before a restore"),
}


def _when(timestamp: float) -> str:
    try:
        return dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return "?"


class BackupsBox(QGroupBox):
    restored = Signal(str)  # the backup now shown; the window reloads its conversations

    def __init__(
        self,
        store: ConversationStore,
        busy: Callable[[], bool] = lambda: False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            QCoreApplication.translate(
                "BackupsBox", "Backups (daily; the newest {keep} of each kind are kept)"
            ).format(keep=backup.KEEP),
            parent,
        )
        self.store = store
        self.folder = backup.folder_of(store.path.parent)
        self._busy = busy  # a reply is being written: restoring now would lose it
        self.list = QListWidget(self)
        self.list.setAccessibleName(self.tr("Backups"))
        self.list.setObjectName("backupList")
        self.list.setMaximumHeight(130)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.backup_button = QPushButton(self.tr("Back up now"), self)
        self.backup_button.setObjectName("backupNow")
        self.backup_button.clicked.connect(self.back_up_now)
        self.restore_button = QPushButton(self.tr("Restore…"), self)
        self.restore_button.setObjectName("restoreBackup")
        self.restore_button.clicked.connect(self.ask_restore)
        self.status = QLabel(self)
        self.status.setObjectName("backupStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.confirm: QMessageBox | None = None
        self._job: Job | None = None
        buttons = QHBoxLayout()
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for b in backup.list_backups(self.folder):
            item = QListWidgetItem(
                f"{_when(b.created_at)}  ·  {self.tr(KIND_LABELS[b.kind])}  ·  {size(b.size)}"
            )
            item.setData(Qt.ItemDataRole.UserRole, str(b.path))
            item.setToolTip(str(b.path))
            self.list.addItem(item)
        if not self.list.count():
            self.status.setText(
                self.tr("No backups yet; they are kept in {folder}.").format(folder=self.folder)
            )
        self._update_buttons()

    def selected(self) -> Path | None:
        items = self.list.selectedItems()
        return Path(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def _update_buttons(self) -> None:
        working = self._job is not None
        self.backup_button.setEnabled(not working)
        self.restore_button.setEnabled(not working and self.selected() is not None)

    def _run(self, work: Callable[[], object], done: Callable[[object], None]) -> None:
        job = Job(work, self)
        self._job = job
        job.done.connect(lambda result: self._finished(done, result))
        job.failed.connect(lambda error: self._finished(None, error))
        self._update_buttons()
        job.start()

    def _finished(self, done: Callable[[object], None] | None, result: object) -> None:
        self._job = None
        if done is None:  # failed: one clear line (a StoreError says what and where)
            self.status.setText(self.tr("Failed: {error}").format(error=result))
        else:
            done(result)
        self.refresh()

    def back_up_now(self) -> None:
        self.status.setText(self.tr("Backing up…"))
        self._run(
            lambda: backup.make(self.store.path, self.folder, kind="manual"),
            lambda made: self.status.setText(
                self.tr("Backed up to {name}.").format(name=getattr(made, "name", made))
            ),
        )

    def ask_restore(self) -> None:
        chosen = self.selected()
        if chosen is None or self._job is not None:
            return
        if self._busy():
            self.status.setText(
                self.tr("A reply is being written: stop it or let it finish, then restore.")
            )
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Restore a backup"),
            self.tr(
                "Replace every conversation with those in the backup of {backup}?\n\n"
                "The current conversations are kept as a backup of their own first, so this "
                "can be undone."
            ).format(backup=self.list.selectedItems()[0].text()),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText(self.tr("Restore"))

        def answered(button: QAbstractButton) -> None:
            if box.standardButton(button) == QMessageBox.StandardButton.Yes:
                self.restore(chosen)

        box.buttonClicked.connect(answered)
        self.confirm = box
        box.open()

    def restore(self, chosen: Path) -> None:
        """Restore ``chosen`` now (after the user confirmed)."""
        self.status.setText(self.tr("Restoring…"))

        def done(kept: object) -> None:
            name = kept.name if isinstance(kept, Path) else kept
            self.status.setText(
                self.tr(
                    "Restored. The conversations shown are now those of the backup; the ones "
                    "they replaced are kept as {name}."
                ).format(name=name)
            )
            self.restored.emit(str(chosen))

        self._run(lambda: self.store.restore_backup(chosen, self.folder), done)
