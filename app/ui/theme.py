"""Light, dark, or the system's choice; Fusion, so both look the same on every OS.

Asking Qt for a color scheme is not enough where the platform has no theme of its
own (plain X11, for one), so a dark palette is set explicitly. Both palettes keep every
text role at WCAG AA contrast (4.5:1) on the background it is drawn on (tests/ui/
test_contrast.py measures them): Fusion's own light palette has white on a light blue
for the selection (3.7:1) and half-transparent black for placeholders (4.0:1), so the
light palette is Fusion's with those two made darker.
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
        role.LinkVisited: "#c58af9",
        role.Highlight: "#6d4aff",
        role.HighlightedText: "#ffffff",
        role.PlaceholderText: "#9aa0a6",
    }
    for r, c in colors.items():
        p.setColor(r, QColor(c))
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#6f7378"))
    return p


def light_palette(style_palette: QPalette) -> QPalette:
    """Fusion's light palette (``style_palette``) with its faint text colors darkened."""
    p = QPalette(style_palette)
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    for r, c in {
        role.Highlight: "#1e6bb0",  # white on it: 5.5:1 (Fusion's #308cc6: 3.7:1)
        role.Accent: "#1e6bb0",
        role.PlaceholderText: "#646464",  # 5.1:1 on the window (Fusion's: 4.0:1 on white)
        role.LinkVisited: "#8e008e",  # (Fusion's magenta: 3.1:1)
    }.items():
        for g in (group.Active, group.Inactive):
            p.setColor(g, r, QColor(c))
    return p


def apply_theme(app: QApplication, theme: str) -> None:
    app.setStyle("Fusion")
    hints = app.styleHints()
    hints.setColorScheme(SCHEMES.get(theme, Qt.ColorScheme.Unknown))
    dark = theme == "dark" or (theme == "system" and hints.colorScheme() == Qt.ColorScheme.Dark)
    app.setPalette(dark_palette() if dark else light_palette(app.style().standardPalette()))


def is_dark() -> bool:
    """Whether the current palette is a dark one (for colors drawn by hand)."""
    return QGuiApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
