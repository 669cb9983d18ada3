"""Citations in an answer, ``[paper.pdf p. 12]``, checked against the sources QwQ was given.

QwQ is told to cite the documents it uses by name and page (or lines), the way each
document's text is marked for it (:mod:`app.core.attachments`, the passages a
``search_documents`` call returns). :func:`find_citations` reads them out of an answer;
:func:`check` says of each whether that source was really given (a file attached to the
conversation, with that page; a passage a search returned), so the window can mark a
citation the model made up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

# [name.ext], [name.ext p. 12], [name.ext, p. 3-4], [dir/name.ext l. 10–42]
_CITATION = re.compile(
    r"\[(?P<name>[^\[\]\n]{1,200}?\.[A-Za-z0-9]{1,8})"
    r"(?:,?\s*(?:p\.|pp\.|page)\s*(?P<page>\d{1,6})(?:\s*[-–]\s*(?P<page_to>\d{1,6}))?)?"
    r"(?:,?\s*(?:l\.|ll\.|lines?)\s*(?P<line>\d{1,9})(?:\s*[-–]\s*(?P<line_to>\d{1,9}))?)?"
    r"\]"
)
MAX_CITATIONS = 500  # read out of one answer


@dataclass(frozen=True, slots=True)
class Citation:
    text: str  # as written, brackets included
    name: str
    page: int | None
    first_line: int | None
    start: int  # where it is in the answer
    end: int
    verified: bool | None = None  # None: not checked yet
    last_line: int | None = None

    @property
    def label(self) -> str:
        """The citation without its brackets: "paper.pdf p. 12"."""
        return self.text[1:-1]

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "name": self.name,
            "page": self.page,
            "line": self.first_line,
            "last_line": self.last_line,
            "verified": self.verified,
        }


@dataclass(frozen=True, slots=True)
class Source:
    """What QwQ was given of one document: its name, and the pages (None: the whole
    document, or one without pages) or line ranges it saw."""

    name: str
    pages: frozenset[int] | None = None
    lines: tuple[tuple[int, int], ...] = ()

    def covers(self, c: Citation) -> bool:
        if c.page is not None and self.pages is not None and c.page not in self.pages:
            return False
        if c.first_line is not None and self.lines:
            return any(a <= c.first_line <= b for a, b in self.lines)
        return True


def find_citations(answer: str) -> list[Citation]:
    found: list[Citation] = []
    for m in _CITATION.finditer(answer):
        if len(found) >= MAX_CITATIONS:
            break
        page = m.group("page")
        line = m.group("line")
        line_to = m.group("line_to")
        found.append(
            Citation(
                m.group(0),
                m.group("name").strip(),
                int(page) if page else None,
                int(line) if line else None,
                m.start(),
                m.end(),
                last_line=int(line_to) if line_to else (int(line) if line else None),
            )
        )
    return found


def _key(name: str) -> str:
    return name.strip().lower()


def check(citations: Sequence[Citation], sources: Iterable[Source]) -> list[Citation]:
    """Each citation marked verified when a source of that name (its file name, or its
    path in a collection) covers its page or lines."""
    by_name: dict[str, list[Source]] = {}
    for s in sources:
        for key in {_key(s.name), _key(s.name.rsplit("/", 1)[-1])}:
            by_name.setdefault(key, []).append(s)
    return [
        replace(c, verified=any(s.covers(c) for s in by_name.get(_key(c.name), [])))
        for c in citations
    ]


def merge_sources(sources: Iterable[Source]) -> list[Source]:
    """Sources of the same name joined (pages and line ranges together)."""
    merged: dict[str, Source] = {}
    for s in sources:
        old = merged.get(s.name)
        if old is None:
            merged[s.name] = s
            continue
        pages = None if old.pages is None or s.pages is None else old.pages | s.pages
        merged[s.name] = Source(s.name, pages, old.lines + s.lines)
    return list(merged.values())


def pages_of(marked_text: str, mark: str = "[p. {page}]") -> frozenset[int] | None:
    """The page numbers marked in an attachment's text (None: a text without pages)."""
    pattern = re.escape(mark).replace(re.escape("{page}"), r"(\d+)")
    pages = frozenset(int(n) for n in re.findall(rf"(?m)^{pattern}$", marked_text))
    return pages or None


def cited(answer: str, sources: Mapping[str, Source] | Iterable[Source]) -> list[Citation]:
    """The answer's citations, checked."""
    values = sources.values() if isinstance(sources, Mapping) else sources
    return check(find_citations(answer), values)
