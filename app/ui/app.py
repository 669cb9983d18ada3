"""Start the window: ``qwq-desktop`` or ``qwq-desktop --model PATH``."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtGui import QFileOpenEvent, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app.core.errors import QwQError
from app.core.i18n import QT_TRANSLATE_NOOP
from app.core.logging_setup import log_file, setup_logging
from app.core.paths import AppPaths
from app.core.settings import AppSettings
from app.store.conversations import ConversationStore
from app.ui import language
from app.ui.crash_report import CrashReporter
from app.ui.main_window import APP_TITLE, MainWindow
from app.ui.theme import apply_theme

# How a database set aside at start was (the sentence "The conversation database was …").
RECOVERED = {
    "damaged": QT_TRANSLATE_NOOP("App", "damaged"),
    "foreign": QT_TRANSLATE_NOOP("App", "foreign"),
}
ICON = Path(__file__).resolve().parent.parent.parent / "resources" / "icons" / "qwq-desktop.svg"


class FileOpener(QObject):
    """Opens the GGUF files macOS hands over as ``QFileOpenEvent`` (Finder's "Open With")."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QFileOpenEvent) and event.file().lower().endswith(".gguf"):
            self.window.models.open_gguf(event.file())
            return True
        return False


def run_window(model_path: str | None) -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_TITLE)  # (English: names folders and the desktop entry)
    app.setDesktopFileName("qwq-desktop")
    if ICON.exists():  # resources/ ships beside the package (a checkout, or an installer)
        app.setWindowIcon(QIcon(str(ICON)))
    paths = AppPaths.current().ensure()
    setup_logging(paths)
    # The language first: every widget takes its texts as it is built.
    language.install(app, AppSettings.load(paths).language)
    title = QCoreApplication.translate("MainWindow", APP_TITLE)
    try:
        store = ConversationStore(paths.data)
    except QwQError as e:
        QMessageBox.critical(None, title, str(e))
        return 2
    window = MainWindow(store, model_path)
    # An uncaught exception from now on: logged, one clear dialog, and the app goes on.
    reporter = CrashReporter(window, log_file(paths), title).install()
    opener = FileOpener(window)  # macOS Finder opens a .gguf with an event, not an argument
    app.installEventFilter(opener)
    apply_theme(app, window.settings.theme)
    if store.recovered is not None:
        QMessageBox.warning(
            window,
            title,
            QCoreApplication.translate(
                "App",
                "The conversation database was {reason}. It was kept as {backup} and a new "
                "one was started.",
            ).format(
                reason=QCoreApplication.translate(
                    "App", RECOVERED.get(store.recovered.reason, store.recovered.reason)
                ),
                backup=store.recovered.backup,
            ),
        )
    window.show()
    try:
        return app.exec()
    finally:
        reporter.uninstall()
        store.close()
