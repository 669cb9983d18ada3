"""Opening the conversation database safely.

- One SQLite file (``conversations.sqlite3``) in the data folder, in WAL mode with
  ``synchronous=NORMAL``: a killed process loses nothing committed; a power cut at
  most the last commits.
- One app instance per data folder: an OS file lock (``conversations.lock``) is taken
  for as long as the store is open. A second instance gets :class:`StoreLockedError`
  with the holder's process id, never a shared, half-written database.
- A database is checked with ``PRAGMA quick_check`` when it opens if it is small, or
  was left by a crash or a kill, or SQLite reported damage while it was used; a big file
  closed cleanly only gets a cheap look (a full check of 340 MB takes 0.7 s).
- A damaged or foreign file is never written to or overwritten: it is renamed to
  ``conversations.<reason>-<time>.sqlite3`` (with its ``-wal``/``-shm``), a new
  database is started, and :attr:`Database.recovered_from` says where the old one is.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import QwQError
from app.core.file_lock import FileLock
from app.core.i18n import translate
from app.store.schema import APPLICATION_ID, LATEST, migrate, version_of

DB_NAME = "conversations.sqlite3"
LOCK_NAME = "conversations.lock"
SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(QwQError):
    """The conversation store cannot do what was asked."""


class StoreLockedError(StoreError):
    """Another QwQ Desktop holds this data folder."""


class StoreFullError(StoreError):
    """The disk (or the database's size limit) is full; nothing was lost in memory."""


class _Damaged(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Recovery:
    backup: Path  # where the damaged or foreign file was kept
    reason: str  # "damaged" or "foreign"


def _store_busy(holder: str, path: Path) -> StoreLockedError:
    return StoreLockedError(
        translate(
            "ConversationStore",
            "QwQ Desktop is already running on this data folder (process {holder}): {folder}. "
            "Close it first, or set QWQ_DESKTOP_HOME to another folder.",
        ).format(holder=holder, folder=path.parent)
    )


# Bytes that are not UTF-8 (a damaged or hand-edited file) are shown, not fatal.
_lenient_text = functools.partial(str, encoding="utf-8", errors="replace")


def connect(path: Path) -> sqlite3.Connection:
    """A connection with our settings; transactions are explicit (BEGIN ... COMMIT)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5.0)
    conn.row_factory = sqlite3.Row
    conn.text_factory = _lenient_text
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


THOROUGH_CHECK_BELOW = 64 * 1024 * 1024  # bytes; quick_check costs ~2 ms/MB


def _needs_thorough_check(path: Path) -> bool:
    """Small files, and files left by a crash or a kill (a -wal file that outlived them)."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size < THOROUGH_CHECK_BELOW or wal.exists() or _marker(path).exists()


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".check")


def request_check(path: Path) -> None:
    """Ask for a full check at the next start (after SQLite reported damage)."""
    with contextlib.suppress(OSError):
        _marker(path).touch()


def _check(path: Path) -> None:
    """Raise _Damaged if ``path`` is not a healthy database of ours."""
    with open(path, "rb") as f:
        header = f.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise _Damaged("foreign" if header else "damaged")
    thorough = _needs_thorough_check(path)  # before connecting: that creates a -wal file
    try:
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app_id != APPLICATION_ID and tables:
                raise _Damaged("foreign")
            if app_id == APPLICATION_ID:
                if version_of(conn) > LATEST:
                    raise StoreError(
                        f"{path} was written by a newer QwQ Desktop; update the app to open it."
                    )
                if thorough:
                    result = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                    if result != "ok":
                        raise _Damaged("damaged")
                    with contextlib.suppress(OSError):
                        _marker(path).unlink(missing_ok=True)
                else:  # a big file closed cleanly: read the schema and the tables' roots
                    conn.execute("SELECT count(*) FROM conversations").fetchone()
                    conn.execute("SELECT max(id) FROM messages").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        raise _Damaged("damaged") from None


def _set_aside(path: Path, reason: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.stem}.{reason}-{stamp}{path.suffix}")
    n = 1
    while backup.exists():
        backup = path.with_name(f"{path.stem}.{reason}-{stamp}-{n}{path.suffix}")
        n += 1
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(backup.with_name(backup.name + suffix))
    path.rename(backup)
    return backup


class Database:
    """The open database of one data folder, with its instance lock held."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / DB_NAME
        self.recovered: Recovery | None = None
        self._lock = FileLock(folder / LOCK_NAME, _store_busy)
        self._lock.acquire()
        try:
            if self.path.exists():
                try:
                    _check(self.path)
                except _Damaged as damaged:
                    self.recovered = Recovery(_set_aside(self.path, damaged.reason), damaged.reason)
            self.conn = connect(self.path)
            self.migrated_from = migrate(self.conn)
        except sqlite3.OperationalError as e:
            self._lock.release()
            raise StoreError(f"Cannot open the conversation database {self.path}: {e}") from e
        except BaseException:
            self._lock.release()
            raise

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA optimize")
        self.conn.close()
        self._lock.release()
