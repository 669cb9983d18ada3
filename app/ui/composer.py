"""Where the user writes: the message box, Send (or Stop and Answer now while a reply is
written), and the thinking budget for the next message.

The part says what the user asked for (``send_requested`` with the text,
``stop_requested``, ``answer_now_requested``); the window decides whether it can be done
and tells the part what to show (:meth:`Composer.set_busy`, :meth:`Composer.sent`).
The text is cleared only once a message was accepted: nothing typed is lost when there
is no model yet.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app.core.i18n import QT_TRANSLATE_NOOP
from app.ui.thinking_budget import BudgetPicker

ANSWER_NOW_KEYS = "Ctrl+Shift+A"  # "Answer now" (Esc stays Stop)
ANSWER_NOW_TIP = QT_TRANSLATE_NOOP(
    "Composer", "Stop thinking and answer from the thinking so far (Ctrl+Shift+A)"
)


class MessageEdit(QPlainTextEdit):
    """Enter sends, Shift+Enter makes a new line."""

    send = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setPlaceholderText(self.tr("Ask QwQ…  (Enter to send, Shift+Enter for a new line)"))
        self.setAccessibleName(self.tr("Message to QwQ"))
        self.setAccessibleDescription(
            self.tr("Enter sends, Shift+Enter starts a new line, Tab leaves the box")
        )
        self.setTabChangesFocus(True)  # Tab moves on (a message needs no tab characters)
        self.setFixedHeight(84)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.send.emit()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    """The message box with its buttons and, above it, the thinking budget."""

    send_requested = Signal(str)  # the text in the box (never blank)
    stop_requested = Signal()
    answer_now_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = MessageEdit(self)
        self.editor.send.connect(self.submit)
        self.setFocusProxy(self.editor)  # focusing the part puts the cursor in the box
        self.send_button = QPushButton(self.tr("Send"), self)
        self.send_button.setAccessibleDescription(self.tr("Send the message (Enter)"))
        self.send_button.clicked.connect(self.submit)
        self.stop_button = QPushButton(self.tr("Stop"), self)
        self.stop_button.setObjectName("stop")
        self.stop_button.setAccessibleName(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop the reply (Esc)"))
        self.stop_button.clicked.connect(self.stop_requested)
        self.stop_button.hide()
        self.answer_button = QPushButton(self.tr("Answer now"), self)
        self.answer_button.setObjectName("answerNow")
        self.answer_button.setAccessibleName(self.tr("Answer now"))
        self.answer_button.setToolTip(self.tr(ANSWER_NOW_TIP))
        self.answer_button.clicked.connect(self.answer_now_requested)
        self.answer_button.hide()
        # How long QwQ may think: the conversation's choice, for its next messages.
        self.budget = BudgetPicker(self)

        budget_row = QHBoxLayout()
        budget_row.addWidget(self.budget)
        budget_row.addStretch(1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.answer_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.editor, 1)
        row.addLayout(buttons)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(budget_row)
        column.addLayout(row)

    def text(self) -> str:
        return self.editor.toPlainText()

    def submit(self) -> None:
        """Ask to send what is in the box (Enter, Send); blank text asks nothing."""
        text = self.text()
        if text.strip():
            self.send_requested.emit(text)

    def sent(self) -> None:
        """The message was accepted: the box empties, and an edit is over."""
        self.send_button.setText(self.tr("Send"))
        self.editor.clear()

    def start_edit(self, text: str) -> None:
        """A sent message comes back into the box; sending it resends it (a new branch)."""
        self.editor.setPlainText(text)
        self.editor.setFocus()
        self.send_button.setText(self.tr("Resend"))

    def set_busy(
        self, busy: bool, *, can_answer_now: bool = False, why_not: str | None = None
    ) -> None:
        """A reply is being written for the conversation on screen (Stop and Answer now
        instead of Send). Answer now is enabled while it thinks, unless the engine cannot
        close a trace (``why_not`` says why, as its tooltip)."""
        self.stop_button.setVisible(busy)
        self.answer_button.setVisible(busy)
        self.send_button.setVisible(not busy)
        self.answer_button.setEnabled(busy and can_answer_now and why_not is None)
        self.answer_button.setToolTip(why_not or self.tr(ANSWER_NOW_TIP))
