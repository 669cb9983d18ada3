"""Settings → MCP servers, driven like a user would, with the fixture server for real."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QCheckBox, QDialogButtonBox, QWidget
from pytestqt.qtbot import QtBot

from app.core.settings import AppSettings
from app.tools.mcp_config import parse_servers
from app.tools.mcp_servers import McpServers
from app.ui.mcp_page import McpJsonDialog, McpServersBox
from app.ui.settings_dialog import SettingsDialog
from tests.ui.test_accessibility import everything_in, unnamed

FIXTURE = str(Path(__file__).resolve().parent.parent / "fixtures" / "mcp_server.py")


def block(tmp_path: Path, **modes: str) -> dict[str, Any]:
    notes = str(tmp_path / "notes.txt")
    return {
        name: {
            "command": sys.executable,
            "args": [FIXTURE, "--mode", mode],
            "env": {"MCP_NOTES": notes},
        }
        for name, mode in modes.items()
    }


@pytest.fixture
def servers() -> Iterator[McpServers]:
    made = McpServers([], start_timeout_s=20)
    yield made
    made.close()


def press_start(qtbot: QtBot, box: McpServersBox, name: str) -> None:
    with qtbot.waitSignal(box.refreshed, timeout=30_000, check_params_cb=lambda n: n == name):
        box.rows[name].button.click()


def check_box(box: McpServersBox, name: str) -> QCheckBox:
    found = box.findChild(QCheckBox, name)
    assert isinstance(found, QCheckBox), name
    return found


def test_start_a_server_switch_its_tools_and_stop_it(
    qtbot: QtBot, tmp_path: Path, servers: McpServers
) -> None:
    raw = block(tmp_path, notes="normal")
    box = McpServersBox(raw, servers)
    qtbot.addWidget(box)
    row = box.rows["notes"]
    assert row.status.text() == "Stopped" and row.button.text() == "Start"
    assert servers.status("notes").state == "stopped"  # showing it started nothing

    press_start(qtbot, box, "notes")
    assert row.status.text().startswith("Ready:") and row.button.text() == "Stop"
    assert row.button.accessibleName() == "Stop notes"
    check_box(box, "mcpTool:write_note").setChecked(False)
    check_box(box, "mcpReadOnly:add").setChecked(True)
    assert box.raw()["notes"]["disabledTools"] == ["write_note"]
    assert box.raw()["notes"]["readOnlyTools"] == ["add"]
    offered = {t.name: t for t in servers.tools()}  # the servers heard at once
    assert "write_note" not in offered and not offered["add"].needs_approval
    assert raw["notes"].get("disabledTools") is None  # the settings given are not changed

    press_start(qtbot, box, "notes")  # the same button, now Stop
    assert row.status.text() == "Stopped" and servers.status("notes").state == "stopped"
    assert unnamed(everything_in(box)) == []


def test_a_server_that_fails_shows_its_own_error(
    qtbot: QtBot, tmp_path: Path, servers: McpServers
) -> None:
    box = McpServersBox(block(tmp_path, broken="crash_at_start"), servers)
    qtbot.addWidget(box)
    press_start(qtbot, box, "broken")
    status = box.rows["broken"].status.text()
    assert status == "Failed: fixture: no API key given (set FIXTURE_KEY)"
    assert box.rows["broken"].button.text() == "Start"


def test_edit_json_refuses_a_bad_block_and_takes_a_good_one(
    qtbot: QtBot, tmp_path: Path, servers: McpServers
) -> None:
    box = McpServersBox({}, servers)
    qtbot.addWidget(box)
    assert box.empty.isVisibleTo(box) and box.rows == {}
    dialog = McpJsonDialog(box.raw(), box)
    qtbot.addWidget(dialog)
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)  # type: ignore[union-attr]
    dialog.editor.setPlainText("{ not json")
    ok.click()
    assert dialog.problems.text().startswith("This is not JSON") and dialog.result() == 0
    dialog.editor.setPlainText('{"x": {"command": 7}}')
    ok.click()
    assert "x" in dialog.problems.text() and "program to run" in dialog.problems.text()
    pasted = '{"mcpServers": {"web": {"url": "http://127.0.0.1:9/mcp"}}}'  # a whole file
    dialog.editor.setPlainText(pasted)
    dialog.accepted.connect(lambda: box.set_raw(dialog.value))
    ok.click()
    assert box.raw() == {"web": {"url": "http://127.0.0.1:9/mcp"}}
    assert list(box.rows) == ["web"] and servers.names() == ["web"]


def test_the_settings_dialog_saves_the_block(
    qtbot: QtBot, tmp_path: Path, servers: McpServers
) -> None:
    raw = block(tmp_path, notes="normal")
    servers.configure(parse_servers(raw)[0])
    parent = QWidget()
    qtbot.addWidget(parent)
    dialog = SettingsDialog(AppSettings(mcp_servers=raw), parent, mcp=servers)
    assert dialog.result_settings().mcp_servers == raw
    dialog.mcp_box.set_tool("notes", "echo", enabled=False)
    assert dialog.result_settings().mcp_servers["notes"]["disabledTools"] == ["echo"]
    dialog.show()
    assert unnamed(everything_in(dialog)) == []
    dialog.reject()
