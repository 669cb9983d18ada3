"""The engine's side of issue 13: re-warming after a reply, and the KV state on disk.

A conversation of about --tokens tokens on gemma3 270M (a long answer last), context
16,384. Measured through ``LocalEngine``:

- prewarm: the time to evaluate the last answer as the template puts it into history
  (the cache held everything before it, as after a reply);
- the follow-up's time to first token and prompt tokens processed: warm (prewarmed in
  memory), restored from a state file by a new engine (as after a restart), and cold;
- the state file: bytes per 1,000 tokens, save and load seconds, and how much of them
  is the seal's CRC-32 (``app.engine.kv_state``).

    python bench/engine_state.py [--tokens 8000] [--answer 1000] [--threads 2]
        [--model PATH] [--gpu-layers N] [--context 16384] [--kv f16|q8_0] [--folder DIR]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import gemma_path, machine

from app.core.events import GenerationDone
from app.core.messages import ChatMessage
from app.core.sampling import SamplingSettings
from app.engine import kv_state
from app.engine.local_engine import KvCacheType, LoadSettings, LocalEngine

SENTENCES = [
    "The keeper climbed the spiral stairs at dusk and trimmed the wick.",
    "Fog rolled in from the north, and the horn sounded every thirty seconds.",
    "Ships counted the flashes to know which light they were looking at.",
    "A Fresnel lens bends the light of one flame into a beam seen for miles.",
    "In winter the supply boat came once a month, if the sea allowed it.",
    "Automation arrived slowly, one station at a time, until no keeper was left.",
]


def text_of(n_tokens: int, engine: LocalEngine) -> str:
    """Varied prose of about ``n_tokens`` tokens."""
    parts: list[str] = []
    i = 0
    while True:
        parts.append(f"{i}. {SENTENCES[i % len(SENTENCES)]}")
        i += 1
        if i % 4 == 0 and len(engine.tokenize(" ".join(parts))) >= n_tokens:
            return " ".join(parts)


def first_token(engine: LocalEngine, messages: list[ChatMessage]) -> GenerationDone:
    done = None
    for event in engine.chat(messages, SamplingSettings(max_tokens=1, seed=1)):
        done = event
    assert isinstance(done, GenerationDone)
    return done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=8000)
    parser.add_argument("--answer", type=int, default=1000, help="tokens of the last answer")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--model", type=Path, help="a GGUF file (default: gemma3 270M)")
    parser.add_argument("--gpu-layers", type=int, default=0)
    parser.add_argument("--context", type=int, default=16384)
    parser.add_argument("--kv", choices=["f16", "q8_0"], default="f16")
    parser.add_argument("--folder", type=Path, help="where the state file goes (a temp dir)")
    args = parser.parse_args()

    path = args.model or gemma_path()
    kv: KvCacheType = args.kv
    settings = LoadSettings(
        context_length=args.context,
        threads=args.threads,
        gpu_layers=args.gpu_layers,
        kv_cache_type=kv,
    )
    engine = LocalEngine(path, settings)
    answer = text_of(args.answer, engine)
    question = text_of(args.tokens - args.answer, engine)
    history = [
        ChatMessage.user(f"Read this and tell me what you think.\n\n{question}"),
        ChatMessage.assistant(answer),
    ]
    follow_up = [*history, ChatMessage.user("Which detail surprised you most?")]

    # As after a reply: the cache holds everything before the last answer.
    before = [history[0], ChatMessage.assistant("")]
    engine.prewarm(before)
    t = time.perf_counter()
    warmed = engine.prewarm(history)
    prewarm_s = time.perf_counter() - t
    warm = first_token(engine, follow_up)

    engine.prewarm(history)  # back to the conversation as it is saved
    folder = args.folder or Path(tempfile.mkdtemp(prefix="qwq-state-"))
    state = folder / "state.bin"
    t = time.perf_counter()
    saved_tokens = engine.save_state(state)
    save_s = time.perf_counter() - t
    size = state.stat().st_size
    t = time.perf_counter()
    assert kv_state.is_sealed(state)
    crc_s = time.perf_counter() - t
    engine.close()

    restarted = LocalEngine(path, settings)  # a new engine, as after a restart
    t = time.perf_counter()
    restored_tokens = restarted.load_state(state)
    load_s = time.perf_counter() - t
    restored = first_token(restarted, follow_up)
    restarted._llm.reset()  # nothing reused: the cold case
    cold = first_token(restarted, follow_up)
    restarted.close()
    state.unlink()

    print(f"machine: {machine()}")
    print(
        f"model: {path.name}, {restarted.info.backend}, context {args.context}, KV {kv}, "
        f"{args.threads} threads"
    )
    print(f"conversation: {warm.stats.prompt_tokens} prompt tokens, last answer {args.answer}")
    print(f"prewarm: {warmed.evaluated} tokens evaluated ({warmed.kept} kept) in {prewarm_s:.2f} s")
    print(
        f"state file: {saved_tokens} tokens, {size / 2**20:.1f} MiB, "
        f"{size / saved_tokens * 1000 / 2**20:.2f} MiB per 1,000 tokens"
    )
    print(
        f"save {save_s:.3f} s, load {load_s:.3f} s ({restored_tokens} tokens); "
        f"the seal's CRC-32 check alone {crc_s:.3f} s"
    )
    for name, done in (("warm", warm), ("restored", restored), ("cold", cold)):
        s = done.stats
        print(
            f"follow-up {name:8s}: first token in {s.time_to_first_token_s:6.3f} s, "
            f"{s.prompt_tokens_processed} processed, {s.prompt_tokens_cached} cached"
        )
    cold_s = cold.stats.time_to_first_token_s
    print(
        f"restored (load + first token) / cold: "
        f"{(load_s + restored.stats.time_to_first_token_s) / cold_s:.3f}"
    )


if __name__ == "__main__":
    main()
