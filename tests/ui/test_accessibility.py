"""Accessibility, through Qt's own accessibility interfaces (what the AT-SPI, UIA and
NSAccessibility bridges read): every control a user can reach has a usable name, Tab
follows the layout, a whole conversation works from the keyboard, a reply is announced
politely at three moments, and the reasoning block says whether it is open.

bench/atspi_tree.py checks the same names through the real AT-SPI tree under Xvfb.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QScrollBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.core.settings import AppSettings
from app.store.conversations import ConversationStore
from app.ui.announcer import announcer
from app.ui.chat_view import AssistantMessage, UserMessage
from app.ui.focus_order import focus_chain, follow_layout, reading_order
from app.ui.main_window import MainWindow
from app.ui.model_library import ModelLibrary
from app.ui.remote_dialog import RemoteDialog
from app.ui.settings_dialog import SettingsDialog, SystemPromptDialog
from tests.fixtures.models import ScriptFactory
from tests.ui.test_main_window import ask, assistant_widgets, open_window

# Thinks, then answers with prose and a code block (a Copy button and a code view).
EXCHANGE = [
    "Let me think about printing.",
    " A print call does it.\n",
    "</think>",
    "\n\n",
    "Use **print**:\n\n",
    "```python\nprint(4)\n```\n",
]
THINKS_ON = [f" step {i}." for i in range(40)]  # thinks until stopped or asked to answer


def accessible_name(widget: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(widget)
    assert iface is not None, f"{widget!r} has no accessible interface"
    return iface.text(QAccessible.Text.Name)


def usable(name: str) -> bool:
    """A name a screen reader can say meaningfully: words, not "‹", "2/3" or ""."""
    return any(ch.isalpha() for ch in name)


def interactive(widget: QWidget) -> bool:
    """What a user can reach with Tab or press: buttons, fields, lists, combo boxes."""
    if isinstance(widget, QScrollBar):
        return False  # (scrolled with the view they belong to)
    takes_tab = bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
    return (takes_tab and widget.focusProxy() is None) or isinstance(widget, QAbstractButton)


def unnamed(widgets: Iterable[QWidget]) -> list[str]:
    return [
        f"{type(w).__name__} {w.objectName()!r} in {type(w.parent()).__name__} "
        f"{w.parent().objectName()!r} (name {accessible_name(w)!r})"
        for w in widgets
        if interactive(w) and not usable(accessible_name(w))
    ]


def everything_in(root: QWidget) -> list[QWidget]:
    """The widgets of ``root``'s window (a combo box's popup list is the combo box's)."""
    return [root, *(w for w in root.findChildren(QWidget) if w.window() is root)]


def one_exchange(qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory) -> MainWindow:
    """A window after one question, its answer regenerated (so ‹ › show), a trace open."""
    window = open_window(qtbot, store, scripted(EXCHANGE).path)
    ask(qtbot, window, "How do I print 4?")
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    assistant_widgets(window)[0].regenerate_button.click()
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    qtbot.waitUntil(lambda: assistant_widgets(window)[0].siblings.isVisible())
    reply = assistant_widgets(window)[0]
    qtbot.waitUntil(lambda: not reply.answer.building)
    reply.reasoning.header.click()
    reply.reasoning.beside_button.click()
    return window


def test_every_control_of_the_window_has_a_usable_name_after_an_exchange(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = one_exchange(qtbot, store, scripted)
    reply = assistant_widgets(window)[0]
    assert reply.answer.views(), "the answer's views are built"
    assert window.trace_dock.isVisible()
    # Hidden controls too (Stop, the first-run page, Continue): they show in other states.
    assert unnamed(everything_in(window)) == []
    # The ones the issue found unnamed, by what a screen reader says.
    nav = reply.siblings
    assert accessible_name(nav.previous_button) == "Previous version"
    assert accessible_name(nav.next_button) == "Next version"
    assert accessible_name(window.composer.editor) == "Message to QwQ"
    assert accessible_name(window.conversation_list.search_box) == "Search conversations"
    assert accessible_name(window.conversation_list.view) == "Conversations"
    assert accessible_name(reply.reasoning.body) == "Reasoning"
    assert accessible_name(window.trace_view) == "Reasoning beside the answer"
    assert accessible_name(reply.answer.views()[0]) == "Answer"
    assert accessible_name(window.context_meter) == "Context in use"


def test_every_control_of_the_dialogs_has_a_usable_name(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = one_exchange(qtbot, store, scripted)
    library = ModelLibrary(AppSettings(), window)
    qtbot.waitUntil(lambda: library.loads > 0, timeout=10_000)
    dialogs: list[QDialog] = [
        SettingsDialog(AppSettings(), window, store=store),
        SystemPromptDialog("Be brief.", window),
        library,
        RemoteDialog({}, window),
    ]
    messages = store.messages(store.conversations()[0].id)
    answer = [m for m in messages if m.role == "assistant"][-1]
    window.replies.steer(answer.id)
    assert window.replies.steer_dialog is not None
    dialogs.append(window.replies.steer_dialog)
    for dialog in dialogs:
        dialog.show()
        assert unnamed(everything_in(dialog)) == [], dialog.windowTitle()
        dialog.reject()


def test_tab_follows_the_layout_through_messages_added_later(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = one_exchange(qtbot, store, scripted)
    reply = assistant_widgets(window)[0]
    # Made after the status bar's buttons, the messages came last in Qt's own order.
    before = focus_chain(window)
    assert before.index(reply.copy_button) > before.index(window.api.button)
    follow_layout(window)
    chain = focus_chain(window)
    assert chain == reading_order(window)
    tools, editor = window.tools.settings_button, window.composer.editor
    inside = [
        reply.reasoning.header,
        reply.reasoning.beside_button,
        reply.siblings.previous_button,
        reply.copy_button,
        reply.regenerate_button,
    ]
    places = [chain.index(w) for w in (tools, *inside, editor, window.api.button)]
    assert places == sorted(places)
    # And Tab itself goes that way: from the tool row into the conversation.
    tools.setFocus()
    key(qtbot, Qt.Key.Key_Tab)
    now = focused()
    assert now is window.chat or window.chat.isAncestorOf(now)


def focused() -> QWidget:
    """Where the window's keyboard focus is."""
    window = QApplication.activeWindow() or next(
        w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
    )
    widget = window.focusWidget()
    assert widget is not None
    return widget


def key(
    qtbot: QtBot, k: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    """A key press where the focus is. (The offscreen platform now and then takes the
    activation away from the window, which a desktop does not: it is given back, and
    the focus returns where it was.)"""
    widget = focused()
    window = widget.window()
    if QApplication.activeWindow() is not window:
        handle = window.windowHandle()
        assert handle is not None
        handle.requestActivate()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(widget, k, modifiers)


def tab_to(qtbot: QtBot, target: QWidget, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (Shift+Tab) until ``target`` has the focus."""
    for _ in range(limit):
        if focused() is target:
            return
        if backwards:
            key(qtbot, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
        else:
            key(qtbot, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {target!r} (stuck at {focused()!r})")


CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def test_a_whole_conversation_from_the_keyboard(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted(THINKS_ON, loop=True, after_blank_line=["So it is", " 4."])
    AppSettings(loop_guard="off").save()  # it thinks until the keyboard ends it
    window = open_window(qtbot, store, model.path)
    editor = window.composer.editor

    # New chat, type, send (Enter), then Answer now (Ctrl+Shift+A).
    key(qtbot, Qt.Key.Key_N, CTRL)
    assert focused() is editor
    qtbot.keyClicks(editor, "What is 2+2?")
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: bool(window.live) and assistant_widgets(window)[-1].reasoning.tokens > 20
    )
    # The context meter counts while it streams (it showed 0 until the reply ended).
    assert window.context_meter.value() > 20
    key(qtbot, Qt.Key.Key_A, CTRL | SHIFT)
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    first = window.conversation_id
    assert assistant_widgets(window)[-1].answer.markdown == "So it is 4."

    # Copy the answer (Ctrl+Shift+C).
    key(qtbot, Qt.Key.Key_C, CTRL | SHIFT)
    assert QGuiApplication.clipboard().text() == "So it is 4."

    # Open the trace: Shift+Tab back from the message box to its header, Space; then
    # read it beside the answer (Tab, Space).
    reply = assistant_widgets(window)[-1]
    assert focused() is editor and not reply.reasoning.is_open
    tab_to(qtbot, reply.reasoning.header, backwards=True)
    key(qtbot, Qt.Key.Key_Space)
    assert reply.reasoning.is_open
    key(qtbot, Qt.Key.Key_Tab)
    assert focused() is reply.reasoning.beside_button
    key(qtbot, Qt.Key.Key_Space)
    assert window.trace_dock.isVisible()
    assert window.trace_dock.block is reply.reasoning
    # (Whitespace aside: the panel's view now and then holds one line break more.)
    shown = window.trace_view.toPlainText
    qtbot.waitUntil(lambda: shown().split() == reply.reasoning.text.split())

    # A second chat, stopped with Esc.
    key(qtbot, Qt.Key.Key_N, CTRL)
    qtbot.keyClicks(editor, "Think about nothing")
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: bool(window.live) and assistant_widgets(window)[-1].reasoning.tokens > 5
    )
    key(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    second = window.conversation_id
    assert "Stopped by you" in assistant_widgets(window)[-1].footer.text()

    # Switch conversations (Ctrl+PgDown: the next one down the list, the older one).
    key(qtbot, Qt.Key.Key_PageDown, CTRL)
    assert window.conversation_id == first
    key(qtbot, Qt.Key.Key_PageUp, CTRL)
    assert window.conversation_id == second

    # Search (Ctrl+K), Tab into the hits, Enter opens the one found.
    key(qtbot, Qt.Key.Key_K, CTRL)
    search = window.conversation_list.search_box
    assert focused() is search
    qtbot.keyClicks(search, "What")
    hits = window.conversation_list.conversation_ids
    qtbot.waitUntil(lambda: hits() == [first], timeout=10_000)
    view = window.conversation_list.view
    key(qtbot, Qt.Key.Key_Tab)
    assert focused() is view
    view.setCurrentRow(0)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.conversation_id == first)

    # Back to the list: rename (F2, type, Enter).
    key(qtbot, Qt.Key.Key_K, CTRL)
    key(qtbot, Qt.Key.Key_A, CTRL)
    key(qtbot, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: len(window.conversation_list.conversation_ids()) == 2)
    key(qtbot, Qt.Key.Key_Tab)
    assert focused() is view and view.currentItem().text() == "What is 2+2?"
    key(qtbot, Qt.Key.Key_F2)
    qtbot.keyClicks(focused(), "Sums")
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: store.get(first).title == "Sums")
    qtbot.waitUntil(lambda: window.windowTitle().endswith("Sums"))

    # Delete (Delete), then undo it (Ctrl+Z), from the list.
    view.setFocus()
    qtbot.waitUntil(lambda: view.currentItem() is not None and view.currentItem().text() == "Sums")
    key(qtbot, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: first not in [c.id for c in store.conversations()])
    qtbot.waitUntil(window.conversation_list.undo_button.isVisible)
    view.setFocus()
    key(qtbot, Qt.Key.Key_Z, CTRL)
    qtbot.waitUntil(lambda: any(c.title == "Sums" for c in store.conversations()))


def test_a_reply_is_announced_politely_at_three_moments(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    heard: list[str] = []
    announcer().announced.connect(heard.append)
    try:
        window = open_window(qtbot, store, scripted(EXCHANGE).path)
        ask(qtbot, window, "How do I print 4?")
        qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    finally:
        announcer().announced.disconnect(heard.append)
    assert len(heard) == 3, heard  # not token by token
    thinking, thought, answer = heard
    assert thinking == "QwQ is thinking"
    assert thought.startswith("Thought for ") and "tokens" in thought
    assert answer.startswith("Use print:") and "print(4)" in answer and "**" not in answer


def test_the_reasoning_blocks_fold_is_exposed(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(EXCHANGE).path)
    ask(qtbot, window, "How do I print 4?")
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    header = assistant_widgets(window)[0].reasoning.header
    iface = QAccessible.queryAccessibleInterface(header)
    assert iface is not None
    assert iface.role() == QAccessible.Role.CheckBox or iface.state().checkable
    assert not iface.state().checked and "hidden" in iface.text(QAccessible.Text.Description)
    assert iface.text(QAccessible.Text.Name).startswith("Thought for ")
    header.click()
    assert iface.state().checked and "shown" in iface.text(QAccessible.Text.Description)


def test_the_branch_arrows_and_message_actions_say_what_they_do(qtbot: QtBot) -> None:
    user, answer = UserMessage("hi"), AssistantMessage()
    for w in (user, answer):
        qtbot.addWidget(w)
    answer.siblings.set_siblings(2, 3)
    assert accessible_name(answer.siblings.position) == "Version 2 of 3"
    assert accessible_name(user.edit_button) == "Edit message"
    assert accessible_name(answer.copy_button) == "Copy answer"
    assert accessible_name(answer.regenerate_button) == "Regenerate answer"
