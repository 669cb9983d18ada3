"""The window's thinking controls, driven on real llama.cpp with scripted models: a budget
per conversation (tokens, time) with a default in Settings, Answer now, the reasoning
header that tells how the thinking ended, the parts the app inserted, and the loop
guard's note with the model card's remedy."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from app.core.settings import AppSettings
from app.core.thinking import InsertedSpan, Inserter
from app.store.conversations import ConversationStore
from app.ui.chat_view import AssistantMessage
from app.ui.composer import ANSWER_NOW_KEYS
from app.ui.main_window import MainWindow
from app.ui.reasoning_block import ReasoningBlock, split_inserted
from app.ui.settings_dialog import SettingsDialog
from app.ui.thinking_budget import BudgetPicker
from tests.fixtures.fake_upstream import FakeUpstream
from tests.fixtures.models import QWQ_SCRIPT, ScriptFactory
from tests.fixtures.reasoning_traces import long_thoughts
from tests.ui.test_main_window import ask, assistant_widgets, open_window
from tests.ui.test_remote import connect

ANSWER = "The answer is **42**."
WRAP_UP_END = "based on the thinking directly now."


def choose(combo: object, data: object) -> None:
    from PySide6.QtWidgets import QComboBox

    assert isinstance(combo, QComboBox)
    index = combo.findData(data)
    assert index >= 0, f"{data!r} is not offered"
    combo.setCurrentIndex(index)  # what a click on the entry does


def last_reply(window: MainWindow) -> AssistantMessage:
    return assistant_widgets(window)[-1]


def test_a_1k_budget_answers_after_about_1k_thinking_tokens(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    thoughts = long_thoughts(1_100)  # the model would think 1,100 tokens, then stop unanswered
    model = scripted(thoughts, after_blank_line=[ANSWER])
    AppSettings(context_length=4096).save()
    window = open_window(qtbot, store, model.path)
    assert window.composer.budget.tokens.currentText() == "Thinking: no limit"
    choose(window.composer.budget.tokens, 1024)
    ask(qtbot, window, "What is the answer?")
    qtbot.waitUntil(lambda: not window.live, timeout=60_000)

    reply = last_reply(window)
    assert reply.answer.markdown == ANSWER
    header = reply.reasoning.header.text()
    assert header.startswith("Thought for ") and header.endswith(" · budget reached")
    (c,) = store.conversations()
    saved = store.branch(c.id)[1]
    assert saved.content == ANSWER and saved.reasoning.endswith(WRAP_UP_END)
    assert thoughts[1023].strip() in saved.reasoning  # 1,024 tokens of its own thinking
    assert thoughts[1024].strip() not in saved.reasoning  # and not one more
    # The wrap-up is shown as the app's, marked, after the model's thinking.
    reply.reasoning.header.click()
    qtbot.waitUntil(lambda: not reply.reasoning.body.filling)  # 77 KB: a slice per turn
    ((inserted, by),) = reply.reasoning.inserted
    assert by == "app" and inserted.strip().startswith("Considering the limited time")
    shown = reply.reasoning.body.toPlainText()
    assert "[inserted by QwQ Desktop] Considering the limited time" in shown
    assert reply.reasoning.text == saved.reasoning  # the label is on screen only


def test_the_budget_is_kept_per_conversation_and_new_chats_start_from_the_default(
    qtbot: QtBot, tmp_path: Path, scripted: ScriptFactory
) -> None:
    AppSettings(thinking_budget_tokens=2048).save()  # Settings: new chats think 2K at most
    model = scripted(QWQ_SCRIPT)
    with ConversationStore(tmp_path / "data") as store:
        window = open_window(qtbot, store, model.path)
        assert window.composer.budget.value() == (2048, None)
        ask(qtbot, window, "first")  # sent with the default
        qtbot.waitUntil(lambda: not window.live, timeout=30_000)
        first = window.conversation_id
        assert first is not None
        window.new_chat()
        choose(window.composer.budget.tokens, 4096)  # chosen before the chat exists
        choose(window.composer.budget.seconds, 120.0)
        ask(qtbot, window, "second")
        qtbot.waitUntil(lambda: not window.live, timeout=30_000)
        second = window.conversation_id
        window.new_chat()
        assert window.composer.budget.value() == (2048, None)  # a new chat: the default again
        window.open_conversation(first)
        assert window.composer.budget.value() == (2048, None)
        choose(window.composer.budget.tokens, None)  # this conversation: no limit from now on
        assert second is not None
        window.open_conversation(second)
        assert window.composer.budget.value() == (4096, 120.0)
        assert window.composer.budget.seconds.currentText() == "Time: 2 min"
        window.close()
    with ConversationStore(tmp_path / "data") as store:  # and after a restart
        window = open_window(qtbot, store, None)
        window.open_conversation(second)
        assert window.composer.budget.value() == (4096, 120.0)
        window.open_conversation(first)
        assert window.composer.budget.value() == (None, None)
        window.close()


def test_a_time_limit_from_settings_closes_the_trace(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted(
        [f" idea {i}." for i in range(40)], loop=True, after_blank_line=["So it is", " 4."]
    )
    # The script repeats itself: only the time limit may end its thinking.
    AppSettings(thinking_budget_seconds=1.0, loop_guard="off", context_length=131072).save()
    window = open_window(qtbot, store, model.path)
    assert window.composer.budget.seconds.currentText() == "Time: 1 s"
    ask(qtbot, window, "q")
    qtbot.waitUntil(lambda: not window.live, timeout=60_000)
    reply = last_reply(window)
    assert reply.answer.markdown == "So it is 4."
    assert reply.reasoning.header.text().endswith(" · time limit reached")


def test_answer_now_closes_the_trace_and_answers_from_it(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted(
        [f" step {i}." for i in range(40)], loop=True, after_blank_line=["So it is", " 4."]
    )
    AppSettings(loop_guard="off").save()  # it would think forever: only the user ends it
    window = open_window(qtbot, store, model.path)
    assert not window.composer.answer_button.isVisible()
    ask(qtbot, window, "think forever")
    qtbot.waitUntil(lambda: bool(window.live) and window.composer.answer_button.isEnabled())
    button = window.composer.answer_button
    assert button.isVisible() and window.composer.stop_button.isVisible()  # beside Stop
    assert button.accessibleName() == "Answer now" and ANSWER_NOW_KEYS in button.toolTip()
    reply = last_reply(window)
    qtbot.waitUntil(lambda: reply.reasoning.tokens > 30)
    # The shortcut, from the composer (where the user's hands are).
    window.composer.setFocus()
    qtbot.keyClick(
        window.composer.editor,
        Qt.Key.Key_A,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert not button.isEnabled()  # asked once; the trace is closing
    assert window.composer.editor.toPlainText() == ""  # the keys typed nothing
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    reply = last_reply(window)
    assert reply.answer.markdown == "So it is 4."
    assert reply.reasoning.header.text().endswith(" · you asked for the answer")
    (c,) = store.conversations()
    saved = store.branch(c.id)[1]
    assert saved.finish_reason == "stop" and saved.reasoning.endswith(WRAP_UP_END)
    assert not window.composer.answer_button.isVisible()


def test_answer_now_only_while_it_thinks(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    # A model that does not think (no trace): nothing to answer now from.
    model = scripted([f" word {i}" for i in range(40)], loop=True, template=None)
    AppSettings(loop_guard="off").save()
    window = open_window(qtbot, store, model.path)
    ask(qtbot, window, "talk")
    qtbot.waitUntil(lambda: bool(window.live) and last_reply(window).answer.markdown != "")
    assert (
        window.composer.answer_button.isVisible() and not window.composer.answer_button.isEnabled()
    )
    window.replies.answer_now()  # the shortcut does nothing either
    window.replies.stop()
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)


def test_a_loop_caught_says_so_and_offers_the_model_cards_remedy(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted(
        ["Wait, let me recompute the sum of the two numbers once more from the start."],
        loop=True,
        after_blank_line=["The sum is **5**."],
    )
    window = open_window(qtbot, store, model.path)  # the default: answer from the thinking
    ask(qtbot, window, "What is 2+3?")
    qtbot.waitUntil(lambda: not window.live, timeout=60_000)
    reply = last_reply(window)
    assert reply.reasoning.header.text().endswith(" · loop caught")
    assert reply.answer.markdown == "The sum is **5**."
    (c,) = store.conversations()
    saved = store.branch(c.id)[1]
    assert (saved.finish_reason, saved.reasoning_ended_by) == ("stop", "loop")
    assert saved.reasoning.endswith("based on the thinking directly now.")
    assert reply.loop_row.isVisible() and "went round in circles" in reply.loop_note.text()
    assert reply.remedy_button.text() == "Regenerate with presence penalty 1.5"
    reply.remedy_button.click()  # one click: the remedy, and the reply written again
    qtbot.waitUntil(lambda: not window.live, timeout=60_000)
    assert store.get(c.id).sampling["presence_penalty"] == 1.5
    answers = [m for m in store.messages(c.id) if m.role == "assistant"]
    assert len(answers) == 2  # a new answer beside the old one
    assert last_reply(window).siblings.position.text() == "2/2"


def test_an_answer_stopped_for_repeating_itself_says_so(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted(
        ["Wait, let me recompute the sum of the two numbers once more from the start."],
        loop=True,
    )
    AppSettings(loop_guard="stop").save()
    window = open_window(qtbot, store, model.path)
    ask(qtbot, window, "What is 2+3?")
    qtbot.waitUntil(lambda: not window.live, timeout=60_000)
    reply = last_reply(window)
    (c,) = store.conversations()
    assert store.branch(c.id)[1].finish_reason == "repetition"
    assert "Stopped: it repeated itself." in reply.footer.text()
    assert reply.loop_row.isVisible() and "over and over" in reply.loop_note.text()
    assert reply.remedy_button.isVisible()


def test_a_reply_the_model_closed_itself_has_nothing_extra(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(QWQ_SCRIPT).path)
    choose(window.composer.budget.tokens, 1024)  # a budget it never reaches
    ask(qtbot, window, "2+2?")
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    reply = last_reply(window)
    header = reply.reasoning.header.text()
    assert header.startswith("Thought for ") and header.endswith(" · 4 tokens")
    assert reply.reasoning.inserted == [] and not reply.loop_row.isVisible()


# -- the pieces, on their own ----------------------------------------------------------


@pytest.mark.parametrize(
    ("ended_by", "ending"),
    [
        ("budget", " · budget reached"),
        ("time", " · time limit reached"),
        ("loop", " · loop caught"),
        ("user", " · you asked for the answer"),
        ("model", ""),  # the model closed it: nothing to say
        (None, ""),
    ],
)
def test_the_header_tells_how_the_thinking_ended(
    qtbot: QtBot, ended_by: str | None, ending: str
) -> None:
    block = ReasoningBlock()
    qtbot.addWidget(block)
    block.set_stored("thoughts", tokens=1024, seconds=120, finished=True, ended_by=ended_by)  # type: ignore[arg-type]
    assert block.header.text() == "Thought for 2 min 0 s · 1,024 tokens" + ending


def test_inserted_parts_are_marked_and_the_text_stays_whole(qtbot: QtBot) -> None:
    own, wrap, hint, more = "I think.", "\n\nConsidering time.", "\n\nUse a formula.", "\n\nSo."
    trace = own + wrap + hint + more
    spans = [
        InsertedSpan(len(own), len(own + wrap), "app"),
        InsertedSpan(len(own + wrap), len(own + wrap + hint), "user"),
    ]
    block = ReasoningBlock()
    qtbot.addWidget(block)
    block.set_stored(trace, tokens=9, seconds=3, finished=True, inserted=spans)
    assert block.text == trace  # Copy, the side panel, search: the trace as stored
    assert block.body.toPlainText() == ""  # rendered only when opened
    block.header.click()
    shown = block.body.toPlainText()
    assert shown == (
        "I think.\n\n[inserted by QwQ Desktop] Considering time.\n\n[your hint] Use a formula."
        "\n\nSo."
    )
    cursor = QTextCursor(block.body.document())
    cursor.setPosition(shown.index("Considering") + 1)
    assert not cursor.charFormat().fontItalic()  # the app's words: upright, muted
    inserted_colour = cursor.charFormat().foreground().color()
    cursor.setPosition(shown.index("So.") + 1)
    assert cursor.charFormat().foreground().color() != inserted_colour  # the model's own


def test_inserted_parts_streamed_token_by_token_get_one_label(qtbot: QtBot) -> None:
    block = ReasoningBlock()
    qtbot.addWidget(block)
    block.start()
    block.append("step one.", 1, 0.1)
    for i, piece in enumerate(["\n", "\n", "Consider", "ing", " now."]):
        block.append(piece, 2 + i, 0.2, inserted="app")
    assert block.body.toPlainText() == "step one.\n\n[inserted by QwQ Desktop] Considering now."
    assert block.inserted == [("\n\nConsidering now.", "app")]


def test_split_inserted_leaves_bad_spans_unmarked() -> None:
    spans = [InsertedSpan(2, 4, "app"), InsertedSpan(3, 50, "user"), InsertedSpan(9, 9, "app")]
    assert split_inserted("abcdefgh", spans) == [
        ("ab", None),
        ("cd", "app"),
        ("efgh", "user"),
    ]


@settings(max_examples=150, deadline=2_000, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(alphabet="ab \n", max_size=40),
    cuts=st.lists(
        st.tuples(st.integers(-5, 50), st.integers(-5, 50), st.sampled_from(["app", "user"])),
        max_size=4,
    ),
)
def test_any_spans_leave_the_trace_whole_and_mark_only_what_they_cover(
    qapp: object, text: str, cuts: list[tuple[int, int, Inserter]]
) -> None:
    """Whatever spans a store holds (damaged, overlapping, out of range), the trace shown
    is the trace stored, and a part is marked only where a span covers it."""
    spans = [InsertedSpan(a, b, by) for a, b, by in cuts]
    parts = split_inserted(text, spans)
    assert "".join(p for p, _ in parts) == text
    at = 0
    for part, by in parts:
        if by is not None:
            assert part and any(
                s.by == by and s.start <= at and at + len(part) <= s.end for s in spans
            )
        at += len(part)
    block = ReasoningBlock()  # and on screen: the trace, with labels only added
    block.set_stored(text, tokens=1, seconds=1, finished=True, inserted=spans)
    block.header.click()
    shown = block.body.toPlainText()
    for label in ("[inserted by QwQ Desktop] ", "[your hint] "):
        shown = shown.replace(label, "")
    assert shown == text
    block.deleteLater()


def test_the_budget_picker_offers_custom_numbers(qtbot: QtBot) -> None:
    picker = BudgetPicker()
    qtbot.addWidget(picker)
    picked: list[tuple[int | None, float | None]] = []
    picker.changed.connect(lambda: picked.append(picker.value()))
    offered = [picker.tokens.itemText(i) for i in range(picker.tokens.count())]
    assert offered == [
        "Thinking: no limit",
        "Thinking: 1K tokens",
        "Thinking: 2K tokens",
        "Thinking: 4K tokens",
        "Thinking: 8K tokens",
        "Thinking: 16K tokens",
        "Custom…",
    ]
    times = [picker.seconds.itemText(i) for i in range(picker.seconds.count())]
    assert times == [
        "Time: no limit",
        "Time: 1 min",
        "Time: 2 min",
        "Time: 5 min",
        "Time: 10 min",
        "Custom…",
    ]
    choose(picker.tokens, "custom")
    dialog = picker.custom_dialog
    assert dialog is not None
    dialog.setIntValue(3000)
    dialog.accept()
    assert picker.value() == (3000, None) and picked == [(3000, None)]
    assert picker.tokens.currentText() == "Thinking: 3,000 tokens"
    choose(picker.seconds, "custom")
    dialog = picker.custom_dialog
    assert dialog is not None
    dialog.setDoubleValue(1.5)
    dialog.accept()
    assert picker.value() == (3000, 90.0) and picker.seconds.currentText() == "Time: 1.5 min"
    choose(picker.tokens, "custom")
    dialog = picker.custom_dialog
    assert dialog is not None
    dialog.reject()  # changed their mind: as it was
    assert (
        picker.value() == (3000, 90.0) and picker.tokens.currentText() == "Thinking: 3,000 tokens"
    )
    assert len(picked) == 2


def test_settings_choose_the_default_thinking_budget(qtbot: QtBot) -> None:
    dialog = SettingsDialog(AppSettings(thinking_budget_tokens=8192))
    qtbot.addWidget(dialog)
    assert dialog.thinking_budget.value() == (8192, None)
    choose(dialog.thinking_budget.seconds, 300.0)
    result = dialog.result_settings()
    assert (result.thinking_budget_tokens, result.thinking_budget_seconds) == (8192, 300.0)


@pytest.mark.parametrize(
    ("stored", "loaded"),
    [
        ({"thinking_budget_tokens": 1024, "thinking_budget_seconds": 90}, (1024, 90.0)),
        ({"thinking_budget_tokens": 0, "thinking_budget_seconds": -1}, (None, None)),
        ({"thinking_budget_tokens": "lots", "thinking_budget_seconds": True}, (None, None)),
        ({"thinking_budget_tokens": 10**12, "thinking_budget_seconds": 1e300}, (None, None)),
    ],
)
def test_a_hand_edited_budget_in_the_settings_file_is_read_leniently(
    stored: dict[str, object], loaded: tuple[int | None, float | None]
) -> None:
    import json

    path = AppSettings.path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stored))
    settings = AppSettings.load()
    assert (settings.thinking_budget_tokens, settings.thinking_budget_seconds) == loaded


# -- Continue and Steer ----------------------------------------------------------------

THINKS_ON = [f" step {i}." for i in range(40)]  # thinks until stopped (the loop guard is off)


def stopped_while_thinking(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> tuple[MainWindow, int]:
    model = scripted(THINKS_ON, loop=True, after_blank_line=["So it is", " 4."])
    AppSettings(loop_guard="off").save()
    window = open_window(qtbot, store, model.path)
    ask(qtbot, window, "think")
    qtbot.waitUntil(lambda: bool(window.live) and last_reply(window).reasoning.tokens > 30)
    window.replies.stop()
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    (c,) = store.conversations()
    return window, c.id


def test_continue_thinking_goes_on_in_the_same_bubble_and_message(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window, cid = stopped_while_thinking(qtbot, store, scripted)
    reply = last_reply(window)
    before = store.branch(cid)[1]
    assert before.finish_reason == "cancelled" and not before.reasoning_finished
    assert reply.continue_thinking_button.isVisible() and reply.steer_button.isVisible()
    assert reply.continue_thinking_button.isEnabled()
    assert not reply.continue_answer_button.isVisible()  # no answer yet to go on from
    assert reply.continue_thinking_button.accessibleName() == "Continue thinking"

    reply.continue_thinking_button.click()
    assert window.live and last_reply(window) is reply  # the same bubble, not a new one
    assert not reply.action_row.isVisible() and reply.reasoning.header.text().startswith(
        "Thinking… "
    )
    qtbot.waitUntil(lambda: len(reply.reasoning.text) > len(before.reasoning) + 100)
    assert reply.reasoning.text.startswith(before.reasoning)  # on from where it stopped
    qtbot.waitUntil(window.composer.answer_button.isEnabled)
    window.composer.answer_button.click()
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)

    assert [m.role for m in store.messages(cid)] == ["user", "assistant"]  # updated in place
    after = store.branch(cid)[1]
    assert after.id == before.id and after.content == "So it is 4."
    assert after.reasoning.startswith(before.reasoning) and after.reasoning_ended_by == "user"
    (shown,) = assistant_widgets(window)
    assert shown.answer.markdown == "So it is 4."
    assert shown.reasoning.header.text().endswith(" · you asked for the answer")
    # It ended because the user asked: it can think on again (the answer is then rewritten).
    assert shown.continue_thinking_button.isVisible()
    assert not shown.continue_answer_button.isVisible()


def test_steer_puts_the_users_hint_into_the_trace(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window, cid = stopped_while_thinking(qtbot, store, scripted)
    before = store.branch(cid)[1]
    last_reply(window).steer_button.click()
    dialog = window.replies.steer_dialog
    assert dialog is not None
    dialog.setTextValue("Try pairing the first and last terms.")
    dialog.accept()
    assert window.live  # thinking goes on, in the same bubble
    # (The scripted model writes its after-a-blank-line piece after the hint, and ends.)
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)

    after = store.branch(cid)[1]
    assert [m.role for m in store.messages(cid)] == ["user", "assistant"]
    assert after.id == before.id and after.reasoning.startswith(before.reasoning)
    hints = [after.reasoning[s.start : s.end] for s in after.inserted if s.by == "user"]
    (hint,) = hints  # as the engine words it ("…a hint: <the hint>")
    assert hint.strip().endswith("Try pairing the first and last terms.")
    assert after.reasoning.endswith("So it is 4.")  # the model's own, after the hint
    shown = last_reply(window)
    shown.reasoning.header.click()
    assert f"[your hint] {hint.strip()}" in shown.reasoning.body.toPlainText()


def test_continue_answer_writes_on_after_the_cut(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted([f" word{i}" for i in range(40)], loop=True, template=None)  # no trace
    AppSettings(loop_guard="off").save()
    window = open_window(qtbot, store, model.path)
    ask(qtbot, window, "talk")
    qtbot.waitUntil(lambda: bool(window.live) and len(last_reply(window).answer.markdown) > 50)
    window.replies.stop()
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    (c,) = store.conversations()
    before = store.branch(c.id)[1]
    reply = last_reply(window)
    assert reply.continue_answer_button.isVisible()
    assert not reply.continue_thinking_button.isVisible() and not reply.steer_button.isVisible()
    reply.continue_answer_button.click()
    qtbot.waitUntil(lambda: len(reply.answer.markdown) > len(before.content) + 50)
    window.replies.stop()
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    after = store.branch(c.id)[1]
    assert [m.role for m in store.messages(c.id)] == ["user", "assistant"]
    assert after.content.startswith(before.content) and len(after.content) > len(before.content)
    assert last_reply(window).answer.markdown == after.content


def test_continue_is_offered_on_the_last_reply_only(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window, _ = stopped_while_thinking(qtbot, store, scripted)
    ask(qtbot, window, "again")  # a turn after the stopped reply was written from it as it is
    qtbot.waitUntil(lambda: bool(window.live) and last_reply(window).reasoning.tokens > 5)
    window.replies.stop()
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    first, second = assistant_widgets(window)
    assert not first.continue_thinking_button.isVisible()
    assert second.continue_thinking_button.isVisible()


def test_where_the_endpoint_cannot_continue_the_controls_say_why(
    qtbot: QtBot,
    store: ConversationStore,
    fake_upstream: FakeUpstream,
    memory_keyring: object,
) -> None:
    fake_upstream.reasoning = ["Let me think."] + [" Still thinking."] * 200
    fake_upstream.chunk_delay = 0.02
    window = open_window(qtbot, store, None)
    connect(qtbot, window, fake_upstream, "sk-good")
    assert window.engine is not None
    why = window.engine.cannot_continue  # an endpoint of unknown kind: it cannot
    assert why
    ask(qtbot, window, "What is 2+2?")
    reply = last_reply(window)
    qtbot.waitUntil(lambda: "Still thinking." in reply.reasoning.text, timeout=10_000)
    assert (
        window.composer.answer_button.isVisible() and not window.composer.answer_button.isEnabled()
    )
    assert window.composer.answer_button.toolTip() == why
    assert not window.composer.budget.isEnabled() and window.composer.budget.tokens.toolTip() == why
    window.replies.stop()
    qtbot.waitUntil(lambda: not window.live, timeout=10_000)
    reply = last_reply(window)
    assert reply.continue_thinking_button.isVisible()  # it stopped: it could go on elsewhere
    assert not reply.continue_thinking_button.isEnabled() and not reply.steer_button.isEnabled()
    assert reply.continue_thinking_button.toolTip() == why


def test_on_llama_server_answer_now_and_continue_work_over_http(
    qtbot: QtBot,
    store: ConversationStore,
    fake_upstream: FakeUpstream,
    memory_keyring: object,
) -> None:
    fake_upstream.continues = "prefill"  # as llama-server continues an assistant message
    fake_upstream.reasoning = ["Let me think."] + [" Still thinking."] * 400
    fake_upstream.chunk_delay = 0.02
    window = open_window(qtbot, store, None)
    window.models.use_remote()
    dialog = window.models.remote_dialog
    dialog.preset.setCurrentIndex(dialog.preset.findData("llama-server"))
    dialog.base_url.setText(fake_upstream.url)
    dialog.key.setText("sk-good")
    dialog.accept()
    assert window.engine is not None and window.engine.cannot_continue is None
    assert window.composer.budget.isEnabled()  # a budget is forced over HTTP there too
    ask(qtbot, window, "What is 2+2?")
    reply = last_reply(window)
    qtbot.waitUntil(lambda: "Still thinking." in reply.reasoning.text, timeout=10_000)
    qtbot.waitUntil(window.composer.answer_button.isEnabled)
    window.composer.answer_button.click()
    qtbot.waitUntil(lambda: not window.live, timeout=20_000)
    (c,) = store.conversations()
    saved = store.branch(c.id)[1]
    assert saved.reasoning_ended_by == "user" and saved.content == "Four, that is **4**."
    shown = last_reply(window)
    assert shown.reasoning.header.text().endswith(" · you asked for the answer")
    assert shown.continue_thinking_button.isEnabled()  # it can think on, over HTTP too
    shown.continue_thinking_button.click()  # reopens the trace (without the wrap-up)
    qtbot.waitUntil(lambda: not window.live, timeout=20_000)
    again = store.branch(c.id)[1]
    assert [m.role for m in store.messages(c.id)] == ["user", "assistant"]
    assert again.reasoning.endswith("So the sum is four.") and "Considering" not in again.reasoning
    assert again.content == "Four, that is **4**." and again.reasoning_ended_by == "model"


def test_a_continuation_that_cannot_start_leaves_the_reply_as_it_was(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window, cid = stopped_while_thinking(qtbot, store, scripted)
    before = store.branch(cid)[1]
    window.replies.continue_reply(before.id, "thinking", "x" * 30_000)  # a hint far too long
    qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    reply = last_reply(window)
    assert reply.footer.text().startswith("Could not continue: ")
    assert "Traceback" not in reply.footer.text() and "\n" not in reply.footer.text()
    assert reply.reasoning.text == before.reasoning  # shown as stored, unchanged
    assert store.branch(cid)[1].reasoning == before.reasoning
    assert reply.continue_thinking_button.isVisible()  # and it can still go on
