"""Tokens per second through our engine vs a bare llama-cpp-python loop.

Same GGUF (gemma3 270M Q4_K_M), same prompt tokens, same sampling (the QwQ model
card's), same seed, same threads, in the same run; rounds alternate which goes
first. Decode speed counts from the first to the last generated token, so the
prompt is left out of both.

    python bench/engine_throughput.py [--tokens 256] [--rounds 5] [--threads 2]
"""

from __future__ import annotations

import argparse
import time

import llama_cpp
from _common import gemma_path, machine, median

from app.core.events import GenerationDone
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine.local_engine import LoadSettings, LocalEngine

PROMPT = "Write a long story about a lighthouse keeper who finds a message in a bottle."


def bare_loop(
    llm: llama_cpp.Llama, tokens: list[int], n: int, s: SamplingSettings, seed: int
) -> tuple[float, int]:
    """What a developer writes on llama-cpp-python: generate, stop at EOG, detokenize."""
    llm.set_seed(seed)
    vocab = llm._model.vocab
    pieces = []
    count = 0
    t_first = t_last = 0.0
    for token in llm.generate(
        tokens,
        top_k=s.top_k,
        top_p=s.top_p,
        min_p=s.min_p,
        temp=s.temperature,
        repeat_penalty=s.repeat_penalty,
        presence_penalty=s.presence_penalty,
        frequency_penalty=s.frequency_penalty,
    ):
        now = time.perf_counter()
        count += 1
        if count == 1:
            t_first = now
        t_last = now
        if llama_cpp.llama_vocab_is_eog(vocab, token) or count > n:
            break
        pieces.append(llm.detokenize([token], special=True))
    return (count - 1) / (t_last - t_first), count - 1


def engine_loop(engine: LocalEngine, n: int, s: SamplingSettings) -> tuple[float, int]:
    done = None
    for event in engine.chat([ChatMessage.user(PROMPT)], s):
        done = event
    assert isinstance(done, GenerationDone)
    return done.stats.tokens_per_second, done.stats.generated_tokens


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    path = gemma_path()
    n_ctx = 2048
    engine = LocalEngine(path, LoadSettings(context_length=n_ctx, threads=args.threads))
    bare = llama_cpp.Llama(
        model_path=str(path),
        n_ctx=n_ctx,
        n_batch=512,
        n_ubatch=512,
        n_gpu_layers=0,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        verbose=False,
    )
    tokens = engine.tokenize(engine.render([ChatMessage.user(PROMPT)]))
    ours, theirs, ratios = [], [], []
    for r in range(args.rounds):
        seed = 1000 + r
        s = SamplingSettings(max_tokens=args.tokens, seed=seed)
        bare.reset()
        # A different prompt in between, so neither side gets the KV cache for free.
        engine._llm.reset()
        order = [
            ("bare", lambda s=s, seed=seed: bare_loop(bare, tokens, args.tokens, s, seed)),
            ("ours", lambda s=s: engine_loop(engine, args.tokens, s)),
        ]
        if r % 2:
            order.reverse()
        result = {}
        for name, fn in order:
            result[name] = fn()
        (tb, nb), (te, ne) = result["bare"], result["ours"]
        theirs.append(tb)
        ours.append(te)
        ratios.append(te / tb)
        print(
            f"round {r + 1}: bare {tb:6.2f} tok/s ({nb} tokens)  ours {te:6.2f} tok/s ({ne} tokens)  ratio {te / tb:.3f}"
        )
    print(f"\nmachine: {machine()}")
    print(f"model: {path.name}, {args.threads} threads, {args.tokens} tokens, {args.rounds} rounds")
    print(f"median bare llama-cpp-python: {median(theirs):.2f} tok/s")
    print(f"median QwQ Desktop engine:    {median(ours):.2f} tok/s")
    print(f"median ratio (ours / bare):   {median(ratios):.3f}")
    engine.close()
    bare.close()


if __name__ == "__main__":
    main()
