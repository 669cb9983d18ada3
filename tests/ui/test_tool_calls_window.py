"""Tool calls in the real window, on real llama.cpp with scripted models that call tools:
each call is a card where it happened; a call that needs approval asks in its card, and
the answer given there (by keyboard too) decides whether it runs."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.store.conversations import ConversationStore
from app.ui.chat_view import AssistantMessage
from app.ui.tool_card import ToolCallCard, ToolRoundView
from tests.fixtures.models import ScriptFactory
from tests.fixtures.tool_scripts import ANSWER_1024, CALC_ROUND, PYTHON_ROUND
from tests.ui.test_main_window import assistant_widgets, open_window

CALC = CALC_ROUND
ANSWER = ANSWER_1024
PY = PYTHON_ROUND


def _wait_for_approval(qtbot: QtBot, window: object) -> None:
    """Until the reply's call waits for the user in its card."""
    qtbot.waitUntil(
        lambda: (
            bool(assistant_widgets(window))  # type: ignore[arg-type]
            and any(c.waiting for c in _reply(window).cards.values())
        ),
        timeout=30_000,
    )


def _reply(window: object) -> AssistantMessage:
    widgets = assistant_widgets(window)  # type: ignore[arg-type]
    return widgets[-1]


def test_a_call_is_a_card_in_the_reply_and_the_answer_follows(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(CALC, after_tool_results=ANSWER).path)
    window.replies.send("What is 2**10?")
    qtbot.waitUntil(lambda: not window.replies.live, timeout=30_000)
    message = _reply(window)
    (round_view,) = message.rounds_box.findChildren(ToolRoundView)
    (card,) = round_view.cards
    assert card.title.text() == "calculator" and card.arguments.text() == "2**10"
    assert card.status.text().startswith("Done")
    assert card.result_button.isVisible() and not card.result.isVisible()
    card.result_button.click()  # the result unfolds
    assert card.result.isVisible() and card.result.toPlainText() == "1024"
    assert round_view.reasoning is not None and round_view.reasoning.text == "I should compute it."
    assert message.answer.markdown == "**1024**"
    assert message.reasoning.text == "It is 1024."

    # Shown the same way from the store.
    (c,) = store.conversations()
    window.open_conversation(c.id)
    stored = _reply(window)
    (card,) = stored.rounds_box.findChildren(ToolCallCard)
    assert card.title.text() == "calculator" and card.status.text().startswith("Done")
    assert stored.answer.markdown == "**1024**"


def test_a_call_asks_in_its_card_and_deny_is_kept(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(PY, after_tool_results=ANSWER).path)
    window.replies.send("Check 6*7")
    _wait_for_approval(qtbot, window)
    (card,) = _reply(window).cards.values()
    assert card.title.text() == "python" and card.status.text() == "Waiting for you"
    assert card.allow_once.accessibleName() == "Allow once: python"
    assert window.replies.live  # the reply waits for the user
    card.deny.setFocus()
    qtbot.keyClick(card.deny, " ")  # by keyboard
    qtbot.waitUntil(lambda: not window.replies.live, timeout=30_000)
    (c,) = store.conversations()
    reply = store.branch(c.id)[-1]
    (use,) = reply.tool_rounds[0].calls
    assert use.approval == "denied" and use.result is not None and "did not allow" in use.result
    assert reply.content == "**1024**"  # the model was told, and answered
    (shown,) = _reply(window).cards.values()
    assert shown.status.text() == "Denied"


def test_allow_in_this_conversation_is_not_asked_again(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(PY, after_tool_results=ANSWER).path)
    window.replies.send("Check 6*7")
    _wait_for_approval(qtbot, window)
    (card,) = _reply(window).cards.values()
    card.allow_always.click()
    qtbot.waitUntil(lambda: not window.replies.live, timeout=30_000)
    (c,) = store.conversations()
    assert store.get(c.id).allowed_tools == ("python",)
    window.replies.send("Again")
    qtbot.waitUntil(lambda: not window.replies.live, timeout=30_000)
    last = store.branch(c.id)[-1]
    assert last.tool_rounds[0].calls[0].approval == "conversation"


def test_stop_while_a_call_waits_ends_the_reply(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = open_window(qtbot, store, scripted(PY, after_tool_results=ANSWER).path)
    window.replies.send("Check 6*7")
    _wait_for_approval(qtbot, window)
    window.composer.stop_button.click()
    qtbot.waitUntil(lambda: not window.replies.live, timeout=30_000)
    (c,) = store.conversations()
    reply = store.branch(c.id)[-1]
    assert reply.finish_reason == "cancelled" and reply.tool_rounds[0].calls[0].result is None
    (card,) = _reply(window).cards.values()
    assert card.status.text() == "Not run" and not card.waiting
