"""A stand-in for the extraction of issue 17 (plain text only), replaced by the real one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import QwQError


class DocumentError(QwQError):
    """A document that cannot be read: the message says why, in one sentence."""


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
    max_bytes: int = 64 * 2**20


DEFAULT_LIMITS = ExtractLimits()


def supported(path: Path) -> bool:
    return path.suffix.lower() in (".txt", ".md")


def extract_bytes(name: str, data: bytes, limits: ExtractLimits = DEFAULT_LIMITS) -> Document:
    if len(data) > limits.max_bytes:
        raise DocumentError(f"{name} is too big to read.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DocumentError(f"{name} is not text.") from None
    kind = "markdown" if name.lower().endswith(".md") else "text"
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
