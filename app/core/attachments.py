"""Files attached to a message: their extracted text, kept with the message, and how the
model is given them.

An :class:`Attachment` is what the store keeps: the file's name, kind, size, the tokens its
text takes and the text itself (the original file is not needed later). The model reads
each attached document before the question, named, its pages marked, so it can say where
an answer comes from (``[paper.pdf p. 12]``)::

    <document name="paper.pdf">
    [p. 1]
    …
    </document>

    What does the paper conclude?
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

PAGE_MARK = "[p. {page}]"


@dataclass(frozen=True, slots=True)
class Attachment:
    name: str
    kind: str  # "text", "markdown", "code", "csv", "json", "pdf", "docx", "html"; or
    # "passages": what a search of the conversation's collections found for the question
    size: int  # bytes of the original file
    tokens: int  # the text as the model reads it (document tags included); 0: not counted
    text: str  # the extracted text, PDF pages marked with PAGE_MARK
    pages: int = 0  # PDF pages (0: a format without pages)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "size": self.size,
            "tokens": self.tokens,
            "text": self.text,
            "pages": self.pages,
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Attachment:
        """From :meth:`to_json`'s shape, already checked (``app.store.validate``)."""
        return Attachment(
            data["name"], data["kind"], data["size"], data["tokens"], data["text"], data["pages"]
        )


def _attribute(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def document_block(a: Attachment) -> str:
    """One attachment as the model reads it. A closing tag inside the text cannot end the
    block early: it is escaped."""
    body = a.text.replace("</document>", "<\\/document>")
    return f'<document name="{_attribute(a.name)}">\n{body}\n</document>'


CITE_HINT = (
    "(When you use these documents, cite them by name, and page where there are pages, "
    "like [{example}].)"
)


def counted(a: Attachment, count_tokens: Callable[[str], int]) -> Attachment:
    """``a`` with the tokens its block takes in the prompt."""
    return replace(a, tokens=count_tokens(document_block(a)))


def with_attachments(question: str, attachments: Sequence[Attachment]) -> str:
    """The user's message as the model reads it: the documents, how to cite them, then
    the question."""
    if not attachments:
        return question
    blocks = "\n\n".join(document_block(a) for a in attachments)
    first = attachments[0]
    example = f"{first.name} p. 1" if first.pages else first.name
    return f"{blocks}\n\n{CITE_HINT.format(example=example)}\n\n{question}"
