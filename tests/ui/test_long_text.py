"""Plain text of any length: shown a slice per turn, long lines cut for display only."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.ui.long_text import DISPLAY_LINE, SLICE, LongPlainText


def test_text_streams_in_whole_and_long_lines_are_cut_for_display_only(qtbot: QtBot) -> None:
    view = LongPlainText()
    qtbot.addWidget(view)
    parts = ["a" * 1_500, "b" * 700, "\nshort\n", "c" * (3 * SLICE + 5)]
    for part in parts:
        view.append_text(part)
    qtbot.waitUntil(lambda: not view.filling)
    assert view.text == "".join(parts)  # what Copy and the store get: whole
    shown = view.toPlainText()
    assert max(len(line) for line in shown.split("\n")) == DISPLAY_LINE
    assert shown.replace("\n", "") == view.text.replace("\n", "")
    assert "\nshort\n" in shown
    view.set_text("new")
    assert view.toPlainText() == "new" and view.text == "new"


def test_a_huge_text_is_put_in_a_slice_per_turn(qtbot: QtBot) -> None:
    view = LongPlainText()
    qtbot.addWidget(view)
    view.set_text("x" * (10 * SLICE))
    assert view.filling and len(view.toPlainText()) < 2 * SLICE  # not all at once
    qtbot.waitUntil(lambda: not view.filling)
    assert len(view.toPlainText().replace("\n", "")) == 10 * SLICE
