"""Hostile model output never freezes the window: the GUI thread answers within 1 s (goal 100 ms).

Each answer is shown as a user sees it (an AnswerView, a stored conversation opened in
the real window, a trace unfolded) while a 10 ms heartbeat records the longest stall.
Before the fix these took 5 s to minutes (bench/ui_hostile_output.py has the figures).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QScrollArea
from pytestqt.qtbot import QtBot

from app.store.conversations import ConversationStore
from app.ui.answer_view import AnswerView, LongBlockView, MarkdownBlockView
from app.ui.chat_view import AssistantMessage, UserMessage
from app.ui.main_window import MainWindow
from app.ui.math_render import typesetter
from tests.ui.stall import StallMeter

STALL_LIMIT = 1.0  # seconds; the goal is 0.1, the bug was 5 s to minutes


def nested(template: str, depth: int) -> str:
    tex = "x"
    for _ in range(depth):
        tex = template.replace("@", tex)
    return tex


LONG_MARKDOWN = (  # 130,000 characters of ordinary Markdown: 0.6 s to parse at once
    "A paragraph with **bold** and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "```python\nx = 1\n```\n\n"
) * 1_500
HOSTILE = {
    "frac-13-deep": "$$" + nested("\\frac{@}{y}", 13) + "$$",
    "frac-20-deep": "So $$" + nested("\\frac{@}{y}", 20) + "$$ done",
    "underbrace-20-deep": "$$" + nested("\\underbrace{@}_{k}", 20) + "$$",
    "2000-fracs": "$$" + " + ".join(["\\frac{a}{b}"] * 2000) + "$$",
    "unclosed-display": "\\[ " * 20_000,
    "dollars": "$a " * 20_000,
    "250-formulas": " ".join(f"$x_{{{i}}}$" for i in range(250)),
    "900-formulas": " ".join(f"$x_{{{i}}}$" for i in range(900)),
    "5MB-line": "word " * 1_000_000,
    "long-markdown": LONG_MARKDOWN,
    "long-list": "- item one two three\n" * 5_000,  # no blank line to cut at
}


@pytest.fixture(autouse=True)
def fresh_typesetter(qapp: object) -> Iterator[None]:
    typesetter().clear()  # no answer is helped by an earlier test's cache
    yield
    assert typesetter().wait_until_idle(30)  # no typesetting spills into the next test


def answer_on_screen(qtbot: QtBot) -> tuple[QScrollArea, AnswerView]:
    """An AnswerView in a scroll area, as the chat shows answers (keep both)."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    view = AnswerView()
    area.setWidget(view)
    qtbot.addWidget(area)
    area.resize(800, 600)
    area.show()
    return area, view


def settle(qtbot: QtBot, view: AnswerView) -> None:
    """Wait until every view is built, filled and has its formulas typeset."""

    def settled() -> bool:
        if view.building:
            return False
        for v in view.views():
            if isinstance(v, MarkdownBlockView) and v.math_pending:
                return False
            if isinstance(v, LongBlockView) and v.text_view.filling:
                return False
        return True

    qtbot.waitUntil(settled, timeout=60_000)
    qtbot.wait(50)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_an_answer_never_blocks_the_window(qtbot: QtBot, name: str) -> None:
    text = HOSTILE[name]
    _area, view = answer_on_screen(qtbot)
    with StallMeter() as meter:
        QTimer.singleShot(0, lambda: view.set_markdown(text))
        qtbot.waitUntil(lambda: bool(view.views()), timeout=60_000)
        settle(qtbot, view)
    assert meter.longest < STALL_LIMIT, f"{name}: the window froze {meter.longest:.2f} s"
    assert view.markdown == text  # nothing is lost: Copy gives all of it


def test_a_huge_line_is_plain_text_and_copied_whole(qtbot: QtBot) -> None:
    text = "Intro.\n\n" + "word " * 1_000_000
    _area, view = answer_on_screen(qtbot)
    view.set_markdown(text)
    settle(qtbot, view)
    (long_view,) = view.views()
    assert isinstance(long_view, LongBlockView)
    assert "5,000,008 characters" in long_view.caption.text()
    shown = long_view.text_view.toPlainText()
    assert max(len(line) for line in shown.splitlines()) <= 1_000  # cut for display only
    assert shown.replace("\n", "") == text.replace("\n", "")  # all of it is there
    long_view.copy_button.click()
    assert QGuiApplication.clipboard().text() == text


def test_a_streaming_huge_line_updates_without_blocking(qtbot: QtBot) -> None:
    _area, view = answer_on_screen(qtbot)
    view.update_budget = 0  # update on every call: the worst case
    piece = "word " * 10_000  # 50 KB a batch
    text = ""
    with StallMeter() as meter:
        for _ in range(40):  # 2 MB on one line
            text += piece
            QTimer.singleShot(0, lambda t=text: view.set_markdown(t, streaming=True))
            qtbot.wait(1)
        view.set_markdown(text)
        settle(qtbot, view)
    assert meter.longest < STALL_LIMIT
    (long_view,) = view.views()
    assert isinstance(long_view, LongBlockView) and long_view.block.text == text


def test_a_huge_trace_opens_without_blocking(qtbot: QtBot) -> None:
    trace = "think " * 900_000  # 5.4 MB on one line
    message = AssistantMessage()
    qtbot.addWidget(message)
    message.show()
    block = message.reasoning
    block.set_stored(trace, tokens=900_000, seconds=60.0, finished=True)
    block.show()
    with StallMeter() as meter:
        QTimer.singleShot(0, lambda: block.header.setChecked(True))
        qtbot.waitUntil(lambda: block.is_open and not block.body.filling, timeout=60_000)
    assert meter.longest < STALL_LIMIT, f"froze {meter.longest:.2f} s"
    assert block.body.text == trace == block.text
    assert message.copy_text(with_reasoning=True).count("think") == 900_000


def test_the_window_opens_a_hostile_conversation_again_and_again(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The same stored conversation froze the window again whenever it was opened."""
    with ConversationStore(tmp_path / "data") as store:
        hostile = store.create(title="hostile")
        parent = None
        for name, answer in HOSTILE.items():
            u = store.add_message(hostile.id, "user", f"Show me {name}", parent_id=parent)
            a = store.add_message(
                hostile.id, "assistant", answer, parent_id=u.id, reasoning="hmm " * 250_000
            )
            parent = a.id
        other = store.create(title="other")
        store.add_message(other.id, "user", "hi", parent_id=None)
        window = MainWindow(store)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.composer.editor.setPlainText("a draft")
        with StallMeter() as meter:
            for _ in range(2):
                QTimer.singleShot(0, lambda: window.open_conversation(hostile.id))
                qtbot.waitUntil(
                    lambda: window.conversation_id == hostile.id and not window.page.building,
                    timeout=60_000,
                )
                answers = [w for w in window.chat.messages() if isinstance(w, AssistantMessage)]
                assert len(answers) == len(HOSTILE)
                for w in answers:
                    settle(qtbot, w.answer)
                trace = answers[-1].reasoning
                QTimer.singleShot(0, lambda t=trace: t.header.setChecked(True))
                qtbot.waitUntil(lambda t=trace: not t.body.filling, timeout=60_000)
                QTimer.singleShot(0, trace.beside_button.click)  # and beside the answer
                qtbot.waitUntil(
                    lambda t=trace: (
                        window.trace_view.text == t.text and not window.trace_view.filling
                    ),
                    timeout=60_000,
                )
                QTimer.singleShot(0, lambda: window.open_conversation(other.id))
                qtbot.wait(100)
        assert meter.longest < STALL_LIMIT, f"the window froze {meter.longest:.2f} s"
        assert window.composer.editor.toPlainText() == "a draft"
        window.close()


def test_a_huge_user_message_opens_without_blocking(qtbot: QtBot, tmp_path: Path) -> None:
    """A 5 MB message (a paste, an import) was laid out at once in a label: seconds."""
    huge = "word " * 1_000_000
    with ConversationStore(tmp_path / "data") as store:
        c = store.create(title="paste")
        store.add_message(c.id, "user", huge, parent_id=None)
        window = MainWindow(store)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        with StallMeter() as meter:
            QTimer.singleShot(0, lambda: window.open_conversation(c.id))
            qtbot.waitUntil(lambda: window.conversation_id == c.id, timeout=60_000)
            (user,) = [w for w in window.chat.messages() if isinstance(w, UserMessage)]
            qtbot.wait(200)
        assert user.text() == huge  # whole: Edit and Copy get every character
        assert meter.longest < 1.0, f"the window stopped for {meter.longest:.2f} s"
