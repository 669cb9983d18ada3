"""A chat session: real llama.cpp (scripted models) writing into a real store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.events import GenerationDone
from app.core.sampling import SamplingSettings
from app.core.thinking import ThinkingControl
from app.engine.local_engine import LoadSettings, LocalEngine
from app.session import ChatSession
from app.store.conversations import ConversationStore
from app.store.database import StoreFullError
from tests.fixtures.models import QWQ_ANSWER, QWQ_REASONING, ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel

# The looping scripts below stand for a model that never stops, not for a loop.
OFF = ThinkingControl(loop_guard="off")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path) as s:
        yield s


@pytest.fixture
def engine(qwq_model: ScriptedModel) -> Iterator[LocalEngine]:
    e = LocalEngine(qwq_model.path, LoadSettings(context_length=4096))
    yield e
    e.close()


def test_a_reply_is_stored_with_reasoning_and_answer_apart(
    store: ConversationStore, engine: LocalEngine
) -> None:
    session = ChatSession(store, engine)
    c = store.create()
    g = session.reply(c.id, "What is 2+2?", SamplingSettings(seed=1))
    events = list(g)
    assert isinstance(events[-1], GenerationDone)
    user, answer = store.branch(c.id)
    assert (user.role, user.content) == ("user", "What is 2+2?")
    assert (answer.content, answer.reasoning, answer.status) == (QWQ_ANSWER, QWQ_REASONING, "done")
    assert answer.finish_reason == "stop" and answer.reasoning_finished
    assert answer.stats["reasoning_tokens"] == 4 and answer.model == "Scripted QwQ"
    assert store.get(c.id).title == "What is 2+2?"
    assert store.get(c.id).sampling["temperature"] == 0.6
    assert "seed" not in store.get(c.id).sampling


def test_follow_ups_send_answers_only(store: ConversationStore, engine: LocalEngine) -> None:
    session = ChatSession(store, engine)
    c = store.create(system_prompt="You are QwQ.")
    list(session.reply(c.id, "What is 2+2?"))
    second = session.reply(c.id, "And 3+3?")
    prompt = second._generation.prompt  # type: ignore[attr-defined]
    list(second)
    assert QWQ_REASONING not in prompt and "Adding two" not in prompt
    assert f"<|im_start|>assistant\n{QWQ_ANSWER}<|im_end|>" in prompt
    assert prompt.startswith("<|im_start|>system\nYou are QwQ.<|im_end|>")
    assert len(store.branch(c.id)) == 4


def test_regenerate_keeps_the_old_answer_and_edit_branches(
    store: ConversationStore, engine: LocalEngine
) -> None:
    session = ChatSession(store, engine)
    c = store.create()
    list(session.reply(c.id, "q1"))
    first_answer = store.branch(c.id)[-1]
    list(session.regenerate(first_answer.id))
    siblings = store.branch_with_siblings(c.id)[-1][1]
    assert len(siblings) == 2 and siblings[0] == first_answer.id
    assert store.branch(c.id)[-1].id == siblings[1]
    store.switch_to(first_answer.id)
    assert store.branch(c.id)[-1].id == first_answer.id

    user = store.branch(c.id)[0]
    list(session.edit(user.id, "q1, edited"))
    assert store.branch(c.id)[0].content == "q1, edited"
    assert len(store.messages(c.id)) == 5


def test_the_reply_is_saved_while_it_streams(
    store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted([f" part {i}." for i in range(30)], loop=True)
    engine = LocalEngine(model.path, LoadSettings(context_length=4096))
    try:
        c = store.create()
        ticks = iter(range(10_000))
        g = ChatSession(store, engine).reply(c.id, "go", SamplingSettings(max_tokens=200), OFF)
        g._clock = lambda: float(next(ticks))  # one "second" per event: save on every event
        reader = sqlite3.connect(store.path)
        seen_partials = []
        for i, _event in enumerate(g):
            if i in (20, 100):
                row = reader.execute(
                    "SELECT reasoning, status FROM messages WHERE id = ?", (g.message.id,)
                ).fetchone()
                seen_partials.append(row)
        reader.close()
    finally:
        engine.close()
    (r1, s1), (r2, s2) = seen_partials
    assert s1 == s2 == "streaming"
    assert r1.startswith("part 0. part 1.") and len(r2) > len(r1)
    final = store.message(g.message.id)
    assert final.status == "done" and final.finish_reason == "length"
    assert final.reasoning.startswith(r2.rstrip())


def test_a_full_disk_mid_reply_keeps_the_reply_in_memory_for_a_retry(
    store: ConversationStore, scripted: ScriptFactory
) -> None:
    model = scripted([f" w{i}" for i in range(30)], loop=True)
    engine = LocalEngine(model.path, LoadSettings(context_length=4096))
    try:
        c = store.create()
        g = ChatSession(store, engine).reply(c.id, "go", SamplingSettings(max_tokens=3000), OFF)
        g._interval = 0.0
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk fills up
        events = list(g)
    finally:
        engine.close()
    done = events[-1]
    assert isinstance(done, GenerationDone) and done.stats.generated_tokens == 3000
    assert isinstance(g.save_error, StoreFullError)
    assert len(g.reasoning) > 10_000  # all of it, in memory
    assert store.message(g.message.id).status == "streaming"  # not finished on disk
    store._conn.execute("PRAGMA max_page_count = 1073741823")  # space was freed
    assert g.save()
    saved = store.message(g.message.id)
    assert saved.status == "done" and saved.reasoning == done.reasoning
    assert g.save_error is None


def test_a_request_the_engine_refuses_leaves_no_empty_answer(
    store: ConversationStore, qwq_model: ScriptedModel
) -> None:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=256))
    try:
        c = store.create()
        with pytest.raises(Exception, match="context holds 256"):
            ChatSession(store, engine).reply(c.id, "word " * 500)
    finally:
        engine.close()
    (user,) = store.messages(c.id)  # what the user typed is kept
    assert user.role == "user"
    assert store.get(c.id).current_leaf == user.id


def test_a_forced_close_is_stored_and_the_next_turn_sends_the_answer_only(
    store: ConversationStore, scripted: ScriptFactory
) -> None:
    from app.core.events import ReasoningDelta

    model = scripted(
        [f" idea {i}." for i in range(200)], loop=True, after_blank_line=["It is", " 4."]
    )
    engine = LocalEngine(model.path, LoadSettings(context_length=4096))
    try:
        session = ChatSession(store, engine)
        c = store.create()
        first = session.reply(
            c.id, "q", SamplingSettings(seed=1), ThinkingControl(loop_guard="off")
        )
        for event in first:
            if isinstance(event, ReasoningDelta) and "idea 20." in event.text:
                first.force_answer()  # "Answer now"
        stored = store.message(first.message.id)
        assert stored.content == "It is 4."
        assert stored.reasoning.endswith("based on the thinking directly now.")
        assert stored.reasoning_finished and stored.finish_reason == "stop"
        second = session.reply(c.id, "and?", SamplingSettings(max_tokens=3))
        prompt = second._generation.prompt  # type: ignore[attr-defined]
        list(second)
    finally:
        engine.close()
    assert "idea" not in prompt and "Considering the limited time" not in prompt
    assert "<|im_start|>assistant\nIt is 4.<|im_end|>" in prompt
