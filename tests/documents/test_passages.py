"""Passages: the pieces a search returns and a citation names, checked against the text."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.documents.extract import Document, Page, extract_bytes
from app.documents.passages import Passage, passages
from tests.fixtures.documents import text_pdf


def _doc(text: str, name: str = "notes.md") -> Document:
    return Document(name=name, kind="markdown", size=len(text), pages=(Page(None, text, 1),))


def _assert_exact(doc: Document, passage: Passage) -> None:
    """The passage's lines are the document's lines first_line..last_line: its first line
    ends that line, its last line starts that line, the ones between are whole."""
    lines = doc.text.split("\n")
    own = passage.text.split("\n")
    assert len(own) == passage.last_line - passage.first_line + 1, passage
    if len(own) == 1:
        assert own[0] in lines[passage.first_line - 1], passage
        return
    assert lines[passage.first_line - 1].endswith(own[0]), passage
    assert own[1:-1] == lines[passage.first_line : passage.last_line - 1], passage
    assert lines[passage.last_line - 1].startswith(own[-1]), passage


def _assert_covered(doc: Document, cut: list[Passage]) -> None:
    """Every line with text is in some passage's range."""
    covered = {n for p in cut for n in range(p.first_line, p.last_line + 1)}
    for n, line in enumerate(doc.text.split("\n"), 1):
        if line.strip():
            assert n in covered, f"line {n} {line!r} in no passage"


def test_a_source_names_the_page_or_the_lines() -> None:
    assert Passage("paper.pdf", 12, 400, 430, "…").source == "paper.pdf p. 12"
    assert Passage("notes/todo.md", None, 10, 42, "…").source == "notes/todo.md l. 10–42"
    assert Passage("todo.md", None, 7, 7, "…").source == "todo.md l. 7"


def test_a_pdf_passage_belongs_to_one_page_and_says_which() -> None:
    doc = extract_bytes("paper.pdf", text_pdf(3, lines=40))
    cut = passages(doc)
    assert {p.page for p in cut} == {1, 2, 3}
    for p in cut:
        assert p.source == f"paper.pdf p. {p.page}"
        assert len(p.text) <= 1200
        for line in p.text.split("\n"):
            assert line.startswith(f"Page {p.page} line "), (p.page, line)
        _assert_exact(doc, p)
    _assert_covered(doc, cut)
    # Page 2 starts at line 42 of the document's text (40 lines, a blank one).
    assert min(p.first_line for p in cut if p.page == 2) == 42


def test_paragraphs_that_fit_stay_whole() -> None:
    paragraphs = [f"Paragraph {i}. " + "The keeper lit the lamp. " * 10 for i in range(8)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    doc = _doc(text)
    cut = passages(doc, target_chars=1000, overlap_chars=100)
    assert len(cut) > 1
    for p in cut:
        assert p.text.startswith("Paragraph ") and p.text.endswith("lamp.")
        assert len(p.text) <= 1000
        _assert_exact(doc, p)
    # Each paragraph once: a passage that ends with its paragraph is not overlapped.
    assert sum(p.text.count("Paragraph ") for p in cut) == 8
    assert [p.source for p in cut][:2] == ["notes.md l. 1–5", "notes.md l. 7–11"]


def test_a_long_paragraph_is_cut_after_sentences_with_overlap() -> None:
    text = " ".join(f"Ship {i} passed the light at dawn." for i in range(200))
    doc = _doc(text, "log.txt")
    cut = passages(doc, target_chars=400, overlap_chars=80)
    assert len(cut) > 10
    for before, after in pairwise(cut):
        assert before.text.endswith("dawn.") and after.text.startswith("Ship ")
        assert len(before.text) <= 400
        # The next passage opens with the last sentences of this one (up to 80 characters).
        shared = before.text[before.text.rfind(after.text.split(" dawn.")[0] + " dawn.") :]
        assert after.text.startswith(shared) and 0 < len(shared) <= 80
    assert cut[-1].text.endswith("Ship 199 passed the light at dawn.")


def test_chinese_is_cut_after_its_full_stops() -> None:
    text = "".join(f"第{i}艘船在黎明时经过灯塔。" for i in range(300))
    doc = _doc(text, "日志.txt")
    cut = passages(doc, target_chars=200, overlap_chars=30)
    assert len(cut) > 10
    for p in cut:
        assert p.text.startswith("第") and p.text.endswith("。")
        assert len(p.text) <= 200
        assert p.source == "日志.txt l. 1"


def test_text_without_any_boundary_is_cut_at_the_target() -> None:
    doc = _doc("x" * 2500)
    cut = passages(doc, target_chars=1000, overlap_chars=0)
    assert [len(p.text) for p in cut] == [1000, 1000, 500]


def test_lines_count_from_the_page_and_a_name_can_be_given() -> None:
    code = "\n".join(f"def f{i}():\n    return {i}\n" for i in range(100))
    doc = extract_bytes("tool.py", code.encode())
    cut = passages(doc, name="src/tool.py", target_chars=300, overlap_chars=40)
    assert all(p.name == "src/tool.py" and p.page is None for p in cut)
    assert cut[0].source.startswith("src/tool.py l. 1–")
    for p in cut:
        _assert_exact(doc, p)
    _assert_covered(doc, cut)


def test_an_empty_document_has_no_passages_and_bad_sizes_are_refused() -> None:
    assert passages(_doc("")) == []
    assert passages(_doc("\n\n  \n")) == []
    with pytest.raises(ValueError):
        passages(_doc("text"), target_chars=100, overlap_chars=100)
    with pytest.raises(ValueError):
        passages(_doc("text"), target_chars=0, overlap_chars=0)


_PIECES = st.sampled_from(
    [
        "word",
        "Ship",
        "灯塔",
        "。",
        ". ",
        "! ",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\n \n",
        "\t",
        "x" * 40,
        "é",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    pages=st.lists(st.lists(_PIECES, max_size=120).map("".join), min_size=1, max_size=3),
    target=st.integers(5, 300),
    overlap_share=st.floats(0, 0.9),
    paged=st.booleans(),
)
def test_any_text_is_cut_into_exact_covering_passages(
    pages: list[str], target: int, overlap_share: float, paged: bool
) -> None:
    texts = [t.strip() for t in pages]
    page_list: list[Page] = []
    line = 1
    for number, text in enumerate(texts, 1):
        page_list.append(Page(number if paged else None, text, line))
        line += text.count("\n") + 2
    doc = Document("any.txt", "text", 0, tuple(page_list))
    overlap = int(target * overlap_share)
    cut = passages(doc, target_chars=target, overlap_chars=overlap)
    for p in cut:
        assert 0 < len(p.text) <= target
        assert p.text == p.text.strip()
        _assert_exact(doc, p)
        if paged:
            page = page_list[(p.page or 0) - 1]
            assert page.first_line <= p.first_line <= p.last_line
            assert p.last_line < page.first_line + page.text.count("\n") + 1
    _assert_covered(doc, cut)
