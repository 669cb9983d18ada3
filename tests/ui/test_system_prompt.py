"""The system prompt's button on its own, on a real store with real operations."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.store.conversations import ConversationStore
from app.ui.operations import Operations
from app.ui.system_prompt import SystemPromptButton
from app.ui.worker import Job


class Screen:
    """The conversation on screen (None: a new chat), which a prompt may start."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store
        self.shown: int | None = None

    def create(self, system_prompt: str) -> int:
        self.shown = self.store.create(system_prompt=system_prompt).id
        return self.shown


def button_for(qtbot: QtBot, store: ConversationStore, screen: Screen) -> SystemPromptButton:
    button = SystemPromptButton(
        store, Operations(store), shown=lambda: screen.shown, create_conversation=screen.create
    )
    qtbot.addWidget(button)
    return button


def test_a_prompt_on_a_new_chat_starts_the_conversation(
    qtbot: QtBot, store: ConversationStore
) -> None:
    screen = Screen(store)
    button = button_for(qtbot, store, screen)
    assert button.accessibleName() == "System prompt"
    button.set_prompt("Be brief.")
    assert button.accessibleName() == "System prompt (set)"
    assert screen.shown is not None
    assert store.get(screen.shown).system_prompt == "Be brief."


def test_a_stored_conversations_prompt_is_saved_and_shown(
    qtbot: QtBot, store: ConversationStore
) -> None:
    screen = Screen(store)
    c = store.create()
    screen.shown = c.id
    button = button_for(qtbot, store, screen)
    button.refresh()
    assert button.accessibleName() == "System prompt"
    button.set_prompt("Answer in French.")
    assert button.accessibleName() == "System prompt (set)"  # at once, before the write is done
    qtbot.waitUntil(lambda: store.get(c.id).system_prompt == "Answer in French.")
    button.set_prompt("")
    assert button.accessibleName() == "System prompt"
    qtbot.waitUntil(lambda: store.get(c.id).system_prompt == "")
    screen.shown = None
    button.refresh()
    assert button.accessibleName() == "System prompt"
    # Both writes handed over before the test ends: a job left undrained, its parent
    # Operations gone with the button, crashed the next test's model load (SIGBUS).
    qtbot.waitUntil(lambda: not button.operations.findChildren(Job))
