"""A whole session of the real app, with every network connection recorded.

Run as a script: ``python tests/offline/session.py window|cli MODEL``. An audit hook
(PEP 578) sees every ``socket.connect`` and name lookup the process makes, from any
library; the script prints them as JSON on its last line and exits 0 only when the
session itself worked.
"""

from __future__ import annotations

import json
import socket
import sys

attempts: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.connect":
        sock, address = args
        if isinstance(sock, socket.socket) and sock.family != getattr(socket, "AF_UNIX", -1):
            attempts.append(f"connect {address!r}")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
        attempts.append(f"{event} {args[0]!r}")


sys.addaudithook(_audit)


def window_session(model: str) -> bool:
    """Start the window as ``qwq-desktop`` does (the first-run page), open a GGUF, chat
    once, close."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.ui.app import run_window
    from app.ui.main_window import MainWindow

    outcome = {"answered": False}

    def drive() -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        window = next(w for w in app.topLevelWidgets() if isinstance(w, MainWindow))
        if window.first_run.view is None:  # the first-run page reads the machine, the catalog
            QTimer.singleShot(50, drive)
            return
        if window.session is None:
            if not outcome.get("opened"):
                outcome["opened"] = True
                window.models.open_gguf(model)  # checked by llama.cpp, remembered, loaded
            QTimer.singleShot(50, drive)
            return
        window.composer.editor.setPlainText("What is 2+2?")
        window.send()
        QTimer.singleShot(50, lambda: wait_answer(window))

    def wait_answer(window: MainWindow) -> None:
        if window.live:
            QTimer.singleShot(50, lambda: wait_answer(window))
            return
        outcome["answered"] = window.session is not None and bool(window.chat.messages())
        window.close()

    QTimer.singleShot(0, drive)
    QTimer.singleShot(60_000, lambda: QApplication.exit(3))  # never hang the suite
    return run_window(None) == 0 and outcome["answered"]


def cli_session(model: str) -> bool:
    from app.cli.main import run

    return (
        run(["ask", "--model", model, "-c", "new", "What is 2+2?"]) == 0
        and run(["conversations", "--json"]) == 0
    )


if __name__ == "__main__":
    face, model = sys.argv[1], sys.argv[2]
    ok = window_session(model) if face == "window" else cli_session(model)
    print(json.dumps({"ok": ok, "attempts": attempts}))
    sys.exit(0 if ok else 1)
