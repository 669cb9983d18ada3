"""Opening a stored conversation of 200 messages in the window (goal: under 300 ms).

100 questions and 100 answers; each answer has three paragraphs, a table and a code
block, and a 5,000-character reasoning trace (rendered only when opened).

    QT_QPA_PLATFORM=offscreen python bench/ui_open_conversation.py [--messages 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _common import machine
from PySide6.QtWidgets import QApplication

from app.store.conversations import ConversationStore
from app.ui.main_window import MainWindow
from app.ui.theme import apply_theme

ANSWER = (
    "The answer has a first paragraph that explains the idea in a few sentences, with "
    "**bold** words and `inline code`.\n\n"
    "| n | square |\n|---|---|\n| 1 | 1 |\n| 2 | 4 |\n| 3 | 9 |\n\n"
    "```python\ndef square(n: int) -> int:\n    return n * n\n\nprint([square(n) for n in range(10)])\n```\n\n"
    "A second paragraph follows, and a third one closes the answer with a summary."
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--theme", default="light", help="as the app applies it (light, dark)")
    args = parser.parse_args()
    app = QApplication(sys.argv)
    apply_theme(app, args.theme)  # the palette and style sheet the app runs with
    store = ConversationStore(Path(tempfile.mkdtemp()))
    c = store.create(title="Long conversation")
    parent = None
    for i in range(args.messages // 2):
        u = store.add_message(
            c.id, "user", f"Question {i}: what is the square of {i}?", parent_id=parent
        )
        a = store.add_message(
            c.id, "assistant", ANSWER, parent_id=u.id, reasoning=("thinking " * 550)[:5000]
        )
        parent = a.id
    window = MainWindow(store)
    window.resize(1100, 760)
    window.show()
    app.processEvents()
    shown, complete, chunks = [], [], []
    page = window.page  # the conversation on screen builds its messages
    build = page._build_older

    def timed_build(token: int) -> None:
        t = time.perf_counter()
        build(token)
        chunks.append((time.perf_counter() - t) * 1000)

    page._build_older = timed_build  # type: ignore[method-assign]
    for _ in range(args.rounds):
        window.new_chat()
        app.processEvents()
        t = time.perf_counter()
        window.open_conversation(c.id)
        window.chat.viewport().repaint()  # laid out and painted: the user sees it
        shown.append((time.perf_counter() - t) * 1000)
        while page.building:  # the older messages, built a few per turn of the loop
            app.processEvents()
        app.processEvents()
        complete.append((time.perf_counter() - t) * 1000)
    print(f"machine: {machine()}")
    print(f"conversation: {args.messages} messages; Qt platform {app.platformName()}")
    print(
        f"shown (newest messages laid out and painted): median {statistics.median(shown):.0f} ms, "
        f"max {max(shown):.0f} ms"
    )
    print(
        f"all {args.messages} built: median {statistics.median(complete):.0f} ms, "
        f"max {max(complete):.0f} ms ({args.rounds} rounds)"
    )
    print(f"the GUI thread, per batch of older messages: longest {max(chunks):.0f} ms")
    window.close()
    store.close()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
