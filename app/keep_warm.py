"""Keeping conversations warm: which conversation the engine's KV cache holds, re-warming
it after each reply, and its snapshot on disk when the user leaves or comes back.

Qt-free and blocking: the window runs each call on a worker thread, the CLI inline.
With a remote engine (no local cache) every call does nothing.
"""

from __future__ import annotations

from app.engine.base import ChatEngine
from app.engine.kv_snapshots import SnapshotCache
from app.store.conversations import ConversationStore


class KeepWarm:
    def __init__(
        self, store: ConversationStore, engine: ChatEngine, snapshots: SnapshotCache | None
    ) -> None:
        self.store = store
        self.engine = engine
        self.snapshots = snapshots
        self.holding: int | None = None  # the conversation whose state the cache holds

    def after_reply(self, conversation_id: int) -> None:
        """A reply is done: re-warm the cache to the branch on screen (answers only),
        then save the conversation's snapshot. Cancelled at once by a new chat()."""
        raise NotImplementedError  # issue 13: the snapshot helper builds it

    def leave(self, conversation_id: int) -> None:
        """The user leaves the conversation (switch, new chat, quit): save its snapshot
        if the cache holds it and it changed since the last save."""
        raise NotImplementedError

    def open(self, conversation_id: int) -> int:
        """The user opens a conversation: restore its snapshot unless the cache already
        holds it; the tokens restored."""
        raise NotImplementedError

    def forget(self, conversation_id: int) -> None:
        """The conversation was deleted: its snapshot goes too."""
        raise NotImplementedError
