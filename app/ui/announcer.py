"""What a screen reader says about a reply without reading it token by token.

A reply streams for minutes; announcing every token (or every change of the trace's
text) would drown the user. Instead the reply says three things, politely (after what
the screen reader is saying now): "QwQ is thinking", "Thought for 42 s", then the
answer once it is complete. Each goes out as Qt's accessibility announcement event
(``QAccessibleAnnouncementEvent``, Qt 6.8+), which the platform bridge (AT-SPI on
Linux, UIA on Windows, NSAccessibility on macOS) turns into a spoken message.

``announced`` is emitted with every announcement, after the event was sent: a test (or
a log) can hear what a screen reader was told without a screen reader.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QTextDocument

SPOKEN_CHARS = 4_000  # an answer longer than this is announced up to here (then "…")


class Announcer(QObject):
    """The app's one voice to screen readers (:func:`announcer`)."""

    announced = Signal(str)  # the text, once its event was sent

    def say(self, source: QObject, text: str, *, assertive: bool = False) -> None:
        """Announce ``text`` on behalf of ``source`` (a widget on screen)."""
        if not text:
            return
        event = QAccessibleAnnouncementEvent(source, text)
        event.setPoliteness(
            QAccessible.AnnouncementPoliteness.Assertive
            if assertive
            else QAccessible.AnnouncementPoliteness.Polite
        )
        QAccessible.updateAccessibility(event)
        self.announced.emit(text)


def spoken(markdown: str) -> str:
    """An answer as a screen reader should hear it: the text without Markdown's marks
    (a long one cut: the reader goes on in the answer itself)."""
    document = QTextDocument()
    document.setMarkdown(markdown[:SPOKEN_CHARS])
    text = document.toPlainText().strip()
    return text + "…" if len(markdown) > SPOKEN_CHARS else text


_ANNOUNCER: Announcer | None = None


def announcer() -> Announcer:
    """The one announcer (made on first use, on the GUI thread)."""
    global _ANNOUNCER
    if _ANNOUNCER is None:
        _ANNOUNCER = Announcer()
    return _ANNOUNCER
