"""``qwq-desktop collections``: the real command line in a subprocess, on a real folder."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fixtures.cli import cli, one_clear_line


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "papers"
    (root / "2024").mkdir(parents=True)
    (root / "2024" / "optics.md").write_text("Fresnel lenses bend light in lighthouses.\n")
    (root / "量子.txt").write_text("量子纠缠是一种物理现象。\n", encoding="utf-8")
    (root / "figure.png").write_bytes(b"\x89PNG\r\n")
    return root


def test_add_list_search_reindex_remove(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    added = cli("collections", "add", "papers", str(root))
    assert added.returncode == 0, added.stderr
    assert added.stdout == ""
    assert "Indexed papers: 2 files, 2 passages (2 added" in added.stderr
    assert "1 skipped" in added.stderr

    listed = cli("collections", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert (row["name"], row["folder"], row["files"], row["passages"], row["state"]) == (
        "papers",
        str(root.resolve()),
        2,
        2,
        "ready",
    )
    assert "papers  2 files  2 passages" in cli("collections", "list").stdout

    found = cli("collections", "search", "papers", "fresnel", "lens", "--json")
    assert found.returncode == 0, found.stderr
    [hit] = json.loads(found.stdout)
    assert set(hit) == {"source", "text", "score"}
    assert hit["source"].startswith("2024/optics.md") and "Fresnel" in hit["text"]
    plain = cli("collections", "search", "papers", "量子")
    assert plain.returncode == 0 and plain.stdout.startswith("[量子.txt")
    assert "量子纠缠" in plain.stdout
    nothing = cli("collections", "search", "papers", "submarine", "--json")
    assert nothing.returncode == 0 and json.loads(nothing.stdout) == []

    (root / "2024" / "optics.md").unlink()
    (root / "new.txt").write_text("a note about a broken file\n")
    (root / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 64)
    again = cli("collections", "reindex", "papers")
    assert again.returncode == 0, again.stderr
    assert "(1 added, 0 changed, 1 removed, 1 unchanged, 1 failed, 1 skipped)" in again.stderr
    assert "qwq-desktop: note: broken.txt was not indexed:" in again.stderr
    assert json.loads(cli("collections", "search", "papers", "fresnel", "--json").stdout) == []

    removed = cli("collections", "remove", "papers")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(cli("collections", "list", "--json").stdout) == []
    assert (root / "new.txt").exists()


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    one_clear_line(cli("collections", "add", "x", str(tmp_path / "missing")), "is not a folder")
    one_clear_line(cli("collections", "reindex", "nope"), "no collection named “nope”")
    one_clear_line(cli("collections", "search", "nope", "light"), "no collection named")
    one_clear_line(cli("collections", "remove", "nope"), "no collection named")
    assert cli("collections", "add", "papers", str(root)).returncode == 0
    one_clear_line(cli("collections", "add", "papers", str(root)), "already exists")
