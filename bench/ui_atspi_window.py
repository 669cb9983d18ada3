"""The window after one exchange, kept open for bench/atspi_tree.py to walk over AT-SPI.

Run by atspi_tree.py with the project's Python (it needs PySide6 and llama.cpp): a real
MainWindow on a scripted QwQ model (tests/fixtures/scripted_model.py) in a fresh data
folder, one question answered (with a trace and a code block), the answer regenerated
(so the ‹ › arrows show) and its trace opened beside it. Then it prints READY and
stays up until it is terminated. The X display is Xvfb's; Qt's AT-SPI
bridge is forced on (QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1), as no desktop asks for it.

    QWQ_DESKTOP_HOME=/tmp/x DISPLAY=:99 python bench/ui_atspi_window.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_LINUX_ACCESSIBILITY_ALWAYS_ON", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
# (QWQ_APP_ROOT: another checkout's app, to measure before a change)
sys.path.insert(0, os.environ.get("QWQ_APP_ROOT", str(Path(__file__).resolve().parent.parent)))

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.core.paths import HOME_ENV
from app.store.conversations import ConversationStore
from app.ui.chat_view import AssistantMessage
from app.ui.main_window import MainWindow
from tests.fixtures.scripted_model import write_scripted_model

EXCHANGE = [
    "Let me think about printing.",
    " A print call does it.\n",
    "</think>",
    "\n\n",
    "Use **print**:\n\n",
    "```python\nprint(4)\n```\n",
]


def main() -> int:
    home = Path(os.environ.setdefault(HOME_ENV, tempfile.mkdtemp(prefix="qwq-atspi-")))
    model = write_scripted_model(home / "scripted.gguf", EXCHANGE)
    app = QApplication(sys.argv)
    app.setApplicationName("QwQ Desktop")
    store = ConversationStore(home / "data")
    window = MainWindow(store, str(model.path))
    window.show()
    steps = ["ask", "regenerate", "open", "ready"]

    def answers() -> list[AssistantMessage]:
        return [w for w in window.chat.messages() if isinstance(w, AssistantMessage)]

    def step() -> None:
        if window.session is None or window.live:
            return  # loading, or a reply still streaming
        match steps[0]:
            case "ask":
                window.composer.editor.setPlainText("How do I print 4?")
                window.send()
            case "regenerate":
                answers()[0].regenerate_button.click()
            case "open":
                reply = answers()[0]
                reply.reasoning.header.click()
                reply.reasoning.beside_button.click()
                window.composer.setFocus()
            case "ready":
                print("READY", flush=True)
                timer.stop()
        steps.pop(0)

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(300)
    try:
        return app.exec()
    finally:
        store.close()


if __name__ == "__main__":
    sys.exit(main())
