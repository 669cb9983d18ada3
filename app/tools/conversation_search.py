"""The ``search_conversations`` tool: QwQ looks up what was said in this app's earlier
conversations, through the store's full-text index (:meth:`ConversationStore.search`).

The result is a few hits, each with its conversation's title, the date and a snippet,
capped in number and length so a common word cannot flood the context. The conversation
being answered can be left out (it would find the question itself).
"""

from __future__ import annotations

import re
from datetime import datetime

from app.store.conversations import (
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    ConversationStore,
    SearchHit,
    fts_query,
)
from app.store.database import StoreError
from app.tools.tool import BuiltinTool, ToolError, string_parameters

MAX_QUERY = 500  # characters
MAX_HITS = 5
MAX_PER_CONVERSATION = 2
MAX_SNIPPET = 300  # characters of each snippet
_WHERE = {
    "title": "in the title",
    "answer": "in QwQ's answer",
    "prompt": "in the user's message",
    "reasoning": "in QwQ's reasoning",
}


def search(
    store: ConversationStore,
    query: str,
    *,
    limit: int = MAX_HITS,
    exclude_conversation: int | None = None,
) -> str:
    """The hits for ``query`` as the model reads them (see the module's docstring)."""
    if fts_query(query) is None:
        raise ToolError("The query has no words to search for.")
    try:
        found = store.search(query, limit=limit * 4 + 1)
    except StoreError as e:
        raise ToolError(f"The search failed: {e}") from None
    hits: list[SearchHit] = []
    per_conversation: dict[int, int] = {}
    for hit in found:
        seen = per_conversation.get(hit.conversation_id, 0)
        if hit.conversation_id == exclude_conversation or seen >= MAX_PER_CONVERSATION:
            continue
        per_conversation[hit.conversation_id] = seen + 1
        hits.append(hit)
        if len(hits) == limit:
            break
    words = ", ".join(re.findall(r"\w+", query)[:12])
    if not hits:
        return (
            f"No earlier conversation matches all of: {words}. Try fewer or other words"
            " (every word must appear; the last may be the start of a word)."
        )
    lines = [f"{len(hits)} match{'es' if len(hits) > 1 else ''} for: {words}"]
    for number, hit in enumerate(hits, 1):
        lines.append(
            f'{number}. "{hit.title or "Untitled"}" ({_date(store, hit)}), {_WHERE[hit.field]}:'
            f" {_plain(hit.snippet)}"
        )
    return "\n".join(lines)


def _date(store: ConversationStore, hit: SearchHit) -> str:
    try:
        when = (
            store.message(hit.message_id).created_at
            if hit.message_id is not None
            else store.get(hit.conversation_id).updated_at
        )
    except StoreError:  # deleted between the search and now
        return "date unknown"
    return datetime.fromtimestamp(when).strftime("%Y-%m-%d")


def _plain(snippet: str) -> str:
    text = " ".join(snippet.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "").split())
    return text if len(text) <= MAX_SNIPPET else text[: MAX_SNIPPET - 1].rstrip() + "…"


def search_conversations_tool(
    store: ConversationStore,
    *,
    limit: int = MAX_HITS,
    exclude_conversation: int | None = None,
) -> BuiltinTool:
    """The ``search_conversations`` tool over ``store``, leaving out the conversation
    ``exclude_conversation`` (the one being answered)."""
    return BuiltinTool(
        name="search_conversations",
        description=(
            "Search the user's earlier conversations in this app (titles, questions, answers"
            f" and reasoning) and get up to {limit} matches, each with the conversation's"
            " title, date and a snippet. Every word of the query must appear (the last may"
            " be the start of a word), so use one to three distinctive words."
        ),
        parameters=string_parameters(query=("The words to look for.", MAX_QUERY)),
        needs_approval=False,
        action=lambda query: search(
            store, query, limit=limit, exclude_conversation=exclude_conversation
        ),
    )
