"""A conversation that searches the user's collections (real llama.cpp, scripted models, a
real index): with tools QwQ calls search_documents; without, the question's passages are
found and given with it; either way the answer's citations are checked against them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.citations import cited
from app.documents.collections import Collections
from app.engine.local_engine import LoadSettings, LocalEngine
from app.session import ChatSession, passage_for, sources_of
from app.store.conversations import ConversationStore
from app.tools.builtin import builtin_tools
from tests.fixtures.cli import cli, one_clear_line
from tests.fixtures.models import ScriptFactory

LAUNCH = "# Launch\n\nThe launch is on 14 March.\nThe budget is 12,000 EUR.\n"


@pytest.fixture
def notes(tmp_path: Path) -> Iterator[Collections]:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "launch.md").write_text(LAUNCH, encoding="utf-8")
    (folder / "other.md").write_text("# Other\n\nNothing about dates here.\n", encoding="utf-8")
    collections = Collections(tmp_path / "collections.db")
    collections.add("notes", folder)
    collections.reindex("notes")
    yield collections
    collections.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path / "data") as s:
        yield s


def test_without_tools_the_passages_come_with_the_question(
    store: ConversationStore, notes: Collections, scripted: ScriptFactory
) -> None:
    model = scripted(["Found it.", "</think>", "\n\n", "On 14 March ", "[launch.md l. 3]", "."])
    engine = LocalEngine(model.path, LoadSettings(context_length=4096))
    try:
        session = ChatSession(store, engine)
        session.collections = notes
        c = store.create()
        store.update_settings(c.id, collections=["notes"])
        generation = session.reply(c.id, "When is the launch?")
        list(generation)
        prompt = generation._generation.prompt  # type: ignore[attr-defined]
    finally:
        engine.close()
    user, reply = store.branch(c.id)
    (found,) = user.attachments
    assert found.kind == "passages" and "[launch.md" in found.text and "14 March" in found.text
    assert "14 March" in prompt and '<document name="Found in notes">' in prompt
    (citation,) = cited(reply.content, sources_of(store.branch(c.id)))
    assert citation.verified is True
    assert "The launch is on 14 March." in (passage_for(store.branch(c.id), citation) or "")


def test_with_tools_qwq_searches_and_cites(
    store: ConversationStore, notes: Collections, scripted: ScriptFactory
) -> None:
    call = '{"name": "search_documents", "arguments": {"query": "launch"}}'
    model = scripted(
        ["Let me look.", "</think>", "\n\n", "<tool_call>\n", call, "\n</tool_call>"],
        after_tool_results=["Found", "</", "think>\n\n", "On 14 March ", "[launch.md l. 3]"],
    )
    engine = LocalEngine(model.path, LoadSettings(context_length=8192))
    try:
        session = ChatSession(store, engine, tools=list(builtin_tools(store).values()))
        session.collections = notes
        c = store.create()
        store.update_settings(c.id, collections=["notes"])
        generation = session.reply(c.id, "When is the launch?")
        list(generation)
        prompt_had = '"name": "search_documents"' in generation._generation._current.prompt  # type: ignore[attr-defined]
    finally:
        engine.close()
    assert prompt_had
    user, reply = store.branch(c.id)
    assert user.attachments == ()  # with tools, nothing is searched for it up front
    (use,) = reply.tool_rounds[0].calls
    assert use.name == "search_documents" and use.result and "[launch.md" in use.result
    (citation,) = cited(reply.content, sources_of(store.branch(c.id)))
    assert citation.verified is True


def test_a_conversation_without_collections_gets_no_search(
    store: ConversationStore, notes: Collections, scripted: ScriptFactory
) -> None:
    model = scripted(["Hm.", "</think>", "\n\n", "Hello."])
    engine = LocalEngine(model.path, LoadSettings(context_length=4096))
    try:
        session = ChatSession(store, engine)
        session.collections = notes
        c = store.create()
        list(session.reply(c.id, "When is the launch?"))
    finally:
        engine.close()
    assert store.branch(c.id)[0].attachments == ()


def test_ask_collection_gives_the_passages_and_checks_the_citation(
    scripted: ScriptFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "launch.md").write_text(LAUNCH, encoding="utf-8")
    assert cli("collections", "add", "notes", str(folder)).returncode == 0
    model = scripted(["Found it.", "</think>", "\n\n", "On 14 March ", "[launch.md l. 3]", "."])
    base = ["ask", "-m", str(model.path), "--context", "4096"]
    result = cli(*base, "--collection", "notes", "--json", "When is the launch?")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [a["name"] for a in data["attachments"]] == ["Found in notes"]
    assert [(c["text"], c["verified"]) for c in data["citations"]] == [("[launch.md l. 3]", True)]
    one_clear_line(cli(*base, "--collection", "nowhere", "q"), "no collection 'nowhere'")
