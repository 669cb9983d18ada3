"""Citations read out of an answer and checked against what QwQ was given."""

from __future__ import annotations

from app.core.citations import MAX_CITATIONS, Source, check, find_citations, pages_of


def test_the_ways_a_citation_is_written() -> None:
    answer = (
        "It ships on 14 March [plan.md], costs 12k [budget.pdf p. 3], see also "
        "[budget.pdf, pp. 4–5] and [notes/todo.md l. 10-42]; [not a citation] [x]."
    )
    found = find_citations(answer)
    assert [(c.name, c.page, c.first_line, c.last_line) for c in found] == [
        ("plan.md", None, None, None),
        ("budget.pdf", 3, None, None),
        ("budget.pdf", 4, None, None),
        ("notes/todo.md", None, 10, 42),
    ]
    assert [c.label for c in found][1] == "budget.pdf p. 3"
    assert answer[found[0].start : found[0].end] == "[plan.md]"


def test_a_citation_is_verified_only_when_that_source_and_place_was_given() -> None:
    sources = [
        Source("budget.pdf", frozenset({1, 2, 3})),
        Source("plan.md"),
        Source("notes/todo.md", None, ((10, 60),)),
    ]
    answer = "[budget.pdf p. 3] [budget.pdf p. 9] [plan.md] [todo.md l. 12] [todo.md l. 99] [x.pdf]"
    assert [c.verified for c in check(find_citations(answer), sources)] == [
        True, False, True, True, False, False,
    ]  # fmt: skip


def test_pages_are_read_from_an_attachments_marks() -> None:
    assert pages_of("[p. 1]\nfirst\n\n[p. 2]\nsecond") == frozenset({1, 2})
    assert pages_of("no pages [p. 3] inline") is None


def test_hostile_answers_stay_bounded() -> None:
    assert len(find_citations("[a.txt] " * (MAX_CITATIONS * 3))) == MAX_CITATIONS
    assert find_citations("[" + "a" * 100_000 + ".txt]") == []  # a name is at most 200 characters
