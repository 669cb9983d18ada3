"""An uncaught exception in the window: one clear dialog, logged with its traceback, nothing lost."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThread
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from app.core.settings import AppSettings
from app.store.conversations import ConversationStore
from app.ui.chat_view import AssistantMessage
from app.ui.crash_report import HEADLINE, CrashReporter
from app.ui.main_window import APP_TITLE, MainWindow
from tests.fixtures.models import ScriptFactory


def visible_message_boxes() -> list[QMessageBox]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def a_bug() -> None:
    raise ZeroDivisionError("a bug in a slot")


def a_bug_on_a_thread() -> None:
    raise RuntimeError("a bug on a worker thread")


@pytest.mark.qt_no_exception_capture  # our hook, not pytest-qt's, sees the exception
def test_an_uncaught_exception_shows_one_dialog_and_loses_nothing(
    qtbot: QtBot,
    store: ConversationStore,
    scripted: ScriptFactory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = scripted([f" step {i}." for i in range(40)], loop=True)
    AppSettings(loop_guard="off").save()  # the script repeats itself: it thinks until stopped
    window = MainWindow(store, str(model.path))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    reporter = CrashReporter(window, tmp_path / "logs" / "qwq-desktop.log", APP_TITLE).install()
    try:
        qtbot.keyClicks(window.composer.editor, "think forever")
        qtbot.keyClick(window.composer.editor, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bool(window.live), timeout=30_000)
        (reply,) = [w for w in window.chat.messages() if isinstance(w, AssistantMessage)]
        qtbot.waitUntil(lambda: reply.reasoning.tokens > 20, timeout=30_000)
        qtbot.keyClicks(window.composer.editor, "my next question")  # a draft, while it thinks

        broken = QPushButton("a button with a bug", window)
        broken.clicked.connect(a_bug)
        broken.show()
        caplog.set_level(logging.ERROR, logger="app.crash")
        qtbot.mouseClick(broken, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(visible_message_boxes()))
        (box,) = visible_message_boxes()
        assert box.text() == HEADLINE
        assert "ZeroDivisionError: a bug in a slot" in box.informativeText()
        assert str(tmp_path / "logs" / "qwq-desktop.log") in box.informativeText()
        assert box.windowModality() == Qt.WindowModality.NonModal  # the window stays usable

        for _ in range(5):  # many exceptions: still one dialog
            qtbot.mouseClick(broken, Qt.MouseButton.LeftButton)
        worker = threading.Thread(target=a_bug_on_a_thread, name="some-worker")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: "RuntimeError" in box.informativeText())
        assert visible_message_boxes() == [box]
        assert "7 errors so far" in box.informativeText()

        logged = [r for r in caplog.records if r.name == "app.crash"]
        assert len(logged) == 7 and all(r.exc_info for r in logged)  # with tracebacks
        assert "some-worker" in logged[-1].getMessage()
        assert "a_bug_on_a_thread" in caplog.text and "a_bug" in caplog.text

        box.button(QMessageBox.StandardButton.Ok).click()
        qtbot.waitUntil(lambda: not visible_message_boxes())
        # Nothing lost: the draft, the reply still being written, the window itself.
        assert window.composer.editor.toPlainText() == "my next question"
        qtbot.keyClicks(window.composer.editor, "?")
        assert window.composer.editor.toPlainText() == "my next question?"
        tokens = reply.reasoning.tokens
        qtbot.waitUntil(lambda: reply.reasoning.tokens > tokens + 10, timeout=30_000)
        window.replies.stop()
        qtbot.waitUntil(lambda: not window.live, timeout=30_000)
        (c,) = store.conversations()
        saved = store.branch(c.id)[1]
        assert saved.reasoning.startswith("step 0. step 1.") and saved.finish_reason == "cancelled"

        qtbot.mouseClick(broken, Qt.MouseButton.LeftButton)  # a later one: a new dialog
        qtbot.waitUntil(lambda: bool(visible_message_boxes()))
        (again,) = visible_message_boxes()
        assert "errors so far" not in again.informativeText()
        again.close()
    finally:
        reporter.uninstall()


class BrokenThread(QThread):
    def run(self) -> None:
        raise KeyError("a bug in a QThread")


@pytest.mark.qt_no_exception_capture
def test_an_exception_on_a_qthread_is_shown_on_the_gui_thread(
    qtbot: QtBot, store: ConversationStore, tmp_path: Path
) -> None:
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    reporter = CrashReporter(window, tmp_path / "qwq-desktop.log", APP_TITLE).install()
    try:
        thread = BrokenThread()
        thread.start()
        assert thread.wait(10_000)
        qtbot.waitUntil(lambda: bool(visible_message_boxes()))
        (box,) = visible_message_boxes()
        assert "KeyError: 'a bug in a QThread'" in box.informativeText()
        assert box.thread() == window.thread()  # built on the GUI thread, not the QThread
        box.close()
    finally:
        reporter.uninstall()
