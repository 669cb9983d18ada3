"""The text of an HTML page, with the standard library's parser (no dependency, no network).

Script, style, head and other parts a reader never sees are dropped; block elements become
line breaks and table cells tabs, so paragraphs and rows stay apart for the passages that
are cut from the text later. Entities are decoded by the parser itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

# Their content is never text for a reader.
_HIDDEN = frozenset({"script", "style", "head", "title", "noscript", "template", "svg", "math"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre",
        "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_WHITESPACE = re.compile(r"\s+")
_PRE_MARKERS = str.maketrans({"\n": "\x00", " ": "\x01", "\t": "\x02"})
_PRE_RESTORE = str.maketrans({"\x00": "\n", "\x01": " ", "\x02": "\t"})
_CONTROL = str.maketrans(dict.fromkeys((0, 1, 2)))  # our markers, never in the input
_SPACES = re.compile(r"[ \t\f\v\r\u00a0]+")


class _TextParser(HTMLParser):
    def __init__(self, check: Callable[[], None]) -> None:
        super().__init__(convert_charrefs=True)
        self._check = check
        self._parts: list[str] = []
        self._hidden = 0  # depth inside hidden elements
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            if tag not in _VOID:
                self._hidden += 1
            return
        if tag == "pre":
            self._pre += 1
        if tag == "br":
            self._parts.append("\n")
        elif tag == "tr":  # a table's rows are one a line: each ends its line
            pass
        elif tag in _BLOCKS:  # a paragraph of its own, whether or not the last one closed
            self._parts.append("\n\n")
            self._check()
        elif tag in _CELLS:
            self._parts.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._parts.append("\n" if tag == "br" else "\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
            return
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag == "tr":
            self._parts.append("\n")
        elif tag in _BLOCKS:
            self._parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._pre:
            # Kept as it is: markers keep the later whitespace clean-up off it.
            self._parts.append(data.translate(_PRE_MARKERS))
        else:
            self._parts.append(_WHITESPACE.sub(" ", data))

    def text(self) -> str:
        lines = []
        for line in "".join(self._parts).split("\n"):
            cells = [_SPACES.sub(" ", c).strip() for c in line.split("\t")]
            lines.append("\t".join(c for c in cells if c) if len(cells) > 1 else cells[0])
        text = "\n".join(lines).translate(_PRE_RESTORE)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_text(source: str, check: Callable[[], None] = lambda: None) -> str:
    """The visible text of ``source``; ``check`` runs at each block (a limit or a cancel
    raises from it and stops the parse)."""
    parser = _TextParser(check)
    parser.feed(source.translate(_CONTROL))
    parser.close()
    return parser.text()
