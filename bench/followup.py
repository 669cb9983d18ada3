"""A follow-up's time to first token in a long conversation (issue 13): warm in memory,
restored from a snapshot after a switch, after a restart (a new engine), and cold.

gemma3 270M on the CPU, context 16,384, a stored conversation of about 8,000 tokens
built from varied text (the project's own docs, several exchanges). Each follow-up is
the same message on the same conversation (its two new messages are removed after each
measurement), sent the way the app sends it (ChatSession, answers only in the history).
The restore runs while the user reads and types, so it is reported apart from the
time to first token; "restored" is compared with "cold" both ways.

    python bench/followup.py [--tokens 8000] [--threads 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

from _common import ROOT, gemma_path, machine

from app.core.events import GenerationDone
from app.core.sampling import SamplingSettings
from app.engine.kv_snapshots import SnapshotCache
from app.engine.local_engine import LoadSettings, LocalEngine
from app.keep_warm import KeepWarm
from app.session import ChatSession, history_of
from app.store.conversations import ConversationStore

FOLLOW_UP = "Thanks. In two sentences: which of these points matters most, and why?"
SAMPLING = SamplingSettings(max_tokens=8, seed=1)


def paragraphs() -> list[str]:
    """Varied text: the paragraphs of the project's docs."""
    text = "\n\n".join(
        p.read_text(encoding="utf-8")
        for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    )
    parts = [re.sub(r"\s+", " ", p).strip() for p in text.split("\n\n")]
    return [p for p in parts if len(p) > 200]


def build(store: ConversationStore, engine: LocalEngine, tokens: int) -> int:
    """A conversation of exchanges (a question quoting a passage, an answer quoting the
    next) until it is about ``tokens`` tokens long."""
    cid = store.create(system_prompt="You are a careful technical reader.").id
    texts = paragraphs()
    leaf = None
    i = 0
    while True:
        question = f"Exchange {i}. What does this passage say? {texts[(2 * i) % len(texts)]}"
        user = store.add_message(cid, "user", question, parent_id=leaf)
        answer = f"It says, in short: {texts[(2 * i + 1) % len(texts)]}"
        leaf = store.add_message(cid, "assistant", answer, parent_id=user.id).id
        i += 1
        history = history_of(store.branch(cid), store.get(cid).system_prompt)
        if len(engine.tokenize(engine.render(history))) >= tokens:
            return cid


def follow_up(store: ConversationStore, engine: LocalEngine, cid: int) -> GenerationDone:
    """Send the follow-up, then remove its two messages: the conversation is as before."""
    stored = ChatSession(store, engine).reply(cid, FOLLOW_UP, SAMPLING)
    done = list(stored)[-1]  # run to the end: the engine is free again
    assert isinstance(done, GenerationDone)
    store.delete_message(store.branch(cid)[-2].id)  # the user's message and its reply
    return done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3, help="warm runs timed (median)")
    args = parser.parse_args()
    settings = LoadSettings(context_length=16384, threads=args.threads)

    with tempfile.TemporaryDirectory() as tmp, ConversationStore(Path(tmp) / "data") as store:
        cache = SnapshotCache(Path(tmp) / "kv")
        engine = LocalEngine(gemma_path(), settings)
        cid = build(store, engine, args.tokens)
        other = build(store, engine, 1000)
        history = history_of(store.branch(cid), store.get(cid).system_prompt)
        print(f"machine: {machine()}")
        print(f"conversation: {len(store.branch(cid))} messages")

        # Cold: nothing in the cache, no snapshot.
        cold = follow_up(store, engine, cid)

        # Re-warm (in idle time after a reply): the answer-only history; then the snapshot.
        t = time.perf_counter()
        warmed = engine.prewarm(history)
        prewarm_s = time.perf_counter() - t  # kept: the cold reply left the prefix
        t = time.perf_counter()
        saved = cache.save(engine, cid)
        save_s = time.perf_counter() - t
        assert saved.saved, saved.why_not

        # Warm in memory: the follow-up right after the re-warm.
        warm = []
        for _ in range(args.rounds):
            engine.prewarm(history)
            warm.append(follow_up(store, engine, cid))

        # After a switch: another conversation used the cache in between, then a restore.
        keep = KeepWarm(store, engine, cache)
        other_history = history_of(store.branch(other), store.get(other).system_prompt)
        switched, restore_times = [], []
        for _ in range(args.rounds):
            engine.prewarm(other_history)  # the cache holds the other conversation
            t = time.perf_counter()
            assert cache.restore(engine, cid) > 0
            restore_times.append(time.perf_counter() - t)
            switched.append(follow_up(store, engine, cid))
        engine.close()

        # After a restart: a new engine, the snapshot restored on opening.
        restarted, restart_times = [], []
        for _ in range(args.rounds):
            engine = LocalEngine(gemma_path(), settings)
            keep = KeepWarm(store, engine, cache)
            t = time.perf_counter()
            assert keep.open(cid) > 0
            restart_times.append(time.perf_counter() - t)
            restarted.append(follow_up(store, engine, cid))
            engine.close()
    restore_s = statistics.median(restore_times)
    restart_restore_s = statistics.median(restart_times)

    cold_ttft = cold.stats.time_to_first_token_s
    print(
        f"follow-up prompt {cold.stats.prompt_tokens:,} tokens; context 16,384; "
        f"{args.threads} threads"
    )
    rows = [
        ("cold (no snapshot)", [cold], 0.0),
        ("warm in memory", warm, 0.0),
        ("restored after a switch", switched, restore_s),
        ("restored after a restart", restarted, restart_restore_s),
    ]
    for name, runs, before in rows:
        s = runs[0].stats
        ttft = statistics.median(d.stats.time_to_first_token_s for d in runs)
        print(
            f"{name:26s} processed {s.prompt_tokens_processed:5,} of {s.prompt_tokens:,} "
            f"tokens, first token {ttft * 1000:8.1f} ms ({ttft / cold_ttft:.3f}x cold)"
            + (
                f"; with the restore {(before + ttft) * 1000:8.1f} ms "
                f"({(before + ttft) / cold_ttft:.3f}x cold)"
                if before
                else ""
            )
        )
    per_k = saved.size / saved.tokens * 1000
    print(
        f"re-warm after the reply: kept {warmed.kept:,}, evaluated {warmed.evaluated:,} "
        f"tokens in {prewarm_s:.2f} s"
    )
    print(
        f"snapshot: {saved.tokens:,} tokens, {saved.size / 2**20:.1f} MiB "
        f"({per_k / 2**20:.2f} MiB per 1,000 tokens); save {save_s:.2f} s, "
        f"restore {restore_s:.2f} s, in a new engine {restart_restore_s:.2f} s "
        f"(medians of {args.rounds}; first tokens too)"
    )


if __name__ == "__main__":
    main()
