"""The visual system: the theme's colors reach the screen, in light and dark, the window
follows the system's switch, and every icon the window names is there and drawn sharp
in the theme's colors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.store.conversations import ConversationStore
from app.ui.icons import Icon, exists, icon
from app.ui.main_window import MainWindow
from app.ui.theme import DARK, LIGHT, apply_theme, colors, is_dark


@pytest.fixture
def theme_back(qapp: QApplication) -> Iterator[None]:
    yield
    apply_theme(qapp, "light")  # as every other UI test runs


def pixel(image: QImage, x: int, y: int) -> str:
    return QColor(image.pixel(x, y)).name()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_window_is_drawn_in_the_themes_colors(
    qtbot: QtBot, qapp: QApplication, store: ConversationStore, theme: str, theme_back: None
) -> None:
    """Both style sheets parse (a parse error is a Qt warning, which fails the test) and
    the conversation's background and the list's column show the theme's colors."""
    apply_theme(qapp, theme)
    expected = DARK if theme == "dark" else LIGHT
    assert colors() == expected and is_dark() == (theme == "dark")
    window = MainWindow(store, None)
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    sidebar = window.conversation_list.grab().toImage()
    assert pixel(sidebar, sidebar.width() // 2, sidebar.height() - 20) == expected.sidebar
    chat = window.chat.grab().toImage()
    assert pixel(chat, chat.width() // 2, chat.height() // 2) == expected.window


def test_a_window_that_follows_the_system_switches_with_it(
    qapp: QApplication, theme_back: None
) -> None:
    hints = qapp.styleHints()
    apply_theme(qapp, "system")
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert is_dark()
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert not is_dark()
    apply_theme(qapp, "dark")  # chosen in Settings: the system's switch changes nothing
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert is_dark()


def ink(image: QImage) -> set[str]:
    """The opaque colors an icon was drawn with."""
    found = set()
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if c.alpha() == 255:
                found.add(c.name())
    return found


@pytest.mark.parametrize("which", list(Icon), ids=lambda i: i.name)
def test_every_icon_is_bundled_and_drawn(qapp: QApplication, which: Icon) -> None:
    assert exists(which), f"resources/icons/lucide/{which.value}.svg is missing"
    sharp = icon(which).pixmap(QSize(16, 16), 2.0)  # a 200 % screen
    assert sharp.devicePixelRatio() == 2.0
    assert (sharp.width(), sharp.height()) == (32, 32)  # drawn at the screen's pixels
    assert ink(sharp.toImage()), "nothing drawn"


def test_icons_take_the_themes_text_color_and_follow_a_switch(
    qapp: QApplication, theme_back: None
) -> None:
    copy = icon(Icon.COPY)  # made once, as a button keeps it
    apply_theme(qapp, "light")
    assert LIGHT.text in ink(copy.pixmap(QSize(24, 24), 1.0).toImage())
    apply_theme(qapp, "dark")
    assert DARK.text in ink(copy.pixmap(QSize(24, 24), 1.0).toImage())
    disabled = copy.pixmap(QSize(24, 24), 1.0, QIcon.Mode.Disabled).toImage()
    assert DARK.disabled_text in ink(disabled)
    on_accent = icon(Icon.SEND, color=DARK.on_accent).pixmap(QSize(24, 24), 1.0).toImage()
    assert DARK.on_accent in ink(on_accent)
