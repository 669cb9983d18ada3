"""Named folders of the user's documents, indexed for search in their own SQLite file.

- ``collections.db`` in the data folder (WAL, ``synchronous=NORMAL``), apart from the
  conversations: an index can always be rebuilt from the folders, and losing it never
  touches a conversation. A damaged or foreign file is set aside, never written to.
- Passages (:func:`app.documents.passages.passages`) are indexed with FTS5's ``trigram``
  tokenizer: any three characters match, so Chinese and Japanese text (no spaces between
  words) is searchable without a word segmenter, and so are parts of identifiers. Terms
  shorter than three characters cannot be trigram-matched; they are looked up with LIKE
  over the same passages. A user's or the model's query never reaches MATCH as it is:
  each term is quoted (``"``, ``*``, ``NEAR(``, ``OR`` are just text).
- Re-indexing is incremental: a file is re-extracted only when its (size, mtime_ns)
  changed; files gone from the folder lose their passages. Each file is committed in its
  own transaction, so a re-index killed mid-way leaves whole files only, and the next one
  carries on where it stopped.
- The walk never follows a symbolic link (to a file or a folder), never leaves the
  folder, skips hidden files and folders and common junk (``.git``, ``node_modules``,
  ``__pycache__``, virtual environments), and files over a size cap. Nothing here opens a
  network connection.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import os
import re
import sqlite3
import stat
import string
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.i18n import translate
from app.core.paths import AppPaths
from app.documents.extract import DEFAULT_LIMITS, DocumentError, ExtractLimits, extract, supported
from app.documents.passages import Passage, passages

log = logging.getLogger(__name__)

DB_NAME = "collections.db"
APPLICATION_ID = 0x51775143  # "QwQC"
SQLITE_HEADER = b"SQLite format 3\x00"
MAX_FILE_BYTES = 64 * 1024 * 1024  # a bigger file is listed as failed, never read
MAX_NAME = 64  # characters of a collection's name
MAX_TERMS = 16  # of a query; the rest are ignored
MAX_TERM = 100  # characters of one term
SNIPPET_CHARS = 240
JUNK = frozenset(
    {
        "node_modules",
        "__pycache__",
        "venv",
        "site-packages",
        "Thumbs.db",
        "desktop.ini",
    }
)  # hidden names (a leading dot: .git, .venv, .DS_Store ...) are skipped anyway

SCHEMA = """
CREATE TABLE collections (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    folder     TEXT NOT NULL,
    created_at REAL NOT NULL,
    indexed_at REAL,
    state      TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'indexing', 'ready'))
);
CREATE TABLE files (
    id            INTEGER PRIMARY KEY,
    collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
    path          TEXT NOT NULL,
    size          INTEGER NOT NULL,
    mtime_ns      INTEGER NOT NULL,
    error         TEXT,
    UNIQUE (collection_id, path)
);
CREATE TABLE passages (
    id         INTEGER PRIMARY KEY,
    file_id    INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    page       INTEGER,
    first_line INTEGER NOT NULL,
    last_line  INTEGER NOT NULL,
    text       TEXT NOT NULL
);
CREATE INDEX passages_by_file ON passages(file_id);
CREATE VIRTUAL TABLE passage_fts USING fts5(
    text, content='passages', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
    INSERT INTO passage_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
    INSERT INTO passage_fts(passage_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
"""
VERSION = 1


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    name: str
    folder: Path
    files: int  # indexed files (failed ones not counted)
    passages: int
    failed: int  # files that could not be read at the last re-index
    indexed_at: float | None  # when the last re-index finished
    state: str  # "new" (never indexed), "indexing" (running or interrupted), "ready"


@dataclass(frozen=True, slots=True)
class FileFailure:
    path: str  # relative to the collection's folder
    reason: str  # one sentence


@dataclass(frozen=True, slots=True)
class ReindexResult:
    added: tuple[str, ...] = ()  # relative paths
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    failed: tuple[FileFailure, ...] = ()
    unchanged: int = 0
    skipped: int = 0  # files of a kind that is not extracted
    passages: int = 0  # passages written by this run
    seconds: float = 0.0
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    collection: str
    passage: Passage  # its name is the path relative to the collection's folder
    snippet: str  # a few lines around the first matching term
    score: float  # higher is better (comparable within one search only)

    @property
    def source(self) -> str:
        """What a citation says: ``paper.pdf p. 12``, ``notes/todo.md l. 10–42``."""
        return self.passage.source

    @property
    def name(self) -> str:
        return self.passage.name

    @property
    def page(self) -> int | None:
        return self.passage.page

    @property
    def lines(self) -> tuple[int, int]:
        return self.passage.first_line, self.passage.last_line

    @property
    def text(self) -> str:
        return self.passage.text


Progress = Callable[[int, int, str], None]  # (files done, files to index, the file's path)


@dataclass(slots=True)
class _Walk:
    files: dict[str, os.stat_result] = field(default_factory=dict)  # supported files
    skipped: int = 0
    failed: list[FileFailure] = field(default_factory=list)


def _no_collection(name: str) -> DocumentError:
    return DocumentError(
        translate("Collections", "There is no collection named “{name}”.").format(name=name)
    )


def _lenient(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


class Collections:
    """The collections of one data folder. Safe to share between threads (a search from
    the model's tool while the window re-indexes): each statement or file's transaction
    holds a lock, extraction does not."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else AppPaths.current().data / DB_NAME
        self.recovered_from: Path | None = None  # where a damaged file was set aside
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError as e:
            raise DocumentError(
                translate("Collections", "Cannot open the collections index {path}: {e}").format(
                    path=self.path, e=e
                )
            ) from None

    def _open(self) -> sqlite3.Connection:
        if self.path.exists() and not self._healthy():
            self.recovered_from = _set_aside(self.path)
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=10.0
        )
        conn.text_factory = _lenient
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            conn.close()
            raise DocumentError(
                translate(
                    "Collections",
                    "{path} was written by a newer QwQ Desktop; update the app to use it.",
                ).format(path=self.path)
            )
        if version < VERSION:
            try:  # one transaction: another process creating it at the same time fails whole
                conn.executescript(
                    f"BEGIN IMMEDIATE;{SCHEMA}PRAGMA application_id = {APPLICATION_ID};"
                    f"PRAGMA user_version = {VERSION};COMMIT;"
                )
            except sqlite3.OperationalError:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if conn.execute("PRAGMA user_version").fetchone()[0] != VERSION:
                    raise
        return conn

    def _healthy(self) -> bool:
        """False for a file that is not SQLite, another program's database or damaged."""
        try:
            with open(self.path, "rb") as f:
                header = f.read(len(SQLITE_HEADER))
            if not header:
                return True  # an empty file: SQLite starts a database in it
            if header != SQLITE_HEADER:
                return False
            conn = sqlite3.connect(self.path, isolation_level=None)
            try:
                app_id = conn.execute("PRAGMA application_id").fetchone()[0]
                tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if app_id != APPLICATION_ID and tables:
                    return False
                return bool(conn.execute("PRAGMA quick_check(1)").fetchone()[0] == "ok")
            finally:
                conn.close()
        except (OSError, sqlite3.DatabaseError):
            return False

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA optimize")
            self._conn.close()

    def __enter__(self) -> Collections:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._sql_errors():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, args: Sequence[object] = ()) -> builtins.list[tuple[Any, ...]]:
        with self._lock, self._sql_errors():
            return self._conn.execute(sql, args).fetchall()

    @contextlib.contextmanager
    def _sql_errors(self) -> Iterator[None]:
        """SQLite's failures (a full disk, a file locked too long) as one sentence."""
        try:
            yield
        except sqlite3.Error as e:
            raise DocumentError(
                translate("Collections", "The collections index {path} failed: {e}").format(
                    path=self.path, e=e
                )
            ) from e

    # -- the collections ------------------------------------------------------------

    def add(self, name: str, folder: Path) -> CollectionInfo:
        """A new collection of ``folder`` (not indexed yet: call :meth:`reindex`)."""
        name = name.strip()
        if not name or len(name) > MAX_NAME or any(ord(c) < 32 for c in name):
            raise DocumentError(
                translate(
                    "Collections",
                    "A collection's name must be 1 to {limit} characters on one line.",
                ).format(limit=MAX_NAME)
            )
        root = Path(folder).expanduser()
        if not root.is_dir():
            raise DocumentError(
                translate("Collections", "{folder} is not a folder.").format(folder=root)
            )
        root = root.resolve()
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM collections WHERE name = ?", (name,)).fetchone():
                raise DocumentError(
                    translate("Collections", "A collection named “{name}” already exists.").format(
                        name=name
                    )
                )
            conn.execute(
                "INSERT INTO collections (name, folder, created_at) VALUES (?, ?, ?)",
                (name, str(root), time.time()),
            )
        return self.info(name)

    def names(self) -> builtins.list[str]:
        """The collections' names, in order (cheap: no counting, for menus and checks)."""
        return [str(n) for (n,) in self._query("SELECT name FROM collections ORDER BY name")]

    def list(self) -> builtins.list[CollectionInfo]:
        """Every collection, by name."""
        rows = self._query(
            "SELECT c.name, c.folder, c.indexed_at, c.state,"
            " (SELECT count(*) FROM files f WHERE f.collection_id = c.id AND f.error IS NULL),"
            " (SELECT count(*) FROM files f WHERE f.collection_id = c.id AND f.error IS NOT NULL),"
            " (SELECT count(*) FROM passages p JOIN files f ON p.file_id = f.id"
            "  WHERE f.collection_id = c.id)"
            " FROM collections c ORDER BY c.name"
        )
        return [
            CollectionInfo(
                name=str(name),
                folder=Path(str(folder)),
                files=int(files),
                passages=int(count),
                failed=int(failed),
                indexed_at=float(at) if isinstance(at, int | float) else None,
                state=str(state),
            )
            for name, folder, at, state, files, failed, count in rows
        ]

    def info(self, name: str) -> CollectionInfo:
        for info in self.list():
            if info.name == name:
                return info
        raise _no_collection(name)

    def remove(self, name: str) -> None:
        """Forget a collection and its index (its folder is not touched)."""
        with self._write() as conn:
            if conn.execute("DELETE FROM collections WHERE name = ?", (name,)).rowcount == 0:
                raise _no_collection(name)

    def file_path(self, collection: str, name: str) -> Path:
        """The file a passage of ``collection`` came from (a hit's ``name``), for "open
        the file": only a file the index holds, and only inside the collection's folder
        (a citation the model wrote may name anything)."""
        cid, root = self._id_and_folder(collection)
        known = self._query(
            "SELECT 1 FROM files WHERE collection_id = ? AND path = ? AND error IS NULL",
            (cid, name),
        )
        path = root / name
        if not known or not path.resolve().is_relative_to(root):
            raise DocumentError(
                translate(
                    "Collections", "“{name}” is not a file of the collection “{collection}”."
                ).format(name=name, collection=collection)
            )
        return path

    def _id_and_folder(self, name: str) -> tuple[int, Path]:
        rows = self._query("SELECT id, folder FROM collections WHERE name = ?", (name,))
        if not rows:
            raise _no_collection(name)
        cid, folder = rows[0]
        return int(cid), Path(str(folder))

    # -- indexing ---------------------------------------------------------------------

    def reindex(
        self,
        name: str,
        *,
        progress: Progress | None = None,
        cancelled: Callable[[], bool] | None = None,
        limits: ExtractLimits = DEFAULT_LIMITS,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> ReindexResult:
        """Bring the index of ``name`` in step with its folder: new and changed files
        extracted, removed ones dropped, each file committed on its own. ``progress`` is
        called after each file written; ``cancelled`` is asked between files (what was
        written stays, and the next re-index carries on)."""
        start = time.monotonic()
        cid, root = self._id_and_folder(name)
        if not root.is_dir():
            raise DocumentError(
                translate(
                    "Collections", "The folder of “{name}” is gone or not readable: {folder}"
                ).format(name=name, folder=root)
            )
        walk = _walk(root, max_file_bytes)
        known = {
            str(path): (int(size), int(mtime), error)
            for path, size, mtime, error in self._query(
                "SELECT path, size, mtime_ns, error FROM files WHERE collection_id = ?", (cid,)
            )
        }
        removed = sorted(set(known) - set(walk.files) - {f.path for f in walk.failed})
        with self._write() as conn:
            conn.execute("UPDATE collections SET state = 'indexing' WHERE id = ?", (cid,))
            for path in removed:
                conn.execute("DELETE FROM files WHERE collection_id = ? AND path = ?", (cid, path))
            for failure in walk.failed:  # counted by list() until a re-index finds it well
                conn.execute(
                    "DELETE FROM files WHERE collection_id = ? AND path = ?", (cid, failure.path)
                )
                conn.execute(
                    "INSERT INTO files (collection_id, path, size, mtime_ns, error)"
                    " VALUES (?, ?, -1, -1, ?)",
                    (cid, failure.path, failure.reason),
                )
        todo = [
            path
            for path, st in sorted(walk.files.items())
            if path not in known
            or known[path][2] is not None  # failed last time: try again
            or known[path][:2] != (st.st_size, st.st_mtime_ns)
        ]
        added: builtins.list[str] = []
        changed: builtins.list[str] = []
        failed = list(walk.failed)
        written = 0

        def result(*, cancelled: bool) -> ReindexResult:
            return ReindexResult(
                tuple(added),
                tuple(changed),
                tuple(removed),
                tuple(failed),
                len(walk.files) - len(todo),
                walk.skipped,
                written,
                time.monotonic() - start,
                cancelled=cancelled,
            )

        for done, path in enumerate(todo, 1):
            if cancelled is not None and cancelled():
                return result(cancelled=True)
            st = walk.files[path]
            try:
                found = self._extract(root, path, limits, cancelled)
                error = None
            except DocumentError as e:
                if cancelled is not None and cancelled():
                    continue  # stopped inside the file: nothing of it was written
                found, error = [], str(e)
                failed.append(FileFailure(path, error))
            except Exception as e:  # a parser's bug on one hostile file: the rest goes on
                log.exception("extracting %s failed", path)
                found = []
                error = translate("Collections", "{path} could not be read ({error}).").format(
                    path=path, error=f"{type(e).__name__}: {e}"
                )
                failed.append(FileFailure(path, error))
            with self._write() as conn:
                if not conn.execute("SELECT 1 FROM collections WHERE id = ?", (cid,)).fetchone():
                    raise _no_collection(name)  # removed meanwhile (the window, a terminal)
                conn.execute("DELETE FROM files WHERE collection_id = ? AND path = ?", (cid, path))
                fid = conn.execute(
                    "INSERT INTO files (collection_id, path, size, mtime_ns, error)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (cid, path, st.st_size, st.st_mtime_ns, error),
                ).lastrowid
                conn.executemany(
                    "INSERT INTO passages (file_id, page, first_line, last_line, text)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [(fid, p.page, p.first_line, p.last_line, p.text) for p in found],
                )
            written += len(found)
            if error is None:
                indexed_before = path in known and known[path][2] is None
                (changed if indexed_before else added).append(path)
            if progress is not None:
                progress(done, len(todo), path)
        with self._write() as conn:
            if written > 10_000:  # many new segments: merge them, searches stay fast
                conn.execute("INSERT INTO passage_fts(passage_fts) VALUES ('optimize')")
            conn.execute(
                "UPDATE collections SET state = 'ready', indexed_at = ? WHERE id = ?",
                (time.time(), cid),
            )
        return result(cancelled=False)

    @staticmethod
    def _extract(
        root: Path, path: str, limits: ExtractLimits, cancelled: Callable[[], bool] | None
    ) -> builtins.list[Passage]:
        full = root / path
        try:
            # The walk saw a regular file inside the folder; check again just before
            # reading, in case it was swapped for a link since.
            if not full.resolve(strict=True).is_relative_to(root) or not stat.S_ISREG(
                full.lstat().st_mode
            ):
                raise DocumentError(
                    translate("Collections", "{path} is no longer a file in the folder.").format(
                        path=path
                    )
                )
        except OSError as e:
            raise DocumentError(
                translate("Collections", "Cannot read {path}: {reason}.").format(
                    path=path, reason=e.strerror or e
                )
            ) from None
        return passages(extract(full, limits, cancelled=cancelled), name=path)

    # -- search -----------------------------------------------------------------------

    def search(
        self, query: str, names: Sequence[str] | None = None, limit: int = 8
    ) -> builtins.list[Hit]:
        """The passages that best match ``query`` in the collections ``names`` (all when
        None), best first. Every term must appear (in any case); when no passage has them
        all, passages with some of them, ranked by BM25 (a CJK term counts by its
        three-character pieces then: "量子力学是什么" finds "量子力学是物理学")."""
        terms = _terms(query)
        if not terms or limit <= 0:
            return []
        ids = self._collection_ids(names)
        if not ids:
            return []
        long = [t for t in terms if len(t) >= 3]
        short = [t for t in terms if len(t) < 3]
        rows = self._search(ids, long, short, every=True, limit=limit)
        some = _some_of(long)
        if not rows and (len(terms) > 1 or some != long):
            rows = self._search(ids, some, short if not some else [], every=False, limit=limit)
        hits = [
            Hit(
                collection=str(cname),
                passage=Passage(str(path), page, first, last, str(text)),
                snippet=_snippet(str(text), terms),
                score=float(score),
            )
            for cname, path, page, first, last, text, score in rows
        ]
        return hits

    def _collection_ids(self, names: Sequence[str] | None) -> dict[int, str]:
        rows = self._query("SELECT id, name FROM collections")
        by_name = {str(n): int(i) for i, n in rows}
        if names is None:
            return {i: n for n, i in by_name.items()}
        for name in names:
            if name not in by_name:
                raise _no_collection(name)
        return {by_name[n]: n for n in names}

    def _search(
        self,
        ids: dict[int, str],
        long: builtins.list[str],
        short: builtins.list[str],
        *,
        every: bool,
        limit: int,
    ) -> builtins.list[tuple[Any, ...]]:
        where_ids = f"f.collection_id IN ({','.join('?' * len(ids))})"
        likes = [
            "p.text LIKE ? ESCAPE '\\'" for _ in short
        ]  # the trigram index cannot match under 3 characters
        like_args = [_like(t) for t in short]
        joiner = " AND " if every else " OR "
        select = (
            "SELECT c.name, f.path, p.page, p.first_line, p.last_line, p.text, {score}"
            " FROM passages p JOIN files f ON p.file_id = f.id"
            " JOIN collections c ON f.collection_id = c.id"
        )
        if long:
            match = joiner.join(_quote(t) for t in long)
            sql = (
                select.format(score="-bm25(passage_fts)")
                + " JOIN passage_fts ON passage_fts.rowid = p.id"
                + f" WHERE passage_fts MATCH ? AND {where_ids}"
                + "".join(f" AND {like}" for like in likes)
                + " ORDER BY bm25(passage_fts) LIMIT ?"
            )
            return self._query(sql, [match, *ids, *like_args, limit])
        # Short terms only: a scan, scored by how often the terms occur.
        sql = select.format(score="0.0") + f" WHERE {where_ids} AND ({joiner.join(likes)}) LIMIT ?"
        rows = self._query(sql, [*ids, *like_args, max(limit * 20, 200)])
        scored = [
            (*row[:6], float(sum(str(row[5]).lower().count(t.lower()) for t in short)))
            for row in rows
        ]
        scored.sort(key=lambda r: -float(r[6]))
        return scored[:limit]


_EDGES = string.punctuation + "，。？！、；：“”‘’（）《》「」【】…—"


def _terms(query: str) -> list[str]:
    """The query's terms: split on white space, punctuation at their ends dropped (a
    question's "notice?" looks for "notice"; a term of punctuation only is kept as it
    is), each at most MAX_TERM characters."""
    seen: dict[str, None] = {}
    for term in query.split():
        seen.setdefault((term.strip(_EDGES) or term)[:MAX_TERM], None)
    return list(seen)[:MAX_TERMS]


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def _some_of(terms: Sequence[str]) -> builtins.list[str]:
    """The terms of the fallback search: a term of CJK text longer than three characters
    (a whole question, unspaced) becomes its overlapping three-character pieces, so
    passages sharing more of them rank first."""
    found: dict[str, None] = {}
    for term in terms:
        if len(term) > 3 and _CJK.search(term):
            for i in range(len(term) - 2):
                found.setdefault(term[i : i + 3], None)
        else:
            found.setdefault(term, None)
    return list(found)[: MAX_TERMS * 2]


def _quote(term: str) -> str:
    """A term as an FTS5 string: matched as text, never read as query syntax."""
    return '"' + term.replace('"', '""') + '"'


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _snippet(text: str, terms: Sequence[str]) -> str:
    """About SNIPPET_CHARS of ``text`` on one line, around the first term found."""
    lower = text.lower()
    at = min((i for t in terms if (i := lower.find(t.lower())) >= 0), default=0)
    start = max(0, at - SNIPPET_CHARS // 3)
    piece = " ".join(text[start : start + SNIPPET_CHARS].split())
    return ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(text) else "")


def _walk(root: Path, max_file_bytes: int) -> _Walk:
    """The supported regular files under ``root`` (relative POSIX paths → their stat),
    without following links, hidden entries or junk folders."""
    walk = _Walk()
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as e:
            rel = folder.relative_to(root).as_posix()
            walk.failed.append(FileFailure(rel, _unreadable(rel, e)))
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name in JUNK:
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as e:
                rel = Path(entry.path).relative_to(root).as_posix()
                walk.failed.append(FileFailure(rel, _unreadable(rel, e)))
                continue
            if _hidden(st):
                continue
            if stat.S_ISDIR(st.st_mode):
                pending.append(Path(entry.path))
                continue
            if not stat.S_ISREG(st.st_mode):
                continue  # links, devices, sockets: never followed or read
            path = Path(entry.path)
            rel = path.relative_to(root).as_posix()
            if not supported(path):
                walk.skipped += 1
            elif not _utf8(rel):
                walk.failed.append(
                    FileFailure(
                        rel.encode("utf-8", "replace").decode("utf-8"),
                        translate("Collections", "The file's name is not valid UTF-8."),
                    )
                )
            elif st.st_size > max_file_bytes:
                walk.failed.append(
                    FileFailure(
                        rel,
                        translate(
                            "Collections",
                            "{path} is larger than {limit} MB, the limit for a collection's file.",
                        ).format(path=rel, limit=max_file_bytes // 1_000_000),
                    )
                )
            else:
                walk.files[rel] = st
    return walk


def _hidden(st: os.stat_result) -> bool:
    """Hidden the Windows way (an attribute) or the macOS way (a flag); a leading dot is
    checked by name."""
    attributes = getattr(st, "st_file_attributes", 0)
    flags = getattr(st, "st_flags", 0)
    return bool(attributes & stat.FILE_ATTRIBUTE_HIDDEN or flags & stat.UF_HIDDEN)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unreadable(rel: str, e: OSError) -> str:
    return translate("Collections", "Cannot read {path}: {reason}.").format(
        path=rel or ".", reason=e.strerror or e
    )


def _set_aside(path: Path) -> Path:
    """Rename a damaged or foreign index (and its -wal, -shm) out of the way."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    n = 0
    while True:
        backup = path.with_name(f"{path.stem}.damaged-{stamp}{f'-{n}' if n else ''}{path.suffix}")
        if not backup.exists():
            break
        n += 1
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(backup.with_name(backup.name + suffix))
    path.rename(backup)
    return backup
