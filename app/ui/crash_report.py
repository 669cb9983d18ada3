"""An uncaught exception in the window: logged, shown in one clear dialog, and the app goes on.

A Python exception raised in a slot (or on a worker thread) would otherwise only be
printed to a terminal nobody sees, and the user could not tell why something did
not happen. ``CrashReporter`` takes ``sys.excepthook`` and ``threading.excepthook``:
the exception is written to the log with its traceback, and one non-modal dialog
says what happened and where the log is. Nothing is closed or cleared, so the
conversation being written and the composer's text stay. Many exceptions in a row
update that one dialog instead of stacking new ones.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from app.core.i18n import QT_TRANSLATE_NOOP

log = logging.getLogger("app.crash")

HEADLINE = QT_TRANSLATE_NOOP(
    "CrashReporter",
    "Something went wrong inside QwQ Desktop. It keeps running, and nothing you wrote was lost.",
)


def summary(error: BaseException) -> str:
    """The exception in one line: its type and message (never the traceback)."""
    line = traceback.format_exception_only(type(error), error)[-1].strip()
    return line if len(line) <= 300 else line[:299] + "…"


class CrashReporter(QObject):
    _from_thread = Signal(str)  # an exception's summary, raised on another thread

    def __init__(self, parent: QWidget, log_path: Path, title: str) -> None:
        super().__init__(parent)
        self._window = parent
        self.log_path = log_path
        self.title = title
        self.dialog: QMessageBox | None = None
        self.count = 0  # exceptions shown by the current dialog
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        self._from_thread.connect(self._show)

    def install(self) -> CrashReporter:
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook
        return self

    def uninstall(self) -> None:
        if sys.excepthook == self._excepthook:
            sys.excepthook = self._previous_hook
        if threading.excepthook == self._thread_excepthook:
            threading.excepthook = self._previous_thread_hook

    def _excepthook(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(kind, (KeyboardInterrupt, SystemExit)):
            self._previous_hook(kind, error, tb)
            return
        log.error("Uncaught exception in the window", exc_info=(kind, error, tb))
        if QThread.currentThread() != self.thread():  # a QThread's run(): show it over there
            self._from_thread.emit(summary(error))
            return
        try:
            self._show(summary(error))
        except Exception:  # never let the report itself hide the error
            self._previous_hook(kind, error, tb)

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "?"
        log.error(
            "Uncaught exception in thread %s",
            name,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        )
        self._from_thread.emit(summary(args.exc_value))  # shown on the GUI thread

    @Slot(str)
    def _show(self, what: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.count += 1
            self.dialog.setInformativeText(self._details(what))
            return
        self.count = 1
        box = QMessageBox(self._window)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(self.title)
        box.setText(self.tr(HEADLINE))
        box.setInformativeText(self._details(what))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setWindowModality(Qt.WindowModality.NonModal)  # the window stays usable
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._closed)
        self.dialog = box
        box.show()

    def _details(self, what: str) -> str:
        more = (
            self.tr(" ({count} errors so far)").format(count=self.count) if self.count > 1 else ""
        )
        return self.tr("{what}{more}\n\nThe details are in the log: {log}").format(
            what=what, more=more, log=self.log_path
        )

    @Slot()
    def _closed(self) -> None:
        self.dialog = None
