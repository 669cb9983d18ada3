"""The one worker pattern: long work on a QThread, results handed to the GUI thread.

``Job(work)`` runs ``work()`` on its own thread. If it returns an iterator, the
iterator is consumed on that thread too and its items reach the GUI thread in
batches through ``items`` at most ~60 times a second, however fast they come (a
token stream is coalesced to the screen's frame rate). Then ``done`` carries the
return value, or ``failed`` the exception. Nothing here blocks the GUI thread.

A job is used once: after ``done`` or ``failed`` it deletes itself (``deleteLater``), and
with it the slots connected to it, so nothing it ran stays alive in its parent.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal

FRAME_MS = 16
_running: set[Job] = set()  # started and not yet finished (kept alive until then)


def running_jobs() -> list[Job]:
    """Jobs whose thread has not finished handing over its results."""
    return list(_running)


def wait_for_all(ms: int = 30_000) -> bool:
    """Block until every running job's thread ends (shutdown and tests only)."""
    return all(job.wait(ms) for job in running_jobs())


def hand_over_all(ms: int = 5_000) -> bool:
    """Tests: wait for every job's thread, then turn the event loop until each has handed
    its results over, so none lands in the next test (on objects that test never made).
    A job whose owner was deleted before it could hand over is forgotten. False: some
    were still handing over after ``ms``."""
    wait_for_all()
    deadline = time.monotonic() + ms / 1000
    while True:
        for job in running_jobs():
            if not shiboken6.isValid(job) and not job._thread.isRunning():
                _running.discard(job)  # deleted with its owner: nothing to hand over
        if not _running:
            return True
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents()
        time.sleep(0.002)


class _Thread(QThread):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self._job = job

    def run(self) -> None:
        self._job._run_on_thread()


class Job(QObject):
    items = Signal(list)  # a batch of items from the iterator, in order
    done = Signal(object)  # the work's return value (None for an iterator)
    failed = Signal(object)  # the exception

    def __init__(self, work: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work: Callable[[], Any] | None = work
        self._pending: deque[Any] = deque()
        self._lock = threading.Lock()
        self._finished = False
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = _Thread(self)
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._drain)

    def start(self) -> Job:
        _running.add(self)
        self._timer.start()
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        """The work's thread is still going."""
        return bool(self._thread.isRunning())

    def _run_on_thread(self) -> None:
        try:
            assert self._work is not None, "a Job runs once"
            result = self._work()
            if isinstance(result, Iterator):
                for item in result:
                    with self._lock:
                        self._pending.append(item)
                result = None
            self._result = result
        except BaseException as e:  # handed to the GUI thread
            self._error = e
        finally:
            with self._lock:
                self._finished = True

    def _drain(self) -> None:
        with self._lock:
            batch = list(self._pending)
            self._pending.clear()
            finished = self._finished
        if batch:
            self.items.emit(batch)
        if finished:
            self._timer.stop()
            self._thread.wait()
            _running.discard(self)
            # Let go of everything the work held before handing it over: a job is a
            # child of a window that lives all day, and a reply's work holds its text,
            # its generation (the prompt's tokens) and its widgets' Python objects.
            error, result = self._error, self._result
            self._work = self._result = self._error = None
            if error is not None:
                self.failed.emit(error)
            else:
                self.done.emit(result)
            self.deleteLater()  # and the job itself, with the slots connected to it

    def wait(self, ms: int = 30_000) -> bool:
        """Block until the thread ends (tests and shutdown only)."""
        return bool(self._thread.wait(ms))
