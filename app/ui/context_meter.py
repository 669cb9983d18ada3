"""The status bar's context meter: the model's load, then how full its context is.

Hidden until a model loads; during a load it shows llama.cpp's progress, then the tokens
of context the reply on screen uses, out of the engine's context length: counted as the
reply streams (its prompt and the tokens so far), exact when it ends.
"""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QWidget

from app.core.i18n import QT_TRANSLATE_NOOP

CONTEXT_FORMAT = QT_TRANSLATE_NOOP("ContextMeter", "context %v / %m tokens")


class ContextMeter(QProgressBar):
    """A progress bar with two uses: a model's load and the context in use."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedWidth(230)
        self.setAccessibleName(self.tr("Context in use"))
        self.setFormat(self.tr(CONTEXT_FORMAT))
        self.hide()

    def loading(self) -> None:
        """A load began: its progress shows from 0%."""
        self.setRange(0, 100)
        self.setFormat(self.tr("loading %p%"))
        self.setValue(0)
        self.show()

    def load_progress(self, fraction: float) -> None:
        self.setValue(int(fraction * 100))

    def ready(self, context_length: int) -> None:
        """An engine is in use: the meter counts its context from now."""
        self.setRange(0, context_length)
        self.setFormat(self.tr(CONTEXT_FORMAT))
        self.setValue(0)

    def used(self, tokens: int) -> None:
        """The reply on screen has ``tokens`` in its context (so far, or at its end)."""
        self.setValue(min(tokens, self.maximum()))
