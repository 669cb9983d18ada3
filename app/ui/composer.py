"""Where the user writes: one rounded field holding the message box, the thinking budget
(bottom left) and Send (bottom right: Stop and Answer now while a reply is written).

The part says what the user asked for (``send_requested`` with the text,
``stop_requested``, ``answer_now_requested``); the window decides whether it can be done
and tells the part what to show (:meth:`Composer.set_busy`, :meth:`Composer.sent`).
The text is cleared only once a message was accepted: nothing typed is lost when there
is no model yet.

The box grows with its text from one line to :data:`MAX_LINES`, then scrolls; the field
lines up with the conversation's reading column (at most :data:`FIELD_WIDTH` wide,
centred) and shows the accent focus ring while the box has the keyboard.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFocusEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.attachments import Attachment
from app.core.i18n import QT_TRANSLATE_NOOP
from app.ui.attachments_bar import AttachmentsBar
from app.ui.icons import Icon, icon
from app.ui.theme import READING_WIDTH, Space, colors
from app.ui.thinking_budget import BudgetPicker

ANSWER_NOW_KEYS = "Ctrl+Shift+A"  # "Answer now" (Esc stays Stop)
ANSWER_NOW_TIP = QT_TRANSLATE_NOOP(
    "Composer", "Stop thinking and answer from the thinking so far (Ctrl+Shift+A)"
)
MAX_LINES = 8  # the box grows to this many lines, then scrolls
FIELD_WIDTH = READING_WIDTH  # the messages' column: the field's edges line up with it
ROUND = 32  # the Send and Stop buttons' diameter


class MessageEdit(QPlainTextEdit):
    """Enter sends, Shift+Enter makes a new line; as tall as its text (up to MAX_LINES)."""

    send = Signal()
    focus_changed = Signal(bool)
    files_given = Signal(list)  # local files pasted or dropped into the box (Paths)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setPlaceholderText(self.tr("Ask QwQ…  (Enter to send, Shift+Enter for a new line)"))
        self.setAccessibleName(self.tr("Message to QwQ"))
        self.setAccessibleDescription(
            self.tr("Enter sends, Shift+Enter starts a new line, Tab leaves the box")
        )
        self.setTabChangesFocus(True)  # Tab moves on (a message needs no tab characters)
        self.setFrameShape(QFrame.Shape.NoFrame)  # the field around it is the frame
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(lambda _: self.fit())
        self.fit()

    def lines(self) -> int:
        """The lines the text takes at the box's width (wrapped lines count)."""
        return max(1, round(self.document().size().height()))

    def fit(self) -> None:
        """Grow or shrink to the text's lines, between one and MAX_LINES (typing only:
        nothing here runs while a reply streams)."""
        shown = min(self.lines(), MAX_LINES)
        margins = self.contentsMargins()
        height = (
            shown * self.fontMetrics().lineSpacing()
            + round(2 * self.document().documentMargin())
            + margins.top()
            + margins.bottom()
            + 2
        )
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit()  # a narrower box wraps into more lines

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return bool(_local_files(source)) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        """Files pasted or dropped into the box are attached, not pasted as their paths."""
        files = _local_files(source)
        if files:
            self.files_given.emit(files)
        else:
            super().insertFromMimeData(source)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.send.emit()
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.focus_changed.emit(True)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.focus_changed.emit(False)


def _local_files(source: QMimeData) -> list[Path]:
    if not source.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in source.urls() if url.isLocalFile()]


def round_button(which: Icon, name: str, tip: str, parent: QWidget) -> QToolButton:
    """A round icon button on the accent (Send, Stop): the icon in the accent's text color."""
    button = QToolButton(parent)
    button.setIcon(icon(which, colors().on_accent))
    button.setIconSize(QSize(18, 18))
    button.setFixedSize(ROUND, ROUND)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    return button


class Composer(QWidget):
    """The field: the message box, then a row with the thinking budget and the buttons."""

    send_requested = Signal(str)  # the text in the box (never blank)
    stop_requested = Signal()
    answer_now_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # As tall as its text needs (the box grows; the field never stretches empty).
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.field = QFrame(self)
        self.field.setObjectName("composerField")
        self.field.setMaximumWidth(FIELD_WIDTH)
        # Files for the next message: dropped, pasted, or picked with the paperclip.
        self.attachments_bar = AttachmentsBar(self.field)
        self.attach_button = QToolButton(self.field)
        self.attach_button.setObjectName("attach")
        self.attach_button.setIcon(icon(Icon.ATTACH))
        self.attach_button.setAccessibleName(self.tr("Attach files"))
        self.attach_button.setToolTip(
            self.tr(
                "Attach files for QwQ to read: text, Markdown, code, CSV, JSON, PDF, DOCX, HTML"
            )
        )
        self.attach_button.clicked.connect(self.pick_files)
        self.setAcceptDrops(True)
        self.editor = MessageEdit(self.field)
        self.editor.send.connect(self.submit)
        self.editor.files_given.connect(self.attach_files)
        self.editor.focus_changed.connect(self._show_focus)
        self.setFocusProxy(self.editor)  # focusing the part puts the cursor in the box
        self.send_button = round_button(Icon.SEND, "", "", self.field)
        self.send_button.setObjectName("send")
        self.send_button.setAccessibleDescription(self.tr("Send the message (Enter)"))
        self.send_button.clicked.connect(self.submit)
        self._show_send(resend=False)
        self.stop_button = round_button(
            Icon.STOP, self.tr("Stop"), self.tr("Stop the reply (Esc)"), self.field
        )
        self.stop_button.setObjectName("stop")
        self.stop_button.clicked.connect(self.stop_requested)
        self.stop_button.hide()
        self.answer_button = QToolButton(self.field)
        self.answer_button.setObjectName("answerNow")
        self.answer_button.setIcon(icon(Icon.ANSWER_NOW))
        self.answer_button.setText(self.tr("Answer now"))
        self.answer_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.answer_button.setAccessibleName(self.tr("Answer now"))
        self.answer_button.setToolTip(self.tr(ANSWER_NOW_TIP))
        self.answer_button.clicked.connect(self.answer_now_requested)
        self.answer_button.hide()
        # How long QwQ may think: the conversation's choice, for its next messages.
        self.budget = BudgetPicker(self.field)

        bottom = QHBoxLayout()
        bottom.setSpacing(Space.S)
        bottom.addWidget(self.budget)
        bottom.addStretch(1)
        for button in (self.answer_button, self.stop_button, self.send_button):
            bottom.addWidget(button)
        inside = QVBoxLayout(self.field)
        inside.setContentsMargins(Space.M, Space.S, Space.S, Space.S)
        inside.setSpacing(Space.XS)
        inside.addWidget(self.attachments_bar)
        typing = QHBoxLayout()  # the paperclip at the box's start (the bottom row is full)
        typing.setSpacing(Space.XS)
        typing.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignTop)
        typing.addWidget(self.editor, 1)
        inside.addLayout(typing)
        inside.addLayout(bottom)
        centred = QHBoxLayout(self)
        centred.setContentsMargins(Space.L, 0, Space.L, Space.M)
        centred.addStretch(1)
        centred.addWidget(self.field, 100)
        centred.addStretch(1)

    def _show_focus(self, on: bool) -> None:
        """The field's focus ring follows the box's focus (a property the sheet draws)."""
        self.field.setProperty("focused", on)
        self.field.style().unpolish(self.field)
        self.field.style().polish(self.field)

    def _show_send(self, *, resend: bool) -> None:
        """Send is a round arrow; Resend (a message being edited) says so in words."""
        button = self.send_button
        if resend:
            button.setText(self.tr("Resend"))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setMinimumWidth(0)
            button.setMaximumWidth(16_777_215)
            button.setToolTip(self.tr("Resend the edited message (Enter): a new branch"))
        else:
            button.setText(self.tr("Send"))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            button.setFixedWidth(ROUND)
            button.setToolTip(self.tr("Send (Enter)"))
        button.setAccessibleName(button.text())
        button.setProperty("resend", resend)
        button.style().unpolish(button)
        button.style().polish(button)

    def text(self) -> str:
        return self.editor.toPlainText()

    def submit(self) -> None:
        """Ask to send what is in the box (Enter, Send); blank text asks nothing, and
        files still being read, unreadable or too big hold it back (the bar says why)."""
        text = self.text()
        if not text.strip():
            return
        why_not = self.attachments_bar.blocking
        if why_not is not None:
            self.attachments_bar.say(why_not)
            return
        self.send_requested.emit(text)

    def attachments(self) -> list[Attachment]:
        """The files read for the next message."""
        return self.attachments_bar.attachments()

    def attach_files(self, paths: list[Path]) -> None:
        for path in paths:
            if path.is_file():
                self.attachments_bar.add(path)

    def pick_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Attach files"))
        self.attach_files([Path(f) for f in files])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _local_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        files = _local_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.attach_files(files)

    def sent(self) -> None:
        """The message was accepted: the box and its files empty, and an edit is over."""
        self._show_send(resend=False)
        self.editor.clear()
        self.attachments_bar.clear()

    def start_edit(self, text: str) -> None:
        """A sent message comes back into the box; sending it resends it (a new branch)."""
        self.editor.setPlainText(text)
        self.editor.setFocus()
        self._show_send(resend=True)

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
