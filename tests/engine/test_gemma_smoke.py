"""Smoke tests on a real model: gemma3 270M Q4_K_M from PyPI (a base model, no template)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.events import AnswerDelta, ChatEvent, GenerationDone, ReasoningDelta
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine.local_engine import LoadSettings, LocalEngine

pytestmark = pytest.mark.gemma


@pytest.fixture(scope="module")
def gemma(gemma_path: Path) -> Iterator[LocalEngine]:
    engine = LocalEngine(gemma_path, LoadSettings(context_length=4096, threads=2))
    yield engine
    engine.close()


def test_gemma_loads_and_answers(gemma: LocalEngine) -> None:
    info = gemma.info
    assert (info.architecture, info.quantization, info.layer_count) == ("gemma3", "Q4_K_M", 18)
    assert info.chat_template is None  # a real GGUF without a template: ChatML is used
    assert info.context_length == 4096
    generation = gemma.chat(
        [ChatMessage.user("The capital of France is")], SamplingSettings(max_tokens=12, seed=3)
    )
    assert not generation.starts_in_reasoning
    events = list(generation)
    done = events[-1]
    assert isinstance(done, GenerationDone)
    assert done.finish_reason in ("stop", "length")
    assert 0 < done.stats.generated_tokens <= 12
    assert done.stats.tokens_per_second > 0
    assert not any(isinstance(e, ReasoningDelta) for e in events)
    assert done.answer == "".join(e.text for e in events if isinstance(e, AnswerDelta))
    assert done.reasoning == "" and done.stats.reasoning_tokens == 0


def test_same_seed_same_answer(gemma: LocalEngine) -> None:
    def ask() -> str:
        done = list(
            gemma.chat(
                [ChatMessage.user("Once upon a time")], SamplingSettings(max_tokens=10, seed=11)
            )
        )[-1]
        assert isinstance(done, GenerationDone)
        return done.answer

    assert ask() == ask()


def test_cancel_interrupts_a_long_prompt(gemma_path: Path) -> None:
    # Small batches, so the first one is done quickly and the cancel lands mid-prompt.
    engine = LocalEngine(gemma_path, LoadSettings(context_length=4096, threads=2, batch_size=64))
    try:
        messages = [ChatMessage.user(" ".join(f"item{i}" for i in range(160)))]
        generation = engine.chat(messages, SamplingSettings(seed=1))
        total = len(generation.prompt_tokens)
        events: list[ChatEvent] = []
        worker = threading.Thread(target=lambda: events.extend(generation))
        worker.start()
        # Let llama.cpp finish at least one batch of the prompt, then press Stop.
        deadline = time.monotonic() + 60
        while engine.cached_tokens < 64 and time.monotonic() < deadline:
            time.sleep(0.002)
        generation.cancel()
        worker.join(60)
        assert not worker.is_alive()
        done = events[-1]
        assert isinstance(done, GenerationDone)
        assert done.finish_reason == "cancelled"
        assert done.stats.generated_tokens == 0
        assert 64 <= engine.cached_tokens < total  # stopped part-way through the prompt

        # The engine is consistent afterwards: the same prompt reuses what was processed.
        evaluated = engine.cached_tokens
        again = list(engine.chat(messages, SamplingSettings(max_tokens=2, seed=1)))[-1]
        assert isinstance(again, GenerationDone)
        assert again.finish_reason in ("stop", "length")
        assert again.stats.prompt_tokens_cached == evaluated
    finally:
        engine.close()
