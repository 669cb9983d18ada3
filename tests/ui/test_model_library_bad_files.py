"""The window's Models list shows a bad file as bad, with its reason, and the rest."""

from __future__ import annotations

import shutil

from pytestqt.qtbot import QtBot

from app.core.paths import AppPaths
from app.core.settings import AppSettings
from app.ui.model_library import ModelLibrary
from tests.fixtures.gguf_bytes import kv_str, small_model
from tests.fixtures.models import ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel


def test_a_bad_file_is_listed_as_bad_and_the_rest_still_listed(
    qtbot: QtBot, qwq_model: ScriptedModel, scripted: ScriptFactory
) -> None:
    repo = AppPaths.current().ensure().models / "someone" / "models"
    repo.mkdir(parents=True)
    shutil.copy(qwq_model.path, repo / "good.gguf")
    damaged = small_model()
    damaged.kvs[1] = kv_str("general.alignment", "thirty-two")
    (repo / "damaged.gguf").write_bytes(damaged.to_bytes())
    shutil.copy(scripted(["x"], template="{% for %}").path, repo / "template.gguf")

    dialog = ModelLibrary(AppSettings.load())
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.loads == 1 or "Could not" in dialog.note.text(), timeout=20_000)
    assert dialog.loads == 1, dialog.note.text()  # read, not failed
    rows = {
        dialog.table.item(r, 0).text(): dialog.table.item(r, 3).text()
        for r in range(dialog.table.rowCount())
    }
    assert set(rows) == {"damaged.gguf", "good.gguf", "template.gguf"}
    assert rows["good.gguf"] == "downloaded"
    assert rows["damaged.gguf"].startswith("⚠ The GGUF file is damaged")
    assert "general.alignment must be a power of two" in rows["damaged.gguf"]
    assert str(repo) not in rows["damaged.gguf"]  # the path is in the File column
    assert "chat template has a syntax error" in rows["template.gguf"]

    dialog.select_path(str(repo / "damaged.gguf"))
    assert not dialog.load_button.isEnabled()
    dialog.select_path(str(repo / "good.gguf"))
    assert dialog.load_button.isEnabled()
