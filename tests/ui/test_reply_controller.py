"""The reply controller on its own (app/ui/reply_controller.py), with no window: real
llama.cpp on scripted models, a real store, the real worker and the real message widget.

What the window relies on: the signals come in order (``stored_started`` first,
``finished`` last and once), a cancel or "answer now" reaches the engine, a failure
says why on the message and in ``failed``, and a Continue goes on in the same bubble.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.core.thinking import ThinkingControl
from app.engine.local_engine import LoadSettings, LocalEngine
from app.session import ChatSession
from app.store.conversations import ConversationStore
from app.ui.reply_controller import Continuing, ReplyController
from tests.fixtures.models import QWQ_ANSWER, QWQ_REASONING, ScriptFactory

# The looping scripts stand for a model that thinks until it is stopped, not for a loop.
OFF = ThinkingControl(loop_guard="off")
THINKS_ON = [f" step {i}." for i in range(40)]


def _engine(path: Path, context_length: int = 4096) -> LocalEngine:
    return LocalEngine(path, LoadSettings(context_length=context_length))


@pytest.fixture
def engine(scripted: ScriptFactory) -> Iterator[LocalEngine]:
    from tests.fixtures.models import QWQ_SCRIPT

    e = _engine(scripted(QWQ_SCRIPT).path)
    yield e
    e.close()


class Signals:
    """Every signal of a controller, in the order the GUI thread saw them."""

    def __init__(self, reply: ReplyController) -> None:
        self.seen: list[tuple[str, object]] = []
        reply.stored_started.connect(lambda: self.seen.append(("stored_started", None)))
        grew = reply.widget.reasoning.grew
        grew.connect(lambda text: self.seen.append(("trace_grew", text)))
        reply.speed.connect(lambda value: self.seen.append(("speed", value)))
        reply.thinking_changed.connect(lambda on: self.seen.append(("thinking_changed", on)))
        reply.context_used.connect(lambda used: self.seen.append(("context_used", used)))
        reply.context_streaming.connect(lambda used: self.seen.append(("context_streaming", used)))
        reply.failed.connect(lambda error: self.seen.append(("failed", error)))
        reply.finished.connect(lambda: self.seen.append(("finished", None)))

    def kinds(self) -> list[str]:
        out: list[str] = []
        for kind, _ in self.seen:
            if not out or out[-1] != kind:  # runs of one signal count once
                out.append(kind)
        return out

    def values(self, kind: str) -> list[object]:
        return [value for k, value in self.seen if k == kind]


def test_a_reply_streams_into_its_widget_and_the_signals_come_in_order(
    qtbot: QtBot, store: ConversationStore, engine: LocalEngine
) -> None:
    session = ChatSession(store, engine)
    cid = store.create().id
    reply = ReplyController(cid, lambda: session.reply(cid, "What is 2+2?"))
    assert reply.conversation_id == cid and reply.continued is None and reply.mode is None
    assert reply.message_id is None  # stored on the worker
    seen = Signals(reply)
    with qtbot.waitSignal(reply.finished, timeout=30_000):
        reply.start()
    kinds = seen.kinds()
    assert kinds[0] == "stored_started" and kinds[-1] == "finished"
    assert seen.values("stored_started") == [None] and seen.values("finished") == [None]
    assert "failed" not in kinds
    assert "".join(str(t) for t in seen.values("trace_grew")) == QWQ_REASONING
    # In its trace, then out of it (a short reply may come in one batch: no change seen).
    assert seen.values("thinking_changed") in ([], [True, False])
    (used,) = seen.values("context_used")
    assert isinstance(used, int) and used > 0
    assert kinds.index("context_used") > kinds.index("stored_started")
    _user, answer = store.branch(cid)
    assert reply.message_id == answer.id and reply.error is None
    assert answer.content == QWQ_ANSWER and answer.finish_reason == "stop"
    widget = reply.widget
    assert widget.answer.markdown == QWQ_ANSWER
    assert widget.reasoning.text == QWQ_REASONING and not widget.reasoning.is_open
    assert widget.model_label.text() == "Scripted QwQ"
    assert "Scripted QwQ" not in widget.footer.text()  # (said once, under QwQ's name)
    assert not reply.thinking and not reply.answer_asked


def test_the_context_in_use_counts_while_the_reply_streams(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    """The status bar's meter showed 0 until a reply ended: now the prompt (known before
    the first token) plus the tokens so far, a few times a second; exact at the end."""
    engine = _engine(scripted(THINKS_ON, loop=True).path)
    try:
        session = ChatSession(store, engine)
        cid = store.create().id
        reply = ReplyController(cid, lambda: session.reply(cid, "think", thinking=OFF))
        seen = Signals(reply)
        reply.start()
        qtbot.waitUntil(lambda: reply.stored is not None, timeout=30_000)
        assert reply.stored is not None
        prompt = reply.stored.prompt_size
        assert prompt is not None and prompt > 0

        def live() -> list[int]:
            return [int(str(v)) for v in seen.values("context_streaming")]

        qtbot.waitUntil(lambda: bool(live()) and live()[-1] >= prompt + 20, timeout=30_000)
        assert live() == sorted(live()) and live()[0] > prompt - 1
        assert seen.values("context_used") == []  # (the exact figure comes at the end)
        with qtbot.waitSignal(reply.finished, timeout=30_000):
            reply.cancel()
    finally:
        engine.close()
    (used,) = seen.values("context_used")
    assert isinstance(used, int) and used > prompt


def test_cancel_stops_the_reply_and_it_is_stored_as_stopped(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    engine = _engine(scripted(THINKS_ON, loop=True).path)
    try:
        session = ChatSession(store, engine)
        cid = store.create().id
        reply = ReplyController(cid, lambda: session.reply(cid, "think", thinking=OFF))
        reply.start()
        qtbot.waitUntil(lambda: reply.widget.reasoning.tokens > 20, timeout=30_000)
        assert reply.thinking
        with qtbot.waitSignal(reply.finished, timeout=30_000):
            reply.cancel()
    finally:
        engine.close()
    assert "Stopped by you." in reply.widget.footer.text()
    assert store.branch(cid)[1].finish_reason == "cancelled"


def test_a_cancel_before_the_worker_started_the_reply_still_stops_it(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    engine = _engine(scripted(THINKS_ON, loop=True).path)
    try:
        session = ChatSession(store, engine)
        cid = store.create().id
        reply = ReplyController(cid, lambda: session.reply(cid, "think", thinking=OFF))
        with qtbot.waitSignal(reply.finished, timeout=30_000):
            reply.start()
            reply.cancel()  # most likely before the generation exists
    finally:
        engine.close()
    assert store.branch(cid)[1].finish_reason == "cancelled"


def test_answer_now_closes_the_trace_and_the_reply_answers(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted(THINKS_ON, loop=True, after_blank_line=["So it is", " 4."])
    engine = _engine(model.path)
    try:
        session = ChatSession(store, engine)
        cid = store.create().id
        reply = ReplyController(cid, lambda: session.reply(cid, "think", thinking=OFF))
        assert not reply.answer_now()  # nothing to close yet
        seen = Signals(reply)
        reply.start()
        qtbot.waitUntil(lambda: reply.widget.reasoning.tokens > 20, timeout=30_000)
        assert reply.answer_now()
        assert reply.answer_asked and not reply.answer_now()  # asked once
        qtbot.waitSignal(reply.finished, timeout=30_000).wait()
    finally:
        engine.close()
    assert reply.widget.answer.markdown == "So it is 4."
    assert reply.widget.reasoning.ended_by == "user"
    assert seen.values("thinking_changed") == [True, False]
    assert store.branch(cid)[1].reasoning_ended_by == "user"


def test_a_failure_says_why_then_finishes(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    from tests.fixtures.models import QWQ_SCRIPT

    engine = _engine(scripted(QWQ_SCRIPT).path, context_length=256)  # too small a prompt
    try:
        session = ChatSession(store, engine)
        cid = store.create().id
        reply = ReplyController(cid, lambda: session.reply(cid, "word " * 500))
        seen = Signals(reply)
        with qtbot.waitSignal(reply.finished, timeout=30_000):
            reply.start()
    finally:
        engine.close()
    assert seen.kinds() == ["failed", "finished"]  # no events came
    (error,) = seen.values("failed")
    assert isinstance(error, str) and "context holds 256" in error
    assert reply.error == error and reply.stored is None and reply.message_id is None
    assert reply.widget.footer.text() == f"Could not answer: {error}"


def test_continue_goes_on_in_the_same_bubble(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    engine = _engine(scripted(THINKS_ON, loop=True, after_blank_line=["So", " 4."]).path)
    try:
        session = ChatSession(store, engine)
        cid = store.create().id
        first = ReplyController(cid, lambda: session.reply(cid, "think", thinking=OFF))
        first.start()
        qtbot.waitUntil(lambda: first.widget.reasoning.tokens > 10, timeout=30_000)
        with qtbot.waitSignal(first.finished, timeout=30_000):
            first.cancel()
        stopped = store.branch(cid)[1]
        widget = first.widget
        tokens_before = widget.reasoning.tokens
        going_on = Continuing(stopped, "thinking", widget)
        reply = ReplyController(
            cid,
            lambda: session.continue_reply(stopped.id, "thinking", thinking=OFF),
            continuing=going_on,
        )
        assert reply.widget is widget and reply.continued == stopped.id
        assert reply.message_id == stopped.id and reply.mode == "thinking"
        assert reply.thinking  # it goes on in its trace at once
        reply.start()
        qtbot.waitUntil(lambda: widget.reasoning.tokens > tokens_before + 10, timeout=30_000)
        assert widget.reasoning.text.startswith(stopped.reasoning)
        assert reply.answer_now()
        qtbot.waitSignal(reply.finished, timeout=30_000).wait()
    finally:
        engine.close()
    assert widget.answer.markdown == "So 4."
    _user, answer = store.branch(cid)
    assert answer.id == stopped.id and answer.content == "So 4."  # stored in place
