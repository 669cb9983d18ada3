"""Prompts rendered with QwQ's official template: answers only in the history."""

from __future__ import annotations

import json

import pytest

from app.core.errors import ModelFileError
from app.core.messages import ChatMessage
from app.core.tool_calls import ToolCall, ToolSpec, join_text, parse_answer
from app.engine.chat_template import answer_only, render_prompt
from tests.fixtures.scripted_model import QWQ_TEMPLATE


def test_generation_prompt_opens_the_think_block() -> None:
    prompt = render_prompt(QWQ_TEMPLATE, [ChatMessage.user("Hi")])
    assert prompt == "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n"


def test_reasoning_never_reaches_the_prompt() -> None:
    messages = [
        ChatMessage.system("sys"),
        ChatMessage.user("q1"),
        ChatMessage.assistant("a1", reasoning="SECRET TRACE"),
        ChatMessage.user("q2"),
    ]
    prompt = render_prompt(QWQ_TEMPLATE, messages)
    assert "SECRET" not in prompt
    assert prompt == (
        "<|im_start|>system\nsys<|im_end|>\n"
        "<|im_start|>user\nq1<|im_end|>\n"
        "<|im_start|>assistant\na1<|im_end|>\n"
        "<|im_start|>user\nq2<|im_end|>\n"
        "<|im_start|>assistant\n<think>\n"
    )


def test_a_trace_left_inside_an_answer_is_cut_even_with_a_plain_template() -> None:
    messages = [
        ChatMessage.user("q1"),
        ChatMessage.assistant("<think>\nleaked\n</think>\n\nreal answer"),
        ChatMessage.user("q2"),
    ]
    prompt = render_prompt(None, messages)  # ChatML fallback: no stripping of its own
    assert "leaked" not in prompt
    assert "<|im_start|>assistant\nreal answer<|im_end|>" in prompt
    assert answer_only("no tags") == "no tags"


def test_no_template_falls_back_to_chatml() -> None:
    assert render_prompt(None, [ChatMessage.user("Hi")]) == (
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_a_broken_template_is_a_model_file_error() -> None:
    with pytest.raises(ModelFileError, match="chat template"):
        render_prompt("{{ raise_exception('nope') }}", [ChatMessage.user("Hi")])
    with pytest.raises(ModelFileError, match="chat template"):
        render_prompt("{% for %}", [ChatMessage.user("Hi")])


def test_the_template_runs_in_a_sandbox() -> None:
    evil = "{{ messages.__class__.__mro__[1].__subclasses__() }}"
    with pytest.raises(ModelFileError):
        render_prompt(evil, [ChatMessage.user("Hi")])


# -- tools (issue 16) ------------------------------------------------------------------

CALC = ToolSpec(
    "calculator",
    "Exact arithmetic.",
    {
        "type": "object",
        "properties": {"expression": {"type": "string"}},
        "required": ["expression"],
    },
)
NOW = ToolSpec("datetime", "The date and time now.")


def test_the_system_turn_lists_the_tools_as_json() -> None:
    prompt = render_prompt(
        QWQ_TEMPLATE, [ChatMessage.system("sys"), ChatMessage.user("q")], tools=[CALC, NOW]
    )
    system = prompt.split("<|im_end|>")[0]
    assert system.startswith("<|im_start|>system\nsys\n\n# Tools\n")
    listed = system.split("<tools>\n")[1].split("\n</tools>")[0].split("\n")
    assert [json.loads(line) for line in listed] == [CALC.to_openai(), NOW.to_openai()]
    assert prompt.endswith("<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\n")


def test_without_tools_the_prompt_is_as_before() -> None:
    messages = [ChatMessage.system("sys"), ChatMessage.user("q")]
    assert render_prompt(QWQ_TEMPLATE, messages, tools=()) == render_prompt(QWQ_TEMPLATE, messages)
    assert "<tools>" not in render_prompt(QWQ_TEMPLATE, messages)


def test_a_round_of_calls_and_results_renders_as_qwq_was_trained() -> None:
    answer = 'Let me compute.\n<tool_call>\n{"name": "calculator", "arguments": {"expression": "2**10"}}\n</tool_call>\n<tool_call>\n{"name": "datetime", "arguments": {}}\n</tool_call>'
    items = parse_answer(answer)
    calls = tuple(i for i in items if isinstance(i, ToolCall))
    messages = [
        ChatMessage.user("q"),
        ChatMessage.assistant(join_text(items).strip(), "SECRET TRACE", calls),
        ChatMessage.tool(calls[0].id, "1024"),
        ChatMessage.tool(calls[1].id, "2026-11-28 18:00"),
    ]
    prompt = render_prompt(QWQ_TEMPLATE, messages, tools=[CALC, NOW])
    assert "SECRET" not in prompt
    turns = prompt.split("<|im_end|>\n")
    # The assistant turn is what the model wrote, byte for byte (prefix reuse needs it).
    assert turns[2] == "<|im_start|>assistant\n" + answer
    # Both results in one user turn, in order.
    assert turns[3] == (
        "<|im_start|>user\n<tool_response>\n1024\n</tool_response>"
        "\n<tool_response>\n2026-11-28 18:00\n</tool_response>"
    )
    assert turns[4] == "<|im_start|>assistant\n<think>\n"


def test_an_assistant_turn_with_calls_keeps_only_its_answer() -> None:
    call = ToolCall("call_1", "datetime", {})
    messages = [
        ChatMessage.user("q"),
        ChatMessage.assistant("<think>\nleaked\n</think>\n\nChecking.", tool_calls=(call,)),
        ChatMessage.tool("call_1", "now"),
    ]
    prompt = render_prompt(QWQ_TEMPLATE, messages, tools=[NOW])
    assert "leaked" not in prompt
    assert "<|im_start|>assistant\nChecking.\n<tool_call>\n" in prompt


def test_a_template_without_tools_still_renders_results() -> None:
    messages = [ChatMessage.user("q"), ChatMessage.tool("call_1", "42")]
    assert render_prompt(None, messages, tools=[NOW]) == (
        "<|im_start|>user\nq<|im_end|>\n<|im_start|>tool\n42<|im_end|>\n<|im_start|>assistant\n"
    )


def test_the_next_round_shares_the_prompt_up_to_the_reply_that_called() -> None:
    """QwQ's template drops the trace from every assistant turn, the last one too: the
    prompt of a turn's second round shares the first round's only up to the assistant's
    header, so the first round's trace and answer are processed again (the KV cache
    holds them after the trace). A later round must measure this, or keep the trace of
    the current turn's rounds (as Qwen3's template does after the last user message)."""
    user = ChatMessage.user("q")
    first = render_prompt(QWQ_TEMPLATE, [user], tools=[CALC])
    call = ToolCall("call_1", "calculator", {"expression": "2"})
    second = render_prompt(
        QWQ_TEMPLATE,
        [
            user,
            ChatMessage.assistant("Checking.", "TRACE", (call,)),
            ChatMessage.tool("call_1", "2"),
        ],
        tools=[CALC],
    )
    shared = first.removesuffix("<think>\n")
    assert second.startswith(shared) and not second.startswith(first)
    assert second[len(shared) :].startswith("Checking.\n<tool_call>")
