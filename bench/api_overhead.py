"""What the local OpenAI-compatible server costs over calling the engine directly.

    .venv/bin/python bench/api_overhead.py --tokens 256 --rounds 5

gemma3 270M (Q4_K_M, from PyPI) generates ``--tokens`` tokens with a fixed seed, in
alternating rounds: straight from ``LocalEngine.chat``, and streamed through ``ApiServer``
on loopback to the official ``openai`` client (SSE, one chunk per delta). Prints the
median decode rate of each and their ratio, the time to the first chunk, and how long
a client's disconnect takes to free the engine (the next request's wait).
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import time

from _common import gemma_path, machine

from app.api.server import ApiServer
from app.core.events import AnswerDelta, GenerationDone, ReasoningDelta
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine.local_engine import LoadSettings, LocalEngine

PROMPT = "Write a long story about a lighthouse keeper."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def direct(engine: LocalEngine, tokens: int) -> tuple[float, float]:
    started = time.perf_counter()
    first = None
    done = None
    sampling = SamplingSettings(max_tokens=tokens, seed=1)
    for event in engine.chat([ChatMessage("user", PROMPT)], sampling):
        if first is None and isinstance(event, ReasoningDelta | AnswerDelta):
            first = time.perf_counter() - started
        if isinstance(event, GenerationDone):
            done = event
    assert done is not None
    return done.stats.generated_tokens / (time.perf_counter() - started - (first or 0)), first or 0


def through_api(base: str, tokens: int) -> tuple[float, float]:
    import openai

    with openai.OpenAI(base_url=base, api_key="x", max_retries=0) as client:
        started = time.perf_counter()
        first = None
        usage = None
        stream = client.chat.completions.create(
            model="qwq-32b",
            messages=[{"role": "user", "content": PROMPT}],
            max_tokens=tokens,
            seed=1,
            stream=True,
            stream_options={"include_usage": True},
        )
        for chunk in stream:
            if first is None and chunk.choices and (chunk.choices[0].delta.content or ""):
                first = time.perf_counter() - started
            if chunk.usage is not None:
                usage = chunk.usage
        assert usage is not None
        return usage.completion_tokens / (time.perf_counter() - started - (first or 0)), first or 0


def through_api_elsewhere(base: str, tokens: int) -> tuple[float, float]:
    """The same, with the client in its own process (as another program would be)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        rate, first = pool.apply(through_api, (base, tokens))
    return rate, first


def disconnect_release(base: str) -> float:
    """Seconds from a client dropping a stream to the next request being served."""
    import openai

    client = openai.OpenAI(base_url=base, api_key="x", max_retries=0)
    stream = client.chat.completions.create(
        model="qwq-32b",
        messages=[{"role": "user", "content": PROMPT}],
        max_tokens=2000,
        stream=True,
    )
    chunks = iter(stream)
    for _ in range(10):
        next(chunks)
    stream.close()
    dropped = time.perf_counter()
    while True:
        try:
            client.chat.completions.create(
                model="qwq-32b", messages=[{"role": "user", "content": "Hi"}], max_tokens=1
            )
            break
        except openai.APIStatusError:
            time.sleep(0.005)
    client.close()
    return time.perf_counter() - dropped


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    engine = LocalEngine(gemma_path(), LoadSettings(context_length=4096, threads=args.threads))
    server = ApiServer(lambda: engine, port=free_port(), max_queue=0)
    server.start()
    try:
        direct(engine, 16)  # warm both paths
        through_api(server.url, 16)
        paths = {
            "engine": lambda: direct(engine, args.tokens),
            "api": lambda: through_api(server.url, args.tokens),
            "api, client in another process": lambda: through_api_elsewhere(
                server.url, args.tokens
            ),
        }
        rates: dict[str, list[float]] = {name: [] for name in paths}
        firsts: dict[str, list[float]] = {name: [] for name in paths}
        names = list(paths)
        for r in range(args.rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                rate, first = paths[name]()
                rates[name].append(rate)
                firsts[name].append(first)
        releases = [disconnect_release(server.url) for _ in range(3)]
    finally:
        server.stop()
        engine.close()
    print(f"machine: {machine()}")
    print(f"gemma3 270M Q4_K_M, {args.tokens} tokens, {args.rounds} rounds, {args.threads} threads")
    for name in rates:
        print(
            f"{name:>30}: {statistics.median(rates[name]):7.2f} tok/s median "
            f"(min {min(rates[name]):.2f}, max {max(rates[name]):.2f}); first token "
            f"{statistics.median(firsts[name]) * 1000:.0f} ms"
        )
    base = statistics.median(rates["engine"])
    for name in names[1:]:
        print(f"{name} / engine: {statistics.median(rates[name]) / base:.3f}")
    print("disconnect to next request served: " + ", ".join(f"{s * 1000:.0f} ms" for s in releases))


if __name__ == "__main__":
    main()
