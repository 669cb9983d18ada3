"""The composer on its own (app/ui/composer.py): what the user asks for comes out as
signals, and the window's answer (busy, sent, an edit) shows on its buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.ui.composer import ANSWER_NOW_KEYS, ANSWER_NOW_TIP, Composer


def _composer(qtbot: QtBot, width: int | None = None, height: int | None = None) -> Composer:
    composer = Composer()
    if width and height:
        composer.resize(width, height)
    qtbot.addWidget(composer)
    composer.show()
    qtbot.waitExposed(composer)
    return composer


def test_enter_asks_to_send_the_text_and_shift_enter_makes_a_line(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    asked: list[str] = []
    composer.send_requested.connect(asked.append)
    qtbot.keyClicks(composer.editor, "two")
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(composer.editor, "lines")
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return)
    assert asked == ["two\nlines"]
    assert composer.text() == "two\nlines"  # kept until the window accepts it
    composer.sent()
    assert composer.text() == ""


def test_blank_text_asks_nothing(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    asked: list[str] = []
    composer.send_requested.connect(asked.append)
    composer.editor.setPlainText("  \n ")
    composer.send_button.click()
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return)
    assert asked == []


def test_busy_shows_stop_and_answer_now_instead_of_send(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    stops: list[bool] = []
    answers: list[bool] = []
    composer.stop_requested.connect(lambda: stops.append(True))
    composer.answer_now_requested.connect(lambda: answers.append(True))
    assert composer.send_button.isVisible() and not composer.stop_button.isVisible()
    assert not composer.answer_button.isVisible()

    composer.set_busy(True, can_answer_now=True)
    assert composer.stop_button.isVisible() and composer.answer_button.isVisible()
    assert not composer.send_button.isVisible() and composer.answer_button.isEnabled()
    assert ANSWER_NOW_KEYS in composer.answer_button.toolTip()
    composer.answer_button.click()
    composer.stop_button.click()
    assert answers == [True] and stops == [True]

    composer.set_busy(True, can_answer_now=True, why_not="This endpoint cannot.")
    assert not composer.answer_button.isEnabled()
    assert composer.answer_button.toolTip() == "This endpoint cannot."
    composer.set_busy(True)  # not thinking (or already asked)
    assert not composer.answer_button.isEnabled()
    assert composer.answer_button.toolTip() == ANSWER_NOW_TIP
    composer.set_busy(False)
    assert composer.send_button.isVisible() and not composer.stop_button.isVisible()


def test_an_edit_comes_back_as_resend_until_it_is_sent(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    composer.start_edit("What is 2+2?")
    assert composer.text() == "What is 2+2?" and composer.send_button.text() == "Resend"
    composer.sent()
    assert composer.send_button.text() == "Send" and composer.text() == ""
