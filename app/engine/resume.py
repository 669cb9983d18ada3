"""Where a continued reply (Continue, Steer) starts: the tokens before it, and the
splitter in the state the old reply left it in.

Two ways to get there:

- **Reuse.** When the reply to continue is the one this engine generated last (same
  prompt tokens, and the stored trace/answer are what that generation produced, or the
  trace up to the app's wrap-up, for reopening), the context is the exact token ids:
  the prompt, then the reply's tokens cut where the stored text ends. llama-cpp-python's
  prefix match then finds all of it in the KV cache: nothing is processed again.
- **Rebuild.** Otherwise the prompt is rendered again and the stored text appended as
  the model would have written it (for QwQ: the trace, then ``\\n</think>\\n\\n`` and
  the answer for mode "answer"), then tokenized and processed.

Either way the splitter is primed with the old reply's text, so it continues inside
the trace (mode "thinking") or in the answer (mode "answer"), holding back exactly what
it held back then, and only new deltas come out. What it holds back is trailing
whitespace (which the stored trace does not have: it comes out with the new text), a
possible partial ``</think>`` such as a last ``<``, and the first bytes of a character
cut between two tokens (which the stored reply does have, as ``<`` and as U+FFFD: that
many characters of the new text are ``owed`` and not streamed again).
"""

from __future__ import annotations

import codecs
import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from app.core.errors import InvalidRequestError
from app.core.i18n import translate
from app.core.reasoning import CLOSE_TAG, OPEN_TAG, ReasoningSplitter, prompt_opens_reasoning
from app.core.thinking import Continuation

Piece = Callable[[int], bytes]  # a token's bytes
Decoder = codecs.IncrementalDecoder


@dataclass(slots=True)
class LastReply:
    """What the engine generated last, as tokens: the one reply Continue can reuse."""

    prompt: list[int]  # the rendered prompt's tokens
    output: list[int]  # every token after it: the model's and the inserted ones
    app_spans: list[tuple[int, int]] = field(default_factory=list)  # wrap-ups: output[a:b]


@dataclass(slots=True)
class Resume:
    """A primed start for a continued generation."""

    prompt: list[int]  # the rendered prompt's tokens
    kept: list[int]  # the old reply's tokens that stay in the context
    splitter: ReasoningSplitter
    decoder: Decoder
    continuation: Continuation
    reused: bool  # kept is the last reply's own tokens (else rebuilt from the text)
    app_spans: list[tuple[int, int]]  # wrap-ups within kept
    owed: int = 0  # characters held back that the stored reply already has (see above)

    @property
    def context(self) -> list[int]:
        return self.prompt + self.kept


def _new_decoder() -> Decoder:
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


HELD_MAX = 64  # held back beyond this (a run of whitespace before a "<"): rebuild


def _held(splitter: ReasoningSplitter, decoder: Decoder | None = None) -> tuple[str, str]:
    """What the stream would still let out if it ended here, as (reasoning, answer):
    the bytes of a cut character, as U+FFFD, and what the splitter holds back (a partial
    tag; trailing whitespace is dropped at the end)."""
    splitter = copy.deepcopy(splitter)
    pending = decoder.getstate()[0] if decoder is not None else b""
    deltas = splitter.feed(pending.decode("utf-8", errors="replace")) if pending else []
    deltas += splitter.finish()
    reasoning = "".join(d.text for d in deltas if d.kind == "reasoning")
    return reasoning, "".join(d.text for d in deltas if d.kind == "answer")


class _Primer:
    """A splitter fed the last reply token by token, checking what it lets out against
    the stored reply."""

    def __init__(self, cont: Continuation, opens_reasoning: bool, piece: Piece) -> None:
        self.splitter = ReasoningSplitter(starts_in_reasoning=opens_reasoning)
        self.decoder = _new_decoder()
        self._piece = piece
        self._cont = cont
        self._stored = {"reasoning": cont.reasoning, "answer": cont.answer}
        if cont.mode == "thinking":
            self._stored["answer"] = ""  # the answer is dropped: any is past the cut
        self._length = {"reasoning": 0, "answer": 0}
        self.diverged = False  # it let out something the stored reply does not have

    def feed(self, token: int) -> None:
        text = self.decoder.decode(self._piece(token))
        if not text:
            return
        for d in self.splitter.feed(text):
            at = self._length[d.kind]
            self._length[d.kind] = at + len(d.text)
            if not self._stored[d.kind].startswith(d.text, at):
                self.diverged = True

    def at_end(self) -> str | None:
        """Whether the stream, ended here, would give the stored reply; then the text
        the stored reply has that is still held back (owed), else None."""
        cont, s = self._cont, self.splitter
        if self.diverged:
            return None
        if cont.mode == "thinking":
            gap = len(cont.reasoning) - self._length["reasoning"]
            if not s.in_reasoning or not 0 <= gap <= HELD_MAX:
                return None
        else:
            closed = not s.in_reasoning and (s.reasoning_finished or not s.had_reasoning)
            gap = len(cont.answer) - self._length["answer"]
            if not closed or self._length["reasoning"] != len(cont.reasoning) or gap > 4:
                return None
        held_reasoning, held_answer = _held(s, self.decoder)
        # A held "<" or cut character is stored; held whitespace is not.
        if cont.mode == "thinking":
            ok = (
                not held_answer
                and cont.reasoning.endswith(held_reasoning)
                and (len(held_reasoning) == gap)
            )
            return held_reasoning if ok else None
        ok = not held_reasoning and len(held_answer) == gap and cont.answer.endswith(held_answer)
        return held_answer if ok else None


def reuse(
    last: LastReply | None,
    prompt: list[int],
    cont: Continuation,
    opens_reasoning: bool,
    piece: Piece,
) -> Resume | None:
    """The last reply's own tokens, cut where ``cont`` ends; None when it is not that reply.

    The cut is the latest token after which the stream, ended there, gives exactly the
    stored reply (so a trailing newline the model wrote stays in the context), never
    inside or right after a wrap-up of the app's when reopening the trace (the cut is
    then before it)."""
    if last is None or last.prompt != prompt:
        return None
    inside_wrap: set[int] = set()
    if cont.mode == "thinking":
        inside_wrap = {k for a, b in last.app_spans for k in range(a + 1, b + 1)}
    primer = _Primer(cont, opens_reasoning, piece)
    found: tuple[int, ReasoningSplitter, Decoder, str] | None = None

    def take(k: int) -> None:
        nonlocal found
        owed = primer.at_end()
        if owed is not None:  # the latest such token wins: keep a copy of the state
            decoder = _new_decoder()
            decoder.setstate(primer.decoder.getstate())
            found = (k, copy.deepcopy(primer.splitter), decoder, owed)

    take(0)
    for k, token in enumerate(last.output, start=1):
        primer.feed(token)
        if primer.diverged:
            break
        if k not in inside_wrap:
            take(k)
    if found is None:
        return None
    cut, splitter, decoder, owed = found
    spans = [(a, b) for a, b in last.app_spans if b <= cut]
    return Resume(prompt, last.output[:cut], splitter, decoder, cont, True, spans, len(owed))


def reply_text(cont: Continuation, opens_reasoning: bool) -> str:
    """The stored reply as the model would have written it after the prompt."""
    text = "" if opens_reasoning else OPEN_TAG + "\n"
    if cont.mode == "thinking":
        return text + cont.reasoning
    if not cont.reasoning and not opens_reasoning:
        return cont.answer  # a reply with no trace
    return f"{text}{cont.reasoning}\n{CLOSE_TAG}\n\n{cont.answer}"


def prime_text(cont: Continuation, opens_reasoning: bool) -> tuple[ReasoningSplitter, int] | None:
    """A splitter fed the stored reply at once, and the characters it owes (see
    :class:`Resume`); None when the text does not end where ``cont`` says."""
    splitter = ReasoningSplitter(starts_in_reasoning=opens_reasoning)
    deltas = splitter.feed(reply_text(cont, opens_reasoning))
    reasoning = "".join(d.text for d in deltas if d.kind == "reasoning")
    answer = "".join(d.text for d in deltas if d.kind == "answer")
    if cont.mode == "thinking":
        held = _held(splitter)[0]
        ok = splitter.in_reasoning and reasoning + held == cont.reasoning
        return (splitter, len(held)) if ok else None
    ok = not splitter.in_reasoning and (reasoning, answer) == (cont.reasoning, cont.answer)
    return (splitter, 0) if ok else None


def rebuild(
    prompt_text: str,
    prompt: list[int],
    cont: Continuation,
    tokenize: Callable[[str], list[int]],
) -> Resume:
    """The prompt rendered again with the stored reply appended, tokenized as one text."""
    opens = prompt_opens_reasoning(prompt_text)
    primed = prime_text(cont, opens)
    if primed is None:
        raise InvalidRequestError(
            translate(
                "Resume",
                "This reply cannot be continued: its stored text does not read as a trace and "
                "an answer.",
            )
        )
    whole = tokenize(prompt_text + reply_text(cont, opens))
    # The prompt's own tokens come first (it ends with a special token or a newline,
    # where the tokenizer always cuts); what follows is the reply.
    n = len(prompt) if whole[: len(prompt)] == prompt else 0
    splitter, owed = primed
    return Resume(whole[:n], whole[n:], splitter, _new_decoder(), cont, False, [], owed)
