"""A reply with tools: real llama.cpp (scripted models that call tools), real tools, a
real store. The model's calls run between rounds, with the user's approval where a tool
has side effects; every round is stored, shown and exported."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.core.events import (
    ChatEvent,
    GenerationDone,
    ReasoningDelta,
    ToolApprovalNeeded,
    ToolCallRequested,
    ToolCallResult,
)
from app.core.sampling import SamplingSettings
from app.core.tool_calls import ToolSpec
from app.engine.local_engine import LoadSettings, LocalEngine
from app.keep_warm import KeepWarm
from app.session import ChatSession, StoredGeneration, continue_modes, history_of
from app.store.conversations import ConversationStore
from app.store.export import export_json, export_markdown, import_json
from app.tool_turn import MAX_MALFORMED_ROUNDS, Decision
from app.tools.builtin import builtin_tools
from app.tools.tool import ToolResult
from tests.fixtures.models import ScriptFactory
from tests.fixtures.scripted_model import Piece

CALL = '{"name": "calculator", "arguments": {"expression": "2**10"}}'
ROUND_1: list[Piece] = [
    "I should compute it.",
    "</think>",
    "\n\n",
    "<tool_call>\n",
    CALL,
    "\n</tool_call>",
]
ROUND_2: list[Piece] = ["It is ", "1024.", "</", "think>\n\n", "**1024**"]


# A round whose call does not parse (no quotes: not JSON).
MALFORMED: list[Piece] = [
    "Try.",
    "</think>",
    "\n\n",
    "<tool_call>",
    "{calculator: 2**10}",
    "</tool_call>",
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    with ConversationStore(tmp_path) as s:
        yield s


@pytest.fixture
def engine_for(scripted: ScriptFactory) -> Iterator[object]:
    engines: list[LocalEngine] = []

    def make(script: Sequence[Piece], after: Sequence[Piece] | None = None) -> LocalEngine:
        model = scripted(script, after_tool_results=after)
        engine = LocalEngine(model.path, LoadSettings(context_length=4096))
        engines.append(engine)
        return engine

    yield make
    for e in engines:
        e.close()


@dataclass
class Notes:
    """A tool with a side effect (it keeps what it is given): the tests can tell whether
    it ran, as a user could tell a file was written."""

    written: list[str] = field(default_factory=list)
    name: str = "write_note"
    needs_approval: bool = True

    def spec(self) -> ToolSpec:
        return ToolSpec(self.name, "Write a note.", {"type": "object", "properties": {}})

    def run(self, arguments: object) -> ToolResult:
        self.written.append(json.dumps(arguments))
        return ToolResult("written", True, 0.0)


NOTE_CALL = '{"name": "write_note", "arguments": {"text": "buy milk"}}'
NOTE_1: list[Piece] = ["A note.", "</think>", "\n\n", "<tool_call>\n", NOTE_CALL, "\n</tool_call>"]
NOTE_2: list[Piece] = ["Noted", "</", "think>\n\n", "Done."]


def run_answering(generation: StoredGeneration, decide: Decision | None) -> list[ChatEvent]:
    """Iterate on this thread; answer each approval from another thread, as the window
    does from the GUI thread (None: never answer, the reply is stopped instead)."""
    events: list[ChatEvent] = []
    for event in generation:
        events.append(event)
        if isinstance(event, ToolApprovalNeeded):
            if decide is None:
                threading.Timer(0.05, generation.cancel).start()
            else:
                threading.Timer(0.05, generation.approve, (event.call.id, decide)).start()
    return events


def test_a_calculator_round_trip_is_run_stored_and_exported(
    store: ConversationStore, engine_for: object
) -> None:
    engine = engine_for(ROUND_1, ROUND_2)  # type: ignore[operator]
    session = ChatSession(store, engine, tools=list(builtin_tools(store).values()))
    c = store.create()
    events = list(session.reply(c.id, "What is 2**10?"))

    kinds = [type(e).__name__ for e in events]
    assert kinds.index("ToolCallRequested") < kinds.index("ToolCallResult")
    result = next(e for e in events if isinstance(e, ToolCallResult))
    assert (result.name, result.text, result.ok, result.approval) == (
        "calculator",
        "1024",
        True,
        "not needed",
    )
    after = events[kinds.index("ToolCallResult") + 1 :]
    assert "".join(e.text for e in after if isinstance(e, ReasoningDelta)) == "It is 1024."
    done = events[-1]
    assert isinstance(done, GenerationDone) and done.finish_reason == "stop"
    assert done.answer == "**1024**"

    reply = store.branch(c.id)[-1]
    assert (reply.content, reasoning := reply.reasoning) == ("**1024**", "It is 1024.")
    assert reasoning and len(reply.tool_rounds) == 1
    first = reply.tool_rounds[0]
    assert first.reasoning == "I should compute it." and first.answer == ""
    (use,) = first.calls
    assert (use.name, dict(use.arguments), use.result, use.ok) == (
        "calculator",
        {"expression": "2**10"},
        "1024",
        True,
    )
    assert reply.stats["generated_tokens"] == done.stats.generated_tokens > 8  # both rounds

    # What the next request sends: the call and its result, no thinking.
    history = history_of(store.branch(c.id), "")
    assert [m.role for m in history] == ["user", "assistant", "tool", "assistant"]
    assert history[1].tool_calls[0].name == "calculator" and history[2].content == "1024"
    assert all(not m.reasoning for m in history)

    markdown = export_markdown(store, store.get(c.id))
    assert "**Tool call:** `calculator` (ok" in markdown and '"expression": "2**10"' in markdown
    assert markdown.index("I should compute it.") < markdown.index("**1024**")
    copy = import_json(store, export_json(store, [store.get(c.id)]))[0]
    assert store.branch(copy)[-1].tool_rounds == reply.tool_rounds


def test_a_call_written_inside_the_thinking_never_runs(
    store: ConversationStore, engine_for: object
) -> None:
    notes = Notes()
    script: list[Piece] = [
        "Maybe <tool_call>",
        NOTE_CALL,
        "</tool_call> no.",
        "</think>",
        "\n\n",
        "Hi.",
    ]
    session = ChatSession(store, engine_for(script), tools=[notes])  # type: ignore[operator]
    c = store.create()
    events = list(session.reply(c.id, "Hello"))
    assert not any(isinstance(e, ToolCallRequested | ToolApprovalNeeded) for e in events)
    assert notes.written == []
    reply = store.branch(c.id)[-1]
    assert NOTE_CALL in reply.reasoning and reply.content == "Hi." and not reply.tool_rounds


def test_a_denied_call_does_not_run_and_the_model_is_told(
    store: ConversationStore, engine_for: object
) -> None:
    notes = Notes()
    session = ChatSession(store, engine_for(NOTE_1, NOTE_2), tools=[notes])  # type: ignore[operator]
    c = store.create()
    events = run_answering(session.reply(c.id, "Note it"), "deny")
    assert notes.written == []
    result = next(e for e in events if isinstance(e, ToolCallResult))
    assert result.approval == "denied" and not result.ok and "did not allow" in result.text
    reply = store.branch(c.id)[-1]
    assert reply.content == "Done." and reply.tool_rounds[0].calls[0].approval == "denied"
    assert store.get(c.id).allowed_tools == ()


def test_allowed_once_asks_again_allowed_in_the_conversation_does_not(
    store: ConversationStore, engine_for: object
) -> None:
    notes = Notes()
    session = ChatSession(store, engine_for(NOTE_1, NOTE_2), tools=[notes])  # type: ignore[operator]
    c = store.create()
    first = run_answering(session.reply(c.id, "Note it"), "once")
    second = run_answering(session.reply(c.id, "Again"), "conversation")
    assert sum(isinstance(e, ToolApprovalNeeded) for e in first + second) == 2
    assert store.get(c.id).allowed_tools == ("write_note",)
    third = run_answering(session.reply(c.id, "Once more"), None)
    assert not any(isinstance(e, ToolApprovalNeeded) for e in third)  # not asked again
    assert len(notes.written) == 3
    approvals = [m.tool_rounds[0].calls[0].approval for m in store.branch(c.id)[1::2]]
    assert approvals == ["once", "conversation", "conversation"]
    other = store.create()  # another conversation asks again
    fourth = run_answering(session.reply(other.id, "Note"), "deny")
    assert any(isinstance(e, ToolApprovalNeeded) for e in fourth) and len(notes.written) == 3


def test_stop_while_asking_ends_the_reply_and_runs_nothing(
    store: ConversationStore, engine_for: object
) -> None:
    notes = Notes()
    session = ChatSession(store, engine_for(NOTE_1, NOTE_2), tools=[notes])  # type: ignore[operator]
    c = store.create()
    generation = session.reply(c.id, "Note it")
    events = run_answering(generation, None)
    done = events[-1]
    assert isinstance(done, GenerationDone) and done.finish_reason == "cancelled"
    assert notes.written == []
    reply = store.branch(c.id)[-1]
    assert reply.status == "done" and reply.finish_reason == "cancelled"
    (call,) = reply.tool_rounds[0].calls
    assert call.name == "write_note" and call.result is None  # kept, marked as not run
    assert reply.content == ""
    assert "not run" in export_markdown(store, store.get(c.id))


def test_a_malformed_call_goes_back_as_an_error_and_the_model_retries(
    store: ConversationStore, engine_for: object
) -> None:
    bad = MALFORMED
    engine = engine_for(bad, ROUND_2)  # type: ignore[operator]
    session = ChatSession(store, engine, tools=list(builtin_tools(store).values()))
    c = store.create()
    events = list(session.reply(c.id, "What is 2**10?"))
    result = next(e for e in events if isinstance(e, ToolCallResult))
    assert not result.ok and "not valid JSON" in result.text
    reply = store.branch(c.id)[-1]
    assert reply.content == "**1024**"
    (use,) = reply.tool_rounds[0].calls
    assert use.error and use.raw == "<tool_call>{calculator: 2**10}</tool_call>"
    # The next request shows the model its own malformed text beside the error.
    history = history_of(store.branch(c.id), "")
    assert "{calculator: 2**10}" in history[1].content and "not valid JSON" in history[2].content


def test_only_malformed_calls_give_up_after_a_bound(
    store: ConversationStore, engine_for: object
) -> None:
    bad = MALFORMED
    again: list[Piece] = [
        "Again",
        "</",
        "think>\n\n",
        "<tool_",
        "call>",
        "[1, 2]</tool_call>",
    ]
    engine = engine_for(bad, again)  # type: ignore[operator]
    session = ChatSession(store, engine, tools=list(builtin_tools(store).values()))
    c = store.create()
    events = list(session.reply(c.id, "What is 2**10?"))
    assert sum(isinstance(e, ToolCallResult) for e in events) == MAX_MALFORMED_ROUNDS - 1
    done = events[-1]
    assert isinstance(done, GenerationDone) and done.finish_reason == "stop"
    assert len(store.branch(c.id)[-1].tool_rounds) == MAX_MALFORMED_ROUNDS


def test_the_round_limit_ends_a_reply_that_keeps_calling(
    store: ConversationStore, engine_for: object
) -> None:
    again: list[Piece] = [
        "More",
        "</",
        "think>\n\n",
        "<tool_",
        "call>\n",
        '{"name": "calculator", "arguments": {"expression": "3**3"}}',
        "\n</tool_",
        "call>",
    ]
    engine = engine_for(ROUND_1, again)  # type: ignore[operator]
    tools = list(builtin_tools(store).values())
    session = ChatSession(store, engine, tools=tools, max_tool_rounds=2)
    c = store.create()
    events = list(session.reply(c.id, "Compute forever"))
    assert sum(isinstance(e, ToolCallResult) for e in events) == 2
    done = events[-1]
    assert isinstance(done, GenerationDone) and done.finish_reason == "tool_calls"
    reply = store.branch(c.id)[-1]
    assert reply.finish_reason == "tool_calls" and len(reply.tool_rounds) == 3
    assert reply.tool_rounds[-1].calls[0].result is None  # the third round's call never ran
    assert "tool round limit" in export_markdown(store, store.get(c.id))


def test_an_unknown_tool_is_answered_with_the_tools_there_are(
    store: ConversationStore, engine_for: object
) -> None:
    call = '{"name": "weather", "arguments": {}}'
    script: list[Piece] = ["Hm.", "</think>", "\n\n", "<tool_call>\n", call, "\n</tool_call>"]
    engine = engine_for(script, ROUND_2)  # type: ignore[operator]
    session = ChatSession(store, engine, tools=list(builtin_tools(store).values()))
    c = store.create()
    events = list(session.reply(c.id, "Weather?"))
    result = next(e for e in events if isinstance(e, ToolCallResult))
    assert "no tool named 'weather'" in result.text and "calculator" in result.text


def test_the_second_round_reuses_the_first_rounds_prompt(
    store: ConversationStore, engine_for: object
) -> None:
    """Prefix reuse across rounds: the second round's prompt extends the first's up to
    the calling answer (QwQ's template drops that round's trace), and only the rest is
    processed."""
    engine = engine_for(ROUND_1, ROUND_2)  # type: ignore[operator]
    session = ChatSession(store, engine, tools=list(builtin_tools(store).values()))
    c = store.create()
    generation = session.reply(c.id, "What is 2**10?")
    list(generation)
    turn = generation._generation
    first, second = turn.rounds  # type: ignore[attr-defined]
    # All of the first prompt but its last two tokens, "<think>" and "\n" (the history's
    # assistant turn has no trace): what is processed is the call, its result and the
    # generation prompt, a small part of the whole.
    assert second.prompt_tokens_cached == first.prompt_tokens - 2
    assert second.prompt_tokens_processed < second.prompt_tokens // 10


def test_a_follow_up_after_a_tool_reply_starts_warm(
    store: ConversationStore, engine_for: object
) -> None:
    """The cache is re-warmed with the tools in the prompt (they are in its system turn):
    the follow-up processes only its own message, not the whole conversation again."""
    engine = engine_for(ROUND_1, ROUND_2)  # type: ignore[operator]
    tools = list(builtin_tools(store).values())
    session = ChatSession(store, engine, tools=tools)
    keep = KeepWarm(store, engine, None)
    keep.tools = [t.spec() for t in tools]
    c = store.create()
    list(session.reply(c.id, "What is 2**10?"))
    keep.after_reply(c.id)
    follow_up = session.reply(c.id, "Thanks")
    list(follow_up)
    first_round = follow_up._generation.rounds[0]  # type: ignore[attr-defined]
    assert first_round.prompt_tokens_processed < 30 < first_round.prompt_tokens


def test_a_tool_reply_cut_short_in_its_last_round_goes_on_after_its_calls(
    store: ConversationStore, engine_for: object
) -> None:
    long_round: list[Piece] = [
        "It ", "is ", "two ", "to ", "the ", "tenth, ", "which ", "makes ", "1024.",
        "</", "think>\n\n", "**1024**",
    ]  # fmt: skip
    engine = engine_for(ROUND_1, long_round)  # type: ignore[operator]
    session = ChatSession(store, engine, tools=list(builtin_tools(store).values()))
    c = store.create()
    list(session.reply(c.id, "What is 2**10?", SamplingSettings(max_tokens=7)))
    cut = store.branch(c.id)[-1]
    assert cut.finish_reason == "length" and len(cut.tool_rounds) == 1
    assert continue_modes(cut) == ("thinking",)
    list(session.continue_reply(cut.id, "thinking", sampling=SamplingSettings()))
    whole = store.branch(c.id)[-1]
    assert whole.id == cut.id and whole.content == "**1024**"
    assert whole.reasoning == "It is two to the tenth, which makes 1024."
    assert whole.tool_rounds == cut.tool_rounds  # the round before is kept as it was
