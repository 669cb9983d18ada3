"""A conversation on a remote endpoint, from the window: the dialog, the reply with its
reasoning, which backend answered, errors kept with the partial text, and the key only in
the system keyring."""

from __future__ import annotations

import time

import keyring
import pytest
from pytestqt.qtbot import QtBot

from app.core.paths import AppPaths
from app.core.settings import AppSettings
from app.store.conversations import ConversationStore
from app.store.export import export_json
from app.ui.main_window import MainWindow
from app.ui.remote_dialog import RemoteDialog
from tests.fixtures.fake_upstream import ANSWER, REASONING, FakeUpstream, fake_upstream  # noqa: F401
from tests.fixtures.memory_keyring import MemoryKeyring
from tests.ui.test_main_window import ask, assistant_widgets, open_window


def connect(qtbot: QtBot, window: MainWindow, upstream: FakeUpstream, key: str) -> RemoteDialog:
    window.models.use_remote()
    dialog = window.models.remote_dialog
    qtbot.waitExposed(dialog)
    dialog.preset.setCurrentIndex(dialog.preset.findData("custom"))
    dialog.base_url.setText(upstream.url)
    dialog.model.setText("qwq-32b")
    dialog.key.setText(key)
    dialog.accept()
    return dialog


def test_a_remote_reply_shows_its_reasoning_and_who_answered(
    qtbot: QtBot,
    store: ConversationStore,
    fake_upstream: FakeUpstream,  # noqa: F811
    memory_keyring: MemoryKeyring,
) -> None:
    window = open_window(qtbot, store, None)
    connect(qtbot, window, fake_upstream, "sk-good")
    assert window.session is not None
    ask(qtbot, window, "What is 2+2?")
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    reply = assistant_widgets(window)[-1]
    assert reply.answer.markdown == ANSWER
    assert reply.reasoning.text == REASONING
    assert "qwq-32b" in reply.model_label.text()  # which backend answered this message
    [stored] = [m for m in store.messages(window.conversation_id or 0) if m.role == "assistant"]
    assert stored.model.startswith("qwq-32b") and stored.reasoning == REASONING

    # The key is in the keyring, and nowhere in our files.
    assert "sk-good" in memory_keyring.secrets.values()
    assert AppSettings.load().remote["model"] == "qwq-32b"
    settings_file = AppSettings.path(AppPaths.current()).read_text()
    database = b"".join(p.read_bytes() for p in store.path.parent.glob("conversations.sqlite3*"))
    exported = export_json(store, store.conversations())
    assert "sk-good" not in settings_file and b"sk-good" not in database
    assert "sk-good" not in exported

    # Next time the dialog offers the saved key again.
    window.models.use_remote()
    assert window.models.remote_dialog.key.text() == "sk-good"
    window.models.remote_dialog.reject()


def test_a_refused_key_is_said_and_nothing_is_lost(
    qtbot: QtBot,
    store: ConversationStore,
    fake_upstream: FakeUpstream,  # noqa: F811
    memory_keyring: MemoryKeyring,
) -> None:
    window = open_window(qtbot, store, None)
    connect(qtbot, window, fake_upstream, "sk-wrong")
    ask(qtbot, window, "What is 2+2?")
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    footer = assistant_widgets(window)[-1].footer.text()
    assert footer.startswith("Failed: ") and "401" in footer
    assert window.composer.editor.toPlainText() == ""  # the question was sent and is stored
    assert next(m.content for m in store.messages(window.conversation_id or 0)) == "What is 2+2?"


def test_without_a_keyring_the_key_is_kept_for_the_session_and_the_user_told(
    qtbot: QtBot,
    store: ConversationStore,
    fake_upstream: FakeUpstream,  # noqa: F811
) -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        window = open_window(qtbot, store, None)
        connect(qtbot, window, fake_upstream, "sk-good")
        assert "kept for this session only" in window.notices.text()
        assert "sk-good" not in AppSettings.path(AppPaths.current()).read_text()
        ask(qtbot, window, "What is 2+2?")
        qtbot.waitUntil(lambda: not window.live, timeout=30_000)
        assert assistant_widgets(window)[-1].answer.markdown == ANSWER
    finally:
        keyring.set_keyring(previous)


def test_stop_a_remote_reply_keeps_what_arrived(
    qtbot: QtBot,
    store: ConversationStore,
    fake_upstream: FakeUpstream,  # noqa: F811
    memory_keyring: MemoryKeyring,
) -> None:
    fake_upstream.reasoning = ["Let me think."] + [" Still thinking."] * 200
    fake_upstream.chunk_delay = 0.05  # ~10 s of reasoning
    window = open_window(qtbot, store, None)
    connect(qtbot, window, fake_upstream, "sk-good")
    ask(qtbot, window, "What is 2+2?")
    reply = assistant_widgets(window)[-1]
    qtbot.waitUntil(lambda: "Still thinking." in reply.reasoning.text, timeout=10_000)
    started = time.monotonic()
    window.replies.stop()
    qtbot.waitUntil(lambda: not window.live, timeout=10_000)
    assert time.monotonic() - started < 2
    reply = assistant_widgets(window)[-1]  # the view is rebuilt from the store when it ends
    assert reply.footer.text().startswith("Stopped by you.")
    [stored] = [m for m in store.messages(window.conversation_id or 0) if m.role == "assistant"]
    assert stored.reasoning.startswith("Let me think. Still thinking.")
    assert stored.finish_reason == "cancelled"


def test_the_dialog_offers_the_same_key_as_the_command_line(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    """One lookup order (core/keys.remote_key): a variable set for this run wins over a key
    kept from before, and QWQ_REMOTE_API_KEY works in the window as on the command line."""
    url = "http://127.0.0.1:9/v1"
    keyring.set_password("qwq-desktop", url, "sk-kept")
    monkeypatch.delenv("VLLM_API_KEY", raising=False)
    monkeypatch.setenv("QWQ_REMOTE_API_KEY", "sk-general")
    dialog = RemoteDialog({"preset": "vllm", "base_url": url, "model": "qwq"})
    qtbot.addWidget(dialog)
    assert dialog.key.text() == "sk-general"
    assert "QWQ_REMOTE_API_KEY" in dialog.notes.text()

    monkeypatch.setenv("VLLM_API_KEY", "sk-vllm")
    dialog = RemoteDialog({"preset": "vllm", "base_url": url, "model": "qwq"})
    qtbot.addWidget(dialog)
    assert dialog.key.text() == "sk-vllm"
