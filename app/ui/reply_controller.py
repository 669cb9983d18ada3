"""One reply being generated: its worker job, its stored generation, its message widget.

The window starts a controller for each reply (an answer, a regenerate, an edit, a
Continue or a Steer) and keeps it while the reply runs, whether its conversation is on
screen or not: the reply goes on when the user opens another conversation, and its
widget shows again, live, on return. The controller feeds the job's batches to the
widget (which keeps the counters) and says by signal what the parts around the message
need (the conversation list, the status bar, the buttons); the window keeps no state of
its own about a live reply.

Signals, in order: ``stored_started`` once (with the first events: the user's message is
stored, so the title and the list may change), then per batch ``speed`` and
``context_streaming`` (a few times a second), ``thinking_changed`` and, at the end,
``context_used``; ``failed`` if the reply could not
be generated; ``finished`` always last, once, after which the controller deletes itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import cast

from PySide6.QtCore import QObject, Signal

from app.core.events import ChatEvent
from app.core.thinking import ContinueMode
from app.session import StoredGeneration
from app.store.conversations import StoredMessage
from app.tool_turn import Decision
from app.ui.chat_view import AssistantMessage
from app.ui.worker import Job

SPEED_EVERY_S = 0.25  # the speed shown while a reply streams changes at most this often


@dataclass(frozen=True, slots=True)
class Continuing:
    """A stored reply that goes on in its own bubble (Continue, Steer)."""

    message: StoredMessage  # as stored before it goes on
    mode: ContinueMode
    widget: AssistantMessage  # its bubble, on screen


class ReplyController(QObject):
    """A reply from its start on a worker to its end (see the module's docstring)."""

    stored_started = Signal()  # the user's message (or the reply going on) is stored
    speed = Signal(float)  # tokens a second so far; the reply's own figure once done
    thinking_changed = Signal(bool)  # Answer now applies only while it thinks
    context_used = Signal(int)  # prompt + generated tokens, once the reply ended
    # While it streams: the prompt (where known) + the tokens streamed so far, per batch;
    # an estimate that ``context_used`` makes exact at the end.
    context_streaming = Signal(int)
    failed = Signal(str)  # it could not be generated (``finished`` follows)
    finished = Signal()  # always last, once

    def __init__(
        self,
        conversation_id: int,
        start: Callable[[], StoredGeneration],
        *,
        before: Callable[[], None] | None = None,
        continuing: Continuing | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``start`` runs on the worker and returns the stored generation (it stores the
        user's message and checks the request); ``before`` runs there first (the warm
        keeper's save or restore of this conversation)."""
        super().__init__(parent)
        self._conversation_id = conversation_id
        self._start = start
        self._before = before
        self._continuing = continuing
        self.stored: StoredGeneration | None = None  # set on the worker once it started
        self.error: str | None = None  # why it failed
        self._cancelled = False
        self._seen_events = False
        self._speed_due = 0.0  # when the speed may be said again
        if continuing is None:
            self.widget = AssistantMessage()
            self.widget.begin_reply()
        else:
            self.widget = continuing.widget
            self.widget.begin_continue(continuing.mode, continuing.message)
        self.widget.tool_decided.connect(self._decide)

    # -- what the window reads ----------------------------------------------------------

    @property
    def conversation_id(self) -> int:
        return self._conversation_id

    @property
    def continued(self) -> int | None:
        """The stored reply going on in place (Continue, Steer), or None."""
        return self._continuing.message.id if self._continuing is not None else None

    @property
    def mode(self) -> ContinueMode | None:
        return self._continuing.mode if self._continuing is not None else None

    @property
    def message_id(self) -> int | None:
        """The stored message being written (None until the worker stored it)."""
        return self.stored.message.id if self.stored is not None else self.continued

    @property
    def thinking(self) -> bool:
        """The reply is in its trace (Answer now can close it)."""
        return self.widget.thinking

    @property
    def answer_asked(self) -> bool:
        """Answer now was pressed."""
        stream = self.widget.stream
        return stream is not None and stream.answer_asked

    # -- what the window asks -----------------------------------------------------------

    def start(self) -> ReplyController:
        job = Job(self._work, self)
        job.items.connect(self.take)
        job.done.connect(lambda _: self._end())
        job.failed.connect(self._fail)
        job.start()
        return self

    def cancel(self) -> None:
        """Stop the reply (what it wrote is stored, as stopped by the user)."""
        self._cancelled = True
        if self.stored is not None:
            self.stored.cancel()

    def answer_now(self) -> bool:
        """Close the trace and have QwQ answer from it; False where it does not think
        (or was already asked)."""
        if self.stored is None or not self.thinking or self.answer_asked:
            return False
        self.stored.force_answer("user")  # safe from any thread: read at the next token
        self.widget.ask_answer()
        return True

    def _decide(self, call_id: str, decision: str) -> None:
        """The user answered a call's approval in its card: the turn goes on."""
        if self.stored is not None and decision in ("once", "conversation", "deny"):
            self.stored.approve(call_id, cast(Decision, decision))

    # -- the worker's side -----------------------------------------------------------

    def _work(self) -> Iterator[ChatEvent]:
        if self._before is not None:
            self._before()
        stored = self._start()
        self.stored = stored
        if self._cancelled:  # stopped while it was starting
            stored.cancel()
        return iter(stored)

    def take(self, batch: list[ChatEvent]) -> None:
        """A batch of events from the worker, on the GUI thread."""
        stored = self.stored
        if not self._seen_events:
            self._seen_events = True
            kept = stored.continued if stored is not None else None
            if self.mode == "thinking" and kept is not None:
                # The trace goes on from what the session kept (without the app's wrap-up).
                self.widget.reasoning.restart(kept.kept.reasoning, kept.inserted)
            self.stored_started.emit()
        was_thinking = self.thinking
        taken = self.widget.take(batch, stored.message.model if stored is not None else "")
        done = taken.done
        now = time.monotonic()
        # The speed and the context in use are read by people: a few times a second is
        # enough (and each emit costs the GUI thread more than the batch's text does).
        if done or now >= self._speed_due:
            self._speed_due = now + SPEED_EVERY_S
            if taken.tokens_per_second is not None:
                self.speed.emit(taken.tokens_per_second)
            stream = self.widget.stream
            if done is None and stream is not None and stored is not None:
                self.context_streaming.emit((stored.prompt_size or 0) + stream.produced)
        if done is not None:
            self.context_used.emit(done.stats.prompt_tokens + done.stats.generated_tokens)
            if stored is not None and stored.save_error is not None:
                self.widget.set_footer(
                    self.tr("Not saved: {error}").format(error=stored.save_error)
                )
        if self.thinking != was_thinking:
            self.thinking_changed.emit(self.thinking)

    def _fail(self, error: BaseException) -> None:
        self.error = str(error)
        if self._continuing is None:
            self.widget.set_footer(self.tr("Could not answer: {error}").format(error=error))
        # (A reply going on is shown again as stored: the window says why it did not.)
        self.failed.emit(self.error)
        self._end()

    def _end(self) -> None:
        self.finished.emit()
        self.deleteLater()  # with its job; the window let go of it on ``finished``
