"""A window that chats all day keeps alive only what is on screen: a finished job lets go
of its work (the reply's text, events, prompt tokens), and the messages a view is cleared
of are deleted."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.session import StoredGeneration
from app.store.conversations import ConversationStore
from app.ui.chat_view import AssistantMessage, UserMessage
from app.ui.main_window import MainWindow
from app.ui.reply_controller import ReplyController
from app.ui.worker import Job
from tests.fixtures.models import QWQ_SCRIPT, ScriptFactory


def _alive(kind: type) -> int:
    # What the main loop does each time it returns: run the deletions asked for.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    return sum(isinstance(o, kind) for o in gc.get_objects())


def _widgets(kind: type) -> int:
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return sum(isinstance(w, kind) for w in QApplication.allWidgets())


class Result:
    """Something a job's work returns (weak-referenceable, unlike a list)."""


def test_a_finished_job_keeps_neither_its_result_nor_its_error(qtbot: QtBot) -> None:
    owner = QObject()
    results: list[weakref.ref[Result]] = []

    def work() -> Result:
        result = Result()
        results.append(weakref.ref(result))
        return result

    def broken() -> None:
        raise ValueError("on purpose")

    seen: list[object] = []
    for _ in range(3):
        job = Job(work, owner)
        job.done.connect(lambda r: seen.append(type(r)))
        with qtbot.waitSignal(job.done, timeout=10_000):
            job.start()
        job = Job(broken, owner)
        job.failed.connect(lambda e: seen.append(type(e)))
        with qtbot.waitSignal(job.failed, timeout=10_000):
            job.start()
    del job
    assert seen == [Result, ValueError] * 3  # every outcome was delivered
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    # Before: each Job stayed a child of its owner for the owner's lifetime, holding its
    # work, its result and its exception (with the traceback's frames).
    assert owner.findChildren(Job) == []
    assert [r() for r in results] == [None, None, None]


def _chat(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory, replies: int
) -> MainWindow:
    """A window that sends ``replies`` questions, each in a new chat; every second reply
    is stopped at once (as the soak's window does)."""
    window = MainWindow(store, str(scripted(QWQ_SCRIPT).path))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.session is not None, timeout=30_000)
    for i in range(replies):
        window.new_chat()
        window.composer.editor.setPlainText(f"Question {i}")
        window.send()
        if i % 2:
            window.replies.stop()
        qtbot.waitUntil(lambda: not window.live, timeout=30_000)
    # The last reply's re-warm (idle work on its own worker) ends too.
    qtbot.waitUntil(lambda: window.warm is None or window.warm.idle, timeout=30_000)
    return window


def test_replies_that_ended_are_not_kept_alive(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = _chat(qtbot, store, scripted, 8)
    # Before: 8 replies' live state (its answer's pieces, its widget's Python objects) and
    # StoredGeneration (the generation, its prompt's tokens, the full text) stayed alive,
    # each held by the reply's Job, a child of the window for good.
    assert _alive(ReplyController) == 0
    assert _alive(StoredGeneration) == 0
    assert window.findChildren(Job) == []


def test_messages_that_leave_the_screen_are_deleted(
    qtbot: QtBot, store: ConversationStore, scripted: ScriptFactory
) -> None:
    window = _chat(qtbot, store, scripted, 6)
    for cid in [c.id for c in store.conversations()] * 2:  # each open rebuilds the view
        window.open_conversation(cid)
    # On screen: one question and its answer. Before, every reply and every open left
    # its widgets behind (52 widgets, about 2.6 MB, a reply): lambdas connected to a
    # message's own signals hold it in a cycle, so unparenting alone never freed it.
    assert _widgets(AssistantMessage) == 1
    assert _widgets(UserMessage) == 1
