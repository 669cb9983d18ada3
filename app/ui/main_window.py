"""The main window: conversations on the left, the chat with live reasoning on the right.

Model loading and every reply run in :class:`~app.ui.worker.Job` threads; the GUI
thread only renders batches of events, at most once a frame. A reply goes on when
the user switches to another conversation and is shown again, live, on return.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.sampling import SamplingSettings
from app.core.settings import AppSettings
from app.core.thinking import ContinueMode, ThinkingControl
from app.engine.base import ChatEngine
from app.session import ChatSession, StoredGeneration, continue_modes
from app.store.changes import Change
from app.store.conversations import ConversationStore
from app.ui.api_server_control import ApiServerControl
from app.ui.backup_timer import BackupTimer
from app.ui.chat_view import LOOP_REMEDY_PRESENCE_PENALTY
from app.ui.composer import ANSWER_NOW_KEYS, Composer
from app.ui.conversation_list import ConversationList
from app.ui.conversation_page import ConversationPage
from app.ui.model_controller import ModelController
from app.ui.notices import Notices
from app.ui.operations import ChangeBridge, Operations
from app.ui.reply_controller import Continuing, ReplyController
from app.ui.settings_dialog import SettingsDialog, SystemPromptDialog
from app.ui.sidebar import damaged_notice
from app.ui.theme import apply_theme
from app.ui.trace_beside import TraceBeside
from app.ui.warm_keeper import WarmKeeper
from app.ui.worker import wait_for_all

APP_TITLE = "QwQ Desktop"
BACKUP_NOTE_MS = 15_000  # how long "Backup failed: …" stays in the status bar


class MainWindow(QMainWindow):
    def __init__(self, store: ConversationStore, model_path: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.settings = AppSettings.load()
        self.conversation_id: int | None = None
        self.live: dict[int, ReplyController] = {}  # the replies being generated, by conversation
        self.editing: int | None = None  # a user message being edited
        self._budget_picked = False  # chosen on this screen (a new chat keeps it once sent)
        self.steer_dialog: QInputDialog | None = None  # open while a hint is asked for
        self._closed = False
        self.resize(1100, 760)
        self._build()
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
        self.first_run = self.models.first_run
        self.pages = QStackedWidget()
        self.pages.addWidget(self.first_run)
        self.pages.addWidget(self.chat)

        # The message box, Send/Stop/Answer now, and the thinking budget for the next message.
        self.composer = Composer()

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 8, 8)
        tools = QHBoxLayout()
        self.system_button = QPushButton("System prompt…")
        self.system_button.setObjectName("systemPrompt")
        self.system_button.clicked.connect(self.edit_system_prompt)
        settings_button = QPushButton("Settings")
        settings_button.clicked.connect(self.open_settings)
        models_button = QPushButton("Models")
        models_button.setObjectName("modelsButton")
        models_button.clicked.connect(self.models.open_library)
        tools.addStretch(1)
        tools.addWidget(self.system_button)
        tools.addWidget(models_button)
        remote_button = QPushButton("Remote…")
        remote_button.setObjectName("remoteButton")
        remote_button.setToolTip("Run QwQ on DashScope, a vLLM or llama-server machine, or any URL")
        remote_button.clicked.connect(self.models.use_remote)
        tools.addWidget(remote_button)
        tools.addWidget(settings_button)
        right_layout.addLayout(tools)
        self.damaged_banner = QLabel()  # the conversation on screen could not all be read
        self.damaged_banner.setObjectName("damagedBanner")
        self.damaged_banner.setTextFormat(Qt.TextFormat.PlainText)
        self.damaged_banner.setWordWrap(True)
        self.damaged_banner.hide()
        right_layout.addWidget(self.damaged_banner)
        right_layout.addWidget(self.pages, 1)
        right_layout.addWidget(self.composer)

        splitter = QSplitter()
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

        # Every message to the user goes through here (the model label shows the model).
        self.notices = Notices(self.statusBar())
        self.speed_label = QLabel("")
        self.context_meter = QProgressBar()
        self.context_meter.setFixedWidth(230)
        self.context_meter.setFormat("context %v / %m tokens")
        self.context_meter.hide()
        self.statusBar().addPermanentWidget(self.conversation_list.undo_button)
        self.statusBar().addPermanentWidget(self.speed_label)
        self.statusBar().addPermanentWidget(self.context_meter)
        # The local API server's one owner, with its toggle.
        self.api = ApiServerControl(lambda: self.engine, self.settings, self)
        self.statusBar().addPermanentWidget(self.api.button)

        # Rolling backups of the conversations, off the GUI thread: the first a little
        # after the start (if the newest is a day old), then a check every hour.
        self.backups = BackupTimer(self.store.path, self)

        QShortcut(QKeySequence("Ctrl+N"), self, self.new_chat)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.stop)
        QShortcut(QKeySequence(ANSWER_NOW_KEYS), self, self.answer_now)
        QShortcut(QKeySequence("Ctrl+O"), self, self.models.choose_model)
        QShortcut(QKeySequence("Ctrl+Shift+C"), self, self.page.copy_last_answer)
        QShortcut(QKeySequence("Ctrl+K"), self, self.conversation_list.focus_search)
        QShortcut(QKeySequence("Ctrl+,"), self, self.open_settings)

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
        # The composer asks; the window starts, stops or closes the trace of a reply (a
        # ReplyController each: see _connect_reply) and keeps the budget per conversation.
        self.composer.send_requested.connect(self._send)
        self.composer.stop_requested.connect(self.stop)
        self.composer.answer_now_requested.connect(self.answer_now)
        self.composer.budget.changed.connect(self._on_budget_picked)
        # The messages on screen ask; the window edits, flips, regenerates, continues.
        page = self.page
        page.edit_requested.connect(self.start_edit)
        page.flip_requested.connect(self.flip)
        page.regenerate_requested.connect(self.regenerate)
        page.remedy_requested.connect(self.regenerate_without_loops)
        page.continue_requested.connect(self.continue_reply)
        page.steer_requested.connect(self.steer)
        page.beside_requested.connect(self.trace_dock.read_beside)
        # The model: its load shows in the context meter; the API server follows the
        # engine; every message goes to the notices.
        models = self.models
        models.noticed.connect(self.notices.post)
        models.loading.connect(self._on_loading)
        models.loading.connect(lambda _: self.api.engine_going())
        models.load_progress.connect(lambda f: self.context_meter.setValue(int(f * 100)))
        models.load_failed.connect(lambda _: self.context_meter.hide())
        models.engine_changed.connect(self._on_engine_changed)
        models.engine_changed.connect(lambda _: self.api.engine_ready())
        models.setup_requested.connect(self.show_model_setup)
        self.api.failed.connect(lambda m: self.notices.show(m, "error", source="api"))
        self.backups.failed.connect(
            lambda m: self.notices.show(m, "error", source="backup", timeout_ms=BACKUP_NOTE_MS)
        )

    # -- the model (owned by ModelController) ---------------------------------------

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

    def _on_loading(self, _name: str) -> None:
        self.context_meter.setRange(0, 100)
        self.context_meter.setFormat("loading %p%")
        self.context_meter.setValue(0)
        self.context_meter.show()

    def _on_engine_changed(self, engine: ChatEngine) -> None:
        info = engine.info
        note = f" — {info.load_note}" if info.load_note else ""
        self.notices.set_model(engine.description + note, info.load_note)
        self.context_meter.setRange(0, info.context_length)
        self.context_meter.setFormat("context %v / %m tokens")
        self.context_meter.setValue(0)
        self._show_page()
        self._update_buttons()
        self._offer_continue()  # a reply on screen can go on now (or says why not)

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
        self._show_budget()
        self._update_title()
        self._show_page()
        self._update_buttons()
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
        self._show_budget()
        self._update_title()
        self._show_page()
        self._update_buttons()
        self._offer_continue()
        self.composer.setFocus()

    def flip(self, message_id: int) -> None:
        """Show another answer to the same message (or another edit of a message)."""

        def switch(store: ConversationStore) -> int:
            store.switch_to(message_id)
            return store.message(message_id).conversation_id

        self.operations.write("show that branch", switch).success(self._on_flipped).run()

    def _on_flipped(self, conversation_id: int) -> None:
        if conversation_id == self.conversation_id and not self._closed:
            self.open_conversation(conversation_id)  # (unless another one was opened since)

    def start_edit(self, message_id: int, text: str) -> None:
        """Put a sent message back in the composer; sending it starts a new branch."""
        self.editing = message_id
        self.composer.start_edit(text)

    def _detach_live(self) -> None:
        """Keep live replies' widgets alive when their conversation leaves the screen."""
        self.page.detach(live.widget for live in self.live.values())

    def _update_system_button(self) -> None:
        has = bool(self.conversation_id and self.store.get(self.conversation_id).system_prompt)
        self.system_button.setText("System prompt ✓" if has else "System prompt…")

    def _update_title(self) -> None:
        title, damaged = "New chat", ""
        if self.conversation_id is not None:
            conversation = self.store.get(self.conversation_id)
            title, damaged = conversation.title or "New chat", conversation.damaged
        self.setWindowTitle(f"{APP_TITLE} — {title}")
        self.damaged_banner.setText(damaged_notice(damaged) if damaged else "")
        self.damaged_banner.setVisible(bool(damaged))
        self._update_system_button()

    def _show_page(self) -> None:
        empty = self.engine is None and self.conversation_id is None
        self.pages.setCurrentWidget(self.first_run if empty else self.chat)

    def _current_live(self) -> ReplyController | None:
        return self.live.get(self.conversation_id) if self.conversation_id is not None else None

    def _update_buttons(self) -> None:
        reply = self._current_live()
        why_not = self._cannot_continue()
        self.composer.set_busy(
            reply is not None,
            can_answer_now=reply is not None and reply.thinking and not reply.answer_asked,
            why_not=why_not,
        )
        # The budget needs the same power: with no model yet it can still be chosen.
        self.composer.budget.set_unavailable(why_not if self.engine is not None else None)

    def _cannot_continue(self) -> str | None:
        """Why the engine cannot close a trace early or continue a reply (None: it can)."""
        return self.engine.cannot_continue if self.engine is not None else "No model is loaded."

    # -- replies -----------------------------------------------------------------------

    def send(self) -> None:
        """Send what is in the message box (as Enter does)."""
        self.composer.submit()

    def _send(self, text: str) -> None:
        """The composer asks to send ``text``: a new message, or an edited one resent."""
        if self.session is None:
            self.notices.show("Load a model first: Ctrl+O opens a GGUF file.", "error")
            return
        if self.conversation_id in self.live:
            return
        if self.conversation_id is None:
            # Created here, not as an operation: the reply about to start (on its own
            # worker) stores its messages in it, so it must exist first. The insert of
            # one empty row stays on the GUI thread (here and in set_system_prompt).
            self.conversation_id = self.store.create().id
            self.conversation_list.set_current(self.conversation_id)
            if self._budget_picked:  # chosen before the conversation existed
                self._save_budget(self.conversation_id)
        cid = self.conversation_id
        editing, self.editing = self.editing, None
        self.composer.sent()
        sampling = self.settings.sampling_settings()
        thinking = self._thinking()
        if editing is not None:
            self.page.trim_after(editing)
            self._start_reply(cid, text, lambda s: s.edit(editing, text, sampling, thinking))
        else:
            self._start_reply(cid, text, lambda s: s.reply(cid, text, sampling, thinking))

    def _thinking(self) -> ThinkingControl:
        """This conversation's budget (as the selector shows it) and the loop guard."""
        tokens, seconds = self.composer.budget.value()
        return ThinkingControl(
            budget_tokens=tokens, budget_seconds=seconds, loop_guard=self.settings.loop_guard
        )

    def _default_budget(self) -> tuple[int | None, float | None]:
        return self.settings.thinking_budget_tokens, self.settings.thinking_budget_seconds

    def _on_budget_picked(self) -> None:
        """The user chose a budget: it holds for this conversation from its next message."""
        self._budget_picked = True
        if self.conversation_id is not None:
            self._save_budget(self.conversation_id)

    def _save_budget(self, conversation_id: int) -> None:
        tokens, seconds = self.composer.budget.value()
        thinking = {"budget_tokens": tokens, "budget_seconds": seconds}
        # A reply uses the budget the picker shows; only remembering it can fail.
        self.operations.write(
            "save the thinking budget",
            lambda s: s.update_settings(conversation_id, thinking=thinking),
        ).run()

    def _show_budget(self) -> None:
        """The selector shows the conversation's budget, or the default where it has none."""
        self._budget_picked = False
        tokens, seconds = self._default_budget()
        if self.conversation_id is not None:
            chosen = self.store.get(self.conversation_id).thinking  # {}: the default
            tokens = chosen.get("budget_tokens", tokens)
            seconds = chosen.get("budget_seconds", seconds)
        self.composer.budget.set_value(tokens, seconds)

    def answer_now(self) -> None:
        """Close the trace of the reply on screen and have QwQ answer from it."""
        reply = self._current_live()
        if reply is None or self._cannot_continue() is not None:
            return
        if reply.answer_now():
            self._update_buttons()

    def regenerate(self, assistant_id: int, sampling: SamplingSettings | None = None) -> None:
        if self.session is None or self.conversation_id in self.live:
            return
        self.page.trim_after(assistant_id)
        thinking = self._thinking()
        self._start_reply(
            self.store.message(assistant_id).conversation_id,
            None,
            lambda s: s.regenerate(assistant_id, sampling, thinking=thinking),
        )

    def regenerate_without_loops(self, assistant_id: int) -> None:
        """The model card's remedy for a reply that looped: the reply is written again with
        a presence penalty (kept in the conversation's sampling)."""
        cid = self.store.message(assistant_id).conversation_id
        current = SamplingSettings.from_dict(self.store.get(cid).sampling)
        sampling = replace(current, presence_penalty=LOOP_REMEDY_PRESENCE_PENALTY)
        self.regenerate(assistant_id, sampling)

    def continue_reply(self, assistant_id: int, mode: ContinueMode, hint: str = "") -> None:
        """Let a reply that stopped go on, in its own bubble (stored in place)."""
        if self.session is None or self.conversation_id in self.live:
            return
        if self._cannot_continue() is not None:
            return
        message = self.store.message(assistant_id)
        widget = self.page.shown_answer(assistant_id)
        if widget is None or mode not in continue_modes(message):
            return
        thinking = self._thinking()
        self._start_reply(
            message.conversation_id,
            None,
            lambda s: s.continue_reply(assistant_id, mode, hint=hint, thinking=thinking),
            Continuing(message, mode, widget),
        )

    def steer(self, assistant_id: int) -> None:
        """Ask for a hint; QwQ then thinks on with it in its trace (marked as yours)."""
        dialog = QInputDialog(self)
        dialog.setObjectName("steerDialog")
        dialog.setWindowTitle("Steer")
        dialog.setLabelText("A hint for QwQ's thinking (it goes into the trace, marked as yours):")
        dialog.setInputMode(QInputDialog.InputMode.TextInput)
        dialog.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        dialog.setOkButtonText("Continue thinking")

        def accepted() -> None:
            hint = dialog.textValue().strip()
            if hint:
                self.continue_reply(assistant_id, "thinking", hint)

        dialog.accepted.connect(accepted)
        dialog.finished.connect(lambda _: dialog.deleteLater())
        self.steer_dialog = dialog
        dialog.open()

    def _offer_continue(self) -> None:
        """The last reply on screen offers to go on if it stopped early (not while one
        is being written here)."""
        if self._current_live() is None:
            self.page.offer_continue(self._cannot_continue())

    def _start_reply(
        self,
        cid: int,
        user_text: str | None,
        start: Callable[[ChatSession], StoredGeneration],
        continuing: Continuing | None = None,
    ) -> None:
        """Generate a reply: into a new bubble, or into ``continuing``'s (a reply going on)."""
        session = self.session
        assert session is not None
        if user_text is not None:
            self.page.add_user(user_text)
        # A save or this conversation's restore still running goes first (a running
        # re-warm is cancelled by the engine itself): waited for on the reply's worker.
        warm_first = self.warm.before_reply(cid) if self.warm is not None else None
        reply = ReplyController(
            cid, lambda: start(session), before=warm_first, continuing=continuing, parent=self
        )
        if continuing is None:
            self.page.add_reply(reply.widget)
        self.live[cid] = reply
        self._connect_reply(reply)
        reply.start()
        self._update_buttons()
        self._show_page()

    def _connect_reply(self, reply: ReplyController) -> None:
        """What a reply tells the window; the status bar shows only the reply on screen.
        (The list and the title follow the stored messages: see _on_store_changed.)"""
        reply.trace_grew.connect(lambda text: self.trace_dock.follow(reply.widget.reasoning, text))
        reply.speed.connect(lambda value: self._show_speed(reply, value))
        reply.context_used.connect(lambda used: self._show_context_used(reply, used))
        reply.thinking_changed.connect(lambda _: self._on_reply_thinking(reply))
        reply.finished.connect(lambda: self._on_finished(reply))

    def stop(self) -> None:
        reply = self._current_live()
        if reply is not None:
            reply.cancel()

    def _shown(self, reply: ReplyController) -> bool:
        return reply.conversation_id == self.conversation_id

    def _show_speed(self, reply: ReplyController, tokens_per_second: float) -> None:
        if self._shown(reply):
            self.speed_label.setText(f"{tokens_per_second:.1f} tok/s")

    def _show_context_used(self, reply: ReplyController, used: int) -> None:
        if self._shown(reply):
            self.context_meter.setValue(min(used, self.context_meter.maximum()))

    def _on_reply_thinking(self, reply: ReplyController) -> None:
        if self._shown(reply):
            self._update_buttons()  # Answer now: only while it thinks

    def _on_finished(self, reply: ReplyController) -> None:
        cid = reply.conversation_id
        self.live.pop(cid, None)
        self.models.rewarm(cid)
        stored = reply.stored is not None or reply.continued is not None
        if cid == self.conversation_id and stored:
            # Show it as stored: with its actions, and the user message's edits to flip.
            self.open_conversation(cid)
        self._update_buttons()
        if reply.continued is not None and reply.error is not None:
            # The reply is stored as it was: shown so again, saying why it did not go on.
            widget = self.page.shown_answer(reply.continued)
            if widget is not None:
                said = (f"Could not continue: {reply.error}", widget.footer.text())
                widget.set_footer(" · ".join(p for p in said if p))

    # -- settings ----------------------------------------------------------------------

    def _after_restore(self, _name: str) -> None:
        """A backup replaced the conversations (the list shows them by itself)."""
        self.conversation_list.forget_undo()
        self.new_chat()

    def open_settings(self) -> None:
        dialog = SettingsDialog(
            self.settings,
            self,
            store=self.store,
            busy=lambda: bool(self.live) or (self.warm is not None and self.warm.busy),
            snapshots=self.models.snapshots(),
        )
        if dialog.backups is not None:
            dialog.backups.restored.connect(self._after_restore)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            note = dialog.save_api_key()
            self.apply_settings(dialog.result_settings())
            if note:
                self.notices.show(note, source="api")

    def apply_settings(self, settings: AppSettings) -> None:
        self.settings = settings
        self._save_settings()
        self.models.settings_changed(settings)  # a new snapshot budget holds at once
        self.api.settings_changed(settings)  # a new port or key: served again with them
        if not self._budget_picked:  # a new default shows where no choice was made
            self._show_budget()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, settings.theme)

    def _save_settings(self) -> None:
        try:
            self.settings.save()
        except OSError as e:
            self.notices.show(f"Could not save the settings: {e}", "error", source="settings")

    def edit_system_prompt(self) -> None:
        current = self.store.get(self.conversation_id).system_prompt if self.conversation_id else ""
        dialog = SystemPromptDialog(current, self)
        if dialog.exec() == SystemPromptDialog.DialogCode.Accepted:
            self.set_system_prompt(dialog.text())

    def set_system_prompt(self, text: str) -> None:
        if self.conversation_id is None:
            # On a new chat the conversation starts here, with the prompt, at once (as
            # in send()): the message typed next must find it.
            self.conversation_id = self.store.create(system_prompt=text).id
            self.conversation_list.set_current(self.conversation_id)
        else:
            cid = self.conversation_id
            self.operations.write(
                "save the system prompt", lambda s: s.update_settings(cid, system_prompt=text)
            ).failure(self._update_system_button).run()  # (shows the prompt as stored)
        self.system_button.setText("System prompt ✓" if text else "System prompt…")

    # -- shutdown ----------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        self.store_changes.close()
        self.api.shutdown()
        for live in list(self.live.values()):
            live.cancel()
        if self.models.begin_close():  # a quit keeps the conversation's snapshot
            self.notices.show("Saving the conversation…", "progress")
            self.hide()
        wait_for_all()  # replies, a model load, a search: none outlives the window
        self.models.close(self.conversation_id)
        super().closeEvent(event)
