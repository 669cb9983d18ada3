"""KeepWarm: which conversation the cache holds, and when its snapshot is saved or
restored (issue 13). Real llama.cpp on scripted models, a real store, real files."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from app.core.events import GenerationDone
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine.kv_snapshots import SnapshotCache
from app.engine.local_engine import LoadSettings, LocalEngine
from app.engine.remote_engine import RemoteEngine
from app.keep_warm import KeepWarm
from app.session import ChatSession, history_of
from app.store.conversations import ConversationStore
from tests.fixtures.models import QWQ_ANSWER
from tests.fixtures.scripted_model import ScriptedModel

SEEDED = SamplingSettings(seed=5)


@pytest.fixture
def cache(tmp_path: Path) -> SnapshotCache:
    return SnapshotCache(tmp_path / "kv", keep_free_bytes=0)


def ask(store: ConversationStore, engine: LocalEngine, cid: int, text: str) -> GenerationDone:
    done = list(ChatSession(store, engine).reply(cid, text, SEEDED))[-1]
    assert isinstance(done, GenerationDone) and done.finish_reason == "stop", done
    return done


def test_with_a_remote_engine_every_call_does_nothing(
    store: ConversationStore, cache: SnapshotCache
) -> None:
    remote = RemoteEngine("http://127.0.0.1:9/v1", "qwq-32b")
    cid = store.create().id
    keep = KeepWarm(store, remote, cache)
    keep.after_reply(cid)
    keep.leave(cid)
    assert keep.open(cid) == 0
    keep.forget(cid)
    assert keep.holding is None and keep.last_saved is None
    assert cache.usage() == 0


def test_leave_saves_only_what_changed_and_open_skips_the_conversation_held(
    qwq_model: ScriptedModel, store: ConversationStore, cache: SnapshotCache
) -> None:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=2048))
    keep = KeepWarm(store, engine, cache)
    a = store.create().id
    ask(store, engine, a, "First question, please.")
    keep.after_reply(a)
    assert keep.holding == a and keep.last_saved is not None and keep.last_saved.saved
    first = cache.state_path(a).stat().st_mtime_ns
    keep.leave(a)  # nothing changed since the save: not written again
    assert cache.state_path(a).stat().st_mtime_ns == first
    assert keep.open(a) == 0  # held already: no restore
    b = store.create().id
    ask(store, engine, b, "Another conversation.")  # the window did not call leave(a)...
    keep.holding = a
    keep._dirty = True
    assert keep.open(b) == 0  # ...so open(b) keeps a's state first (no snapshot for b)
    assert cache.state_path(a).stat().st_mtime_ns != first
    engine.close()


def test_an_edited_message_still_uses_the_snapshots_common_prefix(
    qwq_model: ScriptedModel, store: ConversationStore, cache: SnapshotCache
) -> None:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=2048))
    cid = store.create().id
    ask(store, engine, cid, "The first question, about lighthouses.")
    ask(store, engine, cid, "The second question, about their lenses.")
    KeepWarm(store, engine, cache).after_reply(cid)
    engine.close()

    fresh = LocalEngine(qwq_model.path, LoadSettings(context_length=2048))
    assert KeepWarm(store, fresh, cache).open(cid) > 0
    second = store.branch(cid)[-2]
    assert second.role == "user"
    edited = "The second question, about their keepers instead."
    history = history_of(store.branch(cid, second.parent_id), "")
    prompt = fresh.render([*history, ChatMessage.user(edited)])
    same = prompt[: prompt.rindex(edited)] + "The second question, about their "
    done = list(ChatSession(store, fresh).edit(second.id, edited, SEEDED))[-1]
    assert isinstance(done, GenerationDone) and done.answer == QWQ_ANSWER
    # Everything up to where the edit differs comes from the snapshot.
    assert done.stats.prompt_tokens_cached == len(fresh.tokenize(same))
    fresh.close()


def test_a_re_warm_cut_short_by_a_new_reply_is_not_saved(
    gemma_path: Path,
    store: ConversationStore,
    cache: SnapshotCache,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A long answer takes seconds to re-warm on gemma3 270M; a reply sent meanwhile
    cancels it and goes ahead, and the half-done state is never saved as the
    conversation's snapshot."""
    engine = LocalEngine(gemma_path, LoadSettings(context_length=4096, batch_size=64))
    cid = store.create().id
    user = store.add_message(cid, "user", "Tell me about lighthouses.", parent_id=None)
    answer = " ".join(f"Lighthouse {i} stands on a rocky cape." for i in range(60))
    store.add_message(cid, "assistant", answer, parent_id=user.id)
    keep = KeepWarm(store, engine, cache)
    caplog.set_level(logging.INFO, logger="app.keep_warm")
    worker = threading.Thread(target=keep.after_reply, args=(cid,))
    worker.start()
    deadline = time.monotonic() + 30
    while not engine._busy.locked() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # the re-warm is evaluating the answer
    stored = ChatSession(store, engine).reply(cid, "Next.", SamplingSettings(max_tokens=2))
    done = list(stored)[-1]
    assert isinstance(done, GenerationDone) and done.finish_reason in ("stop", "length")
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert "cancelled by a new reply" in caplog.text
    assert keep.last_saved is None and not cache.has(cid)
    engine.close()
