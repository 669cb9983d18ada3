"""Store writes from the window, as background operations with one failure route.

The shape is Anki's ``CollectionOp``: a write runs on a worker :class:`~app.ui.worker.Job`
with the Qt-free store, its ``success`` callback runs on the GUI thread, and every
failure goes through one route (:attr:`Operations.failed`, one sentence for the
user) instead of each caller writing its own label text. What a write changed is
not passed around by hand either: the store publishes it (``app.store.changes``) and
:class:`ChangeBridge` hands it to the GUI thread, where each view refreshes itself
(as Anki's ``operation_did_execute`` does).

    ops.write("rename the conversation", lambda s: s.rename(cid, title)).run()
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal

from app.core.i18n import translate
from app.store.changes import Change, Changes
from app.store.conversations import ConversationStore
from app.store.database import StoreError
from app.ui.worker import Job

log = logging.getLogger(__name__)
T = TypeVar("T")


def failure_sentence(what: str, error: BaseException) -> str:
    """One sentence saying what could not be done and why.

    A StoreError already says why in the user's words (a full disk, a damaged file);
    anything else is a bug, logged with its traceback and named by its type.
    """
    if isinstance(error, StoreError):
        return translate("Operations", "Could not {what}: {error}").format(what=what, error=error)
    log.error("could not %s", what, exc_info=error)
    return translate("Operations", "Could not {what}: {kind}: {error}").format(
        what=what, kind=type(error).__name__, error=error
    )


class Operation(Generic[T]):
    """One store write, set up with callbacks, then :meth:`run` on a worker (once)."""

    def __init__(
        self, operations: Operations, what: str, work: Callable[[ConversationStore], T]
    ) -> None:
        # Weakly: the job is the Operations' child, and its slots hold this operation;
        # a strong reference would let the job's deletion delete its own parent.
        self._operations = weakref.ref(operations)
        self._store = operations.store
        self._what = what
        self._work = work
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[], None] | None = None

    def success(self, callback: Callable[[T], None]) -> Operation[T]:
        """Run ``callback`` with the write's result on the GUI thread once it is done."""
        self._on_success = callback
        return self

    def failure(self, tidy_up: Callable[[], None]) -> Operation[T]:
        """Also run ``tidy_up`` if it fails (to undo what the screen already shows);
        the user is told through :attr:`Operations.failed` either way."""
        self._on_failure = tidy_up
        return self

    def run(self) -> Job:
        store, work = self._store, self._work
        job = Job(lambda: work(store), self._operations())
        # Lambdas, not bound methods: they keep this operation alive until the job ends.
        job.done.connect(lambda result: self._succeeded(result))
        job.failed.connect(lambda error: self._failed(error))
        return job.start()

    def _succeeded(self, result: T) -> None:
        if self._on_success is not None:
            self._on_success(result)

    def _failed(self, error: BaseException) -> None:
        if self._on_failure is not None:
            self._on_failure()
        sentence = failure_sentence(self._what, error)
        operations = self._operations()
        if operations is not None and shiboken6.isValid(operations):
            operations.failed.emit(sentence)
        else:  # the window is gone: nobody to tell
            log.warning("%s", sentence)


class Operations(QObject):
    """Runs the window's store writes off the GUI thread; their failures come out of
    ``failed`` as one sentence each (the window shows it in its status route)."""

    failed = Signal(str)

    def __init__(self, store: ConversationStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store

    def write(self, what: str, work: Callable[[ConversationStore], T]) -> Operation[T]:
        """An operation that runs ``work(store)``; ``what`` completes "Could not …"."""
        return Operation(self, what, work)


class ChangeBridge(QObject):
    """The store's changes, re-emitted on the GUI thread as ``changed(Change)``.

    Always queued, also for a write made on the GUI thread: a view refreshes after the
    call that wrote has returned, the same way whichever thread wrote. The bridge lets
    go of the store's changes when it is closed or destroyed, and a change still on its
    way when the bridge or the store closes is dropped (a view would read a closed store).
    """

    changed = Signal(object)  # a Change
    _arrived = Signal(object)  # emitted on the writing thread

    def __init__(self, changes: Changes, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._arrived.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._open = True
        arrived = self._arrived

        def tell(change: Change) -> None:  # on the writing thread
            if shiboken6.isValid(self):
                arrived.emit(change)

        self._changes = changes
        self._tell = tell
        changes.subscribe(tell)
        self.destroyed.connect(lambda: changes.unsubscribe(tell))

    def _deliver(self, change: Change) -> None:  # on the GUI thread
        if self._open and not self._changes.closed:
            self.changed.emit(change)

    def close(self) -> None:
        """Stop listening (the window is closing; its store may live on)."""
        self._open = False
        self._changes.unsubscribe(self._tell)
