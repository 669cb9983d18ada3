"""Conversation snapshots on disk (issue 13): a follow-up after a switch or a restart
processes only the new message; a snapshot of another engine or a damaged one is never
loaded; the disk budget evicts the least recently used.

Real llama.cpp on scripted models with QwQ's real chat template, real files, a real
SQLite store.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from app.core.events import GenerationDone
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine.kv_snapshots import SnapshotCache
from app.engine.local_engine import LoadSettings, LocalEngine
from app.keep_warm import KeepWarm
from app.session import ChatSession, history_of
from app.store.conversations import ConversationStore
from tests.fixtures.models import QWQ_ANSWER, QWQ_SCRIPT, ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel

SEEDED = SamplingSettings(seed=7)
FOLLOW_UP = "And what is 3+3, then?"
CTX = 2048
TAIL = "<|im_end|>\n<|im_start|>assistant\n<think>\n"  # QwQ's template after a user message


@pytest.fixture
def cache(tmp_path: Path) -> SnapshotCache:
    return SnapshotCache(tmp_path / "kv", keep_free_bytes=0)


def load(model: ScriptedModel, **settings: object) -> LocalEngine:
    return LocalEngine(model.path, LoadSettings(**{"context_length": CTX, **settings}))  # type: ignore[arg-type]


def ask(store: ConversationStore, engine: LocalEngine, cid: int, text: str) -> GenerationDone:
    stored = ChatSession(store, engine).reply(cid, text, SEEDED)
    done = [e for e in stored if isinstance(e, GenerationDone)]
    assert done and done[0].finish_reason == "stop", done
    return done[0]


def conversation(store: ConversationStore, engine: LocalEngine, turns: int = 3) -> int:
    """A stored conversation of ``turns`` exchanges, each question different."""
    cid = store.create(system_prompt="You are terse.").id
    for i in range(turns):
        ask(store, engine, cid, f"Question {i}: what is {i}+{i}? Say it plainly.")
    return cid


def new_message_tokens(engine: LocalEngine, store: ConversationStore, cid: int, text: str) -> int:
    """What a warm follow-up processes: the new message and the template's tokens after
    it (``<|im_end|>``, the assistant header, ``<think>``), counted on QwQ's template."""
    system = store.get(cid).system_prompt
    prompt = engine.render([*history_of(store.branch(cid), system), ChatMessage.user(text)])
    head = prompt[: prompt.rindex(text)]  # ends with "<|im_start|>user\n": in the cache
    assert head.endswith("<|im_start|>user\n")
    return len(engine.tokenize(prompt)) - len(engine.tokenize(head))


def test_a_follow_up_after_a_restart_processes_only_the_new_message(
    qwq_model: ScriptedModel, store: ConversationStore, cache: SnapshotCache
) -> None:
    first = load(qwq_model)
    cid = conversation(store, first)
    KeepWarm(store, first, cache).after_reply(cid)
    assert cache.has(cid)
    warm = ask(store, first, cid, FOLLOW_UP)  # the same engine, still warm
    first.close()
    store.delete_message(store.branch(cid)[-1].id)  # ask it again, after a "restart"
    store.delete_message(store.branch(cid)[-1].id)

    engine = load(qwq_model)  # a new process's engine
    keep = KeepWarm(store, engine, cache)
    assert keep.open(cid) > 0
    expected = new_message_tokens(engine, store, cid, FOLLOW_UP)
    # The message, then "<|im_end|>\n<|im_start|>assistant\n<think>\n": 15 tokens here.
    assert expected == len(engine.tokenize(FOLLOW_UP)) + len(engine.tokenize(TAIL)) == 22 + 15
    done = ask(store, engine, cid, FOLLOW_UP)
    assert done.stats.prompt_tokens_processed == expected
    assert done.stats.prompt_tokens > 5 * expected
    assert done.answer == QWQ_ANSWER == warm.answer
    assert warm.stats.prompt_tokens_processed == expected
    engine.close()

    cold_engine = load(qwq_model)  # no snapshot: the whole conversation is read again
    store.delete_message(store.branch(cid)[-1].id)
    store.delete_message(store.branch(cid)[-1].id)
    cold = ask(store, cold_engine, cid, FOLLOW_UP)
    assert cold.stats.prompt_tokens_processed == cold.stats.prompt_tokens
    cold_engine.close()


def test_a_follow_up_after_a_switch_processes_only_the_new_message(
    qwq_model: ScriptedModel, store: ConversationStore, cache: SnapshotCache
) -> None:
    engine = load(qwq_model)
    keep = KeepWarm(store, engine, cache)
    a = conversation(store, engine, turns=2)
    keep.after_reply(a)
    keep.leave(a)
    b = store.create().id
    assert keep.open(b) == 0  # never saved: nothing to restore
    ask(store, engine, b, "Something else entirely, at length.")
    keep.after_reply(b)
    keep.leave(b)
    assert keep.open(a) > 0  # back to a: restored from its snapshot
    done = ask(store, engine, a, FOLLOW_UP)
    assert done.stats.prompt_tokens_processed == new_message_tokens(engine, store, a, FOLLOW_UP)
    assert done.stats.prompt_tokens_processed == 22 + 15
    engine.close()


@pytest.mark.parametrize(
    "other", ["another model file", "another context size", "another KV-cache type"]
)
def test_a_snapshot_of_another_engine_is_never_loaded_and_removed(
    other: str,
    qwq_model: ScriptedModel,
    scripted: ScriptFactory,
    store: ConversationStore,
    cache: SnapshotCache,
) -> None:
    engine = load(qwq_model)
    cid = conversation(store, engine, turns=1)
    assert cache.save(engine, cid).saved
    engine.close()
    if other == "another model file":
        different = load(scripted([*QWQ_SCRIPT, " Really."]))
    elif other == "another context size":
        different = load(qwq_model, context_length=CTX * 2)
    else:
        different = load(qwq_model, kv_cache_type="q8_0")
    assert different.state_key != load_key(qwq_model)
    assert cache.restore(different, cid) == 0
    assert different.cached_tokens == 0
    assert not cache.has(cid) and cache.usage() == 0
    done = ask(store, different, cid, FOLLOW_UP)  # the reply is unaffected, and cold
    assert done.answer.startswith("The answer is")
    assert done.stats.prompt_tokens_processed == done.stats.prompt_tokens
    different.close()


def load_key(model: ScriptedModel) -> dict[str, str | int]:
    engine = load(model)
    try:
        return engine.state_key
    finally:
        engine.close()


def _flip_a_byte(path: Path) -> None:
    with open(path, "r+b") as f:
        f.seek(path.stat().st_size // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x40]))


def _truncate(path: Path) -> None:
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)


@pytest.mark.parametrize("damage", [_truncate, _flip_a_byte], ids=["truncated", "bit-flipped"])
def test_a_damaged_snapshot_is_ignored_and_the_reply_still_works(
    damage: object, qwq_model: ScriptedModel, store: ConversationStore, cache: SnapshotCache
) -> None:
    engine = load(qwq_model)
    cid = conversation(store, engine, turns=2)
    assert cache.save(engine, cid).saved
    damage(cache.state_path(cid))  # type: ignore[operator]
    fresh = load(qwq_model)
    engine.close()
    keep = KeepWarm(store, fresh, cache)
    assert keep.open(cid) == 0
    assert not cache.has(cid)
    done = ask(store, fresh, cid, FOLLOW_UP)
    assert done.answer == QWQ_ANSWER
    assert done.stats.prompt_tokens_processed == done.stats.prompt_tokens  # cold, and right
    fresh.close()


def test_a_file_the_engine_refuses_is_removed_and_the_reply_still_works(
    qwq_model: ScriptedModel, store: ConversationStore, cache: SnapshotCache
) -> None:
    """Damage the sidecar does not see (it is made to match a cut file): the engine
    refuses the file (its seal), the cache is left empty, the snapshot goes."""
    engine = load(qwq_model)
    cid = conversation(store, engine, turns=2)
    assert cache.save(engine, cid).saved
    state = cache.state_path(cid)
    _truncate(state)
    meta = state.with_suffix(".json")
    data = json.loads(meta.read_text())
    data["size"] = state.stat().st_size
    meta.write_text(json.dumps(data))
    assert cache.restore(engine, cid) == 0
    assert engine.cached_tokens == 0
    assert not cache.has(cid)
    done = ask(store, engine, cid, FOLLOW_UP)
    assert done.answer == QWQ_ANSWER
    engine.close()


def test_the_budget_evicts_the_least_recently_used(
    qwq_model: ScriptedModel, store: ConversationStore, tmp_path: Path
) -> None:
    engine = load(qwq_model)
    ids = [conversation(store, engine, turns=1) for _ in range(3)]
    probe = SnapshotCache(tmp_path / "probe", keep_free_bytes=0)
    ask(store, engine, ids[0], "Again")
    size = probe.save(engine, ids[0]).size
    assert size > 0
    cache = SnapshotCache(tmp_path / "kv", budget_bytes=int(size * 2.5), keep_free_bytes=0)
    a, b, c = ids
    for cid in (a, b):
        ask(store, engine, cid, "One more")
        assert cache.save(engine, cid).saved
        time.sleep(0.01)
    assert cache.restore(engine, a) > 0  # a was used last: b is now the oldest
    time.sleep(0.01)
    ask(store, engine, c, "One more")
    assert cache.save(engine, c).saved
    assert cache.has(a) and cache.has(c) and not cache.has(b)
    assert cache.usage() <= cache.budget_bytes
    engine.close()


def test_a_save_over_the_budget_or_the_free_space_is_skipped_with_a_reason(
    qwq_model: ScriptedModel, store: ConversationStore, tmp_path: Path
) -> None:
    engine = load(qwq_model)
    cid = conversation(store, engine, turns=1)
    tiny = SnapshotCache(tmp_path / "tiny", budget_bytes=1000, keep_free_bytes=0)
    result = tiny.save(engine, cid)
    assert not result.saved and "budget" in result.why_not
    free = shutil.disk_usage(tmp_path).free
    full = SnapshotCache(tmp_path / "full", keep_free_bytes=free + 2**30)
    result = full.save(engine, cid)
    assert not result.saved and "disk" in result.why_not
    for folder in (tiny.folder, full.folder):  # nothing left behind, not even a temporary
        assert not folder.exists() or not list(folder.iterdir())
    # Through KeepWarm, after a reply: the reply stands, the snapshot is skipped.
    keep = KeepWarm(store, engine, tiny)
    keep.after_reply(cid)
    assert keep.last_saved is not None and not keep.last_saved.saved
    engine.close()


def test_delete_and_clear_remove_snapshots(
    qwq_model: ScriptedModel, store: ConversationStore, cache: SnapshotCache
) -> None:
    engine = load(qwq_model)
    a = conversation(store, engine, turns=1)
    keep = KeepWarm(store, engine, cache)
    keep.after_reply(a)
    b = conversation(store, engine, turns=1)
    keep.after_reply(b)
    assert cache.has(a) and cache.has(b) and cache.usage() > 0
    keep.forget(a)
    assert not cache.has(a) and cache.has(b)
    assert not cache.state_path(a).exists()
    cache.clear()
    assert cache.usage() == 0 and not cache.has(b)
    engine.close()


def test_a_crashed_save_leaves_the_old_snapshot_and_its_leftover_is_cleaned(
    qwq_model: ScriptedModel, store: ConversationStore, cache: SnapshotCache
) -> None:
    engine = load(qwq_model)
    cid = conversation(store, engine, turns=1)
    old = cache.save(engine, cid)
    assert old.saved
    # A save that crashed half-way: its temporary file, never renamed.
    leftover = cache.folder / f"{cid}.kvstate.4242-deadbeef.tmp"
    leftover.write_bytes(cache.state_path(cid).read_bytes()[:100])
    fresh = load(qwq_model)
    assert cache.restore(fresh, cid) == old.tokens  # the old one, whole
    stale = time.time() - 3600
    os.utime(leftover, (stale, stale))
    ask(store, fresh, cid, FOLLOW_UP)
    assert cache.save(fresh, cid).saved
    assert not leftover.exists()
    # A crash between the two renames: a state with no sidecar is never loaded.
    cache.state_path(cid).with_suffix(".json").unlink()
    assert cache.restore(fresh, cid) == 0
    assert not cache.state_path(cid).exists()
    engine.close()
    fresh.close()


def test_the_faster_path_is_measured_remembered_and_taken(
    qwq_model: ScriptedModel, store: ConversationStore, cache: SnapshotCache
) -> None:
    """Restoring is measured on each restore and reading a prompt on each reply that
    read a long one; where reading the conversation again is faster (a fast GPU, a slow
    disk), the snapshot is left on disk and the follow-up reads it all."""
    engine = load(qwq_model)
    cid = store.create().id
    ask(store, engine, cid, "A long question. " * 30)  # 510 characters: a long prompt
    keep = KeepWarm(store, engine, cache)
    keep.after_reply(cid)
    restore_speed, prompt_speed = cache.speeds(engine)
    assert restore_speed is None and prompt_speed is not None and prompt_speed > 0
    fresh = load(qwq_model)
    engine.close()
    assert cache.restore(fresh, cid) > 0
    restore_speed, _ = cache.speeds(fresh)
    assert restore_speed is not None and restore_speed > 0

    slow_disk = SnapshotCache(cache.folder / "slow", keep_free_bytes=0)
    assert slow_disk.save(fresh, cid).saved
    slow_disk.remember_speeds(fresh, prompt_tokens_per_s=1e9, restore_bytes_per_s=1.0)
    other = load(qwq_model)
    assert slow_disk.restore(other, cid) == 0
    assert slow_disk.has(cid)  # kept: the speeds may change
    done = ask(store, other, cid, FOLLOW_UP)
    assert done.stats.prompt_tokens_processed == done.stats.prompt_tokens
    for _ in range(10):  # the machine changed (a faster disk): the averages follow
        slow_disk.remember_speeds(fresh, prompt_tokens_per_s=1.0, restore_bytes_per_s=1e12)
    assert slow_disk.restore(other, cid) > 0
    fresh.close()
    other.close()
