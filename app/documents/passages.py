"""A document cut into passages of about ``target_chars``, each knowing where it came from.

A passage is what a search returns and what a citation names, so it must be a piece a
reader can find: it belongs to one PDF page (never straddles two), and its line range is
exact in the document's text (``Document.text``, the lines a citation counts). Cuts fall
on paragraph boundaries (blank lines) where the paragraphs fit, else after a sentence or at
a line end, else at a space, and only a run of text with none of these is cut mid-word.
Consecutive passages share up to ``overlap_chars`` (whole sentences or lines), so a fact
that straddles a cut is still whole in one of them.

Linear in the text: every boundary is found once and looked up by bisection.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from app.documents.extract import Document, Page

# The end of a sentence: Western punctuation followed by a space (or the end), or Chinese
# and Japanese full stops, which need no space; closing quotes and brackets stay with it.
_SENTENCE_END = re.compile(r"[.!?;]+[\"'”’)\]]*(?=\s|\Z)|[。！？；…]+[”’」』）)]*")


@dataclass(frozen=True, slots=True)
class Passage:
    name: str  # the document's name (or its path relative to a collection's folder)
    page: int | None
    first_line: int
    last_line: int
    text: str

    @property
    def source(self) -> str:
        """What a citation says: "paper.pdf p. 12", "notes/todo.md l. 10–42"."""
        if self.page is not None:
            return f"{self.name} p. {self.page}"
        if self.first_line == self.last_line:
            return f"{self.name} l. {self.first_line}"
        return f"{self.name} l. {self.first_line}–{self.last_line}"


def passages(
    doc: Document, *, name: str | None = None, target_chars: int = 1200, overlap_chars: int = 150
) -> list[Passage]:
    """``doc`` cut into passages of at most ``target_chars`` characters, page by page."""
    if target_chars < 1 or not 0 <= overlap_chars < target_chars:
        raise ValueError("need target_chars >= 1 and 0 <= overlap_chars < target_chars")
    out: list[Passage] = []
    for page in doc.pages:
        out.extend(_page_passages(page, name or doc.name, target_chars, overlap_chars))
    return out


class _Boundaries:
    """The places a page's text may be cut, as sorted offsets."""

    def __init__(self, text: str) -> None:
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        # Paragraphs: runs of lines that are not blank.
        self.paragraph_ends: list[int] = []
        self.paragraph_starts: list[int] = []
        inside = False
        ends = [*self.line_starts[1:], len(text) + 1]
        for start, end in zip(self.line_starts, ends, strict=True):
            blank = not text[start : end - 1].strip()
            if not blank and not inside:
                self.paragraph_starts.append(start)
            if blank and inside:
                self.paragraph_ends.append(start - 1)
            inside = not blank
        if inside:
            self.paragraph_ends.append(len(text))
        # Sentences end at their punctuation, and a line end is as good a place.
        sentence_ends = {m.end() for m in _SENTENCE_END.finditer(text)}
        sentence_ends.update(s - 1 for s in self.line_starts[1:])
        self.sentence_ends = sorted(sentence_ends)

    def line_of(self, offset: int) -> int:
        """0-based line of the character at ``offset``."""
        return bisect_right(self.line_starts, offset) - 1


def _last_in(points: list[int], low: int, high: int) -> int | None:
    """The largest point in (low, high], or None."""
    i = bisect_right(points, high) - 1
    return points[i] if i >= 0 and points[i] > low else None


def _first_in(points: list[int], low: int, high: int) -> int | None:
    """The smallest point in [low, high), or None."""
    i = bisect_left(points, low)
    return points[i] if i < len(points) and points[i] < high else None


def _end(text: str, b: _Boundaries, start: int, floor: int, target: int) -> int:
    """Where the passage that starts at ``start`` ends: past ``floor`` (the last passage's
    end, so each passage brings new text), at most ``target`` characters long."""
    limit = min(len(text), start + target)
    if limit == len(text):
        return limit
    paragraph = _last_in(b.paragraph_ends, floor, limit)
    sentence = _last_in(b.sentence_ends, floor, limit)
    # Whole paragraphs, unless that leaves the passage under half full and a sentence
    # end further on fits.
    if paragraph is not None and (sentence is None or paragraph - start >= target // 2):
        return paragraph
    if sentence is not None:
        return sentence
    space = max(text.rfind(" ", floor + 1, limit), text.rfind("\t", floor + 1, limit))
    return space if space > floor else limit


def _next_start(text: str, b: _Boundaries, start: int, end: int, overlap: int) -> int:
    """Where the next passage starts: the earliest sentence or line start within the last
    ``overlap`` characters of this one, else right after it. A passage that ended with its
    paragraph is not overlapped: the next paragraph starts afresh."""
    if overlap and not _is_in(b.paragraph_ends, end):
        low = max(start + 1, end - overlap)
        candidates = [
            p
            for p in (
                _first_in(b.sentence_ends, low, end),
                _first_in(b.line_starts, low, end),
                _first_in(b.paragraph_starts, low, end),
            )
            if p is not None
        ]
        for point in sorted(candidates):
            skipped = _skip_space(text, point)
            if skipped < end:
                return skipped
    return _skip_space(text, end)


def _is_in(points: list[int], point: int) -> bool:
    i = bisect_left(points, point)
    return i < len(points) and points[i] == point


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _page_passages(page: Page, name: str, target: int, overlap: int) -> list[Passage]:
    text = page.text
    b = _Boundaries(text)
    out: list[Passage] = []
    start = _skip_space(text, 0)
    floor = start  # the previous passage's end
    while start < len(text):
        end = _end(text, b, start, floor, target)
        piece = text[start:end].rstrip()
        if piece:
            out.append(
                Passage(
                    name=name,
                    page=page.number,
                    first_line=page.first_line + b.line_of(start),
                    last_line=page.first_line + b.line_of(start + len(piece) - 1),
                    text=piece,
                )
            )
        if end >= len(text):
            break
        floor = end
        start = _next_start(text, b, start, end, overlap)
    return out
