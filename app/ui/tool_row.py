"""The row above the chat: the conversation's title, then icon buttons for the system
prompt, models, a remote endpoint and settings.

The row only says what was asked for; the window connects each request to the part
that does it (see ``MainWindow._connect_signals``). Each button is an icon with a
tooltip and an accessible name (a screen reader says "Models", not "button").
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractButton, QHBoxLayout, QLabel, QToolButton, QWidget

from app.core.i18n import QT_TRANSLATE_NOOP
from app.ui.icons import Icon, icon
from app.ui.theme import Space

REMOTE_TIP = QT_TRANSLATE_NOOP(
    "ToolRow", "Run QwQ on DashScope, a vLLM or llama-server machine, or any URL"
)
ICON_SIZE = QSize(18, 18)


def icon_button(which: Icon, name: str, tip: str, parent: QWidget | None = None) -> QToolButton:
    """A flat button showing only ``which``: ``name`` for screen readers, ``tip`` on hover."""
    button = QToolButton(parent)
    button.setIcon(icon(which))
    button.setIconSize(ICON_SIZE)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    button.setAutoRaise(True)
    return button


class ElidedLabel(QLabel):
    """One line that ends in "…" when it does not fit (the whole text is its tooltip)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setMinimumWidth(0)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self.setAccessibleName(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self._full), super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = self.contentsRect().width()
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width))


class ToolRow(QWidget):
    """The title on the left, buttons on the right; the system prompt's button is its
    own part, put in here."""

    models_requested = Signal()
    remote_requested = Signal()
    settings_requested = Signal()

    def __init__(
        self,
        system_button: QAbstractButton,
        parent: QWidget | None = None,
        *,
        extra: tuple[QAbstractButton, ...] = (),
    ) -> None:
        super().__init__(parent)
        self.setObjectName("toolRow")
        self.title = ElidedLabel(self)
        self.title.setObjectName("conversationTitle")
        self.models_button = icon_button(
            Icon.MODELS, self.tr("Models"), self.tr("Models: download, choose, delete"), self
        )
        self.models_button.setObjectName("modelsButton")
        self.models_button.clicked.connect(self.models_requested)
        self.remote_button = icon_button(Icon.REMOTE, self.tr("Remote…"), self.tr(REMOTE_TIP), self)
        self.remote_button.setObjectName("remoteButton")
        self.remote_button.clicked.connect(self.remote_requested)
        self.settings_button = icon_button(
            Icon.SETTINGS, self.tr("Settings"), self.tr("Settings (Ctrl+,)"), self
        )
        self.settings_button.setObjectName("settingsButton")
        self.settings_button.clicked.connect(self.settings_requested)
        row = QHBoxLayout(self)
        row.setContentsMargins(Space.L, Space.S, Space.S, Space.XS)
        row.setSpacing(Space.XS)
        row.addWidget(self.title, 1)
        for button in (*extra, system_button, self.models_button, self.remote_button):
            row.addWidget(button)
        row.addWidget(self.settings_button)

    def set_title(self, title: str) -> None:
        """The conversation on screen's title (muted, elided when long)."""
        self.title.set_full_text(title)
