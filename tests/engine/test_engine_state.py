"""Saving and loading the engine's KV state (issue 13, items 2 and 4), on real llama.cpp.

A state saved by one engine and loaded by a new one (as after a restart) makes the
follow-up process only the new message, with the same text as the warm engine. A file
that is truncated, empty, random, or another model's is refused: 0 tokens, an empty and
consistent cache, and the reply still works (llama.cpp itself ends the process on a
truncated file, so the engine checks its own seal first).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.errors import EngineBusyError
from app.core.events import GenerationDone
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine import kv_state
from app.engine.local_engine import LoadSettings, LocalEngine, llama_build
from tests.fixtures.models import QWQ_ANSWER, QWQ_REASONING, ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel

FIRST = [ChatMessage.user("What is 2+2?")]
HISTORY = [*FIRST, ChatMessage.assistant(QWQ_ANSWER, QWQ_REASONING)]
FOLLOW_UP = [*HISTORY, ChatMessage.user("And 3+3?")]
FOLLOW_UP_TOKENS = 8 + 15  # "And 3+3?" and the template's tokens (see test_prewarm)
SETTINGS = LoadSettings(context_length=4096)


def reply(engine: LocalEngine, messages: list[ChatMessage]) -> GenerationDone:
    done = list(engine.chat(messages, SamplingSettings(seed=11)))[-1]
    assert isinstance(done, GenerationDone)
    return done


@pytest.fixture
def engine(qwq_model: ScriptedModel) -> Iterator[LocalEngine]:
    e = LocalEngine(qwq_model.path, SETTINGS)
    yield e
    e.close()


@pytest.fixture
def saved(qwq_model: ScriptedModel, tmp_path: Path) -> Path:
    """A conversation answered, re-warmed and saved by an engine that is then closed."""
    path = tmp_path / "state.bin"
    e = LocalEngine(qwq_model.path, SETTINGS)
    try:
        assert reply(e, FIRST).answer == QWQ_ANSWER
        e.prewarm(HISTORY)
        assert e.save_state(path) == e.cached_tokens > 0
    finally:
        e.close()
    return path


def test_a_new_engine_restores_the_state_and_only_processes_the_new_message(
    qwq_model: ScriptedModel, saved: Path, engine: LocalEngine
) -> None:
    warm = LocalEngine(qwq_model.path, SETTINGS)
    try:
        reply(warm, FIRST)
        warm.prewarm(HISTORY)
        expected = reply(warm, FOLLOW_UP)
    finally:
        warm.close()

    restored = engine.load_state(saved)
    assert restored == engine.cached_tokens > FOLLOW_UP_TOKENS
    done = reply(engine, FOLLOW_UP)
    assert done.stats.prompt_tokens_processed == FOLLOW_UP_TOKENS
    assert done.stats.prompt_tokens_cached == restored
    assert (done.reasoning, done.answer) == (expected.reasoning, expected.answer)


def test_a_cold_engine_processes_the_whole_conversation(engine: LocalEngine) -> None:
    """What the snapshot saves: without it the follow-up reads everything again."""
    done = reply(engine, FOLLOW_UP)
    assert done.stats.prompt_tokens_processed == done.stats.prompt_tokens > 60


def test_the_state_file_is_sealed_and_sized_like_the_cache(saved: Path) -> None:
    assert kv_state.is_sealed(saved)
    assert saved.read_bytes()[-kv_state.TRAILER_SIZE :][:8] == kv_state.MAGIC


def refused(engine: LocalEngine, path: Path) -> None:
    """The file is not loaded, the cache is empty and consistent, replies still work."""
    reply(engine, FIRST)  # something in the cache, to see it go
    assert engine.load_state(path) == 0
    assert engine.cached_tokens == 0
    done = reply(engine, FOLLOW_UP)
    assert done.answer == QWQ_ANSWER
    assert done.stats.prompt_tokens_processed == done.stats.prompt_tokens


@pytest.mark.parametrize("keep", [0, 1, 12, 1000, -kv_state.TRAILER_SIZE - 1, -1])
def test_a_truncated_state_is_refused(
    engine: LocalEngine, saved: Path, tmp_path: Path, keep: int
) -> None:
    data = saved.read_bytes()
    cut = tmp_path / "cut.bin"
    cut.write_bytes(data[:keep])
    refused(engine, cut)


def test_a_truncated_state_with_a_seal_of_its_own_is_refused_by_llama_cpp(
    engine: LocalEngine, saved: Path, tmp_path: Path
) -> None:
    """Cut inside the header or the token list, then sealed again: llama.cpp's checks
    (magic, token count) refuse it without ending the process."""
    data = saved.read_bytes()[: -kv_state.TRAILER_SIZE]
    for keep in (0, 4, 11, 40):
        cut = tmp_path / f"cut{keep}.bin"
        cut.write_bytes(data[:keep])
        kv_state.seal(cut)
        refused(engine, cut)


def test_a_damaged_state_is_refused(engine: LocalEngine, saved: Path) -> None:
    data = bytearray(saved.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the KV data
    saved.write_bytes(bytes(data))
    refused(engine, saved)


def test_random_bytes_and_missing_files_are_refused(engine: LocalEngine, tmp_path: Path) -> None:
    noise = tmp_path / "noise.bin"
    noise.write_bytes(os.urandom(100_000))
    refused(engine, noise)
    kv_state.seal(noise)  # well sealed, but not a state llama.cpp knows
    refused(engine, noise)
    refused(engine, tmp_path / "missing.bin")
    refused(engine, tmp_path)  # a folder


def test_another_models_state_is_refused(
    scripted: ScriptFactory, engine: LocalEngine, tmp_path: Path
) -> None:
    """A model of another shape (a bigger vocabulary, so wider embeddings): llama.cpp
    refuses its state. One of the same shape would load: the snapshot cache keeps
    them apart by ``state_key``, which names the model file."""
    other = scripted([f" word{i}" for i in range(80)])
    path = tmp_path / "other.bin"
    e = LocalEngine(other.path, SETTINGS)
    try:
        reply(e, FIRST)
        assert e.save_state(path) > 0
        assert e.state_key["model"] != engine.state_key["model"]
    finally:
        e.close()
    refused(engine, path)


def test_gemmas_state_is_refused(gemma_path: Path, engine: LocalEngine, tmp_path: Path) -> None:
    path = tmp_path / "gemma.bin"
    gemma = LocalEngine(gemma_path, LoadSettings(context_length=1024))
    try:
        list(gemma.chat(FIRST, SamplingSettings(seed=1, max_tokens=4)))
        assert gemma.save_state(path) > 0
    finally:
        gemma.close()
    refused(engine, path)


def test_a_state_from_a_longer_context_is_refused(
    qwq_model: ScriptedModel, engine: LocalEngine, tmp_path: Path
) -> None:
    """More tokens than this context holds: llama.cpp refuses it."""
    big = LocalEngine(qwq_model.path, LoadSettings(context_length=8192))
    path = tmp_path / "big.bin"
    try:
        big.prewarm([ChatMessage.user("q"), ChatMessage.assistant("ab " * 1500)])
        assert big.save_state(path) > 4096
    finally:
        big.close()
    refused(engine, path)


def test_the_state_key_names_what_a_state_is_valid_for(
    qwq_model: ScriptedModel, engine: LocalEngine
) -> None:
    key = engine.state_key
    stat = qwq_model.path.stat()
    assert key == {
        "model": str(qwq_model.path.resolve()),
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        "n_ctx": 4096,
        "kv": "f16",
        "flash_attn": 0,
        "build": llama_build(),
    }
    assert str(key["build"]).startswith("0.3.")
    other = LocalEngine(qwq_model.path, LoadSettings(context_length=2048, kv_cache_type="q8_0"))
    try:
        assert (other.state_key["n_ctx"], other.state_key["kv"]) == (2048, "q8_0")
        assert other.state_key["flash_attn"] == 1
    finally:
        other.close()


def test_a_q8_state_does_not_load_into_an_f16_cache(
    qwq_model: ScriptedModel, engine: LocalEngine, tmp_path: Path
) -> None:
    path = tmp_path / "q8.bin"
    q8 = LocalEngine(qwq_model.path, LoadSettings(context_length=4096, kv_cache_type="q8_0"))
    try:
        reply(q8, FIRST)
        assert q8.save_state(path) > 0
    finally:
        q8.close()
    refused(engine, path)


def test_saving_where_it_cannot_be_written_is_an_os_error(
    engine: LocalEngine, tmp_path: Path
) -> None:
    reply(engine, FIRST)
    with pytest.raises(OSError):
        engine.save_state(tmp_path / "no" / "such" / "folder" / "state.bin")
    assert reply(engine, FOLLOW_UP).answer == QWQ_ANSWER


def test_an_empty_cache_saves_and_loads_as_nothing(engine: LocalEngine, tmp_path: Path) -> None:
    path = tmp_path / "empty.bin"
    assert engine.save_state(path) == 0
    assert engine.load_state(path) == 0
    assert reply(engine, FIRST).answer == QWQ_ANSWER


def test_save_and_load_wait_for_a_reply_in_progress_then_give_up(
    engine: LocalEngine, tmp_path: Path
) -> None:
    generation = engine.chat(FIRST)
    try:
        with pytest.raises(EngineBusyError):
            engine.save_state(tmp_path / "s.bin", wait=0.05)
        with pytest.raises(EngineBusyError):
            engine.load_state(tmp_path / "s.bin", wait=0.05)
    finally:
        generation.close()


@settings(
    max_examples=60,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_damage_to_a_saved_state_is_refused_or_harmless(
    engine: LocalEngine, saved: Path, data: st.DataObject
) -> None:
    """Cut anywhere or bytes changed anywhere: the load never crashes, and whatever it
    restores, the cache is consistent (its tokens are what the KV holds)."""
    original = saved.read_bytes()
    damaged = bytearray(original)
    if data.draw(st.booleans(), label="truncate"):
        damaged = damaged[: data.draw(st.integers(0, len(original) - 1), label="keep")]
    else:
        for _ in range(data.draw(st.integers(1, 4), label="flips")):
            at = data.draw(st.integers(0, len(original) - 1), label="at")
            damaged[at] ^= data.draw(st.integers(1, 255), label="xor")
    path = saved.with_suffix(".damaged")
    path.write_bytes(bytes(damaged))
    n = engine.load_state(path)
    assert n == engine.cached_tokens
    if bytes(damaged) != original:
        assert n == 0
