"""The loop guard on the test corpus: false positives, detection latency, cost per token.

The traces (tests/fixtures/reasoning_traces.py) are cut into real tokens by gemma3
270M's tokenizer (a BPE tokenizer like QwQ's; loaded vocab-only) and fed one token
text at a time, as the engine does.

    python bench/loop_guard.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import gemma_path, machine

from app.core.loop_guard import LoopGuard
from tests.fixtures.reasoning_traces import LOOPING, VARIED


def tokenizer() -> object:
    import llama_cpp

    return llama_cpp.Llama(str(gemma_path()), vocab_only=True, verbose=False)


def token_texts(model: object, text: str) -> list[str]:
    import llama_cpp

    assert isinstance(model, llama_cpp.Llama)
    pieces: list[str] = []
    for token in model.tokenize(text.encode(), add_bos=False, special=False):
        pieces.append(model.detokenize([token]).decode("utf-8", "replace"))
    return pieces


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    model = tokenizer()
    print(f"machine: {machine()}")

    # False positives.
    varied = {name: token_texts(model, text) for name, text in VARIED.items()}
    chars = sum(map(len, VARIED.values()))
    tokens = sum(map(len, varied.values()))
    false_positives = 0
    for pieces in varied.values():
        guard = LoopGuard()
        false_positives += any([guard.feed(piece) for piece in pieces])
    print(f"corpus: {len(VARIED)} varied traces, {chars:,} chars, {tokens:,} tokens")
    print(f"false positives: {false_positives}")

    # Latency after the loop starts.
    print(
        f"{'looping trace':<20} {'period':>7} {'chars':>7} {'tokens':>7}  (after the loop starts)"
    )
    for loop in LOOPING:
        guard = LoopGuard()
        for piece in token_texts(model, loop.text[: loop.loop_start]):
            guard.feed(piece)
        fed_chars = fed_tokens = 0
        for piece in token_texts(model, loop.text[loop.loop_start :]):
            fed_chars += len(piece)
            fed_tokens += 1
            if guard.feed(piece):
                break
        verdict = f"{fed_chars:>7,} {fed_tokens:>7,}" if guard.tripped else "  never"
        print(f"{loop.name:<20} {loop.period:>7,} {verdict}")

    # Cost per token: the whole varied corpus (nothing trips, so all of it is scanned).
    stream = [piece for pieces in varied.values() for piece in pieces]
    per_token: list[float] = []
    for _ in range(args.rounds):
        guard = LoopGuard()
        started = time.perf_counter()
        for index, piece in enumerate(stream):
            if index % 20_000 == 0:
                guard.reset()  # one trace at a time, as in a conversation
            guard.feed(piece)
        per_token.append((time.perf_counter() - started) / len(stream) * 1e6)
    cost = statistics.median(per_token)
    print(f"cost: {cost:.2f} µs per token (median of {args.rounds}, {len(stream):,} tokens)")
    guard = LoopGuard()
    calls: list[int] = []
    for index, piece in enumerate(stream):
        if index % 20_000 == 0:
            guard.reset()
        started_ns = time.perf_counter_ns()
        guard.feed(piece)
        calls.append(time.perf_counter_ns() - started_ns)
    calls.sort()
    p99, worst = calls[len(calls) * 99 // 100] / 1e3, calls[-1] / 1e3
    print(f"  one call: p99 {p99:.1f} µs, worst {worst:.1f} µs")
    for rate in (5, 30, 100):
        print(f"  at {rate} tokens/s: {cost * rate / 1e6:.4%} of decoding time")


if __name__ == "__main__":
    main()
