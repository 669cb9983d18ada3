"""The one route for messages to the user: errors, notices and progress, in the status bar.

Every part of the window says things to the user ("Could not load the model: …",
"Search failed: …", a download's progress, "Restoring conversation…"). They used to
write into whichever label was at hand, so an error overwrote the model's name and
a newcomer could not tell where a message would show. Now they all post here, and
this object decides where each lands:

- the **model label** (left) shows the model in use, its description, and nothing else;
- the **notice label** beside it shows the latest notice from any part;
- a **source with its own place** (the download's progress, the warm keeper's
  "Warm") shows in its own label on the right, so it neither hides nor is hidden by
  an error elsewhere.

Parts that only have a sentence to say emit a ``notice(str)`` or ``failed(str)``
signal; the window connects it to :meth:`Notices.info` or :meth:`Notices.error`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QObject, QRect, QSize, QTimer, Signal
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.core.i18n import QT_TRANSLATE_NOOP
from app.ui.icons import Icon, icon

NoticeKind = Literal["info", "error", "progress"]

# Sources shown in a place of their own (right of the bar), in this order.
NO_MODEL = QT_TRANSLATE_NOOP(
    "Notices", "No model loaded"
)  # the model label when no engine is in use
OWN_PLACE = ("download", "warm")


class IconMark(QWidget):
    """A small icon beside a label (the chip before the model's name): drawn at paint
    time, so it follows a theme switch; decoration only, so not focusable."""

    def __init__(self, which: Icon, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._icon = icon(which)
        side = self.fontMetrics().height()
        self.setFixedSize(QSize(side + 4, side))

    def paintEvent(self, event: QPaintEvent) -> None:
        side = self.height()
        painter = QPainter(self)
        self._icon.paint(painter, QRect(4, 0, side, side))
        painter.end()


@dataclass(frozen=True)
class Notice:
    """One message to the user. ``source`` names the part that says it: a newer notice
    from the same source replaces it, and ``clear(source)`` takes it away."""

    text: str
    kind: NoticeKind = "info"
    source: str = "app"
    timeout_ms: int = 0  # 0: it stays until replaced or cleared
    tooltip: str = ""
    tooltip_only: bool = False  # only say why (in the tooltip); the text stays as it is


class Notices(QObject):
    """The status bar's messages. ``posted`` tells listeners (tests, a log) what was said."""

    posted = Signal(object)  # a Notice

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.model_label = QLabel(self.tr(NO_MODEL))
        self.model_label.setObjectName("modelLabel")
        self.notice_label = QLabel("")
        self.notice_label.setObjectName("noticeLabel")
        self.notice_label.setWordWrap(False)
        self.notice_label.setIndent(16)  # apart from the model's name: a notice, not its name
        self.model_icon = IconMark(Icon.CPU)
        bar.addWidget(self.model_icon)
        bar.addWidget(self.model_label)
        bar.addWidget(self.notice_label, 1)
        self._labels: dict[str, QLabel] = {"": self.notice_label}
        for source in OWN_PLACE:
            label = QLabel("")
            label.setObjectName(f"{source}Label")
            bar.addPermanentWidget(label)
            self._labels[source] = label
        self._shown: dict[str, Notice] = {}  # by label ("" for the shared one)
        self._timers: dict[str, QTimer] = {}

    # -- the model in use -------------------------------------------------------------

    def set_model(self, description: str, tooltip: str = "") -> None:
        """The model label: the engine's description (with its load note, if any)."""
        self.model_label.setText(description)
        self.model_label.setToolTip(tooltip)

    # -- notices ----------------------------------------------------------------------

    def show(
        self,
        text: str,
        kind: NoticeKind = "info",
        *,
        source: str = "app",
        timeout_ms: int = 0,
        tooltip: str = "",
    ) -> None:
        self.post(Notice(text, kind, source, timeout_ms, tooltip))

    def post(self, notice: Notice) -> None:
        """Show ``notice`` in its source's place (an empty text clears that place)."""
        place = self._place(notice.source)
        label = self._labels[place]
        if notice.tooltip_only:
            label.setToolTip(notice.tooltip)
            _set_kind(label, notice.kind)
            self.posted.emit(notice)
            return
        label.setText(notice.text)
        label.setToolTip(notice.tooltip)
        _set_kind(label, notice.kind)
        self._shown[place] = notice
        timer = self._timers.get(place)
        if timer is not None:
            timer.stop()
        if notice.timeout_ms and notice.text:
            if timer is None:
                timer = QTimer(self)
                timer.setSingleShot(True)
                timer.timeout.connect(lambda p=place: self._expire(p))
                self._timers[place] = timer
            timer.start(notice.timeout_ms)
        self.posted.emit(notice)

    def info(self, text: str) -> None:
        """A slot for a part's ``notice(str)`` signal."""
        self.show(text)

    def error(self, text: str) -> None:
        """A slot for a part's ``failed(str)`` signal."""
        self.show(text, "error")

    def clear(self, source: str) -> None:
        """Take away what ``source`` said, if it is still on screen."""
        place = self._place(source)
        shown = self._shown.get(place)
        if shown is not None and shown.source == source:
            self.post(Notice("", "info", source))

    def text(self, source: str | None = None) -> str:
        """What is on screen: from ``source``, or in the shared place (None)."""
        if source is None:
            return self.notice_label.text()
        shown = self._shown.get(self._place(source))
        return shown.text if shown is not None and shown.source == source else ""

    def tooltip(self, source: str) -> str:
        return self._labels[self._place(source)].toolTip()

    def current(self) -> Notice | None:
        """The notice in the shared place (None: nothing said yet)."""
        shown = self._shown.get("")
        return shown if shown is not None and shown.text else None

    def _place(self, source: str) -> str:
        return source if source in OWN_PLACE else ""

    def _expire(self, place: str) -> None:
        shown = self._shown.get(place)
        if shown is not None:
            self.post(Notice("", "info", shown.source))


def _set_kind(label: QLabel, kind: NoticeKind) -> None:
    """The label's ``kind`` (an error shows in the danger color): restyled only when it
    changes, not at each of a download's progress notices."""
    if label.property("kind") != kind:
        label.setProperty("kind", kind)
        label.style().unpolish(label)
        label.style().polish(label)
