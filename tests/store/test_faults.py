"""What happens to the store when things go wrong: a second instance, bad files, a full disk."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.store.conversations import ConversationStore
from app.store.database import DB_NAME, StoreFullError, StoreLockedError

ROOT = Path(__file__).resolve().parents[2]


def test_a_second_instance_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with ConversationStore(tmp_path) as first:
        first.create(title="kept")
        with pytest.raises(StoreLockedError, match="already running on this data folder"):
            ConversationStore(tmp_path)
        # Another process is refused too, and the first instance's data is untouched.
        code = (
            "import sys\n"
            "from app.store.conversations import ConversationStore\n"
            "from app.store.database import StoreLockedError\n"
            f"try:\n    ConversationStore(__import__('pathlib').Path({str(tmp_path)!r}))\n"
            "except StoreLockedError as e:\n    print(e); sys.exit(3)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT
        )
        assert result.returncode == 3, result.stderr
        assert "already running" in result.stdout
        assert [c.title for c in first.conversations()] == ["kept"]
    # Once the first closes, the folder is free.
    with ConversationStore(tmp_path) as again:
        assert [c.title for c in again.conversations()] == ["kept"]


def test_the_lock_dies_with_a_killed_process(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "from app.store.conversations import ConversationStore\n"
        f"s = ConversationStore(__import__('pathlib').Path({str(tmp_path)!r}))\n"
        "print('open', flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == -9 and "open" in result.stdout
    with ConversationStore(tmp_path) as store:
        assert store.conversations() == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"SQLite format 3\x00" + b"\xff" * 4000, "damaged"),
        (b"this is a text file, not a database\n" * 50, "foreign"),
    ],
)
def test_a_damaged_or_foreign_file_is_kept_and_a_new_database_started(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    (tmp_path / DB_NAME).write_bytes(content)
    with ConversationStore(tmp_path) as store:
        assert store.recovered is not None
        assert store.recovered.reason == reason
        backup = store.recovered.backup
        assert backup.read_bytes() == content  # the user's file, untouched
        store.create(title="fresh")
        assert [c.title for c in store.conversations()] == ["fresh"]


def test_another_apps_sqlite_database_is_never_written(tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / DB_NAME)
    other.execute("CREATE TABLE their_data (x)")
    other.execute("INSERT INTO their_data VALUES (42)")
    other.commit()
    other.close()
    with ConversationStore(tmp_path) as store:
        assert store.recovered is not None and store.recovered.reason == "foreign"
        kept = sqlite3.connect(store.recovered.backup)
        assert kept.execute("SELECT x FROM their_data").fetchall() == [(42,)]
        kept.close()


def test_a_really_corrupted_database_is_detected(tmp_path: Path) -> None:
    with ConversationStore(tmp_path) as store:
        c = store.create(title="x" * 100)
        for i in range(300):
            store.add_message(c.id, "user", f"message {i} " * 50, parent_id=None)
    data = bytearray((tmp_path / DB_NAME).read_bytes())
    data[4096 * 3 : 4096 * 6] = b"\x13" * (4096 * 3)  # scribble over b-tree pages
    (tmp_path / DB_NAME).write_bytes(bytes(data))
    with ConversationStore(tmp_path) as store:
        assert store.recovered is not None and store.recovered.reason == "damaged"
        assert store.recovered.backup.read_bytes() == bytes(data)


def test_a_full_disk_is_a_clear_error_and_nothing_is_half_written(tmp_path: Path) -> None:
    with ConversationStore(tmp_path) as store:
        c = store.create()
        u = store.add_message(c.id, "user", "q", parent_id=None)
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
        with pytest.raises(StoreFullError, match="disk is full"):
            store.add_message(c.id, "assistant", "x" * 100_000, parent_id=u.id)
        assert [m.content for m in store.messages(c.id)] == ["q"]
        store._conn.execute("PRAGMA max_page_count = 1073741823")  # space again
        store.add_message(c.id, "assistant", "x" * 100_000, parent_id=u.id)
        assert len(store.messages(c.id)) == 2
