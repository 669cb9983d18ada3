"""The status bar's context meter: the model's load, then how full its context is.

Hidden until a model loads; during a load it shows llama.cpp's progress, then the tokens
of context the reply on screen uses, out of the engine's context length: counted as the
reply streams (its prompt and the tokens so far), exact when it ends.

It is drawn calm: its text in the muted color, then a slim rounded bar (a progress bar
still, to screen readers and to code: ``value``, ``maximum``, ``format``). A new value
repaints this small widget only.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QProgressBar, QWidget

from app.core.i18n import QT_TRANSLATE_NOOP
from app.ui.theme import Space, colors

CONTEXT_FORMAT = QT_TRANSLATE_NOOP("ContextMeter", "context %v / %m tokens")
BAR_WIDTH = 72  # the slim bar, right of the text
BAR_HEIGHT = 4


class ContextMeter(QProgressBar):
    """A progress bar with two uses: a model's load and the context in use."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contextMeter")
        self.setAccessibleName(self.tr("Context in use"))
        self.setFormat(self.tr(CONTEXT_FORMAT))
        self.hide()

    def loading(self) -> None:
        """A load began: its progress shows from 0%."""
        self.setRange(0, 100)
        self.setFormat(self.tr("loading %p%"))
        self.setValue(0)
        self.updateGeometry()
        self.show()

    def load_progress(self, fraction: float) -> None:
        self.setValue(int(fraction * 100))

    def ready(self, context_length: int) -> None:
        """An engine is in use: the meter counts its context from now."""
        self.setRange(0, context_length)
        self.setFormat(self.tr(CONTEXT_FORMAT))
        self.setValue(0)
        self.updateGeometry()  # as wide as its longest text at this length

    def used(self, tokens: int) -> None:
        """The reply on screen has ``tokens`` in its context (so far, or at its end)."""
        self.setValue(min(tokens, self.maximum()))

    # -- its look ------------------------------------------------------------------------

    def _widest_text(self) -> str:
        top = str(self.maximum())
        return self.format().replace("%v", top).replace("%m", top).replace("%p", "100")

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        width = fm.horizontalAdvance(self._widest_text()) + Space.S + BAR_WIDTH + Space.XS
        return QSize(width, fm.height() + 2)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        c = colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.rect()
        bar = QRectF(
            rect.right() - BAR_WIDTH - Space.XS + 1,
            rect.center().y() - BAR_HEIGHT / 2 + 1,
            BAR_WIDTH,
            BAR_HEIGHT,
        )
        text_rect = rect.adjusted(0, 0, -(BAR_WIDTH + Space.XS + Space.S), 0)
        painter.setPen(QColor(c.muted))
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.text()
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(c.raised))
        painter.drawRoundedRect(bar, BAR_HEIGHT / 2, BAR_HEIGHT / 2)
        span = max(1, self.maximum() - self.minimum())
        done = (self.value() - self.minimum()) / span if self.value() >= self.minimum() else 0.0
        if done > 0:
            fill = QRectF(bar)
            fill.setWidth(max(BAR_HEIGHT, bar.width() * min(done, 1.0)))
            painter.setBrush(QColor(c.accent))
            painter.drawRoundedRect(fill, BAR_HEIGHT / 2, BAR_HEIGHT / 2)
        painter.end()
