"""The main window: conversations on the left, the chat with live reasoning on the right.

The window only builds its parts (``_build``), wires them (``_connect_signals``: the map
of the app) and says which conversation is on screen. Each part is a file of its own:
the list (conversation_list), the messages on screen (conversation_page), the replies
(replies, one reply_controller each), the composer and its budget (composer,
conversation_budget), the model (model_controller), the API server (api_server_control),
settings (settings_control), the status bar (notices, context_meter), the trace panel
(trace_beside), the buttons above the chat (tool_row, system_prompt), backups
(backup_timer). Model loads and replies run in :class:`~app.ui.worker.Job` threads.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.i18n import QT_TRANSLATE_NOOP, translate
from app.core.paths import AppPaths
from app.core.settings import AppSettings
from app.core.window_state import WindowState
from app.engine.base import ChatEngine
from app.session import ChatSession
from app.store.changes import Change
from app.store.conversations import ConversationStore
from app.ui.api_server_control import ApiServerControl
from app.ui.backup_timer import BackupTimer
from app.ui.collections_box import CollectionsButton, open_collections
from app.ui.composer import ANSWER_NOW_KEYS, Composer
from app.ui.context_meter import ContextMeter
from app.ui.conversation_budget import ConversationBudget
from app.ui.conversation_list import ConversationList
from app.ui.conversation_page import ConversationPage, DamagedBanner
from app.ui.focus_order import follow_layout
from app.ui.model_controller import ModelController
from app.ui.notices import NO_MODEL, Notices
from app.ui.operations import ChangeBridge, Operations
from app.ui.replies import Replies
from app.ui.reply_controller import ReplyController
from app.ui.settings_control import SettingsControl
from app.ui.source_beside import SourceBeside
from app.ui.system_prompt import SystemPromptButton
from app.ui.tool_row import ToolRow
from app.ui.trace_beside import TraceBeside
from app.ui.warm_keeper import WarmKeeper
from app.ui.worker import Job, wait_for_all

log = logging.getLogger(__name__)
APP_TITLE = QT_TRANSLATE_NOOP("MainWindow", "QwQ Desktop")  # translated where it is shown
BACKUP_NOTE_MS = 15_000  # how long "Backup failed: …" stays in the status bar


class MainWindow(QMainWindow):
    def __init__(self, store: ConversationStore, model_path: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.conversation_id: int | None = None
        self._closed = False
        self.resize(1100, 760)
        self._build()
        self._restore_place()
        self.new_chat()
        self.setAcceptDrops(True)  # a .gguf dropped on the window: see ModelController
        self._connect_signals()
        self.backups.start()
        self.models.start(model_path)

    # -- layout ------------------------------------------------------------------------

    def _build(self) -> None:
        # Store writes run as operations; what they change comes back as the store's
        # changes, on the GUI thread, for each part to refresh itself.
        self.operations = Operations(self.store, self)
        self.store_changes = ChangeBridge(self.store.changes, self)
        self.conversation_list = ConversationList(self.store, self.operations, self.store_changes)
        # The settings in use and their dialog (a restore waits while anything runs).
        self.settings_control = SettingsControl(
            self,
            self.store,
            busy=lambda: bool(self.live) or (self.warm is not None and self.warm.busy),
            snapshots=lambda: self.models.snapshots(),
        )

        # The conversation on screen: its messages and their actions (its own file).
        self.page = ConversationPage(self.store, self)
        self.chat = self.page.view
        # The model in use, its loading, downloads and warm keeping (its own file).
        self.models = ModelController(
            self,
            self.store,
            self.settings,
            shown=lambda: self.conversation_id,
            replying=lambda: self.live.keys(),
            on_setup_page=lambda: self.pages.currentWidget() is self.first_run,
        )
        self.models.mcp = self.settings_control.mcp  # their tools join a reply's
        # The user's document collections (their own index file), searched by replies.
        self.collections = open_collections()
        self.models.collections = self.collections
        self.page.collections = self.collections
        self.settings_control.collections = self.collections
        self.first_run = self.models.first_run
        self.pages = QStackedWidget()
        self.pages.addWidget(self.first_run)
        self.pages.addWidget(self.chat)

        # The message box, Send/Stop/Answer now, and the thinking budget for the next
        # message (kept per conversation).
        self.composer = Composer()
        self.budget = ConversationBudget(
            self.composer.budget,
            self.store,
            self.operations,
            settings=lambda: self.settings,
            shown=lambda: self.conversation_id,
            parent=self,
        )
        # Every reply: started, steered and stopped here (a ReplyController each).
        self.replies = Replies(
            self,
            self.store,
            self.models,
            self.page,
            self.composer,
            self.budget,
            settings=lambda: self.settings,
            shown=lambda: self.conversation_id,
            create_conversation=self._create_conversation,
        )

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        self.system_button = SystemPromptButton(
            self.store,
            self.operations,
            shown=lambda: self.conversation_id,
            create_conversation=self._create_conversation,
        )
        # The document collections this conversation searches (a menu of check boxes).
        self.collections_button = CollectionsButton()
        self._pending_collections: list[str] = []  # chosen in a new chat, before it exists
        self.tools = ToolRow(  # Collections, System prompt, Models, Remote, Settings
            self.system_button, extra=(self.collections_button,)
        )
        right_layout.addWidget(self.tools)
        self.damaged_banner = DamagedBanner()  # the conversation on screen is damaged
        right_layout.addWidget(self.damaged_banner)
        right_layout.addWidget(self.pages, 1)
        right_layout.addWidget(self.composer)

        self.splitter = splitter = QSplitter()
        splitter.setObjectName("mainSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.conversation_list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 840])
        self.setCentralWidget(splitter)

        # A panel to read a long trace side by side with its answer.
        self.trace_dock = TraceBeside(self)
        self.trace_view = self.trace_dock.view
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.trace_dock)
        self.trace_dock.hide()
        self.source_dock = SourceBeside(self)  # a citation's passage
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.source_dock)
        self.source_dock.hide()

        # Every message to the user goes through here (the model label shows the model).
        self.notices = Notices(self.statusBar())
        self.speed_label = QLabel("")
        self.speed_label.setAccessibleName(self.tr("Speed"))
        self.context_meter = ContextMeter()  # a model's load, then the context in use
        # The local API server's one owner, with its toggle.
        self.api = ApiServerControl(lambda: self.engine, self.settings, self)
        undo = self.conversation_list.undo_button
        for widget in (undo, self.speed_label, self.context_meter, self.api.button):
            self.statusBar().addPermanentWidget(widget)

        # Rolling backups of the conversations, off the GUI thread: the first a little
        # after the start (if the newest is a day old), then a check every hour.
        self.backups = BackupTimer(self.store.path, self)

        QShortcut(QKeySequence("Ctrl+N"), self, self.new_chat)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.replies.stop)
        QShortcut(QKeySequence(ANSWER_NOW_KEYS), self, self.replies.answer_now)
        QShortcut(QKeySequence("Ctrl+O"), self, self.models.choose_model)
        QShortcut(QKeySequence("Ctrl+Shift+C"), self, self.page.copy_last_answer)
        QShortcut(QKeySequence("Ctrl+K"), self, self.conversation_list.focus_search)
        QShortcut(QKeySequence("Ctrl+,"), self, self.settings_control.open_dialog)
        # The keyboard's way round the conversations (the list: Enter, F2, Delete, Ctrl+Z).
        QShortcut(QKeySequence("Ctrl+PgDown"), self, lambda: self.open_next_conversation(1))
        QShortcut(QKeySequence("Ctrl+PgUp"), self, lambda: self.open_next_conversation(-1))
        QShortcut(QKeySequence("Ctrl+L"), self, self.composer.setFocus)  # back to the box

    # -- the map: how the parts talk ------------------------------------------------

    def _connect_signals(self) -> None:
        """The parts built in ``_build``, wired together: who hears whom."""
        # The conversation list asks; the window opens, starts afresh, deletes. What the
        # store changed comes back for the title; a write that failed says so once.
        conversations = self.conversation_list
        conversations.new_chat_requested.connect(self.new_chat)
        conversations.open_requested.connect(self._on_open_requested)
        conversations.delete_requested.connect(self.delete_conversation)
        conversations.deleted.connect(self._on_deleted)
        conversations.notice.connect(self.notices.info)
        self.store_changes.changed.connect(self._on_store_changed)
        self.operations.failed.connect(self.notices.error)
        # The composer and the messages on screen ask; the replies start, stop, steer.
        replies = self.replies
        self.composer.send_requested.connect(replies.send)
        self.composer.stop_requested.connect(replies.stop)
        self.composer.answer_now_requested.connect(replies.answer_now)
        self.composer.budget.changed.connect(self.budget.on_picked)
        page = self.page
        page.edit_requested.connect(replies.start_edit)
        page.regenerate_requested.connect(replies.regenerate)
        page.remedy_requested.connect(replies.regenerate_without_loops)
        page.continue_requested.connect(replies.continue_reply)
        page.steer_requested.connect(replies.steer)
        page.flip_requested.connect(self.flip)
        page.beside_requested.connect(self.trace_dock.read_beside)
        page.source_requested.connect(self.source_dock.show_passage)
        # What the replies say (they keep the composer's buttons themselves): the status
        # bar, the side panel; a reply that ended on screen shows again as stored.
        replies.failed.connect(self.notices.error)
        replies.started.connect(self._show_page)
        replies.show_stored.connect(self.open_conversation)
        replies.speed.connect(
            lambda v: self.speed_label.setText(self.tr("{speed:.1f} tok/s").format(speed=v))
        )
        replies.context_used.connect(self.context_meter.used)
        replies.context_streaming.connect(self.context_meter.used)
        # The model: its load shows in the context meter; the API server follows the
        # engine; every message goes to the notices.
        models = self.models
        models.noticed.connect(self.notices.post)
        models.loading.connect(lambda _: self.context_meter.loading())
        models.loading.connect(lambda _: self.api.engine_going())
        models.load_progress.connect(self.context_meter.load_progress)
        models.engine_closed.connect(self._on_engine_closed)
        models.load_failed.connect(self._on_load_failed)
        models.engine_changed.connect(self._on_engine_changed)
        models.engine_changed.connect(lambda _: self.api.engine_ready())
        models.setup_requested.connect(self.show_model_setup)
        self.tools.models_requested.connect(models.open_library)
        self.tools.remote_requested.connect(models.use_remote)
        # New settings: each part that follows them is told; a restored backup starts afresh.
        self.tools.settings_requested.connect(self.settings_control.open_dialog)
        self.collections_button.chosen.connect(self._choose_collections)
        self.composer.attachments_bar.search_instead.connect(self._search_files_instead)
        self.settings_control.collections_changed.connect(self._update_collections)
        settings = self.settings_control
        settings.changed.connect(models.settings_changed)  # a new snapshot budget
        settings.changed.connect(self.api.settings_changed)  # a new port or key
        settings.changed.connect(lambda _: self.budget.settings_changed())  # a new default
        settings.restored.connect(self._after_restore)
        settings.noticed.connect(self.notices.post)
        self.api.failed.connect(lambda m: self.notices.show(m, "error", source="api"))
        self.backups.failed.connect(
            lambda m: self.notices.show(m, "error", source="backup", timeout_ms=BACKUP_NOTE_MS)
        )

    # -- the model (owned by ModelController) ---------------------------------------

    @property
    def settings(self) -> AppSettings:
        return self.settings_control.settings

    @property
    def engine(self) -> ChatEngine | None:
        return self.models.engine

    @property
    def session(self) -> ChatSession | None:
        return self.models.session

    @property
    def warm(self) -> WarmKeeper | None:
        return self.models.warm

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.models.drag_enter(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.models.drop(event)

    def show_model_setup(self) -> None:
        """The first-run page, also reachable later to download another quant."""
        self.first_run.refresh(self.settings.models, self.settings.context_length)
        self.pages.setCurrentWidget(self.first_run)

    def _on_engine_changed(self, engine: ChatEngine) -> None:
        info = engine.info
        note = f" — {info.load_note}" if info.load_note else ""
        self.notices.set_model(engine.description + note, info.load_note)
        self.context_meter.ready(info.context_length)
        # Files for the next message are counted with this model, against its context.
        bar = self.composer.attachments_bar
        bar.count_tokens = engine.count_tokens
        bar.room = info.context_length - min(4096, info.context_length // 8)
        self._show_page()
        self.replies.update_buttons()
        self.replies.offer_continue()  # a reply on screen can go on now (or says why not)

    def _on_engine_closed(self) -> None:
        """The model in use went for another one: nothing is loaded until that one is."""
        self.notices.set_model(translate("Notices", NO_MODEL), "")
        self.replies.update_buttons()

    def _on_load_failed(self, _message: str) -> None:
        if self.engine is None:  # (a file refused before loading leaves the model in use)
            self.context_meter.hide()

    # -- replies (owned by Replies) ----------------------------------------------------

    @property
    def live(self) -> dict[int, ReplyController]:
        """The replies being generated, by conversation."""
        return self.replies.live

    def send(self) -> None:
        """Send what is in the message box (as Enter does)."""
        self.composer.submit()

    def _create_conversation(self, system_prompt: str = "") -> int:
        """A new chat becomes a stored conversation as its first message (or its system
        prompt) is sent.

        Created here, not as an operation: the reply about to start (on its own
        worker) stores its messages in it, so it must exist first. The insert of one
        empty row stays on the GUI thread.
        """
        self.conversation_id = self.store.create(system_prompt=system_prompt).id
        if self._pending_collections:  # chosen before the chat existed
            self.store.update_settings(self.conversation_id, collections=self._pending_collections)
            self._pending_collections = []
        self.conversation_list.set_current(self.conversation_id)
        return self.conversation_id

    # -- conversations -----------------------------------------------------------------

    def delete_conversation(self, conversation_id: int) -> None:
        """Delete (the list offers Undo); a conversation still being answered is first
        stopped, and deleted when asked again, once the reply has stopped."""
        if conversation_id in self.live:
            self.live[conversation_id].cancel()
            return
        self.conversation_list.delete(conversation_id)

    def _on_open_requested(self, conversation_id: int, reveal: int | None) -> None:
        if not self._closed:  # (an undo finishing as the window closes opens nothing)
            self.open_conversation(conversation_id, reveal=reveal)

    def _on_deleted(self, conversation_id: int) -> None:
        if self._closed:
            return
        if self.conversation_id == conversation_id:
            self.new_chat()
        if self.warm is not None:  # its snapshot goes with it
            self.warm.forget(conversation_id)

    def _after_restore(self, _name: str) -> None:
        """A backup replaced the conversations (the list shows them by itself)."""
        self.conversation_list.forget_undo()
        self.new_chat()

    def _on_store_changed(self, change: Change) -> None:
        """The title (and the system prompt's button) follow the stored conversation."""
        if change.kind in ("streamed", "deleted", "replaced"):
            return  # (a deletion or a restored backup leaves the screen by itself)
        if change.conversation_id is not None and change.conversation_id == self.conversation_id:
            self._update_title()

    def new_chat(self) -> None:
        self._detach_live()
        self.models.leave_for(self.conversation_id, None)
        self.conversation_id = None
        self.conversation_list.set_current(None)
        self.page.clear()
        self.budget.show()
        self._update_title()
        self._show_page()
        self.replies.update_buttons()
        self.composer.setFocus()

    def open_conversation(self, conversation_id: int, *, reveal: int | None = None) -> None:
        """Show a conversation (a reply still being written there shows, live, last)."""
        self._detach_live()
        self.models.leave_for(self.conversation_id, conversation_id)
        self.conversation_id = conversation_id
        self.conversation_list.set_current(conversation_id)
        live = self.live.get(conversation_id)
        self.page.show_conversation(
            conversation_id,
            live=live.widget if live is not None else None,
            live_id=live.message_id if live is not None else None,
            reveal=reveal,
        )
        self.budget.show()
        self._update_title()
        self._show_page()
        self.replies.update_buttons()
        self.replies.offer_continue()
        self.composer.setFocus()

    def open_next_conversation(self, step: int) -> None:
        """The conversation below (``step`` 1) or above (-1) the one on screen in the list
        (a new chat: the first one)."""
        ids = self.conversation_list.conversation_ids()
        if not ids:
            return
        if self.conversation_id in ids:
            at = ids.index(self.conversation_id) + step
            if not 0 <= at < len(ids):
                return
        else:
            at = 0 if step > 0 else len(ids) - 1
        self.open_conversation(ids[at])

    def focusNextPrevChild(self, next: bool) -> bool:
        follow_layout(self)  # messages and their buttons come in reading order too
        return super().focusNextPrevChild(next)

    def flip(self, message_id: int) -> None:
        """Show another answer to the same message (or another edit of a message)."""

        def switch(store: ConversationStore) -> int:
            store.switch_to(message_id)
            return store.message(message_id).conversation_id

        self.operations.write(self.tr("show that branch"), switch).success(self._on_flipped).run()

    def _on_flipped(self, conversation_id: int) -> None:
        if conversation_id == self.conversation_id and not self._closed:
            self.open_conversation(conversation_id)  # (unless another one was opened since)

    def _detach_live(self) -> None:
        """Keep live replies' widgets alive when their conversation leaves the screen."""
        self.page.detach(live.widget for live in self.live.values())

    def _update_title(self) -> None:
        title, damaged = self.tr("New chat"), ""
        if self.conversation_id is not None:
            conversation = self.store.get(self.conversation_id)
            title, damaged = conversation.title or self.tr("New chat"), conversation.damaged
        self.setWindowTitle(self.tr("{app} — {title}").format(app=self.tr(APP_TITLE), title=title))
        self.tools.set_title(title)
        self.damaged_banner.show_damaged(damaged)
        self.system_button.refresh()
        self._update_collections()

    def _update_collections(self) -> None:
        """The collections button: every collection, this conversation's checked."""
        names = self.collections.names() if self.collections else []  # (no counting here)
        chosen = self._pending_collections
        if self.conversation_id is not None:
            chosen = list(self.store.get(self.conversation_id).collections)
        self.collections_button.set_collections(names, chosen)
        self.collections_button.setVisible(self.collections is not None)

    def _search_files_instead(self, paths: list[Path]) -> None:
        """Files too big to attach become a collection of their own (copied into the data
        folder, indexed on a worker) that this conversation searches."""
        collections = self.collections
        if collections is None or not paths:
            return
        stamp = time.strftime("%Y-%m-%d %H.%M.%S")
        name = self.tr("Attached {when}").format(when=stamp)
        folder = AppPaths.current().data / "attached" / stamp.replace(" ", "_")

        def work() -> object:
            folder.mkdir(parents=True, exist_ok=True)
            for path in paths:
                shutil.copy2(path, folder / path.name)
            collections.add(name, folder)
            return collections.reindex(name)

        job = Job(work, self)
        job.done.connect(lambda _: self._searching_files(name))
        job.failed.connect(
            lambda e: self.notices.show(
                self.tr("Could not index the files: {e}").format(e=e), "error"
            )
        )
        self.notices.show(self.tr("Indexing the files for search…"), "progress")
        job.start()

    def _searching_files(self, name: str) -> None:
        chosen = list(self.collections_button.checked)
        self._choose_collections([*chosen, name])
        self._update_collections()
        self.notices.show(
            self.tr("The files will be searched: ask your question (collection “{name}”).").format(
                name=name
            )
        )

    def _choose_collections(self, names: list[str]) -> None:
        if self.conversation_id is None:  # a new chat: kept until its first message
            self._pending_collections = names
        else:
            self.store.update_settings(self.conversation_id, collections=names)

    def _show_page(self) -> None:
        empty = self.engine is None and self.conversation_id is None
        self.pages.setCurrentWidget(self.first_run if empty else self.chat)

    # -- where the window was ------------------------------------------------------------

    def _restore_place(self) -> None:
        """Size, position and the sidebar's width as the last window left them (a damaged
        record is ignored: Qt refuses bytes it cannot read, and the defaults stay)."""
        state = WindowState.load()
        if state.geometry:
            self.restoreGeometry(QByteArray(state.geometry))
        if state.splitter:
            self.splitter.restoreState(QByteArray(state.splitter))

    def _save_place(self) -> None:
        state = WindowState(
            geometry=bytes(self.saveGeometry().data()),
            splitter=bytes(self.splitter.saveState().data()),
        )
        try:
            state.save()
        except OSError as e:  # (a read-only config folder: the next start uses the defaults)
            log.warning("could not save the window's place: %s", e)

    # -- shutdown ----------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closed:
            self._save_place()  # before anything hides the window
        self._closed = True
        self.store_changes.close()
        self.api.shutdown()
        self.replies.cancel_all()
        self.settings_control.close()  # MCP servers: a hanging call ends with them
        if self.collections is not None:
            self.collections.close()
        if self.models.begin_close():  # a quit keeps the conversation's snapshot
            self.notices.show(self.tr("Saving the conversation…"), "progress")
            self.hide()
        wait_for_all()  # replies, a model load, a search: none outlives the window
        self.models.close(self.conversation_id)
        super().closeEvent(event)
