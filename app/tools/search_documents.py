"""The ``search_documents`` tool: QwQ searches the user's document collections attached
to the conversation (:meth:`Collections.search`) and gets the best passages, each headed
by its source in brackets (``[paper.pdf p. 12]``), the form it is asked to cite.

What it returns is capped (passages and characters) so one search cannot fill the
context; the text is English, for the model.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.documents.collections import Collections, Hit
from app.documents.extract import DocumentError
from app.tools.tool import BuiltinTool, ToolError, string_parameters

MAX_QUERY = 500  # characters
MAX_HITS = 6
MAX_CHARS = 9000  # of all passages together (about 2,500 tokens)


def search(collections: Collections, names: Sequence[str], query: str, *, limit: int) -> str:
    """The passages for ``query`` as the model reads them (see the module's docstring)."""
    if not query.split():
        raise ToolError("The query is empty: send the words to look for.")
    try:
        hits = collections.search(query, names=list(names), limit=limit)
    except DocumentError as e:
        raise ToolError(f"The search failed: {e}") from None
    where = ", ".join(names)
    if not hits:
        return (
            f"No passage in the documents ({where}) matches: {query.strip()}. Try other or"
            " fewer words, a synonym, or a distinctive part of a word."
        )
    blocks: list[str] = []
    used = 0
    for hit in hits:
        text = _capped(hit, MAX_CHARS - used)
        if not text:
            break
        blocks.append(f"[{hit.source}]\n{text}")
        used += len(text)
    count = f"{len(blocks)} passage{'s' if len(blocks) > 1 else ''}"
    return (
        f"{count} from the documents ({where}) for: {query.strip()}. Cite a passage by its"
        " source in brackets, as written.\n\n" + "\n\n".join(blocks)
    )


def _capped(hit: Hit, room: int) -> str:
    if room < 200:
        return ""
    text = hit.text.strip()
    return text if len(text) <= room else text[: room - 1].rstrip() + "…"


def search_documents_tool(
    collections: Collections, names: Sequence[str], *, limit: int = MAX_HITS
) -> BuiltinTool:
    """The ``search_documents`` tool over the collections ``names`` (those attached to the
    conversation)."""
    chosen = tuple(names)
    if not chosen:
        raise ValueError("search_documents needs at least one collection")
    return BuiltinTool(
        name="search_documents",
        description=(
            "Search the user's own documents (the collections "
            f"{', '.join(chosen)}) and get up to {limit} passages, each headed by its"
            " source in brackets such as [report.pdf p. 12] or [notes/todo.md l. 10–42]."
            " Passages with every word come first, else those with some. Any three or more"
            " characters match inside words, so Chinese works without spaces. Cite the"
            " sources you use, in brackets, exactly as given."
        ),
        parameters=string_parameters(query=("The words to look for.", MAX_QUERY)),
        needs_approval=False,
        action=lambda query: search(collections, chosen, query, limit=limit),
    )
