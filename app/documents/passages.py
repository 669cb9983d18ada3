"""A minimal stand-in for splitting a document into passages (by lines, about
``target_chars`` each), with the shared interface's signatures; the real module replaces
this file whole."""

from __future__ import annotations

from dataclasses import dataclass

from app.documents.extract import Document


@dataclass(frozen=True, slots=True)
class Passage:
    name: str
    page: int | None
    first_line: int
    last_line: int
    text: str

    @property
    def source(self) -> str:
        if self.page is not None:
            return f"{self.name} p. {self.page}"
        if self.first_line == self.last_line:
            return f"{self.name} l. {self.first_line}"
        return f"{self.name} l. {self.first_line}–{self.last_line}"


def passages(
    doc: Document, *, name: str | None = None, target_chars: int = 1200, overlap_chars: int = 150
) -> list[Passage]:
    found: list[Passage] = []
    for page in doc.pages:
        lines = page.text.split("\n")
        start = 0
        while start < len(lines):
            end, size = start, 0
            while end < len(lines) and (end == start or size + len(lines[end]) <= target_chars):
                size += len(lines[end]) + 1
                end += 1
            piece = lines[start:end]
            while piece and not piece[-1].strip():
                piece.pop()
            text = "\n".join(piece).strip()
            if text:
                first = page.first_line + start
                found.append(
                    Passage(name or doc.name, page.number, first, first + len(piece) - 1, text)
                )
            if end >= len(lines):
                break
            back, kept = end, 0
            while back - 1 > start and kept + len(lines[back - 1]) < overlap_chars:
                back -= 1
                kept += len(lines[back]) + 1
            start = back
    return found
