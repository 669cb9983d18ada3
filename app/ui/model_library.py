"""The models on this machine: load one, make it the default, show it in the file
manager, delete a download (after asking), add or forget a file from elsewhere."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal, SignalInstance
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import ModelFileError
from app.core.format import size
from app.core.i18n import QT_TRANSLATE_NOOP
from app.core.paths import AppPaths
from app.core.settings import AppSettings
from app.models import library
from app.models.library import LocalModel
from app.ui.worker import Job

COLUMNS = [
    QT_TRANSLATE_NOOP("ModelLibrary", "File"),
    QT_TRANSLATE_NOOP("ModelLibrary", "Quant"),
    QT_TRANSLATE_NOOP("ModelLibrary", "Size"),
    QT_TRANSLATE_NOOP("ModelLibrary", "Where"),
]


class ModelLibrary(QDialog):
    load_requested = Signal(str)
    add_requested = Signal()
    download_requested = Signal()

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Models"))
        self.setObjectName("modelLibrary")
        self.resize(820, 380)
        self.settings = settings
        self.paths = AppPaths.current()
        self.models: list[LocalModel] = []
        self.loads = 0  # how many times the list was (re)read: tests wait on it
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName(self.tr("Models on this machine"))
        corner = self.table.findChild(QAbstractButton, "qt_tableview_cornerbutton")
        if corner is not None:  # Qt's own "select all" corner, without a name
            corner.setAccessibleName(self.tr("Select all"))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _: self.load_selected())
        self.note = QLabel("")
        self.note.setWordWrap(True)

        self.load_button = QPushButton(self.tr("Load"))
        self.load_button.clicked.connect(self.load_selected)
        self.default_button = QPushButton(self.tr("Set as default"))
        self.default_button.clicked.connect(self.set_default)
        self.show_button = QPushButton(self.tr("Show in folder"))
        self.show_button.clicked.connect(self.show_in_folder)
        self.delete_button = QPushButton(self.tr("Delete…"))
        self.delete_button.clicked.connect(self.delete_selected)
        add_button = QPushButton(self.tr("Add a GGUF file…"))
        add_button.clicked.connect(lambda: self._close_then(self.add_requested))
        download_button = QPushButton(self.tr("Download QwQ-32B…"))
        download_button.clicked.connect(lambda: self._close_then(self.download_requested))
        buttons = QHBoxLayout()
        for b in (self.load_button, self.default_button, self.show_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(add_button)
        buttons.addWidget(download_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        self.refresh()

    def _close_then(self, signal: SignalInstance) -> None:
        self.accept()
        signal.emit()

    def refresh(self, select: str = "") -> None:
        """Read the models folder on a worker (each GGUF header takes ~0.1 s), then show it."""
        models, remembered = self.paths.models, list(self.settings.models)

        def read() -> tuple[list[LocalModel], int, int]:
            found = library.scan(models, remembered)
            return found, len(library.partial_downloads(models)), library.disk_usage(models)

        job = Job(read, self)
        job.done.connect(lambda result: self._show(result, select))
        job.failed.connect(
            lambda e: self.note.setText(
                self.tr("Could not read {folder}: {error}").format(folder=models, error=e)
            )
        )
        job.start()

    def _show(self, result: tuple[list[LocalModel], int, int], select: str) -> None:
        models, partial, total = result
        self.models = models
        self.table.setRowCount(len(models))
        for row, m in enumerate(models):
            default = str(m.path) == self.settings.last_model
            name = f"★ {m.path.name}" if default else m.path.name
            where = self.tr("downloaded") if m.downloaded else str(m.path.parent)
            if len(m.parts) > 1:
                where += self.tr(" ({count} parts)").format(count=len(m.parts))
            if m.problem:  # listed, with why it cannot be loaded (Load stays disabled)
                where = f"⚠ {m.reason}"
            for col, text in enumerate((name, m.quant, size(m.size), where)):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{m.name}\n{m.path}" if col == 0 else m.problem or text)
                if col == 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, col, item)
        self.note.setText(
            self.tr("{size} in {folder}").format(size=size(total), folder=self.paths.models)
            + (self.tr(" · {count} download(s) to resume").format(count=partial) if partial else "")
            + ("" if models else self.tr(" · No models yet: download QwQ-32B or add a GGUF file."))
        )
        self.loads += 1
        if select:
            self.select_path(select)
        self._update_buttons()

    def selected(self) -> LocalModel | None:
        rows = self.table.selectionModel().selectedRows()
        return self.models[rows[0].row()] if rows else None

    def select_path(self, path: str) -> None:
        for row, m in enumerate(self.models):
            if str(m.path) == path:
                self.table.selectRow(row)

    def _update_buttons(self) -> None:
        m = self.selected()
        for b in (self.load_button, self.default_button):
            b.setEnabled(m is not None and m.usable)
        self.show_button.setEnabled(m is not None)
        self.delete_button.setEnabled(m is not None)
        self.delete_button.setText(
            self.tr("Delete…") if m is None or m.downloaded else self.tr("Forget")
        )

    def load_selected(self) -> None:
        m = self.selected()
        if m is not None and m.usable:
            self.load_requested.emit(str(m.path))
            self.accept()

    def set_default(self) -> None:
        m = self.selected()
        if m is None:
            return
        self.settings.last_model = str(m.path)
        self._save()
        self.refresh(select=str(m.path))

    def show_in_folder(self) -> None:
        m = self.selected()
        if m is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(m.path.parent)))

    def delete_selected(self) -> None:
        m = self.selected()
        if m is None:
            return
        if not m.downloaded:  # a file of the user's: only forgotten, never deleted
            self.settings.models = [p for p in self.settings.models if p != str(m.path)]
            if self.settings.last_model == str(m.path):
                self.settings.last_model = ""
            self._save()
            self.refresh()
            return
        answer = QMessageBox.question(
            self,
            self.tr("Delete the model"),
            self.tr(
                "Delete {name} ({size}) from this machine?\n\n"
                "Your conversations stay. You can download it again later."
            ).format(name=m.path.name, size=size(m.size)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            library.delete(m, self.paths.models)
        except (ModelFileError, OSError) as e:
            self.note.setText(
                self.tr("Could not delete {name}: {error}").format(name=m.path.name, error=e)
            )
            return
        if self.settings.last_model == str(m.path):
            self.settings.last_model = ""
            self._save()
        self.refresh()

    def _save(self) -> None:
        try:
            self.settings.save()
        except OSError as e:
            self.note.setText(self.tr("Could not save the settings: {error}").format(error=e))
