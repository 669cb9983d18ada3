"""The conversation database's schema, as numbered migrations.

``PRAGMA user_version`` holds the version a database is at; opening it runs the
migrations after that, each in one transaction. Never edit a released migration:
add a new one. ``PRAGMA application_id`` marks the file as ours, so a foreign
SQLite file is recognised and never written to.

Messages form a tree (``parent_id``): regenerating an answer adds a sibling under
the same user message, editing a user message adds a sibling user message. A
conversation's ``current_leaf`` is the tip of the branch on screen; the history
sent to the model is the path from the root to it.
"""

from __future__ import annotations

import sqlite3

APPLICATION_ID = 0x51775131  # "QwQ1"

V1 = """
CREATE TABLE conversations (
    id              INTEGER PRIMARY KEY,
    title           TEXT    NOT NULL DEFAULT '',
    title_is_custom INTEGER NOT NULL DEFAULT 0,
    created_at      REAL    NOT NULL,
    updated_at      REAL    NOT NULL,
    pinned          INTEGER NOT NULL DEFAULT 0,
    model           TEXT    NOT NULL DEFAULT '',
    system_prompt   TEXT    NOT NULL DEFAULT '',
    sampling        TEXT    NOT NULL DEFAULT '{}',
    current_leaf    INTEGER
);
CREATE TABLE messages (
    id                 INTEGER PRIMARY KEY,
    conversation_id    INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id          INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    role               TEXT    NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content            TEXT    NOT NULL DEFAULT '',
    reasoning          TEXT    NOT NULL DEFAULT '',
    created_at         REAL    NOT NULL,
    status             TEXT    NOT NULL DEFAULT 'done'
                               CHECK (status IN ('streaming', 'done', 'interrupted')),
    finish_reason      TEXT,
    reasoning_finished INTEGER NOT NULL DEFAULT 0,
    thinking_seconds   REAL    NOT NULL DEFAULT 0,
    stats              TEXT    NOT NULL DEFAULT '{}',
    error              TEXT,
    model              TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
CREATE INDEX messages_by_parent ON messages(parent_id);
CREATE INDEX conversations_by_recency ON conversations(pinned DESC, updated_at DESC);
CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming';
"""

# Version 2: full-text search over titles, answers and reasoning (FTS5, external content,
# kept in step by triggers), filled from what version 1 databases already hold. Prefix
# indexes for 2-4 characters keep search-as-you-type fast ("w17*" would otherwise merge
# hundreds of terms: 288 ms -> 32 ms on 100,000 messages, see docs/performance.md).
V2 = """
CREATE VIRTUAL TABLE message_fts USING fts5(
    content, reasoning, content='messages', content_rowid='id', tokenize='unicode61',
    prefix='2 3 4'
);
CREATE VIRTUAL TABLE conversation_fts USING fts5(
    title, content='conversations', content_rowid='id', tokenize='unicode61', prefix='2 3 4'
);
CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO message_fts(rowid, content, reasoning)
    VALUES (new.id, new.content, new.reasoning);
END;
CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO message_fts(message_fts, rowid, content, reasoning)
    VALUES ('delete', old.id, old.content, old.reasoning);
END;
CREATE TRIGGER messages_au AFTER UPDATE OF content, reasoning ON messages BEGIN
    INSERT INTO message_fts(message_fts, rowid, content, reasoning)
    VALUES ('delete', old.id, old.content, old.reasoning);
    INSERT INTO message_fts(rowid, content, reasoning)
    VALUES (new.id, new.content, new.reasoning);
END;
CREATE TRIGGER conversations_ai AFTER INSERT ON conversations BEGIN
    INSERT INTO conversation_fts(rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER conversations_ad AFTER DELETE ON conversations BEGIN
    INSERT INTO conversation_fts(conversation_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER conversations_au AFTER UPDATE OF title ON conversations BEGIN
    INSERT INTO conversation_fts(conversation_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO conversation_fts(rowid, title) VALUES (new.id, new.title);
END;
INSERT INTO message_fts(message_fts) VALUES ('rebuild');
INSERT INTO conversation_fts(conversation_fts) VALUES ('rebuild');
"""

# Version 3 (thinking under control): how each trace ended ("model", "budget", "time",
# "loop", "user"; NULL: it never closed), the parts of it the app or the user inserted
# (JSON [[start, end, "app"|"user"], ...] in characters of the trace), and each
# conversation's thinking budget (JSON {"budget_tokens": n, "budget_seconds": s}; {}:
# the app's default).
V3 = """
ALTER TABLE messages ADD COLUMN reasoning_ended_by TEXT;
ALTER TABLE messages ADD COLUMN inserted TEXT NOT NULL DEFAULT '[]';
ALTER TABLE conversations ADD COLUMN thinking TEXT NOT NULL DEFAULT '{}';
"""

# Version 4 (tools): a reply's rounds of tool calls before its last round (JSON, see
# app.core.tool_rounds: [{"reasoning", "answer", "calls": [...]}]), and the tools the user
# allowed for the whole conversation (JSON ["python", ...]).
V4 = """
ALTER TABLE messages ADD COLUMN tool_rounds TEXT NOT NULL DEFAULT '[]';
ALTER TABLE conversations ADD COLUMN allowed_tools TEXT NOT NULL DEFAULT '[]';
"""

# Version 5 (documents): the files attached to a user's message, their extracted text
# kept with it (JSON, see app.core.attachments: [{"name", "kind", "size", "tokens", "text",
# "pages"}]), and the document collections a conversation searches (JSON ["notes", ...]).
V5 = """
ALTER TABLE messages ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
ALTER TABLE conversations ADD COLUMN collections TEXT NOT NULL DEFAULT '[]';
"""

MIGRATIONS: list[str] = [V1, V2, V3, V4, V5]
LATEST = len(MIGRATIONS)


def version_of(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, *, target: int = LATEST) -> int:
    """Bring ``conn``'s database up to ``target``; returns the version it started at."""
    start = version_of(conn)
    if start > LATEST:
        raise sqlite3.DatabaseError(
            f"the database is from a newer version of QwQ Desktop (schema {start} > {LATEST})"
        )
    for version in range(start + 1, target + 1):
        with conn:  # one transaction per migration
            conn.execute("BEGIN")
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {version}")
    return start


def _statements(script: str) -> list[str]:
    """Split a migration into statements (triggers hold ';' inside BEGIN ... END)."""
    out: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out
