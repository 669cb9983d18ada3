"""Thinking under control: answer now, budgets of tokens and time, the loop guard.

Real llama.cpp on scripted models. The thinking scripts loop forever; after the
app's wrap-up (which ends with ``</think>`` and a blank line) the model writes the
pieces of ``after_blank_line``, so a forced close leads into a real answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from app.core.events import AnswerDelta, ChatEvent, GenerationDone, ReasoningDelta
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import WRAP_UP, ThinkingControl
from app.engine.local_engine import LoadSettings, LocalEngine, LocalGeneration
from tests.fixtures.models import QWQ_ANSWER, QWQ_REASONING, ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel

ANSWER_PIECES = ["So", " the answer", " is 4."]
ANSWER = "So the answer is 4."
WRAP_SENTENCE = WRAP_UP.split("</think>")[0].strip()
OFF = ThinkingControl(loop_guard="off")


@pytest.fixture(scope="module")
def endless(scripted: ScriptFactory) -> ScriptedModel:
    """Thinks forever (varied enough for a short run), answers once the trace is closed."""
    return scripted([f" idea {i}." for i in range(400)], loop=True, after_blank_line=ANSWER_PIECES)


@pytest.fixture
def engine(endless: ScriptedModel) -> Iterator[LocalEngine]:
    e = LocalEngine(endless.path, LoadSettings(context_length=8192))
    yield e
    e.close()


def ask(engine: LocalEngine, thinking: ThinkingControl, text: str = "q") -> LocalGeneration:
    return engine.chat([ChatMessage.user(text)], SamplingSettings(seed=1), thinking)


def finish(events: list[ChatEvent]) -> GenerationDone:
    done = events[-1]
    assert isinstance(done, GenerationDone)
    return done


def test_answer_now_from_another_thread_closes_the_trace_and_answers(
    engine: LocalEngine,
) -> None:
    generation = ask(engine, OFF)
    events: list[ChatEvent] = []
    for event in generation:
        events.append(event)
        if isinstance(event, ReasoningDelta) and "idea 30." in event.text:
            # "Answer now", pressed on another thread (the window's, the terminal's).
            pressed = threading.Thread(target=generation.force_answer)
            pressed.start()
            pressed.join()
    done = finish(events)
    assert done.finish_reason == "stop"
    assert done.reasoning_ended_by == "user"
    assert done.reasoning_finished
    assert done.reasoning.endswith(WRAP_SENTENCE)
    assert "idea 30." in done.reasoning
    assert done.answer == ANSWER
    inserted = "".join(e.text for e in events if isinstance(e, ReasoningDelta) and e.inserted)
    assert inserted.strip() == WRAP_SENTENCE
    assert all(e.inserted == "app" for e in events if isinstance(e, ReasoningDelta) and e.inserted)
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == ANSWER
    s = done.stats
    assert s.inserted_tokens > 0
    # The wrap-up counts as thinking (all but the blank line after </think>).
    assert s.reasoning_tokens >= s.inserted_tokens
    assert s.generated_tokens == s.reasoning_tokens + 1 + len(ANSWER_PIECES)
    assert s.prompt_tokens_processed == s.prompt_tokens  # the close was no prompt processing


def test_a_token_budget_ends_the_thinking_at_the_budget(engine: LocalEngine) -> None:
    done = finish(list(ask(engine, ThinkingControl(budget_tokens=50, loop_guard="off"))))
    assert done.reasoning_ended_by == "budget"
    assert done.finish_reason == "stop"
    assert done.answer == ANSWER
    s = done.stats
    # 50 thinking tokens of the model's own, then the wrap-up up to </think>.
    assert s.reasoning_tokens == 50 + s.inserted_tokens - 1
    assert done.reasoning.startswith("idea 0. idea 1.")
    assert "idea 49." in done.reasoning and "idea 50." not in done.reasoning


def test_a_time_budget_ends_the_thinking(engine: LocalEngine) -> None:
    done = finish(list(ask(engine, ThinkingControl(budget_seconds=0.3, loop_guard="off"))))
    assert done.reasoning_ended_by == "time"
    assert done.answer == ANSWER
    assert done.stats.thinking_seconds >= 0.3
    assert done.stats.thinking_seconds < 30  # no hang


def test_a_trace_the_model_closes_itself_says_so(qwq_model: ScriptedModel) -> None:
    e = LocalEngine(qwq_model.path, LoadSettings(context_length=2048))
    try:
        budget = ThinkingControl(budget_tokens=1000, budget_seconds=600)
        done = finish(list(e.chat([ChatMessage.user("q")], None, budget)))
    finally:
        e.close()
    assert done.reasoning_ended_by == "model"
    assert (done.reasoning, done.answer) == (QWQ_REASONING, QWQ_ANSWER)
    assert done.stats.inserted_tokens == 0


def test_answer_now_after_the_trace_closed_does_nothing(qwq_model: ScriptedModel) -> None:
    e = LocalEngine(qwq_model.path, LoadSettings(context_length=2048))
    try:
        generation = e.chat([ChatMessage.user("q")])
        events: list[ChatEvent] = []
        for event in generation:
            events.append(event)
            if isinstance(event, AnswerDelta):
                generation.force_answer()
    finally:
        e.close()
    done = finish(events)
    assert (done.reasoning, done.answer) == (QWQ_REASONING, QWQ_ANSWER)
    assert done.reasoning_ended_by == "model"
    assert not any(isinstance(ev, ReasoningDelta) and ev.inserted for ev in events)


def test_a_trace_that_never_closes_has_no_ender(engine: LocalEngine) -> None:
    sampling = SamplingSettings(seed=1, max_tokens=20)
    done = finish(list(engine.chat([ChatMessage.user("q")], sampling, OFF)))
    assert done.finish_reason == "length"
    assert done.reasoning_ended_by is None


def test_next_turn_has_no_trace_and_reuses_the_cache(engine: LocalEngine) -> None:
    first = finish(list(ask(engine, ThinkingControl(budget_tokens=30, loop_guard="off"))))
    assert first.reasoning_ended_by == "budget"
    short = SamplingSettings(seed=1, max_tokens=5)
    # The engine is free after a forced close, and its cache bookkeeping is right:
    # the same prompt again is all reused but its last token.
    same = finish(list(engine.chat([ChatMessage.user("q")], short, OFF)))
    assert same.stats.prompt_tokens_cached == same.stats.prompt_tokens - 1
    history = [
        ChatMessage.user("q"),
        ChatMessage.assistant(first.answer),
        ChatMessage.user("and again?"),
    ]
    generation = engine.chat(history, short, OFF)
    assert "idea" not in generation.prompt
    assert "Considering the limited time" not in generation.prompt
    assert "</think>" not in generation.prompt
    assert first.answer in generation.prompt
    again = finish(list(generation))
    assert again.stats.generated_tokens == 5
    assert again.stats.prompt_tokens_cached > 0  # the first turn's prompt, from the cache


def test_a_looping_trace_is_turned_into_an_answer(scripted: ScriptFactory) -> None:
    model = scripted(
        ["Wait, let me recompute the sum of the two numbers once more from the start."],
        loop=True,
        after_blank_line=ANSWER_PIECES,
    )
    e = LocalEngine(model.path, LoadSettings(context_length=32768))
    try:
        done = finish(list(ask(e, ThinkingControl())))
        stopped = finish(list(ask(e, ThinkingControl(loop_guard="stop"))))
    finally:
        e.close()
    assert done.reasoning_ended_by == "loop"
    assert done.answer == ANSWER
    assert done.finish_reason == "stop"
    assert done.stats.generated_tokens < 8000  # caught long before the context is full
    assert stopped.finish_reason == "repetition"
    assert stopped.reasoning_ended_by is None


def test_a_looping_answer_stops_with_repetition(scripted: ScriptFactory) -> None:
    # No <think> in the template: all of it is answer, and it repeats forever.
    answer_loop = scripted(
        ["The answer repeats itself here, word for word, again and again. "],
        loop=True,
        template=None,
    )
    e = LocalEngine(answer_loop.path, LoadSettings(context_length=32768))
    try:
        done = finish(list(ask(e, ThinkingControl())))
    finally:
        e.close()
    assert done.reasoning == ""
    assert done.finish_reason == "repetition"
    assert done.stats.generated_tokens < 8000
