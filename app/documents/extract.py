"""A minimal stand-in for the document extractor (UTF-8 text and Markdown only), with the
shared interface's signatures, so collections can be built and tested before the real
extractor lands; the real module replaces this file whole (its sentences are translated;
these are not, so the catalog never holds them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import QwQError

_KINDS = {".txt": "text", ".md": "markdown", ".markdown": "markdown"}


class DocumentError(QwQError):
    """A file that cannot be read as a document: one clear sentence."""


@dataclass(frozen=True, slots=True)
class Page:
    number: int | None
    text: str
    first_line: int


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    kind: str
    size: int
    pages: tuple[Page, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)


@dataclass(frozen=True, slots=True)
class ExtractLimits:
    max_bytes: int = 64 * 1024 * 1024


DEFAULT_LIMITS = ExtractLimits()


def supported(path: Path) -> bool:
    return path.suffix.lower() in _KINDS


def extract_bytes(name: str, data: bytes, limits: ExtractLimits = DEFAULT_LIMITS) -> Document:
    if len(data) > limits.max_bytes:
        raise DocumentError(f"{name} is too large.")
    if b"\x00" in data:
        raise DocumentError(f"{name} is a binary file, not text.")
    text = data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n")
    kind = _KINDS.get(Path(name).suffix.lower(), "text")
    return Document(name, kind, len(data), (Page(None, text, 1),))


def extract(
    path: Path,
    limits: ExtractLimits = DEFAULT_LIMITS,
    *,
    cancelled: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Document:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DocumentError(f"Cannot read {path.name}: {e.strerror or e}.") from None
    return extract_bytes(path.name, data, limits)
