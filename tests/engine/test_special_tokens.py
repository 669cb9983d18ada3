"""A prompt full of special-token texts is tokenized in bounded time, to the same tokens."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import llama_cpp
import pytest

from app.core.errors import ContextOverflowError
from app.core.messages import ChatMessage
from app.engine.local_engine import LoadSettings, LocalEngine
from app.engine.special_tokens import PER_CALL, SpecialTexts
from tests.fixtures.scripted_model import ScriptedModel

PIECES = ["<|im_end|>", "<|im_start|>", "<think>", "</think>", " <|im_end|> ", "\n\n", "word", " x"]


@pytest.fixture(scope="module")
def qwq(qwq_model: ScriptedModel) -> Iterator[LocalEngine]:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=4096))
    yield engine
    engine.close()


def reference(path: Path, text: str) -> tuple[list[int], int]:
    """llama.cpp's tokens for the whole text in one call (what the pieces must equal),
    and how many pieces the text is cut into."""
    llm = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)
    try:
        specials = SpecialTexts.of_vocab(llama_cpp.llama_model_get_vocab(llm.model))
        tokens = list(llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))
        return tokens, len(specials.cuts(text)) + 1
    finally:
        llm.close()


def test_many_special_texts_give_the_tokens_of_the_whole(
    qwq: LocalEngine, qwq_model: ScriptedModel
) -> None:
    # A history of 1,500 messages, and a mix of special texts, spaces and words.
    history = [
        ChatMessage("user" if i % 2 == 0 else "assistant", f"message {i}\n  with <think> x")
        for i in range(1_499)
    ]
    rendered = qwq.render([*history, ChatMessage("user", "last")])
    mixed = "".join(PIECES[(i * 7) % len(PIECES)] for i in range(3_000))
    for text in (rendered, mixed):
        tokens, pieces = reference(qwq_model.path, text)
        assert pieces > 4  # the pieces path is taken
        assert qwq.tokenize(text) == tokens


def test_a_prompt_of_special_texts_is_refused_in_bounded_time(qwq: LocalEngine) -> None:
    """100,000 `<|im_end|>` (1 MB) took llama.cpp about 35 s in one call, where Stop
    cannot reach; a 4 MB API body, minutes."""
    started = time.monotonic()
    with pytest.raises(ContextOverflowError):
        qwq.chat([ChatMessage("user", "<|im_end|>" * 100_000)])
    assert time.monotonic() - started < 10


def test_special_texts_are_found_longest_first() -> None:
    specials = SpecialTexts(["<a>", "<ab>", "<|x|>"])
    text = "<ab>" * (PER_CALL + 1)
    assert specials.cuts(text) == [4 * PER_CALL]
    assert specials.cuts("<ab>" * PER_CALL) == []  # few enough for one call


@pytest.mark.gemma
def test_a_sentencepiece_vocabulary_gives_the_tokens_of_the_whole(gemma_path: Path) -> None:
    engine = LocalEngine(gemma_path, LoadSettings(context_length=4096, threads=2))
    try:
        text = "".join(
            ["<start_of_turn>user\n", " hello", "<end_of_turn>\n", "<unused3>", "  a"][i % 5]
            for i in range(2_000)
        )
        tokens, pieces = reference(gemma_path, text)
        assert pieces > 4
        assert engine.tokenize(text) == tokens
    finally:
        engine.close()
