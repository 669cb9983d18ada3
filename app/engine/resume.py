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
whitespace (which the stored trace does not have: it comes out with the new text) and
a possible partial ``</think>`` such as a last ``<`` (which the stored trace does have:
that many characters of the new text are ``owed`` and not streamed again).
"""

from __future__ import annotations

import codecs
import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from app.core.errors import InvalidRequestError
from app.core.reasoning import CLOSE_TAG, OPEN_TAG, ReasoningSplitter, prompt_opens_reasoning
from app.core.thinking import HINT_MAX_CHARS, Continuation

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
    owed: int = 0  # characters the splitter holds back that the stored trace already has

    @property
    def context(self) -> list[int]:
        return self.prompt + self.kept


def check_hint(hint: str) -> None:
    """A Steer hint must say something, fit in a paragraph or two, and not close the
    trace itself."""
    if not hint:
        return
    if not hint.strip():
        raise InvalidRequestError("The hint is empty.")
    if len(hint) > HINT_MAX_CHARS:
        raise InvalidRequestError(
            f"The hint is {len(hint):,} characters; at most {HINT_MAX_CHARS:,} fit."
        )
    if OPEN_TAG in hint or CLOSE_TAG in hint:
        raise InvalidRequestError(f"A hint cannot contain {OPEN_TAG} or {CLOSE_TAG}.")


def _new_decoder() -> Decoder:
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


HELD_MAX = 64  # held back beyond this (a run of whitespace before a "<"): rebuild


def _held(splitter: ReasoningSplitter) -> str:
    """What the splitter holds back of the trace and lets out at the end of a stream
    (a partial tag; trailing whitespace is dropped there)."""
    flushed = copy.deepcopy(splitter).finish()
    return "".join(d.text for d in flushed if d.kind == "reasoning")


class _Primer:
    """A splitter fed token by token, keeping count of what it let out."""

    def __init__(self, opens_reasoning: bool, piece: Piece) -> None:
        self.splitter = ReasoningSplitter(starts_in_reasoning=opens_reasoning)
        self.decoder = _new_decoder()
        self._piece = piece
        self.reasoning: list[str] = []
        self.answer: list[str] = []
        self.reasoning_length = 0
        self.answer_length = 0

    def feed(self, token: int) -> None:
        text = self.decoder.decode(self._piece(token))
        if not text:
            return
        for d in self.splitter.feed(text):
            if d.kind == "reasoning":
                self.reasoning.append(d.text)
                self.reasoning_length += len(d.text)
            else:
                self.answer.append(d.text)
                self.answer_length += len(d.text)

    def at(self, cont: Continuation) -> bool:
        """Whether the text let out so far is as long as the stored one, in the right part."""
        s = self.splitter
        if cont.mode == "thinking":
            gap = len(cont.reasoning) - self.reasoning_length
            if not s.in_reasoning or not 0 <= gap <= HELD_MAX:
                return False
            return len(_held(s)) == gap  # a held "<" is stored, held whitespace is not
        closed = not s.in_reasoning and (s.reasoning_finished or not s.had_reasoning)
        return (
            closed
            and self.reasoning_length == len(cont.reasoning)
            and self.answer_length == len(cont.answer)
        )

    def past(self, cont: Continuation) -> bool:
        return self.reasoning_length > len(cont.reasoning) or self.answer_length > len(
            cont.answer if cont.mode == "answer" else ""
        )


def reuse(
    last: LastReply | None,
    prompt: list[int],
    cont: Continuation,
    opens_reasoning: bool,
    piece: Piece,
) -> Resume | None:
    """The last reply's own tokens, cut where ``cont`` ends; None when it is not that reply.

    The cut is the latest token after which the splitter has let out exactly the stored
    text (so a trailing newline the model wrote stays in the context), never inside or
    right after a wrap-up of the app's (reopening cuts before it)."""
    if last is None or last.prompt != prompt:
        return None
    inside_wrap: set[int] = set()  # reopening cuts before the wrap-up, not in it
    if cont.mode == "thinking":
        inside_wrap = {k for a, b in last.app_spans for k in range(a + 1, b + 1)}
    primer = _Primer(opens_reasoning, piece)
    cut = 0 if primer.at(cont) else None
    for k, token in enumerate(last.output, start=1):
        primer.feed(token)
        if primer.past(cont):
            break
        if primer.at(cont) and k not in inside_wrap:
            cut = k
    if cut is None:
        return None
    primer = _Primer(opens_reasoning, piece)
    kept = last.output[:cut]
    for token in kept:
        primer.feed(token)
    answer = "".join(primer.answer) if cont.mode == "answer" else ""
    held = _held(primer.splitter) if cont.mode == "thinking" else ""
    if "".join(primer.reasoning) + held != cont.reasoning or answer != cont.answer:
        return None
    spans = [(a, b) for a, b in last.app_spans if b <= cut]
    return Resume(prompt, kept, primer.splitter, primer.decoder, cont, True, spans, len(held))


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
        held = _held(splitter)
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
            "This reply cannot be continued: its stored text does not read as a trace "
            "and an answer."
        )
    whole = tokenize(prompt_text + reply_text(cont, opens))
    # The prompt's own tokens come first (it ends with a special token or a newline,
    # where the tokenizer always cuts); what follows is the reply.
    n = len(prompt) if whole[: len(prompt)] == prompt else 0
    splitter, owed = primed
    return Resume(whole[:n], whole[n:], splitter, _new_decoder(), cont, False, [], owed)
