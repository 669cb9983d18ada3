"""The conversation list: New chat, search, and the conversations grouped by date.

It owns everything the left side of the window does: rename (inline edit), pin,
delete with Undo (10 s), and search whose hits open the message they found. Its
writes are background operations (:mod:`app.ui.operations`) and it refreshes itself
from the store's changes, so nobody has to remember to tell it. The window hears
what it needs through signals: a conversation to open, a new chat, a deletion.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence, QMouseEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import QT_TRANSLATE_NOOP
from app.store.changes import Change
from app.store.conversations import HIGHLIGHT_END, HIGHLIGHT_START, ConversationStore, SearchHit
from app.store.export import conversation_to_dict
from app.ui.icons import Icon, icon
from app.ui.operations import ChangeBridge, Operations
from app.ui.sidebar import ROLE_HEADING, ROLE_MENU, RowDelegate, group_label, item_text
from app.ui.theme import Space
from app.ui.worker import Job

ROLE_ID = Qt.ItemDataRole.UserRole  # the conversation's id (None: a group header)
ROLE_MESSAGE = Qt.ItemDataRole.UserRole + 1  # a search hit's message id
ROLE_TITLE = Qt.ItemDataRole.UserRole + 2  # the title as stored (an edit is told from it)
ROLE_PINNED = Qt.ItemDataRole.UserRole + 3
UNDO_MS = 10_000  # how long Undo is offered after a delete
SEARCH_DELAY_MS = 150  # typing pauses this long before a search runs
WHERE = {
    "title": QT_TRANSLATE_NOOP("ConversationList", "title"),
    "answer": QT_TRANSLATE_NOOP("ConversationList", "answer"),
    "reasoning": QT_TRANSLATE_NOOP("ConversationList", "reasoning"),
    "prompt": QT_TRANSLATE_NOOP("ConversationList", "you"),
}
# Changes that alter no line of the list (a reply's text, the branch shown, settings).
UNSEEN = frozenset({"streamed", "switched", "settings"})


class ConversationList(QWidget):
    """The left side of the window; its writes run as operations, its failures go to
    the operations' one route and its other news (a failed search) to ``notice``."""

    open_requested = Signal(int, object)  # conversation id, message id to reveal or None
    new_chat_requested = Signal()
    delete_requested = Signal(int)  # Delete was chosen: the window stops a reply first
    deleted = Signal(int)  # a conversation was deleted (Undo is offered)
    notice = Signal(str)  # something to tell the user

    def __init__(
        self,
        store: ConversationStore,
        operations: Operations,
        changes: ChangeBridge,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.operations = operations
        self.current: int | None = None  # the conversation on screen (selected here)
        self._filling = False  # the list is being refilled: ignore its item changes
        self._deleted: dict[str, Any] | None = None  # the last deleted conversation, whole

        self.setObjectName("sidebar")  # the column, in the sidebar's color
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setMinimumWidth(180)  # the splitter may narrow it, not squeeze New chat away
        self.new_button = QPushButton(icon(Icon.NEW_CHAT), self.tr("New chat"))
        self.new_button.setObjectName("newChat")
        self.new_button.setToolTip(self.tr("Start a new chat (Ctrl+N)"))
        bold = self.new_button.font()
        bold.setWeight(QFont.Weight.Bold)  # (CJK fonts often have no DemiBold)
        self.new_button.setFont(bold)
        self.new_button.setIconSize(QSize(18, 18))
        self.new_button.clicked.connect(self.new_chat_requested)
        self.search_box = QLineEdit()
        self.search_box.setObjectName("search")
        self.search_box.setPlaceholderText(self.tr("Search  (Ctrl+K)"))
        search_icon = self.search_box.addAction(
            icon(Icon.SEARCH), QLineEdit.ActionPosition.LeadingPosition
        )
        search_icon.setText(self.tr("Search"))
        self.search_box.setClearButtonEnabled(True)
        for button in self.search_box.findChildren(QToolButton):  # Qt's own, without names
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            if button.defaultAction() is search_icon:
                button.setAccessibleName(self.tr("Search"))
            else:
                button.setAccessibleName(self.tr("Clear the search"))
                button.setToolTip(self.tr("Clear the search"))
        self.search_box.setAccessibleName(self.tr("Search conversations"))
        self.search_box.setAccessibleDescription(
            self.tr("Searches titles, messages and reasoning; the list shows what it found")
        )
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search_box.textChanged.connect(lambda _: self._search_timer.start())
        self.view = QListWidget()
        self.view.setObjectName("conversations")
        self.view.setItemDelegate(RowDelegate(self.view))
        self.view.setMouseTracking(True)  # (a row's "…" follows the mouse)
        self.view.viewport().installEventFilter(self)  # a click on a row's "…"
        self.view.setUniformItemSizes(False)
        self.view.setAccessibleName(self.tr("Conversations"))
        self.view.setAccessibleDescription(
            self.tr("Enter opens, F2 renames, Delete deletes, Ctrl+Z undoes a delete")
        )
        self.view.itemClicked.connect(self._on_click)
        self.view.installEventFilter(self)  # Enter, Delete and Ctrl+Z on the list
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._menu)
        self.view.itemChanged.connect(self._on_item_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(Space.M, Space.M, Space.M - Space.XS, Space.S)
        layout.setSpacing(Space.S)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search_box)
        layout.addSpacing(Space.XS)
        layout.addWidget(self.view, 1)

        # Undo of the last delete: the window places the button (in its status bar).
        self.undo_button = QPushButton(icon(Icon.UNDO), self.tr("Undo"))
        self.undo_button.setObjectName("undo")
        self.undo_button.setAccessibleDescription(
            self.tr("Bring back the conversation just deleted (Ctrl+Z in the list)")
        )
        self.undo_button.clicked.connect(self.undo_delete)
        self.undo_button.hide()
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.setInterval(UNDO_MS)
        self._undo_timer.timeout.connect(self.undo_button.hide)

        # Several changes in a row (a reply's start stores two messages) refresh once.
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh_from_changes)
        changes.changed.connect(self._on_change)
        self.refresh()

    # -- the keyboard --------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The list from the keyboard: Enter opens, Delete deletes, Ctrl+Z undoes that
        (F2 renames: the list's own edit key); a click on a row's "…" opens its menu,
        and neither selects nor opens the row."""
        if watched is self.view.viewport() and isinstance(event, QMouseEvent):
            return self._on_dots(event)
        if (
            watched is self.view
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and self._key(event)
        ):
            return True
        return super().eventFilter(watched, event)

    def _on_dots(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton or event.type() not in (
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseButtonRelease,
            QEvent.Type.MouseButtonDblClick,
        ):
            return False
        pos = event.position().toPoint()
        item = self.view.itemAt(pos)
        if item is None or not item.data(ROLE_MENU):
            return False
        if not RowDelegate.more_rect(self.view.visualItemRect(item)).contains(pos):
            return False
        if event.type() == QEvent.Type.MouseButtonRelease:
            self._menu(pos)
        return True

    def _key(self, event: QKeyEvent) -> bool:
        if self.view.state() == QAbstractItemView.State.EditingState:
            return False  # the rename's editor has the keys
        item = self.view.currentItem()
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and item is not None:
            self._on_click(item)
            return True
        if key == Qt.Key.Key_Delete and item is not None:
            cid = item.data(ROLE_ID)
            if cid is not None and item.data(ROLE_MESSAGE) is None:
                self.delete_requested.emit(int(cid))
            return True
        if event.matches(QKeySequence.StandardKey.Undo) and self._deleted is not None:
            self.undo_delete()
            return True
        return False

    # -- what is shown -------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.kind not in UNSEEN:
            self._refresh_timer.start()

    def _refresh_from_changes(self) -> None:
        if not self.store.changes.closed:  # (the store closed meanwhile: nothing to show)
            self.refresh()

    def refresh(self) -> None:
        """Fill the list from the store (or run the search again, if one is typed)."""
        self._refresh_timer.stop()
        if self.search_box.text().strip():
            self._run_search()
            return
        self._filling = True
        self.view.clear()
        now = time.time()
        group = None
        for c in self.store.conversations():
            label = self.tr("Pinned") if c.pinned else group_label(c.updated_at, now)
            if label != group:
                # A heading cannot be chosen; the delegate draws it small, in the muted
                # color (not the disabled gray Qt gives such an item: 1.9:1 on white).
                header = QListWidgetItem(label)
                header.setFlags(Qt.ItemFlag.NoItemFlags)
                header.setData(ROLE_HEADING, True)
                header.setForeground(self.palette().color(QPalette.ColorRole.PlaceholderText))
                if c.pinned:
                    header.setIcon(icon(Icon.PIN))
                self.view.addItem(header)
                group = label
            text, tooltip = item_text(c)
            item = QListWidgetItem(text)
            if c.damaged:
                item.setIcon(icon(Icon.WARNING))
                item.setToolTip(tooltip)
            item.setData(ROLE_ID, c.id)
            item.setData(ROLE_TITLE, c.title)
            item.setData(ROLE_PINNED, c.pinned)
            item.setData(ROLE_MENU, True)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.view.addItem(item)
            if c.id == self.current:
                self.view.setCurrentItem(item)  # selected, and where the keyboard is
        self._filling = False

    def set_current(self, conversation_id: int | None) -> None:
        """The conversation on screen changed: select it (None: none is selected)."""
        self.current = conversation_id
        self.view.clearSelection()
        for i in range(self.view.count()):
            item = self.view.item(i)
            if item.data(ROLE_MESSAGE) is None and item.data(ROLE_ID) == conversation_id:
                if conversation_id is not None:
                    self.view.setCurrentItem(item)  # selected, and where the keyboard is
                break

    def conversation_ids(self) -> list[int]:
        """The conversations listed, top to bottom (a search's hits: each once)."""
        ids: list[int] = []
        for i in range(self.view.count()):
            cid = self.view.item(i).data(ROLE_ID)
            if cid is not None and int(cid) not in ids:
                ids.append(int(cid))
        return ids

    def titles(self) -> list[str]:
        """The lines shown, headers included (what a test or a screen reader reads)."""
        return [self.view.item(i).text() for i in range(self.view.count())]

    def _on_click(self, item: QListWidgetItem) -> None:
        cid = item.data(ROLE_ID)
        if cid is None:
            return
        message_id = item.data(ROLE_MESSAGE)
        if message_id is None:
            self.open_requested.emit(int(cid), None)
            return
        mid = int(message_id)  # a search hit: first the branch holding it goes on screen
        self.operations.write("show the message found", lambda s: s.switch_to(mid)).success(
            lambda _: self.open_requested.emit(int(cid), mid)
        ).run()

    # -- rename, pin, delete with undo ---------------------------------------------------

    def _menu(self, pos: QPoint) -> None:
        item = self.view.itemAt(pos)
        cid = item.data(ROLE_ID) if item else None
        if item is None or cid is None or item.data(ROLE_MESSAGE) is not None:
            return
        pinned = bool(item.data(ROLE_PINNED))
        menu = QMenu(self)
        menu.addAction(icon(Icon.RENAME), self.tr("Rename"), lambda: self.view.editItem(item))
        menu.addAction(
            icon(Icon.UNPIN if pinned else Icon.PIN),
            self.tr("Unpin") if pinned else self.tr("Pin"),
            lambda: self.set_pinned(int(cid), not pinned),
        )
        menu.addAction(
            icon(Icon.DELETE), self.tr("Delete"), lambda: self.delete_requested.emit(int(cid))
        )
        menu.popup(self.view.viewport().mapToGlobal(pos))

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        cid = item.data(ROLE_ID)
        if self._filling or cid is None:
            return
        title = item.text().strip()
        if not title or title == item.data(ROLE_TITLE):
            self.refresh()  # nothing to save: show the title as it was
            return
        self.rename(int(cid), title)

    def rename(self, conversation_id: int, title: str) -> None:
        self.operations.write(
            self.tr("rename the conversation"), lambda s: s.rename(conversation_id, title)
        ).failure(self.refresh).run()

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        what = self.tr("pin the conversation") if pinned else self.tr("unpin the conversation")
        self.operations.write(what, lambda s: s.set_pinned(conversation_id, pinned)).run()

    def delete(self, conversation_id: int) -> None:
        """Delete now; Undo (for 10 s) brings it back whole."""

        def work(store: ConversationStore) -> dict[str, Any]:
            whole = conversation_to_dict(store, store.get(conversation_id))
            store.delete(conversation_id)
            return whole

        self.operations.write(self.tr("delete the conversation"), work).success(
            lambda whole: self._offer_undo(conversation_id, whole)
        ).run()

    def _offer_undo(self, conversation_id: int, whole: dict[str, Any]) -> None:
        self._deleted = whole
        title = str(whole.get("title") or self.tr("New chat"))
        self.undo_button.setText(self.tr("Undo delete of “{title}”").format(title=title[:40]))
        self.undo_button.show()
        self._undo_timer.start()
        self.deleted.emit(conversation_id)

    def undo_delete(self) -> None:
        whole, self._deleted = self._deleted, None
        if whole is None:
            return
        self.undo_button.hide()

        def failed() -> None:  # kept, to try again
            self._deleted = whole
            self.undo_button.show()

        self.operations.write(self.tr("undo the delete"), lambda s: s.restore([whole])).success(
            lambda ids: self.open_requested.emit(ids[0], None)
        ).failure(failed).run()

    def forget_undo(self) -> None:
        """The deleted conversation can no longer come back (a backup replaced them all)."""
        self._deleted = None
        self._undo_timer.stop()
        self.undo_button.hide()

    # -- search --------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def _run_search(self) -> None:
        text = self.search_box.text()
        if not text.strip():
            self.refresh()
            return
        job = Job(lambda: self.store.search(text), self)
        job.done.connect(lambda hits: self._show_hits(text, hits))
        job.failed.connect(
            lambda e: self.notice.emit(self.tr("Search failed: {error}").format(error=e))
        )
        job.start()

    def _show_hits(self, text: str, hits: list[SearchHit]) -> None:
        if text != self.search_box.text():
            return  # a newer search is on its way
        self._filling = True
        self.view.clear()
        if not hits:
            empty = QListWidgetItem(self.tr("No matches"))
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            empty.setData(ROLE_HEADING, True)
            self.view.addItem(empty)
        for hit in hits:
            snippet = hit.snippet.replace(HIGHLIGHT_START, "«").replace(HIGHLIGHT_END, "»")
            title = hit.title or self.tr("New chat")
            where = self.tr(WHERE[hit.field])
            item = QListWidgetItem(
                self.tr("{title}\n  {where}: {snippet}").format(
                    title=title, where=where, snippet=snippet
                )
            )
            item.setData(ROLE_ID, hit.conversation_id)
            item.setData(ROLE_MESSAGE, hit.message_id)
            self.view.addItem(item)
        self._filling = False
