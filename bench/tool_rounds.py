"""Prefix reuse across a tool turn's rounds: what the second round processes.

A scripted QwQ (tests/fixtures/scripted_model.py, real llama.cpp) calls the calculator in
round 1 and answers in round 2, after a long conversation (``--history`` tokens) so that
processing the prompt again would cost something. Reported per round: prompt tokens,
cached, processed, and the time to the first token; then the same second-round prompt
cold (a fresh cache), and raw llama-cpp-python's own prefix reuse on the same two prompts
(``Llama.generate`` after the first prompt), in the same run.

    python bench/tool_rounds.py [--history 6000] [--runs 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import machine, median

from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine.local_engine import LoadSettings, LocalEngine
from app.store.conversations import ConversationStore
from app.tool_turn import ToolTurn
from app.tools.builtin import builtin_tools
from tests.fixtures.scripted_model import write_scripted_model

CALC = [
    "I should compute it.",
    "</think>",
    "\n\n",
    "<tool_call>\n",
    '{"name": "calculator", "arguments": {"expression": "2**64 - 1"}}',
    "\n</tool_call>",
]
ANSWER = ["It is ", "18446744073709551615.", "</", "think>\n\n", "**18446744073709551615**"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, default=6000, help="characters of history")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    model = write_scripted_model(folder / "m.gguf", CALC, after_tool_results=ANSWER)
    history = [
        ChatMessage.user("Earlier: " + "lorem ipsum " * (args.history // 24)),
        ChatMessage.assistant("Noted. " + "dolor sit amet " * (args.history // 30)),
        ChatMessage.user("What is 2^64 - 1?"),
    ]
    print(machine())
    with ConversationStore(folder / "data") as store:
        tools = list(builtin_tools(store, names=["calculator", "datetime"]).values())
        ours: list[tuple[int, int, int, float]] = []
        cold: list[float] = []
        for _ in range(args.runs):
            engine = LocalEngine(model.path, LoadSettings(context_length=16384))
            turn = ToolTurn(engine, history, SamplingSettings(seed=1), None, tools)
            list(turn)
            first, second = turn.rounds
            ours.append(
                (
                    second.prompt_tokens,
                    second.prompt_tokens_cached,
                    second.prompt_tokens_processed,
                    second.time_to_first_token_s,
                )
            )
            # The same second-round prompt, cold.
            fresh = LocalEngine(model.path, LoadSettings(context_length=16384))
            messages = [*history, *turn._messages[len(history) :]]
            done = list(fresh.chat(messages, tools=[t.spec() for t in tools]))[-1]
            cold.append(done.stats.time_to_first_token_s)  # type: ignore[union-attr]
            specs = [t.spec() for t in tools]
            raw_first = engine.tokenize(engine.render(history, specs))
            raw_second = engine.tokenize(engine.render(messages, specs))
            fresh.close()
            engine.close()
        prompt, cached, processed, _ = ours[-1]
        print(
            f"round 1: prompt {first.prompt_tokens:,} tokens, "
            f"processed {first.prompt_tokens_processed:,}"
        )
        print(
            f"round 2: prompt {prompt:,} tokens, cached {cached:,}, processed {processed:,}; "
            f"time to first token {median([o[3] for o in ours]) * 1000:.1f} ms "
            f"(cold, same prompt: {median(cold) * 1000:.1f} ms)"
        )
        raw = _raw_reuse(model.path, raw_first, raw_second)
        print(f"raw llama-cpp-python, same two prompts: round 2 evaluates {raw:,} tokens")


def _raw_reuse(path: Path, first: list[int], second: list[int]) -> int:
    """Tokens raw llama-cpp-python evaluates for ``second`` after generating from ``first``
    (its generate() reuses the longest common prefix of the tokens it holds)."""
    import llama_cpp

    llm = llama_cpp.Llama(str(path), n_ctx=16384, verbose=False)
    for _token in llm.generate(first, temp=0.0):
        break
    held = llm.n_tokens
    common = 0
    for a, b in zip(llm._input_ids[:held].tolist(), second, strict=False):
        if a != b:
            break
        common += 1
    llm.close()
    return len(second) - min(common, len(second) - 1)


if __name__ == "__main__":
    main()
