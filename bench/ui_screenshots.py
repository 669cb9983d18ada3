"""Take the screenshots in docs/screenshots: the real window, under a real X server.

    Xvfb :99 -screen 0 1400x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python bench/ui_screenshots.py docs/screenshots \
        [--theme light|dark] [--language en|zh_CN] [--scale 1.5] [--only window,first-run]

Each scene runs a fresh window on a scripted QwQ (tests/fixtures/scripted_model.py)
through real llama.cpp: ``window`` after one exchange (a trace, then an answer with a
table and code); ``thinking`` while the trace streams, then ``stopped``; ``loop``, a
trace caught going round in circles; ``math``; ``first-run`` without a model;
``settings``; ``models`` (a bad file in the library); ``damaged`` (and Settings'
backups); ``notice`` (the status bar); ``hostile`` output (and the crash dialog); ``budget``
(a trace cut by the thinking budget); ``focus`` (the keyboard's focus ring). Files are named ``<scene>[-dark][-zh][-<scale>x].png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
# A trace that never ends by itself (for the live, stopped and loop scenes).
THOUGHTS = [
    "Okay, so I need to find for which n from 1 to 100 the number n² + 3n + 1 is divisible by 7.",
    " Work modulo 7: n² + 3n + 1 ≡ 0 (mod 7).",
    " Try the residues: n ≡ 0 gives 1, n ≡ 1 gives 5, n ≡ 2 gives 11 ≡ 4.",
    " n ≡ 3 gives 19 ≡ 5, n ≡ 4 gives 29 ≡ 1, n ≡ 5 gives 41 ≡ 6, n ≡ 6 gives 55 ≡ 6.\n",
    "Hmm, none of them is 0. Let me double-check n ≡ 2: 4 + 6 + 1 = 11, and 11 mod 7 = 4.",
    " The discriminant is 9 − 4 = 5, and 5 is not a square mod 7 (squares: 0, 1, 2, 4).",
    " So there are no solutions at all.\n",
]
LOOPING = [
    " Wait, let me re-check the case n = 4: 16 + 12 + 1 = 29, and 29 mod 7 = 1.",
    " So n = 4 does not work.",
    " Hmm, but maybe I made a mistake with n = 4.",
    " Let me go back to it.",
]
MATH = [
    "The roots of a quadratic come from completing the square.\n",
    "</think>",
    "\n\n",
    "For $ax^2 + bx + c = 0$ with $a \\neq 0$:\n\n",
    "$$x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}$$\n\n",
    "The discriminant $\\Delta = b^2 - 4ac$ says how many real roots there are.\n",
]
DIVISIBLE = "For which n from 1 to 100 is n² + 3n + 1 divisible by 7?"


class Shots:
    """One scene after another, each in a fresh window on its own store."""

    def __init__(self, args: argparse.Namespace) -> None:
        from PySide6.QtWidgets import QApplication

        from app.ui import language
        from app.ui.theme import apply_theme

        self.args = args
        self.home = Path(os.environ["QWQ_DESKTOP_HOME"]).parent
        self.app = QApplication(sys.argv)
        language.install(self.app, args.language)
        apply_theme(self.app, args.theme)
        self.suffix = (
            ("-dark" if args.theme == "dark" else "")
            + ("-zh" if args.language == "zh_CN" else "")
            + (f"-{args.scale}x" if args.scale else "")
        )
        self.size = tuple(int(v) for v in args.size.split("x"))
        self.n = 0

    def wait(self, done: Callable[[], bool], seconds: float = 60) -> None:
        from PySide6.QtCore import QEventLoop

        end = time.monotonic() + seconds
        while not done() and time.monotonic() < end:
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    def settle(self, seconds: float = 0.6) -> None:
        self.wait(lambda: False, seconds)

    def save(self, widget: Any, scene: str) -> None:
        path = self.args.out / f"{scene}{self.suffix}.png"
        widget.grab().save(str(path))
        print(path)

    def model(self, script: list[str], **kw: Any) -> str:
        from tests.fixtures.scripted_model import write_scripted_model

        self.n += 1
        return str(
            write_scripted_model(self.home / f"m{self.n}.gguf", script, name="QwQ-32B", **kw).path
        )

    def window(self, model: str | None, data: Path | None = None) -> Any:
        """A fresh window on ``model`` (None: none) and a store in ``data`` (or a new folder)."""
        from app.store.conversations import ConversationStore
        from app.ui.main_window import MainWindow

        self.n += 1
        store = ConversationStore(data or self.home / f"data-{self.n}")
        window = MainWindow(store, model)
        window.resize(*self.size)
        window.show()
        if model is not None:
            self.wait(lambda: window.session is not None)
        self.settle()
        return window

    def close(self, window: Any) -> None:
        self.wait(lambda: not window.live, 30)
        store = window.store
        window.close()
        store.close()

    def ask(self, window: Any, text: str) -> None:
        window.composer.editor.setPlainText(text)
        window.composer.submit()

    def last_reply(self, window: Any) -> Any:
        from app.ui.chat_view import AssistantMessage

        return [m for m in window.chat.messages() if isinstance(m, AssistantMessage)][-1]

    def open_last_trace(self, window: Any) -> None:
        """Open the last reply's trace, scrolled to its end (where it was cut)."""
        reply = self.last_reply(window)
        reply.reasoning.header.click()
        self.settle(1.0)
        bar = reply.reasoning.body.verticalScrollBar()
        bar.setValue(bar.maximum())
        self.settle(0.3)

    # -- the scenes --------------------------------------------------------------------

    def scene_window(self) -> None:
        """One exchange: the trace folded, the answer with a table and code."""
        script = CHINESE if self.args.language == "zh_CN" else ENGLISH
        w = self.window(self.model(script))
        self.ask(w, QUESTION[self.args.language])
        self.wait(lambda: not w.live)
        self.settle(1.0)
        self.save(w, "window")
        self.close(w)

    def scene_thinking(self) -> None:
        """QwQ thinking: the live trace, Answer now and Stop; then the stopped reply."""
        w = self.window(self.model(THOUGHTS, loop=True))
        w.settings.loop_guard = "off"
        self.ask(w, DIVISIBLE)
        self.wait(lambda: bool(w.live) and len(self.last_reply(w).reasoning.text) > 1500, 30)
        self.settle(0.05)
        self.save(w, "thinking")
        w.replies.stop()
        self.wait(lambda: not w.live, 30)
        self.settle(1.0)
        self.save(w, "stopped")
        self.close(w)

    def scene_loop(self) -> None:
        """A trace that goes round in circles: caught, answered, the remedy offered."""
        w = self.window(
            self.model(
                LOOPING,
                loop=True,
                after_blank_line=["No n works: ", "n² + 3n + 1 is **never** divisible by 7."],
            )
        )
        w.settings.loop_guard = "answer"
        self.ask(w, DIVISIBLE)
        self.wait(lambda: not w.live, 60)
        self.settle(0.5)
        self.open_last_trace(w)
        self.save(w, "loop-caught")
        self.close(w)

    def scene_math(self) -> None:
        w = self.window(self.model(MATH))
        self.ask(w, "How do I solve a quadratic equation?")
        self.wait(lambda: not w.live)
        self.settle(1.0)
        self.save(w, "math")
        self.close(w)

    def scene_first_run(self) -> None:
        """A first start: no model, no settings (a home of its own: the other scenes'
        settings name the model they loaded)."""
        os.environ["QWQ_DESKTOP_HOME"] = str(self.home / "first-run-home")
        w = self.window(None)
        self.save(w, "first-run")
        self.close(w)

    def scene_new_chat(self) -> None:
        """A new chat with a model loaded, before the first message."""
        w = self.window(self.model(ENGLISH))
        self.save(w, "new-chat")
        self.close(w)

    def scene_tools(self) -> None:
        """A reply that used a tool: the call's card with its result, then the answer;
        then a call that waits for the user's yes in its card."""
        calc = [
            "The user wants 2^64 − 1 exactly; a calculator avoids a slip.",
            "</think>",
            "\n\n",
            "<tool_call>\n",
            '{"name": "calculator", "arguments": {"expression": "2**64 - 1"}}',
            "\n</tool_call>",
        ]
        answer = [
            "The calculator gives 18446744073709551615.",
            "</",
            "think>\n\n",
            "2⁶⁴ − 1 = **18,446,744,073,709,551,615**.",
        ]
        w = self.window(self.model(calc, after_tool_results=answer))
        self.ask(w, "What is 2^64 − 1, exactly?")
        self.wait(lambda: not w.live)
        self.settle(0.5)
        reply = self.last_reply(w)
        for card in reply.cards.values():
            card.result_button.click()
        self.settle(0.8)
        self.save(w, "tool-call")
        self.close(w)
        check = [
            "Let me check it by running it.",
            "</think>",
            "\n\n",
            "<tool_call>\n",
            '{"name": "python", "arguments": {"code": "print(sum(range(1, 101)))"}}',
            "\n</tool_call>",
        ]
        w = self.window(self.model(check, after_tool_results=["Ran", "</", "think>\n\n", "5050."]))
        self.ask(w, "Check the sum of 1 to 100 with Python.")
        self.wait(
            lambda: bool(w.live) and any(c.waiting for c in self.last_reply(w).cards.values())
        )
        self.settle(0.8)
        self.save(w, "tool-approval")
        w.replies.stop()
        self.close(w)

    def scene_attach(self) -> None:
        """A file dropped on the composer: its chip with size and tokens; then sent."""
        notes = self.home / "launch-plan.md"
        notes.write_text(
            "# Launch plan\n\nThe launch is on **14 March**, with a budget of 12,000 EUR.\n" * 40,
            encoding="utf-8",
        )
        w = self.window(self.model(ENGLISH))
        w.composer.attach_files([notes])
        bar = w.composer.attachments_bar
        self.wait(lambda: bool(bar.chips) and bar.chips[0].ready)
        w.composer.editor.setPlainText("When is the launch, and what is the budget?")
        self.settle(0.5)
        self.save(w, "attach")
        self.close(w)

    def scene_cited(self) -> None:
        """A PDF attached, a question, an answer citing its page; the page beside it."""
        from tests.fixtures.documents import make_pdf

        pages = [
            ["Service agreement between Acme Ltd and the Client.", "Section 1: scope."],
            [
                "Section 7: termination.",
                "Either party may end this agreement with 60 days' written notice.",
                "Notice is given by registered letter to the address in Section 2.",
            ],
            ["Section 9: governing law.", "This agreement is governed by the laws of Ireland."],
        ]
        pdf = self.home / "contract.pdf"
        pdf.write_bytes(make_pdf(pages))
        script = [
            "The user asks for the notice period. Page 2, Section 7, says 60 days' written "
            "notice, by registered letter.",
            "</think>",
            "\n\n",
            "Either party can end the agreement with **60 days' written notice**, sent by "
            "registered letter ",
            "[contract.pdf p. 2]",
            ". (A 30-day period is not in the contract ",
            "[contract.pdf p. 5]",
            ".)",
        ]
        w = self.window(self.model(script))
        w.composer.attach_files([pdf])
        bar = w.composer.attachments_bar
        self.wait(lambda: bool(bar.chips) and bar.chips[0].ready)
        self.ask(w, "What is the notice period in this contract? Cite the page.")
        self.wait(lambda: not w.live)
        self.settle(0.8)
        reply = self.last_reply(w)
        buttons = [b for b in reply.sources_row.findChildren(type(reply.copy_button)) if b.text()]
        if buttons:
            buttons[0].click()
        self.settle(0.8)
        self.save(w, "cited")
        self.close(w)

    def scene_settings(self) -> None:
        from app.ui.settings_dialog import SettingsDialog

        w = self.window(self.model(ENGLISH))
        dialog = SettingsDialog(w.settings, w, store=w.store)
        dialog.show()
        self.settle()
        self.save(dialog, "settings")
        from PySide6.QtWidgets import QScrollArea

        scroll = dialog.findChild(QScrollArea, "settingsScroll")
        scroll.verticalScrollBar().setValue(dialog.tools.y() - 8)
        self.settle(0.3)
        self.save(dialog, "settings-tools")
        dialog.close()
        self.close(w)

    def scene_models(self) -> None:
        """The model library with a bad file selected (its one-sentence reason)."""
        from app.core.paths import AppPaths
        from app.core.settings import AppSettings
        from app.ui.model_library import ModelLibrary
        from tests.fixtures.gguf_bytes import kv_str, small_model
        from tests.fixtures.scripted_model import write_scripted_model

        repo = AppPaths.current().ensure().models / "Qwen" / "QwQ-32B-GGUF"
        repo.mkdir(parents=True, exist_ok=True)
        write_scripted_model(repo / "qwq-32b-q4_k_m.gguf", ENGLISH)
        bad = small_model()
        bad.kvs[1] = kv_str("general.alignment", "thirty-two")
        (repo / "qwq-32b-q8_0.gguf").write_bytes(bad.to_bytes())
        dialog = ModelLibrary(AppSettings.load())
        dialog.resize(1000, 440)
        dialog.show()
        self.settle(2.5)
        self.save(dialog, "models")
        dialog.select_path(str(repo / "qwq-32b-q8_0.gguf"))
        self.settle(0.5)
        self.save(dialog, "models-bad-file")
        dialog.close()

    def scene_damaged(self) -> None:
        """A conversation whose stored rows are partly unreadable, and Settings' backups."""
        from app.core.settings import AppSettings
        from app.store import backup
        from app.ui.settings_dialog import SettingsDialog
        from tests.fixtures.damaged_rows import DAMAGED_TITLE, write_damaged

        data = self.home / "damaged"
        write_damaged(data)
        w = self.window(None, data)
        store = w.store
        backup.make(store.path, backup.folder_of(store.path.parent))
        (bad,) = [c for c in store.conversations() if c.title == DAMAGED_TITLE]
        w.open_conversation(bad.id)
        self.settle()
        self.save(w, "damaged")
        dialog = SettingsDialog(AppSettings(), w, store=store)
        dialog.resize(640, 930)
        dialog.show()
        self.settle()
        self.save(dialog, "settings-backups")
        dialog.close()
        self.close(w)

    def scene_notice(self) -> None:
        """The status bar with a notice beside the model in use (a file that failed)."""
        w = self.window(self.model(ENGLISH))
        bad = self.home / "QwQ-32B-Q4_K_M.gguf"
        bad.write_bytes(b"GGUF" + b"\0" * 60)
        w.models.open_gguf(str(bad))
        self.wait(lambda: bool(w.notices.text()), 10)
        self.settle()
        self.save(w, "status-notice")
        self.close(w)

    def scene_hostile(self) -> None:
        """Hostile output (a formula nested too deep, a huge line), then the crash dialog."""
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QMessageBox

        from app.core.logging_setup import log_file, setup_logging
        from app.core.paths import AppPaths
        from app.ui.crash_report import CrashReporter

        w = self.window(None)
        paths = AppPaths.current().ensure()
        setup_logging(paths)
        store = w.store
        c = store.create(title="Hostile output")
        deep = "x"
        for _ in range(20):
            deep = f"\\frac{{{deep}}}{{2}}"
        answer = (
            "The sum is $\\boxed{100}$ and $\\frac{n(n+1)}{2}$ is the rule.\n\n"
            f"A formula nested 20 deep stays as its source: $${deep}$$\n\n"
            "And a very long line: " + "lorem ipsum " * 3000
        )
        u = store.add_message(c.id, "user", "Show me something hostile", parent_id=None)
        store.add_message(c.id, "assistant", answer, parent_id=u.id, reasoning="Thinking. " * 2000)
        reporter = CrashReporter(w, log_file(paths), "QwQ Desktop").install()
        w.open_conversation(c.id)
        w.composer.editor.setPlainText("A draft that must not be lost")
        self.settle(2.5)
        self.save(w, "hostile-output")

        def boom() -> None:
            raise RuntimeError("a bug in a slot")

        QTimer.singleShot(0, boom)
        self.settle(1.0)
        boxes = [
            b for b in self.app.topLevelWidgets() if isinstance(b, QMessageBox) and b.isVisible()
        ]
        if boxes:
            self.save(boxes[0], "crash-dialog")
            boxes[0].close()
        reporter.uninstall()
        self.close(w)

    def scene_budget(self) -> None:
        """A stored reply whose trace the budget cut: the app's wrap-up marked, the answer."""
        from app.core.thinking import WRAP_UP, InsertedSpan

        w = self.window(self.model(ENGLISH))
        store = w.store
        c = store.create(title="Primes from n² + n + 41")
        u = store.add_message(
            c.id,
            "user",
            "For how many positive integers n ≤ 100 is n² + n + 41 prime?",
            parent_id=None,
        )
        a = store.add_message(
            c.id, "assistant", "", parent_id=u.id, status="streaming", model="QwQ-32B"
        )
        trace = (
            "Euler's polynomial gives primes for n from 0 to 39, so the count is at least 39.\n\n"
            "n = 40: 1600 + 40 + 41 = 1681 = 41², not prime. n = 41: 41 · 43, not prime.\n\n"
            "n = 42: 1847. √1847 ≈ 42.98; no prime up to 41 divides it, so 1847 is prime.\n\n"
            "n = 43: 1933, prime. n = 44: 2021 = 43 · 47, not prime.\n\n"
            "The composites come from factors 41, 43, 47, 53, 61, 71… Let me go through n = 45 to"
            " 100 and test each value against those primes instead of trial division.\n\n"
        )
        wrap = WRAP_UP[: WRAP_UP.index("</think>")].rstrip()
        store.finish_message(
            a.id,
            content="Euler's polynomial is prime for n = 1 … 39, fails at 40, 41 and 44, and is"
            " prime at 42, 43, 45 and 46: the count is **at least 43**. Continue thinking for"
            " n = 47 to 100.",
            reasoning=trace + wrap,
            finish_reason="stop",
            reasoning_finished=True,
            thinking_seconds=131.0,
            stats={"reasoning_tokens": 1024, "generated_tokens": 1190, "tokens_per_second": 8.1},
            reasoning_ended_by="budget",
            inserted=[InsertedSpan(len(trace), len(trace) + len(wrap), "app")],
        )
        w.open_conversation(c.id)
        self.settle()
        self.open_last_trace(w)
        self.save(w, "budget-reached")
        self.close(w)

    def scene_focus(self) -> None:
        """The keyboard's focus ring: Shift+Tab from the message box to the reasoning header."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication

        w = self.window(self.model(ENGLISH))
        self.ask(w, QUESTION[self.args.language])
        self.wait(lambda: not w.live)
        self.settle()
        w.activateWindow()
        w.composer.setFocus()
        header = self.last_reply(w).reasoning.header
        for _ in range(40):
            focused = QApplication.focusWidget()
            if focused is header:
                break
            QTest.keyClick(
                focused or w.composer.editor, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier
            )
            self.settle(0.05)
        self.settle(0.5)
        self.save(w, "a11y-keyboard-focus")
        self.close(w)


SCENES = [
    "window",
    "thinking",
    "loop",
    "math",
    "first-run",
    "new-chat",
    "settings",
    "tools",
    "attach",
    "cited",
    "models",
    "damaged",
    "notice",
    "budget",
    "focus",
    "hostile",  # last: it sets up the app's logging, which then talks on the terminal
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--theme", default="light", choices=["light", "dark"])
    parser.add_argument("--language", default="en", choices=["en", "zh_CN"])
    parser.add_argument("--scale", default="")
    parser.add_argument("--only", default=",".join(SCENES))
    parser.add_argument("--size", default="1280x840")
    args = parser.parse_args()
    if args.scale:
        os.environ["QT_SCALE_FACTOR"] = args.scale
    home = Path(tempfile.mkdtemp())
    os.environ["QWQ_DESKTOP_HOME"] = str(home / "home")
    args.out.mkdir(parents=True, exist_ok=True)
    shots = Shots(args)
    for scene in args.only.split(","):
        getattr(shots, "scene_" + scene.replace("-", "_"))()


if __name__ == "__main__":
    main()
