"""The window's chrome as a user meets it: the conversation list's sections, the
composer's one field (Send inside it, growing with the text), the welcome's one
obvious button, and a window that reopens where it was left."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.paths import AppPaths
from app.core.window_state import WindowState
from app.store.conversations import ConversationStore
from app.ui.composer import MAX_LINES, Composer
from app.ui.conversation_list import ConversationList
from app.ui.operations import ChangeBridge, Operations
from app.ui.sidebar import ROLE_HEADING, month_label
from tests.fixtures.fake_hub import FakeHub
from tests.ui import test_composer
from tests.ui.test_main_window import open_window
from tests.ui.test_model_setup import answers, hub  # noqa: F401  (fixtures)

DAY = 24 * 3600


def test_pinned_first_then_days_then_months(qtbot: QtBot, store: ConversationStore) -> None:
    now = time.time()
    ages = {"Today's": 0, "Yesterday's": 1, "This week's": 3, "This month's": 20}
    for title, days in ages.items():
        store.create(title=title, created_at=now - days * DAY)
    older = [now - 45 * DAY, now - 400 * DAY]
    for n, when in enumerate(older):
        store.create(title=f"Old {n}", created_at=when)
    pinned = store.create(title="Kept", created_at=now - 400 * DAY)
    store.set_pinned(pinned.id, True)
    part = ConversationList(store, Operations(store), ChangeBridge(store.changes))
    qtbot.addWidget(part)
    months = [
        month_label(dt.date.fromtimestamp(t).year, dt.date.fromtimestamp(t).month) for t in older
    ]
    assert part.titles() == [
        "Pinned",
        "Kept",
        "Today",
        "Today's",
        "Yesterday",
        "Yesterday's",
        "Previous 7 days",
        "This week's",
        "Previous 30 days",
        "This month's",
        months[0],
        "Old 0",
        months[1],
        "Old 1",
    ]
    assert months[1].endswith(str(dt.date.fromtimestamp(older[1]).year))
    headings = [
        part.view.item(i) for i in range(part.view.count()) if part.view.item(i).data(ROLE_HEADING)
    ]
    assert len(headings) == 7
    # A heading cannot be chosen; the pinned section is marked with the pin.
    assert all(not h.flags() & Qt.ItemFlag.ItemIsSelectable for h in headings)
    assert not headings[0].icon().isNull() and headings[1].icon().isNull()


def _composer(qtbot: QtBot) -> Composer:
    return test_composer._composer(qtbot, 700, 300)


def test_send_is_inside_the_field_and_sends(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    asked: list[str] = []
    composer.send_requested.connect(asked.append)
    field = composer.field
    assert field.isAncestorOf(composer.send_button) and field.isAncestorOf(composer.editor)
    assert field.isAncestorOf(composer.budget)  # the thinking budget beside it
    # At the field's bottom right: below the box, right of the budget.
    send = composer.send_button.geometry()
    assert send.top() >= composer.editor.geometry().bottom()
    assert send.left() > composer.budget.geometry().right()
    assert composer.send_button.toolTip() == "Send (Enter)"
    assert composer.send_button.accessibleName() == "Send"
    qtbot.keyClicks(composer.editor, "by click")
    composer.send_button.click()
    qtbot.keyClick(composer.editor, Qt.Key.Key_Return)
    assert asked == ["by click", "by click"]
    # Busy: Stop and Answer now take its place, in the same field.
    composer.set_busy(True, can_answer_now=True)
    assert not composer.send_button.isVisible()
    assert composer.stop_button.isVisible() and field.isAncestorOf(composer.stop_button)
    assert composer.answer_button.isVisible() and composer.answer_button.text() == "Answer now"
    composer.set_busy(False)
    # Editing a message: the button says Resend, in words.
    composer.start_edit("again")
    assert composer.send_button.text() == "Resend"
    assert composer.send_button.toolButtonStyle() != Qt.ToolButtonStyle.ToolButtonIconOnly
    send_button = composer.send_button
    qtbot.waitUntil(lambda: send_button.width() >= send_button.sizeHint().width())
    assert send_button.width() > send_button.height()  # its word shown whole


def test_the_field_grows_with_its_lines_then_scrolls(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    editor = composer.editor
    one = editor.height()
    qtbot.keyClicks(editor, "first")
    for line in ("second", "third"):
        qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClicks(editor, line)
    three = editor.height()
    assert three > one
    assert editor.verticalScrollBar().maximum() == 0  # all three lines shown
    editor.setPlainText("\n".join(f"line {n}" for n in range(20)))
    qtbot.waitUntil(lambda: editor.height() > three)
    tall = editor.height()
    spacing = editor.fontMetrics().lineSpacing()
    assert tall < one + MAX_LINES * spacing  # stops growing at about eight lines
    assert editor.verticalScrollBar().maximum() > 0  # and scrolls
    composer.sent()
    qtbot.waitUntil(lambda: editor.height() == one)  # empty again: one line


def test_the_field_shows_a_focus_ring_while_the_box_has_focus(qtbot: QtBot) -> None:
    composer = _composer(qtbot)
    composer.activateWindow()
    qtbot.waitActive(composer)
    composer.editor.setFocus()
    qtbot.waitUntil(lambda: composer.field.property("focused") is True)
    composer.budget.tokens.setFocus()
    qtbot.waitUntil(lambda: composer.field.property("focused") is False)


@pytest.mark.usefixtures("hf_online")
def test_the_welcome_button_downloads_the_recommended_file(
    qtbot: QtBot,
    store: ConversationStore,
    hub: FakeHub,  # noqa: F811
    answers: list[str],  # noqa: F811
) -> None:
    window = open_window(qtbot, store, None)
    page = window.first_run
    qtbot.waitUntil(lambda: page.view is not None, timeout=30_000)
    view = page.view
    assert view is not None and view.recommended is not None
    button = page.download_button
    assert button.property("primary") is True and button.isVisible()
    quant = view.recommended.entry.quant
    assert button.text().startswith(f"Download {quant} (") and "GB" in button.text()
    page.select("q4_k_m")  # another file chosen below: the button names it
    assert "Q4_K_M" in button.text()
    page.select(view.recommended.entry.key)
    button.click()
    assert page.runner.key == view.recommended.entry.key  # the one it recommends
    assert page.bar.isVisible() and page.bar.parent() is button.parent()  # in the same card
    qtbot.waitUntil(lambda: not page.runner.active, timeout=60_000)


def test_the_window_reopens_where_it_was_left(
    qtbot: QtBot, store: ConversationStore, app_home: Path
) -> None:
    first = open_window(qtbot, store, None)
    first.resize(760, 560)
    first.splitter.setSizes([300, 460])
    qtbot.waitUntil(lambda: first.splitter.sizes()[0] == 300)
    size, sizes = first.size(), first.splitter.sizes()
    first.close()
    assert WindowState.path(AppPaths.current()).is_file()

    second = open_window(qtbot, store, None)
    assert second.size() == size
    assert second.splitter.sizes() == sizes
    second.close()

    # A damaged record: the defaults, and no error.
    WindowState.path(AppPaths.current()).write_text("{not json", encoding="utf-8")
    third = open_window(qtbot, store, None)
    assert third.size().width() == 1100
    third.close()
    WindowState.path(AppPaths.current()).write_text('{"geometry": "%%%"}', encoding="utf-8")
    fourth = open_window(qtbot, store, None)
    assert fourth.size().width() == 1100
    QApplication.processEvents()


def test_the_row_above_the_chat_is_icons_and_the_title(
    qtbot: QtBot, store: ConversationStore
) -> None:
    c = store.create(title="A long title about the sum of the first ten odd numbers " * 3)
    window = open_window(qtbot, store, None)
    window.open_conversation(c.id)
    tools = window.tools
    buttons = [
        window.system_button,
        tools.models_button,
        tools.remote_button,
        tools.settings_button,
    ]
    for button in buttons:
        assert not button.icon().isNull() and button.toolTip()
        assert button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    assert [b.accessibleName() for b in buttons] == [
        "System prompt",
        "Models",
        "Remote…",
        "Settings",
    ]
    # The title, whole in its tooltip, elided to the room left of the buttons.
    assert tools.title.full_text() == c.title and tools.title.toolTip() == c.title
    shown = tools.title.text()
    assert shown.endswith("…") and len(shown) < len(c.title)
    assert tools.title.fontMetrics().horizontalAdvance(shown) <= tools.title.width()
    window.new_chat()
    assert tools.title.full_text() == "New chat"


def test_the_status_bar_is_calm(qtbot: QtBot, store: ConversationStore) -> None:
    window = open_window(qtbot, store, None)
    meter = window.context_meter
    meter.ready(32768)
    meter.used(1000)
    meter.show()
    qtbot.waitUntil(lambda: meter.isVisible())
    assert meter.text() == "context 1000 / 32768 tokens"
    # Slim: one line of text high, wide enough for its longest text.
    assert meter.height() <= meter.fontMetrics().height() * 2
    widest = meter.fontMetrics().horizontalAdvance("context 32768 / 32768 tokens")
    assert meter.width() > widest
    assert window.notices.model_icon.isVisible()  # the model's chip
    assert window.api.button.icon() is not None and not window.api.button.icon().isNull()


def test_settings_fit_the_screen_and_scroll(qtbot: QtBot, store: ConversationStore) -> None:
    """Taller than a small (or 200 %) screen, the groups scroll; OK and Cancel stay in view."""
    from PySide6.QtWidgets import QDialogButtonBox, QScrollArea

    from app.core.settings import AppSettings
    from app.ui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(AppSettings(), store=store)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    screen = dialog.screen().availableGeometry()
    scroll = dialog.findChild(QScrollArea, "settingsScroll")
    assert scroll is not None
    body = scroll.widget()
    assert body is not None and body.sizeHint().height() > screen.height()  # (the premise)
    assert dialog.height() <= screen.height()
    assert scroll.verticalScrollBar().maximum() > 0
    (buttons,) = dialog.findChildren(QDialogButtonBox)
    assert buttons.isVisible() and dialog.rect().contains(buttons.geometry())
    assert scroll.horizontalScrollBar().maximum() == 0  # never sideways


@pytest.mark.qt_log_ignore(  # (a menu popped up by a click, on the offscreen platform)
    "This plugin does not support grabbing the keyboard",
    "This plugin does not support raise",
)
def test_a_rows_dots_open_its_menu_without_opening_it(
    qtbot: QtBot, store: ConversationStore
) -> None:
    from PySide6.QtWidgets import QMenu

    from app.ui.sidebar import RowDelegate

    store.create(title="First")
    store.create(title="Second")
    part = ConversationList(store, Operations(store), ChangeBridge(store.changes))
    qtbot.addWidget(part)
    part.resize(260, 400)
    part.show()
    qtbot.waitExposed(part)
    view = part.view
    (row,) = [view.item(i) for i in range(view.count()) if view.item(i).text() == "First"]
    dots = RowDelegate.more_rect(view.visualItemRect(row)).center()
    opened: list[object] = []
    part.open_requested.connect(lambda *a: opened.append(a))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=dots)
    qtbot.waitUntil(lambda: bool(part.findChildren(QMenu)))
    (menu,) = part.findChildren(QMenu)
    assert [a.text() for a in menu.actions()] == ["Rename", "Pin", "Delete"]
    assert opened == [] and view.currentItem() is not row  # neither opened nor chosen
    menu.close()
    # The rest of the row still opens it.
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualItemRect(row).center()
    )
    qtbot.waitUntil(lambda: len(opened) == 1)
