"""What the store changed: published after each committed write, for views to refresh.

The store knows nothing of the views that show it: a view subscribes and refreshes
itself from the changes it cares about (the window's conversation list, its title),
the way Anki's ``operation_did_execute`` tells each view what an operation changed.
Qt-free on purpose: the window's bridge (``app.ui.operations.ChangeBridge``) carries
changes onto the GUI thread; a test or the command line can subscribe directly.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

ChangeKind = Literal[
    "created",  # a new, empty conversation
    "renamed",  # its title, chosen by the user
    "pinned",  # pinned or unpinned
    "settings",  # its model, system prompt, sampling or thinking budget
    "deleted",  # gone, with its messages
    "restored",  # brought back whole (an undone delete, an import)
    "messages",  # a message added, finished, reopened or removed (title and order may follow)
    "streamed",  # a reply's text saved as it streams: nothing a list shows changed
    "switched",  # another branch is on screen
    "replaced",  # every conversation replaced (a backup restored); conversation_id is None
]


@dataclass(frozen=True, slots=True)
class Change:
    """One committed write: which conversation (None: all of them) and what changed."""

    conversation_id: int | None
    kind: ChangeKind


Subscriber = Callable[[Change], None]


class Changes:
    """The subscribers of one store, told of each change after its write is committed.

    Subscribers are called on the thread that wrote (a reply's worker, a background
    operation, the GUI thread), after the store's lock is let go: a subscriber may read
    the store, and one that lives on another thread hands the change over itself. A
    subscriber that raises is logged and skipped: the write it reports is already done.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self.closed = False  # the store is closed: a change still on its way is stale

    def close(self) -> None:
        """The store closed: nobody is told anything more."""
        with self._lock:
            self.closed = True
            self._subscribers.clear()

    def subscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._lock:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def publish(self, change: Change) -> None:
        with self._lock:
            subscribers = list(self._subscribers)  # one may unsubscribe while being told
        for subscriber in subscribers:
            try:
                subscriber(change)
            except Exception:
                log.exception("a subscriber to the store's changes failed on %s", change)
