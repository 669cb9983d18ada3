"""Continue and Steer in the local engine: a stopped reply goes on, in place.

Real llama.cpp on scripted models. A scripted model follows its chain from whatever
token the context ends with, so a reply continued from the cache goes on exactly where
it stopped. The "letters" script is made of single characters, which the tokenizer
also produces from text: a reply rebuilt from its stored text goes on too.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.core.errors import ContextOverflowError, InvalidRequestError
from app.core.events import AnswerDelta, ChatEvent, GenerationDone, ReasoningDelta
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import HINT_MAX_CHARS, Continuation, ThinkingControl, steer_text
from app.engine.local_engine import LoadSettings, LocalEngine, LocalGeneration
from app.session import ChatSession, continue_modes
from app.store.conversations import ConversationStore
from tests.fixtures.models import QWQ_ANSWER, QWQ_REASONING, ScriptFactory
from tests.fixtures.scripted_model import ScriptedModel

OFF = ThinkingControl(loop_guard="off")
QUESTION = [ChatMessage.user("q")]

STEPS = [f" step {i}." for i in range(120)]
STEPS_REASONING = "".join(STEPS).strip()
STEPS_ANSWER = "Done: 42."

LETTERS = "abcdefghijklmnopqrstuvwxyz"
CAPITALS = "ABCDEFGHIJKLMNOP"

IDEAS_ANSWER = "So the answer is 4."


@pytest.fixture(scope="module")
def steps(scripted: ScriptFactory) -> ScriptedModel:
    """Thinks for 120 varied steps, closes its trace itself and answers."""
    return scripted([*STEPS, "</think>", "\n\n", "Done:", " 42."])


@pytest.fixture(scope="module")
def letters(scripted: ScriptFactory) -> ScriptedModel:
    """Thinks a..z, closes its trace, answers A..P: every piece is one character."""
    return scripted([*LETTERS, "</think>", "\n\n", *CAPITALS])


@pytest.fixture(scope="module")
def ideas(scripted: ScriptFactory) -> ScriptedModel:
    """Thinks forever (varied enough for a short run), answers once the trace is closed."""
    pieces = ["So", " the answer", " is 4."]
    return scripted([f" idea {i}." for i in range(400)], loop=True, after_blank_line=pieces)


@contextmanager
def loaded(model: ScriptedModel, context: int = 4096) -> Iterator[LocalEngine]:
    engine = LocalEngine(model.path, LoadSettings(context_length=context))
    try:
        yield engine
    finally:
        engine.close()


@pytest.fixture
def steps_engine(steps: ScriptedModel) -> Iterator[LocalEngine]:
    with loaded(steps) as engine:
        yield engine


@pytest.fixture
def letters_engine(letters: ScriptedModel) -> Iterator[LocalEngine]:
    with loaded(letters) as engine:
        yield engine


@pytest.fixture
def ideas_engine(ideas: ScriptedModel) -> Iterator[LocalEngine]:
    with loaded(ideas) as engine:
        yield engine


def run(generation: LocalGeneration) -> tuple[list[ChatEvent], GenerationDone]:
    events = list(generation)
    done = events[-1]
    assert isinstance(done, GenerationDone)
    return events, done


def stopped_at(engine: LocalEngine, needle: str) -> GenerationDone:
    """A reply the user stopped once ``needle`` was in its trace."""
    generation = engine.chat(QUESTION, SamplingSettings(seed=1), OFF)
    events: list[ChatEvent] = []
    for event in generation:
        events.append(event)
        if isinstance(event, ReasoningDelta) and needle in event.text:
            generation.cancel()
    done = events[-1]
    assert isinstance(done, GenerationDone) and done.finish_reason == "cancelled"
    return done


def go_on(
    engine: LocalEngine,
    continuation: Continuation,
    thinking: ThinkingControl = OFF,
    sampling: SamplingSettings | None = None,
) -> tuple[list[ChatEvent], GenerationDone]:
    sampling = sampling or SamplingSettings(seed=2)
    return run(engine.chat(QUESTION, sampling, thinking, continuation))


def new_reasoning(events: list[ChatEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, ReasoningDelta))


def test_continue_thinking_after_stop_goes_on_from_the_cache(steps_engine: LocalEngine) -> None:
    old = stopped_at(steps_engine, "step 20.")
    assert old.reasoning.endswith("step 20.") and "step 21." not in old.reasoning
    events, done = go_on(steps_engine, Continuation(old.reasoning))
    # Only what is new streams, and the model's trace goes on where it stopped.
    assert new_reasoning(events).startswith(" step 21.")
    assert not any(isinstance(e, ReasoningDelta) and e.inserted for e in events)
    assert (done.reasoning, done.answer) == (STEPS_REASONING, STEPS_ANSWER)
    assert done.finish_reason == "stop"
    assert done.reasoning_finished and done.reasoning_ended_by == "model"
    s = done.stats
    assert s.prompt_tokens_processed == 0  # nothing processed again
    assert s.prompt_tokens > 21  # the prompt and the kept trace
    assert s.reasoning_tokens == 120 - 21 + 1  # the rest of the steps, and </think>
    assert s.generated_tokens == s.reasoning_tokens + 1 + 2  # the blank line, the answer


def test_continue_answer_after_length_goes_on_from_the_cache(qwq_model: ScriptedModel) -> None:
    with loaded(qwq_model, 2048) as engine:
        _, old = run(engine.chat(QUESTION, SamplingSettings(seed=1, max_tokens=6), OFF))
        assert old.finish_reason == "length"
        assert (old.reasoning, old.answer) == (QWQ_REASONING, "The answer is ")
        continuation = Continuation(old.reasoning, old.answer, "answer")
        events, done = go_on(engine, continuation)
    assert "".join(ev.text for ev in events if isinstance(ev, AnswerDelta)) == "$\\boxed{4}$."
    assert not any(isinstance(ev, ReasoningDelta) for ev in events)
    assert (done.reasoning, done.answer) == (QWQ_REASONING, QWQ_ANSWER)
    assert done.finish_reason == "stop"
    assert done.reasoning_finished
    # The trace was closed before: this part did not close it, and did no thinking.
    assert done.reasoning_ended_by is None
    assert (done.stats.reasoning_tokens, done.stats.thinking_seconds) == (0, 0.0)
    assert done.stats.generated_tokens == 2
    # The last token of the cut reply was sampled but never evaluated: evaluating it
    # now is decoding, not prompt processing.
    assert done.stats.prompt_tokens_processed == 0


def test_steer_inserts_the_hint_as_the_users_then_thinking_goes_on(
    steps_engine: LocalEngine,
) -> None:
    old = stopped_at(steps_engine, "step 10.")
    hint = "  Check the even steps first.  "
    events, done = go_on(steps_engine, Continuation(old.reasoning, hint=hint))
    first = events[0]
    assert isinstance(first, ReasoningDelta) and first.inserted == "user"
    inserted = "".join(e.text for e in events if isinstance(e, ReasoningDelta) and e.inserted)
    assert inserted == steer_text(hint).rstrip()  # the blank line after it goes with the model's
    assert "Check the even steps first." in inserted and "  Check" not in inserted
    assert {e.inserted for e in events if isinstance(e, ReasoningDelta)} == {"user", None}
    # The hint sits in the trace after the old part; the model's thinking follows it
    # (the scripted model starts its chain again after the hint's last newline).
    assert done.reasoning.startswith(old.reasoning + inserted)
    after = done.reasoning[len(old.reasoning + inserted) :]
    assert after.startswith("\n\n step 0. step 1.")
    assert done.answer == STEPS_ANSWER and done.reasoning_ended_by == "model"
    s = done.stats
    assert s.inserted_tokens == len(steer_text(hint).encode()) > 0  # one token a byte here
    assert s.prompt_tokens_processed == 0  # the hint is evaluated like the app's wrap-up


def test_reopening_a_trace_the_budget_closed_thinks_on_with_a_new_budget(
    ideas_engine: LocalEngine,
) -> None:
    events, old = run(ideas_engine.chat(QUESTION, SamplingSettings(seed=1), budget(30)))
    assert old.reasoning_ended_by == "budget" and old.answer == IDEAS_ANSWER
    # What the session passes: the trace cut before the app's wrap-up.
    wrap_at = 0
    for e in events:
        if isinstance(e, ReasoningDelta):
            if e.inserted == "app":
                break
            wrap_at += len(e.text)
    cut = old.reasoning[:wrap_at].rstrip()
    assert cut.endswith("idea 29.")
    events, done = go_on(ideas_engine, Continuation(cut), budget(20))
    assert done.stats.prompt_tokens_processed == 0  # the trace before the wrap-up is cached
    new = new_reasoning(events)
    assert new.startswith(" idea 30.")
    # The budget counts the new thinking only: 20 more ideas, then the wrap-up again.
    assert "idea 49." in new and "idea 50." not in new
    assert done.reasoning.startswith(cut + " idea 30.")
    assert done.reasoning_ended_by == "budget" and done.answer == IDEAS_ANSWER
    assert done.stats.reasoning_tokens == 20 + done.stats.inserted_tokens - 1
    assert done.reasoning.count("Considering the limited time") == 1  # the old one is gone


def budget(tokens: int) -> ThinkingControl:
    return ThinkingControl(budget_tokens=tokens, loop_guard="off")


def test_a_time_limit_applies_to_the_continued_part(ideas_engine: LocalEngine) -> None:
    old = stopped_at(ideas_engine, "idea 5.")
    limit = ThinkingControl(budget_seconds=0.2, loop_guard="off")
    _, done = go_on(ideas_engine, Continuation(old.reasoning), limit)
    assert done.reasoning_ended_by == "time" and done.answer == IDEAS_ANSWER
    assert 0.2 <= done.stats.thinking_seconds < 30  # no hang


def test_the_loop_guard_watches_the_continued_part(scripted: ScriptFactory) -> None:
    looping = scripted(
        ["Wait, let me recompute the sum of the two numbers once more from the start."],
        loop=True,
        after_blank_line=["So", " the answer", " is 4."],
    )
    with loaded(looping, 32768) as engine:
        short = SamplingSettings(seed=1, max_tokens=20)
        _, old = run(engine.chat(QUESTION, short, OFF))
        assert old.finish_reason == "length" and not old.reasoning_finished
        _, done = go_on(engine, Continuation(old.reasoning), ThinkingControl())
    assert (done.reasoning_ended_by, done.answer) == ("loop", IDEAS_ANSWER)
    assert done.stats.prompt_tokens_processed == 0
    assert done.stats.generated_tokens < 8000  # caught long before the context is full


def test_after_another_chat_the_reply_is_rebuilt_from_its_text(
    letters_engine: LocalEngine,
) -> None:
    old = stopped_at(letters_engine, "j")
    assert old.reasoning == "abcdefghij"
    short = SamplingSettings(seed=3, max_tokens=2)
    run(letters_engine.chat([ChatMessage.user("something else")], short, OFF))
    events, done = go_on(letters_engine, Continuation(old.reasoning))
    assert new_reasoning(events) == "klmnopqrstuvwxyz"
    assert (done.reasoning, done.answer) == (LETTERS, CAPITALS)
    assert done.reasoning_ended_by == "model"
    s = done.stats
    assert s.prompt_tokens_processed > len("abcdefghij")  # the prompt tail and the trace
    assert s.prompt_tokens == s.prompt_tokens_cached + s.prompt_tokens_processed


def test_continue_answer_rebuilt_from_its_text(letters_engine: LocalEngine) -> None:
    continuation = Continuation(LETTERS, "ABCDE", "answer")  # as stored, after a restart
    events, done = go_on(letters_engine, continuation)
    assert "".join(e.text for e in events if isinstance(e, AnswerDelta)) == CAPITALS[5:]
    assert (done.reasoning, done.answer) == (LETTERS, CAPITALS)
    assert done.stats.prompt_tokens_processed > 0


def test_continue_from_the_cache_twice_in_a_row(letters_engine: LocalEngine) -> None:
    old = stopped_at(letters_engine, "e")
    generation = letters_engine.chat(
        QUESTION, SamplingSettings(seed=2), OFF, Continuation(old.reasoning)
    )
    for event in generation:
        if isinstance(event, ReasoningDelta) and "m" in event.text:
            generation.cancel()
        if isinstance(event, GenerationDone):
            middle = event
    assert middle.finish_reason == "cancelled" and middle.reasoning == "abcdefghijklm"
    assert middle.stats.prompt_tokens_processed == 0
    _, done = go_on(letters_engine, Continuation(middle.reasoning, hint="Go on."))
    assert done.stats.prompt_tokens_processed == 0
    assert done.reasoning.startswith("abcdefghijklm" + steer_text("Go on.").rstrip())


def test_a_later_chat_sends_no_trace_of_a_continued_reply(steps_engine: LocalEngine) -> None:
    old = stopped_at(steps_engine, "step 3.")
    _, done = go_on(steps_engine, Continuation(old.reasoning, hint="Be brief."))
    history = [*QUESTION, ChatMessage.assistant(done.answer), ChatMessage.user("and?")]
    generation = steps_engine.chat(history, SamplingSettings(seed=1, max_tokens=1), OFF)
    try:
        assert "step" not in generation.prompt and "hint" not in generation.prompt
        assert STEPS_ANSWER in generation.prompt
    finally:
        generation.close()


@pytest.mark.parametrize(
    ("hint", "message"),
    [
        ("   \n ", "The hint is empty."),
        ("x" * (HINT_MAX_CHARS + 1), f"at most {HINT_MAX_CHARS:,}"),
        ("close it </think> now", "cannot contain"),
    ],
)
def test_a_bad_hint_is_one_clear_line(letters_engine: LocalEngine, hint: str, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message) as caught:
        letters_engine.chat(QUESTION, None, OFF, Continuation("abc", hint=hint))
    assert "\n" not in str(caught.value)
    run(letters_engine.chat(QUESTION, SamplingSettings(max_tokens=1)))  # the engine is free


def test_a_continuation_that_does_not_fit_the_context_says_so(letters: ScriptedModel) -> None:
    with loaded(letters, 256) as engine:
        with pytest.raises(ContextOverflowError, match="context holds 256") as caught:
            engine.chat(QUESTION, None, OFF, Continuation("a" * 400))
        assert "\n" not in str(caught.value)
        run(engine.chat(QUESTION, SamplingSettings(max_tokens=1)))  # the engine is free


@pytest.mark.parametrize("from_cache", [True, False])
def test_a_trace_cut_after_a_lone_less_than_sign_goes_on_without_repeating_it(
    scripted: ScriptFactory, from_cache: bool
) -> None:
    """The splitter holds back a "<" (it may start </think>); the stored trace has it."""
    model = scripted([*"ab", "<", *"cd", "</think>", "\n\n", "E"])
    with loaded(model) as engine:
        _, old = run(engine.chat(QUESTION, SamplingSettings(seed=1, max_tokens=3), OFF))
        assert (old.reasoning, old.finish_reason) == ("ab<", "length")
        if not from_cache:
            run(engine.chat([ChatMessage.user("other")], SamplingSettings(max_tokens=1), OFF))
        events, done = go_on(engine, Continuation(old.reasoning))
    assert new_reasoning(events) == "cd"
    assert (done.reasoning, done.answer) == ("ab<cd", "E")
    assert (done.stats.prompt_tokens_processed == 0) == from_cache


def test_a_hint_does_not_use_up_the_replys_max_tokens(steps_engine: LocalEngine) -> None:
    old = stopped_at(steps_engine, "step 3.")
    hint = "Think about it from the other end, counting down from the last step."
    three = SamplingSettings(seed=2, max_tokens=3)
    events, done = go_on(steps_engine, Continuation(old.reasoning, hint=hint), OFF, three)
    assert done.finish_reason == "length"
    assert done.stats.generated_tokens == done.stats.inserted_tokens + 3
    model = "".join(e.text for e in events if isinstance(e, ReasoningDelta) and not e.inserted)
    assert model == "\n\n step 0. step 1. step 2."


@pytest.mark.gemma
def test_gemma_continues_its_answer_from_the_cache_as_if_never_stopped(
    gemma_path: Path,
) -> None:
    """A real transformer: the cache must hold exactly the cut reply for this to hold."""
    question = [ChatMessage.user("Write the numbers from one to twenty in words.")]

    def greedy(n: int) -> SamplingSettings:
        return SamplingSettings(temperature=0.0, seed=1, max_tokens=n)

    engine = LocalEngine(gemma_path, LoadSettings(context_length=2048, threads=2))
    try:
        _, whole = run(engine.chat(question, greedy(24)))
        _, part = run(engine.chat(question, greedy(12)))
        assert part.finish_reason == "length" and whole.answer.startswith(part.answer)
        continuation = Continuation(part.reasoning, part.answer, "answer")
        _, rest = run(engine.chat(question, greedy(12), None, continuation))
        assert rest.stats.prompt_tokens_processed == 0
        assert rest.answer == whole.answer  # token for token what it wrote in one go
        run(engine.chat([ChatMessage.user("Hello")], greedy(2)))
        _, rebuilt = run(engine.chat(question, greedy(4), None, continuation))
        assert rebuilt.stats.prompt_tokens_processed > 0
        assert rebuilt.answer.startswith(part.answer) and len(rebuilt.answer) > len(part.answer)
    finally:
        engine.close()


@pytest.mark.parametrize(("pieces", "kept"), [(0, ""), (1, "So")])
def test_continue_an_answer_cut_after_the_apps_wrap_up_from_the_cache(
    ideas_engine: LocalEngine, pieces: int, kept: str
) -> None:
    _, full = run(ideas_engine.chat(QUESTION, SamplingSettings(seed=1), budget(10)))
    cut_at = full.stats.generated_tokens - 3 + pieces  # the answer has three pieces
    sampling = SamplingSettings(seed=1, max_tokens=cut_at)
    _, old = run(ideas_engine.chat(QUESTION, sampling, budget(10)))
    assert (old.answer, old.finish_reason, old.reasoning_ended_by) == (kept, "length", "budget")
    _, done = go_on(ideas_engine, Continuation(old.reasoning, old.answer, "answer"))
    assert (done.reasoning, done.answer) == (old.reasoning, IDEAS_ANSWER)
    if kept:
        assert done.stats.prompt_tokens_processed == 0
    else:  # cut before the wrap-up was evaluated: it is now (and the idea before it)
        assert done.stats.prompt_tokens_processed == old.stats.inserted_tokens + 1


def test_steer_a_reply_again_after_continuing_it_past_a_less_than_sign(
    scripted: ScriptFactory,
) -> None:
    """The cut is where the stored text ends, not after a "<" the splitter still holds."""
    model = scripted([" a1", " b2", " <", " c3", " d4", "</think>", "\n\n", "E"])
    with loaded(model) as engine:
        _, old = run(engine.chat(QUESTION, SamplingSettings(seed=1, max_tokens=2), OFF))
        assert old.reasoning == "a1 b2"
        two = SamplingSettings(seed=1, max_tokens=2)
        _, more = go_on(engine, Continuation(old.reasoning), OFF, two)
        assert more.reasoning == "a1 b2 < c3"
        _, done = go_on(engine, Continuation(old.reasoning, hint="Go on."))
    assert done.stats.prompt_tokens_processed == 0
    assert done.reasoning.startswith("a1 b2" + steer_text("Go on.").rstrip())


# -- through the session and the store: what the window does ----------------------------------


def test_a_local_reply_cut_by_the_budget_thinks_on_in_place_from_the_cache(
    ideas_engine: LocalEngine, tmp_path: Path
) -> None:
    with ConversationStore(tmp_path / "data") as store:
        session = ChatSession(store, ideas_engine)
        c = store.create()
        list(session.reply(c.id, "q", thinking=budget(10)))
        cut = store.branch(c.id)[-1]
        assert (cut.reasoning_ended_by, cut.content) == ("budget", IDEAS_ANSWER)
        assert continue_modes(cut) == ("thinking",)

        generation = session.continue_reply(cut.id, "thinking", thinking=budget(5))
        list(generation)
        assert generation.done is not None
        assert generation.done.stats.prompt_tokens_processed == 0  # from the cache
        again = store.branch(c.id)[-1]
    assert again.id == cut.id  # in place, not a new message
    ideas = " ".join(f"idea {i}." for i in range(15))
    assert again.reasoning.startswith(ideas + "\n\nConsidering the limited time")
    assert again.reasoning.count("Considering the limited time") == 1  # the old one is gone
    (app,) = again.inserted
    assert app.by == "app" and again.reasoning[app.start :].startswith("\n\nConsidering")
    assert (again.reasoning_ended_by, again.content) == ("budget", IDEAS_ANSWER)


def test_a_stopped_local_reply_is_steered_in_place_from_the_cache(
    steps_engine: LocalEngine, tmp_path: Path
) -> None:
    with ConversationStore(tmp_path / "data") as store:
        session = ChatSession(store, steps_engine)
        c = store.create()
        generation = session.reply(c.id, "q", SamplingSettings(seed=1), OFF)
        for event in generation:
            if isinstance(event, ReasoningDelta) and "step 4." in event.text:
                generation.cancel()
        stopped = store.branch(c.id)[-1]
        assert stopped.reasoning.endswith("step 4.") and continue_modes(stopped) == ("thinking",)

        steer = session.continue_reply(stopped.id, "thinking", hint="Try 7.", thinking=OFF)
        list(steer)
        assert steer.done is not None and steer.done.stats.prompt_tokens_processed == 0
        steered = store.branch(c.id)[-1]
    assert steered.id == stopped.id
    hint = steer_text("Try 7.").rstrip()
    assert steered.reasoning == stopped.reasoning + hint + "\n\n " + STEPS_REASONING
    (user,) = steered.inserted
    assert (user.by, steered.reasoning[user.start : user.end]) == ("user", hint)
    assert (steered.reasoning_ended_by, steered.content) == ("model", STEPS_ANSWER)
