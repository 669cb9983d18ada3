"""Rolling backups of the conversations, made off the GUI thread while the window is open.

The first check comes a little after the start (once the start's own work is done), then
one every hour; a backup is made only when the newest daily one is a day old
(:func:`app.store.backup.make_if_due`). A failure is said once, through ``failed(str)``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from app.store import backup
from app.ui.worker import Job

BACKUP_FIRST_MS = 30_000  # the first backup check, once the start's work is done
BACKUP_CHECK_MS = 3_600_000  # then every hour (a backup is made once a day)


class BackupTimer(QObject):
    """Checks on a timer; ``job`` is the backup being made (None: none)."""

    failed = Signal(str)  # "Backup failed: …"

    def __init__(self, database: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.job: Job | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(BACKUP_FIRST_MS)
        self.timer.timeout.connect(self.run)

    def start(self) -> None:
        self.timer.start()

    def run(self) -> None:
        """Back the conversations up if the newest daily backup is a day old."""
        self.timer.setInterval(BACKUP_CHECK_MS)
        if self.job is not None:
            return
        folder = backup.folder_of(self.database.parent)
        database = self.database
        job = Job(lambda: backup.make_if_due(database, folder), self)
        self.job = job

        def finished(note: str) -> None:
            self.job = None
            if note:
                self.failed.emit(note)

        job.done.connect(lambda _: finished(""))
        job.failed.connect(lambda e: finished(self.tr("Backup failed: {error}").format(error=e)))
        job.start()
