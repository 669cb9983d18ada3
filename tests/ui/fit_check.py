"""Run as a script, one scale per process (QT_SCALE_FACTOR must be set before Qt starts):
open the window after one exchange, the first-run page and the Settings dialog, and
print every visible text that does not fit its widget. Used by tests/ui/test_high_dpi.py.

    QT_SCALE_FACTOR=1.5 QT_QPA_PLATFORM=offscreen python -m tests.ui.fit_check HOME
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtGui import QFontMetrics, QTextDocument
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QToolButton, QWidget

from app.ui.tool_row import ElidedLabel

SCRIPT = [
    "The user asks for 2 + 2.",
    " That is 4.\n",
    "</think>",
    "\n\n",
    "The answer is **4**.\n\n",
    "```python\nprint(2 + 2)\n```\n",
]


def _elided(label: QLabel) -> bool:
    """A label that shortens its text on purpose (the whole text in its tooltip)."""
    text = label.text()
    return isinstance(label, ElidedLabel) or (
        text.endswith("…") and len(label.toolTip()) > len(text)
    )


def _rich(label: QLabel) -> bool:
    if label.textFormat() == Qt.TextFormat.RichText:
        return True
    return label.textFormat() == Qt.TextFormat.AutoText and "<" in label.text()


def misfits(root: QWidget) -> list[str]:
    """Visible labels and buttons whose one-line text is wider than the widget, or whose
    height is below their font's."""
    found: list[str] = []
    for w in [root, *root.findChildren(QWidget)]:
        if not w.isVisible() or w.window() is not root:
            continue
        if isinstance(w, QLabel):
            text = w.text()
            if not text or w.wordWrap() or _elided(w):
                continue
        elif isinstance(w, QAbstractButton):
            text = w.text()
            if isinstance(w, QToolButton) and (
                w.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
            ):
                continue  # (its text is its name, not shown)
            if not text:
                continue
        else:
            continue
        fm = QFontMetrics(w.font())
        if isinstance(w, QLabel) and _rich(w):
            doc = QTextDocument()
            doc.setDefaultFont(w.font())
            doc.setDocumentMargin(0)
            doc.setHtml(text)
            wide = round(doc.idealWidth())
        else:
            lines = text.replace("&&", "\0").split("\n")
            wide = max(
                fm.horizontalAdvance(line.replace("&", "", 1).replace("\0", "&")) for line in lines
            )
        box = w.contentsRect()
        name = f"{type(w).__name__} {w.objectName()!r} {text[:40]!r}"
        if wide > box.width():
            found.append(f"{name}: text {wide}px wide in {box.width()}px")
        if box.height() < fm.height():
            found.append(f"{name}: {box.height()}px high for a {fm.height()}px font")
    return found


def main() -> None:
    home = Path(sys.argv[1])
    os.environ["QWQ_DESKTOP_HOME"] = str(home / "with-model")
    from app.store.conversations import ConversationStore
    from app.ui.main_window import MainWindow
    from app.ui.settings_dialog import SettingsDialog
    from app.ui.theme import apply_theme
    from tests.fixtures.scripted_model import write_scripted_model

    app = QApplication(sys.argv[:1])
    apply_theme(app, "light")

    def wait(done: Callable[[], bool], seconds: float = 60) -> None:
        end = time.monotonic() + seconds
        while not done() and time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)
        if not done():
            raise SystemExit("timed out")

    def settle() -> None:
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    problems: list[str] = []
    model = write_scripted_model(home / "qwq.gguf", SCRIPT, name="QwQ-32B")
    store = ConversationStore(home / "data")
    window = MainWindow(store, str(model.path))
    window.resize(1280, 840)
    window.show()
    wait(lambda: window.session is not None)
    window.composer.editor.setPlainText("What is 2 + 2?")
    window.composer.submit()
    wait(lambda: window.conversation_id is not None and not window.live)
    settle()
    problems += [f"window: {p}" for p in misfits(window)]
    dialog = SettingsDialog(window.settings, window, store=store)
    dialog.show()
    settle()
    problems += [f"settings: {p}" for p in misfits(dialog)]
    dialog.close()
    window.close()
    store.close()

    os.environ["QWQ_DESKTOP_HOME"] = str(home / "first-run")
    store = ConversationStore(home / "data-first-run")
    window = MainWindow(store, None)
    window.resize(1280, 840)
    window.show()
    wait(lambda: window.first_run.view is not None)
    settle()
    problems += [f"first run: {p}" for p in misfits(window)]
    window.close()
    store.close()
    print("\n".join(problems) if problems else "all fit")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
