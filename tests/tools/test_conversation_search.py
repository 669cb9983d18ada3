"""The search_conversations tool on a real ConversationStore."""

from __future__ import annotations

from datetime import datetime

from app.store.conversations import ConversationStore
from app.tools.conversation_search import MAX_SNIPPET, search_conversations_tool


def _day(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _conversation(
    store: ConversationStore, title: str, question: str, answer: str, when: str
) -> int:
    conversation = store.create(title=title, created_at=_day(when))
    asked = store.add_message(
        conversation.id, "user", question, parent_id=None, created_at=_day(when)
    )
    store.add_message(
        conversation.id,
        "assistant",
        answer,
        parent_id=asked.id,
        reasoning="Let me think about the numbers.",
        created_at=_day(when),
    )
    return conversation.id


def test_hits_have_title_date_and_snippet(store: ConversationStore) -> None:
    _conversation(
        store,
        "Bread",
        "How long does sourdough need to proof?",
        "Sourdough usually proofs for 4 to 6 hours at room temperature.",
        "2026-03-14T10:00:00",
    )
    _conversation(store, "Taxes", "What is VAT?", "A value-added tax.", "2026-04-01T09:00:00")
    result = search_conversations_tool(store).run({"query": "sourdough proof"})
    assert result.ok
    lines = result.text.splitlines()
    assert lines[0] == "2 matches for: sourdough, proof"
    assert [line[:3] for line in lines[1:]] == ["1. ", "2. "]
    assert sorted(line.split(":")[0][3:] for line in lines[1:]) == [
        '"Bread" (2026-03-14), in QwQ\'s answer',
        '"Bread" (2026-03-14), in the user\'s message',
    ]
    assert "Sourdough usually proofs for 4 to 6 hours" in result.text
    assert "How long does sourdough need to proof?" in result.text
    assert "\x02" not in result.text and "\x03" not in result.text
    assert "Taxes" not in result.text


def test_hits_are_capped_per_conversation_and_in_all(store: ConversationStore) -> None:
    for n in range(8):
        conversation = _conversation(
            store, f"Primes {n}", "List primes", "2, 3, 5 and 7 are primes.", "2026-01-02T03:04:05"
        )
        store.add_message(conversation, "user", "more primes please", parent_id=None)
    tool = search_conversations_tool(store, limit=4)
    text = tool.run({"query": "primes"}).text
    lines = text.splitlines()
    assert lines[0] == "4 matches for: primes"
    assert len(lines) == 5
    titles = [line.split('"')[1] for line in lines[1:]]
    assert all(titles.count(t) <= 2 for t in titles)


def test_long_snippets_are_cut(store: ConversationStore) -> None:
    _conversation(store, "Long", "word " * 10, "needle " + "hay " * 400, "2026-01-01T00:00:00")
    text = search_conversations_tool(store).run({"query": "needle"}).text
    for line in text.splitlines()[1:]:
        snippet = line.split(": ", 1)[1]
        assert len(snippet) <= MAX_SNIPPET


def test_the_conversation_being_answered_is_left_out(store: ConversationStore) -> None:
    current = _conversation(store, "Now", "What about quasars?", "…", "2026-05-05T05:05:05")
    earlier = _conversation(store, "Then", "Quasars?", "Quasars are bright.", "2026-01-01T00:00:00")
    text = (
        search_conversations_tool(store, exclude_conversation=current)
        .run({"query": "quasars"})
        .text
    )
    assert '"Then"' in text
    assert '"Now"' not in text
    assert earlier != current


def test_no_match_and_no_words_say_what_to_do(store: ConversationStore) -> None:
    tool = search_conversations_tool(store)
    nothing = tool.run({"query": "zeppelin armadillo"})
    assert nothing.ok
    assert nothing.text.startswith("No earlier conversation matches all of: zeppelin, armadillo.")
    punctuation = tool.run({"query": "?!"})
    assert not punctuation.ok
    assert punctuation.text == "The query has no words to search for."
    huge = tool.run({"query": "a" * 10_000})
    assert not huge.ok
    assert "too long" in huge.text
    missing = tool.run({})
    assert not missing.ok
    assert missing.text == (
        "The argument 'query' is missing. search_conversations takes: query (string)."
    )
