"""The row of buttons above the chat: each click says what was asked for."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from app.ui.tool_row import ToolRow


def test_each_button_asks_for_its_part(qtbot: QtBot) -> None:
    system = QPushButton("System prompt…")
    row = ToolRow(system)
    qtbot.addWidget(row)
    assert system.parent() is row  # laid out first, among the others
    for button, signal in (
        (row.models_button, row.models_requested),
        (row.remote_button, row.remote_requested),
        (row.settings_button, row.settings_requested),
    ):
        with qtbot.waitSignal(signal):
            button.click()
