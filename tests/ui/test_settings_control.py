"""The settings part on its own: applying a new set saves it and hands it on once."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.core.settings import AppSettings
from app.engine.kv_snapshots import SnapshotCache
from app.store.conversations import ConversationStore
from app.ui.notices import Notice
from app.ui.settings_control import SettingsControl


def control_for(qtbot: QtBot, store: ConversationStore) -> SettingsControl:
    window = QWidget()
    qtbot.addWidget(window)

    def no_snapshots() -> SnapshotCache:
        raise AssertionError("the dialog is not opened here")

    return SettingsControl(window, store, busy=lambda: False, snapshots=no_snapshots)


def test_it_starts_from_the_saved_settings(qtbot: QtBot, store: ConversationStore) -> None:
    AppSettings(thinking_budget_tokens=2048).save()
    assert control_for(qtbot, store).settings.thinking_budget_tokens == 2048


def test_new_settings_are_saved_then_handed_on(qtbot: QtBot, store: ConversationStore) -> None:
    control = control_for(qtbot, store)
    notices: list[Notice] = []
    control.noticed.connect(notices.append)
    new = AppSettings(thinking_budget_seconds=60.0, api_port=18_123)
    with qtbot.waitSignal(control.changed) as changed:
        control.apply(new)
    assert changed.args == [new] and control.settings is new
    assert AppSettings.load().api_port == 18_123  # saved before the parts hear of it
    assert notices == []


def test_a_failed_save_says_so_and_still_applies(qtbot: QtBot, store: ConversationStore) -> None:
    control = control_for(qtbot, store)
    AppSettings.path().parent.mkdir(parents=True, exist_ok=True)
    AppSettings.path().mkdir()  # a folder where the file should go: the save fails
    notices: list[Notice] = []
    control.noticed.connect(notices.append)
    with qtbot.waitSignal(control.changed):
        control.apply(AppSettings(api_port=18_124))
    (notice,) = notices
    assert notice.kind == "error" and notice.source == "settings"
    assert notice.text.startswith("Could not save the settings: ")


def test_the_mcp_servers_follow_the_settings_and_stop_with_the_window(
    qtbot: QtBot, store: ConversationStore
) -> None:
    control = control_for(qtbot, store)
    assert control.mcp.names() == []
    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "mcp_server.py"
    raw = {"s": {"command": sys.executable, "args": [str(fixture)]}}
    with qtbot.waitSignal(control.changed):
        control.apply(AppSettings(mcp_servers=raw))
    assert control.mcp.names() == ["s"] and control.mcp.status("s").state == "stopped"
    try:
        assert control.mcp.start("s").state == "ready"
    finally:
        control.close()
    assert control.mcp.status("s").state == "stopped"
    control.close()  # twice: the window may close again
