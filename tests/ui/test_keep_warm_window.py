"""Issue 13 in the window: every follow-up starts at once, after a switch or a restart.

The real window, on real llama.cpp with a scripted QwQ (its real chat template): the
stats stored with each reply say how much of its prompt was processed again.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from app.core.paths import AppPaths
from app.core.settings import DEFAULT_SNAPSHOT_BUDGET_GB, AppSettings
from app.engine.kv_snapshots import SPEEDS
from app.store.conversations import ConversationStore, StoredMessage
from app.ui.main_window import MainWindow
from app.ui.settings_dialog import SettingsDialog
from tests.fixtures.models import QWQ_SCRIPT, ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel

# A long first question: re-reading the conversation costs hundreds of tokens (the
# scripted model's tokens are bytes), a warm follow-up only its own few.
FIRST = "Here is a long question about sums of odd numbers. " * 8
FOLLOW_UP = "And then?"
THINKS_ON = [f" step {i}." for i in range(40)]
# What a warm follow-up processes besides its own text (a byte a token): the template's
# "<|im_end|>", "\n", "<|im_start|>", "assistant\n" (10), "<think>", "\n".
TEMPLATE_TOKENS = 15
# After a reply cut short, the cache holds its trace; the history has the turn without it:
# that turn's end and the next one's start ("<|im_end|>", "\n", "<|im_start|>", "user\n").
CUT_SHORT_TURN_TOKENS = 8


@pytest.fixture
def model(scripted: ScriptFactory) -> ScriptedModel:
    return scripted(QWQ_SCRIPT)


def snapshots_folder() -> Path:
    return AppPaths.current().cache / "kv"


def snapshot_bytes() -> int:
    """The conversations' snapshots on disk (not the speeds measured, kept beside them)."""
    folder = snapshots_folder()
    files = [p for p in folder.iterdir() if p.name != SPEEDS] if folder.exists() else []
    return sum(p.stat().st_size for p in files)


def open_window(qtbot: QtBot, store: ConversationStore, model: ScriptedModel) -> MainWindow:
    window = MainWindow(store, str(model.path))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    return window


def settle(qtbot: QtBot, window: MainWindow) -> None:
    """The reply is done and the window's idle work (re-warm, save, restore) too."""
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    qtbot.waitUntil(lambda: window.warm is not None and window.warm.idle, timeout=30_000)


def send(qtbot: QtBot, window: MainWindow, text: str) -> StoredMessage:
    """Send ``text`` in the conversation on screen; the reply as stored."""
    window.composer.editor.setPlainText(text)
    window.send()
    settle(qtbot, window)
    assert window.conversation_id is not None
    reply = window.store.branch(window.conversation_id)[-1]
    assert reply.role == "assistant" and reply.content.startswith("The answer is")
    return reply


def stopped_reply(qtbot: QtBot, window: MainWindow, text: str) -> StoredMessage:
    """Send ``text`` to a model that thinks on, and stop it; the reply as stored."""
    window.composer.editor.setPlainText(text)
    window.send()
    qtbot.waitUntil(lambda: any(live.widget.reasoning.tokens > 20 for live in window.live.values()))
    window.replies.stop()
    settle(qtbot, window)
    return window.store.branch(window.conversation_id or 0)[-1]


def processed(reply: StoredMessage) -> int:
    return int(reply.stats["prompt_tokens_processed"])


def test_a_follow_up_after_switching_away_and_back_processes_only_the_new_message(
    qtbot: QtBot, store: ConversationStore, model: ScriptedModel
) -> None:
    window = open_window(qtbot, store, model)
    first = send(qtbot, window, FIRST)
    assert processed(first) > len(FIRST)  # a new conversation is read whole, once
    a = window.conversation_id
    assert a is not None
    window.new_chat()  # leaving A saves it; B's reply then fills the cache with B
    send(qtbot, window, "Something else entirely, and long enough to matter. " * 4)
    window.open_conversation(a)  # A's snapshot is restored while the user reads
    assert window.notices.text("warm") == "Restoring conversation…"
    settle(qtbot, window)
    assert window.notices.text("warm") == "Warm"
    follow_up = send(qtbot, window, FOLLOW_UP)
    # Before: the whole conversation (its question and answer) was processed again.
    assert processed(follow_up) == len(FOLLOW_UP) + TEMPLATE_TOKENS
    assert int(follow_up.stats["prompt_tokens_cached"]) > len(FIRST)


def test_a_send_while_the_conversation_is_being_restored_waits_for_it(
    qtbot: QtBot, store: ConversationStore, model: ScriptedModel
) -> None:
    window = open_window(qtbot, store, model)
    send(qtbot, window, FIRST)
    a = window.conversation_id
    assert a is not None
    window.new_chat()
    send(qtbot, window, "Another conversation fills the cache. " * 4)
    window.open_conversation(a)
    follow_up = send(qtbot, window, FOLLOW_UP)  # at once, while A is restored
    assert processed(follow_up) == len(FOLLOW_UP) + TEMPLATE_TOKENS


def test_after_a_restart_the_follow_up_is_warm(
    qtbot: QtBot, store: ConversationStore, model: ScriptedModel
) -> None:
    window = open_window(qtbot, store, model)
    send(qtbot, window, FIRST)
    a = window.conversation_id
    assert a is not None
    window.close()  # a quit saves the conversation on screen (its snapshot stays)
    assert snapshot_bytes() > 0
    again = open_window(qtbot, store, model)  # a new window, a new engine
    again.open_conversation(a)
    settle(qtbot, again)
    follow_up = send(qtbot, again, FOLLOW_UP)
    assert processed(follow_up) == len(FOLLOW_UP) + TEMPLATE_TOKENS


def test_quitting_right_after_a_stopped_reply_keeps_the_conversation_warm(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted(THINKS_ON, loop=True)
    window = open_window(qtbot, store, model)
    stopped_reply(qtbot, window, FIRST)  # cut short: not re-warmed, not saved yet
    a = window.conversation_id
    assert a is not None
    window.close()  # the quit saves it
    assert snapshot_bytes() > 0
    again = open_window(qtbot, store, model)
    again.open_conversation(a)
    settle(qtbot, again)
    follow_up = stopped_reply(qtbot, again, FOLLOW_UP)
    assert processed(follow_up) == CUT_SHORT_TURN_TOKENS + len(FOLLOW_UP) + TEMPLATE_TOKENS


def long_answer(parts: int) -> str:
    return "".join(f"part {i} of a long answer; " for i in range(parts))


def re_warming_a_long_answer(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory, parts: int
) -> MainWindow:
    """A window whose reply just ended with a long answer, now being re-warmed: seconds
    here (the scripted model writes the answer as one token, its history holds thousands)."""
    model = scripted([*QWQ_SCRIPT[:4], long_answer(parts)])
    window = open_window(qtbot, store, model)
    window.composer.editor.setPlainText("Go.")
    window.send()
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    assert window.warm is not None and window.warm.pending("after_reply")  # re-warming now
    return window


def test_a_follow_up_right_after_a_reply_is_not_held_up_by_the_re_warm(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = re_warming_a_long_answer(qtbot, store, scripted, 150)
    ticks: list[float] = []
    timer = QTimer(window)
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    window.composer.editor.setPlainText(FOLLOW_UP)
    sent = time.monotonic()
    window.send()  # the reply's worker starts it: the engine cancels the re-warm
    assert time.monotonic() - sent < 0.5  # the window never waits for the engine's lock
    assert window.live  # the reply is on its way
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    timer.stop()
    gaps = [b - a for a, b in itertools.pairwise([sent, *ticks])]
    assert max(gaps) < 1.0  # the window kept drawing while the reply waited for the engine
    branch = window.store.branch(window.conversation_id or 0)
    assert [m.role for m in branch] == ["user", "assistant"] * 2  # it answered
    assert branch[-1].content == long_answer(150)
    stats = branch[-1].stats
    assert (
        stats["prompt_tokens_cached"] + stats["prompt_tokens_processed"] == stats["prompt_tokens"]
    )
    settle(qtbot, window)


def test_deleting_a_conversation_deletes_its_snapshot(
    qtbot: QtBot, store: ConversationStore, model: ScriptedModel
) -> None:
    window = open_window(qtbot, store, model)
    send(qtbot, window, FIRST)
    a = window.conversation_id
    assert a is not None
    window.new_chat()
    settle(qtbot, window)
    assert snapshot_bytes() > 0
    with qtbot.waitSignal(window.conversation_list.deleted, timeout=10_000):
        window.delete_conversation(a)  # (the delete runs on a worker)
    settle(qtbot, window)
    assert snapshot_bytes() == 0


def test_the_budget_setting_is_kept_and_zero_turns_snapshots_off(
    qtbot: QtBot, store: ConversationStore, model: ScriptedModel
) -> None:
    assert AppSettings().snapshot_budget_gb == DEFAULT_SNAPSHOT_BUDGET_GB == 16
    path = AppSettings.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    for junk in ("lots", -3, True, None, float("nan")):
        path.write_text(json.dumps({"snapshot_budget_gb": junk}), encoding="utf-8")
        assert AppSettings.load().snapshot_budget_gb == DEFAULT_SNAPSHOT_BUDGET_GB
    AppSettings(snapshot_budget_gb=0).save()
    assert AppSettings.load().snapshot_budget_gb == 0
    window = open_window(qtbot, store, model)
    first = send(qtbot, window, FIRST)
    window.new_chat()
    settle(qtbot, window)
    assert snapshot_bytes() == 0  # off: nothing written
    # The cache is still re-warmed in memory: a follow-up in the same conversation is warm.
    window.open_conversation(first.conversation_id)
    settle(qtbot, window)
    assert processed(send(qtbot, window, FOLLOW_UP)) == len(FOLLOW_UP) + TEMPLATE_TOKENS


def test_settings_show_the_space_used_and_clear_it(
    qtbot: QtBot, store: ConversationStore, model: ScriptedModel
) -> None:
    window = open_window(qtbot, store, model)
    send(qtbot, window, FIRST)
    window.new_chat()
    settle(qtbot, window)
    used = snapshot_bytes()
    assert used > 0
    dialog = SettingsDialog(
        window.settings, window, busy=lambda: bool(window.live), snapshots=window.models.snapshots()
    )
    qtbot.addWidget(dialog)
    assert dialog.snapshot_budget.value() == DEFAULT_SNAPSHOT_BUDGET_GB
    assert dialog.snapshot_used.text().endswith(" used") and dialog.snapshot_used.text() != (
        "0 B used"
    )
    assert dialog.snapshot_clear.isEnabled()
    dialog.snapshot_clear.click()
    assert snapshot_bytes() == 0
    assert window.models.snapshots().usage() == 0  # the speeds measured are kept, and not counted
    assert dialog.snapshot_used.text() == "0 B used"
    assert not dialog.snapshot_clear.isEnabled()  # nothing left to clear
    dialog.snapshot_budget.setValue(2.5)
    window.settings_control.apply(dialog.result_settings())
    assert AppSettings.load().snapshot_budget_gb == 2.5
    assert window.warm is not None and window.warm.keep_warm.snapshots is not None
    assert window.warm.keep_warm.snapshots.budget_bytes == int(2.5 * 2**30)


def test_clear_is_refused_while_a_reply_runs(
    qtbot: QtBot, store: ConversationStore, model: ScriptedModel
) -> None:
    window = open_window(qtbot, store, model)
    send(qtbot, window, FIRST)
    window.new_chat()
    settle(qtbot, window)
    dialog = SettingsDialog(
        window.settings, window, busy=lambda: True, snapshots=window.models.snapshots()
    )
    qtbot.addWidget(dialog)
    assert not dialog.snapshot_clear.isEnabled()
    assert "reply" in dialog.snapshot_clear.toolTip()
    dialog.clear_snapshots()
    assert snapshot_bytes() > 0 and "Not cleared" in dialog.snapshot_used.text()


def test_loading_a_model_again_keeps_the_conversation_on_screen_warm(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted(THINKS_ON, loop=True)  # thinks until stopped
    window = open_window(qtbot, store, model)
    stopped_reply(qtbot, window, FIRST)  # cut short: kept in the cache as it is (Continue uses it)
    old = window.engine
    window.models.load_model(str(model.path))  # the old engine's conversation is saved first
    qtbot.waitUntil(lambda: window.engine is not old and window.warm is not None, timeout=30_000)
    settle(qtbot, window)
    assert snapshot_bytes() > 0
    assert window.notices.text("warm") == "Warm"  # restored into the new engine
    follow_up = stopped_reply(qtbot, window, FOLLOW_UP)
    assert processed(follow_up) == CUT_SHORT_TURN_TOKENS + len(FOLLOW_UP) + TEMPLATE_TOKENS


def test_a_quit_during_a_long_re_warm_is_quick_and_keeps_a_snapshot(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = re_warming_a_long_answer(qtbot, store, scripted, 400)
    started = time.monotonic()
    window.close()  # the re-warm is cut short, and the cache saved as it is
    assert time.monotonic() - started < 3
    assert snapshot_bytes() > 0
