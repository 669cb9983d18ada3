"""Getting a model in the window: first run (machine → recommendation → download →
load → chat), pause and resume, a download that goes on while chatting, drag and
drop, and the model library."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QDropEvent
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.core.paths import AppPaths
from app.core.settings import AppSettings
from app.store.conversations import ConversationStore
from app.ui.main_window import MainWindow
from app.ui.model_library import ModelLibrary
from tests.fixtures.fake_hub import FakeHub
from tests.fixtures.models import QWQ_ANSWER
from tests.fixtures.scripted_model import ScriptedModel
from tests.ui.test_main_window import ask, assistant_widgets, open_window

OFFICIAL, Q4 = "Qwen/QwQ-32B-GGUF", "qwq-32b-q4_k_m.gguf"
pytestmark = pytest.mark.usefixtures("hf_online")


@pytest.fixture
def hub(
    fake_hub: FakeHub, qwq_model: ScriptedModel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> FakeHub:
    """The Hub holds the scripted model as the official Q4_K_M file."""
    monkeypatch.setenv("HF_ENDPOINT", fake_hub.url)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    fake_hub.add_file(OFFICIAL, Q4, qwq_model.path.read_bytes())
    return fake_hub


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Answer Qt's question boxes with Yes, and keep what they asked."""
    asked: list[str] = []

    def question(_parent: object, title: str, text: str, *_a: object) -> QMessageBox.StandardButton:
        asked.append(f"{title}: {text}")
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def setup_ready(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.first_run.view is not None, timeout=30_000)


def download_slowly(
    qtbot: QtBot, store: ConversationStore, hub: FakeHub, rate: int, until: int = 0
) -> MainWindow:
    """A first-run window downloading Q4_K_M at ``rate`` bytes/s, past ``until``/1000."""
    window = open_window(qtbot, store, None)
    setup_ready(qtbot, window)
    window.first_run.select("q4_k_m")
    hub.bytes_per_second = rate
    window.first_run.download_button.click()
    qtbot.waitUntil(lambda: window.first_run.bar.value() > until, timeout=30_000)
    return window


def test_first_run_recommends_downloads_loads_and_chats(
    qtbot: QtBot, store: ConversationStore, hub: FakeHub, answers: list[str]
) -> None:
    window = open_window(qtbot, store, None)
    assert window.pages.currentWidget() is window.first_run
    setup_ready(qtbot, window)
    page = window.first_run
    assert "RAM" in page.machine.text()
    view = page.view
    assert view is not None
    if view.recommended is not None:  # the recommended quant is preselected, with its reason
        assert page.quant.currentData() == view.recommended.entry.key
        assert view.recommended.entry.quant in page.reason.text()
    assert page.quant.count() == len(view.fits) + 1  # and "Another GGUF on the Hub…"

    page.select("q4_k_m")
    page.download_button.click()
    qtbot.waitUntil(lambda: window.session is not None, timeout=60_000)
    target = AppPaths.current().models / "Qwen" / "QwQ-32B-GGUF" / Q4
    assert window.engine is not None and window.engine.info.path == target
    assert AppSettings.load().last_model == str(target)
    assert "Verified" in page.status.text()
    q4 = next(f for f in view.fits if f.entry.key == "q4_k_m")
    assert bool(answers) == (not q4.usable)  # asked first only when it won't fit

    ask(qtbot, window, "What is 2+2?")
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    assert assistant_widgets(window)[-1].answer.markdown == QWQ_ANSWER


def test_any_gguf_on_the_hub_from_a_mirror(
    qtbot: QtBot, store: ConversationStore, hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "https://unreachable.invalid")
    window = open_window(qtbot, store, None)
    setup_ready(qtbot, window)
    page = window.first_run
    assert not page.repo.isVisible()
    page.quant.setCurrentIndex(page.quant.count() - 1)  # "Another GGUF on the Hub…"
    assert page.repo.isVisible() and page.file.isVisible()
    page.source.setCurrentIndex(page.source.findData(""))  # a mirror
    page.download_button.click()
    assert "mirror's address" in page.status.text()
    page.mirror.setText(hub.url)
    page.repo.setText(OFFICIAL)
    page.file.setText("notes.txt")
    page.download_button.click()
    assert "not a GGUF file" in page.status.text()
    page.file.setText(Q4)
    page.download_button.click()
    qtbot.waitUntil(lambda: window.session is not None, timeout=60_000)
    assert window.engine is not None and window.engine.info.path.name == Q4


def test_pause_quit_and_resume_in_a_new_window(
    qtbot: QtBot, store: ConversationStore, hub: FakeHub, answers: list[str]
) -> None:
    window = download_slowly(qtbot, store, hub, 400_000, until=50)
    page = window.first_run
    assert page.pause_button.isVisible() and page.cancel_button.isVisible()
    page.pause_button.click()
    qtbot.waitUntil(lambda: not window.models.downloads.active, timeout=30_000)
    assert "Paused at" in page.status.text()
    assert page.download_button.text() == "Resume download"
    part = AppPaths.current().models / "Qwen" / "QwQ-32B-GGUF" / (Q4 + ".part")
    assert part.stat().st_size > 0

    # Quit and start again: the new window offers to resume.
    window.close()
    again = open_window(qtbot, store, None)
    setup_ready(qtbot, again)
    page = again.first_run
    assert page.quant.currentData() == "q4_k_m"
    assert "of Q4_K_M already downloaded: resume it" in page.status.text()
    assert page.download_button.text() == "Resume download"
    hub.bytes_per_second = None
    page.download_button.click()
    qtbot.waitUntil(lambda: again.session is not None, timeout=60_000)
    assert not part.exists()


def test_cancel_can_delete_what_was_downloaded(
    qtbot: QtBot, store: ConversationStore, hub: FakeHub, answers: list[str]
) -> None:
    window = download_slowly(qtbot, store, hub, 300_000, until=20)
    page = window.first_run
    page.cancel_button.click()  # "Delete what was downloaded so far?" -> Yes
    qtbot.waitUntil(lambda: not window.models.downloads.active, timeout=30_000)
    assert page.status.text() == "Download cancelled."
    assert "Delete what was downloaded" in answers[-1]
    folder = AppPaths.current().models / "Qwen" / "QwQ-32B-GGUF"
    assert not any(folder.glob("*.part"))


def test_a_download_goes_on_while_chatting_with_another_model(
    qtbot: QtBot,
    store: ConversationStore,
    hub: FakeHub,
    answers: list[str],
    scripted: object,
    qwq_model: ScriptedModel,
    tmp_path: Path,
) -> None:
    mine = tmp_path / "mine.gguf"
    shutil.copy(qwq_model.path, mine)
    window = download_slowly(qtbot, store, hub, 600_000)  # ~4 s for the file

    window.models.open_gguf(str(mine))
    qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    ask(qtbot, window, "What is 2+2?")
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    assert assistant_widgets(window)[-1].answer.markdown == QWQ_ANSWER
    assert window.models.downloads.active  # still downloading, shown in the status bar
    qtbot.waitUntil(lambda: window.notices.text("download").startswith("↓ Q4_K_M"), timeout=5_000)

    qtbot.waitUntil(lambda: not window.models.downloads.active, timeout=60_000)
    assert window.notices.text("download") == f"Downloaded {Q4}"
    assert window.engine is not None and window.engine.info.path == mine.resolve()


def test_the_list_shows_the_download_running_when_the_page_shows_again(
    qtbot: QtBot, store: ConversationStore, hub: FakeHub
) -> None:
    """The page read the machine again (the library's "Download QwQ-32B…") while a
    download ran: its list showed the recommended quant, not the file coming in."""
    window = open_window(qtbot, store, None)
    setup_ready(qtbot, window)
    page = window.first_run
    page.quant.setCurrentIndex(page.quant.count() - 1)  # "Another GGUF on the Hub…"
    page.repo.setText(OFFICIAL)
    page.file.setText(Q4)
    hub.bytes_per_second = 300_000
    page.download_button.click()
    qtbot.waitUntil(lambda: page.bar.value() > 0, timeout=30_000)
    shown = page.view
    window.show_model_setup()  # the page is read again
    qtbot.waitUntil(lambda: page.view is not shown, timeout=30_000)
    assert window.models.downloads.active
    assert page.quant.currentData() == "" and page.repo.isVisibleTo(page)
    assert (page.repo.text(), page.file.text()) == (OFFICIAL, Q4)
    hub.bytes_per_second = None
    qtbot.waitUntil(lambda: window.session is not None, timeout=60_000)


def drop(window: MainWindow, path: Path) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)


def test_drop_a_gguf_it_is_checked_loaded_and_remembered(
    qtbot: QtBot, store: ConversationStore, qwq_model: ScriptedModel, tmp_path: Path
) -> None:
    window = open_window(qtbot, store, None)
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF but not really")
    drop(window, bad)
    qtbot.waitUntil(lambda: "Could not load" in window.notices.text(), timeout=10_000)
    assert window.session is None

    good = tmp_path / "dropped.gguf"
    shutil.copy(qwq_model.path, good)
    drop(window, good)
    qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    assert AppSettings.load().models == [str(good.resolve())]


def test_the_library_sets_the_default_shows_deletes_and_forgets(
    qtbot: QtBot,
    store: ConversationStore,
    qwq_model: ScriptedModel,
    tmp_path: Path,
    answers: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = AppPaths.current().ensure().models / "Qwen" / "QwQ-32B-GGUF"
    folder.mkdir(parents=True)
    downloaded = folder / Q4
    shutil.copy(qwq_model.path, downloaded)
    outside = tmp_path / "elsewhere.gguf"
    shutil.copy(qwq_model.path, outside)
    settings = AppSettings(models=[str(outside)])
    settings.save()
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))

    window = open_window(qtbot, store, None)
    window.models.open_library()
    dialog = window.models.library_dialog
    assert isinstance(dialog, ModelLibrary)
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.loads == 1)  # read on a worker

    def reread(action: Callable[[], None]) -> None:
        before = dialog.loads
        action()
        qtbot.waitUntil(lambda: dialog.loads > before)

    names = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert len(names) == 2

    dialog.select_path(str(downloaded))
    reread(dialog.default_button.click)
    assert AppSettings.load().last_model == str(downloaded)
    assert dialog.table.item(dialog.table.currentRow(), 0).text().startswith("★")
    dialog.show_button.click()
    assert opened == [str(folder)]

    dialog.select_path(str(downloaded))
    assert dialog.delete_button.text() == "Delete…"
    reread(dialog.delete_button.click)
    assert "Delete qwq-32b-q4_k_m.gguf" in answers[-1]
    assert not downloaded.exists()
    assert AppSettings.load().last_model == ""

    dialog.select_path(str(outside))
    assert dialog.delete_button.text() == "Forget"
    reread(dialog.delete_button.click)
    assert outside.exists() and AppSettings.load().models == []
    assert dialog.table.rowCount() == 0
    dialog.load_button.setEnabled(True)
    dialog.close()
