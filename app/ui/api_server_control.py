"""The local API server's one owner: its toggle button and its whole lifecycle.

The window used to start and stop the server in five places (the toggle, a model load,
the load's end, new settings, the close). They are this object's five methods now:

- :meth:`set_on` — the toggle (the button's ``toggled``);
- :meth:`engine_going` — a model is being replaced: no request may run on it;
- :meth:`engine_ready` — a model is in use again: serve it if the toggle is on;
- :meth:`settings_changed` — a new port or key: serve again with them;
- :meth:`shutdown` — the window closes.

Starting (binding the port) and stopping run on a worker, so the GUI never waits on
uvicorn, except at shutdown, where nothing may outlive the window. A start waits for a
stop still under way, so the same port is free again when it binds.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPushButton, QWidget

from app.api.server import ApiServer
from app.core import keys
from app.core.errors import QwQError
from app.core.i18n import QT_TRANSLATE_NOOP
from app.core.settings import AppSettings
from app.engine.base import ChatEngine
from app.ui.icons import Icon, icon
from app.ui.worker import Job

TOOLTIP = QT_TRANSLATE_NOOP(
    "ApiServerControl",
    "Serve the loaded model as an OpenAI-compatible API on this machine (127.0.0.1)",
)


class ApiServerControl(QObject):
    """Owns ``server`` (None while off, starting or stopping) and ``button``."""

    failed = Signal(str)  # the server could not start (the toggle is off again)

    def __init__(
        self,
        engine: Callable[[], ChatEngine | None],
        settings: AppSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._engine = engine
        self.settings = settings
        self.server: ApiServer | None = None
        self._starting: tuple[Job, ApiServer] | None = None
        self._stopping: Job | None = None
        self.button = QPushButton(self.tr("API: off"))
        self.button.setObjectName("apiToggle")
        self.button.setIcon(icon(Icon.API))
        self.button.setCheckable(True)
        self.button.setToolTip(self.tr(TOOLTIP))
        self.button.toggled.connect(self.set_on)

    @property
    def wanted(self) -> bool:
        """The user has the toggle on (whether or not it serves right now)."""
        return self.button.isChecked()

    def set_on(self, on: bool) -> None:
        """Start or stop the local API (on a worker: binding the port takes a moment)."""
        if not on:
            self._stop()
            self.button.setText(self.tr("API: off"))
            return
        if self.server is not None or self._starting is not None:
            return
        self._after_stop(self._start)

    def engine_going(self) -> None:
        """No API request may run on the model being replaced: stop until it is ready."""
        if self.server is None:
            return
        self._stop()
        self.button.setText(self.tr("API: restarting after the load…"))

    def engine_ready(self) -> None:
        """A model is in use: serve it again if the toggle is on."""
        if self.wanted and self.server is None:
            self.set_on(True)

    def settings_changed(self, settings: AppSettings) -> None:
        """A new port, key or loop guard: a running server serves again with them."""
        self.settings = settings
        if self.server is not None:
            self._stop()
            self.set_on(True)

    def shutdown(self) -> None:
        """The window closes: stop now, on the GUI thread (nothing outlives the window)."""
        if self._starting is not None:  # binding the port: let it, then stop it
            job, starting = self._starting
            self._starting = None
            job.wait()
            starting.stop()
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self._stopping is not None:
            self._stopping.wait()

    # -- the worker side -----------------------------------------------------------------

    def _stop(self) -> None:
        if self.server is None:
            return
        server, self.server = self.server, None
        job = Job(server.stop, self)
        self._stopping = job

        def ended(_: object) -> None:
            if self._stopping is job:
                self._stopping = None

        job.done.connect(ended)
        job.failed.connect(ended)
        job.start()

    def _after_stop(self, then: Callable[[], None]) -> None:
        """Run ``then`` once a stop under way has ended (the port is free again)."""
        stopping = self._stopping
        if stopping is None or not stopping.running:
            then()
            return
        stopping.done.connect(lambda _: then())
        stopping.failed.connect(lambda _: then())

    def _start(self) -> None:
        if not self.wanted or self.server is not None or self._starting is not None:
            return  # toggled off meanwhile, or already started
        try:
            key = keys.local_api_key()  # QWQ_DESKTOP_API_KEY, else the one set in Settings
        except QwQError as e:  # (a variable no client could send: not served keyless)
            self.button.setChecked(False)
            self.failed.emit(str(e))
            return
        # Loopback only: the window never serves other machines (keyless or not).
        server = ApiServer(
            self._engine,
            host="127.0.0.1",
            port=self.settings.api_port,
            api_key=key,
            loop_guard=self.settings.loop_guard,
        )
        self.button.setText(self.tr("API: starting…"))
        job = Job(server.start, self)
        self._starting = (job, server)

        def started(_: object) -> None:
            if self._starting is None:
                return  # shut down meanwhile (and stopped there)
            self._starting = None
            if not self.wanted:  # toggled off while it bound the port
                self.server = server
                self._stop()
                return
            self.server = server
            self.button.setText(self.tr("API: {url}").format(url=server.url))

        def failed(error: BaseException) -> None:
            if self._starting is None:
                return
            self._starting = None
            self.button.setChecked(False)
            self.button.setText(self.tr("API: off"))
            self.failed.emit(str(error))

        job.done.connect(started)
        job.failed.connect(failed)
        job.start()
