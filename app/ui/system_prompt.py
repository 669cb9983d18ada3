"""The "System prompt…" button: the conversation on screen's system prompt, shown and edited.

The button says whether the conversation has a prompt (a tick). On a new chat a prompt
starts the conversation at once, so that the message typed next finds it; on a stored
one it is saved as an operation (a failed save shows the prompt as stored again).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QPushButton, QWidget

from app.store.conversations import ConversationStore
from app.ui.operations import Operations
from app.ui.settings_dialog import SystemPromptDialog


class SystemPromptButton(QPushButton):
    """Opens the system prompt's dialog; its text shows whether there is one."""

    def __init__(
        self,
        store: ConversationStore,
        operations: Operations,
        *,
        shown: Callable[[], int | None],
        create_conversation: Callable[[str], int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(QCoreApplication.translate("SystemPromptButton", "System prompt…"), parent)
        self.setObjectName("systemPrompt")
        self.store = store
        self.operations = operations
        self._shown = shown
        self._create_conversation = create_conversation  # with the prompt as its own
        self.clicked.connect(self.edit)

    def edit(self) -> None:
        conversation_id = self._shown()
        current = self.store.get(conversation_id).system_prompt if conversation_id else ""
        dialog = SystemPromptDialog(current, self.window())
        if dialog.exec() == SystemPromptDialog.DialogCode.Accepted:
            self.set_prompt(dialog.text())

    def set_prompt(self, text: str) -> None:
        cid = self._shown()
        if cid is None:
            # On a new chat the conversation starts here, with the prompt, at once (as
            # a sent message does): the message typed next must find it.
            self._create_conversation(text)
        else:
            self.operations.write(
                self.tr("save the system prompt"),
                lambda s: s.update_settings(cid, system_prompt=text),
            ).failure(self.refresh).run()  # (shows the prompt as stored)
        self._show(bool(text))

    def refresh(self) -> None:
        """Show whether the conversation on screen has a prompt, as stored."""
        cid = self._shown()
        self._show(bool(cid and self.store.get(cid).system_prompt))

    def _show(self, has: bool) -> None:
        self.setText(self.tr("System prompt ✓") if has else self.tr("System prompt…"))
