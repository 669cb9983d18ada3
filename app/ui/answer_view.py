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
- No model output may hold the GUI thread for long (goal: 100 ms): a formula is shown
  as TeX until its image is typeset off the GUI thread; a block longer than
  ``RICH_BLOCK_CHARS`` (or any answer longer than ``RICH_ANSWER_CHARS``) is shown as
  plain text, fed to the view a slice at a time; a finished answer's views are built
  a few at a time (``BUILD_BUDGET_S`` per turn of the event loop).
"""

from __future__ import annotations

import re
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
from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFontDatabase,
    QFontInfo,
    QGuiApplication,
    QImage,
    QPalette,
    QResizeEvent,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFrameFormat,
    QTextTable,
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

from app.ui.icons import Icon, icon
from app.ui.long_text import LongPlainText
from app.ui.math_render import find_formulas, typesetter, with_math_images
from app.ui.theme import READING_LINE_HEIGHT, Space, Type, colors, font, is_dark

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
MATH_SCALE = 1.15  # formulas a little larger than the text around them
# Wait 30x an update's cost before updating a streaming answer again (~3% of the GUI
# thread). At 20x the answer's last thousand tokens cost 1.9x the trace's first thousand
# (bench/ui_stream.py, the trace itself having got cheaper); at 30x, 1.2x.
OPEN_BLOCK_BUDGET = 30
# Rich text (Markdown, highlighted code) up to these sizes; plain text past them. Qt
# lays out 10,000 characters of Markdown in 15 to 60 ms (many formulas or code spans:
# the most); 1 MB in ~1.5 s.
RICH_BLOCK_CHARS = 10_000
FORMULA_CHARS = 30  # a formula costs Qt's layout about as much as 30 characters
RICH_ANSWER_CHARS = 200_000  # past this even finding the blocks is skipped
PARSE_CHARS = 4_000  # a finished answer is parsed about this much per turn of the loop
MAX_RICH_VIEWS = 60  # views of their own (code with Copy...) per answer; then bigger views
STREAM_PARSE_CHARS = 100_000  # a streaming block longer than this is shown as plain text
BUILD_BUDGET_S = 0.020  # a finished answer's views: built for this long per turn
MATH_SWAP_MS = 40  # typeset formulas are swapped in at most this often per block
# Only the blocks are needed (Qt renders each): inline parsing, which took 0.3 s on a
# line of 20,000 "\[", is off.
_MD = MarkdownIt("commonmark").enable("table").disable("inline")
_FORMATTERS = {
    False: HtmlFormatter(noclasses=True, nobackground=True, style="default"),
    True: HtmlFormatter(noclasses=True, nobackground=True, style="monokai"),  # dark palette
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
    """Consecutive Markdown blocks as one (fewer views for a finished answer), up to
    RICH_BLOCK_CHARS each (longer ones would be shown as plain text)."""
    merged: list[Block] = []
    sizes: list[int] = []
    for b in blocks:
        size = rich_size(b)
        if (
            b.kind == "markdown"
            and merged
            and merged[-1].kind == "markdown"
            and sizes[-1] + size <= RICH_BLOCK_CHARS
        ):
            sizes[-1] += size
            merged[-1] = Block("markdown", merged[-1].text.rstrip("\n") + "\n\n" + b.text)
        else:
            merged.append(b)
            sizes.append(size)
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
        self.setAccessibleName(self.tr("Answer"))
        self.setObjectName("markdownBlock")
        self.document().setDocumentMargin(2)  # the text lines up with QwQ's name
        self._math: dict[str, QImage] = {}
        self.math_pending = 0  # formulas shown as TeX until their images are typeset
        self._listening = False
        self._swap = QTimer(self)
        self._swap.setSingleShot(True)
        self._swap.setInterval(MATH_SWAP_MS)
        self._swap.timeout.connect(self._swap_in)
        self.block = block
        self.show_block(block)

    def _swap_in(self) -> None:
        self.show_block(self.block)  # the typeset formulas are in the cache now

    def show_block(self, block: Block) -> None:
        self.block = block
        features = (
            QTextDocument.MarkdownFeature.MarkdownDialectGitHub
            | QTextDocument.MarkdownFeature.MarkdownNoHTML
        )
        color = self.palette().color(QPalette.ColorRole.Text).name()
        size = QFontInfo(self.font()).pixelSize() * MATH_SCALE
        started = time.perf_counter()
        text, self._math, self.math_pending = with_math_images(block.text, color, size)
        document = self.document()
        document.setMarkdown(text, features)
        _reading_look(document)
        self.fit_height()
        # Swapping images in redoes the block: keep that under ~10% of the GUI thread.
        self._swap.setInterval(max(MATH_SWAP_MS, int(10_000 * (time.perf_counter() - started))))
        if bool(self.math_pending) != self._listening:
            self._listening = bool(self.math_pending)
            if self._listening:
                typesetter().ready.connect(self._on_math_ready)
            else:
                typesetter().ready.disconnect(self._on_math_ready)

    @Slot()
    def _on_math_ready(self) -> None:
        """Some formula was typeset (maybe one of ours): redo this block soon, once."""
        if not self._swap.isActive():
            self._swap.start()

    def loadResource(self, kind: int, url: QUrl | str) -> object:
        """Our typeset formulas; never anything the model pointed at."""
        return self._math.get(QUrl(url).toString())


def _reading_look(document: QTextDocument) -> None:
    """Prose at READING_LINE_HEIGHT % line height; tables with hairlines, padded cells
    and a tinted header row (Qt's Markdown tables have no look of their own)."""
    cursor = QTextCursor(document)
    cursor.select(QTextCursor.SelectionType.Document)
    spaced = QTextBlockFormat()
    spaced.setLineHeight(
        READING_LINE_HEIGHT, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value
    )
    cursor.mergeBlockFormat(spaced)
    tables = [f for f in document.rootFrame().childFrames() if isinstance(f, QTextTable)]
    if not tables:
        return
    c = colors()
    single = QTextBlockFormat()
    single.setLineHeight(100, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
    for table in tables:
        inside = QTextCursor(table.firstCursorPosition())
        inside.setPosition(table.lastPosition(), QTextCursor.MoveMode.KeepAnchor)
        inside.mergeBlockFormat(single)  # cells: compact, the padding spaces them
        look = table.format()
        look.setBorder(1)
        look.setBorderBrush(QColor(c.border))
        look.setBorderStyle(QTextFrameFormat.BorderStyle.BorderStyle_Solid)
        look.setBorderCollapse(True)
        look.setCellPadding(Space.S - 2)
        look.setCellSpacing(0)
        table.setFormat(look)
        for column in range(table.columns()):
            cell = table.cellAt(0, column)
            head = cell.format()
            head.setBackground(QColor(c.code))
            cell.setFormat(head)


class CodeBlockView(QFrame):
    """A code block: a rounded card headed by its language and a Copy icon, then the
    highlighted code in the system's fixed-width font."""

    def __init__(self, block: Block, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codeBlock")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.language = QLabel(self)
        self.language.setObjectName("codeLanguage")
        self.language.setFont(font(Type.SMALL))
        self.copy_button = QToolButton(self)
        self.copy_button.setObjectName("codeCopy")
        self.copy_button.setText(self.tr("Copy"))
        self.copy_button.setIcon(icon(Icon.COPY))
        self.copy_button.setIconSize(QSize(14, 14))
        self.copy_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.copy_button.setAccessibleName(self.tr("Copy code"))
        self.copy_button.setToolTip(self.tr("Copy code"))
        self.copy_button.setAutoRaise(True)
        self.copy_button.clicked.connect(self.copy)
        self.code = _TextView(self)
        self.code.setObjectName("codeText")
        self.code.setAccessibleName(self.tr("Code"))
        self.code.setLineWrapMode(QTextBrowser.LineWrapMode.NoWrap)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        if (size := font(Type.BODY).pointSizeF()) > 0:
            mono.setPointSizeF(size * 0.95)  # (fixed-width fonts look larger)
        self.code.setFont(mono)
        self.code.document().setDocumentMargin(Space.M - 2)
        self.header = QWidget(self)
        self.header.setObjectName("codeHeader")
        header = QHBoxLayout(self.header)
        header.setContentsMargins(Space.M, 2, Space.XS, 2)
        header.addWidget(self.language)
        header.addStretch(1)
        header.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.code)
        self.block = block
        self.show_block(block)

    def show_block(self, block: Block) -> None:
        self.block = block
        self.language.setText(block.language or self.tr("code"))
        if block.language:
            self.code.setAccessibleName(self.tr("Code ({0})").format(block.language))
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


class LongBlockView(QFrame):
    """A block too long for rich text: plain, fed a slice at a time, with Copy."""

    def __init__(self, block: Block, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("longBlock")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.copy_button = QToolButton(self)
        self.copy_button.setText(self.tr("Copy"))
        self.copy_button.setAccessibleName(self.tr("Copy this part of the answer"))
        self.copy_button.setAutoRaise(True)
        self.copy_button.clicked.connect(self.copy)
        self.text_view = LongPlainText(self)
        self.text_view.setAccessibleName(self.tr("Answer"))
        self.text_view.setFrameShape(QFrame.Shape.NoFrame)
        self.text_view.setFixedHeight(LONG_BLOCK_HEIGHT)
        header = QHBoxLayout()
        header.addWidget(self.caption, 1)
        header.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.text_view)
        self.block = Block(block.kind, "", block.language)
        self.show_block(block)

    def show_block(self, block: Block) -> None:
        """Show ``block``; one that only grew (a streaming answer) gets its new end only."""
        shown = self.text_view.text
        if block.text.startswith(shown) and block.kind == self.block.kind:
            self.text_view.append_text(block.text[len(shown) :])
        else:
            self.text_view.set_text(block.text)
        self.block = block
        if block.kind == "code":
            what = self.tr("{language} block").format(language=block.language or self.tr("code"))
        else:
            what = self.tr("text")
        self.caption.setText(
            self.tr(
                "Long {what}: {count:,} characters, shown as plain text (Copy gives all of it)."
            ).format(what=what, count=len(block.text))
        )

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.block.text)


LONG_BLOCK_HEIGHT = 420
BlockView = MarkdownBlockView | CodeBlockView | LongBlockView


def rich_size(block: Block) -> int:
    """What laying ``block`` out as rich text costs, in characters: a formula (an image,
    or its TeX as code) costs as much as FORMULA_CHARS characters of text."""
    if block.kind == "code" or len(block.text) > RICH_BLOCK_CHARS:
        return len(block.text)
    return len(block.text) + FORMULA_CHARS * len(find_formulas(block.text))


def _view_class(block: Block) -> type[BlockView]:
    if rich_size(block) > RICH_BLOCK_CHARS:
        return LongBlockView
    return CodeBlockView if block.kind == "code" else MarkdownBlockView


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
        self._to_build: list[Block] = []  # a finished answer's blocks not built yet
        self._to_parse: list[str] = []  # and its pieces not parsed yet
        self._build_timer = QTimer(self)
        self._build_timer.setSingleShot(True)
        self._build_timer.setInterval(0)
        self._build_timer.timeout.connect(self._build_some)
        self.hide()  # until the answer begins

    @property
    def markdown(self) -> str:
        return self._markdown

    def views(self) -> list[BlockView]:
        return list(self._views)

    @property
    def building(self) -> bool:
        """Some of a finished answer's views are still to be built."""
        return bool(self._to_build or self._to_parse)

    def set_markdown(self, text: str, *, streaming: bool = False) -> None:
        """Show ``text``. While ``streaming``, only the block being written is redone."""
        self.setVisible(bool(text))
        if not streaming:
            if text != self._markdown or self._streamed:
                self._rebuild(text)
            self._markdown, self._streamed, self._done_chars = text, False, 0
            return
        if not self._streamed or not text.startswith(self._markdown[: self._done_chars]):
            self._rebuild("")
            self._done_chars = 0
            self._next_update = 0.0
        self._markdown, self._streamed = text, True
        # Parsing and rendering the growing block cost more as it grows (one long
        # paragraph or code block): update less often then, keeping this under ~3% of
        # the GUI thread's time. The complete answer is rendered when it ends.
        now = time.monotonic()
        if now < self._next_update:
            return
        started = time.perf_counter()
        self._update_stream(text)
        self._next_update = now + self.update_budget * (time.perf_counter() - started)

    def _update_stream(self, text: str) -> None:
        tail = text[self._done_chars :]
        if len(tail) > STREAM_PARSE_CHARS:
            # One block this long is not worth parsing again and again: the rest of the
            # stream is plain text until the answer is complete (then it is rendered).
            spans = [(Block("markdown", tail), len(tail))]
        else:
            spans = block_spans(tail)
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
        if open_view is not None and type(open_view) is _view_class(last):
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
        view: BlockView = _view_class(block)(block, self)
        self._views.append(view)
        self._layout.addWidget(view)
        view.show()

    def _rebuild(self, text: str) -> None:
        for view in self._views:
            self._layout.removeWidget(view)
            view.deleteLater()
        self._views = []
        self._finished_views = 0
        self._to_build = []
        if len(text) > RICH_ANSWER_CHARS:
            self._to_parse = []
            self._to_build = [Block("markdown", text)]
        else:
            self._to_parse = list(reversed(block_chunks(text, PARSE_CHARS)))
        self._build_some()

    def _build_some(self) -> None:
        """Parse and build for BUILD_BUDGET_S, then let the event loop run before going
        on (an answer of up to RICH_BLOCK_CHARS is built at once)."""
        started = time.perf_counter()
        left = sum(map(len, self._to_parse)) + sum(len(b.text) for b in self._to_build)
        at_once = left <= RICH_BLOCK_CHARS
        while self._to_build or self._to_parse:
            if not self._to_build:
                self._to_build = list(reversed(self._next_blocks()))
            else:
                self._add(self._to_build.pop())
            if not at_once and time.perf_counter() - started > BUILD_BUDGET_S:
                break
        if self._to_build or self._to_parse:
            self._build_timer.start()

    def _next_blocks(self) -> list[Block]:
        """The blocks of the next piece; past MAX_RICH_VIEWS views, pieces of up to
        RICH_BLOCK_CHARS as Markdown views, code and all (thousands of views, one per
        block, took minutes to lay out)."""
        piece = self._to_parse.pop()
        if len(self._views) < MAX_RICH_VIEWS:
            return merge_prose(split_blocks(piece))
        while self._to_parse and len(piece) + len(self._to_parse[-1]) <= RICH_BLOCK_CHARS:
            piece += self._to_parse.pop()
        return [Block("markdown", piece)]


_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


def block_chunks(text: str, size: int) -> list[str]:
    """``text`` in pieces of about ``size`` characters or more, each cut where a
    top-level block begins (an unindented line after a blank line, outside fenced
    code), so that the pieces parse as the whole does; where no such line comes for 4 x
    ``size`` characters (a list of thousands of items), at the next line outside code.
    A long answer is parsed a piece per turn of the event loop: all at once took 0.6 s
    for 140,000 characters."""
    pieces: list[str] = []
    start = pos = 0
    fence = ""  # the open code fence, or ""
    blank_before = False
    for line in text.splitlines(keepends=True):
        m = _FENCE.match(line)
        if fence:
            closes = m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence)
            if closes and m and not line[m.end() :].strip():
                fence = ""
        else:
            at_boundary = blank_before and line[:1] not in (" ", "\t")
            if (at_boundary and pos - start >= size) or pos - start >= 4 * size:
                pieces.append(text[start:pos])  # past 4 x size: at any line (a list...)
                start = pos
            if m:
                fence = m.group(1)
        blank_before = not line.strip()
        pos += len(line)
    if start < len(text) or not pieces:
        pieces.append(text[start:])
    return pieces
