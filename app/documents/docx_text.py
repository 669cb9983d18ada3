"""The text of a Word document's ``word/document.xml``: paragraphs as lines, tables as
tab-separated rows, with the standard library's XML parser.

A document part never carries a DTD, so one that does is refused before parsing: no entity
can expand (the "billion laughs") and nothing external is fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from xml.etree import ElementTree

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class DocxXmlError(ValueError):
    """The part is not a document Word wrote (a DTD, or XML that does not parse)."""


def _runs(paragraph: ElementTree.Element) -> Iterator[str]:
    for node in paragraph.iter():
        if node.tag == _W + "t" and node.text:
            yield node.text
        elif node.tag == _W + "tab":
            yield "\t"
        elif node.tag in (_W + "br", _W + "cr"):
            yield "\n"


def _paragraph(paragraph: ElementTree.Element) -> str:
    return "".join(_runs(paragraph)).strip()


def _table(table: ElementTree.Element) -> Iterator[str]:
    for row in table.iter(_W + "tr"):
        cells = []
        for cell in row.findall(_W + "tc"):
            texts = (_paragraph(p) for p in cell.iter(_W + "p"))
            cells.append(" ".join(t.replace("\t", " ").replace("\n", " ") for t in texts if t))
        yield "\t".join(cells)


def _blocks(parent: ElementTree.Element, check: Callable[[], None]) -> Iterator[str]:
    for child in parent:
        check()
        if child.tag == _W + "p":
            yield _paragraph(child)
        elif child.tag == _W + "tbl":
            yield "\n".join(_table(child))
        else:  # content controls, inserted text and the like hold paragraphs in turn
            yield from _blocks(child, check)


def docx_text(xml: bytes, check: Callable[[], None] = lambda: None) -> str:
    """The document's text: paragraphs apart (a blank line between them, as passages are
    cut), a table's rows one a line with their cells tab-separated. ``check`` runs between
    blocks."""
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise DocxXmlError("a document part with a DTD")
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as e:
        raise DocxXmlError(str(e)) from e
    body = root.find(_W + "body")
    blocks = _blocks(body if body is not None else root, check)
    return "\n\n".join(b.strip() for b in blocks if b.strip())
