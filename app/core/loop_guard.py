"""Notice, while a trace streams, that it is repeating itself.

QwQ's worst failure is a trace that writes the same paragraph (or the same few
sentences) again and again until the context is full. :class:`LoopGuard` takes the
streamed text piece by piece (token texts of any length, cut anywhere) and turns
:attr:`LoopGuard.tripped` on, for good, the moment the recent text is a loop.

What counts as a loop
    The end of the text is *periodic*: a unit of text (the period) occurs at least
    ``repeats`` times in a row, and the repeated region is at least
    ``repeats * max(period, min_span_chars)`` characters long. So a paragraph of
    200+ characters trips on its third copy; a short phrase
    ("Wait, let me check. ", 20 characters) trips once the region of back-to-back
    copies reaches 600 characters (30 copies). Copies may differ a little ("near
    verbatim", for example a counter that goes up each cycle): at most
    ``max_variation`` (10%) of the region's characters may differ from the copy
    before them.

What does not count
    Real reasoning repeats short phrases ("Wait,", "Hmm.", "Let me check") between
    different sentences, writes a formula or a code block again (twice) with a fix,
    re-derives the same steps with new numbers, and repeats a table with new
    values. None of that is a run of three near-identical copies: a step whose
    numbers change differs in most of its pieces, far over 10%. The
    decision: changed numbers are progress, not a loop, unless the rest of the
    repeated region (90% of its characters) is verbatim.

How (constant work per character)
    The text is cut into pieces by its content, not its position, so that every
    copy of a repeated unit is cut the same way: after a newline or CJK full stop,
    after the space that follows a word ending in ``.!?:;``, after the space that
    follows a word whose hash is 0 mod 8 (so text with no punctuation is cut too),
    and, when a piece reaches ``max_piece_chars`` with none of those, at the
    position of the smallest hash of 8 characters in its second half (the same
    phase in every copy of a shorter unit; the winnowing trick). Each piece becomes
    a hash of its whitespace-normalized text. A loop of text is then a periodic
    sequence of piece hashes: when a piece equals one of the last few pieces with
    the same hash (distance ``q``), a *run* for period ``q`` starts, and each later
    piece is compared with the piece ``q`` before it. A bounded number of runs is
    live at once, so a piece costs O(1), and a character costs O(1) amortized
    (each character is hashed at most twice). Only the pieces of the last
    ``window_chars`` are remembered (and the text of ``repeats + 1`` windows, to
    quote the loop), which bounds both memory and the longest period seen.
    Piece keys use Python's string hash: equal texts always match; a false match
    needs a 64-bit collision.

Defaults and why
    ``window_chars=12_000``: QwQ loops seen in practice have periods from one
    sentence to a few paragraphs (100-3,000 characters); the window catches periods
    up to about 12,000 characters (about 3,000 tokens).
    ``min_span_chars=200`` (about 50 tokens) and ``repeats=3``: no real trace writes
    the same 200+ characters three times back to back; two copies (a formula
    checked again, code rewritten) are common and allowed.
    ``max_variation=0.1``: a counter or a changed word per cycle still trips; a
    re-derivation with new numbers in most sentences does not.
    Latency: a loop with period P trips at most about ``repeats`` periods (or
    ``repeats * min_span_chars`` characters for short periods) plus one piece
    after it starts; tests/core/test_loop_guard.py asserts it.
"""

from __future__ import annotations

import zlib
from collections import deque
from dataclasses import dataclass

_HARD_BREAKS = frozenset("\n\u3002\uff01\uff1f")  # newline, CJK 。！？
_SENTENCE_ENDS = frozenset(".!?:;")
_GRAM = 8


@dataclass(frozen=True, slots=True)
class LoopGuardSettings:
    """Thresholds of :class:`LoopGuard` (see the module docstring for why)."""

    window_chars: int = 12_000
    """How much recent text is remembered; also the longest period detected."""
    min_span_chars: int = 200
    """A repeated unit shorter than this must repeat until its copies are this long."""
    repeats: int = 3
    """How many copies in a row make a loop."""
    max_variation: float = 0.1
    """The fraction of the repeated region that may differ between copies."""
    max_piece_chars: int = 256
    """A piece of text with no break in it is cut at this length (by content)."""
    max_runs: int = 64
    """How many candidate periods are followed at once (bounds the cost)."""

    def __post_init__(self) -> None:
        if self.window_chars < 1:
            raise ValueError("window_chars must be positive")
        if self.min_span_chars < 1:
            raise ValueError("min_span_chars must be positive")
        if self.repeats < 2:
            raise ValueError("repeats must be at least 2")
        if not 0.0 <= self.max_variation < 1.0:
            raise ValueError("max_variation must be in [0, 1)")
        if self.max_piece_chars < 4 * _GRAM:
            raise ValueError(f"max_piece_chars must be at least {4 * _GRAM}")
        if self.max_runs < 1:
            raise ValueError("max_runs must be positive")


@dataclass(slots=True)
class _Run:
    """Pieces ``start..last`` each (nearly) equal the piece ``period`` before them."""

    start: int
    last: int
    begin: int
    """Where the first copy begins (absolute character offset)."""
    same_chars: int
    changed_chars: int


class LoopGuard:
    """Feed it streamed text; it trips once the recent text repeats itself."""

    def __init__(self, settings: LoopGuardSettings | None = None) -> None:
        self._settings = settings or LoopGuardSettings()
        self.reset()

    def reset(self) -> None:
        """Forget everything fed so far (for the next trace)."""
        self._tripped = False
        self._span: str | None = None
        # The current piece.
        self._piece: list[str] = []
        self._piece_has_text = False
        self._word_hash = 0
        self._word_len = 0
        self._last_char = ""
        # Recent text (for the span) and its absolute start offset.
        self._text: list[str] = []
        self._text_len = 0
        self._text_start = 0
        self._fed = 0
        # Finished pieces in the window: their keys and absolute start and end offsets.
        self._first_piece = 0
        self._keys: deque[int] = deque()
        self._starts: deque[int] = deque()
        self._ends: deque[int] = deque()
        self._seen: dict[int, deque[int]] = {}
        self._runs: dict[int, _Run] = {}

    @property
    def settings(self) -> LoopGuardSettings:
        return self._settings

    @property
    def tripped(self) -> bool:
        """True once the text has been found repeating (stays True until reset)."""
        return self._tripped

    @property
    def span(self) -> str | None:
        """One copy of the repeating text that tripped the guard (stripped), or None."""
        return self._span

    def feed(self, text: str) -> bool:
        """Feed the next piece of streamed text (any length, may be empty).

        Returns True from the moment the recent text is repeating itself (and stays True).
        """
        if self._tripped or not text:
            return self._tripped
        self._keep_text(text)
        hard = _HARD_BREAKS
        ends = _SENTENCE_ENDS
        limit = self._settings.max_piece_chars
        piece = self._piece
        for char in text:
            self._fed += 1
            piece.append(char)
            if char.isspace():
                cut = (
                    char in hard
                    or self._last_char in ends
                    or (self._word_len > 0 and self._word_hash % 8 == 0)
                )
                self._word_hash = 0
                self._word_len = 0
                if cut and self._piece_has_text and self._end_piece(len(piece)):
                    return True
            else:
                self._piece_has_text = True
                self._word_hash = (self._word_hash * 31 + ord(char)) & 0xFFFFFFFF
                self._word_len += 1
                if char in hard and self._end_piece(len(piece)):
                    return True
            self._last_char = char
            if len(piece) >= limit and self._end_piece(self._content_cut(piece)):
                return True
        return False

    # -- pieces --------------------------------------------------------------------

    def _keep_text(self, text: str) -> None:
        self._text.append(text)
        self._text_len += len(text)
        # The loop's first copy may begin up to ``repeats`` windows back.
        keep = (self._settings.repeats + 1) * self._settings.window_chars
        if self._text_len > 2 * keep + len(text):
            whole = "".join(self._text)
            drop = len(whole) - keep
            self._text = [whole[drop:]]
            self._text_start += drop
            self._text_len = len(whole) - drop

    def _content_cut(self, piece: list[str]) -> int:
        """Where to cut a piece with no natural break: the same phase in every copy."""
        half = len(piece) // 2
        text = "".join(piece)
        best_at = len(piece)
        best = 1 << 33
        for at in range(half, len(piece) - _GRAM + 1):
            value = zlib.crc32(text[at : at + _GRAM].encode("utf-8", "surrogatepass"))
            if value < best:
                best, best_at = value, at
        return best_at

    def _end_piece(self, length: int) -> bool:
        """The first ``length`` characters of the current piece are a finished piece.

        Returns whether that tripped the guard.
        """
        piece = self._piece
        text = "".join(piece[:length])
        rest = piece[length:]
        del piece[:]
        piece.extend(rest)
        # Restore the word state for what remains (already checked for breaks).
        self._piece_has_text = any(not c.isspace() for c in rest)
        self._word_hash = 0
        self._word_len = 0
        for char in rest:
            if char.isspace():
                self._word_hash = 0
                self._word_len = 0
            else:
                self._word_hash = (self._word_hash * 31 + ord(char)) & 0xFFFFFFFF
                self._word_len += 1
        end = self._fed - len(rest)
        return self._add_piece(hash(" ".join(text.split())), end)

    def _add_piece(self, key: int, end: int) -> bool:
        settings = self._settings
        index = self._first_piece + len(self._keys)
        begin = self._ends[-1] if self._ends else 0
        length = end - begin
        self._keys.append(key)
        self._starts.append(begin)
        self._ends.append(end)
        # Follow the live runs.
        for period, run in list(self._runs.items()):
            before = index - period
            if before < self._first_piece:
                del self._runs[period]
                continue
            if self._keys[before - self._first_piece] == key:
                run.same_chars += length
            else:
                run.changed_chars += length
                total = run.same_chars + run.changed_chars
                if run.changed_chars > settings.max_variation * total:
                    del self._runs[period]
                    continue
            run.last = index
            if self._check(period, run):
                return True
        # Start runs from the last pieces with the same text.
        seen = self._seen.get(key)
        if seen is not None:
            for earlier in reversed(seen):
                period = index - earlier
                if period not in self._runs and len(self._runs) < settings.max_runs:
                    run = _Run(
                        start=index,
                        last=index,
                        begin=self._start_at(earlier),
                        same_chars=length,
                        changed_chars=0,
                    )
                    self._runs[period] = run
                    if self._check(period, run):
                        return True
        else:
            seen = deque(maxlen=4)
            self._seen[key] = seen
        seen.append(index)
        self._forget_old()
        return False

    def _end_at(self, index: int) -> int:
        """The absolute end offset of piece ``index`` (start of the next one)."""
        return self._ends[index - self._first_piece]

    def _start_at(self, index: int) -> int:
        return self._starts[index - self._first_piece]

    def _check(self, period: int, run: _Run) -> bool:
        settings = self._settings
        index = run.last
        if index - run.start + 1 < (settings.repeats - 1) * period:
            return False
        region_begin = run.begin
        end = self._end_at(index)
        period_chars = end - self._end_at(index - period)
        if end - region_begin < settings.repeats * max(period_chars, settings.min_span_chars):
            return False
        self._tripped = True
        # The first copy, as the loop began.
        whole = "".join(self._text)
        first = max(0, region_begin - self._text_start)
        unit = _smallest_unit(whole[first : first + period_chars])
        if first > 0 and not whole[first - 1].isspace():
            # Cut inside a word: show the unit from its first whole word (any rotation is a copy).
            space = next((at for at, char in enumerate(unit) if char.isspace()), -1)
            unit = unit[space + 1 :] + unit[: space + 1]
        self._span = unit.strip() or unit
        return True

    def _forget_old(self) -> None:
        horizon = self._fed - self._settings.window_chars
        while len(self._ends) > 1 and self._ends[0] < horizon:
            key = self._keys.popleft()
            self._starts.popleft()
            self._ends.popleft()
            old = self._first_piece
            self._first_piece += 1
            seen = self._seen.get(key)
            if seen and seen[0] == old:
                seen.popleft()
                if not seen:
                    del self._seen[key]


def _smallest_unit(text: str) -> str:
    """The shortest text whose copies make up ``text`` exactly ("ab" for "ababab")."""
    border = [0] * len(text)  # prefix function (Knuth-Morris-Pratt)
    for at in range(1, len(text)):
        length = border[at - 1]
        while length and text[at] != text[length]:
            length = border[length - 1]
        if text[at] == text[length]:
            length += 1
        border[at] = length
    period = len(text) - border[-1] if text else 0
    return text[:period] if period and len(text) % period == 0 else text
