"""The thinking budget kept per conversation, behind the composer's budget picker.

The picker shows the budget of the conversation on screen (the settings' default where
none was chosen); a choice holds for that conversation from its next message and is
remembered in its stored settings. A choice made on a new chat waits for the
conversation to exist (:meth:`ConversationBudget.conversation_created`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from app.core.settings import AppSettings
from app.core.thinking import ThinkingControl
from app.store.conversations import ConversationStore
from app.ui.operations import Operations
from app.ui.thinking_budget import BudgetPicker


class ConversationBudget(QObject):
    """Shows, remembers and hands out the thinking budget of the conversation on screen."""

    def __init__(
        self,
        picker: BudgetPicker,
        store: ConversationStore,
        operations: Operations,
        *,
        settings: Callable[[], AppSettings],
        shown: Callable[[], int | None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.picker = picker
        self.store = store
        self.operations = operations
        self._settings = settings
        self._shown = shown
        self.picked = False  # chosen on this screen (a new chat keeps it once sent)

    def thinking(self) -> ThinkingControl:
        """This conversation's budget (as the picker shows it) and the loop guard."""
        tokens, seconds = self.picker.value()
        return ThinkingControl(
            budget_tokens=tokens, budget_seconds=seconds, loop_guard=self._settings().loop_guard
        )

    def show(self) -> None:
        """The picker shows the conversation's budget, or the default where it has none."""
        self.picked = False
        settings = self._settings()
        tokens, seconds = settings.thinking_budget_tokens, settings.thinking_budget_seconds
        conversation_id = self._shown()
        if conversation_id is not None:
            chosen = self.store.get(conversation_id).thinking  # {}: the default
            tokens = chosen.get("budget_tokens", tokens)
            seconds = chosen.get("budget_seconds", seconds)
        self.picker.set_value(tokens, seconds)

    def conversation_created(self, conversation_id: int) -> None:
        """A new chat became a stored conversation: a budget chosen before is kept."""
        if self.picked:
            self._save(conversation_id)

    def settings_changed(self) -> None:
        """A new default shows where no choice was made."""
        if not self.picked:
            self.show()

    def on_picked(self) -> None:
        """The user chose a budget (the picker's ``changed``): it holds for this conversation from its next message."""
        self.picked = True
        conversation_id = self._shown()
        if conversation_id is not None:
            self._save(conversation_id)

    def _save(self, conversation_id: int) -> None:
        tokens, seconds = self.picker.value()
        thinking = {"budget_tokens": tokens, "budget_seconds": seconds}
        # A reply uses the budget the picker shows; only remembering it can fail.
        self.operations.write(
            self.tr("save the thinking budget"),
            lambda s: s.update_settings(conversation_id, thinking=thinking),
        ).run()
