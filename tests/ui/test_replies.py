"""The replies part, seen through its signals, in the real window on real llama.cpp with
a scripted model: what it says while a reply starts, runs and ends."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.store.conversations import ConversationStore
from tests.fixtures.models import ScriptFactory
from tests.ui.test_main_window import ANSWER_SCRIPT, open_window


def test_without_a_model_a_send_fails_and_starts_nothing(
    qtbot: QtBot, store: ConversationStore
) -> None:
    window = open_window(qtbot, store, None)
    replies = window.replies
    with qtbot.waitSignal(replies.failed) as failed:
        replies.send("hello")
    assert failed.args == ["Load a model first: Ctrl+O opens a GGUF file."]
    assert replies.live == {} and store.conversations() == []
    assert replies.cannot_continue() == "No model is loaded."


def test_a_reply_says_it_started_and_shows_again_as_stored(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(ANSWER_SCRIPT).path)
    replies = window.replies
    with qtbot.waitSignal(replies.started):
        replies.send("What is the sum of the first 10 odd numbers?")
    assert window.composer.stop_button.isVisible()  # the buttons follow the reply
    (c,) = store.conversations()  # created as the message was sent
    assert window.conversation_id == c.id and replies.current() is replies.live[c.id]
    with qtbot.waitSignal(replies.show_stored, timeout=30_000) as shown:
        pass
    assert shown.args == [c.id]
    assert replies.live == {} and replies.current() is None
    assert window.composer.send_button.isVisible()
    assert [m.role for m in store.branch(c.id)] == ["user", "assistant"]


def test_edit_sends_the_message_again_as_a_new_branch(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(ANSWER_SCRIPT).path)
    replies = window.replies
    replies.send("first question")
    qtbot.waitUntil(lambda: not replies.live, timeout=30_000)
    (c,) = store.conversations()
    user = store.branch(c.id)[0]
    replies.start_edit(user.id, user.content)
    assert replies.editing == user.id
    assert window.composer.editor.toPlainText() == "first question"
    replies.send("second question")
    assert replies.editing is None
    qtbot.waitUntil(lambda: not replies.live, timeout=30_000)
    assert store.branch(c.id)[0].content == "second question"
    assert len(store.branch_with_siblings(c.id)[0][1]) == 2  # both edits, to flip between
