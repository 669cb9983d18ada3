"""The model controller on its own: real llama.cpp on scripted GGUFs, real SQLite, a bare
host widget instead of the window (the screen is three callables)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.core.settings import AppSettings
from app.store.conversations import ConversationStore
from app.ui.model_controller import ModelController, dropped_gguf
from app.ui.notices import Notice
from tests.fixtures.fake_upstream import FakeUpstream, fake_upstream  # noqa: F401
from tests.fixtures.memory_keyring import MemoryKeyring
from tests.fixtures.scripted_model import ScriptedModel


@dataclass
class Screen:
    """What the window tells the controller: the conversation shown, those replying."""

    shown: int | None = None
    replying: set[int] = field(default_factory=set)
    setup_page: bool = False


def make(
    qtbot: QtBot, store: ConversationStore, settings: AppSettings | None = None
) -> tuple[ModelController, Screen, list[Notice]]:
    host = QWidget()
    qtbot.addWidget(host)
    screen = Screen()
    models = ModelController(
        host,
        store,
        settings or AppSettings(),
        shown=lambda: screen.shown,
        replying=lambda: screen.replying,
        on_setup_page=lambda: screen.setup_page,
    )
    said: list[Notice] = []
    models.noticed.connect(said.append)
    return models, screen, said


def load(qtbot: QtBot, models: ModelController, path: Path) -> None:
    with qtbot.waitSignal(models.engine_changed, timeout=30_000):
        models.load_model(str(path))


def shut(models: ModelController, shown: int | None = None) -> None:
    from app.ui.worker import wait_for_all

    models.begin_close()
    wait_for_all()
    models.close(shown)


def test_a_load_says_loading_then_hands_over_an_engine_with_its_session(
    qtbot: QtBot, store: ConversationStore, qwq_model: ScriptedModel
) -> None:
    models, _, said = make(qtbot, store)
    heard: list[tuple[str, object]] = []
    models.loading.connect(lambda name: heard.append(("loading", name)))
    models.engine_changed.connect(lambda engine: heard.append(("engine_changed", engine)))
    load(qtbot, models, qwq_model.path)
    engine = models.engine
    assert engine is not None
    assert heard == [("loading", qwq_model.path.name), ("engine_changed", engine)]
    assert models.session is not None
    assert models.warm is not None  # a local engine brings its warm keeper
    assert [(n.text, n.kind, n.source) for n in said] == [
        (f"Loading {qwq_model.path.name}…", "progress", "model"),
        ("", "info", "model"),  # the load is over: its notice goes
    ]
    assert AppSettings.load().last_model == str(qwq_model.path)  # remembered for next time
    shut(models)
    assert models.engine is None


def test_a_file_that_cannot_load_fails_with_the_reason_and_keeps_no_engine(
    qtbot: QtBot, store: ConversationStore, tmp_path: Path
) -> None:
    models, _, said = make(qtbot, store)
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF but not really")
    with qtbot.waitSignal(models.load_failed, timeout=10_000) as blocker:
        models.open_gguf(str(bad))
    (message,) = blocker.args or [""]
    assert message.startswith("Could not load the model: ")
    assert said[0] == Notice("Checking broken.gguf…", "progress", "model")
    assert said[-1] == Notice(message, "error", "model")
    assert models.engine is None and models.session is None
    assert AppSettings.load().models == []  # not remembered


def test_a_gguf_from_elsewhere_is_checked_remembered_and_loaded(
    qtbot: QtBot, store: ConversationStore, qwq_model: ScriptedModel, tmp_path: Path
) -> None:
    models, _, _ = make(qtbot, store)
    mine = tmp_path / "mine.gguf"
    shutil.copy(qwq_model.path, mine)
    with qtbot.waitSignal(models.engine_changed, timeout=30_000):
        models.open_gguf(str(mine))
    assert models.settings.models == [str(mine.resolve())]
    assert AppSettings.load().models == [str(mine.resolve())]
    shut(models)


def test_only_a_local_gguf_is_taken_from_a_drop() -> None:
    data = QMimeData()
    data.setUrls([QUrl("https://example.com/m.gguf"), QUrl.fromLocalFile("/tmp/notes.txt")])
    assert dropped_gguf(data) == ""
    data.setUrls([QUrl.fromLocalFile("/tmp/notes.txt"), QUrl.fromLocalFile("/tmp/Model.GGUF")])
    assert dropped_gguf(data) == "/tmp/Model.GGUF"


def test_a_new_load_lets_the_old_engine_go_and_restores_the_conversation_shown(
    qtbot: QtBot, store: ConversationStore, qwq_model: ScriptedModel
) -> None:
    models, screen, said = make(qtbot, store)
    load(qtbot, models, qwq_model.path)
    old = models.engine
    screen.shown = store.create().id
    load(qtbot, models, qwq_model.path)
    assert models.engine is not old and models.warm is not None
    assert old is not None and getattr(old, "_llm", None) is None  # closed on the worker
    assert Notice("Restoring conversation…", "progress", "warm") in said
    qtbot.waitUntil(lambda: models.warm is not None and models.warm.idle, timeout=30_000)
    shut(models, screen.shown)


def test_a_conversation_with_a_reply_running_is_neither_left_nor_restored(
    qtbot: QtBot, store: ConversationStore, qwq_model: ScriptedModel
) -> None:
    models, screen, said = make(qtbot, store)
    load(qtbot, models, qwq_model.path)
    a, b = store.create().id, store.create().id
    screen.replying = {a}
    said.clear()
    models.leave_for(None, a)  # its reply holds the cache
    assert said == []
    models.leave_for(a, b)  # not saved while replying; b is restored
    assert said == [Notice("Restoring conversation…", "progress", "warm")]
    assert models.warm is not None and not models.warm.pending("leave", a)
    qtbot.waitUntil(lambda: models.warm is not None and models.warm.idle, timeout=30_000)
    shut(models)


def test_the_snapshot_budget_changes_at_once_and_zero_turns_snapshots_off(
    qtbot: QtBot, store: ConversationStore, qwq_model: ScriptedModel
) -> None:
    models, _, _ = make(qtbot, store, AppSettings(snapshot_budget_gb=1.0))
    load(qtbot, models, qwq_model.path)
    assert models.warm is not None
    snapshots = models.warm.keep_warm.snapshots
    assert snapshots is not None and snapshots.budget_bytes == 2**30
    models.settings_changed(AppSettings(snapshot_budget_gb=2.5))
    assert models.snapshots() is snapshots and snapshots.budget_bytes == int(2.5 * 2**30)
    models.settings_changed(AppSettings(snapshot_budget_gb=0))
    assert models.warm.keep_warm.snapshots is None
    assert models.snapshots().budget_bytes == 0  # those on disk, for the settings dialog
    shut(models)


def test_an_engine_loaded_after_the_close_is_closed_not_used(
    qtbot: QtBot, store: ConversationStore, qwq_model: ScriptedModel
) -> None:
    models, _, _ = make(qtbot, store)
    changed: list[object] = []
    models.engine_changed.connect(changed.append)
    models.load_model(str(qwq_model.path))
    assert models.begin_close() is False  # nothing to keep warm yet
    from shiboken6 import isValid

    from app.ui.worker import running_jobs

    def loading() -> bool:  # a job leaves the list as it hands its result over
        return any(isValid(j) and j.parent() is models for j in running_jobs())

    qtbot.waitUntil(lambda: not loading(), timeout=30_000)
    assert changed == [] and models.engine is None
    models.close(None)


def test_a_finished_download_loads_when_no_model_is_in_use_or_on_its_page(
    qtbot: QtBot, store: ConversationStore, qwq_model: ScriptedModel
) -> None:
    models, screen, said = make(qtbot, store)
    with qtbot.waitSignal(models.engine_changed, timeout=30_000):
        models.downloads.finished.emit([qwq_model.path])
    assert said[0] == Notice(f"Downloaded {qwq_model.path.name}", "info", "download")
    assert models.settings.last_model == str(qwq_model.path)
    loads: list[str] = []
    models.loading.connect(loads.append)
    models.downloads.finished.emit([qwq_model.path])  # a model is in use: only said
    assert loads == []
    screen.setup_page = True  # downloaded from the page: the user waits for it
    models.downloads.finished.emit([qwq_model.path])
    assert loads == [qwq_model.path.name]
    qtbot.waitUntil(lambda: models.warm is not None, timeout=30_000)
    shut(models)


def test_a_remote_endpoint_takes_over_without_a_warm_keeper_and_the_local_model_goes(
    qtbot: QtBot,
    store: ConversationStore,
    qwq_model: ScriptedModel,
    fake_upstream: FakeUpstream,  # noqa: F811
    memory_keyring: MemoryKeyring,
) -> None:
    models, _, _ = make(qtbot, store)
    load(qtbot, models, qwq_model.path)
    local = models.engine
    models.use_remote()
    dialog = models.remote_dialog
    assert dialog is not None
    dialog.preset.setCurrentIndex(dialog.preset.findData("custom"))
    dialog.base_url.setText(fake_upstream.url)
    dialog.model.setText("qwq-32b")
    dialog.key.setText("sk-good")
    with qtbot.waitSignal(models.engine_changed, timeout=10_000):
        dialog.accept()
    assert models.engine is not local and models.engine is not None
    assert models.engine.kv_cache is None and models.warm is None  # nothing to keep warm
    assert models.session is not None
    assert AppSettings.load().remote["model"] == "qwq-32b"
    assert AppSettings.load().last_model == str(qwq_model.path)  # not the endpoint
    qtbot.waitUntil(lambda: getattr(local, "_llm", None) is None, timeout=30_000)  # let go
    shut(models)
