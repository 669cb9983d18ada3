"""tool_choice in the local engine: "required" and a named tool make a model that would
answer in words call instead; "none" does not tell it of the tools.

The engine writes the start of a call where the answer begins; the scripts
(tests/fixtures/tool_scripts.py) are built so that what a scripted model writes after
that start is a call's body.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from app.core.errors import InvalidRequestError
from app.core.events import AnswerDelta, ChatEvent, GenerationDone, ToolCallRequested
from app.core.messages import ChatMessage
from app.core.thinking import ThinkingControl
from app.core.tool_calls import MalformedToolCall, ToolCall, ToolChoice, ToolSpec
from app.engine.chat_template import CHATML_TEMPLATE
from app.engine.local_engine import LoadSettings, LocalEngine
from tests.fixtures.models import ScriptFactory
from tests.fixtures.scripted_model import Piece
from tests.fixtures.tool_scripts import NAMED, REQUIRED, REQUIRED_BODY

SMALL = LoadSettings(context_length=4096)
CALC = ToolSpec("calculator", "Exact arithmetic.", {"type": "object", "properties": {}})
CLOCK = ToolSpec("datetime", "The date and time.")


def run(
    scripted: ScriptFactory,
    script: list[Piece],
    choice: ToolChoice,
    tools: Iterable[ToolSpec] = (CALC, CLOCK),
    thinking: ThinkingControl | None = None,
) -> tuple[list[ChatEvent], str]:
    engine = LocalEngine(scripted(script).path, SMALL)
    try:
        generation = engine.chat(
            [ChatMessage.user("What is 2+2?")],
            thinking=thinking,
            tools=list(tools),
            tool_choice=choice,
        )
        return list(generation), generation.prompt
    finally:
        engine.close()


def calls(events: list[ChatEvent]) -> list[ToolCall | MalformedToolCall]:
    return [e.call for e in events if isinstance(e, ToolCallRequested)]


def done(events: list[ChatEvent]) -> GenerationDone:
    last = events[-1]
    assert isinstance(last, GenerationDone)
    return last


def test_left_alone_the_models_answer_in_words(scripted: ScriptFactory) -> None:
    for script, answer in ((REQUIRED, "It is four."), (NAMED, "It is four.")):
        events, prompt = run(scripted, script, ToolChoice("auto"))
        assert "<tools>" in prompt
        assert calls(events) == []
        assert done(events).finish_reason == "stop" and done(events).answer == answer


def test_required_makes_the_answer_start_with_a_call(scripted: ScriptFactory) -> None:
    events, _ = run(scripted, REQUIRED, ToolChoice("required"))
    assert done(events).reasoning.startswith(REQUIRED_BODY)  # the trace's "call" is not one
    found = calls(events)
    assert len(found) == 1 and isinstance(found[0], ToolCall)
    assert (found[0].name, found[0].arguments) == ("calculator", {"expression": "2+2"})
    assert found[0].raw == f"<tool_call>\n{REQUIRED_BODY}\n</tool_call>"
    first_answer = next(e for e in events if isinstance(e, AnswerDelta | ToolCallRequested))
    assert isinstance(first_answer, ToolCallRequested)  # nothing before the call
    end = done(events)
    assert end.finish_reason == "tool_calls" and end.tool_calls == tuple(found)
    assert end.reasoning_ended_by == "model"


def test_required_after_a_budget_closed_the_trace(scripted: ScriptFactory) -> None:
    """The wrap-up and the call's start are written together; the model goes on from both."""
    events, _ = run(
        scripted, REQUIRED, ToolChoice("required"), thinking=ThinkingControl(budget_tokens=1)
    )
    end = done(events)
    assert end.reasoning_ended_by == "budget"
    found = calls(events)
    assert [type(c) for c in found] == [ToolCall]
    assert end.finish_reason == "tool_calls"
    assert end.stats.inserted_tokens > 0


def test_a_named_tool_is_called_and_the_reply_ends_with_the_call(
    scripted: ScriptFactory,
) -> None:
    events, _ = run(scripted, NAMED, ToolChoice("function", "calculator"))
    found = calls(events)
    assert len(found) == 1 and isinstance(found[0], ToolCall)
    assert (found[0].name, found[0].arguments) == ("calculator", {"expression": "2*2"})
    end = done(events)
    assert end.finish_reason == "tool_calls"
    assert end.reasoning == "Two and two make four."
    assert end.answer == ""  # neither "It is four." nor " More words."


def test_none_does_not_tell_the_model_of_the_tools(scripted: ScriptFactory) -> None:
    events, prompt = run(scripted, REQUIRED, ToolChoice("none"))
    assert "<tools>" not in prompt and "calculator" not in prompt
    assert calls(events) == [] and done(events).answer == "It is four."


def test_a_choice_the_tools_cannot_meet_is_refused(scripted: ScriptFactory) -> None:
    engine = LocalEngine(scripted(REQUIRED).path, SMALL)
    try:
        question = [ChatMessage.user("What is 2+2?")]
        with pytest.raises(InvalidRequestError, match="no tools are offered"):
            engine.chat(question, tool_choice=ToolChoice("required"))
        with pytest.raises(InvalidRequestError, match="python"):
            engine.chat(question, tools=[CALC], tool_choice=ToolChoice("function", "python"))
        assert done(list(engine.chat(question))).answer == "It is four."  # the engine is free
    finally:
        engine.close()


def test_a_tool_choice_names_a_tool_exactly_when_it_is_a_function() -> None:
    for bad in (("function", ""), ("auto", "calculator"), ("function", "not a name!")):
        with pytest.raises(ValueError):
            ToolChoice(*bad)  # type: ignore[arg-type]
    assert ToolChoice("auto").call_start is None and ToolChoice("none").call_start is None
    assert ToolChoice("required").call_start == "\n\n<tool_call>\n"
    assert ToolChoice("function", "calculator").call_start == (
        '\n\n<tool_call>\n{"name": "calculator", "arguments": '
    )


def test_without_a_trace_the_call_starts_the_answer(scripted: ScriptFactory) -> None:
    """A template that opens no trace: the start of the call is written before the first
    token (nothing to wait for)."""
    script: list[Piece] = [REQUIRED_BODY, "\n</tool_call>", " That is all."]
    engine = LocalEngine(scripted(script, template=CHATML_TEMPLATE).path, SMALL)
    question = [ChatMessage.user("What is 2+2?")]
    try:
        left_alone = list(engine.chat(question, tools=[CALC]))
        forced = list(engine.chat(question, tools=[CALC], tool_choice=ToolChoice("required")))
    finally:
        engine.close()
    assert calls(left_alone) == [] and done(left_alone).reasoning == ""
    found = calls(forced)
    assert [type(c) for c in found] == [ToolCall]
    assert done(forced).finish_reason == "tool_calls"
    assert done(forced).answer == " That is all."
