"""Document collections in the window: Settings → Document collections (add a folder,
re-index with progress, remove) and the menu above the chat that says which collections
QwQ searches in this conversation.

Re-indexing runs on a worker (:class:`~app.ui.worker.Job`): the list says how far it is
("Indexing… 120 of 1,000 files"); a re-index cut short (the app closed) carries on the next
time, since each file is committed on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.documents.collections import CollectionInfo, Collections, ReindexResult
from app.documents.extract import DocumentError
from app.ui.icons import Icon, icon
from app.ui.theme import Type, font
from app.ui.worker import Job

log = logging.getLogger(__name__)


def open_collections() -> Collections | None:
    """The collections index of this data folder; None (logged) when it cannot be opened:
    the window then works without collections."""
    try:
        return Collections()
    except DocumentError:
        log.exception("the collections index cannot be opened")
        return None


def describe(info: CollectionInfo) -> str:
    state = {
        "new": QCoreApplication.translate("CollectionsBox", "not indexed yet"),
        "indexing": QCoreApplication.translate("CollectionsBox", "indexing (unfinished)"),
    }.get(info.state, "")
    figures = QCoreApplication.translate(
        "CollectionsBox", "{files:,} files · {passages:,} passages"
    ).format(files=info.files, passages=info.passages)
    return " · ".join(p for p in (info.name, figures, state, str(info.folder)) if p)


class CollectionsBox(QGroupBox):
    """Settings → Document collections."""

    changed = Signal()  # a collection was added, re-indexed or removed

    def __init__(self, collections: Collections, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Document collections (searched on this machine)"), parent)
        self.setObjectName("collectionsBox")
        self.collections = collections
        note = QLabel(
            self.tr(
                "A folder of your documents, indexed for search: QwQ finds passages in it and "
                "cites them. Choose the collections of a conversation with the library button "
                "above the chat."
            )
        )
        note.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("collectionsList")
        self.list.setAccessibleName(self.tr("Document collections"))
        self.status = QLabel()
        self.status.setObjectName("collectionsStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setFont(font(Type.SMALL))
        self.add_button = QPushButton(self.tr("Add folder…"))
        self.reindex_button = QPushButton(self.tr("Re-index"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.add_button.clicked.connect(self.ask_add)
        self.reindex_button.clicked.connect(self.reindex_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.reindex_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        column = QVBoxLayout(self)
        column.addWidget(note)
        column.addWidget(self.list)
        column.addLayout(buttons)
        column.addWidget(self.status)
        self.job: Job | None = None
        self.refresh()

    def refresh(self) -> None:
        selected = self.selected()
        self.list.clear()
        for info in self.collections.list():
            item = QListWidgetItem(describe(info))
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            self.list.addItem(item)
            if info.name == selected:
                self.list.setCurrentItem(item)
        busy = self.job is not None
        has = self.list.count() > 0
        self.reindex_button.setEnabled(has and not busy)
        self.remove_button.setEnabled(has and not busy)
        self.list.setMaximumHeight(max(60, min(6, self.list.count() + 1) * 24))

    def selected(self) -> str | None:
        item = self.list.currentItem() or (self.list.item(0) if self.list.count() else None)
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def ask_add(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("A folder of documents"))
        if not folder:
            return
        name, ok = QInputDialog.getText(
            self, self.tr("Name the collection"), self.tr("Name:"), text=Path(folder).name
        )
        if ok:
            self.add(name, Path(folder))

    def add(self, name: str, folder: Path) -> None:
        """Add ``folder`` as ``name`` and index it at once (on a worker)."""
        try:
            self.collections.add(name, folder)
        except DocumentError as e:
            self.status.setText(str(e))
            return
        self.refresh()
        self.reindex(name.strip())

    def reindex_selected(self) -> None:
        name = self.selected()
        if name is not None:
            self.reindex(name)

    def reindex(self, name: str) -> None:
        if self.job is not None:
            return
        collections = self.collections

        def work() -> Iterator[object]:
            import queue
            import threading

            items: queue.Queue[object] = queue.Queue()

            def run() -> None:
                try:
                    items.put(
                        collections.reindex(
                            name, progress=lambda done, total, _path: items.put((done, total))
                        )
                    )
                except DocumentError as e:
                    items.put(str(e))
                finally:
                    items.put(None)

            threading.Thread(target=run, name="qwq-reindex", daemon=True).start()
            while (item := items.get()) is not None:
                yield item

        self.status.setText(self.tr("Indexing {name}…").format(name=name))
        job = Job(work, self)
        job.items.connect(self._progress)
        job.done.connect(self._indexed)
        job.failed.connect(self._indexed)
        self.job = job
        job.start()
        self.refresh()

    def _progress(self, items: list[object]) -> None:
        for item in items:
            if isinstance(item, tuple):
                done, total = item
                self.status.setText(
                    self.tr("Indexing… {done:,} of {total:,} files").format(done=done, total=total)
                )
            elif isinstance(item, ReindexResult):
                self.status.setText(
                    self.tr(
                        "Indexed: {added:,} new, {changed:,} changed, {removed:,} removed, "
                        "{failed:,} unreadable files."
                    ).format(
                        added=len(item.added),
                        changed=len(item.changed),
                        removed=len(item.removed),
                        failed=len(item.failed),
                    )
                )
            elif isinstance(item, str):
                self.status.setText(item)

    def _indexed(self, _result: object) -> None:
        self.job = None
        self.refresh()
        self.changed.emit()

    def remove_selected(self) -> None:
        name = self.selected()
        if name is None:
            return
        try:
            self.collections.remove(name)
        except DocumentError as e:
            self.status.setText(str(e))
        self.refresh()
        self.changed.emit()


class CollectionsButton(QToolButton):
    """Above the chat: which collections QwQ searches in this conversation (a menu of
    check boxes; "chosen" says which)."""

    chosen = Signal(list)  # the names checked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("collectionsButton")
        self.setIcon(icon(Icon.LIBRARY))
        self.setAccessibleName(self.tr("Document collections"))
        self.setToolTip(self.tr("The document collections QwQ searches in this conversation"))
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setMenu(QMenu(self))
        self.names: list[str] = []
        self.checked: list[str] = []

    def set_collections(self, names: list[str], checked: list[str]) -> None:
        self.names, self.checked = names, [n for n in checked if n in names]
        menu = self.menu()
        assert menu is not None
        menu.clear()
        if not names:
            empty = QAction(self.tr("No collections yet: add one in Settings"), menu)
            empty.setEnabled(False)
            menu.addAction(empty)
        for name in names:
            action = QAction(name, menu)
            action.setCheckable(True)
            action.setChecked(name in self.checked)
            action.toggled.connect(self._toggled)
            action.setData(name)
            menu.addAction(action)
        self.setProperty("active", bool(self.checked))
        label = ", ".join(self.checked)
        self.setToolTip(
            self.tr("Searching: {names}").format(names=label)
            if label
            else self.tr("The document collections QwQ searches in this conversation")
        )

    def _toggled(self, on: bool) -> None:
        action = self.sender()
        name = str(action.data()) if isinstance(action, QAction) else ""
        if on and name not in self.checked:
            self.checked.append(name)
        elif not on and name in self.checked:
            self.checked.remove(name)
        self.chosen.emit(list(self.checked))
