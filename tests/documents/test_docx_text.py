"""A Word document part to text: paragraphs, tables, runs, and the parts a DTD would open."""

from __future__ import annotations

import pytest

from app.documents.docx_text import DocxXmlError, docx_text
from tests.fixtures.documents import W_NS, document_xml


def _xml(body: str) -> bytes:
    return f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'.encode()


def test_runs_tabs_and_breaks_inside_a_paragraph() -> None:
    body = (
        "<w:p><w:r><w:t>Keep</w:t></w:r><w:r><w:t xml:space='preserve'> the </w:t></w:r>"
        "<w:r><w:t>light</w:t><w:tab/><w:t>on</w:t><w:br/><w:t>tonight</w:t></w:r></w:p>"
    )
    assert docx_text(_xml(body)) == "Keep the light\ton\ntonight"


def test_paragraphs_inside_content_controls_are_read_in_order() -> None:
    body = (
        "<w:p><w:r><w:t>first</w:t></w:r></w:p>"
        "<w:sdt><w:sdtContent><w:p><w:r><w:t>inside</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        "<w:p><w:r><w:t>last</w:t></w:r></w:p>"
    )
    assert docx_text(_xml(body)) == "first\n\ninside\n\nlast"


def test_a_table_is_rows_of_tab_separated_cells() -> None:
    xml = document_xml(["before"], table=[["a", "b\tc"], ["", "d"]]).encode()
    assert docx_text(xml) == "before\n\na\tb c\n\td"


@pytest.mark.parametrize(
    "xml",
    [
        b'<?xml version="1.0"?><!DOCTYPE w SYSTEM "http://example.invalid/w.dtd"><w/>',
        b'<!ENTITY a "x"><w/>',
        b"<w:document><unclosed>",
    ],
    ids=["external-dtd", "entity", "not-xml"],
)
def test_a_dtd_or_broken_xml_is_refused(xml: bytes) -> None:
    with pytest.raises(DocxXmlError):
        docx_text(xml)


def test_the_check_runs_between_blocks() -> None:
    seen: list[int] = []
    docx_text(document_xml(["a", "b", "c"]).encode(), lambda: seen.append(1))
    assert len(seen) == 4  # three paragraphs and the section properties
