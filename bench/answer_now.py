""" "Answer now" and "Continue": what closing the trace in place, and going on from a
stopped reply, cost on the real gemma3 270M.

gemma's template opens no trace, so the prompt is given one (``<think>\\n`` after the
generation prompt, as QwQ's template does). The model thinks for ``--after`` tokens,
then ``force_answer()`` is called (as the window's button or the terminal's Ctrl+C
does, between two tokens). Reported, per round: the tokens of the wrap-up, the time
from force_answer to the first answer token,
the prompt tokens processed (the close adds none), and, for comparison, what a new
request with the trace in its prompt would process from scratch.

Then Continue: the model thinks for ``--after`` tokens and is stopped (Stop), and the
trace goes on (``--more`` tokens) three ways: from the KV cache (the reply is the last
one the engine generated), with a Steer hint, and rebuilt from the stored text (the
cache wiped, as after another chat). Reported: the time from the request to the first
new token and the prompt tokens processed.

    python bench/answer_now.py [--after 200] [--more 20] [--rounds 5] [--threads 2]
                               [--continue-only]
"""

from __future__ import annotations

import argparse
import time

from _common import gemma_path, machine, median

from app.core.events import AnswerDelta, GenerationDone, ReasoningDelta
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import Continuation, ThinkingControl, steer_text
from app.engine.local_engine import LoadSettings, LocalEngine, LocalGeneration, Steer
from app.engine.resume import rebuild, reuse

PROMPT = "How many prime numbers are there below 100? Think step by step."


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--after", type=int, default=200, help="thinking tokens before the click")
    parser.add_argument("--more", type=int, default=20, help="tokens a continuation adds")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--continue-only", action="store_true", help="skip answer now")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    path = gemma_path()
    engine = LocalEngine(path, LoadSettings(context_length=4096, threads=args.threads))
    prompt = engine.render([ChatMessage.user(PROMPT)]) + "<think>\n"
    tokens = engine.tokenize(prompt)
    latencies, rebuilds, tokens_per_s = [], [], []
    for r in range(0 if args.continue_only else args.rounds):
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
    if latencies:
        print(f"median answer-now to the first answer token: {median(latencies) * 1000:.0f} ms")
        print(f"median re-processing the trace instead: {median(rebuilds) * 1000:.0f} ms")
        print(f"median decode speed: {median(tokens_per_s):.1f} tok/s")
    print()
    continue_rounds(engine, prompt, tokens, args)
    engine.close()


OFF = ThinkingControl(loop_guard="off")
HINT = "Count them by tens: 2-10, 11-20, and so on."


def go_on(
    engine: LocalEngine,
    prompt: str,
    tokens: list[int],
    continuation: Continuation,
    sampling: SamplingSettings,
    from_cache: bool,
) -> tuple[float, GenerationDone, bool]:
    """What ``engine.chat(..., continuation=...)`` does, for a prompt that opens the trace
    itself: (seconds to the first new token of the model's, the end, whether it reused)."""
    t = time.perf_counter()
    engine._busy.acquire()
    last = engine._last if from_cache else None
    resume = reuse(last, tokens, continuation, True, engine.token_piece)
    reused = resume is not None
    if resume is None:
        resume = rebuild(prompt, tokens, continuation, engine.tokenize)
    steer = None
    if continuation.hint:
        text = steer_text(continuation.hint)
        steer = Steer(text, engine._llm.tokenize(text.encode(), add_bos=False, special=False))
    generation = LocalGeneration(
        engine, prompt, tokens, sampling, 0, OFF, resume=resume, steer=steer
    )
    first = 0.0
    for event in generation:
        model_text = isinstance(event, AnswerDelta) or (
            isinstance(event, ReasoningDelta) and not event.inserted
        )
        if model_text and not first:
            first = time.perf_counter() - t
        if isinstance(event, GenerationDone):
            done = event
    return first, done, reused


def continue_rounds(
    engine: LocalEngine, prompt: str, tokens: list[int], args: argparse.Namespace
) -> None:
    ways = ("from the cache", "steer, from the cache", "rebuilt from the text")
    firsts: dict[str, list[float]] = {w: [] for w in ways}
    processed: dict[str, list[int]] = {w: [] for w in ways}
    for r in range(args.rounds):
        engine._llm.reset()
        engine._busy.acquire()
        sampling = SamplingSettings(seed=200 + r, max_tokens=args.after)
        stopped = LocalGeneration(engine, prompt, tokens, sampling, 0, OFF)
        for event in stopped:  # max_tokens stands for Stop: the trace is cut here
            if isinstance(event, GenerationDone):
                old = event
        assert not old.reasoning_finished, "the model closed its trace: try another seed"
        more = SamplingSettings(seed=300 + r, max_tokens=args.more)
        for way in ways:
            hint = HINT if way.startswith("steer") else ""
            if way.startswith("rebuilt"):
                engine._llm.reset()  # as after another chat: nothing of the reply is cached
            first, done, reused = go_on(
                engine,
                prompt,
                tokens,
                Continuation(old.reasoning, hint=hint),
                more,
                from_cache=not way.startswith("rebuilt"),
            )
            assert reused == (not way.startswith("rebuilt")), way
            assert done.reasoning.startswith(old.reasoning), way
            s = done.stats
            firsts[way].append(first)
            processed[way].append(s.prompt_tokens_processed)
            print(
                f"round {r + 1}, continue {way}: first new token after {first * 1000:.0f} ms, "
                f"prompt tokens processed {s.prompt_tokens_processed} of {s.prompt_tokens}, "
                f"inserted {s.inserted_tokens}"
            )
    print(f"\nContinue after {args.after} thinking tokens, {args.more} more, medians:")
    for way in ways:
        print(
            f"  {way}: first new token {median(firsts[way]) * 1000:.0f} ms, prompt tokens "
            f"processed {median([float(p) for p in processed[way]]):.0f}"
        )


if __name__ == "__main__":
    main()
