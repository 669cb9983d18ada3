"""The row of buttons above the chat: the system prompt, models, a remote endpoint, settings.

The row only says what was asked for; the window connects each request to the part
that does it (see ``MainWindow._connect_signals``).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from app.core.i18n import QT_TRANSLATE_NOOP

REMOTE_TIP = QT_TRANSLATE_NOOP(
    "ToolRow", "Run QwQ on DashScope, a vLLM or llama-server machine, or any URL"
)


class ToolRow(QWidget):
    """Buttons aligned right; the system prompt's button is its own part, put in here."""

    models_requested = Signal()
    remote_requested = Signal()
    settings_requested = Signal()

    def __init__(self, system_button: QPushButton, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.models_button = QPushButton(self.tr("Models"), self)
        self.models_button.setObjectName("modelsButton")
        self.models_button.clicked.connect(self.models_requested)
        self.remote_button = QPushButton(self.tr("Remote…"), self)
        self.remote_button.setObjectName("remoteButton")
        self.remote_button.setToolTip(self.tr(REMOTE_TIP))
        self.remote_button.clicked.connect(self.remote_requested)
        self.settings_button = QPushButton(self.tr("Settings"), self)
        self.settings_button.clicked.connect(self.settings_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addStretch(1)
        for button in (system_button, self.models_button, self.remote_button):
            row.addWidget(button)
        row.addWidget(self.settings_button)
