"""Guard against a Qt binding that corrupts reference counts (PySide6 6.12.0 did).

On Python 3.11 None, True and False are ordinary objects: a binding that returns them
without a new reference makes their count fall with every call, and the app dies with
"none_dealloc" after a few minutes of streaming. This calls the methods the chat view
calls on every frame, many times, and checks the counts did not fall.
"""

from __future__ import annotations

import sys

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QTextBrowser
from pytestqt.qtbot import QtBot


def test_void_methods_keep_none_alive(qtbot: QtBot) -> None:
    browser = QTextBrowser()
    plain = QPlainTextEdit()
    qtbot.addWidget(browser)
    qtbot.addWidget(plain)
    before = sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(3000):
        browser.setFixedHeight(100)
        browser.setVisible(False)
        QTextCursor(plain.document()).insertText("x")
        plain.verticalScrollBar().setValue(0)
        plain.isReadOnly()
    after = sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)
    assert all(a >= b - 50 for a, b in zip(after, before, strict=True)), (before, after)
