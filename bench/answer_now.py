""" "Answer now": what closing the trace in place costs, on the real gemma3 270M.

gemma's template opens no trace, so the prompt is given one (``<think>\\n`` after the
generation prompt, as QwQ's template does). The model thinks for ``--after`` tokens,
then ``force_answer()`` is called (as the window's button or the terminal's Ctrl+C
does, between two tokens). Reported, per round: the tokens of the wrap-up, the time
from force_answer to the first answer token,
the prompt tokens processed (the close adds none), and, for comparison, what a new
request with the trace in its prompt would process from scratch.

    python bench/answer_now.py [--after 200] [--rounds 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

from _common import gemma_path, machine, median

from app.core.events import AnswerDelta, GenerationDone, ReasoningDelta
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import ThinkingControl
from app.engine.local_engine import LoadSettings, LocalEngine, LocalGeneration

PROMPT = "How many prime numbers are there below 100? Think step by step."


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--after", type=int, default=200, help="thinking tokens before the click")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    path = gemma_path()
    engine = LocalEngine(path, LoadSettings(context_length=4096, threads=args.threads))
    prompt = engine.render([ChatMessage.user(PROMPT)]) + "<think>\n"
    tokens = engine.tokenize(prompt)
    latencies, rebuilds, tokens_per_s = [], [], []
    for r in range(args.rounds):
        engine._llm.reset()
        engine._busy.acquire()  # what chat() does; the generation releases it
        sampling = SamplingSettings(seed=100 + r, max_tokens=args.after + 2000)
        generation = LocalGeneration(
            engine, prompt, tokens, sampling, 0, ThinkingControl(loop_guard="off")
        )
        clicked = first_after = 0.0
        seen = 0
        for event in generation:
            if isinstance(event, ReasoningDelta) and not event.inserted and not clicked:
                seen += 1
                if seen >= args.after:
                    generation.force_answer()
                    clicked = time.perf_counter()
            elif clicked and not first_after and isinstance(event, AnswerDelta):
                first_after = time.perf_counter()
            if isinstance(event, GenerationDone):
                done = event
        s = done.stats
        assert done.reasoning_ended_by == "user", done.reasoning_ended_by
        assert first_after, "no answer after the wrap-up"
        latency = first_after - clicked
        # The alternative: a new request whose prompt holds the trace and the wrap-up.
        context = tokens + engine.tokenize(done.reasoning)
        engine._llm.reset()
        t = time.perf_counter()
        engine._llm.eval(context)
        rebuild = time.perf_counter() - t
        latencies.append(latency)
        rebuilds.append(rebuild)
        tokens_per_s.append(s.tokens_per_second)
        print(
            f"round {r + 1}: wrap-up {s.inserted_tokens} tokens, answer-now to the first answer token "
            f"{latency * 1000:.0f} ms, prompt tokens processed {s.prompt_tokens_processed} "
            f"(of {s.prompt_tokens}; the close adds none), reasoning {s.reasoning_tokens} "
            f"tokens; re-processing prompt+trace ({len(context)} tokens) instead: "
            f"{rebuild * 1000:.0f} ms"
        )
    print(f"\nmachine: {machine()}")
    print(f"model: {path.name}, {args.threads} threads, click after {args.after} tokens")
    print(f"median answer-now to the first answer token: {median(latencies) * 1000:.0f} ms")
    print(f"median re-processing the trace instead: {median(rebuilds) * 1000:.0f} ms")
    print(f"median decode speed: {median(tokens_per_s):.1f} tok/s")
    engine.close()


if __name__ == "__main__":
    main()
