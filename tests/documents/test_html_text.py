"""HTML to text: what a reader sees, blocks apart, and a check between blocks."""

from __future__ import annotations

import pytest

from app.documents.html_text import html_text


def test_hidden_parts_go_and_blocks_become_lines() -> None:
    page = (
        "<head><meta charset='utf-8'><title>T</title></head>"
        "<div>One <i>two</i></div><div>three<br/>four</div>"
        "<svg><text>drawn</text></svg><template><p>later</p></template>"
        "<p>a&lt;b &#x263A; &eacute;</p>"
    )
    assert html_text(page) == "One two\n\nthree\nfour\n\na<b ☺ é"


def test_unclosed_and_stray_tags_are_read_as_a_browser_reads_them() -> None:
    # An unclosed script runs to the end of the page: nothing after it is text.
    assert html_text("<p>open <b>bold <script>x</p> after") == "open bold"
    assert html_text("</div></script>text<p>more") == "text\n\nmore"


def test_our_markers_in_the_input_are_dropped() -> None:
    assert html_text("<pre>a\x00b\x01c\x02d</pre>") == "abcd"


def test_the_check_runs_at_each_block_and_can_stop_the_parse() -> None:
    calls: list[int] = []

    def check() -> None:
        calls.append(1)
        if len(calls) > 3:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        html_text("<p>x</p>" * 100, check)
    assert len(calls) == 4
