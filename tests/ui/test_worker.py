"""The worker itself (app/ui/worker.py): a real QThread, real signals, the GUI thread's loop.

Every reply, model load and store write in the window goes through ``Job``; these tests
hold what the window relies on: the work runs off the GUI thread, every item arrives in
order and before ``done``/``failed``, a fast stream is coalesced into few batches, work
stopped from the GUI thread ends the job, and a finished job lets go of itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.ui.worker import FRAME_MS, Job, running_jobs


class Recorder:
    """What the GUI thread saw, in the order it saw it, and on which thread."""

    def __init__(self, job: Job) -> None:
        self.events: list[tuple[str, object]] = []
        self.threads: set[int] = set()
        self.batches: list[list[object]] = []
        job.items.connect(self._batch)
        job.done.connect(lambda result: self._seen("done", result))
        job.failed.connect(lambda error: self._seen("failed", error))

    def _seen(self, kind: str, value: object) -> None:
        self.threads.add(threading.get_ident())
        self.events.append((kind, value))

    def _batch(self, batch: list[object]) -> None:
        self.batches.append(list(batch))
        self._seen("items", self.batches[-1])

    @property
    def items(self) -> list[object]:
        return [item for batch in self.batches for item in batch]


def test_items_arrive_in_order_and_all_before_done(qtbot: QtBot) -> None:
    work_threads: set[int] = set()

    def work() -> Iterator[int]:
        work_threads.add(threading.get_ident())
        yield from range(5_000)

    job = Job(work)
    seen = Recorder(job)
    with qtbot.waitSignal(job.done, timeout=10_000):
        job.start()
    assert seen.items == list(range(5_000))  # nothing lost, nothing reordered
    assert seen.events[-1] == ("done", None)  # an iterator's job is done with None
    assert [k for k, _ in seen.events].count("done") == 1
    gui = threading.get_ident()
    assert seen.threads == {gui}  # slots run on the GUI thread
    assert work_threads and gui not in work_threads  # the work does not
    assert job not in running_jobs()


def test_a_plain_return_value_comes_with_done_and_no_items(qtbot: QtBot) -> None:
    job = Job(lambda: {"answer": 42})
    seen = Recorder(job)
    with qtbot.waitSignal(job.done, timeout=10_000):
        job.start()
    assert seen.events == [("done", {"answer": 42})]


def test_an_error_mid_stream_comes_after_the_items_it_produced(qtbot: QtBot) -> None:
    def work() -> Iterator[str]:
        yield "a"
        yield "b"
        raise OSError("disk gone")

    job = Job(work)
    seen = Recorder(job)
    with qtbot.waitSignal(job.failed, timeout=10_000):
        job.start()
    assert seen.items == ["a", "b"]
    kind, error = seen.events[-1]
    assert kind == "failed" and isinstance(error, OSError) and str(error) == "disk gone"
    assert "done" not in [k for k, _ in seen.events]


def test_a_fast_stream_is_coalesced_to_the_frame_rate(qtbot: QtBot) -> None:
    """A token stream at ~1,000 items a second reaches the screen in batches, not one
    signal per token: the GUI thread repaints at most about once per frame."""
    count = 400

    def work() -> Iterator[int]:
        for i in range(count):
            time.sleep(0.001)
            yield i

    job = Job(work)
    seen = Recorder(job)
    started = time.monotonic()
    with qtbot.waitSignal(job.done, timeout=20_000):
        job.start()
    elapsed_ms = (time.monotonic() - started) * 1000
    assert seen.items == list(range(count))
    # Generous: at most one batch per half frame (timers may fire a little early), plus
    # the last; a signal per item would be ~400.
    assert len(seen.batches) <= elapsed_ms / (FRAME_MS / 2) + 2
    assert len(seen.batches) < count / 4


def test_work_stopped_from_the_gui_thread_ends_the_job(qtbot: QtBot) -> None:
    """How a reply is cancelled: the GUI thread tells the work to stop (a generation's
    ``cancel``); the job then ends with ``done`` and nothing comes after it."""
    stop = threading.Event()
    produced: list[int] = []

    def work() -> Iterator[int]:
        i = 0
        while not stop.is_set():  # an endless stream, unless cancelled
            produced.append(i)
            yield i
            i += 1
            time.sleep(0.001)

    job = Job(work)
    seen = Recorder(job)
    job.start()
    qtbot.waitUntil(lambda: len(seen.items) >= 10, timeout=10_000)  # the GUI loop runs
    with qtbot.waitSignal(job.done, timeout=5_000):  # ends promptly, no hang
        stop.set()
    assert seen.events[-1] == ("done", None)
    assert seen.items == produced  # everything made before the stop reached the screen
    qtbot.wait(5 * FRAME_MS)
    assert seen.events[-1] == ("done", None)  # and nothing after done


@pytest.mark.parametrize("fails", [False, True])
def test_a_finished_job_deletes_itself(qtbot: QtBot, fails: bool) -> None:
    def work() -> int:
        if fails:
            raise ValueError("no")
        return 1

    job = Job(work)
    with qtbot.waitSignal(job.destroyed, timeout=10_000):
        job.start()
    assert job not in running_jobs()
