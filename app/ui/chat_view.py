"""The conversation on screen: user messages, and answers with their reasoning blocks."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QEnterEvent, QFont, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.attachments import Attachment
from app.core.citations import Citation
from app.core.events import (
    ChatEvent,
    GenerationDone,
    ToolApprovalNeeded,
    ToolCallRequested,
    ToolCallResult,
)
from app.core.format import finish_words
from app.core.i18n import translate
from app.core.thinking import ContinueMode
from app.store.conversations import StoredMessage
from app.ui.announcer import announcer, spoken
from app.ui.answer_view import AnswerView
from app.ui.icons import Icon, icon, paint_mark
from app.ui.long_text import LongPlainText
from app.ui.reasoning_block import ReasoningBlock
from app.ui.reply_stream import ReplyStream, Taken, read_batch
from app.ui.theme import READING_WIDTH, Space, Type, font
from app.ui.tool_card import ToolCallCard, ToolRoundView

ToolEvent = ToolCallRequested | ToolApprovalNeeded | ToolCallResult
TOOL_EVENTS = frozenset({ToolCallRequested, ToolApprovalNeeded, ToolCallResult})

LOOP_REMEDY_PRESENCE_PENALTY = 1.5  # the model card: between 0 and 2; Qwen3's suggests 1.5

LONG_USER_MESSAGE = 10_000  # characters; longer messages go into a scrolling view
LONG_USER_MESSAGE_HEIGHT = 240  # pixels


class ActionReveal:
    """When a message's actions show: on hover, while the keyboard focus is inside the
    message, and always on the conversation's last answer (``pinned``: the keyboard and
    a screen reader always reach them there). Hidden, the row keeps its space, so
    nothing moves when it appears. ``ready``: the message has actions now (a reply
    being written has none until it is stored)."""

    def __init__(self, row: QWidget, *, ready: bool) -> None:
        self.row = row
        policy = row.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        row.setSizePolicy(policy)
        self.ready = ready
        self.hovered = self.focused = self.pinned = False
        self.sync()

    @property
    def shown(self) -> bool:
        return self.ready and (self.hovered or self.focused or self.pinned)

    def set(self, **flags: bool) -> None:
        for name, value in flags.items():
            setattr(self, name, value)
        self.sync()

    def sync(self) -> None:
        if self.row.isHidden() == self.shown:
            self.row.setVisible(self.shown)


class SiblingNavigator(QWidget):
    """‹ n/m ›: flip between the alternatives of a message (answers, or edits)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The arrows alone are read as punctuation: each says what it does.
        self.previous_button = _action("‹", Icon.PREVIOUS, self)
        self.previous_button.setAccessibleName(self.tr("Previous version"))
        self.previous_button.setToolTip(self.tr("Show the previous version"))
        self.position = QLabel(self)
        self.position.setObjectName("siblingPosition")
        self.position.setFont(font(Type.SMALL))
        self.next_button = _action("›", Icon.NEXT, self)
        self.next_button.setAccessibleName(self.tr("Next version"))
        self.next_button.setToolTip(self.tr("Show the next version"))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        for w in (self.previous_button, self.position, self.next_button):
            row.addWidget(w)
        self.hide()

    def set_siblings(self, index: int, count: int) -> None:
        """This is alternative ``index`` (1-based) of ``count``; hidden when there is one."""
        self.setVisible(count > 1)
        self.position.setText(f"{index}/{count}")
        self.position.setAccessibleName(self.tr("Version {0} of {1}").format(index, count))
        self.previous_button.setEnabled(index > 1)
        self.next_button.setEnabled(index < count)


AVATAR = 20  # pixels: QwQ's mark before its name
USER_BUBBLE_SHARE = 0.75  # of the column: the widest a user's bubble grows


class UserMessage(QWidget):
    """The user's message: a bubble on the right, with Edit (which resends it as a new
    branch) and ‹ n/m › under it, shown on hover or focus."""

    def __init__(
        self, text: str, files: Sequence[Attachment] = (), parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("userMessage")
        self._text = text
        self.files = tuple(files)
        self.bubble = QFrame(self)
        self.bubble.setObjectName("userBubble")
        self.label: QWidget
        if len(text) > LONG_USER_MESSAGE:
            # A label lays out all of its text at once: a 5 MB message (a paste, an
            # import) froze the window for seconds. This view lays out what is on screen.
            long_view = LongPlainText(self.bubble)
            long_view.setFixedHeight(LONG_USER_MESSAGE_HEIGHT)
            long_view.setFrameShape(QFrame.Shape.NoFrame)
            long_view.set_text(text)
            self.label = long_view
        else:
            label = QLabel(text, self.bubble)
            label.setObjectName("userText")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            # Selectable from the keyboard too: Tab reaches the message (and shows its
            # actions), and a screen reader reads it there.
            label.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.TextSelectableByKeyboard
            )
            self.label = label
        self.label.setFont(font(Type.READING))
        inside = QVBoxLayout(self.bubble)
        inside.setContentsMargins(Space.L, Space.M - 2, Space.L, Space.M - 2)
        for f in self.files:  # the files sent with it: a line each, above the text
            line = QLabel(
                self.tr("{name} · {tokens:,} tokens").format(name=f.name, tokens=f.tokens),
                self.bubble,
            )
            line.setObjectName("userFile")
            line.setTextFormat(Qt.TextFormat.PlainText)
            line.setFont(font(Type.SMALL))
            line.setAccessibleName(self.tr("Attached: {name}").format(name=f.name))
            inside.addWidget(line)
        inside.addWidget(self.label)
        self.edit_button = _action(self.tr("Edit"), Icon.EDIT, self)
        self.edit_button.setAccessibleName(self.tr("Edit message"))
        self.edit_button.setToolTip(self.tr("Edit message"))
        self.edit_button.setAccessibleDescription(
            self.tr("Put this message back in the message box, to send it again changed")
        )
        self.edit_button.hide()
        self.siblings = SiblingNavigator(self)  # between edits of this message
        self.damaged_note = QLabel(self)
        self.damaged_note.setObjectName("damagedNote")
        self.damaged_note.setTextFormat(Qt.TextFormat.PlainText)
        self.damaged_note.setWordWrap(True)
        self.damaged_note.hide()
        self.action_row = QWidget(self)
        self.action_row.setObjectName("messageActions")
        actions = QHBoxLayout(self.action_row)
        actions.setContentsMargins(0, 0, 0, 0)
        actions.setSpacing(0)
        actions.addStretch(1)
        actions.addWidget(self.siblings)
        actions.addWidget(self.edit_button)
        bubble_row = QHBoxLayout()
        bubble_row.setContentsMargins(0, 0, 0, 0)
        bubble_row.addStretch(1)
        bubble_row.addWidget(self.bubble)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bubble_row)
        # The whole width to wrap in (aligned in the layout, a wrapped label was given
        # one line's height and cut), its text to the right under the bubble.
        self.damaged_note.setAlignment(Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.damaged_note)
        layout.addWidget(self.action_row)
        self.reveal = ActionReveal(self.action_row, ready=True)
        self.message_id: int | None = None

    def text(self) -> str:
        return self._text

    def mark_damaged(self, damaged: str) -> None:
        """Say under the message that part of what was stored could not be read."""
        self.damaged_note.setText(damaged_text(damaged))
        self.damaged_note.show()

    def _natural_width(self) -> int:
        """The bubble's width with its text unwrapped (a short message, a short bubble)."""
        if isinstance(self.label, LongPlainText):
            return 1 << 20
        metrics = self.label.fontMetrics()
        text = max((metrics.horizontalAdvance(line) for line in self._text.split("\n")), default=0)
        # The bubble's margins, the label's focus frame (2 x 2) and its text margins (2 x 4).
        return text + 2 * Space.L + 14

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # As wide as its text, at most three quarters of the column; wrapped inside.
        width = min(self._natural_width(), int(self.width() * USER_BUBBLE_SHARE))
        if self.bubble.width() != width or self.bubble.maximumWidth() != width:
            self.bubble.setFixedWidth(width)

    def enterEvent(self, event: QEnterEvent) -> None:
        self.reveal.set(hovered=True)

    def leaveEvent(self, event: QEvent) -> None:
        self.reveal.set(hovered=False)


def _action(text: str, which: Icon, parent: QWidget, *, label: bool = False) -> QToolButton:
    """A message's action: an icon (with its words beside it where ``label``); the words
    stay the button's text, and callers give each an accessible name and a tooltip."""
    button = QToolButton(parent)  # (icon only, 16 px: a tool button's defaults)
    button.setText(text)
    button.setIcon(icon(which))
    if label:
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setAutoRaise(True)
    button.setObjectName("messageAction")
    return button


class AssistantMessage(QWidget):
    """An answer with its reasoning block and a footer (stats, how it ended).

    A reply being generated streams into it batch by batch (:meth:`take`): the widget
    keeps the reply's counters (:attr:`stream`) and folds its trace when the answer
    begins, so whoever feeds it keeps none.

    A reply that used tools shows each round that ended in calls above the last one
    (:class:`ToolRoundView`: its trace, answer text and call cards), in the order they
    happened; the current round's cards sit under its answer until the next round
    begins. An approval is answered in its card: ``tool_decided`` says so.
    """

    tool_decided = Signal(str, str)  # call id, Decision
    beside_requested = Signal(object)  # a ReasoningBlock to read beside the answer
    citation_clicked = Signal(object)  # a Citation of the answer, to read its passage

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("assistantMessage")
        # Headed by who answered: QwQ's mark, its name and (muted) the model.
        self.name = QLabel("QwQ", self)
        self.name.setObjectName("assistantName")
        name_font = font(Type.BODY)
        name_font.setWeight(QFont.Weight.Bold)  # (CJK fonts often have no DemiBold)
        self.name.setFont(name_font)
        self.model_label = QLabel(self)
        self.model_label.setObjectName("messageModel")
        self.model_label.setTextFormat(Qt.TextFormat.PlainText)
        self.model_label.setFont(font(Type.SMALL))
        self.model_label.hide()
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.setSpacing(Space.S)
        head.addSpacing(AVATAR + Space.S)  # QwQ's mark: painted (paintEvent)
        head.addWidget(self.name)
        head.addWidget(self.model_label)
        head.addStretch(1)
        self.rounds_box = QWidget(self)  # the rounds that ended in calls
        self.rounds_box.setObjectName("toolRounds")
        self.rounds_layout = QVBoxLayout(self.rounds_box)
        self.rounds_layout.setContentsMargins(0, 0, 0, 0)
        self.rounds_layout.setSpacing(Space.S)
        self.rounds_box.hide()
        self.reasoning = self._new_block()
        self.answer = AnswerView(self)
        self.answer.setFont(font(Type.READING))
        self.calls_box = QWidget(self)  # this round's calls
        self.calls_layout = QVBoxLayout(self.calls_box)
        self.calls_layout.setContentsMargins(0, 0, 0, 0)
        self.calls_layout.setSpacing(Space.S)
        self.calls_box.hide()
        self.cards: dict[str, ToolCallCard] = {}  # every call's card, by call id
        self._round_done = False  # a result came: the next text starts a new round
        self.footer = QLabel(self)
        self.footer.setObjectName("messageFooter")
        self.footer.setTextFormat(Qt.TextFormat.PlainText)  # stored text is never markup
        self.footer.setWordWrap(True)
        self.footer.setFont(font(Type.SMALL))
        # Actions, shown once the reply is complete: flip between answers, copy, regenerate.
        self.siblings = SiblingNavigator(self)  # between answers to the same message
        self.copy_button = _action(self.tr("Copy"), Icon.COPY, self)
        self.copy_button.setAccessibleName(self.tr("Copy answer"))
        self.copy_button.setToolTip(self.tr("Copy answer"))
        self.copy_all_button = _action(
            self.tr("Copy with reasoning"), Icon.COPY_WITH_REASONING, self
        )
        self.copy_all_button.setAccessibleName(self.tr("Copy answer with reasoning"))
        self.copy_all_button.setToolTip(self.tr("Copy answer with reasoning"))
        self.regenerate_button = _action(self.tr("Regenerate"), Icon.REGENERATE, self)
        self.regenerate_button.setAccessibleName(self.tr("Regenerate answer"))
        self.regenerate_button.setToolTip(self.tr("Regenerate answer"))
        self.regenerate_button.setAccessibleDescription(
            self.tr("Write this answer again (the old one stays: Previous version)")
        )
        # A reply that went round in circles: what happened, and the model card's remedy.
        self.loop_note = QLabel(self)
        self.loop_note.setObjectName("loopNote")
        self.loop_note.setTextFormat(Qt.TextFormat.PlainText)
        self.loop_note.setWordWrap(True)
        self.remedy_button = _action(
            self.tr("Regenerate with presence penalty {penalty:g}").format(
                penalty=LOOP_REMEDY_PRESENCE_PENALTY
            ),
            Icon.REGENERATE,
            self,
            label=True,
        )
        self.remedy_button.setObjectName("loopRemedy")
        self.remedy_button.setAccessibleName(self.remedy_button.text())
        self.remedy_button.setToolTip(
            self.tr(
                "The QwQ-32B model card: a presence penalty between 0 and 2 reduces endless"
                " repetitions. For every reply: Settings → Presence penalty."
            )
        )
        self.loop_row = QWidget(self)
        loop_layout = QHBoxLayout(self.loop_row)
        loop_layout.setContentsMargins(0, 0, 0, 0)
        loop_layout.addWidget(self.loop_note, 1)
        loop_layout.addWidget(self.remedy_button, 0, Qt.AlignmentFlag.AlignTop)
        self.loop_row.hide()
        # A reply that stopped early (Stop, length, a budget, the loop guard, Answer now)
        # goes on in place: its trace (with a hint from the user: Steer) or its answer.
        # These are offers (something happened): their words show beside their icons.
        self.continue_thinking_button = _action(
            self.tr("Continue thinking"), Icon.CONTINUE, self, label=True
        )
        self.continue_thinking_button.setObjectName("continueThinking")
        self.continue_answer_button = _action(
            self.tr("Continue answer"), Icon.CONTINUE, self, label=True
        )
        self.continue_answer_button.setObjectName("continueAnswer")
        self.steer_button = _action(self.tr("Steer…"), Icon.STEER, self, label=True)
        self.steer_button.setObjectName("steer")
        self.steer_button.setAccessibleName(self.tr("Steer"))
        for button, tip in (
            (
                self.continue_thinking_button,
                self.tr("Let QwQ think on from where its trace stopped"),
            ),
            (
                self.continue_answer_button,
                self.tr("Let QwQ write on from where its answer stopped"),
            ),
            (self.steer_button, self.tr("Add a hint to the trace, then let QwQ think on with it")),
        ):
            button.setToolTip(tip)
            button.setProperty("tip", tip)
            if not button.accessibleName():
                button.setAccessibleName(button.text())
            button.hide()
        self.action_row = QWidget(self)
        self.action_row.setObjectName("messageActions")
        row = QHBoxLayout(self.action_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        for w in (
            self.siblings,
            self.copy_button,
            self.copy_all_button,
            self.regenerate_button,
        ):
            row.addWidget(w)
        row.addStretch(1)
        for w in (
            self.continue_thinking_button,
            self.steer_button,
            self.continue_answer_button,
        ):
            row.addWidget(w)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(Space.S)
        layout.addLayout(head)
        layout.addWidget(self.rounds_box)
        layout.addWidget(self.reasoning)
        layout.addWidget(self.answer)
        layout.addWidget(self.calls_box)
        self.sources_row = QWidget(self)  # the answer's citations, checked (show_citations)
        self.sources_row.setObjectName("sourcesRow")
        self.sources_layout = QHBoxLayout(self.sources_row)
        self.sources_layout.setContentsMargins(0, 0, 0, 0)
        self.sources_layout.setSpacing(Space.XS)
        self.sources_row.hide()
        self.citations: list[Citation] = []
        layout.addWidget(self.sources_row)
        layout.addWidget(self.footer)
        layout.addWidget(self.loop_row)
        layout.addWidget(self.action_row)
        self.reasoning.hide()
        self.footer.hide()
        self.reveal = ActionReveal(self.action_row, ready=False)
        self.message_id: int | None = None
        self.model = ""  # the model that answered ("": not known yet)
        self.stream: ReplyStream | None = None  # set while a reply streams into it

    def set_model(self, model: str) -> None:
        """Name the model that answered under QwQ's name (local file or remote)."""
        self.model = model
        self.model_label.setText(model)
        self.model_label.setVisible(bool(model))

    def enterEvent(self, event: QEnterEvent) -> None:
        self.reveal.set(hovered=True)

    def leaveEvent(self, event: QEvent) -> None:
        self.reveal.set(hovered=False)

    def paintEvent(self, event: QPaintEvent) -> None:
        if event.rect().top() <= self.name.geometry().bottom():
            paint_mark(self, Icon.QWQ, AVATAR, 0, self.name.geometry().center().y())

    def copy_text(self, *, with_reasoning: bool) -> str:
        answer = self.answer.markdown
        if with_reasoning and self.reasoning.text:
            return f"<details>\n<summary>Reasoning</summary>\n\n{self.reasoning.text}\n\n</details>\n\n{answer}"
        return answer

    def show_stored(self, m: StoredMessage) -> None:
        self.message_id = m.id
        self.reveal.set(ready=True)  # a stored answer can be copied, regenerated, flipped
        # (A model name that could not be read back is not put under QwQ's name.)
        self.set_model("" if "model" in m.damaged.split(", ") else m.model)
        for r in m.tool_rounds:
            self._add_round(ToolRoundView.stored(r))
        if m.reasoning:
            # The last round's own figures: the reply's, less the rounds' before it.
            rounds_tokens = sum(r.reasoning_tokens for r in m.tool_rounds)
            rounds_seconds = sum(r.thinking_seconds for r in m.tool_rounds)
            self.reasoning.show()
            self.reasoning.set_stored(
                m.reasoning,
                tokens=max(0, int(m.stats.get("reasoning_tokens", 0)) - rounds_tokens),
                seconds=max(0.0, m.thinking_seconds - rounds_seconds),
                finished=m.reasoning_finished,
                ended_by=m.reasoning_ended_by,
                inserted=m.inserted,
            )
        self.answer.set_markdown(m.content)
        footer = ""
        if m.status == "interrupted":
            footer = self.tr("Interrupted: the app stopped while this reply was being written.")
        elif m.finish_reason:
            footer = footer_text(m.finish_reason, m.stats, m.error)
        if m.damaged:
            footer = " · ".join(p for p in (damaged_text(m.damaged), footer) if p)
        self.set_footer(footer)
        self.show_loop(loop_text(m.reasoning_ended_by, m.finish_reason))

    def show_citations(self, citations: Sequence[Citation]) -> None:
        """The sources the answer cites, a button each (its passage beside the answer); a
        citation of something QwQ was not given is marked, and says so."""
        while (item := self.sources_layout.takeAt(0)) is not None:
            if (old := item.widget()) is not None:
                old.deleteLater()
        seen: dict[str, Citation] = {}
        for c in citations:
            seen.setdefault(c.label.lower(), c)
        self.citations = list(seen.values())
        if not self.citations:
            self.sources_row.hide()
            return
        title = QLabel(self.tr("Sources:"), self.sources_row)
        title.setFont(font(Type.SMALL))
        self.sources_layout.addWidget(title)
        for c in self.citations:
            button = QToolButton(self.sources_row)
            button.setObjectName("citation")
            button.setText(c.label)
            button.setFont(font(Type.SMALL))
            button.setProperty("unverified", c.verified is False)
            if c.verified is False:
                button.setIcon(icon(Icon.WARNING))
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
                tip = self.tr("QwQ cites this, but it was not among the sources it was given")
            else:
                tip = self.tr("Read the cited passage beside the answer")
            button.setToolTip(tip)
            button.setAccessibleName(c.label)
            button.setAccessibleDescription(tip)
            button.clicked.connect(self._cite)
            button.setProperty("citation", c.label)
            self.sources_layout.addWidget(button)
        self.sources_layout.addStretch(1)
        self.sources_row.show()

    def _cite(self) -> None:
        button = self.sender()
        label = button.property("citation") if button is not None else None
        for c in self.citations:
            if c.label == label:
                self.citation_clicked.emit(c)

    def set_footer(self, text: str) -> None:
        self.footer.setText(text)
        self.footer.setVisible(bool(text))

    def show_done(self, done: GenerationDone, model: str = "") -> None:
        s = done.stats
        tokens, seconds = s.reasoning_tokens, s.thinking_seconds
        stream = self.stream
        if self.cards and stream is not None:  # a tool turn: the last round's own figures
            tokens = stream.reasoning_tokens
            if stream.thinking_started is not None:
                seconds = (
                    self.reasoning.seconds
                    if stream.answer_started
                    else (time.monotonic() - stream.thinking_started)
                )
        if done.reasoning:
            self.reasoning.conclude(
                tokens=tokens,
                seconds=seconds,
                finished=done.reasoning_finished,
                ended_by=done.reasoning_ended_by,
            )
        self.reasoning.stop_dots()  # (stopped before any answer, or failed)
        self.answer.set_markdown(done.answer)
        for card in self.cards.values():
            card.not_run()  # a call the reply ended before (stopped, the round limit)
        if model and model != self.model:
            self.set_model(model)
        self.set_footer(footer_text(done.finish_reason, s.to_dict(), done.error))

    def show_continue(self, modes: Sequence[ContinueMode], why_not: str | None) -> None:
        """Offer the ways this reply can go on (none: hidden); disabled, saying why,
        where the engine cannot continue a reply."""
        for button, shown in (
            (self.continue_thinking_button, "thinking" in modes),
            (self.steer_button, "thinking" in modes),
            (self.continue_answer_button, "answer" in modes),
        ):
            button.setVisible(shown)
            button.setEnabled(why_not is None)
            button.setToolTip(why_not or str(button.property("tip")))

    def begin_reply(self) -> None:
        """A new reply streams into this (empty) bubble."""
        self.stream = ReplyStream()

    def begin_continue(self, mode: ContinueMode, message: StoredMessage) -> None:
        """The stored reply ``message`` goes on in this bubble: its actions go until it
        ends again, and its counts go on from where they were."""
        stream = ReplyStream(reasoning_tokens=int(message.stats.get("reasoning_tokens", 0)))
        if mode == "thinking":
            stream.thinking_started = time.monotonic() - message.thinking_seconds
        else:
            stream.answer_parts = [message.content]
            stream.answer_started = True
        self.stream = stream
        self.reveal.set(ready=False)
        self.loop_row.hide()
        self.set_footer("")
        if mode == "thinking":
            self.answer.set_markdown("")  # the answer is written again after the trace
            self.reasoning.show()
            self.reasoning.start()
            self._announce(self.tr("QwQ is thinking"))

    @property
    def thinking(self) -> bool:
        """A reply streams into its trace (Answer now can close it)."""
        return self.stream is not None and self.stream.thinking

    def ask_answer(self) -> None:
        """The user asked for the answer: the trace says so, and folds as theirs."""
        assert self.stream is not None, "only a reply being generated can be asked"
        self.stream.answer_asked = True
        self.reasoning.ask_answer()

    def take(self, events: Sequence[ChatEvent], model: str = "") -> Taken:
        """Show a batch of the reply's events: the trace with its clock and token count,
        the fold when the answer begins, the answer (only its last block is re-rendered
        while it streams), tool calls as cards where they happened, and the footer once
        it is done (``model`` answered)."""
        if not self._round_done and not any(type(e) in TOOL_EVENTS for e in events):
            return self._take_text(events, model)  # (nearly every batch: text only)
        taken = Taken(None, None)
        text: list[ChatEvent] = []
        for event in events:
            if isinstance(event, ToolEvent):
                if text:
                    taken = self._take_text(text, model)
                    text = []
                self._take_tool(event)
            else:
                if self._round_done:
                    self._next_round()
                text.append(event)
        if text or not events:
            taken = self._take_text(text, model)
        return taken

    def _new_block(self) -> ReasoningBlock:
        block = ReasoningBlock(self)
        block.hide()
        block.beside_requested.connect(self.beside_requested)  # (no lambda: no cycle)
        return block

    def _add_round(self, view: ToolRoundView) -> None:
        self.rounds_layout.addWidget(view)
        self.rounds_box.show()
        for card in view.cards:
            self.cards[card.call_id] = card
            card.decided.connect(self.tool_decided)
        if view.reasoning is not None:
            view.reasoning.beside_requested.connect(self.beside_requested)

    def _take_tool(self, event: ToolEvent) -> None:
        stream = self.stream
        assert stream is not None, "begin_reply or begin_continue first"
        match event:
            case ToolCallRequested(call=call):
                if stream.thinking_started is not None and not stream.answer_started:
                    stream.answer_started = True  # the trace is over: fold it
                    self.reasoning.conclude(
                        tokens=stream.reasoning_tokens,
                        seconds=time.monotonic() - stream.thinking_started,
                        finished=True,
                        ended_by="user" if stream.answer_asked else None,
                    )
                self.answer.set_markdown("".join(stream.answer_parts))
                card = ToolCallCard.of_call(call, self.calls_box)
                card.decided.connect(self.tool_decided)
                self.cards[card.call_id] = card
                self.calls_layout.addWidget(card)
                self.calls_box.show()
                self._announce(card.accessibleName())
            case ToolApprovalNeeded(call=call):
                if (waiting := self.cards.get(call.id)) is not None:
                    waiting.ask_approval()
            case ToolCallResult():
                self._round_done = True
                if (answered := self.cards.get(event.call_id)) is not None:
                    answered.take_result(event)

    def _next_round(self) -> None:
        """The round's results are in and the model goes on: the round (its trace,
        answer and cards) moves above, and the next one streams into new views."""
        self._round_done = False
        self.reasoning.stop_dots()
        items = [self.calls_layout.itemAt(i) for i in range(self.calls_layout.count())]
        cards = [
            card
            for item in items
            if item is not None and isinstance(card := item.widget(), ToolCallCard)
        ]
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        old_block, old_answer = self.reasoning, self.answer
        view = ToolRoundView(
            old_block if old_block.text else None,
            old_answer if old_answer.markdown.strip() else None,
            cards,
        )
        if view.reasoning is None:
            old_block.deleteLater()
        if view.answer is None:
            old_answer.deleteLater()
        self.rounds_layout.addWidget(view)
        self.rounds_box.show()
        self.calls_box.hide()
        at = layout.indexOf(self.calls_box)
        self.reasoning = self._new_block()
        self.answer = AnswerView(self)
        self.answer.setFont(font(Type.READING))
        layout.insertWidget(at, self.answer)
        layout.insertWidget(at, self.reasoning)
        if self.stream is not None:
            self.stream = ReplyStream(answer_asked=False)

    def _take_text(self, events: Sequence[ChatEvent], model: str) -> Taken:
        stream = self.stream
        assert stream is not None, "begin_reply or begin_continue first"
        if model and model != self.model:
            self.set_model(model)  # (once: a string compared per batch after that)
        batch = read_batch(events)
        stream.reasoning_tokens += batch.reasoning_tokens
        stream.answer_parts.extend(batch.answer)
        block = self.reasoning
        now = time.monotonic()
        thinking_before = stream.thinking
        if batch.reasoning:
            if stream.thinking_started is None:
                stream.thinking_started = now
                block.show()
                block.start()
            for text, by in batch.reasoning:
                block.append(text, stream.reasoning_tokens, now - stream.thinking_started, by)
        if batch.reasoning and not thinking_before and stream.thinking:
            self._announce(self.tr("QwQ is thinking"))
        if stream.answer_parts and not stream.answer_started:
            stream.answer_started = True
            if stream.thinking_started is not None:
                block.conclude(
                    tokens=stream.reasoning_tokens,
                    seconds=now - stream.thinking_started,
                    finished=True,
                    ended_by="user" if stream.answer_asked else None,
                )
                self._announce(block.header.text())  # "Thought for 42 s · 3,412 tokens"
        if stream.answer_parts and batch.done is None:
            self.answer.set_markdown("".join(stream.answer_parts), streaming=True)
        elapsed = now - stream.started
        speed = stream.produced / elapsed if elapsed > 0 else None
        if batch.done is not None:
            stream.done = True
            self.show_done(batch.done, model)
            speed = batch.done.stats.tokens_per_second
            # The answer once it is complete (not token by token); a reply without one
            # (stopped, failed) says how it ended.
            answer = batch.done.answer
            self._announce(spoken(answer) if answer.strip() else self.footer.text())
        return Taken(batch.done, speed)

    def _announce(self, text: str) -> None:
        """Tell a screen reader, politely, if this reply is on screen."""
        if self.isVisible():
            announcer().say(self, text)

    def show_loop(self, note: str) -> None:
        """Say that the reply looped, with the remedy (or nothing, for ``""``)."""
        self.loop_note.setText(note)
        self.loop_row.setVisible(bool(note))


def loop_text(ended_by: str | None, finish_reason: str | None) -> str:
    """What the loop guard did to a reply, in plain words ("" when it did nothing)."""
    if finish_reason == "repetition":
        return translate(
            "ChatView",
            "QwQ kept writing the same passage over and over, so the reply was stopped."
            " A presence penalty makes that rarer.",
        )
    if ended_by == "loop":
        return translate(
            "ChatView",
            "QwQ's thinking went round in circles, so the app closed it and asked for the"
            " answer. A presence penalty makes that rarer.",
        )
    return ""


def damaged_text(damaged: str) -> str:
    return translate(
        "ChatView", "⚠ Damaged: part of this message's stored data is unreadable ({damaged})."
    ).format(damaged=damaged)


def footer_text(finish_reason: str, stats: dict[str, Any], error: str | None) -> str:
    """How it ended and the figures (the model that answered heads the message)."""
    tokens = int(stats.get("generated_tokens", 0))
    speed = float(stats.get("tokens_per_second", 0.0))
    figures = (
        translate("ChatView", "{tokens:,} tokens · {speed:.1f} tok/s").format(
            tokens=tokens, speed=speed
        )
        if tokens
        else ""
    )
    words = finish_words(finish_reason, error)
    ending = words[:1].upper() + words[1:]
    if words and finish_reason != "error":
        ending = translate("ChatView", "{sentence}.").format(sentence=ending)
    return " · ".join(p for p in (ending, figures) if p)


class EmptyConversation(QWidget):
    """What a new chat shows before its first message: QwQ's mark and what it does."""

    MARK = 44  # pixels

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emptyConversation")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.title = QLabel(self.tr("What shall QwQ think about?"), self)
        self.title.setObjectName("emptyTitle")
        self.title.setFont(font(Type.TITLE))
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.line = QLabel(
            self.tr(
                "QwQ thinks a problem through before it answers. Its thinking shows here"
                " as it goes, and folds away when the answer begins."
            ),
            self,
        )
        self.line.setObjectName("emptyLine")
        self.line.setWordWrap(True)
        self.line.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.line.setMaximumWidth(READING_WIDTH * 2 // 3)
        column = QVBoxLayout(self)
        column.setContentsMargins(Space.XL, 0, Space.XL, Space.XXL * 2)
        column.setSpacing(Space.S)
        column.addStretch(1)
        column.addSpacing(self.MARK + Space.M)  # QwQ's mark: painted (paintEvent)
        column.addWidget(self.title)
        centred = QHBoxLayout()  # (aligned in the column itself, the wrapped line was cut)
        centred.addStretch(1)
        centred.addWidget(self.line, 100)
        centred.addStretch(1)
        column.addLayout(centred)
        column.addStretch(1)

    def paintEvent(self, event: QPaintEvent) -> None:
        top = self.title.geometry().top() - Space.M - self.MARK // 2
        paint_mark(self, Icon.QWQ, self.MARK, (self.width() - self.MARK) // 2, top)


class ChatView(QScrollArea):
    """Messages stacked top to bottom in a centred column at most READING_WIDTH wide
    (a wide window does not stretch lines to 200 characters); follows the stream while
    the reader is at the end. It shows each message's actions on hover and focus, and
    always on the last answer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatView")
        self.setAccessibleName(self.tr("Conversation"))
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._inner = QWidget()
        self._inner.setObjectName("chatInner")
        self.column = QWidget(self._inner)
        self.column.setObjectName("chatColumn")
        self.column.setMaximumWidth(READING_WIDTH)
        centred = QHBoxLayout(self._inner)
        centred.setContentsMargins(Space.XL, Space.L, Space.XL, Space.L)
        centred.addWidget(self.column)
        self._layout = QVBoxLayout(self.column)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(Space.L)
        self._layout.addStretch(1)
        self.setWidget(self._inner)
        # A new chat is not a blank page: QwQ's mark and a line, until the first message.
        self.empty = EmptyConversation(self.viewport())
        self.empty.show()
        self._follow = True
        self._pinned: QWidget | None = None  # the last answer: its actions always show
        self.verticalScrollBar().valueChanged.connect(self._on_scroll)
        self.verticalScrollBar().rangeChanged.connect(self._on_range)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_focus)

    def _message_of(self, widget: QWidget | None) -> QWidget | None:
        """The message ``widget`` is in (None: not in this view)."""
        while widget is not None:
            parent = widget.parentWidget()
            if parent is self.column:
                return widget if hasattr(widget, "reveal") else None
            widget = parent
        return None

    def _on_focus(self, old: QWidget | None, new: QWidget | None) -> None:
        """The keyboard focus moved: show the actions of the message it is in."""
        if not shiboken6.isValid(self):
            return
        was, now = self._message_of(old), self._message_of(new)
        if was is now:
            return
        if was is not None:
            was.reveal.set(focused=False)  # type: ignore[attr-defined]
        if now is not None:
            now.reveal.set(focused=True)  # type: ignore[attr-defined]

    def _pin_last(self) -> None:
        """Keep the last answer's actions shown (and only its)."""
        last = next((w for w in reversed(self.messages()) if isinstance(w, AssistantMessage)), None)
        if last is self._pinned:
            return
        if self._pinned is not None and shiboken6.isValid(self._pinned):
            self._pinned.reveal.set(pinned=False)  # type: ignore[attr-defined]
        self._pinned = last
        if last is not None:
            last.reveal.set(pinned=True)

    def _keep_focus(self, leaving: QWidget) -> None:
        """A keyboard user's focus in a message that leaves the screen stays in the view
        (taken out with its widget, it left the window without a focus at all)."""
        focus = QApplication.focusWidget()
        if focus is not None and (focus is leaving or leaving.isAncestorOf(focus)):
            self.setFocus()

    def clear(self) -> None:
        self._keep_focus(self._inner)
        while self._layout.count() > 1:
            item = self._layout.takeAt(0)
            widget = item.widget() if item else None
            if widget is not None:
                # Deleted, not only unparented: lambdas connected to a message's own
                # signals hold it in a cycle that Python's collector cannot see into.
                widget.setParent(None)
                widget.deleteLater()
        self._pinned = None
        self._follow = True
        self._show_empty()

    def _show_empty(self) -> None:
        """The empty state while there is no message (the layout holds only its stretch)."""
        empty = self._layout.count() <= 1
        if self.empty.isHidden() == empty:
            self.empty.setVisible(empty)
        if empty:
            self.empty.setGeometry(self.viewport().rect())
            self.empty.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self.empty.isHidden():
            self.empty.setGeometry(self.viewport().rect())

    def add(self, widget: QWidget) -> None:
        self._layout.insertWidget(self._layout.count() - 1, widget)
        widget.show()  # now, not on the next turn of the event loop
        self._pin_last()
        self._show_empty()

    def add_first(self, widget: QWidget) -> None:
        """Put an older message above the others, keeping the view where the reader is."""
        bar = self.verticalScrollBar()
        from_bottom = bar.maximum() - bar.value()
        self._layout.insertWidget(0, widget)
        widget.show()
        if self._pinned is None:
            self._pin_last()
        self._show_empty()
        if not self._follow:
            QTimer.singleShot(0, self, lambda: bar.setValue(bar.maximum() - from_bottom))

    def detach(self, widget: QWidget) -> None:
        """Take a live message out without deleting it (its reply goes on elsewhere)."""
        self._keep_focus(widget)
        self._layout.removeWidget(widget)
        widget.setParent(None)
        if hasattr(widget, "reveal"):
            widget.reveal.set(pinned=False, focused=False, hovered=False)
        if widget is self._pinned:
            self._pinned = None
        self._pin_last()
        self._show_empty()

    def messages(self) -> list[QWidget]:
        out: list[QWidget] = []
        for i in range(self._layout.count()):
            item = self._layout.itemAt(i)
            widget = item.widget() if item is not None else None
            if widget is not None:
                out.append(widget)
        return out

    def reveal(self, message_id: int) -> None:
        """Scroll to a message (a search hit) and stop following the stream."""
        for widget in self.messages():
            if getattr(widget, "message_id", None) == message_id:
                self._follow = False
                # After the layout has placed the freshly built messages.
                QTimer.singleShot(0, self, lambda w=widget: self.ensureWidgetVisible(w, 0, 40))
                return

    def _on_scroll(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - 8

    def _on_range(self, _low: int, high: int) -> None:
        if self._follow:
            QTimer.singleShot(0, self, lambda: self.verticalScrollBar().setValue(high))
