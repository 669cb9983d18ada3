"""WCAG AA for all text, in both themes: the ratios computed from the palettes (every
text role on the background it is drawn on) and from the colors drawn by hand (the
code highlighting); and text follows the system's font size.

WCAG 2.x: contrast = (L1 + 0.05) / (L2 + 0.05) of the relative luminances; AA asks 4.5:1
for normal text. Disabled controls are exempt (WCAG 1.4.3, "incidental").
"""

from __future__ import annotations

import pytest
from pygments.token import Error, Whitespace
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from app.store.conversations import ConversationStore
from app.ui import answer_view
from app.ui.conversation_list import ConversationList
from app.ui.main_window import MainWindow
from app.ui.theme import DARK, LIGHT, Colors, Type, apply_theme
from app.ui.theme import palette as theme_palette

AA = 4.5
R = QPalette.ColorRole
# Each text role on the backgrounds Qt draws it on.
PAIRS = [
    (R.WindowText, R.Window),
    (R.Text, R.Base),
    (R.Text, R.AlternateBase),
    (R.ButtonText, R.Button),
    (R.ToolTipText, R.ToolTipBase),
    (R.HighlightedText, R.Highlight),
    (R.PlaceholderText, R.Base),
    (R.PlaceholderText, R.Window),
    (R.Link, R.Base),
    (R.LinkVisited, R.Base),
]


def luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.redF())
        + 0.7152 * channel(color.greenF())
        + 0.0722 * channel(color.blueF())
    )


def over(fg: QColor, bg: QColor) -> QColor:
    """A half-transparent color as it shows on its background."""
    a = fg.alphaF()
    return QColor.fromRgbF(
        fg.redF() * a + bg.redF() * (1 - a),
        fg.greenF() * a + bg.greenF() * (1 - a),
        fg.blueF() * a + bg.blueF() * (1 - a),
    )


def contrast(fg: QColor, bg: QColor) -> float:
    light, dark = sorted((luminance(over(fg, bg)), luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_ratio_is_wcags() -> None:
    assert contrast(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast(QColor("#777777"), QColor("white")) == pytest.approx(4.48, abs=0.01)


def palettes(qapp: QApplication) -> dict[str, QPalette]:
    qapp.setStyle("Fusion")
    return {"light": theme_palette(LIGHT), "dark": theme_palette(DARK)}


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_text_role_meets_aa_on_its_background(qapp: QApplication, theme: str) -> None:
    palette = palettes(qapp)[theme]
    failing = []
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        for fg, bg in PAIRS:
            ratio = contrast(palette.color(group, fg), palette.color(group, bg))
            if ratio < AA:
                failing.append(f"{group.name} {fg.name} on {bg.name}: {ratio:.2f}")
    assert failing == []


def test_fusions_own_light_palette_did_not(qapp: QApplication) -> None:
    """What the light palette fixes (the test above fails with Fusion's)."""
    qapp.setStyle("Fusion")
    fusion = qapp.style().standardPalette()
    assert contrast(fusion.color(R.HighlightedText), fusion.color(R.Highlight)) < AA
    assert contrast(fusion.color(R.PlaceholderText), fusion.color(R.Base)) < AA


@pytest.mark.parametrize("dark", [False, True])
def test_highlighted_code_meets_aa(qapp: QApplication, dark: bool) -> None:
    """The colors drawn by hand: Pygments' token colors on the code's background and on
    the palette's base (whichever shows)."""
    formatter = answer_view._FORMATTERS[dark]
    style = formatter.style
    base = palettes(qapp)["dark" if dark else "light"].color(R.Base)
    failing = []
    for token, look in style:
        if not look["color"] or token in Whitespace or token in Error:
            continue  # (no color of its own; blanks; errors are marked by a box)
        color = QColor("#" + look["color"])
        for bg in (QColor(style.background_color), base):
            if contrast(color, bg) < AA:
                failing.append(f"{token} #{look['color']} on {bg.name()}")
    assert failing == []


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_lists_date_headings_meet_aa(
    qapp: QApplication, store: ConversationStore, theme: str
) -> None:
    """A heading ("Today") is an item that cannot be chosen: Qt draws those in the
    disabled gray unless the item has a color of its own."""
    palette = palettes(qapp)[theme]
    store.create(title="Alpha")
    qapp.setPalette(palette)
    try:
        from app.ui.operations import ChangeBridge, Operations

        operations = Operations(store)
        changes = ChangeBridge(store.changes)
        listed = ConversationList(store, operations, changes)
        heading = listed.view.item(0)
        assert heading.text() == "Today" and not heading.flags() & Qt.ItemFlag.ItemIsEnabled
        brush = heading.foreground()
        drawn = (
            brush.color()
            if brush.style() != Qt.BrushStyle.NoBrush
            else palette.color(QPalette.ColorGroup.Disabled, R.Text)
        )
        assert contrast(drawn, palette.color(R.Base)) >= AA
        listed.deleteLater()
        changes.close()
    finally:
        apply_theme(qapp, "light")  # as the other tests run


def test_text_follows_the_systems_font_size(
    qtbot: QtBot, qapp: QApplication, store: ConversationStore
) -> None:
    """No fixed point or pixel sizes: with a larger system font every label, button and
    field of the window grows with it (at least the type scale's smallest step of it)."""
    before = QFont(qapp.font())
    large = QFont(before)
    large.setPointSizeF(before.pointSizeF() * 1.6)
    qapp.setFont(large)
    try:
        window = MainWindow(store, None)
        qtbot.addWidget(window)
        small = [
            f"{type(w).__name__} {w.objectName()!r}: {w.font().pointSizeF()}"
            for w in window.findChildren(QWidget)
            if isinstance(w, QLabel | QAbstractButton | QLineEdit)
            and w.font().pointSizeF() < large.pointSizeF() * min(t.value for t in Type) - 0.01
        ]
        assert small == []
    finally:
        qapp.setFont(before)


# The theme's own colors: each text color on every surface the window draws it on.
TOKEN_PAIRS = [
    ("text", ("window", "sidebar", "surface", "raised", "user_bubble", "code")),
    ("selected_text", ("selected",)),
    ("muted", ("window", "sidebar", "surface", "raised", "selected", "user_bubble")),
    ("muted", ("thinking_surface",)),
    ("on_accent", ("accent",)),
    ("accent_text", ("window", "surface", "thinking_surface", "user_bubble")),
    ("thinking_text", ("thinking_surface",)),
    ("danger", ("window", "surface")),
    ("warning_text", ("warning_surface",)),
]
# Not text, but what shows where a control is (WCAG 1.4.11: 3:1): outlines and focus.
NON_TEXT = 3.0
OUTLINE_PAIRS = [
    ("control_border", ("window", "sidebar", "surface")),
    ("accent", ("window", "sidebar", "surface")),
]


@pytest.mark.parametrize("colors", [LIGHT, DARK], ids=["light", "dark"])
def test_the_themes_colors_meet_aa(colors: Colors) -> None:
    failing = []
    for pairs, goal in ((TOKEN_PAIRS, AA), (OUTLINE_PAIRS, NON_TEXT)):
        for fg, backgrounds in pairs:
            for bg in backgrounds:
                ratio = contrast(QColor(getattr(colors, fg)), QColor(getattr(colors, bg)))
                if ratio < goal:
                    failing.append(f"{fg} on {bg}: {ratio:.2f}")
    assert failing == []
