"""The conversation on screen: its message widgets, built from the store, and their actions.

The page builds what the store holds for one conversation (the newest messages at once,
older ones a few per turn of the event loop, so a long conversation shows without a
pause) and says by signal what the user asked of a message (edit, flip to a sibling,
regenerate, continue, steer, read the trace beside); the window decides whether that can
be done now. Copying is the page's own business. A live reply's widget belongs to its
:class:`~app.ui.reply_controller.ReplyController`: the page shows it and lets it go
(:meth:`ConversationPage.detach`) when its conversation leaves the screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QWidget

from app.core.attachments import Attachment
from app.core.citations import Citation, cited, find_citations
from app.documents.collections import Collections
from app.documents.extract import DocumentError
from app.session import continue_modes, passage_for, sources_of
from app.store.conversations import ConversationStore, StoredMessage
from app.ui.chat_view import AssistantMessage, ChatView, UserMessage
from app.ui.sidebar import damaged_notice

OPEN_AT_ONCE = 12  # messages built at once when a conversation opens
OPEN_PER_FRAME = 3  # older messages built per turn of the event loop after that


class ConversationPage(QObject):
    """One conversation's messages in a :class:`ChatView` (``view``), with their actions."""

    edit_requested = Signal(int, str)  # a user message's id and text, to write again
    flip_requested = Signal(int)  # the sibling message to show instead
    regenerate_requested = Signal(int)  # an answer's id
    remedy_requested = Signal(int)  # an answer that looped: write it again without loops
    continue_requested = Signal(int, str)  # an answer's id and the ContinueMode
    steer_requested = Signal(int)  # an answer whose thinking goes on with a hint
    beside_requested = Signal(object)  # a ReasoningBlock to read in the side panel
    # A citation's passage: where it is from, its text, and its file ("" when none).
    source_requested = Signal(str, str, str)

    def __init__(self, store: ConversationStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.view = ChatView()
        self.conversation_id: int | None = None
        self._older: list[tuple[StoredMessage, list[int]]] = []  # messages still to build
        self._branch: list[StoredMessage] = []  # the branch on screen (citations' sources)
        self.collections: Collections | None = None  # for a cited file's "open the file"
        self._build_token = 0

    # -- building ----------------------------------------------------------------------

    def clear(self) -> None:
        """Nothing on screen (a new chat); older messages still waiting are dropped."""
        self._build_token += 1
        self._older = []
        self.conversation_id = None
        self.view.clear()

    def show_conversation(
        self,
        conversation_id: int,
        *,
        live: AssistantMessage | None = None,
        live_id: int | None = None,
        reveal: int | None = None,
    ) -> None:
        """Build a conversation: the newest messages at once, older ones a few per frame.

        A 200-message conversation took a second to build in one go; the screen only
        needs its end, and the rest arrives without blocking the GUI for long. ``live``
        is the widget of a reply still being written (stored as ``live_id``): it goes
        last, as it is, instead of its stored row.
        """
        self.clear()
        self.conversation_id = conversation_id
        entries = [
            e for e in self.store.branch_with_siblings(conversation_id) if e[0].id != live_id
        ]
        self._branch = [m for m, _ in entries]
        self._older = entries[:-OPEN_AT_ONCE] if reveal is None else []
        for m, siblings in entries[len(self._older) :]:
            self.view.add(self._message_widget(m, siblings))
        if live is not None:
            self.view.add(live)
        if self._older:
            token = self._build_token
            QTimer.singleShot(0, lambda: self._build_older(token))
        if reveal is not None:
            self.view.reveal(reveal)

    @property
    def building(self) -> bool:
        """Older messages are still to be built."""
        return bool(self._older)

    def _build_older(self, token: int) -> None:
        if token != self._build_token:
            return  # another conversation was opened meanwhile
        chunk, self._older = self._older[-OPEN_PER_FRAME:], self._older[:-OPEN_PER_FRAME]
        for m, siblings in reversed(chunk):
            self.view.add_first(self._message_widget(m, siblings))
        if self._older:
            QTimer.singleShot(0, lambda: self._build_older(token))

    def finish_building(self) -> None:
        """Build the older messages still waiting (before editing what is on screen)."""
        while self._older:
            self._build_older(self._build_token)

    def _message_widget(self, m: StoredMessage, siblings: list[int]) -> QWidget:
        if m.role == "user":
            user = UserMessage(m.content, m.attachments)
            user.message_id = m.id
            if m.damaged:
                user.mark_damaged(m.damaged)
            user.edit_button.show()
            user.edit_button.clicked.connect(
                lambda _=False, m=m: self.edit_requested.emit(m.id, m.content)
            )
            self._wire_siblings(user, m.id, siblings)
            return user
        return self._stored_answer(m, siblings)

    def _stored_answer(self, m: StoredMessage, siblings: list[int]) -> AssistantMessage:
        widget = AssistantMessage()
        widget.show_stored(m)
        if find_citations(m.content):  # checked against what QwQ was given up to here
            upto = [b for b in self._branch if b.id <= m.id] or [m]
            widget.show_citations(cited(m.content, sources_of(upto)))
            widget.citation_clicked.connect(self._citation)
        self._wire_siblings(widget, m.id, siblings)
        widget.regenerate_button.clicked.connect(lambda: self.regenerate_requested.emit(m.id))
        widget.remedy_button.clicked.connect(lambda: self.remedy_requested.emit(m.id))
        widget.continue_thinking_button.clicked.connect(
            lambda: self.continue_requested.emit(m.id, "thinking")
        )
        widget.continue_answer_button.clicked.connect(
            lambda: self.continue_requested.emit(m.id, "answer")
        )
        widget.steer_button.clicked.connect(lambda: self.steer_requested.emit(m.id))
        self._wire_beside(widget)
        widget.copy_button.clicked.connect(lambda: self.copy(widget, with_reasoning=False))
        widget.copy_all_button.clicked.connect(lambda: self.copy(widget, with_reasoning=True))
        return widget

    def _citation(self, c: Citation) -> None:
        """A citation was clicked: its passage, or why there is none, beside the answer."""
        text = passage_for(self._branch, c)
        if text is None:
            where = self.tr("{source}: not among the sources QwQ was given").format(source=c.label)
            text = self.tr(
                "QwQ cites {source}, but no file or passage of that name and place was given "
                "to it in this conversation. Check the answer against your documents."
            ).format(source=c.label)
        else:
            where = self.tr("{source} · from this conversation").format(source=c.label)
        self.source_requested.emit(where, text, str(self._file_of(c) or ""))

    def _file_of(self, c: Citation) -> Path | None:
        """The file a citation names in one of the conversation's collections, if any."""
        if self.collections is None or self.conversation_id is None:
            return None
        for name in self.store.get(self.conversation_id).collections:
            try:
                return self.collections.file_path(name, c.name)
            except DocumentError:
                continue
        return None

    def _wire_siblings(
        self, widget: UserMessage | AssistantMessage, message_id: int, siblings: list[int]
    ) -> None:
        index = siblings.index(message_id)
        nav = widget.siblings
        nav.set_siblings(index + 1, len(siblings))
        if index > 0:
            nav.previous_button.clicked.connect(
                lambda: self.flip_requested.emit(siblings[index - 1])
            )
        if index + 1 < len(siblings):
            nav.next_button.clicked.connect(lambda: self.flip_requested.emit(siblings[index + 1]))

    def _wire_beside(self, widget: AssistantMessage) -> None:
        widget.beside_requested.connect(self.beside_requested)

    # -- what is on screen -------------------------------------------------------------

    def add_user(self, text: str, files: Sequence[Attachment] = ()) -> None:
        """A message just sent (stored by the reply it starts), with its files."""
        self.view.add(UserMessage(text, files))

    def add_reply(self, widget: AssistantMessage) -> None:
        """A new reply's bubble, written live by its controller."""
        self._wire_beside(widget)
        self.view.add(widget)

    def detach(self, widgets: Iterable[QWidget]) -> None:
        """Keep live replies' widgets alive when their conversation leaves the screen."""
        for widget in widgets:
            if widget.parent() is not None:
                self.view.detach(widget)

    def trim_after(self, message_id: int) -> None:
        """Drop from the screen the message being replaced and what follows it."""
        self.finish_building()
        widgets = self.view.messages()
        ids = [getattr(w, "message_id", None) for w in widgets]
        if message_id not in ids:
            return
        for widget in widgets[ids.index(message_id) :]:
            self.view.detach(widget)
            widget.deleteLater()

    def shown_answer(self, message_id: int) -> AssistantMessage | None:
        for widget in self.view.messages():
            if isinstance(widget, AssistantMessage) and widget.message_id == message_id:
                return widget
        return None

    def last_answer(self) -> AssistantMessage | None:
        answers = [w for w in self.view.messages() if isinstance(w, AssistantMessage)]
        return answers[-1] if answers else None

    def offer_continue(self, why_not: str | None) -> None:
        """The last reply on screen offers to go on if it stopped early (only the last:
        the turns after a reply were written from it as it is). ``why_not``: why the
        engine cannot (the buttons say so), or None."""
        messages = self.view.messages()
        last = messages[-1] if messages else None
        if not isinstance(last, AssistantMessage) or last.message_id is None:
            return
        last.show_continue(continue_modes(self.store.message(last.message_id)), why_not)

    def copy(self, widget: AssistantMessage, *, with_reasoning: bool) -> None:
        QGuiApplication.clipboard().setText(widget.copy_text(with_reasoning=with_reasoning))

    def copy_last_answer(self) -> None:
        last = self.last_answer()
        if last is not None:
            self.copy(last, with_reasoning=False)


class DamagedBanner(QLabel):
    """Above the page: says the conversation on screen could not all be read."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("damagedBanner")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.hide()

    def show_damaged(self, damaged: str) -> None:
        """What is unreadable ("": all of it reads, and the banner goes)."""
        self.setText(damaged_notice(damaged) if damaged else "")
        self.setVisible(bool(damaged))
