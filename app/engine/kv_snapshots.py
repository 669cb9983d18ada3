"""Conversation snapshots on disk: a conversation's KV cache, saved when the user
leaves it and restored when it is opened again, so its follow-up starts warm.

Rules (issue 13):
- a snapshot is used only with the same ``LocalEngine.state_key`` (model file, context
  size, KV-cache type, llama.cpp build); any other is removed, never loaded;
- writes are atomic (temporary name, fsync, rename) and a damaged or truncated file is
  detected and ignored;
- a disk budget with least-recently-used eviction; saving that would exceed the budget
  or the free space is skipped and logged, never fails a reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.engine.local_engine import LocalEngine

DEFAULT_BUDGET_BYTES = 16 * 2**30


@dataclass(frozen=True, slots=True)
class SnapshotSaved:
    saved: bool
    tokens: int = 0
    size: int = 0  # bytes on disk
    why_not: str = ""  # when not saved: over the budget, the disk is full, ...


class SnapshotCache:
    """Snapshots keyed by conversation id, in ``folder`` (AppPaths.cache / "kv")."""

    def __init__(self, folder: Path, budget_bytes: int = DEFAULT_BUDGET_BYTES) -> None:
        self.folder = folder
        self.budget_bytes = budget_bytes

    def save(self, engine: LocalEngine, conversation_id: int) -> SnapshotSaved:
        raise NotImplementedError  # issue 13: the snapshot helper builds it

    def restore(self, engine: LocalEngine, conversation_id: int) -> int:
        """Load the conversation's snapshot into ``engine``; the tokens restored (0: none
        usable, and a mismatched or damaged one is removed)."""
        raise NotImplementedError

    def delete(self, conversation_id: int) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def usage(self) -> int:
        """Bytes on disk."""
        raise NotImplementedError
