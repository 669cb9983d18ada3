"""A file the user gives QwQ, as text: plain text, Markdown, source code, CSV, JSON, PDF (its
text layer, page by page), DOCX and HTML.

Everything read here comes from outside and is treated as hostile. Limits are checked while
reading, and each refusal is one sentence a user can act on: the file's size before a byte
is read, the characters of text, a PDF's pages, the seconds spent (between pages and
blocks), a DOCX's unpacked size, member count and compression ratio (a zip bomb is refused
before it inflates). A path that is a link is never followed (the caller decides which
files to read; a link could point anywhere). Nothing here touches the network.

Text must be UTF-8 (with or without a BOM) or UTF-16 with a BOM; anything else is taken for
a binary file and refused, never decoded into noise. Line ends become ``\\n`` so that line
numbers mean the same to the passages, the model and a citation.
"""

from __future__ import annotations

import codecs
import io
import logging
import math
import os
import stat
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core import format as fmt
from app.core.errors import QwQError
from app.core.i18n import translate
from app.documents.docx_text import DocxXmlError, docx_text
from app.documents.html_text import html_text

log = logging.getLogger(__name__)

MiB = 1024 * 1024

_TEXT = {".txt", ".text", ".log", ".rst", ".org", ".adoc", ".asciidoc", ".tex", ".srt", ".vtt"}
_MARKDOWN = {".md", ".markdown", ".mdown", ".mkd", ".mdx"}
_CSV = {".csv", ".tsv"}
_JSON = {".json", ".jsonl", ".ndjson", ".geojson"}
_HTML = {".html", ".htm", ".xhtml"}
_CODE = {
    ".py", ".pyi", ".ipynb", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".c", ".h", ".cc",
    ".cpp", ".cxx", ".hpp", ".hh", ".m", ".mm", ".java", ".kt", ".kts", ".scala", ".go", ".rs",
    ".rb", ".php", ".cs", ".fs", ".swift", ".dart", ".lua", ".pl", ".pm", ".r", ".jl", ".hs",
    ".ml", ".ex", ".exs", ".erl", ".clj", ".el", ".vim", ".sh", ".bash", ".zsh", ".fish",
    ".ps1", ".bat", ".cmd", ".sql", ".css", ".scss", ".sass", ".less", ".vue", ".svelte",
    ".xml", ".svg", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".properties", ".env",
    ".gradle", ".cmake", ".proto", ".graphql", ".tf", ".nix", ".zig", ".v", ".vhd", ".asm",
    ".s", ".diff", ".patch",
}  # fmt: skip
_CODE_NAMES = {"makefile", "dockerfile", "cmakelists.txt", "gemfile", "rakefile", "justfile"}
_KINDS: dict[str, str] = {
    **dict.fromkeys(_TEXT, "text"),
    **dict.fromkeys(_MARKDOWN, "markdown"),
    **dict.fromkeys(_CSV, "csv"),
    **dict.fromkeys(_JSON, "json"),
    **dict.fromkeys(_HTML, "html"),
    **dict.fromkeys(_CODE, "code"),
    ".pdf": "pdf",
    ".docx": "docx",
}
_SNIFF_BYTES = 8192


class DocumentError(QwQError):
    """A file that cannot be read as a document: the message says why, in one sentence."""


class ExtractionCancelled(DocumentError):
    """The caller's ``cancelled()`` said stop (checked between pages and blocks)."""


@dataclass(frozen=True, slots=True)
class Page:
    number: int | None  # the PDF page (1-based); None for formats without pages
    text: str
    first_line: int  # 1-based line of the whole document's text where this page starts


@dataclass(frozen=True, slots=True)
class Document:
    name: str  # the file's name ("paper.pdf")
    kind: str  # "text" | "markdown" | "code" | "csv" | "json" | "pdf" | "docx" | "html"
    size: int  # bytes of the original
    pages: tuple[Page, ...]

    @property
    def text(self) -> str:
        """The pages' text joined with a blank line: what goes to the model, and what every
        ``Page.first_line`` counts in."""
        return "\n\n".join(p.text for p in self.pages)


@dataclass(frozen=True, slots=True)
class ExtractLimits:
    """How much one file may cost. The defaults let a long book through (4,000,000
    characters is about a million tokens, several times QwQ's context) and stop what only
    a hostile or broken file does."""

    max_bytes: int = 64 * MiB  # the file as it is on disk
    max_pages: int = 2000  # a PDF's pages
    max_seconds: float = 60.0  # checked between pages and blocks
    max_chars: int = 4_000_000  # text extracted
    max_unzipped_bytes: int = 256 * MiB  # a DOCX: declared and actual unpacked size
    max_zip_members: int = 10_000  # a DOCX's files
    max_zip_ratio: float = 200.0  # unpacked / packed, for a member over 1 MiB unpacked


DEFAULT_LIMITS = ExtractLimits()


def _refuse(sentence: str, **fields: object) -> DocumentError:
    """``sentence`` (already translated: a literal ``translate`` call, so that lupdate
    finds it) with its fields filled in."""
    return DocumentError(sentence.format(**fields))


class _Reading:
    """One extraction's budget: the clock, the caller's cancel, the characters so far."""

    def __init__(
        self,
        name: str,
        limits: ExtractLimits,
        cancelled: Callable[[], bool] | None,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.name = name
        self.limits = limits
        self._cancelled = cancelled
        self._progress = progress
        self._deadline = time.monotonic() + limits.max_seconds
        self._chars = 0

    def check(self) -> None:
        """Between two pages or blocks: stop when cancelled or out of time."""
        if self._cancelled is not None and self._cancelled():
            raise ExtractionCancelled(
                translate("Documents", "Reading {name} was cancelled.").format(name=self.name)
            )
        if time.monotonic() >= self._deadline:
            raise _refuse(
                translate(
                    "Documents", "{name} took longer than {seconds} to read and was stopped."
                ),
                name=self.name,
                seconds=fmt.duration(self.limits.max_seconds),
            )

    def count(self, text: str) -> str:
        self._chars += len(text)
        if self._chars > self.limits.max_chars:
            raise _refuse(
                translate(
                    "Documents",
                    "{name} holds more than {limit} characters of text, the most that is read "
                    "from one file.",
                ),
                name=self.name,
                limit=f"{self.limits.max_chars:,}",
            )
        return text

    def progress(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress(done, total)


def kind_of(name: str) -> str | None:
    """The kind a file's name says it is, or None (then only its bytes can tell)."""
    lower = name.lower()
    if lower in _CODE_NAMES:
        return "code"
    return _KINDS.get(os.path.splitext(lower)[1])


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"%PDF-")):
        return True
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def supported(path: Path) -> bool:
    """Worth trying: a regular file (not a link) whose name says a kind read here, or whose
    first bytes look like UTF-8 or UTF-16 text or a PDF. Reading it may still be refused."""
    try:
        st = path.lstat()
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    if kind_of(path.name) is not None:
        return True
    try:
        with _open_no_follow(path) as f:
            return _looks_like_text(f.read(_SNIFF_BYTES))
    except (OSError, _NotRegular):
        return False


def _open_no_follow(path: Path) -> io.BufferedReader:
    """``path`` opened for reading if it is a regular file; a link is not followed, not
    even one swapped in after the caller looked (O_NOFOLLOW), and a FIFO does not hang the
    open (O_NONBLOCK). :class:`_NotRegular` for anything but a file."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _NotRegular
        return io.open(fd, "rb", closefd=True)  # noqa: UP020 (a descriptor, not a path)
    except BaseException:
        os.close(fd)
        raise


class _NotRegular(Exception):
    pass


def extract(
    path: Path,
    limits: ExtractLimits = DEFAULT_LIMITS,
    *,
    cancelled: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Document:
    """The document at ``path``, or :class:`DocumentError` saying why not. A link is
    refused, not followed. ``cancelled`` is asked between pages and blocks;
    ``progress(done, total)`` is told each PDF page (each MiB of a text file)."""
    name = path.name
    if path.is_symlink():
        raise _refuse(
            translate(
                "Documents", "{name} is a link; only a file itself is read, not a link to it."
            ),
            name=name,
        )
    try:
        with _open_no_follow(path) as f:
            size = os.fstat(f.fileno()).st_size
            _check_size(name, size, limits)
            # Exactly the size it has (read(limit) would allocate the whole limit first).
            data = f.read(size)
            grew = f.read(1)
    except _NotRegular as e:
        raise _refuse(translate("Documents", "{name} is not a regular file."), name=name) from e
    except OSError as e:
        if os.path.islink(path):  # became a link after the check above (O_NOFOLLOW said ELOOP)
            raise _refuse(
                translate(
                    "Documents", "{name} is a link; only a file itself is read, not a link to it."
                ),
                name=name,
            ) from e
        raise _refuse(
            translate("Documents", "{name} could not be read: {reason}"),
            name=name,
            reason=fmt.sentence(e.strerror or str(e)),
        ) from e
    if grew or len(data) != size:
        raise _refuse(
            translate("Documents", "{name} changed while it was read; try again when it is saved."),
            name=name,
        )
    return _extract_data(name, data, _Reading(name, limits, cancelled, progress))


def extract_bytes(name: str, data: bytes, limits: ExtractLimits = DEFAULT_LIMITS) -> Document:
    """A document given as bytes (pasted, dropped from another app): the same formats and
    limits as :func:`extract`; ``name`` says the kind."""
    _check_size(name, len(data), limits)
    return _extract_data(name, data, _Reading(name, limits, None, None))


def _check_size(name: str, size: int, limits: ExtractLimits) -> None:
    if size > limits.max_bytes:
        raise _refuse(
            translate("Documents", "{name} is {size}; files up to {limit} are read."),
            name=name,
            size=fmt.size(size),
            limit=fmt.size(limits.max_bytes),
        )


def _extract_data(name: str, data: bytes, reading: _Reading) -> Document:
    kind = kind_of(name)
    if kind is None:
        kind = "pdf" if data.startswith(b"%PDF-") else "text"
    if kind == "pdf":
        pages = _pdf_pages(data, reading)
    elif kind == "docx":
        pages = (Page(None, reading.count(_docx(data, reading)), 1),)
    else:
        # An HTML page's limit counts the text read from it, not its markup.
        text = _decode(data, reading, count=kind != "html")
        if kind == "html":
            text = reading.count(html_text(text, reading.check))
        pages = (Page(None, text, 1),)
    return Document(name=name, kind=kind, size=len(data), pages=pages)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, reading: _Reading, *, count: bool = True) -> str:
    """UTF-8 (a BOM dropped) or UTF-16 with its BOM, a MiB at a time (cancel, clock and
    progress between them); anything else is a binary file."""
    encoding = "utf-8"
    start = 0
    if data.startswith(codecs.BOM_UTF8):
        start = len(codecs.BOM_UTF8)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # reads and drops the BOM itself
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    total = max(1, math.ceil((len(data) - start) / MiB))
    parts: list[str] = []
    reading.progress(0, total)
    try:
        for done, at in enumerate(range(start, max(len(data), start + 1), MiB), 1):
            reading.check()
            chunk = data[at : at + MiB]
            part = decoder.decode(chunk, final=at + MiB >= len(data))
            if encoding == "utf-8" and "\x00" in part:
                raise _binary(reading.name)
            parts.append(reading.count(part) if count else part)
            reading.progress(done, total)
    except UnicodeDecodeError as e:
        raise _binary(reading.name) from e
    text = "".join(parts)
    if encoding == "utf-16" and "\x00" in text:
        raise _binary(reading.name)
    return _newlines(text)


def _binary(name: str) -> DocumentError:
    return _refuse(
        translate(
            "Documents",
            "{name} is a binary file, not text: only UTF-8 or UTF-16 text, PDF and DOCX are read.",
        ),
        name=name,
    )


def _damaged(name: str) -> DocumentError:
    return _refuse(translate("Documents", "{name} is damaged and cannot be read."), name=name)


def _pdf_pages(data: bytes, reading: _Reading) -> tuple[Page, ...]:
    # pypdf is imported here: only a PDF pays for loading it.
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    name = reading.name
    reading.check()
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are encrypted with an owner password only: the empty user password
            # opens them for reading, as every viewer does.
            try:
                opened = bool(reader.decrypt(""))
            except (DependencyError, NotImplementedError, PyPdfError):
                opened = False
            if not opened:
                raise _refuse(
                    translate(
                        "Documents",
                        "{name} is protected by a password; remove the password and try again.",
                    ),
                    name=name,
                )
        count = len(reader.pages)
    except DocumentError:
        raise
    except FileNotDecryptedError as e:
        raise _refuse(
            translate(
                "Documents", "{name} is protected by a password; remove the password and try again."
            ),
            name=name,
        ) from e
    except Exception as e:  # pypdf on a hostile file: any exception is "damaged"
        log.info("PDF %s not read: %r", name, e)
        raise _damaged(name) from e
    if count > reading.limits.max_pages:
        raise _refuse(
            translate(
                "Documents",
                "{name} has {pages} pages; the most that is read from one PDF is {limit}.",
            ),
            name=name,
            pages=f"{count:,}",
            limit=f"{reading.limits.max_pages:,}",
        )
    pages: list[Page] = []
    line = 1
    reading.progress(0, count)
    for number in range(1, count + 1):
        reading.check()
        try:
            text = reader.pages[number - 1].extract_text() or ""
        except DocumentError:
            raise
        except Exception as e:  # a damaged page, a broken font, a bad stream
            log.info("PDF %s page %d not read: %r", name, number, e)
            raise _damaged(name) from e
        text = reading.count(_newlines(text).strip().replace("\x00", ""))
        if text:
            pages.append(Page(number, text, line))
            line += text.count("\n") + 2  # the page's lines, then the blank line between
        reading.progress(number, count)
    if not pages:
        raise _refuse(
            translate(
                "Documents",
                "{name} has no text to read: it looks scanned (pictures of pages, not text).",
            ),
            name=name,
        )
    return tuple(pages)


def _docx(data: bytes, reading: _Reading) -> str:
    """word/document.xml's text, after the zip passes the bomb checks: the member count,
    the declared unpacked size and ratio before anything inflates, then the actual bytes
    as they inflate."""
    name = reading.name
    limits = reading.limits
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise _refuse(
            translate("Documents", "{name} is not a Word document (.docx), or it is damaged."),
            name=name,
        ) from e
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_zip_members:
            raise _refuse(
                translate(
                    "Documents",
                    "{name} holds more than {count} files inside (a zip bomb?) and is not read.",
                ),
                name=name,
                count=f"{limits.max_zip_members:,}",
            )
        declared = sum(m.file_size for m in members)
        if declared > limits.max_unzipped_bytes:
            raise _bomb(name, limits)
        for m in members:
            if m.file_size > MiB and m.file_size > limits.max_zip_ratio * max(1, m.compress_size):
                raise _refuse(
                    translate(
                        "Documents",
                        "{name} unpacks to {ratio} times its size, as a zip bomb does, and is not read.",
                    ),
                    name=name,
                    ratio=f"{m.file_size // max(1, m.compress_size):,}",
                )
        try:
            info = archive.getinfo("word/document.xml")
        except KeyError as e:
            raise _refuse(
                translate(
                    "Documents",
                    "{name} is not a Word document (.docx): it has no document text inside.",
                ),
                name=name,
            ) from e
        chunks: list[bytes] = []
        size = 0
        try:
            with archive.open(info) as part:
                while chunk := part.read(MiB):
                    reading.check()
                    size += len(chunk)
                    if size > limits.max_unzipped_bytes or size > info.file_size:
                        raise _bomb(name, limits)
                    chunks.append(chunk)
        except DocumentError:
            raise
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError) as e:
            # zipfile stops at the declared size and then finds the checksum wrong: a
            # member that inflates past what it declared ends here, never in memory.
            raise _damaged(name) from e
    try:
        return _newlines(docx_text(b"".join(chunks), reading.check))
    except DocxXmlError as e:
        raise _damaged(name) from e


def _bomb(name: str, limits: ExtractLimits) -> DocumentError:
    return _refuse(
        translate(
            "Documents", "{name} would unpack to more than {limit} (a zip bomb?) and is not read."
        ),
        name=name,
        limit=fmt.size(limits.max_unzipped_bytes),
    )
