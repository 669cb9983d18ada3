"""Conversation snapshots on disk: a conversation's KV cache, saved when the user
leaves it and restored when it is opened again, so its follow-up starts warm.

Rules (issue 13):
- a snapshot is used only with the same ``LocalEngine.state_key`` (model file, context
  size, KV-cache type, llama.cpp build); any other is removed, never loaded;
- writes are atomic (temporary name, fsync, rename) and a damaged or truncated file is
  detected and ignored;
- a disk budget with least-recently-used eviction; saving that would exceed the budget
  or the free space is skipped and logged, never fails a reply.

On disk, per conversation: ``<id>.kvstate`` (what ``LocalEngine.save_state`` writes: the
tokens and their KV state as llama.cpp streams them, sealed with their size and CRC-32,
see :mod:`app.engine.kv_state`) and ``<id>.json`` (the sidecar: the engine's state key,
tokens, bytes, when it was last used). The old sidecar is removed before the new state
file is renamed into place, and the new sidecar written after, so a crash in between
leaves a state without a sidecar, or a sidecar whose size does not match: that snapshot
is ignored and removed, never loaded. The content's checksum is checked by
``load_state`` before llama.cpp reads the file (checking it here too would read a
multi-GB file once more); a file it refuses is removed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from app.core.paths import AppPaths
from app.core.settings import AppSettings
from app.engine.base import KVCache

log = logging.getLogger(__name__)

DEFAULT_BUDGET_BYTES = 16 * 2**30
DEFAULT_KEEP_FREE_BYTES = 2**30  # never fill the disk: leave this much free
STATE_SUFFIX = ".kvstate"
META_SUFFIX = ".json"
TMP_SUFFIX = ".tmp"
STALE_TMP_S = 600.0  # a temporary file this old is a crashed save's leftover
FILE_OVERHEAD = 4096  # a state file's headers and seal, beyond llama.cpp's count
SPEEDS = "speeds.json"  # restore and prompt speeds measured on this machine
HALF_GRACE_S = 60.0  # a state without its sidecar (or the reverse) younger than this is spared
FORMAT = 1


@dataclass(frozen=True, slots=True)
class SnapshotSaved:
    saved: bool
    tokens: int = 0
    size: int = 0  # bytes on disk
    why_not: str = ""  # when not saved: over the budget, the disk is full, ...


@dataclass(frozen=True, slots=True)
class _Entry:
    conversation_id: int
    tokens: int
    size: int
    last_used: float
    state_key: dict[str, Any]


def budget_of(settings: AppSettings) -> int:
    """The disk budget in bytes from the settings' ``snapshot_budget_gb`` (GiB; 0: off);
    the default where the setting is missing or not a number."""
    value = getattr(settings, "snapshot_budget_gb", None)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return DEFAULT_BUDGET_BYTES
    return max(0, int(value * 2**30))


def default_cache(paths: AppPaths | None = None) -> SnapshotCache:
    """The app's snapshots: in the cache folder's ``kv``, with the budget the settings give."""
    paths = paths or AppPaths.current()
    return SnapshotCache(paths.cache / "kv", budget_of(AppSettings.load(paths)))


def _tmp_name(path: Path) -> Path:
    return path.with_name(f"{path.name}.{os.getpid()}-{secrets.token_hex(4)}{TMP_SUFFIX}")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomically: a temporary name, fsync, rename."""
    tmp = _tmp_name(path)
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        _unlink(tmp)


def _digest(key: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def _average(old: object, new: float) -> float:
    """A running average that follows the machine but not one odd measurement."""
    if isinstance(old, int | float) and not isinstance(old, bool) and old > 0:
        return 0.5 * float(old) + 0.5 * new
    return new


def _sync_file(path: Path) -> None:
    """Flush what llama.cpp wrote to the disk before the rename makes it the snapshot."""
    with open(path, "r+b") as f:
        os.fsync(f.fileno())


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (POSIX; Windows has no directory fsync)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as e:
        log.warning("cannot remove %s: %s", path, e)


class SnapshotCache:
    """Snapshots keyed by conversation id, in ``folder`` (AppPaths.cache / "kv").

    ``budget_bytes`` 0 turns snapshots off. Thread-safe: every call holds one lock."""

    def __init__(
        self,
        folder: Path,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        keep_free_bytes: int = DEFAULT_KEEP_FREE_BYTES,
    ) -> None:
        self.folder = folder
        self.budget_bytes = budget_bytes
        self.keep_free_bytes = keep_free_bytes
        self._lock = threading.RLock()

    # -- files -------------------------------------------------------------------------

    def state_path(self, conversation_id: int) -> Path:
        return self.folder / f"{conversation_id}{STATE_SUFFIX}"

    def _meta_path(self, conversation_id: int) -> Path:
        return self.folder / f"{conversation_id}{META_SUFFIX}"

    def _read_meta(self, conversation_id: int) -> _Entry | None:
        try:
            data = json.loads(self._meta_path(conversation_id).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                return None
            key = data["state_key"]
            if not isinstance(key, dict):
                return None
            return _Entry(
                conversation_id=conversation_id,
                tokens=int(data["tokens"]),
                size=int(data["size"]),
                last_used=float(data["last_used"]),
                state_key=key,
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def _write_meta(self, entry: _Entry) -> None:
        """The sidecar, atomically (temporary name, fsync, rename)."""
        data = {
            "format": FORMAT,
            "state_key": entry.state_key,
            "tokens": entry.tokens,
            "size": entry.size,
            "last_used": entry.last_used,
        }
        _write_json(self._meta_path(entry.conversation_id), data)

    @staticmethod
    def _tmp_name(path: Path) -> Path:
        return _tmp_name(path)

    def _ids(self) -> list[int]:
        try:
            names = [p.name for p in self.folder.iterdir()]
        except OSError:
            return []
        ids = set()
        for name in names:
            for suffix in (STATE_SUFFIX, META_SUFFIX):
                stem = name.removesuffix(suffix)
                if stem != name and stem.isdigit():
                    ids.add(int(stem))
        return sorted(ids)

    def _entries(self) -> list[_Entry]:
        """The complete snapshots; a half one (a state without its sidecar or the other
        way round) is removed, and so is a crashed save's old temporary file."""
        entries = []
        for cid in self._ids():
            entry = self._read_meta(cid)
            state = self.state_path(cid)
            if entry is None or not state.exists():
                if not self._young(cid):  # else another process may be saving it now
                    self._remove(cid)
                continue
            entries.append(entry)
        self._clean_temporary()
        return entries

    def _clean_temporary(self) -> None:
        now = time.time()
        try:
            leftovers = [p for p in self.folder.iterdir() if p.name.endswith(TMP_SUFFIX)]
        except OSError:
            return
        for p in leftovers:
            try:
                if now - p.stat().st_mtime > STALE_TMP_S:
                    log.info("removing a crashed save's leftover %s", p.name)
                    _unlink(p)
            except OSError:
                continue

    def _young(self, conversation_id: int) -> bool:
        now = time.time()
        for p in (self.state_path(conversation_id), self._meta_path(conversation_id)):
            try:
                if now - p.stat().st_mtime < HALF_GRACE_S:
                    return True
            except OSError:
                continue
        return False

    def _remove(self, conversation_id: int) -> None:
        _unlink(self._meta_path(conversation_id))  # the sidecar first: never a loadable half
        _unlink(self.state_path(conversation_id))

    # -- the API -------------------------------------------------------------------------

    def save(self, engine: KVCache, conversation_id: int) -> SnapshotSaved:
        """Write the engine's cache as the conversation's snapshot, replacing the old
        one atomically. Never raises: a snapshot that cannot be saved is skipped, and
        ``why_not`` (also logged) says why."""
        with self._lock:
            try:
                result = self._save(engine, conversation_id)
            except Exception as e:  # a snapshot must never fail a reply
                result = SnapshotSaved(False, why_not=f"it could not be written: {e}")
            if result.saved:
                log.info(
                    "snapshot of conversation %d saved: %d tokens, %d bytes",
                    conversation_id,
                    result.tokens,
                    result.size,
                )
            else:
                log.warning(
                    "snapshot of conversation %d not saved: %s", conversation_id, result.why_not
                )
            return result

    def _save(self, engine: KVCache, conversation_id: int) -> SnapshotSaved:
        if self.budget_bytes <= 0:
            return SnapshotSaved(False, why_not="snapshots are off (a budget of 0)")
        tokens = engine.cached_tokens
        if tokens <= 0:
            return SnapshotSaved(False, why_not="the cache is empty")
        key = engine.state_key
        self.folder.mkdir(parents=True, exist_ok=True)
        entries = self._entries()
        others = [e for e in entries if e.conversation_id != conversation_id]
        estimate = self._estimate(engine, key, tokens, entries)
        why = self._make_room(others, estimate, replacing=conversation_id)
        if why:
            return SnapshotSaved(False, tokens, estimate, why)

        final = self.state_path(conversation_id)
        tmp = self._tmp_name(final)
        try:
            saved = engine.save_state(tmp)
            if saved <= 0:
                return SnapshotSaved(False, why_not="llama.cpp wrote no state")
            size = tmp.stat().st_size
            _sync_file(tmp)
            others = [e for e in self._entries() if e.conversation_id != conversation_id]
            if size > self.budget_bytes:
                return SnapshotSaved(
                    False, saved, size, f"it is larger ({size:,} bytes) than the disk budget"
                )
            # The estimate was short: evict what the real size needs (the file is written).
            why = self._make_room(others, size, replacing=conversation_id, written=True)
            if why:
                return SnapshotSaved(False, saved, size, why)
            entry = _Entry(conversation_id, saved, size, time.time(), dict(key))
            _unlink(self._meta_path(conversation_id))  # the old sidecar must not describe it
            os.replace(tmp, final)
            self._write_meta(entry)
            _sync_folder(self.folder)
            return SnapshotSaved(True, saved, size)
        finally:
            _unlink(tmp)

    def _estimate(
        self, engine: KVCache, key: dict[str, Any], tokens: int, entries: list[_Entry]
    ) -> int:
        """The bytes the snapshot will take: llama.cpp's own count (exact: a sliding-window
        cache does not grow with the tokens), else from an earlier snapshot of the same
        engine (bytes per token)."""
        counted = engine.state_size()
        if counted > 0:
            return counted + 4 * tokens + FILE_OVERHEAD  # the tokens, headers, the seal
        ratios = [e.size / e.tokens for e in entries if e.state_key == key and e.tokens > 0]
        return int(max(ratios) * tokens) if ratios else 0

    def _make_room(
        self, others: list[_Entry], needed: int, *, replacing: int, written: bool = False
    ) -> str:
        """Evict the least recently used of ``others`` until ``needed`` bytes fit in the
        budget and on the disk; "" when they fit, else why not."""
        if needed > self.budget_bytes:
            return (
                f"it would take about {needed:,} bytes, more than the disk budget "
                f"({self.budget_bytes:,} bytes)"
            )
        others = sorted(others, key=lambda e: e.last_used)
        old = self._read_meta(replacing)
        replaced = old.size if old is not None else 0

        def fits() -> str:
            used = sum(e.size for e in others)
            if used + needed > self.budget_bytes:
                return "over the disk budget"
            try:
                free = shutil.disk_usage(self.folder).free
            except OSError as e:
                return f"the free space is unknown: {e}"
            # Written already: it takes its room now, and the old one it replaces goes.
            room = free + replaced if written else free
            if room - (0 if written else needed) < self.keep_free_bytes:
                return (
                    f"the disk is nearly full ({free:,} bytes free, "
                    f"{self.keep_free_bytes:,} kept free)"
                )
            return ""

        why = fits()
        while why and others:
            victim = others.pop(0)
            log.info(
                "evicting the snapshot of conversation %d (least recently used)",
                victim.conversation_id,
            )
            self._remove(victim.conversation_id)
            why = fits()
        return why

    def restore(self, engine: KVCache, conversation_id: int) -> int:
        """Load the conversation's snapshot into ``engine``; the tokens restored (0: none
        usable, and a mismatched or damaged one is removed)."""
        with self._lock:
            try:
                return self._restore(engine, conversation_id)
            except Exception as e:  # a snapshot must never fail a reply
                log.warning("snapshot of conversation %d not restored: %s", conversation_id, e)
                return 0

    def _restore(self, engine: KVCache, conversation_id: int) -> int:
        if self.budget_bytes <= 0:
            return 0
        state = self.state_path(conversation_id)
        entry = self._read_meta(conversation_id)
        if entry is None or not state.exists():
            if entry is not None or state.exists():
                log.warning("snapshot of conversation %d is incomplete: removed", conversation_id)
                self._remove(conversation_id)
            return 0
        if entry.state_key != engine.state_key:
            log.info(
                "snapshot of conversation %d is for another model, context or build: removed",
                conversation_id,
            )
            self._remove(conversation_id)
            return 0
        if state.stat().st_size != entry.size:
            log.warning("snapshot of conversation %d is damaged: removed", conversation_id)
            self._remove(conversation_id)
            return 0
        slower = self._slower_than_reading(engine, entry)
        if slower:
            log.info("snapshot of conversation %d not restored: %s", conversation_id, slower)
            return 0
        started = time.perf_counter()
        restored = engine.load_state(state)
        elapsed = time.perf_counter() - started
        if restored <= 0:
            log.warning(
                "snapshot of conversation %d refused (damaged, or not this engine's): removed",
                conversation_id,
            )
            self._remove(conversation_id)
            return 0
        self._write_meta(replace(entry, last_used=time.time()))
        if elapsed > 0:
            self.remember_speeds(restore_bytes_per_s=entry.size / elapsed)
        log.info(
            "snapshot of conversation %d restored: %d tokens in %.2f s",
            conversation_id,
            restored,
            elapsed,
        )
        return restored

    # -- which is faster here: restoring, or reading the conversation again ----------------

    def speeds(self, engine: KVCache) -> tuple[float | None, float | None]:
        """What this machine was measured at: restoring (bytes a second, from this
        folder's disk) and processing a prompt (tokens a second, with this engine)."""
        with self._lock:
            data = self._read_speeds()
            restore = data.get("restore_bytes_per_s")
            prompt = data.get("prompt_tokens_per_s", {})
            prompt = prompt.get(_digest(engine.state_key)) if isinstance(prompt, dict) else None
            return (
                float(restore) if isinstance(restore, int | float) and restore > 0 else None,
                float(prompt) if isinstance(prompt, int | float) and prompt > 0 else None,
            )

    def remember_speeds(
        self,
        engine: KVCache | None = None,
        *,
        prompt_tokens_per_s: float | None = None,
        restore_bytes_per_s: float | None = None,
    ) -> None:
        """Keep a measured speed (a running average) in ``speeds.json``; never raises."""
        with self._lock:
            try:
                data = self._read_speeds()
                if restore_bytes_per_s is not None and restore_bytes_per_s > 0:
                    data["restore_bytes_per_s"] = _average(
                        data.get("restore_bytes_per_s"), restore_bytes_per_s
                    )
                if engine is not None and prompt_tokens_per_s is not None:
                    prompt = data.get("prompt_tokens_per_s")
                    prompt = prompt if isinstance(prompt, dict) else {}
                    key = _digest(engine.state_key)
                    prompt[key] = _average(prompt.get(key), prompt_tokens_per_s)
                    data["prompt_tokens_per_s"] = prompt
                self.folder.mkdir(parents=True, exist_ok=True)
                _write_json(self.folder / SPEEDS, data)
            except Exception as e:  # a speed not kept is measured again
                log.warning("cannot keep the measured speeds: %s", e)

    def _read_speeds(self) -> dict[str, Any]:
        try:
            data = json.loads((self.folder / SPEEDS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _slower_than_reading(self, engine: KVCache, entry: _Entry) -> str:
        """Why reading the conversation again is faster here than restoring it ("" when
        restoring is faster, or when either speed is not known yet)."""
        restore_speed, prompt_speed = self.speeds(engine)
        if restore_speed is None or prompt_speed is None:
            return ""
        restoring = entry.size / restore_speed
        reading = entry.tokens / prompt_speed
        if restoring <= reading:
            return ""
        return (
            f"reading its {entry.tokens:,} tokens again (about {reading:.1f} s) is faster "
            f"on this machine than restoring {entry.size:,} bytes (about {restoring:.1f} s)"
        )

    def delete(self, conversation_id: int) -> None:
        with self._lock:
            self._remove(conversation_id)

    def clear(self) -> None:
        """Remove every snapshot (and any temporary file) in the folder; the speeds
        measured stay."""
        with self._lock:
            try:
                files = list(self.folder.iterdir())
            except OSError:
                return
            for p in files:
                if p.name != SPEEDS and p.name.endswith((STATE_SUFFIX, META_SUFFIX, TMP_SUFFIX)):
                    _unlink(p)

    def usage(self) -> int:
        """Bytes on disk."""
        with self._lock:
            total = 0
            try:
                files = list(self.folder.iterdir())
            except OSError:
                return 0
            for p in files:
                if p.name != SPEEDS and p.name.endswith((STATE_SUFFIX, META_SUFFIX, TMP_SUFFIX)):
                    try:
                        total += p.stat().st_size
                    except OSError:
                        continue
            return total

    def has(self, conversation_id: int) -> bool:
        """Whether the conversation has a complete snapshot (not checked against an engine)."""
        with self._lock:
            return (
                self._read_meta(conversation_id) is not None
                and self.state_path(conversation_id).exists()
            )
