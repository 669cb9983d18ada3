"""The conversation list on its own, on a real store: grouping, rename, pin, delete with
undo, search, and refreshing itself from the store's changes."""

from __future__ import annotations

import time

import pytest
from PySide6.QtWidgets import QListWidgetItem, QMenu
from pytestqt.qtbot import QtBot

from app.store.conversations import ConversationStore
from app.ui.conversation_list import ROLE_ID, UNDO_MS, ConversationList
from app.ui.operations import ChangeBridge, Operations

DAY = 86_400


@pytest.fixture
def part(qtbot: QtBot, store: ConversationStore) -> ConversationList:
    operations = Operations(store)
    changes = ChangeBridge(store.changes)
    part = ConversationList(store, operations, changes)
    qtbot.addWidget(part)
    return part


def item_of(part: ConversationList, title: str) -> QListWidgetItem:
    (item,) = [part.view.item(i) for i in range(part.view.count()) if part.titles()[i] == title]
    return item


def test_grouped_by_date_pinned_first(qtbot: QtBot, store: ConversationStore) -> None:
    store.create(title="Old", created_at=time.time() - 30 * DAY)
    store.create(title="Last week", created_at=time.time() - 3 * DAY)
    store.create()  # no title yet
    pinned = store.create(title="Pinned one", created_at=time.time() - 30 * DAY)
    store.set_pinned(pinned.id, True)
    part = ConversationList(store, Operations(store), ChangeBridge(store.changes))
    qtbot.addWidget(part)
    assert part.titles() == [
        "Pinned",
        "Pinned one",
        "Today",
        "New chat",
        "Previous 7 days",
        "Last week",
        "Previous 30 days",
        "Old",
    ]


def test_it_follows_the_store_whoever_writes(
    qtbot: QtBot, store: ConversationStore, part: ConversationList
) -> None:
    assert part.titles() == []
    a = store.create(title="Alpha")  # written elsewhere (a reply, the window's send)
    qtbot.waitUntil(lambda: part.titles() == ["Today", "Alpha"], timeout=10_000)
    b = store.create(title="Beta")
    store.add_message(a.id, "user", "a newer message", parent_id=None)
    qtbot.waitUntil(lambda: part.titles() == ["Today", "Alpha", "Beta"], timeout=10_000)
    store.rename(b.id, "Beta, renamed")
    qtbot.waitUntil(lambda: "Beta, renamed" in part.titles(), timeout=10_000)


def test_rename_inline_pin_delete_and_undo(
    qtbot: QtBot, store: ConversationStore, part: ConversationList
) -> None:
    a = store.create(title="Alpha")
    b = store.create(title="Beta")
    qtbot.waitUntil(lambda: part.titles() == ["Today", "Beta", "Alpha"], timeout=10_000)
    item_of(part, "Alpha").setText("Alpha, renamed")  # what inline editing does
    qtbot.waitUntil(lambda: store.get(a.id).title == "Alpha, renamed", timeout=10_000)
    assert store.get(a.id).title_is_custom

    part.set_pinned(a.id, True)
    qtbot.waitUntil(
        lambda: part.titles() == ["Pinned", "Alpha, renamed", "Today", "Beta"], timeout=10_000
    )

    with qtbot.waitSignal(part.deleted, timeout=10_000) as deleted:
        part.delete(b.id)
    assert deleted.args == [b.id]
    qtbot.waitUntil(lambda: part.titles() == ["Pinned", "Alpha, renamed"], timeout=10_000)
    assert not part.undo_button.isHidden()
    assert part.undo_button.text() == "Undo delete of “Beta”"
    with qtbot.waitSignal(part.open_requested, timeout=10_000) as opened:
        part.undo_button.click()
    assert part.undo_button.isHidden()
    (back,) = [c for c in store.conversations() if c.title == "Beta"]
    assert opened.args == [back.id, None]
    qtbot.waitUntil(lambda: "Beta" in part.titles(), timeout=10_000)
    part.undo_delete()  # nothing left to undo: nothing happens


def test_undo_is_offered_for_ten_seconds(
    qtbot: QtBot, store: ConversationStore, part: ConversationList
) -> None:
    c = store.create(title="Gone soon")
    with qtbot.waitSignal(part.deleted, timeout=10_000):
        part.delete(c.id)
    assert part._undo_timer.interval() == UNDO_MS and part._undo_timer.isActive()
    part._undo_timer.timeout.emit()  # (the ten seconds are up)
    assert part.undo_button.isHidden()


def test_an_empty_or_unchanged_title_is_not_saved(
    qtbot: QtBot, store: ConversationStore, part: ConversationList
) -> None:
    c = store.create(title="Kept")
    qtbot.waitUntil(lambda: part.titles() == ["Today", "Kept"], timeout=10_000)
    changes: list[object] = []
    store.changes.subscribe(changes.append)
    item_of(part, "Kept").setText("   ")
    assert part.titles() == ["Today", "Kept"]  # shown as it was at once
    item_of(part, "Kept").setText("Kept")
    qtbot.wait(50)
    assert changes == [] and store.get(c.id).title == "Kept"  # nothing was written


def test_a_failed_write_is_said_once_and_offers_no_undo(
    qtbot: QtBot, store: ConversationStore, part: ConversationList
) -> None:
    with (
        qtbot.assertNotEmitted(part.deleted),
        qtbot.waitSignal(part.operations.failed, timeout=10_000) as said,
    ):
        part.delete(999)
    assert said.args == ["Could not delete the conversation: There is no conversation 999."]
    assert part.undo_button.isHidden()


# A popup menu on the offscreen platform: it cannot raise the menu or grab the keyboard.
@pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing the keyboard)")
def test_the_menu_renames_pins_and_asks_to_delete(
    qtbot: QtBot, store: ConversationStore, part: ConversationList
) -> None:
    c = store.create(title="Menu")
    qtbot.waitUntil(lambda: part.titles() == ["Today", "Menu"], timeout=10_000)
    part.show()
    qtbot.waitExposed(part)
    item = item_of(part, "Menu")
    part.view.customContextMenuRequested.emit(part.view.visualItemRect(item).center())
    (menu,) = part.findChildren(QMenu)
    actions = {a.text(): a for a in menu.actions()}
    assert list(actions) == ["Rename", "Pin", "Delete"]
    with qtbot.waitSignal(part.delete_requested) as asked:  # the window decides (a reply?)
        actions["Delete"].trigger()
    assert asked.args == [c.id]
    actions["Pin"].trigger()
    qtbot.waitUntil(lambda: store.get(c.id).pinned, timeout=10_000)
    menu.close()


def test_new_chat_and_open(qtbot: QtBot, store: ConversationStore, part: ConversationList) -> None:
    c = store.create(title="Open me")
    qtbot.waitUntil(lambda: part.titles() == ["Today", "Open me"], timeout=10_000)
    with qtbot.waitSignal(part.new_chat_requested):
        part.new_button.click()
    with qtbot.waitSignal(part.open_requested) as opened:
        part.view.itemClicked.emit(item_of(part, "Open me"))
    assert opened.args == [c.id, None]
    with qtbot.assertNotEmitted(part.open_requested):
        part.view.itemClicked.emit(item_of(part, "Today"))  # a header opens nothing


def test_the_current_conversation_is_selected(
    qtbot: QtBot, store: ConversationStore, part: ConversationList
) -> None:
    a = store.create(title="Alpha")
    store.create(title="Beta")
    qtbot.waitUntil(lambda: part.titles() == ["Today", "Beta", "Alpha"], timeout=10_000)
    part.set_current(a.id)
    assert [i.text() for i in part.view.selectedItems()] == ["Alpha"]
    store.rename(a.id, "Alpha, renamed")  # still selected after the list refills
    qtbot.waitUntil(lambda: "Alpha, renamed" in part.titles(), timeout=10_000)
    assert [i.text() for i in part.view.selectedItems()] == ["Alpha, renamed"]
    part.set_current(None)
    assert part.view.selectedItems() == []


def test_search_finds_a_message_and_a_click_shows_its_branch(
    qtbot: QtBot, store: ConversationStore, part: ConversationList
) -> None:
    c = store.create(title="Lighthouses")
    user = store.add_message(c.id, "user", "How far does it shine?", parent_id=None)
    first = store.add_message(c.id, "assistant", "About twenty nautical miles.", parent_id=user.id)
    store.add_message(c.id, "assistant", "Far.", parent_id=user.id)  # the branch on screen
    other = store.create(title="Cooking")
    store.add_message(other.id, "user", "How long to boil pasta?", parent_id=None)
    qtbot.waitUntil(lambda: "Cooking" in part.titles(), timeout=10_000)

    part.focus_search()
    qtbot.keyClicks(part.search_box, "nautic")  # a prefix of a word of the first answer
    qtbot.waitUntil(lambda: any("answer:" in t for t in part.titles()), timeout=10_000)
    (hit,) = part.titles()
    assert hit.startswith("Lighthouses") and "«nautical»" in hit
    with qtbot.waitSignal(part.open_requested, timeout=10_000) as opened:
        part.view.itemClicked.emit(part.view.item(0))
    assert opened.args == [c.id, first.id]  # open it, and reveal the message found
    assert store.get(c.id).current_leaf == first.id  # its branch is the one on screen

    store.rename(other.id, "Cooking pasta")  # a change while searching searches again
    part.search_box.setText("zebra")
    qtbot.waitUntil(lambda: part.titles() == ["No matches"], timeout=10_000)
    assert part.view.item(0).data(ROLE_ID) is None
    part.search_box.clear()
    qtbot.waitUntil(lambda: "Cooking pasta" in part.titles(), timeout=10_000)
