"""The conversation list and search on a big store: 2,000 conversations of 50 messages.

Builds the store once in bench/.cache/store-scale (about a minute; --rebuild to redo),
then times what the sidebar does: list every conversation, and full-text searches
(a common word, a rare word, two words, a prefix). Goal: each under 100 ms.

    python bench/store_scale.py [--conversations 2000] [--messages 50] [--rebuild]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import time
from pathlib import Path

from _common import CACHE, machine

from app.store.conversations import ConversationStore

WORDS = [f"w{i}" for i in range(3000)] + [
    "lighthouse",
    "fresnel",
    "integral",
    "theorem",
    "python",
    "recursion",
    "entropy",
    "prime",
]


def text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) if rng.random() > 0.02 else "prime" for _ in range(n))


def build(folder: Path, conversations: int, messages: int) -> None:
    rng = random.Random(7)
    with ConversationStore(folder) as store:
        conn = store._conn
        conn.execute("BEGIN")
        now = time.time()
        for c in range(conversations):
            created = now - (conversations - c) * 3600
            cur = conn.execute(
                "INSERT INTO conversations (title, created_at, updated_at, model, sampling)"
                " VALUES (?, ?, ?, 'qwq-32b-q4_k_m', '{}')",
                (text(rng, 6), created, created + 600),
            )
            cid = cur.lastrowid
            parent = None
            for m in range(messages):
                user = m % 2 == 0
                cur = conn.execute(
                    "INSERT INTO messages (conversation_id, parent_id, role, content, reasoning,"
                    " created_at, status) VALUES (?, ?, ?, ?, ?, ?, 'done')",
                    (
                        cid,
                        parent,
                        "user" if user else "assistant",
                        text(rng, 25 if user else 120),
                        "" if user else text(rng, 400),
                        created + m,
                    ),
                )
                parent = cur.lastrowid
            conn.execute("UPDATE conversations SET current_leaf = ? WHERE id = ?", (parent, cid))
        conn.execute("COMMIT")


def timed(fn, runs: int = 20) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    folder = CACHE / f"store-scale-{args.conversations}x{args.messages}"
    if args.rebuild and folder.exists():
        shutil.rmtree(folder)
    if not folder.exists():
        t = time.perf_counter()
        build(folder, args.conversations, args.messages)
        print(f"built in {time.perf_counter() - t:.1f} s")

    t = time.perf_counter()
    store = ConversationStore(folder)
    open_ms = (time.perf_counter() - t) * 1000
    size = store.path.stat().st_size
    print(f"machine: {machine()}")
    print(
        f"store: {args.conversations:,} conversations x {args.messages} messages, {size / 1e6:.0f} MB"
    )
    print(f"open (lock, checks, migrations): {open_ms:.1f} ms")
    cases = {
        "list all conversations": lambda: store.conversations(),
        "open one conversation (branch)": lambda: store.branch(1000),
        "search a rare word 'fresnel'": lambda: store.search("fresnel"),
        "search a common word 'prime'": lambda: store.search("prime"),
        "  its messages only (70% match)": lambda: store._search_messages('"prime"', 50),
        "search two words 'w12 w17'": lambda: store.search("w12 w17"),
        "search a prefix 'lightho'": lambda: store.search("lightho"),
    }
    for name, fn in cases.items():
        median, worst = timed(fn)
        print(f"{name:34s} median {median:7.1f} ms   max {worst:7.1f} ms")
    store.close()


if __name__ == "__main__":
    main()
