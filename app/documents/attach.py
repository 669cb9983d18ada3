"""A file attached to a message: extracted, its pages marked, its tokens counted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.core.attachments import PAGE_MARK, Attachment, counted
from app.documents.extract import DEFAULT_LIMITS, Document, ExtractLimits, extract


def text_of(doc: Document) -> str:
    """The document's text as the model reads it: a PDF's pages each headed by its
    number (``[p. 12]``), so an answer can cite the page."""
    if not any(p.number is not None for p in doc.pages):
        return doc.text
    return "\n\n".join(
        f"{PAGE_MARK.format(page=p.number)}\n{p.text}" if p.number is not None else p.text
        for p in doc.pages
    )


def attachment_of(doc: Document, count_tokens: Callable[[str], int]) -> Attachment:
    pages = sum(1 for p in doc.pages if p.number is not None)
    return counted(Attachment(doc.name, doc.kind, doc.size, 0, text_of(doc), pages), count_tokens)


def attach(
    path: Path,
    count_tokens: Callable[[str], int],
    limits: ExtractLimits = DEFAULT_LIMITS,
    *,
    cancelled: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Attachment:
    """Extract ``path`` (:class:`~app.documents.extract.DocumentError` if it cannot be
    read) and count the tokens it will take in the prompt."""
    doc = extract(path, limits, cancelled=cancelled, progress=progress)
    return attachment_of(doc, count_tokens)
