"""The window in Simplified Chinese: every window and dialog walked, no English left.

The catalog is the real one (resources/translations/qwq-desktop_zh_CN.qm) with Qt's own
qtbase_zh_CN.qm, installed the way the app installs them at start. The walker reads every
widget's visible texts (text, placeholder, tooltip, accessible name and description,
window title, list/combo/table entries, group titles, spin box texts) and fails on any
English word outside the allowlist of names: product and file-format names, units, keys,
and identifiers (anything with a digit, "_", "/", or a dot inside: file names, paths,
URLs, environment variables, quants).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QGroupBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QSpinBox,
    QTableWidget,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from app.core import format as fmt
from app.core import i18n
from app.core.errors import QwQError
from app.core.settings import AppSettings
from app.session import ChatSession
from app.store.conversations import ConversationStore
from app.ui import language
from app.ui.chat_view import AssistantMessage
from app.ui.crash_report import CrashReporter
from app.ui.main_window import MainWindow
from app.ui.model_library import ModelLibrary
from app.ui.remote_dialog import RemoteDialog
from app.ui.settings_dialog import SettingsDialog, SystemPromptDialog
from tests.fixtures.models import ScriptFactory

QUESTION = "前十个奇数的和是多少？"
SCRIPT = [
    "先把前十个奇数相加。",
    " 1+3+5+7+9+11+13+15+17+19。",
    " 也就是十的平方。\n",
    "</think>",
    "\n\n",
    "和是 **100**。\n",
]

# Names that stay as they are in a Chinese interface (lower case).
ALLOWED = {
    # the product, the model, formats and interfaces
    "qwq", "qwen", "gguf", "api", "openai", "url", "sha", "json", "markdown", "mcp", "csv", "pdf", "docx", "html",
    # hardware and the engine's terms of art, as Chinese UIs write them
    "cpu", "gpu", "kv", "flash", "attention", "llama.cpp", "llama", "cpp", "python", "cuda",
    "metal", "vulkan", "top", "min",
    # services and their command lines (quoted in the remote presets' notes)
    "dashscope", "vllm", "server", "hugging", "face", "modelscope", "serve", "deepseek",
    # units and keys
    "tok", "gb", "mb", "kb", "gib", "ctrl", "shift", "enter", "esc", "alt", "tab", "delete",
    # each language offered in its own words (Settings → Language)
    "english",
}  # fmt: skip
CHUNK = re.compile(r"[A-Za-z0-9_.\-+/\\:'’]+")
WORD = re.compile(r"[A-Za-z]+")


def english_words(text: str, names: set[str]) -> list[str]:
    """The English words in ``text`` that are neither allowed names nor identifiers."""
    text = re.sub(r"<[^>]+>", " ", text)  # rich text's tags
    found = []
    for chunk in CHUNK.findall(text):
        core = chunk.strip(".:'’-")
        if not core or chunk.startswith("-") or re.search(r"[0-9_/\\]|\w\.\w", core):
            continue  # a number, a flag, a path, a file or domain name, an identifier
        for word in WORD.findall(core):
            if len(word) > 1 and word.lower() not in ALLOWED | names:
                found.append(word)
    return found


def widget_texts(w: QWidget) -> list[str]:
    """Every text ``w`` shows or says (to a screen reader too)."""
    texts = [w.toolTip(), w.accessibleName(), w.accessibleDescription(), w.statusTip()]
    if w.isWindow() or isinstance(w, QDockWidget):
        texts.append(w.windowTitle())
    if isinstance(w, QLabel | QAbstractButton):
        texts.append(w.text())
    if isinstance(w, QLineEdit | QPlainTextEdit | QTextEdit):
        texts.append(w.placeholderText())
    if isinstance(w, QGroupBox):
        texts.append(w.title())
    if isinstance(w, QComboBox):
        texts += [w.itemText(i) for i in range(w.count())]
    if isinstance(w, QProgressBar) and w.isTextVisible():
        texts.append(w.text())
    if isinstance(w, QAbstractSpinBox):
        texts.append(w.specialValueText())
    if isinstance(w, QSpinBox | QDoubleSpinBox):
        texts += [w.prefix(), w.suffix()]
    if isinstance(w, QListWidget):
        for i in range(w.count()):
            texts += [w.item(i).text(), w.item(i).toolTip()]
    if isinstance(w, QTableWidget):
        for c in range(w.columnCount()):
            header = w.horizontalHeaderItem(c)
            texts.append(header.text() if header else "")
            for r in range(w.rowCount()):
                item = w.item(r, c)
                texts += [item.text(), item.toolTip()] if item else []
    if isinstance(w, QMessageBox):
        texts += [w.text(), w.informativeText()]
    if isinstance(w, QInputDialog):
        texts += [w.labelText(), w.okButtonText(), w.cancelButtonText()]
    return [t for t in texts if t]


def walk(top: QWidget, names: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """'Class: text' for each English text in ``top`` and everything in it (hidden parts
    too: they show at other moments, such as Stop while a reply streams)."""
    problems = []
    for w in [top, *top.findChildren(QWidget)]:
        for text in widget_texts(w):
            words = english_words(text, set(names))
            if words:
                problems.append(f"{type(w).__name__} {w.objectName()!r}: {text!r} {words}")
    return problems


@pytest.fixture
def zh_cn(qapp: QApplication) -> Iterator[language.InstalledLanguage]:
    installed = language.install(qapp, "zh_CN")
    assert len(installed.translators) == 2, "qtbase_zh_CN.qm and our catalog both load"
    yield installed
    installed.remove()


def open_window(qtbot: QtBot, store: ConversationStore, model: Path | None) -> MainWindow:
    window = MainWindow(store, str(model) if model else None)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    if model is not None:
        qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    return window


def model_names(window: MainWindow) -> set[str]:
    """The loaded model's own name (data, like a file name)."""
    engine = window.models.engine
    return {w.lower() for w in WORD.findall(engine.info.name)} if engine else set()


def test_the_window_and_its_dialogs_after_an_exchange_have_no_english(
    qtbot: QtBot,
    store: ConversationStore,
    scripted: ScriptFactory,
    zh_cn: language.InstalledLanguage,
    tmp_path: Path,
) -> None:
    window = open_window(qtbot, store, scripted(SCRIPT).path)
    names = model_names(window)
    window.composer.editor.setPlainText(QUESTION)
    window.composer.submit()
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    (reply,) = [w for w in window.chat.messages() if isinstance(w, AssistantMessage)]
    assert reply.reasoning.header.text().startswith("已思考")
    assert window.windowTitle() == f"QwQ 桌面版 — {QUESTION}"
    reply.reasoning.beside_button.click()  # the trace beside the answer: its dock too
    assert walk(window, names) == []

    # Settings, with its backups (one made, and the restore's question asked).
    settings = SettingsDialog(window.settings, window, store=store)
    qtbot.addWidget(settings)
    assert settings.backups is not None
    settings.backups.back_up_now()
    qtbot.waitUntil(lambda: settings.backups is not None and settings.backups.list.count() > 0)
    settings.backups.list.setCurrentRow(0)
    settings.backups.ask_restore()
    assert walk(settings, names) == []
    assert walk(settings.backups.confirm, names) == []
    settings.backups.confirm.button(QMessageBox.StandardButton.Cancel).click()

    # The models, a remote endpoint (each preset's notes), the system prompt.
    library = ModelLibrary(window.settings, window)
    qtbot.addWidget(library)
    qtbot.waitUntil(lambda: library.loads > 0)
    library.table.selectRow(0)
    assert walk(library, names) == []
    remote = RemoteDialog({}, window)
    qtbot.addWidget(remote)
    for i in range(remote.preset.count()):
        remote.preset.setCurrentIndex(i)
        remote.model.clear()
        remote.accept()  # refused: no model named (an error said in Chinese)
        # ("reasoning" here is a JSON field's name, as in reasoning_content.)
        assert walk(remote, names | {"reasoning"}) == [], remote.preset.currentText()
    prompt = SystemPromptDialog("", window)
    qtbot.addWidget(prompt)
    assert walk(prompt, names) == []

    # Steer and a custom thinking budget ask with Qt's input dialog.
    assert reply.message_id is not None
    window.replies.steer(reply.message_id)
    steer = window.findChild(QInputDialog, "steerDialog")
    assert steer is not None and steer.isVisible()
    assert walk(steer, names) == []
    steer.reject()
    budget = window.composer.budget
    budget.tokens.setCurrentIndex(budget.tokens.count() - 1)  # "Custom…"
    assert budget.custom_dialog is not None
    assert walk(budget.custom_dialog, names) == []
    budget.custom_dialog.reject()

    # Qt's own file dialog (where the platform has no native one), as Open a GGUF file asks.
    files = QFileDialog(window, "打开 GGUF 模型", str(tmp_path), "GGUF 模型 (*.gguf)")
    files.setOption(QFileDialog.Option.DontUseNativeDialog)
    qtbot.addWidget(files)
    files.show()
    assert walk(files, names) == []
    files.reject()

    # The crash dialog (an exception's own line stays as Python wrote it).
    reporter = CrashReporter(window, tmp_path / "qwq-desktop.log", window.windowTitle()).install()
    try:
        sys.excepthook(ZeroDivisionError, ZeroDivisionError("除以零"), None)
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
        (box,) = [b for b in boxes if b.isVisible()]
        assert walk(box, names | {"zerodivisionerror"}) == []
        box.close()
    finally:
        reporter.uninstall()
    for dialog in (settings, library, remote, prompt):
        dialog.close()


def test_the_first_run_page_has_no_english(
    qtbot: QtBot, store: ConversationStore, zh_cn: language.InstalledLanguage
) -> None:
    window = open_window(qtbot, store, None)
    assert window.pages.currentWidget() is window.first_run
    qtbot.waitUntil(lambda: window.first_run.view is not None, timeout=30_000)
    view = window.first_run.view
    assert view is not None
    owners = {f.entry.repo.split("/")[0].lower() for f in view.fits}  # uploaders' names
    window.composer.editor.setPlainText("你好")
    window.composer.submit()  # no model yet: said in Chinese
    assert "请先加载模型" in window.notices.text()
    assert walk(window, owners) == []


def test_qt_and_the_core_speak_chinese_once_installed(
    qapp: QApplication, zh_cn: language.InstalledLanguage, store: ConversationStore
) -> None:
    # The core's messages, through the translator the window installed.
    assert fmt.duration(72) == "1 分 12 秒"
    assert fmt.finish_words("length") == "已停止：词元用尽"
    assert fmt.wait(7) == "7 秒"
    with pytest.raises(QwQError, match="消息为空"):
        ChatSession(store, None).reply(0, "  ")  # type: ignore[arg-type]
    # Qt's own texts (standard buttons) from qtbase_zh_CN.qm.
    box = QMessageBox(QMessageBox.Icon.Question, "", "", QMessageBox.StandardButton.Cancel)
    assert box.button(QMessageBox.StandardButton.Cancel).text() == "取消"
    box.deleteLater()
    assert QLocale().language() == QLocale.Language.Chinese


def test_removing_the_language_brings_english_back(qapp: QApplication) -> None:
    installed = language.install(qapp, "zh_CN")
    assert fmt.duration(5) == "5 秒"
    installed.remove()
    assert fmt.duration(5) == "5 s"
    assert i18n.translate("Format", "{s} s") == "{s} s"


def test_the_language_follows_the_system_unless_chosen() -> None:
    china = QLocale(QLocale.Language.Chinese, QLocale.Country.China)
    singapore = QLocale(QLocale.Language.Chinese, QLocale.Script.SimplifiedChineseScript, QLocale.Country.Singapore)  # fmt: skip
    taiwan = QLocale(QLocale.Language.Chinese, QLocale.Script.TraditionalChineseScript, QLocale.Country.Taiwan)  # fmt: skip
    us = QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    assert language.resolve("system", china) == "zh_CN"
    assert language.resolve("system", singapore) == "zh_CN"
    assert language.resolve("system", taiwan) == "en"  # no Traditional catalog yet
    assert language.resolve("system", us) == "en"
    assert language.resolve("en", china) == "en"
    assert language.resolve("zh_CN", us) == "zh_CN"


def test_the_language_setting_is_offered_and_kept(qtbot: QtBot) -> None:
    dialog = SettingsDialog(AppSettings())
    qtbot.addWidget(dialog)
    assert [dialog.language.itemData(i) for i in range(dialog.language.count())] == [
        "system",
        "en",
        "zh_CN",
    ]
    dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
    dialog.result_settings().save()
    assert AppSettings.load().language == "zh_CN"
    AppSettings(language="klingon").save()  # type: ignore[arg-type]
    assert AppSettings.load().language == "system"


def test_a_bad_model_file_is_explained_in_chinese(
    qtbot: QtBot, zh_cn: language.InstalledLanguage
) -> None:
    from app.core.paths import AppPaths

    folder = AppPaths.current().ensure().models / "someone" / "models"
    folder.mkdir(parents=True)
    (folder / "broken.gguf").write_bytes(b"not a model at all, just some text" * 4)
    (folder / "QwQ-32B-Q4_K_M-00001-of-00002.gguf").write_bytes(b"GGUF" + bytes(60))
    library = ModelLibrary(AppSettings())
    qtbot.addWidget(library)
    qtbot.waitUntil(lambda: library.loads > 0)
    wheres = [library.table.item(r, 3).text() for r in range(library.table.rowCount())]
    assert any("不是 GGUF 模型文件" in w for w in wheres), wheres
    assert any("缺少 1 个分卷" in w for w in wheres), wheres
    assert walk(library, {"broken"}) == []  # (a file's own name, shown as its model name)


def test_a_new_language_is_said_to_apply_at_the_next_start(
    qtbot: QtBot, store: ConversationStore
) -> None:
    from dataclasses import replace

    window = open_window(qtbot, store, None)
    window.settings_control.apply(replace(window.settings_control.settings, language="zh_CN"))
    assert "starts again" in window.notices.text()
    assert AppSettings.load().language == "zh_CN"
