"""The reasoning trace attached to an answer: live while QwQ thinks, folded after.

While thinking the block is open and streams, headed "Thinking… 12 s · 480 tokens".
When the answer begins it folds to "Thought for 42 s · 3,412 tokens"; a click (or
Space/Enter on the header) opens it again. A stored trace is put into the text view
only the first time it is opened, a slice per turn of the event loop (a 5 MB trace on
one line froze the window for seconds; see long_text).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from app.core.format import duration
from app.ui.long_text import LongPlainText


class ReasoningBlock(QWidget):
    beside_requested = Signal()  # the user wants to read the trace beside the answer

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QToolButton(self)
        self.header.setObjectName("reasoningHeader")
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setAutoRaise(True)
        self.header.setCheckable(True)
        self.header.toggled.connect(self._set_open)
        self.body = LongPlainText(self)
        self.body.setObjectName("reasoningBody")
        self.body.setMaximumHeight(260)
        self.body.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        font = QFont(self.body.font())
        font.setItalic(True)
        self.body.setFont(font)
        self.beside_button = QToolButton(self)
        self.beside_button.setText("Read beside the answer")
        self.beside_button.setAutoRaise(True)
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
        self._shown_parts = 0  # how many of the parts the view holds
        self.tokens = 0
        self.seconds = 0.0
        self.thinking = False
        self.finished = True
        self._set_open(False)

    # -- content -----------------------------------------------------------------------

    @property
    def text(self) -> str:
        return "".join(self._text_parts)

    def start(self) -> None:
        """A new trace begins streaming: open, empty, "Thinking…"."""
        self.thinking = True
        self.finished = False
        self.header.setChecked(True)
        self._update_label()

    def append(self, text: str, tokens: int, seconds: float) -> None:
        self._text_parts.append(text)
        self.tokens, self.seconds = tokens, seconds
        if self.is_open:
            self._sync_view()
        self._update_label()

    def conclude(self, *, tokens: int, seconds: float, finished: bool) -> None:
        """The answer began or the reply ended: fold, with the final figures."""
        self.thinking = False
        self.tokens, self.seconds, self.finished = tokens, seconds, finished
        self.header.setChecked(False)
        self._update_label()

    def set_stored(self, text: str, *, tokens: int, seconds: float, finished: bool) -> None:
        """A trace from the store: folded, and rendered only when opened."""
        self._text_parts = [text]
        self._shown_parts = 0
        self.body.set_text("")
        self.conclude(tokens=tokens, seconds=seconds, finished=finished)

    # -- view --------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.header.isChecked()

    def _set_open(self, on: bool) -> None:
        self.header.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        if on:
            self._sync_view()
        self.body.setVisible(on)

    def _sync_view(self) -> None:
        """Append only what the view does not hold yet (cost per token stays flat)."""
        if self._shown_parts == len(self._text_parts):
            return
        # The view follows the stream only while the reader is at the end.
        self.body.append_text("".join(self._text_parts[self._shown_parts :]))
        self._shown_parts = len(self._text_parts)

    def _update_label(self) -> None:
        figures = f"{duration(self.seconds)} · {self.tokens:,} tokens"
        if self.thinking:
            label = f"Thinking… {figures}"
        elif self.finished:
            label = f"Thought for {figures}"
        else:
            label = f"Thinking stopped after {figures} (unfinished)"
        self.header.setText(label)
