"""Settings → MCP servers: the servers from settings.json's ``mcpServers``, each with its
status and a Start/Stop button, its tools with on/off and "read-only (runs without asking)"
switches, and "Edit JSON…" to paste a block from another MCP client's docs.

The box edits a copy of the block (``raw()``, which the dialog saves on OK) and tells the
window's :class:`~app.tools.mcp_servers.McpServers` at once (``configure``), so Start runs
what is on screen; Settings puts the saved block back on Cancel. Starting and stopping run
as :class:`~app.ui.worker.Job` s: a server takes seconds to start, never on the GUI thread.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.tools.mcp_config import McpServerConfig, parse_servers, with_tool_flags
from app.tools.mcp_servers import McpServers, ServerStatus
from app.ui.worker import Job


class McpServersBox(QGroupBox):
    refreshed = Signal(str)  # a server's row shows its new status (the server's name)

    def __init__(
        self, raw: Mapping[str, Any], servers: McpServers | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(self.tr("MCP servers (tools QwQ may use)"), parent)
        self.setObjectName("mcpServers")
        self.servers = servers
        self._raw: dict[str, Any] = json.loads(json.dumps(raw))  # a deep copy
        self.problems = QLabel()
        self.problems.setObjectName("mcpProblems")
        self.problems.setWordWrap(True)
        self.empty = QLabel(
            self.tr(
                "No MCP servers yet. Paste an mcpServers block from a server's instructions "
                "with Edit JSON…; a server starts with the first reply that may use it, or "
                "when you start it here."
            )
        )
        self.empty.setWordWrap(True)
        self.edit_button = QPushButton(self.tr("Edit JSON…"))
        self.edit_button.setObjectName("mcpEditJson")
        self.edit_button.setAccessibleName(self.tr("Edit the MCP servers as JSON"))
        self.edit_button.clicked.connect(self.edit_json)
        self._rows_box = QVBoxLayout()
        self._rows_box.setContentsMargins(0, 0, 0, 0)
        self.rows: dict[str, ServerRow] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addLayout(self._rows_box)
        layout.addWidget(self.problems)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.edit_button)
        layout.addLayout(buttons)
        self._rebuild()

    def raw(self) -> dict[str, Any]:
        """The block as edited, for settings' ``mcp_servers``."""
        return json.loads(json.dumps(self._raw))  # type: ignore[no-any-return]

    def set_raw(self, raw: Mapping[str, Any]) -> None:
        self._raw = json.loads(json.dumps(raw))
        self._rebuild()

    def _configs(self) -> list[McpServerConfig]:
        configs, problems = parse_servers(self._raw)
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))
        return configs

    def _rebuild(self) -> None:
        configs = self._configs()
        if self.servers is not None:
            self.servers.configure(configs)
        for row in self.rows.values():
            row.deleteLater()
        self.rows = {}
        for config in configs:
            row = ServerRow(config, self)
            self.rows[config.name] = row
            self._rows_box.addWidget(row)
            self._show(config.name)
        self.empty.setVisible(not configs)

    def _show(self, name: str) -> None:
        row = self.rows.get(name)
        if row is None:
            return
        if self.servers is None or name not in self.servers.names():
            row.show_status(ServerStatus(name, "stopped"), available=False)
        else:
            row.show_status(self.servers.status(name), available=True)
        self.refreshed.emit(name)

    def start_or_stop(self, name: str) -> None:
        servers, row = self.servers, self.rows.get(name)
        if servers is None or row is None:
            return
        running = servers.status(name).state in ("starting", "ready")
        work: Callable[[], object] = (
            (lambda: servers.stop(name)) if running else (lambda: servers.start(name))
        )
        row.show_busy(self.tr("Stopping…") if running else self.tr("Starting…"))
        job = Job(work, self)
        job.done.connect(lambda _: self._show(name))
        job.failed.connect(lambda _: self._show(name))
        job.start()

    def set_tool(
        self, server: str, tool: str, *, enabled: bool | None = None, read_only: bool | None = None
    ) -> None:
        """One switch of one tool, written to the block and told to the servers."""
        self._raw = with_tool_flags(self._raw, server, tool, enabled=enabled, read_only=read_only)
        configs = self._configs()
        if self.servers is not None:
            self.servers.configure(configs)

    def edit_json(self) -> None:
        dialog = McpJsonDialog(self._raw, self)
        dialog.accepted.connect(lambda: self.set_raw(dialog.value))
        dialog.open()


class ServerRow(QFrame):
    """One server: its name and how it is reached, its status, Start/Stop, its tools."""

    def __init__(self, config: McpServerConfig, box: McpServersBox) -> None:
        super().__init__(box)
        self.setObjectName("mcpServer")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.config, self._box = config, box
        self.title = QLabel(f"<b>{_escape(config.name)}</b>")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.how = QLabel(_how(config))
        self.how.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.how.setWordWrap(True)
        self.status = QLabel()
        self.status.setObjectName("mcpStatus")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton()
        self.button.setObjectName("mcpStartStop")
        self.button.clicked.connect(lambda: box.start_or_stop(config.name))
        self.tools = QVBoxLayout()
        self.tools.setContentsMargins(12, 0, 0, 0)
        self._tool_widgets: list[QWidget] = []
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addWidget(self.status, 1)
        top.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.how)
        layout.addLayout(self.tools)

    def show_busy(self, text: str) -> None:
        self.status.setText(text)
        self.button.setEnabled(False)

    def show_status(self, status: ServerStatus, *, available: bool) -> None:
        name = self.config.name
        texts = {
            "stopped": self.tr("Stopped"),
            "starting": self.tr("Starting…"),
            "ready": self.tr("Ready: {count} tools").format(count=len(status.tools)),
            "failed": self.tr("Failed: {error}").format(error=status.error),
        }
        text = texts[status.state]
        if self.config.disabled:
            text = self.tr("Turned off in settings.json")
        self.status.setText(text)
        running = status.state in ("starting", "ready")
        self.button.setText(self.tr("Stop") if running else self.tr("Start"))
        self.button.setAccessibleName(
            (self.tr("Stop {name}") if running else self.tr("Start {name}")).format(name=name)
        )
        self.button.setEnabled(available and not self.config.disabled)
        for widget in self._tool_widgets:
            widget.deleteLater()
        self._tool_widgets = []
        for info in status.tools:
            line = QWidget(self)
            row = QHBoxLayout(line)
            row.setContentsMargins(0, 0, 0, 0)
            use = QCheckBox(info.name, line)
            use.setObjectName(f"mcpTool:{info.name}")
            use.setChecked(info.enabled)
            use.setAccessibleName(
                self.tr("Use {tool} of {server}").format(tool=info.name, server=name)
            )
            use.setToolTip(info.problem or info.description)
            quiet = QCheckBox(self.tr("read-only (runs without asking)"), line)
            quiet.setObjectName(f"mcpReadOnly:{info.name}")
            quiet.setChecked(info.read_only)
            quiet.setAccessibleName(
                self.tr("{tool} of {server} runs without asking").format(
                    tool=info.name, server=name
                )
            )
            use.toggled.connect(lambda on, t=info.name: self._box.set_tool(name, t, enabled=on))
            quiet.toggled.connect(lambda on, t=info.name: self._box.set_tool(name, t, read_only=on))
            row.addWidget(use)
            row.addStretch(1)
            if info.problem:
                note = QLabel(info.problem, line)
                note.setWordWrap(True)
                row.addWidget(note)
            row.addWidget(quiet)
            self.tools.addWidget(line)
            self._tool_widgets.append(line)


class McpJsonDialog(QDialog):
    """The ``mcpServers`` block as JSON; OK only when it reads without a problem."""

    def __init__(self, raw: Mapping[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("MCP servers as JSON"))
        self.value: dict[str, Any] = dict(raw)
        self.editor = QPlainTextEdit(json.dumps(dict(raw), indent=2, ensure_ascii=False))
        self.editor.setObjectName("mcpJson")
        self.editor.setAccessibleName(self.tr("MCP servers as JSON"))
        self.editor.setTabChangesFocus(True)
        self.editor.setMinimumSize(520, 320)
        hint = QLabel(
            self.tr(
                'The "mcpServers" object other MCP clients use: a name, then "command", "args" '
                'and "env" for a program, or "url" and "headers" for a server over HTTP. Also '
                'per server: "disabled", "disabledTools", "readOnlyTools".'
            )
        )
        hint.setWordWrap(True)
        self.problems = QLabel()
        self.problems.setObjectName("mcpJsonProblems")
        self.problems.setWordWrap(True)
        self.problems.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.check_and_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)

    def check_and_accept(self) -> None:
        text = self.editor.toPlainText().strip() or "{}"
        try:
            value = json.loads(text)
        except ValueError as e:
            self._refuse([self.tr("This is not JSON: {error}").format(error=e)])
            return
        if isinstance(value, dict) and isinstance(value.get("mcpServers"), dict):
            value = value["mcpServers"]  # the whole file of another client, pasted
        problems = parse_servers(value)[1]
        if problems:
            self._refuse(problems)
            return
        self.value = value
        self.accept()

    def _refuse(self, problems: list[str]) -> None:
        self.problems.setText("\n".join(problems))
        self.problems.show()


def _how(config: McpServerConfig) -> str:
    if config.transport == "http":
        return config.url
    return " ".join([config.command, *config.args])


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
