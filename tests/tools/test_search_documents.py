"""The search_documents tool on a real collection: passages headed by their sources, a
sentence when nothing matches, bad calls answered, and a cap on what one call returns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.documents.collections import Collections
from app.documents.extract import extract
from app.documents.passages import passages
from app.tools.search_documents import MAX_CHARS, search_documents_tool


@pytest.fixture
def collections(tmp_path: Path) -> Iterator[Collections]:
    root = tmp_path / "contracts"
    root.mkdir()
    (root / "lease.md").write_text(
        "# Lease\n\nThe tenant may end the lease with three months' notice.\n", "utf-8"
    )
    (root / "合同.txt").write_text("租赁合同：租户须提前三个月通知。\n", "utf-8")
    other = tmp_path / "recipes"
    other.mkdir()
    (other / "bread.txt").write_text("Sourdough needs notice of a day to rise.\n")
    with Collections(tmp_path / "collections.db") as c:
        for name, folder in (("contracts", root), ("recipes", other)):
            c.add(name, folder)
            c.reindex(name)
        yield c


def test_passages_come_with_their_sources_in_brackets(
    collections: Collections, tmp_path: Path
) -> None:
    tool = search_documents_tool(collections, ["contracts"])
    assert tool.name == "search_documents" and not tool.needs_approval
    assert "contracts" in tool.spec().description
    result = tool.run({"query": "notice lease"})
    assert result.ok
    [passage] = passages(extract(tmp_path / "contracts" / "lease.md"), name="lease.md")
    assert f"[{passage.source}]\n{passage.text}" in result.text
    assert result.text.startswith("1 passage from the documents (contracts) for: notice lease.")
    assert "Sourdough" not in result.text  # recipes is not attached


def test_chinese_query_and_several_collections(collections: Collections) -> None:
    result = search_documents_tool(collections, ["contracts"]).run({"query": "三个月"})
    assert result.ok and "[合同.txt" in result.text and "租户" in result.text
    both = search_documents_tool(collections, ["contracts", "recipes"]).run({"query": "notice"})
    assert "2 passages" in both.text and "[bread.txt" in both.text and "[lease.md" in both.text


def test_no_match_is_a_sentence(collections: Collections) -> None:
    result = search_documents_tool(collections, ["contracts"]).run({"query": "submarine"})
    assert result.ok
    assert result.text.startswith("No passage in the documents (contracts) matches: submarine.")


def test_bad_calls_are_answered_with_what_to_send(collections: Collections, tmp_path: Path) -> None:
    tool = search_documents_tool(collections, ["contracts"])
    assert not tool.run({}).ok
    assert "must be a string" in tool.run({"query": 3}).text
    empty = tool.run({"query": "   "})
    assert not empty.ok and "empty" in empty.for_model
    gone = search_documents_tool(collections, ["removed"]).run({"query": "notice"})
    assert not gone.ok and "no collection named" in gone.text
    hostile = tool.run({"query": '" NEAR( * a OR'})
    assert hostile.ok and hostile.text.startswith("No passage")
    with pytest.raises(ValueError):  # a tool over no documents is never offered
        search_documents_tool(collections, [])


def test_one_call_returns_at_most_max_chars_of_passages(tmp_path: Path) -> None:
    root = tmp_path / "big"
    root.mkdir()
    for i in range(10):
        (root / f"f{i}.txt").write_text("\n".join(f"walrus line {n} of {i}" for n in range(300)))
    with Collections(tmp_path / "c.db") as c:
        c.add("big", root)
        c.reindex("big")
        result = search_documents_tool(c, ["big"], limit=50).run({"query": "walrus"})
    assert result.ok
    body = result.text.split("\n\n", 1)[1]
    assert MAX_CHARS // 2 < len(body) < MAX_CHARS + 50 * 40
    assert body.count("[f") >= 5
