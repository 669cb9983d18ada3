"""The engine on real llama.cpp, driven by scripted GGUF files (milliseconds each)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import llama_cpp
import pytest

from app.core.errors import ContextOverflowError, EngineBusyError, InvalidRequestError
from app.core.events import (
    AnswerDelta,
    ChatEvent,
    GenerationDone,
    ReasoningDelta,
    ToolCallRequested,
)
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import ThinkingControl
from app.core.tool_calls import MalformedToolCall, ToolCall, ToolSpec
from app.engine.base import ChatEngine
from app.engine.chat_template import CHATML_TEMPLATE
from app.engine.local_engine import LoadSettings, LocalEngine, backend_name, fewer_layers
from tests.fixtures.models import QWQ_ANSWER, QWQ_REASONING, ScriptFactory
from tests.fixtures.scripted_model import QWQ_TEMPLATE, ScriptedModel

SMALL = LoadSettings(context_length=4096)


def run(
    engine: LocalEngine, prompt: str, thinking: ThinkingControl | None = None, **sampling: Any
) -> tuple[list[ChatEvent], GenerationDone]:
    events = list(engine.chat([ChatMessage.user(prompt)], SamplingSettings(**sampling), thinking))
    done = events[-1]
    assert isinstance(done, GenerationDone)
    assert not any(isinstance(e, GenerationDone) for e in events[:-1])
    return events, done


def texts(events: Iterable[ChatEvent], kind: type) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))  # type: ignore[attr-defined]


@pytest.fixture
def qwq(qwq_model: ScriptedModel) -> Iterable[LocalEngine]:
    engine = LocalEngine(qwq_model.path, SMALL)
    yield engine
    engine.close()


def test_qwq_reasoning_and_answer_arrive_as_two_streams(qwq: LocalEngine) -> None:
    events, done = run(qwq, "What is 2+2?")
    assert texts(events, ReasoningDelta) == QWQ_REASONING
    assert texts(events, AnswerDelta) == QWQ_ANSWER
    # All reasoning comes before any answer.
    kinds = [type(e) for e in events[:-1]]
    assert kinds.index(AnswerDelta) > max(i for i, k in enumerate(kinds) if k is ReasoningDelta)
    assert done.finish_reason == "stop"
    assert done.reasoning_finished
    assert (done.reasoning, done.answer) == (QWQ_REASONING, QWQ_ANSWER)


def test_stats_count_tokens_and_time(qwq: LocalEngine) -> None:
    _, done = run(qwq, "What is 2+2?")
    s = done.stats
    assert s.generated_tokens == 8  # one token per script piece
    assert s.reasoning_tokens == 4  # three thoughts and </think>
    assert s.prompt_tokens > 10
    assert s.time_to_first_token_s > 0
    assert s.tokens_per_second > 0
    assert 0 < s.thinking_seconds <= s.generation_seconds


def test_forced_open_thinking_is_read_from_the_rendered_prompt(qwq: LocalEngine) -> None:
    generation = qwq.chat([ChatMessage.user("hi")])
    assert generation.prompt.endswith("<|im_start|>assistant\n<think>\n")
    assert generation.starts_in_reasoning
    generation.close()


def test_close_tag_split_across_tokens(scripted: ScriptFactory) -> None:
    model = scripted(["Think", " hard.", "</th", "ink", ">\n", "\nDone", "."])
    with_engine = LocalEngine(model.path, SMALL)
    try:
        _, done = run(with_engine, "q")
    finally:
        with_engine.close()
    assert (done.reasoning, done.answer, done.reasoning_finished) == ("Think hard.", "Done.", True)


def test_explicit_think_tag_with_a_plain_template(scripted: ScriptFactory) -> None:
    model = scripted(
        ["<think>", "\nPondering", ".\n", "</think>", "\n\n", "Yes", "."], template=CHATML_TEMPLATE
    )
    engine = LocalEngine(model.path, SMALL)
    try:
        generation = engine.chat([ChatMessage.user("q")])
        assert not generation.starts_in_reasoning
        done = list(generation)[-1]
    finally:
        engine.close()
    assert isinstance(done, GenerationDone)
    assert (done.reasoning, done.answer, done.reasoning_finished) == ("Pondering.", "Yes.", True)
    assert done.stats.reasoning_tokens == 4


def test_no_thinking_at_all_is_all_answer(scripted: ScriptFactory) -> None:
    model = scripted(["Hello", " there", ", no <think> here", "."], template=CHATML_TEMPLATE)
    engine = LocalEngine(model.path, SMALL)
    try:
        events, done = run(engine, "q")
    finally:
        engine.close()
    assert texts(events, ReasoningDelta) == ""
    assert done.answer == "Hello there, no <think> here."
    assert done.stats.reasoning_tokens == 0
    assert done.stats.thinking_seconds == 0


def test_unclosed_trace_runs_out_of_tokens(scripted: ScriptFactory) -> None:
    model = scripted([f" step {i}" for i in range(20)], loop=True)
    engine = LocalEngine(model.path, SMALL)
    try:
        _, done = run(engine, "q", max_tokens=50)
    finally:
        engine.close()
    assert done.finish_reason == "length"
    assert not done.reasoning_finished
    assert done.answer == ""
    assert done.stats.generated_tokens == 50
    assert done.stats.reasoning_tokens == 50
    assert done.reasoning.startswith("step 0 step 1")


def test_a_very_long_trace(scripted: ScriptFactory) -> None:
    pieces = [f" thought {i}." for i in range(300)]
    model = scripted(pieces, loop=True)
    engine = LocalEngine(model.path, LoadSettings(context_length=8192))
    try:
        # The script repeats itself (a loop by design), so the loop guard is off here.
        events, done = run(engine, "q", ThinkingControl(loop_guard="off"), max_tokens=3000)
    finally:
        engine.close()
    assert done.stats.generated_tokens == 3000
    expected = "".join(pieces * 10).strip()
    assert done.reasoning == expected
    assert texts(events, ReasoningDelta) == expected


def test_markdown_math_and_multibyte_answers(scripted: ScriptFactory) -> None:
    answer_pieces: list[str | bytes] = [
        "## Result\n\n",
        "```python\nprint('<think>')\n```\n",
        "Inline $x^2$ and display:\n",
        "$$\\int_0^1 x\\,dx = \\frac{1}{2}$$\n",
        "\\[\\boxed{42}\\] ",
        b"\xf0\x9f",  # an emoji split across two tokens
        b"\x98\x80",
        " caf\u00e9",
    ]
    model = scripted(["Math time.", "</think>", "\n\n", *answer_pieces])
    engine = LocalEngine(model.path, SMALL)
    try:
        events, done = run(engine, "q")
    finally:
        engine.close()
    expected = b"".join(p.encode() if isinstance(p, str) else p for p in answer_pieces).decode()
    assert done.answer == expected
    assert "\ufffd" not in texts(events, AnswerDelta)
    assert "😀" in done.answer


def test_model_card_sampling_is_what_llama_cpp_gets(
    qwq: LocalEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    real = llama_cpp.Llama.generate

    def spy(self: llama_cpp.Llama, tokens: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return real(self, tokens, **kwargs)

    monkeypatch.setattr(llama_cpp.Llama, "generate", spy)
    run(qwq, "q")
    assert seen["temp"] == 0.6
    assert seen["top_p"] == 0.95
    assert seen["top_k"] == 40
    assert seen["min_p"] == 0.0
    assert seen["repeat_penalty"] == 1.0
    assert seen["presence_penalty"] == 0.0
    run(qwq, "q", temperature=0.0, top_k=20, presence_penalty=1.5)
    assert (seen["temp"], seen["top_k"], seen["presence_penalty"]) == (0.0, 20, 1.5)


def test_cancel_stops_within_one_token(scripted: ScriptFactory) -> None:
    model = scripted([f" w{i}" for i in range(50)], loop=True)
    engine = LocalEngine(model.path, SMALL)
    try:
        generation = engine.chat([ChatMessage.user("q")])
        after_cancel: list[ChatEvent] = []
        for seen, event in enumerate(generation):
            if seen == 10:
                generation.cancel()
            if seen >= 10:
                after_cancel.append(event)
        done = after_cancel[-1]
        assert isinstance(done, GenerationDone)
        assert done.finish_reason == "cancelled"
        assert len(after_cancel) <= 2  # at most the rest of one token, then Done
        assert done.stats.generated_tokens <= 11
        # The engine is free again and works.
        _, again = run(engine, "q", max_tokens=3)
        assert again.finish_reason == "length"
    finally:
        engine.close()


def test_cancel_from_another_thread(scripted: ScriptFactory) -> None:
    model = scripted([f" v{i}" for i in range(50)], loop=True)
    engine = LocalEngine(model.path, SMALL)
    try:
        generation = engine.chat([ChatMessage.user("q")])
        started = threading.Event()
        result: list[ChatEvent] = []

        def consume() -> None:
            for event in generation:
                started.set()
                result.append(event)

        worker = threading.Thread(target=consume)
        worker.start()
        assert started.wait(10)
        engine.cancel()
        worker.join(10)
        assert not worker.is_alive()
        done = result[-1]
        assert isinstance(done, GenerationDone)
        assert done.finish_reason == "cancelled"
        assert done.stats.generated_tokens < 4000
    finally:
        engine.close()


def test_one_generation_at_a_time(qwq: LocalEngine) -> None:
    first = qwq.chat([ChatMessage.user("a")])
    with pytest.raises(EngineBusyError):
        qwq.chat([ChatMessage.user("b")])
    list(first)
    run(qwq, "c")
    never_started = qwq.chat([ChatMessage.user("d")])
    never_started.close()
    run(qwq, "e")


def test_history_sent_back_holds_answers_only(qwq: LocalEngine) -> None:
    _, first = run(qwq, "What is 2+2?")
    history = [
        ChatMessage.system("Be brief."),
        ChatMessage.user("What is 2+2?"),
        ChatMessage.assistant(first.answer, first.reasoning),
        ChatMessage.user("And 3+3?"),
        ChatMessage.assistant("<think>imported trace</think>\n\nSix.", ""),
        ChatMessage.user("Thanks"),
    ]
    generation = qwq.chat(history)
    prompt = generation.prompt
    list(generation)
    assert first.reasoning and first.reasoning not in prompt
    assert "Adding two and two" not in prompt
    assert "imported trace" not in prompt
    assert "<|im_start|>assistant\nThe answer is $\\boxed{4}$.<|im_end|>" in prompt
    assert "<|im_start|>assistant\nSix.<|im_end|>" in prompt
    assert prompt.count("<think>") == 1 and prompt.endswith("<think>\n")
    # The tokens llama.cpp evaluated hold no reasoning either.
    evaluated = bytes(b"".join(qwq.token_piece(t) for t in generation.prompt_tokens)).decode()
    assert "Adding two and two" not in evaluated


def test_follow_up_reuses_the_kv_cache_prefix(qwq: LocalEngine) -> None:
    history = [ChatMessage.user("What is 2+2? " * 50)]
    first = qwq.chat(history)
    first_tokens = list(first.prompt_tokens)
    done1 = list(first)[-1]
    assert isinstance(done1, GenerationDone)
    assert done1.stats.prompt_tokens_cached == 0
    history += [ChatMessage.assistant(done1.answer, done1.reasoning), ChatMessage.user("Thanks")]
    second = qwq.chat(history)
    done2 = list(second)[-1]
    assert isinstance(done2, GenerationDone)
    # Everything up to "<|im_start|>assistant\n" is reused; "<think>\n" is not, since
    # the history holds the answer there instead.
    assert done2.stats.prompt_tokens_cached == len(first_tokens) - 2
    assert second.prompt_tokens[: len(first_tokens) - 2] == first_tokens[:-2]
    # Only the previous answer and the new question are processed (bytes here: ~1 token each).
    answer_and_question = len(done1.answer) + len("Thanks") + 30
    assert done2.stats.prompt_tokens_processed <= answer_and_question
    assert done2.stats.prompt_tokens > 10 * answer_and_question


def test_metadata_is_read_from_the_gguf(qwq: LocalEngine, qwq_model: ScriptedModel) -> None:
    info = qwq.info
    assert info.architecture == "qwen2"
    assert info.layer_count == 1
    assert info.trained_context == 131072
    assert info.quantization == "ALL_F32".removeprefix("ALL_")
    assert info.chat_template == QWQ_TEMPLATE
    assert info.name == "Scripted QwQ"
    assert info.parameter_count > qwq_model.n_vocab * qwq_model.n_vocab
    assert info.context_length == 4096
    assert info.rope_scaling == "none"
    if llama_cpp.llama_supports_gpu_offload():  # the GPU proof's CUDA build: all on the GPU
        assert info.backend == backend_name() and info.gpu_layers == info.layer_count
    else:
        assert info.backend == "CPU" and info.gpu_layers == 0


def test_default_context_is_32k_without_rope_scaling(qwq_model: ScriptedModel) -> None:
    engine = LocalEngine(qwq_model.path)
    try:
        assert engine.info.context_length == 32768
        assert engine.info.rope_scaling == "none"
    finally:
        engine.close()


def test_long_context_on_qwen2_uses_yarn_as_the_model_card_says(qwq_model: ScriptedModel) -> None:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=65536))
    try:
        assert engine.info.context_length == 65536
        assert engine.info.rope_scaling == "yarn"
        params = engine._llm.context_params
        assert params.rope_scaling_type == llama_cpp.LLAMA_ROPE_SCALING_TYPE_YARN
        assert params.rope_freq_scale == pytest.approx(0.25)
        assert params.yarn_orig_ctx == 32768
        _, done = run(engine, "q")
        assert done.answer == QWQ_ANSWER
    finally:
        engine.close()


def test_prompt_larger_than_the_context_is_a_clear_error(qwq_model: ScriptedModel) -> None:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=256))
    try:
        with pytest.raises(
            ContextOverflowError, match=r"prompt is [\d,]+ tokens but the context holds 256"
        ):
            engine.chat([ChatMessage.user("word " * 400)])
        # The engine is not left busy.
        _, done = run(engine, "short")
        assert done.answer == QWQ_ANSWER
    finally:
        engine.close()


def test_long_history_drops_the_oldest_exchanges(qwq_model: ScriptedModel) -> None:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=512))
    try:
        history: list[ChatMessage] = [ChatMessage.system("You are QwQ.")]
        for i in range(12):
            history += [
                ChatMessage.user(f"question {i} " + "pad " * 20),
                ChatMessage.assistant(f"answer {i}"),
            ]
        history.append(ChatMessage.user("the newest question"))
        generation = engine.chat(history)
        done = list(generation)[-1]
        assert isinstance(done, GenerationDone)
        assert done.stats.history_messages_dropped > 0
        assert done.stats.history_messages_dropped % 2 == 0  # whole exchanges
        assert "question 0 " not in generation.prompt
        assert "You are QwQ." in generation.prompt
        assert "the newest question" in generation.prompt
        assert done.stats.prompt_tokens + 512 // 8 <= 512
    finally:
        engine.close()


def test_empty_prompt_is_refused(qwq: LocalEngine) -> None:
    with pytest.raises(InvalidRequestError, match="empty"):
        qwq.chat([ChatMessage.user("  \n ")])
    run(qwq, "still works")


def test_generation_left_unfinished_frees_the_engine(qwq: LocalEngine) -> None:
    generation = qwq.chat([ChatMessage.user("q")])
    next(iter(generation))
    generation.close()
    run(qwq, "next")


def test_a_llama_cpp_failure_mid_reply_ends_the_stream_with_an_error_and_keeps_the_text(
    qwq: LocalEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Make llama.cpp's decode fail on the fifth token, as it does when memory runs out.
    real_eval = llama_cpp.Llama.eval
    calls = {"n": 0}

    def failing_eval(self: llama_cpp.Llama, tokens: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("llama_decode returned -3")
        real_eval(self, tokens)

    monkeypatch.setattr(llama_cpp.Llama, "eval", failing_eval)
    _, done = run(qwq, "q")
    assert done.finish_reason == "error"
    assert done.error is not None and "llama_decode returned -3" in done.error
    assert done.reasoning == "Okay, the user wants 2+2. Adding two and two gives four."
    assert done.stats.generated_tokens == 4
    monkeypatch.setattr(llama_cpp.Llama, "eval", real_eval)
    _, again = run(qwq, "q")
    assert again.finish_reason == "stop"


def test_a_q8_0_kv_cache_loads_with_flash_attention_and_answers(qwq_model: ScriptedModel) -> None:
    engine = LocalEngine(qwq_model.path, LoadSettings(context_length=2048, kv_cache_type="q8_0"))
    try:
        assert engine.info.kv_cache_type == "q8_0"
        assert engine._llm.context_params.type_k == llama_cpp.GGML_TYPE_Q8_0
        assert engine._llm.context_params.type_v == llama_cpp.GGML_TYPE_Q8_0
        answer = "".join(
            e.text for e in engine.chat([ChatMessage("user", "2+2?")]) if isinstance(e, AnswerDelta)
        )
        assert answer == QWQ_ANSWER
    finally:
        engine.close()


def test_out_of_memory_retries_step_down_to_the_cpu() -> None:
    # -1 (all of 64) -> 48 -> 36 -> 27 -> ... -> 3 -> 0, then give up.
    steps: list[int] = []
    tried: int | None = -1
    while tried is not None:
        tried = fewer_layers(tried, 64)
        steps += [] if tried is None else [tried]
    assert steps[:3] == [48, 36, 27] and steps[-1] == 0
    assert all(a > b for a, b in itertools.pairwise(steps))
    assert fewer_layers(0, 64) is None
    assert fewer_layers(200, 64) == 48


def test_the_engine_says_what_runs_where_and_what_it_keeps(
    qwq: LocalEngine, qwq_model: ScriptedModel
) -> None:
    """What the faces ask the ChatEngine protocol instead of isinstance(LocalEngine)."""
    engine: ChatEngine = qwq
    assert engine.description.endswith("· CPU")
    assert qwq.info.quantization in engine.description
    assert engine.model_file == Path(qwq_model.path)
    cache = engine.kv_cache
    assert cache is qwq
    run(qwq, "What is 2+2?")
    assert cache.cached_tokens > 0
    assert cache.state_size() > 0  # llama.cpp counts the state it would write


# -- tool calls in the stream (issue 16) -----------------------------------------------

TOOL_SCRIPT = [
    "I could write ",  # a call inside the trace: the model thinking aloud, not a call
    "<tool_",
    "call>",
    '{"name": "calculator", "arguments": {"expression": "6*7"}}',
    "</tool_call>",
    " but I will ask properly.",
    "</think>",
    "\n\n",
    "Let me compute",
    ".\n<tool",  # the answer's call, its tags cut across tokens
    "_call>\n",
    '{"name": "calculator", "arguments": {"expression": "2**10"}}',
    "\n</tool",
    "_call",
    ">\nThen I answer.",
]


CALC = ToolSpec("calculator", "Exact arithmetic.", {"type": "object", "properties": {}})


def test_only_the_answers_tool_call_comes_out_of_the_stream(scripted: ScriptFactory) -> None:
    engine = LocalEngine(scripted(TOOL_SCRIPT).path, SMALL)
    try:
        generation = engine.chat([ChatMessage.user("What is 2**10?")], tools=[CALC])
        events = list(generation)
    finally:
        engine.close()
    assert "<tools>" in generation.prompt and '"name": "calculator"' in generation.prompt

    reasoning = texts(events, ReasoningDelta)
    assert '<tool_call>{"name": "calculator", "arguments": {"expression": "6*7"}}' in reasoning
    requested = [e.call for e in events if isinstance(e, ToolCallRequested)]
    assert len(requested) == 1  # the trace's call is not one
    call = requested[0]
    assert isinstance(call, ToolCall)
    assert (call.name, call.arguments) == ("calculator", {"expression": "2**10"})
    assert call.raw == (
        '<tool_call>\n{"name": "calculator", "arguments": {"expression": "2**10"}}\n</tool_call>'
    )
    kinds = [
        "call" if isinstance(e, ToolCallRequested) else "text"
        for e in events
        if isinstance(e, AnswerDelta | ToolCallRequested)
    ]
    assert [k for k, _ in itertools.groupby(kinds)] == ["text", "call", "text"]  # in order
    done = events[-1]
    assert isinstance(done, GenerationDone) and done.finish_reason == "tool_calls"
    assert done.answer == texts(events, AnswerDelta) == "Let me compute.\n\nThen I answer."
    assert done.tool_calls == (call,)


def test_without_tools_a_call_is_only_text(scripted: ScriptFactory) -> None:
    engine = LocalEngine(scripted(TOOL_SCRIPT).path, SMALL)
    try:
        events = list(engine.chat([ChatMessage.user("What is 2**10?")]))
    finally:
        engine.close()
    assert not any(isinstance(e, ToolCallRequested) for e in events)
    done = events[-1]
    assert isinstance(done, GenerationDone) and done.finish_reason == "stop"
    assert '<tool_call>\n{"name": "calculator"' in done.answer  # nothing the model wrote lost


def test_a_malformed_or_unclosed_call_is_reported_not_lost(scripted: ScriptFactory) -> None:
    script = [
        "Hmm.",
        "</think>",
        "\n\n",
        "<tool_call>",
        "{name: calculator}",
        "</tool_call>",
        " and ",
        "<tool_call>\n",
        '{"name": "datetime"',
    ]
    engine = LocalEngine(scripted(script).path, SMALL)
    try:
        events = list(engine.chat([ChatMessage.user("Now?")], tools=[CALC]))
    finally:
        engine.close()
    bad = [e.call for e in events if isinstance(e, ToolCallRequested)]
    assert [type(c) for c in bad] == [MalformedToolCall, MalformedToolCall]
    assert isinstance(bad[0], MalformedToolCall) and "not valid JSON" in bad[0].reason
    assert isinstance(bad[1], MalformedToolCall) and "not closed" in bad[1].reason
    done = events[-1]
    assert isinstance(done, GenerationDone)
    assert done.finish_reason == "stop"  # nothing well-formed to run
    assert done.tool_calls == tuple(bad)


def test_the_next_round_follows_the_results(scripted: ScriptFactory) -> None:
    """A history ending with the calls' results is the next round's prompt: the call as the
    model wrote it, and the result in a <tool_response>."""
    engine = LocalEngine(scripted(["Done", "</think>", "\n\n", "1024."]).path, SMALL)
    call = ToolCall("call_x_1", "calculator", {"expression": "2**10"})
    history = [
        ChatMessage.user("What is 2**10?"),
        ChatMessage.assistant("Let me compute.", "a trace", (call,)),
        ChatMessage.tool("call_x_1", "1024"),
    ]
    try:
        generation = engine.chat(history, tools=[CALC])
        done = list(generation)[-1]
        with pytest.raises(InvalidRequestError, match="follow an answer that called tools"):
            engine.chat([ChatMessage.user("Hi"), ChatMessage.tool("call_x_1", "1024")])
    finally:
        engine.close()
    assert isinstance(done, GenerationDone) and done.answer == "1024."
    assert "<tool_response>\n1024\n</tool_response>" in generation.prompt
    assert "a trace" not in generation.prompt  # the calling turn's thinking stays out
