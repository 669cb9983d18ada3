"""Collections on real folders and a real SQLite file: search (Chinese, short and hostile
queries), incremental re-index, a re-index killed mid-way, and a walk that stays inside."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.documents.collections import DB_NAME, Collections, Hit
from app.documents.extract import DocumentError, extract
from app.documents.passages import passages
from tests.fixtures.cli import ROOT


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    (root / "physics").mkdir(parents=True)
    (root / "physics" / "quantum.md").write_text(
        "# Quantum\n\nEntanglement links two particles.\nBell tested it in 1964.\n",
        encoding="utf-8",
    )
    (root / "todo.txt").write_text("buy milk\ncall the plumber about the boiler\n")
    (root / "中文.md").write_text("量子力学是物理学的一个分支。\n它描述微观粒子。\n", "utf-8")
    (root / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not text")
    return root


@pytest.fixture
def collections(tmp_path: Path) -> Iterator[Collections]:
    with Collections(tmp_path / "index" / DB_NAME) as c:
        yield c


def names(hits: list[Hit]) -> list[str]:
    return sorted(h.name for h in hits)


def source_of(root: Path, rel: str) -> str:
    """The citation of a one-passage file, as passages() makes it."""
    [passage] = passages(extract(root / rel), name=rel)
    return passage.source


def test_add_indexes_and_searches_with_sources(collections: Collections, folder: Path) -> None:
    info = collections.add("notes", folder)
    assert (info.name, info.folder, info.state, info.files) == ("notes", folder, "new", 0)
    result = collections.reindex("notes")
    assert sorted(result.added) == ["physics/quantum.md", "todo.txt", "中文.md"]
    assert result.skipped == 1 and not result.failed and result.passages == 3
    [info] = collections.list()
    assert (info.files, info.passages, info.state) == (3, 3, "ready")
    assert info.indexed_at is not None
    [hit] = collections.search("entanglement")
    assert hit.source == source_of(folder, "physics/quantum.md")
    assert (hit.collection, hit.name, hit.page, hit.lines) == (
        "notes",
        "physics/quantum.md",
        None,
        (1, 4),
    )
    assert "Bell tested" in hit.text and "Entanglement" in hit.snippet and hit.score > 0
    assert names(collections.search("PLUMBER boiler")) == ["todo.txt"]
    assert names(collections.search("Who is the plumber?")) == ["todo.txt"]


def test_chinese_text_is_found_by_a_two_and_a_three_character_query(
    collections: Collections, folder: Path
) -> None:
    collections.add("notes", folder)
    collections.reindex("notes")
    assert names(collections.search("量子")) == ["中文.md"]
    assert names(collections.search("物理学")) == ["中文.md"]
    assert names(collections.search("微观粒子")) == ["中文.md"]
    assert collections.search("化学") == []
    assert names(collections.search("量子力学是什么？")) == ["中文.md"]  # a question, unspaced
    assert collections.search("化学是什么") == []


def test_a_hits_file_is_found_only_inside_the_folder(
    collections: Collections, folder: Path
) -> None:
    collections.add("notes", folder)
    collections.reindex("notes")
    [hit] = collections.search("entanglement")
    assert collections.file_path(hit.collection, hit.name) == folder / "physics" / "quantum.md"
    for name in ("../notes/todo.txt", "/etc/passwd", "photo.jpg", "missing.md"):
        with pytest.raises(DocumentError, match="is not a file of the collection"):
            collections.file_path("notes", name)


def test_short_queries_fall_back_to_like(collections: Collections, folder: Path) -> None:
    collections.add("notes", folder)
    collections.reindex("notes")
    assert names(collections.search("ca")) == ["todo.txt"]  # "call"
    assert collections.search("zq") == []
    assert collections.search("%") == [] and collections.search("_") == []


@pytest.mark.parametrize(
    "query", ['"', "*", "NEAR(", "a OR", 'x" OR "y', "(", "AND", "NOT x", "col:text", "^", "'"]
)
def test_hostile_queries_are_plain_text(
    collections: Collections, tmp_path: Path, query: str
) -> None:
    root = tmp_path / "hostile"
    root.mkdir()
    (root / "syntax.txt").write_text(f"this line holds {query} as text\n")
    (root / "other.txt").write_text("nothing to see\n")
    collections.add("h", root)
    collections.reindex("h")
    hits = collections.search(query)
    assert hits and hits[0].name == "syntax.txt", query


def test_search_several_or_unknown_collections(
    collections: Collections, folder: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "milk.txt").write_text("goat milk cheese\n")
    collections.add("notes", folder)
    collections.add("other", other)
    collections.reindex("notes")
    collections.reindex("other")
    assert sorted(h.collection for h in collections.search("milk")) == ["notes", "other"]
    assert [h.collection for h in collections.search("milk", names=["other"])] == ["other"]
    with pytest.raises(DocumentError, match="no collection named “nope”"):
        collections.search("milk", names=["nope"])
    assert collections.search("   ") == []


def test_every_term_must_match_before_any_term_does(
    collections: Collections, tmp_path: Path
) -> None:
    root = tmp_path / "terms"
    root.mkdir()
    (root / "both.txt").write_text("the lighthouse keeper wrote a letter\n")
    (root / "one.txt").write_text("a lighthouse on the coast\n")
    collections.add("t", root)
    collections.reindex("t")
    assert names(collections.search("lighthouse keeper")) == ["both.txt"]
    assert names(collections.search("lighthouse submarine")) == ["both.txt", "one.txt"]


def test_incremental_reindex_changes_removes_and_adds(
    collections: Collections, folder: Path
) -> None:
    collections.add("notes", folder)
    collections.reindex("notes")
    todo = folder / "todo.txt"
    todo.write_text("buy oat milk\nfix the bicycle\n")
    os.utime(todo, ns=(1, 1))  # a changed size and mtime
    (folder / "physics" / "quantum.md").unlink()
    (folder / "new.md").write_text("a brand new note about bicycles\n")
    result = collections.reindex("notes")
    assert result.added == ("new.md",)
    assert result.changed == ("todo.txt",)
    assert result.removed == ("physics/quantum.md",)
    assert result.unchanged == 1 and result.passages == 2
    assert collections.search("entanglement") == []
    assert collections.search("plumber") == []
    assert names(collections.search("bicycle")) == ["new.md", "todo.txt"]
    again = collections.reindex("notes")
    assert (again.added, again.changed, again.removed, again.unchanged) == ((), (), (), 3)


def test_the_walk_never_follows_links_nor_reads_hidden_or_junk(
    collections: Collections, folder: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("the password is swordfish\n")
    (folder / "link.txt").symlink_to(outside / "secret.txt")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    for junk in (".git", "node_modules", "__pycache__", ".venv", ".hidden"):
        (folder / junk).mkdir()
        (folder / junk / "inside.txt").write_text("swordfish in the junk\n")
    (folder / ".env.md").write_text("swordfish hidden file\n")
    collections.add("notes", folder)
    result = collections.reindex("notes")
    assert sorted(result.added) == ["physics/quantum.md", "todo.txt", "中文.md"]
    assert collections.search("swordfish") == []


def test_oversized_binary_and_unreadable_files_are_listed_with_a_sentence(
    collections: Collections, folder: Path
) -> None:
    (folder / "big.txt").write_text("x" * 5000)
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 64)
    locked = folder / "locked.md"
    locked.write_text("no access\n")
    locked.chmod(0)
    collections.add("notes", folder)
    try:
        result = collections.reindex("notes", max_file_bytes=4096)
    finally:
        locked.chmod(0o644)
    reasons = {f.path: f.reason for f in result.failed}
    assert "larger than" in reasons["big.txt"]
    assert reasons["binary.txt"]  # the extractor's sentence
    if os.geteuid() != 0:  # root reads anything
        assert "locked.md" in reasons
    [info] = collections.list()
    assert info.files + info.failed == 6 and info.failed == len(reasons)
    again = collections.reindex("notes", max_file_bytes=4096)  # failures are tried again
    assert sorted(f.path for f in again.failed if f.path != "locked.md") == [
        "big.txt",
        "binary.txt",
    ]
    if os.geteuid() != 0:  # readable now: indexed at last
        assert again.added == ("locked.md",)


def test_add_and_remove_say_what_is_wrong(collections: Collections, folder: Path) -> None:
    collections.add("notes", folder)
    collections.reindex("notes")
    with pytest.raises(DocumentError, match="already exists"):
        collections.add("notes", folder)
    with pytest.raises(DocumentError, match="not a folder"):
        collections.add("x", folder / "todo.txt")
    with pytest.raises(DocumentError, match="1 to 64 characters"):
        collections.add("a\nb", folder)
    with pytest.raises(DocumentError, match="no collection named"):
        collections.reindex("x")
    collections.remove("notes")
    assert collections.list() == []
    with pytest.raises(DocumentError, match="no collection named"):
        collections.remove("notes")
    assert folder.joinpath("todo.txt").exists()  # the folder itself is never touched
    db = sqlite3.connect(collections.path)
    assert db.execute("SELECT count(*) FROM passages").fetchone() == (0,)
    assert db.execute(
        "SELECT count(*) FROM passage_fts WHERE passage_fts MATCH 'milk'"
    ).fetchone() == (0,)
    db.close()


def test_a_vanished_folder_is_one_sentence(collections: Collections, folder: Path) -> None:
    collections.add("notes", folder)
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    folder.rmdir()
    with pytest.raises(DocumentError, match="gone or not readable"):
        collections.reindex("notes")


def test_cancel_between_files_keeps_what_was_written(
    collections: Collections, folder: Path
) -> None:
    collections.add("notes", folder)
    seen: list[str] = []
    result = collections.reindex(
        "notes",
        progress=lambda done, total, path: seen.append(path),
        cancelled=lambda: len(seen) >= 1,
    )
    assert result.cancelled and len(result.added) == 1
    assert collections.list()[0].state == "indexing"
    rest = collections.reindex("notes")
    assert len(rest.added) == 2 and rest.unchanged == 1
    assert collections.list()[0].state == "ready"


def test_a_search_from_another_thread_runs_during_a_reindex(
    collections: Collections, folder: Path
) -> None:
    """The window re-indexes on a worker while the model's tool searches on another."""
    collections.add("notes", folder)
    found: list[list[str]] = []

    def search_meanwhile(done: int, total: int, path: str) -> None:
        thread = threading.Thread(target=lambda: found.append(names(collections.search("量子"))))
        thread.start()
        thread.join(timeout=30)

    collections.reindex("notes", progress=search_meanwhile)
    assert len(found) == 3
    assert found[-1] == ["中文.md"]  # the last file was committed before its progress call
    assert found[0] in ([], ["中文.md"])


def test_a_collection_removed_during_its_reindex_stops_it(
    collections: Collections, folder: Path
) -> None:
    collections.add("notes", folder)

    def remove_it(done: int, total: int, path: str) -> None:
        if done == 1:
            collections.remove("notes")

    with pytest.raises(DocumentError, match="no collection named “notes”"):
        collections.reindex("notes", progress=remove_it)
    assert collections.list() == []


def test_a_full_disk_or_a_locked_index_is_one_sentence(collections: Collections) -> None:
    holder = sqlite3.connect(collections.path, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing, for longer than we wait
    try:
        with Collections(collections.path) as other:
            other._conn.execute("PRAGMA busy_timeout = 0")
            with pytest.raises(
                DocumentError, match=r"collections index .* failed: database is locked"
            ):
                other.add("x", collections.path.parent)
    finally:
        holder.rollback()
        holder.close()


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from app.documents.collections import Collections
    c = Collections(Path(sys.argv[1]))
    def progress(done, total, path):
        print(path, flush=True)
        if done == 5:
            os.kill(os.getpid(), signal.SIGKILL)
    c.reindex("many", progress=progress)
    """
)


def test_a_reindex_killed_mid_way_resumes_and_finishes(tmp_path: Path) -> None:
    root = tmp_path / "many"
    root.mkdir()
    for i in range(12):
        (root / f"note{i:02}.txt").write_text(f"note number {i} mentions zebra{i:02}\n" * 40)
    db = tmp_path / "index" / DB_NAME
    with Collections(db) as c:
        c.add("many", root)
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert killed.returncode == -9, killed.stderr
    written = killed.stdout.split()
    assert len(written) == 5
    with Collections(db) as c:
        [info] = c.list()
        assert info.state == "indexing" and info.files == 5
        # Nothing half-indexed: each file's passages are all there, none without a file.
        conn = sqlite3.connect(db)
        per_file = conn.execute(
            "SELECT f.path, count(p.id) FROM files f LEFT JOIN passages p ON p.file_id = f.id"
            " GROUP BY f.id"
        ).fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM passages WHERE file_id NOT IN (SELECT id FROM files)"
        ).fetchone()
        conn.close()
        assert sorted(path for path, _ in per_file) == sorted(written)
        assert len({count for _, count in per_file}) == 1 and orphans == (0,)
        result = c.reindex("many")
        assert sorted(result.added) == sorted(
            set(f"note{i:02}.txt" for i in range(12)) - set(written)
        )
        assert result.unchanged == 5
        assert c.list()[0].state == "ready" and c.list()[0].files == 12
        assert {h.name for h in c.search("zebra11")} == {"note11.txt"}


def test_a_damaged_index_is_set_aside_and_started_again(tmp_path: Path, folder: Path) -> None:
    db = tmp_path / DB_NAME
    db.write_bytes(b"SQLite format 3\x00" + b"\x13" * 4000)
    with Collections(db) as c:
        assert c.recovered_from is not None and c.recovered_from.exists()
        assert c.list() == []
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE theirs (x)")
    conn.close()
    with Collections(foreign) as c:
        assert c.recovered_from is not None and "damaged" in c.recovered_from.name
        c.add("notes", folder)
    with Collections(foreign) as c:  # ours now: opened as it is
        assert c.recovered_from is None and [i.name for i in c.list()] == ["notes"]


def test_the_default_index_lives_in_the_data_folder(app_home: Path) -> None:
    with Collections() as c:
        assert c.path == app_home / "data" / DB_NAME
