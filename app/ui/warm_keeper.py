"""The window's side of keeping conversations warm: KeepWarm's blocking calls, one at a
time and in order, on a worker (never on the GUI thread).

- After a reply: ``after_reply`` re-warms the cache (answers only) and saves a snapshot,
  in idle time. A send does not wait for it: the engine's ``chat()`` cancels a running
  prewarm, and queued ones are dropped.
- Leaving a conversation saves it (``leave``), opening one restores it (``open``) while
  the user reads and types; a send in it waits for that restore (faster than re-reading).
- While a reply runs nothing else touches the engine: the queue waits for the reply's end.

Every failure is one log line and a status note: keeping warm can never fail a reply.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from PySide6.QtCore import QObject, Signal

from app.keep_warm import KeepWarm
from app.ui.worker import Job

log = logging.getLogger(__name__)
TaskKind = Literal["after_reply", "leave", "open", "forget"]
CUT_SHORT_WAIT_S = 10.0  # the longest a quit waits for a re-warm to stop
REPLY_WAITS_S = 300.0  # the longest a send waits for a save or restore before it goes on


@dataclass(eq=False)
class WarmTask:
    kind: TaskKind
    conversation_id: int
    finished: threading.Event = field(default_factory=threading.Event)
    result: object = None
    error: BaseException | None = None
    before_reply: bool = False  # a reply waits for it (runs although the queue is paused)
    dropped: bool = False  # never run: a reply or a newer task made it pointless


class WarmKeeper(QObject):
    """Runs one KeepWarm's calls in order on a worker; ``finished`` for each, on the GUI thread."""

    finished = Signal(object)  # a WarmTask, done (its result or error set)

    def __init__(self, keep_warm: KeepWarm, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.keep_warm = keep_warm
        self._lock = threading.Lock()
        self._queue: deque[WarmTask] = deque()
        self._current: WarmTask | None = None
        self._job: Job | None = None  # the worker draining the queue, while there is one
        self._paused = False  # a reply is running: the engine is its alone
        self._handing: set[Job] = set()  # workers whose results the GUI has not had yet
        self._dropped: list[WarmTask] = []  # told as finished once the lock is let go

    # -- asked by the window (GUI thread) --------------------------------------------

    def after_reply(self, conversation_id: int) -> WarmTask:
        """A reply ended: the queue goes on, this re-warm first."""
        task = WarmTask("after_reply", conversation_id)
        with self._lock:
            self._paused = False
            self._keep_only(lambda t: t.kind != "after_reply")
            self._queue.appendleft(task)
        self._kick()
        return task

    def leave(self, conversation_id: int) -> WarmTask:
        return self._add(WarmTask("leave", conversation_id))

    def open(self, conversation_id: int) -> WarmTask:
        with self._lock:  # only the conversation opened last needs restoring
            self._keep_only(lambda t: t.kind != "open")
        return self._add(WarmTask("open", conversation_id))

    def forget(self, conversation_id: int) -> WarmTask:
        with self._lock:  # nothing more to do for it, but removing its snapshot
            self._keep_only(lambda t: t.conversation_id != conversation_id)
        return self._add(WarmTask("forget", conversation_id))

    def before_reply(self, conversation_id: int) -> Callable[[], None]:
        """A reply in ``conversation_id`` is about to start. Re-warms still queued are
        dropped (the reply replaces the cache) and so are restores of other conversations;
        saves and this conversation's restore still run first. Returns what the reply's
        worker calls before it starts: it waits (bounded) for those. The queue then waits
        for the reply's end (``after_reply`` or ``reply_ended``)."""
        with self._lock:
            keep = self._keep_only(
                lambda t: (
                    t.kind in ("leave", "forget")
                    or (t.kind == "open" and t.conversation_id == conversation_id)
                )
            )
            for task in keep:
                task.before_reply = True
            current = self._current
            self._paused = True
        self._kick()  # (tells the dropped ones)
        waits = list(keep)
        if current is not None and current.kind != "after_reply":
            waits.insert(0, current)  # a running prewarm is cancelled by the reply itself

        def wait() -> None:
            for task in waits:
                if not task.finished.wait(REPLY_WAITS_S):
                    log.warning("keep warm: a %s still runs; the reply goes on", task.kind)
                    return

        return wait

    def reply_ended(self) -> None:
        """A reply ended without a re-warm to run (failed, or the window is closing)."""
        with self._lock:
            self._paused = False
        self._kick()

    def drop_queued(self) -> None:
        """Forget the re-warms and restores that have not started (the engine is going,
        or the window closing); saves and deletions stay."""
        with self._lock:
            self._keep_only(lambda t: t.kind in ("leave", "forget"))
        self._kick()

    def cut_rewarm_short(self, timeout_s: float = CUT_SHORT_WAIT_S) -> None:
        """A re-warm running now stops (the engine is going, or the window closing): its
        conversation is then saved as the cache holds it, by a ``leave``. Blocks until
        it has stopped (bounded; safe from any thread): a cancel that lands before the
        prewarm holds the engine is lost, so it is asked again until it stops."""
        cache = self.keep_warm.engine.kv_cache
        if cache is None:
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                current = self._current
            if current is None or current.kind != "after_reply":
                return
            cache.cancel()  # read by the prewarm between batches and graph nodes
            current.finished.wait(0.05)

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._current is not None or (bool(self._queue) and not self._paused)

    @property
    def idle(self) -> bool:
        """Nothing queued, running, or still to be handed to the GUI thread."""
        with self._lock:
            return not self._queue and self._current is None and not self._handing

    def pending(self, kind: TaskKind, conversation_id: int | None = None) -> bool:
        """A task of ``kind`` (for ``conversation_id``) is queued or running."""
        with self._lock:
            tasks = [*self._queue, *([self._current] if self._current else [])]
        return any(t.kind == kind and conversation_id in (None, t.conversation_id) for t in tasks)

    def wait(self, ms: int) -> bool:
        """Block until the queue is done (closing the window only); False on timeout."""
        job = self._job
        return job is None or job.wait(ms)

    # -- the worker ----------------------------------------------------------------

    def _keep_only(self, keep: Callable[[WarmTask], bool]) -> list[WarmTask]:
        """(Under the lock, on the GUI thread.) Drop the queued tasks ``keep`` refuses:
        they end as ``dropped`` (``finished`` says so); the tasks kept."""
        kept = [t for t in self._queue if keep(t)]
        for task in self._queue:
            if not keep(task):
                task.dropped = True
                task.finished.set()
                self._dropped.append(task)
        self._queue = deque(kept)
        return kept

    def _add(self, task: WarmTask) -> WarmTask:
        with self._lock:
            self._queue.append(task)
        self._kick()
        return task

    def _kick(self) -> None:
        with self._lock:
            dropped, self._dropped = self._dropped, []
        for task in dropped:
            self.finished.emit(task)
        with self._lock:
            if self._job is not None or not self._runnable():
                return
            job = Job(self._drain, self)
            self._job = job
            self._handing.add(job)
        job.items.connect(self._on_items)
        job.done.connect(lambda _: self._on_job_end(job))
        job.failed.connect(lambda _: self._on_job_end(job))
        job.start()

    def _runnable(self) -> bool:
        """(Under the lock.) The head of the queue may run now."""
        return bool(self._queue) and (not self._paused or self._queue[0].before_reply)

    def _drain(self) -> Iterator[WarmTask]:
        """On the worker: run the queue's tasks until it is empty or waits for a reply."""
        while True:
            with self._lock:
                if not self._runnable():
                    self._job = None  # a later _kick starts a new worker
                    return
                task = self._current = self._queue.popleft()
            try:
                task.result = self._run(task)
            except Exception as e:  # never into a reply: a log line and a note
                task.error = e
                log.warning(
                    "keep warm: %s of conversation %d failed: %s",
                    task.kind,
                    task.conversation_id,
                    e,
                )
            finally:
                with self._lock:
                    self._current = None
                task.finished.set()
            yield task

    def _run(self, task: WarmTask) -> object:
        keep_warm, cid = self.keep_warm, task.conversation_id
        if task.kind == "after_reply":
            keep_warm.after_reply(cid)
            return None
        if task.kind == "leave":
            keep_warm.leave(cid)
            return None
        if task.kind == "open":
            return keep_warm.open(cid)
        keep_warm.forget(cid)
        return None

    def _on_items(self, tasks: list[WarmTask]) -> None:
        for task in tasks:
            self.finished.emit(task)

    def _on_job_end(self, job: Job) -> None:
        with self._lock:
            if self._job is job:
                self._job = None
            self._handing.discard(job)
        self._kick()  # tasks added between the worker's last look and its end
