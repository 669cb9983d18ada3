"""The conversation on screen on its own, on a real store: building a long conversation
in steps, the messages' actions as signals, trimming, Continue, copying, and the trace
panel beside it."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.session import continue_modes
from app.store.conversations import ConversationStore
from app.ui.chat_view import AssistantMessage, UserMessage
from app.ui.conversation_page import OPEN_AT_ONCE, ConversationPage, DamagedBanner
from app.ui.trace_beside import TraceBeside


@pytest.fixture
def page(qtbot: QtBot, store: ConversationStore) -> ConversationPage:
    page = ConversationPage(store)
    qtbot.addWidget(page.view)
    page.view.resize(800, 600)
    page.view.show()
    return page


def conversation(store: ConversationStore, turns: int) -> tuple[int, list[int]]:
    """A conversation of ``turns`` questions and answers; its message ids in order."""
    c = store.create(title="Long")
    ids: list[int] = []
    parent = None
    for i in range(turns):
        u = store.add_message(c.id, "user", f"Question {i}", parent_id=parent)
        a = store.add_message(c.id, "assistant", f"Answer {i}", parent_id=u.id, reasoning="Hm.")
        ids += [u.id, a.id]
        parent = a.id
    return c.id, ids


def shown_ids(page: ConversationPage) -> list[int | None]:
    return [getattr(w, "message_id", None) for w in page.view.messages()]


def answer(page: ConversationPage, message_id: int) -> AssistantMessage:
    widget = page.shown_answer(message_id)
    assert widget is not None
    return widget


def test_a_long_conversation_shows_its_newest_at_once_and_the_rest_later(
    qtbot: QtBot, store: ConversationStore, page: ConversationPage
) -> None:
    cid, ids = conversation(store, 20)  # 40 messages
    page.show_conversation(cid)
    assert shown_ids(page) == ids[-OPEN_AT_ONCE:]  # the end of it, at once
    assert page.building
    qtbot.waitUntil(lambda: not page.building)
    assert shown_ids(page) == ids  # the older ones above, in order


def test_a_new_chat_drops_the_older_messages_still_to_build(
    qtbot: QtBot, store: ConversationStore, page: ConversationPage
) -> None:
    cid, _ = conversation(store, 20)
    page.show_conversation(cid)
    page.clear()
    assert not page.building
    qtbot.wait(50)  # a build step already queued finds nothing to do
    assert page.view.messages() == []


def test_a_search_hit_builds_it_all_at_once(
    store: ConversationStore, page: ConversationPage
) -> None:
    cid, ids = conversation(store, 20)
    page.show_conversation(cid, reveal=ids[3])
    assert shown_ids(page) == ids and not page.building


def test_the_messages_actions_say_which_message(
    qtbot: QtBot, store: ConversationStore, page: ConversationPage
) -> None:
    cid, ids = conversation(store, 2)
    page.show_conversation(cid)
    last = answer(page, ids[-1])
    with qtbot.waitSignal(page.regenerate_requested) as regenerate:
        last.regenerate_button.click()
    assert regenerate.args == [ids[-1]]
    with qtbot.waitSignal(page.remedy_requested) as remedy:
        last.remedy_button.click()
    assert remedy.args == [ids[-1]]
    with qtbot.waitSignal(page.beside_requested) as beside:
        last.reasoning.beside_button.click()
    assert beside.args == [last.reasoning]
    (user, *_) = [w for w in page.view.messages() if isinstance(w, UserMessage)]
    with qtbot.waitSignal(page.edit_requested) as edit:
        user.edit_button.click()
    assert edit.args == [ids[0], "Question 0"]


def test_siblings_flip_to_the_other_answer(
    qtbot: QtBot, store: ConversationStore, page: ConversationPage
) -> None:
    c = store.create()
    u = store.add_message(c.id, "user", "Hi", parent_id=None)
    first = store.add_message(c.id, "assistant", "One", parent_id=u.id)
    second = store.add_message(c.id, "assistant", "Two", parent_id=u.id)  # on screen
    page.show_conversation(c.id)
    nav = answer(page, second.id).siblings
    with qtbot.waitSignal(page.flip_requested) as flip:
        nav.previous_button.click()
    assert flip.args == [first.id]


def test_trim_after_drops_the_message_and_what_follows(
    qtbot: QtBot, store: ConversationStore, page: ConversationPage
) -> None:
    cid, ids = conversation(store, 20)
    page.show_conversation(cid)
    page.trim_after(ids[5])  # an old one: the rest is built first
    assert not page.building
    qtbot.waitUntil(lambda: shown_ids(page) == ids[:5])
    page.trim_after(12345)  # not on screen: nothing goes
    assert shown_ids(page) == ids[:5]


def test_the_last_reply_offers_to_go_on_if_it_stopped_early(
    store: ConversationStore, page: ConversationPage
) -> None:
    c = store.create()
    u = store.add_message(c.id, "user", "Think", parent_id=None)
    cut = store.add_message(
        c.id, "assistant", "", parent_id=u.id, reasoning="Let me", status="interrupted"
    )
    assert "thinking" in continue_modes(store.message(cut.id))
    page.show_conversation(c.id)
    widget = answer(page, cut.id)
    page.offer_continue(None)
    assert not widget.continue_thinking_button.isHidden()
    assert widget.continue_thinking_button.isEnabled()
    page.offer_continue("No model is loaded.")  # offered, but says why not
    assert not widget.continue_thinking_button.isEnabled()
    assert widget.continue_thinking_button.toolTip() == "No model is loaded."


def test_copy_last_answer(store: ConversationStore, page: ConversationPage) -> None:
    cid, ids = conversation(store, 3)
    page.show_conversation(cid)
    assert page.last_answer() is page.shown_answer(ids[-1])
    page.copy_last_answer()
    assert QGuiApplication.clipboard().text() == "Answer 2"


def test_the_trace_beside_follows_only_its_own_trace(
    qtbot: QtBot, store: ConversationStore, page: ConversationPage
) -> None:
    cid, ids = conversation(store, 2)
    page.show_conversation(cid)
    dock = TraceBeside()
    qtbot.addWidget(dock)
    shown, other = answer(page, ids[-1]).reasoning, answer(page, ids[1]).reasoning
    assert dock.isHidden()
    dock.read_beside(shown)
    assert dock.isVisible() and dock.view.toPlainText() == "Hm."
    shown.append(" More.", 2, 1.0)  # (as a live reply's batch does)
    other.append(" Not this.", 2, 1.0)
    qtbot.waitUntil(lambda: not dock.view.filling)
    assert dock.view.toPlainText() == "Hm. More."
    dock.read_beside(other)  # the panel now follows the other trace only
    shown.append(" Gone.", 3, 2.0)
    other.append(" Then this.", 3, 2.0)
    qtbot.waitUntil(lambda: not dock.view.filling)
    assert dock.view.toPlainText() == "Hm. Not this. Then this."


def test_the_banner_says_what_is_damaged(qtbot: QtBot) -> None:
    above = QWidget()  # the window's column, where the banner sits
    banner = DamagedBanner(above)
    qtbot.addWidget(above)
    above.show()
    assert not banner.isVisible()  # hidden until a damaged conversation shows
    banner.show_damaged("2 messages")
    assert banner.isVisible() and "unreadable (2 messages)" in banner.text()
    banner.show_damaged("")
    assert not banner.isVisible() and banner.text() == ""
