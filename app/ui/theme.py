"""Light, dark, or the system's choice; Fusion, so both look the same on every OS.

Asking Qt for a color scheme is not enough where the platform has no theme of its
own (plain X11, for one), so a dark palette is set explicitly.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

SCHEMES = {
    "system": Qt.ColorScheme.Unknown,  # follow the system
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
}


def dark_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colors = {
        role.Window: "#202124",
        role.WindowText: "#e8eaed",
        role.Base: "#18191b",
        role.AlternateBase: "#26272a",
        role.ToolTipBase: "#2d2e31",
        role.ToolTipText: "#e8eaed",
        role.Text: "#e8eaed",
        role.Button: "#2d2e31",
        role.ButtonText: "#e8eaed",
        role.BrightText: "#ff6b6b",
        role.Link: "#8ab4f8",
        role.Highlight: "#6d4aff",
        role.HighlightedText: "#ffffff",
        role.PlaceholderText: "#9aa0a6",
    }
    for r, c in colors.items():
        p.setColor(r, QColor(c))
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#6f7378"))
    return p


def apply_theme(app: QApplication, theme: str) -> None:
    app.setStyle("Fusion")
    hints = app.styleHints()
    hints.setColorScheme(SCHEMES.get(theme, Qt.ColorScheme.Unknown))
    dark = theme == "dark" or (theme == "system" and hints.colorScheme() == Qt.ColorScheme.Dark)
    app.setPalette(dark_palette() if dark else app.style().standardPalette())


def is_dark() -> bool:
    """Whether the current palette is a dark one (for colors drawn by hand)."""
    return QGuiApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
