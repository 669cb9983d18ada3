"""Rolling backups of the conversation database, with SQLite's backup API.

- A backup is a consistent copy made through its own read connection: in WAL mode a
  reader never blocks the app's writes, and the copy is one snapshot, including what
  is still in the ``-wal`` file. It is written to a temporary name, checked with
  ``PRAGMA quick_check`` and only then renamed, so a listed backup is always whole.
- Backups live in ``backups/`` beside the database, named
  ``conversations-YYYYmmdd-HHMMSS-KIND.sqlite3`` (local time). KIND is ``daily`` (the
  window makes one when the newest is a day old), ``manual`` (``qwq-desktop backups
  --now``) or ``before-restore`` (the database a restore replaced). The newest
  :data:`KEEP` of each kind are kept.
- Restoring goes through the open store (:meth:`ConversationStore.restore_backup`),
  so the data folder's instance lock is held: the current database is backed up
  first, then the backup is copied into it in one transaction.

Qt-free: the window runs :func:`make_if_due` in a worker job, off the GUI thread.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.core.i18n import translate
from app.store.database import SQLITE_HEADER, StoreError
from app.store.schema import APPLICATION_ID, LATEST, version_of

Kind = Literal["daily", "manual", "before-restore"]
KINDS: tuple[Kind, ...] = ("daily", "manual", "before-restore")
KEEP = 7  # of each kind
DAY_S = 24 * 3600.0
FOLDER = "backups"
_NAME = re.compile(
    r"^conversations-(\d{8}-\d{6})(?:-(\d+))?-(daily|manual|before-restore)\.sqlite3$"
)


@dataclass(frozen=True, slots=True)
class Backup:
    path: Path
    kind: Kind
    created_at: float  # from its name (local time)
    order: tuple[str, int]  # sorts backups oldest first
    size: int

    @property
    def name(self) -> str:
        return self.path.name


def folder_of(data: Path) -> Path:
    """Where the backups of the data folder ``data`` are kept."""
    return data / FOLDER


def _parse(path: Path) -> Backup | None:
    match = _NAME.match(path.name)
    if match is None:
        return None
    stamp, n, kind = match.group(1), int(match.group(2) or 0), match.group(3)
    try:
        created = time.mktime(time.strptime(stamp, "%Y%m%d-%H%M%S"))
        size = path.stat().st_size
    except (ValueError, OverflowError, OSError):
        return None
    return Backup(path, kind, created, (stamp, n), size)  # type: ignore[arg-type]


def list_backups(folder: Path) -> list[Backup]:
    """The backups in ``folder``, newest first."""
    try:
        paths = list(folder.iterdir())
    except OSError:
        return []
    found = [b for b in map(_parse, paths) if b is not None]
    return sorted(found, key=lambda b: b.order, reverse=True)


def find(folder: Path, name: str) -> Backup:
    """The backup called ``name`` (a name from the list, not a path)."""
    for b in list_backups(folder):
        if b.name == name:
            return b
    raise StoreError(
        translate(
            "Backup", "There is no backup called {name} in {folder} (see qwq-desktop backups)."
        ).format(name=repr(name), folder=folder)
    )


def _new_path(folder: Path, kind: Kind) -> Path:
    """A name that sorts after every backup already made (several can share a second)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    same_second = [b.order[1] for b in list_backups(folder) if b.order[0] == stamp]
    if not same_second:
        return folder / f"conversations-{stamp}-{kind}.sqlite3"
    return folder / f"conversations-{stamp}-{max(same_second) + 1}-{kind}.sqlite3"


def copy_database(source: sqlite3.Connection, folder: Path, kind: Kind) -> Path:
    """Copy the database behind ``source`` into a new backup file; returns its path."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = _new_path(folder, kind)
        tmp = path.with_name(path.name + ".tmp")
        tmp.unlink(missing_ok=True)
    except OSError as e:
        raise StoreError(
            translate("Backup", "Cannot write a backup in {folder}: {error}").format(
                folder=folder, error=e.strerror or e
            )
        ) from e
    try:
        dest = sqlite3.connect(tmp, isolation_level=None)
        try:
            source.backup(dest)  # one step: one consistent snapshot
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            if dest.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
                raise StoreError(
                    translate("Backup", "The backup did not pass SQLite's check; it was not kept.")
                )
        finally:
            dest.close()
        os.replace(tmp, path)
    except sqlite3.Error as e:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        full = "full" in str(e).lower()
        why = translate("Backup", "the disk is full.") if full else str(e)
        raise StoreError(
            translate("Backup", "Could not back up the conversations to {folder}: {why}").format(
                folder=folder, why=why
            )
        ) from e
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    return path


def make(database: Path, folder: Path, *, kind: Kind = "daily", keep: int = KEEP) -> Backup:
    """Back up ``database`` (open or not; nothing waits for it) and rotate old backups."""
    if not database.is_file():
        raise StoreError(
            translate("Backup", "There is no conversation database at {path} to back up.").format(
                path=database
            )
        )
    try:
        source = sqlite3.connect(database, isolation_level=None, timeout=5.0)
    except sqlite3.Error as e:
        raise StoreError(
            translate("Backup", "Cannot read the conversation database {path}: {error}").format(
                path=database, error=e
            )
        ) from e
    try:
        source.execute("PRAGMA query_only = ON")
        path = copy_database(source, folder, kind)
    finally:
        source.close()
    rotate(folder, keep=keep)
    made = _parse(path)
    assert made is not None
    return made


def make_if_due(
    database: Path, folder: Path, *, every_s: float = DAY_S, keep: int = KEEP
) -> Backup | None:
    """A daily backup, if the newest one is older than ``every_s`` (or there is none)."""
    daily = [b for b in list_backups(folder) if b.kind == "daily"]
    if daily and 0 <= time.time() - daily[0].created_at < every_s:
        return None  # (one from the "future", after the clock went back, does not count)
    if not database.exists():
        return None
    return make(database, folder, kind="daily", keep=keep)


def rotate(folder: Path, *, keep: int = KEEP) -> list[Path]:
    """Delete all but the newest ``keep`` backups of each kind; returns what went."""
    gone: list[Path] = []
    for kind in KINDS:
        for old in [b for b in list_backups(folder) if b.kind == kind][keep:]:
            with contextlib.suppress(OSError):
                old.path.unlink()
                gone.append(old.path)
    return gone


def read_only_uri(path: Path) -> str:
    return f"{path.resolve().as_uri()}?mode=ro"


def check(path: Path) -> None:
    """Raise StoreError unless ``path`` is a whole conversation database of ours."""
    try:
        with open(path, "rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as e:
        raise StoreError(
            translate("Backup", "Cannot read the backup {name}: {error}").format(
                name=path.name, error=e.strerror or e
            )
        ) from e
    if header != SQLITE_HEADER:
        raise StoreError(
            translate("Backup", "{name} is not a SQLite database; nothing was restored.").format(
                name=path.name
            )
        )
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True, isolation_level=None)
        try:
            if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                raise StoreError(
                    translate(
                        "Backup", "{name} is not a QwQ Desktop database; nothing was restored."
                    ).format(name=path.name)
                )
            if version_of(conn) > LATEST:
                raise StoreError(
                    translate(
                        "Backup",
                        "{name} was written by a newer QwQ Desktop; update the app to restore it.",
                    ).format(name=path.name)
                )
            if conn.execute("PRAGMA quick_check(1)").fetchone()[0] != "ok":
                raise StoreError(
                    translate("Backup", "{name} is damaged; nothing was restored.").format(
                        name=path.name
                    )
                )
        finally:
            conn.close()
    except sqlite3.Error as e:
        raise StoreError(
            translate("Backup", "{name} cannot be read ({error}); nothing was restored.").format(
                name=path.name, error=e
            )
        ) from e
