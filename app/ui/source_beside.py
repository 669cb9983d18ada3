"""The passage a citation points at, beside the answer: where it is from, its text, and
"Open the file" where the file is on this machine (a collection's)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDockWidget, QLabel, QPushButton, QVBoxLayout, QWidget

from app.ui.long_text import LongPlainText
from app.ui.theme import Space, Type, font


class SourceBeside(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(QCoreApplication.translate("SourceBeside", "Source"), parent)
        self.setObjectName("sourceDock")
        body = QWidget(self)
        self.where = QLabel(body)
        self.where.setObjectName("sourceWhere")
        self.where.setTextFormat(Qt.TextFormat.PlainText)
        self.where.setWordWrap(True)
        self.where.setFont(font(Type.SMALL))
        self.open_button = QPushButton(self.tr("Open the file"), body)
        self.open_button.clicked.connect(self._open)
        self.open_button.hide()
        self.view = LongPlainText()
        self.view.setObjectName("sourceText")
        self.view.setAccessibleName(self.tr("The cited passage"))
        column = QVBoxLayout(body)
        column.setContentsMargins(Space.S, Space.S, Space.S, Space.S)
        column.addWidget(self.where)
        column.addWidget(self.open_button, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.view, 1)
        self.setWidget(body)
        self.path: Path | None = None
        self.hide()

    def show_passage(self, where: str, text: str, path: str = "") -> None:
        self.where.setText(where + (f"\n{path}" if path else ""))
        self.path = Path(path) if path and Path(path).is_file() else None
        self.open_button.setVisible(self.path is not None)
        self.view.set_text(text)
        self.show()
        self.raise_()

    def _open(self) -> None:
        if self.path is not None:  # the system's viewer for it
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path)))
