"""Take the screenshots in docs/screenshots: the real window, under a real X server.

    Xvfb :99 -screen 0 1400x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python bench/ui_screenshots.py docs/screenshots \
        [--theme light|dark] [--language en|zh_CN] [--scale 1.5] [--only window,first-run]

Each scene runs a fresh window on a scripted QwQ (tests/fixtures/scripted_model.py)
through real llama.cpp: ``window`` after one exchange (a trace, then an answer with a
table and code), ``thinking`` while the trace streams, ``first-run`` without a model,
``settings``. Files are named ``<scene>[-dark][-zh][-<scale>x].png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENGLISH = [
    "The user asks for the sum of the first 10 odd numbers.",
    " They are 1, 3, 5, 7, 9, 11, 13, 15, 17, 19.",
    " Pairing them from the ends: 1+19, 3+17, 5+15, 7+13, 9+11: five pairs of 20.",
    " So the sum is 100, which is 10 squared: the sum of the first n odd numbers is n².\n",
    "</think>",
    "\n\n",
    "The sum of the first 10 odd numbers is **100**.\n\n",
    "In general the first *n* odd numbers add up to *n*²:\n\n"
    "| n | sum |\n|---|---|\n| 1 | 1 |\n| 5 | 25 |\n| 10 | 100 |\n\n",
    "```python\nprint(sum(range(1, 20, 2)))  # 100\n```\n",
]
CHINESE = [
    "用户问前十个奇数的和。",
    "前十个奇数是 1、3、5、7、9、11、13、15、17、19。",
    " 两两配对：1+19、3+17、5+15、7+13、9+11，每对都是 20，共五对。",
    " 所以和是 100，也就是 10 的平方。\n",
    "</think>",
    "\n\n",
    "前十个奇数的和是 **100**。\n\n",
    "规律：前 *n* 个奇数的和等于 *n*²。\n\n| n | 和 |\n|---|---|\n| 5 | 25 |\n| 10 | 100 |\n\n",
    "```python\nprint(sum(range(1, 20, 2)))  # 100\n```\n",
]
QUESTION = {
    "en": "What is the sum of the first 10 odd numbers?",
    "zh_CN": "前十个奇数的和是多少？",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--theme", default="light", choices=["light", "dark"])
    parser.add_argument("--language", default="en", choices=["en", "zh_CN"])
    parser.add_argument("--scale", default="")
    parser.add_argument("--only", default="window,thinking,first-run,settings")
    parser.add_argument("--size", default="1280x840")
    args = parser.parse_args()
    if args.scale:
        os.environ["QT_SCALE_FACTOR"] = args.scale
    home = Path(tempfile.mkdtemp())
    os.environ["QWQ_DESKTOP_HOME"] = str(home / "home")

    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from app.store.conversations import ConversationStore
    from app.ui import language
    from app.ui.main_window import MainWindow
    from app.ui.settings_dialog import SettingsDialog
    from app.ui.theme import apply_theme
    from tests.fixtures.scripted_model import write_scripted_model

    app = QApplication(sys.argv)
    language.install(app, args.language)
    apply_theme(app, args.theme)
    script = CHINESE if args.language == "zh_CN" else ENGLISH
    model = write_scripted_model(home / "qwq.gguf", script, name="QwQ-32B")
    width, height = (int(v) for v in args.size.split("x"))
    suffix = (
        ("-dark" if args.theme == "dark" else "")
        + ("-zh" if args.language == "zh_CN" else "")
        + (f"-{args.scale}x" if args.scale else "")
    )
    args.out.mkdir(parents=True, exist_ok=True)

    def wait(done: Callable[[], bool], seconds: float = 60) -> None:
        end = time.monotonic() + seconds
        while not done() and time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    def settle(seconds: float = 0.6) -> None:
        wait(lambda: False, seconds)

    def save(widget: object, scene: str) -> None:
        path = args.out / f"{scene}{suffix}.png"
        widget.grab().save(str(path))  # type: ignore[attr-defined]
        print(path)

    scenes = args.only.split(",")
    for n, scene in enumerate(scenes):
        store = ConversationStore(home / f"data-{n}")
        with_model = scene != "first-run"
        window = MainWindow(store, str(model.path) if with_model else None)
        window.resize(width, height)
        window.show()
        if with_model:
            wait(lambda w=window: w.session is not None)  # type: ignore[misc]
        settle()
        if scene in ("window", "thinking"):
            window.composer.editor.setPlainText(QUESTION[args.language])
            window.composer.submit()
            if scene == "thinking":
                wait(lambda w=window: bool(w.live) and w.trace_view is not None, 5)  # type: ignore[misc]
                settle(0.05)
            else:
                wait(lambda w=window: not w.live)  # type: ignore[misc]
                settle(1.0)
            save(window, scene)
        elif scene == "settings":
            dialog = SettingsDialog(window.settings, window, store=store)
            dialog.show()
            settle()
            save(dialog, scene)
            dialog.close()
        else:
            save(window, scene)
        window.close()
        store.close()


if __name__ == "__main__":
    main()
