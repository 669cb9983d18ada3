"""An answer rendered from Markdown, as a stack of blocks, treating the output as untrusted.

- While the answer streams, each top-level Markdown block (paragraph, list, table,
  heading, code block) that is finished gets its own view, rendered once; only the
  block still being written is re-rendered. The cost per token stays flat however
  long the answer grows (re-rendering the whole answer every frame did not).
- When the answer is complete, consecutive prose blocks are merged into one view and
  code blocks get their own: a language label, a Copy button and syntax highlighting
  (Pygments).
- Markdown is parsed by markdown-it-py (CommonMark plus tables) to find the blocks and
  rendered by Qt with raw HTML off; formulas are typeset (see math_render). No resource is ever fetched (remote images stay
  blank), and a link opens in the system browser only when clicked, and only for
  http, https and mailto.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound
from PySide6.QtCore import QUrl
from PySide6.QtGui import (
    QDesktopServices,
    QFontInfo,
    QGuiApplication,
    QImage,
    QPalette,
    QResizeEvent,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.math_render import with_math_images
from app.ui.theme import is_dark

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
MATH_SCALE = 1.15  # formulas a little larger than the text around them
OPEN_BLOCK_BUDGET = 20  # wait 20x an update's cost before updating a streaming answer again
_MD = MarkdownIt("commonmark").enable("table")
_FORMATTERS = {
    False: HtmlFormatter(noclasses=True, style="default"),
    True: HtmlFormatter(noclasses=True, style="monokai"),  # for a dark palette
}


@dataclass(frozen=True, slots=True)
class Block:
    kind: Literal["markdown", "code"]
    text: str  # Markdown source, or the code itself
    language: str = ""


def block_spans(text: str) -> list[tuple[Block, int]]:
    """Top-level Markdown blocks of ``text`` in order, each with its source's length."""
    lines = text.splitlines(keepends=True)
    starts: list[tuple[int, str, str]] = []  # (first line, kind, info)
    for token in _MD.parse(text):
        if token.level == 0 and token.nesting >= 0 and token.map is not None:
            kind = "code" if token.type == "fence" else "markdown"
            starts.append((token.map[0], kind, token.info.strip()))
    spans: list[tuple[Block, int]] = []
    for i, (first, kind, info) in enumerate(starts):
        begin = 0 if i == 0 else first  # leading blank lines belong to the first block
        last = starts[i + 1][0] if i + 1 < len(starts) else len(lines)
        source = "".join(lines[begin:last])
        if kind == "code":
            body = "".join(lines[first + 1 : last]).rstrip()
            for fence in ("```", "~~~"):
                if body.endswith(fence):
                    body = body[: -len(fence)].rstrip("\n")
            block = Block("code", body, info.split()[0] if info else "")
        else:
            block = Block("markdown", source)
        spans.append((block, len(source)))
    return spans


def split_blocks(text: str) -> list[Block]:
    return [block for block, _ in block_spans(text)]


def merge_prose(blocks: list[Block]) -> list[Block]:
    """Consecutive Markdown blocks as one (fewer views for a finished answer)."""
    merged: list[Block] = []
    for b in blocks:
        if b.kind == "markdown" and merged and merged[-1].kind == "markdown":
            merged[-1] = Block("markdown", merged[-1].text.rstrip("\n") + "\n\n" + b.text)
        else:
            merged.append(b)
    return merged


class _TextView(QTextBrowser):
    """A read-only rich text view as tall as its content, safe for untrusted text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(_open_link)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(self.verticalScrollBarPolicy().ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def loadResource(self, kind: int, url: QUrl | str) -> object:
        return None  # never fetch anything the model pointed at

    def fit_height(self) -> None:
        if not self.isVisible():
            return  # laid out at its real width when it is shown (resizeEvent)
        doc = self.document()
        doc.setTextWidth(self.viewport().width())
        margins = self.contentsMargins()
        self.setFixedHeight(int(doc.size().height()) + margins.top() + margins.bottom() + 2)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_height()


def _open_link(url: QUrl) -> None:
    if url.scheme().lower() in SAFE_SCHEMES:
        QDesktopServices.openUrl(url)


class MarkdownBlockView(_TextView):
    def __init__(self, block: Block, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("markdownBlock")
        self._math: dict[str, QImage] = {}
        self.block = block
        self.show_block(block)

    def show_block(self, block: Block) -> None:
        self.block = block
        features = (
            QTextDocument.MarkdownFeature.MarkdownDialectGitHub
            | QTextDocument.MarkdownFeature.MarkdownNoHTML
        )
        color = self.palette().color(QPalette.ColorRole.Text).name()
        size = QFontInfo(self.font()).pixelSize() * MATH_SCALE
        text, self._math = with_math_images(block.text, color, size)
        self.document().setMarkdown(text, features)
        self.fit_height()

    def loadResource(self, kind: int, url: QUrl | str) -> object:
        """Our typeset formulas; never anything the model pointed at."""
        return self._math.get(QUrl(url).toString())


class CodeBlockView(QFrame):
    """A code block: language label, Copy button, highlighted code."""

    def __init__(self, block: Block, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codeBlock")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.language = QLabel(self)
        self.copy_button = QToolButton(self)
        self.copy_button.setText("Copy")
        self.copy_button.setAutoRaise(True)
        self.copy_button.clicked.connect(self.copy)
        self.code = _TextView(self)
        self.code.setLineWrapMode(QTextBrowser.LineWrapMode.NoWrap)
        header = QHBoxLayout()
        header.addWidget(self.language)
        header.addStretch(1)
        header.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.code)
        self.block = block
        self.show_block(block)

    def show_block(self, block: Block) -> None:
        self.block = block
        self.language.setText(block.language or "code")
        lexer = _lexer(block.language) if block.language else None
        if lexer is None:
            self.code.setPlainText(block.text)
        else:
            self.code.setHtml(highlight(block.text, lexer, _FORMATTERS[is_dark()]))
        self.code.fit_height()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.block.text)


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return None


BlockView = MarkdownBlockView | CodeBlockView


class AnswerView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("answer")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self._views: list[BlockView] = []
        self._markdown = ""
        self._streamed = False  # the views were built block by block while streaming
        self._done_chars = 0  # while streaming: the text before this is in finished views
        self._finished_views = 0
        self._next_update = 0.0
        self.update_budget = OPEN_BLOCK_BUDGET
        self.hide()  # until the answer begins

    @property
    def markdown(self) -> str:
        return self._markdown

    def views(self) -> list[BlockView]:
        return list(self._views)

    def set_markdown(self, text: str, *, streaming: bool = False) -> None:
        """Show ``text``. While ``streaming``, only the block being written is redone."""
        self.setVisible(bool(text))
        if not streaming:
            if text != self._markdown or self._streamed:
                self._rebuild(merge_prose(split_blocks(text)))
            self._markdown, self._streamed, self._done_chars = text, False, 0
            return
        if not self._streamed or not text.startswith(self._markdown[: self._done_chars]):
            self._rebuild([])
            self._done_chars = 0
            self._next_update = 0.0
        self._markdown, self._streamed = text, True
        # Parsing and rendering the growing block cost more as it grows (one long
        # paragraph or code block): update less often then, keeping this under ~5% of
        # the GUI thread's time. The complete answer is rendered when it ends.
        now = time.monotonic()
        if now < self._next_update:
            return
        started = time.perf_counter()
        self._update_stream(text)
        self._next_update = now + self.update_budget * (time.perf_counter() - started)

    def _update_stream(self, text: str) -> None:
        spans = block_spans(text[self._done_chars :])
        open_view = self._views.pop() if len(self._views) > self._finished_views else None
        for block, length in spans[:-1]:  # finished: a view each, rendered once
            self._add(block)
            self._done_chars += length
        self._finished_views = len(self._views)
        if not spans:
            if open_view is not None:
                open_view.deleteLater()
            return
        last = spans[-1][0]
        if open_view is not None and isinstance(open_view, CodeBlockView) == (last.kind == "code"):
            self._layout.removeWidget(open_view)
            self._layout.addWidget(open_view)  # keep it last
            self._views.append(open_view)
            open_view.show_block(last)
        else:
            if open_view is not None:
                self._layout.removeWidget(open_view)
                open_view.deleteLater()
            self._add(last)

    def _add(self, block: Block) -> None:
        view: BlockView = (
            CodeBlockView(block, self) if block.kind == "code" else MarkdownBlockView(block, self)
        )
        self._views.append(view)
        self._layout.addWidget(view)
        view.show()

    def _rebuild(self, blocks: list[Block]) -> None:
        for view in self._views:
            self._layout.removeWidget(view)
            view.deleteLater()
        self._views = []
        self._finished_views = 0
        for block in blocks:
            self._add(block)
