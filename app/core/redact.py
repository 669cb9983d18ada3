"""Keeping API keys out of what the app shows, stores, exports and logs.

An upstream server may repeat a request's ``Authorization`` header back: in an error body,
in an error sent mid-stream, in a garbled chunk, even in the reply's text. Whatever text
comes from upstream passes through here before it becomes a message, an event or a row:

- :func:`redact` hides the key itself (as sent, and as JSON or a URL would escape it), any
  ``Authorization: ...`` value, ``Bearer <token>``, and tokens shaped like the common keys
  (``sk-...``, ``hf_...``), in error texts;
- :class:`StreamRedactor` hides the key itself in streamed text, even when it arrives split
  across chunks (it holds back a tail that could be the start of the key).

Keys shorter than :data:`MIN_SECRET` are only hidden by shape: hiding every ``abc`` in a
message would garble it, and such a key is not one an attacker needs to read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import quote

HIDDEN = "[redacted]"
MIN_SECRET = 6

# "Authorization: Bearer x", '"authorization": "Basic x"', 'Authorization=x', JSON-escaped too.
_AUTHORIZATION = re.compile(
    r"""(?P<name>\b(?:proxy-)?authorization\b(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?"""
    r"""(?:(?:bearer|basic|token|digest)\s+)?+)"""
    r"""(?!\[redacted\])(?P<value>[^\s"'\\,;}\]]+)""",
    re.IGNORECASE,
)
# A token after "Bearer" is hidden when it looks like one (a digit or a symbol in it), so
# that "Bearer authentication" stays readable.
_TOKEN = r"[A-Za-z0-9._~+/=-]*[0-9._~+/=-][A-Za-z0-9._~+/=-]*"
_BEARER = re.compile(rf"\b(?P<name>bearer\s+)(?P<value>{_TOKEN})", re.IGNORECASE)
_KEY_SHAPES = re.compile(r"\b(?:sk|hf)[-_][A-Za-z0-9_-]{16,}")  # OpenAI, DashScope, the Hub
# A scheme of at most 32 characters: an unbounded one rescans a long word from every "-".
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]{0,31}://)[^/\s@]{1,1024}@", re.I)


def secret_forms(secrets: Iterable[str | None]) -> list[str]:
    """Each secret as it may appear in text: as is, JSON-escaped, URL-quoted (longest first)."""
    forms: set[str] = set()
    for secret in secrets:
        if not secret or len(secret) < MIN_SECRET:
            continue
        forms.add(secret)
        forms.add(json.dumps(secret)[1:-1])
        forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
        # surrogatepass: a key read from the environment may hold undecodable bytes.
        forms.add(quote(secret, safe="", errors="surrogatepass"))
    return sorted(forms, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with the secrets, ``Authorization`` values, bearer tokens, key-shaped
    tokens and passwords in URLs replaced by ``[redacted]``."""
    text = _replace(text, secret_forms(secrets))
    text = _AUTHORIZATION.sub(lambda m: m["name"] + HIDDEN, text)
    text = _BEARER.sub(lambda m: m["name"] + HIDDEN, text)
    text = _KEY_SHAPES.sub(HIDDEN, text)
    return _URL_USERINFO.sub(lambda m: m["scheme"] + HIDDEN + "@", text)


def _replace(text: str, forms: list[str]) -> str:
    for form in forms:
        text = text.replace(form, HIDDEN)
    return text


class StreamRedactor:
    """Hides secrets in text that arrives in pieces: ``feed`` each piece, then ``finish``.

    What comes out is the text in, in order, with every secret replaced; a piece's tail
    that could begin a secret is held back until the next piece shows it does not.
    """

    def __init__(self, secrets: Iterable[str | None]) -> None:
        self._forms = secret_forms(secrets)
        self._held = ""

    def feed(self, text: str) -> str:
        if not self._forms:
            return text
        text = _replace(self._held + text, self._forms)
        keep = self._partial_tail(text)
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]

    def finish(self) -> str:
        held, self._held = self._held, ""
        return held

    def _partial_tail(self, text: str) -> int:
        """The length of the longest tail of ``text`` that is a proper prefix of a secret."""
        longest = 0
        for form in self._forms:
            for n in range(min(len(form) - 1, len(text)), longest, -1):
                if text.endswith(form[:n]):
                    longest = n
                    break
        return longest
