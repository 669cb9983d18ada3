"""Math in answers is typeset, never fetched, and never lost."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from app.ui.answer_view import AnswerView, MarkdownBlockView
from app.ui.math_render import Formula, find_formulas, render, with_math_images


@pytest.mark.parametrize(
    ("text", "formulas"),
    [
        ("Area $\\pi r^2$ here", [Formula("\\pi r^2", False)]),
        (
            "Inline \\(x+1\\) and display \\[\\int_0^1 x\\,dx\\]",
            [Formula("x+1", False), Formula("\\int_0^1 x\\,dx", True)],
        ),
        ("$$\\frac{a}{b}$$", [Formula("\\frac{a}{b}", True)]),
        ("The answer is $\\boxed{42}$.", [Formula("\\boxed{42}", False)]),
        ("It costs $5 and $10 now", []),  # money, not math
        ("Code: `$x$` stays code", []),
        ("Escaped \\$x\\$ is text", []),
    ],
)
def test_finding_formulas(text: str, formulas: list[Formula]) -> None:
    assert [f for _, _, f in find_formulas(text)] == formulas


def test_formulas_become_images_and_unknown_latex_stays_as_code(qapp: object) -> None:
    image = render(Formula("\\boxed{42}", False), "#000000", 10.0)
    assert image is not None and image.width() > 10 and image.height() > 10
    text, images = with_math_images("So $x^2$ and $\\notacommand{$ end", "#000000", 10.0)
    assert list(images) == ["qwq-math:0"]
    assert text.startswith("So ![math](qwq-math:0) and ")
    assert "`$\\notacommand{$`" in text or "$\\notacommand{$" in text  # nothing is lost


def test_an_answer_shows_typeset_math(qtbot: QtBot) -> None:
    view = AnswerView()
    qtbot.addWidget(view)
    view.show()
    view.set_markdown("The sum is $\\frac{n(n+1)}{2}$, so\n\n$$\\boxed{5050}$$")
    (prose,) = view.views()
    assert isinstance(prose, MarkdownBlockView)
    html = prose.toHtml()
    assert html.count('src="qwq-math:') == 2
    assert prose.loadResource(2, QUrl("qwq-math:1")) is not None
    assert prose.loadResource(2, QUrl("https://example.com/x.png")) is None
    assert view.markdown.endswith("$$\\boxed{5050}$$")  # copying gives the LaTeX back
