"""Keeping conversations warm: which conversation the engine's KV cache holds, re-warming
it after each reply, and its snapshot on disk when the user leaves or comes back.

Qt-free and blocking: the window runs each call on a worker thread, the CLI inline.
With a remote engine (no local cache) every call does nothing. A snapshot or a re-warm
that fails is a log line, never an error: at worst the next follow-up processes its
prompt as it would have without them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from app.core.tool_calls import ToolSpec
from app.engine.base import ChatEngine, KVCache
from app.engine.kv_snapshots import SnapshotCache, SnapshotSaved
from app.session import CUT_SHORT, history_of
from app.store.conversations import ConversationStore

log = logging.getLogger(__name__)

MIN_PROMPT_SAMPLE = 256  # prompt tokens processed for a reply to measure the speed


class KeepWarm:
    def __init__(
        self, store: ConversationStore, engine: ChatEngine, snapshots: SnapshotCache | None
    ) -> None:
        self.store = store
        self.engine = engine
        self.snapshots = snapshots
        # The tools the next reply offers: they are in its prompt, so the cache is warmed
        # with them (the face sets them with the session's).
        self.tools: Sequence[ToolSpec] = ()
        self.holding: int | None = None  # the conversation whose state the cache holds
        self.last_saved: SnapshotSaved | None = None  # the outcome of the last save
        self._dirty = False  # the cache changed since its snapshot was saved or restored
        self._lock = threading.RLock()  # one call at a time

    def _local(self) -> KVCache | None:
        return self.engine.kv_cache

    def after_reply(self, conversation_id: int) -> None:
        """A reply is done: re-warm the cache to the branch on screen (answers only),
        then save the conversation's snapshot. Cancelled at once by a new chat().

        A reply cut short (stopped, out of tokens, failed) is not re-warmed: its trace
        stays in the cache for Continue; the cache is saved when the user leaves."""
        engine = self._local()
        if engine is None:
            return
        with self._lock:
            try:
                conversation = self.store.get(conversation_id)
                branch = self.store.branch(conversation_id)
            except Exception as e:  # deleted meanwhile, or the store failed
                log.warning("no re-warm for conversation %d: %s", conversation_id, e)
                return
            self.holding, self._dirty = conversation_id, True
            if not branch or branch[-1].role != "assistant" or not branch[-1].content:
                return
            last = branch[-1]
            self._note_prompt_speed(engine, last.stats)
            if last.status != "done" or last.finish_reason in CUT_SHORT:
                return
            try:
                result = engine.prewarm(
                    history_of(branch, conversation.system_prompt), tools=self.tools
                )
            except Exception as e:  # busy with a reply, or llama.cpp failed: stays cold
                log.warning("re-warm of conversation %d failed: %s", conversation_id, e)
                return
            if result.cancelled:  # a new chat cut it short: its half state is not saved
                log.info("re-warm of conversation %d cancelled by a new reply", conversation_id)
                return
            self._save(engine, conversation_id)

    def leave(self, conversation_id: int) -> None:
        """The user leaves the conversation (switch, new chat, quit): save its snapshot
        if the cache holds it and it changed since the last save."""
        engine = self._local()
        if engine is None:
            return
        with self._lock:
            if self.holding == conversation_id and self._dirty:
                self._save(engine, conversation_id)

    def open(self, conversation_id: int) -> int:
        """The user opens a conversation: restore its snapshot unless the cache already
        holds it; the tokens restored."""
        engine = self._local()
        if engine is None:
            return 0
        with self._lock:
            if self.holding == conversation_id:
                return 0
            if self.holding is not None:  # not left properly: keep its state first
                self.leave(self.holding)
            if self.snapshots is None:
                return 0
            restored = self.snapshots.restore(engine, conversation_id)
            if restored > 0:
                self.holding, self._dirty = conversation_id, False
            elif engine.cached_tokens == 0:  # a refused file emptied the cache
                self.holding, self._dirty = None, False
            return restored

    def forget(self, conversation_id: int) -> None:
        """The conversation was deleted: its snapshot goes too."""
        with self._lock:
            if self.snapshots is not None:
                self.snapshots.delete(conversation_id)
            if self.holding == conversation_id:
                self.holding, self._dirty = None, False

    def _note_prompt_speed(self, engine: KVCache, stats: dict[str, Any]) -> None:
        """A reply that processed a long prompt measures how fast this machine reads one:
        the snapshots weigh it against restoring (the faster path is taken)."""
        processed = stats.get("prompt_tokens_processed")
        seconds = stats.get("prompt_seconds")
        if (
            self.snapshots is not None
            and isinstance(processed, int)
            and processed >= MIN_PROMPT_SAMPLE
            and isinstance(seconds, int | float)
            and seconds > 0
        ):
            self.snapshots.remember_speeds(engine, prompt_tokens_per_s=processed / seconds)

    def _save(self, engine: KVCache, conversation_id: int) -> None:
        if self.snapshots is None:
            return
        self.last_saved = self.snapshots.save(engine, conversation_id)
        if self.last_saved.saved:
            self._dirty = False
