"""Light, dark, or the system's choice; Fusion, so both look the same on every OS."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

SCHEMES = {
    "system": Qt.ColorScheme.Unknown,  # follow the system
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
}


def apply_theme(app: QApplication, theme: str) -> None:
    app.setStyle("Fusion")
    app.styleHints().setColorScheme(SCHEMES.get(theme, Qt.ColorScheme.Unknown))
