"""Plain text of any length, shown without freezing the window.

Laying out one 5 MB line took Qt 5.4 s on the GUI thread. Here the text goes into a
read-only ``QPlainTextEdit`` (which lays out only the lines on screen), a slice per
turn of the event loop, and a line longer than ``DISPLAY_LINE`` characters is shown
as several lines. Only the display is cut: the text itself (``text``, Copy, the
store, exports) stays whole.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QTimer
from PySide6.QtGui import QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

DISPLAY_LINE = 1_000  # characters per displayed line, at most
SLICE = 64_000  # characters put into the view per turn of the event loop


_PLAIN = QTextCharFormat()  # the view's own font and colour


class LongPlainText(QPlainTextEdit):
    """A read-only view fed a slice at a time; it follows the end while the reader is there."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self._parts: list[str] = []
        # Not in the view yet: slices, each with its look (None: the view's own).
        self._waiting: deque[tuple[str, QTextCharFormat | None]] = deque()
        self._column = 0  # characters on the view's last line
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._feed)

    @property
    def text(self) -> str:
        """Everything appended, whole (not cut into display lines)."""
        return "".join(self._parts)

    @property
    def filling(self) -> bool:
        """Some of the text is not in the view yet."""
        return bool(self._waiting)

    def set_text(self, text: str) -> None:
        self._parts.clear()
        self._waiting.clear()
        self._column = 0
        self.clear()
        self.append_text(text)

    def append_text(self, text: str, look: QTextCharFormat | None = None) -> None:
        """Add ``text`` (in ``look``, e.g. the muted italics of an inserted part)."""
        if not text:
            return
        self._parts.append(text)
        self._queue(text, look)

    def append_label(self, label: str, look: QTextCharFormat) -> None:
        """Show ``label`` (a note such as "inserted by QwQ Desktop"): on screen only,
        never in ``text``."""
        self._queue(label, look)

    def _queue(self, text: str, look: QTextCharFormat | None) -> None:
        for i in range(0, len(text), SLICE):
            self._waiting.append((text[i : i + SLICE], look))
        if len(text) <= SLICE and len(self._waiting) == 1:
            self._feed()  # a token or a short text: at once
        elif not self._timer.isActive():
            self._timer.start()

    def _feed(self) -> None:
        if not self._waiting:
            return
        text, look = self._waiting.popleft()
        piece = self._display_lines(text)
        bar = self.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        # Always an explicit look: text after an inserted part must not inherit its own.
        cursor.insertText(piece, look if look is not None else _PLAIN)
        if at_end:
            bar.setValue(bar.maximum())
        if self._waiting:
            self._timer.start()

    def _display_lines(self, text: str) -> str:
        """``text`` with a line break after every DISPLAY_LINE characters of a line."""
        out: list[str] = []
        for n, line in enumerate(text.split("\n")):
            if n:
                out.append("\n")
                self._column = 0
            start = 0
            while len(line) - start > DISPLAY_LINE - self._column:
                take = DISPLAY_LINE - self._column
                out.append(line[start : start + take])
                out.append("\n")
                start += take
                self._column = 0
            out.append(line[start:])
            self._column += len(line) - start
        return "".join(out)
