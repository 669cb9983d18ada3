"""The reasoning trace attached to an answer: live while QwQ thinks, folded after.

While thinking the block is open and streams, headed "Thinking… 12 s · 480 tokens".
When the answer begins it folds to "Thought for 42 s · 3,412 tokens"; a click (or
Space/Enter on the header) opens it again. A stored trace is put into the text view
only the first time it is opened, a slice per turn of the event loop (a 5 MB trace on
one line froze the window for seconds; see long_text).

The header says how the thinking ended when the model did not close it itself
("Thought for 2 min · 1,024 tokens · budget reached"). Parts of the trace the model
did not write (the app's wrap-up that forced the answer, the user's Steer hint) are
shown upright and muted, after a label ("inserted by QwQ Desktop", "your hint").
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPalette, QTextCharFormat
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from app.core.format import duration
from app.core.i18n import QT_TRANSLATE_NOOP
from app.core.thinking import InsertedSpan, Inserter, ReasonEnded
from app.ui.long_text import LongPlainText

# How the header ends when the model did not close its trace itself.
ENDINGS: dict[ReasonEnded, str] = {
    "budget": QT_TRANSLATE_NOOP("ReasoningBlock", "budget reached"),
    "time": QT_TRANSLATE_NOOP("ReasoningBlock", "time limit reached"),
    "loop": QT_TRANSLATE_NOOP("ReasoningBlock", "loop caught"),
    "user": QT_TRANSLATE_NOOP("ReasoningBlock", "you asked for the answer"),
}
INSERTED_LABELS: dict[Inserter, str] = {
    "app": QT_TRANSLATE_NOOP("ReasoningBlock", "inserted by QwQ Desktop"),
    "user": QT_TRANSLATE_NOOP("ReasoningBlock", "your hint"),
}


def split_inserted(text: str, spans: Sequence[InsertedSpan]) -> list[tuple[str, Inserter | None]]:
    """A stored trace cut into the model's parts and the inserted ones, in order.

    Spans that do not fit the text (overlapping, out of range) are left unmarked."""
    parts: list[tuple[str, Inserter | None]] = []
    at = 0
    for span in sorted(spans, key=lambda s: s.start):
        start, end = max(span.start, at), min(span.end, len(text))
        if start >= end:
            continue
        if start > at:
            parts.append((text[at:start], None))
        parts.append((text[start:end], span.by))
        at = end
    if at < len(text) or not parts:
        parts.append((text[at:], None))
    return parts


class ReasoningBlock(QWidget):
    beside_requested = Signal()  # the user wants to read the trace beside the answer
    grew = Signal(str)  # a live trace grew by this text (the side panel follows it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._live_texts: tuple[str, str, str] | None = None  # see _update_label
        self.header = QToolButton(self)
        self.header.setObjectName("reasoningHeader")
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setAutoRaise(True)
        self.header.setCheckable(True)
        self.header.toggled.connect(self._set_open)
        self.body = LongPlainText(self)
        self.body.setObjectName("reasoningBody")
        self.body.setAccessibleName(self.tr("Reasoning"))
        self.body.setMaximumHeight(260)
        self.body.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        font = QFont(self.body.font())
        font.setItalic(True)
        self.body.setFont(font)
        self.beside_button = QToolButton(self)
        self.beside_button.setText(self.tr("Read beside the answer"))
        self.beside_button.setAutoRaise(True)
        self.beside_button.setAccessibleName(self.tr("Read the reasoning beside the answer"))
        self.beside_button.clicked.connect(self.beside_requested)
        top = QHBoxLayout()
        top.addWidget(self.header)
        top.addWidget(self.beside_button)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.body)
        self._text_parts: list[str] = []
        self._part_by: list[Inserter | None] = []  # who inserted each part (None: the model)
        self._shown_parts = 0  # how many of the parts the view holds
        self._view_by: Inserter | None = None  # who wrote the view's last part
        self._label_due = False  # an inserted part began: its label goes before its first word
        self.tokens = 0
        self.seconds = 0.0
        self.thinking = False
        self.finished = True
        self.ended_by: ReasonEnded | None = None  # who closed the trace (None: not closed)
        self.answer_asked = False  # the user asked for the answer; the trace is closing
        self._set_open(False)

    # -- content -----------------------------------------------------------------------

    @property
    def text(self) -> str:
        return "".join(self._text_parts)

    @property
    def inserted(self) -> list[tuple[str, Inserter]]:
        """The parts the model did not write, in order, each with who inserted it."""
        out: list[tuple[str, Inserter]] = []
        for text, by in zip(self._text_parts, self._part_by, strict=True):
            if by is None:
                continue
            if out and out[-1][1] == by:
                out[-1] = (out[-1][0] + text, by)
            else:
                out.append((text, by))
        return out

    def start(self) -> None:
        """A trace begins (or goes on, after Continue) streaming: open, "Thinking…"."""
        self.thinking = True
        self.finished = False
        self.ended_by = None
        self.answer_asked = False
        self.header.setChecked(True)
        self._update_label()

    def append(
        self, text: str, tokens: int, seconds: float, inserted: Inserter | None = None
    ) -> None:
        self._text_parts.append(text)
        self._part_by.append(inserted)
        self.tokens, self.seconds = tokens, seconds
        if self.is_open:
            self._sync_view()
        self._update_label()
        self.grew.emit(text)

    def restart(self, text: str, inserted: Sequence[InsertedSpan] = ()) -> None:
        """Show ``text`` as the trace so far (a continued one) and stream on after it."""
        self._set_trace(text, inserted)
        if self.is_open:
            self._sync_view()
        self._update_label()

    def _set_trace(self, text: str, inserted: Sequence[InsertedSpan]) -> None:
        parts = split_inserted(text, inserted) if inserted else [(text, None)]
        self._text_parts = [p for p, _ in parts]
        self._part_by = [by for _, by in parts]
        self._shown_parts = 0
        self._view_by, self._label_due = None, False
        self.body.set_text("")

    def ask_answer(self) -> None:
        """The user asked for the answer: say so until the trace closes."""
        self.answer_asked = True
        self._update_label()

    def conclude(
        self,
        *,
        tokens: int,
        seconds: float,
        finished: bool,
        ended_by: ReasonEnded | None = None,
    ) -> None:
        """The answer began or the reply ended: fold, with the final figures."""
        self.thinking = False
        self.tokens, self.seconds, self.finished = tokens, seconds, finished
        self.ended_by = ended_by if finished else None
        self.header.setChecked(False)
        self._update_label()

    def set_stored(
        self,
        text: str,
        *,
        tokens: int,
        seconds: float,
        finished: bool,
        ended_by: ReasonEnded | None = None,
        inserted: Sequence[InsertedSpan] = (),
    ) -> None:
        """A trace from the store: folded, and rendered only when opened."""
        self._set_trace(text, inserted)
        self.conclude(tokens=tokens, seconds=seconds, finished=finished, ended_by=ended_by)

    # -- view --------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.header.isChecked()

    def _set_open(self, on: bool) -> None:
        self.header.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        # Folded or not: the header is a toggle button (checked: open), and says so.
        self.header.setAccessibleDescription(
            self.tr("Reasoning shown; Space hides it")
            if on
            else self.tr("Reasoning hidden; Space shows it")
        )
        if on:
            self._sync_view()
        self.body.setVisible(on)

    def _sync_view(self) -> None:
        """Append only what the view does not hold yet (cost per token stays flat)."""
        end = len(self._text_parts)
        # The view follows the stream only while the reader is at the end. One append
        # per run of parts by the same writer (a frame's tokens are one run, mostly).
        i = self._shown_parts
        while i < end:
            by = self._part_by[i]
            j = i + 1
            while j < end and self._part_by[j] == by:
                j += 1
            self._show_run("".join(self._text_parts[i:j]), by)
            i = j
        self._shown_parts = end

    def _show_run(self, text: str, by: Inserter | None) -> None:
        if by is None:
            self._view_by, self._label_due = None, False
            self.body.append_text(text)
            return
        look = self._inserted_look()
        if by != self._view_by:
            self._view_by, self._label_due = by, True
        if self._label_due:
            # The label goes before the part's first word (the wrap-up opens a paragraph).
            words = text.lstrip()
            if words:
                self.body.append_text(text[: len(text) - len(words)], look)
                self.body.append_label(
                    self.tr("[{label}] ").format(label=self.tr(INSERTED_LABELS[by])),
                    self._label_look(),
                )
                self._label_due = False
                text = words
        self.body.append_text(text, look)

    def _inserted_look(self) -> QTextCharFormat:
        look = QTextCharFormat()
        look.setFontItalic(False)
        look.setForeground(self.palette().color(QPalette.ColorRole.PlaceholderText))
        return look

    def _label_look(self) -> QTextCharFormat:
        look = self._inserted_look()
        look.setFontWeight(QFont.Weight.DemiBold)
        return look

    def _update_label(self) -> None:
        if self.thinking:  # (every batch of a live trace: the templates are looked up once)
            if self._live_texts is None:
                self._live_texts = (
                    self.tr("{duration} · {tokens:,} tokens"),
                    self.tr("Thinking… {figures}"),
                    self.tr("QwQ is thinking"),
                )
            figures_text, thinking_text, name = self._live_texts
            figures = figures_text.format(duration=duration(self.seconds), tokens=self.tokens)
            label = thinking_text.format(figures=figures)
            if self.answer_asked:
                label += self.tr(" · answering now")
            self.header.setText(label)
            if self.header.accessibleName() != name:
                self.header.setAccessibleName(name)  # not every token: see announcer.py
            return
        figures = self.tr("{duration} · {tokens:,} tokens").format(
            duration=duration(self.seconds), tokens=self.tokens
        )
        if self.finished:
            label = self.tr("Thought for {figures}").format(figures=figures)
            if self.ended_by in ENDINGS:
                label += self.tr(" · {ending}").format(ending=self.tr(ENDINGS[self.ended_by]))
        else:
            label = self.tr("Thinking stopped after {figures} (unfinished)").format(figures=figures)
        self.header.setText(label)
        # A screen reader hears the figures once the thinking is over, not every token
        # ("QwQ is thinking" meanwhile): see app/ui/announcer.py.
        if self.header.accessibleName() != label:
            self.header.setAccessibleName(label)
