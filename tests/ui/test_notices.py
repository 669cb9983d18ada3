"""The one route for messages to the user: where each lands, what replaces and clears it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from app.store.conversations import ConversationStore
from app.ui.notices import Notice, Notices
from tests.fixtures.scripted_model import ScriptedModel


def make(qtbot: QtBot) -> tuple[QMainWindow, Notices]:
    window = QMainWindow()
    qtbot.addWidget(window)
    return window, Notices(window.statusBar())


def test_the_model_label_keeps_the_model_while_notices_come_and_go(qtbot: QtBot) -> None:
    _, notices = make(qtbot)
    assert notices.model_label.text() == "No model loaded"
    notices.set_model("Scripted QwQ · CPU", "a note")
    notices.show("Could not save the settings: disk full", "error", source="settings")
    assert notices.model_label.text() == "Scripted QwQ · CPU"
    assert notices.model_label.toolTip() == "a note"
    assert notices.text() == "Could not save the settings: disk full"
    current = notices.current()
    assert current is not None and current.kind == "error" and current.source == "settings"


def test_a_newer_notice_replaces_the_shown_one_and_clear_only_takes_its_own(
    qtbot: QtBot,
) -> None:
    _, notices = make(qtbot)
    notices.show("Loading a.gguf…", "progress", source="model")
    notices.show("Search failed: locked", "error", source="search")
    assert notices.text() == "Search failed: locked"
    notices.clear("model")  # no longer on screen: nothing to take away
    assert notices.text() == "Search failed: locked"
    assert notices.text("model") == ""
    notices.clear("search")
    assert notices.text() == "" and notices.current() is None


def test_downloads_and_warm_have_places_of_their_own(qtbot: QtBot) -> None:
    _, notices = make(qtbot)
    notices.show("↓ Q4_K_M: 40%", "progress", source="download", tooltip="40 MB of 100 MB")
    notices.show("Restoring conversation…", "progress", source="warm")
    notices.show("Could not load the model: bad file", "error", source="model")
    assert notices.text("download") == "↓ Q4_K_M: 40%"
    assert notices.tooltip("download") == "40 MB of 100 MB"
    assert notices.text("warm") == "Restoring conversation…"
    assert notices.text() == "Could not load the model: bad file"
    notices.clear("warm")
    assert notices.text("warm") == "" and notices.text("download") == "↓ Q4_K_M: 40%"


def test_a_notice_with_a_timeout_goes_by_itself(qtbot: QtBot) -> None:
    _, notices = make(qtbot)
    notices.show("Warm", source="warm", timeout_ms=50)
    assert notices.text("warm") == "Warm"
    qtbot.waitUntil(lambda: notices.text("warm") == "", timeout=5_000)
    notices.show("Backup failed: disk full", "error", source="backup", timeout_ms=50)
    notices.show("Search failed: locked", "error", source="search")  # replaces it
    qtbot.wait(120)
    assert notices.text() == "Search failed: locked"  # the old timer took nothing away


def test_parts_signals_connect_to_the_str_slots(qtbot: QtBot) -> None:
    _, notices = make(qtbot)
    seen: list[Notice] = []
    notices.posted.connect(seen.append)
    notices.info("Key kept for this session only")
    notices.error("Could not continue")
    assert [(n.text, n.kind) for n in seen] == [
        ("Key kept for this session only", "info"),
        ("Could not continue", "error"),
    ]
    assert notices.text() == "Could not continue"


def test_in_the_window_a_failed_load_no_longer_hides_the_model_in_use(
    qtbot: QtBot, store: ConversationStore, qwq_model: ScriptedModel, tmp_path: Path
) -> None:
    from tests.ui.test_main_window import open_window

    window = open_window(qtbot, store, qwq_model.path)
    described = window.notices.model_label.text()
    assert "Scripted QwQ" in described and window.notices.text() == ""
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF but not really")
    window.models.open_gguf(str(bad))
    qtbot.waitUntil(lambda: "Could not load the model" in window.notices.text(), timeout=10_000)
    assert window.notices.model_label.text() == described  # still the model that answers
    current = window.notices.current()
    assert current is not None and current.kind == "error" and current.source == "model"
