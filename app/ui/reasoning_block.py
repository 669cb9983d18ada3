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

from PySide6.QtCore import (
    QAbstractAnimation,
    QEasingCurve,
    QRectF,
    QSize,
    Qt,
    QTimer,
    QVariantAnimation,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QHideEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QShowEvent,
    QTextCharFormat,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.format import duration
from app.core.i18n import QT_TRANSLATE_NOOP
from app.core.thinking import InsertedSpan, Inserter, ReasonEnded
from app.ui.icons import Icon, icon, paint_mark
from app.ui.long_text import LongPlainText
from app.ui.theme import Radius, Space, Type, colors
from app.ui.theme import font as theme_font

BODY_HEIGHT = 260  # pixels: an open trace scrolls past this
FOLD_MS = 200  # the fold's animation
DOTS_MS = 100  # the "Thinking…" dots: 10 frames a second (only they repaint)
RULE = 3  # pixels: the accent line down the block's left edge
MARK = 16  # pixels: the brain before the header

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


class ThinkingDots(QWidget):
    """Three dots that pulse while QwQ thinks: a QTimer at DOTS_MS repaints only this
    small widget (no relayout, nothing per token), and stops with the thinking."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("thinkingDots")
        self.setFixedSize(QSize(26, 14))
        self.timer = QTimer(self)
        self.timer.setInterval(DOTS_MS)
        self.timer.timeout.connect(self._tick)
        self.phase = 0
        self._running = False
        self.hide()

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        self._running = True
        self.show()
        if self.isVisible():
            self.timer.start()

    def stop(self) -> None:
        self._running = False
        self.timer.stop()
        self.hide()

    def showEvent(self, event: QShowEvent) -> None:
        if self._running and not self.timer.isActive():
            self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self.timer.stop()  # off screen (another conversation shown): nothing to draw

    def _tick(self) -> None:
        self.phase = (self.phase + 1) % 12
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        accent = QColor(colors().accent)
        r = 2.5
        for i in range(3):
            # Each dot brightens in turn: a wave from left to right, 1.2 s a cycle.
            step = (self.phase - 3 * i) % 12
            accent.setAlphaF(1.0 if step < 3 else 0.3)
            painter.setBrush(accent)
            cx = 4 + i * 9
            painter.drawEllipse(QRectF(cx - r, self.height() / 2 - r, 2 * r, 2 * r))


class ReasoningBlock(QWidget):
    beside_requested = Signal(object)  # this block: the user wants it beside the answer
    grew = Signal(str)  # a live trace grew by this text (the side panel follows it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reasoningBlock")
        self._live_texts: tuple[str, str, str] | None = None  # see _update_label
        self.header = QToolButton(self)
        self.header.setObjectName("reasoningHeader")
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        # The fold's chevron after the text ("Thought for 42 s ›"), as chat apps put it.
        self.header.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
        self.header.setIconSize(QSize(14, 14))
        self.header.setAutoRaise(True)
        self.header.setCheckable(True)
        self.header.toggled.connect(self._set_open)
        self._dots: ThinkingDots | None = None  # made when a trace first streams
        self.body = LongPlainText(self)
        self.body.setObjectName("reasoningBody")
        self.body.setAccessibleName(self.tr("Reasoning"))
        self.body.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        font = theme_font(Type.BODY)
        font.setItalic(True)
        self.body.setFont(font)
        self.beside_button = QToolButton(self)
        self.beside_button.setObjectName("besideButton")
        self.beside_button.setText(self.tr("Read beside the answer"))
        self.beside_button.setIcon(icon(Icon.BESIDE))
        self.beside_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.beside_button.setToolTip(self.tr("Read beside the answer"))
        self.beside_button.setAutoRaise(True)
        self.beside_button.setAccessibleName(self.tr("Read the reasoning beside the answer"))
        self.beside_button.clicked.connect(self._beside)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(Space.XS)
        top.addSpacing(MARK + Space.XS)  # the brain: painted (paintEvent)
        top.addWidget(self.header)
        top.addStretch(1)
        top.addWidget(self.beside_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Space.S + RULE + Space.S, Space.XS, Space.XS, Space.XS)
        layout.setSpacing(Space.XS)
        layout.addLayout(top)
        layout.addWidget(self.body)
        self._top = top
        # The open body is as tall as its text, up to BODY_HEIGHT (then it scrolls): its
        # height changes when a line is added (not per token), and no more once capped.
        self._body_height = BODY_HEIGHT
        layout_of_text = self.body.document().documentLayout()
        layout_of_text.documentSizeChanged.connect(self._fit_body)
        # The fold: the body's height eases to nothing (or back), then it hides (made
        # the first time it runs).
        self._fold_animation: QVariantAnimation | None = None
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

    def _beside(self) -> None:
        self.beside_requested.emit(self)

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
        self.dots.start()
        self._update_label()

    @property
    def dots(self) -> ThinkingDots:
        """The live indicator beside the header (made the first time it is needed)."""
        if self._dots is None:
            self._dots = ThinkingDots(self)
            self._top.insertWidget(2, self._dots)
        return self._dots

    def stop_dots(self) -> None:
        if self._dots is not None:
            self._dots.stop()

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
        self.stop_dots()
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
        self.header.setIcon(icon(Icon.UNFOLDED if on else Icon.FOLDED))
        # Folded or not: the header is a toggle button (checked: open), and says so.
        self.header.setAccessibleDescription(
            self.tr("Reasoning shown; Space hides it")
            if on
            else self.tr("Reasoning hidden; Space shows it")
        )
        if on:
            self._sync_view()
        if self._fold_animation is not None:
            self._fold_animation.stop()
        if not self.isVisible():  # (being built, or off screen): no animation to see
            self.body.setFixedHeight(self._body_height)
            self.body.setVisible(on)
            return
        # A smooth fold: the body's height eases between its own and none (FOLD_MS);
        # at the end it is hidden (folded) or back to its full height (open).
        now = self.body.height() if self.body.isVisible() else 0
        self.body.setMinimumHeight(0)
        self.body.setMaximumHeight(now)
        self.body.show()
        fold = self._fold
        fold.setStartValue(now)
        fold.setEndValue(self._body_height if on else 0)
        fold.start()

    @property
    def _fold(self) -> QVariantAnimation:
        if self._fold_animation is None:
            fold = QVariantAnimation(self)
            fold.setDuration(FOLD_MS)
            fold.setEasingCurve(QEasingCurve.Type.OutCubic)
            fold.valueChanged.connect(lambda h: self.body.setMaximumHeight(int(h)))
            fold.finished.connect(self._fold_done)
            self._fold_animation = fold
        return self._fold_animation

    def _fit_body(self) -> None:
        """The open body's height for its text (in lines, from the plain text layout)."""
        lines = max(1, int(self.body.document().documentLayout().documentSize().height()))
        margin = 2 * (self.body.document().documentMargin() + self.body.frameWidth()) + 4
        height = min(BODY_HEIGHT, lines * self.body.fontMetrics().lineSpacing() + int(margin))
        if height == self._body_height:
            return
        self._body_height = height
        if not self.folding:
            self.body.setFixedHeight(height)
        elif self.is_open:
            self._fold.setEndValue(height)  # opening: to the height it has now

    @property
    def folding(self) -> bool:
        """The fold (or unfold) is being animated."""
        fold = self._fold_animation
        return fold is not None and fold.state() == QAbstractAnimation.State.Running

    def _fold_done(self) -> None:
        self.body.setFixedHeight(self._body_height)
        self.body.setVisible(self.is_open)

    def paintEvent(self, event: QPaintEvent) -> None:
        """The block's surface: rounded, with the accent line down its left edge."""
        c = colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(c.thinking_surface))
        area = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.drawRoundedRect(area, Radius.CARD, Radius.CARD)
        painter.setBrush(QColor(c.thinking_rule))
        rule = QRectF(Space.S, Space.S, RULE, max(0.0, self.height() - 2 * Space.S))
        painter.drawRoundedRect(rule, RULE / 2, RULE / 2)
        painter.end()
        left = Space.S + RULE + Space.S  # the layout's left margin
        paint_mark(self, Icon.THINKING, MARK, left, self.header.geometry().center().y())

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
        look.setFontWeight(QFont.Weight.Bold)
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
