"""The visual system: colors, type scale, spacing and radii, light and dark, in one place.

Every widget takes its look from here: the palette (what Qt draws with), the
application's style sheet (built from these tokens by :mod:`app.ui.style_sheet`),
fonts scaled from the system's own size (:func:`font`), and icons tinted with the text
colors (:mod:`app.ui.icons`). Fusion is the base style, so the window looks the same on
every OS; the theme follows the system's light or dark choice unless Settings picks one,
and follows it live when the system changes.

Every text color is at WCAG AA contrast (4.5:1) on the surfaces it is drawn on
(tests/ui/test_contrast.py measures the palettes and the tokens' pairs).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

SCHEMES = {
    "system": Qt.ColorScheme.Unknown,  # follow the system
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
}


@dataclass(frozen=True)
class Colors:
    """The named colors of one theme (hex strings, for the palette and the style sheet)."""

    window: str  # the conversation's background
    sidebar: str  # the conversation list's column
    surface: str  # fields, cards, menus
    raised: str  # a hovered row or button
    selected: str  # the conversation on screen in the list
    selected_text: str
    border: str  # hairlines between areas
    control_border: str  # the outline of a field or button (3:1 on the window: WCAG 1.4.11)
    text: str
    muted: str  # secondary text: footers, dates, counts
    accent: str  # the filled Send button, focus rings, the thinking indicator
    on_accent: str  # text on the accent
    accent_text: str  # accent-colored text and links on the window
    user_bubble: str  # the user's turns
    thinking_surface: str  # the reasoning block: QwQ's signature surface
    thinking_text: str
    thinking_rule: str  # the line down the reasoning block's left edge
    code: str  # code blocks' background
    danger: str  # text that says something went wrong
    warning_surface: str  # banners (a damaged conversation)
    warning_text: str
    disabled_text: str  # disabled controls (exempt from AA: WCAG 1.4.3)


LIGHT = Colors(
    window="#fbfbfc",
    sidebar="#f1f1f4",
    surface="#ffffff",
    raised="#e6e6ec",
    selected="#dddaf7",
    selected_text="#1c1c22",
    border="#e1e1e7",
    control_border="#82828e",
    text="#1c1c22",
    muted="#5a5a66",
    accent="#5847d1",
    on_accent="#ffffff",
    accent_text="#4b3cc2",
    user_bubble="#ecebfb",
    thinking_surface="#f4f3f8",
    thinking_text="#474756",
    thinking_rule="#a59cec",
    code="#f3f3f6",
    danger="#b42318",
    warning_surface="#fdf1dc",
    warning_text="#6b3d00",
    disabled_text="#9d9da8",
)

DARK = Colors(
    window="#1b1c1f",
    sidebar="#141518",
    surface="#24252a",
    raised="#2e2f35",
    selected="#37325f",
    selected_text="#ffffff",
    border="#2d2e34",
    control_border="#74757f",
    text="#e7e7ea",
    muted="#a4a4ae",
    accent="#6d5ee8",
    on_accent="#ffffff",
    accent_text="#aea6ff",
    user_bubble="#2b2a44",
    thinking_surface="#212127",
    thinking_text="#bdbdc8",
    thinking_rule="#6d5ee8",
    code="#16171a",
    danger="#ff8f85",
    warning_surface="#3a2d12",
    warning_text="#f5d28a",
    disabled_text="#6f7078",
)


class Type(Enum):
    """The type scale, as factors of the system's font size (so text follows it)."""

    SMALL = 0.9  # footers, dates, counts
    BODY = 1.0
    READING = 1.08  # answers and the user's turns
    HEADING = 1.25  # QwQ's name over its turn, page sections
    TITLE = 1.6  # the welcome page's title


READING_WIDTH = 780  # pixels: the widest a conversation's column grows (about 90 characters)
READING_LINE_HEIGHT = 150  # percent, in answers and traces


class Space:
    """Spacing steps, in pixels (Qt scales them on high-DPI screens)."""

    XS = 4
    S = 8
    M = 12
    L = 16
    XL = 24
    XXL = 32


class Radius:
    SMALL = 6  # buttons, fields, list rows
    CARD = 10  # messages, the reasoning block, code
    FIELD = 16  # the composer


_scheme: str = "system"  # what Settings chose (see apply_theme)


def colors() -> Colors:
    """The colors of the theme in use."""
    return DARK if is_dark() else LIGHT


def font(role: Type, base: QFont | None = None) -> QFont:
    """The application's font (the system's size) scaled for ``role``."""
    f = QFont(base if base is not None else QGuiApplication.font())
    size = f.pointSizeF()
    if size > 0:
        f.setPointSizeF(size * role.value)
    else:  # a font sized in pixels
        f.setPixelSize(round(f.pixelSize() * role.value))
    if role in (Type.HEADING, Type.TITLE):
        f.setWeight(
            QFont.Weight.Bold
        )  # (CJK fonts often have no DemiBold: Qt then draws them regular)
    return f


def palette(c: Colors) -> QPalette:
    """Qt's palette from the tokens (for everything the style sheet does not draw)."""
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    for r, value in {
        role.Window: c.window,
        role.WindowText: c.text,
        role.Base: c.surface,
        role.AlternateBase: c.sidebar,
        role.ToolTipBase: c.surface,
        role.ToolTipText: c.text,
        role.Text: c.text,
        role.Button: c.surface,
        role.ButtonText: c.text,
        role.BrightText: c.danger,
        role.Light: c.surface,
        role.Midlight: c.raised,
        role.Mid: c.control_border,
        role.Dark: c.control_border,
        role.Shadow: "#000000",
        role.Link: c.accent_text,
        role.LinkVisited: c.accent_text,
        role.Highlight: c.accent,
        role.HighlightedText: c.on_accent,
        role.Accent: c.accent,
        role.PlaceholderText: c.muted,
    }.items():
        p.setColor(r, QColor(value))
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(group.Disabled, r, QColor(c.disabled_text))
    return p


def apply_theme(app: QApplication, theme: str) -> None:
    """Set Fusion, the palette and the style sheet for ``theme`` (system, light, dark);
    with "system", the window follows the system when it switches."""
    global _scheme
    _scheme = theme
    app.setStyle("Fusion")
    hints = app.styleHints()
    hints.setColorScheme(SCHEMES.get(theme, Qt.ColorScheme.Unknown))
    _show(
        app,
        dark=theme == "dark" or (theme == "system" and hints.colorScheme() == Qt.ColorScheme.Dark),
    )
    if not app.property("qwqFollowsScheme"):
        app.setProperty("qwqFollowsScheme", True)
        hints.colorSchemeChanged.connect(lambda scheme: _follow_system(app, scheme))


def _show(app: QApplication, *, dark: bool) -> None:
    from app.ui.style_sheet import style_sheet  # (its rules are built from this module's tokens)

    c = DARK if dark else LIGHT
    app.setPalette(palette(c))
    app.setStyleSheet(style_sheet(c))


def _follow_system(app: QApplication, scheme: Qt.ColorScheme) -> None:
    """The system switched between light and dark: so does a window that follows it."""
    if _scheme == "system":
        _show(app, dark=scheme == Qt.ColorScheme.Dark)


def is_dark() -> bool:
    """Whether the current palette is a dark one (for colors drawn by hand)."""
    return QGuiApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
