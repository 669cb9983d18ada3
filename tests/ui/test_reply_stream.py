"""A reply streaming into its message widget: a batch read into runs, and what the widget
does with it (the thinking clock and count, the fold when the answer begins, the end)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.core.events import AnswerDelta, ChatEvent, GenerationDone, GenerationStats, ReasoningDelta
from app.store.conversations import ConversationStore
from app.ui.chat_view import AssistantMessage
from app.ui.reply_stream import ReplyStream, read_batch


def _done(reasoning: str, answer: str) -> GenerationDone:
    stats = GenerationStats(generated_tokens=9, reasoning_tokens=5, tokens_per_second=12.5)
    return GenerationDone("stop", stats, reasoning, answer, reasoning_finished=True)


def test_a_batch_groups_trace_text_by_who_wrote_it() -> None:
    batch = read_batch(
        [
            ReasoningDelta("a"),
            ReasoningDelta("b"),
            ReasoningDelta(" hint", inserted="user"),
            ReasoningDelta(" more", inserted="user"),
            ReasoningDelta("c"),
            AnswerDelta("x"),
            AnswerDelta("y"),
        ]
    )
    assert batch.reasoning == [("ab", None), (" hint more", "user"), ("c", None)]
    assert batch.reasoning_tokens == 5
    assert batch.answer == ["x", "y"]
    assert batch.done is None


def test_a_stream_thinks_from_its_first_trace_token_until_the_answer() -> None:
    stream = ReplyStream()
    assert not stream.thinking
    stream.thinking_started = stream.started
    assert stream.thinking
    stream.answer_started = True
    assert not stream.thinking
    stream.answer_parts = ["a", "b"]
    stream.reasoning_tokens = 3
    assert stream.produced == 5


def test_the_widget_takes_a_reply_batch_by_batch(qtbot: QtBot) -> None:
    widget = AssistantMessage()
    qtbot.addWidget(widget)
    widget.begin_reply()
    first: list[ChatEvent] = [ReasoningDelta("Let me"), ReasoningDelta(" think.")]
    grew: list[str] = []
    widget.reasoning.grew.connect(grew.append)
    taken = widget.take(first)
    assert grew == ["Let me think."] and taken.done is None  # one run, one append
    assert widget.thinking and widget.reasoning.thinking
    assert widget.reasoning.tokens == 2 and widget.reasoning.is_open
    widget.ask_answer()
    taken = widget.take([AnswerDelta("The answer")])
    assert not widget.thinking and not widget.reasoning.is_open  # folded as the answer began
    assert widget.reasoning.ended_by == "user"  # the user asked for it
    assert widget.answer.markdown == "The answer"
    taken = widget.take([AnswerDelta(" is 4."), _done("Let me think.", "The answer is 4.")], "QwQ")
    assert taken.done is not None and taken.tokens_per_second == 12.5
    assert widget.answer.markdown == "The answer is 4."
    assert widget.footer.text().endswith("12.5 tok/s")
    assert widget.model_label.text() == "QwQ"  # who answered: under QwQ's name, said once


def test_a_continued_reply_counts_on_from_the_stored_one(
    qtbot: QtBot, store: ConversationStore
) -> None:
    cid = store.create().id
    user = store.add_message(cid, "user", "2+2?", parent_id=None)
    old = store.add_message(cid, "assistant", "It is", parent_id=user.id)
    store.finish_message(
        old.id,
        content="It is",
        reasoning="Two and two.",
        finish_reason="cancelled",
        reasoning_finished=True,
        thinking_seconds=3.0,
        stats={"reasoning_tokens": 7},
    )
    widget = AssistantMessage()
    qtbot.addWidget(widget)
    widget.show_stored(store.message(old.id))
    widget.begin_continue("answer", store.message(old.id))
    assert not widget.thinking and not widget.action_row.isVisible()
    widget.take([AnswerDelta(" four.")])
    assert widget.answer.markdown == "It is four."
    assert widget.stream is not None and widget.stream.reasoning_tokens == 7
