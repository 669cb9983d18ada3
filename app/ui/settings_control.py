"""The app's settings in use: the Settings dialog, applying a new set, saving it.

The part holds the :class:`~app.core.settings.AppSettings` in use and says when a new
set applies (``changed``): the window hands it on to the parts that follow the settings
(the model, the API server, the thinking budget). A backup restored from the dialog
(``restored``) and what the user should know (``noticed``) go to the window too.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget

from app.core.settings import AppSettings
from app.documents.collections import Collections
from app.engine.kv_snapshots import SnapshotCache
from app.store.conversations import ConversationStore
from app.tools.mcp_config import parse_servers
from app.tools.mcp_servers import McpServers
from app.ui.notices import Notice
from app.ui.settings_dialog import SettingsDialog
from app.ui.theme import apply_theme


class SettingsControl(QObject):
    """Opens the Settings dialog and applies what it returns."""

    changed = Signal(object)  # the AppSettings now in use (saved already)
    restored = Signal(str)  # a backup replaced the conversations (the backup shown)
    noticed = Signal(object)  # a Notice for the status bar
    collections_changed = Signal()  # a collection was added, re-indexed or removed

    def __init__(
        self,
        window: QWidget,
        store: ConversationStore,
        *,
        busy: Callable[[], bool],
        snapshots: Callable[[], SnapshotCache],
    ) -> None:
        super().__init__(window)
        self._window = window  # the dialog's parent
        self.store = store
        self._busy = busy  # a reply or a warm task runs: a restore must wait
        self._snapshots = snapshots
        self.settings = AppSettings.load()
        # The MCP servers of these settings: none runs until the user starts it (the
        # settings page, or asking for its tools); close() stops them.
        self.mcp = McpServers(parse_servers(self.settings.mcp_servers)[0])
        self.collections: Collections | None = None  # the window's (set by the window)

    def open_dialog(self) -> None:
        dialog = SettingsDialog(
            self.settings,
            self._window,
            store=self.store,
            busy=self._busy,
            snapshots=self._snapshots(),
            mcp=self.mcp,
            collections=self.collections,
        )
        if dialog.collections_box is not None:
            dialog.collections_box.changed.connect(self.collections_changed)
        if dialog.backups is not None:
            dialog.backups.restored.connect(self.restored)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            note = dialog.save_api_key()
            self.apply(dialog.result_settings())
            if note:
                self.noticed.emit(Notice(note, source="api"))
        else:  # the page told the servers what it showed: back to what is saved
            self.mcp.configure(parse_servers(self.settings.mcp_servers)[0])

    def apply(self, settings: AppSettings) -> None:
        """Use ``settings`` from now: saved, handed on, and the theme they choose (the
        language at the next start: widgets take their texts as they are built)."""
        language_changed = settings.language != self.settings.language
        self.settings = settings
        self.mcp.configure(parse_servers(settings.mcp_servers)[0])
        refused = save(settings)
        if refused is not None:
            self.noticed.emit(refused)
        elif language_changed:
            note = self.tr("The new language applies when QwQ Desktop starts again.")
            self.noticed.emit(Notice(note, source="settings"))
        self.changed.emit(settings)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, settings.theme)

    def close(self) -> None:
        """Stop every MCP server (the window is closing); waits a few seconds at most."""
        self.mcp.close()


def save(settings: AppSettings) -> Notice | None:
    """Write ``settings`` to disk; the notice to show when the disk refuses (None: saved).
    The one place the window saves them (this part, and the model controller's choices)."""
    try:
        settings.save()
    except OSError as e:
        text = QCoreApplication.translate("SettingsControl", "Could not save the settings: {error}")
        return Notice(text.format(error=e), "error", "settings")
    return None
