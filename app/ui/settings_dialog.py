"""Settings (Ctrl+,): sampling with the model card's defaults, loading, the local API, MCP
servers, theme, data folder."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core import keys
from app.core.paths import AppPaths
from app.core.sampling import SamplingSettings
from app.core.settings import MAX_SNAPSHOT_BUDGET_GB, AppSettings
from app.documents.collections import Collections
from app.engine.kv_snapshots import SnapshotCache
from app.store.conversations import ConversationStore
from app.tools.mcp_servers import McpServers
from app.ui.backups_box import BackupsBox
from app.ui.collections_box import CollectionsBox
from app.ui.mcp_page import McpServersBox
from app.ui.thinking_budget import BudgetPicker
from app.ui.tools_box import ToolsBox

MATH_PROMPT = "Please reason step by step, and put your final answer within \\boxed{}."


def _double(low: float, high: float, step: float, decimals: int = 2) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setDecimals(decimals)
    return box


class _Optional(QWidget):
    """A number, or "Automatic"."""

    def __init__(self, low: int, high: int, auto_label: str) -> None:
        super().__init__()
        self.auto = QCheckBox(auto_label)
        self.value = QSpinBox()
        self.value.setRange(low, high)
        self.auto.toggled.connect(lambda on: self.value.setEnabled(not on))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.auto)
        row.addWidget(self.value, 1)

    def set_label(self, label: str) -> None:
        """The form row's label names both parts (the row's label names only the pair)."""
        self.value.setAccessibleName(label)
        self.auto.setAccessibleName(f"{label}: {self.auto.text()}")

    def set(self, value: int | None, fallback: int) -> None:
        self.auto.setChecked(value is None)
        self.value.setValue(fallback if value is None else value)
        self.value.setEnabled(value is not None)

    def get(self) -> int | None:
        return None if self.auto.isChecked() else self.value.value()


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: AppSettings,
        parent: QWidget | None = None,
        *,
        store: ConversationStore | None = None,
        busy: Callable[[], bool] = lambda: False,
        snapshots: SnapshotCache | None = None,
        mcp: McpServers | None = None,
        collections: Collections | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.settings = settings
        self._busy = busy
        self.snapshots = snapshots
        # The conversations' backups, with Restore (only with a store to restore into).
        self.backups = BackupsBox(store, busy) if store is not None else None

        sampling = QGroupBox(self.tr("Sampling (defaults: the QwQ-32B model card)"))
        form = QFormLayout(sampling)
        self.temperature = _double(0.0, 5.0, 0.05)
        self.top_p = _double(0.01, 1.0, 0.01)
        self.top_k = QSpinBox()
        self.top_k.setRange(0, 1000)
        self.min_p = _double(0.0, 1.0, 0.01)
        self.presence = _double(-2.0, 2.0, 0.1)
        self.repeat = _double(0.5, 2.0, 0.05)
        self.max_tokens = _Optional(1, 131072, self.tr("Until done"))
        form.addRow(self.tr("Temperature"), self.temperature)
        form.addRow(self.tr("Top P"), self.top_p)
        form.addRow(self.tr("Top K"), self.top_k)
        form.addRow(self.tr("Min P"), self.min_p)
        form.addRow(self.tr("Presence penalty"), self.presence)
        form.addRow(self.tr("Repeat penalty"), self.repeat)
        form.addRow(self.tr("Max tokens"), self.max_tokens)
        self.max_tokens.set_label(self.tr("Max tokens"))
        self.loop_guard = QComboBox()
        self.loop_guard.setToolTip(
            self.tr(
                "When QwQ's thinking starts repeating itself word for word: close the trace and "
                "answer from it, stop the reply, or let it run."
            )
        )
        for label, action in (
            (self.tr("Answer from the thinking"), "answer"),
            (self.tr("Stop"), "stop"),
            (self.tr("Off"), "off"),
        ):
            self.loop_guard.addItem(label, action)
        form.addRow(self.tr("Loop guard"), self.loop_guard)
        # New conversations start from this; each conversation keeps its own choice.
        self.thinking_budget = BudgetPicker(self)
        self.thinking_budget.setObjectName("defaultThinkingBudget")
        self.thinking_budget.setToolTip(
            self.tr(
                "How long QwQ may think in a new conversation before it answers from its thinking"
            )
        )
        form.addRow(self.tr("Thinking budget"), self.thinking_budget)
        reset = QPushButton(self.tr("Reset to the model card's defaults"))
        reset.clicked.connect(lambda: self._show_sampling(SamplingSettings()))
        form.addRow(reset)

        loading = QGroupBox(self.tr("Model loading (applies when a model is loaded)"))
        form2 = QFormLayout(loading)
        self.context = _Optional(256, 131072, "32,768")
        self.context.value.setSingleStep(1024)
        self.gpu_layers = _Optional(0, 999, self.tr("Automatic"))
        self.threads = _Optional(1, 256, self.tr("Automatic"))
        form2.addRow(self.tr("Context length"), self.context)
        self.kv_cache = QComboBox()
        self.kv_cache.setObjectName("kvCache")
        self.kv_cache.addItem(self.tr("f16 (full precision)"), "f16")
        self.kv_cache.addItem(self.tr("q8_0 (half the memory; uses flash attention)"), "q8_0")
        form2.addRow(self.tr("GPU layers"), self.gpu_layers)
        form2.addRow(self.tr("KV cache"), self.kv_cache)
        form2.addRow(self.tr("Threads"), self.threads)
        self.context.set_label(self.tr("Context length"))
        self.gpu_layers.set_label(self.tr("GPU layers"))
        self.threads.set_label(self.tr("Threads"))
        # Conversation snapshots: each conversation's KV cache on disk, so its follow-up
        # starts at once after a switch or a restart.
        self.snapshot_budget = _double(0.0, MAX_SNAPSHOT_BUDGET_GB, 1.0, decimals=1)
        self.snapshot_budget.setObjectName("snapshotBudget")
        self.snapshot_budget.setSuffix(" GB")
        self.snapshot_budget.setSpecialValueText(self.tr("Off"))
        self.snapshot_budget.setAccessibleName(self.tr("Conversation snapshots"))
        self.snapshot_budget.setToolTip(
            self.tr(
                "The most disk space conversation snapshots may take (the least recently used go "
                "first); Off: every conversation is read again after a switch or a restart"
            )
        )
        self.snapshot_used = QLabel()
        self.snapshot_used.setObjectName("snapshotUsed")
        self.snapshot_clear = QPushButton(self.tr("Clear"))
        self.snapshot_clear.setObjectName("snapshotClear")
        self.snapshot_clear.setAccessibleName(self.tr("Clear conversation snapshots"))
        self.snapshot_clear.clicked.connect(self.clear_snapshots)
        snapshot_row = QHBoxLayout()
        snapshot_row.addWidget(self.snapshot_budget)
        snapshot_row.addWidget(self.snapshot_used, 1)
        snapshot_row.addWidget(self.snapshot_clear)
        form2.addRow(self.tr("Conversation snapshots"), snapshot_row)

        api = QGroupBox(self.tr("Local API (the status bar's API button; serves on 127.0.0.1)"))
        form4 = QFormLayout(api)
        self.api_port = QSpinBox()
        self.api_port.setObjectName("apiPort")
        self.api_port.setRange(1024, 65535)
        self.api_port.setValue(settings.api_port)
        self.api_key = QLineEdit()
        self.api_key.setObjectName("apiKey")
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.setPlaceholderText(self.tr("none: any program on this machine may use it"))
        self.api_key.setText(keys.load_key(keys.LOCAL_API_KEY) or "")
        form4.addRow(self.tr("Port"), self.api_port)
        form4.addRow(self.tr("API key"), self.api_key)

        look = QGroupBox(self.tr("Appearance and data"))
        form3 = QFormLayout(look)
        self.theme = QComboBox()
        self.theme.addItem(self.tr("Follow the system"), "system")
        self.theme.addItem(self.tr("Light"), "light")
        self.theme.addItem(self.tr("Dark"), "dark")
        self.language = QComboBox()
        self.language.setObjectName("language")
        self.language.addItem(self.tr("Follow the system"), "system")
        self.language.addItem("English", "en")  # each language in its own words
        self.language.addItem("简体中文", "zh_CN")
        self.language.setToolTip(self.tr("The language of the window; applies at the next start"))
        paths = AppPaths.current()
        where = QLabel(
            self.tr(
                "Conversations: {data}\nModels: {models}\nSettings: {config}\nLog: {logs}"
            ).format(data=paths.data, models=paths.models, config=paths.config, logs=paths.logs)
        )
        engine = QLabel(engine_description())
        engine.setObjectName("engineBuild")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form3.addRow(self.tr("Theme"), self.theme)
        form3.addRow(self.tr("Language"), self.language)
        form3.addRow(self.tr("Data folder"), where)
        form3.addRow(self.tr("Engine"), engine)

        self.tools = ToolsBox(settings)
        # MCP servers: their status, Start/Stop, their tools' switches (its own file).
        self.mcp_box = McpServersBox(settings.mcp_servers, mcp, self)
        # Document collections: add a folder, re-index, remove (their own file).
        self.collections_box = CollectionsBox(collections) if collections is not None else None

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        # The groups scroll (OK and Cancel stay in view): at 200 % scaling, or on a small
        # screen, the dialog is taller than the screen and its end would be cut off.
        body = QWidget()
        body.setObjectName("settingsBody")
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        parts = (sampling, loading, self.tools, self.mcp_box, self.collections_box, api, look)
        for w in (*parts, self.backups):
            if w is not None:
                column.addWidget(w)
        scroll = QScrollArea()
        scroll.setObjectName("settingsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the fields (and shows them)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self._fit_to_screen(layout, body, scroll, buttons)

        self._show_sampling(settings.sampling_settings())
        self.context.set(settings.context_length, 32768)
        self.gpu_layers.set(settings.gpu_layers, 0)
        self.threads.set(settings.threads, 4)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.kv_cache.setCurrentIndex(max(0, self.kv_cache.findData(settings.kv_cache_type)))
        self.loop_guard.setCurrentIndex(max(0, self.loop_guard.findData(settings.loop_guard)))
        self.thinking_budget.set_value(
            settings.thinking_budget_tokens, settings.thinking_budget_seconds
        )
        self.snapshot_budget.setValue(settings.snapshot_budget_gb)
        self._show_snapshot_usage()

    def _fit_to_screen(
        self, layout: QVBoxLayout, body: QWidget, scroll: QScrollArea, buttons: QWidget
    ) -> None:
        """As wide as the groups (no sideways scrolling) and as tall as they are, up to
        nine tenths of the screen."""
        bar = scroll.verticalScrollBar().sizeHint().width()
        scroll.setMinimumWidth(body.sizeHint().width() + bar)
        margins = layout.contentsMargins()
        wanted = (
            body.sizeHint().height()
            + buttons.sizeHint().height()
            + layout.spacing()
            + margins.top()
            + margins.bottom()
        )
        screen = (self.parentWidget() or self).screen().availableGeometry()
        self.resize(self.sizeHint().width(), min(wanted, int(screen.height() * 0.9)))

    def _show_snapshot_usage(self, note: str = "") -> None:
        used = self.snapshots.usage() if self.snapshots is not None else 0
        self.snapshot_used.setText(note or self.tr("{size} used").format(size=size_text(used)))
        busy = self._busy()
        self.snapshot_clear.setEnabled(self.snapshots is not None and used > 0 and not busy)
        self.snapshot_clear.setToolTip(
            self.tr("Wait until the reply is done: it is using the model's memory")
            if busy
            else self.tr("Delete every conversation snapshot (conversations are kept)")
        )

    def clear_snapshots(self) -> None:
        """Delete the snapshots (refused while a reply runs: its conversation is saving)."""
        if self.snapshots is None:
            return
        if self._busy():
            self._show_snapshot_usage(self.tr("Not cleared: a reply is running"))
            return
        try:
            self.snapshots.clear()
        except OSError as e:
            self._show_snapshot_usage(self.tr("Could not clear them: {error}").format(error=e))
            return
        self._show_snapshot_usage()

    def _show_sampling(self, s: SamplingSettings) -> None:
        self.temperature.setValue(s.temperature)
        self.top_p.setValue(s.top_p)
        self.top_k.setValue(s.top_k)
        self.min_p.setValue(s.min_p)
        self.presence.setValue(s.presence_penalty)
        self.repeat.setValue(s.repeat_penalty)
        self.max_tokens.set(s.max_tokens, 32768)

    def save_api_key(self) -> str:
        """Keep the local API's key in the keyring; "" or a note when it can't be saved."""
        key = self.api_key.text().strip()
        if not key:
            keys.forget_key(keys.LOCAL_API_KEY)
            return ""
        try:
            keys.save_key(keys.LOCAL_API_KEY, key)
        except keys.NoKeyringError as e:
            return str(e)
        return ""

    def result_settings(self) -> AppSettings:
        """The settings as the dialog shows them."""
        sampling = SamplingSettings(
            temperature=self.temperature.value(),
            top_p=self.top_p.value(),
            top_k=self.top_k.value(),
            min_p=self.min_p.value(),
            presence_penalty=self.presence.value(),
            repeat_penalty=self.repeat.value(),
            max_tokens=self.max_tokens.get(),
        )
        return AppSettings(
            sampling=sampling.to_dict(),
            context_length=self.context.get(),
            gpu_layers=self.gpu_layers.get(),
            threads=self.threads.get(),
            theme=self.theme.currentData(),
            language=self.language.currentData(),
            last_model=self.settings.last_model,
            models=list(self.settings.models),
            kv_cache_type=self.kv_cache.currentData(),
            api_port=self.api_port.value(),
            loop_guard=self.loop_guard.currentData(),
            thinking_budget_tokens=self.thinking_budget.value()[0],
            thinking_budget_seconds=self.thinking_budget.value()[1],
            remote=dict(self.settings.remote),
            snapshot_budget_gb=self.snapshot_budget.value(),
            tools=self.tools.names(),
            tool_rounds=self.tools.rounds.value(),
            mcp_servers=self.mcp_box.raw(),
        )


def size_text(size: int) -> str:
    """Bytes for people: "0 B", "512 KB", "3.4 GB"."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def engine_description() -> str:
    """Which llama.cpp this app runs: its version and backend ("CUDA build", "CPU build")."""
    import llama_cpp

    from app.engine.local_engine import backend_name

    backend = backend_name()
    offload = (
        QCoreApplication.translate("SettingsDialog", "GPU offload available")
        if backend != "CPU"
        else QCoreApplication.translate("SettingsDialog", "no GPU offload")
    )
    return QCoreApplication.translate(
        "SettingsDialog", "llama.cpp via llama-cpp-python {version}: {backend} build ({offload})"
    ).format(version=llama_cpp.__version__, backend=backend, offload=offload)


class SystemPromptDialog(QDialog):
    """A conversation's system prompt, with the model card's math prompt one click away."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("System prompt"))
        self.editor = QPlainTextEdit(text)
        self.editor.setAccessibleName(self.tr("System prompt"))
        self.editor.setTabChangesFocus(True)
        self.editor.setPlaceholderText(self.tr("Instructions QwQ follows in this conversation"))
        math = QPushButton(self.tr("Math: step by step, answer in \\boxed{}"))
        math.clicked.connect(lambda: self.editor.setPlainText(MATH_PROMPT))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor)
        layout.addWidget(math)
        layout.addWidget(buttons)

    def text(self) -> str:
        return self.editor.toPlainText().strip()
