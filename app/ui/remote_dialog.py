"""Use a remote OpenAI-compatible endpoint instead of a local model: DashScope's
qwq-32b, a vLLM or llama-server machine, or any URL. The key goes to the system
keyring (core/keys), never to a file of ours."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.core import keys
from app.core.i18n import translate
from app.engine.remote_engine import RemoteEngine, normalize_base_url
from app.engine.remote_presets import PRESETS, RemotePreset, preset


class RemoteDialog(QDialog):
    def __init__(self, last: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Use a remote endpoint"))
        self.setObjectName("remoteDialog")
        self.resize(560, 300)
        self.preset = QComboBox()
        self.preset.setObjectName("preset")
        for p in PRESETS:
            self.preset.addItem(translate("RemotePreset", p.label), p.id)
        self.base_url = QLineEdit()
        self.base_url.setObjectName("baseUrl")
        self.model = QLineEdit()
        self.model.setObjectName("remoteModel")
        self.key = QLineEdit()
        self.key.setObjectName("apiKey")
        self.key.setEchoMode(QLineEdit.EchoMode.Password)
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        self.error = QLabel("")
        self.error.setObjectName("remoteError")
        self.error.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Service"), self.preset)
        form.addRow(self.tr("Base URL"), self.base_url)
        form.addRow(self.tr("Model"), self.model)
        form.addRow(self.tr("API key"), self.key)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Use it"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.notes)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.engine: RemoteEngine | None = None
        self.preset.currentIndexChanged.connect(
            lambda _: self._fill(preset(self.preset.currentData()))
        )
        index = self.preset.findData(last.get("preset", PRESETS[0].id))
        self.preset.setCurrentIndex(max(0, index))
        self._fill(preset(self.preset.currentData()), last)

    def _fill(self, p: RemotePreset, last: dict[str, str] | None = None) -> None:
        last = last if last and last.get("preset") == p.id else {}
        self.base_url.setText(last.get("base_url", p.base_url))
        self.model.setText(last.get("model", p.model))
        url = self.base_url.text().strip()
        self.key.setText(keys.remote_key(url, p.api_key_env) or "")
        variables = self.tr(" or ").join(v for v in (p.api_key_env, keys.REMOTE_KEY_ENV) if v)
        hint = self.tr(" The key may also come from {variables}.").format(variables=variables)
        self.notes.setText(translate("RemotePreset", p.notes) + hint)

    def accept(self) -> None:
        p = preset(self.preset.currentData())
        try:
            url = normalize_base_url(self.base_url.text())
        except Exception as e:
            self.error.setText(str(e))
            return
        model = self.model.text().strip()
        if not model:
            self.error.setText(self.tr("Name the model the endpoint serves (DashScope: qwq-32b)."))
            return
        key = self.key.text().strip() or None
        if p.needs_api_key and not key:
            self.error.setText(
                self.tr("{service} needs an API key.").format(
                    service=translate("RemotePreset", p.label)
                )
            )
            return
        self.note = ""
        if key:
            try:
                keys.save_key(url, key)
            except keys.NoKeyringError as e:
                self.note = str(e)
        self.engine = RemoteEngine.from_preset(
            p, key, base_url=url, model=model, name=f"{model} · {p.backend}"
        )
        self.choice = {"preset": p.id, "base_url": url, "model": model}
        super().accept()
