"""The model in use: loading it, letting the old one go, and what comes with an engine.

One owner for everything that chooses or replaces the engine: a GGUF opened (Ctrl+O,
a drop, the model library, a finished download, the start), a remote endpoint, and the
warm keeping that a local engine brings (the conversation left is saved, the one opened
restored, a reply's conversation re-warmed). The window only hears what changed:

- ``loading(name)``, ``engine_closed()`` (the engine in use goes first), then
  ``load_progress(fraction)``, then ``engine_changed(engine)`` or ``load_failed(message)``;
- ``noticed(Notice)`` for every message to the user (through :class:`~app.ui.notices.Notices`);
- ``setup_requested()`` when the library asks for the download page.

The window asks it what it needs to know about the screen through three callables
(the conversation shown, the conversations with a reply running, whether the download
page is on screen), so this controller never reaches into the window's widgets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QWidget

from app.core.paths import AppPaths
from app.core.settings import AppSettings
from app.documents.collections import Collections
from app.engine.base import ChatEngine
from app.engine.kv_snapshots import SnapshotCache
from app.engine.local_engine import LocalEngine, load_settings_from
from app.keep_warm import KeepWarm
from app.models import library
from app.models.download import Progress
from app.session import ChatSession
from app.store.conversations import ConversationStore
from app.tools.builtin import builtin_tools
from app.tools.mcp_servers import McpServers, McpTool
from app.ui import settings_control
from app.ui.model_library import ModelLibrary
from app.ui.model_setup import DownloadRunner, ModelSetup, progress_text
from app.ui.notices import Notice, NoticeKind
from app.ui.remote_dialog import RemoteDialog
from app.ui.warm_keeper import WarmKeeper, WarmTask
from app.ui.worker import Job, wait_for_all

log = logging.getLogger(__name__)

SAVE_ON_CLOSE_MS = 60_000  # the longest a quit waits for the conversation's snapshot
WARM_NOTE_MS = 3_000  # how long "Warm" stays in the status bar
LOAD_POLL_MS = 100  # how often llama.cpp's load progress is shown


def snapshot_budget_bytes(settings: AppSettings) -> int:
    return int(settings.snapshot_budget_gb * 2**30)


def snapshot_cache(settings: AppSettings) -> SnapshotCache | None:
    """The conversations' snapshots on disk, with the budget set (None: turned off)."""
    budget = snapshot_budget_bytes(settings)
    return SnapshotCache(AppPaths.current().cache / "kv", budget) if budget else None


def dropped_gguf(data: QMimeData) -> str:
    """The local .gguf file being dragged in, or ""."""
    for url in data.urls():
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".gguf"):
            return str(url.toLocalFile())
    return ""


class ModelController(QObject):
    """Owns the engine, its session and its warm keeper; see the module's docstring."""

    loading = Signal(str)  # the file's name: a load began (the engine in use is going)
    load_progress = Signal(float)  # 0..1, llama.cpp's own
    load_failed = Signal(str)
    engine_changed = Signal(object)  # the ChatEngine now in use (its session is ready)
    engine_closed = Signal()  # the engine in use was let go for a load: none until it ends
    noticed = Signal(object)  # a Notice for the status bar
    setup_requested = Signal()  # show the download page

    def __init__(
        self,
        window: QWidget,
        store: ConversationStore,
        settings: AppSettings,
        *,
        shown: Callable[[], int | None],
        replying: Callable[[], Collection[int]],
        on_setup_page: Callable[[], bool],
    ) -> None:
        super().__init__(window)
        self._window = window  # the dialogs' parent
        self.store = store
        self.settings = settings  # the window's, changed in place (models, last, remote)
        self._shown = shown
        self._replying = replying
        self._on_setup_page = on_setup_page
        self.engine: ChatEngine | None = None
        self.session: ChatSession | None = None
        self.mcp: McpServers | None = None  # the window's MCP servers (set by the window)
        self.collections: Collections | None = None  # the window's collections (likewise)
        # Keeps the local engine's conversations warm (re-warm, snapshots); None: remote.
        self.warm: WarmKeeper | None = None
        self.closed = False
        self.library_dialog: ModelLibrary | None = None
        self.remote_dialog: RemoteDialog | None = None
        self.downloads = DownloadRunner(self)
        self.downloads.progress.connect(self._on_download_progress)
        self.downloads.finished.connect(self._on_download_finished)
        self.downloads.failed.connect(
            lambda m: self._download_note(
                self.tr("Download failed: {error}").format(error=m), "error"
            )
        )
        self.downloads.stopped.connect(
            lambda c: self._download_note("" if c else self.tr("Download paused"))
        )
        # The first-run page (the window lays it out): recommends, downloads, opens a file.
        self.first_run = ModelSetup(self.downloads)
        self.first_run.open_file.connect(self.choose_model)

    def start(self, model_path: str | None) -> None:
        """At the window's start: the model asked for, else the last one, else the page
        that offers a download."""
        default = self.settings.last_model
        if model_path:
            self.load_model(model_path)
        elif default and Path(default).exists():
            self.load_model(default)
        else:
            self.first_run.refresh(self.settings.models, self.settings.context_length)

    # -- choosing a model ---------------------------------------------------------------

    def choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self._window, self.tr("Open a GGUF model"), "", self.tr("GGUF models (*.gguf)")
        )
        if path:
            self.open_gguf(path)

    def open_gguf(self, path: str) -> None:
        """A GGUF from anywhere: checked (header, parts, architecture) before it loads,
        then remembered in the library."""
        self._note(self.tr("Checking {name}…").format(name=Path(path).name), "progress")
        job = Job(lambda: library.validate(path), self)
        job.done.connect(lambda _: self._remember_and_load(path))
        job.failed.connect(self._on_load_failed)
        job.start()

    def _remember_and_load(self, path: str) -> None:
        resolved = str(Path(path).resolve())
        models = AppPaths.current().models.resolve()
        if not Path(resolved).is_relative_to(models) and resolved not in self.settings.models:
            self.settings.models.append(resolved)
            self._save_settings()
        self.load_model(resolved)

    def drag_enter(self, event: QDragEnterEvent) -> None:
        if dropped_gguf(event.mimeData()):
            event.acceptProposedAction()

    def drop(self, event: QDropEvent) -> None:
        path = dropped_gguf(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.open_gguf(path)

    def use_remote(self) -> None:
        """Run the next replies on a remote endpoint (the local model is unloaded)."""
        dialog = RemoteDialog(self.settings.remote, self._window)
        self.remote_dialog = dialog

        def chosen() -> None:
            if dialog.engine is None:
                return
            self.settings.remote = dialog.choice
            self._save_settings()
            if self.engine is not None and not self._replying():
                Job(self._let_go_of_engine(), self).start()
            self._use(dialog.engine)
            if dialog.note:
                self._note(dialog.note)

        dialog.accepted.connect(chosen)
        dialog.open()

    def open_library(self) -> None:
        dialog = ModelLibrary(self.settings, self._window)
        dialog.load_requested.connect(self.load_model)
        dialog.add_requested.connect(self.choose_model)
        dialog.download_requested.connect(self.setup_requested)
        self.library_dialog = dialog
        dialog.open()

    # -- loading ------------------------------------------------------------------------

    def load_model(self, path: str) -> None:
        """Load on a worker; ``load_progress`` carries llama.cpp's own load progress."""
        self._note(self.tr("Loading {name}…").format(name=Path(path).name), "progress")
        self.loading.emit(Path(path).name)
        replying = bool(self._replying())
        let_go = self._let_go_of_engine() if self.engine is not None and not replying else None
        if let_go is not None:  # closed on the worker: nothing may use it from now on
            self.engine = self.session = None
            self.engine_closed.emit()
        load = load_settings_from(self.settings)
        progress = [0.0]  # written by the loading thread, read by the timer below

        def set_progress(value: float) -> None:
            progress[0] = value

        poll = QTimer(self)
        poll.setInterval(LOAD_POLL_MS)
        poll.timeout.connect(lambda: self.load_progress.emit(progress[0]))
        poll.start()

        def work() -> LocalEngine:
            if let_go is not None:  # the old model's warm state is saved, then it goes
                let_go()
            return LocalEngine(path, load, on_progress=set_progress)

        job = Job(work, self)
        job.done.connect(self._use)
        job.failed.connect(self._on_load_failed)
        job.done.connect(lambda _: poll.stop())
        job.failed.connect(lambda _: poll.stop())
        job.start()

    def _let_go_of_engine(self) -> Callable[[], None]:
        """The engine is being replaced: its conversation on screen is saved (a leave: a
        snapshot only if the cache changed since the last one) and nothing else queued runs.
        Returns what closes it, to call on a worker (it waits, bounded, for that save)."""
        old, warm = self.engine, self.warm
        self.warm = None
        shown = self._shown()
        if warm is not None:
            warm.drop_queued()
            if shown is not None and shown not in self._replying():
                warm.leave(shown)

        def close() -> None:
            if warm is not None:
                warm.cut_rewarm_short()
                warm.wait(SAVE_ON_CLOSE_MS)
            if old is not None:
                old.close()

        return close

    def _use(self, engine: ChatEngine) -> None:
        """An engine is ready (loaded, or a remote endpoint chosen): it takes over."""
        if self.closed:  # loaded after the window closed (its store may be closed too)
            engine.close()
            return
        self.engine = engine
        self.warm = None
        shown = self._shown()
        if engine.kv_cache is not None:  # a remote engine has no cache to keep warm
            keep_warm = KeepWarm(self.store, engine, snapshot_cache(self.settings))
            self.warm = WarmKeeper(keep_warm, self)
            self.warm.finished.connect(self._on_warm_task)
            if shown is not None and shown not in self._replying():
                self.restore(shown)
        if engine.model_file is not None:  # a remote endpoint is chosen again each run
            self.settings.last_model = str(engine.model_file)
            self._save_settings()
        self.session = ChatSession(self.store, engine)
        self._apply_tools()
        self.noticed.emit(Notice("", source="model"))  # "Loading…" is over
        self.engine_changed.emit(engine)

    def _on_load_failed(self, error: BaseException) -> None:
        message = self.tr("Could not load the model: {error}").format(error=error)
        self._note(message, "error")
        self.load_failed.emit(message)

    # -- downloads ----------------------------------------------------------------------

    def _on_download_progress(self, p: Progress) -> None:
        if not self._on_setup_page():  # the page shows its own progress
            text = f"↓ {self.downloads.label}: {p.fraction:.0%}"
            self.noticed.emit(Notice(text, "progress", "download", tooltip=progress_text(p)))

    def _download_note(self, text: str, kind: NoticeKind = "info") -> None:
        self.noticed.emit(Notice(text, kind, "download"))

    def _on_download_finished(self, paths: list[Path]) -> None:
        path = str(paths[0])
        self._download_note(self.tr("Downloaded {name}").format(name=paths[0].name))
        if not self.settings.last_model:
            self.settings.last_model = path
            self._save_settings()
        if self.engine is None or self._on_setup_page():
            self.load_model(path)

    # -- keeping conversations warm (issue 13) ------------------------------------------

    def leave_for(self, left: int | None, opened: int | None) -> None:
        """The screen goes from ``left`` to ``opened``: the one left is saved and the one
        opened restored, both on the keeper's worker."""
        if self.warm is None or left == opened:
            return
        if left is not None and left not in self._replying():
            self.warm.leave(left)
        if opened is not None:
            self.restore(opened)

    def restore(self, conversation_id: int) -> None:
        if self.warm is None or conversation_id in self._replying():
            return  # (a reply holds the cache)
        self.warm.open(conversation_id)
        self.noticed.emit(Notice(self.tr("Restoring conversation…"), "progress", "warm"))

    def rewarm(self, conversation_id: int) -> None:
        """A reply ended: re-warm its conversation in idle time (answers only) and save it."""
        if self.warm is None:
            return
        if self.session is not None:  # the tools in the next prompt: those this one had
            self.warm.keep_warm.tools = list(self.session.offered)
        if self.closed:
            self.warm.reply_ended()
        else:  # (a reply cut short is not re-warmed: Continue uses its trace in the cache)
            self.warm.after_reply(conversation_id)

    def _on_warm_task(self, task: WarmTask) -> None:
        if task.error is not None:
            why = self.tr("Could not keep the conversation warm: {error}").format(error=task.error)
            self.noticed.emit(Notice("", "error", "warm", tooltip=why, tooltip_only=True))
        if task.kind != "open" or (self.warm is not None and self.warm.pending("open")):
            return  # (another conversation is being restored)
        if task.error or task.dropped or task.conversation_id != self._shown():
            self.noticed.emit(Notice("", "info", "warm"))
            return
        restored = task.result if isinstance(task.result, int) else 0
        held = self.warm is not None and self.warm.keep_warm.holding == task.conversation_id
        tip = self.tr("{count:,} tokens of this conversation restored from its snapshot").format(
            count=restored
        )
        self.noticed.emit(
            Notice(
                self.tr("Warm") if restored or held else "",
                "info",
                "warm",
                timeout_ms=WARM_NOTE_MS,
                tooltip=tip if restored else "",
            )
        )

    # -- settings -----------------------------------------------------------------------

    def snapshots(self) -> SnapshotCache:
        """The snapshots in use, or (none loaded, or turned off) those on disk."""
        if self.warm is not None and self.warm.keep_warm.snapshots is not None:
            return self.warm.keep_warm.snapshots
        return SnapshotCache(AppPaths.current().cache / "kv", snapshot_budget_bytes(self.settings))

    def _apply_tools(self) -> None:
        """The tools of Settings, offered in the replies from now on (with a local model:
        a remote endpoint is not offered tools yet), and in the prompt the cache is kept
        warm for."""
        session = self.session
        if session is None:
            return
        local = session.engine.kv_cache is not None
        tools = list(builtin_tools(self.store, names=self.settings.tools).values()) if local else []
        session.tools = tools
        servers = local and self.mcp is not None and bool(self.mcp.names())
        session.more_tools = self._mcp_tools if servers else None
        session.collections = self.collections
        session.max_tool_rounds = self.settings.tool_rounds
        if self.warm is not None:
            self.warm.keep_warm.tools = [t.spec() for t in tools]

    def _mcp_tools(self) -> list[McpTool]:
        """On a reply's worker: the MCP servers the user enabled, started on demand (the
        first reply after the app starts waits for them), and their enabled tools."""
        assert self.mcp is not None
        self.mcp.start_on_demand()
        return self.mcp.tools()

    def settings_changed(self, settings: AppSettings) -> None:
        """New settings (saved by the window): a new snapshot budget holds at once, and
        the tools chosen apply to the next reply."""
        budget_changed = settings.snapshot_budget_gb != self.settings.snapshot_budget_gb
        self.settings = settings
        self._apply_tools()
        if budget_changed and self.warm is not None:
            keep_warm = self.warm.keep_warm
            if keep_warm.snapshots is not None and snapshot_budget_bytes(settings):
                keep_warm.snapshots.budget_bytes = snapshot_budget_bytes(settings)
            else:  # turned on or off
                keep_warm.snapshots = snapshot_cache(settings)

    def _save_settings(self) -> None:
        refused = settings_control.save(self.settings)
        if refused is not None:
            self.noticed.emit(refused)

    def _note(self, text: str, kind: NoticeKind = "info") -> None:
        self.noticed.emit(Notice(text, kind, "model"))

    # -- shutdown -----------------------------------------------------------------------

    def begin_close(self) -> bool:
        """The window is closing: the download pauses (the next start offers to resume it)
        and nothing queued for the warm keeper runs. True: the conversation's snapshot
        will be saved (the window says so and hides meanwhile)."""
        self.closed = True
        self.downloads.pause()
        if self.warm is None:
            return False
        self.warm.drop_queued()
        self.warm.cut_rewarm_short()
        return True

    def close(self, shown: int | None) -> None:
        """After the replies have ended: the conversation shown keeps its snapshot
        (bounded wait), then the engine closes."""
        warm = self.warm
        if warm is not None:
            warm.reply_ended()  # the replies are over: the queue may run
            if shown is not None:
                warm.leave(shown)
            if not warm.wait(SAVE_ON_CLOSE_MS):
                log.warning("closing: the conversation's snapshot took too long; not kept")
            wait_for_all()
        if self.engine is not None:
            self.engine.close()
            self.engine = None
