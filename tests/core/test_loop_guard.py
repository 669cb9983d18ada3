"""The loop guard: quiet on long varied reasoning, quick on traces that repeat themselves."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.loop_guard import LoopGuard, LoopGuardSettings
from tests.fixtures.reasoning_traces import LOOPING, VARIED, Loop, musing

DEFAULTS = LoopGuardSettings()


def token_pieces(text: str, seed: int = 0) -> Iterator[str]:
    """The text cut as a model streams it: pieces of 1 to 6 characters."""
    rng = random.Random(seed)
    at = 0
    while at < len(text):
        size = rng.randint(1, 6)
        yield text[at : at + size]
        at += size


def chunks(text: str, size: int) -> Iterator[str]:
    return (text[at : at + size] for at in range(0, len(text), size))


def verdict(pieces: Iterator[str]) -> tuple[bool, str | None]:
    guard = LoopGuard()
    for piece in pieces:
        guard.feed(piece)
    return guard.tripped, guard.span


def chars_until_trip(loop: Loop) -> int:
    """Feed the good reasoning, then the loop token by token; characters of loop fed until it trips."""
    guard = LoopGuard()
    for piece in token_pieces(loop.text[: loop.loop_start]):
        assert not guard.feed(piece), (
            f"{loop.name}: tripped before the loop started: {guard.span!r}"
        )
    fed = 0
    for piece in token_pieces(loop.text[loop.loop_start :], seed=1):
        fed += len(piece)
        if guard.feed(piece):
            return fed
    raise AssertionError(f"{loop.name}: the loop was never caught")


def test_the_corpus_is_long_and_varied() -> None:
    assert len(VARIED) >= 10
    assert sum(map(len, VARIED.values())) >= 100_000


@pytest.mark.parametrize("name", sorted(VARIED))
def test_real_reasoning_never_trips(name: str) -> None:
    text = VARIED[name]
    assert verdict(token_pieces(text)) == (False, None)
    assert verdict(iter([text])) == (False, None)


@pytest.mark.parametrize("loop", LOOPING, ids=[loop.name for loop in LOOPING])
def test_a_loop_is_caught_within_three_periods(loop: Loop) -> None:
    fed = chars_until_trip(loop)
    # Three copies of the repeated unit (or of 200 characters for a short phrase), plus
    # up to two pieces of text while the copies fall into step.
    bound = (
        DEFAULTS.repeats * max(loop.period, DEFAULTS.min_span_chars) + 2 * DEFAULTS.max_piece_chars
    )
    assert fed <= bound, f"{loop.name}: caught after {fed} characters (bound {bound})"


@pytest.mark.parametrize("loop", LOOPING, ids=[loop.name for loop in LOOPING])
def test_the_span_is_one_copy_of_the_loop(loop: Loop) -> None:
    tripped, span = verdict(token_pieces(loop.text))
    assert tripped
    assert span
    normalized_loop = " ".join(loop.text[loop.loop_start :].split())
    assert " ".join(span.split()) in normalized_loop
    assert len(span) <= 2 * max(loop.period, DEFAULTS.min_span_chars) + DEFAULTS.max_piece_chars


@pytest.mark.parametrize(
    "text",
    [*(loop.text for loop in LOOPING[:4]), VARIED["cases"], VARIED["code_twice"]],
)
def test_how_the_text_is_cut_does_not_change_the_verdict(text: str) -> None:
    expected = verdict(iter([text]))
    assert verdict(token_pieces(text, seed=7)) == expected
    assert verdict(chunks(text, 1)) == expected
    assert verdict(chunks(text, 4096)) == expected


def test_it_stays_tripped_until_reset() -> None:
    guard = LoopGuard()
    assert guard.feed("") is False
    assert guard.feed("Wait, let me check. " * 40) is True
    assert guard.feed("Something new entirely.") is True
    assert guard.feed("") is True
    assert guard.tripped
    assert guard.span == "Wait, let me check."
    guard.reset()
    assert (guard.tripped, guard.span) == (False, None)
    assert guard.feed("Wait, let me check. " * 10) is False


def test_the_span_of_a_short_loop_is_one_copy() -> None:
    guard = LoopGuard()
    assert guard.feed("Okay. " + "the answer is " * 100)
    # One copy, from a whole word (which word it starts with depends on where it was caught).
    assert guard.span is not None
    assert len(guard.span) == len("the answer is")
    assert guard.span in "the answer is " * 2
    assert not guard.span.startswith(("nswer", "he", "s "))


def test_two_copies_of_a_paragraph_are_not_a_loop_but_three_are() -> None:
    paragraph = musing(42, 600).replace("\n\n", " ") + "\n"
    guard = LoopGuard()
    assert guard.feed(paragraph * 2) is False
    assert guard.feed(paragraph) is True


def test_a_derivation_redone_with_new_numbers_is_not_a_loop_but_a_counter_is() -> None:
    def derivation(a: int, b: int) -> str:
        return (
            f"Let the width be {a} and the height be {b}. Then the area is {a} times {b}, "
            f"which is {a * b}. The perimeter is 2 times ({a} plus {b}), so {2 * (a + b)}. "
            f"The diagonal squared is {a * a} plus {b * b}, that is {a * a + b * b}. "
            f"So the ratio of area to perimeter is {a * b} over {2 * (a + b)}.\n"
        )

    guard = LoopGuard()
    assert not guard.feed("".join(derivation(a, a + 3) for a in range(3, 40)))
    # The same paragraph with only a counter that changes is a loop.
    fixed = derivation(7, 10)
    assert guard.feed("".join(f"Attempt {n}. {fixed}" for n in range(1, 6)))


def test_a_loop_after_a_long_good_trace_is_still_caught() -> None:
    guard = LoopGuard()
    good = musing(43, 120_000)
    for piece in chunks(good, 5):
        assert not guard.feed(piece)
    assert guard.feed(
        ("Let me recompute the sum of the series from the start, term by term. " * 4 + "\n") * 3
    )


def test_the_thresholds_are_settings() -> None:
    paragraph = musing(44, 400).replace("\n\n", " ") + "\n"
    strict = LoopGuard(LoopGuardSettings(repeats=4))
    assert strict.feed(paragraph * 3) is False
    assert strict.feed(paragraph) is True
    lenient_span = LoopGuard(LoopGuardSettings(min_span_chars=1_000))
    assert lenient_span.feed("Wait, let me check. " * 100) is False
    assert lenient_span.feed("Wait, let me check. " * 60) is True


@pytest.mark.parametrize(
    "options",
    [
        {"window_chars": 0},
        {"min_span_chars": 0},
        {"repeats": 1},
        {"max_variation": 1.0},
        {"max_variation": -0.1},
        {"max_piece_chars": 8},
        {"max_runs": 0},
    ],
)
def test_bad_settings_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        LoopGuardSettings(**options)  # type: ignore[arg-type]


def test_the_stream_of_bench_ui_stream_is_itself_a_loop() -> None:
    # bench/ui_stream.py streams "let me think about this step by step ..." cyclically:
    # a verbatim loop by construction, which the guard rightly calls one.
    words = ["let", "me", "think", "about", "this", "step", "by", "step", "and", "check"]
    words += ["each", "case", "carefully"]
    text = "".join((" " if i % 12 else "\n") + words[i % len(words)] for i in range(1, 2_000))
    assert verdict(token_pieces(text))[0]


def random_text(seed: int, words: int, punctuation: float) -> str:
    """Random words (never the same text twice), sentences of random length."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(words):
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 9)))
        mark = rng.random()
        if mark < punctuation:
            word += rng.choice(".,;:!?")
        elif mark < punctuation * 1.2:
            word += "\n"
        out.append(word)
    return " ".join(out)


FUZZ = settings(max_examples=120, deadline=2_000, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    seed=st.integers(0, 2**32),
    words=st.integers(50, 1_500),
    punctuation=st.floats(0.0, 0.3),
    chunk=st.integers(1, 64),
)
def test_random_text_never_trips_even_written_twice(
    seed: int, words: int, punctuation: float, chunk: int
) -> None:
    text = random_text(seed, words, punctuation)
    guard = LoopGuard()
    for piece in chunks(text + " " + text, chunk):
        assert not guard.feed(piece)


@FUZZ
@given(
    seed=st.integers(0, 2**32),
    words=st.integers(1, 500),
    punctuation=st.floats(0.0, 0.3),
    prefix_words=st.integers(0, 300),
    joint=st.sampled_from(["", " ", "\n"]),
    chunk_seed=st.integers(0, 1_000),
)
def test_any_text_repeating_is_caught_within_three_periods(
    seed: int, words: int, punctuation: float, prefix_words: int, joint: str, chunk_seed: int
) -> None:
    prefix = random_text(seed + 1, prefix_words, 0.1) + joint
    unit = random_text(seed, words, punctuation) + joint
    bound = (
        DEFAULTS.repeats * max(len(unit), DEFAULTS.min_span_chars) + 2 * DEFAULTS.max_piece_chars
    )
    guard = LoopGuard()
    assert not guard.feed(prefix)
    fed = 0
    for piece in token_pieces(unit * (bound // len(unit) + 2), seed=chunk_seed):
        fed += len(piece)
        if guard.feed(piece):
            break
    assert guard.tripped
    assert fed <= bound
    assert guard.span
