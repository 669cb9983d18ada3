"""The window under a long reasoning stream: is the GUI thread ever blocked?

The test load from the window issue: 30,000 reasoning tokens, then 2,000 answer
tokens, fed at 200 tokens a second through the real worker (Job) into the real
MainWindow. An event-loop probe (a 5 ms timer) records how late it fires: that is
how long the GUI thread was blocked. The time the window spends handling each
thousand tokens shows whether the cost per token stays flat.

    QT_QPA_PLATFORM=offscreen python bench/ui_stream.py [--reasoning 30000] [--answer 2000] [--rate 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from _common import machine
from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from app.core.events import AnswerDelta, ChatEvent, GenerationDone, GenerationStats, ReasoningDelta
from app.session import StoredGeneration
from app.store.conversations import ConversationStore
from app.ui.main_window import MainWindow
from app.ui.reply_controller import ReplyController
from app.ui.theme import apply_theme
from app.ui.worker import Job

WORDS = [
    "let",
    "me",
    "think",
    "about",
    "this",
    "step",
    "by",
    "step",
    "and",
    "check",
    "each",
    "case",
    "carefully",
]


def events(n_reasoning: int, n_answer: int, rate: float) -> Iterator[ChatEvent]:
    start = time.perf_counter()
    reasoning: list[str] = []
    answer: list[str] = []
    for i in range(n_reasoning + n_answer):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        word = WORDS[i % len(WORDS)]
        text = (" " if i % 12 else "\n") + word
        if i == 0:
            text = word
        if i < n_reasoning:
            reasoning.append(text)
            yield ReasoningDelta(text)
        else:
            answer.append(text)
            yield AnswerDelta(text)
    yield GenerationDone(
        "stop",
        GenerationStats(generated_tokens=n_reasoning + n_answer, reasoning_tokens=n_reasoning),
        reasoning="".join(reasoning),
        answer="".join(answer),
        reasoning_finished=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reasoning", type=int, default=30_000)
    parser.add_argument("--answer", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--theme", default="light", help="as the app applies it (light, dark)")
    args = parser.parse_args()

    app = QApplication(sys.argv)
    apply_theme(app, args.theme)  # the palette and style sheet the app runs with
    folder = Path(tempfile.mkdtemp())
    store = ConversationStore(folder)
    window = MainWindow(store)
    window.resize(1100, 760)
    window.show()
    cid = store.create(title="bench").id
    window.open_conversation(cid)

    # A reply as the window starts one, but fed by this script's own job (its own
    # start is never run): the window's part of each batch is the controller's take.
    def never_started() -> StoredGeneration:
        raise AssertionError("the script's job feeds this reply")

    reply = ReplyController(cid, never_started, parent=window)
    widget = reply.widget
    window.chat.add(widget)
    window.live[cid] = reply
    window.replies.connect_reply(reply)

    # Wrap the window's handler to time it per thousand tokens.
    handled = {"tokens": 0, "seconds": 0.0}
    per_thousand: list[float] = []
    bucket = {"seconds": 0.0, "next": 1000}

    def on_items(batch: list[ChatEvent]) -> None:
        t = time.perf_counter()
        reply.take(batch)
        spent = time.perf_counter() - t
        handled["seconds"] += spent
        bucket["seconds"] += spent
        handled["tokens"] += sum(not isinstance(e, GenerationDone) for e in batch)
        while handled["tokens"] >= bucket["next"]:
            per_thousand.append(bucket["seconds"])
            bucket["seconds"] = 0.0
            bucket["next"] += 1000

    job = Job(lambda: events(args.reasoning, args.answer, args.rate), window)
    job.items.connect(on_items)
    job.done.connect(lambda _: app.quit())

    lateness: list[float] = []
    probe = QTimer()
    probe.setInterval(5)
    clock = QElapsedTimer()
    clock.start()
    last = {"t": clock.elapsed()}

    def tick() -> None:
        now = clock.elapsed()
        lateness.append(max(0, now - last["t"] - 5))
        last["t"] = now

    probe.timeout.connect(tick)
    probe.start()
    started = time.perf_counter()
    job.start()
    app.exec()
    wall = time.perf_counter() - started
    probe.stop()

    lateness.sort()
    first, last_k = per_thousand[0], per_thousand[-1]
    thinking = per_thousand[: args.reasoning // 1000]
    print(f"machine: {machine()}")
    print(
        f"load: {args.reasoning:,} reasoning + {args.answer:,} answer tokens at {args.rate:.0f} tok/s "
        f"({wall:.1f} s), Qt platform {app.platformName()}"
    )
    print(
        f"event-loop probe: {len(lateness):,} ticks; longest block {lateness[-1]:.0f} ms; "
        f"p99 {lateness[int(len(lateness) * 0.99)]:.0f} ms; median {lateness[len(lateness) // 2]:.0f} ms"
    )
    print(
        f"GUI time handling tokens: {handled['seconds'] * 1000:.0f} ms in all, "
        f"{handled['seconds'] / max(1, handled['tokens']) * 1e6:.0f} µs a token"
    )
    print(
        f"first thousand tokens: {first * 1000:.1f} ms; last thousand: {last_k * 1000:.1f} ms; "
        f"ratio {last_k / first:.2f}"
    )
    print(
        "per thousand reasoning tokens (ms): "
        + " ".join(f"{x * 1000:.0f}" for x in thinking[:: max(1, len(thinking) // 10)])
    )
    reasoning_chars = widget.reasoning.body.document().characterCount()
    print(
        f"trace on screen: {reasoning_chars:,} characters; answer: {len(widget.answer.markdown):,}"
    )
    window.close()
    store.close()
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown: PySide6 objects die with the process


if __name__ == "__main__":
    main()
