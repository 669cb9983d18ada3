"""Answers: Markdown blocks, code blocks with Copy, streaming cost, untrusted content."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from pytestqt.qtbot import QtBot

from app.ui.answer_view import AnswerView, Block, CodeBlockView, MarkdownBlockView, split_blocks

ANSWER = (
    "Here is the plan.\n\n"
    "| step | what |\n|---|---|\n| 1 | read |\n\n"
    "```python\nprint('<think>')\n\n\nx = 2\n```\n\n"
    "- one\n- two\n\n"
    "Done: **42**."
)


def test_split_into_top_level_blocks() -> None:
    blocks = split_blocks(ANSWER)
    assert [b.kind for b in blocks] == ["markdown", "markdown", "code", "markdown", "markdown"]
    assert blocks[2] == Block("code", "print('<think>')\n\n\nx = 2", "python")
    assert blocks[1].text.startswith("| step |")


def test_a_finished_answer_merges_prose_and_keeps_code_apart(qtbot: QtBot) -> None:
    view = AnswerView()
    qtbot.addWidget(view)
    view.set_markdown(ANSWER)
    kinds = [type(v) for v in view.views()]
    assert kinds == [MarkdownBlockView, CodeBlockView, MarkdownBlockView]
    code = view.views()[1]
    assert isinstance(code, CodeBlockView)
    assert code.language.text() == "python"
    assert "print" in code.code.toHtml() and "color" in code.code.toHtml()  # highlighted
    code.copy_button.click()
    assert QGuiApplication.clipboard().text() == "print('<think>')\n\n\nx = 2"


def test_streaming_renders_each_finished_block_once(qtbot: QtBot) -> None:
    view = AnswerView()
    view.update_budget = 0  # update on every call (the budget is tested below)
    qtbot.addWidget(view)
    seen: dict[int, object] = {}
    text = ""
    for ch in ANSWER:
        text += ch
        view.set_markdown(text, streaming=True)
        for i, v in enumerate(view.views()[:-1]):  # finished views never change
            assert seen.setdefault(i, v) is v
            assert v.block == seen[i].block  # type: ignore[attr-defined]
    assert len(view.views()) == 5
    view.set_markdown(text)  # complete: merged
    assert len(view.views()) == 3


def test_html_in_the_answer_is_not_rendered_and_nothing_is_fetched(qtbot: QtBot) -> None:
    view = AnswerView()
    qtbot.addWidget(view)
    view.set_markdown(
        '<b>bold?</b> <img src="http://example.com/x.png"> ![remote](http://example.com/y.png)'
    )
    (prose,) = view.views()
    assert isinstance(prose, MarkdownBlockView)
    html = prose.toHtml()
    assert "font-weight:700" not in html and "font-weight:600" not in html
    assert prose.loadResource(2, QUrl("http://example.com/y.png")) is None


@pytest.mark.parametrize(
    ("url", "opened"),
    [
        ("https://qwenlm.github.io", True),
        ("mailto:a@b.c", True),
        ("javascript:alert(1)", False),
        ("file:///etc/passwd", False),
    ],
)
def test_links_open_in_the_browser_only_when_safe(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, url: str, opened: bool
) -> None:
    calls: list[QUrl] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", staticmethod(lambda u: calls.append(u) or True)
    )
    view = AnswerView()
    qtbot.addWidget(view)
    view.set_markdown(f"[link]({url})")
    (prose,) = view.views()
    prose.anchorClicked.emit(QUrl(url))
    assert bool(calls) == opened


def test_a_growing_block_is_updated_less_often_as_it_gets_expensive(qtbot: QtBot) -> None:
    view = AnswerView()
    qtbot.addWidget(view)
    text = "word " * 1900  # one long paragraph (rich text): each update costs milliseconds
    updates = 0
    real = view._update_stream

    def counting(t: str) -> None:
        nonlocal updates
        updates += 1
        real(t)

    view._update_stream = counting  # type: ignore[method-assign]
    for i in range(50):
        view.set_markdown(text + f"more {i} ", streaming=True)
    assert 1 <= updates < 10
    view.set_markdown(text + "end")  # the complete answer is always rendered
    (prose,) = view.views()
    assert prose.document().toPlainText().rstrip().endswith("end")


def test_a_long_answer_is_parsed_in_pieces_that_parse_as_the_whole() -> None:
    from app.ui.answer_view import block_chunks, block_spans

    answer = (ANSWER + "\n\n```\ncode\n\nnot a block\n```\n\n") * 300
    pieces = block_chunks(answer, 1_000)
    assert len(pieces) > 20 and "".join(pieces) == answer
    whole = [b for b, _ in block_spans(answer)]
    assert [b for p in pieces for b, _ in block_spans(p)] == whole
