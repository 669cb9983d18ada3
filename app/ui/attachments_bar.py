"""Files attached to the next message, in the composer: a chip each, and the total.

A file dropped on the composer, pasted, or picked with the paperclip is read on a worker
(:class:`~app.ui.worker.Job`): its chip says "Reading…" with the progress, then its size and
the tokens it takes, or in one sentence why it cannot be read. The bar adds the tokens up
against what the context leaves for a prompt; files that do not fit are said so plainly and
the message cannot be sent until some are removed: nothing is ever cut short in silence.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from app.core.attachments import Attachment
from app.core.format import size
from app.documents.attach import attachment_of
from app.documents.extract import DocumentError, extract
from app.ui.icons import Icon, icon
from app.ui.theme import Space, Type, font
from app.ui.worker import Job

MAX_FILES = 20  # files on one message


@dataclass(frozen=True, slots=True)
class _Progress:
    done: int
    total: int


class AttachmentChip(QWidget):
    """One file: its name, then "Reading… 40 %", "1.2 MB · 3,456 tokens" or why not."""

    removed = Signal(object)  # this chip

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentChip")
        self.path = path
        self.attachment: Attachment | None = None
        self.error = ""
        mark = QLabel(self)
        mark.setPixmap(icon(Icon.FILE).pixmap(16, 16))
        self.name = QLabel(path.name, self)
        self.name.setTextFormat(Qt.TextFormat.PlainText)
        self.name.setFont(font(Type.SMALL))
        self.status = QLabel(self.tr("Reading…"), self)
        self.status.setObjectName("attachmentStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setFont(font(Type.SMALL))
        self.remove_button = QToolButton(self)
        self.remove_button.setIcon(icon(Icon.CLOSE))
        self.remove_button.setAccessibleName(self.tr("Remove {name}").format(name=path.name))
        self.remove_button.setToolTip(self.remove_button.accessibleName())
        self.remove_button.clicked.connect(self._remove)
        row = QHBoxLayout(self)
        row.setContentsMargins(Space.S, 2, 2, 2)
        row.setSpacing(Space.XS)
        for w in (mark, self.name, self.status, self.remove_button):
            row.addWidget(w)
        self.setAccessibleName(path.name)

    @property
    def ready(self) -> bool:
        return self.attachment is not None

    def show_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.status.setText(self.tr("Reading… {percent} %").format(percent=100 * done // total))

    def show_read(self, attachment: Attachment) -> None:
        self.attachment = attachment
        self.status.setText(
            self.tr("{size} · {tokens:,} tokens").format(
                size=size(attachment.size), tokens=attachment.tokens
            )
        )
        self.setAccessibleDescription(self.status.text())

    def show_error(self, why: str) -> None:
        self.error = why
        self.status.setText(why)
        self.status.setProperty("error", True)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.setAccessibleDescription(why)

    def _remove(self) -> None:
        self.removed.emit(self)


class AttachmentsBar(QWidget):
    """The files for the next message (hidden when there are none)."""

    changed = Signal()  # a file was added, read, failed or removed
    search_instead = Signal(list)  # the files (Paths) to index as a collection instead

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentsBar")
        # Tokens are counted with the model in use (an estimate without one).
        self.count_tokens: Callable[[str], int] = lambda text: len(text) // 3 + 1
        self.room = 0  # tokens the context leaves for a prompt (0: unknown)
        self.chips: list[AttachmentChip] = []
        self._chips_row = QHBoxLayout()
        self._chips_row.setContentsMargins(0, 0, 0, 0)
        self._chips_row.setSpacing(Space.XS)
        self._chips_row.addStretch(1)
        self.total = QLabel(self)
        self.total.setObjectName("attachmentsTotal")
        self.total.setTextFormat(Qt.TextFormat.PlainText)
        self.total.setWordWrap(True)
        self.total.setFont(font(Type.SMALL))
        # Files too big for the context: search them (a collection of their own) instead.
        self.search_button = QToolButton(self)
        self.search_button.setObjectName("searchInstead")
        self.search_button.setText(self.tr("Search them instead"))
        self.search_button.setToolTip(
            self.tr(
                "Index these files on this machine as a collection of their own: QwQ then "
                "searches them and cites the passages it uses"
            )
        )
        self.search_button.setAccessibleName(self.search_button.text())
        self.search_button.clicked.connect(self._search_instead)
        self.search_button.hide()
        totals = QHBoxLayout()
        totals.setContentsMargins(0, 0, 0, 0)
        totals.addWidget(self.total, 1)
        totals.addWidget(self.search_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addLayout(self._chips_row)
        column.addLayout(totals)
        self.hide()

    # -- what the composer asks ----------------------------------------------------------

    def add(self, path: Path) -> None:
        """Read ``path`` on a worker; its chip shows at once."""
        if len(self.chips) >= MAX_FILES or any(c.path == path for c in self.chips):
            return
        chip = AttachmentChip(path, self)
        chip.removed.connect(self._remove)
        self.chips.append(chip)
        self._chips_row.insertWidget(self._chips_row.count() - 1, chip)
        self.show()
        count = self.count_tokens
        job = Job(lambda: _read(path, count), self)
        job.items.connect(lambda items, c=chip: self._take(c, items))
        job.failed.connect(lambda e, c=chip: self._failed(c, e))
        job.start()
        self._update()

    def attachments(self) -> list[Attachment]:
        return [c.attachment for c in self.chips if c.attachment is not None]

    @property
    def blocking(self) -> str | None:
        """Why the message cannot be sent with these files now, or None."""
        if any(not c.ready and not c.error for c in self.chips):
            return self.tr("Wait until the files are read.")
        if any(c.error for c in self.chips):
            return self.tr("Remove the files that cannot be read.")
        if self.room and self.tokens > self.room:
            return self.total.text()
        return None

    @property
    def tokens(self) -> int:
        return sum(a.tokens for a in self.attachments())

    def _search_instead(self) -> None:
        paths = [c.path for c in self.chips if c.ready]
        self.clear()
        self.search_instead.emit(paths)

    def say(self, text: str) -> None:
        """Tell why the message was not sent (under the chips)."""
        self.total.setText(text)

    def clear(self) -> None:
        for chip in list(self.chips):
            self._remove(chip)

    # -- the worker's results --------------------------------------------------------------

    def _take(self, chip: AttachmentChip, items: list[object]) -> None:
        if chip not in self.chips:
            return  # removed while it was read
        for item in items:
            if isinstance(item, _Progress):
                chip.show_progress(item.done, item.total)
            elif isinstance(item, Attachment):
                chip.show_read(item)
            elif isinstance(item, str):
                chip.show_error(item)
        self._update()

    def _failed(self, chip: AttachmentChip, error: object) -> None:
        if chip in self.chips:
            chip.show_error(str(error))
            self._update()

    def _remove(self, chip: AttachmentChip) -> None:
        if chip in self.chips:
            self.chips.remove(chip)
            chip.deleteLater()
        self.setVisible(bool(self.chips))
        self._update()

    def _update(self) -> None:
        tokens = self.tokens
        if not self.chips:
            self.total.setText("")
        elif self.room and tokens > self.room:
            self.total.setText(
                self.tr(
                    "These files need {tokens:,} tokens and the context leaves {room:,} for the "
                    "message: remove some, search them instead, or load the model with a "
                    "longer context."
                ).format(tokens=tokens, room=self.room)
            )
        elif self.room:
            self.total.setText(
                self.tr("{tokens:,} of {room:,} tokens").format(tokens=tokens, room=self.room)
            )
        else:
            self.total.setText(self.tr("{tokens:,} tokens").format(tokens=tokens))
        over = bool(self.room) and tokens > self.room
        self.search_button.setVisible(over)
        self.total.setProperty("error", over)
        self.total.style().unpolish(self.total)
        self.total.style().polish(self.total)
        self.changed.emit()


def _read(path: Path, count: Callable[[str], int]) -> Iterator[object]:
    """On a worker: progress as it comes, then the attachment, or the sentence saying why
    not (the extraction reports progress by a callback: a queue turns it into items)."""
    items: queue.Queue[object] = queue.Queue()

    def run() -> None:
        try:
            doc = extract(path, progress=lambda done, total: items.put(_Progress(done, total)))
            items.put(attachment_of(doc, count))
        except DocumentError as e:
            items.put(str(e))
        except Exception as e:  # a bug must not leave the chip reading forever
            items.put(f"{type(e).__name__}: {e}")
        finally:
            items.put(None)

    threading.Thread(target=run, name="qwq-attach", daemon=True).start()
    while (item := items.get()) is not None:
        yield item
