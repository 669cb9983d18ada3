"""The conversation's look (issue 15, item 1): the user's turns as bubbles on the right,
QwQ's turns headed by the model that answered, a reading column of bounded width,
message actions that show on hover and focus (always on the last answer), and the
reasoning block's live indicator and animated fold. The real window, on real llama.cpp
with scripted models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF
from PySide6.QtGui import QAccessible, QColor, QEnterEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.core.settings import AppSettings
from app.store.conversations import ConversationStore
from app.ui.chat_view import USER_BUBBLE_SHARE, AssistantMessage, UserMessage
from app.ui.main_window import MainWindow
from app.ui.reasoning_block import ThinkingDots
from app.ui.theme import DARK, LIGHT, READING_WIDTH, apply_theme
from tests.fixtures.damaged_rows import DAMAGED_TITLE, write_damaged
from tests.fixtures.models import ScriptFactory
from tests.ui.test_main_window import ask, assistant_widgets, open_window

EXCHANGE = [
    "Let me think about printing.",
    " A print call does it.\n",
    "</think>",
    "\n\n",
    "Use **print**:\n\n",
    "```python\nprint(4)\n```\n",
]
THINKS_ON = [f" step {i}." for i in range(40)]  # thinks until stopped


@pytest.fixture
def theme_back(qapp: QApplication) -> Iterator[None]:
    yield
    apply_theme(qapp, "light")  # as every other UI test runs


def exchange(qtbot: QtBot, window: MainWindow, question: str) -> None:
    ask(qtbot, window, question)
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    qtbot.waitUntil(lambda: all(not w.answer.building for w in assistant_widgets(window)))


def users(window: MainWindow) -> list[UserMessage]:
    return [w for w in window.chat.messages() if isinstance(w, UserMessage)]


def in_column(window: MainWindow, widget: QWidget) -> tuple[int, int]:
    """``widget``'s left and right edges in the conversation's column."""
    left = widget.mapTo(window.chat.column, QPoint(0, 0)).x()
    return left, left + widget.width()


def hover(widget: QWidget, inside: bool) -> None:
    if inside:
        QApplication.sendEvent(widget, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    else:
        QApplication.sendEvent(widget, QEvent(QEvent.Type.Leave))


def test_the_users_turn_is_a_bubble_on_the_right_narrower_than_the_column(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(EXCHANGE).path)
    exchange(qtbot, window, "How do I print 4? " * 30)  # long enough to wrap
    (user,) = users(window)
    column = window.chat.column.width()
    # (Once the layout has placed it: the bubble's width is set as the message is sized.)
    qtbot.waitUntil(lambda: abs(in_column(window, user.bubble)[1] - column) <= 2)  # right
    left, _right = in_column(window, user.bubble)
    assert left > column * (1 - USER_BUBBLE_SHARE) - 2  # at most three quarters wide
    assert user.bubble.width() <= column * USER_BUBBLE_SHARE + 1
    # QwQ's answer sits on the window's background, from the column's left edge.
    answer = assistant_widgets(window)[0]
    assert in_column(window, answer)[0] == 0


def test_qwqs_turn_is_headed_by_the_model_that_answered_live_and_stored(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    AppSettings(loop_guard="off").save()
    window = open_window(qtbot, store, scripted(THINKS_ON, loop=True).path)
    ask(qtbot, window, "Think about nothing")
    qtbot.waitUntil(
        lambda: bool(window.live) and assistant_widgets(window)[-1].reasoning.tokens > 3
    )
    (stored,) = [m for m in store.messages(store.conversations()[0].id) if m.role == "assistant"]
    assert stored.model  # (the scripted model's name)
    live = assistant_widgets(window)[-1]
    assert live.name.text() == "QwQ"
    assert live.model_label.isVisible() and live.model_label.text() == stored.model
    window.composer.stop_button.click()
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    shown = assistant_widgets(window)[-1]
    assert shown.message_id == stored.id
    assert shown.model_label.isVisible() and shown.model_label.text() == stored.model


def test_a_wide_window_keeps_the_conversation_in_a_centred_reading_column(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(EXCHANGE).path)
    exchange(qtbot, window, "How do I print 4?")
    window.resize(1800, 900)
    viewport = window.chat.viewport()
    qtbot.waitUntil(lambda: viewport.width() > READING_WIDTH + 200)
    column = window.chat.column
    assert column.width() == READING_WIDTH
    middle = column.mapTo(viewport, QPoint(column.width() // 2, 0)).x()
    assert abs(middle - viewport.width() // 2) <= 2
    for message in window.chat.messages():
        assert message.width() <= READING_WIDTH


def test_message_actions_show_on_hover_and_focus_and_always_on_the_last_answer(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(EXCHANGE).path)
    exchange(qtbot, window, "How do I print 4?")
    exchange(qtbot, window, "And 5?")
    first, last = assistant_widgets(window)
    # The last answer's actions are there for the keyboard and a screen reader.
    assert last.copy_button.isVisible() and last.regenerate_button.isVisible()
    # An earlier answer's appear on hover only, without moving anything.
    assert first.action_row.isHidden() and not first.copy_button.isVisible()
    height = first.height()
    hover(first, True)
    assert first.copy_button.isVisible() and first.copy_all_button.isVisible()
    hover(first, False)
    assert first.action_row.isHidden()
    assert first.height() == height  # the row kept its space
    # Or while the keyboard's focus is inside the message.
    first.reasoning.header.setFocus()
    qtbot.waitUntil(first.copy_button.isVisible)
    window.composer.editor.setFocus()
    qtbot.waitUntil(first.action_row.isHidden)
    assert last.copy_button.isVisible()
    # The user's Edit likewise: hidden, shown when Tab reaches the message.
    user = users(window)[0]
    assert not user.edit_button.isVisible()
    user.label.setFocus()
    qtbot.waitUntil(user.edit_button.isVisible)
    # Icon-only, each says what it does (tooltip and accessible name).
    for button in (first.copy_button, first.copy_all_button, first.regenerate_button):
        assert not button.icon().isNull() and button.toolTip() and button.accessibleName()


def test_the_thinking_indicator_moves_while_thinking_and_stops_after(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    AppSettings(loop_guard="off").save()
    window = open_window(qtbot, store, scripted(THINKS_ON, loop=True).path)

    def running() -> list[ThinkingDots]:
        return [d for d in window.findChildren(ThinkingDots) if d.timer.isActive()]

    ask(qtbot, window, "Think about nothing")
    qtbot.waitUntil(
        lambda: bool(window.live) and assistant_widgets(window)[-1].reasoning.tokens > 3
    )
    dots = assistant_widgets(window)[-1].reasoning.dots
    assert dots.isVisible() and dots.timer.isActive() and running() == [dots]
    assert dots.timer.interval() >= 1000 // 15  # at most 15 frames a second
    phase = dots.phase
    qtbot.waitUntil(lambda: dots.phase != phase)  # it moves
    window.composer.stop_button.click()  # Stop while it thinks
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    assert running() == []
    # And when the trace ends because the answer begins.
    window.close()
    window = open_window(qtbot, store, scripted(EXCHANGE).path)
    exchange(qtbot, window, "How do I print 4?")
    assert running() == []


def test_the_fold_is_animated_and_ends_as_a_hidden_body_and_a_collapsed_header(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(EXCHANGE).path)
    exchange(qtbot, window, "How do I print 4?")
    block = assistant_widgets(window)[0].reasoning
    iface = QAccessible.queryAccessibleInterface(block.header)
    assert iface is not None
    block.header.click()  # open: the body eases open
    assert block.folding and block.body.isVisible()
    qtbot.waitUntil(lambda: not block.folding)
    assert block.body.isVisible() and block.body.height() > 20
    assert iface.state().checked and "shown" in iface.text(QAccessible.Text.Description)
    block.header.click()  # fold: eased shut, then hidden
    assert not iface.state().checked  # the state is said at once
    assert block.folding and block.body.isVisible()
    qtbot.waitUntil(lambda: not block.folding)
    assert block.body.isHidden()
    assert not iface.state().checked and "hidden" in iface.text(QAccessible.Text.Description)
    assert block.header.icon().cacheKey() != 0


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_conversation_is_drawn_in_both_themes(
    qtbot: QtBot,
    qapp: QApplication,
    store: ConversationStore,
    scripted: ScriptFactory,
    theme: str,
    theme_back: None,
) -> None:
    """The sheets' conversation and reasoning parts parse (a Qt warning fails the test)
    and the reasoning block and the user's bubble are drawn in the theme's colors."""
    apply_theme(qapp, theme)
    expected = DARK if theme == "dark" else LIGHT
    window = open_window(qtbot, store, scripted(EXCHANGE).path)
    exchange(qtbot, window, "How do I print 4?")
    block = assistant_widgets(window)[0].reasoning
    image = block.grab().toImage()
    assert QColor(image.pixel(block.width() // 2, 3)).name() == expected.thinking_surface
    bubble = users(window)[0].bubble
    image = bubble.grab().toImage()
    assert QColor(image.pixel(bubble.width() // 2, 2)).name() == expected.user_bubble
    assert isinstance(assistant_widgets(window)[0], AssistantMessage)


def test_a_new_chat_shows_what_qwq_does_until_the_first_message(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(EXCHANGE).path)
    empty = window.chat.empty
    assert empty.isVisible() and empty.title.text() == "What shall QwQ think about?"
    assert empty.geometry() == window.chat.viewport().rect()  # over the whole view
    exchange(qtbot, window, "How do I print 4?")
    assert not empty.isVisible()  # the conversation takes its place
    window.new_chat()
    assert empty.isVisible()
    (c,) = store.conversations()
    window.open_conversation(c.id)
    assert not empty.isVisible()


def test_a_damaged_users_message_says_so_in_full_under_its_bubble(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """The note wraps at the column's width; aligned in the layout it got one line's
    height and was cut. A model name that could not be read is not shown."""
    data = tmp_path / "data"
    write_damaged(data)
    damaged_store = ConversationStore(data)
    try:
        window = open_window(qtbot, damaged_store, None)
        (bad,) = [c for c in damaged_store.conversations() if c.title == DAMAGED_TITLE]
        window.open_conversation(bad.id)
        (user,) = users(window)
        note = user.damaged_note
        qtbot.waitUntil(lambda: note.isVisible() and note.width() > 0)
        assert note.height() >= note.heightForWidth(note.width())  # every line of it
        assert note.width() > user.bubble.width()  # the column's width, not the bubble's
        (reply,) = assistant_widgets(window)
        assert "model" in reply.footer.text() and not reply.model_label.isVisible()
        window.close()
    finally:
        damaged_store.close()
