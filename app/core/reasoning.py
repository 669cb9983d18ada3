"""The one place that decides what is reasoning and what is answer.

A reasoning model writes its thinking between ``<think>`` and ``</think>`` and its
answer after. QwQ's chat template already ends the prompt with ``<think>\\n``, so its
output starts *inside* the reasoning with no opening tag: the caller says so with
``starts_in_reasoning`` (see :func:`prompt_opens_reasoning`).

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
