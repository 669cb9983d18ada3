"""The thinking budget kept per conversation on its own: a real picker, a real store,
store writes as real operations."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from app.core.settings import AppSettings
from app.store.conversations import ConversationStore
from app.ui.conversation_budget import ConversationBudget
from app.ui.operations import Operations
from app.ui.thinking_budget import BudgetPicker
from app.ui.worker import Job


class Screen:
    """The conversation on screen (None: a new chat) and the settings in use."""

    def __init__(self) -> None:
        self.shown: int | None = None
        self.settings = AppSettings(thinking_budget_tokens=2048, loop_guard="off")


def budget_for(qtbot: QtBot, store: ConversationStore, screen: Screen) -> ConversationBudget:
    picker = BudgetPicker()
    qtbot.addWidget(picker)
    budget = ConversationBudget(
        picker,
        store,
        Operations(store),
        settings=lambda: screen.settings,
        shown=lambda: screen.shown,
    )
    picker.changed.connect(budget.on_picked)
    return budget


def pick(combo: QComboBox, data: object) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)  # what a click on the entry does


def test_a_conversation_shows_its_own_budget_or_the_default(
    qtbot: QtBot, store: ConversationStore
) -> None:
    screen = Screen()
    chosen = store.create()
    store.update_settings(chosen.id, thinking={"budget_tokens": 512, "budget_seconds": 30.0})
    plain = store.create()
    budget = budget_for(qtbot, store, screen)
    budget.show()
    assert budget.picker.value() == (2048, None)  # a new chat: the settings' default
    screen.shown = chosen.id
    budget.show()
    assert budget.picker.value() == (512, 30.0)
    thinking = budget.thinking()
    assert (thinking.budget_tokens, thinking.budget_seconds) == (512, 30.0)
    assert thinking.loop_guard == "off"
    screen.shown = plain.id
    budget.show()
    assert budget.picker.value() == (2048, None)


def test_a_choice_is_remembered_for_its_conversation(
    qtbot: QtBot, store: ConversationStore
) -> None:
    screen = Screen()
    c = store.create()
    screen.shown = c.id
    budget = budget_for(qtbot, store, screen)
    budget.show()
    pick(budget.picker.tokens, 4096)
    qtbot.waitUntil(lambda: store.get(c.id).thinking.get("budget_tokens") == 4096)
    screen.settings = AppSettings(thinking_budget_tokens=8192)
    budget.settings_changed()  # a choice was made here: the new default does not show
    assert budget.picker.value() == (4096, None)
    qtbot.waitUntil(
        lambda: not budget.operations.findChildren(Job)
    )  # the write handed over (see test_system_prompt)


def test_a_choice_on_a_new_chat_waits_for_the_conversation(
    qtbot: QtBot, store: ConversationStore
) -> None:
    screen = Screen()
    budget = budget_for(qtbot, store, screen)
    budget.show()
    pick(budget.picker.seconds, 120.0)  # nothing stored yet: no conversation
    c = store.create()
    screen.shown = c.id
    budget.conversation_created(c.id)
    qtbot.waitUntil(lambda: store.get(c.id).thinking.get("budget_seconds") == 120.0)
    assert store.get(c.id).thinking["budget_tokens"] == 2048
    qtbot.waitUntil(
        lambda: not budget.operations.findChildren(Job)
    )  # the write handed over (see test_system_prompt)


def test_a_new_default_shows_where_nothing_was_chosen(
    qtbot: QtBot, store: ConversationStore
) -> None:
    screen = Screen()
    budget = budget_for(qtbot, store, screen)
    budget.show()
    screen.settings = AppSettings(thinking_budget_tokens=8192)
    budget.settings_changed()
    assert budget.picker.value() == (8192, None)
