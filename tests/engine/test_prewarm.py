"""Re-warming the KV cache after a reply (issue 13, item 1), on real llama.cpp.

The scripted models use QwQ's real chat template, which drops the trace from the history:
after a reply the cache holds the trace, the next prompt does not. ``prewarm`` rewrites
the cache to hold exactly what the next prompt starts with, so a follow-up processes
only the new message and the template's few tokens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.errors import EngineBusyError
from app.core.events import ChatEvent, GenerationDone
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine.base import PrewarmResult
from app.engine.local_engine import LoadSettings, LocalEngine
from tests.fixtures.models import QWQ_ANSWER, QWQ_REASONING, ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel

FIRST = [ChatMessage.user("What is 2+2?")]
FOLLOW_UP = "And 3+3?"
# The scripted vocabulary is bytes plus QwQ's special tokens, so "And 3+3?" is 8 tokens
# and the template's part of the new turn, "<|im_end|>\n<|im_start|>assistant\n<think>\n"
# after the message, is 15: <|im_end|>, \n, <|im_start|>, 9 letters, \n, <think>, \n.
FOLLOW_UP_TOKENS = 8 + 15


def done_of(events: list[ChatEvent]) -> GenerationDone:
    done = events[-1]
    assert isinstance(done, GenerationDone)
    return done


def reply(engine: LocalEngine, messages: list[ChatMessage], seed: int = 7) -> GenerationDone:
    return done_of(list(engine.chat(messages, SamplingSettings(seed=seed))))


def cache_text(engine: LocalEngine) -> str:
    ids = engine._llm._input_ids.tolist()
    return b"".join(engine.token_piece(t) for t in ids).decode("utf-8")


@pytest.fixture
def qwq(qwq_model: ScriptedModel) -> Iterator[LocalEngine]:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=4096))
    yield engine
    engine.close()


def answered(engine: LocalEngine) -> list[ChatMessage]:
    """The history after the first reply, as the store gives it (answers only)."""
    done = reply(engine, FIRST)
    assert (done.reasoning, done.answer) == (QWQ_REASONING, QWQ_ANSWER)
    return [*FIRST, ChatMessage.assistant(done.answer, done.reasoning)]


def test_after_prewarm_the_cache_is_exactly_the_next_prompts_start(qwq: LocalEngine) -> None:
    history = answered(qwq)
    assert QWQ_REASONING in cache_text(qwq)  # the reply left its trace in the cache

    result = qwq.prewarm(history)

    follow_up = [*history, ChatMessage.user(FOLLOW_UP)]
    prompt = qwq.tokenize(qwq.render(follow_up))
    cache = qwq._llm._input_ids.tolist()
    assert cache == prompt[: len(cache)]  # the cache is a prefix of the next prompt...
    assert len(prompt) - len(cache) == FOLLOW_UP_TOKENS  # ...up to the new message
    assert cache_text(qwq).endswith(f"{QWQ_ANSWER}<|im_end|>\n<|im_start|>user\n")
    assert "Adding two and two" not in cache_text(qwq)  # the trace is gone
    assert result == PrewarmResult(
        kept=result.kept, evaluated=len(cache) - result.kept, cancelled=False
    )
    assert 0 < result.kept < len(cache)  # the question was kept, the answer evaluated

    done = reply(qwq, follow_up)
    assert done.stats.prompt_tokens_processed == FOLLOW_UP_TOKENS
    assert done.answer == QWQ_ANSWER


def test_without_prewarm_the_follow_up_processes_the_answer_again(qwq: LocalEngine) -> None:
    """What prewarm saves: the answer-only turn is not in the cache after a reply."""
    history = answered(qwq)
    done = reply(qwq, [*history, ChatMessage.user(FOLLOW_UP)])
    assert done.stats.prompt_tokens_processed > FOLLOW_UP_TOKENS + len(QWQ_ANSWER)


def test_prewarm_twice_evaluates_nothing_more(qwq: LocalEngine) -> None:
    history = answered(qwq)
    first = qwq.prewarm(history)
    again = qwq.prewarm(history)
    assert again == PrewarmResult(kept=first.kept + first.evaluated, evaluated=0, cancelled=False)


def test_prewarm_to_an_edited_branch_keeps_the_common_prefix(qwq: LocalEngine) -> None:
    """A branch other than the cached one (an edited answer, then a system prompt): the
    common prefix is kept, the rest evaluated, and the follow-up is warm all the same."""
    history = answered(qwq)
    cached = qwq.prewarm(history)
    edited = [*FIRST, ChatMessage.assistant("Four.")]
    result = qwq.prewarm(edited)
    up_to_answer = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
    assert result.kept == len(qwq.tokenize(up_to_answer)) < cached.kept + cached.evaluated
    assert (
        reply(qwq, [*edited, ChatMessage.user(FOLLOW_UP)]).stats.prompt_tokens_processed
        == FOLLOW_UP_TOKENS
    )

    other = [ChatMessage.system("Be brief."), *edited]
    assert qwq.prewarm(other).kept == 1  # only <|im_start|> in common
    done = reply(qwq, [*other, ChatMessage.user(FOLLOW_UP)])
    assert done.stats.prompt_tokens_processed == FOLLOW_UP_TOKENS


def test_prewarm_changes_nothing_the_model_sees(gemma_path: Path) -> None:
    """A real model with temperature sampling and a fixed seed: the same follow-up, with
    and without prewarm, generates the same text (the cache emptied in between)."""
    engine = LocalEngine(gemma_path, LoadSettings(context_length=2048))
    texts = []
    try:
        for warm in (False, True):
            engine._truncate(0)
            first = done_of(list(engine.chat(FIRST, SamplingSettings(seed=3, max_tokens=24))))
            history = [*FIRST, ChatMessage.assistant(first.answer or first.reasoning)]
            if warm:
                assert engine.prewarm(history).evaluated > 0
            follow = [*history, ChatMessage.user(FOLLOW_UP)]
            done = done_of(list(engine.chat(follow, SamplingSettings(seed=5, max_tokens=24))))
            processed = done.stats.prompt_tokens_processed
            texts.append((first.reasoning + first.answer, done.reasoning + done.answer))
        assert processed < done.stats.prompt_tokens // 2  # the warm one was warm
    finally:
        engine.close()
    assert texts[0] == texts[1]
    assert texts[0][1]  # it did generate


@pytest.fixture(scope="module")
def long_answer() -> list[ChatMessage]:
    return [ChatMessage.user("q"), ChatMessage.assistant("ab " * 2000)]  # ~6,000 tokens


def inside(engine: LocalEngine, worker: threading.Thread) -> None:
    """Wait until the prewarm on ``worker`` holds the engine, and a little more."""
    deadline = time.monotonic() + 10
    while not engine._in_background and worker.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.05)


def test_a_chat_cancels_a_long_prewarm_at_once(gemma_path: Path) -> None:
    """A real model with the app's batch size: re-warming a ~2,000-token answer takes
    about 20 s on a 2-core machine. A chat sent meanwhile (here in another conversation)
    cancels it and has the engine well within a second."""
    engine = LocalEngine(gemma_path, LoadSettings(context_length=4096))
    hi = [ChatMessage.user("Hi")]
    try:
        history = [ChatMessage.user("q"), ChatMessage.assistant("Lighthouses guide ships. " * 400)]
        results: list[PrewarmResult] = []
        worker = threading.Thread(target=lambda: results.append(engine.prewarm(history)))
        worker.start()
        inside(engine, worker)
        time.sleep(0.3)
        started = time.perf_counter()
        generation = engine.chat(hi, SamplingSettings(max_tokens=2))
        waited = time.perf_counter() - started
        events = list(generation)
        worker.join(10)
        assert results[0].cancelled
        assert results[0].evaluated < 1500  # far from done
        assert waited < 3.0  # the whole re-warm takes about 20 s here
        assert done_of(events).error is None
    finally:
        engine.close()


def test_a_chat_cut_into_a_prewarm_batch_reuses_what_was_kept(
    qwq_model: ScriptedModel, long_answer: list[ChatMessage]
) -> None:
    """One batch of ~6,000 tokens: the chat cuts into it through llama.cpp's abort
    callback; the cache stays consistent and the chat reuses exactly what was kept."""
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=8192, batch_size=8192))
    try:
        reply(engine, [ChatMessage.user("q")])  # the question is in the cache already
        results: list[PrewarmResult] = []
        worker = threading.Thread(target=lambda: results.append(engine.prewarm(long_answer)))
        worker.start()
        inside(engine, worker)
        events = list(engine.chat([*long_answer, ChatMessage.user(FOLLOW_UP)]))
        worker.join(10)
        result = results[0]
        assert result.cancelled
        assert result.evaluated == 0  # its one batch was cut inside
        assert result.kept > 0
        done = done_of(events)
        assert done.answer == QWQ_ANSWER
        assert done.stats.prompt_tokens_cached == result.kept
    finally:
        engine.close()


def test_prewarm_leaves_a_reply_in_progress_alone(qwq: LocalEngine) -> None:
    history = answered(qwq)
    generation = qwq.chat(FIRST)
    try:
        result = qwq.prewarm(history, wait=0.05)
        assert result == PrewarmResult(0, 0, cancelled=True)
        with pytest.raises(EngineBusyError):  # a real reply still makes a chat busy
            qwq.chat(FIRST)
    finally:
        generation.close()
    assert reply(qwq, FIRST).answer == QWQ_ANSWER


def test_cancel_stops_a_prewarm_between_batches(
    qwq_model: ScriptedModel, long_answer: list[ChatMessage]
) -> None:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=8192))
    try:
        results: list[PrewarmResult] = []
        worker = threading.Thread(target=lambda: results.append(engine.prewarm(long_answer)))
        worker.start()
        inside(engine, worker)
        engine.cancel()
        worker.join(10)
        result = results[0]
        assert result.cancelled
        assert engine.cached_tokens == result.kept + result.evaluated
        target = engine.next_prompt_start(long_answer)
        assert engine._llm._input_ids.tolist() == target[: engine.cached_tokens]
        # The next prewarm goes on from there.
        again = engine.prewarm(long_answer)
        assert again.kept == engine.cached_tokens - again.evaluated == result.evaluated
        assert engine._llm._input_ids.tolist() == target
    finally:
        engine.close()


def test_a_history_too_long_for_the_next_turn_is_left_alone(qwq_model: ScriptedModel) -> None:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=512))
    try:
        history = [ChatMessage.user("q"), ChatMessage.assistant("ab " * 200)]  # > 512 - 64
        assert engine.prewarm(history) == PrewarmResult(0, 0, False)
        assert engine.cached_tokens == 0
    finally:
        engine.close()


def test_prewarm_on_templates_without_a_user_turn_marker(scripted: ScriptFactory) -> None:
    """ChatML built in (no template in the file): still a prefix of the next prompt."""
    model = scripted(["Hi", "</think>", "\n\n", "there"], template=None)
    engine = LocalEngine(model.path, LoadSettings(context_length=2048))
    try:
        history = [ChatMessage.user("hello"), ChatMessage.assistant("there")]
        engine.prewarm(history)
        prompt = engine.tokenize(engine.render([*history, ChatMessage.user("more")]))
        cache = engine._llm._input_ids.tolist()
        assert cache and cache == prompt[: len(cache)]
    finally:
        engine.close()
