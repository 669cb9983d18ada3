"""Rolling backups: a consistent copy of a live database, rotation, and restore."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from app.store import backup
from app.store.conversations import ConversationStore
from app.store.database import DB_NAME, StoreError
from app.store.export import conversation_to_dict
from tests.fixtures.cli import cli, one_clear_line


def _titles(store: ConversationStore) -> set[str]:
    return {c.title for c in store.conversations()}


def _open_copy(path: Path, into: Path) -> ConversationStore:
    into.mkdir(parents=True)
    shutil.copy(path, into / DB_NAME)
    return ConversationStore(into)


def test_a_backup_of_a_live_wal_database_is_consistent_and_whole(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ConversationStore(data) as store:
        for i in range(20):
            c = store.create(title=f"before {i}")
            u = store.add_message(c.id, "user", f"question {i}", parent_id=None)
            store.add_message(c.id, "assistant", f"answer {i}", parent_id=u.id)
        wal = data / (DB_NAME + "-wal")
        assert wal.stat().st_size > 0  # what the backup must include is still in the WAL
        stop = threading.Event()

        template = conversation_to_dict(store, store.conversations()[0])

        def keep_writing() -> None:  # the app goes on writing while the copy is made
            n = 0
            while not stop.is_set():  # a conversation of two messages per transaction
                store.restore([{**template, "title": f"during {n}"}])
                n += 1

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            made = [backup.make(store.path, backup.folder_of(data)) for _ in range(3)]
        finally:
            stop.set()
            writer.join()
    for n, b in enumerate(made):
        check = sqlite3.connect(b.path)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
        check.close()
        with _open_copy(b.path, tmp_path / f"copy{n}") as copy:
            assert {f"before {i}" for i in range(20)} <= _titles(copy)
            for c in copy.conversations():  # every conversation whole: none half-written
                assert [m.role for m in copy.branch(c.id)] == ["user", "assistant"]


def test_rotation_keeps_the_newest_of_each_kind(tmp_path: Path) -> None:
    with ConversationStore(tmp_path / "data") as store:
        store.create(title="kept")
        folder = backup.folder_of(store.path.parent)
        made = [backup.make(store.path, folder, keep=3) for _ in range(5)]
        manual = backup.make(store.path, folder, kind="manual", keep=3)
    names = [b.name for b in backup.list_backups(folder)]
    assert names == [manual.name] + [b.name for b in reversed(made[-3:])]
    assert not list(folder.glob("*.tmp"))


def test_a_daily_backup_is_made_only_when_the_newest_is_a_day_old(tmp_path: Path) -> None:
    with ConversationStore(tmp_path / "data") as store:
        folder = backup.folder_of(store.path.parent)
        first = backup.make_if_due(store.path, folder)
        assert first is not None and first.kind == "daily"
        assert backup.make_if_due(store.path, folder) is None
        assert backup.make_if_due(store.path, folder, every_s=0) is not None


def test_restore_brings_back_the_backup_and_keeps_what_it_replaced(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = backup.folder_of(data)
    with ConversationStore(data) as store:
        store.create(title="old one")
        chosen = backup.make(store.path, folder)
        store.create(title="newer one")
        kept = store.restore_backup(chosen.path, folder)
        assert _titles(store) == {"old one"}
        store.create(title="after the restore")  # the store goes on working
        assert _titles(store) == {"old one", "after the restore"}
    assert kept.name.endswith("-before-restore.sqlite3")
    with _open_copy(kept, tmp_path / "kept") as before:
        assert _titles(before) == {"old one", "newer one"}  # nothing was lost
    with ConversationStore(data) as reopened:
        assert _titles(reopened) == {"old one", "after the restore"}


def test_restore_refuses_a_file_that_is_not_a_backup_of_ours(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = backup.folder_of(data)
    folder.mkdir(parents=True)
    junk = folder / "conversations-20260101-000000-manual.sqlite3"
    junk.write_bytes(b"not a database at all")
    foreign = tmp_path / "foreign.sqlite3"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with ConversationStore(data) as store:
        store.create(title="untouched")
        for path, message in [(junk, "not a SQLite database"), (foreign, "not a QwQ Desktop")]:
            with pytest.raises(StoreError, match=message):
                store.restore_backup(path, folder)
        assert _titles(store) == {"untouched"}


def test_cli_backups_list_make_and_restore(app_home: Path) -> None:
    data = app_home / "data"
    with ConversationStore(data) as store:
        store.create(title="first")
    made = cli("backups", "--now")
    assert made.returncode == 0, made.stderr
    with ConversationStore(data) as store:
        store.create(title="second")
    rows = json.loads(cli("backups", "--json").stdout)
    assert [r["kind"] for r in rows] == ["manual"]
    name = rows[0]["name"]
    assert name in cli("backups").stdout
    with ConversationStore(data):  # the window is open: the instance lock is respected
        one_clear_line(cli("backups", "--restore", name), "already running")
    one_clear_line(cli("backups", "--restore", "../conversations.sqlite3"), "no backup called")
    restored = cli("backups", "--restore", name)
    assert restored.returncode == 0, restored.stderr
    assert "before-restore" in restored.stderr
    titles = [r["title"] for r in json.loads(cli("conversations", "--json").stdout)]
    assert titles == ["first"]
    kinds = sorted(r["kind"] for r in json.loads(cli("backups", "--json").stdout))
    assert kinds == ["before-restore", "manual"]
