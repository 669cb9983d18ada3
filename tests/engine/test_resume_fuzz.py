"""Continue from the cache, fuzzed: a reply cut after any token goes on with exactly the rest.

No model here: the tokens are pieces of text (tags split across tokens, a lone "<",
blank lines, a character split across two tokens), cut anywhere, stored as the
splitter let them out, and continued by :func:`app.engine.resume.reuse` with the
tokens that really followed. The whole reply must be what the uncut stream gives.
"""

from __future__ import annotations

import codecs

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.reasoning import ReasoningSplitter
from app.core.thinking import Continuation
from app.engine.resume import LastReply, Resume, reuse

PIECES = [
    b"a",
    b" b.",
    b"\n",
    b"\n\n",
    b" ",
    b"<",
    b"</",
    b"think>",
    b"</think>",
    b"Wait,",
    b"\xc3",  # the two halves of "é"
    b"\xa9",
    b"<think>",
]
PROMPT = [1, 2, 3]


def piece(token: int) -> bytes:
    return PIECES[token]


def split(tokens: list[int]) -> tuple[str, str, tuple[bool, bool]]:
    """The reply as stored after a stream of ``tokens`` ends, as the engine streams it
    (a token at a time, then the decoder and the splitter flushed), and whether the
    trace was (open, closed) before the flush."""
    splitter = ReasoningSplitter(starts_in_reasoning=True)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    deltas = []
    for t in tokens:
        deltas += splitter.feed(decoder.decode(piece(t)))
    state = splitter.in_reasoning, splitter.reasoning_finished
    deltas += splitter.feed(decoder.decode(b"", final=True)) + splitter.finish()
    reasoning = "".join(d.text for d in deltas if d.kind == "reasoning")
    answer = "".join(d.text for d in deltas if d.kind == "answer")
    return reasoning, answer, state


def go_on(resume: Resume, rest: list[int]) -> tuple[str, str]:
    """What a continued generation streams when the model writes ``rest`` (as the
    engine does: what the stored reply already has is not streamed again)."""
    owed = resume.owed
    owed_kind = "answer" if resume.continuation.mode == "answer" else "reasoning"
    splitter, decoder = resume.splitter, resume.decoder
    deltas = []
    for t in rest:
        deltas += splitter.feed(decoder.decode(piece(t)))
    deltas += splitter.feed(decoder.decode(b"", final=True)) + splitter.finish()
    out: dict[str, list[str]] = {"reasoning": [], "answer": []}
    for d in deltas:
        text = d.text
        if owed and d.kind == owed_kind:
            text, owed = text[owed:], max(0, owed - len(text))
        out[d.kind].append(text)
    return "".join(out["reasoning"]), "".join(out["answer"])


def stored_from(stored: str, whole: str) -> bool:
    """Whether ``stored`` is the start of ``whole`` (a cut character as U+FFFD)."""
    return len(stored) <= len(whole) and all(
        a in (b, "\ufffd") for a, b in zip(stored, whole, strict=False)
    )


@settings(max_examples=200, deadline=2000)
@given(
    tokens=st.lists(st.integers(0, len(PIECES) - 1), min_size=1, max_size=30),
    data=st.data(),
)
def test_a_reply_cut_anywhere_goes_on_with_exactly_the_rest(
    tokens: list[int], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(tokens)))
    reasoning, answer, (in_reasoning, finished) = split(tokens[:cut])
    if in_reasoning:
        continuation = Continuation(reasoning)
    elif finished:
        continuation = Continuation(reasoning, answer, "answer")
    else:
        return
    whole_reasoning, whole_answer, _ = split(tokens)
    if not stored_from(reasoning, whole_reasoning):
        return  # a held "<" turned out to start </think>: the stored one was a guess
    resume = reuse(LastReply(PROMPT, tokens), PROMPT, continuation, True, piece)
    assert resume is not None
    assert resume.context == PROMPT + tokens[: len(resume.kept)]
    new_reasoning, new_answer = go_on(resume, tokens[len(resume.kept) :])
    # The stored part stays as it was (a character cut in two is U+FFFD there); the
    # rest is exactly what followed.
    assert new_reasoning == whole_reasoning[len(reasoning) :]
    if continuation.mode == "answer":
        assert new_answer == whole_answer[len(answer) :]
