"""The "System prompt" button: the conversation on screen's system prompt, shown and edited.

An icon in the row above the chat. It says whether the conversation has a prompt: it is
highlighted (the ``active`` property), its tooltip quotes the prompt, and its accessible
name says "System prompt (set)". On a new chat a prompt
starts the conversation at once, so that the message typed next finds it; on a stored
one it is saved as an operation (a failed save shows the prompt as stored again).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QToolButton, QWidget

from app.store.conversations import ConversationStore
from app.ui.icons import Icon, icon
from app.ui.operations import Operations
from app.ui.settings_dialog import SystemPromptDialog
from app.ui.tool_row import ICON_SIZE

TIP_LENGTH = 120  # characters of the prompt its tooltip quotes


class SystemPromptButton(QToolButton):
    """Opens the system prompt's dialog; its look, tooltip and name show whether there is one."""

    def __init__(
        self,
        store: ConversationStore,
        operations: Operations,
        *,
        shown: Callable[[], int | None],
        create_conversation: Callable[[str], int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("systemPrompt")
        self.setIcon(icon(Icon.SYSTEM_PROMPT))
        self.setIconSize(ICON_SIZE)
        self.setAutoRaise(True)
        self.has_prompt = False
        self.store = store
        self.operations = operations
        self._shown = shown
        self._create_conversation = create_conversation  # with the prompt as its own
        self.clicked.connect(self.edit)
        self._show(False)

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

        self._show(bool(text), text)

    def refresh(self) -> None:
        """Show whether the conversation on screen has a prompt, as stored."""
        cid = self._shown()
        prompt = self.store.get(cid).system_prompt if cid else ""
        self._show(bool(prompt), prompt)

    def _show(self, has: bool, prompt: str = "") -> None:
        self.has_prompt = has
        if has:
            quoted = prompt if len(prompt) <= TIP_LENGTH else prompt[:TIP_LENGTH] + "…"
            self.setAccessibleName(self.tr("System prompt (set)"))
            self.setToolTip(self.tr("System prompt: {prompt}").format(prompt=quoted))
        else:
            self.setAccessibleName(self.tr("System prompt"))
            self.setToolTip(self.tr("System prompt: none. Click to give this conversation one."))
        if self.property("active") != has:
            self.setProperty("active", has)
            self.style().unpolish(self)
            self.style().polish(self)
