"""The first run: what this machine can run, the recommended file, its download.

``ModelSetup`` is the page a window without a model shows: the hardware summary
and the recommended quant with its reason, a choice of the other quants (each with
its fit) and of the source (Hugging Face, a Hub mirror, ModelScope), then the
download with bytes, speed and time left, Pause/Resume and Cancel. When the file is
verified it asks the window to load it (``model_ready``). A GGUF from elsewhere can
be opened or dropped instead.

``DownloadRunner`` owns the download's worker, so a download goes on while the
user chats with another model; the window keeps one for its lifetime.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.core.format import duration, size
from app.core.i18n import QT_TRANSLATE_NOOP
from app.core.paths import AppPaths
from app.models import acquire
from app.models.catalog import Catalog, Fit
from app.models.download import Download, DownloadStopped, Progress
from app.models.overview import Overview, overview
from app.models.sources import DownloadError, Source
from app.ui.icons import Icon, icon, paint_mark
from app.ui.theme import Space, Type, colors, font
from app.ui.worker import Job

SOURCES = [
    ("Hugging Face", "hf"),
    (QT_TRANSLATE_NOOP("ModelSetup", "ModelScope (modelscope.cn)"), "modelscope"),
    (QT_TRANSLATE_NOOP("ModelSetup", "A Hub mirror…"), ""),
]
WELCOME_WIDTH = 680  # the welcome's column, centred
OTHER_FILE = QT_TRANSLATE_NOOP("ModelSetup", "Another GGUF on the Hub…")
FIT_TEXT = {
    "gpu": QT_TRANSLATE_NOOP("ModelSetup", "all on the GPU"),
    "cpu": QT_TRANSLATE_NOOP("ModelSetup", "CPU only"),
    "none": QT_TRANSLATE_NOOP("ModelSetup", "does not fit"),
}


def fit_label(fit: Fit, recommended: bool) -> str:
    plan = fit.plan
    where = (
        QCoreApplication.translate("ModelSetup", FIT_TEXT[plan.mode])
        if plan.mode in FIT_TEXT
        else ""
    )
    where = where or QCoreApplication.translate(
        "ModelSetup", "{gpu}/{all} layers on the GPU"
    ).format(gpu=plan.gpu_layers, all=plan.layer_count)
    speed = (
        QCoreApplication.translate("ModelSetup", " · ~{speed:.0f} tokens/s").format(
            speed=fit.tokens_per_second
        )
        if fit.tokens_per_second
        else ""
    )
    source = "" if fit.entry.official else f" · {fit.entry.repo.split('/')[0]}"
    mark = QCoreApplication.translate("ModelSetup", "  (recommended)") if recommended else ""
    return f"{fit.entry.quant} · {size(fit.entry.size)} · {where}{speed}{source}{mark}"


def progress_text(p: Progress) -> str:
    if p.state == "checking":
        return QCoreApplication.translate(
            "ModelSetup", "Checking the {size} already downloaded…"
        ).format(size=size(p.done))
    if p.state == "verifying":
        return QCoreApplication.translate("ModelSetup", "Verifying {file} (SHA-256)…").format(
            file=p.file
        )
    if p.state == "retrying":
        return p.message
    if p.state == "done":
        return QCoreApplication.translate("ModelSetup", "Verified.")
    parts = [
        QCoreApplication.translate("ModelSetup", "{done} of {total}").format(
            done=size(p.done), total=size(p.total)
        )
    ]
    if p.speed:
        parts.append(
            QCoreApplication.translate("ModelSetup", "{size}/s").format(size=size(p.speed))
        )
    if p.eta is not None:
        parts.append(
            QCoreApplication.translate("ModelSetup", "{time} left").format(time=duration(p.eta))
        )
    if p.file_count > 1:
        parts.append(
            QCoreApplication.translate("ModelSetup", "file {index} of {count}").format(
                index=p.file_index, count=p.file_count
            )
        )
    return " · ".join(parts)


class DownloadRunner(QObject):
    """One download at a time, on a worker thread; progress polled five times a second."""

    progress = Signal(object)  # Progress
    finished = Signal(list)  # the verified paths
    stopped = Signal(bool)  # cancelled (else paused)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.download: Download | None = None
        self.label = ""  # what is being downloaded, for the status bar
        self.key = ""  # its catalog key ("": another GGUF on the Hub), for the page's list
        self._job: Job | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(200)
        self._poll.timeout.connect(self._report)

    @property
    def active(self) -> bool:
        return self._job is not None

    def start(self, request: acquire.Request, source: Source, label: str, key: str = "") -> None:
        if self._job is not None:
            return
        paths = AppPaths.current().ensure()
        self.label = label
        self.key = key
        self.download = None

        def work() -> list[Path]:
            catalog = Catalog.load(paths.cache)
            self.download = acquire.prepare(catalog, request, source, paths.models, paths.cache)
            return self.download.run()

        self._job = Job(work, self)
        self._job.done.connect(self._on_done)
        self._job.failed.connect(self._on_failed)
        self._job.start()
        self._poll.start()

    def pause(self) -> None:
        if self.download is not None:
            self.download.pause()

    def cancel(self, delete_partial: bool) -> None:
        if self.download is not None:
            self.download.cancel(delete_partial)

    def _report(self) -> None:
        if self.download is not None:
            self.progress.emit(self.download.progress)

    def _end(self) -> None:
        self._poll.stop()
        self._report()
        self._job = None

    def _on_done(self, paths: list[Path]) -> None:
        self._end()
        self.finished.emit(paths)

    def _on_failed(self, error: BaseException) -> None:
        self._end()
        if isinstance(error, DownloadStopped):
            self.stopped.emit(error.cancelled)
        else:
            self.failed.emit(str(error))


class Mark(QWidget):
    """QwQ's mark over the welcome, in the accent color (drawn at paint time, so it
    follows a theme switch)."""

    def __init__(self, side: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(side, side)

    def paintEvent(self, event: QPaintEvent) -> None:
        paint_mark(self, Icon.QWQ, self.width(), 0, self.height() // 2)


class StatusLine(QLabel):
    """The download's status: hidden while it has nothing to say (no empty gap in the card)."""

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setVisible(bool(text))


def fact_row(grid: QGridLayout, row: int, name: str, value: QLabel) -> None:
    """One line of the "This computer" card: a muted name, then its value."""
    label = QLabel(name)
    label.setObjectName("factName")
    value.setObjectName("factValue")
    value.setWordWrap(True)
    value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop)
    grid.addWidget(value, row, 1)


class ModelSetup(QWidget):
    """The welcome: what QwQ is, a card with this computer and the recommended file with
    its one primary button (and the download's progress, in the same card), then the
    other choices (another quant, the source, a GGUF from elsewhere), quieter."""

    model_ready = Signal(str)  # a verified file to load
    open_file = Signal()  # the user wants to pick a GGUF

    def __init__(self, runner: DownloadRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelSetup")
        self.runner = runner
        self.view: Overview | None = None
        self._fits: list[Fit] = []
        self._button_state = "download"  # or "resume", "retry": what the button says

        title = QLabel(self.tr("Welcome to QwQ Desktop"))
        title.setObjectName("welcomeTitle")
        title.setFont(font(Type.TITLE))
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        intro = QLabel(
            self.tr(
                "QwQ-32B is the Qwen team's open reasoning model: it thinks a problem "
                "through before it answers. It runs on this computer, offline after one "
                "download."
            )
        )
        intro.setObjectName("welcomeIntro")
        intro.setWordWrap(True)
        intro.setAlignment(Qt.AlignmentFlag.AlignCenter)

        # The card: this computer, the recommendation, its button and the download.
        card = QFrame()
        card.setObjectName("welcomeCard")
        computer = QLabel(self.tr("This computer"))
        computer.setObjectName("cardHeading")
        computer.setFont(font(Type.HEADING))
        self.memory = QLabel("…")
        self.gpu = QLabel("…")
        self.disk = QLabel("…")
        facts = QGridLayout()
        facts.setHorizontalSpacing(Space.L)
        facts.setVerticalSpacing(Space.XS)
        facts.setColumnStretch(1, 1)
        fact_row(facts, 0, self.tr("Memory"), self.memory)
        fact_row(facts, 1, self.tr("Graphics"), self.gpu)
        fact_row(facts, 2, self.tr("Disk free"), self.disk)
        rule = QFrame()
        rule.setObjectName("cardRule")
        rule.setFixedHeight(1)
        recommended = QLabel(self.tr("Recommended for it"))
        recommended.setObjectName("cardHeading")
        recommended.setFont(font(Type.HEADING))
        self.machine = QLabel(self.tr("Looking at this machine…"))
        self.machine.setObjectName("machine")
        self.machine.setWordWrap(True)
        self.reason = QLabel("")
        self.reason.setObjectName("reason")
        self.reason.setWordWrap(True)
        self.download_button = QPushButton(icon(Icon.DOWNLOAD, colors().on_accent), "")
        self.download_button.setObjectName("download")
        self.download_button.setProperty("primary", True)
        self.download_button.setDefault(True)
        self.download_button.clicked.connect(self.start_download)
        self.pause_button = QPushButton(self.tr("Pause"))
        self.pause_button.clicked.connect(self.pause_or_resume)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName(self.tr("Download progress"))
        self.status = StatusLine("")
        self.status.setObjectName("downloadStatus")
        self.status.hide()
        self.status.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        inside = QVBoxLayout(card)
        inside.setContentsMargins(Space.XL, Space.L, Space.XL, Space.L)
        inside.setSpacing(Space.S)
        inside.addWidget(computer)
        inside.addLayout(facts)
        inside.addSpacing(Space.XS)
        inside.addWidget(rule)
        inside.addSpacing(Space.XS)
        inside.addWidget(recommended)
        inside.addWidget(self.machine)
        inside.addWidget(self.reason)
        inside.addSpacing(Space.XS)
        inside.addLayout(buttons)
        inside.addWidget(self.bar)
        inside.addWidget(self.status)

        # The other choices: present, quieter.
        other_heading = QLabel(self.tr("Other choices"))
        other_heading.setObjectName("otherHeading")
        self.quant = QComboBox()
        self.quant.setObjectName("quant")
        self.quant.setAccessibleName(self.tr("Model file to download"))
        self.source = QComboBox()
        self.source.setObjectName("source")
        self.source.setAccessibleName(self.tr("Download from"))
        for combo in (self.quant, self.source):  # its popup list, read as the same choice
            combo.view().setAccessibleName(combo.accessibleName())
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
        for text, key in SOURCES:
            self.source.addItem(self.tr(text), key)
        self.repo = QLineEdit()
        self.repo.setObjectName("repo")
        self.repo.setAccessibleName(self.tr("Repository on the Hub"))
        self.repo.setPlaceholderText(self.tr("owner/repo, e.g. bartowski/Qwen_QwQ-32B-GGUF"))
        self.file = QLineEdit()
        self.file.setObjectName("file")
        self.file.setAccessibleName(self.tr("File name in the repository"))
        self.file.setPlaceholderText(self.tr("file name, e.g. Qwen_QwQ-32B-IQ4_XS.gguf"))
        self.quant.currentIndexChanged.connect(lambda _: self._show_other_fields())
        self.quant.currentIndexChanged.connect(lambda _: self._label_button())
        self.quant.currentTextChanged.connect(self.quant.setToolTip)  # all of a long line
        self.mirror = QLineEdit()
        self.mirror.setPlaceholderText("https://hf-mirror.com")
        self.mirror.setAccessibleName(self.tr("Mirror address"))
        self.mirror.hide()
        self.source.currentIndexChanged.connect(
            lambda _: self.mirror.setVisible(self.source.currentData() == "")
        )
        open_button = QPushButton(icon(Icon.OPEN_FILE), self.tr("Open a GGUF file…"))
        open_button.setObjectName("openGguf")
        open_button.clicked.connect(self.open_file)
        drop_hint = QLabel(self.tr("…or drop a .gguf file on this window."))
        drop_hint.setObjectName("dropHint")

        choose = QHBoxLayout()
        choose.addWidget(self.quant, 5)
        choose.addWidget(self.source, 2)
        choose.addWidget(self.mirror, 2)
        other = QHBoxLayout()
        other.addWidget(self.repo, 1)
        other.addWidget(self.file, 1)
        elsewhere = QHBoxLayout()
        elsewhere.addWidget(open_button)
        elsewhere.addWidget(drop_hint, 1)

        content = QWidget()
        content.setObjectName("welcome")
        content.setMaximumWidth(WELCOME_WIDTH)
        column = QVBoxLayout(content)
        column.setContentsMargins(Space.XL, Space.XL, Space.XL, Space.XL)
        column.setSpacing(Space.S)
        column.addStretch(1)
        column.addWidget(Mark(44), alignment=Qt.AlignmentFlag.AlignHCenter)
        column.addWidget(title)
        column.addWidget(intro)
        column.addSpacing(Space.L)
        column.addWidget(card)
        column.addSpacing(Space.M)
        column.addWidget(other_heading)
        column.addLayout(choose)
        column.addLayout(other)
        column.addLayout(elsewhere)
        column.addStretch(2)
        # Scrolls when the window is short (a large font, 200 % scaling): nothing clipped.
        scroll = QScrollArea(self)
        scroll.setObjectName("welcomeScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to its controls (and shows them)
        holder = QWidget()
        holder.setObjectName("welcome")
        around = QHBoxLayout(holder)
        around.setContentsMargins(0, 0, 0, 0)
        around.addStretch(1)
        around.addWidget(content, 100)
        around.addStretch(1)
        scroll.setWidget(holder)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        runner.progress.connect(self._on_progress)
        runner.finished.connect(self._on_finished)
        runner.stopped.connect(self._on_stopped)
        runner.failed.connect(self._on_failed)
        self._label_button()
        self._set_downloading(runner.active)

    def _label_button(self, state: str | None = None) -> None:
        """The primary button names what it downloads: "Download Q4_K_M (19.9 GB)"
        (the file chosen below), or says "Resume download" / "Try again"."""
        if state is not None:
            self._button_state = state
        if self._button_state == "resume":
            text = self.tr("Resume download")
        elif self._button_state == "retry":
            text = self.tr("Try again")
        else:
            fit = next((f for f in self._fits if f.entry.key == self.quant.currentData()), None)
            text = (
                self.tr("Download {quant} ({size})").format(
                    quant=fit.entry.quant, size=size(fit.entry.size)
                )
                if fit is not None
                else self.tr("Download")
            )
        self.download_button.setText(text)

    # -- what fits ---------------------------------------------------------------------

    def refresh(self, remembered: list[str] | None = None, context: int | None = None) -> None:
        """Read the machine and the catalog on a worker (NVML and file headers take time)."""
        paths = AppPaths.current().ensure()
        job = Job(lambda: overview(paths.models, paths.cache, remembered, context), self)
        job.done.connect(self._show)
        job.failed.connect(
            lambda e: self.machine.setText(
                self.tr("Could not read this machine: {error}").format(error=e)
            )
        )
        job.start()

    def _show(self, view: Overview) -> None:
        self.view = view
        self._show_facts(view)
        self.machine.setText(view.headline())
        self.reason.setText(view.reason())
        self._fits = view.fits
        self.quant.clear()
        for fit in view.fits:
            self.quant.addItem(fit_label(fit, fit is view.recommended), fit.entry.key)
        self.quant.addItem(self.tr(OTHER_FILE), "")
        if self.runner.active:
            # The page shown again while a download runs: the list shows that download
            # (not the recommendation), though it cannot be changed until it ends.
            self.select(self.runner.key)
        elif view.recommended is not None:
            self.quant.setCurrentIndex(view.fits.index(view.recommended))
        self._show_other_fields()
        if not self.runner.active:
            partial = {k: v for k, v in view.partial.items() if v}
            if partial:
                key, done = next(iter(partial.items()))
                self.select(key)
                self.status.setText(
                    self.tr("{size} of {quant} already downloaded: resume it.").format(
                        size=size(done), quant=key.upper()
                    )
                )
                self._label_button("resume")

    def _show_facts(self, view: Overview) -> None:
        """The card's lines: memory, graphics, free disk."""
        hw = view.hardware
        ram = f"{hw.ram_total_bytes / 1024**3:.0f} GB"
        if hw.unified_memory:
            self.memory.setText(self.tr("{ram} unified memory").format(ram=ram))
            self.gpu.setText(hw.chip or "Apple Silicon")
        else:
            self.memory.setText(self.tr("{ram} RAM").format(ram=ram))
            gpus = [f"{g.name} · {g.total_bytes / 1024**3:.0f} GB" for g in hw.gpus]
            text = "\n".join(gpus) if gpus else self.tr("No GPU found: QwQ runs on the CPU")
            if hw.gpus and not hw.gpu_offload:
                text += "\n" + self.tr("(this llama.cpp build runs on the CPU only)")
            self.gpu.setText(text)
        self.disk.setText(
            self.tr("{size} in {folder}").format(
                size=size(view.free_disk), folder=view.models_folder
            )
        )

    def _show_other_fields(self) -> None:
        other = self.quant.count() > 0 and self.quant.currentData() == ""
        self.repo.setVisible(other)
        self.file.setVisible(other)

    def select(self, key: str) -> None:
        index = self.quant.findData(key)
        if index >= 0:
            self.quant.setCurrentIndex(index)

    # -- the download --------------------------------------------------------------------

    def chosen_source(self) -> Source | None:
        key = self.source.currentData()
        try:
            return Source.parse(key or self.mirror.text().strip() or None)
        except DownloadError as e:
            self.status.setText(str(e))
            return None

    def start_download(self) -> None:
        key = self.quant.currentData()
        source = self.chosen_source()
        if key is None or source is None:
            return
        if self.source.currentData() == "" and not self.mirror.text().strip():
            self.status.setText(
                self.tr("Enter the mirror's address, for example https://hf-mirror.com.")
            )
            return
        catalog = Catalog.load(AppPaths.current().cache)
        repo, file = self.repo.text().strip(), self.file.text().strip()
        try:
            request = acquire.request_for(catalog, key or None, repo, file)
        except DownloadError as e:
            self.status.setText(str(e))
            return
        label = key.upper() if key else Path(file).name
        fit = next((f for f in self._fits if f.entry.key == key), None)
        if fit is not None and not fit.usable:
            answer = QMessageBox.question(
                self,
                self.tr("Download anyway?"),
                self.tr("{reason}\n\nDownload {quant} anyway?").format(
                    reason=fit.plan.reason, quant=fit.entry.quant
                ),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.status.setText(
            self.tr("Asking {source} about {repo}…").format(source=source.label, repo=request.repo)
        )
        self.runner.start(
            request,
            source,
            self.tr("{file} from {source}").format(file=label, source=source.label),
            key or "",
        )
        self._set_downloading(True)

    def pause_or_resume(self) -> None:
        if self.runner.active:
            self.runner.pause()
            self.pause_button.setEnabled(False)
        else:
            self.start_download()

    def cancel(self) -> None:
        if not self.runner.active:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Cancel the download"),
            self.tr("Delete what was downloaded so far?\n\nKeep it to resume later."),
            QMessageBox.StandardButton.Yes
            | QMessageBox.StandardButton.No
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Cancel:
            return
        self.runner.cancel(delete_partial=answer == QMessageBox.StandardButton.Yes)

    def _set_downloading(self, on: bool) -> None:
        self.download_button.setVisible(not on)
        self.quant.setEnabled(not on)
        self.source.setEnabled(not on)
        self.mirror.setEnabled(not on)
        self.repo.setEnabled(not on)
        self.file.setEnabled(not on)
        self.pause_button.setVisible(on)
        self.pause_button.setEnabled(True)
        self.pause_button.setText(self.tr("Pause"))
        self.cancel_button.setVisible(on)
        self.bar.setVisible(on or self.bar.value() > 0)

    def _on_progress(self, p: Progress) -> None:
        self.bar.setVisible(True)
        self.bar.setValue(int(p.fraction * 1000))
        self.status.setText(progress_text(p))

    def _on_finished(self, paths: list[Path]) -> None:
        self._set_downloading(False)
        self._label_button("download")
        self.status.setText(self.tr("Verified: {name}. Loading it…").format(name=paths[0].name))
        self.model_ready.emit(str(paths[0]))

    def _on_stopped(self, cancelled: bool) -> None:
        self._set_downloading(False)
        if cancelled:
            self._label_button("download")
            self.bar.setValue(0)
            self.status.setText(self.tr("Download cancelled."))
        else:
            self._label_button("resume")
            d = self.runner.download
            where = (
                self.tr(" at {done} of {total}").format(
                    done=size(d.progress.done), total=size(d.total)
                )
                if d
                else ""
            )
            self.status.setText(
                self.tr("Paused{where}. Resume now or after a restart.").format(where=where)
            )

    def _on_failed(self, message: str) -> None:
        self._set_downloading(False)
        self._label_button("retry")
        self.status.setText(message)
