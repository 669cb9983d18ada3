"""A panel to read a long trace side by side with its answer.

It shows one :class:`~app.ui.reasoning_block.ReasoningBlock`'s text and, while that
trace is still being written, keeps following it: the panel listens to the block it shows
(its ``grew`` signal), so no other trace costs it anything.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QDockWidget, QWidget

from app.ui.long_text import LongPlainText
from app.ui.reasoning_block import ReasoningBlock
from app.ui.theme import Space, Type, font


class TraceBeside(QDockWidget):
    """The "Reasoning" dock: hidden until a trace is asked for; styled to match the
    reasoning block (``_reasoning`` in the style sheet)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(QCoreApplication.translate("TraceBeside", "Reasoning"), parent)
        self.setObjectName("traceDock")
        self.view = LongPlainText()  # a 5 MB trace goes in a slice per turn
        self.view.setObjectName("traceBeside")
        # Drawn like the reasoning block (its surface and accent line: the style sheet),
        # in the block's italics, with room to read.
        look = font(Type.BODY)
        look.setItalic(True)
        self.view.setFont(look)
        self.view.document().setDocumentMargin(Space.S)
        self.view.setAccessibleName(self.tr("Reasoning beside the answer"))
        self.setWidget(self.view)
        self.hide()
        self.block: ReasoningBlock | None = None  # the trace shown

    def read_beside(self, block: ReasoningBlock) -> None:
        """Show a trace in the panel (it keeps following a live one)."""
        if self.block is not None and shiboken6.isValid(self.block):
            self.block.grew.disconnect(self._grew)
        self.block = block
        block.grew.connect(self._grew)
        self.view.set_text(block.text)
        self.show()

    def _grew(self, text: str) -> None:
        if self.isVisible():
            self.view.append_text(text)
