"""Citations in the real window (real llama.cpp, a scripted model that cites): the answer's
sources under it, a click shows the cited passage beside it, and a citation of something
QwQ was not given is marked."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.store.conversations import ConversationStore
from app.ui.chat_view import AssistantMessage
from tests.fixtures.models import ScriptFactory
from tests.ui.test_main_window import open_window

CITING = [
    "Read it.",
    "</think>",
    "\n\n",
    "The launch is on 14 March ",
    "[plan.md]",
    ", not in May ",
    "[other.pdf p. 3]",
    ".",
]
NOTES = "# Plan\n\nThe launch is on 14 March.\n"


def test_citations_are_checked_and_open_their_passage(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory, tmp_path: Path
) -> None:
    notes = tmp_path / "plan.md"
    notes.write_text(NOTES, encoding="utf-8")
    window = open_window(qtbot, store, scripted(CITING).path)
    composer = window.composer
    composer.attach_files([notes])
    bar = composer.attachments_bar
    qtbot.waitUntil(lambda: bool(bar.chips) and bar.chips[0].ready, timeout=10_000)
    composer.editor.setPlainText("When is the launch?")
    composer.submit()
    qtbot.waitUntil(lambda: not window.replies.live, timeout=30_000)
    reply = [w for w in window.chat.messages() if isinstance(w, AssistantMessage)][-1]
    qtbot.waitUntil(lambda: reply.sources_row.isVisible(), timeout=5_000)
    assert [(c.label, c.verified) for c in reply.citations] == [
        ("plan.md", True),
        ("other.pdf p. 3", False),
    ]
    buttons = [b for b in reply.sources_row.findChildren(type(reply.copy_button)) if b.text()]
    by_text = {b.text(): b for b in buttons}
    assert by_text["other.pdf p. 3"].property("unverified") is True
    by_text["plan.md"].click()
    dock = window.source_dock
    assert dock.isVisible() and dock.view.toPlainText() == NOTES
    assert "plan.md" in dock.where.text()
    by_text["other.pdf p. 3"].click()
    assert "not among the sources" in dock.where.text()
