"""The longest stall of the GUI thread while the window shows hostile model output (goal: 100 ms).

Each case opens a stored conversation whose answer (or reasoning trace) is the hostile
text in the real window, and a 10 ms QTimer heartbeat records the longest gap between
its ticks until the window has settled (formulas typeset, long text laid out). Each
case runs in its own process, cut at ``--timeout`` seconds (the stall is then "more
than" that).

    QT_QPA_PLATFORM=offscreen python bench/ui_hostile_output.py [--timeout 60] [CASE ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _common import ROOT, machine


def _nested(template: str, depth: int) -> str:
    tex = "x"
    for _ in range(depth):
        tex = template.replace("@", tex)
    return tex


FRAC = r"\frac{@}{y}"
UNDERBRACE = r"\underbrace{@}_{k}"
LONG_MARKDOWN = (
    "A paragraph with **bold** and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "```python\nx = 1\n```\n\n"
) * 1_500
CASES: dict[str, tuple[str, str]] = {  # name: (answer, reasoning)
    "frac-13-deep": ("$$" + _nested(FRAC, 13) + "$$", ""),
    "frac-20-deep": ("$$" + _nested(FRAC, 20) + "$$", ""),
    "underbrace-20-deep": ("$$" + _nested(UNDERBRACE, 20) + "$$", ""),
    "2000-fracs": ("$$" + " + ".join([r"\frac{a}{b}"] * 2000) + "$$", ""),
    "20000-unclosed-\\[": ("\\[ " * 20_000, ""),
    "20000-dollars": ("$a " * 20_000, ""),
    "code-and-math-20000": ("`` `$a$" * 20_000, ""),
    "250-formulas": (" ".join(f"$x_{{{i}}}$" for i in range(250)), ""),
    "900-formulas": (" ".join(f"$x_{{{i}}}$" for i in range(900)), ""),
    "5MB-line-answer": ("word " * 1_000_000, ""),
    "5MB-line-trace": ("The answer.", "word " * 1_000_000),
    "long-markdown": (LONG_MARKDOWN, ""),
    "long-list": ("- item one two three\n" * 5_000, ""),
    "normal-math": (r"So $\frac{a}{b}$ and $$\boxed{4}$$", ""),
}


def run_case(name: str) -> None:
    """In this process: open the conversation, open its trace, report the longest stall."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.store.conversations import ConversationStore
    from app.ui.chat_view import AssistantMessage
    from app.ui.main_window import MainWindow

    app = QApplication(sys.argv)
    answer, reasoning = CASES[name]
    store = ConversationStore(Path(tempfile.mkdtemp()))
    c = store.create(title=name)
    u = store.add_message(c.id, "user", "Hello?", parent_id=None)
    store.add_message(c.id, "assistant", answer, parent_id=u.id, reasoning=reasoning)
    window = MainWindow(store)
    window.resize(1100, 760)
    window.show()
    for _ in range(20):
        app.processEvents()
    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(beat)
    timer.start()

    def open_it() -> None:
        window.open_conversation(c.id)

    def open_trace() -> None:
        for w in window.chat.messages():
            if isinstance(w, AssistantMessage) and w.reasoning.text:
                w.reasoning.header.setChecked(True)

    started = time.perf_counter()
    QTimer.singleShot(50, open_it)
    QTimer.singleShot(1500, open_trace)
    QTimer.singleShot(4000, app.quit)
    app.exec()
    print(
        f"{name}: longest GUI stall {max(gaps) * 1000:.0f} ms "
        f"(run {time.perf_counter() - started:.1f} s, {len(gaps)} beats)"
    )
    sys.stdout.flush()
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("cases", nargs="*", default=list(CASES))
    args = parser.parse_args()
    if args.case:
        run_case(args.case)
        return
    print(f"machine: {machine()}")
    for name in args.cases:
        try:
            out = subprocess.run(
                [sys.executable, __file__, "--case", name],
                capture_output=True,
                text=True,
                timeout=args.timeout,
                cwd=ROOT,
            )
            lines = [ln for ln in out.stdout.splitlines() if "stall" in ln]
            print(lines[-1] if lines else f"{name}: failed: {out.stderr.strip()[-300:]}")
        except subprocess.TimeoutExpired:
            print(f"{name}: longest GUI stall > {args.timeout:.0f} s (cut)")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
