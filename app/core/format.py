"""Small text formats shared by the faces (window, exports)."""

from __future__ import annotations


def duration(seconds: float) -> str:
    """12 s, 1 min 12 s, 1 h 3 min."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60} min"


def size(n: float) -> str:
    """19.9 GB, 512.0 MB, 12 KB: decimal units, as the Hub and file managers show them."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n / 1e3:.0f} KB"


# How a reply ended, said the same way in the window's footer and the CLI's summary line
# (the window makes a sentence of it). The Markdown export words it for a reader who was
# not there ("stopped", not "stopped by you"), so it keeps its own.
FINISH_WORDS: dict[str, str] = {
    "stop": "",
    "length": "stopped: out of tokens",
    "cancelled": "stopped by you",
    "repetition": "stopped: it repeated itself",
}


def finish_words(reason: str, error: str | None = None) -> str:
    """ "stopped: out of tokens", "failed: <error>"; "" for a reply that ended by itself."""
    if reason == "error":
        return f"failed: {error}"
    return FINISH_WORDS.get(reason, "")
