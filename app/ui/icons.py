"""The app's icons: SVG files in ``resources/icons/lucide`` drawn in the theme's colors.

Lucide's icons are strokes in ``currentColor``. :func:`icon` returns a ``QIcon`` whose
engine draws the SVG at the size asked for, at the screen's pixel ratio (sharp at 125,
150 and 200 %), in the text color of the palette in use when it is drawn: a switch
between light and dark needs no new icons. A disabled button's icon is drawn in the
disabled color. The names the window uses are the :class:`Icon` members, so an icon
missing from ``resources/`` fails a test rather than showing nothing.
"""

from __future__ import annotations

from enum import Enum
from functools import cache, lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QWidget

from app.ui.theme import colors

FOLDER = Path(__file__).resolve().parent.parent.parent / "resources" / "icons" / "lucide"


class Icon(Enum):
    """What each icon is for, and its file."""

    NEW_CHAT = "square-pen"
    SEARCH = "search"
    PIN = "pin"
    UNPIN = "pin-off"
    DELETE = "trash-2"
    RENAME = "pencil"
    EDIT = "pencil"
    SETTINGS = "settings"
    MODELS = "box"
    REMOTE = "cloud"
    SYSTEM_PROMPT = "scroll-text"
    SEND = "arrow-up"
    STOP = "square"
    ANSWER_NOW = "zap"
    COPY = "copy"
    COPY_WITH_REASONING = "clipboard-list"
    REGENERATE = "refresh-cw"
    PREVIOUS = "chevron-left"
    NEXT = "chevron-right"
    FOLDED = "chevron-right"
    UNFOLDED = "chevron-down"
    THINKING = "brain"
    QWQ = "sparkles"
    BESIDE = "panel-right"
    CONTINUE = "play"
    STEER = "signpost"
    DOWNLOAD = "download"
    OPEN_FILE = "folder-open"
    API = "plug"
    UNDO = "undo-2"
    CLOSE = "x"
    TOOL = "wrench"
    ATTACH = "paperclip"
    FILE = "file-text"
    LIBRARY = "library"
    DONE = "check"
    WARNING = "triangle-alert"
    INFO = "info"
    USER = "user"
    PAUSE = "pause"
    MORE = "ellipsis"
    CPU = "cpu"
    DISK = "hard-drive"


@cache
def _svg(name: str) -> str:
    return (FOLDER / f"{name}.svg").read_text(encoding="utf-8")


@cache
def _renderer(name: str, color: str) -> QSvgRenderer:
    data = _svg(name).replace("currentColor", color)
    return QSvgRenderer(QByteArray(data.encode()))


class _TintedSvg(QIconEngine):
    """Draws one SVG in a color picked at paint time (the palette's, or a fixed one)."""

    def __init__(self, name: str, color: str | None) -> None:
        super().__init__()
        self._name = name
        self._color = color

    def _color_for(self, mode: QIcon.Mode) -> str:
        palette = QGuiApplication.palette()
        role, group = QPalette.ColorRole, QPalette.ColorGroup
        if mode == QIcon.Mode.Disabled:
            return palette.color(group.Disabled, role.ButtonText).name()
        if self._color is not None:
            return QColor(self._color).name()
        if mode == QIcon.Mode.Selected:
            return palette.color(role.HighlightedText).name()
        return palette.color(role.ButtonText).name()

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        side = min(rect.width(), rect.height())
        square = QRect(0, 0, side, side)
        square.moveCenter(rect.center())
        _renderer(self._name, self._color_for(mode)).render(painter, square)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        if size.isEmpty():
            return QPixmap()  # (a button laid out smaller than its icon, for a moment)
        pixmap = QPixmap(size * scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self.paint(painter, QRect(QPoint(0, 0), size * scale), mode, state)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        return size

    def clone(self) -> QIconEngine:
        return _TintedSvg(self._name, self._color)

    def key(self) -> str:
        return "qwq-tinted-svg"


@cache
def icon(which: Icon, color: str | None = None) -> QIcon:
    """``which`` drawn in the palette's button text color (or ``color``, e.g. on the accent).

    One QIcon per icon and color, shared by every button that shows it: it is drawn in
    the palette's colors at paint time, so one serves both themes."""
    return QIcon(_TintedSvg(which.value, color))


@lru_cache(maxsize=64)
def _mark_pixmap(which: Icon, side: int, ratio: float, color: str) -> QPixmap:
    return icon(which, color).pixmap(QSize(side, side), ratio)


def paint_mark(widget: QWidget, which: Icon, side: int, x: int, center_y: int) -> None:
    """Draw an accent-colored icon (QwQ's mark, the brain) on ``widget``: a picture, not a
    control, so no widget of its own (fewer widgets: a long conversation opens faster).
    The color is the theme's at paint time; each size is rendered once per screen."""
    pixmap = _mark_pixmap(which, side, widget.devicePixelRatioF(), colors().accent)
    painter = QPainter(widget)
    painter.drawPixmap(x, center_y - side // 2, pixmap)
    painter.end()


def exists(which: Icon) -> bool:
    return (FOLDER / f"{which.value}.svg").is_file()
