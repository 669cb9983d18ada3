"""Conversations and messages in SQLite: the store every face reads and writes.

Thread-safe: one connection guarded by a lock (SQLite in WAL mode lets the GUI read
while a generation thread writes). Writes that hit a full disk raise
:class:`StoreFullError`; the caller keeps its in-memory copy and retries.

What comes in is checked (:mod:`app.store.validate`): an import or an undone delete
field by field before anything is written; every row read back too, so a bad value
already in the file (hand-edited, another version, a damaged disk) is read as a safe
default and its row's ``damaged`` names the fields, instead of crashing a reader.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from app.core.attachments import Attachment
from app.core.i18n import translate
from app.core.paths import AppPaths
from app.core.thinking import InsertedSpan, ReasonEnded
from app.core.tool_rounds import ToolRound, rounds_json
from app.store import backup, validate
from app.store.changes import Change, ChangeKind, Changes
from app.store.database import Database, Recovery, StoreError, StoreFullError, request_check
from app.store.schema import migrate
from app.store.validate import Invalid

Status = Literal["streaming", "done", "interrupted"]
HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"  # around matched words in search snippets
TITLE_LENGTH = 60
RANK_WINDOW = 3000  # a search ranks at most this many of the newest matching messages
T = TypeVar("T")


class InvalidConversationError(StoreError):
    """A conversation to restore (an import, an undone delete) holds a bad field."""


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    title: str
    title_is_custom: bool
    created_at: float
    updated_at: float
    pinned: bool
    model: str
    system_prompt: str
    sampling: dict[str, Any]
    current_leaf: int | None
    damaged: str = ""  # the fields that could not be read back (defaults shown instead)
    # The thinking budget chosen for this conversation: {"budget_tokens": n,
    # "budget_seconds": s}, either may be None (no limit); {}: the app's default.
    thinking: dict[str, Any] = field(default_factory=dict)
    # The tools the user allowed for the whole conversation ("Allow in this conversation").
    allowed_tools: tuple[str, ...] = ()
    # The document collections QwQ searches in this conversation (by name).
    collections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    conversation_id: int
    parent_id: int | None
    role: str
    content: str  # for an assistant: the answer
    reasoning: str
    created_at: float
    status: Status
    finish_reason: str | None = None
    reasoning_finished: bool = False
    thinking_seconds: float = 0.0
    stats: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    model: str = ""
    damaged: str = ""  # the fields that could not be read back (defaults shown instead)
    reasoning_ended_by: ReasonEnded | None = None  # who closed the trace; None: it never closed
    inserted: tuple[InsertedSpan, ...] = ()  # parts of the trace the app or the user wrote
    # A reply that used tools: its rounds of calls before the last round (which is this
    # message's own content and reasoning); see app.core.tool_rounds.
    tool_rounds: tuple[ToolRound, ...] = ()
    # A user's message: the files attached to it, their text kept (app.core.attachments).
    attachments: tuple[Attachment, ...] = ()


def spans_of(raw: list[list[Any]]) -> tuple[InsertedSpan, ...]:
    return tuple(InsertedSpan(int(a), int(b), by) for a, b, by in raw)


def spans_json(spans: Sequence[InsertedSpan]) -> str:
    return json.dumps([[s.start, s.end, s.by] for s in spans])


@dataclass(frozen=True, slots=True)
class SearchHit:
    conversation_id: int
    message_id: int | None  # None: the title matched
    title: str
    field: Literal["title", "answer", "reasoning", "prompt"]
    snippet: str  # matched words between HIGHLIGHT_START and HIGHLIGHT_END
    rank: float


def title_from(text: str) -> str:
    """A conversation title from the user's first message: its first words, one line."""
    words = " ".join(text.split())
    if len(words) <= TITLE_LENGTH:
        return words
    cut = words.rfind(" ", 0, TITLE_LENGTH)
    return words[: cut if cut > TITLE_LENGTH // 2 else TITLE_LENGTH].rstrip(" ,.;:") + "…"


def fts_query(text: str) -> str | None:
    """User words as a safe FTS5 query: every word must match, the last as a prefix."""
    words = re.findall(r"\w+", text)
    if not words:
        return None
    quoted = ['"' + w.replace('"', '""') + '"' for w in words[:12]]
    return " ".join(quoted) + "*"


class _Reader:
    """A stored row's fields, checked: a bad value becomes a safe default and is noted.

    Rows are written by this module and checked on import, but a file can also be
    edited by hand, written by another version or damaged on disk; whatever it holds,
    reading it must not crash the window or the command line.
    """

    def __init__(self, row: sqlite3.Row) -> None:
        self.row = row
        self.problems: list[str] = []

    def get(
        self,
        key: str,
        check: Callable[[Any], T],
        default: T,
        salvage: Callable[[Any], T] | None = None,
    ) -> T:
        """The field if it passes ``check``; else what ``salvage`` keeps of it, or ``default``."""
        try:
            return check(self.row[key])
        except Invalid:
            self.problems.append(key)
            return default if salvage is None else salvage(self.row[key])

    def text(self, key: str) -> str:
        value = self.row[key]
        if isinstance(value, str):
            return value  # invalid UTF-8 was already replaced (database._lenient_text)
        if isinstance(value, bytes):
            self.problems.append(key)
            return value.decode("utf-8", "replace")
        self.problems.append(key)
        return "" if value is None else str(value)

    @property
    def damaged(self) -> str:
        """The unreadable fields' names, or ""."""
        return ", ".join(self.problems)


def _as_text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def _reference(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"must be a row id, not {validate.shown(value)}")
    return value


def _salvaged_stats(raw: Any) -> dict[str, Any]:
    """The readable figures of a reply's stats that did not all pass."""
    try:
        figures = validate.json_object(raw, lambda v: v if isinstance(v, dict) else {})
    except Invalid:
        return {}
    return validate.clean_stats(figures)


def _row_id(value: Any) -> int:
    return validate.count(value, low=-(2**63), high=2**63 - 1)


def _conversation(row: sqlite3.Row) -> Conversation:
    r = _Reader(row)
    return Conversation(
        id=row["id"],
        title=r.text("title"),
        title_is_custom=r.get("title_is_custom", validate.flag, False),
        created_at=r.get("created_at", validate.timestamp, 0.0),
        updated_at=r.get("updated_at", validate.timestamp, 0.0),
        pinned=r.get("pinned", validate.flag, False),
        model=r.text("model"),
        system_prompt=r.text("system_prompt"),
        sampling=r.get("sampling", lambda v: validate.json_object(v, validate.sampling), {}),
        current_leaf=r.get("current_leaf", _reference, None),
        thinking=r.get("thinking", lambda v: validate.json_object(v, validate.thinking), {}),
        allowed_tools=tuple(r.get("allowed_tools", _json_list(validate.allowed_tools), [])),
        collections=tuple(r.get("collections", _json_list(validate.collections), [])),
        damaged=r.damaged,
    )


def _message(row: sqlite3.Row) -> StoredMessage:
    r = _Reader(row)
    return StoredMessage(
        id=row["id"],
        conversation_id=r.get("conversation_id", _row_id, 0),
        parent_id=r.get("parent_id", _reference, None),
        role=r.get("role", lambda v: validate.choice(v, validate.ROLES), "assistant"),
        content=r.text("content"),
        reasoning=r.text("reasoning"),
        created_at=r.get("created_at", validate.timestamp, 0.0),
        status=cast(
            Status, r.get("status", lambda v: validate.choice(v, validate.STATUSES), "done")
        ),
        finish_reason=r.get("finish_reason", validate.finish_reason, None),
        reasoning_finished=r.get("reasoning_finished", validate.flag, False),
        thinking_seconds=r.get("thinking_seconds", validate.seconds, 0.0),
        stats=r.get(
            "stats", lambda v: validate.json_object(v, validate.stats), {}, _salvaged_stats
        ),
        error=r.get("error", validate.optional_text, None),
        model=r.text("model"),
        reasoning_ended_by=cast(
            ReasonEnded | None,
            r.get("reasoning_ended_by", validate.reasoning_ended_by, None),
        ),
        inserted=spans_of(r.get("inserted", _inserted, [])),
        tool_rounds=tuple(
            ToolRound.from_json(t)
            for t in r.get("tool_rounds", _json_list(validate.tool_rounds), list[dict[str, Any]]())
        ),
        attachments=tuple(
            Attachment.from_json(a)
            for a in r.get("attachments", _json_list(validate.attachments), list[dict[str, Any]]())
        ),
        damaged=r.damaged,
    )


def _json_list(check: Callable[[Any], list[T]]) -> Callable[[Any], list[T]]:
    """A JSON list column's reader: text holding a list that passes ``check``."""

    def read(raw: Any) -> list[T]:
        if not isinstance(raw, str):
            raise Invalid(f"must be JSON text, not {type(raw).__name__}")
        try:
            value = json.loads(raw or "[]")
        except (ValueError, RecursionError):
            raise Invalid("is not readable JSON") from None
        return check(value)

    return read


def _inserted(raw: Any) -> list[list[Any]]:
    if not isinstance(raw, str):
        raise Invalid(f"must be JSON text, not {type(raw).__name__}")
    try:
        value = json.loads(raw or "[]")
    except (ValueError, RecursionError):
        raise Invalid("is not readable JSON") from None
    return validate.inserted(value)


def _path_to(messages: list[StoredMessage], leaf: int | None) -> list[StoredMessage]:
    """The messages from the first one down to ``leaf``, following parents."""
    by_id = {m.id: m for m in messages}
    path: list[StoredMessage] = []
    node = by_id.get(leaf) if leaf is not None else None
    seen: set[int] = set()
    while node is not None and node.id not in seen:  # a damaged file can hold a loop
        seen.add(node.id)
        path.append(node)
        node = by_id.get(node.parent_id) if node.parent_id is not None else None
    return path[::-1]


class ConversationStore:
    def __init__(self, folder: Path | None = None) -> None:
        folder = folder if folder is not None else AppPaths.current().data
        self._db = Database(folder)
        self._conn = self._db.conn
        self._lock = threading.RLock()
        # Told after each committed write (see app.store.changes), on the writing thread.
        self.changes = Changes()
        self.interrupted_on_open = self._recover_interrupted()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def recovered(self) -> Recovery | None:
        """Set when a damaged or foreign file was set aside and a new database started."""
        return self._db.recovered

    @property
    def migrated_from(self) -> int:
        return self._db.migrated_from

    def close(self) -> None:
        self.changes.close()
        with self._lock:
            self._db.close()

    def restore_backup(self, chosen: Path, folder: Path) -> Path:
        """Replace every conversation with those in the backup ``chosen``.

        The current database is first backed up into ``folder`` (kind
        "before-restore"), so nothing is lost; returns that copy's path. The copy
        in runs in one transaction on this store's connection, with the data
        folder's instance lock held: no other process can be using the database.
        """
        backup.check(chosen)
        with self._lock:
            kept = backup.copy_database(self._conn, folder, "before-restore")
            try:
                source = sqlite3.connect(backup.read_only_uri(chosen), uri=True)
                try:
                    source.backup(self._conn)
                finally:
                    source.close()
                self._conn.execute("PRAGMA journal_mode = WAL")
                migrate(self._conn)
            except sqlite3.Error as e:
                raise StoreError(
                    translate(
                        "ConversationStore",
                        "Could not restore {name} ({error}); the conversations as they were "
                        "before are kept in {kept}.",
                    ).format(name=chosen.name, error=e, kept=kept)
                ) from e
            self._recover_interrupted()
        self._changed(None, "replaced")
        backup.rotate(folder)
        return kept

    def __enter__(self) -> ConversationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; SQLite errors become clear StoreErrors."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as e:
                if self._conn.in_transaction:  # SQLite may have rolled back already
                    with suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                if isinstance(e, sqlite3.DatabaseError) and "malformed" in str(e):
                    request_check(self.path)
                    raise StoreError(
                        translate(
                            "ConversationStore",
                            "The conversation database is damaged ({error}). Restart QwQ "
                            "Desktop: it will keep the damaged file as a backup and start a "
                            "new one.",
                        ).format(error=e)
                    ) from e
                if isinstance(e, sqlite3.OperationalError):
                    if "full" in str(e).lower():
                        raise StoreFullError(
                            translate(
                                "ConversationStore",
                                "The disk is full: could not save to {path}. Free some space "
                                "and retry; nothing on screen is lost.",
                            ).format(path=self.path)
                        ) from e
                    raise StoreError(
                        translate("ConversationStore", "Could not save to {path}: {error}").format(
                            path=self.path, error=e
                        )
                    ) from e
                raise

    def _changed(self, conversation_id: int | None, kind: ChangeKind) -> None:
        """Tell the subscribers: called after the write's transaction is committed."""
        self.changes.publish(Change(conversation_id, kind))

    @staticmethod
    def _conversation_of(c: sqlite3.Connection, message_id: int) -> int | None:
        row = c.execute(
            "SELECT conversation_id FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        return int(row[0]) if row is not None else None

    def _read(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return list(self._conn.execute(sql, args))
            except sqlite3.DatabaseError as e:
                if "malformed" not in str(e):
                    raise
                request_check(self.path)
                raise StoreError(
                    translate(
                        "ConversationStore",
                        "The conversation database is damaged ({error}). Restart QwQ "
                        "Desktop: it will keep the damaged file as a backup and start a "
                        "new one.",
                    ).format(error=e)
                ) from e

    def _recover_interrupted(self) -> int:
        """Messages still 'streaming' were cut off by a crash or a kill: mark them."""
        with self._write() as c:
            cur = c.execute("UPDATE messages SET status = 'interrupted' WHERE status = 'streaming'")
            return cur.rowcount

    # -- conversations -----------------------------------------------------------------

    def create(
        self,
        *,
        title: str = "",
        model: str = "",
        system_prompt: str = "",
        sampling: dict[str, Any] | None = None,
        created_at: float | None = None,
    ) -> Conversation:
        now = created_at if created_at is not None else time.time()
        with self._write() as c:
            cur = c.execute(
                "INSERT INTO conversations (title, title_is_custom, created_at, updated_at, model,"
                " system_prompt, sampling) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    title,
                    int(bool(title)),
                    now,
                    now,
                    model,
                    system_prompt,
                    json.dumps(sampling or {}),
                ),
            )
            cid = int(cur.lastrowid or 0)
        self._changed(cid, "created")
        return self.get(cid)

    def get(self, conversation_id: int) -> Conversation:
        rows = self._read("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        if not rows:
            raise StoreError(
                translate("ConversationStore", "There is no conversation {id}.").format(
                    id=conversation_id
                )
            )
        return _conversation(rows[0])

    def conversations(self) -> list[Conversation]:
        """All conversations, pinned first, then the most recently updated."""
        rows = self._read(
            "SELECT * FROM conversations ORDER BY pinned DESC, updated_at DESC, id DESC"
        )
        return [_conversation(r) for r in rows]

    def message_count(self, conversation_id: int) -> int:
        rows = self._read(
            "SELECT count(*) FROM messages WHERE conversation_id = ?", (conversation_id,)
        )
        return int(rows[0][0])

    def rename(self, conversation_id: int, title: str) -> None:
        title = " ".join(title.split())
        if not title:
            raise StoreError(translate("ConversationStore", "A title cannot be empty."))
        with self._write() as c:
            c.execute(
                "UPDATE conversations SET title = ?, title_is_custom = 1 WHERE id = ?",
                (title, conversation_id),
            )
        self._changed(conversation_id, "renamed")

    def set_pinned(self, conversation_id: int, pinned: bool) -> None:
        with self._write() as c:
            c.execute(
                "UPDATE conversations SET pinned = ? WHERE id = ?", (int(pinned), conversation_id)
            )
        self._changed(conversation_id, "pinned")

    def update_settings(
        self,
        conversation_id: int,
        *,
        model: str | None = None,
        system_prompt: str | None = None,
        sampling: dict[str, Any] | None = None,
        thinking: dict[str, Any] | None = None,
        allowed_tools: Sequence[str] | None = None,
        collections: Sequence[str] | None = None,
    ) -> None:
        """Change a conversation's settings; ``thinking`` is checked (StoreError if bad).
        ``allowed_tools``: the tools that run without asking in this conversation."""
        if thinking is not None:
            try:
                thinking = validate.thinking(thinking)
            except Invalid as e:
                raise StoreError(f"Bad thinking budget: {e}.") from None
        with self._write() as c:
            if thinking is not None:
                c.execute(
                    "UPDATE conversations SET thinking = ? WHERE id = ?",
                    (json.dumps(thinking), conversation_id),
                )
            if allowed_tools is not None:
                c.execute(
                    "UPDATE conversations SET allowed_tools = ? WHERE id = ?",
                    (json.dumps(sorted(set(allowed_tools))), conversation_id),
                )
            if collections is not None:
                c.execute(
                    "UPDATE conversations SET collections = ? WHERE id = ?",
                    (
                        json.dumps(list(dict.fromkeys(collections)), ensure_ascii=False),
                        conversation_id,
                    ),
                )
            if model is not None:
                c.execute(
                    "UPDATE conversations SET model = ? WHERE id = ?", (model, conversation_id)
                )
            if system_prompt is not None:
                c.execute(
                    "UPDATE conversations SET system_prompt = ? WHERE id = ?",
                    (system_prompt, conversation_id),
                )
            if sampling is not None:
                c.execute(
                    "UPDATE conversations SET sampling = ? WHERE id = ?",
                    (json.dumps(sampling), conversation_id),
                )
        self._changed(conversation_id, "settings")

    def delete(self, conversation_id: int) -> None:
        with self._write() as c:
            c.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        self._changed(conversation_id, "deleted")

    # -- messages ----------------------------------------------------------------------

    def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        parent_id: int | None,
        reasoning: str = "",
        status: Status = "done",
        model: str = "",
        created_at: float | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> StoredMessage:
        """Add a message under ``parent_id`` and make it the tip of the branch on screen."""
        now = created_at if created_at is not None else time.time()
        files = json.dumps([a.to_json() for a in attachments], ensure_ascii=False)
        with self._write() as c:
            cur = c.execute(
                "INSERT INTO messages (conversation_id, parent_id, role, content, reasoning,"
                " created_at, status, model, attachments) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, parent_id, role, content, reasoning, now, status, model, files),
            )
            mid = int(cur.lastrowid or 0)
            c.execute(
                "UPDATE conversations SET current_leaf = ?, updated_at = ? WHERE id = ?",
                (mid, now, conversation_id),
            )
            if role == "user":
                c.execute(
                    "UPDATE conversations SET title = ? WHERE id = ? AND title_is_custom = 0"
                    " AND title = ''",
                    (title_from(content), conversation_id),
                )
        self._changed(conversation_id, "messages")
        return self.message(mid)

    def update_streaming(
        self,
        message_id: int,
        content: str,
        reasoning: str,
        inserted: Sequence[InsertedSpan] | None = None,
        tool_rounds: Sequence[ToolRound] | None = None,
    ) -> None:
        """Save what a reply has streamed so far (and the parts of it inserted, and its
        finished rounds of tool calls, if given)."""
        with self._write() as c:
            c.execute(
                "UPDATE messages SET content = ?, reasoning = ? WHERE id = ?",
                (content, reasoning, message_id),
            )
            if inserted is not None:
                c.execute(
                    "UPDATE messages SET inserted = ? WHERE id = ?",
                    (spans_json(inserted), message_id),
                )
            if tool_rounds is not None:
                c.execute(
                    "UPDATE messages SET tool_rounds = ? WHERE id = ?",
                    (rounds_json(tool_rounds), message_id),
                )
            cid = self._conversation_of(c, message_id)
        self._changed(cid, "streamed")

    def reopen(self, message_id: int) -> None:
        """Mark a finished reply as streaming again: it is being continued in place."""
        with self._write() as c:
            c.execute(
                "UPDATE messages SET status = 'streaming', error = NULL WHERE id = ?",
                (message_id,),
            )
            cid = self._conversation_of(c, message_id)
        self._changed(cid, "messages")

    def finish_message(
        self,
        message_id: int,
        *,
        content: str,
        reasoning: str,
        finish_reason: str,
        reasoning_finished: bool,
        thinking_seconds: float,
        stats: dict[str, Any],
        error: str | None = None,
        reasoning_ended_by: ReasonEnded | None = None,
        inserted: Sequence[InsertedSpan] = (),
        tool_rounds: Sequence[ToolRound] = (),
    ) -> None:
        with self._write() as c:
            c.execute(
                "UPDATE messages SET content = ?, reasoning = ?, status = 'done', finish_reason = ?,"
                " reasoning_finished = ?, thinking_seconds = ?, stats = ?, error = ?,"
                " reasoning_ended_by = ?, inserted = ?, tool_rounds = ? WHERE id = ?",
                (
                    content,
                    reasoning,
                    finish_reason,
                    int(reasoning_finished),
                    thinking_seconds if 0 <= thinking_seconds <= validate.MAX_SECONDS else 0.0,
                    json.dumps(validate.clean_stats(stats)),
                    error,
                    reasoning_ended_by if reasoning_finished else None,
                    spans_json([s for s in inserted if 0 <= s.start <= s.end <= len(reasoning)]),
                    rounds_json(tool_rounds),
                    message_id,
                ),
            )
            c.execute(
                "UPDATE conversations SET updated_at = ? WHERE id ="
                " (SELECT conversation_id FROM messages WHERE id = ?)",
                (time.time(), message_id),
            )
            cid = self._conversation_of(c, message_id)
        self._changed(cid, "messages")

    def delete_message(self, message_id: int) -> None:
        """Remove a message and its replies; the branch on screen moves to its parent."""
        m = self.message(message_id)
        with self._write() as c:
            c.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            c.execute(
                "UPDATE conversations SET current_leaf = ? WHERE id = ? AND (current_leaf IS NULL"
                " OR current_leaf NOT IN (SELECT id FROM messages))",
                (m.parent_id, m.conversation_id),
            )
        self._changed(m.conversation_id, "messages")

    def message(self, message_id: int) -> StoredMessage:
        rows = self._read("SELECT * FROM messages WHERE id = ?", (message_id,))
        if not rows:
            raise StoreError(f"There is no message {message_id}.")
        return _message(rows[0])

    def messages(self, conversation_id: int) -> list[StoredMessage]:
        """Every message of a conversation, all branches, oldest first."""
        rows = self._read(
            "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
        )
        return [_message(r) for r in rows]

    def branch(self, conversation_id: int, leaf: int | None = None) -> list[StoredMessage]:
        """The messages on screen: from the first message down to ``leaf`` (default: current)."""
        if leaf is None:
            leaf = self.get(conversation_id).current_leaf
        return _path_to(self.messages(conversation_id), leaf)

    def branch_with_siblings(self, conversation_id: int) -> list[tuple[StoredMessage, list[int]]]:
        """The branch on screen, each message with the ids of its alternatives (itself too)."""
        everything = self.messages(conversation_id)
        by_parent: dict[int | None, list[int]] = {}
        for m in everything:
            by_parent.setdefault(m.parent_id, []).append(m.id)
        path = _path_to(everything, self.get(conversation_id).current_leaf)
        return [(m, by_parent[m.parent_id]) for m in path]

    def switch_to(self, message_id: int) -> None:
        """Show the branch through ``message_id``, down to its most recent reply."""
        leaf = message_id
        while True:
            rows = self._read(
                "SELECT id FROM messages WHERE parent_id = ? ORDER BY id DESC LIMIT 1", (leaf,)
            )
            if not rows:
                break
            leaf = rows[0][0]
        with self._write() as c:
            c.execute(
                "UPDATE conversations SET current_leaf = ? WHERE id ="
                " (SELECT conversation_id FROM messages WHERE id = ?)",
                (leaf, message_id),
            )
            cid = self._conversation_of(c, message_id)
        self._changed(cid, "switched")

    def restore(self, conversations: Sequence[Any]) -> list[int]:
        """Insert conversations as exported (see app.store.export): all or none.

        Every field is checked before anything is written; a bad one raises
        :class:`StoreError` naming it, and the database is left as it was.
        """
        checked = []
        for n, data in enumerate(conversations, 1):
            try:
                checked.append(validate.conversation(data))
            except Invalid as e:
                raise InvalidConversationError(f"conversation {n}: {e}") from None
        with self._write() as c:
            ids = [self._restore_one(c, data) for data in checked]
        for cid in ids:
            self._changed(cid, "restored")
        return ids

    @staticmethod
    def _restore_one(c: sqlite3.Connection, data: dict[str, Any]) -> int:
        """Insert one conversation that :func:`validate.conversation` accepted."""
        cur = c.execute(
            "INSERT INTO conversations (title, title_is_custom, created_at, updated_at, pinned,"
            " model, system_prompt, sampling, thinking, allowed_tools, collections)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                data["title"],
                int(data["title_is_custom"]),
                data["created_at"],
                data["updated_at"],
                int(data["pinned"]),
                data["model"],
                data["system_prompt"],
                json.dumps(data["sampling"]),
                json.dumps(data["thinking"]),
                json.dumps(data["allowed_tools"]),
                json.dumps(data["collections"], ensure_ascii=False),
            ),
        )
        cid = int(cur.lastrowid or 0)
        ids: list[int] = []
        for m in data["messages"]:
            parent = m["parent"]
            cur = c.execute(
                "INSERT INTO messages (conversation_id, parent_id, role, content, reasoning,"
                " created_at, status, finish_reason, reasoning_finished, thinking_seconds,"
                " stats, error, model, reasoning_ended_by, inserted, tool_rounds, attachments)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    cid,
                    ids[parent] if parent is not None else None,
                    m["role"],
                    m["content"],
                    m["reasoning"],
                    m["created_at"],
                    "interrupted" if m["status"] == "streaming" else m["status"],
                    m["finish_reason"],
                    int(m["reasoning_finished"]),
                    m["thinking_seconds"],
                    json.dumps(m["stats"]),
                    m["error"],
                    m["model"],
                    m["reasoning_ended_by"],
                    json.dumps(m["inserted"]),
                    json.dumps(m["tool_rounds"], ensure_ascii=False),
                    json.dumps(m["attachments"], ensure_ascii=False),
                ),
            )
            ids.append(int(cur.lastrowid or 0))
        leaf = data["current_leaf"]
        c.execute(
            "UPDATE conversations SET current_leaf = ? WHERE id = ?",
            (ids[leaf] if leaf is not None else None, cid),
        )
        return cid

    # -- search ------------------------------------------------------------------------

    def search(self, text: str, limit: int = 50) -> list[SearchHit]:
        """Titles, then messages, matching every word of ``text`` (the last as a prefix).

        Ranked by bm25. A query matching more than RANK_WINDOW messages is ranked among
        its most recent RANK_WINDOW matches: ranking all of 100,000 matches costs
        200 ms, the window keeps it near 20 ms (docs/performance.md).
        """
        query = fts_query(text)
        if query is None:
            return []
        try:
            hits = [
                SearchHit(r["id"], None, _as_text(r["title"]), "title", r["snip"], r["rank"])
                for r in self._read(
                    "SELECT c.id, c.title, snippet(conversation_fts, 0, ?, ?, '…', 12) AS snip,"
                    " conversation_fts.rank AS rank FROM conversation_fts"
                    " JOIN conversations c ON c.id = conversation_fts.rowid"
                    " WHERE conversation_fts MATCH ? ORDER BY conversation_fts.rank LIMIT ?",
                    (HIGHLIGHT_START, HIGHLIGHT_END, query, limit),
                )
            ]
            hits += self._search_messages(query, limit - len(hits))
        except sqlite3.OperationalError as e:
            raise StoreError(f"Search failed: {e}") from e
        return hits

    def _search_messages(self, query: str, limit: int) -> list[SearchHit]:
        if limit <= 0:
            return []
        floor = self._read(
            "SELECT rowid FROM message_fts WHERE message_fts MATCH ?"
            " ORDER BY rowid DESC LIMIT 1 OFFSET ?",
            (query, RANK_WINDOW - 1),
        )
        oldest = floor[0][0] if floor else 0
        # Rank first (cheap columns only), then build snippets for the few that are shown.
        ranked = self._read(
            "SELECT rowid, rank FROM message_fts WHERE message_fts MATCH ? AND rowid >= ?"
            " ORDER BY rank LIMIT ?",
            (query, oldest, limit),
        )
        if not ranked:
            return []
        ids = [r[0] for r in ranked]
        marks = ",".join("?" * len(ids))
        rows = {
            r["id"]: r
            for r in self._read(
                "SELECT m.id, m.conversation_id, m.role, c.title,"
                " snippet(message_fts, 0, ?, ?, '…', 12) AS answer,"
                " snippet(message_fts, 1, ?, ?, '…', 12) AS reasoning FROM message_fts"
                " JOIN messages m ON m.id = message_fts.rowid"
                " JOIN conversations c ON c.id = m.conversation_id"
                f" WHERE message_fts MATCH ? AND message_fts.rowid IN ({marks})",
                (HIGHLIGHT_START, HIGHLIGHT_END, HIGHLIGHT_START, HIGHLIGHT_END, query, *ids),
            )
        }
        hits = []
        for rowid, rank in ranked:
            r = rows[rowid]
            in_answer = HIGHLIGHT_START in r["answer"]
            kind: Literal["answer", "reasoning", "prompt"] = (
                ("answer" if r["role"] == "assistant" else "prompt") if in_answer else "reasoning"
            )
            snippet = r["answer"] if in_answer else r["reasoning"]
            hits.append(
                SearchHit(r["conversation_id"], r["id"], _as_text(r["title"]), kind, snippet, rank)
            )
        return hits
