"""How fast Stop lands: while a long prompt is processed, and while tokens stream.

gemma3 270M on the CPU, a prompt of several thousand tokens (seconds of work);
Stop is pressed part-way and we time until the stream's Done event.

    python bench/cancel_latency.py [--prompt-words 3000] [--threads 2]
"""

from __future__ import annotations

import argparse
import threading
import time

from _common import gemma_path, machine, median

from app.core.events import GenerationDone
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine.local_engine import LoadSettings, LocalEngine


def cancel_after(
    engine: LocalEngine, messages: list[ChatMessage], delay: float, first_token: bool
) -> tuple[float, GenerationDone]:
    generation = engine.chat(messages, SamplingSettings(seed=1))
    done: list[GenerationDone] = []
    got_token = threading.Event()

    def consume() -> None:
        for event in generation:
            got_token.set()
            if isinstance(event, GenerationDone):
                done.append(event)
                ended.append(time.perf_counter())

    ended: list[float] = []
    worker = threading.Thread(target=consume)
    worker.start()
    if first_token:
        got_token.wait()
    time.sleep(delay)
    pressed = time.perf_counter()
    generation.cancel()
    worker.join()
    return ended[0] - pressed, done[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt-words", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    engine = LocalEngine(gemma_path(), LoadSettings(context_length=8192, threads=args.threads))
    words = " ".join(f"word{i}" for i in range(args.prompt_words))

    during_prompt, during_stream = [], []
    for r in range(args.rounds):
        engine._llm.reset()
        messages = [ChatMessage.user(f"{r} {words}")]
        latency, done = cancel_after(engine, messages, 0.5, first_token=False)
        assert done.finish_reason == "cancelled" and done.stats.generated_tokens == 0
        during_prompt.append(latency)
        latency, done = cancel_after(
            engine, [ChatMessage.user("Tell me a story.")], 0.3, first_token=True
        )
        assert done.finish_reason == "cancelled"
        during_stream.append(latency)
    prompt_tokens = len(engine.tokenize(engine.render([ChatMessage.user(words)])))
    print(f"machine: {machine()}")
    print(f"prompt: {prompt_tokens:,} tokens; {args.rounds} rounds")
    print(
        f"stop while the prompt is processed: median {median(during_prompt) * 1000:.1f} ms, max {max(during_prompt) * 1000:.1f} ms"
    )
    print(
        f"stop while tokens stream:           median {median(during_stream) * 1000:.1f} ms, max {max(during_stream) * 1000:.1f} ms"
    )
    engine.close()


if __name__ == "__main__":
    main()
