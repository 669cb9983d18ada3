"""The one place that decides what is reasoning and what is answer.

A reasoning model writes its thinking between ``<think>`` and ``</think>`` and its
answer after. QwQ's chat template already ends the prompt with ``<think>\\n``, so its
output starts *inside* the reasoning with no opening tag: the caller says so with
``starts_in_reasoning`` (see :func:`prompt_opens_reasoning`).

:class:`ReasoningRouter` does the same for an endpoint's stream, where the reasoning may
also come in a field of its own; it splits the content with a ReasoningSplitter.

:class:`ReasoningSplitter` is a streaming parser: it takes text chunks cut anywhere,
even one character at a time, and returns reasoning and answer deltas. Any chunking
of a stream gives the same split as the whole text at once. It holds back only what
it cannot decide yet: a possible partial tag, and trailing whitespace of the
reasoning (which is trimmed before ``</think>``).

Rules:
- forced-open (``starts_in_reasoning``): everything up to ``</think>`` is reasoning;
- otherwise an output that starts with ``<think>`` (after optional whitespace)
  opens the reasoning; any other output is all answer;
- blank lines between ``</think>`` and the answer are dropped (the first line's
  indentation is kept);
- once the answer has begun, tags in it are answer text;
- a trace that never closes is all reasoning, and ``reasoning_finished`` stays False.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"

DeltaKind = Literal["reasoning", "answer"]


@dataclass(frozen=True, slots=True)
class Delta:
    kind: DeltaKind
    text: str


class _State(enum.Enum):
    START = "start"  # not yet known whether the output opens with <think>
    REASONING = "reasoning"
    GAP = "gap"  # after </think>, skipping blank lines
    ANSWER = "answer"


def prompt_opens_reasoning(prompt: str) -> bool:
    """True when a rendered prompt leaves the model inside an open ``<think>`` block.

    QwQ's template ends the generation prompt with ``<think>\\n``; detecting it from the
    prompt (not the model's name) works for any model and template that does this.
    """
    return prompt.rstrip().endswith(OPEN_TAG)


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-n:]):
            return n
    return 0


class ReasoningSplitter:
    def __init__(self, *, starts_in_reasoning: bool) -> None:
        self._state = _State.REASONING if starts_in_reasoning else _State.START
        self._buf = ""
        self._reasoning_started = False  # leading whitespace of the trace is dropped
        self._pending_chunks = 0  # chunks seen while still undecided (START)
        self.reasoning_finished = False
        self.had_reasoning = starts_in_reasoning
        self.reasoning_chunks = 0  # chunks (tokens, when fed one per token) of reasoning

    @property
    def in_reasoning(self) -> bool:
        """Whether the stream is inside the reasoning now."""
        return self._state is _State.REASONING

    def feed(self, chunk: str) -> list[Delta]:
        state_before = self._state
        out: list[Delta] = []
        self._buf += chunk
        self._run(out, final=False)
        self._count(state_before)
        return out

    def finish(self) -> list[Delta]:
        """End of stream: flush what was held back."""
        out: list[Delta] = []
        self._run(out, final=True)
        self._buf = ""  # only trailing whitespace can be left
        return out

    def _count(self, state_before: _State) -> None:
        if state_before is _State.REASONING:
            self.reasoning_chunks += 1
        elif state_before is _State.START:
            if self._state is _State.START:
                self._pending_chunks += 1
            else:
                if self.had_reasoning:
                    self.reasoning_chunks += self._pending_chunks + 1
                self._pending_chunks = 0

    def _run(self, out: list[Delta], *, final: bool) -> None:
        while self._buf:
            before = (self._state, len(self._buf))
            self._step(out, final=final)
            if (self._state, len(self._buf)) == before:
                return  # waiting for more text

    def _step(self, out: list[Delta], *, final: bool) -> None:
        buf = self._buf
        if self._state is _State.START:
            stripped = buf.lstrip()
            if stripped.startswith(OPEN_TAG):
                self._buf = stripped[len(OPEN_TAG) :]
                self._state = _State.REASONING
                self.had_reasoning = True
            elif final or not OPEN_TAG.startswith(stripped):
                self._state = _State.GAP  # no thinking: all answer
            return

        if self._state is _State.REASONING:
            if not self._reasoning_started:
                buf = self._buf = buf.lstrip()
                self._reasoning_started = bool(buf)
                if not buf:
                    return
            end = buf.find(CLOSE_TAG)
            if end >= 0:
                text = buf[:end].rstrip()
                self._buf = buf[end + len(CLOSE_TAG) :]
                self._state = _State.GAP
                self.reasoning_finished = True
            elif final:
                text = buf.rstrip()
                self._buf = buf[len(text) :]
            else:
                # Hold back a possible partial "</think>" and trailing whitespace,
                # which is trimmed if the tag follows.
                text = buf[: len(buf) - _partial_suffix(buf, CLOSE_TAG)].rstrip()
                self._buf = buf[len(text) :]
            if text:
                out.append(Delta("reasoning", text))
            return

        if self._state is _State.GAP:
            stripped = buf.lstrip()
            if not stripped:
                return
            # Drop whole blank lines; keep the first line's indentation.
            gap = buf[: len(buf) - len(stripped)]
            self._buf = buf[max(gap.rfind("\n"), gap.rfind("\r")) + 1 :]
            self._state = _State.ANSWER
            return

        # ANSWER: everything passes through, tags included.
        out.append(Delta("answer", buf))
        self._buf = ""


class ReasoningRouter:
    """An endpoint's stream in, reasoning and answer deltas out: the reasoning may come in
    its own field (``reasoning_content``, ``reasoning``) or as tags in the content.

    Field text is the trace, with the splitter's whitespace rules (leading whitespace
    dropped, trailing whitespace before the end trimmed); once the field has been seen,
    a ``<think>`` block in the content repeats it and is dropped. Content goes through a
    :class:`ReasoningSplitter`. Whether untagged content starts inside the reasoning is
    ``starts_in_reasoning``, or (None) found out: content that opens with neither the
    field nor ``<think>`` is held back until ``</think>`` shows it was reasoning, or the
    end of the stream shows it was an answer (:attr:`learned` says what it showed)."""

    def __init__(
        self,
        starts_in_reasoning: bool | None,
        *,
        resume: str | None = None,
        answer_only: bool = False,
    ) -> None:
        """``resume``: the stream goes on inside a trace that so far reads ``resume`` (a
        continuation: whitespace joins as if it had been streamed). ``answer_only``: the
        trace is closed before the stream starts, so all of it is answer, whatever field
        it comes in (vLLM's reasoning parser calls text with no ``</think>`` in it
        reasoning)."""
        self.mode = True if resume is not None else starts_in_reasoning
        self.answer_only = answer_only
        self._resume = resume
        self.field_seen = False  # the server sends the reasoning in its own field
        self._field_started = False
        self._field_space = ""  # trailing whitespace of the field's trace, held back
        self._answer_started = False
        self._held = ""  # content not yet known to be reasoning or answer
        self._splitter: ReasoningSplitter | None = None
        self._drop_reasoning = False  # the content's <think> block repeats the field
        self.learned: bool | None = None  # what the content showed, when mode is None
        if resume and resume.strip():
            self._field_started = True
            self._field_space = resume[len(resume.rstrip()) :]

    @property
    def in_reasoning(self) -> bool:
        """Whether what comes now is (most likely) the trace."""
        if self.answer_only:
            return False
        if self.field_seen:
            return not self._answer_started
        if self._splitter is not None:
            return self._splitter.in_reasoning
        return self.mode is not False  # not known yet: QwQ starts by thinking

    @property
    def reasoning_finished(self) -> bool:
        if self.answer_only:
            return True
        if self.field_seen:
            return self._answer_started
        return self._splitter is not None and self._splitter.reasoning_finished

    @property
    def had_reasoning(self) -> bool:
        return self.field_seen or (self._splitter is not None and self._splitter.had_reasoning)

    def reasoning(self, text: str) -> list[Delta]:
        if self.answer_only:
            return [Delta("answer", text)]
        self.field_seen = True
        self._drop_reasoning = True  # from now on a <think> block in the content repeats it
        if not self._field_started:
            text = text.lstrip()
            if not text:
                return []
            self._field_started = True
        text = self._field_space + text
        kept = text.rstrip()
        self._field_space = text[len(kept) :]
        return [Delta("reasoning", kept)] if kept else []

    def content(self, text: str) -> list[Delta]:
        if self.answer_only:
            return [Delta("answer", text)]
        if self._splitter is None:
            self._held += text
            splitter = self._decide(final=False)
            if splitter is None:
                return []
            text, self._held = self._held, ""
        else:
            splitter = self._splitter
        return self._filter(splitter.feed(text))

    def finish(self, *, natural: bool) -> list[Delta]:
        """End of stream; ``natural``: the model ended the reply itself (not a limit, a
        cancel or an error)."""
        out: list[Delta] = []
        splitter = self._splitter
        if splitter is None and self._held:
            splitter = self._decide(final=True, natural=natural)
            assert splitter is not None  # at the end it always decides
            out += self._filter(splitter.feed(self._held))
            self._held = ""
        if splitter is not None:
            out += self._filter(splitter.finish())
        return out

    def _decide(self, *, final: bool, natural: bool = False) -> ReasoningSplitter | None:
        """Start the splitter once the content shows how it begins (None: not yet)."""
        held = self._held.lstrip()
        if self._resume is not None and not self.field_seen:
            # Inside the trace already: prime the splitter with it, so the new text's
            # whitespace is kept (or trimmed) as if the whole trace had streamed.
            self._splitter = ReasoningSplitter(starts_in_reasoning=True)
            self._splitter.feed(self._resume)
            return self._splitter
        if self.field_seen or held.startswith(OPEN_TAG):
            starts = False
        elif not final and OPEN_TAG.startswith(held):
            return None  # nothing yet, or the start of a "<think>"
        elif self.mode is not None:
            starts = self.mode
        elif CLOSE_TAG in self._held:
            starts = self.learned = True  # a close without an open: it began in reasoning
        elif not final:
            return None  # hold it back until </think> or the end says what it is
        elif natural:
            starts = False  # the model ended it without </think>: an answer, from a model
            if held:  # that does not reason
                self.learned = False
        else:
            starts = True  # cut short (a limit, Stop, an error): most likely QwQ mid-thought
        self._splitter = ReasoningSplitter(starts_in_reasoning=starts)
        return self._splitter

    def _filter(self, deltas: list[Delta]) -> list[Delta]:
        out = [d for d in deltas if not (self._drop_reasoning and d.kind == "reasoning")]
        if any(d.kind == "answer" for d in out):
            self._answer_started = True
        return out
