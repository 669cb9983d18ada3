"""Finding formulas in an answer and sizing them up, in linear time and without Qt.

Model output is untrusted: these functions see every answer, so none of them may
scan quadratically (20,000 unclosed ``\\[`` took 6.5 s with the old regex), and the
cost of typesetting a formula is estimated before ziamath sees it. ziamath's time
doubles with each level of nesting (``\\frac`` nested 13 deep: 19 s; 20 deep:
minutes), so a formula too deep or too large stays as its TeX source.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from dataclasses import dataclass

# What ziamath is asked to typeset at most (measured in bench/ui_hostile_output.py and
# tests/ui/test_math_limits.py): past these a formula is shown as its TeX source.
MAX_TEX_CHARS = 2_000
MAX_DEPTH = 8  # groups: {…}, \left…\right, \begin…\end
MAX_COST = 1_200  # at most ~1 s of ziamath on a slow core (0.1 to 1 ms per unit of cost_of)
# Small enough to typeset on the GUI thread at once (no flicker): at most ~40 ms.
SYNC_MAX_COST = 60
SYNC_MAX_DEPTH = 3


@dataclass(frozen=True, slots=True)
class Formula:
    tex: str
    display: bool


@dataclass(frozen=True, slots=True)
class TexCost:
    depth: int  # deepest nesting of groups
    cost: float  # sum over the pieces of 2 ** (their depth): ziamath's time is about this

    @property
    def typesettable(self) -> bool:
        return self.depth <= MAX_DEPTH and self.cost <= MAX_COST

    @property
    def quick(self) -> bool:
        return self.depth <= SYNC_MAX_DEPTH and self.cost <= SYNC_MAX_COST


_TEX_PIECE = re.compile(r"\\(?:[A-Za-z]+|.)|[{}]|[^\\{}\s]+|\s+", re.DOTALL)
_OPEN = frozenset({"{", "\\left", "\\begin"})
_CLOSE = frozenset({"}", "\\right", "\\end"})


def cost_of(tex: str) -> TexCost:
    """How deep and how costly ``tex`` is to typeset (one linear pass)."""
    if len(tex) > MAX_TEX_CHARS:
        return TexCost(0, float("inf"))
    depth = deepest = 0
    cost = 0.0
    for m in _TEX_PIECE.finditer(tex):
        piece = m.group()
        if piece in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif piece in _CLOSE:
            depth = max(0, depth - 1)
        elif piece[0].isspace():
            continue
        weight = len(piece) if piece[0] != "\\" else 1
        cost += weight * 2.0**depth
    return TexCost(deepest, cost)


# -- finding formulas ------------------------------------------------------------------

_WORD = re.compile(r"\w")
_SPACE = re.compile(r"\s")
_DIGIT = re.compile(r"\d")
_CANDIDATE = re.compile(r"[$\\]")
_DOLLAR_OR_NEWLINE = re.compile(r"[$\n]")
_BACKTICKS = re.compile(r"`+")


class _Finder:
    """``str.find`` that remembers its last answer per needle: a scan that only moves
    forward finds every closing delimiter in linear time overall, however many openers
    have no closer."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._last: dict[str, tuple[int, int]] = {}

    def find(self, needle: str, start: int) -> int:
        last = self._last.get(needle)
        if last is not None:
            since, found = last
            if since <= start and (found == -1 or found >= start):
                return found
        found = self.text.find(needle, start)
        self._last[needle] = (start, found)
        return found

    def search(self, pattern: re.Pattern[str], start: int) -> int:
        key = pattern.pattern
        last = self._last.get(key)
        if last is not None:
            since, found = last
            if since <= start and (found == -1 or found >= start):
                return found
        m = pattern.search(self.text, start)
        found = m.start() if m else -1
        self._last[key] = (start, found)
        return found


def code_spans(markdown: str) -> list[tuple[int, int]]:
    """Inline code spans, as CommonMark finds them: a run of n backticks up to the next
    run of exactly n (linear: each run is looked at a bounded number of times)."""
    runs = [(m.start(), m.end() - m.start()) for m in _BACKTICKS.finditer(markdown)]
    by_length: dict[int, list[int]] = defaultdict(list)
    for index, (_, length) in enumerate(runs):
        by_length[length].append(index)
    next_of: dict[int, int] = defaultdict(int)  # per length: where to look in by_length
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(runs):
        start, length = runs[i]
        same = by_length[length]
        k = next_of[length]
        while k < len(same) and same[k] <= i:
            k += 1
        next_of[length] = k
        if k < len(same):
            close = same[k]
            spans.append((start, runs[close][0] + length))
            i = close + 1
        else:
            i += 1
    return spans


def _inline_dollar(text: str, i: int, finder: _Finder) -> int:
    """The end of ``$…$`` math opening at ``i``, or -1. The content hugs its dollars
    ("$5 and $10" is money) and stays on one line."""
    if i > 0 and (text[i - 1] in "\\$" or _WORD.match(text, i - 1)):
        return -1
    if i + 1 >= len(text) or text[i + 1] == "$" or _SPACE.match(text, i + 1):
        return -1
    close = finder.search(_DOLLAR_OR_NEWLINE, i + 2)
    if close == -1 or text[close] == "\n":
        return -1
    if close > i + 2:
        last = text[close - 1]
        if last in "$\\" or last.isspace():
            return -1
    if _DIGIT.match(text, close + 1):
        return -1
    return close + 1


def find_formulas(markdown: str) -> list[tuple[int, int, Formula]]:
    """(start, end, formula) for each formula outside inline code, in one forward pass:
    ``$$…$$`` and ``\\[…\\]`` (display), then ``\\(…\\)`` and ``$…$`` (inline)."""
    code = code_spans(markdown)
    code_starts = [a for a, _ in code]
    finder = _Finder(markdown)
    found: list[tuple[int, int, Formula]] = []
    pos = 0
    while True:
        m = _CANDIDATE.search(markdown, pos)
        if m is None:
            break
        i = m.start()
        end, tex, display = -1, "", False
        for opener, closer, is_display in (
            ("$$", "$$", True),
            ("\\[", "\\]", True),
            ("\\(", "\\)", False),
        ):
            if markdown.startswith(opener, i):
                close = finder.find(closer, i + 3)
                if close != -1:
                    end, tex, display = close + 2, markdown[i + 2 : close], is_display
                break
        if end == -1 and markdown[i] == "$":
            end = _inline_dollar(markdown, i, finder)
            tex = markdown[i + 1 : end - 1]
        if end == -1:
            pos = i + 1
            continue
        k = bisect.bisect_right(code_starts, i) - 1
        if not (k >= 0 and code[k][0] <= i < code[k][1]):
            found.append((i, end, Formula(tex.strip(), display)))
        pos = end
    return found
