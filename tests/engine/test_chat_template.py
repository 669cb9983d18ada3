"""Prompts rendered with QwQ's official template: answers only in the history."""

from __future__ import annotations

import pytest

from app.core.errors import ModelFileError
from app.core.messages import ChatMessage
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
