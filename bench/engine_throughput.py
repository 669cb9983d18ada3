"""Tokens per second through our engine vs a bare llama-cpp-python loop.

Same GGUF (gemma3 270M Q4_K_M), same prompt tokens, same sampling (the QwQ model
card's), same seed, same threads, in the same run. The two run in lockstep, one
token each in turn, each on its own llama.cpp context: a shared 2-core VM swings
by +-15% from minute to minute, and lockstep makes both sides live through the
same swings. Only decoding is timed (from the first token on), not the prompt.

    python bench/engine_throughput.py [--tokens 256] [--rounds 5] [--threads 2]
        [--model PATH] [--gpu-layers N] [--flash-attention] [--context 2048]

By default gemma3 270M on the CPU. ``--model`` and ``--gpu-layers`` (-1: all) measure
another GGUF on a GPU build, the same way: per-token Python work weighs most at GPU speeds.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from pathlib import Path

import llama_cpp
from _common import gemma_path, machine, median

from app.core.events import ChatEvent, GenerationDone
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.core.thinking import LOOP_ACTIONS, ThinkingControl
from app.engine.local_engine import LoadSettings, LocalEngine

PROMPT = "Write a long story about a lighthouse keeper who finds a message in a bottle."


def bare_loop(
    llm: llama_cpp.Llama, tokens: list[int], n: int, s: SamplingSettings, seed: int
) -> Iterator[bytes]:
    """What a developer writes on llama-cpp-python: generate, stop at EOG, detokenize."""
    llm.set_seed(seed)
    vocab = llm._model.vocab
    for count, token in enumerate(
        llm.generate(
            tokens,
            top_k=s.top_k,
            top_p=s.top_p,
            min_p=s.min_p,
            temp=s.temperature,
            repeat_penalty=s.repeat_penalty,
            presence_penalty=s.presence_penalty,
            frequency_penalty=s.frequency_penalty,
        )
    ):
        if llama_cpp.llama_vocab_is_eog(vocab, token) or count >= n:
            return
        yield llm.detokenize([token], special=True)


class Side:
    """One contestant: an iterator advanced one step at a time, with its decode time."""

    def __init__(self, steps: Iterator[object]) -> None:
        self.steps = steps
        self.seconds = 0.0
        self.steps_taken = 0
        self.done = False

    def step(self, timed: bool) -> None:
        t = time.perf_counter()
        try:
            next(self.steps)
        except StopIteration:
            self.done = True
        if timed and not self.done:
            self.seconds += time.perf_counter() - t
            self.steps_taken += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--loop-guard",
        choices=LOOP_ACTIONS,
        default="answer",
        help="our engine's loop guard (on by default, as in the app)",
    )
    parser.add_argument("--model", type=Path, help="a GGUF file (default: gemma3 270M)")
    parser.add_argument("--gpu-layers", type=int, default=0, help="-1: all (default: 0)")
    parser.add_argument("--flash-attention", action="store_true", help="on both sides")
    parser.add_argument("--context", type=int, default=2048)
    args = parser.parse_args()

    path = args.model or gemma_path()
    n_ctx = args.context
    engine = LocalEngine(
        path,
        LoadSettings(
            context_length=n_ctx,
            threads=args.threads,
            gpu_layers=args.gpu_layers,
            flash_attention=args.flash_attention,
        ),
    )
    bare = llama_cpp.Llama(
        model_path=str(path),
        n_ctx=n_ctx,
        n_batch=512,
        n_ubatch=512,
        n_gpu_layers=args.gpu_layers,
        n_threads=args.threads,
        n_threads_batch=args.threads,
        flash_attn=args.flash_attention,
        verbose=False,
    )
    messages = [ChatMessage.user(PROMPT)]
    tokens = engine.tokenize(engine.render(messages))
    ours, theirs, ratios = [], [], []
    for r in range(args.rounds):
        seed = 1000 + r
        s = SamplingSettings(max_tokens=args.tokens, seed=seed)
        bare.reset()
        engine._llm.reset()  # neither side gets the KV cache for free
        generation = engine.chat(messages, s, ThinkingControl(loop_guard=args.loop_guard))
        events: list[ChatEvent] = []

        def our_steps(
            generation: Iterator[ChatEvent] = generation, events: list[ChatEvent] = events
        ) -> Iterator[object]:
            for event in generation:
                events.append(event)
                yield event

        a = Side(bare_loop(bare, tokens, args.tokens, s, seed))
        b = Side(our_steps())
        a.step(timed=False)  # the prompt, and the first token
        b.step(timed=False)
        sides = [a, b] if r % 2 == 0 else [b, a]
        while not (a.done and b.done):
            for side in sides:
                if not side.done:
                    side.step(timed=True)
        done = events[-1]
        assert isinstance(done, GenerationDone)
        # Our steps are events: one per token here (a base model's plain answer), plus
        # the Done event, which is not timed since the stream has ended by then.
        n_ours = done.stats.generated_tokens - 1
        tb = a.steps_taken / a.seconds
        te = n_ours / b.seconds
        theirs.append(tb)
        ours.append(te)
        ratios.append(te / tb)
        print(
            f"round {r + 1}: bare {tb:6.2f} tok/s ({a.steps_taken + 1} tokens)  "
            f"ours {te:6.2f} tok/s ({done.stats.generated_tokens} tokens)  ratio {te / tb:.3f}"
        )
    print(f"\nmachine: {machine()}")
    print(
        f"model: {path.name}, {args.gpu_layers} GPU layers ({engine.info.backend}), "
        f"{args.threads} threads, {args.tokens} tokens, {args.rounds} rounds"
    )
    print(f"median bare llama-cpp-python: {median(theirs):.2f} tok/s")
    print(f"median QwQ Desktop engine:    {median(ours):.2f} tok/s")
    print(f"median ratio (ours / bare):   {median(ratios):.3f}  (min {min(ratios):.3f})")
    engine.close()
    bare.close()


if __name__ == "__main__":
    main()
