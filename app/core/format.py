"""Small text formats shared by the faces (window, exports) and the messages the core
writes for them (the remote engine's error sentences)."""

from __future__ import annotations

from app.core.i18n import QT_TRANSLATE_NOOP, translate


def duration(seconds: float) -> str:
    """12 s, 1 min 12 s, 1 h 3 min."""
    s = round(seconds)
    if s < 60:
        return translate("Format", "{s} s").format(s=s)
    if s < 3600:
        return translate("Format", "{m} min {s} s").format(m=s // 60, s=s % 60)
    return translate("Format", "{h} h {m} min").format(h=s // 3600, m=s % 3600 // 60)


def wait(seconds: float) -> str:
    """a second, 7 seconds, 3 minutes, 2 hours: how long to wait, in words for a sentence
    ("try again in 7 seconds"), rounded the way a person would say it."""
    if seconds < 1.5:
        return translate("Format", "a second")
    if seconds < 90:
        return translate("Format", "{n} seconds").format(n=round(seconds))
    if seconds < 5400:
        return translate("Format", "{n} minutes").format(n=round(seconds / 60))
    return translate("Format", "{n} hours").format(n=round(seconds / 3600))


def sentence(text: str, limit: int = 300) -> str:
    """``text`` (a server's message, an exception's) as one sentence inside ours: one
    line, at most ``limit`` characters, ending with its own punctuation or a period."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text if text.endswith((".", "!", "?", "…")) else text + "."


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
    "length": QT_TRANSLATE_NOOP("Format", "stopped: out of tokens"),
    "cancelled": QT_TRANSLATE_NOOP("Format", "stopped by you"),
    "repetition": QT_TRANSLATE_NOOP("Format", "stopped: it repeated itself"),
    "tool_calls": QT_TRANSLATE_NOOP("Format", "stopped: tool round limit reached"),
}


def finish_words(reason: str, error: str | None = None) -> str:
    """ "stopped: out of tokens", "failed: <error>"; "" for a reply that ended by itself."""
    if reason == "error":
        return translate("Format", "failed: {error}").format(error=error)
    words = FINISH_WORDS.get(reason, "")
    return translate("Format", words) if words else ""
