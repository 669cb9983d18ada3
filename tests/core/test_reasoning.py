from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.reasoning import (
    Delta,
    ReasoningRouter,
    ReasoningSplitter,
    prompt_opens_reasoning,
)
from tests.fixtures.split_whole import split_text

QWQ_OUTPUT = "Okay, the user asks for 2+2.\nThat is 4.\n</think>\n\nThe answer is $\\boxed{4}$."


def feed_chunks(chunks: list[str], *, forced: bool) -> tuple[str, str, bool, list[Delta]]:
    splitter = ReasoningSplitter(starts_in_reasoning=forced)
    deltas: list[Delta] = []
    for chunk in chunks:
        deltas += splitter.feed(chunk)
    deltas += splitter.finish()
    reasoning = "".join(d.text for d in deltas if d.kind == "reasoning")
    answer = "".join(d.text for d in deltas if d.kind == "answer")
    return reasoning, answer, splitter.reasoning_finished, deltas


def test_forced_open_thinking_has_no_opening_tag() -> None:
    reasoning, answer, finished = split_text(QWQ_OUTPUT, starts_in_reasoning=True)
    assert reasoning == "Okay, the user asks for 2+2.\nThat is 4."
    assert answer == "The answer is $\\boxed{4}$."
    assert finished


def test_prompt_detection_uses_the_rendered_prompt() -> None:
    assert prompt_opens_reasoning("<|im_start|>assistant\n<think>\n")
    assert not prompt_opens_reasoning("<|im_start|>assistant\n")
    assert not prompt_opens_reasoning("<think>\nold</think>\n<|im_start|>assistant\n")


def test_explicit_opening_tag() -> None:
    text = "<think>\nLet me see.\n</think>\n\nYes."
    assert split_text(text, starts_in_reasoning=False) == ("Let me see.", "Yes.", True)


def test_explicit_tag_after_leading_whitespace() -> None:
    assert split_text("\n <think>a</think>b", starts_in_reasoning=False) == ("a", "b", True)


def test_close_tag_split_one_character_per_chunk() -> None:
    reasoning, answer, finished, _ = feed_chunks(list(QWQ_OUTPUT), forced=True)
    assert (reasoning, answer, finished) == split_text(QWQ_OUTPUT, starts_in_reasoning=True)
    assert finished


@pytest.mark.parametrize("cut", range(1, len("</think>")))
def test_close_tag_split_at_every_byte(cut: int) -> None:
    tag = "</think>"
    chunks = ["abc", tag[:cut], tag[cut:] + "\n\nanswer"]
    assert feed_chunks(chunks, forced=True)[:3] == ("abc", "answer", True)


def test_unclosed_trace_is_all_reasoning_and_unfinished() -> None:
    reasoning, answer, finished, _ = feed_chunks(["Still thinking", " about it </thi"], forced=True)
    assert reasoning == "Still thinking about it </thi"
    assert answer == ""
    assert not finished


def test_no_thinking_is_all_answer() -> None:
    text = "Hello! Here is a tag: <think> in prose."
    reasoning, answer, finished, _ = feed_chunks(
        ["Hel", "lo! Here is a tag: <thi", "nk> in prose."], forced=False
    )
    assert (reasoning, answer, finished) == ("", text, False)


def test_answer_that_merely_starts_like_the_tag() -> None:
    assert split_text("<thinking is fun>", starts_in_reasoning=False) == (
        "",
        "<thinking is fun>",
        False,
    )


def test_blank_lines_after_close_are_trimmed_but_indentation_kept() -> None:
    text = "r</think>\n\n   \n    indented code\nmore"
    assert split_text(text, starts_in_reasoning=True) == ("r", "    indented code\nmore", True)


def test_tags_inside_the_answer_stay_answer_text() -> None:
    text = "r</think>\nUse `<think>` and `</think>` like this:\n```\n<think>x</think>\n```"
    reasoning, answer, _ = split_text(text, starts_in_reasoning=True)
    assert reasoning == "r"
    assert answer == "Use `<think>` and `</think>` like this:\n```\n<think>x</think>\n```"


def test_empty_reasoning_block() -> None:
    assert split_text("</think>\n\nJust the answer.", starts_in_reasoning=True) == (
        "",
        "Just the answer.",
        True,
    )


def test_deltas_stream_before_the_close_arrives() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=True)
    assert splitter.feed("First thought. ") == [Delta("reasoning", "First thought.")]
    assert splitter.feed("Second") == [Delta("reasoning", " Second")]
    assert splitter.in_reasoning


def test_reasoning_chunks_are_counted() -> None:
    splitter = ReasoningSplitter(starts_in_reasoning=False)
    for chunk in ["<think>", "\n", "a", " b", "</think>", "\n\n", "ans", "wer"]:
        splitter.feed(chunk)
    splitter.finish()
    assert splitter.reasoning_chunks == 5

    plain = ReasoningSplitter(starts_in_reasoning=False)
    for chunk in [" ", "Hi", " there"]:
        plain.feed(chunk)
    assert plain.reasoning_chunks == 0


ALPHABET = st.sampled_from(
    [
        "<",
        "/",
        "t",
        "h",
        "i",
        "n",
        "k",
        ">",
        "<think>",
        "</think>",
        "\n",
        " ",
        "\r",
        "a",
        "é",
        "∑",
        "`",
    ]
)


@st.composite
def streams(draw: st.DrawFn) -> tuple[str, list[str]]:
    text = "".join(draw(st.lists(ALPHABET, max_size=40)))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=12)))
    chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    return text, chunks


@settings(max_examples=600, deadline=None)
@given(streams(), st.booleans())
def test_any_chunking_gives_the_same_split_as_the_whole(
    stream: tuple[str, list[str]], forced: bool
) -> None:
    text, chunks = stream
    whole = split_text(text, starts_in_reasoning=forced)
    assert feed_chunks(chunks, forced=forced)[:3] == whole


@settings(max_examples=300, deadline=None)
@given(streams(), st.booleans())
def test_nothing_but_tags_and_trimmed_whitespace_is_lost(
    stream: tuple[str, list[str]], forced: bool
) -> None:
    text, _ = stream
    reasoning, answer, _ = split_text(text, starts_in_reasoning=forced)
    assert reasoning in text
    assert answer in text
    kept = "".join(ch for ch in reasoning + answer if not ch.isspace())
    assert len(kept) <= len("".join(ch for ch in text if not ch.isspace()))


# -- an endpoint's stream: the reasoning field, or tags in the content ---------------------------


def _route(router: ReasoningRouter, pieces: list[tuple[str, str]], natural: bool) -> list[Delta]:
    deltas: list[Delta] = []
    for field, text in pieces:
        deltas += router.reasoning(text) if field == "reasoning" else router.content(text)
    return deltas + router.finish(natural=natural)


def test_the_reasoning_field_is_the_trace_and_a_repeated_think_block_is_dropped() -> None:
    router = ReasoningRouter(None)
    deltas = _route(
        router,
        [
            ("reasoning", "\n Hmm, 2+2 "),
            ("reasoning", "is 4. "),
            ("content", "<think>Hmm</think>4"),
        ],
        natural=True,
    )
    assert deltas == [
        Delta("reasoning", "Hmm, 2+2"),
        Delta("reasoning", " is 4."),
        Delta("answer", "4"),
    ]
    assert router.field_seen and router.reasoning_finished and router.had_reasoning


def test_untagged_content_is_held_back_until_the_close_tag_shows_it_was_reasoning() -> None:
    router = ReasoningRouter(None)
    assert router.content("Okay, so ") == []  # not known yet
    assert router.in_reasoning  # QwQ starts by thinking
    deltas = router.content("4.</think>\n\nFour.") + router.finish(natural=True)
    assert deltas == [Delta("reasoning", "Okay, so 4."), Delta("answer", "Four.")]
    assert router.learned is True


def test_untagged_content_the_model_ended_itself_is_an_answer_and_cut_content_a_trace() -> None:
    answered = ReasoningRouter(None)
    assert _route(answered, [("content", "Four.")], natural=True) == [Delta("answer", "Four.")]
    assert answered.learned is False
    cut = ReasoningRouter(None)
    assert _route(cut, [("content", "Okay, so")], natural=False) == [Delta("reasoning", "Okay, so")]
    assert cut.learned is None and not cut.reasoning_finished


def test_after_a_closed_trace_everything_is_answer_whatever_the_field() -> None:
    router = ReasoningRouter(False, answer_only=True)
    deltas = _route(router, [("reasoning", "more"), ("content", " text")], natural=True)
    assert deltas == [Delta("answer", "more"), Delta("answer", " text")]
    assert router.reasoning_finished and not router.in_reasoning


# -- the trace goes on as if it had streamed whole -----------------------------------------------------

_TEXT = st.text(alphabet=st.sampled_from(list("ab .\n,<>/")), max_size=40)


def _cut(text: str, cuts: list[int]) -> list[str]:
    at = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(at) if b > a]


@settings(max_examples=150, deadline=None)
@given(old=_TEXT, more=_TEXT, answer=_TEXT, cuts=st.lists(st.integers(0, 200), max_size=8))
def test_a_continued_trace_splits_as_the_whole_text_would(
    old: str, more: str, answer: str, cuts: list[int]
) -> None:
    """Continue thinking, raw content (llama-server): the stored trace (as the splitter
    left it) plus what streams now reads as the whole text split at once."""
    stored, _, _ = split_text(old.replace("<", ""), starts_in_reasoning=True)
    text = more.replace("<", "") + "</think>" + answer
    router = ReasoningRouter(True, resume=stored)
    deltas = [d for piece in _cut(text, cuts) for d in router.content(piece)]
    deltas += router.finish(natural=True)
    reasoning = stored + "".join(d.text for d in deltas if d.kind == "reasoning")
    got_answer = "".join(d.text for d in deltas if d.kind == "answer")
    whole = split_text(stored + text, starts_in_reasoning=True)
    assert (reasoning, got_answer, router.reasoning_finished) == whole
